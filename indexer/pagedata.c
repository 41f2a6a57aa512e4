/* pagedata.c - the page data of a site's catalogue: what a theme's
 * templates see (docs/catalogue.md is the contract with theme authors).
 *
 * Everything comes from the index the build has just signed and read back
 * (wh_index_load), never from the scan: the catalogue shows what an
 * installer will trust.  ix_pages_build makes, once, per module: its
 * versions newest first, its card (the home page's and the category
 * pages' item), the set of modules that depend on it; and for the site:
 * its facts, the categories (each with a folder name, its slug), tags and
 * kinds.  Each page's data is then a small object that shares those
 * values by reference, built when the page is rendered and dropped after.
 * Nothing here changes once built, so threads render from it at once.
 *
 * LINKS.  Every href in the data is relative to SITE, and every page has
 * "root", the way from it to SITE ("" or "../../"): a theme writes
 * {{root}}{{href}}, so every link is relative, the site works from file://
 * and below any URL prefix, and one card serves every page that lists it.
 *
 * SHADOWING.  Mustache looks up a name the current object lacks in the
 * enclosing ones, so every optional field is present as null when absent
 * (a dependency outside the index has "href": null), never left out.
 *
 * SAFETY.  Folder names come from module names (checked by the index
 * reader: [A-Za-z0-9._-], first a letter or digit) and category slugs
 * made here of [a-z0-9-]; search.js is JSON with <, >, &, U+2028 and
 * U+2029 escaped, so no package text can end its script.
 *
 * A paged catalogue (catalogue_paged.c) builds it from a part of the site
 * and gives the rest through ix_pages_ext (indexer.h says what differs).
 *
 * Tests: tests/cli/t1111-catalogue-paged.sh (the paged catalogue's pages);
 * tests/cli/t1107-catalogue.sh (the data, exactly, through a theme
 * that prints it).
 */
#include "indexer/indexer.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hex.h"
#include "common/semver.h"
#include "common/sha256.h"
#include "common/shard.h"

#define FEED_ENTRIES  50
#define DEEP          "../../"              /* root from modules/X/, categories/X/ */

/* One module: its versions newest first, and its card. */
typedef struct cmod {
    const char   *name;
    wh_index_pkg **v;          /* newest first */
    size_t        n, latest;   /* latest: the card's version */
    int64_t       updated;
    json_t       *card;
    json_t       *used_by;     /* name -> true */
} cmod;

struct ix_pages {
    const wh_index *ix;
    const ix_pages_ext *x;     /* a paged catalogue's view of the site, or NULL */
    json_t         *base_mod;  /* paged: a module page's base (no site lists) */
    wh_index_pkg   *pkgs;
    size_t          npkgs;
    cmod           *mods;      /* sorted by name */
    size_t          nmods;
    json_t         *base[2];   /* root, site, categories, tags, kinds: [0] for
                                * pages in SITE, [1] for DEEP ones */
    json_t         *site_full; /* site with serial and times: home page only */
    json_t         *slugs;     /* category name -> slug */
    json_t         *slug_used; /* slug -> true */
    json_t         *cat_cards; /* category name -> [cards] */
    const char    **cat_names; /* its keys, sorted */
    size_t          ncat;
    json_t         *search;    /* search.js's modules */
};

/* --- small helpers ---------------------------------------------------------- */

/* o[key] = t, o[key_date] = "2026-12-04", o[key_iso] = "2026-12-04T21:36:57Z". */
static int set_time(json_t *o, const char *key, int64_t t)
{
    char k[64], v[32];
    time_t tt = (time_t)t;
    struct tm tm;
    int rc = json_object_set_new(o, key, json_integer((json_int_t)t));
    wh_cli_date(t, v);
    snprintf(k, sizeof k, "%s_date", key);
    rc |= json_object_set_new(o, k, json_string(v));
    if (!gmtime_r(&tt, &tm) || !strftime(v, sizeof v, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(v, sizeof v, "@%lld", (long long)t);   /* beyond the calendar */
    snprintf(k, sizeof k, "%s_iso", key);
    rc |= json_object_set_new(o, k, json_string(v));
    return rc;
}

/* "12.3 KiB": bytes in the largest unit that keeps a number >= 1. */
static json_t *size_human(uint64_t n)
{
    static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
    char b[32];
    if (n < 1024) {
        snprintf(b, sizeof b, "%" PRIu64 " B", n);
        return json_string(b);
    }
    double v = (double)n / 1024;
    int u = 0;
    while (v >= 1024 && u < 3) {
        v /= 1024;
        u++;
    }
    snprintf(b, sizeof b, "%.1f %s", v, unit[u]);
    return json_string(b);
}

/* A format:PLUGIN kind is its own label: the format is the plugin's,
 * and the plugin's name is what a reader can look up. */
static const char *kind_label(const char *kind)
{
    return !strcmp(kind, "ferrpkg") ? "Ferrite UDF"
         : !strcmp(kind, "par") ? "wasmCloud provider"
         : wh_index_format_plugin(kind) ? kind : "plugin";
}

/* rec[key] when it is an array, else a new empty one (new reference). */
static json_t *array_or_empty(json_t *rec, const char *key)
{
    json_t *a = json_object_get(rec, key);
    return json_is_array(a) ? json_incref(a) : json_array();
}

static json_t *string_or_empty(json_t *rec, const char *key)
{
    const char *s = json_string_value(json_object_get(rec, key));
    return json_string(s ? s : "");
}

/* --- versions and modules -------------------------------------------------- */

static int cmp_pkg_newest(const void *a, const void *b)
{
    const wh_index_pkg *x = *(wh_index_pkg *const *)a, *y = *(wh_index_pkg *const *)b;
    wh_semver vx, vy;
    wh_err e;
    int c = 0;
    if (!wh_semver_parse(&vx, x->version, strlen(x->version), &e) &&
        !wh_semver_parse(&vy, y->version, strlen(y->version), &e))
        c = wh_semver_compare(&vy, &vx);
    return c ? c : strcmp(y->version, x->version);
}

static int is_prerelease(const char *version)
{
    const char *dash = strchr(version, '-'), *plus = strchr(version, '+');
    return dash && (!plus || dash < plus);
}

static int is_yanked(const wh_index_pkg *p)
{
    return json_object_get(p->record, "yanked") != NULL;
}

/* The version a card shows (wh_index_latest's rule), as an index into
 * m->v. */
static size_t pick_latest(const cmod *m, const wh_index *ix)
{
    json_t *mod = json_object_get(json_object_get(ix->json, "modules"), m->name);
    const char *latest = wh_index_latest(json_object_get(mod, "versions"));
    for (size_t k = 0; latest && k < m->n; k++)
        if (!strcmp(m->v[k]->version, latest))
            return k;
    return 0;
}

/* Group the index's packages by module (the index lists them module by
 * module, sorted by name) and order each module's versions. */
static int group_modules(ix_pages *pg)
{
    wh_index_pkg **order = malloc((pg->npkgs ? pg->npkgs : 1) * sizeof *order);
    pg->mods = calloc(pg->npkgs ? pg->npkgs : 1, sizeof *pg->mods);
    if (!order || !pg->mods) {
        free(order);
        return -1;
    }
    for (size_t i = 0; i < pg->npkgs; i++)
        order[i] = &pg->pkgs[i];
    size_t i = 0;
    while (i < pg->npkgs) {
        cmod *m = &pg->mods[pg->nmods++];
        size_t j = i;
        while (j < pg->npkgs && !strcmp(order[j]->module, order[i]->module))
            j++;
        m->name = order[i]->module;
        m->n = j - i;
        if (!(m->v = malloc(m->n * sizeof *m->v)) || !(m->used_by = json_object())) {
            free(order);
            return -1;
        }
        memcpy(m->v, order + i, m->n * sizeof *m->v);
        qsort(m->v, m->n, sizeof *m->v, cmp_pkg_newest);
        m->latest = pick_latest(m, pg->ix);
        for (size_t k = 0; k < m->n; k++)
            if (m->v[k]->published > m->updated)
                m->updated = m->v[k]->published;
        i = j;
    }
    free(order);
    return 0;
}

static cmod *find_module(const ix_pages *pg, const char *name)
{
    size_t lo = 0, hi = pg->nmods;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(name, pg->mods[mid].name);
        if (r == 0)
            return &pg->mods[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static int cmp_mod(const void *a, const void *b)
{
    return strcmp(((const cmod *)a)->name, ((const cmod *)b)->name);
}

/* Every module that any version of m depends on gets m in its used_by
 * (a paged catalogue's: the site's, which it keeps). */
static int note_dependents(ix_pages *pg)
{
    for (size_t i = 0; pg->x && i < pg->nmods; i++) {
        json_t *u = pg->x->used_by ? pg->x->used_by(pg->x->ctx, pg->mods[i].name) : NULL;
        if (u && json_object_update(pg->mods[i].used_by, u))
            return -1;
    }
    for (size_t i = 0; !pg->x && i < pg->nmods; i++) {
        cmod *m = &pg->mods[i];
        for (size_t k = 0; k < m->n; k++) {
            const char *dep;
            json_t *req;
            json_object_foreach(json_object_get(m->v[k]->record, "dependencies"), dep, req) {
                cmod *d = find_module(pg, dep);
                if (d && d != m && json_object_set_new(d->used_by, m->name, json_true()))
                    return -1;
            }
        }
    }
    return 0;
}

/* --- categories ------------------------------------------------------------ */

/* A folder name for a category: lower-case letters, digits and single
 * '-'; a name that is not already one gets 8 hex digits of its SHA-256
 * appended, so "C++" and "c" cannot meet, and a clash takes all 64. */
static int make_slug(ix_pages *pg, const char *name, char *out, size_t n)
{
    size_t o = 0;
    int dash = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && o < 40; p++) {
        unsigned char ch = *p >= 'A' && *p <= 'Z' ? (unsigned char)(*p + 32) : *p;
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            if (dash && o)
                out[o++] = '-';
            out[o++] = (char)ch;
            dash = 0;
        } else
            dash = 1;
    }
    out[o] = '\0';
    uint8_t d[WH_SHA256_BYTES];
    char hex[WH_SHA256_HEX];
    wh_err e;
    if (wh_sha256_buf(name, strlen(name), d, &e))
        return -1;
    wh_hex_encode(hex, d, WH_SHA256_BYTES, 0);
    if (strcmp(out, name) != 0)
        snprintf(out + o, n - o, "%s%.8s", o ? "-" : "", hex);
    if (json_object_get(pg->slug_used, out))
        snprintf(out, n, "%s", hex);
    return json_object_set_new(pg->slug_used, out, json_true());
}

static json_t *category_ref(const char *name, const char *slug)
{
    char href[256];
    snprintf(href, sizeof href, "categories/%s/index.html", slug);
    return json_pack("{ssssss}", "name", name, "slug", slug, "href", href);
}

/* Count each category and tag over the modules' card versions. */
static int count_labels(ix_pages *pg, json_t *cats, json_t *tags, json_t *kinds)
{
    for (size_t i = 0; i < pg->nmods; i++) {
        json_t *rec = pg->mods[i].v[pg->mods[i].latest]->record, *v;
        size_t k;
        const char *lists[2] = { "categories", "tags" };
        json_t *maps[2] = { cats, tags };
        for (int l = 0; l < 2; l++)
            json_array_foreach(json_object_get(rec, lists[l]), k, v) {
                const char *s = json_string_value(v);
                if (s && json_object_set_new(maps[l], s, json_integer(
                        json_integer_value(json_object_get(maps[l], s)) + 1)))
                    return -1;
            }
        const char *kind = pg->mods[i].v[pg->mods[i].latest]->kind;
        if (json_object_set_new(kinds, kind, json_integer(
                json_integer_value(json_object_get(kinds, kind)) + 1)))
            return -1;
    }
    return 0;
}

/* The site's counts a paged catalogue keeps (its labels). */
static int copy_labels(json_t *labels, json_t *cats, json_t *tags, json_t *kinds)
{
    return json_object_update(cats, json_object_get(labels, "categories")) ||
           json_object_update(tags, json_object_get(labels, "tags")) ||
           json_object_update(kinds, json_object_get(labels, "kinds"));
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of object o, sorted (malloc'd; the strings belong to o). */
static const char **sorted_keys(json_t *o, size_t *n)
{
    const char **k = malloc((json_object_size(o) + 1) * sizeof *k), *key;
    json_t *v;
    *n = 0;
    if (!k)
        return NULL;
    json_object_foreach(o, key, v)
        k[(*n)++] = key;
    qsort(k, *n, sizeof *k, cmp_key);
    return k;
}

/* site, categories, tags, kinds: what every page has, for both depths. */
static int build_base(ix_pages *pg, const wh_minisign_pubkey *pk)
{
    json_t *cats = json_object(), *tags = json_object(), *kinds = json_object();
    json_t *site = json_object(), *lists[3] = { NULL };
    char b64[WH_MINISIGN_PUBKEY_B64_LEN + 1];
    size_t n, nt, nk;
    int rc = -1;
    const char **ck = NULL, **tk = NULL, **kk = NULL;
    if (!cats || !tags || !kinds || !site || (pg->x ? copy_labels(pg->x->labels, cats, tags, kinds)
                                                    : count_labels(pg, cats, tags, kinds)) ||
        !(ck = sorted_keys(cats, &n)) || !(tk = sorted_keys(tags, &nt)) ||
        !(kk = sorted_keys(kinds, &nk)))
        goto out;
    for (int l = 0; l < 3; l++)
        if (!(lists[l] = json_array()))
            goto out;
    for (size_t i = 0; i < n; i++) {
        char slug[128];
        json_t *ref;
        if (make_slug(pg, ck[i], slug, sizeof slug) ||
            json_object_set_new(pg->slugs, ck[i], json_string(slug)) ||
            json_object_set_new(pg->cat_cards, ck[i], json_array()) ||
            !(ref = category_ref(ck[i], slug)) ||
            json_object_set(ref, "count", json_object_get(cats, ck[i])) ||
            json_array_append_new(lists[0], ref))
            goto out;
    }
    for (size_t i = 0; i < nt; i++)
        if (json_array_append_new(lists[1], json_pack("{sssO}", "name", tk[i],
                "count", json_object_get(tags, tk[i]))))
            goto out;
    for (size_t i = 0; i < nk; i++)
        if (json_array_append_new(lists[2], json_pack("{sssssO}", "kind", kk[i],
                "label", kind_label(kk[i]), "count", json_object_get(kinds, kk[i]))))
            goto out;
    wh_minisign_pubkey_to_base64(pk, b64);
    json_t *repo = json_object_get(pg->ix->json, "repository");
    if (json_object_set_new(site, "name", string_or_empty(repo, "name")) ||
        json_object_set_new(site, "key_id", string_or_empty(repo, "key_id")) ||
        json_object_set_new(site, "pubkey", json_string(b64)) ||
        json_object_set_new(site, "serial", json_integer(pg->ix->head.serial)) ||
        set_time(site, "generated", pg->ix->generated) ||
        set_time(site, "expires", pg->ix->head.expires) ||
        json_object_set_new(site, "modules", json_integer((json_int_t)(pg->x ? pg->x->modules
                                                                          : pg->nmods))) ||
        json_object_set_new(site, "packages", json_integer((json_int_t)(pg->x ? pg->x->packages
                                                                           : pg->npkgs))) ||
        json_object_set_new(site, "wharf_version", json_string(WHARF_VERSION)) ||
        json_object_set_new(site, "index_file", json_string(pg->x ? WH_SNAP_JSON : "index.json")))
        goto out;
    /* Only the home page shows what changes at every build, so that the
     * other pages change only when what they show does. */
    json_t *stable = json_copy(site);
    if (!stable || !(pg->site_full = json_incref(site)))
        goto out;
    static const char *const volatile_keys[] = {
        "serial", "generated", "generated_date", "generated_iso",
        "expires", "expires_date", "expires_iso",
    };
    for (size_t i = 0; i < sizeof volatile_keys / sizeof volatile_keys[0]; i++)
        json_object_del(stable, volatile_keys[i]);
    if (pg->x) {        /* a paged catalogue renders a module page only when it changes */
        json_object_del(stable, "modules");
        json_object_del(stable, "packages");
    }
    json_decref(site);
    site = stable;
    for (int d = 0; d < 2; d++)
        if (!(pg->base[d] = json_pack("{sssOsOsOsO}", "root", d ? DEEP : "",
                                     "site", site, "categories", lists[0],
                                     "tags", lists[1], "kinds", lists[2])))
            goto out;
    /* A paged catalogue's category pages list the categories without
     * counts (which change at almost every build, while the list of
     * categories seldom does), and no tags or kinds. */
    json_t *plain = pg->x ? json_array() : NULL, *ref;
    size_t ci;
    json_array_foreach(plain ? lists[0] : NULL, ci, ref) {
        json_t *r = json_copy(ref);
        if (!r || json_object_del(r, "count") || json_array_append_new(plain, r))
            goto out;
    }
    if (plain && (json_object_set_new(pg->base[1], "categories", plain) ||
                  json_object_set_new(pg->base[1], "tags", json_array()) ||
                  json_object_set_new(pg->base[1], "kinds", json_array())))
        goto out;
    if (pg->x && !(pg->base_mod = json_pack("{sssOs[]s[]s[]}", "root", DEEP, "site", site,
                                            "categories", "tags", "kinds")))
        goto out;
    rc = 0;
out:
    for (int l = 0; l < 3; l++)
        json_decref(lists[l]);
    json_decref(cats);
    json_decref(tags);
    json_decref(kinds);
    json_decref(site);
    free(ck);
    free(tk);
    free(kk);
    return rc;
}

/* --- cards, versions, module pages ----------------------------------------- */

static json_t *category_refs(const ix_pages *pg, json_t *rec)
{
    json_t *out = json_array(), *v;
    size_t i;
    json_array_foreach(json_object_get(rec, "categories"), i, v) {
        const char *slug = json_string_value(json_object_get(pg->slugs, json_string_value(v)));
        if (slug && json_array_append_new(out, category_ref(json_string_value(v), slug))) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* A module's card: its newest version's facts (docs/catalogue.md, "A
 * card"); search_id is its place in search.js. */
static json_t *make_card(const ix_pages *pg, const cmod *m, size_t search_id)
{
    const wh_index_pkg *p = m->v[m->latest];
    json_t *rec = p->record;
    char href[256];
    snprintf(href, sizeof href, "modules/%s/index.html", m->name);
    const char *status = json_string_value(json_object_get(json_object_get(rec, "signer"), "status"));
    json_t *card = json_pack("{sssssssOsosososssssbsssIsososo}",
        "name", m->name, "href", href, "version", p->version, "latest", rec,
        "description", string_or_empty(rec, "description"),
        "author", string_or_empty(rec, "author"),
        "license", string_or_empty(rec, "license"),
        "kind", p->kind, "kind_label", kind_label(p->kind),
        "verified", !strcmp(status, "verified"), "signer_status", status,
        "versions_count", (json_int_t)m->n, "search_id", pg->x ? json_null()
                                                           : json_integer((json_int_t)search_id),
        "categories", category_refs(pg, rec),
        "tags", array_or_empty(rec, "tags"));
    if (card && json_object_set(card, "yanked", json_object_get(rec, "yanked") ?
                                json_object_get(rec, "yanked") : json_null())) {
        json_decref(card);
        return NULL;
    }
    if (card && set_time(card, "updated", m->updated)) {
        json_decref(card);
        return NULL;
    }
    return card;
}

/* search.js's entry for a card: what the script filters and sorts on. */
static json_t *search_entry(const cmod *m, const json_t *card)
{
    json_t *names = json_array(), *v;
    size_t i;
    json_array_foreach(json_object_get(m->v[m->latest]->record, "categories"), i, v)
        json_array_append(names, v);
    return json_pack("{sOsOsOsosOsOsOsO}", "name", json_object_get(card, "name"),
        "description", json_object_get(card, "description"),
        "tags", json_object_get(card, "tags"), "categories", names,
        "kind", json_object_get(card, "kind"),
        "version", json_object_get(card, "version"),
        "updated", json_object_get(card, "updated"),
        "verified", json_object_get(card, "verified"));
}

/* Every card, its search entry, and its place in its categories' lists. */
static int build_cards(ix_pages *pg)
{
    for (size_t i = 0; i < pg->nmods; i++) {
        cmod *m = &pg->mods[i];
        if (!(m->card = make_card(pg, m, i)) ||
            json_array_append_new(pg->search, search_entry(m, m->card)))
            return -1;
        json_t *v;
        size_t k;
        json_array_foreach(json_object_get(m->v[m->latest]->record, "categories"), k, v)
            if (json_array_append(json_object_get(pg->cat_cards, json_string_value(v)),
                                  m->card))
                return -1;
    }
    return 0;
}

/* Mustache looks a name the top object lacks up in the objects below it:
 * inside {{#versions}}, a record without "wasm" would find the module's.
 * So every optional field of a record is present, null when absent. */
static int shadow_absent(json_t *r)
{
    static const char *const optional[] = {
        "ferrite", "par", "plugin", "wasm", "warnings", "yanked",
        "metadata", "original_sha256", "original_size", "processed_by", "file",
    };
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        if (!json_object_get(r, optional[i]) &&
            json_object_set_new(r, optional[i], json_null()))
            return -1;
    return 0;
}

/* A version record with the derived fields. */
static json_t *version_view(const cmod *m, size_t k)
{
    const wh_index_pkg *p = m->v[k];
    json_t *r = json_copy(p->record);
    const char *status = json_string_value(json_object_get(json_object_get(p->record, "signer"), "status"));
    char href[PATH_MAX];
    snprintf(href, sizeof href, "%s", p->path);
    if (!r || json_object_set_new(r, "version", json_string(p->version)) ||
        set_time(r, "published", p->published) ||
        json_object_set_new(r, "size_human", size_human(p->size)) ||
        json_object_set_new(r, "href", json_string(href)) ||
        json_object_set_new(r, "verified", json_boolean(!strcmp(status, "verified"))) ||
        json_object_set_new(r, "prerelease", json_boolean(is_prerelease(p->version))) ||
        json_object_set_new(r, "is_latest", json_boolean(k == m->latest)))
        goto fail;
    strncat(href, ".minisig", sizeof href - strlen(href) - 1);
    if (json_object_set_new(r, "sig_href", p->has_sig ? json_string(href) : json_null()) ||
        shadow_absent(r))
        goto fail;
    return r;
fail:
    json_decref(r);
    return NULL;
}

/* "wharf install NAME@^MAJOR.MINOR" for a release (Cargo's caret: any
 * compatible update), "@=VERSION" when only pre-releases exist or every
 * version is yanked (a yanked version resolves only when pinned). */
static json_t *install_line(const cmod *m)
{
    const char *ver = m->v[m->latest]->version;
    wh_semver v;
    wh_err e;
    char b[WH_SEMVER_MAX_LEN + 160];
    if (is_prerelease(ver) || is_yanked(m->v[m->latest]) ||
        wh_semver_parse(&v, ver, strlen(ver), &e))
        snprintf(b, sizeof b, "wharf install %s@=%s", m->name, ver);
    else
        snprintf(b, sizeof b, "wharf install %s@^%" PRIu64 ".%" PRIu64, m->name,
                 v.major, v.minor);
    return json_string(b);
}

static json_t *dependency_list(const ix_pages *pg, json_t *deps)
{
    json_t *out = json_array(), *req;
    size_t n;
    const char **k = sorted_keys(deps, &n);
    for (size_t i = 0; out && k && i < n; i++) {
        req = json_object_get(deps, k[i]);
        json_t *d = json_pack("{sssO}", "name", k[i], "req", req);
        char href[256];
        snprintf(href, sizeof href, "modules/%s/index.html", k[i]);
        int in = find_module(pg, k[i]) || (pg->x && pg->x->exists(pg->x->ctx, k[i]));
        if (!d || json_object_set_new(d, "href", in ? json_string(href) : json_null()) ||
            json_array_append_new(out, d)) {
            json_decref(out);
            out = NULL;
        }
    }
    free(k);
    return out;
}

static json_t *used_by_list(const cmod *m)
{
    json_t *out = json_array();
    size_t n;
    const char **k = sorted_keys(m->used_by, &n);
    for (size_t i = 0; out && k && i < n; i++) {
        char href[256];
        snprintf(href, sizeof href, "modules/%s/index.html", k[i]);
        if (json_array_append_new(out, json_pack("{ssss}", "name", k[i], "href", href))) {
            json_decref(out);
            out = NULL;
        }
    }
    free(k);
    return out;
}

/* {key, value} pairs of an object, value as compact JSON text. */
static json_t *pairs(json_t *o)
{
    json_t *out = json_array();
    size_t n;
    const char **k = sorted_keys(o, &n);
    for (size_t i = 0; out && k && i < n; i++) {
        char *text = json_dumps(json_object_get(o, k[i]),
                                JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
        json_t *p = text ? json_pack("{ssss}", "key", k[i], "value", text) : NULL;
        free(text);
        if (json_array_append_new(out, p)) {
            json_decref(out);
            out = NULL;
        }
    }
    free(k);
    return out;
}

/* "metadata" of a record as {"pairs": [{key, value}]} sorted by key,
 * null when there is none: a section over it renders once, and only
 * when there is something to show. */
static json_t *metadata_view(json_t *meta)
{
    json_t *out = json_array();
    size_t n;
    const char **k = sorted_keys(meta, &n);
    for (size_t i = 0; out && k && i < n; i++)
        if (json_array_append_new(out, json_pack("{sssO}", "key", k[i], "value",
                                                 json_object_get(meta, k[i])))) {
            json_decref(out);
            out = NULL;
        }
    free(k);
    if (out && n == 0) {
        json_decref(out);
        return json_null();
    }
    return out ? json_pack("{so}", "pairs", out) : NULL;
}

/* A post-processed record's "processed_by" and original, null when it
 * was not processed. */
static json_t *processed_view(json_t *rec)
{
    json_t *size = json_object_get(rec, "original_size");
    if (!json_object_get(rec, "original_sha256"))
        return json_null();
    json_t *by = json_object_get(rec, "processed_by"), *v;
    char names[WH_INDEX_MAX_PROCESSORS * 66] = "";
    size_t i, o = 0;
    json_array_foreach(by, i, v)
        o += (size_t)snprintf(names + o, o < sizeof names ? sizeof names - o : 0,
                              "%s%s", i ? ", " : "", json_string_value(v));
    return json_pack("{sssOsOsOso}", "by", names, "plugins", by,
                     "original_sha256", json_object_get(rec, "original_sha256"),
                     "original_size", size, "original_size_human",
                     size_human((uint64_t)json_integer_value(size)));
}

static json_t *par_targets(json_t *targets)
{
    json_t *out = json_array();
    size_t n;
    const char **k = sorted_keys(targets, &n);
    for (size_t i = 0; out && k && i < n; i++) {
        json_t *t = json_object_get(targets, k[i]);
        json_t *size = json_object_get(t, "size");
        json_t *e = json_pack("{sssOsosO}", "target", k[i], "size", size,
            "size_human", size_human((uint64_t)json_integer_value(size)),
            "sha256", json_object_get(t, "sha256"));
        if (json_array_append_new(out, e)) {
            json_decref(out);
            out = NULL;
        }
    }
    free(k);
    return out;
}

/* A module page's "module": its card plus versions, dependencies, "used
 * by", the kind-specific lists, and what plugins added to the shown
 * version (metadata, processed; its warnings are latest.warnings). */
static json_t *module_view(const ix_pages *pg, const cmod *m)
{
    json_t *mod = json_copy(m->card), *versions = json_array();
    json_t *rec = m->v[m->latest]->record;
    json_t *wasm = json_object_get(rec, "wasm"), *plugin = json_object_get(rec, "plugin");
    if (!mod || !versions)
        goto fail;
    for (size_t k = 0; k < m->n; k++)
        if (json_array_append_new(versions, version_view(m, k)))
            goto fail;
    if (json_object_set_new(mod, "install", install_line(m)) ||
        json_object_set_new(mod, "versions", versions) ||
        json_object_set_new(mod, "dependencies",
                            dependency_list(pg, json_object_get(rec, "dependencies"))) ||
        json_object_set_new(mod, "used_by", used_by_list(m)) ||
        json_object_set_new(mod, "par_targets", par_targets(json_object_get(
                            json_object_get(rec, "par"), "targets"))) ||
        json_object_set(mod, "wasm_imports", json_object_get(wasm, "imports") ?
                        json_object_get(wasm, "imports") : json_null()) ||
        json_object_set(mod, "wasm_exports", json_object_get(wasm, "exports") ?
                        json_object_get(wasm, "exports") : json_null()) ||
        json_object_set_new(mod, "capabilities", pairs(json_object_get(plugin, "capabilities"))) ||
        json_object_set_new(mod, "config", pairs(json_object_get(plugin, "config"))) ||
        json_object_set_new(mod, "metadata", metadata_view(json_object_get(rec, "metadata"))) ||
        json_object_set_new(mod, "processed", processed_view(rec)))
        goto fail;
    return mod;
fail:
    json_decref(mod);
    json_decref(versions);
    return NULL;
}

/* The page data of one HTML page: the base of its depth and its own. */
static json_t *page_data(const ix_pages *pg, int deep, const char *kind, const char *title,
                         const char *key, json_t *value)
{
    json_t *d = json_copy(deep == 2 ? pg->base_mod : pg->base[deep]);
    if (!d || json_object_set_new(d, "page", json_pack("{ssss}", "kind", kind,
                                                       "title", title)) ||
        json_object_set_new(d, key, value)) {
        json_decref(d);
        return NULL;
    }
    return d;
}

/* --- feed and search data ---------------------------------------------------- */

/* Newest published first, then by name, then newest version. */
static int cmp_feed(const void *a, const void *b)
{
    const wh_index_pkg *x = *(wh_index_pkg *const *)a, *y = *(wh_index_pkg *const *)b;
    if (x->published != y->published)
        return x->published > y->published ? -1 : 1;
    int r = strcmp(x->module, y->module);
    return r ? r : cmp_pkg_newest(a, b);
}

static json_t *feed_data(const ix_pages *pg)
{
    wh_index_pkg **v = malloc((pg->npkgs ? pg->npkgs : 1) * sizeof *v);
    json_t *entries = json_array();
    if (!v || !entries) {
        free(v);
        json_decref(entries);
        return NULL;
    }
    for (size_t i = 0; i < pg->npkgs; i++)
        v[i] = &pg->pkgs[i];
    qsort(v, pg->npkgs, sizeof *v, cmp_feed);
    const char *key_id = json_string_value(json_object_get(
                         json_object_get(pg->ix->json, "repository"), "key_id"));
    for (size_t i = 0; i < pg->npkgs && i < FEED_ENTRIES; i++) {
        char href[256], id[512];
        snprintf(href, sizeof href, "modules/%s/index.html", v[i]->module);
        snprintf(id, sizeof id, "urn:wharf:%s:%s@%s", key_id ? key_id : "",
                 v[i]->module, v[i]->version);
        json_t *e = json_copy(v[i]->record);
        if (!e || json_object_set_new(e, "name", json_string(v[i]->module)) ||
            json_object_set_new(e, "version", json_string(v[i]->version)) ||
            json_object_set_new(e, "href", json_string(href)) ||
            json_object_set_new(e, "id", json_string(id)) ||
            set_time(e, "published", v[i]->published) || shadow_absent(e) ||
            json_array_append_new(entries, e)) {
            json_decref(e);
            json_decref(entries);
            free(v);
            return NULL;
        }
    }
    /* The feed changes when a release is added, not at every build. */
    int64_t updated = pg->npkgs ? v[0]->published : pg->ix->generated;
    free(v);
    json_t *d = json_copy(pg->base[0]), *feed = json_object();
    if (!d || !feed || set_time(feed, "updated", updated) ||
        json_object_set_new(d, "feed", feed) ||
        json_object_set_new(d, "page", json_pack("{ssss}", "kind", "feed",
            "title", json_string_value(json_object_get(json_object_get(d, "site"), "name")))) ||
        json_object_set_new(d, "entries", entries)) {
        json_decref(d);
        return NULL;
    }
    return d;
}

/* "window.WHARF_SEARCH = {...};" with every byte that could end or
 * confuse a script escaped inside the JSON strings. */
int ix_pages_search_js(const ix_pages *pg, char **out, size_t *len)
{
    json_t *root = json_pack("{sO}", "modules", pg->search);
    int rc = root ? ix_script_json("window.WHARF_SEARCH = ", root, ";\n", out, len) : -1;
    json_decref(root);
    return rc;
}

int ix_script_json(const char *head, const json_t *v, const char *tail, char **out,
                   size_t *len)
{
    char *j = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    *out = NULL;
    if (!j)
        return -1;
    size_t n = strlen(j);
    char *s = malloc(strlen(head) + n * 6 + strlen(tail) + 1), *o = s;
    if (!s) {
        free(j);
        return -1;
    }
    o += sprintf(o, "%s", head);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)j[i];
        if (ch == '<' || ch == '>' || ch == '&')
            o += sprintf(o, "\\u%04x", ch);
        else if (ch == 0xe2 && i + 2 < n && (unsigned char)j[i + 1] == 0x80 &&
                 ((unsigned char)j[i + 2] == 0xa8 || (unsigned char)j[i + 2] == 0xa9)) {
            o += sprintf(o, "\\u%04x", (unsigned char)j[i + 2] == 0xa8 ? 0x2028 : 0x2029);
            i += 2;
        } else
            *o++ = (char)ch;
    }
    o += sprintf(o, "%s", tail);
    free(j);
    *out = s;
    *len = (size_t)(o - s);
    return 0;
}

/* --- the pages ----------------------------------------------------------------- */

int ix_pages_build(ix_pages **out, const wh_index *ix, const wh_minisign_pubkey *pk,
                   wh_err *err)
{
    return ix_pages_build_ext(out, ix, pk, NULL, err);
}

int ix_pages_build_ext(ix_pages **out, const wh_index *ix, const wh_minisign_pubkey *pk,
                       const ix_pages_ext *x, wh_err *err)
{
    ix_pages *pg = calloc(1, sizeof *pg);
    *out = NULL;
    if (!pg)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    pg->ix = ix;
    pg->x = x;
    int rc = wh_index_packages(ix, &pg->pkgs, &pg->npkgs, err);
    if (rc) {
        ix_pages_free(pg);
        return rc;
    }
    pg->slugs = json_object();
    pg->slug_used = json_object();
    pg->cat_cards = json_object();
    pg->search = json_array();
    if (!pg->slugs || !pg->slug_used || !pg->cat_cards || !pg->search ||
        group_modules(pg))
        goto nomem;
    qsort(pg->mods, pg->nmods, sizeof *pg->mods, cmp_mod);
    if (note_dependents(pg) || build_base(pg, pk) || build_cards(pg) ||
        !(pg->cat_names = sorted_keys(pg->cat_cards, &pg->ncat)))
        goto nomem;
    *out = pg;
    return 0;
nomem:
    ix_pages_free(pg);
    return wh_fail(err, WH_E_NOMEM, NULL, -1, "cannot build the catalogue's data");
}

void ix_pages_free(ix_pages *pg)
{
    if (!pg)
        return;
    for (size_t i = 0; pg->mods && i < pg->nmods; i++) {
        free(pg->mods[i].v);
        json_decref(pg->mods[i].card);
        json_decref(pg->mods[i].used_by);
    }
    free(pg->mods);
    free(pg->pkgs);
    for (int d = 0; d < 2; d++)
        json_decref(pg->base[d]);
    json_decref(pg->base_mod);
    json_decref(pg->site_full);
    json_decref(pg->slugs);
    json_decref(pg->slug_used);
    json_decref(pg->cat_cards);
    free(pg->cat_names);
    json_decref(pg->search);
    free(pg);
}

size_t ix_pages_modules(const ix_pages *pg)
{
    return pg->nmods;
}

size_t ix_pages_categories(const ix_pages *pg)
{
    return pg->ncat;
}

/* Most recently updated first, then by name. */
static int cmp_updated(const void *a, const void *b)
{
    const cmod *x = *(const cmod *const *)a, *y = *(const cmod *const *)b;
    return x->updated != y->updated ? (x->updated > y->updated ? -1 : 1)
                                    : strcmp(x->name, y->name);
}

json_t *ix_pages_home(const ix_pages *pg, char rel[PATH_MAX])
{
    json_t *home = json_array();
    const cmod **order = malloc((pg->nmods + 1) * sizeof *order);
    for (size_t i = 0; order && i < pg->nmods; i++)
        order[i] = &pg->mods[i];
    if (order && pg->x)     /* a paged catalogue's home: the latest updates */
        qsort(order, pg->nmods, sizeof *order, cmp_updated);
    for (size_t i = 0; home && order && i < pg->nmods; i++)
        if (json_array_append(home, order[i]->card)) {
            json_decref(home);
            home = NULL;
        }
    free(order);
    if (!order) {
        json_decref(home);
        return NULL;
    }
    snprintf(rel, PATH_MAX, "index.html");
    json_t *d = page_data(pg, 0, "home", json_string_value(json_object_get(
                    json_object_get(pg->base[0], "site"), "name")), "modules", home);
    if (d && (json_object_set(d, "site", pg->site_full) ||
              json_object_set_new(d, "paged", pg->x ? json_pack("{sI}", "shown",
                                  (json_int_t)pg->nmods) : json_null()))) {
        json_decref(d);
        return NULL;
    }
    return d;
}

json_t *ix_pages_category(const ix_pages *pg, size_t i, char rel[PATH_MAX])
{
    const char *name = pg->cat_names[i];
    const char *slug = json_string_value(json_object_get(pg->slugs, name));
    json_t *cards = json_object_get(pg->cat_cards, name);
    snprintf(rel, PATH_MAX, "categories/%s/index.html", slug);
    return page_data(pg, 1, "category", name, "category",
                     json_pack("{sssssIsO}", "name", name, "slug", slug,
                               "count", (json_int_t)json_array_size(cards),
                               "modules", cards));
}

json_t *ix_pages_category_cards(const ix_pages *pg, const char *name, json_t *cards,
                                size_t total, char rel[PATH_MAX])
{
    const char *slug = json_string_value(json_object_get(pg->slugs, name));
    if (!slug) {
        json_decref(cards);
        return NULL;
    }
    /* The home page's search for the category: #category=NAME, encoded. */
    char href[1024] = "index.html#category=";
    size_t o = strlen(href);
    for (const unsigned char *p = (const unsigned char *)name; *p && o + 4 < sizeof href; p++)
        o += (size_t)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || strchr("-._~", *p)
                      ? snprintf(href + o, sizeof href - o, "%c", *p)
                      : snprintf(href + o, sizeof href - o, "%%%02X", *p));
    snprintf(rel, PATH_MAX, "categories/%s/index.html", slug);
    return page_data(pg, 1, "category", name, "category",
                     json_pack("{sssssIsososs}", "name", name, "slug", slug,
                               "count", (json_int_t)total, "modules", cards,
                               "more", total > json_array_size(cards) ? json_integer(
                                   (json_int_t)(total - json_array_size(cards))) : json_null(),
                               "search_href", href));
}

const char *ix_pages_slug(const ix_pages *pg, const char *category)
{
    return json_string_value(json_object_get(pg->slugs, category));
}

const char *ix_pages_module_name(const ix_pages *pg, size_t i)
{
    return pg->mods[i].name;
}

json_t *ix_pages_card(const ix_pages *pg, size_t i)
{
    return pg->mods[i].card;
}

json_t *ix_pages_search_entries(const ix_pages *pg)
{
    return pg->search;
}

json_t *ix_pages_module(const ix_pages *pg, size_t i, char rel[PATH_MAX])
{
    const cmod *m = &pg->mods[i];
    snprintf(rel, PATH_MAX, "modules/%s/index.html", m->name);
    return page_data(pg, pg->x ? 2 : 1, "module", m->name, "module", module_view(pg, m));
}

json_t *ix_pages_feed(const ix_pages *pg, char rel[PATH_MAX])
{
    snprintf(rel, PATH_MAX, "feed.xml");
    return feed_data(pg);
}

/* catalogue.c - the HTML catalogue of a site: page data from the verified
 * index, pages rendered with a theme, written only when they change.
 *
 * DATA.  Everything a page shows comes from the index the build has just
 * signed and read back (wh_index_load), never from the scan: the
 * catalogue shows what an installer will trust.  docs/catalogue.md is the
 * contract with theme authors: the fields below are built to it, once per
 * module (its versions newest first, its card, its extra module-page
 * fields), and shared by reference among the pages that show them.  Every
 * href in the data is relative to SITE, and every page has "root", the
 * way from it to SITE ("" or "../../"): a theme writes {{root}}{{href}},
 * so every link is relative and the site works from file:// and below any
 * URL prefix, and one card serves the home page and the pages below.
 *
 * RENDERING.  Pages are rendered in batches: the page data of a batch is
 * built on this thread, the pages rendered and compared with the files on
 * disk on `jobs` threads (a compiled template and shared jansson values
 * are read-only), then the pages whose bytes changed are written here, in
 * order, each by rename (atomic, no fsync; one syncfs at the end: the
 * pages are derived from an index that is already durable).  Writing on
 * one thread keeps the fault hook's count of writes deterministic.
 *
 * SAFETY.  Package strings reach a page only through the template's
 * escaping; search.js is JSON with <, >, &, U+2028 and U+2029 escaped, so
 * no string can end the script.  Names of files and folders come from
 * module names (checked by the index reader: [A-Za-z0-9._-], first a
 * letter or digit) and category slugs made here of [a-z0-9-].
 *
 * Tests: tests/cli/t1107-catalogue.sh (pages, escaping, rewrites),
 * t1106-catalogue-browser.sh (in Chromium).
 */
#define _GNU_SOURCE 1   /* syncfs */
#include "indexer/indexer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/hex.h"
#include "common/semver.h"
#include "common/sha256.h"

#define MAX_PAGE      ((size_t)128 << 20)   /* bytes of one rendered page */
#define FEED_ENTRIES  50
#define BATCH         256                   /* pages rendered at once */
#define DEEP          "../../"              /* root from modules/X/, categories/X/ */

/* One module: its versions newest first, and its data. */
typedef struct cmod {
    const char   *name;
    wh_index_pkg **v;          /* newest first */
    size_t        n, latest;   /* latest: the card's version */
    int64_t       updated;
    json_t       *card;
    json_t       *used_by;     /* name -> true */
} cmod;

typedef struct cat {
    const wh_index *ix;
    const ix_theme *t;
    const char     *site;
    wh_index_pkg   *pkgs;
    size_t          npkgs;
    cmod           *mods;
    size_t          nmods;
    json_t         *base[2];   /* root, site, categories, tags, kinds: [0] for
                                * pages in SITE, [1] for DEEP ones */
    json_t         *site_full; /* site with serial and times: home page only */
    json_t         *slugs;     /* category name -> slug */
    json_t         *slug_used; /* slug -> true */
    json_t         *cat_cards; /* category name -> [cards] */
    json_t         *search;    /* search.js's modules */
    json_t         *wanted;    /* "modules/x", "categories/y", "assets/z" -> true */
    ix_cat_stats   *st;
    wh_err         *err;
} cat;

/* --- small helpers ---------------------------------------------------------- */

static int set_time(json_t *o, const char *key, int64_t t)
{
    char k[64], v[32];
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        memset(&tm, 0, sizeof tm);
    int rc = json_object_set_new(o, key, json_integer((json_int_t)t));
    strftime(v, sizeof v, "%Y-%m-%d", &tm);
    snprintf(k, sizeof k, "%s_date", key);
    rc |= json_object_set_new(o, k, json_string(v));
    strftime(v, sizeof v, "%Y-%m-%dT%H:%M:%SZ", &tm);
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

static const char *kind_label(const char *kind)
{
    return !strcmp(kind, "ferrpkg") ? "Ferrite UDF"
         : !strcmp(kind, "par") ? "wasmCloud provider" : "plugin";
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

/* "a/b" + "/" + c, or NULL when it does not fit. */
static char *path3(char *buf, size_t n, const char *a, const char *b, const char *c)
{
    return snprintf(buf, n, "%s%s%s", a, b, c) < (int)n ? buf : NULL;
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

/* Group the index's packages by module (the index lists them module by
 * module, sorted by name) and order each module's versions. */
static int group_modules(cat *c)
{
    wh_index_pkg **order = malloc((c->npkgs ? c->npkgs : 1) * sizeof *order);
    c->mods = calloc(c->npkgs ? c->npkgs : 1, sizeof *c->mods);
    if (!order || !c->mods) {
        free(order);
        return -1;
    }
    for (size_t i = 0; i < c->npkgs; i++)
        order[i] = &c->pkgs[i];
    size_t i = 0;
    while (i < c->npkgs) {
        cmod *m = &c->mods[c->nmods++];
        size_t j = i;
        while (j < c->npkgs && !strcmp(order[j]->module, order[i]->module))
            j++;
        m->name = order[i]->module;
        m->n = j - i;
        if (!(m->v = malloc(m->n * sizeof *m->v)) || !(m->used_by = json_object())) {
            free(order);
            return -1;
        }
        memcpy(m->v, order + i, m->n * sizeof *m->v);
        qsort(m->v, m->n, sizeof *m->v, cmp_pkg_newest);
        m->latest = 0;
        while (m->latest < m->n && is_prerelease(m->v[m->latest]->version))
            m->latest++;
        if (m->latest == m->n)
            m->latest = 0;
        for (size_t k = 0; k < m->n; k++)
            if (m->v[k]->published > m->updated)
                m->updated = m->v[k]->published;
        i = j;
    }
    free(order);
    return 0;
}

static cmod *find_module(const cat *c, const char *name)
{
    size_t lo = 0, hi = c->nmods;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(name, c->mods[mid].name);
        if (r == 0)
            return &c->mods[mid];
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

/* Every module that any version of m depends on gets m in its used_by. */
static int note_dependents(cat *c)
{
    for (size_t i = 0; i < c->nmods; i++) {
        cmod *m = &c->mods[i];
        for (size_t k = 0; k < m->n; k++) {
            const char *dep;
            json_t *req;
            json_object_foreach(json_object_get(m->v[k]->record, "dependencies"), dep, req) {
                cmod *d = find_module(c, dep);
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
static int make_slug(cat *c, const char *name, char *out, size_t n)
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
    if (json_object_get(c->slug_used, out))
        snprintf(out, n, "%s", hex);
    return json_object_set_new(c->slug_used, out, json_true());
}

static json_t *category_ref(const char *name, const char *slug)
{
    char href[256];
    snprintf(href, sizeof href, "categories/%s/index.html", slug);
    return json_pack("{ssssss}", "name", name, "slug", slug, "href", href);
}

/* Count each category and tag over the modules' card versions. */
static int count_labels(cat *c, json_t *cats, json_t *tags, json_t *kinds)
{
    for (size_t i = 0; i < c->nmods; i++) {
        json_t *rec = c->mods[i].v[c->mods[i].latest]->record, *v;
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
        const char *kind = c->mods[i].v[c->mods[i].latest]->kind;
        if (json_object_set_new(kinds, kind, json_integer(
                json_integer_value(json_object_get(kinds, kind)) + 1)))
            return -1;
    }
    return 0;
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
static int build_base(cat *c, const wh_minisign_pubkey *pk)
{
    json_t *cats = json_object(), *tags = json_object(), *kinds = json_object();
    json_t *site = json_object(), *lists[3] = { NULL };
    char b64[WH_MINISIGN_PUBKEY_B64_LEN + 1];
    size_t n, nt, nk;
    int rc = -1;
    const char **ck = NULL, **tk = NULL, **kk = NULL;
    if (!cats || !tags || !kinds || !site || count_labels(c, cats, tags, kinds) ||
        !(ck = sorted_keys(cats, &n)) || !(tk = sorted_keys(tags, &nt)) ||
        !(kk = sorted_keys(kinds, &nk)))
        goto out;
    for (int l = 0; l < 3; l++)
        if (!(lists[l] = json_array()))
            goto out;
    for (size_t i = 0; i < n; i++) {
        char slug[128];
        json_t *ref;
        if (make_slug(c, ck[i], slug, sizeof slug) ||
            json_object_set_new(c->slugs, ck[i], json_string(slug)) ||
            json_object_set_new(c->cat_cards, ck[i], json_array()) ||
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
    json_t *repo = json_object_get(c->ix->json, "repository");
    if (json_object_set_new(site, "name", string_or_empty(repo, "name")) ||
        json_object_set_new(site, "key_id", string_or_empty(repo, "key_id")) ||
        json_object_set_new(site, "pubkey", json_string(b64)) ||
        json_object_set_new(site, "serial", json_integer(c->ix->head.serial)) ||
        set_time(site, "generated", c->ix->generated) ||
        set_time(site, "expires", c->ix->head.expires) ||
        json_object_set_new(site, "modules", json_integer((json_int_t)c->nmods)) ||
        json_object_set_new(site, "packages", json_integer((json_int_t)c->npkgs)) ||
        json_object_set_new(site, "wharf_version", json_string(WHARF_VERSION)))
        goto out;
    /* Only the home page shows what changes at every build, so that the
     * other pages change only when what they show does. */
    json_t *stable = json_copy(site);
    if (!stable || !(c->site_full = json_incref(site)))
        goto out;
    static const char *const volatile_keys[] = {
        "serial", "generated", "generated_date", "generated_iso",
        "expires", "expires_date", "expires_iso",
    };
    for (size_t i = 0; i < sizeof volatile_keys / sizeof volatile_keys[0]; i++)
        json_object_del(stable, volatile_keys[i]);
    json_decref(site);
    site = stable;
    for (int d = 0; d < 2; d++)
        if (!(c->base[d] = json_pack("{sssOsOsOsO}", "root", d ? DEEP : "",
                                     "site", site, "categories", lists[0],
                                     "tags", lists[1], "kinds", lists[2])))
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

static json_t *category_refs(const cat *c, json_t *rec)
{
    json_t *out = json_array(), *v;
    size_t i;
    json_array_foreach(json_object_get(rec, "categories"), i, v) {
        const char *slug = json_string_value(json_object_get(c->slugs, json_string_value(v)));
        if (slug && json_array_append_new(out, category_ref(json_string_value(v), slug))) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *make_card(const cat *c, const cmod *m, size_t search_id)
{
    const wh_index_pkg *p = m->v[m->latest];
    json_t *rec = p->record;
    char href[256];
    snprintf(href, sizeof href, "modules/%s/index.html", m->name);
    const char *status = json_string_value(json_object_get(json_object_get(rec, "signer"), "status"));
    json_t *card = json_pack("{sssssssOsosososssssbsssIsIsoso}",
        "name", m->name, "href", href, "version", p->version, "latest", rec,
        "description", string_or_empty(rec, "description"),
        "author", string_or_empty(rec, "author"),
        "license", string_or_empty(rec, "license"),
        "kind", p->kind, "kind_label", kind_label(p->kind),
        "verified", !strcmp(status, "verified"), "signer_status", status,
        "versions_count", (json_int_t)m->n, "search_id", (json_int_t)search_id,
        "categories", category_refs(c, rec),
        "tags", array_or_empty(rec, "tags"));
    if (card && set_time(card, "updated", m->updated)) {
        json_decref(card);
        return NULL;
    }
    return card;
}

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

static int build_cards(cat *c)
{
    for (size_t i = 0; i < c->nmods; i++) {
        cmod *m = &c->mods[i];
        if (!(m->card = make_card(c, m, i)) ||
            json_array_append_new(c->search, search_entry(m, m->card)))
            return -1;
        json_t *v;
        size_t k;
        json_array_foreach(json_object_get(m->v[m->latest]->record, "categories"), k, v)
            if (json_array_append(json_object_get(c->cat_cards, json_string_value(v)),
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
        "ferrite", "par", "plugin", "wasm", "warnings",
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

static json_t *install_line(const cmod *m)
{
    const char *ver = m->v[m->latest]->version;
    wh_semver v;
    wh_err e;
    char b[WH_SEMVER_MAX_LEN + 160];
    if (is_prerelease(ver) || wh_semver_parse(&v, ver, strlen(ver), &e))
        snprintf(b, sizeof b, "wharf install %s@=%s", m->name, ver);
    else
        snprintf(b, sizeof b, "wharf install %s@^%" PRIu64 ".%" PRIu64, m->name,
                 v.major, v.minor);
    return json_string(b);
}

static json_t *dependency_list(const cat *c, json_t *deps)
{
    json_t *out = json_array(), *req;
    size_t n;
    const char **k = sorted_keys(deps, &n);
    for (size_t i = 0; out && k && i < n; i++) {
        req = json_object_get(deps, k[i]);
        json_t *d = json_pack("{sssO}", "name", k[i], "req", req);
        char href[256];
        snprintf(href, sizeof href, "modules/%s/index.html", k[i]);
        if (!d || json_object_set_new(d, "href", find_module(c, k[i]) ?
                                      json_string(href) : json_null()) ||
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

static json_t *module_view(const cat *c, const cmod *m)
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
                            dependency_list(c, json_object_get(rec, "dependencies"))) ||
        json_object_set_new(mod, "used_by", used_by_list(m)) ||
        json_object_set_new(mod, "par_targets", par_targets(json_object_get(
                            json_object_get(rec, "par"), "targets"))) ||
        json_object_set(mod, "wasm_imports", json_object_get(wasm, "imports") ?
                        json_object_get(wasm, "imports") : json_null()) ||
        json_object_set(mod, "wasm_exports", json_object_get(wasm, "exports") ?
                        json_object_get(wasm, "exports") : json_null()) ||
        json_object_set_new(mod, "capabilities", pairs(json_object_get(plugin, "capabilities"))) ||
        json_object_set_new(mod, "config", pairs(json_object_get(plugin, "config"))))
        goto fail;
    return mod;
fail:
    json_decref(mod);
    json_decref(versions);
    return NULL;
}

/* --- pages ----------------------------------------------------------------- */

/* One file of the catalogue: its path below SITE, and once rendered, its
 * bytes (NULL when the file on disk already holds them). */
typedef struct page {
    char    rel[PATH_MAX];
    int     tmpl;               /* IX_PAGE_*, or -1: bytes given */
    json_t *data;
    char   *out;
    size_t  len;
    int     changed, exists, rc;   /* exists: SITE/rel is there */
    wh_err  err;
} page;

typedef struct batch {
    const cat *c;
    page      *p;
} batch;

/* Does SITE/rel hold exactly data[0..len)?  *exists: is there a file. */
static int same_bytes(const char *site, const char *rel, const char *data,
                      size_t len, int *exists)
{
    char path[PATH_MAX], *old = NULL;
    size_t olen;
    wh_err e;
    *exists = 0;
    if (!path3(path, sizeof path, site, "/", rel))
        return 0;
    if (wh_file_read_stat(path, len, WH_READ_NOFOLLOW, &old, &olen, NULL, &e)) {
        *exists = e.code != WH_E_NOTFOUND;
        return 0;
    }
    *exists = 1;
    int same = olen == len && memcmp(old, data, len) == 0;
    free(old);
    return same;
}

/* Control characters (all of C0 but tab, LF and CR; DEL) are invalid in
 * XML and mean nothing in HTML but trouble (a package description may
 * hold ESC): each becomes U+FFFD on the page.  Templates have none. */
static int scrub_controls(char **out, size_t *len)
{
    size_t bad = 0;
    for (size_t i = 0; i < *len; i++) {
        unsigned char ch = (unsigned char)(*out)[i];
        bad += (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f;
    }
    if (!bad)
        return 0;
    char *s = malloc(*len + 2 * bad + 1), *o = s;
    if (!s)
        return -1;
    for (size_t i = 0; i < *len; i++) {
        unsigned char ch = (unsigned char)(*out)[i];
        if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f) {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
        } else
            *o++ = (char)ch;
    }
    *o = '\0';
    free(*out);
    *out = s;
    *len = (size_t)(o - s);
    return 0;
}

/* Render one page: its template, then (HTML pages) the layout around it. */
static void render_page(size_t i, void *ctx)
{
    batch *b = ctx;
    page *p = &b->p[i];
    const ix_theme *t = b->c->t;
    if (p->tmpl >= 0) {
        char *body;
        size_t blen;
        p->rc = wh_mustache_render(ix_theme_page(t, p->tmpl), p->data, MAX_PAGE,
                                   &body, &blen, &p->err);
        if (p->rc)
            return;
        if (p->tmpl == IX_PAGE_FEED) {
            p->out = body;
            p->len = blen;
        } else {
            json_t *content = json_stringn_nocheck(body, blen);
            free(body);
            if (!content || json_object_set_new(p->data, "content", content)) {
                p->rc = wh_fail(&p->err, WH_E_NOMEM, p->rel, -1, NULL);
                return;
            }
            p->rc = wh_mustache_render(ix_theme_page(t, IX_PAGE_LAYOUT), p->data,
                                       MAX_PAGE, &p->out, &p->len, &p->err);
            if (p->rc)
                return;
        }
        if (scrub_controls(&p->out, &p->len)) {
            p->rc = wh_fail(&p->err, WH_E_NOMEM, p->rel, -1, NULL);
            return;
        }
    }
    p->changed = !same_bytes(b->c->site, p->rel, p->out, p->len, &p->exists);
}

/* Create the folders of SITE/rel and write it when it changed. */
static int write_page(cat *c, page *p)
{
    char path[PATH_MAX];
    if (!path3(path, sizeof path, c->site, "/", p->rel))
        return wh_fail(c->err, WH_E_LIMIT, p->rel, -1, "path too long");
    c->st->pages++;
    if (!p->changed)
        return 0;
    /* A new page may need its folder (modules/NAME/): one mkdir, and the
     * parents only when that fails for want of them. */
    char *slash = strrchr(path, '/');
    int rc = 0;
    *slash = '\0';
    if (!p->exists && mkdir(path, 0755) < 0 && errno != EEXIST)
        rc = wh_mkdirs(path, c->err);
    *slash = '/';
    if (rc == 0)
        rc = wh_file_write_atomic_flags(path, p->out, p->len, 0644,
                                        WH_WRITE_NOSYNC, c->err);
    c->st->written += rc == 0;
    return rc;
}

/* The folder ("modules/x", "assets/y") a page keeps from the prune. */
static int want(cat *c, const char *rel)
{
    char top[PATH_MAX];
    const char *s = strchr(rel, '/');
    if (!s)
        return 0;
    const char *s2 = strncmp(rel, "assets/", 7) == 0 ? rel + strlen(rel) : strchr(s + 1, '/');
    snprintf(top, sizeof top, "%.*s", (int)((s2 ? s2 : rel + strlen(rel)) - rel), rel);
    return json_object_set_new(c->wanted, top, json_true());
}

/* Render pages p[0..n) on jobs threads, then write them here. */
static int run_batch(cat *c, page *p, size_t n, int jobs)
{
    batch b = { c, p };
    int rc = 0;
    ix_parallel(n, jobs, render_page, &b);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && p[i].rc) {
            *c->err = p[i].err;
            rc = p[i].rc;
        }
        if (rc == 0 && want(c, p[i].rel))
            rc = wh_fail(c->err, WH_E_NOMEM, NULL, -1, NULL);
        if (rc == 0)
            rc = write_page(c, &p[i]);
        if (p[i].tmpl >= 0)
            free(p[i].out);
        json_decref(p[i].data);
    }
    return rc;
}

/* The page data of one HTML page: the base of its depth and its own. */
static json_t *page_data(const cat *c, int deep, const char *kind, const char *title,
                         const char *key, json_t *value)
{
    json_t *d = json_copy(c->base[deep]);
    if (!d || json_object_set_new(d, "page", json_pack("{ssss}", "kind", kind,
                                                       "title", title)) ||
        json_object_set_new(d, key, value)) {
        json_decref(d);
        return NULL;
    }
    return d;
}

static json_t *feed_data(const cat *c);
static int search_js(const cat *c, char **out, size_t *len);

/* The pages that are not per module: home, categories, feed, search.js,
 * assets, in one batch (their number is the categories' plus a few). */
static int site_pages(cat *c, int jobs)
{
    size_t nassets, ncat = json_object_size(c->cat_cards);
    const ix_asset *a = ix_theme_assets(c->t, &nassets);
    size_t n = 0, cap = ncat + nassets + 3;
    page *p = calloc(cap, sizeof *p);
    if (!p)
        return wh_fail(c->err, WH_E_NOMEM, NULL, -1, NULL);
    json_t *home = json_array(), *v;
    const char *name;
    for (size_t i = 0; home && i < c->nmods; i++)
        json_array_append(home, c->mods[i].card);
    p[n].tmpl = IX_PAGE_HOME;
    snprintf(p[n].rel, PATH_MAX, "index.html");
    p[n].data = page_data(c, 0, "home", json_string_value(json_object_get(
                  json_object_get(c->base[0], "site"), "name")), "modules", home);
    if (p[n].data && json_object_set(p[n].data, "site", c->site_full)) {
        json_decref(p[n].data);
        p[n].data = NULL;
    }
    n++;
    json_object_foreach(c->cat_cards, name, v) {
        const char *slug = json_string_value(json_object_get(c->slugs, name));
        p[n].tmpl = IX_PAGE_CATEGORY;
        snprintf(p[n].rel, PATH_MAX, "categories/%s/index.html", slug);
        p[n++].data = page_data(c, 1, "category", name, "category",
            json_pack("{sssssIsO}", "name", name, "slug", slug,
                      "count", (json_int_t)json_array_size(v), "modules", v));
    }
    p[n].tmpl = IX_PAGE_FEED;
    snprintf(p[n].rel, PATH_MAX, "feed.xml");
    p[n++].data = feed_data(c);
    size_t js = n;
    p[n].tmpl = -1;
    snprintf(p[n].rel, PATH_MAX, "search.js");
    int rc = search_js(c, &p[n].out, &p[n].len);
    p[n++].data = json_null();
    for (size_t i = 0; i < nassets; i++, n++) {
        p[n].tmpl = -1;
        snprintf(p[n].rel, PATH_MAX, "assets/%s", a[i].rel);
        p[n].out = a[i].data;
        p[n].len = a[i].len;
        p[n].data = json_null();
    }
    for (size_t i = 0; i < n; i++)
        if (!p[i].data)
            rc = -1;
    if (rc == 0)
        rc = run_batch(c, p, n, jobs);
    else {
        for (size_t i = 0; i < n; i++)
            json_decref(p[i].data);
        rc = wh_fail(c->err, WH_E_NOMEM, NULL, -1, NULL);
    }
    free(p[js].out);          /* search.js's; the assets are the theme's */
    free(p);
    return rc;
}

static int module_pages(cat *c, int jobs)
{
    page *p = calloc(BATCH, sizeof *p);
    int rc = p ? 0 : wh_fail(c->err, WH_E_NOMEM, NULL, -1, NULL);
    for (size_t i = 0; rc == 0 && i < c->nmods; i += BATCH) {
        size_t n = c->nmods - i < BATCH ? c->nmods - i : BATCH;
        memset(p, 0, n * sizeof *p);
        for (size_t k = 0; k < n; k++) {
            const cmod *m = &c->mods[i + k];
            p[k].tmpl = IX_PAGE_MODULE;
            snprintf(p[k].rel, PATH_MAX, "modules/%s/index.html", m->name);
            p[k].data = page_data(c, 1, "module", m->name, "module", module_view(c, m));
            if (!p[k].data)
                rc = wh_fail(c->err, WH_E_NOMEM, m->name, -1, NULL);
        }
        if (rc == 0)
            rc = run_batch(c, p, n, jobs);
        else
            for (size_t k = 0; k < n; k++)
                json_decref(p[k].data);
    }
    free(p);
    return rc;
}

/* --- feed and search data ---------------------------------------------------- */

static int cmp_feed(const void *a, const void *b)
{
    const wh_index_pkg *x = *(wh_index_pkg *const *)a, *y = *(wh_index_pkg *const *)b;
    if (x->published != y->published)
        return x->published > y->published ? -1 : 1;
    int r = strcmp(x->module, y->module);
    return r ? r : cmp_pkg_newest(a, b);
}

static json_t *feed_data(const cat *c)
{
    wh_index_pkg **v = malloc((c->npkgs ? c->npkgs : 1) * sizeof *v);
    json_t *entries = json_array();
    if (!v || !entries) {
        free(v);
        json_decref(entries);
        return NULL;
    }
    for (size_t i = 0; i < c->npkgs; i++)
        v[i] = &c->pkgs[i];
    qsort(v, c->npkgs, sizeof *v, cmp_feed);
    const char *key_id = json_string_value(json_object_get(
                         json_object_get(c->ix->json, "repository"), "key_id"));
    for (size_t i = 0; i < c->npkgs && i < FEED_ENTRIES; i++) {
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
    int64_t updated = c->npkgs ? v[0]->published : c->ix->generated;
    free(v);
    json_t *d = json_copy(c->base[0]), *feed = json_object();
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
static int search_js(const cat *c, char **out, size_t *len)
{
    static const char head[] = "window.WHARF_SEARCH = ", tail[] = ";\n";
    json_t *root = json_pack("{sO}", "modules", c->search);
    char *j = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(root);
    *out = NULL;
    if (!j)
        return -1;
    size_t n = strlen(j);
    char *s = malloc(sizeof head + n * 6 + sizeof tail), *o = s;
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

/* --- removing what is gone ---------------------------------------------------- */

/* Remove path (a file, or a folder and everything in it), through the
 * fault hook; count what was removed. */
static int remove_tree(cat *c, const char *path, int depth)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : wh_fail_errno(c->err, errno, path, "cannot stat");
    if (S_ISDIR(st.st_mode) && depth < 8) {
        DIR *d = opendir(path);
        struct dirent *de;
        char sub[PATH_MAX];
        int rc = d ? 0 : wh_fail_errno(c->err, errno, path, "cannot open folder");
        while (rc == 0 && (de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
                path3(sub, sizeof sub, path, "/", de->d_name))
                rc = remove_tree(c, sub, depth + 1);
        if (d)
            closedir(d);
        if (rc == 0 && rmdir(path) < 0)
            rc = wh_fail_errno(c->err, errno, path, "cannot remove folder");
        return rc;
    }
    if (wh_fs_unlink(path) < 0)
        return wh_fail_errno(c->err, errno, path, "cannot remove");
    c->st->removed++;
    return 0;
}

/* Remove SITE/dir/NAME for every NAME (not hidden) the catalogue did not
 * write this time; in assets/, file by file below. */
static int prune_dir(cat *c, const char *dir)
{
    char path[PATH_MAX], rel[PATH_MAX];
    if (!path3(path, sizeof path, c->site, "/", dir))
        return 0;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char **nv = realloc(names, (n + 1) * sizeof *nv);
        if (!nv || !(nv[n] = strdup(de->d_name))) {
            free(nv ? nv : names);
            names = NULL;
            rc = wh_fail(c->err, WH_E_NOMEM, path, -1, NULL);
            break;
        }
        names = nv;
        n++;
    }
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        snprintf(rel, sizeof rel, "%s/%s", dir, names[i]);
        struct stat st;
        if (rc == 0 && path3(path, sizeof path, c->site, "/", rel) &&
            !json_object_get(c->wanted, rel)) {
            if (!strncmp(dir, "assets", 6) && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                rc = prune_dir(c, rel);
            else
                rc = remove_tree(c, path, 0);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int sync_site(const char *site, wh_err *err)
{
    int fd = open(site, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return wh_fail_errno(err, errno, site, "cannot open");
    int rc = syncfs(fd) < 0 ? wh_fail_errno(err, errno, site, "cannot sync") : 0;
    close(fd);
    return rc;
}

/* --- the catalogue ---------------------------------------------------------- */

static void cat_free(cat *c)
{
    for (size_t i = 0; c->mods && i < c->nmods; i++) {
        free(c->mods[i].v);
        json_decref(c->mods[i].card);
        json_decref(c->mods[i].used_by);
    }
    free(c->mods);
    free(c->pkgs);
    for (int d = 0; d < 2; d++)
        json_decref(c->base[d]);
    json_decref(c->site_full);
    json_decref(c->slugs);
    json_decref(c->slug_used);
    json_decref(c->cat_cards);
    json_decref(c->search);
    json_decref(c->wanted);
}

int ix_catalogue_write(const ix_theme *t, const wh_index *ix,
                       const wh_minisign_pubkey *pk, const char *site,
                       int jobs, ix_cat_stats *st, wh_err *err)
{
    cat c = { .ix = ix, .t = t, .site = site, .st = st, .err = err };
    memset(st, 0, sizeof *st);
    int rc = wh_index_packages(ix, &c.pkgs, &c.npkgs, err);
    if (rc)
        return rc;
    c.slugs = json_object();
    c.slug_used = json_object();
    c.cat_cards = json_object();
    c.search = json_array();
    c.wanted = json_object();
    if (!c.slugs || !c.slug_used || !c.cat_cards || !c.search || !c.wanted || group_modules(&c))
        goto nomem;
    qsort(c.mods, c.nmods, sizeof *c.mods, cmp_mod);
    if (note_dependents(&c) || build_base(&c, pk) || build_cards(&c))
        goto nomem;
    rc = site_pages(&c, jobs);
    if (rc == 0)
        rc = module_pages(&c, jobs);
    static const char *const dirs[] = { "modules", "categories", "assets" };
    for (size_t i = 0; rc == 0 && i < sizeof dirs / sizeof dirs[0]; i++)
        rc = prune_dir(&c, dirs[i]);
    if (rc == 0 && (st->written || st->removed))
        rc = sync_site(site, err);
    cat_free(&c);
    return rc;
nomem:
    cat_free(&c);
    return wh_fail(err, WH_E_NOMEM, site, -1, "cannot build the catalogue");
}

/* catalogue_paged.c - the catalogue of a sharded site, changed as its
 * index changed: a build's cost is what changed, not the repository
 * (docs/catalogue.md, "A paged catalogue").
 *
 * WHAT CHANGED.  The catalogue keeps, in SITE/.wharf-catalogue (not
 * served), the digest of the top level it shows.  Its bins against the
 * current top level's give the modules whose module file changed (a bin
 * both have is skipped whole; a module file is compared by its digest);
 * their old module files (kept --retain seconds after a snapshot drops
 * them) and new ones give what changed in each.  When the old top level
 * is gone, the state is missing or damaged, or the theme or wharf
 * changed, every module counts as changed: the first build (which
 * `wharf-index catalogue` always does, to repair a damaged catalogue).
 *
 * STATE.  Besides the digest: each module's dependents (256 files by the
 * first byte of SHA-256 of the dependency's name), each category's cards,
 * the counts of categories, tags and kinds, and the newest RECENT_KEEP
 * releases.  Files are named by their SHA-256 (f/HEX.json) and the state
 * is committed by one rename of state.json after every page is written,
 * so a build killed anywhere leaves the old state, and the next build
 * does the same changes again (every page is a function of the snapshot
 * and the state, so doing them twice is harmless).
 *
 * WHAT IS RENDERED.  The page of each changed module; of each module
 * whose dependents changed (its "used by") or whose dependency came or
 * went (a link); the search shard of each new bin (search/HEX.js, named
 * by the bin's digest, so written once and cacheable forever) and
 * search.js, which lists them; the pages of categories whose modules
 * changed (CAT_CARDS cards each, by name); the home page (the modules of
 * the newest releases) and the feed.  Pages are written through
 * ix_catalogue_render (only when their bytes change); shards a new
 * search.js no longer names are removed --retain seconds later, like
 * the index's files.
 *
 * Tests: tests/cli/t1111-catalogue-paged.sh; t1106-catalogue-browser.sh
 * (the search in Chromium).
 */
#include "indexer/indexer.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/fs.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/shard.h"

#define STATE_DIR     IX_CATSTATE_DIR
#define STATE_FORMAT  "wharf-catalogue/1"
#define STATE_MAX     ((size_t)256 << 20)
#define RECENT_KEEP   200      /* releases kept for the home page and feed */
#define HOME_RELEASES 50       /* the home page shows the modules of these */
#define CAT_CARDS     1000     /* cards on a category page */

typedef struct pc {
    const ix_theme *t;
    const char     *site;
    const wh_minisign_pubkey *pk;
    int             jobs;
    int64_t         retain, now;
    ix_cat_stats   *st;
    wh_err         *err;
    wh_snap         cur, old;
    int             have_old;
    json_t *state;             /* state.json as read, or NULL: the first build */
    json_t *rdeps[256];        /* dependency -> {dependent: true}, read on use */
    unsigned char rdirty[256];
    json_t *cats;              /* category -> {module: card}, read on use */
    json_t *cat_meta;          /* category -> {"file", "slug"} */
    json_t *cat_dirty;         /* category -> true */
    json_t *labels, *recent, *retired;
    json_t *render;            /* module -> true: pages to render */
    json_t *changed;           /* module -> true: its module file changed */
    json_t *gone;              /* module -> true: pages to remove */
    unsigned char *shard;      /* per current bin: its search shard is new */
    int     cb_rc;             /* a callback's failure */
} pc;

/* --- state files ------------------------------------------------------------ */

static int state_path(char *out, size_t n, const char *site, const char *rel)
{
    return snprintf(out, n, "%s/" STATE_DIR "/%s", site, rel) < (int)n ? 0 : -1;
}

/* f/HEX.json: read, checked against its name, parsed (*out NULL for ""). */
static int state_get(pc *c, const char *hex, json_t **out)
{
    char rel[128], path[PATH_MAX], *bytes = NULL, got[WH_SHA256_HEX];
    size_t len;
    *out = NULL;
    if (!hex || !*hex)
        return 0;
    snprintf(rel, sizeof rel, "f/%.64s.json", hex);
    if (state_path(path, sizeof path, c->site, rel))
        return wh_fail(c->err, WH_E_LIMIT, c->site, -1, "path too long");
    int rc = wh_file_read_stat(path, STATE_MAX, WH_READ_NOFOLLOW, &bytes, &len, NULL, c->err);
    if (rc == 0 && (rc = wh_snap_hash(bytes, len, got, c->err)) == 0 && strcmp(got, hex))
        rc = wh_fail(c->err, WH_E_VERIFY, path, -1, "sha256 is %s, not its name", got);
    if (rc == 0)
        rc = wh_json_parse(bytes, len, path, out, c->err);
    if (rc == 0 && !json_is_object(*out))
        rc = wh_fail(c->err, WH_E_FORMAT, path, -1, "not a JSON object");
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    free(bytes);
    return rc;
}

/* doc as f/HEX.json (written unless there), hex its name. */
static int state_put(pc *c, const json_t *doc, char hex[WH_SHA256_HEX])
{
    char rel[128], path[PATH_MAX], dir[PATH_MAX], *text = NULL;
    size_t len;
    struct stat st;
    int rc = wh_json_canon(doc, &text, &len, c->err);
    if (rc == 0)
        rc = wh_snap_hash(text, len, hex, c->err);
    snprintf(rel, sizeof rel, "f/%s.json", hex);
    if (rc == 0 && (state_path(path, sizeof path, c->site, rel) ||
                    state_path(dir, sizeof dir, c->site, "f")))
        rc = wh_fail(c->err, WH_E_LIMIT, c->site, -1, "path too long");
    if (rc == 0 && lstat(path, &st) != 0)
        rc = wh_file_write_atomic_flags(path, dir, text, len, 0644, WH_WRITE_NOSYNC, c->err);
    free(text);
    return rc;
}

static unsigned rdeps_bin(const char *name)
{
    return (unsigned)wh_snap_bin_of(name, strlen(name), 8);
}

/* The dependents file of name's bin, read on first use. */
static json_t *rdeps_of(pc *c, const char *name)
{
    unsigned b = rdeps_bin(name);
    json_t *doc = NULL, *v;
    const char *k;
    size_t i;
    if (c->rdeps[b] || c->cb_rc)
        return c->rdeps[b];
    const char *hex = json_string_value(json_array_get(json_object_get(c->state, "rdeps"), b));
    if ((c->cb_rc = state_get(c, hex, &doc)) != 0)
        return NULL;
    c->rdeps[b] = json_object();
    json_object_foreach(doc, k, v) {       /* dep -> [dependents]: kept as sets */
        json_t *set = json_object(), *d;
        json_array_foreach(v, i, d)
            if (json_is_string(d))
                json_object_set_new(set, json_string_value(d), json_true());
        json_object_set_new(c->rdeps[b], k, set);
    }
    json_decref(doc);
    if (!c->rdeps[b])
        c->cb_rc = wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    return c->rdeps[b];
}

static json_t *cb_used_by(void *ctx, const char *name)
{
    json_t *r = rdeps_of(ctx, name);
    return json_object_get(r, name);
}

/* Does the current snapshot list module name? */
static int cb_exists(void *ctx, const char *name)
{
    pc *c = ctx;
    json_t *mods;
    if (wh_snap_bin(&c->cur, c->site, wh_snap_bin_of(name, strlen(name), c->cur.bits),
                    &mods, c->err) != 0) {
        c->cb_rc = c->err->code;
        return 0;
    }
    return json_object_get(mods, name) != NULL;
}

/* A category's cards, read on first use. */
static json_t *cat_of(pc *c, const char *name)
{
    json_t *v = json_object_get(c->cats, name), *doc = NULL;
    if (v || c->cb_rc)
        return v;
    const char *hex = json_string_value(json_object_get(json_object_get(c->cat_meta, name),
                                                        "file"));
    if ((c->cb_rc = state_get(c, hex, &doc)) != 0)
        return NULL;
    if (!doc)
        doc = json_object();
    json_object_set_new(c->cats, name, doc);
    return doc;
}

/* --- what changed ------------------------------------------------------------ */

/* Every module any version of versions depends on: name -> true. */
static json_t *deps_of(json_t *versions)
{
    json_t *out = json_object(), *rec, *req;
    const char *ver, *dep;
    json_object_foreach(versions, ver, rec)
        json_object_foreach(json_object_get(rec, "dependencies"), dep, req)
            json_object_set_new(out, dep, json_true());
    return out;
}

static json_t *latest_rec(json_t *versions)
{
    const char *v = versions ? wh_index_latest(versions) : NULL;
    return v ? json_object_get(versions, v) : NULL;
}

static void count_add(json_t *o, const char *key, int d)
{
    json_int_t n = json_integer_value(json_object_get(o, key)) + d;
    if (n > 0)
        json_object_set_new(o, key, json_integer(n));
    else
        json_object_del(o, key);
}

/* The labels of rec (a module's card version) counted with sign d, and
 * its membership of its categories. */
static void labels_apply(pc *c, const char *name, json_t *rec, int d)
{
    json_t *v;
    size_t i;
    if (!rec)
        return;
    json_array_foreach(json_object_get(rec, "categories"), i, v) {
        const char *cat = json_string_value(v);
        if (!cat)
            continue;
        count_add(json_object_get(c->labels, "categories"), cat, d);
        json_t *members = cat_of(c, cat);
        if (members && d < 0)
            json_object_del(members, name);
        else if (members)
            json_object_set_new(members, name, json_null());   /* its card: later */
        json_object_set_new(c->cat_dirty, cat, json_true());
    }
    json_array_foreach(json_object_get(rec, "tags"), i, v)
        if (json_is_string(v))
            count_add(json_object_get(c->labels, "tags"), json_string_value(v), d);
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    if (kind)
        count_add(json_object_get(c->labels, "kinds"), kind, d);
}

/* Newest first; then by name and version, so that the order is total. */
static int cmp_release(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t px = json_integer_value(json_array_get(x, 0));
    json_int_t py = json_integer_value(json_array_get(y, 0));
    if (px != py)
        return px > py ? -1 : 1;
    int r = strcmp(json_string_value(json_array_get(x, 1)), json_string_value(json_array_get(y, 1)));
    return r ? r : strcmp(json_string_value(json_array_get(x, 2)),
                          json_string_value(json_array_get(y, 2)));
}

/* The newest RECENT_KEEP releases of recent, which gets them. */
static int recent_trim(pc *c)
{
    size_t n = json_array_size(c->recent);
    json_t **v = malloc((n + 1) * sizeof *v), *out = json_array();
    if (!v || !out) {
        free(v);
        json_decref(out);
        return wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(c->recent, i);
    qsort(v, n, sizeof *v, cmp_release);
    for (size_t i = 0; i < n && i < RECENT_KEEP; i++)
        json_array_append(out, v[i]);
    free(v);
    json_decref(c->recent);
    c->recent = out;
    return 0;
}

/* Module name went from old to new versions (either NULL): the state
 * follows, and what must be rendered is noted. */
static int module_changed(pc *c, const char *name, json_t *old, json_t *new)
{
    json_t *od = deps_of(old), *nd = deps_of(new), *v;
    const char *dep;
    int rc = od && nd ? 0 : wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    /* Its dependencies' "used by" */
    json_object_foreach(rc == 0 ? od : NULL, dep, v)
        if (!json_object_get(nd, dep) && strcmp(dep, name)) {
            json_t *r = rdeps_of(c, dep), *set = json_object_get(r, dep);
            json_object_del(set, name);
            if (set && json_object_size(set) == 0)
                json_object_del(r, dep);
            c->rdirty[rdeps_bin(dep)] = 1;
            json_object_set_new(c->render, dep, json_true());
        }
    json_object_foreach(rc == 0 ? nd : NULL, dep, v)
        if (!json_object_get(od, dep) && strcmp(dep, name)) {
            json_t *r = rdeps_of(c, dep), *set = json_object_get(r, dep);
            if (r && !set)
                json_object_set_new(r, dep, set = json_object());
            json_object_set_new(set, name, json_true());
            c->rdirty[rdeps_bin(dep)] = 1;
            json_object_set_new(c->render, dep, json_true());
        }
    /* Its dependents' links to it, when it came or went */
    if (rc == 0 && !old != !new) {
        const char *k;
        json_object_foreach(json_object_get(rdeps_of(c, name), name), k, v)
            json_object_set_new(c->render, k, json_true());
    }
    json_decref(od);
    json_decref(nd);
    if (rc == 0) {
        labels_apply(c, name, latest_rec(old), -1);
        labels_apply(c, name, latest_rec(new), +1);
    }
    /* Its releases among the newest */
    for (size_t i = json_array_size(c->recent); rc == 0 && old && i-- > 0;)
        if (!strcmp(json_string_value(json_array_get(json_array_get(c->recent, i), 1)), name))
            json_array_remove(c->recent, i);
    const char *ver;
    json_object_foreach(rc == 0 ? new : NULL, ver, v) {
        json_t *pub = json_object_get(v, "published");     /* none: the index's date */
        json_array_append_new(c->recent, json_pack("[Iss]", pub ? json_integer_value(pub)
                              : (json_int_t)c->cur.generated, name, ver));
    }
    if (json_array_size(c->recent) > 4 * RECENT_KEEP && rc == 0)
        rc = recent_trim(c);
    json_object_set_new(new ? c->render : c->gone, name, json_true());
    if (new)
        json_object_set_new(c->changed, name, json_true());
    return rc ? rc : c->cb_rc;
}

static int read_versions(pc *c, const char *name, const char *hex, json_t **v)
{
    *v = NULL;
    return hex ? wh_snap_module_read(c->site, name, hex, v, c->err) : 0;
}

/* Every module of both snapshots' bins that only one of them has: those
 * whose module file differs changed. */
static int diff_snapshots(pc *c)
{
    json_t *oldb = json_object(), *newb = json_object(), *olds = json_object(),
           *news = json_object(), *mods, *v;
    const char *name;
    int rc = oldb && newb && olds && news ? 0 : wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    for (size_t b = 0; rc == 0 && c->have_old && b < c->old.nbins; b++)
        json_object_set_new(olds, c->old.bins[b], json_true());
    for (size_t b = 0; rc == 0 && b < c->cur.nbins; b++)
        json_object_set_new(news, c->cur.bins[b], json_true());
    for (size_t b = 0; rc == 0 && c->have_old && b < c->old.nbins; b++)
        if (*c->old.bins[b] && !json_object_get(news, c->old.bins[b]) &&
            (rc = wh_snap_bin(&c->old, c->site, b, &mods, c->err)) == 0)
            json_object_update(oldb, mods);
    for (size_t b = 0; rc == 0 && b < c->cur.nbins; b++) {
        c->shard[b] = *c->cur.bins[b] && !json_object_get(olds, c->cur.bins[b]);
        if (c->shard[b] && (rc = wh_snap_bin(&c->cur, c->site, b, &mods, c->err)) == 0)
            json_object_update(newb, mods);
    }
    /* Modules of both: changed when the digests differ; then the rest. */
    json_object_foreach(rc == 0 ? newb : NULL, name, v) {
        const char *oh = json_string_value(json_object_get(oldb, name));
        json_t *ov, *nv;
        if (oh && !strcmp(oh, json_string_value(v)))
            continue;
        if ((rc = read_versions(c, name, oh, &ov)) == 0 &&
            (rc = read_versions(c, name, json_string_value(v), &nv)) == 0)
            rc = module_changed(c, name, ov, nv);
        json_decref(ov);
        json_decref(nv);
        if (rc)
            break;
    }
    json_object_foreach(rc == 0 ? oldb : NULL, name, v) {
        json_t *ov;
        if (json_object_get(newb, name))
            continue;
        if ((rc = read_versions(c, name, json_string_value(v), &ov)) == 0)
            rc = module_changed(c, name, ov, NULL);
        json_decref(ov);
        if (rc)
            break;
    }
    json_decref(oldb);
    json_decref(newb);
    json_decref(olds);
    json_decref(news);
    return rc;
}

/* --- rendering ----------------------------------------------------------------- */

/* Render p[0..n) unless rc says a failure came first (then drop their
 * data), and free p and the bytes made here for page own (SIZE_MAX:
 * none; the others' are the theme's or the renderer's). */
static int render_pages(pc *c, ix_page *p, size_t n, int rc, size_t own)
{
    if (rc == 0)
        rc = ix_catalogue_render(c->t, c->site, p, n, c->jobs, c->st, c->err);
    else
        for (size_t i = 0; i < n; i++)
            json_decref(p[i].data);
    if (own < n)
        free(p[own].out);
    free(p);
    return rc;
}

/* A part of the site as a wh_index that ix_pages can read: the modules
 * of names (name -> true), from the current snapshot. */
static int part_index(pc *c, json_t *names, wh_index *ix)
{
    json_t *mods = json_object(), *v;
    const char *name;
    int rc = mods ? 0 : wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    memset(ix, 0, sizeof *ix);
    json_object_foreach(rc == 0 ? names : NULL, name, v) {
        json_t *versions;
        rc = wh_snap_module(&c->cur, c->site, name, &versions, c->err);
        if (rc == WH_E_NOTFOUND) {      /* not listed (a stale state): nothing to show */
            wh_err_clear(c->err);
            rc = 0;
            continue;
        }
        if (rc)
            break;
        ix->packages += json_object_size(versions);
        json_object_set_new(mods, name, json_pack("{so}", "versions", versions));
    }
    ix->modules = json_object_size(mods);
    ix->head = c->cur.head;
    ix->generated = c->cur.generated;
    ix->json = json_pack("{sOso}", "repository", json_object_get(c->cur.json, "repository"),
                         "modules", mods);
    if (rc == 0 && !ix->json)
        rc = wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    return rc;
}

static int build_pages(pc *c, wh_index *ix, ix_pages **pg, ix_pages_ext *x)
{
    *x = (ix_pages_ext){ .labels = c->labels, .modules = c->cur.modules,
                         .packages = c->cur.packages, .used_by = cb_used_by,
                         .exists = cb_exists, .ctx = c };
    int rc = ix_pages_build_ext(pg, ix, c->pk, x, c->err);
    return rc ? rc : c->cb_rc;
}

/* A card as a category's state keeps it: without the whole record. */
static json_t *cat_card(json_t *card)
{
    json_t *k = json_copy(card);
    if (k)
        json_object_set_new(k, "latest", json_null());
    return k;
}

static int write_shard(pc *c, size_t b, ix_pages *pg, ix_page *p)
{
    char head[128];
    snprintf(head, sizeof head, "window.WHARF_SEARCH_SHARD(\"%s\", ", c->cur.bins[b]);
    json_t *doc = json_pack("{sO}", "modules", ix_pages_search_entries(pg));
    snprintf(p->rel, sizeof p->rel, "search/%s.js", c->cur.bins[b]);
    p->tmpl = -1;
    p->data = json_null();
    int rc = doc ? ix_script_json(head, doc, ");\n", &p->out, &p->len) : -1;
    json_decref(doc);
    return rc ? wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL) : 0;
}

/* Bin b of the current snapshot: the pages of its modules to render, its
 * search shard when it is new, its modules' cards in their categories. */
static int render_bin(pc *c, size_t b)
{
    json_t *mods, *names = json_object(), *v;
    const char *name;
    int rc = wh_snap_bin(&c->cur, c->site, b, &mods, c->err);
    json_object_foreach(rc == 0 ? mods : NULL, name, v)
        if (c->shard[b] || json_object_get(c->render, name))
            json_object_set_new(names, name, json_true());
    if (rc || json_object_size(names) == 0) {
        json_decref(names);
        return rc;
    }
    wh_index ix;
    ix_pages *pg = NULL;
    ix_pages_ext x;
    size_t n = 0, nm;
    ix_page *p = NULL;
    rc = part_index(c, names, &ix);
    if (rc == 0)
        rc = build_pages(c, &ix, &pg, &x);
    nm = rc == 0 ? ix_pages_modules(pg) : 0;
    if (rc == 0 && !(p = calloc(nm + 1, sizeof *p)))
        rc = wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    for (size_t i = 0; rc == 0 && i < nm; i++) {
        name = ix_pages_module_name(pg, i);
        json_t *card = ix_pages_card(pg, i), *cv;
        size_t k;
        json_array_foreach(json_object_get(c->changed, name) ? json_object_get(
                           json_object_get(card, "latest"), "categories") : NULL, k, cv) {
            json_t *members = cat_of(c, json_string_value(cv));
            if (members && json_object_get(members, name))   /* a member */
                json_object_set_new(members, name, cat_card(card));
        }
        if (!json_object_get(c->render, name))
            continue;
        p[n].tmpl = IX_PAGE_MODULE;
        p[n].data = ix_pages_module(pg, i, p[n].rel);
        if (!p[n++].data)
            rc = wh_fail(c->err, WH_E_NOMEM, name, -1, NULL);
    }
    if (rc == 0 && c->cb_rc)
        rc = c->cb_rc;
    size_t own = SIZE_MAX;
    if (rc == 0 && c->shard[b])
        rc = write_shard(c, b, pg, &p[own = n++]);
    rc = render_pages(c, p, n, rc, own);
    ix_pages_free(pg);
    wh_index_free(&ix);
    json_decref(names);
    return rc;
}

static int cmp_card_name(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "name")),
                  json_string_value(json_object_get(*(json_t *const *)b, "name")));
}

/* Category name's page: its first CAT_CARDS cards by name. */
static int category_page(pc *c, ix_pages *pg, const char *name, ix_page *p)
{
    json_t *members = cat_of(c, name), *cards = json_array(), *v;
    const char *k;
    size_t n = json_object_size(members), i = 0;
    json_t **all = malloc((n + 1) * sizeof *all);
    if (!all || !cards || c->cb_rc) {
        free(all);
        json_decref(cards);
        return c->cb_rc ? c->cb_rc : wh_fail(c->err, WH_E_NOMEM, name, -1, NULL);
    }
    json_object_foreach(members, k, v)
        if (json_is_object(v) && json_is_string(json_object_get(v, "name")))
            all[i++] = v;
    qsort(all, i, sizeof *all, cmp_card_name);
    for (size_t j = 0; j < i && j < CAT_CARDS; j++)
        json_array_append(cards, all[j]);
    free(all);
    p->tmpl = IX_PAGE_CATEGORY;
    p->data = ix_pages_category_cards(pg, name, cards, i, p->rel);
    return p->data ? 0 : wh_fail(c->err, WH_E_NOMEM, name, -1, NULL);
}

/* search.js: the shards of the current snapshot's non-empty bins. */
static int search_manifest(pc *c, ix_page *p)
{
    json_t *shards = json_array(), *doc;
    for (size_t b = 0; shards && b < c->cur.nbins; b++)
        if (*c->cur.bins[b])
            json_array_append_new(shards, json_string(c->cur.bins[b]));
    doc = json_pack("{sosIsb}", "shards", shards, "modules", (json_int_t)c->cur.modules,
                    "paged", 1);
    snprintf(p->rel, sizeof p->rel, "search.js");
    p->tmpl = -1;
    p->data = json_null();
    int rc = doc ? ix_script_json("window.WHARF_SEARCH = ", doc, ";\n", &p->out, &p->len) : -1;
    json_decref(doc);
    return rc ? wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL) : 0;
}

/* Home, feed, search.js, changed categories, assets. */
static int site_pages(pc *c)
{
    json_t *names = json_object(), *v;
    const char *k;
    size_t i, nassets, n = 0;
    const ix_asset *a = ix_theme_assets(c->t, &nassets);
    json_array_foreach(c->recent, i, v)
        if (i < HOME_RELEASES)
            json_object_set_new(names, json_string_value(json_array_get(v, 1)), json_true());
    wh_index ix = { 0 };
    ix_pages *pg = NULL;
    ix_pages_ext x;
    ix_page *p = calloc(json_object_size(c->cat_dirty) + nassets + 3, sizeof *p);
    int rc = p ? part_index(c, names, &ix) : wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    if (rc == 0)
        rc = build_pages(c, &ix, &pg, &x);
    if (rc == 0) {
        p[n].tmpl = IX_PAGE_HOME;
        p[n].data = ix_pages_home(pg, p[n].rel);
        rc = p[n++].data ? 0 : wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    }
    if (rc == 0) {
        p[n].tmpl = IX_PAGE_FEED;
        p[n].data = ix_pages_feed(pg, p[n].rel);
        rc = p[n++].data ? 0 : wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    }
    size_t own = SIZE_MAX;
    if (rc == 0)
        rc = search_manifest(c, &p[own = n++]);
    json_object_foreach(rc == 0 ? c->cat_dirty : NULL, k, v)
        if (json_object_get(json_object_get(c->labels, "categories"), k) &&
            (rc = category_page(c, pg, k, &p[n++])) != 0)
            break;
    for (i = 0; rc == 0 && i < nassets; i++, n++) {
        p[n].tmpl = -1;
        snprintf(p[n].rel, PATH_MAX, "assets/%s", a[i].rel);
        p[n].out = a[i].data;
        p[n].len = a[i].len;
        p[n].data = json_null();
    }
    rc = p ? render_pages(c, p, n, rc, own) : rc;
    ix_pages_free(pg);
    wh_index_free(&ix);
    json_decref(names);
    return rc;
}

/* --- removing ------------------------------------------------------------------ */

/* The folders of modules no longer listed and of categories with no module
 * left (by the slug the state kept). */
static int remove_gone(pc *c)
{
    json_t *v;
    const char *k;
    char rel[PATH_MAX];
    int rc = 0;
    json_object_foreach(c->gone, k, v)
        if (rc == 0 && snprintf(rel, sizeof rel, "modules/%s", k) < (int)sizeof rel)
            rc = ix_catalogue_remove(c->site, rel, c->st, c->err);
    json_object_foreach(c->cat_dirty, k, v) {
        const char *slug = json_string_value(json_object_get(json_object_get(c->cat_meta, k),
                                                             "slug"));
        if (rc == 0 && slug && !json_object_get(json_object_get(c->labels, "categories"), k) &&
            snprintf(rel, sizeof rel, "categories/%s", slug) < (int)sizeof rel)
            rc = ix_catalogue_remove(c->site, rel, c->st, c->err);
    }
    return rc;
}

/* The first build: entries of dir (modules/, categories/, search/,
 * assets/) that keep(name) refuses go (search shards by the retired
 * list). */
static int prune_first(pc *c, const char *dir, int (*keep)(pc *, const char *))
{
    char path[PATH_MAX], rel[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", c->site, dir);
    DIR *d = opendir(path);
    struct dirent *de;
    json_t *drop = json_array(), *v;
    size_t i;
    int rc = drop ? 0 : wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    while (rc == 0 && d && (de = readdir(d)))
        if (de->d_name[0] != '.' && !keep(c, de->d_name))
            json_array_append_new(drop, json_string(de->d_name));
    if (d)
        closedir(d);
    json_array_foreach(drop, i, v) {
        snprintf(rel, sizeof rel, "%s/%s", dir, json_string_value(v));
        if (rc == 0 && !strcmp(dir, "search"))
            json_object_set_new(c->retired, rel, json_integer(c->now));
        else if (rc == 0)
            rc = ix_catalogue_remove(c->site, rel, c->st, c->err);
    }
    json_decref(drop);
    return rc;
}

static int keep_module(pc *c, const char *name)
{
    return cb_exists(c, name);
}

static int keep_category(pc *c, const char *slug)
{
    json_t *v;
    const char *k;
    json_object_foreach(c->cat_meta, k, v)
        if (!strcmp(json_string_value(json_object_get(v, "slug")), slug))
            return 1;
    return 0;
}

/* An asset of the theme, or a folder of one. */
static int keep_asset(pc *c, const char *name)
{
    size_t n, k = strlen(name);
    const ix_asset *a = ix_theme_assets(c->t, &n);
    for (size_t i = 0; i < n; i++)
        if (!strncmp(a[i].rel, name, k) && (a[i].rel[k] == '\0' || a[i].rel[k] == '/'))
            return 1;
    return 0;
}

static int keep_shard(pc *c, const char *file)
{
    for (size_t b = 0; b < c->cur.nbins; b++)
        if (*c->cur.bins[b] && !strncmp(file, c->cur.bins[b], 64) && !strcmp(file + 64, ".js"))
            return 1;
    return 0;
}

/* --- the state, read and committed -------------------------------------------------- */

/* Is every value of doc what this file writes?  (A state a disk or a
 * hand damaged is no state: the first build again, never a crash.) */
static int state_shaped(json_t *doc)
{
    json_t *v, *labels = json_object_get(doc, "labels");
    const char *k;
    size_t i;
    json_array_foreach(json_object_get(doc, "recent"), i, v)
        if (json_array_size(v) != 3 || !json_is_integer(json_array_get(v, 0)) ||
            !json_is_string(json_array_get(v, 1)) || !json_is_string(json_array_get(v, 2)))
            return 0;
    for (const char *const *l = (const char *const[]){ "categories", "tags", "kinds", NULL }; *l; l++) {
        json_t *o = json_object_get(labels, *l);
        if (!json_is_object(o))
            return 0;
        json_object_foreach(o, k, v)
            if (!json_is_integer(v))
                return 0;
    }
    json_object_foreach(json_object_get(doc, "retired"), k, v)
        if (!json_is_integer(v) || strncmp(k, "search/", 7) || strstr(k, ".."))
            return 0;
    return 1;
}

/* Is every file doc names there? */
static int state_files_there(pc *c, json_t *doc)
{
    char rel[128], path[PATH_MAX];
    struct stat st;
    json_t *v;
    const char *k;
    size_t i;
    json_array_foreach(json_object_get(doc, "rdeps"), i, v) {
        const char *h = json_string_value(v);
        if (!h || (*h && (!wh_hex_is_lower(h, 64) || h[64] || snprintf(rel, sizeof rel, "f/%s.json", h) < 0 ||
                          state_path(path, sizeof path, c->site, rel) || lstat(path, &st))))
            return 0;
    }
    json_object_foreach(json_object_get(doc, "categories"), k, v) {
        const char *h = json_string_value(json_object_get(v, "file"));
        const char *slug = json_string_value(json_object_get(v, "slug"));
        /* a slug names a folder to remove: make_slug's letters only */
        if (!slug || strspn(slug, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(slug))
            return 0;
        if (!h ||
            (*h && (!wh_hex_is_lower(h, 64) || h[64] || snprintf(rel, sizeof rel, "f/%s.json", h) < 0 ||
                    state_path(path, sizeof path, c->site, rel) || lstat(path, &st))))
            return 0;
    }
    return 1;
}

/* state.json, when it is of this format, theme and wharf, and its top
 * level is still there; else the first build (c->state NULL). */
static void state_load(pc *c)
{
    char path[PATH_MAX], *bytes;
    size_t len;
    json_t *doc = NULL;
    wh_err e;
    if (state_path(path, sizeof path, c->site, "state.json") ||
        wh_file_read_stat(path, STATE_MAX, WH_READ_NOFOLLOW, &bytes, &len, NULL, &e))
        return;
    int rc = wh_json_parse(bytes, len, path, &doc, &e);
    free(bytes);
    const char *f = json_string_value(json_object_get(doc, "format"));
    const char *th = json_string_value(json_object_get(doc, "theme"));
    const char *wv = json_string_value(json_object_get(doc, "wharf"));
    const char *snap = json_string_value(json_object_get(doc, "snapshot"));
    if (rc || !f || strcmp(f, STATE_FORMAT) || !th || strcmp(th, ix_theme_id(c->t)) ||
        !wv || strcmp(wv, WHARF_VERSION) || !snap ||
        json_array_size(json_object_get(doc, "rdeps")) != 256 ||
        !json_is_object(json_object_get(doc, "categories")) ||
        !json_is_object(json_object_get(doc, "labels")) ||
        !json_is_array(json_object_get(doc, "recent")) ||
        !json_is_object(json_object_get(doc, "retired")) ||
        !state_shaped(doc) || !state_files_there(c, doc) ||
        wh_snap_load_hash(&c->old, c->site, snap, &e) != 0) {
        json_decref(doc);
        return;
    }
    c->have_old = 1;
    c->state = doc;
}

/* The state files that changed, then state.json: the commit; then the
 * files it no longer names, and shards retired long enough ago. */
static int state_commit(pc *c)
{
    char hex[WH_SHA256_HEX], path[PATH_MAX], dir[PATH_MAX], *text;
    json_t *rd = json_array(), *cats = json_object(), *v, *keep = json_object();
    const char *k;
    size_t len;
    int rc = rd && cats && keep ? 0 : wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    for (unsigned b = 0; rc == 0 && b < 256; b++) {
        const char *old = json_string_value(json_array_get(json_object_get(c->state, "rdeps"), b));
        snprintf(hex, sizeof hex, "%s", old ? old : "");
        if (c->rdirty[b] && json_object_size(c->rdeps[b])) {
            json_t *doc = json_object(), *set;
            json_object_foreach(c->rdeps[b], k, set) {
                json_t *arr = json_array();
                const char *d;
                json_t *t;
                json_object_foreach(set, d, t)
                    json_array_append_new(arr, json_string(d));
                json_object_set_new(doc, k, arr);
            }
            rc = state_put(c, doc, hex);
            json_decref(doc);
        } else if (c->rdirty[b])
            *hex = '\0';
        json_array_append_new(rd, json_string(hex));
        if (*hex)
            json_object_set_new(keep, hex, json_true());
    }
    json_object_foreach(rc == 0 ? c->cat_meta : NULL, k, v) {
        json_t *members = json_object_get(c->cats, k);
        const char *file = json_string_value(json_object_get(v, "file"));
        if (!json_object_get(json_object_get(c->labels, "categories"), k))
            continue;                         /* no module left in it */
        if (members && json_object_get(c->cat_dirty, k) && (rc = state_put(c, members, hex)))
            break;
        json_object_set_new(cats, k, json_pack("{ssss}", "file", members &&
                            json_object_get(c->cat_dirty, k) ? hex : file ? file : "",
                            "slug", json_string_value(json_object_get(v, "slug"))));
        json_object_set_new(keep, json_string_value(json_object_get(json_object_get(cats, k),
                                                                    "file")), json_true());
    }
    /* shards retired long enough ago go */
    json_t *retired = json_object();
    json_object_foreach(rc == 0 ? c->retired : NULL, k, v) {
        if (json_integer_value(v) + c->retain <= c->now) {
            snprintf(path, sizeof path, "%s/%s", c->site, k);
            if (wh_fs_unlink(path) == 0)
                c->st->removed++;
        } else
            json_object_set(retired, k, v);
    }
    json_t *doc = rc ? NULL : json_pack("{sssssssssOsOsOsOsO}", "format", STATE_FORMAT,
        "snapshot", c->cur.head.sha256, "theme", ix_theme_id(c->t), "wharf", WHARF_VERSION,
        "rdeps", rd, "categories", cats, "labels", c->labels, "recent", c->recent,
        "retired", retired);
    if (rc == 0 && !doc)
        rc = wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    if (rc == 0 && (rc = ix_site_sync(c->site, c->err)) == 0 &&
        (rc = wh_json_canon(doc, &text, &len, c->err)) == 0) {
        state_path(path, sizeof path, c->site, "state.json");
        state_path(dir, sizeof dir, c->site, "");
        rc = wh_file_write_atomic_flags(path, dir, text, len, 0644, 0, c->err);
        free(text);
    }
    /* state files no longer named */
    DIR *d = rc == 0 && state_path(dir, sizeof dir, c->site, "f") == 0 ? opendir(dir) : NULL;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char name[WH_SHA256_HEX + 8];
        if (de->d_name[0] == '.' || strlen(de->d_name) != 69)
            continue;
        snprintf(name, sizeof name, "%.64s", de->d_name);
        if (!json_object_get(keep, name) &&
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name) < (int)sizeof path)
            wh_fs_unlink(path);
    }
    if (d)
        closedir(d);
    json_decref(doc);
    json_decref(rd);
    json_decref(cats);
    json_decref(keep);
    json_decref(retired);
    return rc;
}

/* Slugs for categories new to the state: as the page data makes them
 * (a part index of no module, the site's labels). */
static int note_slugs(pc *c)
{
    json_t *v, *none = json_object();
    const char *k;
    wh_index ix = { 0 };
    ix_pages *pg = NULL;
    ix_pages_ext x;
    int rc = none ? part_index(c, none, &ix) : wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    if (rc == 0)
        rc = build_pages(c, &ix, &pg, &x);
    json_object_foreach(rc == 0 ? json_object_get(c->labels, "categories") : NULL, k, v) {
        const char *slug = ix_pages_slug(pg, k);
        json_t *m = json_object_get(c->cat_meta, k);
        if (!m)
            json_object_set_new(c->cat_meta, k, m = json_pack("{ssss}", "file", "", "slug", ""));
        if (slug)
            json_object_set_new(m, "slug", json_string(slug));
    }
    ix_pages_free(pg);
    wh_index_free(&ix);
    json_decref(none);
    return rc;
}

/* Each category page lists the categories: when one came or went (or on
 * the first build), every category page is rendered. */
static int categories_listed(pc *c, json_t *before)
{
    json_t *now = json_object_get(c->labels, "categories"), *v;
    const char *k;
    int same = c->have_old && json_object_size(before) == json_object_size(now);
    json_object_foreach(same ? now : NULL, k, v)
        if (!json_object_get(before, k))
            same = 0;
    json_object_foreach(same ? NULL : now, k, v)
        if (json_object_set_new(c->cat_dirty, k, json_true()))
            return wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    return 0;
}

/* --- the catalogue ------------------------------------------------------------- */

static int setup(pc *c, int full)
{
    if (!full)
        state_load(c);
    json_t *s = c->state;
    c->cats = json_object();
    c->cat_dirty = json_object();
    c->render = json_object();
    c->changed = json_object();
    c->gone = json_object();
    c->cat_meta = s ? json_deep_copy(json_object_get(s, "categories")) : json_object();
    c->labels = s ? json_deep_copy(json_object_get(s, "labels"))
                  : json_pack("{s{}s{}s{}}", "categories", "tags", "kinds");
    c->recent = s ? json_deep_copy(json_object_get(s, "recent")) : json_array();
    c->retired = s ? json_deep_copy(json_object_get(s, "retired")) : json_object();
    c->shard = calloc(c->cur.nbins, 1);
    for (const char *const *l = (const char *const[]){ "categories", "tags", "kinds", NULL }; *l; l++)
        if (!json_is_object(json_object_get(c->labels, *l)))
            json_object_set_new(c->labels, *l, json_object());
    if (!c->cats || !c->cat_dirty || !c->render || !c->changed || !c->gone || !c->cat_meta ||
        !c->labels || !c->recent || !c->retired || !c->shard)
        return wh_fail(c->err, WH_E_NOMEM, c->site, -1, NULL);
    return 0;
}

/* Shards of bins the new snapshot dropped: retired. */
static void retire_shards(pc *c)
{
    json_t *news = json_object();
    char rel[PATH_MAX];
    for (size_t b = 0; b < c->cur.nbins; b++)
        json_object_set_new(news, c->cur.bins[b], json_true());
    for (size_t b = 0; c->have_old && b < c->old.nbins; b++)
        if (*c->old.bins[b] && !json_object_get(news, c->old.bins[b])) {
            snprintf(rel, sizeof rel, "search/%s.js", c->old.bins[b]);
            json_object_set_new(c->retired, rel, json_integer(c->now));
        }
    for (size_t b = 0; b < c->cur.nbins; b++) {     /* named again */
        snprintf(rel, sizeof rel, "search/%s.js", c->cur.bins[b]);
        json_object_del(c->retired, rel);
    }
    json_decref(news);
}

int ix_catalogue_paged(const ix_theme *t, const char *site, const wh_minisign_pubkey *pk,
                       int jobs, int64_t retain, int full, ix_cat_stats *st, wh_err *err)
{
    pc c = { .t = t, .site = site, .pk = pk, .jobs = jobs, .retain = retain,
             .now = (int64_t)time(NULL), .st = st, .err = err };
    char dir[PATH_MAX];
    memset(st, 0, sizeof *st);
    int rc = wh_snap_load(&c.cur, site, pk, err);
    if (rc)
        return rc;
    if (state_path(dir, sizeof dir, site, "f") || (rc = wh_mkdirs(dir, err)) != 0 ||
        (rc = setup(&c, full)) != 0)
        goto out;
    json_t *cats_before = json_deep_copy(json_object_get(c.labels, "categories"));
    rc = diff_snapshots(&c);
    if (rc == 0)
        rc = recent_trim(&c);
    if (rc == 0)        /* the list of categories changed: every category page */
        rc = categories_listed(&c, cats_before);
    json_decref(cats_before);
    if (rc == 0)
        rc = note_slugs(&c);
    for (size_t b = 0; rc == 0 && b < c.cur.nbins; b++)
        rc = render_bin(&c, b);
    if (rc == 0)
        rc = remove_gone(&c);
    if (rc == 0 && !c.have_old) {           /* the first build: what no state names */
        rc = prune_first(&c, "modules", keep_module);
        if (rc == 0)
            rc = prune_first(&c, "categories", keep_category);
        if (rc == 0)
            rc = prune_first(&c, "search", keep_shard);
        if (rc == 0)
            rc = prune_first(&c, "assets", keep_asset);
    }
    retire_shards(&c);
    if (rc == 0)
        rc = site_pages(&c);
    if (rc == 0)
        rc = state_commit(&c);
out:
    wh_snap_free(&c.cur);
    if (c.have_old)
        wh_snap_free(&c.old);
    json_decref(c.state);
    for (unsigned b = 0; b < 256; b++)
        json_decref(c.rdeps[b]);
    json_decref(c.cats);
    json_decref(c.cat_meta);
    json_decref(c.cat_dirty);
    json_decref(c.labels);
    json_decref(c.recent);
    json_decref(c.retired);
    json_decref(c.render);
    json_decref(c.changed);
    json_decref(c.gone);
    free(c.shard);
    return rc;
}

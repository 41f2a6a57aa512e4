/* catalogue.c - the HTML catalogue of a site: each page rendered with a
 * theme from the page data (pagedata.c), and written only when it changes.
 *
 * RENDERING.  Pages are rendered in batches: the page data of a batch is
 * built on this thread, the pages rendered and compared with the files on
 * disk on `jobs` threads (a compiled template and shared jansson values
 * are read-only), then the pages whose bytes changed are written here, in
 * order, each by rename from a temporary in SITE itself, where the next
 * build's clean-up finds what a killed one left without opening ten
 * thousand folders (atomic, no fsync; one syncfs at the end: the
 * pages are derived from an index that is already durable, and a page a
 * power cut damaged differs from what the next build renders, so that
 * build rewrites it).  Writing on one thread keeps the fault hook's count
 * of writes deterministic.  An HTML page is its template's output inside
 * the layout's {{{content}}}; the feed is its template's alone.
 *
 * WHAT CHANGED.  A page is compared with the file it would replace, so an
 * unchanged rebuild writes only the home page (which shows the serial);
 * a new page's folder costs one mkdir.  Afterwards the folders of modules
 * and categories no longer listed, and assets the theme no longer has,
 * are removed.
 *
 * SAFETY.  Package strings reach a page only through the template's
 * escaping; control characters and U+FFFE/U+FFFF, which XML forbids, are
 * replaced on the rendered page (scrub_controls).
 *
 * Tests: tests/cli/t1107-catalogue.sh (pages, escaping, rewrites, kill -9
 * at every write), t1106-catalogue-browser.sh (in Chromium).
 */
#include "indexer/indexer.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/shard.h"
#include "common/fs.h"

#define MAX_PAGE      ((size_t)128 << 20)   /* bytes of one rendered page */
#define BATCH         256                   /* pages rendered at once */

typedef struct cat {
    const ix_theme *t;
    const ix_pages *pg;
    const char     *site;
    json_t         *wanted;    /* "modules/x", "categories/y", "assets/z" -> true */
    ix_cat_stats   *st;
    wh_err         *err;
} cat;

/* --- small helpers ---------------------------------------------------------- */

/* "a/b" + "/" + c, or NULL when it does not fit. */
static char *path3(char *buf, size_t n, const char *a, const char *b, const char *c)
{
    return snprintf(buf, n, "%s%s%s", a, b, c) < (int)n ? buf : NULL;
}

/* --- pages ----------------------------------------------------------------- */

typedef ix_page page;

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

/* Control characters (all of C0 but tab, LF and CR; DEL) and the
 * noncharacters U+FFFE and U+FFFF are invalid in XML and mean nothing in
 * HTML but trouble (a package description may hold ESC): each becomes
 * U+FFFD on the page.  Templates have none. */
static int scrub_controls(char **out, size_t *len)
{
    size_t bad = 0;
    unsigned char *u = (unsigned char *)*out;
    for (size_t i = 0; i + 2 < *len; i++)       /* same length: in place */
        if (u[i] == 0xef && u[i + 1] == 0xbf && (u[i + 2] == 0xbe || u[i + 2] == 0xbf))
            u[i + 2] = 0xbd;
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
        rc = wh_file_write_atomic_flags(path, c->site, p->out, p->len, 0644,
                                        WH_WRITE_NOSYNC, c->err);
    c->st->written += rc == 0;
    return rc;
}

/* The folder ("modules/x", "assets/y") a page keeps from the prune. */
static int want(cat *c, const char *rel)
{
    char top[PATH_MAX];
    if (!c->wanted)
        return 0;
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

/* The pages that are not per module: home, categories, feed, search.js,
 * assets, in one batch (their number is the categories' plus a few). */
static int site_pages(cat *c, int jobs)
{
    size_t nassets, ncat = ix_pages_categories(c->pg);
    const ix_asset *a = ix_theme_assets(c->t, &nassets);
    size_t n = 0, js;
    page *p = calloc(ncat + nassets + 3, sizeof *p);
    if (!p)
        return wh_fail(c->err, WH_E_NOMEM, NULL, -1, NULL);
    p[n].tmpl = IX_PAGE_HOME;
    p[n].data = ix_pages_home(c->pg, p[n].rel);
    n++;
    for (size_t i = 0; i < ncat; i++, n++) {
        p[n].tmpl = IX_PAGE_CATEGORY;
        p[n].data = ix_pages_category(c->pg, i, p[n].rel);
    }
    p[n].tmpl = IX_PAGE_FEED;
    p[n].data = ix_pages_feed(c->pg, p[n].rel);
    js = ++n;
    p[n].tmpl = -1;
    snprintf(p[n].rel, PATH_MAX, "search.js");
    int rc = ix_pages_search_js(c->pg, &p[n].out, &p[n].len);
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
    size_t nmods = ix_pages_modules(c->pg);
    page *p = calloc(BATCH, sizeof *p);
    int rc = p ? 0 : wh_fail(c->err, WH_E_NOMEM, NULL, -1, NULL);
    for (size_t i = 0; rc == 0 && i < nmods; i += BATCH) {
        size_t n = nmods - i < BATCH ? nmods - i : BATCH;
        memset(p, 0, n * sizeof *p);
        for (size_t k = 0; k < n; k++) {
            p[k].tmpl = IX_PAGE_MODULE;
            if (!(p[k].data = ix_pages_module(c->pg, i + k, p[k].rel)))
                rc = wh_fail(c->err, WH_E_NOMEM, p[k].rel, -1, NULL);
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

int ix_catalogue_render(const ix_theme *t, const char *site, ix_page *p, size_t n,
                        int jobs, ix_cat_stats *st, wh_err *err)
{
    cat c = { .t = t, .site = site, .st = st, .err = err };
    int rc = 0;
    for (size_t i = 0; i < n; i += BATCH)
        if (rc == 0)
            rc = run_batch(&c, p + i, n - i < BATCH ? n - i : BATCH, jobs);
        else
            for (size_t k = i; k < n && k < i + BATCH; k++)
                json_decref(p[k].data);
    return rc;
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

int ix_catalogue_remove(const char *site, const char *rel, ix_cat_stats *st,
                        wh_err *err)
{
    char path[PATH_MAX];
    cat c = { .site = site, .st = st, .err = err };
    if (!path3(path, sizeof path, site, "/", rel))
        return wh_fail(err, WH_E_LIMIT, rel, -1, "path too long");
    return remove_tree(&c, path, 0);
}

/* --- the catalogue ---------------------------------------------------------- */

int ix_catalogue_write(const ix_theme *t, const wh_index *ix,
                       const wh_minisign_pubkey *pk, const char *site,
                       int jobs, ix_cat_stats *st, wh_err *err)
{
    static const char *const dirs[] = { "modules", "categories", "assets" };
    ix_pages *pg;
    memset(st, 0, sizeof *st);
    int rc = ix_pages_build(&pg, ix, pk, err);
    if (rc)
        return rc;
    cat c = { .t = t, .pg = pg, .site = site, .wanted = json_object(),
              .st = st, .err = err };
    rc = c.wanted ? site_pages(&c, jobs) : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0)
        rc = module_pages(&c, jobs);
    for (size_t i = 0; rc == 0 && i < sizeof dirs / sizeof dirs[0]; i++)
        rc = prune_dir(&c, dirs[i]);
    if (rc == 0 && (st->written || st->removed))
        rc = ix_site_sync(site, err);
    json_decref(c.wanted);
    ix_pages_free(pg);
    return rc;
}

int ix_catalogue_site(const ix_theme *t, const char *site,
                      const wh_minisign_pubkey *pk, int jobs,
                      ix_cat_stats *st, wh_err *err)
{
    wh_index ix;
    memset(st, 0, sizeof *st);
    int rc = wh_site_index_load(&ix, site, pk, err);
    if (rc == 0)
        rc = ix_catalogue_write(t, &ix, pk, site, jobs, st, err);
    wh_index_free(&ix);
    return rc;
}

void ix_catalogue_summary(const ix_cat_stats *st)
{
    printf("catalogue: %zu file%s, %zu written", st->pages,
           st->pages == 1 ? "" : "s", st->written);
    if (st->removed)
        printf(", %zu removed", st->removed);
    printf("\n");
}

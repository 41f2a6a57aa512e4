/* theme.c - a catalogue theme: a folder of Mustache templates and the
 * assets that go with them (docs/catalogue.md, "A theme").
 *
 * ix_theme_load reads and compiles every template, and every partial they
 * name, and reads every asset, before the build writes anything: a
 * mistake in a theme stops the build with its file, line and column, and
 * the site keeps its old pages.  The compiled theme is immutable, so the
 * catalogue renders pages on several threads with it.
 *
 * A partial is named in a tag by the theme's author ({{>card}}) and read
 * from DIR/NAME.mustache: the name must be a plain file name (letters,
 * digits, '-', '_'), so a tag cannot reach outside the folder.  An unknown
 * partial renders as nothing, as the Mustache spec requires.  Assets are
 * the regular files below DIR/assets/ (hidden names skipped, links
 * refused), capped in number and size.
 *
 * The default theme is found without configuration: next to an installed
 * binary (BIN/../share/wharf/templates), else in the source tree the
 * binary was built from (the build tree's binaries, tests, make demo),
 * else under the PREFIX it was built for.
 *
 * Tests: tests/cli/t1107-catalogue.sh.
 */
#include "indexer/indexer.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/hex.h"
#include "common/mustache.h"
#include "common/sha256.h"

#ifndef WHARF_TEMPLATES_SRC
#define WHARF_TEMPLATES_SRC "site-templates"
#endif
#ifndef WHARF_TEMPLATES_DIR
#define WHARF_TEMPLATES_DIR "/usr/local/share/wharf/templates"
#endif

#define MAX_TEMPLATE   ((size_t)1 << 20)      /* bytes of one template */
#define MAX_ASSET      ((size_t)16 << 20)     /* bytes of one asset */
#define MAX_ASSETS     1000
#define MAX_ASSET_SUM  ((size_t)64 << 20)

/* The templates a theme must have, in ix_theme's order. */
static const char *const page_names[IX_THEME_PAGES] = {
    "layout", "home", "module", "category", "feed",
};

struct ix_theme {
    char        *dir;
    wh_sha256    h;             /* of every file read, in order */
    char         id[WH_SHA256_HEX];
    wh_mustache *page[IX_THEME_PAGES];
    ix_asset    *assets;
    size_t       nassets, asset_bytes;
};

typedef struct partial_ctx {
    const char *dir;
    char       *text;       /* the last partial read */
    ix_theme   *t;
} partial_ctx;

static int plain_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

static int read_partial(void *vctx, const char *name, const char **text,
                        size_t *len, wh_err *err)
{
    partial_ctx *c = vctx;
    char path[PATH_MAX];
    free(c->text);
    c->text = NULL;
    *text = NULL;
    if (!plain_name(name))
        return wh_fail(err, WH_E_FORMAT, c->dir, -1, "partial '%s' is not a "
                       "plain name (letters, digits, '-', '_')", name);
    if (snprintf(path, sizeof path, "%s/%s.mustache", c->dir, name) >= (int)sizeof path)
        return wh_fail(err, WH_E_LIMIT, c->dir, -1, "path too long");
    struct stat st;
    if (stat(path, &st) < 0 && errno == ENOENT)
        return 0;                      /* an unknown partial is empty */
    int rc = wh_file_read(path, MAX_TEMPLATE, &c->text, len, err);
    *text = c->text;
    if (rc == 0) {
        wh_sha256_update(&c->t->h, name, strlen(name) + 1);
        wh_sha256_update(&c->t->h, c->text, *len);
    }
    return rc;
}

static int compile_page(ix_theme *t, int i, wh_err *err)
{
    char path[PATH_MAX], *text = NULL;
    size_t len;
    partial_ctx pc = { t->dir, NULL, t };
    if (snprintf(path, sizeof path, "%s/%s.mustache", t->dir, page_names[i])
        >= (int)sizeof path)
        return wh_fail(err, WH_E_LIMIT, t->dir, -1, "path too long");
    int rc = wh_file_read(path, MAX_TEMPLATE, &text, &len, err);
    if (rc == 0) {
        wh_sha256_update(&t->h, page_names[i], strlen(page_names[i]) + 1);
        wh_sha256_update(&t->h, text, len);
    }
    if (rc == 0)
        rc = wh_mustache_compile(&t->page[i], path, text, len, read_partial,
                                 &pc, err);
    /* The compiler names a partial as its tag does ("card"); name the file. */
    if (rc && err->line > 0 && plain_name(err->path) &&
        snprintf(path, sizeof path, "%s/%s.mustache", t->dir, err->path) < (int)sizeof path &&
        strlen(path) < sizeof err->path)
        snprintf(err->path, sizeof err->path, "%s", path);
    free(pc.text);
    free(text);
    return rc;
}

static int add_asset(const char *path, const char *rel, const struct stat *st,
                     void *ctx)
{
    ix_theme *t = ctx;
    if (S_ISDIR(st->st_mode))
        return 0;
    if (!S_ISREG(st->st_mode))
        return -1;
    if (t->nassets == MAX_ASSETS || (uint64_t)st->st_size > MAX_ASSET ||
        t->asset_bytes + (size_t)st->st_size > MAX_ASSET_SUM)
        return -2;
    ix_asset *v = realloc(t->assets, (t->nassets + 1) * sizeof *v);
    if (!v)
        return -3;
    t->assets = v;
    ix_asset *a = &v[t->nassets];
    memset(a, 0, sizeof *a);
    wh_err e;
    if (!(a->rel = strdup(rel)) ||
        wh_file_read_stat(path, MAX_ASSET, WH_READ_NOFOLLOW, &a->data, &a->len,
                          NULL, &e)) {
        free(a->rel);
        return -3;
    }
    t->nassets++;
    t->asset_bytes += a->len;
    return 0;
}

static int load_assets(ix_theme *t, wh_err *err)
{
    char dir[PATH_MAX];
    struct stat st;
    snprintf(dir, sizeof dir, "%s/assets", t->dir);
    if (lstat(dir, &st) < 0 && errno == ENOENT)
        return 0;
    int rc = wh_walk(dir, add_asset, t, err);
    if (rc == -1)
        return wh_fail(err, WH_E_UNSAFE, dir, -1, "an asset is not a regular "
                       "file (links and special files are not copied)");
    if (rc == -2)
        return wh_fail(err, WH_E_LIMIT, dir, -1, "more than %d assets, one "
                       "over %zu bytes, or over %zu bytes in all", MAX_ASSETS,
                       MAX_ASSET, MAX_ASSET_SUM);
    if (rc == -3)
        return wh_fail(err, WH_E_IO, dir, -1, "cannot read an asset");
    return rc;
}

int ix_theme_load(ix_theme **out, const char *dir, wh_err *err)
{
    char def[PATH_MAX];
    if (!dir) {
        ix_theme_default_dir(def, sizeof def);
        dir = def;
    }
    ix_theme *t = calloc(1, sizeof *t);
    *out = NULL;
    if (!t || !(t->dir = strdup(dir))) {
        free(t);
        return wh_fail(err, WH_E_NOMEM, dir, -1, NULL);
    }
    struct stat st;
    int rc = wh_sha256_init(&t->h, err);
    if (rc == 0 && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)))
        rc = wh_fail(err, WH_E_NOTFOUND, dir, -1, "no such theme folder");
    for (int i = 0; rc == 0 && i < IX_THEME_PAGES; i++)
        rc = compile_page(t, i, err);
    if (rc == 0)
        rc = load_assets(t, err);
    if (rc) {
        wh_sha256_discard(&t->h);
        ix_theme_free(t);
        return rc;
    }
    uint8_t d[WH_SHA256_BYTES];
    for (size_t i = 0; i < t->nassets; i++) {
        wh_sha256_update(&t->h, t->assets[i].rel, strlen(t->assets[i].rel) + 1);
        wh_sha256_update(&t->h, t->assets[i].data, t->assets[i].len);
    }
    wh_sha256_final(&t->h, d);
    wh_hex_encode(t->id, d, sizeof d, 0);
    *out = t;
    return 0;
}

void ix_theme_free(ix_theme *t)
{
    if (!t)
        return;
    for (int i = 0; i < IX_THEME_PAGES; i++)
        wh_mustache_free(t->page[i]);
    for (size_t i = 0; i < t->nassets; i++) {
        free(t->assets[i].rel);
        free(t->assets[i].data);
    }
    free(t->assets);
    free(t->dir);
    free(t);
}

const wh_mustache *ix_theme_page(const ix_theme *t, int which)
{
    return t->page[which];
}

const char *ix_theme_id(const ix_theme *t)
{
    return t->id;
}

const ix_asset *ix_theme_assets(const ix_theme *t, size_t *n)
{
    *n = t->nassets;
    return t->assets;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void ix_theme_default_dir(char *out, size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(out, n, "%s/../share/wharf/templates", exe);
            if (is_dir(out))
                return;
        }
    }
    snprintf(out, n, "%s", is_dir(WHARF_TEMPLATES_SRC) ? WHARF_TEMPLATES_SRC
                                                     : WHARF_TEMPLATES_DIR);
}

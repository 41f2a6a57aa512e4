/* changed.c - what `wharf-index build --changed LIST` needs besides a
 * build's pieces: the source map, and the changes a few files make to the
 * previous sharded snapshot.
 *
 * A build with --changed reads only the files LIST names (no walk of
 * PKGDIR, no cache), so its cost is that of the change: each listed file
 * that exists is read and judged as in any build; one that does not was
 * removed.  What a file provided before comes from the SOURCE MAP,
 * SITE/.wharf-sources/XX.json (not served): PKGDIR-relative path ->
 * "name@version", in 256 files by the first byte of SHA-256(path), so a
 * change reads and rewrites only the files of its paths.  Every sharded
 * build writes it whole (ix_srcmap_write_all); a --changed build the
 * files it touched.
 *
 * THE CHANGES.  For each listed path, the version it provided is removed
 * from its module; then each accepted package is added, unless its
 * module still has that version (another file publishes it: refused as
 * a conflict; a full build refuses both files).  A version put back with
 * the same SHA-256 keeps its publication date, others get this build's.
 * PKGDIR/yanked is applied to every version of the modules touched.  The
 * result, module by module (null: no version left), is what
 * ix_shard_update writes; the packages of removed versions are retired,
 * not removed at once, like the files of the index.
 *
 * Tests: tests/cli/t1110-wharf-index-sharded.sh.
 */
#include "indexer/indexer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/hex.h"
#include "common/sha256.h"

/* A map file: this line, then records in cmp_path order of their paths,
 * each: u16 length, the path, a NUL; u16 length, "name@version", a NUL;
 * a flags byte (1: a .minisig, 2: an expiry); then little-endian int64s:
 * size, mtime_ns and inode of the file, of its .minisig (flag 1), the
 * expiry (flag 2).  Binary and sorted because a rebuild at 10^6 files
 * reads it all: a merge with the walked paths and no parsing (JSON cost
 * a third of such a rebuild). */
#define SRCMAP_FORMAT "wharf-srcmap/3"
#define SRCMAP_MAGIC  SRCMAP_FORMAT "\n"
#define SRCMAP_MAX    ((size_t)64 << 20)
#define SRC_SIG       1
#define SRC_EXP       2
/* A record's bytes at most: two counted strings (u16, bytes, NUL), the
 * flags, three stats of 8 bytes twice, the expiry. */
#define SRC_REC_MAX(path, nv) (2 + (path) + 1 + 2 + (nv) + 1 + 1 + 2 * 24 + 8)

static int cmp_path(const char *a, const char *b);

static unsigned srcbin(const char *rel)
{
    uint8_t d[WH_SHA256_BYTES];
    wh_err e;
    return wh_sha256_buf(rel, strlen(rel), d, &e) ? 0 : d[0];
}

static void srcmap_path(char *out, size_t n, const char *site, unsigned b)
{
    snprintf(out, n, "%s/" IX_SRCMAP_DIR "/%02x.map", site, b);
}

/* One record of a map file; rel and nv point into the file's bytes. */
typedef struct srcrec {
    const char *rel, *nv;
    ix_stat     st, sig;
    int64_t     exp;            /* 0: none */
} srcrec;

typedef struct srcreader {
    const unsigned char *p, *end, *start;
    const char          *path, *prev;
} srcreader;

static int64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return (int64_t)v;
}

static void put64(unsigned char *p, int64_t x)
{
    uint64_t v = (uint64_t)x;
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (unsigned char)v;
}

/* A u16-counted string with its NUL at r->p; NULL if it does not fit. */
static const char *get_str(srcreader *r)
{
    if (r->end - r->p < 2)
        return NULL;
    size_t n = (size_t)r->p[0] | (size_t)r->p[1] << 8;
    const char *s = (const char *)r->p + 2;
    if (n == 0 || (size_t)(r->end - r->p) < n + 3 || s[n] != 0 || memchr(s, 0, n))
        return NULL;
    r->p += n + 3;
    return s;
}

static void get_stat(srcreader *r, ix_stat *st)
{
    st->present = 1;
    st->size = (uint64_t)get64(r->p);
    st->mtime_ns = get64(r->p + 8);
    st->ino = (uint64_t)get64(r->p + 16);
    r->p += 24;
}

/* The next record (*got 0 at the end).  Anything else than what
 * srcmap_write writes, paths out of order included, is refused. */
static int rec_next(srcreader *r, srcrec *o, int *got, wh_err *err)
{
    const unsigned char *at = r->p;
    *got = 0;
    if (r->p == r->end)
        return 0;
    memset(o, 0, sizeof *o);
    o->rel = get_str(r);
    o->nv = o->rel ? get_str(r) : NULL;
    unsigned f = o->nv && r->p < r->end ? *r->p++ : 0xff;
    size_t need = 24 + (f & SRC_SIG ? 24 : 0) + (f & SRC_EXP ? 8 : 0);
    if (f > 3 || (size_t)(r->end - r->p) < need || (r->prev && cmp_path(r->prev, o->rel) >= 0))
        return wh_fail(err, WH_E_FORMAT, r->path, at - r->start, "not a source map "
                       "record (\"" SRCMAP_FORMAT "\")");
    get_stat(r, &o->st);
    if (f & SRC_SIG)
        get_stat(r, &o->sig);
    if (f & SRC_EXP) {
        o->exp = get64(r->p);
        r->p += 8;
    }
    r->prev = o->rel;
    *got = 1;
    return 0;
}

/* Map file b's bytes in *data (NULL: no file, an empty bin), r set to
 * its records. */
static int srcmap_read(const char *site, unsigned b, char **data, srcreader *r,
                       char path[PATH_MAX], wh_err *err)
{
    size_t len, k = strlen(SRCMAP_MAGIC);
    srcmap_path(path, PATH_MAX, site, b);
    memset(r, 0, sizeof *r);
    r->path = path;
    int rc = wh_file_read_stat(path, SRCMAP_MAX, WH_READ_NOFOLLOW, data, &len, NULL, err);
    if (rc == WH_E_NOTFOUND) {
        *data = NULL;
        return 0;
    }
    if (rc)
        return rc;
    if (len < k || memcmp(*data, SRCMAP_MAGIC, k) != 0) {
        free(*data);
        *data = NULL;
        return wh_fail(err, WH_E_FORMAT, path, 0, "not a source map (\"" SRCMAP_FORMAT
                       "\")");
    }
    r->start = (const unsigned char *)*data;
    r->p = r->start + k;
    r->end = r->start + len;
    return 0;
}

int ix_srcmap_open(ix_srcmap *m, const char *site, wh_err *err)
{
    char dir[PATH_MAX];
    struct stat st;
    memset(m, 0, sizeof *m);
    m->site = site;
    snprintf(dir, sizeof dir, "%s/" IX_SRCMAP_DIR, site);
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return wh_fail(err, WH_E_NOTFOUND, dir, -1, "missing: --changed needs a "
                       "site a full build with --layout sharded wrote");
    /* The JSON map of earlier builds ("wharf-sources/2"): its serial's
     * fingerprint no longer matches, so this build reads every file and
     * writes the map anew; its files go. */
    snprintf(dir, sizeof dir, "%s/" IX_SRCMAP_DIR "/00.json", site);
    for (unsigned b = 0, old = lstat(dir, &st) == 0; old && b < 256; b++) {
        snprintf(dir, sizeof dir, "%s/" IX_SRCMAP_DIR "/%02x.json", site, b);
        unlink(dir);
    }
    return 0;
}

/* Bin b as JSON (path -> src_value), read on first use. */
static json_t *stat_value(const ix_stat *st);
static int srcmap_bin(ix_srcmap *m, unsigned b, wh_err *err)
{
    char path[PATH_MAX], *data;
    srcreader r;
    srcrec o;
    int got = 1;
    if (m->bins[b])
        return 0;
    int rc = srcmap_read(m->site, b, &data, &r, path, err);
    if (rc == 0 && !(m->bins[b] = json_object()))
        rc = wh_fail(err, WH_E_NOMEM, path, -1, NULL);
    while (rc == 0 && data && (rc = rec_next(&r, &o, &got, err)) == 0 && got) {
        json_t *v = json_pack("{ssso}", "nv", o.nv, "st", stat_value(&o.st));
        if (v && o.sig.present)
            json_object_set_new(v, "sig", stat_value(&o.sig));
        if (v && o.exp)
            json_object_set_new(v, "exp", json_integer((json_int_t)o.exp));
        if (!v || json_object_set_new(m->bins[b], o.rel, v))
            rc = wh_fail(err, WH_E_NOMEM, path, -1, NULL);
    }
    free(data);
    return rc;
}

/* A file's identity as the map keeps it: [size, mtime_ns, inode]. */
static json_t *stat_value(const ix_stat *st)
{
    return json_pack("[III]", (json_int_t)st->size, (json_int_t)st->mtime_ns,
                     (json_int_t)st->ino);
}

/* What the map keeps of accepted e: its version, its file's and its
 * signature's identity, and a PAR's expiry (its claims stop being valid
 * then, and the file must be judged again). */
static json_t *src_value(const ix_entry *e)
{
    char nv[600];
    snprintf(nv, sizeof nv, "%s@%s", e->pkg.name, e->pkg.version);
    json_t *v = json_pack("{ssso}", "nv", nv, "st", stat_value(&e->st));
    json_t *exp = json_object_get(json_object_get(e->pkg.record, "par"), "expires");
    if (v && e->sig_st.present)
        json_object_set_new(v, "sig", stat_value(&e->sig_st));
    if (v && json_integer_value(exp) > 0)
        json_object_set(v, "exp", exp);
    return v;
}

int ix_srcmap_get(ix_srcmap *m, const char *rel, const char **nv, wh_err *err)
{
    unsigned b = srcbin(rel);
    int rc = srcmap_bin(m, b, err);
    *nv = rc ? NULL : json_string_value(json_object_get(json_object_get(m->bins[b],
                                                                        rel), "nv"));
    return rc;
}

int ix_srcmap_set(ix_srcmap *m, const char *rel, const ix_entry *e, wh_err *err)
{
    unsigned b = srcbin(rel);
    int rc = srcmap_bin(m, b, err);
    if (rc == 0 && (e ? json_object_set_new(m->bins[b], rel, src_value(e))
                      : (json_object_del(m->bins[b], rel), 0)))
        rc = wh_fail(err, WH_E_NOMEM, rel, -1, NULL);
    m->dirty[b] = 1;
    return rc;
}

static int cmp_pathp(const void *a, const void *b)
{
    return cmp_path(*(const char *const *)a, *(const char *const *)b);
}

static void put_str(unsigned char **p, const char *s)
{
    size_t n = strlen(s);
    (*p)[0] = (unsigned char)n;
    (*p)[1] = (unsigned char)(n >> 8);
    memcpy(*p + 2, s, n + 1);
    *p += n + 3;
}

static void put_stat(unsigned char **p, const json_t *a)
{
    for (size_t i = 0; i < 3; i++, *p += 8)
        put64(*p, (int64_t)json_integer_value(json_array_get(a, i)));
}

/* sources (path -> src_value) encoded as a map file in *out. */
static int srcmap_encode(json_t *sources, unsigned char **out, size_t *len)
{
    size_t n = json_object_size(sources), i = 0, cap = strlen(SRCMAP_MAGIC);
    const char **keys = malloc((n ? n : 1) * sizeof *keys), *key;
    json_t *v;
    if (!keys)
        return -1;
    json_object_foreach(sources, key, v) {
        const char *nv = json_string_value(json_object_get(v, "nv"));
        if (strlen(key) > 0xffff || !nv || strlen(nv) > 0xffff) {
            free(keys);
            return -1;
        }
        cap += SRC_REC_MAX(strlen(key), strlen(nv));
        keys[i++] = key;
    }
    qsort(keys, n, sizeof *keys, cmp_pathp);
    unsigned char *buf = malloc(cap), *p = buf;
    if (!buf) {
        free(keys);
        return -1;
    }
    memcpy(p, SRCMAP_MAGIC, strlen(SRCMAP_MAGIC));
    p += strlen(SRCMAP_MAGIC);
    for (i = 0; i < n; i++) {
        v = json_object_get(sources, keys[i]);
        json_t *sig = json_object_get(v, "sig"), *exp = json_object_get(v, "exp");
        put_str(&p, keys[i]);
        put_str(&p, json_string_value(json_object_get(v, "nv")));
        *p++ = (unsigned char)((sig ? SRC_SIG : 0) | (exp ? SRC_EXP : 0));
        put_stat(&p, json_object_get(v, "st"));
        if (sig)
            put_stat(&p, sig);
        if (exp) {
            put64(p, (int64_t)json_integer_value(exp));
            p += 8;
        }
    }
    free(keys);
    *out = buf;
    *len = (size_t)(p - buf);
    return 0;
}

static int srcmap_write(const char *site, unsigned b, json_t *sources, wh_err *err)
{
    char path[PATH_MAX], tmp[PATH_MAX], *old = NULL;
    unsigned char *bytes;
    size_t len, olen = 0;
    int rc = 0;
    srcmap_path(path, sizeof path, site, b);
    if (srcmap_encode(sources, &bytes, &len))
        return wh_fail(err, WH_E_NOMEM, path, -1, NULL);
    snprintf(tmp, sizeof tmp, "%s/" IX_SRCMAP_DIR, site);
    if (wh_file_read_stat(path, SRCMAP_MAX, WH_READ_NOFOLLOW, &old, &olen, NULL,
                          NULL) != 0 || olen != len || memcmp(old, bytes, len) != 0)
        rc = wh_file_write_atomic_flags(path, tmp, (const char *)bytes, len, 0644,
                                        WH_WRITE_NOSYNC, err);
    free(old);
    free(bytes);
    return rc;
}

int ix_srcmap_save(ix_srcmap *m, wh_err *err)
{
    int rc = 0;
    for (unsigned b = 0; rc == 0 && b < 256; b++)
        if (m->dirty[b])
            rc = srcmap_write(m->site, b, m->bins[b], err);
    return rc;
}

void ix_srcmap_free(ix_srcmap *m)
{
    for (unsigned b = 0; b < 256; b++)
        json_decref(m->bins[b]);
    memset(m, 0, sizeof *m);
}

int ix_srcmap_write_all(const char *site, const ix_scan *s, wh_err *err)
{
    char dir[PATH_MAX];
    json_t *bins[256] = { NULL };
    snprintf(dir, sizeof dir, "%s/" IX_SRCMAP_DIR, site);
    int rc = wh_mkdirs(dir, err);
    for (unsigned b = 0; rc == 0 && b < 256; b++)
        if (!(bins[b] = json_object()))
            rc = wh_fail(err, WH_E_NOMEM, site, -1, NULL);
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        const ix_entry *e = &s->v[i];
        if (e->state != IX_OK)
            continue;
        if (json_object_set_new(bins[srcbin(e->rel)], e->rel, src_value(e)))
            rc = wh_fail(err, WH_E_NOMEM, site, -1, NULL);
    }
    for (unsigned b = 0; rc == 0 && b < 256; b++)
        rc = srcmap_write(site, b, bins[b], err);
    for (unsigned b = 0; b < 256; b++)
        json_decref(bins[b]);
    return rc;
}

/* The serial of the snapshot the map describes, written after the map
 * itself: a build killed between its commit and its map leaves a serial
 * that is not the site's, and --changed refuses to start from it.  The
 * line names the map's format: a map of another format is no map (a
 * build reads the whole index), not an empty one (whose files would
 * all look new, and clash with the versions they already publish). */
int ix_srcmap_serial_save(const char *site, int64_t serial, const char *fp,
                          wh_err *err)
{
    char path[PATH_MAX], text[128];
    int n = snprintf(text, sizeof text, SRCMAP_FORMAT " %lld %s\n", (long long)serial, fp);
    snprintf(path, sizeof path, "%s/" IX_SRCMAP_DIR "/serial", site);
    int rc = wh_fs_sync(site, err);          /* the map's files first */
    return rc ? rc : wh_file_write_atomic(path, text, (size_t)n, 0644, err);
}

int ix_srcmap_serial_check(const char *site, int64_t serial, const char *fp,
                           wh_err *err)
{
    char path[PATH_MAX], *text, got_fp[WH_SHA256_HEX] = "";
    size_t len;
    long long got = -1;
    snprintf(path, sizeof path, "%s/" IX_SRCMAP_DIR "/serial", site);
    int rc = wh_file_read_stat(path, 128, WH_READ_NOFOLLOW, &text, &len, NULL, err);
    if (rc == 0) {
        if (sscanf(text, SRCMAP_FORMAT " %lld %64[0-9a-f]", &got, got_fp) != 2)
            got = -1;
        free(text);
    }
    if (rc == 0 && got != serial)
        rc = wh_fail(err, WH_E_VERIFY, path, -1, "the source map is of serial %lld, "
                     "the site's is %lld (a build was interrupted): run a full build",
                     got, (long long)serial);
    if (rc == 0 && fp && strcmp(got_fp, fp) != 0)
        rc = wh_fail(err, WH_E_VERIFY, path, -1, "the trusted keys, issuers, "
                     "plugins or yanked versions changed since the last full build: "
                     "run a full build");
    return rc == WH_E_NOTFOUND ? wh_fail(err, WH_E_NOTFOUND, path, -1, "missing: "
           "--changed needs a site a full build with --layout sharded wrote") : rc;
}

int ix_srcmap_serial_move(const char *site, int64_t from, int64_t to, wh_err *err)
{
    char path[PATH_MAX], *text, fp[WH_SHA256_HEX] = "";
    size_t len;
    long long got = -1;
    snprintf(path, sizeof path, "%s/" IX_SRCMAP_DIR "/serial", site);
    if (wh_file_read_stat(path, 128, WH_READ_NOFOLLOW, &text, &len, NULL, NULL))
        return 0;
    if (sscanf(text, SRCMAP_FORMAT " %lld %64[0-9a-f]", &got, fp) != 2)
        got = -1;
    free(text);
    return got == from ? ix_srcmap_serial_save(site, to, fp, err) : 0;
}

/* --- what a build depends on besides the files ---------------------------- */

/* Add the bytes of path (nothing for a missing file) to h. */
static int hash_file(wh_sha256 *h, const char *path, wh_err *err)
{
    char *data;
    size_t len;
    int rc = path ? wh_file_read(path, (size_t)16 << 20, &data, &len, err) : WH_E_NOTFOUND;
    if (rc == WH_E_NOTFOUND)
        return 0;
    if (rc == 0) {
        wh_sha256_update(h, path, strlen(path) + 1);
        wh_sha256_update(h, data, len);
        free(data);
    }
    return rc;
}

static int collect_pub(const char *path, const char *rel, const struct stat *st,
                       void *ctx)
{
    size_t n = strlen(rel);
    (void)path;
    if (S_ISREG(st->st_mode) && n >= 4 && !strcmp(rel + n - 4, ".pub"))
        hash_file(ctx, path, NULL);     /* unreadable: ix_trust_load said so */
    return 0;
}

int ix_build_fingerprint(const char *keys_dir, const char *issuers,
                         const char *yanked, int require_sigs,
                         const char *plugset, char out[WH_SHA256_HEX], wh_err *err)
{
    wh_sha256 h;
    uint8_t d[WH_SHA256_BYTES];
    char head[300];
    int rc = wh_sha256_init(&h, err);
    if (rc)
        return rc;
    int n = snprintf(head, sizeof head, SRCMAP_FORMAT " wharf %s require %d plugins %s\n",
                     WHARF_VERSION, require_sigs, plugset ? plugset : "");
    wh_sha256_update(&h, head, (size_t)n);
    rc = hash_file(&h, yanked, err);
    if (rc == 0)
        rc = hash_file(&h, issuers, err);
    if (rc == 0 && keys_dir)            /* wh_walk: sorted, so stable */
        rc = wh_walk(keys_dir, collect_pub, &h, err);
    wh_sha256_final(&h, d);
    wh_hex_encode(out, d, sizeof d, 0);
    return rc;
}

/* --- what changed since the map --------------------------------------------- */

typedef struct walked {
    char    *rel;
    ix_stat  st, sig;
    unsigned bin;            /* 1 + its map file's number; 0: a .minisig */
} walked;

typedef struct walk_list {
    walked *v;
    size_t  n, cap;
    const char *prefix;      /* a top-level folder's name, its entries' paths' start */
    int     rc;
    wh_err  err;
} walk_list;

static int on_walk(const char *path, const char *rel, const struct stat *st,
                   void *ctx)
{
    walk_list *w = ctx;
    char full[PATH_MAX];
    (void)path;
    if (S_ISDIR(st->st_mode))
        return 0;
    if (w->prefix && snprintf(full, sizeof full, "%s/%s", w->prefix, rel) >= (int)sizeof full)
        return WH_E_NOMEM;
    if (w->prefix)
        rel = full;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1024;
        walked *v = realloc(w->v, cap * sizeof *v);
        if (!v)
            return WH_E_NOMEM;
        w->v = v;
        w->cap = cap;
    }
    walked *e = &w->v[w->n];
    memset(e, 0, sizeof *e);
    if (!(e->rel = strdup(rel)))
        return WH_E_NOMEM;
    ix_stat_from(&e->st, st);
    w->n++;
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct split_walk {
    const char *pkgdir;
    char      **names;          /* PKGDIR's entries, sorted */
    struct stat *st;
    walk_list  *lists;          /* what each folder's walk found */
} split_walk;

static void walk_one(size_t i, void *ctx)
{
    split_walk *s = ctx;
    char dir[PATH_MAX];
    walk_list *w = &s->lists[i];
    w->prefix = s->names[i];
    if (!S_ISDIR(s->st[i].st_mode))
        return;
    if (snprintf(dir, sizeof dir, "%s/%s", s->pkgdir, s->names[i]) >= (int)sizeof dir)
        w->rc = wh_fail(&w->err, WH_E_LIMIT, s->pkgdir, -1, "path too long: '%s'", s->names[i]);
    else
        w->rc = wh_walk(dir, on_walk, w, &w->err);
    if (w->rc == WH_E_NOMEM)
        w->rc = wh_fail(&w->err, WH_E_NOMEM, dir, -1, NULL);
}

/* What walk_split found: the entries in wh_walk's order (p), pointing
 * into PKGDIR's own files (top) and each top-level folder's (lists),
 * which are not copied into one array: at 10^6 that copy is 80 MB. */
typedef struct walk_out {
    walk_list  top, *lists;
    size_t     nlists;
    walked   **p;
    size_t     n;
} walk_out;

static void walk_out_free(walk_out *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->p[i]->rel);
    for (size_t i = 0; o->lists && i < o->nlists; i++)
        free(o->lists[i].v);
    free(o->lists);
    free(o->top.v);
    free(o->p);
}

/* wh_walk of PKGDIR (its order, its rules: hidden entries skipped, links
 * not followed), with the top-level folders walked on two threads: the
 * kernel's stat of every file is most of a rebuild's time at 10^6. */
static int walk_split(const char *pkgdir, walk_out *o, wh_err *err)
{
    DIR *d = opendir(pkgdir);
    struct dirent *de;
    split_walk s = { pkgdir, NULL, NULL, NULL };
    size_t n = 0, cap = 0;
    memset(o, 0, sizeof *o);
    int rc = d ? 0 : wh_fail_errno(err, errno, pkgdir, "cannot open directory");
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **v = realloc(s.names, (cap = cap ? 2 * cap : 64) * sizeof *v);
            if (!v) {
                rc = wh_fail(err, WH_E_NOMEM, pkgdir, -1, NULL);
                break;
            }
            s.names = v;
        }
        if (!(s.names[n++] = strdup(de->d_name)))
            rc = wh_fail(err, WH_E_NOMEM, pkgdir, -1, NULL);
    }
    if (d)
        closedir(d);
    if (rc == 0 && n)
        qsort(s.names, n, sizeof *s.names, cmp_name);
    s.st = calloc(n + 1, sizeof *s.st);
    o->lists = s.lists = calloc(n + 1, sizeof *s.lists);
    o->nlists = n;
    if (rc == 0 && (!s.st || !s.lists))
        rc = wh_fail(err, WH_E_NOMEM, pkgdir, -1, NULL);
    int dfd = rc == 0 ? open(pkgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (rc == 0 && dfd < 0)
        rc = wh_fail_errno(err, errno, pkgdir, "cannot open directory");
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (fstatat(dfd, s.names[i], &s.st[i], AT_SYMLINK_NOFOLLOW) < 0) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", pkgdir, s.names[i]);
            if (errno != ENOENT)
                rc = wh_fail_errno(err, errno, path, "cannot stat");
            s.st[i].st_mode = 0;      /* removed while we walk: not an error */
        }
    if (dfd >= 0)
        close(dfd);
    if (rc == 0)
        ix_parallel(n, 2, walk_one, &s);
    size_t total = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (s.lists[i].rc) {
            *err = s.lists[i].err;
            rc = s.lists[i].rc;
        }
        total += s.lists[i].n;
        if (rc == 0 && s.st[i].st_mode && !S_ISDIR(s.st[i].st_mode) &&
            on_walk(NULL, s.names[i], &s.st[i], &o->top) != 0)
            rc = wh_fail(err, WH_E_NOMEM, pkgdir, -1, NULL);
    }
    total += o->top.n;
    if (rc == 0 && !(o->p = malloc((total + 1) * sizeof *o->p)))
        rc = wh_fail(err, WH_E_NOMEM, pkgdir, -1, NULL);
    /* In wh_walk's order: each entry, then what its folder holds. */
    for (size_t i = 0, t = 0; rc == 0 && i < n; i++) {
        if (s.st[i].st_mode && !S_ISDIR(s.st[i].st_mode))
            o->p[o->n++] = &o->top.v[t++];
        for (size_t k = 0; k < s.lists[i].n; k++)
            o->p[o->n++] = &s.lists[i].v[k];
    }
    if (rc) {      /* what the pointers do not reach */
        for (size_t i = 0; s.lists && i < n; i++)
            for (size_t k = 0; k < s.lists[i].n; k++)
                free(s.lists[i].v[k].rel);
        for (size_t k = 0; k < o->top.n; k++)
            free(o->top.v[k].rel);
        o->n = 0;
    }
    for (size_t i = 0; i < n; i++)
        free(s.names[i]);
    free(s.names);
    free(s.st);
    return rc;
}

/* Paths in the order wh_walk gives them: byte order with '/' first, so
 * that a folder's files come before the names that sort after the
 * folder's own ("a/b" before "a.x").  A strict total order. */
static int cmp_path(const char *a, const char *b)
{
    for (;; a++, b++) {
        if (*a == *b) {
            if (!*a)
                return 0;
            continue;
        }
        if (!*a || !*b)
            return !*a ? -1 : 1;
        if (*a == '/' || *b == '/')
            return *a == '/' ? -1 : 1;
        return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
    }
}

/* Is the map's record o still true of w? */
static int unchanged(const srcrec *o, const walked *w, int64_t now)
{
    return ix_stat_same(&o->st, &w->st) && ix_stat_same(&o->sig, &w->sig) &&
           (!o->exp || o->exp > now);
}

static int push(char ***v, size_t *n, const char *s)
{
    char **w = realloc(*v, (*n + 1) * sizeof *w);
    if (!w)
        return -1;
    *v = w;
    return (w[(*n)++] = strdup(s)) ? 0 : -1;
}

/* Bin b of the map against the walked files c[0..n) of that bin (sorted
 * by path, as the map's records are): one merge. */
static int diff_bin(ix_srcmap *m, unsigned b, walked **c, size_t n, int64_t now,
                    int all, char ***ch, size_t *nch, char ***rm, size_t *nrm,
                    size_t *same, wh_err *err)
{
    char path[PATH_MAX], *data;
    srcreader r;
    srcrec o;
    int got = 0;
    size_t i = 0;
    int rc = srcmap_read(m->site, b, &data, &r, path, err);
    if (rc == 0 && data)
        rc = rec_next(&r, &o, &got, err);
    while (rc == 0 && (i < n || got)) {
        int d = !got ? -1 : i == n ? 1 : cmp_path(c[i]->rel, o.rel);
        if (d > 0 ? push(rm, nrm, o.rel)
                  : d == 0 && !all && unchanged(&o, c[i], now) ? ((*same)++, 0)
                  : push(ch, nch, c[i]->rel))
            rc = wh_fail(err, WH_E_NOMEM, m->site, -1, NULL);
        i += d <= 0;
        if (rc == 0 && d >= 0)
            rc = rec_next(&r, &o, &got, err);
    }
    free(data);
    return rc;
}

static int cmp_relp(const void *a, const void *b)
{
    return cmp_path((*(walked *const *)a)->rel, (*(walked *const *)b)->rel);
}

static int is_sig(const char *r, size_t k)
{
    return k > 8 && !strcmp(r + k - 8, ".minisig");
}

int ix_changed_walk(const char *pkgdir, ix_srcmap *m, int64_t now, int all,
                    char ***ch, size_t *nch, char ***rm, size_t *nrm, size_t *same,
                    wh_err *err)
{
    walk_out w;
    walked **c = NULL;
    size_t nc = 0;
    *ch = *rm = NULL;
    *nch = *nrm = *same = 0;
    int rc = walk_split(pkgdir, &w, err);
    size_t sorted = 1, count[257] = { 0 };
    for (size_t i = 1; rc == 0 && i < w.n && sorted; i++)   /* wh_walk's order */
        sorted = cmp_path(w.p[i - 1]->rel, w.p[i]->rel) < 0;
    if (rc == 0 && !sorted)
        qsort(w.p, w.n, sizeof *w.p, cmp_relp);
    if (rc == 0 && !(c = malloc((w.n ? w.n : 1) * sizeof *c)))
        rc = wh_fail(err, WH_E_NOMEM, pkgdir, -1, NULL);
    for (size_t i = 0; rc == 0 && i < w.n; i++) {
        const char *r = w.p[i]->rel;
        size_t k = strlen(r);
        if (is_sig(r, k))
            continue;                  /* a signature goes with its package */
        /* Its .minisig, if any, is among the paths that start with it,
         * which follow it directly. */
        for (size_t j = i + 1; j < w.n && !strncmp(w.p[j]->rel, r, k); j++)
            if (!strcmp(w.p[j]->rel + k, ".minisig")) {
                w.p[i]->sig = w.p[j]->st;
                break;
            }
        w.p[i]->bin = srcbin(r) + 1;   /* 0: a signature */
        count[w.p[i]->bin]++;
        nc++;
    }
    /* By bin, keeping the path order within each (a counting sort). */
    for (unsigned b = 1; b <= 256; b++)
        count[b] += count[b - 1];
    for (size_t i = 0; rc == 0 && i < w.n; i++)
        if (w.p[i]->bin)
            c[count[w.p[i]->bin - 1]++] = w.p[i];
    size_t at = 0;
    for (unsigned b = 0; rc == 0 && b < 256; b++) {     /* every bin */
        size_t end = at;
        while (end < nc && c[end]->bin == b + 1)
            end++;
        rc = diff_bin(m, b, c + at, end - at, now, all, ch, nch, rm, nrm, same, err);
        at = end;
    }
    walk_out_free(&w);
    free(c);
    return rc;
}

/* --- the changes ---------------------------------------------------------- */

/* One module the change touches. */
typedef struct touched {
    json_t *versions;        /* its versions, being changed */
    int     existed;         /* the previous snapshot listed it */
    size_t  before;          /* its versions then */
} touched;

typedef struct change {
    ix_shard_job *job;
    json_t     *mods;        /* name -> index into t */
    touched    *t;
    size_t      nt;
    json_t     *gone;        /* "name@version" -> record removed */
    ix_shard_out *o;
} change;

/* The module's versions (read from the previous snapshot once). */
static json_t *module_of(change *c, const char *name, wh_err *err)
{
    json_t *k = json_object_get(c->mods, name), *v = NULL;
    if (k)
        return c->t[json_integer_value(k)].versions;
    int rc = ix_shard_get(c->job, name, &v, err);
    if (rc && rc != WH_E_NOTFOUND)
        return NULL;
    touched *t = realloc(c->t, (c->nt + 1) * sizeof *t);
    if (t)
        c->t = t;
    if (!t || (!v && !(v = json_object())) ||
        json_object_set_new(c->mods, name, json_integer((json_int_t)c->nt))) {
        json_decref(v);
        return wh_fail(err, WH_E_NOMEM, name, -1, NULL), NULL;
    }
    c->t[c->nt].versions = v;
    c->t[c->nt].existed = rc == 0;
    c->t[c->nt++].before = json_object_size(v);
    return v;
}

static int add_path(char ***v, size_t *n, const char *a, const char *b)
{
    char **w = realloc(*v, (*n + 1) * sizeof *w);
    if (!w)
        return -1;
    *v = w;
    return (w[(*n)++] = ix_join(a, b, "")) ? 0 : -1;
}

/* What rel provided before goes: its version, retired with its package. */
static int remove_old(change *c, ix_srcmap *map, const char *rel, wh_err *err)
{
    const char *nv;
    char name[300];
    int rc = ix_srcmap_get(map, rel, &nv, err);
    const char *at = nv ? strchr(nv, '@') : NULL;
    if (rc || !at || (size_t)(at - nv) >= sizeof name)
        return rc;
    snprintf(name, sizeof name, "%.*s", (int)(at - nv), nv);
    json_t *vs = module_of(c, name, err), *rec = json_object_get(vs, at + 1);
    if (!vs)
        return err->code;
    if (rec) {
        const char *p = json_string_value(json_object_get(rec, "path"));
        if (json_object_set(c->gone, nv, rec) ||
            (p && (add_path(&c->o->retire, &c->o->nretire, p, "") ||
                   add_path(&c->o->retire, &c->o->nretire, p, ".minisig"))))
            return wh_fail(err, WH_E_NOMEM, rel, -1, NULL);
        json_object_del(vs, at + 1);
    }
    return ix_srcmap_set(map, rel, NULL, err);
}

/* Accepted e joins its module, unless the version is still there. */
static int add_new(change *c, ix_srcmap *map, ix_entry *e, const json_t *yanked,
                   int64_t now, wh_err *err)
{
    char nv[600];
    json_t *vs = module_of(c, e->pkg.name, err);
    if (!vs)
        return err->code;
    snprintf(nv, sizeof nv, "%s@%s", e->pkg.name, e->pkg.version);
    if (json_object_get(vs, e->pkg.version)) {
        e->state = IX_BAD;
        wh_fail(&e->err, WH_E_CONFLICT, e->path, -1, "'%s' is already published "
                "from another file (a full build rejects both)", nv);
        return 0;
    }
    json_t *old = json_object_get(c->gone, nv);
    const char *osha = json_string_value(json_object_get(old, "sha256"));
    e->published = osha && !strcmp(osha, e->pkg.sha256)
                   ? json_integer_value(json_object_get(old, "published")) : now;
    json_t *rec = ix_version_record(e, yanked);
    if (!rec || json_object_set_new(vs, e->pkg.version, rec) ||
        add_path(&c->o->name, &c->o->nname, e->site_rel, "") ||
        add_path(&c->o->name, &c->o->nname, e->site_rel, ".minisig"))
        return wh_fail(err, WH_E_NOMEM, e->path, -1, NULL);
    return ix_srcmap_set(map, e->rel, e, err);
}

/* PKGDIR/yanked, over every version of a touched module. */
static int apply_yanks(const char *name, json_t *vs, const json_t *yanked)
{
    const char *ver;
    json_t *rec;
    char key[600];
    json_object_foreach(vs, ver, rec) {
        snprintf(key, sizeof key, "%s@%s", name, ver);
        json_t *r = json_object_get(json_object_get(yanked, key), "reason");
        if (r ? json_object_set(rec, "yanked", r) : (json_object_del(rec, "yanked"), 0))
            return -1;
    }
    return 0;
}

int ix_changed_apply(ix_shard_job *j, ix_scan *s, char **removed, size_t nremoved,
                     ix_srcmap *map, const json_t *yanked, int64_t now,
                     json_t **changes, long long *dm, long long *dp,
                     ix_shard_out *o, wh_err *err)
{
    change c = { j, json_object(), NULL, 0, json_object(), o };
    int rc = c.mods && c.gone ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    *changes = json_object();
    for (size_t i = 0; rc == 0 && i < nremoved; i++)
        rc = remove_old(&c, map, removed[i], err);
    for (size_t i = 0; rc == 0 && i < s->n; i++)   /* rewritten, refused, or no
                                                  * longer a package at all */
        rc = remove_old(&c, map, s->v[i].rel, err);
    for (size_t i = 0; rc == 0 && i < s->n; i++)
        if (s->v[i].state == IX_OK)
            rc = add_new(&c, map, &s->v[i], yanked, now, err);
    *dm = *dp = 0;
    const char *name;
    json_t *k;
    json_object_foreach(c.mods, name, k) {
        touched *t = &c.t[json_integer_value(k)];
        size_t after = json_object_size(t->versions);
        if (rc == 0 && apply_yanks(name, t->versions, yanked))
            rc = wh_fail(err, WH_E_NOMEM, name, -1, NULL);
        *dm += (after > 0) - t->existed;
        *dp += (long long)after - (long long)t->before;
        if (rc == 0 && (after || t->existed) &&
            json_object_set(*changes, name, after ? t->versions : json_null()))
            rc = wh_fail(err, WH_E_NOMEM, name, -1, NULL);
    }
    for (size_t i = 0; i < c.nt; i++)
        json_decref(c.t[i].versions);
    free(c.t);
    json_decref(c.mods);
    json_decref(c.gone);
    return rc;
}

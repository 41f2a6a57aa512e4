/* site.c - write a wharf site: place the packages, publish the signed
 * index, prune what is no longer listed, and keep one writer at a time.
 * The site's layout and the reader's side are docs/index-format.md and
 * common/index.c.
 *
 *   ix_site_lock      SITE/.wharf-lock, held for the whole build
 *   ix_site_clean     remove temporaries a killed build left
 *   ix_site_place     SITE/packages/<name>@<version><ext> (+ .minisig)
 *   ix_index_json     the canonical index.json of the accepted packages
 *   ix_site_publish   keys/repo.pub, by-hash/HEX.json{.gz,.minisig}, then
 *                     index.json.minisig, then the copies index.json{,.gz}
 *   ix_site_prune     remove packages and by-hash generations no longer
 *                     needed
 *
 * ORDER OF WRITES.  A reader enters a site by index.json.minisig, whose
 * trusted comment names the index by its SHA-256; renaming that file into
 * place is the one moment a build becomes visible (the commit point).
 * Everything it names is written, fsynced and renamed into place before
 * it: (1) the packages (then one syncfs), (2) keys/repo.pub, (3) the
 * index under its hash, by-hash/HEX.json, with its .gz and its own
 * signature by-hash/HEX.json.minisig (so stock minisign checks it with no
 * option); then (4) index.json.minisig; then (5) the convenience copies
 * index.json.gz and index.json, and the HTML catalogue (catalogue.c, by
 * cmd_build.c); then (6) pruning, then the cache.  Killed
 * at any write, the site is the old one or the new one:
 *   - before (4): the old signature names the old by-hash index, whose
 *     packages are all still there (nothing is pruned before (6));
 *   - after (4): the new signature names the new by-hash index, complete;
 *     index.json may still hold the previous generation, which is itself
 *     signed (its by-hash signature is kept), so it is never an unsigned
 *     or mismatched file, only an older one.
 * A reader that takes the signature and then by-hash/HEX.json never pairs
 * an old signature with a new index: by-hash files never change once
 * written.  The previous generation's by-hash files are kept until the
 * next build, so a reader that read the old signature just before a
 * commit still finds its index.
 *
 * ONE WRITER.  The build holds an flock on SITE/.wharf-lock from before
 * it reads the previous serial until after the cache is saved, so two
 * builds into one SITE never interleave (the second waits with --wait, or
 * stops with exit status 7 naming the holder).  With the lock held, any
 * dot-named temporary in SITE is a leftover of a killed build, and is
 * removed first (ix_site_clean).
 *
 * PLACING.  A package is hard-linked into SITE when the file systems
 * allow (no copy, no second hash: the inode is checked to be the one that
 * was read), else copied to a temporary file whose SHA-256 is checked
 * against the index before it is renamed into place.  A hard link shares
 * the publisher's file: wharf's own writers replace files by rename, but
 * one who edits a package in place changes the site's copy too (verify
 * finds it).  A placed file whose inode (link) or stats (copy, from the
 * cache) are unchanged is left alone, so rebuilds cost nothing here.
 *
 * DETERMINISM.  index.json is canonical JSON built from sorted data, the
 * gzip header carries no name or time, Ed25519 signatures are
 * deterministic and the trusted comment holds only data of the index:
 * the same inputs and SOURCE_DATE_EPOCH give the same bytes in all three.
 *
 * Every change to SITE goes through wh_fs_* or the atomic writer, so the
 * fault hook (WHARF_FS_FAULT=N[:kill]) can stop a build at each one.
 *
 * Tests: tests/cli/t1100-wharf-index-build.sh, t1103-wharf-index-publish.sh.
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
#include "common/gzip.h"
#include "common/shard.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/sha256.h"

#define UNTRUSTED_COMMENT "signature from wharf-index"


char *ix_join(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

/* --- the lock, and leftovers ------------------------------------------------ */

typedef struct waiting {
    const char *who, *path;
} waiting;

static void say_waiting(const char *holder, void *ctx)
{
    const waiting *w = ctx;
    fprintf(stderr, "%s: %s: waiting for %s\n", w->who, w->path, holder);
}

int ix_site_lock(const char *site, const char *who, int wait, int quiet,
                 wh_lock *l, wh_err *err)
{
    char *path = ix_join(site, "/", IX_LOCK_NAME);
    waiting w = { who, path };
    int rc = path ? wh_lock_take(l, path, who, wait, quiet ? NULL : say_waiting,
                                 &w, err)
                  : wh_fail(err, WH_E_NOMEM, site, -1, NULL);
    free(path);
    return rc;
}

int ix_site_clean(const char *site, size_t *removed, wh_err *err)
{
    static const char *const dirs[] = { "", "/keys", "/keys/rotation",
                                        ("/" WH_INDEX_BYHASH), "/packages",
                                        ("/" WH_SNAP_DIR),
                                        ("/" WH_SNAP_DIR "/snapshot"),
                                        ("/" IX_SRCMAP_DIR), ("/" IX_CATSTATE_DIR),
                                        ("/" IX_CATSTATE_DIR "/f") };
    *removed = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof dirs / sizeof dirs[0]; i++) {
        char *dir = ix_join(site, dirs[i], "");
        rc = dir ? wh_clean_temporaries(dir, removed, err) : wh_fail(err, WH_E_NOMEM, site, -1, NULL);
        free(dir);
    }
    return rc;
}

/* The previous build's signature: its serial is the floor of ours, and
 * its by-hash generation is kept one more build.  It must be this key's
 * (the global signature covers signature || comment, not the data, so
 * it is checked on its own); a build that died before its own commit
 * left the old one in place.  *prev is zeroed for a new site. */
int ix_site_prev(const char *site, const wh_minisign_pubkey *pk,
                 wh_index_head *prev, wh_err *err)
{
    memset(prev, 0, sizeof *prev);
    char *path = ix_join(site, "/", WH_INDEX_SIG);
    char *spath = ix_join(site, "/", WH_SNAP_SIG);
    wh_minisign_sig sig;
    wh_index_head sh = { 0, 0, "" };
    int rc = path && spath ? wh_index_head_load(path, pk, &sig, prev, err)
                           : wh_fail(err, WH_E_NOMEM, site, -1, NULL);
    if (rc == WH_E_NOTFOUND) {
        memset(prev, 0, sizeof *prev);
        rc = 0;
    }
    if (rc == 0 && (rc = wh_snap_head_load(spath, pk, &sig, &sh, err)) == WH_E_NOTFOUND)
        rc = 0;
    if (sh.serial > prev->serial)     /* a sharded-only site's serial */
        prev->serial = sh.serial;
    free(path);
    free(spath);
    return rc;
}

/* Take an entry point away (a site switched to the other --layout):
 * the signature first, so no reader pairs it with a missing copy. */
static int unpublish(const char *site, const char *const names[3], wh_err *err)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < 3 && names[i]; i++) {
        char *path = ix_join(site, "/", names[i]);
        if (!path)
            return wh_fail(err, WH_E_NOMEM, site, -1, NULL);
        if (wh_fs_unlink(path) < 0 && errno != ENOENT)
            rc = wh_fail_errno(err, errno, path, "cannot remove");
        free(path);
    }
    return rc;
}

int ix_site_unpublish(const char *site, wh_err *err)
{
    static const char *const names[3] = { WH_INDEX_SIG, WH_INDEX_GZ, WH_INDEX_JSON };
    return unpublish(site, names, err);
}

int ix_shard_unpublish(const char *site, wh_err *err)
{
    static const char *const names[3] = { WH_SNAP_SIG, WH_SNAP_JSON, NULL };
    return unpublish(site, names, err);
}

/* SITE inside PKGDIR would index its own packages the next time. */
int ix_site_check_outside(const char *pkgdir, const char *site, wh_err *err)
{
    char p[PATH_MAX], s[PATH_MAX], parent[PATH_MAX];
    if (!realpath(pkgdir, p))
        return 0;   /* ix_scan_list says why */
    if (!realpath(site, s)) {
        snprintf(parent, sizeof parent, "%s", site);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent)
            *slash = '\0';
        else
            snprintf(parent, sizeof parent, "%s", slash ? "/" : ".");
        if (!realpath(parent, s))
            return 0;
    }
    size_t n = strlen(p);
    if (strcmp(s, p) == 0 || (strncmp(s, p, n) == 0 && (s[n] == '/' || n == 1)))
        return wh_fail(err, WH_E_USAGE, site, -1, "the site is inside the "
                       "package directory '%s'", pkgdir);
    return 0;
}

/* The site's default repository name: its folder's name. */
void ix_site_default_name(const char *site, char *out, size_t n)
{
    char buf[PATH_MAX], real[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", site);
    size_t len = strlen(buf);
    while (len > 1 && buf[len - 1] == '/')
        buf[--len] = '\0';
    const char *base = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
    if ((!*base || !strcmp(base, ".") || !strcmp(base, "..")) && realpath(buf, real))
        base = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
    if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
        base = "wharf";
    snprintf(out, n, "%s", base);
}

/* --- index.json ------------------------------------------------------------ */

static json_t *signer_json(const ix_signer *s)
{
    if (s->status == IX_UNSIGNED)
        return json_pack("{ss}", "status", ix_status_name(s->status));
    return json_pack("{ssss}", "key_id", s->key_id,
                     "status", ix_status_name(s->status));
}

json_t *ix_version_record(const ix_entry *e, const json_t *yanked)
{
    char key[512];
    snprintf(key, sizeof key, "%s@%s", e->pkg.name, e->pkg.version);
    json_t *y = json_object_get(json_object_get(yanked, key), "reason");
    json_t *r = json_copy(e->pkg.record);
    if (r && y && json_object_set(r, "yanked", y)) {
        json_decref(r);
        return NULL;
    }
    if (!r ||
        json_object_set_new(r, "published", json_integer((json_int_t)e->published)) ||
        (e->pkg.kind != WH_PKG_FORMAT &&    /* "format:PLUGIN" is the record's */
         json_object_set_new(r, "kind", json_string(wh_pkg_kind_name(e->pkg.kind)))) ||
        json_object_set_new(r, "path", json_string(e->site_rel)) ||
        json_object_set_new(r, "size", json_integer((json_int_t)e->pkg.size)) ||
        json_object_set_new(r, "sha256", json_string(e->pkg.sha256)) ||
        json_object_set_new(r, "signer", signer_json(&e->signer))) {
        json_decref(r);
        return NULL;
    }
    return r;
}

static int add_version(json_t *modules, const ix_entry *e, const json_t *yanked)
{
    json_t *mod = json_object_get(modules, e->pkg.name);
    if (!mod) {
        mod = json_pack("{s{}}", "versions");
        if (!mod || json_object_set_new(modules, e->pkg.name, mod))
            return -1;
    }
    json_t *rec = ix_version_record(e, yanked);
    return rec ? json_object_set_new(json_object_get(mod, "versions"),
                                     e->pkg.version, rec) : -1;
}

json_t *ix_index_tree(const ix_scan *s, const ix_meta *m)
{
    json_t *modules = json_object();
    json_t *root = json_pack("{sss{ssss}sIsIsIso}", "format", WH_INDEX_FORMAT,
                             "repository", "name", m->name, "key_id", m->key_id,
                             "serial", (json_int_t)m->serial,
                             "generated", (json_int_t)m->generated,
                             "expires", (json_int_t)m->expires,
                             "modules", modules);
    for (size_t i = 0; root && i < s->n; i++)
        if (s->v[i].state == IX_OK && add_version(modules, &s->v[i], m->yanked)) {
            json_decref(root);
            root = NULL;
        }
    return root;
}

int ix_index_json(const ix_scan *s, const ix_meta *m, char **out, size_t *len,
                  wh_err *err)
{
    *out = NULL;
    json_t *root = ix_index_tree(s, m);
    if (!root)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, "cannot build the index");
    int rc = wh_json_canon(root, out, len, err);
    json_decref(root);
    return rc;
}

/* --- placing packages -------------------------------------------------------- */

/* Copy src to dst through a temporary file; when sha256 is given, the
 * copy's digest must equal it before it replaces dst. */
static int copy_file(const char *src, const char *dst, const char *sha256,
                     wh_err *err)
{
    int in = open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (in < 0)
        return wh_fail_errno(err, errno, src, "cannot open");
    wh_atomic a;
    int rc = wh_atomic_open(&a, dst, 0644, err);
    static const size_t bufsize = 128 * 1024;
    unsigned char *buf = rc ? NULL : malloc(bufsize);
    if (rc == 0 && !buf) {
        wh_atomic_abort(&a);
        rc = wh_fail(err, WH_E_NOMEM, src, -1, NULL);
    }
    while (rc == 0) {
        ssize_t r = read(in, buf, bufsize);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            wh_atomic_abort(&a);
            rc = wh_fail_errno(err, errno, src, "read error");
        } else if (r == 0) {
            break;
        } else {
            rc = wh_atomic_write(&a, buf, (size_t)r, err);
        }
    }
    free(buf);
    close(in);
    if (rc == 0 && sha256) {
        uint8_t d[WH_SHA256_BYTES];
        char hex[WH_SHA256_HEX];
        if (lseek(a.fd, 0, SEEK_SET) < 0)
            rc = wh_fail_errno(err, errno, a.tmp, "cannot seek");
        else
            rc = wh_sha256_fd(a.fd, a.tmp, d, NULL, err);
        if (rc == 0) {
            wh_hex_encode(hex, d, sizeof d, 0);
            if (strcmp(hex, sha256) != 0)
                rc = wh_fail(err, WH_E_VERIFY, dst, -1, "the copy of '%s' has "
                             "sha256 %s, the index says %s", src, hex, sha256);
        }
        if (rc)
            wh_atomic_abort(&a);
    }
    if (rc == 0)
        rc = wh_atomic_commit(&a, err);
    return rc;
}

static int link_impossible(int e)
{
    return e == EXDEV || e == EPERM || e == EMLINK || e == ENOTSUP ||
           e == EOPNOTSUPP || e == EACCES;
}

/* path was just linked to src: it must be the file that was read (want,
 * when given), else it is removed.  *got is its stat. */
static int check_link(const char *path, const char *src, const ix_stat *want,
                      ix_stat *got, wh_err *err)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        int rc = wh_fail_errno(err, errno, path, "cannot stat");
        unlink(path);
        return rc;
    }
    ix_stat_from(got, &st);
    if (want && !ix_stat_same(got, want)) {
        unlink(path);
        return wh_fail(err, WH_E_IO, src, -1, "file changed while being indexed");
    }
    return 0;
}

static int mkdirs_of(const char *path, wh_err *err)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        return 0;
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    return wh_mkdirs(dir, err);
}

/* Hard-link src to dst, which does not exist: link() itself is atomic
 * (and its folder is made on demand).  1 if links are impossible here. */
static int link_new(const char *src, const char *dst, const ix_stat *want,
                    ix_stat *got, wh_err *err)
{
    int r = wh_fs_link(src, dst);
    if (r < 0 && errno == ENOENT) {
        int rc = mkdirs_of(dst, err);
        if (rc)
            return rc;
        r = wh_fs_link(src, dst);
    }
    if (r < 0)
        return link_impossible(errno) ? 1 : wh_fail_errno(err, errno, dst, "cannot link");
    return check_link(dst, src, want, got, err);
}

/* Hard-link src over an existing dst: link to a temporary name, check it,
 * rename over dst.  1 if links are impossible here. */
static int link_replace(const char *src, const char *dst, const ix_stat *want,
                        ix_stat *got, wh_err *err)
{
    char tmp[4096];
    const char *slash = strrchr(dst, '/');
    int dl = slash ? (int)(slash - dst + 1) : 0;
    if (snprintf(tmp, sizeof tmp, "%.*s.%s.link.%ld", dl, dst, dst + dl,
                 (long)getpid()) >= (int)sizeof tmp)
        return wh_fail(err, WH_E_LIMIT, dst, -1, "path too long");
    unlink(tmp);    /* left by a run that crashed */
    if (wh_fs_link(src, tmp) < 0)
        return link_impossible(errno) ? 1 : wh_fail_errno(err, errno, dst, "cannot link");
    int rc = check_link(tmp, src, want, got, err);
    if (rc == 0 && wh_fs_rename(tmp, dst) < 0) {
        rc = wh_fail_errno(err, errno, dst, "cannot rename into place");
        unlink(tmp);
    }
    return rc;
}

/* Make the links made so far durable before an index names them: one
 * syncfs of SITE's file system instead of an fsync per directory (ten
 * thousand fsyncs cost seconds; the copies were fsynced one by one by
 * wh_atomic_commit already). */
int ix_site_sync(const char *site, wh_err *err)
{
    return wh_fs_sync(site, err);
}

/* Make dst a copy of src: nothing if it already is (same inode, or the
 * stats the cache remembers for it), else a link or a checked copy.
 * *how: 0 nothing, 1 linked, 2 copied. */
static int place_file(const char *src, const char *dst, const ix_stat *src_st,
                      ix_stat *placed, const char *sha256, int *how, wh_err *err)
{
    struct stat st;
    ix_stat cur = { 0 };
    int rc;
    *how = 0;
    if (lstat(dst, &st) == 0) {
        ix_stat_from(&cur, &st);
        if (S_ISREG(st.st_mode) &&
            ((src_st && ix_stat_same(&cur, src_st)) || ix_stat_same(&cur, placed))) {
            *placed = cur;
            return 0;
        }
        rc = link_replace(src, dst, src_st, placed, err);
    } else if (errno == ENOENT) {
        rc = link_new(src, dst, src_st, placed, err);
    } else {
        return wh_fail_errno(err, errno, dst, "cannot stat");
    }
    *how = 1;
    if (rc == 1) {
        *how = 2;
        rc = mkdirs_of(dst, err);
        if (rc == 0)
            rc = copy_file(src, dst, sha256, err);
        if (rc == 0 && lstat(dst, &st) == 0)
            ix_stat_from(placed, &st);
    }
    return rc;
}

/* A post-processor's bytes (e->out), written as a new file unless the
 * copy placed before is still there; one the cache answered has no bytes
 * in memory, and scan.c read it again unless its copy was intact. */
static int place_processed(ix_entry *e, const char *dst, size_t *copied, wh_err *err)
{
    struct stat st;
    ix_stat cur = { 0 };
    if (lstat(dst, &st) == 0)
        ix_stat_from(&cur, &st);
    if (!e->out && cur.present && ix_stat_same(&cur, &e->placed))
        return 0;
    if (!e->out)
        return wh_fail(err, WH_E_IO, dst, -1, "the processed copy changed during "
                       "the build");
    int rc = mkdirs_of(dst, err);
    if (rc == 0)
        rc = wh_file_write_atomic(dst, e->out, e->out_len, 0644, err);
    if (rc == 0 && lstat(dst, &st) == 0)
        ix_stat_from(&e->placed, &st);
    *copied += rc == 0;
    return rc;
}

static int place_entry(ix_entry *e, const char *site, size_t *linked,
                       size_t *copied, wh_err *err)
{
    char *dst = ix_join(site, "/", e->site_rel), *dsig = NULL;
    if (!dst)
        return wh_fail(err, WH_E_NOMEM, e->path, -1, NULL);
    int how = 0, processed = json_object_get(e->pkg.record, "processed_by") != NULL;
    int rc = processed ? place_processed(e, dst, copied, err)
                       : place_file(e->path, dst, &e->st, &e->placed, e->pkg.sha256,
                                    &how, err);
    *linked += how == 1;
    *copied += how == 2;
    /* The publisher's signature signs the original, not processed bytes. */
    if (rc == 0 && !processed && e->pkg.kind != WH_PKG_PAR &&
        e->signer.status != IX_UNSIGNED) {
        ix_stat none = { 0 };
        dsig = ix_join(dst, ".minisig", "");
        how = 0;
        rc = dsig ? place_file(e->sig_path, dsig, &e->sig_st, &none, NULL, &how, err)
                  : wh_fail(err, WH_E_NOMEM, e->path, -1, NULL);
        *linked += how == 1;    /* a signature is counted with its package */
        *copied += how == 2;
    }
    free(dst);
    free(dsig);
    return rc;
}

int ix_site_place(ix_scan *s, const char *site, size_t *linked,
                  size_t *copied, wh_err *err)
{
    *linked = *copied = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].state == IX_OK) {
            int rc = place_entry(&s->v[i], site, linked, copied, err);
            if (rc)
                return rc;
        }
    return *linked ? ix_site_sync(site, err) : 0;
}

/* --- publishing the index ------------------------------------------------- */

/* dst becomes a copy of src, whose bytes are data[0..len): a hard link
 * renamed into place (no second write of a large index), or a written
 * copy where links are impossible. */
static int copy_of(const char *src, const char *dst, const void *data,
                   size_t len, wh_err *err)
{
    ix_stat got;
    int rc = link_replace(src, dst, NULL, &got, err);
    return rc == 1 ? wh_file_write_atomic(dst, data, len, 0644, err) : rc;
}

/* The files of one publish, below SITE. */
typedef struct pub_paths {
    char keys[PATH_MAX], pub[PATH_MAX], byhash[PATH_MAX], bh_json[PATH_MAX],
         bh_gz[PATH_MAX], bh_sig[PATH_MAX], sig[PATH_MAX], json[PATH_MAX],
         gz[PATH_MAX];
} pub_paths;

static int pub_paths_make(pub_paths *p, const char *site, const char *sha256,
                          wh_err *err)
{
    char rel[128];
    int bad = 0;
#define P(field, ...) bad |= snprintf(p->field, PATH_MAX, __VA_ARGS__) >= PATH_MAX
    P(keys, "%s/keys", site);
    P(pub, "%s/keys/repo.pub", site);
    P(byhash, "%s/" WH_INDEX_BYHASH, site);
    wh_index_byhash(rel, sizeof rel, sha256, "");
    P(bh_json, "%s/%s", site, rel);
    P(bh_gz, "%s/%s.gz", site, rel);
    P(bh_sig, "%s/%s.minisig", site, rel);
    P(sig, "%s/" WH_INDEX_SIG, site);
    P(json, "%s/" WH_INDEX_JSON, site);
    P(gz, "%s/" WH_INDEX_GZ, site);
#undef P
    return bad ? wh_fail(err, WH_E_LIMIT, site, -1, "path too long") : 0;
}

int ix_site_pubkey(const char *site, const wh_minisign_pubkey *pk, wh_err *err)
{
    char *dir = ix_join(site, "/keys", ""), *path = ix_join(site, "/keys/repo.pub", "");
    char text[WH_MINISIGN_PUBKEY_TEXT_MAX], *old = NULL;
    size_t olen = 0;
    int rc = dir && path ? wh_minisign_pubkey_format(pk, NULL, text, err)
                         : wh_fail(err, WH_E_NOMEM, site, -1, NULL);
    int same = rc == 0 && wh_file_read_stat(path, sizeof text, WH_READ_NOFOLLOW, &old,
                                            &olen, NULL, NULL) == 0 &&
               olen == strlen(text) && memcmp(old, text, olen) == 0;
    if (rc == 0 && !same && (rc = wh_mkdirs(dir, err)) == 0)   /* only when it differs */
        rc = wh_file_write_atomic(path, text, strlen(text), 0644, err);
    free(old);
    free(dir);
    free(path);
    return rc;
}

/* Steps (2) to (5) of ORDER OF WRITES: everything the signature names,
 * then the signature, then the copies. */
int ix_site_publish(const char *site, const char *json, size_t len,
                    const ix_meta *m, const wh_minisign_seckey *sk,
                    const wh_minisign_pubkey *pk, char sha256[WH_SHA256_HEX],
                    wh_err *err)
{
    wh_index_head h = { m->serial, m->expires, "" };
    uint8_t d[WH_SHA256_BYTES];
    char tc[256];
    unsigned char *z = NULL;
    size_t zlen = 0;
    wh_minisign_sig s;
    pub_paths *p = malloc(sizeof *p);
    int rc = p ? wh_sha256_buf(json, len, d, err) : wh_fail(err, WH_E_NOMEM, site, -1, NULL);
    if (rc == 0) {
        wh_hex_encode(h.sha256, d, sizeof d, 0);
        memcpy(sha256, h.sha256, WH_SHA256_HEX);
        wh_index_comment(tc, sizeof tc, &h);
        rc = pub_paths_make(p, site, h.sha256, err);
    }
    if (rc == 0 && (rc = wh_mkdirs(p->keys, err)) == 0 &&
        (rc = wh_minisign_pubkey_save(pk, NULL, p->pub, err)) == 0 &&
        (rc = wh_mkdirs(p->byhash, err)) == 0 &&
        (rc = wh_gzip(json, len, &z, &zlen, err)) == 0 &&
        (rc = wh_file_write_atomic(p->bh_gz, z, zlen, 0644, err)) == 0 &&
        (rc = wh_file_write_atomic(p->bh_json, json, len, 0644, err)) == 0 &&
        (rc = wh_minisign_sign_buffer(&s, sk, json, len, tc, UNTRUSTED_COMMENT,
                                      0, err)) == 0 &&
        (rc = wh_minisign_sig_save(&s, p->bh_sig, err)) == 0 &&
        (rc = wh_minisign_sig_save(&s, p->sig, err)) == 0 &&      /* commit */
        (rc = copy_of(p->bh_gz, p->gz, z, zlen, err)) == 0)
        rc = copy_of(p->bh_json, p->json, json, len, err);
    free(z);
    free(p);
    return rc;
}

/* --- pruning ------------------------------------------------------------------ */

/* Everything below SITE/packages and SITE/by-hash that is not in keep
 * (sorted "packages/..." and "by-hash/..." paths) is removed, and
 * directories left empty with it (wharf makes none; an older layout or a
 * hand may have).  Hidden files go too: the lock is held, so none is a
 * concurrent writer's temporary.  This walk is leaner than wh_walk
 * (no sorting, d_type instead of a stat per file): it runs on every build,
 * over every package of the site. */
typedef struct prune {
    char  **keep;
    size_t  nkeep;
    size_t  removed;
    wh_err *err;
} prune;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define PRUNE_MAX_DEPTH 16

/* Prune dir (path; rel is "packages/..." or "by-hash/..."); *empty says whether it is empty
 * afterwards. */
static int prune_dir(prune *p, char *path, size_t plen, char *rel, size_t rlen,
                     int depth, int *empty)
{
    DIR *d = opendir(path);
    if (!d)
        return wh_fail_errno(p->err, errno, path, "cannot open directory");
    int rc = 0;
    size_t left = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (!strcmp(n, ".") || !strcmp(n, ".."))
            continue;
        size_t nl = strlen(n);
        if (plen + nl + 2 > PATH_MAX || rlen + nl + 2 > PATH_MAX) {
            rc = wh_fail(p->err, WH_E_LIMIT, path, -1, "path too long: '%s'", n);
            break;
        }
        path[plen] = rel[rlen] = '/';
        memcpy(path + plen + 1, n, nl + 1);
        memcpy(rel + rlen + 1, n, nl + 1);
        int isdir = de->d_type == DT_DIR;
        if (de->d_type == DT_UNKNOWN) {
            struct stat st;
            isdir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
        }
        if (isdir && depth < PRUNE_MAX_DEPTH) {
            int sub_empty = 0;
            rc = prune_dir(p, path, plen + 1 + nl, rel, rlen + 1 + nl, depth + 1,
                           &sub_empty);
            if (rc == 0 && !(sub_empty && rmdir(path) == 0))
                left++;
        } else {
            const char *k = rel;
            if (p->nkeep && bsearch(&k, p->keep, p->nkeep, sizeof *p->keep, cmp_str))
                left++;
            else if (wh_fs_unlink(path) < 0 && errno != ENOENT)
                rc = wh_fail_errno(p->err, errno, path, "cannot remove");
            else
                p->removed++;
        }
        path[plen] = rel[rlen] = '\0';
    }
    closedir(d);
    *empty = left == 0;
    return rc;
}

/* keep[] gets what the site still needs: every accepted package (and its
 * signature), and the current and previous generations' by-hash files. */
static int keep_list(prune *p, const ix_scan *s, const char *const hashes[2])
{
    static const char *const sfx[] = { "", ".gz", ".minisig" };
    char rel[128];
    p->keep = calloc(2 * s->n + 7, sizeof *p->keep);
    if (!p->keep)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        const ix_entry *e = &s->v[i];
        if (e->state != IX_OK)
            continue;
        if (!(p->keep[p->nkeep++] = strdup(e->site_rel)) ||
            (e->pkg.kind != WH_PKG_PAR && e->signer.status != IX_UNSIGNED &&
             !(p->keep[p->nkeep++] = ix_join(e->site_rel, ".minisig", ""))))
            return -1;
    }
    for (int h = 0; h < 2; h++)
        for (int k = 0; hashes[h] && *hashes[h] && k < 3; k++)
            if (wh_index_byhash(rel, sizeof rel, hashes[h], sfx[k]) ||
                !(p->keep[p->nkeep++] = strdup(rel)))
                return -1;
    qsort(p->keep, p->nkeep, sizeof *p->keep, cmp_str);
    return 0;
}

int ix_site_prune(const ix_scan *s, const char *site, const char *cur_sha256,
                  const char *prev_sha256, size_t *removed, wh_err *err)
{
    static const char *const dirs[] = { "packages", WH_INDEX_BYHASH };
    const char *const hashes[2] = { cur_sha256, prev_sha256 };
    prune p = { 0 };
    p.err = err;
    *removed = 0;
    struct { char path[PATH_MAX], rel[PATH_MAX]; } *b = malloc(sizeof *b);
    int rc = 0, empty;
    if (!b || keep_list(&p, s, hashes)) {
        rc = wh_fail(err, WH_E_NOMEM, site, -1, NULL);
        goto out;
    }
    for (size_t i = 0; rc == 0 && i < sizeof dirs / sizeof dirs[0]; i++) {
        int n = snprintf(b->path, PATH_MAX, "%s/%s", site, dirs[i]);
        snprintf(b->rel, PATH_MAX, "%s", dirs[i]);
        struct stat st;
        if (n > 0 && n < PATH_MAX && lstat(b->path, &st) == 0 && S_ISDIR(st.st_mode))
            rc = prune_dir(&p, b->path, (size_t)n, b->rel, strlen(b->rel), 0, &empty);
        if (i == 0)
            *removed = p.removed;   /* old generations are routine, not news */
    }
out:
    for (size_t i = 0; p.keep && i < p.nkeep; i++)
        free(p.keep[i]);
    free(p.keep);
    free(b);
    return rc;
}

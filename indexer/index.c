/* index.c - the signed index of a wharf site, and the site's files.
 *
 * This file implements docs/index-format.md:
 *
 *   ix_index_json   the canonical index.json of the accepted packages
 *   ix_site_place   SITE/packages/<name>@<version><ext> (+ .minisig)
 *   ix_index_write  keys/repo.pub, index.json.gz, index.json, and last
 *                   index.json.minisig
 *   ix_site_prune   remove what no accepted package placed
 *   ix_index_load   read an index back and check everything it claims
 *
 * ORDER OF WRITES.  Packages first, the index last, its signature after
 * it: at every moment, a reader that finds index.json.minisig matching
 * index.json finds every file it names.  A crash between index.json and
 * its signature leaves a mismatch, which readers refuse (and the next
 * build repairs); old packages are pruned only once the new signature is
 * in place.
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
 * Tests: tests/cli/t1100-wharf-index-build.sh, t1101-wharf-index-verify.sh.
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
#include <sodium.h>
#include <zlib.h>

#include "common/fs.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/semver.h"
#include "common/sha256.h"

#define UNTRUSTED_COMMENT "signature from wharf-index"

void ix_date(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d", &tm))
        snprintf(out, 32, "@%" PRId64, t);
}

static char *path_join3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

/* --- index.json ------------------------------------------------------------ */

static json_t *signer_json(const ix_signer *s)
{
    if (s->status == IX_UNSIGNED)
        return json_pack("{ss}", "status", ix_status_name(s->status));
    return json_pack("{ssss}", "key_id", s->key_id,
                     "status", ix_status_name(s->status));
}

/* The version record: the reader's fields plus what the indexer knows. */
static json_t *version_record(const ix_entry *e)
{
    json_t *r = json_copy(e->pkg.record);
    if (!r ||
        json_object_set_new(r, "kind", json_string(wh_pkg_kind_name(e->pkg.kind))) ||
        json_object_set_new(r, "path", json_string(e->site_rel)) ||
        json_object_set_new(r, "size", json_integer((json_int_t)e->pkg.size)) ||
        json_object_set_new(r, "sha256", json_string(e->pkg.sha256)) ||
        json_object_set_new(r, "signer", signer_json(&e->signer))) {
        json_decref(r);
        return NULL;
    }
    return r;
}

static int add_version(json_t *modules, const ix_entry *e)
{
    json_t *mod = json_object_get(modules, e->pkg.name);
    if (!mod) {
        mod = json_pack("{s{}}", "versions");
        if (!mod || json_object_set_new(modules, e->pkg.name, mod))
            return -1;
    }
    json_t *rec = version_record(e);
    return rec ? json_object_set_new(json_object_get(mod, "versions"),
                                     e->pkg.version, rec) : -1;
}

int ix_index_json(const ix_scan *s, const ix_meta *m, char **out, size_t *len,
                  wh_err *err)
{
    *out = NULL;
    json_t *modules = json_object();
    json_t *root = json_pack("{sss{ssss}sIsIsIso}", "format", IX_FORMAT,
                             "repository", "name", m->name, "key_id", m->key_id,
                             "serial", (json_int_t)m->serial,
                             "generated", (json_int_t)m->generated,
                             "expires", (json_int_t)m->expires,
                             "modules", modules);
    if (!root)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, "cannot build the index");
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].state == IX_OK && add_version(modules, &s->v[i])) {
            json_decref(root);
            return wh_fail(err, WH_E_NOMEM, s->v[i].path, -1, "cannot build the index");
        }
    int rc = wh_json_canon(root, out, len, err);
    json_decref(root);
    return rc;
}

/* --- gzip ------------------------------------------------------------------- */

int ix_gzip(const void *data, size_t len, unsigned char **out, size_t *outlen,
            wh_err *err)
{
    *out = NULL;
    z_stream z;
    memset(&z, 0, sizeof z);
    /* Level 6: within 1% of level 9 on index JSON, at half the time. */
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, "cannot start deflate");
    /* No name, no time, OS "unknown": the header depends on nothing but
     * the data. */
    gz_header h;
    memset(&h, 0, sizeof h);
    h.os = 255;
    deflateSetHeader(&z, &h);
    uLong cap = deflateBound(&z, (uLong)len);
    unsigned char *buf = malloc(cap);
    int rc = 0;
    if (!buf) {
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
        goto out;
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    if (len > UINT32_MAX || deflate(&z, Z_FINISH) != Z_STREAM_END) {
        rc = wh_fail(err, WH_E_INTERNAL, NULL, -1, "deflate did not finish");
        goto out;
    }
    *out = buf;
    *outlen = z.total_out;
    buf = NULL;
out:
    free(buf);
    deflateEnd(&z);
    return rc;
}

int ix_gunzip(const void *data, size_t len, size_t max, unsigned char **out,
              size_t *outlen, wh_err *err)
{
    *out = NULL;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, "cannot start inflate");
    size_t cap = len * 4 + 1024, n = 0;
    unsigned char *buf = NULL;
    int rc = 0, zr = Z_OK;
    z.next_in = (Bytef *)data;
    z.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
    while (zr != Z_STREAM_END) {
        if (n == cap || !buf) {
            if (buf)
                cap *= 2;
            if (cap > max + 1)
                cap = max + 1;
            unsigned char *nb = n < cap ? realloc(buf, cap) : NULL;
            if (!nb) {
                rc = n >= max ? wh_fail(err, WH_E_LIMIT, NULL, -1, "inflates to "
                                        "more than %zu bytes", max)
                              : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
                goto out;
            }
            buf = nb;
        }
        z.next_out = buf + n;
        z.avail_out = (uInt)(cap - n > UINT32_MAX ? UINT32_MAX : cap - n);
        zr = inflate(&z, Z_NO_FLUSH);
        n = z.total_out;
        if (zr != Z_OK && zr != Z_STREAM_END) {
            rc = wh_fail(err, WH_E_FORMAT, NULL, (long long)z.total_in,
                         "gzip: %s", z.msg ? z.msg : "truncated data");
            goto out;
        }
        if (zr == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
            rc = wh_fail(err, WH_E_FORMAT, NULL, (long long)z.total_in,
                         "gzip: truncated data");
            goto out;
        }
    }
    if (n > max) {
        rc = wh_fail(err, WH_E_LIMIT, NULL, -1, "inflates to more than %zu bytes", max);
        goto out;
    }
    *out = buf;
    *outlen = n;
    buf = NULL;
out:
    free(buf);
    inflateEnd(&z);
    return rc;
}

/* --- placing packages -------------------------------------------------------- */

static void stat_from(ix_stat *s, const struct stat *st)
{
    s->present = 1;
    s->size = (uint64_t)st->st_size;
    s->ino = (uint64_t)st->st_ino;
    s->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int same_stat(const ix_stat *a, const ix_stat *b)
{
    return a->present && b->present && a->size == b->size &&
           a->ino == b->ino && a->mtime_ns == b->mtime_ns;
}

/* Copy src to dst through a temporary file; when sha256 is given, the
 * copy's digest must equal it before it replaces dst. */
static int copy_file(const char *src, const char *dst, const char *sha256,
                     wh_err *err)
{
    int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
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
    stat_from(got, &st);
    if (want && !same_stat(got, want)) {
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
    int r = link(src, dst);
    if (r < 0 && errno == ENOENT) {
        int rc = mkdirs_of(dst, err);
        if (rc)
            return rc;
        r = link(src, dst);
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
    if (link(src, tmp) < 0)
        return link_impossible(errno) ? 1 : wh_fail_errno(err, errno, dst, "cannot link");
    int rc = check_link(tmp, src, want, got, err);
    if (rc == 0 && rename(tmp, dst) < 0) {
        rc = wh_fail_errno(err, errno, dst, "cannot rename into place");
        unlink(tmp);
    }
    return rc;
}

/* Make the links made so far durable before an index names them: one
 * syncfs of SITE's file system instead of an fsync per directory (ten
 * thousand fsyncs cost seconds; the copies were fsynced one by one by
 * wh_atomic_commit already). */
static int sync_site(const char *site, wh_err *err)
{
#ifdef __linux__
    int fd = open(site, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return wh_fail_errno(err, errno, site, "cannot open directory");
    int rc = syncfs(fd) < 0 ? wh_fail_errno(err, errno, site, "cannot sync") : 0;
    close(fd);
    return rc;
#else
    (void)site;
    (void)err;
    sync();
    return 0;
#endif
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
        stat_from(&cur, &st);
        if (S_ISREG(st.st_mode) &&
            ((src_st && same_stat(&cur, src_st)) || same_stat(&cur, placed))) {
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
            stat_from(placed, &st);
    }
    return rc;
}

static int place_entry(ix_entry *e, const char *site, size_t *linked,
                       size_t *copied, wh_err *err)
{
    char *dst = path_join3(site, "/", e->site_rel), *dsig = NULL;
    if (!dst)
        return wh_fail(err, WH_E_NOMEM, e->path, -1, NULL);
    int how = 0;
    int rc = place_file(e->path, dst, &e->st, &e->placed, e->pkg.sha256, &how, err);
    *linked += how == 1;
    *copied += how == 2;
    if (rc == 0 && e->pkg.kind != WH_PKG_PAR && e->signer.status != IX_UNSIGNED) {
        ix_stat none = { 0 };
        dsig = path_join3(dst, ".minisig", "");
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
    return *linked ? sync_site(site, err) : 0;
}

/* --- pruning ------------------------------------------------------------------ */

/* Everything below SITE/packages that is not in keep (sorted "packages/..."
 * paths) is removed, and directories left empty with it (wharf makes none;
 * an older layout or a hand may have).  This walk is leaner than wh_walk
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

/* Prune dir (path; rel is "packages/..."); *empty says whether it is empty
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
            if (n[0] == '.' || (p->nkeep && bsearch(&k, p->keep, p->nkeep,
                                                    sizeof *p->keep, cmp_str)))
                left++;        /* kept, or a temporary of a concurrent writer */
            else if (unlink(path) < 0 && errno != ENOENT)
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

int ix_site_prune(const ix_scan *s, const char *site, size_t *removed,
                  wh_err *err)
{
    prune p = { 0 };
    p.err = err;
    *removed = 0;
    struct { char path[PATH_MAX], rel[PATH_MAX]; } *b = malloc(sizeof *b);
    p.keep = calloc(2 * s->n + 1, sizeof *p.keep);
    int rc = 0, empty;
    if (!b || !p.keep) {
        rc = wh_fail(err, WH_E_NOMEM, site, -1, NULL);
        goto out;
    }
    for (size_t i = 0; i < s->n; i++) {
        const ix_entry *e = &s->v[i];
        if (e->state != IX_OK)
            continue;
        if (!(p.keep[p.nkeep++] = strdup(e->site_rel)) ||
            (e->pkg.kind != WH_PKG_PAR && e->signer.status != IX_UNSIGNED &&
             !(p.keep[p.nkeep++] = path_join3(e->site_rel, ".minisig", "")))) {
            rc = wh_fail(err, WH_E_NOMEM, site, -1, NULL);
            goto out;
        }
    }
    qsort(p.keep, p.nkeep, sizeof *p.keep, cmp_str);
    int n = snprintf(b->path, PATH_MAX, "%s/packages", site);
    snprintf(b->rel, PATH_MAX, "packages");
    struct stat st;
    if (n > 0 && n < PATH_MAX && lstat(b->path, &st) == 0 && S_ISDIR(st.st_mode))
        rc = prune_dir(&p, b->path, (size_t)n, b->rel, strlen(b->rel), 0, &empty);
    *removed = p.removed;
out:
    for (size_t i = 0; p.keep && i < p.nkeep; i++)
        free(p.keep[i]);
    free(p.keep);
    free(b);
    return rc;
}

/* --- writing the index ---------------------------------------------------------- */

static void trusted_comment(char *out, size_t n, const ix_meta *m,
                            const char *json, size_t len)
{
    uint8_t d[WH_SHA256_BYTES];
    char hex[WH_SHA256_HEX];
    wh_sha256_buf(json, len, d, NULL);
    wh_hex_encode(hex, d, sizeof d, 0);
    snprintf(out, n, IX_FORMAT " serial:%" PRId64 " expires:%" PRId64 " sha256:%s",
             m->serial, m->expires, hex);
}

int ix_index_write(const char *site, const char *json, size_t len,
                   const ix_meta *m, const wh_minisign_seckey *sk,
                   const wh_minisign_pubkey *pk, wh_err *err)
{
    char *keys = path_join3(site, "/keys", ""), *pub = path_join3(site, "/keys/repo.pub", ""),
         *ij = path_join3(site, "/index.json", ""), *gz = path_join3(site, "/index.json.gz", ""),
         *sig = path_join3(site, "/index.json.minisig", "");
    unsigned char *z = NULL;
    size_t zlen = 0;
    int rc = 0;
    if (!keys || !pub || !ij || !gz || !sig) {
        rc = wh_fail(err, WH_E_NOMEM, site, -1, NULL);
        goto out;
    }
    char tc[256];
    trusted_comment(tc, sizeof tc, m, json, len);
    wh_minisign_sig s;
    rc = wh_mkdirs(keys, err);
    if (rc == 0)
        rc = wh_minisign_pubkey_save(pk, NULL, pub, err);
    if (rc == 0)
        rc = ix_gzip(json, len, &z, &zlen, err);
    if (rc == 0)
        rc = wh_file_write_atomic(gz, z, zlen, 0644, err);
    if (rc == 0)
        rc = wh_file_write_atomic(ij, json, len, 0644, err);
    if (rc == 0)
        rc = wh_minisign_sign_buffer(&s, sk, json, len, tc, UNTRUSTED_COMMENT, 0, err);
    if (rc == 0)
        rc = wh_minisign_sig_save(&s, sig, err);
out:
    free(z);
    free(keys);
    free(pub);
    free(ij);
    free(gz);
    free(sig);
    return rc;
}

/* --- reading an index back ------------------------------------------------------- */

/* "wharf-index/1 serial:N expires:T sha256:HEX"; 0 when tc is exactly that. */
static int parse_comment(const char *tc, int64_t *serial, int64_t *expires,
                         char hex[WH_SHA256_HEX])
{
    long long s, e;
    int n = 0;
    char h[WH_SHA256_HEX];
    if (sscanf(tc, IX_FORMAT " serial:%lld expires:%lld sha256:%64[0-9a-f]%n",
               &s, &e, h, &n) != 3 || tc[n] != '\0' || strlen(h) != 64)
        return -1;
    char again[256];
    snprintf(again, sizeof again, IX_FORMAT " serial:%lld expires:%lld sha256:%s",
             s, e, h);
    if (strcmp(again, tc) != 0)      /* no "+1", "01" or blanks in numbers */
        return -1;
    *serial = s;
    *expires = e;
    memcpy(hex, h, sizeof h);
    return 0;
}

static int bad(wh_err *err, const char *path, const char *module,
               const char *version, const char *what)
{
    if (version)
        return wh_fail(err, WH_E_FORMAT, path, -1, "module '%s' version '%s': %s",
                       module, version, what);
    if (module)
        return wh_fail(err, WH_E_FORMAT, path, -1, "module '%s': %s", module, what);
    return wh_fail(err, WH_E_FORMAT, path, -1, "%s", what);
}

static int is_hex(const char *s, size_t n)
{
    if (!s || strlen(s) != n)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

static int check_record(json_t *r, const char *path, const char *mod,
                        const char *ver, wh_err *err)
{
    const char *kind = json_string_value(json_object_get(r, "kind")),
               *p = json_string_value(json_object_get(r, "path"));
    json_t *size = json_object_get(r, "size"), *signer = json_object_get(r, "signer");
    const char *status = json_string_value(json_object_get(signer, "status"));
    char tmp[4096];
    if (!json_is_object(r))
        return bad(err, path, mod, ver, "the version record is not an object");
    if (!kind || (strcmp(kind, "ferrpkg") && strcmp(kind, "par") && strcmp(kind, "bundle")))
        return bad(err, path, mod, ver, "'kind' is not \"ferrpkg\", \"par\" or \"bundle\"");
    if (!p || wh_path_join(tmp, sizeof tmp, ".", p, json_string_length(json_object_get(r, "path")), NULL) ||
        strncmp(p, "packages/", 9) != 0)
        return bad(err, path, mod, ver, "'path' is not a safe path below packages/");
    if (!json_is_integer(size) || json_integer_value(size) < 0)
        return bad(err, path, mod, ver, "'size' is not a non-negative integer");
    if (!is_hex(json_string_value(json_object_get(r, "sha256")), 64))
        return bad(err, path, mod, ver, "'sha256' is not 64 lower-case hex digits");
    if (!status || (strcmp(status, "verified") && strcmp(status, "untrusted") &&
                    strcmp(status, "unsigned")))
        return bad(err, path, mod, ver, "'signer.status' is not \"verified\", "
                   "\"untrusted\" or \"unsigned\"");
    if (strcmp(status, "unsigned") != 0 &&
        !json_is_string(json_object_get(signer, "key_id")))
        return bad(err, path, mod, ver, "'signer.key_id' is missing");
    return 0;
}

static int check_modules(ix_index *ix, json_t *modules, const char *path,
                         wh_err *err)
{
    const char *name, *ver;
    size_t nlen, vlen;     /* keys may hold a NUL (\u0000): check them whole */
    json_t *mod, *rec;
    if (!json_is_object(modules))
        return bad(err, path, NULL, NULL, "'modules' is not an object");
    json_object_keylen_foreach(modules, name, nlen, mod) {
        wh_err e;
        if (wh_pkg_name_check(name, nlen, &e))
            return bad(err, path, NULL, NULL, e.reason);
        json_t *versions = json_object_get(mod, "versions");
        if (!json_is_object(versions))
            return bad(err, path, name, NULL, "'versions' is not an object");
        json_object_keylen_foreach(versions, ver, vlen, rec) {
            wh_semver v;
            if (wh_semver_parse(&v, ver, vlen, &e))
                return bad(err, path, name, ver, e.reason);
            int rc = check_record(rec, path, name, ver, err);
            if (rc)
                return rc;
            ix->packages++;
        }
        ix->modules++;
    }
    return 0;
}

static int check_document(ix_index *ix, const char *path, wh_err *err)
{
    json_t *j = ix->json, *repo = json_object_get(j, "repository");
    const char *format = json_string_value(json_object_get(j, "format"));
    json_t *serial = json_object_get(j, "serial"), *gen = json_object_get(j, "generated"),
           *exp = json_object_get(j, "expires");
    if (!format || strcmp(format, IX_FORMAT) != 0)
        return bad(err, path, NULL, NULL, "'format' is not \"" IX_FORMAT "\"");
    if (!json_is_string(json_object_get(repo, "name")) ||
        !json_is_string(json_object_get(repo, "key_id")))
        return bad(err, path, NULL, NULL, "'repository' lacks 'name' or 'key_id'");
    if (!json_is_integer(serial) || json_integer_value(serial) < 1 ||
        !json_is_integer(gen) || !json_is_integer(exp))
        return bad(err, path, NULL, NULL, "'serial', 'generated' or 'expires' "
                   "is not an integer");
    ix->generated = json_integer_value(gen);
    if (json_integer_value(serial) != ix->serial ||
        json_integer_value(exp) != ix->expires)
        return wh_fail(err, WH_E_VERIFY, path, -1, "serial or expiry differs "
                       "from the signature's trusted comment");
    return check_modules(ix, json_object_get(j, "modules"), path, err);
}

int ix_index_load(ix_index *ix, const char *site, const wh_minisign_pubkey *pk,
                  wh_err *err)
{
    memset(ix, 0, sizeof *ix);
    char *path = path_join3(site, "/index.json", ""),
         *sig_path = path_join3(site, "/index.json.minisig", "");
    char *canon = NULL;
    size_t clen;
    wh_minisign_sig sig;
    char hex[WH_SHA256_HEX], mine[WH_SHA256_HEX], id[17];
    uint8_t d[WH_SHA256_BYTES];
    int rc = 0;
    if (!path || !sig_path) {
        rc = wh_fail(err, WH_E_NOMEM, site, -1, NULL);
        goto out;
    }
    rc = wh_file_read(path, IX_INDEX_MAX, &ix->bytes, &ix->len, err);
    if (rc)
        goto out;
    rc = wh_minisign_sig_load(&sig, sig_path, err);
    if (rc == WH_E_NOTFOUND)
        rc = wh_fail(err, WH_E_VERIFY, sig_path, -1, "the signature is missing");
    if (rc == 0)
        rc = wh_minisign_verify_buffer(&sig, pk, ix->bytes, ix->len, sig_path, 0, err);
    if (rc)
        goto out;
    if (parse_comment(sig.trusted, &ix->serial, &ix->expires, hex)) {
        rc = wh_fail(err, WH_E_VERIFY, sig_path, -1, "trusted comment '%.120s' is "
                     "not '" IX_FORMAT " serial:N expires:T sha256:HEX'", sig.trusted);
        goto out;
    }
    wh_sha256_buf(ix->bytes, ix->len, d, NULL);
    wh_hex_encode(mine, d, sizeof d, 0);
    if (strcmp(mine, hex) != 0) {
        rc = wh_fail(err, WH_E_VERIFY, sig_path, -1, "trusted comment's sha256 "
                     "%s is not that of index.json (%s)", hex, mine);
        goto out;
    }
    rc = wh_json_parse(ix->bytes, ix->len, path, &ix->json, err);
    if (rc == 0)
        rc = wh_json_canon(ix->json, &canon, &clen, err);
    if (rc == 0 && (clen != ix->len || memcmp(canon, ix->bytes, clen) != 0))
        rc = wh_fail(err, WH_E_FORMAT, path, -1, "not canonical JSON");
    if (rc == 0)
        rc = check_document(ix, path, err);
    wh_minisign_keyid_hex(pk->key_id, id);
    if (rc == 0 && strcmp(json_string_value(json_object_get(
            json_object_get(ix->json, "repository"), "key_id")), id) != 0)
        rc = wh_fail(err, WH_E_VERIFY, path, -1, "'repository.key_id' is not %s, "
                     "the key it is signed with", id);
out:
    free(canon);
    free(path);
    free(sig_path);
    if (rc)
        ix_index_free(ix);
    return rc;
}

/* The previous build's serial comes from its signature's trusted comment,
 * checked on its own (the global signature covers signature || comment,
 * not the data).  This is what lets a build finish one that failed
 * between index.json and index.json.minisig: that index.json matches no
 * signature, and never reached a reader, but the old signature still
 * proves the serial, and that the site is this key's. */
int ix_index_prev_serial(const char *site, const wh_minisign_pubkey *pk,
                         int64_t *serial, wh_err *err)
{
    *serial = 0;
    char *sig_path = path_join3(site, "/index.json.minisig", "");
    if (!sig_path)
        return wh_fail(err, WH_E_NOMEM, site, -1, NULL);
    wh_minisign_sig sig;
    unsigned char gm[WH_MINISIGN_SIG_BYTES + WH_MINISIGN_TRUSTED_MAX];
    char hex[WH_SHA256_HEX], a[17], b[17];
    int64_t expires;
    int rc = wh_minisign_sig_load(&sig, sig_path, err);
    if (rc == WH_E_NOTFOUND) {          /* a new site */
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    size_t tl = strlen(sig.trusted);
    memcpy(gm, sig.sig, sizeof sig.sig);
    memcpy(gm + sizeof sig.sig, sig.trusted, tl);
    wh_minisign_keyid_hex(sig.key_id, a);
    wh_minisign_keyid_hex(pk->key_id, b);
    if (memcmp(sig.key_id, pk->key_id, sizeof pk->key_id) != 0)
        rc = wh_fail(err, WH_E_VERIFY, sig_path, -1, "signature key id %s "
                     "does not match public key %s", a, b);
    else if (sodium_init() < 0)
        rc = wh_fail(err, WH_E_INTERNAL, sig_path, -1, "cannot initialise libsodium");
    else if (crypto_sign_verify_detached(sig.global_sig, gm, sizeof sig.sig + tl,
                                         pk->pk) != 0)
        rc = wh_fail(err, WH_E_VERIFY, sig_path, -1,
                     "trusted comment verification failed");
    else if (parse_comment(sig.trusted, serial, &expires, hex))
        rc = wh_fail(err, WH_E_VERIFY, sig_path, -1, "trusted comment '%.120s' "
                     "is not '" IX_FORMAT " serial:N expires:T sha256:HEX'",
                     sig.trusted);
out:
    free(sig_path);
    return rc;
}

void ix_index_free(ix_index *ix)
{
    free(ix->bytes);
    json_decref(ix->json);
    memset(ix, 0, sizeof *ix);
}

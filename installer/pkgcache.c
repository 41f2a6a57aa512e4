/* pkgcache.c - a package's bytes from the cache or the first location
 * that serves a good copy (pkgcache.h has the contract).
 *
 * ORDER.  The cache first (ROOT/cache/HEX, read without following a link
 * or blocking, capped at the signed size, then hashed); then each
 * location in the source's order.  Every copy is judged by the signed
 * record alone, wherever it came from: a mirror is as untrusted as the
 * network, and the cache as untrusted as the disk it is on.
 *
 * A LOCATION THAT FAILS (missing file, HTTP error, too slow, larger than
 * the signed size, wrong size or SHA-256, a .minisig by another key) is
 * reported through the warn callback and the next one is tried, so one
 * bad mirror cannot stop an install that a good one can serve.  A copy
 * larger than its signed size is WH_E_VERIFY like a wrong hash: the
 * download is cut at the size (TUF's endless data), and whatever the
 * server meant, it is not the package the index signs.
 *
 * THE .minisig (with_sig) is not covered by the index: it is checked to
 * parse and to name the record's signer key, which is what a reader of
 * the site (wharf-index verify) relies on; the package's own integrity
 * rests on the signed SHA-256.  It is cached beside the package as
 * HEX.minisig, written before HEX, so a cached package whose signature
 * is missing is simply fetched again.
 *
 * Tests: tests/cli/t2008-wharf-fetch.sh, t2007-wharf-mirror.sh.
 */
#include "installer/pkgcache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fetch.h"
#include "common/fs.h"
#include "common/hex.h"
#include "common/pkg.h"

#define SIG_SUFFIX ".minisig"

/* --- failures ----------------------------------------------------------- */

static int severity(int code)
{
    return wh_err_exit(code) == WH_EXIT_VERIFY ? 3
         : code == WH_E_NOTFOUND ? 0 : code == WH_E_IO ? 1 : 2;
}

/* Note a location's failure e: warn, add it to the list, keep the
 * worst in *worst (the first of the most severe kind). */
static void failed(const ins_pkg_opts *o, ins_pkg_got *g, const wh_err *e,
                   wh_err *worst, int warn)
{
    char msg[WH_ERR_LINE_MAX];
    size_t k = strlen(g->failures);
    if (warn && o->warn)
        o->warn(o->ctx, e);
    snprintf(g->failures + k, sizeof g->failures - k, "%s%s", k ? "; " : "",
             wh_err_format(e, msg, sizeof msg));
    if (!worst->code || severity(e->code) > severity(worst->code))
        *worst = *e;
}

char *ins_pkg_failure(const wh_err *err, const ins_pkg_got *g, char *buf,
                      size_t n)
{
    wh_err_format(err, buf, n);
    size_t k = strlen(buf);
    if (g->failures[0] && k < n)
        snprintf(buf + k, n - k, ": %s", g->failures);
    return buf;
}

/* --- checking a copy ------------------------------------------------------ */

/* The .minisig text must parse and name the record's signer key. */
static int sig_check(const wh_index_pkg *p, const char *text, size_t len,
                     const char *path, wh_err *err)
{
    wh_minisign_sig sig;
    char id[17];
    const char *want = json_string_value(json_object_get(
        json_object_get(p->record, "signer"), "key_id"));
    int rc = wh_minisign_sig_parse(&sig, text, len, path, err);
    if (rc)
        return rc;
    wh_minisign_keyid_hex(sig.key_id, id);
    if (want && strcmp(id, want) != 0)
        return wh_fail(err, WH_E_VERIFY, path, -1, "signed by key %s, the index "
                       "says %s", id, want);
    return 0;
}

/* A copy larger than the signed size is not the package: WH_E_VERIFY. */
static int too_big_is_verify(int rc, wh_err *err)
{
    if (rc == WH_E_LIMIT && err)
        err->code = WH_E_VERIFY;
    return rc == WH_E_LIMIT ? WH_E_VERIFY : rc;
}

/* --- the cache ------------------------------------------------------------- */

static int cache_path(const ins_home *h, const wh_index_pkg *p,
                      const char *suffix, char *out, size_t n, wh_err *err)
{
    char rel[128];
    snprintf(rel, sizeof rel, INS_CACHE_DIR "/%s%s", p->sha256, suffix);
    return ins_home_path(h, rel, out, n, err);
}

/* The cached copy of p (and its .minisig when wanted) into g: 0 on a
 * hit, WH_E_NOTFOUND on a miss; a damaged entry is removed, warned of,
 * and is a miss. */
static int cache_read(const ins_home *h, const wh_index_pkg *p,
                      const ins_pkg_opts *o, ins_pkg_got *g)
{
    char path[PATH_MAX], sig_path[PATH_MAX];
    wh_err e;
    int want_sig = o->with_sig && p->has_sig;
    if (cache_path(h, p, "", path, sizeof path, &e) ||
        cache_path(h, p, SIG_SUFFIX, sig_path, sizeof sig_path, &e))
        return WH_E_NOTFOUND;
    int rc = wh_file_read_stat(path, p->size, WH_READ_NOFOLLOW, &g->data, &g->len,
                               NULL, &e);
    if (rc == WH_E_NOTFOUND)
        return rc;
    if (rc == 0)
        rc = wh_index_pkg_check_mem(p, g->data, g->len, path, &e);
    if (rc == 0 && want_sig &&
        (rc = wh_file_read_stat(sig_path, WH_MINISIGN_SIG_TEXT_MAX, WH_READ_NOFOLLOW,
                                &g->sig, &g->sig_len, NULL, &e)) == 0)
        rc = sig_check(p, g->sig, g->sig_len, sig_path, &e);
    if (rc == 0) {
        g->cached = 1;
        snprintf(g->from, sizeof g->from, "cache");
        return 0;
    }
    if (rc != WH_E_NOTFOUND) {          /* damaged: gone, and fetched again */
        wh_err_prefix(&e, "removed from the cache");
        if (o->warn)
            o->warn(o->ctx, &e);
        wh_fs_unlink(path);
        wh_fs_unlink(sig_path);
    }
    ins_pkg_got_free(g);
    return WH_E_NOTFOUND;
}

static int cache_store(const ins_home *h, const wh_index_pkg *p,
                       const ins_pkg_got *g, wh_err *err)
{
    char path[PATH_MAX];
    int rc = ins_home_path(h, INS_CACHE_DIR, path, sizeof path, err);
    if (rc == 0)
        rc = wh_mkdirs(path, err);
    if (rc == 0 && g->sig && (rc = cache_path(h, p, SIG_SUFFIX, path, sizeof path,
                                              err)) == 0)
        rc = wh_file_write_atomic(path, g->sig, g->sig_len, 0644, err);
    if (rc == 0)
        rc = cache_path(h, p, "", path, sizeof path, err);
    return rc ? rc : wh_file_write_atomic(path, g->data, g->len, 0644, err);
}

/* --- one location ---------------------------------------------------------- */

/* Read rel below folder location loc, at most max bytes. */
static int read_dir(const char *loc, const char *rel, size_t max, char **data,
                    size_t *len, wh_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    int rc = ins_location_dir(loc, dir, sizeof dir, err);
    if (rc == 0)
        rc = wh_path_join(path, sizeof path, dir, rel, strlen(rel), err);
    return rc ? rc : wh_file_read_stat(path, max, WH_READ_NOFOLLOW, data, len,
                                       NULL, err);
}

/* Read or download rel of loc (label: the progress line's, or NULL). */
static int get_file(const char *loc, const char *rel, size_t max, int timeout,
                    const char *label, char **data, size_t *len, char *where,
                    size_t n, wh_err *err)
{
    char dir[PATH_MAX];
    if (ins_location_is_http(loc)) {
        int rc = wh_url_join(where, n, loc, rel, err);
        return rc ? rc : wh_fetch_progress(where, max, timeout, label, data,
                                           len, err);
    }
    if (ins_location_dir(loc, dir, sizeof dir, NULL) == 0)
        snprintf(where, n, "%s/%s", dir, rel);
    return read_dir(loc, rel, max, data, len, err);
}

/* A good copy of p (and its .minisig when wanted) from loc into g. */
static int from_location(const char *loc, const wh_index_pkg *p,
                         const ins_pkg_opts *o, ins_pkg_got *g, wh_err *err)
{
    char where[PATH_MAX + 64], rel[PATH_MAX];
    int rc = get_file(loc, p->path, p->size, o->timeout, o->label, &g->data,
                      &g->len, where, sizeof where, err);
    rc = too_big_is_verify(rc, err);
    if (rc == 0)
        rc = wh_index_pkg_check_mem(p, g->data, g->len, where, err);
    if (rc == 0 && o->with_sig && p->has_sig) {
        snprintf(rel, sizeof rel, "%s" SIG_SUFFIX, p->path);
        rc = get_file(loc, rel, WH_MINISIGN_SIG_TEXT_MAX, o->timeout, NULL,
                      &g->sig, &g->sig_len, where, sizeof where, err);
        if (rc == 0)
            rc = sig_check(p, g->sig, g->sig_len, where, err);
    }
    if (rc == 0)
        snprintf(g->from, sizeof g->from, "%s", loc);
    return rc;
}

/* --- API implementation ------------------------------------------------------ */

/* The record's path and hash become file names: refuse what could not
 * be one (the index was verified, but its publisher is not the user). */
static int record_check(const wh_index_pkg *p, wh_err *err)
{
    char tmp[PATH_MAX];
    if (!p->sha256 || strlen(p->sha256) != 64 || !wh_hex_is_lower(p->sha256, 64))
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "%s@%s: sha256 is not 64 "
                       "lower-case hex digits", p->module, p->version);
    if (p->size > WH_PKG_MAX_SIZE)
        return wh_fail(err, WH_E_LIMIT, NULL, -1, "%s@%s: %llu bytes, more than "
                       "a package may be (%zu)", p->module, p->version,
                       (unsigned long long)p->size, WH_PKG_MAX_SIZE);
    return wh_path_join(tmp, sizeof tmp, "x", p->path, strlen(p->path), err);
}

int ins_pkg_get(const ins_home *h, json_t *locations, const wh_index_pkg *p,
                const ins_pkg_opts *o, ins_pkg_got *g, wh_err *err)
{
    wh_err e, worst;
    size_t i;
    json_t *v;
    memset(g, 0, sizeof *g);
    wh_err_clear(&worst);
    int rc = record_check(p, err);
    if (rc || cache_read(h, p, o, g) == 0)
        return rc;
    json_array_foreach(locations, i, v) {
        const char *loc = json_string_value(v);
        if (!loc)
            continue;
        if (o->offline && ins_location_is_http(loc)) {
            wh_fail(&e, WH_E_NOTFOUND, loc, -1, "skipped: offline");
            failed(o, g, &e, &worst, 0);
            continue;
        }
        if (from_location(loc, p, o, g, &e) == 0)
            return cache_store(h, p, g, err);
        failed(o, g, &e, &worst, 1);
        ins_pkg_got_free(g);
    }
    return wh_fail(err, worst.code ? worst.code : WH_E_NOTFOUND, NULL, -1,
                   "%s@%s: no location served a good copy", p->module, p->version);
}

void ins_pkg_got_free(ins_pkg_got *g)
{
    free(g->data);
    free(g->sig);
    g->data = g->sig = NULL;
    g->len = g->sig_len = 0;
}

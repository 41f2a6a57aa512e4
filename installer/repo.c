/* repo.c - a source's signed index: fetched from one of its locations,
 * verified, checked against rollback and freeze, and kept as a verified
 * copy in the install root.
 *
 * TRUST.  The index is entered by its signature, index.json.minisig, as
 * common/index.c reads a site: the key is the one the source is pinned to
 * (source add --key), else the trusted key the signature names; a
 * signature by any other key is refused naming it.  Then (wh_index_load)
 * the index the signature names by hash, its SHA-256, its format.
 * ROLLBACK: the highest serial seen per repository key is kept
 * (seen.json); an index with a lower one is refused.  FREEZE: an expired
 * index is refused unless allowed, which the caller warns about.
 *
 * A location is a folder, a file:// URL or an http(s):// URL (fetch.c,
 * with its caps and timeouts); over HTTP the same files are read in the
 * same order as from a folder.
 *
 * MIRRORS.  A source's locations are tried in order; one that fails (its
 * files missing, damaged, stale, rolled back or by another key) is
 * reported and the next tried, so a bad mirror cannot stop an update a
 * good one can serve.
 *
 * THE COPY.  ROOT/indexes/NAME/ has a site's layout without packages:
 * by-hash/HEX.json, then index.json.minisig renamed into place last (the
 * commit), so wh_index_load reads the copy like any site, and a kill at
 * any write leaves the old copy or the new one.  seen.json is raised
 * before the commit, so the floor never lags a copy.
 *
 * Tests: tests/cli/t2003-wharf-update.sh, t2004-wharf-update-http.sh.
 */
#include "installer/installer.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/fs.h"
#include "common/json.h"


/* --- locations -------------------------------------------------------------- */

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int is_http(const char *loc)
{
    return !strncmp(loc, "http://", 7) || !strncmp(loc, "https://", 8);
}

/* The folder a location names: itself, or a file:// URL's path with its
 * %XX escapes decoded. */
static int location_dir(const char *loc, char *out, size_t n, wh_err *err)
{
    const char *p = strncmp(loc, "file://", 7) ? loc : loc + 7;
    size_t o = 0;
    for (; *p && o + 1 < n; p++) {
        int hi, lo;
        if (*p == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0 &&
            (hi || lo)) {
            out[o++] = (char)(hi * 16 + lo);
            p += 2;
        } else
            out[o++] = *p;
    }
    out[o] = '\0';
    return *p ? wh_fail(err, WH_E_LIMIT, loc, -1, "location too long") : 0;
}

/* --- seen serials -------------------------------------------------------------- */

int ins_seen_load(const ins_home *h, json_t **seen, wh_err *err)
{
    char path[PATH_MAX];
    const char *id;
    json_t *v;
    int rc = ins_state_load(h, INS_SEEN_FILE, INS_SEEN_FORMAT, "serials", seen,
                            path, sizeof path, err);
    json_object_foreach(rc == 0 ? *seen : NULL, id, v)
        if (rc == 0 && (!json_is_integer(v) || json_integer_value(v) < 1))
            rc = wh_fail(err, WH_E_FORMAT, path, -1, "serial of key %s is not "
                         "a positive integer", id);
    if (rc) {
        json_decref(*seen);
        *seen = NULL;
    }
    return rc;
}

/* --- one location ------------------------------------------------------------ */

/* The key that must have signed sig: the pinned one, else a trusted one. */
static int signing_key(const wh_minisign_sig *sig, const char *sig_path,
                       json_t *src, const wh_keyring *kr,
                       wh_minisign_pubkey *pk, wh_err *err)
{
    char id[17], pinned_id[17];
    const char *b64 = json_string_value(json_object_get(src, "key"));
    wh_minisign_keyid_hex(sig->key_id, id);
    if (b64) {
        if (wh_minisign_pubkey_from_base64(pk, b64, strlen(b64), err))
            return err->code;
        wh_minisign_keyid_hex(pk->key_id, pinned_id);
        if (strcmp(id, pinned_id) != 0)
            return wh_fail(err, WH_E_UNTRUSTED, sig_path, -1, "signed by key %s, "
                           "not by %s, the key this source is pinned to",
                           id, pinned_id);
        return 0;
    }
    const wh_minisign_pubkey *t = wh_keyring_find(kr, sig->key_id, NULL);
    if (!t)
        return wh_fail(err, WH_E_UNTRUSTED, sig_path, -1, "signed by key %s, "
                       "which is not trusted (wharf trust add KEY.pub)", id);
    *pk = *t;
    return 0;
}


/* A site over HTTP(S), the way wh_index_load reads a folder: the
 * signature, the key, then the index it names by hash (index.json for a
 * site from before by-hash), verified with wh_index_verify. */
static int fetch_http(const char *loc, json_t *src, const wh_keyring *kr,
                      const ins_fetch_opts *fo, wh_index *ix,
                      wh_minisign_sig *sig, wh_minisign_pubkey *pk,
                      char *sig_url, size_t n, wh_err *err)
{
    char url[PATH_MAX + 200], rel[128], *text = NULL;
    size_t len;
    wh_index_head head;
    snprintf(sig_url, n, "%s/" WH_INDEX_SIG, loc);
    int rc = ins_fetch(sig_url, WH_INDEX_SIG_MAX, fo->timeout, &text, &len, err);
    if (rc == 0)
        rc = wh_minisign_sig_parse(sig, text, len, sig_url, err);
    free(text);
    if (rc == 0)
        rc = signing_key(sig, sig_url, src, kr, pk, err);
    if (rc == 0)
        rc = wh_index_head_check(sig, pk, sig_url, &head, err);
    if (rc)
        return rc;
    wh_index_byhash(rel, sizeof rel, head.sha256, "");
    snprintf(url, sizeof url, "%s/%s", loc, rel);
    rc = ins_fetch(url, WH_INDEX_MAX, fo->timeout, &text, &len, err);
    if (rc == WH_E_NOTFOUND) {
        snprintf(url, sizeof url, "%s/" WH_INDEX_JSON, loc);
        rc = ins_fetch(url, WH_INDEX_MAX, fo->timeout, &text, &len, err);
    }
    return rc ? rc : wh_index_verify(ix, sig, pk, text, len, url, sig_url, err);
}

/* A site in a folder (or file:// URL), through wh_index_load. */
static int fetch_dir(const char *loc, json_t *src, const wh_keyring *kr,
                     wh_index *ix, wh_minisign_sig *sig, wh_minisign_pubkey *pk,
                     char *sig_path, size_t n, wh_err *err)
{
    char dir[PATH_MAX];
    int rc = location_dir(loc, dir, sizeof dir, err);
    if (rc == 0 && snprintf(sig_path, n, "%s/" WH_INDEX_SIG, dir) >= (int)n)
        rc = wh_fail(err, WH_E_LIMIT, loc, -1, "location too long");
    if (rc == 0)
        rc = wh_minisign_sig_load_flags(sig, sig_path, WH_MINISIGN_NOFOLLOW, err);
    if (rc == 0)
        rc = signing_key(sig, sig_path, src, kr, pk, err);
    return rc ? rc : wh_index_load(ix, dir, pk, err);
}

int ins_repo_fetch_one(const char *loc, json_t *src, const wh_keyring *kr,
                       json_t *seen, const ins_fetch_opts *fo, wh_index *ix,
                       wh_minisign_sig *sig, wh_err *err)
{
    char sig_path[PATH_MAX + 32], id[17], date[32];
    wh_minisign_pubkey pk;
    memset(ix, 0, sizeof *ix);
    int rc = is_http(loc) ? fetch_http(loc, src, kr, fo, ix, sig, &pk, sig_path,
                                       sizeof sig_path, err)
                          : fetch_dir(loc, src, kr, ix, sig, &pk, sig_path,
                                      sizeof sig_path, err);
    if (rc)
        return rc;
    wh_minisign_keyid_hex(pk.key_id, id);
    json_t *floor = json_object_get(seen, id);
    wh_cli_date(ix->head.expires, date);
    if (floor && ix->head.serial < json_integer_value(floor))
        rc = wh_fail(err, WH_E_VERIFY, sig_path, -1, "index serial %lld is older "
                     "than %lld already seen (a rollback, or a stale mirror)",
                     (long long)ix->head.serial, (long long)json_integer_value(floor));
    else if (ix->head.expires < fo->now && !fo->allow_expired)
        rc = wh_fail(err, WH_E_EXPIRED, sig_path, -1, "the index expired on %s "
                     "(--allow-expired uses it anyway)", date);
    if (rc)
        wh_index_free(ix);
    return rc;
}

/* --- the verified copy ----------------------------------------------------------- */

/* Remove by-hash files of dir other than keep (a file name). */
static int prune_copies(const char *dir, const char *keep, wh_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX + 300];
    int rc = 0;
    while (d && rc == 0 && (de = readdir(d)))
        if (de->d_name[0] != '.' && strcmp(de->d_name, keep) != 0 &&
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name) < (int)sizeof path &&
            wh_fs_unlink(path) < 0 && errno != ENOENT)
            rc = wh_fail_errno(err, errno, path, "cannot remove");
    if (d)
        closedir(d);
    return rc;
}

int ins_repo_store(const ins_home *h, const char *name, const wh_index *ix,
                   const wh_minisign_sig *sig, json_t *seen, wh_err *err)
{
    char rel[PATH_MAX], dir[PATH_MAX], bh[PATH_MAX], file[128], path[PATH_MAX + 200],
         id[17];
    snprintf(rel, sizeof rel, INS_INDEXES_DIR "/%s", name);
    wh_index_byhash(file, sizeof file, ix->head.sha256, "");
    int rc = ins_home_path(h, rel, dir, sizeof dir, err);
    if (rc == 0 && snprintf(bh, sizeof bh, "%s/" WH_INDEX_BYHASH, dir) >= (int)sizeof bh)
        rc = wh_fail(err, WH_E_LIMIT, dir, -1, "path too long");
    if (rc == 0)
        rc = wh_mkdirs(bh, err);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/%s", dir, file);
        rc = wh_file_write_atomic(path, ix->bytes, ix->len, 0644, err);
    }
    /* The floor first: a copy never has a serial seen.json lacks. */
    wh_minisign_keyid_hex((const unsigned char *)sig->key_id, id);
    json_t *floor = json_object_get(seen, id);
    if (rc == 0 && (!floor || json_integer_value(floor) < ix->head.serial)) {
        if (json_object_set_new(seen, id, json_integer(ix->head.serial)))
            rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
        if (rc == 0)
            rc = ins_state_save(h, INS_SEEN_FILE, INS_SEEN_FORMAT, "serials",
                                seen, err);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/" WH_INDEX_SIG, dir);
        rc = wh_minisign_sig_save(sig, path, err);
    }
    if (rc == 0)
        rc = prune_copies(bh, file + strlen(WH_INDEX_BYHASH "/"), err);
    return rc;
}

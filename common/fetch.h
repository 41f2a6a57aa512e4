/* fetch.h - files and a site's signed index over HTTP(S), into memory,
 * within limits (libcurl).
 *
 * The one HTTP client of wharf: `wharf` (update, install, mirror) and
 * `wharf-index plugin install --from http(s)://...` read sites through
 * it, so both owe a hostile server the same limits (fetch.c says which).
 * Only programs that link libcurl may call it: bin/wharf's front and
 * `wharf run` never do (the Makefile keeps libcurl out of them), and the
 * program calls curl_global_init before, curl_global_cleanup after.
 *
 * Tests: tests/cli/t2004-wharf-update-http.sh, t2008-wharf-fetch.sh,
 * t1202-wharf-index-plugin-sources.sh.
 */
#ifndef WH_FETCH_H
#define WH_FETCH_H

#include <stddef.h>

#include "common/err.h"
#include "common/index.h"
#include "common/minisign.h"
#include "common/shard.h"

/* The most an index's signature file may be, in bytes. */
#define WH_INDEX_SIG_MAX 4096

/* GET url into a malloc'd, NUL-terminated *data of *len bytes, at most max
 * bytes (WH_E_LIMIT past it), giving up when slower than 1 KiB/s for
 * timeout seconds (0 or less: 30).  404/410 are WH_E_NOTFOUND; other
 * failures WH_E_IO.  Errors name the URL. */
int wh_fetch(const char *url, size_t max, int timeout, char **data, size_t *len,
             wh_err *err);

/* wh_fetch, drawing a progress line labelled label on stderr while it
 * runs when label is not NULL and stderr is a terminal. */
int wh_fetch_progress(const char *url, size_t max, int timeout,
                      const char *label, char **data, size_t *len,
                      wh_err *err);

/* loc + "/" + rel into out (n bytes), rel's bytes other than
 * A-Za-z0-9 -._~/@+ %XX-escaped, so a path from an index cannot add a
 * query or a fragment.  WH_E_LIMIT when it does not fit. */
int wh_url_join(char *out, size_t n, const char *loc, const char *rel,
                wh_err *err);

/* The key that must have signed sig, into *pk (sig_url names the
 * signature in errors); an error refuses the index. */
typedef int wh_fetch_key_fn(void *ctx, const wh_minisign_sig *sig,
                            const char *sig_url, wh_minisign_pubkey *pk,
                            wh_err *err);

/* The signed index of the site at URL site, read as wh_index_load reads a
 * folder: SITE/index.json.minisig (at most WH_INDEX_SIG_MAX bytes), its
 * key (key(ctx, ...), or *pk as given when key is NULL), its head
 * (wh_index_head_check), then by-hash/HEX.json (SITE/index.json when the
 * server has none: a site from before by-hash), verified with
 * wh_index_verify.  sig_url (n bytes) receives the signature's URL, sig
 * and *pk what verified.  Expiry and rollback are the caller's. */
int wh_fetch_index(const char *site, int timeout, wh_fetch_key_fn *key,
                   void *ctx, wh_index *ix, wh_minisign_sig *sig,
                   wh_minisign_pubkey *pk, char *sig_url, size_t n,
                   wh_err *err);

/* --- a site's sharded index, from a folder or over HTTP(S)
 * (shard_fetch.c; common/shard.h has the format) ------------------------ */

/* rel below the site at loc (a folder, or with http an http(s):// URL)
 * into *data (max bytes at most); where (n bytes) receives the path or
 * URL read, which errors name.  A folder's file is never read through a
 * link. */
int wh_site_get(const char *loc, int http, const char *rel, size_t max,
                int timeout, char **data, size_t *len, char *where, size_t n,
                wh_err *err);

/* The site's top level, as wh_fetch_index reads index.json: its
 * signature (WH_E_NOTFOUND when the site has none: not a sharded site),
 * the key, its head, then index/snapshot/HEX.json, verified. */
int wh_site_snap(const char *loc, int http, int timeout, wh_fetch_key_fn *key,
                 void *ctx, wh_snap *s, wh_minisign_sig *sig,
                 wh_minisign_pubkey *pk, char *sig_where, size_t n, wh_err *err);

/* Bin b of s, unless it is empty or s holds it already: fetched, checked
 * and parsed into s->bin_cache[b]; *bytes (malloc'd, the caller's; NULL
 * when nothing was fetched) to keep a copy. */
int wh_site_bin(wh_snap *s, const char *loc, int http, int timeout, size_t b,
                char **bytes, size_t *len, wh_err *err);

/* The module file hex of module name: fetched and checked; *bytes as
 * above, *versions (a new reference) its versions. */
int wh_site_module(const char *loc, int http, int timeout, const char *name,
                   const char *hex, char **bytes, size_t *len, json_t **versions,
                   wh_err *err);

#endif

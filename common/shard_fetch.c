/* shard_fetch.c - a site's sharded index read from where it lives: a
 * folder or an http(s):// URL (common/fetch.c), file by file, each
 * checked as common/shard.c checks it before anyone uses it.
 *
 * The readers (`wharf update`, `install`, `mirror`) fetch the top level
 * and then only what they need: the bins they do not hold yet, the module
 * files a resolution asks for.  Every file but the top level is named by
 * its SHA-256, so a reader that took a top level finds the files it names
 * for as long as the site keeps them (wharf-index build --retain), and a
 * cache of them never needs revalidating.
 *
 * Tests: tests/cli/t1110-wharf-index-sharded.sh.
 */
#include "shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "fs.h"

int wh_site_get(const char *loc, int http, const char *rel, size_t max,
                int timeout, char **data, size_t *len, char *where, size_t n,
                wh_err *err)
{
    *data = NULL;
    if (http) {
        int rc = wh_url_join(where, n, loc, rel, err);
        return rc ? rc : wh_fetch(where, max, timeout, data, len, err);
    }
    if (snprintf(where, n, "%s/%s", loc, rel) >= (int)n)
        return wh_fail(err, WH_E_LIMIT, loc, -1, "path too long");
    return wh_file_read_stat(where, max, WH_READ_NOFOLLOW, data, len, NULL, err);
}

int wh_site_snap(const char *loc, int http, int timeout, wh_fetch_key_fn *key,
                 void *ctx, wh_snap *s, wh_minisign_sig *sig,
                 wh_minisign_pubkey *pk, char *sig_where, size_t n, wh_err *err)
{
    char where[4096], rel[160], *text = NULL;
    size_t len;
    wh_index_head h;
    memset(s, 0, sizeof *s);
    int rc = wh_site_get(loc, http, WH_SNAP_SIG, WH_INDEX_SIG_MAX, timeout, &text,
                         &len, sig_where, n, err);
    if (rc == 0)
        rc = wh_minisign_sig_parse(sig, text, len, sig_where, err);
    free(text);
    if (rc == 0 && key)
        rc = key(ctx, sig, sig_where, pk, err);
    if (rc == 0)
        rc = wh_snap_head_check(sig, pk, sig_where, &h, err);
    if (rc == 0) {
        wh_snap_path(rel, sizeof rel, 's', h.sha256, "");
        rc = wh_site_get(loc, http, rel, WH_SNAP_MAX, timeout, &text, &len, where,
                         sizeof where, err);
        if (rc == WH_E_NOTFOUND)     /* the signature is there: not "no index" */
            rc = wh_fail(err, WH_E_VERIFY, where, -1, "missing: the signature "
                         "names it");
    }
    return rc ? rc : wh_snap_verify(s, sig, pk, text, len, where, sig_where, err);
}

int wh_site_bin(wh_snap *s, const char *loc, int http, int timeout, size_t b,
                char **bytes, size_t *len, wh_err *err)
{
    char where[4096], rel[160];
    *bytes = NULL;
    if (!*s->bins[b] || s->bin_cache[b])
        return 0;
    wh_snap_path(rel, sizeof rel, 'b', s->bins[b], "");
    int rc = wh_site_get(loc, http, rel, WH_BIN_MAX, timeout, bytes, len, where,
                         sizeof where, err);
    if (rc == WH_E_NOTFOUND)
        rc = wh_fail(err, WH_E_VERIFY, where, -1, "missing: the signed index "
                     "lists it as bin %zu", b);
    if (rc == 0)
        rc = wh_snap_bin_parse(s, b, *bytes, *len, where, &s->bin_cache[b], err);
    if (rc) {
        free(*bytes);
        *bytes = NULL;
    }
    return rc;
}

int wh_site_module(const char *loc, int http, int timeout, const char *name,
                   const char *hex, char **bytes, size_t *len, json_t **versions,
                   wh_err *err)
{
    char where[4096], rel[160];
    size_t count = 0;
    wh_snap_path(rel, sizeof rel, 'm', hex, "");
    int rc = wh_site_get(loc, http, rel, WH_MODFILE_MAX, timeout, bytes, len,
                         where, sizeof where, err);
    if (rc == WH_E_NOTFOUND)
        rc = wh_fail(err, WH_E_VERIFY, where, -1, "missing: the signed index "
                     "lists it for module '%s'", name);
    if (rc == 0)
        rc = wh_snap_module_parse(name, hex, *bytes, *len, where, versions, &count, err);
    if (rc) {
        free(*bytes);
        *bytes = NULL;
    }
    return rc;
}

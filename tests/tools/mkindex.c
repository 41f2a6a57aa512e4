/* mkindex.c - test tool: sign a given index into a site, as a build
 * would publish it, so tests can give readers records no build writes
 * (yet, or ever: hostile ones):
 *
 *   mkindex SITE KEY INDEX.json
 *
 * INDEX.json is any JSON text (a test edits a built index with jq); it
 * is written in canonical form as SITE/by-hash/HEX.json with its .gz and
 * .minisig, then SITE/index.json.minisig (the commit) and the copies
 * SITE/index.json and index.json.gz.  The trusted comment takes serial
 * and expires from the document itself ("wharf-index/1 serial:N
 * expires:T sha256:HEX"), so a test that wants a reader to take the new
 * index raises "serial".  Nothing is checked here: the readers are what
 * is being tested.  KEY is an unencrypted minisign secret key.
 *
 * Used by tests/cli/t2027-wharf-plugin-records.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/fs.h"
#include "common/gzip.h"
#include "common/hex.h"
#include "common/index.h"
#include "common/json.h"
#include "common/minisign.h"
#include "common/sha256.h"

/* SITE/rel, or a message. */
static int site_path(char *out, size_t n, const char *site, const char *rel,
                     wh_err *err)
{
    if (snprintf(out, n, "%s/%s", site, rel) >= (int)n)
        return wh_fail(err, WH_E_LIMIT, site, -1, "path too long");
    return 0;
}

/* text (and its gzip, its signature) under SITE/by-hash/HEX.json. */
static int write_byhash(const char *site, const char *hex, const char *text,
                        size_t len, const wh_minisign_sig *sig, wh_err *err)
{
    char rel[160], path[4096];
    unsigned char *gz = NULL;
    size_t gzlen;
    int rc = site_path(path, sizeof path, site, WH_INDEX_BYHASH, err);
    if (rc == 0)
        rc = wh_mkdirs(path, err);
    wh_index_byhash(rel, sizeof rel, hex, ".gz");
    if (rc == 0 && (rc = wh_gzip(text, len, &gz, &gzlen, err)) == 0 &&
        (rc = site_path(path, sizeof path, site, rel, err)) == 0)
        rc = wh_file_write_atomic(path, gz, gzlen, 0644, err);
    free(gz);
    wh_index_byhash(rel, sizeof rel, hex, "");
    if (rc == 0 && (rc = site_path(path, sizeof path, site, rel, err)) == 0)
        rc = wh_file_write_atomic(path, text, len, 0644, err);
    wh_index_byhash(rel, sizeof rel, hex, ".minisig");
    if (rc == 0 && (rc = site_path(path, sizeof path, site, rel, err)) == 0)
        rc = wh_minisign_sig_save(sig, path, err);
    return rc;
}

/* The signature, then the copies, as a build orders them. */
static int write_entry(const char *site, const char *text, size_t len,
                       const wh_minisign_sig *sig, wh_err *err)
{
    char path[4096];
    unsigned char *gz = NULL;
    size_t gzlen;
    int rc = site_path(path, sizeof path, site, WH_INDEX_SIG, err);
    if (rc == 0)
        rc = wh_minisign_sig_save(sig, path, err);
    if (rc == 0 && (rc = site_path(path, sizeof path, site, WH_INDEX_JSON, err)) == 0)
        rc = wh_file_write_atomic(path, text, len, 0644, err);
    if (rc == 0 && (rc = wh_gzip(text, len, &gz, &gzlen, err)) == 0 &&
        (rc = site_path(path, sizeof path, site, WH_INDEX_GZ, err)) == 0)
        rc = wh_file_write_atomic(path, gz, gzlen, 0644, err);
    free(gz);
    return rc;
}

static int sign_site(const char *site, const wh_minisign_seckey *sk, json_t *doc,
                     wh_err *err)
{
    char *text = NULL, tc[256];
    size_t len;
    unsigned char d[WH_SHA256_BYTES];
    wh_minisign_sig sig;
    wh_index_head h = {
        (int64_t)json_integer_value(json_object_get(doc, "serial")),
        (int64_t)json_integer_value(json_object_get(doc, "expires")), ""
    };
    int rc = wh_json_canon(doc, &text, &len, err);
    if (rc == 0 && (rc = wh_sha256_buf(text, len, d, err)) == 0) {
        wh_hex_encode(h.sha256, d, sizeof d, 0);
        wh_index_comment(tc, sizeof tc, &h);
        rc = wh_minisign_sign_buffer(&sig, sk, text, len, tc,
                                     "signature from mkindex", 0, err);
    }
    if (rc == 0)
        rc = write_byhash(site, h.sha256, text, len, &sig, err);
    if (rc == 0)
        rc = write_entry(site, text, len, &sig, err);
    free(text);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: mkindex SITE KEY INDEX.json\n");
        return 2;
    }
    wh_err err;
    wh_minisign_seckey *sk = NULL;
    json_error_t je;
    json_t *doc = json_load_file(argv[3], JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        fprintf(stderr, "mkindex: %s:%d:%d: %s\n", argv[3], je.line, je.column, je.text);
        return 3;
    }
    int rc = wh_minisign_seckey_load(&sk, argv[2], &err);
    if (rc == 0)
        rc = sign_site(argv[1], sk, doc, &err);
    if (rc)
        fprintf(stderr, "mkindex: %s: %s\n", err.path, err.reason);
    json_decref(doc);
    wh_minisign_seckey_free(sk);
    return rc ? 1 : 0;
}

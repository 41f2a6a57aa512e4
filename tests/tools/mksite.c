/* mksite.c - test and bench tool: a signed wharf site of synthetic
 * modules, written directly (no package files), for measuring the
 * installer on indexes far larger than any test folder of packages:
 *
 *   mksite OUT KEY MODULES VERSIONS [DEPS]
 *
 * OUT gets by-hash/HEX.json, its .gz and .minisig, and
 * index.json.minisig (wharf-index/1, signed with the secret key KEY, serial
 * 1, expiring in 90 days), as `wharf-index build` lays them out.  Module
 * mNNNNN has VERSIONS versions 1.0.0, 1.1.0, ...; each version depends on
 * about DEPS (default 3) modules with lower numbers, chosen by a fixed
 * pseudo-random sequence, with caret requirements ("^1.2"), so dependency
 * closures exist and every run writes the same bytes.  The records have
 * every field readers check; their sha256 and size describe no file (the
 * packages are not written), which is fine for reading, searching and
 * resolving, not for installing.
 *
 * Used by tests/bench/resolve.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/fs.h"
#include "common/gzip.h"
#include "common/hex.h"
#include "common/index.h"
#include "common/json.h"
#include "common/minisign.h"
#include "common/sha256.h"

static unsigned long long rng = 88172645463325252ULL;

static unsigned long long next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static json_t *record(long m, long v, long versions, long deps)
{
    char path[96], sha[WH_SHA256_HEX], name[24];
    unsigned char d[WH_SHA256_BYTES];
    snprintf(path, sizeof path, "packages/m%05ld@1.%ld.0.ferrpkg", m, v);
    wh_sha256_buf(path, strlen(path), d, NULL);
    wh_hex_encode(sha, d, sizeof d, 0);
    json_t *dep = json_object();
    for (long k = 0; m > 0 && k < deps; k++) {
        long t = (long)(next() % (unsigned long long)m);
        char req[32];
        snprintf(name, sizeof name, "m%05ld", t);
        snprintf(req, sizeof req, "^1.%llu", next() % (unsigned long long)versions);
        json_object_set_new(dep, name, json_string(req));
    }
    return json_pack("{sssssssssos[s]s[ss]sssIsIsss{ss}}",
        "kind", "ferrpkg", "author", "bench", "license", "MIT",
        "description", m % 7 ? "a synthetic module for benchmarks" :
                               "a synthetic parser module for benchmarks",
        "dependencies", dep, "categories", m % 3 ? "tools" : "parsers",
        "tags", "bench", m % 2 ? "odd" : "even", "path", path,
        "size", (json_int_t)1000, "published", (json_int_t)1700000000,
        "sha256", sha, "signer", "status", "unsigned");
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: mksite OUT KEY MODULES VERSIONS [DEPS]\n");
        return 2;
    }
    long n = atol(argv[3]), versions = atol(argv[4]), deps = argc > 5 ? atol(argv[5]) : 3;
    wh_err err;
    wh_minisign_seckey *sk = NULL;
    wh_minisign_pubkey pk;
    if (wh_minisign_seckey_load(&sk, argv[2], &err)) {
        fprintf(stderr, "mksite: %s: %s\n", err.path, err.reason);
        return 1;
    }
    wh_minisign_seckey_public(sk, &pk);
    char id[17];
    wh_minisign_keyid_hex(pk.key_id, id);
    int64_t now = (int64_t)time(NULL);
    json_t *modules = json_object();
    for (long m = 0; m < n; m++) {
        char name[24];
        json_t *vs = json_object();
        for (long v = 0; v < versions; v++) {
            char ver[32];
            snprintf(ver, sizeof ver, "1.%ld.0", v);
            json_object_set_new(vs, ver, record(m, v, versions, deps));
        }
        snprintf(name, sizeof name, "m%05ld", m);
        json_object_set_new(modules, name, json_pack("{so}", "versions", vs));
    }
    json_t *root = json_pack("{sss{ssss}sIsIsIso}", "format", WH_INDEX_FORMAT,
        "repository", "name", "bench", "key_id", id, "serial", (json_int_t)1,
        "generated", (json_int_t)now, "expires", (json_int_t)(now + 90 * 86400),
        "modules", modules);
    char *text, bh[600], sigp[600], tc[256];
    size_t len;
    wh_index_head h = { 1, now + 90 * 86400, "" };
    unsigned char d[WH_SHA256_BYTES];
    wh_minisign_sig sig;
    int rc = wh_json_canon(root, &text, &len, &err);
    if (rc == 0 && (rc = wh_sha256_buf(text, len, d, &err)) == 0) {
        wh_hex_encode(h.sha256, d, sizeof d, 0);
        wh_index_comment(tc, sizeof tc, &h);
        snprintf(bh, sizeof bh, "%s/" WH_INDEX_BYHASH, argv[1]);
        rc = wh_mkdirs(bh, &err);
    }
    if (rc == 0) {
        snprintf(bh, sizeof bh, "%s/" WH_INDEX_BYHASH "/%s.json", argv[1], h.sha256);
        rc = wh_file_write_atomic(bh, text, len, 0644, &err);
    }
    unsigned char *gz = NULL;
    size_t gzlen;
    if (rc == 0 && (rc = wh_gzip(text, len, &gz, &gzlen, &err)) == 0) {
        snprintf(bh, sizeof bh, "%s/" WH_INDEX_BYHASH "/%s.json.gz", argv[1], h.sha256);
        rc = wh_file_write_atomic(bh, gz, gzlen, 0644, &err);
    }
    free(gz);
    if (rc == 0)
        rc = wh_minisign_sign_buffer(&sig, sk, text, len, tc, "signature from mksite",
                                     0, &err);
    snprintf(sigp, sizeof sigp, "%s/" WH_INDEX_BYHASH "/%s.json.minisig", argv[1], h.sha256);
    if (rc == 0)
        rc = wh_minisign_sig_save(&sig, sigp, &err);
    snprintf(sigp, sizeof sigp, "%s/" WH_INDEX_SIG, argv[1]);
    if (rc == 0)
        rc = wh_minisign_sig_save(&sig, sigp, &err);
    if (rc)
        fprintf(stderr, "mksite: %s: %s\n", err.path, err.reason);
    free(text);
    json_decref(root);
    wh_minisign_seckey_free(sk);
    return rc ? 1 : 0;
}

/* fuzz.c - JSON as wharf reads it from others (common/json.c), then as
 * the two documents made of it: a site's index (common/index.c) and a
 * PAR's wascap claims (common/pkg_par.c).
 *
 *   1. wh_json_parse and wh_json_canon_check on the input, which must
 *      agree with writing the tree back: the bytes pass the one-pass check
 *      exactly when they equal wh_json_canon of what they parse to;
 *      canonical output is canonical, and parses to an equal tree.
 *   2. The tree as an index: repository.key_id set to the test key's,
 *      written canonically, signed with a trusted comment naming its
 *      serial, expiry and SHA-256, then wh_index_verify (every record
 *      check), and for a verified one each version record through
 *      wh_index_packages, wh_index_latest, wh_index_pkg_check_mem and the
 *      target helpers.
 *   3. The input as a sharded index's bin and module file
 *      (common/shard.c), named by its own digest.
 *   4. The tree as a token's claims: iss and sub set to test account and
 *      service keys (their checks are the nkeys target's), a target hash
 *      added when wascap has none, signed, put in a tar with one binary
 *      and read by wh_par_read at a fixed time.
 *
 * The build cache's parser (indexer/scan.c, .wharf-cache.json) is static
 * and reached only through a signed file in a site folder: not a target.
 *
 * The keys are throwaway test keys (minisign -G -W; an nkeys account
 * from a fixed seed), set up once in LLVMFuzzerInitialize.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/json/).
 */
#include <string.h>

#include "common/hex.h"
#include "common/index.h"
#include "common/json.h"
#include "common/minisign.h"
#include "common/par_write.h"
#include "common/sha256.h"
#include "common/shard.h"
#include "tests/fuzz/common/fuzz.h"
#include "tests/fuzz/common/pkg_fuzz.h"

static const char jf_seckey[] =
    "untrusted comment: minisign encrypted secret key\n"
    "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAOUAqj1"
    "VkGYKzFbclkVJR3DKtbcIcXn/bsO3tD9ZeHEtrgrrX14C6ppQsT29KuWTN5LR/+5ZtxckIqzkR1y"
    "mE38V8FQ6F+p2vAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";

/* Set once by LLVMFuzzerInitialize, read-only afterwards. */
static struct {
    wh_minisign_seckey *sk;
    wh_minisign_pubkey  pk;
    char                key_id[17];
    wh_par_key          account, service;
} jf;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const uint8_t seed[32] = { 1, 2, 3, 4 };
    if (wh_minisign_seckey_parse(&jf.sk, jf_seckey, sizeof jf_seckey - 1,
                                 "test.key", NULL) != 0 ||
        wh_par_key_from_seed(&jf.account, WH_NKEY_ACCOUNT, seed, NULL) != 0 ||
        wh_par_key_from_seed(&jf.service, WH_NKEY_SERVICE, seed, NULL) != 0)
        abort();
    wh_minisign_seckey_public(jf.sk, &jf.pk);
    wh_minisign_keyid_hex(jf.pk.key_id, jf.key_id);
    return 0;
}

/* --- 1. parse, check, write ------------------------------------------ */

static void jf_canon(const uint8_t *data, size_t size, const json_t *v,
                     int canonical)
{
    char *c;
    size_t clen;
    wh_err err;
    if (wh_json_canon(v, &c, &clen, &err) != 0) {
        FUZZ_ASSERT(!canonical);    /* a real number */
        return;
    }
    FUZZ_ASSERT(canonical == (clen == size && memcmp(c, data, size) == 0));
    FUZZ_ASSERT(wh_json_canon_check(c, clen, "c.json", &err) == 0);
    json_t *back;
    FUZZ_ASSERT(wh_json_parse(c, clen, "c.json", &back, &err) == 0);
    FUZZ_ASSERT(json_equal(v, back));
    json_decref(back);
    free(c);
}

/* --- 2. the tree as a signed index ----------------------------------- */

static int64_t jf_int(const json_t *o, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

static void jf_records(const wh_index *ix, const uint8_t *data, size_t size)
{
    wh_index_pkg *v;
    size_t n;
    wh_err err;
    if (wh_index_packages(ix, &v, &n, &err) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        char buf[128];
        (void)wh_index_pkg_check_mem(&v[i], data, size, "p.pkg", &err);
        wh_pkg_targets(v[i].record, buf, sizeof buf);
        (void)wh_pkg_target_check("p.pkg", v[i].record, NULL, &err);
    }
    free(v);
    const char *mod;
    json_t *m;
    json_object_foreach(json_object_get(ix->json, "modules"), mod, m)
        (void)wh_index_latest(json_object_get(m, "versions"));
}

/* Sign bytes (malloc'd; wh_index_verify takes them) as a build would. */
static void jf_verify(char *bytes, size_t len, int64_t serial,
                      int64_t expires, const uint8_t *data, size_t size)
{
    uint8_t d[WH_SHA256_BYTES];
    wh_index_head h = { serial, expires, "" };
    char comment[256];
    wh_minisign_sig sig;
    wh_index ix;
    wh_err err;
    if (wh_sha256_buf(bytes, len, d, &err) != 0) {
        free(bytes);
        return;
    }
    wh_hex_encode(h.sha256, d, sizeof d, 0);
    wh_index_comment(comment, sizeof comment, &h);
    if (wh_minisign_sign_buffer(&sig, jf.sk, bytes, len, comment, NULL, 0,
                                &err) != 0) {
        free(bytes);
        return;
    }
    if (wh_index_verify(&ix, &sig, &jf.pk, bytes, len, "index.json",
                        "index.json.minisig", &err) != 0) {
        FUZZ_ASSERT(err.code != 0 && err.reason[0]);
        return;
    }
    jf_records(&ix, data, size);
    wh_index_free(&ix);
}

static void jf_index(const json_t *v, const uint8_t *data, size_t size)
{
    json_t *o = json_deep_copy(v);
    json_t *repo = json_object_get(o, "repository");
    if (json_is_object(repo))
        json_object_set_new(repo, "key_id", json_string(jf.key_id));
    char *bytes;
    size_t len;
    if (wh_json_canon(o, &bytes, &len, NULL) == 0) {
        int64_t serial = jf_int(o, "serial", 1), exp = jf_int(o, "expires", 0);
        jf_verify(bytes, len, serial < 1 ? 1 : serial, exp < 0 ? 0 : exp,
                  data, size);
    }
    json_decref(o);
}

/* --- 3. the tree as a PAR's claims ----------------------------------- */

static void jf_par(const uint8_t *tok, size_t toklen)
{
    static const uint8_t bin[] = "binary";
    wh_par_entry e[2] = {
        { "claims.jwt", tok, toklen, WH_PAR_FILE },
        { "x86_64-linux.bin", bin, sizeof bin - 1, WH_PAR_FILE },
    };
    uint8_t *tar;
    size_t len;
    if (wh_par_tar(e, 2, 0, &tar, &len, NULL) != 0)
        return;
    wh_pkg_opts opts = { .now = FUZZ_PKG_NOW };
    wh_pkg pkg;
    wh_err err;
    memset(&pkg, 0, sizeof pkg);
    if (wh_par_read("c.par", tar, len, &opts, &pkg, &err) == 0)
        wh_pkg_free(&pkg);
    else
        FUZZ_ASSERT(err.code != 0 && err.reason[0]);
    free(tar);
}

static void jf_claims(const json_t *v)
{
    static const uint8_t bin[] = "binary";
    json_t *o = json_deep_copy(v);
    json_t *wascap = json_object_get(o, "wascap");
    json_object_set_new(o, "iss", json_string(jf.account.pub));
    json_object_set_new(o, "sub", json_string(jf.service.pub));
    if (json_is_object(wascap) && !json_object_get(wascap, "target_hashes")) {
        json_t *h = json_object();
        if (h && wh_par_hash_add(h, "x86_64-linux.bin", bin, sizeof bin - 1,
                                 NULL) == 0)
            json_object_set(wascap, "target_hashes", h);
        json_decref(h);
    }
    char *tok = wh_par_token(NULL, o, jf.account.sk, NULL);
    if (tok)
        jf_par((const uint8_t *)tok, strlen(tok));
    free(tok);
    json_decref(o);
}

/* The input as the two unsigned documents of a sharded index, each named
 * by its own digest (so the digest check passes and the rest is reached):
 * a bin of each of four bins, and a module file of the module its "name"
 * says (or "x"). */
static void jf_shards(json_t *v, const uint8_t *data, size_t size)
{
    char hex[WH_SHA256_HEX];
    const char *bins[4];
    json_t *out = NULL;
    size_t count = 0;
    wh_err err;
    if (wh_snap_hash(data, size, hex, &err))
        return;
    wh_snap s = { .bits = 2, .nbins = 4, .bins = bins };
    for (size_t b = 0; b < 4; b++)
        bins[b] = hex;
    for (size_t b = 0; b < 4; b++) {
        if (wh_snap_bin_parse(&s, b, (const char *)data, size, "b.json", &out, &err) == 0)
            FUZZ_ASSERT(json_object_size(out) > 0);
        json_decref(out);
    }
    const char *name = json_string_value(json_object_get(v, "name"));
    if (wh_snap_module_parse(name ? name : "x", hex, (const char *)data, size,
                             "m.json", &out, &count, &err) == 0)
        FUZZ_ASSERT(count == json_object_size(out) && count > 0);
    json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    json_t *v;
    wh_err err;
    int canonical = wh_json_canon_check(s, size, "f.json", &err) == 0;
    if (!canonical)
        FUZZ_ASSERT(err.code != 0 && strcmp(err.path, "f.json") == 0);
    if (wh_json_parse(s, size, "f.json", &v, &err) != 0) {
        FUZZ_ASSERT(!canonical && err.code != 0);
        return 0;
    }
    jf_canon(data, size, v, canonical);
    if (json_is_object(v)) {
        jf_index(v, data, size);
        jf_claims(v);
        jf_shards(v, data, size);
    }
    json_decref(v);
    return 0;
}

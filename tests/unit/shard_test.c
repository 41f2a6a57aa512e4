/* shard_test.c - common/shard.c: the sharded index's documents
 * (docs/index-format.md, "The sharded index").
 *
 * The bin of a name (fixed values: readers in other languages must agree
 * with them), the bin count for a repository size, the paths; a top level
 * built and signed in memory, checked by wh_snap_verify, with each way
 * to be refused (the comment's format, its sha256, bin_bits, the bins'
 * count and digests, serial against the comment); a bin (its digest, a
 * module in the wrong bin, an empty bin) and a module file (its digest,
 * its name, a bad record), each with its exact code and reason.
 */
#include "tests/unit/wh_test.h"

#include "common/hex.h"
#include "common/json.h"
#include "common/minisign.h"
#include "common/shard.h"

#define SERIAL  7
#define EXPIRES 1803017157

static void test_bin_of(void **state)
{
    (void)state;
    assert_int_equal(wh_snap_bin_of("alpha", 5, 0), 0);
    /* SHA-256("alpha") begins 8ed3f6ad: the top 1, 8 and 16 bits */
    assert_int_equal(wh_snap_bin_of("alpha", 5, 1), 1);
    assert_int_equal(wh_snap_bin_of("alpha", 5, 8), 0x8e);
    assert_int_equal(wh_snap_bin_of("alpha", 5, 16), 0x8ed3);
}

static void test_bits_for(void **state)
{
    (void)state;
    assert_int_equal(wh_snap_bits_for(0), 0);
    assert_int_equal(wh_snap_bits_for(1024), 0);
    assert_int_equal(wh_snap_bits_for(1025), 1);
    assert_int_equal(wh_snap_bits_for(330000), 9);
    assert_int_equal(wh_snap_bits_for((size_t)1 << 40), WH_SNAP_MAX_BITS);
}

static void test_paths(void **state)
{
    (void)state;
    char out[200], hex[65];
    memset(hex, 'a', 64);
    hex[64] = '\0';
    hex[0] = '3';
    assert_int_equal(wh_snap_path(out, sizeof out, 'm', hex, ""), 0);
    assert_string_equal(out, "index/modules/3a/3aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json");
    assert_int_equal(wh_snap_path(out, sizeof out, 's', hex, ".minisig"), 0);
    assert_string_equal(out, "index/snapshot/3aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json.minisig");
    assert_int_equal(wh_snap_path(out, 20, 'b', hex, ""), -1);
}

/* --- a signed top level ---------------------------------------------------- */

typedef struct fixture {
    wh_minisign_seckey *sk;
    wh_minisign_pubkey  pk;
    char key_id[17];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    wh_err e;
    if (!f || wh_minisign_keygen(&f->sk, &f->pk, &e))
        return -1;
    wh_minisign_keyid_hex(f->pk.key_id, f->key_id);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    wh_minisign_seckey_free(f->sk);
    free(f);
    return 0;
}

/* The top level of `text` (a printf format given the key id) signed with
 * comment format `format` and serial; verified: the code, *err. */
static int verify_top(fixture *f, const char *format, int64_t serial,
                      const char *text, wh_snap *s, wh_err *err)
{
    char *bytes = malloc(4096), tc[256];
    snprintf(bytes, 4096, text, f->key_id);
    wh_index_head h = { serial, EXPIRES, "" };
    wh_err e;
    assert_int_equal(wh_snap_hash(bytes, strlen(bytes), h.sha256, &e), 0);
    wh_index_comment_as(tc, sizeof tc, format, &h);
    wh_minisign_sig sig;
    assert_int_equal(wh_minisign_sign_buffer(&sig, f->sk, bytes, strlen(bytes), tc,
                                             NULL, 0, &e), 0);
    return wh_snap_verify(s, &sig, &f->pk, bytes, strlen(bytes), "t.json", "t.sig", err);
}

#define TOP(bits, bins) "{\"bin_bits\":" bits ",\"bins\":[" bins "],\"expires\":1803017157," \
    "\"format\":\"wharf-snapshot/1\",\"generated\":1,\"modules\":0,\"packages\":0," \
    "\"repository\":{\"key_id\":\"%s\",\"name\":\"r\"},\"serial\":7}"

static void test_top(void **state)
{
    fixture *f = *state;
    wh_snap s;
    wh_err e;
    assert_int_equal(verify_top(f, WH_SNAP_FORMAT, SERIAL, TOP("1", "\"\",\"\""), &s, &e), 0);
    assert_int_equal(s.nbins, 2);
    assert_string_equal(s.bins[1], "");
    assert_string_equal(s.name, "r");
    wh_snap_free(&s);

    static const struct { const char *top, *format, *reason; int64_t serial; int code; } bad[] = {
        { TOP("1", "\"\",\"\""), WH_INDEX_FORMAT, "trusted comment 'wharf-index/1 serial:7", SERIAL, WH_E_VERIFY },
        { TOP("1", "\"\""), WH_SNAP_FORMAT, "'bins' is not an array of 2 digests", SERIAL, WH_E_FORMAT },
        { TOP("17", "\"\""), WH_SNAP_FORMAT, "'bin_bits' is not an integer from 0 to 16", SERIAL, WH_E_FORMAT },
        { TOP("0", "\"ABC\""), WH_SNAP_FORMAT, "bin 0: not \"\" or 64 lower-case hex digits", SERIAL, WH_E_FORMAT },
        { TOP("0", "\"\""), WH_SNAP_FORMAT, "serial or expiry differs from the signature's trusted comment", 8, WH_E_VERIFY },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = verify_top(f, bad[i].format, bad[i].serial, bad[i].top, &s, &e);
        assert_int_equal(rc, bad[i].code);
        if (!strstr(e.reason, bad[i].reason))
            fail_msg("case %zu: '%s' lacks '%s'", i, e.reason, bad[i].reason);
    }
}

/* A top level of 2 bins, bin b holding doc (its digest filled in). */
static void two_bins(fixture *f, size_t b, const char *doc, wh_snap *s)
{
    char hex[WH_SHA256_HEX], top[2048];
    wh_err e;
    assert_int_equal(wh_snap_hash(doc, strlen(doc), hex, &e), 0);
    snprintf(top, sizeof top, "{\"bin_bits\":1,\"bins\":[\"%s\",\"%s\"],"
             "\"expires\":1803017157,\"format\":\"wharf-snapshot/1\",\"generated\":1,"
             "\"modules\":1,\"packages\":1,\"repository\":{\"key_id\":\"%%s\","
             "\"name\":\"r\"},\"serial\":7}", b == 0 ? hex : "", b == 1 ? hex : "");
    assert_int_equal(verify_top(f, WH_SNAP_FORMAT, SERIAL, top, s, &e), 0);
}

static void test_bin(void **state)
{
    fixture *f = *state;
    wh_snap s;
    wh_err e;
    json_t *mods;
    char doc[256];
    /* "alpha" is in bin 1 of 2 */
    snprintf(doc, sizeof doc, "{\"format\":\"wharf-bin/1\",\"modules\":{\"alpha\":\"%064d\"}}", 0);
    two_bins(f, 1, doc, &s);
    if (wh_snap_bin_parse(&s, 1, doc, strlen(doc), "b", &mods, &e))
        fail_msg("%s", e.reason);
    assert_non_null(json_object_get(mods, "alpha"));
    json_decref(mods);
    doc[12] = 'W';      /* another digest */
    if (wh_snap_bin_parse(&s, 1, doc, strlen(doc), "b", &mods, &e) != WH_E_VERIFY)
        fail_msg("%s", e.reason);
    assert_non_null(strstr(e.reason, "as the signed index says"));
    wh_snap_free(&s);
    doc[12] = 'h';
    two_bins(f, 0, doc, &s);
    if (wh_snap_bin_parse(&s, 0, doc, strlen(doc), "b", &mods, &e) != WH_E_VERIFY)
        fail_msg("%s", e.reason);
    assert_string_equal(e.reason, "module 'alpha' does not belong in bin 0");
    wh_snap_free(&s);
    snprintf(doc, sizeof doc, "{\"format\":\"wharf-bin/1\",\"modules\":{}}");
    two_bins(f, 0, doc, &s);
    assert_int_equal(wh_snap_bin_parse(&s, 0, doc, strlen(doc), "b", &mods, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "'modules' is not a non-empty object");
    wh_snap_free(&s);
}

static void test_module(void **state)
{
    (void)state;
    json_t *v = json_pack("{s{sssssIsss{ss}}}", "1.0.0", "kind", "ferrpkg",
                          "path", "packages/alpha@1.0.0.ferrpkg", "size", (json_int_t)3,
                          "sha256", "0000000000000000000000000000000000000000000000000000000000000000",
                          "signer", "status", "unsigned"), *got;
    char *doc, hex[WH_SHA256_HEX];
    size_t len, count = 0;
    wh_err e;
    assert_int_equal(wh_snap_module_doc("alpha", v, &doc, &len, &e), 0);
    assert_int_equal(wh_snap_hash(doc, len, hex, &e), 0);
    assert_int_equal(wh_snap_module_parse("alpha", hex, doc, len, "m", &got, &count, &e), 0);
    assert_int_equal(count, 1);
    assert_true(json_equal(got, v));
    json_decref(got);
    assert_int_equal(wh_snap_module_parse("beta", hex, doc, len, "m", &got, &count, &e),
                     WH_E_VERIFY);
    assert_string_equal(e.reason, "'name' is not 'beta', the module its bin lists it for");
    hex[0] = hex[0] == '0' ? '1' : '0';
    assert_int_equal(wh_snap_module_parse("alpha", hex, doc, len, "m", &got, &count, &e),
                     WH_E_VERIFY);
    free(doc);
    json_object_set_new(json_object_get(v, "1.0.0"), "size", json_integer(-1));
    assert_int_equal(wh_snap_module_doc("alpha", v, &doc, &len, &e), 0);
    assert_int_equal(wh_snap_hash(doc, len, hex, &e), 0);
    assert_int_equal(wh_snap_module_parse("alpha", hex, doc, len, "m", &got, &count, &e),
                     WH_E_FORMAT);
    assert_string_equal(e.reason, "module 'alpha' version '1.0.0': 'size' is not a "
                        "non-negative integer");
    free(doc);
    json_decref(v);
}

WH_TEST_MAIN("shard",
    cmocka_unit_test(test_bin_of),
    cmocka_unit_test(test_bits_for),
    cmocka_unit_test(test_paths),
    cmocka_unit_test_setup_teardown(test_top, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bin, setup, teardown),
    cmocka_unit_test(test_module),
)

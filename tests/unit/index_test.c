/* index_test.c - common/index.c: the reader and verifier of a site's
 * signed index (docs/index-format.md, "wharf-index/1").
 *
 * Indexes are built in memory as canonical JSON (four packages in three
 * modules, one of each kind and signer status), signed with fresh keys
 * and a trusted comment from wh_index_comment, then checked through
 * wh_index_verify, wh_index_head_check and wh_index_load (a temporary
 * site: index.json.minisig with by-hash/HEX.json, or index.json for a
 * site from before by-hash).  Each way to be refused has its exact code
 * and reason: the key, the signature over the bytes and over the comment,
 * every refused form of the comment (table), its sha256, canonical JSON
 * (table), and every check of the document and its version records
 * (table: format, repository, serial and expiry against the comment,
 * key id, module names, SemVer keys, kind, path, size, sha256, signer,
 * and what plugins add: format:PLUGIN kinds and their file, metadata,
 * the processed original, warnings; their size limits in
 * test_plugin_limits).
 * Then the packages: wh_index_packages, and a package against its record
 * in memory and on disk (size, sha256, a link, a FIFO, a folder, the
 * .minisig when the record says signed).  The tables report their own
 * counts ("index.comments", "index.canonical", "index.documents").
 */
#include "tests/unit/wh_test.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/hex.h"
#include "common/index.h"
#include "common/json.h"
#include "common/minisign.h"
#include "common/sha256.h"

#define SERIAL    12
#define GENERATED 1795241157
#define EXPIRES   1803017157
#define IX_PATH   "s/by-hash/x.json"
#define SIG_PATH  "s/index.json.minisig"
#define FORM      "is not 'wharf-index/1 serial:N expires:T sha256:HEX'"

/* ---- keys, packages, documents --------------------------------------- */

static wh_minisign_seckey *sk, *other_sk;
static wh_minisign_pubkey pk, other_pk;
static char key_id[17], other_id[17];

static void free_keys(void)
{
    wh_minisign_seckey_free(sk);
    wh_minisign_seckey_free(other_sk);
}

/* The repository key and another one, made once per run. */
static void keys(void)
{
    if (sk)
        return;
    assert_int_equal(wh_minisign_keygen(&sk, &pk, NULL), 0);
    assert_int_equal(wh_minisign_keygen(&other_sk, &other_pk, NULL), 0);
    wh_minisign_keyid_hex(pk.key_id, key_id);
    wh_minisign_keyid_hex(other_pk.key_id, other_id);
    assert_string_not_equal(key_id, other_id);
    atexit(free_keys);
}

/* The packages of the good index, in the order the index lists them. */
static const struct pkgdef {
    const char *module, *version, *kind, *path, *content, *status, *signer;
} PKGS[] = {
    { "hello", "1.0.0", "ferrpkg", "packages/hello@1.0.0.ferrpkg",
      "FPKG hello 1.0.0\n", "verified", "63DDD5AC93DF4ECD" },
    { "hello", "1.1.0-rc.1", "ferrpkg", "packages/hello@1.1.0-rc.1.ferrpkg",
      "FPKG hello 1.1.0-rc.1, signed by a stranger\n", "untrusted",
      "1DE9680458DF17CE" },
    { "redis", "0.0.0", "par", "packages/redis@0.0.0.par.gz",
      "\x1f\x8b not really a par\n", "verified",
      "ACOJJN6WUP4ODD75XEBKKTCCUJJCY5ZKQ56XVKYK4BEJWGVAOOQHZMCW" },
    { "world", "0.1.0", "bundle", "packages/world@0.1.0.zip",
      "PK not really a zip\n", "unsigned", NULL },
};
#define NPKGS (sizeof PKGS / sizeof PKGS[0])

static void sha_hex(const void *data, size_t len, char out[WH_SHA256_HEX])
{
    uint8_t d[WH_SHA256_BYTES];
    assert_int_equal(wh_sha256_buf(data, len, d, NULL), 0);
    wh_hex_encode(out, d, sizeof d, 0);
}

static json_t *record(const struct pkgdef *p)
{
    char h[WH_SHA256_HEX];
    sha_hex(p->content, strlen(p->content), h);
    json_t *signer = p->signer
        ? json_pack("{s:s,s:s}", "key_id", p->signer, "status", p->status)
        : json_pack("{s:s}", "status", p->status);
    json_t *r = json_pack("{s:s,s:s,s:I,s:s,s:o,s:s,s:s,s:s}", "kind", p->kind,
                          "path", p->path, "size", (json_int_t)strlen(p->content),
                          "sha256", h, "signer", signer, "description", "",
                          "author", "", "license", "");
    assert_non_null(r);
    return r;
}

/* The good index: serial 12, four packages in three modules. */
static json_t *doc_new(void)
{
    keys();
    json_t *mods = json_object();
    for (size_t i = 0; i < NPKGS; i++) {
        json_t *m = json_object_get(mods, PKGS[i].module);
        if (!m) {
            m = json_pack("{s:{}}", "versions");
            json_object_set_new(mods, PKGS[i].module, m);
        }
        json_object_set_new(json_object_get(m, "versions"), PKGS[i].version,
                            record(&PKGS[i]));
    }
    json_t *d = json_pack("{s:s,s:{s:s,s:s},s:I,s:I,s:I,s:o}",
                          "format", WH_INDEX_FORMAT,
                          "repository", "name", "example", "key_id", key_id,
                          "serial", (json_int_t)SERIAL,
                          "generated", (json_int_t)GENERATED,
                          "expires", (json_int_t)EXPIRES, "modules", mods);
    assert_non_null(d);
    return d;
}

/* Canonical bytes of doc (malloc'd). */
static char *canon(const json_t *doc, size_t *len)
{
    char *out;
    wh_err e;
    if (wh_json_canon(doc, &out, len, &e))
        fail_msg("wh_json_canon: %s", e.reason);
    return out;
}

/* The trusted comment a build writes for bytes[0..len). */
static void comment_for(char out[256], const char *bytes, size_t len,
                        int64_t serial, int64_t expires)
{
    wh_index_head h = { serial, expires, "" };
    sha_hex(bytes, len, h.sha256);
    wh_index_comment(out, 256, &h);
}

/* A signature by k over bytes with the trusted comment tc (malloc'd). */
static wh_minisign_sig *sign(const wh_minisign_seckey *k, const char *bytes,
                             size_t len, const char *tc)
{
    wh_minisign_sig *s = calloc(1, sizeof *s);
    wh_err e;
    assert_non_null(s);
    if (wh_minisign_sign_buffer(s, k, bytes, len, tc, NULL, 0, &e))
        fail_msg("sign: %s", e.reason);
    return s;
}

/* Sign bytes (with tc, or the right comment when NULL) by k and verify
 * them with the repository key; ix is freed on success too unless keep. */
static int check_bytes(const char *bytes, size_t len, const char *tc,
                       const wh_minisign_seckey *k, wh_index *ix, wh_err *e)
{
    char c[256];
    if (!tc) {
        comment_for(c, bytes, len, SERIAL, EXPIRES);
        tc = c;
    }
    wh_minisign_sig *s = sign(k, bytes, len, tc);
    char *copy = malloc(len + 1);
    assert_non_null(copy);
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    wh_err_clear(e);
    int rc = wh_index_verify(ix, s, &pk, copy, len, IX_PATH, SIG_PATH, e);
    free(s);
    return rc;
}

/* Refused with code, reason and path; ix left empty. */
static void expect_refused(const char *bytes, size_t len, const char *tc,
                           int code, const char *path, const char *reason)
{
    wh_index ix;
    wh_err e;
    assert_int_equal(check_bytes(bytes, len, tc, sk, &ix, &e), code);
    assert_string_equal(e.reason, reason);
    assert_string_equal(e.path, path);
    assert_null(ix.bytes);
    assert_null(ix.json);
}

/* ---- the good index ---------------------------------------------------- */

static void test_good_index(void **state)
{
    (void)state;
    json_t *d = doc_new();
    size_t len;
    char *bytes = canon(d, &len), h[WH_SHA256_HEX];
    wh_index ix;
    wh_err e;
    sha_hex(bytes, len, h);
    assert_int_equal(check_bytes(bytes, len, NULL, sk, &ix, &e), 0);
    assert_int_equal(ix.packages, 4);
    assert_int_equal(ix.modules, 3);
    assert_int_equal(ix.head.serial, SERIAL);
    assert_int_equal(ix.head.expires, EXPIRES);
    assert_string_equal(ix.head.sha256, h);
    assert_int_equal(ix.generated, GENERATED);
    assert_int_equal(ix.len, len);
    assert_memory_equal(ix.bytes, bytes, len);
    assert_int_equal(ix.bytes[len], '\0');
    assert_true(json_is_object(ix.json));
    assert_string_equal(json_string_value(json_object_get(ix.json, "format")),
                        WH_INDEX_FORMAT);
    wh_index_free(&ix);
    assert_null(ix.bytes);
    assert_null(ix.json);
    free(bytes);
    json_decref(d);
}

/* Modules with no version yet count as modules, not packages. */
static void test_module_without_versions(void **state)
{
    (void)state;
    json_t *d = doc_new();
    json_object_set_new(json_object_get(d, "modules"), "empty",
                        json_pack("{s:{}}", "versions"));
    size_t len;
    char *bytes = canon(d, &len);
    wh_index ix;
    assert_int_equal(check_bytes(bytes, len, NULL, sk, &ix, NULL), 0);
    assert_int_equal(ix.packages, 4);
    assert_int_equal(ix.modules, 4);
    wh_index_free(&ix);
    free(bytes);
    json_decref(d);
}

static void test_comment_text(void **state)
{
    (void)state;
    wh_index_head h = { 12, 1803017157, "" };
    memset(h.sha256, 'a', 64);
    h.sha256[64] = '\0';
    char out[256];
    wh_index_comment(out, sizeof out, &h);
    assert_string_equal(out, "wharf-index/1 serial:12 expires:1803017157 sha256:"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

static void test_byhash_names(void **state)
{
    (void)state;
    char out[128], small[20];
    const char *h = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_int_equal(wh_index_byhash(out, sizeof out, h, ""), 0);
    assert_string_equal(out, "by-hash/0123456789abcdef0123456789abcdef0123456789abcdef"
                        "0123456789abcdef.json");
    assert_int_equal(wh_index_byhash(out, sizeof out, h, ".gz"), 0);
    assert_string_equal(out + strlen(out) - 8, ".json.gz");
    assert_int_equal(wh_index_byhash(out, sizeof out, h, ".minisig"), 0);
    assert_string_equal(out + strlen(out) - 13, ".json.minisig");
    assert_int_equal(wh_index_byhash(small, sizeof small, h, ""), -1);
}

/* What a build reads to learn the previous serial: the comment alone. */
static void test_head_check(void **state)
{
    (void)state;
    keys();
    char tc[256];
    comment_for(tc, "x", 1, 7, 1900000000);
    wh_minisign_sig *s = sign(sk, "whatever", 8, tc);
    wh_index_head h;
    wh_err e;
    assert_int_equal(wh_index_head_check(s, &pk, SIG_PATH, &h, &e), 0);
    assert_int_equal(h.serial, 7);
    assert_int_equal(h.expires, 1900000000);
    assert_memory_equal(tc + strlen(tc) - 64, h.sha256, 65);
    assert_int_equal(wh_index_head_check(s, &other_pk, SIG_PATH, &h, &e), WH_E_VERIFY);
    free(s);
}

/* ---- the signature ------------------------------------------------------- */

static void test_wrong_key(void **state)
{
    (void)state;
    json_t *d = doc_new();
    size_t len;
    char *bytes = canon(d, &len), reason[200];
    wh_index ix;
    wh_err e;
    assert_int_equal(check_bytes(bytes, len, NULL, other_sk, &ix, &e), WH_E_VERIFY);
    snprintf(reason, sizeof reason, "signature key id %s does not match public key %s",
             other_id, key_id);
    assert_string_equal(e.reason, reason);
    assert_string_equal(e.path, SIG_PATH);
    assert_null(ix.bytes);
    free(bytes);
    json_decref(d);
}

/* One byte of the index changed after signing. */
static void test_tampered_bytes(void **state)
{
    (void)state;
    json_t *d = doc_new();
    size_t len;
    char *bytes = canon(d, &len), tc[256];
    comment_for(tc, bytes, len, SERIAL, EXPIRES);
    wh_minisign_sig *s = sign(sk, bytes, len, tc);
    char *copy = strdup(bytes);
    *strstr(copy, "example") = 'E';
    wh_index ix;
    wh_err e;
    assert_int_equal(wh_index_verify(&ix, s, &pk, copy, len, IX_PATH, SIG_PATH, &e),
                     WH_E_VERIFY);
    assert_string_equal(e.reason, "signature verification failed");
    assert_string_equal(e.path, SIG_PATH);
    assert_null(ix.bytes);
    free(s);
    free(bytes);
    json_decref(d);
}

/* The trusted comment edited after signing (a higher serial, say): the
 * global signature no longer covers it. */
static void test_tampered_comment(void **state)
{
    (void)state;
    json_t *d = doc_new();
    size_t len;
    char *bytes = canon(d, &len), tc[256];
    comment_for(tc, bytes, len, SERIAL, EXPIRES);
    wh_minisign_sig *s = sign(sk, bytes, len, tc);
    comment_for(s->trusted, bytes, len, SERIAL + 1, EXPIRES);
    wh_index ix;
    wh_err e;
    assert_int_equal(wh_index_verify(&ix, s, &pk, strdup(bytes), len, IX_PATH,
                                     SIG_PATH, &e), WH_E_VERIFY);
    assert_string_equal(e.reason, "trusted comment verification failed");
    wh_index_head h;
    assert_int_equal(wh_index_head_check(s, &pk, SIG_PATH, &h, &e), WH_E_VERIFY);
    assert_string_equal(e.reason, "trusted comment verification failed");
    free(s);
    free(bytes);
    json_decref(d);
}

/* The comment names other bytes than those signed. */
static void test_comment_sha256_mismatch(void **state)
{
    (void)state;
    json_t *d = doc_new();
    size_t len;
    char *bytes = canon(d, &len), tc[256], mine[WH_SHA256_HEX], reason[256];
    comment_for(tc, "{}", 2, SERIAL, EXPIRES);
    sha_hex(bytes, len, mine);
    snprintf(reason, sizeof reason, "trusted comment's sha256 %s is not that of '"
             IX_PATH "' (%s)", tc + strlen(tc) - 64, mine);
    expect_refused(bytes, len, tc, WH_E_VERIFY, SIG_PATH, reason);
    free(bytes);
    json_decref(d);
}

/* ---- the comment's form (table) ------------------------------------------ */

/* "%s" stands for the index's own sha256, so each comment would name the
 * right bytes if only its form were right. */
static const char *const BAD_COMMENTS[] = {
    "wharf-index/1 serial:012 expires:1803017157 sha256:%s",
    "wharf-index/1 serial:+12 expires:1803017157 sha256:%s",
    "wharf-index/1 serial:0 expires:1803017157 sha256:%s",
    "wharf-index/1 serial:-12 expires:1803017157 sha256:%s",
    "wharf-index/1 serial:12 expires:-5 sha256:%s",
    "wharf-index/1 serial: 12 expires:1803017157 sha256:%s",
    "wharf-index/1  serial:12 expires:1803017157 sha256:%s",
    "wharf-index/1 serial:12  expires:1803017157 sha256:%s",
    "wharf-index/1 serial:12 expires:1803017157  sha256:%s",
    "wharf-index/1serial:12 expires:1803017157 sha256:%s",
    "wharf-index/1 serial:12 expires:+1803017157 sha256:%s",
    "wharf-index/1 serial:12 expires:01803017157 sha256:%s",
    "wharf-index/1 serial:12 expires:1803017157 sha256:%s ",
    "wharf-index/1 serial:12 expires:1803017157 sha256:%s x",
    "wharf-index/1 serial:12 expires:1803017157 sha256:%s\thashed",
    "wharf-index/1 serial:12 expires:1803017157 sha256:%.63s",
    "wharf-index/1 serial:12 expires:1803017157 sha256:%s0",
    "wharf-index/1 serial:12 expires:1803017157 sha256:",
    "wharf-index/1 serial:12 expires:1803017157",
    "wharf-index/1 serial:12 sha256:%s",
    "wharf-index/1 expires:1803017157 serial:12 sha256:%s",
    "wharf-index/1 serial:99999999999999999999 expires:1803017157 sha256:%s",
    "wharf-index/2 serial:12 expires:1803017157 sha256:%s",
    "WHARF-INDEX/1 serial:12 expires:1803017157 sha256:%s",
    " wharf-index/1 serial:12 expires:1803017157 sha256:%s",
    "wharf-index/1 SERIAL:12 expires:1803017157 sha256:%s",
    "timestamp:1795241157\tfile:index.json\thashed",
    "",
    "UPPER",                /* the right sha256 in upper case */
    "LONG",                 /* more than 120 characters: cut in the reason */
};

static void test_comment_forms_refused(void **state)
{
    (void)state;
    json_t *d = doc_new();
    size_t len;
    char *bytes = canon(d, &len), h[WH_SHA256_HEX], up[WH_SHA256_HEX];
    sha_hex(bytes, len, h);
    for (int i = 0; i < 64; i++)
        up[i] = (char)(h[i] >= 'a' ? h[i] - 32 : h[i]);
    up[64] = '\0';
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof BAD_COMMENTS / sizeof BAD_COMMENTS[0]; i++) {
        char tc[400], reason[300];
        if (!strcmp(BAD_COMMENTS[i], "UPPER"))
            snprintf(tc, sizeof tc, "wharf-index/1 serial:12 expires:1803017157 "
                     "sha256:%s", up);
        else if (!strcmp(BAD_COMMENTS[i], "LONG"))
            snprintf(tc, sizeof tc, "wharf-index/1 serial:12 expires:1803017157 "
                     "sha256:%s and then a good deal more text", h);
        else
            snprintf(tc, sizeof tc, BAD_COMMENTS[i], h);
        snprintf(reason, sizeof reason, "trusted comment '%.120s' " FORM, tc);
        wh_index ix;
        wh_err e;
        int rc = check_bytes(bytes, len, tc, sk, &ix, &e);
        if (rc == WH_E_VERIFY && !strcmp(e.reason, reason) &&
            !strcmp(e.path, SIG_PATH)) {
            passed++;
        } else {
            printf("comment case %zu '%s'\n  want: %d %s\n  got:  %d %s\n", i, tc,
                   WH_E_VERIFY, reason, rc, rc ? e.reason : "accepted");
            failed++;
            if (rc == 0)
                wh_index_free(&ix);
        }
    }
    wh_test_report("index.comments", passed, failed);
    free(bytes);
    json_decref(d);
    assert_int_equal(failed, 0);
}

/* The cut: "%.120s" keeps the first 120 bytes of a long comment. */
static void test_comment_reason_is_cut(void **state)
{
    (void)state;
    keys();
    char tc[300];
    memset(tc, 'x', 250);
    tc[250] = '\0';
    wh_minisign_sig *s = sign(sk, "", 0, tc);
    wh_index_head h;
    wh_err e;
    assert_int_equal(wh_index_head_check(s, &pk, SIG_PATH, &h, &e), WH_E_VERIFY);
    char want[300];
    snprintf(want, sizeof want, "trusted comment '%.120s' " FORM, tc);
    assert_string_equal(e.reason, want);
    assert_int_equal(strlen(e.reason), strlen("trusted comment '' " FORM) + 120);
    free(s);
}

/* ---- canonical JSON (table) ---------------------------------------------- */

/* Edit the canonical text: replace the first `from` with `to`. */
static char *edit(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    assert_non_null(at);
    size_t n = strlen(s) - strlen(from) + strlen(to);
    char *out = malloc(n + 1);
    assert_non_null(out);
    snprintf(out, n + 1, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return out;
}

static void test_not_canonical(void **state)
{
    (void)state;
    json_t *d = doc_new();
    size_t len;
    char *good = canon(d, &len);
    /* Every refusal names the index file (IX_PATH). */
    struct { char *bytes; int code; const char *reason; const char *path; } cases[] = {
        { edit(good, "\"serial\":12}", "\"serial\":12}\n"), WH_E_FORMAT,
          "not canonical JSON: white space", IX_PATH },
        { edit(good, "{\"expires\"", "{ \"expires\""), WH_E_FORMAT,
          "not canonical JSON: white space", IX_PATH },
        { edit(good, ",\"format\"", ", \"format\""), WH_E_FORMAT,
          "not canonical JSON: white space", IX_PATH },
        { edit(good, "\"example\"", "\"ex\\u0061mple\""), WH_E_FORMAT,
          "not canonical JSON: escape \\u0061 where canonical JSON writes the character",
          IX_PATH },
        { edit(good, "\"packages/world", "\"packages\\/world"), WH_E_FORMAT,
          "not canonical JSON: escape \\/ where canonical JSON writes the character",
          IX_PATH },
        { edit(good, "\"serial\":12", "\"serial\":12.0"), WH_E_FORMAT,
          "not canonical JSON: real number 12.0 (integers only)", IX_PATH },
        { edit(good, "\"serial\":12", "\"serial\":1.2e1"), WH_E_FORMAT,
          "not canonical JSON: real number 1.2e1 (integers only)", IX_PATH },
        { edit(good, "\"format\"", "\"format\":\"x\",\"format\""), WH_E_FORMAT,
          "duplicate object key near '\"format\"'", IX_PATH },
        { edit(good, "\"serial\":12}", "\"serial\":12"), WH_E_FORMAT,
          "'}' expected near end of file", IX_PATH },
        { NULL, WH_E_FORMAT, "not canonical JSON: keys out of order", IX_PATH },
    };
    size_t nc = sizeof cases / sizeof cases[0];
    cases[nc - 1].bytes = json_dumps(d, JSON_COMPACT);   /* insertion order */
    assert_string_not_equal(cases[nc - 1].bytes, good);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < nc; i++) {
        wh_index ix;
        wh_err e;
        int rc = check_bytes(cases[i].bytes, strlen(cases[i].bytes), NULL, sk, &ix, &e);
        if (rc == cases[i].code && !strcmp(e.reason, cases[i].reason) &&
            (!cases[i].path || !strcmp(e.path, cases[i].path))) {
            passed++;
        } else {
            printf("canonical case %zu\n  want: %d %s\n  got:  %d %s [%s]\n", i,
                   cases[i].code, cases[i].reason, rc, rc ? e.reason : "accepted",
                   e.path);
            failed++;
            if (rc == 0)
                wh_index_free(&ix);
        }
        free(cases[i].bytes);
    }
    wh_test_report("index.canonical", passed, failed);
    free(good);
    json_decref(d);
    assert_int_equal(failed, 0);
}

/* ---- the document and its records (table) -------------------------------- */

#define H1 "modules/hello/versions/1.0.0/"
#define H2 "modules/hello/versions/1.1.0-rc.1/"
#define W1 "modules/world/versions/0.1.0/"
#define REC_OK "{\"kind\":\"bundle\",\"path\":\"packages/x@1.0.0.zip\",\"size\":1," \
    "\"sha256\":\"" "0000000000000000000000000000000000000000000000000000000000000000" \
    "\",\"signer\":{\"status\":\"unsigned\"}}"
#define MOD_OK "{\"versions\":{\"1.0.0\":" REC_OK "}}"
#define HEX63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

#define NOT_INT "'generated' or 'expires' is not an integer"
#define NOT_SERIAL "'serial' is not an integer of at least 1"
#define DIFFERS "serial or expiry differs from the signature's trusted comment"
#define KIND    "'kind' is not \"ferrpkg\", \"par\", \"bundle\" or \"format:PLUGIN\""
#define UNSAFE  "'path' is not a safe path below packages/"
#define SIZE    "'size' is not a non-negative integer"
#define SHA     "'sha256' is not 64 lower-case hex digits"
#define STATUS  "'signer.status' is not \"verified\", \"untrusted\" or \"unsigned\""
#define V10     "module 'hello' version '1.0.0': "
#define FMT     "'format' is not \"wharf-index/1\""
#define REPO    "'repository' lacks 'name' or 'key_id'"

/* Each case sets (or, with NULL, deletes) up to two values of the good
 * document, given as "a/b/c" and JSON text; the result is canonical and
 * signed with the right comment.  "%s" in a reason is the key id. */
static const struct doc_case {
    const char *set[3][2];
    int code;
    const char *reason;
} DOC_CASES[] = {
    { { { "format", "\"wharf-index/2\"" } }, WH_E_FORMAT, FMT },
    { { { "format", "\"wharf-index/1 \"" } }, WH_E_FORMAT, FMT },
    { { { "format", "1" } }, WH_E_FORMAT, FMT },
    { { { "format", NULL } }, WH_E_FORMAT, FMT },
    { { { "repository/key_id", NULL } }, WH_E_FORMAT, REPO },
    { { { "repository/name", NULL } }, WH_E_FORMAT, REPO },
    { { { "repository/name", "7" } }, WH_E_FORMAT, REPO },
    { { { "repository", "\"example\"" } }, WH_E_FORMAT, REPO },
    { { { "serial", "\"12\"" } }, WH_E_FORMAT, NOT_SERIAL },
    { { { "serial", NULL } }, WH_E_FORMAT, NOT_SERIAL },
    { { { "serial", "0" } }, WH_E_FORMAT, NOT_SERIAL },
    { { { "serial", "-12" } }, WH_E_FORMAT, NOT_SERIAL },
    { { { "generated", NULL } }, WH_E_FORMAT, NOT_INT },
    { { { "generated", "\"1795241157\"" } }, WH_E_FORMAT, NOT_INT },
    { { { "expires", "true" } }, WH_E_FORMAT, NOT_INT },
    { { { "serial", "13" } }, WH_E_VERIFY, DIFFERS },
    { { { "serial", "11" } }, WH_E_VERIFY, DIFFERS },
    { { { "expires", "1803017158" } }, WH_E_VERIFY, DIFFERS },
    { { { "expires", "0" } }, WH_E_VERIFY, DIFFERS },
    { { { "repository/key_id", "\"0123456789ABCDEF\"" } }, WH_E_VERIFY,
      "'repository.key_id' is not %s, the key it is signed with" },
    { { { "repository/key_id", "\"\"" } }, WH_E_VERIFY,
      "'repository.key_id' is not %s, the key it is signed with" },
    { { { "modules", NULL } }, WH_E_FORMAT, "'modules' is not an object" },
    { { { "modules", "[]" } }, WH_E_FORMAT, "'modules' is not an object" },
    { { { "modules/-bad", MOD_OK } }, WH_E_FORMAT,
      "module name '-bad' must start with a letter or digit" },
    { { { "modules/", MOD_OK } }, WH_E_FORMAT, "module name is empty" },
    { { { "modules/a b", MOD_OK } }, WH_E_FORMAT,
      "module name 'a b' contains ' '" },
    { { { "modules/a123456789b123456789c123456789d123456789e123456789f123456789"
          "g1234", MOD_OK } },
      WH_E_FORMAT, "module name 'a123456789b123456789c123456789d123456789e123456789"
      "f123456789g1234' is 65 bytes long, more than 64" },
    { { { "modules/hello/versions", NULL } }, WH_E_FORMAT,
      "module 'hello': 'versions' is not an object" },
    { { { "modules/hello", "[]" } }, WH_E_FORMAT,
      "module 'hello': 'versions' is not an object" },
    { { { "modules/hello/versions/1.0", REC_OK } }, WH_E_FORMAT,
      "module 'hello' version '1.0': missing patch version" },
    { { { "modules/hello/versions/v1.0.0", REC_OK } }, WH_E_FORMAT,
      "module 'hello' version 'v1.0.0': invalid character 'v' in major version" },
    { { { "modules/hello/versions/01.0.0", REC_OK } }, WH_E_FORMAT,
      "module 'hello' version '01.0.0': leading zero in major version" },
    { { { "modules/hello/versions/1.0.0", "\"x\"" } }, WH_E_FORMAT,
      V10 "the version record is not an object" },
    { { { H1 "kind", "\"zip\"" } }, WH_E_FORMAT, V10 KIND },
    { { { H1 "kind", "\"Ferrpkg\"" } }, WH_E_FORMAT, V10 KIND },
    { { { H1 "kind", NULL } }, WH_E_FORMAT, V10 KIND },
    { { { H1 "path", "\"pkgs/hello@1.0.0.ferrpkg\"" } }, WH_E_FORMAT, V10 UNSAFE },
    { { { H1 "path", "\"hello@1.0.0.ferrpkg\"" } }, WH_E_FORMAT, V10 UNSAFE },
    { { { H1 "path", "\"/packages/hello@1.0.0.ferrpkg\"" } }, WH_E_FORMAT, V10 UNSAFE },
    { { { H1 "path", "\"packages/../index.json\"" } }, WH_E_FORMAT, V10 UNSAFE },
    { { { H1 "path", "\"packages/a/../../keys/repo.pub\"" } }, WH_E_FORMAT,
      V10 UNSAFE },
    { { { H1 "path", "\"packages/..\"" } }, WH_E_FORMAT, V10 UNSAFE },
    { { { H1 "path", "\"packages/./x\"" } }, WH_E_FORMAT, V10 UNSAFE },
    { { { H1 "path", "\"packages/\"" } }, WH_E_FORMAT, V10 UNSAFE },
    { { { H1 "path", "\"packages//x\"" } }, WH_E_FORMAT, V10 UNSAFE },
    { { { H1 "path", "\"packages/x/\"" } }, WH_E_FORMAT, V10 UNSAFE },
    { { { H1 "path", "\"packages/a\\\\..\\\\..\\\\x\"" } }, WH_E_FORMAT, V10 UNSAFE },
    { { { H1 "path", "\"packages/x\\u0000/../../y\"" } }, WH_E_FORMAT, V10 UNSAFE },
    { { { H1 "path", "5" } }, WH_E_FORMAT, V10 UNSAFE },
    { { { H1 "path", NULL } }, WH_E_FORMAT, V10 UNSAFE },
    { { { H1 "size", "-1" } }, WH_E_FORMAT, V10 SIZE },
    { { { H1 "size", "\"17\"" } }, WH_E_FORMAT, V10 SIZE },
    { { { H1 "size", NULL } }, WH_E_FORMAT, V10 SIZE },
    { { { H1 "sha256", "\"" HEX63 "A\"" } }, WH_E_FORMAT, V10 SHA },
    { { { H1 "sha256", "\"" HEX63 "\"" } }, WH_E_FORMAT, V10 SHA },
    { { { H1 "sha256", "\"" HEX63 "aa\"" } }, WH_E_FORMAT, V10 SHA },
    { { { H1 "sha256", "\"" HEX63 "g\"" } }, WH_E_FORMAT, V10 SHA },
    { { { H1 "sha256", NULL } }, WH_E_FORMAT, V10 SHA },
    { { { H1 "signer/status", "\"trusted\"" } }, WH_E_FORMAT, V10 STATUS },
    { { { H1 "signer/status", "\"Verified\"" } }, WH_E_FORMAT, V10 STATUS },
    { { { H1 "signer/status", NULL } }, WH_E_FORMAT, V10 STATUS },
    { { { H1 "signer", NULL } }, WH_E_FORMAT, V10 STATUS },
    { { { H1 "signer", "\"verified\"" } }, WH_E_FORMAT, V10 STATUS },
    { { { H1 "signer/key_id", NULL } }, WH_E_FORMAT, V10 "'signer.key_id' is missing" },
    { { { H1 "signer/key_id", "42" } }, WH_E_FORMAT, V10 "'signer.key_id' is missing" },
    { { { H2 "signer/key_id", NULL } }, WH_E_FORMAT,
      "module 'hello' version '1.1.0-rc.1': 'signer.key_id' is missing" },
    /* What plugins add (kind format:PLUGIN and its file, metadata, the
     * processed original, warnings); longer inputs in test_plugin_limits. */
    { { { H1 "kind", "\"format:\"" }, { H1 "file", "\"x\"" } }, WH_E_FORMAT,
      V10 "'kind' \"format:\": module name is empty" },
    { { { H1 "kind", "\"format:a b\"" }, { H1 "file", "\"x\"" } }, WH_E_FORMAT,
      V10 "'kind' \"format:a b\": module name 'a b' contains ' '" },
    { { { H1 "kind", "\"format:-x\"" } }, WH_E_FORMAT,
      V10 "'kind' \"format:-x\": module name '-x' must start with a letter or digit" },
    { { { H1 "kind", "\"format\"" } }, WH_E_FORMAT, V10 KIND },
    { { { H1 "kind", "\"Format:conan\"" } }, WH_E_FORMAT, V10 KIND },
    { { { H1 "kind", "\"ferrpkg\\u0000x\"" } }, WH_E_FORMAT, V10 KIND },
    { { { H1 "kind", "\"format:conan\"" } }, WH_E_FORMAT,
      V10 "'file' is missing (a format:PLUGIN package is installed as it)" },
    { { { W1 "file", "\"x\"" } }, WH_E_FORMAT,
      "module 'world' version '0.1.0': 'file' is only for format:PLUGIN packages" },
    { { { H1 "kind", "\"format:conan\"" }, { H1 "file", "5" } }, WH_E_FORMAT,
      V10 "'file' is not a string" },
    { { { H1 "kind", "\"format:conan\"" }, { H1 "file", "\"\"" } }, WH_E_FORMAT,
      V10 "'file' is empty" },
    { { { H1 "kind", "\"format:conan\"" }, { H1 "file", "\"a/b\"" } }, WH_E_FORMAT,
      V10 "'file' 'a/b' contains '/'" },
    { { { H1 "kind", "\"format:conan\"" }, { H1 "file", "\"a\\\\b\"" } },
      WH_E_FORMAT, V10 "'file' 'a\\b' contains '\\'" },
    { { { H1 "kind", "\"format:conan\"" }, { H1 "file", "\"..\"" } }, WH_E_FORMAT,
      V10 "'file' is '..', not a file name" },
    { { { H1 "kind", "\"format:conan\"" }, { H1 "file", "\".\"" } }, WH_E_FORMAT,
      V10 "'file' is '.', not a file name" },
    { { { H1 "kind", "\"format:conan\"" }, { H1 "file", "\"a\\u001bb\"" } },
      WH_E_FORMAT, V10 "'file' 'a\\x1bb' contains control character 0x1b" },
    { { { H1 "kind", "\"format:conan\"" }, { H1 "file", "\"a\\u0000b\"" } },
      WH_E_FORMAT, V10 "'file' 'a\\x00b' contains control character 0x00" },
    { { { H1 "kind", "\"format:conan\"" }, { H1 "file", "\"a\\u007f\"" } },
      WH_E_FORMAT, V10 "'file' 'a\\x7f' contains control character 0x7f" },
    { { { H1 "metadata", "[]" } }, WH_E_FORMAT, V10 "'metadata' is not an object" },
    { { { H1 "metadata", "\"a=b\"" } }, WH_E_FORMAT, V10 "'metadata' is not an object" },
    { { { H1 "metadata", "{\"\":\"x\"}" } }, WH_E_FORMAT,
      V10 "'metadata' has an empty key" },
    { { { H1 "metadata", "{\"a\\nb\":\"x\"}" } }, WH_E_FORMAT,
      V10 "'metadata' key 'a\\x0ab' contains control character 0x0a" },
    { { { H1 "metadata", "{\"k\":1}" } }, WH_E_FORMAT,
      V10 "'metadata' value of 'k' is not a string" },
    { { { H1 "metadata", "{\"k\":null}" } }, WH_E_FORMAT,
      V10 "'metadata' value of 'k' is not a string" },
    { { { H1 "metadata", "{\"k\":\"a\\u0000b\"}" } }, WH_E_FORMAT,
      V10 "'metadata' value of 'k' contains a NUL byte" },
    { { { H1 "original_sha256", "\"" HEX63 "a\"" } }, WH_E_FORMAT,
      V10 "'original_sha256' and 'original_size' are not both present" },
    { { { H1 "original_size", "1" } }, WH_E_FORMAT,
      V10 "'original_sha256' and 'original_size' are not both present" },
    { { { H1 "original_sha256", "\"" HEX63 "A\"" }, { H1 "original_size", "1" },
        { H1 "processed_by", "[\"stamp\"]" } }, WH_E_FORMAT,
      V10 "'original_sha256' is not 64 lower-case hex digits" },
    { { { H1 "original_sha256", "\"" HEX63 "a\"" }, { H1 "original_size", "-1" },
        { H1 "processed_by", "[\"stamp\"]" } }, WH_E_FORMAT,
      V10 "'original_size' is not a non-negative integer" },
    { { { H1 "original_sha256", "\"" HEX63 "a\"" }, { H1 "original_size", "\"1\"" },
        { H1 "processed_by", "[\"stamp\"]" } }, WH_E_FORMAT,
      V10 "'original_size' is not a non-negative integer" },
    { { { H1 "original_sha256", "\"" HEX63 "a\"" }, { H1 "original_size", "1" } },
      WH_E_FORMAT, V10 "'processed_by' is missing beside 'original_sha256'" },
    { { { H1 "processed_by", "[\"stamp\"]" } }, WH_E_FORMAT,
      V10 "'processed_by' without 'original_sha256'" },
    { { { H1 "original_sha256", "\"" HEX63 "a\"" }, { H1 "original_size", "1" },
        { H1 "processed_by", "[]" } }, WH_E_FORMAT,
      V10 "'processed_by' is not a non-empty array of plugin names" },
    { { { H1 "original_sha256", "\"" HEX63 "a\"" }, { H1 "original_size", "1" },
        { H1 "processed_by", "\"stamp\"" } }, WH_E_FORMAT,
      V10 "'processed_by' is not a non-empty array of plugin names" },
    { { { H1 "original_sha256", "\"" HEX63 "a\"" }, { H1 "original_size", "1" },
        { H1 "processed_by", "[1]" } }, WH_E_FORMAT,
      V10 "'processed_by' entry 1 is not a string" },
    { { { H1 "original_sha256", "\"" HEX63 "a\"" }, { H1 "original_size", "1" },
        { H1 "processed_by", "[\"ok\",\"a/b\"]" } }, WH_E_FORMAT,
      V10 "'processed_by' entry 2: module name 'a/b' contains '/'" },
    { { { H1 "warnings", "\"x\"" } }, WH_E_FORMAT,
      V10 "'warnings' is not an array of strings" },
    { { { H1 "warnings", "[\"x\",2]" } }, WH_E_FORMAT,
      V10 "'warnings' is not an array of strings" },
    { { { H1 "kind", "\"format:conan\"" }, { H1 "file", "\"zlib-app.conan.txt\"" } },
      0, "" },
    { { { H1 "kind", "\"format:conan\"" }, { H1 "file", "\"z \\u00e9.txt\"" } },
      0, "" },
    { { { H1 "metadata", "{\"a\":\"<script>\",\"b c\":\"\",\"n\":\"x\\ny\"}" } },
      0, "" },
    { { { H1 "metadata", "{}" }, { H1 "warnings", "[]" } }, 0, "" },
    { { { H1 "original_sha256", "\"" HEX63 "a\"" }, { H1 "original_size", "0" },
        { H1 "processed_by", "[\"stamp\",\"gzip.2\"]" } }, 0, "" },
    { { { H1 "warnings", "[\"plugin 'policy': short name\"]" } }, 0, "" },
    /* Accepted: a size of 0; an unsigned package's key id is not needed
     * and not refused; fields a reader does not use are not checked. */
    { { { H1 "size", "0" } }, 0, "" },
    { { { W1 "signer/key_id", "\"63DDD5AC93DF4ECD\"" } }, 0, "" },
    { { { W1 "description", "3" }, { "generated", "-1" } }, 0, "" },
};

/* Set (or delete, value NULL) the value at "a/b/c" in doc. */
static void set_at(json_t *doc, const char *where, const char *value)
{
    char buf[256], *key = buf, *slash;
    json_t *o = doc;
    snprintf(buf, sizeof buf, "%s", where);
    while ((slash = strchr(key, '/')) != NULL) {
        *slash = '\0';
        o = json_object_get(o, key);
        assert_non_null(o);
        key = slash + 1;
    }
    if (!value) {
        assert_int_equal(json_object_del(o, key), 0);
        return;
    }
    json_error_t je;
    json_t *v = json_loads(value, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v)
        fail_msg("bad JSON in a case: %s: %s", value, je.text);
    assert_int_equal(json_object_set_new(o, key, v), 0);
}

static void test_document_checks(void **state)
{
    (void)state;
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof DOC_CASES / sizeof DOC_CASES[0]; i++) {
        const struct doc_case *c = &DOC_CASES[i];
        json_t *d = doc_new();
        for (int k = 0; k < 3 && c->set[k][0]; k++)
            set_at(d, c->set[k][0], c->set[k][1]);
        size_t len;
        char *bytes = canon(d, &len), reason[300];
        snprintf(reason, sizeof reason, c->reason, key_id);
        wh_index ix;
        wh_err e;
        int rc = check_bytes(bytes, len, NULL, sk, &ix, &e);
        if (rc == c->code && (rc == 0 || (!strcmp(e.reason, reason) &&
                                          !strcmp(e.path, IX_PATH) &&
                                          ix.json == NULL))) {
            passed++;
        } else {
            printf("document case %zu (%s)\n  want: %d %s\n  got:  %d %s\n", i,
                   c->set[0][0], c->code, reason, rc, rc ? e.reason : "accepted");
            failed++;
        }
        if (rc == 0)
            wh_index_free(&ix);
        free(bytes);
        json_decref(d);
    }
    wh_test_report("index.documents", passed, failed);
    assert_int_equal(failed, 0);
}

/* ---- plugin fields at their limits ------------------------------------------ */

/* Verify the good document with hello 1.0.0's field key set to v (stolen);
 * the code, and the reason in why. */
static int verify_with(const char *key, json_t *v, char why[300])
{
    json_t *d = doc_new();
    json_t *r = json_object_get(json_object_get(json_object_get(json_object_get(d,
                "modules"), "hello"), "versions"), "1.0.0");
    assert_int_equal(json_object_set_new(r, key, v), 0);
    if (!strcmp(key, "file"))
        json_object_set_new(r, "kind", json_string("format:conan"));
    if (!strcmp(key, "processed_by")) {
        json_object_set_new(r, "original_sha256", json_string(HEX63 "a"));
        json_object_set_new(r, "original_size", json_integer(7));
    }
    size_t len;
    char *bytes = canon(d, &len);
    wh_index ix;
    wh_err e;
    int rc = check_bytes(bytes, len, NULL, sk, &ix, &e);
    snprintf(why, 300, "%s", rc ? e.reason : "");
    if (rc == 0)
        wh_index_free(&ix);
    free(bytes);
    json_decref(d);
    return rc;
}

static json_t *metadata_of(size_t pairs, size_t key_len, size_t value_len)
{
    json_t *m = json_object();
    char k[300], *v = malloc(value_len + 1);
    assert_non_null(v);
    memset(v, 'v', value_len);
    v[value_len] = '\0';
    for (size_t i = 0; i < pairs; i++) {
        snprintf(k, sizeof k, "%0*zu", (int)key_len, i);
        json_object_set_new(m, k, json_string(v));
    }
    free(v);
    return m;
}

static void test_plugin_limits(void **state)
{
    (void)state;
    char why[300], name[300];
    assert_int_equal(verify_with("metadata", metadata_of(256, 128, 1024), why), 0);
    assert_int_equal(verify_with("metadata", metadata_of(257, 3, 1), why), WH_E_FORMAT);
    assert_string_equal(why, V10 "'metadata' has 257 pairs, more than 256");
    assert_int_equal(verify_with("metadata", metadata_of(1, 129, 1), why), WH_E_FORMAT);
    assert_string_equal(why, V10 "'metadata' key '00000000000000000000000000000000"
                        "00000000000000000000000000000000...' is 129 bytes long, "
                        "more than 128");
    assert_int_equal(verify_with("metadata", metadata_of(1, 1, 1025), why), WH_E_FORMAT);
    assert_string_equal(why, V10 "'metadata' value of '0' is 1025 bytes long, "
                        "more than 1024");
    memset(name, 'f', 256);
    name[255] = '\0';
    assert_int_equal(verify_with("file", json_string(name), why), 0);
    name[255] = 'f';
    name[256] = '\0';
    assert_int_equal(verify_with("file", json_string(name), why), WH_E_FORMAT);
    assert_string_equal(why, V10 "'file' is 256 bytes long, more than 255");
    json_t *by = json_array();
    for (int i = 0; i < 64; i++)
        json_array_append_new(by, json_string("stamp"));
    assert_int_equal(verify_with("processed_by", json_deep_copy(by), why), 0);
    json_array_append_new(by, json_string("stamp"));
    assert_int_equal(verify_with("processed_by", by, why), WH_E_FORMAT);
    assert_string_equal(why, V10 "'processed_by' has 65 entries, more than 64");
}

/* A processed package's .minisig is not published (it signs the
 * original); a format kind names its plugin. */
static void test_plugin_records(void **state)
{
    (void)state;
    json_t *d = doc_new();
    json_t *r = json_object_get(json_object_get(json_object_get(json_object_get(d,
                "modules"), "hello"), "versions"), "1.0.0");
    json_object_set_new(r, "original_sha256", json_string(HEX63 "a"));
    json_object_set_new(r, "original_size", json_integer(7));
    json_object_set_new(r, "processed_by", json_pack("[s]", "stamp"));
    size_t len, n;
    char *bytes = canon(d, &len);
    wh_index ix;
    wh_index_pkg *v;
    assert_int_equal(check_bytes(bytes, len, NULL, sk, &ix, NULL), 0);
    assert_int_equal(wh_index_packages(&ix, &v, &n, NULL), 0);
    assert_string_equal(v[0].version, "1.0.0");
    assert_int_equal(v[0].has_sig, 0);
    assert_string_equal(v[1].version, "1.1.0-rc.1");
    assert_int_equal(v[1].has_sig, 1);
    free(v);
    wh_index_free(&ix);
    free(bytes);
    json_decref(d);
    assert_string_equal(wh_index_format_plugin("format:conan"), "conan");
    assert_string_equal(wh_index_format_plugin("format:"), "");
    assert_null(wh_index_format_plugin("ferrpkg"));
    assert_null(wh_index_format_plugin("format"));
    assert_null(wh_index_format_plugin(NULL));
}

/* A module name holding a NUL ("zz\u0000evil", which C would read as
 * "zz") is refused by the parser, before any check could see half of it. */
static void test_module_name_with_nul(void **state)
{
    (void)state;
    json_t *d = doc_new();
    json_t *mods = json_object_get(d, "modules");
    json_object_setn_new(mods, "zz\0evil", 7, json_deep_copy(
        json_object_get(mods, "world")));
    size_t len;
    char *bytes = canon(d, &len);
    assert_non_null(strstr(bytes, "\"zz\\u0000evil\""));
    expect_refused(bytes, len, NULL, WH_E_FORMAT, IX_PATH,
                   "NUL byte in object key not supported near '\"zz\\u0000evil\"'");
    free(bytes);
    json_decref(d);
}

/* ---- packages -------------------------------------------------------------- */

static void test_packages_list(void **state)
{
    (void)state;
    json_t *d = doc_new();
    size_t len, n;
    char *bytes = canon(d, &len), h[WH_SHA256_HEX];
    wh_index ix;
    wh_index_pkg *v;
    assert_int_equal(check_bytes(bytes, len, NULL, sk, &ix, NULL), 0);
    assert_int_equal(wh_index_packages(&ix, &v, &n, NULL), 0);
    assert_int_equal(n, NPKGS);
    /* ferrpkg verified and untrusted: a .minisig lies beside them; a PAR
     * is signed by its claims; an unsigned bundle has none. */
    static const int has_sig[NPKGS] = { 1, 1, 0, 0 };
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(v[i].module, PKGS[i].module);
        assert_string_equal(v[i].version, PKGS[i].version);
        assert_string_equal(v[i].kind, PKGS[i].kind);
        assert_string_equal(v[i].path, PKGS[i].path);
        sha_hex(PKGS[i].content, strlen(PKGS[i].content), h);
        assert_string_equal(v[i].sha256, h);
        assert_int_equal(v[i].size, strlen(PKGS[i].content));
        assert_int_equal(v[i].has_sig, has_sig[i]);
        assert_ptr_equal(v[i].record, json_object_get(json_object_get(json_object_get(
            json_object_get(ix.json, "modules"), PKGS[i].module), "versions"),
            PKGS[i].version));
    }
    free(v);
    wh_index_free(&ix);
    free(bytes);
    json_decref(d);
}

/* A record for a package in memory or on disk, without an index. */
static wh_index_pkg pkg_for(const struct pkgdef *p, char h[WH_SHA256_HEX], int has_sig)
{
    sha_hex(p->content, strlen(p->content), h);
    wh_index_pkg r = { p->module, p->version, p->kind, p->path, h,
                       strlen(p->content), has_sig, NULL, 0 };
    return r;
}

static void test_pkg_check_mem(void **state)
{
    (void)state;
    char h[WH_SHA256_HEX], reason[300], other[WH_SHA256_HEX];
    const char *c = PKGS[0].content;
    wh_index_pkg p = pkg_for(&PKGS[0], h, 1);
    wh_err e;
    assert_int_equal(wh_index_pkg_check_mem(&p, c, strlen(c), "m.ferrpkg", &e), 0);
    /* Size first: one byte short. */
    assert_int_equal(wh_index_pkg_check_mem(&p, c, strlen(c) - 1, "m.ferrpkg", &e),
                     WH_E_VERIFY);
    assert_string_equal(e.reason, "size is 16 bytes, the index says 17");
    assert_string_equal(e.path, "m.ferrpkg");
    /* Same size, one byte changed. */
    char *x = strdup(c);
    x[0] = 'f';
    sha_hex(x, strlen(x), other);
    assert_int_equal(wh_index_pkg_check_mem(&p, x, strlen(x), "m.ferrpkg", &e),
                     WH_E_VERIFY);
    snprintf(reason, sizeof reason, "sha256 is %s, the index says %s", other, h);
    assert_string_equal(e.reason, reason);
    free(x);
}

/* ---- files: packages and sites ----------------------------------------- */

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    return wh_test_tmpdir(tmpdir, sizeof tmpdir, "index");
}

static int teardown(void **state)
{
    (void)state;
    return wh_test_tmpdir_remove(tmpdir);
}

/* tmpdir/rel, in a static buffer of four (so a few can be held at once). */
static const char *at(const char *rel)
{
    static char bufs[4][600];
    static int i;
    char *b = bufs[i++ % 4];
    snprintf(b, 600, "%s/%s", tmpdir, rel);
    return b;
}

static void put(const char *rel, const void *data, size_t len)
{
    char dir[600], *slash;
    snprintf(dir, sizeof dir, "%s", at(rel));
    slash = strrchr(dir, '/');
    *slash = '\0';
    assert_int_equal(wh_mkdirs(dir, NULL), 0);
    assert_int_equal(wh_file_write_atomic(at(rel), data, len, 0644, NULL), 0);
}

/* Write every package (and a .minisig for those that have one). */
static void put_packages(void)
{
    for (size_t i = 0; i < NPKGS; i++) {
        char sig[300];
        put(PKGS[i].path, PKGS[i].content, strlen(PKGS[i].content));
        snprintf(sig, sizeof sig, "%s.minisig", PKGS[i].path);
        if (strcmp(PKGS[i].status, "unsigned") && strcmp(PKGS[i].kind, "par"))
            put(sig, "sig\n", 4);
    }
}

/* Check package i of the good index against tmpdir, expecting code and
 * reason (path: tmpdir/<rel>). */
static void expect_pkg(size_t i, int code, const char *rel, const char *reason)
{
    char h[WH_SHA256_HEX];
    int has_sig = strcmp(PKGS[i].status, "unsigned") && strcmp(PKGS[i].kind, "par");
    wh_index_pkg p = pkg_for(&PKGS[i], h, has_sig);
    wh_err e;
    alarm(10);                  /* a FIFO that blocked would hang here */
    assert_int_equal(wh_index_pkg_check(&p, tmpdir, &e), code);
    alarm(0);
    if (code) {
        assert_string_equal(e.reason, reason);
        assert_string_equal(e.path, at(rel));
    }
}

static void test_pkg_check_good(void **state)
{
    (void)state;
    put_packages();
    for (size_t i = 0; i < NPKGS; i++)
        expect_pkg(i, 0, NULL, NULL);
}

static void test_pkg_check_size(void **state)
{
    (void)state;
    put_packages();
    put(PKGS[0].path, "FPKG hello 1.0.0\n+", 18);
    expect_pkg(0, WH_E_VERIFY, PKGS[0].path, "size is 18 bytes, the index says 17");
    put(PKGS[3].path, "", 0);
    expect_pkg(3, WH_E_VERIFY, PKGS[3].path, "size is 0 bytes, the index says 20");
}

static void test_pkg_check_sha256(void **state)
{
    (void)state;
    char h[WH_SHA256_HEX], other[WH_SHA256_HEX], reason[300];
    put_packages();
    put(PKGS[0].path, "FPKG hello 1.0.1\n", 17);
    sha_hex("FPKG hello 1.0.1\n", 17, other);
    sha_hex(PKGS[0].content, strlen(PKGS[0].content), h);
    snprintf(reason, sizeof reason, "sha256 is %s, the index says %s", other, h);
    expect_pkg(0, WH_E_VERIFY, PKGS[0].path, reason);
}

/* A link where the package should be is refused even when it points at
 * the right bytes. */
static void test_pkg_check_symlink(void **state)
{
    (void)state;
    put_packages();
    put("elsewhere/hello", PKGS[0].content, strlen(PKGS[0].content));
    assert_int_equal(unlink(at(PKGS[0].path)), 0);
    assert_int_equal(symlink("../elsewhere/hello", at(PKGS[0].path)), 0);
    expect_pkg(0, WH_E_UNSAFE, PKGS[0].path, "symbolic link not followed");
}

/* A FIFO: refused at once, no writer ever opening it. */
static void test_pkg_check_fifo(void **state)
{
    (void)state;
    put_packages();
    assert_int_equal(unlink(at(PKGS[3].path)), 0);
    assert_int_equal(mkfifo(at(PKGS[3].path), 0644), 0);
    expect_pkg(3, WH_E_UNSAFE, PKGS[3].path, "not a regular file");
}

static void test_pkg_check_directory(void **state)
{
    (void)state;
    put_packages();
    assert_int_equal(unlink(at(PKGS[3].path)), 0);
    assert_int_equal(mkdir(at(PKGS[3].path), 0755), 0);
    expect_pkg(3, WH_E_UNSAFE, PKGS[3].path, "not a regular file");
}

static void test_pkg_check_missing(void **state)
{
    (void)state;
    put_packages();
    assert_int_equal(unlink(at(PKGS[2].path)), 0);
    expect_pkg(2, WH_E_NOTFOUND, PKGS[2].path,
               "cannot open: No such file or directory");
}

/* A record that says signed needs its .minisig beside it: missing, or a
 * link instead of a file, is WH_E_NOTFOUND naming the .minisig. */
static void test_pkg_check_signature_missing(void **state)
{
    (void)state;
    char rel[300];
    put_packages();
    snprintf(rel, sizeof rel, "%s.minisig", PKGS[1].path);
    assert_int_equal(unlink(at(rel)), 0);
    expect_pkg(1, WH_E_NOTFOUND, rel, "the package's signature is missing");
    put("sig", "sig\n", 4);
    assert_int_equal(symlink("../sig", at(rel)), 0);
    expect_pkg(1, WH_E_NOTFOUND, rel, "the package's signature is missing");
}

/* A hand-made record with a path that leaves the site (a caller that did
 * not come through wh_index_packages) is refused, not opened. */
static void test_pkg_check_unsafe_path(void **state)
{
    (void)state;
    put("secret", "x", 1);
    wh_index_pkg p = { "m", "1.0.0", "ferrpkg", "packages/../../secret", "", 1, 0,
                       NULL, 0 };
    wh_err e;
    assert_int_equal(wh_index_pkg_check(&p, at("site"), &e), WH_E_UNSAFE);
    assert_string_equal(e.reason, "path 'packages/../../secret' has a '..' component");
}

/* Write a site: by-hash/HEX.json, index.json.minisig and (when
 * copy) index.json, for the good index with the given serial. */
static void put_site(int64_t serial, int byhash, int copy)
{
    json_t *d = doc_new();
    json_object_set_new(d, "serial", json_integer(serial));
    size_t len;
    char *bytes = canon(d, &len), tc[256], rel[128], text[WH_MINISIGN_SIG_TEXT_MAX];
    comment_for(tc, bytes, len, serial, EXPIRES);
    wh_minisign_sig *s = sign(sk, bytes, len, tc);
    assert_int_equal(wh_index_byhash(rel, sizeof rel, tc + strlen(tc) - 64, ""), 0);
    if (byhash)
        put(rel, bytes, len);
    if (copy)
        put(WH_INDEX_JSON, bytes, len);
    assert_int_equal(wh_minisign_sig_format(s, text, NULL), 0);
    put(WH_INDEX_SIG, text, strlen(text));
    free(s);
    free(bytes);
    json_decref(d);
}

static void test_load_by_hash(void **state)
{
    (void)state;
    put_site(12, 1, 1);
    wh_index ix;
    wh_err e;
    assert_int_equal(wh_index_load(&ix, tmpdir, &pk, &e), 0);
    assert_int_equal(ix.head.serial, 12);
    assert_int_equal(ix.packages, 4);
    assert_int_equal(ix.modules, 3);
    wh_index_free(&ix);
}

/* A build in progress or killed after the commit: index.json is the
 * previous generation, the signature already names the next one.  The
 * reader goes by hash and never sees the mismatch. */
static void test_load_copy_lags(void **state)
{
    (void)state;
    put_site(12, 1, 1);
    put_site(13, 1, 0);
    wh_index ix;
    wh_err e;
    assert_int_equal(wh_index_load(&ix, tmpdir, &pk, &e), 0);
    assert_int_equal(ix.head.serial, 13);
    assert_int_equal(json_integer_value(json_object_get(ix.json, "serial")), 13);
    wh_index_free(&ix);
}

/* A site from before by-hash: index.json is read instead. */
static void test_load_fallback_index_json(void **state)
{
    (void)state;
    put_site(12, 0, 1);
    wh_index ix;
    wh_err e;
    assert_int_equal(wh_index_load(&ix, tmpdir, &pk, &e), 0);
    assert_int_equal(ix.head.serial, 12);
    assert_int_equal(ix.packages, 4);
    wh_index_free(&ix);
}

/* No by-hash file and an index.json of another generation: the pair
 * does not match, and the signature says so. */
static void test_load_fallback_mismatch(void **state)
{
    (void)state;
    put_site(12, 0, 1);
    put_site(13, 0, 0);
    wh_index ix;
    wh_err e;
    assert_int_equal(wh_index_load(&ix, tmpdir, &pk, &e), WH_E_VERIFY);
    assert_string_equal(e.reason, "signature verification failed");
    assert_string_equal(e.path, at(WH_INDEX_SIG));
    assert_null(ix.bytes);
}

/* The by-hash file holds other bytes than its name says. */
static void test_load_byhash_replaced(void **state)
{
    (void)state;
    put_site(12, 1, 0);
    wh_minisign_sig *s = calloc(1, sizeof *s);
    wh_index_head h;
    char rel[128];
    assert_non_null(s);
    assert_int_equal(wh_index_head_load(at(WH_INDEX_SIG), &pk, s, &h, NULL), 0);
    assert_int_equal(wh_index_byhash(rel, sizeof rel, h.sha256, ""), 0);
    json_t *d = doc_new();
    json_object_set_new(d, "serial", json_integer(13));
    size_t len;
    char *bytes = canon(d, &len);
    put(rel, bytes, len);
    wh_index ix;
    wh_err e;
    assert_int_equal(wh_index_load(&ix, tmpdir, &pk, &e), WH_E_VERIFY);
    assert_string_equal(e.reason, "signature verification failed");
    free(bytes);
    json_decref(d);
    free(s);
}

static void test_load_wrong_key(void **state)
{
    (void)state;
    put_site(12, 1, 1);
    wh_index ix;
    wh_err e;
    char reason[200];
    assert_int_equal(wh_index_load(&ix, tmpdir, &other_pk, &e), WH_E_VERIFY);
    snprintf(reason, sizeof reason, "signature key id %s does not match public key %s",
             key_id, other_id);
    assert_string_equal(e.reason, reason);
    assert_string_equal(e.path, at(WH_INDEX_SIG));
}

/* An empty folder is no site: WH_E_NOTFOUND. */
static void test_load_no_site(void **state)
{
    (void)state;
    keys();
    wh_index ix;
    wh_err e;
    assert_int_equal(wh_index_load(&ix, tmpdir, &pk, &e), WH_E_NOTFOUND);
    assert_string_equal(e.path, at(WH_INDEX_SIG));
    assert_string_equal(e.reason, "cannot open: No such file or directory");
    assert_null(ix.bytes);
}

/* index.json without its signature is not an unsigned site: refused. */
static void test_load_signature_missing(void **state)
{
    (void)state;
    put_site(12, 1, 1);
    assert_int_equal(unlink(at(WH_INDEX_SIG)), 0);
    wh_index ix;
    wh_err e;
    assert_int_equal(wh_index_load(&ix, tmpdir, &pk, &e), WH_E_VERIFY);
    assert_string_equal(e.reason, "the signature is missing");
    assert_string_equal(e.path, at(WH_INDEX_SIG));
}

static void test_head_load_missing(void **state)
{
    (void)state;
    keys();
    wh_minisign_sig *s = calloc(1, sizeof *s);
    wh_index_head h;
    wh_err e;
    assert_non_null(s);
    assert_int_equal(wh_index_head_load(at("none.minisig"), &pk, s, &h, &e),
                     WH_E_NOTFOUND);
    free(s);
}

/* wh_index_latest over a "versions" object written as JSON text. */
static const char *latest_of(const char *versions, json_t **keep)
{
    json_error_t je;
    *keep = json_loads(versions, 0, &je);
    assert_non_null(*keep);
    return wh_index_latest(*keep);
}

static void test_latest(void **state)
{
    (void)state;
    static const struct { const char *versions, *want; } rows[] = {
        { "{\"1.0.0\":{},\"1.2.0\":{},\"1.10.0\":{}}", "1.10.0" },
        { "{\"1.0.0\":{},\"2.0.0-beta.1\":{}}", "1.0.0" },           /* a release first */
        { "{\"2.0.0-alpha\":{},\"2.0.0-beta\":{}}", "2.0.0-beta" },  /* only pre-releases */
        { "{\"1.0.0\":{},\"1.1.0\":{\"yanked\":\"\"}}", "1.0.0" },  /* yanked skipped */
        { "{\"1.0.0\":{\"yanked\":\"x\"},\"2.0.0-rc.1\":{}}", "2.0.0-rc.1" },
        { "{\"1.0.0\":{\"yanked\":\"\"},\"1.1.0\":{\"yanked\":\"\"}}", "1.1.0" }, /* all yanked */
        { "{\"1.0.0+b\":{},\"1.0.0+a\":{}}", "1.0.0+b" },            /* same precedence */
        { "{\"not-semver\":{},\"0.1.0\":{}}", "0.1.0" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *v;
        const char *got = latest_of(rows[i].versions, &v);
        assert_non_null(got);
        assert_string_equal(got, rows[i].want);
        json_decref(v);
    }
    json_t *empty = json_object();
    assert_null(wh_index_latest(empty));
    assert_null(wh_index_latest(NULL));
    json_decref(empty);
}

WH_TEST_MAIN("index",
    cmocka_unit_test(test_good_index),
    cmocka_unit_test(test_latest),
    cmocka_unit_test(test_module_without_versions),
    cmocka_unit_test(test_comment_text),
    cmocka_unit_test(test_byhash_names),
    cmocka_unit_test(test_head_check),
    cmocka_unit_test(test_wrong_key),
    cmocka_unit_test(test_tampered_bytes),
    cmocka_unit_test(test_tampered_comment),
    cmocka_unit_test(test_comment_sha256_mismatch),
    cmocka_unit_test(test_comment_forms_refused),
    cmocka_unit_test(test_comment_reason_is_cut),
    cmocka_unit_test(test_not_canonical),
    cmocka_unit_test(test_document_checks),
    cmocka_unit_test(test_module_name_with_nul),
    cmocka_unit_test(test_plugin_limits),
    cmocka_unit_test(test_plugin_records),
    cmocka_unit_test(test_packages_list),
    cmocka_unit_test(test_pkg_check_mem),
    cmocka_unit_test_setup_teardown(test_pkg_check_good, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pkg_check_size, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pkg_check_sha256, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pkg_check_symlink, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pkg_check_fifo, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pkg_check_directory, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pkg_check_missing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pkg_check_signature_missing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pkg_check_unsafe_path, setup, teardown),
    cmocka_unit_test_setup_teardown(test_load_by_hash, setup, teardown),
    cmocka_unit_test_setup_teardown(test_load_copy_lags, setup, teardown),
    cmocka_unit_test_setup_teardown(test_load_fallback_index_json, setup, teardown),
    cmocka_unit_test_setup_teardown(test_load_fallback_mismatch, setup, teardown),
    cmocka_unit_test_setup_teardown(test_load_byhash_replaced, setup, teardown),
    cmocka_unit_test_setup_teardown(test_load_wrong_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_load_no_site, setup, teardown),
    cmocka_unit_test_setup_teardown(test_load_signature_missing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_head_load_missing, setup, teardown),
)

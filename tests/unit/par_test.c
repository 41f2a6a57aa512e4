/* par_test.c - common/base32.c, nkeys.c, jwt.c and pkg_par.c.
 *
 * Vectors and rejections of the encodings (RFC 4648 base32 and base64url
 * without padding, nkeys computed independently) and the module names and
 * versions derived from claims are table cases in par.data.  Here: the CRC
 * check value and round trips, tokens (the real one from wasmCloud's test
 * suite, and tokens signed here with good and bad headers, signatures,
 * segments and times), the real provider archive
 * ../shared/fixtures/par/libwascc_redis.par.gz field by field, and PARs
 * built in memory for the archive rules mkpar cannot break (hard links,
 * caps).  The rest of the corruptions are tests/cli/t1010-par.sh.
 */
#include "tests/unit/wh_test.h"

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>

#include "common/base32.h"
#include "common/fs.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/jwt.h"
#include "common/nkeys.h"
#include "common/pkg.h"
#include "common/sha256.h"

/* The fixture's claims.jwt, byte for byte, and its keys. */
static const char REDIS_JWT[] =
    "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.eyJqdGkiOiJOOHBzY2ZxTU44dlByZm"
    "lzc1F3S1hWIiwiaWF0IjoxNjA1MjgwMzQ2LCJpc3MiOiJBQTdJUVVSR1RBSUc0SUhWUDVP"
    "TjdZUldMTFVKQlNPV09UQUdLM1FaS1Y0Q0M2UVFORkZEUzJKTSIsInN1YiI6IlZESjRYQ1"
    "hSWUNPU1g0SEpFV1FNWk5TUlgzSVNGUjJTVzNTTjVPWjJJUFBQUUwzVENBSEtGTVFNIiwi"
    "d2FzY2FwIjp7Im5hbWUiOiJSZWRpcyIsImNhcGlkIjoid2FzY2M6a2V5dmFsdWUiLCJ2ZW"
    "5kb3IiOiJ3YVNDQyIsInRhcmdldF9oYXNoZXMiOnsieDg2XzY0LW1hY29zIjoiQ0UxODMz"
    "MjVEMzA1ODM5MzE4OTVGRUEzMEVGM0M3MzZCRjJCQjdFNDUzQzlCN0Y5RTI2NTNBQjdFQU"
    "IwNTQwNSIsIng4Nl82NC1saW51eCI6IkE3MEMwMkJFQUM0ODgxQUU3MTFFNzgyNUQwMUU2"
    "NzM0OEY4M0Y0NTEyMEJCMUQ4MzRFRjkwRjkwNzdGM0I5RTgifX19.KjxxIffSBtC0gBxW0"
    "gqM9_7ERN7Y5S7_ljIis97TrO5tgS_vMlvhCKm6kRD8PAajVB2L0o-LG8O6lLcqoBIDAQ";
static const char REDIS_ISS[] =
    "AA7IQURGTAIG4IHVP5ON7YRWLLUJBSOWOTAGK3QZKV4CC6QQNFFDS2JM";
static const char REDIS_SUB[] =
    "VDJ4XCXRYCOSX4HJEWQMZNSRX3ISFR2SW3SN5OZ2IPPPQL3TCAHKFMQM";

static const char *fmt(const wh_err *e)
{
    static char buf[1024];
    return wh_err_format(e, buf, sizeof buf);
}

/* ---- building tokens and archives ------------------------------------ */

typedef struct keys {
    uint8_t acc_pk[32], acc_sk[64], svc_pk[32], svc_sk[64];
    char acc[WH_NKEY_LEN + 1], svc[WH_NKEY_LEN + 1];
} keys;

/* Fixed keys, so failures are repeatable. */
static void test_keys(keys *k)
{
    uint8_t seed[32];
    memset(seed, 1, sizeof seed);
    crypto_sign_seed_keypair(k->acc_pk, k->acc_sk, seed);
    memset(seed, 2, sizeof seed);
    crypto_sign_seed_keypair(k->svc_pk, k->svc_sk, seed);
    wh_nkey_encode(k->acc, WH_NKEY_ACCOUNT, k->acc_pk);
    wh_nkey_encode(k->svc, WH_NKEY_SERVICE, k->svc_pk);
}

/* header "." payload "." signature, base64url, signed by sk; malloc'd. */
static char *make_token(const char *header, const char *payload,
                        const uint8_t sk[64])
{
    size_t hl = strlen(header), pl = strlen(payload);
    char *t = malloc(WH_BASE64URL_ENCODED_LEN(hl) + WH_BASE64URL_ENCODED_LEN(pl)
                     + WH_BASE64URL_ENCODED_LEN(64) + 3);
    size_t n = wh_base64url_encode(t, header, hl);
    t[n++] = '.';
    n += wh_base64url_encode(t + n, payload, pl);
    uint8_t sig[64];
    crypto_sign_detached(sig, NULL, (const uint8_t *)t, n, sk);
    t[n++] = '.';
    wh_base64url_encode(t + n, sig, sizeof sig);
    return t;
}

static const char HEADER[] = "{\"typ\":\"jwt\",\"alg\":\"Ed25519\"}";

typedef struct tent {
    const char *name;
    const char *data;     /* NULL: a directory */
    size_t      len;
    const char *hardlink; /* a hard link to this entry */
} tent;

typedef struct growbuf {
    uint8_t *p;
    size_t   len, cap;
} growbuf;

static la_ssize_t grow_write(struct archive *a, void *ctx, const void *d,
                             size_t n)
{
    (void)a;
    growbuf *b = ctx;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    return (la_ssize_t)n;
}

/* A tar (pax, so names may be long) of the entries; malloc'd. */
static uint8_t *make_tar(const tent *e, size_t n, size_t *len)
{
    growbuf b = { 0 };
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    assert_int_equal(archive_write_open(a, &b, NULL, grow_write, NULL),
                     ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, e[i].name);
        archive_entry_set_perm(ae, 0644);
        if (e[i].hardlink) {
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_hardlink(ae, e[i].hardlink);
        } else if (!e[i].data) {
            archive_entry_set_filetype(ae, AE_IFDIR);
        } else {
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_size(ae, (la_int64_t)e[i].len);
        }
        assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
        if (e[i].data && e[i].len)
            archive_write_data(a, e[i].data, e[i].len);
        archive_entry_free(ae);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    *len = b.len;
    return b.p;
}

static const char BIN[] = "provider bytes";

/* Upper-case hex SHA-256 of s. */
static void upper_sha(char out[65], const void *s, size_t n)
{
    uint8_t d[32];
    wh_sha256_buf(s, n, d, NULL);
    wh_hex_encode(out, d, sizeof d, 1);
}

/* Claims for one binary x86_64-linux.bin holding BIN, signed by the test
 * account; wascap gets the extra keys in wascap (JSON text of members,
 * may be ""). */
static char *claims_token(const keys *k, const char *wascap_name_json,
                          const char *extra)
{
    char hash[65], payload[4096];
    upper_sha(hash, BIN, sizeof BIN - 1);
    snprintf(payload, sizeof payload,
             "{\"jti\":\"j\",\"iat\":1,\"iss\":\"%s\",\"sub\":\"%s\","
             "\"wascap\":{\"name\":%s,\"vendor\":\"v\"%s\"target_hashes\":"
             "{\"x86_64-linux\":\"%s\"}},\"wascap_revision\":3}",
             k->acc, k->svc, wascap_name_json, extra, hash);
    return make_token(HEADER, payload, k->acc_sk);
}

/* Read a PAR of claims.jwt = tok and x86_64-linux.bin = BIN. */
static int read_simple(const char *tok, wh_pkg *pkg, wh_err *e)
{
    tent ents[] = {
        { "claims.jwt", tok, strlen(tok), NULL },
        { "x86_64-linux.bin", BIN, sizeof BIN - 1, NULL },
    };
    size_t len;
    uint8_t *tar = make_tar(ents, 2, &len);
    int rc = wh_pkg_read_mem("x.par", tar, len, NULL, pkg, e);
    free(tar);
    return rc;
}

/* ---- par.data ---------------------------------------------------------- */

/* Undo \xNN escapes; returns the length. */
static size_t unescape(char *out, const char *s)
{
    size_t n = 0;
    while (*s) {
        unsigned v;
        if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1) {
            out[n++] = (char)v;
            s += 4;
        } else {
            out[n++] = *s++;
        }
    }
    out[n] = '\0';
    return n;
}

static void err_text(char *got, size_t gotsz, const wh_err *e)
{
    if (e->offset >= 0)
        snprintf(got, gotsz, "!%s@%lld", e->reason, e->offset);
    else
        snprintf(got, gotsz, "!%s", e->reason);
}

static void bytes_text(char *got, size_t gotsz, const uint8_t *b, size_t n)
{
    char h[300];
    wh_hex_encode(h, b, n, 0);
    snprintf(got, gotsz, "=%s", h);
}

static int role_of(const char *name)
{
    if (!strcmp(name, "any"))
        return -1;
    for (int p = 0; p < 256; p++)
        if (wh_nkey_role(p) && !strcmp(wh_nkey_role(p), name))
            return p;
    fail_msg("unknown role %s", name);
    return -2;
}

static void codec_case(const char *kind, const char *in, size_t n,
                       char *got, size_t gotsz)
{
    wh_err e;
    uint8_t out[128];
    char text[300];
    size_t len, room = sizeof out;
    const char *colon = strchr(kind, ':');
    if (colon)
        room = (size_t)atoi(colon + 1);
    if (!strcmp(kind, "b32enc") || !strcmp(kind, "b64urlenc")) {
        size_t bn = n / 2;
        assert_int_equal(wh_hex_decode(out, bn, in, n), 0);
        size_t tn = kind[1] == '3' ? wh_base32_encode(text, out, bn)
                                   : wh_base64url_encode(text, out, bn);
        assert_int_equal(tn, kind[1] == '3' ? WH_BASE32_ENCODED_LEN(bn)
                                            : WH_BASE64URL_ENCODED_LEN(bn));
        snprintf(got, gotsz, "%s", text);
    } else if (!strncmp(kind, "b32", 3) || !strncmp(kind, "b64url", 6)) {
        int rc = kind[1] == '3'
            ? wh_base32_decode(out, room, &len, in, n, &e)
            : wh_base64url_decode(out, room, &len, in, n, &e);
        if (rc)
            err_text(got, gotsz, &e);
        else
            bytes_text(got, gotsz, out, len);
    } else if (!strncmp(kind, "nkey-", 5)) {
        int prefix;
        if (wh_nkey_decode(in, n, role_of(kind + 5), &prefix, out, &e)) {
            err_text(got, gotsz, &e);
        } else {
            char h[65];
            wh_hex_encode(h, out, 32, 0);
            snprintf(got, gotsz, "=%02x:%s", prefix, h);
        }
    } else {
        fail_msg("unknown kind '%s'", kind);
    }
}

/* A PAR whose wascap.name is name, or whose ver/rev are the JSON texts
 * (or "-" for none); got is the module name, version or error message. */
static void par_case(const char *kind, const char *a, size_t an,
                     const char *b, char *got, size_t gotsz)
{
    keys k;
    test_keys(&k);
    char extra[5000] = ",";
    json_t *name = json_stringn(a, an);
    if (!strcmp(kind, "ver")) {
        json_decref(name);
        name = json_string("n");
        if (strcmp(a, "-"))
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
                     "\"ver\":%s,", a);
        if (strcmp(b, "-"))
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
                     "\"rev\":%s,", b);
    }
    assert_non_null(name);
    char *nj = json_dumps(name, JSON_ENCODE_ANY);
    char *tok = claims_token(&k, nj, extra);
    wh_pkg pkg;
    wh_err e;
    if (read_simple(tok, &pkg, &e)) {
        snprintf(got, gotsz, "!%s", fmt(&e));
    } else {
        snprintf(got, gotsz, "%s", !strcmp(kind, "ver") ? pkg.version
                                                        : pkg.name);
        wh_pkg_free(&pkg);
    }
    free(tok);
    free(nj);
    json_decref(name);
}

static void test_data_file(void **state)
{
    (void)state;
    FILE *f = fopen("tests/unit/par.data", "r");
    assert_non_null(f);
    static char line[4096], in[4096], got[8192];
    int lineno = 0, passed = 0, failed = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *f1 = strchr(line, '\t');
        char *f2 = f1 ? strchr(f1 + 1, '\t') : NULL;
        char *f3 = f2 ? strchr(f2 + 1, '\t') : NULL;
        int is_ver = !strncmp(line, "ver\t", 4);
        if (!f2 || is_ver == !f3) {
            printf("par.data:%d: malformed case\n", lineno);
            failed++;
            continue;
        }
        *f1 = *f2 = '\0';
        if (f3)
            *f3 = '\0';
        size_t n = unescape(in, f1 + 1);
        const char *want = f3 ? f3 + 1 : f2 + 1;
        if (!strcmp(line, "name") || !strcmp(line, "ver"))
            par_case(line, in, n, f2 + 1, got, sizeof got);
        else
            codec_case(line, in, n, got, sizeof got);
        if (!strcmp(got, want)) {
            passed++;
        } else {
            printf("par.data:%d: %s case\n  want: %s\n  got:  %s\n", lineno,
                   line, want, got);
            failed++;
        }
    }
    fclose(f);
    wh_test_report("par.data", passed, failed);
    assert_int_equal(failed, 0);
    assert_true(passed >= 120);
}

/* ---- encodings --------------------------------------------------------- */

static void test_crc16_xmodem(void **state)
{
    (void)state;
    /* The CRC catalogue's check value for CRC-16/XMODEM. */
    assert_int_equal(wh_crc16_xmodem((const uint8_t *)"123456789", 9), 0x31C3);
    assert_int_equal(wh_crc16_xmodem(NULL, 0), 0);
}

static void test_round_trips(void **state)
{
    (void)state;
    uint8_t all[256], back[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    for (size_t n = 0; n <= 256; n += 1 + n / 8) {
        char t32[WH_BASE32_ENCODED_LEN(256) + 1];
        char t64[WH_BASE64URL_ENCODED_LEN(256) + 1];
        size_t len;
        wh_err e;
        wh_base32_encode(t32, all, n);
        assert_int_equal(wh_base32_decode(back, sizeof back, &len, t32,
                                          strlen(t32), &e), 0);
        assert_int_equal(len, n);
        assert_memory_equal(back, all, n);
        wh_base64url_encode(t64, all, n);
        assert_int_equal(wh_base64url_decode(back, sizeof back, &len, t64,
                                             strlen(t64), &e), 0);
        assert_int_equal(len, n);
        assert_memory_equal(back, all, n);
    }
    /* Every role, random keys. */
    static const int roles[] = { WH_NKEY_ACCOUNT, WH_NKEY_CLUSTER,
        WH_NKEY_MODULE, WH_NKEY_SERVER, WH_NKEY_OPERATOR, WH_NKEY_USER,
        WH_NKEY_SERVICE, WH_NKEY_CURVE };
    static const char letters[] = "ACMNOUVX";
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        uint8_t key[32], got[32];
        char text[WH_NKEY_LEN + 1];
        int prefix;
        randombytes_buf(key, sizeof key);
        wh_nkey_encode(text, roles[i], key);
        assert_int_equal(strlen(text), WH_NKEY_LEN);
        assert_int_equal(text[0], letters[i]);
        assert_int_equal(wh_nkey_decode(text, WH_NKEY_LEN, roles[i], &prefix,
                                        got, NULL), 0);
        assert_int_equal(prefix, roles[i]);
        assert_memory_equal(got, key, 32);
    }
    assert_null(wh_nkey_role(0x01));
    assert_string_equal(wh_nkey_role(WH_NKEY_SERVICE), "service");
}

/* ---- tokens ------------------------------------------------------------ */

static void test_jwt_redis(void **state)
{
    (void)state;
    wh_jwt jwt;
    wh_err e;
    uint8_t iss[32], sub[32];
    assert_int_equal(strlen(REDIS_JWT), 699);
    assert_int_equal(wh_jwt_decode(&jwt, REDIS_JWT, strlen(REDIS_JWT), &e), 0);
    assert_string_equal(json_string_value(json_object_get(jwt.payload, "iss")),
                        REDIS_ISS);
    assert_int_equal(json_integer_value(json_object_get(jwt.payload, "iat")),
                     1605280346);
    assert_int_equal(jwt.signed_len, strchr(strchr(REDIS_JWT, '.') + 1, '.')
                                     - REDIS_JWT);
    assert_int_equal(wh_nkey_decode(REDIS_ISS, WH_NKEY_LEN, WH_NKEY_ACCOUNT,
                                    NULL, iss, NULL), 0);
    assert_int_equal(wh_nkey_decode(REDIS_SUB, WH_NKEY_LEN, WH_NKEY_SERVICE,
                                    NULL, sub, NULL), 0);
    assert_int_equal(wh_jwt_verify(&jwt, iss, &e), 0);
    assert_int_equal(wh_jwt_verify(&jwt, sub, &e), WH_E_VERIFY);
    assert_string_equal(fmt(&e), "token signature does not verify");
    /* No exp or nbf: valid at any time. */
    assert_int_equal(wh_jwt_check_time(&jwt, 0, &e), 0);
    assert_int_equal(wh_jwt_check_time(&jwt, INT64_MAX, &e), 0);
    wh_jwt_free(&jwt);

    /* One signature character changed (not the last, whose low bits are
     * padding): decodes, does not verify. */
    char bad[sizeof REDIS_JWT];
    memcpy(bad, REDIS_JWT, sizeof bad);
    char *c = strrchr(bad, '.') + 10;
    *c = *c == 'A' ? 'B' : 'A';
    assert_int_equal(wh_jwt_decode(&jwt, bad, strlen(bad), &e), 0);
    assert_int_equal(wh_jwt_verify(&jwt, iss, &e), WH_E_VERIFY);
    wh_jwt_free(&jwt);
    /* One payload character changed (inside the jti, to a letter that
     * keeps the JSON valid): decodes, does not verify. */
    memcpy(bad, REDIS_JWT, sizeof bad);
    c = strchr(bad, '.') + 20;
    int changed = 0;
    for (char r = 'a'; r <= 'z' && !changed; r++) {
        if (r == REDIS_JWT[c - bad])
            continue;
        *c = r;
        if (wh_jwt_decode(&jwt, bad, strlen(bad), &e) == 0) {
            changed = 1;
            assert_int_equal(wh_jwt_verify(&jwt, iss, &e), WH_E_VERIFY);
            wh_jwt_free(&jwt);
        }
    }
    assert_true(changed);
}

/* Decode a token signed by the test account with this header and payload;
 * returns the message, or "ok" and the signature's verdict. */
static const char *try_token(const char *header, const char *payload)
{
    static char out[600];
    keys k;
    test_keys(&k);
    char *t = make_token(header, payload, k.acc_sk);
    wh_jwt jwt;
    wh_err e;
    if (wh_jwt_decode(&jwt, t, strlen(t), &e))
        snprintf(out, sizeof out, "%s", fmt(&e));
    else
        snprintf(out, sizeof out, "ok %d", wh_jwt_verify(&jwt, k.acc_pk, &e));
    wh_jwt_free(&jwt);
    free(t);
    return out;
}

static void test_jwt_headers(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        { "{\"typ\":\"jwt\",\"alg\":\"Ed25519\"}", "ok 0" },
        /* parsed, not compared as text */
        { "{\"alg\":\"Ed25519\",\"typ\":\"jwt\"}", "ok 0" },
        { " { \"typ\" : \"jwt\" ,\n\"alg\":\"Ed25519\" } ", "ok 0" },
        { "{\"typ\":\"JWT\",\"alg\":\"Ed25519\"}",
          "offset 0x0: token header 'typ' is not \"jwt\"" },
        { "{\"typ\":\"jwt\",\"alg\":\"none\"}",
          "offset 0x0: token header 'alg' is not \"Ed25519\"" },
        { "{\"typ\":\"jwt\",\"alg\":\"EdDSA\"}",
          "offset 0x0: token header 'alg' is not \"Ed25519\"" },
        { "{\"typ\":\"jwt\",\"alg\":null}",
          "offset 0x0: token header 'alg' is not \"Ed25519\"" },
        { "{\"typ\":\"jwt\",\"alg\":\"Ed25519\\u0000\"}",
          "offset 0x0: token header 'alg' is not \"Ed25519\"" },
        { "{\"typ\":\"jwt\"}", "offset 0x0: token header lacks 'alg'" },
        { "{\"alg\":\"Ed25519\"}", "offset 0x0: token header lacks 'typ'" },
        { "{\"typ\":\"jwt\",\"alg\":\"Ed25519\",\"kid\":\"k\"}",
          "offset 0x0: token header has unexpected key 'kid'" },
        { "{\"typ\":\"jwt\",\"alg\":\"Ed25519\",\"alg\":\"Ed25519\"}",
          "offset 0x0: token header: duplicate object key near '\"alg\"' at "
          "line 1 column 34" },
        { "[\"jwt\",\"Ed25519\"]",
          "offset 0x0: token header is not a JSON object" },
        { "{\"typ\":\"jwt\",", "offset 0x0: token header: string or '}' "
          "expected near end of file at line 1 column 13" },
        { "", "offset 0x0: token header: unexpected token near end of file "
          "at line 1 column 1" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = try_token(cases[i][0], "{}");
        if (strcmp(got, cases[i][1]))
            fail_msg("header %s\n  want: %s\n  got:  %s", cases[i][0],
                     cases[i][1], got);
    }
    assert_string_equal(try_token(HEADER, "[]"),
                        "offset 0x28: token payload is not a JSON object");
    assert_string_equal(try_token(HEADER, "{\"a\":1,\"a\":2}"),
                        "offset 0x28: token payload: duplicate object key "
                        "near '\"a\"' at line 1 column 10");
}

/* Decode text as a token; the message or "ok". */
static const char *decode_text(const char *t, size_t n)
{
    static char out[600];
    wh_jwt jwt;
    wh_err e;
    if (wh_jwt_decode(&jwt, t, n, &e))
        snprintf(out, sizeof out, "%s", fmt(&e));
    else
        snprintf(out, sizeof out, "ok");
    wh_jwt_free(&jwt);
    return out;
}

static void test_jwt_segments(void **state)
{
    (void)state;
    /* "eyJ0eXAi...In0" is 39 characters, so the payload starts at 0x28
     * and the signature at 0x28 + payload + 1. */
    static char t[1024];
    const char *p0 = strchr(REDIS_JWT, '.'), *p1 = strrchr(REDIS_JWT, '.');
    size_t n = strlen(REDIS_JWT);

    assert_string_equal(decode_text("abc", 3),
                        "token has 1 segments, expected 3");
    assert_string_equal(decode_text("a.b.c.d", 7),
                        "token has 4 segments, expected 3");
    snprintf(t, sizeof t, "%s.", REDIS_JWT);
    assert_string_equal(decode_text(t, n + 1),
                        "token has 4 segments, expected 3");

    /* Standard base64 or padding in a segment. */
    memcpy(t, REDIS_JWT, n + 1);
    t[p0 - REDIS_JWT + 1] = '+';
    assert_string_equal(decode_text(t, n), "offset 0x28: token payload: "
                        "invalid base64url character '+'");
    memcpy(t, REDIS_JWT, n + 1);
    t[0] = '/';
    assert_string_equal(decode_text(t, n), "offset 0x0: token header: "
                        "invalid base64url character '/'");
    snprintf(t, sizeof t, "%s==", REDIS_JWT);
    assert_string_equal(decode_text(t, n + 2), "offset 0x2bb: token "
                        "signature: invalid base64url character '='");
    /* The signature's last character with padding bits set. */
    memcpy(t, REDIS_JWT, n + 1);
    t[n - 1] = 'R';
    assert_string_equal(decode_text(t, n), "offset 0x2ba: token signature: "
                        "non-zero bits after the base64url data");
    /* Short, long and missing signatures. */
    memcpy(t, REDIS_JWT, n + 1);
    t[n - 3] = '\0';   /* 83 characters: 62 bytes */
    assert_string_equal(decode_text(t, n - 3), "offset 0x265: token "
                        "signature has 62 bytes, expected 64");
    snprintf(t, sizeof t, "%.*s", (int)(p1 - REDIS_JWT + 1), REDIS_JWT);
    assert_string_equal(decode_text(t, strlen(t)), "offset 0x265: token "
                        "signature has 0 bytes, expected 64");
    snprintf(t, sizeof t, "%sAAAA", REDIS_JWT);
    assert_string_equal(decode_text(t, n + 4), "offset 0x265: token "
                        "signature has more than 64 bytes");
    /* Not NUL-terminated input is read by length only. */
    memcpy(t, REDIS_JWT, n);
    t[n] = 'A';
    assert_string_equal(decode_text(t, n), "ok");

    /* The size cap. */
    size_t big = WH_JWT_MAX_LEN + 1;
    char *huge = malloc(big);
    memset(huge, 'A', big);
    assert_string_equal(decode_text(huge, big),
                        "token longer than 65536 bytes");
    free(huge);
}

static void test_jwt_times(void **state)
{
    (void)state;
    static const struct { const char *payload; int64_t now; const char *want; }
    cases[] = {
        { "{\"exp\":100}", 99, "ok" },
        { "{\"exp\":100}", 100, "ok" },
        { "{\"exp\":100}", 101, "token expired at 100" },
        { "{\"nbf\":100}", 99, "token not valid before 100" },
        { "{\"nbf\":100}", 100, "ok" },
        { "{\"nbf\":100,\"exp\":200}", 150, "ok" },
        { "{\"nbf\":100,\"exp\":200}", 201, "token expired at 200" },
        { "{\"exp\":null,\"nbf\":null}", 5, "ok" },
        { "{\"exp\":\"100\"}", 5, "'exp' is not a non-negative integer" },
        { "{\"exp\":-1}", 5, "'exp' is not a non-negative integer" },
        { "{\"nbf\":1.5}", 5, "'nbf' is not a non-negative integer" },
        { "{\"exp\":1700000000}", 1700000001, "token expired at 1700000000" },
    };
    keys k;
    test_keys(&k);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = make_token(HEADER, cases[i].payload, k.acc_sk);
        wh_jwt jwt;
        wh_err e;
        assert_int_equal(wh_jwt_decode(&jwt, t, strlen(t), &e), 0);
        int rc = wh_jwt_check_time(&jwt, cases[i].now, &e);
        const char *got = rc ? fmt(&e) : "ok";
        if (strcmp(got, cases[i].want))
            fail_msg("%s at %lld\n  want: %s\n  got:  %s", cases[i].payload,
                     (long long)cases[i].now, cases[i].want, got);
        if (rc)
            assert_int_equal(rc, strchr(cases[i].want, '\'')
                             ? WH_E_FORMAT : WH_E_EXPIRED);
        wh_jwt_free(&jwt);
        free(t);
    }
}

/* ---- the real provider archive ----------------------------------------- */

static void fixture_path(char *buf, size_t n)
{
    snprintf(buf, n, "%s/fixtures/par/libwascc_redis.par.gz",
             wh_test_shared_dir());
}

static const char REDIS_RECORD[] =
    "{\"author\":\"waSCC\",\"categories\":[],\"dependencies\":{},"
    "\"description\":\"\",\"kind\":\"par\",\"license\":\"\",\"par\":{"
    "\"capid\":\"wascc:keyvalue\",\"config_schema\":null,"
    "\"display_name\":\"Redis\",\"expires\":null,\"issued_at\":1605280346,"
    "\"issuer\":\"AA7IQURGTAIG4IHVP5ON7YRWLLUJBSOWOTAGK3QZKV4CC6QQNFFDS2JM\","
    "\"not_before\":null,\"revision\":null,"
    "\"subject\":\"VDJ4XCXRYCOSX4HJEWQMZNSRX3ISFR2SW3SN5OZ2IPPPQL3TCAHKFMQM\","
    "\"targets\":{\"x86_64-linux\":{\"sha256\":\"a70c02beac4881ae711e7825d01e6"
    "7348f83f45120bb1d834ef90f9077f3b9e8\",\"size\":5701792},\"x86_64-macos\""
    ":{\"sha256\":\"ce183325d30583931895fea30ef3c736bf2bb7e453c9b7f9e2653ab7ea"
    "b05405\",\"size\":2363160}},\"vendor\":\"waSCC\",\"ver\":null,\"world\":"
    "false},\"sha256\":\"4d361042796b22e3c64c35ead55489e1c53cb4a39d6e0c59cf66f"
    "83d86e7ebc1\",\"size\":2379699,\"tags\":[]}";

static void test_redis_par(void **state)
{
    (void)state;
    char path[1024];
    fixture_path(path, sizeof path);
    wh_pkg pkg;
    wh_err e;
    if (wh_pkg_read(path, NULL, &pkg, &e))
        fail_msg("%s", fmt(&e));
    assert_int_equal(pkg.kind, WH_PKG_PAR);
    assert_string_equal(pkg.name, "redis");
    assert_string_equal(pkg.version, "0.0.0");
    assert_string_equal(pkg.issuer, REDIS_ISS);
    assert_string_equal(pkg.subject, REDIS_SUB);
    assert_int_equal(pkg.size, 2379699);
    assert_string_equal(pkg.sha256, "4d361042796b22e3c64c35ead55489e1c53cb4a3"
                                    "9d6e0c59cf66f83d86e7ebc1");
    const json_t *t = json_object_get(json_object_get(pkg.record, "par"),
                                      "targets");
    assert_int_equal(json_object_size(t), 2);
    assert_non_null(json_object_get(t, "x86_64-linux"));
    assert_non_null(json_object_get(t, "x86_64-macos"));
    char *canon;
    size_t len;
    assert_int_equal(wh_json_canon(pkg.record, &canon, &len, &e), 0);
    assert_string_equal(canon, REDIS_RECORD);
    free(canon);
    wh_pkg_free(&pkg);

    /* Far in the future it still verifies: the token has no exp. */
    wh_pkg_opts late = { .now = (int64_t)1 << 40 };
    assert_int_equal(wh_pkg_read(path, &late, &pkg, &e), 0);
    wh_pkg_free(&pkg);
}

/* The fixture with one byte of the compressed data changed is refused,
 * whatever byte: a sample across the file, each must fail or, if gzip and
 * tar still parse, fail verification, and never crash or leak. */
static void test_redis_par_corrupt(void **state)
{
    (void)state;
    char path[1024];
    fixture_path(path, sizeof path);
    char *data;
    size_t len;
    wh_err e;
    assert_int_equal(wh_file_read(path, WH_PKG_MAX_SIZE, &data, &len, &e), 0);
    int refused = 0, tried = 0;
    for (size_t off = 10; off + 16 < len; off += len / 7, tried++) {
        wh_pkg pkg;
        data[off] ^= 0x40;
        if (wh_par_read("r.par", (uint8_t *)data, len, NULL, &pkg, &e))
            refused++;
        else
            wh_pkg_free(&pkg);
        data[off] ^= 0x40;
    }
    assert_int_equal(refused, tried);
    /* Truncated anywhere before the end of the tar: refused. */
    static const size_t cuts[] = { 1, 2, 10, 100, 1000, 1000000, 2379000 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        wh_pkg pkg;
        int rc = wh_par_read("r.par", (uint8_t *)data, cuts[i], NULL, &pkg, &e);
        if (rc == 0)
            fail_msg("truncated to %zu bytes but accepted", cuts[i]);
    }
    free(data);
}

/* ---- archives only built here ------------------------------------------ */

static const char *read_tar(const tent *ents, size_t n)
{
    static char out[600];
    size_t len;
    uint8_t *tar = make_tar(ents, n, &len);
    wh_pkg pkg;
    wh_err e;
    if (wh_pkg_read_mem("x.par", tar, len, NULL, &pkg, &e)) {
        snprintf(out, sizeof out, "%s", fmt(&e));
    } else {
        snprintf(out, sizeof out, "ok %s %s", pkg.name, pkg.version);
        wh_pkg_free(&pkg);
    }
    free(tar);
    return out;
}

static void test_archive_rules(void **state)
{
    (void)state;
    keys k;
    test_keys(&k);
    char *tok = claims_token(&k, "\"Simple\"", ",");
    size_t tl = strlen(tok);
    tent good[] = {
        { "claims.jwt", tok, tl, NULL },
        { "x86_64-linux.bin", BIN, sizeof BIN - 1, NULL },
    };
    assert_string_equal(read_tar(good, 2), "ok simple 0.0.0");

    /* A hard link named like a target. */
    tent link[] = { good[0], good[1],
                    { "aarch64-linux.bin", "", 0, "x86_64-linux.bin" } };
    assert_string_equal(read_tar(link, 3), "x.par: entry 'aarch64-linux.bin': "
                        "not a regular file");
    /* A directory at the root. */
    tent dir[] = { good[0], good[1], { "bin", NULL, 0, NULL } };
    assert_string_equal(read_tar(dir, 3), "x.par: entry 'bin/': not a regular "
                        "file");
    /* Names: long, odd characters, absolute, no extension. */
    char longname[200];
    memset(longname, 'a', 129);
    strcpy(longname + 129, ".bin");
    tent lng[] = { good[0], { longname, "x", 1, NULL } };
    char want[300];
    snprintf(want, sizeof want, "x.par: entry '%s': name longer than 128 "
             "bytes", longname);
    assert_string_equal(read_tar(lng, 2), want);
    tent abs[] = { good[0], { "/etc/x.bin", "x", 1, NULL } };
    assert_string_equal(read_tar(abs, 2), "x.par: entry '/etc/x.bin': unsafe "
                        "path");
    tent noext[] = { good[0], { "x86_64-linux", "x", 1, NULL } };
    assert_string_equal(read_tar(noext, 2), "x.par: entry 'x86_64-linux': "
                        "name is not <arch>-<os>.<extension>");
    tent dot[] = { good[0], { ".bin", "x", 1, NULL } };
    assert_string_equal(read_tar(dot, 2), "x.par: entry '.bin': name is not "
                        "<arch>-<os>.<extension>");
    tent ctl[] = { good[0], { "x\x01.bin", "x", 1, NULL } };
    assert_string_equal(read_tar(ctl, 2), "x.par: entry 'x\\x01.bin': name "
                        "has a character other than A-Za-z0-9._-");
    tent dup[] = { good[0], good[1], good[0] };
    assert_string_equal(read_tar(dup, 3), "x.par: entry 'claims.jwt': "
                        "duplicate entry");
    tent reserved[] = { good[0], good[1], { "world.bin", "x", 1, NULL } };
    assert_string_equal(read_tar(reserved, 3), "x.par: entry 'world.bin': "
                        "reserved name");
    /* An empty tar is only zeros, which wh_pkg_read does not take for a
     * PAR; the PAR reader itself says what is missing. */
    assert_string_equal(read_tar(good, 0), "x.par: offset 0x0: not a "
                        ".ferrpkg, PAR or plugin bundle (starts with 00 00 00 "
                        "00)");
    size_t elen;
    uint8_t *empty = make_tar(good, 0, &elen);
    wh_pkg pkg;
    wh_err e;
    assert_int_equal(wh_par_read("x.par", empty, elen, NULL, &pkg, &e),
                     WH_E_FORMAT);
    assert_string_equal(fmt(&e), "x.par: archive has no claims.jwt");
    assert_int_equal(wh_par_read("x.par", empty, 0, NULL, &pkg, &e),
                     WH_E_FORMAT);
    assert_string_equal(fmt(&e), "x.par: cannot read archive: unrecognized "
                        "archive format");
    free(empty);
    static const uint8_t gz_header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
    assert_int_equal(wh_par_read("x.par", gz_header, sizeof gz_header, NULL,
                                 &pkg, &e), WH_E_FORMAT);
    assert_string_equal(fmt(&e), "x.par: cannot read archive: truncated "
                        "gzip input");
    assert_int_equal(wh_par_read("x.par", (const uint8_t *)"PK\3\4", 4,
                                 NULL, &pkg, &e), WH_E_FORMAT);
    assert_string_equal(fmt(&e), "x.par: cannot read archive: unrecognized "
                        "archive format");
    assert_string_equal(read_tar(good + 1, 1), "x.par: archive has no "
                        "claims.jwt");
    assert_string_equal(read_tar(good, 1), "x.par: archive has no binary");

    /* Caps: the claims' size and the number of entries. */
    char *big = malloc(WH_JWT_MAX_LEN + 1);
    memset(big, 'A', WH_JWT_MAX_LEN + 1);
    tent bigc[] = { { "claims.jwt", big, WH_JWT_MAX_LEN + 1, NULL }, good[1] };
    assert_string_equal(read_tar(bigc, 2), "x.par: entry 'claims.jwt': "
                        "larger than 65536 bytes");
    free(big);
    static tent many[258];
    static char names[258][32];
    many[0] = good[0];
    for (int i = 1; i < 258; i++) {
        snprintf(names[i], sizeof names[i], "t%d-linux.bin", i);
        many[i] = (tent){ names[i], "x", 1, NULL };
    }
    assert_string_equal(read_tar(many, 258), "x.par: more than 256 entries");
    free(tok);
}

/* Issuer and subject roles, signer, and the hash rules, with tokens built
 * here (the same as t1010-par.sh does with mkpar, at the API). */
static void test_claims_rules(void **state)
{
    (void)state;
    keys k;
    test_keys(&k);
    wh_pkg pkg;
    wh_err e;
    char hash[65], payload[2048];
    upper_sha(hash, BIN, sizeof BIN - 1);
    /* Issuer and subject swapped: both are valid keys in the wrong role. */
    snprintf(payload, sizeof payload, "{\"jti\":\"j\",\"iat\":1,\"iss\":\"%s\","
             "\"sub\":\"%s\",\"wascap\":{\"name\":\"n\",\"vendor\":\"v\","
             "\"target_hashes\":{\"x86_64-linux\":\"%s\"}}}", k.svc, k.acc,
             hash);
    char *t = make_token(HEADER, payload, k.svc_sk);
    assert_int_equal(read_simple(t, &pkg, &e), WH_E_FORMAT);
    assert_string_equal(fmt(&e), "x.par: claims.jwt: iss: not an account key");
    free(t);
    /* Signed by the subject instead of the issuer. */
    t = claims_token(&k, "\"n\"", ",");
    char *dot = strrchr(t, '.');
    *dot = '\0';
    char *t2 = make_token(HEADER, "{}", k.svc_sk);
    char *sig = strrchr(t2, '.');
    char *t3 = malloc(strlen(t) + strlen(sig) + 1);
    sprintf(t3, "%s%s", t, sig);
    assert_int_equal(read_simple(t3, &pkg, &e), WH_E_VERIFY);
    assert_string_equal(fmt(&e), "x.par: claims.jwt: token signature does "
                        "not verify");
    free(t);
    free(t2);
    free(t3);
    /* A lower-case hash (wasmCloud compares text: it would refuse it). */
    for (char *p = hash; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    snprintf(payload, sizeof payload, "{\"jti\":\"j\",\"iat\":1,\"iss\":\"%s\","
             "\"sub\":\"%s\",\"wascap\":{\"name\":\"n\",\"vendor\":\"v\","
             "\"target_hashes\":{\"x86_64-linux\":\"%s\"}}}", k.acc, k.svc,
             hash);
    t = make_token(HEADER, payload, k.acc_sk);
    assert_int_equal(read_simple(t, &pkg, &e), WH_E_FORMAT);
    assert_string_equal(fmt(&e), "x.par: claims.jwt: 'wascap.target_hashes' "
                        "of 'x86_64-linux' is not an upper-case hex SHA-256");
    free(t);
    /* Old-style token: capid, no wascap_revision. */
    upper_sha(hash, BIN, sizeof BIN - 1);
    snprintf(payload, sizeof payload, "{\"jti\":\"j\",\"iat\":1,\"iss\":\"%s\","
             "\"sub\":\"%s\",\"wascap\":{\"name\":\"Old One\",\"capid\":"
             "\"wascc:keyvalue\",\"vendor\":\"v\",\"target_hashes\":"
             "{\"x86_64-linux\":\"%s\"}}}", k.acc, k.svc, hash);
    t = make_token(HEADER, payload, k.acc_sk);
    assert_int_equal(read_simple(t, &pkg, &e), 0);
    assert_string_equal(pkg.name, "old-one");
    assert_string_equal(json_string_value(json_object_get(json_object_get(
        pkg.record, "par"), "capid")), "wascc:keyvalue");
    assert_string_equal(pkg.issuer, k.acc);
    assert_string_equal(pkg.subject, k.svc);
    wh_pkg_free(&pkg);
    free(t);
    /* Unknown keys are ignored, as wascap's serde does. */
    t = claims_token(&k, "\"n\"", ",\"call_alias\":\"x\",\"prov\":true,");
    assert_int_equal(read_simple(t, &pkg, &e), 0);
    wh_pkg_free(&pkg);
    free(t);
}

WH_TEST_MAIN("par",
    cmocka_unit_test(test_data_file),
    cmocka_unit_test(test_crc16_xmodem),
    cmocka_unit_test(test_round_trips),
    cmocka_unit_test(test_jwt_redis),
    cmocka_unit_test(test_jwt_headers),
    cmocka_unit_test(test_jwt_segments),
    cmocka_unit_test(test_jwt_times),
    cmocka_unit_test(test_redis_par),
    cmocka_unit_test(test_redis_par_corrupt),
    cmocka_unit_test(test_archive_rules),
    cmocka_unit_test(test_claims_rules),
)

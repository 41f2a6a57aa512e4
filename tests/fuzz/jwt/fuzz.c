/* fuzz.c - fuzz target "jwt": wascap's Ed25519 JSON Web Tokens as a PAR's
 * claims.jwt is read (common/jwt.c: decode, verify, check_time; the
 * issuer's nkey as common/pkg_par.c takes it).
 *
 * Input: byte 0 picks the mode.
 *   even  the rest is a token, decoded as it is (a token that verifies
 *         is out of the fuzzer's reach: it checks the refusals);
 *   odd   the rest is HEADER '\n' PAYLOAD, raw JSON text (no '\n': the
 *         standard header and the rest as payload); every "@ACC@" in the
 *         payload becomes the account nkey of a fixed key, with which the
 *         target signs the token, so the accepting paths are reached too.
 *
 * Checked, beyond memory safety and leaks:
 *   - a decoded token's signed text is its first two segments; its header
 *     holds exactly the two keys; its payload is the object that was
 *     signed;
 *   - a token we signed verifies with the fixed key and with its "iss" when
 *     that is the fixed key, and not with another key, nor with one bit
 *     of its signature changed;
 *   - "exp" and "nbf" are enforced at exactly their second;
 *   - a refusal has a code the header lists, a reason and an offset inside
 *     the token (at the very character, for a bad one), and leaves
 *     nothing to free.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/jwt/, and the seeds of
 * tests/fuzz/jwt/seeds.sh).
 */
#include <string.h>

#include <sodium.h>

#include "common/json.h"
#include "common/jwt.h"
#include "common/nkeys.h"
#include "tests/fuzz/common/fuzz.h"

/* The fixed signing key (its seed is 32 bytes of 1, as par_test.c's
 * account) and another one. */
typedef struct keys {
    uint8_t pk[32], sk[64], other[32];
    char    acc[WH_NKEY_LEN + 1];
} keys;

static keys K;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    uint8_t seed[32], sk2[64];
    (void)argc, (void)argv;
    FUZZ_ASSERT(sodium_init() >= 0);
    memset(seed, 1, sizeof seed);
    crypto_sign_seed_keypair(K.pk, K.sk, seed);
    memset(seed, 2, sizeof seed);
    crypto_sign_seed_keypair(K.other, sk2, seed);
    wh_nkey_encode(K.acc, WH_NKEY_ACCOUNT, K.pk);
    return 0;
}

/* A bad character is blamed at its own offset in the token. */
static void check_refusal(int rc, const wh_jwt *jwt, const wh_err *e,
                          const char *tok, size_t n)
{
    static const char bad[] = "invalid base64url character '";
    FUZZ_ASSERT(rc == WH_E_FORMAT || rc == WH_E_LIMIT || rc == WH_E_NOMEM);
    FUZZ_ASSERT(e->code == rc && e->reason[0] && !jwt->payload);
    FUZZ_ASSERT(e->offset >= -1 && e->offset <= (long long)n);
    const char *c = strchr(e->reason, ':');   /* "token payload: invalid ..." */
    c = c && !strncmp(e->reason, "token ", 6) && !strncmp(c + 2, bad, sizeof bad - 1)
        ? c + 2 : NULL;
    if (c && c[sizeof bad - 1] != '\\')
        FUZZ_ASSERT(e->offset >= 0 && (size_t)e->offset < n &&
                    tok[e->offset] == c[sizeof bad - 1]);
}

/* The header segment again, by hand: exactly typ and alg. */
static void check_header(const char *tok, size_t tl)
{
    const char *dot = memchr(tok, '.', tl);
    size_t n = (size_t)(dot - tok), len;
    char *buf = malloc(n + 1);
    json_t *h;
    FUZZ_ASSERT(buf && wh_base64url_decode(buf, n + 1, &len, tok, n, NULL) == 0);
    FUZZ_ASSERT(wh_json_parse(buf, len, NULL, &h, NULL) == 0);
    FUZZ_ASSERT(json_object_size(h) == 2);
    FUZZ_ASSERT(json_string_length(json_object_get(h, "alg")) == 7 &&
                json_string_length(json_object_get(h, "typ")) == 3);
    json_decref(h);
    free(buf);
}

/* "exp" and "nbf" hold at their very second and not one second past. */
static void check_times(const wh_jwt *jwt)
{
    const json_t *exp = json_object_get(jwt->payload, "exp");
    const json_t *nbf = json_object_get(jwt->payload, "nbf");
    int rc = wh_jwt_check_time(jwt, 1700000000, NULL);
    FUZZ_ASSERT(rc == 0 || rc == WH_E_EXPIRED || rc == WH_E_FORMAT);
    if (!json_is_integer(exp) || json_integer_value(exp) < 0 ||
        json_integer_value(exp) == INT64_MAX || nbf)
        return;
    int64_t t = json_integer_value(exp);
    FUZZ_ASSERT(wh_jwt_check_time(jwt, t, NULL) == 0);
    FUZZ_ASSERT(wh_jwt_check_time(jwt, t + 1, NULL) == WH_E_EXPIRED);
}

/* Verify as pkg_par.c does, with the issuer's key; 1 if it verified. */
static int verify_by_issuer(const wh_jwt *jwt, int *by_fixed)
{
    const json_t *iss = json_object_get(jwt->payload, "iss");
    uint8_t key[32];
    *by_fixed = 0;
    if (!json_is_string(iss) ||
        wh_nkey_decode(json_string_value(iss), json_string_length(iss),
                       WH_NKEY_ACCOUNT, NULL, key, NULL))
        return 0;
    *by_fixed = memcmp(key, K.pk, 32) == 0;
    int rc = wh_jwt_verify(jwt, key, NULL);
    FUZZ_ASSERT(rc == 0 || rc == WH_E_VERIFY);
    return rc == 0;
}

/* Decode tok; signed by us: it must verify exactly as it should. */
static void check_token(const char *tok, size_t n, int signed_by_us,
                        const char *payload, size_t plen)
{
    wh_jwt jwt;
    wh_err e;
    int rc = wh_jwt_decode(&jwt, tok, n, &e);
    if (rc) {
        check_refusal(rc, &jwt, &e, tok, n);
        return;
    }
    const char *dot1 = memchr(tok, '.', n);
    const char *dot2 = memchr(dot1 + 1, '.', n - (size_t)(dot1 + 1 - tok));
    FUZZ_ASSERT(json_is_object(jwt.payload) && jwt.signed_text == tok &&
                jwt.signed_len == (size_t)(dot2 - tok));
    check_header(tok, n);
    check_times(&jwt);
    int fixed, by_iss = verify_by_issuer(&jwt, &fixed);
    int rc_fixed = wh_jwt_verify(&jwt, K.pk, NULL);
    FUZZ_ASSERT(rc_fixed == 0 || rc_fixed == WH_E_VERIFY);
    if (signed_by_us) {
        json_t *want;
        FUZZ_ASSERT(wh_json_parse(payload, plen, NULL, &want, NULL) == 0);
        FUZZ_ASSERT(json_equal(want, jwt.payload));
        json_decref(want);
        FUZZ_ASSERT(rc_fixed == 0 && by_iss == fixed);
        FUZZ_ASSERT(wh_jwt_verify(&jwt, K.other, NULL) == WH_E_VERIFY);
        jwt.sig[n % 64] ^= (uint8_t)(1u << (n % 8));
        FUZZ_ASSERT(wh_jwt_verify(&jwt, K.pk, NULL) == WH_E_VERIFY);
    }
    wh_jwt_free(&jwt);
    FUZZ_ASSERT(jwt.payload == NULL);
}

/* The payload with every "@ACC@" replaced by the fixed account nkey. */
static char *fill_in(const char *p, size_t n, size_t *len)
{
    char *out = malloc(n / 5 * WH_NKEY_LEN + n + 1), *o = out;
    FUZZ_ASSERT(out);
    for (size_t i = 0; i < n;) {
        if (n - i >= 5 && !memcmp(p + i, "@ACC@", 5)) {
            o = memcpy(o, K.acc, WH_NKEY_LEN), o += WH_NKEY_LEN, i += 5;
        } else {
            *o++ = p[i++];
        }
    }
    *len = (size_t)(o - out);
    return out;
}

/* base64url(header) "." base64url(payload) "." base64url(signature). */
static char *sign_token(const char *h, size_t hl, const char *p, size_t pl,
                        size_t *len)
{
    size_t max = WH_BASE64URL_ENCODED_LEN(hl) + WH_BASE64URL_ENCODED_LEN(pl) +
                 WH_BASE64URL_ENCODED_LEN(64) + 3;
    char *t = malloc(max);
    uint8_t sig[64];
    FUZZ_ASSERT(t);
    size_t n = wh_base64url_encode(t, h, hl);
    t[n++] = '.';
    n += wh_base64url_encode(t + n, p, pl);
    crypto_sign_detached(sig, NULL, (const uint8_t *)t, n, K.sk);
    t[n++] = '.';
    n += wh_base64url_encode(t + n, sig, sizeof sig);
    *len = n;
    return t;
}

static void signed_mode(const char *s, size_t n)
{
    static const char std[] = "{\"typ\":\"jwt\",\"alg\":\"Ed25519\"}";
    const char *nl = memchr(s, '\n', n), *h = std, *p = s;
    size_t hl = sizeof std - 1, pl = n, plen, tl;
    if (nl)
        h = s, hl = (size_t)(nl - s), p = nl + 1, pl = n - hl - 1;
    char *payload = fill_in(p, pl, &plen);
    char *tok = sign_token(h, hl, payload, plen, &tl);
    if (tl <= WH_JWT_MAX_LEN)
        check_token(tok, tl, 1, payload, plen);
    free(tok);
    free(payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > WH_JWT_MAX_LEN + 2)
        return 0;
    /* A copy of exactly the token's size: a read past it is a finding. */
    char *s = malloc(size - 1 ? size - 1 : 1);
    FUZZ_ASSERT(s);
    memcpy(s, data + 1, size - 1);
    if (data[0] & 1)
        signed_mode(s, size - 1);
    else
        check_token(s, size - 1, 0, NULL, 0);
    free(s);
    return 0;
}

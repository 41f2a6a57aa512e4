/* jwt.c - decoding and verifying wascap's Ed25519 JSON Web Tokens.
 *
 * The token format and what is accepted are in jwt.h.  Design notes:
 *
 * - The signed bytes are the first two segments exactly as received, so
 *   nothing is ever re-encoded: a token verifies or not on its own bytes.
 * - base64url is decoded strictly (one text per byte string), like every
 *   other encoding wharf reads; a lenient decoder would let the same
 *   signature be spelled several ways.  wascap decodes with
 *   data_encoding's BASE64URL_NOPAD, which is equally strict.
 * - The header is parsed and compared key by key rather than compared as
 *   text, so that a token from another writer with different spacing
 *   still verifies, while anything but typ "jwt" and alg "Ed25519" (an
 *   "alg":"none", an extra "kid" or "crit") is refused.
 * - JSON errors of the decoded segments carry line and column within the
 *   segment; they are moved into the reason, as err->line/col would be
 *   read as positions in the file that holds the token.
 *
 * Tests: tests/unit/par_test.c (base64url vectors and rejections, good
 * and bad headers, bad signatures, times), tests/cli/t1010-par.sh and
 * tests/fuzz/jwt/ (tokens as given, and signed by the target).
 */
#include "jwt.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "minisign.h"

/* --- tokens --------------------------------------------------------------- */

/* Decode segment tok[off..off+n) (called what) and parse it as JSON into
 * *out.  Errors say which segment and where inside it. */
static int decode_json(const char *tok, size_t off, size_t n,
                       const char *what, json_t **out, wh_err *err)
{
    *out = NULL;
    char *buf = malloc(n / 4 * 3 + 3);
    if (!buf)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    size_t len;
    wh_err e;
    int rc = wh_base64url_decode(buf, n / 4 * 3 + 3, &len, tok + off, n, &e);
    if (rc) {
        rc = wh_fail(err, rc, NULL, off + (size_t)(e.offset < 0 ? 0 : e.offset),
                     "%s: %s", what, e.reason);
        goto out;
    }
    rc = wh_json_parse(buf, len, NULL, out, &e);
    if (rc && e.line > 0)
        rc = wh_fail(err, rc, NULL, (long long)off,
                     "%s: %s at line %d column %d", what, e.reason, e.line,
                     e.col);
    else if (rc)
        rc = wh_fail(err, rc, NULL, (long long)off, "%s: %s", what, e.reason);
out:
    free(buf);
    return rc;
}

/* The header must be exactly {"typ":"jwt","alg":"Ed25519"}. */
static int check_header(const json_t *h, size_t off, wh_err *err)
{
    static const struct { const char *key, *value; } want[] = {
        { "alg", "Ed25519" },
        { "typ", "jwt" },
    };
    if (!json_is_object(h))
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)off,
                       "token header is not a JSON object");
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const json_t *v = json_object_get(h, want[i].key);
        if (!v)
            return wh_fail(err, WH_E_FORMAT, NULL, (long long)off,
                           "token header lacks '%s'", want[i].key);
        if (!json_is_string(v) || strcmp(json_string_value(v), want[i].value)
            || json_string_length(v) != strlen(want[i].value))
            return wh_fail(err, WH_E_FORMAT, NULL, (long long)off,
                           "token header '%s' is not \"%s\"", want[i].key,
                           want[i].value);
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)h, key, v) {
        if (strcmp(key, "alg") && strcmp(key, "typ"))
            return wh_fail(err, WH_E_FORMAT, NULL, (long long)off,
                           "token header has unexpected key '%.64s'", key);
    }
    return 0;
}

int wh_jwt_decode(wh_jwt *jwt, const char *tok, size_t n, wh_err *err)
{
    memset(jwt, 0, sizeof *jwt);
    if (n > WH_JWT_MAX_LEN)
        return wh_fail(err, WH_E_LIMIT, NULL, -1,
                       "token longer than %zu bytes", WH_JWT_MAX_LEN);
    size_t dot[2], ndots = 0;
    for (size_t i = 0; i < n; i++)
        if (tok[i] == '.' && ndots++ < 2)
            dot[ndots - 1] = i;
    if (ndots != 2)
        return wh_fail(err, WH_E_FORMAT, NULL, -1,
                       "token has %zu segments, expected 3", ndots + 1);

    json_t *header = NULL, *payload = NULL;
    int rc = decode_json(tok, 0, dot[0], "token header", &header, err);
    if (rc)
        goto out;
    if ((rc = check_header(header, 0, err)))
        goto out;
    rc = decode_json(tok, dot[0] + 1, dot[1] - dot[0] - 1, "token payload",
                     &payload, err);
    if (rc)
        goto out;
    if (!json_is_object(payload)) {
        rc = wh_fail(err, WH_E_FORMAT, NULL, (long long)dot[0] + 1,
                     "token payload is not a JSON object");
        goto out;
    }
    /* Decode into a larger buffer so that a long signature is reported
     * with its length rather than as "longer than 64 bytes". */
    uint8_t sig[66];
    size_t siglen;
    wh_err e;
    size_t s0 = dot[1] + 1;
    if (n - s0 > WH_BASE64URL_ENCODED_LEN(sizeof sig)) {
        rc = wh_fail(err, WH_E_FORMAT, NULL, (long long)s0,
                     "token signature has more than 64 bytes");
        goto out;
    }
    rc = wh_base64url_decode(sig, sizeof sig, &siglen, tok + s0, n - s0, &e);
    if (rc) {
        rc = wh_fail(err, rc, NULL,
                     (long long)s0 + (e.offset < 0 ? 0 : e.offset),
                     "token signature: %s", e.reason);
        goto out;
    }
    if (siglen != sizeof jwt->sig) {
        rc = wh_fail(err, WH_E_FORMAT, NULL, (long long)s0,
                     "token signature has %zu bytes, expected 64", siglen);
        goto out;
    }
    memcpy(jwt->sig, sig, sizeof jwt->sig);
    jwt->payload = payload;
    payload = NULL;
    jwt->signed_text = tok;
    jwt->signed_len = dot[1];
out:
    json_decref(header);
    json_decref(payload);
    return rc;
}

int wh_jwt_verify(const wh_jwt *jwt, const uint8_t pk[32], wh_err *err)
{
    assert(jwt->payload);
    /* Plain Ed25519 over the text as received (minisign.c holds the only
     * calls into libsodium). */
    if (wh_ed25519_verify(jwt->sig, jwt->signed_text, jwt->signed_len, pk))
        return wh_fail(err, WH_E_VERIFY, NULL, -1,
                       "token signature does not verify");
    return 0;
}

/* *t = payload[key] if present and not null; 1 if so, 0 if absent. */
static int get_time(const json_t *payload, const char *key, int64_t *t,
                    wh_err *err)
{
    const json_t *v = json_object_get(payload, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -wh_fail(err, WH_E_FORMAT, NULL, -1,
                        "'%s' is not a non-negative integer", key);
    *t = (int64_t)json_integer_value(v);
    return 1;
}

int wh_jwt_check_time(const wh_jwt *jwt, int64_t now, wh_err *err)
{
    assert(jwt->payload);
    int64_t exp, nbf;
    int r = get_time(jwt->payload, "exp", &exp, err);
    if (r < 0)
        return -r;
    if (r && exp < now)
        return wh_fail(err, WH_E_EXPIRED, NULL, -1, "token expired at %lld",
                       (long long)exp);
    r = get_time(jwt->payload, "nbf", &nbf, err);
    if (r < 0)
        return -r;
    if (r && now < nbf)
        return wh_fail(err, WH_E_EXPIRED, NULL, -1,
                       "token not valid before %lld", (long long)nbf);
    return 0;
}

void wh_jwt_free(wh_jwt *jwt)
{
    if (!jwt)
        return;
    json_decref(jwt->payload);
    jwt->payload = NULL;
}

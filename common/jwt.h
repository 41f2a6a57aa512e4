/* jwt.h - Ed25519 JSON Web Tokens as wasmCloud's wascap writes them.
 *
 * A token is three base64url segments without padding, joined by '.':
 *
 *     base64url(header) "." base64url(payload) "." base64url(signature)
 *
 * The header must be the JSON object {"typ":"jwt","alg":"Ed25519"}: it is
 * parsed, and exactly these two keys with these values are accepted (key
 * order and white space are free).  The signature is a plain 64-byte
 * Ed25519 signature over the ASCII text "segment0.segment1" exactly as
 * received.  The payload is a JSON object (common/json.h: duplicate keys
 * are errors).  wharf only verifies tokens; tests build them with
 * wh_base64url_encode and libsodium (tests/tools/mkpar.c).
 *
 * Errors are WH_E_FORMAT (WH_E_LIMIT for the size cap, WH_E_VERIFY for
 * signature and validity times) with err->path empty and err->offset
 * the byte offset in the token where known; the caller names the token's
 * file with wh_err_prefix() or by setting err->path.
 */
#ifndef WH_JWT_H
#define WH_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/base64.h"
#include "common/err.h"

/* Longest token accepted, in bytes. */
#define WH_JWT_MAX_LEN ((size_t)64 * 1024)

typedef struct wh_jwt {
    json_t     *payload;      /* owned: the claims, a JSON object */
    const char *signed_text;  /* "segment0.segment1": points into the
                                 token given to wh_jwt_decode */
    size_t      signed_len;
    uint8_t     sig[64];
} wh_jwt;

/* Split and decode the n bytes of tok; check the header and the shape of
 * the signature.  Does NOT verify the signature (the key is usually in
 * the payload: read it, then call wh_jwt_verify).  tok must outlive
 * *jwt.  On failure *jwt holds nothing to free.  Reasons include:
 *   "token has 2 segments, expected 3"
 *   "token longer than 65536 bytes"                        (WH_E_LIMIT)
 *   "token header: invalid base64url character '='"  (any base64url reason)
 *   "token header: '[' or '{' expected near '['"  ("token header: " and
 *                                   "token payload: " + JSON parse errors)
 *   "token header is not a JSON object"
 *   "token header lacks 'alg'"
 *   "token header 'alg' is not \"Ed25519\""
 *   "token header 'typ' is not \"jwt\""
 *   "token header has unexpected key 'kid'"
 *   "token payload is not a JSON object"
 *   "token signature has 63 bytes, expected 64" */
int wh_jwt_decode(wh_jwt *jwt, const char *tok, size_t n, wh_err *err);

/* Verify the signature with the Ed25519 public key pk.  Returns 0 or
 * WH_E_VERIFY "token signature does not verify". */
int wh_jwt_verify(const wh_jwt *jwt, const uint8_t pk[32], wh_err *err);

/* Enforce the payload's optional "exp" and "nbf" (Unix seconds; null is
 * the same as absent) at time now, as wascap does: expired when
 * exp < now, not yet valid when now < nbf.  Returns 0, WH_E_EXPIRED
 * ("token expired at 1700000000", "token not valid before 1700000000")
 * or WH_E_FORMAT ("'exp' is not a non-negative integer"). */
int wh_jwt_check_time(const wh_jwt *jwt, int64_t now, wh_err *err);

/* Release jwt->payload; *jwt may then be reused.  NULL-safe. */
void wh_jwt_free(wh_jwt *jwt);

#endif

/* sha256_evp.c - the streaming SHA-256 of sha256.h through OpenSSL's EVP
 * interface, which uses the CPU's SHA extensions when present (coreutils'
 * sha256sum does not; docs/performance.md).
 *
 * Tests: tests/unit/sha256_test.c (NIST FIPS 180-4 examples).
 */
#include "sha256.h"

#include <openssl/evp.h>

int wh_sha256_init(wh_sha256 *h, wh_err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        h->ctx = NULL;
        return wh_fail(err, WH_E_NOMEM, NULL, -1, "cannot initialise SHA-256");
    }
    h->ctx = ctx;
    return 0;
}

void wh_sha256_update(wh_sha256 *h, const void *data, size_t len)
{
    /* EVP_DigestUpdate of a software digest cannot fail. */
    (void)EVP_DigestUpdate(h->ctx, data, len);
}

void wh_sha256_final(wh_sha256 *h, uint8_t out[WH_SHA256_BYTES])
{
    unsigned int n = 0;
    (void)EVP_DigestFinal_ex(h->ctx, out, &n);
    wh_sha256_discard(h);
}

void wh_sha256_discard(wh_sha256 *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

/* front_sha256.c - the streaming SHA-256 of common/sha256.h through
 * libsodium, for wharf's run front only (installer/front.c): linked in
 * place of common/sha256_evp.c, so that starting `wharf run` does not load
 * OpenSSL and read its configuration (about 0.6 ms of a 2 ms run).  The
 * front hashes one small module per run, where OpenSSL's speed on large
 * files does not matter.  The Makefile links this file only into the
 * front.
 *
 * Tests: tests/cli/t2020-wharf-run.sh (a module changed since it was
 * installed is refused by its hash).
 */
#include "common/sha256.h"

#include <stdlib.h>

#include <sodium.h>

int wh_sha256_init(wh_sha256 *h, wh_err *err)
{
    crypto_hash_sha256_state *st = sodium_init() < 0 ? NULL : malloc(sizeof *st);
    if (!st || crypto_hash_sha256_init(st) != 0) {
        free(st);
        h->ctx = NULL;
        return wh_fail(err, WH_E_NOMEM, NULL, -1, "cannot initialise SHA-256");
    }
    h->ctx = st;
    return 0;
}

void wh_sha256_update(wh_sha256 *h, const void *data, size_t len)
{
    (void)crypto_hash_sha256_update(h->ctx, data, len);
}

void wh_sha256_final(wh_sha256 *h, uint8_t out[WH_SHA256_BYTES])
{
    (void)crypto_hash_sha256_final(h->ctx, out);
    wh_sha256_discard(h);
}

void wh_sha256_discard(wh_sha256 *h)
{
    free(h->ctx);
    h->ctx = NULL;
}

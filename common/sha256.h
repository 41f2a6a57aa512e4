/* sha256.h - streaming SHA-256 (OpenSSL EVP) for packages and indexes.
 *
 *     wh_sha256 h;
 *     if (wh_sha256_init(&h, err)) return ...;
 *     wh_sha256_update(&h, buf, n);   // any number of times
 *     wh_sha256_final(&h, digest);    // releases h
 *
 * wh_sha256_file hashes a file of any size in constant memory.
 */
#ifndef WH_SHA256_H
#define WH_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define WH_SHA256_BYTES 32
#define WH_SHA256_HEX   65   /* 64 digits + NUL */

typedef struct wh_sha256 {
    void *ctx;               /* EVP_MD_CTX; opaque to callers */
} wh_sha256;

/* Only fails when out of memory. */
int wh_sha256_init(wh_sha256 *h, wh_err *err);
void wh_sha256_update(wh_sha256 *h, const void *data, size_t len);
/* Write the digest and release h; h may be initialised again. */
void wh_sha256_final(wh_sha256 *h, uint8_t out[WH_SHA256_BYTES]);
/* Release h without a digest (error paths). */
void wh_sha256_discard(wh_sha256 *h);

/* One-shot over a buffer. */
int wh_sha256_buf(const void *data, size_t len, uint8_t out[WH_SHA256_BYTES],
                  wh_err *err);

/* Hash an open file from its current position to EOF; *size (if not
 * NULL) receives the number of bytes hashed.  path names it in errors. */
int wh_sha256_fd(int fd, const char *path, uint8_t out[WH_SHA256_BYTES],
                 uint64_t *size, wh_err *err);

/* Hash a whole file. */
int wh_sha256_file(const char *path, uint8_t out[WH_SHA256_BYTES],
                   uint64_t *size, wh_err *err);

#endif

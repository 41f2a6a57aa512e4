/* sha256.c - SHA-256 of buffers and files, over the streaming functions
 * of sha256_evp.c (OpenSSL's EVP interface).
 *
 * The streaming functions are apart so that a program may link another
 * implementation in their place: wharf's run front (installer/front.c)
 * uses libsodium's (installer/front_sha256.c) to start without loading
 * OpenSSL.
 *
 * Files are read in 128 KiB blocks with a sequential-access hint: large
 * enough that the system-call cost vanishes next to the hashing, small
 * enough that the block is still in the L2 cache when the hash reads it
 * back (1 MiB blocks measured 50% slower).  EVP uses the CPU's SHA
 * extensions when present, which coreutils' sha256sum does not
 * (docs/performance.md: make bench compares the two and openssl dgst).
 * mmap was not chosen: it gains nothing for sequential reads and turns a
 * file truncated under us into SIGBUS.
 *
 * Tests: tests/unit/sha256_test.c (NIST FIPS 180-4 examples, and files
 * against sha256sum in tests/cli/t0001-sha256.sh).
 */
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#define READ_BLOCK (1u << 17)

int wh_sha256_buf(const void *data, size_t len, uint8_t out[WH_SHA256_BYTES],
                  wh_err *err)
{
    wh_sha256 h;
    int rc = wh_sha256_init(&h, err);
    if (rc)
        return rc;
    wh_sha256_update(&h, data, len);
    wh_sha256_final(&h, out);
    return 0;
}

int wh_sha256_fd(int fd, const char *path, uint8_t out[WH_SHA256_BYTES],
                 uint64_t *size, wh_err *err)
{
    uint8_t *buf = malloc(READ_BLOCK);
    if (!buf)
        return wh_fail(err, WH_E_NOMEM, path, -1, NULL);
    wh_sha256 h;
    int rc = wh_sha256_init(&h, err);
    if (rc) {
        free(buf);
        return rc;
    }
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    uint64_t total = 0;
    for (;;) {
        ssize_t r = read(fd, buf, READ_BLOCK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = wh_fail_errno(err, errno, path, "read error");
            wh_sha256_discard(&h);
            free(buf);
            return rc;
        }
        if (r == 0)
            break;
        wh_sha256_update(&h, buf, (size_t)r);
        total += (uint64_t)r;
    }
    wh_sha256_final(&h, out);
    free(buf);
    if (size)
        *size = total;
    return 0;
}

int wh_sha256_file(const char *path, uint8_t out[WH_SHA256_BYTES],
                   uint64_t *size, wh_err *err)
{
    /* Never block on a FIFO or device: only a regular file is hashed. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return wh_fail_errno(err, errno, path, "cannot open");
    struct stat st;
    int rc = fstat(fd, &st) < 0 ? wh_fail_errno(err, errno, path, "cannot stat")
             : !S_ISREG(st.st_mode) ? wh_fail(err, WH_E_IO, path, -1, "not a regular file")
             : wh_sha256_fd(fd, path, out, size, err);
    close(fd);
    return rc;
}

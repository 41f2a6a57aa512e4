/* gzip.c - whole-buffer gzip and gunzip (zlib); see gzip.h.
 *
 * gunzip grows its output geometrically from four times the input, and
 * never past max + 1 bytes, so the cap is found without holding more
 * than max + 1 bytes whatever the stream claims.
 *
 * Tests: tests/unit/gzip_test.c.
 */
#include "gzip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int wh_gzip(const void *data, size_t len, unsigned char **out, size_t *outlen,
            wh_err *err)
{
    *out = NULL;
    if (len > UINT32_MAX)
        return wh_fail(err, WH_E_LIMIT, NULL, -1, "%zu bytes are too many to "
                       "compress at once", len);
    z_stream z;
    memset(&z, 0, sizeof z);
    /* Level 6: within 1% of level 9 on index JSON, at half the time. */
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, "cannot start deflate");
    gz_header h;
    memset(&h, 0, sizeof h);
    h.os = 255;
    deflateSetHeader(&z, &h);
    uLong cap = deflateBound(&z, (uLong)len);
    unsigned char *buf = malloc(cap);
    int rc = 0;
    if (!buf) {
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
        goto out;
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        rc = wh_fail(err, WH_E_INTERNAL, NULL, -1, "deflate did not finish");
        goto out;
    }
    *out = buf;
    *outlen = z.total_out;
    buf = NULL;
out:
    free(buf);
    deflateEnd(&z);
    return rc;
}

/* Make room for more output in *buf (capacity *cap, n bytes used), never
 * past max + 1 (one byte more than allowed is how the cap is seen). */
static int grow(unsigned char **buf, size_t *cap, size_t n, size_t max,
                wh_err *err)
{
    size_t lim = max < SIZE_MAX - 1 ? max + 1 : SIZE_MAX - 1;
    size_t want = *buf ? *cap * 2 : *cap;
    if (want > lim || want < *cap)
        want = lim;
    if (n >= want)
        return wh_fail(err, WH_E_LIMIT, NULL, -1, "inflates to more than "
                       "%zu bytes", max);
    unsigned char *nb = realloc(*buf, want + 1);
    if (!nb)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    *buf = nb;
    *cap = want;
    return 0;
}

int wh_gunzip(const void *data, size_t len, size_t max, unsigned char **out,
              size_t *outlen, wh_err *err)
{
    *out = NULL;
    if (len > UINT32_MAX)
        return wh_fail(err, WH_E_LIMIT, NULL, -1, "%zu bytes are too many to "
                       "inflate at once", len);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, "cannot start inflate");
    size_t cap = len < (SIZE_MAX - 1024) / 4 ? len * 4 + 1024 : SIZE_MAX / 2, n = 0;
    unsigned char *buf = NULL;
    int rc = 0, zr = Z_OK;
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    while (rc == 0 && zr != Z_STREAM_END) {
        if ((n == cap || !buf) && (rc = grow(&buf, &cap, n, max, err)) != 0)
            break;
        z.next_out = buf + n;
        z.avail_out = (uInt)(cap - n > UINT32_MAX ? UINT32_MAX : cap - n);
        zr = inflate(&z, Z_NO_FLUSH);
        n = (size_t)(z.next_out - buf);
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
            rc = wh_fail(err, WH_E_FORMAT, NULL, (long long)z.total_in,
                         "gzip: %s", z.msg ? z.msg : "damaged data");
        else if (zr != Z_STREAM_END && z.avail_in == 0 && z.avail_out != 0)
            rc = wh_fail(err, WH_E_FORMAT, NULL, (long long)z.total_in,
                         "gzip: truncated data");
    }
    if (rc == 0 && n > max)
        rc = wh_fail(err, WH_E_LIMIT, NULL, -1, "inflates to more than %zu bytes", max);
    if (rc == 0 && z.avail_in != 0)
        rc = wh_fail(err, WH_E_FORMAT, NULL, (long long)z.total_in,
                     "gzip: data after the end of the stream");
    if (rc == 0) {
        buf[n] = 0;
        *out = buf;
        *outlen = n;
        buf = NULL;
    }
    free(buf);
    inflateEnd(&z);
    return rc;
}

/* base32.c - base32 (RFC 4648 section 6) without padding, strict decoding.
 *
 * Each character carries 5 bits; n characters carry 5n bits, of which
 * the first 8*floor(5n/8) are data.  A length is possible only when the
 * leftover is less than one character (5n mod 8 < 5, i.e. n mod 8 is 0,
 * 2, 4, 5 or 7), and the leftover bits must be zero, or two texts would
 * decode to the same key.  Like base64.c, decoding checks the whole text
 * first and writes nothing unless it is valid.
 *
 * Tests: tests/unit/par_test.c (RFC 4648 section 10 vectors without
 * padding, every rejection), and through the nkey parser.
 */
#include "base32.h"

#include <stdint.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* Value of a base32 digit, or -1. */
static int digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

size_t wh_base32_encode(char *out, const void *in, size_t n)
{
    const unsigned char *p = in;
    uint32_t acc = 0;   /* pending bits, right-aligned */
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | p[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = alphabet[(acc >> bits) & 31];
        }
    }
    if (bits > 0)
        out[o++] = alphabet[(acc << (5 - bits)) & 31];
    out[o] = '\0';
    return o;
}

static int bad_char(wh_err *err, unsigned char c, size_t i)
{
    if (c > 0x20 && c < 0x7f && c != '\'' && c != '\\')
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)i,
                       "invalid base32 character '%c'", c);
    return wh_fail(err, WH_E_FORMAT, NULL, (long long)i,
                   "invalid base32 character '\\x%02x'", c);
}

int wh_base32_decode(void *out, size_t outsz, size_t *outlen,
                     const char *in, size_t n, wh_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (digit((unsigned char)in[i]) < 0)
            return bad_char(err, (unsigned char)in[i], i);
    size_t bytes = n / 8 * 5 + (n % 8) * 5 / 8;
    unsigned spare = (unsigned)((n % 8) * 5 % 8);
    if (spare >= 5)
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)n,
                       "base32 length %zu is not a whole number of bytes", n);
    if (spare && (digit((unsigned char)in[n - 1]) & ((1u << spare) - 1)))
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)(n - 1),
                       "non-zero bits after the base32 data");
    if (bytes > outsz)
        return wh_fail(err, WH_E_FORMAT, NULL, 0,
                       "base32 data longer than %zu bytes", outsz);

    unsigned char *q = out;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 5) | (uint32_t)digit((unsigned char)in[i]);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            q[o++] = (unsigned char)(acc >> bits);
        }
    }
    *outlen = o;
    return 0;
}

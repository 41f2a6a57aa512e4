/* base64.c - standard base64 (RFC 4648 section 4), strict decoding.
 *
 * Decoding runs in two passes: the first checks the whole text (length,
 * alphabet, where padding stands, the bits padding drops) and counts the
 * bytes it stands for, the second writes them.  So a text is either
 * decoded entirely or rejected with the offset of the first bad
 * character, and the output-size check happens before any write past
 * the caller's buffer could.  Digits are mapped by ranges rather than a
 * 256-entry table: the code is the alphabet's definition, and speed does
 * not matter for key- and signature-sized inputs.
 *
 * Tests: tests/unit/minisign_test.c (RFC 4648 section 10 vectors and
 * every rejection), and through the minisign key and signature parsers.
 */
#include "base64.h"

#include <assert.h>
#include <stdint.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of a base64 digit, or -1 for anything else ('=' included). */
static int digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

size_t wh_base64_encode(char *out, const void *in, size_t n)
{
    const unsigned char *p = in;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

static int bad_char(wh_err *err, const char *in, size_t i)
{
    unsigned char c = (unsigned char)in[i];
    if (c == '=')
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)i,
                       "misplaced base64 padding");
    if (c > 0x20 && c < 0x7f && c != '\'' && c != '\\')
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)i,
                       "invalid base64 character '%c'", c);
    return wh_fail(err, WH_E_FORMAT, NULL, (long long)i,
                   "invalid base64 character '\\x%02x'", c);
}

/* First pass: is in[0..n) canonical base64?  Sets *bytes to its size.
 * Characters are judged before the length, as a stray character is the
 * likelier mistake and says more. */
static int check(const char *in, size_t n, size_t *bytes, wh_err *err)
{
    size_t pad = 0;
    while (pad < 2 && pad < n && in[n - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < n - pad; i++)
        if (digit((unsigned char)in[i]) < 0)
            return bad_char(err, in, i);
    if (n % 4 != 0)
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)n,
                       "base64 length %zu is not a multiple of 4", n);
    /* The last digit before the padding must not carry bits that the
     * shorter output drops: 4 spare bits before "==", 2 before "=". */
    if (pad > 0) {
        size_t last = n - pad - 1;
        int mask = pad == 2 ? 0x0f : 0x03;
        if (digit((unsigned char)in[last]) & mask)
            return wh_fail(err, WH_E_FORMAT, NULL, (long long)last,
                           "non-zero bits in base64 padding");
    }
    *bytes = n / 4 * 3 - pad;
    return 0;
}

int wh_base64_decode(void *out, size_t outsz, size_t *outlen,
                     const char *in, size_t n, wh_err *err)
{
    size_t bytes = 0;
    int rc = check(in, n, &bytes, err);
    if (rc)
        return rc;
    if (bytes > outsz)
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)(outsz / 3 * 4),
                       "base64 data longer than %zu bytes", outsz);
    unsigned char *o = out;
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && in[i] != '='; i++) {
        acc = (acc << 6) | (uint32_t)digit((unsigned char)in[i]);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    assert(k == bytes);
    *outlen = k;
    return 0;
}

/* base64.c - base64 and base64url (RFC 4648 sections 4 and 5), strict.
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
 * every rejection), tests/unit/par_test.c and par.data (base64url), and
 * through the minisign and JWT parsers.
 */
#include "base64.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

/* The two alphabets of RFC 4648: standard (section 4, always padded) and
 * URL-safe (section 5, as JWTs use it: never padded).  One codec serves
 * both; only the last two digits, the padding and the wording differ. */
typedef struct variant {
    const char *name;        /* in messages */
    char        c62, c63;
    bool        padded;
} variant;

static const variant STD = { "base64", '+', '/', true };
static const variant URL = { "base64url", '-', '_', false };

/* Value of a digit, or -1 for anything else ('=' included). */
static int digit(const variant *v, unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (unsigned char)v->c62)
        return 62;
    if (c == (unsigned char)v->c63)
        return 63;
    return -1;
}

static char digit_char(const variant *v, uint32_t d)
{
    static const char az[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    return d < 62 ? az[d] : d == 62 ? v->c62 : v->c63;
}

static size_t encode(const variant *v, char *out, const void *in, size_t n)
{
    const unsigned char *p = in;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            w |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            w |= p[i + 2];
        out[o++] = digit_char(v, (w >> 18) & 63);
        out[o++] = digit_char(v, (w >> 12) & 63);
        if (i + 1 < n)
            out[o++] = digit_char(v, (w >> 6) & 63);
        else if (v->padded)
            out[o++] = '=';
        if (i + 2 < n)
            out[o++] = digit_char(v, w & 63);
        else if (v->padded)
            out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

size_t wh_base64_encode(char *out, const void *in, size_t n)
{
    return encode(&STD, out, in, n);
}

size_t wh_base64url_encode(char *out, const void *in, size_t n)
{
    return encode(&URL, out, in, n);
}

static int bad_char(const variant *v, wh_err *err, const char *in, size_t i)
{
    unsigned char c = (unsigned char)in[i];
    if (c == '=' && v->padded)
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)i,
                       "misplaced base64 padding");
    if (c > 0x20 && c < 0x7f && c != '\'' && c != '\\')
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)i,
                       "invalid %s character '%c'", v->name, c);
    return wh_fail(err, WH_E_FORMAT, NULL, (long long)i,
                   "invalid %s character '\\x%02x'", v->name, c);
}

/* First pass: is in[0..n) the canonical text of some bytes?  Sets *bytes
 * to their number and *digits to the characters before any padding.
 * Characters are judged before the length, as a stray character is the
 * likelier mistake and says more.  The last digit must not carry bits
 * that the output drops (4 spare bits before "==" or after 2 leftover
 * digits, 2 before "=" or after 3), so each byte string has one text. */
static int check(const variant *v, const char *in, size_t n, size_t *bytes,
                 size_t *digits, wh_err *err)
{
    size_t pad = 0;
    while (v->padded && pad < 2 && pad < n && in[n - 1 - pad] == '=')
        pad++;
    size_t nd = n - pad;
    for (size_t i = 0; i < nd; i++)
        if (digit(v, (unsigned char)in[i]) < 0)
            return bad_char(v, err, in, i);
    if (v->padded && n % 4 != 0)
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)n,
                       "base64 length %zu is not a multiple of 4", n);
    if (!v->padded && n % 4 == 1)
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)n,
                       "base64url length %zu is not a whole number of bytes", n);
    unsigned spare = nd % 4 == 2 ? 4 : nd % 4 == 3 ? 2 : 0;
    if (spare && (digit(v, (unsigned char)in[nd - 1]) & ((1 << spare) - 1)))
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)(nd - 1),
                       v->padded ? "non-zero bits in base64 padding"
                                 : "non-zero bits after the base64url data");
    *bytes = nd / 4 * 3 + (nd % 4 ? nd % 4 - 1 : 0);
    *digits = nd;
    return 0;
}

static int decode(const variant *v, void *out, size_t outsz, size_t *outlen,
                  const char *in, size_t n, wh_err *err)
{
    size_t bytes = 0, nd = 0;
    int rc = check(v, in, n, &bytes, &nd, err);
    if (rc)
        return rc;
    if (bytes > outsz)
        return wh_fail(err, WH_E_FORMAT, NULL,
                       v->padded ? (long long)(outsz / 3 * 4) : 0,
                       "%s data longer than %zu bytes", v->name, outsz);
    unsigned char *o = out;
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < nd; i++) {
        acc = (acc << 6) | (uint32_t)digit(v, (unsigned char)in[i]);
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

int wh_base64_decode(void *out, size_t outsz, size_t *outlen,
                     const char *in, size_t n, wh_err *err)
{
    return decode(&STD, out, outsz, outlen, in, n, err);
}

int wh_base64url_decode(void *out, size_t outsz, size_t *outlen,
                        const char *in, size_t n, wh_err *err)
{
    return decode(&URL, out, outsz, outlen, in, n, err);
}

/* base64.h - base64 (RFC 4648 section 4) and base64url (section 5),
 * both with strict decoding.
 *
 * Encoding always pads.  Decoding accepts exactly one spelling of each
 * byte string: the length is a multiple of 4, only the alphabet
 * A-Z a-z 0-9 + / appears, '=' only as the last one or two characters,
 * and the bits that padding discards are zero.  No whitespace, no line
 * breaks, no URL-safe alphabet.  Signatures and digests are compared as
 * bytes, so a lenient decoder would let one value have many texts.
 */
#ifndef WH_BASE64_H
#define WH_BASE64_H

#include <stddef.h>

#include "common/err.h"

/* Characters wh_base64_encode writes for n bytes, without the NUL. */
#define WH_BASE64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)

/* Most bytes a text of n characters can decode to. */
#define WH_BASE64_DECODED_MAX(n) (((n) / 4) * 3)

/* Write the base64 text of in[0..n) and a NUL to out, which must hold
 * WH_BASE64_ENCODED_LEN(n) + 1 bytes.  Returns the text's length. */
size_t wh_base64_encode(char *out, const void *in, size_t n);

/* Decode the n characters of in into out (room for outsz bytes) and set
 * *outlen.  Fails with WH_E_FORMAT, err->offset at the offending
 * character (counted from in), reason one of:
 *   "base64 length 5 is not a multiple of 4"
 *   "invalid base64 character '!'"       (non-printables as '\xNN')
 *   "misplaced base64 padding"
 *   "non-zero bits in base64 padding"
 *   "base64 data longer than 42 bytes"  (more than outsz)
 * err->path is left empty: the caller knows the input's name and line.
 * out may have been partly written on failure. */
int wh_base64_decode(void *out, size_t outsz, size_t *outlen,
                     const char *in, size_t n, wh_err *err);

/* Characters wh_base64url_encode writes for n bytes, without the NUL. */
#define WH_BASE64URL_ENCODED_LEN(n) (((n) * 4 + 2) / 3)

/* Write the unpadded base64url text (RFC 4648 section 5) of in[0..n) and
 * a NUL to out (WH_BASE64URL_ENCODED_LEN(n) + 1 bytes).  Returns the
 * text's length. */
size_t wh_base64url_encode(char *out, const void *in, size_t n);

/* Decode n characters of unpadded base64url into out (room for outsz
 * bytes), strictly: only A-Z a-z 0-9 - _, no '=', n % 4 != 1, and the
 * bits after the data zero.  WH_E_FORMAT, offset at the bad character:
 *   "invalid base64url character '='"   (non-printables as '\xNN')
 *   "base64url length 5 is not a whole number of bytes"
 *   "non-zero bits after the base64url data"
 *   "base64url data longer than 64 bytes"
 * Nothing is written to out on failure. */
int wh_base64url_decode(void *out, size_t outsz, size_t *outlen,
                        const char *in, size_t n, wh_err *err);

#endif

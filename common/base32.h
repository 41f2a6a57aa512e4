/* base32.h - base32 (RFC 4648 section 6) without padding, strict decoding.
 *
 * Used for nkeys (common/nkeys.h), whose texts are unpadded base32 of
 * 35 bytes.  Decoding accepts exactly one spelling of each byte string:
 * upper-case A-Z and 2-7 only, no '=' padding, no white space, a length
 * that some byte count produces (n % 8 is 0, 2, 4, 5 or 7), and the bits
 * of the last character beyond the data are zero.
 */
#ifndef WH_BASE32_H
#define WH_BASE32_H

#include <stddef.h>

#include "common/err.h"

/* Characters wh_base32_encode writes for n bytes, without the NUL. */
#define WH_BASE32_ENCODED_LEN(n) (((n) * 8 + 4) / 5)

/* Most bytes a text of n characters can decode to. */
#define WH_BASE32_DECODED_MAX(n) ((n) * 5 / 8)

/* Write the unpadded base32 text of in[0..n) and a NUL to out, which must
 * hold WH_BASE32_ENCODED_LEN(n) + 1 bytes.  Returns the text's length. */
size_t wh_base32_encode(char *out, const void *in, size_t n);

/* Decode the n characters of in into out (room for outsz bytes) and set
 * *outlen.  Fails with WH_E_FORMAT, err->offset at the offending
 * character (counted from in) and err->path empty, reason one of:
 *   "invalid base32 character 'a'"       (non-printables as '\xNN')
 *   "base32 length 3 is not a whole number of bytes"
 *   "non-zero bits after the base32 data"
 *   "base32 data longer than 35 bytes"  (more than outsz)
 * Nothing is written to out on failure. */
int wh_base32_decode(void *out, size_t outsz, size_t *outlen,
                     const char *in, size_t n, wh_err *err);

#endif

/* hex.h - hexadecimal encoding of digests and key ids. */
#ifndef WH_HEX_H
#define WH_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Write 2*n digits and a NUL to out (size >= 2*n+1); upper selects A-F. */
void wh_hex_encode(char *out, const uint8_t *in, size_t n, int upper);

/* Decode exactly 2*n hex digits (either case) from s into out.
 * Returns 0, or -1 when s is not exactly that. */
int wh_hex_decode(uint8_t *out, size_t n, const char *s, size_t slen);

/* 1 when s (NUL-terminated, may be NULL) is exactly n lower-case hex
 * digits, the form of every digest wharf writes; else 0. */
int wh_hex_is_lower(const char *s, size_t n);

#endif

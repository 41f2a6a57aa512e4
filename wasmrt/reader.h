/* reader.h - a bounds-checked cursor over WebAssembly binary bytes.
 *
 * Shared by decode.c (sections) and compile.c (function bodies).  A
 * wr_reader covers [p, end); base is the start of the whole binary, so
 * p - base is the byte offset that errors report.  Every read checks
 * the bound first and never moves p past end.
 *
 * Each reader returns 0, or -1 with err filled (WR_ERR_MALFORMED) in the
 * reference interpreter's words:
 *   "unexpected end of section or function"  the bytes ran out
 *   "integer representation too long"        a LEB128 longer than
 *                                             ceil(N / 7) bytes
 *   "integer too large"                       the last LEB128 byte sets
 *                                             bits beyond N (unsigned) or
 *                                             they are not the sign
 *                                             extension (signed)
 *   "length out of bounds"                    a vector/name length
 *                                             beyond the remaining bytes
 *                                             (see wr_read_len)
 *   "malformed UTF-8 encoding"                a name that is not UTF-8
 * On failure *out is left unspecified.
 *
 * Tests: tests/unit/wasmrt_decode_test.c (and the spec suite's
 * binary-leb128.wast, utf8-*.wast through tests/spec/).
 */
#ifndef WR_READER_H
#define WR_READER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

typedef struct wr_reader {
    const uint8_t *p, *end;   /* the cursor and the bound */
    const uint8_t *base;      /* start of the binary, for offsets */
} wr_reader;

/* A reader over base[off, off + len) (the caller checked the bounds). */
static inline wr_reader wr_reader_at(const uint8_t *base, size_t off,
                                     size_t len)
{
    wr_reader r = { base + off, base + off + len, base };
    return r;
}

static inline long long wr_reader_offset(const wr_reader *r)
{
    return (long long)(r->p - r->base);
}

static inline size_t wr_reader_left(const wr_reader *r)
{
    return (size_t)(r->end - r->p);
}

static inline int wr_reader_eof(const wr_reader *r)
{
    return r->p >= r->end;
}

/* Fail with msg at offset at.  Returns -1 itself (not wr_fail's value)
 * so that compilers see the failure paths never use the outputs. */
static inline int wr_read_fail(long long at, const char *msg, wr_error *err)
{
    wr_fail(err, WR_ERR_MALFORMED, at, "%s", msg);
    return -1;
}

static inline int wr_read_fail_end(const wr_reader *r, wr_error *err)
{
    return wr_read_fail(wr_reader_offset(r),
                        "unexpected end of section or function", err);
}

static inline int wr_read_u8(wr_reader *r, uint8_t *out, wr_error *err)
{
    if (r->p >= r->end)
        return wr_read_fail_end(r, err);
    *out = *r->p++;
    return 0;
}

/* Unsigned LEB128 of at most `bits` bits (<= 64), into *out.  The last
 * permitted byte may not continue and may not set bits past `bits`. */
static inline int wr_read_uleb(wr_reader *r, unsigned bits, uint64_t *out,
                               wr_error *err)
{
    uint64_t v = 0;
    unsigned shift = 0;
    for (;;) {
        if (r->p >= r->end)
            return wr_read_fail_end(r, err);
        uint8_t b = *r->p++;
        if (bits - shift <= 7) {          /* the last byte allowed */
            if (b & 0x80)
                return wr_read_fail(wr_reader_offset(r) - 1, "integer representation too long", err);
            if ((b >> (bits - shift)) != 0)
                return wr_read_fail(wr_reader_offset(r) - 1, "integer too large", err);
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
        shift += 7;
    }
    *out = v;
    return 0;
}

/* Signed LEB128 of at most `bits` bits (<= 64), sign-extended into *out.
 * In the last permitted byte the bits past `bits` must all equal the
 * sign bit. */
static inline int wr_read_sleb(wr_reader *r, unsigned bits, int64_t *out,
                               wr_error *err)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    for (;;) {
        if (r->p >= r->end)
            return wr_read_fail_end(r, err);
        b = *r->p++;
        if (bits - shift <= 7) {          /* the last byte allowed */
            if (b & 0x80)
                return wr_read_fail(wr_reader_offset(r) - 1, "integer representation too long", err);
            unsigned used = bits - shift;          /* 1..7 */
            uint8_t extra = (uint8_t)(0x7f & ~((1u << used) - 1)
                                      & 0x7f);
            uint8_t sign = (uint8_t)((b >> (used - 1)) & 1);
            if ((b & extra) != (sign ? extra : 0))
                return wr_read_fail(wr_reader_offset(r) - 1, "integer too large", err);
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;        /* sign-extend */
    memcpy(out, &v, sizeof v);
    return 0;
}

static inline int wr_read_u32(wr_reader *r, uint32_t *out, wr_error *err)
{
    uint64_t v;
    if (wr_read_uleb(r, 32, &v, err))
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static inline int wr_read_s32(wr_reader *r, int32_t *out, wr_error *err)
{
    int64_t v;
    if (wr_read_sleb(r, 32, &v, err))
        return -1;
    *out = (int32_t)v;
    return 0;
}

/* Block types: a signed 33-bit index, or a negative one-byte type. */
static inline int wr_read_s33(wr_reader *r, int64_t *out, wr_error *err)
{
    return wr_read_sleb(r, 33, out, err);
}

static inline int wr_read_s64(wr_reader *r, int64_t *out, wr_error *err)
{
    return wr_read_sleb(r, 64, out, err);
}

/* Little-endian float bits (no conversion: NaN payloads survive). */
static inline int wr_read_f32(wr_reader *r, uint32_t *out, wr_error *err)
{
    if (wr_reader_left(r) < 4) {
        r->p = r->end;
        return wr_read_fail_end(r, err);
    }
    const uint8_t *q = r->p;
    *out = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16
           | (uint32_t)q[3] << 24;
    r->p += 4;
    return 0;
}

static inline int wr_read_f64(wr_reader *r, uint64_t *out, wr_error *err)
{
    if (wr_reader_left(r) < 8) {
        r->p = r->end;
        return wr_read_fail_end(r, err);
    }
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | r->p[i];
    r->p += 8;
    *out = v;
    return 0;
}

/* n raw bytes: *out points at them in the binary. */
static inline int wr_read_bytes(wr_reader *r, size_t n, const uint8_t **out,
                                wr_error *err)
{
    if (wr_reader_left(r) < n) {
        r->p = r->end;
        return wr_read_fail_end(r, err);
    }
    *out = r->p;
    r->p += n;
    return 0;
}

/* A vector length, byte count or section size: u32, and at most the
 * bytes left counted from the length's own first byte (the reference
 * interpreter's rule, which the spec tests' messages follow: one more
 * than strictly possible, so "unexpected end" rather than "length out
 * of bounds" when a count is off by one).  Every element takes at least
 * one byte, so this caps allocations by the input's size. */
static inline int wr_read_len(wr_reader *r, uint32_t *out, wr_error *err)
{
    long long at = wr_reader_offset(r);
    size_t left = wr_reader_left(r);
    if (wr_read_u32(r, out, err))
        return -1;
    if (*out > left)
        return wr_read_fail(at, "length out of bounds", err);
    return 0;
}

/* Whether s[0..n) is UTF-8 as Unicode defines it: shortest forms only,
 * no surrogates, nothing above U+10FFFF. */
static inline int wr_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xe0) == 0xc0) { k = 1; cp = c & 0x1f; min = 0x80; }
        else if ((c & 0xf0) == 0xe0) { k = 2; cp = c & 0x0f; min = 0x800; }
        else if ((c & 0xf8) == 0xf0) { k = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (n - i - 1 < k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* A name: length, then that many bytes of UTF-8.  *s points into the
 * binary (not NUL-terminated). */
static inline int wr_read_name(wr_reader *r, const uint8_t **s, uint32_t *len,
                               wr_error *err)
{
    if (wr_read_len(r, len, err))
        return -1;
    long long at = wr_reader_offset(r);
    if (wr_read_bytes(r, *len, s, err))
        return -1;
    if (!wr_utf8_valid(*s, *len))
        return wr_read_fail(at, "malformed UTF-8 encoding", err);
    return 0;
}

#endif

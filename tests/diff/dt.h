/* dt.h - pieces shared by the differential-testing tools (prefix dt_):
 * a growable byte buffer, LEB128, the pack format and the argument table.
 *
 * A pack is a file of modules, each as a 4-byte little-endian length and
 * the module's bytes, so that one process of each engine runs thousands
 * of modules (a process per module would cost more than the modules).
 *
 * Arguments.  Both runners (dt_run.c and ref.mjs) call export number e
 * with parameter j set to dt_arg_index(e, j)'th value of the table of its
 * type below; ref.mjs holds a copy of these tables, so change both.  The
 * NaN of the float tables is the canonical one, the only NaN a JavaScript
 * number is sure to carry unchanged into WebAssembly.
 *
 * Tests: tests/diff/diff.sh (docs/testing.md, "Differential testing").
 */
#ifndef DT_H
#define DT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DT_MAX_MODULE (16u << 20)

typedef struct dt_buf {
    uint8_t *p;
    size_t   n, cap;
} dt_buf;

static inline void dt_reserve(dt_buf *b, size_t more)
{
    if (b->n + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        fputs("dt: out of memory\n", stderr);
        exit(1);
    }
    b->p = p;
    b->cap = cap;
}

static inline void dt_put(dt_buf *b, const void *src, size_t n)
{
    dt_reserve(b, n);
    if (n)
        memcpy(b->p + b->n, src, n);
    b->n += n;
}

static inline void dt_byte(dt_buf *b, uint8_t c)
{
    dt_put(b, &c, 1);
}

static inline void dt_uleb(dt_buf *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        dt_byte(b, (uint8_t)(c | (v ? 0x80 : 0)));
    } while (v);
}

static inline void dt_sleb(dt_buf *b, int64_t v)
{
    for (;;) {
        uint8_t c = v & 0x7f;
        v >>= 7;    /* arithmetic shift on every compiler we use */
        if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
            dt_byte(b, c);
            return;
        }
        dt_byte(b, c | 0x80);
    }
}

/* Read one module of a pack into *b (replacing its contents).  Returns 1,
 * 0 at the end, -1 on a truncated or oversized entry. */
static inline int dt_pack_read(FILE *f, dt_buf *b)
{
    uint8_t h[4];
    size_t got = fread(h, 1, 4, f);
    if (got == 0)
        return 0;
    if (got != 4)
        return -1;
    uint32_t len = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
    if (len > DT_MAX_MODULE)
        return -1;
    b->n = 0;
    dt_reserve(b, len);
    if (fread(b->p, 1, len, f) != len)
        return -1;
    b->n = len;
    return 1;
}

static inline int dt_pack_write(FILE *f, const uint8_t *p, size_t n)
{
    uint8_t h[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16),
                    (uint8_t)(n >> 24)};
    return fwrite(h, 1, 4, f) == 4 && fwrite(p, 1, n, f) == n ? 0 : -1;
}

/* --- arguments (keep in step with ref.mjs) ------------------------------- */

static const uint32_t dt_args_i32[] = {
    0, 1, 0xffffffffu, 0x7fffffffu, 0x80000000u, 42, 0xffffu, 0x10000u,
};
static const uint64_t dt_args_i64[] = {
    0, 1, 0xffffffffffffffffull, 0x7fffffffffffffffull,
    0x8000000000000000ull, 42, 0xffffffffull, 0x100000000ull,
};
static const uint32_t dt_args_f32[] = {   /* bit patterns */
    0x00000000u, 0x3f800000u, 0xbf800000u, 0x80000000u, 0x7f800000u,
    0x4f000000u, 0x7fc00000u, 0x3fc00000u,
};
static const uint64_t dt_args_f64[] = {
    0x0000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
    0x8000000000000000ull, 0x7ff0000000000000ull, 0x41e0000000000000ull,
    0x7ff8000000000000ull, 0x3ff8000000000000ull,
};

static inline unsigned dt_arg_index(unsigned e, unsigned j)
{
    return (e * 3 + j * 5 + 1) % 8;
}

/* A 32-bit hash of a memory's bytes, word by word (little-endian), the
 * same as ref.mjs computes with Math.imul. */
static inline uint32_t dt_hash_mem(const uint8_t *p, uint64_t n)
{
    uint32_t h = 0x811c9dc5u;
    for (uint64_t i = 0; i + 4 <= n; i += 4) {
        uint32_t w = p[i] | p[i + 1] << 8 | p[i + 2] << 16 |
                     (uint32_t)p[i + 3] << 24;
        h = (h ^ w) * 0x01000193u;
    }
    return h;
}

#endif

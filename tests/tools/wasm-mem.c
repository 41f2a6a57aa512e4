/* wasm-mem.c - test tool: the peak memory wasmrt needs to load a module,
 * and the worst-case modules to measure it on.
 *
 *   wasm-mem gen CASE BYTES FILE   write a module of about BYTES bytes
 *                                  built to make loading expensive
 *   wasm-mem load [--inspect | --describe] [--bound K,C] FILE
 *                                  load FILE with wr_module_load (or
 *                                  wr_module_inspect, or describe it
 *                                  with wh_pkg_wasm_describe as the
 *                                  package readers do) and print
 *                                  "FILE: SIZE bytes, RESULT" and
 *                                  "peak +GROWTH bytes (R x)"
 *   wasm-mem time [--inspect] N FILE
 *                                  the best time of N loads
 *
 * GROWTH is the rise of the process's peak resident set (getrusage's
 * ru_maxrss) across the call, measured after FILE is read and touched, so
 * it counts the module's private copy of the bytes, everything decoding,
 * validation and compilation allocate, and their transient peaks.  One
 * module per process: the peak cannot be reset.  With --bound it prints
 * "within the bound" when GROWTH <= K * SIZE + C (C in KiB), else says
 * why on stderr and exits 1; under AddressSanitizer (shadow memory,
 * redzones, quarantine) the bound is 4 K x SIZE + C + 64 MiB, looser but
 * still far below what the bugs it guards against cost.  A module that
 * fails to load is still measured (RESULT is its error): hostile modules
 * are often invalid.
 *
 * The cases (docs/wasmrt.md, "Memory"): brtable (one br_table with every
 * label), brtables (many small ones), funcs (empty functions), nesting
 * (nested blocks), deep (both compile-time stacks full), locals
 * (functions declaring 50000 i64 locals each), stack (calls pushing
 * 1000 results), moves (returns moving 1000 values: the most code per
 * byte), data (one segment), datas (empty segments), elems (one segment
 * of function indices), elemexprs (the same as ref.func expressions),
 * elemsegs (empty segments), types, imports, exports, exportsdup (all
 * named ""), globals, customs, tables, mems; and for the description's
 * caps (pkg.h), externs (the most imports it takes; BYTES 1: one more)
 * and longtypes (the most text, or one import more).
 *
 * Tests: tests/cli/t0015-wasmrt-memory.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "common/pkg.h"
#include "wasmrt/wasmrt.h"

#include "tests/tools/asan.h"

/* --- a byte buffer ------------------------------------------------------ */

typedef struct buf {
    uint8_t *p;
    size_t   n, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) {
            fprintf(stderr, "wasm-mem: out of memory\n");
            exit(2);
        }
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void byte(buf *b, uint8_t v)
{
    put(b, &v, 1);
}

static void uleb(buf *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        byte(b, (uint8_t)(c | (v ? 0x80 : 0)));
    } while (v);
}

/* Append section id with contents s (freed). */
static void section(buf *b, uint8_t id, buf *s)
{
    byte(b, id);
    uleb(b, s->n);
    put(b, s->p, s->n);
    free(s->p);
    memset(s, 0, sizeof *s);
}

/* A vector section: count, then body (freed). */
static void vec_section(buf *b, uint8_t id, uint64_t count, buf *body)
{
    buf s = { 0 };
    uleb(&s, count);
    put(&s, body->p, body->n);
    free(body->p);
    memset(body, 0, sizeof *body);
    section(b, id, &s);
}

static void header(buf *b)
{
    put(b, "\0asm\1\0\0\0", 8);
}

/* Type 0: () -> (). */
static void type_void(buf *b)
{
    buf s = { 0 };
    put(&s, "\x60\x00\x00", 3);
    vec_section(b, 1, 1, &s);
}

/* n functions of type 0. */
static void funcs_of_type0(buf *b, uint64_t n)
{
    buf s = { 0 };
    for (uint64_t i = 0; i < n; i++)
        byte(&s, 0);
    vec_section(b, 3, n, &s);
}

/* A code section of one body (code, without locals; freed). */
static void one_body(buf *b, buf *code)
{
    buf body = { 0 }, s = { 0 };
    byte(&body, 0);                       /* no local declarations */
    put(&body, code->p, code->n);
    free(code->p);
    uleb(&s, body.n);
    put(&s, body.p, body.n);
    free(body.p);
    vec_section(b, 10, 1, &s);
}

/* --- the cases ---------------------------------------------------------- */

/* 100 nested blocks, then one br_table whose labels cycle through them. */
static void gen_brtable(buf *b, size_t size)
{
    buf c = { 0 };
    uint64_t n = size > 400 ? size - 400 : 1;
    type_void(b);
    funcs_of_type0(b, 1);
    for (int i = 0; i < 100; i++)
        put(&c, "\x02\x40", 2);
    put(&c, "\x41\x00\x0e", 3);
    uleb(&c, n);
    for (uint64_t i = 0; i <= n; i++)
        byte(&c, (uint8_t)(i % 100));
    for (int i = 0; i <= 100; i++)
        byte(&c, 0x0b);
    one_body(b, &c);
}

/* block (i32.const 0 br_table 0 0) end, repeated. */
static void gen_brtables(buf *b, size_t size)
{
    buf c = { 0 };
    type_void(b);
    funcs_of_type0(b, 1);
    while (c.n + 9 < size)
        put(&c, "\x02\x40\x41\x00\x0e\x01\x00\x00\x0b", 9);
    byte(&c, 0x0b);
    one_body(b, &c);
}

/* Empty functions: one byte in the function section, three in the code
 * section. */
static void gen_funcs(buf *b, size_t size)
{
    uint64_t n = size / 4;
    buf s = { 0 };
    type_void(b);
    funcs_of_type0(b, n);
    for (uint64_t i = 0; i < n; i++)
        put(&s, "\x02\x00\x0b", 3);
    vec_section(b, 10, n, &s);
}

static void gen_nesting(buf *b, size_t size)
{
    uint64_t n = size / 3;
    buf c = { 0 };
    type_void(b);
    funcs_of_type0(b, 1);
    for (uint64_t i = 0; i < n; i++)
        put(&c, "\x02\x40", 2);
    for (uint64_t i = 0; i <= n; i++)
        byte(&c, 0x0b);
    one_body(b, &c);
}

/* Functions of 50000 i64 locals (the per-function cap): eight bytes
 * each.  The count is capped so that the module stays valid under the
 * module-wide cap too. */
static void gen_locals(buf *b, size_t size)
{
    uint64_t n = size / 8;
    buf s = { 0 };
    type_void(b);
    funcs_of_type0(b, n);
    for (uint64_t i = 0; i < n; i++)
        put(&s, "\x06\x01\xd0\x86\x03\x7e\x0b", 7);
    vec_section(b, 10, n, &s);
}

/* Both compile-time stacks to their caps in one body: 65535 nested
 * blocks, then calls of f, which returns 1000 i32s, until the operand
 * stack is full: the constant part of the bound. */
static void gen_deep(buf *b, size_t size)
{
    buf s = { 0 }, c = { 0 }, body = { 0 };
    (void)size;
    put(&s, "\x60\x00\x00\x60\x00", 5);
    uleb(&s, 1000);
    for (int i = 0; i < 1000; i++)
        byte(&s, 0x7f);
    vec_section(b, 1, 2, &s);
    put(&s, "\x00\x01", 2);
    vec_section(b, 3, 2, &s);
    byte(&body, 0);
    for (int i = 0; i < 65535; i++)
        put(&body, "\x02\x40", 2);
    for (int i = 0; i < 70; i++)
        put(&body, "\x10\x01", 2);
    for (int i = 0; i <= 65535; i++)
        byte(&body, 0x0b);
    uleb(&c, body.n);
    put(&c, body.p, body.n);
    put(&c, "\x03\x00\x00\x0b", 4);
    free(body.p);
    vec_section(b, 10, 2, &c);
}

/* g returns what f returns, 1000 i32s, over and over: each `return`
 * moves 1000 values (a block around each keeps the next reachable), the
 * most code a few bytes compile to, up to the compiler's cap per body
 * byte (compile.c, WR_CODE_PER_BYTE). */
static void gen_moves(buf *b, size_t size)
{
    buf s = { 0 }, c = { 0 }, body = { 0 };
    put(&s, "\x60\x00", 2);
    uleb(&s, 1000);
    for (int i = 0; i < 1000; i++)
        byte(&s, 0x7f);
    vec_section(b, 1, 1, &s);
    put(&s, "\x00\x00", 2);               /* g, f: type 0 */
    vec_section(b, 3, 2, &s);
    byte(&body, 0);
    while (body.n + 12 < size)
        put(&body, "\x02\x40\x41\x00\x10\x01\x0f\x0b", 8);
    put(&body, "\x10\x01\x0b", 3);
    uleb(&c, body.n);
    put(&c, body.p, body.n);
    put(&c, "\x03\x00\x00\x0b", 4);
    free(body.p);
    vec_section(b, 10, 2, &c);
}

/* f returns 1000 i32s; g calls it over and over, then returns. */
static void gen_stack(buf *b, size_t size)
{
    buf s = { 0 }, c = { 0 };
    put(&s, "\x60\x00\x00\x60\x00", 5);
    uleb(&s, 1000);
    for (int i = 0; i < 1000; i++)
        byte(&s, 0x7f);
    vec_section(b, 1, 2, &s);
    put(&s, "\x00\x01", 2);               /* g: type 0, f: type 1 */
    vec_section(b, 3, 2, &s);
    buf body = { 0 }, fbody = { 0 };
    byte(&body, 0);
    while (body.n + 4 < size)
        put(&body, "\x10\x01", 2);
    put(&body, "\x0f\x0b", 2);
    byte(&fbody, 0);
    byte(&fbody, 0x00);                   /* unreachable */
    byte(&fbody, 0x0b);
    uleb(&c, body.n);
    put(&c, body.p, body.n);
    uleb(&c, fbody.n);
    put(&c, fbody.p, fbody.n);
    free(body.p);
    free(fbody.p);
    vec_section(b, 10, 2, &c);
}

/* One memory, one active data segment of (almost) all the bytes. */
static void gen_data(buf *b, size_t size)
{
    buf s = { 0 };
    uint64_t n = size > 64 ? size - 64 : 1;
    put(&s, "\x00\x00", 2);               /* memory 0.. */
    vec_section(b, 5, 1, &s);
    put(&s, "\x00\x41\x00\x0b", 4);
    uleb(&s, n);
    for (uint64_t i = 0; i < n; i++)
        byte(&s, (uint8_t)i);
    vec_section(b, 11, 1, &s);
}

/* Empty passive data segments, two bytes each. */
static void gen_datas(buf *b, size_t size)
{
    uint64_t n = size / 2;
    buf s = { 0 };
    for (uint64_t i = 0; i < n; i++)
        put(&s, "\x01\x00", 2);
    vec_section(b, 11, n, &s);
}

/* A table and one active segment of function indices (one byte each). */
static void gen_elems(buf *b, size_t size, int exprs)
{
    uint64_t n = size / (exprs ? 3 : 1);
    buf s = { 0 };
    type_void(b);
    funcs_of_type0(b, 1);
    put(&s, "\x70\x00\x00", 3);
    vec_section(b, 4, 1, &s);
    put(&s, exprs ? "\x04\x41\x00\x0b" : "\x00\x41\x00\x0b", 4);
    uleb(&s, n);
    for (uint64_t i = 0; i < n; i++)
        put(&s, exprs ? "\xd2\x00\x0b" : "\x00", exprs ? 3 : 1);
    vec_section(b, 9, 1, &s);
    put(&s, "\x02\x00\x0b", 3);
    vec_section(b, 10, 1, &s);
}

/* Empty passive element segments, three bytes each. */
static void gen_elemsegs(buf *b, size_t size)
{
    uint64_t n = size / 3;
    buf s = { 0 };
    for (uint64_t i = 0; i < n; i++)
        put(&s, "\x01\x00\x00", 3);
    vec_section(b, 9, n, &s);
}

/* A vector section of n copies of item. */
static void gen_repeat(buf *b, uint8_t id, size_t size, const char *item,
                       size_t len)
{
    uint64_t n = size / len;
    buf s = { 0 };
    for (uint64_t i = 0; i < n; i++)
        put(&s, item, len);
    vec_section(b, id, n, &s);
}

/* Distinct names: the index in base 94, as printable ASCII. */
static void gen_exports(buf *b, size_t size)
{
    buf s = { 0 };
    uint64_t n = 0;
    type_void(b);
    funcs_of_type0(b, 1);
    while (s.n + 8 < size) {
        uint8_t name[8];
        size_t len = 0;
        for (uint64_t v = n; v; v /= 94)
            name[len++] = (uint8_t)(0x21 + v % 94);
        uleb(&s, len);
        put(&s, name, len);
        put(&s, "\x00\x00", 2);
        n++;
    }
    vec_section(b, 7, n, &s);
    put(&s, "\x02\x00\x0b", 3);
    vec_section(b, 10, 1, &s);
}

/* Exports all named "" (invalid, found once all are read): three bytes
 * each. */
static void gen_exportsdup(buf *b, size_t size)
{
    type_void(b);
    funcs_of_type0(b, 1);
    gen_repeat(b, 7, size, "\x00\x00\x00", 3);
    buf s = { 0 };
    put(&s, "\x02\x00\x0b", 3);
    vec_section(b, 10, 1, &s);
}

/* As many imports as wh_pkg_wasm_describe takes (its JSON is the cost),
 * or one more; size is ignored. */
static void gen_externs(buf *b, uint32_t n)
{
    type_void(b);
    gen_repeat(b, 2, (size_t)n * 4, "\x00\x00\x00\x00", 4);
}

/* Imports of a function of 1000 parameters: the longest type texts, up
 * to the description's cap on text, or one more. */
static void gen_longtypes(buf *b, uint32_t n)
{
    buf s = { 0 };
    put(&s, "\x60", 1);
    uleb(&s, 1000);
    for (int i = 0; i < 1000; i++)
        byte(&s, 0x7f);
    byte(&s, 0);
    vec_section(b, 1, 1, &s);
    gen_repeat(b, 2, (size_t)n * 4, "\x00\x00\x00\x00", 4);
}

/* Custom sections with an empty name: three bytes each. */
static void gen_customs(buf *b, size_t size)
{
    for (size_t i = 0; i + 3 <= size; i += 3)
        put(b, "\x00\x01\x00", 3);
}

static int generate(const char *name, size_t size, buf *b)
{
    header(b);
    if (!strcmp(name, "brtable"))        gen_brtable(b, size);
    else if (!strcmp(name, "brtables"))  gen_brtables(b, size);
    else if (!strcmp(name, "funcs"))     gen_funcs(b, size);
    else if (!strcmp(name, "nesting"))   gen_nesting(b, size);
    else if (!strcmp(name, "locals"))    gen_locals(b, size);
    else if (!strcmp(name, "stack"))     gen_stack(b, size);
    else if (!strcmp(name, "deep"))      gen_deep(b, size);
    else if (!strcmp(name, "moves"))     gen_moves(b, size);
    else if (!strcmp(name, "data"))      gen_data(b, size);
    else if (!strcmp(name, "datas"))     gen_datas(b, size);
    else if (!strcmp(name, "elems"))     gen_elems(b, size, 0);
    else if (!strcmp(name, "elemexprs")) gen_elems(b, size, 1);
    else if (!strcmp(name, "elemsegs"))  gen_elemsegs(b, size);
    else if (!strcmp(name, "types"))     gen_repeat(b, 1, size, "\x60\x00\x00", 3);
    else if (!strcmp(name, "imports"))   { type_void(b);
                                           gen_repeat(b, 2, size, "\x00\x00\x00\x00", 4); }
    else if (!strcmp(name, "exports"))   gen_exports(b, size);
    else if (!strcmp(name, "exportsdup")) gen_exportsdup(b, size);
    else if (!strcmp(name, "globals"))   gen_repeat(b, 6, size, "\x7f\x00\x41\x00\x0b", 5);
    else if (!strcmp(name, "customs"))   gen_customs(b, size);
    else if (!strcmp(name, "externs"))   gen_externs(b, WH_PKG_MAX_WASM_EXTERNS + (size != 0));
    else if (!strcmp(name, "longtypes")) gen_longtypes(b, WH_PKG_MAX_WASM_TEXT / 10016 + (size != 0));
    else if (!strcmp(name, "tables"))    gen_repeat(b, 4, size, "\x70\x00\x00", 3);
    else if (!strcmp(name, "mems"))      gen_repeat(b, 5, size, "\x00\x00", 2);
    else
        return -1;
    return 0;
}

/* --- measuring ---------------------------------------------------------- */

static long long peak_bytes(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (long long)ru.ru_maxrss * 1024;
}

/* The whole file in one allocation of its size, touched: nothing freed
 * on the way that the module could reuse unseen. */
static int read_file(const char *path, buf *b)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) || !(b->p = malloc(st.st_size + 1))) {
        if (f)
            fclose(f);
        return -1;
    }
    b->n = fread(b->p, 1, (size_t)st.st_size, f);
    int rc = ferror(f) || b->n != (size_t)st.st_size ? -1 : 0;
    fclose(f);
    return rc;
}

/* Load (how 0), inspect (1) or describe (2) the module in b; "ok" or
 * the error in msg. */
static void run_one(const buf *b, int how, char *msg, size_t n)
{
    wr_error err;
    wr_module *m = NULL;
    snprintf(msg, n, "ok");
    if (how == 2) {
        json_t *d;
        wh_err e;
        if (wh_pkg_wasm_describe("m", "wasm", b->p, b->n, &d, &e))
            snprintf(msg, n, "%s", e.reason);
        else
            json_decref(d);
        return;
    }
    m = how ? wr_module_inspect(b->p, b->n, &err)
            : wr_module_load(b->p, b->n, &err);
    if (!m)
        wr_error_format(&err, msg, n);
    wr_module_free(m);
}

static int load(const char *path, int inspect, double k, double c)
{
    buf b = { 0 };
    if (read_file(path, &b)) {
        fprintf(stderr, "wasm-mem: %s: cannot read\n", path);
        return 2;
    }
    long long before = peak_bytes();
    char msg[300];
    run_one(&b, inspect, msg, sizeof msg);
    long long growth = peak_bytes() - before;
    printf("%s: %zu bytes, %s\n", path, b.n, msg);
    printf("peak +%lld bytes (%.2f x)\n", growth,
           b.n ? (double)growth / (double)b.n : 0.0);
    free(b.p);
    if (k < 0)
        return 0;
    if (ASAN)
        k *= 4, c += 64 * 1024;
    if ((double)growth <= k * (double)b.n + c * 1024) {
        printf("within the bound\n");
        return 0;
    }
    fprintf(stderr, "wasm-mem: %s: peak +%lld bytes above the bound %g x "
            "%zu + %g KiB%s\n", path, growth, k, b.n, c,
            ASAN ? " (asan)" : "");
    return 1;
}

/* The best time of n loads, in microseconds (for docs/performance.md). */
static int time_loads(const char *path, int inspect, int n)
{
    buf b = { 0 };
    if (read_file(path, &b)) {
        fprintf(stderr, "wasm-mem: %s: cannot read\n", path);
        return 2;
    }
    double best = -1;
    for (int i = 0; i < n; i++) {
        struct timespec t0, t1;
        wr_error err;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        wr_module *m = inspect ? wr_module_inspect(b.p, b.n, &err)
                               : wr_module_load(b.p, b.n, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        wr_module_free(m);
        double us = (double)(t1.tv_sec - t0.tv_sec) * 1e6
                    + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
        if (best < 0 || us < best)
            best = us;
    }
    printf("%s: %zu bytes, best of %d loads: %.0f us\n", path, b.n, n, best);
    free(b.p);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: wasm-mem gen CASE BYTES FILE\n"
                    "       wasm-mem load [--inspect | --describe] "
                    "[--bound K,C] FILE\n"
                    "       wasm-mem time [--inspect] N FILE\n");
    return 2;
}

static int cmd_gen(char **argv)
{
    buf b = { 0 };
    if (generate(argv[0], strtoull(argv[1], NULL, 10), &b)) {
        fprintf(stderr, "wasm-mem: unknown case '%s'\n", argv[0]);
        free(b.p);
        return 2;
    }
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(b.p, 1, b.n, f) != b.n || fclose(f)) {
        fprintf(stderr, "wasm-mem: %s: cannot write\n", argv[2]);
        return 2;
    }
    free(b.p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "gen"))
        return cmd_gen(argv + 2);
    if (argc >= 4 && !strcmp(argv[1], "time")) {
        int inspect = !strcmp(argv[2], "--inspect");
        if (argc != 4 + inspect)
            return usage();
        return time_loads(argv[3 + inspect], inspect, atoi(argv[2 + inspect]));
    }
    if (argc < 3 || strcmp(argv[1], "load"))
        return usage();
    int inspect = 0, i = 2;
    double k = -1, c = 0;                  /* k < 0: no bound */
    for (; i < argc - 1; i++) {
        if (!strcmp(argv[i], "--inspect"))
            inspect = 1;
        else if (!strcmp(argv[i], "--describe"))
            inspect = 2;
        else if (!strcmp(argv[i], "--bound") && i + 1 < argc - 1
                 && sscanf(argv[i + 1], "%lf,%lf", &k, &c) == 2 && k >= 0)
            i++;
        else
            return usage();
    }
    return i == argc - 1 ? load(argv[i], inspect, k, c) : usage();
}

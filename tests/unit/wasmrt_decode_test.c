/* wasmrt_decode_test.c - tests of wasmrt's decoder (decode.c) and of
 * linking and instantiation (instance.c).
 *
 * Malformed and invalid modules are hand-written byte arrays, one class
 * per row of bad_modules[], each with the exact message and byte offset
 * wasmrt must report.  Larger modules for inspection and linking are put
 * together with a small builder (wb_*), section sizes as padded 5-byte
 * LEB128s (legal, and easy to patch).
 *
 * wr_module_inspect must fail exactly as wr_module_load on every bad
 * module, and give the same view of a good one.  A br_table with more
 * than 256 distinct targets checks the wide table (compile.c, BR_TABLE).
 *
 * The spec suite covers the rest (tests/spec/, binary.wast and the
 * assert_invalid / assert_unlinkable / assert_uninstantiable cases).
 */
#include "tests/unit/wh_test.h"

#include "wasmrt/internal.h"

/* --- a byte builder ---------------------------------------------------------- */

typedef struct wb {
    uint8_t b[4096];
    size_t  n;
    size_t  sec;                 /* where the open section's size goes */
} wb;

static void wb_byte(wb *w, uint8_t v)
{
    assert_true(w->n < sizeof w->b);
    w->b[w->n++] = v;
}

static void wb_bytes(wb *w, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        wb_byte(w, ((const uint8_t *)p)[i]);
}

static void wb_u32(wb *w, uint32_t v)
{
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        wb_byte(w, (uint8_t)(b | (v ? 0x80 : 0)));
    } while (v);
}

static void wb_str(wb *w, const char *s, size_t n)
{
    wb_u32(w, (uint32_t)n);
    wb_bytes(w, s, n);
}

#define WB_NAME(w, lit) wb_str(w, lit, sizeof lit - 1)

static void wb_header(wb *w)
{
    static const uint8_t h[] = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
    w->n = 0;
    wb_bytes(w, h, sizeof h);
}

static void wb_begin(wb *w, uint8_t id)
{
    wb_byte(w, id);
    w->sec = w->n;
    for (int i = 0; i < 5; i++)
        wb_byte(w, 0);
}

static void wb_end(wb *w)
{
    uint32_t size = (uint32_t)(w->n - w->sec - 5);
    for (int i = 0; i < 5; i++)
        w->b[w->sec + i] = (uint8_t)(((size >> (7 * i)) & 0x7f) | (i < 4 ? 0x80 : 0));
}

/* --- malformed and invalid modules --------------------------------------------- */

#define HDR 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00
#define TYPE0 0x01, 0x04, 0x01, 0x60, 0x00, 0x00     /* () -> () at 8..13 */
#define FUNC0 0x03, 0x02, 0x01, 0x00                 /* one func, type 0 */
#define CODE0 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b     /* its empty body */
#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, \
                   sizeof((const uint8_t[]){ __VA_ARGS__ })

typedef struct bad_module {
    const char    *what;
    const uint8_t *bytes;
    size_t         len;
    int            kind;
    long long      offset;
    const char    *msg;
} bad_module;

#define M WR_ERR_MALFORMED
#define I WR_ERR_INVALID

static const bad_module bad_modules[] = {
    { "one byte", BYTES(0x00), M, 1, "unexpected end" },
    { "magic only", BYTES(0x00, 0x61, 0x73, 0x6d), M, 4, "unexpected end" },
    { "bad magic", BYTES(0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0), M, 0,
      "magic header not detected" },
    { "version 2", BYTES(0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0), M, 4,
      "unknown binary version" },
    { "section id 13", BYTES(HDR, 0x0d, 0x00), M, 8, "malformed section id" },
    { "section without size", BYTES(HDR, 0x01), M, 9, "unexpected end" },
    { "type section twice", BYTES(HDR, TYPE0, FUNC0, 0x01, 0x01, 0x00), M, 18,
      "unexpected content after last section" },
    { "datacount after code", BYTES(HDR, TYPE0, FUNC0, CODE0, 0x0c, 0x01, 0x00),
      M, 24, "unexpected content after last section" },
    { "byte left in section", BYTES(HDR, 0x01, 0x05, 0x01, 0x60, 0, 0, 0x00),
      M, 10, "section size mismatch" },
    { "section beyond the end", BYTES(HDR, 0x01, 0x10, 0x00), M, 9,
      "length out of bounds" },
    { "count in 6 bytes",
      BYTES(HDR, 0x01, 0x06, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00), M, 14,
      "integer representation too long" },
    { "memory min with bits past 32",
      BYTES(HDR, 0x05, 0x07, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x70), M, 16,
      "integer too large" },
    { "limits flags 2", BYTES(HDR, 0x05, 0x03, 0x01, 0x02, 0x00), M, 11,
      "integer too large" },
    { "limits flags in 2 bytes", BYTES(HDR, 0x05, 0x04, 0x01, 0x81, 0x00, 0x00),
      M, 11, "integer representation too long" },
    { "v128 parameter", BYTES(HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7b, 0x00),
      M, 13, "malformed value type" },
    { "import kind 4", BYTES(HDR, 0x02, 0x04, 0x01, 0x00, 0x00, 0x04), M, 13,
      "malformed import kind" },
    { "export kind 4", BYTES(HDR, 0x07, 0x04, 0x01, 0x00, 0x04, 0x00), M, 12,
      "malformed export kind" },
    { "mutability 2",
      BYTES(HDR, 0x06, 0x06, 0x01, 0x7f, 0x02, 0x41, 0x00, 0x0b), M, 12,
      "malformed mutability" },
    { "table of i32", BYTES(HDR, 0x04, 0x04, 0x01, 0x7f, 0x00, 0x00), M, 11,
      "malformed reference type" },
    { "overlong UTF-8 in a custom name",
      BYTES(HDR, 0x00, 0x03, 0x02, 0xc0, 0x80), M, 11,
      "malformed UTF-8 encoding" },
    { "surrogate in an import name",
      BYTES(HDR, 0x02, 0x08, 0x01, 0x03, 0xed, 0xa0, 0x80, 0x00, 0x00, 0x00),
      M, 12, "malformed UTF-8 encoding" },
    { "custom name beyond the section",
      BYTES(HDR, 0x00, 0x01, 0x05, 0x61, 0x62), M, 10,
      "length out of bounds" },
    { "custom section without a name", BYTES(HDR, 0x00, 0x00, 0x00, 0x01),
      M, 10, "unexpected end of section or function" },
    { "functions without code", BYTES(HDR, TYPE0, FUNC0), M, 18,
      "function and code section have inconsistent lengths" },
    { "code count 0", BYTES(HDR, TYPE0, FUNC0, 0x0a, 0x01, 0x00), M, 20,
      "function and code section have inconsistent lengths" },
    { "datacount without data", BYTES(HDR, 0x0c, 0x01, 0x01), M, 11,
      "data count and data section have inconsistent lengths" },
    { "datacount 2, one segment",
      BYTES(HDR, 0x05, 0x03, 0x01, 0x00, 0x01, 0x0c, 0x01, 0x02,
            0x0b, 0x04, 0x01, 0x01, 0x01, 0x61), M, 18,
      "data count and data section have inconsistent lengths" },
    { "65535 locals",
      BYTES(HDR, TYPE0, FUNC0, 0x0a, 0x08, 0x01, 0x06, 0x01, 0xff, 0xff, 0x03,
            0x7f, 0x0b), M, 22, "too many locals" },
    { "data segment kind 3",
      BYTES(HDR, 0x0b, 0x03, 0x01, 0x03, 0x00), M, 11,
      "malformed data segment kind" },
    { "element kind 1", BYTES(HDR, TYPE0, FUNC0, 0x09, 0x04, 0x01, 0x01, 0x01,
                              0x00, CODE0), M, 22, "malformed element kind" },
    { "illegal opcode in a global",
      BYTES(HDR, 0x06, 0x05, 0x01, 0x7f, 0x00, 0xf3, 0x0b), M, 13,
      "illegal opcode" },
    { "global initializer without end",
      BYTES(HDR, 0x06, 0x05, 0x01, 0x7f, 0x00, 0x41, 0x00), M, 15,
      "unexpected end of section or function" },

    { "unknown type", BYTES(HDR, TYPE0, 0x03, 0x02, 0x01, 0x01, CODE0), I, 17,
      "unknown type 1" },
    { "import of unknown type",
      BYTES(HDR, 0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00), I, 14,
      "unknown type 0" },
    { "export of unknown function",
      BYTES(HDR, 0x07, 0x05, 0x01, 0x01, 0x61, 0x00, 0x00), I, 13,
      "unknown function 0" },
    { "export of unknown global",
      BYTES(HDR, 0x07, 0x05, 0x01, 0x01, 0x61, 0x03, 0x02), I, 13,
      "unknown global 2" },
    { "duplicate export",
      BYTES(HDR, 0x05, 0x03, 0x01, 0x00, 0x00, 0x07, 0x09, 0x02,
            0x01, 0x61, 0x02, 0x00, 0x01, 0x61, 0x02, 0x00), I, 15,
      "duplicate export name" },
    { "two memories", BYTES(HDR, 0x05, 0x05, 0x02, 0, 0, 0, 0), I, 13,
      "multiple memories" },
    { "memory of 65537 pages",
      BYTES(HDR, 0x05, 0x05, 0x01, 0x00, 0x81, 0x80, 0x04), I, 11,
      "memory size must be at most 65536 pages (4GiB)" },
    { "memory min > max", BYTES(HDR, 0x05, 0x04, 0x01, 0x01, 0x02, 0x01), I, 11,
      "size minimum must not be greater than maximum" },
    { "table min > max", BYTES(HDR, 0x04, 0x05, 0x01, 0x70, 0x01, 0x02, 0x01),
      I, 11, "size minimum must not be greater than maximum" },
    { "start with a parameter",
      BYTES(HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00, FUNC0,
            0x08, 0x01, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b), I, 21,
      "start function" },
    { "start of unknown function", BYTES(HDR, 0x08, 0x01, 0x03), I, 10,
      "unknown function 3" },
    { "i32.add in a global",
      BYTES(HDR, 0x06, 0x09, 0x01, 0x7f, 0x00, 0x41, 0x00, 0x41, 0x00, 0x6a,
            0x0b), I, 17, "constant expression required" },
    { "i64 for an i32 global",
      BYTES(HDR, 0x06, 0x06, 0x01, 0x7f, 0x00, 0x42, 0x00, 0x0b), I, 13,
      "type mismatch" },
    { "two constants", BYTES(HDR, 0x06, 0x08, 0x01, 0x7f, 0x00, 0x41, 0x00,
                             0x41, 0x00, 0x0b), I, 13, "type mismatch" },
    { "empty initializer", BYTES(HDR, 0x06, 0x04, 0x01, 0x7f, 0x00, 0x0b), I,
      13, "type mismatch" },
    { "global.get of a defined global",
      BYTES(HDR, 0x06, 0x0b, 0x02, 0x7f, 0x00, 0x41, 0x00, 0x0b,
            0x7f, 0x00, 0x23, 0x00, 0x0b), I, 18, "unknown global 0" },
    { "global.get of a mutable import",
      BYTES(HDR, 0x02, 0x07, 0x01, 0x00, 0x01, 0x67, 0x03, 0x7f, 0x01,
            0x06, 0x06, 0x01, 0x7f, 0x00, 0x23, 0x00, 0x0b), I, 22,
      "constant expression required" },
    { "funcref segment for an externref table",
      BYTES(HDR, TYPE0, FUNC0, 0x04, 0x04, 0x01, 0x6f, 0x00, 0x01,
            0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00, CODE0), I, 27,
      "type mismatch" },
    { "element of unknown function",
      BYTES(HDR, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01,
            0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x05), I, 22,
      "unknown function 5" },
    { "segment for unknown table",
      BYTES(HDR, 0x09, 0x06, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x00), I, 11,
      "unknown table 0" },
    { "data for unknown memory",
      BYTES(HDR, 0x0b, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x61), I, 11,
      "unknown memory 0" },
    { "ref.func of unknown function in a global",
      BYTES(HDR, 0x06, 0x06, 0x01, 0x70, 0x00, 0xd2, 0x00, 0x0b), I, 13,
      "unknown function 0" },
    /* Format errors win over validation errors that come earlier. */
    { "invalid, then malformed",
      BYTES(HDR, 0x05, 0x05, 0x02, 0, 0, 0, 0, 0x0d, 0x00), M, 15,
      "malformed section id" },
};

/* One case per row, counted as such (wh_test_report). */
static void test_bad_modules(void **state)
{
    (void)state;
    int failed = 0, n = (int)(sizeof bad_modules / sizeof bad_modules[0]);
    for (int i = 0; i < n; i++) {
        const bad_module *c = &bad_modules[i];
        wr_error err, ierr;
        wr_module *m = wr_module_load(c->bytes, c->len, &err);
        wr_module *im = wr_module_inspect(c->bytes, c->len, &ierr);
        if (im || ierr.kind != err.kind || ierr.offset != err.offset
            || strcmp(ierr.msg, err.msg) != 0) {
            printf("FAIL %s: wr_module_inspect differs: \"%s\"\n", c->what,
                   im ? "loaded" : ierr.msg);
            wr_module_free(im);
            failed++;
        } else if (m) {
            printf("FAIL %s: loaded\n", c->what);
            wr_module_free(m);
            failed++;
        } else if (err.kind != c->kind || err.offset != c->offset
                   || strcmp(err.msg, c->msg) != 0) {
            printf("FAIL %s: kind %d offset %lld \"%s\", want %d %lld \"%s\"\n",
                   c->what, err.kind, err.offset, err.msg, c->kind, c->offset,
                   c->msg);
            failed++;
        }
    }
    wh_test_report("wasmrt_decode_bad_modules", n - failed, failed);
    assert_int_equal(failed, 0);
}

static void test_empty_input(void **state)
{
    (void)state;
    wr_error err;
    assert_null(wr_module_load("", 0, &err));
    assert_int_equal(err.kind, WR_ERR_MALFORMED);
    assert_string_equal(err.msg, "unexpected end");
    char buf[64];
    assert_string_equal(wr_error_format(&err, buf, sizeof buf),
                        "offset 0x0: unexpected end");
    /* NULL err is allowed. */
    assert_null(wr_module_load("\0asm", 4, NULL));
}

/* Every prefix of a good module fails cleanly (no crash, no leak). */
static void test_truncations(void **state)
{
    (void)state;
    static const uint8_t good[] = {
        HDR, TYPE0, FUNC0, 0x05, 0x03, 0x01, 0x00, 0x01,
        0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, CODE0,
        0x0b, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x61,
    };
    wr_error err;
    wr_module *m = wr_module_load(good, sizeof good, &err);
    assert_non_null(m);
    wr_module_free(m);
    for (size_t n = 0; n < sizeof good; n++) {
        if (n == 8 || n == 14 || n == 18 || n == 23 || n == 30 || n == 36)
            continue;          /* ends between sections: may be valid */
        m = wr_module_load(good, n, &err);
        if (m)
            printf("prefix %zu loaded\n", n);
        assert_null(m);
        assert_int_equal(err.kind, WR_ERR_MALFORMED);
    }
}

/* --- a module to inspect and link ------------------------------------------------- */

/* types: 0 (i32, i64) -> (f32), 1 () -> ()
 * imports: env.f func 0, env.t table funcref 1..10, env.m memory 1..,
 *          env.g global mut i32
 * one function of type 0 (body f32.const 0), exported as "run"
 * exports "mem" memory 0, "tab" table 0, "\0x" global 0
 * custom sections "first" (before the types) and "last" (at the end) */
static void build_inspect(wb *w)
{
    wb_header(w);
    wb_begin(w, 0); WB_NAME(w, "first"); wb_byte(w, 0xaa); wb_end(w);
    wb_begin(w, 1);
    wb_u32(w, 2);
    wb_byte(w, 0x60); wb_u32(w, 2); wb_byte(w, WR_I32); wb_byte(w, WR_I64);
    wb_u32(w, 1); wb_byte(w, WR_F32);
    wb_byte(w, 0x60); wb_u32(w, 0); wb_u32(w, 0);
    wb_end(w);
    wb_begin(w, 2);
    wb_u32(w, 4);
    WB_NAME(w, "env"); WB_NAME(w, "f"); wb_byte(w, 0); wb_u32(w, 0);
    WB_NAME(w, "env"); WB_NAME(w, "t"); wb_byte(w, 1); wb_byte(w, 0x70);
    wb_byte(w, 1); wb_u32(w, 1); wb_u32(w, 10);
    WB_NAME(w, "env"); WB_NAME(w, "m"); wb_byte(w, 2); wb_byte(w, 0);
    wb_u32(w, 1);
    WB_NAME(w, "env"); WB_NAME(w, "g"); wb_byte(w, 3); wb_byte(w, 0x7f);
    wb_byte(w, 1);
    wb_end(w);
    wb_begin(w, 3); wb_u32(w, 1); wb_u32(w, 0); wb_end(w);
    wb_begin(w, 7);
    wb_u32(w, 4);
    WB_NAME(w, "run"); wb_byte(w, 0); wb_u32(w, 1);
    WB_NAME(w, "mem"); wb_byte(w, 2); wb_u32(w, 0);
    WB_NAME(w, "tab"); wb_byte(w, 1); wb_u32(w, 0);
    wb_str(w, "\0x", 2); wb_byte(w, 3); wb_u32(w, 0);
    wb_end(w);
    wb_begin(w, 10);
    wb_u32(w, 1);
    wb_u32(w, 7); wb_u32(w, 0); wb_byte(w, 0x43); wb_bytes(w, "\0\0\0\0", 4);
    wb_byte(w, 0x0b);
    wb_end(w);
    wb_begin(w, 0); WB_NAME(w, "last"); wb_end(w);
}

static void test_inspect(void **state)
{
    (void)state;
    wb w;
    build_inspect(&w);
    wr_error err;
    wr_module *m = wr_module_load(w.b, w.n, &err);
    if (!m)
        printf("load: %s at %lld\n", err.msg, err.offset);
    assert_non_null(m);

    assert_int_equal(wr_module_import_count(m), 4);
    wr_import_info ii;
    wr_module_import(m, 0, &ii);
    assert_string_equal(ii.module, "env");
    assert_string_equal(ii.name, "f");
    assert_int_equal(ii.type.kind, WR_EXTERN_FUNC);
    assert_int_equal(ii.type.func.nparams, 2);
    assert_int_equal(ii.type.func.params[1], WR_I64);
    assert_int_equal(ii.type.func.nresults, 1);
    assert_int_equal(ii.type.func.results[0], WR_F32);
    wr_module_import(m, 1, &ii);
    assert_int_equal(ii.type.kind, WR_EXTERN_TABLE);
    assert_int_equal(ii.type.elem, WR_FUNCREF);
    assert_int_equal(ii.type.limits.min, 1);
    assert_int_equal(ii.type.limits.max, 10);
    assert_true(ii.type.limits.has_max);
    wr_module_import(m, 2, &ii);
    assert_int_equal(ii.type.kind, WR_EXTERN_MEMORY);
    assert_int_equal(ii.type.limits.min, 1);
    assert_false(ii.type.limits.has_max);
    wr_module_import(m, 3, &ii);
    assert_int_equal(ii.type.kind, WR_EXTERN_GLOBAL);
    assert_int_equal(ii.type.global, WR_I32);
    assert_true(ii.type.mutable_);

    assert_int_equal(wr_module_export_count(m), 4);
    wr_export_info ei;
    wr_module_export(m, 0, &ei);
    assert_string_equal(ei.name, "run");
    assert_int_equal(ei.type.kind, WR_EXTERN_FUNC);
    assert_int_equal(ei.type.func.nresults, 1);
    wr_module_export(m, 3, &ei);
    assert_int_equal(ei.name_len, 2);
    assert_memory_equal(ei.name, "\0x", 2);
    assert_int_equal(ei.type.kind, WR_EXTERN_GLOBAL);

    assert_int_equal(wr_module_custom_count(m), 2);
    assert_string_equal(wr_module_custom_name(m, 0), "first");
    assert_string_equal(wr_module_custom_name(m, 1), "last");
    assert_null(wr_module_custom_name(m, 2));

    /* Whole index spaces, imports first. */
    wr_externtype et;
    assert_int_equal(wr_module_count(m, WR_EXTERN_FUNC), 2);
    assert_int_equal(wr_module_count(m, WR_EXTERN_MEMORY), 1);
    assert_int_equal(wr_module_entity(m, WR_EXTERN_FUNC, 1, &et), 0);
    assert_int_equal(et.kind, WR_EXTERN_FUNC);
    assert_int_equal(et.func.nparams, 2);
    assert_int_equal(wr_module_entity(m, WR_EXTERN_TABLE, 0, &et), 0);
    assert_int_equal(et.limits.max, 10);
    assert_int_equal(wr_module_entity(m, WR_EXTERN_GLOBAL, 1, &et), -1);

    /* The internal view: C.refs holds the exported function. */
    assert_int_equal(m->nfuncs, 2);
    assert_int_equal(m->nfunc_imports, 1);
    assert_true(m->func_declared[0] & 2);
    assert_false(m->func_declared[0] & 1);
    assert_non_null(m->code[0]);            /* function 1, compiled */
    wr_module_free(m);
}

/* wr_module_inspect: the same view without code or a copy of the bytes
 * (the caller's may change right after), and no instance of it. */
static void test_inspect_only(void **state)
{
    (void)state;
    wb w;
    build_inspect(&w);
    wr_error err;
    wr_module *m = wr_module_inspect(w.b, w.n, &err);
    assert_non_null(m);
    memset(w.b, 0, sizeof w.b);
    assert_null(m->bytes);
    assert_null(m->code);

    wr_import_info ii;
    wr_module_import(m, 3, &ii);
    assert_string_equal(ii.module, "env");
    assert_string_equal(ii.name, "g");
    assert_int_equal(ii.type.kind, WR_EXTERN_GLOBAL);
    assert_true(ii.type.mutable_);
    wr_export_info ei;
    wr_module_export(m, 3, &ei);
    assert_int_equal(ei.name_len, 2);
    assert_memory_equal(ei.name, "\0x", 2);
    wr_module_export(m, 0, &ei);
    assert_string_equal(ei.name, "run");
    assert_int_equal(ei.type.func.params[0], WR_I32);
    assert_string_equal(wr_module_custom_name(m, 1), "last");

    wr_store *s = wr_store_new();
    assert_null(wr_instantiate(s, m, NULL, NULL, &err));
    assert_int_equal(err.kind, WR_ERR_USAGE);
    assert_string_equal(err.msg, "module loaded for inspection only");
    wr_store_free(s);
    wr_module_free(m);
}

/* A br_table over 260 nested blocks, more than a byte can number: label
 * i is block i (from the inside), the default the outermost; after the
 * end of block i comes `return 1000 + i` (plus the carried 7 when the
 * blocks have a result, which the table's stubs move into place). */
#define WIDE 260
static void build_wide(wb *w, bool values)
{
    wb_header(w);
    wb_begin(w, 1);
    wb_u32(w, 1);
    wb_byte(w, 0x60); wb_u32(w, 1); wb_byte(w, WR_I32);
    wb_u32(w, 1); wb_byte(w, WR_I32);
    wb_end(w);
    wb_begin(w, 3); wb_u32(w, 1); wb_u32(w, 0); wb_end(w);
    wb_begin(w, 7); wb_u32(w, 1); WB_NAME(w, "f"); wb_byte(w, 0);
    wb_u32(w, 0); wb_end(w);
    wb_begin(w, 10);
    wb_u32(w, 1);
    size_t size_at = w->n;
    wb_bytes(w, "\x80\x80\x80\x80\x00", 5);     /* the body size, below */
    size_t body = w->n;
    wb_byte(w, 0);                               /* no locals */
    for (int i = 0; i < WIDE; i++) {
        wb_byte(w, 0x02);
        wb_byte(w, values ? WR_I32 : 0x40);
    }
    if (values) {
        wb_byte(w, 0x41); wb_u32(w, 7);
    }
    wb_byte(w, 0x20); wb_u32(w, 0);              /* local.get 0 */
    wb_byte(w, 0x0e); wb_u32(w, WIDE);
    for (int i = 0; i < WIDE; i++)
        wb_u32(w, (uint32_t)i);
    wb_u32(w, WIDE - 1);
    for (int i = 0; i < WIDE; i++) {
        wb_byte(w, 0x0b);
        wb_byte(w, 0x41); wb_u32(w, 1000u + (uint32_t)i);
        if (values)
            wb_byte(w, 0x6a);                    /* i32.add */
        wb_byte(w, 0x0f);
    }
    wb_byte(w, 0x0b);
    uint32_t size = (uint32_t)(w->n - body);
    for (int i = 0; i < 5; i++)
        w->b[size_at + i] = (uint8_t)(((size >> (7 * i)) & 0x7f) | (i < 4 ? 0x80 : 0));
    wb_end(w);
}

static int32_t call_wide(wr_instance *inst, int32_t arg)
{
    wr_value a = { .type = WR_I32, .of.i32 = arg }, r;
    wr_error err;
    assert_int_equal(wr_call(inst, "f", &a, 1, &r, 1, &err), 0);
    return r.of.i32;
}

static void test_br_table_wide(void **state)
{
    (void)state;
    wr_store *s = wr_store_new();
    for (int values = 0; values < 2; values++) {
        wb w;
        build_wide(&w, values);
        wr_error err;
        wr_module *m = wr_module_load(w.b, w.n, &err);
        if (!m)
            printf("load: %s at %lld\n", err.msg, err.offset);
        assert_non_null(m);
        wr_instance *inst = wr_instantiate(s, m, NULL, NULL, &err);
        wr_module_free(m);
        assert_non_null(inst);
        int32_t extra = values ? 7 : 0;
        assert_int_equal(call_wide(inst, 0), 1000 + extra);
        assert_int_equal(call_wide(inst, 1), 1001 + extra);
        assert_int_equal(call_wide(inst, 255), 1255 + extra);
        assert_int_equal(call_wide(inst, 256), 1256 + extra);
        assert_int_equal(call_wide(inst, WIDE - 1), 1000 + WIDE - 1 + extra);
        assert_int_equal(call_wide(inst, WIDE), 1000 + WIDE - 1 + extra);
        assert_int_equal(call_wide(inst, -1), 1000 + WIDE - 1 + extra);
    }
    wr_store_free(s);
}

static int host_nop(wr_caller *c, void *user, const wr_value *args,
                    wr_value *results)
{
    (void)c, (void)args;
    if (user)
        ++*(int *)user;
    results[0].type = WR_F32;
    results[0].of.f32 = 0;
    return 0;
}

static const wr_type f_params[] = { WR_I32, WR_I64 };
static const wr_type f_results[] = { WR_F32 };

/* The externs build_inspect's module wants, with some changed to fail. */
typedef struct env {
    wr_store   *s;
    wr_imports *imp;
    wr_extern   f, t, m, g;
} env;

static void env_init(env *e)
{
    wr_error err;
    wr_functype ft = { 2, 1, f_params, f_results };
    e->s = wr_store_new();
    e->imp = wr_imports_new();
    assert_int_equal(wr_func_new(e->s, &ft, host_nop, NULL, &e->f, &err), 0);
    wr_limits_range tl = { 2, 5, 1 }, ml = { 1, 0, 0 };
    assert_int_equal(wr_table_new(e->s, WR_FUNCREF, tl, &e->t, &err), 0);
    assert_int_equal(wr_memory_new(e->s, ml, &e->m, &err), 0);
    wr_value v = { .type = WR_I32, .of.i32 = 42 };
    assert_int_equal(wr_global_new(e->s, WR_I32, 1, v, &e->g, &err), 0);
}

static void env_add(env *e, const char *name, wr_extern x)
{
    assert_int_equal(wr_imports_add(e->imp, "env", name, x, NULL), 0);
}

static void env_done(env *e)
{
    wr_imports_free(e->imp);
    wr_store_free(e->s);
}

static void expect_link_error(wr_module *m, env *e, const char *msg)
{
    wr_error err;
    assert_null(wr_instantiate(e->s, m, e->imp, NULL, &err));
    assert_int_equal(err.kind, WR_ERR_LINK);
    assert_string_equal(err.msg, msg);
}

static void test_link(void **state)
{
    (void)state;
    wb w;
    build_inspect(&w);
    wr_error err;
    wr_module *m = wr_module_load(w.b, w.n, &err);
    assert_non_null(m);
    env e;
    env_init(&e);

    expect_link_error(m, &e, "unknown import: env.f");
    env_add(&e, "f", e.g);
    expect_link_error(m, &e, "incompatible import type");
    wr_functype other = { 1, 1, f_params, f_results };
    wr_extern f2;
    assert_int_equal(wr_func_new(e.s, &other, host_nop, NULL, &f2, NULL), 0);
    env_add(&e, "f", f2);
    expect_link_error(m, &e, "incompatible import type");
    env_add(&e, "f", e.f);               /* replaces the earlier entries */
    expect_link_error(m, &e, "unknown import: env.t");

    /* Tables: at least 1 element, at most 10. */
    wr_extern t;
    wr_limits_range nomax = { 2, 0, 0 }, big = { 2, 11, 1 };
    assert_int_equal(wr_table_new(e.s, WR_FUNCREF, nomax, &t, NULL), 0);
    env_add(&e, "t", t);
    expect_link_error(m, &e, "incompatible import type");
    assert_int_equal(wr_table_new(e.s, WR_FUNCREF, big, &t, NULL), 0);
    env_add(&e, "t", t);
    expect_link_error(m, &e, "incompatible import type");
    wr_limits_range ok = { 1, 10, 1 };
    assert_int_equal(wr_table_new(e.s, WR_EXTERNREF, ok, &t, NULL), 0);
    env_add(&e, "t", t);
    expect_link_error(m, &e, "incompatible import type");
    env_add(&e, "t", e.t);

    /* Memory: at least one page; none is too few. */
    wr_extern mem0;
    wr_limits_range zero = { 0, 0, 0 };
    assert_int_equal(wr_memory_new(e.s, zero, &mem0, NULL), 0);
    env_add(&e, "m", mem0);
    expect_link_error(m, &e, "incompatible import type");
    env_add(&e, "m", e.m);

    /* Globals: mutability and type must be equal. */
    wr_extern g;
    wr_value v = { .type = WR_I32, .of.i32 = 1 };
    assert_int_equal(wr_global_new(e.s, WR_I32, 0, v, &g, NULL), 0);
    env_add(&e, "g", g);
    expect_link_error(m, &e, "incompatible import type");
    v.type = WR_I64;
    assert_int_equal(wr_global_new(e.s, WR_I64, 1, v, &g, NULL), 0);
    env_add(&e, "g", g);
    expect_link_error(m, &e, "incompatible import type");
    env_add(&e, "g", e.g);

    wr_instance *inst = wr_instantiate(e.s, m, e.imp, NULL, &err);
    if (!inst)
        printf("instantiate: %s\n", err.msg);
    assert_non_null(inst);
    wr_module_free(m);               /* the instance keeps it */

    wr_extern x;
    assert_int_equal(wr_instance_export(inst, "mem", &x), 0);
    assert_int_equal(x.kind, WR_EXTERN_MEMORY);
    assert_ptr_equal(x.obj, e.m.obj);
    assert_int_equal(wr_instance_export(inst, "nope", &x), -1);
    assert_int_equal(wr_instance_export(inst, "", &x), -1);
    assert_int_equal(wr_instance_export_n(inst, "\0x", 2, &x), 0);
    assert_int_equal(wr_global_get(x).of.i32, 42);
    assert_int_equal(wr_instance_export(inst, "run", &x), 0);
    const wr_functype *ft = wr_func_type(x);
    assert_int_equal(ft->nparams, 2);
    /* Equal types are one id in the store. */
    assert_int_equal(((wr_func *)x.obj)->type_id, ((wr_func *)e.f.obj)->type_id);

    uint64_t size;
    assert_ptr_equal(wr_instance_memory(inst, &size),
                     ((wr_memory *)e.m.obj)->data);
    assert_int_equal(size, 65536);

    /* Calls check their arguments before running anything. */
    wr_value args[2] = { { .type = WR_I32 }, { .type = WR_I32 } }, res[1];
    assert_int_not_equal(wr_call(inst, "run", args, 2, res, 1, &err), 0);
    assert_int_equal(err.kind, WR_ERR_USAGE);
    assert_int_not_equal(wr_call(inst, "run", args, 1, res, 1, &err), 0);
    assert_int_equal(err.kind, WR_ERR_USAGE);
    assert_int_not_equal(wr_call(inst, "nope", NULL, 0, NULL, 0, &err), 0);
    assert_int_equal(err.kind, WR_ERR_USAGE);
    assert_int_not_equal(wr_call(inst, "mem", NULL, 0, NULL, 0, &err), 0);
    assert_int_equal(err.kind, WR_ERR_USAGE);

    assert_int_equal(wr_instance_fuel(inst), UINT64_MAX);
    wr_instance_set_fuel(inst, 7);
    assert_int_equal(wr_instance_fuel(inst), 7);
    env_done(&e);
}

/* --- segments, limits, growth -------------------------------------------------------- */

/* A module importing env.m (memory, min 1) and env.t (table funcref, min 2)
 * with one function; data "hi" at 0 then "xyz" at data_at; element
 * [func] at 0 then [func] at elem_at. */
static void build_segments(wb *w, uint32_t data_at, uint32_t elem_at)
{
    wb_header(w);
    wb_begin(w, 1); wb_u32(w, 1); wb_byte(w, 0x60); wb_u32(w, 0); wb_u32(w, 0);
    wb_end(w);
    wb_begin(w, 2);
    wb_u32(w, 2);
    WB_NAME(w, "env"); WB_NAME(w, "m"); wb_byte(w, 2); wb_byte(w, 0);
    wb_u32(w, 1);
    WB_NAME(w, "env"); WB_NAME(w, "t"); wb_byte(w, 1); wb_byte(w, 0x70);
    wb_byte(w, 0); wb_u32(w, 2);
    wb_end(w);
    wb_begin(w, 3); wb_u32(w, 1); wb_u32(w, 0); wb_end(w);
    wb_begin(w, 9);
    wb_u32(w, 2);
    for (int i = 0; i < 2; i++) {
        wb_u32(w, 0); wb_byte(w, 0x41); wb_u32(w, i ? elem_at : 0);
        wb_byte(w, 0x0b); wb_u32(w, 1); wb_u32(w, 0);
    }
    wb_end(w);
    wb_begin(w, 10); wb_u32(w, 1); wb_u32(w, 2); wb_u32(w, 0); wb_byte(w, 0x0b);
    wb_end(w);
    wb_begin(w, 11);
    wb_u32(w, 2);
    wb_u32(w, 0); wb_byte(w, 0x41); wb_u32(w, 0); wb_byte(w, 0x0b);
    WB_NAME(w, "hi");
    wb_u32(w, 0); wb_byte(w, 0x41); wb_u32(w, data_at); wb_byte(w, 0x0b);
    WB_NAME(w, "xyz");
    wb_end(w);
}

static wr_instance *segments(env *e, uint32_t data_at, uint32_t elem_at,
                             wr_error *err)
{
    wb w;
    build_segments(&w, data_at, elem_at);
    wr_module *m = wr_module_load(w.b, w.n, err);
    assert_non_null(m);
    wr_instance *inst = wr_instantiate(e->s, m, e->imp, NULL, err);
    wr_module_free(m);
    return inst;
}

static void test_segments(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    env_add(&e, "m", e.m);
    env_add(&e, "t", e.t);
    wr_memory *mem = e.m.obj;
    wr_table *tab = e.t.obj;
    wr_error err;

    /* Elements out of bounds: a trap; the first segment stays written,
     * no data segment has run. */
    assert_null(segments(&e, 100, 2, &err));
    assert_int_equal(err.kind, WR_ERR_TRAP);
    assert_string_equal(err.msg, "out of bounds table access");
    assert_non_null((void *)(uintptr_t)tab->elems[0]);
    assert_int_equal(tab->elems[1], 0);
    assert_int_equal(mem->data[0], 0);

    /* Data out of bounds: "hi" is written, "xyz" is not. */
    assert_null(segments(&e, 65534, 1, &err));
    assert_int_equal(err.kind, WR_ERR_TRAP);
    assert_string_equal(err.msg, "out of bounds memory access");
    assert_memory_equal(mem->data, "hi", 2);
    assert_int_equal(mem->data[65534], 0);
    /* The function in the table is the failed instance's, still alive. */
    wr_func *f = (wr_func *)(uintptr_t)tab->elems[1];
    assert_non_null(f);
    assert_non_null(f->inst);

    /* At the very end both fit. */
    wr_instance *inst = segments(&e, 65533, 1, &err);
    assert_non_null(inst);
    assert_memory_equal(mem->data + 65533, "xyz", 3);
    /* Active segments are dropped after use. */
    assert_int_equal(inst->elems[0].count, 0);
    assert_int_equal(inst->datas[1].len, 0);
    env_done(&e);
}

/* A module with memory pages min..max (has_max) and table min..tmax. */
static wr_module *memory_module(uint32_t min, uint32_t max, int has_max)
{
    wb w;
    wb_header(&w);
    wb_begin(&w, 4); wb_u32(&w, 1); wb_byte(&w, 0x70); wb_byte(&w, 1);
    wb_u32(&w, 1); wb_u32(&w, 2); wb_end(&w);
    wb_begin(&w, 5); wb_u32(&w, 1); wb_byte(&w, (uint8_t)has_max);
    wb_u32(&w, min);
    if (has_max)
        wb_u32(&w, max);
    wb_end(&w);
    wr_error err;
    wr_module *m = wr_module_load(w.b, w.n, &err);
    assert_non_null(m);
    return m;
}

static void test_growth(void **state)
{
    (void)state;
    wr_store *s = wr_store_new();
    wr_error err;
    wr_limits lim = { .max_memory = 3 * 65536 + 100 };

    wr_module *m = memory_module(4, 0, 0);
    assert_null(wr_instantiate(s, m, NULL, &lim, &err));
    assert_int_equal(err.kind, WR_ERR_TRAP);
    assert_string_equal(err.msg, "memory limit exceeded");
    wr_module_free(m);

    m = memory_module(2, 0, 0);
    wr_instance *inst = wr_instantiate(s, m, NULL, &lim, &err);
    assert_non_null(inst);
    wr_memory *mem = inst->mems[0];
    assert_int_equal(wr_memory_grow(mem, 1), 2);
    assert_int_equal(mem->size, 3 * 65536);
    mem->data[3 * 65536 - 1] = 7;                /* accessible */
    assert_int_equal(wr_memory_grow(mem, 1), -1);  /* max_memory */
    assert_int_equal(wr_memory_grow(mem, 0), 3);
    assert_int_equal(inst->limits.max_call_depth, 10000);
    assert_int_equal(inst->limits.max_stack, 1u << 20);

    wr_table *t = inst->tables[0];
    assert_int_equal(wr_table_grow(t, 1, 5), 1);
    assert_int_equal(t->elems[1], 5);
    assert_int_equal(wr_table_grow(t, 1, 0), -1);
    wr_module_free(m);

    /* The type's max binds below max_memory. */
    m = memory_module(0, 1, 1);
    inst = wr_instantiate(s, m, NULL, NULL, &err);
    assert_non_null(inst);
    uint64_t size = 1;
    wr_instance_memory(inst, &size);
    assert_int_equal(size, 0);
    assert_int_equal(wr_memory_grow(inst->mems[0], 1), 0);
    assert_int_equal(wr_memory_grow(inst->mems[0], 1), -1);
    assert_int_equal(wr_memory_grow(inst->mems[0], UINT64_MAX), -1);
    wr_module_free(m);

    /* Host memories: their own max. */
    wr_extern hm;
    wr_limits_range r = { 1, 2, 1 }, bad = { 3, 2, 1 };
    assert_int_equal(wr_memory_new(s, r, &hm, &err), 0);
    assert_int_equal(wr_memory_grow(hm.obj, 1), 1);
    assert_int_equal(wr_memory_grow(hm.obj, 1), -1);
    assert_int_not_equal(wr_memory_new(s, bad, &hm, &err), 0);
    assert_int_equal(err.kind, WR_ERR_USAGE);
    wr_store_free(s);
}

static void test_caller(void **state)
{
    (void)state;
    wr_store *s = wr_store_new();
    wr_error err, cerr;
    wr_module *m = memory_module(1, 0, 0);
    wr_instance *inst = wr_instantiate(s, m, NULL, NULL, &err);
    wr_module_free(m);
    assert_non_null(inst);
    wr_caller c = { inst, &cerr };
    assert_int_equal(wr_caller_write(&c, 65532, "abcd", 4), 0);
    char buf[4];
    assert_int_equal(wr_caller_read(&c, 65532, buf, 4), 0);
    assert_memory_equal(buf, "abcd", 4);
    assert_int_equal(wr_caller_read(&c, 65533, buf, 4), -1);
    assert_int_equal(wr_caller_write(&c, UINT64_MAX, buf, 2), -1);
    assert_int_equal(wr_caller_read(&c, 65536, buf, 0), 0);
    uint64_t size;
    assert_non_null(wr_caller_memory(&c, &size));
    assert_int_equal(size, 65536);

    wr_caller none = { NULL, &cerr };
    assert_int_equal(wr_caller_read(&none, 0, buf, 1), -1);
    assert_null(wr_caller_memory(&none, &size));
    assert_int_equal(size, 0);

    assert_int_equal(wr_trap(&c, "boom"), -1);
    assert_int_equal(cerr.kind, WR_ERR_TRAP);
    assert_string_equal(cerr.msg, "boom");
    assert_int_equal(wr_exit(&c, 3), -1);
    assert_int_equal(cerr.kind, WR_ERR_EXIT);
    assert_int_equal(cerr.exit_code, 3);
    wr_store_free(s);
}

static void test_type_ids(void **state)
{
    (void)state;
    wr_store *s = wr_store_new();
    wr_type a[] = { WR_I32, WR_F64 }, b[] = { WR_I32, WR_F64 };
    wr_functype t1 = { 2, 0, a, NULL }, t2 = { 2, 0, b, NULL },
                t3 = { 1, 1, a, b + 1 }, t4 = { 0, 2, NULL, a };
    uint32_t id1 = wr_store_type_id(s, &t1);
    assert_int_equal(wr_store_type_id(s, &t2), id1);
    uint32_t id3 = wr_store_type_id(s, &t3);
    assert_int_not_equal(id3, id1);
    assert_int_not_equal(wr_store_type_id(s, &t4), id1);
    /* Many distinct types: the table grows and keeps the ids. */
    wr_type many[200];
    for (int i = 0; i < 200; i++)
        many[i] = WR_I64;
    for (uint32_t n = 1; n <= 200; n++) {
        wr_functype t = { n, 0, many, NULL };
        uint32_t id = wr_store_type_id(s, &t);
        assert_int_equal(wr_store_type_id(s, &t), id);
    }
    assert_int_equal(wr_store_type_id(s, &t1), id1);
    assert_int_equal(wr_store_type_id(s, &t3), id3);
    wr_store_free(s);
}

/* --- start functions and calls --------------------------------------------------- */

/* env.h: () -> () is the start function; "inc" (i32) -> (i32) adds 1;
 * "h" re-exports env.h. */
static void build_start(wb *w)
{
    wb_header(w);
    wb_begin(w, 1);
    wb_u32(w, 2);
    wb_byte(w, 0x60); wb_u32(w, 0); wb_u32(w, 0);
    wb_byte(w, 0x60); wb_u32(w, 1); wb_byte(w, WR_I32);
    wb_u32(w, 1); wb_byte(w, WR_I32);
    wb_end(w);
    wb_begin(w, 2); wb_u32(w, 1); WB_NAME(w, "env"); WB_NAME(w, "h");
    wb_byte(w, 0); wb_u32(w, 0); wb_end(w);
    wb_begin(w, 3); wb_u32(w, 1); wb_u32(w, 1); wb_end(w);
    wb_begin(w, 7); wb_u32(w, 2);
    WB_NAME(w, "inc"); wb_byte(w, 0); wb_u32(w, 1);
    WB_NAME(w, "h"); wb_byte(w, 0); wb_u32(w, 0);
    wb_end(w);
    wb_begin(w, 8); wb_u32(w, 0); wb_end(w);
    wb_begin(w, 10); wb_u32(w, 1);
    wb_u32(w, 7); wb_u32(w, 0);
    wb_byte(w, 0x20); wb_u32(w, 0); wb_byte(w, 0x41); wb_u32(w, 1);
    wb_byte(w, 0x6a); wb_byte(w, 0x0b);
    wb_end(w);
}

typedef struct start_host {
    int calls;
    int mode;            /* 0 count, 1 trap, 2 exit */
} start_host;

static int host_start(wr_caller *c, void *user, const wr_value *args,
                      wr_value *results)
{
    (void)args, (void)results;
    start_host *h = user;
    h->calls++;
    if (h->mode == 1)
        return wr_trap(c, "boom");
    if (h->mode == 2)
        return wr_exit(c, 7);
    return 0;
}

static wr_instance *start_with(wr_store *s, start_host *h, wr_error *err)
{
    wb w;
    build_start(&w);
    wr_module *m = wr_module_load(w.b, w.n, err);
    assert_non_null(m);
    wr_functype ft = { 0, 0, NULL, NULL };
    wr_extern f;
    assert_int_equal(wr_func_new(s, &ft, host_start, h, &f, NULL), 0);
    wr_imports *imp = wr_imports_new();
    assert_int_equal(wr_imports_add(imp, "env", "h", f, NULL), 0);
    wr_instance *inst = wr_instantiate(s, m, imp, NULL, err);
    wr_imports_free(imp);
    wr_module_free(m);
    return inst;
}

static void test_start_and_call(void **state)
{
    (void)state;
    wr_store *s = wr_store_new();
    wr_error err;
    start_host h = { 0, 0 };
    wr_instance *inst = start_with(s, &h, &err);
    assert_non_null(inst);
    assert_int_equal(h.calls, 1);

    wr_value arg = { .type = WR_I32, .of.i32 = 41 }, res = { .type = WR_I64 };
    assert_int_equal(wr_call(inst, "inc", &arg, 1, &res, 1, &err), 0);
    assert_int_equal(res.type, WR_I32);
    assert_int_equal(res.of.i32, 42);
    arg.of.i32 = -1;
    assert_int_equal(wr_call(inst, "inc", &arg, 1, NULL, 0, &err), 0);
    assert_int_equal(wr_call(inst, "h", NULL, 0, NULL, 0, &err), 0);
    assert_int_equal(h.calls, 2);

    start_host trap = { 0, 1 }, quit = { 0, 2 };
    assert_null(start_with(s, &trap, &err));
    assert_int_equal(err.kind, WR_ERR_TRAP);
    assert_string_equal(err.msg, "boom");
    assert_null(start_with(s, &quit, &err));
    assert_int_equal(err.kind, WR_ERR_EXIT);
    assert_int_equal(err.exit_code, 7);
    wr_store_free(s);
}

WH_TEST_MAIN("wasmrt_decode",
             cmocka_unit_test(test_bad_modules),
             cmocka_unit_test(test_empty_input),
             cmocka_unit_test(test_truncations),
             cmocka_unit_test(test_inspect),
             cmocka_unit_test(test_inspect_only),
             cmocka_unit_test(test_br_table_wide),
             cmocka_unit_test(test_link),
             cmocka_unit_test(test_segments),
             cmocka_unit_test(test_growth),
             cmocka_unit_test(test_caller),
             cmocka_unit_test(test_type_ids),
             cmocka_unit_test(test_start_and_call))

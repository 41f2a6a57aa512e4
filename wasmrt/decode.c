/* decode.c - the WebAssembly 2.0 binary format (without SIMD) into a
 * wr_module, with module-level validation.
 *
 * This is the implementation of wr_module_load, wr_module_inspect and the
 * module inspection functions.  Loading runs three steps:
 *
 *   1. decode every section in order (custom sections anywhere), checking
 *      the format and, as each index or type becomes known, the module-
 *      level rules of spec §3.4: indices, limits, constant expressions,
 *      segments, start, duplicate exports, C.refs (m->func_declared);
 *   2. report the first problem: a malformed binary wins over an invalid
 *      module, because the reference interpreter decodes the whole binary
 *      before validating and the spec tests' messages follow it.  So a
 *      validation failure is kept in dec->inv and decoding goes on; only
 *      a format error stops it at once;
 *   3. validate each function body and, for wr_module_load, compile it
 *      (wr_compile_module).
 *
 * Reading follows the reference interpreter too: one cursor over the
 * whole binary (section contents are not cut off at the section's end:
 * an overrun is caught after the section as "section size mismatch"), and
 * lengths are checked against the bytes left (wr_read_len).
 *
 * MEMORY.  Whatever the input, a module costs at most a few times its
 * size (internal.h, docs/wasmrt.md "Memory"):
 *   - every count is at most the bytes left, and every record is at most
 *     four times the bytes its encoding takes at the least (a function
 *     type 8 bytes for 3, an import 8 for 4, a table 12 for 3, ...);
 *   - arrays are allocated to their final size: sections that add to an
 *     index space are counted first (scan_imports, scan_types,
 *     scan_export_names), so nothing is doubled on the way;
 *   - names are copied into one pool, with a NUL after each (the public
 *     API hands out C strings), never more bytes than their encoding;
 *   - what instantiation alone needs is read again from the bytes then
 *     (segments: wr_elem_segment, wr_data_segment), and locals when their
 *     function is compiled; declared locals are capped (WR_MAX_LOCALS per
 *     function, WR_MAX_TOTAL_LOCALS per module), which bounds the time
 *     compilation spends on them, since a few bytes declare 50000;
 *   - wr_module_inspect reads the caller's bytes in place and keeps no
 *     copy.
 * Nothing recurses.  Every error path frees what was built
 * (module_destroy takes partial modules).
 *
 * Tests: tests/unit/wasmrt_decode_test.c; the spec suite (binary.wast,
 * binary-leb128.wast, custom.wast, the assert_invalid cases) through
 * tests/spec/; tests/cli/t0015-wasmrt-memory.sh (the memory bound).
 */
#include "internal.h"
#include "reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WR_MAX_LOCALS        50000u      /* per function */
#define WR_MAX_TOTAL_LOCALS  (1u << 24)  /* per module */

enum { SEC_CUSTOM, SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY,
       SEC_GLOBAL, SEC_EXPORT, SEC_START, SEC_ELEMENT, SEC_CODE, SEC_DATA,
       SEC_DATACOUNT, SEC_COUNT };

/* Position of each section id in the required order (datacount comes
 * between element and code). */
static const uint8_t section_rank[SEC_COUNT] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10,
};

typedef struct wr_decoder {
    wr_module *m;
    wr_reader  r;              /* over the whole binary */
    wr_error  *err;            /* where format errors go */
    wr_error   inv;            /* the first validation error */
    bool       invalid;
    uint32_t   nfunc_defs;     /* entries of the function section */
    bool       seen_code;
    uint32_t   code_at;        /* the code section's first body size */
    uint64_t   total_locals;
    uint32_t   cap_funcs, cap_tables, cap_globals, cap_customs;
    uint32_t   npool, cap_pool;        /* type_pool use while decoding */
    uint32_t   nnames, cap_names;      /* the name pool's */
    long long  mem2_at;                /* offset of a second memory, or -1 */
} wr_decoder;

/* --- small helpers ------------------------------------------------------- */

/* Both return -1 themselves (see wr_read_fail). */
static int nomem(wr_decoder *d)
{
    wr_fail(d->err, WR_ERR_NOMEM, -1, "out of memory");
    return -1;
}

static int malformed(wr_decoder *d, long long at, const char *msg)
{
    wr_fail(d->err, WR_ERR_MALFORMED, at, "%s", msg);
    return -1;
}

/* Record a validation error (only the first counts) and keep decoding. */
static void invalid(wr_decoder *d, long long at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void invalid(wr_decoder *d, long long at, const char *fmt, ...)
{
    if (d->invalid)
        return;
    d->invalid = true;
    char msg[sizeof d->inv.msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wr_fail(&d->inv, WR_ERR_INVALID, at, "%s", msg);
}

/* Make room for need elements in *arr of capacity *cap: exactly need
 * when exact (the final size is known), else at least double. */
static int grow(void **arr, uint32_t *cap, uint64_t need, size_t elsize,
                bool exact)
{
    if (need <= *cap)
        return 0;
    uint64_t n = exact ? need : *cap ? (uint64_t)*cap * 2 : 8;
    if (n < need)
        n = need;
    if (n > UINT32_MAX)
        return -1;
    void *p = realloc(*arr, (size_t)n * elsize);
    if (!p)
        return -1;
    memset((char *)p + (size_t)*cap * elsize, 0, (size_t)(n - *cap) * elsize);
    *arr = p;
    *cap = (uint32_t)n;
    return 0;
}

/* Bytes a name of len bytes takes in the pool: LEB128 length, bytes,
 * NUL; never more than its encoding in the binary plus one. */
static uint64_t pool_size(uint32_t len, bool with_len)
{
    unsigned leb = 1;
    for (uint32_t v = len; v >= 0x80; v >>= 7)
        leb++;
    return (with_len ? leb : 0) + (uint64_t)len + 1;
}

/* Add a name to the pool; returns its offset, or UINT32_MAX when out of
 * memory.  The pool grows by doubling unless room was reserved. */
static uint32_t pool_add(wr_decoder *d, const uint8_t *s, uint32_t len,
                         bool with_len)
{
    uint64_t need = (uint64_t)d->nnames + pool_size(len, with_len);
    if (grow((void **)&d->m->names, &d->cap_names, need, 1, false))
        return UINT32_MAX;
    uint32_t at = d->nnames;
    char *p = d->m->names + at;
    if (with_len) {
        uint32_t v = len;
        do {
            *p++ = (char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
            v >>= 7;
        } while (v);
    }
    memcpy(p, s, len);
    p[len] = 0;
    d->nnames = (uint32_t)need;
    return at;
}

wr_name wr_pool_name(const wr_module *m, uint32_t at)
{
    const uint8_t *p = (const uint8_t *)m->names + at;
    wr_name n = { NULL, 0 };
    unsigned shift = 0;
    uint8_t b;
    do {
        b = *p++;
        n.len |= (uint32_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    n.s = (const char *)p;
    return n;
}

void wr_import_names(const wr_module *m, const wr_import *imp,
                     wr_name *module, wr_name *name)
{
    *module = wr_pool_name(m, imp->names);
    *name = wr_pool_name(m, (uint32_t)(module->s + module->len + 1 - m->names));
}

static int is_numtype(uint8_t b)
{
    return b == WR_I32 || b == WR_I64 || b == WR_F32 || b == WR_F64;
}

static int is_reftype(uint8_t b)
{
    return b == WR_FUNCREF || b == WR_EXTERNREF;
}

static int read_valtype(wr_decoder *d, wr_type *t)
{
    uint8_t b;
    if (wr_read_u8(&d->r, &b, d->err))
        return -1;
    if (!is_numtype(b) && !is_reftype(b))
        return malformed(d, wr_reader_offset(&d->r) - 1,
                         "malformed value type");
    *t = (wr_type)b;
    return 0;
}

static int read_reftype(wr_decoder *d, wr_type *t)
{
    uint8_t b;
    if (wr_read_u8(&d->r, &b, d->err))
        return -1;
    if (!is_reftype(b))
        return malformed(d, wr_reader_offset(&d->r) - 1,
                         "malformed reference type");
    *t = (wr_type)b;
    return 0;
}

/* limits: flags 0 (min) or 1 (min, max), u32 each.  The flags are a
 * 1-bit LEB128, as the reference interpreter reads them (so 0x02 is "too
 * large" and 0x81 0x00 "too long"). */
static int read_limits(wr_decoder *d, wr_limits_range *lim)
{
    uint64_t flags;
    uint32_t v;
    if (wr_read_uleb(&d->r, 1, &flags, d->err))
        return -1;
    if (wr_read_u32(&d->r, &v, d->err))
        return -1;
    lim->min = v;
    lim->has_max = (int)flags;
    lim->max = 0;
    if (flags) {
        if (wr_read_u32(&d->r, &v, d->err))
            return -1;
        lim->max = v;
    }
    return 0;
}

/* Spec §3.2.1: min within range, max within range, min <= max. */
static void check_limits(wr_decoder *d, const wr_limits_range *lim,
                         uint64_t range, const char *msg, long long at)
{
    if (lim->min > range || (lim->has_max && lim->max > range))
        invalid(d, at, "%s", msg);
    else if (lim->has_max && lim->min > lim->max)
        invalid(d, at, "size minimum must not be greater than maximum");
}

static int read_table_type(wr_decoder *d, wr_table_def *t)
{
    long long at = wr_reader_offset(&d->r);
    wr_type elem;
    wr_limits_range lim;
    if (read_reftype(d, &elem) || read_limits(d, &lim))
        return -1;
    check_limits(d, &lim, UINT32_MAX, "table size must be at most 2^32-1",
                 at);
    t->elem = (uint8_t)elem;
    t->min = (uint32_t)lim.min;
    t->max = (uint32_t)lim.max;
    t->has_max = (uint8_t)lim.has_max;
    return 0;
}

/* Only the first memory is kept (see MEMORY): a second one makes the
 * module invalid ("multiple memories", reported in finish). */
static int read_memory_type(wr_decoder *d)
{
    wr_module *m = d->m;
    long long at = wr_reader_offset(&d->r);
    wr_limits_range lim;
    if (m->nmems == 1 && d->mem2_at < 0)
        d->mem2_at = at;           /* for "multiple memories" */
    if (read_limits(d, &lim))
        return -1;
    check_limits(d, &lim, WR_MAX_PAGES,
                 "memory size must be at most 65536 pages (4GiB)", at);
    if (m->nmems == 0) {
        m->mems[0].min = (uint32_t)lim.min;
        m->mems[0].max = (uint32_t)lim.max;
        m->mems[0].has_max = (uint8_t)lim.has_max;
    }
    m->nmems++;
    return 0;
}

static int read_global_type(wr_decoder *d, wr_global_def *g)
{
    uint8_t mut;
    wr_type t;
    if (read_valtype(d, &t) || wr_read_u8(&d->r, &mut, d->err))
        return -1;
    if (mut > 1)
        return malformed(d, wr_reader_offset(&d->r) - 1,
                         "malformed mutability");
    g->type = (uint8_t)t;
    g->mutable_ = mut;
    return 0;
}

static void declare_func(wr_decoder *d, uint32_t idx)
{
    wr_module *m = d->m;
    if (idx < m->nfuncs && m->func_declared)
        m->func_declared[idx / 8] |= (uint8_t)(1u << (idx % 8));
}

/* --- constant expressions ------------------------------------------------ */

/* Whether op starts an instruction wasmrt knows (opcodes.def; the
 * reader is just past op; after OP_PREFIX_FC the sub-opcode is read).
 * Only used to tell "constant expression required" from "illegal
 * opcode". */
static int opcode_exists(wr_decoder *d, uint8_t op)
{
    uint32_t sub;
#define WR_OP(code, ...) case code:
#define WR_OPFC(code, ...)
    switch (op) {
#include "opcodes.def"
        return 1;
    }
#undef WR_OP
#undef WR_OPFC
    if (op != OP_PREFIX_FC || wr_read_u32(&d->r, &sub, NULL))
        return 0;
#define WR_OP(code, ...)
#define WR_OPFC(code, ...) case code:
    switch (sub) {
#include "opcodes.def"
        return 1;
    }
#undef WR_OP
#undef WR_OPFC
    return 0;
}

/* One constant instruction's immediate; sets e (op, type, value). */
static int read_const_instr(wr_decoder *d, uint8_t op, long long at,
                            wr_constexpr *e)
{
    wr_module *m = d->m;
    wr_reader *r = &d->r;
    int32_t i32;
    int64_t i64;
    uint32_t u32, idx;
    e->op = op;
    switch (op) {
    case OP_I32_CONST:
        if (wr_read_s32(r, &i32, d->err))
            return -1;
        e->type = WR_I32, e->value = (uint32_t)i32;
        return 0;
    case OP_I64_CONST:
        if (wr_read_s64(r, &i64, d->err))
            return -1;
        e->type = WR_I64, e->value = (uint64_t)i64;
        return 0;
    case OP_F32_CONST:
        if (wr_read_f32(r, &u32, d->err))
            return -1;
        e->type = WR_F32, e->value = u32;
        return 0;
    case OP_F64_CONST:
        e->type = WR_F64;
        return wr_read_f64(r, &e->value, d->err);
    case OP_REF_NULL: {
        wr_type t;
        e->value = 0;
        if (read_reftype(d, &t))
            return -1;
        e->type = (uint8_t)t;
        return 0;
    }
    case OP_REF_FUNC:
        if (wr_read_u32(r, &idx, d->err))
            return -1;
        e->type = WR_FUNCREF, e->value = idx;
        if (idx >= m->nfuncs)
            invalid(d, at, "unknown function %u", idx);
        declare_func(d, idx);
        return 0;
    case OP_GLOBAL_GET:
        if (wr_read_u32(r, &idx, d->err))
            return -1;
        e->value = idx;
        e->type = WR_I32;
        /* 2.0: only imported globals, and only immutable ones. */
        if (idx >= m->nglobal_imports) {
            invalid(d, at, "unknown global %u", idx);
            return 0;
        }
        e->type = m->globals[idx].type;
        if (m->globals[idx].mutable_)
            invalid(d, at, "constant expression required");
        return 0;
    }
    return 1;   /* not a constant instruction */
}

/* A constant expression ending in `end`, of type want.  2.0 allows one
 * constant instruction; a sequence of several is a type error (as the
 * reference interpreter reports it), a non-constant instruction is
 * "constant expression required".  The latter stops decoding (its
 * immediates are unknown here), so it is reported at once. */
static int read_constexpr(wr_decoder *d, wr_type want, wr_constexpr *e)
{
    long long start = wr_reader_offset(&d->r);
    uint32_t n = 0;
    memset(e, 0, sizeof *e);
    for (;;) {
        long long at = wr_reader_offset(&d->r);
        uint8_t op;
        wr_constexpr one;
        if (wr_read_u8(&d->r, &op, d->err))
            return -1;
        if (op == OP_END)
            break;
        int rc = read_const_instr(d, op, at, &one);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            if (!opcode_exists(d, op))
                return malformed(d, at, "illegal opcode");
            invalid(d, at, "constant expression required");
            *d->err = d->inv;
            return -1;
        }
        if (n++ == 0)
            *e = one;
    }
    if (n != 1 || e->type != want)
        invalid(d, start, "type mismatch");
    return 0;
}

/* --- types ----------------------------------------------------------------- */

/* Value types in the n function types ahead, counted without checks (the
 * real reading reports what is wrong): the pool's exact size. */
static uint64_t scan_types(wr_reader r, uint32_t n)
{
    uint64_t total = 0;
    const uint8_t *skip;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t form;
        uint32_t k;
        if (wr_read_u8(&r, &form, NULL))
            break;
        for (int part = 0; part < 2; part++) {
            if (wr_read_u32(&r, &k, NULL) || k > WR_MAX_TYPE_ARITY
                || wr_read_bytes(&r, k, &skip, NULL))
                return total;
            total += k;
        }
    }
    return total;
}

static int read_functype(wr_decoder *d, wr_type_def *ft)
{
    wr_module *m = d->m;
    long long at = wr_reader_offset(&d->r);
    uint8_t form;
    uint32_t np, nr;
    if (wr_read_u8(&d->r, &form, d->err))
        return -1;
    if (form != 0x60)      /* read as a signed 7-bit LEB128 by the ref */
        return malformed(d, at, form & 0x80 ? "integer representation too long"
                                            : "malformed function type");
    ft->pool = d->npool;
    for (int part = 0; part < 2; part++) {
        uint32_t *n = part ? &nr : &np;
        if (wr_read_len(&d->r, n, d->err))
            return -1;
        if (*n > WR_MAX_TYPE_ARITY)
            return malformed(d, at, "too many parameters or results");
        if (grow((void **)&m->type_pool, &d->cap_pool,
                 (uint64_t)d->npool + *n, sizeof *m->type_pool, false))
            return nomem(d);
        for (uint32_t i = 0; i < *n; i++)
            if (read_valtype(d, &m->type_pool[d->npool++]))
                return -1;
    }
    ft->nparams = (uint16_t)np;
    ft->nresults = (uint16_t)nr;
    return 0;
}

static int sec_type(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    m->types = calloc(n ? n : 1, sizeof *m->types);
    if (!m->types
        || grow((void **)&m->type_pool, &d->cap_pool,
                scan_types(d->r, n) + 1, sizeof(wr_type), true))
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        if (read_functype(d, &m->types[i]))
            return -1;
        m->ntypes = i + 1;
    }
    return 0;
}

wr_functype wr_module_functype(const wr_module *m, uint32_t idx)
{
    const wr_type_def *t = &m->types[idx];
    wr_functype f = { t->nparams, t->nresults, m->type_pool + t->pool,
                      m->type_pool + t->pool + t->nparams };
    return f;
}

/* --- imports --------------------------------------------------------------- */

/* What the import section will add: entries per kind, pool bytes. */
typedef struct import_counts {
    uint32_t n[4];
    uint64_t names;
} import_counts;

/* Skip an import's description (the real reading checks it). */
static int skip_import_desc(wr_reader *r, uint8_t kind)
{
    uint8_t b;
    uint32_t v;
    uint64_t flags = 0;
    if (kind == WR_EXTERN_FUNC)
        return wr_read_u32(r, &v, NULL);
    if (kind == WR_EXTERN_TABLE || kind == WR_EXTERN_GLOBAL)
        if (wr_read_u8(r, &b, NULL))
            return -1;
    if (kind == WR_EXTERN_GLOBAL)
        return wr_read_u8(r, &b, NULL);
    if (wr_read_uleb(r, 1, &flags, NULL) || wr_read_u32(r, &v, NULL))
        return -1;
    return flags ? wr_read_u32(r, &v, NULL) : 0;
}

/* Count the n imports ahead, without checks, so that every array gets
 * its final size at once. */
static void scan_imports(wr_reader r, uint32_t n, import_counts *c)
{
    memset(c, 0, sizeof *c);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s;
        uint32_t l1, l2;
        uint8_t kind;
        if (wr_read_u32(&r, &l1, NULL) || wr_read_bytes(&r, l1, &s, NULL)
            || wr_read_u32(&r, &l2, NULL) || wr_read_bytes(&r, l2, &s, NULL)
            || wr_read_u8(&r, &kind, NULL) || kind > WR_EXTERN_GLOBAL
            || skip_import_desc(&r, kind))
            return;
        c->n[kind]++;
        c->names += pool_size(l1, true) + pool_size(l2, true);
    }
}

static int reserve_imports(wr_decoder *d, const import_counts *c)
{
    wr_module *m = d->m;
    if (grow((void **)&m->funcs, &d->cap_funcs, c->n[WR_EXTERN_FUNC],
             sizeof *m->funcs, true)
        || grow((void **)&m->tables, &d->cap_tables, c->n[WR_EXTERN_TABLE],
                sizeof *m->tables, true)
        || grow((void **)&m->globals, &d->cap_globals, c->n[WR_EXTERN_GLOBAL],
                sizeof *m->globals, true)
        || grow((void **)&m->names, &d->cap_names, d->nnames + c->names, 1,
                true))
        return nomem(d);
    return 0;
}

/* Make room for one more imported function, table or global (the scan
 * reserved it already unless the section is malformed). */
static int add_import_def(wr_decoder *d, wr_kind kind)
{
    wr_module *m = d->m;
    int rc = 0;
    switch (kind) {
    case WR_EXTERN_FUNC:
        rc = grow((void **)&m->funcs, &d->cap_funcs, m->nfuncs + 1ull,
                  sizeof *m->funcs, false);
        break;
    case WR_EXTERN_TABLE:
        rc = grow((void **)&m->tables, &d->cap_tables, m->ntables + 1ull,
                  sizeof *m->tables, false);
        break;
    case WR_EXTERN_GLOBAL:
        rc = grow((void **)&m->globals, &d->cap_globals, m->nglobals + 1ull,
                  sizeof *m->globals, false);
        break;
    default:
        break;
    }
    return rc ? nomem(d) : 0;
}

static int read_import_desc(wr_decoder *d, wr_import *imp)
{
    wr_module *m = d->m;
    long long at = wr_reader_offset(&d->r);
    uint8_t kind;
    uint32_t idx;
    if (wr_read_u8(&d->r, &kind, d->err))
        return -1;
    if (kind > WR_EXTERN_GLOBAL)
        return malformed(d, at, "malformed import kind");
    imp->kind = kind;
    if (add_import_def(d, (wr_kind)kind))
        return -1;
    switch (kind) {
    case WR_EXTERN_FUNC:
        if (wr_read_u32(&d->r, &idx, d->err))
            return -1;
        if (idx >= m->ntypes)
            invalid(d, at + 1, "unknown type %u", idx);
        imp->index = m->nfuncs;
        m->funcs[m->nfuncs].type = idx;    /* checked above */
        m->nfuncs++, m->nfunc_imports++;
        return 0;
    case WR_EXTERN_TABLE:
        imp->index = m->ntables;
        if (read_table_type(d, &m->tables[m->ntables]))
            return -1;
        m->ntables++, m->ntable_imports++;
        return 0;
    case WR_EXTERN_MEMORY:
        imp->index = m->nmems;
        if (read_memory_type(d))
            return -1;
        m->nmem_imports++;
        return 0;
    default:
        imp->index = m->nglobals;
        if (read_global_type(d, &m->globals[m->nglobals]))
            return -1;
        m->nglobals++, m->nglobal_imports++;
        return 0;
    }
}

static int sec_import(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    import_counts counts;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    scan_imports(d->r, n, &counts);
    m->imports = calloc(n ? n : 1, sizeof *m->imports);
    if (!m->imports || reserve_imports(d, &counts))
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        wr_import *imp = &m->imports[i];
        const uint8_t *s1, *s2;
        uint32_t l1, l2;
        if (wr_read_name(&d->r, &s1, &l1, d->err)
            || wr_read_name(&d->r, &s2, &l2, d->err))
            return -1;
        imp->names = pool_add(d, s1, l1, true);
        if (imp->names == UINT32_MAX || pool_add(d, s2, l2, true) == UINT32_MAX)
            return nomem(d);
        m->nimports = i + 1;
        if (read_import_desc(d, imp))
            return -1;
    }
    return 0;
}

/* --- functions, tables, memories, globals ------------------------------- */

static int sec_function(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    if (grow((void **)&m->funcs, &d->cap_funcs, (uint64_t)m->nfuncs + n,
             sizeof *m->funcs, true))
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        long long at = wr_reader_offset(&d->r);
        uint32_t idx;
        if (wr_read_u32(&d->r, &idx, d->err))
            return -1;
        if (idx >= m->ntypes)
            invalid(d, at, "unknown type %u", idx);
        m->funcs[m->nfuncs++].type = idx;  /* checked above */
    }
    d->nfunc_defs = n;
    return 0;
}

static int sec_table(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    if (grow((void **)&m->tables, &d->cap_tables, (uint64_t)m->ntables + n,
             sizeof *m->tables, true))
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        if (read_table_type(d, &m->tables[m->ntables]))
            return -1;
        m->ntables++;
    }
    return 0;
}

static int sec_memory(wr_decoder *d)
{
    uint32_t n;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (read_memory_type(d))
            return -1;
    return 0;
}

static int sec_global(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    if (grow((void **)&m->globals, &d->cap_globals,
             (uint64_t)m->nglobals + n, sizeof *m->globals, true)
        || !(m->global_inits = calloc(n ? n : 1, sizeof *m->global_inits)))
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        wr_global_def *g = &m->globals[m->nglobals];
        if (read_global_type(d, g)
            || read_constexpr(d, (wr_type)g->type, &m->global_inits[i]))
            return -1;
        m->nglobals++;
    }
    return 0;
}

/* --- exports --------------------------------------------------------------- */

/* Exports by name (by_name), or in module order: their names were
 * added to the pool one after the other, so the pool offset is the
 * order. */
static int export_cmp(const wr_module *m, const wr_export *a,
                      const wr_export *b, bool by_name)
{
    if (!by_name)
        return a->name < b->name ? -1 : a->name > b->name;
    wr_name x = wr_pool_name(m, a->name), y = wr_pool_name(m, b->name);
    if (x.len != y.len)
        return x.len < y.len ? -1 : 1;
    return memcmp(x.s, y.s, x.len);
}

/* A heap sort of m->exports[0..n) in place: no memory beyond the array,
 * and a comparison with context, which qsort has not. */
static void sift_down(wr_module *m, uint32_t i, uint32_t n, bool by_name)
{
    wr_export *v = m->exports;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && export_cmp(m, &v[c], &v[c + 1], by_name) < 0)
            c++;
        if (export_cmp(m, &v[i], &v[c], by_name) >= 0)
            return;
        wr_export t = v[i];
        v[i] = v[c];
        v[c] = t;
        i = c;
    }
}

static void sort_exports(wr_module *m, bool by_name)
{
    uint32_t n = m->nexports;
    for (uint32_t i = n / 2; i-- > 0;)
        sift_down(m, i, n, by_name);
    for (uint32_t end = n; end-- > 1;) {
        wr_export t = m->exports[0];
        m->exports[0] = m->exports[end];
        m->exports[end] = t;
        sift_down(m, 0, end, by_name);
    }
}

/* Duplicate names: sort by name, compare neighbours, sort back. */
static void check_export_names(wr_decoder *d, long long at)
{
    wr_module *m = d->m;
    sort_exports(m, true);
    for (uint32_t i = 1; i < m->nexports; i++)
        if (export_cmp(m, &m->exports[i - 1], &m->exports[i], true) == 0) {
            invalid(d, at, "duplicate export name");
            break;
        }
    sort_exports(m, false);
}

static void check_export_index(wr_decoder *d, wr_kind kind, uint32_t index,
                               long long at)
{
    wr_module *m = d->m;
    static const char *what[] = { "function", "table", "memory", "global" };
    uint32_t count[] = { m->nfuncs, m->ntables, m->nmems, m->nglobals };
    if (index >= count[kind])
        invalid(d, at, "unknown %s %u", what[kind], index);
    else if (kind == WR_EXTERN_FUNC)
        declare_func(d, index);
}

/* Pool bytes the n export names ahead take, counted without checks. */
static uint64_t scan_export_names(wr_reader r, uint32_t n)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s;
        uint32_t len, idx;
        uint8_t kind;
        if (wr_read_u32(&r, &len, NULL) || wr_read_bytes(&r, len, &s, NULL)
            || wr_read_u8(&r, &kind, NULL) || wr_read_u32(&r, &idx, NULL))
            break;
        total += pool_size(len, true);
    }
    return total;
}

static int sec_export(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    long long start = wr_reader_offset(&d->r);
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    m->exports = calloc(n ? n : 1, sizeof *m->exports);
    if (!m->exports
        || grow((void **)&m->names, &d->cap_names,
                d->nnames + scan_export_names(d->r, n), 1, true))
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        wr_export *e = &m->exports[i];
        const uint8_t *s;
        uint32_t len, index;
        uint8_t kind;
        if (wr_read_name(&d->r, &s, &len, d->err))
            return -1;
        if ((e->name = pool_add(d, s, len, true)) == UINT32_MAX)
            return nomem(d);
        m->nexports = i + 1;
        long long at = wr_reader_offset(&d->r);
        if (wr_read_u8(&d->r, &kind, d->err))
            return -1;
        if (kind > WR_EXTERN_GLOBAL)
            return malformed(d, at, "malformed export kind");
        if (wr_read_u32(&d->r, &index, d->err))
            return -1;
        check_export_index(d, (wr_kind)kind, index, at);
        e->kind = kind;
        e->index = index;          /* one beyond 2^30 is invalid above */
    }
    check_export_names(d, start);
    return 0;
}

static int sec_start(wr_decoder *d)
{
    wr_module *m = d->m;
    long long at = wr_reader_offset(&d->r);
    if (wr_read_u32(&d->r, &m->start, d->err))
        return -1;
    m->has_start = true;
    if (m->start >= m->nfuncs) {
        invalid(d, at, "unknown function %u", m->start);
        return 0;
    }
    uint32_t type = m->funcs[m->start].type;
    if (type >= m->ntypes)                 /* already reported */
        return 0;
    if (m->types[type].nparams || m->types[type].nresults)
        invalid(d, at, "start function");
    return 0;
}

/* --- segments -------------------------------------------------------------- */

/* Items of an element segment: function indices (flags bit 2 clear) or
 * constant expressions of type seg_type.  Checked, not kept: they are
 * read again at instantiation (wr_elem_item). */
static int read_elem_items(wr_decoder *d, wr_type seg_type, bool exprs)
{
    wr_module *m = d->m;
    uint32_t n;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        if (exprs) {
            wr_constexpr e;
            if (read_constexpr(d, seg_type, &e))
                return -1;
        } else {
            long long at = wr_reader_offset(&d->r);
            uint32_t idx;
            if (wr_read_u32(&d->r, &idx, d->err))
                return -1;
            if (idx >= m->nfuncs)
                invalid(d, at, "unknown function %u", idx);
            declare_func(d, idx);
        }
    }
    return 0;
}

/* The element kind (bits 0-1 of the flags nonzero, bit 2 clear): only
 * 0x00 = funcref exists. */
static int read_elemkind(wr_decoder *d, wr_type *t)
{
    uint8_t b;
    if (wr_read_u8(&d->r, &b, d->err))
        return -1;
    if (b != 0)
        return malformed(d, wr_reader_offset(&d->r) - 1,
                         "malformed element kind");
    *t = WR_FUNCREF;
    return 0;
}

/* Flags 0..7: bit 0 passive or declarative, bit 1 an explicit table
 * index (active) or declarative, bit 2 expressions instead of indices. */
static int read_elem(wr_decoder *d, wr_elem_def *seg)
{
    wr_module *m = d->m;
    long long at = wr_reader_offset(&d->r);
    uint32_t flags, table = 0;
    wr_type type = WR_FUNCREF;
    wr_constexpr offset;
    seg->at = (uint32_t)at;
    if (wr_read_u32(&d->r, &flags, d->err))
        return -1;
    if (flags > 7)
        return malformed(d, at, "malformed elements segment kind");
    bool exprs = flags & 4, active = !(flags & 1);
    if (active) {
        if ((flags & 2) && wr_read_u32(&d->r, &table, d->err))
            return -1;
        if (read_constexpr(d, WR_I32, &offset))
            return -1;
    }
    if (flags & 3) {
        int rc = exprs ? read_reftype(d, &type) : read_elemkind(d, &type);
        if (rc)
            return -1;
    }
    seg->type = (uint8_t)type;
    if (read_elem_items(d, type, exprs))
        return -1;
    if (active) {
        if (table >= m->ntables)
            invalid(d, at, "unknown table %u", table);
        else if (m->tables[table].elem != type)
            invalid(d, at, "type mismatch");
    }
    return 0;
}

static int sec_element(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    m->elems = calloc(n ? n : 1, sizeof *m->elems);
    if (!m->elems)
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        m->nelems = i + 1;
        if (read_elem(d, &m->elems[i]))
            return -1;
    }
    return 0;
}

static int sec_datacount(wr_decoder *d)
{
    d->m->has_datacount = true;
    return wr_read_u32(&d->r, &d->m->datacount, d->err);
}

static int read_data(wr_decoder *d, uint32_t *seg_at)
{
    wr_module *m = d->m;
    long long at = wr_reader_offset(&d->r);
    uint32_t flags, len, memory = 0;
    const uint8_t *bytes;
    wr_constexpr offset;
    *seg_at = (uint32_t)at;
    if (wr_read_u32(&d->r, &flags, d->err))
        return -1;
    if (flags > 2)
        return malformed(d, at, "malformed data segment kind");
    if (flags == 2 && wr_read_u32(&d->r, &memory, d->err))
        return -1;
    if (flags != 1 && read_constexpr(d, WR_I32, &offset))
        return -1;
    if (wr_read_len(&d->r, &len, d->err)
        || wr_read_bytes(&d->r, len, &bytes, d->err))
        return -1;
    if (flags != 1 && memory >= m->nmems)
        invalid(d, at, "unknown memory %u", memory);
    return 0;
}

static int sec_data(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    long long at = wr_reader_offset(&d->r);
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    if (m->has_datacount && n != m->datacount)
        return malformed(d, at,
            "data count and data section have inconsistent lengths");
    m->datas = calloc(n ? n : 1, sizeof *m->datas);
    if (!m->datas)
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        m->ndatas = i + 1;
        if (read_data(d, &m->datas[i]))
            return -1;
    }
    return 0;
}

/* --- code ------------------------------------------------------------------ */

/* Local declarations of a body: checked and counted, not kept (the
 * compiler reads them again). */
static int read_locals(wr_decoder *d)
{
    uint32_t ngroups, n;
    uint64_t total = 0;
    long long at = wr_reader_offset(&d->r);
    wr_type t;
    if (wr_read_len(&d->r, &ngroups, d->err))
        return -1;
    for (uint32_t i = 0; i < ngroups; i++) {
        if (wr_read_u32(&d->r, &n, d->err) || read_valtype(d, &t))
            return -1;
        total += n;
        if (total > WR_MAX_LOCALS
            || d->total_locals + total > WR_MAX_TOTAL_LOCALS)
            return malformed(d, at, "too many locals");
    }
    d->total_locals += total;
    return 0;
}

static int sec_code(wr_decoder *d)
{
    uint32_t n;
    long long at = wr_reader_offset(&d->r);
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    d->seen_code = true;
    d->code_at = (uint32_t)wr_reader_offset(&d->r);
    if (n != d->nfunc_defs)
        return malformed(d, at,
                         "function and code section have inconsistent lengths");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t size;
        if (wr_read_len(&d->r, &size, d->err))
            return -1;
        if (size > wr_reader_left(&d->r))
            return wr_read_fail_end(&d->r, d->err);
        const uint8_t *body_end = d->r.p + size;
        long long body_at = wr_reader_offset(&d->r);
        if (read_locals(d))
            return -1;
        if (d->r.p > body_end)
            return malformed(d, body_at, "section size mismatch");
        d->r.p = body_end;         /* the body: compiled after decoding */
    }
    return 0;
}

/* --- custom sections and the section loop ---------------------------------- */

/* A custom section: its name, then bytes wasmrt ignores.  The name is
 * read within the section's bounds. */
static int sec_custom(wr_decoder *d, const uint8_t *end, bool cut)
{
    wr_module *m = d->m;
    wr_reader sub = { d->r.p, end, d->r.base };
    const uint8_t *s;
    uint32_t len, at;
    if (wr_read_name(&sub, &s, &len, d->err))
        return -1;
    if (cut) {             /* the size was one byte too large */
        sub.p = sub.end;
        return wr_read_fail_end(&sub, d->err);
    }
    if (grow((void **)&m->customs, &d->cap_customs, m->ncustoms + 1ull,
             sizeof *m->customs, false)
        || (at = pool_add(d, s, len, false)) == UINT32_MAX)
        return nomem(d);
    m->customs[m->ncustoms++] = at;
    d->r.p = end;
    return 0;
}

static int read_section_body(wr_decoder *d, uint8_t id)
{
    switch (id) {
    case SEC_TYPE:      return sec_type(d);
    case SEC_IMPORT:    return sec_import(d);
    case SEC_FUNCTION:  return sec_function(d);
    case SEC_TABLE:     return sec_table(d);
    case SEC_MEMORY:    return sec_memory(d);
    case SEC_GLOBAL:    return sec_global(d);
    case SEC_EXPORT:    return sec_export(d);
    case SEC_START:     return sec_start(d);
    case SEC_ELEMENT:   return sec_element(d);
    case SEC_DATACOUNT: return sec_datacount(d);
    case SEC_CODE:      return sec_code(d);
    case SEC_DATA:      return sec_data(d);
    }
    return 0;
}

/* C.refs is needed from the global section on; its size (the function
 * count) is final once the function section's place has passed. */
static int prepare_declared(wr_decoder *d, uint8_t rank)
{
    wr_module *m = d->m;
    if (m->func_declared || rank <= section_rank[SEC_FUNCTION])
        return 0;
    m->func_declared = calloc(m->nfuncs / 8 + 1, 1);
    return m->func_declared ? 0 : nomem(d);
}

static int read_sections(wr_decoder *d)
{
    uint8_t last = 0;
    while (!wr_reader_eof(&d->r)) {
        long long at = wr_reader_offset(&d->r);
        uint8_t id;
        uint32_t size;
        wr_read_u8(&d->r, &id, NULL);
        if (id >= SEC_COUNT)
            return malformed(d, at, "malformed section id");
        if (wr_reader_eof(&d->r))
            return malformed(d, wr_reader_offset(&d->r), "unexpected end");
        if (wr_read_len(&d->r, &size, d->err))
            return -1;
        /* size may exceed the bytes left by one (wr_read_len): the
         * custom reader stops at the end of the binary, the others
         * read through the binary's reader and fail the size check. */
        const uint8_t *start = d->r.p;
        bool cut = size > wr_reader_left(&d->r);
        const uint8_t *end = cut ? d->r.end : start + size;
        if (id == SEC_CUSTOM) {
            if (sec_custom(d, end, cut))
                return -1;
            continue;
        }
        if (section_rank[id] <= last)
            return malformed(d, at, "unexpected content after last section");
        last = section_rank[id];
        if (prepare_declared(d, last) || read_section_body(d, id))
            return -1;
        if (d->r.p != end || cut)
            return malformed(d, start - d->r.base, "section size mismatch");
    }
    return prepare_declared(d, SEC_COUNT);
}

/* Checks that need the whole module. */
static int finish(wr_decoder *d)
{
    wr_module *m = d->m;
    if (!d->seen_code && d->nfunc_defs)
        return malformed(d, (long long)m->len,
                         "function and code section have inconsistent lengths");
    if (m->has_datacount && m->ndatas != m->datacount)
        return malformed(d, (long long)m->len,
            "data count and data section have inconsistent lengths");
    if (m->nmems > 1)
        invalid(d, d->mem2_at, "multiple memories");
    return 0;
}

static int read_header(wr_decoder *d)
{
    static const uint8_t magic[4] = { 0x00, 0x61, 0x73, 0x6d };
    static const uint8_t version[4] = { 0x01, 0x00, 0x00, 0x00 };
    const uint8_t *b = d->m->bytes;
    size_t len = d->m->len;
    if (len < 4)
        return malformed(d, (long long)len, "unexpected end");
    if (memcmp(b, magic, 4))
        return malformed(d, 0, "magic header not detected");
    if (len < 8)
        return malformed(d, (long long)len, "unexpected end");
    if (memcmp(b + 4, version, 4))
        return malformed(d, 4, "unknown binary version");
    d->r.p += 8;
    return 0;
}

/* --- module lifetime ------------------------------------------------------- */

/* Free a module, complete or partly built. */
static void module_destroy(wr_module *m)
{
    wr_code_free(m);
    free(m->imports);
    free(m->funcs);
    free(m->tables);
    free(m->globals);
    free(m->global_inits);
    free(m->exports);
    free(m->elems);
    free(m->datas);
    free(m->customs);
    free(m->names);
    free(m->func_declared);
    free(m->types);
    free(m->type_pool);
    if (!m->inspect_only)
        free(m->bytes);
    free(m);
}

/* Decode, validate and (unless m->inspect_only) compile m->bytes. */
static int load(wr_module *m, wr_error *err)
{
    wr_decoder d = { .m = m, .err = err, .mem2_at = -1 };
    d.r = wr_reader_at(m->bytes, 0, m->len);
    int rc = read_header(&d);
    if (!rc)
        rc = read_sections(&d);
    if (!rc)
        rc = finish(&d);
    if (!rc && d.invalid) {
        *err = d.inv;
        rc = -1;
    }
    if (!rc && d.seen_code)
        rc = wr_compile_module(m, d.code_at, err);
    return rc;
}

static wr_module *module_new(const void *bytes, size_t len, bool inspect,
                             wr_error *err)
{
    if (!bytes && len)
        return wr_fail(err, WR_ERR_USAGE, -1, "no bytes"), NULL;
    if (len > UINT32_MAX)
        return wr_fail(err, WR_ERR_MALFORMED, -1, "module too large"), NULL;
    wr_module *m = calloc(1, sizeof *m);
    if (m && !inspect && !(m->bytes = malloc(len ? len : 1))) {
        free(m);
        m = NULL;
    }
    if (!m)
        return wr_fail(err, WR_ERR_NOMEM, -1, "out of memory"), NULL;
    m->refcount = 1;
    m->len = len;
    m->inspect_only = inspect;
    if (inspect)
        m->bytes = (uint8_t *)bytes;       /* read in place, never written */
    else if (len)
        memcpy(m->bytes, bytes, len);
    return m;
}

static wr_module *load_or_inspect(const void *bytes, size_t len,
                                  bool inspect, wr_error *err)
{
    wr_error local;
    if (!err)
        err = &local;
    wr_module *m = module_new(bytes, len, inspect, err);
    if (!m)
        return NULL;
    if (load(m, err)) {
        module_destroy(m);
        return NULL;
    }
    if (inspect)
        m->bytes = NULL;                   /* the caller's, from now on */
    return m;
}

wr_module *wr_module_load(const void *bytes, size_t len, wr_error *err)
{
    return load_or_inspect(bytes, len, false, err);
}

wr_module *wr_module_inspect(const void *bytes, size_t len, wr_error *err)
{
    return load_or_inspect(bytes, len, true, err);
}

void wr_module_free(wr_module *m)
{
    if (m && __atomic_sub_fetch(&m->refcount, 1, __ATOMIC_ACQ_REL) == 0)
        module_destroy(m);
}

/* --- segments again, for instantiation ------------------------------------ */

/* A constant expression decoding accepted: op, immediate, end. */
static wr_constexpr reread_constexpr(const wr_module *m, wr_reader *r)
{
    wr_constexpr e = { 0, 0, 0 };
    int32_t i32 = 0;
    int64_t i64 = 0;
    uint32_t u32 = 0;
    wr_read_u8(r, &e.op, NULL);
    switch (e.op) {
    case OP_I32_CONST:
        wr_read_s32(r, &i32, NULL);
        e.value = (uint32_t)i32, e.type = WR_I32;
        break;
    case OP_I64_CONST:
        wr_read_s64(r, &i64, NULL);
        e.value = (uint64_t)i64, e.type = WR_I64;
        break;
    case OP_F32_CONST:
        wr_read_f32(r, &u32, NULL);
        e.value = u32, e.type = WR_F32;
        break;
    case OP_F64_CONST:
        wr_read_f64(r, &e.value, NULL);
        e.type = WR_F64;
        break;
    case OP_REF_NULL:
        wr_read_u8(r, &e.type, NULL);
        break;
    case OP_REF_FUNC:
        wr_read_u32(r, &u32, NULL);
        e.value = u32, e.type = WR_FUNCREF;
        break;
    default:                               /* OP_GLOBAL_GET */
        wr_read_u32(r, &u32, NULL);
        e.value = u32, e.type = m->globals[u32].type;
        break;
    }
    r->p++;                                /* end */
    return e;
}

void wr_elem_segment(const wr_module *m, uint32_t i, wr_segment *out)
{
    wr_reader r = wr_reader_at(m->bytes, m->elems[i].at,
                               m->len - m->elems[i].at);
    uint32_t flags = 0;
    uint8_t kind;
    memset(out, 0, sizeof *out);
    wr_read_u32(&r, &flags, NULL);
    out->exprs = flags & 4;
    out->type = m->elems[i].type;
    if (flags & 1) {
        out->mode = flags & 2 ? WR_SEG_DECLARATIVE : WR_SEG_PASSIVE;
    } else {
        out->mode = WR_SEG_ACTIVE;
        if (flags & 2)
            wr_read_u32(&r, &out->index, NULL);
        out->offset = reread_constexpr(m, &r);
    }
    if (flags & 3)
        wr_read_u8(&r, &kind, NULL);       /* reference type or elemkind */
    wr_read_u32(&r, &out->count, NULL);
    out->at = (uint32_t)wr_reader_offset(&r);
}

wr_constexpr wr_elem_item(const wr_module *m, const wr_segment *s,
                          uint32_t *at)
{
    wr_reader r = wr_reader_at(m->bytes, *at, m->len - *at);
    wr_constexpr e = { 0, OP_REF_FUNC, WR_FUNCREF };
    uint32_t idx = 0;
    if (s->exprs) {
        e = reread_constexpr(m, &r);
    } else {
        wr_read_u32(&r, &idx, NULL);
        e.value = idx;
    }
    *at = (uint32_t)wr_reader_offset(&r);
    return e;
}

void wr_data_segment(const wr_module *m, uint32_t i, wr_segment *out)
{
    wr_reader r = wr_reader_at(m->bytes, m->datas[i], m->len - m->datas[i]);
    uint32_t flags = 0;
    memset(out, 0, sizeof *out);
    wr_read_u32(&r, &flags, NULL);
    out->mode = flags == 1 ? WR_SEG_PASSIVE : WR_SEG_ACTIVE;
    if (flags == 2)
        wr_read_u32(&r, &out->index, NULL);
    if (flags != 1)
        out->offset = reread_constexpr(m, &r);
    wr_read_u32(&r, &out->count, NULL);
    out->at = (uint32_t)wr_reader_offset(&r);
}

/* --- inspection ------------------------------------------------------------ */

static wr_limits_range limits_of(uint32_t min, uint32_t max, uint8_t has_max)
{
    wr_limits_range l = { min, max, has_max };
    return l;
}

/* The type of entity idx of a kind, for imports and exports. */
static void extern_type(const wr_module *m, wr_kind kind, uint32_t idx,
                        wr_externtype *t)
{
    memset(t, 0, sizeof *t);
    t->kind = kind;
    switch (kind) {
    case WR_EXTERN_FUNC:
        t->func = wr_module_functype(m, m->funcs[idx].type);
        break;
    case WR_EXTERN_TABLE:
        t->elem = (wr_type)m->tables[idx].elem;
        t->limits = limits_of(m->tables[idx].min, m->tables[idx].max,
                              m->tables[idx].has_max);
        break;
    case WR_EXTERN_MEMORY:
        t->limits = limits_of(m->mems[idx].min, m->mems[idx].max,
                              m->mems[idx].has_max);
        break;
    case WR_EXTERN_GLOBAL:
        t->global = (wr_type)m->globals[idx].type;
        t->mutable_ = m->globals[idx].mutable_;
        break;
    }
}

uint32_t wr_module_import_count(const wr_module *m)
{
    return m->nimports;
}

void wr_module_import(const wr_module *m, uint32_t i, wr_import_info *out)
{
    memset(out, 0, sizeof *out);
    if (i >= m->nimports)
        return;
    const wr_import *imp = &m->imports[i];
    wr_name module, name;
    wr_import_names(m, imp, &module, &name);
    out->module = module.s;
    out->name = name.s;
    extern_type(m, (wr_kind)imp->kind, imp->index, &out->type);
}

uint32_t wr_module_export_count(const wr_module *m)
{
    return m->nexports;
}

void wr_module_export(const wr_module *m, uint32_t i, wr_export_info *out)
{
    memset(out, 0, sizeof *out);
    if (i >= m->nexports)
        return;
    const wr_export *e = &m->exports[i];
    wr_name name = wr_pool_name(m, e->name);
    out->name = name.s;
    out->name_len = name.len;
    extern_type(m, (wr_kind)e->kind, e->index, &out->type);
}

uint32_t wr_module_count(const wr_module *m, wr_kind kind)
{
    switch (kind) {
    case WR_EXTERN_FUNC:   return m->nfuncs;
    case WR_EXTERN_TABLE:  return m->ntables;
    case WR_EXTERN_MEMORY: return m->nmems;
    case WR_EXTERN_GLOBAL: return m->nglobals;
    }
    return 0;
}

int wr_module_entity(const wr_module *m, wr_kind kind, uint32_t index,
                     wr_externtype *out)
{
    if (index >= wr_module_count(m, kind))
        return -1;
    extern_type(m, kind, index, out);
    return 0;
}

uint32_t wr_module_custom_count(const wr_module *m)
{
    return m->ncustoms;
}

const char *wr_module_custom_name(const wr_module *m, uint32_t i)
{
    return i < m->ncustoms ? m->names + m->customs[i] : NULL;
}

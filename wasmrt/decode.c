/* decode.c - the WebAssembly 2.0 binary format (without SIMD) into a
 * wr_module, with module-level validation.
 *
 * This is the implementation of wr_module_load and the module inspection
 * functions.  wr_module_load runs three steps:
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
 *   3. validate and compile each function body (wr_compile_func).
 *
 * Reading follows the reference interpreter too: one cursor over the
 * whole binary (section contents are not cut off at the section's end:
 * an overrun is caught after the section as "section size mismatch"), and
 * lengths are checked against the bytes left (wr_read_len).
 *
 * Hostile input: every read is bounds-checked by reader.h; every count is
 * at most the bytes left, so allocations are proportional to the input;
 * locals are capped (WR_MAX_LOCALS per function, WR_MAX_TOTAL_LOCALS per
 * module, since they are stored expanded); nothing recurses.  Every
 * error path frees what was built (module_destroy takes partial
 * modules).
 *
 * Tests: tests/unit/wasmrt_decode_test.c; the spec suite (binary.wast,
 * binary-leb128.wast, custom.wast, the assert_invalid cases) through
 * tests/spec/.
 */
#include "internal.h"
#include "reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WR_MAX_LOCALS        50000u      /* per function */
#define WR_MAX_TOTAL_LOCALS  (1u << 24)  /* per module (stored expanded) */
#define WR_MAX_TYPE_ARITY    1000u       /* params or results of a type */

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
    uint64_t   total_locals;
    uint32_t   cap_funcs, cap_tables, cap_mems, cap_globals, cap_customs;
    uint32_t   npool, cap_pool;        /* type_pool use while decoding */
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

/* Make room for need elements in *arr of capacity *cap. */
static int grow(void **arr, uint32_t *cap, uint64_t need, size_t elsize)
{
    if (need <= *cap)
        return 0;
    uint64_t n = *cap ? (uint64_t)*cap * 2 : 8;
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

static char *copy_name(const uint8_t *s, uint32_t len)
{
    char *c = malloc((size_t)len + 1);
    if (c) {
        memcpy(c, s, len);
        c[len] = 0;
    }
    return c;
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
    if (read_reftype(d, &t->elem) || read_limits(d, &t->lim))
        return -1;
    check_limits(d, &t->lim, UINT32_MAX, "table size must be at most 2^32-1",
                 at);
    return 0;
}

static int read_memory_type(wr_decoder *d, wr_memory_def *mem)
{
    long long at = wr_reader_offset(&d->r);
    if (d->m->nmems == 1 && d->mem2_at < 0)
        d->mem2_at = at;           /* for "multiple memories" */
    if (read_limits(d, &mem->lim))
        return -1;
    check_limits(d, &mem->lim, WR_MAX_PAGES,
                 "memory size must be at most 65536 pages (4GiB)", at);
    return 0;
}

static int read_global_type(wr_decoder *d, wr_global_def *g)
{
    uint8_t mut;
    if (read_valtype(d, &g->type) || wr_read_u8(&d->r, &mut, d->err))
        return -1;
    if (mut > 1)
        return malformed(d, wr_reader_offset(&d->r) - 1,
                         "malformed mutability");
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
 * reader is just past op; for 0xfc the sub-opcode is read).  Only used
 * to tell "constant expression required" from "illegal opcode". */
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
    if (op != 0xfc || wr_read_u32(&d->r, &sub, NULL))
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
    case 0x41:
        if (wr_read_s32(r, &i32, d->err))
            return -1;
        e->type = WR_I32, e->value = (uint32_t)i32;
        return 0;
    case 0x42:
        if (wr_read_s64(r, &i64, d->err))
            return -1;
        e->type = WR_I64, e->value = (uint64_t)i64;
        return 0;
    case 0x43:
        if (wr_read_f32(r, &u32, d->err))
            return -1;
        e->type = WR_F32, e->value = u32;
        return 0;
    case 0x44:
        e->type = WR_F64;
        return wr_read_f64(r, &e->value, d->err);
    case 0xd0:
        e->value = 0;
        return read_reftype(d, &e->type);
    case 0xd2:
        if (wr_read_u32(r, &idx, d->err))
            return -1;
        e->type = WR_FUNCREF, e->value = idx;
        if (idx >= m->nfuncs)
            invalid(d, at, "unknown function %u", idx);
        declare_func(d, idx);
        return 0;
    case 0x23:
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
        if (op == 0x0b)
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

/* --- sections ------------------------------------------------------------ */

static int read_functype(wr_decoder *d, wr_functype *ft, uint32_t *pool_at)
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
    *pool_at = d->npool;
    for (int part = 0; part < 2; part++) {
        uint32_t *n = part ? &nr : &np;
        if (wr_read_len(&d->r, n, d->err))
            return -1;
        if (*n > WR_MAX_TYPE_ARITY)
            return malformed(d, at, "too many parameters or results");
        if (grow((void **)&m->type_pool, &d->cap_pool,
                 (uint64_t)d->npool + *n, sizeof *m->type_pool))
            return nomem(d);
        for (uint32_t i = 0; i < *n; i++)
            if (read_valtype(d, &m->type_pool[d->npool++]))
                return -1;
    }
    ft->nparams = np;
    ft->nresults = nr;
    return 0;
}

static int sec_type(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    m->types = calloc(n ? n : 1, sizeof *m->types);
    uint32_t *at = calloc(n ? n : 1, sizeof *at);
    if (!m->types || !at
        || grow((void **)&m->type_pool, &d->cap_pool, 1, sizeof(wr_type))) {
        free(at);
        return nomem(d);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (read_functype(d, &m->types[i], &at[i])) {
            free(at);
            return -1;
        }
        m->ntypes = i + 1;
    }
    /* The pool is complete: now its address is final. */
    for (uint32_t i = 0; i < n; i++) {
        m->types[i].params = m->type_pool + at[i];
        m->types[i].results = m->type_pool + at[i] + m->types[i].nparams;
    }
    free(at);
    return 0;
}

/* Append one imported function, table, memory or global. */
static int add_import_def(wr_decoder *d, wr_kind kind, uint32_t *index)
{
    wr_module *m = d->m;
    int rc;
    switch (kind) {
    case WR_EXTERN_FUNC:
        rc = grow((void **)&m->funcs, &d->cap_funcs, m->nfuncs + 1ull,
                  sizeof *m->funcs);
        *index = m->nfuncs;
        break;
    case WR_EXTERN_TABLE:
        rc = grow((void **)&m->tables, &d->cap_tables, m->ntables + 1ull,
                  sizeof *m->tables);
        *index = m->ntables;
        break;
    case WR_EXTERN_MEMORY:
        rc = grow((void **)&m->mems, &d->cap_mems, m->nmems + 1ull,
                  sizeof *m->mems);
        *index = m->nmems;
        break;
    default:
        rc = grow((void **)&m->globals, &d->cap_globals, m->nglobals + 1ull,
                  sizeof *m->globals);
        *index = m->nglobals;
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
    imp->kind = (wr_kind)kind;
    if (add_import_def(d, imp->kind, &imp->index))
        return -1;
    switch (imp->kind) {
    case WR_EXTERN_FUNC:
        if (wr_read_u32(&d->r, &idx, d->err))
            return -1;
        if (idx >= m->ntypes)
            invalid(d, at + 1, "unknown type %u", idx);
        m->funcs[m->nfuncs].type = idx;    /* checked above */
        m->funcs[m->nfuncs].imported = true;
        m->nfuncs++, m->nfunc_imports++;
        return 0;
    case WR_EXTERN_TABLE:
        if (read_table_type(d, &m->tables[m->ntables]))
            return -1;
        m->ntables++, m->ntable_imports++;
        return 0;
    case WR_EXTERN_MEMORY:
        if (read_memory_type(d, &m->mems[m->nmems]))
            return -1;
        m->nmems++, m->nmem_imports++;
        return 0;
    case WR_EXTERN_GLOBAL:
        if (read_global_type(d, &m->globals[m->nglobals]))
            return -1;
        m->nglobals++, m->nglobal_imports++;
        return 0;
    }
    return 0;
}

static int sec_import(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    m->imports = calloc(n ? n : 1, sizeof *m->imports);
    if (!m->imports)
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        wr_import *imp = &m->imports[i];
        const uint8_t *s1, *s2;
        uint32_t l1, l2;
        if (wr_read_name(&d->r, &s1, &l1, d->err)
            || wr_read_name(&d->r, &s2, &l2, d->err))
            return -1;
        imp->module = copy_name(s1, l1);
        imp->name = copy_name(s2, l2);
        m->nimports = i + 1;
        if (!imp->module || !imp->name)
            return nomem(d);
        imp->module_len = l1;
        imp->name_len = l2;
        if (read_import_desc(d, imp))
            return -1;
    }
    return 0;
}

static int sec_function(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    if (grow((void **)&m->funcs, &d->cap_funcs, (uint64_t)m->nfuncs + n,
             sizeof *m->funcs))
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
             sizeof *m->tables))
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
    wr_module *m = d->m;
    uint32_t n;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    if (grow((void **)&m->mems, &d->cap_mems, (uint64_t)m->nmems + n,
             sizeof *m->mems))
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        if (read_memory_type(d, &m->mems[m->nmems]))
            return -1;
        m->nmems++;
    }
    return 0;
}

static int sec_global(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    if (grow((void **)&m->globals, &d->cap_globals,
             (uint64_t)m->nglobals + n, sizeof *m->globals))
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        wr_global_def *g = &m->globals[m->nglobals];
        if (read_global_type(d, g) || read_constexpr(d, g->type, &g->init))
            return -1;
        m->nglobals++;
    }
    return 0;
}

static int export_cmp(const void *a, const void *b)
{
    const wr_export *x = *(wr_export *const *)a, *y = *(wr_export *const *)b;
    if (x->name_len != y->name_len)
        return x->name_len < y->name_len ? -1 : 1;
    return memcmp(x->name, y->name, x->name_len);
}

/* Duplicate names, found by sorting pointers to the exports. */
static int check_export_names(wr_decoder *d, long long at)
{
    wr_module *m = d->m;
    if (m->nexports < 2)
        return 0;
    wr_export **v = malloc(m->nexports * sizeof *v);
    if (!v)
        return nomem(d);
    for (uint32_t i = 0; i < m->nexports; i++)
        v[i] = &m->exports[i];
    qsort(v, m->nexports, sizeof *v, export_cmp);
    for (uint32_t i = 1; i < m->nexports; i++)
        if (export_cmp(&v[i - 1], &v[i]) == 0) {
            invalid(d, at, "duplicate export name");
            break;
        }
    free(v);
    return 0;
}

static void check_export_index(wr_decoder *d, const wr_export *e, long long at)
{
    wr_module *m = d->m;
    static const char *what[] = { "function", "table", "memory", "global" };
    uint32_t count[] = { m->nfuncs, m->ntables, m->nmems, m->nglobals };
    if (e->index >= count[e->kind])
        invalid(d, at, "unknown %s %u", what[e->kind], e->index);
    else if (e->kind == WR_EXTERN_FUNC)
        declare_func(d, e->index);
}

static int sec_export(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    long long start = wr_reader_offset(&d->r);
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    m->exports = calloc(n ? n : 1, sizeof *m->exports);
    if (!m->exports)
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        wr_export *e = &m->exports[i];
        const uint8_t *s;
        uint32_t len;
        uint8_t kind;
        if (wr_read_name(&d->r, &s, &len, d->err))
            return -1;
        e->name = copy_name(s, len);
        e->name_len = len;
        m->nexports = i + 1;
        if (!e->name)
            return nomem(d);
        long long at = wr_reader_offset(&d->r);
        if (wr_read_u8(&d->r, &kind, d->err))
            return -1;
        if (kind > WR_EXTERN_GLOBAL)
            return malformed(d, at, "malformed export kind");
        e->kind = (wr_kind)kind;
        if (wr_read_u32(&d->r, &e->index, d->err))
            return -1;
        check_export_index(d, e, at);
    }
    return check_export_names(d, start);
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
    const wr_functype *ft = &m->types[type];
    if (ft->nparams || ft->nresults)
        invalid(d, at, "start function");
    return 0;
}

/* Items of an element segment: function indices (flags bit 2 clear) or
 * constant expressions of type seg->type. */
static int read_elem_items(wr_decoder *d, wr_elem_def *seg, bool exprs)
{
    wr_module *m = d->m;
    uint32_t n;
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    seg->items = calloc(n ? n : 1, sizeof *seg->items);
    if (!seg->items)
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        wr_constexpr *e = &seg->items[i];
        if (exprs) {
            if (read_constexpr(d, seg->type, e))
                return -1;
        } else {
            long long at = wr_reader_offset(&d->r);
            uint32_t idx;
            if (wr_read_u32(&d->r, &idx, d->err))
                return -1;
            if (idx >= m->nfuncs)
                invalid(d, at, "unknown function %u", idx);
            declare_func(d, idx);
            e->op = 0xd2, e->type = WR_FUNCREF, e->value = idx;
        }
        seg->count = i + 1;
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
    uint32_t flags;
    if (wr_read_u32(&d->r, &flags, d->err))
        return -1;
    if (flags > 7)
        return malformed(d, at, "malformed elements segment kind");
    bool exprs = flags & 4;
    seg->type = WR_FUNCREF;
    if (flags & 1) {
        seg->mode = flags & 2 ? WR_SEG_DECLARATIVE : WR_SEG_PASSIVE;
    } else {
        seg->mode = WR_SEG_ACTIVE;
        if ((flags & 2) && wr_read_u32(&d->r, &seg->table, d->err))
            return -1;
        if (read_constexpr(d, WR_I32, &seg->offset))
            return -1;
    }
    if (flags & 3) {
        int rc = exprs ? read_reftype(d, &seg->type)
                       : read_elemkind(d, &seg->type);
        if (rc)
            return -1;
    }
    if (read_elem_items(d, seg, exprs))
        return -1;
    if (seg->mode == WR_SEG_ACTIVE) {
        if (seg->table >= m->ntables)
            invalid(d, at, "unknown table %u", seg->table);
        else if (m->tables[seg->table].elem != seg->type)
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

/* Local declarations of a body: expanded into f->locals. */
static int read_locals(wr_decoder *d, wr_func_def *f)
{
    wr_reader probe;
    uint32_t ngroups, n;
    uint64_t total = 0;
    long long at = wr_reader_offset(&d->r);
    wr_type t;
    if (wr_read_len(&d->r, &ngroups, d->err))
        return -1;
    probe = d->r;                  /* first pass: count */
    for (uint32_t i = 0; i < ngroups; i++) {
        if (wr_read_u32(&d->r, &n, d->err) || read_valtype(d, &t))
            return -1;
        total += n;
        if (total > WR_MAX_LOCALS
            || d->total_locals + total > WR_MAX_TOTAL_LOCALS)
            return malformed(d, at, "too many locals");
    }
    d->total_locals += total;
    f->locals = malloc(total ? total * sizeof *f->locals : 1);
    if (!f->locals)
        return nomem(d);
    d->r = probe;                  /* second pass: fill */
    for (uint32_t i = 0; i < ngroups; i++) {
        wr_read_u32(&d->r, &n, NULL);
        read_valtype(d, &t);
        for (uint32_t k = 0; k < n; k++)
            f->locals[f->nlocals++] = t;
    }
    return 0;
}

static int sec_code(wr_decoder *d)
{
    wr_module *m = d->m;
    uint32_t n;
    long long at = wr_reader_offset(&d->r);
    if (wr_read_len(&d->r, &n, d->err))
        return -1;
    d->seen_code = true;
    if (n != d->nfunc_defs)
        return malformed(d, at,
                         "function and code section have inconsistent lengths");
    for (uint32_t i = 0; i < n; i++) {
        wr_func_def *f = &m->funcs[m->nfunc_imports + i];
        uint32_t size;
        if (wr_read_len(&d->r, &size, d->err))
            return -1;
        if (size > wr_reader_left(&d->r))
            return wr_read_fail_end(&d->r, d->err);
        const uint8_t *body_end = d->r.p + size;
        f->body_offset = (uint32_t)wr_reader_offset(&d->r);
        f->body_len = size;
        if (read_locals(d, f))
            return -1;
        if (d->r.p > body_end)
            return malformed(d, f->body_offset, "section size mismatch");
        d->r.p = body_end;         /* the body: compiled after decoding */
    }
    return 0;
}

static int read_data(wr_decoder *d, wr_data_def *seg)
{
    wr_module *m = d->m;
    long long at = wr_reader_offset(&d->r);
    uint32_t flags, len;
    const uint8_t *bytes;
    if (wr_read_u32(&d->r, &flags, d->err))
        return -1;
    if (flags > 2)
        return malformed(d, at, "malformed data segment kind");
    seg->mode = flags == 1 ? WR_SEG_PASSIVE : WR_SEG_ACTIVE;
    if (flags == 2 && wr_read_u32(&d->r, &seg->memory, d->err))
        return -1;
    if (flags != 1 && read_constexpr(d, WR_I32, &seg->offset))
        return -1;
    if (wr_read_len(&d->r, &len, d->err)
        || wr_read_bytes(&d->r, len, &bytes, d->err))
        return -1;
    seg->bytes_offset = (uint32_t)(bytes - d->r.base);
    seg->len = len;
    if (seg->mode == WR_SEG_ACTIVE && seg->memory >= m->nmems)
        invalid(d, at, "unknown memory %u", seg->memory);
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

/* A custom section: its name, then bytes wasmrt ignores.  The name is
 * read within the section's bounds. */
static int sec_custom(wr_decoder *d, const uint8_t *end, bool cut)
{
    wr_module *m = d->m;
    wr_reader sub = { d->r.p, end, d->r.base };
    const uint8_t *s;
    uint32_t len;
    if (wr_read_name(&sub, &s, &len, d->err))
        return -1;
    if (cut) {             /* the size was one byte too large */
        sub.p = sub.end;
        return wr_read_fail_end(&sub, d->err);
    }
    if (grow((void **)&m->customs, &d->cap_customs, m->ncustoms + 1ull,
             sizeof *m->customs)
        || !(m->customs[m->ncustoms] = copy_name(s, len)))
        return nomem(d);
    m->ncustoms++;
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
    for (uint32_t i = 0; i < m->nimports; i++) {
        free(m->imports[i].module);
        free(m->imports[i].name);
    }
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
        free(m->funcs[i].locals);
        if (m->funcs[i].code)
            wr_code_free(m->funcs[i].code);
    }
    for (uint32_t i = 0; i < m->nexports; i++)
        free(m->exports[i].name);
    for (uint32_t i = 0; i < m->nelems; i++)
        free(m->elems[i].items);
    for (uint32_t i = 0; i < m->ncustoms; i++)
        free(m->customs[i]);
    free(m->imports);
    free(m->funcs);
    free(m->tables);
    free(m->mems);
    free(m->globals);
    free(m->exports);
    free(m->elems);
    free(m->datas);
    free(m->customs);
    free(m->func_declared);
    free(m->types);
    free(m->type_pool);
    free(m->bytes);
    free(m);
}

static int compile_bodies(wr_module *m, wr_error *err)
{
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
        if (wr_compile_func(m, i, err))
            return -1;
    return 0;
}

wr_module *wr_module_load(const void *bytes, size_t len, wr_error *err)
{
    wr_error local;
    if (!err)
        err = &local;
    if (!bytes && len)
        return wr_fail(err, WR_ERR_USAGE, -1, "no bytes"), NULL;
    if (len > UINT32_MAX)
        return wr_fail(err, WR_ERR_MALFORMED, -1, "module too large"), NULL;
    wr_module *m = calloc(1, sizeof *m);
    if (!m || !(m->bytes = malloc(len ? len : 1))) {
        free(m);
        wr_fail(err, WR_ERR_NOMEM, -1, "out of memory");
        return NULL;
    }
    m->refcount = 1;
    m->len = len;
    if (len)
        memcpy(m->bytes, bytes, len);

    wr_decoder d = { .m = m, .err = err, .mem2_at = -1 };
    d.r = wr_reader_at(m->bytes, 0, len);
    int rc = read_header(&d);
    if (!rc)
        rc = read_sections(&d);
    if (!rc)
        rc = finish(&d);
    if (!rc && d.invalid) {
        *err = d.inv;
        rc = -1;
    }
    if (!rc)
        rc = compile_bodies(m, err);
    if (rc) {
        module_destroy(m);
        return NULL;
    }
    return m;
}

void wr_module_free(wr_module *m)
{
    if (m && --m->refcount == 0)
        module_destroy(m);
}

/* --- inspection ------------------------------------------------------------ */

/* The type of entity idx of a kind, for imports and exports. */
static void extern_type(const wr_module *m, wr_kind kind, uint32_t idx,
                        wr_externtype *t)
{
    memset(t, 0, sizeof *t);
    t->kind = kind;
    switch (kind) {
    case WR_EXTERN_FUNC:
        t->func = m->types[m->funcs[idx].type];
        break;
    case WR_EXTERN_TABLE:
        t->elem = m->tables[idx].elem;
        t->limits = m->tables[idx].lim;
        break;
    case WR_EXTERN_MEMORY:
        t->limits = m->mems[idx].lim;
        break;
    case WR_EXTERN_GLOBAL:
        t->global = m->globals[idx].type;
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
    out->module = imp->module;
    out->name = imp->name;
    extern_type(m, imp->kind, imp->index, &out->type);
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
    out->name = e->name;
    out->name_len = e->name_len;
    extern_type(m, e->kind, e->index, &out->type);
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
    return i < m->ncustoms ? m->customs[i] : NULL;
}

/* internal.h - data structures shared by wasmrt's phases.
 *
 * wasmrt is split by phase, as wasm3 is:
 *
 *   decode.c    binary -> wr_module: sections, types, imports, exports,
 *               segments, constant expressions; module-level validation
 *               (indices, limits, duplicate exports, start, const exprs).
 *               Calls wr_compile_func for every function body.
 *   validate.c  the spec's validation algorithm for function bodies
 *   compile.c   (operand and control stacks), fused with compilation to
 *               the internal code that exec.c runs, in one pass per body.
 *   exec.c      the interpreter loop over compiled code; calls, traps,
 *               fuel, deadline, call depth.
 *   instance.c  stores, linking, instantiation (memories, tables,
 *               globals, segments, start), the public call API, host
 *               objects, memory and table growth.
 *   opcodes.def one row per opcode, read by every phase.
 *
 * Nothing here is public; wasmrt.h is the only public header.
 *
 * Index spaces.  Functions, tables, memories and globals each have one
 * index space in which imports come first, in import order, then the
 * module's own definitions (the spec's rule).  The arrays below are
 * laid out the same way.
 *
 * Values.  At run time every value is one 64-bit cell (wr_cell): i32 in
 * the low 32 bits (upper bits unspecified unless stated), i64, f32/f64 as
 * their bits, references as (uintptr_t) pointers (funcref: wr_func *,
 * externref: the host's pointer), 0 = null.
 */
#ifndef WR_INTERNAL_H
#define WR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasmrt.h"

typedef uint64_t wr_cell;

#define WR_PAGE_SIZE      65536u
#define WR_MAX_PAGES      65536u     /* 4 GiB, the 32-bit address space */
#define WR_MAX_TABLE_SIZE 10000000u  /* implementation limit on elements */

/* Fail with kind and offset; msg is printf-style.  Returns -1. */
int wr_fail(wr_error *err, int kind, long long offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* --- the module (decode.c) ------------------------------------------------ */

/* A constant expression: wasm 2.0 allows exactly one instruction before
 * `end` in the places wasmrt reads them. */
typedef struct wr_constexpr {
    uint8_t  op;     /* 0x41 i32.const, 0x42 i64.const, 0x43 f32.const,
                        0x44 f64.const, 0x23 global.get, 0xd0 ref.null,
                        0xd2 ref.func */
    wr_type  type;   /* the expression's result type */
    uint64_t value;  /* constant bits, or the global / function index */
} wr_constexpr;

typedef struct wr_table_def {
    wr_type         elem;
    wr_limits_range lim;         /* elements */
} wr_table_def;

typedef struct wr_memory_def {
    wr_limits_range lim;         /* pages */
} wr_memory_def;

typedef struct wr_global_def {
    wr_type      type;
    bool         mutable_;
    wr_constexpr init;           /* unused for imports */
} wr_global_def;

typedef struct wr_func_def {
    uint32_t type;               /* index into wr_module.types */
    bool     imported;
    /* Defined functions only: */
    uint32_t body_offset;        /* of the body (local declarations first)
                                    in wr_module.bytes, after its size */
    uint32_t body_len;
    uint32_t nlocals;            /* declared locals, not counting params */
    wr_type *locals;             /* nlocals entries */
    /* Set by wr_compile_func: */
    void    *code;               /* compile.c's representation */
    uint32_t frame_cells;        /* cells a frame needs: params, locals,
                                    deepest operand stack, scratch */
} wr_func_def;

typedef struct wr_import {
    char    *module, *name;      /* NUL-terminated copies */
    wr_kind  kind;
    uint32_t index;              /* in the index space of its kind */
    uint32_t module_len, name_len; /* names may hold NUL bytes */
} wr_import;

typedef struct wr_export {
    char    *name;
    wr_kind  kind;
    uint32_t index;
    uint32_t name_len;           /* names may hold NUL bytes ("\0a") */
} wr_export;

enum { WR_SEG_ACTIVE, WR_SEG_PASSIVE, WR_SEG_DECLARATIVE };

typedef struct wr_elem_def {
    uint8_t       mode;          /* WR_SEG_* */
    wr_type       type;          /* funcref or externref */
    uint32_t      table;         /* active only */
    wr_constexpr  offset;        /* active only, i32 */
    uint32_t      count;
    wr_constexpr *items;         /* ref.func x / ref.null t / global.get */
} wr_elem_def;

typedef struct wr_data_def {
    uint8_t      mode;           /* WR_SEG_ACTIVE or WR_SEG_PASSIVE */
    uint32_t     memory;         /* active only */
    wr_constexpr offset;         /* active only, i32 */
    uint32_t     bytes_offset;   /* of the contents in wr_module.bytes */
    uint32_t     len;
} wr_data_def;

struct wr_module {
    int          refcount;
    uint8_t     *bytes;          /* private copy of the binary */
    size_t       len;

    uint32_t     ntypes;
    wr_functype *types;          /* params/results point into type_pool */
    wr_type     *type_pool;

    uint32_t     nimports;
    wr_import   *imports;

    uint32_t     nfuncs, nfunc_imports;
    wr_func_def *funcs;
    uint32_t     ntables, ntable_imports;
    wr_table_def *tables;
    uint32_t     nmems, nmem_imports;
    wr_memory_def *mems;
    uint32_t     nglobals, nglobal_imports;
    wr_global_def *globals;

    uint32_t     nexports;
    wr_export   *exports;

    bool         has_start;
    uint32_t     start;

    uint32_t     nelems;
    wr_elem_def *elems;
    uint32_t     ndatas;
    wr_data_def *datas;
    bool         has_datacount;  /* memory.init / data.drop need it */
    uint32_t     datacount;

    uint32_t     ncustoms;
    char       **customs;        /* custom section names */

    /* C.refs of the spec: functions that may appear in ref.func in a
     * function body (referenced by an element segment, an export or a
     * global initializer outside function bodies).  nfuncs bits. */
    uint8_t     *func_declared;
};

/* Validate and compile defined function fidx (decode.c calls it once per
 * body, after the whole binary is decoded and passed module-level
 * validation: every section, the data section's ndatas included, is
 * known).
 * Errors are WR_ERR_INVALID or WR_ERR_MALFORMED with the offset in
 * m->bytes.  Sets m->funcs[fidx].code and .frame_cells. */
int wr_compile_func(wr_module *m, uint32_t fidx, wr_error *err);
void wr_code_free(void *code);

/* --- run-time objects (instance.c) ---------------------------------------- */

struct wr_func {
    const wr_functype *type;     /* the defining module's, or the host's */
    uint32_t     type_id;        /* interned in the store: equal ids <=>
                                    equal function types (call_indirect) */
    wr_instance *inst;           /* NULL for host functions */
    const wr_func_def *def;      /* wasm functions: their code */
    wr_host_fn   host;           /* host functions */
    void        *user;
};

/* Linear memory.  data never moves: it is reserved (mmap, PROT_NONE) up
 * to the largest size the memory may reach and made accessible as it
 * grows, so exec.c may keep data in a register across calls; only size
 * changes. */
typedef struct wr_memory {
    uint8_t *data;
    uint64_t size;               /* bytes accessible = pages * 64 KiB */
    uint64_t pages, max_pages;   /* max_pages: the type's max, capped by
                                    the instance's max_memory */
    uint64_t reserved;           /* bytes reserved at data */
    bool     has_max;            /* the type's max, uncapped, for import */
    uint64_t type_max;           /* matching (instance.c) */
} wr_memory;

typedef struct wr_table {
    wr_type  elem;
    uint64_t size, max;          /* max: the type's, or WR_MAX_TABLE_SIZE */
    wr_cell *elems;
    bool     has_max;            /* the type's max, uncapped, for import */
    uint64_t type_max;           /* matching (instance.c) */
} wr_table;

typedef struct wr_global {
    wr_type type;
    bool    mutable_;
    wr_cell value;
} wr_global;

/* An instance's copy of a segment; dropping sets count / len to 0. */
typedef struct wr_elem_inst {
    uint32_t count;
    wr_cell *cells;              /* evaluated references */
} wr_elem_inst;

typedef struct wr_data_inst {
    uint32_t len;
    const uint8_t *bytes;        /* into the module's bytes */
} wr_data_inst;

struct wr_instance {
    wr_store     *store;
    wr_module    *module;
    wr_func     **funcs;         /* module->nfuncs, imports first */
    wr_table    **tables;
    wr_memory   **mems;
    wr_global   **globals;
    uint32_t     *type_ids;      /* store ids of module->types */
    wr_elem_inst *elems;         /* module->nelems */
    wr_data_inst *datas;         /* module->ndatas */
    wr_limits     limits;        /* defaults filled in */
    uint64_t      fuel;          /* left; UINT64_MAX = unlimited */
};

/* Intern a function type in the store: equal types get equal ids. */
uint32_t wr_store_type_id(wr_store *s, const wr_functype *t);

/* Grow by delta pages (elements); return the old size, or -1 when the
 * result would exceed the maximum (memory: the type's max and the
 * instance's max_memory) or memory cannot be had.  Tables fill new
 * elements with init. */
int64_t wr_memory_grow(wr_memory *mem, uint64_t delta);
int64_t wr_table_grow(wr_table *t, uint64_t delta, wr_cell init);

/* --- execution (exec.c) ----------------------------------------------------- */

/* Call f (wasm or host) with its parameters in cells[0..nparams); on
 * success its results are in cells[0..nresults).  cells must hold
 * max(nparams, nresults) cells.  entry is the instance whose fuel and
 * limits apply (the one the API call was made on).  Traps and exits are
 * reported in err (WR_ERR_TRAP / WR_ERR_EXIT). */
int wr_exec_call(wr_instance *entry, wr_func *f, wr_cell *cells,
                 wr_error *err);

/* What a host function sees (wasmrt.h's wr_caller): exec.c fills one per
 * host call; wr_trap / wr_exit / wr_caller_* (instance.c) use it. */
struct wr_caller {
    wr_instance *inst;           /* the calling wasm instance, or NULL when
                                    the host function was called directly
                                    through the API */
    wr_error    *err;            /* where wr_trap / wr_exit report */
};

/* Evaluate a constant expression in an instance (instance.c). */
wr_cell wr_constexpr_eval(const wr_instance *inst, const wr_constexpr *e);

#endif

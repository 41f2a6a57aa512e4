/* internal.h - data structures shared by wasmrt's phases.
 *
 * wasmrt is split by phase, as wasm3 is:
 *
 *   decode.c    binary -> wr_module: sections, types, imports, exports,
 *               segments, constant expressions; module-level validation
 *               (indices, limits, duplicate exports, start, const exprs).
 *               Then calls wr_compile_module for the function bodies.
 *   compile.c   the spec's validation algorithm for function bodies
 *               (operand and control stacks), fused with compilation to
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
#define WR_MAX_TYPE_ARITY 1000u      /* params or results of a type */

/* Opcodes by name, from opcodes.def: OP_I32_CONST = 0x41, ... for the
 * one-byte opcodes, OPFC_MEMORY_INIT = 8, ... for the sub-opcodes after
 * the prefix byte OP_PREFIX_FC.  Every phase names opcodes this way. */
enum {
#define WR_OP(code, name, text, shape, a, b, r, x) OP_##name = code,
#define WR_OPFC(code, name, text, shape, a, b, r, x)
#include "opcodes.def"
#undef WR_OP
#undef WR_OPFC
    OP_PREFIX_FC = 0xfc
};
enum {
#define WR_OP(code, name, text, shape, a, b, r, x)
#define WR_OPFC(code, name, text, shape, a, b, r, x) OPFC_##name = code,
#include "opcodes.def"
#undef WR_OP
#undef WR_OPFC
};

/* Fail with kind and offset; msg is printf-style.  Returns -1. */
int wr_fail(wr_error *err, int kind, long long offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* --- the module (decode.c) ------------------------------------------------ */

/* MEMORY.  A module costs a small multiple of its size in bytes, however
 * hostile (docs/wasmrt.md, "Memory"), so every record below is compact
 * and nothing is kept that can be read again from the bytes:
 *   - names live in one pool (wr_module.names), not in a malloc each;
 *   - function types are 8 bytes plus 4 per value type; wr_functype views
 *     are made on demand (wr_module_functype);
 *   - a function is its type index, locals are read from the body when it
 *     is compiled, segments are re-read from the bytes at instantiation;
 *   - only the first memory is kept (a second one makes the module
 *     invalid, but decoding goes on to find format errors). */

/* A constant expression: wasm 2.0 allows exactly one instruction before
 * `end` in the places wasmrt reads them. */
typedef struct wr_constexpr {
    uint64_t value;  /* constant bits, or the global / function index */
    uint8_t  op;     /* OP_I32_CONST, OP_I64_CONST, OP_F32_CONST,
                        OP_F64_CONST, OP_GLOBAL_GET, OP_REF_NULL or
                        OP_REF_FUNC */
    uint8_t  type;   /* wr_type: the expression's result type */
} wr_constexpr;

/* A function type: nparams + nresults entries of wr_module.type_pool. */
typedef struct wr_type_def {
    uint32_t pool;               /* the first parameter's entry */
    uint16_t nparams, nresults;  /* at most WR_MAX_TYPE_ARITY each */
} wr_type_def;

typedef struct wr_table_def {
    uint32_t min, max;           /* elements */
    uint8_t  has_max;
    uint8_t  elem;               /* wr_type */
} wr_table_def;

typedef struct wr_memory_def {
    uint32_t min, max;           /* pages */
    uint8_t  has_max;
} wr_memory_def;

typedef struct wr_global_def {
    uint8_t type;                /* wr_type */
    bool    mutable_;
} wr_global_def;

typedef struct wr_func_def {
    uint32_t type;               /* index into wr_module.types */
} wr_func_def;

/* Imports and exports: names are in the pool as LEB128 length, bytes,
 * NUL (names may hold NUL bytes); an import's name follows its module
 * name.  Indices of imports are below 2^30: each import takes at least 4
 * of the binary's at most 2^32 bytes. */
typedef struct wr_import {
    uint32_t names;              /* offset in wr_module.names */
    uint32_t index : 30;         /* in the index space of its kind */
    uint32_t kind : 2;           /* wr_kind */
} wr_import;

typedef struct wr_export {
    uint32_t name;               /* offset in wr_module.names */
    uint32_t index : 30;         /* (a larger one is invalid anyway) */
    uint32_t kind : 2;
} wr_export;

/* A name in the pool, as stored for imports and exports. */
typedef struct wr_name {
    const char *s;               /* NUL-terminated */
    uint32_t    len;
} wr_name;

wr_name wr_pool_name(const wr_module *m, uint32_t at);
/* The module and field names of an import. */
void wr_import_names(const wr_module *m, const wr_import *imp,
                     wr_name *module, wr_name *name);

enum { WR_SEG_ACTIVE, WR_SEG_PASSIVE, WR_SEG_DECLARATIVE };

typedef struct wr_elem_def {
    uint32_t at;                 /* of the segment's flags in m->bytes */
    uint8_t  type;               /* funcref or externref */
} wr_elem_def;

/* A segment as instantiation reads it again from the bytes. */
typedef struct wr_segment {
    uint8_t      mode;           /* WR_SEG_* */
    bool         exprs;          /* elements: items are expressions */
    uint8_t      type;           /* elements: funcref or externref */
    uint32_t     index;          /* active: the table or memory */
    wr_constexpr offset;         /* active: i32 */
    uint32_t     count;          /* elements: items; data: bytes */
    uint32_t     at;             /* the first item or byte in m->bytes */
} wr_segment;

/* Segment i, which decoding validated (so reading cannot fail). */
void wr_elem_segment(const wr_module *m, uint32_t i, wr_segment *out);
void wr_data_segment(const wr_module *m, uint32_t i, wr_segment *out);
/* The next item of an element segment, at *at (advanced past it). */
wr_constexpr wr_elem_item(const wr_module *m, const wr_segment *s,
                          uint32_t *at);

typedef struct wr_code wr_code;          /* exec.h */
typedef struct wr_code_chunk wr_code_chunk;   /* compile.c */

struct wr_module {
    int          refcount;     /* atomic (__atomic builtins): instances of one
                                  module may be made on several threads */
    bool         inspect_only;   /* wr_module_inspect: no code, no bytes */
    uint8_t     *bytes;          /* private copy of the binary */
    size_t       len;

    uint32_t     ntypes;
    wr_type_def *types;
    wr_type     *type_pool;

    char        *names;          /* the name pool */

    uint32_t     nimports;
    wr_import   *imports;

    uint32_t     nfuncs, nfunc_imports;
    wr_func_def *funcs;
    uint32_t     ntables, ntable_imports;
    wr_table_def *tables;
    uint32_t     nmems, nmem_imports;
    wr_memory_def mems[1];       /* the first only (see MEMORY) */
    uint32_t     nglobals, nglobal_imports;
    wr_global_def *globals;
    wr_constexpr *global_inits;  /* of the defined globals */

    uint32_t     nexports;
    wr_export   *exports;

    bool         has_start;
    uint32_t     start;

    uint32_t     nelems;
    wr_elem_def *elems;
    uint32_t     ndatas;
    uint32_t    *datas;          /* offset of each segment's flags */
    bool         has_datacount;  /* memory.init / data.drop need it */
    uint32_t     datacount;

    uint32_t     ncustoms;
    uint32_t    *customs;        /* custom section names: pool offsets of
                                    NUL-terminated names */

    /* C.refs of the spec: functions that may appear in ref.func in a
     * function body (referenced by an element segment, an export or a
     * global initializer outside function bodies).  nfuncs bits. */
    uint8_t     *func_declared;

    /* Compiled code (compile.c), NULL for wr_module_inspect: one entry
     * per defined function, in chunks freed together. */
    wr_code    **code;
    wr_code_chunk *chunks;
};

/* A view of type idx; its pointers stay valid while m lives. */
wr_functype wr_module_functype(const wr_module *m, uint32_t idx);

/* Validate every function body and, unless m->inspect_only, compile it
 * (decode.c calls it once the whole binary is decoded and passed
 * module-level validation).  at is the offset in m->bytes of the code
 * section's first body size.  Errors are WR_ERR_INVALID or
 * WR_ERR_MALFORMED with the offset in m->bytes, WR_ERR_NOMEM. */
int wr_compile_module(wr_module *m, uint32_t at, wr_error *err);
/* Free m->code and its chunks. */
void wr_code_free(wr_module *m);

/* --- run-time objects (instance.c) ---------------------------------------- */

struct wr_func {
    const wr_functype *type;     /* the defining module's, or the host's */
    uint32_t     type_id;        /* interned in the store: equal ids <=>
                                    equal function types (call_indirect) */
    wr_instance *inst;           /* NULL for host functions */
    const wr_code *code;         /* wasm functions: their code */
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
    uint64_t accessible;         /* bytes readable and writable at data:
                                    >= size when the mapping is a reused
                                    one (instance.c, "Spare mappings") */
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

/* wasmrt.h - the public interface of wasmrt, wharf's WebAssembly
 * interpreter (prefix wr_).  This is its only public header.
 *
 * wasmrt knows nothing about packages: it loads, validates and runs
 * WebAssembly 2.0 modules (without SIMD) under fuel, memory, stack and
 * time limits.  It depends on the C library only.
 *
 * Objects and lifetimes
 *   wr_module    decoded, validated and compiled code; immutable, may be
 *                instantiated any number of times, from several threads
 *                at once (each into its own store).  Reference counted:
 *                instances keep their module alive, so wr_module_free may
 *                be called right after instantiating.
 *   wr_store     owns every runtime object: instances, functions, tables,
 *                memories, globals.  They live until wr_store_free.  Objects
 *                of one store may be linked together (one instance's
 *                exports as another's imports); never across stores.  A
 *                store is used by one thread at a time.
 *   wr_instance  a module linked to its imports, with its own memories,
 *                tables and globals.
 *   wr_extern    a handle on an exported (or host-made) function, table,
 *                memory or global, used to link instances.
 *
 * Errors
 *   Every function that can fail takes a wr_error * (NULL allowed) and
 *   returns NULL / non-zero on failure.  wr_error.kind says which phase
 *   failed and .msg uses the specification's words:
 *     WR_ERR_MALFORMED  "offset 0x1a2: unexpected end of section or function"
 *     WR_ERR_INVALID    "type mismatch", "unknown local 3" (with offset)
 *     WR_ERR_LINK       "unknown import: env.f", "incompatible import type"
 *     WR_ERR_TRAP       the trap names below
 *     WR_ERR_EXIT       a host function asked to stop (WASI proc_exit);
 *                       .exit_code holds the status
 *     WR_ERR_NOMEM      out of host memory
 *     WR_ERR_USAGE      an API misuse the caller can correct (wrong
 *                       argument count or types for wr_call, unknown export)
 *   Trap messages: "unreachable", "integer divide by zero", "integer
 *   overflow", "invalid conversion to integer", "out of bounds memory
 *   access", "out of bounds table access", "undefined element",
 *   "uninitialized element", "indirect call type mismatch", "call stack
 *   exhausted", and wasmrt's own "out of fuel", "deadline exceeded",
 *   "memory limit exceeded".
 *
 * Design and phases: docs/wasmrt.md.
 */
#ifndef WR_WASMRT_H
#define WR_WASMRT_H

#include <stddef.h>
#include <stdint.h>

/* --- values ------------------------------------------------------------ */

typedef enum wr_type {
    WR_I32 = 0x7f,
    WR_I64 = 0x7e,
    WR_F32 = 0x7d,
    WR_F64 = 0x7c,
    WR_FUNCREF = 0x70,
    WR_EXTERNREF = 0x6f,
} wr_type;

/* Floats are carried as their bit patterns so NaN payloads survive. */
typedef struct wr_value {
    wr_type type;
    union {
        int32_t  i32;
        int64_t  i64;
        uint32_t f32;      /* IEEE 754 binary32 bits */
        uint64_t f64;      /* IEEE 754 binary64 bits */
        void    *ref;      /* funcref: a wr_func *, externref: the host's
                              pointer; NULL is the null reference */
    } of;
} wr_value;

/* "i32", "i64", "f32", "f64", "funcref", "externref", or "?". */
const char *wr_type_name(wr_type t);

typedef struct wr_functype {
    uint32_t       nparams, nresults;
    const wr_type *params, *results;
} wr_functype;

typedef struct wr_limits_range {  /* of a table (elements) or memory (pages) */
    uint64_t min, max;
    int      has_max;
} wr_limits_range;

/* --- errors ------------------------------------------------------------ */

enum {
    WR_OK = 0,
    WR_ERR_MALFORMED,
    WR_ERR_INVALID,
    WR_ERR_LINK,
    WR_ERR_TRAP,
    WR_ERR_EXIT,
    WR_ERR_NOMEM,
    WR_ERR_USAGE,
};

typedef struct wr_error {
    int       kind;          /* WR_ERR_*, WR_OK = none */
    long long offset;        /* byte offset in the binary, -1 if none */
    int       exit_code;     /* for WR_ERR_EXIT */
    char      msg[256];      /* the spec's words, lower case */
} wr_error;

/* "offset 0x1a2: type mismatch" or just the message when there is no
 * offset; writes at most n bytes, always NUL-terminated. Returns buf. */
char *wr_error_format(const wr_error *err, char *buf, size_t n);

/* --- modules ----------------------------------------------------------- */

typedef struct wr_module wr_module;

/* Decode, validate and compile a binary module.  bytes are copied (the
 * caller may free them).  Returns NULL with err filled on failure.
 * Memory: at most 5 x len + 6 MiB beside the compiled code, which is
 * about 4.5 bytes per byte of function body for compiler output and at
 * most 32 x len + 8 MiB (beyond: WR_ERR_NOMEM "module too large to
 * compile"; docs/wasmrt.md, "Memory").  Limits beside the spec's: 50000
 * locals per function and 2^24 per module, 1000 parameters or results
 * per type, 65535 nested blocks and 65536 operand-stack values per
 * function (WR_ERR_MALFORMED "too many locals", WR_ERR_INVALID "blocks
 * nested deeper than 65535", ...). */
wr_module *wr_module_load(const void *bytes, size_t len, wr_error *err);

/* Decode and validate a binary module as wr_module_load does (the same
 * errors, but for those about the size of compiled code), without
 * compiling it and without copying bytes, which are
 * only read during the call: the result may be inspected (below), not
 * instantiated (WR_ERR_USAGE).  Peak memory is at most 4 x len + 6 MiB
 * for any input, which is what a program validating untrusted modules
 * side by side needs (wharf-index). */
wr_module *wr_module_inspect(const void *bytes, size_t len, wr_error *err);

/* Drop the caller's reference (NULL is fine). */
void wr_module_free(wr_module *m);

typedef enum wr_kind {
    WR_EXTERN_FUNC = 0,
    WR_EXTERN_TABLE = 1,
    WR_EXTERN_MEMORY = 2,
    WR_EXTERN_GLOBAL = 3,
} wr_kind;

/* What an import expects or an export provides. */
typedef struct wr_externtype {
    wr_kind kind;
    wr_functype     func;        /* WR_EXTERN_FUNC */
    wr_type         elem;        /* WR_EXTERN_TABLE: element type */
    wr_limits_range limits;      /* WR_EXTERN_TABLE / _MEMORY */
    wr_type         global;      /* WR_EXTERN_GLOBAL: value type */
    int             mutable_;    /* WR_EXTERN_GLOBAL */
} wr_externtype;

typedef struct wr_import_info {
    const char *module, *name;   /* NUL-terminated (names are UTF-8) */
    wr_externtype type;
} wr_import_info;

typedef struct wr_export_info {
    const char *name;
    size_t      name_len;        /* names may contain NUL bytes */
    wr_externtype type;
} wr_export_info;

/* Inspection.  Pointers stay valid while the module lives. */
uint32_t wr_module_import_count(const wr_module *m);
void wr_module_import(const wr_module *m, uint32_t i, wr_import_info *out);
uint32_t wr_module_export_count(const wr_module *m);
void wr_module_export(const wr_module *m, uint32_t i, wr_export_info *out);
/* Every function, table, memory and global of the module, imported or
 * defined, by kind and index in the spec's index spaces (imports first):
 * e.g. the limits of a memory the module neither imports nor exports. */
uint32_t wr_module_count(const wr_module *m, wr_kind kind);
/* Returns 0, or -1 when index is out of range. */
int wr_module_entity(const wr_module *m, wr_kind kind, uint32_t index,
                     wr_externtype *out);
uint32_t wr_module_custom_count(const wr_module *m);
const char *wr_module_custom_name(const wr_module *m, uint32_t i);

/* --- stores, host objects, imports ------------------------------------- */

typedef struct wr_store wr_store;
typedef struct wr_instance wr_instance;
typedef struct wr_func wr_func;

typedef struct wr_extern {
    wr_kind kind;
    void   *obj;    /* opaque: wr_func, table, memory or global object */
} wr_extern;

wr_store *wr_store_new(void);
void wr_store_free(wr_store *s);      /* NULL is fine */

/* A host function's view of the call: memory of the calling instance. */
typedef struct wr_caller wr_caller;

/* Host function.  args has type->nparams values, results room for
 * type->nresults (the callee sets them, types included).  Return 0, or
 * the value of wr_trap()/wr_exit(). */
typedef int (*wr_host_fn)(wr_caller *c, void *user, const wr_value *args,
                          wr_value *results);

/* Make the current call trap with msg (copied); returns -1 for the host
 * function to return. */
int wr_trap(wr_caller *c, const char *msg);
/* Stop the whole call chain with an exit status (WR_ERR_EXIT). */
int wr_exit(wr_caller *c, int code);

/* The calling instance's memory 0: bounds-checked copies in and out.
 * Return 0, or -1 when [addr, addr+n) is outside the memory (or there is
 * no memory). */
int wr_caller_read(wr_caller *c, uint64_t addr, void *dst, size_t n);
int wr_caller_write(wr_caller *c, uint64_t addr, const void *src, size_t n);
/* Direct access for large transfers: base and size of memory 0 (NULL, 0
 * without memory).  Valid until the next call into wasm or memory.grow. */
uint8_t *wr_caller_memory(wr_caller *c, uint64_t *size);

/* Host-made objects (the spec tests' "spectest" module, WASI).  Each
 * returns 0, or non-zero with err filled. */
int wr_func_new(wr_store *s, const wr_functype *type, wr_host_fn fn,
                void *user, wr_extern *out, wr_error *err);
int wr_global_new(wr_store *s, wr_type type, int mutable_, wr_value init,
                  wr_extern *out, wr_error *err);
int wr_memory_new(wr_store *s, wr_limits_range pages, wr_extern *out,
                  wr_error *err);
int wr_table_new(wr_store *s, wr_type elem, wr_limits_range size,
                 wr_extern *out, wr_error *err);

/* Read a global's current value. */
wr_value wr_global_get(wr_extern g);

/* Imports for one instantiation: a list of (module, name) -> extern. */
typedef struct wr_imports wr_imports;
wr_imports *wr_imports_new(void);
void wr_imports_free(wr_imports *imp);
/* Names are copied.  A later entry with the same names replaces the
 * earlier one. */
int wr_imports_add(wr_imports *imp, const char *module, const char *name,
                   wr_extern ext, wr_error *err);

/* --- instances ----------------------------------------------------------- */

/* Limits of an instance; zero fields take the defaults. */
typedef struct wr_limits {
    uint64_t fuel;            /* instructions in all; 0 = unlimited */
    uint64_t max_memory;      /* bytes per memory, caps initial size and
                                 memory.grow; 0 = 4 GiB (the spec's max) */
    uint32_t max_call_depth;  /* nested wasm calls; 0 = 10000 */
    uint32_t max_stack;       /* value-stack cells; 0 = 1 Mi cells */
    uint64_t timeout_ms;      /* wall-clock deadline per wr_call; 0 = none */
} wr_limits;

/* Link m to imp (NULL: none), allocate memories, tables and globals,
 * initialise them from the element and data segments, run the start
 * function.  Link failures: WR_ERR_LINK ("unknown import: env.f",
 * "incompatible import type"); a trap while initialising or in start:
 * WR_ERR_TRAP (the spec's "uninstantiable" case; writes already made to
 * imported memories and tables stay, as the spec says).  The instance
 * belongs to s. */
wr_instance *wr_instantiate(wr_store *s, wr_module *m, const wr_imports *imp,
                            const wr_limits *limits, wr_error *err);

/* Find an export; 0, or -1 when there is none of that name. */
int wr_instance_export(wr_instance *inst, const char *name, wr_extern *out);
/* The same for a name of len bytes that may contain NUL bytes. */
int wr_instance_export_n(wr_instance *inst, const char *name, size_t len,
                         wr_extern *out);

/* Call the exported function name with nargs args (types must match:
 * WR_ERR_USAGE otherwise); results receives up to nresults values.
 * Returns 0, or non-zero with err filled (WR_ERR_TRAP, WR_ERR_EXIT, ...).
 * Fuel: an instance starts with limits->fuel units (one per instruction
 * executed, including those of other instances and host calls it makes);
 * when they run out the call traps with "out of fuel", and
 * wr_instance_set_fuel refuels it for the next call. */
int wr_call(wr_instance *inst, const char *name, const wr_value *args,
            size_t nargs, wr_value *results, size_t nresults, wr_error *err);

/* The same for a function handle (from wr_instance_export). */
int wr_call_func(wr_instance *inst, wr_extern func, const wr_value *args,
                 size_t nargs, wr_value *results, size_t nresults,
                 wr_error *err);

/* The type of a function extern. */
const wr_functype *wr_func_type(wr_extern func);

/* Fuel left (UINT64_MAX when unlimited), and refuelling. */
uint64_t wr_instance_fuel(const wr_instance *inst);
void wr_instance_set_fuel(wr_instance *inst, uint64_t fuel);

/* Memory 0 of an instance (NULL, 0 if it has none). */
uint8_t *wr_instance_memory(wr_instance *inst, uint64_t *size);

/* The version of wasmrt, e.g. "0.1.0". */
const char *wr_version(void);

#endif

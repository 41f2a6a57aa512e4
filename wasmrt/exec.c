/* exec.c - the interpreter: runs the internal code compile.c makes.
 *
 * This is the implementation of wr_exec_call.  It runs one call (a wasm
 * function or a host function) to completion, with the fuel, deadline,
 * call-depth and value-stack limits of the entry instance.
 *
 * THE CODE FORMAT
 *
 * compile.c turns each function body into a wr_code (exec.h): an array
 * of 64-bit words.  An instruction is a handler word followed by its
 * operand words; exec.h lists every layout.  Branch targets are resolved
 * (relative word offsets), so execution never scans for `end`/`else`.
 *
 * THE SLOT RULE
 *
 * A frame is a run of 64-bit cells at fp:
 *
 *     fp[0 .. nparams)                    parameters
 *     fp[nparams .. nparams+nlocals)      declared locals (zeroed on entry)
 *     fp[nparams+nlocals]                 the zero cell, always 0 (zeroed
 *                                         with the locals): constant zero
 *                                         operands and absolute addresses
 *     fp[nparams+nlocals+1 + k]           operand-stack position k
 *
 * Validation knows the operand-stack height at every instruction, so the
 * compiler addresses operands by slot instead of pushing and popping:
 * `i32.add` becomes {I32_ADD, dst, a, b}.  local.get emits nothing (the
 * consumer reads the local's slot), constants become immediate operands
 * (the _I and _R forms), `p + 8` folds into the address of a load or
 * store (_A), a load into the op that reads it (_M), the result of the
 * last instruction is retargeted straight into a local for
 * local.set/tee, and a compare followed by br_if/if becomes one
 * compare-and-branch.  compile.c's PEEPHOLES lists the rest.
 *
 * An i32 (and f32) is stored zero-extended into its cell and read as the
 * low 32 bits; references are pointers.
 *
 * THE ACCUMULATOR
 *
 * Besides its dst slot, every instruction with an integer result leaves
 * it in `acc`, a local of run() (a register).  When the next instruction
 * consumes that value, compile.c picks its _X form, which reads acc
 * instead of the slot: a dependency chain (x ^ rotl(x, 7) + ...) then
 * does not wait for a store-to-load round trip per step.  The slot is
 * still written, so everything else reads slots as before.
 *
 * CALLS
 *
 * Calls between wasm functions never recurse on the C stack.  The caller
 * evaluates the arguments into its operand-stack slots k.., and the
 * callee's frame starts right there (fp' = fp + nparams+nlocals+1+k): the
 * arguments are already the callee's parameters, and the callee leaves its
 * results at fp'[0..), i.e. where the caller expects them.  A wr_frame
 * (return pc, caller fp, caller instance) is pushed on an explicit frame
 * stack.  Host functions are called through call_host with wr_values and
 * a wr_caller; they may call wr_call again (a nested wr_exec_call with its
 * own stacks; nesting is capped at WR_MAX_NESTING).
 *
 * The value stack starts small and grows (realloc) up to max_stack cells,
 * so frames record fp as an offset; the frame stack grows up to
 * max_call_depth.  Either limit traps with "call stack exhausted".
 *
 * DISPATCH
 *
 * With GCC or clang the handler word is the address of the handler's
 * label and every handler ends with `goto *pc->h` (direct threading, one
 * indirect jump per instruction, each with its own prediction).
 * Otherwise (or with -DWR_NO_COMPUTED_GOTO) the word is the op number and
 * a switch dispatches.  The hot state (pc, fp, acc, fuel, memory base
 * and size, the instance) lives in locals of run(), i.e. in registers.
 * Memory never moves (internal.h), so only its size is reloaded after
 * calls and memory.grow.
 *
 * FUEL AND DEADLINE
 *
 * compile.c splits code into straight-line segments and counts the wasm
 * instructions in each; a segment's cost is charged when it is entered:
 * by a call (wr_code.entry_cost) or a branch (the cost field of the
 * branch word; conditional branches carry the cost of the fall-through
 * segment too).  A segment that falls into a label includes the label's
 * segment in its cost, so falling through needs no instruction.  A
 * segment that cannot be paid traps with "out of fuel" before it runs.
 * The register `fuel` holds a slice; refuel() moves more from the
 * reserve, and checks the deadline, when a slice is used up.  Unlimited
 * fuel without a deadline is a slice of 2^62: one subtract and one
 * never-taken branch per taken branch and call.  With a deadline the
 * slice is WR_FUEL_SLICE instructions, so the clock is read every few
 * milliseconds; bulk memory and table operations of WR_BULK_CHECK units
 * or more read it themselves (one such instruction can take long).
 *
 * TRAPS
 *
 * Handlers `goto trap` with x->trap set to the spec's message; run()
 * then fills the wr_error.  Bounds checks use 64-bit arithmetic
 * (address + offset + size > memory size).  Unaligned accesses go
 * through memcpy; the host must be little-endian (checked below).
 *
 * Tests: the spec suite through tests/spec/ (every numeric, memory,
 * control and call .wast); tests/cli/t0013-wasmrt-limits.sh for traps,
 * fuel, deadline and stack limits.
 */
#include "exec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "wasmrt assumes a little-endian host"
#endif

#if defined(__GNUC__) && !defined(WR_NO_COMPUTED_GOTO)
#define WR_THREADED 1
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define WR_THREADED 0
#define UNLIKELY(x) (x)
#endif

#define WR_FUEL_SLICE     (1 << 20)        /* instructions between clock reads */
#define WR_FUEL_HUGE      ((int64_t)1 << 62)
#define WR_STACK_START    4096u            /* cells */
#define WR_FRAMES_START   64u
#define WR_MAX_NESTING    64u              /* wr_exec_call within host calls */
#define WR_BULK_CHECK     65536u           /* bytes or elements (BULK) */

static const char TRAP_OOB_MEM[] = "out of bounds memory access";
static const char TRAP_OOB_TABLE[] = "out of bounds table access";
static const char TRAP_DIV0[] = "integer divide by zero";
static const char TRAP_OVERFLOW[] = "integer overflow";
static const char TRAP_CONV[] = "invalid conversion to integer";
static const char TRAP_EXHAUSTED[] = "call stack exhausted";

typedef struct wr_frame {
    const wr_insn *ret;          /* where the caller continues */
    size_t         fp;           /* caller's fp, cells from the stack base */
    wr_instance   *inst;         /* caller's instance */
} wr_frame;

typedef struct wr_exec {
    wr_instance *entry;          /* whose fuel and limits apply */
    wr_error    *err;
    const char  *trap;           /* the message, when a handler traps */
    wr_cell     *stack;
    size_t       cap, max;       /* cells allocated, allowed */
    wr_frame    *frames;
    uint32_t     frames_cap, max_depth;
    bool         limited;        /* fuel is finite */
    uint64_t     reserve;        /* fuel beyond the register's slice */
    bool         has_deadline;
    uint64_t     deadline_ns;    /* CLOCK_MONOTONIC */
} wr_exec;

static _Thread_local unsigned wr_nesting;

/* --- values ------------------------------------------------------------- */

static inline float f32_of(wr_cell c)
{
    uint32_t u = (uint32_t)c;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline double f64_of(wr_cell c)
{
    double d;
    memcpy(&d, &c, sizeof d);
    return d;
}

static inline wr_cell cell_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline wr_cell cell_f64(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static wr_value value_of(wr_type t, wr_cell c)
{
    wr_value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    switch (t) {
    case WR_I32: v.of.i32 = (int32_t)(uint32_t)c; break;
    case WR_F32: v.of.f32 = (uint32_t)c; break;
    case WR_I64: v.of.i64 = (int64_t)c; break;
    case WR_F64: v.of.f64 = c; break;
    case WR_FUNCREF:
    case WR_EXTERNREF: v.of.ref = (void *)(uintptr_t)c; break;
    }
    return v;
}

static wr_cell cell_of(wr_type t, const wr_value *v)
{
    switch (t) {
    case WR_I32: return (uint32_t)v->of.i32;
    case WR_F32: return v->of.f32;
    case WR_I64: return (uint64_t)v->of.i64;
    case WR_F64: return v->of.f64;
    case WR_FUNCREF:
    case WR_EXTERNREF: return (uintptr_t)v->of.ref;
    }
    return 0;
}

/* --- float helpers (IEEE 754 as the spec wants it) ---------------------- */

/* min/max: a NaN operand gives a (quiet) NaN; -0 is below +0. */
static inline float fmin32(float a, float b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}

static inline float fmax32(float a, float b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

static inline double fmin64(double a, double b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}

static inline double fmax64(double a, double b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

/* Rounding functions: a NaN comes back quiet whatever libm does. */
#define ROUND_FN(name, T, fn) \
    static inline T name(T v) { return v != v ? v + v : fn(v); }
ROUND_FN(ceil32, float, ceilf)
ROUND_FN(floor32, float, floorf)
ROUND_FN(trunc32, float, truncf)
ROUND_FN(nearest32, float, rintf)
ROUND_FN(sqrt32, float, sqrtf)
ROUND_FN(ceil64, double, ceil)
ROUND_FN(floor64, double, floor)
ROUND_FN(trunc64, double, trunc)
ROUND_FN(nearest64, double, rint)
ROUND_FN(sqrt64, double, sqrt)

/* Saturating truncation: NaN -> 0, out of range -> the nearest bound.
 * lo and hi are exclusive bounds of the representable range. */
#define SAT_FN(name, T, lo, hi, min, max) \
    static inline T name(double d) \
    { \
        if (d != d) return 0; \
        if (!(d > (lo))) return (min); \
        if (!(d < (hi))) return (max); \
        return (T)d; \
    }
SAT_FN(sat_i32, int32_t, -2147483649.0, 2147483648.0, INT32_MIN, INT32_MAX)
SAT_FN(sat_u32, uint32_t, -1.0, 4294967296.0, 0, UINT32_MAX)
SAT_FN(sat_i64, int64_t, -9223372036854777856.0, 9223372036854775808.0,
       INT64_MIN, INT64_MAX)
SAT_FN(sat_u64, uint64_t, -1.0, 18446744073709551616.0, 0, UINT64_MAX)

static inline uint32_t rotl32(uint32_t a, uint32_t b)
{
    b &= 31;
    return (a << b) | (a >> ((32 - b) & 31));
}

static inline uint32_t rotr32(uint32_t a, uint32_t b)
{
    b &= 31;
    return (a >> b) | (a << ((32 - b) & 31));
}

static inline uint64_t rotl64(uint64_t a, uint64_t b)
{
    b &= 63;
    return (a << b) | (a >> ((64 - b) & 63));
}

static inline uint64_t rotr64(uint64_t a, uint64_t b)
{
    b &= 63;
    return (a >> b) | (a << ((64 - b) & 63));
}

/* --- fuel and deadline ------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t fuel_slice(const wr_exec *x)
{
    return x->has_deadline ? WR_FUEL_SLICE : WR_FUEL_HUGE;
}

/* The register's first slice; the rest of the instance's fuel waits in
 * x->reserve. */
static int64_t fuel_start(wr_exec *x)
{
    uint64_t total = x->entry->fuel;
    int64_t slice = fuel_slice(x);
    x->limited = total != UINT64_MAX;
    x->reserve = 0;
    if (!x->limited)
        return slice;
    if (total > (uint64_t)slice) {
        x->reserve = total - (uint64_t)slice;
        return slice;
    }
    return (int64_t)total;
}

/* Write the fuel left back into the entry instance. */
static void fuel_save(wr_exec *x, int64_t fuel)
{
    if (x->limited)
        x->entry->fuel = (uint64_t)fuel + x->reserve;
}

/* fuel (< need) ran out of its slice: check the deadline and move more
 * from the reserve.  Returns the new register value, or -1 with x->trap
 * set. */
static int64_t refuel(wr_exec *x, int64_t fuel, uint32_t need)
{
    if (x->has_deadline && now_ns() >= x->deadline_ns) {
        x->trap = "deadline exceeded";
        return -1;
    }
    int64_t slice = fuel_slice(x);
    if (slice < (int64_t)need)
        slice = need;
    if (!x->limited)
        return fuel + slice;
    if (x->reserve < (uint64_t)need - (uint64_t)fuel) {   /* fuel < need */
        x->trap = "out of fuel";
        return -1;
    }
    uint64_t take = (uint64_t)slice;
    if (take > x->reserve)
        take = x->reserve;
    x->reserve -= take;
    return fuel + (int64_t)take;
}

/* --- stacks ------------------------------------------------------------- */

/* Make room for `cells` value cells and `depth` frames, or trap. */
static int stacks_grow(wr_exec *x, size_t cells, uint32_t depth)
{
    if (cells > x->max || depth > x->max_depth) {
        x->trap = TRAP_EXHAUSTED;
        return -1;
    }
    if (cells > x->cap) {
        size_t cap = x->cap * 2 > cells ? x->cap * 2 : cells;
        if (cap > x->max)
            cap = x->max;
        wr_cell *s = realloc(x->stack, cap * sizeof *s);
        if (!s) {
            x->trap = TRAP_EXHAUSTED;
            return -1;
        }
        x->stack = s;
        x->cap = cap;
    }
    if (depth > x->frames_cap) {
        uint32_t cap = x->frames_cap * 2 > depth ? x->frames_cap * 2 : depth;
        if (cap > x->max_depth)
            cap = x->max_depth;
        wr_frame *f = realloc(x->frames, cap * sizeof *f);
        if (!f) {
            x->trap = TRAP_EXHAUSTED;
            return -1;
        }
        x->frames = f;
        x->frames_cap = cap;
    }
    return 0;
}

/* --- host calls ----------------------------------------------------------- */

/* Call host function f with its parameters in cells[0..); its results
 * replace them.  inst is the calling instance (NULL from the API). */
static int call_host(wr_exec *x, wr_func *f, wr_cell *cells, wr_instance *inst)
{
    const wr_functype *t = f->type;
    wr_value small[16];
    wr_value *v = small;
    size_t n = (size_t)t->nparams + t->nresults;
    if (n > 16 && !(v = malloc(n * sizeof *v)))
        return wr_fail(x->err, WR_ERR_NOMEM, -1, "out of memory");
    wr_value *res = v + t->nparams;
    for (uint32_t i = 0; i < t->nparams; i++)
        v[i] = value_of(t->params[i], cells[i]);
    for (uint32_t i = 0; i < t->nresults; i++)
        res[i] = value_of(t->results[i], 0);
    wr_caller c = { inst, x->err };
    memset(x->err, 0, sizeof *x->err);
    x->err->offset = -1;
    int rc = f->host(&c, f->user, v, res);
    if (rc) {
        if (x->err->kind == WR_OK)
            wr_fail(x->err, WR_ERR_TRAP, -1, "host function failed");
    } else {
        for (uint32_t i = 0; i < t->nresults; i++)
            cells[i] = cell_of(t->results[i], &res[i]);
    }
    if (v != small)
        free(v);
    return rc ? -1 : 0;
}

/* --- the interpreter -------------------------------------------------------- */

/* Handler shorthands: operand fields of the current instruction. */
#define W1A (pc[1].s.a)
#define W1B (pc[1].s.b)
#define W2A (pc[2].s.a)
#define W2B (pc[2].s.b)
#define R32(i) ((uint32_t)fp[i])
/* A result into slot i, and into the accumulator (exec.h). */
#define PUT32(i, v) (fp[i] = acc = (uint32_t)(v))
#define PUT64(i, v) (fp[i] = acc = (uint64_t)(v))

#if WR_THREADED
#define OP(name) L_##name:
#define NEXT() goto *pc->h
#else
#define OP(name) case WR_X_##name:
#define NEXT() goto dispatch
#endif

#define TRAP(msg) do { x->trap = (msg); goto trap; } while (0)

/* Charge n fuel units or trap. */
#define CHARGE(n) do { \
        uint32_t n_ = (n); \
        if (UNLIKELY(fuel < (int64_t)n_)) { \
            int64_t more_ = refuel(x, fuel, n_); \
            if (more_ < 0) goto trap; \
            fuel = more_; \
        } \
        fuel -= n_; \
    } while (0)

/* A bulk operation of n units costs one instruction of fuel, so a loop
 * of large ones could outrun the deadline between fuel slices: check
 * the clock before a large one. */
#define BULK(n) do { \
        if (UNLIKELY((n) >= WR_BULK_CHECK) && x->has_deadline \
            && now_ns() >= x->deadline_ns) \
            TRAP("deadline exceeded"); \
    } while (0)

/* Take the branch word at w. */
#define BRANCH(w) do { \
        const wr_insn *w_ = (w); \
        CHARGE(w_->s.b); \
        pc = w_ + (int32_t)w_->s.a; \
    } while (0)

/* Conditional branch: words at pc+2 (taken) and pc+3 (fall-through cost). */
#define COND_BRANCH(cond, len) do { \
        if (cond) { BRANCH(pc + 2); } \
        else { CHARGE(pc[3].s.b); pc += (len); } \
    } while (0)

#define LOAD_MEM() do { \
        mem = inst->module->nmems ? inst->mems[0] : &no_mem; \
        mem_base = mem->data; \
        mem_size = mem->size; \
    } while (0)

/* Effective address of a load/store of n bytes into `ea`, or trap; the
 * _A forms add an immediate to the address operand first (mod 2^32),
 * the _X forms take the address from the accumulator. */
#define EA_CHECK(n) if (UNLIKELY(ea + (n) > mem_size)) TRAP(TRAP_OOB_MEM)
#define EA(n) uint64_t ea = (uint64_t)R32(W1B) + W2A; EA_CHECK(n)
#define EA_A(n) \
    uint64_t ea = (uint64_t)(uint32_t)(R32(W1B) + W2B) + W2A; EA_CHECK(n)
#define EA_X(n) uint64_t ea = (uint64_t)(uint32_t)acc + W2A; EA_CHECK(n)
#define EA_AX(n) \
    uint64_t ea = (uint64_t)(uint32_t)((uint32_t)acc + W2B) + W2A; \
    EA_CHECK(n)
/* The _M forms' memory operand. */
#define EA_M(n) \
    uint64_t ea = (uint64_t)(uint32_t)(R32(W2A) + pc[3].s.a) + W2B; \
    EA_CHECK(n)

/* Integer operands by width W (32 or 64): a slot, the immediate of an
 * _I form, the accumulator, the immediate of a fused compare. */
#define GET32(i) R32(i)
#define GET64(i) (fp[i])
#define IMM32 W2A
#define IMM64 (pc[2].u64)
#define ACC32 ((uint32_t)acc)
#define ACC64 acc
#define BRIMM32 W1B
#define BRIMM64 (pc[4].u64)
#define BRLEN32 4
#define BRLEN64 5

/* One integer op: a, b of type T from A_ and B_; CHECK may trap first;
 * PUT stores EXPR. */
#define IOP(NAME, T, A_, B_, CHECK, PUT, EXPR) \
    OP(NAME) { T a = (A_), b = (B_); CHECK; PUT(W1A, EXPR); pc += 3; \
               NEXT(); }

/* Binary integer op: NAME, _I, _X, _XI (exec.h); the others apart. */
#define IBIN(W, NAME, CHECK, EXPR) \
    IOP(NAME, uint##W##_t, GET##W(W1B), GET##W(W2A), CHECK, PUT##W, EXPR) \
    IOP(NAME##_I, uint##W##_t, GET##W(W1B), IMM##W, CHECK, PUT##W, EXPR) \
    IOP(NAME##_X, uint##W##_t, ACC##W, GET##W(W2A), CHECK, PUT##W, EXPR) \
    IOP(NAME##_XI, uint##W##_t, ACC##W, IMM##W, CHECK, PUT##W, EXPR)
#define IBIN_XB(W, NAME, CHECK, EXPR) \
    IOP(NAME##_XB, uint##W##_t, GET##W(W1B), ACC##W, CHECK, PUT##W, EXPR)
#define IBIN_R(W, NAME, EXPR) \
    IOP(NAME##_R, uint##W##_t, IMM##W, GET##W(W1B), , PUT##W, EXPR)
#define IBIN_M(W, NAME, EXPR) \
    OP(NAME##_M) { EA_M(W / 8); uint##W##_t a = GET##W(W1B), b; \
                   memcpy(&b, mem_base + ea, W / 8); \
                   PUT##W(W1A, EXPR); pc += 4; NEXT(); } \
    OP(NAME##_MS) { EA_M(W / 8); uint##W##_t a = GET##W(W1B), b; \
                    memcpy(&b, mem_base + ea, W / 8); b = (EXPR); \
                    memcpy(mem_base + ea, &b, W / 8); pc += 4; NEXT(); }
/* Integer ops on float bits (copysign): NAME, _I. */
#define FBITS(W, NAME, EXPR) \
    IOP(NAME, uint##W##_t, GET##W(W1B), GET##W(W2A), , PUT##W, EXPR) \
    IOP(NAME##_I, uint##W##_t, GET##W(W1B), IMM##W, , PUT##W, EXPR)

/* Compare, and compare-and-branch (words at pc+2, pc+3). */
#define BRCMP(NAME, T, A_, B_, COND, LEN) \
    OP(NAME) { T a = (A_), b = (B_); COND_BRANCH(COND, LEN); NEXT(); }
#define ICMP(W, NAME, COND) \
    IOP(NAME, uint##W##_t, GET##W(W1B), GET##W(W2A), , PUT32, COND) \
    IOP(NAME##_I, uint##W##_t, GET##W(W1B), IMM##W, , PUT32, COND) \
    IOP(NAME##_X, uint##W##_t, ACC##W, GET##W(W2A), , PUT32, COND) \
    IOP(NAME##_XI, uint##W##_t, ACC##W, IMM##W, , PUT32, COND) \
    BRCMP(BR_##NAME, uint##W##_t, GET##W(W1A), GET##W(W1B), COND, 4) \
    BRCMP(BR_##NAME##_I, uint##W##_t, GET##W(W1A), BRIMM##W, COND, \
          BRLEN##W) \
    BRCMP(BR_##NAME##_X, uint##W##_t, ACC##W, GET##W(W1B), COND, 4) \
    BRCMP(BR_##NAME##_XI, uint##W##_t, ACC##W, BRIMM##W, COND, BRLEN##W)

#define FBIN32(NAME, EXPR) \
    OP(NAME) { float a = f32_of(fp[W1B]), b = f32_of(fp[W2A]); \
               fp[W1A] = cell_f32(EXPR); pc += 3; NEXT(); } \
    OP(NAME##_I) { float a = f32_of(fp[W1B]), b = f32_of(pc[2].u64); \
                   fp[W1A] = cell_f32(EXPR); pc += 3; NEXT(); }
#define FBIN64(NAME, EXPR) \
    OP(NAME) { double a = f64_of(fp[W1B]), b = f64_of(fp[W2A]); \
               fp[W1A] = cell_f64(EXPR); pc += 3; NEXT(); } \
    OP(NAME##_I) { double a = f64_of(fp[W1B]), b = f64_of(pc[2].u64); \
                   fp[W1A] = cell_f64(EXPR); pc += 3; NEXT(); }
#define FBIN32R(NAME, EXPR) \
    OP(NAME##_R) { float a = f32_of(pc[2].u64), b = f32_of(fp[W1B]); \
                   fp[W1A] = cell_f32(EXPR); pc += 3; NEXT(); }
#define FBIN64R(NAME, EXPR) \
    OP(NAME##_R) { double a = f64_of(pc[2].u64), b = f64_of(fp[W1B]); \
                   fp[W1A] = cell_f64(EXPR); pc += 3; NEXT(); }
#define FBIN32M(NAME, EXPR) \
    OP(NAME##_M) { EA_M(4); float a = f32_of(fp[W1B]), b; \
                   memcpy(&b, mem_base + ea, 4); \
                   fp[W1A] = cell_f32(EXPR); pc += 4; NEXT(); } \
    OP(NAME##_MS) { EA_M(4); float a = f32_of(fp[W1B]), b; \
                    memcpy(&b, mem_base + ea, 4); b = (EXPR); \
                    memcpy(mem_base + ea, &b, 4); pc += 4; NEXT(); }
#define FBIN64M(NAME, EXPR) \
    OP(NAME##_M) { EA_M(8); double a = f64_of(fp[W1B]), b; \
                   memcpy(&b, mem_base + ea, 8); \
                   fp[W1A] = cell_f64(EXPR); pc += 4; NEXT(); } \
    OP(NAME##_MS) { EA_M(8); double a = f64_of(fp[W1B]), b; \
                    memcpy(&b, mem_base + ea, 8); b = (EXPR); \
                    memcpy(mem_base + ea, &b, 8); pc += 4; NEXT(); }
#define FCMP32(NAME, COND) \
    OP(NAME) { float a = f32_of(fp[W1B]), b = f32_of(fp[W2A]); \
               PUT32(W1A, COND); pc += 3; NEXT(); } \
    OP(NAME##_I) { float a = f32_of(fp[W1B]), b = f32_of(pc[2].u64); \
                   PUT32(W1A, COND); pc += 3; NEXT(); }
#define FCMP64(NAME, COND) \
    OP(NAME) { double a = f64_of(fp[W1B]), b = f64_of(fp[W2A]); \
               PUT32(W1A, COND); pc += 3; NEXT(); } \
    OP(NAME##_I) { double a = f64_of(fp[W1B]), b = f64_of(pc[2].u64); \
                   PUT32(W1A, COND); pc += 3; NEXT(); }

/* Unary: v is the operand read by GET (from its slot, or acc for _X);
 * the cell gets RESULT. */
#define UNOP(NAME, T, GET, RESULT) \
    OP(NAME) { T v = GET(fp[W1B]); fp[W1A] = acc = (RESULT); pc += 2; \
               NEXT(); } \
    OP(NAME##_X) { T v = GET(acc); fp[W1A] = acc = (RESULT); pc += 2; \
                   NEXT(); }
#define U32(c) ((uint32_t)(c))
#define U64(c) ((uint64_t)(c))

/* Trapping float-to-int: v in (lo, hi) exclusive, else trap. */
#define TRUNC1(NAME, SRC, GET, T, UT, lo, hi) \
    OP(NAME) { double v = GET(SRC); \
               if (v != v) TRAP(TRAP_CONV); \
               if (!(v > (lo) && v < (hi))) TRAP(TRAP_OVERFLOW); \
               fp[W1A] = acc = (UT)(T)v; pc += 2; NEXT(); }
#define TRUNC(NAME, GET, T, UT, lo, hi) \
    TRUNC1(NAME, fp[W1B], GET, T, UT, lo, hi) \
    TRUNC1(NAME##_X, acc, GET, T, UT, lo, hi)

#define LOAD1(NAME, EA_, N, T, RESULT) \
    OP(NAME) { EA_(N); T v; memcpy(&v, mem_base + ea, N); \
               fp[W1A] = acc = (RESULT); pc += 3; NEXT(); }
#define LOAD(NAME, N, T, RESULT) \
    LOAD1(NAME, EA, N, T, RESULT) \
    LOAD1(NAME##_A, EA_A, N, T, RESULT) \
    LOAD1(NAME##_X, EA_X, N, T, RESULT) \
    LOAD1(NAME##_AX, EA_AX, N, T, RESULT)
#define STORE1(NAME, EA_, N, T, SRC) \
    OP(NAME) { EA_(N); T v = (T)(SRC); memcpy(mem_base + ea, &v, N); \
               pc += 3; NEXT(); }
#define STORE(NAME, N, T) \
    STORE1(NAME, EA, N, T, fp[W1A]) \
    STORE1(NAME##_A, EA_A, N, T, fp[W1A]) \
    STORE1(NAME##_X, EA, N, T, acc) \
    STORE1(NAME##_AX, EA_A, N, T, acc)

/* Run f with its arguments in stack[0..) until it returns (0) or traps
 * (-1, x->trap or x->err set).  With f NULL, only store the handler
 * words into table_out. */
static int run(wr_exec *x, wr_func *f, uintptr_t *table_out)
{
#if WR_THREADED
    static const void *const labels[WR_X_COUNT] = {
#define WR_X_LABEL(name) &&L_##name,
        WR_XOPS_SPECIAL(WR_X_LABEL)
#define WR_OP(code, name, text, shape, a, b, r, xx) \
        WR_XOPS_ROW(WR_X_LABEL, code, name, text, shape, a, b, r, xx)
#define WR_OPFC WR_OP
#include "opcodes.def"
#undef WR_OP
#undef WR_OPFC
#undef WR_X_LABEL
    };
    if (table_out) {
        for (unsigned i = 0; i < WR_X_COUNT; i++)
            table_out[i] = (uintptr_t)labels[i];
        return 0;
    }
#else
    if (table_out) {
        for (unsigned i = 0; i < WR_X_COUNT; i++)
            table_out[i] = i;
        return 0;
    }
#endif
    wr_memory no_mem;
    memset(&no_mem, 0, sizeof no_mem);
    wr_insn halt;
#if WR_THREADED
    halt.h = labels[WR_X_HALT];
#else
    halt.op = WR_X_HALT;
#endif

    wr_instance *inst = f->inst;
    wr_memory *mem;
    uint8_t *mem_base;
    uint64_t mem_size;
    LOAD_MEM();
    wr_cell *stack = x->stack;
    wr_cell *stack_end = stack + x->cap;
    wr_frame *frames = x->frames;
    uint32_t frames_cap = x->frames_cap, depth = 0;
    int64_t fuel = fuel_start(x);
    uint64_t acc = 0;                /* the accumulator (exec.h) */
    int rc = -1;

    /* Enter f as if called from the halt instruction. */
    const wr_insn *pc = &halt, *ret = &halt;
    wr_cell *fp = stack, *nfp = stack;
    const wr_code *callee = f->code;
    wr_instance *callee_inst = inst;
    goto enter;

#if !WR_THREADED
dispatch:
    switch ((enum wr_xop)pc->op) {
#endif

    /* --- control --- */
    OP(UNREACHABLE) { TRAP("unreachable"); }
    OP(HALT) { rc = 0; goto out; }
    OP(BR) { BRANCH(pc + 1); NEXT(); }
    OP(BR_IF_NZ) { COND_BRANCH(R32(W1A) != 0, 4); NEXT(); }
    OP(BR_IF_Z) { COND_BRANCH(R32(W1A) == 0, 4); NEXT(); }
    OP(BR_IF_NZ64) { COND_BRANCH(fp[W1A] != 0, 4); NEXT(); }
    OP(BR_IF_Z64) { COND_BRANCH(fp[W1A] == 0, 4); NEXT(); }
    OP(BR_IF_NZ_X) { COND_BRANCH((uint32_t)acc != 0, 4); NEXT(); }
    OP(BR_IF_Z_X) { COND_BRANCH((uint32_t)acc == 0, 4); NEXT(); }
    OP(BR_IF_NZ64_X) { COND_BRANCH(acc != 0, 4); NEXT(); }
    OP(BR_IF_Z64_X) { COND_BRANCH(acc == 0, 4); NEXT(); }
    OP(BR_TABLE8) {
        uint32_t i = R32(W1A), n = W1B;
        if (i > n)
            i = n;
        BRANCH(pc + 2 + (((uint64_t)n + 8) >> 3)
               + ((const uint8_t *)(pc + 2))[i]);
        NEXT();
    }
    OP(BR_TABLE16) {
        uint32_t i = R32(W1A), n = W1B;
        if (i > n)
            i = n;
        BRANCH(pc + 2 + (((uint64_t)n + 4) >> 2)
               + ((const uint16_t *)(pc + 2))[i]);
        NEXT();
    }
    OP(RETURN1) {
        fp[0] = fp[W1A];
        goto do_return;
    }
    OP(RETURN) {
    do_return:;
        const wr_frame *fr = &frames[--depth];
        pc = fr->ret;
        fp = stack + fr->fp;
        if (fr->inst != inst) {
            inst = fr->inst;
            LOAD_MEM();
        } else {
            mem_size = mem->size;
        }
        NEXT();
    }
    OP(CALL_INTERNAL) {
        callee = *(wr_code *const *)pc[1].ptr;
        callee_inst = inst;
        nfp = fp + W2A;
        ret = pc + 3;
        goto enter;
    }
    OP(CALL) {
        f = inst->funcs[W1A];
        nfp = fp + W1B;
        ret = pc + 2;
        goto call_func;
    }
    OP(CALL_INDIRECT) {
        const wr_table *t = inst->tables[W2B];
        uint32_t i = R32(W1B);
        if (i >= t->size)
            TRAP("undefined element");
        f = (wr_func *)(uintptr_t)t->elems[i];
        if (!f)
            TRAP("uninitialized element");
        if (f->type_id != inst->type_ids[W2A])
            TRAP("indirect call type mismatch");
        nfp = fp + W1A;
        ret = pc + 3;
        goto call_func;
    }

    /* --- parametric and variables --- */
    OP(COPY) { fp[W1A] = fp[W1B]; pc += 2; NEXT(); }
    OP(COPYN) {
        uint32_t n = W1A;
        const wr_insn *w = pc + 2;
        for (uint32_t i = 0; i < n; i++)
            fp[w[i].s.a] = fp[w[i].s.b];
        pc += 2 + n;
        NEXT();
    }
    OP(CONST) { fp[W1A] = pc[2].u64; pc += 3; NEXT(); }
    OP(SUM) { fp[W1A] = (uint32_t)(R32(W1B) + W2A); pc += 3; NEXT(); }
    OP(SUM2) {
        fp[W1A] = (uint32_t)(R32(W1B) + W2A);
        fp[W2B] = (uint32_t)(R32(pc[3].s.a) + pc[3].s.b);
        pc += 4;
        NEXT();
    }
    OP(SUM_BR_NZ) {
        uint32_t v = R32(W1B) + pc[3].s.a;
        fp[W1A] = v;
        COND_BRANCH(v != 0, 4);
        NEXT();
    }
    OP(SUM_BR_Z) {
        uint32_t v = R32(W1B) + pc[3].s.a;
        fp[W1A] = v;
        COND_BRANCH(v == 0, 4);
        NEXT();
    }
    OP(SELECT) {
        fp[W1A] = acc = R32(W1B) ? fp[W2A] : fp[W2B];
        pc += 3;
        NEXT();
    }
    OP(GLOBAL_GET) {
        fp[W1A] = acc = inst->globals[W1B]->value;
        pc += 2;
        NEXT();
    }
    OP(GLOBAL_SET) { inst->globals[W1B]->value = fp[W1A]; pc += 2; NEXT(); }

    /* --- memory --- */
    LOAD(I32_LOAD, 4, uint32_t, v)
    LOAD(I64_LOAD, 8, uint64_t, v)
    LOAD(F32_LOAD, 4, uint32_t, v)
    LOAD(F64_LOAD, 8, uint64_t, v)
    LOAD(I32_LOAD8_S, 1, int8_t, (uint32_t)(int32_t)v)
    LOAD(I32_LOAD8_U, 1, uint8_t, v)
    LOAD(I32_LOAD16_S, 2, int16_t, (uint32_t)(int32_t)v)
    LOAD(I32_LOAD16_U, 2, uint16_t, v)
    LOAD(I64_LOAD8_S, 1, int8_t, (uint64_t)(int64_t)v)
    LOAD(I64_LOAD8_U, 1, uint8_t, v)
    LOAD(I64_LOAD16_S, 2, int16_t, (uint64_t)(int64_t)v)
    LOAD(I64_LOAD16_U, 2, uint16_t, v)
    LOAD(I64_LOAD32_S, 4, int32_t, (uint64_t)(int64_t)v)
    LOAD(I64_LOAD32_U, 4, uint32_t, v)
    STORE(I32_STORE, 4, uint32_t)
    STORE(I64_STORE, 8, uint64_t)
    STORE(F32_STORE, 4, uint32_t)
    STORE(F64_STORE, 8, uint64_t)
    STORE(I32_STORE8, 1, uint8_t)
    STORE(I32_STORE16, 2, uint16_t)
    STORE(I64_STORE8, 1, uint8_t)
    STORE(I64_STORE16, 2, uint16_t)
    STORE(I64_STORE32, 4, uint32_t)
    OP(MEMORY_SIZE) { PUT32(W1A, mem->pages); pc += 2; NEXT(); }
    OP(MEMORY_GROW) {
        int64_t old = wr_memory_grow(mem, R32(W1B));
        PUT32(W1A, (uint32_t)(int32_t)old);
        mem_base = mem->data;
        mem_size = mem->size;
        pc += 2;
        NEXT();
    }
    OP(MEMORY_INIT) {
        const wr_data_inst *seg = &inst->datas[W1A];
        uint32_t d = R32(W1B), s = R32(W2A), n = R32(W2B);
        BULK(n);
        if ((uint64_t)s + n > seg->len || (uint64_t)d + n > mem_size)
            TRAP(TRAP_OOB_MEM);
        if (n)
            memcpy(mem_base + d, seg->bytes + s, n);
        pc += 3;
        NEXT();
    }
    OP(DATA_DROP) { inst->datas[W1A].len = 0; pc += 2; NEXT(); }
    OP(MEMORY_COPY) {
        uint32_t d = R32(W1A), s = R32(W1B), n = R32(W2A);
        BULK(n);
        if ((uint64_t)s + n > mem_size || (uint64_t)d + n > mem_size)
            TRAP(TRAP_OOB_MEM);
        if (n)
            memmove(mem_base + d, mem_base + s, n);
        pc += 3;
        NEXT();
    }
    OP(MEMORY_FILL) {
        uint32_t d = R32(W1A), n = R32(W2A);
        BULK(n);
        if ((uint64_t)d + n > mem_size)
            TRAP(TRAP_OOB_MEM);
        if (n)
            memset(mem_base + d, (int)(uint8_t)fp[W1B], n);
        pc += 3;
        NEXT();
    }

    /* --- tables and references --- */
    OP(TABLE_GET) {
        const wr_table *t = inst->tables[W2A];
        uint32_t i = R32(W1B);
        if (i >= t->size)
            TRAP(TRAP_OOB_TABLE);
        fp[W1A] = t->elems[i];
        pc += 3;
        NEXT();
    }
    OP(TABLE_SET) {
        wr_table *t = inst->tables[W2A];
        uint32_t i = R32(W1A);
        if (i >= t->size)
            TRAP(TRAP_OOB_TABLE);
        t->elems[i] = fp[W1B];
        pc += 3;
        NEXT();
    }
    OP(TABLE_SIZE) { PUT32(W1A, inst->tables[W1B]->size); pc += 2; NEXT(); }
    OP(TABLE_GROW) {
        int64_t old = wr_table_grow(inst->tables[W2B], R32(W2A), fp[W1B]);
        PUT32(W1A, (uint32_t)(int32_t)old);
        pc += 3;
        NEXT();
    }
    OP(TABLE_FILL) {
        wr_table *t = inst->tables[W2B];
        uint32_t i = R32(W1A), n = R32(W2A);
        BULK(n);
        wr_cell v = fp[W1B];
        if ((uint64_t)i + n > t->size)
            TRAP(TRAP_OOB_TABLE);
        for (uint32_t k = 0; k < n; k++)
            t->elems[i + k] = v;
        pc += 3;
        NEXT();
    }
    OP(TABLE_COPY) {
        wr_table *td = inst->tables[pc[3].s.a];
        const wr_table *ts = inst->tables[pc[3].s.b];
        uint32_t d = R32(W1A), s = R32(W1B), n = R32(W2A);
        BULK(n);
        if ((uint64_t)s + n > ts->size || (uint64_t)d + n > td->size)
            TRAP(TRAP_OOB_TABLE);
        if (n)
            memmove(td->elems + d, ts->elems + s, n * sizeof(wr_cell));
        pc += 4;
        NEXT();
    }
    OP(TABLE_INIT) {
        wr_table *t = inst->tables[pc[3].s.a];
        const wr_elem_inst *seg = &inst->elems[W2B];
        uint32_t d = R32(W1A), s = R32(W1B), n = R32(W2A);
        BULK(n);
        if ((uint64_t)s + n > seg->count || (uint64_t)d + n > t->size)
            TRAP(TRAP_OOB_TABLE);
        if (n)
            memcpy(t->elems + d, seg->cells + s, n * sizeof(wr_cell));
        pc += 4;
        NEXT();
    }
    OP(ELEM_DROP) { inst->elems[W1A].count = 0; pc += 2; NEXT(); }
    OP(REF_IS_NULL) { PUT32(W1A, fp[W1B] == 0); pc += 2; NEXT(); }
    OP(REF_FUNC) {
        fp[W1A] = (uintptr_t)inst->funcs[W1B];
        pc += 2;
        NEXT();
    }

    /* --- i32 --- */
    UNOP(I32_EQZ, uint32_t, U32, (uint32_t)(v == 0))
    ICMP(32, I32_EQ, a == b)
    ICMP(32, I32_NE, a != b)
    ICMP(32, I32_LT_S, (int32_t)a < (int32_t)b)
    ICMP(32, I32_LT_U, a < b)
    ICMP(32, I32_GT_S, (int32_t)a > (int32_t)b)
    ICMP(32, I32_GT_U, a > b)
    ICMP(32, I32_LE_S, (int32_t)a <= (int32_t)b)
    ICMP(32, I32_LE_U, a <= b)
    ICMP(32, I32_GE_S, (int32_t)a >= (int32_t)b)
    ICMP(32, I32_GE_U, a >= b)
    UNOP(I32_CLZ, uint32_t, U32, (uint32_t)(v ? __builtin_clz(v) : 32))
    UNOP(I32_CTZ, uint32_t, U32, (uint32_t)(v ? __builtin_ctz(v) : 32))
    UNOP(I32_POPCNT, uint32_t, U32, (uint32_t)__builtin_popcount(v))
    IBIN(32, I32_ADD, , a + b)
    IBIN_M(32, I32_ADD, a + b)
    IBIN(32, I32_SUB, , a - b)
    IBIN_R(32, I32_SUB, a - b)
    IBIN_M(32, I32_SUB, a - b)
    IBIN_XB(32, I32_SUB, , a - b)
    IBIN(32, I32_MUL, , a * b)
    IBIN_M(32, I32_MUL, a * b)
#define DIV0_32 if (b == 0) TRAP(TRAP_DIV0)
#define DIVS_32 DIV0_32; if (a == 0x80000000u && b == 0xffffffffu) TRAP(TRAP_OVERFLOW)
#define DIVS_EXPR32 (uint32_t)((int32_t)a / (int32_t)b)
#define REMS_EXPR32 b == 0xffffffffu ? 0 : (uint32_t)((int32_t)a % (int32_t)b)
    IBIN(32, I32_DIV_S, DIVS_32, DIVS_EXPR32)
    IBIN_XB(32, I32_DIV_S, DIVS_32, DIVS_EXPR32)
    IBIN(32, I32_DIV_U, DIV0_32, a / b)
    IBIN_XB(32, I32_DIV_U, DIV0_32, a / b)
    IBIN(32, I32_REM_S, DIV0_32, REMS_EXPR32)
    IBIN_XB(32, I32_REM_S, DIV0_32, REMS_EXPR32)
    IBIN(32, I32_REM_U, DIV0_32, a % b)
    IBIN_XB(32, I32_REM_U, DIV0_32, a % b)
    IBIN(32, I32_AND, , a & b)
    IBIN_M(32, I32_AND, a & b)
    IBIN(32, I32_OR, , a | b)
    IBIN_M(32, I32_OR, a | b)
    IBIN(32, I32_XOR, , a ^ b)
    IBIN_M(32, I32_XOR, a ^ b)
    IBIN(32, I32_SHL, , a << (b & 31))
    IBIN_R(32, I32_SHL, a << (b & 31))
    IBIN_XB(32, I32_SHL, , a << (b & 31))
    IBIN(32, I32_SHR_S, , (uint32_t)((int32_t)a >> (b & 31)))
    IBIN_XB(32, I32_SHR_S, , (uint32_t)((int32_t)a >> (b & 31)))
    IBIN(32, I32_SHR_U, , a >> (b & 31))
    IBIN_XB(32, I32_SHR_U, , a >> (b & 31))
    IBIN(32, I32_ROTL, , rotl32(a, b))
    IBIN_XB(32, I32_ROTL, , rotl32(a, b))
    IBIN(32, I32_ROTR, , rotr32(a, b))
    IBIN_XB(32, I32_ROTR, , rotr32(a, b))

    /* --- i64 --- */
    UNOP(I64_EQZ, uint64_t, U64, (uint32_t)(v == 0))
    ICMP(64, I64_EQ, a == b)
    ICMP(64, I64_NE, a != b)
    ICMP(64, I64_LT_S, (int64_t)a < (int64_t)b)
    ICMP(64, I64_LT_U, a < b)
    ICMP(64, I64_GT_S, (int64_t)a > (int64_t)b)
    ICMP(64, I64_GT_U, a > b)
    ICMP(64, I64_LE_S, (int64_t)a <= (int64_t)b)
    ICMP(64, I64_LE_U, a <= b)
    ICMP(64, I64_GE_S, (int64_t)a >= (int64_t)b)
    ICMP(64, I64_GE_U, a >= b)
    UNOP(I64_CLZ, uint64_t, U64, (uint64_t)(v ? __builtin_clzll(v) : 64))
    UNOP(I64_CTZ, uint64_t, U64, (uint64_t)(v ? __builtin_ctzll(v) : 64))
    UNOP(I64_POPCNT, uint64_t, U64, (uint64_t)__builtin_popcountll(v))
    IBIN(64, I64_ADD, , a + b)
    IBIN_M(64, I64_ADD, a + b)
    IBIN(64, I64_SUB, , a - b)
    IBIN_R(64, I64_SUB, a - b)
    IBIN_M(64, I64_SUB, a - b)
    IBIN_XB(64, I64_SUB, , a - b)
    IBIN(64, I64_MUL, , a * b)
    IBIN_M(64, I64_MUL, a * b)
#define DIV0_64 if (b == 0) TRAP(TRAP_DIV0)
#define DIVS_64 DIV0_64; \
    if (a == 0x8000000000000000u && b == UINT64_MAX) TRAP(TRAP_OVERFLOW)
#define DIVS_EXPR64 (uint64_t)((int64_t)a / (int64_t)b)
#define REMS_EXPR64 b == UINT64_MAX ? 0 : (uint64_t)((int64_t)a % (int64_t)b)
    IBIN(64, I64_DIV_S, DIVS_64, DIVS_EXPR64)
    IBIN_XB(64, I64_DIV_S, DIVS_64, DIVS_EXPR64)
    IBIN(64, I64_DIV_U, DIV0_64, a / b)
    IBIN_XB(64, I64_DIV_U, DIV0_64, a / b)
    IBIN(64, I64_REM_S, DIV0_64, REMS_EXPR64)
    IBIN_XB(64, I64_REM_S, DIV0_64, REMS_EXPR64)
    IBIN(64, I64_REM_U, DIV0_64, a % b)
    IBIN_XB(64, I64_REM_U, DIV0_64, a % b)
    IBIN(64, I64_AND, , a & b)
    IBIN_M(64, I64_AND, a & b)
    IBIN(64, I64_OR, , a | b)
    IBIN_M(64, I64_OR, a | b)
    IBIN(64, I64_XOR, , a ^ b)
    IBIN_M(64, I64_XOR, a ^ b)
    IBIN(64, I64_SHL, , a << (b & 63))
    IBIN_R(64, I64_SHL, a << (b & 63))
    IBIN_XB(64, I64_SHL, , a << (b & 63))
    IBIN(64, I64_SHR_S, , (uint64_t)((int64_t)a >> (b & 63)))
    IBIN_XB(64, I64_SHR_S, , (uint64_t)((int64_t)a >> (b & 63)))
    IBIN(64, I64_SHR_U, , a >> (b & 63))
    IBIN_XB(64, I64_SHR_U, , a >> (b & 63))
    IBIN(64, I64_ROTL, , rotl64(a, b))
    IBIN_XB(64, I64_ROTL, , rotl64(a, b))
    IBIN(64, I64_ROTR, , rotr64(a, b))
    IBIN_XB(64, I64_ROTR, , rotr64(a, b))

    /* --- floats --- */
    FCMP32(F32_EQ, a == b)
    FCMP32(F32_NE, a != b)
    FCMP32(F32_LT, a < b)
    FCMP32(F32_GT, a > b)
    FCMP32(F32_LE, a <= b)
    FCMP32(F32_GE, a >= b)
    FCMP64(F64_EQ, a == b)
    FCMP64(F64_NE, a != b)
    FCMP64(F64_LT, a < b)
    FCMP64(F64_GT, a > b)
    FCMP64(F64_LE, a <= b)
    FCMP64(F64_GE, a >= b)
    UNOP(F32_ABS, uint32_t, U32, v & 0x7fffffffu)
    UNOP(F32_NEG, uint32_t, U32, v ^ 0x80000000u)
    UNOP(F32_CEIL, float, f32_of, cell_f32(ceil32(v)))
    UNOP(F32_FLOOR, float, f32_of, cell_f32(floor32(v)))
    UNOP(F32_TRUNC, float, f32_of, cell_f32(trunc32(v)))
    UNOP(F32_NEAREST, float, f32_of, cell_f32(nearest32(v)))
    UNOP(F32_SQRT, float, f32_of, cell_f32(sqrt32(v)))
    FBIN32(F32_ADD, a + b)
    FBIN32M(F32_ADD, a + b)
    FBIN32(F32_SUB, a - b)
    FBIN32R(F32_SUB, a - b)
    FBIN32M(F32_SUB, a - b)
    FBIN32(F32_MUL, a * b)
    FBIN32M(F32_MUL, a * b)
    FBIN32(F32_DIV, a / b)
    FBIN32R(F32_DIV, a / b)
    FBIN32M(F32_DIV, a / b)
    FBIN32(F32_MIN, fmin32(a, b))
    FBIN32(F32_MAX, fmax32(a, b))
    FBITS(32, F32_COPYSIGN, (a & 0x7fffffffu) | (b & 0x80000000u))
    UNOP(F64_ABS, uint64_t, U64, v & 0x7fffffffffffffffu)
    UNOP(F64_NEG, uint64_t, U64, v ^ 0x8000000000000000u)
    UNOP(F64_CEIL, double, f64_of, cell_f64(ceil64(v)))
    UNOP(F64_FLOOR, double, f64_of, cell_f64(floor64(v)))
    UNOP(F64_TRUNC, double, f64_of, cell_f64(trunc64(v)))
    UNOP(F64_NEAREST, double, f64_of, cell_f64(nearest64(v)))
    UNOP(F64_SQRT, double, f64_of, cell_f64(sqrt64(v)))
    FBIN64(F64_ADD, a + b)
    FBIN64M(F64_ADD, a + b)
    FBIN64(F64_SUB, a - b)
    FBIN64R(F64_SUB, a - b)
    FBIN64M(F64_SUB, a - b)
    FBIN64(F64_MUL, a * b)
    FBIN64M(F64_MUL, a * b)
    FBIN64(F64_DIV, a / b)
    FBIN64R(F64_DIV, a / b)
    FBIN64M(F64_DIV, a / b)
    FBIN64(F64_MIN, fmin64(a, b))
    FBIN64(F64_MAX, fmax64(a, b))
    FBITS(64, F64_COPYSIGN,
          (a & 0x7fffffffffffffffu) | (b & 0x8000000000000000u))

    /* --- conversions --- */
    UNOP(I32_WRAP_I64, uint64_t, U64, (uint32_t)v)
    TRUNC(I32_TRUNC_F32_S, f32_of, int32_t, uint32_t,
          -2147483649.0, 2147483648.0)
    TRUNC(I32_TRUNC_F32_U, f32_of, uint32_t, uint32_t, -1.0, 4294967296.0)
    TRUNC(I32_TRUNC_F64_S, f64_of, int32_t, uint32_t,
          -2147483649.0, 2147483648.0)
    TRUNC(I32_TRUNC_F64_U, f64_of, uint32_t, uint32_t, -1.0, 4294967296.0)
    UNOP(I64_EXTEND_I32_S, uint32_t, U32, (uint64_t)(int64_t)(int32_t)v)
    UNOP(I64_EXTEND_I32_U, uint32_t, U32, (uint64_t)v)
    TRUNC(I64_TRUNC_F32_S, f32_of, int64_t, uint64_t,
          -9223372036854777856.0, 9223372036854775808.0)
    TRUNC(I64_TRUNC_F32_U, f32_of, uint64_t, uint64_t,
          -1.0, 18446744073709551616.0)
    TRUNC(I64_TRUNC_F64_S, f64_of, int64_t, uint64_t,
          -9223372036854777856.0, 9223372036854775808.0)
    TRUNC(I64_TRUNC_F64_U, f64_of, uint64_t, uint64_t,
          -1.0, 18446744073709551616.0)
    UNOP(F32_CONVERT_I32_S, uint32_t, U32, cell_f32((float)(int32_t)v))
    UNOP(F32_CONVERT_I32_U, uint32_t, U32, cell_f32((float)v))
    UNOP(F32_CONVERT_I64_S, uint64_t, U64, cell_f32((float)(int64_t)v))
    UNOP(F32_CONVERT_I64_U, uint64_t, U64, cell_f32((float)v))
    UNOP(F32_DEMOTE_F64, double, f64_of, cell_f32((float)v))
    UNOP(F64_CONVERT_I32_S, uint32_t, U32, cell_f64((double)(int32_t)v))
    UNOP(F64_CONVERT_I32_U, uint32_t, U32, cell_f64((double)v))
    UNOP(F64_CONVERT_I64_S, uint64_t, U64, cell_f64((double)(int64_t)v))
    UNOP(F64_CONVERT_I64_U, uint64_t, U64, cell_f64((double)v))
    UNOP(F64_PROMOTE_F32, float, f32_of, cell_f64((double)v))
    UNOP(I32_REINTERPRET_F32, uint32_t, U32, (uint64_t)v)
    UNOP(I64_REINTERPRET_F64, uint64_t, U64, v)
    UNOP(F32_REINTERPRET_I32, uint32_t, U32, (uint64_t)v)
    UNOP(F64_REINTERPRET_I64, uint64_t, U64, v)
    UNOP(I32_EXTEND8_S, uint32_t, U32, (uint32_t)(int32_t)(int8_t)v)
    UNOP(I32_EXTEND16_S, uint32_t, U32, (uint32_t)(int32_t)(int16_t)v)
    UNOP(I64_EXTEND8_S, uint64_t, U64, (uint64_t)(int64_t)(int8_t)v)
    UNOP(I64_EXTEND16_S, uint64_t, U64, (uint64_t)(int64_t)(int16_t)v)
    UNOP(I64_EXTEND32_S, uint64_t, U64, (uint64_t)(int64_t)(int32_t)v)
    UNOP(I32_TRUNC_SAT_F32_S, float, f32_of, (uint32_t)sat_i32(v))
    UNOP(I32_TRUNC_SAT_F32_U, float, f32_of, (uint64_t)sat_u32(v))
    UNOP(I32_TRUNC_SAT_F64_S, double, f64_of, (uint32_t)sat_i32(v))
    UNOP(I32_TRUNC_SAT_F64_U, double, f64_of, (uint64_t)sat_u32(v))
    UNOP(I64_TRUNC_SAT_F32_S, float, f32_of, (uint64_t)sat_i64(v))
    UNOP(I64_TRUNC_SAT_F32_U, float, f32_of, sat_u64(v))
    UNOP(I64_TRUNC_SAT_F64_S, double, f64_of, (uint64_t)sat_i64(v))
    UNOP(I64_TRUNC_SAT_F64_U, double, f64_of, sat_u64(v))

#if !WR_THREADED
    default:
        TRAP("invalid internal code");
    }
#endif

    /* A call through a wr_func: host, or wasm of any instance. */
call_func:
    if (!f->code) {
        fuel_save(x, fuel);
        int hrc = call_host(x, f, nfp, inst);
        fuel = fuel_start(x);
        if (hrc)
            goto out;
        LOAD_MEM();
        pc = ret;
        NEXT();
    }
    callee = f->code;
    callee_inst = f->inst;
    /* fall through */

    /* Push a frame and start callee (in callee_inst) at nfp. */
enter: {
        const wr_code *c = callee;
        if (UNLIKELY(nfp + c->frame_cells > stack_end
                     || depth >= frames_cap)) {
            size_t fp_off = (size_t)(fp - stack), nfp_off = (size_t)(nfp - stack);
            if (stacks_grow(x, nfp_off + c->frame_cells, depth + 1))
                goto trap;
            stack = x->stack;
            stack_end = stack + x->cap;
            frames = x->frames;
            frames_cap = x->frames_cap;
            fp = stack + fp_off;
            nfp = stack + nfp_off;
        }
        wr_frame *fr = &frames[depth++];
        fr->ret = ret;
        fr->fp = (size_t)(fp - stack);
        fr->inst = inst;
        CHARGE(c->entry_cost);
        for (wr_cell *l = nfp + c->nparams, *e = l + c->nlocals; l < e; l++)
            *l = 0;
        fp = nfp;
        pc = c->insn;
        if (callee_inst != inst) {
            inst = callee_inst;
            LOAD_MEM();
        }
        NEXT();
    }

trap:
    wr_fail(x->err, WR_ERR_TRAP, -1, "%s", x->trap);
    rc = -1;
out:
    fuel_save(x, fuel);
    return rc;
}

void wr_exec_opwords(uintptr_t *out)
{
    run(NULL, NULL, out);
}

/* --- entry ------------------------------------------------------------- */

int wr_exec_call(wr_instance *entry, wr_func *f, wr_cell *cells,
                 wr_error *err)
{
    wr_error local;
    if (!err)
        err = &local;
    wr_exec x;
    memset(&x, 0, sizeof x);
    x.entry = entry;
    x.err = err;
    if (!f->code)
        return call_host(&x, f, cells, NULL);
    if (wr_nesting >= WR_MAX_NESTING)
        return wr_fail(err, WR_ERR_TRAP, -1, TRAP_EXHAUSTED);

    const wr_limits *lim = &entry->limits;
    const wr_code *c = f->code;
    x.max = lim->max_stack ? lim->max_stack : (1u << 20);
    x.max_depth = lim->max_call_depth ? lim->max_call_depth : 10000;
    if (lim->timeout_ms) {
        x.has_deadline = true;
        x.deadline_ns = now_ns() + lim->timeout_ms * 1000000u;
    }
    size_t want = c->frame_cells > WR_STACK_START ? c->frame_cells
                                                  : WR_STACK_START;
    x.cap = want < x.max ? want : x.max;
    x.frames_cap = WR_FRAMES_START < x.max_depth ? WR_FRAMES_START
                                                 : x.max_depth;
    x.stack = malloc(x.cap * sizeof *x.stack);
    x.frames = malloc(x.frames_cap * sizeof *x.frames);
    if (!x.stack || !x.frames) {
        free(x.stack);
        free(x.frames);
        return wr_fail(err, WR_ERR_NOMEM, -1, "out of memory");
    }
    uint32_t np = f->type->nparams, nr = f->type->nresults;
    if (np <= x.cap)
        memcpy(x.stack, cells, np * sizeof *cells);
    wr_nesting++;
    int rc = np <= x.cap ? run(&x, f, NULL)
                         : wr_fail(err, WR_ERR_TRAP, -1, TRAP_EXHAUSTED);
    wr_nesting--;
    if (rc == 0)
        memcpy(cells, x.stack, nr * sizeof *cells);
    free(x.stack);
    free(x.frames);
    return rc;
}

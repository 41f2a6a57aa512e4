/* compile.c - validation of function bodies, fused with their
 * compilation to wasmrt's internal code.
 *
 * This is the implementation of wr_compile_func and wr_code_free.  One
 * pass over a body runs the spec's validation algorithm (the appendix
 * "Validation Algorithm": an operand stack of types, a control stack of
 * frames with their label types, height and unreachable flag) and, in
 * the same step, writes the code exec.c runs (exec.h, and exec.c's
 * header for the slot rule).
 *
 * OPERANDS
 *
 * Next to its type, every operand-stack entry records where its value is:
 *
 *   K_SLOT   in its own slot, base + k (k its stack position; base =
 *            nparams + nlocals + 1, after the zero cell, exec.c)
 *   K_LOCAL  still in a local: local.get emitted nothing and consumers
 *            read the local's slot
 *   K_CONST  a constant not yet written anywhere: consumers with an
 *            immediate form (_I, _R) take it as an immediate, a zero is
 *            read from the zero cell, a constant address becomes the
 *            immediate of an _A load or store based on the zero cell
 *   K_ADDI   an i32.add of a constant not yet done: base + imm, where
 *            base is a local or the entry's own slot.  Loads and stores
 *            fold it into their address (the _A forms), local.set writes
 *            the sum straight into the local; this is how `local.get p;
 *            i32.const 8; i32.add; f64.load` becomes one instruction
 *
 * Invariants:
 *   1. Before a local is written (local.set/tee), every pending K_LOCAL
 *      entry of that local (and K_ADDI entry based on it) is
 *      materialized (written to its own slot).  npend[] counts them per
 *      local, so this is usually free.
 *   2. At block, loop and if entry every entry is materialized, so the
 *      code inside may write any local; at a label (else, end) the
 *      results are materialized in the label's slots.
 *   3. Entries below `lowest` are all K_SLOT (a bound on scans).
 *   4. Code that runs only on some paths (branch copies) never changes an
 *      entry's kind.
 *   5. Materializing (COPY, COPYN, CONST, SUM) never writes the
 *      accumulator, so it may come between a producer and a consumer
 *      that reads acc (exec.h).
 *
 * Branches copy their values into the target label's slots (the height
 * of the target frame) and jump; forward jumps are chained through their
 * offset fields and patched at the label (here() marks a label: nothing
 * merges across it).
 *
 * PEEPHOLES
 *
 * While nothing was emitted after it, the last instruction is known
 * (last_*), and the next one may change it:
 *   - local.set/tee retargets its result into the local;
 *   - br_if/if fuse a compare or eqz into a compare-and-branch, and a
 *     `local.tee x (x + c)` into SUM_BR_*;
 *   - an integer op reading it takes it from the accumulator (_X forms);
 *   - a binary op reading a load absorbs it (_M), and a store of that
 *     result to the same address turns the op into its _MS form;
 *   - copies merge into COPYN, sums into SUM2.
 *
 * FUEL SEGMENTS
 *
 * Instructions are counted per straight-line segment (seg_cost).  A
 * segment starts at function entry, at a loop header, after a
 * conditional branch, at `else`, and at the `end` of a block that some
 * branch targets.  Every transfer into a segment carries its id in the
 * cost field of its branch word ("sites"); a segment that falls into the
 * next one (a label) is linked to it (seg_next), and at the end each
 * site gets the total of its chain, so exec.c charges a whole segment
 * when entering it and falls through labels for free.  Segment ids grow
 * along the code, so totals are computed backwards in one pass.
 *
 * Dead code (after br, return, unreachable...) is validated but not
 * emitted; wr_module_inspect validates a whole module that way (a
 * function frame with emit false), so it writes no code at all.
 *
 * MEMORY
 *
 * What compiling costs must stay a small multiple of the module's size
 * (docs/wasmrt.md, "Memory"), whatever the bytes say:
 *   - the compile-time stacks are capped, since a few bytes can grow
 *     them a lot: a `call` pushes up to 1000 results (WR_MAX_HEIGHT
 *     operand entries), a `block` is 2 bytes (WR_MAX_CONTROL frames);
 *     at the caps they take about 5 MiB, the constant of the bound;
 *   - the buffers (stacks, per-local counts and types, the code) belong
 *     to the module's compilation and are reused by every body, so many
 *     small functions allocate nothing each;
 *   - a br_table is not copied: its labels are read from the bytes again
 *     (three passes), and its table takes a byte per label (BR_TABLE);
 *   - finished code goes into chunks: small functions packed together,
 *     a large one keeps the buffer it was compiled in, shrunk, so its
 *     code is never held twice;
 *   - code is at most WR_CODE_PER_BYTE words per byte of its body and
 *     WR_CODE_PER_MODULE_BYTE per byte of the module (branches carrying
 *     many values are the only way to exceed a word per byte).
 * Nothing recurses.
 *
 * Tests: the spec suite through tests/spec/ (assert_invalid and
 * assert_malformed of every .wast, and all the run-time tests);
 * tests/unit/wasmrt_decode_test.c (a br_table of 260 targets);
 * tests/cli/t0015-wasmrt-memory.sh (the memory bound, the caps).
 */
#include "exec.h"
#include "reader.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE32            UINT32_MAX
#define WR_MAX_CODE_WORDS (1u << 26)
#define WR_MAX_HEIGHT     65536u     /* operand stack entries (see MEMORY) */
#define WR_MAX_CONTROL    65536u     /* control frames, the function's
                                        included: br_table slots fit u16 */
#define WR_CHUNK_SIZE     (64u << 10) /* code chunks, bytes */
#define WR_CHUNK_ALONE    (16u << 10) /* code this large gets its own */
#define WR_CODE_ALIGN     16u        /* code of WR_ALIGN_MIN words and more
                                        starts there (place_code) */
#define WR_ALIGN_MIN      32u
#define WR_CODE_PER_BYTE  32u        /* code words per body byte, at most:
                                        bounds what a hostile body costs
                                        (branches carrying many values
                                        can expand; real code uses under
                                        1.5, 0.5 on average) */
#define WR_CODE_PER_MODULE_BYTE 4u   /* and per byte of the module, plus */
#define WR_CODE_PER_MODULE (1u << 20) /* words: a module's code is at most
                                        32 times its size + 8 MiB, which
                                        the per-body bound alone would
                                        not give (its 4096 words for a
                                        tiny body add up; see MEMORY) */
#define WR_LOCAL_SCAN     512u       /* longest scan for one local.set */

enum { SH_SPEC, SH_CONST, SH_UN, SH_IBIN, SH_IBINC, SH_IBINR, SH_IBINCM,
       SH_IBINRM, SH_ICMP, SH_FBIN, SH_FBINC, SH_FBINR, SH_FBINCM, SH_FBINRM,
       SH_FCMP, SH_LOAD, SH_STORE };

typedef struct opinfo {
    const char *text;        /* NULL: no such opcode */
    uint8_t     shape;       /* SH_* */
    uint8_t     a, b, r;     /* operand and result types, 0 = none */
    uint8_t     align;       /* loads/stores: log2 of the access size */
    uint16_t    xop;         /* the internal op (not for SPEC/CONST) */
    uint16_t    xop_m;       /* its memory-operand form, or 0 */
    uint16_t    xop_x;       /* its first accumulator form (_X), or 0 */
    bool        has_xb;      /* has a _XB form (b = acc) */
} opinfo;

#define I32 WR_I32
#define I64 WR_I64
#define F32 WR_F32
#define F64 WR_F64
#define NO  0
#define XOP_SPEC(n)  0
#define XOP_CONST(n) 0
#define XOP_UN(n)    WR_X_##n
#define XOP_IBIN(n)  WR_X_##n
#define XOP_IBINC(n) WR_X_##n
#define XOP_IBINR(n) WR_X_##n
#define XOP_IBINCM(n) WR_X_##n
#define XOP_IBINRM(n) WR_X_##n
#define XOP_ICMP(n)  WR_X_##n
#define XOP_FBIN(n)  WR_X_##n
#define XOP_FBINC(n) WR_X_##n
#define XOP_FBINR(n) WR_X_##n
#define XOP_FBINCM(n) WR_X_##n
#define XOP_FBINRM(n) WR_X_##n
#define XOP_FCMP(n)  WR_X_##n
#define XOP_LOAD(n)  WR_X_##n
#define XOP_STORE(n) WR_X_##n
#define XOPM_IBINCM(n) WR_X_##n##_M
#define XOPM_IBINRM(n) WR_X_##n##_M
#define XOPM_FBINCM(n) WR_X_##n##_M
#define XOPM_FBINRM(n) WR_X_##n##_M
#define XOPM_(shape, n) XOPM_##shape(n)
#define XOPM(shape, n) XOPM_(shape, n) + 0
#define XOPM_SPEC(n)
#define XOPM_CONST(n)
#define XOPM_UN(n)
#define XOPM_IBIN(n)
#define XOPM_IBINC(n)
#define XOPM_IBINR(n)
#define XOPM_ICMP(n)
#define XOPM_FBIN(n)
#define XOPM_FBINC(n)
#define XOPM_FBINR(n)
#define XOPM_FCMP(n)
#define XOPM_LOAD(n)
#define XOPM_STORE(n)
#define XOPX_(shape, n) XOPX_##shape(n)
#define XOPX(shape, n) XOPX_(shape, n) + 0
#define XOPX_UN(n)     WR_X_##n##_X
#define XOPX_IBIN(n)   WR_X_##n##_X
#define XOPX_IBINC(n)  WR_X_##n##_X
#define XOPX_IBINR(n)  WR_X_##n##_X
#define XOPX_IBINCM(n) WR_X_##n##_X
#define XOPX_IBINRM(n) WR_X_##n##_X
#define XOPX_ICMP(n)   WR_X_##n##_X
#define XOPX_LOAD(n)   WR_X_##n##_X
#define XOPX_STORE(n)  WR_X_##n##_X
#define XOPX_SPEC(n)
#define XOPX_CONST(n)
#define XOPX_FBIN(n)
#define XOPX_FBINC(n)
#define XOPX_FBINR(n)
#define XOPX_FBINCM(n)
#define XOPX_FBINRM(n)
#define XOPX_FCMP(n)
#define HAS_XB(shape) (SH_##shape == SH_IBIN || SH_##shape == SH_IBINR \
                       || SH_##shape == SH_IBINRM)
#define OPINFO(code, name, text, shape, a, b, r, x) \
    [code] = { text, SH_##shape, a, b, r, x, XOP_##shape(name), \
               XOPM(shape, name), XOPX(shape, name), HAS_XB(shape) },

static const opinfo ops_single[256] = {
#define WR_OP OPINFO
#define WR_OPFC(code, name, text, shape, a, b, r, x)
#include "opcodes.def"
#undef WR_OP
#undef WR_OPFC
};

#define WR_NFC 18
static const opinfo ops_fc[WR_NFC] = {
#define WR_OP(code, name, text, shape, a, b, r, x)
#define WR_OPFC OPINFO
#include "opcodes.def"
#undef WR_OP
#undef WR_OPFC
};

#undef I32
#undef I64
#undef F32
#undef F64
#undef NO

enum { K_SLOT, K_LOCAL, K_CONST, K_ADDI };
enum { C_FUNC, C_BLOCK, C_LOOP, C_IF, C_ELSE };
enum { SEG_ZERO = 0, SEG_ENTRY = 1 };   /* SEG_ZERO costs nothing */

typedef struct opd {
    uint8_t  type;           /* wr_type, 0 = unknown (polymorphic stack) */
    uint8_t  kind;           /* K_* */
    uint32_t local;          /* K_LOCAL: its slot; K_ADDI: the base slot */
    uint64_t value;          /* K_CONST: the bits; K_ADDI: the addend */
} opd;

typedef struct ctl {
    uint8_t  kind;           /* C_* */
    bool     unreachable;
    bool     emit;           /* code is emitted for this frame */
    bool     targeted;       /* some branch goes to its end */
    uint32_t height;         /* operand stack height below its params */
    uint32_t nparams, nresults;
    const wr_type *params, *results;
    uint32_t patch;          /* forward branch words to the end: a chain
                                through their .s.a, NONE32-terminated */
    uint32_t else_site;      /* C_IF: the branch word to else / end */
    uint32_t loop_pc, loop_seg;    /* C_LOOP: its label */
    uint32_t brt_mark, brt_slot;   /* br_table: the table's slot of the
                                      label (brt_mark: which br_table) */
} ctl;

/* A branch condition: a value tested for (non)zero, or a fused compare
 * (wop = the wasm compare opcode). */
enum { CK_NZ32, CK_Z32, CK_NZ64, CK_Z64, CK_CMP, CK_SUM_NZ, CK_SUM_Z };
typedef struct cond {
    uint8_t  kind, wop;
    bool     imm;
    bool     acc;            /* the value (or compare's a) is in acc */
    uint32_t a, b;
    uint64_t immv;
} cond;

/* The compiler's state.  Everything up to `keep` belongs to one body
 * and is zeroed before the next (cc_reset); the buffers after it are
 * kept for the whole module, so a module of many small functions does
 * not allocate per function. */
typedef struct cc {
    wr_functype        ftv;         /* the body's type */
    const wr_functype *ft;          /* &ftv */
    uint32_t           fidx;        /* its function index */
    uint32_t           nlocals;     /* declared locals */
    wr_reader          r;
    long long          at;          /* offset of the current instruction */
    bool               oom, too_big;
    bool               by_module;   /* max_code is what the module has
                                       left (WR_CODE_PER_MODULE_BYTE) */
    uint64_t           max_code;    /* words: WR_MAX_CODE_WORDS, or less
                                       for a small body */
    uint32_t           nlocals_all; /* params + locals */
    uint32_t           zero;        /* a cell holding 0: nlocals_all */
    uint32_t           base;        /* slot of stack position 0: zero + 1 */
    uint32_t           nstk, max_height, lowest;
    uint32_t           nctl, ncode, nseg, cur, nsites;
    wr_insn            scratch[8];  /* written instead when out of memory */

    /* The last instruction, while nothing was emitted after it. */
    uint32_t  last_pos, last_k;
    uint8_t   last_wop;             /* a compare or eqz: fusable */
    bool      last_imm;
    uint32_t  last_a, last_b;
    uint64_t  last_immv;
    uint32_t  copy_pos;             /* a COPY/COPYN last: copies merge */
    uint32_t  sum_pos;              /* a SUM last: merges into SUM2, or
                                       fuses with br_if into SUM_BR_* */
    bool      last_acc;             /* its result is also in acc */
    bool      last_xa;              /* a compare: its a came from acc */
    /* When the last instruction is a load of its type's natural size, or
     * an _M op (last_ms: its _MS form), its type and memory operand: */
    uint8_t   last_mtype, last_ms_type;
    uint16_t  last_ms;
    uint32_t  last_maddr, last_moff, last_mimm;

    int       keep;                 /* --- kept from body to body --- */
    wr_module         *m;
    wr_error          *err;
    bool               emit_code;   /* false: validate only (inspect) */
    uint64_t           code_left;   /* words the module may still have */
    uint32_t           brt_serial;
    uintptr_t          ops[WR_X_COUNT];
    opd      *stk;
    uint32_t  cap_stk;
    uint32_t *npend;                /* per local: pending K_LOCAL entries */
    uint32_t  cap_npend;
    uint8_t  *ltypes;               /* per local (params first): its type */
    uint32_t  cap_ltypes;
    ctl      *ctls;
    uint32_t  cap_ctl;
    wr_code_chunk *buf;             /* the code being written: a chunk
                                       header, a wr_code, the words */
    wr_insn  *code;                 /* buf's words */
    size_t    code_at;              /* their offset in buf */
    uint32_t  cap_code;
    wr_code_chunk *pack;            /* the chunk small code goes into */
    uint32_t *seg_cost, *seg_next;
    uint32_t  cap_seg;
    uint32_t *sites;                /* words whose .s.b is a segment id */
    uint32_t  cap_sites;
    uint32_t *labels;               /* br_table: frame index per slot */
    uint32_t  cap_labels;
    opd      *tmp;                  /* br_table, return: scratch */
    uint32_t  cap_tmp;
} cc;

/* Compiled code lives in chunks: many small functions packed in one, a
 * large one alone (the compile buffer itself, handed over). */
struct wr_code_chunk {
    wr_code_chunk *next;
    size_t         used, cap;       /* bytes after this header */
};

static const wr_type single_types[] = {
    WR_I32, WR_I64, WR_F32, WR_F64, WR_FUNCREF, WR_EXTERNREF,
};

/* --- errors and arrays ------------------------------------------------- */

static int fail(cc *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(cc *c, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wr_fail(c->err, WR_ERR_INVALID, c->at, "%s", msg);
}

static int malformed(cc *c, long long at, const char *msg)
{
    return wr_fail(c->err, WR_ERR_MALFORMED, at, "%s", msg);
}

static int nomem(cc *c)
{
    c->oom = true;
    return -1;
}

/* Grow an array to hold need elements; NULL when that fails (p stays). */
static void *grow_array(void *p, uint32_t *cap, uint64_t need, size_t size)
{
    uint64_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    if (n > UINT32_MAX / 2 || n * size > SIZE_MAX / 2)
        return NULL;
    void *q = realloc(p, (size_t)n * size);
    if (q)
        *cap = (uint32_t)n;
    return q;
}

static int is_num(uint8_t t)
{
    return t == WR_I32 || t == WR_I64 || t == WR_F32 || t == WR_F64;
}

static int is_ref(uint8_t t)
{
    return t == WR_FUNCREF || t == WR_EXTERNREF;
}

/* --- code emission ------------------------------------------------------- */

static ctl *top(cc *c)
{
    return &c->ctls[c->nctl - 1];
}

/* Whether code is being emitted here (reachable, not inside dead code). */
static bool emitting(cc *c)
{
    const ctl *t = top(c);
    return t->emit && !t->unreachable;
}

/* The offset from p of the first WR_CODE_ALIGN boundary with room for
 * hdr bytes before it. */
static size_t line_after(const void *p, size_t hdr)
{
    uintptr_t min = (uintptr_t)p + hdr;
    uintptr_t line = (min + WR_CODE_ALIGN - 1) & ~(uintptr_t)(WR_CODE_ALIGN - 1);
    return (size_t)(line - (uintptr_t)p);
}

/* Grow the code buffer (a chunk header, padding, a wr_code, the words
 * from a WR_CODE_ALIGN boundary on: see place_code) to hold need
 * words. */
static int grow_code(cc *c, uint64_t need)
{
    uint64_t n = c->cap_code ? c->cap_code : 64;
    while (n < need)
        n *= 2;
    size_t head = sizeof(wr_code_chunk) + sizeof(wr_code) + WR_CODE_ALIGN;
    char *b = realloc(c->buf, head + (size_t)n * sizeof(wr_insn));
    if (!b)
        return -1;
    size_t at = line_after(b, sizeof(wr_code_chunk) + sizeof(wr_code));
    if (c->ncode && at != c->code_at)
        memmove(b + at, b + c->code_at, (size_t)c->ncode * sizeof(wr_insn));
    c->buf = (wr_code_chunk *)b;
    c->code_at = at;
    c->code = (wr_insn *)(b + at);
    c->cap_code = (uint32_t)n;
    return 0;
}

static int reserve(cc *c, uint32_t n)
{
    if (c->oom)
        return -1;
    if ((uint64_t)c->ncode + n > c->max_code) {
        c->too_big = c->oom = true;
        return -1;
    }
    if (c->ncode + n > c->cap_code && grow_code(c, (uint64_t)c->ncode + n))
        return nomem(c);
    return 0;
}

/* Append an instruction of n words (n <= 8): its words, zeroed, with
 * the handler word set.  Out of memory, a scratch area absorbs writes. */
static wr_insn *emit(cc *c, unsigned xop, uint32_t n)
{
    c->last_pos = NONE32;
    c->copy_pos = c->sum_pos = NONE32;
    if (reserve(c, n)) {
        memset(c->scratch, 0, sizeof c->scratch);
        return c->scratch;
    }
    wr_insn *w = &c->code[c->ncode];
    memset(w, 0, n * sizeof *w);
    w[0].op = c->ops[xop];
    c->ncode += n;
    return w;
}

/* Remember the instruction just emitted at pos as writing position k. */
static void set_last(cc *c, uint32_t pos, uint32_t k, uint8_t type)
{
    c->last_pos = pos;
    c->last_k = k;
    c->last_wop = 0;
    c->last_mtype = c->last_ms_type = 0;
    c->last_acc = type == WR_I32 || type == WR_I64;
}

/* Whether the popped entry at position k is the result of the last
 * instruction and in the accumulator (exec.h): then its consumer may
 * read acc, provided that no code is emitted in between that writes
 * acc (only producers of results do). */
static bool is_acc(const cc *c, uint32_t k)
{
    return c->last_pos != NONE32 && c->last_acc && c->last_k == k
           && c->stk[k].kind == K_SLOT;
}

/* The same for a pending sum whose base is that result. */
static bool is_acc_base(const cc *c, uint32_t k)
{
    return c->last_pos != NONE32 && c->last_acc && c->last_k == k
           && c->stk[k].kind == K_ADDI && c->stk[k].local == c->base + k;
}

static uint32_t slot_k(const cc *c, uint32_t k)
{
    return c->base + k;
}

static uint32_t seg_new(cc *c)
{
    if (c->nseg == c->cap_seg) {
        uint32_t cap = c->cap_seg;
        uint32_t *a = grow_array(c->seg_cost, &cap, c->nseg + 1, sizeof *a);
        if (!a)
            return nomem(c), SEG_ZERO;
        c->seg_cost = a;
        cap = c->cap_seg;
        uint32_t *b = grow_array(c->seg_next, &cap, c->nseg + 1, sizeof *b);
        if (!b)
            return nomem(c), SEG_ZERO;
        c->seg_next = b;
        c->cap_seg = cap;
    }
    c->seg_cost[c->nseg] = 0;
    c->seg_next[c->nseg] = NONE32;
    return c->nseg++;
}

/* Word `word` is a branch word whose cost is segment seg's total. */
static void set_site(cc *c, uint32_t word, uint32_t seg)
{
    if (c->oom)
        return;
    if (c->nsites == c->cap_sites) {
        uint32_t *q = grow_array(c->sites, &c->cap_sites, c->nsites + 1,
                                 sizeof *q);
        if (!q) {
            nomem(c);
            return;
        }
        c->sites = q;
    }
    c->sites[c->nsites++] = word;
    c->code[word].s.b = seg;
}

/* A label is here: no instruction may merge across it. */
static uint32_t here(cc *c)
{
    c->last_pos = c->copy_pos = c->sum_pos = NONE32;
    return c->ncode;
}

static void set_target(cc *c, uint32_t word, uint32_t target)
{
    if (!c->oom)
        c->code[word].s.a = (uint32_t)(int32_t)((int64_t)target - word);
}

/* A copy: merged into the copy just before when there is one (a COPY
 * becomes a COPYN), since copies often come in runs. */
static void emit_copy(cc *c, uint32_t dst, uint32_t src)
{
    uint32_t p = c->copy_pos;
    if (p != NONE32 && !c->oom) {
        if (c->code[p].op == c->ops[WR_X_COPY]) {
            if (reserve(c, 2))
                return;
            wr_insn first = c->code[p + 1];
            c->code[p].op = c->ops[WR_X_COPYN];
            c->code[p + 1].s.a = 2;
            c->code[p + 1].s.b = 0;
            c->code[p + 2] = first;
            c->ncode = p + 3;
        } else {
            if (reserve(c, 1))
                return;
            c->code[p + 1].s.a++;
        }
        c->code[c->ncode].s.a = dst;
        c->code[c->ncode].s.b = src;
        c->ncode++;
        c->last_pos = NONE32;
        return;
    }
    uint32_t pos = c->ncode;
    wr_insn *w = emit(c, WR_X_COPY, 2);
    w[1].s.a = dst;
    w[1].s.b = src;
    c->copy_pos = pos;
}

/* Point branch word `word` at the label of frame t. */
static void link_label(cc *c, uint32_t word, ctl *t)
{
    if (c->oom)
        return;
    if (t->kind == C_LOOP) {
        set_target(c, word, t->loop_pc);
        set_site(c, word, t->loop_seg);
        return;
    }
    set_site(c, word, SEG_ZERO);          /* the real one at the end */
    c->code[word].s.a = t->patch;
    t->patch = word;
    t->targeted = true;
}

/* The label is here: patch the chain of forward branch words. */
static void resolve_chain(cc *c, uint32_t head, uint32_t seg)
{
    while (head != NONE32 && !c->oom) {
        uint32_t next = c->code[head].s.a;
        set_target(c, head, here(c));
        c->code[head].s.b = seg;
        head = next;
    }
}

/* A new segment starts here; `falls` when the code before runs into it. */
static uint32_t seg_start(cc *c, bool falls)
{
    uint32_t s = seg_new(c);
    if (falls && !c->oom)
        c->seg_next[c->cur] = s;
    c->cur = s;
    here(c);
    return s;
}

/* dst = fp[base] + imm (i32), leaving acc alone; two in a row merge
 * into a SUM2 (induction variables often move together). */
static void emit_sum(cc *c, uint32_t dst, uint32_t base, uint32_t imm)
{
    uint32_t p = c->sum_pos;
    if (p != NONE32 && !c->oom && c->code[p].op == c->ops[WR_X_SUM]
        && !reserve(c, 1)) {
        c->code[p].op = c->ops[WR_X_SUM2];
        c->code[p + 2].s.b = dst;
        c->code[c->ncode].s.a = base;
        c->code[c->ncode].s.b = imm;
        c->ncode++;
        c->sum_pos = NONE32;
        return;
    }
    uint32_t pos = c->ncode;
    wr_insn *w = emit(c, WR_X_SUM, 3);
    w[1].s.a = dst;
    w[1].s.b = base;
    w[2].s.a = imm;
    c->sum_pos = pos;
}

/* dst = a constant: a zero comes from the zero cell (and merges with
 * neighbouring copies). */
static void emit_const(cc *c, uint32_t dst, uint64_t v)
{
    if (v == 0) {
        emit_copy(c, dst, c->zero);
        return;
    }
    wr_insn *w = emit(c, WR_X_CONST, 3);
    w[1].s.a = dst;
    w[2].u64 = v;
}

/* --- the operand stack --------------------------------------------------- */

/* Whether entry e reads a local that a local.set must wait for (npend). */
static bool pends(const cc *c, const opd *e)
{
    return e->kind == K_LOCAL
           || (e->kind == K_ADDI && e->local < c->nlocals_all);
}

static int push(cc *c, uint8_t type, uint8_t kind, uint32_t local,
                uint64_t value)
{
    if (!emitting(c))
        kind = K_SLOT;
    if (c->nstk == c->cap_stk) {
        if (c->nstk >= WR_MAX_HEIGHT)
            return fail(c, "operand stack deeper than %u values",
                        WR_MAX_HEIGHT);
        opd *q = grow_array(c->stk, &c->cap_stk, c->nstk + 1, sizeof *q);
        if (!q)
            return nomem(c);
        c->stk = q;
    }
    opd *e = &c->stk[c->nstk];
    e->type = type;
    e->kind = kind;
    e->local = local;
    e->value = value;
    if (pends(c, e))
        c->npend[local]++;
    if (kind != K_SLOT && c->nstk < c->lowest)
        c->lowest = c->nstk;
    if (++c->nstk > c->max_height)
        c->max_height = c->nstk;
    return 0;
}

static int push_slot(cc *c, uint8_t type)
{
    return push(c, type, K_SLOT, 0, 0);
}

static int push_entry(cc *c, uint8_t type, const opd *e)
{
    return push(c, type, e->kind, e->local, e->value);
}

/* Pop one operand of type expect (0: any) into *out (may be NULL); its
 * type is the actual one, 0 when unknown (the spec's pop_val).  The
 * entry's memory above the stack stays intact for the emitter. */
static int pop(cc *c, uint8_t expect, opd *out)
{
    ctl *t = top(c);
    opd e = { 0, K_SLOT, 0, 0 };
    if (c->nstk == t->height) {
        if (!t->unreachable)
            return fail(c, "type mismatch");
    } else {
        e = c->stk[--c->nstk];
        if (pends(c, &e))
            c->npend[e.local]--;
    }
    if (expect && e.type && e.type != expect)
        return fail(c, "type mismatch");
    if (out)
        *out = e;
    return 0;
}

static int pop_types(cc *c, const wr_type *types, uint32_t n)
{
    for (uint32_t i = n; i-- > 0;)
        if (pop(c, (uint8_t)types[i], NULL))
            return -1;
    return 0;
}

/* Drop entries down to height h. */
static void truncate_stack(cc *c, uint32_t h)
{
    while (c->nstk > h) {
        const opd *e = &c->stk[--c->nstk];
        if (pends(c, e))
            c->npend[e->local]--;
    }
}

static void set_unreachable(cc *c)
{
    ctl *t = top(c);
    truncate_stack(c, t->height);
    t->unreachable = true;
    c->last_pos = NONE32;
}

/* Write a pending value (entry e, at stack position k) into its own
 * slot.  The caller fixes the entry's kind. */
static void write_own_slot(cc *c, const opd *e, uint32_t k)
{
    if (e->kind == K_LOCAL) {
        emit_copy(c, slot_k(c, k), e->local);
    } else if (e->kind == K_ADDI) {
        emit_sum(c, slot_k(c, k), e->local, (uint32_t)e->value);
    } else if (e->kind == K_CONST) {
        emit_const(c, slot_k(c, k), e->value);
    }
}

/* Materialize the entry at position k, which is on the stack. */
static void materialize(cc *c, uint32_t k)
{
    opd *e = &c->stk[k];
    if (e->kind == K_SLOT)
        return;
    write_own_slot(c, e, k);
    if (pends(c, e))
        c->npend[e->local]--;
    e->kind = K_SLOT;
}

static void materialize_all(cc *c)
{
    for (uint32_t k = c->lowest; k < c->nstk; k++)
        materialize(c, k);
    c->lowest = c->nstk;
}

/* Invariant 1: local x is about to be written. */
static void before_local_write(cc *c, uint32_t x)
{
    if (c->npend[x] == 0)
        return;
    uint32_t start = c->lowest < c->nstk ? c->lowest : c->nstk;
    if (c->nstk - start > WR_LOCAL_SCAN) {
        materialize_all(c);
        return;
    }
    uint32_t low = c->nstk;
    for (uint32_t k = start; k < c->nstk; k++) {
        opd *e = &c->stk[k];
        if (pends(c, e) && e->local == x)
            materialize(c, k);
        if (e->kind != K_SLOT && low == c->nstk)
            low = k;
    }
    c->lowest = low;
}

/* The slot to read a popped entry at position k from; a constant is
 * written to its own slot first (zero is in the zero cell). */
static uint32_t use_popped(cc *c, uint32_t k)
{
    opd *e = &c->stk[k];
    if (e->kind == K_LOCAL)
        return e->local;
    if (e->kind == K_CONST && e->value == 0)
        return c->zero;
    if (e->kind != K_SLOT) {
        write_own_slot(c, e, k);
        e->kind = K_SLOT;
    }
    return slot_k(c, k);
}

/* A popped entry must be in its own slot (call arguments, labels). */
static void place_popped(cc *c, uint32_t k)
{
    opd *e = &c->stk[k];
    write_own_slot(c, e, k);
    e->kind = K_SLOT;
}

/* --- branches ------------------------------------------------------------ */

static uint32_t label_arity(const ctl *t)
{
    return t->kind == C_LOOP ? t->nparams : t->nresults;
}

static const wr_type *label_types(const ctl *t)
{
    return t->kind == C_LOOP ? t->params : t->results;
}

/* Copy the n values at positions from.. (popped or not) to slots dst0..
 * without changing their kinds (invariant 4).  A pending sum is first
 * computed into its entry's own slot (which nothing else reads) and
 * copied from there.  Sources never lie below their destinations
 * (from >= the label height), so ascending copies are safe, and
 * constants go last. */
static void emit_moves(cc *c, uint32_t from, uint32_t n, uint32_t dst0)
{
    for (uint32_t i = 0; i < n; i++)
        if (c->stk[from + i].kind == K_ADDI)
            write_own_slot(c, &c->stk[from + i], from + i);
    for (uint32_t i = 0; i < n; i++) {
        const opd *e = &c->stk[from + i];
        uint32_t src = e->kind == K_LOCAL ? e->local : slot_k(c, from + i);
        if (e->kind != K_CONST && src != dst0 + i)
            emit_copy(c, dst0 + i, src);
    }
    for (uint32_t i = 0; i < n; i++) {
        const opd *e = &c->stk[from + i];
        if (e->kind != K_CONST)
            continue;
        if (dst0 > c->zero) {
            emit_const(c, dst0 + i, e->value);
        } else {        /* results over the zero cell: it may be gone */
            wr_insn *w = emit(c, WR_X_CONST, 3);
            w[1].s.a = dst0 + i;
            w[2].u64 = e->value;
        }
    }
}

/* Return with the function's results at positions from.. */
static void emit_return_from(cc *c, uint32_t from)
{
    uint32_t n = c->ft->nresults;
    if (n == 0) {
        emit(c, WR_X_RETURN, 1);
        return;
    }
    if (n == 1) {
        const opd *e = &c->stk[from];
        if (e->kind == K_CONST) {
            emit_const(c, 0, e->value);
            emit(c, WR_X_RETURN, 1);
            return;
        }
        if (e->kind == K_ADDI)
            write_own_slot(c, e, from);
        uint32_t src = e->kind == K_LOCAL ? e->local : slot_k(c, from);
        wr_insn *w = emit(c, WR_X_RETURN1, 2);
        w[1].s.a = src;
        return;
    }
    /* Results go to fp[0..n), which may hold locals read as sources
     * (directly or as a sum's base): such values go through their own
     * (unused) slot first.  The entries' kinds are restored after
     * (invariant 4); only this path reads those slots. */
    if (n > c->cap_tmp) {
        opd *q = grow_array(c->tmp, &c->cap_tmp, n, sizeof *q);
        if (!q) {
            nomem(c);
            return;
        }
        c->tmp = q;
    }
    memcpy(c->tmp, &c->stk[from], n * sizeof *c->tmp);
    for (uint32_t i = 0; i < n; i++) {
        opd *e = &c->stk[from + i];
        if ((e->kind == K_LOCAL && e->local < n) || e->kind == K_ADDI) {
            write_own_slot(c, e, from + i);
            e->kind = K_SLOT;
        }
    }
    emit_moves(c, from, n, 0);
    memcpy(&c->stk[from], c->tmp, n * sizeof *c->tmp);
    emit(c, WR_X_RETURN, 1);
}

/* Whether the n values at from.. already sit in label slots at height h. */
static bool in_place(const cc *c, uint32_t from, uint32_t n, uint32_t h)
{
    if (n == 0)
        return true;
    if (from != h)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (c->stk[from + i].kind != K_SLOT)
            return false;
    return true;
}

/* Branch to frame t with its label values at positions from.. */
static void emit_br_to(cc *c, ctl *t, uint32_t from)
{
    if (t->kind == C_FUNC) {
        emit_return_from(c, from);
        return;
    }
    emit_moves(c, from, label_arity(t), slot_k(c, t->height));
    uint32_t pos = c->ncode;
    emit(c, WR_X_BR, 2);
    link_label(c, pos + 1, t);
}

static void negate_cond(cond *d)
{
    static const uint8_t neg[10] = { 1, 0, 8, 9, 6, 7, 4, 5, 2, 3 };
    switch (d->kind) {
    case CK_NZ32: d->kind = CK_Z32; break;
    case CK_Z32:  d->kind = CK_NZ32; break;
    case CK_NZ64: d->kind = CK_Z64; break;
    case CK_Z64:  d->kind = CK_NZ64; break;
    case CK_SUM_NZ: d->kind = CK_SUM_Z; break;
    case CK_SUM_Z:  d->kind = CK_SUM_NZ; break;
    default: {
        uint8_t base = d->wop >= OP_I64_EQ ? OP_I64_EQ : OP_I32_EQ;
        d->wop = (uint8_t)(base + neg[d->wop - base]);
    }
    }
}

/* Emit a conditional branch (taken when cd holds, or fails if negate);
 * returns its position: the branch word is at pos + 2, the fall-through
 * cost at pos + 3. */
static uint32_t emit_cond(cc *c, const cond *cd, bool negate)
{
    cond d = *cd;
    if (negate)
        negate_cond(&d);
    unsigned xop;
    uint32_t n = 4;
    switch (d.kind) {
    case CK_NZ32: xop = d.acc ? WR_X_BR_IF_NZ_X : WR_X_BR_IF_NZ; break;
    case CK_Z32:  xop = d.acc ? WR_X_BR_IF_Z_X : WR_X_BR_IF_Z; break;
    case CK_NZ64: xop = d.acc ? WR_X_BR_IF_NZ64_X : WR_X_BR_IF_NZ64; break;
    case CK_Z64:  xop = d.acc ? WR_X_BR_IF_Z64_X : WR_X_BR_IF_Z64; break;
    case CK_SUM_NZ: xop = WR_X_SUM_BR_NZ; break;
    case CK_SUM_Z:  xop = WR_X_SUM_BR_Z; break;
    default:
        xop = (d.acc ? ops_single[d.wop].xop_x : ops_single[d.wop].xop)
              + 2u + (d.imm ? 1u : 0u);
        if (d.imm && d.wop >= OP_I64_EQ)
            n = 5;
    }
    uint32_t pos = c->ncode;
    wr_insn *w = emit(c, xop, n);
    w[1].s.a = d.a;
    w[1].s.b = d.b;
    if (n == 5)
        w[4].u64 = d.immv;
    if (d.kind == CK_SUM_NZ || d.kind == CK_SUM_Z)
        w[3].s.a = (uint32_t)d.immv;
    return pos;
}

/* The condition popped from position k: fuses the compare just emitted
 * (removing it), else reads the value's slot. */
static void take_cond(cc *c, uint32_t k, cond *d)
{
    const opd *e = &c->stk[k];
    memset(d, 0, sizeof *d);
    if (c->last_pos != NONE32 && c->last_k == k && e->kind == K_SLOT
        && c->last_wop) {
        d->wop = c->last_wop;
        d->kind = d->wop == OP_I32_EQZ ? CK_Z32
                  : d->wop == OP_I64_EQZ ? CK_Z64 : CK_CMP;
        d->imm = c->last_imm;
        d->acc = c->last_xa;
        d->a = c->last_a;
        d->b = c->last_b;
        d->immv = c->last_immv;
        c->ncode = c->last_pos;
        c->last_pos = NONE32;
        return;
    }
    uint32_t p = c->sum_pos;
    if (e->kind == K_LOCAL && p != NONE32 && !c->oom
        && c->code[p].op == c->ops[WR_X_SUM] && c->code[p + 1].s.a == e->local
        && p + 3 == c->ncode) {
        /* local.tee x (x + c); br_if: the SUM goes into the branch */
        d->kind = CK_SUM_NZ;
        d->a = c->code[p + 1].s.a;
        d->b = c->code[p + 1].s.b;
        d->immv = c->code[p + 2].s.a;
        c->ncode = p;
        c->sum_pos = NONE32;
        return;
    }
    d->kind = CK_NZ32;
    if (is_acc(c, k))
        d->acc = true;
    else
        d->a = use_popped(c, k);
}

/* br_if to frame t: the condition, then the label values at from.. */
static void emit_br_if(cc *c, ctl *t, const cond *d, uint32_t from)
{
    uint32_t n = label_arity(t);
    if (t->kind != C_FUNC && in_place(c, from, n, t->height)) {
        uint32_t pos = emit_cond(c, d, false);
        link_label(c, pos + 2, t);
        uint32_t s = seg_new(c);
        set_site(c, pos + 3, s);
        c->cur = s;
    } else {
        uint32_t pos = emit_cond(c, d, true);   /* skip the copies */
        set_site(c, pos + 3, SEG_ZERO);
        emit_br_to(c, t, from);
        uint32_t s = seg_new(c);
        set_target(c, pos + 2, here(c));
        set_site(c, pos + 2, s);
        c->cur = s;
    }
    c->last_pos = NONE32;
}

/* --- control instructions -------------------------------------------------- */

static int push_ctl(cc *c, uint8_t kind, const wr_type *params, uint32_t np,
                    const wr_type *results, uint32_t nr)
{
    if (c->nctl == c->cap_ctl) {
        if (c->nctl >= WR_MAX_CONTROL)
            return fail(c, "blocks nested deeper than %u", WR_MAX_CONTROL - 1);
        ctl *q = grow_array(c->ctls, &c->cap_ctl, c->nctl + 1, sizeof *q);
        if (!q)
            return nomem(c);
        c->ctls = q;
    }
    bool emit_here = c->nctl == 0 ? c->emit_code : emitting(c);
    ctl *t = &c->ctls[c->nctl++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->emit = emit_here;
    t->height = c->nstk - np;
    t->params = params;
    t->nparams = np;
    t->results = results;
    t->nresults = nr;
    t->patch = t->else_site = t->loop_pc = NONE32;
    t->brt_mark = NONE32;
    return 0;
}

/* A block type: empty, one value type, or a type index. */
static int read_blocktype(cc *c, const wr_type **params, uint32_t *np,
                          const wr_type **results, uint32_t *nr)
{
    long long at = wr_reader_offset(&c->r);
    int64_t v;
    if (wr_read_s33(&c->r, &v, c->err))
        return -1;
    *params = *results = NULL;
    *np = *nr = 0;
    if (v == -64)
        return 0;
    if (v < 0) {
        uint8_t b = (uint8_t)(v & 0x7f);
        for (size_t i = 0; i < sizeof single_types / sizeof *single_types; i++)
            if (single_types[i] == b) {
                *results = &single_types[i];
                *nr = 1;
                return 0;
            }
        return malformed(c, at, "malformed value type");
    }
    if ((uint64_t)v >= c->m->ntypes)
        return fail(c, "unknown type %lld", (long long)v);
    wr_functype ft = wr_module_functype(c->m, (uint32_t)v);
    *params = ft.params;
    *np = ft.nparams;
    *results = ft.results;
    *nr = ft.nresults;
    return 0;
}

/* Pop a block's params, then push them back as slots (they were
 * materialized by the caller, invariant 2). */
static int block_params(cc *c, const wr_type *params, uint32_t np)
{
    if (emitting(c))
        materialize_all(c);
    if (pop_types(c, params, np))
        return -1;
    for (uint32_t i = 0; i < np; i++)
        if (push_slot(c, (uint8_t)params[i]))
            return -1;
    return 0;
}

static int op_block(cc *c, uint8_t op)
{
    const wr_type *p, *r;
    uint32_t np, nr;
    if (read_blocktype(c, &p, &np, &r, &nr) || block_params(c, p, np))
        return -1;
    bool reach = emitting(c);
    c->last_pos = NONE32;
    if (push_ctl(c, op == OP_LOOP ? C_LOOP : C_BLOCK, p, np, r, nr))
        return -1;
    if (op == OP_LOOP && reach) {
        ctl *t = top(c);
        t->loop_seg = seg_start(c, true);
        t->loop_pc = here(c);
    }
    return 0;
}

static int op_if(cc *c)
{
    const wr_type *p, *r;
    uint32_t np, nr;
    opd e;
    if (read_blocktype(c, &p, &np, &r, &nr) || pop(c, WR_I32, &e))
        return -1;
    bool reach = emitting(c);
    cond d;
    if (reach)
        take_cond(c, c->nstk, &d);
    if (block_params(c, p, np))
        return -1;
    uint32_t pos = 0;
    if (reach)
        pos = emit_cond(c, &d, true);
    if (push_ctl(c, C_IF, p, np, r, nr))
        return -1;
    if (reach) {
        ctl *t = top(c);
        t->else_site = pos + 2;
        set_site(c, pos + 2, SEG_ZERO);
        uint32_t s = seg_new(c);
        set_site(c, pos + 3, s);
        c->cur = s;
        c->last_pos = NONE32;
    }
    return 0;
}

/* Check the frame's results and materialize them in its label slots. */
static int close_results(cc *c, ctl *t)
{
    if (pop_types(c, t->results, t->nresults))
        return -1;
    if (c->nstk != t->height)
        return fail(c, "type mismatch");
    if (t->emit && !t->unreachable && t->kind != C_FUNC)
        for (uint32_t i = 0; i < t->nresults; i++)
            place_popped(c, t->height + i);
    return 0;
}

static int op_else(cc *c)
{
    ctl *t = top(c);
    if (t->kind != C_IF)
        return malformed(c, c->at, "END opcode expected");
    bool reach = t->emit && !t->unreachable;
    if (close_results(c, t))
        return -1;
    if (reach) {
        uint32_t pos = c->ncode;
        emit(c, WR_X_BR, 2);
        link_label(c, pos + 1, t);
    }
    if (t->emit && t->else_site != NONE32) {
        uint32_t s = seg_start(c, false);
        set_target(c, t->else_site, here(c));
        if (!c->oom)
            c->code[t->else_site].s.b = s;
        t->else_site = NONE32;
    }
    t->kind = C_ELSE;
    t->unreachable = false;
    c->last_pos = NONE32;
    for (uint32_t i = 0; i < t->nparams; i++)
        if (push_slot(c, (uint8_t)t->params[i]))
            return -1;
    return 0;
}

/* The end of the function: results, return, and the body's bound. */
static int end_func(cc *c, ctl *t)
{
    uint32_t n = t->nresults, from = c->nstk - (c->nstk >= n ? n : 0);
    bool reach = t->emit && !t->unreachable;
    if (close_results(c, t))
        return -1;
    if (reach)
        emit_return_from(c, from);
    c->nctl--;
    return 0;
}

static int op_end(cc *c)
{
    ctl *t = top(c);
    if (t->kind == C_FUNC)
        return end_func(c, t);
    if (t->kind == C_IF) {
        /* No else: the params pass through as the results. */
        bool same = t->nparams == t->nresults;
        for (uint32_t i = 0; same && i < t->nparams; i++)
            same = t->params[i] == t->results[i];
        if (!same)
            return fail(c, "type mismatch");
    }
    bool reach = t->emit && !t->unreachable;
    if (close_results(c, t))
        return -1;
    if (t->emit) {
        bool targeted = t->targeted || t->else_site != NONE32;
        if (targeted) {
            uint32_t s = seg_start(c, reach);
            resolve_chain(c, t->patch, s);
            if (t->else_site != NONE32) {
                set_target(c, t->else_site, here(c));
                if (!c->oom)
                    c->code[t->else_site].s.b = s;
            }
        } else if (!reach) {
            seg_start(c, false);          /* dead: nothing enters it */
        }
    }
    const wr_type *r = t->results;
    uint32_t nr = t->nresults, h = t->height;
    c->nctl--;
    truncate_stack(c, h);
    c->last_pos = NONE32;
    for (uint32_t i = 0; i < nr; i++)
        if (push_slot(c, (uint8_t)r[i]))
            return -1;
    return 0;
}

static int read_label(cc *c, uint32_t *depth)
{
    if (wr_read_u32(&c->r, depth, c->err))
        return -1;
    if (*depth >= c->nctl)
        return fail(c, "unknown label");
    return 0;
}

static int op_br(cc *c)
{
    uint32_t l;
    if (read_label(c, &l))
        return -1;
    ctl *t = &c->ctls[c->nctl - 1 - l];
    uint32_t n = label_arity(t), top_ = c->nstk;
    bool reach = emitting(c);
    if (pop_types(c, label_types(t), n))
        return -1;
    if (reach)
        emit_br_to(c, t, top_ - n);
    set_unreachable(c);
    return 0;
}

static int op_br_if(cc *c)
{
    uint32_t l;
    opd e;
    if (read_label(c, &l) || pop(c, WR_I32, &e))
        return -1;
    ctl *t = &c->ctls[c->nctl - 1 - l];
    uint32_t n = label_arity(t), kc = c->nstk;
    const wr_type *types = label_types(t);
    bool reach = emitting(c);
    cond d;
    if (reach)
        take_cond(c, kc, &d);
    if (pop_types(c, types, n))
        return -1;
    uint32_t from = c->nstk;
    if (reach)
        emit_br_if(c, t, &d, from);
    for (uint32_t i = 0; i < n; i++) {
        opd v = { 0, K_SLOT, 0, 0 };
        if (reach)
            v = c->stk[from + i];    /* the entries popped just above */
        if (push_entry(c, (uint8_t)types[i], &v))
            return -1;
    }
    return 0;
}

/* Pop n values of the given types and push them back as they were (the
 * spec's push_vals(pop_vals(types)): an unknown value stays unknown). */
static int check_keep(cc *c, const wr_type *types, uint32_t n)
{
    if (n > c->cap_tmp) {
        opd *q = grow_array(c->tmp, &c->cap_tmp, n, sizeof *q);
        if (!q)
            return nomem(c);
        c->tmp = q;
    }
    for (uint32_t i = n; i-- > 0;)
        if (pop(c, (uint8_t)types[i], &c->tmp[i]))
            return -1;
    for (uint32_t i = 0; i < n; i++) {
        opd v = c->tmp[i];
        if (push_entry(c, v.type, &v))
            return -1;
    }
    return 0;
}

/* BR_TABLE.  A br_table may list millions of labels in as many bytes,
 * so they are never copied: the reader goes over them three times (find
 * the default and check every label exists; type-check them; fill the
 * table), and the table holds one byte per label (two when more than 256
 * distinct frames are targets), the slot of its frame; each slot is one
 * branch word after the table (exec.h). */

/* The frame of the label at r (checked by op_br_table's first pass). */
static ctl *label_frame(cc *c, wr_reader *r)
{
    uint32_t l = 0;
    wr_read_u32(r, &l, NULL);
    return &c->ctls[c->nctl - 1 - l];
}

/* Validated per the spec: every label's arity equals the default's, and
 * each label's types are checked against the stack. */
static int br_table_check(cc *c, wr_reader labels, uint32_t n, ctl *def)
{
    uint32_t arity = label_arity(def);
    for (uint32_t i = 0; i < n; i++) {
        ctl *t = label_frame(c, &labels);
        if (label_arity(t) != arity)
            return fail(c, "type mismatch");
        if (check_keep(c, label_types(t), arity))
            return -1;
    }
    return pop_types(c, label_types(def), arity);
}

/* Give the distinct frames slots 0, 1, ... in order of first use
 * (c->labels[slot]: the frame's index); returns how many, or NONE32
 * out of memory. */
static uint32_t br_table_slots(cc *c, wr_reader labels, uint32_t n,
                               uint32_t serial)
{
    uint32_t nslots = 0;
    for (uint64_t i = 0; i <= n; i++) {
        ctl *t = label_frame(c, &labels);
        if (t->brt_mark == serial)
            continue;
        if (nslots == c->cap_labels) {
            uint32_t *q = grow_array(c->labels, &c->cap_labels, nslots + 1ull,
                                     sizeof *q);
            if (!q)
                return nomem(c), NONE32;
            c->labels = q;
        }
        t->brt_mark = serial;
        t->brt_slot = nslots;
        c->labels[nslots++] = (uint32_t)(t - c->ctls);
    }
    return nslots;
}

/* A slot's branch word: to the frame's label when the values are in
 * place, else to a stub after the table that moves them first. */
static void br_table_target(cc *c, uint32_t word, ctl *t, uint32_t from)
{
    if (t->kind != C_FUNC && in_place(c, from, label_arity(t), t->height)) {
        link_label(c, word, t);
        return;
    }
    uint32_t stub = here(c);
    emit_br_to(c, t, from);
    set_target(c, word, stub);
    set_site(c, word, SEG_ZERO);
}

static void br_table_emit(cc *c, wr_reader labels, uint32_t n, uint32_t kidx,
                          uint32_t from)
{
    uint32_t idx = use_popped(c, kidx);
    uint32_t nslots = br_table_slots(c, labels, n, c->brt_serial++);
    if (nslots == NONE32)
        return;
    bool wide = nslots > 256;
    uint64_t ewords = wide ? ((uint64_t)n + 4) / 4 : ((uint64_t)n + 8) / 8;
    if (2 + ewords + nslots > c->max_code) {
        c->too_big = c->oom = true;
        return;
    }
    if (reserve(c, (uint32_t)(2 + ewords + nslots)))
        return;
    uint32_t pos = c->ncode;
    wr_insn *w = emit(c, wide ? WR_X_BR_TABLE16 : WR_X_BR_TABLE8,
                      (uint32_t)(2 + ewords + nslots));
    w[1].s.a = idx;
    w[1].s.b = n;
    uint8_t *e8 = (uint8_t *)&w[2];
    uint16_t *e16 = (uint16_t *)&w[2];
    for (uint64_t i = 0; i <= n; i++) {
        uint32_t slot = label_frame(c, &labels)->brt_slot;
        if (wide)
            e16[i] = (uint16_t)slot;
        else
            e8[i] = (uint8_t)slot;
    }
    for (uint32_t k = 0; k < nslots && !c->oom; k++)
        br_table_target(c, pos + 2 + (uint32_t)ewords + k,
                        &c->ctls[c->labels[k]], from);
}

static int op_br_table(cc *c)
{
    uint32_t n, l = 0;
    if (wr_read_len(&c->r, &n, c->err))
        return -1;
    wr_reader labels = c->r;
    for (uint64_t i = 0; i <= n; i++)
        if (read_label(c, &l))
            return -1;
    opd e;
    if (pop(c, WR_I32, &e))
        return -1;
    uint32_t kidx = c->nstk;
    ctl *def = &c->ctls[c->nctl - 1 - l];
    uint32_t arity = label_arity(def);
    bool reach = emitting(c);
    if (br_table_check(c, labels, n, def))
        return -1;
    if (reach)
        br_table_emit(c, labels, n, kidx, kidx - arity);
    set_unreachable(c);
    return 0;
}

static int op_return(cc *c)
{
    uint32_t n = c->ft->nresults, top_ = c->nstk;
    bool reach = emitting(c);
    if (pop_types(c, c->ft->results, n))
        return -1;
    if (reach)
        emit_return_from(c, top_ - n);
    set_unreachable(c);
    return 0;
}

/* --- calls ----------------------------------------------------------------- */

/* Pop a call's arguments into their slots; returns their first position. */
static int call_args(cc *c, const wr_functype *ft, uint32_t *k)
{
    if (pop_types(c, ft->params, ft->nparams))
        return -1;
    *k = c->nstk;
    if (emitting(c))
        for (uint32_t i = 0; i < ft->nparams; i++)
            place_popped(c, *k + i);
    return 0;
}

static int push_results(cc *c, const wr_functype *ft)
{
    for (uint32_t i = 0; i < ft->nresults; i++)
        if (push_slot(c, (uint8_t)ft->results[i]))
            return -1;
    return 0;
}

static int op_call(cc *c)
{
    uint32_t x, k;
    if (wr_read_u32(&c->r, &x, c->err))
        return -1;
    if (x >= c->m->nfuncs)
        return fail(c, "unknown function %u", x);
    wr_functype ft = wr_module_functype(c->m, c->m->funcs[x].type);
    if (call_args(c, &ft, &k))
        return -1;
    if (emitting(c)) {
        if (x >= c->m->nfunc_imports) {
            wr_insn *w = emit(c, WR_X_CALL_INTERNAL, 3);
            w[1].ptr = &c->m->code[x - c->m->nfunc_imports];
            w[2].s.a = slot_k(c, k);
        } else {
            wr_insn *w = emit(c, WR_X_CALL, 2);
            w[1].s.a = x;
            w[1].s.b = slot_k(c, k);
        }
    }
    return push_results(c, &ft);
}

static int op_call_indirect(cc *c)
{
    uint32_t y, x, k;
    if (wr_read_u32(&c->r, &y, c->err) || wr_read_u32(&c->r, &x, c->err))
        return -1;
    if (x >= c->m->ntables)
        return fail(c, "unknown table %u", x);
    if (y >= c->m->ntypes)
        return fail(c, "unknown type %u", y);
    if (c->m->tables[x].elem != WR_FUNCREF)
        return fail(c, "type mismatch");
    wr_functype ft = wr_module_functype(c->m, y);
    opd e;
    if (pop(c, WR_I32, &e))
        return -1;
    uint32_t kidx = c->nstk;
    bool reach = emitting(c);
    uint32_t idx = reach ? use_popped(c, kidx) : 0;
    if (call_args(c, &ft, &k))
        return -1;
    if (reach) {
        wr_insn *w = emit(c, WR_X_CALL_INDIRECT, 3);
        w[1].s.a = slot_k(c, k);
        w[1].s.b = idx;
        w[2].s.a = y;
        w[2].s.b = x;
    }
    return push_results(c, &ft);
}

/* --- parametric and variables ------------------------------------------- */

static int op_select(cc *c, uint8_t op)
{
    uint8_t want = 0;
    if (op == OP_SELECT_T) {
        uint32_t n;
        long long at = wr_reader_offset(&c->r);
        if (wr_read_len(&c->r, &n, c->err))
            return -1;
        for (uint32_t i = 0; i < n; i++) {
            uint8_t b;
            at = wr_reader_offset(&c->r);
            if (wr_read_u8(&c->r, &b, c->err))
                return -1;
            if (!is_num(b) && !is_ref(b))
                return malformed(c, at, "malformed value type");
            want = b;
        }
        if (n != 1)
            return fail(c, "invalid result arity");
    }
    opd cnd, b, a;
    if (pop(c, WR_I32, &cnd) || pop(c, want, &b) || pop(c, want, &a))
        return -1;
    if (!want) {
        if ((a.type && !is_num(a.type)) || (b.type && !is_num(b.type)))
            return fail(c, "type mismatch");
        if (a.type && b.type && a.type != b.type)
            return fail(c, "type mismatch");
    }
    uint8_t rt = want ? want : a.type ? a.type : b.type;
    uint32_t k = c->nstk;
    if (emitting(c)) {
        uint32_t sa = use_popped(c, k), sb = use_popped(c, k + 1);
        uint32_t sc = use_popped(c, k + 2);
        uint32_t pos = c->ncode;
        wr_insn *w = emit(c, WR_X_SELECT, 3);
        w[1].s.a = slot_k(c, k);
        w[1].s.b = sc;
        w[2].s.a = sa;
        w[2].s.b = sb;
        set_last(c, pos, k, rt);
    }
    return push_slot(c, rt);
}

static int read_local(cc *c, uint32_t *x, uint8_t *type)
{
    if (wr_read_u32(&c->r, x, c->err))
        return -1;
    if (*x >= c->nlocals_all)
        return fail(c, "unknown local %u", *x);
    *type = c->ltypes[*x];
    return 0;
}

/* Write the popped entry at position k into local x; returns true when
 * the value was computed straight into x (a retargeted producer, or a
 * pending sum), so that local.tee leaves x itself on the stack. */
static bool write_local(cc *c, uint32_t x, uint32_t k)
{
    const opd *e = &c->stk[k];
    if (e->kind == K_LOCAL && e->local == x)
        return false;
    if (e->kind == K_SLOT && c->last_pos != NONE32 && c->last_k == k
        && c->npend[x] == 0) {
        if (!c->oom)
            c->code[c->last_pos + 1].s.a = x;
        c->last_pos = NONE32;
        return true;
    }
    before_local_write(c, x);
    if (e->kind == K_CONST) {
        emit_const(c, x, e->value);
    } else if (e->kind == K_ADDI) {
        emit_sum(c, x, e->local, (uint32_t)e->value);
        return true;
    } else {
        emit_copy(c, x, e->kind == K_LOCAL ? e->local : slot_k(c, k));
    }
    return false;
}

static int op_local(cc *c, uint8_t op)
{
    uint32_t x;
    uint8_t type = 0;
    opd e;
    if (read_local(c, &x, &type))
        return -1;
    if (op == OP_LOCAL_GET)
        return push(c, type, K_LOCAL, x, 0);
    if (pop(c, type, &e))
        return -1;
    uint32_t k = c->nstk;
    bool retargeted = emitting(c) && write_local(c, x, k);
    if (op == OP_LOCAL_SET)
        return 0;
    if (retargeted || (e.kind == K_LOCAL && e.local == x))
        return push(c, type, K_LOCAL, x, 0);
    return push_entry(c, type, &e);
}

static int read_global(cc *c, uint32_t *x)
{
    if (wr_read_u32(&c->r, x, c->err))
        return -1;
    if (*x >= c->m->nglobals)
        return fail(c, "unknown global %u", *x);
    return 0;
}

static int op_global(cc *c, uint8_t op)
{
    uint32_t x;
    if (read_global(c, &x))
        return -1;
    const wr_global_def *g = &c->m->globals[x];
    if (op == OP_GLOBAL_GET) {
        uint32_t k = c->nstk;
        if (emitting(c)) {
            uint32_t pos = c->ncode;
            wr_insn *w = emit(c, WR_X_GLOBAL_GET, 2);
            w[1].s.a = slot_k(c, k);
            w[1].s.b = x;
            set_last(c, pos, k, (uint8_t)g->type);
        }
        return push_slot(c, (uint8_t)g->type);
    }
    if (!g->mutable_)
        return fail(c, "global is immutable");
    if (pop(c, (uint8_t)g->type, NULL))
        return -1;
    if (emitting(c)) {
        uint32_t src = use_popped(c, c->nstk);
        wr_insn *w = emit(c, WR_X_GLOBAL_SET, 2);
        w[1].s.a = src;
        w[1].s.b = x;
    }
    return 0;
}

/* --- memory and tables ------------------------------------------------------ */

static int need_memory(cc *c)
{
    if (c->m->nmems == 0)
        return fail(c, "unknown memory 0");
    return 0;
}

static int read_zero(cc *c)
{
    long long at = wr_reader_offset(&c->r);
    uint8_t b;
    if (wr_read_u8(&c->r, &b, c->err))
        return -1;
    if (b != 0)
        return malformed(c, at, "zero byte expected");
    return 0;
}

static int read_memarg(cc *c, const opinfo *oi, uint32_t *offset)
{
    uint32_t align;
    if (wr_read_u32(&c->r, &align, c->err)
        || wr_read_u32(&c->r, offset, c->err) || need_memory(c))
        return -1;
    if (align > oi->align)
        return fail(c, "alignment must not be larger than natural");
    return 0;
}

static int op_load(cc *c, const opinfo *oi)
{
    uint32_t offset;
    if (read_memarg(c, oi, &offset) || pop(c, WR_I32, NULL))
        return -1;
    uint32_t k = c->nstk;
    if (emitting(c)) {
        const opd *e = &c->stk[k];
        bool sum = e->kind == K_ADDI || e->kind == K_CONST;
        bool xa = is_acc(c, k) || is_acc_base(c, k);
        uint32_t imm = (uint32_t)e->value;
        uint32_t addr = e->kind == K_ADDI ? e->local
                        : e->kind == K_CONST ? c->zero : use_popped(c, k);
        uint32_t pos = c->ncode;
        wr_insn *w = emit(c, (xa ? oi->xop_x : oi->xop) + (sum ? 1u : 0u), 3);
        w[1].s.a = slot_k(c, k);
        w[1].s.b = addr;
        w[2].s.a = offset;
        w[2].s.b = sum ? imm : 0;
        set_last(c, pos, k, oi->r);
        if (oi->xop == WR_X_I32_LOAD || oi->xop == WR_X_I64_LOAD
            || oi->xop == WR_X_F32_LOAD || oi->xop == WR_X_F64_LOAD) {
            c->last_mtype = oi->r;      /* may become a _M operand */
            c->last_maddr = addr;
            c->last_moff = offset;
            c->last_mimm = sum ? imm : 0;
        }
    }
    return push_slot(c, oi->r);
}

/* A store of the value the last instruction, an _M op, computed from
 * the very same memory operand (x[i] += a): that op becomes its _MS form,
 * which stores the result back, and the store vanishes.  The address
 * entry is a local, a sum or a constant (addr is never a stack slot the
 * _M op read, see invariant 1), so equal operands mean equal addresses. */
static bool store_back(cc *c, const opinfo *oi, uint32_t k, uint32_t addr,
                       uint32_t offset, uint32_t imm)
{
    bool natural = oi->xop == WR_X_I32_STORE || oi->xop == WR_X_I64_STORE
                   || oi->xop == WR_X_F32_STORE || oi->xop == WR_X_F64_STORE;
    if (!natural || c->last_pos == NONE32 || c->last_k != k + 1
        || c->last_ms_type != oi->a || c->stk[k + 1].kind != K_SLOT
        || c->stk[k].kind == K_SLOT || c->last_maddr != addr
        || c->last_moff != offset || c->last_mimm != imm || c->oom)
        return false;
    c->code[c->last_pos].op = c->ops[c->last_ms];
    c->last_pos = NONE32;
    return true;
}

static int op_store(cc *c, const opinfo *oi)
{
    uint32_t offset;
    if (read_memarg(c, oi, &offset) || pop(c, oi->a, NULL)
        || pop(c, WR_I32, NULL))
        return -1;
    uint32_t k = c->nstk;
    if (emitting(c)) {
        const opd *e = &c->stk[k];
        bool sum = e->kind == K_ADDI || e->kind == K_CONST;
        uint32_t imm = (uint32_t)e->value;
        uint32_t addr = e->kind == K_ADDI ? e->local
                        : e->kind == K_CONST ? c->zero : use_popped(c, k);
        if (store_back(c, oi, k, addr, offset, sum ? imm : 0))
            return 0;
        bool xv = (oi->a == WR_I32 || oi->a == WR_I64) && is_acc(c, k + 1);
        uint32_t val = xv ? 0 : use_popped(c, k + 1);
        wr_insn *w = emit(c, (xv ? oi->xop_x : oi->xop) + (sum ? 1u : 0u), 3);
        w[1].s.a = val;
        w[1].s.b = addr;
        w[2].s.a = offset;
        w[2].s.b = sum ? imm : 0;
    }
    return 0;
}

static int op_memory(cc *c, uint8_t op)
{
    if (read_zero(c) || need_memory(c))
        return -1;
    if (op == OP_MEMORY_GROW && pop(c, WR_I32, NULL))
        return -1;
    uint32_t k = c->nstk;
    if (emitting(c)) {
        uint32_t delta = op == OP_MEMORY_GROW ? use_popped(c, k) : 0;
        uint32_t pos = c->ncode;
        wr_insn *w = emit(c, op == OP_MEMORY_GROW ? WR_X_MEMORY_GROW
                                                  : WR_X_MEMORY_SIZE, 2);
        w[1].s.a = slot_k(c, k);
        w[1].s.b = delta;
        set_last(c, pos, k, WR_I32);
    }
    return push_slot(c, WR_I32);
}

static int read_table(cc *c, uint32_t *x)
{
    if (wr_read_u32(&c->r, x, c->err))
        return -1;
    if (*x >= c->m->ntables)
        return fail(c, "unknown table %u", *x);
    return 0;
}

static int op_table_get_set(cc *c, uint8_t op)
{
    uint32_t x;
    if (read_table(c, &x))
        return -1;
    uint8_t et = (uint8_t)c->m->tables[x].elem;
    if (op == OP_TABLE_SET && pop(c, et, NULL))
        return -1;
    if (pop(c, WR_I32, NULL))
        return -1;
    uint32_t k = c->nstk;
    if (!emitting(c))
        return op == OP_TABLE_GET ? push_slot(c, et) : 0;
    uint32_t i = use_popped(c, k);
    uint32_t pos = c->ncode;
    if (op == OP_TABLE_GET) {
        wr_insn *w = emit(c, WR_X_TABLE_GET, 3);
        w[1].s.a = slot_k(c, k);
        w[1].s.b = i;
        w[2].s.a = x;
        set_last(c, pos, k, et);
        return push_slot(c, et);
    }
    uint32_t v = use_popped(c, k + 1);
    wr_insn *w = emit(c, WR_X_TABLE_SET, 3);
    w[1].s.a = i;
    w[1].s.b = v;
    w[2].s.a = x;
    return 0;
}

/* Pop n i32 operands (or the given types); returns the first position. */
static int pop_n(cc *c, const uint8_t *types, uint32_t n, uint32_t *k)
{
    for (uint32_t i = n; i-- > 0;)
        if (pop(c, types[i], NULL))
            return -1;
    *k = c->nstk;
    return 0;
}

static const uint8_t three_i32[3] = { WR_I32, WR_I32, WR_I32 };

static int need_datacount(cc *c)
{
    if (!c->m->has_datacount)
        return malformed(c, c->at, "data count section required");
    return 0;
}

static int check_data(cc *c, uint32_t x)
{
    if (x >= c->m->datacount)
        return fail(c, "unknown data segment %u", x);
    return 0;
}

static int check_elem(cc *c, uint32_t x)
{
    if (x >= c->m->nelems)
        return fail(c, "unknown elem segment %u", x);
    return 0;
}

static int op_bulk_memory(cc *c, uint32_t sub)
{
    uint32_t x = 0, k;
    if (sub == OPFC_MEMORY_INIT || sub == OPFC_DATA_DROP) {
        if (wr_read_u32(&c->r, &x, c->err) || need_datacount(c))
            return -1;
    }
    if (sub == OPFC_MEMORY_INIT || sub == OPFC_MEMORY_FILL)
        if (read_zero(c))
            return -1;
    if (sub == OPFC_MEMORY_COPY && (read_zero(c) || read_zero(c)))
        return -1;
    if (sub != OPFC_DATA_DROP && need_memory(c))
        return -1;
    if ((sub == OPFC_MEMORY_INIT || sub == OPFC_DATA_DROP) && check_data(c, x))
        return -1;
    if (sub == OPFC_DATA_DROP) {
        if (emitting(c))
            emit(c, WR_X_DATA_DROP, 2)[1].s.a = x;
        return 0;
    }
    if (pop_n(c, three_i32, 3, &k))
        return -1;
    if (!emitting(c))
        return 0;
    uint32_t a = use_popped(c, k), b = use_popped(c, k + 1);
    uint32_t n = use_popped(c, k + 2);
    wr_insn *w;
    switch (sub) {
    case OPFC_MEMORY_INIT:
        w = emit(c, WR_X_MEMORY_INIT, 3);
        w[1].s.a = x;
        w[1].s.b = a;
        w[2].s.a = b;
        w[2].s.b = n;
        break;
    case OPFC_MEMORY_COPY:
    case OPFC_MEMORY_FILL:
        w = emit(c, sub == OPFC_MEMORY_COPY ? WR_X_MEMORY_COPY
                                             : WR_X_MEMORY_FILL, 3);
        w[1].s.a = a;
        w[1].s.b = b;
        w[2].s.a = n;
        break;
    }
    return 0;
}

static int op_table_init_copy(cc *c, uint32_t sub)
{
    uint32_t x, y, k;
    if (wr_read_u32(&c->r, &x, c->err) || wr_read_u32(&c->r, &y, c->err))
        return -1;
    if (sub == OPFC_TABLE_INIT) {
        /* table.init elem table */
        if (y >= c->m->ntables)
            return fail(c, "unknown table %u", y);
        if (check_elem(c, x))
            return -1;
        if (c->m->tables[y].elem != c->m->elems[x].type)
            return fail(c, "type mismatch");
    } else {
        /* table.copy dst src */
        if (x >= c->m->ntables)
            return fail(c, "unknown table %u", x);
        if (y >= c->m->ntables)
            return fail(c, "unknown table %u", y);
        if (c->m->tables[x].elem != c->m->tables[y].elem)
            return fail(c, "type mismatch");
    }
    if (pop_n(c, three_i32, 3, &k))
        return -1;
    if (!emitting(c))
        return 0;
    uint32_t d = use_popped(c, k), s = use_popped(c, k + 1);
    uint32_t n = use_popped(c, k + 2);
    wr_insn *w = emit(c, sub == OPFC_TABLE_INIT ? WR_X_TABLE_INIT
                                                : WR_X_TABLE_COPY, 4);
    w[1].s.a = d;
    w[1].s.b = s;
    w[2].s.a = n;
    if (sub == OPFC_TABLE_INIT) {
        w[2].s.b = x;
        w[3].s.a = y;
    } else {
        w[3].s.a = x;
        w[3].s.b = y;
    }
    return 0;
}

static int op_table_misc(cc *c, uint32_t sub)
{
    uint32_t x, k;
    if (read_table(c, &x))
        return -1;
    uint8_t et = (uint8_t)c->m->tables[x].elem;
    uint8_t types[3] = { WR_I32, et, WR_I32 };
    uint32_t pos;
    wr_insn *w;
    switch (sub) {
    case OPFC_TABLE_SIZE:
        k = c->nstk;
        if (emitting(c)) {
            pos = c->ncode;
            w = emit(c, WR_X_TABLE_SIZE, 2);
            w[1].s.a = slot_k(c, k);
            w[1].s.b = x;
            set_last(c, pos, k, WR_I32);
        }
        return push_slot(c, WR_I32);
    case OPFC_TABLE_GROW:
        if (pop_n(c, types + 1, 2, &k))
            return -1;
        if (emitting(c)) {
            uint32_t init = use_popped(c, k), n = use_popped(c, k + 1);
            pos = c->ncode;
            w = emit(c, WR_X_TABLE_GROW, 3);
            w[1].s.a = slot_k(c, k);
            w[1].s.b = init;
            w[2].s.a = n;
            w[2].s.b = x;
            set_last(c, pos, k, WR_I32);
        }
        return push_slot(c, WR_I32);
    default: /* fill */
        if (pop_n(c, types, 3, &k))
            return -1;
        if (emitting(c)) {
            uint32_t i = use_popped(c, k), v = use_popped(c, k + 1);
            uint32_t n = use_popped(c, k + 2);
            w = emit(c, WR_X_TABLE_FILL, 3);
            w[1].s.a = i;
            w[1].s.b = v;
            w[2].s.a = n;
            w[2].s.b = x;
        }
        return 0;
    }
}

static int op_prefix_fc(cc *c, uint32_t sub)
{
    uint32_t x;
    switch (sub) {
    case OPFC_MEMORY_INIT:
    case OPFC_DATA_DROP:
    case OPFC_MEMORY_COPY:
    case OPFC_MEMORY_FILL:
        return op_bulk_memory(c, sub);
    case OPFC_TABLE_INIT:
    case OPFC_TABLE_COPY:
        return op_table_init_copy(c, sub);
    case OPFC_ELEM_DROP:
        if (wr_read_u32(&c->r, &x, c->err) || check_elem(c, x))
            return -1;
        if (emitting(c))
            emit(c, WR_X_ELEM_DROP, 2)[1].s.a = x;
        return 0;
    default:
        return op_table_misc(c, sub);
    }
}

/* --- references ------------------------------------------------------------- */

static int op_ref(cc *c, uint8_t op)
{
    uint32_t x;
    opd e;
    if (op == OP_REF_NULL) {
        long long at = wr_reader_offset(&c->r);
        uint8_t b;
        if (wr_read_u8(&c->r, &b, c->err))
            return -1;
        if (!is_ref(b))
            return malformed(c, at, "malformed reference type");
        return push(c, b, K_CONST, 0, 0);
    }
    if (op == OP_REF_IS_NULL) {
        if (pop(c, 0, &e))
            return -1;
        if (e.type && !is_ref(e.type))
            return fail(c, "type mismatch");
        uint32_t k = c->nstk;
        if (emitting(c)) {
            uint32_t src = use_popped(c, k);
            uint32_t pos = c->ncode;
            wr_insn *w = emit(c, WR_X_REF_IS_NULL, 2);
            w[1].s.a = slot_k(c, k);
            w[1].s.b = src;
            set_last(c, pos, k, WR_I32);
        }
        return push_slot(c, WR_I32);
    }
    if (wr_read_u32(&c->r, &x, c->err))
        return -1;
    if (x >= c->m->nfuncs)
        return fail(c, "unknown function %u", x);
    if (!c->m->func_declared || !(c->m->func_declared[x / 8] & (1u << (x % 8))))
        return fail(c, "undeclared function reference");
    uint32_t k = c->nstk;
    if (emitting(c)) {
        uint32_t pos = c->ncode;
        wr_insn *w = emit(c, WR_X_REF_FUNC, 2);
        w[1].s.a = slot_k(c, k);
        w[1].s.b = x;
        set_last(c, pos, k, WR_FUNCREF);
    }
    return push_slot(c, WR_FUNCREF);
}

/* --- numeric instructions ---------------------------------------------------- */

static int op_const(cc *c, uint8_t op)
{
    uint64_t v;
    int32_t i32;
    int64_t i64;
    uint32_t f32;
    switch (op) {
    case OP_I32_CONST:
        if (wr_read_s32(&c->r, &i32, c->err))
            return -1;
        v = (uint32_t)i32;
        return push(c, WR_I32, K_CONST, 0, v);
    case OP_I64_CONST:
        if (wr_read_s64(&c->r, &i64, c->err))
            return -1;
        return push(c, WR_I64, K_CONST, 0, (uint64_t)i64);
    case OP_F32_CONST:
        if (wr_read_f32(&c->r, &f32, c->err))
            return -1;
        return push(c, WR_F32, K_CONST, 0, f32);
    default:
        if (wr_read_f64(&c->r, &v, c->err))
            return -1;
        return push(c, WR_F64, K_CONST, 0, v);
    }
}

static int op_unary(cc *c, uint8_t wop, const opinfo *oi)
{
    if (pop(c, oi->a, NULL))
        return -1;
    uint32_t k = c->nstk;
    if (emitting(c)) {
        bool xa = (oi->a == WR_I32 || oi->a == WR_I64) && is_acc(c, k);
        uint32_t src = xa ? 0 : use_popped(c, k);
        uint32_t pos = c->ncode;
        wr_insn *w = emit(c, xa ? oi->xop_x : oi->xop, 2);
        w[1].s.a = slot_k(c, k);
        w[1].s.b = src;
        set_last(c, pos, k, oi->r);
        if (wop == OP_I32_EQZ || wop == OP_I64_EQZ) {
            c->last_wop = wop;
            c->last_imm = false;
            c->last_xa = xa;
            c->last_a = src;
        }
    }
    return push_slot(c, oi->r);
}

/* Swapping the operands of a compare: a < b is b > a. */
static uint8_t mirror_cmp(uint8_t wop)
{
    static const uint8_t imirror[10] = { 0, 1, 4, 5, 2, 3, 8, 9, 6, 7 };
    static const uint8_t fmirror[6] = { 0, 1, 3, 2, 5, 4 };
    if (wop >= OP_F64_EQ)
        return (uint8_t)(OP_F64_EQ + fmirror[wop - OP_F64_EQ]);
    if (wop >= OP_F32_EQ)
        return (uint8_t)(OP_F32_EQ + fmirror[wop - OP_F32_EQ]);
    uint8_t base = wop >= OP_I64_EQ ? OP_I64_EQ : OP_I32_EQ;
    return (uint8_t)(base + imirror[wop - base]);
}

/* A binary op whose operand was loaded by the instruction just before
 * (B, or A when the op commutes, the other one not a constant): the load
 * becomes the op's memory operand (_M form).  Returns true when done. */
static bool fuse_load(cc *c, const opinfo *oi, bool swaps, uint32_t k)
{
    const opd *ea = &c->stk[k], *eb = &c->stk[k + 1];
    if (c->last_pos == NONE32 || c->last_mtype != oi->a)
        return false;
    uint32_t other;
    if (c->last_k == k + 1 && eb->kind == K_SLOT && ea->kind != K_CONST)
        other = k;
    else if (swaps && c->last_k == k && ea->kind == K_SLOT
             && eb->kind != K_CONST)
        other = k + 1;
    else
        return false;
    uint32_t addr = c->last_maddr, off = c->last_moff, imm = c->last_mimm;
    c->ncode = c->last_pos;              /* the load goes into the op */
    c->last_pos = NONE32;
    uint32_t a = use_popped(c, other);
    uint32_t pos = c->ncode;
    wr_insn *w = emit(c, oi->xop_m, 4);
    w[1].s.a = slot_k(c, k);
    w[1].s.b = a;
    w[2].s.a = addr;
    w[2].s.b = off;
    w[3].s.a = imm;
    set_last(c, pos, k, oi->r);
    c->last_ms_type = oi->a;              /* a store there may join it */
    c->last_ms = (uint16_t)(oi->xop_m + 1);
    c->last_maddr = addr;
    c->last_moff = off;
    c->last_mimm = imm;
    return true;
}

/* Whether reading a popped entry emits no code (use_popped). */
static bool free_operand(const opd *e)
{
    return e->kind == K_SLOT || e->kind == K_LOCAL
           || (e->kind == K_CONST && e->value == 0);
}

/* An integer binary op one of whose operands is the accumulator: the
 * _X (a = acc), _XI (a = acc, b immediate) or _XB (b = acc) form, when
 * the other operand needs no code (which could clobber acc).  Returns
 * true when done. */
static bool emit_bin_acc(cc *c, uint8_t wop, const opinfo *oi, bool swaps,
                         uint32_t k)
{
    const opd *ea = &c->stk[k], *eb = &c->stk[k + 1];
    bool wide = oi->a != WR_I32;
    unsigned form;                     /* 0: _X, 1: _XI, 2: _XB */
    uint32_t other = 0;                /* the slot operand */
    uint64_t immv = 0;
    if (is_acc(c, k) && eb->kind == K_CONST) {
        form = 1;
        immv = eb->value;
    } else if (is_acc(c, k) && free_operand(eb)) {
        form = 0;
        other = use_popped(c, k + 1);
    } else if (is_acc(c, k + 1) && ea->kind == K_CONST && swaps) {
        form = 1;
        immv = ea->value;
    } else if (is_acc(c, k + 1) && free_operand(ea) && (swaps || oi->has_xb)) {
        form = swaps ? 0 : 2;
        other = use_popped(c, k);
    } else {
        return false;
    }
    if (is_acc(c, k + 1) && swaps && oi->shape == SH_ICMP) {
        wop = mirror_cmp(wop);
        oi = &ops_single[wop];
    }
    uint32_t pos = c->ncode;
    wr_insn *w = emit(c, oi->xop_x + form, 3);
    w[1].s.a = slot_k(c, k);
    w[1].s.b = form == 2 ? other : 0;
    if (form == 1 && wide)
        w[2].u64 = immv;
    else
        w[2].s.a = form == 1 ? (uint32_t)immv : other;
    set_last(c, pos, k, oi->r);
    if (oi->shape == SH_ICMP) {
        c->last_wop = wop;
        c->last_xa = true;
        c->last_imm = form == 1;
        c->last_a = 0;
        c->last_b = form == 1 ? (uint32_t)immv : other;
        c->last_immv = immv;
    }
    return true;
}

/* i32.add/sub of a constant whose other operand (entry e at position
 * pos) is a local, a pending sum, or the result's own slot: push a
 * pending sum (K_ADDI) instead of computing it.  Returns 1 when done. */
static int defer_add(cc *c, const opd *e, uint32_t pos, uint32_t k,
                     uint32_t imm)
{
    uint32_t base;
    /* A base just computed stays in acc for a load's _AX form. */
    bool keep = pos == k && (is_acc(c, k) || is_acc_base(c, k));
    if (e->kind == K_LOCAL) {
        base = e->local;
    } else if (e->kind == K_SLOT && pos == k) {
        base = slot_k(c, k);
    } else if (e->kind == K_ADDI && (e->local < c->base || pos == k)) {
        base = e->local;
        imm += (uint32_t)e->value;
    } else {
        return 0;
    }
    if (!keep)
        c->last_pos = NONE32;
    return push(c, WR_I32, K_ADDI, base, imm) ? -1 : 1;
}

/* A binary op: a constant second operand becomes an immediate (so does a
 * constant first one of a commutative op or a compare, which swaps, or
 * of an op with a reversed form);
 * integer compares are remembered for fusion with br_if/if.  Returns 1
 * when the result was pushed as a pending sum instead. */
static int emit_bin(cc *c, uint8_t wop, const opinfo *oi, uint32_t k)
{
    const opd *ea = &c->stk[k], *eb = &c->stk[k + 1];
    uint8_t sh = oi->shape;
    bool swaps = sh == SH_IBINC || sh == SH_IBINCM || sh == SH_ICMP
                 || sh == SH_FBINC || sh == SH_FBINCM || sh == SH_FCMP;
    bool wide = oi->a != WR_I32;        /* the immediate takes a word */
    bool reversed = sh == SH_IBINR || sh == SH_IBINRM || sh == SH_FBINR
                    || sh == SH_FBINRM;
    unsigned form = 0;                  /* 1: _I, 2: _R */
    uint32_t a, b = 0;
    uint64_t immv = 0;
    if (wop == OP_I32_ADD || wop == OP_I32_SUB) {
        int r = 0;
        if (eb->kind == K_CONST)
            r = defer_add(c, ea, k, k, wop == OP_I32_ADD
                                        ? (uint32_t)eb->value
                                        : 0u - (uint32_t)eb->value);
        else if (ea->kind == K_CONST && wop == OP_I32_ADD)
            r = defer_add(c, eb, k + 1, k, (uint32_t)ea->value);
        if (r)
            return r;
    }
    if (oi->xop_m && fuse_load(c, oi, swaps, k))
        return 0;
    if (oi->xop_x && emit_bin_acc(c, wop, oi, swaps, k))
        return 0;
    if (eb->kind == K_CONST) {
        form = 1;
        immv = eb->value;
        a = use_popped(c, k);
    } else if (ea->kind == K_CONST && (swaps || reversed)) {
        form = reversed ? 2 : 1;
        immv = ea->value;
        a = use_popped(c, k + 1);       /* for _R, this is b */
        if (oi->shape == SH_ICMP || oi->shape == SH_FCMP) {
            wop = mirror_cmp(wop);
            oi = &ops_single[wop];
        }
    } else {
        a = use_popped(c, k);
        b = use_popped(c, k + 1);
    }
    if (form && !wide)
        b = (uint32_t)immv;
    uint32_t pos = c->ncode;
    wr_insn *w = emit(c, oi->xop + form, 3);
    w[1].s.a = slot_k(c, k);
    w[1].s.b = a;
    if (form && wide)
        w[2].u64 = immv;
    else
        w[2].s.a = b;
    set_last(c, pos, k, oi->r);
    if (oi->shape == SH_ICMP) {
        c->last_wop = wop;
        c->last_xa = false;
        c->last_imm = form != 0;
        c->last_a = a;
        c->last_b = b;
        c->last_immv = immv;
    }
    return 0;
}

static int op_binary(cc *c, uint8_t wop, const opinfo *oi)
{
    if (pop(c, oi->b, NULL) || pop(c, oi->a, NULL))
        return -1;
    uint32_t k = c->nstk;
    if (emitting(c)) {
        int r = emit_bin(c, wop, oi, k);
        if (r)
            return r < 0 ? -1 : 0;
    }
    return push_slot(c, oi->r);
}

/* --- the driver -------------------------------------------------------------- */

static int op_special(cc *c, uint8_t op)
{
    switch (op) {
    case OP_UNREACHABLE:
        if (emitting(c))
            emit(c, WR_X_UNREACHABLE, 1);
        set_unreachable(c);
        return 0;
    case OP_NOP:
        return 0;
    case OP_BLOCK:
    case OP_LOOP:
        return op_block(c, op);
    case OP_IF:
        return op_if(c);
    case OP_ELSE:
        return op_else(c);
    case OP_END:
        return op_end(c);
    case OP_BR:
        return op_br(c);
    case OP_BR_IF:
        return op_br_if(c);
    case OP_BR_TABLE:
        return op_br_table(c);
    case OP_RETURN:
        return op_return(c);
    case OP_CALL:
        return op_call(c);
    case OP_CALL_INDIRECT:
        return op_call_indirect(c);
    case OP_DROP:
        return pop(c, 0, NULL);
    case OP_SELECT:
    case OP_SELECT_T:
        return op_select(c, op);
    case OP_LOCAL_GET:
    case OP_LOCAL_SET:
    case OP_LOCAL_TEE:
        return op_local(c, op);
    case OP_GLOBAL_GET:
    case OP_GLOBAL_SET:
        return op_global(c, op);
    case OP_TABLE_GET:
    case OP_TABLE_SET:
        return op_table_get_set(c, op);
    case OP_MEMORY_SIZE:
    case OP_MEMORY_GROW:
        return op_memory(c, op);
    default:
        return op_ref(c, op);
    }
}

/* Validate and compile one instruction. */
static int instruction(cc *c)
{
    uint8_t op;
    c->at = wr_reader_offset(&c->r);
    if (wr_read_u8(&c->r, &op, c->err))
        return -1;
    if (emitting(c) && !c->oom)
        c->seg_cost[c->cur]++;
    const opinfo *oi = &ops_single[op];
    uint32_t sub = 0;
    if (op == OP_PREFIX_FC) {
        if (wr_read_u32(&c->r, &sub, c->err))
            return -1;
        oi = sub < WR_NFC ? &ops_fc[sub] : NULL;
    }
    if (!oi || !oi->text)
        return malformed(c, c->at, "illegal opcode");
    switch (oi->shape) {
    case SH_SPEC:
        return op == OP_PREFIX_FC ? op_prefix_fc(c, sub) : op_special(c, op);
    case SH_CONST:
        return op_const(c, op);
    case SH_UN:
        return op_unary(c, op, oi);
    case SH_LOAD:
        return op_load(c, oi);
    case SH_STORE:
        return op_store(c, oi);
    default:
        return op_binary(c, op, oi);
    }
}

/* The local declarations: their types after the parameters' in
 * c->ltypes (decode.c checked the counts against WR_MAX_LOCALS). */
static int read_locals(cc *c)
{
    uint32_t groups, n, np = c->ft->nparams;
    uint8_t t;
    uint64_t total = np;
    wr_reader r = c->r;
    if (wr_read_u32(&c->r, &groups, c->err))
        return -1;
    for (uint32_t i = 0; i < groups; i++) {
        if (wr_read_u32(&c->r, &n, c->err) || wr_read_u8(&c->r, &t, c->err))
            return -1;
        total += n;
    }
    if (total > UINT32_MAX / 4 || (total + 1 > c->cap_ltypes
        && !(c->ltypes = grow_array(c->ltypes, &c->cap_ltypes, total + 1, 1))))
        return nomem(c);
    for (uint32_t i = 0; i < np; i++)
        c->ltypes[i] = (uint8_t)c->ft->params[i];
    c->r = r;
    wr_read_u32(&c->r, &groups, NULL);
    for (uint32_t i = 0, k = np; i < groups; i++) {
        n = 0, t = 0;
        wr_read_u32(&c->r, &n, NULL);
        wr_read_u8(&c->r, &t, NULL);
        memset(c->ltypes + k, t, n);
        k += n;
    }
    c->nlocals = (uint32_t)(total - np);
    return 0;
}

/* Put a finished function's code where it stays: a large one keeps the
 * buffer it was written in (shrunk to fit), a small one is copied into
 * the current chunk.  Code of WR_ALIGN_MIN words or more starts on a
 * 16-byte boundary, as a block of its own from malloc did before code
 * was packed (where hot loops fall across cache lines moves run times
 * by several per cent either way: docs/performance.md); smaller code is
 * packed tight. */
static wr_code *place_code(cc *c)
{
    wr_module *m = c->m;
    size_t words = (size_t)c->ncode * sizeof(wr_insn), hdr = sizeof(wr_code);
    bool align = c->ncode >= WR_ALIGN_MIN;
    wr_code_chunk *k = c->pack;
    if (hdr + words >= WR_CHUNK_ALONE) {
        size_t at = c->code_at;
        k = realloc(c->buf, at + words);   /* shrinks in place */
        if (!k)
            k = c->buf;                    /* keep it unshrunk */
        c->buf = NULL;
        c->code = NULL;
        c->cap_code = 0;
        k->used = k->cap = at + words - sizeof *k;
        k->next = m->chunks;
        m->chunks = k;
        return (wr_code *)((char *)k + at - hdr);
    }
    size_t off = 0;
    if (k) {
        char *base = (char *)(k + 1);
        off = align ? line_after(base, k->used + hdr) - hdr : k->used;
    }
    if (!k || off + hdr + words > k->cap) {
        if (!(k = malloc(sizeof *k + WR_CHUNK_SIZE)))
            return NULL;
        k->used = 0;
        k->cap = WR_CHUNK_SIZE;
        k->next = m->chunks;
        m->chunks = k;
        c->pack = k;
        off = align ? line_after(k + 1, hdr) - hdr : 0;
    }
    wr_code *code = (wr_code *)((char *)(k + 1) + off);
    memcpy(code->insn, c->code, words);
    k->used = (off + hdr + words + 7) & ~(size_t)7;
    return code;
}

/* Totals of the segment chains into every cost field; the code object. */
static int finish(cc *c)
{
    if (!c->emit_code)
        return 0;
    for (uint32_t s = c->nseg; s-- > 0;) {
        uint32_t next = c->seg_next[s];
        if (next != NONE32)
            c->seg_cost[s] += c->seg_cost[next];
    }
    for (uint32_t i = 0; i < c->nsites; i++) {
        wr_insn *w = &c->code[c->sites[i]];
        w->s.b = c->seg_cost[w->s.b];
    }
    uint64_t cells = (uint64_t)c->base + c->max_height;
    if (cells < c->ft->nresults)
        cells = c->ft->nresults;
    if (cells > UINT32_MAX / 2)
        return c->too_big = true, nomem(c);
    if (!c->code && grow_code(c, 1))       /* no words at all */
        return nomem(c);
    uint32_t entry_cost = c->seg_cost[SEG_ENTRY], ninsn = c->ncode;
    wr_code *code = place_code(c);
    if (!code)
        return nomem(c);
    code->nparams = c->ft->nparams;
    code->nlocals = c->nlocals + 1;            /* and the zero cell */
    code->nresults = c->ft->nresults;
    code->frame_cells = (uint32_t)cells;
    code->entry_cost = entry_cost;
    code->ninsn = ninsn;
    c->m->code[c->fidx - c->m->nfunc_imports] = code;
    return 0;
}

static int compile_body(cc *c, size_t body_end)
{
    if (read_locals(c))
        return -1;
    c->nlocals_all = c->ft->nparams + c->nlocals;
    c->zero = c->nlocals_all;
    c->base = c->zero + 1;
    if (c->nlocals_all + 1 > c->cap_npend) {
        uint32_t *q = grow_array(c->npend, &c->cap_npend,
                                 c->nlocals_all + 1ull, sizeof *q);
        if (!q)
            return nomem(c);
        c->npend = q;
    }
    memset(c->npend, 0, (c->nlocals_all + 1ull) * sizeof *c->npend);
    if (push_ctl(c, C_FUNC, NULL, 0, c->ft->results, c->ft->nresults))
        return -1;
    seg_new(c);                      /* SEG_ZERO */
    c->cur = seg_new(c);             /* SEG_ENTRY */
    while (c->nctl > 0) {
        if (instruction(c))
            return -1;
        if (c->oom)
            return -1;
    }
    /* The reader is not cut at the body's end (as in the reference
     * interpreter): the final `end` must be its last byte. */
    if ((size_t)(c->r.p - c->r.base) != body_end)
        return malformed(c, (long long)body_end, "section size mismatch");
    return finish(c);
}

/* --- decoding without validation ----------------------------------------- */

/* Skip the immediates of instruction op (one-byte opcodes and
 * OP_PREFIX_FC ones), checking only the binary format. */
static int scan_immediates(wr_reader *r, uint8_t op, wr_error *err)
{
    uint32_t x, n;
    uint8_t b;
    uint64_t v64;
    int64_t s64;
    switch (op) {
    case OP_BR: case OP_BR_IF: case OP_CALL: case OP_LOCAL_GET:
    case OP_LOCAL_SET: case OP_LOCAL_TEE: case OP_GLOBAL_GET:
    case OP_GLOBAL_SET: case OP_TABLE_GET: case OP_TABLE_SET:
    case OP_REF_FUNC:
        return wr_read_u32(r, &x, err);
    case OP_CALL_INDIRECT:
        return wr_read_u32(r, &x, err) || wr_read_u32(r, &x, err) ? -1 : 0;
    case OP_BR_TABLE:
        if (wr_read_len(r, &n, err))
            return -1;
        for (uint64_t i = 0; i <= n; i++)
            if (wr_read_u32(r, &x, err))
                return -1;
        return 0;
    case OP_SELECT_T:
        if (wr_read_len(r, &n, err))
            return -1;
        for (uint32_t i = 0; i < n; i++) {
            long long bat = wr_reader_offset(r);
            if (wr_read_u8(r, &b, err))
                return -1;
            if (!is_num(b) && !is_ref(b))
                return wr_fail(err, WR_ERR_MALFORMED, bat,
                               "malformed value type");
        }
        return 0;
    case OP_MEMORY_SIZE: case OP_MEMORY_GROW:
        if (wr_read_u8(r, &b, err))
            return -1;
        return b ? wr_fail(err, WR_ERR_MALFORMED, wr_reader_offset(r) - 1,
                           "zero byte expected") : 0;
    case OP_I32_CONST:
        return wr_read_sleb(r, 32, &s64, err);
    case OP_I64_CONST:
        return wr_read_s64(r, &s64, err);
    case OP_F32_CONST:
        return wr_read_f32(r, &x, err);
    case OP_F64_CONST:
        return wr_read_f64(r, &v64, err);
    case OP_REF_NULL:
        if (wr_read_u8(r, &b, err))
            return -1;
        return is_ref(b) ? 0 : wr_fail(err, WR_ERR_MALFORMED,
                                       wr_reader_offset(r) - 1,
                                       "malformed reference type");
    default:
        if (ops_single[op].shape == SH_LOAD || ops_single[op].shape == SH_STORE)
            return wr_read_u32(r, &x, err) || wr_read_u32(r, &x, err) ? -1 : 0;
        return 0;
    }
}

static int scan_fc(const wr_module *m, wr_reader *r, long long at,
                   wr_error *err)
{
    uint32_t sub, x;
    uint8_t b;
    if (wr_read_u32(r, &sub, err))
        return -1;
    if (sub >= WR_NFC)
        return wr_fail(err, WR_ERR_MALFORMED, at, "illegal opcode");
    int zeros = sub == OPFC_MEMORY_COPY ? 2
                : sub == OPFC_MEMORY_INIT || sub == OPFC_MEMORY_FILL ? 1 : 0;
    int idx = sub == OPFC_TABLE_INIT || sub == OPFC_TABLE_COPY ? 2
              : sub >= OPFC_MEMORY_INIT && sub != OPFC_MEMORY_COPY
                && sub != OPFC_MEMORY_FILL ? 1 : 0;
    for (int i = 0; i < idx; i++)
        if (wr_read_u32(r, &x, err))
            return -1;
    if ((sub == OPFC_MEMORY_INIT || sub == OPFC_DATA_DROP) && !m->has_datacount)
        return wr_fail(err, WR_ERR_MALFORMED, at,
                       "data count section required");
    for (int i = 0; i < zeros; i++) {
        if (wr_read_u8(r, &b, err))
            return -1;
        if (b)
            return wr_fail(err, WR_ERR_MALFORMED, wr_reader_offset(r) - 1,
                           "zero byte expected");
    }
    return 0;
}

static void set_bit(uint8_t *bits, uint32_t i, bool on)
{
    if (on)
        bits[i / 8] |= (uint8_t)(1u << i % 8);
    else
        bits[i / 8] &= (uint8_t)~(1u << i % 8);
}

/* Decode the body at [at, at + len) without validating it: 0, or -1
 * with a format error in err.  ifs[] has a bit per open block: set for
 * an if (for `else`). */
static int scan_body(const wr_module *m, uint32_t at, uint32_t len,
                     wr_error *err)
{
    wr_reader r = wr_reader_at(m->bytes, at, m->len - at);
    uint32_t groups, n, depth = 1, cap = 64;
    uint8_t b, op;
    int rc = -1;
    uint8_t *ifs = calloc(cap / 8, 1);
    if (!ifs || wr_read_u32(&r, &groups, err))
        goto out;
    for (uint32_t i = 0; i < groups; i++)
        if (wr_read_u32(&r, &n, err) || wr_read_u8(&r, &b, err))
            goto out;
    while (depth > 0) {
        long long op_at = wr_reader_offset(&r);
        if (wr_read_u8(&r, &op, err))
            goto out;
        if (op == OP_PREFIX_FC) {
            if (scan_fc(m, &r, op_at, err))
                goto out;
            continue;
        }
        if (!ops_single[op].text) {
            wr_fail(err, WR_ERR_MALFORMED, op_at, "illegal opcode");
            goto out;
        }
        if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF) {
            int64_t bt;
            long long bat = wr_reader_offset(&r);
            if (wr_read_s33(&r, &bt, err))
                goto out;
            if (bt < 0 && bt != -64 && !is_num((uint8_t)(bt & 0x7f))
                && !is_ref((uint8_t)(bt & 0x7f))) {
                wr_fail(err, WR_ERR_MALFORMED, bat, "malformed value type");
                goto out;
            }
            if (depth == cap) {
                uint8_t *q = realloc(ifs, cap / 4);
                if (!q) {
                    rc = 0;              /* give up: keep the first error */
                    goto out;
                }
                ifs = q;
                cap *= 2;
            }
            set_bit(ifs, depth++, op == OP_IF);
        } else if (op == OP_ELSE) {
            if (!(ifs[(depth - 1) / 8] & 1u << (depth - 1) % 8)) {
                wr_fail(err, WR_ERR_MALFORMED, op_at, "END opcode expected");
                goto out;
            }
            set_bit(ifs, depth - 1, false);
        } else if (op == OP_END) {
            depth--;
        } else if (scan_immediates(&r, op, err)) {
            goto out;
        }
    }
    rc = 0;
    if ((size_t)(r.p - r.base) != (size_t)at + len)
        rc = wr_fail(err, WR_ERR_MALFORMED, (long long)at + len,
                     "section size mismatch");
out:
    free(ifs);
    return rc;
}

/* The reference interpreter decodes the whole module before validating
 * it, so a format error wins over a validation error, even in a later
 * body (binary.wast tests this): when the body whose size is at r is
 * invalid, decode it and the following ones (n in all) again, without
 * validating. */
static void prefer_malformed(const wr_module *m, wr_reader r, uint32_t n,
                             wr_error *err)
{
    wr_error invalid = *err;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t size = 0;
        wr_read_u32(&r, &size, NULL);
        if (scan_body(m, (uint32_t)wr_reader_offset(&r), size, err))
            return;
        r.p += size;
    }
    *err = invalid;
}

/* --- the module --------------------------------------------------------------- */

/* Zero the state of the last body, keeping the buffers. */
static void cc_reset(cc *c)
{
    memset(c, 0, offsetof(cc, keep));
    c->last_pos = c->copy_pos = c->sum_pos = NONE32;
}

static void cc_free(cc *c)
{
    free(c->stk);
    free(c->npend);
    free(c->ltypes);
    free(c->ctls);
    free(c->buf);
    free(c->seg_cost);
    free(c->seg_next);
    free(c->sites);
    free(c->labels);
    free(c->tmp);
    free(c);
}

/* Validate and compile function fidx, whose body is [at, at + len). */
static int compile_func(cc *c, uint32_t fidx, uint32_t at, uint32_t len)
{
    wr_module *m = c->m;
    cc_reset(c);
    c->fidx = fidx;
    c->ftv = wr_module_functype(m, m->funcs[fidx].type);
    c->ft = &c->ftv;
    c->r = wr_reader_at(m->bytes, at, m->len - at);
    c->max_code = (uint64_t)len * WR_CODE_PER_BYTE + 4096;
    if (c->max_code > WR_MAX_CODE_WORDS)
        c->max_code = WR_MAX_CODE_WORDS;
    if (c->max_code > c->code_left) {
        c->max_code = c->code_left;
        c->by_module = true;
    }
    int rc = compile_body(c, (size_t)at + len);
    if (rc && c->oom)
        wr_fail(c->err, WR_ERR_NOMEM, -1, !c->too_big ? "out of memory"
                : c->by_module ? "module too large to compile"
                               : "function too large");
    c->code_left -= c->ncode;
    return rc;
}

int wr_compile_module(wr_module *m, uint32_t at, wr_error *err)
{
    uint32_t ndefs = m->nfuncs - m->nfunc_imports;
    cc *c = calloc(1, sizeof *c);
    if (!c || (!m->inspect_only
               && !(m->code = calloc(ndefs ? ndefs : 1, sizeof *m->code)))) {
        free(c);
        return wr_fail(err, WR_ERR_NOMEM, -1, "out of memory");
    }
    c->m = m;
    c->err = err;
    c->emit_code = !m->inspect_only;
    c->code_left = (uint64_t)m->len * WR_CODE_PER_MODULE_BYTE
                   + WR_CODE_PER_MODULE;
    wr_exec_opwords(c->ops);
    wr_reader r = wr_reader_at(m->bytes, at, m->len - at);
    int rc = 0;
    for (uint32_t i = 0; i < ndefs && !rc; i++) {
        wr_reader body = r;
        uint32_t size = 0;
        wr_read_u32(&r, &size, NULL);          /* decode.c checked it */
        rc = compile_func(c, m->nfunc_imports + i,
                          (uint32_t)wr_reader_offset(&r), size);
        if (rc && err->kind == WR_ERR_INVALID)
            prefer_malformed(m, body, ndefs - i, err);
        r.p += size;
    }
    cc_free(c);
    return rc;
}

void wr_code_free(wr_module *m)
{
    for (wr_code_chunk *k = m->chunks, *next; k; k = next) {
        next = k->next;
        free(k);
    }
    m->chunks = NULL;
    free(m->code);
    m->code = NULL;
}

/* dt_gen.c - the module generator of the differential tests: mutates the
 * spec suite's modules and writes random ones, all valid, into a pack.
 *
 *   dt_gen [-s SEED] [-n COUNT] [-g PERCENT] [-m MAX] [--originals]
 *          -o OUT.pack SEEDS...
 *   dt_gen --canon-nan -o OUT.pack IN.pack
 *
 * SEEDS are .wasm files or directories of them (the modules of the spec
 * scripts, as wast2json writes them).  Each output module is either a
 * seed with 1 to MAX (default 3) mutations, or, PERCENT (default 30) of
 * the time, a module generated from nothing; with --originals every seed
 * is first written once unmutated.  Output is deterministic for a SEED.
 *
 * Mutations work on the decoded instructions of the code section:
 * constants (i32/i64/f32/f64.const set to boundary values), operators
 * (an operator replaced by another of the same signature: i32.add by
 * i32.rotl, f64.lt by f64.ge, i32.trunc_f32_s by its saturating twin,
 * a load by a narrower one), operands (local, global and function
 * indices, memory offsets) and control flow (branch depths, br_table
 * targets, block <-> loop, an if's condition negated).  A mutant is kept
 * only when wasmrt validates it (wr_module_inspect); the reference engine
 * validates it again when it runs it, and a disagreement is a difference.
 *
 * Every module, mutated or not, is made to terminate the same way in any
 * engine: a mutable i32 global "fuel" is appended, and every function
 * entry and every loop header runs
 *     global.get fuel; i32.eqz; if; unreachable; end
 *     global.get fuel; i32.const 1; i32.sub; global.set fuel
 * so after DT_FUEL calls and loop iterations in all, the module traps with
 * "unreachable" in both engines.  Memories and tables get a maximum (at
 * most CAP_PAGES pages, CAP_ELEMS elements) so memory.grow and table.grow
 * succeed or fail the same way in both; seeds larger than that, with SIMD,
 * or importing anything but the spec tests' "spectest" module are left
 * out.  Custom sections are dropped.
 *
 * Generated modules: see gen_module() below.  --canon-nan rewrites a pack
 * for the triage of differences: every NaN from a constant, load or
 * reinterpretation becomes the canonical NaN and every NaN a float
 * operator makes loses its sign (two scratch locals per function and a
 * select after each such instruction), so that only the differences of
 * NaN bits the spec allows go away (see bopts).
 *
 * Tests: tests/diff/diff.sh (docs/testing.md, "Differential testing").
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wasmrt/wasmrt.h"
#include "tests/diff/dt.h"

#define DT_FUEL    100000
#define CAP_PAGES  64
#define CAP_ELEMS  10000
#define MAX_SEEDS  8192
#define MAX_SECTS  64

/* --- random numbers (xorshift64*) ------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rnd64(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd(rng *r, uint32_t n)    /* in [0, n) */
{
    return n ? (uint32_t)(rnd64(r) % n) : 0;
}

/* --- reading ------------------------------------------------------------ */

typedef struct rd {
    const uint8_t *p, *end;
    bool           bad;
} rd;

static uint8_t rd_byte(rd *r)
{
    if (r->p >= r->end) {
        r->bad = true;
        return 0;
    }
    return *r->p++;
}

static uint64_t rd_uleb(rd *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t c = rd_byte(r);
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}

static int64_t rd_sleb(rd *r)
{
    uint64_t v = 0;
    int shift = 0;
    uint8_t c;
    do {
        c = rd_byte(r);
        if (shift < 64)
            v |= (uint64_t)(c & 0x7f) << shift;
        shift += 7;
    } while ((c & 0x80) && !r->bad && shift < 70);
    if (shift < 64 && (c & 0x40))
        v |= ~0ull << shift;
    return (int64_t)v;
}

static void rd_skip(rd *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->bad = true;
        r->p = r->end;
    } else {
        r->p += n;
    }
}

/* --- instructions ------------------------------------------------------- */

/* How an instruction's immediates are encoded. */
enum imm { I_NONE, I_BT, I_IDX, I_IDX2, I_BRTABLE, I_MEMARG, I_ZERO,
           I_I32, I_I64, I_F32, I_F64, I_REFTYPE, I_SELECTT, I_IDXZERO,
           I_ZERO2, I_BAD };

static enum imm imm_of(uint32_t op)
{
    if (op >= 0xfc00) {
        uint32_t sub = op - 0xfc00;
        if (sub <= 7) return I_NONE;
        if (sub == 8) return I_IDXZERO;
        if (sub == 10) return I_ZERO2;
        if (sub == 11) return I_ZERO;
        if (sub == 12 || sub == 14) return I_IDX2;
        if (sub <= 17) return I_IDX;
        return I_BAD;
    }
    switch (op) {
    case 0x02: case 0x03: case 0x04: return I_BT;
    case 0x0c: case 0x0d: case 0x10: case 0x20: case 0x21: case 0x22:
    case 0x23: case 0x24: case 0x25: case 0x26: case 0xd2: return I_IDX;
    case 0x0e: return I_BRTABLE;
    case 0x11: return I_IDX2;
    case 0x1c: return I_SELECTT;
    case 0x3f: case 0x40: return I_ZERO;
    case 0x41: return I_I32;
    case 0x42: return I_I64;
    case 0x43: return I_F32;
    case 0x44: return I_F64;
    case 0xd0: return I_REFTYPE;
    }
    if (op >= 0x28 && op <= 0x3e) return I_MEMARG;
    if (op <= 0x01 || op == 0x05 || op == 0x0b || op == 0x0f || op == 0x1a ||
        op == 0x1b || (op >= 0x45 && op <= 0xc4) || op == 0xd1)
        return I_NONE;
    return I_BAD;
}

typedef struct insn {
    uint32_t op;          /* the byte, or 0xfc00 + sub-opcode */
    uint32_t start, end;  /* its bytes in the body */
    uint64_t a, b;        /* immediates: value, index, align/offset */
    uint32_t lab, nlab;   /* br_table: its labels in body.labels */
    bool     changed;     /* re-encode instead of copying */
    bool     negate;      /* an i32.eqz goes before it (if) */
} insn;

typedef struct body {
    const uint8_t *p;     /* locals and code */
    uint32_t       n, code;   /* size, offset of the first instruction */
    uint32_t       nparams, nlocals;
    insn          *ins;
    uint32_t       nins, cap;
    uint32_t      *labels;
    uint32_t       nlabels, labcap;
} body;

static insn *body_push(body *b)
{
    if (b->nins == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->ins = realloc(b->ins, b->cap * sizeof *b->ins);
        if (!b->ins)
            exit(1);
    }
    insn *in = &b->ins[b->nins++];
    memset(in, 0, sizeof *in);
    return in;
}

static void body_label(body *b, uint32_t l)
{
    if (b->nlabels == b->labcap) {
        b->labcap = b->labcap ? 2 * b->labcap : 16;
        b->labels = realloc(b->labels, b->labcap * sizeof *b->labels);
        if (!b->labels)
            exit(1);
    }
    b->labels[b->nlabels++] = l;
}

/* Decode the immediates of in (whose opcode was read) from r. */
static bool decode_imm(rd *r, body *b, insn *in)
{
    switch (imm_of(in->op)) {
    case I_NONE: return true;
    case I_BT: {
        uint8_t c = r->p < r->end ? *r->p : 0;
        if (c == 0x40 || (c >= 0x7b && c <= 0x7f) || c == 0x70 || c == 0x6f) {
            r->p++;
            in->a = c;
            in->b = 0;
        } else {
            in->a = (uint64_t)rd_sleb(r);
            in->b = 1;              /* a type index */
        }
        return true;
    }
    case I_IDX: in->a = rd_uleb(r); return true;
    case I_IDX2: in->a = rd_uleb(r); in->b = rd_uleb(r); return true;
    case I_BRTABLE: {
        uint64_t n = rd_uleb(r);
        if (n > 100000)
            return false;
        in->lab = b->nlabels;
        in->nlab = (uint32_t)n + 1;
        for (uint64_t i = 0; i <= n && !r->bad; i++)
            body_label(b, (uint32_t)rd_uleb(r));
        return true;
    }
    case I_MEMARG: in->a = rd_uleb(r); in->b = rd_uleb(r); return true;
    case I_ZERO: rd_byte(r); return true;
    case I_ZERO2: rd_byte(r); rd_byte(r); return true;
    case I_IDXZERO: in->a = rd_uleb(r); rd_byte(r); return true;
    case I_I32: case I_I64: in->a = (uint64_t)rd_sleb(r); return true;
    case I_F32: if (r->end - r->p >= 4) memcpy(&in->a, r->p, 4);
                rd_skip(r, 4); return true;
    case I_F64: if (r->end - r->p >= 8) memcpy(&in->a, r->p, 8);
                rd_skip(r, 8); return true;
    case I_REFTYPE: rd_byte(r); return true;
    case I_SELECTT: {
        uint64_t n = rd_uleb(r);
        rd_skip(r, n);
        return true;
    }
    case I_BAD: return false;
    }
    return false;
}

/* Decode a function body (locals, then instructions up to its end). */
static bool decode_body(body *b)
{
    rd r = {b->p, b->p + b->n, false};
    uint64_t ngroups = rd_uleb(&r);
    for (uint64_t i = 0; i < ngroups && !r.bad; i++) {
        b->nlocals += (uint32_t)rd_uleb(&r);
        rd_byte(&r);
    }
    b->code = (uint32_t)(r.p - b->p);
    while (r.p < r.end && !r.bad) {
        insn *in = body_push(b);
        in->start = (uint32_t)(r.p - b->p);
        in->op = rd_byte(&r);
        if (in->op == 0xfc)
            in->op = 0xfc00 + (uint32_t)rd_uleb(&r);
        if (!decode_imm(&r, b, in))
            return false;
        in->end = (uint32_t)(r.p - b->p);
    }
    return !r.bad;
}

static void emit_op(dt_buf *o, uint32_t op)
{
    if (op >= 0xfc00) {
        dt_byte(o, 0xfc);
        dt_uleb(o, op - 0xfc00);
    } else {
        dt_byte(o, (uint8_t)op);
    }
}

/* Re-encode a changed instruction; kinds never changed are copied. */
static void emit_changed(dt_buf *o, const body *b, const insn *in)
{
    emit_op(o, in->op);
    switch (imm_of(in->op)) {
    case I_BT:
        if (in->b) dt_sleb(o, (int64_t)in->a);
        else dt_byte(o, (uint8_t)in->a);
        return;
    case I_IDX: dt_uleb(o, in->a); return;
    case I_IDX2: dt_uleb(o, in->a); dt_uleb(o, in->b); return;
    case I_BRTABLE:
        dt_uleb(o, in->nlab - 1);
        for (uint32_t i = 0; i < in->nlab; i++)
            dt_uleb(o, b->labels[in->lab + i]);
        return;
    case I_MEMARG: dt_uleb(o, in->a); dt_uleb(o, in->b); return;
    case I_I32: dt_sleb(o, (int32_t)in->a); return;
    case I_I64: dt_sleb(o, (int64_t)in->a); return;
    case I_F32: dt_put(o, &in->a, 4); return;
    case I_F64: dt_put(o, &in->a, 8); return;
    case I_NONE: return;
    default: {
        /* the immediates are unchanged (and so is the kind of opcode:
         * swaps stay within a kind): copy them after the old opcode */
        const uint8_t *p = b->p + in->start + 1;
        if (p[-1] == 0xfc)
            while (*p++ & 0x80) {}      /* the sub-opcode */
        dt_put(o, p, (size_t)(b->p + in->end - p));
    }
    }
}

static void emit_fuel(dt_buf *o, uint32_t g)
{
    dt_byte(o, 0x23); dt_uleb(o, g);
    dt_byte(o, 0x45);
    dt_byte(o, 0x04); dt_byte(o, 0x40); dt_byte(o, 0x00); dt_byte(o, 0x0b);
    dt_byte(o, 0x23); dt_uleb(o, g);
    dt_byte(o, 0x41); dt_byte(o, 0x01);
    dt_byte(o, 0x6b);
    dt_byte(o, 0x24); dt_uleb(o, g);
}

/* What build() adds: the fuel checks, or (for the triage of a
 * difference) NaN canonicalisation, which makes a conforming engine's
 * NaNs bit for bit predictable.  The spec (4.3.3, NaN propagation) lets
 * an operator return a NaN of either sign, and of any payload (quiet)
 * unless all its NaN operands are canonical, when it must be canonical.
 * So every NaN entering from a constant, a load or a reinterpretation is
 * made the positive canonical NaN, and every NaN an operator returns gets
 * its sign cleared; a payload that differs after that breaks the rule. */
typedef struct bopts {
    bool     fuel, canon;
    uint32_t fuel_global;
} bopts;

/* Operators whose NaN results the spec leaves free (sign and payload):
 * f32 0x8d-0x97 but for neg, copysign (bit operations), f64 alike, and
 * demote/promote.  Returns the type of the result, 0 for the others. */
static uint8_t nan_result(uint32_t op)
{
    if ((op >= 0x8d && op <= 0x97) || op == 0xb6)
        return 0x7d;
    if ((op >= 0x9b && op <= 0xa5) || op == 0xbb)
        return 0x7c;
    return 0;
}

/* Where NaN bits come from besides arithmetic: constants, loads and
 * reinterpretations.  Returns the type of the value, 0 for the others. */
static uint8_t nan_source(uint32_t op)
{
    if (op == 0x43 || op == 0x2a || op == 0xbe)
        return 0x7d;
    if (op == 0x44 || op == 0x2b || op == 0xbf)
        return 0x7c;
    return 0;
}

/* Replace a NaN on top of the stack by the positive canonical NaN, or
 * with sign_only by itself with the sign cleared:
 *   local.set t; (T.const nan | local.get t; T.abs); local.get t;
 *   local.get t; local.get t; T.ne; select */
static void emit_canon(dt_buf *o, const body *b, uint8_t t, bool sign_only)
{
    uint32_t tmp = b->nparams + b->nlocals + (t == 0x7c);
    dt_byte(o, 0x21); dt_uleb(o, tmp);
    if (sign_only) {
        dt_byte(o, 0x20); dt_uleb(o, tmp);
        dt_byte(o, t == 0x7d ? 0x8b : 0x99);
    } else if (t == 0x7d) {
        dt_put(o, "\x43\x00\x00\xc0\x7f", 5);
    } else {
        dt_put(o, "\x44\x00\x00\x00\x00\x00\x00\xf8\x7f", 9);
    }
    for (int i = 0; i < 3; i++) {
        dt_byte(o, 0x20); dt_uleb(o, tmp);
    }
    dt_byte(o, t == 0x7d ? 0x5c : 0x62);
    dt_byte(o, 0x1b);
}

/* The locals, with two more (an f32 and an f64) for emit_canon. */
static void emit_locals(dt_buf *o, const body *b, bool canon)
{
    if (!canon) {
        dt_put(o, b->p, b->code);
        return;
    }
    rd r = {b->p, b->p + b->code, false};
    dt_uleb(o, rd_uleb(&r) + 2);
    dt_put(o, r.p, (size_t)(r.end - r.p));
    dt_put(o, "\x01\x7d\x01\x7c", 4);
}

/* The body with its changes and the fuel checks, as a sized entry. */
static void emit_body(dt_buf *o, const body *b, const bopts *bo)
{
    dt_buf t = {0};
    uint32_t fuel = bo->fuel_global;
    emit_locals(&t, b, bo->canon);
    if (bo->fuel)
        emit_fuel(&t, fuel);
    for (uint32_t i = 0; i < b->nins; i++) {
        const insn *in = &b->ins[i];
        if (in->negate)
            dt_byte(&t, 0x45);
        if (in->changed)
            emit_changed(&t, b, in);
        else
            dt_put(&t, b->p + in->start, in->end - in->start);
        if (in->op == 0x03 && bo->fuel)
            emit_fuel(&t, fuel);
        if (bo->canon && nan_source(in->op))
            emit_canon(&t, b, nan_source(in->op), false);
        if (bo->canon && nan_result(in->op))
            emit_canon(&t, b, nan_result(in->op), true);
    }
    dt_uleb(o, t.n);
    dt_put(o, t.p, t.n);
    free(t.p);
}

/* --- mutations ---------------------------------------------------------- */

/* Operators that take and leave the same types: any may replace another
 * of its row.  0 ends a row. */
static const uint16_t op_classes[][24] = {
    {0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x6a, 0x6b,
     0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77},
    {0x78, 0x46, 0x6a, 0x6d},                 /* more i32 binary */
    {0x45, 0x67, 0x68, 0x69, 0xc0, 0xc1},
    {0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
     0x88, 0x89, 0x8a},
    {0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a},
    {0x79, 0x7a, 0x7b, 0xc2, 0xc3, 0xc4},
    {0x50, 0xa7},
    {0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98},
    {0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91},
    {0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60},
    {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6},
    {0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f},
    {0x61, 0x62, 0x63, 0x64, 0x65, 0x66},
    {0xa8, 0xa9, 0xbc, 0xfc00, 0xfc01},
    {0xaa, 0xab, 0xfc02, 0xfc03},
    {0xae, 0xaf, 0xfc04, 0xfc05},
    {0xb0, 0xb1, 0xbd, 0xfc06, 0xfc07},
    {0xb2, 0xb3, 0xbe},
    {0xb4, 0xb5},
    {0xb7, 0xb8},
    {0xb9, 0xba, 0xbf},
    {0xac, 0xad},
    {0x28, 0x2c, 0x2d, 0x2e, 0x2f},
    {0x29, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35},
    {0x36, 0x3a, 0x3b},
    {0x37, 0x3c, 0x3d, 0x3e},
};

#define NCLASSES (sizeof op_classes / sizeof op_classes[0])

static bool swap_op(rng *r, insn *in)
{
    for (size_t c = 0; c < NCLASSES; c++) {
        int n = 0, found = 0;
        while (n < 24 && op_classes[c][n]) {
            found |= op_classes[c][n] == in->op;
            n++;
        }
        if (found && n > 1) {
            in->op = op_classes[c][rnd(r, (uint32_t)n)];
            return true;
        }
    }
    return false;
}

/* log2 of the natural alignment of a load or store */
static uint64_t natural_align(uint32_t op)
{
    static const uint8_t a[] = {2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2,
                                2, 3, 2, 3, 0, 1, 0, 1, 2};
    return a[op - 0x28];
}

static const uint32_t i32_vals[] = {
    0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 33, 63, 64, 255, 256, 0x7fff,
    0x8000, 0xffff, 0x10000, 0xfffc, 0xfffd, 0xffff0000, 0x7fffffff,
    0x80000000, 0x80000001, 0xffffffff, 0xfffffffe, 0xffffffe0,
};
static const uint64_t i64_vals[] = {
    0, 1, 2, 31, 32, 63, 64, 65, 0x7fffffff, 0x80000000, 0xffffffff,
    0x100000000, 0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000001,
    0xffffffffffffffff, 0xfffffffffffffffe, 0xffffffff80000000,
};
static const uint32_t f32_vals[] = {
    0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000,
    0x7fc00000, 0xffc00000, 0x7fa00000, 0x7f800001, 0x7f7fffff, 0x00000001,
    0x00800000, 0x4f000000, 0xcf000000, 0x4f800000, 0x5f000000, 0xdf000000,
    0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000, 0xcf000001, 0x4effffff,
};
static const uint64_t f64_vals[] = {
    0, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
    0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
    0xfff8000000000000, 0x7ff4000000000000, 0x7ff0000000000001,
    0x7fefffffffffffff, 1, 0x0010000000000000, 0x41e0000000000000,
    0xc1e0000000000000, 0x41f0000000000000, 0x43e0000000000000,
    0xc3e0000000000000, 0x3fe0000000000000, 0x3ff8000000000000,
    0x4004000000000000, 0xc1e0000000200000, 0x41dfffffffc00000,
};

#define PICK(r, t) (t)[rnd((r), sizeof (t) / sizeof (t)[0])]

static bool mutate_const(rng *r, insn *in)
{
    switch (in->op) {
    case 0x41: in->a = rnd(r, 4) ? PICK(r, i32_vals) :
                       (uint32_t)(in->a + rnd(r, 5) - 2);
               in->a = (uint64_t)(int64_t)(int32_t)(uint32_t)in->a; break;
    case 0x42: in->a = rnd(r, 4) ? PICK(r, i64_vals) : in->a + rnd(r, 5) - 2;
               break;
    case 0x43: in->a = rnd(r, 6) ? PICK(r, f32_vals) : (uint32_t)rnd64(r);
               break;
    case 0x44: in->a = rnd(r, 6) ? PICK(r, f64_vals) : rnd64(r); break;
    default: return false;
    }
    return true;
}

static const uint32_t offsets[] = {0, 1, 2, 3, 4, 8, 0xfff, 0xfffc, 0xffff,
                                   0x10000, 0x1fffc, 0x7fffffff, 0xfffffffc,
                                   0xffffffff};

static bool mutate_memarg(rng *r, insn *in)
{
    if (rnd(r, 2) && swap_op(r, in)) {
        if (in->a > natural_align(in->op))
            in->a = natural_align(in->op);
    } else {
        in->b = PICK(r, offsets);
    }
    return true;
}

/* Control flow: branch depths and targets, block <-> loop, negated ifs. */
static bool mutate_flow(rng *r, body *b, insn *in)
{
    switch (in->op) {
    case 0x0c: case 0x0d:
        in->a = in->a && rnd(r, 2) ? in->a - 1 : in->a + 1;
        return true;
    case 0x0e: {
        uint32_t *l = &b->labels[in->lab + rnd(r, in->nlab)];
        *l = *l && rnd(r, 2) ? *l - 1 : *l + rnd(r, 2);
        return true;
    }
    case 0x02: in->op = 0x03; return true;
    case 0x03: in->op = 0x02; return true;
    case 0x04: in->negate = !in->negate; return true;
    }
    return false;
}

/* Operands: indices of locals, globals, functions. */
static bool mutate_index(rng *r, insn *in, uint32_t nfuncs, uint32_t nglobs)
{
    switch (in->op) {
    case 0x20: case 0x21: case 0x22:
        in->a = rnd(r, (uint32_t)in->a + 3);
        return true;
    case 0x23: case 0x24:
        if (nglobs < 2)
            return false;
        in->a = rnd(r, nglobs);
        return true;
    case 0x10:
        in->a = rnd(r, nfuncs);
        return true;
    }
    return false;
}

static bool mutate_insn(rng *r, body *b, insn *in, uint32_t nfuncs,
                        uint32_t nglobs)
{
    bool done;
    if (in->op >= 0x41 && in->op <= 0x44)
        done = mutate_const(r, in);
    else if (in->op >= 0x28 && in->op <= 0x3e)
        done = mutate_memarg(r, in);
    else if (imm_of(in->op) == I_NONE && in->op > 0x1b)
        done = swap_op(r, in);
    else
        done = mutate_flow(r, b, in) || mutate_index(r, in, nfuncs, nglobs);
    if (done && in->op != 0x04)
        in->changed = true;
    return done;
}

/* --- modules ------------------------------------------------------------ */

typedef struct sect {
    uint8_t        id;
    const uint8_t *p;
    size_t         n;
} sect;

typedef struct mod {
    const uint8_t *bytes;
    size_t         len;
    sect           s[MAX_SECTS];
    int            ns;
    uint32_t       nimp_funcs, nimp_globs, nfuncs, nglobs, ntypes;
    uint32_t      *tparams;   /* parameter count of each type */
    uint32_t      *ftype;     /* type of each defined function */
} mod;

static void mod_free(mod *m)
{
    free(m->tparams);
    free(m->ftype);
    m->tparams = m->ftype = NULL;
}

/* The parameter count of every type (type section). */
static void scan_types(mod *m, const sect *s)
{
    rd r = {s->p, s->p + s->n, false};
    uint64_t n = rd_uleb(&r);
    if (n > 1000000)
        return;
    m->tparams = calloc(n ? n : 1, sizeof *m->tparams);
    for (uint64_t i = 0; i < n && !r.bad; i++) {
        rd_byte(&r);
        uint64_t np = rd_uleb(&r);
        rd_skip(&r, np);
        rd_skip(&r, rd_uleb(&r));
        m->tparams[i] = (uint32_t)np;
        m->ntypes = (uint32_t)i + 1;
    }
}

static void scan_funcs(mod *m, const sect *s)
{
    rd r = {s->p, s->p + s->n, false};
    uint64_t n = rd_uleb(&r);
    if (n > 1000000)
        return;
    m->ftype = calloc(n ? n : 1, sizeof *m->ftype);
    m->nfuncs = (uint32_t)n;
    for (uint64_t i = 0; i < n && !r.bad; i++)
        m->ftype[i] = (uint32_t)rd_uleb(&r);
}

static bool spectest_name(const char *m, size_t mn, const char *n, size_t nn)
{
    static const char *const names[] = {
        "print", "print_i32", "print_i64", "print_f32", "print_f64",
        "print_i32_f32", "print_f64_f64", "global_i32", "global_i64",
        "global_f32", "global_f64", "table", "memory",
    };
    if (mn != 8 || memcmp(m, "spectest", 8) != 0)
        return false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == nn && memcmp(names[i], n, nn) == 0)
            return true;
    return false;
}

static void skip_limits(rd *r)
{
    uint8_t flags = rd_byte(r);
    rd_uleb(r);
    if (flags & 1)
        rd_uleb(r);
}

/* Count imports by kind; false when one is not from "spectest". */
static bool scan_imports(mod *m, const sect *s)
{
    rd r = {s->p, s->p + s->n, false};
    uint64_t n = rd_uleb(&r);
    for (uint64_t i = 0; i < n && !r.bad; i++) {
        uint64_t mn = rd_uleb(&r);
        const char *mname = (const char *)r.p;
        rd_skip(&r, mn);
        uint64_t nn = rd_uleb(&r);
        const char *name = (const char *)r.p;
        rd_skip(&r, nn);
        if (r.bad || !spectest_name(mname, mn, name, nn))
            return false;
        switch (rd_byte(&r)) {
        case 0: rd_uleb(&r); m->nimp_funcs++; break;
        case 1: rd_byte(&r); skip_limits(&r); break;
        case 2: skip_limits(&r); break;
        case 3: rd_byte(&r); rd_byte(&r); m->nimp_globs++; break;
        default: return false;
        }
    }
    return !r.bad;
}

static bool parse_module(mod *m, const uint8_t *p, size_t n)
{
    memset(m, 0, sizeof *m);
    m->bytes = p;
    m->len = n;
    if (n < 8 || memcmp(p, "\0asm\1\0\0\0", 8) != 0)
        return false;
    rd r = {p + 8, p + n, false};
    while (r.p < r.end && !r.bad) {
        if (m->ns == MAX_SECTS)
            return false;
        sect *s = &m->s[m->ns++];
        s->id = rd_byte(&r);
        s->n = rd_uleb(&r);
        s->p = r.p;
        rd_skip(&r, s->n);
        rd cnt = {s->p, s->p + s->n, false};
        if (s->id == 2 && !scan_imports(m, s))
            return false;
        if (s->id == 1 && !m->tparams)
            scan_types(m, s);
        if (s->id == 3 && !m->ftype)
            scan_funcs(m, s);
        if (s->id == 6)
            m->nglobs = (uint32_t)rd_uleb(&cnt);
    }
    return !r.bad;
}

/* The position of a section id in the required order (custom: 0). */
static int sect_rank(uint8_t id)
{
    static const int8_t rank[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
    return id < sizeof rank ? rank[id] : 99;
}

static void emit_section(dt_buf *o, uint8_t id, const dt_buf *payload)
{
    dt_byte(o, id);
    dt_uleb(o, payload->n);
    dt_put(o, payload->p, payload->n);
}

/* Limits with their maximum capped; false if the minimum is above it. */
static bool cap_limits(rd *r, dt_buf *t, uint64_t cap)
{
    uint8_t flags = rd_byte(r);
    uint64_t min = rd_uleb(r), max = flags & 1 ? rd_uleb(r) : cap;
    if (min > cap || (flags & ~1))
        return false;
    dt_byte(t, 1);
    dt_uleb(t, min);
    dt_uleb(t, max < cap ? max : cap);
    return true;
}

static bool emit_capped(dt_buf *o, const sect *s)
{
    rd r = {s->p, s->p + s->n, false};
    dt_buf t = {0};
    uint64_t n = rd_uleb(&r);
    dt_uleb(&t, n);
    bool ok = true;
    for (uint64_t i = 0; i < n && ok; i++) {
        if (s->id == 4)
            dt_byte(&t, rd_byte(&r));
        ok = cap_limits(&r, &t, s->id == 4 ? CAP_ELEMS : CAP_PAGES);
    }
    ok = ok && !r.bad;
    if (ok)
        emit_section(o, s->id, &t);
    free(t.p);
    return ok;
}

static void fuel_global(dt_buf *t)
{
    dt_byte(t, 0x7f);
    dt_byte(t, 0x01);
    dt_byte(t, 0x41);
    dt_sleb(t, DT_FUEL);
    dt_byte(t, 0x0b);
}

static void emit_globals(dt_buf *o, const sect *s)
{
    dt_buf t = {0};
    rd r = {s ? s->p : NULL, s ? s->p + s->n : NULL, false};
    uint64_t n = s ? rd_uleb(&r) : 0;
    dt_uleb(&t, n + 1);
    if (s)
        dt_put(&t, r.p, (size_t)(r.end - r.p));
    fuel_global(&t);
    emit_section(o, 6, &t);
    free(t.p);
}

typedef struct code {
    body    *b;
    uint32_t n;
} code;

static bool decode_code(code *c, const sect *s, const mod *m)
{
    rd r = {s->p, s->p + s->n, false};
    uint64_t n = rd_uleb(&r);
    if (n > 100000)
        return false;
    c->b = calloc(n ? n : 1, sizeof *c->b);
    c->n = (uint32_t)n;
    for (uint32_t i = 0; i < c->n && !r.bad; i++) {
        c->b[i].n = (uint32_t)rd_uleb(&r);
        c->b[i].p = r.p;
        c->b[i].nparams = i < m->nfuncs && m->ftype[i] < m->ntypes ?
                          m->tparams[m->ftype[i]] : 0;
        rd_skip(&r, c->b[i].n);
        if (r.bad || !decode_body(&c->b[i]))
            return false;
    }
    return !r.bad;
}

static void free_code(code *c)
{
    for (uint32_t i = 0; i < c->n; i++) {
        free(c->b[i].ins);
        free(c->b[i].labels);
    }
    free(c->b);
}

static void mutate_code(rng *r, code *c, int nmut, const mod *m)
{
    uint32_t nfuncs = m->nimp_funcs + m->nfuncs;
    uint32_t nglobs = m->nimp_globs + m->nglobs;
    for (int tries = 0; nmut > 0 && tries < 100 && c->n; tries++) {
        body *b = &c->b[rnd(r, c->n)];
        if (b->nins && mutate_insn(r, b, &b->ins[rnd(r, b->nins)], nfuncs,
                                   nglobs))
            nmut--;
    }
}

static void emit_code(dt_buf *o, const code *c, const bopts *bo)
{
    dt_buf t = {0};
    dt_uleb(&t, c->n);
    for (uint32_t i = 0; i < c->n; i++)
        emit_body(&t, &c->b[i], bo);
    emit_section(o, 10, &t);
    free(t.p);
}

/* Write m with nmut mutations and the fuel checks into o. */
static bool build_with(const mod *m, rng *r, int nmut, dt_buf *o,
                       bopts bo)
{
    bool globals_done = !bo.fuel, ok = true;
    code c = {0};
    o->n = 0;
    dt_put(o, "\0asm\1\0\0\0", 8);
    for (int i = 0; i < m->ns && ok; i++) {
        const sect *s = &m->s[i];
        if (s->id == 0)
            continue;
        if (!globals_done && sect_rank(s->id) > sect_rank(6) && s->id != 6) {
            emit_globals(o, NULL);
            globals_done = true;
        }
        if (s->id == 4 || s->id == 5) {
            ok = emit_capped(o, s);
        } else if (s->id == 6 && bo.fuel) {
            emit_globals(o, s);
            globals_done = true;
        } else if (s->id == 10) {
            ok = decode_code(&c, s, m);
            if (ok) {
                mutate_code(r, &c, nmut, m);
                emit_code(o, &c, &bo);
            }
        } else {
            dt_byte(o, s->id);
            dt_uleb(o, s->n);
            dt_put(o, s->p, s->n);
        }
    }
    if (ok && !globals_done)
        emit_globals(o, NULL);
    free_code(&c);
    return ok;
}

static bool build(const mod *m, rng *r, int nmut, dt_buf *o)
{
    bopts bo = {.fuel = true, .fuel_global = m->nimp_globs + m->nglobs};
    return build_with(m, r, nmut, o, bo);
}

/* --- generated modules --------------------------------------------------- */

/* A random module built valid: 1-4 functions of random signature, a
 * table holding them all, a memory, two globals, every function exported.
 * A body is a few statements and an expression over the four number
 * types, in the shapes compiled C takes, which are the shapes wasmrt's
 * peepholes (compile.c, PEEPHOLES) rewrite: locals set and teed, counted
 * loops ending in `local.tee i (i + 1)` and a compare-and-branch,
 * read-modify-write of memory at one address, compares feeding if and
 * br_if, copies between locals, br_table, memory.fill and memory.copy,
 * direct and indirect calls (recursion included: the fuel stops it).
 * The fuel global is added later by build(), like any seed's. */

#define GEN_MAXF 4

typedef struct gen {
    rng     *r;
    dt_buf  *o;
    uint8_t  lt[16];      /* types of the locals, parameters first */
    int      nl, nparams;
    int      counter[2];  /* i32 locals kept for loop counters */
    int      loops;       /* loops open around the statement */
    int      nf;          /* functions of the module */
    uint8_t  results[GEN_MAXF];
    uint8_t  fparams[GEN_MAXF][4];
    int      fnparams[GEN_MAXF];
} gen;

static const uint8_t numtypes[] = {0x7f, 0x7e, 0x7d, 0x7c};

static void gen_expr(gen *g, uint8_t t, int depth);

static void gen_const(gen *g, uint8_t t)
{
    insn in = {.op = t == 0x7f ? 0x41u : t == 0x7e ? 0x42u :
                     t == 0x7d ? 0x43u : 0x44u};
    if (rnd(g->r, 3) == 0) {
        in.a = rnd(g->r, 10);
        if (t == 0x7d) in.a = 0x3f800000u + (uint32_t)(in.a << 20);
        if (t == 0x7c) in.a = 0x3ff0000000000000ull + (in.a << 49);
    } else {
        mutate_const(g->r, &in);
    }
    emit_changed(g->o, NULL, &in);
}

/* A local of type t (not a loop counter), or -1. */
static int pick_local(gen *g, uint8_t t)
{
    int cand[16], n = 0;
    for (int i = 0; i < g->nl; i++)
        if (g->lt[i] == t && i != g->counter[0] && i != g->counter[1])
            cand[n++] = i;
    return n ? cand[rnd(g->r, (uint32_t)n)] : -1;
}

static void gen_leaf(gen *g, uint8_t t)
{
    int cand[16], n = 0;
    for (int i = 0; i < g->nl; i++)
        if (g->lt[i] == t)
            cand[n++] = i;
    if (n && rnd(g->r, 2)) {
        dt_byte(g->o, 0x20);
        dt_uleb(g->o, (uint64_t)cand[rnd(g->r, (uint32_t)n)]);
    } else if ((t == 0x7f || t == 0x7e) && rnd(g->r, 4) == 0) {
        dt_byte(g->o, 0x23);
        dt_byte(g->o, t == 0x7f ? 0 : 1);
    } else if (t == 0x7f && rnd(g->r, 6) == 0) {
        dt_byte(g->o, 0x3f);
        dt_byte(g->o, 0);
    } else {
        gen_const(g, t);
    }
}

/* One operator of result type t, from a row of ops taking types `in`. */
typedef struct opform {
    uint16_t op;
    uint8_t  res, in1, in2;   /* in2 0: unary */
} opform;

static const opform forms[] = {
    {0x6a, 0x7f, 0x7f, 0x7f}, {0x6d, 0x7f, 0x7f, 0x7f},
    {0x70, 0x7f, 0x7f, 0x7f}, {0x74, 0x7f, 0x7f, 0x7f},
    {0x77, 0x7f, 0x7f, 0x7f}, {0x4b, 0x7f, 0x7f, 0x7f},
    {0x67, 0x7f, 0x7f, 0}, {0xc0, 0x7f, 0x7f, 0},
    {0x7c, 0x7e, 0x7e, 0x7e}, {0x7f, 0x7e, 0x7e, 0x7e},
    {0x82, 0x7e, 0x7e, 0x7e}, {0x88, 0x7e, 0x7e, 0x7e},
    {0x7a, 0x7e, 0x7e, 0}, {0xc4, 0x7e, 0x7e, 0},
    {0x53, 0x7f, 0x7e, 0x7e}, {0x50, 0x7f, 0x7e, 0}, {0xa7, 0x7f, 0x7e, 0},
    {0xac, 0x7e, 0x7f, 0}, {0xad, 0x7e, 0x7f, 0},
    {0x92, 0x7d, 0x7d, 0x7d}, {0x95, 0x7d, 0x7d, 0x7d},
    {0x96, 0x7d, 0x7d, 0x7d}, {0x98, 0x7d, 0x7d, 0x7d},
    {0x8d, 0x7d, 0x7d, 0}, {0x91, 0x7d, 0x7d, 0}, {0x8c, 0x7d, 0x7d, 0},
    {0xa0, 0x7c, 0x7c, 0x7c}, {0xa3, 0x7c, 0x7c, 0x7c},
    {0xa5, 0x7c, 0x7c, 0x7c}, {0xa6, 0x7c, 0x7c, 0x7c},
    {0x9c, 0x7c, 0x7c, 0}, {0x9f, 0x7c, 0x7c, 0},
    {0x5d, 0x7f, 0x7d, 0x7d}, {0x63, 0x7f, 0x7c, 0x7c},
    {0xa8, 0x7f, 0x7d, 0}, {0xab, 0x7f, 0x7c, 0}, {0xb0, 0x7e, 0x7c, 0},
    {0xaf, 0x7e, 0x7d, 0}, {0xfc01, 0x7f, 0x7d, 0}, {0xfc06, 0x7e, 0x7c, 0},
    {0xbc, 0x7f, 0x7d, 0}, {0xbd, 0x7e, 0x7c, 0}, {0xbe, 0x7d, 0x7f, 0},
    {0xbf, 0x7c, 0x7e, 0}, {0xb3, 0x7d, 0x7f, 0}, {0xb5, 0x7d, 0x7e, 0},
    {0xb7, 0x7c, 0x7f, 0}, {0xba, 0x7c, 0x7e, 0}, {0xb6, 0x7d, 0x7c, 0},
    {0xbb, 0x7c, 0x7d, 0},
};

static void gen_op(gen *g, uint8_t t, int depth)
{
    const opform *f;
    do
        f = &forms[rnd(g->r, sizeof forms / sizeof forms[0])];
    while (f->res != t);
    gen_expr(g, f->in1, depth - 1);
    if (f->in2)
        gen_expr(g, f->in2, depth - 1);
    insn in = {.op = f->op};
    if (rnd(g->r, 3) == 0)
        swap_op(g->r, &in);     /* the whole row, not only the forms */
    emit_op(g->o, in.op);
}

static void gen_load(gen *g, uint8_t t, int depth)
{
    static const uint8_t loads[4][3] = {{0x28, 0x2c, 0x2f}, {0x29, 0x30, 0x35},
                                        {0x2a, 0x2a, 0x2a}, {0x2b, 0x2b, 0x2b}};
    uint8_t op = loads[0x7f - t][rnd(g->r, 3)];
    if (rnd(g->r, 2)) {
        dt_byte(g->o, 0x41);
        dt_sleb(g->o, (int32_t)rnd(g->r, 64));
    } else {
        gen_expr(g, 0x7f, depth - 1);
    }
    dt_byte(g->o, op);
    dt_uleb(g->o, natural_align(op));
    dt_uleb(g->o, rnd(g->r, 4) ? rnd(g->r, 32) : PICK(g->r, offsets));
}

static void gen_store(gen *g, uint8_t t, int depth)
{
    static const uint8_t stores[] = {0x36, 0x37, 0x38, 0x39};
    uint8_t vt = numtypes[rnd(g->r, 4)], op = stores[0x7f - vt];
    dt_byte(g->o, 0x41);
    dt_sleb(g->o, (int32_t)rnd(g->r, 64));
    gen_expr(g, vt, depth - 1);
    dt_byte(g->o, op);
    dt_uleb(g->o, natural_align(op));
    dt_uleb(g->o, rnd(g->r, 8) ? rnd(g->r, 32) : PICK(g->r, offsets));
    gen_expr(g, t, depth - 1);
}

static void gen_control(gen *g, uint8_t t, int depth)
{
    switch (rnd(g->r, 4)) {
    case 0:     /* if (result t) ... else ... end */
        gen_expr(g, 0x7f, depth - 1);
        dt_byte(g->o, 0x04); dt_byte(g->o, t);
        gen_expr(g, t, depth - 1);
        dt_byte(g->o, 0x05);
        gen_expr(g, t, depth - 1);
        dt_byte(g->o, 0x0b);
        return;
    case 1:     /* block (result t) x; c; br_if 0; drop; y end */
        dt_byte(g->o, 0x02); dt_byte(g->o, t);
        gen_expr(g, t, depth - 1);
        gen_expr(g, 0x7f, depth - 1);
        dt_byte(g->o, 0x0d); dt_byte(g->o, 0);
        dt_byte(g->o, 0x1a);
        gen_expr(g, t, depth - 1);
        dt_byte(g->o, 0x0b);
        return;
    case 2:     /* loop (result t) g0 += 1; br_if 0 (g0 <u K); x end */
        dt_byte(g->o, 0x03); dt_byte(g->o, t);
        dt_put(g->o, "\x23\x00\x41\x01\x6a\x24\x00\x23\x00", 9);
        dt_byte(g->o, 0x41); dt_sleb(g->o, (int32_t)rnd(g->r, 20));
        dt_byte(g->o, 0x49);
        dt_byte(g->o, 0x0d); dt_byte(g->o, 0);
        gen_expr(g, t, depth - 1);
        dt_byte(g->o, 0x0b);
        return;
    default:    /* select */
        gen_expr(g, t, depth - 1);
        gen_expr(g, t, depth - 1);
        gen_expr(g, 0x7f, depth - 1);
        dt_byte(g->o, 0x1b);
    }
}

/* call f, or call_indirect of type f through the table at (x & 7),
 * which may trap: the table holds the nf functions. */
static void gen_call(gen *g, uint8_t t, int depth)
{
    int f = (int)rnd(g->r, (uint32_t)g->nf);
    if (g->results[f] != t) {
        gen_op(g, t, depth);
        return;
    }
    for (int i = 0; i < g->fnparams[f]; i++)
        gen_expr(g, g->fparams[f][i], depth - 1);
    if (rnd(g->r, 2)) {
        dt_byte(g->o, 0x10);
        dt_uleb(g->o, (uint64_t)f);
        return;
    }
    gen_expr(g, 0x7f, depth - 1);
    dt_put(g->o, "\x41\x07\x71\x11", 4);
    dt_uleb(g->o, (uint64_t)f);
    dt_byte(g->o, 0);
}

static void gen_expr(gen *g, uint8_t t, int depth)
{
    uint32_t k = depth <= 0 ? 0 : rnd(g->r, 12);
    if (k <= 2)
        gen_leaf(g, t);
    else if (k <= 6)
        gen_op(g, t, depth);
    else if (k == 7)
        gen_load(g, t, depth);
    else if (k == 8)
        gen_store(g, t, depth);
    else if (k == 9)
        gen_call(g, t, depth);
    else if (k == 11 && pick_local(g, t) >= 0) {
        int l = pick_local(g, t);
        gen_expr(g, t, depth - 1);          /* local.tee */
        dt_byte(g->o, 0x22);
        dt_uleb(g->o, (uint64_t)l);
    }
    else if (k == 10 && t == 0x7f && rnd(g->r, 2)) {
        gen_expr(g, 0x7f, depth - 1);       /* small memory.grow */
        dt_put(g->o, "\x41\x03\x71\x40\x00", 5);
    } else
        gen_control(g, t, depth);
}

static void gen_stmts(gen *g, int depth, int n);

/* addr addr load(off) x op store(off): wasmrt's _M and _MS forms. */
static void gen_rmw(gen *g, int depth)
{
    static const uint8_t ops32[] = {0x6a, 0x6b, 0x6c, 0x71, 0x72, 0x73, 0x74};
    static const uint8_t ops64[] = {0x7c, 0x7d, 0x7e, 0x83, 0x84, 0x85, 0x86};
    bool w = rnd(g->r, 2);
    int p = pick_local(g, 0x7f);
    uint32_t a = rnd(g->r, 48), off = rnd(g->r, 16);
    for (int i = 0; i < 2; i++) {
        if (p >= 0) {
            dt_byte(g->o, 0x20); dt_uleb(g->o, (uint64_t)p);
        } else {
            dt_byte(g->o, 0x41); dt_sleb(g->o, a);
        }
    }
    dt_byte(g->o, w ? 0x29 : 0x28); dt_byte(g->o, w ? 3 : 2); dt_uleb(g->o, off);
    gen_expr(g, w ? 0x7e : 0x7f, depth - 1);
    dt_byte(g->o, w ? PICK(g->r, ops64) : PICK(g->r, ops32));
    dt_byte(g->o, w ? 0x37 : 0x36); dt_byte(g->o, w ? 3 : 2); dt_uleb(g->o, off);
}

/* c = 0; loop ... c = c + 1; br_if 0 (c <u N) end: SUM_BR and friends. */
static void gen_loop(gen *g, int depth)
{
    static const uint8_t cmps[] = {0x49, 0x48, 0x47};  /* lt_u lt_s ne */
    int c = g->counter[g->loops++];
    dt_put(g->o, "\x41\x00\x21", 3); dt_uleb(g->o, (uint64_t)c);
    dt_put(g->o, "\x03\x40", 2);
    gen_stmts(g, depth - 1, 1 + (int)rnd(g->r, 3));
    dt_byte(g->o, 0x20); dt_uleb(g->o, (uint64_t)c);
    dt_put(g->o, "\x41\x01\x6a\x22", 4); dt_uleb(g->o, (uint64_t)c);
    dt_byte(g->o, 0x41); dt_sleb(g->o, 1 + (int32_t)rnd(g->r, 12));
    dt_byte(g->o, PICK(g->r, cmps));
    dt_put(g->o, "\x0d\x00\x0b", 3);
    g->loops--;
}

/* block block block (x) br_table ... end S end S end */
static void gen_brtable(gen *g, int depth)
{
    uint32_t n = rnd(g->r, 5);
    dt_put(g->o, "\x02\x40\x02\x40\x02\x40", 6);
    gen_expr(g, 0x7f, depth - 1);
    dt_byte(g->o, 0x0e); dt_uleb(g->o, n);
    for (uint32_t i = 0; i <= n; i++)
        dt_byte(g->o, (uint8_t)rnd(g->r, 3));
    dt_byte(g->o, 0x0b);
    gen_stmts(g, depth - 1, 1);
    dt_byte(g->o, 0x0b);
    gen_stmts(g, depth - 1, 1);
    dt_byte(g->o, 0x0b);
}

static void gen_bulk(gen *g, int depth)
{
    uint32_t len = rnd(g->r, 8) ? rnd(g->r, 64) : 65536 - rnd(g->r, 80);
    dt_byte(g->o, 0x41); dt_sleb(g->o, (int32_t)rnd(g->r, 64));
    if (rnd(g->r, 2)) {
        gen_expr(g, 0x7f, depth - 1);
        dt_byte(g->o, 0x41); dt_sleb(g->o, (int32_t)len);
        dt_put(g->o, "\xfc\x0b\x00", 3);                 /* memory.fill */
    } else {
        dt_byte(g->o, 0x41); dt_sleb(g->o, (int32_t)rnd(g->r, 64));
        dt_byte(g->o, 0x41); dt_sleb(g->o, (int32_t)len);
        dt_put(g->o, "\xfc\x0a\x00\x00", 4);             /* memory.copy */
    }
}

/* One statement: leaves the stack as it found it. */
static void gen_stmt(gen *g, int depth)
{
    uint8_t t = numtypes[rnd(g->r, 4)];
    int l = pick_local(g, t), m = pick_local(g, t);
    switch (depth <= 0 ? 0 : rnd(g->r, 11)) {
    case 0: case 1:
        if (l >= 0) {
            gen_expr(g, t, depth);
            dt_byte(g->o, 0x21); dt_uleb(g->o, (uint64_t)l);
            return;
        }
        gen_expr(g, t, depth);
        dt_byte(g->o, 0x1a);
        return;
    case 2: gen_rmw(g, depth); return;
    case 3:
        if (g->loops < 2) {
            gen_loop(g, depth);
            return;
        }
        /* fall through */
    case 4:     /* if (cond) S else S end: a fused compare-and-branch */
        gen_op(g, 0x7f, depth);
        dt_put(g->o, "\x04\x40", 2);
        gen_stmts(g, depth - 1, 1 + (int)rnd(g->r, 2));
        dt_byte(g->o, 0x05);
        gen_stmts(g, depth - 1, (int)rnd(g->r, 2));
        dt_byte(g->o, 0x0b);
        return;
    case 5:     /* block S (cond) br_if 0 S end */
        dt_put(g->o, "\x02\x40", 2);
        gen_stmts(g, depth - 1, 1);
        gen_op(g, 0x7f, depth);
        dt_put(g->o, "\x0d\x00", 2);
        gen_stmts(g, depth - 1, 1);
        dt_byte(g->o, 0x0b);
        return;
    case 6:
        gen_expr(g, 0x7f, depth);
        dt_put(g->o, "\x24\x00", 2);
        return;
    case 7:     /* copies between locals */
        if (l >= 0 && m >= 0 && l != m) {
            dt_byte(g->o, 0x20); dt_uleb(g->o, (uint64_t)l);
            dt_byte(g->o, 0x21); dt_uleb(g->o, (uint64_t)m);
            return;
        }
        gen_rmw(g, depth);
        return;
    case 8: gen_brtable(g, depth); return;
    case 9: gen_bulk(g, depth); return;
    default:
        gen_store(g, t, depth);
        dt_byte(g->o, 0x1a);
    }
}

static void gen_stmts(gen *g, int depth, int n)
{
    for (int i = 0; i < n; i++)
        gen_stmt(g, depth);
}

static void gen_signatures(gen *g, dt_buf *types)
{
    dt_uleb(types, (uint64_t)g->nf);
    for (int f = 0; f < g->nf; f++) {
        g->fnparams[f] = (int)rnd(g->r, 4);
        dt_byte(types, 0x60);
        dt_uleb(types, (uint64_t)g->fnparams[f]);
        for (int i = 0; i < g->fnparams[f]; i++) {
            g->fparams[f][i] = numtypes[rnd(g->r, 4)];
            dt_byte(types, g->fparams[f][i]);
        }
        g->results[f] = numtypes[rnd(g->r, 4)];
        dt_byte(types, 1);
        dt_byte(types, g->results[f]);
    }
}

/* Function f's body: 0-3 more locals and two loop counters, statements,
 * and the result. */
static void gen_body(gen *g, int f, dt_buf *t)
{
    int extra = (int)rnd(g->r, 4);
    g->nparams = g->nl = g->fnparams[f];
    memcpy(g->lt, g->fparams[f], 4);
    t->n = 0;
    dt_uleb(t, (uint64_t)extra + 2);
    for (int i = 0; i < extra + 2; i++) {
        uint8_t ty = i < extra ? numtypes[rnd(g->r, 4)] : 0x7f;
        dt_byte(t, 1);
        dt_byte(t, ty);
        g->lt[g->nl++] = ty;
    }
    g->counter[0] = g->nl - 2;
    g->counter[1] = g->nl - 1;
    g->loops = 0;
    g->o = t;
    gen_stmts(g, 1 + (int)rnd(g->r, 3), (int)rnd(g->r, 5));
    gen_expr(g, g->results[f], 2 + (int)rnd(g->r, 3));
    dt_byte(t, 0x0b);
}

static void gen_module(rng *r, dt_buf *o)
{
    gen g = {.r = r, .nf = 1 + (int)rnd(r, GEN_MAXF)};
    dt_buf types = {0}, funcs = {0}, exps = {0}, codes = {0}, t = {0};
    gen_signatures(&g, &types);
    dt_uleb(&funcs, (uint64_t)g.nf);
    dt_uleb(&exps, (uint64_t)g.nf + 3);
    dt_uleb(&codes, (uint64_t)g.nf);
    for (int f = 0; f < g.nf; f++) {
        char name[16];
        dt_uleb(&funcs, (uint64_t)f);
        snprintf(name, sizeof name, "f%d", f);
        dt_uleb(&exps, strlen(name));
        dt_put(&exps, name, strlen(name));
        dt_byte(&exps, 0);
        dt_uleb(&exps, (uint64_t)f);
        gen_body(&g, f, &t);
        dt_uleb(&codes, t.n);
        dt_put(&codes, t.p, t.n);
    }
    dt_put(&exps, "\x03mem\x02\x00\x02g0\x03\x00\x02g1\x03\x01", 16);
    o->n = 0;
    dt_put(o, "\0asm\1\0\0\0", 8);
    emit_section(o, 1, &types);
    emit_section(o, 3, &funcs);
    dt_put(o, "\x04\x04\x01\x70\x00", 5);            /* table nf */
    dt_byte(o, (uint8_t)g.nf);
    dt_put(o, "\x05\x04\x01\x01\x01\x02", 6);        /* memory 1 2 */
    dt_put(o, "\x06\x0b\x02\x7f\x01\x41\x00\x0b\x7e\x01\x42\x07\x0b", 13);
    emit_section(o, 7, &exps);
    dt_byte(o, 9);                                  /* elem: 0..nf-1 at 0 */
    dt_byte(o, (uint8_t)(6 + g.nf));
    dt_put(o, "\x01\x00\x41\x00\x0b", 5);
    dt_byte(o, (uint8_t)g.nf);
    for (int f = 0; f < g.nf; f++)
        dt_byte(o, (uint8_t)f);
    emit_section(o, 10, &codes);
    /* data: 16 random bytes at 0 */
    dt_put(o, "\x0b\x16\x01\x00\x41\x00\x0b\x10", 8);
    for (int i = 0; i < 16; i++)
        dt_byte(o, (uint8_t)rnd64(r));
    free(types.p); free(funcs.p); free(exps.p); free(codes.p); free(t.p);
}

/* --- seeds and main ------------------------------------------------------ */

typedef struct seeds {
    mod     *m;
    uint8_t **bytes;
    int      n;
} seeds;

static void add_seed(seeds *s, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f || s->n == MAX_SEEDS) {
        if (f) fclose(f);
        return;
    }
    dt_buf b = {0};
    uint8_t chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && b.n < DT_MAX_MODULE)
        dt_put(&b, chunk, got);
    fclose(f);
    if (!parse_module(&s->m[s->n], b.p, b.n)) {
        mod_free(&s->m[s->n]);
        free(b.p);
        return;
    }
    s->bytes[s->n++] = b.p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.wasm of dir, in name order (so that runs are reproducible). */
static void add_dir(seeds *s, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 5, ".wasm") != 0)
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n] = malloc(strlen(dir) + l + 2);
        sprintf(names[n++], "%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        add_seed(s, names[i]);
        free(names[i]);
    }
    free(names);
}

typedef struct opts {
    uint64_t seed;
    long     count, gen_pct, max_mut;
    bool     originals;
    const char *out;
} opts;

static bool valid(const dt_buf *b)
{
    wr_error err;
    wr_module *m = wr_module_inspect(b->p, b->n, &err);
    wr_module_free(m);
    return m != NULL;
}

static int usage(void)
{
    fputs("usage: dt_gen [-s SEED] [-n COUNT] [-g PERCENT] [-m MAX] "
          "[--originals] -o OUT.pack SEEDS...\n"
          "       dt_gen --canon-nan -o OUT.pack IN.pack\n", stderr);
    return 2;
}

/* --canon-nan: the modules of in, each with every NaN its float
 * operators make replaced by the canonical NaN, so that a difference
 * which goes away is one of NaN bits (tests/diff/diff.sh triage). */
static int canon_pack(const char *in, const char *out)
{
    FILE *f = fopen(in, "rb"), *o = fopen(out, "wb");
    dt_buf b = {0}, t = {0};
    int got = -1;
    while (f && o && (got = dt_pack_read(f, &b)) == 1) {
        mod m;
        bopts bo = {.canon = true};
        bool ok = parse_module(&m, b.p, b.n) && build_with(&m, NULL, 0, &t, bo);
        mod_free(&m);
        if (dt_pack_write(o, ok ? t.p : b.p, ok ? t.n : b.n) != 0)
            got = -1;
    }
    if (f)
        fclose(f);
    if (!o || fclose(o) != 0 || got != 0) {
        fprintf(stderr, "dt_gen: cannot rewrite '%s' into '%s'\n", in, out);
        return 1;
    }
    free(b.p);
    free(t.p);
    return 0;
}

/* Produce module number i into b: 1 when it is valid, else 0 (an
 * original seed wasmrt rejects, or no valid mutant in 1000 attempts).
 * *attempts counts the modules built. */
static int produce(const opts *o, const seeds *s, rng *r, long i, dt_buf *b,
                   long *attempts)
{
    if (o->originals && i < s->n) {
        ++*attempts;
        return build(&s->m[i], r, 0, b) && valid(b);
    }
    for (int tries = 0; tries < 1000; tries++) {
        bool ok;
        ++*attempts;
        if (!s->n || (long)rnd(r, 100) < o->gen_pct) {
            dt_buf g = {0};
            mod m;
            gen_module(r, &g);
            ok = parse_module(&m, g.p, g.n) && build(&m, r, 0, b);
            mod_free(&m);
            free(g.p);
        } else {
            ok = build(&s->m[rnd(r, (uint32_t)s->n)], r,
                       1 + (int)rnd(r, (uint32_t)o->max_mut), b);
        }
        if (ok && valid(b))
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    opts o = {.seed = 1, .count = 1000, .gen_pct = 30, .max_mut = 3};
    if (argc == 5 && strcmp(argv[1], "--canon-nan") == 0 &&
        strcmp(argv[2], "-o") == 0)
        return canon_pack(argv[4], argv[3]);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--originals") == 0) { o.originals = true; continue; }
        if (!v)
            return usage();
        i++;
        if (strcmp(a, "-s") == 0) o.seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "-n") == 0) o.count = strtol(v, NULL, 10);
        else if (strcmp(a, "-g") == 0) o.gen_pct = strtol(v, NULL, 10);
        else if (strcmp(a, "-m") == 0) o.max_mut = strtol(v, NULL, 10);
        else if (strcmp(a, "-o") == 0) o.out = v;
        else return usage();
    }
    if (!o.out || o.max_mut < 1)
        return usage();
    seeds s = {calloc(MAX_SEEDS, sizeof(mod)), calloc(MAX_SEEDS, sizeof(uint8_t *)), 0};
    for (; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            add_dir(&s, argv[i]);
        else
            add_seed(&s, argv[i]);
    }
    FILE *out = fopen(o.out, "wb");
    if (!out) {
        fprintf(stderr, "dt_gen: cannot create '%s'\n", o.out);
        return 1;
    }
    rng r = {o.seed * 0x9e3779b97f4a7c15ull + 1};
    dt_buf b = {0};
    long written = 0, attempts = 0;
    for (long k = 0; k < o.count; k++) {
        if (produce(&o, &s, &r, k, &b, &attempts) &&
            dt_pack_write(out, b.p, b.n) == 0)
            written++;
    }
    if (fclose(out) != 0) {
        fprintf(stderr, "dt_gen: cannot write '%s'\n", o.out);
        return 1;
    }
    fprintf(stderr, "dt_gen: %d seeds, %ld modules written, %ld built\n",
            s.n, written, attempts);
    for (int k = 0; k < s.n; k++) {
        mod_free(&s.m[k]);
        free(s.bytes[k]);
    }
    free(s.bytes);
    free(s.m);
    free(b.p);
    return 0;
}

/* exec.h - the internal code that compile.c writes and exec.c runs.
 *
 * A compiled function is a wr_code: a header and an array of wr_insn
 * words.  An instruction is one handler word followed by operand words;
 * the handler word is the address of exec.c's handler (computed goto) or
 * the op number (switch dispatch), whatever wr_exec_opwords() gives.
 * exec.c's header comment describes the frame layout, the slot rule and
 * the dispatch; this file fixes the op list and the word layouts.
 *
 * Operand words hold two 32-bit fields (.s.a, .s.b) or one 64-bit
 * immediate.  Slots are frame-cell indices relative to fp.  Branch
 * words hold {off, cost}: the target is the branch word's own address
 * plus off words, and cost is the fuel the segment entered there costs.
 *
 * Layouts (w1 = pc[1], w2 = pc[2], ...; "dst" always in w1.a so that
 * compile.c can retarget the result of the last instruction):
 *
 *   UN ops, COPY, REF_IS_NULL     w1 {dst, src}
 *   binary ops                    w1 {dst, a}  w2 {b}
 *   IBIN/ICMP _I, i32             w1 {dst, a}  w2 {imm32}
 *   IBIN/ICMP _I, i64, FBIN _I    w1 {dst, a}  w2 imm64 (floats: the bits)
 *   _R forms                      w1 {dst, b}  w2 the immediate a, as above
 *   _M forms                      w1 {dst, a}  w2 {addr, offset}  w3 {imm}:
 *                                 b is loaded (natural size) from
 *                                 (u32)(fp[addr] + imm) + offset
 *   _MS forms                     as _M, the result goes back to memory
 *                                 at the same address (x[i] += a)
 *   _X, _XI, _XB forms            as NAME / _I, the operand named is
 *                                 taken from the accumulator instead of
 *                                 its slot (the slot field is unused)
 *   SUM                           w1 {dst, a}  w2 {imm32}: an i32.add
 *                                 that leaves the accumulator alone
 *   SUM2                          w1 {dst, a}  w2 {imm, dst2}  w3 {a2, imm2}:
 *                                 two SUMs, in this order
 *   SUM_BR_NZ / _Z                w1 {dst, a}  w2 {off, cost}  w3 {imm, cost
 *                                 if not taken}: a SUM, then branch if
 *                                 its result is (not) zero
 *   BR_IF_*_X                     as BR_IF_*, the condition is acc
 *
 * THE ACCUMULATOR: every instruction that produces an i32 or i64 result
 * into its dst slot also leaves it in acc, a register of exec.c's loop;
 * the _X forms read the previous instruction's result from there, not
 * through memory (a store-to-load round trip on the critical path).
 * Only such producers write acc: COPY, COPYN, CONST and SUM (the code
 * compile.c emits to materialize values) never do, so they may sit
 * between a producer and its consumer.
 *   CONST                         w1 {dst}     w2 imm64
 *   loads                         w1 {dst, addr} w2 {offset}
 *   stores                        w1 {value, addr} w2 {offset}
 *   loads, stores _A              the same, w2 {offset, imm}: the address
 *                                 is (u32)(fp[addr] + imm), then + offset
 *   SELECT                        w1 {dst, cond} w2 {a, b}
 *   GLOBAL_GET / GLOBAL_SET       w1 {dst|src, global}
 *   BR                            w1 {off, cost}
 *   BR_IF_NZ/Z, _64               w1 {cond}    w2 {off, cost}  w3 {-, cost if not taken}
 *   BR_<cmp>                      w1 {a, b}    w2 {off, cost}  w3 {-, cost if not taken}
 *   BR_<cmp>_I, i32               w1 {a, imm32} w2, w3 as above
 *   BR_<cmp>_I, i64               w1 {a}       w2, w3 as above, w4 imm64
 *   BR_TABLE8, BR_TABLE16         w1 {index, n}, then n+1 u8 (u16) slot
 *                                 numbers packed into (n+8)/8 ((n+4)/4)
 *                                 words (the last is the default), then
 *                                 one branch word per slot: a label is
 *                                 one byte whatever its target
 *                                 (compile.c, BR_TABLE)
 *   RETURN                        (results already at fp[0..n))
 *   RETURN1                       w1 {src}: fp[0] = fp[src], return
 *   COPYN                         w1 {n} then n words {dst, src}
 *   CALL                          w1 {func index, frame}
 *   CALL_INTERNAL                 w1 pointer to the callee's entry of
 *                                 wr_module.code (compiled later than
 *                                 its callers, maybe)  w2 {frame}
 *   CALL_INDIRECT                 w1 {frame, elem index slot}
 *                                 w2 {type index, table}
 *   (frame: the slot where the callee's frame, i.e. its first argument,
 *   starts)
 *   MEMORY_SIZE                   w1 {dst}
 *   MEMORY_GROW                   w1 {dst, delta}
 *   MEMORY_INIT                   w1 {segment, d}  w2 {s, n}
 *   DATA_DROP / ELEM_DROP         w1 {segment}
 *   MEMORY_COPY                   w1 {d, s}  w2 {n}
 *   MEMORY_FILL                   w1 {d, value}  w2 {n}
 *   TABLE_GET                     w1 {dst, index}  w2 {table}
 *   TABLE_SET                     w1 {index, value}  w2 {table}
 *   TABLE_SIZE                    w1 {dst, table}
 *   TABLE_GROW                    w1 {dst, init}  w2 {n, table}
 *   TABLE_FILL                    w1 {i, value}  w2 {n, table}
 *   TABLE_COPY                    w1 {d, s}  w2 {n}  w3 {dst table, src table}
 *   TABLE_INIT                    w1 {d, s}  w2 {n, segment}  w3 {table}
 *   REF_FUNC                      w1 {dst, func index}
 */
#ifndef WR_EXEC_H
#define WR_EXEC_H

#include "internal.h"

/* One word of internal code. */
typedef union wr_insn {
    const void *h;                 /* handler address (computed goto) */
    uintptr_t   op;                /* op number (switch dispatch) */
    const void *ptr;               /* CALL_INTERNAL's callee */
    uint64_t    u64;               /* 64-bit immediates */
    struct { uint32_t a, b; } s;   /* two slots / 32-bit immediates */
} wr_insn;

/* A compiled function (in a chunk of wr_module.chunks, compile.c). */
typedef struct wr_code {
    uint32_t nparams, nlocals;     /* locals: declared ones, zeroed on entry */
    uint32_t nresults;
    uint32_t frame_cells;          /* params + locals + operand stack */
    uint32_t entry_cost;           /* fuel of the first segment */
    uint32_t ninsn;
    wr_insn  insn[];
} wr_code;

/* Ops without a row of their own in opcodes.def. */
#define WR_XOPS_SPECIAL(X) \
    X(UNREACHABLE) X(HALT) X(BR) X(BR_IF_NZ) X(BR_IF_Z) X(BR_IF_NZ64) \
    X(BR_IF_Z64) X(BR_IF_NZ_X) X(BR_IF_Z_X) X(BR_IF_NZ64_X) X(BR_IF_Z64_X) \
    X(SUM) X(SUM2) X(SUM_BR_NZ) X(SUM_BR_Z) X(BR_TABLE8) X(BR_TABLE16) \
    X(RETURN) X(RETURN1) X(CALL) \
    X(CALL_INTERNAL) X(CALL_INDIRECT) X(COPY) X(COPYN) X(CONST) X(SELECT) \
    X(GLOBAL_GET) X(GLOBAL_SET) X(MEMORY_SIZE) X(MEMORY_GROW) \
    X(MEMORY_INIT) X(DATA_DROP) X(MEMORY_COPY) X(MEMORY_FILL) X(TABLE_GET) \
    X(TABLE_SET) X(TABLE_SIZE) X(TABLE_GROW) X(TABLE_FILL) X(TABLE_COPY) \
    X(TABLE_INIT) X(ELEM_DROP) X(REF_IS_NULL) X(REF_FUNC)

/* The ops an opcodes.def row yields, by shape, in this order (compile.c
 * relies on it):
 *   binary ops      NAME, _I (b immediate), _R (a immediate; some),
 *                   _M (b from memory; some) and _MS (the same, the
 *                   result stored back there), then for integers the
 *                   accumulator forms _X (a = acc), _XI (a = acc, b
 *                   immediate), _XB (b = acc; ops that do not commute)
 *   integer compare NAME, _I, BR_NAME, BR_NAME_I (compare and branch),
 *                   then _X, _XI, BR_NAME_X, BR_NAME_XI
 *   unary ops       NAME, _X (operand = acc)
 *   loads, stores   NAME, _A (address = slot + immediate), _X (load:
 *                   address = acc; store: value = acc), _AX (both) */
#define WR_GEN_SPEC(X, name)
#define WR_GEN_CONST(X, name)
#define WR_GEN_UN(X, name)    X(name) X(name##_X)
#define WR_GEN_FBIN(X, name)  X(name) X(name##_I)
#define WR_GEN_FBINC(X, name) X(name) X(name##_I)
#define WR_GEN_FBINR(X, name) X(name) X(name##_I) X(name##_R)
#define WR_GEN_FBINCM(X, name) X(name) X(name##_I) X(name##_M) X(name##_MS)
#define WR_GEN_FBINRM(X, name) \
    X(name) X(name##_I) X(name##_R) X(name##_M) X(name##_MS)
#define WR_GEN_FCMP(X, name)  X(name) X(name##_I)
#define WR_GEN_LOAD(X, name)  X(name) X(name##_A) X(name##_X) X(name##_AX)
#define WR_GEN_STORE(X, name) X(name) X(name##_A) X(name##_X) X(name##_AX)
#define WR_GEN_IBIN(X, name) \
    X(name) X(name##_I) X(name##_X) X(name##_XI) X(name##_XB)
#define WR_GEN_IBINC(X, name) X(name) X(name##_I) X(name##_X) X(name##_XI)
#define WR_GEN_IBINR(X, name) \
    X(name) X(name##_I) X(name##_R) X(name##_X) X(name##_XI) X(name##_XB)
#define WR_GEN_IBINCM(X, name) \
    X(name) X(name##_I) X(name##_M) X(name##_MS) X(name##_X) X(name##_XI)
#define WR_GEN_IBINRM(X, name) \
    X(name) X(name##_I) X(name##_R) X(name##_M) X(name##_MS) X(name##_X) \
    X(name##_XI) X(name##_XB)
#define WR_GEN_ICMP(X, name) \
    X(name) X(name##_I) X(BR_##name) X(BR_##name##_I) X(name##_X) \
    X(name##_XI) X(BR_##name##_X) X(BR_##name##_XI)

/* Every op: WR_XOPS(X) calls X(NAME) once per op, in enum order. */
#define WR_XOPS_ROW(X, code, name, text, shape, a, b, r, x) \
    WR_GEN_##shape(X, name)

enum wr_xop {
#define WR_X_ENUM(name) WR_X_##name,
    WR_XOPS_SPECIAL(WR_X_ENUM)
#define WR_OP(code, name, text, shape, a, b, r, x) \
    WR_XOPS_ROW(WR_X_ENUM, code, name, text, shape, a, b, r, x)
#define WR_OPFC WR_OP
#include "opcodes.def"
#undef WR_OP
#undef WR_OPFC
#undef WR_X_ENUM
    WR_X_COUNT
};

/* The handler word of every op (exec.c): out[op] for op < WR_X_COUNT. */
void wr_exec_opwords(uintptr_t *out);

#endif

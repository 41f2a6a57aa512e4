/* fuzz.c - WebAssembly binaries through every phase of wasmrt: decode and
 * validate (wr_module_inspect), compile (wr_module_load), instantiate
 * against host-made imports of the types the module asks for, then call
 * every exported function twice: with zeroes, then with small non-zero
 * values (3, -2, 1.5, -0.5; references null), so that loops over a count
 * and branches on a sign run too.
 *
 * Work is bounded so that one input stays well under a second: 20000
 * units of fuel per call (refuelled before each), 1 MiB per memory
 * (imported ones: at most 16 pages at creation), call depth 200, a 64 Ki
 * cell value stack, imported tables at most 10000 elements.  Host
 * functions return zeroes of their result types, except that every
 * fourth call traps, so traps crossing host frames are exercised too.
 *
 * Checked: inspect and load agree (the same failure, kind and message,
 * unless load alone runs out of its compiled-code budget); every failure
 * has a message.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/wasm/).
 */
#include <string.h>

#include "wasmrt/wasmrt.h"
#include "tests/fuzz/common/fuzz.h"

#define WF_FUEL      20000
#define WF_MEM_PAGES 16
#define WF_TABLE_MAX 10000
#define WF_MAX_ARGS  16

/* Zero of type t (a null reference for the two reference types). */
static wr_value wf_zero(wr_type t)
{
    wr_value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    return v;
}

static int wf_host(wr_caller *c, void *user, const wr_value *args,
                   wr_value *results)
{
    const wr_functype *ft = user;
    static const char msg[] = "host trap";
    uint8_t b;
    /* Touch the caller's memory as a host function would. */
    (void)wr_caller_read(c, args && ft->nparams ? (uint32_t)args[0].of.i32 : 0,
                         &b, 1);
    for (uint32_t i = 0; i < ft->nresults; i++)
        results[i] = wf_zero(ft->results[i]);
    if (ft->nparams && args[0].type == WR_I32 && args[0].of.i32 % 4 == 3)
        return wr_trap(c, msg);
    return 0;
}

/* A host object of the type import i expects; -1 when the fuzzer asks for
 * more than the caps (the instantiation then fails to link, which is also
 * worth running). */
static int wf_make(wr_store *s, const wr_import_info *im, wr_functype *ft,
                   wr_extern *out)
{
    const wr_externtype *t = &im->type;
    wr_limits_range r = t->limits;
    switch (t->kind) {
    case WR_EXTERN_FUNC:
        *ft = t->func;      /* wf_host's user: must outlive the store */
        return wr_func_new(s, ft, wf_host, ft, out, NULL);
    case WR_EXTERN_MEMORY:
        if (r.min > WF_MEM_PAGES)
            return -1;
        return wr_memory_new(s, r, out, NULL);
    case WR_EXTERN_TABLE:
        if (r.min > WF_TABLE_MAX)
            return -1;
        return wr_table_new(s, t->elem, r, out, NULL);
    case WR_EXTERN_GLOBAL:
        return wr_global_new(s, t->global, t->mutable_, wf_zero(t->global),
                             out, NULL);
    }
    return -1;
}

/* types has a slot per import, for the function imports' types. */
static wr_imports *wf_imports(wr_store *s, const wr_module *m,
                              wr_functype *types)
{
    wr_imports *imp = wr_imports_new();
    for (uint32_t i = 0; imp && i < wr_module_import_count(m); i++) {
        wr_import_info im;
        wr_extern ext;
        wr_module_import(m, i, &im);
        if (wf_make(s, &im, &types[i], &ext) == 0)
            (void)wr_imports_add(imp, im.module, im.name, ext, NULL);
    }
    return imp;
}

/* The second set of arguments: small values of each sign. */
static wr_value wf_small(wr_type t)
{
    wr_value v = wf_zero(t);
    if (t == WR_I32)
        v.of.i32 = 3;
    else if (t == WR_I64)
        v.of.i64 = -2;
    else if (t == WR_F32)
        v.of.f32 = 0x3fc00000u;                 /* 1.5f */
    else if (t == WR_F64)
        v.of.f64 = 0xbfe0000000000000ull;       /* -0.5 */
    return v;
}

/* Call export e (a function) with zeroes, or with wf_small's values when
 * small; a trap is fine, a failure without a message is not. */
static void wf_call(wr_instance *inst, const wr_export_info *e, int small)
{
    wr_extern f;
    if (wr_instance_export_n(inst, e->name, e->name_len, &f) != 0)
        return;
    const wr_functype *ft = wr_func_type(f);
    if (ft->nparams > WF_MAX_ARGS || ft->nresults > WF_MAX_ARGS)
        return;
    wr_value args[WF_MAX_ARGS], res[WF_MAX_ARGS];
    for (uint32_t i = 0; i < ft->nparams; i++)
        args[i] = small ? wf_small(ft->params[i]) : wf_zero(ft->params[i]);
    wr_error err;
    wr_instance_set_fuel(inst, WF_FUEL);
    if (wr_call_func(inst, f, args, ft->nparams, res, ft->nresults, &err))
        FUZZ_ASSERT(err.kind != WR_OK && err.msg[0]);
}

static void wf_run(wr_module *m)
{
    wr_store *s = wr_store_new();
    wr_functype *types = calloc(wr_module_import_count(m) + 1, sizeof *types);
    if (!s || !types) {
        wr_store_free(s);
        free(types);
        return;
    }
    wr_imports *imp = wf_imports(s, m, types);
    wr_limits lim = { .fuel = WF_FUEL, .max_memory = WF_MEM_PAGES * 65536,
                      .max_call_depth = 200, .max_stack = 1 << 16 };
    wr_error err;
    wr_instance *inst = wr_instantiate(s, m, imp, &lim, &err);
    if (inst) {
        for (uint32_t i = 0; i < wr_module_export_count(m); i++) {
            wr_export_info e;
            wr_module_export(m, i, &e);
            if (e.type.kind == WR_EXTERN_FUNC) {
                wf_call(inst, &e, 0);
                wf_call(inst, &e, 1);
            }
        }
    } else {
        FUZZ_ASSERT(err.kind != WR_OK && err.msg[0]);
    }
    wr_imports_free(imp);
    wr_store_free(s);
    free(types);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wr_error ierr, lerr;
    wr_module *mi = wr_module_inspect(data, size, &ierr);
    wr_module *m = wr_module_load(data, size, &lerr);
    if (!m && lerr.kind == WR_ERR_NOMEM) {
        wr_module_free(mi);
        return 0;
    }
    FUZZ_ASSERT(!mi == !m);
    if (!m) {
        FUZZ_ASSERT(ierr.kind == lerr.kind && ierr.kind != WR_OK);
        FUZZ_ASSERT(strcmp(ierr.msg, lerr.msg) == 0 && lerr.msg[0]);
        return 0;
    }
    wr_module_free(mi);
    wf_run(m);
    wr_module_free(m);
    return 0;
}

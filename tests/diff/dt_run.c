/* dt_run.c - the wasmrt side of the differential tests: runs every module
 * of a pack and prints one line of outcomes per module.
 *
 *   dt_run [-v] [--deep] PACK        one line per module
 *   dt_run --extract K PACK OUT.wasm  write module K (from 0) alone
 *   dt_run --split PACK DIR          write every module as DIR/K.wasm
 *                                    (for wabt's wasm-validate)
 *   dt_run --subset KEYS PACK OUT    write the modules numbered in file
 *                                    KEYS (ascending, one a line) as a
 *                                    pack (the triage reruns only them)
 *
 * tests/diff/ref.mjs prints the same lines for the reference engine
 * (node's WebAssembly, V8), and tests/diff/diff.sh compares them.  A line
 * is "K" followed by one word per outcome:
 *
 *   invalid              the module does not load (validation)
 *   link                 instantiation fails to link
 *   start=trap:KIND      the start function or a segment traps
 *   eI=V,V...            function export number I (in export order)
 *                        returned these values
 *   eI=trap:KIND         it trapped
 *   stop                 after "call stack exhausted" (the depth at which
 *                        it happens is the engine's choice, so the state
 *                        after it is not compared), or wasmrt's own limits
 *   gI=V                 exported global I at the end
 *   mI=PAGES:HASH        exported memory I at the end (dt_hash_mem)
 *
 * Values: i32:N and i64:N unsigned decimal, f32:0xBITS and f64:0xBITS,
 * or f32:nan / f64:nan for any NaN (the spec leaves sign and payload of
 * most NaN results to the engine), ref:null, ref:func, ref:extern.
 * KIND maps the spec's trap names to words both engines can be mapped
 * to (V8 says "divide by zero" where the spec says "integer divide by
 * zero", and one message for "uninitialized element" and "indirect call
 * type mismatch"): see trap_kind().  -v adds each message as it is.
 *
 * --deep raises the call-depth and value-stack limits far above what the
 * fuel of dt_gen's modules can reach (for the triage of "call stack
 * exhausted" on one side only: the depth is the engine's choice).
 *
 * Imports: the spec tests' "spectest" module (print functions, globals
 * 666 / 666.6, a table of 10..20 funcrefs, a memory of 1..2 pages), the
 * same in ref.mjs.  Functions are called with the arguments of dt.h.
 *
 * Tests: tests/diff/diff.sh (docs/testing.md, "Differential testing").
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmrt/wasmrt.h"
#include "tests/diff/dt.h"
#include "tests/spec/spectest.h"

/* Generous: dt_gen's fuel global stops modules long before. */
#define SAFETY_FUEL 200000000ull

static const struct { const char *msg, *kind; } trap_kinds[] = {
    {"unreachable", "unreachable"},
    {"integer divide by zero", "div0"},
    {"integer overflow", "overflow"},
    {"invalid conversion to integer", "conversion"},
    {"out of bounds memory access", "memory"},
    {"out of bounds table access", "table"},
    {"undefined element", "table"},
    {"uninitialized element", "indirect"},
    {"indirect call type mismatch", "indirect"},
    {"call stack exhausted", "exhausted"},
};

static const char *trap_kind(const char *msg)
{
    for (size_t i = 0; i < sizeof trap_kinds / sizeof trap_kinds[0]; i++)
        if (strcmp(msg, trap_kinds[i].msg) == 0)
            return trap_kinds[i].kind;
    return NULL;
}

/* --- spectest ------------------------------------------------------------ */

/* spectest_add_fn: link one object of spectest.h's module. */
static int spectest_link(void *ctx, const char *name, wr_extern e)
{
    return wr_imports_add(ctx, "spectest", name, e, NULL);
}

static wr_imports *spectest(wr_store *s)
{
    wr_imports *imp = wr_imports_new();
    if (imp && spectest_define(s, spectest_link, imp, NULL)) {
        wr_imports_free(imp);
        return NULL;
    }
    return imp;
}

/* --- values -------------------------------------------------------------- */

static void print_value(FILE *o, wr_value v)
{
    switch (v.type) {
    case WR_I32: fprintf(o, "i32:%" PRIu32, (uint32_t)v.of.i32); return;
    case WR_I64: fprintf(o, "i64:%" PRIu64, (uint64_t)v.of.i64); return;
    case WR_F32:
        if ((v.of.f32 & 0x7fffffffu) > 0x7f800000u)
            fputs("f32:nan", o);
        else
            fprintf(o, "f32:0x%08" PRIx32, v.of.f32);
        return;
    case WR_F64:
        if ((v.of.f64 & 0x7fffffffffffffffull) > 0x7ff0000000000000ull)
            fputs("f64:nan", o);
        else
            fprintf(o, "f64:0x%016" PRIx64, v.of.f64);
        return;
    case WR_FUNCREF: fputs(v.of.ref ? "ref:func" : "ref:null", o); return;
    case WR_EXTERNREF: fputs(v.of.ref ? "ref:extern" : "ref:null", o); return;
    }
    fputs("?", o);
}

static wr_value arg_value(wr_type t, unsigned e, unsigned j)
{
    wr_value v;
    unsigned k = dt_arg_index(e, j);
    v.type = t;
    v.of.i64 = 0;
    switch (t) {
    case WR_I32: v.of.i32 = (int32_t)dt_args_i32[k]; break;
    case WR_I64: v.of.i64 = (int64_t)dt_args_i64[k]; break;
    case WR_F32: v.of.f32 = dt_args_f32[k]; break;
    case WR_F64: v.of.f64 = dt_args_f64[k]; break;
    default: v.of.ref = NULL; break;
    }
    return v;
}

/* --- running ------------------------------------------------------------- */

typedef struct run {
    FILE        *o;
    bool         verbose, deep;
    wr_instance *inst;
} run;

/* Print the trap; true when what follows is not comparable any more. */
static bool print_trap(run *r, const wr_error *err)
{
    const char *kind = err->kind == WR_ERR_TRAP ? trap_kind(err->msg) : NULL;
    if (kind)
        fprintf(r->o, "trap:%s", kind);
    else
        fprintf(r->o, "error:%d", err->kind);
    if (r->verbose)
        fprintf(r->o, "(%s)", err->msg);
    return !kind || strcmp(kind, "exhausted") == 0;
}

/* Call function export number e; true when the run must stop. */
static bool call_export(run *r, unsigned e, const wr_export_info *x)
{
    wr_value args[1000], res[1000];
    const wr_functype *ft = &x->type.func;
    wr_extern fn;
    if (ft->nparams > 1000 || ft->nresults > 1000 ||
        wr_instance_export_n(r->inst, x->name, x->name_len, &fn) != 0)
        return true;
    for (unsigned j = 0; j < ft->nparams; j++)
        args[j] = arg_value(ft->params[j], e, j);
    wr_error err;
    wr_instance_set_fuel(r->inst, SAFETY_FUEL);
    fprintf(r->o, " e%u=", e);
    if (wr_call_func(r->inst, fn, args, ft->nparams, res, ft->nresults,
                     &err) != 0)
        return print_trap(r, &err);
    for (unsigned j = 0; j < ft->nresults; j++) {
        if (j)
            fputc(',', r->o);
        print_value(r->o, res[j]);
    }
    return false;
}

static void print_state(run *r, const wr_module *m)
{
    for (uint32_t i = 0; i < wr_module_export_count(m); i++) {
        wr_export_info x;
        wr_extern ext;
        wr_module_export(m, i, &x);
        if (x.type.kind == WR_EXTERN_GLOBAL &&
            wr_instance_export_n(r->inst, x.name, x.name_len, &ext) == 0) {
            fprintf(r->o, " g%u=", (unsigned)i);
            print_value(r->o, wr_global_get(ext));
        } else if (x.type.kind == WR_EXTERN_MEMORY) {
            uint64_t size;
            uint8_t *p = wr_instance_memory(r->inst, &size);
            fprintf(r->o, " m%u=%" PRIu64 ":%08" PRIx32, (unsigned)i,
                    size / 65536, p ? dt_hash_mem(p, size) : 0);
        }
    }
}

static void run_exports(run *r, const wr_module *m)
{
    for (uint32_t i = 0; i < wr_module_export_count(m); i++) {
        wr_export_info x;
        wr_module_export(m, i, &x);
        if (x.type.kind == WR_EXTERN_FUNC && call_export(r, i, &x)) {
            fputs(" stop", r->o);
            return;
        }
    }
    print_state(r, m);
}

static void run_module(run *r, long k, const dt_buf *b)
{
    wr_error err;
    fprintf(r->o, "%ld", k);
    wr_module *m = wr_module_load(b->p, b->n, &err);
    if (!m) {
        fputs(" invalid", r->o);
        if (r->verbose)
            fprintf(r->o, "(%s)", err.msg);
        fputc('\n', r->o);
        return;
    }
    wr_store *s = wr_store_new();
    wr_imports *imp = s ? spectest(s) : NULL;
    wr_limits lim = {.fuel = SAFETY_FUEL, .timeout_ms = 20000};
    if (r->deep) {
        lim.max_call_depth = 1000000;
        lim.max_stack = 64u << 20;
    }
    r->inst = imp ? wr_instantiate(s, m, imp, &lim, &err) : NULL;
    if (!r->inst && imp && err.kind == WR_ERR_TRAP) {
        fputs(" start=", r->o);
        print_trap(r, &err);
    } else if (!r->inst) {
        fputs(" link", r->o);
        if (r->verbose)
            fprintf(r->o, "(%s)", err.msg);
    } else {
        run_exports(r, m);
    }
    fputc('\n', r->o);
    wr_imports_free(imp);
    wr_store_free(s);
    wr_module_free(m);
}

static int extract(long want, const char *pack, const char *out)
{
    FILE *f = fopen(pack, "rb");
    dt_buf b = {0};
    long k = 0;
    int got = 0;
    while (f && (got = dt_pack_read(f, &b)) == 1 && k < want)
        k++;
    if (f)
        fclose(f);
    FILE *o = got == 1 ? fopen(out, "wb") : NULL;
    if (!o || fwrite(b.p, 1, b.n, o) != b.n || fclose(o) != 0) {
        fprintf(stderr, "dt_run: cannot extract module %ld of '%s'\n", want,
                pack);
        return 1;
    }
    free(b.p);
    return 0;
}

static int split(const char *pack, const char *dir)
{
    FILE *f = fopen(pack, "rb");
    dt_buf b = {0};
    long k = 0;
    int got = -1;
    char path[4096];
    while (f && (got = dt_pack_read(f, &b)) == 1) {
        snprintf(path, sizeof path, "%s/%ld.wasm", dir, k++);
        FILE *o = fopen(path, "wb");
        if (!o || fwrite(b.p, 1, b.n, o) != b.n || fclose(o) != 0) {
            got = -1;
            break;
        }
    }
    if (f)
        fclose(f);
    free(b.p);
    if (got != 0) {
        fprintf(stderr, "dt_run: cannot split '%s' into '%s'\n", pack, dir);
        return 1;
    }
    return 0;
}

static int subset(const char *keys, const char *pack, const char *out)
{
    FILE *k = fopen(keys, "r"), *f = fopen(pack, "rb"), *o = fopen(out, "wb");
    dt_buf b = {0};
    long want, n = 0;
    int got = 1, bad = !k || !f || !o;
    while (!bad && fscanf(k, "%ld", &want) == 1) {
        while ((got = dt_pack_read(f, &b)) == 1 && n++ < want) {}
        bad = got != 1 || dt_pack_write(o, b.p, b.n) != 0;
    }
    if (k) fclose(k);
    if (f) fclose(f);
    if ((o && fclose(o) != 0) || bad) {
        fprintf(stderr, "dt_run: cannot take the modules of '%s' out of '%s'\n",
                keys, pack);
        return 1;
    }
    free(b.p);
    return 0;
}

int main(int argc, char **argv)
{
    run r = {.o = stdout};
    if (argc == 5 && strcmp(argv[1], "--extract") == 0)
        return extract(strtol(argv[2], NULL, 10), argv[3], argv[4]);
    if (argc == 4 && strcmp(argv[1], "--split") == 0)
        return split(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "--subset") == 0)
        return subset(argv[2], argv[3], argv[4]);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-v") == 0)
            r.verbose = true;
        else if (strcmp(argv[i], "--deep") == 0)
            r.deep = true;
        else
            break;
    }
    if (i + 1 != argc) {
        fputs("usage: dt_run [-v] [--deep] PACK\n"
              "       dt_run --extract K PACK OUT.wasm\n"
              "       dt_run --split PACK DIR\n"
              "       dt_run --subset KEYS PACK OUT.pack\n", stderr);
        return 2;
    }
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
        fprintf(stderr, "dt_run: cannot open '%s'\n", argv[i]);
        return 1;
    }
    dt_buf b = {0};
    long k = 0;
    int got;
    while ((got = dt_pack_read(f, &b)) == 1)
        run_module(&r, k++, &b);
    fclose(f);
    free(b.p);
    if (got < 0) {
        fprintf(stderr, "dt_run: '%s': truncated module %ld\n", argv[i], k);
        return 1;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

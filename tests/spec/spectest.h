/* spectest.h - the "spectest" host module of the spec's reference
 * interpreter, for the test programs that run spec-suite modules in
 * wasmrt (tests/spec/spec_runner.c, tests/diff/dt_run.c): silent print
 * functions, globals of 666 / 666.6, a table of 10..20 funcrefs and a
 * memory of 1..2 pages.  A header of static functions, so each program
 * compiles it in without a library of its own.
 *
 * spectest_define makes each object in store s and hands it to
 * add(ctx, name, extern), which keeps it the way its program links
 * imports; the first failure (of wasmrt, or add's -1) stops it.
 *
 * Tests: tests/conformance/wasm-spec.sh, tests/conformance/wasm-diff.sh.
 */
#ifndef WH_TESTS_SPECTEST_H
#define WH_TESTS_SPECTEST_H

#include <stddef.h>

#include "wasmrt/wasmrt.h"

typedef int (*spectest_add_fn)(void *ctx, const char *name, wr_extern e);

static int spectest_print(wr_caller *c, void *user, const wr_value *args,
                          wr_value *results)
{
    (void)c, (void)user, (void)args, (void)results;
    return 0;    /* the spec's print functions print; these are silent */
}

static const wr_type spectest_i32[] = {WR_I32}, spectest_i64[] = {WR_I64},
    spectest_f32[] = {WR_F32}, spectest_f64[] = {WR_F64},
    spectest_i32_f32[] = {WR_I32, WR_F32}, spectest_f64_f64[] = {WR_F64, WR_F64};

static const struct {
    const char *name;
    wr_functype type;
} spectest_funcs[] = {
    {"print", {0, 0, NULL, NULL}},
    {"print_i32", {1, 0, spectest_i32, NULL}},
    {"print_i64", {1, 0, spectest_i64, NULL}},
    {"print_f32", {1, 0, spectest_f32, NULL}},
    {"print_f64", {1, 0, spectest_f64, NULL}},
    {"print_i32_f32", {2, 0, spectest_i32_f32, NULL}},
    {"print_f64_f64", {2, 0, spectest_f64_f64, NULL}},
};

/* How many objects spectest_define makes. */
#define SPECTEST_OBJECTS 13

static int spectest_define(wr_store *s, spectest_add_fn add, void *ctx,
                           wr_error *err)
{
    wr_extern e;
    for (size_t i = 0; i < sizeof spectest_funcs / sizeof spectest_funcs[0]; i++)
        if (wr_func_new(s, &spectest_funcs[i].type, spectest_print, NULL, &e, err) ||
            add(ctx, spectest_funcs[i].name, e))
            return -1;
    const struct { const char *name; wr_value v; } globals[] = {
        {"global_i32", {.type = WR_I32, .of.i32 = 666}},
        {"global_i64", {.type = WR_I64, .of.i64 = 666}},
        {"global_f32", {.type = WR_F32, .of.f32 = 0x4426a666u}},        /* 666.6f */
        {"global_f64", {.type = WR_F64, .of.f64 = 0x4084d4cccccccccdull}}, /* 666.6 */
    };
    for (size_t i = 0; i < 4; i++)
        if (wr_global_new(s, globals[i].v.type, 0, globals[i].v, &e, err) ||
            add(ctx, globals[i].name, e))
            return -1;
    if (wr_table_new(s, WR_FUNCREF, (wr_limits_range){10, 20, 1}, &e, err) ||
        add(ctx, "table", e))
        return -1;
    if (wr_memory_new(s, (wr_limits_range){1, 2, 1}, &e, err) ||
        add(ctx, "memory", e))
        return -1;
    return 0;
}

#endif

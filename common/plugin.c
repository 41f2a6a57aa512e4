/* plugin.c - the plugin ABI runner: a plugin's module in wasmrt, called
 * with inputs under limits, its JSON result read back and checked.
 *
 * This is the implementation of plugin.h; the ABI is docs/plugins.md.
 *
 * ONE INSTANCE PER CALL.  wh_plugin_load decodes, validates and compiles
 * the module once; every wh_plugin_call makes a new store and instance,
 * copies the inputs in, calls, reads the result and frees the store.  So
 * nothing a plugin keeps in its memory or globals while judging one
 * package can reach the judgement of the next, and a plugin that traps
 * leaves nothing half-done behind.  Instantiation is cheap next to
 * compiling (memories are allocated, data segments copied).
 *
 * LIMITS.  One fuel budget covers the whole call: the start function,
 * each alloc that copies an input, and the function itself (wasmrt counts
 * fuel per instance).  The time limit is wasmrt's per-call deadline, so it
 * bounds each of those calls; memory is capped at instantiation and at
 * memory.grow (which then returns -1, as the spec says; a module whose
 * initial memory is over the cap fails with "memory limit exceeded").
 *
 * HOSTILE RESULTS.  The i64 result is split into ptr and len (both u32);
 * len is checked against the caller's cap *before* the range against the
 * memory, so a huge claimed length is reported as what it is.  The bytes
 * must be UTF-8 (checked here, to name the byte) and one JSON value
 * (wh_json_parse: duplicate keys and deep nesting refused); a length of
 * 0 is "no result", what a plugin returns when it could not build one.  Pointers the
 * plugin hands to wharf.log and wharf.config are range-checked with
 * 64-bit sums; a bad one traps the call with a message naming the import,
 * because a plugin that passes wild pointers is broken and should be
 * told so at once rather than see a silent error code.
 *
 * Tests: tests/unit/plugin_test.c
 */
#include "common/plugin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/base64.h"
#include "common/json.h"
#include "wasmrt/wasmrt.h"

struct wh_plugin {
    char             name[WH_PLUGIN_NAME_MAX + 1];
    wr_module       *mod;
    char            *config;
    size_t           config_len;
    wh_plugin_limits limits;
    wh_plugin_log_fn log;
    void            *log_user;
};

/* What the host functions of one call see. */
typedef struct call_ctx {
    wh_plugin  *p;
    const char *func;
    void       *log_user;   /* the call's, else the plugin's */
} call_ctx;

static const wr_type i32x8[8] = { WR_I32, WR_I32, WR_I32, WR_I32,
                                  WR_I32, WR_I32, WR_I32, WR_I32 };
static const wr_type one_i32[1] = { WR_I32 };
static const wr_functype log_type = { 3, 0, i32x8, NULL };
static const wr_functype config_type = { 2, 1, i32x8, one_i32 };
static const wr_functype alloc_type = { 1, 1, i32x8, one_i32 };

/* --- small helpers ------------------------------------------------------------ */

/* Fail with "plugin 'NAME': " before the formatted reason. */
__attribute__((format(printf, 4, 5)))
static int pfail(wh_err *err, int code, const wh_plugin *p, const char *fmt, ...)
{
    char reason[sizeof err->reason];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return wh_fail(err, code, NULL, -1, "plugin '%s': %s", p->name, reason);
}

static int same_type(const wr_functype *a, const wr_functype *b)
{
    if (a->nparams != b->nparams || a->nresults != b->nresults)
        return 0;
    for (uint32_t i = 0; i < a->nparams; i++)
        if (a->params[i] != b->params[i])
            return 0;
    for (uint32_t i = 0; i < a->nresults; i++)
        if (a->results[i] != b->results[i])
            return 0;
    return 1;
}

/* The guest's bytes [ptr, ptr + len) (both read as u32), or NULL. */
static uint8_t *span(uint8_t *mem, uint64_t size, uint32_t ptr, uint64_t len)
{
    if (!mem || (uint64_t)ptr + len > size)
        return NULL;
    return mem + ptr;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Offset of the first byte that is not part of valid UTF-8, or len. */
static size_t utf8_check(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (!n || i + n > len)
            return i;
        uint32_t cp = n == 1 ? c : c & (0x7f >> n);
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
        if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += n;
    }
    return len;
}

/* --- the imports ---------------------------------------------------------------- */

static int h_log(wr_caller *c, void *user, const wr_value *a, wr_value *r)
{
    call_ctx *x = user;
    uint64_t size;
    uint8_t *mem = wr_caller_memory(c, &size);
    uint32_t len = (uint32_t)a[2].of.i32;
    uint8_t *msg = span(mem, size, (uint32_t)a[1].of.i32, len);
    (void)r;
    if (!msg)
        return wr_trap(c, "wharf.log: message outside memory");
    if (x->p->log)
        x->p->log(x->log_user, x->p->name, x->func, a[0].of.i32,
                  (const char *)msg, len < WH_PLUGIN_LOG_MAX ? len : WH_PLUGIN_LOG_MAX);
    return 0;
}

/* Writes the config when it fits in cap; returns its length either way
 * (a plugin may call again with a larger buffer, as with snprintf). */
static int h_config(wr_caller *c, void *user, const wr_value *a, wr_value *r)
{
    call_ctx *x = user;
    uint64_t size;
    uint8_t *mem = wr_caller_memory(c, &size);
    uint32_t cap = (uint32_t)a[1].of.i32;
    uint8_t *buf = span(mem, size, (uint32_t)a[0].of.i32, cap);
    if (!buf)
        return wr_trap(c, "wharf.config: buffer outside memory");
    if (x->p->config_len <= cap)
        memcpy(buf, x->p->config, x->p->config_len);
    r[0] = (wr_value){ .type = WR_I32, .of.i32 = (int32_t)x->p->config_len };
    return 0;
}

/* --- loading -------------------------------------------------------------------- */

/* 0 when import i is one of the two allowed, with its exact type. */
static int check_import(wh_plugin *p, uint32_t i, wh_err *err)
{
    wr_import_info im;
    wr_module_import(p->mod, i, &im);
    const wr_functype *want = NULL;
    if (!strcmp(im.module, "wharf") && !strcmp(im.name, "log"))
        want = &log_type;
    else if (!strcmp(im.module, "wharf") && !strcmp(im.name, "config"))
        want = &config_type;
    char q[4 * 64 + 8], qn[4 * 64 + 8];
    wh_quote(q, sizeof q, im.module, strlen(im.module));
    wh_quote(qn, sizeof qn, im.name, strlen(im.name));
    if (!want)
        return pfail(err, WH_E_FORMAT, p, "imports %s.%s: only wharf.log and "
                     "wharf.config are allowed", q, qn);
    if (im.type.kind != WR_EXTERN_FUNC || !same_type(&im.type.func, want))
        return pfail(err, WH_E_FORMAT, p, "imports %s.%s with the wrong type", q, qn);
    return 0;
}

/* 0 when the module exports name as kind (and, for a function, type). */
static int has_export(const wr_module *m, const char *name, wr_kind kind,
                      const wr_functype *type)
{
    for (uint32_t i = 0; i < wr_module_export_count(m); i++) {
        wr_export_info ex;
        wr_module_export(m, i, &ex);
        if (ex.name_len == strlen(name) && !memcmp(ex.name, name, ex.name_len))
            return ex.type.kind == kind && (!type || same_type(&ex.type.func, type));
    }
    return 0;
}

static int check_module(wh_plugin *p, wh_err *err)
{
    for (uint32_t i = 0; i < wr_module_import_count(p->mod); i++)
        if (check_import(p, i, err))
            return err ? err->code : WH_E_FORMAT;
    if (!has_export(p->mod, "memory", WR_EXTERN_MEMORY, NULL))
        return pfail(err, WH_E_FORMAT, p, "does not export memory");
    if (!has_export(p->mod, "alloc", WR_EXTERN_FUNC, &alloc_type))
        return pfail(err, WH_E_FORMAT, p, "does not export alloc(i32) -> i32");
    return 0;
}

static void set_limits(wh_plugin_limits *l, const wh_plugin_limits *in)
{
    *l = in ? *in : (wh_plugin_limits){ 0 };
    if (!l->memory_bytes)
        l->memory_bytes = WH_PLUGIN_DEFAULT_MEMORY;
    if (!l->fuel)
        l->fuel = WH_PLUGIN_DEFAULT_FUEL;
    if (!l->time_ms)
        l->time_ms = WH_PLUGIN_DEFAULT_TIME_MS;
}

int wh_plugin_load(const char *name, const void *wasm, size_t len,
                   const char *config_json, const wh_plugin_limits *limits,
                   wh_plugin_log_fn log, void *log_user, wh_plugin **out,
                   wh_err *err)
{
    *out = NULL;
    wh_plugin *p = calloc(1, sizeof *p);
    const char *cfg = config_json ? config_json : "{}";
    if (!p || !(p->config = strdup(cfg))) {
        free(p);
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    p->config_len = strlen(cfg);
    set_limits(&p->limits, limits);
    p->log = log;
    p->log_user = log_user;
    wr_error we;
    char line[300];
    int rc = 0;
    if (!(p->mod = wr_module_load(wasm, len, &we)))
        rc = pfail(err, we.kind == WR_ERR_NOMEM ? WH_E_NOMEM : WH_E_FORMAT, p,
                   "module: %s", wr_error_format(&we, line, sizeof line));
    else
        rc = check_module(p, err);
    if (rc)
        wh_plugin_free(p);
    else
        *out = p;
    return rc;
}

void wh_plugin_free(wh_plugin *p)
{
    if (!p)
        return;
    wr_module_free(p->mod);
    free(p->config);
    free(p);
}

const char *wh_plugin_name(const wh_plugin *p)
{
    return p->name;
}

int wh_plugin_has(const wh_plugin *p, const char *func)
{
    for (uint32_t i = 0; i < wr_module_export_count(p->mod); i++) {
        wr_export_info ex;
        wr_module_export(p->mod, i, &ex);
        if (ex.type.kind == WR_EXTERN_FUNC && ex.name_len == strlen(func) &&
            !memcmp(ex.name, func, ex.name_len))
            return 1;
    }
    return 0;
}

/* --- calling --------------------------------------------------------------------- */

/* A wasmrt failure during func as a wh_err in the plugin's words. */
static int run_fail(wh_err *err, const wh_plugin *p, const char *func,
                    const wr_error *we)
{
    const wh_plugin_limits *l = &p->limits;
    if (we->kind == WR_ERR_NOMEM)
        return pfail(err, WH_E_NOMEM, p, "%s: out of memory", func);
    if (we->kind != WR_ERR_TRAP)
        return pfail(err, WH_E_TRAP, p, "%s: %s", func, we->msg);
    if (!strcmp(we->msg, "out of fuel"))
        return pfail(err, WH_E_TRAP, p, "%s: out of fuel after %llu instructions",
                     func, (unsigned long long)l->fuel);
    if (!strcmp(we->msg, "deadline exceeded"))
        return pfail(err, WH_E_TRAP, p, "%s: out of time after %llu ms", func,
                     (unsigned long long)l->time_ms);
    if (!strcmp(we->msg, "memory limit exceeded"))
        return pfail(err, WH_E_TRAP, p, "%s: memory limit exceeded: %llu bytes",
                     func, (unsigned long long)l->memory_bytes);
    return pfail(err, WH_E_TRAP, p, "%s: trap: %s", func, we->msg);
}

/* The two host functions, as imports for one instance. */
static int make_imports(wr_store *s, call_ctx *x, wr_imports *imp, wr_error *we)
{
    wr_extern e;
    if (wr_func_new(s, &log_type, h_log, x, &e, we) ||
        wr_imports_add(imp, "wharf", "log", e, we) ||
        wr_func_new(s, &config_type, h_config, x, &e, we) ||
        wr_imports_add(imp, "wharf", "config", e, we))
        return -1;
    return 0;
}

/* A fresh instance of p with the imports and limits. */
static wr_instance *instantiate(wr_store *s, call_ctx *x, wr_error *we)
{
    wr_imports *imp = wr_imports_new();
    wr_instance *inst = NULL;
    wr_limits lim = { .fuel = x->p->limits.fuel,
                      .max_memory = x->p->limits.memory_bytes,
                      .timeout_ms = x->p->limits.time_ms };
    if (!imp)
        *we = (wr_error){ .kind = WR_ERR_NOMEM, .offset = -1, .msg = "out of memory" };
    else if (!make_imports(s, x, imp, we))
        inst = wr_instantiate(s, x->p->mod, imp, &lim, we);
    wr_imports_free(imp);
    return inst;
}

/* Copy one input in through alloc; its pointer into *ptr. */
static int put_input(wr_instance *inst, const call_ctx *x, const wh_plugin_input *in,
                     uint32_t *ptr, wh_err *err)
{
    wr_value arg = { .type = WR_I32, .of.i32 = (int32_t)in->len }, res;
    wr_error we;
    if (wr_call(inst, "alloc", &arg, 1, &res, 1, &we))
        return run_fail(err, x->p, "alloc", &we);
    uint64_t size;
    uint8_t *mem = wr_instance_memory(inst, &size);
    uint8_t *dst = span(mem, size, (uint32_t)res.of.i32, in->len);
    *ptr = (uint32_t)res.of.i32;
    if (!dst)
        return pfail(err, WH_E_FORMAT, x->p, "%s: alloc(%zu) returned %u, outside "
                     "memory", x->func, in->len, (unsigned)*ptr);
    if (in->len)
        memcpy(dst, in->data, in->len);
    return 0;
}

/* 0 when func is exported as (i32 x 2n) -> i64. */
static int check_func(wr_instance *inst, const call_ctx *x, size_t n, wr_extern *f,
                      wh_err *err)
{
    if (wr_instance_export(inst, x->func, f) || f->kind != WR_EXTERN_FUNC)
        return pfail(err, WH_E_FORMAT, x->p, "%s: is not exported", x->func);
    const wr_functype *t = wr_func_type(*f);
    if (t->nparams != 2 * n || t->nresults != 1 || t->results[0] != WR_I64 ||
        memcmp(t->params, i32x8, sizeof(wr_type) * t->nparams))
        return pfail(err, WH_E_FORMAT, x->p, "%s: is not a function of %zu i32 "
                     "parameters returning i64", x->func, 2 * n);
    return 0;
}

/* Read the JSON that (ptr << 32) | len names in the instance's memory. */
static int read_result(wr_instance *inst, const call_ctx *x, uint64_t r,
                       size_t cap, json_t **out, wh_err *err)
{
    uint32_t ptr = (uint32_t)(r >> 32), len = (uint32_t)r;
    if (len > cap)
        return pfail(err, WH_E_LIMIT, x->p, "%s: result of %u bytes is over its "
                     "%zu cap", x->func, (unsigned)len, cap);
    if (!len)
        return pfail(err, WH_E_FORMAT, x->p, "%s: returned no result", x->func);
    uint64_t size;
    uint8_t *mem = wr_instance_memory(inst, &size);
    const uint8_t *s = span(mem, size, ptr, len);
    if (!s)
        return pfail(err, WH_E_FORMAT, x->p, "%s: result points outside memory", x->func);
    size_t bad = utf8_check(s, len);
    if (bad < len)
        return pfail(err, WH_E_FORMAT, x->p, "%s: result is not UTF-8: byte %zu",
                     x->func, bad);
    wh_err je;
    if (wh_json_parse((const char *)s, len, NULL, out, &je))
        return pfail(err, je.code, x->p, "%s: result is not JSON: line %d column "
                     "%d: %s", x->func, je.line, je.col, je.reason);
    return 0;
}

/* Inputs in, call, result out: the body of wh_plugin_call. */
static int run(wr_instance *inst, const call_ctx *x, const wh_plugin_input *in,
               size_t n, size_t cap, json_t **out, wh_err *err)
{
    wr_value args[8], res;
    wr_extern f;
    wr_error we;
    int rc = check_func(inst, x, n, &f, err);
    for (size_t i = 0; !rc && i < n; i++) {
        uint32_t ptr = 0;
        rc = put_input(inst, x, &in[i], &ptr, err);
        args[2 * i] = (wr_value){ .type = WR_I32, .of.i32 = (int32_t)ptr };
        args[2 * i + 1] = (wr_value){ .type = WR_I32, .of.i32 = (int32_t)in[i].len };
    }
    if (rc)
        return rc;
    if (wr_call_func(inst, f, args, 2 * n, &res, 1, &we))
        return run_fail(err, x->p, x->func, &we);
    return read_result(inst, x, (uint64_t)res.of.i64, cap, out, err);
}

int wh_plugin_call(wh_plugin *p, const char *func, const wh_plugin_input *in,
                   size_t n, size_t out_cap, json_t **out, wh_plugin_stats *st,
                   wh_err *err)
{
    return wh_plugin_call_as(p, func, in, n, out_cap, p->log_user, out, st, err);
}

int wh_plugin_call_as(wh_plugin *p, const char *func, const wh_plugin_input *in,
                      size_t n, size_t out_cap, void *log_user, json_t **out,
                      wh_plugin_stats *st, wh_err *err)
{
    call_ctx x = { p, func, log_user };
    uint64_t t0 = now_us(), size = 0;
    wr_error we;
    int rc;
    *out = NULL;
    if (n > 4)
        return pfail(err, WH_E_USAGE, p, "%s: more than 4 inputs", func);
    for (size_t i = 0; i < n; i++)
        if (in[i].len > INT32_MAX)
            return pfail(err, WH_E_LIMIT, p, "%s: input %zu of %zu bytes is over "
                         "2 GiB", func, i, in[i].len);
    wr_store *s = wr_store_new();
    wr_instance *inst = s ? instantiate(s, &x, &we) : NULL;
    if (!s)
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    else if (!inst)
        rc = run_fail(err, p, func, &we);
    else
        rc = run(inst, &x, in, n, out_cap, out, err);
    if (st) {
        st->fuel = inst ? p->limits.fuel - wr_instance_fuel(inst) : 0;
        st->peak_memory = inst && wr_instance_memory(inst, &size) ? size : 0;
        st->time_us = now_us() - t0;
    }
    wr_store_free(s);
    return rc;
}

/* --- result shapes --------------------------------------------------------------- */

/* Fail with "plugin 'x': FUNC: result: REASON". */
__attribute__((format(printf, 4, 5)))
static int shape_fail(wh_err *err, const wh_plugin *p, const char *func,
                      const char *fmt, ...)
{
    char reason[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return pfail(err, WH_E_FORMAT, p, "%s: result: %s", func, reason);
}

static const char *quoted(char *buf, size_t n, const char *s)
{
    return wh_quote(buf, n, s, strlen(s));
}

/* 0 when r is an object whose keys are all in allowed (NULL-terminated). */
static int only_keys(const wh_plugin *p, const char *func, const json_t *r,
                     const char *const *allowed, wh_err *err)
{
    const char *k;
    json_t *v;
    char q[4 * 64 + 8];
    if (!json_is_object(r))
        return shape_fail(err, p, func, "not an object");
    json_object_foreach((json_t *)r, k, v) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], k))
            i++;
        if (!allowed[i])
            return shape_fail(err, p, func, "unknown key \"%s\"", quoted(q, sizeof q, k));
    }
    return 0;
}

/* 0 when key of r is absent (and !required) or an array of strings. */
static int string_array(const wh_plugin *p, const char *func, const json_t *r,
                        const char *key, int required, wh_err *err)
{
    json_t *a = json_object_get(r, key), *v;
    size_t i;
    if (!a && !required)
        return 0;
    if (!a)
        return shape_fail(err, p, func, "\"%s\" is missing", key);
    if (!json_is_array(a))
        return shape_fail(err, p, func, "\"%s\" is not an array", key);
    json_array_foreach(a, i, v)
        if (!json_is_string(v))
            return shape_fail(err, p, func, "\"%s\"[%zu] is not a string", key, i);
    return 0;
}

/* 0 when key of r is absent (and !required) or a string. */
static int string_field(const wh_plugin *p, const char *func, const json_t *r,
                        const char *key, int required, wh_err *err)
{
    json_t *v = json_object_get(r, key);
    if (!v && !required)
        return 0;
    if (!v)
        return shape_fail(err, p, func, "\"%s\" is missing", key);
    if (!json_is_string(v))
        return shape_fail(err, p, func, "\"%s\" is not a string", key);
    return 0;
}

/* 0 when key of r is a boolean. */
static int bool_field(const wh_plugin *p, const char *func, const json_t *r,
                      const char *key, wh_err *err)
{
    json_t *v = json_object_get(r, key);
    if (!v)
        return shape_fail(err, p, func, "\"%s\" is missing", key);
    if (!json_is_boolean(v))
        return shape_fail(err, p, func, "\"%s\" is not true or false", key);
    return 0;
}

/* 0 when o is an object of string pairs; where names it in errors. */
static int pairs(const wh_plugin *p, const char *func, const json_t *o,
                 const char *where, wh_err *err)
{
    const char *k;
    json_t *v;
    char q[4 * 64 + 8];
    if (!json_is_object(o))
        return shape_fail(err, p, func, "%snot an object", where);
    json_object_foreach((json_t *)o, k, v)
        if (!json_is_string(v))
            return shape_fail(err, p, func, "%s\"%s\" is not a string", where,
                              quoted(q, sizeof q, k));
    return 0;
}

int wh_plugin_check_validation(const wh_plugin *p, const char *func,
                               const json_t *r, wh_err *err)
{
    static const char *const keys[] = { "allowed", "message", "warnings", NULL };
    int rc = only_keys(p, func, r, keys, err);
    if (!rc)
        rc = bool_field(p, func, r, "allowed", err);
    if (!rc)
        rc = string_field(p, func, r, "message", 0, err);
    if (!rc)
        rc = string_array(p, func, r, "warnings", 1, err);
    return rc;
}

int wh_plugin_check_pairs(const wh_plugin *p, const char *func,
                          const json_t *r, wh_err *err)
{
    return pairs(p, func, r, "", err);
}

int wh_plugin_check_metadata(const wh_plugin *p, const json_t *r, wh_err *err)
{
    static const char *const keys[] = { "name", "version", "description", "authors",
                                        "license", "keywords", "dependencies", NULL };
    static const char *const f = "parse_metadata";
    json_t *deps = json_object_get(r, "dependencies");
    int rc = only_keys(p, f, r, keys, err);
    if (!rc)
        rc = string_field(p, f, r, "name", 1, err);
    if (!rc)
        rc = string_field(p, f, r, "version", 1, err);
    if (!rc)
        rc = string_field(p, f, r, "description", 0, err);
    if (!rc)
        rc = string_field(p, f, r, "license", 0, err);
    if (!rc)
        rc = string_array(p, f, r, "authors", 0, err);
    if (!rc)
        rc = string_array(p, f, r, "keywords", 0, err);
    if (!rc && deps)
        rc = pairs(p, f, deps, "\"dependencies\": ", err);
    return rc;
}

int wh_plugin_check_processed(const wh_plugin *p, const json_t *r,
                              uint8_t **data, size_t *len, wh_err *err)
{
    static const char *const keys[] = { "data", "modified", "metadata", NULL };
    static const char *const f = "process";
    *data = NULL;
    *len = 0;
    int rc = only_keys(p, f, r, keys, err);
    if (!rc)
        rc = string_field(p, f, r, "data", 1, err);
    if (!rc)
        rc = bool_field(p, f, r, "modified", err);
    if (!rc && !json_object_get(r, "metadata"))
        rc = shape_fail(err, p, f, "\"metadata\" is missing");
    if (!rc)
        rc = pairs(p, f, json_object_get(r, "metadata"), "\"metadata\": ", err);
    if (rc)
        return rc;
    json_t *d = json_object_get(r, "data");
    size_t n = json_string_length(d);
    wh_err be;
    if (!(*data = malloc(WH_BASE64_DECODED_MAX(n) + 1)))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (wh_base64_decode(*data, WH_BASE64_DECODED_MAX(n) + 1, len,
                         json_string_value(d), n, &be)) {
        free(*data);
        *data = NULL;
        return shape_fail(err, p, f, "\"data\": %s", be.reason);
    }
    return 0;
}

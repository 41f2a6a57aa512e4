/* spec_runner.c - runs the WebAssembly spec tests (wast2json's JSON) on wasmrt.
 *
 *   spec_runner [--verbose] FILE.json...
 *   spec_runner --self-test
 *   spec_runner --known-differences
 *
 * wabt's wast2json turns a .wast script into FILE.json, a list of
 * commands, plus FILE.N.wasm binaries beside it.  This program executes
 * the commands in order, through wasmrt's public API only (wasmrt.h),
 * one wr_store per file:
 *
 *   module              load FILE.N.wasm, instantiate it with the
 *                       registered modules and "spectest" as imports; it
 *                       becomes the current module (and $name's, if given)
 *   register            make a module's exports importable as "as"
 *   action              invoke an export, or get a global, unchecked
 *   assert_return       invoke/get and compare: integers exactly, floats
 *                       bitwise, nan:canonical / nan:arithmetic as the
 *                       spec defines them, references null or not
 *   assert_trap         the invoke (or instantiation) traps
 *   assert_exhaustion   the invoke traps (wasmrt's stack limits)
 *   assert_invalid      wr_module_load fails (invalid or malformed)
 *   assert_malformed    wr_module_load fails (binary modules only)
 *   assert_unlinkable   loads, but wr_instantiate fails with WR_ERR_LINK
 *   assert_uninstantiable  loads, but wr_instantiate traps
 * and every assert_ but assert_return also checks the message (below).
 *
 * Counting.  Every command counts as passed or failed, except modules in
 * text form, which are skipped: wast2json writes them only for
 * assert_malformed of the text format, a parser's business, not an
 * interpreter's.  Export names are looked up with their length
 * (wr_instance_export_n), since names.wast has some with NUL bytes.
 *
 * Messages.  As the reference interpreter does (run.ml, assert_message),
 * the script's "text" must be a prefix of the error's message: here
 * wr_error.msg, which is wr_error_format()'s text without its
 * "offset 0x...: " prefix (the reference interpreter keeps positions out
 * of its messages too).  The comparison is bytewise, so "unknown memory"
 * accepts "unknown memory 0", and "unknown memory 1" accepts "unknown
 * memory 10", exactly as there.  A mismatch fails the assertion, unless
 * file, line, expected text and our message are all one row of
 * known_diffs[], the deliberate differences, each explained in
 * docs/spec-tests.md; a row whose file ran without the difference
 * occurring fails too, so the table cannot go stale.  --known-differences
 * prints the table as the Markdown rows the documentation must contain
 * (wasm-spec.sh checks that it does).  wasmrt's own traps ("deadline
 * exceeded", "out of fuel") never pass as a spec trap: they mean the
 * test hung.
 *
 * Externref values of the script ("externref" n) are host pointers
 * (void *)(n + 1), both in arguments and in expected results, so that
 * 0 is not the null reference.  Non-null funcref results are only
 * checked to be non-null: the script cannot name a function.
 *
 * Every instance gets a 10 s deadline per call (wr_limits.timeout_ms) and
 * wasmrt's default stack limits, so a looping interpreter cannot hang
 * the suite.
 *
 * Output: "FAIL file:line: what: why" for each failure, a summary line
 * per file ("wasm-spec/x.wast: P passed, F failed, S skipped, M messages
 * checked, K known differences") and "RESULT wasm-spec/x.wast P F" for
 * tests/run.sh; --verbose adds a line per command and per message
 * compared.  The exit status is 1 when anything failed, 2 on usage
 * errors.
 *
 * Tests: tests/conformance/wasm-spec.sh runs this program on the suite;
 * --self-test checks the value parsing and comparison, the message
 * comparison and the table lookup; docs/spec-tests.md.
 */
#include "tests/spec/spectest.h"
#include "wasmrt/wasmrt.h"

#include <jansson.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_WASM      (64u << 20)   /* largest .wasm file read */
#define CALL_TIMEOUT  10000         /* ms per wr_call */

enum { OUT_PASS, OUT_FAIL, OUT_SKIP };

/* --- values ------------------------------------------------------------ */

/* What an expected result asks for. */
typedef enum exp_kind {
    EXP_EXACT,            /* v, bit for bit */
    EXP_NAN_CANONICAL,    /* a canonical NaN of v.type, either sign */
    EXP_NAN_ARITHMETIC,   /* a NaN with the quiet bit set, either sign */
    EXP_NONNULL,          /* any non-null reference of v.type */
    EXP_ANY,              /* any value of v.type (no "value" given) */
} exp_kind;

typedef struct expected {
    exp_kind kind;
    wr_value v;
} expected;

static const struct {
    const char *name;
    wr_type     type;
} type_names[] = {
    {"i32", WR_I32}, {"i64", WR_I64}, {"f32", WR_F32}, {"f64", WR_F64},
    {"funcref", WR_FUNCREF}, {"externref", WR_EXTERNREF},
};

static int parse_type(const char *s, wr_type *t)
{
    for (size_t i = 0; s && i < sizeof type_names / sizeof type_names[0]; i++)
        if (strcmp(s, type_names[i].name) == 0) {
            *t = type_names[i].type;
            return 0;
        }
    return -1;
}

/* An unsigned decimal no larger than max (wast2json writes every number
 * so, floats as their bits). */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static void *extern_ref(uint64_t n)
{
    return (void *)(uintptr_t)(n + 1);
}

/* A concrete value of type t from its wast2json text; refs "null", and
 * externref n.  Returns 0, or -1 when s does not fit t. */
static int parse_bits(wr_type t, const char *s, wr_value *v)
{
    uint64_t n;
    memset(v, 0, sizeof *v);
    v->type = t;
    if (t == WR_FUNCREF || t == WR_EXTERNREF) {
        if (s && strcmp(s, "null") == 0)
            return 0;
        if (t == WR_FUNCREF || parse_uint(s, UINTPTR_MAX - 1, &n) < 0)
            return -1;
        v->of.ref = extern_ref(n);
        return 0;
    }
    uint64_t max = (t == WR_I32 || t == WR_F32) ? UINT32_MAX : UINT64_MAX;
    if (parse_uint(s, max, &n) < 0)
        return -1;
    if (t == WR_I32)
        v->of.i32 = (int32_t)(uint32_t)n;
    else if (t == WR_F32)
        v->of.f32 = (uint32_t)n;
    else if (t == WR_I64)
        v->of.i64 = (int64_t)n;
    else
        v->of.f64 = n;
    return 0;
}

/* An argument {"type": T, "value": S}.  Returns 0 or -1. */
static int parse_arg(json_t *j, wr_value *v)
{
    wr_type t;
    if (parse_type(json_string_value(json_object_get(j, "type")), &t) < 0)
        return -1;
    return parse_bits(t, json_string_value(json_object_get(j, "value")), v);
}

/* An expected result: a value, "nan:canonical", "nan:arithmetic", a
 * non-null funcref (any number), or just a type. */
static int parse_expected(json_t *j, expected *e)
{
    wr_type t;
    memset(e, 0, sizeof *e);
    if (parse_type(json_string_value(json_object_get(j, "type")), &t) < 0)
        return -1;
    e->v.type = t;
    const char *s = json_string_value(json_object_get(j, "value"));
    if (!s) {
        e->kind = EXP_ANY;
        return 0;
    }
    if (t == WR_F32 || t == WR_F64) {
        if (strcmp(s, "nan:canonical") == 0) {
            e->kind = EXP_NAN_CANONICAL;
            return 0;
        }
        if (strcmp(s, "nan:arithmetic") == 0) {
            e->kind = EXP_NAN_ARITHMETIC;
            return 0;
        }
    }
    uint64_t n;
    if (t == WR_FUNCREF && strcmp(s, "null") != 0) {
        e->kind = EXP_NONNULL;
        return parse_uint(s, UINT64_MAX, &n);
    }
    e->kind = EXP_EXACT;
    return parse_bits(t, s, &e->v);
}

/* Does got satisfy e?  NaN classes per the spec (4.3.3): canonical NaNs
 * have only the quiet bit of the payload set; arithmetic NaNs have it set
 * and anything in the rest of the payload; the sign is free in both. */
static int value_matches(const expected *e, const wr_value *got)
{
    wr_type t = e->v.type;
    if (got->type != t)
        return 0;
    uint64_t bits = t == WR_F32 ? got->of.f32 : got->of.f64;
    uint64_t qnan = t == WR_F32 ? 0x7fc00000u : 0x7ff8000000000000u;
    uint64_t abs = t == WR_F32 ? bits & 0x7fffffffu
                               : bits & 0x7fffffffffffffffu;
    switch (e->kind) {
    case EXP_ANY:
        return 1;
    case EXP_NONNULL:
        return got->of.ref != NULL;
    case EXP_NAN_CANONICAL:
        return abs == qnan;
    case EXP_NAN_ARITHMETIC:
        return (abs & qnan) == qnan;
    case EXP_EXACT:
        break;
    }
    switch (t) {
    case WR_I32: return got->of.i32 == e->v.of.i32;
    case WR_I64: return got->of.i64 == e->v.of.i64;
    case WR_F32: return got->of.f32 == e->v.of.f32;
    case WR_F64: return got->of.f64 == e->v.of.f64;
    default:     return got->of.ref == e->v.of.ref;
    }
}

/* "i32:-1", "f32:0x7fc00000 (nan)", "externref:3", "funcref:null". */
static void fmt_value(const wr_value *v, char *buf, size_t n)
{
    float f;
    double d;
    switch (v->type) {
    case WR_I32:
        snprintf(buf, n, "i32:%" PRId32, v->of.i32);
        break;
    case WR_I64:
        snprintf(buf, n, "i64:%" PRId64, v->of.i64);
        break;
    case WR_F32:
        memcpy(&f, &v->of.f32, sizeof f);
        snprintf(buf, n, "f32:0x%08" PRIx32 " (%.9g)", v->of.f32, (double)f);
        break;
    case WR_F64:
        memcpy(&d, &v->of.f64, sizeof d);
        snprintf(buf, n, "f64:0x%016" PRIx64 " (%.17g)", v->of.f64, d);
        break;
    case WR_FUNCREF:
        if (v->of.ref)
            snprintf(buf, n, "funcref:%p", v->of.ref);
        else
            snprintf(buf, n, "funcref:null");
        break;
    case WR_EXTERNREF:
        if (v->of.ref)
            snprintf(buf, n, "externref:%" PRIuPTR,
                     (uintptr_t)v->of.ref - 1);
        else
            snprintf(buf, n, "externref:null");
        break;
    default:
        snprintf(buf, n, "?%d", (int)v->type);
    }
}

static void fmt_expected(const expected *e, char *buf, size_t n)
{
    const char *t = wr_type_name(e->v.type);
    switch (e->kind) {
    case EXP_NAN_CANONICAL:  snprintf(buf, n, "%s:nan:canonical", t); break;
    case EXP_NAN_ARITHMETIC: snprintf(buf, n, "%s:nan:arithmetic", t); break;
    case EXP_NONNULL:        snprintf(buf, n, "%s:non-null", t); break;
    case EXP_ANY:            snprintf(buf, n, "%s:any", t); break;
    case EXP_EXACT:          fmt_value(&e->v, buf, n); break;
    }
}

/* --- messages ------------------------------------------------------------- */

/* The reference interpreter's rule: the expected text is a prefix of the
 * message. */
static int message_matches(const char *want, const char *got)
{
    return strncmp(got, want, strlen(want)) == 0;
}

/* The deliberate differences from the reference interpreter's texts: the
 * file and line of the assertion, the script's text, wasmrt's message
 * (wr_error.msg) and why, as docs/spec-tests.md lists them. */
typedef struct known_diff {
    const char *file;
    long        line;
    const char *want, *got, *why;
} known_diff;

static const known_diff known_diffs[] = {
    {"bulk.wast", 221, "uninitialized element 2", "uninitialized element",
     "wasmrt's trap texts are constants: no element index"},
    {"memory_init.wast", 190, "unknown data segment",
     "data count section required",
     "wast2json's binary has data.drop but no data count section: "
     "malformed before it can be invalid"},
    {"memory_init.wast", 227, "unknown memory 0",
     "data count section required",
     "wast2json's binary has memory.init but no data count section: "
     "malformed before it can be invalid"},
    {"select.wast", 324, "invalid result arity", "type mismatch",
     "wast2json encodes `select (result)` as the untyped select 0x1b, "
     "which lacks operands"},
};

#define NKNOWN (sizeof known_diffs / sizeof known_diffs[0])

/* The row of known_diffs[] for this assertion and these texts, or -1. */
static int known_find(const char *file, long line, const char *want,
                      const char *got)
{
    for (size_t i = 0; i < NKNOWN; i++) {
        const known_diff *k = &known_diffs[i];
        if (k->line == line && strcmp(k->file, file) == 0 &&
            strcmp(k->want, want) == 0 && strcmp(k->got, got) == 0)
            return (int)i;
    }
    return -1;
}

/* A row as docs/spec-tests.md has it. */
static void known_row(const known_diff *k, char *buf, size_t n)
{
    snprintf(buf, n, "| %s:%ld | %s | %s | %s |", k->file, k->line, k->want,
             k->got, k->why);
}

/* --known-differences: every row, for wasm-spec.sh to find in the
 * documentation. */
static int print_known(void)
{
    char row[512];
    for (size_t i = 0; i < NKNOWN; i++) {
        known_row(&known_diffs[i], row, sizeof row);
        puts(row);
    }
    return 0;
}

/* --- the runner's state -------------------------------------------------- */

/* A name bound to an instance: "$M1" of a module command, or the "as"
 * of a register command.  Later bindings shadow earlier ones. */
typedef struct binding {
    char        *name;
    wr_instance *inst;
} binding;

typedef struct bindings {
    binding *v;
    size_t   n, cap;
} bindings;

typedef struct spectest_obj {
    const char *name;
    wr_extern   ext;
} spectest_obj;

typedef struct runner {
    int          verbose;
    char        *dir;          /* of the JSON file, for the .wasm files */
    char        *file;         /* "i32.wast", for messages */
    long         line;         /* of the command being run */
    char         what[512];    /* the command, for messages */

    wr_store    *store;
    spectest_obj spectest[SPECTEST_OBJECTS];
    int          nspectest;
    wr_instance *current;      /* of the last module command, or NULL */
    bindings     names;        /* module $names */
    bindings     registered;   /* register "as" names */

    long         pass, fail, skip;
    long         msgs, known;  /* messages compared; known_diffs[] met */
    unsigned char known_met[NKNOWN];
} runner;

static int fail(runner *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print a failure of the current command; returns OUT_FAIL. */
static int fail(runner *r, const char *fmt, ...)
{
    va_list ap;
    printf("FAIL %s:%ld: %s: ", r->file, r->line, r->what);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    return OUT_FAIL;
}

static const char *kind_name(int kind)
{
    static const char *const names[] = {
        "ok", "malformed", "invalid", "link", "trap", "exit", "nomem", "usage",
    };
    if (kind >= 0 && kind < (int)(sizeof names / sizeof names[0]))
        return names[kind];
    return "?";
}

/* "trap: unreachable", "invalid: offset 0x1f: type mismatch". */
static const char *fmt_error(const wr_error *err, char *buf, size_t n)
{
    char msg[300];
    wr_error_format(err, msg, sizeof msg);
    snprintf(buf, n, "%s: %s", kind_name(err->kind), msg);
    return buf;
}

/* Our own errors (no module, no export) in a wr_error, as usage errors. */
static int set_error(wr_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int set_error(wr_error *err, const char *fmt, ...)
{
    va_list ap;
    memset(err, 0, sizeof *err);
    err->kind = WR_ERR_USAGE;
    err->offset = -1;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* The script's text must be a prefix of err->msg, or the mismatch a row
 * of known_diffs[].  Returns OUT_PASS, or OUT_FAIL naming both texts. */
static int check_message(runner *r, const wr_error *err, const char *want)
{
    if (!want)
        return fail(r, "the script gives no expected message");
    r->msgs++;
    int k = message_matches(want, err->msg) ? -2
            : known_find(r->file, r->line, want, err->msg);
    if (r->verbose)
        printf("MESSAGE %s:%ld: expected \"%s\", got \"%s\"%s\n", r->file,
               r->line, want, err->msg, k >= 0 ? " (known difference)" : "");
    if (k == -1)
        return fail(r, "expected message \"%s\", got \"%s\"", want,
                    err->msg);
    if (k >= 0) {
        r->known++;
        r->known_met[k] = 1;
    }
    return OUT_PASS;
}

/* Rows of known_diffs[] for this file that did not occur fail: the
 * difference is gone (or moved), and the table must say so. */
static void check_known_met(runner *r)
{
    char row[512];
    for (size_t i = 0; i < NKNOWN; i++) {
        if (r->known_met[i] || strcmp(known_diffs[i].file, r->file) != 0)
            continue;
        known_row(&known_diffs[i], row, sizeof row);
        printf("FAIL %s:%ld: the known difference did not occur, remove "
               "it from spec_runner.c and docs/spec-tests.md: %s\n", r->file,
               known_diffs[i].line, row);
        r->fail++;
    }
}

static int bind(bindings *b, const char *name, wr_instance *inst)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        binding *v = realloc(b->v, cap * sizeof *v);
        if (!v)
            return -1;
        b->v = v;
        b->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    b->v[b->n].name = copy;
    b->v[b->n].inst = inst;
    b->n++;
    return 0;
}

static wr_instance *lookup(const bindings *b, const char *name)
{
    for (size_t i = b->n; i-- > 0;)
        if (strcmp(b->v[i].name, name) == 0)
            return b->v[i].inst;
    return NULL;
}

static void bindings_free(bindings *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].name);
    free(b->v);
    memset(b, 0, sizeof *b);
}

/* --- the spectest host module ------------------------------------------- */

/* spectest_add_fn: keep one object of spectest.h's module. */
static int spectest_keep(void *ctx, const char *name, wr_extern e)
{
    runner *r = ctx;
    if (r->nspectest == SPECTEST_OBJECTS)
        return -1;
    r->spectest[r->nspectest].name = name;
    r->spectest[r->nspectest++].ext = e;
    return 0;
}

static int spectest_init(runner *r, wr_error *err)
{
    return spectest_define(r->store, spectest_keep, r, err);
}

/* Find what an import names: a registered module's export, else
 * spectest's.  Returns 0, or -1 (the import stays unresolved, and
 * instantiation reports it). */
static int resolve(runner *r, const char *module, const char *name,
                   wr_extern *out)
{
    wr_instance *inst = lookup(&r->registered, module);
    if (inst)
        return wr_instance_export(inst, name, out);
    if (strcmp(module, "spectest") != 0)
        return -1;
    for (int i = 0; i < r->nspectest; i++)
        if (strcmp(r->spectest[i].name, name) == 0) {
            *out = r->spectest[i].ext;
            return 0;
        }
    return -1;
}

/* --- modules ------------------------------------------------------------ */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || cap >= MAX_WASM)
            break;
        uint8_t *b = realloc(buf, cap * 2);
        if (!b)
            free(buf);
        buf = b;
        cap *= 2;
    }
    if (buf && (ferror(f) || n >= MAX_WASM)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Load the command's "filename".  NULL with err filled on failure; an
 * unreadable file is a usage error. */
static wr_module *load(runner *r, json_t *c, wr_error *err)
{
    const char *name = json_string_value(json_object_get(c, "filename"));
    if (!name) {
        set_error(err, "command without a filename");
        return NULL;
    }
    size_t plen = strlen(r->dir) + strlen(name) + 2, len;
    char *path = malloc(plen);
    if (!path) {
        set_error(err, "out of memory");
        return NULL;
    }
    snprintf(path, plen, "%s/%s", r->dir, name);
    uint8_t *bytes = read_file(path, &len);
    wr_module *m = NULL;
    if (!bytes)
        set_error(err, "cannot read %s", path);
    else
        m = wr_module_load(bytes, len, err);
    free(bytes);
    free(path);
    return m;
}

/* Instantiate m with every import it names that we can resolve. */
static wr_instance *instantiate(runner *r, wr_module *m, wr_error *err)
{
    wr_imports *imp = wr_imports_new();
    if (!imp) {
        set_error(err, "out of memory");
        return NULL;
    }
    uint32_t n = wr_module_import_count(m);
    for (uint32_t i = 0; i < n; i++) {
        wr_import_info info;
        wr_extern ext;
        wr_module_import(m, i, &info);
        if (resolve(r, info.module, info.name, &ext) == 0 &&
            wr_imports_add(imp, info.module, info.name, ext, err) != 0) {
            wr_imports_free(imp);
            return NULL;
        }
    }
    wr_limits lim = {.timeout_ms = CALL_TIMEOUT};
    wr_instance *inst = wr_instantiate(r->store, m, imp, &lim, err);
    wr_imports_free(imp);
    return inst;
}

/* Load and instantiate: NULL with err filled on failure, and *phase
 * says which step failed (0 load, 1 instantiate). */
static wr_instance *load_instance(runner *r, json_t *c, wr_error *err,
                                  int *phase)
{
    *phase = 0;
    wr_module *m = load(r, c, err);
    if (!m)
        return NULL;
    *phase = 1;
    wr_instance *inst = instantiate(r, m, err);
    wr_module_free(m);
    return inst;
}

static int is_text(json_t *c)
{
    const char *t = json_string_value(json_object_get(c, "module_type"));
    return t && strcmp(t, "text") == 0;
}

/* --- actions ------------------------------------------------------------- */

/* The result of an action: its values (malloc'd) or the error. */
typedef struct outcome {
    int       rc;          /* 0 done, -1 failed (see err) */
    wr_value *vals;
    size_t    n;
    wr_error  err;
} outcome;

static wr_instance *action_instance(runner *r, json_t *act, wr_error *err)
{
    const char *mod = json_string_value(json_object_get(act, "module"));
    wr_instance *inst = mod ? lookup(&r->names, mod) : r->current;
    if (!inst && mod)
        set_error(err, "no module %s", mod);
    else if (!inst)
        set_error(err, "no current module");
    return inst;
}

/* Export names may contain NUL bytes (names.wast): they are looked up
 * with their length. */
static int do_get(runner *r, json_t *act, json_t *field, outcome *o)
{
    wr_extern ext;
    wr_instance *inst = action_instance(r, act, &o->err);
    if (!inst)
        return -1;
    if (wr_instance_export_n(inst, json_string_value(field),
                             json_string_length(field), &ext) != 0 ||
        ext.kind != WR_EXTERN_GLOBAL)
        return set_error(&o->err, "no global export of that name");
    o->vals = calloc(1, sizeof *o->vals);
    if (!o->vals)
        return set_error(&o->err, "out of memory");
    o->vals[0] = wr_global_get(ext);
    o->n = 1;
    return 0;
}

static int do_invoke(runner *r, json_t *act, json_t *field, outcome *o)
{
    wr_extern ext;
    wr_instance *inst = action_instance(r, act, &o->err);
    if (!inst)
        return -1;
    if (wr_instance_export_n(inst, json_string_value(field),
                             json_string_length(field), &ext) != 0 ||
        ext.kind != WR_EXTERN_FUNC)
        return set_error(&o->err, "no function export of that name");
    json_t *args = json_object_get(act, "args");
    size_t nargs = json_array_size(args);
    wr_value *argv = calloc(nargs + 1, sizeof *argv);
    if (!argv)
        return set_error(&o->err, "out of memory");
    for (size_t i = 0; i < nargs; i++)
        if (parse_arg(json_array_get(args, i), &argv[i]) < 0) {
            free(argv);
            return set_error(&o->err, "bad argument %zu", i);
        }
    const wr_functype *ft = wr_func_type(ext);
    o->n = ft ? ft->nresults : 0;
    o->vals = calloc(o->n + 1, sizeof *o->vals);
    int rc = o->vals ? wr_call_func(inst, ext, argv, nargs, o->vals, o->n,
                                    &o->err)
                     : set_error(&o->err, "out of memory");
    free(argv);
    return rc;
}

/* Run the command's "action", filling o. */
static void run_action(runner *r, json_t *c, outcome *o)
{
    json_t *act = json_object_get(c, "action");
    const char *type = json_string_value(json_object_get(act, "type"));
    json_t *field = json_object_get(act, "field");
    memset(o, 0, sizeof *o);
    if (!type || !json_is_string(field))
        o->rc = set_error(&o->err, "malformed action");
    else if (strcmp(type, "get") == 0)
        o->rc = do_get(r, act, field, o);
    else if (strcmp(type, "invoke") == 0)
        o->rc = do_invoke(r, act, field, o);
    else
        o->rc = set_error(&o->err, "unknown action type %s", type);
}

/* A name for messages: control bytes (NUL included) as \xNN. */
static void escape_name(json_t *s, char *buf, size_t n)
{
    const char *v = json_string_value(s);
    size_t len = v ? json_string_length(s) : 1, o = 0;
    if (!v)
        v = "?";
    for (size_t i = 0; i < len && o + 5 < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (ch < 0x20 || ch == 0x7f)
            o += (size_t)snprintf(buf + o, n - o, "\\x%02x", ch);
        else
            buf[o++] = (char)ch;
    }
    buf[o] = 0;
}

/* "invoke $M."f"(i32:1, f32:0x3f800000 (1))" for messages. */
static void describe_action(json_t *act, char *buf, size_t n)
{
    const char *type = json_string_value(json_object_get(act, "type"));
    const char *mod = json_string_value(json_object_get(act, "module"));
    char field[160];
    escape_name(json_object_get(act, "field"), field, sizeof field);
    size_t len = (size_t)snprintf(buf, n, "%s %s%s\"%s\"", type ? type : "?",
                                  mod ? mod : "", mod ? "." : "", field);
    json_t *args = json_object_get(act, "args");
    if (!json_is_array(args) || len >= n)
        return;
    for (size_t i = 0; i < json_array_size(args) && len < n; i++) {
        char v[64];
        wr_value val;
        if (parse_arg(json_array_get(args, i), &val) < 0)
            snprintf(v, sizeof v, "?");
        else
            fmt_value(&val, v, sizeof v);
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "(", v);
    }
    if (len < n)
        snprintf(buf + len, n - len, "%s", json_array_size(args) ? ")" : "()");
}

/* --- commands ------------------------------------------------------------ */

static int cmd_module(runner *r, json_t *c)
{
    wr_error err;
    char buf[400];
    int phase;
    if (is_text(c))
        return OUT_SKIP;
    r->current = load_instance(r, c, &err, &phase);
    if (!r->current)
        return fail(r, "%s failed: %s", phase ? "instantiation" : "loading",
                    fmt_error(&err, buf, sizeof buf));
    const char *name = json_string_value(json_object_get(c, "name"));
    if (name && bind(&r->names, name, r->current) != 0)
        return fail(r, "out of memory");
    return OUT_PASS;
}

static int cmd_register(runner *r, json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *as = json_string_value(json_object_get(c, "as"));
    wr_instance *inst = name ? lookup(&r->names, name) : r->current;
    if (!as)
        return fail(r, "no \"as\"");
    if (!inst)
        return fail(r, "no module %s", name ? name : "(current)");
    return bind(&r->registered, as, inst) ? fail(r, "out of memory")
                                          : OUT_PASS;
}

static int cmd_action(runner *r, json_t *c)
{
    outcome o;
    char buf[400];
    run_action(r, c, &o);
    free(o.vals);
    if (o.rc != 0)
        return fail(r, "expected success, got %s",
                    fmt_error(&o.err, buf, sizeof buf));
    return OUT_PASS;
}

/* Compare o's values with the "expected" list; print the first
 * difference. */
static int check_results(runner *r, json_t *c, const outcome *o)
{
    json_t *exp = json_object_get(c, "expected");
    char want[128], got[128];
    if (json_array_size(exp) != o->n)
        return fail(r, "expected %zu results, the function has %zu",
                    json_array_size(exp), o->n);
    for (size_t i = 0; i < o->n; i++) {
        expected e;
        if (parse_expected(json_array_get(exp, i), &e) < 0)
            return fail(r, "cannot parse expected result %zu", i);
        if (value_matches(&e, &o->vals[i]))
            continue;
        fmt_expected(&e, want, sizeof want);
        fmt_value(&o->vals[i], got, sizeof got);
        if (o->n == 1)
            return fail(r, "expected %s, got %s", want, got);
        return fail(r, "result %zu: expected %s, got %s", i, want, got);
    }
    return OUT_PASS;
}

static int cmd_assert_return(runner *r, json_t *c)
{
    outcome o;
    char buf[400];
    run_action(r, c, &o);
    int out = o.rc != 0 ? fail(r, "expected a return, got %s",
                               fmt_error(&o.err, buf, sizeof buf))
                        : check_results(r, c, &o);
    free(o.vals);
    return out;
}

/* A spec trap: WR_ERR_TRAP, and not one of wasmrt's limits. */
static int is_spec_trap(const wr_error *err)
{
    return err->kind == WR_ERR_TRAP &&
           strcmp(err->msg, "deadline exceeded") != 0 &&
           strcmp(err->msg, "out of fuel") != 0 &&
           strcmp(err->msg, "memory limit exceeded") != 0;
}

/* Instantiation must trap (assert_trap of a module,
 * assert_uninstantiable). */
static int expect_instantiation_trap(runner *r, json_t *c)
{
    wr_error err;
    char buf[400];
    int phase;
    const char *text = json_string_value(json_object_get(c, "text"));
    wr_instance *inst = load_instance(r, c, &err, &phase);
    if (inst)
        return fail(r, "expected trap \"%s\", instantiation succeeded",
                    text ? text : "");
    if (phase == 0 || !is_spec_trap(&err))
        return fail(r, "expected trap \"%s\", got %s", text ? text : "",
                    fmt_error(&err, buf, sizeof buf));
    return check_message(r, &err, text);
}

static int cmd_assert_trap(runner *r, json_t *c)
{
    outcome o;
    char buf[400];
    if (json_object_get(c, "filename"))
        return expect_instantiation_trap(r, c);
    run_action(r, c, &o);
    free(o.vals);
    const char *text = json_string_value(json_object_get(c, "text"));
    if (o.rc == 0)
        return fail(r, "expected trap \"%s\", got a result",
                    text ? text : "");
    if (!is_spec_trap(&o.err))
        return fail(r, "expected trap \"%s\", got %s", text ? text : "",
                    fmt_error(&o.err, buf, sizeof buf));
    return check_message(r, &o.err, text);
}

/* wasmrt's stack limits (exec.c) trap; the text is the script's, as for
 * any trap ("call stack exhausted"). */
static int cmd_assert_exhaustion(runner *r, json_t *c)
{
    outcome o;
    char buf[400];
    const char *text = json_string_value(json_object_get(c, "text"));
    run_action(r, c, &o);
    free(o.vals);
    if (o.rc == 0)
        return fail(r, "expected trap \"%s\", got a result",
                    text ? text : "");
    if (!is_spec_trap(&o.err))
        return fail(r, "expected trap \"%s\", got %s", text ? text : "",
                    fmt_error(&o.err, buf, sizeof buf));
    return check_message(r, &o.err, text);
}

/* wr_module_load must fail as malformed or invalid. */
static int expect_load_error(runner *r, json_t *c)
{
    wr_error err;
    char buf[400];
    const char *text = json_string_value(json_object_get(c, "text"));
    if (is_text(c))
        return OUT_SKIP;
    wr_module *m = load(r, c, &err);
    if (m) {
        wr_module_free(m);
        return fail(r, "expected \"%s\", the module loaded", text ? text : "");
    }
    if (err.kind != WR_ERR_INVALID && err.kind != WR_ERR_MALFORMED)
        return fail(r, "expected \"%s\", got %s", text ? text : "",
                    fmt_error(&err, buf, sizeof buf));
    return check_message(r, &err, text);
}

static int cmd_assert_unlinkable(runner *r, json_t *c)
{
    wr_error err;
    char buf[400];
    int phase;
    const char *text = json_string_value(json_object_get(c, "text"));
    wr_instance *inst = load_instance(r, c, &err, &phase);
    if (inst)
        return fail(r, "expected link error \"%s\", instantiation succeeded",
                    text ? text : "");
    if (phase == 0 || err.kind != WR_ERR_LINK)
        return fail(r, "expected link error \"%s\", got %s", text ? text : "",
                    fmt_error(&err, buf, sizeof buf));
    return check_message(r, &err, text);
}

typedef int (*cmd_fn)(runner *r, json_t *c);

static const struct {
    const char *type;
    cmd_fn      fn;
} commands[] = {
    {"module", cmd_module},
    {"register", cmd_register},
    {"action", cmd_action},
    {"assert_return", cmd_assert_return},
    {"assert_trap", cmd_assert_trap},
    {"assert_exhaustion", cmd_assert_exhaustion},
    {"assert_invalid", expect_load_error},
    {"assert_malformed", expect_load_error},
    {"assert_unlinkable", cmd_assert_unlinkable},
    {"assert_uninstantiable", expect_instantiation_trap},
};

/* "assert_return invoke "f"(i32:1)", "module foo.3.wasm",
 * "register $M as "m"". */
static void describe(json_t *c, const char *type, char *buf, size_t n)
{
    json_t *act = json_object_get(c, "action");
    const char *file = json_string_value(json_object_get(c, "filename"));
    const char *as = json_string_value(json_object_get(c, "as"));
    const char *name = json_string_value(json_object_get(c, "name"));
    char a[400];
    if (as) {
        snprintf(buf, n, "%s %s as \"%s\"", type, name ? name : "(current)",
                 as);
    } else if (act) {
        describe_action(act, a, sizeof a);
        snprintf(buf, n, "%s %s", type, a);
    } else if (file) {
        snprintf(buf, n, "%s %s", type, file);
    } else {
        snprintf(buf, n, "%s", type);
    }
}

static void run_command(runner *r, json_t *c)
{
    const char *type = json_string_value(json_object_get(c, "type"));
    int out = -1;
    r->line = (long)json_integer_value(json_object_get(c, "line"));
    describe(c, type ? type : "?", r->what, sizeof r->what);
    for (size_t i = 0; type && i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(type, commands[i].type) == 0)
            out = commands[i].fn(r, c);
    if (out < 0)
        out = fail(r, "unknown command");
    if (out == OUT_PASS)
        r->pass++;
    else if (out == OUT_FAIL)
        r->fail++;
    else
        r->skip++;
    if (r->verbose)
        printf("%s %s:%ld: %s\n", out == OUT_PASS ? "ok" : out == OUT_FAIL
               ? "not ok" : "skip", r->file, r->line, r->what);
}

/* --- files --------------------------------------------------------------- */

/* dir and "x.wast" of the JSON file at path. */
static int runner_names(runner *r, const char *path, json_t *root)
{
    const char *slash = strrchr(path, '/');
    r->dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    const char *src = json_string_value(json_object_get(root,
                                                        "source_filename"));
    const char *base = src ? src : path;
    if (strrchr(base, '/'))
        base = strrchr(base, '/') + 1;
    r->file = strdup(base);
    if (r->file && !src) {           /* x.json -> x.wast */
        char *dot = strrchr(r->file, '.');
        if (dot && strcmp(dot, ".json") == 0 && strlen(dot) >= 5)
            memcpy(dot, ".wast", 5);
    }
    return r->dir && r->file ? 0 : -1;
}

static void runner_free(runner *r)
{
    bindings_free(&r->names);
    bindings_free(&r->registered);
    wr_store_free(r->store);
    free(r->dir);
    free(r->file);
}

static void report(const runner *r, double secs)
{
    printf("wasm-spec/%s: %ld passed, %ld failed, %ld skipped, "
           "%ld messages checked, %ld known differences (%.2f s)\n", r->file,
           r->pass, r->fail, r->skip, r->msgs, r->known, secs);
    printf("RESULT wasm-spec/%s %ld %ld\n", r->file, r->pass, r->fail);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run one JSON file; 0 when everything passed. */
static int run_file(const char *path, int verbose)
{
    json_error_t je;
    runner r;
    wr_error err;
    char buf[400];
    double t0 = now();
    memset(&r, 0, sizeof r);
    r.verbose = verbose;
    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &je);
    json_t *cmds = json_object_get(root, "commands");
    if (runner_names(&r, path, root) != 0 || !json_is_array(cmds)) {
        printf("FAIL %s:%d: cannot read the commands: %s\n", path, je.line,
               root ? "no \"commands\" array" : je.text);
        r.fail = 1;
    } else if (!(r.store = wr_store_new()) || spectest_init(&r, &err) != 0) {
        printf("FAIL %s: cannot make the spectest module: %s\n", r.file,
               r.store ? fmt_error(&err, buf, sizeof buf) : "no store");
        r.fail = 1;
    } else {
        for (size_t i = 0; i < json_array_size(cmds); i++)
            run_command(&r, json_array_get(cmds, i));
        check_known_met(&r);
    }
    if (!r.file)
        r.file = strdup(path);
    report(&r, now() - t0);
    int failed = r.fail != 0;
    runner_free(&r);
    json_decref(root);
    return failed;
}

/* --- self-test ----------------------------------------------------------- */

/* Value parsing and comparison against known cases: "type", "value" as
 * wast2json writes them, then the bits a result may have, and whether
 * it should match. */
static const struct {
    const char *type, *value;
    int         parses;
    wr_type     got_type;
    uint64_t    got;         /* bits; refs: n for (void *)n */
    int         matches;
} self_cases[] = {
    {"i32", "4294967295", 1, WR_I32, 0xffffffffu, 1},
    {"i32", "4294967296", 0, WR_I32, 0, 0},
    {"i32", "0", 1, WR_I64, 0, 0},                 /* wrong type */
    {"i32", "-1", 0, WR_I32, 0, 0},
    {"i32", "12a", 0, WR_I32, 0, 0},
    {"i32", "", 0, WR_I32, 0, 0},
    {"i64", "18446744073709551615", 1, WR_I64, UINT64_MAX, 1},
    {"i64", "18446744073709551616", 0, WR_I64, 0, 0},
    {"i64", "9223372036854775808", 1, WR_I64, 0x8000000000000000u, 1},
    {"f32", "2143289344", 1, WR_F32, 0x7fc00000u, 1},
    {"f32", "2143289344", 1, WR_F32, 0xffc00000u, 0},     /* bitwise */
    {"f32", "nan:canonical", 1, WR_F32, 0x7fc00000u, 1},
    {"f32", "nan:canonical", 1, WR_F32, 0xffc00000u, 1},
    {"f32", "nan:canonical", 1, WR_F32, 0x7fc00001u, 0},
    {"f32", "nan:canonical", 1, WR_F32, 0x7f800000u, 0},
    {"f32", "nan:arithmetic", 1, WR_F32, 0x7fc00001u, 1},
    {"f32", "nan:arithmetic", 1, WR_F32, 0xffffffffu, 1},
    {"f32", "nan:arithmetic", 1, WR_F32, 0x7fa00000u, 0}, /* signalling */
    {"f32", "nan:arithmetic", 1, WR_F64, 0x7ff8000000000000u, 0},
    {"f64", "nan:canonical", 1, WR_F64, 0xfff8000000000000u, 1},
    {"f64", "nan:canonical", 1, WR_F64, 0x7ff8000000000001u, 0},
    {"f64", "nan:arithmetic", 1, WR_F64, 0x7ff8000000000001u, 1},
    {"f64", "nan:arithmetic", 1, WR_F64, 0x7ff4000000000000u, 0},
    {"f64", "nan:arithmetic", 1, WR_F64, 0x7ff0000000000000u, 0}, /* inf */
    {"f64", "9218868437227405312", 1, WR_F64, 0x7ff0000000000000u, 1},
    {"f64", "0", 1, WR_F64, 0x8000000000000000u, 0},      /* -0 != 0 */
    {"externref", "null", 1, WR_EXTERNREF, 0, 1},
    {"externref", "0", 1, WR_EXTERNREF, 1, 1},            /* n -> n+1 */
    {"externref", "0", 1, WR_EXTERNREF, 0, 0},
    {"externref", "1", 1, WR_EXTERNREF, 1, 0},
    {"externref", "x", 0, WR_EXTERNREF, 0, 0},
    {"funcref", "null", 1, WR_FUNCREF, 0, 1},
    {"funcref", "null", 1, WR_FUNCREF, 8, 0},
    {"funcref", "3", 1, WR_FUNCREF, 8, 1},                /* non-null */
    {"funcref", "3", 1, WR_FUNCREF, 0, 0},
    {"funcref", "3", 1, WR_EXTERNREF, 8, 0},
    {"v128", "0", 0, WR_I32, 0, 0},
};

static int self_case(size_t i)
{
    expected e;
    wr_value got = {.type = self_cases[i].got_type};
    json_t *j = json_pack("{s:s, s:s}", "type", self_cases[i].type,
                          "value", self_cases[i].value);
    int parses = j && parse_expected(j, &e) == 0;
    json_decref(j);
    if (parses != self_cases[i].parses)
        return 0;
    if (!parses)
        return 1;
    switch (got.type) {
    case WR_I32: got.of.i32 = (int32_t)(uint32_t)self_cases[i].got; break;
    case WR_I64: got.of.i64 = (int64_t)self_cases[i].got; break;
    case WR_F32: got.of.f32 = (uint32_t)self_cases[i].got; break;
    case WR_F64: got.of.f64 = self_cases[i].got; break;
    default:     got.of.ref = (void *)(uintptr_t)self_cases[i].got;
    }
    return value_matches(&e, &got) == self_cases[i].matches;
}

/* Arguments and descriptions of an invoke, as wast2json writes them. */
static int self_action(void)
{
    const char *text = "{\"type\": \"invoke\", \"module\": \"$M\", \"field\":"
        " \"f\", \"args\": [{\"type\": \"i32\", \"value\": \"4294967295\"},"
        " {\"type\": \"externref\", \"value\": \"7\"}, {\"type\": \"f32\","
        " \"value\": \"1065353216\"}]}";
    const char *want = "invoke $M.\"f\"(i32:-1, externref:7, "
                       "f32:0x3f800000 (1))";
    char buf[200];
    wr_value v;
    json_t *act = json_loads(text, 0, NULL);
    describe_action(act, buf, sizeof buf);
    int ok = strcmp(buf, want) == 0 &&
             parse_arg(json_array_get(json_object_get(act, "args"), 1), &v) == 0
             && v.type == WR_EXTERNREF && v.of.ref == extern_ref(7);
    json_decref(act);
    if (!ok)
        printf("FAIL self-test: describe_action gave %s\n", buf);
    return ok;
}

/* The prefix rule, and the table lookup needing all four fields. */
static const struct {
    const char *file;
    long        line;
    const char *want, *got;
    int         prefix, known;
} self_msgs[] = {
    {"x.wast", 1, "unreachable", "unreachable", 1, 0},
    {"x.wast", 1, "unknown memory", "unknown memory 0", 1, 0},
    {"x.wast", 1, "unknown memory 1", "unknown memory 10", 1, 0},
    {"x.wast", 1, "unknown memory 0", "unknown memory", 0, 0},
    {"x.wast", 1, "type mismatch", "Type mismatch", 0, 0},
    {"x.wast", 1, "type mismatch", "offset 0x1f: type mismatch", 0, 0},
    {"x.wast", 1, "integer overflow", "", 0, 0},
    {"x.wast", 1, "", "anything", 1, 0},
    {"select.wast", 324, "invalid result arity", "type mismatch", 0, 1},
    {"select.wast", 325, "invalid result arity", "type mismatch", 0, 0},
    {"select.wast", 324, "invalid result arity", "type mismatch.", 0, 0},
    {"select.wast", 324, "invalid result", "type mismatch", 0, 0},
    {"bulk.wast", 324, "invalid result arity", "type mismatch", 0, 0},
};

static int self_messages(void)
{
    int ok = 1;
    for (size_t i = 0; i < sizeof self_msgs / sizeof self_msgs[0]; i++) {
        int prefix = message_matches(self_msgs[i].want, self_msgs[i].got);
        int known = known_find(self_msgs[i].file, self_msgs[i].line,
                               self_msgs[i].want, self_msgs[i].got) >= 0;
        if (prefix == self_msgs[i].prefix && known == self_msgs[i].known)
            continue;
        printf("FAIL self-test message case %zu: \"%s\" against \"%s\"\n",
               i, self_msgs[i].want, self_msgs[i].got);
        ok = 0;
    }
    return ok;
}

static int self_test(void)
{
    int pass = 0, failed = 0;
    size_t n = sizeof self_cases / sizeof self_cases[0];
    for (size_t i = 0; i < n; i++) {
        if (self_case(i)) {
            pass++;
            continue;
        }
        failed++;
        printf("FAIL self-test case %zu: %s %s\n", i, self_cases[i].type,
               self_cases[i].value);
    }
    if (self_action())
        pass++;
    else
        failed++;
    if (self_messages())
        pass++;
    else
        failed++;
    printf("RESULT spec_runner.self-test %d %d\n", pass, failed);
    return failed != 0;
}

/* --- main ---------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: spec_runner [--verbose] FILE.json...\n"
                    "       spec_runner --self-test\n"
                    "       spec_runner --known-differences\n");
    return 2;
}

int main(int argc, char **argv)
{
    int verbose = 0, failed = 0, nfiles = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);    /* keep lines up to a crash */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else if (strcmp(argv[i], "--self-test") == 0)
            return self_test();
        else if (strcmp(argv[i], "--known-differences") == 0)
            return print_known();
        else if (argv[i][0] == '-')
            return usage();
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        nfiles++;
        failed |= run_file(argv[i], verbose);
    }
    return nfiles ? failed : usage();
}

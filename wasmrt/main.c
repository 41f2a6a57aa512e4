/* main.c - the wasmrt command: run a WASI command, or invoke one export.
 *
 *     wasmrt [OPTIONS] FILE.wasm [ARGS...]
 *     wasmrt [OPTIONS] --invoke NAME FILE.wasm [TYPE:VALUE...]
 *
 * The first form instantiates FILE with WASI preview 1 (wasi.c) and calls
 * its `_start` with ARGS (argv[0] is FILE); the guest's proc_exit code
 * becomes the exit status.  The second calls export NAME on a fresh
 * instance with typed arguments and prints its results one per line as
 * TYPE:VALUE.  Formats, options and exit statuses: docs/wasmrt.md ("The
 * wasmrt command") and docs/exit-codes.md.
 *
 * Design: one option table carries each option's argument name and help
 * (--help is printed from it); options are parsed by hand in git/curl
 * style (`--opt VALUE` or `--opt=VALUE`, options end at FILE or `--`)
 * because wasmrt links only libwasmrt.  Everything the command line can
 * get wrong (arguments of --invoke included) is checked against the
 * module's export types before anything runs.  This file alone prints.
 *
 * Tests: tests/cli/t0010-wasmrt-invoke.sh, t0011-wasmrt-wasi.sh,
 * t0012-wasmrt-escape.sh, t0013-wasmrt-limits.sh,
 * t0014-wasmrt-wasi-pointers.sh.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wasi.h"
#include "wasmrt.h"

/* Exit statuses (docs/exit-codes.md). */
enum {
    EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_FORMAT = 3,
    EXIT_NOTFOUND = 6, EXIT_TRAP = 8,
};

#define MAX_MODULE_BYTES (1u << 30)

/* --- options --------------------------------------------------------- */

enum { OPT_FUEL, OPT_MAX_MEMORY, OPT_TIMEOUT, OPT_DIR, OPT_ENV, OPT_INVOKE,
       OPT_HELP, OPT_VERSION };

static const struct option {
    const char *name;
    char        short_name;   /* 0: none */
    const char *arg;          /* NULL: takes no value */
    int         id;
    const char *help;
} options[] = {
    {"fuel", 0, "N", OPT_FUEL, "trap with \"out of fuel\" after N instructions"},
    {"max-memory", 0, "BYTES", OPT_MAX_MEMORY,
     "cap each linear memory at BYTES (suffixes K, M, G)"},
    {"timeout", 0, "MS", OPT_TIMEOUT,
     "trap with \"deadline exceeded\" after MS milliseconds"},
    {"dir", 0, "HOST[::GUEST]", OPT_DIR,
     "let the guest use directory HOST, under the name GUEST"},
    {"env", 0, "NAME=VALUE", OPT_ENV, "add a variable to the guest's environment"},
    {"invoke", 0, "NAME", OPT_INVOKE,
     "call export NAME with TYPE:VALUE arguments instead of _start"},
    {"help", 'h', NULL, OPT_HELP, "show this help and exit"},
    {"version", 'V', NULL, OPT_VERSION, "show the version and exit"},
};

#define NOPTIONS (sizeof options / sizeof options[0])

typedef struct cmdline {
    wr_limits        limits;
    const char      *invoke;        /* NULL: run _start */
    wr_wasi_preopen *dirs;
    int              ndirs;
    const char     **env;
    int              nenv;
    const char      *file;
    char           **args;          /* after FILE */
    int              nargs;
} cmdline;

static void usage(FILE *f)
{
    fputs("usage: wasmrt [OPTIONS] FILE.wasm [ARGS...]\n"
          "       wasmrt [OPTIONS] --invoke NAME FILE.wasm [TYPE:VALUE...]\n"
          "\n"
          "Run a WASI command (the _start export of FILE.wasm) with ARGS, or call\n"
          "one export and print its results as TYPE:VALUE, one per line.\n"
          "\n"
          "options:\n", f);
    for (size_t i = 0; i < NOPTIONS; i++) {
        char left[40];
        const struct option *o = &options[i];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s", o->short_name, o->name);
        else
            snprintf(left, sizeof left, "    --%s %s", o->name, o->arg ? o->arg : "");
        fprintf(f, "  %-26s %s\n", left, o->help);
    }
    fputs("\n"
          "TYPE:VALUE is i32:-7, i64:0xff, f32:1.5, f64:-0x1.8p3, f32:inf, f64:nan,\n"
          "f32:nan:0x200000, funcref:null, externref:null or externref:N.\n"
          "Exit status: the guest's, or 2 usage, 3 bad module, 6 not found, 8 trap.\n",
          f);
}

static int usage_error(const char *fmt, const char *what)
{
    fputs("wasmrt: ", stderr);
    fprintf(stderr, fmt, what);
    fputs("\nusage: wasmrt [OPTIONS] FILE.wasm [ARGS...]  (see wasmrt --help)\n",
          stderr);
    return EXIT_USAGE;
}

/* Unsigned decimal; 0 and sets *v, -1 when s is not one. */
static int parse_u64(const char *s, uint64_t *v)
{
    *v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || *v > (UINT64_MAX - 9) / 10)
            return -1;
        *v = *v * 10 + (uint64_t)(*s - '0');
    }
    return 0;
}

/* BYTES with an optional K, M or G (binary multiples). */
static int parse_size(const char *s, uint64_t *v)
{
    char num[32];
    size_t n = strlen(s);
    uint64_t mul = 1;
    if (n == 0 || n >= sizeof num)
        return -1;
    switch (s[n - 1]) {
    case 'K': case 'k': mul = 1ull << 10; n--; break;
    case 'M': case 'm': mul = 1ull << 20; n--; break;
    case 'G': case 'g': mul = 1ull << 30; n--; break;
    }
    memcpy(num, s, n);
    num[n] = '\0';
    if (parse_u64(num, v) || *v > UINT64_MAX / mul)
        return -1;
    *v *= mul;
    return 0;
}

static int set_option(cmdline *cl, const struct option *o, char *val)
{
    uint64_t v;
    switch (o->id) {
    case OPT_FUEL:
        if (parse_u64(val, &v))
            return usage_error("invalid number of instructions '%s' for --fuel", val);
        cl->limits.fuel = v;
        return 0;
    case OPT_MAX_MEMORY:
        if (parse_size(val, &v))
            return usage_error("invalid size '%s' for --max-memory", val);
        cl->limits.max_memory = v;
        return 0;
    case OPT_TIMEOUT:
        if (parse_u64(val, &v))
            return usage_error("invalid number of milliseconds '%s' for --timeout", val);
        cl->limits.timeout_ms = v;
        return 0;
    case OPT_DIR: {
        char *sep = strstr(val, "::");
        wr_wasi_preopen *d = &cl->dirs[cl->ndirs++];
        d->host = val;
        d->guest = NULL;
        if (sep) {
            *sep = '\0';
            d->guest = sep + 2;
        }
        if (!*d->host || (d->guest && !*d->guest))
            return usage_error("invalid directory '%s' for --dir", val);
        return 0;
    }
    case OPT_ENV:
        if (!strchr(val, '=') || val[0] == '=')
            return usage_error("invalid variable '%s' for --env (NAME=VALUE)", val);
        cl->env[cl->nenv++] = val;
        return 0;
    case OPT_INVOKE:
        cl->invoke = val;
        return 0;
    }
    return 0;
}

static const struct option *find_option(const char *arg, size_t len)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        const struct option *o = &options[i];
        if (arg[1] == '-' ? strlen(o->name) == len - 2 &&
                                !strncmp(o->name, arg + 2, len - 2)
                          : len == 2 && o->short_name == arg[1])
            return &options[i];
    }
    return NULL;
}

/* Parse argv into cl; returns -1 to go on, or an exit status. */
static int parse_cmdline(int argc, char **argv, cmdline *cl)
{
    int i = 1;
    for (; i < argc; i++) {
        char *arg = argv[i];
        if (!strcmp(arg, "--")) {
            i++;
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0')
            break;
        char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
        const struct option *o = find_option(arg, eq ? (size_t)(eq - arg) : strlen(arg));
        if (!o) {
            if (eq)
                *eq = '\0';
            return usage_error("unknown option '%s'", arg);
        }
        char *val = eq ? eq + 1 : NULL;
        if (!o->arg && eq)
            return usage_error("option '--%s' takes no value", o->name);
        if (o->id == OPT_HELP) {
            usage(stdout);
            return EXIT_OK;
        }
        if (o->id == OPT_VERSION) {
            printf("wasmrt %s\n", wr_version());
            return EXIT_OK;
        }
        if (o->arg && !val) {
            if (i + 1 >= argc)
                return usage_error("option '--%s' requires a value", o->name);
            val = argv[++i];
        }
        int rc = set_option(cl, o, val);
        if (rc)
            return rc;
    }
    if (i >= argc)
        return usage_error("%s", "no module given");
    cl->file = argv[i];
    cl->args = argv + i + 1;
    cl->nargs = argc - i - 1;
    return -1;
}

/* --- values: TYPE:VALUE ---------------------------------------------------- */

static int type_from_name(const char *s, size_t n, wr_type *t)
{
    static const wr_type all[] = {WR_I32, WR_I64, WR_F32, WR_F64,
                                  WR_FUNCREF, WR_EXTERNREF};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *name = wr_type_name(all[i]);
        if (strlen(name) == n && !strncmp(name, s, n)) {
            *t = all[i];
            return 0;
        }
    }
    return -1;
}

/* Decimal or 0x hex digits into *mag. */
static int parse_magnitude(const char *s, uint64_t *mag)
{
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return -1;
    *mag = 0;
    for (; *s; s++) {
        int d;
        if (*s >= '0' && *s <= '9') d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
        else return -1;
        if (*mag > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return -1;
        *mag = *mag * (uint64_t)base + (uint64_t)d;
    }
    return 0;
}

/* An integer of bits 32 or 64: -2^(bits-1) .. 2^bits - 1, as bits. */
static int parse_int(const char *s, int bits, uint64_t *v)
{
    bool neg = *s == '-';
    uint64_t mag, max = bits == 32 ? UINT32_MAX : UINT64_MAX;
    if (parse_magnitude(s + (neg || *s == '+'), &mag))
        return -1;
    if (neg ? mag > (max >> 1) + 1 : mag > max)
        return -1;
    *v = neg ? (0 - mag) & max : mag;
    return 0;
}

/* A float of bits 32 or 64 as its bit pattern: C decimal or hex floats,
 * inf, nan (the canonical NaN) or nan:0xPAYLOAD, each with a sign. */
static int parse_float(const char *s, int bits, uint64_t *v)
{
    int mbits = bits == 32 ? 23 : 52;
    uint64_t sign = (*s == '-') ? 1ull << (bits - 1) : 0;
    uint64_t expo = (bits == 32 ? 0xffull : 0x7ffull) << mbits;
    uint64_t payload;
    s += (*s == '-' || *s == '+');
    if (!strcmp(s, "inf")) {
        *v = sign | expo;
        return 0;
    }
    if (!strcmp(s, "nan")) {
        *v = sign | expo | (1ull << (mbits - 1));
        return 0;
    }
    if (!strncmp(s, "nan:0x", 6)) {
        if (parse_magnitude(s + 4, &payload) || payload == 0 ||
            payload >= (1ull << mbits))
            return -1;
        *v = sign | expo | payload;
        return 0;
    }
    if (!((*s >= '0' && *s <= '9') || *s == '.'))
        return -1;
    char *end;
    if (bits == 32) {
        float f = strtof(s, &end);
        uint32_t b;
        memcpy(&b, &f, 4);
        *v = b | sign;
    } else {
        double d = strtod(s, &end);
        memcpy(v, &d, 8);
        *v |= sign;
    }
    return *end ? -1 : 0;
}

static int parse_ref(const char *s, wr_type t, wr_value *v)
{
    uint64_t n;
    v->of.ref = NULL;
    if (!strcmp(s, "null"))
        return 0;
    /* externref:N: an opaque non-null reference the guest can only pass
     * around; it prints back as externref:N. */
    if (t == WR_FUNCREF || parse_u64(s, &n) || n == 0 || n > UINTPTR_MAX)
        return -1;
    v->of.ref = (void *)(uintptr_t)n;
    return 0;
}

/* Parse "TYPE:VALUE" into v. */
static int parse_value(const char *arg, wr_value *v)
{
    const char *colon = strchr(arg, ':');
    uint64_t bits;
    if (!colon || type_from_name(arg, (size_t)(colon - arg), &v->type))
        return -1;
    const char *s = colon + 1;
    switch (v->type) {
    case WR_I32:
        if (parse_int(s, 32, &bits))
            return -1;
        v->of.i32 = (int32_t)(uint32_t)bits;
        return 0;
    case WR_I64:
        if (parse_int(s, 64, &bits))
            return -1;
        v->of.i64 = (int64_t)bits;
        return 0;
    case WR_F32:
        if (parse_float(s, 32, &bits))
            return -1;
        v->of.f32 = (uint32_t)bits;
        return 0;
    case WR_F64:
        if (parse_float(s, 64, &bits))
            return -1;
        v->of.f64 = bits;
        return 0;
    case WR_FUNCREF:
    case WR_EXTERNREF:
        return parse_ref(s, v->type, v);
    }
    return -1;
}

/* inf, -inf, nan:0xPAYLOAD, -nan:0xPAYLOAD, or NULL for a finite value. */
static const char *nonfinite(uint64_t bits, int nbits, char *buf, size_t n)
{
    int mbits = nbits == 32 ? 23 : 52;
    uint64_t mant = bits & ((1ull << mbits) - 1);
    uint64_t expo = (bits >> mbits) & (nbits == 32 ? 0xff : 0x7ff);
    const char *sign = bits >> (nbits - 1) ? "-" : "";
    if (expo != (nbits == 32 ? 0xffu : 0x7ffu))
        return NULL;
    if (mant == 0)
        snprintf(buf, n, "%sinf", sign);
    else
        snprintf(buf, n, "%snan:0x%" PRIx64, sign, mant);
    return buf;
}

static void print_value(wr_value v)
{
    char buf[64];
    switch (v.type) {
    case WR_I32:
        printf("i32:%" PRId32 "\n", v.of.i32);
        return;
    case WR_I64:
        printf("i64:%" PRId64 "\n", v.of.i64);
        return;
    case WR_F32: {
        float f;
        if (nonfinite(v.of.f32, 32, buf, sizeof buf)) {
            printf("f32:%s\n", buf);
            return;
        }
        memcpy(&f, &v.of.f32, 4);
        printf("f32:%a\n", (double)f);
        return;
    }
    case WR_F64: {
        double d;
        if (nonfinite(v.of.f64, 64, buf, sizeof buf)) {
            printf("f64:%s\n", buf);
            return;
        }
        memcpy(&d, &v.of.f64, 8);
        printf("f64:%a\n", d);
        return;
    }
    case WR_FUNCREF:
        printf("funcref:%s\n", v.of.ref ? "<non-null>" : "null");
        return;
    case WR_EXTERNREF:
        if (v.of.ref)
            printf("externref:%" PRIuPTR "\n", (uintptr_t)v.of.ref);
        else
            printf("externref:null\n");
        return;
    }
    printf("%s:?\n", wr_type_name(v.type));
}

/* --- running ----------------------------------------------------------- */

/* Print err and return the exit status for its kind. */
static int report(const char *file, const wr_error *err)
{
    char msg[400];
    wr_error_format(err, msg, sizeof msg);
    switch (err->kind) {
    case WR_ERR_TRAP:
        fprintf(stderr, "wasmrt: trap: %s\n", err->msg);
        return EXIT_TRAP;
    case WR_ERR_EXIT:
        return err->exit_code & 0xff;
    case WR_ERR_NOMEM:
        fprintf(stderr, "wasmrt: out of memory\n");
        return EXIT_ERROR;
    case WR_ERR_USAGE:
        fprintf(stderr, "wasmrt: %s\n", msg);
        return EXIT_USAGE;
    default:                      /* malformed, invalid, link */
        fprintf(stderr, "wasmrt: %s: %s\n", file, msg);
        return EXIT_FORMAT;
    }
}

static int read_module(const char *file, uint8_t **bytes, size_t *len)
{
    FILE *f = fopen(file, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st)) {
        int e = errno;
        fprintf(stderr, "wasmrt: %s: cannot open: %s\n", file, strerror(e));
        if (f)
            fclose(f);
        return e == ENOENT || e == ENOTDIR ? EXIT_NOTFOUND : EXIT_ERROR;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > MAX_MODULE_BYTES) {
        fprintf(stderr, "wasmrt: %s: %s\n", file, S_ISREG(st.st_mode)
                ? "module larger than 1 GiB" : "not a regular file");
        fclose(f);
        return EXIT_FORMAT;
    }
    *len = (size_t)st.st_size;
    *bytes = malloc(*len ? *len : 1);
    if (!*bytes || fread(*bytes, 1, *len, f) != *len) {
        fprintf(stderr, "wasmrt: %s: %s\n", file, *bytes ? "read error" : "out of memory");
        fclose(f);
        return EXIT_ERROR;
    }
    fclose(f);
    return EXIT_OK;
}

/* The export's type, or NULL. */
static const wr_externtype *export_type(const wr_module *m, const char *name,
                                        wr_export_info *info)
{
    for (uint32_t i = 0; i < wr_module_export_count(m); i++) {
        wr_module_export(m, i, info);
        if (!strcmp(info->name, name))
            return &info->type;
    }
    return NULL;
}

/* Check the command line against the export: *args gets the values. */
static int check_invoke(const cmdline *cl, const wr_module *m,
                        wr_value *args, const wr_functype **ft,
                        wr_export_info *info)
{
    const wr_externtype *t = export_type(m, cl->invoke, info);
    if (!t) {
        fprintf(stderr, "wasmrt: %s: unknown export '%s'\n", cl->file, cl->invoke);
        return EXIT_NOTFOUND;
    }
    if (t->kind != WR_EXTERN_FUNC) {
        fprintf(stderr, "wasmrt: %s: export '%s' is not a function\n",
                cl->file, cl->invoke);
        return EXIT_USAGE;
    }
    *ft = &t->func;
    if ((uint32_t)cl->nargs != t->func.nparams) {
        fprintf(stderr, "wasmrt: '%s' takes %" PRIu32 " argument%s, got %d\n",
                cl->invoke, t->func.nparams, t->func.nparams == 1 ? "" : "s",
                cl->nargs);
        return EXIT_USAGE;
    }
    for (int i = 0; i < cl->nargs; i++) {
        if (parse_value(cl->args[i], &args[i])) {
            fprintf(stderr, "wasmrt: invalid value '%s' (expected TYPE:VALUE)\n",
                    cl->args[i]);
            return EXIT_USAGE;
        }
        if (args[i].type != t->func.params[i]) {
            fprintf(stderr, "wasmrt: argument %d of '%s' is %s, got '%s'\n",
                    i + 1, cl->invoke, wr_type_name(t->func.params[i]), cl->args[i]);
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

static int check_start(const cmdline *cl, const wr_module *m)
{
    wr_export_info info;
    const wr_externtype *t = export_type(m, "_start", &info);
    if (!t || t->kind != WR_EXTERN_FUNC) {
        fprintf(stderr, "wasmrt: %s: no '_start' function to run "
                "(use --invoke NAME to call an export)\n", cl->file);
        return EXIT_NOTFOUND;
    }
    if (t->func.nparams || t->func.nresults) {
        fprintf(stderr, "wasmrt: %s: '_start' must take and return nothing\n",
                cl->file);
        return EXIT_FORMAT;
    }
    return EXIT_OK;
}

/* Everything one run needs, freed by run_free. */
typedef struct run {
    wr_module  *module;
    wr_wasi    *wasi;
    wr_store   *store;
    wr_imports *imports;
    wr_instance *inst;
    wr_value   *args, *results;
    const char **argv;
} run;

static void run_free(run *r)
{
    wr_imports_free(r->imports);
    wr_store_free(r->store);
    wr_module_free(r->module);
    wr_wasi_free(r->wasi);
    free(r->args);
    free(r->results);
    free(r->argv);
}

static int make_wasi(const cmdline *cl, run *r)
{
    wr_wasi_config cfg;
    wr_error err;
    int n = cl->invoke ? 0 : cl->nargs;
    wr_wasi_config_init(&cfg);
    if (!(r->argv = calloc((size_t)n + 1, sizeof *r->argv)))
        return report(cl->file, &(wr_error){.kind = WR_ERR_NOMEM});
    r->argv[0] = cl->file;
    for (int i = 0; i < n; i++)
        r->argv[i + 1] = cl->args[i];
    cfg.argc = n + 1;
    cfg.argv = r->argv;
    cfg.envc = cl->nenv;
    cfg.env = cl->env;
    cfg.npreopens = cl->ndirs;
    cfg.preopens = cl->dirs;
    if ((r->wasi = wr_wasi_new(&cfg, &err)))
        return EXIT_OK;
    int e = errno;
    if (err.kind != WR_ERR_USAGE)
        return report(cl->file, &err);
    fprintf(stderr, "wasmrt: %s\n", err.msg);
    return e == ENOENT || e == ENOTDIR ? EXIT_NOTFOUND : EXIT_ERROR;
}

static int instantiate(const cmdline *cl, run *r)
{
    wr_error err;
    r->store = wr_store_new();
    r->imports = wr_imports_new();
    if (!r->store || !r->imports)
        return report(cl->file, &(wr_error){.kind = WR_ERR_NOMEM});
    if (wr_wasi_link(r->wasi, r->store, r->imports, &err))
        return report(cl->file, &err);
    wr_wasi_set_timeout(r->wasi, cl->limits.timeout_ms);
    r->inst = wr_instantiate(r->store, r->module, r->imports, &cl->limits, &err);
    if (!r->inst) {
        int64_t code = wr_wasi_exit_code(r->wasi, -1, &err);
        return code >= 0 ? (int)(code & 0xff) : report(cl->file, &err);
    }
    return EXIT_OK;
}

static int invoke(const cmdline *cl, run *r)
{
    const wr_functype *ft;
    wr_export_info info;
    wr_error err;
    r->args = calloc((size_t)cl->nargs + 1, sizeof *r->args);
    if (!r->args)
        return report(cl->file, &(wr_error){.kind = WR_ERR_NOMEM});
    int rc = check_invoke(cl, r->module, r->args, &ft, &info);
    if (rc)
        return rc;
    uint32_t nres = ft->nresults;     /* ft lives as long as the module */
    if (!(r->results = calloc((size_t)nres + 1, sizeof *r->results)))
        return report(cl->file, &(wr_error){.kind = WR_ERR_NOMEM});
    if ((rc = make_wasi(cl, r)) || (rc = instantiate(cl, r)))
        return rc;
    wr_wasi_set_timeout(r->wasi, cl->limits.timeout_ms);
    if (wr_call(r->inst, cl->invoke, r->args, (size_t)cl->nargs, r->results,
                nres, &err))
        return report(cl->file, &err);
    for (uint32_t i = 0; i < nres; i++)
        print_value(r->results[i]);
    return EXIT_OK;
}

static int run_start(const cmdline *cl, run *r)
{
    wr_error err;
    int rc = check_start(cl, r->module);
    if (rc || (rc = make_wasi(cl, r)) || (rc = instantiate(cl, r)))
        return rc;
    wr_wasi_set_timeout(r->wasi, cl->limits.timeout_ms);
    rc = wr_call(r->inst, "_start", NULL, 0, NULL, 0, &err);
    int64_t code = wr_wasi_exit_code(r->wasi, rc, &err);
    /* Statuses wrap at 256 as the host's exit() does, so the guest's
     * exit(-1) is 255 here as natively. */
    return code >= 0 ? (int)(code & 0xff) : report(cl->file, &err);
}

static int run_main(cmdline *cl)
{
    run r = {0};
    uint8_t *bytes = NULL;
    size_t len = 0;
    wr_error err;
    int rc = read_module(cl->file, &bytes, &len);
    if (rc)
        return rc;
    r.module = wr_module_load(bytes, len, &err);
    free(bytes);
    if (!r.module)
        return report(cl->file, &err);
    rc = cl->invoke ? invoke(cl, &r) : run_start(cl, &r);
    run_free(&r);
    return rc;
}

int main(int argc, char **argv)
{
    cmdline cl = {0};
    /* A guest writing to a closed pipe gets EPIPE, not our death. */
    signal(SIGPIPE, SIG_IGN);
    cl.dirs = calloc((size_t)argc, sizeof *cl.dirs);
    cl.env = calloc((size_t)argc, sizeof *cl.env);
    if (!cl.dirs || !cl.env) {
        fprintf(stderr, "wasmrt: out of memory\n");
        return EXIT_ERROR;
    }
    int rc = parse_cmdline(argc, argv, &cl);
    if (rc < 0)
        rc = run_main(&cl);
    free(cl.dirs);
    free(cl.env);
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "wasmrt: cannot write results: %s\n", strerror(errno));
        return EXIT_ERROR;
    }
    return rc;
}

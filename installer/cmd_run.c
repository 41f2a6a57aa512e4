/* cmd_run.c - `wharf run NAME[@REQ] [FUNC] [-- ARGS...]`: run an installed
 * module in wasmrt, under limits and Ferrite's grants.
 *
 * WHICH MODULE.  NAME is looked up in installed.json (state.c) alone: no
 * source, no network, no lock, so a run costs a few file reads beside the
 * module.  NAME@REQ must match the installed version.  A .ferrpkg runs its
 * modules/NAME/VERSION/module.wasm, a bundle the one .wasm at the root of
 * its folder (the bundle reader allows exactly one there, and records it
 * in "files"); a PAR is refused, being a native binary, and so is a
 * "format:PLUGIN" package (a file a wharf-index plugin indexed).  The module's
 * bytes must have the size and SHA-256 installed.json recorded (the
 * check costs some microseconds and means `run` never executes a file
 * changed since it was verified).  --file MODULE.wasm runs a file
 * instead, for authors and tests.
 *
 * WHAT IS CALLED, in this order of rules:
 *   1. No FUNC, or FUNC "_start": a WASI command (_start), ARGS after "--"
 *      its arguments (argv[0] is NAME), --dir its preopens; its exit
 *      status is ours.  No FUNC and no _start: a usage error listing the
 *      functions the module exports.
 *   2. The buffer convention (Ferrite UDFs): the module exports
 *      get_buffer_ptr and get_buffer_cap, FUNC is (i32) -> i32 and no
 *      --arg is given.  The input (--input TEXT, --input-file F, or none)
 *      is copied to the buffer, FUNC(len) called and its result printed.
 *   3. Otherwise FUNC takes one --arg per parameter, read as the
 *      parameter's type (i32/i64 decimal or 0x hex, f32/f64 as C reads
 *      them, inf and nan included, references only "null"), and its
 *      results are printed one per line.
 *   A reactor's _initialize (WASI's convention) runs before FUNC.
 *
 * IMPORTS.  wasi_snapshot_preview1 (wasmrt/wasi.h) and "ferrite"
 * (ferrite_host.c) are linked when the module imports them.
 *
 * STATUSES (docs/exit-codes.md, docs/run.md).  A trap or limit (fuel,
 * deadline, memory, call stack) is 8 with the reason: "out of fuel after
 * 10000000 instructions".  A denied store access returns the error code
 * to the guest, which goes on; the run then ends with status 4 (the
 * class of failed trust and permission checks) after printing what the
 * guest printed, unless the guest's own exit status is already non-zero.
 * The store (--store) is written only when the call succeeded: no trap,
 * no denial, exit status 0.
 *
 * Tests: tests/cli/t2020-wharf-run.sh, t2021-wharf-run-grants.sh;
 * tests/bench/run.sh measures start-up against `wasmrt --invoke`.
 */
#include "installer/installer.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/hex.h"
#include "common/sha256.h"
#include "installer/ferrite_host.h"
#include "installer/grants.h"
#include "installer/kvstore.h"
#include "installer/spec.h"
#include "wasmrt/wasi.h"
#include "wasmrt/wasmrt.h"

#define PROG "wharf run"
#define RUN_MAX_MODULE ((size_t)256 << 20)
#define RUN_MAX_INPUT  ((size_t)256 << 20)
#define WASI_MODULE    "wasi_snapshot_preview1"

enum {
    OPT_FILE = 2000, OPT_INPUT, OPT_INPUT_FILE, OPT_ARG, OPT_DIR, OPT_STORE,
    OPT_READ, OPT_WRITE, OPT_GRANTS, OPT_MEMORY, OPT_FUEL, OPT_TIMEOUT_MS,
};

static const wh_opt opts[] = {
    { OPT_ARG, "arg", "VALUE", "an argument of FUNC, read as its parameter's "
      "type (repeat it, in order)" },
    { OPT_INPUT, "input", "TEXT", "a UDF's input, copied to its buffer "
      "(get_buffer_ptr)" },
    { OPT_INPUT_FILE, "input-file", "FILE", "a UDF's input, from FILE" },
    { OPT_DIR, "dir", "HOST[::GUEST]", "let a WASI command use directory HOST, "
      "named GUEST (repeatable)" },
    { OPT_STORE, "store", "FILE", "the JSON store behind ferrite.get, set, ... "
      "(written only when the call succeeds)" },
    { OPT_READ, "read", "PATTERN", "grant READ of the keys PATTERN matches "
      "(Redis glob; repeatable)" },
    { OPT_WRITE, "write", "PATTERN", "grant WRITE of the keys PATTERN matches "
      "(Redis glob; repeatable)" },
    { OPT_GRANTS, "grants", "LINE", "grants and limits as Ferrite writes them: "
      "'READ user:* WRITE audit:* MEMORY 16MB TIMEOUT 1000'" },
    { OPT_MEMORY, "memory", "SIZE", "cap the module's memory (default 16MB)" },
    { OPT_FUEL, "fuel", "N", "stop after N instructions (default 10000000; "
      "0: no limit)" },
    { OPT_TIMEOUT_MS, "timeout", "MS", "stop a call after MS milliseconds "
      "(default 5000; 0: no limit)" },
    { OPT_FILE, "file", "MODULE.wasm", "run this module file instead of an "
      "installed module" },
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] =
    "wharf run [options] NAME[@REQ] [FUNC] [-- ARGS...]\n"
    "       wharf run [options] --file MODULE.wasm [FUNC] [-- ARGS...]";
static const char description[] =
    "Run an installed module in wasmrt: a WASI command (_start) with ARGS, a\n"
    "Ferrite UDF on --input, or any exported FUNC with --arg values.  Ferrite's\n"
    "host API reads and writes --store under the grants (deny by default).\n"
    "Exit status: the command's own, or 2 usage, 3 bad module, 4 denied,\n"
    "6 not installed, 8 trap or limit.";

/* What the command line asks for. */
typedef struct run_opts {
    ins_cmd_opts     common;
    const char      *file, *input, *input_file, *store;
    const char      *target, *func;
    const char     **args;           /* --arg values */
    int              nargs;
    wr_wasi_preopen *dirs;
    int              ndirs;
    char           **owned;          /* strings made from --dir */
    int              nowned;
    char           **wasi_args;      /* after "--" */
    int              nwasi, dashes;
    ins_grants       grants;
    ins_run_limits   lim;
} run_opts;

/* Everything one run holds; freed by run_free. */
typedef struct run {
    run_opts    *o;
    char         path[PATH_MAX + 600];   /* the module file */
    const char  *name;                   /* NAME, or the file */
    wr_module   *module;
    wr_store    *store;
    wr_imports  *imports;
    wr_instance *inst;
    wr_wasi     *wasi;
    ins_kv      *kv;
    ins_ferrite  ferrite;
    wr_value    *args;
    const char **argv;
} run;

/* --- the command line ------------------------------------------------------------ */

/* Where "--" ends wharf's part of argv (argc when absent): values of
 * options are skipped, so "--input --" gives "--" as the input. */
static int find_dashes(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            return i;
        if (a[0] != '-' || a[1] != '-' || strchr(a, '='))
            continue;
        for (const wh_opt *o = opts; o->id; o++)
            if (o->arg && !strcmp(o->name, a + 2)) {
                i++;
                break;
            }
    }
    return argc;
}

static int take_dir(run_opts *o, const char *val, wh_cli *cli)
{
    char *host = strdup(val), *sep;
    if (!host) {
        snprintf(cli->msg, sizeof cli->msg, "out of memory");
        return -1;
    }
    o->owned[o->nowned++] = host;
    wr_wasi_preopen *d = &o->dirs[o->ndirs++];
    d->host = host;
    d->guest = NULL;
    if ((sep = strstr(host, "::"))) {
        *sep = '\0';
        d->guest = sep + 2;
    }
    if (!*d->host || (d->guest && !*d->guest)) {
        snprintf(cli->msg, sizeof cli->msg, "invalid directory '%.200s' for --dir", val);
        return -1;
    }
    return 0;
}

static int take_number(uint64_t *dst, const char *val, const char *what, wh_cli *cli)
{
    long long v = wh_cli_number(val, 0, LLONG_MAX);
    if (v < 0) {
        snprintf(cli->msg, sizeof cli->msg, "--%s '%.200s' is not a number", what, val);
        return -1;
    }
    *dst = (uint64_t)v;
    return 0;
}

static int take_grants(run_opts *o, int c, const char *val, wh_cli *cli)
{
    wh_err e;
    uint64_t v;
    int rc = 0;
    if (c == OPT_MEMORY) {
        if (ins_size_parse(val, &v) || v == 0) {
            snprintf(cli->msg, sizeof cli->msg, "--memory '%.200s' is not a size "
                     "(like 16MB)", val);
            return -1;
        }
        o->lim.memory = v;
        return 0;
    }
    if (c == OPT_GRANTS)
        rc = ins_grants_parse_line(&o->grants, &o->lim, val, &e);
    else
        rc = ins_grants_add(&o->grants, c == OPT_READ ? INS_READ : INS_WRITE, val, &e);
    if (rc)
        snprintf(cli->msg, sizeof cli->msg, "%s", e.reason);
    return rc ? -1 : 0;
}

/* One option of ours into o: 0, or -1 with cli->msg. */
static int take(run_opts *o, int c, wh_cli *cli)
{
    switch (c) {
    case OPT_FILE: o->file = cli->arg; return 0;
    case OPT_INPUT: o->input = cli->arg; o->input_file = NULL; return 0;
    case OPT_INPUT_FILE: o->input_file = cli->arg; o->input = NULL; return 0;
    case OPT_ARG: o->args[o->nargs++] = cli->arg; return 0;
    case OPT_DIR: return take_dir(o, cli->arg, cli);
    case OPT_STORE: o->store = cli->arg; return 0;
    case OPT_FUEL: return take_number(&o->lim.fuel, cli->arg, "fuel", cli);
    case OPT_TIMEOUT_MS: return take_number(&o->lim.timeout_ms, cli->arg, "timeout", cli);
    }
    return take_grants(o, c, cli->arg, cli);
}

static int usage_error(wh_cli *cli, const char *fmt, const char *what)
{
    snprintf(cli->msg, sizeof cli->msg, fmt, what);
    return wh_cli_usage_error(cli);
}

/* Parse argv into o: -1 to go on, else an exit status. */
static int parse(run_opts *o, int argc, char **argv)
{
    wh_cli cli;
    int c, split = find_dashes(argc, argv);
    o->dashes = split < argc;
    o->wasi_args = argv + split + (split < argc);
    o->nwasi = argc - split - (split < argc);
    wh_cli_init(&cli, PROG, split, argv);
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        if (c == WH_CLI_HELP) {
            wh_cli_help(stdout, usage, description, opts);
            return WH_EXIT_OK;
        }
        int r = ins_cmd_opt(&o->common, c, &cli);
        if (r < 0 || (r == 0 && take(o, c, &cli) < 0))
            return wh_cli_usage_error(&cli);
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    int nop = cli.argc, want = o->file ? 1 : 2;
    if (!o->file && nop == 0)
        return usage_error(&cli, "%s", "no module named (NAME[@REQ], or --file MODULE.wasm)");
    if (nop > want)
        return usage_error(&cli, "unexpected argument '%.150s' (arguments of a "
                           "command go after '--')", cli.argv[want]);
    o->target = o->file ? NULL : cli.argv[0];
    o->func = nop == want ? cli.argv[want - 1] : NULL;
    return -1;
}

/* --- finding the module ---------------------------------------------------------- */

/* The module file of an installed entry, relative to its folder. */
static int module_rel(const char *name, json_t *entry, const char **rel,
                      wh_err *err)
{
    const char *kind = json_string_value(json_object_get(entry, "kind")), *f;
    json_t *v;
    *rel = NULL;
    if (!strcmp(kind, "par"))
        return wh_fail(err, WH_E_USAGE, NULL, -1, "'%s' is a PAR: a PAR is a "
                       "native provider: wharf runs WebAssembly modules", name);
    /* A file a plugin indexed.  (Not wh_index_format_plugin: bin/wharf
     * links no index reader.) */
    if (!strncmp(kind, WH_INDEX_FORMAT_PREFIX, sizeof WH_INDEX_FORMAT_PREFIX - 1))
        return wh_fail(err, WH_E_USAGE, NULL, -1, "'%s' is a %s package, not a "
                       "runnable module", name, kind);
    if (!strcmp(kind, "ferrpkg"))
        *rel = "module.wasm";
    else
        json_object_foreach(json_object_get(entry, "files"), f, v)
            if (!strchr(f, '/') && strlen(f) > 5 && !strcmp(f + strlen(f) - 5, ".wasm"))
                *rel = f;
    if (!*rel || !json_object_get(json_object_get(entry, "files"), *rel))
        return wh_fail(err, WH_E_FORMAT, INS_INSTALLED_FILE, -1, "module '%s': "
                       "no WebAssembly module among its files", name);
    return 0;
}

/* The bytes must be the ones installed: size and SHA-256 of the entry. */
static int check_installed(const char *path, json_t *file, const uint8_t *data,
                           size_t len, wh_err *err)
{
    uint8_t md[WH_SHA256_BYTES];
    char hex[2 * WH_SHA256_BYTES + 1];
    int rc = wh_sha256_buf(data, len, md, err);
    if (rc)
        return rc;
    wh_hex_encode(hex, md, sizeof md, 0);
    if ((json_int_t)len != json_integer_value(json_object_get(file, "size")) ||
        strcmp(hex, json_string_value(json_object_get(file, "sha256"))))
        return wh_fail(err, WH_E_VERIFY, path, -1, "does not match what was "
                       "installed (wharf verify checks every file)");
    return 0;
}

/* installed.json's entry for the target, and the module's path. */
static int locate(run *r, json_t *mods, json_t **file, wh_err *err)
{
    ins_spec sp;
    const char *rel;
    int rc = ins_spec_parse(r->o->target, &sp, err);
    if (rc == 0 && sp.kind == INS_SPEC_FILE)
        rc = wh_fail(err, WH_E_USAGE, NULL, -1, "'%s' is a file: run a module "
                     "file with --file", r->o->target);
    json_t *e = rc ? NULL : json_object_get(mods, sp.name);
    const char *ver = json_string_value(json_object_get(e, "version"));
    if (rc == 0 && !e)
        rc = wh_fail(err, WH_E_NOTFOUND, NULL, -1, "'%s' is not installed", sp.name);
    else if (rc == 0 && !ins_spec_matches(&sp, sp.name, ver))
        rc = wh_fail(err, WH_E_NOTFOUND, NULL, -1, "'%s' is not installed "
                     "(%s %s is)", r->o->target, sp.name, ver);
    if (rc == 0 && (rc = module_rel(sp.name, e, &rel, err)) == 0) {
        *file = json_object_get(json_object_get(e, "files"), rel);
        snprintf(r->path, sizeof r->path, "%s/%s/%s/%s", INS_MODULES_DIR,
                 sp.name, ver, rel);
    }
    ins_spec_free(&sp);
    return rc;
}

/* Read and load the module (installed, or --file). */
static int load_module(run *r, wh_err *err)
{
    ins_home h;
    json_t *mods = NULL, *file = NULL;
    char rel[sizeof r->path];
    char *data = NULL;
    size_t len;
    int rc = 0;
    if (r->o->file) {
        snprintf(r->path, sizeof r->path, "%s", r->o->file);
    } else if (!(rc = ins_home_find(&h, r->o->common.home, err)) &&
               !(rc = ins_installed_load(&h, &mods, err)) &&
               !(rc = locate(r, mods, &file, err))) {
        snprintf(rel, sizeof rel, "%s", r->path);
        rc = ins_home_path(&h, rel, r->path, sizeof r->path, err);
    }
    if (rc == 0)
        rc = wh_file_read(r->path, RUN_MAX_MODULE, &data, &len, err);
    if (rc == 0 && file)
        rc = check_installed(r->path, file, (uint8_t *)data, len, err);
    json_decref(mods);
    if (rc == 0) {
        wr_error we;
        if (!(r->module = wr_module_load(data, len, &we)))
            rc = wh_fail(err, we.kind == WR_ERR_NOMEM ? WH_E_NOMEM : WH_E_FORMAT,
                         r->path, -1, "%s", wr_error_format(&we, rel, sizeof rel));
    }
    free(data);
    return rc;
}

/* --- reporting --------------------------------------------------------------------- */

/* The bytes memory 0 starts with (0 without one). */
static uint64_t min_memory(const run *r)
{
    wr_externtype t;
    if (wr_module_entity(r->module, WR_EXTERN_MEMORY, 0, &t))
        return 0;
    return t.limits.min * 65536;
}

/* The message and status for a failed wasmrt call. */
static int report_wr(run *r, const wr_error *we)
{
    char msg[400], a[64], b[64];
    const ins_run_limits *l = &r->o->lim;
    uint64_t size = 0;
    switch (we->kind) {
    case WR_ERR_TRAP:
        if (!strcmp(we->msg, "out of fuel"))
            fprintf(stderr, "%s: out of fuel after %" PRIu64 " instructions\n", PROG, l->fuel);
        else if (!strcmp(we->msg, "deadline exceeded"))
            fprintf(stderr, "%s: deadline exceeded after %" PRIu64 " ms\n", PROG, l->timeout_ms);
        else if (!strcmp(we->msg, "memory limit exceeded"))
            fprintf(stderr, "%s: memory limit exceeded: the module needs %" PRIu64
                    " pages (%s), the limit is %s\n", PROG, min_memory(r) / 65536,
                    ins_size_format(min_memory(r), a, sizeof a),
                    ins_size_format(l->memory, b, sizeof b));
        else if (r->inst && wr_instance_memory(r->inst, &size) &&
                 size + 65536 > l->memory)
            fprintf(stderr, "%s: trap: %s (memory is at its limit of %s)\n", PROG,
                    we->msg, ins_size_format(l->memory, a, sizeof a));
        else
            fprintf(stderr, "%s: trap: %s\n", PROG, we->msg);
        return WH_EXIT_TRAP;
    case WR_ERR_EXIT:
        return we->exit_code & 0xff;
    case WR_ERR_NOMEM:
        fprintf(stderr, "%s: out of memory\n", PROG);
        return WH_EXIT_ERROR;
    case WR_ERR_USAGE:
        fprintf(stderr, "%s: %s\n", PROG, wr_error_format(we, msg, sizeof msg));
        return WH_EXIT_USAGE;
    }
    wh_err e;
    wh_fail(&e, WH_E_FORMAT, r->path, -1, "%s", wr_error_format(we, msg, sizeof msg));
    return wh_cli_report(PROG, &e);
}

/* --- exports and values -------------------------------------------------------------- */

/* The module's exported functions, "a, b" (quoted), for messages. */
static char *list_functions(const wr_module *m, char *buf, size_t n)
{
    size_t used = 0;
    snprintf(buf, n, "none");
    for (uint32_t i = 0; i < wr_module_export_count(m) && used + 8 < n; i++) {
        wr_export_info e;
        char q[4 * 64 + 8];
        wr_module_export(m, i, &e);
        if (e.type.kind != WR_EXTERN_FUNC)
            continue;
        int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "",
                         wh_quote(q, sizeof q, e.name, e.name_len));
        used = w < 0 || (size_t)w >= n - used ? n : used + (size_t)w;
    }
    return buf;
}

/* The type of exported function name (into *ft, whose arrays live as
 * long as the module); NULL when there is no export of that name
 * (*exists 0) or it is not a function (*exists 1). */
static const wr_functype *func_type(const wr_module *m, const char *name,
                                    int *exists, wr_functype *ft)
{
    *exists = 0;
    for (uint32_t i = 0; i < wr_module_export_count(m); i++) {
        wr_export_info e;
        wr_module_export(m, i, &e);
        if (e.name_len != strlen(name) || memcmp(e.name, name, e.name_len))
            continue;
        *exists = 1;
        *ft = e.type.func;
        return e.type.kind == WR_EXTERN_FUNC ? ft : NULL;
    }
    return NULL;
}

/* 1 when export name is a function of type () -> i32. */
static int is_getter(const wr_module *m, const char *name)
{
    int exists;
    wr_functype ft;
    const wr_functype *t = func_type(m, name, &exists, &ft);
    return t && t->nparams == 0 && t->nresults == 1 && t->results[0] == WR_I32;
}

/* A decimal or 0x integer of bits 32 or 64 from -2^(bits-1) to 2^bits-1,
 * as its two's complement bits. */
static int parse_int(const char *s, int bits, uint64_t *v)
{
    int neg = *s == '-', base = 10;
    uint64_t max = bits == 32 ? UINT32_MAX : UINT64_MAX, mag = 0;
    s += neg || *s == '+';
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2;
    if (!*s)
        return -1;
    for (; *s; s++) {
        int d = *s >= '0' && *s <= '9' ? *s - '0'
              : base == 16 && *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
              : base == 16 && *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;
        if (d < 0 || mag > (max - (uint64_t)d) / (uint64_t)base)
            return -1;
        mag = mag * (uint64_t)base + (uint64_t)d;
    }
    if (neg ? mag > (max >> 1) + 1 : 0)
        return -1;
    *v = neg ? (0 - mag) & max : mag;
    return 0;
}

/* s read as type t into v: 0, or -1. */
static int parse_arg(const char *s, wr_type t, wr_value *v)
{
    uint64_t bits;
    char *end;
    v->type = t;
    switch (t) {
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
    case WR_F32: {
        float f = strtof(s, &end);
        memcpy(&v->of.f32, &f, 4);
        return *s && !*end ? 0 : -1;
    }
    case WR_F64: {
        double d = strtod(s, &end);
        memcpy(&v->of.f64, &d, 8);
        return *s && !*end ? 0 : -1;
    }
    default:
        v->of.ref = NULL;
        return strcmp(s, "null") ? -1 : 0;
    }
}

/* The shortest decimal that reads back as d (at most digits digits). */
static void print_float(double d, int digits, int is_f32)
{
    char buf[64];
    if (isnan(d) || isinf(d)) {
        printf("%s\n", isnan(d) ? "nan" : d < 0 ? "-inf" : "inf");
        return;
    }
    for (int p = 1; p <= digits; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, d);
        double back = strtod(buf, NULL);
        if (is_f32 ? (float)back == (float)d : back == d)
            break;
    }
    printf("%s\n", buf);
}

static void print_value(wr_value v)
{
    float f;
    double d;
    switch (v.type) {
    case WR_I32: printf("%" PRId32 "\n", v.of.i32); return;
    case WR_I64: printf("%" PRId64 "\n", v.of.i64); return;
    case WR_F32: memcpy(&f, &v.of.f32, 4); print_float(f, 9, 1); return;
    case WR_F64: memcpy(&d, &v.of.f64, 8); print_float(d, 17, 0); return;
    default: printf("%s\n", v.of.ref ? "ref" : "null"); return;
    }
}

/* --- setting up ---------------------------------------------------------------------- */

static int imports_module(const wr_module *m, const char *mod)
{
    for (uint32_t i = 0; i < wr_module_import_count(m); i++) {
        wr_import_info info;
        wr_module_import(m, i, &info);
        if (!strcmp(info.module, mod))
            return 1;
    }
    return 0;
}

/* WASI for a command (or a module importing it): argv[0] is the name. */
static int make_wasi(run *r)
{
    wr_wasi_config cfg;
    wr_error we;
    run_opts *o = r->o;
    wr_wasi_config_init(&cfg);
    if (!(r->argv = calloc((size_t)o->nwasi + 1, sizeof *r->argv)))
        return report_wr(r, &(wr_error){ .kind = WR_ERR_NOMEM });
    r->argv[0] = r->name;
    for (int i = 0; i < o->nwasi; i++)
        r->argv[i + 1] = o->wasi_args[i];
    cfg.argc = o->nwasi + 1;
    cfg.argv = r->argv;
    cfg.npreopens = o->ndirs;
    cfg.preopens = o->dirs;
    if ((r->wasi = wr_wasi_new(&cfg, &we)))
        return 0;
    int e = errno;
    if (we.kind != WR_ERR_USAGE)
        return report_wr(r, &we);
    fprintf(stderr, "%s: %s\n", PROG, we.msg);
    return e == ENOENT || e == ENOTDIR ? WH_EXIT_NOTFOUND : WH_EXIT_ERROR;
}

static int initialize(run *r);

/* Link what the module imports and instantiate it. */
static int instantiate(run *r, int command)
{
    wr_error we;
    wr_limits lim = { .fuel = r->o->lim.fuel, .max_memory = r->o->lim.memory,
                      .timeout_ms = r->o->lim.timeout_ms };
    int rc;
    r->ferrite = (ins_ferrite){ .kv = r->kv, .grants = &r->o->grants,
                                .out = stderr, .prog = PROG };
    if (!(r->store = wr_store_new()) || !(r->imports = wr_imports_new()))
        return report_wr(r, &(wr_error){ .kind = WR_ERR_NOMEM });
    if ((command || imports_module(r->module, WASI_MODULE)) &&
        ((rc = make_wasi(r)) ||
         (rc = wr_wasi_link(r->wasi, r->store, r->imports, &we) ? report_wr(r, &we) : 0)))
        return rc;
    if (ins_ferrite_link(&r->ferrite, r->store, r->imports, r->module, &we))
        return report_wr(r, &we);
    if (r->wasi)
        wr_wasi_set_timeout(r->wasi, lim.timeout_ms);
    if ((r->inst = wr_instantiate(r->store, r->module, r->imports, &lim, &we)))
        return command ? 0 : initialize(r);
    int64_t code = r->wasi ? wr_wasi_exit_code(r->wasi, -1, &we) : -1;
    return code >= 0 ? (int)(code & 0xff) : report_wr(r, &we);
}

/* Call export name (a handle-less call: wasmrt checks the types). */
static int call(run *r, const char *name, const wr_value *args, size_t nargs,
                wr_value *res, size_t nres)
{
    wr_error we;
    if (r->wasi)
        wr_wasi_set_timeout(r->wasi, r->o->lim.timeout_ms);
    if (wr_call(r->inst, name, args, nargs, res, nres, &we) == 0)
        return 0;
    int64_t code = r->wasi && we.kind == WR_ERR_EXIT ? wr_wasi_exit_code(r->wasi, -1, &we) : -1;
    return code >= 0 ? (int)(code & 0xff) : report_wr(r, &we);
}

/* A WASI reactor's _initialize (() -> ()), before any other export. */
static int initialize(run *r)
{
    int exists;
    wr_functype ft;
    const wr_functype *t = func_type(r->module, "_initialize", &exists, &ft);
    if (!t || t->nparams || t->nresults)
        return 0;
    return call(r, "_initialize", NULL, 0, NULL, 0);
}

/* --- the three ways to run --------------------------------------------------------------- */

static int run_command(run *r)
{
    wr_error we;
    int exists, rc;
    wr_functype ft;
    const wr_functype *t = func_type(r->module, "_start", &exists, &ft);
    if (t && (t->nparams || t->nresults)) {
        fprintf(stderr, "%s: %s: '_start' must take and return nothing\n", PROG, r->name);
        return WH_EXIT_FORMAT;
    }
    if ((rc = instantiate(r, 1)))
        return rc;
    wr_wasi_set_timeout(r->wasi, r->o->lim.timeout_ms);
    rc = wr_call(r->inst, "_start", NULL, 0, NULL, 0, &we);
    int64_t code = wr_wasi_exit_code(r->wasi, rc, &we);
    return code >= 0 ? (int)(code & 0xff) : report_wr(r, &we);
}

/* The UDF's input: --input, --input-file or nothing. */
static int read_input(run *r, char **data, size_t *len)
{
    wh_err e;
    *data = NULL;
    *len = 0;
    if (r->o->input) {
        *len = strlen(r->o->input);
        return (*data = strdup(r->o->input)) ? 0
             : report_wr(r, &(wr_error){ .kind = WR_ERR_NOMEM });
    }
    if (r->o->input_file && wh_file_read(r->o->input_file, RUN_MAX_INPUT, data, len, &e))
        return wh_cli_report(PROG, &e);
    return 0;
}

/* Copy the input to the module's buffer; the status, 0 to go on. */
static int fill_buffer(run *r, const char *data, size_t len)
{
    wr_value ptr, cap;
    uint64_t size;
    int rc;
    if ((rc = call(r, "get_buffer_ptr", NULL, 0, &ptr, 1)) ||
        (rc = call(r, "get_buffer_cap", NULL, 0, &cap, 1)))
        return rc;
    uint8_t *mem = wr_instance_memory(r->inst, &size);
    wh_err e;
    if (ptr.of.i32 < 0 || cap.of.i32 < 0 || !mem ||
        (uint64_t)ptr.of.i32 + (uint64_t)cap.of.i32 > size)
        rc = wh_fail(&e, WH_E_FORMAT, r->path, -1, "the buffer of %" PRId32
                     " bytes at %" PRId32 " (get_buffer_ptr, get_buffer_cap) is "
                     "not inside the module's memory of %" PRIu64 " bytes",
                     cap.of.i32, ptr.of.i32, size);
    else if (len > (size_t)cap.of.i32)
        rc = wh_fail(&e, WH_E_LIMIT, NULL, -1, "the input of %zu bytes is longer "
                     "than the buffer of '%s' (%" PRId32 " bytes)", len, r->name,
                     cap.of.i32);
    if (rc)
        return wh_cli_report(PROG, &e);
    if (len)
        memcpy(mem + ptr.of.i32, data, len);
    return 0;
}

static int run_udf(run *r)
{
    char *data;
    size_t len;
    wr_value arg, res;
    int rc;
    if ((rc = read_input(r, &data, &len)) == 0 && (rc = instantiate(r, 0)) == 0 &&
        (rc = fill_buffer(r, data, len)) == 0) {
        arg = (wr_value){ .type = WR_I32, .of.i32 = (int32_t)len };
        if ((rc = call(r, r->o->func, &arg, 1, &res, 1)) == 0)
            print_value(res);
    }
    free(data);
    return rc;
}

/* The --arg values against FUNC's parameters; a usage error names the
 * first that does not fit. */
static int parse_args(run *r, const wr_functype *t)
{
    const run_opts *o = r->o;
    if ((uint32_t)o->nargs != t->nparams) {
        fprintf(stderr, "%s: '%s' takes %" PRIu32 " argument%s, got %d --arg\n",
                PROG, o->func, t->nparams, t->nparams == 1 ? "" : "s", o->nargs);
        return WH_EXIT_USAGE;
    }
    if (!(r->args = calloc((size_t)o->nargs + 1, sizeof *r->args)))
        return report_wr(r, &(wr_error){ .kind = WR_ERR_NOMEM });
    for (int i = 0; i < o->nargs; i++)
        if (parse_arg(o->args[i], t->params[i], &r->args[i])) {
            char q[4 * 64 + 8];
            fprintf(stderr, "%s: argument %d of '%s' is %s, got '%s'\n", PROG, i + 1,
                    o->func, wr_type_name(t->params[i]),
                    wh_quote(q, sizeof q, o->args[i], strlen(o->args[i])));
            return WH_EXIT_USAGE;
        }
    return 0;
}

static int run_typed(run *r, const wr_functype *t)
{
    uint32_t nres = t->nresults;
    wr_value *res = calloc((size_t)nres + 1, sizeof *res);
    int rc = res ? 0 : report_wr(r, &(wr_error){ .kind = WR_ERR_NOMEM });
    if (rc == 0 && (rc = instantiate(r, 0)) == 0 &&
        (rc = call(r, r->o->func, r->args, (size_t)r->o->nargs, res, nres)) == 0)
        for (uint32_t i = 0; i < nres; i++)
            print_value(res[i]);
    free(res);
    return rc;
}

/* Which way FUNC runs (the head comment's rules), then run it. */
static int dispatch(run *r)
{
    const run_opts *o = r->o;
    char list[1024];
    int exists, rc;
    wr_functype ft;
    const wr_functype *t;
    if (!o->func || !strcmp(o->func, "_start")) {
        if (func_type(r->module, "_start", &exists, &ft) || (exists && o->func))
            return run_command(r);
        fprintf(stderr, "%s: %s has no _start: name the function to call "
                "(it exports: %s)\n", PROG, r->name,
                list_functions(r->module, list, sizeof list));
        return o->func ? WH_EXIT_NOTFOUND : WH_EXIT_USAGE;
    }
    if (!(t = func_type(r->module, o->func, &exists, &ft))) {
        fprintf(stderr, "%s: %s: %s '%s' (it exports: %s)\n", PROG, r->name,
                exists ? "not a function:" : "no function", o->func,
                list_functions(r->module, list, sizeof list));
        return exists ? WH_EXIT_USAGE : WH_EXIT_NOTFOUND;
    }
    if (o->dashes) {
        fprintf(stderr, "%s: arguments after '--' are for a WASI command "
                "(_start), not '%s': use --arg\n", PROG, o->func);
        return WH_EXIT_USAGE;
    }
    int udf = is_getter(r->module, "get_buffer_ptr") && is_getter(r->module, "get_buffer_cap");
    if (udf && o->nargs == 0 && t->nparams == 1 && t->params[0] == WR_I32 &&
        t->nresults == 1 && t->results[0] == WR_I32)
        return run_udf(r);
    if (o->input || o->input_file) {
        fprintf(stderr, "%s: --input needs the buffer convention: %s\n", PROG, udf
                ? "FUNC must take an i32 length and return an i32, without --arg"
                : "the module exports no get_buffer_ptr and get_buffer_cap");
        return WH_EXIT_USAGE;
    }
    return (rc = parse_args(r, t)) ? rc : run_typed(r, t);
}

/* --- the command --------------------------------------------------------------------------- */

static void run_free(run *r)
{
    wr_imports_free(r->imports);
    wr_store_free(r->store);
    wr_module_free(r->module);
    wr_wasi_free(r->wasi);
    ins_kv_free(r->kv);
    free(r->args);
    free(r->argv);
}

/* After the call: the denials' status, then the store when all went well. */
static int finish(run *r, int rc)
{
    wh_err e;
    unsigned long n = r->ferrite.denials;
    if (n > INS_FERRITE_SHOWN_DENIALS)
        fprintf(stderr, "%s: %lu more denials not shown\n", PROG,
                n - INS_FERRITE_SHOWN_DENIALS);
    if (rc == 0 && n)
        rc = WH_EXIT_VERIFY;
    if (rc == 0 && r->kv && ins_kv_save(r->kv, &e))
        rc = wh_cli_report(PROG, &e);
    return rc;
}

static int run_main(run_opts *o)
{
    run r = { .o = o };
    wh_err e;
    int rc = load_module(&r, &e);
    if (rc == 0)
        rc = ins_kv_open(&r.kv, o->store, &e);
    if (rc) {
        rc = wh_cli_report(PROG, &e);
    } else {
        r.name = o->file ? o->file : o->target;
        rc = finish(&r, dispatch(&r));
    }
    run_free(&r);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    run_opts o = { .lim = { INS_RUN_MEMORY, INS_RUN_FUEL, INS_RUN_TIMEOUT_MS } };
    o.args = calloc((size_t)argc, sizeof *o.args);
    o.dirs = calloc((size_t)argc, sizeof *o.dirs);
    o.owned = calloc((size_t)argc, sizeof *o.owned);
    int rc = o.args && o.dirs && o.owned ? parse(&o, argc, argv) : -2;
    if (rc == -2) {
        fprintf(stderr, "%s: out of memory\n", PROG);
        rc = WH_EXIT_ERROR;
    } else if (rc < 0) {
        rc = run_main(&o);
    }
    if (fflush(stdout) && rc == 0) {
        fprintf(stderr, "%s: cannot write the results: %s\n", PROG, strerror(errno));
        rc = WH_EXIT_ERROR;
    }
    for (int i = 0; i < o.nowned; i++)
        free(o.owned[i]);
    free(o.args);
    free(o.dirs);
    free(o.owned);
    ins_grants_free(&o.grants);
    ins_cmd_opts_free(&o.common);
    return rc;
}

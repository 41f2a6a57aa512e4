/* cmd_verify_package.c - `wharf verify-package FILE...`: check a package
 * file as Ferrite's `marketplace verify` does, and more, before it is
 * installed or published.
 *
 * The file is read by the reader of its format (wh_pkg_read_mem: a
 * .ferrpkg's checksum, wasm_size, sha256 and header; a bundle's manifest
 * and every entry's CRC; a PAR's token and target hashes; every module
 * validated by wasmrt), and FILE.minisig beside it, when there is one,
 * must verify with a trusted key: those given with -p, else the keys
 * `wharf trust` keeps in the install root.  The signature is checked
 * first (common/pkg_write.c, wh_pkg_check_file), so a package signed by
 * an unknown key is refused before its contents are parsed.  No .minisig
 * is fine (said) unless --require-signature.
 *
 * What it is goes to stdout, a few lines a file (or one JSON object a
 * line with --json); failures to stderr, with the exit status of the
 * first (docs/exit-codes.md: 3 malformed, 4 checksum or signature, 6 no
 * such file).  Nothing is written.
 *
 * Tests: tests/cli/t2022-wharf-pack.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

enum { OPT_REQUIRE = 1100 };

static const wh_opt opts[] = {
    { 'p', "public-key", "FILE", "trust this minisign public key for "
      "signatures (repeatable; default: the keys of wharf trust)" },
    { OPT_REQUIRE, "require-signature", NULL, "refuse a package without a "
      ".minisig" },
    INS_OPT_JSON_ROW,
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf verify-package FILE... [-p KEY.pub] [options]";
static const char description[] =
    "Verify package files (.ferrpkg, plugin bundle .zip, .par, .par.gz) as\n"
    "Ferrite's marketplace verify does: checksum, sizes, SHA-256, manifest\n"
    "and module; and FILE.minisig beside each, when there is one, with a\n"
    "trusted key.  Prints what each package is.";

#define PROG "wharf verify-package"

typedef struct vp_opts {
    ins_cmd_opts c;
    json_t *keys;            /* -p files */
    int require;
} vp_opts;

static int parse_args(vp_opts *o, wh_cli *cli, int argc, char **argv)
{
    int c;
    wh_cli_init(cli, PROG, argc, argv);
    while ((c = wh_cli_next(cli, opts)) > 0) {
        if (c == 'p')
            json_array_append_new(o->keys, json_string(cli->arg));
        else if (c == OPT_REQUIRE)
            o->require = 1;
        else if (c == WH_CLI_HELP) {
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        } else if (ins_cmd_opt(&o->c, c, cli) < 0)
            return wh_cli_usage_error(cli);
    }
    if (c < 0)
        return wh_cli_usage_error(cli);
    if (cli->argc == 0) {
        snprintf(cli->msg, sizeof cli->msg, "no package file given");
        return wh_cli_usage_error(cli);
    }
    return 0;
}

/* --- saying what it is ------------------------------------------------------- */

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

/* The lines a format adds. */
static void print_kind(const wh_pkg *p)
{
    json_t *r = p->record;
    json_t *fe = json_object_get(r, "ferrite"), *pl = json_object_get(r, "plugin");
    json_t *w = json_object_get(r, "wasm");
    if (fe)
        printf("  checksum:  %s (%s)\n",
               json_string_value(json_object_get(fe, "checksum")),
               json_string_value(json_object_get(fe, "checksum_algorithm")));
    if (pl)
        printf("  module:    entry %s\n",
               json_string_value(json_object_get(pl, "wasm")));
    if (p->kind == WH_PKG_PAR)
        printf("  issuer:    %s\n  subject:   %s\n", p->issuer, p->subject);
    if (json_is_object(w)) {
        size_t ni = json_array_size(json_object_get(w, "imports"));
        size_t ne = json_array_size(json_object_get(w, "exports"));
        printf("  wasm:      %zu import%s, %zu export%s\n", ni, plural(ni), ne,
               plural(ne));
    }
}

static void print_text(const char *path, const wh_pkg_checked *f)
{
    const wh_pkg *p = &f->pkg;
    char q[4 * 512 + 1], t[4 * 1024 + 1];
    size_t i;
    json_t *w;
    printf("verified %s: %s %s (%s, %llu bytes)\n",
           wh_quote(q, sizeof q, path, strlen(path)), p->name, p->version,
           wh_pkg_kind_name(p->kind), (unsigned long long)p->size);
    printf("  sha256:    %s\n", p->sha256);
    print_kind(p);
    if (f->sig)
        printf("  signature: key %s, trusted comment '%s'\n", f->key_id,
               wh_quote(t, sizeof t, f->trusted, strlen(f->trusted)));
    else
        printf("  signature: none (no %s)\n",
               wh_quote(q, sizeof q, f->sig_path, strlen(f->sig_path)));
    json_array_foreach(json_object_get(p->record, "warnings"), i, w)
        printf("  warning:   %s\n", wh_quote(t, sizeof t, json_string_value(w),
                                             json_string_length(w)));
}

static void print_json(const char *path, const wh_pkg_checked *f)
{
    json_t *sig = f->sig ? json_pack("{ssss}", "key_id", f->key_id,
                                     "trusted_comment", f->trusted)
                         : json_null();
    json_t *o = json_pack("{sssssssssIsssOso}", "path", path,
                          "name", f->pkg.name, "version", f->pkg.version,
                          "kind", wh_pkg_kind_name(f->pkg.kind),
                          "size", (json_int_t)f->pkg.size,
                          "sha256", f->pkg.sha256, "record", f->pkg.record,
                          "signature", sig);
    char *s = NULL;
    size_t n;
    if (o && wh_json_canon(o, &s, &n, NULL) == 0)
        printf("%s\n", s);
    free(s);
    json_decref(o);
}

/* --- one file ------------------------------------------------------------------ */

static int verify_one(const vp_opts *o, const wh_keyring *kr, const char *path,
                      wh_err *err)
{
    wh_pkg_checked f;
    int rc = wh_pkg_check_file(path, kr, &f, err);
    if (rc == WH_E_UNTRUSTED) {        /* say how to trust it */
        size_t n = strlen(err->reason);
        snprintf(err->reason + n, sizeof err->reason - n, " (-p KEY.pub, or "
                 "wharf trust add KEY.pub)");
    }
    if (rc)
        return rc;
    if (!f.sig && o->require)
        rc = wh_fail(err, WH_E_UNTRUSTED, path, -1, "not signed (no %s)",
                     f.sig_path);
    else if (o->c.json)
        print_json(path, &f);
    else if (!o->c.quiet)
        print_text(path, &f);
    wh_pkg_checked_free(&f);
    return rc;
}

int cmd_verify_package(int argc, char **argv)
{
    vp_opts o = { .keys = json_array() };
    wh_keyring kr = { 0 };
    wh_cli cli;
    wh_err err;
    int status = parse_args(&o, &cli, argc, argv), ready = status == 0;
    if (ready && ins_keys_load(o.c.home, o.keys, &kr, &err)) {
        status = wh_cli_report(PROG, &err);
        ready = 0;
    }
    /* every file is judged; the status is that of the first failure */
    for (int i = 0; ready && i < cli.argc; i++) {
        if (verify_one(&o, &kr, cli.argv[i], &err) == 0)
            continue;
        int s = wh_cli_report(PROG, &err);
        status = status ? status : s;
    }
    wh_keyring_free(&kr);
    json_decref(o.keys);
    ins_cmd_opts_free(&o.c);
    return status < 0 ? WH_EXIT_OK : status;
}

/* wh-pkg.c - test tool: read packages with wh_pkg_read and print them.
 *
 *     wh-pkg [--now UNIXTIME] FILE...
 *
 * For each FILE, one line of canonical JSON on stdout: the C fields of
 * wh_pkg ("kind", "name", "version", "size", "sha256", and for a PAR
 * "issuer" and "subject") and "record", exactly as the indexer would get
 * them; or, when reading fails, "wh-pkg: <message>" on stderr.  Each of
 * the record's "warnings" is also printed on stderr as "wh-pkg: warning:
 * FILE: REASON", the line wharf-index build prints.  The exit status is
 * that of the last failure (docs/exit-codes.md), 0 if none (warnings do
 * not count).
 * --now fixes the clock for JWT exp/nbf checks so tests are repeatable.
 * Shared by tests/cli/t1010-par.sh and the .ferrpkg and bundle tests.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/cli.h"
#include "common/json.h"
#include "common/pkg.h"

static const wh_opt opts[] = {
    { 'n', "now", "UNIXTIME", "the time for JWT exp/nbf checks" },
    { 0 }
};

/* Print one package as canonical JSON; 0 or a WH_E_* code. */
static int show(const wh_pkg *pkg, wh_err *err)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:O}",
                          "kind", wh_pkg_kind_name(pkg->kind),
                          "name", pkg->name,
                          "version", pkg->version,
                          "size", (json_int_t)pkg->size,
                          "sha256", pkg->sha256,
                          "record", pkg->record);
    if (!o)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if ((pkg->issuer[0]
         && json_object_set_new(o, "issuer", json_string(pkg->issuer)))
        || (pkg->subject[0]
            && json_object_set_new(o, "subject", json_string(pkg->subject)))) {
        json_decref(o);
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    char *text;
    size_t len;
    int rc = wh_json_canon(o, &text, &len, err);
    json_decref(o);
    if (rc)
        return rc;
    printf("%s\n", text);
    free(text);
    return 0;
}

/* The record's warnings on stderr, as wharf-index build prints them. */
static void warn(const char *path, const wh_pkg *pkg)
{
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(pkg->record, "warnings"), i, w)
        fprintf(stderr, "wh-pkg: warning: %s: %s\n", path,
                json_string_value(w));
}

int main(int argc, char **argv)
{
    wh_cli cli;
    wh_pkg_opts po = { 0 };
    int c;
    wh_cli_init(&cli, "wh-pkg", argc, argv);
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        switch (c) {
        case 'n':
            po.now = strtoll(cli.arg, NULL, 10);
            break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, "wh-pkg [--now UNIXTIME] FILE...",
                        "Read packages and print them as canonical JSON.",
                        opts);
            return 0;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    int status = 0;
    for (int i = 0; i < cli.argc; i++) {
        wh_pkg pkg;
        wh_err e;
        if (wh_pkg_read(cli.argv[i], &po, &pkg, &e) || show(&pkg, &e))
            status = wh_cli_report("wh-pkg", &e);
        else
            warn(cli.argv[i], &pkg);
        wh_pkg_free(&pkg);
        fflush(stdout);
    }
    return status;
}

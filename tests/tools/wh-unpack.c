/* wh-unpack.c - test tool: read a package and lay its files down, as
 * wharf install will (common/pkg_unpack.c).
 *
 *     wh-unpack [--target T] [--now UNIXTIME] FILE OUTDIR
 *
 * Reads FILE with wh_pkg_read_mem, then writes each file wh_pkg_unpack
 * hands out below OUTDIR (wh_path_join, wh_mkdirs, wh_file_write_atomic
 * with the file's mode) and prints "MODE SIZE SHA256 PATH" for it on
 * stdout, in the order given.  On failure "wh-unpack: <message>" on
 * stderr and the exit status of docs/exit-codes.md; files written before
 * the failure stay (a real installer drops its staging folder).
 * --target picks a PAR's binary (default: this machine's target), --now
 * fixes the clock for JWT exp/nbf checks.  Used by
 * tests/cli/t1013-unpack.sh.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/fs.h"
#include "common/hex.h"
#include "common/pkg.h"
#include "common/sha256.h"

static const wh_opt opts[] = {
    { 't', "target", "TARGET", "a PAR's target (default: this machine's)" },
    { 'n', "now", "UNIXTIME", "the time for JWT exp/nbf checks" },
    { 0 }
};

/* Write one file below the folder ctx and print its line. */
static int put(void *ctx, const char *rel, const uint8_t *data, size_t len,
               unsigned mode, wh_err *err)
{
    char path[4096], dir[4096];
    uint8_t d[WH_SHA256_BYTES];
    char hex[WH_SHA256_HEX];
    int rc;
    if ((rc = wh_path_join(path, sizeof path, ctx, rel, strlen(rel), err)))
        return rc;
    snprintf(dir, sizeof dir, "%s", path);
    if ((rc = wh_mkdirs(dirname(dir), err)) ||
        (rc = wh_file_write_atomic(path, data, len, mode, err)) ||
        (rc = wh_sha256_buf(data, len, d, err)))
        return rc;
    wh_hex_encode(hex, d, sizeof d, 0);
    printf("%04o %zu %s %s\n", mode, len, hex, rel);
    return 0;
}

static int unpack(const char *file, const char *out, const char *target,
                  const wh_pkg_opts *po, wh_err *e)
{
    char *data;
    size_t len;
    wh_pkg pkg;
    int rc = wh_file_read(file, WH_PKG_MAX_SIZE, &data, &len, e);
    if (rc)
        return rc;
    rc = wh_pkg_read_mem(file, (uint8_t *)data, len, po, &pkg, e);
    if (rc == 0) {
        rc = wh_pkg_unpack(file, (uint8_t *)data, len, &pkg, target, put,
                           (void *)out, e);
        wh_pkg_free(&pkg);
    }
    free(data);
    return rc;
}

int main(int argc, char **argv)
{
    wh_cli cli;
    wh_pkg_opts po = { 0 };
    const char *target = NULL;
    int c;
    wh_cli_init(&cli, "wh-unpack", argc, argv);
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        switch (c) {
        case 't':
            target = cli.arg;
            break;
        case 'n':
            po.now = strtoll(cli.arg, NULL, 10);
            break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, "wh-unpack [--target T] [--now UNIXTIME] "
                        "FILE OUTDIR", "Read a package and write the files "
                        "it installs below OUTDIR.", opts);
            return 0;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    if (cli.argc != 2) {
        fprintf(stderr, "wh-unpack: expected FILE and OUTDIR\n"
                "try 'wh-unpack --help'\n");
        return WH_EXIT_USAGE;
    }
    wh_err e;
    if (unpack(cli.argv[0], cli.argv[1], target, &po, &e))
        return wh_cli_report("wh-unpack", &e);
    return 0;
}

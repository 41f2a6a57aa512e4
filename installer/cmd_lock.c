/* cmd_lock.c - `wharf lock [FILE]`: write wharf.lock (lockfile.c) for
 * what is installed, so `wharf install --locked` reproduces it exactly
 * elsewhere: the same modules, versions and package SHA-256s.
 *
 * Tests: tests/cli/t2015-wharf-lock.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <string.h>

static const wh_opt opts[] = {
    { 'q', "quiet", NULL, "print nothing but errors" },
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf lock [FILE] [options]";
static const char description[] =
    "Write FILE (default: wharf.lock) naming the exact version and SHA-256 of\n"
    "every installed module; `wharf install --locked` installs exactly that.";

#define PROG "wharf lock"

int cmd_lock(int argc, char **argv)
{
    ins_cmd_opts o = { 0 };
    wh_cli cli;
    int c = ins_cmd_parse(&cli, PROG, argc, argv, opts, usage, description, 1, &o);
    if (c)
        return c < 0 ? WH_EXIT_OK : c;
    const char *file = cli.argc ? cli.argv[0] : "wharf.lock";
    ins_session s;
    ins_session_opts so = { .prog = PROG, .home = o.home, .quiet = o.quiet };
    wh_err err;
    wh_err_clear(&err);
    int rc = ins_session_open(&s, &so, &err);
    if (rc == 0)
        rc = ins_lockfile_write(file, s.installed, &err);
    if (rc)
        rc = wh_cli_report(PROG, &err);
    else if (!o.quiet)
        printf("wrote %s: %zu module%s\n", file, json_object_size(s.installed),
               json_object_size(s.installed) == 1 ? "" : "s");
    ins_session_close(&s);
    return rc;
}

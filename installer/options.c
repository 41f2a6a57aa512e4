/* options.c - the options every installer command shares: reading them
 * (ins_cmd_opt, for the commands' own option loops) and letting them come
 * before the command's name ("wharf --home /mnt/w list": moved after it,
 * where the command's table reads them).  Apart from session.c so that
 * wharf's run front (front.c) links it without the catalog and the
 * network.
 *
 * Tests: tests/cli/t2000-wharf-cli.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <string.h>

/* Options that take a value, as they may appear before the command
 * (the shared ones: installer.h). */
static int takes_value(const char *a)
{
    return !strcmp(a, "--home") || !strcmp(a, "--from") || !strcmp(a, "--timeout");
}

/* Move the options before the command's name to just after it. */
void ins_hoist_options(int argc, char **argv)
{
    int i = 1;
    while (i < argc && argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--") &&
           strcmp(argv[i], "--help") && strcmp(argv[i], "-h") &&
           strcmp(argv[i], "--version"))
        i += takes_value(argv[i]) && i + 1 < argc ? 2 : 1;
    if (i == 1 || i >= argc)
        return;
    char *cmd = argv[i];             /* argv[1..i) are options: rotate */
    memmove(argv + 2, argv + 1, (size_t)(i - 1) * sizeof *argv);
    argv[1] = cmd;
}

static int take_from(ins_cmd_opts *o, wh_cli *cli)
{
    char loc[PATH_MAX];
    wh_err e;
    if (ins_location_normalize(cli->arg, loc, sizeof loc, &e)) {
        snprintf(cli->msg, sizeof cli->msg, "--from: %.200s", e.reason);
        return -1;
    }
    if ((!o->from && !(o->from = json_array())) ||
        json_array_append_new(o->from, json_string(loc))) {
        snprintf(cli->msg, sizeof cli->msg, "out of memory");
        return -1;
    }
    return 1;
}

int ins_cmd_opt(ins_cmd_opts *o, int c, wh_cli *cli)
{
    long long v;
    switch (c) {
    case INS_OPT_HOME: o->home = cli->arg; return 1;
    case INS_OPT_WAIT: o->wait = 1; return 1;
    case INS_OPT_DRY_RUN: o->dry_run = 1; return 1;
    case INS_OPT_JSON: o->json = 1; return 1;
    case 'q': o->quiet = 1; return 1;
    case INS_OPT_OFFLINE: o->offline = 1; return 1;
    case INS_OPT_ALLOW_EXPIRED: o->allow_expired = 1; return 1;
    case INS_OPT_FROM: return take_from(o, cli);
    case INS_OPT_TIMEOUT:
        if ((v = wh_cli_number(cli->arg, 1, 3600)) < 0) {
            snprintf(cli->msg, sizeof cli->msg, "--timeout '%s' is not a number "
                     "of seconds from 1 to 3600", cli->arg);
            return -1;
        }
        o->timeout = (int)v;
        return 1;
    }
    return 0;
}

void ins_cmd_opts_free(ins_cmd_opts *o)
{
    json_decref(o->from);
    o->from = NULL;
}

int ins_cmd_parse(wh_cli *cli, const char *prog, int argc, char **argv,
                  const wh_opt *opts, const char *usage, const char *description,
                  int max, ins_cmd_opts *o)
{
    int c;
    wh_cli_init(cli, prog, argc, argv);
    while ((c = wh_cli_next(cli, opts)) > 0) {
        if (ins_cmd_opt(o, c, cli) < 0)
            return wh_cli_usage_error(cli);
        if (c == WH_CLI_HELP) {
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(cli);
    if (max >= 0 && cli->argc > max) {
        snprintf(cli->msg, sizeof cli->msg, "unexpected argument '%s'",
                 cli->argv[max]);
        return wh_cli_usage_error(cli);
    }
    return 0;
}

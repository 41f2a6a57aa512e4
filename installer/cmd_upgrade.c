/* cmd_upgrade.c - `wharf upgrade [NAME...]`: resolve the world again
 * without preferring the installed versions of the modules named (of
 * every module without a NAME), so each moves to the highest version
 * that meets every requirement: the world's requests (an upgrade never
 * leaves "hello@^1" for 2.0.0) and the dependencies of what else is
 * installed.  The changes are fetched, verified and applied as one
 * transaction, like an install.
 *
 * Tests: tests/cli/t2016-wharf-upgrade.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const wh_opt opts[] = {
    INS_OPT_DRY_RUN_ROW,
    INS_OPTS_SOURCES,
    INS_OPT_JSON_ROW,
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf upgrade [NAME...] [options]";
static const char description[] =
    "Upgrade installed modules (those named, or all) to the newest versions\n"
    "that meet what was asked for and what the other modules need.";

#define PROG "wharf upgrade"

typedef struct upgrade_opts {
    ins_cmd_opts c;
    int argc;
    char **argv;
} upgrade_opts;

static int parse_args(upgrade_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int c;
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        if (ins_cmd_opt(&o->c, c, &cli) < 0)
            return wh_cli_usage_error(&cli);
        if (c == WH_CLI_HELP) {
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    o->argc = cli.argc;
    o->argv = cli.argv;
    return 0;
}

/* The names to upgrade, each installed: an object, or true for all. */
static int upgrade_set(const upgrade_opts *o, json_t *installed, json_t **set,
                       wh_err *err)
{
    *set = o->argc ? json_object() : json_true();
    for (int i = 0; i < o->argc; i++) {
        if (!json_object_get(installed, o->argv[i]))
            return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "'%s' is not installed",
                           o->argv[i]);
        json_object_set_new(*set, o->argv[i], json_true());
    }
    return 0;
}

/* The command, in its session (ins_session_main). */
static int run(void *arg, ins_session *s, char **why, wh_err *err)
{
    upgrade_opts *o = arg;
    json_t *world = json_object(), *picks = NULL, *set = NULL, *m;
    const char *name;
    ins_plan_ctx *p = ins_plan_new(s->cat, s->installed);
    ins_changes cs = { 0 };
    ins_change_opts co = { PROG, o->c.dry_run, o->c.json, o->c.quiet, o->c.offline,
                           o->c.timeout };
    int rc = world && p ? upgrade_set(o, s->installed, &set, err)
                        : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    json_object_foreach(rc == 0 ? s->installed : NULL, name, m)
        if (json_object_get(m, "request"))
            json_object_set(world, name, json_object_get(m, "request"));
    if (rc == 0) {
        ins_plan_upgrade(p, set);
        rc = ins_plan_resolve(p, world, &picks, why, err);
    }
    if (rc == 0)
        rc = ins_changes_from(&cs, p, s->installed, world, picks, err);
    if (rc == 0)
        rc = ins_changes_do(&cs, s, &co, err);
    ins_changes_free(&cs);
    ins_plan_free(p);
    json_decref(set);
    json_decref(world);
    json_decref(picks);
    return rc;
}

int cmd_upgrade(int argc, char **argv)
{
    upgrade_opts o;
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    ins_session_opts so = ins_session_opts_of(PROG, &o.c, 1, 1);
    rc = ins_session_main(&so, run, &o);
    ins_cmd_opts_free(&o.c);
    return rc;
}

/* cmd_uninstall.c - `wharf uninstall NAME...`: take modules out of the
 * world and resolve it again (plan.c), so the dependencies nobody needs
 * any more go too.  A module another installed module depends on is
 * refused, naming who depends on it and how, unless --force, which
 * removes exactly the modules named and nothing else, leaving their
 * dependents' requirement unmet (`wharf verify` says so until it is
 * installed again).  Needs no source: only installed.json.
 *
 * Tests: tests/cli/t2012-wharf-uninstall.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_FORCE = 1400 };

static const wh_opt opts[] = {
    INS_OPT_DRY_RUN_ROW,
    { OPT_FORCE, "force", NULL, "remove them even if installed modules depend on them" },
    INS_OPT_JSON_ROW,
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf uninstall NAME... [options]";
static const char description[] =
    "Remove installed modules, and the dependencies no other installed module\n"
    "needs any more. A module that another installed module depends on is\n"
    "kept unless --force.";

#define PROG "wharf uninstall"

typedef struct uninstall_opts {
    ins_cmd_opts c;
    int force, argc;
    char **argv;
} uninstall_opts;

static int parse_args(uninstall_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int c, took;
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        if ((took = ins_cmd_opt(&o->c, c, &cli)) < 0)
            return wh_cli_usage_error(&cli);
        if (c == OPT_FORCE)
            o->force = 1;
        else if (c == WH_CLI_HELP) {
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    o->argc = cli.argc;
    o->argv = cli.argv;
    if (o->argc == 0) {
        snprintf(cli.msg, sizeof cli.msg, "nothing to uninstall: give a NAME");
        return wh_cli_usage_error(&cli);
    }
    return 0;
}

static int named(const uninstall_opts *o, const char *name)
{
    for (int i = 0; i < o->argc; i++)
        if (!strcmp(o->argv[i], name))
            return 1;
    return 0;
}

/* Each NAME installed, and (unless --force) needed by no module that stays. */
static int check_names(const uninstall_opts *o, json_t *installed, wh_err *err)
{
    const char *name;
    json_t *m;
    for (int i = 0; i < o->argc; i++)
        if (!json_object_get(installed, o->argv[i]))
            return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "'%s' is not installed",
                           o->argv[i]);
    json_object_foreach(installed, name, m) {
        json_t *deps = json_object_get(m, "dependencies");
        for (int i = 0; !o->force && !named(o, name) && i < o->argc; i++)
            if (json_object_get(deps, o->argv[i]))
                return wh_fail(err, WH_E_CONFLICT, NULL, -1, "cannot uninstall %s: "
                               "%s %s depends on it (%s %s); --force removes it "
                               "anyway", o->argv[i], name, ins_installed_version(
                               installed, name), o->argv[i], json_string_value(
                               json_object_get(deps, o->argv[i])));
    }
    return 0;
}

/* --force: exactly the named modules go. */
static json_t *picks_forced(const uninstall_opts *o, json_t *installed)
{
    json_t *picks = json_object(), *m;
    const char *name;
    json_object_foreach(installed, name, m)
        if (!named(o, name))
            json_object_set(picks, name, json_object_get(m, "version"));
    return picks;
}

/* The command, in its session (ins_session_main). */
static int run(void *arg, ins_session *s, char **why, wh_err *err)
{
    uninstall_opts *o = arg;
    json_t *world = json_object(), *picks = NULL, *m;
    const char *name;
    ins_plan_ctx *p = ins_plan_new(NULL, s->installed);
    ins_changes cs = { 0 };
    ins_change_opts co = { PROG, o->c.dry_run, o->c.json, o->c.quiet, 1, 0 };
    int rc = world && p ? check_names(o, s->installed, err)
                        : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    json_object_foreach(rc == 0 ? s->installed : NULL, name, m)
        if (json_object_get(m, "request") && !named(o, name))
            json_object_set(world, name, json_object_get(m, "request"));
    if (rc == 0 && o->force)
        picks = picks_forced(o, s->installed);
    else if (rc == 0)
        rc = ins_plan_resolve(p, world, &picks, why, err);
    if (rc == 0)
        rc = ins_changes_from(&cs, p, s->installed, world, picks, err);
    if (rc == 0)
        rc = ins_changes_do(&cs, s, &co, err);
    ins_changes_free(&cs);
    ins_plan_free(p);
    json_decref(world);
    json_decref(picks);
    return rc;
}

int cmd_uninstall(int argc, char **argv)
{
    uninstall_opts o;
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    ins_session_opts so = ins_session_opts_of(PROG, &o.c, 1, 0);
    rc = ins_session_main(&so, run, &o);
    ins_cmd_opts_free(&o.c);
    return rc;
}

/* cmd_list.c - `wharf list`: the installed modules, from installed.json
 * alone (no source, no network, no lock): one line each, "NAME VERSION
 * (SOURCE)", marked "dependency" when only another module needs it; or
 * --json, the entries without their file lists.
 *
 * Tests: tests/cli/t2010-wharf-install.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

static const wh_opt opts[] = {
    INS_OPT_JSON_ROW,
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf list [options]";
static const char description[] = "List the installed modules.";

#define PROG "wharf list"

static int print(const ins_cmd_opts *o, json_t *installed, wh_err *err)
{
    const char *name;
    json_t *m;
    if (o->json) {
        json_t *out = json_object();
        json_object_foreach(installed, name, m) {
            json_t *e = json_deep_copy(m);
            json_object_del(e, "files");
            json_object_set_new(out, name, e);
        }
        int rc = wh_json_print(out, err);
        json_decref(out);
        return rc;
    }
    json_object_foreach(installed, name, m)
        if (!o->quiet)
            printf("%s %s (%s%s)\n", name, json_string_value(json_object_get(m, "version")),
                   json_string_value(json_object_get(m, "source")),
                   json_object_get(m, "request") ? "" : ", dependency");
    return 0;
}

int cmd_list(int argc, char **argv)
{
    ins_cmd_opts o = { 0 };
    wh_cli cli;
    int c = ins_cmd_parse(&cli, PROG, argc, argv, opts, usage, description, 0, &o);
    if (c)
        return c < 0 ? WH_EXIT_OK : c;
    ins_session s;
    ins_session_opts so = { .prog = PROG, .home = o.home, .quiet = o.quiet };
    wh_err err;
    wh_err_clear(&err);
    int rc = ins_session_open(&s, &so, &err);
    if (rc == 0)
        rc = print(&o, s.installed, &err);
    if (rc)
        rc = wh_cli_report(PROG, &err);
    ins_session_close(&s);
    return rc;
}

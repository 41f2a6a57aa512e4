/* cmd_outdated.c - `wharf outdated`: for each installed module, the
 * version `wharf upgrade` would move it to (the highest that meets the
 * world's requests and the other modules' dependencies: a resolution
 * that prefers no installed version, plan.c) and the latest in the
 * sources (wh_index_latest: the newest release not yanked).  Lists the
 * modules where either differs from what is installed, as a table or
 * --json.  Reads the verified index copies only: no network, no lock.
 *
 * Tests: tests/cli/t2016-wharf-upgrade.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "installer/catalog.h"

static const wh_opt opts[] = {
    { INS_OPT_FROM, "from", "LOCATION", "use the index at LOCATION instead "
      "of the sources (repeat it to give mirrors)" },
    { INS_OPT_ALLOW_EXPIRED, "allow-expired", NULL, "use an expired index "
      "(with a warning)" },
    INS_OPT_JSON_ROW,
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf outdated [options]";
static const char description[] =
    "List installed modules that `wharf upgrade` would change, or that have a\n"
    "newer release than what their requirements allow.";

#define PROG "wharf outdated"

/* Rows {name, installed, fits, latest} for the modules behind. */
static json_t *rows(ins_session *s, json_t *picks)
{
    json_t *out = json_array(), *m;
    const char *name;
    json_object_foreach(s->installed, name, m) {
        json_t *versions = NULL;
        wh_err e;
        const char *have = json_string_value(json_object_get(m, "version"));
        const char *fits = json_string_value(json_object_get(picks, name));
        const char *latest = ins_catalog_module(s->cat, name, &versions, &e) == 0
                           ? wh_index_latest(versions) : NULL;
        if ((fits && strcmp(fits, have)) || (latest && strcmp(latest, have)))
            json_array_append_new(out, json_pack("{ssssssss?}", "name", name,
                "installed", have, "fits", fits ? fits : have, "latest", latest));
        json_decref(versions);
    }
    return out;
}

static void print_table(json_t *r)
{
    size_t w[3] = { 4, 9, 4 }, i;
    json_t *row;
    static const char *keys[3] = { "name", "installed", "fits" };
    json_array_foreach(r, i, row)
        for (int k = 0; k < 3; k++) {
            size_t n = strlen(json_string_value(json_object_get(row, keys[k])));
            w[k] = n > w[k] ? n : w[k];
        }
    printf("%-*s  %-*s  %-*s  %s\n", (int)w[0], "NAME", (int)w[1], "INSTALLED",
           (int)w[2], "FITS", "LATEST");
    json_array_foreach(r, i, row) {
        const char *latest = json_string_value(json_object_get(row, "latest"));
        printf("%-*s  %-*s  %-*s  %s\n", (int)w[0],
               json_string_value(json_object_get(row, "name")), (int)w[1],
               json_string_value(json_object_get(row, "installed")), (int)w[2],
               json_string_value(json_object_get(row, "fits")), latest ? latest : "-");
    }
}

/* The command, in its session (ins_session_main). */
static int run(void *arg, ins_session *s, char **why, wh_err *err)
{
    const ins_cmd_opts *o = arg;
    json_t *world = json_object(), *picks = NULL, *m, *r = NULL;
    const char *name;
    ins_plan_ctx *p = ins_plan_new(s->cat, s->installed);
    int rc = world && p ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    json_object_foreach(s->installed, name, m)
        if (json_object_get(m, "request"))
            json_object_set(world, name, json_object_get(m, "request"));
    if (rc == 0) {
        ins_plan_upgrade(p, json_true());
        rc = ins_plan_resolve(p, world, &picks, why, err);
    }
    if (rc == 0)
        r = rows(s, picks);
    if (rc == 0 && o->json)
        rc = wh_json_print(r, err);
    else if (rc == 0 && !o->quiet && json_array_size(r) == 0)
        printf("every installed module is up to date\n");
    else if (rc == 0 && !o->quiet)
        print_table(r);
    json_decref(r);
    json_decref(picks);
    json_decref(world);
    ins_plan_free(p);
    return rc;
}

int cmd_outdated(int argc, char **argv)
{
    ins_cmd_opts o = { 0 };
    wh_cli cli;
    int c = ins_cmd_parse(&cli, PROG, argc, argv, opts, usage, description, 0, &o);
    if (c)
        return c < 0 ? WH_EXIT_OK : c;
    ins_session_opts so = ins_session_opts_of(PROG, &o, 0, 1);
    int rc = ins_session_main(&so, run, &o);
    ins_cmd_opts_free(&o);
    return rc;
}

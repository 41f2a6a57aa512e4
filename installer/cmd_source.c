/* cmd_source.c - `wharf source add NAME LOCATION... [--key KEY.pub] |
 * list | remove NAME...`: where wharf finds repositories.
 *
 * A source is a name and one or more locations of the same site, tried
 * in order when fetching (mirrors): a folder (a USB stick, a copy on
 * disk), a file:// URL or an http(s):// URL.  A folder is kept as an
 * absolute path, so the source means the same from any working folder; a
 * URL as given, without a trailing '/'.  --key pins the source to one
 * repository key, as apt's Signed-By: its index must then be signed by
 * that key, whatever else is trusted.  Nothing is fetched here: `wharf
 * update` does that (step 6).
 *
 * --dry-run checks add and remove as they run (the name, the locations,
 * the --key file, the name free or the names there), says what would be
 * done ("would add source NAME", "would remove source NAME") and writes
 * nothing; it takes no lock, since it changes nothing.
 *
 * Tests: tests/cli/t2002-wharf-source.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/pkg.h"

enum { OPT_KEY = 1100 };

static const wh_opt opts[] = {
    INS_OPT_DRY_RUN_ROW,
    { OPT_KEY, "key", "KEY.pub", "add: accept only indexes signed by this key" },
    { INS_OPT_JSON, "json", NULL, "list: print JSON" },
    { 'q', "quiet", NULL, "print nothing but errors" },
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] =
    "wharf source add NAME LOCATION... [--key KEY.pub] | wharf source list |\n"
    "       wharf source remove NAME...";
static const char description[] =
    "Manage the repositories wharf reads. A LOCATION is a folder (a USB stick,\n"
    "a mirror on disk), a file:// URL or an http(s):// URL of a site that\n"
    "wharf-index wrote; several locations of one source are mirrors, tried in\n"
    "order. --key pins the source to one repository key.";

#define PROG "wharf source"

typedef struct source_opts {
    ins_cmd_opts c;       /* --home, --wait, --dry-run, --json, -q */
    const char *key;
    int argc;
    char **argv;          /* the subcommand and its operands */
} source_opts;

static int check_operands(wh_cli *cli, const source_opts *o)
{
    const char *sub = cli->argc ? cli->argv[0] : "";
    if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "remove"))
        snprintf(cli->msg, sizeof cli->msg, cli->argc ? "'%s' is not add, list "
                 "or remove" : "no subcommand: add, list or remove", sub);
    else if (!strcmp(sub, "add") && cli->argc < 3)
        snprintf(cli->msg, sizeof cli->msg, cli->argc < 2 ? "add: no source name "
                 "given" : "add: no location given for '%s'", cli->argv[1]);
    else if (!strcmp(sub, "remove") && cli->argc < 2)
        snprintf(cli->msg, sizeof cli->msg, "remove: no source name given");
    else if (!strcmp(sub, "list") && cli->argc > 1)
        snprintf(cli->msg, sizeof cli->msg, "list takes no operand");
    else if (o->key && strcmp(sub, "add"))
        snprintf(cli->msg, sizeof cli->msg, "--key goes with add");
    else
        return 0;
    return -1;
}

static int parse_args(source_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int c;
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        if (c == OPT_KEY)
            o->key = cli.arg;
        else if (c == WH_CLI_HELP) {
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        } else
            ins_cmd_opt(&o->c, c, &cli);      /* none of these takes a value */
    }
    if (c < 0 || check_operands(&cli, o))
        return wh_cli_usage_error(&cli);
    o->argc = cli.argc;
    o->argv = cli.argv;
    return 0;
}

/* The new source's record: {"key": ..., "locations": [...]}. */
static int new_source(const source_opts *o, json_t **out, wh_err *err)
{
    json_t *locs = json_array(), *key = json_null();
    char norm[PATH_MAX];
    int rc = locs ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    for (int i = 2; rc == 0 && i < o->argc; i++) {
        rc = ins_location_normalize(o->argv[i], norm, sizeof norm, err);
        if (rc == 0 && json_array_append_new(locs, json_string(norm)))
            rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    if (rc == 0 && o->key) {
        wh_minisign_pubkey pk;
        char b64[WH_MINISIGN_PUBKEY_B64_LEN + 1];
        if ((rc = wh_minisign_pubkey_load(&pk, o->key, err)) == 0) {
            wh_minisign_pubkey_to_base64(&pk, b64);
            key = json_string(b64);
        }
    }
    *out = rc ? NULL : json_pack("{soso}", "key", key, "locations", locs);
    if (rc == 0 && !*out)
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc) {
        json_decref(locs);
        json_decref(key);
    }
    return rc;
}

/* The name and the record of the source `add` makes, checked before the
 * install root is touched. */
static int prepare_add(const source_opts *o, json_t **src, wh_err *err)
{
    const char *name = o->argv[1];
    wh_err e;
    *src = NULL;
    if (wh_pkg_name_check(name, strlen(name), &e))
        return wh_fail(err, WH_E_USAGE, NULL, -1, "source name '%s': a name is "
                       "1 to 64 letters, digits, '.', '_' or '-', starting with "
                       "a letter or digit", name);
    return new_source(o, src, err);
}

/* Add src (taken over) as o->argv[1]. */
static int add(const ins_home *h, json_t *sources, const source_opts *o,
               json_t *src, wh_err *err)
{
    const char *name = o->argv[1];
    if (json_object_get(sources, name)) {
        json_decref(src);
        return wh_fail(err, WH_E_EXISTS, NULL, -1, "source '%s' exists already "
                       "(wharf source remove %s, then add it again)", name, name);
    }
    if (json_object_set_new(sources, name, src))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    int rc = o->c.dry_run ? 0 : ins_sources_save(h, sources, err);
    if (rc == 0 && !o->c.quiet)
        printf("%s source %s\n", o->c.dry_run ? "would add" : "added", name);
    return rc;
}

static int remove_names(const ins_home *h, json_t *sources, const source_opts *o,
                        wh_err *err)
{
    for (int i = 1; i < o->argc; i++)
        if (json_object_del(sources, o->argv[i]) != 0)
            return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "no source '%s'",
                           o->argv[i]);
    int rc = o->c.dry_run ? 0 : ins_sources_save(h, sources, err);
    for (int i = 1; rc == 0 && !o->c.quiet && i < o->argc; i++)
        printf("%s source %s\n", o->c.dry_run ? "would remove" : "removed",
               o->argv[i]);
    return rc;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "NAME  LOCATION [LOCATION...]  (key KEYID)", sorted by name. */
static void list(json_t *sources, int json)
{
    if (json) {
        wh_json_print(sources, NULL);
        return;
    }
    const char *name;
    json_t *src;
    size_t n = json_object_size(sources), k = 0;
    const char **names = malloc((n ? n : 1) * sizeof *names);
    if (!names)
        return;
    json_object_foreach(sources, name, src)
        names[k++] = name;
    qsort(names, k, sizeof *names, cmp_name);
    for (size_t i = 0; i < k; i++) {
        src = json_object_get(sources, names[i]);
        printf("%s ", names[i]);
        json_t *v;
        size_t j;
        json_array_foreach(json_object_get(src, "locations"), j, v)
            printf(" %s", json_string_value(v));
        const char *b64 = json_string_value(json_object_get(src, "key"));
        wh_minisign_pubkey pk;
        char id[17];
        if (b64 && wh_minisign_pubkey_from_base64(&pk, b64, strlen(b64), NULL) == 0) {
            wh_minisign_keyid_hex(pk.key_id, id);
            printf("  (key %s)", id);
        }
        printf("\n");
    }
    free(names);
}

int cmd_source(int argc, char **argv)
{
    source_opts o;
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    ins_home h;
    json_t *sources = NULL;
    wh_err err;
    wh_err_clear(&err);
    const char *sub = o.argv[0];
    char who[64];
    snprintf(who, sizeof who, PROG " %s", sub);
    json_t *src = NULL;
    rc = ins_home_find(&h, o.c.home, &err);
    if (rc == 0 && !strcmp(sub, "add"))
        rc = prepare_add(&o, &src, &err);
    if (rc == 0 && strcmp(sub, "list") != 0 && !o.c.dry_run)
        rc = ins_home_lock(&h, who, o.c.wait, o.c.quiet, &err);
    if (rc == 0)
        rc = ins_sources_load(&h, &sources, &err);
    if (rc == 0 && !strcmp(sub, "add")) {
        rc = add(&h, sources, &o, src, &err);
        src = NULL;
    } else if (rc == 0 && !strcmp(sub, "remove"))
        rc = remove_names(&h, sources, &o, &err);
    else if (rc == 0)
        list(sources, o.c.json);
    if (rc)
        rc = wh_cli_report(PROG, &err);
    ins_home_unlock(&h);
    json_decref(src);
    json_decref(sources);
    return rc;
}

/* cmd_update.c - `wharf update [NAME...]`: fetch each source's signed
 * index, verify it, and keep the verified copy, so later commands need
 * neither the network nor the USB stick.
 *
 * Each source's locations are tried in order (repo.c): a location that
 * fails is reported as a warning and the next one tried; a source none of
 * whose locations serves a usable index is an error, and the run goes on
 * with the other sources.  A source's exit status is that of the first
 * location that served an index it could not use, else of the first that
 * served none; the run's is the first failing source's.
 *
 * A location whose index is signed by a key the source does not trust,
 * with rotation statements leading to one it does, is followed (repo.c,
 * ROTATION) and said on stderr whatever --quiet says, as every change of
 * trust should be: "wharf update: main: key K was rotated to N (statement
 * issued DATE); now trusting N".  A follow an earlier update began and did
 * not finish is finished first.
 *
 * DRY RUN.  --dry-run fetches and verifies every index exactly so
 * (mirrors, rollback, freeze, rotations) and keeps nothing: no copy, no
 * table, no seen.json raised, no rotation followed on disk.  It takes no
 * lock, as nothing is written; repo.c, given no install root, changes the
 * keys, sources and floors in memory alone, so each source is judged as a
 * real run would judge it after the ones before.  Each line ends in
 * "(dry run)", a rotation is said as "would follow" and --json says
 * "dry_run": true.  An update running meanwhile may change what a real
 * run would find; a dry run only ever reports.
 *
 * OFFLINE.  --offline skips http(s):// locations, each with a warning
 * ("LOCATION: skipped: --offline"), as --from does; folders and file://
 * URLs are read.  A source left with nothing fails as any source none of
 * whose locations served an index (exit 6).
 *
 * Tests: tests/cli/t2003-wharf-update.sh, t2004-wharf-update-http.sh,
 * t3001-attack-key-rotation.sh.
 */
#include "installer/installer.h"
#include "installer/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "installer/shard_src.h"

enum { OPT_ALL = 2000 };     /* clear of the shared INS_OPT_* ids (1000...) */

/* The rows and ids of the module commands (installer.h), but --from,
 * which update has no use for: its sources are what it updates. */
static const wh_opt opts[] = {
    INS_OPT_DRY_RUN_ROW,
    { INS_OPT_OFFLINE, "offline", NULL, "never use the network: only folders "
      "and file:// locations" },
    { INS_OPT_TIMEOUT, "timeout", "SECONDS", "give up a download slower than "
      "1 KiB/s for this long (default: 30)" },
    { INS_OPT_ALLOW_EXPIRED, "allow-expired", NULL, "use an expired index "
      "(with a warning)" },
    { OPT_ALL, "all", NULL, "of a sharded index, fetch every module file too "
      "(for offline use)" },
    { INS_OPT_JSON, "json", NULL, "print a JSON list of what each source gave" },
    { 'q', "quiet", NULL, "print nothing but errors and warnings" },
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf update [NAME...] [options]";
static const char description[] =
    "Fetch the signed index of each source (or of those named), verify it\n"
    "with its trusted or pinned key, refuse one older than an index already\n"
    "seen (rollback) or expired (freeze), and keep the verified copy in the\n"
    "install root. A source's locations are mirrors, tried in order.\n"
    "Of a site with only the sharded index, only the top level and the bins\n"
    "that changed are fetched; module files when a command needs them, or\n"
    "all at once with --all.";

#define PROG "wharf update"

typedef struct update_opts {
    ins_cmd_opts c;
    int all;
    int argc;
    char **argv;          /* source names, or none for all */
} update_opts;

static int parse_args(update_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->c.timeout = 30;
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int c;
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        if (c == WH_CLI_HELP) {
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
        if (c == OPT_ALL)
            o->all = 1;
        else if (ins_cmd_opt(&o->c, c, &cli) < 0)
            return wh_cli_usage_error(&cli);
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    o->argc = cli.argc;
    o->argv = cli.argv;
    return 0;
}

static void warn(const char *name, const wh_err *e)
{
    char msg[WH_ERR_LINE_MAX];
    fprintf(stderr, PROG ": warning: %s: %s\n", name, wh_err_format(e, msg, sizeof msg));
}

/* Say what was kept: a line, or an object in the --json list. */
static void report(const update_opts *o, json_t *out, const char *name,
                   const wh_index *ix, const char *loc, int64_t now,
                   const ins_shard_stats *st)
{
    char date[32];
    wh_cli_date(ix->head.expires, date);
    if (ix->head.expires < now)
        fprintf(stderr, PROG ": warning: %s: the index expired on %s, %lld "
                "days ago; used because of --allow-expired\n", name, date,
                (long long)((now - ix->head.expires) / 86400));
    if (out) {
        json_t *j = json_pack("{sssIsIsIsIsssb}", "source", name,
            "serial", (json_int_t)ix->head.serial,
            "packages", (json_int_t)ix->packages, "modules", (json_int_t)ix->modules,
            "expires", (json_int_t)ix->head.expires, "location", loc,
            "dry_run", o->c.dry_run);
        if (j && ix->snap)
            json_object_set_new(j, "fetched", json_pack("{sIsI}", "files",
                (json_int_t)st->files, "bytes", (json_int_t)st->bytes));
        json_array_append_new(out, j);
    }
    else if (!o->c.quiet)
        printf("%s: serial %lld, %zu package%s in %zu module%s, expires %s (%s)%s\n",
               name, (long long)ix->head.serial, ix->packages,
               ix->packages == 1 ? "" : "s", ix->modules, ix->modules == 1 ? "" : "s",
               date, loc, o->c.dry_run ? " (dry run)" : "");
    if (!out && !o->c.quiet && ix->snap)
        printf("%s: sharded index: fetched %zu file%s, %llu bytes, besides the "
               "top level\n", name, st->files, st->files == 1 ? "" : "s",
               (unsigned long long)st->bytes);
}

/* What every source's update reads and may change. */
typedef struct update_state {
    json_t    *sources, *seen, *revoked;
    wh_keyring kr;
} update_state;

/* "key K was rotated to M (statement issued D), then to N (...)"; "now
 * trusting N", or in a dry run "would follow it and trust N". */
static void say_rotated(const char *name, const wh_rotation_chain *rot, int dry_run)
{
    char date[32];
    fprintf(stderr, PROG ": %s: key %s was rotated", name, rot->step[0].old_id);
    for (size_t i = 0; i < rot->n; i++) {
        wh_cli_date(rot->step[i].issued, date);
        fprintf(stderr, "%s to %s (statement issued %s)", i ? ", then" : "",
                rot->step[i].new_id, date);
    }
    fprintf(stderr, dry_run ? "; would follow it and trust %s (dry run)\n"
            : "; now trusting %s\n", rot->step[rot->n - 1].new_id);
}

/* ctx: the dry-run flag. */
static void say_finished(void *ctx, const char *old_id, const char *new_id)
{
    if (*(const int *)ctx)
        fprintf(stderr, PROG ": would finish following the rotation of key %s "
                "to %s, which an interrupted update began, and trust %s (dry "
                "run)\n", old_id, new_id, new_id);
    else
        fprintf(stderr, PROG ": finished following the rotation of key %s to %s, "
                "which an interrupted update began; now trusting %s\n", old_id,
                new_id, new_id);
}

/* The index at loc, fetched and verified (repo.c); with --offline, an
 * http(s):// location is refused before any request. */
static int fetch_at(const update_opts *o, const char *loc, json_t *src,
                    update_state *us, const ins_fetch_opts *fo, wh_index *ix,
                    wh_minisign_sig *sig, wh_rotation_chain *rot, wh_err *err)
{
    if (o->c.offline && ins_location_is_http(loc))
        return wh_fail(err, WH_E_NOTFOUND, loc, -1, "skipped: --offline");
    return ins_repo_fetch(loc, src, &us->kr, us->revoked, us->seen, fo, ix, sig,
                          rot, err);
}

/* Keep ix as source name's index, following rot first; with no h (a dry
 * run), in memory alone (repo.c). */
static int keep(const ins_home *h, const update_opts *o, const char *name,
                update_state *us, wh_index *ix, const wh_minisign_sig *sig,
                const wh_rotation_chain *rot, wh_err *err)
{
    int rc = rot->n ? ins_repo_follow(h, us->sources, &us->kr, us->revoked,
                                      us->seen, rot, err) : 0;
    if (rc == 0 && rot->n)
        say_rotated(name, rot, o->c.dry_run);
    if (rc == 0)
        rc = ins_repo_store(h, name, ix, sig, us->seen, err);
    if (rc == 0 && h)
        rc = ins_catalog_store(h, name, ix, err);   /* its table */
    return rc;
}

/* Update one source: its first location that serves a usable index. */
static int update_one(const ins_home *h, const update_opts *o, const char *name,
                      json_t *src, update_state *us, json_t *out, wh_err *err)
{
    ins_fetch_opts fo = { .now = (int64_t)time(NULL),
                          .allow_expired = o->c.allow_expired,
                          .timeout = o->c.timeout };
    ins_shard_stats st = { 0, 0 };
    char copy[PATH_MAX], rel[PATH_MAX];
    snprintf(rel, sizeof rel, INS_INDEXES_DIR "/%s", name);
    if (ins_home_path(h, rel, copy, sizeof copy, err))
        return err->code;
    fo.copy = copy;
    fo.write = !o->c.dry_run;
    fo.all = o->all;
    fo.stats = &st;
    json_t *locs = json_object_get(src, "locations"), *v;
    size_t i, n = json_array_size(locs);
    wh_err first;
    wh_err_clear(&first);
    json_array_foreach(locs, i, v) {
        wh_index ix;
        wh_minisign_sig sig;
        wh_rotation_chain rot;
        wh_err e;
        const char *loc = json_string_value(v);
        if (fetch_at(o, loc, src, us, &fo, &ix, &sig, &rot, &e)) {
            warn(name, &e);
            /* What a location said of its index outweighs a missing one. */
            if (!first.code || ((first.code == WH_E_NOTFOUND || first.code == WH_E_IO) &&
                                e.code != WH_E_NOTFOUND && e.code != WH_E_IO))
                first = e;
            continue;
        }
        int rc = keep(o->c.dry_run ? NULL : h, o, name, us, &ix, &sig, &rot, err);
        if (rc == 0)
            report(o, out, name, &ix, loc, fo.now, &st);
        wh_index_free(&ix);
        return rc;
    }
    return wh_fail(err, first.code ? first.code : WH_E_NOTFOUND, NULL, -1,
                   "source '%s': %s", name, n == 1 ? "its location served no "
                   "usable index" : "none of its locations served a usable index");
}

static int update_all(const ins_home *h, const update_opts *o, update_state *us,
                      json_t *out)
{
    json_t *sources = us->sources;
    int status = WH_EXIT_OK;
    const char *name;
    json_t *src;
    wh_err err;
    for (int i = 0; i < o->argc; i++)
        if (!json_object_get(sources, o->argv[i])) {
            wh_fail(&err, WH_E_NOTFOUND, NULL, -1, "no source '%s'", o->argv[i]);
            return wh_cli_report(PROG, &err);
        }
    if (json_object_size(sources) == 0) {
        wh_fail(&err, WH_E_NOTFOUND, NULL, -1, "no sources (wharf source add "
                "NAME LOCATION)");
        return wh_cli_report(PROG, &err);
    }
    json_object_foreach(sources, name, src) {
        int wanted = o->argc == 0;
        for (int i = 0; i < o->argc; i++)
            wanted |= !strcmp(o->argv[i], name);
        if (!wanted || update_one(h, o, name, src, us, out, &err) == 0)
            continue;
        int st = wh_cli_report(PROG, &err);
        char msg[WH_ERR_LINE_MAX];
        if (out)
            json_array_append_new(out, json_pack("{sssssisb}", "source", name,
                "error", wh_err_format(&err, msg, sizeof msg), "status", st,
                "dry_run", o->c.dry_run));
        if (status == WH_EXIT_OK)
            status = st;
    }
    return status;
}

int cmd_update(int argc, char **argv)
{
    update_opts o;
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    ins_home h;
    update_state st = { 0 };
    wh_err err;
    wh_err_clear(&err);
    if (ins_home_find(&h, o.c.home, &err) ||
        (!o.c.dry_run && ins_home_lock(&h, PROG, o.c.wait, o.c.quiet, &err)) ||
        ins_trust_load(&h, &st.kr, &err) ||
        ins_sources_load(&h, &st.sources, &err) ||
        ins_seen_load(&h, &st.seen, &err) ||
        ins_revoked_load(&h, &st.revoked, &err) ||
        ins_repo_finish(o.c.dry_run ? NULL : &h, st.sources, &st.kr, st.revoked,
                        say_finished, &o.c.dry_run, &err))
        rc = wh_cli_report(PROG, &err);
    else {
        json_t *out = o.c.json ? json_array() : NULL;
        rc = update_all(&h, &o, &st, out);
        if (out)
            wh_json_print(out, NULL);
        json_decref(out);
    }
    ins_home_unlock(&h);
    wh_keyring_free(&st.kr);
    json_decref(st.sources);
    json_decref(st.seen);
    json_decref(st.revoked);
    return rc;
}

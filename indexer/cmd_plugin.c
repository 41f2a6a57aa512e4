/* cmd_plugin.c - `wharf-index plugin ACTION ...`: install, list, enable,
 * disable, configure, limit, update, remove, test and watch the plugins a
 * build may run (issue 11, "Lifecycle").  This file holds the options, the
 * actions and what each prints; where a bundle comes from and how it is
 * trusted is plugin_bundle.c's, how it goes into the folder (and the
 * order of writes that makes that kill-safe) plugin_install.c's, the
 * folder's state plugins.c's, the logs and profile plugin_log.c's.
 *
 * The plugin folder comes from --plugins DIR or WHARF_PLUGINS_PATH, and
 * neither is a usage error (except for `test`, which needs no folder):
 * guessing a folder would let a typo install plugins where no build looks.
 * Every change holds DIR/.lock; list, logs and profile only read.
 *
 * What a plugin chose (a log line, a config key) is printed with control
 * bytes escaped (put_escaped), so it cannot forge lines or drive the
 * terminal.  The files read here (logs, profile.json) are read with a
 * size cap and without following links; profile.json is checked whole
 * before any of it is shown.
 *
 * Tests: tests/cli/t1200-wharf-index-plugin.sh,
 * t1201-wharf-index-plugin-kill.sh, t1202-wharf-index-plugin-sources.sh,
 * t2026-example-plugins.sh.
 */
#include "indexer/indexer.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/fs.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/pkg.h"
#include "common/plugin.h"
#include "common/sha256.h"

#define PROG "wharf-index plugin"
#define LOG_READ_MAX     ((size_t)8 << 20)    /* bytes of one log file read */
#define PROFILE_MAX      ((size_t)16 << 20)   /* bytes of profile.json */
#define RESULT_CAP       ((size_t)1 << 20)    /* a JSON result, but process's */

enum { OPT_ALLOW_UNSIGNED = 256, OPT_JSON, OPT_FROM, OPT_REPO_KEY, OPT_PLUGIN,
       OPT_ARTIFACT };

static const wh_opt opts[] = {
    { 'p', "plugins", "DIR", "the plugin folder (default: $WHARF_PLUGINS_PATH)" },
    { 'k', "trusted-keys", "DIR", "minisign public keys (*.pub) of trusted plugin publishers" },
    { OPT_ALLOW_UNSIGNED, "allow-unsigned", NULL, "install or update a bundle without a trusted signature" },
    { OPT_FROM, "from", "SITE", "install: take NAME[@REQ] from a wharf site (folder, file:// or http(s))" },
    { OPT_REPO_KEY, "repo-key", "FILE", "the site's repository public key (with --from; update: instead of the recorded one)" },
    { OPT_PLUGIN, "plugin", "FILE", "test: the bundle (.zip) to run" },
    { OPT_ARTIFACT, "artifact", "FILE", "test: the file to run it on" },
    { 'n', "lines", "N", "logs: only the last N lines" },
    { OPT_JSON, "json", NULL, "list, logs, profile: print JSON" },
    { 'q', "quiet", NULL, "print nothing but errors" },
    { 0, NULL, NULL, NULL }
};

static const char usage[] =
    "wharf-index plugin install BUNDLE.zip | install NAME[@REQ] --from SITE\n"
    "       | install git+URL[@REF] | list | enable NAME | disable NAME\n"
    "       | config NAME KEY=VALUE... | limits NAME KEY=N... | update NAME\n"
    "       | remove NAME | logs NAME [-n N] | profile [NAME]\n"
    "       | test --plugin X.zip --artifact FILE  [options]";
static const char description[] =
    "Manage the plugins wharf-index build runs. install checks a bundle (from\n"
    "a file, a wharf site verified with --repo-key, or a Git repository whose\n"
    "root holds plugin.toml and NAME.wasm), which must be signed by a key in\n"
    "-k DIR unless --allow-unsigned (BUNDLE.zip.minisig; in a site, the\n"
    "package's .minisig; in Git, NAME.wasm.minisig and plugin.toml.minisig),\n"
    "and unpacks it into the plugin folder, disabled; enable and disable\n"
    "switch it; config sets values of its plugin.toml [plugin.config], each\n"
    "of its default's type; limits sets its memory_mb, fuel and time_ms (KEY=\n"
    "removes one), overriding WHARF_PLUGIN_MAX_*; update installs a higher\n"
    "version from where it came from, keeping its settings; remove deletes\n"
    "it. logs prints what it logged in builds, profile the cost of the last\n"
    "build's calls; test runs a bundle's functions on one file.";

typedef struct pcmd {
    const char *dir, *keys, *action, *from, *repo_key, *plugin, *artifact;
    int allow_unsigned, json, quiet;
    long long lines;   /* logs -n, -1: all */
    int argc;          /* operands after the action */
    char **argv;
} pcmd;

/* Operands each action takes: min, max (-1: any), and what to say when
 * they are wrong. */
typedef struct action {
    const char *name;
    int min, max;
    int (*run)(const pcmd *c, wh_err *err);
    const char *expected;
} action;

static int usage_fail(wh_cli *cli, const char *msg)
{
    snprintf(cli->msg, sizeof cli->msg, "%s", msg);
    return wh_cli_usage_error(cli);
}

static int parse_opt(pcmd *c, wh_cli *cli, int o)
{
    switch (o) {
    case 'p': c->dir = cli->arg; break;
    case 'k': c->keys = cli->arg; break;
    case OPT_ALLOW_UNSIGNED: c->allow_unsigned = 1; break;
    case OPT_JSON: c->json = 1; break;
    case OPT_FROM: c->from = cli->arg; break;
    case OPT_REPO_KEY: c->repo_key = cli->arg; break;
    case OPT_PLUGIN: c->plugin = cli->arg; break;
    case OPT_ARTIFACT: c->artifact = cli->arg; break;
    case 'q': c->quiet = 1; break;
    case 'n':
        if ((c->lines = wh_cli_number(cli->arg, 0, 1000000000)) < 0) {
            snprintf(cli->msg, sizeof cli->msg, "--lines '%s' is not a number "
                     "from 0 to 1000000000", cli->arg);
            return -1;
        }
        break;
    }
    return 0;
}

static int parse_args(pcmd *c, int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    c->lines = -1;
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int o;
    while ((o = wh_cli_next(&cli, opts)) > 0) {
        if (o == WH_CLI_HELP) {
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
        if (parse_opt(c, &cli, o) != 0)
            return wh_cli_usage_error(&cli);
    }
    if (o < 0)
        return wh_cli_usage_error(&cli);
    if (cli.argc == 0)
        return usage_fail(&cli, "no action given");
    c->action = cli.argv[0];
    c->argc = cli.argc - 1;
    c->argv = cli.argv + 1;
    if (strcmp(c->action, "test") == 0)
        return 0;
    if (!c->dir || !*c->dir)
        c->dir = getenv(IX_PLUGINS_ENV);
    if (!c->dir || !*c->dir)
        return usage_fail(&cli, "no plugin folder: use --plugins DIR or set " IX_PLUGINS_ENV);
    return 0;
}

/* --- small helpers ---------------------------------------------------------- */

/* s with bytes below 0x20 and 0x7f as \xNN (a log line or a name chosen
 * by a plugin cannot forge lines or drive the terminal; UTF-8 stays). */
static void put_escaped(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x20 || b == 0x7f)
            fprintf(f, "\\x%02x", b);
        else
            fputc(b, f);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj, sorted (malloc'd; NULL, with *n 0, when out of
 * memory). */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
    const char **k = malloc((json_object_size(obj) + 1) * sizeof *k);
    const char *key;
    json_t *v;
    *n = 0;
    if (!k)
        return NULL;
    json_object_foreach((json_t *)obj, key, v)
        k[(*n)++] = key;
    qsort(k, *n, sizeof *k, cmp_str);
    return k;
}

static int nomem(wh_err *err)
{
    return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
}

/* --- install, update -------------------------------------------------------- */

/* Take DIR's lock (which finishes what a killed run left) and load the
 * state. */
static int lock_state(const pcmd *c, wh_lock *l, json_t **state, wh_err *err)
{
    *state = NULL;
    int rc = ix_plugins_lock(c->dir, PROG, 0, l, err);
    if (rc == 0)
        rc = ix_plugins_load(c->dir, state, err);
    return rc;
}

static int do_install(const pcmd *c, wh_err *err)
{
    wh_lock l = { .fd = -1 };
    json_t *state = NULL;
    ix_bundle *b = NULL;
    int rc = lock_state(c, &l, &state, err);
    if (rc == 0)
        rc = ix_bundle_fetch(&b, c->argv[0], c->from, c->repo_key, err);
    if (rc == 0)
        rc = ix_bundle_verify(b, c->keys, c->allow_unsigned, err);
    if (rc == 0)
        rc = ix_install_new(c->dir, state, b, err);
    if (rc == 0 && !c->quiet)
        printf("installed %s %s (disabled)\n", ix_bundle_pkg(b)->name,
               ix_bundle_pkg(b)->version);
    ix_bundle_free(b);
    json_decref(state);
    wh_lock_release(&l);
    return rc;
}

/* What an update says of a config value it drops. */
typedef struct update_note {
    const char *name, *version;   /* the plugin, its new version */
} update_note;

static void note_dropped(void *ctx, const char *key, const json_t *def)
{
    const update_note *u = ctx;
    fprintf(stderr, "%s: note: config '", PROG);
    put_escaped(stderr, key, strlen(key));
    if (def)
        fprintf(stderr, "' dropped: %s %s makes it %s\n", u->name, u->version,
                ix_plugins_type_name(def));
    else
        fprintf(stderr, "' dropped: %s %s has no such setting\n", u->name, u->version);
}

/* NAME updated from its recorded source; *current 1 when it was up to
 * date. */
static int update_locked(const pcmd *c, json_t *state, const json_t *e,
                         ix_bundle **b, int *current, wh_err *err)
{
    update_note u = { c->argv[0], "" };
    ix_install in = { c->dir, c->keys, c->allow_unsigned,
                      c->quiet ? NULL : note_dropped, &u };
    int rc = ix_bundle_refetch(b, c->argv[0], json_object_get(e, "source"),
                               c->repo_key, err);
    if (rc)
        return rc;
    u.version = ix_bundle_pkg(*b)->version;
    return ix_install_update(&in, state, c->argv[0], *b, current, err);
}

static int do_update(const pcmd *c, wh_err *err)
{
    wh_lock l = { .fd = -1 };
    json_t *state = NULL, *e = NULL;
    ix_bundle *b = NULL;
    char old[260] = "";
    int current = 0;
    int rc = lock_state(c, &l, &state, err);
    if (rc == 0 && !(e = ix_plugins_get(state, c->argv[0], err)))
        rc = WH_E_NOTFOUND;
    if (rc == 0)
        snprintf(old, sizeof old, "%s", json_string_value(json_object_get(e, "version")));
    if (rc == 0)
        rc = update_locked(c, state, e, &b, &current, err);
    if (rc == 0 && !c->quiet && current)
        printf("%s %s is up to date\n", c->argv[0], old);
    else if (rc == 0 && !c->quiet)
        printf("updated %s %s -> %s\n", c->argv[0], old, ix_bundle_pkg(b)->version);
    ix_bundle_free(b);
    json_decref(state);
    wh_lock_release(&l);
    return rc;
}

/* --- list ---------------------------------------------------------------------- */

/* The limit keys `limits` takes, with their largest values (fuel as a
 * JSON integer holds at most INT64_MAX). */
static const struct limit_key {
    const char *key;
    long long max;
} limit_keys[] = {
    { "memory_mb", 4096 },
    { "fuel", LLONG_MAX },
    { "time_ms", 3600000 },
    { NULL, 0 }
};

/* "memory_mb=16, fuel=1000" of an entry's limits, in the table's order
 * ("" for none). */
static void limits_text(const json_t *e, char *out, size_t n)
{
    json_t *lim = json_object_get(e, "limits");
    size_t at = 0;
    out[0] = '\0';
    for (const struct limit_key *k = limit_keys; k->key && at < n; k++) {
        json_t *v = json_object_get(lim, k->key);
        if (json_is_integer(v))
            at += (size_t)snprintf(out + at, n - at, "%s%s=%lld", at ? ", " : "",
                                   k->key, (long long)json_integer_value(v));
    }
}

static void print_entry(const char *name, const json_t *e)
{
    const char *signer = json_string_value(json_object_get(e, "signer"));
    char lim[200];
    size_t i;
    json_t *k;
    printf("%s %s ", name, json_string_value(json_object_get(e, "version")));
    json_array_foreach(json_object_get(e, "kinds"), i, k)
        printf("%s%s", i ? ", " : "", json_string_value(k));
    if (json_array_size(json_object_get(e, "kinds")) == 0)
        printf("-");
    printf(" %s, %s%s\n", json_is_true(json_object_get(e, "enabled")) ? "enabled" : "disabled",
           signer && *signer ? "signed by " : "unsigned", signer ? signer : "");
    limits_text(e, lim, sizeof lim);
    if (*lim)
        printf("  limits: %s\n", lim);
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(e, "config"), key, v) {
        char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        fputs("  ", stdout);
        put_escaped(stdout, key, strlen(key));    /* the bundle's choice */
        printf(" = %s\n", t ? t : "?");
        free(t);
    }
}

static int do_list(const pcmd *c, wh_err *err)
{
    json_t *state = NULL;
    int rc = ix_plugins_load(c->dir, &state, err);
    if (rc)
        return rc;
    json_t *plugins = json_object_get(state, "plugins");
    if (c->json) {
        char *t = json_dumps(plugins, JSON_SORT_KEYS | JSON_INDENT(2));
        printf("%s\n", t ? t : "{}");
        free(t);
    } else {
        size_t n = 0;
        const char **names = sorted_keys(plugins, &n);
        for (size_t i = 0; i < n; i++)
            print_entry(names[i], json_object_get(plugins, names[i]));
        free(names);
    }
    json_decref(state);
    return 0;
}

/* --- enable, disable, config, limits, remove ------------------------------------ */

/* Under DIR's lock: load the state, let change() alter NAME's entry,
 * save. */
static int change(const pcmd *c, int (*fn)(const pcmd *, json_t *, json_t *, wh_err *),
                  wh_err *err)
{
    wh_lock l = { .fd = -1 };
    json_t *state = NULL, *e = NULL;
    int rc = lock_state(c, &l, &state, err);
    if (rc == 0 && !(e = ix_plugins_get(state, c->argv[0], err)))
        rc = WH_E_NOTFOUND;
    if (rc == 0)
        rc = fn(c, state, e, err);
    if (rc == 0)
        rc = ix_plugins_save(c->dir, state, err);
    json_decref(state);
    wh_lock_release(&l);
    return rc;
}

static int set_enabled(const pcmd *c, json_t *state, json_t *e, wh_err *err)
{
    (void)state;
    (void)err;
    int on = strcmp(c->action, "enable") == 0;
    json_object_set_new(e, "enabled", json_boolean(on));
    if (!c->quiet)
        printf("%s %s\n", on ? "enabled" : "disabled", c->argv[0]);
    return 0;
}

/* Every pair is checked before any is kept: a bad one changes nothing. */
static int set_config(const pcmd *c, json_t *state, json_t *e, wh_err *err)
{
    (void)state;
    for (int i = 1; i < c->argc; i++) {
        int rc = ix_plugins_config_set(e, c->argv[0], c->argv[i], err);
        if (rc)
            return rc;
    }
    if (!c->quiet)
        printf("configured %s\n", c->argv[0]);
    return 0;
}

/* One KEY=N (or KEY= to remove it) into lim. */
static int set_limit(json_t *lim, const char *kv, wh_err *err)
{
    const char *eq = strchr(kv, '=');
    const struct limit_key *k = limit_keys;
    while (eq && k->key && (strlen(k->key) != (size_t)(eq - kv) ||
                            strncmp(k->key, kv, (size_t)(eq - kv)) != 0))
        k++;
    if (!eq)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "'%s' is not KEY=N", kv);
    if (!k->key)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "unknown limit '%.*s' (memory_mb, "
                       "fuel or time_ms)", (int)(eq - kv), kv);
    if (!eq[1]) {
        json_object_del(lim, k->key);
        return 0;
    }
    long long v = wh_cli_number(eq + 1, 1, k->max);
    if (v < 1)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "limit %s '%s' is not a number "
                       "from 1 to %lld", k->key, eq + 1, k->max);
    return json_object_set_new(lim, k->key, json_integer(v)) ? nomem(err) : 0;
}

static int set_limits(const pcmd *c, json_t *state, json_t *e, wh_err *err)
{
    (void)state;
    char text[200];
    json_t *lim = json_object_get(e, "limits");
    /* a hand-edited non-object is replaced, not reported as no memory */
    lim = json_is_object(lim) ? json_deep_copy(lim) : json_object();
    int rc = lim ? 0 : nomem(err);
    for (int i = 1; rc == 0 && i < c->argc; i++)
        rc = set_limit(lim, c->argv[i], err);
    if (rc == 0 && json_object_size(lim))
        json_object_set(e, "limits", lim);
    else if (rc == 0)
        json_object_del(e, "limits");
    json_decref(lim);
    limits_text(e, text, sizeof text);
    if (rc == 0 && !c->quiet)
        printf("limits of %s: %s\n", c->argv[0], *text ? text : "the system-wide ones");
    return rc;
}

static int drop(const pcmd *c, json_t *state, json_t *e, wh_err *err)
{
    (void)e;
    int rc = ix_install_remove(c->dir, state, c->argv[0], err);
    if (rc == 0 && !c->quiet)
        printf("removed %s\n", c->argv[0]);
    return rc;
}

static int do_enable(const pcmd *c, wh_err *err) { return change(c, set_enabled, err); }
static int do_config(const pcmd *c, wh_err *err) { return change(c, set_config, err); }
static int do_limits(const pcmd *c, wh_err *err) { return change(c, set_limits, err); }
static int do_remove(const pcmd *c, wh_err *err) { return change(c, drop, err); }

/* --- logs ---------------------------------------------------------------------- */

/* The whole lines of the log file path appended to lines (an array of
 * strings; a missing file adds nothing). */
static int read_log(const char *path, json_t *lines, wh_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    if (access(path, F_OK) != 0)
        return 0;
    int rc = wh_file_read_stat(path, LOG_READ_MAX, WH_READ_NOFOLLOW, &buf, &len,
                               NULL, err);
    for (size_t at = 0; rc == 0 && at < len;) {
        char *nl = memchr(buf + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;
        /* a line without its '\n' is one a full disk cut short; a line
         * that is not UTF-8 is kept as it is, to be printed escaped */
        if (nl && json_array_append_new(lines, json_stringn_nocheck(buf + at, n)))
            rc = nomem(err);
        at += n + 1;
    }
    free(buf);
    return rc;
}

/* "2026-12-05T01:02:03Z warn PKG CALL: MESSAGE"; a line that is not a
 * log object is printed escaped, as it is. */
static void print_log_line(const char *s, size_t n)
{
    json_t *o = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
    json_t *t = json_object_get(o, "time");
    const char *f[4] = { "level", "package", "call", "message" };
    char when[32] = "";
    time_t tt = json_is_integer(t) ? (time_t)json_integer_value(t) : 0;
    struct tm tm;
    if (!o || !json_is_integer(t) || !gmtime_r(&tt, &tm) ||
        !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(when, sizeof when, "?");
    printf("%s", when);
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(o, f[i]);
        fputs(i == 3 ? ": " : " ", stdout);
        if (json_is_string(v))
            put_escaped(stdout, json_string_value(v), json_string_length(v));
        else if (i == 3 && !o)
            put_escaped(stdout, s, n);
        else
            fputs("?", stdout);
    }
    putchar('\n');
    json_decref(o);
}

/* NAME's log lines, those of the rotated NAME.log.1 first, into lines. */
static int log_lines(const pcmd *c, json_t *lines, wh_err *err)
{
    json_t *state = NULL;
    char path[PATH_MAX], old[PATH_MAX + 8], rel[128];
    snprintf(rel, sizeof rel, "logs/%s.log", c->argv[0]);
    int rc = ix_plugins_load(c->dir, &state, err);
    if (rc == 0 && !ix_plugins_get(state, c->argv[0], err))
        rc = WH_E_NOTFOUND;
    if (rc == 0)
        rc = ix_plugins_path(c->dir, rel, path, err);
    if (rc == 0) {
        snprintf(old, sizeof old, "%s.1", path);
        rc = read_log(old, lines, err);
    }
    if (rc == 0)
        rc = read_log(path, lines, err);
    json_decref(state);
    return rc;
}

static int do_logs(const pcmd *c, wh_err *err)
{
    json_t *lines = json_array();
    int rc = lines ? log_lines(c, lines, err) : nomem(err);
    size_t n = json_array_size(lines);
    size_t from = c->lines >= 0 && (size_t)c->lines < n ? n - (size_t)c->lines : 0;
    for (size_t i = from; rc == 0 && i < n; i++) {
        json_t *l = json_array_get(lines, i);
        if (c->json) {      /* as the file has it */
            fwrite(json_string_value(l), 1, json_string_length(l), stdout);
            putchar('\n');
        } else
            print_log_line(json_string_value(l), json_string_length(l));
    }
    json_decref(lines);
    return rc;
}

/* --- profile ------------------------------------------------------------------- */

static const char *const profile_keys[] = { "calls", "fuel", "fuel_max", "time_us",
                                            "time_us_max", "peak_memory" };

/* One function's figures: non-negative integers, calls at least 1; its
 * name an ABI function's (lower case, digits, '_'), as the table prints
 * it. */
static int profile_fn_check(const char *name, const char *fn, const json_t *f,
                            const char *path, wh_err *err)
{
    if (!*fn || fn[strspn(fn, "abcdefghijklmnopqrstuvwxyz0123456789_")])
        return wh_fail(err, WH_E_FORMAT, path, -1, "plugin '%s' function '%s' "
                       "is malformed", name, fn);
    for (int i = 0; i < 6; i++) {
        json_t *v = json_object_get(f, profile_keys[i]);
        if (!json_is_integer(v) || json_integer_value(v) < (i == 0))
            return wh_fail(err, WH_E_FORMAT, path, -1, "plugin '%s' "
                           "function '%s': \"%s\" is not a count", name, fn,
                           profile_keys[i]);
    }
    return 0;
}

/* Every plugin a module name with an object of functions, each checked. */
static int profile_check(const json_t *plugins, const char *path, wh_err *err)
{
    const char *name, *fn;
    json_t *p, *f;
    int rc = 0;
    if (!json_is_object(plugins))
        return wh_fail(err, WH_E_FORMAT, path, -1, "\"plugins\" is not an object");
    json_object_foreach((json_t *)plugins, name, p) {
        if (!json_is_object(p) || wh_pkg_name_check(name, strlen(name), NULL))
            return wh_fail(err, WH_E_FORMAT, path, -1, "plugin '%s' is malformed", name);
        json_object_foreach(p, fn, f)
            if ((rc = profile_fn_check(name, fn, f, path, err)) != 0)
                return rc;
    }
    return 0;
}

/* DIR/profile.json, checked, into *out (NULL when there is none). */
static int profile_load(const pcmd *c, json_t **out, wh_err *err)
{
    char path[PATH_MAX], *buf = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = ix_plugins_path(c->dir, "profile.json", path, err);
    if (rc || access(path, F_OK) != 0)
        return rc;
    rc = wh_file_read_stat(path, PROFILE_MAX, WH_READ_NOFOLLOW, &buf, &len, NULL, err);
    if (rc == 0)
        rc = wh_json_parse(buf, len, path, out, err);
    free(buf);
    const char *fmt = json_string_value(json_object_get(*out, "format"));
    if (rc == 0 && (!fmt || strcmp(fmt, "wharf-plugin-profile/1") != 0))
        rc = wh_fail(err, WH_E_FORMAT, path, -1, "format is not 'wharf-plugin-profile/1'");
    if (rc == 0)
        rc = profile_check(json_object_get(*out, "plugins"), path, err);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

static long long num(const json_t *f, const char *key)
{
    return (long long)json_integer_value(json_object_get(f, key));
}

/* bytes in KiB, rounded up (bytes >= 0; no bytes + 1023 to overflow). */
static long long kib(long long bytes)
{
    return bytes / 1024 + (bytes % 1024 != 0);
}

static void profile_row(const char *plugin, const char *fn, const json_t *f)
{
    long long calls = num(f, "calls");
    printf("%-16s %-20s %7lld %14lld %14lld %10.2f %10.2f %9lld\n", plugin, fn, calls,
           num(f, "fuel") / calls, num(f, "fuel_max"),
           (double)num(f, "time_us") / (double)calls / 1000.0,
           (double)num(f, "time_us_max") / 1000.0, kib(num(f, "peak_memory")));
}

static void profile_table(const json_t *plugins, const char *only)
{
    size_t np = 0;
    const char **names = sorted_keys(plugins, &np);
    printf("%-16s %-20s %7s %14s %14s %10s %10s %9s\n", "plugin", "function", "calls",
           "mean fuel", "max fuel", "mean ms", "max ms", "peak KiB");
    for (size_t i = 0; i < np; i++) {
        if (only && strcmp(only, names[i]) != 0)
            continue;
        json_t *p = json_object_get(plugins, names[i]);
        size_t nf = 0;
        const char **fns = sorted_keys(p, &nf);
        for (size_t j = 0; j < nf; j++)
            profile_row(names[i], fns[j], json_object_get(p, fns[j]));
        free(fns);
    }
    free(names);
}

static int do_profile(const pcmd *c, wh_err *err)
{
    json_t *prof = NULL;
    const char *only = c->argc ? c->argv[0] : NULL;
    int rc = profile_load(c, &prof, err);
    json_t *plugins = json_object_get(prof, "plugins");
    if (rc == 0 && (!prof || (only && !json_object_get(plugins, only)))) {
        int named = only && prof;
        if (!c->quiet)
            printf("no profile %s%s%syet: run wharf-index build with plugins enabled\n",
                   named ? "of " : "", named ? only : "", named ? " " : "");
    } else if (rc == 0 && c->json) {
        json_t *v = only ? json_pack("{s:O}", only, json_object_get(plugins, only)) : NULL;
        char *t = json_dumps(only ? v : prof, JSON_SORT_KEYS | JSON_INDENT(2));
        printf("%s\n", t ? t : "{}");
        free(t);
        json_decref(v);
    } else if (rc == 0) {
        profile_table(plugins, only);
    }
    json_decref(prof);
    return rc;
}

/* --- test ---------------------------------------------------------------------- */

/* The functions of each kind, their inputs and result checks (docs/plugins.md). */
enum { IN_DATA, IN_ID_DATA, IN_INFO_DATA };
enum { CHK_META, CHK_VALIDATION, CHK_PAIRS, CHK_PROCESSED };
static const struct kind_fn {
    const char *kind, *func;
    int inputs, check;
} kind_fns[] = {
    { "format_handler", "parse_metadata", IN_DATA, CHK_META },
    { "format_handler", "validate", IN_DATA, CHK_VALIDATION },
    { "format_handler", "extract_dependencies", IN_DATA, CHK_PAIRS },
    { "metadata_extractor", "extract", IN_ID_DATA, CHK_PAIRS },
    { "validation_hook", "validate_upload", IN_INFO_DATA, CHK_VALIDATION },
    { "post_processor", "process", IN_ID_DATA, CHK_PROCESSED },
    { NULL, NULL, 0, 0 }
};

typedef struct test_run {
    const uint8_t *data;       /* the artifact */
    size_t len;
    char id[400];              /* NAME@VERSION */
    char *info;                /* validate_upload's info, canonical JSON */
    int log_level;             /* lowest level printed */
    int first_rc;              /* the first failure's code */
} test_run;

static void test_log(void *user, const char *plugin, const char *func, int level,
                     const char *msg, size_t len)
{
    const test_run *t = user;
    (void)plugin;
    (void)func;
    if (level < t->log_level)
        return;
    fflush(stdout);
    fprintf(stderr, "log: %s: ", ix_plugin_level_name(level));
    put_escaped(stderr, msg, len);
    fputc('\n', stderr);
}

/* What the build would tell the plugin about the artifact: its package's
 * name, version and format when it reads as one, else its file name,
 * "0.0.0" and "unknown". */
static int test_info(const char *path, test_run *t, wh_err *err)
{
    wh_pkg pkg;
    char hex[WH_SHA256_HEX];
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    int is_pkg = wh_pkg_read_mem(path, t->data, t->len, NULL, &pkg, NULL) == 0;
    uint8_t d[WH_SHA256_BYTES];
    int rc = wh_sha256_buf(t->data, t->len, d, err);
    if (rc) {
        if (is_pkg)
            wh_pkg_free(&pkg);
        return rc;
    }
    wh_hex_encode(hex, d, sizeof d, 0);
    snprintf(t->id, sizeof t->id, "%s@%s", is_pkg ? pkg.name : base,
             is_pkg ? pkg.version : "0.0.0");
    json_t *info = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}",
                             "name", is_pkg ? pkg.name : base,
                             "version", is_pkg ? pkg.version : "0.0.0",
                             "format", is_pkg ? wh_pkg_kind_name(pkg.kind) : "unknown",
                             "size_bytes", (json_int_t)t->len, "sha256", hex,
                             "signer", "");
    if (is_pkg)
        wh_pkg_free(&pkg);
    size_t n = 0;
    rc = info ? wh_json_canon(info, &t->info, &n, err) : nomem(err);
    json_decref(info);
    return rc;
}

static int test_check(wh_plugin *p, const struct kind_fn *k, const json_t *r,
                      wh_err *err)
{
    uint8_t *out = NULL;
    size_t n = 0;
    int rc;
    switch (k->check) {
    case CHK_META:       return wh_plugin_check_metadata(p, r, err);
    case CHK_VALIDATION: return wh_plugin_check_validation(p, k->func, r, err);
    case CHK_PAIRS:      return wh_plugin_check_pairs(p, k->func, r, err);
    default:
        rc = wh_plugin_check_processed(p, r, &out, &n, err);
        free(out);
        return rc;
    }
}

/* One call: "FUNC: RESULT" or "FUNC: error: WHY", then its cost. */
static void test_call(wh_plugin *p, const struct kind_fn *k, test_run *t)
{
    wh_plugin_input in[2];
    size_t n = 0;
    const char *first = k->inputs == IN_INFO_DATA ? t->info : t->id;
    if (k->inputs != IN_DATA)
        in[n++] = (wh_plugin_input){ first, strlen(first) };
    in[n++] = (wh_plugin_input){ t->data, t->len };
    size_t cap = k->check == CHK_PROCESSED ? t->len / 3 * 4 + RESULT_CAP : RESULT_CAP;
    json_t *r = NULL;
    wh_plugin_stats st = { 0, 0, 0 };
    wh_err err;
    char *text = NULL, line[WH_ERR_LINE_MAX];
    size_t len = 0;
    wh_err_clear(&err);
    int rc = wh_plugin_call(p, k->func, in, n, cap, &r, &st, &err);
    if (rc == 0)
        rc = test_check(p, k, r, &err);
    if (rc == 0)
        rc = wh_json_canon(r, &text, &len, &err);
    if (rc == 0)
        printf("%s: %s\n", k->func, text);
    else
        printf("%s: error: %s\n", k->func, wh_err_format(&err, line, sizeof line));
    printf("  fuel %llu, time %.2f ms, peak memory %llu KiB\n",
           (unsigned long long)st.fuel, (double)st.time_us / 1000.0,
           (unsigned long long)((st.peak_memory + 1023) / 1024));
    if (rc && !t->first_rc)
        t->first_rc = rc;
    free(text);
    json_decref(r);
}

/* The bundle's module loaded with its defaults as config and the
 * environment's limits. */
static int test_load(const ix_bundle *b, test_run *t, wh_plugin **p, wh_err *err)
{
    const wh_pkg *pkg = ix_bundle_pkg(b);
    ix_plugin_env env;
    uint8_t *wasm = NULL;
    char *cfg = NULL;
    size_t n = 0, len = 0;
    json_t *defaults = json_object_get(json_object_get(pkg->record, "plugin"), "config");
    json_t *empty = json_object();
    int rc = empty ? ix_plugin_env_load(&env, err) : nomem(err);
    if (rc == 0)
        rc = wh_json_canon(defaults ? defaults : empty, &cfg, &n, err);
    if (rc == 0)
        rc = ix_bundle_unpack(b, NULL, &wasm, &len, err);
    if (rc == 0) {
        t->log_level = env.log_level;
        rc = wh_plugin_load(pkg->name, wasm, len, cfg, &env.limits, test_log, t, p, err);
    }
    json_decref(empty);
    free(cfg);
    free(wasm);
    return rc;
}

/* Every function of the kinds the bundle declares, in kind_fns' order
 * within each kind. */
static void test_calls(const ix_bundle *b, wh_plugin *p, test_run *t)
{
    json_t *kinds = ix_plugins_kinds(json_object_get(json_object_get(
                        ix_bundle_pkg(b)->record, "plugin"), "capabilities"));
    size_t i;
    json_t *k;
    json_array_foreach(kinds, i, k)
        for (const struct kind_fn *f = kind_fns; f->kind; f++)
            if (strcmp(f->kind, json_string_value(k)) == 0)
                test_call(p, f, t);
    json_decref(kinds);
}

static int do_test(const pcmd *c, wh_err *err)
{
    if (!c->plugin || !c->artifact)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "test needs --plugin X.zip and "
                       "--artifact FILE");
    ix_bundle *b = NULL;
    test_run t;
    wh_plugin *p = NULL;
    char *data = NULL;
    memset(&t, 0, sizeof t);
    int rc = ix_bundle_file(&b, c->plugin, err);
    if (rc == 0)
        rc = wh_file_read(c->artifact, WH_PKG_MAX_SIZE, &data, &t.len, err);
    t.data = (const uint8_t *)data;
    if (rc == 0)
        rc = test_info(c->artifact, &t, err);
    if (rc == 0)
        rc = test_load(b, &t, &p, err);
    if (rc == 0)
        test_calls(b, p, &t);
    if (rc == 0 && t.first_rc) {
        fflush(stdout);
        rc = t.first_rc;
        err->code = rc;   /* reported already, line by line */
        err->reason[0] = '\0';
    }
    wh_plugin_free(p);
    free(t.info);
    free(data);
    ix_bundle_free(b);
    return rc;
}

/* --- the actions ------------------------------------------------------------------ */

static const action actions[] = {
    { "install", 1, 1, do_install, "one bundle, NAME[@REQ] or git+URL expected" },
    { "list",    0, 0, do_list, "takes no operands" },
    { "enable",  1, 1, do_enable, "one plugin name expected" },
    { "disable", 1, 1, do_enable, "one plugin name expected" },
    { "config",  2, -1, do_config, "a plugin name and KEY=VALUE expected" },
    { "limits",  2, -1, do_limits, "a plugin name and KEY=N expected" },
    { "update",  1, 1, do_update, "one plugin name expected" },
    { "remove",  1, 1, do_remove, "one plugin name expected" },
    { "logs",    1, 1, do_logs, "one plugin name expected" },
    { "profile", 0, 1, do_profile, "at most one plugin name expected" },
    { "test",    0, 0, do_test, "takes no operands (use --plugin and --artifact)" },
    { NULL, 0, 0, NULL, NULL }
};

int cmd_plugin(int argc, char **argv)
{
    pcmd c;
    int rc = parse_args(&c, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    const action *a = actions;
    while (a->name && strcmp(a->name, c.action) != 0)
        a++;
    if (!a->name) {
        fprintf(stderr, "%s: unknown action '%s'\ntry '%s --help'\n", PROG, c.action, PROG);
        return WH_EXIT_USAGE;
    }
    if (c.argc < a->min || (a->max >= 0 && c.argc > a->max)) {
        fprintf(stderr, "%s: %s: %s\ntry '%s --help'\n", PROG, a->name, a->expected, PROG);
        return WH_EXIT_USAGE;
    }
    wh_err err;
    wh_err_clear(&err);
    rc = a->run(&c, &err);
    if (rc && !err.reason[0] && rc == err.code)
        return wh_err_exit(rc);
    return rc ? wh_cli_report(PROG, &err) : 0;
}

/* cmd_plugin.c - `wharf-index plugin ACTION ...`: install, list, enable,
 * disable, configure and remove the plugins a build may run (issue 11,
 * "Lifecycle"; the folder's layout is plugins.c's).
 *
 * The plugin folder comes from --plugins DIR or WHARF_PLUGINS_PATH, and
 * neither is a usage error: guessing a folder would let a typo install
 * plugins where no build looks.  install checks everything before it
 * changes anything: the bundle (wh_pkg_read_mem: manifest, entries,
 * module), its detached BUNDLE.zip.minisig by a key of -k DIR (unless
 * --allow-unsigned), and that its module loads as a plugin
 * (wh_plugin_load: only wharf.* imports, the ABI's exports), so a plugin
 * a build would refuse is refused now, when its publisher is at hand.
 * The files are unpacked into DIR/.staging-NAME and renamed into place,
 * then state.json names the plugin; plugins start disabled, so an
 * install alone never changes what a build does.  Every change holds
 * DIR/.lock.
 *
 * Tests: tests/cli/t1200-wharf-index-plugin.sh.
 */
#include "indexer/indexer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/pkg.h"
#include "common/plugin.h"

#define PROG "wharf-index plugin"

enum { OPT_ALLOW_UNSIGNED = 256, OPT_JSON };

static const wh_opt opts[] = {
    { 'p', "plugins", "DIR", "the plugin folder (default: $WHARF_PLUGINS_PATH)" },
    { 'k', "trusted-keys", "DIR", "minisign public keys (*.pub) of trusted plugin publishers" },
    { OPT_ALLOW_UNSIGNED, "allow-unsigned", NULL, "install a bundle without a trusted signature" },
    { OPT_JSON, "json", NULL, "list: print the state as JSON" },
    { 'q', "quiet", NULL, "print nothing but errors" },
    { 0, NULL, NULL, NULL }
};

static const char usage[] =
    "wharf-index plugin install BUNDLE.zip | list | enable NAME | disable NAME\n"
    "       | config NAME KEY=VALUE... | remove NAME  [options]";
static const char description[] =
    "Manage the plugins wharf-index build runs. install checks a bundle\n"
    "(signed BUNDLE.zip.minisig by a key in -k DIR, unless --allow-unsigned)\n"
    "and unpacks it into the plugin folder, disabled; enable and disable\n"
    "switch it; config sets values of its plugin.toml [plugin.config], each\n"
    "of its default's type; remove deletes it.";

typedef struct pcmd {
    const char *dir, *keys, *action;
    int allow_unsigned, json, quiet;
    int argc;          /* operands after the action */
    char **argv;
} pcmd;

/* Operands each action takes: min, max (-1: any). */
typedef struct action {
    const char *name;
    int min, max;
    int (*run)(const pcmd *c, wh_err *err);
} action;

static int usage_fail(wh_cli *cli, const char *msg)
{
    snprintf(cli->msg, sizeof cli->msg, "%s", msg);
    return wh_cli_usage_error(cli);
}

static int parse_args(pcmd *c, int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int o;
    while ((o = wh_cli_next(&cli, opts)) > 0) {
        switch (o) {
        case 'p': c->dir = cli.arg; break;
        case 'k': c->keys = cli.arg; break;
        case OPT_ALLOW_UNSIGNED: c->allow_unsigned = 1; break;
        case OPT_JSON: c->json = 1; break;
        case 'q': c->quiet = 1; break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
    }
    if (o < 0)
        return wh_cli_usage_error(&cli);
    if (cli.argc == 0)
        return usage_fail(&cli, "no action given");
    if (!c->dir || !*c->dir)
        c->dir = getenv(IX_PLUGINS_ENV);
    if (!c->dir || !*c->dir)
        return usage_fail(&cli, "no plugin folder: use --plugins DIR or set " IX_PLUGINS_ENV);
    c->action = cli.argv[0];
    c->argc = cli.argc - 1;
    c->argv = cli.argv + 1;
    return 0;
}

/* --- install --------------------------------------------------------------- */

typedef struct staging {
    char dir[PATH_MAX];
    const char *wasm_rel;     /* the module's name in the bundle */
    uint8_t *wasm;            /* a copy of it, for wh_plugin_load */
    size_t wasm_len;
} staging;

static int stage_file(void *ctx, const char *rel, const uint8_t *data,
                      size_t len, unsigned mode, wh_err *err)
{
    staging *s = ctx;
    char path[PATH_MAX], *slash;
    int rc = wh_path_join(path, sizeof path, s->dir, rel, strlen(rel), err);
    if (rc == 0 && (slash = strrchr(path, '/')) != NULL) {
        *slash = '\0';
        rc = wh_mkdirs(path, err);
        *slash = '/';
    }
    if (rc == 0)
        rc = wh_file_write_atomic(path, data, len, mode, err);
    if (rc == 0 && strcmp(rel, s->wasm_rel) == 0 && !s->wasm) {
        if (!(s->wasm = malloc(len ? len : 1)))
            return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
        memcpy(s->wasm, data, len);
        s->wasm_len = len;
    }
    return rc;
}

/* A trusted signature of data in path.minisig, unless the user allowed
 * none. */
static int check_signature(const pcmd *c, const char *path, const uint8_t *data,
                           size_t len, wh_err *err)
{
    if (c->allow_unsigned)
        return 0;
    char sig[PATH_MAX];
    if (snprintf(sig, sizeof sig, "%s.minisig", path) >= (int)sizeof sig)
        return wh_fail(err, WH_E_LIMIT, path, -1, "path too long");
    if (access(sig, F_OK) != 0)
        return wh_fail(err, WH_E_VERIFY, path, -1, "no signature %s.minisig "
                       "(use --allow-unsigned to install it anyway)", path);
    ix_trust *t = NULL;
    ix_signer who;
    int rc = ix_trust_load(&t, c->keys, NULL, err);
    if (rc == 0)
        rc = ix_trust_minisig(t, sig, data, len, &who, err);
    if (rc == 0 && who.status != IX_VERIFIED)
        rc = wh_fail(err, WH_E_UNTRUSTED, sig, -1, "signed by key %s, which "
                     "is not among the trusted keys", who.key_id);
    ix_trust_free(t);
    return rc;
}

/* The bundle at path, read and verified, into pkg and data. */
static int read_bundle(const pcmd *c, const char *path, wh_pkg *pkg,
                       char **data, size_t *len, wh_err *err)
{
    int rc = wh_file_read(path, WH_PKG_MAX_SIZE, data, len, err);
    if (rc == 0)
        rc = check_signature(c, path, (uint8_t *)*data, *len, err);
    if (rc == 0)
        rc = wh_pkg_read_mem(path, (uint8_t *)*data, *len, NULL, pkg, err);
    if (rc)
        return rc;
    if (pkg->kind != WH_PKG_BUNDLE) {
        wh_fail(err, WH_E_FORMAT, path, -1, "a %s, not a plugin bundle",
                wh_pkg_kind_name(pkg->kind));
        wh_pkg_free(pkg);
        return WH_E_FORMAT;
    }
    return 0;
}

/* The state entry of a freshly installed bundle: disabled, its defaults. */
static json_t *new_entry(const wh_pkg *pkg)
{
    json_t *plug = json_object_get(pkg->record, "plugin");
    json_t *cfg = json_object_get(plug, "config");
    return json_pack("{s:s, s:o, s:b, s:o, s:s}", "version", pkg->version,
                     "kinds", ix_plugins_kinds(json_object_get(plug, "capabilities")),
                     "enabled", 0, "config", cfg ? json_deep_copy(cfg) : json_object(),
                     "sha256", pkg->sha256);
}

/* Unpack into DIR/.staging-NAME and check the module loads as a plugin. */
static int stage(const pcmd *c, const char *path, const char *data, size_t len,
                 const wh_pkg *pkg, staging *s, wh_err *err)
{
    char rel[128];
    snprintf(rel, sizeof rel, ".staging-%s", pkg->name);
    s->wasm_rel = json_string_value(json_object_get(json_object_get(pkg->record,
                                                                    "plugin"), "wasm"));
    if (!s->wasm_rel)
        return wh_fail(err, WH_E_FORMAT, path, -1, "bundle names no module");
    int rc = ix_plugins_path(c->dir, rel, s->dir, err);
    if (rc == 0)
        rc = wh_fs_rmtree(s->dir, err);
    if (rc == 0)
        rc = wh_mkdirs(s->dir, err);
    if (rc == 0)
        rc = wh_pkg_unpack(path, (const uint8_t *)data, len, pkg, NULL, stage_file, s, err);
    if (rc == 0 && !s->wasm)
        rc = wh_fail(err, WH_E_FORMAT, path, -1, "bundle has no module %s", s->wasm_rel);
    wh_plugin *p = NULL;
    if (rc == 0)
        rc = wh_plugin_load(pkg->name, s->wasm, s->wasm_len, NULL, NULL, NULL, NULL, &p, err);
    wh_plugin_free(p);
    return rc;
}

/* Move the staged files to DIR/NAME and record the plugin. */
static int commit_install(const pcmd *c, json_t *state, const wh_pkg *pkg,
                          const staging *s, wh_err *err)
{
    char dest[PATH_MAX];
    json_t *e = new_entry(pkg);
    int rc = e ? ix_plugins_path(c->dir, pkg->name, dest, err)
               : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0)
        rc = wh_fs_rmtree(dest, err);     /* an unlisted leftover */
    if (rc == 0 && wh_fs_rename(s->dir, dest) != 0)
        rc = wh_fail_errno(err, errno, dest, "rename");
    if (rc == 0 && (rc = wh_fs_sync(c->dir, err)) == 0) {
        json_object_set_new(json_object_get(state, "plugins"), pkg->name, e);
        e = NULL;
        rc = ix_plugins_save(c->dir, state, err);
    }
    json_decref(e);
    return rc;
}

static int install_locked(const pcmd *c, const char *path, const char *data,
                          size_t len, const wh_pkg *pkg, wh_err *err)
{
    json_t *state = NULL;
    staging s = { .wasm = NULL };
    int rc = ix_plugins_load(c->dir, &state, err);
    if (rc == 0 && json_object_get(json_object_get(state, "plugins"), pkg->name))
        rc = wh_fail(err, WH_E_EXISTS, NULL, -1, "plugin '%s' is already "
                     "installed (remove it first)", pkg->name);
    if (rc == 0)
        rc = stage(c, path, data, len, pkg, &s, err);
    if (rc == 0)
        rc = commit_install(c, state, pkg, &s, err);
    if (rc && s.dir[0])
        wh_fs_rmtree(s.dir, NULL);
    free(s.wasm);
    json_decref(state);
    return rc;
}

static int do_install(const pcmd *c, wh_err *err)
{
    wh_pkg pkg;
    char *data = NULL;
    size_t len = 0;
    wh_lock l = { .fd = -1 };
    int rc = read_bundle(c, c->argv[0], &pkg, &data, &len, err);
    if (rc) {
        free(data);
        return rc;
    }
    rc = ix_plugins_lock(c->dir, &l, err);
    if (rc == 0)
        rc = install_locked(c, c->argv[0], data, len, &pkg, err);
    wh_lock_release(&l);
    if (rc == 0 && !c->quiet)
        printf("installed %s %s (disabled)\n", pkg.name, pkg.version);
    wh_pkg_free(&pkg);
    free(data);
    return rc;
}

/* --- list ------------------------------------------------------------------ */

/* "a, b" of an array of strings. */
static void print_kinds(const json_t *kinds)
{
    size_t i;
    json_t *k;
    json_array_foreach(kinds, i, k)
        printf("%s%s", i ? ", " : "", json_string_value(k));
    if (json_array_size(kinds) == 0)
        printf("-");
}

static void print_entry(const char *name, const json_t *e)
{
    printf("%s %s ", name, json_string_value(json_object_get(e, "version")));
    print_kinds(json_object_get(e, "kinds"));
    printf(" %s\n", json_is_true(json_object_get(e, "enabled")) ? "enabled" : "disabled");
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(e, "config"), key, v) {
        char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        printf("  %s = %s\n", key, t ? t : "?");
        free(t);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
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
        const char **names = malloc((json_object_size(plugins) + 1) * sizeof *names);
        size_t n = 0;
        const char *name;
        json_t *e;
        json_object_foreach(plugins, name, e)
            if (names)
                names[n++] = name;
        qsort(names, n, sizeof *names, cmp_str);
        for (size_t i = 0; i < n; i++)
            print_entry(names[i], json_object_get(plugins, names[i]));
        free(names);
    }
    json_decref(state);
    return 0;
}

/* --- enable, disable, config, remove -------------------------------------- */

/* Under DIR's lock: load the state, let change() alter NAME's entry,
 * save. */
static int change(const pcmd *c, int (*fn)(const pcmd *, json_t *, json_t *, wh_err *),
                  wh_err *err)
{
    wh_lock l = { .fd = -1 };
    json_t *state = NULL, *e = NULL;
    int rc = ix_plugins_lock(c->dir, &l, err);
    if (rc == 0)
        rc = ix_plugins_load(c->dir, &state, err);
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

/* Forgotten by the state first, so a run killed before the files go
 * leaves only an unlisted folder. */
static int drop(const pcmd *c, json_t *state, json_t *e, wh_err *err)
{
    (void)e;
    char dir[PATH_MAX];
    json_object_del(json_object_get(state, "plugins"), c->argv[0]);
    int rc = ix_plugins_save(c->dir, state, err);
    if (rc == 0)
        rc = ix_plugins_path(c->dir, c->argv[0], dir, err);
    if (rc == 0)
        rc = wh_fs_rmtree(dir, err);
    if (rc == 0 && !c->quiet)
        printf("removed %s\n", c->argv[0]);
    return rc;
}

static int do_enable(const pcmd *c, wh_err *err) { return change(c, set_enabled, err); }
static int do_config(const pcmd *c, wh_err *err) { return change(c, set_config, err); }
static int do_remove(const pcmd *c, wh_err *err) { return change(c, drop, err); }

static const action actions[] = {
    { "install", 1, 1, do_install },
    { "list",    0, 0, do_list },
    { "enable",  1, 1, do_enable },
    { "disable", 1, 1, do_enable },
    { "config",  2, -1, do_config },
    { "remove",  1, 1, do_remove },
    { NULL, 0, 0, NULL }
};

static int bad_operands(const action *a)
{
    fprintf(stderr, "%s: %s: %s\ntry '%s --help'\n", PROG, a->name,
            a->min == 0 ? "takes no operands" : a->max == 1 && a->min == 1
            ? (strcmp(a->name, "install") == 0 ? "one bundle expected" : "one plugin name expected")
            : "a plugin name and KEY=VALUE expected", PROG);
    return WH_EXIT_USAGE;
}

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
    if (c.argc < a->min || (a->max >= 0 && c.argc > a->max))
        return bad_operands(a);
    wh_err err;
    wh_err_clear(&err);
    rc = a->run(&c, &err);
    return rc ? wh_cli_report(PROG, &err) : 0;
}

/* cmd_install.c - `wharf install SPEC...` and `wharf install --locked`.
 *
 * A SPEC (spec.h) names a module, with or without a requirement, or a
 * local package file.  The SPECs join the world (plan.c: what the user
 * asked for), the whole world is resolved again, and the changes are
 * fetched, verified and applied as one transaction (apply.c, txn.c).
 *
 * A LOCAL FILE must carry FILE.minisig by a trusted key (wharf trust add;
 * the publisher's key, as for a repository) unless --allow-unsigned; it is
 * read and verified as its format demands, offered to the resolver in
 * place of the sources' versions of that module, and requested exactly
 * (NAME@=VERSION); its dependencies still come from the sources.
 *
 * --locked installs exactly what wharf.lock (lockfile.c) names: every
 * module pinned to its version, every package's SHA-256 the lock's, and
 * nothing else installed afterwards.
 *
 * Tests: tests/cli/t2010-wharf-install.sh, t2013-wharf-resolve.sh,
 * t2015-wharf-lock.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/pkg.h"
#include "installer/catalog.h"
#include "installer/spec.h"

enum { OPT_ALLOW_UNSIGNED = 1300, OPT_LOCKED, OPT_LOCK_FILE };

static const wh_opt opts[] = {
    INS_OPT_DRY_RUN_ROW,
    { OPT_LOCKED, "locked", NULL, "install exactly what wharf.lock names" },
    { OPT_LOCK_FILE, "lock-file", "FILE", "the lock file for --locked (default: wharf.lock)" },
    { OPT_ALLOW_UNSIGNED, "allow-unsigned", NULL, "install a local package file without a trusted signature" },
    INS_OPTS_SOURCES,
    INS_OPT_JSON_ROW,
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf install SPEC... [options]\n"
                            "       wharf install --locked [--lock-file FILE] [options]";
static const char description[] =
    "Install modules and their dependencies from the sources' signed indexes.\n"
    "SPEC is NAME (the newest release), NAME@REQ (REQ in npm syntax, or Cargo\n"
    "syntax when it holds a ','; NAME@1.2.3 means exactly 1.2.3), or the path\n"
    "of a .ferrpkg, .par, .par.gz or .zip signed by a trusted key. Modules\n"
    "already installed keep their versions when they fit.";

#define PROG "wharf install"

typedef struct install_opts {
    ins_cmd_opts c;
    int allow_unsigned, locked;
    const char *lock_file;
    int argc;
    char **argv;
} install_opts;

static int parse_args(install_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->lock_file = "wharf.lock";
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int c, took;
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        if ((took = ins_cmd_opt(&o->c, c, &cli)) < 0)
            return wh_cli_usage_error(&cli);
        if (took)
            continue;
        switch (c) {
        case OPT_ALLOW_UNSIGNED: o->allow_unsigned = 1; break;
        case OPT_LOCKED: o->locked = 1; break;
        case OPT_LOCK_FILE: o->lock_file = cli.arg; break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    o->argc = cli.argc;
    o->argv = cli.argv;
    if (o->locked ? o->argc > 0 : o->argc == 0) {
        snprintf(cli.msg, sizeof cli.msg, o->locked ? "--locked takes no SPEC"
                 : "nothing to install: give a SPEC");
        return wh_cli_usage_error(&cli);
    }
    return 0;
}

/* --- local package files ------------------------------------------------- */

/* FILE.minisig by a trusted key, unless allowed unsigned. */
static int check_signed(const install_opts *o, const wh_keyring *kr,
                        const char *path, const char *data, size_t len,
                        wh_err *err)
{
    char sig_path[PATH_MAX + 16], id[17];
    wh_minisign_sig sig;
    snprintf(sig_path, sizeof sig_path, "%s.minisig", path);
    int rc = wh_minisign_sig_load_flags(&sig, sig_path, WH_MINISIGN_NOFOLLOW, err);
    if (rc == WH_E_NOTFOUND && o->allow_unsigned)
        return 0;
    if (rc == WH_E_NOTFOUND)
        return wh_fail(err, WH_E_UNTRUSTED, path, -1, "not signed (no %s); "
                       "--allow-unsigned installs it anyway", sig_path);
    if (rc)
        return rc;
    const wh_minisign_pubkey *pk = wh_keyring_find(kr, sig.key_id, NULL);
    wh_minisign_keyid_hex(sig.key_id, id);
    if (!pk)
        return wh_fail(err, WH_E_UNTRUSTED, sig_path, -1, "signed by key %s, "
                       "which is not trusted (wharf trust add KEY.pub)", id);
    return wh_minisign_verify_buffer(&sig, pk, data, len, sig_path, 0, err);
}

/* A local package file named on the command line. */
typedef struct local_pkg {
    const char *path;
    char       *data;
    size_t      len;
    char        name[65], version[257];
} local_pkg;

/* Read, check and offer a local package file; world asks for it exactly. */
static int add_local(const install_opts *o, ins_session *s, ins_plan_ctx *p,
                     local_pkg *l, json_t *world, wh_err *err)
{
    char req[400];
    wh_pkg pkg;
    int rc = wh_file_read(l->path, WH_PKG_MAX_SIZE, &l->data, &l->len, err);
    if (rc == 0)
        rc = check_signed(o, &s->kr, l->path, l->data, l->len, err);
    if (rc == 0)
        rc = wh_pkg_read_mem(l->path, (const uint8_t *)l->data, l->len, NULL, &pkg, err);
    if (rc)
        return rc;
    snprintf(l->name, sizeof l->name, "%s", pkg.name);
    snprintf(l->version, sizeof l->version, "%s", pkg.version);
    json_object_set_new(pkg.record, "source", json_string(l->path));
    snprintf(req, sizeof req, "%s@=%s", pkg.name, pkg.version);
    rc = ins_plan_local(p, pkg.name, pkg.version, pkg.record, err);
    if (rc == 0 && json_object_set_new(world, pkg.name, json_string(req)))
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    wh_pkg_free(&pkg);
    return rc;
}

/* Give the changes that install local files their bytes (cs owns them). */
static void use_local(ins_changes *cs, local_pkg *l, size_t n)
{
    for (size_t i = 0; i < cs->n; i++)
        for (size_t k = 0; k < n; k++)
            if (l[k].data && cs->info[i].record && cs->c[i].version &&
                !strcmp(l[k].name, cs->c[i].name) &&
                !strcmp(l[k].version, cs->c[i].version)) {
                cs->info[i].data = l[k].data;
                l[k].data = NULL;
                cs->c[i].data = (const uint8_t *)cs->info[i].data;
                cs->c[i].len = l[k].len;
                cs->c[i].path = l[k].path;
            }
}

/* --- the world ------------------------------------------------------------- */

/* What the user asked for before: each installed module's "request". */
static json_t *world_of(json_t *installed)
{
    json_t *w = json_object(), *m;
    const char *name;
    json_object_foreach(installed, name, m)
        if (json_object_get(m, "request"))
            json_object_set(w, name, json_object_get(m, "request"));
    return w;
}

/* A module SPEC joins the world; one no source lists and not installed
 * is an unknown module (exit 6), said before any resolving. */
static int add_spec(ins_session *s, const ins_spec *sp, json_t *world, wh_err *err)
{
    json_t *versions = NULL;
    int rc = ins_installed_version(s->installed, sp->name) ? 0
           : ins_catalog_module(s->cat, sp->name, &versions, err);
    json_decref(versions);
    if (rc == 0 && json_object_set_new(world, sp->name, json_string(sp->arg)))
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    return rc;
}

/* --locked: every module of the lock pinned; the world is its requests. */
static int world_of_lock(const install_opts *o, json_t *lock, json_t *world,
                         json_t *pins, wh_err *err)
{
    const char *name;
    json_t *m;
    char spec[400];
    json_object_foreach(lock, name, m) {
        snprintf(spec, sizeof spec, "%s@=%s", name,
                 json_string_value(json_object_get(m, "version")));
        if (json_object_set_new(pins, name, json_string(spec)) ||
            (json_object_get(m, "request") &&
             json_object_set(world, name, json_object_get(m, "request"))))
            return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    (void)o;
    return 0;
}

/* The resolution must be the lock, package for package. */
static int check_locked(const install_opts *o, ins_plan_ctx *p, json_t *lock,
                        json_t *picks, wh_err *err)
{
    const char *name;
    json_t *v;
    json_object_foreach(picks, name, v) {
        json_t *l = json_object_get(lock, name);
        json_t *rec = ins_plan_record(p, name, json_string_value(v));
        if (!l)
            return wh_fail(err, WH_E_CONFLICT, o->lock_file, -1, "%s %s is needed "
                           "but not locked (run wharf lock again)", name,
                           json_string_value(v));
        if (!json_equal(json_object_get(rec, "sha256"), json_object_get(l, "sha256")))
            return wh_fail(err, WH_E_VERIFY, o->lock_file, -1, "%s %s: the index "
                           "gives sha256 %s, the lock %s", name, json_string_value(v),
                           json_string_value(json_object_get(rec, "sha256")),
                           json_string_value(json_object_get(l, "sha256")));
    }
    return 0;
}

/* --- the command ------------------------------------------------------------ */

static int resolve(ins_plan_ctx *p, json_t *world, json_t *pins, json_t **picks,
                   char **why, wh_err *err)
{
    json_t *all = json_deep_copy(world);
    if (!all)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    json_object_update(all, pins);
    int rc = ins_plan_resolve(p, all, picks, why, err);
    json_decref(all);
    return rc;
}

/* The command, in its session (ins_session_main). */
static int run(void *arg, ins_session *s, char **why, wh_err *err)
{
    install_opts *o = arg;
    json_t *world = world_of(s->installed), *pins = json_object(), *lock = NULL;
    json_t *picks = NULL;
    ins_plan_ctx *p = ins_plan_new(s->cat, s->installed);
    local_pkg *locals = calloc((size_t)o->argc + 1, sizeof *locals);
    ins_changes cs = { 0 };
    ins_change_opts co = { PROG, o->c.dry_run, o->c.json, o->c.quiet, o->c.offline,
                           o->c.timeout };
    int rc = world && pins && p && locals ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    for (int i = 0; rc == 0 && i < o->argc; i++) {
        ins_spec sp;
        rc = ins_spec_parse(o->argv[i], &sp, err);
        if (rc == 0 && sp.kind == INS_SPEC_FILE) {
            locals[i].path = o->argv[i];
            rc = add_local(o, s, p, &locals[i], world, err);
        } else if (rc == 0)
            rc = add_spec(s, &sp, world, err);
        ins_spec_free(&sp);
    }
    if (rc == 0 && o->locked) {
        json_object_clear(world);
        rc = ins_lockfile_read(o->lock_file, &lock, err);
        if (rc == 0)
            rc = world_of_lock(o, lock, world, pins, err);
    }
    if (rc == 0)
        rc = resolve(p, world, pins, &picks, why, err);
    if (rc == 0 && lock)
        rc = check_locked(o, p, lock, picks, err);
    if (rc == 0)
        rc = ins_changes_from(&cs, p, s->installed, world, picks, err);
    if (rc == 0) {
        use_local(&cs, locals, (size_t)o->argc);
        rc = ins_changes_do(&cs, s, &co, err);
    }
    ins_changes_free(&cs);
    for (int i = 0; locals && i < o->argc; i++)
        free(locals[i].data);
    free(locals);
    ins_plan_free(p);
    json_decref(world);
    json_decref(pins);
    json_decref(lock);
    json_decref(picks);
    return rc;
}

int cmd_install(int argc, char **argv)
{
    install_opts o;
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    ins_session_opts so = ins_session_opts_of(PROG, &o.c, 1, 1);
    rc = ins_session_main(&so, run, &o);
    ins_cmd_opts_free(&o.c);
    return rc;
}

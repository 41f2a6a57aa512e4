/* plugin_install.c - putting a plugin bundle into the plugin folder and
 * taking it out (prefix ix_install_): install, update and remove, each a
 * sequence of writes that a kill -9 at any point leaves whole.
 *
 * Install checks everything before it changes anything: the bundle was
 * read and its signatures checked by plugin_bundle.c; here its name must
 * be free and its module must load as a plugin (wh_plugin_load: only
 * wharf.* imports, the ABI's exports), so a plugin a build would refuse is
 * refused now, when its publisher is at hand.  Plugins start disabled, so
 * an install alone never changes what a build does.  The caller holds
 * DIR/.lock (ix_plugins_lock) and has loaded the state.
 *
 * Order of writes (each a kill -9 point, tests/cli/t1201):
 *   install  unpack into DIR/.staging-NAME, rename it to DIR/NAME, then
 *            state.json (the commit).
 *   update   unpack into DIR/.staging-NAME; rename DIR/NAME to
 *            DIR/.replaced-NAME.SHA (SHA: the NEW bundle's); rename the
 *            staging folder to DIR/NAME; state.json (the commit); remove
 *            the .replaced folder.
 *   remove   state.json first, then the folder.
 * Whoever takes the lock next (ix_plugins_lock, plugins.c) finishes or
 * undoes what a killed run left: a .replaced folder whose SHA is the
 * state's entry is the old version of a committed update and goes;
 * otherwise the update did not commit and the folder is put back.
 * Staging folders and temporaries are removed.  So state.json is the
 * truth and DIR/NAME ends up holding the files of the version it names.
 *
 * Tests: tests/cli/t1200-wharf-index-plugin.sh,
 * t1201-wharf-index-plugin-kill.sh, t1202-wharf-index-plugin-sources.sh.
 */
#include "indexer/indexer.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/semver.h"

static int nomem(wh_err *err)
{
    return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
}

/* Unpack b into DIR/.staging-NAME (its path into sdir, "" until known)
 * and check the module loads as a plugin. */
static int stage(const char *dir, const ix_bundle *b, char sdir[PATH_MAX],
                 wh_err *err)
{
    const wh_pkg *pkg = ix_bundle_pkg(b);
    char rel[128];
    uint8_t *wasm = NULL;
    size_t len = 0;
    wh_plugin *p = NULL;
    snprintf(rel, sizeof rel, ".staging-%s", pkg->name);
    int rc = ix_plugins_path(dir, rel, sdir, err);
    if (rc == 0)
        rc = wh_fs_rmtree(sdir, err);
    if (rc == 0)
        rc = wh_mkdirs(sdir, err);
    if (rc == 0)
        rc = ix_bundle_unpack(b, sdir, &wasm, &len, err);
    if (rc == 0)
        rc = wh_plugin_load(pkg->name, wasm, len, NULL, NULL, NULL, NULL, &p, err);
    wh_plugin_free(p);
    free(wasm);
    return rc;
}

/* Put e in the state as NAME's entry and save it: the commit.  e is
 * taken, whatever happens. */
static int commit_state(const char *dir, json_t *state, const char *name,
                        json_t *e, wh_err *err)
{
    int rc = wh_fs_sync(dir, err);
    if (rc) {
        json_decref(e);
        return rc;
    }
    if (json_object_set_new(json_object_get(state, "plugins"), name, e))
        return nomem(err);
    return ix_plugins_save(dir, state, err);
}

/* Move the staged files to DIR/NAME and record the plugin. */
static int commit_install(const char *dir, json_t *state, const ix_bundle *b,
                          const char *sdir, wh_err *err)
{
    const char *name = ix_bundle_pkg(b)->name;
    char dest[PATH_MAX];
    json_t *e = ix_bundle_entry(b);
    int rc = e ? ix_plugins_path(dir, name, dest, err) : nomem(err);
    if (rc == 0)
        rc = wh_fs_rmtree(dest, err);     /* an unlisted leftover */
    if (rc == 0 && wh_fs_rename(sdir, dest) != 0)
        rc = wh_fail_errno(err, errno, dest, "rename");
    if (rc == 0) {
        rc = commit_state(dir, state, name, e, err);
        e = NULL;
    }
    json_decref(e);
    return rc;
}

int ix_install_new(const char *dir, json_t *state, const ix_bundle *b,
                   wh_err *err)
{
    const char *name = ix_bundle_pkg(b)->name;
    char sdir[PATH_MAX] = "";
    int rc = ix_plugins_name_check(name, ix_bundle_label(b), err);
    if (rc == 0 && json_object_get(json_object_get(state, "plugins"), name))
        rc = wh_fail(err, WH_E_EXISTS, NULL, -1, "plugin '%s' is already "
                     "installed (remove it first)", name);
    if (rc == 0)
        rc = stage(dir, b, sdir, err);
    if (rc == 0)
        rc = commit_install(dir, state, b, sdir, err);
    if (rc && sdir[0])
        wh_fs_rmtree(sdir, NULL);
    return rc;
}

/* Move DIR/NAME aside (named by the new bundle's SHA-256, which tells
 * recover() whether the state took it), the staged files in, commit the
 * state, drop the old files. */
static int commit_update(const ix_install *in, json_t *state, const json_t *old,
                         const ix_bundle *b, const char *sdir, wh_err *err)
{
    const wh_pkg *pkg = ix_bundle_pkg(b);
    char dest[PATH_MAX], aside[PATH_MAX] = "", rel[256];
    json_t *e = ix_bundle_entry(b);
    snprintf(rel, sizeof rel, ".replaced-%s.%s", pkg->name, pkg->sha256);
    int rc = e ? ix_plugins_path(in->dir, pkg->name, dest, err) : nomem(err);
    if (rc == 0)
        rc = ix_plugins_path(in->dir, rel, aside, err);
    if (rc == 0 && wh_fs_rename(dest, aside) != 0 && errno != ENOENT)
        rc = wh_fail_errno(err, errno, dest, "rename");
    if (rc == 0 && wh_fs_rename(sdir, dest) != 0)
        rc = wh_fail_errno(err, errno, dest, "rename");
    if (rc == 0) {
        ix_plugins_keep(e, old, in->note, in->ctx);
        rc = commit_state(in->dir, state, pkg->name, e, err);
        e = NULL;
    }
    if (rc == 0)
        rc = wh_fs_rmtree(aside, err);
    json_decref(e);
    return rc;
}

/* 1 when version a is higher than b (b unreadable: any readable a is). */
static int newer(const char *a, const char *b)
{
    wh_semver x, y;
    if (wh_semver_parse(&x, a, strlen(a), NULL))
        return 0;
    return wh_semver_parse(&y, b, strlen(b), NULL) || wh_semver_compare(&x, &y) > 0;
}

int ix_install_update(const ix_install *in, json_t *state, const char *name,
                      ix_bundle *b, int *current, wh_err *err)
{
    const wh_pkg *pkg = ix_bundle_pkg(b);
    char sdir[PATH_MAX] = "";
    json_t *old = ix_plugins_get(state, name, err);
    *current = 0;
    if (!old)
        return WH_E_NOTFOUND;
    json_incref(old);     /* the commit replaces it in state */
    const char *signer = json_string_value(json_object_get(old, "signer"));
    const char *ver = json_string_value(json_object_get(old, "version"));
    int rc = 0;
    if (strcmp(pkg->name, name) != 0)
        rc = wh_fail(err, WH_E_VERIFY, ix_bundle_label(b), -1, "is plugin '%s', "
                     "not '%s'", pkg->name, name);
    *current = rc == 0 && !newer(pkg->version, ver ? ver : "");
    /* --allow-unsigned cannot drop the check of a signed plugin */
    if (rc == 0 && !*current)
        rc = ix_bundle_verify(b, in->keys, in->allow_unsigned && (!signer || !*signer),
                              err);
    if (rc == 0 && !*current)
        rc = stage(in->dir, b, sdir, err);
    if (rc == 0 && !*current)
        rc = commit_update(in, state, old, b, sdir, err);
    if (rc && sdir[0])
        wh_fs_rmtree(sdir, NULL);
    json_decref(old);
    return rc;
}

/* Forgotten by the state first, so a run killed before the files go
 * leaves only an unlisted folder. */
int ix_install_remove(const char *dir, json_t *state, const char *name,
                      wh_err *err)
{
    char path[PATH_MAX];
    json_object_del(json_object_get(state, "plugins"), name);
    int rc = ix_plugins_save(dir, state, err);
    if (rc == 0)
        rc = ix_plugins_path(dir, name, path, err);
    if (rc == 0)
        rc = wh_fs_rmtree(path, err);
    return rc;
}

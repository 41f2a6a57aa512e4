/* txn.c - changing what is installed, all or nothing.
 *
 * installed.json is the truth: a module is installed exactly when it has
 * an entry there, and its files are ROOT/modules/NAME/VERSION/.  A change
 * (install, upgrade, uninstall, install --locked) is applied in this
 * order, holding the root's lock:
 *
 *   1. stage: each new module's files are written under
 *      ROOT/staging/NAME@VERSION/ (atomic writes without fsync), then one
 *      syncfs makes them durable;
 *   2. place: each staged folder is renamed to ROOT/modules/NAME/VERSION/,
 *      a folder no entry names yet (versions differ, or the module is
 *      new), so nothing installed is touched;
 *   3. commit: installed.json is replaced atomically;
 *   4. clean: the folders of replaced and removed versions are deleted.
 *
 * A kill before (3) leaves the old installed.json, naming only old folders,
 * all intact; a kill after it, the new one, whose folders were all placed
 * before it.  What a kill leaves behind (staging/, a placed folder no entry
 * names, an old folder not yet deleted) is removed by ins_txn_recover,
 * which every command that takes the lock runs first.
 *
 * Tests: tests/cli/t2010-wharf-install.sh, t2011-wharf-install-kill.sh.
 */
#include "installer/installer.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/hex.h"
#include "common/pkg.h"
#include "common/sha256.h"

/* --- recovery ---------------------------------------------------------------- */

/* Remove the version folders of modules/NAME that no entry names, and
 * NAME itself when it ends up empty. */
static int recover_module(const char *dir, const char *name, json_t *mods,
                          wh_err *err)
{
    const char *keep = ins_installed_version(mods, name);
    DIR *d = opendir(dir);
    struct dirent *de;
    char sub[PATH_MAX];
    int rc = 0, left = 0;
    while (d && rc == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (keep && !strcmp(de->d_name, keep)) {
            left = 1;
            continue;
        }
        rc = snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name) >= (int)sizeof sub
           ? wh_fail(err, WH_E_LIMIT, dir, -1, "path too long") : wh_fs_rmtree(sub, err);
    }
    if (d)
        closedir(d);
    if (rc == 0 && !left && rmdir(dir) < 0 && errno != ENOENT && errno != ENOTDIR)
        rc = wh_fail_errno(err, errno, dir, "cannot remove");
    return rc;
}

int ins_txn_recover(const ins_home *h, json_t *mods, wh_err *err)
{
    char path[PATH_MAX], sub[PATH_MAX];
    int rc = ins_home_path(h, INS_STAGING_DIR, path, sizeof path, err);
    if (rc == 0)
        rc = wh_fs_rmtree(path, err);
    if (rc == 0)
        rc = ins_home_path(h, INS_MODULES_DIR, path, sizeof path, err);
    DIR *d = rc == 0 ? opendir(path) : NULL;
    struct dirent *de;
    while (d && rc == 0 && (de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            if (snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >= (int)sizeof sub)
                rc = wh_fail(err, WH_E_LIMIT, path, -1, "path too long");
            else
                rc = recover_module(sub, de->d_name, mods, err);
        }
    if (d)
        closedir(d);
    return rc;
}

/* --- staging -------------------------------------------------------------- */

typedef struct stage_ctx {
    const char *dir;        /* staging/NAME@VERSION */
    const char *tmpdir;     /* staging/: every temporary in one place */
    json_t     *files;
} stage_ctx;

static int stage_file(void *ctx, const char *rel, const uint8_t *data,
                      size_t len, unsigned mode, wh_err *err)
{
    stage_ctx *s = ctx;
    char path[PATH_MAX], parent[PATH_MAX], hex[WH_SHA256_HEX];
    uint8_t md[WH_SHA256_BYTES];
    int rc = wh_path_join(path, sizeof path, s->dir, rel, strlen(rel), err);
    if (rc)
        return rc;
    snprintf(parent, sizeof parent, "%s", path);
    *strrchr(parent, '/') = '\0';
    if ((rc = wh_mkdirs(parent, err)) ||
        (rc = wh_file_write_atomic_flags(path, s->tmpdir, data, len, mode,
                                         WH_WRITE_NOSYNC, err)) ||
        (rc = wh_sha256_buf(data, len, md, err)))
        return rc;
    wh_hex_encode(hex, md, sizeof md, 0);
    if (json_object_set_new(s->files, rel, json_pack("{sssIsi}", "sha256", hex,
                            "size", (json_int_t)len, "mode", (int)mode)))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    return 0;
}

static int staged_dir(const ins_home *h, const ins_change *c, char *out,
                      size_t n, wh_err *err)
{
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, INS_STAGING_DIR "/%s@%s", c->name, c->version);
    return ins_home_path(h, rel, out, n, err);
}

static int stage_one(const ins_home *h, ins_change *c, const char *tmpdir,
                     wh_err *err)
{
    char dir[PATH_MAX];
    json_t *files = json_object();
    stage_ctx s = { dir, tmpdir, files };
    int rc = files ? staged_dir(h, c, dir, sizeof dir, err)
                   : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0)
        rc = wh_mkdirs(dir, err);
    if (rc == 0)
        rc = wh_pkg_unpack(c->path, c->data, c->len, c->pkg, NULL, stage_file,
                           &s, err);
    if (rc == 0 && json_object_set(c->entry, "files", files))
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    json_decref(files);
    return rc;
}

/* --- the transaction ------------------------------------------------------- */

static int module_dir(const ins_home *h, const char *name, const char *version,
                      char *out, size_t n, wh_err *err)
{
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, INS_MODULES_DIR "/%s%s%s", name, version ? "/" : "",
             version ? version : "");
    return ins_home_path(h, rel, out, n, err);
}

static int place_one(const ins_home *h, const ins_change *c, wh_err *err)
{
    char from[PATH_MAX], parent[PATH_MAX], to[PATH_MAX];
    int rc = staged_dir(h, c, from, sizeof from, err);
    if (rc == 0)
        rc = module_dir(h, c->name, NULL, parent, sizeof parent, err);
    if (rc == 0)
        rc = module_dir(h, c->name, c->version, to, sizeof to, err);
    if (rc == 0)
        rc = wh_mkdirs(parent, err);
    if (rc == 0 && wh_fs_rename(from, to) < 0)
        rc = wh_fail_errno(err, errno, to, "cannot rename into place");
    return rc;
}

/* installed.json as it will be after the changes. */
static int next_state(json_t *mods, const ins_change *c, size_t n, wh_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (c[i].entry ? json_object_set(mods, c[i].name, c[i].entry) != 0
                       : (json_object_del(mods, c[i].name), 0))
            return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    return 0;
}

int ins_txn_apply(const ins_home *h, json_t *mods, ins_change *c, size_t n,
                  wh_err *err)
{
    char tmpdir[PATH_MAX];
    json_t *next = json_deep_copy(mods);
    int rc = next ? ins_home_path(h, INS_STAGING_DIR, tmpdir, sizeof tmpdir, err)
                  : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0)
        rc = wh_mkdirs(tmpdir, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (c[i].data)
            rc = stage_one(h, &c[i], tmpdir, err);
    if (rc == 0)
        rc = wh_fs_sync(tmpdir, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (c[i].data)
            rc = place_one(h, &c[i], err);
    if (rc == 0)
        rc = next_state(next, c, n, err);
    if (rc == 0)
        rc = ins_installed_save(h, next, err);              /* the commit */
    if (rc == 0) {
        json_object_clear(mods);
        json_object_update(mods, next);
        rc = ins_txn_recover(h, mods, err);                  /* old folders */
    }
    else {
        /* What was staged or placed goes now, unless the commit took
         * effect after all (a failing fsync after its rename): the file
         * on disk decides, as it will for the next run. */
        wh_err ignored;
        json_t *disk = NULL;
        if (ins_installed_load(h, &disk, &ignored) == 0) {
            ins_txn_recover(h, disk, &ignored);
            json_object_clear(mods);
            json_object_update(mods, disk);
        }
        json_decref(disk);
    }
    json_decref(next);
    return rc;
}

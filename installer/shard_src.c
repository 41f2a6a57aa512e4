/* shard_src.c - a source whose site has only the sharded index
 * (common/shard.h): what `wharf update` fetches of it, what it keeps,
 * and how a command gets one module's versions.
 *
 * THE COPY.  ROOT/indexes/NAME/ takes the site's layout, as for
 * index.json (repo.c): index/bins/HEX.json and index/modules/HE/HEX.json
 * as they are fetched, index/snapshot/HEX.json, then snapshot.json.minisig
 * renamed into place last (the commit), so common/shard.c reads the copy
 * as it reads a site folder.
 *
 * UPDATE fetches the top level and every bin the copy does not hold yet
 * (one changed version: one bin), and with --all every module file too.
 * Bins and module files are named by their SHA-256 and checked against
 * it, so a file the copy holds is never fetched again; they are written
 * before the commit (a kill leaves unnamed files, never a copy that names
 * a missing one).  After the commit, the bins the new top level no longer
 * names go, and with each the module files it named that the new bins
 * do not.
 *
 * A MODULE is read from the copy, else fetched from the source's
 * locations in order (the first that serves a file with the right
 * digest), checked, and kept in the copy for next time: a resolution
 * fetches only the module files it needs.  With --offline, an http(s)://
 * location is never asked ("wharf update --all" fetches everything).
 *
 * Tests: tests/cli/t1110-wharf-index-sharded.sh.
 */
#include "installer/shard_src.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fetch.h"
#include "common/fs.h"
#include "common/hex.h"
#include "common/json.h"

/* Keep bytes as SITE-like rel below dir (made as needed). */
static int keep_file(const char *dir, const char *rel, const char *bytes,
                     size_t len, wh_err *err)
{
    char path[PATH_MAX], parent[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, rel) >= (int)sizeof path)
        return wh_fail(err, WH_E_LIMIT, dir, -1, "path too long");
    snprintf(parent, sizeof parent, "%s", path);
    *strrchr(parent, '/') = '\0';
    int rc = wh_mkdirs(parent, err);
    return rc ? rc : wh_file_write_atomic_flags(path, NULL, bytes, len, 0644,
                                                WH_WRITE_NOSYNC, err);
}

static int have_file(const char *dir, const char *rel)
{
    char path[PATH_MAX];
    struct stat st;
    return dir && snprintf(path, sizeof path, "%s/%s", dir, rel) < (int)sizeof path &&
           lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Every module file of bin b the copy lacks. */
static int sync_modules(wh_snap *s, const char *loc, int http, int timeout,
                        const char *copy, int write, size_t b, ins_shard_stats *st,
                        wh_err *err)
{
    json_t *mods, *h;
    const char *name;
    char rel[160];
    int rc = s->bin_cache[b] ? 0 : wh_snap_bin(s, copy, b, &mods, err);
    json_object_foreach(s->bin_cache[b], name, h) {
        char *bytes;
        size_t len;
        json_t *v;
        const char *hex = json_string_value(h);
        wh_snap_path(rel, sizeof rel, 'm', hex, "");
        if (rc || have_file(copy, rel))
            continue;
        rc = wh_site_module(loc, http, timeout, name, hex, &bytes, &len, &v, err);
        if (rc == 0) {
            st->files++;
            st->bytes += len;
            json_decref(v);
            if (write)
                rc = keep_file(copy, rel, bytes, len, err);
            free(bytes);
        }
    }
    return rc;
}

int ins_shard_sync(wh_index *ix, const char *loc, int http, int timeout,
                   const char *copy, int write, int all, ins_shard_stats *st,
                   wh_err *err)
{
    wh_snap *s = ix->snap;
    char rel[160];
    int rc = 0;
    for (size_t b = 0; rc == 0 && b < s->nbins; b++) {
        char *bytes = NULL;
        size_t len;
        if (!*s->bins[b])
            continue;
        wh_snap_path(rel, sizeof rel, 'b', s->bins[b], "");
        if (have_file(copy, rel) && !all)
            continue;
        if (!have_file(copy, rel)) {
            rc = wh_site_bin(s, loc, http, timeout, b, &bytes, &len, err);
            if (rc == 0 && bytes) {
                st->files++;
                st->bytes += len;
                if (write)
                    rc = keep_file(copy, rel, bytes, len, err);
            }
            free(bytes);
        }
        if (rc == 0 && all)
            rc = sync_modules(s, loc, http, timeout, copy, write, b, st, err);
        if (write && s->bin_cache[b]) {    /* the copy has it: read it there */
            json_decref(s->bin_cache[b]);
            s->bin_cache[b] = NULL;
        }
    }
    return rc == 0 && write ? wh_fs_sync(copy, err) : rc;
}

/* --- after the commit ------------------------------------------------------ */

/* Remove the module files of an old bin (bytes) that s does not name. */
static int prune_bin(wh_snap *s, const char *copy, const char *bytes, size_t len,
                     wh_err *err)
{
    json_t *doc = json_loadb(bytes, len, 0, NULL), *h;
    const char *name;
    char rel[160], path[PATH_MAX];
    int rc = 0;
    json_object_foreach(json_object_get(doc, "modules"), name, h) {
        json_t *mods;
        const char *hex = json_string_value(h);
        if (rc || !hex || !wh_hex_is_lower(hex, 64))
            continue;
        size_t b = wh_snap_bin_of(name, strlen(name), s->bits);
        if (wh_snap_bin(s, copy, b, &mods, err) == 0 &&
            !json_equal(json_object_get(mods, name), h)) {
            wh_snap_path(rel, sizeof rel, 'm', hex, "");
            snprintf(path, sizeof path, "%s/%s", copy, rel);
            if (wh_fs_unlink(path) < 0 && errno != ENOENT)
                rc = wh_fail_errno(err, errno, path, "cannot remove");
        }
    }
    json_decref(doc);
    return rc;
}

static int named_bin(const wh_snap *s, const char *file)
{
    for (size_t b = 0; b < s->nbins; b++)
        if (*s->bins[b] && !strncmp(file, s->bins[b], 64) && !strcmp(file + 64, ".json"))
            return 1;
    return 0;
}

int ins_shard_prune(wh_index *ix, const char *copy, wh_err *err)
{
    wh_snap *s = ix->snap;
    char dir[PATH_MAX], path[PATH_MAX + 300], keep[160];
    snprintf(dir, sizeof dir, "%s/" WH_SNAP_DIR "/bins", copy);
    DIR *d = opendir(dir);
    struct dirent *de;
    int rc = 0;
    while (d && rc == 0 && (de = readdir(d))) {
        char *bytes;
        size_t len;
        if (de->d_name[0] == '.' || named_bin(s, de->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (wh_file_read_stat(path, WH_BIN_MAX, WH_READ_NOFOLLOW, &bytes, &len,
                              NULL, err) == 0) {
            rc = prune_bin(s, copy, bytes, len, err);
            free(bytes);
        }
        if (rc == 0 && wh_fs_unlink(path) < 0 && errno != ENOENT)
            rc = wh_fail_errno(err, errno, path, "cannot remove");
    }
    if (d)
        closedir(d);
    snprintf(dir, sizeof dir, "%s/" WH_SNAP_DIR "/snapshot", copy);
    snprintf(keep, sizeof keep, "%s.json", s->head.sha256);
    return rc ? rc : ins_prune_dir(dir, keep, err);
}

/* --- one module ------------------------------------------------------------ */

/* From the first location that serves it. */
static int module_fetch(const ins_shard_read *r, const char *name, const char *hex,
                        json_t **versions, wh_err *err)
{
    json_t *loc;
    size_t i;
    char rel[160], dir[PATH_MAX];
    int rc = WH_E_NOTFOUND;
    wh_fail(err, WH_E_IO, name, -1, "module file %s: no location to fetch it from", hex);
    json_array_foreach(r->locations, i, loc) {
        const char *l = json_string_value(loc);
        char *bytes = NULL;
        size_t len;
        int http = l && ins_location_is_http(l);
        if (!l || (http && r->offline) ||
            (!http && ins_location_dir(l, dir, sizeof dir, err)))
            continue;
        rc = wh_site_module(http ? l : dir, http, r->timeout, name, hex, &bytes,
                            &len, versions, err);
        if (rc == 0 && r->copy) {
            wh_snap_path(rel, sizeof rel, 'm', hex, "");
            if (keep_file(r->copy, rel, bytes, len, err))
                rc = 0;               /* kept or not, the module is checked */
        }
        free(bytes);
        if (rc == 0)
            return 0;
    }
    if (rc == WH_E_NOTFOUND && !r->offline)
        return WH_E_IO;
    if (rc == WH_E_NOTFOUND && r->offline)
        return wh_fail(err, WH_E_IO, name, -1, "the module's index file is not "
                       "in the copy and --offline asks no server for it (wharf "
                       "update --all fetches every module)");
    return rc;
}

int ins_shard_module(const ins_shard_read *r, const char *name, json_t **versions,
                     wh_err *err)
{
    wh_snap *s = r->snap;
    json_t *mods;
    size_t b = wh_snap_bin_of(name, strlen(name), s->bits);
    *versions = NULL;
    int rc = s->bin_cache[b] || !*s->bins[b] || r->dir ? wh_snap_bin(s, r->dir, b, &mods, err)
           : wh_fail(err, WH_E_INTERNAL, name, -1, "bin %zu was not fetched", b);
    const char *hex = json_string_value(json_object_get(mods, name));
    if (rc)
        return rc;
    if (!hex)
        return wh_fail(err, WH_E_NOTFOUND, name, -1, "no such module");
    char rel[160], *bytes;
    size_t len, count = 0;
    wh_snap_path(rel, sizeof rel, 'm', hex, "");
    if (r->dir && have_file(r->dir, rel)) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", r->dir, rel);
        rc = wh_file_read_stat(path, WH_MODFILE_MAX, WH_READ_NOFOLLOW, &bytes, &len,
                               NULL, err);
        if (rc == 0)
            rc = wh_snap_module_parse(name, hex, bytes, len, path, versions, &count, err);
        free(bytes);
        return rc;
    }
    return module_fetch(r, name, hex, versions, err);
}

/* lockfile.c - wharf.lock: the exact modules installed, to reproduce them
 * elsewhere with `wharf install --locked` (Cargo.lock, package-lock.json).
 *
 *   {"format": "wharf-lock/1",
 *    "modules": {NAME: {"version": V, "sha256": HEX, "size": N,
 *                       "source": S, "request": SPEC (asked-for only)}}}
 *
 * Canonical JSON, so the same installation gives the same bytes and a
 * lock file diffs well under version control.  Read as hostile: every
 * field checked.
 *
 * Tests: tests/cli/t2015-wharf-lock.sh.
 */
#include "installer/installer.h"

#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/pkg.h"
#include "common/semver.h"

#define LOCKFILE_FORMAT "wharf-lock/1"
#define LOCKFILE_MAX    ((size_t)16 << 20)

int ins_lockfile_write(const char *path, json_t *installed, wh_err *err)
{
    json_t *mods = json_object(), *m, *root;
    const char *name;
    char *text = NULL;
    size_t len;
    json_object_foreach(installed, name, m) {
        json_t *e = json_pack("{sOsOsOsO}", "version", json_object_get(m, "version"),
                              "sha256", json_object_get(m, "sha256"),
                              "size", json_object_get(m, "size"),
                              "source", json_object_get(m, "source"));
        if (e && json_object_get(m, "request"))
            json_object_set(e, "request", json_object_get(m, "request"));
        json_object_set_new(mods, name, e);
    }
    root = json_pack("{ssso}", "format", LOCKFILE_FORMAT, "modules", mods);
    int rc = root ? wh_json_canon(root, &text, &len, err)
                  : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0)
        rc = wh_file_write_atomic(path, text, len, 0644, err);
    free(text);
    json_decref(root);
    return rc;
}

/* Why entry m of module name is not one ins_lockfile_write writes. */
static const char *check_entry(const char *name, json_t *m)
{
    wh_semver v;
    wh_err e;
    const char *ver = json_string_value(json_object_get(m, "version"));
    const char *hex = json_string_value(json_object_get(m, "sha256"));
    json_t *size = json_object_get(m, "size"), *req = json_object_get(m, "request");
    if (wh_pkg_name_check(name, strlen(name), &e))
        return "not a valid module name";
    if (!ver || wh_semver_parse(&v, ver, strlen(ver), &e))
        return "'version' is not a SemVer version";
    if (!hex || strlen(hex) != 64 || !wh_hex_is_lower(hex, 64))
        return "'sha256' is not 64 lower-case hex digits";
    if (!json_is_integer(size) || json_integer_value(size) < 0)
        return "'size' is not a byte count";
    if (!json_is_string(json_object_get(m, "source")) || (req && !json_is_string(req)))
        return "'source' or 'request' is not a string";
    return NULL;
}

int ins_lockfile_read(const char *path, json_t **mods, wh_err *err)
{
    char *text;
    size_t len;
    json_t *root = NULL, *m;
    const char *name, *why;
    *mods = NULL;
    int rc = wh_file_read(path, LOCKFILE_MAX, &text, &len, err);
    if (rc)
        return rc;
    rc = wh_json_parse(text, len, path, &root, err);
    free(text);
    json_t *fmt = json_object_get(root, "format"), *o = json_object_get(root, "modules");
    if (rc == 0 && (!json_is_string(fmt) || strcmp(json_string_value(fmt),
                    LOCKFILE_FORMAT) || !json_is_object(o)))
        rc = wh_fail(err, WH_E_FORMAT, path, -1, "not a " LOCKFILE_FORMAT " file");
    json_object_foreach(rc == 0 ? o : NULL, name, m)
        if (rc == 0 && (why = check_entry(name, m)))
            rc = wh_fail(err, WH_E_FORMAT, path, -1, "module '%s': %s", name, why);
    if (rc == 0)
        *mods = json_incref(o);
    json_decref(root);
    return rc;
}

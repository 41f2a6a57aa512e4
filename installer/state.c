/* state.c - what is installed: ROOT/installed.json, read as hostile.
 *
 *   {"format": "wharf-installed/1", "modules": {NAME: ENTRY}}
 *   ENTRY = {"version": "1.2.0", "source": "main", "kind": "ferrpkg",
 *            "sha256": HEX, "size": N,            (the package installed)
 *            "request": "hello@^1",               (only when asked for by
 *                                                  name: the SPEC as given)
 *            "dependencies": {NAME: REQ},          (from the signed record)
 *            "files": {REL: {"sha256": HEX, "size": N, "mode": 420}},
 *            "installed": T}
 *
 * One version of a module is installed at a time, in
 * ROOT/modules/NAME/VERSION/.  The set of entries with a "request" is the
 * "world" (apk's word): what the user asked for.  Every install, upgrade
 * and uninstall resolves the world again, so dependencies nobody needs
 * any more go with the change that orphaned them.
 *
 * Every field is checked on load, and REL with wh_path_join's rules:
 * `wharf verify` and `uninstall` turn them into paths, and a damaged or
 * hostile file must not send them outside the module's folder.
 *
 * Tests: tests/cli/t2010-wharf-install.sh, t2012-wharf-verify.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <string.h>

#include "common/fs.h"
#include "common/hex.h"
#include "common/pkg.h"
#include "common/semver.h"

static int is_hex64(const json_t *v)
{
    return wh_hex_is_lower(json_string_value(v), 64);
}

static int is_count(const json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= 0;
}

static int check_files(json_t *files)
{
    const char *rel;
    json_t *f;
    char buf[PATH_MAX];
    wh_err e;
    if (!json_is_object(files))
        return 0;
    json_object_foreach(files, rel, f) {
        json_t *mode = json_object_get(f, "mode");
        if (wh_path_join(buf, sizeof buf, "m", rel, strlen(rel), &e) ||
            !is_hex64(json_object_get(f, "sha256")) ||
            !is_count(json_object_get(f, "size")) || !json_is_integer(mode) ||
            (json_integer_value(mode) != 0644 && json_integer_value(mode) != 0755))
            return 0;
    }
    return 1;
}

static int check_deps(json_t *deps)
{
    const char *name;
    json_t *req;
    wh_err e;
    if (!json_is_object(deps))
        return 0;
    json_object_foreach(deps, name, req)
        if (!json_is_string(req) || wh_pkg_dep_check(name, strlen(name),
                json_string_value(req), json_string_length(req), &e))
            return 0;
    return 1;
}

/* Why an entry is not one wharf writes, or NULL. */
static const char *check_entry(const char *name, json_t *m)
{
    wh_semver v;
    wh_err e;
    const char *ver = json_string_value(json_object_get(m, "version"));
    json_t *req = json_object_get(m, "request");
    if (wh_pkg_name_check(name, strlen(name), &e))
        return "a module name is not valid";
    if (!ver || wh_semver_parse(&v, ver, strlen(ver), &e))
        return "'version' is not a SemVer version";
    if (!json_is_string(json_object_get(m, "source")) ||
        !json_is_string(json_object_get(m, "kind")))
        return "'source' or 'kind' is missing";
    if (!is_hex64(json_object_get(m, "sha256")) || !is_count(json_object_get(m, "size")))
        return "'sha256' or 'size' is not valid";
    if (req && !json_is_string(req))
        return "'request' is not a string";
    if (!check_deps(json_object_get(m, "dependencies")))
        return "'dependencies' is not valid";
    if (!check_files(json_object_get(m, "files")))
        return "'files' is not valid";
    return NULL;
}

int ins_installed_load(const ins_home *h, json_t **mods, wh_err *err)
{
    char path[PATH_MAX];
    const char *name, *why;
    json_t *m;
    int rc = ins_state_load(h, INS_INSTALLED_FILE, INS_INSTALLED_FORMAT,
                            "modules", mods, path, sizeof path, err);
    json_object_foreach(rc == 0 ? *mods : NULL, name, m)
        if (rc == 0 && (why = check_entry(name, m)))
            rc = wh_fail(err, WH_E_FORMAT, path, -1, "module '%s': %s", name, why);
    if (rc) {
        json_decref(*mods);
        *mods = NULL;
    }
    return rc;
}

int ins_installed_save(const ins_home *h, json_t *mods, wh_err *err)
{
    return ins_state_save(h, INS_INSTALLED_FILE, INS_INSTALLED_FORMAT,
                          "modules", mods, err);
}

const char *ins_installed_version(json_t *mods, const char *name)
{
    return json_string_value(json_object_get(json_object_get(mods, name), "version"));
}

/* plugins.c - the state of wharf-index's plugin folder (prefix
 * ix_plugins_): which plugin bundles are installed, enabled and how they
 * are configured.
 *
 * A plugin folder DIR holds:
 *   state.json   canonical JSON {"format": "wharf-plugins/1", "plugins":
 *                {NAME: {"version", "kinds": [...], "enabled": bool,
 *                "config": {...}, "sha256", "signer": key id or "" (none:
 *                ""), "source": where update looks, "limits": {...}
 *                (optional), "wasm": the module's file in NAME/}}};
 *                missing means none installed
 *   NAME/        the unpacked files of NAME's bundle
 *   logs/, profile.json   plugin_log.c's
 *   .lock        held by every command that changes the folder
 * so no plugin may be called "logs", "state.json" or "profile.json"
 * (ix_plugins_name_check).  state.json is the truth: it is written last
 * when installing or updating (after the folder NAME/ is in place) and
 * first when removing, always atomically (plugin_install.c gives the
 * order of writes).  A run killed anywhere leaves at worst an unlisted
 * folder, which the next install of that name replaces, or an update's
 * folders moved aside, which the next holder of the lock puts right
 * (ix_plugins_lock, recover()) before doing anything else.
 *
 * Config values keep the JSON type of the plugin.toml default they
 * replace, which is what a plugin was written to read, so they are
 * checked here once rather than by every plugin; an update keeps the
 * values its new defaults still have with the same type.
 *
 * Tests: tests/cli/t1200-wharf-index-plugin.sh,
 * t1201-wharf-index-plugin-kill.sh; tests/unit/plugin_log_test.c.
 */
#include "indexer/indexer.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/lock.h"
#include "common/pkg.h"

#define STATE_MAX ((size_t)16 << 20)   /* bytes of state.json */

/* DIR/rel into out (PATH_MAX). */
int ix_plugins_path(const char *dir, const char *rel, char *out, wh_err *err)
{
    if (snprintf(out, PATH_MAX, "%s/%s", dir, rel) < PATH_MAX)
        return 0;
    out[0] = '\0';    /* never a cut path, which may name another file */
    return wh_fail(err, WH_E_LIMIT, dir, -1, "path too long");
}

static json_t *empty_state(void)
{
    return json_pack("{s:s, s:{}}", "format", IX_PLUGINS_FORMAT, "plugins");
}

/* An array of strings only. */
static int strings(const json_t *a)
{
    size_t i;
    json_t *v;
    if (!json_is_array(a))
        return 0;
    json_array_foreach(a, i, v)
        if (!json_is_string(v))
            return 0;
    return 1;
}

/* The state must be what this file writes: anything else is refused
 * rather than guessed at, since it decides what runs in a build. */
static int check_state(const json_t *s, const char *path, wh_err *err)
{
    const char *fmt = json_string_value(json_object_get(s, "format"));
    if (!fmt || strcmp(fmt, IX_PLUGINS_FORMAT) != 0)
        return wh_fail(err, WH_E_FORMAT, path, -1, "format is not '%s'",
                       IX_PLUGINS_FORMAT);
    json_t *p = json_object_get(s, "plugins");
    if (!json_is_object(p))
        return wh_fail(err, WH_E_FORMAT, path, -1, "\"plugins\" is not an object");
    const char *name;
    json_t *e;
    json_object_foreach(p, name, e) {
        if (!json_is_object(e) || !json_is_boolean(json_object_get(e, "enabled")) ||
            !json_is_string(json_object_get(e, "version")) ||
            !strings(json_object_get(e, "kinds")) ||
            !json_is_object(json_object_get(e, "config")) ||
            wh_pkg_name_check(name, strlen(name), NULL))
            return wh_fail(err, WH_E_FORMAT, path, -1, "plugin '%s' is malformed", name);
    }
    return 0;
}

int ix_plugins_load(const char *dir, json_t **out, wh_err *err)
{
    char path[PATH_MAX], *buf = NULL;
    size_t len = 0;
    struct stat st;
    *out = NULL;
    int rc = ix_plugins_path(dir, IX_PLUGINS_STATE, path, err);
    if (rc)
        return rc;
    if (lstat(path, &st) != 0 && errno == ENOENT) {
        *out = empty_state();
        return *out ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    rc = wh_file_read_stat(path, STATE_MAX, WH_READ_NOFOLLOW, &buf, &len, NULL, err);
    if (rc)
        return rc;
    rc = wh_json_parse(buf, len, path, out, err);
    free(buf);
    if (rc == 0 && (rc = check_state(*out, path, err)) != 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int ix_plugins_save(const char *dir, const json_t *state, wh_err *err)
{
    char path[PATH_MAX], *text = NULL;
    size_t len = 0;
    int rc = ix_plugins_path(dir, IX_PLUGINS_STATE, path, err);
    if (rc == 0)
        rc = wh_json_canon(state, &text, &len, err);
    if (rc == 0)
        rc = wh_file_write_atomic(path, text, len, 0644, err);
    free(text);
    return rc;
}

/* What a killed run left in DIR (plugin_install.c's head gives the order
 * of writes): a .replaced-NAME.SHA folder (an update that moved the old
 * version aside) is dropped when the state names SHA (the update
 * committed) and put back as DIR/NAME otherwise; staging folders and
 * temporaries go.  The lock is held. */
static int recover_one(const char *dir, const json_t *state, const char *ent,
                       wh_err *err)
{
    char path[PATH_MAX], dest[PATH_MAX], name[128];
    int rc = ix_plugins_path(dir, ent, path, err);
    if (rc || strncmp(ent, ".replaced-", 10) != 0)
        return rc ? rc : wh_fs_rmtree(path, err);
    const char *dot = strrchr(ent, '.');
    snprintf(name, sizeof name, "%.*s", (int)(dot - ent - 10), ent + 10);
    json_t *e = json_object_get(json_object_get(state, "plugins"), name);
    const char *sha = json_string_value(json_object_get(e, "sha256"));
    if (!e || (sha && strcmp(sha, dot + 1) == 0) ||
        wh_pkg_name_check(name, strlen(name), NULL))
        return wh_fs_rmtree(path, err);
    rc = ix_plugins_path(dir, name, dest, err);
    if (rc == 0)
        rc = wh_fs_rmtree(dest, err);
    if (rc == 0 && wh_fs_rename(path, dest) != 0)
        rc = wh_fail_errno(err, errno, dest, "rename");
    return rc;
}

static int leftover(const char *n)
{
    return strncmp(n, ".staging-", 9) == 0 ||
           (strncmp(n, ".replaced-", 10) == 0 && strrchr(n, '.') > n + 10);
}

static int recover(const char *dir, const json_t *state, wh_err *err)
{
    size_t removed = 0;
    int rc = wh_clean_temporaries(dir, &removed, err);
    DIR *d = rc ? NULL : opendir(dir);
    if (!d)
        return rc ? rc : wh_fail_errno(err, errno, dir, "opendir");
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!leftover(de->d_name))
            continue;
        char **nn = realloc(names, (n + 1) * sizeof *names);
        if (!nn || !(nn[n] = strdup(de->d_name)))
            rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
        names = nn ? nn : names;
        n += rc == 0;
    }
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = recover_one(dir, state, names[i], err);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* The lock, then the folder made whole again: every holder, a build
 * included, sees DIR/NAME holding the version state.json names. */
int ix_plugins_lock(const char *dir, const char *who, int wait, wh_lock *l,
                    wh_err *err)
{
    char path[PATH_MAX];
    json_t *state = NULL;
    int rc = wh_mkdirs(dir, err);
    if (rc == 0)
        rc = ix_plugins_path(dir, IX_PLUGINS_LOCK, path, err);
    if (rc == 0)
        rc = wh_lock_take(l, path, who, wait, NULL, NULL, err);
    if (rc == 0)
        rc = ix_plugins_load(dir, &state, err);
    if (rc == 0)
        rc = recover(dir, state, err);
    json_decref(state);
    if (rc)
        wh_lock_release(l);
    return rc;
}

json_t *ix_plugins_get(const json_t *state, const char *name, wh_err *err)
{
    json_t *e = json_object_get(json_object_get(state, "plugins"), name);
    if (!e)
        wh_fail(err, WH_E_NOTFOUND, NULL, -1, "plugin '%s' is not installed", name);
    return e;
}

/* The kinds a bundle's [plugin.capabilities] turns on, in a fixed order. */
json_t *ix_plugins_kinds(const json_t *caps)
{
    static const char *const kinds[] = { "format_handler", "metadata_extractor",
                                         "validation_hook", "post_processor" };
    json_t *a = json_array();
    for (size_t i = 0; a && i < sizeof kinds / sizeof *kinds; i++)
        if (json_is_true(json_object_get(caps, kinds[i])))
            json_array_append_new(a, json_string(kinds[i]));
    return a;
}

int ix_plugins_name_check(const char *name, const char *label, wh_err *err)
{
    static const char *const own[] = { "logs", IX_PLUGINS_STATE, "profile.json" };
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        /* ignoring case: DIR may be on a file system that does */
        if (strcasecmp(name, own[i]) == 0)
            return wh_fail(err, WH_E_FORMAT, label, -1, "plugin name '%s' is "
                           "reserved: the plugin folder uses it", name);
    return 0;
}

const char *ix_plugins_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:  return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    case JSON_ARRAY:   return "an array";
    case JSON_OBJECT:  return "a table";
    default:           return "a value";
    }
}

/* The same JSON type, true and false being one. */
static int same_type(const json_t *a, const json_t *b)
{
    return json_typeof(a) == json_typeof(b) || (json_is_boolean(a) && json_is_boolean(b));
}

/* text read as a value of def's type, or NULL.  Strings are taken as
 * they are (no quotes needed on a command line); other types as JSON. */
static json_t *typed_value(const json_t *def, const char *text)
{
    if (json_is_string(def))
        return json_string(text);
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (v && !same_type(v, def)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

int ix_plugins_config_set(json_t *entry, const char *name, const char *kv,
                          wh_err *err)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "'%s' is not KEY=VALUE", kv);
    char key[256];
    if ((size_t)(eq - kv) >= sizeof key)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "config key too long");
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    json_t *cfg = json_object_get(entry, "config");
    json_t *def = json_object_get(cfg, key);
    if (!def)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "plugin '%s' has no config '%s'",
                       name, key);
    json_t *v = typed_value(def, eq + 1);
    if (!v)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "config '%s' is %s, not '%s'",
                       key, ix_plugins_type_name(def), eq + 1);
    return json_object_set_new(cfg, key, v) ? wh_fail(err, WH_E_NOMEM, NULL, -1, NULL) : 0;
}


void ix_plugins_keep(json_t *e, const json_t *old, ix_plugins_note *note, void *ctx)
{
    json_t *cfg = json_object_get(e, "config"), *lim = json_object_get(old, "limits");
    const char *key;
    json_t *v;
    json_object_set(e, "enabled", json_object_get(old, "enabled"));
    if (lim)
        json_object_set(e, "limits", lim);
    json_object_foreach(json_object_get(old, "config"), key, v) {
        json_t *def = json_object_get(cfg, key);
        if (def && same_type(def, v))
            json_object_set(cfg, key, v);
        else if (note)
            note(ctx, key, def);
    }
}

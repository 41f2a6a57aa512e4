/* home.c - wharf's install root: where it is, its lock, its trusted keys
 * and its sources (installer.h has the layout).
 *
 * sources.json is read as hostile (a user may edit it): its format string,
 * every source name (a module name's rules: it becomes a folder name),
 * every location (ins_location_normalize's rules) and every pinned key
 * are checked, and a file that fails is an error naming it, never half
 * used.  It is written as canonical JSON, atomically.
 *
 * Tests: tests/cli/t2001-wharf-trust.sh, t2002-wharf-source.sh.
 */
#include "installer/installer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/pkg.h"

#define STATE_MAX ((size_t)16 << 20)   /* bytes of a state file */

int ins_home_find(ins_home *h, const char *dir, wh_err *err)
{
    const char *env;
    int n;
    memset(h, 0, sizeof *h);
    h->lock.fd = -1;
    if (dir && !*dir)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "--home is empty");
    if (dir)
        n = snprintf(h->root, sizeof h->root, "%s", dir);
    else if ((env = getenv("WHARF_HOME")) && *env)
        n = snprintf(h->root, sizeof h->root, "%s", env);
    else if ((env = getenv("XDG_DATA_HOME")) && *env == '/')
        n = snprintf(h->root, sizeof h->root, "%s/wharf", env);
    else if ((env = getenv("HOME")) && *env)
        n = snprintf(h->root, sizeof h->root, "%s/.local/share/wharf", env);
    else
        return wh_fail(err, WH_E_USAGE, NULL, -1, "no install root: set "
                       "WHARF_HOME or HOME, or give --home DIR");
    if (n < 0 || (size_t)n >= sizeof h->root - 64)
        return wh_fail(err, WH_E_LIMIT, NULL, -1, "install root path too long");
    return 0;
}

int ins_home_path(const ins_home *h, const char *rel, char *out, size_t n,
                  wh_err *err)
{
    int k = snprintf(out, n, "%s/%s", h->root, rel);
    if (k < 0 || (size_t)k >= n)
        return wh_fail(err, WH_E_LIMIT, h->root, -1, "path too long");
    return 0;
}

static void say_waiting(const char *holder, void *ctx)
{
    fprintf(stderr, "wharf: %s: waiting for %s\n", (const char *)ctx, holder);
}

int ins_home_lock(ins_home *h, const char *who, int wait, int quiet,
                  wh_err *err)
{
    char path[PATH_MAX];
    int rc = wh_mkdirs(h->root, err);
    if (rc == 0)
        rc = ins_home_path(h, INS_LOCK_NAME, path, sizeof path, err);
    if (rc == 0)
        rc = wh_lock_take(&h->lock, path, who, wait, quiet ? NULL : say_waiting,
                          path, err);
    /* Holding the lock, a temporary is what a killed wharf left. */
    size_t n = 0;
    if (rc == 0)
        rc = wh_clean_temporaries(h->root, &n, err);
    if (rc == 0 && ins_home_path(h, INS_KEYS_DIR, path, sizeof path, err) == 0)
        rc = wh_clean_temporaries(path, &n, err);
    return rc;
}

void ins_home_unlock(ins_home *h)
{
    wh_lock_release(&h->lock);
}

/* --- keys ------------------------------------------------------------------ */

int ins_trust_load(const ins_home *h, wh_keyring *kr, wh_err *err)
{
    char dir[PATH_MAX];
    memset(kr, 0, sizeof *kr);
    int rc = ins_home_path(h, INS_KEYS_DIR, dir, sizeof dir, err);
    if (rc == 0 && access(dir, F_OK) == 0)
        rc = wh_keyring_load_dir(kr, dir, err);
    return rc;
}

int ins_keys_load(const char *home, json_t *files, wh_keyring *kr, wh_err *err)
{
    size_t i;
    json_t *v;
    if (json_array_size(files) == 0) {
        ins_home h;
        int rc = ins_home_find(&h, home, err);
        return rc ? rc : ins_trust_load(&h, kr, err);
    }
    json_array_foreach(files, i, v) {
        wh_minisign_pubkey pk;
        const char *f = json_string_value(v);
        int rc = wh_minisign_pubkey_load(&pk, f, err);
        if (rc == 0)
            rc = wh_keyring_add(kr, &pk, f, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* --- locations ---------------------------------------------------------------- */

static int has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

int ins_location_normalize(const char *loc, char *out, size_t n, wh_err *err)
{
    size_t len = strlen(loc);
    for (const unsigned char *p = (const unsigned char *)loc; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return wh_fail(err, WH_E_USAGE, NULL, -1, "location holds a "
                           "control character");
    const char *colon = strstr(loc, "://");
    if (len == 0)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "empty location");
    if (colon && !has_prefix(loc, "http://") && !has_prefix(loc, "https://") &&
        !has_prefix(loc, "file://"))
        return wh_fail(err, WH_E_USAGE, NULL, -1, "location '%s': only "
                       "http://, https://, file:// and folders are sources", loc);
    if (colon) {
        const char *rest = colon + 3;
        if (has_prefix(loc, "file://") ? *rest != '/' : (!*rest || *rest == '/'))
            return wh_fail(err, WH_E_USAGE, NULL, -1, "location '%s': %s", loc,
                           has_prefix(loc, "file://") ? "a file:// URL needs an "
                           "absolute path (file:///...)" : "no host");
        while (len > (size_t)(rest - loc) + 1 && loc[len - 1] == '/')
            len--;
        if (len >= n)
            return wh_fail(err, WH_E_LIMIT, NULL, -1, "location too long");
        snprintf(out, n, "%.*s", (int)len, loc);
        return 0;
    }
    char cwd[PATH_MAX];
    if (loc[0] != '/' && !getcwd(cwd, sizeof cwd))
        return wh_fail_errno(err, errno, ".", "cannot find the current folder");
    while (len > 1 && loc[len - 1] == '/')
        len--;
    int k = loc[0] == '/' ? snprintf(out, n, "%.*s", (int)len, loc)
                          : snprintf(out, n, "%s/%.*s", cwd, (int)len, loc);
    if (k < 0 || (size_t)k >= n)
        return wh_fail(err, WH_E_LIMIT, NULL, -1, "location too long");
    return 0;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int ins_location_is_http(const char *loc)
{
    return has_prefix(loc, "http://") || has_prefix(loc, "https://");
}

int ins_location_dir(const char *loc, char *out, size_t n, wh_err *err)
{
    const char *p = has_prefix(loc, "file://") ? loc + 7 : loc;
    size_t o = 0;
    for (; *p && o + 1 < n; p++) {
        int hi, lo;
        if (*p == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0 &&
            (hi || lo)) {        /* %00 stays as it is: no NUL in a path */
            out[o++] = (char)(hi * 16 + lo);
            p += 2;
        } else
            out[o++] = *p;
    }
    out[o] = '\0';
    return *p ? wh_fail(err, WH_E_LIMIT, loc, -1, "location too long") : 0;
}

/* --- sources ---------------------------------------------------------------- */

static int bad_sources(const char *path, wh_err *err, const char *why,
                       const char *name)
{
    return wh_fail(err, WH_E_FORMAT, path, -1, "source '%s': %s", name, why);
}

/* Every field of one source, as ins_sources_save writes it. */
static int check_source(const char *path, const char *name, json_t *src,
                        wh_err *err)
{
    wh_err e;
    char norm[PATH_MAX];
    json_t *locs = json_object_get(src, "locations"), *key = json_object_get(src, "key"), *v;
    size_t i;
    if (wh_pkg_name_check(name, strlen(name), &e))
        return bad_sources(path, err, e.reason, name);
    if (!json_is_object(src) || json_object_size(src) != 2 || !key ||
        !json_is_array(locs) || json_array_size(locs) == 0)
        return bad_sources(path, err, "not {\"key\": ..., \"locations\": [...]}", name);
    json_array_foreach(locs, i, v)
        if (!json_is_string(v) ||
            ins_location_normalize(json_string_value(v), norm, sizeof norm, &e) ||
            strcmp(norm, json_string_value(v)) != 0)
            return bad_sources(path, err, "a location is not one wharf writes", name);
    wh_minisign_pubkey pk;
    if (!json_is_null(key) && (!json_is_string(key) ||
        wh_minisign_pubkey_from_base64(&pk, json_string_value(key),
                                       json_string_length(key), &e)))
        return bad_sources(path, err, "'key' is not a minisign public key", name);
    return 0;
}

int ins_sources_load(const ins_home *h, json_t **sources, wh_err *err)
{
    char path[PATH_MAX];
    const char *name;
    json_t *src;
    int rc = ins_state_load(h, INS_SOURCES_FILE, INS_SOURCES_FORMAT, "sources",
                            sources, path, sizeof path, err);
    json_object_foreach(rc == 0 ? *sources : NULL, name, src)
        if (rc == 0)
            rc = check_source(path, name, src, err);
    if (rc) {
        json_decref(*sources);
        *sources = NULL;
    }
    return rc;
}

int ins_sources_save(const ins_home *h, json_t *sources, wh_err *err)
{
    return ins_state_save(h, INS_SOURCES_FILE, INS_SOURCES_FORMAT, "sources",
                          sources, err);
}

/* --- state files ---------------------------------------------------------------- */

int ins_state_load(const ins_home *h, const char *file, const char *format,
                   const char *key, json_t **obj, char *path, size_t n,
                   wh_err *err)
{
    char *text;
    size_t len;
    json_t *root = NULL;
    *obj = NULL;
    int rc = ins_home_path(h, file, path, n, err);
    if (rc == 0 && (rc = wh_file_read(path, STATE_MAX, &text, &len, err)) == WH_E_NOTFOUND)
        return (*obj = json_object()) ? 0 : wh_fail(err, WH_E_NOMEM, path, -1, NULL);
    if (rc)
        return rc;
    rc = wh_json_parse(text, len, path, &root, err);
    free(text);
    json_t *fmt = json_object_get(root, "format"), *o = json_object_get(root, key);
    if (rc == 0 && (!json_is_string(fmt) || strcmp(json_string_value(fmt), format) ||
                    !json_is_object(o)))
        rc = wh_fail(err, WH_E_FORMAT, path, -1, "not a %s file", format);
    if (rc == 0)
        *obj = json_incref(o);
    json_decref(root);
    return rc;
}

int ins_state_save(const ins_home *h, const char *file, const char *format,
                   const char *key, json_t *obj, wh_err *err)
{
    char path[PATH_MAX], *text = NULL;
    size_t len;
    json_t *root = json_pack("{sssO}", "format", format, key, obj);
    int rc = root ? ins_home_path(h, file, path, sizeof path, err)
                  : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0)
        rc = wh_json_canon(root, &text, &len, err);
    if (rc == 0)
        rc = wh_file_write_atomic(path, text, len, 0644, err);
    free(text);
    json_decref(root);
    return rc;
}

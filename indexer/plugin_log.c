/* plugin_log.c - the system-wide plugin settings (environment), each
 * plugin's log and the profile of the last build's calls (prefix
 * ix_plugin_), shared by `wharf-index build`, which writes them, and
 * `wharf-index plugin`, which shows them.
 *
 * Settings.  WHARF_PLUGIN_MAX_{MEMORY_MB,FUEL,TIME_MS} set the limits of
 * every plugin (0 = wasmrt's built-in default, common/plugin.h); a plugin's
 * state entry may override each with "limits" (ix_plugin_limits).
 * WHARF_PLUGINS_ENABLED switches plugins off for a build;
 * WHARF_PLUGIN_LOG_LEVEL drops lines below a level.  An empty variable is
 * an unset one; any other value that does not parse is a usage error
 * naming the variable, never a silent default: a typo in a limit must not
 * run plugins unbounded.
 *
 * Logs.  DIR/logs/NAME.log holds one canonical JSON object a line
 * ({"call","level","message","package","time"}).  Appending is the one
 * write here that is not atomic replacement: the lines of a build are
 * encoded in memory first and written with a single write() on an
 * O_APPEND descriptor, so a reader sees whole lines only, and a write
 * that comes up short (a full disk) is cut back to the file's old size.
 * The file is bounded: when the old size plus the new chunk would pass
 * IX_PLUGIN_LOG_MAX, NAME.log is first renamed over NAME.log.1 (through
 * wh_fs_rename, so the fault hook can stop it there), so a plugin never
 * holds much more than twice the bound, and `plugin logs` reads .1 then
 * the current file.  A chunk larger than the bound alone keeps its newest
 * lines, after one line saying how many were dropped.
 *
 * Profile.  DIR/profile.json is replaced atomically (wh_file_write_atomic)
 * with the last build's totals; it is advice for people, so it is written
 * whole or not at all, never merged.
 *
 * Both writers expect the caller to hold DIR/.lock.
 *
 * Tests: tests/cli/t1200-wharf-index-plugin.sh (logs, profile, the
 * environment), tests/cli/t1201-wharf-index-plugin-kill.sh.
 */
#include "indexer/indexer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/json.h"

#define MAX_MEMORY_MB 4096u              /* wasm32's whole address space */
#define MAX_TIME_MS   (3600u * 1000u)    /* an hour per call */

/* --- the environment --------------------------------------------------- */

/* The value of variable var as a number in 1..max into *out; unset or
 * empty leaves *out 0. */
static int env_number(const char *var, uint64_t max, uint64_t *out, wh_err *err)
{
    const char *s = getenv(var);
    *out = 0;
    if (!s || !*s)
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long v = (*s >= '0' && *s <= '9') ? strtoull(s, &end, 10) : 0;
    if (!end || *end || errno || v < 1 || v > max)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "%s '%s' is not a number "
                       "from 1 to %llu", var, s, (unsigned long long)max);
    *out = v;
    return 0;
}

static int env_switch(const char *var, int *out, wh_err *err)
{
    static const char *const off[] = { "0", "false", "no", "off" };
    static const char *const on[] = { "1", "true", "yes", "on" };
    const char *s = getenv(var);
    *out = 1;
    if (!s || !*s)
        return 0;
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, off[i]) == 0) {
            *out = 0;
            return 0;
        }
        if (strcasecmp(s, on[i]) == 0)
            return 0;
    }
    return wh_fail(err, WH_E_USAGE, NULL, -1, "%s '%s' is not one of 1, true, "
                   "yes, on, 0, false, no, off", var, s);
}

static int env_level(const char *var, int *out, wh_err *err)
{
    const char *s = getenv(var);
    *out = 1;
    if (!s || !*s)
        return 0;
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, ix_plugin_level_name(i)) == 0) {
            *out = i;
            return 0;
        }
    return wh_fail(err, WH_E_USAGE, NULL, -1, "%s '%s' is not one of debug, "
                   "info, warn, error", var, s);
}

int ix_plugin_env_load(ix_plugin_env *env, wh_err *err)
{
    uint64_t mb = 0;
    memset(env, 0, sizeof *env);
    int rc = env_number("WHARF_PLUGIN_MAX_MEMORY_MB", MAX_MEMORY_MB, &mb, err);
    if (rc == 0)
        rc = env_number("WHARF_PLUGIN_MAX_FUEL", UINT64_MAX, &env->limits.fuel, err);
    if (rc == 0)
        rc = env_number("WHARF_PLUGIN_MAX_TIME_MS", MAX_TIME_MS,
                        &env->limits.time_ms, err);
    if (rc == 0)
        rc = env_switch("WHARF_PLUGINS_ENABLED", &env->enabled, err);
    if (rc == 0)
        rc = env_level("WHARF_PLUGIN_LOG_LEVEL", &env->log_level, err);
    env->limits.memory_bytes = mb << 20;
    return rc;
}

/* entry.limits.key when it is a positive integer no larger than max,
 * else fallback.  The state was checked when the value was set; this
 * only keeps a hand-edited state from asking for something absurd. */
static uint64_t entry_limit(const json_t *entry, const char *key, uint64_t max,
                            uint64_t fallback)
{
    json_t *v = json_object_get(json_object_get(entry, "limits"), key);
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
    return n > 0 && (uint64_t)n <= max ? (uint64_t)n : fallback;
}

void ix_plugin_limits(const ix_plugin_env *env, const json_t *entry,
                      wh_plugin_limits *out)
{
    *out = env->limits;
    uint64_t mb = entry_limit(entry, "memory_mb", MAX_MEMORY_MB, 0);
    if (mb)
        out->memory_bytes = mb << 20;
    out->fuel = entry_limit(entry, "fuel", UINT64_MAX, out->fuel);
    out->time_ms = entry_limit(entry, "time_ms", MAX_TIME_MS, out->time_ms);
}

const char *ix_plugin_level_name(int level)
{
    static const char *const names[] = { "debug", "info", "warn", "error" };
    return names[level <= 0 ? 0 : level >= 3 ? 3 : level];
}

/* --- logs --------------------------------------------------------------- */

/* A growing buffer of encoded lines. */
typedef struct chunk {
    char  *buf;
    size_t len, cap;
} chunk;

static int chunk_add(chunk *c, const char *s, size_t n)
{
    if (c->len + n + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + n + 1)
            cap *= 2;
        char *b = realloc(c->buf, cap);
        if (!b)
            return -1;
        c->buf = b;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, s, n);
    c->len += n;
    c->buf[c->len++] = '\n';
    return 0;
}

/* The canonical line of one log object, with its '\n', into *out. */
static int encode_line(const json_t *line, char **out, size_t *len, wh_err *err)
{
    if (!json_is_object(line))
        return wh_fail(err, WH_E_INTERNAL, NULL, -1, "log line is not an object");
    return wh_json_canon(line, out, len, err);
}

/* The line saying n older lines were dropped, dated as last. */
static int encode_dropped(const json_t *last, size_t n, chunk *c, wh_err *err)
{
    char msg[64], *text = NULL;
    size_t len = 0;
    snprintf(msg, sizeof msg, "%zu more lines dropped", n);
    json_t *t = json_object_get(last, "time");
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s}", "time",
                          (json_int_t)(json_is_integer(t) ? json_integer_value(t) : 0),
                          "level", "warn", "package", "-", "call", "-",
                          "message", msg);
    int rc = o ? encode_line(o, &text, &len, err)
               : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0 && chunk_add(c, text, len))
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    free(text);
    json_decref(o);
    return rc;
}

/* The newest lines of lines that fit in IX_PLUGIN_LOG_MAX (after a line
 * saying how many older ones were dropped, when some were), encoded. */
static int encode_lines(const json_t *lines, chunk *c, wh_err *err)
{
    size_t n = json_array_size(lines), keep = n, total = 0;
    char **enc = calloc(n ? n : 1, sizeof *enc);
    size_t *lens = calloc(n ? n : 1, sizeof *lens);
    int rc = enc && lens ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = encode_line(json_array_get(lines, i), &enc[i], &lens[i], err);
    /* 200 bytes leave room for the note about dropped lines. */
    while (rc == 0 && keep > 0 &&
           total + lens[keep - 1] + 1 + 200 <= IX_PLUGIN_LOG_MAX) {
        total += lens[keep - 1] + 1;
        keep--;
    }
    if (rc == 0 && keep > 0)
        rc = encode_dropped(json_array_get(lines, n - 1), keep, c, err);
    for (size_t i = keep; rc == 0 && i < n; i++)
        if (chunk_add(c, enc[i], lens[i]))
            rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    for (size_t i = 0; enc && i < n; i++)
        free(enc[i]);
    free(enc);
    free(lens);
    return rc;
}

/* DIR/logs/NAME.log into path, DIR/logs made if missing. */
static int log_path(const char *dir, const char *name, char *path, wh_err *err)
{
    char logs[PATH_MAX];
    int rc = ix_plugins_path(dir, "logs", logs, err);
    if (rc == 0)
        rc = wh_mkdirs(logs, err);
    if (rc == 0 && snprintf(path, PATH_MAX, "%s/%s.log", logs, name) >= PATH_MAX)
        rc = wh_fail(err, WH_E_LIMIT, logs, -1, "path too long");
    return rc;
}

/* Rename path to path.1 when adding add bytes would pass the bound. */
static int log_rotate(const char *path, size_t add, wh_err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : wh_fail_errno(err, errno, path, "stat");
    if ((uint64_t)st.st_size + add <= IX_PLUGIN_LOG_MAX)
        return 0;
    char old[PATH_MAX];
    if (snprintf(old, sizeof old, "%s.1", path) >= (int)sizeof old)
        return wh_fail(err, WH_E_LIMIT, path, -1, "path too long");
    if (wh_fs_rename(path, old) != 0)
        return wh_fail_errno(err, errno, old, "rename");
    return 0;
}

/* One write of the whole chunk; a short one is cut back to the old end
 * so no half line stays behind. */
static int log_write(const char *path, const chunk *c, wh_err *err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return wh_fail_errno(err, errno, path, "open");
    struct stat st;
    int rc = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? 0
           : wh_fail(err, WH_E_IO, path, -1, "not a regular file");
    ssize_t w = rc == 0 ? write(fd, c->buf, c->len) : 0;
    if (rc == 0 && (w < 0 || (size_t)w != c->len)) {
        rc = wh_fail_errno(err, w < 0 ? errno : ENOSPC, path, "write error");
        if (ftruncate(fd, st.st_size) != 0) {
            /* nothing more to do: `plugin logs` skips a torn line */
        }
    }
    close(fd);
    return rc;
}

int ix_plugin_log_append(const char *dir, const char *name,
                         const json_t *lines, wh_err *err)
{
    char path[PATH_MAX];
    chunk c = { NULL, 0, 0 };
    if (json_array_size(lines) == 0)
        return 0;
    int rc = encode_lines(lines, &c, err);
    if (rc == 0)
        rc = log_path(dir, name, path, err);
    if (rc == 0)
        rc = log_rotate(path, c.len, err);
    if (rc == 0)
        rc = log_write(path, &c, err);
    free(c.buf);
    return rc;
}

/* --- profile ------------------------------------------------------------ */

int ix_plugin_profile_save(const char *dir, const json_t *plugins,
                           int64_t now, wh_err *err)
{
    char path[PATH_MAX], *text = NULL;
    size_t len = 0;
    json_t *doc = json_pack("{s:s, s:I, s:O}", "format", "wharf-plugin-profile/1",
                            "time", (json_int_t)now, "plugins", plugins);
    int rc = doc ? ix_plugins_path(dir, "profile.json", path, err)
                 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0)
        rc = wh_json_canon(doc, &text, &len, err);
    if (rc == 0)
        rc = wh_file_write_atomic(path, text, len, 0644, err);
    free(text);
    json_decref(doc);
    return rc;
}

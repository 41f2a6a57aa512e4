/* plugin_log_test.c - indexer/plugin_log.c: the plugin settings from the
 * environment (defaults, values, every bad value named), a state entry's
 * limits over them, and the log and profile writers: canonical lines,
 * appends, rotation to NAME.log.1 when the bound would be passed, a chunk
 * larger than the bound keeping its newest lines after a "dropped" note,
 * and profile.json's exact bytes.  Also plugins.c's names the folder
 * keeps for itself, paths too long, the settings an update keeps, and a
 * state refused for its kinds.
 *
 * indexer/ objects are in no library, so the Makefile links this program
 * with the two it needs (plugin_log.o and plugins.o, whose
 * ix_plugins_path it calls); only their public API is used here.
 */
#include "tests/unit/wh_test.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "indexer/indexer.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    static const char *const vars[] = { "WHARF_PLUGIN_MAX_MEMORY_MB",
        "WHARF_PLUGIN_MAX_FUEL", "WHARF_PLUGIN_MAX_TIME_MS",
        "WHARF_PLUGINS_ENABLED", "WHARF_PLUGIN_LOG_LEVEL" };
    for (size_t i = 0; i < 5; i++)
        unsetenv(vars[i]);
    return wh_test_tmpdir(tmpdir, sizeof tmpdir, "plugin-log");
}

static int teardown(void **state)
{
    (void)state;
    return wh_test_tmpdir_remove(tmpdir);
}

static void test_env_defaults(void **state)
{
    (void)state;
    ix_plugin_env env;
    setenv("WHARF_PLUGIN_MAX_FUEL", "", 1);      /* empty is unset */
    assert_int_equal(ix_plugin_env_load(&env, NULL), 0);
    assert_int_equal(env.limits.memory_bytes, 0);
    assert_int_equal(env.limits.fuel, 0);
    assert_int_equal(env.limits.time_ms, 0);
    assert_int_equal(env.enabled, 1);
    assert_int_equal(env.log_level, 1);
}

static void test_env_values(void **state)
{
    (void)state;
    ix_plugin_env env;
    setenv("WHARF_PLUGIN_MAX_MEMORY_MB", "16", 1);
    setenv("WHARF_PLUGIN_MAX_FUEL", "18446744073709551615", 1);
    setenv("WHARF_PLUGIN_MAX_TIME_MS", "250", 1);
    setenv("WHARF_PLUGINS_ENABLED", "Off", 1);
    setenv("WHARF_PLUGIN_LOG_LEVEL", "warn", 1);
    assert_int_equal(ix_plugin_env_load(&env, NULL), 0);
    assert_true(env.limits.memory_bytes == (uint64_t)16 << 20);
    assert_true(env.limits.fuel == UINT64_MAX);
    assert_int_equal(env.limits.time_ms, 250);
    assert_int_equal(env.enabled, 0);
    assert_int_equal(env.log_level, 2);
}

static void bad_env(const char *var, const char *value, const char *reason)
{
    ix_plugin_env env;
    wh_err err;
    setenv(var, value, 1);
    assert_int_equal(ix_plugin_env_load(&env, &err), WH_E_USAGE);
    assert_string_equal(err.reason, reason);
    unsetenv(var);
}

static void test_env_bad(void **state)
{
    (void)state;
    bad_env("WHARF_PLUGIN_MAX_FUEL", "abc",
            "WHARF_PLUGIN_MAX_FUEL 'abc' is not a number from 1 to 18446744073709551615");
    bad_env("WHARF_PLUGIN_MAX_FUEL", "18446744073709551616",
            "WHARF_PLUGIN_MAX_FUEL '18446744073709551616' is not a number from 1 to 18446744073709551615");
    bad_env("WHARF_PLUGIN_MAX_FUEL", "-1",
            "WHARF_PLUGIN_MAX_FUEL '-1' is not a number from 1 to 18446744073709551615");
    bad_env("WHARF_PLUGIN_MAX_MEMORY_MB", "4097",
            "WHARF_PLUGIN_MAX_MEMORY_MB '4097' is not a number from 1 to 4096");
    bad_env("WHARF_PLUGIN_MAX_TIME_MS", "0",
            "WHARF_PLUGIN_MAX_TIME_MS '0' is not a number from 1 to 3600000");
    bad_env("WHARF_PLUGINS_ENABLED", "maybe",
            "WHARF_PLUGINS_ENABLED 'maybe' is not one of 1, true, yes, on, 0, false, no, off");
    bad_env("WHARF_PLUGIN_LOG_LEVEL", "trace",
            "WHARF_PLUGIN_LOG_LEVEL 'trace' is not one of debug, info, warn, error");
}

static void test_limits_override(void **state)
{
    (void)state;
    ix_plugin_env env;
    wh_plugin_limits l;
    setenv("WHARF_PLUGIN_MAX_FUEL", "1000", 1);
    setenv("WHARF_PLUGIN_MAX_TIME_MS", "100", 1);
    assert_int_equal(ix_plugin_env_load(&env, NULL), 0);
    json_t *e = json_pack("{s:{s:i, s:i, s:i}}", "limits", "memory_mb", 8,
                          "fuel", 50, "time_ms", 0);
    ix_plugin_limits(&env, e, &l);
    assert_true(l.memory_bytes == (uint64_t)8 << 20);
    assert_int_equal(l.fuel, 50);
    assert_int_equal(l.time_ms, 100);      /* 0 is no override */
    ix_plugin_limits(&env, NULL, &l);
    assert_int_equal(l.memory_bytes, 0);
    assert_int_equal(l.fuel, 1000);
    json_decref(e);
}

static void test_level_names(void **state)
{
    (void)state;
    assert_string_equal(ix_plugin_level_name(-1), "debug");
    assert_string_equal(ix_plugin_level_name(0), "debug");
    assert_string_equal(ix_plugin_level_name(1), "info");
    assert_string_equal(ix_plugin_level_name(2), "warn");
    assert_string_equal(ix_plugin_level_name(3), "error");
    assert_string_equal(ix_plugin_level_name(99), "error");
}

/* n log lines whose messages are "m<i>" padded to pad bytes. */
static json_t *lines_of(int from, int n, size_t pad)
{
    json_t *a = json_array();
    char *msg = malloc(pad + 16);
    for (int i = from; i < from + n; i++) {
        int k = snprintf(msg, pad + 16, "m%d", i);
        memset(msg + k, 'x', pad > (size_t)k ? pad - (size_t)k : 0);
        msg[pad > (size_t)k ? pad : (size_t)k] = '\0';
        json_array_append_new(a, json_pack("{s:i, s:s, s:s, s:s, s:s}", "time",
                              1796432523 + i, "level", "warn", "package",
                              "a@1.0.0", "call", "validate_upload", "message", msg));
    }
    free(msg);
    return a;
}

static char *slurp(const char *rel, size_t *len)
{
    char path[512], *data = NULL;
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    if (wh_file_read(path, 16 << 20, &data, len, NULL))
        return NULL;
    return data;
}

static size_t count_lines(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '\n';
    return n;
}

static void test_log_append(void **state)
{
    (void)state;
    json_t *empty = json_array(), *a = lines_of(0, 1, 0), *b = lines_of(1, 1, 0);
    size_t len = 0;
    assert_int_equal(ix_plugin_log_append(tmpdir, "p", empty, NULL), 0);
    assert_null(slurp("logs/p.log", &len));            /* nothing, no file */
    assert_int_equal(ix_plugin_log_append(tmpdir, "p", a, NULL), 0);
    assert_int_equal(ix_plugin_log_append(tmpdir, "p", b, NULL), 0);
    char *s = slurp("logs/p.log", &len);
    assert_non_null(s);
    assert_string_equal(s,
        "{\"call\":\"validate_upload\",\"level\":\"warn\",\"message\":\"m0\",\"package\":\"a@1.0.0\",\"time\":1796432523}\n"
        "{\"call\":\"validate_upload\",\"level\":\"warn\",\"message\":\"m1\",\"package\":\"a@1.0.0\",\"time\":1796432524}\n");
    free(s);
    json_decref(empty);
    json_decref(a);
    json_decref(b);
}

/* 1 KiB lines, one build at a time: the file rotates to .1 exactly when
 * the next line would pass the bound, and no line is lost or cut. */
static void test_log_rotates(void **state)
{
    (void)state;
    size_t len = 0, len1 = 0, rotated_at = 0;
    for (int i = 0; i < 300; i++) {
        json_t *a = lines_of(i, 1, 1024);
        assert_int_equal(ix_plugin_log_append(tmpdir, "p", a, NULL), 0);
        json_decref(a);
        char *s1 = slurp("logs/p.log.1", &len1);
        if (s1 && !rotated_at)
            rotated_at = (size_t)i;
        free(s1);
    }
    char *s = slurp("logs/p.log", &len), *s1 = slurp("logs/p.log.1", &len1);
    assert_non_null(s);
    assert_non_null(s1);
    assert_true(len <= IX_PLUGIN_LOG_MAX && len1 <= IX_PLUGIN_LOG_MAX);
    size_t line = len1 / count_lines(s1, len1);
    assert_int_equal(rotated_at, IX_PLUGIN_LOG_MAX / line);
    assert_int_equal(count_lines(s1, len1) + count_lines(s, len), 300);
    char want[64];
    snprintf(want, sizeof want, "\"message\":\"m%zux", rotated_at);
    assert_non_null(strstr(s, want));                  /* first after rotation */
    assert_true(strncmp(s, "{\"call\"", 7) == 0 && s[len - 1] == '\n');
    free(s);
    free(s1);
}

/* One chunk over the bound keeps its newest lines after a note. */
static void test_log_chunk_too_big(void **state)
{
    (void)state;
    json_t *a = lines_of(0, 400, 1024);
    size_t len = 0;
    assert_int_equal(ix_plugin_log_append(tmpdir, "p", a, NULL), 0);
    char *s = slurp("logs/p.log", &len);
    assert_non_null(s);
    assert_true(len <= IX_PLUGIN_LOG_MAX);
    size_t n = count_lines(s, len);
    char want[200];
    snprintf(want, sizeof want, "{\"call\":\"-\",\"level\":\"warn\",\"message\":"
             "\"%zu more lines dropped\",\"package\":\"-\",\"time\":%d}\n",
             400 - (n - 1), 1796432523 + 399);
    assert_true(strncmp(s, want, strlen(want)) == 0);
    assert_non_null(strstr(s, "\"message\":\"m399x"));
    free(s);
    json_decref(a);
}

static void test_profile_save(void **state)
{
    (void)state;
    json_t *p = json_pack("{s:{s:{s:i, s:i, s:i, s:i, s:i, s:i}}}", "policy",
                          "validate_upload", "calls", 2, "fuel", 30, "fuel_max", 20,
                          "time_us", 7, "time_us_max", 5, "peak_memory", 65536);
    size_t len = 0;
    assert_int_equal(ix_plugin_profile_save(tmpdir, p, 1796432523, NULL), 0);
    char *s = slurp("profile.json", &len);
    assert_non_null(s);
    assert_string_equal(s, "{\"format\":\"wharf-plugin-profile/1\",\"plugins\":"
        "{\"policy\":{\"validate_upload\":{\"calls\":2,\"fuel\":30,\"fuel_max\":20,"
        "\"peak_memory\":65536,\"time_us\":7,\"time_us_max\":5}}},\"time\":1796432523}");
    free(s);
    json_decref(p);
}

/* plugins.c: the names the folder keeps for itself, in any case. */
static void test_reserved_names(void **state)
{
    (void)state;
    wh_err err;
    assert_int_equal(ix_plugins_name_check("logs", "b.zip", &err), WH_E_FORMAT);
    assert_string_equal(err.path, "b.zip");
    assert_string_equal(err.reason, "plugin name 'logs' is reserved: the plugin "
                        "folder uses it");
    assert_int_equal(ix_plugins_name_check("State.JSON", "b.zip", NULL), WH_E_FORMAT);
    assert_int_equal(ix_plugins_name_check("profile.json", "b.zip", NULL), WH_E_FORMAT);
    assert_int_equal(ix_plugins_name_check("logs2", "b.zip", NULL), 0);
    assert_int_equal(ix_plugins_name_check("policy", "b.zip", NULL), 0);
}

/* A path too long is "", never a cut one naming another file. */
static void test_path_too_long(void **state)
{
    (void)state;
    char dir[PATH_MAX], out[PATH_MAX];
    memset(dir, 'd', sizeof dir - 8);
    dir[sizeof dir - 8] = '\0';
    assert_int_equal(ix_plugins_path(dir, "ab", out, NULL), 0);
    assert_int_equal(ix_plugins_path(dir, ".staging-policy", out, NULL), WH_E_LIMIT);
    assert_string_equal(out, "");
}

static void note(void *ctx, const char *key, const json_t *def)
{
    char *seen = ctx;
    size_t n = strlen(seen);
    snprintf(seen + n, 200 - n, "%s:%s;", key, def ? ix_plugins_type_name(def) : "-");
}

/* An update keeps the switch, limits and the values still of their
 * default's type; the others are noted. */
static void test_keep(void **state)
{
    (void)state;
    char seen[200] = "";
    json_t *old = json_pack("{s:b, s:{s:i}, s:{s:i, s:s, s:b, s:b}}", "enabled", 1,
                            "limits", "fuel", 10, "config", "max", 5, "pat", "x*",
                            "gone", 1, "flag", 0);
    json_t *e = json_pack("{s:b, s:{s:i, s:i, s:b}}", "enabled", 0, "config",
                          "max", 1, "pat", 2, "flag", 1);
    ix_plugins_keep(e, old, note, seen);
    assert_true(json_is_true(json_object_get(e, "enabled")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "limits"),
                                                        "fuel")), 10);
    json_t *cfg = json_object_get(e, "config");
    assert_int_equal(json_integer_value(json_object_get(cfg, "max")), 5);
    assert_int_equal(json_integer_value(json_object_get(cfg, "pat")), 2);
    assert_true(json_is_false(json_object_get(cfg, "flag")));
    assert_null(json_object_get(cfg, "gone"));
    assert_string_equal(seen, "pat:an integer;gone:-;");   /* old's order */
    json_decref(old);
    json_decref(e);
}

/* A state whose kinds are not all strings is refused, not guessed at. */
static void test_state_kinds(void **state)
{
    (void)state;
    char path[512];
    json_t *s = NULL;
    wh_err err;
    snprintf(path, sizeof path, "%s/state.json", tmpdir);
    static const char bad[] = "{\"format\":\"wharf-plugins/1\",\"plugins\":{\"p\":"
        "{\"config\":{},\"enabled\":false,\"kinds\":[1],\"version\":\"1.0.0\"}}}";
    assert_int_equal(wh_file_write_atomic(path, bad, sizeof bad - 1, 0644, NULL), 0);
    assert_int_equal(ix_plugins_load(tmpdir, &s, &err), WH_E_FORMAT);
    assert_null(s);
    assert_string_equal(err.reason, "plugin 'p' is malformed");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

WH_TEST_MAIN("plugin_log",
    T(test_env_defaults),
    T(test_env_values),
    T(test_env_bad),
    T(test_limits_override),
    T(test_level_names),
    T(test_log_append),
    T(test_log_rotates),
    T(test_log_chunk_too_big),
    T(test_profile_save),
    T(test_reserved_names),
    T(test_path_too_long),
    T(test_keep),
    T(test_state_kinds),
)

/* fuzz.c - TOML 1.0 documents (common/toml*.c): parse under small
 * limits, then walk the whole tree through every accessor, name each value
 * and look each key up again, so the tree's links, lengths and positions
 * are exercised as the manifest readers use them.
 *
 * Checked: a failed parse names the input and sets *out to NULL; every
 * key looked up by wh_toml_getn finds the entry it came from; a value's
 * line:column is inside the document.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/toml/).
 */
#include <string.h>

#include "common/toml.h"
#include "tests/fuzz/common/fuzz.h"

static void toml_walk(const wh_toml_value *v, int depth);

static void toml_scalar(const wh_toml_value *v)
{
    size_t len;
    int64_t i;
    double d;
    bool b;
    const char *s = wh_toml_string(v, &len);
    FUZZ_ASSERT(!s || s[len] == '\0');
    (void)wh_toml_int(v, &i);
    (void)wh_toml_float(v, &d);
    (void)wh_toml_bool(v, &b);
    const wh_toml_datetime *dt = wh_toml_datetime_of(v);
    FUZZ_ASSERT(!dt || dt->text);
}

static void toml_table(const wh_toml_value *t, int depth)
{
    for (size_t i = 0; i < wh_toml_len(t); i++) {
        const char *key;
        size_t klen;
        const wh_toml_value *e = wh_toml_entry(t, i, &key, &klen);
        FUZZ_ASSERT(e && wh_toml_getn(t, key, klen) == e);
        toml_walk(e, depth + 1);
    }
}

static void toml_walk(const wh_toml_value *v, int depth)
{
    char name[256];
    wh_toml_name(v, name, sizeof name);
    FUZZ_ASSERT(strlen(name) < sizeof name);
    FUZZ_ASSERT(wh_toml_line(v) >= 0 && wh_toml_col(v) >= 0);
    (void)wh_toml_type_name(wh_toml_type_of(v));
    if (wh_toml_type_of(v) == WH_TOML_TABLE)
        toml_table(v, depth);
    else if (wh_toml_type_of(v) == WH_TOML_ARRAY)
        for (size_t i = 0; i < wh_toml_len(v); i++)
            toml_walk(wh_toml_at(v, i), depth + 1);
    else
        toml_scalar(v);
}

/* The manifest readers' checked lookups, on whatever the input holds. */
static void toml_need(const wh_toml_value *root)
{
    static const char *paths[] = { "plugin.name", "module.version", "a.b.c",
                                   "dependencies", "a" };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        wh_err err;
        const wh_toml_value *v;
        if (wh_toml_need(root, paths[i], WH_TOML_STRING, &v, &err) != 0)
            FUZZ_ASSERT(err.code == WH_E_FORMAT && err.line >= 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wh_toml_limits lim = { .max_size = 64 << 10, .max_depth = 64 };
    wh_toml *doc = (wh_toml *)1;
    wh_err err;
    if (wh_toml_parse_limits((const char *)data, size, "f.toml", &lim, &doc,
                             &err) != 0) {
        FUZZ_ASSERT(doc == NULL && err.code != 0);
        FUZZ_ASSERT(strcmp(err.path, "f.toml") == 0);
        return 0;
    }
    toml_walk(wh_toml_root(doc), 0);
    toml_need(wh_toml_root(doc));
    wh_toml_free(doc);
    return 0;
}

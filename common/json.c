/* json.c - canonical JSON output and strict JSON input (see json.h).
 *
 * jansson already writes compact output with sorted keys (strcmp order,
 * which on UTF-8 is code-point order) and escapes exactly the characters
 * JSON requires; what this file adds is the refusal of reals, which
 * jansson would print with %.17g, and a depth limit checked before jansson
 * recurses.
 *
 * Tests: tests/unit/json_test.c
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

/* Reject reals and excessive depth; *where names the offending key. */
static int check_canon(const json_t *v, int depth, wh_err *err)
{
    if (depth > WH_JSON_MAX_DEPTH)
        return wh_fail(err, WH_E_FORMAT, NULL, -1,
                       "JSON nested deeper than %d levels", WH_JSON_MAX_DEPTH);
    if (json_is_real(v))
        return wh_fail(err, WH_E_FORMAT, NULL, -1,
                       "real number %g has no canonical form", json_real_value(v));
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            int rc = check_canon(json_array_get(v, i), depth + 1, err);
            if (rc)
                return wh_err_prefix(err, "[%zu]", i);
        }
    } else if (json_is_object(v)) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)v, key, val) {
            int rc = check_canon(val, depth + 1, err);
            if (rc)
                return wh_err_prefix(err, "'%s'", key);
        }
    }
    return 0;
}

int wh_json_canon(const json_t *v, char **out, size_t *len, wh_err *err)
{
    *out = NULL;
    *len = 0;
    int rc = check_canon(v, 0, err);
    if (rc)
        return rc;
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!s)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, "cannot serialise JSON");
    *out = s;
    *len = strlen(s);
    return 0;
}

/* Depth of the deepest [ or { in raw JSON text, ignoring strings; a cheap
 * pre-pass so jansson's own recursion never sees a hostile depth. */
static int too_deep(const char *buf, size_t len, size_t *where)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > WH_JSON_MAX_DEPTH) {
                *where = i;
                return 1;
            }
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 0;
}

int wh_json_parse(const char *buf, size_t len, const char *path, json_t **out,
                  wh_err *err)
{
    *out = NULL;
    size_t where;
    if (too_deep(buf, len, &where))
        return wh_fail(err, WH_E_LIMIT, path, (long long)where,
                       "JSON nested deeper than %d levels", WH_JSON_MAX_DEPTH);
    json_error_t je;
    json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY |
                           JSON_ALLOW_NUL, &je);
    if (!v)
        return wh_fail_at(err, WH_E_FORMAT, path, je.line > 0 ? je.line : 1,
                          je.column > 0 ? je.column : 1, "%s", je.text);
    *out = v;
    return 0;
}

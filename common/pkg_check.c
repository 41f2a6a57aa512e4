/* pkg_check.c - the checks every package format shares, and that readers
 * of an install root or an index need without reading any package: module
 * names (wh_pkg_name_check), labels (wh_pkg_labels), dependencies
 * (wh_pkg_dep_check), and the kinds' names.  Kept apart from pkg.c, whose
 * readers pull in libarchive, so that what links only these (wharf's run
 * front, installer/front.c) starts without loading it.
 *
 * Tests: tests/unit/pkg_test.c (+ pkg.data).
 */
#include "pkg.h"

#include <stdlib.h>
#include <string.h>

#include "semver.h"

const char *wh_pkg_kind_name(wh_pkg_kind kind)
{
    switch (kind) {
    case WH_PKG_FERRPKG: return "ferrpkg";
    case WH_PKG_PAR:     return "par";
    case WH_PKG_BUNDLE:  return "bundle";
    case WH_PKG_FORMAT:  return "format";
    }
    return "?";
}

/* --- names, labels, dependencies ---------------------------------------- */

static int is_alnum(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

int wh_pkg_name_check(const char *name, size_t len, wh_err *err)
{
    char q[100];
    if (len == 0)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "module name is empty");
    if (len > 64)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "module name '%s' is %zu "
                       "bytes long, more than 64",
                       wh_quote(q, 72, name, len), len);
    wh_quote(q, sizeof q, name, len);
    const uint8_t *p = (const uint8_t *)name;
    if (!is_alnum(p[0]))
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "module name '%s' must "
                       "start with a letter or digit", q);
    for (size_t i = 1; i < len; i++) {
        if (is_alnum(p[i]) || p[i] == '.' || p[i] == '_' || p[i] == '-')
            continue;
        if (p[i] >= 0x20 && p[i] < 0x7f)
            return wh_fail(err, WH_E_FORMAT, NULL, -1,
                           "module name '%s' contains '%c'", q, p[i]);
        return wh_fail(err, WH_E_FORMAT, NULL, -1,
                       "module name '%s' contains byte 0x%02x", q, p[i]);
    }
    return 0;
}

static int cmp_json_str(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    size_t xl = json_string_length(x), yl = json_string_length(y);
    int c = memcmp(json_string_value(x), json_string_value(y),
                   xl < yl ? xl : yl);
    return c ? c : (xl > yl) - (xl < yl);
}

static int label_check(const json_t *v, const char *what, size_t i,
                       wh_err *err)
{
    if (!json_is_string(v))
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'%s' entry %zu is not a "
                       "string", what, i + 1);
    const uint8_t *s = (const uint8_t *)json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'%s' entry %zu is empty",
                       what, i + 1);
    if (n > WH_PKG_MAX_LABEL_LEN)
        return wh_fail(err, WH_E_LIMIT, NULL, -1, "'%s' entry %zu is %zu "
                       "bytes long, more than %d", what, i + 1, n,
                       WH_PKG_MAX_LABEL_LEN);
    for (size_t k = 0; k < n; k++)
        if (s[k] < 0x20 || s[k] == 0x7f)
            return wh_fail(err, WH_E_FORMAT, NULL, -1, "'%s' entry %zu "
                           "contains control character 0x%02x", what, i + 1,
                           s[k]);
    return 0;
}

int wh_pkg_labels(const json_t *arr, const char *what, json_t **out,
                  wh_err *err)
{
    *out = NULL;
    if (!json_is_array(arr))
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'%s' must be an array of "
                       "strings", what);
    size_t n = json_array_size(arr);
    if (n > WH_PKG_MAX_LABELS)
        return wh_fail(err, WH_E_LIMIT, NULL, -1, "'%s' has %zu entries, more "
                       "than %d", what, n, WH_PKG_MAX_LABELS);
    json_t *v[WH_PKG_MAX_LABELS];
    for (size_t i = 0; i < n; i++) {
        v[i] = json_array_get(arr, i);
        int rc = label_check(v[i], what, i, err);
        if (rc)
            return rc;
    }
    qsort(v, n, sizeof v[0], cmp_json_str);
    json_t *a = json_array();
    if (!a)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && cmp_json_str(&v[i - 1], &v[i]) == 0)
            continue;
        if (json_array_append(a, v[i]))
            goto nomem;
    }
    *out = a;
    return 0;
nomem:
    json_decref(a);
    return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
}

int wh_pkg_dep_check(const char *name, size_t nlen, const char *req,
                     size_t rlen, wh_err *err)
{
    char q[100], r[100];
    int rc = wh_pkg_name_check(name, nlen, err);
    if (rc)
        return wh_err_prefix(err, "dependency");
    wh_semver_req *sr;
    rc = wh_semver_req_parse(&sr, WH_SEMVER_CARGO, req, rlen, err);
    if (rc)
        return wh_err_prefix(err, "dependency '%s': requirement '%s'",
                             wh_quote(q, sizeof q, name, nlen),
                             wh_quote(r, sizeof r, req, rlen));
    wh_semver_req_free(sr);
    return 0;
}

/* pkg.c - one package file, whatever its format: reading, recognising,
 * and the checks every format shares.
 *
 * This is the front of the package readers (pkg.h): wh_pkg_read() loads
 * the file into memory (capped at WH_PKG_MAX_SIZE) and wh_pkg_read_mem()
 * recognises the format by its first bytes, never by its name:
 *
 *   "FPKG"                      .ferrpkg        pkg_ferrpkg.c
 *   "PK\3\4"                    plugin bundle   pkg_bundle.c
 *   1f 8b, or a tar header      PAR             pkg_par.c
 *
 * A tar header is recognised by "ustar" at offset 257 (POSIX and GNU), or,
 * for the old v7 layout that has no magic, by a header checksum that
 * adds up: a random file passes that test with odds of about 1 in 10^5,
 * and then fails in the PAR reader anyway.  After the format's reader
 * succeeds, the digest and size of the whole file are recorded here, so
 * no reader can forget them.
 *
 * The shared checks live here too: module names (wh_pkg_name_check),
 * labels and dependencies, and each reader's memory bound
 * (wh_pkg_read_bound); hostile text in messages is quoted with wh_quote
 * (err.h), as every message of wharf is.  The
 * description of a WASM module for the index (wh_pkg_wasm_describe) is in
 * pkg_wasm.c, the only file of common/ that uses the interpreter.
 *
 * Tests: tests/unit/pkg_test.c (+ pkg.data), tests/cli/t1011-ferrpkg.sh,
 * tests/cli/t1012-bundle.sh.
 */
#include "pkg.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "hex.h"
#include "semver.h"

/* --- recognising a format ----------------------------------------------- */

/* Parse an octal tar number field (digits, padded with spaces or NULs). */
static int tar_octal(const uint8_t *f, size_t n, uint64_t *out)
{
    size_t i = 0;
    while (i < n && f[i] == ' ')
        i++;
    uint64_t v = 0;
    size_t digits = 0;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++)
        v = v * 8 + (uint64_t)(f[i] - '0');
    for (; i < n; i++)
        if (f[i] != ' ' && f[i] != '\0')
            return -1;
    if (digits == 0)
        return -1;
    *out = v;
    return 0;
}

/* True if the first 512 bytes are a tar header: the ustar magic, or a v7
 * header (a name and a checksum that matches, summed either unsigned or,
 * as some old tars did, signed). */
static int is_tar(const uint8_t *d, size_t len)
{
    if (len >= 262 && memcmp(d + 257, "ustar", 5) == 0)
        return 1;
    if (len < 512 || d[0] == '\0')
        return 0;
    uint64_t want;
    if (tar_octal(d + 148, 8, &want))
        return 0;
    uint64_t usum = 0;
    int64_t ssum = 0;
    for (size_t i = 0; i < 512; i++) {
        uint8_t c = i >= 148 && i < 156 ? ' ' : d[i];
        usum += c;
        ssum += (int8_t)c;
    }
    return want == usum || (int64_t)want == ssum;
}

static int detect(const uint8_t *d, size_t len)
{
    if (len >= 4 && memcmp(d, "FPKG", 4) == 0)
        return WH_PKG_FERRPKG;
    if (len >= 4 && memcmp(d, "PK\3\4", 4) == 0)
        return WH_PKG_BUNDLE;
    if ((len >= 2 && d[0] == 0x1f && d[1] == 0x8b) || is_tar(d, len))
        return WH_PKG_PAR;
    return 0;
}

/* --- reading ------------------------------------------------------------ */

/* Add what the front end knows to a reader's record. */
static int finish_record(const char *path, wh_pkg *pkg, wh_err *err)
{
    json_t *r = pkg->record;
    assert(r);
    const char *kind = wh_pkg_kind_name(pkg->kind);
    if (json_object_set_new(r, "kind", json_string(kind)) ||
        json_object_set_new(r, "size", json_integer((json_int_t)pkg->size)) ||
        json_object_set_new(r, "sha256", json_string(pkg->sha256)))
        return wh_fail(err, WH_E_NOMEM, path, -1, "cannot build the record");
    return 0;
}

int wh_pkg_read_mem(const char *path, const uint8_t *data, size_t len,
                    const wh_pkg_opts *opts, wh_pkg *pkg, wh_err *err)
{
    memset(pkg, 0, sizeof *pkg);
    if (len == 0)
        return wh_fail(err, WH_E_FORMAT, path, -1, "empty file");
    int rc, kind = detect(data, len);
    switch (kind) {
    case WH_PKG_FERRPKG:
        rc = wh_ferrpkg_read(path, data, len, opts, pkg, err);
        break;
    case WH_PKG_BUNDLE:
        rc = wh_bundle_read(path, data, len, opts, pkg, err);
        break;
    case WH_PKG_PAR:
        rc = wh_par_read(path, data, len, opts, pkg, err);
        break;
    default: {
        char hex[3 * 4] = "";
        for (size_t i = 0, o = 0; i < len && i < 4; i++, o = strlen(hex))
            snprintf(hex + o, sizeof hex - o, "%s%02x", i ? " " : "", data[i]);
        return wh_fail(err, WH_E_FORMAT, path, 0, "not a .ferrpkg, PAR or "
                       "plugin bundle (starts with %s)", hex);
    }
    }
    if (rc) {
        memset(pkg, 0, sizeof *pkg);
        return rc;
    }
    uint8_t d[WH_SHA256_BYTES];
    if ((rc = wh_sha256_buf(data, len, d, err)) != 0) {
        wh_pkg_free(pkg);
        return rc;
    }
    wh_hex_encode(pkg->sha256, d, sizeof d, 0);
    pkg->kind = (wh_pkg_kind)kind;
    pkg->size = len;
    if ((rc = finish_record(path, pkg, err)) != 0)
        wh_pkg_free(pkg);
    return rc;
}

int wh_pkg_read(const char *path, const wh_pkg_opts *opts, wh_pkg *pkg,
                wh_err *err)
{
    memset(pkg, 0, sizeof *pkg);
    char *data;
    size_t len;
    int rc = wh_file_read(path, WH_PKG_MAX_SIZE, &data, &len, err);
    if (rc)
        return rc;
    rc = wh_pkg_read_mem(path, (const uint8_t *)data, len, opts, pkg, err);
    free(data);
    return rc;
}

#define DEFLATE_MAX_RATIO 1032    /* deflate's best: 258 bytes per 2 bits */

uint64_t wh_pkg_read_bound(const uint8_t *head, size_t n, uint64_t size)
{
    switch (detect(head, n)) {
    case WH_PKG_FERRPKG:
        return WH_PKG_WASM_MEM(size) + WH_PKG_READ_SLACK;
    case WH_PKG_BUNDLE: {
        uint64_t wasm = size > WH_PKG_MAX_ENTRY / DEFLATE_MAX_RATIO
                        ? WH_PKG_MAX_ENTRY : size * DEFLATE_MAX_RATIO;
        return wasm + WH_PKG_WASM_MEM(wasm) + WH_PKG_READ_SLACK;
    }
    default:
        return WH_PKG_READ_SLACK;
    }
}

void wh_pkg_free(wh_pkg *pkg)
{
    if (!pkg)
        return;
    json_decref(pkg->record);
    memset(pkg, 0, sizeof *pkg);
}

const char *wh_pkg_kind_name(wh_pkg_kind kind)
{
    switch (kind) {
    case WH_PKG_FERRPKG: return "ferrpkg";
    case WH_PKG_PAR:     return "par";
    case WH_PKG_BUNDLE:  return "bundle";
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

/* yank.c - PKGDIR/yanked: the versions a publisher withdrew.
 *
 * A yanked version stays in the index (an installed or locked copy must
 * still be found and verified) but is marked, with the publisher's
 * reason: "yanked": "REASON" ("" for none) in its record.  `wharf`
 * resolves to it only when pinned with '=', and the catalogue shows it as
 * yanked and never as a module's latest version (Cargo's rules).
 *
 * The file, one entry a line:
 *
 *     # comments and blank lines are ignored
 *     hello@1.0.1   reads past the end of its input (CVE-2026-0001)
 *     fmt-md@0.3.0
 *
 * NAME@VERSION, a module name and a strict SemVer version, then
 * optionally white space and the reason, to the end of the line (at most
 * 200 bytes, no control characters).  A line that is not that is an
 * error naming the file, line and column; the build stops before writing
 * anything.  A version the index does not have is said as a warning.
 *
 * Tests: tests/cli/t1108-wharf-index-yank.sh.
 */
#include "indexer/indexer.h"

#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/semver.h"

#define YANKED_MAX    ((size_t)1 << 20)
#define REASON_MAX    200

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

/* One line, s[0..n) (line lineno of path), into y. */
static int yank_line(json_t *y, const char *path, int lineno, const char *s,
                     size_t n, wh_err *err)
{
    size_t b = 0, e;
    while (n > 0 && (s[n - 1] == '\r' || blank(s[n - 1])))
        n--;
    while (b < n && blank(s[b]))
        b++;
    if (b == n || s[b] == '#')
        return 0;
    for (e = b; e < n && !blank(s[e]); e++)
        ;
    const char *at = memchr(s + b, '@', e - b);
    wh_err x;
    wh_semver v;
    if (!at)
        return wh_fail_at(err, WH_E_FORMAT, path, lineno, (int)b + 1,
                          "not NAME@VERSION");
    if (wh_pkg_name_check(s + b, (size_t)(at - s - b), &x))
        return wh_fail_at(err, WH_E_FORMAT, path, lineno, (int)b + 1, "%s", x.reason);
    if (wh_semver_parse(&v, at + 1, (size_t)(s + e - at - 1), &x))
        return wh_fail_at(err, WH_E_FORMAT, path, lineno, (int)(at - s) + 2,
                          "version: %s", x.reason);
    size_t r = e;
    while (r < n && blank(s[r]))
        r++;
    for (size_t i = r; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return wh_fail_at(err, WH_E_FORMAT, path, lineno, (int)i + 1,
                              "control character in the reason");
    if (n - r > REASON_MAX)
        return wh_fail_at(err, WH_E_LIMIT, path, lineno, (int)r + 1,
                          "reason longer than %d bytes", REASON_MAX);
    char key[512];
    snprintf(key, sizeof key, "%.*s", (int)(e - b), s + b);
    json_t *reason = json_stringn(s + r, n - r);
    json_t *val = json_pack("{sosi}", "reason", reason, "line", lineno);
    if (!val || json_object_set_new(y, key, val))
        return wh_fail_at(err, WH_E_FORMAT, path, lineno, (int)r + 1,
                          "the reason is not UTF-8 text");
    return 0;
}

int ix_yank_load(const char *pkgdir, json_t **out, char **path_out, wh_err *err)
{
    char *path = ix_join(pkgdir, "/", IX_YANKED_NAME), *text;
    size_t len;
    *out = NULL;
    *path_out = path;
    if (!path)
        return wh_fail(err, WH_E_NOMEM, pkgdir, -1, NULL);
    int rc = wh_file_read_stat(path, YANKED_MAX, WH_READ_NOFOLLOW, &text, &len,
                               NULL, err);
    if (rc == WH_E_NOTFOUND)
        return (*out = json_object()) ? 0 : wh_fail(err, WH_E_NOMEM, path, -1, NULL);
    if (rc)
        return rc;
    json_t *y = json_object();
    rc = y ? 0 : wh_fail(err, WH_E_NOMEM, path, -1, NULL);
    int lineno = 1;
    for (size_t i = 0; rc == 0 && i < len; lineno++) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        rc = yank_line(y, path, lineno, text + i, end - i, err);
        i = end + 1;
    }
    free(text);
    if (rc)
        json_decref(y);
    else
        *out = y;
    return rc;
}

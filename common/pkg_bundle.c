/* pkg_bundle.c - plugin bundles: a .zip holding plugin.toml and one module.
 *
 * A bundle (docs/index-format.md, "Plugin bundles") is a zip archive with,
 * at its root:
 *
 *   plugin.toml   the manifest: [plugin] name, version, description,
 *                 author, license (strings, required); optional
 *                 categories, tags (arrays of strings) and dependencies
 *                 (table: module name -> Cargo requirement); optional
 *                 [plugin.capabilities] and [plugin.config] tables
 *   NAME.wasm     exactly one module, at the root
 *   plugin.wit    optional
 *   README.md     optional
 *
 * Other regular files (LICENSE, examples/...) are allowed and ignored, but
 * every entry is read to its end, so libarchive checks every CRC-32: a
 * tampered byte anywhere is an error, not only in the parts we use.
 *
 * The archive is hostile, so entries are checked before anything is kept:
 * names by the rules of wh_path_join (relative, no "." or "..", no empty
 * components, no backslash) and without control characters; no symbolic
 * or hard links, devices or other special files (directories are allowed
 * and ignored, since zip tools write them); no duplicate names; at most
 * BUNDLE_MAX_ENTRIES entries; every entry's real (decompressed) size is
 * counted while reading, never trusted from the header, against
 * BUNDLE_MAX_ENTRY and, for all entries, BUNDLE_MAX_TOTAL: a zip bomb
 * stops at the cap.  The module must be at the root so there is no doubt
 * which file is the plugin.
 *
 * Manifest errors read "b.zip: plugin.toml:4:11: 'plugin.version' must be
 * a string": the file in err->path, the place inside the archive in the
 * reason.  The manifest's own tables are copied into the record as JSON
 * (floats and date-times as their TOML text, since canonical JSON has no
 * reals), so the index shows them exactly as written.
 *
 * Tests: tests/unit/pkg_test.c, tests/cli/t1012-bundle.sh.
 */
#include "pkg.h"

#include <archive.h>
#include <archive_entry.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "semver.h"
#include "toml.h"

#define BUNDLE_MAX_ENTRIES 256
#define BUNDLE_MAX_ENTRY   WH_PKG_MAX_ENTRY       /* bytes, decompressed */
#define BUNDLE_MAX_TOTAL   ((uint64_t)512 << 20)  /* all entries */
#define BUNDLE_MAX_NAME    1024                   /* bytes of an entry name */
#define BUNDLE_MAX_TOML    ((size_t)1 << 20)
#define BUNDLE_TOML_DEPTH  32   /* well under canonical JSON's 64 */

typedef struct bundle {
    const char *path;
    char       *names[BUNDLE_MAX_ENTRIES];   /* seen so far, for duplicates */
    size_t      nnames;
    uint64_t    total;                       /* bytes read from all entries */
    char       *toml;                        /* plugin.toml, NUL-terminated */
    size_t      toml_len;
    uint8_t    *wasm;
    size_t      wasm_len;
    const char *wasm_name;                   /* points into names[] */
    int         wit, readme;
} bundle;

static void bundle_free(bundle *b)
{
    for (size_t i = 0; i < b->nnames; i++)
        free(b->names[i]);
    free(b->toml);
    free(b->wasm);
}

static const char *ar_msg(struct archive *a)
{
    const char *s = archive_error_string(a);
    return s ? s : "unreadable data";
}

/* --- reading entries ----------------------------------------------------- */

/* Read the current entry to its end (so its CRC is checked), counting its
 * real size; keep the bytes in *out (NUL-terminated) when out is set. */
static int read_data(bundle *b, struct archive *a, const char *q, size_t cap,
                     char **out, size_t *outlen, wh_err *err)
{
    char *buf = NULL;
    size_t got = 0, room = 0;
    int rc = 0;
    for (;;) {
        const void *blk;
        size_t n;
        la_int64_t off;
        int r = archive_read_data_block(a, &blk, &n, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK) {     /* a bad CRC is only ARCHIVE_WARN */
            rc = wh_fail(err, WH_E_FORMAT, b->path, -1, "entry '%s': %s", q,
                         ar_msg(a));
            goto out;
        }
        if (off != (la_int64_t)got) {
            rc = wh_fail(err, WH_E_FORMAT, b->path, -1, "entry '%s': data "
                         "out of order", q);
            goto out;
        }
        if (n > cap - got) {
            rc = wh_fail(err, WH_E_LIMIT, b->path, -1, "entry '%s' is larger "
                         "than the limit of %zu bytes", q, cap);
            goto out;
        }
        b->total += n;
        if (b->total > BUNDLE_MAX_TOTAL) {
            rc = wh_fail(err, WH_E_LIMIT, b->path, -1, "entries hold more "
                         "than %llu bytes in all",
                         (unsigned long long)BUNDLE_MAX_TOTAL);
            goto out;
        }
        if (out && got + n + 1 > room) {
            size_t want = room ? room : 65536;
            while (want < got + n + 1)
                want *= 2;
            char *nb = realloc(buf, want);
            if (!nb) {
                rc = wh_fail(err, WH_E_NOMEM, b->path, -1, NULL);
                goto out;
            }
            buf = nb;
            room = want;
        }
        if (out && n)    /* an empty block may come with blk NULL */
            memcpy(buf + got, blk, n);
        got += n;
    }
    if (out) {
        if (!buf && !(buf = malloc(1))) {
            rc = wh_fail(err, WH_E_NOMEM, b->path, -1, NULL);
            goto out;
        }
        buf[got] = '\0';
        *out = buf;
        *outlen = got;
        buf = NULL;
    }
out:
    free(buf);
    return rc;
}

/* Type and name checks of one entry; *dir is set for a directory, *name
 * and *len are its name without a trailing '/'. */
static int check_entry(bundle *b, struct archive_entry *e, size_t idx,
                       const char **name, size_t *len, int *dir, wh_err *err)
{
    char q[200];
    const char *s = archive_entry_pathname_utf8(e);
    if (!s)
        s = archive_entry_pathname(e);
    if (!s || !*s)
        return wh_fail(err, WH_E_FORMAT, b->path, -1, "entry %zu has no name",
                       idx);
    size_t n = strlen(s);
    wh_quote(q, sizeof q, s, n);
    if (n > BUNDLE_MAX_NAME)
        return wh_fail(err, WH_E_LIMIT, b->path, -1, "entry '%s' has a name "
                       "longer than %d bytes", q, BUNDLE_MAX_NAME);
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFLNK || archive_entry_symlink(e))
        return wh_fail(err, WH_E_UNSAFE, b->path, -1, "entry '%s' is a "
                       "symbolic link", q);
    if (archive_entry_hardlink(e))
        return wh_fail(err, WH_E_UNSAFE, b->path, -1, "entry '%s' is a hard "
                       "link", q);
    *dir = type == AE_IFDIR;
    if (!*dir && type != AE_IFREG)
        return wh_fail(err, WH_E_FORMAT, b->path, -1, "entry '%s' is not a "
                       "regular file", q);
    if (*dir && n > 1 && s[n - 1] == '/')
        n--;
    for (size_t i = 0; i < n; i++)
        if ((uint8_t)s[i] < 0x20 || s[i] == 0x7f)
            return wh_fail(err, WH_E_UNSAFE, b->path, -1, "unsafe entry: "
                           "name '%s' contains control character 0x%02x", q,
                           (uint8_t)s[i]);
    char joined[BUNDLE_MAX_NAME + 8];
    wh_err pe;
    if (wh_path_join(joined, sizeof joined, ".", s, n, &pe))
        return wh_fail(err, pe.code, b->path, -1, "unsafe entry: %s",
                       pe.reason);
    *name = s;
    *len = n;
    return 0;
}

/* Remember name (n bytes); fails on a duplicate. */
static int add_name(bundle *b, const char *name, size_t n, const char *q,
                    wh_err *err)
{
    for (size_t i = 0; i < b->nnames; i++)
        if (strlen(b->names[i]) == n && memcmp(b->names[i], name, n) == 0)
            return wh_fail(err, WH_E_FORMAT, b->path, -1, "duplicate entry "
                           "'%s'", q);
    assert(b->nnames < BUNDLE_MAX_ENTRIES);
    char *c = malloc(n + 1);
    if (!c)
        return wh_fail(err, WH_E_NOMEM, b->path, -1, NULL);
    memcpy(c, name, n);
    c[n] = '\0';
    b->names[b->nnames++] = c;
    return 0;
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static int take_entry(bundle *b, struct archive *a, struct archive_entry *e,
                      size_t idx, wh_err *err)
{
    const char *name = NULL;
    size_t n = 0;
    int dir = 0, rc;
    if ((rc = check_entry(b, e, idx, &name, &n, &dir, err)) != 0)
        return rc;
    char q[200];
    wh_quote(q, sizeof q, name, n);
    if ((rc = add_name(b, name, n, q, err)) != 0)
        return rc;
    const char *kept = b->names[b->nnames - 1];
    if (dir)
        return read_data(b, a, q, 0, NULL, NULL, err);
    int root = memchr(name, '/', n) == NULL;
    if (ends_with(name, n, ".wasm")) {
        if (!root)
            return wh_fail(err, WH_E_FORMAT, b->path, -1, "entry '%s': the "
                           "module must be at the root of the bundle", q);
        if (b->wasm) {
            char q0[200];
            return wh_fail(err, WH_E_FORMAT, b->path, -1, "two modules, '%s' "
                           "and '%s': a bundle holds exactly one",
                           wh_quote(q0, sizeof q0, b->wasm_name,
                                        strlen(b->wasm_name)), q);
        }
        b->wasm_name = kept;
        return read_data(b, a, q, BUNDLE_MAX_ENTRY, (char **)&b->wasm,
                         &b->wasm_len, err);
    }
    if (strcmp(kept, "plugin.toml") == 0)
        return read_data(b, a, q, BUNDLE_MAX_TOML, &b->toml, &b->toml_len,
                         err);
    if (strcmp(kept, "plugin.wit") == 0)
        b->wit = 1;
    else if (strcmp(kept, "README.md") == 0)
        b->readme = 1;
    return read_data(b, a, q, BUNDLE_MAX_ENTRY, NULL, NULL, err);
}

static int read_entries(bundle *b, const uint8_t *data, size_t len,
                        wh_err *err)
{
    struct archive *a = archive_read_new();
    if (!a)
        return wh_fail(err, WH_E_NOMEM, b->path, -1, NULL);
    int rc = 0;
    archive_read_support_format_zip_seekable(a);
    if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
        rc = wh_fail(err, WH_E_FORMAT, b->path, -1, "not a readable zip "
                     "archive: %s", ar_msg(a));
        goto out;
    }
    for (size_t idx = 1;; idx++) {
        struct archive_entry *e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK) {
            rc = wh_fail(err, WH_E_FORMAT, b->path, -1, "entry %zu: %s", idx,
                         ar_msg(a));
            goto out;
        }
        if (idx > BUNDLE_MAX_ENTRIES) {
            rc = wh_fail(err, WH_E_LIMIT, b->path, -1, "more than %d entries",
                         BUNDLE_MAX_ENTRIES);
            goto out;
        }
        if ((rc = take_entry(b, a, e, idx, err)) != 0)
            goto out;
    }
    if (!b->toml)
        rc = wh_fail(err, WH_E_FORMAT, b->path, -1, "no plugin.toml at the "
                     "root of the bundle");
    else if (!b->wasm)
        rc = wh_fail(err, WH_E_FORMAT, b->path, -1, "no .wasm module at the "
                     "root of the bundle");
out:
    archive_read_free(a);
    return rc;
}

/* --- the manifest -------------------------------------------------------- */

typedef struct manifest {
    bundle   *b;
    wh_toml  *doc;
    const wh_toml_value *plugin;
} manifest;

/* Turn an error located in plugin.toml (e) into one on the bundle. */
static int toml_fail(const manifest *m, const wh_err *e, wh_err *err)
{
    char where[600];
    wh_err_format(e, where, sizeof where);
    return wh_fail(err, e->code, m->b->path, -1, "%s", where);
}

/* The same for an error without a place (from a shared helper) at v. */
static int toml_fail_at(const manifest *m, const wh_toml_value *v,
                        const wh_err *e, wh_err *err)
{
    return wh_fail(err, e->code, m->b->path, -1, "plugin.toml:%d:%d: %s",
                   wh_toml_line(v), wh_toml_col(v), e->reason);
}

/* Byte offset of line:col (1-based, columns in characters) in s. */
static size_t line_col_offset(const char *s, size_t n, int line, int col)
{
    size_t i = 0;
    for (int l = 1; l < line && i < n; i++)
        if (s[i] == '\n')
            l++;
    for (int c = 1; i < n; i++) {
        if (((uint8_t)s[i] & 0xc0) == 0x80)
            continue;
        if (c++ == col)
            break;
    }
    return i;
}

/* A float as written in the document ("6.626e-34", "+inf"). */
static json_t *float_text(const manifest *m, const wh_toml_value *v)
{
    const char *s = m->b->toml;
    size_t n = m->b->toml_len;
    size_t i = line_col_offset(s, n, wh_toml_line(v), wh_toml_col(v)), j = i;
    while (j < n && strchr("+-0123456789._eEinfa", s[j]) && s[j])
        j++;
    return json_stringn(s + i, j - i);
}

/* v (a table, array or scalar) as JSON in *out.  Depth is bounded by the
 * parser's BUNDLE_TOML_DEPTH, so the recursion is too. */
static int to_json(const manifest *m, const wh_toml_value *v, json_t **out,
                   wh_err *err)
{
    json_t *j = NULL;
    int64_t i;
    bool bv;
    size_t len;
    const char *s;
    switch (wh_toml_type_of(v)) {
    case WH_TOML_TABLE:
        j = json_object();
        for (size_t k = 0; j && k < wh_toml_len(v); k++) {
            const char *key;
            size_t klen;
            const wh_toml_value *c = wh_toml_entry(v, k, &key, &klen);
            json_t *cj;
            if (memchr(key, '\0', klen)) {
                char name[200];
                json_decref(j);
                return wh_fail(err, WH_E_FORMAT, m->b->path, -1,
                               "plugin.toml:%d:%d: key in '%s' contains a NUL "
                               "byte", wh_toml_line(c), wh_toml_col(c),
                               wh_toml_name(v, name, sizeof name));
            }
            int rc = to_json(m, c, &cj, err);
            if (rc) {
                json_decref(j);
                return rc;
            }
            if (json_object_setn_new(j, key, klen, cj)) {
                json_decref(j);
                j = NULL;
            }
        }
        break;
    case WH_TOML_ARRAY:
        j = json_array();
        for (size_t k = 0; j && k < wh_toml_len(v); k++) {
            json_t *cj;
            int rc = to_json(m, wh_toml_at(v, k), &cj, err);
            if (rc) {
                json_decref(j);
                return rc;
            }
            if (json_array_append_new(j, cj)) {
                json_decref(j);
                j = NULL;
            }
        }
        break;
    case WH_TOML_STRING:
        s = wh_toml_string(v, &len);
        j = json_stringn(s, len);
        break;
    case WH_TOML_INTEGER:
        wh_toml_int(v, &i);
        j = json_integer((json_int_t)i);
        break;
    case WH_TOML_BOOL:
        wh_toml_bool(v, &bv);
        j = json_boolean(bv);
        break;
    case WH_TOML_FLOAT:
        j = float_text(m, v);
        break;
    case WH_TOML_DATETIME:
    case WH_TOML_DATETIME_LOCAL:
    case WH_TOML_DATE_LOCAL:
    case WH_TOML_TIME_LOCAL:
        j = json_string(wh_toml_datetime_of(v)->text);
        break;
    case WH_TOML_NONE:
        assert(0);
    }
    *out = j;
    return j ? 0 : wh_fail(err, WH_E_NOMEM, m->b->path, -1, NULL);
}

/* A required [plugin] string. */
static int need_str(const manifest *m, const char *key,
                    const wh_toml_value **v, wh_err *err)
{
    wh_err e;
    if (wh_toml_need(m->plugin, key, WH_TOML_STRING, v, &e))
        return toml_fail(m, &e, err);
    return 0;
}

static int read_identity(const manifest *m, wh_pkg *pkg, json_t *rec,
                         wh_err *err)
{
    static const char *const text_keys[] = { "description", "author",
                                             "license" };
    const wh_toml_value *v;
    size_t n;
    const char *s;
    wh_err e;
    int rc;
    if ((rc = need_str(m, "name", &v, err)) != 0)
        return rc;
    s = wh_toml_string(v, &n);
    if (wh_pkg_name_check(s, n, &e))
        return toml_fail_at(m, v, &e, err);
    memcpy(pkg->name, s, n + 1);

    if ((rc = need_str(m, "version", &v, err)) != 0)
        return rc;
    s = wh_toml_string(v, &n);
    wh_semver sv;
    if (wh_semver_parse(&sv, s, n, &e)) {
        char q[100];
        return wh_fail(err, e.code, m->b->path, -1, "plugin.toml:%d:%d: "
                       "version '%s' is not SemVer 2.0.0: %s", wh_toml_line(v),
                       wh_toml_col(v), wh_quote(q, sizeof q, s, n),
                       e.reason);
    }
    memcpy(pkg->version, s, n + 1);

    for (size_t i = 0; i < sizeof text_keys / sizeof text_keys[0]; i++) {
        if ((rc = need_str(m, text_keys[i], &v, err)) != 0)
            return rc;
        s = wh_toml_string(v, &n);
        if (json_object_set_new(rec, text_keys[i], json_stringn(s, n)))
            return wh_fail(err, WH_E_NOMEM, m->b->path, -1, NULL);
    }
    return 0;
}

/* [plugin] categories / tags: sorted into rec, [] when absent. */
static int read_labels(const manifest *m, const char *key, json_t *rec,
                       wh_err *err)
{
    const wh_toml_value *v = wh_toml_get(m->plugin, key);
    json_t *raw = NULL, *out = NULL;
    wh_err e;
    int rc = 0;
    if (!v) {
        out = json_array();
        goto set;
    }
    if (wh_toml_expect(v, WH_TOML_ARRAY, &e))
        return toml_fail(m, &e, err);
    for (size_t i = 0; i < wh_toml_len(v); i++)
        if (wh_toml_expect(wh_toml_at(v, i), WH_TOML_STRING, &e))
            return toml_fail(m, &e, err);
    if ((rc = to_json(m, v, &raw, err)) != 0)
        return rc;
    rc = wh_pkg_labels(raw, key, &out, &e);
    json_decref(raw);
    if (rc)
        return toml_fail_at(m, v, &e, err);
set:
    if (json_object_set_new(rec, key, out))
        return wh_fail(err, WH_E_NOMEM, m->b->path, -1, NULL);
    return 0;
}

static int read_deps(const manifest *m, json_t *rec, wh_err *err)
{
    const wh_toml_value *t = wh_toml_get(m->plugin, "dependencies");
    json_t *out = json_object();
    wh_err e;
    if (!out || json_object_set_new(rec, "dependencies", out))
        return wh_fail(err, WH_E_NOMEM, m->b->path, -1, NULL);
    if (!t)
        return 0;
    if (wh_toml_expect(t, WH_TOML_TABLE, &e))
        return toml_fail(m, &e, err);
    if (wh_toml_len(t) > WH_PKG_MAX_DEPS)
        return wh_fail(err, WH_E_LIMIT, m->b->path, -1, "plugin.toml:%d:%d: "
                       "%zu dependencies, more than %d", wh_toml_line(t),
                       wh_toml_col(t), wh_toml_len(t), WH_PKG_MAX_DEPS);
    for (size_t i = 0; i < wh_toml_len(t); i++) {
        const char *name;
        size_t nlen, rlen;
        const wh_toml_value *v = wh_toml_entry(t, i, &name, &nlen);
        if (wh_toml_expect(v, WH_TOML_STRING, &e))
            return toml_fail(m, &e, err);
        const char *req = wh_toml_string(v, &rlen);
        if (wh_pkg_dep_check(name, nlen, req, rlen, &e))
            return toml_fail_at(m, v, &e, err);
        if (json_object_setn_new(out, name, nlen, json_stringn(req, rlen)))
            return wh_fail(err, WH_E_NOMEM, m->b->path, -1, NULL);
    }
    return 0;
}

/* [plugin.capabilities] or [plugin.config] into plug, {} when absent. */
static int read_table(const manifest *m, const char *key, json_t *plug,
                      wh_err *err)
{
    const wh_toml_value *t = wh_toml_get(m->plugin, key);
    json_t *j = NULL;
    wh_err e;
    if (!t) {
        j = json_object();
    } else {
        if (wh_toml_expect(t, WH_TOML_TABLE, &e))
            return toml_fail(m, &e, err);
        int rc = to_json(m, t, &j, err);
        if (rc)
            return rc;
    }
    if (json_object_set_new(plug, key, j))
        return wh_fail(err, WH_E_NOMEM, m->b->path, -1, NULL);
    return 0;
}

static int read_manifest(bundle *b, wh_pkg *pkg, json_t *rec, json_t *plug,
                         wh_err *err)
{
    manifest m = { b, NULL, NULL };
    wh_toml_limits lim = { BUNDLE_MAX_TOML, BUNDLE_TOML_DEPTH };
    wh_err e;
    int rc;
    if (wh_toml_parse_limits(b->toml, b->toml_len, "plugin.toml", &lim,
                             &m.doc, &e))
        return toml_fail(&m, &e, err);
    if (wh_toml_need(wh_toml_root(m.doc), "plugin", WH_TOML_TABLE, &m.plugin,
                     &e)) {
        rc = toml_fail(&m, &e, err);
        goto out;
    }
    if ((rc = read_identity(&m, pkg, rec, err)) != 0 ||
        (rc = read_labels(&m, "categories", rec, err)) != 0 ||
        (rc = read_labels(&m, "tags", rec, err)) != 0 ||
        (rc = read_deps(&m, rec, err)) != 0 ||
        (rc = read_table(&m, "capabilities", plug, err)) != 0 ||
        (rc = read_table(&m, "config", plug, err)) != 0)
        goto out;
out:
    wh_toml_free(m.doc);
    return rc;
}

/* --- the reader ---------------------------------------------------------- */

static int build(bundle *b, wh_pkg *pkg, wh_err *err)
{
    json_t *rec = json_object(), *plug = json_object(), *desc = NULL;
    int rc;
    if (!rec || !plug || json_object_set(rec, "plugin", plug) ||
        json_object_set_new(plug, "wasm", json_string(b->wasm_name)) ||
        json_object_set_new(plug, "wit", json_boolean(b->wit)) ||
        json_object_set_new(plug, "readme", json_boolean(b->readme))) {
        rc = wh_fail(err, WH_E_NOMEM, b->path, -1, NULL);
        goto out;
    }
    if ((rc = read_manifest(b, pkg, rec, plug, err)) != 0)
        goto out;
    char what[sizeof "entry ''" + 200], q[200];
    snprintf(what, sizeof what, "entry '%s'",
             wh_quote(q, sizeof q, b->wasm_name, strlen(b->wasm_name)));
    if ((rc = wh_pkg_wasm_describe(b->path, what, b->wasm, b->wasm_len, &desc,
                                   err)) != 0)
        goto out;
    if (json_object_set_new(rec, "wasm", desc)) {
        rc = wh_fail(err, WH_E_NOMEM, b->path, -1, NULL);
        goto out;
    }
    pkg->kind = WH_PKG_BUNDLE;
    pkg->record = rec;
    rec = NULL;
out:
    json_decref(rec);
    json_decref(plug);
    return rc;
}

int wh_bundle_read(const char *path, const uint8_t *data, size_t len,
                   const wh_pkg_opts *opts, wh_pkg *pkg, wh_err *err)
{
    memset(pkg, 0, sizeof *pkg);
    bundle b;
    memset(&b, 0, sizeof b);
    b.path = path;
    int rc = read_entries(&b, data, len, err);
    if (rc == 0)
        rc = build(&b, pkg, err);
    bundle_free(&b);
    if (rc)
        memset(pkg, 0, sizeof *pkg);
    return rc;
}

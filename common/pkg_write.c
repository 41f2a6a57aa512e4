/* pkg_write.c - the publisher's side of packages: Ferrite's manifest read,
 * .ferrpkg and plugin-bundle files written, and a package file checked
 * with its signature before it is published.
 *
 * Everything here produces bytes that the readers (pkg_ferrpkg.c,
 * pkg_bundle.c) accept, and the same bytes for the same input, whatever
 * the clock, the time zone or the machine:
 *
 * .ferrpkg.  "FPKG", the header's length as u32 little-endian, the header,
 * the module.  The header is one compact JSON object written as Ferrite
 * writes it (serde_json's compact form, see WRITING JSON below) with
 * Ferrite's keys in Ferrite's order, then wharf's:
 *
 *     name version author description license checksum wasm_size
 *     sha256 categories tags dependencies [min_ferrite_version]
 *
 * checksum is Ferrite's double FNV-1a (wh_ferrite_checksum), the form
 * every Ferrite verifies; sha256 is the module's SHA-256 for readers that
 * want a real hash.  categories and tags are sorted and unique
 * (wh_pkg_labels), dependencies sorted by name, so the header is a
 * function of the manifest's meaning, not of its spelling.
 *
 * WRITING JSON.  jansson's compact output differs from serde_json's in
 * one place (it writes other control characters as \u001F, serde_json as
 * \u001f), so the header has its own writer: '"' and '\' escaped,
 * \b \t \n \f \r as short escapes, other bytes below 0x20 as \u00xx with
 * lower-case hex, everything else (DEL, UTF-8) as it is; integers in
 * decimal; objects in insertion order.
 *
 * Plugin bundles.  A zip written here byte by byte (PKZIP APPNOTE 6.3:
 * local headers, data, central directory, end record), not by libarchive,
 * because a zip's DOS time stamp is local time: libarchive would write a
 * different file in every time zone.  Every entry has the fixed time
 * 1980-01-01 00:00 (the DOS epoch, which is 0 0 in the fields), mode 0644
 * in the Unix attributes, no extra fields, and is deflated (zlib, level 9,
 * raw) unless that does not make it smaller, when it is stored.  No zip64:
 * entries and the whole archive stay below 4 GiB (the readers' caps are
 * far lower).
 *
 * Manifests are hostile like every input: read with common/toml.c within
 * its limits, every value type-checked, errors at file:line:col.
 *
 * Tests: tests/unit/pkg_write_test.c, tests/cli/t2022-wharf-pack.sh,
 * t2024-wharf-publish.sh.
 */
#include "pkg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "fs.h"
#include "hex.h"
#include "semver.h"
#include "toml.h"

#define MANIFEST_MAX_DEPTH 32
#define JSON_MAX_DEPTH     64

/* --- a growing buffer ---------------------------------------------------- */

typedef struct wbuf {
    uint8_t *p;
    size_t   len, cap;
    int      oom;
} wbuf;

static void wb_add(wbuf *b, const void *s, size_t n)
{
    if (b->oom)
        return;
    if (n > b->cap - b->len) {
        size_t want = b->cap ? b->cap : 256;
        while (want - b->len < n) {
            if (want > SIZE_MAX / 2) {
                b->oom = 1;
                return;
            }
            want *= 2;
        }
        uint8_t *np = realloc(b->p, want);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = want;
    }
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void wb_str(wbuf *b, const char *s)
{
    wb_add(b, s, strlen(s));
}

/* Little-endian integers, as zip and the .ferrpkg preamble write them. */
static void wb_u16(wbuf *b, uint32_t v)
{
    uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    wb_add(b, x, 2);
}

static void wb_u32(wbuf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                     (uint8_t)(v >> 24) };
    wb_add(b, x, 4);
}

/* --- Ferrite's manifest -------------------------------------------------- */

typedef struct manifest {
    const char          *path;
    const wh_toml_value *module;      /* the [module] table */
    const wh_toml_value *root;
    json_t              *meta;
} manifest;

/* An error of a shared helper (no place) at v in the manifest. */
static int fail_at(const manifest *m, const wh_toml_value *v, const wh_err *e,
                   wh_err *err)
{
    return wh_fail_at(err, e->code, m->path, wh_toml_line(v), wh_toml_col(v),
                      "%s", e->reason);
}

/* A string without NUL bytes (TOML allows "\u0000"; a name, a header
 * value or a file name with one would be cut by every C reader). */
static int need_plain_string(const manifest *m, const wh_toml_value *v,
                             const char **s, size_t *n, wh_err *err)
{
    char name[200];
    int rc = wh_toml_expect(v, WH_TOML_STRING, err);
    if (rc)
        return rc;
    *s = wh_toml_string(v, n);
    if (memchr(*s, '\0', *n))
        return wh_fail_at(err, WH_E_FORMAT, m->path, wh_toml_line(v),
                          wh_toml_col(v), "'%s' contains a NUL byte",
                          wh_toml_name(v, name, sizeof name));
    return 0;
}

static int set_string(json_t *obj, const char *key, const char *s, size_t n,
                      wh_err *err)
{
    if (json_object_set_new(obj, key, json_stringn(s, n)))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    return 0;
}

/* A version key: strict SemVer, at the value's place. */
static int check_semver(const manifest *m, const wh_toml_value *v,
                        const char *s, size_t n, wh_err *err)
{
    wh_semver sv;
    wh_err e;
    char q[100], name[200];
    if (wh_semver_parse(&sv, s, n, &e) == 0)
        return 0;
    return wh_fail_at(err, e.code, m->path, wh_toml_line(v), wh_toml_col(v),
                      "%s '%s' is not SemVer 2.0.0: %s",
                      wh_toml_name(v, name, sizeof name),
                      wh_quote(q, sizeof q, s, n), e.reason);
}

/* name, version, author, description, license: required strings. */
static int read_identity(manifest *m, wh_err *err)
{
    static const char *const keys[] = { "name", "version", "author",
                                        "description", "license" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const wh_toml_value *v;
        const char *s;
        size_t n;
        wh_err e;
        int rc;
        if ((rc = wh_toml_need(m->module, keys[i], WH_TOML_STRING, &v, err)) ||
            (rc = need_plain_string(m, v, &s, &n, err)))
            return rc;
        if (i == 0 && wh_pkg_name_check(s, n, &e))
            return fail_at(m, v, &e, err);
        if (i == 1 && (rc = check_semver(m, v, s, n, err)) != 0)
            return rc;
        if ((rc = set_string(m->meta, keys[i], s, n, err)) != 0)
            return rc;
    }
    return 0;
}

/* categories or tags: an array of strings, sorted and unique; [] when
 * absent. */
static int read_labels(manifest *m, const char *key, wh_err *err)
{
    const wh_toml_value *v = wh_toml_get(m->module, key);
    json_t *raw = json_array(), *out = NULL;
    wh_err e;
    int rc = raw ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0 && v)
        rc = wh_toml_expect(v, WH_TOML_ARRAY, err);
    for (size_t i = 0; rc == 0 && i < wh_toml_len(v); i++) {
        const char *s;
        size_t n;
        if ((rc = need_plain_string(m, wh_toml_at(v, i), &s, &n, err)) == 0 &&
            json_array_append_new(raw, json_stringn(s, n)))
            rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    if (rc == 0 && wh_pkg_labels(raw, key, &out, &e))
        rc = fail_at(m, v, &e, err);
    if (rc == 0 && json_object_set_new(m->meta, key, out))
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    json_decref(raw);
    return rc;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* [dependencies]: name = "Cargo requirement", into an object sorted by
 * name. */
static int read_deps(manifest *m, wh_err *err)
{
    const wh_toml_value *t = wh_toml_get(m->root, "dependencies");
    const char *keys[WH_PKG_MAX_DEPS];
    size_t n = wh_toml_len(t);
    json_t *deps = json_object();
    int rc = deps ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0 && json_object_set_new(m->meta, "dependencies", deps))
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc || !t)
        return rc;
    if ((rc = wh_toml_expect(t, WH_TOML_TABLE, err)) != 0)
        return rc;
    if (n > WH_PKG_MAX_DEPS)
        return wh_fail_at(err, WH_E_LIMIT, m->path, wh_toml_line(t),
                          wh_toml_col(t), "%zu dependencies, more than %d", n,
                          WH_PKG_MAX_DEPS);
    for (size_t i = 0; i < n; i++) {
        const char *name, *req;
        size_t nlen, rlen;
        wh_err e;
        const wh_toml_value *v = wh_toml_entry(t, i, &name, &nlen);
        if ((rc = need_plain_string(m, v, &req, &rlen, err)) != 0)
            return rc;
        if (wh_pkg_dep_check(name, nlen, req, rlen, &e))
            return fail_at(m, v, &e, err);
        keys[i] = name;      /* a checked name: no NUL inside */
    }
    qsort(keys, n, sizeof keys[0], cmp_cstr);
    for (size_t i = 0; i < n; i++) {
        const char *req = wh_toml_string(wh_toml_get(t, keys[i]), NULL);
        if (json_object_set_new(deps, keys[i], json_string(req)))
            return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    return 0;
}

static int read_min_ferrite(manifest *m, wh_err *err)
{
    const wh_toml_value *v = wh_toml_get(m->module, "min_ferrite_version");
    const char *s;
    size_t n;
    int rc;
    if (!v)
        return 0;
    if ((rc = need_plain_string(m, v, &s, &n, err)) != 0 ||
        (rc = check_semver(m, v, s, n, err)) != 0)
        return rc;
    return set_string(m->meta, "min_ferrite_version", s, n, err);
}

int wh_ferrite_manifest_read(const char *path, const char *text, size_t len,
                             json_t **meta, wh_err *err)
{
    wh_toml_limits lim = { WH_TOML_MAX_SIZE, MANIFEST_MAX_DEPTH };
    wh_toml *doc = NULL;
    manifest m = { path, NULL, NULL, json_object() };
    *meta = NULL;
    int rc = m.meta ? 0 : wh_fail(err, WH_E_NOMEM, path, -1, NULL);
    if (rc == 0)
        rc = wh_toml_parse_limits(text, len, path, &lim, &doc, err);
    if (rc == 0) {
        m.root = wh_toml_root(doc);
        rc = wh_toml_need(m.root, "module", WH_TOML_TABLE, &m.module, err);
    }
    if (rc == 0 && (rc = read_identity(&m, err)) == 0 &&
        (rc = read_labels(&m, "categories", err)) == 0 &&
        (rc = read_labels(&m, "tags", err)) == 0 &&
        (rc = read_min_ferrite(&m, err)) == 0)
        rc = read_deps(&m, err);
    wh_toml_free(doc);
    if (rc)
        json_decref(m.meta);
    else
        *meta = m.meta;
    return rc;
}

/* --- the .ferrpkg header --------------------------------------------------- */

int wh_ferrpkg_header(const json_t *meta, const uint8_t *wasm, size_t len,
                      json_t **hdr, wh_err *err)
{
    static const char *const text_keys[] = { "name", "version", "author",
                                             "description", "license" };
    static const char *const extra_keys[] = { "categories", "tags",
                                              "dependencies",
                                              "min_ferrite_version" };
    char sum[33], hex[WH_SHA256_HEX];
    uint8_t d[WH_SHA256_BYTES];
    int rc = wh_sha256_buf(wasm, len, d, err);
    if (rc)
        return rc;
    wh_hex_encode(hex, d, sizeof d, 0);
    wh_ferrite_checksum(wasm, len, sum);
    json_t *h = json_object();
    int bad = !h;
    for (size_t i = 0; !bad && i < 5; i++)
        bad = json_object_set(h, text_keys[i],
                              json_object_get(meta, text_keys[i]));
    bad = bad || json_object_set_new(h, "checksum", json_string(sum)) ||
          json_object_set_new(h, "wasm_size", json_integer((json_int_t)len)) ||
          json_object_set_new(h, "sha256", json_string(hex));
    for (size_t i = 0; !bad && i < 4; i++) {
        json_t *v = json_object_get(meta, extra_keys[i]);
        bad = v && json_object_set(h, extra_keys[i], v);
    }
    if (bad) {
        json_decref(h);
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    *hdr = h;
    return 0;
}

/* --- compact JSON as serde_json writes it ---------------------------------- */

static void json_str(wbuf *b, const char *s, size_t n)
{
    static const char hexd[] = "0123456789abcdef", ctl[] = "\b\t\n\f\r",
                      letters[] = "btnfr";
    wb_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        char esc[7] = { '\\', 0, 0, 0, 0, 0, 0 };
        const char *k = c && c < 0x20 ? memchr(ctl, c, 5) : NULL;
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            wb_add(b, esc, 2);
        } else if (k) {
            esc[1] = letters[k - ctl];
            wb_add(b, esc, 2);
        } else if (c < 0x20) {
            memcpy(esc + 1, "u00", 3);
            esc[4] = hexd[c >> 4];
            esc[5] = hexd[c & 15];
            wb_add(b, esc, 6);
        } else {
            wb_add(b, &s[i], 1);
        }
    }
    wb_add(b, "\"", 1);
}

/* v into b; 0, or -1 for a real number or nesting past JSON_MAX_DEPTH
 * (neither occurs in a header). */
static int json_value(wbuf *b, const json_t *v, int depth)
{
    char num[32];
    size_t i;
    const char *key;
    json_t *x;
    int rc = 0, first = 1;
    if (depth > JSON_MAX_DEPTH)
        return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        wb_add(b, "{", 1);
        json_object_foreach((json_t *)v, key, x) {
            wb_add(b, ",", !first);
            json_str(b, key, strlen(key));
            wb_add(b, ":", 1);
            rc = rc ? rc : json_value(b, x, depth + 1);
            first = 0;
        }
        wb_add(b, "}", 1);
        return rc;
    case JSON_ARRAY:
        wb_add(b, "[", 1);
        json_array_foreach(v, i, x) {
            wb_add(b, ",", i > 0);
            rc = rc ? rc : json_value(b, x, depth + 1);
        }
        wb_add(b, "]", 1);
        return rc;
    case JSON_STRING:
        json_str(b, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        wb_str(b, num);
        return 0;
    case JSON_TRUE:  wb_str(b, "true");  return 0;
    case JSON_FALSE: wb_str(b, "false"); return 0;
    case JSON_NULL:  wb_str(b, "null");  return 0;
    case JSON_REAL:  return -1;
    }
    return -1;
}

int wh_pkg_json_compact(const json_t *v, char **out, size_t *len, wh_err *err)
{
    wbuf b = { 0 };
    *out = NULL;
    int rc = json_value(&b, v, 0);
    wb_add(&b, "", 1);                 /* the NUL, not counted */
    if (b.oom || rc) {
        free(b.p);
        return b.oom ? wh_fail(err, WH_E_NOMEM, NULL, -1, NULL)
                     : wh_fail(err, WH_E_FORMAT, NULL, -1, "a real number or "
                               "nesting deeper than %d", JSON_MAX_DEPTH);
    }
    *out = (char *)b.p;
    *len = b.len - 1;
    return 0;
}

int wh_ferrpkg_write(const json_t *hdr, const uint8_t *wasm, size_t len,
                     uint8_t **out, size_t *outlen, wh_err *err)
{
    char *text;
    size_t tlen;
    *out = NULL;
    int rc = wh_pkg_json_compact(hdr, &text, &tlen, err);
    if (rc)
        return rc;
    wbuf b = { 0 };
    if (tlen > UINT32_MAX)
        rc = wh_fail(err, WH_E_LIMIT, NULL, -1, "header of %zu bytes", tlen);
    wb_add(&b, "FPKG", 4);
    wb_u32(&b, (uint32_t)tlen);
    wb_add(&b, text, tlen);
    wb_add(&b, wasm, len);
    free(text);
    if (rc == 0 && b.oom)
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc) {
        free(b.p);
        return rc;
    }
    *out = b.p;
    *outlen = b.len;
    return 0;
}

/* --- zip ----------------------------------------------------------------- */

#define ZIP_LOCAL   0x04034b50u
#define ZIP_CENTRAL 0x02014b50u
#define ZIP_END     0x06054b50u
#define ZIP_VERSION 20                     /* 2.0: deflate */
#define ZIP_MADE_BY (3u << 8 | ZIP_VERSION) /* Unix, so the mode is read */
#define ZIP_DOS_DATE 0x21                  /* 1980-01-01: day 1, month 1 */
#define ZIP_MODE    0100644u

/* One entry as it goes into the archive. */
typedef struct zip_ent {
    uint8_t *packed;         /* deflated bytes, or NULL: stored */
    size_t   plen;
    uint32_t crc, offset;
    int      method;         /* 0 store, 8 deflate */
} zip_ent;

/* Raw deflate of data at level 9; *out NULL when it saves nothing. */
static int zip_deflate(const uint8_t *data, size_t len, zip_ent *z,
                       wh_err *err)
{
    z_stream s;
    memset(&s, 0, sizeof s);
    z->packed = NULL;
    z->method = 0;
    z->plen = len;
    if (deflateInit2(&s, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    uLong bound = deflateBound(&s, (uLong)len);
    uint8_t *p = malloc(bound ? bound : 1);
    if (!p) {
        deflateEnd(&s);
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    s.next_in = (Bytef *)data;
    s.avail_in = (uInt)len;
    s.next_out = p;
    s.avail_out = (uInt)bound;
    int r = deflate(&s, Z_FINISH);
    size_t got = s.total_out;
    deflateEnd(&s);
    if (r != Z_STREAM_END || got >= len) {
        free(p);
        return r == Z_STREAM_END ? 0 : wh_fail(err, WH_E_INTERNAL, NULL, -1,
                                               "deflate failed");
    }
    z->packed = p;
    z->plen = got;
    z->method = 8;
    return 0;
}

/* The fields local and central headers share, from "version needed". */
static void zip_common(wbuf *b, const wh_zip_file *f, const zip_ent *z)
{
    wb_u16(b, ZIP_VERSION);
    wb_u16(b, 0);                      /* flags */
    wb_u16(b, (uint32_t)z->method);
    wb_u16(b, 0);                      /* time 00:00:00 */
    wb_u16(b, ZIP_DOS_DATE);
    wb_u32(b, z->crc);
    wb_u32(b, (uint32_t)z->plen);
    wb_u32(b, (uint32_t)f->len);
    wb_u16(b, (uint32_t)strlen(f->name));
    wb_u16(b, 0);                      /* extra field length */
}

static void zip_central(wbuf *b, const wh_zip_file *f, const zip_ent *z)
{
    wb_u32(b, ZIP_CENTRAL);
    wb_u16(b, ZIP_MADE_BY);
    zip_common(b, f, z);
    wb_u16(b, 0);                      /* comment length */
    wb_u16(b, 0);                      /* disk number */
    wb_u16(b, 0);                      /* internal attributes */
    wb_u32(b, ZIP_MODE << 16);
    wb_u32(b, z->offset);
    wb_str(b, f->name);
}

/* Names are checked as the bundle reader will check them, so a writer
 * cannot make what the reader refuses. */
static int zip_check(const wh_zip_file *files, size_t n, wh_err *err)
{
    char joined[1100];
    if (n > 0xffff)
        return wh_fail(err, WH_E_LIMIT, NULL, -1, "%zu entries, more than "
                       "65535", n);
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(files[i].name);
        int rc = nl > 1024 ? wh_fail(err, WH_E_LIMIT, NULL, -1, "entry name "
                                     "longer than 1024 bytes")
                 : wh_path_join(joined, sizeof joined, ".", files[i].name, nl,
                                err);
        if (rc)
            return rc;
        for (size_t k = 0; k < i; k++)
            if (strcmp(files[k].name, files[i].name) == 0)
                return wh_fail(err, WH_E_FORMAT, NULL, -1, "duplicate entry "
                               "'%s'", files[i].name);
    }
    return 0;
}

/* The local header and data of entry i; z is filled for the central
 * directory. */
static int zip_entry(wbuf *b, const wh_zip_file *f, zip_ent *z, wh_err *err)
{
    if (f->len > 0xfffffffeu || b->len > 0xfffffffeu)
        return wh_fail(err, WH_E_LIMIT, NULL, -1, "entry '%s': a zip without "
                       "zip64 holds less than 4 GiB", f->name);
    int rc = zip_deflate(f->data, f->len, z, err);
    if (rc)
        return rc;
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t done = 0; done < f->len;) {        /* uInt is 32 bits */
        uInt step = (uInt)(f->len - done > 1u << 30 ? 1u << 30 : f->len - done);
        crc = crc32(crc, f->data + done, step);
        done += step;
    }
    z->crc = (uint32_t)crc;
    z->offset = (uint32_t)b->len;
    wb_u32(b, ZIP_LOCAL);
    zip_common(b, f, z);
    wb_str(b, f->name);
    wb_add(b, z->packed ? z->packed : f->data, z->plen);
    return 0;
}

int wh_zip_write(const wh_zip_file *files, size_t n, uint8_t **out,
                 size_t *outlen, wh_err *err)
{
    wbuf b = { 0 };
    zip_ent *z = calloc(n ? n : 1, sizeof *z);
    *out = NULL;
    int rc = z ? zip_check(files, n, err) : wh_fail(err, WH_E_NOMEM, NULL,
                                                    -1, NULL);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = zip_entry(&b, &files[i], &z[i], err);
    size_t cd = b.len;
    for (size_t i = 0; rc == 0 && i < n; i++)
        zip_central(&b, &files[i], &z[i]);
    if (rc == 0 && b.len > 0xfffffffeu)
        rc = wh_fail(err, WH_E_LIMIT, NULL, -1, "a zip without zip64 holds "
                     "less than 4 GiB");
    wb_u32(&b, ZIP_END);
    wb_u16(&b, 0);                     /* this disk */
    wb_u16(&b, 0);                     /* the central directory's disk */
    wb_u16(&b, (uint32_t)n);
    wb_u16(&b, (uint32_t)n);
    wb_u32(&b, (uint32_t)(b.len - 12 - cd));   /* 12: end fields so far */
    wb_u32(&b, (uint32_t)cd);
    wb_u16(&b, 0);                     /* comment length */
    for (size_t i = 0; z && i < n; i++)
        free(z[i].packed);
    free(z);
    if (rc == 0 && b.oom)
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc) {
        free(b.p);
        return rc;
    }
    *out = b.p;
    *outlen = b.len;
    return 0;
}

/* --- a bundle's manifest, before the bundle exists --------------------------- */

int wh_bundle_manifest_id(const char *path, const char *text, size_t len,
                          char name[65], char version[257], wh_err *err)
{
    wh_toml_limits lim = { WH_TOML_MAX_SIZE, MANIFEST_MAX_DEPTH };
    wh_toml *doc = NULL;
    const wh_toml_value *v;
    const char *s;
    size_t n;
    wh_err e;
    int rc = wh_toml_parse_limits(text, len, path, &lim, &doc, err);
    manifest m = { path, NULL, doc ? wh_toml_root(doc) : NULL, NULL };
    if (rc == 0)
        rc = wh_toml_need(m.root, "plugin", WH_TOML_TABLE, &m.module, err);
    if (rc == 0 && (rc = wh_toml_need(m.module, "name", WH_TOML_STRING, &v,
                                      err)) == 0 &&
        (rc = need_plain_string(&m, v, &s, &n, err)) == 0) {
        if (wh_pkg_name_check(s, n, &e))
            rc = fail_at(&m, v, &e, err);
        else
            memcpy(name, s, n + 1);
    }
    if (rc == 0 && (rc = wh_toml_need(m.module, "version", WH_TOML_STRING, &v,
                                      err)) == 0 &&
        (rc = need_plain_string(&m, v, &s, &n, err)) == 0 &&
        (rc = check_semver(&m, v, s, n, err)) == 0)
        snprintf(version, 257, "%.*s", (int)n, s);
    wh_toml_free(doc);
    return rc;
}

int wh_bundle_error_relocate(wh_err *err, const char *manifest_path)
{
    int line = 0, col = 0, used = 0;
    if (!err || sscanf(err->reason, "plugin.toml:%d:%d: %n", &line, &col,
                       &used) < 2 || used == 0)
        return err ? err->code : 0;
    char rest[sizeof err->reason];
    snprintf(rest, sizeof rest, "%s", err->reason + used);
    snprintf(err->path, sizeof err->path, "%s", manifest_path);
    snprintf(err->reason, sizeof err->reason, "%s", rest);
    err->offset = -1;
    err->line = line;
    err->col = col;
    return err->code;
}

/* --- a package file and its signature -------------------------------------- */

/* FILE.minisig, when there is one (a link is not followed): verified with
 * the key of kr that it names. */
static int check_sig(wh_pkg_checked *f, const char *path, const wh_keyring *kr,
                     wh_err *err)
{
    wh_minisign_sig sig;
    if (snprintf(f->sig_path, sizeof f->sig_path, "%s.minisig", path) >=
        (int)sizeof f->sig_path)
        return wh_fail(err, WH_E_LIMIT, path, -1, "file name too long");
    int rc = wh_file_read_stat(f->sig_path, WH_MINISIGN_FILE_MAX,
                               WH_READ_NOFOLLOW, &f->sig, &f->sig_len, NULL,
                               err);
    if (rc == WH_E_NOTFOUND) {
        wh_err_clear(err);
        return 0;
    }
    if (rc || (rc = wh_minisign_sig_parse(&sig, f->sig, f->sig_len,
                                          f->sig_path, err)) != 0)
        return rc;
    wh_minisign_keyid_hex(sig.key_id, f->key_id);
    const wh_minisign_pubkey *pk = kr ? wh_keyring_find(kr, sig.key_id, NULL)
                                      : NULL;
    if (!pk)
        return wh_fail(err, WH_E_UNTRUSTED, f->sig_path, -1, "signed by key "
                       "%s, which is not trusted", f->key_id);
    rc = wh_minisign_verify_buffer(&sig, pk, f->data, f->len, f->sig_path, 0,
                                   err);
    if (rc == 0)
        snprintf(f->trusted, sizeof f->trusted, "%s", sig.trusted);
    return rc;
}

int wh_pkg_check_file(const char *path, const wh_keyring *kr,
                       wh_pkg_checked *f, wh_err *err)
{
    memset(f, 0, sizeof *f);
    int rc = wh_file_read(path, WH_PKG_MAX_SIZE, &f->data, &f->len, err);
    if (rc == 0)
        rc = check_sig(f, path, kr, err);
    if (rc == 0)
        rc = wh_pkg_read_mem(path, (const uint8_t *)f->data, f->len, NULL,
                             &f->pkg, err);
    if (rc == 0)
        f->has_pkg = 1;
    else
        wh_pkg_checked_free(f);
    return rc;
}

void wh_pkg_checked_free(wh_pkg_checked *f)
{
    if (f->has_pkg)
        wh_pkg_free(&f->pkg);
    free(f->data);
    free(f->sig);
    memset(f, 0, sizeof *f);
}

const char *wh_pkg_ext(const wh_pkg *pkg, const uint8_t *data, size_t len)
{
    switch (pkg->kind) {
    case WH_PKG_FERRPKG: return ".ferrpkg";
    case WH_PKG_BUNDLE:  return ".zip";
    case WH_PKG_PAR:
        return len >= 2 && data[0] == 0x1f && data[1] == 0x8b ? ".par.gz"
                                                              : ".par";
    case WH_PKG_FORMAT:  return "";      /* its handler's extension */
    }
    return "";
}

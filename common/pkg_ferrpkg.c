/* pkg_ferrpkg.c - Ferrite's .ferrpkg packages: read, verify, describe.
 *
 * The format, as Ferrite's packager writes it (docs/index-format.md,
 * "ferrpkg"):
 *
 *     offset 0   "FPKG"
 *     offset 4   u32 little-endian: N, the header's length in bytes
 *     offset 8   N bytes of JSON: the header (one object)
 *     offset 8+N the WASM module, to the end of the file
 *
 * Required header keys, all non-null: name, version, author, description,
 * license, checksum (strings) and wasm_size (an unsigned integer equal to
 * the bytes after the header).  Unknown keys are ignored, as Ferrite's
 * serde reader does.  wharf also reads, when present, the keys its own
 * packer writes: sha256 (of the WASM bytes, verified), categories, tags,
 * dependencies (module name -> Cargo requirement) and min_ferrite_version.
 *
 * wharf is stricter than Ferrite where the index needs it: the name must
 * be a module name, the version strict SemVer, the header at most
 * FERRPKG_MAX_HEADER bytes, and the module must validate (pkg_wasm.c).
 *
 * Errors carry the byte offset in the file: the header's start for a
 * missing key, the value's start for a bad value (found by scanning the
 * header text, see key_offset), the module's start for a size or checksum
 * mismatch.  Errors inside the module carry the offset within it.
 *
 * The checksum key has two forms, told apart by length (checksum_forms):
 * 32 lower-case hex digits are Ferrite's own checksum (wh_ferrite_checksum:
 * two 64-bit FNV-1a hashes with different offset bases and primes, each
 * finished by folding in the length), which detects accidents, not
 * attacks; 64 are the SHA-256 of the module, the form Ferrite documents
 * and plans to switch to.  Both are verified.  A Ferrite that knows only
 * the first (every release when this was written) refuses the second, so
 * a package with it is accepted with a warning in the record
 * ("warnings", an array of reasons the indexer prints), and the record
 * names the form ("ferrite.checksum_algorithm") either way.
 * Upper-case digits are refused in both forms, as they always were in the
 * first: Ferrite writes lower case, and one spelling per digest keeps the
 * record canonical.
 *
 * Tests: tests/unit/pkg_test.c, tests/cli/t1011-ferrpkg.sh.
 */
#include "pkg.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"
#include "json.h"
#include "semver.h"

#define FERRPKG_PREAMBLE   8
#define FERRPKG_MAX_HEADER ((uint32_t)1 << 20)

/* The forms of the checksum key: digits, the name the record gives it,
 * and the warning (NULL: none) a package using it gets. */
typedef struct checksum_form {
    size_t      digits;
    const char *algorithm;
    const char *warning;
} checksum_form;

static const checksum_form checksum_forms[] = {
    { 32, "fnv1a-double", NULL },
    { 64, "sha256", "checksum is a 64-digit sha256, which ferrite versions "
                    "that verify only the 32-digit double fnv-1a checksum "
                    "refuse" },
};

/* --- the checksum -------------------------------------------------------- */

void wh_ferrite_checksum(const uint8_t *data, size_t len, char out[33])
{
    const uint64_t prime_a = 0x100000001b3ULL, prime_b = 0x1000193ULL;
    uint64_t a = 0xcbf29ce484222325ULL, b = 0x6c62272e07bb0142ULL;
    for (size_t i = 0; i < len; i++) {
        a = (a ^ data[i]) * prime_a;
        b = (b ^ data[i]) * prime_b;
    }
    a = (a ^ (uint64_t)len) * prime_a;
    b = (b ^ (uint64_t)len) * prime_b;
    snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, a, b);
}

/* --- finding a key's value in the header text ---------------------------- */

/* jansson keeps no positions, so to point at a bad value we scan the text
 * (already known to be valid JSON) for the top-level key.  Every step is
 * bounds-checked anyway; on any surprise the answer is the header start. */

static size_t skip_ws(const char *h, size_t n, size_t i)
{
    while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\n' ||
                     h[i] == '\r'))
        i++;
    return i;
}

/* h[i] is '"': the index just past the closing quote. */
static size_t skip_string(const char *h, size_t n, size_t i)
{
    for (i++; i < n && h[i] != '"'; i++)
        if (h[i] == '\\')
            i++;
    return i < n ? i + 1 : n;
}

static size_t skip_value(const char *h, size_t n, size_t i)
{
    size_t depth = 0;
    while (i < n) {
        char c = h[i];
        if (c == '"') {
            i = skip_string(h, n, i);
            if (depth == 0)
                return i;
            continue;
        }
        if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            if (depth == 0)
                return i;
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' ||
                                  c == '\n' || c == '\r')) {
            return i;
        }
        i++;
    }
    return n;
}

/* Offset within the header of the value of top-level key (written without
 * escapes), or 0. */
static size_t key_offset(const char *h, size_t n, const char *key)
{
    size_t klen = strlen(key);
    size_t i = skip_ws(h, n, 0);
    if (i >= n || h[i] != '{')
        return 0;
    for (i++;;) {
        i = skip_ws(h, n, i);
        if (i >= n || h[i] != '"')
            return 0;
        size_t ks = i + 1;
        i = skip_string(h, n, i);
        int match = i - 1 - ks == klen && memcmp(h + ks, key, klen) == 0;
        i = skip_ws(h, n, i);
        if (i >= n || h[i] != ':')
            return 0;
        i = skip_ws(h, n, i + 1);
        if (match)
            return i;
        i = skip_ws(h, n, skip_value(h, n, i));
        if (i >= n || h[i] != ',')
            return 0;
        i++;
    }
}

/* Byte offset of a 1-based line:column (columns count UTF-8 characters,
 * as jansson does) in h, at most n. */
static size_t line_col_offset(const char *h, size_t n, int line, int col)
{
    size_t i = 0;
    for (int l = 1; l < line && i < n; i++)
        if (h[i] == '\n')
            l++;
    for (int c = 1; i < n; i++) {
        if (((uint8_t)h[i] & 0xc0) == 0x80)
            continue;               /* continuation byte */
        if (c++ == col)
            break;
    }
    return i;
}

/* --- reading the header -------------------------------------------------- */

typedef struct hdr_ctx {
    const char *path;
    const char *text;   /* the header's JSON */
    size_t      len;
    json_t     *json;   /* parsed */
    const checksum_form *form;   /* of "checksum", once checked */
} hdr_ctx;

/* File offset of key's value (header start if not found). */
static long long at_key(const hdr_ctx *h, const char *key)
{
    return FERRPKG_PREAMBLE + (long long)key_offset(h->text, h->len, key);
}

/* "a string", "null", ... for "must be X, not Y" messages. */
static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:  return "an object";
    case JSON_ARRAY:   return "an array";
    case JSON_STRING:  return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL:    return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:   return "a boolean";
    case JSON_NULL:    return "null";
    }
    return "?";
}

/* Move an error from a shared helper (no path, no place) to key's value. */
static int relocate(const hdr_ctx *h, const char *key, int rc, wh_err *err)
{
    if (err) {
        snprintf(err->path, sizeof err->path, "%s", h->path ? h->path : "");
        err->offset = at_key(h, key);
        err->line = err->col = 0;
    }
    return rc;
}

static int parse_header(hdr_ctx *h, wh_err *err)
{
    wh_err e;
    int rc = wh_json_parse(h->text, h->len, NULL, &h->json, &e);
    if (rc) {
        size_t off = e.line > 0
                     ? line_col_offset(h->text, h->len, e.line, e.col)
                     : e.offset >= 0 ? (size_t)e.offset : 0;
        return wh_fail(err, rc, h->path, FERRPKG_PREAMBLE + (long long)off,
                       "header: %s", e.reason);
    }
    if (!json_is_object(h->json))
        return wh_fail(err, WH_E_FORMAT, h->path, FERRPKG_PREAMBLE,
                       "header is %s, not a JSON object",
                       json_type_name(h->json));
    return 0;
}

/* The string value of a required key. */
static int need_string(const hdr_ctx *h, const char *key, const json_t **out,
                       wh_err *err)
{
    const json_t *v = json_object_get(h->json, key);
    if (!v)
        return wh_fail(err, WH_E_FORMAT, h->path, FERRPKG_PREAMBLE,
                       "header lacks required key '%s'", key);
    if (!json_is_string(v))
        return wh_fail(err, WH_E_FORMAT, h->path, at_key(h, key),
                       "header key '%s' must be a string, not %s", key,
                       json_type_name(v));
    *out = v;
    return 0;
}

/* A string value of exactly n lower-case hex digits. */
static int is_lower_hex(const json_t *v, size_t n)
{
    const char *s = json_string_value(v);
    if (json_string_length(v) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int check_version(const hdr_ctx *h, const char *key, const json_t *v,
                         wh_err *err)
{
    wh_semver sv;
    wh_err e;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (wh_semver_parse(&sv, s, n, &e)) {
        char q[100];
        return wh_fail(err, e.code, h->path, at_key(h, key), "%s '%s' is not "
                       "SemVer 2.0.0: %s", key, wh_quote(q, sizeof q, s, n),
                       e.reason);
    }
    return 0;
}

/* Which form the checksum is in (h->form), or why it is in neither. */
static int check_checksum(hdr_ctx *h, wh_err *err)
{
    const json_t *v = json_object_get(h->json, "checksum");
    for (size_t i = 0; i < sizeof checksum_forms / sizeof checksum_forms[0];
         i++) {
        if (is_lower_hex(v, checksum_forms[i].digits)) {
            h->form = &checksum_forms[i];
            return 0;
        }
    }
    char q[100];
    return wh_fail(err, WH_E_FORMAT, h->path, at_key(h, "checksum"),
                   "checksum '%s' is neither 32 lower-case hex digits "
                   "(double fnv-1a) nor 64 (sha256)",
                   wh_quote(q, sizeof q, json_string_value(v),
                                json_string_length(v)));
}

/* The fixed keys into pkg; their values are checked. */
static int read_required(hdr_ctx *h, size_t wasm_len, wh_pkg *pkg,
                         wh_err *err)
{
    static const char *const keys[] = {
        "name", "version", "author", "description", "license", "checksum",
    };
    const json_t *v;
    int rc;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if ((rc = need_string(h, keys[i], &v, err)) != 0)
            return rc;
    const json_t *ws = json_object_get(h->json, "wasm_size");
    if (!ws)
        return wh_fail(err, WH_E_FORMAT, h->path, FERRPKG_PREAMBLE,
                       "header lacks required key 'wasm_size'");
    if (!json_is_integer(ws) || json_integer_value(ws) < 0)
        return wh_fail(err, WH_E_FORMAT, h->path, at_key(h, "wasm_size"),
                       "header key 'wasm_size' must be a non-negative "
                       "integer, not %s", json_is_integer(ws)
                       ? "a negative one" : json_type_name(ws));
    if ((uint64_t)json_integer_value(ws) != (uint64_t)wasm_len)
        return wh_fail(err, WH_E_FORMAT, h->path, FERRPKG_PREAMBLE + (long long)
                       h->len, "wasm_size %" JSON_INTEGER_FORMAT " does not "
                       "match the %zu bytes present", json_integer_value(ws),
                       wasm_len);

    v = json_object_get(h->json, "name");
    if ((rc = wh_pkg_name_check(json_string_value(v), json_string_length(v),
                                err)) != 0)
        return relocate(h, "name", rc, err);
    memcpy(pkg->name, json_string_value(v), json_string_length(v) + 1);

    v = json_object_get(h->json, "version");
    if ((rc = check_version(h, "version", v, err)) != 0)
        return rc;
    memcpy(pkg->version, json_string_value(v), json_string_length(v) + 1);

    return check_checksum(h, err);
}

/* categories or tags: a sorted copy into rec, [] when absent. */
static int read_labels(const hdr_ctx *h, const char *key, json_t *rec,
                       wh_err *err)
{
    const json_t *v = json_object_get(h->json, key);
    json_t *out = NULL;
    if (!v) {
        out = json_array();
    } else {
        int rc = wh_pkg_labels(v, key, &out, err);
        if (rc)
            return relocate(h, key, rc, err);
    }
    if (json_object_set_new(rec, key, out))
        return wh_fail(err, WH_E_NOMEM, h->path, -1, NULL);
    return 0;
}

static int read_deps(const hdr_ctx *h, json_t *rec, wh_err *err)
{
    const json_t *v = json_object_get(h->json, "dependencies");
    json_t *out = json_object();
    if (!out || json_object_set_new(rec, "dependencies", out))
        return wh_fail(err, WH_E_NOMEM, h->path, -1, NULL);
    if (!v)
        return 0;
    if (!json_is_object(v))
        return wh_fail(err, WH_E_FORMAT, h->path, at_key(h, "dependencies"),
                       "header key 'dependencies' must be an object, not %s",
                       json_type_name(v));
    if (json_object_size(v) > WH_PKG_MAX_DEPS)
        return wh_fail(err, WH_E_LIMIT, h->path, at_key(h, "dependencies"),
                       "%zu dependencies, more than %d", json_object_size(v),
                       WH_PKG_MAX_DEPS);
    const char *name;
    size_t nlen;
    json_t *req;
    json_object_keylen_foreach((json_t *)v, name, nlen, req) {
        if (!json_is_string(req)) {
            char q[100];
            return wh_fail(err, WH_E_FORMAT, h->path, at_key(h, "dependencies"),
                           "dependency '%s' must be a string, not %s",
                           wh_quote(q, sizeof q, name, nlen),
                           json_type_name(req));
        }
        int rc = wh_pkg_dep_check(name, nlen, json_string_value(req),
                                  json_string_length(req), err);
        if (rc)
            return relocate(h, "dependencies", rc, err);
        if (json_object_setn(out, name, nlen, req))
            return wh_fail(err, WH_E_NOMEM, h->path, -1, NULL);
    }
    return 0;
}

/* sha256 and min_ferrite_version: checked here, used by the caller. */
static int read_optional(const hdr_ctx *h, json_t *rec, json_t *ferrite,
                         wh_err *err)
{
    int rc;
    if ((rc = read_labels(h, "categories", rec, err)) != 0 ||
        (rc = read_labels(h, "tags", rec, err)) != 0 ||
        (rc = read_deps(h, rec, err)) != 0)
        return rc;
    const json_t *v = json_object_get(h->json, "sha256");
    if (v && (!json_is_string(v) || !is_lower_hex(v, 64))) {
        char q[100];
        if (!json_is_string(v))
            return wh_fail(err, WH_E_FORMAT, h->path, at_key(h, "sha256"),
                           "header key 'sha256' must be a string, not %s",
                           json_type_name(v));
        return wh_fail(err, WH_E_FORMAT, h->path, at_key(h, "sha256"),
                       "sha256 '%s' is not 64 lower-case hex digits",
                       wh_quote(q, sizeof q, json_string_value(v),
                                    json_string_length(v)));
    }
    v = json_object_get(h->json, "min_ferrite_version");
    if (v) {
        if (!json_is_string(v))
            return wh_fail(err, WH_E_FORMAT, h->path,
                           at_key(h, "min_ferrite_version"), "header key "
                           "'min_ferrite_version' must be a string, not %s",
                           json_type_name(v));
        if ((rc = check_version(h, "min_ferrite_version", v, err)) != 0)
            return rc;
        if (json_object_set(ferrite, "min_ferrite_version", (json_t *)v))
            return wh_fail(err, WH_E_NOMEM, h->path, -1, NULL);
    }
    return 0;
}

/* --- verifying the module ------------------------------------------------ */

/* The SHA-256 of the module as lower-case hex. */
static int module_sha256(const uint8_t *wasm, size_t len,
                         char hex[WH_SHA256_HEX], wh_err *err)
{
    uint8_t d[WH_SHA256_BYTES];
    int rc = wh_sha256_buf(wasm, len, d, err);
    if (rc)
        return rc;
    wh_hex_encode(hex, d, sizeof d, 0);
    return 0;
}

/* The checksum in its form, then the optional sha256 key; the SHA-256 is
 * computed once for both.  The mismatch message names the form only for
 * sha256, so the double fnv-1a one reads as it always did. */
static int verify_wasm(const hdr_ctx *h, const uint8_t *wasm, size_t len,
                       wh_err *err)
{
    long long at = FERRPKG_PREAMBLE + (long long)h->len;
    const char *want = json_string_value(json_object_get(h->json, "checksum"));
    const json_t *v = json_object_get(h->json, "sha256");
    int by_sha = h->form->digits == 64;
    char sum[33], hex[WH_SHA256_HEX] = "";
    if (by_sha || v) {
        int rc = module_sha256(wasm, len, hex, err);
        if (rc)
            return rc;
    }
    if (!by_sha)
        wh_ferrite_checksum(wasm, len, sum);
    const char *got = by_sha ? hex : sum;
    if (strcmp(got, want) != 0)
        return wh_fail(err, WH_E_VERIFY, h->path, at, "%schecksum mismatch: "
                       "header says %s, the module hashes to %s",
                       by_sha ? "sha256 " : "", want, got);
    if (v && strcmp(hex, json_string_value(v)) != 0)
        return wh_fail(err, WH_E_VERIFY, h->path, at, "sha256 mismatch: "
                       "header says %s, the module hashes to %s",
                       json_string_value(v), hex);
    return 0;
}

/* --- the reader ---------------------------------------------------------- */

static int set_copy(json_t *rec, const hdr_ctx *h, const char *key)
{
    return json_object_set(rec, key, json_object_get(h->json, key));
}

/* Append reason to the record's "warnings", made on the first one, so a
 * record without warnings has no such key. */
static int add_warning(json_t *rec, const char *reason)
{
    json_t *w = json_object_get(rec, "warnings");
    if (!w && json_object_set_new(rec, "warnings", w = json_array()))
        return -1;
    return json_array_append_new(w, json_string(reason));
}

/* The checksum, its algorithm, and the warning its form brings. */
static int record_checksum(json_t *rec, json_t *ferrite, const hdr_ctx *h)
{
    if (set_copy(ferrite, h, "checksum") ||
        json_object_set_new(ferrite, "checksum_algorithm",
                            json_string(h->form->algorithm)))
        return -1;
    return h->form->warning ? add_warning(rec, h->form->warning) : 0;
}

/* Everything after the preamble: header, checks, record. */
static int read_body(hdr_ctx *h, const uint8_t *wasm, size_t wasm_len,
                     wh_pkg *pkg, wh_err *err)
{
    int rc;
    json_t *rec = NULL, *ferrite = NULL, *desc = NULL;
    if ((rc = parse_header(h, err)) != 0 ||
        (rc = read_required(h, wasm_len, pkg, err)) != 0)
        goto out;
    rec = json_object();
    ferrite = json_object();
    if (!rec || !ferrite || json_object_set(rec, "ferrite", ferrite) ||
        record_checksum(rec, ferrite, h) || set_copy(rec, h, "description") ||
        set_copy(rec, h, "author") || set_copy(rec, h, "license")) {
        rc = wh_fail(err, WH_E_NOMEM, h->path, -1, NULL);
        goto out;
    }
    if ((rc = read_optional(h, rec, ferrite, err)) != 0 ||
        (rc = verify_wasm(h, wasm, wasm_len, err)) != 0 ||
        (rc = wh_pkg_wasm_describe(h->path, "wasm", wasm, wasm_len, &desc,
                                   err)) != 0)
        goto out;
    if (json_object_set_new(rec, "wasm", desc)) {
        rc = wh_fail(err, WH_E_NOMEM, h->path, -1, NULL);
        goto out;
    }
    pkg->kind = WH_PKG_FERRPKG;
    pkg->record = rec;
    rec = NULL;
out:
    json_decref(rec);
    json_decref(ferrite);
    return rc;
}

int wh_ferrpkg_read(const char *path, const uint8_t *data, size_t len,
                    const wh_pkg_opts *opts, wh_pkg *pkg, wh_err *err)
{
    memset(pkg, 0, sizeof *pkg);
    if (len < 4 || memcmp(data, "FPKG", 4) != 0)
        return wh_fail(err, WH_E_FORMAT, path, 0, "not a .ferrpkg (no "
                       "\"FPKG\" magic)");
    if (len < FERRPKG_PREAMBLE)
        return wh_fail(err, WH_E_FORMAT, path, (long long)len, "truncated: "
                       "the file ends inside the header length");
    uint32_t hlen = (uint32_t)data[4] | (uint32_t)data[5] << 8 |
                    (uint32_t)data[6] << 16 | (uint32_t)data[7] << 24;
    if (hlen > FERRPKG_MAX_HEADER)
        return wh_fail(err, WH_E_LIMIT, path, 4, "header length %" PRIu32
                       " exceeds the limit of %" PRIu32 " bytes", hlen,
                       FERRPKG_MAX_HEADER);
    if (hlen > len - FERRPKG_PREAMBLE)
        return wh_fail(err, WH_E_FORMAT, path, 4, "truncated: header length %"
                       PRIu32 " but only %zu bytes follow", hlen,
                       len - FERRPKG_PREAMBLE);
    hdr_ctx h = { path, (const char *)data + FERRPKG_PREAMBLE, hlen, NULL,
                  NULL };
    int rc = read_body(&h, data + FERRPKG_PREAMBLE + hlen,
                       len - FERRPKG_PREAMBLE - hlen, pkg, err);
    json_decref(h.json);
    if (rc)
        memset(pkg, 0, sizeof *pkg);
    return rc;
}

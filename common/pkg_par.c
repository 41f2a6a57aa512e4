/* pkg_par.c - wasmCloud provider archives (PAR): read, verify, describe.
 *
 * Implements wh_par_read (common/pkg.h).  A PAR is a tar archive, gzip-
 * compressed or not (decided by the magic bytes 1f 8b, never the name),
 * whose root holds claims.jwt (a wascap JWT, common/jwt.h), an optional
 * world.wasm and one native binary per target, "<arch>-<os>.<ext>".
 * The rules, and where wharf is stricter than wasmCloud's loader, are in
 * docs/index-format.md, section "PAR".
 *
 * How it works, in one pass over the archive (libarchive reading from
 * memory; tar format and the gzip filter only, so no other format or
 * external decompressor can be reached):
 *
 *   1. every entry's name and type is checked as its header arrives, and
 *      its bytes are streamed through SHA-256; only claims.jwt is kept in
 *      memory, so a huge binary costs time, not memory (the total is
 *      capped all the same, against decompression bombs);
 *   2. the token is decoded, its issuer must be an account key and its
 *      subject a service key, the signature is checked with the issuer's
 *      key, then exp/nbf against opts->now;
 *   3. every binary (and world.wasm) must have a hash in
 *      wascap.target_hashes equal to its own, and every hash a binary;
 *   4. the module name, version and index record are derived.
 *
 * Binaries are never executed, loaded or even kept.  Errors name the file
 * (err->path), then the entry or "claims.jwt", then the reason:
 * "x.par: entry 'x86_64-linux.bin': sha256 does not match the claims".
 *
 * Tests: tests/unit/par_test.c (the real archive from wasmCloud's test
 * suite and archives built in memory), tests/cli/t1010-par.sh (archives
 * built by tests/tools/mkpar.c, read by tests/tools/wh-pkg.c).
 */
#include "pkg.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hex.h"
#include "jwt.h"
#include "nkeys.h"
#include "semver.h"

#define PAR_MAX_ENTRIES  256
#define PAR_NAME_MAX     128                   /* bytes of an entry name */
#define PAR_MAX_TOTAL    ((uint64_t)4 << 30)   /* bytes after gunzip */
#define PAR_MAX_DISPLAY  1024                  /* bytes of wascap.name */
#define PAR_SCHEMA_DEPTH 32                    /* levels of config_schema */
#define PAR_READ_BLOCK   ((size_t)1 << 17)

#define CLAIMS_ENTRY "claims.jwt"
#define WORLD_ENTRY  "world.wasm"

typedef struct par_entry {
    char     name[PAR_NAME_MAX + 1];
    size_t   stem;                    /* bytes of the target (no ".ext") */
    uint64_t size;
    uint8_t  sha[WH_SHA256_BYTES];
} par_entry;

typedef struct par_ctx {
    const char *path;
    wh_err     *e;                    /* never NULL (see wh_par_read) */
    par_entry   ent[PAR_MAX_ENTRIES]; /* binaries and world.wasm */
    size_t      nent;
    uint64_t    total;
    char       *claims;               /* claims.jwt, NUL-terminated */
    size_t      claims_len;
    int         has_claims;
    uint8_t    *buf;                  /* PAR_READ_BLOCK */
} par_ctx;

/* --- errors -------------------------------------------------------------- */

/* ASCII classes by hand: the result must not depend on the locale. */
static int is_lower_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Fail with "what: reason" in p's file; what names the place
 * ("entry 'x.bin'", "claims.jwt", or "" for the archive as a whole). */
static int fail(par_ctx *p, int code, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(par_ctx *p, int code, const char *what, const char *fmt, ...)
{
    char reason[sizeof p->e->reason];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (what && *what)
        return wh_fail(p->e, code, p->path, -1, "%s: %s", what, reason);
    return wh_fail(p->e, code, p->path, -1, "%s", reason);
}

/* A lower layer failed into p->e: move it into p's file, under what. */
static int rewrap(par_ctx *p, const char *what)
{
    snprintf(p->e->path, sizeof p->e->path, "%s", p->path);
    p->e->offset = -1;
    p->e->line = p->e->col = 0;
    return wh_err_prefix(p->e, "%s", what);
}

static int fail_entry(par_ctx *p, int code, const char *name, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static int fail_entry(par_ctx *p, int code, const char *name, const char *fmt,
                      ...)
{
    char q[300], what[320], reason[sizeof p->e->reason];
    snprintf(what, sizeof what, "entry '%s'",
             wh_quote(q, sizeof q, name, strlen(name)));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return fail(p, code, what, "%s", reason);
}

/* libarchive's message, lower-cased at the start to fit wharf's style. */
static const char *la_error(struct archive *a, char *buf, size_t n)
{
    const char *m = archive_error_string(a);
    snprintf(buf, n, "%s", m && *m ? m : "corrupt or truncated data");
    buf[0] = (char)ascii_lower((unsigned char)buf[0]);
    return buf;
}

/* --- reading the archive ------------------------------------------------- */

static int valid_name_char(unsigned char c)
{
    return is_lower_alnum(ascii_lower(c)) || c == '.' || c == '_' || c == '-';
}

/* A name that could leave a directory it were extracted to: absolute, or
 * with a ".." component (either separator). */
static int unsafe_path(const char *name)
{
    if (name[0] == '/' || name[0] == '\\')
        return 1;
    for (const char *s = name; *s; s++) {
        int start = s == name || s[-1] == '/' || s[-1] == '\\';
        if (start && s[0] == '.' && s[1] == '.'
            && (s[2] == '\0' || s[2] == '/' || s[2] == '\\'))
            return 1;
    }
    return 0;
}

/* Where an entry may be and what it may be: a regular file at the root
 * (no directories, links or devices, nothing below the root). */
static int check_place(par_ctx *p, struct archive_entry *ae,
                       const char *name)
{
    if (unsafe_path(name))
        return fail_entry(p, WH_E_UNSAFE, name, "unsafe path");
    if (archive_entry_filetype(ae) != AE_IFREG || archive_entry_hardlink(ae))
        return fail_entry(p, WH_E_FORMAT, name, "not a regular file");
    if (strchr(name, '/') || strchr(name, '\\'))
        return fail_entry(p, WH_E_FORMAT, name, "not at the archive root");
    return 0;
}

/* Check an entry's name; set *stem, the length of its target. */
static int check_name(par_ctx *p, const char *name, size_t *stem)
{
    size_t n = strlen(name);
    if (n == 0)
        return fail(p, WH_E_FORMAT, "", "entry with an empty name");
    if (n > PAR_NAME_MAX)
        return fail_entry(p, WH_E_FORMAT, name, "name longer than %d bytes",
                          PAR_NAME_MAX);
    for (size_t i = 0; i < n; i++)
        if (!valid_name_char((unsigned char)name[i]))
            return fail_entry(p, WH_E_FORMAT, name,
                              "name has a character other than A-Za-z0-9._-");
    const char *dot = strrchr(name, '.');
    if (name[0] == '.' || !dot || dot[1] == '\0')
        return fail_entry(p, WH_E_FORMAT, name,
                          "name is not <arch>-<os>.<extension>");
    *stem = (size_t)(dot - name);
    if (strcmp(name, CLAIMS_ENTRY) && strcmp(name, WORLD_ENTRY)
        && ((*stem == 6 && !memcmp(name, "claims", 6))
            || (*stem == 5 && !memcmp(name, "world", 5))))
        return fail_entry(p, WH_E_FORMAT, name, "reserved name");
    return 0;
}

static int check_unique(par_ctx *p, const char *name, size_t stem)
{
    if (!strcmp(name, CLAIMS_ENTRY) && p->has_claims)
        return fail_entry(p, WH_E_FORMAT, name, "duplicate entry");
    for (size_t i = 0; i < p->nent; i++) {
        if (!strcmp(p->ent[i].name, name))
            return fail_entry(p, WH_E_FORMAT, name, "duplicate entry");
        if (p->ent[i].stem == stem && !memcmp(p->ent[i].name, name, stem))
            return fail_entry(p, WH_E_FORMAT, name,
                              "target '%.*s' already has a binary ('%s')",
                              (int)stem, name, p->ent[i].name);
    }
    return 0;
}

/* Stream the current entry's data through SHA-256 (and into p->claims
 * when keep is set). */
static int read_data(par_ctx *p, struct archive *a, const char *name, int keep,
                     par_entry *ent)
{
    wh_sha256 h;
    char la[200];
    if (wh_sha256_init(&h, p->e))
        return rewrap(p, "sha256");
    int rc = 0;
    uint64_t size = 0;
    for (;;) {
        la_ssize_t r = archive_read_data(a, p->buf, PAR_READ_BLOCK);
        if (r == 0)
            break;
        if (r < 0) {
            rc = fail_entry(p, WH_E_FORMAT, name, "cannot read: %s",
                            la_error(a, la, sizeof la));
            goto out;
        }
        size += (uint64_t)r;
        p->total += (uint64_t)r;
        if (p->total > PAR_MAX_TOTAL) {
            rc = fail(p, WH_E_LIMIT, "", "archive holds more than %llu bytes",
                      (unsigned long long)PAR_MAX_TOTAL);
            goto out;
        }
        if (keep) {
            if (p->claims_len + (size_t)r > WH_JWT_MAX_LEN) {
                rc = fail_entry(p, WH_E_LIMIT, name, "larger than %zu bytes",
                                WH_JWT_MAX_LEN);
                goto out;
            }
            memcpy(p->claims + p->claims_len, p->buf, (size_t)r);
            p->claims_len += (size_t)r;
        }
        wh_sha256_update(&h, p->buf, (size_t)r);
    }
    if (ent) {
        ent->size = size;
        wh_sha256_final(&h, ent->sha);
        return 0;
    }
out:
    wh_sha256_discard(&h);
    return rc;
}

static int read_entry(par_ctx *p, struct archive *a, struct archive_entry *ae)
{
    const char *name = archive_entry_pathname(ae);
    if (!name)
        return fail(p, WH_E_FORMAT, "", "entry with no readable name");
    size_t stem = 0;
    int rc;
    if ((rc = check_place(p, ae, name)) || (rc = check_name(p, name, &stem)))
        return rc;
    if (archive_entry_size(ae) > (la_int64_t)WH_PKG_MAX_SIZE)
        return fail_entry(p, WH_E_LIMIT, name, "larger than %zu bytes",
                          WH_PKG_MAX_SIZE);
    if ((rc = check_unique(p, name, stem)))
        return rc;
    if (!strcmp(name, CLAIMS_ENTRY)) {
        p->has_claims = 1;
        return read_data(p, a, name, 1, NULL);
    }
    if (p->nent == PAR_MAX_ENTRIES)
        return fail(p, WH_E_LIMIT, "", "more than %d entries",
                    PAR_MAX_ENTRIES);
    par_entry *ent = &p->ent[p->nent];
    memcpy(ent->name, name, strlen(name) + 1);
    ent->stem = stem;
    if ((rc = read_data(p, a, name, 0, ent)))
        return rc;
    p->nent++;
    return 0;
}

static int read_archive(par_ctx *p, const uint8_t *data, size_t len)
{
    char la[200];
    int rc = 0;
    struct archive *a = archive_read_new();
    if (!a)
        return fail(p, WH_E_NOMEM, "", "cannot create an archive reader");
    /* Only tar, and gzip only when the magic says so.  ARCHIVE_WARN from
     * the gzip filter would mean "through an external gzip program". */
    if (archive_read_support_format_tar(a) != ARCHIVE_OK
        || (len >= 2 && data[0] == 0x1f && data[1] == 0x8b
            && archive_read_support_filter_gzip(a) != ARCHIVE_OK)) {
        rc = fail(p, WH_E_INTERNAL, "", "libarchive lacks built-in tar or "
                  "gzip support");
        goto out;
    }
    if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
        rc = fail(p, WH_E_FORMAT, "", "cannot read archive: %s",
                  la_error(a, la, sizeof la));
        goto out;
    }
    for (;;) {
        struct archive_entry *ae;
        int r = archive_read_next_header(a, &ae);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK) {
            rc = fail(p, WH_E_FORMAT, "", "cannot read archive: %s",
                      la_error(a, la, sizeof la));
            goto out;
        }
        if ((rc = read_entry(p, a, ae)))
            goto out;
    }
    if (!p->has_claims)
        rc = fail(p, WH_E_FORMAT, "", "archive has no " CLAIMS_ENTRY);
    else if (p->nent == 0 || (p->nent == 1 && !strcmp(p->ent[0].name,
                                                         WORLD_ENTRY)))
        rc = fail(p, WH_E_FORMAT, "", "archive has no binary");
out:
    archive_read_free(a);
    return rc;
}

/* --- claims --------------------------------------------------------------- */

/* obj[key] as a string without NUL: 1 if present, 0 if absent or null
 * (when !required), <0 (minus a WH_E_* code) on error. */
static int get_str(par_ctx *p, const json_t *obj, const char *key,
                   const char *dotted, int required, const char **s,
                   size_t *n)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            return -fail(p, WH_E_FORMAT, CLAIMS_ENTRY, "'%s' is missing",
                         dotted);
        return 0;
    }
    if (!json_is_string(v))
        return -fail(p, WH_E_FORMAT, CLAIMS_ENTRY, "'%s' is not a string",
                     dotted);
    *s = json_string_value(v);
    *n = json_string_length(v);
    if (strlen(*s) != *n)
        return -fail(p, WH_E_FORMAT, CLAIMS_ENTRY,
                     "'%s' contains a NUL character", dotted);
    return 1;
}

/* obj[key] as an integer in [0, max]; same returns as get_str. */
static int get_int(par_ctx *p, const json_t *obj, const char *key,
                   const char *dotted, int required, json_int_t max,
                   json_int_t *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            return -fail(p, WH_E_FORMAT, CLAIMS_ENTRY, "'%s' is missing",
                         dotted);
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0
        || json_integer_value(v) > max) {
        if (max == INT64_MAX)
            return -fail(p, WH_E_FORMAT, CLAIMS_ENTRY,
                         "'%s' is not a non-negative integer", dotted);
        return -fail(p, WH_E_FORMAT, CLAIMS_ENTRY,
                     "'%s' is not an integer from 0 to %lld", dotted,
                     (long long)max);
    }
    *out = json_integer_value(v);
    return 1;
}

/* iss must be an account key and sub a service key: the roles wascap
 * gives them, which its loader does not check. */
static int check_keys(par_ctx *p, const json_t *c, uint8_t iss_key[32],
                      wh_pkg *pkg)
{
    static const struct { const char *key; int role; } keys[] = {
        { "iss", WH_NKEY_ACCOUNT },
        { "sub", WH_NKEY_SERVICE },
    };
    for (int i = 0; i < 2; i++) {
        const char *s;
        size_t n;
        uint8_t k[32];
        int r = get_str(p, c, keys[i].key, keys[i].key, 1, &s, &n);
        if (r < 0)
            return -r;
        if (wh_nkey_decode(s, n, keys[i].role, NULL, k, p->e)) {
            char what[32];
            snprintf(what, sizeof what, CLAIMS_ENTRY ": %s", keys[i].key);
            return rewrap(p, what);
        }
        if (i == 0) {
            memcpy(iss_key, k, 32);
            memcpy(pkg->issuer, s, n + 1);
        } else {
            memcpy(pkg->subject, s, n + 1);
        }
    }
    return 0;
}

/* Decode, check the keys, verify the signature and the times. */
static int check_token(par_ctx *p, wh_jwt *jwt, const wh_pkg_opts *opts,
                       wh_pkg *pkg)
{
    if (wh_jwt_decode(jwt, p->claims, p->claims_len, p->e))
        return rewrap(p, CLAIMS_ENTRY);
    uint8_t key[32];
    int r;
    if ((r = check_keys(p, jwt->payload, key, pkg)))
        return r;
    if (wh_jwt_verify(jwt, key, p->e))
        return rewrap(p, CLAIMS_ENTRY);
    int64_t now = opts && opts->now ? opts->now : (int64_t)time(NULL);
    if (wh_jwt_check_time(jwt, now, p->e))
        return rewrap(p, CLAIMS_ENTRY);
    return 0;
}

/* Module name from the display name: lower case, each run of characters
 * other than a-z 0-9 turned into one '-', none at either end. */
static size_t module_name(const char *s, size_t n, char *out)
{
    size_t o = 0;
    int dash = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = ascii_lower((unsigned char)s[i]);
        if (is_lower_alnum(c)) {
            if (dash && o > 0)
                out[o++] = '-';
            out[o++] = (char)c;
            dash = 0;
        } else {
            dash = 1;
        }
    }
    out[o] = '\0';
    return o;
}

/* The version: ver completed to MAJOR.MINOR.PATCH ("1.0" -> "1.0.0",
 * "2" -> "2.0.0", "1.0-rc.1" -> "1.0.0-rc.1"), or 0.0.REV without ver. */
static int par_version(par_ctx *p, const char *ver, size_t n, int has_ver,
                       json_int_t rev, wh_pkg *pkg)
{
    char buf[WH_SEMVER_MAX_LEN + 8];
    if (!has_ver || n == 0) {
        snprintf(pkg->version, sizeof pkg->version, "0.0.%lld",
                 (long long)rev);
        return 0;
    }
    if (n > WH_SEMVER_MAX_LEN)
        return fail(p, WH_E_LIMIT, CLAIMS_ENTRY,
                    "'wascap.ver' longer than %d bytes", WH_SEMVER_MAX_LEN);
    size_t core = strcspn(ver, "-+"), dots = 0;
    for (size_t i = 0; i < core; i++)
        dots += ver[i] == '.';
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)core, ver,
             dots == 0 ? ".0.0" : dots == 1 ? ".0" : "", ver + core);
    wh_semver v;
    char q[300];
    if (wh_semver_parse(&v, buf, strlen(buf), p->e)) {
        char what[400];
        snprintf(what, sizeof what, CLAIMS_ENTRY ": 'wascap.ver' '%s'",
                 wh_quote(q, sizeof q, ver, n));
        return rewrap(p, what);
    }
    if (wh_semver_format(&v, pkg->version, sizeof pkg->version)
        >= sizeof pkg->version)
        return fail(p, WH_E_LIMIT, CLAIMS_ENTRY,
                    "'wascap.ver' longer than %d bytes", WH_SEMVER_MAX_LEN);
    return 0;
}

/* Shortest decimal text that reads back as d. */
static json_t *real_text(double d)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return json_string(buf);
}

/* A copy of the config schema for the index: canonical JSON has no real
 * numbers, so they become their decimal text.  Depth is bounded by the
 * JSON parser's cap, and capped lower here so the index that nests the
 * record stays within the writer's. */
static json_t *schema_copy(const json_t *v, int depth)
{
    if (depth > PAR_SCHEMA_DEPTH)
        return NULL;
    if (json_is_real(v))
        return real_text(json_real_value(v));
    json_t *c;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        if (!(c = json_object()))
            return NULL;
        json_object_foreach((json_t *)v, k, x)
            if (json_object_set_new(c, k, schema_copy(x, depth + 1)))
                goto bad;
        return c;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        if (!(c = json_array()))
            return NULL;
        json_array_foreach(v, i, x)
            if (json_array_append_new(c, schema_copy(x, depth + 1)))
                goto bad;
        return c;
    }
    return json_deep_copy(v);
bad:
    json_decref(c);
    return NULL;
}

/* Every hash value must be 64 upper-case hex digits. */
static int check_hashes(par_ctx *p, const json_t *th)
{
    const char *k;
    const json_t *v;
    char q[300];
    json_object_foreach((json_t *)th, k, v) {
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        int ok = json_string_length(v) == 2 * WH_SHA256_BYTES;
        for (size_t i = 0; ok && i < 2 * WH_SHA256_BYTES; i++)
            ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F');
        if (!ok)
            return fail(p, WH_E_FORMAT, CLAIMS_ENTRY,
                        "'wascap.target_hashes' of '%s' is not an upper-case "
                        "hex SHA-256", wh_quote(q, sizeof q, k, strlen(k)));
    }
    return 0;
}

/* Every binary must match its hash, and every hash must have a binary. */
static int match_hashes(par_ctx *p, const json_t *th, json_t *targets)
{
    char q[300];
    for (size_t i = 0; i < p->nent; i++) {
        const par_entry *e = &p->ent[i];
        int world = !strcmp(e->name, WORLD_ENTRY);
        char key[PAR_NAME_MAX + 1];
        snprintf(key, sizeof key, "%.*s", (int)(world ? strlen(e->name)
                                                      : e->stem), e->name);
        const json_t *h = json_object_get(th, key);
        if (!h)
            return fail_entry(p, WH_E_VERIFY, e->name,
                              "no hash for '%s' in the claims", key);
        char hex[WH_SHA256_HEX];
        wh_hex_encode(hex, e->sha, sizeof e->sha, 1);
        if (strcmp(hex, json_string_value(h)))
            return fail_entry(p, WH_E_VERIFY, e->name,
                              "sha256 does not match the claims");
        if (world)
            continue;
        wh_hex_encode(hex, e->sha, sizeof e->sha, 0);
        if (json_object_set_new(targets, key,
                json_pack("{s:s, s:I}", "sha256", hex, "size",
                          (json_int_t)e->size)))
            return fail(p, WH_E_NOMEM, "", "out of memory");
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)th, k, v) {
        int found = 0;
        for (size_t i = 0; i < p->nent && !found; i++)
            found = !strcmp(p->ent[i].name, WORLD_ENTRY)
                ? !strcmp(k, WORLD_ENTRY)
                : strlen(k) == p->ent[i].stem
                  && !memcmp(k, p->ent[i].name, p->ent[i].stem);
        if (!found)
            return fail(p, WH_E_VERIFY, CLAIMS_ENTRY,
                        "'%s' has a hash but no binary in the archive",
                        wh_quote(q, sizeof q, k, strlen(k)));
    }
    return 0;
}

/* The claims wharf reads, each with a flag saying it was present. */
typedef struct claims {
    const json_t *wascap, *hashes, *schema;
    const char *name, *vendor, *capid, *ver, *jti;
    size_t      name_n, vendor_n, capid_n, ver_n, jti_n;
    json_int_t  rev, wrev, iat, exp, nbf;
    int         has_capid, has_ver, has_rev, has_exp, has_nbf;
} claims;

/* Read and type-check the payload's fields (wascap's Claims and
 * CapabilityProvider; unknown keys are ignored, as serde does). */
static int read_claims(par_ctx *p, const json_t *c, claims *f)
{
    memset(f, 0, sizeof *f);
    const json_t *w = f->wascap = json_object_get(c, "wascap");
    if (!json_is_object(w))
        return fail(p, WH_E_FORMAT, CLAIMS_ENTRY, "'wascap' %s",
                    w ? "is not an object" : "is missing");
    int r;
    if ((r = get_str(p, c, "jti", "jti", 1, &f->jti, &f->jti_n)) < 0
        || (r = get_int(p, c, "iat", "iat", 1, INT64_MAX, &f->iat)) < 0
        || (r = f->has_exp = get_int(p, c, "exp", "exp", 0, INT64_MAX,
                                     &f->exp)) < 0
        || (r = f->has_nbf = get_int(p, c, "nbf", "nbf", 0, INT64_MAX,
                                     &f->nbf)) < 0
        || (r = get_int(p, c, "wascap_revision", "wascap_revision", 0,
                        INT32_MAX, &f->wrev)) < 0
        || (r = get_str(p, w, "name", "wascap.name", 1, &f->name,
                        &f->name_n)) < 0
        || (r = get_str(p, w, "vendor", "wascap.vendor", 1, &f->vendor,
                        &f->vendor_n)) < 0
        || (r = f->has_capid = get_str(p, w, "capid", "wascap.capid", 0,
                                       &f->capid, &f->capid_n)) < 0
        || (r = f->has_ver = get_str(p, w, "ver", "wascap.ver", 0, &f->ver,
                                     &f->ver_n)) < 0
        || (r = f->has_rev = get_int(p, w, "rev", "wascap.rev", 0, INT32_MAX,
                                     &f->rev)) < 0)
        return -r;
    if (f->name_n > PAR_MAX_DISPLAY)
        return fail(p, WH_E_LIMIT, CLAIMS_ENTRY,
                    "'wascap.name' longer than %d bytes", PAR_MAX_DISPLAY);
    f->hashes = json_object_get(w, "target_hashes");
    if (!json_is_object(f->hashes))
        return fail(p, WH_E_FORMAT, CLAIMS_ENTRY, "'wascap.target_hashes' %s",
                    f->hashes ? "is not an object" : "is missing");
    f->schema = json_object_get(w, "config_schema");
    if (json_is_null(f->schema))
        f->schema = NULL;
    return check_hashes(p, f->hashes);
}

/* The module name (checked) from the display name. */
static int par_name(par_ctx *p, const claims *f, wh_pkg *pkg)
{
    char mod[PAR_MAX_DISPLAY + 1];
    size_t n = module_name(f->name, f->name_n, mod);
    if (wh_pkg_name_check(mod, n, p->e)) {
        char q[300], what[400];
        snprintf(what, sizeof what, CLAIMS_ENTRY ": 'wascap.name' '%s'",
                 wh_quote(q, sizeof q, f->name, f->name_n));
        return rewrap(p, what);
    }
    memcpy(pkg->name, mod, n + 1);
    return 0;
}

/* JSON for an optional value: the string/integer, or null. */
static json_t *opt_str(int has, const char *s, size_t n)
{
    return has ? json_stringn(s, n) : json_null();
}

static json_t *opt_int(int has, json_int_t v)
{
    return has ? json_integer(v) : json_null();
}

/* The index record (docs/index-format.md); targets is consumed. */
static int make_record(par_ctx *p, const claims *f, json_t *targets,
                       wh_pkg *pkg)
{
    json_t *schema = NULL;
    if (f->schema && !(schema = schema_copy(f->schema, 0))) {
        json_decref(targets);
        return fail(p, WH_E_LIMIT, CLAIMS_ENTRY,
                    "'wascap.config_schema' nested deeper than %d levels",
                    PAR_SCHEMA_DEPTH);
    }
    json_t *par = json_pack("{s:s%, s:s%, s:o, s:o, s:o, s:s, s:s, s:I,"
                            " s:o, s:o, s:o, s:b, s:o}",
        "display_name", f->name, f->name_n,
        "vendor", f->vendor, f->vendor_n,
        "revision", opt_int(f->has_rev, f->rev),
        "ver", opt_str(f->has_ver, f->ver, f->ver_n),
        "capid", opt_str(f->has_capid, f->capid, f->capid_n),
        "issuer", pkg->issuer,
        "subject", pkg->subject,
        "issued_at", f->iat,
        "expires", opt_int(f->has_exp, f->exp),
        "not_before", opt_int(f->has_nbf, f->nbf),
        "targets", targets,
        "world", json_object_get(f->hashes, WORLD_ENTRY) != NULL,
        "config_schema", schema ? schema : json_null());
    pkg->record = json_pack("{s:s, s:s%, s:s, s:[], s:[], s:{}, s:o}",
        "description", "",
        "author", f->vendor, f->vendor_n,
        "license", "",
        "categories", "tags", "dependencies",
        "par", par);
    if (!pkg->record)
        return fail(p, WH_E_NOMEM, "", "out of memory");
    return 0;
}

/* Read the wascap claims, check the hashes, fill name, version, record. */
static int describe(par_ctx *p, const json_t *c, wh_pkg *pkg)
{
    claims f;
    int r;
    if ((r = read_claims(p, c, &f))
        || (r = par_name(p, &f, pkg))
        || (r = par_version(p, f.ver, f.ver_n, f.has_ver, f.rev, pkg)))
        return r;
    json_t *targets = json_object();
    if (!targets)
        return fail(p, WH_E_NOMEM, "", "out of memory");
    if ((r = match_hashes(p, f.hashes, targets))) {
        json_decref(targets);
        return r;
    }
    return make_record(p, &f, targets, pkg);
}

/* --- API implementation --------------------------------------------------- */

int wh_par_read(const char *path, const uint8_t *data, size_t len,
                const wh_pkg_opts *opts, wh_pkg *pkg, wh_err *err)
{
    wh_err e;
    wh_err_clear(&e);
    memset(pkg, 0, sizeof *pkg);
    par_ctx *p = calloc(1, sizeof *p);
    wh_jwt jwt = { 0 };
    int rc;
    if (!p || !(p->buf = malloc(PAR_READ_BLOCK))
        || !(p->claims = malloc(WH_JWT_MAX_LEN + 1))) {
        rc = wh_fail(&e, WH_E_NOMEM, path, -1, NULL);
        goto out;
    }
    p->path = path;
    p->e = &e;
    pkg->kind = WH_PKG_PAR;
    if ((rc = read_archive(p, data, len)))
        goto out;
    p->claims[p->claims_len] = '\0';
    if ((rc = check_token(p, &jwt, opts, pkg)))
        goto out;
    rc = describe(p, jwt.payload, pkg);
out:
    wh_jwt_free(&jwt);
    if (p) {
        free(p->buf);
        free(p->claims);
        free(p);
    }
    if (rc) {
        json_decref(pkg->record);
        memset(pkg, 0, sizeof *pkg);
        if (err)
            *err = e;
    }
    return rc;
}

/* index.c - load and verify a wharf site's signed index; check packages
 * against their records.  The contract, and the order of the checks, are
 * in index.h; the format is docs/index-format.md.
 *
 * Nothing here trusts the index before its signature: the bytes are
 * verified first, then hashed against the trusted comment, and only then
 * parsed.  Parsing checks every field a reader will use (types, safe
 * paths below packages/, lower-case hex digests, SemVer keys, module
 * names, and what plugins add: format:PLUGIN kinds and their file,
 * metadata, the processed original, warnings), so the callers walk
 * ix->json without checking again.
 *
 * Tests: tests/unit/index_test.c; tests/cli/t1101-wharf-index-verify.sh,
 * t1103-wharf-index-publish.sh.
 */
#include "index.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "hex.h"
#include "json.h"
#include "pkg.h"
#include "semver.h"
#include "shard.h"

/* --- the trusted comment ---------------------------------------------------- */

void wh_index_comment_as(char *out, size_t n, const char *format,
                         const wh_index_head *h)
{
    snprintf(out, n, "%s serial:%" PRId64 " expires:%" PRId64 " sha256:%s",
             format, h->serial, h->expires, h->sha256);
}

void wh_index_comment(char *out, size_t n, const wh_index_head *h)
{
    wh_index_comment_as(out, n, WH_INDEX_FORMAT, h);
}

/* 0 when tc is exactly the comment of some head in that format (no "+1",
 * "01" or blanks in the numbers: it must print back to itself). */
static int parse_comment(const char *tc, const char *format, wh_index_head *h)
{
    long long s, e;
    int n = 0;
    size_t fl = strlen(format);
    char hex[WH_SHA256_HEX], again[256];
    if (strncmp(tc, format, fl) != 0 ||
        sscanf(tc + fl, " serial:%lld expires:%lld sha256:%64[0-9a-f]%n",
               &s, &e, hex, &n) != 3 || tc[fl + (size_t)n] != '\0' ||
        !wh_hex_is_lower(hex, 64))
        return -1;
    wh_index_head got = { s, e, "" };
    memcpy(got.sha256, hex, sizeof hex);
    wh_index_comment_as(again, sizeof again, format, &got);
    if (strcmp(again, tc) != 0 || s < 1 || e < 0)
        return -1;
    *h = got;
    return 0;
}

int wh_index_head_check_as(const wh_minisign_sig *sig, const wh_minisign_pubkey *pk,
                           const char *format, const char *sig_path,
                           wh_index_head *h, wh_err *err)
{
    int rc = wh_minisign_verify_comment(sig, pk, sig_path, err);
    if (rc)
        return rc;
    if (parse_comment(sig->trusted, format, h))
        return wh_fail(err, WH_E_VERIFY, sig_path, -1, "trusted comment '%.120s' "
                       "is not '%s serial:N expires:T sha256:HEX'",
                       sig->trusted, format);
    return 0;
}

int wh_index_head_check(const wh_minisign_sig *sig, const wh_minisign_pubkey *pk,
                        const char *sig_path, wh_index_head *h, wh_err *err)
{
    return wh_index_head_check_as(sig, pk, WH_INDEX_FORMAT, sig_path, h, err);
}

int wh_index_head_load(const char *sig_path, const wh_minisign_pubkey *pk,
                       wh_minisign_sig *sig, wh_index_head *h, wh_err *err)
{
    int rc = wh_minisign_sig_load_flags(sig, sig_path, WH_MINISIGN_NOFOLLOW, err);
    return rc ? rc : wh_index_head_check(sig, pk, sig_path, h, err);
}

int wh_index_byhash(char *out, size_t n, const char *sha256, const char *suffix)
{
    int w = snprintf(out, n, WH_INDEX_BYHASH "/%s.json%s", sha256, suffix);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* --- the document ------------------------------------------------------------ */

static int bad(wh_err *err, const char *path, const char *module,
               const char *version, const char *what)
{
    if (version)
        return wh_fail(err, WH_E_FORMAT, path, -1, "module '%s' version '%s': %s",
                       module, version, what);
    if (module)
        return wh_fail(err, WH_E_FORMAT, path, -1, "module '%s': %s", module, what);
    return wh_fail(err, WH_E_FORMAT, path, -1, "%s", what);
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int one_of(const char *s, const char *a, const char *b, const char *c)
{
    return s && (!strcmp(s, a) || !strcmp(s, b) || !strcmp(s, c));
}

/* --- what plugins add ---------------------------------------------------------
 *
 * Every field here is written from a plugin's output, so from code the
 * repository's owner may not have written: they are checked as hostile
 * as any package field, and by the same functions on both sides (the
 * build before it signs, every reader after). */

const char *wh_index_format_plugin(const char *kind)
{
    size_t n = sizeof WH_INDEX_FORMAT_PREFIX - 1;
    return kind && !strncmp(kind, WH_INDEX_FORMAT_PREFIX, n) ? kind + n : NULL;
}

int wh_index_kind_check(const char *kind, size_t len, wh_err *err)
{
    size_t n = sizeof WH_INDEX_FORMAT_PREFIX - 1;
    char q[100];
    if (kind && strlen(kind) == len && one_of(kind, "ferrpkg", "par", "bundle"))
        return 0;
    if (!kind || len < n || memcmp(kind, WH_INDEX_FORMAT_PREFIX, n) != 0)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'kind' is not \"ferrpkg\", "
                       "\"par\", \"bundle\" or \"" WH_INDEX_FORMAT_PREFIX "PLUGIN\"");
    int rc = wh_pkg_name_check(kind + n, len - n, err);
    if (rc)
        wh_err_prefix(err, "'kind' \"%s\"", wh_quote(q, sizeof q, kind, len));
    return rc;
}

int wh_index_file_check(const char *name, size_t len, wh_err *err)
{
    char q[68];                  /* a long name, cut: the reason is short */
    if (len == 0)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'file' is empty");
    if (len > WH_INDEX_FILE_MAX)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'file' is %zu bytes long, "
                       "more than %d", len, WH_INDEX_FILE_MAX);
    wh_quote(q, sizeof q, name, len);
    if ((len == 1 && name[0] == '.') || (len == 2 && !memcmp(name, "..", 2)))
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'file' is '%s', not a file "
                       "name", q);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '/' || c == '\\')
            return wh_fail(err, WH_E_FORMAT, NULL, -1, "'file' '%s' contains "
                           "'%c'", q, c);
        if (c < 0x20 || c == 0x7f)
            return wh_fail(err, WH_E_FORMAT, NULL, -1, "'file' '%s' contains "
                           "control character 0x%02x", q, c);
    }
    return 0;
}

static int meta_key_check(const char *k, size_t n, wh_err *err)
{
    char q[68];
    if (n == 0)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'metadata' has an empty key");
    if (n > WH_INDEX_META_MAX_KEY)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'metadata' key '%s' is %zu "
                       "bytes long, more than %d", wh_quote(q, sizeof q, k, n), n,
                       WH_INDEX_META_MAX_KEY);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)k[i] < 0x20 || k[i] == 0x7f)
            return wh_fail(err, WH_E_FORMAT, NULL, -1, "'metadata' key '%s' "
                           "contains control character 0x%02x",
                           wh_quote(q, sizeof q, k, n), (unsigned char)k[i]);
    return 0;
}

static int meta_value_check(const char *k, size_t kn, const json_t *v,
                            wh_err *err)
{
    char q[68];
    size_t n = json_string_length(v);
    wh_quote(q, sizeof q, k, kn);
    if (!json_is_string(v))
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'metadata' value of '%s' is "
                       "not a string", q);
    if (n > WH_INDEX_META_MAX_VALUE)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'metadata' value of '%s' is "
                       "%zu bytes long, more than %d", q, n, WH_INDEX_META_MAX_VALUE);
    if (memchr(json_string_value(v), '\0', n))
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'metadata' value of '%s' "
                       "contains a NUL byte", q);
    return 0;
}

int wh_index_metadata_check(const json_t *m, wh_err *err)
{
    const char *k;
    size_t kn;
    json_t *v;
    if (!json_is_object(m))
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'metadata' is not an object");
    if (json_object_size(m) > WH_INDEX_META_MAX_PAIRS)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'metadata' has %zu pairs, "
                       "more than %d", json_object_size(m), WH_INDEX_META_MAX_PAIRS);
    json_object_keylen_foreach((json_t *)m, k, kn, v) {
        int rc = meta_key_check(k, kn, err);
        if (rc || (rc = meta_value_check(k, kn, v, err)))
            return rc;
    }
    return 0;
}

/* "processed_by": the post-processors' names, in order. */
static int processors_check(const json_t *a, wh_err *err)
{
    size_t i, n = json_array_size(a);
    json_t *v;
    if (!json_is_array(a) || n == 0)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'processed_by' is not a "
                       "non-empty array of plugin names");
    if (n > WH_INDEX_MAX_PROCESSORS)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'processed_by' has %zu "
                       "entries, more than %d", n, WH_INDEX_MAX_PROCESSORS);
    json_array_foreach(a, i, v) {
        if (!json_is_string(v))
            return wh_fail(err, WH_E_FORMAT, NULL, -1, "'processed_by' entry %zu "
                           "is not a string", i + 1);
        int rc = wh_pkg_name_check(json_string_value(v), json_string_length(v), err);
        if (rc) {
            wh_err_prefix(err, "'processed_by' entry %zu", i + 1);
            return rc;
        }
    }
    return 0;
}

/* The original's hash and size go together, and with who processed it. */
static int processed_check(const json_t *r, wh_err *err)
{
    json_t *sha = json_object_get(r, "original_sha256"),
           *size = json_object_get(r, "original_size"),
           *by = json_object_get(r, "processed_by");
    if (!sha != !size)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'original_sha256' and "
                       "'original_size' are not both present");
    if (sha && !wh_hex_is_lower(json_string_value(sha), 64))
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'original_sha256' is not 64 "
                       "lower-case hex digits");
    if (size && (!json_is_integer(size) || json_integer_value(size) < 0))
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'original_size' is not a "
                       "non-negative integer");
    if (sha && !by)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'processed_by' is missing "
                       "beside 'original_sha256'");
    if (by && !sha)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'processed_by' without "
                       "'original_sha256'");
    return by ? processors_check(by, err) : 0;
}

/* "file": a format package's, and only theirs. */
static int file_check(const json_t *r, const char *kind, wh_err *err)
{
    json_t *f = json_object_get(r, "file");
    if (wh_index_format_plugin(kind) && !f)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'file' is missing (a "
                       WH_INDEX_FORMAT_PREFIX "PLUGIN package is installed as it)");
    if (!wh_index_format_plugin(kind) && f)
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'file' is only for "
                       WH_INDEX_FORMAT_PREFIX "PLUGIN packages");
    if (f && !json_is_string(f))
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "'file' is not a string");
    return f ? wh_index_file_check(json_string_value(f), json_string_length(f), err)
             : 0;
}

static int warnings_check(const json_t *w, wh_err *err)
{
    size_t i;
    json_t *v;
    int ok = json_is_array(w);
    json_array_foreach(w, i, v)
        ok = ok && json_is_string(v);
    return ok ? 0 : wh_fail(err, WH_E_FORMAT, NULL, -1, "'warnings' is not an "
                            "array of strings");
}

/* The fields above, then "warnings"; a kind already checked. */
static int plugin_fields_check(const json_t *r, const char *kind, wh_err *err)
{
    json_t *meta = json_object_get(r, "metadata"), *w = json_object_get(r, "warnings");
    int rc = meta ? wh_index_metadata_check(meta, err) : 0;
    if (rc == 0)
        rc = processed_check(r, err);
    if (rc == 0)
        rc = file_check(r, kind, err);
    return rc == 0 && w ? warnings_check(w, err) : rc;
}

/* --- the record ------------------------------------------------------------- */

static int check_record(json_t *r, const char *path, const char *mod,
                        const char *ver, wh_err *err)
{
    char tmp[4096];
    json_t *jp = json_object_get(r, "path"), *size = json_object_get(r, "size"),
           *signer = json_object_get(r, "signer"), *kind = json_object_get(r, "kind");
    const char *p = json_string_value(jp), *status = str(signer, "status");
    wh_err e;
    if (!json_is_object(r))
        return bad(err, path, mod, ver, "the version record is not an object");
    if (wh_index_kind_check(json_string_value(kind), json_string_length(kind), &e))
        return bad(err, path, mod, ver, e.reason);
    if (!p || strncmp(p, "packages/", 9) != 0 ||
        wh_path_join(tmp, sizeof tmp, ".", p, json_string_length(jp), NULL))
        return bad(err, path, mod, ver, "'path' is not a safe path below packages/");
    if (!json_is_integer(size) || json_integer_value(size) < 0)
        return bad(err, path, mod, ver, "'size' is not a non-negative integer");
    json_t *pub = json_object_get(r, "published");
    if (pub && (!json_is_integer(pub) || json_integer_value(pub) < 0))
        return bad(err, path, mod, ver, "'published' is not a non-negative integer");
    json_t *yanked = json_object_get(r, "yanked");
    if (yanked && !json_is_string(yanked))
        return bad(err, path, mod, ver, "'yanked' is not a string");
    if (!wh_hex_is_lower(str(r, "sha256"), 64))
        return bad(err, path, mod, ver, "'sha256' is not 64 lower-case hex digits");
    if (!one_of(status, "verified", "untrusted", "unsigned"))
        return bad(err, path, mod, ver, "'signer.status' is not \"verified\", "
                   "\"untrusted\" or \"unsigned\"");
    if (strcmp(status, "unsigned") != 0 && !str(signer, "key_id"))
        return bad(err, path, mod, ver, "'signer.key_id' is missing");
    if (plugin_fields_check(r, json_string_value(kind), &e))
        return bad(err, path, mod, ver, e.reason);
    return 0;
}

int wh_index_versions_check(json_t *versions, const char *path,
                            const char *name, size_t *count, wh_err *err)
{
    const char *ver;
    size_t vlen;     /* by length: a key with a NUL (\u0000) would be checked whole */
    json_t *rec;
    if (!json_is_object(versions))
        return bad(err, path, name, NULL, "'versions' is not an object");
    json_object_keylen_foreach(versions, ver, vlen, rec) {
        wh_semver v;
        wh_err e;
        if (wh_semver_parse(&v, ver, vlen, &e))
            return bad(err, path, name, ver, e.reason);
        int rc = check_record(rec, path, name, ver, err);
        if (rc)
            return rc;
        (*count)++;
    }
    return 0;
}

static int check_modules(wh_index *ix, json_t *modules, const char *path,
                         wh_err *err)
{
    const char *name;
    size_t nlen;
    json_t *mod;
    if (!json_is_object(modules))
        return bad(err, path, NULL, NULL, "'modules' is not an object");
    json_object_keylen_foreach(modules, name, nlen, mod) {
        wh_err e;
        if (wh_pkg_name_check(name, nlen, &e))
            return bad(err, path, NULL, NULL, e.reason);
        int rc = wh_index_versions_check(json_object_get(mod, "versions"), path,
                                         name, &ix->packages, err);
        if (rc)
            return rc;
        ix->modules++;
    }
    return 0;
}

static int check_document(wh_index *ix, const char *path, wh_err *err)
{
    json_t *j = ix->json, *repo = json_object_get(j, "repository");
    json_t *serial = json_object_get(j, "serial"), *gen = json_object_get(j, "generated"),
           *exp = json_object_get(j, "expires");
    const char *format = str(j, "format");
    if (!format || strcmp(format, WH_INDEX_FORMAT) != 0)
        return bad(err, path, NULL, NULL, "'format' is not \"" WH_INDEX_FORMAT "\"");
    if (!str(repo, "name") || !str(repo, "key_id"))
        return bad(err, path, NULL, NULL, "'repository' lacks 'name' or 'key_id'");
    if (!json_is_integer(serial) || json_integer_value(serial) < 1)
        return bad(err, path, NULL, NULL, "'serial' is not an integer of at least 1");
    if (!json_is_integer(gen) || !json_is_integer(exp))
        return bad(err, path, NULL, NULL, "'generated' or 'expires' is not an integer");
    ix->generated = json_integer_value(gen);
    if (json_integer_value(serial) != ix->head.serial ||
        json_integer_value(exp) != ix->head.expires)
        return wh_fail(err, WH_E_VERIFY, path, -1, "serial or expiry differs "
                       "from the signature's trusted comment");
    return check_modules(ix, json_object_get(j, "modules"), path, err);
}

/* The bytes must be the canonical form of what they parse to: one index,
 * one byte string, so its hash and signature name it exactly.  Checked on
 * the bytes in one pass (wh_json_canon_check) rather than by writing the
 * tree back, which cost a quarter of `wharf update`; parsing comes first
 * so that malformed JSON keeps the parser's line:column message. */
static int parse_canonical(wh_index *ix, const char *path, wh_err *err)
{
    int rc = wh_json_parse(ix->bytes, ix->len, path, &ix->json, err);
    return rc ? rc : wh_json_canon_check(ix->bytes, ix->len, path, err);
}

int wh_index_verify(wh_index *ix, const wh_minisign_sig *sig,
                    const wh_minisign_pubkey *pk, char *bytes, size_t len,
                    const char *path, const char *sig_path, wh_err *err)
{
    memset(ix, 0, sizeof *ix);
    ix->bytes = bytes;
    ix->len = len;
    uint8_t d[WH_SHA256_BYTES];
    char mine[WH_SHA256_HEX], id[17];
    int rc = wh_index_head_check(sig, pk, sig_path, &ix->head, err);
    if (rc == 0)
        rc = wh_minisign_verify_buffer(sig, pk, bytes, len, sig_path, 0, err);
    if (rc == 0)
        rc = wh_sha256_buf(bytes, len, d, err);
    if (rc == 0) {
        wh_hex_encode(mine, d, sizeof d, 0);
        if (strcmp(mine, ix->head.sha256) != 0)
            rc = wh_fail(err, WH_E_VERIFY, sig_path, -1, "trusted comment's sha256 "
                         "%s is not that of '%s' (%s)", ix->head.sha256, path, mine);
    }
    if (rc == 0)
        rc = parse_canonical(ix, path, err);
    if (rc == 0)
        rc = check_document(ix, path, err);
    wh_minisign_keyid_hex(pk->key_id, id);
    if (rc == 0 && strcmp(str(json_object_get(ix->json, "repository"), "key_id"), id))
        rc = wh_fail(err, WH_E_VERIFY, path, -1, "'repository.key_id' is not %s, "
                     "the key it is signed with", id);
    if (rc)
        wh_index_free(ix);
    return rc;
}

/* An index file: capped, never through a link (a site may be on a
 * stranger's USB stick). */
static int read_index(const char *path, char **bytes, size_t *len, wh_err *err)
{
    return wh_file_read_stat(path, WH_INDEX_MAX, WH_READ_NOFOLLOW, bytes, len,
                             NULL, err);
}

int wh_index_load(wh_index *ix, const char *site, const wh_minisign_pubkey *pk,
                  wh_err *err)
{
    memset(ix, 0, sizeof *ix);
    char sig_path[4096], path[4096], rel[128];
    wh_minisign_sig sig;
    wh_index_head h;
    char *bytes;
    size_t len;
    if (snprintf(sig_path, sizeof sig_path, "%s/" WH_INDEX_SIG, site) >= (int)sizeof sig_path)
        return wh_fail(err, WH_E_LIMIT, site, -1, "path too long");
    int rc = wh_index_head_load(sig_path, pk, &sig, &h, err);
    snprintf(path, sizeof path, "%s/" WH_INDEX_JSON, site);
    if (rc == WH_E_NOTFOUND && access(path, F_OK) == 0)
        rc = wh_fail(err, WH_E_VERIFY, sig_path, -1, "the signature is missing");
    if (rc)
        return rc;
    wh_index_byhash(rel, sizeof rel, h.sha256, "");
    snprintf(path, sizeof path, "%s/%s", site, rel);
    rc = read_index(path, &bytes, &len, err);
    if (rc == WH_E_NOTFOUND) {      /* a site from before by-hash */
        snprintf(path, sizeof path, "%s/" WH_INDEX_JSON, site);
        rc = read_index(path, &bytes, &len, err);
    }
    return rc ? rc : wh_index_verify(ix, &sig, pk, bytes, len, path, sig_path, err);
}

void wh_index_free(wh_index *ix)
{
    if (ix->snap) {
        wh_snap_free(ix->snap);
        free(ix->snap);
    }
    free(ix->bytes);
    json_decref(ix->json);
    memset(ix, 0, sizeof *ix);
}

/* --- latest ----------------------------------------------------------------- */

/* Is a newer than the best so far (*best, parsed into *bv)? */
static int newer(const char *a, const char *best, wh_semver *bv)
{
    wh_semver av;
    if (wh_semver_parse(&av, a, strlen(a), NULL))
        return 0;
    if (best && wh_semver_compare(&av, bv) < 0)
        return 0;
    if (best && wh_semver_compare(&av, bv) == 0 && strcmp(a, best) <= 0)
        return 0;                 /* equal precedence: the larger build text */
    *bv = av;
    return 1;
}

const char *wh_index_latest(const json_t *versions)
{
    const char *best[3] = { NULL, NULL, NULL }, *ver;
    wh_semver bv[3];
    json_t *rec;
    json_object_foreach((json_t *)versions, ver, rec) {
        int yanked = json_object_get(rec, "yanked") != NULL;
        int pre = strchr(ver, '-') && (!strchr(ver, '+') || strchr(ver, '-') < strchr(ver, '+'));
        for (int k = 0; k < 3; k++)
            if ((k == 2 || (!yanked && (k == 1 || !pre))) && newer(ver, best[k], &bv[k]))
                best[k] = ver;
    }
    return best[0] ? best[0] : best[1] ? best[1] : best[2];
}

/* --- packages --------------------------------------------------------------- */

int wh_index_packages(const wh_index *ix, wh_index_pkg **out, size_t *n,
                      wh_err *err)
{
    const char *mname, *ver;
    json_t *mod, *rec, *modules = json_object_get(ix->json, "modules");
    size_t i = 0;
    wh_index_pkg *v = calloc(ix->packages ? ix->packages : 1, sizeof *v);
    *out = v;
    *n = 0;
    if (!v)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    json_object_foreach(modules, mname, mod) {
        json_object_foreach(json_object_get(mod, "versions"), ver, rec) {
            wh_index_pkg *p = &v[i++];
            p->module = mname;
            p->version = ver;
            p->kind = str(rec, "kind");
            p->path = str(rec, "path");
            p->sha256 = str(rec, "sha256");
            p->size = (uint64_t)json_integer_value(json_object_get(rec, "size"));
            json_t *pub = json_object_get(rec, "published");
            p->published = pub ? (int64_t)json_integer_value(pub) : ix->generated;
            /* A processed package's publisher signed the original, so
             * no .minisig is published beside it. */
            p->has_sig = strcmp(str(json_object_get(rec, "signer"), "status"),
                                "unsigned") != 0 && strcmp(p->kind, "par") != 0 &&
                         !json_object_get(rec, "original_sha256");
            p->record = rec;
        }
    }
    *n = i;
    return 0;
}

static int digest_matches(const wh_index_pkg *p, const uint8_t d[WH_SHA256_BYTES],
                          const char *path, wh_err *err)
{
    char hex[WH_SHA256_HEX];
    wh_hex_encode(hex, d, WH_SHA256_BYTES, 0);
    if (strcmp(hex, p->sha256) != 0)
        return wh_fail(err, WH_E_VERIFY, path, -1, "sha256 is %s, the index "
                       "says %s", hex, p->sha256);
    return 0;
}

static int size_matches(const wh_index_pkg *p, uint64_t size, const char *path,
                        wh_err *err)
{
    if (size != p->size)
        return wh_fail(err, WH_E_VERIFY, path, -1, "size is %" PRIu64 " bytes, "
                       "the index says %" PRIu64, size, p->size);
    return 0;
}

int wh_index_pkg_check_mem(const wh_index_pkg *p, const void *data, size_t len,
                           const char *path, wh_err *err)
{
    uint8_t d[WH_SHA256_BYTES];
    int rc = size_matches(p, len, path, err);
    if (rc == 0)
        rc = wh_sha256_buf(data, len, d, err);
    return rc ? rc : digest_matches(p, d, path, err);
}

/* Open path for reading into *fd: a regular file, no link followed, no
 * blocking on a FIFO or device. */
static int open_regular(const char *path, int *fd, struct stat *st, wh_err *err)
{
    int rc = 0;
    *fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (*fd < 0)
        return errno == ELOOP ? wh_fail(err, WH_E_UNSAFE, path, -1,
                                        "symbolic link not followed")
                              : wh_fail_errno(err, errno, path, "cannot open");
    if (fstat(*fd, st) < 0)
        rc = wh_fail_errno(err, errno, path, "cannot stat");
    else if (!S_ISREG(st->st_mode))
        rc = wh_fail(err, WH_E_UNSAFE, path, -1, "not a regular file");
    if (rc) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}

int wh_index_pkg_check(const wh_index_pkg *p, const char *site, wh_err *err)
{
    char path[4096];
    struct stat st;
    uint8_t d[WH_SHA256_BYTES];
    uint64_t got = 0;
    int rc = wh_path_join(path, sizeof path, site, p->path, strlen(p->path), err);
    if (rc)
        return rc;
    int fd;
    rc = open_regular(path, &fd, &st, err);
    if (rc)
        return rc;
    rc = size_matches(p, (uint64_t)st.st_size, path, err);
    if (rc == 0)
        rc = wh_sha256_fd(fd, path, d, &got, err);
    close(fd);
    if (rc == 0)
        rc = size_matches(p, got, path, err);    /* it changed meanwhile */
    if (rc == 0)
        rc = digest_matches(p, d, path, err);
    if (rc == 0 && p->has_sig) {
        strncat(path, ".minisig", sizeof path - strlen(path) - 1);
        if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
            rc = wh_fail(err, WH_E_NOTFOUND, path, -1, "the package's signature "
                         "is missing");
    }
    return rc;
}

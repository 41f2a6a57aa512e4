/* shard.c - the sharded index: its documents written and checked, and a
 * site folder's read.  The layout and the contract are in shard.h; the
 * format is docs/index-format.md ("The sharded index").
 *
 * As in index.c, nothing is trusted before it is pinned: the top level
 * by its signature and the SHA-256 in the signature's trusted comment, a
 * bin by the digest the verified top level gives, a module file by the
 * digest its verified bin gives.  Each is checked against its digest
 * before it is parsed, and after parsing against where it was found: a
 * bin may list only the modules that hash to it, a module file must name
 * the module its bin listed it under, so no signed piece can be replayed
 * in another place.
 *
 * Tests: tests/unit/shard_test.c; tests/cli/t1110-wharf-index-sharded.sh.
 */
#include "shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "hex.h"
#include "json.h"
#include "pkg.h"
#include "sha256.h"

unsigned wh_snap_bits_for(size_t modules)
{
    unsigned bits = 0;
    while (bits < WH_SNAP_MAX_BITS &&
           ((size_t)WH_SNAP_BIN_TARGET << bits) < modules)
        bits++;
    return bits;
}

size_t wh_snap_bin_of(const char *name, size_t len, unsigned bits)
{
    uint8_t d[WH_SHA256_BYTES];
    wh_err e;
    if (bits == 0 || wh_sha256_buf(name, len, d, &e))
        return 0;
    uint32_t v = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
                 (uint32_t)d[2] << 8 | d[3];
    return (size_t)(v >> (32 - bits));
}

void wh_snap_comment(char *out, size_t n, const wh_index_head *h)
{
    wh_index_comment_as(out, n, WH_SNAP_FORMAT, h);
}

int wh_snap_path(char *out, size_t n, int kind, const char *hex,
                 const char *suffix)
{
    int w = kind == 'm' ? snprintf(out, n, WH_SNAP_DIR "/modules/%.2s/%s.json%s",
                                   hex, hex, suffix)
          : snprintf(out, n, WH_SNAP_DIR "/%s/%s.json%s",
                     kind == 's' ? "snapshot" : "bins", hex, suffix);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

int wh_snap_hash(const void *bytes, size_t len, char hex[WH_SHA256_HEX],
                 wh_err *err)
{
    uint8_t d[WH_SHA256_BYTES];
    int rc = wh_sha256_buf(bytes, len, d, err);
    if (rc == 0)
        wh_hex_encode(hex, d, sizeof d, 0);
    return rc;
}

/* --- writing -------------------------------------------------------------- */

int wh_snap_module_doc(const char *name, json_t *versions, char **out,
                       size_t *len, wh_err *err)
{
    json_t *doc = json_pack("{sssssO}", "format", WH_MODFILE_FORMAT,
                            "name", name, "versions", versions);
    if (!doc)
        return wh_fail(err, WH_E_NOMEM, name, -1, "cannot build the module file");
    int rc = wh_json_canon(doc, out, len, err);
    json_decref(doc);
    return rc;
}

int wh_snap_bin_doc(json_t *modules, char **out, size_t *len, wh_err *err)
{
    json_t *doc = json_pack("{sssO}", "format", WH_BIN_FORMAT, "modules", modules);
    if (!doc)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, "cannot build a bin");
    int rc = wh_json_canon(doc, out, len, err);
    json_decref(doc);
    return rc;
}

/* --- checking ------------------------------------------------------------- */

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* bytes must hash to want (named by path; what: "bin", "module file"). */
static int digest_check(const char *bytes, size_t len, const char *want,
                        const char *path, wh_err *err)
{
    char got[WH_SHA256_HEX];
    int rc = wh_snap_hash(bytes, len, got, err);
    if (rc == 0 && strcmp(got, want) != 0)
        rc = wh_fail(err, WH_E_VERIFY, path, -1, "sha256 is %s, not %s as the "
                     "signed index says", got, want);
    return rc;
}

static int parse_doc(const char *bytes, size_t len, const char *path,
                     const char *format, json_t **out, wh_err *err)
{
    int rc = wh_json_parse(bytes, len, path, out, err);
    if (rc == 0)
        rc = wh_json_canon_check(bytes, len, path, err);
    if (rc == 0 && (!str(*out, "format") || strcmp(str(*out, "format"), format)))
        rc = wh_fail(err, WH_E_FORMAT, path, -1, "'format' is not \"%s\"", format);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int wh_snap_head_check(const wh_minisign_sig *sig, const wh_minisign_pubkey *pk,
                       const char *sig_path, wh_index_head *h, wh_err *err)
{
    return wh_index_head_check_as(sig, pk, WH_SNAP_FORMAT, sig_path, h, err);
}

int wh_snap_head_load(const char *sig_path, const wh_minisign_pubkey *pk,
                      wh_minisign_sig *sig, wh_index_head *h, wh_err *err)
{
    int rc = wh_minisign_sig_load_flags(sig, sig_path, WH_MINISIGN_NOFOLLOW, err);
    return rc ? rc : wh_snap_head_check(sig, pk, sig_path, h, err);
}

static int int_field(const json_t *j, const char *key, int64_t min, int64_t *out)
{
    json_t *v = json_object_get(j, key);
    if (!json_is_integer(v) || json_integer_value(v) < min)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

/* The top level's fields (the digests of its bins among them). */
static int check_top(wh_snap *s, const char *path, wh_err *err)
{
    json_t *j = s->json, *repo = json_object_get(j, "repository"),
           *bins = json_object_get(j, "bins");
    int64_t serial, expires, bits, modules, packages;
    s->name = str(repo, "name");
    s->key_id = str(repo, "key_id");
    if (!s->name || !s->key_id)
        return wh_fail(err, WH_E_FORMAT, path, -1, "'repository' lacks 'name' or 'key_id'");
    if (int_field(j, "serial", 1, &serial) || int_field(j, "expires", 0, &expires) ||
        int_field(j, "generated", 0, &s->generated) ||
        int_field(j, "modules", 0, &modules) || int_field(j, "packages", 0, &packages))
        return wh_fail(err, WH_E_FORMAT, path, -1, "'serial', 'generated', 'expires', "
                       "'modules' or 'packages' is not a non-negative integer");
    if (serial != s->head.serial || expires != s->head.expires)
        return wh_fail(err, WH_E_VERIFY, path, -1, "serial or expiry differs "
                       "from the signature's trusted comment");
    if (int_field(j, "bin_bits", 0, &bits) || bits > WH_SNAP_MAX_BITS)
        return wh_fail(err, WH_E_FORMAT, path, -1, "'bin_bits' is not an integer "
                       "from 0 to %d", WH_SNAP_MAX_BITS);
    s->bits = (unsigned)bits;
    s->nbins = (size_t)1 << s->bits;
    s->modules = (size_t)modules;
    s->packages = (size_t)packages;
    if (!json_is_array(bins) || json_array_size(bins) != s->nbins)
        return wh_fail(err, WH_E_FORMAT, path, -1, "'bins' is not an array of "
                       "%zu digests", s->nbins);
    s->bins = calloc(s->nbins, sizeof *s->bins);
    s->bin_cache = calloc(s->nbins, sizeof *s->bin_cache);
    if (!s->bins || !s->bin_cache)
        return wh_fail(err, WH_E_NOMEM, path, -1, NULL);
    for (size_t i = 0; i < s->nbins; i++) {
        const char *h = json_string_value(json_array_get(bins, i));
        if (!h || (*h && !wh_hex_is_lower(h, 64)))
            return wh_fail(err, WH_E_FORMAT, path, -1, "bin %zu: not \"\" or 64 "
                           "lower-case hex digits", i);
        s->bins[i] = h;
    }
    return 0;
}

int wh_snap_verify(wh_snap *s, const wh_minisign_sig *sig,
                   const wh_minisign_pubkey *pk, char *bytes, size_t len,
                   const char *path, const char *sig_path, wh_err *err)
{
    memset(s, 0, sizeof *s);
    s->bytes = bytes;
    s->len = len;
    char id[17];
    int rc = wh_snap_head_check(sig, pk, sig_path, &s->head, err);
    if (rc == 0)
        rc = wh_minisign_verify_buffer(sig, pk, bytes, len, sig_path, 0, err);
    if (rc == 0 && (rc = digest_check(bytes, len, s->head.sha256, path, err)) != 0)
        wh_err_prefix(err, "trusted comment");
    if (rc == 0)
        rc = parse_doc(bytes, len, path, WH_SNAP_FORMAT, &s->json, err);
    if (rc == 0)
        rc = check_top(s, path, err);
    wh_minisign_keyid_hex(pk->key_id, id);
    if (rc == 0 && strcmp(s->key_id, id) != 0)
        rc = wh_fail(err, WH_E_VERIFY, path, -1, "'repository.key_id' is not %s, "
                     "the key it is signed with", id);
    if (rc)
        wh_snap_free(s);
    return rc;
}

void wh_snap_free(wh_snap *s)
{
    for (size_t i = 0; s->bin_cache && i < s->nbins; i++)
        json_decref(s->bin_cache[i]);
    free(s->bin_cache);
    free(s->bins);
    json_decref(s->json);
    free(s->bytes);
    memset(s, 0, sizeof *s);
}

int wh_snap_bin_parse(const wh_snap *s, size_t bin, const char *bytes,
                      size_t len, const char *path, json_t **modules,
                      wh_err *err)
{
    json_t *doc = NULL, *m;
    const char *name;
    size_t nlen;
    *modules = NULL;
    int rc = digest_check(bytes, len, s->bins[bin], path, err);
    if (rc == 0)
        rc = parse_doc(bytes, len, path, WH_BIN_FORMAT, &doc, err);
    if (rc)
        return rc;
    json_t *mods = json_object_get(doc, "modules");
    if (!json_is_object(mods) || json_object_size(mods) == 0)
        rc = wh_fail(err, WH_E_FORMAT, path, -1, "'modules' is not a non-empty object");
    json_object_keylen_foreach(mods, name, nlen, m) {
        wh_err e;
        const char *h = json_string_value(m);
        if (rc)
            break;
        if (wh_pkg_name_check(name, nlen, &e))
            rc = wh_fail(err, WH_E_FORMAT, path, -1, "%s", e.reason);
        else if (!h || !wh_hex_is_lower(h, 64))
            rc = wh_fail(err, WH_E_FORMAT, path, -1, "module '%s': not 64 "
                         "lower-case hex digits", name);
        else if (wh_snap_bin_of(name, nlen, s->bits) != bin)
            rc = wh_fail(err, WH_E_VERIFY, path, -1, "module '%s' does not "
                         "belong in bin %zu", name, bin);
    }
    if (rc == 0)
        *modules = json_incref(mods);
    json_decref(doc);
    return rc;
}

int wh_snap_module_parse(const char *name, const char *sha256,
                         const char *bytes, size_t len, const char *path,
                         json_t **versions, size_t *count, wh_err *err)
{
    json_t *doc = NULL;
    *versions = NULL;
    int rc = digest_check(bytes, len, sha256, path, err);
    if (rc == 0)
        rc = parse_doc(bytes, len, path, WH_MODFILE_FORMAT, &doc, err);
    if (rc)
        return rc;
    const char *got = str(doc, "name");
    if (!got || strcmp(got, name) != 0)
        rc = wh_fail(err, WH_E_VERIFY, path, -1, "'name' is not '%s', the module "
                     "its bin lists it for", name);
    json_t *v = json_object_get(doc, "versions");
    if (rc == 0)
        rc = wh_index_versions_check(v, path, name, count, err);
    if (rc == 0 && json_object_size(v) == 0)
        rc = wh_fail(err, WH_E_FORMAT, path, -1, "module '%s': no versions", name);
    if (rc == 0)
        *versions = json_incref(v);
    json_decref(doc);
    return rc;
}

/* --- a site folder -------------------------------------------------------- */

/* A document of the site: capped, never through a link. */
static int read_doc(const char *site, const char *rel, size_t max, char *path,
                    size_t pathsz, char **bytes, size_t *len, wh_err *err)
{
    if (snprintf(path, pathsz, "%s/%s", site, rel) >= (int)pathsz)
        return wh_fail(err, WH_E_LIMIT, site, -1, "path too long");
    return wh_file_read_stat(path, max, WH_READ_NOFOLLOW, bytes, len, NULL, err);
}

int wh_snap_load(wh_snap *s, const char *site, const wh_minisign_pubkey *pk,
                 wh_err *err)
{
    memset(s, 0, sizeof *s);
    char sig_path[4096], path[4096], rel[160];
    wh_minisign_sig sig;
    wh_index_head h;
    char *bytes;
    size_t len;
    if (snprintf(sig_path, sizeof sig_path, "%s/" WH_SNAP_SIG, site) >= (int)sizeof sig_path)
        return wh_fail(err, WH_E_LIMIT, site, -1, "path too long");
    int rc = wh_snap_head_load(sig_path, pk, &sig, &h, err);
    if (rc == 0)
        wh_snap_path(rel, sizeof rel, 's', h.sha256, "");
    if (rc == 0)
        rc = read_doc(site, rel, WH_SNAP_MAX, path, sizeof path, &bytes, &len, err);
    return rc ? rc : wh_snap_verify(s, &sig, pk, bytes, len, path, sig_path, err);
}

int wh_snap_load_hash(wh_snap *s, const char *site, const char *hex, wh_err *err)
{
    char path[4096], rel[160], *bytes;
    size_t len;
    memset(s, 0, sizeof *s);
    if (!wh_hex_is_lower(hex, 64))
        return wh_fail(err, WH_E_FORMAT, hex, -1, "not a top level's digest");
    wh_snap_path(rel, sizeof rel, 's', hex, "");
    int rc = read_doc(site, rel, WH_SNAP_MAX, path, sizeof path, &bytes, &len, err);
    if (rc)
        return rc;
    s->bytes = bytes;
    s->len = len;
    snprintf(s->head.sha256, sizeof s->head.sha256, "%s", hex);
    rc = digest_check(bytes, len, hex, path, err);
    if (rc == 0)
        rc = parse_doc(bytes, len, path, WH_SNAP_FORMAT, &s->json, err);
    if (rc == 0) {       /* what check_top compares with a signature's comment */
        s->head.serial = json_integer_value(json_object_get(s->json, "serial"));
        s->head.expires = json_integer_value(json_object_get(s->json, "expires"));
        rc = check_top(s, path, err);
    }
    if (rc)
        wh_snap_free(s);
    return rc;
}

int wh_snap_bin(wh_snap *s, const char *site, size_t bin, json_t **modules,
                wh_err *err)
{
    char path[4096], rel[160], *bytes;
    size_t len;
    *modules = NULL;
    if (s->bin_cache[bin] || !*s->bins[bin]) {
        *modules = s->bin_cache[bin];
        return 0;
    }
    wh_snap_path(rel, sizeof rel, 'b', s->bins[bin], "");
    int rc = read_doc(site, rel, WH_BIN_MAX, path, sizeof path, &bytes, &len, err);
    if (rc == WH_E_NOTFOUND)
        rc = wh_fail(err, WH_E_VERIFY, path, -1, "missing: the signed index lists "
                     "it as bin %zu", bin);
    if (rc == 0) {
        rc = wh_snap_bin_parse(s, bin, bytes, len, path, &s->bin_cache[bin], err);
        free(bytes);
    }
    *modules = s->bin_cache[bin];
    return rc;
}

static int module_read(const char *site, const char *name, const char *hex,
                       json_t **versions, size_t *count, wh_err *err)
{
    char path[4096], rel[160], *bytes;
    size_t len;
    wh_snap_path(rel, sizeof rel, 'm', hex, "");
    int rc = read_doc(site, rel, WH_MODFILE_MAX, path, sizeof path, &bytes, &len, err);
    if (rc == WH_E_NOTFOUND)
        rc = wh_fail(err, WH_E_VERIFY, path, -1, "missing: the signed index lists "
                     "it for module '%s'", name);
    if (rc == 0) {
        rc = wh_snap_module_parse(name, hex, bytes, len, path, versions, count, err);
        free(bytes);
    }
    return rc;
}

int wh_snap_module_read(const char *site, const char *name, const char *hex,
                        json_t **versions, wh_err *err)
{
    size_t count;
    return module_read(site, name, hex, versions, &count, err);
}

int wh_snap_module(wh_snap *s, const char *site, const char *name,
                   json_t **versions, wh_err *err)
{
    json_t *mods;
    size_t count = 0;
    *versions = NULL;
    int rc = wh_snap_bin(s, site, wh_snap_bin_of(name, strlen(name), s->bits),
                         &mods, err);
    const char *hex = json_string_value(json_object_get(mods, name));
    if (rc == 0 && !hex)
        rc = wh_fail(err, WH_E_NOTFOUND, name, -1, "no such module");
    return rc ? rc : module_read(site, name, hex, versions, &count, err);
}

/* Every module of bin b into modules (name -> {"versions": ...}). */
static int load_bin_modules(wh_snap *s, const char *site, size_t b,
                            json_t *modules, wh_index *ix, wh_err *err)
{
    json_t *mods, *h;
    const char *name;
    int rc = wh_snap_bin(s, site, b, &mods, err);
    json_object_foreach(mods, name, h) {
        json_t *v;
        if (rc)
            break;
        rc = module_read(site, name, json_string_value(h), &v, &ix->packages, err);
        if (rc == 0 && json_object_set_new(modules, name, json_pack("{so}", "versions", v)))
            rc = wh_fail(err, WH_E_NOMEM, site, -1, NULL);
        ix->modules++;
    }
    json_decref(s->bin_cache[b]);     /* read once: do not hold them all twice */
    s->bin_cache[b] = NULL;
    return rc;
}

int wh_snap_count_check(const wh_snap *s, const char *site, size_t modules,
                        size_t packages, wh_err *err)
{
    if (modules == s->modules && packages == s->packages)
        return 0;
    return wh_fail(err, WH_E_VERIFY, site, -1, "the bins list %zu modules and "
                   "%zu versions, the signed index says %zu and %zu",
                   modules, packages, s->modules, s->packages);
}

/* An index.json-shaped tree of s with no module yet: *modules. */
static int index_shell(const wh_snap *s, wh_index *ix, json_t **modules,
                       const char *site, wh_err *err)
{
    memset(ix, 0, sizeof *ix);
    *modules = json_object();
    ix->json = json_pack("{sss{ssss}sIsIsIso}", "format", WH_INDEX_FORMAT,
                         "repository", "name", s->name, "key_id", s->key_id,
                         "serial", (json_int_t)s->head.serial,
                         "generated", (json_int_t)s->generated,
                         "expires", (json_int_t)s->head.expires, "modules", *modules);
    ix->head = s->head;
    ix->generated = s->generated;
    return ix->json ? 0 : wh_fail(err, WH_E_NOMEM, site, -1, NULL);
}

int wh_snap_part_load(wh_snap *s, const char *site, size_t bin, wh_index *part,
                      wh_err *err)
{
    json_t *modules;
    int rc = index_shell(s, part, &modules, site, err);
    if (rc == 0)
        rc = load_bin_modules(s, site, bin, modules, part, err);
    if (rc)
        wh_index_free(part);
    return rc;
}

int wh_snap_index_load(wh_index *ix, const char *site,
                       const wh_minisign_pubkey *pk, wh_err *err)
{
    wh_snap s;
    json_t *modules;
    memset(ix, 0, sizeof *ix);
    int rc = wh_snap_load(&s, site, pk, err);
    if (rc)
        return rc;
    rc = index_shell(&s, ix, &modules, site, err);
    for (size_t b = 0; rc == 0 && b < s.nbins; b++)
        rc = load_bin_modules(&s, site, b, modules, ix, err);
    if (rc == 0)
        rc = wh_snap_count_check(&s, site, ix->modules, ix->packages, err);
    wh_snap_free(&s);
    if (rc)
        wh_index_free(ix);
    return rc;
}

int wh_site_index_load(wh_index *ix, const char *site,
                       const wh_minisign_pubkey *pk, wh_err *err)
{
    int rc = wh_index_load(ix, site, pk, err);
    return rc == WH_E_NOTFOUND ? wh_snap_index_load(ix, site, pk, err) : rc;
}

/* scan.c - find the packages of PKGDIR, remember them, read them in
 * parallel, and apply the rules that need all of them at once.
 *
 * LISTING.  wh_walk gives every file below PKGDIR in sorted order, which
 * fixes the order of everything after it (messages, the exit status of
 * the first failure, the index).  A file is a package when its name says
 * so (*.ferrpkg, *.par, *.par.gz, *.zip) or, for any other name, when its
 * first bytes are those of a format (FPKG, gzip, zip, tar); FILE.minisig
 * is FILE's signature; everything else is ignored.  Which format a
 * package is in is then the reader's business (by content, never by name).
 *
 * THE CACHE.  SITE/.wharf-cache.json maps each path below PKGDIR to the
 * size, mtime (ns) and inode it had when it was read, and to what reading
 * it gave: the package (wh_pkg as JSON), the reason it was refused, or
 * "not a package".  For an unchanged signature file it also keeps the
 * signature's key id and the public key that verified it.  A file whose
 * three stats are unchanged is not opened again; so a rebuild after one
 * file changed reads that file only, and since the cached wh_pkg is the
 * same JSON the reader produced, the index it gives is byte for byte a
 * full build's.  Rules:
 *   - The cache is signed with the repository key (.wharf-cache.json
 *     .minisig): whoever can write SITE but does not hold the key cannot
 *     make the repository sign a hash it never computed.  A cache that is
 *     missing, unsigned, of another wharf version or damaged is ignored.
 *   - "Racy" entries are not saved: a file modified less than two seconds
 *     before the scan began could be modified again within the same
 *     timestamp tick without its stats changing (git's racy-clean
 *     problem; two seconds covers FAT's resolution).
 *   - Refusals are cached only where they cannot change with time: I/O
 *     errors never, and nothing of a PAR (its claims have validity times);
 *     a cached PAR whose claims expired (or were not yet valid) is read
 *     again.
 *   - A record that still holds is written back as it was parsed, so a
 *     no-op rebuild does not rebuild ten thousand JSON objects.
 *   - The cache also floors the serial (ix_cache_save's serial).
 *
 * READING.  Pending entries are read on --jobs threads: each worker reads
 * one whole file into memory (one pass over the bytes), hands it to
 * wh_pkg_read_mem (format, checksums, SHA-256, wasmrt validation) and
 * checks the detached signature on the same buffer.  Workers touch only
 * their own entry; results are reported afterwards in walk order, so the
 * output does not depend on scheduling.
 *
 * Tests: tests/cli/t1100-wharf-index-build.sh, t1102-wharf-index-
 * incremental.sh; tests/bench/index.sh measures it.
 */
#include "indexer/indexer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/semver.h"

#define CACHE_FORMAT  "wharf-cache/2"   /* 2: records name the ferrpkg checksum algorithm */
#define CACHE_NAME    ".wharf-cache.json"
#define CACHE_MAX     ((size_t)1 << 30)
#define RACY_NS       (2LL * 1000000000)
#define SNIFF_BYTES   512

/* --- small helpers ------------------------------------------------------ */

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

static int package_named(const char *rel)
{
    return has_suffix(rel, ".ferrpkg") || has_suffix(rel, ".par") ||
           has_suffix(rel, ".par.gz") || has_suffix(rel, ".zip");
}

/* The site extension for a package of this kind whose bytes start so. */
static const char *site_ext(wh_pkg_kind kind, const uint8_t *d, size_t n)
{
    switch (kind) {
    case WH_PKG_FERRPKG: return ".ferrpkg";
    case WH_PKG_BUNDLE:  return ".zip";
    default: return n >= 2 && d[0] == 0x1f && d[1] == 0x8b ? ".par.gz" : ".par";
    }
}

/* 1 when the first bytes are those of a package format. */
static int magic_is_package(const uint8_t *d, size_t n)
{
    return (n >= 4 && memcmp(d, "FPKG", 4) == 0) ||
           (n >= 2 && d[0] == 0x1f && d[1] == 0x8b) ||
           (n >= 4 && memcmp(d, "PK\3\4", 4) == 0) ||
           (n >= 262 && memcmp(d + 257, "ustar", 5) == 0);
}

void ix_stat_from(ix_stat *s, const struct stat *st)
{
    s->present = 1;
    s->size = (uint64_t)st->st_size;
    s->ino = (uint64_t)st->st_ino;
    s->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

int ix_stat_same(const ix_stat *a, const ix_stat *b)
{
    return a->present == b->present &&
           (!a->present || (a->size == b->size && a->ino == b->ino &&
                            a->mtime_ns == b->mtime_ns));
}

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- error codes by name (for the cache) -------------------------------- */

static const struct { const char *name; int code; } codes[] = {
#define X(name, reason, exitc) { #name, name },
#include "common/errors.def"
#undef X
};

static const char *code_name(int code)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].code == code)
            return codes[i].name;
    return NULL;
}

static int code_by_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(codes[i].name, name) == 0)
            return codes[i].code;
    return 0;
}

/* --- the cache: JSON in and out ------------------------------------------ */

static json_t *stat_json(const ix_stat *s)
{
    return json_pack("{sIsIsI}", "size", (json_int_t)s->size,
                     "mtime", (json_int_t)s->mtime_ns,
                     "ino", (json_int_t)s->ino);
}

static int stat_from_json(ix_stat *s, json_t *j)
{
    json_t *size = json_object_get(j, "size"), *mtime = json_object_get(j, "mtime"),
           *ino = json_object_get(j, "ino");
    if (!json_is_integer(size) || !json_is_integer(mtime) || !json_is_integer(ino))
        return -1;
    s->present = 1;
    s->size = (uint64_t)json_integer_value(size);
    s->mtime_ns = (int64_t)json_integer_value(mtime);
    s->ino = (uint64_t)json_integer_value(ino);
    return 0;
}

static const char *str_of(json_t *o, const char *key, size_t max)
{
    json_t *v = json_object_get(o, key);
    const char *s = json_string_value(v);
    return s && json_string_length(v) <= max && strlen(s) == json_string_length(v)
           ? s : NULL;
}

static int kind_by_name(const char *s)
{
    for (int k = WH_PKG_FERRPKG; k <= WH_PKG_FORMAT; k++)
        if (s && strcmp(s, wh_pkg_kind_name((wh_pkg_kind)k)) == 0)
            return k;
    return 0;
}

static json_t *pkg_json(const wh_pkg *p, const char *ext)
{
    return json_pack("{sssssssIsssssssssO}",
                     "kind", wh_pkg_kind_name(p->kind), "name", p->name,
                     "version", p->version, "size", (json_int_t)p->size,
                     "sha256", p->sha256, "issuer", p->issuer,
                     "subject", p->subject, "ext", ext,
                     "record", p->record);
}

/* Rebuild a wh_pkg from the cache, checking what the index relies on as
 * the reader would have; -1 if anything is off (the entry is then read). */
static int pkg_from_json(wh_pkg *p, char ext[32], json_t *j)
{
    memset(p, 0, sizeof *p);
    const char *kind = str_of(j, "kind", 16), *name = str_of(j, "name", 64),
               *version = str_of(j, "version", sizeof p->version - 1),
               *sha = str_of(j, "sha256", 64), *iss = str_of(j, "issuer", 56),
               *sub = str_of(j, "subject", 56), *e = str_of(j, "ext", 31);
    json_t *size = json_object_get(j, "size"), *rec = json_object_get(j, "record");
    wh_semver v;
    if (!kind_by_name(kind) || !name || !version || !wh_hex_is_lower(sha, 64) || !iss ||
        !sub || !e || !json_is_integer(size) || json_integer_value(size) < 0 ||
        !json_is_object(rec) || wh_pkg_name_check(name, strlen(name), NULL) ||
        wh_semver_parse(&v, version, strlen(version), NULL))
        return -1;
    p->kind = (wh_pkg_kind)kind_by_name(kind);
    if (p->kind == WH_PKG_FORMAT ? e[0] != '.' || strchr(e, '/') :
        strcmp(e, site_ext(p->kind, (const uint8_t *)"\x1f\x8b", 2)) != 0 &&
        strcmp(e, site_ext(p->kind, (const uint8_t *)"", 0)) != 0)
        return -1;
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->version, sizeof p->version, "%s", version);
    snprintf(p->sha256, sizeof p->sha256, "%s", sha);
    snprintf(p->issuer, sizeof p->issuer, "%s", iss);
    snprintf(p->subject, sizeof p->subject, "%s", sub);
    snprintf(ext, 32, "%s", e);
    p->size = (uint64_t)json_integer_value(size);
    p->record = json_incref(rec);
    return 0;
}

static json_t *err_json(const ix_entry *e)
{
    const wh_err *r = &e->err;
    size_t pl = strlen(e->path);
    json_t *j = json_pack("{sssIsisiss}", "code", code_name(r->code),
                          "offset", (json_int_t)r->offset, "line", r->line,
                          "col", r->col, "reason", r->reason);
    if (j && strncmp(r->path, e->path, pl) == 0)
        json_object_set_new(j, "path_rest", json_string(r->path + pl));
    else if (j)
        json_object_set_new(j, "path", json_string(r->path));
    return j;
}

static int err_from_json(ix_entry *e, json_t *j)
{
    const char *reason = str_of(j, "reason", sizeof e->err.reason - 1),
               *rest = str_of(j, "path_rest", 256), *path = str_of(j, "path", 500);
    json_t *off = json_object_get(j, "offset"), *line = json_object_get(j, "line"),
           *col = json_object_get(j, "col");
    int code = code_by_name(str_of(j, "code", 32));
    if (!code || !reason || (!rest && !path) || !json_is_integer(off) ||
        !json_is_integer(line) || !json_is_integer(col))
        return -1;
    wh_err_clear(&e->err);
    e->err.code = code;
    if (rest)
        snprintf(e->err.path, sizeof e->err.path, "%s%s", e->path, rest);
    else
        snprintf(e->err.path, sizeof e->err.path, "%s", path);
    e->err.offset = json_integer_value(off);
    e->err.line = (int)json_integer_value(line);
    e->err.col = (int)json_integer_value(col);
    snprintf(e->err.reason, sizeof e->err.reason, "%s", reason);
    return 0;
}

/* A cached PAR's claims are only good while their validity times hold
 * (common/jwt.c's rule: expired when exp < now, early when now < nbf). */
static int par_still_valid(const wh_pkg *p, int64_t now)
{
    json_t *par = json_object_get(p->record, "par");
    json_t *exp = json_object_get(par, "expires"), *nbf = json_object_get(par, "not_before");
    return !(json_is_integer(exp) && json_integer_value(exp) < now) &&
           !(json_is_integer(nbf) && now < json_integer_value(nbf));
}

/* Answer e from its cache record c, if its stats still match.  Returns 1
 * when nothing more needs doing, 0 when the file must be read. */
/* The plugins that judged a cached record must be the build's. */
static int same_plugins(const json_t *c, const ix_plugset *ps)
{
    const char *id = json_string_value(json_object_get(c, "plugins"));
    return strcmp(id ? id : "", ix_plugset_id(ps)) == 0;
}

/* A processed package's copy in SITE is the only place its bytes are
 * kept: it must still be what was placed, else the package is read (and
 * processed) again. */
static int processed_intact(const ix_scan *s, const ix_entry *e)
{
    if (!json_object_get(e->pkg.record, "original_sha256"))
        return 1;
    char path[PATH_MAX];
    struct stat st;
    ix_stat cur;
    if (!s->site || snprintf(path, sizeof path, "%s/packages/%s@%s%s", s->site,
                             e->pkg.name, e->pkg.version, e->ext) >= (int)sizeof path ||
        lstat(path, &st) != 0)
        return 0;
    ix_stat_from(&cur, &st);
    return e->placed.present && ix_stat_same(&cur, &e->placed);
}

static int from_cache(const ix_scan *s, ix_entry *e, json_t *c, const ix_trust *t,
                      int64_t now)
{
    ix_stat st;
    if (!json_is_object(c) || stat_from_json(&st, c) || !ix_stat_same(&st, &e->st) ||
        !same_plugins(c, s->plugins))
        return 0;
    json_t *pkg = json_object_get(c, "pkg"), *er = json_object_get(c, "error");
    e->cached = c;
    if (json_is_true(json_object_get(c, "skip"))) {
        e->state = IX_SKIP;
        return 1;
    }
    if (er) {
        if (err_from_json(e, er))
            return e->cached = NULL, 0;
        e->state = IX_BAD;
        e->cache_err = 1;
        return 1;
    }
    e->cached = NULL;
    if (!pkg || pkg_from_json(&e->pkg, e->ext, pkg))
        return 0;
    if (e->pkg.kind == WH_PKG_PAR && !par_still_valid(&e->pkg, now)) {
        wh_pkg_free(&e->pkg);
        return 0;
    }
    e->have_pkg = 1;
    json_t *pub = json_object_get(c, "published");
    if (json_is_integer(pub) && json_integer_value(pub) >= 0) {
        e->published = (int64_t)json_integer_value(pub);
        e->has_published = 1;      /* same file, so the same release */
    }
    ix_stat pl;
    json_t *placed = json_object_get(c, "placed");
    if (placed && stat_from_json(&pl, placed) == 0)
        e->placed = e->placed0 = pl;
    if (!processed_intact(s, e)) {
        wh_pkg_free(&e->pkg);
        e->have_pkg = 0;
        return 0;
    }
    e->state = IX_OK;
    if (e->pkg.kind == WH_PKG_PAR || !e->sig_st.present) {
        e->sig_ok = 1;   /* unsigned, or a PAR: judged in ix_scan_judge */
        e->cached = c;
        return 1;
    }
    json_t *sig = json_object_get(c, "sig");
    const char *kid = str_of(sig, "key_id", WH_NKEY_LEN),
               *with = str_of(sig, "verified_with", WH_MINISIGN_PUBKEY_B64_LEN);
    ix_stat sst;
    if (sig && kid && with && stat_from_json(&sst, sig) == 0 &&
        ix_stat_same(&sst, &e->sig_st) &&
        ix_trust_minisig_cached(t, kid, with, &e->signer)) {
        e->sig_ok = 1;
        e->cached = c;
        return 1;
    }
    e->state = IX_PENDING;   /* the package is known; its signature is not */
    if (ix_plugset_count(s->plugins)) {
        wh_pkg_free(&e->pkg);   /* plugins see the signer: judge it all again */
        e->have_pkg = 0;
    }
    return 0;
}

static void cache_note(char *why, size_t n, const char *path, const wh_err *e)
{
    char msg[1024];
    if (e)
        wh_err_format(e, msg, sizeof msg);
    snprintf(why, n, "%s: ignored: %s", path, e ? msg : "not a wharf cache of this version");
}

void ix_cache_load(ix_scan *s, const char *site, const wh_minisign_pubkey *pk,
                   char *why, size_t whylen)
{
    why[0] = '\0';
    char *path = ix_join(site, "/", CACHE_NAME), *sig_path = ix_join(site, "/", CACHE_NAME ".minisig");
    char *data = NULL;
    size_t len = 0;
    json_t *root = NULL;
    wh_err e;
    wh_minisign_sig sig;
    if (!path || !sig_path)
        goto out;
    int rc = wh_file_read(path, CACHE_MAX, &data, &len, &e);
    if (rc == WH_E_NOTFOUND)
        goto out;
    if (rc == 0)
        rc = wh_minisign_sig_load(&sig, sig_path, &e);
    if (rc == 0)
        rc = wh_minisign_verify_buffer(&sig, pk, data, len, sig_path, 0, &e);
    if (rc == 0)
        rc = wh_json_parse(data, len, path, &root, &e);
    if (rc) {
        cache_note(why, whylen, path, &e);
        goto out;
    }
    json_t *serial = json_object_get(root, "serial"), *entries = json_object_get(root, "entries");
    if (!json_is_string(json_object_get(root, "format")) ||
        strcmp(json_string_value(json_object_get(root, "format")), CACHE_FORMAT) != 0 ||
        !json_is_string(json_object_get(root, "wharf")) ||
        strcmp(json_string_value(json_object_get(root, "wharf")), WHARF_VERSION) != 0 ||
        !json_is_integer(serial) || json_integer_value(serial) < 0 ||
        !json_is_object(entries)) {
        cache_note(why, whylen, path, NULL);
        goto out;
    }
    s->cache = json_incref(entries);
    s->cache_serial = json_integer_value(serial);
    s->cache_complete = json_is_true(json_object_get(root, "complete"));
out:
    json_decref(root);
    free(data);
    free(path);
    free(sig_path);
}

static int racy(const ix_scan *s, const ix_stat *st)
{
    return st->mtime_ns > s->start_ns - RACY_NS;
}

/* The cache record of e, or NULL when nothing about it may be kept. */
static json_t *entry_record(const ix_scan *s, const ix_entry *e)
{
    if (!e->st.present || racy(s, &e->st))
        return NULL;
    /* What the cache said, still true: reuse it as is (a rebuild of ten
     * thousand records would cost more than the rest of a no-op build). */
    json_t *pub = e->cached ? json_object_get(e->cached, "published") : NULL;
    if (e->cached && !e->was_read && e->placed.present == e->placed0.present &&
        (!e->placed.present || ix_stat_same(&e->placed, &e->placed0)) &&
        (e->state != IX_OK || (json_is_integer(pub) &&
                               json_integer_value(pub) == e->published)))
        return json_incref(e->cached);
    json_t *j = stat_json(&e->st);
    if (!j)
        return NULL;
    if (*ix_plugset_id(s->plugins))
        json_object_set_new(j, "plugins", json_string(ix_plugset_id(s->plugins)));
    if (e->state == IX_SKIP) {
        json_object_set_new(j, "skip", json_true());
    } else if (e->have_pkg) {
        json_object_set_new(j, "pkg", pkg_json(&e->pkg, e->ext));
        if (e->pkg.kind != WH_PKG_PAR && e->sig_ok && e->sig_st.present &&
            e->signer.status != IX_UNSIGNED && !racy(s, &e->sig_st)) {
            json_t *sig = stat_json(&e->sig_st);
            json_object_set_new(sig, "key_id", json_string(e->signer.key_id));
            json_object_set_new(sig, "verified_with",
                                json_string(e->signer.verified_with));
            json_object_set_new(j, "sig", sig);
        }
        if (e->state == IX_OK && e->placed.present)
            json_object_set_new(j, "placed", stat_json(&e->placed));
        if (e->state == IX_OK && e->has_published)
            json_object_set_new(j, "published", json_integer((json_int_t)e->published));
    } else if (e->state == IX_BAD && e->cache_err) {
        json_object_set_new(j, "error", err_json(e));
    } else {
        json_decref(j);
        return NULL;
    }
    return j;
}

int ix_cache_save(const ix_scan *s, const char *site, int64_t serial,
                  const wh_minisign_seckey *sk, wh_err *err)
{
    json_t *entries = json_object();
    json_t *root = json_pack("{sssssIso}", "format", CACHE_FORMAT,
                             "wharf", WHARF_VERSION, "serial", (json_int_t)serial,
                             "entries", entries);
    int complete = 1;      /* every package of this index has its record */
    char *path = ix_join(site, "/", CACHE_NAME), *sig_path = ix_join(site, "/", CACHE_NAME ".minisig");
    char *text = NULL;
    size_t len;
    int rc = 0;
    if (!root || !path || !sig_path) {
        rc = wh_fail(err, WH_E_NOMEM, site, -1, NULL);
        goto out;
    }
    for (size_t i = 0; i < s->n; i++) {
        json_t *r = entry_record(s, &s->v[i]);
        complete &= r != NULL || s->v[i].state != IX_OK;
        if (r && json_object_set_new(entries, s->v[i].rel, r)) {
            rc = wh_fail(err, WH_E_NOMEM, path, -1, NULL);
            goto out;
        }
    }
    if (json_object_set_new(root, "complete", json_boolean(complete))) {
        rc = wh_fail(err, WH_E_NOMEM, path, -1, NULL);
        goto out;
    }
    wh_minisign_sig sig;
    rc = wh_json_canon(root, &text, &len, err);
    if (rc == 0)
        rc = wh_file_write_atomic(path, text, len, 0644, err);
    if (rc == 0)
        rc = wh_minisign_sign_buffer(&sig, sk, text, len, CACHE_FORMAT,
                                     "signature of the wharf-index cache", 0, err);
    if (rc == 0)
        rc = wh_minisign_sig_save(&sig, sig_path, err);
out:
    free(text);
    free(path);
    free(sig_path);
    json_decref(root);
    return rc;
}

/* --- release dates --------------------------------------------------------- */

/* "name@version" -> the cache's record of it, for every package the
 * cache knows (NULL: no memory). */
static json_t *cache_by_version(const ix_scan *s)
{
    json_t *map = json_object(), *rec;
    const char *path;
    json_object_foreach(s->cache, path, rec) {
        json_t *pkg = json_object_get(rec, "pkg");
        const char *name = json_string_value(json_object_get(pkg, "name")),
                   *ver = json_string_value(json_object_get(pkg, "version"));
        char key[512];
        if (map && name && ver &&
            snprintf(key, sizeof key, "%s@%s", name, ver) < (int)sizeof key &&
            json_object_set(map, key, rec)) {
            json_decref(map);
            return NULL;
        }
    }
    return map;
}

int ix_scan_date_cached(ix_scan *s, int64_t prev_serial)
{
    json_t *map = NULL;
    int undated = 0;
    for (size_t i = 0; i < s->n; i++) {
        ix_entry *e = &s->v[i];
        if (e->state != IX_OK || e->has_published)
            continue;
        if (!map && s->cache && !(map = cache_by_version(s)))
            return 1;
        char key[512];
        snprintf(key, sizeof key, "%s@%s", e->pkg.name, e->pkg.version);
        json_t *rec = json_object_get(map, key), *pub = json_object_get(rec, "published");
        const char *sha = json_string_value(json_object_get(json_object_get(rec, "pkg"), "sha256"));
        if (rec && sha && !strcmp(sha, e->pkg.sha256) && json_is_integer(pub) &&
            json_integer_value(pub) >= 0) {
            e->published = (int64_t)json_integer_value(pub);   /* moved or renamed */
            e->has_published = 1;
        } else if (!rec)
            undated = 1;
        /* else: that version with other bytes, so a new release: now */
    }
    json_decref(map);
    /* A complete cache of the current index lists every package it has. */
    return undated && !(s->cache_complete && s->cache_serial == prev_serial);
}

/* The previous index's "published" for e's file (module, version and
 * SHA-256), or -1. */
static int64_t prev_published(const ix_entry *e, const json_t *prev)
{
    json_t *v = json_object_get(json_object_get(json_object_get(prev,
                    e->pkg.name), "versions"), e->pkg.version);
    json_t *t = json_object_get(v, "published");
    const char *sha = json_string_value(json_object_get(v, "sha256"));
    if (!json_is_integer(t) || json_integer_value(t) < 0 || !sha ||
        strcmp(sha, e->pkg.sha256) != 0)
        return -1;
    return (int64_t)json_integer_value(t);
}

void ix_scan_date(ix_scan *s, const json_t *prev, int64_t now)
{
    for (size_t i = 0; i < s->n; i++) {
        ix_entry *e = &s->v[i];
        if (e->state != IX_OK)
            continue;
        if (!e->has_published && (e->published = prev_published(e, prev)) >= 0)
            e->has_published = 1;
        if (!e->has_published || e->published > now)
            e->published = now;    /* new, or dated after this build */
        e->has_published = 1;
    }
}

/* --- listing ------------------------------------------------------------- */

typedef struct list_walk {
    ix_scan    *s;
    const char *pkgdir;
    const ix_trust *trust;
    wh_err     *err;
} list_walk;

static ix_entry *add_entry(ix_scan *s, const char *pkgdir, const char *rel)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        ix_entry *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return NULL;
        s->v = v;
        s->cap = cap;
    }
    ix_entry *e = &s->v[s->n];
    memset(e, 0, sizeof *e);
    wh_err_clear(&e->err);
    e->rel = strdup(rel);
    e->path = ix_join(pkgdir, "/", rel);
    e->sig_path = e->path ? ix_join(e->path, ".minisig", "") : NULL;
    if (!e->rel || !e->path || !e->sig_path) {
        free(e->rel);
        free(e->path);
        free(e->sig_path);
        return NULL;
    }
    s->n++;
    return e;
}

/* The first bytes of path (up to n) into buf; how many were read (0 when
 * it cannot be opened).  Never follows a link or blocks on a FIFO. */
static size_t sniff_bytes(const char *path, uint8_t *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t r;
    while ((r = pread(fd, buf, n, 0)) < 0 && errno == EINTR)
        ;
    close(fd);
    return r > 0 ? (size_t)r : 0;
}

/* Is path a package by content? */
static int sniff(const char *path)
{
    uint8_t buf[SNIFF_BYTES];
    return magic_is_package(buf, sniff_bytes(path, buf, sizeof buf));
}

static int on_file(const char *path, const char *rel, const struct stat *st,
                   void *ctx)
{
    list_walk *w = ctx;
    if (S_ISDIR(st->st_mode) || has_suffix(rel, ".minisig"))
        return 0;
    const char *claimed;
    int named = package_named(rel) || ix_plugset_claim(w->s->plugins, rel, &claimed) >= 0;
    if (!named && !S_ISREG(st->st_mode))
        return 0;
    ix_entry *e = add_entry(w->s, w->pkgdir, rel);
    if (!e)
        return wh_fail(w->err, WH_E_NOMEM, path, -1, NULL);
    if (!S_ISREG(st->st_mode)) {
        e->state = IX_BAD;
        wh_fail(&e->err, WH_E_UNSAFE, e->path, -1, S_ISLNK(st->st_mode)
                ? "symbolic link not followed" : "not a regular file");
        return 0;
    }
    ix_stat_from(&e->st, st);
    /* The signature beside a package is looked at, never through: a link
     * or a FIFO there rejects the package, as it would in its place (and
     * read_one loads it with O_NOFOLLOW, in case of a swap after this). */
    struct stat sst;
    if (lstat(e->sig_path, &sst) == 0) {
        if (!S_ISREG(sst.st_mode) && (named || sniff(e->path))) {
            e->state = IX_BAD;
            wh_fail(&e->err, WH_E_UNSAFE, e->sig_path, -1, S_ISLNK(sst.st_mode)
                    ? "symbolic link not followed" : "not a regular file");
            return 0;
        }
        if (S_ISREG(sst.st_mode))
            ix_stat_from(&e->sig_st, &sst);
    }
    const char *ext;
    int h = package_named(rel) ? -1 : ix_plugset_claim(w->s->plugins, rel, &ext);
    if (h >= 0) {
        named = 1;
        e->handler = h + 1;
        snprintf(e->ext, sizeof e->ext, "%s", ext);
    }
    if (w->s->cache && from_cache(w->s, e, json_object_get(w->s->cache, rel), w->trust,
                                   w->s->start_ns / 1000000000)) {
        w->s->ncached++;
        return 0;
    }
    if (!named && !e->have_pkg && !sniff(e->path))
        e->state = IX_SKIP;
    return 0;
}

int ix_scan_list(ix_scan *s, const char *pkgdir, const ix_trust *t, wh_err *err)
{
    s->start_ns = realtime_ns();
    struct stat st;
    if (stat(pkgdir, &st) < 0)
        return wh_fail_errno(err, errno, pkgdir, "cannot open directory");
    if (!S_ISDIR(st.st_mode))
        return wh_fail(err, WH_E_USAGE, pkgdir, -1, "not a directory");
    list_walk w = { s, pkgdir, t, err };
    return wh_walk(pkgdir, on_file, &w, err);
}

int ix_scan_add(ix_scan *s, const char *pkgdir, const char *rel, const ix_trust *t,
                wh_err *err)
{
    char *path = ix_join(pkgdir, "/", rel);
    struct stat st;
    if (!path)
        return wh_fail(err, WH_E_NOMEM, pkgdir, -1, NULL);
    if (!s->start_ns)
        s->start_ns = realtime_ns();
    int rc = lstat(path, &st) < 0 ? (errno == ENOENT || errno == ENOTDIR ? -1
             : wh_fail_errno(err, errno, path, "cannot read")) : 0;
    list_walk w = { s, pkgdir, t, err };
    if (rc == 0)
        rc = on_file(path, rel, &st, &w);
    free(path);
    return rc;
}

/* --- what reading costs ------------------------------------------------------ */

/* The memory reading e takes at most (pool.c's budget): the file, held
 * whole, and what its reader may allocate, by its format (the first
 * bytes: a name proves nothing; wh_pkg_read_bound). */
static uint64_t read_cost(const ix_entry *e)
{
    uint8_t head[SNIFF_BYTES];
    size_t n = sniff_bytes(e->path, head, sizeof head);
    return e->st.size + wh_pkg_read_bound(head, n, e->st.size);
}

/* --- reading --------------------------------------------------------------- */

/* Read the whole regular file at path (never through a symbolic link);
 * *st is the stat of what was read, so the cache keys on those bytes. */
static int read_file(const char *path, uint8_t **data, size_t *len,
                     ix_stat *st, wh_err *err)
{
    struct stat sb;
    char *buf;
    int rc = wh_file_read_stat(path, WH_PKG_MAX_SIZE, WH_READ_NOFOLLOW, &buf,
                               len, &sb, err);
    *data = (uint8_t *)buf;
    if (rc == 0)
        ix_stat_from(st, &sb);
    return rc;
}


typedef struct read_ctx {
    ix_scan        *s;
    const ix_trust *t;
    wh_pkg_opts     opts;
    ix_progress    *progress;
    ix_budget      *budget;
} read_ctx;

/* Only what cannot change with time or luck is remembered: not I/O or
 * memory failures, and not a PAR's expired or early claims. */
static int cacheable(int code)
{
    return code != WH_E_IO && code != WH_E_NOMEM && code != WH_E_INTERNAL &&
           code != WH_E_EXPIRED;
}

/* Read e's package from data, unless the cache already gave it. */
static int read_pkg(read_ctx *c, ix_entry *e, const uint8_t *data, size_t len)
{
    if (e->have_pkg)
        return 0;
    if (e->handler) {     /* a plugin's verdict is not cached: it may be fixed */
        if (ix_plugset_read(c->s->plugins, e->handler - 1, e->path, data, len,
                            &e->pkg, &e->err))
            return -1;
        e->have_pkg = e->judged = 1;
        return 0;
    }
    snprintf(e->ext, sizeof e->ext, "%s", site_ext(WH_PKG_PAR, data, len));
    if (wh_pkg_read_mem(e->path, data, len, &c->opts, &e->pkg, &e->err)) {
        e->cache_err = cacheable(e->err.code);
        return -1;
    }
    e->have_pkg = e->judged = 1;
    snprintf(e->ext, sizeof e->ext, "%s", site_ext(e->pkg.kind, data, len));
    return 0;
}

/* Who signed e, as plugins are told: a trusted key id or issuer, or "". */
static const char *signer_of(const read_ctx *c, const ix_entry *e, ix_signer *tmp)
{
    if (e->pkg.kind != WH_PKG_PAR)
        return e->signer.status == IX_VERIFIED ? e->signer.key_id : "";
    ix_trust_par(c->t, e->pkg.issuer, tmp);
    return tmp->status == IX_VERIFIED ? tmp->key_id : "";
}

/* Run the plugins on a package read this run (e->judged); a cached one
 * was judged by the same plugins (same_plugins). */
static int judge_pkg(read_ctx *c, ix_entry *e, const uint8_t *data, size_t len)
{
    ix_signer tmp;
    if (!e->judged || !ix_plugset_count(c->s->plugins))
        return 0;
    if (ix_plugset_judge(c->s->plugins, e->path, e->handler - 1, signer_of(c, e, &tmp),
                         data, len, &e->pkg, &e->out, &e->out_len, &e->err) == 0)
        return 0;
    wh_pkg_free(&e->pkg);   /* nothing of a refused package may be cached */
    e->have_pkg = 0;
    return -1;
}

static void read_one(size_t i, void *ctx)
{
    read_ctx *c = ctx;
    ix_entry *e = &c->s->v[i];
    if (e->state != IX_PENDING)
        return;
    uint8_t *data = NULL;
    size_t len = 0;
    ix_stat st;
    uint64_t held = ix_budget_take(c->budget, read_cost(e));
    e->was_read = 1;
    e->state = IX_BAD;
    if (read_file(e->path, &data, &len, &st, &e->err))
        goto out;
    if (e->have_pkg && !ix_stat_same(&st, &e->st)) {
        wh_pkg_free(&e->pkg);   /* changed since listed: the cache is stale */
        e->have_pkg = 0;
    }
    e->st = st;
    if (read_pkg(c, e, data, len))
        goto out;
    memset(&e->signer, 0, sizeof e->signer);
    if (e->pkg.kind != WH_PKG_PAR && e->sig_st.present &&
        ix_trust_minisig(c->t, e->sig_path, data, len, &e->signer, &e->err))
        goto out;
    e->sig_ok = 1;
    if (judge_pkg(c, e, data, len))
        goto out;
    e->state = IX_OK;
out:
    free(data);
    ix_budget_give(c->budget, held);
    ix_progress_add(c->progress, e->st.size);
}

void ix_scan_read(ix_scan *s, const ix_trust *t, int jobs, int64_t now,
                  uint64_t budget, ix_progress *progress)
{
    ix_budget b;
    ix_budget_init(&b, budget);
    read_ctx c = { s, t, { now }, progress, &b };
    ix_parallel(s->n, jobs, read_one, &c);
    ix_budget_free(&b);
}

/* Entries to read, and their bytes (for the progress bar). */
void ix_scan_pending(const ix_scan *s, size_t *files, uint64_t *bytes)
{
    *files = 0;
    *bytes = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].state == IX_PENDING) {
            (*files)++;
            *bytes += s->v[i].st.size;
        }
}

/* --- judging --------------------------------------------------------------- */

typedef struct ver_ref {
    size_t      idx;
    const char *name;
    wh_semver   v;
} ver_ref;

static int cmp_ver(const void *pa, const void *pb)
{
    const ver_ref *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (c == 0)
        c = wh_semver_compare(&a->v, &b->v);
    if (c == 0)
        c = a->idx < b->idx ? -1 : a->idx > b->idx;
    return c;
}

/* Reject every member of refs[b..e), a group claiming one name@version. */
static void reject_group(ix_scan *s, const ver_ref *refs, size_t b, size_t e)
{
    for (size_t k = b; k < e; k++) {
        ix_entry *me = &s->v[refs[k].idx];
        const ix_entry *other = &s->v[refs[k == b ? b + 1 : b].idx];
        char more[64] = "", as[400] = "";
        if (e - b > 2)
            snprintf(more, sizeof more, " and %zu other file%s", e - b - 2,
                     e - b > 3 ? "s" : "");
        if (strcmp(other->pkg.version, me->pkg.version) != 0)
            snprintf(as, sizeof as, " as '%s@%s'", other->pkg.name,
                     other->pkg.version);
        wh_fail(&me->err, WH_E_CONFLICT, me->path, -1,
                "'%s@%s' is also claimed by '%s'%s%s", me->pkg.name,
                me->pkg.version, other->path, as, more);
        me->state = IX_BAD;
    }
}

static int reject_duplicates(ix_scan *s, wh_err *err)
{
    ver_ref *refs = malloc((s->n ? s->n : 1) * sizeof *refs);
    if (!refs)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        ix_entry *e = &s->v[i];
        if (e->state != IX_OK)
            continue;
        if (wh_semver_parse(&refs[n].v, e->pkg.version, strlen(e->pkg.version),
                            &e->err)) {
            wh_err_prefix(&e->err, "version '%s'", e->pkg.version);
            snprintf(e->err.path, sizeof e->err.path, "%s", e->path);
            e->state = IX_BAD;
            continue;
        }
        refs[n].name = e->pkg.name;
        refs[n++].idx = i;
    }
    if (n > 1)
        qsort(refs, n, sizeof *refs, cmp_ver);
    for (size_t b = 0; b < n;) {
        size_t e = b + 1;
        while (e < n && strcmp(refs[b].name, refs[e].name) == 0 &&
               wh_semver_compare(&refs[b].v, &refs[e].v) == 0)
            e++;
        if (e - b > 1)
            reject_group(s, refs, b, e);
        b = e;
    }
    free(refs);
    return 0;
}

static void require_signature(ix_entry *e)
{
    if (e->signer.status == IX_VERIFIED)
        return;
    if (e->signer.status == IX_UNSIGNED)
        wh_fail(&e->err, WH_E_UNTRUSTED, e->path, -1,
                "not signed, and signatures are required");
    else if (e->pkg.kind == WH_PKG_PAR)
        wh_fail(&e->err, WH_E_UNTRUSTED, e->path, -1,
                "issuer '%s' is not a trusted issuer", e->signer.key_id);
    else
        wh_fail(&e->err, WH_E_UNTRUSTED, e->path, -1,
                "signed by key %s, which is not a trusted key", e->signer.key_id);
    e->state = IX_BAD;
}

int ix_scan_judge(ix_scan *s, const ix_trust *t, int require_sigs, wh_err *err)
{
    for (size_t i = 0; i < s->n; i++) {
        ix_entry *e = &s->v[i];
        if (e->state == IX_OK && e->pkg.kind == WH_PKG_PAR)
            ix_trust_par(t, e->pkg.issuer, &e->signer);
    }
    int rc = reject_duplicates(s, err);
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        ix_entry *e = &s->v[i];
        if (e->state != IX_OK)
            continue;
        if (require_sigs)
            require_signature(e);
        if (e->state == IX_OK) {
            /* '@' is in neither names nor versions: the path is unique
             * and says which module version it holds. */
            size_t n = strlen(e->pkg.name) + strlen(e->pkg.version) + 32;
            free(e->site_rel);
            e->site_rel = malloc(n);
            if (!e->site_rel)
                return wh_fail(err, WH_E_NOMEM, e->path, -1, NULL);
            snprintf(e->site_rel, n, "packages/%s@%s%s", e->pkg.name,
                     e->pkg.version, e->ext);
        }
    }
    return rc;
}

void ix_scan_free(ix_scan *s)
{
    for (size_t i = 0; i < s->n; i++) {
        ix_entry *e = &s->v[i];
        if (e->have_pkg)
            wh_pkg_free(&e->pkg);
        free(e->rel);
        free(e->path);
        free(e->sig_path);
        free(e->site_rel);
        free(e->out);
    }
    free(s->v);
    json_decref(s->cache);
    memset(s, 0, sizeof *s);
}

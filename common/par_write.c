/* par_write.c - writing wasmCloud provider archives: nkeys seeds, wascap
 * claims tokens, the tar, and reading an archive back into memory.
 *
 * The formats are in par_write.h.  Design notes:
 *
 * - Layers, so that tests/tools/mkpar.c can break one thing at a time
 *   between them while wharf uses the whole: keys, then the payload
 *   (wh_par_payload: jansson keeps insertion order, which is how the
 *   payload gets wascap's field order), the token (wh_par_token), the tar
 *   (wh_par_tar), and wh_par_build for the usual path through all four.
 * - jti is derived, not random: the base62 of the SHA-256 of the payload
 *   with jti empty.  wascap uses a random nuid; any unique string does,
 *   and a derived one keeps archives reproducible (SOURCE_DATE_EPOCH
 *   fixes iat in installer/cmd_par.c), while two different payloads or
 *   times still never share one.
 * - Signing needs libsodium's secret-key half, which common/minisign.c
 *   (the only other user of libsodium in common/) keeps behind minisign's
 *   own key type; the three calls here (seed_keypair, sign_detached,
 *   randombytes) are the exception, kept in this one file.
 * - Seed files are secrets: no links, no FIFOs, small, owner-only
 *   (wh_par_key_load); the decoded seed is wiped from every buffer.
 * - wh_par_load is deliberately lenient about claims and names (inspect
 *   shows an archive that does not verify, and says why), but not about
 *   shape or size: root-level regular files only, capped in number and
 *   bytes, as the archive is held in memory.
 *
 * Tests: tests/unit/par_write_test.c (seed vectors and rejections, token
 * round trips through common/jwt.c, archives read back by wh_par_read),
 * tests/cli/t2023-wharf-par.sh, tests/cli/t1010-par.sh (mkpar).
 */
#include "par_write.h"

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base32.h"
#include "base64.h"
#include "fs.h"
#include "hex.h"
#include "minisign.h"
#include "pkg.h"
#include "sha256.h"

#define SEED_PREFIX 0x90                 /* 18 << 3: 'S' */
#define JTI_LEN     22
#define HEADER      "{\"typ\":\"jwt\",\"alg\":\"Ed25519\"}"
#define CLAIMS_NAME "claims.jwt"
#define WORLD_NAME  "world.wasm"

/* --- keys ----------------------------------------------------------------- */

int wh_par_key_from_seed(wh_par_key *k, int role, const uint8_t seed[32],
                         wh_err *err)
{
    if (sodium_init() < 0)
        return wh_fail(err, WH_E_INTERNAL, NULL, -1, "libsodium cannot start");
    memset(k, 0, sizeof *k);
    k->role = role;
    memcpy(k->seed, seed, 32);
    crypto_sign_seed_keypair(k->pk, k->sk, k->seed);
    wh_nkey_encode(k->pub, role, k->pk);
    return 0;
}

int wh_par_key_generate(wh_par_key *k, int role, wh_err *err)
{
    if (sodium_init() < 0)
        return wh_fail(err, WH_E_INTERNAL, NULL, -1, "libsodium cannot start");
    uint8_t seed[32];
    randombytes_buf(seed, sizeof seed);
    int rc = wh_par_key_from_seed(k, role, seed, err);
    wh_memzero(seed, sizeof seed);
    return rc;
}

void wh_par_key_seed_text(const wh_par_key *k, char out[WH_NKEY_SEED_LEN + 1])
{
    uint8_t raw[WH_NKEY_SEED_RAW_LEN];
    raw[0] = (uint8_t)(SEED_PREFIX | k->role >> 5);
    raw[1] = (uint8_t)((k->role & 31) << 3);
    memcpy(raw + 2, k->seed, 32);
    uint16_t crc = wh_crc16_xmodem(raw, 34);
    raw[34] = (uint8_t)(crc & 0xff);
    raw[35] = (uint8_t)(crc >> 8);
    wh_base32_encode(out, raw, sizeof raw);
    wh_memzero(raw, sizeof raw);
}

/* "an account", "a service", "a user": the role with its article. */
static void role_words(int role, char *out, size_t n)
{
    const char *r = wh_nkey_role(role);
    snprintf(out, n, "%s %s", r && strchr("aeio", r[0]) ? "an" : "a",
             r ? r : "unknown");
}

/* The role of a seed's first two bytes, or -1 if they are not a seed's. */
static int seed_role(const uint8_t raw[2])
{
    if ((raw[0] & 0xf8) != SEED_PREFIX || (raw[1] & 7))
        return -1;
    return (raw[0] & 7) << 5 | raw[1] >> 3;
}

static int check_role(int role, int want, wh_err *err)
{
    char got[32], exp[32];
    if (!wh_nkey_role(role) || role == WH_NKEY_CURVE)
        return wh_fail(err, WH_E_FORMAT, NULL, -1,
                       "invalid seed prefix byte 0x%02x", role);
    if (want < 0 || role == want)
        return 0;
    role_words(role, got, sizeof got);
    role_words(want, exp, sizeof exp);
    return wh_fail(err, WH_E_FORMAT, NULL, -1, "%s seed, expected %s seed",
                   got, exp);
}

int wh_par_key_decode(wh_par_key *k, const char *s, size_t n, int want,
                      wh_err *err)
{
    if (n != WH_NKEY_SEED_LEN)
        return wh_fail(err, WH_E_FORMAT, NULL, -1,
                       "seed has %zu characters, expected %d", n,
                       WH_NKEY_SEED_LEN);
    uint8_t raw[WH_NKEY_SEED_RAW_LEN];
    size_t len;
    int rc = wh_base32_decode(raw, sizeof raw, &len, s, n, err);
    if (rc)
        return rc;
    int role = seed_role(raw);
    if (wh_crc16_xmodem(raw, 34) != (uint16_t)(raw[34] | raw[35] << 8))
        rc = wh_fail(err, WH_E_FORMAT, NULL, -1, "invalid seed checksum");
    else if (role < 0)
        rc = wh_fail(err, WH_E_FORMAT, NULL, -1, "not a seed");
    else if (!(rc = check_role(role, want, err)))
        rc = wh_par_key_from_seed(k, role, raw + 2, err);
    wh_memzero(raw, sizeof raw);
    return rc;
}

/* Length of the line at s (up to n), without its "\n" or "\r\n". */
static size_t line_len(const char *s, size_t n, size_t *next)
{
    const char *nl = memchr(s, '\n', n);
    size_t l = nl ? (size_t)(nl - s) : n;
    *next = nl ? l + 1 : n;
    return l > 0 && s[l - 1] == '\r' ? l - 1 : l;
}

/* The text of a seed file: a seed line, optionally its public key. */
static int parse_seed_file(wh_par_key *k, const char *path, const char *t,
                           size_t n, int want, wh_err *err)
{
    size_t next, l = line_len(t, n, &next);
    if (wh_par_key_decode(k, t, l, want, err)) {
        err->line = 1;
        err->col = 1;
        snprintf(err->path, sizeof err->path, "%s", path);
        return err->code;
    }
    size_t rest, l2 = line_len(t + next, n - next, &rest);
    if (next + rest < n)
        return wh_fail_at(err, WH_E_FORMAT, path, 3, 1,
                          "more than a seed and its public key");
    if (l2 && (l2 != WH_NKEY_LEN || memcmp(t + next, k->pub, l2)))
        return wh_fail_at(err, WH_E_FORMAT, path, 2, 1,
                          "public key does not match the seed");
    return 0;
}

int wh_par_key_load(wh_par_key *k, const char *path, int want, wh_err *err)
{
    wh_err e;
    wh_err_clear(&e);
    char *t = NULL;
    size_t n;
    struct stat st;
    int rc = wh_file_read_stat(path, WH_PAR_SEED_FILE_MAX, WH_READ_NOFOLLOW,
                               &t, &n, &st, &e);
    if (!rc && (st.st_mode & 077))
        rc = wh_fail(&e, WH_E_UNSAFE, path, -1, "readable or writable by "
                     "others (mode %04o); chmod 600 it",
                     (unsigned)(st.st_mode & 07777));
    if (!rc)
        rc = parse_seed_file(k, path, t, n, want, &e);
    if (t) {
        wh_memzero(t, n);
        free(t);
    }
    if (rc) {
        wh_par_key_wipe(k);
        if (err)
            *err = e;
    }
    return rc;
}

void wh_par_key_wipe(wh_par_key *k)
{
    wh_memzero(k, sizeof *k);
}

/* --- claims --------------------------------------------------------------- */

static int target_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

int wh_par_target_check(const char *t, wh_err *err)
{
    size_t n = strlen(t), dash = strcspn(t, "-"), bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += i != dash && !target_char(t[i]);
    if (bad || dash == 0 || dash + 1 >= n || n > WH_PAR_TARGET_MAX) {
        char q[300];
        return wh_fail(err, WH_E_USAGE, NULL, -1,
                       "target '%s' is not <arch>-<os> (e.g. x86_64-linux)",
                       wh_quote(q, sizeof q, t, n));
    }
    return 0;
}

int wh_par_hash_add(json_t *hashes, const char *name, const void *data,
                    size_t len, wh_err *err)
{
    uint8_t d[WH_SHA256_BYTES];
    char hex[WH_SHA256_HEX], key[256];
    int rc = wh_sha256_buf(data, len, d, err);
    if (rc)
        return rc;
    wh_hex_encode(hex, d, sizeof d, 1);
    const char *dot = strrchr(name, '.');
    size_t stem = !strcmp(name, WORLD_NAME) || !dot ? strlen(name)
                                                    : (size_t)(dot - name);
    snprintf(key, sizeof key, "%.*s", (int)stem, name);
    if (json_object_set_new(hashes, key, json_string(hex)))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    return 0;
}

/* wascap's CapabilityProvider: name, vendor, rev?, ver?, target_hashes,
 * config_schema?. */
static json_t *wascap_object(const wh_par_claims *c, json_t *hashes)
{
    json_t *w = json_pack("{s:s, s:s}", "name", c->name, "vendor", c->vendor);
    if (!w) {
        json_decref(hashes);
        return NULL;
    }
    int bad = 0;
    if (c->has_rev)
        bad |= json_object_set_new(w, "rev", json_integer(c->rev));
    if (c->ver)
        bad |= json_object_set_new(w, "ver", json_string(c->ver));
    bad |= json_object_set_new(w, "target_hashes", hashes);
    if (c->config_schema)
        bad |= json_object_set_new(w, "config_schema",
                                   json_deep_copy(c->config_schema));
    if (bad) {
        json_decref(w);
        return NULL;
    }
    return w;
}

json_t *wh_par_payload(const wh_par_claims *c, const char *iss,
                       const char *sub, json_t *hashes)
{
    json_t *w = wascap_object(c, hashes), *p = json_object();
    int bad = !w || !p;
    if (!bad && c->has_exp)
        bad |= json_object_set_new(p, "exp", json_integer(c->exp));
    if (!bad)
        bad |= json_object_set_new(p, "jti", json_string(c->jti ? c->jti
                                                                : ""))
            | json_object_set_new(p, "iat", json_integer(c->iat))
            | json_object_set_new(p, "iss", json_string(iss))
            | json_object_set_new(p, "sub", json_string(sub));
    if (!bad && c->has_nbf)
        bad |= json_object_set_new(p, "nbf", json_integer(c->nbf));
    if (!bad) {
        bad |= json_object_set_new(p, "wascap", w);
        w = NULL;
        bad |= json_object_set_new(p, "wascap_revision", json_integer(3));
    }
    if (!bad && !c->jti)
        bad = wh_par_set_jti(p, NULL);
    json_decref(w);
    if (bad) {
        json_decref(p);
        return NULL;
    }
    return p;
}

int wh_par_set_jti(json_t *payload, wh_err *err)
{
    static const char b62[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    /* Setting an existing key keeps its place in the order. */
    if (json_object_set_new(payload, "jti", json_string("")))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    char *text = json_dumps(payload, JSON_COMPACT);
    if (!text)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    uint8_t d[WH_SHA256_BYTES];
    int rc = wh_sha256_buf(text, strlen(text), d, err);
    free(text);
    if (rc)
        return rc;
    char jti[JTI_LEN + 1];
    for (int i = 0; i < JTI_LEN; i++)
        jti[i] = b62[d[i] % 62];
    jti[JTI_LEN] = '\0';
    if (json_object_set_new(payload, "jti", json_string(jti)))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    return 0;
}

char *wh_par_token(const char *header, const json_t *payload,
                   const uint8_t sk[64], wh_err *err)
{
    const char *h = header ? header : HEADER;
    char *pj = json_dumps(payload, JSON_COMPACT);
    if (!pj || sodium_init() < 0) {
        free(pj);
        wh_fail(err, pj ? WH_E_INTERNAL : WH_E_NOMEM, NULL, -1, NULL);
        return NULL;
    }
    size_t hl = strlen(h), pl = strlen(pj);
    size_t n = WH_BASE64URL_ENCODED_LEN(hl) + 1 + WH_BASE64URL_ENCODED_LEN(pl);
    char *t = malloc(n + 1 + WH_BASE64URL_ENCODED_LEN(64) + 1);
    if (t) {
        size_t o = wh_base64url_encode(t, h, hl);
        t[o++] = '.';
        o += wh_base64url_encode(t + o, pj, pl);
        uint8_t sig[64];
        crypto_sign_detached(sig, NULL, (const uint8_t *)t, o, sk);
        t[o++] = '.';
        wh_base64url_encode(t + o, sig, sizeof sig);
    } else {
        wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    free(pj);
    return t;
}

/* --- writing the tar ------------------------------------------------------ */

typedef struct membuf {
    uint8_t *p;
    size_t   len, cap;
} membuf;

static la_ssize_t mem_write(struct archive *a, void *ctx, const void *d,
                            size_t n)
{
    membuf *b = ctx;
    if (b->len + n > b->cap) {
        size_t cap = (b->len + n) * 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            archive_set_error(a, 12, "out of memory");
            return -1;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    return (la_ssize_t)n;
}

static int add_entry(struct archive *a, const wh_par_entry *e)
{
    struct archive_entry *ae = archive_entry_new();
    if (!ae)
        return ARCHIVE_FATAL;
    archive_entry_set_pathname(ae, e->name);
    archive_entry_set_mtime(ae, 0, 0);
    if (e->type == WH_PAR_DIR) {
        archive_entry_set_filetype(ae, AE_IFDIR);
        archive_entry_set_perm(ae, 0755);
    } else if (e->type == WH_PAR_SYMLINK) {
        archive_entry_set_filetype(ae, AE_IFLNK);
        archive_entry_set_perm(ae, 0777);
        archive_entry_set_symlink(ae, (const char *)e->data);
    } else {
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_size(ae, (la_int64_t)e->len);
    }
    int r = archive_write_header(a, ae);
    if (r == ARCHIVE_OK && e->type == WH_PAR_FILE && e->len
        && archive_write_data(a, e->data, e->len) != (la_ssize_t)e->len)
        r = ARCHIVE_FATAL;
    archive_entry_free(ae);
    return r;
}

/* The tar writer: GNU tar, gzip level 9 without a time stamp (so the
 * same input gives the same bytes), the last block not padded. */
static struct archive *tar_writer(int gzip)
{
    struct archive *a = archive_write_new();
    if (!a)
        return NULL;
    if (archive_write_set_format_gnutar(a) != ARCHIVE_OK
        || (gzip && (archive_write_add_filter_gzip(a) != ARCHIVE_OK
                     || archive_write_set_filter_option(a, "gzip",
                            "timestamp", NULL) != ARCHIVE_OK
                     || archive_write_set_filter_option(a, "gzip",
                            "compression-level", "9") != ARCHIVE_OK))
        || archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK) {
        archive_write_free(a);
        return NULL;
    }
    return a;
}

int wh_par_tar(const wh_par_entry *e, size_t n, int gzip, uint8_t **out,
               size_t *len, wh_err *err)
{
    *out = NULL;
    *len = 0;
    membuf b = { 0 };
    struct archive *a = tar_writer(gzip);
    if (!a)
        return wh_fail(err, WH_E_INTERNAL, NULL, -1,
                       "libarchive cannot write tar or gzip");
    int r = archive_write_open(a, &b, NULL, mem_write, NULL);
    for (size_t i = 0; r == ARCHIVE_OK && i < n; i++)
        r = add_entry(a, &e[i]);
    if (r == ARCHIVE_OK)
        r = archive_write_close(a);
    int rc = 0;
    if (r != ARCHIVE_OK) {
        const char *m = archive_error_string(a);
        rc = wh_fail(err, WH_E_IO, NULL, -1, "cannot write the archive: %s",
                     m ? m : "unknown error");
        free(b.p);
    } else {
        *out = b.p;
        *len = b.len;
    }
    archive_write_free(a);
    return rc;
}

/* Hash every binary into a new target_hashes object. */
static json_t *hash_all(const wh_par_entry *bins, size_t n, wh_err *err)
{
    json_t *h = json_object();
    if (!h) {
        wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (wh_par_hash_add(h, bins[i].name, bins[i].data, bins[i].len,
                            err)) {
            json_decref(h);
            return NULL;
        }
    return h;
}

/* claims.jwt, then the binaries in order, then world.wasm. */
static int write_all(const char *tok, const wh_par_entry *bins, size_t n,
                     int gzip, uint8_t **out, size_t *len, wh_err *err)
{
    wh_par_entry *e = calloc(n + 1, sizeof *e);
    if (!e)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    size_t k = 0;
    e[k++] = (wh_par_entry){ CLAIMS_NAME, (const uint8_t *)tok, strlen(tok),
                             WH_PAR_FILE };
    for (int world = 0; world < 2; world++)
        for (size_t i = 0; i < n; i++)
            if ((strcmp(bins[i].name, WORLD_NAME) == 0) == world)
                e[k++] = bins[i];
    int rc = wh_par_tar(e, k, gzip, out, len, err);
    free(e);
    return rc;
}

int wh_par_build(const wh_par_claims *c, const wh_par_key *iss,
                 const char *sub, const wh_par_entry *bins, size_t n,
                 int gzip, uint8_t **out, size_t *len, wh_err *err)
{
    *out = NULL;
    *len = 0;
    json_t *h = hash_all(bins, n, err);
    if (!h)
        return err ? err->code : WH_E_NOMEM;
    json_t *p = wh_par_payload(c, iss->pub, sub, h);
    if (!p)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    char *tok = wh_par_token(NULL, p, iss->sk, err);
    json_decref(p);
    if (!tok)
        return err ? err->code : WH_E_NOMEM;
    int rc = write_all(tok, bins, n, gzip, out, len, err);
    free(tok);
    return rc;
}

/* --- reading back --------------------------------------------------------- */

static int load_fail(wh_par_archive *a, wh_err *err, const char *path,
                     int code, const char *name, const char *reason)
{
    char q[300];
    if (name)
        wh_fail(err, code, path, -1, "entry '%s': %s",
                wh_quote(q, sizeof q, name, strlen(name)), reason);
    else
        wh_fail(err, code, path, -1, "%s", reason);
    wh_par_archive_free(a);
    return code;
}

/* Read the current entry's size bytes into a new buffer. */
static uint8_t *read_body(struct archive *ar, size_t size)
{
    uint8_t *d = malloc(size ? size : 1);
    size_t got = 0;
    while (d) {
        la_ssize_t r = archive_read_data(ar, d + got, size - got);
        if (r == 0 && got == size)
            return d;
        if (r <= 0) {
            free(d);
            return NULL;
        }
        got += (size_t)r;
    }
    return NULL;
}

/* Check and keep one entry; total counts the bytes so far. */
static const char *load_entry(wh_par_archive *a, struct archive *ar,
                              struct archive_entry *ae, size_t *total)
{
    const char *name = archive_entry_pathname(ae);
    la_int64_t size = archive_entry_size(ae);
    if (!name)
        return "entry with no readable name";
    if (archive_entry_filetype(ae) != AE_IFREG || archive_entry_hardlink(ae))
        return "not a regular file";
    if (strchr(name, '/') || strchr(name, '\\') || !strcmp(name, ".."))
        return "not at the archive root";
    if (a->n == WH_PAR_MAX_ENTRIES)
        return "too many entries";
    if (size < 0 || (uint64_t)size > WH_PKG_MAX_SIZE - *total)
        return "the archive holds too many bytes";
    wh_par_entry *e = &a->ent[a->n];
    if (!(e->name = strdup(name))
        || !(e->data = read_body(ar, (size_t)size))) {
        /* Not counted in a->n yet: wh_par_archive_free would miss it. */
        free((char *)e->name);
        e->name = NULL;
        return "cannot read";
    }
    e->len = (size_t)size;
    a->n++;
    *total += (size_t)size;
    if (!strcmp(name, CLAIMS_NAME)) {
        if (a->claims)
            return "duplicate entry";
        a->claims = (const char *)e->data;
        a->claims_len = e->len;
    }
    return NULL;
}

int wh_par_load(const char *path, const uint8_t *data, size_t len,
                wh_par_archive *a, wh_err *err)
{
    memset(a, 0, sizeof *a);
    a->gzip = len >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    struct archive *ar = archive_read_new();
    if (!ar || archive_read_support_format_tar(ar) != ARCHIVE_OK
        || (a->gzip && archive_read_support_filter_gzip(ar) != ARCHIVE_OK)
        || archive_read_open_memory(ar, data, len) != ARCHIVE_OK) {
        archive_read_free(ar);
        return load_fail(a, err, path, WH_E_FORMAT, NULL,
                         "not a tar archive");
    }
    struct archive_entry *ae;
    size_t total = 0;
    int r;
    while ((r = archive_read_next_header(ar, &ae)) == ARCHIVE_OK) {
        const char *why = load_entry(a, ar, ae, &total);
        if (why) {
            const char *pn = archive_entry_pathname(ae);
            char name[256];
            snprintf(name, sizeof name, "%s", pn ? pn : "");
            archive_read_free(ar);
            return load_fail(a, err, path, WH_E_FORMAT, name, why);
        }
    }
    archive_read_free(ar);
    if (r != ARCHIVE_EOF)
        return load_fail(a, err, path, WH_E_FORMAT, NULL,
                         "cannot read the archive");
    if (!a->claims)
        return load_fail(a, err, path, WH_E_FORMAT, NULL,
                         "archive has no " CLAIMS_NAME);
    return 0;
}

void wh_par_archive_free(wh_par_archive *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free((char *)a->ent[i].name);
        free((uint8_t *)a->ent[i].data);
    }
    memset(a, 0, sizeof *a);
}

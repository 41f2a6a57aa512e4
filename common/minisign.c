/* minisign.c - minisign keys and signatures (see minisign.h for formats).
 *
 * This is the implementation of minisign's three file formats on top of
 * libsodium (Ed25519, BLAKE2b, scrypt).  The formats were checked byte by
 * byte against the minisign 0.11 binary, which differs from its older
 * documentation in a few places this file follows:
 *
 *   - the key id in "minisign public key <ID>" is printf("%" PRIX64) of
 *     the id read as a little-endian u64: no zero padding, so an id may
 *     print as 15 digits;
 *   - minisign -W writes kdf 00 00 with a zero salt, zero limits and an
 *     all-zero checksum, and never checks the checksum of such a key.  We
 *     write the real checksum (minisign accepts it) and accept zero; in
 *     both cases the public half of the key must match its seed, which
 *     catches a damaged unencrypted key either way;
 *   - lines may end in "\r\n", the last newline may be missing, and the
 *     trusted comment is everything after "trusted comment: " up to the
 *     line end (trailing blanks included: they are signed).
 *
 * Parsing is stricter than minisign: exact comment prefixes, canonical
 * base64 (common/base64.c), exact blob sizes, no NUL bytes, no carriage
 * return inside a comment (a comment ending in one could not be written
 * back: the reader would take it for a "\r\n" line end), nothing after
 * the last line.  Every error names the file and line:column.
 *
 * The secret key is kept as its 158-byte file blob in sodium_malloc'd
 * memory, so formatting is encoding and parsing is decoding; scratch
 * copies holding secrets are sodium_malloc'd or wiped.  Prehashed
 * signatures stream the file through BLAKE2b-512 in 1 MiB reads.
 *
 * Files are opened without blocking (common/fs.c's rule): a FIFO named
 * like a key, a signature or a file to sign is refused as "not a regular
 * file" instead of hanging the command.
 *
 * Tests: tests/unit/minisign_test.c (round trips, every parse error,
 * RFC 8032 and RFC 4648 vectors), tests/cli/t0100-minisign-interop.sh
 * (against /usr/bin/minisign, through tests/tools/wh-sign.c).
 */
#include "minisign.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "base64.h"
#include "fs.h"

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX   "trusted comment: "
#define DEFAULT_SIG_COMMENT "signature from minisign secret key"

/* Secret key blob, as in the file. */
enum {
    SK_SIGALG = 0, SK_KDFALG = 2, SK_CHKALG = 4, SK_SALT = 6,
    SK_OPS = 38, SK_MEM = 46, SK_KEYID = 54, SK_SK = 62, SK_CHK = 126,
    SK_BLOB = 158,
    SK_SECRET = SK_BLOB - SK_KEYID,   /* the 104 encrypted bytes */
    SALT_BYTES = SK_OPS - SK_SALT,
    CHK_BYTES = SK_BLOB - SK_CHK,
    PK_BLOB = 2 + 8 + 32,
    SIG_BLOB = 2 + 8 + 64,
    B64_LINE_MAX = 1024,              /* longest base64 line we decode */
    HASH_BLOCK = 1 << 20,
};

struct wh_minisign_seckey {
    unsigned char blob[SK_BLOB];
    unsigned char encrypted;   /* bytes SK_KEYID.. still XORed with scrypt */
};

/* ---- small helpers --------------------------------------------------- */

static uint64_t le64_load(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void le64_store(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (unsigned char)v;
}

static int ready(wh_err *err)
{
    if (sodium_init() < 0)
        return wh_fail(err, WH_E_INTERNAL, NULL, -1,
                       "cannot initialise libsodium");
    return 0;
}

void wh_memzero(void *p, size_t n)
{
    if (n > 0)
        sodium_memzero(p, n);
}

int wh_ed25519_verify(const unsigned char sig[WH_MINISIGN_SIG_BYTES],
                      const void *msg, size_t len,
                      const unsigned char pk[WH_MINISIGN_PK_BYTES])
{
    if (ready(NULL))
        return -1;
    return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0 : -1;
}

/* Two algorithm bytes for a message: 'Xy', or '\x00\x01'. */
static void quote_alg(char out[9], const unsigned char b[2])
{
    char *o = out;
    for (int i = 0; i < 2; i++) {
        if (b[i] > 0x20 && b[i] < 0x7f && b[i] != '\'' && b[i] != '\\')
            *o++ = (char)b[i];
        else
            o += sprintf(o, "\\x%02x", b[i]);
    }
    *o = '\0';
}

void wh_minisign_keyid_hex(const unsigned char id[WH_MINISIGN_KEYID_BYTES],
                           char out[17])
{
    snprintf(out, 17, "%llX", (unsigned long long)le64_load(id));
}

/* A comment we are about to write: one line, not too long. */
static int check_comment(const char *what, const char *s, size_t max,
                         wh_err *err)
{
    size_t n = strlen(s);
    if (n > max)
        return wh_fail(err, WH_E_USAGE, NULL, -1,
                       "%s is longer than %zu bytes", what, max);
    if (strpbrk(s, "\r\n"))
        return wh_fail(err, WH_E_USAGE, NULL, -1,
                       "%s contains a line break", what);
    return 0;
}

/* ---- reading lines --------------------------------------------------- */

/* A cursor over a key or signature file.  no is the number of the line
 * last returned; no == 0 with no lines read means a bare base64 string,
 * whose errors carry an offset instead of a line. */
typedef struct cursor {
    const char *p, *end;
    const char *path;
    int         no;
    wh_err     *err;
} cursor;

static void cursor_init(cursor *c, const char *text, size_t len,
                        const char *path, wh_err *err)
{
    c->p = text;
    c->end = text + len;
    c->path = path;
    c->no = 0;
    c->err = err;
}

static int fail_at(const cursor *c, int code, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(const cursor *c, int code, size_t col, const char *fmt, ...)
{
    char msg[sizeof c->err->reason];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->no == 0)
        return wh_fail(c->err, code, c->path, (long long)col - 1, "%s", msg);
    return wh_fail_at(c->err, code, c->path, c->no,
                      col > INT_MAX ? INT_MAX : (int)col, "%s", msg);
}

/* Next line, without "\n" or "\r\n", into s[0..*n). */
static int next_line(cursor *c, const char *what, const char **s, size_t *n)
{
    c->no++;
    if (c->p >= c->end)
        return fail_at(c, WH_E_FORMAT, 1, "missing %s line", what);
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    size_t len = (size_t)((nl ? nl : c->end) - c->p);
    if (len > 0 && c->p[len - 1] == '\r')
        len--;
    const char *z = memchr(c->p, '\0', len);
    if (z)
        return fail_at(c, WH_E_FORMAT, (size_t)(z - c->p) + 1,
                       "NUL byte in %s line", what);
    *s = c->p;
    *n = len;
    c->p = nl ? nl + 1 : c->end;
    return 0;
}

static int expect_end(cursor *c, const char *what)
{
    if (c->p == c->end)
        return 0;
    c->no++;
    return fail_at(c, WH_E_FORMAT, 1, "unexpected data after the %s", what);
}

/* A "<prefix><text>" line; the text (at most max bytes) goes to dst
 * (room for max + 1) unless dst is NULL. */
static int read_comment(cursor *c, const char *prefix, const char *what,
                        size_t max, char *dst)
{
    const char *s;
    size_t n, plen = strlen(prefix);
    int rc = next_line(c, what, &s, &n);
    if (rc)
        return rc;
    if (n < plen || memcmp(s, prefix, plen) != 0)
        return fail_at(c, WH_E_FORMAT, 1,
                       "line does not start with '%s'", prefix);
    if (n - plen > max)
        return fail_at(c, WH_E_LIMIT, plen + max + 1,
                       "%s is longer than %zu bytes", what, max);
    const char *cr = memchr(s + plen, '\r', n - plen);
    if (cr)
        return fail_at(c, WH_E_FORMAT, (size_t)(cr - s) + 1,
                       "carriage return in %s", what);
    if (dst) {
        memcpy(dst, s + plen, n - plen);
        dst[n - plen] = '\0';
    }
    return 0;
}

/* Decode a base64 field of exactly want bytes into out. */
static int decode_field(cursor *c, const char *s, size_t n, const char *what,
                        unsigned char *out, size_t want)
{
    unsigned char tmp[B64_LINE_MAX / 4 * 3];
    size_t got = 0;
    wh_err e;
    int rc = 0;
    if (n > B64_LINE_MAX)
        return fail_at(c, WH_E_LIMIT, B64_LINE_MAX + 1,
                       "%s line is longer than %d bytes", what, B64_LINE_MAX);
    if (wh_base64_decode(tmp, sizeof tmp, &got, s, n, &e) != 0) {
        rc = fail_at(c, e.code, (size_t)e.offset + 1, "%s", e.reason);
        goto out;
    }
    if (got != want) {
        rc = fail_at(c, WH_E_FORMAT, 1, "%s is %zu bytes, expected %zu",
                     what, got, want);
        goto out;
    }
    memcpy(out, tmp, want);
out:
    sodium_memzero(tmp, sizeof tmp);
    return rc;
}

static int read_field(cursor *c, const char *what, unsigned char *out,
                      size_t want)
{
    const char *s;
    size_t n;
    int rc = next_line(c, what, &s, &n);
    return rc ? rc : decode_field(c, s, n, what, out, want);
}

static int check_alg(cursor *c, const char *what, const unsigned char *b,
                     const char *want)
{
    if (memcmp(b, want, 2) == 0)
        return 0;
    char q[9];
    quote_alg(q, b);
    return fail_at(c, WH_E_FORMAT, 1, "unsupported %s algorithm '%s'",
                   what, q);
}

/* ---- public keys ----------------------------------------------------- */

static int pubkey_blob(cursor *c, const char *s, size_t n,
                       wh_minisign_pubkey *pk)
{
    unsigned char b[PK_BLOB];
    int rc = decode_field(c, s, n, "public key", b, sizeof b);
    if (!rc)
        rc = check_alg(c, "signature", b, "Ed");
    if (!rc) {
        memcpy(pk->key_id, b + 2, sizeof pk->key_id);
        memcpy(pk->pk, b + 10, sizeof pk->pk);
    }
    return rc;
}

int wh_minisign_pubkey_parse(wh_minisign_pubkey *pk, const char *text,
                             size_t len, const char *path, wh_err *err)
{
    cursor c;
    const char *s;
    size_t n;
    cursor_init(&c, text, len, path, err);
    int rc = read_comment(&c, UNTRUSTED_PREFIX, "untrusted comment",
                          WH_MINISIGN_COMMENT_MAX, NULL);
    if (!rc)
        rc = next_line(&c, "public key", &s, &n);
    if (!rc)
        rc = pubkey_blob(&c, s, n, pk);
    if (!rc)
        rc = expect_end(&c, "public key");
    return rc;
}

int wh_minisign_pubkey_from_base64(wh_minisign_pubkey *pk, const char *b64,
                                   size_t len, wh_err *err)
{
    cursor c;
    cursor_init(&c, b64, len, NULL, err);
    return pubkey_blob(&c, b64, len, pk);
}

void wh_minisign_pubkey_to_base64(const wh_minisign_pubkey *pk,
                                  char out[WH_MINISIGN_PUBKEY_B64_LEN + 1])
{
    unsigned char b[PK_BLOB];
    memcpy(b, "Ed", 2);
    memcpy(b + 2, pk->key_id, sizeof pk->key_id);
    memcpy(b + 10, pk->pk, sizeof pk->pk);
    wh_base64_encode(out, b, sizeof b);
}

int wh_minisign_pubkey_format(const wh_minisign_pubkey *pk, const char *comment,
                              char out[WH_MINISIGN_PUBKEY_TEXT_MAX], wh_err *err)
{
    char id[17], b64[WH_MINISIGN_PUBKEY_B64_LEN + 1];
    if (comment) {
        int rc = check_comment("untrusted comment", comment,
                               WH_MINISIGN_COMMENT_MAX, err);
        if (rc)
            return rc;
    }
    wh_minisign_keyid_hex(pk->key_id, id);
    wh_minisign_pubkey_to_base64(pk, b64);
    if (comment)
        snprintf(out, WH_MINISIGN_PUBKEY_TEXT_MAX, UNTRUSTED_PREFIX "%s\n%s\n",
                 comment, b64);
    else
        snprintf(out, WH_MINISIGN_PUBKEY_TEXT_MAX,
                 UNTRUSTED_PREFIX "minisign public key %s\n%s\n", id, b64);
    return 0;
}

/* ---- secret keys ----------------------------------------------------- */

static wh_minisign_seckey *seckey_alloc(void)
{
    wh_minisign_seckey *sk = sodium_malloc(sizeof *sk);
    if (sk)
        memset(sk, 0, sizeof *sk);
    return sk;
}

void wh_minisign_seckey_free(wh_minisign_seckey *sk)
{
    if (sk)
        sodium_free(sk);   /* wipes before unmapping */
}

int wh_minisign_seckey_encrypted(const wh_minisign_seckey *sk)
{
    return sk->encrypted;
}

/* BLAKE2b-256(sig_alg || key_id || sk) of a decrypted blob. */
static void seckey_checksum(unsigned char chk[CHK_BYTES],
                            const unsigned char *blob)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, CHK_BYTES);
    crypto_generichash_update(&st, blob + SK_SIGALG, 2);
    crypto_generichash_update(&st, blob + SK_KEYID, WH_MINISIGN_KEYID_BYTES);
    crypto_generichash_update(&st, blob + SK_SK, crypto_sign_SECRETKEYBYTES);
    crypto_generichash_final(&st, chk, CHK_BYTES);
    sodium_memzero(&st, sizeof st);
}

/* Is the public half of the Ed25519 secret key the one its seed gives? */
static int seckey_consistent(const unsigned char *blob, int *ok)
{
    unsigned char *kp = sodium_malloc(crypto_sign_PUBLICKEYBYTES +
                                      crypto_sign_SECRETKEYBYTES);
    if (!kp)
        return WH_E_NOMEM;
    crypto_sign_seed_keypair(kp, kp + crypto_sign_PUBLICKEYBYTES, blob + SK_SK);
    *ok = sodium_memcmp(kp, blob + SK_SK + crypto_sign_SEEDBYTES,
                        crypto_sign_PUBLICKEYBYTES) == 0;
    sodium_free(kp);
    return 0;
}

enum { CHECK_OK, CHECK_NOMEM, CHECK_CHECKSUM, CHECK_SEED };

/* Checks of a decrypted blob; returns a CHECK_*.  zero_ok: an all-zero
 * checksum passes (minisign -W). */
static int seckey_check(const unsigned char *blob, int zero_ok)
{
    unsigned char chk[CHK_BYTES];
    int ok = 0;
    seckey_checksum(chk, blob);
    int good = sodium_memcmp(chk, blob + SK_CHK, CHK_BYTES) == 0 ||
               (zero_ok && sodium_is_zero(blob + SK_CHK, CHK_BYTES));
    sodium_memzero(chk, sizeof chk);
    if (!good)
        return CHECK_CHECKSUM;
    if (seckey_consistent(blob, &ok) != 0)
        return CHECK_NOMEM;
    return ok ? CHECK_OK : CHECK_SEED;
}

int wh_minisign_keygen(wh_minisign_seckey **skp, wh_minisign_pubkey *pk,
                       wh_err *err)
{
    *skp = NULL;
    int rc = ready(err);
    if (rc)
        return rc;
    wh_minisign_seckey *sk = seckey_alloc();
    if (!sk)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    unsigned char *b = sk->blob;
    memcpy(b + SK_SIGALG, "Ed", 2);
    memcpy(b + SK_CHKALG, "B2", 2);
    randombytes_buf(b + SK_KEYID, WH_MINISIGN_KEYID_BYTES);
    crypto_sign_keypair(pk->pk, b + SK_SK);
    memcpy(pk->key_id, b + SK_KEYID, WH_MINISIGN_KEYID_BYTES);
    seckey_checksum(b + SK_CHK, b);
    *skp = sk;
    return 0;
}

void wh_minisign_seckey_public(const wh_minisign_seckey *sk,
                               wh_minisign_pubkey *pk)
{
    assert(!sk->encrypted);
    memcpy(pk->key_id, sk->blob + SK_KEYID, WH_MINISIGN_KEYID_BYTES);
    memcpy(pk->pk, sk->blob + SK_SK + crypto_sign_SEEDBYTES,
           WH_MINISIGN_PK_BYTES);
}

static int kdf_in_range(uint64_t ops, uint64_t mem)
{
    return ops >= WH_MINISIGN_OPSLIMIT_MIN && ops <= WH_MINISIGN_OPSLIMIT_MAX &&
           mem >= WH_MINISIGN_MEMLIMIT_MIN && mem <= WH_MINISIGN_MEMLIMIT_MAX;
}

/* XOR the 104 secret bytes of blob with scrypt(password, its salt). */
static int seckey_crypt(unsigned char *blob, const char *password,
                        const char *path, wh_err *err)
{
    unsigned char *stream = sodium_malloc(SK_SECRET);
    if (!stream)
        return wh_fail(err, WH_E_NOMEM, path, -1, NULL);
    uint64_t ops = le64_load(blob + SK_OPS), mem = le64_load(blob + SK_MEM);
    int rc = 0;
    if (crypto_pwhash_scryptsalsa208sha256(stream, SK_SECRET, password,
                                           strlen(password), blob + SK_SALT,
                                           ops, (size_t)mem) != 0) {
        rc = wh_fail(err, WH_E_NOMEM, path, -1, "cannot derive a key from "
                     "the password (scrypt memlimit %llu)",
                     (unsigned long long)mem);
        goto out;
    }
    for (size_t i = 0; i < SK_SECRET; i++)
        blob[SK_KEYID + i] ^= stream[i];
out:
    sodium_free(stream);
    return rc;
}

int wh_minisign_seckey_decrypt(wh_minisign_seckey *sk, const char *password,
                               const char *path, wh_err *err)
{
    assert(password);
    if (!sk->encrypted)
        return 0;
    int rc = ready(err);
    if (rc)
        return rc;
    unsigned char *tmp = sodium_malloc(SK_BLOB);
    if (!tmp)
        return wh_fail(err, WH_E_NOMEM, path, -1, NULL);
    memcpy(tmp, sk->blob, SK_BLOB);
    rc = seckey_crypt(tmp, password, path, err);
    if (rc)
        goto out;
    switch (seckey_check(tmp, 0)) {
    case CHECK_OK:
        break;
    case CHECK_NOMEM:
        rc = wh_fail(err, WH_E_NOMEM, path, -1, NULL);
        goto out;
    case CHECK_CHECKSUM:
        rc = wh_fail(err, WH_E_PASSWORD, path, -1,
                     "wrong password or corrupted secret key");
        goto out;
    default:
        rc = wh_fail(err, WH_E_FORMAT, path, -1, "corrupted secret key: "
                     "its public half does not match its seed");
        goto out;
    }
    memcpy(sk->blob, tmp, SK_BLOB);
    sk->encrypted = 0;
out:
    sodium_free(tmp);
    return rc;
}

/* After decoding: algorithms, limits, and for a plain key its checks. */
static int seckey_validate(cursor *c, wh_minisign_seckey *sk)
{
    const unsigned char *b = sk->blob;
    int rc = check_alg(c, "signature", b + SK_SIGALG, "Ed");
    if (rc)
        return rc;
    if (memcmp(b + SK_KDFALG, "Sc", 2) == 0)
        sk->encrypted = 1;
    else if (!sodium_is_zero(b + SK_KDFALG, 2))
        return check_alg(c, "key derivation", b + SK_KDFALG, "Sc");
    rc = check_alg(c, "checksum", b + SK_CHKALG, "B2");
    if (rc)
        return rc;
    if (sk->encrypted) {
        uint64_t ops = le64_load(b + SK_OPS), mem = le64_load(b + SK_MEM);
        if (ops > WH_MINISIGN_OPSLIMIT_MAX || mem > WH_MINISIGN_MEMLIMIT_MAX)
            return fail_at(c, WH_E_LIMIT, 1, "scrypt limits (opslimit "
                           "%llu, memlimit %llu) exceed %llu and %llu",
                           (unsigned long long)ops, (unsigned long long)mem,
                           WH_MINISIGN_OPSLIMIT_MAX, WH_MINISIGN_MEMLIMIT_MAX);
        return 0;
    }
    switch (seckey_check(b, 1)) {
    case CHECK_OK:
        return 0;
    case CHECK_NOMEM:
        return fail_at(c, WH_E_NOMEM, 1, "out of memory");
    case CHECK_CHECKSUM:
        return fail_at(c, WH_E_FORMAT, 1,
                       "corrupted secret key: checksum mismatch");
    default:
        return fail_at(c, WH_E_FORMAT, 1, "corrupted secret key: "
                       "its public half does not match its seed");
    }
}

int wh_minisign_seckey_parse(wh_minisign_seckey **skp, const char *text,
                             size_t len, const char *path, wh_err *err)
{
    *skp = NULL;
    int rc = ready(err);
    if (rc)
        return rc;
    wh_minisign_seckey *sk = seckey_alloc();
    if (!sk)
        return wh_fail(err, WH_E_NOMEM, path, -1, NULL);
    cursor c;
    cursor_init(&c, text, len, path, err);
    rc = read_comment(&c, UNTRUSTED_PREFIX, "untrusted comment",
                      WH_MINISIGN_COMMENT_MAX, NULL);
    if (!rc)
        rc = read_field(&c, "secret key", sk->blob, SK_BLOB);
    if (!rc)
        rc = seckey_validate(&c, sk);
    if (!rc)
        rc = expect_end(&c, "secret key");
    if (rc) {
        wh_minisign_seckey_free(sk);
        return rc;
    }
    *skp = sk;
    return 0;
}

/* The blob to write: fresh algorithms and checksum, encrypted or not. */
static int seckey_build(unsigned char *b, const wh_minisign_seckey *sk,
                        const char *password, const wh_minisign_kdf *kdf,
                        wh_err *err)
{
    memset(b, 0, SK_BLOB);
    memcpy(b + SK_SIGALG, "Ed", 2);
    memcpy(b + SK_CHKALG, "B2", 2);
    memcpy(b + SK_KEYID, sk->blob + SK_KEYID, SK_CHK - SK_KEYID);
    seckey_checksum(b + SK_CHK, b);
    if (!password)
        return 0;
    uint64_t ops = kdf ? kdf->opslimit : WH_MINISIGN_OPSLIMIT_DEFAULT;
    uint64_t mem = kdf ? kdf->memlimit : WH_MINISIGN_MEMLIMIT_DEFAULT;
    if (!kdf_in_range(ops, mem))
        return wh_fail(err, WH_E_USAGE, NULL, -1, "scrypt limits (opslimit "
                       "%llu, memlimit %llu) outside %llu..%llu and %llu..%llu",
                       (unsigned long long)ops, (unsigned long long)mem,
                       WH_MINISIGN_OPSLIMIT_MIN, WH_MINISIGN_OPSLIMIT_MAX,
                       WH_MINISIGN_MEMLIMIT_MIN, WH_MINISIGN_MEMLIMIT_MAX);
    memcpy(b + SK_KDFALG, "Sc", 2);
    randombytes_buf(b + SK_SALT, SALT_BYTES);
    le64_store(b + SK_OPS, ops);
    le64_store(b + SK_MEM, mem);
    return seckey_crypt(b, password, NULL, err);
}

int wh_minisign_seckey_format(const wh_minisign_seckey *sk,
                              const char *password, const wh_minisign_kdf *kdf,
                              const char *comment,
                              char out[WH_MINISIGN_SECKEY_TEXT_MAX], wh_err *err)
{
    assert(!sk->encrypted);
    int rc = ready(err);
    if (rc)
        return rc;
    if (!comment)
        comment = password ? "minisign encrypted secret key"
                           : "minisign unencrypted secret key";
    rc = check_comment("untrusted comment", comment, WH_MINISIGN_COMMENT_MAX,
                       err);
    if (rc)
        return rc;
    unsigned char *b = sodium_malloc(SK_BLOB);
    if (!b)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    rc = seckey_build(b, sk, password, kdf, err);
    if (!rc) {
        int n = snprintf(out, WH_MINISIGN_SECKEY_TEXT_MAX,
                         UNTRUSTED_PREFIX "%s\n", comment);
        n += (int)wh_base64_encode(out + n, b, SK_BLOB);
        memcpy(out + n, "\n", 2);
    }
    sodium_free(b);
    return rc;
}

/* ---- signature files ------------------------------------------------- */

int wh_minisign_sig_parse(wh_minisign_sig *sig, const char *text, size_t len,
                          const char *path, wh_err *err)
{
    unsigned char b[SIG_BLOB];
    cursor c;
    memset(sig, 0, sizeof *sig);
    cursor_init(&c, text, len, path, err);
    int rc = read_comment(&c, UNTRUSTED_PREFIX, "untrusted comment",
                          WH_MINISIGN_COMMENT_MAX, sig->untrusted);
    if (!rc)
        rc = read_field(&c, "signature", b, sizeof b);
    if (rc)
        return rc;
    if (memcmp(b, "Ed", 2) == 0)
        sig->legacy = 1;
    else if ((rc = check_alg(&c, "signature", b, "ED")) != 0)
        return rc;
    memcpy(sig->key_id, b + 2, sizeof sig->key_id);
    memcpy(sig->sig, b + 10, sizeof sig->sig);
    rc = read_comment(&c, TRUSTED_PREFIX, "trusted comment",
                      WH_MINISIGN_TRUSTED_MAX, sig->trusted);
    if (!rc)
        rc = read_field(&c, "trusted comment signature", sig->global_sig,
                        sizeof sig->global_sig);
    if (!rc)
        rc = expect_end(&c, "signature");
    return rc;
}

int wh_minisign_sig_format(const wh_minisign_sig *sig,
                           char out[WH_MINISIGN_SIG_TEXT_MAX], wh_err *err)
{
    unsigned char b[SIG_BLOB];
    char b1[WH_BASE64_ENCODED_LEN(SIG_BLOB) + 1];
    char b2[WH_BASE64_ENCODED_LEN(WH_MINISIGN_SIG_BYTES) + 1];
    int rc = check_comment("untrusted comment", sig->untrusted,
                           WH_MINISIGN_COMMENT_MAX, err);
    if (!rc)
        rc = check_comment("trusted comment", sig->trusted,
                           WH_MINISIGN_TRUSTED_MAX, err);
    if (rc)
        return rc;
    memcpy(b, sig->legacy ? "Ed" : "ED", 2);
    memcpy(b + 2, sig->key_id, sizeof sig->key_id);
    memcpy(b + 10, sig->sig, sizeof sig->sig);
    wh_base64_encode(b1, b, sizeof b);
    wh_base64_encode(b2, sig->global_sig, sizeof sig->global_sig);
    snprintf(out, WH_MINISIGN_SIG_TEXT_MAX,
             UNTRUSTED_PREFIX "%s\n%s\n" TRUSTED_PREFIX "%s\n%s\n",
             sig->untrusted, b1, sig->trusted, b2);
    return 0;
}

/* ---- files ----------------------------------------------------------- */

int wh_minisign_pubkey_load(wh_minisign_pubkey *pk, const char *path,
                            wh_err *err)
{
    char *data;
    size_t len;
    int rc = wh_file_read(path, WH_MINISIGN_FILE_MAX, &data, &len, err);
    if (rc)
        return rc;
    rc = wh_minisign_pubkey_parse(pk, data, len, path, err);
    free(data);
    return rc;
}

int wh_minisign_pubkey_save(const wh_minisign_pubkey *pk, const char *comment,
                            const char *path, wh_err *err)
{
    char text[WH_MINISIGN_PUBKEY_TEXT_MAX];
    int rc = wh_minisign_pubkey_format(pk, comment, text, err);
    if (rc)
        return rc;
    return wh_file_write_atomic(path, text, strlen(text), 0644, err);
}

int wh_minisign_seckey_load(wh_minisign_seckey **sk, const char *path,
                            wh_err *err)
{
    char *data;
    size_t len;
    *sk = NULL;
    int rc = wh_file_read(path, WH_MINISIGN_FILE_MAX, &data, &len, err);
    if (rc)
        return rc;
    rc = wh_minisign_seckey_parse(sk, data, len, path, err);
    sodium_memzero(data, len);
    free(data);
    return rc;
}

int wh_minisign_seckey_save(const wh_minisign_seckey *sk, const char *password,
                            const wh_minisign_kdf *kdf, const char *comment,
                            const char *path, wh_err *err)
{
    char text[WH_MINISIGN_SECKEY_TEXT_MAX];
    int rc = wh_minisign_seckey_format(sk, password, kdf, comment, text, err);
    if (!rc)
        rc = wh_file_write_atomic(path, text, strlen(text), 0600, err);
    sodium_memzero(text, sizeof text);
    return rc;
}

int wh_minisign_sig_load(wh_minisign_sig *sig, const char *path, wh_err *err)
{
    return wh_minisign_sig_load_flags(sig, path, 0, err);
}

int wh_minisign_sig_load_flags(wh_minisign_sig *sig, const char *path,
                               unsigned flags, wh_err *err)
{
    char *data;
    size_t len;
    int rc = wh_file_read_stat(path, WH_MINISIGN_FILE_MAX,
                               flags & WH_MINISIGN_NOFOLLOW ? WH_READ_NOFOLLOW : 0,
                               &data, &len, NULL, err);
    if (rc)
        return rc;
    rc = wh_minisign_sig_parse(sig, data, len, path, err);
    free(data);
    return rc;
}

int wh_minisign_sig_save(const wh_minisign_sig *sig, const char *path,
                         wh_err *err)
{
    char text[WH_MINISIGN_SIG_TEXT_MAX];
    int rc = wh_minisign_sig_format(sig, text, err);
    if (rc)
        return rc;
    return wh_file_write_atomic(path, text, strlen(text), 0644, err);
}

/* ---- signing --------------------------------------------------------- */

int wh_minisign_default_trusted(char *out, const char *path,
                                long long timestamp, int legacy, wh_err *err)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (strpbrk(base, "\r\n"))
        return wh_fail(err, WH_E_USAGE, path, -1,
                       "file name contains a line break");
    int n = snprintf(out, WH_MINISIGN_TRUSTED_MAX + 1,
                     "timestamp:%lld\tfile:%s%s", timestamp, base,
                     legacy ? "" : "\thashed");
    if (n < 0 || n > WH_MINISIGN_TRUSTED_MAX)
        return wh_fail(err, WH_E_USAGE, path, -1,
                       "file name too long for a trusted comment");
    return 0;
}

/* Open the file to hash as wh_file_read does: a regular file only, and
 * without waiting on a FIFO (O_NONBLOCK, cleared once it is known to be
 * regular).  Returns the fd, or -1 with err filled (*rc its code). */
static int open_data(const char *path, int *rc, wh_err *err)
{
    struct stat sb;
    int fl, fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    *rc = 0;
    if (fd < 0) {
        *rc = wh_fail_errno(err, errno, path, "cannot open");
        return -1;
    }
    if (fstat(fd, &sb) < 0)
        *rc = wh_fail_errno(err, errno, path, "cannot stat");
    else if (!S_ISREG(sb.st_mode))
        *rc = wh_fail(err, WH_E_IO, path, -1, "not a regular file");
    else if ((fl = fcntl(fd, F_GETFL)) < 0 ||
             fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
        *rc = wh_fail_errno(err, errno, path, "cannot open");
    if (*rc) {
        close(fd);
        return -1;
    }
    return fd;
}

/* BLAKE2b-512 of the file, streamed. */
static int hash_file(const char *path, unsigned char h[crypto_generichash_BYTES_MAX],
                     wh_err *err)
{
    int rc, fd = open_data(path, &rc, err);
    if (fd < 0)
        return rc;
    unsigned char *buf = malloc(HASH_BLOCK);
    crypto_generichash_state st;
    if (!buf) {
        rc = wh_fail(err, WH_E_NOMEM, path, -1, NULL);
        goto out;
    }
    crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES_MAX);
    for (;;) {
        ssize_t r = read(fd, buf, HASH_BLOCK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = wh_fail_errno(err, errno, path, "read error");
            goto out;
        }
        if (r == 0)
            break;
        crypto_generichash_update(&st, buf, (size_t)r);
    }
    crypto_generichash_final(&st, h, crypto_generichash_BYTES_MAX);
out:
    free(buf);
    close(fd);
    return rc;
}

/* The whole file, for a legacy signature (which covers the raw bytes). */
static int read_legacy(const char *path, char **data, size_t *len, wh_err *err)
{
    int rc = wh_file_read(path, WH_MINISIGN_LEGACY_MAX, data, len, err);
    if (rc == WH_E_LIMIT)
        wh_err_prefix(err, "too large for a legacy signature");
    return rc;
}

/* Sign msg (the content, or its BLAKE2b-512 for a prehashed signature). */
static int sign_message(wh_minisign_sig *sig, const wh_minisign_seckey *sk,
                        const unsigned char *msg, size_t len, int legacy,
                        const char *trusted, const char *untrusted,
                        wh_err *err)
{
    unsigned char gm[WH_MINISIGN_SIG_BYTES + WH_MINISIGN_TRUSTED_MAX];
    assert(!sk->encrypted && trusted);
    if (!untrusted)
        untrusted = DEFAULT_SIG_COMMENT;
    int rc = check_comment("trusted comment", trusted,
                           WH_MINISIGN_TRUSTED_MAX, err);
    if (!rc)
        rc = check_comment("untrusted comment", untrusted,
                           WH_MINISIGN_COMMENT_MAX, err);
    if (rc)
        return rc;
    memset(sig, 0, sizeof *sig);
    sig->legacy = legacy;
    memcpy(sig->key_id, sk->blob + SK_KEYID, sizeof sig->key_id);
    strcpy(sig->untrusted, untrusted);
    strcpy(sig->trusted, trusted);
    crypto_sign_detached(sig->sig, NULL, msg, len, sk->blob + SK_SK);
    size_t tl = strlen(trusted);
    memcpy(gm, sig->sig, sizeof sig->sig);
    memcpy(gm + sizeof sig->sig, trusted, tl);
    crypto_sign_detached(sig->global_sig, NULL, gm, sizeof sig->sig + tl,
                         sk->blob + SK_SK);
    return 0;
}

int wh_minisign_sign_buffer(wh_minisign_sig *sig, const wh_minisign_seckey *sk,
                            const void *data, size_t len, const char *trusted,
                            const char *untrusted, unsigned flags, wh_err *err)
{
    unsigned char h[crypto_generichash_BYTES_MAX];
    int rc = ready(err);
    if (rc)
        return rc;
    if (flags & WH_MINISIGN_LEGACY)
        return sign_message(sig, sk, data, len, 1, trusted, untrusted, err);
    crypto_generichash(h, sizeof h, data, len, NULL, 0);
    return sign_message(sig, sk, h, sizeof h, 0, trusted, untrusted, err);
}

int wh_minisign_sign_file(wh_minisign_sig *sig, const wh_minisign_seckey *sk,
                          const char *path, const char *trusted,
                          const char *untrusted, unsigned flags, wh_err *err)
{
    char def[WH_MINISIGN_TRUSTED_MAX + 1];
    unsigned char h[crypto_generichash_BYTES_MAX];
    int legacy = (flags & WH_MINISIGN_LEGACY) != 0;
    int rc = ready(err);
    if (!rc && !trusted) {
        rc = wh_minisign_default_trusted(def, path, (long long)time(NULL),
                                         legacy, err);
        trusted = def;
    }
    if (rc)
        return rc;
    if (legacy) {
        char *data;
        size_t len;
        rc = read_legacy(path, &data, &len, err);
        if (rc)
            return rc;
        rc = sign_message(sig, sk, (unsigned char *)data, len, 1, trusted,
                          untrusted, err);
        free(data);
        return rc;
    }
    rc = hash_file(path, h, err);
    if (!rc)
        rc = sign_message(sig, sk, h, sizeof h, 0, trusted, untrusted, err);
    return rc;
}

/* ---- verifying ------------------------------------------------------- */

/* What can be decided before reading the signed data. */
static int verify_pre(const wh_minisign_sig *sig, const wh_minisign_pubkey *pk,
                      const char *sig_path, unsigned flags, wh_err *err)
{
    int rc = ready(err);
    if (rc)
        return rc;
    if (memcmp(sig->key_id, pk->key_id, sizeof pk->key_id) != 0) {
        char a[17], b[17];
        wh_minisign_keyid_hex(sig->key_id, a);
        wh_minisign_keyid_hex(pk->key_id, b);
        return wh_fail(err, WH_E_VERIFY, sig_path, -1,
                       "signature key id %s does not match public key %s",
                       a, b);
    }
    if (sig->legacy && (flags & WH_MINISIGN_PREHASHED_ONLY))
        return wh_fail(err, WH_E_VERIFY, sig_path, -1, "legacy signature "
                       "refused: a prehashed signature is required");
    return 0;
}

/* The global signature: over sig->sig || the trusted comment. */
static int verify_global(const wh_minisign_sig *sig,
                         const wh_minisign_pubkey *pk, const char *sig_path,
                         wh_err *err)
{
    unsigned char gm[WH_MINISIGN_SIG_BYTES + WH_MINISIGN_TRUSTED_MAX];
    size_t tl = strlen(sig->trusted);
    assert(tl <= WH_MINISIGN_TRUSTED_MAX);
    memcpy(gm, sig->sig, sizeof sig->sig);
    memcpy(gm + sizeof sig->sig, sig->trusted, tl);
    if (crypto_sign_verify_detached(sig->global_sig, gm, sizeof sig->sig + tl,
                                    pk->pk) != 0)
        return wh_fail(err, WH_E_VERIFY, sig_path, -1,
                       "trusted comment verification failed");
    return 0;
}

static int verify_message(const wh_minisign_sig *sig,
                          const wh_minisign_pubkey *pk,
                          const unsigned char *msg, size_t len,
                          const char *sig_path, wh_err *err)
{
    if (crypto_sign_verify_detached(sig->sig, msg, len, pk->pk) != 0)
        return wh_fail(err, WH_E_VERIFY, sig_path, -1,
                       "signature verification failed");
    return verify_global(sig, pk, sig_path, err);
}

int wh_minisign_verify_comment(const wh_minisign_sig *sig,
                               const wh_minisign_pubkey *pk, const char *path,
                               wh_err *err)
{
    int rc = verify_pre(sig, pk, path, 0, err);
    return rc ? rc : verify_global(sig, pk, path, err);
}

int wh_minisign_verify_buffer(const wh_minisign_sig *sig,
                              const wh_minisign_pubkey *pk, const void *data,
                              size_t len, const char *sig_path, unsigned flags,
                              wh_err *err)
{
    unsigned char h[crypto_generichash_BYTES_MAX];
    int rc = verify_pre(sig, pk, sig_path, flags, err);
    if (rc)
        return rc;
    if (sig->legacy)
        return verify_message(sig, pk, data, len, sig_path, err);
    crypto_generichash(h, sizeof h, data, len, NULL, 0);
    return verify_message(sig, pk, h, sizeof h, sig_path, err);
}

int wh_minisign_verify_file(const wh_minisign_sig *sig,
                            const wh_minisign_pubkey *pk, const char *path,
                            const char *sig_path, unsigned flags, wh_err *err)
{
    unsigned char h[crypto_generichash_BYTES_MAX];
    int rc = verify_pre(sig, pk, sig_path, flags, err);
    if (rc)
        return rc;
    if (sig->legacy) {
        char *data;
        size_t len;
        rc = read_legacy(path, &data, &len, err);
        if (rc)
            return rc;
        rc = verify_message(sig, pk, (unsigned char *)data, len, sig_path, err);
        free(data);
        return rc;
    }
    rc = hash_file(path, h, err);
    if (!rc)
        rc = verify_message(sig, pk, h, sizeof h, sig_path, err);
    return rc;
}

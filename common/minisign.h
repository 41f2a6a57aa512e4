/* minisign.h - Ed25519 keys and signatures in minisign's file formats.
 *
 * Files written here are read by minisign 0.11 and the other way round
 * (tests/cli/t0100-minisign-interop.sh runs the real binary both ways).
 *
 *   public key   untrusted comment: minisign public key <KEYID>
 *                base64("Ed" || key_id[8] || ed25519_pk[32])
 *   secret key   untrusted comment: <text>
 *                base64("Ed" || kdf "Sc" or 00 00 || "B2" || salt[32] ||
 *                       opslimit u64le || memlimit u64le ||
 *                       key_id[8] || ed25519_sk[64] || blake2b_256[32])
 *                the last 104 bytes XORed with scrypt(password) when "Sc"
 *   signature    untrusted comment: <text>
 *                base64("ED" || key_id[8] || sig[64])
 *                trusted comment: <text>
 *                base64(ed25519(sig || trusted comment))
 *
 * "ED" signs BLAKE2b-512 of the file (the default, streamed); "Ed" is the
 * legacy form that signs the raw content.  Verification accepts both.
 * <KEYID> is the key id read as a little-endian u64, printed in upper-case
 * hex without leading zeros, exactly as minisign prints it.
 *
 * Layers: parse/format work on memory (strings of at most the *_TEXT_MAX
 * sizes below); load/save wrap them with the capped read and the atomic
 * write of common/fs.h.  Parse errors carry the path and line:column.
 *
 * Secret keys live in sodium_malloc'd memory (guard pages, wiped on free)
 * behind an opaque wh_minisign_seckey.  A key loaded from an encrypted
 * file stays encrypted until wh_minisign_seckey_decrypt(); signing with
 * a still-encrypted key is a bug (asserted).
 *
 * Functions that need libsodium initialise it themselves (sodium_init is
 * idempotent), failing with WH_E_INTERNAL if it cannot be.
 *
 * This is wharf's only door to libsodium: the rest of common/ and the
 * commands use wh_memzero and wh_ed25519_verify below, so the crypto
 * library could be swapped in one file.  (Test tools may call it.)
 */
#ifndef WH_MINISIGN_H
#define WH_MINISIGN_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define WH_MINISIGN_KEYID_BYTES 8
#define WH_MINISIGN_PK_BYTES    32
#define WH_MINISIGN_SIG_BYTES   64

/* Longest comments, in bytes: what minisign 0.11 itself still reads back
 * (its line buffers are 1024 and 8192 bytes with the prefix and newline). */
#define WH_MINISIGN_COMMENT_MAX 1003
#define WH_MINISIGN_TRUSTED_MAX 8173

/* Sizes of the formatted files, NUL included. */
#define WH_MINISIGN_PUBKEY_B64_LEN 56
#define WH_MINISIGN_PUBKEY_TEXT_MAX (19 + WH_MINISIGN_COMMENT_MAX + 1 + 56 + 1 + 1)
#define WH_MINISIGN_SECKEY_TEXT_MAX (19 + WH_MINISIGN_COMMENT_MAX + 1 + 212 + 1 + 1)
#define WH_MINISIGN_SIG_TEXT_MAX    (19 + WH_MINISIGN_COMMENT_MAX + 1 + 100 + 1 + \
                                     17 + WH_MINISIGN_TRUSTED_MAX + 1 + 88 + 1 + 1)

/* Key and signature files are read with this cap. */
#define WH_MINISIGN_FILE_MAX (64u * 1024)

/* Legacy ("Ed") signatures cover the raw content, which must be held in
 * memory: files above this size are refused (minisign allows 1 GiB). */
#define WH_MINISIGN_LEGACY_MAX (64u * 1024 * 1024)

/* scrypt cost of an encrypted secret key.  The defaults are minisign's
 * (libsodium's "sensitive" limits: about 1 GiB and seconds of work).
 * Loading refuses limits above the maxima so a hostile key file cannot
 * ask for unbounded memory or time. */
typedef struct wh_minisign_kdf {
    uint64_t opslimit;
    uint64_t memlimit;
} wh_minisign_kdf;

#define WH_MINISIGN_OPSLIMIT_DEFAULT 33554432ull
#define WH_MINISIGN_MEMLIMIT_DEFAULT 1073741824ull
#define WH_MINISIGN_OPSLIMIT_MIN     32768ull
#define WH_MINISIGN_MEMLIMIT_MIN     16777216ull
#define WH_MINISIGN_OPSLIMIT_MAX     (4 * WH_MINISIGN_OPSLIMIT_DEFAULT)
#define WH_MINISIGN_MEMLIMIT_MAX     (2 * WH_MINISIGN_MEMLIMIT_DEFAULT)

typedef struct wh_minisign_pubkey {
    unsigned char key_id[WH_MINISIGN_KEYID_BYTES];
    unsigned char pk[WH_MINISIGN_PK_BYTES];
} wh_minisign_pubkey;

typedef struct wh_minisign_seckey wh_minisign_seckey;

/* A signature file.  trusted is only trustworthy after a verify function
 * returned 0 for this struct. */
typedef struct wh_minisign_sig {
    int           legacy;   /* 1: "Ed" (raw content), 0: "ED" (prehashed) */
    unsigned char key_id[WH_MINISIGN_KEYID_BYTES];
    unsigned char sig[WH_MINISIGN_SIG_BYTES];
    unsigned char global_sig[WH_MINISIGN_SIG_BYTES];
    char          untrusted[WH_MINISIGN_COMMENT_MAX + 1];
    char          trusted[WH_MINISIGN_TRUSTED_MAX + 1];
} wh_minisign_sig;

/* Flags of sign, verify and load. */
enum {
    WH_MINISIGN_LEGACY = 1,         /* sign: make an "Ed" signature */
    WH_MINISIGN_PREHASHED_ONLY = 2, /* verify: refuse "Ed" (minisign -H) */
    WH_MINISIGN_NOFOLLOW = 4,       /* load: refuse a symbolic link */
};

/* ---- primitives for the rest of wharf -------------------------------- */

/* Wipe n bytes at p (passwords, key text) so that the compiler cannot
 * drop the stores as dead (sodium_memzero).  NULL with n == 0 is fine. */
void wh_memzero(void *p, size_t n);

/* Check a plain Ed25519 signature (RFC 8032, no prehash) of msg[0..len)
 * by the public key pk.  Returns 0 when it is valid, -1 otherwise;
 * should libsodium be unusable it fails closed (-1).  For signatures in
 * other formats than minisign's (wascap tokens, common/jwt.c). */
int wh_ed25519_verify(const unsigned char sig[WH_MINISIGN_SIG_BYTES],
                      const void *msg, size_t len,
                      const unsigned char pk[WH_MINISIGN_PK_BYTES])
    __attribute__((warn_unused_result));

/* ---- keys ------------------------------------------------------------ */

/* Make a new key pair with a random key id.  *sk is to be freed with
 * wh_minisign_seckey_free. */
int wh_minisign_keygen(wh_minisign_seckey **sk, wh_minisign_pubkey *pk,
                       wh_err *err);

/* Wipe and free (NULL is fine). */
void wh_minisign_seckey_free(wh_minisign_seckey *sk);

/* 1 while the key still needs wh_minisign_seckey_decrypt. */
int wh_minisign_seckey_encrypted(const wh_minisign_seckey *sk);

/* Decrypt a key loaded from an encrypted file.  A wrong password (or a
 * damaged file) fails with WH_E_PASSWORD "wrong password or corrupted
 * secret key" and leaves sk as it was, so the caller can ask again.  path
 * names the key file in messages (may be NULL).  A no-op for an
 * unencrypted key. */
int wh_minisign_seckey_decrypt(wh_minisign_seckey *sk, const char *password,
                               const char *path, wh_err *err);

/* The public half and key id of a decrypted key (minisign -R). */
void wh_minisign_seckey_public(const wh_minisign_seckey *sk,
                               wh_minisign_pubkey *pk);

/* "1DE9680458DF17CE": the key id as minisign prints it. */
void wh_minisign_keyid_hex(const unsigned char id[WH_MINISIGN_KEYID_BYTES],
                           char out[17]);

/* ---- text forms (memory) --------------------------------------------- */

/* Write the public key file to out.  comment NULL means minisign's
 * "minisign public key <KEYID>".  Comments longer than
 * WH_MINISIGN_COMMENT_MAX or holding a line break fail with WH_E_USAGE. */
int wh_minisign_pubkey_format(const wh_minisign_pubkey *pk, const char *comment,
                              char out[WH_MINISIGN_PUBKEY_TEXT_MAX], wh_err *err);

/* Parse a public key file's text (len bytes; path for messages). */
int wh_minisign_pubkey_parse(wh_minisign_pubkey *pk, const char *text,
                             size_t len, const char *path, wh_err *err);

/* The key alone as base64 ("RWQ..."), as minisign -P takes it. */
void wh_minisign_pubkey_to_base64(const wh_minisign_pubkey *pk,
                                  char out[WH_MINISIGN_PUBKEY_B64_LEN + 1]);
int wh_minisign_pubkey_from_base64(wh_minisign_pubkey *pk, const char *b64,
                                   size_t len, wh_err *err);

/* Write the secret key file to out.  password NULL writes it unencrypted
 * (kdf 00 00, as minisign -W); otherwise scrypt with a fresh salt and
 * kdf's limits (NULL: minisign's defaults; out of the MIN..MAX range:
 * WH_E_USAGE).  comment NULL: "minisign encrypted secret key" or
 * "minisign unencrypted secret key".  sk must be decrypted.  out holds
 * the secret: wipe it (wh_memzero) after use. */
int wh_minisign_seckey_format(const wh_minisign_seckey *sk,
                              const char *password, const wh_minisign_kdf *kdf,
                              const char *comment,
                              char out[WH_MINISIGN_SECKEY_TEXT_MAX], wh_err *err);

/* Parse a secret key file.  An unencrypted key is checked at once (its
 * checksum, unless all zero as minisign -W writes it, and that the public
 * half matches the seed); an encrypted one when decrypted. */
int wh_minisign_seckey_parse(wh_minisign_seckey **sk, const char *text,
                             size_t len, const char *path, wh_err *err);

/* Write / parse a signature file.  Formatting re-checks the comments
 * (the caller may have edited untrusted): WH_E_USAGE if one is too long
 * or holds a line break. */
int wh_minisign_sig_format(const wh_minisign_sig *sig,
                           char out[WH_MINISIGN_SIG_TEXT_MAX], wh_err *err);
int wh_minisign_sig_parse(wh_minisign_sig *sig, const char *text, size_t len,
                          const char *path, wh_err *err);

/* ---- files ----------------------------------------------------------- */

int wh_minisign_pubkey_load(wh_minisign_pubkey *pk, const char *path,
                            wh_err *err);
int wh_minisign_pubkey_save(const wh_minisign_pubkey *pk, const char *comment,
                            const char *path, wh_err *err);
int wh_minisign_seckey_load(wh_minisign_seckey **sk, const char *path,
                            wh_err *err);
/* Saved with mode 0600. */
int wh_minisign_seckey_save(const wh_minisign_seckey *sk, const char *password,
                            const wh_minisign_kdf *kdf, const char *comment,
                            const char *path, wh_err *err);
int wh_minisign_sig_load(wh_minisign_sig *sig, const char *path, wh_err *err);
/* wh_minisign_sig_load with flags WH_MINISIGN_NOFOLLOW: a symbolic link
 * is refused without opening its target (WH_E_UNSAFE "symbolic link not
 * followed"), for FILE.minisig found beside FILE in a folder that others
 * fill.  Like every load it never waits on a FIFO ("not a regular file"). */
int wh_minisign_sig_load_flags(wh_minisign_sig *sig, const char *path,
                               unsigned flags, wh_err *err);
int wh_minisign_sig_save(const wh_minisign_sig *sig, const char *path,
                         wh_err *err);

/* ---- signing and verifying ------------------------------------------- */

/* minisign's default trusted comment for path signed at timestamp:
 * "timestamp:1700000000\tfile:<basename>\thashed" ("\thashed" only for a
 * prehashed signature).  out holds WH_MINISIGN_TRUSTED_MAX + 1 bytes;
 * a file name with a line break or too long fails with WH_E_USAGE. */
int wh_minisign_default_trusted(char *out, const char *path,
                                long long timestamp, int legacy, wh_err *err);

/* Sign data[0..len).  trusted is required; untrusted NULL means
 * "signature from minisign secret key".  flags: WH_MINISIGN_LEGACY. */
int wh_minisign_sign_buffer(wh_minisign_sig *sig, const wh_minisign_seckey *sk,
                            const void *data, size_t len, const char *trusted,
                            const char *untrusted, unsigned flags, wh_err *err);

/* Sign the file at path, streamed unless WH_MINISIGN_LEGACY.  trusted
 * NULL means the default trusted comment with the current time. */
int wh_minisign_sign_file(wh_minisign_sig *sig, const wh_minisign_seckey *sk,
                          const char *path, const char *trusted,
                          const char *untrusted, unsigned flags, wh_err *err);

/* Verify sig over data or over the file at path (streamed unless sig is
 * legacy).  sig_path names the signature in messages.  Failures are
 * WH_E_VERIFY with the reasons
 *   "signature key id <X> does not match public key <Y>"
 *   "legacy signature refused: a prehashed signature is required"
 *   "signature verification failed"
 *   "trusted comment verification failed"
 * and on success sig->trusted is the verified trusted comment.  flags:
 * WH_MINISIGN_PREHASHED_ONLY. */
int wh_minisign_verify_buffer(const wh_minisign_sig *sig,
                              const wh_minisign_pubkey *pk, const void *data,
                              size_t len, const char *sig_path, unsigned flags,
                              wh_err *err);
int wh_minisign_verify_file(const wh_minisign_sig *sig,
                            const wh_minisign_pubkey *pk, const char *path,
                            const char *sig_path, unsigned flags, wh_err *err);

/* Verify only the trusted comment: that sig names pk's key id and that
 * its global signature covers sig->sig || sig->trusted, without the
 * signed data.  This proves that pk's holder wrote this trusted comment
 * for this signature, not that the signature matches any file: for
 * reading what a signature says (the serial of a previous index) when
 * its file is not at hand.  Failures are WH_E_VERIFY with path (the
 * signature file, may be NULL) and the reasons
 *   "signature key id <X> does not match public key <Y>"
 *   "trusted comment verification failed" */
int wh_minisign_verify_comment(const wh_minisign_sig *sig,
                               const wh_minisign_pubkey *pk, const char *path,
                               wh_err *err);

#endif

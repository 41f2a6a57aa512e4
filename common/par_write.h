/* par_write.h - writing wasmCloud provider archives (PAR): nkeys seeds,
 * wascap claims tokens, and the archive itself.
 *
 * What is written is what wasmCloud's provider-archive crate and wascap
 * write (docs/index-format.md, "PAR", says what the reader demands):
 *
 *   - a tar (GNU format) holding claims.jwt first, then one binary per
 *     target named "<target>.bin", then world.wasm when there is one;
 *     gzip-compressed (level 9, no time stamp) on request;
 *   - claims.jwt: base64url("{"typ":"jwt","alg":"Ed25519"}") "."
 *     base64url(payload) "." base64url(Ed25519 signature of the two), the
 *     payload in wascap's field order: exp?, jti, iat, iss, sub, nbf?,
 *     wascap {name, vendor, rev?, ver?, target_hashes, config_schema?},
 *     wascap_revision 3; target_hashes maps each target (and
 *     "world.wasm") to the UPPER-case hex SHA-256 of its bytes.
 *
 * Keys are nkeys.  A seed ("S...", 58 characters) is the unpadded base32
 * of 36 bytes:
 *
 *     0x90 | role >> 5,  (role & 31) << 3,  32-byte Ed25519 seed,
 *     CRC-16/XMODEM of the 34 bytes before it, little-endian
 *
 * so a seed's second letter is its role's ("SA..." account, "SV..."
 * service).  Its public key is common/nkeys.h's.  The Ed25519 key pair is
 * libsodium's crypto_sign_seed_keypair of the 32-byte seed, as in nkeys.
 *
 * Seed files hold the seed on their first line and, optionally, the
 * public key on the second (what `wharf par keygen` prints), nothing
 * else.  They are refused when they are symbolic links, not regular files
 * (FIFOs, devices), larger than 4 KiB, or readable or writable by anyone
 * but their owner (as ssh refuses private keys).
 *
 * Secret material lives in wh_par_key, which the caller wipes with
 * wh_par_key_wipe.  Nothing here prints or exits.
 */
#ifndef WH_PAR_WRITE_H
#define WH_PAR_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "common/nkeys.h"

/* Characters of a seed, and its bytes. */
#define WH_NKEY_SEED_LEN     58
#define WH_NKEY_SEED_RAW_LEN 36

/* Largest seed file read. */
#define WH_PAR_SEED_FILE_MAX 4096

/* Longest target ("<arch>-<os>"). */
#define WH_PAR_TARGET_MAX 64

typedef struct wh_par_key {
    int     role;                     /* WH_NKEY_ACCOUNT, WH_NKEY_SERVICE, ... */
    uint8_t seed[32];
    uint8_t pk[32];
    uint8_t sk[64];                   /* libsodium's secret key */
    char    pub[WH_NKEY_LEN + 1];     /* the public nkey */
} wh_par_key;

/* --- keys ------------------------------------------------------------- */

/* The key of role (a WH_NKEY_* role) from a 32-byte Ed25519 seed.
 * Returns 0, or WH_E_INTERNAL when libsodium cannot start. */
int wh_par_key_from_seed(wh_par_key *k, int role, const uint8_t seed[32],
                         wh_err *err);

/* A new random key of role. */
int wh_par_key_generate(wh_par_key *k, int role, wh_err *err);

/* Write k's seed text (WH_NKEY_SEED_LEN characters and a NUL). */
void wh_par_key_seed_text(const wh_par_key *k,
                          char out[WH_NKEY_SEED_LEN + 1]);

/* Decode the n characters at s as a seed of role want (-1: any role).
 * Fails with WH_E_FORMAT, err->path empty, reason one of:
 *   "seed has 57 characters, expected 58"
 *   "invalid base32 character 'a'"   (any wh_base32_decode reason)
 *   "invalid seed checksum"
 *   "not a seed"                     (the first byte is not a seed's)
 *   "invalid seed prefix byte 0x01"  (no such role)
 *   "an account seed, expected a service seed" */
int wh_par_key_decode(wh_par_key *k, const char *s, size_t n, int want,
                      wh_err *err);

/* Read the seed file at path (see above) as a seed of role want (-1:
 * any).  Errors name path; a seed's errors carry line 1 or 2, e.g.
 * "sub.nk:1:1: an account seed, expected a service seed",
 * "k.nk:2:1: public key does not match the seed",
 * "k.nk: readable or writable by others (mode 0644); chmod 600 it"
 * (WH_E_UNSAFE), "k.nk: symbolic link not followed" (WH_E_UNSAFE). */
int wh_par_key_load(wh_par_key *k, const char *path, int want, wh_err *err);

/* Wipe k (the seed and secret key). */
void wh_par_key_wipe(wh_par_key *k);

/* --- claims ----------------------------------------------------------- */

/* 0 if t is a target name: "<arch>-<os>", each part 1 or more of a-z 0-9
 * and '_', at most WH_PAR_TARGET_MAX bytes; else WH_E_USAGE
 * "target 'x' is not <arch>-<os> (e.g. x86_64-linux)". */
int wh_par_target_check(const char *t, wh_err *err);

/* Add name's hash to target_hashes: the key is the target (name without
 * its extension), or "world.wasm" itself. */
int wh_par_hash_add(json_t *hashes, const char *name, const void *data,
                    size_t len, wh_err *err);

typedef struct wh_par_claims {
    const char   *name, *vendor;  /* required */
    const char   *ver;            /* NULL: none */
    int           has_rev;
    int32_t       rev;
    const json_t *config_schema;  /* NULL: none (copied) */
    int64_t       iat;
    int           has_exp, has_nbf;
    int64_t       exp, nbf;
    const char   *jti;            /* NULL: derived (wh_par_payload) */
} wh_par_claims;

/* The payload of the claims, in wascap's order (see above), with iss and
 * sub the public nkeys; hashes (target_hashes) is consumed, even on
 * failure.  Without c->jti, jti is 22 characters of base62 derived from
 * the SHA-256 of the rest of the payload: unique for every content and
 * time, and the same for the same (so builds repeat).  NULL when out of
 * memory. */
json_t *wh_par_payload(const wh_par_claims *c, const char *iss,
                       const char *sub, json_t *hashes);

/* Set payload's jti as wh_par_payload does without c->jti. */
int wh_par_set_jti(json_t *payload, wh_err *err);

/* The signed token: header (NULL: {"typ":"jwt","alg":"Ed25519"}, else
 * these bytes), payload as compact JSON in its key order, and the
 * signature with sk (a wh_par_key's).  Returns a malloc'd string, or
 * NULL with err set. */
char *wh_par_token(const char *header, const json_t *payload,
                   const uint8_t sk[64], wh_err *err);

/* --- archives --------------------------------------------------------- */

enum { WH_PAR_FILE = 0, WH_PAR_DIR, WH_PAR_SYMLINK };

typedef struct wh_par_entry {
    const char    *name;   /* "claims.jwt", "x86_64-linux.bin", ... */
    const uint8_t *data;   /* for WH_PAR_SYMLINK: the link target */
    size_t         len;
    int            type;   /* WH_PAR_FILE; the others are for tests that
                              build bad archives, wharf never writes them */
} wh_par_entry;

/* Write the entries, in order, as a tar (gzip when gzip is set) into a
 * malloc'd *out of *len bytes.  Files are mode 0644, time 0, owner 0. */
int wh_par_tar(const wh_par_entry *e, size_t n, int gzip, uint8_t **out,
               size_t *len, wh_err *err);

/* A whole archive: claims over the binaries (and world.wasm) in bins,
 * issued by iss for sub, then the tar with claims.jwt first.  bins[i].name
 * is "<target>.<ext>" or "world.wasm"; world.wasm is written last. */
int wh_par_build(const wh_par_claims *c, const wh_par_key *iss,
                 const char *sub, const wh_par_entry *bins, size_t n,
                 int gzip, uint8_t **out, size_t *len, wh_err *err);

/* --- reading back (inspect, insert) ----------------------------------- */

#define WH_PAR_MAX_ENTRIES 256

/* An archive's entries in memory, in their order, without judging them
 * (wh_par_read in common/pkg.h does that). */
typedef struct wh_par_archive {
    int          gzip;                /* the file was gzip-compressed */
    size_t       n;
    wh_par_entry ent[WH_PAR_MAX_ENTRIES];  /* names and data owned */
    const char  *claims;              /* claims.jwt's text (in ent[]) */
    size_t       claims_len;
} wh_par_archive;

/* Load the archive data[0..len) (path names it in errors): regular files
 * at the root only, at most WH_PAR_MAX_ENTRIES, WH_PKG_MAX_SIZE bytes in
 * all, and exactly one claims.jwt.  Free with wh_par_archive_free. */
int wh_par_load(const char *path, const uint8_t *data, size_t len,
                wh_par_archive *a, wh_err *err);

void wh_par_archive_free(wh_par_archive *a);

#endif

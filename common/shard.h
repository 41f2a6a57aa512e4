/* shard.h - the sharded index of a wharf site (docs/index-format.md,
 * "The sharded index"): the one reader, checker and serialiser of its
 * three documents, for wharf-index and wharf alike.
 *
 *   SITE/snapshot.json.minisig          the entry point: its trusted
 *       comment "wharf-snapshot/1 serial:N expires:T sha256:HEX" names
 *   SITE/index/snapshot/HEX.json        the top level: serial, expiry,
 *       repository, and the SHA-256 of each of 2^bin_bits bins
 *   SITE/index/bins/HEX.json            a bin: module name -> the SHA-256
 *       of its module file, for every module whose name hashes to it
 *   SITE/index/modules/HE/HEX.json      a module file: one module's
 *       version records, exactly as index.json holds them
 *
 * Only the top level is signed; every other file is named by the
 * SHA-256 of its bytes and checked against it, so each is immutable and
 * one signature pins a whole consistent snapshot (TUF's snapshot and
 * hashed bins, apt's by-hash).  A module's bin is the first 32 bits of
 * SHA-256(name), big-endian, shifted right by 32 - bin_bits.
 *
 * Every document is canonical JSON and is checked as strictly as
 * index.json (common/index.c checks the version records, the same
 * function for both layouts).
 *
 * Tests: tests/unit/shard_test.c; tests/cli/t1110-wharf-index-sharded.sh.
 */
#ifndef WH_SHARD_H
#define WH_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "common/index.h"
#include "common/minisign.h"

#define WH_SNAP_FORMAT     "wharf-snapshot/1"
#define WH_BIN_FORMAT      "wharf-bin/1"
#define WH_MODFILE_FORMAT  "wharf-module/1"
#define WH_SNAP_SIG        "snapshot.json.minisig"
#define WH_SNAP_JSON       "snapshot.json"
#define WH_SNAP_DIR        "index"
#define WH_SNAP_MAX_BITS   16
#define WH_SNAP_BIN_TARGET 1024                  /* modules a bin aims at */
#define WH_SNAP_MAX        ((size_t)16 << 20)    /* bytes of a top level */
#define WH_BIN_MAX         ((size_t)64 << 20)    /* of a bin */
#define WH_MODFILE_MAX     ((size_t)64 << 20)    /* of a module file */

/* A verified top level. */
typedef struct wh_snap {
    wh_index_head head;        /* serial, expires, SHA-256 of bytes */
    int64_t  generated;
    char    *bytes;            /* the top level's bytes, NUL-terminated */
    size_t   len;
    json_t  *json;
    unsigned bits;             /* bin_bits */
    size_t   nbins;            /* 1 << bits */
    const char **bins;         /* nbins hex digests into json; "" = empty */
    size_t   modules, packages;
    const char *name, *key_id; /* repository, into json */
    json_t **bin_cache;        /* nbins parsed bins, filled as read */
} wh_snap;

/* bin_bits for a repository of that many modules: the fewest that keep
 * a bin at WH_SNAP_BIN_TARGET modules or fewer (0 up to 1024 modules). */
unsigned wh_snap_bits_for(size_t modules);

/* The bin of module name[0..len) among 1 << bits. */
size_t wh_snap_bin_of(const char *name, size_t len, unsigned bits);

/* "wharf-snapshot/1 serial:N expires:T sha256:HEX" into out (n >= 128). */
void wh_snap_comment(char *out, size_t n, const wh_index_head *h);

/* The site-relative path of a document named by hex: kind 's' the top
 * level (index/snapshot/HEX.json), 'b' a bin (index/bins/HEX.json), 'm'
 * a module file (index/modules/HE/HEX.json); suffix ("" or ".minisig")
 * is appended. */
int wh_snap_path(char *out, size_t n, int kind, const char *hex,
                 const char *suffix);

/* The canonical bytes of a module file for name and its "versions"
 * object, of a bin for its "modules" object (name -> hex), and their
 * SHA-256 in hex (65 bytes). */
int wh_snap_module_doc(const char *name, json_t *versions, char **out,
                       size_t *len, wh_err *err);
int wh_snap_bin_doc(json_t *modules, char **out, size_t *len, wh_err *err);
int wh_snap_hash(const void *bytes, size_t len, char hex[WH_SHA256_HEX],
                 wh_err *err);

/* Check that sig is by pk and its comment is a snapshot's: *h. */
int wh_snap_head_check(const wh_minisign_sig *sig, const wh_minisign_pubkey *pk,
                       const char *sig_path, wh_index_head *h, wh_err *err);
int wh_snap_head_load(const char *sig_path, const wh_minisign_pubkey *pk,
                      wh_minisign_sig *sig, wh_index_head *h, wh_err *err);

/* Verify bytes[0..len) (malloc'd; s owns it from now, even on failure)
 * as the top level sig signs, as wh_index_verify does an index. */
int wh_snap_verify(wh_snap *s, const wh_minisign_sig *sig,
                   const wh_minisign_pubkey *pk, char *bytes, size_t len,
                   const char *path, const char *sig_path, wh_err *err);
void wh_snap_free(wh_snap *s);

/* Check bin number `bin` of s: bytes[0..len) must have the SHA-256 the
 * top level gives, be canonical, and list only modules that hash to this
 * bin, each with a hex digest.  *modules (name -> hex) is the caller's. */
int wh_snap_bin_parse(const wh_snap *s, size_t bin, const char *bytes,
                      size_t len, const char *path, json_t **modules,
                      wh_err *err);

/* Check the module file of name, which its bin names by sha256: the
 * digest, canonical JSON, the format, the name, every version and its
 * record.  *versions is the caller's; *count its versions. */
int wh_snap_module_parse(const char *name, const char *sha256,
                         const char *bytes, size_t len, const char *path,
                         json_t **versions, size_t *count, wh_err *err);

/* --- a site folder ------------------------------------------------------- */

/* Load and verify SITE's top level: WH_E_NOTFOUND when it has none. */
int wh_snap_load(wh_snap *s, const char *site, const wh_minisign_pubkey *pk,
                 wh_err *err);

/* A top level of SITE by its digest, unsigned (one a signature named
 * before: what changed since is the two's difference): read, checked
 * against the digest and as wh_snap_verify does. */
int wh_snap_load_hash(wh_snap *s, const char *site, const char *hex, wh_err *err);
/* The bin of s (read, checked and cached in s on first use): borrowed. */
int wh_snap_bin(wh_snap *s, const char *site, size_t bin, json_t **modules,
                wh_err *err);

/* The "versions" of module name (new reference), WH_E_NOTFOUND when no
 * bin lists it. */
int wh_snap_module(wh_snap *s, const char *site, const char *name,
                   json_t **versions, wh_err *err);

/* The "versions" of module name from its module file hex (what a bin
 * says), checked as wh_snap_module does. */
int wh_snap_module_read(const char *site, const char *name, const char *hex,
                        json_t **versions, wh_err *err);
/* The whole sharded index of SITE as one wh_index (the layout of
 * index.json in ix->json, ix->bytes NULL, ix->head the top level's):
 * every bin and module file read and checked.  For readers that walk
 * every module (verify, the catalogue). */
int wh_snap_index_load(wh_index *ix, const char *site,
                       const wh_minisign_pubkey *pk, wh_err *err);

/* The modules of bin `bin` of s as a wh_index (the same shape, every
 * bin and module file checked as above): for readers that go through
 * a large index a bin at a time (verify). */
int wh_snap_part_load(wh_snap *s, const char *site, size_t bin, wh_index *part,
                      wh_err *err);
/* The modules and versions the bins listed must be what s says. */
int wh_snap_count_check(const wh_snap *s, const char *site, size_t modules,
                        size_t packages, wh_err *err);
/* A site's whole index, whichever layout it has: index.json when it has
 * one (the copy is one file), else the sharded index (WH_E_NOTFOUND when
 * it has neither). */
int wh_site_index_load(wh_index *ix, const char *site,
                       const wh_minisign_pubkey *pk, wh_err *err);

#endif

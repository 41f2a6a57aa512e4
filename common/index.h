/* index.h - the one reader and verifier of a wharf site's signed index
 * (docs/index-format.md, "wharf-index/1").
 *
 * Every reader of a site goes through here: `wharf-index verify`, the
 * catalogue, and `wharf`.  A site is entered by its signature,
 * SITE/index.json.minisig: its trusted comment, covered by the global
 * signature, says "wharf-index/1 serial:N expires:T sha256:HEX", and HEX
 * names the index itself, SITE/by-hash/HEX.json (immutable, written
 * before the signature pointed at it).  So a reader that takes the
 * signature and then the file it names always holds a matching pair,
 * whatever a build is doing meanwhile (apt's Acquire-By-Hash).
 * SITE/index.json is a copy of the current index for people and simple
 * tools; it may lag the signature by one build while one is running or
 * after one was killed.
 *
 * The checks, in order: the signature's key id and global signature (the
 * trusted comment), the comment's form, the signature over the index
 * bytes, their SHA-256 against the comment, canonical JSON, the format of
 * every field readers rely on, serial and expiry equal to the comment's,
 * and repository.key_id equal to the key's.  Expiry itself is the
 * caller's decision (an installer may allow an expired index on request).
 * A package file is then checked against its record by size and SHA-256
 * (wh_index_pkg_check), opened without following links or blocking.
 *
 * Tests: tests/unit/index_test.c; tests/cli/t1101-wharf-index-verify.sh,
 * t1103-wharf-index-publish.sh.
 */
#ifndef WH_INDEX_H
#define WH_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "common/minisign.h"
#include "common/sha256.h"

#define WH_INDEX_FORMAT   "wharf-index/1"
#define WH_INDEX_MAX      ((size_t)256 << 20)     /* bytes of index.json */
#define WH_INDEX_JSON     "index.json"
#define WH_INDEX_GZ       "index.json.gz"
#define WH_INDEX_SIG      "index.json.minisig"
#define WH_INDEX_BYHASH   "by-hash"

/* What the signature's trusted comment says. */
typedef struct wh_index_head {
    int64_t serial, expires;
    char    sha256[WH_SHA256_HEX];     /* of the index bytes */
} wh_index_head;

/* "wharf-index/1 serial:N expires:T sha256:HEX" into out (n >= 128). */
void wh_index_comment(char *out, size_t n, const wh_index_head *h);

/* The same comment, and its check, for another format: the sharded
 * index's top level (common/shard.h) says "wharf-snapshot/1". */
void wh_index_comment_as(char *out, size_t n, const char *format,
                         const wh_index_head *h);
int wh_index_head_check_as(const wh_minisign_sig *sig, const wh_minisign_pubkey *pk,
                           const char *format, const char *sig_path,
                           wh_index_head *h, wh_err *err);

/* Check that sig is by pk (key id, global signature over the trusted
 * comment) and parse its comment into *h.  The index bytes are not
 * needed: this is what a build reads to learn the previous serial.
 * sig_path names the signature in errors (WH_E_VERIFY). */
int wh_index_head_check(const wh_minisign_sig *sig, const wh_minisign_pubkey *pk,
                        const char *sig_path, wh_index_head *h, wh_err *err);

/* wh_minisign_sig_load (never through a link) + wh_index_head_check.  A
 * missing file is WH_E_NOTFOUND. */
int wh_index_head_load(const char *sig_path, const wh_minisign_pubkey *pk,
                       wh_minisign_sig *sig, wh_index_head *h, wh_err *err);

/* "by-hash/HEX.json" + suffix ("", ".gz", ".minisig") into out. */
int wh_index_byhash(char *out, size_t n, const char *sha256, const char *suffix);

/* --- what plugins add to a version record (docs/index-format.md,
 * "Plugin fields") ---------------------------------------------------------
 *
 * A package read by a format-handler plugin has kind "format:PLUGIN" and
 * "file", the one file it installs as; extractors and post-processors add
 * "metadata" (string pairs), "original_sha256" and "original_size" (the
 * file before processing) and "processed_by" (the post-processors, in
 * order).  The reader checks them as it checks every field; the writer
 * (wharf-index build) uses the same checks before it signs, so it never
 * writes an index its readers refuse. */
#define WH_INDEX_META_MAX_PAIRS  256
#define WH_INDEX_META_MAX_KEY    128     /* bytes */
#define WH_INDEX_META_MAX_VALUE  1024    /* bytes */
#define WH_INDEX_FILE_MAX        255     /* bytes of "file" */
#define WH_INDEX_MAX_PROCESSORS  64      /* entries of "processed_by" */
#define WH_INDEX_FORMAT_PREFIX   "format:"

/* The PLUGIN of a kind "format:PLUGIN" (a pointer into kind), else NULL
 * (also for NULL). */
const char *wh_index_format_plugin(const char *kind);

/* 0 if kind[0..len) is a kind an index may hold: "ferrpkg", "par",
 * "bundle", or "format:" and a module name; else WH_E_FORMAT saying why,
 * without a path ("'kind' is not ..."). */
int wh_index_kind_check(const char *kind, size_t len, wh_err *err);

/* 0 if name[0..len) may be a format package's "file": 1 to
 * WH_INDEX_FILE_MAX bytes, not "." or "..", no '/', '\\' or control
 * character (NUL included); else WH_E_FORMAT saying why, without a path
 * ("'file' 'a/b' contains '/'"). */
int wh_index_file_check(const char *name, size_t len, wh_err *err);

/* 0 if m is a valid "metadata" object (at most WH_INDEX_META_MAX_PAIRS
 * pairs; keys 1..WH_INDEX_META_MAX_KEY bytes without control characters;
 * values strings of at most WH_INDEX_META_MAX_VALUE bytes without NUL);
 * else WH_E_FORMAT saying why, without a path. */
int wh_index_metadata_check(const json_t *m, wh_err *err);

/* Check a module's "versions" object as the index's readers rely on it:
 * SemVer keys, every record's fields (path names the document and name
 * the module in errors); adds the versions to *count. */
int wh_index_versions_check(json_t *versions, const char *path,
                            const char *name, size_t *count, wh_err *err);

struct wh_snap;

/* A verified index.  A site's sharded index (common/shard.h) is one with
 * snap set and no bytes: its top level, read module by module; json is
 * then NULL, or everything when wh_snap_index_load read every module. */
typedef struct wh_index {
    char   *bytes;            /* the index.json bytes, NUL-terminated */
    size_t  len;
    json_t *json;             /* parsed; every field below checked */
    wh_index_head head;
    int64_t generated;
    size_t  packages, modules;
    struct wh_snap *snap;     /* a sharded index's top level (owned) */
} wh_index;

/* Verify bytes[0..len) (malloc'd; ix owns it from now, even on failure)
 * as the index sig signs: path and sig_path name the two in errors. */
int wh_index_verify(wh_index *ix, const wh_minisign_sig *sig,
                    const wh_minisign_pubkey *pk, char *bytes, size_t len,
                    const char *path, const char *sig_path, wh_err *err);

/* Load and verify a site folder's index: SITE/index.json.minisig, then
 * the index it names (by-hash/HEX.json; SITE/index.json for a site
 * written before by-hash existed).  WH_E_NOTFOUND when the site has no
 * signature. */
int wh_index_load(wh_index *ix, const char *site, const wh_minisign_pubkey *pk,
                  wh_err *err);

void wh_index_free(wh_index *ix);

/* One version record of a verified index (pointers into ix->json). */
typedef struct wh_index_pkg {
    const char *module, *version, *kind, *path, *sha256;
    uint64_t    size;
    int         has_sig;     /* a .minisig lies beside it (signed, not a
                              * PAR, not post-processed) */
    json_t     *record;
    int64_t     published;   /* first indexed (the index's time if unknown) */
} wh_index_pkg;

/* Every version record, module by module in the index's order; *v is
 * malloc'd (free it; the strings belong to ix). */
int wh_index_packages(const wh_index *ix, wh_index_pkg **v, size_t *n,
                      wh_err *err);

/* The version of a module that readers call its latest, among the keys
 * of its "versions" object: the highest SemVer that is neither a
 * pre-release nor yanked, else the highest not yanked, else the highest
 * (Cargo's rule: a yanked version is used only when pinned).  NULL when
 * versions is empty or not an object.  The string belongs to versions. */
const char *wh_index_latest(const json_t *versions);

/* Check SITE/p->path against its record: a regular file (no link
 * followed, never blocking), its size, then its SHA-256; with has_sig,
 * its .minisig must be present too.  Mismatches are WH_E_VERIFY. */
int wh_index_pkg_check(const wh_index_pkg *p, const char *site, wh_err *err);

/* The same for bytes already in memory (path names them in errors). */
int wh_index_pkg_check_mem(const wh_index_pkg *p, const void *data, size_t len,
                           const char *path, wh_err *err);

#endif

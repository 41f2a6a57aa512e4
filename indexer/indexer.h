/* indexer.h - the commands of wharf-index (prefix ix_, commands cmd_*) and
 * the pieces `build` and `verify` share.
 *
 *   scan.c      find the package files of PKGDIR, reuse what the cache
 *               (SITE/.wharf-cache.json) knows, read the rest in parallel
 *   trust.c     trusted publisher keys and PAR issuers; a package's signer
 *   index.c     index.json, its signature and .gz; placing packages in SITE;
 *               reading and checking an existing index
 *   progress.c  the progress bar on a terminal
 *
 * A build is: ix_trust_load, ix_index_prev_serial, ix_cache_load,
 * ix_scan_list, ix_scan_read, ix_scan_judge (duplicates, trust policy),
 * ix_site_place, ix_index_json, ix_index_write, ix_site_prune,
 * ix_cache_save.  A verify is ix_index_load, then ix_parallel over the
 * packages.  Only reading and hashing run on several threads; every write
 * to SITE happens on the main thread, in the order index-format.md
 * promises (packages, key, .gz, index.json, index.json.minisig last).
 */
#ifndef IX_INDEXER_H
#define IX_INDEXER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "common/minisign.h"
#include "common/nkeys.h"
#include "common/pkg.h"

int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_verify(int argc, char **argv);

/* ---- progress.c ------------------------------------------------------ */

/* A progress bar on stderr, drawn only when enabled (stderr is a terminal
 * and not --quiet).  ix_progress_add may be called from any thread; it
 * redraws at most ten times a second. */
typedef struct ix_progress {
    pthread_mutex_t lock;
    int       enabled, drawn;
    const char *what;              /* "reading", "hashing" */
    size_t    files, files_done;
    uint64_t  bytes, bytes_done;
    long long last_ms;             /* when last drawn */
} ix_progress;

/* 1 when a bar belongs on stderr: it is a terminal, TERM is not "dumb",
 * and quiet is 0. */
int ix_progress_wanted(int quiet);
void ix_progress_start(ix_progress *p, const char *what, size_t files,
                       uint64_t bytes, int enabled);
/* One file of `bytes` bytes is done. */
void ix_progress_add(ix_progress *p, uint64_t bytes);
/* Erase the bar (before printing anything else) and release p. */
void ix_progress_end(ix_progress *p);

/* ---- trust.c --------------------------------------------------------- */

/* signer.status in index-format.md. */
enum { IX_UNSIGNED = 0, IX_UNTRUSTED, IX_VERIFIED };

/* "unsigned", "untrusted", "verified". */
const char *ix_status_name(int status);

/* Who signed a package and whether it counts.  key_id is a minisign key
 * id ("63DDD5AC93DF4ECD") or a PAR's issuer nkey; verified_with is the
 * base64 public key a minisign signature verified with ("" if it was not
 * checked), which lets the cache reuse the verdict only while the same key
 * is trusted under that id. */
typedef struct ix_signer {
    int  status;
    char key_id[WH_NKEY_LEN + 1];
    char verified_with[WH_MINISIGN_PUBKEY_B64_LEN + 1];
} ix_signer;

typedef struct ix_trust ix_trust;

/* Load the trusted publisher keys (every *.pub file in keys_dir, which may
 * be NULL) and PAR issuers (issuers_file: one account nkey a line, '#'
 * comments, may be NULL).  A key or issuer that does not parse is an
 * error with its file and line; two files with one key id but different
 * keys are refused.  Free with ix_trust_free. */
int ix_trust_load(ix_trust **out, const char *keys_dir,
                  const char *issuers_file, wh_err *err);
void ix_trust_free(ix_trust *t);
size_t ix_trust_key_count(const ix_trust *t);
size_t ix_trust_issuer_count(const ix_trust *t);

/* Judge the detached signature at sig_path over data[0..len): a key id
 * among the trusted keys must verify (IX_VERIFIED, else WH_E_VERIFY and
 * the package is rejected); another key id gives IX_UNTRUSTED.  A
 * signature file that does not parse is WH_E_FORMAT. */
int ix_trust_minisig(const ix_trust *t, const char *sig_path,
                     const uint8_t *data, size_t len, ix_signer *out,
                     wh_err *err);

/* The verdict for an unchanged signature the cache remembers (key_id,
 * verified_with): 1 with *out filled when it still holds without reading
 * the package, 0 when the package must be read and the signature checked
 * again (a key was added or replaced under that id). */
int ix_trust_minisig_cached(const ix_trust *t, const char *key_id,
                            const char *verified_with, ix_signer *out);

/* A PAR's signer: its claims' issuer, verified when listed. */
void ix_trust_par(const ix_trust *t, const char *issuer, ix_signer *out);

/* ---- scan.c ---------------------------------------------------------- */

/* What identifies a file's content for the cache. */
typedef struct ix_stat {
    int      present;
    uint64_t size, ino;
    int64_t  mtime_ns;
} ix_stat;

enum {
    IX_PENDING = 0,   /* to be read */
    IX_OK,            /* read (or cached) and accepted so far */
    IX_BAD,           /* rejected: err says why */
    IX_SKIP,          /* not a package after all (sniffed) */
};

typedef struct ix_entry {
    char    *rel;           /* below PKGDIR: "sub/a.ferrpkg" */
    char    *path;          /* PKGDIR/rel, as messages name it */
    char    *sig_path;      /* path + ".minisig" */
    ix_stat  st, sig_st;    /* of the file and its signature */
    int      state;
    int      have_pkg;      /* pkg is filled (read, or from the cache) */
    int      was_read;      /* the file was read this run */
    int      cache_err;     /* err may be remembered by the cache */
    int      sig_ok;        /* signer is a verdict (checked or cached) */
    char     ext[12];       /* site extension: ".ferrpkg", ".par.gz", ... */
    wh_pkg   pkg;
    ix_signer signer;
    wh_err   err;
    char    *site_rel;      /* "packages/<name>@<version><ext>" */
    ix_stat  placed;        /* SITE's copy, as placed (for the cache) */
    json_t  *cached;        /* its cache record, when that answered it all
                             * (borrowed from ix_scan.cache) */
    ix_stat  placed0;       /* placed, as the cache remembered it */
} ix_entry;

typedef struct ix_scan {
    ix_entry *v;            /* in walk order */
    size_t    n, cap;
    size_t    ncached;      /* entries answered by the cache alone */
    json_t   *cache;        /* the cache's "entries", NULL if none */
    int64_t   cache_serial; /* serial the cache last saw, 0 if none */
    int64_t   start_ns;     /* when the scan began (racy-entry rule) */
} ix_scan;

/* Load SITE/.wharf-cache.json into s for ix_scan_list.  The cache is
 * signed with the repository key; a missing, damaged, foreign or
 * unverifiable one is ignored (why says why when it existed, else ""). */
void ix_cache_load(ix_scan *s, const char *site, const wh_minisign_pubkey *pk,
                   char *why, size_t whylen);

/* Walk pkgdir (sorted, hidden entries skipped) and list its package
 * files: *.ferrpkg, *.par, *.par.gz, *.zip, and any other file whose
 * first bytes are a package format's (FPKG, gzip, zip, tar); *.minisig
 * files are signatures.  Entries the cache answers are done (IX_OK,
 * IX_BAD or IX_SKIP); the rest are IX_PENDING.  A symbolic link or
 * special file with a package name is listed already rejected. */
int ix_scan_list(ix_scan *s, const char *pkgdir, const ix_trust *t,
                 wh_err *err);

/* How many pending entries, and their bytes (for the progress bar). */
void ix_scan_pending(const ix_scan *s, size_t *files, uint64_t *bytes);

/* Read, verify and judge the signature of every pending entry on `jobs`
 * threads; failures are left in each entry (IX_BAD and err). */
void ix_scan_read(ix_scan *s, const ix_trust *t, int jobs, int64_t now,
                  ix_progress *progress);

/* Apply the rules that need every package: PAR issuers, duplicate
 * name@version (both rejected, each naming the other), and with
 * require_sigs, reject what is not verified.  Assigns site_rel. */
int ix_scan_judge(ix_scan *s, const ix_trust *t, int require_sigs,
                  wh_err *err);

/* Save the cache (entries older than the racy window only), signed. */
int ix_cache_save(const ix_scan *s, const char *site, int64_t serial,
                  const wh_minisign_seckey *sk, wh_err *err);

void ix_scan_free(ix_scan *s);

/* Run fn(i, ctx) for i in [0, n) on up to `jobs` threads (the caller's
 * included), each taking the next index. */
void ix_parallel(size_t n, int jobs, void (*fn)(size_t i, void *ctx),
                 void *ctx);

/* Online CPUs (at least 1). */
int ix_cpu_count(void);

/* ---- index.c --------------------------------------------------------- */

#define IX_FORMAT "wharf-index/1"
#define IX_INDEX_MAX ((size_t)256 << 20)

typedef struct ix_meta {
    char    name[256];
    char    key_id[17];
    int64_t serial, generated, expires;
} ix_meta;

/* The canonical index.json of the accepted entries. */
int ix_index_json(const ix_scan *s, const ix_meta *m, char **out, size_t *len,
                  wh_err *err);

/* Put every accepted package (and its .minisig) in SITE/packages by
 * hard link, or by copy with its SHA-256 checked; *linked and *copied
 * count what was placed this run. */
int ix_site_place(ix_scan *s, const char *site, size_t *linked,
                  size_t *copied, wh_err *err);

/* Remove files below SITE/packages that no accepted entry placed. */
int ix_site_prune(const ix_scan *s, const char *site, size_t *removed,
                  wh_err *err);

/* Write keys/repo.pub, index.json.gz, index.json and, last,
 * index.json.minisig with the trusted comment
 * "wharf-index/1 serial:N expires:T sha256:HEX". */
int ix_index_write(const char *site, const char *json, size_t len,
                   const ix_meta *m, const wh_minisign_seckey *sk,
                   const wh_minisign_pubkey *pk, wh_err *err);

/* gzip of data with no name and no time in the header (deterministic). */
int ix_gzip(const void *data, size_t len, unsigned char **out, size_t *outlen,
            wh_err *err);
int ix_gunzip(const void *data, size_t len, size_t max, unsigned char **out,
              size_t *outlen, wh_err *err);

/* An index read back: SITE/index.json checked against its signature by
 * pk, its trusted comment and the format.  json is the parsed document. */
typedef struct ix_index {
    char   *bytes;
    size_t  len;
    json_t *json;
    int64_t serial, generated, expires;
    size_t  packages, modules;
} ix_index;

/* Load and check SITE/index.json: WH_E_NOTFOUND if absent; WH_E_VERIFY if
 * the signature, its trusted comment or the key id disagree; WH_E_FORMAT
 * naming the field that breaks index-format.md.  Expiry is the caller's
 * decision. */
int ix_index_load(ix_index *ix, const char *site, const wh_minisign_pubkey *pk,
                  wh_err *err);
void ix_index_free(ix_index *ix);

/* The serial of the site's current signature (0 for a new site), whose
 * trusted comment must be signed by pk; index.json itself may be from a
 * build that failed before signing it. */
int ix_index_prev_serial(const char *site, const wh_minisign_pubkey *pk,
                         int64_t *serial, wh_err *err);

/* "2027-02-19" for a Unix time. */
void ix_date(int64_t t, char out[32]);

#endif

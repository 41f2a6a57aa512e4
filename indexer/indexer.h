/* indexer.h - the commands of wharf-index (prefix ix_, commands cmd_*) and
 * the pieces `build` and `verify` share.
 *
 *   scan.c      find the package files of PKGDIR, reuse what the cache
 *               (SITE/.wharf-cache.json) knows, read the rest in parallel
 *   trust.c     trusted publisher keys and PAR issuers; a package's signer
 *   site.c      write the site: lock, place packages, publish the signed
 *               index (by hash, then the signature), prune
 *   shard_write.c  the sharded index (--layout sharded): module files and
 *               bins by hash, the signed top level, retired files
 *   changed.c   --changed LIST: the source map and a few files' changes
 *               to the previous sharded snapshot
 *   pool.c      the worker threads, --jobs, and the memory they may use
 *   yank.c      PKGDIR/yanked: versions their publisher withdrew
 *   progress.c  the progress bar on a terminal
 *   theme.c     a catalogue theme: its templates compiled, its assets read
 *   pagedata.c  the data a theme's templates see, from the verified index
 *   catalogue.c the HTML catalogue: pages rendered on threads, written
 *               when they change
 *
 * Reading a site back is common/index.c's (wh_index_*), shared with the
 * catalogue and the installer.
 *
 * A build is: ix_trust_load, ix_site_lock, ix_site_clean, ix_site_prev,
 * ix_cache_load, ix_scan_list, ix_scan_read, ix_scan_judge (duplicates,
 * trust policy), ix_site_place, ix_index_json, ix_site_publish, then
 * wh_index_load and ix_catalogue_write (the theme was loaded with
 * ix_theme_load before anything was written), ix_site_prune,
 * ix_cache_save.  A verify is wh_index_load, then
 * ix_parallel over the packages.  Only reading, hashing and rendering pages run on several
 * threads; every write to SITE happens on the main thread, in the order
 * site.c's head comment gives.
 */
#ifndef IX_INDEXER_H
#define IX_INDEXER_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <jansson.h>

#include "common/err.h"
#include "common/index.h"
#include "common/lock.h"
#include "common/minisign.h"
#include "common/mustache.h"
#include "common/nkeys.h"
#include "common/cli.h"
#include "common/pkg.h"
#include "common/plugin.h"
#include "common/shard.h"

int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_catalogue(int argc, char **argv);
int cmd_rotate(int argc, char **argv);

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

void ix_stat_from(ix_stat *s, const struct stat *st);
/* Both absent, or both present with equal size, inode and mtime. */
int ix_stat_same(const ix_stat *a, const ix_stat *b);

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
    char     ext[32];       /* site extension: ".ferrpkg", ".par.gz", or
                             * the one a format handler claims */
    int      handler;       /* 1 + the format handler reading it, 0: none */
    int      judged;        /* the plugins ran on it this run */
    uint8_t *out;           /* bytes a post-processor made, to publish */
    size_t   out_len;
    wh_pkg   pkg;
    ix_signer signer;
    wh_err   err;
    char    *site_rel;      /* "packages/<name>@<version><ext>" */
    ix_stat  placed;        /* SITE's copy, as placed (for the cache) */
    json_t  *cached;        /* its cache record, when that answered it all
                             * (borrowed from ix_scan.cache) */
    ix_stat  placed0;       /* placed, as the cache remembered it */
    int64_t  published;     /* when this file was first indexed */
    int      has_published; /* published is known (cache, previous index) */
} ix_entry;

typedef struct ix_plugset ix_plugset;

typedef struct ix_scan {
    ix_entry *v;            /* in walk order */
    size_t    n, cap;
    size_t    ncached;      /* entries answered by the cache alone */
    json_t   *cache;        /* the cache's "entries", NULL if none */
    int64_t   cache_serial; /* serial the cache last saw, 0 if none */
    int       cache_complete; /* it has every package of that serial's index */
    int64_t   start_ns;     /* when the scan began (racy-entry rule) */
    ix_plugset *plugins;    /* the build's plugins (borrowed), or NULL */
    const char *site;       /* SITE, where processed copies are checked */
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

/* List one file, PKGDIR/rel, as ix_scan_list would (without the cache):
 * 0, or -1 when there is no such file (it was removed), or an error. */
int ix_scan_add(ix_scan *s, const char *pkgdir, const char *rel, const ix_trust *t,
                wh_err *err);

/* How many pending entries, and their bytes (for the progress bar). */
void ix_scan_pending(const ix_scan *s, size_t *files, uint64_t *bytes);

/* Read, verify and judge the signature of every pending entry on `jobs`
 * threads, holding at most `budget` bytes at once (0: pool.c's default;
 * scan.c's read_cost says what a package takes); failures are left in
 * each entry (IX_BAD and err). */
void ix_scan_read(ix_scan *s, const ix_trust *t, int jobs, int64_t now,
                  uint64_t budget, ix_progress *progress);

/* Apply the rules that need every package: PAR issuers, duplicate
 * name@version (both rejected, each naming the other), and with
 * require_sigs, reject what is not verified.  Assigns site_rel. */
int ix_scan_judge(ix_scan *s, const ix_trust *t, int require_sigs,
                  wh_err *err);

/* Release dates ("published" in the index).  An entry the cache answered
 * keeps the date the cache remembers for it.  ix_scan_date_cached then
 * dates the others from the cache's records of the same module and
 * version (a moved or renamed file: the same SHA-256), and returns 1 when
 * some entry is still unknown to it and the cache is not a complete record
 * of the index of prev_serial: only then does the build read the previous
 * index.  ix_scan_date gives each entry still undated the date prev (the
 * previous index's "modules", NULL for none) has for the same module,
 * version and SHA-256, and any other now (as it does a date after now). */
int ix_scan_date_cached(ix_scan *s, int64_t prev_serial);
void ix_scan_date(ix_scan *s, const json_t *prev, int64_t now);

/* Save the cache (entries older than the racy window only), signed. */
int ix_cache_save(const ix_scan *s, const char *site, int64_t serial,
                  const wh_minisign_seckey *sk, wh_err *err);

void ix_scan_free(ix_scan *s);

/* ---- pool.c ---------------------------------------------------------- */

/* Run fn(i, ctx) for i in [0, n) on up to `jobs` threads (the caller's
 * included), each taking the next index. */
void ix_parallel(size_t n, int jobs, void (*fn)(size_t i, void *ctx),
                 void *ctx);

/* Online CPUs (at least 1, at most 256). */
int ix_cpu_count(void);

/* Parse --jobs N (1..256) into *jobs; a usage error (cli's message set)
 * otherwise, returned as wh_cli_usage_error's status. */
int ix_jobs_arg(wh_cli *cli, int *jobs);

/* A budget of bytes the reading threads may hold at once, so --jobs
 * cannot multiply a worst case past what the machine has (pool.c). */
typedef struct ix_budget {
    pthread_mutex_t lock;
    pthread_cond_t  freed;
    uint64_t        total, used;
} ix_budget;

/* total 0: a default from the machine's memory (pool.c says which). */
void ix_budget_init(ix_budget *b, uint64_t total);
/* Take want bytes, waiting while others hold too much; a want larger
 * than the whole budget is granted alone (with nothing else held).
 * Returns what was taken, to give back. */
uint64_t ix_budget_take(ix_budget *b, uint64_t want);
void ix_budget_give(ix_budget *b, uint64_t got);
void ix_budget_free(ix_budget *b);

/* ---- site.c ---------------------------------------------------------- */

typedef struct ix_meta {
    char    name[256];
    char    key_id[17];
    int64_t serial, generated, expires;
    json_t *yanked;         /* ix_yank_load's, borrowed; NULL: none */
} ix_meta;

#define IX_LOCK_NAME ".wharf-lock"

/* ---- yank.c ---------------------------------------------------------- */

#define IX_YANKED_NAME "yanked"

/* Read PKGDIR/yanked (none is an empty list) into *out: {"NAME@VERSION":
 * {"reason": "...", "line": N}}; *path (malloc'd) names the file. */
int ix_yank_load(const char *pkgdir, json_t **out, char **path, wh_err *err);

/* Take SITE/.wharf-lock (SITE must exist) for `who` (the command, which
 * the lock file names to others): WH_E_LOCKED naming the holder, or with
 * wait, wait for it (saying so on stderr, as who, unless quiet). */
int ix_site_lock(const char *site, const char *who, int wait, int quiet,
                 wh_lock *l, wh_err *err);

/* Remove the temporaries a killed build left in SITE (dot-named
 * ".X.tmp.*" and ".X.link.*"); the lock must be held.  *removed counts. */
int ix_site_clean(const char *site, size_t *removed, wh_err *err);

/* The current signature's head (serial, expiry, index hash), which must
 * be by pk; all zero for a new site. */
int ix_site_prev(const char *site, const wh_minisign_pubkey *pk,
                 wh_index_head *prev, wh_err *err);

/* WH_E_USAGE when SITE is PKGDIR or inside it. */
int ix_site_check_outside(const char *pkgdir, const char *site, wh_err *err);

/* The default repository name: SITE's folder name ("wharf" if none). */
void ix_site_default_name(const char *site, char *out, size_t n);

/* The canonical index.json of the accepted entries (dated: ix_scan_date). */
int ix_index_json(const ix_scan *s, const ix_meta *m, char **out, size_t *len,
                  wh_err *err);

/* The version record of accepted e: the reader's fields plus what the
 * indexer knows (site path, size, digest, signer, date, yank). */
json_t *ix_version_record(const ix_entry *e, const json_t *yanked);

/* The same index as a tree (NULL when out of memory). */
json_t *ix_index_tree(const ix_scan *s, const ix_meta *m);

/* Write SITE/keys/repo.pub, the repository key for people (a sharded
 * site's: ix_site_publish writes it for index.json). */
int ix_site_pubkey(const char *site, const wh_minisign_pubkey *pk, wh_err *err);

/* Remove index.json.minisig, index.json.gz and index.json (a site built
 * with --layout sharded), or snapshot.json.minisig and snapshot.json
 * (--layout full), the signature first. */
int ix_site_unpublish(const char *site, wh_err *err);
int ix_shard_unpublish(const char *site, wh_err *err);

/* ---- shard_write.c ----------------------------------------------------- */

/* What writing the sharded index did. */
typedef struct ix_shard_out {
    size_t written, kept;     /* module files and bins written, already there */
    size_t retired, removed;  /* files on the retired list, removed from it */
    size_t unreadable;        /* old bins that could not be read */
    size_t swept;             /* files no build named, retired now */
    char   sha256[WH_SHA256_HEX];   /* of the new top level */
    /* given by the caller: site files to retire (packages of removed
     * versions) and to keep (packages placed now) */
    char **retire, **name;
    size_t nretire, nname;
} ix_shard_out;

/* Write SITE's sharded index of root (ix_index_tree's) and commit it by
 * snapshot.json.minisig; files retired by a build before this one at
 * least retain seconds ago are removed. */
int ix_shard_publish(const char *site, json_t *root, const ix_meta *m,
                     const wh_minisign_seckey *sk, const wh_minisign_pubkey *pk,
                     int64_t retain, ix_shard_out *o, wh_err *err);

/* The same from the accepted entries of s, module by module (never the
 * whole index as one tree: what --layout sharded alone does). */
int ix_shard_publish_scan(const char *site, const ix_scan *s, const ix_meta *m,
                          const wh_minisign_seckey *sk, const wh_minisign_pubkey *pk,
                          int64_t retain, ix_shard_out *o, wh_err *err);

/* A job: the next snapshot after prev (NULL: a new site, whose bins are
 * sized for `files` and made right at the end), changed in batches
 * (ix_shard_apply: changes as for ix_shard_update), read back as it
 * stands (ix_shard_get: a module's versions, WH_E_NOTFOUND for none) and
 * committed once (ix_shard_finish; full: the job named every file, so
 * files no build named are swept).  Module files a later batch replaced
 * are retired. */
typedef struct ix_shard_job ix_shard_job;
int ix_shard_begin(ix_shard_job **j, const char *site, wh_snap *prev,
                   size_t files, int64_t serial, ix_shard_out *o, wh_err *err);
int ix_shard_get(ix_shard_job *j, const char *name, json_t **versions, wh_err *err);
int ix_shard_apply(ix_shard_job *j, json_t *changes, wh_err *err);
int ix_shard_finish(ix_shard_job *j, size_t modules, size_t packages, int full,
                    const ix_meta *m, const wh_minisign_seckey *sk, int64_t retain,
                    wh_err *err);
void ix_shard_job_free(ix_shard_job *j);

/* Write the next snapshot after prev (its bin_bits kept) with changes:
 * module name -> its new "versions", or null for a module no longer
 * listed; only their module files and bins are written, the top level
 * saying modules and packages.  o->retire/name as the caller set them. */
int ix_shard_update(const char *site, wh_snap *prev, json_t *changes,
                    size_t modules, size_t packages, const ix_meta *m,
                    const wh_minisign_seckey *sk, int64_t retain,
                    ix_shard_out *o, wh_err *err);

/* ---- changed.c (--changed LIST) ---------------------------------------- */

#define IX_SRCMAP_DIR ".wharf-sources"

/* The source map: PKGDIR path -> "name@version", in 256 files. */
typedef struct ix_srcmap {
    const char   *site;
    json_t       *bins[256];   /* read on first use */
    unsigned char dirty[256];
} ix_srcmap;

/* Open SITE's map (WH_E_NOTFOUND: no full sharded build wrote one). */
int ix_srcmap_open(ix_srcmap *m, const char *site, wh_err *err);
/* What rel provided ("name@version", borrowed; NULL: nothing). */
int ix_srcmap_get(ix_srcmap *m, const char *rel, const char **nv, wh_err *err);
/* rel provides accepted e now (NULL: nothing). */
int ix_srcmap_set(ix_srcmap *m, const char *rel, const ix_entry *e, wh_err *err);
/* Write the files set changed (without an fsync each: the caller syncs). */
int ix_srcmap_save(ix_srcmap *m, wh_err *err);
void ix_srcmap_free(ix_srcmap *m);
/* The serial the map describes and the build's fingerprint (trust lists,
 * plugins, yanks: ix_build_fingerprint): saved after the map, checked
 * before use (fp NULL: the serial alone). */
int ix_srcmap_serial_save(const char *site, int64_t serial, const char *fp,
                          wh_err *err);
int ix_srcmap_serial_check(const char *site, int64_t serial, const char *fp,
                           wh_err *err);
/* The serial saved with the map moved from `from` to `to` (a re-signed
 * snapshot: rotate); nothing when the map is not of `from`. */
int ix_srcmap_serial_move(const char *site, int64_t from, int64_t to, wh_err *err);

/* What a build's result depends on besides the package files: the
 * trusted keys (every *.pub of keys_dir), the issuers file, PKGDIR/yanked,
 * --require-signatures and the plugins' id, hashed into out. */
int ix_build_fingerprint(const char *keys_dir, const char *issuers,
                         const char *yanked, int require_sigs,
                         const char *plugset, char out[WH_SHA256_HEX], wh_err *err);

/* Walk PKGDIR and diff it against the map: *ch the files new or changed
 * (with all, every file), in the map's order
 * since (size, mtime, inode of the file or its .minisig, a PAR past its
 * expiry), *rm the map's files no longer there; *same counts the rest.
 * Memory: the walked paths and one of the map's files at a time. */
int ix_changed_walk(const char *pkgdir, ix_srcmap *m, int64_t now, int all,
                    char ***ch, size_t *nch, char ***rm, size_t *nrm, size_t *same,
                    wh_err *err);

/* The whole map of a full build's accepted packages. */
int ix_srcmap_write_all(const char *site, const ix_scan *s, wh_err *err);

/* The changes to the job's snapshot that s (files that exist, read and
 * judged) and removed (those that do not) make: *changes (module ->
 * versions, or null) for ix_shard_apply, *dm and *dp what they add to
 * its modules and versions, o->retire the packages of removed versions.
 * A package whose version its module still has is rejected in s. */
int ix_changed_apply(ix_shard_job *j, ix_scan *s, char **removed, size_t nremoved,
                     ix_srcmap *map, const json_t *yanked, int64_t now,
                     json_t **changes, long long *dm, long long *dp,
                     ix_shard_out *o, wh_err *err);


/* Put every accepted package (and its .minisig) in SITE/packages by
 * hard link, or by copy with its SHA-256 checked; *linked and *copied
 * count what was placed this run. */
int ix_site_place(ix_scan *s, const char *site, size_t *linked,
                  size_t *copied, wh_err *err);

/* Write keys/repo.pub, by-hash/HEX.json{.gz,.minisig}, then (the commit)
 * index.json.minisig with the trusted comment "wharf-index/1 serial:N
 * expires:T sha256:HEX", then the copies index.json.gz and index.json.
 * sha256 receives HEX. */
int ix_site_publish(const char *site, const char *json, size_t len,
                    const ix_meta *m, const wh_minisign_seckey *sk,
                    const wh_minisign_pubkey *pk, char sha256[WH_SHA256_HEX],
                    wh_err *err);

/* Remove what no accepted entry placed below SITE/packages, and by-hash
 * files of generations other than cur_sha256 and prev_sha256 ("" or NULL
 * for none); *removed counts the files removed from packages/. */
int ix_site_prune(const ix_scan *s, const char *site, const char *cur_sha256,
                  const char *prev_sha256, size_t *removed, wh_err *err);

/* ---- theme.c -------------------------------------------------------- */

/* A compiled catalogue theme (docs/catalogue.md): its pages' templates,
 * with their partials, and its assets. */
enum {
    IX_PAGE_LAYOUT, IX_PAGE_HOME, IX_PAGE_MODULE, IX_PAGE_CATEGORY,
    IX_PAGE_FEED, IX_THEME_PAGES
};

typedef struct ix_asset {
    char  *rel;            /* below assets/: "style.css" */
    char  *data;
    size_t len;
} ix_asset;

typedef struct ix_theme ix_theme;

/* Read and compile the theme in dir (NULL: the default one): every
 * template, every partial, every asset.  Errors name the file and, for a
 * template, line:column. */
int ix_theme_load(ix_theme **out, const char *dir, wh_err *err);
void ix_theme_free(ix_theme *t);
const wh_mustache *ix_theme_page(const ix_theme *t, int which);
const ix_asset *ix_theme_assets(const ix_theme *t, size_t *n);
/* SHA-256 (hex) of everything the theme was read from. */
const char *ix_theme_id(const ix_theme *t);

/* The default theme's folder (theme.c says where it is looked for). */
void ix_theme_default_dir(char *out, size_t n);

/* ---- pagedata.c ----------------------------------------------------- */

/* The page data of a site's catalogue (docs/catalogue.md), built once from
 * a verified index (which must outlive it) and read-only afterwards, so
 * pages may be rendered from it on several threads. */
typedef struct ix_pages ix_pages;

int ix_pages_build(ix_pages **out, const wh_index *ix,
                   const wh_minisign_pubkey *pk, wh_err *err);

/* A paged catalogue (catalogue_paged.c) builds page data from a part of
 * the site (the modules it renders) and gives the rest: the site's
 * counts, each module's dependents, which names the site lists.  Module
 * pages then have no site lists (categories, tags, kinds: empty) and no
 * module or package counts, cards have a null search_id, and the home
 * page lists the part's modules, most recently updated first. */
typedef struct ix_pages_ext {
    json_t *labels;          /* {"categories", "tags", "kinds"}: name -> count */
    size_t  modules, packages;
    json_t *(*used_by)(void *ctx, const char *name);   /* name -> true, borrowed */
    int     (*exists)(void *ctx, const char *name);
    void   *ctx;
} ix_pages_ext;
int ix_pages_build_ext(ix_pages **out, const wh_index *ix, const wh_minisign_pubkey *pk,
                       const ix_pages_ext *x, wh_err *err);
const char *ix_pages_module_name(const ix_pages *pg, size_t i);
const char *ix_pages_slug(const ix_pages *pg, const char *category);  /* its folder */
json_t *ix_pages_card(const ix_pages *pg, size_t i);            /* borrowed */
json_t *ix_pages_search_entries(const ix_pages *pg);            /* borrowed */
/* A category page of the given cards (stolen) of total modules. */
json_t *ix_pages_category_cards(const ix_pages *pg, const char *name, json_t *cards,
                                size_t total, char rel[PATH_MAX]);
void ix_pages_free(ix_pages *pg);
size_t ix_pages_modules(const ix_pages *pg);
size_t ix_pages_categories(const ix_pages *pg);

/* One page's data (a new reference; NULL: no memory), and its path below
 * SITE into rel: "index.html", "categories/SLUG/index.html",
 * "modules/NAME/index.html" (modules sorted by name), "feed.xml". */
json_t *ix_pages_home(const ix_pages *pg, char rel[PATH_MAX]);
json_t *ix_pages_category(const ix_pages *pg, size_t i, char rel[PATH_MAX]);
json_t *ix_pages_module(const ix_pages *pg, size_t i, char rel[PATH_MAX]);
json_t *ix_pages_feed(const ix_pages *pg, char rel[PATH_MAX]);

/* search.js: "window.WHARF_SEARCH = {...};" (malloc'd); -1: no memory. */
int ix_pages_search_js(const ix_pages *pg, char **out, size_t *len);
/* head + v as JSON + tail, with <, >, &, U+2028 and U+2029 escaped in it,
 * so that no string in v can end or confuse the script (malloc'd). */
int ix_script_json(const char *head, const json_t *v, const char *tail, char **out,
                   size_t *len);

/* ---- catalogue.c ---------------------------------------------------- */

typedef struct ix_cat_stats {
    size_t pages;          /* files the catalogue is made of */
    size_t written;        /* of which were written (their bytes changed) */
    size_t removed;        /* stale pages and assets removed */
} ix_cat_stats;

/* Render the catalogue of the verified index ix with theme t into SITE
 * (pages on `jobs` threads, written by this one), write only the files
 * whose bytes changed, remove the pages of modules and categories no
 * longer listed, then sync SITE's file system once. */
int ix_catalogue_write(const ix_theme *t, const wh_index *ix,
                       const wh_minisign_pubkey *pk, const char *site,
                       int jobs, ix_cat_stats *st, wh_err *err);

/* "catalogue: 12 files, 3 written[, 2 removed]" on stdout. */
void ix_catalogue_summary(const ix_cat_stats *st);

/* The same for SITE's current index, loaded and verified with pk
 * (wh_index_load) as any reader would.  The caller holds SITE's lock. */
int ix_catalogue_site(const ix_theme *t, const char *site,
                      const wh_minisign_pubkey *pk, int jobs,
                      ix_cat_stats *st, wh_err *err);

/* One file of the catalogue: its path below SITE and either a template
 * (IX_PAGE_*) and its data (stolen), or (tmpl -1) its bytes, borrowed. */
typedef struct ix_page {
    char    rel[PATH_MAX];
    int     tmpl;
    json_t *data;
    char   *out;
    size_t  len;
    int     changed, exists, rc;   /* exists: SITE/rel is there */
    wh_err  err;
} ix_page;

/* Render p[0..n) on jobs threads and write those whose bytes changed. */
int ix_catalogue_render(const ix_theme *t, const char *site, ix_page *p, size_t n,
                        int jobs, ix_cat_stats *st, wh_err *err);
/* Remove SITE/rel, a file or a folder and what it holds, counted in st. */
int ix_catalogue_remove(const char *site, const char *rel, ix_cat_stats *st,
                        wh_err *err);

/* ---- catalogue_paged.c --------------------------------------------- */

/* The paged catalogue's state (not served). */
#define IX_CATSTATE_DIR ".wharf-catalogue"

/* How long files of older snapshots stay (build --retain's default). */
#define IX_RETAIN_DEFAULT 86400

/* The catalogue of a sharded site, changed as its index changed since the
 * snapshot the catalogue last showed (SITE/.wharf-catalogue): the pages
 * of changed modules and of their dependencies and dependents, the
 * search shards of changed bins, the home page, the feed, the pages of
 * categories whose modules changed (docs/catalogue.md, "A paged
 * catalogue").  The first time, with another theme, or full: everything. */
int ix_catalogue_paged(const ix_theme *t, const char *site, const wh_minisign_pubkey *pk,
                       int jobs, int64_t retain, int full, ix_cat_stats *st, wh_err *err);

/* One syncfs of SITE's file system (sync() where there is none). */
int ix_site_sync(const char *site, wh_err *err);

/* a + b + c, malloc'd (NULL: no memory). */
char *ix_join(const char *a, const char *b, const char *c);


/* ---- plugins.c: the plugin folder's state (wharf-index plugin) ------- */

#define IX_PLUGINS_FORMAT "wharf-plugins/1"
#define IX_PLUGINS_STATE  "state.json"
#define IX_PLUGINS_LOCK   ".lock"
#define IX_PLUGINS_ENV    "WHARF_PLUGINS_PATH"

/* DIR/rel into out (PATH_MAX bytes; "" when too long: WH_E_LIMIT). */
int ix_plugins_path(const char *dir, const char *rel, char *out, wh_err *err);
/* Read DIR/state.json into *out (none: an empty state); one that is not
 * "wharf-plugins/1" as written by ix_plugins_save is WH_E_FORMAT. */
int ix_plugins_load(const char *dir, json_t **out, wh_err *err);
/* Write state as canonical JSON to DIR/state.json, atomically. */
int ix_plugins_save(const char *dir, const json_t *state, wh_err *err);
/* Create DIR if missing, take DIR/.lock for who (WH_E_LOCKED naming the
 * holder, or with wait, wait for it), then make the folder whole again:
 * finish or undo what a killed install or update left (plugins.c), so
 * every holder, a build included, finds DIR/NAME holding the version
 * state.json names. */
int ix_plugins_lock(const char *dir, const char *who, int wait, wh_lock *l,
                    wh_err *err);
/* NAME's entry in state (borrowed), else NULL and WH_E_NOTFOUND
 * "plugin 'NAME' is not installed". */
json_t *ix_plugins_get(const json_t *state, const char *name, wh_err *err);
/* The kinds [plugin.capabilities] turns on, as a new array of strings. */
json_t *ix_plugins_kinds(const json_t *caps);
/* Set one "KEY=VALUE" of entry's config: KEY must be one of its keys and
 * VALUE of its type (WH_E_USAGE "config 'k' is an integer, not 'abc'"). */
int ix_plugins_config_set(json_t *entry, const char *name, const char *kv,
                          wh_err *err);
/* WH_E_FORMAT (naming label) when name is one the folder uses for itself
 * ("logs", "state.json", "profile.json", in any case), else 0. */
int ix_plugins_name_check(const char *name, const char *label, wh_err *err);
/* "a string", "an integer", "a boolean", "an array", "a table" by v's
 * JSON type ("a value" for the others). */
const char *ix_plugins_type_name(const json_t *v);
/* Told of a config value an update drops: its key, and the new version's
 * default for it (NULL: it has no such setting). */
typedef void ix_plugins_note(void *ctx, const char *key, const json_t *def);
/* Give e, a new version's fresh entry, the switch, limits and config
 * values of old, the entry it replaces; a value whose key e's defaults
 * lack or give another type is dropped, and note (may be NULL) told. */
void ix_plugins_keep(json_t *e, const json_t *old, ix_plugins_note *note,
                     void *ctx);

/* ---- plugin_log.c: the system-wide plugin settings, logs and profile -- */

#define IX_PLUGIN_LOG_MAX   ((size_t)256 << 10)  /* bytes of logs/NAME.log */
#define IX_PLUGIN_LOG_LINES 1000     /* lines one build keeps per plugin */

/* The environment's plugin settings (docs/plugins.md, "Limits"). */
typedef struct ix_plugin_env {
    wh_plugin_limits limits;   /* WHARF_PLUGIN_MAX_{MEMORY_MB,FUEL,TIME_MS};
                                  0 where unset (the built-in default) */
    int enabled;               /* WHARF_PLUGINS_ENABLED: 0 for 0/false/no/off */
    int log_level;             /* WHARF_PLUGIN_LOG_LEVEL: 0 debug .. 3 error
                                  (default 1, info) */
} ix_plugin_env;

/* Read the variables; a bad value is WH_E_USAGE naming the variable
 * ("WHARF_PLUGIN_MAX_FUEL 'abc' is not a number from 1 to N"). */
int ix_plugin_env_load(ix_plugin_env *env, wh_err *err);
/* The limits of the plugin whose state entry is entry: env's, with the
 * entry's "limits" ({"memory_mb", "fuel", "time_ms"}) overriding. */
void ix_plugin_limits(const ix_plugin_env *env, const json_t *entry,
                      wh_plugin_limits *out);
/* "debug", "info", "warn", "error" for 0..3 (3 and above: "error"). */
const char *ix_plugin_level_name(int level);
/* Append lines (an array of {"time","level","package","call","message"})
 * to DIR/logs/NAME.log, one JSON object a line, rotating the file to
 * NAME.log.1 first when it would pass IX_PLUGIN_LOG_MAX.  The caller
 * holds DIR's lock. */
int ix_plugin_log_append(const char *dir, const char *name,
                         const json_t *lines, wh_err *err);
/* Replace DIR/profile.json with plugins ({NAME: {FUNC: {"calls", "fuel",
 * "fuel_max", "time_us", "time_us_max", "peak_memory"}}}) at time now,
 * atomically.  The caller holds DIR's lock. */
int ix_plugin_profile_save(const char *dir, const json_t *plugins,
                           int64_t now, wh_err *err);

/* ---- plugin_run.c: the enabled plugins, run on what a build reads ---- */

/* Load the enabled plugins of the folder dir (NULL, or env->enabled 0:
 * an empty set) under env's limits.  With require_sigs, an enabled
 * plugin installed unsigned is WH_E_UNTRUSTED.  Free with
 * ix_plugset_free. */
int ix_plugset_load(ix_plugset **out, const char *dir, const ix_plugin_env *env,
                    int require_sigs, wh_err *err);
void ix_plugset_free(ix_plugset *ps);
size_t ix_plugset_count(const ix_plugset *ps);
/* What cached verdicts are keyed on: "" without plugins, else the
 * SHA-256 (hex) of the enabled plugins' names, hashes, configs, limits. */
const char *ix_plugset_id(const ix_plugset *ps);
/* The format handler whose extension (the longest) ends rel, its index,
 * with *ext the extension; -1 when none claims it. */
int ix_plugset_claim(const ix_plugset *ps, const char *rel, const char **ext);
/* Read data[0..len) (the file path) with format handler h into *pkg
 * (kind WH_PKG_FORMAT, record "kind" "format:PLUGIN"): parse_metadata,
 * validate and extract_dependencies.  Thread-safe. */
int ix_plugset_read(ix_plugset *ps, int h, const char *path, const uint8_t *data,
                    size_t len, wh_pkg *pkg, wh_err *err);
/* Run the validation hooks, metadata extractors and post-processors on
 * the package pkg read from data (by format handler h, or -1); signer is
 * who signed it ("" if nobody trusted).  Adds warnings, "metadata" and,
 * when a post-processor changed the bytes, "processed_by",
 * "original_sha256" and "original_size" to pkg's record; then *out
 * (malloc'd) holds the bytes to publish and pkg describes them, else *out
 * is NULL.  A refusal is WH_E_REFUSED "plugin 'x': refused: MESSAGE";
 * any failure names the plugin.  Thread-safe. */
int ix_plugset_judge(ix_plugset *ps, const char *path, int h, const char *signer,
                     const uint8_t *data, size_t len, wh_pkg *pkg, uint8_t **out,
                     size_t *outlen, wh_err *err);
/* Append this build's log lines to the folder's logs and replace its
 * profile.json, under the folder's lock (waiting for it). */
int ix_plugset_save(ix_plugset *ps, wh_err *err);

/* ---- plugin_bundle.c: a plugin bundle from a file, a site or Git ----- */

typedef struct ix_bundle ix_bundle;

/* The bundle an install operand names: git+URL[@REF] (site must then be
 * NULL), NAME[@REQ] from the wharf site `site` (a folder, file:// or
 * http(s):// URL, its index verified with the public key file repo_key),
 * else a BUNDLE.zip.
 * *out (set even on failure; free with ix_bundle_free) holds it read as a
 * bundle; its signatures are checked by ix_bundle_verify. */
int ix_bundle_fetch(ix_bundle **out, const char *what, const char *site,
                    const char *repo_key, wh_err *err);
/* The bundle file path, the same way. */
int ix_bundle_file(ix_bundle **out, const char *path, wh_err *err);
/* The bundle plugin name's recorded "source" gives now (the same way);
 * WH_E_NOTFOUND when it records none. */
int ix_bundle_refetch(ix_bundle **out, const char *name, const json_t *source,
                      const char *repo_key, wh_err *err);
/* Every signature the source requires, by a key of keys_dir (its *.pub;
 * NULL: none), unless allow_unsigned; the signer recorded is then the key
 * id, or "" when allowed unsigned.  WH_E_VERIFY / WH_E_UNTRUSTED say
 * which signature failed. */
int ix_bundle_verify(ix_bundle *b, const char *keys_dir, int allow_unsigned,
                     wh_err *err);
/* The bundle as read (name, version, sha256, record), and how messages
 * name it (its path, or the git+URL). */
const wh_pkg *ix_bundle_pkg(const ix_bundle *b);
const char *ix_bundle_label(const ix_bundle *b);
/* The module's bytes into *wasm (malloc'd), and with dir (an existing
 * folder; NULL: none) every file of the bundle written below it. */
int ix_bundle_unpack(const ix_bundle *b, const char *dir, uint8_t **wasm,
                     size_t *len, wh_err *err);
/* A new state entry for b (plugins.c): disabled, its config defaults, its
 * signer and source; NULL when out of memory. */
json_t *ix_bundle_entry(const ix_bundle *b);
void ix_bundle_free(ix_bundle *b);

/* ---- plugin_install.c: install, update, remove, kill-safe ------------ */

/* The caller holds the folder's lock and passes its loaded state. */
typedef struct ix_install {
    const char *dir;           /* the plugin folder */
    const char *keys;          /* trusted publisher keys (update) */
    int allow_unsigned;        /* update: only for a plugin installed so */
    ix_plugins_note *note;     /* config values an update drops, or NULL */
    void *ctx;                 /* note's */
} ix_install;

/* Install the verified bundle b, disabled: its name must be free and its
 * module load as a plugin; then it is unpacked and state.json saved. */
int ix_install_new(const char *dir, json_t *state, const ix_bundle *b,
                   wh_err *err);
/* Replace installed plugin name with b (fetched from its source), keeping
 * its settings (ix_plugins_keep); b must be that plugin and is verified
 * here.  *current is 1, and nothing changes, unless b's version is
 * higher. */
int ix_install_update(const ix_install *in, json_t *state, const char *name,
                      ix_bundle *b, int *current, wh_err *err);
/* Forget name in state.json, then remove its folder. */
int ix_install_remove(const char *dir, json_t *state, const char *name,
                      wh_err *err);

/* cmd_plugin.c */
int cmd_plugin(int argc, char **argv);

#endif

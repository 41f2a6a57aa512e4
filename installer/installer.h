/* installer.h - the commands of wharf (prefix ins_, commands cmd_*) and
 * the pieces they share.
 *
 *   home.c      the install root (--home, WHARF_HOME): where each thing
 *               lives in it, its lock, the trusted keys and the sources
 *   repo.c      a source's index: fetched from a location, verified,
 *               checked against rollback and freeze, kept as a copy
 *               (over HTTP(S) through common/fetch.c: capped, timed out)
 *   catalog.c   the sources' modules, read through each copy's table
 *   spec.c      what the user names: NAME, NAME@REQ, a package file
 *   pkgcache.c  a package's bytes: the cache, else the first good mirror
 *   session.c   what the module commands open: root, lock, state, catalog
 *   plan.c      the world, the resolver's provider (common/resolve.c)
 *   apply.c     the changes a resolution implies: said, fetched, verified
 *   txn.c       applying them all or nothing
 *   state.c     installed.json; lockfile.c wharf.lock
 *   options.c   the shared options, and moving them after the command
 *   front.c     bin/wharf: runs `wharf run` itself (cmd_run.c with
 *               ferrite_host.c, grants.c, kvstore.c), hands the rest to
 *               libexec/wharf/wharf-commands (main.c)
 *
 * The install root, by default ~/.local/share/wharf ($XDG_DATA_HOME/wharf
 * when that is set):
 *
 *   .lock                 held by the wharf that changes the root
 *   keys/KEYID.pub        trusted repository keys (wharf trust)
 *   sources.json          the sources (wharf source), canonical JSON
 *   seen.json             the highest index serial seen per key (rollback)
 *   revoked.json          keys rotated away from, refused since (repo.c)
 *   indexes/NAME/         each source's verified index, a site's layout:
 *                         by-hash/HEX.json, then index.json.minisig,
 *                         and table-HEX.bin, its table (catalog.c)
 *
 *   installed.json        what is installed (state.c), canonical JSON
 *   modules/NAME/VERSION/ an installed module's files (txn.c)
 *   staging/              a change being staged (txn.c; gone after it)
 *   cache/HEX             downloaded packages by SHA-256 (pkgcache.c)
 *
 * Every file is replaced atomically (common/fs.c), and every command that
 * changes the root holds its lock (common/lock.c): a second one stops with
 * exit status 7 naming the first, or waits with --wait.  Commands that only
 * read take no lock: what they read is always a whole file.
 */
#ifndef INS_INSTALLER_H
#define INS_INSTALLER_H

#include <limits.h>
#include <stddef.h>

#include <jansson.h>

#include "common/cli.h"
#include "common/err.h"
#include "common/index.h"
#include "common/keyring.h"
#include "common/lock.h"
#include "common/minisign.h"
#include "common/pkg.h"

int cmd_trust(int argc, char **argv);
int cmd_source(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_uninstall(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_outdated(int argc, char **argv);
int cmd_upgrade(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_mirror(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_verify_package(int argc, char **argv);
int cmd_par(int argc, char **argv);
int cmd_publish(int argc, char **argv);

/* Options every command takes (before or after its name); their ids. */
enum {
    INS_OPT_HOME = 1000,
    INS_OPT_JSON,
    INS_OPT_WAIT,
};
#define INS_OPTS_COMMON                                                       \
    { INS_OPT_HOME, "home", "DIR",                                           \
      "install root (default: $WHARF_HOME, or ~/.local/share/wharf)" },     \
    { INS_OPT_WAIT, "wait", NULL,                                            \
      "wait while another wharf changes the install root (else exit 7)" }

/* Options of the commands that install or read modules, and their ids
 * (session.c reads them into ins_cmd_opts with ins_cmd_opt). */
enum {
    INS_OPT_DRY_RUN = 1010,
    INS_OPT_OFFLINE,
    INS_OPT_TIMEOUT,
    INS_OPT_ALLOW_EXPIRED,
    INS_OPT_FROM,
};
#define INS_OPT_DRY_RUN_ROW                                                    \
    { INS_OPT_DRY_RUN, "dry-run", NULL, "say what would change; change nothing" }
#define INS_OPT_JSON_ROW                                                       \
    { INS_OPT_JSON, "json", NULL, "print the result as JSON" },               \
    { 'q', "quiet", NULL, "print nothing but errors and warnings" }
#define INS_OPTS_SOURCES                                                       \
    { INS_OPT_FROM, "from", "LOCATION", "use the index at LOCATION instead "   \
      "of the sources (repeat it to give mirrors)" },                         \
    { INS_OPT_OFFLINE, "offline", NULL, "never use the network: only the "     \
      "package cache and folders" },                                          \
    { INS_OPT_TIMEOUT, "timeout", "SECONDS", "give up a download slower than " \
      "1 KiB/s for this long (default: 30)" },                                \
    { INS_OPT_ALLOW_EXPIRED, "allow-expired", NULL, "use an expired index "    \
      "(with a warning)" }

typedef struct ins_cmd_opts {
    const char *home;
    int     wait, dry_run, json, quiet, offline, timeout, allow_expired;
    json_t *from;            /* --from locations, or NULL */
} ins_cmd_opts;

/* Take option c (with cli->arg) into o if it is one of the above: 1 if
 * taken, 0 if not, -1 for a bad value (cli->msg says why) (options.c). */
int ins_cmd_opt(ins_cmd_opts *o, int c, wh_cli *cli);
void ins_cmd_opts_free(ins_cmd_opts *o);

/* Parse the command line of a command whose options are all shared ones
 * into o, leaving at most max operands (max < 0: any) in cli->argc/argv.
 * 0 to go on; -1 when --help was printed (exit 0); else the usage error's
 * exit status, said. */
int ins_cmd_parse(wh_cli *cli, const char *prog, int argc, char **argv,
                  const wh_opt *opts, const char *usage, const char *description,
                  int max, ins_cmd_opts *o);

/* Move the options before the command's name in argv to just after it. */
void ins_hoist_options(int argc, char **argv);

/* ---- home.c ---------------------------------------------------------- */

#define INS_LOCK_NAME    ".lock"
#define INS_KEYS_DIR     "keys"
#define INS_SOURCES_FILE "sources.json"
#define INS_SOURCES_FORMAT "wharf-sources/1"
#define INS_SEEN_FILE    "seen.json"
#define INS_SEEN_FORMAT  "wharf-seen/1"
#define INS_INDEXES_DIR  "indexes"

typedef struct ins_home {
    char    root[PATH_MAX];
    wh_lock lock;
} ins_home;

/* Find the install root: dir (--home), else $WHARF_HOME, else
 * $XDG_DATA_HOME/wharf, else $HOME/.local/share/wharf.  It is not
 * created. */
int ins_home_find(ins_home *h, const char *dir, wh_err *err);

/* root + "/" + rel into out. */
int ins_home_path(const ins_home *h, const char *rel, char *out, size_t n,
                  wh_err *err);

/* Create the root (and its parents) and take its lock for `who`
 * ("wharf trust add"), waiting with wait (saying so unless quiet). */
int ins_home_lock(ins_home *h, const char *who, int wait, int quiet,
                  wh_err *err);
void ins_home_unlock(ins_home *h);

/* The trusted keys (keys/ in the root; none yet is an empty ring). */
int ins_trust_load(const ins_home *h, wh_keyring *kr, wh_err *err);

/* The keys a package's signature may be made with: the public key files
 * named (a JSON array, -p), else the install root's trusted ones (home:
 * --home or NULL). */
int ins_keys_load(const char *home, json_t *files, wh_keyring *kr, wh_err *err);

/* sources.json as {"NAME": {"locations": [...], "key": "RW..." | null}}
 * (a new reference; an empty object when there is none).  Its format
 * and every field are checked: a damaged file is an error naming it. */
int ins_sources_load(const ins_home *h, json_t **sources, wh_err *err);
int ins_sources_save(const ins_home *h, json_t *sources, wh_err *err);

/* A state file of the root, {"format": FORMAT, KEY: {...}}: load gives its
 * object (a new reference; an empty one when the file does not exist) and
 * its path (for the caller's own checks), refusing another format; save
 * writes it as canonical JSON, atomically. */
int ins_state_load(const ins_home *h, const char *file, const char *format,
                   const char *key, json_t **obj, char *path, size_t n,
                   wh_err *err);
int ins_state_save(const ins_home *h, const char *file, const char *format,
                   const char *key, json_t *obj, wh_err *err);

/* A location as sources.json keeps it: an http(s):// or file:// URL as
 * given (without a trailing '/'), a folder as an absolute path.  Other
 * schemes, control characters and empty names are WH_E_USAGE. */
int ins_location_normalize(const char *loc, char *out, size_t n, wh_err *err);

/* 1 for an http:// or https:// location. */
int ins_location_is_http(const char *loc);

/* The folder a folder or file:// location names: itself, or the URL's
 * path with its %XX escapes decoded. */
int ins_location_dir(const char *loc, char *out, size_t n, wh_err *err);

/* ---- repo.c ---------------------------------------------------------- */

typedef struct ins_fetch_opts {
    int64_t now;
    int     allow_expired;
    int     timeout;          /* seconds below 1 KiB/s that end a download */
    /* A site with only the sharded index (shard_src.h): the source's copy
     * folder (NULL: none), whether to write there (not in a dry run),
     * whether to fetch every module file (update --all), and what was
     * fetched. */
    const char *copy;
    int     write, all;
    struct ins_shard_stats *stats;
} ins_fetch_opts;

/* seen.json's serials: {"KEYID": serial} (a new reference; empty when
 * there is none). */
int ins_seen_load(const ins_home *h, json_t **seen, wh_err *err);

#include "common/rotation.h"

#define INS_REVOKED_FILE   "revoked.json"
#define INS_REVOKED_FORMAT "wharf-revoked/1"

/* revoked.json's keys: {"KEYID": {"public_key": "RW...", "rotated_to":
 * "NEWID", "rotated_to_key": "RW...", "issued": T}}, the repository keys
 * a verified rotation statement replaced (a new reference; empty when
 * there is none), every field checked. */
int ins_revoked_load(const ins_home *h, json_t **revoked, wh_err *err);

/* 1 and "rotated to NEWID (statement issued DATE)" in out when key id is
 * revoked, else 0. */
int ins_revoked_why(json_t *revoked, const char *id, char *out, size_t n);

/* Fetch and verify the index at one location of source src: the key (the
 * pinned one, else a trusted one the signature names), the index
 * (wh_index_load), no rollback below seen, not expired unless allowed.
 * On success ix and sig hold it. */
int ins_repo_fetch_one(const char *loc, json_t *src, const wh_keyring *kr,
                       json_t *seen, const ins_fetch_opts *fo, wh_index *ix,
                       wh_minisign_sig *sig, wh_err *err);

/* ins_repo_fetch_one for `wharf update`: never a key in revoked (may be
 * NULL); with rot (not NULL), an index by a key the source does not trust
 * is accepted at the end of a chain of rotation statements from one it
 * does (rot->n of them; 0 when none was needed), and the rollback floor
 * is that of every key of the chain. */
int ins_repo_fetch(const char *loc, json_t *src, const wh_keyring *kr,
                   json_t *revoked, json_t *seen, const ins_fetch_opts *fo,
                   wh_index *ix, wh_minisign_sig *sig, wh_rotation_chain *rot,
                   wh_err *err);

/* Remove every file of dir but keep (a name; "" for none), leaving
 * hidden ones; a missing dir is fine. */
int ins_prune_dir(const char *dir, const char *keep, wh_err *err);

/* Follow the rotation rot that ins_repo_fetch verified (the lock is
 * held): carry the rollback floor to the new key, record every old key as
 * revoked (the commit), then ins_repo_finish.  sources, kr, revoked and
 * seen are updated in memory as on disk; with h NULL (update --dry-run)
 * in memory only. */
int ins_repo_follow(const ins_home *h, json_t *sources, wh_keyring *kr,
                    json_t *revoked, json_t *seen, const wh_rotation_chain *rot,
                    wh_err *err);

/* Do what revoked.json implies where it is not done yet (an update killed
 * while following): for each revoked key still trusted or pinned, trust
 * the key it was finally rotated to, re-pin the sources pinned to it, and
 * remove it from keys/; note(ctx, old, new) is told each (may be NULL).
 * With h NULL, in memory only (update --dry-run). */
typedef void (*ins_rotated_fn)(void *ctx, const char *old_id, const char *new_id);
int ins_repo_finish(const ins_home *h, json_t *sources, wh_keyring *kr,
                    json_t *revoked, ins_rotated_fn note, void *ctx, wh_err *err);

/* Keep ix (signed by sig) as source name's verified copy, raising seen
 * first (the lock is held).  With h NULL, only seen is raised, in memory
 * (update --dry-run judges the next sources as a real run would). */
int ins_repo_store(const ins_home *h, const char *name, const wh_index *ix,
                   const wh_minisign_sig *sig, json_t *seen, wh_err *err);

/* ---- state.c --------------------------------------------------------- */

#define INS_INSTALLED_FILE   "installed.json"
#define INS_INSTALLED_FORMAT "wharf-installed/1"
#define INS_MODULES_DIR      "modules"
#define INS_STAGING_DIR      "staging"

/* installed.json's modules, {NAME: ENTRY} (state.c has the entry's
 * fields; a new reference, empty when nothing is installed), every field
 * checked. */
int ins_installed_load(const ins_home *h, json_t **mods, wh_err *err);
int ins_installed_save(const ins_home *h, json_t *mods, wh_err *err);

/* The installed version of name, or NULL. */
const char *ins_installed_version(json_t *mods, const char *name);

/* ---- txn.c ------------------------------------------------------------ */

/* One change to what is installed: entry is the module's new state entry
 * (NULL removes the module); with data, the verified package whose files
 * are installed as modules/NAME/VERSION (txn.c adds them to entry's
 * "files"); without, only the entry changes. */
typedef struct ins_change {
    const char    *name, *version;
    json_t        *entry;
    const char    *path;             /* names the package in errors */
    const uint8_t *data;
    size_t         len;
    const wh_pkg  *pkg;              /* what wh_pkg_read_mem made of data
                                      * (format:PLUGIN: of its record) */
} ins_change;

/* Apply the changes to mods (installed.json's modules) all or nothing, and
 * on success make mods the new state (the lock is held). */
int ins_txn_apply(const ins_home *h, json_t *mods, ins_change *c, size_t n,
                  wh_err *err);

/* Remove what an interrupted change left: staging/ and module folders no
 * entry of mods names. */
int ins_txn_recover(const ins_home *h, json_t *mods, wh_err *err);


/* ---- plan.c ----------------------------------------------------------- */

typedef struct ins_catalog ins_catalog;
typedef struct ins_plan_ctx ins_plan_ctx;

/* A resolution over cat's modules and what is installed (both must
 * outlive it).  NULL when out of memory. */
ins_plan_ctx *ins_plan_new(ins_catalog *cat, json_t *installed);
void ins_plan_free(ins_plan_ctx *p);

/* A local package file offers version of name (record as an index would
 * give it, with "source"), in place of the sources' versions. */
int ins_plan_local(ins_plan_ctx *p, const char *name, const char *version,
                   json_t *record, wh_err *err);

/* Do not prefer the installed versions of names (an object whose keys
 * are the names, or the JSON true for every module). */
void ins_plan_upgrade(ins_plan_ctx *p, json_t *names);

/* Resolve world ({NAME: SPEC}, what the user asks for) into *picks
 * ({NAME: VERSION}, dependencies first).  A conflict is WH_E_CONFLICT
 * with *explanation (malloc'd lines) saying why. */
int ins_plan_resolve(ins_plan_ctx *p, json_t *world, json_t **picks,
                     char **explanation, wh_err *err);

/* The record of a version the resolution saw (it belongs to p). */
json_t *ins_plan_record(ins_plan_ctx *p, const char *name, const char *version);

/* ---- apply.c ---------------------------------------------------------- */

typedef struct ins_change_info {
    char       *old;           /* the installed version, or NULL */
    char       *name, *version;   /* what the change's point to (owned) */
    json_t     *record;        /* the version record to install, or NULL */
    char       *data;          /* the package once fetched (owned) */
    wh_pkg      pkg;           /* data read and verified, when has_pkg */
    int         has_pkg;
    char        path[PATH_MAX + 512];
} ins_change_info;

typedef struct ins_changes {
    ins_change      *c;
    ins_change_info *info;
    size_t           n, cap;
} ins_changes;

typedef struct ins_change_opts {
    const char *prog;          /* "wharf install", for warnings */
    int dry_run, json, quiet, offline, timeout;
} ins_change_opts;

/* The changes that take installed to picks, world giving each entry's
 * "request". */
int ins_changes_from(ins_changes *cs, ins_plan_ctx *p, json_t *installed,
                     json_t *world, json_t *picks, wh_err *err);
void ins_changes_free(ins_changes *cs);

/* Say the changes: a line each (nothing with --json or -q); then, once
 * they are done (or not, with --dry-run), the summary line or the --json
 * document. */
void ins_changes_print(const ins_changes *cs, const ins_change_opts *o);
void ins_changes_summary(const ins_changes *cs, const ins_change_opts *o);

/* Fetch and verify every package, then apply the changes in one
 * transaction (the lock is held); installed becomes the new state. */
int ins_changes_apply(const ins_home *h, ins_catalog *cat, ins_changes *cs,
                      json_t *installed, const ins_change_opts *o, wh_err *err);

/* Say the changes, apply them unless o->dry_run (with s's root, catalog
 * and state), then the summary: what install, upgrade and uninstall end
 * with. */
typedef struct ins_session ins_session;
int ins_changes_do(ins_changes *cs, ins_session *s, const ins_change_opts *o,
                   wh_err *err);

/* Report err as wh_cli_report does (unless its reason is empty: said
 * already), then why (a conflict's explanation, its lines) when there is
 * one; returns the exit status. */
int ins_report(const char *prog, const wh_err *err, const char *why);

/* ---- session.c ---------------------------------------------------------- */

typedef struct ins_session_opts {
    const char *prog, *home;
    int     wait, quiet;
    int     lock;            /* the command changes the root */
    int     catalog;         /* it needs the sources' modules */
    int     allow_expired, timeout;
    json_t *from;            /* --from locations (an array), or NULL */
    int     offline;         /* --offline: --from skips http(s):// */
    int     expired_warns;   /* an expired index is a warning, not an error
                                (commands that only show what it says) */
} ins_session_opts;

typedef struct ins_session {
    ins_home     h;
    wh_keyring   kr;
    json_t      *installed;  /* installed.json's modules */
    ins_catalog *cat;        /* with o->catalog */
    wh_index     from[1];    /* the --from index the catalog borrows */
    size_t       nfrom;
} ins_session;

/* Open the root, lock, state, keys and catalog as o asks (session.c). */
int ins_session_open(ins_session *s, const ins_session_opts *o, wh_err *err);

/* The shared options as session options for command prog: lock unless
 * --dry-run when the command changes the root, the catalog when it needs
 * the sources. */
ins_session_opts ins_session_opts_of(const char *prog, const ins_cmd_opts *c,
                                     int changes, int catalog);

/* A command's body: open the session so, run fn(o, s, &why, err), report
 * a failure with ins_report, close; returns the exit status. */
typedef int (*ins_session_fn)(void *o, ins_session *s, char **why, wh_err *err);
int ins_session_main(const ins_session_opts *so, ins_session_fn fn, void *o);

/* For the commands that show what the sources say (search, info): no
 * lock; the catalog of the sources (none is an error: "no sources (wharf
 * source add NAME LOCATION)") or of --from; an expired index warned of. */
int ins_session_open_read(ins_session *s, const char *prog,
                          const ins_cmd_opts *c, wh_err *err);
void ins_session_close(ins_session *s);

/* ---- lockfile.c --------------------------------------------------------- */

/* Write wharf.lock for the installed modules, atomically; read one, every
 * field checked ({NAME: {"version", "sha256", "size", "source",
 * "request"?}}, a new reference). */
int ins_lockfile_write(const char *path, json_t *installed, wh_err *err);
int ins_lockfile_read(const char *path, json_t **mods, wh_err *err);

#endif

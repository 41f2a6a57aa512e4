/* installer.h - the commands of wharf (prefix ins_, commands cmd_*) and
 * the pieces they share.
 *
 *   home.c      the install root (--home, WHARF_HOME): where each thing
 *               lives in it, its lock, the trusted keys and the sources
 *   repo.c      a source's index: fetched from a location, verified,
 *               checked against rollback and freeze, kept as a copy
 *   fetch.c     HTTP(S) downloads with libcurl: capped, timed out
 *
 * The install root, by default ~/.local/share/wharf ($XDG_DATA_HOME/wharf
 * when that is set):
 *
 *   .lock                 held by the wharf that changes the root
 *   keys/KEYID.pub        trusted repository keys (wharf trust)
 *   sources.json          the sources (wharf source), canonical JSON
 *   seen.json             the highest index serial seen per key (rollback)
 *   indexes/NAME/         each source's verified index, a site's layout:
 *                         by-hash/HEX.json, then index.json.minisig
 *
 * (cache/, modules/ and the installed state come with install.)
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

int cmd_trust(int argc, char **argv);
int cmd_source(int argc, char **argv);
int cmd_update(int argc, char **argv);

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

/* ---- repo.c ---------------------------------------------------------- */

typedef struct ins_fetch_opts {
    int64_t now;
    int     allow_expired;
    int     timeout;          /* seconds below 1 KiB/s that end a download */
} ins_fetch_opts;

/* The most an index's signature file may be, in bytes. */
#define WH_INDEX_SIG_MAX 4096

/* ---- fetch.c --------------------------------------------------------- */

/* GET url into a malloc'd, NUL-terminated *data of *len bytes, at most max
 * bytes (WH_E_LIMIT past it), giving up when slower than 1 KiB/s for
 * timeout seconds.  404/410 are WH_E_NOTFOUND; other failures WH_E_IO. */
int ins_fetch(const char *url, size_t max, int timeout, char **data, size_t *len,
              wh_err *err);

/* seen.json's serials: {"KEYID": serial} (a new reference; empty when
 * there is none). */
int ins_seen_load(const ins_home *h, json_t **seen, wh_err *err);

/* Fetch and verify the index at one location of source src: the key (the
 * pinned one, else a trusted one the signature names), the index
 * (wh_index_load), no rollback below seen, not expired unless allowed.
 * On success ix and sig hold it. */
int ins_repo_fetch_one(const char *loc, json_t *src, const wh_keyring *kr,
                       json_t *seen, const ins_fetch_opts *fo, wh_index *ix,
                       wh_minisign_sig *sig, wh_err *err);

/* Keep ix (signed by sig) as source name's verified copy, raising seen
 * first (the lock is held). */
int ins_repo_store(const ins_home *h, const char *name, const wh_index *ix,
                   const wh_minisign_sig *sig, json_t *seen, wh_err *err);

#endif

/* catalog.h - the sources' modules as wharf's commands see them (prefix
 * ins_catalog): each source's verified index, read through its table
 * (common/index_table.h) so that no command parses a whole index.
 *
 * The install root keeps, beside each source's verified copy
 * (installer.h), the copy's table:
 *
 *   indexes/NAME/table-HEX.bin    HEX the copy's SHA-256, as in by-hash/
 *
 * written by `wharf update` right after the copy (ins_catalog_store).  A
 * reader takes index.json.minisig (checked with the source's key), and
 * the table of the HEX its trusted comment names; a table that is
 * missing (update killed between the copy and its table), stale (built
 * from another copy) or damaged is rebuilt from the copy, verified in
 * full with the source's key, and saved, so the root heals itself.
 *
 * Tests: tests/cli/t2005-wharf-search.sh, t2006-wharf-info.sh.
 */
#ifndef INS_CATALOG_H
#define INS_CATALOG_H

#include <stdint.h>

#include "common/index_table.h"
#include "installer/installer.h"

#define INS_TABLE_PREFIX "table-"
#define INS_TABLE_SUFFIX ".bin"

/* One source of the catalog.  The public fields are read-only. */
typedef struct ins_catalog_src {
    char    name[128];           /* the source's name */
    json_t *locations;           /* its locations, a JSON array (a reference) */
    int64_t serial, generated, expires;
    const char *repository;      /* the index's repository.name */
    wh_itab tab;                 /* its table, checked */
    /* private */
    unsigned char *table;        /* the table's bytes (owned) */
    char   *copy;                /* the index bytes, once needed */
    size_t  copy_len;
    int     copy_kind;           /* COPY_* in catalog.c */
    char    copy_path[PATH_MAX + 128];
    /* a source with only the sharded index (tab holds no module then) */
    struct ins_shard_read *shard;
    int     shard_owned;         /* its top level is ours to free */
    char  **names;               /* its modules, sorted, for ins_catalog_next */
    size_t  nnames;
    json_t *shown;               /* the modules ins_catalog_next read */
} ins_catalog_src;

typedef struct ins_catalog {
    ins_catalog_src *src;        /* in sources.json order */
    size_t n;
    int    offline;              /* sharded sources: never fetch over HTTP */
    int    timeout;
} ins_catalog;

/* Receives each warning of ins_catalog_open (a source skipped, a table
 * rebuilt); the command prints it. */
typedef void (*ins_catalog_warn_fn)(void *ctx, const wh_err *warning);

/* Open every source of sources.json that has a verified copy; a source
 * without one is skipped with the warning "source 'x' has no index yet
 * (wharf update)", and so is one whose copy no longer verifies (its key
 * untrusted since, a damaged file: the warning says which).  Fails only
 * for what concerns every source: sources.json, the trusted keys, memory.
 * Takes no lock: every file read is whole, every file written atomic.
 * On failure cat is empty (ins_catalog_close is still safe). */
int ins_catalog_open(ins_catalog *cat, const ins_home *h,
                     ins_catalog_warn_fn warn, void *ctx, wh_err *err);

/* Add a one-off source called name (locations: an array, a reference is
 * taken) from an index held in memory, verified by the caller; its
 * table is built in memory.  ix must outlive cat: its bytes are
 * borrowed. */
int ins_catalog_add_index(ins_catalog *cat, const char *name, json_t *locations,
                          const wh_index *ix, wh_err *err);

/* Module name's versions merged across the sources, in their order (the
 * first source that has a version wins it): a new object {VERSION:
 * record}, each record with "source": NAME added.  WH_E_NOTFOUND "no
 * module 'x' in any source" when none has it. */
int ins_catalog_module(ins_catalog *cat, const char *name, json_t **versions,
                       wh_err *err);

/* Walk every module of every source: start with *it = 0; each call gives
 * the next one's source and table entry and returns 1, then 0. */
typedef struct ins_catalog_iter {
    size_t src, mod;
} ins_catalog_iter;
int ins_catalog_next(const ins_catalog *cat, ins_catalog_iter *it,
                     const ins_catalog_src **src, wh_itab_mod *m);

/* Warn (through warn) about each source whose index expired before now:
 * "source 'x': the index expired on DATE; run wharf update". */
void ins_catalog_warn_expired(const ins_catalog *cat, int64_t now,
                              ins_catalog_warn_fn warn, void *ctx);

void ins_catalog_close(ins_catalog *cat);

/* Text from an index for a line of output: s[0..len) into out (size n),
 * characters as they are (UTF-8 included), control characters (C0, DEL,
 * C1) and bytes that are not UTF-8 as "\xNN", so a description cannot
 * drive the terminal or forge a line.  With cols > 0, text wider than
 * cols columns (one a character) is cut to cols - 3, without the spaces
 * before the cut, and "..." added.
 * Returns out. */
char *ins_display(char *out, size_t n, const char *s, size_t len, size_t cols);

/* Write the table of ix, the copy ins_repo_store just kept for source
 * name, and remove the source's other tables (the lock is held). */
int ins_catalog_store(const ins_home *h, const char *name, const wh_index *ix,
                      wh_err *err);

#endif

/* shard_src.h - a source with only the sharded index (prefix
 * ins_shard): update's fetch, the copy kept after it, one module read on
 * demand.  shard_src.c has the design.
 *
 * Tests: tests/cli/t1110-wharf-index-sharded.sh.
 */
#ifndef INS_SHARD_SRC_H
#define INS_SHARD_SRC_H

#include "common/shard.h"
#include "installer/installer.h"

/* What a sync fetched. */
typedef struct ins_shard_stats {
    size_t   files;
    uint64_t bytes;
} ins_shard_stats;

/* Fetch from the site at loc (a folder, or with http a URL) the bins of
 * ix->snap that copy (the source's copy folder; NULL: none) lacks, and
 * with all every module file it lacks; with write they are kept in copy
 * (then one syncfs), else held in ix->snap (a dry run). */
int ins_shard_sync(wh_index *ix, const char *loc, int http, int timeout,
                   const char *copy, int write, int all, ins_shard_stats *st,
                   wh_err *err);

/* After the commit of ix into copy: remove the bins and top levels it no
 * longer names, and the module files only those bins named. */
int ins_shard_prune(wh_index *ix, const char *copy, wh_err *err);

/* Where one module's versions come from. */
typedef struct ins_shard_read {
    wh_snap    *snap;          /* verified top level (bins cached in it) */
    const char *dir;           /* folder holding its files (NULL: none) */
    const char *copy;          /* where fetched module files are kept (NULL: not) */
    json_t     *locations;     /* to fetch what dir lacks, in order */
    int         timeout, offline;
} ins_shard_read;

/* Module name's "versions" (a new reference): from r->dir, else fetched
 * from a location and checked (and kept in r->copy).  WH_E_NOTFOUND
 * "no such module" when no bin lists it. */
int ins_shard_module(const ins_shard_read *r, const char *name, json_t **versions,
                     wh_err *err);

#endif

/* index_table.h - the installer's table of a verified index: what `wharf
 * search`, `wharf info` and `wharf install` read instead of parsing the
 * whole index (docs/index-format.md, "The installer's table").
 *
 * `wharf update` verifies a source's index once (common/index.c) and
 * keeps it as a copy; from the same verified bytes it builds this table,
 * small and binary: one fixed-size record per module, sorted by name,
 * giving what a search shows (the latest version, its description,
 * categories and tags) and where the module's value {"versions":{...}}
 * lies in the copy, so one module's records cost a binary search and the
 * parse of that span, not of 40 MiB of JSON.
 *
 * The table is derived data kept in the install root, and is read as
 * hostile anyway: wh_itab_open checks its checksum, then every offset and
 * length against the table and the copy's size, every string's
 * terminator, the order of the names, before anything is read through
 * them; a table that fails is an error, which the caller answers by
 * rebuilding it from the copy (installer/catalog.c).  Whether the table
 * belongs to the copy at hand (its SHA-256 and size) is the caller's
 * check, with wh_itab_matches.
 *
 * Tests: tests/unit/index_table_test.c; tests/cli/t2005-wharf-search.sh,
 * t2006-wharf-info.sh.
 */
#ifndef WH_INDEX_TABLE_H
#define WH_INDEX_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "common/index.h"

#define WH_ITAB_MAGIC    "wharftab"
#define WH_ITAB_VERSION  1
#define WH_ITAB_HEADER   160              /* bytes of the header */
#define WH_ITAB_RECORD   48               /* bytes of a module's record */
#define WH_ITAB_MAX      ((size_t)256 << 20)

/* What the header says. */
typedef struct wh_itab_head {
    uint64_t copy_size;                  /* bytes of the index copy */
    char     sha256[WH_SHA256_HEX];      /* of the copy, lower-case hex */
    int64_t  serial, generated, expires;
    uint32_t modules, packages;
} wh_itab_head;

/* An open table: every field checked by wh_itab_open.  It borrows the
 * bytes it was opened on. */
typedef struct wh_itab {
    wh_itab_head head;
    const char *repository;              /* repository.name, NUL-terminated */
    const unsigned char *records;        /* head.modules records */
    const char *pool;                    /* the strings */
    size_t pool_len;
} wh_itab;

/* One module as the table gives it.  Strings point into the table and
 * are NUL-terminated (their lengths exclude the NUL); categories and
 * tags are lists: items back to back, each ending with a NUL (iterate
 * with wh_itab_list_next).  span is the module's value in the copy. */
typedef struct wh_itab_mod {
    const char *name, *latest, *description, *categories, *tags;
    size_t name_len, latest_len, description_len, categories_len, tags_len;
    uint32_t span_off, span_len;
} wh_itab_mod;

/* Build the table of a verified index into a malloc'd *out of *len
 * bytes.  ix must come from wh_index_verify or wh_index_load: the spans
 * are found by scanning its canonical bytes.  A latest version's
 * categories or tags that are not strings, or hold a NUL, are left out;
 * a description that is not a string is "". */
int wh_itab_build(const wh_index *ix, unsigned char **out, size_t *len,
                  wh_err *err);

/* Check len bytes of buf as a table (path names it in errors:
 * WH_E_FORMAT with the offset of what is wrong) and fill *t, which
 * borrows buf. */
int wh_itab_open(wh_itab *t, const void *buf, size_t len, const char *path,
                 wh_err *err);

/* 1 when t was built from the index whose trusted comment is h and whose
 * copy is copy_size bytes, else 0. */
int wh_itab_matches(const wh_itab *t, const wh_index_head *h,
                    uint64_t copy_size);

/* Module i (< t->head.modules) into *m. */
void wh_itab_get(const wh_itab *t, size_t i, wh_itab_mod *m);

/* The index of the module called name, or -1. */
long wh_itab_find(const wh_itab *t, const char *name, size_t len);

/* The next item of a list (categories, tags) from *pos (start at 0), or
 * NULL at its end. */
const char *wh_itab_list_next(const char *list, size_t len, size_t *pos);

/* Module i's "versions" object (a new reference), parsed from its span
 * of copy (copy_len bytes, named copy_path in errors), which must be the
 * copy the table was built from: its size is checked, and that the span
 * is the value of the module's key. */
int wh_itab_versions(const wh_itab *t, size_t i, const char *copy,
                     size_t copy_len, const char *copy_path, json_t **versions,
                     wh_err *err);

#endif

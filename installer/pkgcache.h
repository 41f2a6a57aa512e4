/* pkgcache.h - one package's bytes, from the install root's cache or from
 * the first of a source's locations that serves a good copy (prefix
 * ins_pkg), downloaded with a progress line (common/fetch.h).
 *
 * "Good" means what the signed index says (wh_index_pkg_check_mem): the
 * size, then the SHA-256.  The cache, ROOT/cache/HEX (HEX the package's
 * SHA-256, so equal bytes from two sources are kept once), holds only
 * good copies and is checked again at every read; a damaged entry is
 * removed (with a warning) and the package fetched again.
 *
 * Tests: tests/cli/t2008-wharf-fetch.sh, t2007-wharf-mirror.sh.
 */
#ifndef INS_PKGCACHE_H
#define INS_PKGCACHE_H

#include <limits.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"
#include "common/index.h"
#include "installer/installer.h"

#define INS_CACHE_DIR "cache"

/* Called with each failure that a later location may make up for: a
 * location that did not serve a good copy, a damaged cache entry. */
typedef void (*ins_pkg_warn_fn)(void *ctx, const wh_err *e);

typedef struct ins_pkg_opts {
    int             offline;  /* skip http(s):// locations */
    int             timeout;  /* seconds under 1 KiB/s that end a download */
    const char     *label;    /* progress line's label, NULL for none */
    int             with_sig; /* also FILE.minisig when the index says so */
    ins_pkg_warn_fn warn;     /* NULL: say nothing */
    void           *ctx;
} ins_pkg_opts;

/* What ins_pkg_get got.  failures is filled as locations fail: each one's
 * message (quoted, as wh_err_format writes it), joined by "; ". */
typedef struct ins_pkg_got {
    char  *data;              /* the package, malloc'd (NUL-terminated) */
    size_t len;
    char  *sig;               /* its .minisig text (with_sig), else NULL */
    size_t sig_len;
    int    cached;            /* 1: read from ROOT/cache */
    char   from[PATH_MAX];    /* the location that served it, or "cache" */
    char   failures[8192];
} ins_pkg_got;

/* Get package p of a verified index: from ROOT/cache/HEX, else from the
 * locations (a JSON array of location strings, as sources.json keeps
 * them) in order: a folder or file:// URL is read at LOCATION/p->path
 * (no link followed, never blocking, capped at the signed size), an
 * http(s):// URL downloaded (wh_fetch_progress, capped at the signed
 * size; skipped with o->offline).  With o->with_sig and p->has_sig, the
 * package's .minisig comes from the same place and must name the
 * record's signer key.  A good copy is stored in ROOT/cache
 * atomically (the caller holds the root's lock).
 *
 * When no location serves a good copy the error (code: WH_E_VERIFY if a
 * location served something the index contradicts, else the first other
 * failure that is not a missing file or an I/O error, else WH_E_IO if
 * one happened, else WH_E_NOTFOUND) says
 * "NAME@VERSION: no location served a good copy"; ins_pkg_failure gives
 * the whole line.  Free *g with ins_pkg_got_free in every case. */
int ins_pkg_get(const ins_home *h, json_t *locations, const wh_index_pkg *p,
                const ins_pkg_opts *o, ins_pkg_got *g, wh_err *err);

void ins_pkg_got_free(ins_pkg_got *g);

/* err formatted (wh_err_format), then ": " and g->failures when there
 * are any: the one line to print for a failed ins_pkg_get.  Returns buf. */
char *ins_pkg_failure(const wh_err *err, const ins_pkg_got *g, char *buf,
                      size_t n);

#endif

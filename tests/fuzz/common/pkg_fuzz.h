/* pkg_fuzz.h - what the three package targets (ferrpkg, par, bundle)
 * share: read with one format's reader, then use the result as the
 * indexer and the installer do.  See pkg_fuzz.c.
 *
 * Tests: tests/conformance/regress.sh.
 */
#ifndef WH_PKG_FUZZ_H
#define WH_PKG_FUZZ_H

#include "common/pkg.h"

/* The time every package target reads at (a PAR's exp/nbf): fixed, so
 * that runs repeat; the seeds' claims are valid then. */
#define FUZZ_PKG_NOW 1700000001

typedef int (*fuzz_pkg_reader)(const char *path, const uint8_t *data,
                               size_t len, const wh_pkg_opts *opts,
                               wh_pkg *pkg, wh_err *err);

/* Read data[0..size) with reader as "f.pkg", as wh_pkg_read_mem would
 * call it; on success check the result, unpack it, describe it. */
void fuzz_pkg(fuzz_pkg_reader reader, const uint8_t *data, size_t size);

#endif

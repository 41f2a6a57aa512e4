/* gzip.h - whole-buffer gzip for the index and its by-hash copies.
 *
 * Both directions work on memory: the index is held in memory anyway, and
 * the reader caps what it inflates (a gzip bomb stops at max + 1 bytes).
 * The writer's header has no name, no time and OS "unknown", so equal
 * input gives equal bytes (a site is reproducible under
 * SOURCE_DATE_EPOCH).
 *
 * Tests: tests/unit/gzip_test.c; tests/cli/t1101-wharf-index-verify.sh.
 */
#ifndef WH_GZIP_H
#define WH_GZIP_H

#include <stddef.h>

#include "common/err.h"

/* gzip of data[0..len) into a malloc'd *out (*outlen bytes). */
int wh_gzip(const void *data, size_t len, unsigned char **out, size_t *outlen,
            wh_err *err);

/* Inflate one gzip member data[0..len) into a malloc'd *out (*outlen
 * bytes, plus a NUL not counted).  More than max bytes of output is
 * WH_E_LIMIT; a damaged or truncated stream, or bytes after the member,
 * is WH_E_FORMAT with the input offset.  Errors carry no path: the caller
 * names the file. */
int wh_gunzip(const void *data, size_t len, size_t max, unsigned char **out,
              size_t *outlen, wh_err *err);

#endif

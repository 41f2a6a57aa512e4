/* wasmrt.h - the public interface of wasmrt, wharf's WebAssembly
 * interpreter (prefix wr_).
 *
 * wasmrt knows nothing about packages: it loads, validates and runs one
 * module under fuel, memory, stack and time limits.  This is its only
 * public header.  The interpreter itself (decode, validate, compile,
 * execute, host API; docs/wasmrt.md) is built in step 2; until then the
 * library carries only its version, so the build and link layout that the
 * two commands depend on is already in place.
 */
#ifndef WR_WASMRT_H
#define WR_WASMRT_H

/* The version of wasmrt, e.g. "0.1.0". */
const char *wr_version(void);

#endif

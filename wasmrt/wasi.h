/* wasi.h - WASI preview 1 ("wasi_snapshot_preview1") for wasmrt: an
 * internal header shared by the wasmrt command (wasmrt/main.c) and
 * wharf's `run`.  Not part of the public API (wasmrt.h); prefix wr_wasi_.
 *
 * A wr_wasi holds what a WASI command sees of the world: its arguments,
 * its environment, its file descriptors (stdio and the preopened
 * directories, fds 3, 4, ... in the order given) and, after it ran, its
 * exit status.  wr_wasi_link adds every preview-1 function to a
 * wr_imports list; the capability-safe subset documented in
 * docs/wasmrt.md ("WASI") works, everything else returns ENOSYS (52).
 *
 * Lifetime: the host functions point at the wr_wasi, so free the store
 * (and every instance linked with it) before wr_wasi_free.  One wr_wasi
 * serves one instance at a time.
 */
#ifndef WR_WASI_H
#define WR_WASI_H

#include <stdint.h>

#include "wasmrt.h"

/* A directory the guest may use: HOST is opened now, the guest sees it
 * under the name GUEST (fd_prestat_dir_name). */
typedef struct wr_wasi_preopen {
    const char *host;
    const char *guest;          /* NULL: the same as host */
} wr_wasi_preopen;

typedef struct wr_wasi_config {
    int                     argc;      /* argv[0] is the program name */
    const char *const      *argv;
    int                     envc;      /* "NAME=VALUE" strings */
    const char *const      *env;
    int                     npreopens;
    const wr_wasi_preopen  *preopens;
    int                     stdio[3];  /* host fds behind guest fds 0-2,
                                          -1: closed (EBADF); never closed
                                          by wasi */
} wr_wasi_config;

typedef struct wr_wasi wr_wasi;

/* Fill cfg with no arguments, no environment, no preopens and the
 * process's own stdin, stdout and stderr. */
void wr_wasi_config_init(wr_wasi_config *cfg);

/* Copy cfg (strings included) and open the preopened directories.
 * Returns NULL with err filled (WR_ERR_USAGE "cannot open directory
 * 'x': reason", errno kept from the failing open; WR_ERR_NOMEM). */
wr_wasi *wr_wasi_new(const wr_wasi_config *cfg, wr_error *err);

/* Close every fd wasi opened (not the stdio fds of the config) and free
 * w (NULL is fine). */
void wr_wasi_free(wr_wasi *w);

/* Add all "wasi_snapshot_preview1" functions to imp as host functions
 * of store s.  Returns 0, or -1 with err filled. */
int wr_wasi_link(wr_wasi *w, wr_store *s, wr_imports *imp, wr_error *err);

/* A wall-clock deadline for host calls that would block (poll_oneoff's
 * sleeps): past it they trap with "deadline exceeded", like the
 * interpreter does with wr_limits.timeout_ms.  ms_from_now 0 removes it.
 * Set it just before wr_call. */
void wr_wasi_set_timeout(wr_wasi *w, uint64_t ms_from_now);

/* The guest's exit status after wr_call of "_start" returned rc with
 * err: 0 when it returned normally, the proc_exit code (0..UINT32_MAX,
 * as an unsigned value in an int64_t) when it called proc_exit, -1 when
 * it trapped or failed otherwise (see err). */
int64_t wr_wasi_exit_code(const wr_wasi *w, int rc, const wr_error *err);

#endif

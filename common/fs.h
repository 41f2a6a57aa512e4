/* fs.h - file primitives every wharf command shares.
 *
 * - wh_file_read: whole small files (manifests, keys, indexes) with a cap,
 *   so a hostile 10 GB "key" cannot exhaust memory.
 * - wh_file_write_atomic: the only way wharf replaces a file: a temporary
 *   file in the same directory, fsync, rename over the target, fsync the
 *   directory.  A crash or failure at any point leaves either the old or the
 *   new content, never a mix.
 * - wh_path_join: join a trusted base with an untrusted relative path,
 *   refusing "..", absolute paths, empty components and NUL.
 * - wh_walk: depth-first walk of a directory in sorted order, so indexes
 *   built from it are deterministic.
 *
 * Fault injection (tests only): wh_fs_fault_arm(n) makes the n-th
 * following write, fsync, rename, link or unlink done through this file
 * fail with EIO (or kill the process); the
 * commands read WHARF_FS_FAULT=N at start-up to arm it.  It is the one
 * piece of process-wide state in common/, and exists so tests can prove
 * that every failure point leaves the previous state intact.
 */
#ifndef WH_FS_H
#define WH_FS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/err.h"

/* Read all of path into a malloc'd, NUL-terminated buffer (*len excludes
 * the NUL).  A file larger than max bytes fails with WH_E_LIMIT before
 * anything is read.  On failure *data is NULL.  Only a regular file is
 * read: anything else (a FIFO, a device, a directory) fails at once with
 * WH_E_IO "not a regular file": the open never waits (O_NONBLOCK), so a
 * FIFO named like a key or a signature cannot hang the command.  A
 * symbolic link is followed (keys named on the command line may be links). */
int wh_file_read(const char *path, size_t max, char **data, size_t *len,
                 wh_err *err);

/* wh_file_read with options: flags WH_READ_NOFOLLOW refuses a symbolic
 * link without opening what it points to (WH_E_UNSAFE "symbolic link not
 * followed"), for files found beside others in a folder someone else
 * fills; st (if not NULL) receives the fstat of the file
 * read, taken before reading, for callers that key caches on it.  A file
 * whose size differs from that stat after reading (it changed meanwhile)
 * fails with WH_E_IO "file changed while being read". */
enum { WH_READ_NOFOLLOW = 1 };
int wh_file_read_stat(const char *path, size_t max, unsigned flags,
                      char **data, size_t *len, struct stat *st, wh_err *err);

/* Atomically replace path with data (permissions mode, e.g. 0644).  An
 * existing path must be a regular file (or a symlink, which is replaced,
 * not followed): devices and directories are refused with WH_E_IO. */
int wh_file_write_atomic(const char *path, const void *data, size_t len,
                         unsigned mode, wh_err *err);

/* wh_file_write_atomic with options.  tmpdir (NULL: path's folder) holds
 * the temporary file; it must be on path's file system, and lets a writer
 * of many folders keep every temporary in one place, where one look finds
 * what a killed run left.  WH_WRITE_NOSYNC skips both fsyncs: the
 * replacement is still atomic for every reader and survives the process
 * being killed, but not a power cut until the caller syncs the file
 * system (one syncfs after many files: the catalogue's pages, which are
 * derived from an index that is already durable). */
enum { WH_WRITE_NOSYNC = 1 };
int wh_file_write_atomic_flags(const char *path, const char *tmpdir,
                               const void *data, size_t len, unsigned mode,
                               unsigned flags, wh_err *err);

/* An open temporary file next to its final path, for writers that stream
 * (archives, large copies): write to fd, then commit or abort.  Commit
 * fsyncs, renames and fsyncs the directory; abort unlinks. */
typedef struct wh_atomic {
    int  fd;
    unsigned flags;      /* WH_WRITE_NOSYNC, set after wh_atomic_open */
    char tmp[4096];
    char path[4096];
} wh_atomic;

int wh_atomic_open(wh_atomic *a, const char *path, unsigned mode, wh_err *err);
int wh_atomic_write(wh_atomic *a, const void *data, size_t len, wh_err *err);
int wh_atomic_commit(wh_atomic *a, wh_err *err);
void wh_atomic_abort(wh_atomic *a);

/* Remove the temporaries a killed writer left directly in dir (dot-named
 * ".NAME.tmp.XXXXXX" and ".NAME.link.PID"), adding their number to *n.
 * Only while holding the lock of what dir belongs to: a running writer's
 * temporaries look the same.  A missing dir is fine. */
int wh_clean_temporaries(const char *dir, size_t *n, wh_err *err);

/* Write base + "/" + rel into out (size outsz).  rel is untrusted: it must
 * be relative, without "." or ".." components, empty components
 * (a//b), backslashes or NUL (rel_len counts its bytes, so an embedded NUL
 * is seen).  Fails with WH_E_UNSAFE naming rel, or WH_E_LIMIT when the
 * result does not fit. */
int wh_path_join(char *out, size_t outsz, const char *base, const char *rel,
                 size_t rel_len, wh_err *err);

/* Create dir and its parents (mode 0755); existing directories are fine. */
int wh_mkdirs(const char *dir, wh_err *err);

/* Called by wh_walk for every regular file and directory below root.
 * rel is the path relative to root ("a/b.ferrpkg"); return 0 to go on,
 * non-zero to stop the walk with that value. */
typedef int (*wh_walk_fn)(const char *path, const char *rel,
                          const struct stat *st, void *ctx);

/* Depth-first walk in byte-wise sorted order of names.  Symbolic links
 * are reported (st from lstat) but never followed; hidden entries
 * (".name") are skipped.  Depth is capped at 64.  Returns 0, the callback's
 * non-zero value, or a WH_E_* code with err filled. */
int wh_walk(const char *root, wh_walk_fn fn, void *ctx, wh_err *err);

/* Test hook: fail the n-th following write/fsync/rename/link/unlink
 * (n >= 1); 0 disarms.  Reads WHARF_FS_FAULT when called with n < 0:
 * "N" fails the N-th call with EIO, "N:kill" kills the process with
 * SIGKILL at that moment instead (a crash, for the tests that prove
 * every write leaves a usable state). */
void wh_fs_fault_arm(long n);

/* link, rename and unlink through the fault hook: every change wharf
 * makes to a site or an install root goes through these or the atomic
 * writer, so a test can stop it at each one in turn. */
int wh_fs_link(const char *from, const char *to);
int wh_fs_rename(const char *from, const char *to);
int wh_fs_unlink(const char *path);

/* Make everything written so far on dir's file system durable (one
 * syncfs; sync() where there is none). */
int wh_fs_sync(const char *dir, wh_err *err);

/* Remove path and, if it is a folder, everything in it, without following
 * links (a link is removed, not what it points to); a missing path is
 * fine.  Unlinks go through the fault hook. */
int wh_fs_rmtree(const char *path, wh_err *err);

#endif

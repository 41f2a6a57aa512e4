/* fs.c - capped reads, atomic writes, safe path joins and sorted walks.
 *
 * See fs.h for the contract.  Two points of design:
 *
 * Atomicity.  A file is replaced by writing a temporary in the SAME
 * directory (rename is only atomic within one file system), fsyncing it
 * (so the rename cannot reach the disk before the data), renaming it over
 * the target, then fsyncing the directory (so the rename itself survives a
 * power cut).  Any failure unlinks the temporary and leaves the target as
 * it was.
 *
 * Reading never blocks on what sits in place of a file.  Every open for
 * reading passes O_NONBLOCK: a FIFO (or a device) named like a key, a
 * signature or an index then opens at once instead of waiting for a
 * writer, and the fstat that follows refuses it as "not a regular file".
 * The flag is cleared again once the file is known to be regular, so
 * reads keep their ordinary blocking meaning on every file system.
 * Symbolic links are followed unless the caller says otherwise
 * (WH_READ_NOFOLLOW): a key named on the command line may well be a link,
 * a signature found beside a package must not be.
 *
 * Fault injection.  Every write, fsync and rename goes through fault_hit(),
 * which can be armed to fail the n-th call.  Tests raise n from 1 until a
 * run completes, proving each failure point leaves the old state intact.
 *
 * Tests: tests/unit/fs_test.c
 */
#define _GNU_SOURCE 1   /* syncfs */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WALK_MAX_DEPTH 64

/* --- fault injection ---------------------------------------------------- */

static long fault_countdown;
static int  fault_kills;        /* "N:kill": SIGKILL instead of EIO */

void wh_fs_fault_arm(long n)
{
    fault_kills = 0;
    if (n < 0) {
        const char *s = getenv("WHARF_FS_FAULT");
        char *end = NULL;
        n = s ? strtol(s, &end, 10) : 0;
        fault_kills = end && strcmp(end, ":kill") == 0;
    }
    fault_countdown = n > 0 ? n : 0;
}

/* True when the armed fault fires now; sets errno like a failing call.
 * In kill mode the process dies here instead, as under kill -9 at that
 * moment: nothing after this point of the operation happens. */
static int fault_hit(void)
{
    if (fault_countdown > 0 && --fault_countdown == 0) {
        if (fault_kills)
            raise(SIGKILL);
        errno = EIO;
        return 1;
    }
    return 0;
}

int wh_fs_link(const char *from, const char *to)
{
    return fault_hit() ? -1 : link(from, to);
}

int wh_fs_rename(const char *from, const char *to)
{
    return fault_hit() ? -1 : rename(from, to);
}

int wh_fs_unlink(const char *path)
{
    return fault_hit() ? -1 : unlink(path);
}

/* --- reading ------------------------------------------------------------ */

int wh_file_read(const char *path, size_t max, char **data, size_t *len,
                 wh_err *err)
{
    return wh_file_read_stat(path, max, 0, data, len, NULL, err);
}

/* A failed open: with O_NOFOLLOW, ELOOP usually means the last component
 * is a link, which gets the same words as a link in a package folder. */
static int open_failed(const char *path, unsigned flags, int errnum,
                       wh_err *err)
{
    struct stat st;
    if ((flags & WH_READ_NOFOLLOW) && errnum == ELOOP &&
        lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return wh_fail(err, WH_E_UNSAFE, path, -1, "symbolic link not followed");
    return wh_fail_errno(err, errnum, path, "cannot open");
}

/* Open path for reading without blocking, and make sure it is a regular
 * file before anything is read: *fd is then open (O_NONBLOCK cleared) and
 * *st is its fstat.  Returns 0 or a WH_E_* code with *fd = -1. */
static int open_regular(const char *path, unsigned flags, int *fd,
                        struct stat *st, wh_err *err)
{
    int rc = 0, fl;
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
                     (flags & WH_READ_NOFOLLOW ? O_NOFOLLOW : 0));
    if (*fd < 0)
        return open_failed(path, flags, errno, err);
    if (fstat(*fd, st) < 0)
        rc = wh_fail_errno(err, errno, path, "cannot stat");
    else if (!S_ISREG(st->st_mode))
        rc = wh_fail(err, WH_E_IO, path, -1, "not a regular file");
    else if ((fl = fcntl(*fd, F_GETFL)) < 0 ||
             fcntl(*fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
        rc = wh_fail_errno(err, errno, path, "cannot open");
    if (rc) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}

int wh_file_read_stat(const char *path, size_t max, unsigned flags,
                      char **data, size_t *len, struct stat *stp, wh_err *err)
{
    *data = NULL;
    *len = 0;
    struct stat st;
    int fd;
    int rc = open_regular(path, flags, &fd, &st, err);
    if (rc)
        return rc;
    char *buf = NULL;
    if ((uintmax_t)st.st_size > max) {
        rc = wh_fail(err, WH_E_LIMIT, path, -1,
                     "file is %jd bytes, more than the limit of %zu",
                     (intmax_t)st.st_size, max);
        goto out;
    }
    /* The file may grow while we read: read at most max + 1 bytes so a
     * growth past the cap is still caught. */
    size_t cap = (size_t)st.st_size + 1, n = 0;
    buf = malloc(cap + 1);
    if (!buf) {
        rc = wh_fail(err, WH_E_NOMEM, path, -1, NULL);
        goto out;
    }
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                rc = wh_fail(err, WH_E_LIMIT, path, -1,
                             "file grew past the limit of %zu bytes", max);
                goto out;
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                rc = wh_fail(err, WH_E_NOMEM, path, -1, NULL);
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = wh_fail_errno(err, errno, path, "read error");
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        rc = wh_fail(err, WH_E_LIMIT, path, -1,
                     "file grew past the limit of %zu bytes", max);
        goto out;
    }
    if (stp && n != (size_t)st.st_size) {
        rc = wh_fail(err, WH_E_IO, path, -1, "file changed while being read");
        goto out;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    if (stp)
        *stp = st;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return rc;
}

/* --- atomic writing ----------------------------------------------------- */

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        if (fault_hit())
            return -1;
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Directory part of path ("." when there is none) into dir. */
static void dir_of(const char *path, char *dir, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, n, ".");
    else if (slash == path)
        snprintf(dir, n, "/");
    else
        snprintf(dir, n, "%.*s", (int)(slash - path), path);
}

static int fsync_dir(const char *path)
{
    char dir[4096];
    dir_of(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    int r = fault_hit() ? -1 : fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return r;
}

/* wh_atomic_open with the temporary in tmpdir (NULL: path's folder). */
static int atomic_open_in(wh_atomic *a, const char *path, const char *tmpdir,
                          unsigned mode, wh_err *err)
{
    a->fd = -1;
    a->flags = 0;
    if (strlen(path) + 16 > sizeof a->tmp)
        return wh_fail(err, WH_E_LIMIT, path, -1, "path too long");
    /* Renaming over a device, directory or socket would replace it with a
     * regular file (a test once did this to /dev/null): only regular
     * files, or nothing, may be replaced.  A symlink is replaced itself,
     * never followed, as rename() does. */
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
        return wh_fail(err, WH_E_IO, path, -1,
                       "not a regular file; refusing to replace it");
    snprintf(a->path, sizeof a->path, "%s", path);
    /* A dot-prefixed name keeps half-written files out of wh_walk. */
    const char *slash = strrchr(path, '/');
    int dlen = slash ? (int)(slash - path + 1) : 0;
    if (tmpdir && strlen(tmpdir) + strlen(path + dlen) + 16 > sizeof a->tmp)
        return wh_fail(err, WH_E_LIMIT, path, -1, "path too long");
    if (tmpdir)
        snprintf(a->tmp, sizeof a->tmp, "%s/.%s.tmp.XXXXXX", tmpdir, path + dlen);
    else
        snprintf(a->tmp, sizeof a->tmp, "%.*s.%s.tmp.XXXXXX", dlen, path,
                 path + dlen);
    a->fd = mkstemp(a->tmp);
    if (a->fd < 0)
        return wh_fail_errno(err, errno, path, "cannot create temporary file");
    if (fchmod(a->fd, (mode_t)mode) < 0) {
        int rc = wh_fail_errno(err, errno, a->tmp, "cannot set permissions");
        wh_atomic_abort(a);
        return rc;
    }
    return 0;
}

int wh_atomic_open(wh_atomic *a, const char *path, unsigned mode, wh_err *err)
{
    return atomic_open_in(a, path, NULL, mode, err);
}

int wh_atomic_write(wh_atomic *a, const void *data, size_t len, wh_err *err)
{
    if (write_all(a->fd, data, len) < 0) {
        int rc = wh_fail_errno(err, errno, a->path, "write error");
        wh_atomic_abort(a);
        return rc;
    }
    return 0;
}

int wh_atomic_commit(wh_atomic *a, wh_err *err)
{
    const char *what = NULL;
    int sync = !(a->flags & WH_WRITE_NOSYNC);
    if (sync && (fault_hit() || fsync(a->fd) < 0))
        what = "fsync failed";
    else if (close(a->fd) < 0) {
        a->fd = -1;
        what = "close failed";
    } else {
        a->fd = -1;
        if (wh_fs_rename(a->tmp, a->path) < 0)
            what = "cannot rename temporary file into place";
    }
    if (what) {
        int rc = wh_fail_errno(err, errno, a->path, what);
        wh_atomic_abort(a);
        return rc;
    }
    /* The new content is in place; only its durability is in doubt. */
    if (sync && fsync_dir(a->path) < 0)
        return wh_fail_errno(err, errno, a->path, "cannot fsync directory");
    return 0;
}

void wh_atomic_abort(wh_atomic *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    unlink(a->tmp);
}

int wh_file_write_atomic(const char *path, const void *data, size_t len,
                         unsigned mode, wh_err *err)
{
    return wh_file_write_atomic_flags(path, NULL, data, len, mode, 0, err);
}

int wh_file_write_atomic_flags(const char *path, const char *tmpdir,
                               const void *data, size_t len, unsigned mode,
                               unsigned flags, wh_err *err)
{
    wh_atomic a;
    int rc = atomic_open_in(&a, path, tmpdir, mode, err);
    a.flags = flags;
    if (rc == 0)
        rc = wh_atomic_write(&a, data, len, err);
    if (rc == 0)
        rc = wh_atomic_commit(&a, err);
    return rc;
}

/* --- leftovers ------------------------------------------------------------ */

/* A temporary of wharf's writers: ".NAME.tmp.XXXXXX" (wh_atomic) or
 * ".NAME.link.PID" (the indexer's link_replace). */
static int is_temporary(const char *name)
{
    return name[0] == '.' && (strstr(name, ".tmp.") || strstr(name, ".link."));
}

int wh_clean_temporaries(const char *dir, size_t *n, wh_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : wh_fail_errno(err, errno, dir, "cannot open directory");
    int rc = 0;
    struct dirent *de;
    char path[4096];
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!is_temporary(de->d_name) ||
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path)
            continue;
        if (wh_fs_unlink(path) == 0)
            (*n)++;
        else if (errno != ENOENT && errno != EISDIR)
            rc = wh_fail_errno(err, errno, path, "cannot remove");
    }
    closedir(d);
    return rc;
}

/* --- paths -------------------------------------------------------------- */

int wh_path_join(char *out, size_t outsz, const char *base, const char *rel,
                 size_t rel_len, wh_err *err)
{
    if (rel_len == 0)
        return wh_fail(err, WH_E_UNSAFE, NULL, -1, "empty path");
    if (memchr(rel, '\0', rel_len))
        return wh_fail(err, WH_E_UNSAFE, NULL, -1,
                       "path '%.*s' contains a NUL byte",
                       (int)strnlen(rel, rel_len), rel);
    if (rel[0] == '/')
        return wh_fail(err, WH_E_UNSAFE, NULL, -1,
                       "absolute path '%.*s'", (int)rel_len, rel);
    if (memchr(rel, '\\', rel_len))
        return wh_fail(err, WH_E_UNSAFE, NULL, -1,
                       "backslash in path '%.*s'", (int)rel_len, rel);
    for (size_t i = 0; i < rel_len;) {
        size_t j = i;
        while (j < rel_len && rel[j] != '/')
            j++;
        size_t clen = j - i;
        if (clen == 0 || (clen == 1 && rel[i] == '.') ||
            (clen == 2 && rel[i] == '.' && rel[i + 1] == '.'))
            return wh_fail(err, WH_E_UNSAFE, NULL, -1,
                           "path '%.*s' has a '%.*s' component",
                           (int)rel_len, rel, (int)clen, rel + i);
        i = j + 1;
        if (j + 1 == rel_len)   /* trailing slash: empty last component */
            return wh_fail(err, WH_E_UNSAFE, NULL, -1,
                           "path '%.*s' ends with '/'", (int)rel_len, rel);
    }
    int n = snprintf(out, outsz, "%s/%.*s", base, (int)rel_len, rel);
    if (n < 0 || (size_t)n >= outsz)
        return wh_fail(err, WH_E_LIMIT, NULL, -1,
                       "path '%s/%.*s' is too long", base, (int)rel_len, rel);
    return 0;
}

int wh_mkdirs(const char *dir, wh_err *err)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf)
        return wh_fail(err, WH_E_LIMIT, dir, -1, "bad directory name length");
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return wh_fail_errno(err, errno, buf, "cannot create directory");
        buf[i] = c;
    }
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return wh_fail(err, WH_E_IO, dir, -1, "not a directory");
    return 0;
}

/* --- walking ------------------------------------------------------------ */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of dir's non-hidden entries; caller frees each and list. */
static int list_dir(const char *dir, char ***names, size_t *count, wh_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return wh_fail_errno(err, errno, dir, "cannot open directory");
    char **v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                rc = wh_fail(err, WH_E_NOMEM, dir, -1, NULL);
                break;
            }
            v = nv;
        }
        if (!(v[n] = strdup(e->d_name))) {
            rc = wh_fail(err, WH_E_NOMEM, dir, -1, NULL);
            break;
        }
        n++;
        errno = 0;
    }
    if (rc == 0 && errno != 0)
        rc = wh_fail_errno(err, errno, dir, "cannot read directory");
    closedir(d);
    if (rc != 0) {
        while (n > 0)
            free(v[--n]);
        free(v);
        return rc;
    }
    if (n > 0)
        qsort(v, n, sizeof *v, cmp_names);
    *names = v;
    *count = n;
    return 0;
}

/* One level of the walk.  The three path buffers live on the heap: the
 * recursion is up to WALK_MAX_DEPTH deep and PATH_MAX-sized frames would
 * make that a megabyte of stack. */
static int walk(const char *root, const char *rel, int depth, wh_walk_fn fn,
                void *ctx, wh_err *err)
{
    if (depth > WALK_MAX_DEPTH)
        return wh_fail(err, WH_E_LIMIT, root, -1,
                       "directories nested deeper than %d below '%s'",
                       WALK_MAX_DEPTH, rel);
    struct { char dir[PATH_MAX], path[PATH_MAX], sub[PATH_MAX]; } *b =
        malloc(sizeof *b);
    if (!b)
        return wh_fail(err, WH_E_NOMEM, root, -1, NULL);
    char *dir = b->dir, *path = b->path, *sub = b->sub;
    char **names = NULL;
    size_t count = 0;
    int rc;
    if (snprintf(dir, PATH_MAX, "%s%s%s", root, *rel ? "/" : "", rel) >= PATH_MAX)
        rc = wh_fail(err, WH_E_LIMIT, root, -1, "path too long below '%s'", rel);
    else
        rc = list_dir(dir, &names, &count, err);
    /* Each entry is looked up in its folder, not from the root again: a
     * million files in a thousand folders cost a third less. */
    int dfd = rc == 0 ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    for (size_t i = 0; i < count && rc == 0; i++) {
        if (snprintf(path, PATH_MAX, "%s/%s", dir, names[i]) >= PATH_MAX ||
            snprintf(sub, PATH_MAX, "%s%s%s", rel, *rel ? "/" : "", names[i]) >=
                PATH_MAX) {
            rc = wh_fail(err, WH_E_LIMIT, dir, -1, "path too long: '%s'", names[i]);
            break;
        }
        struct stat st;
        if ((dfd >= 0 ? fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW)
                      : lstat(path, &st)) < 0) {
            if (errno == ENOENT)    /* removed while we walk: not an error */
                continue;
            rc = wh_fail_errno(err, errno, path, "cannot stat");
            break;
        }
        rc = fn(path, sub, &st, ctx);
        if (rc == 0 && S_ISDIR(st.st_mode))
            rc = walk(root, sub, depth + 1, fn, ctx, err);
    }
    if (dfd >= 0)
        close(dfd);
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    free(b);
    return rc;
}

int wh_walk(const char *root, wh_walk_fn fn, void *ctx, wh_err *err)
{
    return walk(root, "", 0, fn, ctx, err);
}

/* One syncfs of dir's file system instead of an fsync per file or
 * folder: ten thousand fsyncs cost seconds, and a writer that only needs
 * everything durable before one commit point needs one. */
int wh_fs_sync(const char *dir, wh_err *err)
{
#ifdef __linux__
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return wh_fail_errno(err, errno, dir, "cannot open directory");
    int rc = syncfs(fd) < 0 ? wh_fail_errno(err, errno, dir, "cannot sync") : 0;
    close(fd);
    return rc;
#else
    (void)dir;
    (void)err;
    sync();
    return 0;
#endif
}

/* Remove path and, if it is a folder, everything in it; links are removed,
 * never followed.  A missing path is fine.  Every unlink goes through the
 * fault hook. */
int wh_fs_rmtree(const char *path, wh_err *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : wh_fail_errno(err, errno, path, "cannot read");
    if (!S_ISDIR(st.st_mode))
        return wh_fs_unlink(path) < 0 && errno != ENOENT
             ? wh_fail_errno(err, errno, path, "cannot remove") : 0;
    DIR *d = opendir(path);
    if (!d)
        return wh_fail_errno(err, errno, path, "cannot open directory");
    struct dirent *de;
    char sub[PATH_MAX];
    int rc = 0;
    while (rc == 0 && (de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            rc = snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >= (int)sizeof sub
               ? wh_fail(err, WH_E_LIMIT, path, -1, "path too long")
               : wh_fs_rmtree(sub, err);
    closedir(d);
    if (rc == 0 && rmdir(path) < 0 && errno != ENOENT)
        rc = wh_fail_errno(err, errno, path, "cannot remove");
    return rc;
}

/* lock.c - exclusive advisory locks on wharf state; see lock.h.
 *
 * The lock file is opened without following links or blocking (it sits in
 * a folder others may write), must be a regular file, and is never
 * removed: removing it would let a third process lock a new file while the
 * second still holds the old one.  The holder's description is read with
 * a cap and quoted when shown, since the file is writable by whoever can
 * write the state.
 *
 * Tests: tests/unit/lock_test.c; tests/cli/t1103-wharf-index-publish.sh.
 */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

/* The holder's line, quoted for a message ("an unknown process" when
 * empty); 1 when there was one. */
static int read_holder(int fd, char *out, size_t n)
{
    char buf[200];
    ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
    size_t len = r > 0 ? (size_t)r : 0;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\0'))
        len--;
    if (len == 0)
        snprintf(out, n, "an unknown process");
    else
        wh_quote(out, n, buf, len);
    return len > 0;
}

static void write_holder(int fd, const char *who)
{
    char line[256], when[64];
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || !strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(when, sizeof when, "@%lld", (long long)now);
    int len = snprintf(line, sizeof line, "pid %ld %s since %s\n", (long)getpid(),
                       who, when);
    if (ftruncate(fd, 0) == 0 && len > 0)
        (void)!pwrite(fd, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1, 0);
}

static int open_lock(const char *path, wh_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    if (fd < 0)
        return -(errno == ELOOP ? wh_fail(err, WH_E_UNSAFE, path, -1,
                                          "symbolic link not followed")
                                : wh_fail_errno(err, errno, path, "cannot open lock file"));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -wh_fail(err, WH_E_UNSAFE, path, -1, "not a regular file");
    }
    return fd;
}

/* Try the lock without blocking; 0 taken, 1 held by another (holder then
 * describes it), or a WH_E_* code.  A holder writes its line just after
 * taking the lock and clears it just before releasing, so an empty line
 * means "just now": look again for a while before naming nobody. */
static int try_lock(int fd, const char *path, char *holder, size_t n, wh_err *err)
{
    for (int tries = 0;; tries++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK)
            return wh_fail_errno(err, errno, path, "cannot lock");
        if (read_holder(fd, holder, n) || tries == 50)
            return 1;
        nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
    }
}

int wh_lock_take(wh_lock *l, const char *path, const char *who, int wait,
                 void (*on_wait)(const char *holder, void *ctx), void *ctx,
                 wh_err *err)
{
    char holder[200];
    l->fd = open_lock(path, err);
    if (l->fd < 0) {
        int rc = -l->fd;
        l->fd = -1;
        return rc;
    }
    int rc = try_lock(l->fd, path, holder, sizeof holder, err);
    if (rc == 1 && !wait)
        rc = wh_fail(err, WH_E_LOCKED, path, -1, "locked by %s", holder);
    if (rc == 1) {
        if (on_wait)
            on_wait(holder, ctx);
        while ((rc = flock(l->fd, LOCK_EX)) < 0 && errno == EINTR)
            ;
        if (rc < 0)
            rc = wh_fail_errno(err, errno, path, "cannot lock");
    }
    if (rc) {
        close(l->fd);
        l->fd = -1;
        return rc;
    }
    write_holder(l->fd, who);
    return 0;
}

void wh_lock_release(wh_lock *l)
{
    if (l->fd >= 0) {
        (void)ftruncate(l->fd, 0);
        flock(l->fd, LOCK_UN);
        close(l->fd);
    }
    l->fd = -1;
}

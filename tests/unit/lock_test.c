/* lock_test.c - common/lock.c: one writer at a time, by flock(2), with
 * the holder named in the lock file.
 *
 * The holder's line ("pid N WHO since YYYY-MM-DD HH:MM:SS UTC") and its
 * removal on release; a second process refused without waiting, naming
 * the holder, or blocked until the holder releases (forked children,
 * sequenced by pipes, with the moment of release and of taking compared
 * on CLOCK_MONOTONIC); a second take in the same process refused too
 * (a flock belongs to an open file description, not to a process); a
 * holder killed with SIGKILL leaves a lock that is free; a holder that
 * wrote no line, or a hostile one; links, FIFOs and folders at the lock
 * path refused at once.  Cases that would hang on a regression run under
 * alarm(), which kills the program: tests/run.sh then counts a crash.
 */
#include "tests/unit/wh_test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/lock.h"

#define WHO "wharf-index build"

static char tmpdir[256], lockpath[300];

static int setup(void **state)
{
    (void)state;
    if (wh_test_tmpdir(tmpdir, sizeof tmpdir, "lock"))
        return -1;
    snprintf(lockpath, sizeof lockpath, "%s/.wharf-lock", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return wh_test_tmpdir_remove(tmpdir);
}

/* The whole lock file, in a static buffer ("" when empty). */
static const char *slurp(const char *path)
{
    static char buf[1024];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    assert_true(n >= 0);
    buf[n] = '\0';
    return buf;
}

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* s is exactly "pid PID WHO since YYYY-MM-DD HH:MM:SS UTC" + end, with a
 * time within a minute of now. */
static void assert_holder(const char *s, long pid, const char *who, const char *end)
{
    char want[300], date[32];
    int n = snprintf(want, sizeof want, "pid %ld %s since ", pid, who);
    if (strncmp(s, want, (size_t)n) != 0)
        fail_msg("holder '%s' does not start with '%s'", s, want);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int len = 0;
    if (sscanf(s + n, "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &len) != 6)
        fail_msg("holder '%s' has no date", s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
    assert_memory_equal(s + n, date, (size_t)len);     /* zero-padded form */
    assert_string_equal(s + n + len, end);
    assert_true(t <= time(NULL) + 1 && t >= time(NULL) - 60);
}

/* ---- children ------------------------------------------------------------ */

/* Fork; the child runs fn(arg, w) with w the write end of a pipe whose
 * read end is *r in the parent, and exits 0 (without cmocka: it reports
 * by writing lines to the pipe).  A child left behind by a failed test
 * dies by its own alarm within a minute. */
static pid_t spawn(void (*fn)(void *arg, int w), void *arg, int *r)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(60);
        close(p[0]);
        fn(arg, p[1]);
        _exit(0);
    }
    close(p[1]);
    *r = p[0];
    return pid;
}

static void say(int w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int w, const char *fmt, ...)
{
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    (void)!write(w, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* One line from fd (without its newline) within ms milliseconds; 0 when
 * none came (timeout or end of file). */
static int hear(int fd, char *line, size_t n, int ms)
{
    size_t got = 0;
    long long deadline = now_ns() + (long long)ms * 1000000;
    while (got + 1 < n) {
        int left = (int)((deadline - now_ns()) / 1000000);
        struct pollfd p = { fd, POLLIN, 0 };
        if (left < 0 || poll(&p, 1, left) <= 0)
            break;
        if (read(fd, line + got, 1) != 1)
            break;
        if (line[got] == '\n') {
            line[got] = '\0';
            return 1;
        }
        got++;
    }
    line[got] = '\0';
    return 0;
}

static void reap(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Child: try once without waiting; report "rc fd ms" then the reason and
 * the path, one a line. */
static void try_once(void *arg, int w)
{
    (void)arg;
    wh_lock l;
    wh_err e;
    wh_err_clear(&e);
    long long t = now_ns();
    int rc = wh_lock_take(&l, lockpath, "wharf install", 0, NULL, NULL, &e);
    say(w, "%d %d %lld\n%s\n%s\n", rc, l.fd, (now_ns() - t) / 1000000, e.reason,
        e.path);
    wh_lock_release(&l);
}

struct attempt { int rc, fd; long long ms; char reason[300], path[300]; };

/* try_once in a child; its report. */
static struct attempt attempt_from_child(void)
{
    struct attempt a;
    char line[300];
    int r;
    pid_t pid = spawn(try_once, NULL, &r);
    assert_true(hear(r, line, sizeof line, 10000));
    assert_int_equal(sscanf(line, "%d %d %lld", &a.rc, &a.fd, &a.ms), 3);
    assert_true(hear(r, a.reason, sizeof a.reason, 1000));
    assert_true(hear(r, a.path, sizeof a.path, 1000));
    close(r);
    reap(pid);
    return a;
}

/* ---- taking and releasing ---------------------------------------------- */

static void test_take_names_holder(void **state)
{
    (void)state;
    wh_lock l;
    mode_t old = umask(022);
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, NULL), 0);
    umask(old);
    assert_true(l.fd >= 0);
    assert_holder(slurp(lockpath), (long)getpid(), WHO, " UTC\n");
    struct stat st;
    assert_int_equal(lstat(lockpath, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0644);
    wh_lock_release(&l);
}

/* Another process, not waiting: WH_E_LOCKED naming the holder, at once,
 * and the holder's line is left as it was. */
static void test_other_process_refused(void **state)
{
    (void)state;
    wh_lock l;
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, NULL), 0);
    char before[300];
    snprintf(before, sizeof before, "%s", slurp(lockpath));
    struct attempt a = attempt_from_child();
    assert_int_equal(a.rc, WH_E_LOCKED);
    assert_int_equal(a.fd, -1);
    assert_string_equal(a.path, lockpath);
    assert_memory_equal(a.reason, "locked by ", 10);
    assert_holder(a.reason + 10, (long)getpid(), WHO, " UTC");
    assert_true(a.ms < 400);                /* no second look: a line was there */
    assert_string_equal(slurp(lockpath), before);
    wh_lock_release(&l);
}

/* flock(2) locks belong to an open file description: a second take in
 * the same process opens the file again and is refused like a stranger
 * (so a command must not take its own lock twice). */
static void test_same_process_refused(void **state)
{
    (void)state;
    wh_lock a, b;
    wh_err e;
    assert_int_equal(wh_lock_take(&a, lockpath, WHO, 0, NULL, NULL, NULL), 0);
    assert_int_equal(wh_lock_take(&b, lockpath, "second", 0, NULL, NULL, &e),
                     WH_E_LOCKED);
    assert_int_equal(b.fd, -1);
    assert_memory_equal(e.reason, "locked by ", 10);
    assert_holder(e.reason + 10, (long)getpid(), WHO, " UTC");
    wh_lock_release(&a);
}

static void test_release_clears_holder(void **state)
{
    (void)state;
    wh_lock l;
    struct stat st;
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, NULL), 0);
    wh_lock_release(&l);
    assert_int_equal(l.fd, -1);
    assert_int_equal(lstat(lockpath, &st), 0);     /* never removed */
    assert_int_equal(st.st_size, 0);
}

/* After a release another process takes the lock at once. */
static void test_release_frees(void **state)
{
    (void)state;
    wh_lock l;
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, NULL), 0);
    wh_lock_release(&l);
    struct attempt a = attempt_from_child();
    assert_int_equal(a.rc, 0);
    assert_true(a.fd >= 0);
}

/* Releasing twice, or a lock never taken, touches no descriptor: not
 * even one that now has the number the lock had. */
static void test_release_twice(void **state)
{
    (void)state;
    wh_lock l, never = { -1 };
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, NULL), 0);
    int old = l.fd;
    wh_lock_release(&l);
    int other = open("/dev/null", O_RDONLY);
    assert_true(other >= 0);
    assert_int_equal(dup2(other, old), old);
    wh_lock_release(&l);
    wh_lock_release(&never);
    assert_int_not_equal(fcntl(old, F_GETFD), -1);
    close(old);
    if (other != old)
        close(other);
}

/* The text is information only: a file left with a line but no flock
 * holder (another boot, a copied site) is taken and rewritten. */
static void test_stale_text_ignored(void **state)
{
    (void)state;
    FILE *f = fopen(lockpath, "w");
    assert_non_null(f);
    fputs("pid 1 wharf-index build since 2020-01-01 00:00:00 UTC\n", f);
    fclose(f);
    wh_lock l;
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, NULL), 0);
    assert_holder(slurp(lockpath), (long)getpid(), WHO, " UTC\n");
    wh_lock_release(&l);
}

/* ---- waiting --------------------------------------------------------------- */

static void tell_waiting(const char *holder, void *ctx)
{
    say(*(int *)ctx, "waiting for %s\n", holder);
}

struct waiter { int go_r, go_w, callback; };

/* Child: take with wait, telling the parent when it starts waiting
 * (unless wt->callback is 0) and when it has the lock; hold it until the
 * parent closes its end of the "go" pipe. */
static void wait_for_lock(void *arg, int w)
{
    struct waiter *wt = arg;
    wh_lock l;
    wh_err e;
    close(wt->go_w);
    int rc = wh_lock_take(&l, lockpath, "wharf install", 1,
                          wt->callback ? tell_waiting : NULL, &w, &e);
    say(w, "got %d %lld\n", rc, now_ns());
    char c;
    while (read(wt->go_r, &c, 1) > 0)
        ;
    wh_lock_release(&l);
}

/* A waiter is told who holds the lock, stays blocked while it is held,
 * gets it only after the release, and then names itself in the file. */
static void test_wait_until_released(void **state)
{
    (void)state;
    wh_lock l;
    char line[400];
    int go[2], r;
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, NULL), 0);
    assert_int_equal(pipe(go), 0);
    struct waiter wt = { go[0], go[1], 1 };
    pid_t pid = spawn(wait_for_lock, &wt, &r);
    close(go[0]);
    alarm(30);
    assert_true(hear(r, line, sizeof line, 10000));
    assert_memory_equal(line, "waiting for ", 12);
    assert_holder(line + 12, (long)getpid(), WHO, " UTC");
    assert_false(hear(r, line, sizeof line, 300));      /* still blocked */
    long long released = now_ns();
    wh_lock_release(&l);
    assert_true(hear(r, line, sizeof line, 10000));
    int rc;
    long long got;
    assert_int_equal(sscanf(line, "got %d %lld", &rc, &got), 2);
    assert_int_equal(rc, 0);
    assert_true(got >= released);
    assert_holder(slurp(lockpath), (long)pid, "wharf install", " UTC\n");
    close(go[1]);
    reap(pid);
    alarm(0);
    close(r);
    assert_string_equal(slurp(lockpath), "");
}

/* on_wait may be NULL: the waiter just blocks. */
static void test_wait_without_callback(void **state)
{
    (void)state;
    wh_lock l;
    char line[400];
    int go[2], r;
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, NULL), 0);
    assert_int_equal(pipe(go), 0);
    struct waiter wt = { go[0], go[1], 0 };
    pid_t pid = spawn(wait_for_lock, &wt, &r);
    close(go[0]);
    alarm(30);
    assert_false(hear(r, line, sizeof line, 300));
    wh_lock_release(&l);
    assert_true(hear(r, line, sizeof line, 10000));
    assert_memory_equal(line, "got 0 ", 6);
    close(go[1]);
    reap(pid);
    alarm(0);
    close(r);
}

/* ---- holders that died or wrote something odd ---------------------------- */

/* Child: take the lock, say so, and wait to be killed. */
static void hold_forever(void *arg, int w)
{
    (void)arg;
    wh_lock l;
    if (wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, NULL) == 0)
        say(w, "taken\n");
    for (;;)
        pause();
}

/* kill -9 of the holder: its line stays in the file, but the kernel
 * dropped the flock, so the lock is free. */
static void test_killed_holder(void **state)
{
    (void)state;
    char line[100];
    int r, status;
    pid_t pid = spawn(hold_forever, NULL, &r);
    assert_true(hear(r, line, sizeof line, 10000));
    assert_string_equal(line, "taken");
    wh_lock l;
    wh_err e;
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, &e), WH_E_LOCKED);
    assert_holder(e.reason + 10, (long)pid, WHO, " UTC");
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(r);
    assert_holder(slurp(lockpath), (long)pid, WHO, " UTC\n");
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, &e), 0);
    assert_holder(slurp(lockpath), (long)getpid(), WHO, " UTC\n");
    wh_lock_release(&l);
}

/* Child: flock the file directly (not through wh_lock_take), write text
 * (may be ""), say so, and hold it until killed. */
static void hold_raw(void *arg, int w)
{
    const char *text = arg;
    int fd = open(lockpath, O_RDWR | O_CREAT, 0644);
    if (fd < 0 || flock(fd, LOCK_EX) != 0)
        _exit(1);
    (void)!write(fd, text, strlen(text));
    say(w, "taken\n");
    for (;;)
        pause();
}

/* With a raw holder of text, wh_lock_take is refused with reason, after
 * at least min_ms milliseconds (and less than five seconds). */
static void refused_by_raw_holder(const char *text, const char *reason,
                                  long long min_ms)
{
    char line[100];
    int r, status;
    pid_t pid = spawn(hold_raw, (void *)text, &r);
    assert_true(hear(r, line, sizeof line, 10000));
    wh_lock l;
    wh_err e;
    long long t = now_ns();
    int rc = wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, &e);
    long long ms = (now_ns() - t) / 1000000;
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    close(r);
    assert_int_equal(rc, WH_E_LOCKED);
    assert_string_equal(e.reason, reason);
    assert_true(ms >= min_ms && ms < 5000);
}

/* A holder that wrote nothing (it is between its flock and its write, or
 * is not wharf): looked at again for about half a second, then named as
 * unknown. */
static void test_unknown_holder(void **state)
{
    (void)state;
    refused_by_raw_holder("", "locked by an unknown process", 400);
}

/* The holder's text is anyone's who can write the folder: it is quoted,
 * so it cannot forge a line or drive the terminal. */
static void test_hostile_holder_quoted(void **state)
{
    (void)state;
    refused_by_raw_holder("pid 1 x\x1b[2J\nwharf: forged\n",
                          "locked by pid 1 x\\x1b[2J\\x0awharf: forged", 0);
}

/* ---- what is at the lock path ------------------------------------------ */

/* A link is refused and its target left alone, even when dangling. */
static void test_symlink_refused(void **state)
{
    (void)state;
    char target[400], dangling[400];
    snprintf(target, sizeof target, "%s/target", tmpdir);
    snprintf(dangling, sizeof dangling, "%s/nowhere", tmpdir);
    FILE *f = fopen(target, "w");
    assert_non_null(f);
    fputs("keep\n", f);
    fclose(f);
    assert_int_equal(symlink("target", lockpath), 0);
    wh_lock l;
    wh_err e;
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, &e), WH_E_UNSAFE);
    assert_int_equal(l.fd, -1);
    assert_string_equal(e.reason, "symbolic link not followed");
    assert_string_equal(e.path, lockpath);
    assert_string_equal(slurp(target), "keep\n");
    assert_int_equal(unlink(lockpath), 0);
    assert_int_equal(symlink("nowhere", lockpath), 0);
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, &e), WH_E_UNSAFE);
    assert_string_equal(e.reason, "symbolic link not followed");
    assert_int_equal(access(dangling, F_OK), -1);      /* not created */
}

/* A FIFO: refused at once, no writer ever opening it. */
static void test_fifo_refused(void **state)
{
    (void)state;
    assert_int_equal(mkfifo(lockpath, 0644), 0);
    wh_lock l;
    wh_err e;
    alarm(10);
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, &e), WH_E_UNSAFE);
    alarm(0);
    assert_int_equal(l.fd, -1);
    assert_string_equal(e.reason, "not a regular file");
    assert_string_equal(e.path, lockpath);
}

static void test_directory_refused(void **state)
{
    (void)state;
    assert_int_equal(mkdir(lockpath, 0755), 0);
    wh_lock l;
    wh_err e;
    assert_int_equal(wh_lock_take(&l, lockpath, WHO, 0, NULL, NULL, &e), WH_E_IO);
    assert_int_equal(l.fd, -1);
    assert_string_equal(e.reason, "cannot open lock file: Is a directory");
}

static void test_missing_folder(void **state)
{
    (void)state;
    char p[400];
    snprintf(p, sizeof p, "%s/no/.wharf-lock", tmpdir);
    wh_lock l;
    wh_err e;
    assert_int_equal(wh_lock_take(&l, p, WHO, 0, NULL, NULL, &e), WH_E_NOTFOUND);
    assert_int_equal(l.fd, -1);
    assert_string_equal(e.reason, "cannot open lock file: No such file or directory");
    assert_string_equal(e.path, p);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

WH_TEST_MAIN("lock",
    T(test_take_names_holder),
    T(test_other_process_refused),
    T(test_same_process_refused),
    T(test_release_clears_holder),
    T(test_release_frees),
    T(test_release_twice),
    T(test_stale_text_ignored),
    T(test_wait_until_released),
    T(test_wait_without_callback),
    T(test_killed_holder),
    T(test_unknown_holder),
    T(test_hostile_holder_quoted),
    T(test_symlink_refused),
    T(test_fifo_refused),
    T(test_directory_refused),
    T(test_missing_folder),
)

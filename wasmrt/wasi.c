/* wasi.c - WASI preview 1 ("wasi_snapshot_preview1") host functions.
 *
 * This is the implementation of the capability-safe subset described in
 * docs/wasmrt.md ("WASI"): arguments and environment, stdio, files and
 * directories inside preopened directories (path_open, read, write, seek,
 * tell, stat, readdir, close), clocks, random bytes, proc_exit,
 * sched_yield and poll_oneoff for clock subscriptions.  The other 25 or
 * so preview-1 functions are linked with their exact types (so modules
 * that import them instantiate) and return ENOSYS.
 *
 * Design
 *   - One table, wasi_fns[], has a row per preview-1 function: its name,
 *     its type as a string ("iIi" = i32, i64, i32 -> i32) and the C
 *     function.  Every row is linked through one trampoline that turns
 *     the C function's WASI errno into the i32 result.
 *   - Guest memory is only reached through guest_mem(), which checks
 *     [ptr, ptr + len) against the caller's memory 0 (wr_caller_memory);
 *     no memory or out of bounds is EFAULT.  Pointers are u32, sizes
 *     computed in u64 so they cannot wrap.  Structures are written byte
 *     by byte in little-endian order, whatever the host.
 *   - The fd table maps guest fds to host fds with the rights WASI
 *     attaches to each; it grows to WASI_MAX_FDS at most.
 *   - Paths.  The guest never names a host path: every path is resolved
 *     by walk_resolve() relative to a directory fd it holds, one
 *     component at a time with openat(O_NOFOLLOW | O_DIRECTORY), reading
 *     symbolic links with readlinkat and splicing their targets into the
 *     rest of the path.  An absolute path or symlink target, or a '..'
 *     above the starting directory, is ENOTCAPABLE before anything is
 *     opened; '..' is handled by reopening the directory chain from the
 *     start (walk_up), never by opening "..", so a walk cannot leave the
 *     directory even through a concurrently renamed link.  The final
 *     component is opened or stat'ed with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW
 *     so a link swapped in after the check is refused (ELOOP), not
 *     followed.  (openat2's RESOLVE_BENEATH would do the walk in the
 *     kernel; one portable path that the tests exercise everywhere was
 *     preferred.)
 *   - poll_oneoff sleeps on the host; wr_wasi_set_timeout bounds that
 *     sleep so a --timeout also covers a guest that sleeps.
 *
 * Tests: tests/cli/t0011-wasmrt-wasi.sh (the examples/wasm programs,
 * compiled with clang --target=wasm32-wasi), t0012-wasmrt-escape.sh and
 * t0014-wasmrt-wasi-pointers.sh (hostile pointers and lengths).
 */
#include "wasi.h"

#include "internal.h"   /* wr_fail */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* --- WASI constants (the witx definitions of preview 1) ------------------ */

enum {
    E_SUCCESS = 0, E_2BIG = 1, E_BADF = 8, E_EXIST = 20, E_FAULT = 21,
    E_INVAL = 28, E_IO = 29, E_ISDIR = 31, E_LOOP = 32, E_MFILE = 33,
    E_NAMETOOLONG = 37, E_NOENT = 44, E_NOMEM = 48, E_NOSYS = 52,
    E_NOTDIR = 54, E_NOTCAPABLE = 76,
};

enum {
    FT_UNKNOWN = 0, FT_BLOCK = 1, FT_CHAR = 2, FT_DIR = 3, FT_REG = 4,
    FT_SOCK_DGRAM = 5, FT_SOCK_STREAM = 6, FT_SYMLINK = 7,
};

#define R_FD_DATASYNC        (1ull << 0)
#define R_FD_READ            (1ull << 1)
#define R_FD_SEEK            (1ull << 2)
#define R_FD_TELL            (1ull << 5)
#define R_FD_WRITE           (1ull << 6)
#define R_FD_ALLOCATE        (1ull << 8)
#define R_PATH_CREATE_FILE   (1ull << 10)
#define R_PATH_OPEN          (1ull << 13)
#define R_FD_READDIR         (1ull << 14)
#define R_PATH_FILESTAT_GET  (1ull << 18)
#define R_FD_FILESTAT_GET    (1ull << 21)
#define R_FD_FILESTAT_SET_SIZE (1ull << 22)
#define R_ALL                ((1ull << 30) - 1)

enum { OF_CREAT = 1, OF_DIRECTORY = 2, OF_EXCL = 4, OF_TRUNC = 8 };
enum { FL_APPEND = 1, FL_DSYNC = 2, FL_NONBLOCK = 4, FL_RSYNC = 8, FL_SYNC = 16 };
enum { LOOKUP_SYMLINK_FOLLOW = 1 };
enum { CLOCK_ABSTIME_FLAG = 1 };

#ifndef NAME_MAX
#define NAME_MAX 255
#endif
#define WASI_MAX_FDS      1024     /* guest fds, stdio and preopens included */
#define WASI_PATH_MAX     4096     /* bytes of a path, links spliced in */
#define WASI_NAMES_MAX    16384    /* bytes of directory names while walking */
#define WASI_MAX_LINKS    40       /* symbolic links followed per path */
#define WASI_MAX_IOVS     1024     /* iovecs looked at per read or write */
#define WASI_MAX_IO       0x7fffffffu  /* bytes per read or write call */
#define WASI_MAX_ARGS     (1u << 20)   /* bytes of argv or environ */

/* The host's errno values in WASI's numbering. */
static const struct { int host; uint16_t wasi; } errno_map[] = {
    {E2BIG, 1}, {EACCES, 2}, {EADDRINUSE, 3}, {EADDRNOTAVAIL, 4},
    {EAFNOSUPPORT, 5}, {EAGAIN, 6}, {EALREADY, 7}, {EBADF, 8},
    {EBADMSG, 9}, {EBUSY, 10}, {ECANCELED, 11}, {ECHILD, 12},
    {ECONNABORTED, 13}, {ECONNREFUSED, 14}, {ECONNRESET, 15},
    {EDEADLK, 16}, {EDESTADDRREQ, 17}, {EDOM, 18}, {EDQUOT, 19},
    {EEXIST, 20}, {EFAULT, 21}, {EFBIG, 22}, {EHOSTUNREACH, 23},
    {EIDRM, 24}, {EILSEQ, 25}, {EINPROGRESS, 26}, {EINTR, 27},
    {EINVAL, 28}, {EIO, 29}, {EISCONN, 30}, {EISDIR, 31}, {ELOOP, 32},
    {EMFILE, 33}, {EMLINK, 34}, {EMSGSIZE, 35}, {EMULTIHOP, 36},
    {ENAMETOOLONG, 37}, {ENETDOWN, 38}, {ENETRESET, 39},
    {ENETUNREACH, 40}, {ENFILE, 41}, {ENOBUFS, 42}, {ENODEV, 43},
    {ENOENT, 44}, {ENOEXEC, 45}, {ENOLCK, 46}, {ENOLINK, 47},
    {ENOMEM, 48}, {ENOMSG, 49}, {ENOPROTOOPT, 50}, {ENOSPC, 51},
    {ENOSYS, 52}, {ENOTCONN, 53}, {ENOTDIR, 54}, {ENOTEMPTY, 55},
    {ENOTRECOVERABLE, 56}, {ENOTSOCK, 57}, {ENOTSUP, 58}, {ENOTTY, 59},
    {ENXIO, 60}, {EOVERFLOW, 61}, {EOWNERDEAD, 62}, {EPERM, 63},
    {EPIPE, 64}, {EPROTO, 65}, {EPROTONOSUPPORT, 66}, {EPROTOTYPE, 67},
    {ERANGE, 68}, {EROFS, 69}, {ESPIPE, 70}, {ESRCH, 71}, {ESTALE, 72},
    {ETIMEDOUT, 73}, {ETXTBSY, 74}, {EXDEV, 75},
#if EWOULDBLOCK != EAGAIN
    {EWOULDBLOCK, 6},
#endif
#if EOPNOTSUPP != ENOTSUP
    {EOPNOTSUPP, 58},
#endif
};

static uint16_t wasi_errno(int e)
{
    for (size_t i = 0; i < sizeof errno_map / sizeof errno_map[0]; i++)
        if (errno_map[i].host == e)
            return errno_map[i].wasi;
    return E_IO;
}

/* --- the state ------------------------------------------------------------ */

typedef struct wasi_fd {
    int      host;           /* -1: the slot is free */
    bool     owned;          /* close host when the guest closes the fd */
    uint64_t rights, inherit;
    char    *preopen;        /* the guest's name of a preopened directory */
    DIR     *dir;            /* fd_readdir's stream, opened on first use */
    uint64_t dir_pos;        /* entries dir has returned since rewinding */
} wasi_fd;

/* A WASI function: returns a WASI errno (>= 0), or the negative value of
 * wr_trap() / wr_exit() to stop the call. */
typedef int (*wasi_impl)(wr_wasi *w, wr_caller *c, const wr_value *a);

typedef struct wasi_binding {
    wr_wasi  *w;
    wasi_impl impl;
} wasi_binding;

typedef struct wasi_fn {
    const char *name;
    const char *params;      /* 'i' i32, 'I' i64 */
    wasi_impl   impl;        /* NULL: returns ENOSYS */
    bool        no_result;   /* proc_exit */
} wasi_fn;

#define WASI_NFUNCS 46
#define WASI_MAX_PARAMS 9

struct wr_wasi {
    char        **argv, **env;
    uint32_t      argc, envc;
    uint32_t      argv_bytes, env_bytes;   /* strings with their NULs */
    wasi_fd      *fds;
    uint32_t      nfds;                    /* slots allocated */
    bool          exited;
    uint32_t      exit_code;
    bool          has_deadline;
    struct timespec deadline;              /* CLOCK_MONOTONIC */
    wasi_binding  bind[WASI_NFUNCS];
    wr_functype   types[WASI_NFUNCS];
    wr_type       params[WASI_NFUNCS][WASI_MAX_PARAMS];
};

/* --- guest memory ---------------------------------------------------------- */

/* [ptr, ptr + len) of the caller's memory as a host pointer, or NULL. */
static uint8_t *guest_mem(wr_caller *c, uint32_t ptr, uint64_t len)
{
    uint64_t size = 0;
    uint8_t *base = wr_caller_memory(c, &size);
    if (!base || (uint64_t)ptr + len > size)
        return NULL;
    return base + ptr;
}

static void le_put(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le_get(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint16_t put_u32(wr_caller *c, uint32_t ptr, uint32_t v)
{
    uint8_t b[4];
    le_put(b, v, 4);
    return wr_caller_write(c, ptr, b, 4) ? E_FAULT : E_SUCCESS;
}

static uint16_t put_u64(wr_caller *c, uint32_t ptr, uint64_t v)
{
    uint8_t b[8];
    le_put(b, v, 8);
    return wr_caller_write(c, ptr, b, 8) ? E_FAULT : E_SUCCESS;
}

#define ARG32(i) ((uint32_t)a[i].of.i32)
#define ARG64(i) ((uint64_t)a[i].of.i64)

/* --- fd table ------------------------------------------------------------- */

static uint16_t fd_get(wr_wasi *w, uint32_t fd, uint64_t need, wasi_fd **out)
{
    if (fd >= w->nfds || w->fds[fd].host < 0)
        return E_BADF;
    if ((w->fds[fd].rights & need) != need)
        return E_NOTCAPABLE;
    *out = &w->fds[fd];
    return E_SUCCESS;
}

/* The lowest free slot, growing the table; -1 when WASI_MAX_FDS are used. */
static int fd_alloc(wr_wasi *w)
{
    for (uint32_t i = 0; i < w->nfds; i++)
        if (w->fds[i].host < 0)
            return (int)i;
    if (w->nfds >= WASI_MAX_FDS)
        return -1;
    uint32_t n = w->nfds * 2 < WASI_MAX_FDS ? w->nfds * 2 : WASI_MAX_FDS;
    if (n < 8)
        n = 8;
    wasi_fd *f = realloc(w->fds, n * sizeof *f);
    if (!f)
        return -1;
    for (uint32_t i = w->nfds; i < n; i++)
        f[i] = (wasi_fd){.host = -1};
    w->fds = f;
    uint32_t slot = w->nfds;
    w->nfds = n;
    return (int)slot;
}

static void fd_release(wasi_fd *f)
{
    if (f->dir)
        closedir(f->dir);
    if (f->owned && f->host >= 0)
        close(f->host);
    free(f->preopen);
    *f = (wasi_fd){.host = -1};
}

static uint8_t filetype_of(mode_t m)
{
    if (S_ISREG(m)) return FT_REG;
    if (S_ISDIR(m)) return FT_DIR;
    if (S_ISCHR(m)) return FT_CHAR;
    if (S_ISBLK(m)) return FT_BLOCK;
    if (S_ISLNK(m)) return FT_SYMLINK;
    if (S_ISSOCK(m)) return FT_SOCK_STREAM;
    return FT_UNKNOWN;
}

/* --- arguments and environment ------------------------------------------- */

/* Write the count and the bytes of NUL-terminated strings. */
static uint16_t strings_sizes(wr_caller *c, uint32_t n, uint32_t bytes,
                              const wr_value *a)
{
    uint16_t e = put_u32(c, ARG32(0), n);
    return e ? e : put_u32(c, ARG32(1), bytes);
}

/* Write the pointers at a[0] and the strings at a[1]. */
static uint16_t strings_get(wr_caller *c, char **s, uint32_t n,
                            uint32_t bytes, const wr_value *a)
{
    uint8_t *ptrs = guest_mem(c, ARG32(0), 4ull * n);
    uint8_t *buf = guest_mem(c, ARG32(1), bytes);
    if (!ptrs || !buf)
        return E_FAULT;
    uint32_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t len = strlen(s[i]) + 1;
        le_put(ptrs + 4 * i, ARG32(1) + off, 4);
        memcpy(buf + off, s[i], len);
        off += (uint32_t)len;
    }
    return E_SUCCESS;
}

static int w_args_sizes_get(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    return strings_sizes(c, w->argc, w->argv_bytes, a);
}

static int w_args_get(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    return strings_get(c, w->argv, w->argc, w->argv_bytes, a);
}

static int w_environ_sizes_get(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    return strings_sizes(c, w->envc, w->env_bytes, a);
}

static int w_environ_get(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    return strings_get(c, w->env, w->envc, w->env_bytes, a);
}

/* --- clocks, random, scheduling, exit ---------------------------------- */

static int host_clock(uint32_t id, clockid_t *out)
{
    static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
                                    CLOCK_PROCESS_CPUTIME_ID,
                                    CLOCK_THREAD_CPUTIME_ID};
    if (id >= sizeof ids / sizeof ids[0])
        return -1;
    *out = ids[id];
    return 0;
}

static uint64_t ts_ns(struct timespec t)
{
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int w_clock_res_get(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    clockid_t id;
    struct timespec t;
    if (host_clock(ARG32(0), &id) || clock_getres(id, &t))
        return E_INVAL;
    return put_u64(c, ARG32(1), ts_ns(t));
}

static int w_clock_time_get(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    clockid_t id;
    struct timespec t;
    if (host_clock(ARG32(0), &id) || clock_gettime(id, &t))
        return E_INVAL;
    return put_u64(c, ARG32(2), ts_ns(t));
}

static int w_random_get(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    uint32_t len = ARG32(1);
    uint8_t *p = guest_mem(c, ARG32(0), len);
    if (!p)
        return E_FAULT;
    for (uint32_t done = 0; done < len;) {
        size_t n = len - done < (1u << 20) ? len - done : (1u << 20);
        ssize_t r = getrandom(p + done, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return E_IO;
        done += (uint32_t)r;
    }
    return E_SUCCESS;
}

static int w_sched_yield(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    sched_yield();
    return E_SUCCESS;
}

static int w_proc_exit(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    w->exited = true;
    w->exit_code = ARG32(0);
    return wr_exit(c, w->exit_code > INT_MAX ? INT_MAX : (int)w->exit_code);
}

/* --- poll_oneoff: clock subscriptions ------------------------------------ */

/* Nanoseconds from now until the subscription at s fires (0: already). */
static uint16_t clock_wait(const uint8_t *s, uint64_t *wait)
{
    clockid_t id;
    struct timespec now;
    if (host_clock((uint32_t)le_get(s + 16, 4), &id) ||
        (id != CLOCK_REALTIME && id != CLOCK_MONOTONIC))
        return E_INVAL;
    uint64_t timeout = le_get(s + 24, 8);
    if (!(le_get(s + 40, 2) & CLOCK_ABSTIME_FLAG)) {
        *wait = timeout;
        return E_SUCCESS;
    }
    clock_gettime(id, &now);
    *wait = timeout > ts_ns(now) ? timeout - ts_ns(now) : 0;
    return E_SUCCESS;
}

/* Sleep ns on the monotonic clock, at most until w's deadline: returns
 * -1 when the deadline cut the sleep short. */
static int sleep_ns(wr_wasi *w, uint64_t ns)
{
    struct timespec now, until;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t end = ts_ns(now) + (ns > UINT64_MAX / 2 ? UINT64_MAX / 2 : ns);
    int cut = 0;
    if (w->has_deadline && ts_ns(w->deadline) < end) {
        end = ts_ns(w->deadline);
        cut = -1;
    }
    until.tv_sec = (time_t)(end / 1000000000u);
    until.tv_nsec = (long)(end % 1000000000u);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
    return cut;
}

static int w_poll_oneoff(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    uint32_t n = ARG32(2);
    const uint8_t *in = guest_mem(c, ARG32(0), 48ull * n);
    uint8_t *out = guest_mem(c, ARG32(1), 32ull * n);
    if (!in || !out)
        return E_FAULT;
    if (n == 0)
        return E_INVAL;
    uint64_t first = UINT64_MAX, wait;
    for (uint32_t i = 0; i < n; i++) {
        if (in[48 * i + 8] != 0)
            return E_NOSYS;        /* fd subscriptions are not supported */
        uint16_t e = clock_wait(in + 48 * i, &wait);
        if (e)
            return e;
        if (wait < first)
            first = wait;
    }
    if (first > 0 && sleep_ns(w, first) < 0)
        return wr_trap(c, "deadline exceeded");
    /* Events may overlap the subscriptions (the guest's choice): read
     * each subscription before writing its event. */
    uint32_t nev = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t userdata[8];
        memcpy(userdata, in + 48 * i, 8);
        if (clock_wait(in + 48 * i, &wait) || wait > first)
            continue;
        uint8_t *ev = out + 32 * nev++;
        memset(ev, 0, 32);                    /* error 0, type clock */
        memcpy(ev, userdata, 8);
    }
    return put_u32(c, ARG32(3), nev);
}

/* --- stdio and file descriptors ----------------------------------------- */

/* Gather the guest's iovec array at a[1], a[2] into iov; *n is set. */
static uint16_t gather_iovs(wr_caller *c, const wr_value *a,
                            struct iovec *iov, int *n)
{
    uint32_t count = ARG32(2) < WASI_MAX_IOVS ? ARG32(2) : WASI_MAX_IOVS;
    const uint8_t *v = guest_mem(c, ARG32(1), 8ull * ARG32(2));
    if (!v)
        return E_FAULT;
    uint64_t total = 0;
    *n = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t ptr = (uint32_t)le_get(v + 8 * i, 4);
        uint32_t len = (uint32_t)le_get(v + 8 * i + 4, 4);
        uint8_t *p = guest_mem(c, ptr, len);
        if (!p)
            return E_FAULT;
        if (total + len > WASI_MAX_IO)
            len = (uint32_t)(WASI_MAX_IO - total);
        iov[(*n)++] = (struct iovec){.iov_base = p, .iov_len = len};
        total += len;
        if (total == WASI_MAX_IO)
            break;
    }
    return E_SUCCESS;
}

static uint16_t rw(wr_wasi *w, wr_caller *c, const wr_value *a, bool wr)
{
    wasi_fd *f;
    struct iovec iov[WASI_MAX_IOVS];
    int n;
    uint16_t e = fd_get(w, ARG32(0), wr ? R_FD_WRITE : R_FD_READ, &f);
    if (e || (e = gather_iovs(c, a, iov, &n)))
        return e;
    if (!guest_mem(c, ARG32(3), 4))     /* fail before doing the I/O */
        return E_FAULT;
    ssize_t r;
    do
        r = wr ? writev(f->host, iov, n) : readv(f->host, iov, n);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return wasi_errno(errno);
    return put_u32(c, ARG32(3), (uint32_t)r);
}

static int w_fd_read(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    return rw(w, c, a, false);
}

static int w_fd_write(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    return rw(w, c, a, true);
}

static int w_fd_close(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    wasi_fd *f;
    uint16_t e = fd_get(w, ARG32(0), 0, &f);
    if (!e)
        fd_release(f);
    return e;
}

static int w_fd_seek(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    static const int whence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
    wasi_fd *f;
    int64_t off = (int64_t)ARG64(1);
    uint32_t wh = ARG32(2) & 0xff;
    uint64_t need = off == 0 && wh == 1 ? R_FD_TELL : R_FD_SEEK;
    uint16_t e = fd_get(w, ARG32(0), need, &f);
    if (e)
        return e;
    if (wh > 2)
        return E_INVAL;
    if (!guest_mem(c, ARG32(3), 8))
        return E_FAULT;
    off_t r = lseek(f->host, (off_t)off, whence[wh]);
    if (r < 0)
        return wasi_errno(errno);
    return put_u64(c, ARG32(3), (uint64_t)r);
}

static int w_fd_tell(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    wasi_fd *f;
    uint16_t e = fd_get(w, ARG32(0), R_FD_TELL, &f);
    if (e)
        return e;
    off_t r = lseek(f->host, 0, SEEK_CUR);
    if (r < 0)
        return wasi_errno(errno);
    return put_u64(c, ARG32(1), (uint64_t)r);
}

static int w_fd_fdstat_get(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    wasi_fd *f;
    struct stat st;
    uint8_t b[24] = {0};
    uint16_t e = fd_get(w, ARG32(0), 0, &f);
    if (e)
        return e;
    if (fstat(f->host, &st))
        return wasi_errno(errno);
    int fl = fcntl(f->host, F_GETFL);
    uint16_t flags = 0;
    if (fl >= 0) {
        flags |= (fl & O_APPEND) ? FL_APPEND : 0;
        flags |= (fl & O_NONBLOCK) ? FL_NONBLOCK : 0;
        flags |= (fl & O_DSYNC) ? FL_DSYNC : 0;
        flags |= (fl & O_SYNC) == O_SYNC ? FL_SYNC : 0;
    }
    b[0] = filetype_of(st.st_mode);
    le_put(b + 2, flags, 2);
    le_put(b + 8, f->rights, 8);
    le_put(b + 16, f->inherit, 8);
    return wr_caller_write(c, ARG32(1), b, sizeof b) ? E_FAULT : E_SUCCESS;
}

static int w_fd_prestat_get(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    wasi_fd *f;
    uint8_t b[8] = {0};
    uint16_t e = fd_get(w, ARG32(0), 0, &f);
    if (e || !f->preopen)
        return E_BADF;
    le_put(b + 4, strlen(f->preopen), 4);     /* tag 0: a directory */
    return wr_caller_write(c, ARG32(1), b, sizeof b) ? E_FAULT : E_SUCCESS;
}

static int w_fd_prestat_dir_name(wr_wasi *w, wr_caller *c,
                                      const wr_value *a)
{
    wasi_fd *f;
    uint16_t e = fd_get(w, ARG32(0), 0, &f);
    if (e || !f->preopen)
        return E_BADF;
    size_t len = strlen(f->preopen);
    if (ARG32(2) < len)
        return E_NAMETOOLONG;
    return wr_caller_write(c, ARG32(1), f->preopen, len) ? E_FAULT : E_SUCCESS;
}

static uint16_t put_filestat(wr_caller *c, uint32_t ptr, const struct stat *st)
{
    uint8_t b[64] = {0};
    le_put(b, (uint64_t)st->st_dev, 8);
    le_put(b + 8, (uint64_t)st->st_ino, 8);
    b[16] = filetype_of(st->st_mode);
    le_put(b + 24, (uint64_t)st->st_nlink, 8);
    le_put(b + 32, (uint64_t)st->st_size, 8);
    le_put(b + 40, ts_ns(st->st_atim), 8);
    le_put(b + 48, ts_ns(st->st_mtim), 8);
    le_put(b + 56, ts_ns(st->st_ctim), 8);
    return wr_caller_write(c, ptr, b, sizeof b) ? E_FAULT : E_SUCCESS;
}

static int w_fd_filestat_get(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    wasi_fd *f;
    struct stat st;
    uint16_t e = fd_get(w, ARG32(0), R_FD_FILESTAT_GET, &f);
    if (e)
        return e;
    if (fstat(f->host, &st))
        return wasi_errno(errno);
    return put_filestat(c, ARG32(1), &st);
}

/* --- fd_readdir ------------------------------------------------------------ */

/* Position f's stream at entry number cookie (cookies are entry counts:
 * d_next of the n-th entry is n + 1), rewinding when needed. */
static uint16_t dir_seek(wasi_fd *f, uint64_t cookie)
{
    if (!f->dir) {
        int fd = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return wasi_errno(errno);
        if (!(f->dir = fdopendir(fd))) {
            int e = errno;
            close(fd);
            return wasi_errno(e);
        }
        f->dir_pos = 0;
    }
    if (cookie != f->dir_pos) {
        rewinddir(f->dir);
        f->dir_pos = 0;
        while (f->dir_pos < cookie && readdir(f->dir))
            f->dir_pos++;
    }
    return E_SUCCESS;
}

static uint8_t dirent_type(DIR *d, const struct dirent *de)
{
    struct stat st;
    switch (de->d_type) {
    case DT_REG: return FT_REG;
    case DT_DIR: return FT_DIR;
    case DT_LNK: return FT_SYMLINK;
    case DT_CHR: return FT_CHAR;
    case DT_BLK: return FT_BLOCK;
    case DT_SOCK: return FT_SOCK_STREAM;
    case DT_FIFO: return FT_UNKNOWN;
    }
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
        return FT_UNKNOWN;
    return filetype_of(st.st_mode);
}

/* Entries as 24-byte headers and names, the last one cut short when the
 * buffer is full (the guest then asks again with a larger one). */
static int w_fd_readdir(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    wasi_fd *f;
    uint32_t len = ARG32(2), used = 0;
    uint8_t *buf = guest_mem(c, ARG32(1), len);
    uint16_t e = fd_get(w, ARG32(0), R_FD_READDIR, &f);
    if (e)
        return e;
    if (!buf)
        return E_FAULT;
    if ((e = dir_seek(f, ARG64(3))))
        return e;
    while (used < len) {
        errno = 0;
        struct dirent *de = readdir(f->dir);
        if (!de) {
            if (errno)
                return wasi_errno(errno);
            break;
        }
        f->dir_pos++;
        uint8_t ent[24 + 256];
        size_t nlen = strnlen(de->d_name, 255);
        memset(ent, 0, 24);
        le_put(ent, f->dir_pos, 8);
        le_put(ent + 8, (uint64_t)de->d_ino, 8);
        le_put(ent + 16, nlen, 4);
        ent[20] = dirent_type(f->dir, de);
        memcpy(ent + 24, de->d_name, nlen);
        size_t n = 24 + nlen < len - used ? 24 + nlen : len - used;
        memcpy(buf + used, ent, n);
        used += (uint32_t)n;
    }
    return put_u32(c, ARG32(4), used);
}

/* --- path resolution inside a directory ------------------------------------ */

/* The state of one path walk: see the file comment.  Heap-allocated (it
 * holds a few KiB of names) and freed by walk_free. */
typedef struct wasi_walk {
    int      root;            /* the guest's directory fd: never closed */
    int      cur;             /* root, or a directory below it we own */
    uint32_t depth;           /* directories between root and cur */
    size_t   names_len;       /* "a\0b\0...": their names, root first */
    int      links;
    char     names[WASI_NAMES_MAX];
    char     path[WASI_PATH_MAX + 1];  /* what is left to resolve */
    char     tmp[WASI_PATH_MAX + 1];
    char     last[NAME_MAX + 1];       /* the final component, or "." */
} wasi_walk;

static void walk_free(wasi_walk *wk)
{
    if (wk->cur != wk->root)
        close(wk->cur);
    free(wk);
}

/* Make cur the directory name inside it, remembering the name. */
static uint16_t walk_down(wasi_walk *wk, const char *name, size_t len)
{
    if (wk->names_len + len + 1 > sizeof wk->names)
        return E_NAMETOOLONG;
    int fd = openat(wk->cur, name,
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return wasi_errno(errno);
    if (wk->cur != wk->root)
        close(wk->cur);
    wk->cur = fd;
    memcpy(wk->names + wk->names_len, name, len + 1);
    wk->names_len += len + 1;
    wk->depth++;
    return E_SUCCESS;
}

/* '..': drop the last name and reopen the chain from root. */
static uint16_t walk_up(wasi_walk *wk)
{
    if (wk->depth == 0)
        return E_NOTCAPABLE;
    size_t keep = 0;
    for (uint32_t i = 0; i + 1 < wk->depth; i++)
        keep += strlen(wk->names + keep) + 1;
    uint32_t depth = wk->depth - 1;
    memcpy(wk->tmp, wk->names, keep);
    if (wk->cur != wk->root)
        close(wk->cur);
    wk->cur = wk->root;
    wk->depth = 0;
    wk->names_len = 0;
    for (size_t off = 0; wk->depth < depth;) {
        char name[NAME_MAX + 1];
        size_t len = strlen(wk->tmp + off);
        memcpy(name, wk->tmp + off, len + 1);
        uint16_t e = walk_down(wk, name, len);
        if (e)
            return e;
        off += len + 1;
    }
    return E_SUCCESS;
}

/* A symbolic link named name in cur: replace it by its target in the
 * path still to resolve (rest).  Absolute targets leave the directory. */
static uint16_t walk_link(wasi_walk *wk, const char *target, size_t tlen,
                          const char *rest)
{
    if (++wk->links > WASI_MAX_LINKS)
        return E_LOOP;
    if (tlen > 0 && target[0] == '/')
        return E_NOTCAPABLE;
    size_t rlen = strlen(rest);
    if (tlen + 1 + rlen > WASI_PATH_MAX)
        return E_NAMETOOLONG;
    /* "target/rest", or just "target" for a final link: a '/' added there
     * would demand a directory. */
    size_t sep = rlen > 0;
    char *p = wk->tmp;
    memcpy(p, target, tlen);
    p[tlen] = '/';
    memcpy(p + tlen + sep, rest, rlen + 1);
    memcpy(wk->path, wk->tmp, tlen + sep + rlen + 1);
    return E_SUCCESS;
}

/* Resolve wk->path (relative) from wk->root: leaves cur the directory
 * holding the final component and last that component ("." when the
 * path ends in '.', '..' or '/').  follow: a final symbolic link is
 * followed too (WASI's LOOKUP_SYMLINK_FOLLOW). */
static uint16_t walk_resolve(wasi_walk *wk, bool follow)
{
    char *p = wk->path;
    if (*p == '/')
        return E_NOTCAPABLE;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p) {
            strcpy(wk->last, ".");
            return E_SUCCESS;
        }
        char *end = p + strcspn(p, "/");
        size_t len = (size_t)(end - p);
        bool is_last = *end == '\0';
        char name[NAME_MAX + 1];
        if (len > NAME_MAX)
            return E_NAMETOOLONG;
        memcpy(name, p, len);
        name[len] = '\0';
        p = end;
        uint16_t e = E_SUCCESS;
        if (!strcmp(name, "."))
            continue;
        if (!strcmp(name, "..")) {
            if ((e = walk_up(wk)))
                return e;
            continue;
        }
        if (is_last && !follow) {
            memcpy(wk->last, name, len + 1);
            return E_SUCCESS;
        }
        char target[WASI_PATH_MAX + 1];
        ssize_t n = readlinkat(wk->cur, name, target, sizeof target);
        if (n >= 0) {
            if ((size_t)n >= sizeof target)
                return E_NAMETOOLONG;
            if ((e = walk_link(wk, target, (size_t)n, p)))
                return e;
            p = wk->path;
            continue;
        }
        if (errno != EINVAL && errno != ENOENT)
            return wasi_errno(errno);
        if (is_last) {
            memcpy(wk->last, name, len + 1);
            return E_SUCCESS;
        }
        if ((e = walk_down(wk, name, len)))
            return e;
    }
}

/* Start a walk of the guest's path (ptr, len) from directory fd dirfd,
 * which must hold the rights need; *out is freed with walk_free. */
static uint16_t walk_begin(wr_wasi *w, wr_caller *c, uint32_t dirfd,
                           uint64_t need, uint32_t ptr, uint32_t len,
                           wasi_fd **dir, wasi_walk **out)
{
    uint16_t e = fd_get(w, dirfd, need, dir);
    if (e)
        return e;
    if (len > WASI_PATH_MAX)
        return E_NAMETOOLONG;
    const uint8_t *s = guest_mem(c, ptr, len);
    if (!s)
        return E_FAULT;
    if (len == 0)
        return E_NOENT;
    if (memchr(s, '\0', len))
        return E_INVAL;
    wasi_walk *wk = malloc(sizeof *wk);
    if (!wk)
        return E_NOMEM;
    wk->root = wk->cur = (*dir)->host;
    wk->depth = 0;
    wk->names_len = 0;
    wk->links = 0;
    memcpy(wk->path, s, len);
    wk->path[len] = '\0';
    *out = wk;
    return E_SUCCESS;
}

static int w_path_filestat_get(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    wasi_fd *dir;
    wasi_walk *wk;
    struct stat st;
    uint16_t e = walk_begin(w, c, ARG32(0), R_PATH_FILESTAT_GET, ARG32(2),
                            ARG32(3), &dir, &wk);
    if (e)
        return e;
    e = walk_resolve(wk, ARG32(1) & LOOKUP_SYMLINK_FOLLOW);
    if (!e && fstatat(wk->cur, wk->last, &st, AT_SYMLINK_NOFOLLOW))
        e = wasi_errno(errno);
    walk_free(wk);
    return e ? e : put_filestat(c, ARG32(4), &st);
}

/* openat flags for path_open's oflags, rights and fdflags. */
static int open_flags(uint32_t oflags, uint64_t rights, uint32_t fdflags)
{
    bool rd = rights & (R_FD_READ | R_FD_READDIR);
    bool wr = rights & (R_FD_DATASYNC | R_FD_WRITE | R_FD_ALLOCATE |
                        R_FD_FILESTAT_SET_SIZE);
    int fl = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
    if (oflags & OF_DIRECTORY)
        fl |= O_RDONLY | O_DIRECTORY;
    else
        fl |= rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY;
    fl |= (oflags & OF_CREAT) ? O_CREAT : 0;
    fl |= (oflags & OF_EXCL) ? O_EXCL : 0;
    fl |= (oflags & OF_TRUNC) ? O_TRUNC : 0;
    fl |= (fdflags & FL_APPEND) ? O_APPEND : 0;
    fl |= (fdflags & FL_NONBLOCK) ? O_NONBLOCK : 0;
    fl |= (fdflags & FL_DSYNC) ? O_DSYNC : 0;
    fl |= (fdflags & FL_SYNC) ? O_SYNC : 0;
    fl |= (fdflags & FL_RSYNC) ? O_RSYNC : 0;
    return fl;
}

/* path_open(fd, dirflags, path, path_len, oflags, rights_base,
 *           rights_inheriting, fdflags, *fd) */
static int w_path_open(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    wasi_fd *dir;
    wasi_walk *wk;
    uint32_t oflags = ARG32(4) & 0xffff;
    uint64_t base = ARG64(5), inherit = ARG64(6);
    uint64_t need = R_PATH_OPEN | ((oflags & OF_CREAT) ? R_PATH_CREATE_FILE : 0);
    if (!guest_mem(c, ARG32(8), 4))
        return E_FAULT;
    uint16_t e = walk_begin(w, c, ARG32(0), need, ARG32(2), ARG32(3), &dir, &wk);
    if (e)
        return e;
    if ((base & ~dir->inherit) || (inherit & ~dir->inherit)) {
        walk_free(wk);
        return E_NOTCAPABLE;
    }
    uint64_t new_inherit = dir->inherit & inherit;
    e = walk_resolve(wk, ARG32(1) & LOOKUP_SYMLINK_FOLLOW);
    int fd = -1;
    if (!e) {
        fd = openat(wk->cur, wk->last,
                    open_flags(oflags, base, ARG32(7) & 0xffff), 0666);
        if (fd < 0)
            e = wasi_errno(errno);
    }
    walk_free(wk);
    if (e)
        return e;
    int slot = fd_alloc(w);
    if (slot < 0) {
        close(fd);
        return E_MFILE;
    }
    /* Note: dir may have moved with the table; it is not used below. */
    w->fds[slot] = (wasi_fd){.host = fd, .owned = true, .rights = base,
                             .inherit = new_inherit};
    e = put_u32(c, ARG32(8), (uint32_t)slot);
    if (e)
        fd_release(&w->fds[slot]);
    return e;
}

/* --- the function table and the trampoline ------------------------------- */

static const wasi_fn wasi_fns[WASI_NFUNCS] = {
    {"args_get", "ii", w_args_get, false},
    {"args_sizes_get", "ii", w_args_sizes_get, false},
    {"environ_get", "ii", w_environ_get, false},
    {"environ_sizes_get", "ii", w_environ_sizes_get, false},
    {"clock_res_get", "ii", w_clock_res_get, false},
    {"clock_time_get", "iIi", w_clock_time_get, false},
    {"fd_advise", "iIIi", NULL, false},
    {"fd_allocate", "iII", NULL, false},
    {"fd_close", "i", w_fd_close, false},
    {"fd_datasync", "i", NULL, false},
    {"fd_fdstat_get", "ii", w_fd_fdstat_get, false},
    {"fd_fdstat_set_flags", "ii", NULL, false},
    {"fd_fdstat_set_rights", "iII", NULL, false},
    {"fd_filestat_get", "ii", w_fd_filestat_get, false},
    {"fd_filestat_set_size", "iI", NULL, false},
    {"fd_filestat_set_times", "iIIi", NULL, false},
    {"fd_pread", "iiiIi", NULL, false},
    {"fd_prestat_get", "ii", w_fd_prestat_get, false},
    {"fd_prestat_dir_name", "iii", w_fd_prestat_dir_name, false},
    {"fd_pwrite", "iiiIi", NULL, false},
    {"fd_read", "iiii", w_fd_read, false},
    {"fd_readdir", "iiiIi", w_fd_readdir, false},
    {"fd_renumber", "ii", NULL, false},
    {"fd_seek", "iIii", w_fd_seek, false},
    {"fd_sync", "i", NULL, false},
    {"fd_tell", "ii", w_fd_tell, false},
    {"fd_write", "iiii", w_fd_write, false},
    {"path_create_directory", "iii", NULL, false},
    {"path_filestat_get", "iiiii", w_path_filestat_get, false},
    {"path_filestat_set_times", "iiiiIIi", NULL, false},
    {"path_link", "iiiiiii", NULL, false},
    {"path_open", "iiiiiIIii", w_path_open, false},
    {"path_readlink", "iiiiii", NULL, false},
    {"path_remove_directory", "iii", NULL, false},
    {"path_rename", "iiiiii", NULL, false},
    {"path_symlink", "iiiii", NULL, false},
    {"path_unlink_file", "iii", NULL, false},
    {"poll_oneoff", "iiii", w_poll_oneoff, false},
    {"proc_exit", "i", w_proc_exit, true},
    {"proc_raise", "i", NULL, false},
    {"sched_yield", "", w_sched_yield, false},
    {"random_get", "ii", w_random_get, false},
    {"sock_accept", "iii", NULL, false},
    {"sock_recv", "iiiiii", NULL, false},
    {"sock_send", "iiiii", NULL, false},
    {"sock_shutdown", "ii", NULL, false},
};

static const wr_type result_i32[1] = {WR_I32};

static int w_nosys(wr_wasi *w, wr_caller *c, const wr_value *a)
{
    return E_NOSYS;
}

static int wasi_trampoline(wr_caller *c, void *user, const wr_value *args,
                           wr_value *results)
{
    const wasi_binding *b = user;
    int e = b->impl(b->w, c, args);
    if (e < 0)
        return e;
    results[0].type = WR_I32;
    results[0].of.i32 = e;
    return 0;
}

int wr_wasi_link(wr_wasi *w, wr_store *s, wr_imports *imp, wr_error *err)
{
    for (int i = 0; i < WASI_NFUNCS; i++) {
        const wasi_fn *fn = &wasi_fns[i];
        uint32_t np = (uint32_t)strlen(fn->params);
        for (uint32_t j = 0; j < np; j++)
            w->params[i][j] = fn->params[j] == 'I' ? WR_I64 : WR_I32;
        w->types[i] = (wr_functype){.nparams = np, .params = w->params[i],
                                    .nresults = fn->no_result ? 0 : 1,
                                    .results = result_i32};
        w->bind[i] = (wasi_binding){.w = w, .impl = fn->impl ? fn->impl : w_nosys};
        wr_extern ext;
        if (wr_func_new(s, &w->types[i], wasi_trampoline, &w->bind[i], &ext, err) ||
            wr_imports_add(imp, "wasi_snapshot_preview1", fn->name, ext, err))
            return -1;
    }
    return 0;
}

/* --- creating and freeing ------------------------------------------------ */

void wr_wasi_config_init(wr_wasi_config *cfg)
{
    *cfg = (wr_wasi_config){.stdio = {0, 1, 2}};
}

/* Copy n strings into one allocation: the pointer array, then the bytes.
 * *bytes gets their size with NULs; -1 when too large or out of memory. */
static int copy_strings(char ***out, int n, const char *const *s,
                        uint32_t *bytes)
{
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        total += strlen(s[i]) + 1;
        if (total > WASI_MAX_ARGS)
            return -1;
    }
    char **v = malloc((size_t)n * sizeof *v + total + 1);
    if (!v)
        return -1;
    char *p = (char *)(v + n);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(s[i]) + 1;
        v[i] = memcpy(p, s[i], len);
        p += len;
    }
    *out = v;
    *bytes = (uint32_t)total;
    return 0;
}

static void stdio_init(wr_wasi *w, const int stdio[3])
{
    for (int i = 0; i < 3; i++) {
        struct stat st;
        w->fds[i] = (wasi_fd){.host = stdio[i] >= 0 ? stdio[i] : -1,
                              .rights = R_ALL, .inherit = R_ALL};
        /* A terminal is not seekable: wasi-libc's isatty() looks. */
        if (stdio[i] >= 0 && (fstat(stdio[i], &st) || !S_ISREG(st.st_mode)))
            w->fds[i].rights &= ~(R_FD_SEEK | R_FD_TELL);
    }
}

static int preopen(wr_wasi *w, int slot, const wr_wasi_preopen *p, wr_error *err)
{
    const char *guest = p->guest ? p->guest : p->host;
    int fd = open(p->host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        wr_fail(err, WR_ERR_USAGE, -1, "cannot open directory '%s': %s",
                p->host, strerror(e));
        errno = e;
        return -1;
    }
    w->fds[slot] = (wasi_fd){.host = fd, .owned = true, .rights = R_ALL,
                             .inherit = R_ALL, .preopen = strdup(guest)};
    if (!w->fds[slot].preopen)
        return wr_fail(err, WR_ERR_NOMEM, -1, "out of memory");
    return 0;
}

wr_wasi *wr_wasi_new(const wr_wasi_config *cfg, wr_error *err)
{
    wr_wasi *w = calloc(1, sizeof *w);
    if (!w) {
        wr_fail(err, WR_ERR_NOMEM, -1, "out of memory");
        return NULL;
    }
    if (cfg->argc < 0 || cfg->envc < 0 || cfg->npreopens < 0 ||
        cfg->npreopens > WASI_MAX_FDS - 3) {
        wr_fail(err, WR_ERR_USAGE, -1, "bad wasi configuration");
        goto fail;
    }
    if (copy_strings(&w->argv, cfg->argc, cfg->argv, &w->argv_bytes) ||
        copy_strings(&w->env, cfg->envc, cfg->env, &w->env_bytes)) {
        wr_fail(err, WR_ERR_USAGE, -1, "arguments or environment too large");
        goto fail;
    }
    w->argc = (uint32_t)cfg->argc;
    w->envc = (uint32_t)cfg->envc;
    w->nfds = 3 + (uint32_t)cfg->npreopens;
    if (!(w->fds = calloc(w->nfds, sizeof *w->fds))) {
        wr_fail(err, WR_ERR_NOMEM, -1, "out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < w->nfds; i++)
        w->fds[i].host = -1;
    stdio_init(w, cfg->stdio);
    for (int i = 0; i < cfg->npreopens; i++)
        if (preopen(w, 3 + i, &cfg->preopens[i], err))
            goto fail;
    return w;
fail: {
        int e = errno;
        wr_wasi_free(w);
        errno = e;
        return NULL;
    }
}

void wr_wasi_free(wr_wasi *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; i < w->nfds; i++)
        fd_release(&w->fds[i]);
    free(w->fds);
    free(w->argv);
    free(w->env);
    free(w);
}

void wr_wasi_set_timeout(wr_wasi *w, uint64_t ms_from_now)
{
    w->has_deadline = ms_from_now != 0;
    if (!w->has_deadline)
        return;
    if (ms_from_now > 1000000000000ull)     /* 30 years */
        ms_from_now = 1000000000000ull;
    clock_gettime(CLOCK_MONOTONIC, &w->deadline);
    uint64_t ns = ts_ns(w->deadline) + ms_from_now * 1000000u;
    w->deadline.tv_sec = (time_t)(ns / 1000000000u);
    w->deadline.tv_nsec = (long)(ns % 1000000000u);
}

int64_t wr_wasi_exit_code(const wr_wasi *w, int rc, const wr_error *err)
{
    if (rc == 0)
        return 0;
    if (err && err->kind == WR_ERR_EXIT)
        return w->exited ? (int64_t)w->exit_code : err->exit_code;
    return -1;
}

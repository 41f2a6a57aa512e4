/* pkg_unpack.c - what an install lays down from a package, per format.
 *
 * Implements wh_pkg_unpack and the target helpers of common/pkg.h.  The
 * layout (docs/formats.md, "Installed layout"):
 *
 *   ferrpkg  ferrite-plugin.toml  the header rendered as Ferrite's own
 *                                 manifest ([module] and [dependencies]),
 *                                 so Ferrite's local discovery (a .wasm
 *                                 with a ferrite-plugin.toml beside it)
 *                                 finds the installed module
 *            ferrpkg.json         the header, byte for byte (checksum,
 *                                 wasm_size, sha256 and unknown keys too)
 *            module.wasm          the module
 *   bundle   every regular file of the zip under its own name
 *   PAR      claims.jwt, bin/provider (the target's "<target>.<ext>",
 *            0755), world.wasm when present
 *   format   (WH_PKG_FORMAT, kind "format:PLUGIN": read by a wharf-index
 *            plugin) the package itself, as the record's "file"
 *
 * Why it reads the archive a second time.  The caller has verified these
 * bytes with wh_pkg_read_mem, but the readers decide what a package *is*,
 * not which names are safe to create on a disk: they keep only what they
 * index, and they do not care that "README" and "readme" are one file on
 * macOS.  So here every entry is judged again, as hostile, for what it
 * will become:
 *
 *   1. names (check_name): printable ASCII only, relative, no "." or ".."
 *      or empty components, no backslash, at most WH_PKG_UNPACK_MAX_NAME
 *      bytes and 255 per component.  ASCII only because only then can
 *      "equal ignoring case" be decided the way every file system decides
 *      it (APFS and NTFS fold Unicode, and APFS also normalises it);
 *   2. types: regular files; a bundle's directories are allowed and only
 *      their names checked; links, devices and FIFOs are refused;
 *   3. collisions (check_collision), between every pair of entries:
 *      equal, equal ignoring ASCII case, or one a folder prefix of the
 *      other ("a" and "a/b").  A PAR's targets are compared the same way;
 *   4. sizes are counted while decompressing, never taken from headers:
 *      per file and in all, so a zip or gzip bomb stops at the cap;
 *   5. what fn receives is bound to what was verified (pkg): a .ferrpkg's
 *      name, version and checksum, a PAR binary's size and SHA-256 from
 *      the record, a bundle's module entry.
 *
 * fn gets each file as soon as it is complete; a later error stops the
 * call, and the caller drops its staging folder.  Files of a .ferrpkg
 * point into the caller's data; an archive's file is read into one
 * buffer, reused, grown by doubling up to the file's cap.
 *
 * Tests: tests/unit/pkg_unpack_test.c, tests/cli/t1013-unpack.sh.
 */
#include "pkg.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "hex.h"
#include "index.h"
#include "json.h"

#define FERRPKG_PREAMBLE  8
#define FERRPKG_MAX_HDR   ((uint32_t)1 << 20)
#define PAR_NAME_MAX      128                     /* as pkg_par.c */
#define PAR_MAX_TOTAL     ((uint64_t)4 << 30)
#define PAR_CLAIMS_MAX    ((size_t)64 << 10)
#define BUNDLE_MAX_TOTAL  ((uint64_t)512 << 20)   /* as pkg_bundle.c */
#define COMPONENT_MAX     255
#define FIRST_ROOM        ((size_t)64 << 10)
#define SKIP_BLOCK        ((size_t)64 << 10)

#define MODE_FILE 0644u
#define MODE_EXEC 0755u

/* One entry seen, for the collision checks. */
typedef struct seen {
    char *name;       /* without a directory's trailing '/' */
    int   dir;
} seen;

typedef struct unpack {
    const char    *path;
    wh_err        *err;
    wh_pkg_file_fn fn;
    void          *ctx;
    seen           ent[WH_PKG_UNPACK_MAX_FILES];
    size_t         nent;
    uint64_t       total, total_cap;
    uint8_t       *buf;               /* the file being read */
    size_t         room;
} unpack;

/* --- host target ---------------------------------------------------------- */

#if defined(__x86_64__) || defined(_M_X64)
#define HOST_ARCH "x86_64"
#elif defined(__aarch64__) || defined(_M_ARM64)
#define HOST_ARCH "aarch64"
#elif defined(__i386__) || defined(_M_IX86)
#define HOST_ARCH "x86"
#elif defined(__arm__)
#define HOST_ARCH "arm"
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_ARCH "riscv64"
#elif defined(__powerpc64__)
#define HOST_ARCH "powerpc64"
#elif defined(__s390x__)
#define HOST_ARCH "s390x"
#elif defined(__loongarch64)
#define HOST_ARCH "loongarch64"
#else
#define HOST_ARCH "unknown"
#endif

#if defined(__ANDROID__)
#define HOST_OS "android"
#elif defined(__linux__)
#define HOST_OS "linux"
#elif defined(__APPLE__)
#define HOST_OS "macos"
#elif defined(_WIN32)
#define HOST_OS "windows"
#elif defined(__FreeBSD__)
#define HOST_OS "freebsd"
#elif defined(__NetBSD__)
#define HOST_OS "netbsd"
#elif defined(__OpenBSD__)
#define HOST_OS "openbsd"
#elif defined(__DragonFly__)
#define HOST_OS "dragonfly"
#elif defined(__sun)
#define HOST_OS "solaris"
#else
#define HOST_OS "unknown"
#endif

const char *wh_pkg_host_target(void)
{
    return HOST_ARCH "-" HOST_OS;
}

/* --- targets of a record -------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const json_t *par_targets(const json_t *record)
{
    const json_t *t = json_object_get(json_object_get(record, "par"),
                                      "targets");
    return json_is_object(t) ? t : NULL;
}

char *wh_pkg_targets(const json_t *record, char *buf, size_t n)
{
    const json_t *t = par_targets(record);
    const char *keys[WH_PKG_UNPACK_MAX_FILES], *k;
    size_t nk = 0, o = 0;
    const json_t *v;
    buf[0] = '\0';
    if (!t)
        return buf;
    json_object_foreach((json_t *)t, k, v)
        if (nk < WH_PKG_UNPACK_MAX_FILES)
            keys[nk++] = k;
    qsort(keys, nk, sizeof keys[0], cmp_str);
    for (size_t i = 0; i < nk && o < n; i++) {
        int w = snprintf(buf + o, n - o, "%s%s", i ? ", " : "", keys[i]);
        o += w > 0 ? (size_t)w : 0;
    }
    if (o >= n && n > 4)
        memcpy(buf + n - 4, "...", 4);
    return buf;
}

int wh_pkg_target_check(const char *path, const json_t *record,
                        const char *target, wh_err *err)
{
    const json_t *t = par_targets(record);
    if (!target)
        target = wh_pkg_host_target();
    if (!json_is_object(json_object_get(record, "par")) ||
        (t && json_is_object(json_object_get(t, target))))
        return 0;
    char list[200], q[100];
    wh_pkg_targets(record, list, sizeof list);
    return wh_fail(err, WH_E_NOTFOUND, path, -1, "not available for %s "
                   "(it has %s)", wh_quote(q, sizeof q, target,
                                           strlen(target)),
                   *list ? list : "no binary");
}

/* --- errors --------------------------------------------------------------- */

static int fail_entry(unpack *u, int code, const char *name,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "entry 'NAME': reason" in u's file. */
static int fail_entry(unpack *u, int code, const char *name,
                      const char *fmt, ...)
{
    char q[200], reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return wh_fail(u->err, code, u->path, -1, "entry '%s': %s",
                   wh_quote(q, sizeof q, name, strlen(name)), reason);
}

/* libarchive's message, its first letter lower-cased unless it starts a
 * word in capitals ("ZIP bad CRC" stays), without a trailing newline. */
static const char *ar_msg(struct archive *a, char *buf, size_t n)
{
    const char *m = archive_error_string(a);
    snprintf(buf, n, "%s", m && *m ? m : "corrupt or truncated data");
    if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
        buf[0] = (char)(buf[0] - 'A' + 'a');
    size_t len = strlen(buf);      /* some end with a newline */
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        buf[--len] = '\0';
    return buf;
}

/* --- names ---------------------------------------------------------------- */

/* One component of name, [s, s+n): 0, or the code and *why it may not
 * be created. */
static int bad_component(const char *s, size_t n, const char **why)
{
    *why = n == 0 ? "empty path component"
         : n == 1 && s[0] == '.' ? "'.' component"
         : n == 2 && s[0] == '.' && s[1] == '.' ? "'..' component"
         : NULL;
    if (*why)
        return WH_E_UNSAFE;
    if (n > COMPONENT_MAX) {
        *why = "path component longer than 255 bytes";
        return WH_E_LIMIT;
    }
    return 0;
}

/* Whether name (n bytes, a directory's trailing '/' removed) may become a
 * path below the module's folder; fails naming the entry. */
static int check_name(unpack *u, const char *name, size_t n)
{
    if (n > WH_PKG_UNPACK_MAX_NAME)
        return fail_entry(u, WH_E_LIMIT, name, "name longer than %d bytes",
                          WH_PKG_UNPACK_MAX_NAME);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)name[i];
        if (c < 0x20 || c == 0x7f)
            return fail_entry(u, WH_E_UNSAFE, name, "control character "
                              "0x%02x in name", c);
        if (c >= 0x80)
            return fail_entry(u, WH_E_UNSAFE, name, "byte 0x%02x in name "
                              "(installed names are printable ascii)", c);
        if (c == '\\')
            return fail_entry(u, WH_E_UNSAFE, name, "backslash in name");
    }
    if (n > 0 && name[0] == '/')
        return fail_entry(u, WH_E_UNSAFE, name, "absolute path");
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && name[j] != '/')
            j++;
        const char *why;
        int code = bad_component(name + i, j - i, &why);
        if (code)
            return fail_entry(u, code, name, "%s", why);
        i = j + 1;
    }
    return 0;
}

/* a and b equal ignoring ASCII case, over n bytes. */
static int same_fold(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

/* p (np bytes) is a folder of q: q starts with p + "/", ignoring case. */
static int folder_of(const char *p, size_t np, const char *q, size_t nq)
{
    return nq > np && q[np] == '/' && same_fold(p, q, np);
}

/* name may be created beside every entry seen so far; then remember it. */
static int check_collision(unpack *u, const char *name, size_t n, int dir)
{
    char q[200];
    for (size_t i = 0; i < u->nent; i++) {
        const seen *s = &u->ent[i];
        size_t sn = strlen(s->name);
        const char *other = wh_quote(q, sizeof q, s->name, sn);
        if (sn == n && memcmp(s->name, name, n) == 0)
            return fail_entry(u, WH_E_FORMAT, name, "duplicate entry");
        if (sn == n && same_fold(s->name, name, n) && !(dir && s->dir))
            return fail_entry(u, WH_E_FORMAT, name, "differs only in case "
                              "from '%s'", other);
        if (!s->dir && folder_of(s->name, sn, name, n))
            return fail_entry(u, WH_E_FORMAT, name, "'%s' is a file and a "
                              "folder", other);
        if (!dir && folder_of(name, n, s->name, sn))
            return fail_entry(u, WH_E_FORMAT, name, "it is a file and a "
                              "folder of '%s'", other);
    }
    if (u->nent == WH_PKG_UNPACK_MAX_FILES)
        return wh_fail(u->err, WH_E_LIMIT, u->path, -1, "more than %d "
                       "entries", WH_PKG_UNPACK_MAX_FILES);
    char *c = malloc(n + 1);
    if (!c)
        return wh_fail(u->err, WH_E_NOMEM, u->path, -1, NULL);
    memcpy(c, name, n);
    c[n] = '\0';
    u->ent[u->nent].name = c;
    u->ent[u->nent++].dir = dir;
    return 0;
}

/* The file just read: never NULL, even when empty (nothing allocated). */
static const uint8_t *file_data(const unpack *u)
{
    return u->buf ? u->buf : (const uint8_t *)"";
}

static void unpack_free(unpack *u)
{
    for (size_t i = 0; i < u->nent; i++)
        free(u->ent[i].name);
    free(u->buf);
}

/* --- reading an entry ----------------------------------------------------- */

/* Make room for at least want bytes (want <= cap). */
static int grow(unpack *u, size_t want)
{
    if (want <= u->room)
        return 0;
    uint8_t *b = realloc(u->buf, want);
    if (!b)
        return wh_fail(u->err, WH_E_NOMEM, u->path, -1, NULL);
    u->buf = b;
    u->room = want;
    return 0;
}

/* The next size to grow to from got bytes, under cap. */
static size_t next_room(size_t got, size_t cap)
{
    size_t want = got < FIRST_ROOM / 2 ? FIRST_ROOM : got * 2;
    return want > cap ? cap : want;
}

/* Count n more bytes against the archive's total. */
static int count(unpack *u, size_t n)
{
    u->total += n;
    if (u->total > u->total_cap)
        return wh_fail(u->err, WH_E_LIMIT, u->path, -1, "entries hold more "
                       "than %llu bytes in all",
                       (unsigned long long)u->total_cap);
    return 0;
}

/* One read of entry data into buf[0..n); 0 at its end, <0 after failing. */
static la_ssize_t read_some(unpack *u, struct archive *a, const char *name,
                            void *buf, size_t n)
{
    char m[200];
    la_ssize_t r = archive_read_data(a, buf, n);
    if (r < 0)
        return -fail_entry(u, WH_E_FORMAT, name, "cannot read: %s",
                           ar_msg(a, m, sizeof m));
    return r;
}

/* The buffer is full at got bytes: 1 if the entry ends there, 0 after
 * making room for more (with the byte that said so stored), or minus an
 * error code (past cap: "larger than"). */
static int full(unpack *u, struct archive *a, const char *name, size_t got,
                size_t cap)
{
    uint8_t probe;
    la_ssize_t r = read_some(u, a, name, &probe, 1);
    if (r <= 0)
        return r < 0 ? (int)r : 1;
    if (got == cap)
        return -fail_entry(u, WH_E_LIMIT, name, "larger than %zu bytes",
                           cap);
    int rc = grow(u, next_room(got, cap));
    if (rc == 0)
        rc = count(u, 1);
    if (rc)
        return -rc;
    u->buf[got] = probe;
    return 0;
}

/* Read the current entry whole into u->buf: at most cap bytes, counted as
 * they come (the header's size is only a hint for the first
 * allocation); *len its size. */
static int read_keep(unpack *u, struct archive *a, struct archive_entry *e,
                     const char *name, size_t cap, size_t *len)
{
    size_t got = 0;
    int rc;
    la_int64_t hint = archive_entry_size_is_set(e) ? archive_entry_size(e)
                                                    : 0;
    if (hint > 0 && (uint64_t)hint <= cap && (rc = grow(u, (size_t)hint)))
        return rc;
    for (;;) {
        size_t lim = u->room < cap ? u->room : cap;
        if (got == lim) {
            int f = full(u, a, name, got, cap);
            if (f)
                return f < 0 ? -f : (*len = got, 0);
            got++;
            continue;
        }
        la_ssize_t r = read_some(u, a, name, u->buf + got, lim - got);
        if (r <= 0)
            return r < 0 ? (int)-r : (*len = got, 0);
        got += (size_t)r;
        if ((rc = count(u, (size_t)r)))
            return rc;
    }
}

/* Read the current entry to its end (so a zip's CRC is checked), only
 * counting it. */
static int read_skip(unpack *u, struct archive *a, const char *name)
{
    uint8_t blk[SKIP_BLOCK];
    for (;;) {
        la_ssize_t r = read_some(u, a, name, blk, sizeof blk);
        if (r < 0)
            return (int)-r;
        if (r == 0)
            return 0;
        int rc = count(u, (size_t)r);
        if (rc)
            return rc;
    }
}

/* An entry's declared size over cap is refused before reading. */
static int check_declared(unpack *u, struct archive_entry *e,
                          const char *name, uint64_t cap)
{
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
        (uint64_t)archive_entry_size(e) > cap)
        return fail_entry(u, WH_E_LIMIT, name, "larger than %llu bytes",
                          (unsigned long long)cap);
    return 0;
}

/* The type of an entry: 0 for a regular file, 1 for a directory (when
 * dirs allows them), else an error. */
static int check_type(unpack *u, struct archive_entry *e, const char *name,
                      int dirs, int *dir)
{
    mode_t t = archive_entry_filetype(e);
    *dir = 0;
    if (t == AE_IFLNK || archive_entry_symlink(e))
        return fail_entry(u, WH_E_UNSAFE, name, "symbolic link");
    if (archive_entry_hardlink(e))
        return fail_entry(u, WH_E_UNSAFE, name, "hard link");
    if (t == AE_IFDIR && dirs) {
        *dir = 1;
        return 0;
    }
    if (t != AE_IFREG)
        return fail_entry(u, WH_E_FORMAT, name, "not a regular file");
    return 0;
}

/* Open data as an archive of one format: tar (gunzipped when the magic
 * says so) or zip. */
static int open_archive(unpack *u, const uint8_t *data, size_t len, int zip,
                        struct archive **out)
{
    char m[200];
    struct archive *a = archive_read_new();
    if (!a)
        return wh_fail(u->err, WH_E_NOMEM, u->path, -1, NULL);
    int ok = zip ? archive_read_support_format_zip_seekable(a) == ARCHIVE_OK
                 : archive_read_support_format_tar(a) == ARCHIVE_OK &&
                   (len < 2 || data[0] != 0x1f || data[1] != 0x8b ||
                    archive_read_support_filter_gzip(a) == ARCHIVE_OK);
    if (!ok) {
        archive_read_free(a);
        return wh_fail(u->err, WH_E_INTERNAL, u->path, -1, "libarchive "
                       "lacks built-in %s support", zip ? "zip" : "tar or "
                       "gzip");
    }
    if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
        int rc = wh_fail(u->err, WH_E_FORMAT, u->path, -1, "cannot read "
                         "archive: %s", ar_msg(a, m, sizeof m));
        archive_read_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

/* The next header: 1, 0 at the end, or minus an error code. */
static int next_entry(unpack *u, struct archive *a, struct archive_entry **e)
{
    char m[200];
    int r = archive_read_next_header(a, e);
    if (r == ARCHIVE_EOF)
        return 0;
    if (r != ARCHIVE_OK)
        return -wh_fail(u->err, WH_E_FORMAT, u->path, -1, "cannot read "
                        "archive: %s", ar_msg(a, m, sizeof m));
    if (u->nent == WH_PKG_UNPACK_MAX_FILES)
        return -wh_fail(u->err, WH_E_LIMIT, u->path, -1, "more than %d "
                        "entries", WH_PKG_UNPACK_MAX_FILES);
    return 1;
}

/* An entry's name, or NULL after failing. */
static const char *entry_name(unpack *u, struct archive_entry *e)
{
    const char *s = archive_entry_pathname_utf8(e);
    if (!s)
        s = archive_entry_pathname(e);
    if (!s || !*s)
        wh_fail(u->err, WH_E_FORMAT, u->path, -1, "entry %zu has no name",
                u->nent + 1);
    return s && *s ? s : NULL;
}

/* --- bundle --------------------------------------------------------------- */

/* One zip entry: checked, remembered, and, for a file, read and passed. */
static int bundle_entry(unpack *u, struct archive *a, struct archive_entry *e,
                        int *saw_wasm, const char *wasm_name)
{
    const char *name = entry_name(u, e);
    if (!name)
        return WH_E_FORMAT;
    size_t n = strlen(name), len = 0;
    int dir, rc;
    if ((rc = check_type(u, e, name, 1, &dir)))
        return rc;
    if (dir && n > 1 && name[n - 1] == '/')
        n--;
    if ((rc = check_name(u, name, n)) ||
        (rc = check_collision(u, name, n, dir)))
        return rc;
    if (dir)
        return read_skip(u, a, name);
    if ((rc = check_declared(u, e, name, WH_PKG_MAX_ENTRY)) ||
        (rc = read_keep(u, a, e, name, WH_PKG_MAX_ENTRY, &len)))
        return rc;
    if (wasm_name && strcmp(name, wasm_name) == 0)
        *saw_wasm = 1;
    return u->fn(u->ctx, u->ent[u->nent - 1].name, file_data(u), len,
                 MODE_FILE, u->err);
}

static int unpack_bundle(unpack *u, const uint8_t *data, size_t len,
                         const wh_pkg *pkg)
{
    const char *wasm_name = json_string_value(json_object_get(
        json_object_get(pkg->record, "plugin"), "wasm"));
    struct archive *a = NULL;
    struct archive_entry *e;
    int rc, r, saw_wasm = 0;
    u->total_cap = BUNDLE_MAX_TOTAL;
    if ((rc = open_archive(u, data, len, 1, &a)))
        return rc;
    while ((r = next_entry(u, a, &e)) > 0)
        if ((rc = bundle_entry(u, a, e, &saw_wasm, wasm_name)))
            goto out;
    rc = r < 0 ? -r : 0;
    if (!rc && !saw_wasm) {
        char q[200];
        rc = wh_fail(u->err, WH_E_VERIFY, u->path, -1, "the verified module "
                     "'%s' is not in the archive", wasm_name
                     ? wh_quote(q, sizeof q, wasm_name, strlen(wasm_name))
                     : "");
    }
out:
    archive_read_free(a);
    return rc;
}

/* --- PAR ------------------------------------------------------------------ */

typedef struct par_want {
    const char *target;
    const char *sha256;      /* lower-case hex, from the record */
    json_int_t  size;
    int         world;       /* the record says there is a world.wasm */
    int         got_claims, got_bin, got_world;
} par_want;

/* pkg_par.c's rules for a name, which wasmCloud reads as a target: at
 * the root, A-Za-z0-9._-, not starting with '.', with an extension. */
static int par_name(unpack *u, const char *name, size_t *stem)
{
    size_t n = strlen(name);
    if (strchr(name, '/'))
        return fail_entry(u, WH_E_FORMAT, name, "not at the archive root");
    if (n > PAR_NAME_MAX)
        return fail_entry(u, WH_E_FORMAT, name, "name longer than %d bytes",
                          PAR_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return fail_entry(u, WH_E_FORMAT, name, "name has a character "
                              "other than A-Za-z0-9._-");
    }
    const char *dot = strrchr(name, '.');
    if (name[0] == '.' || !dot || dot[1] == '\0')
        return fail_entry(u, WH_E_FORMAT, name, "name is not "
                          "<arch>-<os>.<extension>");
    *stem = (size_t)(dot - name);
    return 0;
}

/* Where a PAR entry goes: its installed name and mode and its cap, or
 * rel NULL for a binary of another target (read and dropped). */
static void par_role(const char *name, size_t stem, const par_want *w,
                     const char **rel, unsigned *mode, size_t *cap)
{
    *mode = MODE_FILE;
    *cap = WH_PKG_MAX_SIZE;
    *rel = NULL;
    if (strcmp(name, "claims.jwt") == 0) {
        *rel = "claims.jwt";
        *cap = PAR_CLAIMS_MAX;
    } else if (strcmp(name, "world.wasm") == 0) {
        *rel = "world.wasm";
    } else if (stem == strlen(w->target) &&
               memcmp(name, w->target, stem) == 0) {
        *rel = "bin/provider";
        *mode = MODE_EXEC;
    }
}

/* The binary must be the one the record describes. */
static int par_check_bin(unpack *u, const char *name, const par_want *w,
                         size_t len)
{
    uint8_t d[WH_SHA256_BYTES];
    char hex[WH_SHA256_HEX];
    int rc = wh_sha256_buf(u->buf, len, d, u->err);
    if (rc)
        return rc;
    wh_hex_encode(hex, d, sizeof d, 0);
    if ((json_int_t)len != w->size || !w->sha256 ||
        strcmp(hex, w->sha256) != 0)
        return fail_entry(u, WH_E_VERIFY, name, "does not match the "
                          "verified record (%zu bytes, sha256 %s)", len, hex);
    return 0;
}

static int par_entry(unpack *u, struct archive *a, struct archive_entry *e,
                     par_want *w)
{
    const char *name = entry_name(u, e), *rel;
    if (!name)
        return WH_E_FORMAT;
    size_t stem = 0, cap, len = 0;
    unsigned mode;
    int dir, rc;
    if ((rc = check_type(u, e, name, 0, &dir)) ||
        (rc = check_name(u, name, strlen(name))) ||
        (rc = par_name(u, name, &stem)) ||
        (rc = check_collision(u, name, stem, 0)))
        return rc;
    par_role(name, stem, w, &rel, &mode, &cap);
    if ((rc = check_declared(u, e, name, cap)))
        return rc;
    if (!rel)
        return read_skip(u, a, name);
    if ((rc = read_keep(u, a, e, name, cap, &len)))
        return rc;
    if (mode == MODE_EXEC && (rc = par_check_bin(u, name, w, len)))
        return rc;
    if (mode == MODE_EXEC)
        w->got_bin = 1;
    else if (strcmp(rel, "claims.jwt") == 0)
        w->got_claims = 1;
    else
        w->got_world = 1;
    return u->fn(u->ctx, rel, file_data(u), len, mode, u->err);
}

/* What the record promises, for the target. */
static int par_expect(unpack *u, const wh_pkg *pkg, const char *target,
                      par_want *w)
{
    int rc = wh_pkg_target_check(u->path, pkg->record, target, u->err);
    if (rc)
        return rc;
    const json_t *par = json_object_get(pkg->record, "par");
    const json_t *t = json_object_get(json_object_get(par, "targets"), target);
    memset(w, 0, sizeof *w);
    w->target = target;
    w->sha256 = json_string_value(json_object_get(t, "sha256"));
    w->size = json_integer_value(json_object_get(t, "size"));
    w->world = json_is_true(json_object_get(par, "world"));
    if (!json_is_object(par) || !w->sha256)
        return wh_fail(u->err, WH_E_INTERNAL, u->path, -1, "the record has "
                       "no PAR targets");
    return 0;
}

/* After the last entry: everything the record promised was there. */
static int par_complete(unpack *u, const par_want *w)
{
    if (!w->got_claims)
        return wh_fail(u->err, WH_E_FORMAT, u->path, -1, "archive has no "
                       "claims.jwt");
    if (!w->got_bin)
        return wh_fail(u->err, WH_E_VERIFY, u->path, -1, "no binary for "
                       "'%s', which the verified record lists", w->target);
    if (w->got_world != w->world)
        return wh_fail(u->err, WH_E_VERIFY, u->path, -1, "world.wasm %s, "
                       "unlike the verified record", w->got_world
                       ? "is present" : "is missing");
    return 0;
}

static int unpack_par(unpack *u, const uint8_t *data, size_t len,
                      const wh_pkg *pkg, const char *target)
{
    par_want w;
    struct archive *a = NULL;
    struct archive_entry *e;
    int rc, r;
    u->total_cap = PAR_MAX_TOTAL;
    if ((rc = par_expect(u, pkg, target, &w)) ||
        (rc = open_archive(u, data, len, 0, &a)))
        return rc;
    while ((r = next_entry(u, a, &e)) > 0)
        if ((rc = par_entry(u, a, e, &w)))
            goto out;
    rc = r < 0 ? -r : par_complete(u, &w);
out:
    archive_read_free(a);
    return rc;
}

/* --- ferrpkg -------------------------------------------------------------- */

/* A growing text buffer; oom is set once an allocation failed. */
typedef struct sbuf {
    char  *p;
    size_t len, cap;
    int    oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 1024;
        while (c < b->len + n + 1)
            c *= 2;
        char *p = realloc(b->p, c);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = c;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_cstr(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* The TOML escape of byte c, or NULL when it stands for itself. */
static const char *toml_escape(uint8_t c, char buf[8])
{
    switch (c) {
    case '"':  return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\t': return "\\t";
    case '\n': return "\\n";
    case '\f': return "\\f";
    case '\r': return "\\r";
    }
    if (c >= 0x20 && c != 0x7f)
        return NULL;
    snprintf(buf, 8, "\\u%04X", c);
    return buf;
}

/* s (n bytes of UTF-8, from jansson) as a TOML basic string: UTF-8 as it
 * is, the characters TOML forbids escaped. */
static void sb_toml_str(sbuf *b, const char *s, size_t n)
{
    sb_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        char buf[8];
        const char *e = toml_escape((uint8_t)s[i], buf);
        if (e)
            sb_cstr(b, e);
        else
            sb_add(b, s + i, 1);
    }
    sb_add(b, "\"", 1);
}

/* key = "string value" */
static void sb_toml_kv(sbuf *b, const char *key, const json_t *v)
{
    sb_cstr(b, key);
    sb_cstr(b, " = ");
    sb_toml_str(b, json_string_value(v), json_string_length(v));
    sb_cstr(b, "\n");
}

/* key = ["a", "b"] from an array of strings. */
static void sb_toml_list(sbuf *b, const char *key, const json_t *arr)
{
    size_t i;
    const json_t *v;
    sb_cstr(b, key);
    sb_cstr(b, " = [");
    json_array_foreach(arr, i, v) {
        if (i)
            sb_cstr(b, ", ");
        sb_toml_str(b, json_string_value(v), json_string_length(v));
    }
    sb_cstr(b, "]\n");
}

typedef struct ferr {
    const char *hdr;        /* the header's text */
    size_t      hlen;
    json_t     *json;       /* parsed */
    json_t     *labels[2];  /* categories, tags: checked, sorted */
    const uint8_t *wasm;
    size_t      wasm_len;
} ferr;

/* A required string key, checked again. */
static int ferr_need(unpack *u, const ferr *f, const char *key)
{
    if (!json_is_string(json_object_get(f->json, key)))
        return wh_fail(u->err, WH_E_FORMAT, u->path, FERRPKG_PREAMBLE,
                       "header key '%s' is missing or not a string", key);
    return 0;
}

/* The framing, the JSON and the keys the manifest is made of. */
static int ferr_parse(unpack *u, const uint8_t *data, size_t len, ferr *f)
{
    if (len < FERRPKG_PREAMBLE || memcmp(data, "FPKG", 4) != 0)
        return wh_fail(u->err, WH_E_FORMAT, u->path, 0, "not a .ferrpkg");
    uint32_t hl = (uint32_t)data[4] | (uint32_t)data[5] << 8 |
                  (uint32_t)data[6] << 16 | (uint32_t)data[7] << 24;
    if (hl > FERRPKG_MAX_HDR || hl > len - FERRPKG_PREAMBLE)
        return wh_fail(u->err, WH_E_FORMAT, u->path, 4, "bad header length "
                       "%lu", (unsigned long)hl);
    f->hdr = (const char *)data + FERRPKG_PREAMBLE;
    f->hlen = hl;
    f->wasm = data + FERRPKG_PREAMBLE + hl;
    f->wasm_len = len - FERRPKG_PREAMBLE - hl;
    wh_err e;
    if (wh_json_parse(f->hdr, hl, NULL, &f->json, &e) ||
        !json_is_object(f->json))
        return wh_fail(u->err, WH_E_FORMAT, u->path, FERRPKG_PREAMBLE,
                       "header is not a JSON object");
    static const char *const keys[] = { "name", "version", "author",
                                        "description", "license",
                                        "checksum" };
    int rc;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if ((rc = ferr_need(u, f, keys[i])))
            return rc;
    return 0;
}

/* categories and tags as the record has them; dependencies strings. */
static int ferr_lists(unpack *u, ferr *f)
{
    static const char *const lists[] = { "categories", "tags" };
    wh_err e;
    for (int i = 0; i < 2; i++) {
        const json_t *v = json_object_get(f->json, lists[i]);
        if (v && wh_pkg_labels(v, lists[i], &f->labels[i], &e))
            return wh_fail(u->err, e.code, u->path, FERRPKG_PREAMBLE,
                           "header: %s", e.reason);
    }
    const json_t *d = json_object_get(f->json, "dependencies"), *v;
    const char *k;
    size_t kn;
    if (d && !json_is_object(d))
        return wh_fail(u->err, WH_E_FORMAT, u->path, FERRPKG_PREAMBLE,
                       "header key 'dependencies' is not an object");
    if (d && json_object_size(d) > WH_PKG_MAX_DEPS)
        return wh_fail(u->err, WH_E_LIMIT, u->path, FERRPKG_PREAMBLE,
                       "more than %d dependencies", WH_PKG_MAX_DEPS);
    json_object_keylen_foreach((json_t *)d, k, kn, v)
        if (!json_is_string(v) ||
            wh_pkg_dep_check(k, kn, json_string_value(v),
                             json_string_length(v), &e))
            return wh_fail(u->err, WH_E_FORMAT, u->path, FERRPKG_PREAMBLE,
                           "header: bad dependency");
    v = json_object_get(f->json, "min_ferrite_version");
    if (v && !json_is_string(v))
        return wh_fail(u->err, WH_E_FORMAT, u->path, FERRPKG_PREAMBLE,
                       "header key 'min_ferrite_version' is not a string");
    return 0;
}

/* The header and module are those pkg describes: name, version, size
 * and checksum, recomputed over the module. */
static int ferr_bind(unpack *u, const ferr *f, const wh_pkg *pkg)
{
    const char *name = json_string_value(json_object_get(f->json, "name"));
    const char *ver = json_string_value(json_object_get(f->json, "version"));
    const json_t *ws = json_object_get(f->json, "wasm_size");
    const char *sum = json_string_value(json_object_get(f->json, "checksum"));
    const char *rsum = json_string_value(json_object_get(
        json_object_get(pkg->record, "ferrite"), "checksum"));
    long long at = FERRPKG_PREAMBLE + (long long)f->hlen;
    if (strcmp(name, pkg->name) || strcmp(ver, pkg->version) ||
        json_string_length(json_object_get(f->json, "name")) !=
            strlen(pkg->name))
        return wh_fail(u->err, WH_E_VERIFY, u->path, FERRPKG_PREAMBLE,
                       "header does not name the verified package");
    if (!json_is_integer(ws) ||
        (uint64_t)json_integer_value(ws) != (uint64_t)f->wasm_len)
        return wh_fail(u->err, WH_E_FORMAT, u->path, at, "wasm_size does "
                       "not match the %zu bytes present", f->wasm_len);
    char got[WH_SHA256_HEX];
    if (strlen(sum) == 64) {
        uint8_t d[WH_SHA256_BYTES];
        int rc = wh_sha256_buf(f->wasm, f->wasm_len, d, u->err);
        if (rc)
            return rc;
        wh_hex_encode(got, d, sizeof d, 0);
    } else {
        wh_ferrite_checksum(f->wasm, f->wasm_len, got);
    }
    if (!rsum || strcmp(sum, rsum) || strcmp(sum, got))
        return wh_fail(u->err, WH_E_VERIFY, u->path, at, "the module does "
                       "not match the verified checksum");
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* [dependencies] with its keys sorted (quoted: names may hold '.'). */
static void ferr_deps(sbuf *b, const json_t *deps)
{
    const char *keys[WH_PKG_MAX_DEPS], *k;
    const json_t *v;
    size_t n = 0;
    sb_cstr(b, "\n[dependencies]\n");
    json_object_foreach((json_t *)deps, k, v)
        if (n < WH_PKG_MAX_DEPS)
            keys[n++] = k;
    qsort(keys, n, sizeof keys[0], cmp_key);
    for (size_t i = 0; i < n; i++) {
        sb_toml_str(b, keys[i], strlen(keys[i]));
        sb_cstr(b, " = ");
        v = json_object_get(deps, keys[i]);
        sb_toml_str(b, json_string_value(v), json_string_length(v));
        sb_cstr(b, "\n");
    }
}

/* ferrite-plugin.toml, as Ferrite's ModuleManifest reads it. */
static void ferr_manifest(sbuf *b, const ferr *f)
{
    static const char *const keys[] = { "name", "version", "author",
                                        "description", "license" };
    json_t *empty = json_array();
    sb_cstr(b, "[module]\n");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        sb_toml_kv(b, keys[i], json_object_get(f->json, keys[i]));
    sb_toml_list(b, "categories", f->labels[0] ? f->labels[0] : empty);
    sb_toml_list(b, "tags", f->labels[1] ? f->labels[1] : empty);
    const json_t *mfv = json_object_get(f->json, "min_ferrite_version");
    if (mfv)
        sb_toml_kv(b, "min_ferrite_version", mfv);
    ferr_deps(b, json_object_get(f->json, "dependencies"));
    json_decref(empty);
    if (!empty)
        b->oom = 1;
}

static int unpack_ferrpkg(unpack *u, const uint8_t *data, size_t len,
                          const wh_pkg *pkg)
{
    ferr f = { 0 };
    sbuf toml = { 0 };
    int rc;
    if ((rc = ferr_parse(u, data, len, &f)) || (rc = ferr_lists(u, &f)) ||
        (rc = ferr_bind(u, &f, pkg)))
        goto out;
    ferr_manifest(&toml, &f);
    if (toml.oom) {
        rc = wh_fail(u->err, WH_E_NOMEM, u->path, -1, NULL);
        goto out;
    }
    if ((rc = u->fn(u->ctx, "ferrite-plugin.toml", (const uint8_t *)toml.p,
                    toml.len, MODE_FILE, u->err)) ||
        (rc = u->fn(u->ctx, "ferrpkg.json", (const uint8_t *)f.hdr, f.hlen,
                    MODE_FILE, u->err)))
        goto out;
    rc = u->fn(u->ctx, "module.wasm", f.wasm, f.wasm_len, MODE_FILE, u->err);
out:
    free(toml.p);
    json_decref(f.json);
    json_decref(f.labels[0]);
    json_decref(f.labels[1]);
    return rc;
}

/* --- format:PLUGIN --------------------------------------------------------- */

/* A package a wharf-index plugin read is not an archive to open: it is
 * installed whole, as the one file its record names ("file", checked
 * again here as hostile: a plain file name). */
static int unpack_format(unpack *u, const uint8_t *data, size_t len,
                         const wh_pkg *pkg)
{
    json_t *f = json_object_get(pkg->record, "file");
    const char *name = json_string_value(f);
    if (!name)
        return wh_fail(u->err, WH_E_FORMAT, u->path, -1, "the record of a format "
                       "package has no 'file'");
    int rc = wh_index_file_check(name, json_string_length(f), u->err);
    if (rc) {               /* the check names no file: this one */
        snprintf(u->err->path, sizeof u->err->path, "%s", u->path);
        return rc;
    }
    return u->fn(u->ctx, name, data, len, MODE_FILE, u->err);
}

/* --- API implementation --------------------------------------------------- */

int wh_pkg_unpack(const char *path, const uint8_t *data, size_t len,
                  const wh_pkg *pkg, const char *target, wh_pkg_file_fn fn,
                  void *ctx, wh_err *err)
{
    wh_err e;
    wh_err_clear(&e);
    unpack *u = calloc(1, sizeof *u);
    if (!u)
        return wh_fail(err, WH_E_NOMEM, path, -1, NULL);
    u->path = path;
    u->err = &e;
    u->fn = fn;
    u->ctx = ctx;
    int rc;
    switch (pkg->kind) {
    case WH_PKG_FERRPKG:
        rc = unpack_ferrpkg(u, data, len, pkg);
        break;
    case WH_PKG_BUNDLE:
        rc = unpack_bundle(u, data, len, pkg);
        break;
    case WH_PKG_PAR:
        rc = unpack_par(u, data, len, pkg, target ? target
                                                  : wh_pkg_host_target());
        break;
    case WH_PKG_FORMAT:
        rc = unpack_format(u, data, len, pkg);
        break;
    default:
        rc = wh_fail(&e, WH_E_INTERNAL, path, -1, "unknown package kind");
    }
    unpack_free(u);
    free(u);
    if (rc && e.code == 0)    /* fn failed without saying why */
        wh_fail(&e, rc, path, -1, NULL);
    if (rc && err)
        *err = e;
    return rc;
}

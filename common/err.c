/* err.c - filling and formatting wh_err (see err.h for the convention).
 *
 * Formatting quotes the path and the reason with wh_quote, each from its
 * raw bytes and once (err.h, QUOTING): the place between them is made of
 * digits and fixed words, so the whole line is printable ASCII.
 *
 * Tests: tests/unit/err_test.c
 */
#include "err.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct { const char *reason; int exitc; } codes[WH_E__COUNT] = {
    [WH_OK] = { "ok", WH_EXIT_OK },
#define X(name, reason, exitc) [name] = { reason, exitc },
#include "errors.def"
#undef X
};

void wh_err_clear(wh_err *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
    err->offset = -1;
}

static void set_common(wh_err *err, int code, const char *path)
{
    wh_err_clear(err);
    err->code = code;
    if (path)
        snprintf(err->path, sizeof err->path, "%s", path);
}

static void set_reason(wh_err *err, int code, const char *fmt, va_list ap)
{
    if (fmt && *fmt)
        vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    else
        snprintf(err->reason, sizeof err->reason, "%s", wh_err_str(code));
}

int wh_fail(wh_err *err, int code, const char *path, long long offset,
            const char *fmt, ...)
{
    if (!err)
        return code;
    set_common(err, code, path);
    err->offset = offset < 0 ? -1 : offset;
    va_list ap;
    va_start(ap, fmt);
    set_reason(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int wh_fail_at(wh_err *err, int code, const char *path, int line, int col,
               const char *fmt, ...)
{
    if (!err)
        return code;
    set_common(err, code, path);
    err->line = line;
    err->col = col;
    va_list ap;
    va_start(ap, fmt);
    set_reason(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int wh_fail_errno(wh_err *err, int errnum, const char *path, const char *what)
{
    int code = errnum == ENOENT ? WH_E_NOTFOUND
             : errnum == ENOMEM ? WH_E_NOMEM
             : errnum == EEXIST ? WH_E_EXISTS : WH_E_IO;
    return wh_fail(err, code, path, -1, "%s: %s", what, strerror(errnum));
}

int wh_err_prefix(wh_err *err, const char *fmt, ...)
{
    if (!err)
        return 0;
    char head[sizeof err->reason];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    /* Slide the old reason right and put "head: " before it, truncating
     * the tail when the whole does not fit. */
    size_t cap = sizeof err->reason - 1;
    size_t hl = strlen(head), ol = strlen(err->reason);
    if (hl + 2 > cap)
        hl = cap - 2;
    if (hl + 2 + ol > cap)
        ol = cap - hl - 2;
    memmove(err->reason + hl + 2, err->reason, ol);
    memcpy(err->reason, head, hl);
    memcpy(err->reason + hl, ": ", 2);
    err->reason[hl + 2 + ol] = '\0';
    return err->code;
}

/* Bytes wh_quote writes for byte c. */
static size_t quoted_len(unsigned char c)
{
    return c >= 0x20 && c < 0x7f ? 1 : 4;
}

char *wh_quote(char *buf, size_t n, const void *s, size_t len)
{
    assert(n > 4);
    const unsigned char *p = s;
    size_t total = 0;
    for (size_t i = 0; i < len && total < n; i++)
        total += quoted_len(p[i]);
    /* Cut when the whole does not fit, keeping room for "...". */
    size_t room = total < n ? n - 1 : n - 4, o = 0;
    for (size_t i = 0; i < len && o + quoted_len(p[i]) <= room; i++) {
        if (quoted_len(p[i]) == 1)
            buf[o++] = (char)p[i];
        else
            o += (size_t)snprintf(buf + o, 5, "\\x%02x", p[i]);
    }
    strcpy(buf + o, total < n ? "" : "...");
    return buf;
}

char *wh_err_format(const wh_err *err, char *buf, size_t n)
{
    if (!buf || n == 0)
        return buf;
    /* Big enough for the whole of either field: nothing is cut here, only
     * by the final snprintf into buf. */
    char path[4 * sizeof err->path + 1], reason[4 * sizeof err->reason + 1];
    const char *r = err->reason[0] ? err->reason : wh_err_str(err->code);
    wh_quote(path, sizeof path, err->path, strnlen(err->path, sizeof err->path));
    wh_quote(reason, sizeof reason, r, strnlen(r, sizeof err->reason));
    const char *sep = err->path[0] ? ": " : "";
    if (err->line > 0 && err->col > 0)
        snprintf(buf, n, "%s%s%d:%d: %s", path, err->path[0] ? ":" : "line ",
                 err->line, err->col, reason);
    else if (err->line > 0)
        snprintf(buf, n, "%s%s%d: %s", path, err->path[0] ? ":" : "line ",
                 err->line, reason);
    else if (err->offset >= 0)
        snprintf(buf, n, "%s%soffset 0x%llx: %s", path, sep,
                 (unsigned long long)err->offset, reason);
    else
        snprintf(buf, n, "%s%s%s", path, sep, reason);
    return buf;
}

const char *wh_err_str(int code)
{
    if (code < 0 || code >= WH_E__COUNT || !codes[code].reason)
        return "unknown error";
    return codes[code].reason;
}

int wh_err_exit(int code)
{
    if (code < 0 || code >= WH_E__COUNT)
        return WH_EXIT_ERROR;
    return codes[code].exitc;
}

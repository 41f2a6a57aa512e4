/* err.h - how every wharf library reports a failure.
 *
 * A function that can fail returns 0 or a WH_E_* code and takes a
 * `wh_err *err` as its last argument (NULL allowed: the caller only wants
 * the code).  The struct says what went wrong (code + reason), in which
 * input (path) and where (byte offset for binary formats, line:column for
 * text ones).  Libraries never print and never exit; only a main() turns a
 * wh_err into a message with wh_err_format() and an exit status with
 * wh_err_exit().
 *
 *     return wh_fail(err, WH_E_FORMAT, path, off, "wasm_size %llu does not "
 *                    "match the %zu bytes present", ...);
 *
 * prints, in main, as
 *
 *     wharf: a.ferrpkg: offset 0x1a: wasm_size 12 does not match ...
 *
 * QUOTING.  Paths and reasons often carry bytes an attacker chose: the
 * name of a file in a package folder, of an entry inside an archive, a
 * value read from a manifest.  Printed raw, a newline in a file name
 * forges a second message line and "ESC [" starts a terminal control
 * sequence.  So wh_err_format writes the path and the reason through
 * wh_quote, the one quoting rule of wharf's messages: bytes 0x20..0x7e
 * as they are, every other byte (controls, DEL, and every byte >= 0x80,
 * so also UTF-8) as "\xNN".  A formatted line therefore holds printable
 * ASCII only and cannot end early or drive the terminal.
 *
 * The backslash itself is NOT escaped.  That keeps the rule idempotent:
 * quoting text that is already quoted (a reader's wh_quote of an entry
 * name, embedded in a reason) changes nothing, so nothing is escaped
 * twice however many layers a message passes through.  The price is that
 * a name which literally contains the four characters "\x0a" prints like
 * one holding a newline; messages are for people, and --json output
 * carries the exact file names (its "error" text is this same quoted
 * line).  Each field is quoted once, from its raw
 * bytes, when the line is formatted: err->path and err->reason keep the
 * raw bytes (callers compare and store them).
 *
 * Tests: tests/unit/err_test.c, tests/cli/t1104-wharf-index-hostile-names.sh
 */
#ifndef WH_ERR_H
#define WH_ERR_H

#include <stddef.h>

/* Exit statuses shared by every command (docs/exit-codes.md). */
enum {
    WH_EXIT_OK       = 0,
    WH_EXIT_ERROR    = 1,  /* I/O, memory, anything not below */
    WH_EXIT_USAGE    = 2,  /* bad command line */
    WH_EXIT_FORMAT   = 3,  /* an input file is malformed or too large */
    WH_EXIT_VERIFY   = 4,  /* checksum, signature or trust failure */
    WH_EXIT_CONFLICT = 5,  /* dependency resolution failed */
    WH_EXIT_NOTFOUND = 6,  /* a named package, file or key does not exist */
    WH_EXIT_LOCKED   = 7,  /* another wharf holds the lock */
    WH_EXIT_TRAP     = 8,  /* a module trapped or hit a limit */
};

enum {
    WH_OK = 0,
#define X(name, reason, exitc) name,
#include "errors.def"
#undef X
    WH_E__COUNT
};

typedef struct wh_err {
    int       code;        /* WH_E_*, 0 = none */
    char      path[512];   /* input file, "" if none */
    long long offset;      /* byte offset, -1 if unknown */
    int       line, col;   /* 1-based, 0 if unknown */
    char      reason[256]; /* lower case, no full stop */
} wh_err;

/* Reset *err to "no error" (code 0, offset -1). NULL is allowed. */
void wh_err_clear(wh_err *err);

/* Fill *err (if not NULL) and return code.  offset < 0 means unknown.
 * A NULL or empty fmt uses the code's default reason. */
int wh_fail(wh_err *err, int code, const char *path, long long offset,
            const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* As wh_fail for text inputs: line and col are 1-based. */
int wh_fail_at(wh_err *err, int code, const char *path, int line, int col,
               const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* wh_fail with reason "<what>: strerror(errnum)", code WH_E_IO (or
 * WH_E_NOTFOUND for ENOENT, WH_E_NOMEM for ENOMEM). */
int wh_fail_errno(wh_err *err, int errnum, const char *path, const char *what);

/* "path: offset 0x1a: reason", "path:3:7: reason" ("path:3: reason" when
 * col is 0), "path: reason" or "reason"; path and reason quoted with
 * wh_quote (see QUOTING above), so the result is printable ASCII; always
 * NUL-terminated, truncated to n.  WH_ERR_LINE_MAX holds any line whole.
 * Returns buf. */
#define WH_ERR_LINE_MAX (4 * (512 + 256) + 64)
char *wh_err_format(const wh_err *err, char *buf, size_t n);

/* Write len bytes of untrusted s into buf (size n > 4) for a message:
 * bytes 0x20..0x7e as they are, any other byte as \xNN (the backslash
 * stays as it is: see QUOTING).  When the whole does not fit it is cut at
 * a character boundary, never inside a \xNN, and ends with "...".
 * Returns buf.  n >= 4 * len + 1 always holds the whole. */
char *wh_quote(char *buf, size_t n, const void *s, size_t len);

/* Default reason of a code ("malformed input"); "unknown error" if none. */
const char *wh_err_str(int code);

/* Exit status (WH_EXIT_*) for a code; 0 for WH_OK. */
int wh_err_exit(int code);

/* Prefix err->reason with "what: " (keeps the rest), e.g. to add the
 * name of the entry inside an archive. Returns err->code. */
int wh_err_prefix(wh_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif

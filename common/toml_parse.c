/* toml_parse.c - the TOML 1.0 parser: text to a wh_toml value tree.
 *
 * A single-pass recursive-descent parser over the TOML 1.0 ABNF
 * (https://toml.io/en/v1.0.0), in three steps:
 *
 *  1. check_text() validates the whole input once: UTF-8 (no overlong
 *     forms, surrogates or code points past U+10FFFF), and no control
 *     character except tab, LF and CR-LF.  TOML allows no other raw
 *     control character anywhere (strings, comments or between tokens),
 *     so later steps may treat every byte >= 0x80 as part of a valid
 *     character and every CR as the start of CR-LF.
 *  2. document() reads expressions line by line: blank, comment,
 *     key = value, [table] or [[array of tables]], each followed by an
 *     optional comment and a newline.
 *  3. Values: strings are decoded into p->buf and copied; bare values
 *     (numbers, booleans, date/times) are cut into one token and given to
 *     toml_scalar.c; arrays and inline tables recurse into value().
 *
 * Definition rules (the "can this key be written here" part of the spec)
 * use the WH_TOML_F_* flag of each table:
 *
 *     IMPLICIT  made by a prefix of a header ([a.b] makes a)
 *               -> a later [a] may define it once (it becomes EXPLICIT)
 *     EXPLICIT  defined by [a] or [[a]]          -> no second [a]
 *     DOTTED    made by a dotted key (a.b = 1)   -> no [a] header; only
 *               dotted keys of the same section reach it again
 *     INLINE    a = { ... }, closed at '}'       -> nothing may add to it
 *     AOT       array made by [[a]]              -> [[a]] appends, [a.x]
 *               goes into its last table; a static array takes nothing
 *
 * A header walks through any non-inline table (and the last table of an
 * array of tables); a dotted key walks only through DOTTED tables: those
 * it or its siblings created, since a section can never be re-entered.
 *
 * Limits: input size and nesting depth (every table or array level,
 * however made, counts) come from wh_toml_limits; the only recursion,
 * value() through arrays and inline tables, is bounded by the depth.
 *
 * Positions: line counts LF; column counts characters from the line start
 * (computed incrementally, so a huge one-line document stays linear).
 *
 * Tests: tests/unit/toml_test.c, tests/tools/toml_conformance.c
 * (toml-test, files-toml-1.0.0: every valid and invalid case).
 */
#include "toml_internal.h"

#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pos { int line, col; };

struct seg { size_t off, len; struct pos at; };  /* one part of a key */

struct parser {
    const char *s;
    size_t n, i;                 /* input, its length, the cursor */
    int line;
    size_t bol;                  /* offset of the current line's start */
    size_t col_off;              /* column cache: byte col_off ... */
    int col;                     /* ... is in this column */
    const char *path;
    int max_depth;
    wh_err *err;
    wh_toml *doc;
    wh_toml_value *cur;          /* table that takes key = value lines */
    char *buf;                   /* decoded string or key bytes */
    size_t blen, bcap;
    struct seg *segs;            /* the key just read, bytes in buf */
    size_t nseg, segcap;
};

/* --- Positions and errors --- */

static struct pos here(struct parser *p)
{
    if (p->col_off < p->bol || p->col_off > p->i) {
        p->col_off = p->bol;
        p->col = 1;
    }
    for (; p->col_off < p->i; p->col_off++)
        if (((unsigned char)p->s[p->col_off] & 0xc0) != 0x80 &&
            p->col < INT_MAX)
            p->col++;
    return (struct pos){ p->line, p->col };
}

/* The position of byte off of a one-line ASCII token starting at at. */
static struct pos shift(struct pos at, size_t off)
{
    at.col += off < (size_t)(INT_MAX - at.col) ? (int)off : 0;
    return at;
}

static int fail(struct parser *p, struct pos at, int code, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, struct pos at, int code, const char *fmt,
                ...)
{
    char reason[sizeof p->err->reason];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return wh_fail_at(p->err, code, p->path, at.line, at.col, "%s", reason);
}

static int nomem(struct parser *p)
{
    return wh_fail(p->err, WH_E_NOMEM, p->path, -1, NULL);
}

static int too_deep(struct parser *p, const wh_toml_value *v, struct pos at)
{
    if (v->depth <= p->max_depth)
        return 0;
    return fail(p, at, WH_E_LIMIT, "nesting deeper than %d levels",
                p->max_depth);
}

/* "a table", "an integer": for "'x' is an integer, not a table". */
static const char *a_type(const wh_toml_value *v)
{
    switch (v->type) {
    case WH_TOML_ARRAY:    return "an array";
    case WH_TOML_INTEGER:  return "an integer";
    case WH_TOML_STRING:   return "a string";
    case WH_TOML_FLOAT:    return "a float";
    case WH_TOML_BOOL:     return "a bool";
    case WH_TOML_TABLE:    return "a table";
    default:               return "a date/time";
    }
}

/* --- Characters --- */

static int peek(const struct parser *p, size_t k)
{
    return p->i + k < p->n ? (unsigned char)p->s[p->i + k] : -1;
}

static bool is_ws(int c) { return c == ' ' || c == '\t'; }
static bool is_nl(int c) { return c == '\n' || c == '\r'; }

static bool is_bare(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Characters of a number, boolean or date/time token. */
static bool is_token(int c)
{
    return is_bare(c) || c == '+' || c == '.' || c == ':';
}

static void skip_ws(struct parser *p)
{
    while (is_ws(peek(p, 0)))
        p->i++;
}

/* Consume LF or CR-LF (check_text guarantees the LF after a CR). */
static void newline(struct parser *p)
{
    p->i += peek(p, 0) == '\r' ? 2 : 1;
    if (p->line < INT_MAX)
        p->line++;
    p->bol = p->i;
}

static void skip_comment(struct parser *p)
{
    if (peek(p, 0) != '#')
        return;
    while (p->i < p->n && !is_nl(peek(p, 0)))
        p->i++;
}

/* Whitespace, comments and newlines, as allowed inside an array. */
static void skip_blank(struct parser *p)
{
    for (;;) {
        skip_ws(p);
        skip_comment(p);
        if (!is_nl(peek(p, 0)))
            return;
        newline(p);
    }
}

/* After an expression: optional comment, then a newline or the end. */
static int end_of_line(struct parser *p, const char *what)
{
    skip_ws(p);
    skip_comment(p);
    int c = peek(p, 0);
    if (c < 0)
        return 0;
    if (is_nl(c)) {
        newline(p);
        return 0;
    }
    return fail(p, here(p), WH_E_FORMAT, "expected end of line after %s",
                what);
}

/* Length of the UTF-8 sequence led by byte c (input already checked). */
static size_t utf8_len(int c)
{
    return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* --- Step 1: encoding and control characters --- */

/* Length of the valid UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp, min;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, cp = s[0] & 0x1f, min = 0x80;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, cp = s[0] & 0x0f, min = 0x800;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, cp = s[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static int check_text(struct parser *p)
{
    const unsigned char *s = (const unsigned char *)p->s;
    for (p->i = p->bol; p->i < p->n;) {
        unsigned char c = s[p->i];
        if (c == '\n') {
            newline(p);
            continue;
        }
        if (c == '\r' && peek(p, 1) != '\n')
            return fail(p, here(p), WH_E_FORMAT,
                        "carriage return not followed by line feed");
        if (c != '\r' && c != '\t' && (c < 0x20 || c == 0x7f))
            return fail(p, here(p), WH_E_FORMAT,
                        "control character U+%04X is not allowed", c);
        size_t len = utf8_valid(s + p->i, p->n - p->i);
        if (!len)
            return fail(p, here(p), WH_E_FORMAT, "invalid UTF-8 byte 0x%02x",
                        c);
        p->i += len;
    }
    return 0;
}

/* --- Decoded bytes (p->buf) --- */

static int reserve(struct parser *p, size_t more)
{
    if (p->bcap - p->blen > more)
        return 0;
    size_t cap = p->bcap ? p->bcap : 256;
    while (cap - p->blen <= more) {
        if (cap > SIZE_MAX / 2)
            return nomem(p);
        cap *= 2;
    }
    char *b = realloc(p->buf, cap);
    if (!b)
        return nomem(p);
    p->buf = b;
    p->bcap = cap;
    return 0;
}

static int put(struct parser *p, const char *s, size_t n)
{
    if (reserve(p, n))
        return WH_E_NOMEM;
    memcpy(p->buf + p->blen, s, n);
    p->blen += n;
    return 0;
}

static int put_utf8(struct parser *p, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | cp >> 6), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12), n = 3;
    } else {
        b[0] = (char)(0xf0 | cp >> 18), n = 4;
    }
    for (size_t k = 1; k < n; k++)
        b[k] = (char)(0x80 | ((cp >> (6 * (n - 1 - k))) & 0x3f));
    return put(p, b, n);
}

/* --- Strings --- */

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* \uXXXX or \UXXXXXXXX; p->i is at the backslash. */
static int unicode_escape(struct parser *p, struct pos at)
{
    char u = (char)peek(p, 1);
    int ndig = u == 'u' ? 4 : 8;
    uint32_t cp = 0;
    for (int k = 0; k < ndig; k++) {
        int d = hex_digit(peek(p, 2 + (size_t)k));
        if (d < 0)
            return fail(p, at, WH_E_FORMAT,
                        "escape '\\%c' needs %d hex digits", u, ndig);
        cp = cp << 4 | (uint32_t)d;
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return fail(p, at, WH_E_FORMAT,
                    "escape '\\%c%.*s' is not a unicode scalar value", u,
                    ndig, p->s + p->i + 2);
    p->i += 2 + (size_t)ndig;
    return put_utf8(p, cp);
}

/* A backslash in a multi-line basic string followed by blanks up to the
 * end of the line: skip it and all whitespace and newlines after it.
 * Returns false (consuming nothing) if the backslash is not one. */
static bool line_ending_backslash(struct parser *p)
{
    size_t j = p->i + 1;
    while (j < p->n && is_ws((unsigned char)p->s[j]))
        j++;
    if (j >= p->n || !is_nl((unsigned char)p->s[j]))
        return false;
    p->i = j;
    for (;;) {
        int c = peek(p, 0);
        if (is_ws(c))
            p->i++;
        else if (is_nl(c))
            newline(p);
        else
            return true;
    }
}

/* One escape sequence; p->i is at the backslash. */
static int escape(struct parser *p, bool multi, struct pos start)
{
    static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
    struct pos at = here(p);
    int c = peek(p, 1);
    if (c < 0)
        return fail(p, start, WH_E_FORMAT, "unterminated string");
    const char *hit = c ? strchr(from, c) : NULL;
    if (hit) {
        p->i += 2;
        return put(p, &to[hit - from], 1);
    }
    if (c == 'u' || c == 'U')
        return unicode_escape(p, at);
    if (multi && line_ending_backslash(p))
        return 0;
    if (c == '\t')
        return fail(p, at, WH_E_FORMAT, "invalid escape '\\<tab>'");
    if (is_nl(c))
        return fail(p, at, WH_E_FORMAT, "invalid escape '\\' at end of line");
    return fail(p, at, WH_E_FORMAT, "invalid escape '\\%.*s'",
                (int)utf8_len(c), p->s + p->i + 1);
}

/* "..." or '...' (one line); p->i is at the opening quote. */
static int string1(struct parser *p)
{
    struct pos start = here(p);
    char q = p->s[p->i++];
    for (;;) {
        int c = peek(p, 0);
        if (c < 0 || is_nl(c))
            return fail(p, start, WH_E_FORMAT, "unterminated string");
        if (c == q) {
            p->i++;
            return 0;
        }
        int rc = c == '\\' && q == '"' ? escape(p, false, start)
               : put(p, p->s + p->i++, 1);
        if (rc)
            return rc;
    }
}

/* """...""" or '''...'''; p->i is at the opening delimiter.  Up to two
 * quotes may come right before the closing delimiter, so a run of n >= 3
 * quotes closes the string after n - 3 content quotes. */
static int string3(struct parser *p)
{
    struct pos start = here(p);
    char q = p->s[p->i];
    p->i += 3;
    if (is_nl(peek(p, 0)))
        newline(p);  /* a newline right after the delimiter is trimmed */
    for (;;) {
        int c = peek(p, 0), rc;
        if (c < 0)
            return fail(p, start, WH_E_FORMAT,
                        "unterminated multi-line string");
        if (c == q) {
            size_t run = 0;
            while (peek(p, run) == q)
                run++;
            if (run >= 3 && run <= 5) {
                p->i += run;
                return put(p, p->s + p->i - run, run - 3);
            }
            if (run > 5)
                return fail(p, shift(here(p), 5), WH_E_FORMAT,
                            "too many quotes at the end of a multi-line "
                            "string");
            rc = put(p, p->s + p->i, run);
            p->i += run;
        } else if (c == '\\' && q == '"') {
            rc = escape(p, true, start);
        } else if (is_nl(c)) {
            newline(p);  /* CR-LF is kept as LF */
            rc = put(p, "\n", 1);
        } else {
            rc = put(p, p->s + p->i++, 1);
        }
        if (rc)
            return rc;
    }
}

static bool at_string3(const struct parser *p)
{
    int c = peek(p, 0);
    return (c == '"' || c == '\'') && peek(p, 1) == c && peek(p, 2) == c;
}

/* --- Keys --- */

/* A simple or dotted key into p->segs (bytes in p->buf).  Every part but
 * the last names a table one level below base: a part that would be too
 * deep fails here, so a hostile key cannot grow segs without bound. */
static int key(struct parser *p, int base)
{
    p->nseg = 0;
    p->blen = 0;
    for (;;) {
        struct pos at = here(p);
        size_t off = p->blen;
        int c = peek(p, 0), rc = 0;
        if (at_string3(p))
            return fail(p, at, WH_E_FORMAT,
                        "a key cannot be a multi-line string");
        if (c == '"' || c == '\'') {
            rc = string1(p);
        } else if (is_bare(c)) {
            size_t b = p->i;
            while (is_bare(peek(p, 0)))
                p->i++;
            rc = put(p, p->s + b, p->i - b);
        } else {
            return fail(p, at, WH_E_FORMAT, "expected a key");
        }
        if (rc)
            return rc;
        if (p->nseg == p->segcap) {
            size_t cap = p->segcap ? 2 * p->segcap : 8;
            struct seg *s = realloc(p->segs, cap * sizeof *s);
            if (!s)
                return nomem(p);
            p->segs = s;
            p->segcap = cap;
        }
        p->segs[p->nseg++] = (struct seg){ off, p->blen - off, at };
        skip_ws(p);
        if (peek(p, 0) != '.')
            return 0;
        if ((size_t)base + p->nseg > (size_t)p->max_depth)
            return fail(p, at, WH_E_LIMIT, "nesting deeper than %d levels",
                        p->max_depth);
        p->i++;
        skip_ws(p);
    }
}

static const char *seg_key(const struct parser *p, size_t k)
{
    return p->buf ? p->buf + p->segs[k].off : "";  /* "" = 1 may come first */
}

static wh_toml_value *seg_find(const struct parser *p, wh_toml_value *t,
                               size_t k, uint64_t *hash)
{
    *hash = wh_toml_hash(t, seg_key(p, k), p->segs[k].len);
    return wh_toml_find(t, seg_key(p, k), p->segs[k].len, *hash);
}

/* A new table under key segment k of t. */
static int new_table(struct parser *p, wh_toml_value *t, size_t k,
                     uint64_t hash, unsigned flags, struct pos at,
                     wh_toml_value **out)
{
    wh_toml_value *v = wh_toml_node(p->doc, WH_TOML_TABLE);
    if (!v || wh_toml_add(t, seg_key(p, k), p->segs[k].len, hash, v))
        return nomem(p);
    v->flags = (unsigned char)flags;
    v->line = at.line;
    v->col = at.col;
    *out = v;
    return too_deep(p, v, at);
}

/* "'a.b' is an integer, not a table" */
static int not_table(struct parser *p, const wh_toml_value *e, struct pos at)
{
    char name[160];
    wh_toml_name(e, name, sizeof name);
    return fail(p, at, WH_E_FORMAT, "'%s' is %s, not a table", name,
                a_type(e));
}

/* --- Values --- */

static int value(struct parser *p, wh_toml_value *v);

static int string_value(struct parser *p, wh_toml_value *v)
{
    p->blen = 0;
    int rc = at_string3(p) ? string3(p) : string1(p);
    if (rc)
        return rc;
    char *s = malloc(p->blen + 1);
    if (!s)
        return nomem(p);
    if (p->blen)    /* p->buf is NULL until the first non-empty string */
        memcpy(s, p->buf, p->blen);
    s[p->blen] = '\0';
    v->type = WH_TOML_STRING;
    v->u.str.s = s;
    v->u.str.len = p->blen;
    return 0;
}

/* A number, boolean or date/time: one token handed to toml_scalar.c. */
static int bare_value(struct parser *p, wh_toml_value *v, struct pos at)
{
    size_t b = p->i;
    while (is_token(peek(p, 0)))
        p->i++;
    /* A date-time may use one space instead of 'T': "1979-05-27 07:32". */
    if (p->i - b == 10 && p->s[b + 4] == '-' && p->s[b + 7] == '-' &&
        peek(p, 0) == ' ' && peek(p, 1) >= '0' && peek(p, 1) <= '9') {
        p->i++;
        while (is_token(peek(p, 0)))
            p->i++;
    }
    const char *s = p->s + b;
    size_t n = p->i - b, off = 0;
    if ((n == 4 && !memcmp(s, "true", 4)) ||
        (n == 5 && !memcmp(s, "false", 5))) {
        v->type = WH_TOML_BOOL;
        v->u.b = n == 4;
        return 0;
    }
    char msg[WH_TOML_MSG];
    const char *why;
    if (wh_toml_looks_datetime(s, n)) {
        why = wh_toml_scan_datetime(s, n, v, &off, msg);
        if (!why) {
            char *text = malloc(n + 1);
            if (!text)
                return nomem(p);
            memcpy(text, s, n);
            text[n] = '\0';
            v->u.dt.text = text;
            return 0;
        }
    } else {
        if (reserve(p, n + 1))
            return WH_E_NOMEM;
        why = wh_toml_scan_number(s, n, v, &off, msg, p->buf + p->blen);
    }
    return why ? fail(p, shift(at, off), WH_E_FORMAT, "%s", why) : 0;
}

static int array(struct parser *p, wh_toml_value *v, struct pos at)
{
    v->type = WH_TOML_ARRAY;
    int rc = too_deep(p, v, at);
    if (rc)
        return rc;
    p->i++;
    for (;;) {
        skip_blank(p);
        int c = peek(p, 0);
        if (c == ']')
            break;
        if (c < 0)
            return fail(p, at, WH_E_FORMAT, "unterminated array");
        wh_toml_value *e = wh_toml_node(p->doc, WH_TOML_NONE);
        if (!e || wh_toml_add(v, NULL, 0, 0, e))
            return nomem(p);
        if ((rc = value(p, e)))
            return rc;
        skip_blank(p);
        c = peek(p, 0);
        if (c == ',') {
            p->i++;
            continue;
        }
        if (c == ']')
            break;
        if (c < 0)
            return fail(p, at, WH_E_FORMAT, "unterminated array");
        return fail(p, here(p), WH_E_FORMAT, "expected ',' or ']' in array");
    }
    p->i++;
    return 0;
}

static int keyval(struct parser *p, wh_toml_value *t);

/* { k = v, ... } on one line (TOML 1.0: no newline, no trailing comma). */
static int inline_table(struct parser *p, wh_toml_value *v, struct pos at)
{
    v->type = WH_TOML_TABLE;
    v->u.c.seed = p->doc->seed;
    int rc = too_deep(p, v, at);
    if (rc)
        return rc;
    p->i++;
    skip_ws(p);
    if (peek(p, 0) == '}') {
        p->i++;
        v->flags = WH_TOML_F_INLINE;
        return 0;
    }
    for (;;) {
        skip_ws(p);
        if (peek(p, 0) < 0)
            return fail(p, at, WH_E_FORMAT, "unterminated inline table");
        if (is_nl(peek(p, 0)))
            return fail(p, here(p), WH_E_FORMAT, "newline in inline table");
        if ((rc = keyval(p, v)))
            return rc;
        skip_ws(p);
        int c = peek(p, 0);
        if (c == '}')
            break;
        if (c != ',') {
            if (c < 0)
                return fail(p, at, WH_E_FORMAT, "unterminated inline table");
            if (is_nl(c))
                return fail(p, here(p), WH_E_FORMAT,
                            "newline in inline table");
            return fail(p, here(p), WH_E_FORMAT,
                        "expected ',' or '}' in inline table");
        }
        p->i++;
        skip_ws(p);
        if (peek(p, 0) == '}')
            return fail(p, here(p), WH_E_FORMAT,
                        "trailing comma in inline table");
    }
    p->i++;
    v->flags = WH_TOML_F_INLINE;
    return 0;
}

/* Any value at p->i into v (already in its table or array). */
static int value(struct parser *p, wh_toml_value *v)
{
    struct pos at = here(p);
    v->line = at.line;
    v->col = at.col;
    int c = peek(p, 0);
    if (c == '"' || c == '\'')
        return string_value(p, v);
    if (c == '[')
        return array(p, v, at);
    if (c == '{')
        return inline_table(p, v, at);
    if (is_token(c))
        return bare_value(p, v, at);
    return fail(p, at, WH_E_FORMAT, "expected a value");
}

/* --- Key/value pairs and headers --- */

/* The table a dotted key's part k names under t, made if new. */
static int dotted_table(struct parser *p, wh_toml_value *t, size_t k,
                        wh_toml_value **out)
{
    struct pos at = p->segs[k].at;
    uint64_t hash;
    wh_toml_value *e = seg_find(p, t, k, &hash);
    if (!e)
        return new_table(p, t, k, hash, WH_TOML_F_DOTTED, at, out);
    char name[160];
    if (e->type != WH_TOML_TABLE)
        return not_table(p, e, at);
    if (e->flags & WH_TOML_F_INLINE)
        return fail(p, at, WH_E_FORMAT, "cannot extend inline table '%s'",
                    wh_toml_name(e, name, sizeof name));
    if (!(e->flags & WH_TOML_F_DOTTED))
        return fail(p, at, WH_E_FORMAT,
                    "cannot extend table '%s' (defined at line %d) with "
                    "dotted keys", wh_toml_name(e, name, sizeof name),
                    e->line);
    *out = e;
    return 0;
}

/* key = value into table t. */
static int keyval(struct parser *p, wh_toml_value *t)
{
    int rc = key(p, t->depth);
    if (rc)
        return rc;
    skip_ws(p);
    if (peek(p, 0) != '=')
        return fail(p, here(p), WH_E_FORMAT, "expected '=' after key");
    p->i++;
    skip_ws(p);
    size_t last = p->nseg - 1;
    for (size_t k = 0; k < last; k++)
        if ((rc = dotted_table(p, t, k, &t)))
            return rc;
    uint64_t hash;
    if (seg_find(p, t, last, &hash)) {
        char name[160];
        return fail(p, p->segs[last].at, WH_E_FORMAT, "duplicate key '%s'",
                    wh_toml_name_key(t, seg_key(p, last), p->segs[last].len,
                                     name, sizeof name));
    }
    /* Attach first (the key is copied), then let the value reuse buf. */
    wh_toml_value *v = wh_toml_node(p->doc, WH_TOML_NONE);
    if (!v || wh_toml_add(t, seg_key(p, last), p->segs[last].len, hash, v))
        return nomem(p);
    return value(p, v);
}

/* A prefix part k of a header: walk into it, making it if new. */
static int header_table(struct parser *p, wh_toml_value *t, size_t k,
                        wh_toml_value **out)
{
    struct pos at = p->segs[k].at;
    uint64_t hash;
    wh_toml_value *e = seg_find(p, t, k, &hash);
    if (!e)
        return new_table(p, t, k, hash, WH_TOML_F_IMPLICIT, at, out);
    char name[160];
    if (e->type == WH_TOML_ARRAY && (e->flags & WH_TOML_F_AOT)) {
        *out = e->u.c.items[e->u.c.len - 1];
        return 0;
    }
    if (e->type == WH_TOML_ARRAY)
        return fail(p, at, WH_E_FORMAT, "cannot extend static array '%s'",
                    wh_toml_name(e, name, sizeof name));
    if (e->type != WH_TOML_TABLE)
        return not_table(p, e, at);
    if (e->flags & WH_TOML_F_INLINE)
        return fail(p, at, WH_E_FORMAT, "cannot extend inline table '%s'",
                    wh_toml_name(e, name, sizeof name));
    *out = e;
    return 0;
}

/* The last part of [a.b]: define the table. */
static int define_table(struct parser *p, wh_toml_value *t, struct pos hdr)
{
    size_t k = p->nseg - 1;
    struct pos at = p->segs[k].at;
    uint64_t hash;
    wh_toml_value *e = seg_find(p, t, k, &hash);
    if (!e)
        return new_table(p, t, k, hash, WH_TOML_F_EXPLICIT, hdr, &p->cur);
    char name[160];
    wh_toml_name(e, name, sizeof name);
    if (e->type == WH_TOML_TABLE && (e->flags & WH_TOML_F_IMPLICIT)) {
        e->flags = WH_TOML_F_EXPLICIT;
        e->line = hdr.line;
        e->col = hdr.col;
        p->cur = e;
        return 0;
    }
    if (e->type == WH_TOML_ARRAY && (e->flags & WH_TOML_F_AOT))
        return fail(p, at, WH_E_FORMAT, "table '%s' already defined as an "
                    "array of tables at line %d", name, e->line);
    if (e->type != WH_TOML_TABLE)
        return not_table(p, e, at);
    const char *how = e->flags & WH_TOML_F_DOTTED ? " by dotted keys"
                    : e->flags & WH_TOML_F_INLINE ? " as an inline table" : "";
    return fail(p, at, WH_E_FORMAT, "table '%s' already defined%s at line %d",
                name, how, e->line);
}

/* The last part of [[a.b]]: append a table to the array, made if new. */
static int append_table(struct parser *p, wh_toml_value *t, struct pos hdr)
{
    size_t k = p->nseg - 1;
    struct pos at = p->segs[k].at;
    uint64_t hash;
    wh_toml_value *arr = seg_find(p, t, k, &hash);
    char name[160];
    if (!arr) {
        arr = wh_toml_node(p->doc, WH_TOML_ARRAY);
        if (!arr || wh_toml_add(t, seg_key(p, k), p->segs[k].len, hash, arr))
            return nomem(p);
        arr->flags = WH_TOML_F_AOT;
        arr->line = hdr.line;
        arr->col = hdr.col;
        int rc = too_deep(p, arr, hdr);
        if (rc)
            return rc;
    } else if (arr->type == WH_TOML_ARRAY && !(arr->flags & WH_TOML_F_AOT)) {
        return fail(p, at, WH_E_FORMAT, "cannot append to static array '%s'",
                    wh_toml_name(arr, name, sizeof name));
    } else if (arr->type == WH_TOML_TABLE) {
        return fail(p, at, WH_E_FORMAT, "table '%s' already defined at "
                    "line %d", wh_toml_name(arr, name, sizeof name),
                    arr->line);
    } else if (arr->type != WH_TOML_ARRAY) {
        return not_table(p, arr, at);
    }
    wh_toml_value *e = wh_toml_node(p->doc, WH_TOML_TABLE);
    if (!e || wh_toml_add(arr, NULL, 0, 0, e))
        return nomem(p);
    e->flags = WH_TOML_F_EXPLICIT;
    e->line = hdr.line;
    e->col = hdr.col;
    p->cur = e;
    return too_deep(p, e, hdr);
}

/* [a.b.c] or [[a.b.c]]; p->i is at the first '['. */
static int header(struct parser *p)
{
    struct pos hdr = here(p);
    bool aot = peek(p, 1) == '[';
    p->i += aot ? 2 : 1;
    skip_ws(p);
    int rc = key(p, 0);
    if (rc)
        return rc;
    skip_ws(p);
    if (peek(p, 0) != ']' || (aot && peek(p, 1) != ']'))
        return fail(p, here(p), WH_E_FORMAT, aot
                    ? "expected ']]' after array of tables name"
                    : "expected ']' after table name");
    p->i += aot ? 2 : 1;
    wh_toml_value *t = &p->doc->root;
    for (size_t k = 0; k + 1 < p->nseg; k++)
        if ((rc = header_table(p, t, k, &t)))
            return rc;
    return aot ? append_table(p, t, hdr) : define_table(p, t, hdr);
}

/* --- Step 2: the document --- */

static int document(struct parser *p)
{
    p->cur = &p->doc->root;
    for (;;) {
        skip_ws(p);
        int c = peek(p, 0), rc;
        if (c < 0)
            return 0;
        if (is_nl(c)) {
            newline(p);
            continue;
        }
        if (c == '#') {
            skip_comment(p);
            continue;
        }
        if (c == '[')
            rc = header(p);
        else
            rc = keyval(p, p->cur);
        if (!rc)
            rc = end_of_line(p, c == '[' ? "table header" : "value");
        if (rc)
            return rc;
    }
}

/* --- API --- */

int wh_toml_parse_limits(const char *src, size_t len, const char *path,
                         const wh_toml_limits *lim, wh_toml **out,
                         wh_err *err)
{
    static const wh_toml_limits defaults = { WH_TOML_MAX_SIZE,
                                             WH_TOML_MAX_DEPTH };
    assert(out && (src || len == 0));
    if (!lim)
        lim = &defaults;
    assert(lim->max_depth >= 1 && lim->max_depth <= WH_TOML_DEPTH_CEIL);
    *out = NULL;
    if (len > lim->max_size)
        return wh_fail(err, WH_E_LIMIT, path, -1, "document is %zu bytes, "
                       "more than the %zu allowed", len, lim->max_size);
    /* A UTF-8 BOM is skipped; columns on line 1 count from after it. */
    size_t start = len >= 3 && !memcmp(src, "\xef\xbb\xbf", 3) ? 3 : 0;
    struct parser p = {
        .s = src ? src : "", .n = len, .i = start, .line = 1, .bol = start,
        .col_off = start, .col = 1, .path = path,
        .max_depth = lim->max_depth, .err = err,
    };
    int rc = check_text(&p);
    if (rc)
        return rc;
    p.i = p.col_off = p.bol = start;
    p.line = p.col = 1;
    p.doc = wh_toml_doc_new(path);
    if (!p.doc)
        rc = nomem(&p);
    else
        rc = document(&p);
    free(p.buf);
    free(p.segs);
    if (rc) {
        wh_toml_free(p.doc);
        return rc;
    }
    *out = p.doc;
    return 0;
}

int wh_toml_parse(const char *src, size_t len, const char *path,
                  wh_toml **out, wh_err *err)
{
    return wh_toml_parse_limits(src, len, path, NULL, out, err);
}

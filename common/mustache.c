/* mustache.c - Mustache templates: compiled to an op list, rendered over
 * jansson values by a small loop with an explicit stack.
 *
 * THE COMPILED FORM.  A wh_mustache holds one or more units: the main
 * template (unit 0) and each partial it needs, directly or not (units
 * 1..), in the order they were first named.  Every unit's source is copied
 * into one pool, and its ops are appended to one op array, ending with
 * OP_RETURN; text and names are (offset, length) pairs into the pool, so
 * nothing is copied twice and no op points into memory that may move.
 *
 *     OP_TEXT      write pool[a, a+b); c = 1 if it starts a line
 *     OP_INDENT    write the current indentation (a tag starts a line)
 *     OP_VAR       {{x}}: look up the name (parts[a..a+b), b = 0 for
 *                  "."), write it escaped; c = the tag's offset
 *     OP_RAW       {{{x}}} or {{&x}}: the same without escaping
 *     OP_SECTION   {{#x}}: look up; falsey: jump to c (past its OP_END);
 *                  else push a section frame and the value (or the first
 *                  element of an array) on the context stack
 *     OP_INVERTED  {{^x}}: truthy: jump to c (past its body)
 *     OP_END       {{/x}} of a section (a = its OP_SECTION): next element
 *                  and back to the body, or pop the frame
 *     OP_PARTIAL   {{>x}}: push a call frame, add the b bytes before the
 *                  tag (at c) to the indentation, run unit a
 *     OP_RETURN    pop the call frame; in unit 0, the render is done
 *
 * An inverted section needs no closing op: its body pushes nothing.  The
 * renderer is a loop that calls exec[kind] for each op, one function per
 * op, all of one signature.
 *
 * STANDALONE LINES.  A section, inverted, close, comment, partial or
 * set-delimiter tag alone on its line (only spaces and tabs beside it,
 * and no other tag) is "standalone": the compiler drops the whole line,
 * its newline ("\n" or "\r\n") included, so the op list holds no trace of
 * it.  The blanks before a standalone partial become its indentation.
 *
 * INDENTATION.  The spec indents "each line of the partial before
 * rendering": a line of the partial's source, not of its output (a
 * value with a newline is not indented again).  So the compiler marks
 * where a partial's source lines start: OP_TEXT's c says its text starts
 * a line; OP_INDENT stands before a tag that starts one; and inside a
 * text, each newline that is not its last byte starts a line (after the
 * last one, the next line begins with the next op, which carries its own
 * mark).  Standalone lines, being dropped, get none.  The
 * renderer keeps the indentation of the partials being run in one buffer
 * (a partial adds its tag's blanks, its return takes them off), and
 * writes it only when that buffer is not empty: unit 0 never is
 * indented, so the marks cost it nothing.
 *
 * LIMITS.  The compiler counts the bytes of all units (max_size), the
 * open sections of the unit it reads (max_depth) and the units
 * (max_partials).  The renderer counts partial frames (max_partial_depth),
 * output bytes (the caller's max_out) and steps (max_steps: one per op run
 * and one per context level searched), so every render ends in time
 * proportional to max_steps whatever the template and the data.  Its
 * stacks live on the heap and grow only with sections and partials, so
 * their size is bounded by max_depth * (max_partial_depth + 1).
 *
 * POSITIONS.  Ops keep byte offsets only; line:column is computed from
 * the unit's source when an error is reported (once, so the scan from
 * the unit's start does not matter).
 *
 * Tests: tests/unit/mustache_test.c, tests/tools/mustache_conformance.c
 * (the spec's suite); tests/fuzz/mustache/.
 */
#include "common/mustache.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OP_TEXT,
    OP_INDENT,
    OP_VAR,
    OP_RAW,
    OP_SECTION,
    OP_INVERTED,
    OP_END,
    OP_PARTIAL,
    OP_RETURN,
};

struct op { uint32_t kind, a, b, c; };

struct part { uint32_t off, len; };       /* one part of a dotted name */

struct unit {
    char *name;                            /* NUL-terminated */
    uint32_t src, len;                     /* its source in the pool */
    uint32_t start;                        /* its first op */
};

struct wh_mustache {
    wh_mustache_limits lim;
    char *pool;                            /* every unit's source */
    size_t plen, pcap;
    struct op *ops;
    size_t nops, capops;
    struct part *parts;
    size_t nparts, capparts;
    struct unit *units;
    size_t nunits, capunits;
};

#define NONE SIZE_MAX

/* --- Memory and positions --- */

/* p with room for need elements of size bytes (doubling *cap), or NULL
 * with p untouched.  A NULL p is allocated even for need 0, so NULL
 * always means out of memory. */
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap && p)
        return p;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    if (n > SIZE_MAX / size)
        return NULL;
    void *q = realloc(p, n * size);
    if (q)
        *cap = n;
    return q;
}

/* 1-based line and column (in UTF-8 characters) of byte off of s. */
static void position(const char *s, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n')
            ++*line, *col = 1;
        else if (((unsigned char)s[i] & 0xc0) != 0x80)
            ++*col;
    }
}

/* At most this many bytes of a name go into a message. */
#define SHOWN 64
#define SHOW(len) (int)((len) < SHOWN ? (len) : SHOWN)

/* --- Compiling: the parser of one unit --- */

struct sec {                  /* an open section */
    size_t op;                /* its OP_SECTION or OP_INVERTED */
    size_t tag, name, nlen;   /* offsets in the unit's source */
};

struct parser {
    wh_mustache *t;
    const char *path;         /* the unit's name, for errors */
    const char *s;            /* its source (in t->pool) */
    size_t n, i;              /* its length; the cursor */
    uint32_t base;            /* offset of s in t->pool */
    bool partial;             /* mark line starts (see INDENTATION) */
    char open[WH_MUSTACHE_MAX_DELIM], close[WH_MUSTACHE_MAX_DELIM];
    size_t olen, clen;
    struct sec *secs;
    size_t nsecs, capsecs;
    wh_err *err;
};

struct tag {
    size_t at, end;           /* the opening delimiter; past the closing */
    char sigil;               /* # ^ / ! > = & {, or 0 for {{name}} */
    size_t name, nlen;        /* the content, blanks trimmed */
};

static int fail_at(struct parser *p, int code, size_t off, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

/* Fill err for byte off of text (named path), at its line:col. */
static int vfail_text(wh_err *err, int code, const char *path,
                      const char *text, size_t off, const char *fmt,
                      va_list ap)
{
    char reason[256];
    vsnprintf(reason, sizeof reason, fmt, ap);
    int line, col;
    position(text, off, &line, &col);
    return wh_fail_at(err, code, path, line, col, "%s", reason);
}

static int fail_at(struct parser *p, int code, size_t off, const char *fmt,
                   ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail_text(p->err, code, p->path, p->s, off, fmt, ap);
    va_end(ap);
    return rc;
}

static int add_op(struct parser *p, uint32_t kind, size_t a, size_t b,
                  size_t c)
{
    wh_mustache *t = p->t;
    struct op *o = grow(t->ops, &t->capops, t->nops + 1, sizeof *o);
    if (!o)
        return wh_fail(p->err, WH_E_NOMEM, p->path, -1, NULL);
    t->ops = o;
    t->ops[t->nops++] = (struct op){ kind, (uint32_t)a, (uint32_t)b,
                                     (uint32_t)c };
    return 0;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool space(char c)
{
    return blank(c) || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool line_start(const struct parser *p, size_t at)
{
    return at == 0 || p->s[at - 1] == '\n';
}

/* The first pat[0..plen) at or after from, or NONE.  Delimiters are at
 * most WH_MUSTACHE_MAX_DELIM + 1 bytes, so this is linear enough. */
static size_t find(const struct parser *p, size_t from, const char *pat,
                   size_t plen)
{
    while (from < p->n && p->n - from >= plen) {
        const char *c = memchr(p->s + from, pat[0], p->n - from - plen + 1);
        if (!c)
            break;
        if (!memcmp(c, pat, plen))
            return (size_t)(c - p->s);
        from = (size_t)(c - p->s) + 1;
    }
    return NONE;
}

/* Text [a, b) of the unit.  In a partial, the marks of INDENTATION: c
 * says the text starts a line, and an OP_INDENT goes before a tag that
 * is kept (tag_next) if it starts one. */
static int text(struct parser *p, size_t a, size_t b, bool tag_next)
{
    int rc = 0;
    if (a < b)
        rc = add_op(p, OP_TEXT, p->base + a, b - a,
                    p->partial && line_start(p, a));
    if (!rc && p->partial && tag_next && b < p->n && line_start(p, b))
        rc = add_op(p, OP_INDENT, 0, 0, 0);
    return rc;
}

/* Read the tag whose opening delimiter is at `at`. */
static int scan_tag(struct parser *p, size_t at, struct tag *tg)
{
    char pat[WH_MUSTACHE_MAX_DELIM + 1];
    size_t k = at + p->olen, plen = 0;
    tg->at = at;
    tg->sigil = k < p->n && p->s[k] && strchr("#^/!>=&{", p->s[k])
              ? p->s[k] : 0;
    if (tg->sigil)
        k++;
    if (tg->sigil == '{' || tg->sigil == '=')
        pat[plen++] = tg->sigil == '{' ? '}' : '=';
    memcpy(pat + plen, p->close, p->clen);
    plen += p->clen;
    size_t end = find(p, k, pat, plen);
    if (end == NONE)
        return fail_at(p, WH_E_FORMAT, at, "unclosed tag");
    tg->end = end + plen;
    while (k < end && space(p->s[k]))
        k++;
    while (end > k && space(p->s[end - 1]))
        end--;
    tg->name = k;
    tg->nlen = end - k;
    return 0;
}

/* Is tg alone on its line?  Then *from is where the line starts and
 * *next where the following one does (or the end). */
static bool standalone(const struct parser *p, const struct tag *tg,
                       size_t *from, size_t *next)
{
    if (!tg->sigil || !strchr("#^/!>=", tg->sigil))
        return false;
    size_t a = tg->at, b = tg->end;
    while (a > p->i && blank(p->s[a - 1]))
        a--;
    if (!line_start(p, a))
        return false;           /* text, or the end of another tag */
    while (b < p->n && blank(p->s[b]))
        b++;
    if (b < p->n && p->s[b] == '\r' && b + 1 < p->n && p->s[b + 1] == '\n')
        b++;
    if (b < p->n && p->s[b] != '\n')
        return false;
    *from = a;
    *next = b < p->n ? b + 1 : b;
    return true;
}

/* The name must be a non-empty run of non-white-space, non-NUL bytes. */
static int check_name(struct parser *p, const struct tag *tg)
{
    if (!tg->nlen)
        return fail_at(p, WH_E_FORMAT, tg->at, "missing name in tag");
    for (size_t i = 0; i < tg->nlen; i++) {
        char c = p->s[tg->name + i];
        if (space(c) || !c)
            return fail_at(p, WH_E_FORMAT, tg->at, "%s in name '%.*s'",
                           c ? "white space" : "NUL byte", SHOW(tg->nlen),
                           p->s + tg->name);
    }
    return 0;
}

static int add_part(struct parser *p, size_t off, size_t len)
{
    wh_mustache *t = p->t;
    struct part *q = grow(t->parts, &t->capparts, t->nparts + 1, sizeof *q);
    if (!q)
        return wh_fail(p->err, WH_E_NOMEM, p->path, -1, NULL);
    t->parts = q;
    t->parts[t->nparts++] = (struct part){ p->base + (uint32_t)off,
                                           (uint32_t)len };
    return 0;
}

/* Split tg's name at its dots into parts; *first and *count say where
 * they are ("." alone has no parts: the top of the context stack). */
static int add_name(struct parser *p, const struct tag *tg, size_t *first,
                    size_t *count)
{
    int rc = check_name(p, tg);
    const char *s = p->s + tg->name;
    *first = p->t->nparts;
    *count = 0;
    if (rc || (tg->nlen == 1 && s[0] == '.'))
        return rc;
    for (size_t a = 0; a <= tg->nlen && !rc; ++*count) {
        const char *dot = memchr(s + a, '.', tg->nlen - a);
        size_t b = dot ? (size_t)(dot - s) : tg->nlen;
        if (b == a)
            return fail_at(p, WH_E_FORMAT, tg->at, "empty part in name "
                           "'%.*s'", SHOW(tg->nlen), s);
        rc = add_part(p, tg->name + a, b - a);
        a = b + 1;
    }
    return rc;
}

static int variable(struct parser *p, const struct tag *tg)
{
    size_t first, count;
    int rc = add_name(p, tg, &first, &count);
    return rc ? rc : add_op(p, tg->sigil ? OP_RAW : OP_VAR, first, count,
                            p->base + tg->at);
}

static int open_section(struct parser *p, const struct tag *tg)
{
    size_t first, count;
    int rc = add_name(p, tg, &first, &count);
    if (rc)
        return rc;
    if (p->nsecs >= (size_t)p->t->lim.max_depth)
        return fail_at(p, WH_E_LIMIT, tg->at, "sections nested deeper "
                       "than %d", p->t->lim.max_depth);
    struct sec *s = grow(p->secs, &p->capsecs, p->nsecs + 1, sizeof *s);
    if (!s)
        return wh_fail(p->err, WH_E_NOMEM, p->path, -1, NULL);
    p->secs = s;
    p->secs[p->nsecs++] = (struct sec){ p->t->nops, tg->at, tg->name,
                                        tg->nlen };
    return add_op(p, tg->sigil == '#' ? OP_SECTION : OP_INVERTED, first,
                  count, 0);
}

static int close_section(struct parser *p, const struct tag *tg)
{
    int rc = check_name(p, tg);
    if (rc)
        return rc;
    const char *name = p->s + tg->name;
    if (!p->nsecs)
        return fail_at(p, WH_E_FORMAT, tg->at, "'/%.*s' closes no section",
                       SHOW(tg->nlen), name);
    struct sec *s = &p->secs[p->nsecs - 1];
    if (s->nlen != tg->nlen || memcmp(p->s + s->name, name, tg->nlen)) {
        int line, col;
        position(p->s, s->tag, &line, &col);
        return fail_at(p, WH_E_FORMAT, tg->at, "'/%.*s' does not close "
                       "section '%.*s' opened at %d:%d", SHOW(tg->nlen),
                       name, SHOW(s->nlen), p->s + s->name, line, col);
    }
    if (p->t->ops[s->op].kind == OP_SECTION &&
        (rc = add_op(p, OP_END, s->op, 0, 0)))
        return rc;
    p->t->ops[s->op].c = (uint32_t)p->t->nops;  /* past the end */
    p->nsecs--;
    return 0;
}

/* The unit called name, added (without source yet) if new.  A linear
 * search: units are few (max_partials, 256 by default), so even a
 * template made only of partial tags compiles in a fraction of a second. */
static int find_unit(struct parser *p, const struct tag *tg, size_t *u)
{
    wh_mustache *t = p->t;
    const char *name = p->s + tg->name;
    for (*u = 1; *u < t->nunits; ++*u)
        if (!strncmp(t->units[*u].name, name, tg->nlen) &&
            !t->units[*u].name[tg->nlen])
            return 0;
    if (t->nunits > (size_t)t->lim.max_partials)
        return fail_at(p, WH_E_LIMIT, tg->at, "more than %d partials",
                       t->lim.max_partials);
    struct unit *un = grow(t->units, &t->capunits, t->nunits + 1,
                           sizeof *un);
    if (!un)
        return wh_fail(p->err, WH_E_NOMEM, p->path, -1, NULL);
    t->units = un;
    un = &t->units[t->nunits];
    *un = (struct unit){ 0 };
    if (!(un->name = strndup(name, tg->nlen)))
        return wh_fail(p->err, WH_E_NOMEM, p->path, -1, NULL);
    t->nunits++;
    return 0;
}

static int partial(struct parser *p, const struct tag *tg, size_t indent)
{
    size_t u;
    int rc = check_name(p, tg);
    rc = rc ? rc : find_unit(p, tg, &u);
    return rc ? rc : add_op(p, OP_PARTIAL, u, indent, p->base + tg->at);
}

/* {{=<% %>=}}: two delimiters, separated by white space. */
static int set_delimiters(struct parser *p, const struct tag *tg)
{
    const char *s = p->s + tg->name;
    size_t a = 0;
    while (a < tg->nlen && !space(s[a]))
        a++;
    size_t b = a;
    while (b < tg->nlen && space(s[b]))
        b++;
    size_t c = b;
    while (c < tg->nlen && !space(s[c]))
        c++;
    if (!a || b == tg->nlen || c != tg->nlen)
        return fail_at(p, WH_E_FORMAT, tg->at, "set delimiter tag needs "
                       "two delimiters");
    if (a > WH_MUSTACHE_MAX_DELIM || c - b > WH_MUSTACHE_MAX_DELIM)
        return fail_at(p, WH_E_FORMAT, tg->at, "delimiter longer than %d "
                       "bytes", WH_MUSTACHE_MAX_DELIM);
    memcpy(p->open, s, a);
    p->olen = a;
    memcpy(p->close, s + b, c - b);
    p->clen = c - b;
    return 0;
}

/* The op(s) of a tag; indent = the blanks before a standalone one. */
static int tag_op(struct parser *p, const struct tag *tg, size_t indent)
{
    switch (tg->sigil) {
    case '!':
        return 0;
    case '=':
        return set_delimiters(p, tg);
    case '#':
    case '^':
        return open_section(p, tg);
    case '/':
        return close_section(p, tg);
    case '>':
        return partial(p, tg, indent);
    default:
        return variable(p, tg);
    }
}

static int parse(struct parser *p)
{
    int rc = 0;
    while (!rc) {
        size_t at = find(p, p->i, p->open, p->olen), from, next;
        if (at == NONE)
            break;
        struct tag tg = { 0 };
        if ((rc = scan_tag(p, at, &tg)))
            break;
        bool alone = standalone(p, &tg, &from, &next);
        rc = alone ? text(p, p->i, from, false) : text(p, p->i, at, true);
        p->i = alone ? next : tg.end;
        rc = rc ? rc : tag_op(p, &tg, alone ? at - from : 0);
    }
    rc = rc ? rc : text(p, p->i, p->n, false);
    if (!rc && p->nsecs)
        rc = fail_at(p, WH_E_FORMAT, p->secs[p->nsecs - 1].tag,
                     "unclosed section '%.*s'",
                     SHOW(p->secs[p->nsecs - 1].nlen),
                     p->s + p->secs[p->nsecs - 1].name);
    return rc ? rc : add_op(p, OP_RETURN, 0, 0, 0);
}

/* Copy unit u's source into the pool and compile it. */
static int compile_unit(wh_mustache *t, size_t u, const char *src,
                        size_t len, wh_err *err)
{
    struct unit *un = &t->units[u];
    if (len > t->lim.max_size - t->plen)
        return wh_fail(err, WH_E_LIMIT, un->name, -1, "templates exceed %zu "
                       "bytes", t->lim.max_size);
    char *pool = grow(t->pool, &t->pcap, t->plen + len + 1, 1);
    if (!pool)
        return wh_fail(err, WH_E_NOMEM, un->name, -1, NULL);
    t->pool = pool;
    if (len)
        memcpy(pool + t->plen, src, len);
    un->src = (uint32_t)t->plen;
    un->len = (uint32_t)len;
    un->start = (uint32_t)t->nops;
    t->plen += len;
    struct parser p = {
        .t = t, .path = un->name, .s = pool + un->src, .n = len,
        .base = un->src, .partial = u > 0, .open = "{{", .close = "}}",
        .olen = 2, .clen = 2, .err = err,
    };
    int rc = parse(&p);
    free(p.secs);
    return rc;
}

static int check_limits(const wh_mustache_limits *l, wh_err *err)
{
    if (l->max_size < 1 || l->max_size > WH_MUSTACHE_SIZE_CEIL ||
        l->max_depth < 1 || l->max_depth > WH_MUSTACHE_COUNT_CEIL ||
        l->max_partials < 0 || l->max_partials > WH_MUSTACHE_COUNT_CEIL ||
        l->max_partial_depth < 0 ||
        l->max_partial_depth > WH_MUSTACHE_COUNT_CEIL || l->max_steps < 1)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "invalid mustache limits");
    return 0;
}

/* Compile the partials named so far, and those they name, in order. */
static int compile_partials(wh_mustache *t, wh_mustache_partial_fn fn,
                            void *ctx, wh_err *err)
{
    int rc = 0;
    for (size_t u = 1; u < t->nunits && !rc; u++) {
        const char *src = NULL;
        size_t len = 0;
        if (fn && (rc = fn(ctx, t->units[u].name, &src, &len, err))) {
            if (err && err->code != rc)     /* the callback said nothing */
                wh_fail(err, rc, t->units[u].name, -1, NULL);
            break;
        }
        rc = compile_unit(t, u, src ? src : "", src ? len : 0, err);
    }
    return rc;
}

/* --- API: compiling --- */

int wh_mustache_compile_limits(wh_mustache **out, const char *name,
                               const char *text, size_t len,
                               wh_mustache_partial_fn partials, void *ctx,
                               const wh_mustache_limits *lim, wh_err *err)
{
    static const wh_mustache_limits dflt = {
        WH_MUSTACHE_MAX_SIZE, WH_MUSTACHE_MAX_DEPTH, WH_MUSTACHE_MAX_PARTIALS,
        WH_MUSTACHE_MAX_PARTIAL_DEPTH, WH_MUSTACHE_MAX_STEPS,
    };
    *out = NULL;
    int rc = check_limits(lim ? lim : &dflt, err);
    if (rc)
        return rc;
    wh_mustache *t = calloc(1, sizeof *t);
    if (!t || !(t->units = calloc(1, sizeof *t->units)) ||
        !(t->units[0].name = strdup(name ? name : ""))) {
        wh_mustache_free(t);
        return wh_fail(err, WH_E_NOMEM, name, -1, NULL);
    }
    t->lim = lim ? *lim : dflt;
    t->nunits = t->capunits = 1;
    rc = compile_unit(t, 0, text, len, err);
    rc = rc ? rc : compile_partials(t, partials, ctx, err);
    if (rc) {
        wh_mustache_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int wh_mustache_compile(wh_mustache **out, const char *name, const char *text,
                        size_t len, wh_mustache_partial_fn partials,
                        void *ctx, wh_err *err)
{
    return wh_mustache_compile_limits(out, name, text, len, partials, ctx,
                                      NULL, err);
}

const char *wh_mustache_name(const wh_mustache *t)
{
    return t->units[0].name;
}

void wh_mustache_free(wh_mustache *t)
{
    if (!t)
        return;
    for (size_t u = 0; t->units && u < t->nunits; u++)
        free(t->units[u].name);
    free(t->units);
    free(t->parts);
    free(t->ops);
    free(t->pool);
    free(t);
}

/* --- Rendering: output, lookup and values --- */

struct frame {                /* a section being rendered, or a call */
    size_t pc;                /* its OP_SECTION; or where to return */
    const json_t *list;       /* the array a section walks, or NULL */
    size_t i;                 /* the element on top of the context */
    size_t indent;            /* a call: the indentation to go back to */
};

struct render {
    const wh_mustache *t;
    char *buf;                /* the output */
    size_t len, cap, max;
    const json_t **ctx;       /* the context stack */
    size_t nctx, capctx;
    struct frame *fr;         /* sections and calls, innermost last */
    size_t nfr, capfr;
    char *ind;                /* the indentation */
    size_t nind, capind;
    int calls;
    unsigned long long steps;
    wh_err *err;
};

/* Fail at the tag at pool offset off of the unit that holds op pc. */
static int fail_op(struct render *r, size_t pc, size_t off, int code,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail_op(struct render *r, size_t pc, size_t off, int code,
                   const char *fmt, ...)
{
    const wh_mustache *t = r->t;
    size_t u = t->nunits - 1;
    while (u > 0 && t->units[u].start > pc)
        u--;
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail_text(r->err, code, t->units[u].name,
                        t->pool + t->units[u].src, off - t->units[u].src, fmt, ap);
    va_end(ap);
    return rc;
}

static int nomem(struct render *r)
{
    return wh_fail(r->err, WH_E_NOMEM, r->t->units[0].name, -1, NULL);
}

static int put(struct render *r, const char *s, size_t n)
{
    if (n > r->max - r->len)
        return wh_fail(r->err, WH_E_LIMIT, r->t->units[0].name, -1,
                       "output exceeds %zu bytes", r->max);
    if (r->len + n >= r->cap) {      /* keep a byte for the final NUL */
        size_t cap = r->cap ? r->cap * 2 : 256;
        cap = cap < r->max + 1 ? cap : r->max + 1;
        cap = cap > r->len + n ? cap : r->len + n + 1;
        char *b = realloc(r->buf, cap);
        if (!b)
            return nomem(r);
        r->buf = b;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, s, n);
    r->len += n;
    return 0;
}

/* The entity for each byte {{x}} escapes, or NULL. */
static const char *const entity[256] = {
    ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
    ['\''] = "&#39;",
};

static int put_escaped(struct render *r, const char *s, size_t n)
{
    int rc = 0;
    for (size_t i = 0, j; i < n && !rc; i = j + 1) {
        for (j = i; j < n && !entity[(unsigned char)s[j]]; j++)
            ;
        rc = put(r, s + i, j - i);
        if (!rc && j < n)
            rc = put(r, entity[(unsigned char)s[j]],
                     strlen(entity[(unsigned char)s[j]]));
    }
    return rc;
}

/* Text of a partial's source, with the indentation at each line start. */
static int put_indented(struct render *r, const char *s, size_t n, bool bol)
{
    int rc = bol ? put(r, r->ind, r->nind) : 0;
    while (n && !rc) {
        const char *nl = memchr(s, '\n', n);
        size_t k = nl ? (size_t)(nl - s) + 1 : n;
        rc = put(r, s, k);
        s += k;
        n -= k;
        if (!rc && n)
            rc = put(r, r->ind, r->nind);
    }
    return rc;
}

/* The value the name of op o stands for, or NULL (see mustache.h, DATA). */
static const json_t *lookup(struct render *r, const struct op *o)
{
    const wh_mustache *t = r->t;
    if (!o->b)
        return r->ctx[r->nctx - 1];
    const struct part *pt = &t->parts[o->a];
    const json_t *v = NULL;
    for (size_t k = r->nctx; k-- > 0 && !v;) {
        r->steps++;
        if (json_is_object(r->ctx[k]))
            v = json_object_getn(r->ctx[k], t->pool + pt->off, pt->len);
    }
    for (uint32_t i = 1; i < o->b && v; i++) {
        pt++;
        v = json_is_object(v) ? json_object_getn(v, t->pool + pt->off,
                                                  pt->len) : NULL;
    }
    return v;
}

static bool truthy(const json_t *v)
{
    return v && !json_is_null(v) && !json_is_false(v) &&
           !(json_is_array(v) && json_array_size(v) == 0);
}

/* d as JavaScript's Number#toString writes it: the fewest significant
 * digits that read back as d, in plain notation when 1e-7 < |d| < 1e21,
 * else as 1.5e-7 or 1e+21; zero (and -0) as "0". */
static int put_real(struct render *r, double d)
{
    char m[40], buf[400];
    int digits = 1;
    for (; digits < 17; digits++) {       /* 17 always reads back */
        snprintf(m, sizeof m, "%.*e", digits - 1, d);
        if (strtod(m, NULL) == d)
            break;
    }
    snprintf(m, sizeof m, "%.*e", digits - 1, d);
    char *e = strchr(m, 'e');
    int exp = atoi(e + 1);
    if (d == 0)
        snprintf(buf, sizeof buf, "0");
    else if (exp > -7 && exp < 21)
        snprintf(buf, sizeof buf, "%.*f",
                 digits - 1 - exp > 0 ? digits - 1 - exp : 0, d);
    else
        snprintf(buf, sizeof buf, "%.*se%c%d", (int)(e - m), m,
                 exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    return put(r, buf, strlen(buf));
}

/* "cannot interpolate 'a.b': it is an array" at op pc. */
static int not_a_value(struct render *r, size_t pc, const json_t *v)
{
    const wh_mustache *t = r->t;
    const struct op *o = &t->ops[pc];
    const char *name = ".";
    size_t n = 1;
    if (o->b) {                 /* the parts are one run of the source */
        const struct part *first = &t->parts[o->a], *last = first + o->b - 1;
        name = t->pool + first->off;
        n = last->off + last->len - first->off;
    }
    return fail_op(r, pc, o->c, WH_E_FORMAT, "cannot interpolate '%.*s': "
                   "it is %s", SHOW(n), name,
                   json_is_array(v) ? "an array" : "an object");
}

static int interpolate(struct render *r, size_t pc)
{
    const struct op *o = &r->t->ops[pc];
    const json_t *v = lookup(r, o);
    char buf[32];
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        return o->kind == OP_VAR
            ? put_escaped(r, json_string_value(v), json_string_length(v))
            : put(r, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        return put(r, buf, strlen(buf));
    case JSON_REAL:
        return put_real(r, json_real_value(v));
    case JSON_TRUE:
        return put(r, "true", 4);
    case JSON_FALSE:
        return put(r, "false", 5);
    case JSON_NULL:
        return 0;
    default:
        return not_a_value(r, pc, v);
    }
}

static int push_context(struct render *r, const json_t *v)
{
    const json_t **c = grow(r->ctx, &r->capctx, r->nctx + 1, sizeof *c);
    if (!c)
        return nomem(r);
    r->ctx = c;
    r->ctx[r->nctx++] = v;
    return 0;
}

static int push_frame(struct render *r, struct frame f)
{
    struct frame *fr = grow(r->fr, &r->capfr, r->nfr + 1, sizeof *fr);
    if (!fr)
        return nomem(r);
    r->fr = fr;
    r->fr[r->nfr++] = f;
    return 0;
}

/* --- Rendering: one function per op, all of one signature --- */

/* What an op returns to end the render (unit 0's OP_RETURN); any other
 * non-zero value is an error code. */
#define DONE (-1)

static int exec_text(struct render *r, size_t *pc)
{
    const struct op *o = &r->t->ops[(*pc)++];
    const char *s = r->t->pool + o->a;
    return r->nind ? put_indented(r, s, o->b, o->c) : put(r, s, o->b);
}

static int exec_indent(struct render *r, size_t *pc)
{
    ++*pc;
    return put(r, r->ind, r->nind);
}

static int exec_var(struct render *r, size_t *pc)
{
    return interpolate(r, (*pc)++);
}

/* OP_SECTION: enter the body (with the value, or an array's first
 * element, on top of the context stack) or skip it. */
static int exec_section(struct render *r, size_t *pc)
{
    const struct op *o = &r->t->ops[*pc];
    const json_t *v = lookup(r, o);
    if (!truthy(v)) {
        *pc = o->c;
        return 0;
    }
    bool list = json_is_array(v);
    int rc = push_frame(r, (struct frame){ *pc, list ? v : NULL, 0, 0 });
    ++*pc;
    return rc ? rc : push_context(r, list ? json_array_get(v, 0) : v);
}

static int exec_inverted(struct render *r, size_t *pc)
{
    const struct op *o = &r->t->ops[*pc];
    *pc = truthy(lookup(r, o)) ? o->c : *pc + 1;
    return 0;
}

/* OP_END: the next element of the array, or out of the section. */
static int exec_end(struct render *r, size_t *pc)
{
    struct frame *f = &r->fr[r->nfr - 1];
    if (f->list && ++f->i < json_array_size(f->list)) {
        r->ctx[r->nctx - 1] = json_array_get(f->list, f->i);
        *pc = f->pc + 1;
        return 0;
    }
    r->nfr--;
    r->nctx--;
    ++*pc;
    return 0;
}

/* OP_PARTIAL: run the unit, indented by the blanks before the tag. */
static int exec_partial(struct render *r, size_t *pc)
{
    const struct op *o = &r->t->ops[*pc];
    if (r->calls >= r->t->lim.max_partial_depth)
        return fail_op(r, *pc, o->c, WH_E_LIMIT, "partials nested deeper "
                       "than %d", r->t->lim.max_partial_depth);
    char *ind = grow(r->ind, &r->capind, r->nind + o->b, 1);
    if (!ind)
        return nomem(r);
    r->ind = ind;
    int rc = push_frame(r, (struct frame){ *pc + 1, NULL, 0, r->nind });
    if (rc)
        return rc;
    memcpy(r->ind + r->nind, r->t->pool + o->c - o->b, o->b);
    r->nind += o->b;
    r->calls++;
    *pc = r->t->units[o->a].start;
    return 0;
}

/* OP_RETURN: back to the caller, or DONE at the end of unit 0.  Sections
 * close inside their unit, so the innermost frame is the call's. */
static int exec_return(struct render *r, size_t *pc)
{
    if (!r->calls)
        return DONE;
    assert(r->nfr > 0);
    struct frame *f = &r->fr[--r->nfr];
    r->nind = f->indent;
    r->calls--;
    *pc = f->pc;
    return 0;
}

static int (*const exec[])(struct render *, size_t *) = {
    [OP_TEXT] = exec_text,         [OP_INDENT] = exec_indent,
    [OP_VAR] = exec_var,           [OP_RAW] = exec_var,
    [OP_SECTION] = exec_section,   [OP_INVERTED] = exec_inverted,
    [OP_END] = exec_end,           [OP_PARTIAL] = exec_partial,
    [OP_RETURN] = exec_return,
};

/* Run ops from unit 0's first to its OP_RETURN, one step each. */
static int run(struct render *r)
{
    const wh_mustache *t = r->t;
    size_t pc = 0;
    int rc = 0;
    while (!rc) {
        if (++r->steps > t->lim.max_steps)
            return wh_fail(r->err, WH_E_LIMIT, t->units[0].name, -1,
                           "render takes more than %llu steps",
                           t->lim.max_steps);
        rc = exec[t->ops[pc].kind](r, &pc);
    }
    return rc == DONE ? 0 : rc;
}

/* --- API: rendering --- */

int wh_mustache_render(const wh_mustache *t, const json_t *data,
                       size_t max_out, char **out, size_t *outlen,
                       wh_err *err)
{
    struct render r = {
        .t = t, .max = max_out < SIZE_MAX / 2 ? max_out : SIZE_MAX / 2,
        .err = err,
    };
    *out = NULL;
    *outlen = 0;
    int rc = push_context(&r, data);
    rc = rc ? rc : run(&r);
    rc = rc ? rc : put(&r, "", 0);     /* so that buf exists */
    free(r.ctx);
    free(r.fr);
    free(r.ind);
    if (rc) {
        free(r.buf);
        return rc;
    }
    r.buf[r.len] = '\0';
    *out = r.buf;
    *outlen = r.len;
    return 0;
}

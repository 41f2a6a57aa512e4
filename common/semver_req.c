/* semver_req.c - Cargo and npm version requirements: compile, match, render.
 *
 * This is the implementation of the requirement half of semver.h.  A
 * requirement is compiled once into a list of primitive comparators
 * (< <= = >= >, plus "any"), each tagged with the comparator set it
 * belongs to; sets are OR-ed, comparators within a set AND-ed.
 *
 * Design.  Both syntaxes desugar to primitives the way node-semver's
 * README writes them (`^1.2` := `>=1.2.0 <2.0.0-0`, `1.2.3 - 2.3` :=
 * `>=1.2.3 <2.4.0-0`, `>1.2` := `>=1.3.0`, `<=1.2` := `<1.3.0-0`).  The
 * Cargo book's tables are the same bounds written without "-0"; the
 * "-0" only matters for prereleases of the bound itself, which the
 * prerelease rule below excludes anyway, so one desugaring serves both
 * and the Cargo semantics are unchanged.  The differences between the
 * syntaxes are only in the grammar:
 *
 *   cargo: a bare version is a caret (`1.2` := `^1.2`) unless it has a
 *          wildcard (`1.2.*` := `=1.2`); ',' joins; `*` only alone.
 *   npm:   a bare version is `=` (`1.2` := `>=1.2.0 <1.3.0-0`); spaces
 *          join, `||` separates sets, hyphen ranges, an empty set (`""`,
 *          `1 ||`) is `*`; a version may follow any run of `v` and `=`
 *          (`=v1`, `~=1.2`), but a hyphen range's sides only a `v`.
 *
 * Where node-semver is looser than its own README grammar, wharf keeps
 * to the grammar: a number or a prerelease after a wildcard is an error
 * (`~1.x.3`, `1.2.x-beta`; node-semver ignores what follows the x).
 * Otherwise the test data agrees line by line with node-semver 7.8.5 and
 * with cargo (the semver crate), as do some 20,000 random requirements.
 *
 * The prerelease rule: a version with a prerelease matches a set only if
 * every comparator holds AND some comparator of the set names a
 * prerelease of the same major.minor.patch (node-semver's testSet; the
 * semver crate's pre_is_compatible).  The synthesized "-0" bounds do
 * name one, but nothing that could slip through them satisfies them.
 *
 * Numbers are uint64_t: bumping UINT64_MAX carries into the next number
 * up (`~1.<max>.0` := `<2.0.0-0`), and where nothing is left to bump the
 * bound is dropped (`<=<max>` := `*`) or the comparator can match
 * nothing (`><max>` := `<0.0.0-0`).
 *
 * Storage.  The compiled requirement is one allocation: a header, the
 * comparators, then a pool holding "0" (the synthesized prerelease) and
 * a copy of the source text that prerelease offsets point into.
 *
 * Tests: tests/unit/semver_test.c, tests/unit/semver.data (Cargo book and
 * node-semver README cases, render forms, error messages);
 * tests/fuzz/semver/ (matching agrees with compare, renders reparse).
 */
#include "semver.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Primitive operators, as compiled. */
enum { OP_ANY, OP_LT, OP_LE, OP_EQ, OP_GE, OP_GT };

/* Operators as written; SRC_NONE is a bare version. */
enum { SRC_NONE, SRC_LT, SRC_LE, SRC_EQ, SRC_GE, SRC_GT, SRC_TILDE,
       SRC_CARET };

struct cmp {
    uint64_t num[3];
    uint16_t pre_off, pre_len;  /* prerelease in req->pool, len 0 if none */
    uint16_t set;               /* index of its comparator set */
    uint8_t  op;                /* OP_* */
};

struct wh_semver_req {
    wh_semver_syntax syntax;
    unsigned         ncmp;
    const char      *pool;      /* "0" + source text + NUL */
    struct cmp       cmp[];
};

/* Parser state: the source, the cursor and the comparators so far. */
struct build {
    wh_semver_syntax syntax;
    const char      *s;
    size_t           end;       /* s[end..] is trailing whitespace */
    size_t           pos;
    unsigned         ncmp, set, set_first;
    struct cmp       cmp[WH_SEMVER_REQ_MAX_CMP];
    wh_err          *err;
};

/* A version bound under construction: numbers and a pool prerelease. */
struct bound {
    uint64_t num[3];
    uint16_t pre_off, pre_len;
};

static bool is_ws(char c) { return c == ' ' || c == '\t'; }

static void skip_ws(struct build *b)
{
    while (b->pos < b->end && is_ws(b->s[b->pos]))
        b->pos++;
}

static bool at_end(const struct build *b) { return b->pos >= b->end; }

static bool at(const struct build *b, const char *lit)
{
    size_t len = strlen(lit);
    return b->end - b->pos >= len && memcmp(b->s + b->pos, lit, len) == 0;
}

static int fail(struct build *b, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct build *b, size_t off, const char *fmt, ...)
{
    char reason[sizeof b->err->reason];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return wh_fail(b->err, WH_E_FORMAT, NULL, (long long)off, "%s", reason);
}

/* --- Building comparators --------------------------------------------- */

/* Append a primitive to the current set.  "any" is only kept when the set
 * would otherwise be empty (finish_set), as node-semver drops `*` from a
 * set that has other comparators. */
static int add(struct build *b, int op, const struct bound *v, size_t src)
{
    if (op == OP_ANY)
        return 0;
    if (b->ncmp == WH_SEMVER_REQ_MAX_CMP)
        return wh_fail(b->err, WH_E_LIMIT, NULL, (long long)src,
                       "more than %d comparators", WH_SEMVER_REQ_MAX_CMP);
    struct cmp *c = &b->cmp[b->ncmp++];
    memcpy(c->num, v->num, sizeof c->num);
    c->pre_off = v->pre_off;
    c->pre_len = v->pre_len;
    c->set = (uint16_t)b->set;
    c->op = (uint8_t)op;
    return 0;
}

static int finish_set(struct build *b, size_t src)
{
    if (b->ncmp == b->set_first) {
        if (b->ncmp == WH_SEMVER_REQ_MAX_CMP)
            return wh_fail(b->err, WH_E_LIMIT, NULL, (long long)src,
                           "more than %d comparators",
                           WH_SEMVER_REQ_MAX_CMP);
        struct cmp *c = &b->cmp[b->ncmp++];
        memset(c, 0, sizeof *c);
        c->set = (uint16_t)b->set;
        c->op = OP_ANY;
    }
    b->set++;
    b->set_first = b->ncmp;
    return 0;
}

/* The bound p names: given numbers, zeros for the rest, its prerelease
 * (which the scanner only allows after three numbers). */
static struct bound exact(const wh_semver_partial *p)
{
    struct bound v = { { p->num[0], p->num[1], p->num[2] }, 0, 0 };
    if (p->pre_len) {
        v.pre_off = (uint16_t)(1 + p->pre_off);  /* pool = "0" + source */
        v.pre_len = (uint16_t)p->pre_len;
    }
    return v;
}

/* The first version after every X.Y.Z that starts with the first k
 * numbers of v, as a release: bump number k, zero the rest; an overflow
 * carries into the number before.  false if nothing is left to bump. */
static bool bump(struct bound *v, int k)
{
    for (int i = k - 1; i >= 0; i--) {
        if (v->num[i] != UINT64_MAX) {
            v->num[i]++;
            for (int j = i + 1; j < 3; j++)
                v->num[j] = 0;
            v->pre_off = v->pre_len = 0;
            return true;
        }
    }
    return false;
}

/* "<v-0": below v and all its prereleases. */
static int add_below(struct build *b, struct bound v, size_t src)
{
    v.pre_off = 0;  /* the pool's "0" */
    v.pre_len = 1;
    return add(b, OP_LT, &v, src);
}

/* "<bump(p, k)-0", or nothing when every version is below it. */
static int add_upper(struct build *b, const wh_semver_partial *p, int k,
                     size_t src)
{
    struct bound v = exact(p);
    return bump(&v, k) ? add_below(b, v, src) : 0;
}

static int add_nothing(struct build *b, size_t src)
{
    struct bound zero = { { 0, 0, 0 }, 0, 0 };
    return add_below(b, zero, src);
}

/* How many leading numbers a caret keeps fixed: up to the first
 * non-zero one, or all that were given. */
static int caret_fixed(const wh_semver_partial *p)
{
    if (p->num[0] > 0 || p->nnum == 1)
        return 1;
    if (p->num[1] > 0 || p->nnum == 2)
        return 2;
    return 3;
}

/* Desugar one comparator "op p" (op != SRC_NONE) into primitives. */
static int desugar(struct build *b, int op, const wh_semver_partial *p,
                   size_t src)
{
    int k = p->nnum, rc;
    struct bound v = exact(p);
    if (k == 0)  /* "*" under any operator: all, or nothing for < and > */
        return op == SRC_LT || op == SRC_GT ? add_nothing(b, src) : 0;
    switch (op) {
    case SRC_EQ:
        if (k == 3)
            return add(b, OP_EQ, &v, src);
        if ((rc = add(b, OP_GE, &v, src)))
            return rc;
        return add_upper(b, p, k, src);
    case SRC_GE:
        return add(b, OP_GE, &v, src);
    case SRC_GT:
        if (k == 3)
            return add(b, OP_GT, &v, src);
        return bump(&v, k) ? add(b, OP_GE, &v, src) : add_nothing(b, src);
    case SRC_LT:
        return k == 3 ? add(b, OP_LT, &v, src) : add_below(b, v, src);
    case SRC_LE:
        if (k == 3)
            return add(b, OP_LE, &v, src);
        return add_upper(b, p, k, src);
    case SRC_TILDE:
        if ((rc = add(b, OP_GE, &v, src)))
            return rc;
        return add_upper(b, p, k >= 2 ? 2 : 1, src);
    case SRC_CARET:
        if ((rc = add(b, OP_GE, &v, src)))
            return rc;
        return add_upper(b, p, caret_fixed(p), src);
    }
    assert(!"unknown operator");
    return WH_E_INTERNAL;
}

/* --- Parsing ---------------------------------------------------------- */

static const struct { const char *text; int op; } ops[] = {
    { ">=", SRC_GE }, { "<=", SRC_LE }, { ">", SRC_GT }, { "<", SRC_LT },
    { "=", SRC_EQ }, { "^", SRC_CARET }, { "~>", SRC_TILDE },
    { "~", SRC_TILDE },
};

/* Read an operator, if any; *text is how it was written. */
static int read_op(struct build *b, const char **text)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (b->syntax == WH_SEMVER_CARGO && !strcmp(ops[i].text, "~>"))
            continue;  /* "~>" is node-semver's, not Cargo's */
        if (at(b, ops[i].text)) {
            b->pos += strlen(ops[i].text);
            *text = ops[i].text;
            return ops[i].op;
        }
    }
    *text = "";
    return SRC_NONE;
}

/* cargo: a comparator is followed by something other than ',' or the
 * end. */
static int cargo_no_comma(struct build *b)
{
    unsigned char c = (unsigned char)b->s[b->pos];
    if (c == '|')
        return fail(b, b->pos, "unexpected '|' in cargo requirement");
    if (c < 0x20 || c >= 0x7f)
        return fail(b, b->pos, "expected ',' after comparator, found "
                    "'\\x%02x'", c);
    return fail(b, b->pos, "expected ',' after comparator, found '%c'", c);
}

/* Bytes that end a version without being an error where they stand. */
static bool is_delim(const struct build *b, char c)
{
    return is_ws(c) || (b->syntax == WH_SEMVER_CARGO ? c == ',' : c == '|');
}

/* After a version: the byte there must end it, or say why not. */
static int check_after(struct build *b, const wh_semver_partial *p)
{
    if (at_end(b) || is_delim(b, b->s[b->pos]))
        return 0;
    char c = b->s[b->pos];
    if (b->syntax == WH_SEMVER_NPM && c == ',')
        return fail(b, b->pos, "unexpected ',' in npm range");
    if (b->syntax == WH_SEMVER_CARGO && c && strchr("|<>=^~", c))
        return cargo_no_comma(b);
    return wh_semver_scan_stray(p, b->s, b->pos, b->err);
}

/* The version after an operator (optext, "" if none), after any run of
 * the npm prefix bytes in `prefix` (node-semver's [v=]*: "=v1", "~=1.2",
 * ">==1.3"). */
static int read_version(struct build *b, const char *optext,
                        const char *prefix, wh_semver_partial *p)
{
    size_t start = b->pos;
    while (b->syntax == WH_SEMVER_NPM && !at_end(b) && b->s[b->pos] &&
           strchr(prefix, b->s[b->pos]))
        b->pos++;
    if (at_end(b) || is_delim(b, b->s[b->pos])) {
        if (b->pos > start)
            return fail(b, b->pos, "missing version after '%c'",
                        b->s[b->pos - 1]);
        if (*optext)
            return fail(b, b->pos, "operator '%s' needs a version", optext);
        return fail(b, b->pos, "empty comparator");
    }
    if (b->syntax == WH_SEMVER_NPM && b->s[b->pos] == ',')
        return fail(b, b->pos, "unexpected ',' in npm range");
    int rc = wh_semver_scan(p, b->s, b->end, &b->pos,
                            WH_SEMVER_PARTIAL | WH_SEMVER_WILDCARD, b->err);
    return rc ? rc : check_after(b, p);
}

/* One "op [ws] version" comparator at b->pos; *op is SRC_*, *vpos where
 * the version starts. */
static int read_simple(struct build *b, int *op, wh_semver_partial *p,
                       size_t *vpos)
{
    const char *optext;
    *op = read_op(b, &optext);
    skip_ws(b);
    *vpos = b->pos;
    return read_version(b, optext, "v=", p);
}

/* Skip leading and trailing whitespace of the whole requirement. */
static void trim(struct build *b)
{
    while (b->end > 0 && is_ws(b->s[b->end - 1]))
        b->end--;
    skip_ws(b);
}

/* cargo: comparator (',' comparator)* | lone wildcard */
static int parse_cargo(struct build *b)
{
    int rc;
    trim(b);
    if (at_end(b))
        return fail(b, b->pos, "empty requirement");
    if (b->end - b->pos == 1 && strchr("*xX", b->s[b->pos]))
        return finish_set(b, b->pos);
    for (;;) {
        size_t src = b->pos, vpos;
        int op;
        wh_semver_partial p;
        if (at_end(b) || b->s[b->pos] == ',')
            return fail(b, b->pos, "empty comparator");
        if ((rc = read_simple(b, &op, &p, &vpos)))
            return rc;
        if (p.nnum == 0)  /* the semver crate's "*" is a whole requirement */
            return fail(b, vpos, "'%c' must be the whole requirement in "
                        "cargo syntax", b->s[vpos]);
        if (op == SRC_NONE)
            op = p.wildcard ? SRC_EQ : SRC_CARET;
        if ((rc = desugar(b, op, &p, src)))
            return rc;
        skip_ws(b);
        if (at_end(b))
            return finish_set(b, src);
        if (b->s[b->pos] != ',')
            return cargo_no_comma(b);
        b->pos++;
        skip_ws(b);
    }
}

/* npm, just past "A": is " - " next?  If so, b->pos moves past it. */
static bool npm_hyphen_ahead(struct build *b)
{
    size_t q = b->pos;
    if (q >= b->end || !is_ws(b->s[q]))
        return false;
    while (q < b->end && is_ws(b->s[q]))
        q++;
    if (q >= b->end || b->s[q] != '-' ||
        (q + 1 < b->end && !is_ws(b->s[q + 1])))
        return false;
    b->pos = q + 1;
    skip_ws(b);
    return true;
}

/* npm: the "B" of "A - B", then the set must end. */
static int npm_hyphen(struct build *b, const wh_semver_partial *a,
                      size_t src)
{
    wh_semver_partial z;
    int rc;
    if (at_end(b) || b->s[b->pos] == '|')
        return fail(b, b->pos, "missing version after '-' in hyphen range");
    if ((rc = read_version(b, "", "v", &z)))
        return rc;
    if ((rc = desugar(b, SRC_GE, a, src)) || (rc = desugar(b, SRC_LE, &z, src)))
        return rc;
    skip_ws(b);
    if (!at_end(b) && !at(b, "||"))
        return fail(b, b->pos, "hyphen range must stand alone in its "
                    "comparator set");
    return 0;
}

/* npm: a lone '-' where a comparator should start. */
static int npm_stray_hyphen(struct build *b, int nsrc)
{
    if (nsrc == 0)
        return fail(b, b->pos, "missing version before '-' in hyphen range");
    if (nsrc == 1)
        return fail(b, b->pos, "hyphen range needs a bare version before "
                    "'-'");
    return fail(b, b->pos, "hyphen range must stand alone in its "
                "comparator set");
}

/* npm: one comparator set, up to "||" or the end. */
static int npm_set(struct build *b)
{
    int rc;
    for (int nsrc = 0;; nsrc++) {
        size_t src, vpos;
        int op;
        wh_semver_partial p;
        skip_ws(b);
        src = b->pos;
        if (at_end(b) || at(b, "||"))
            return 0;
        if (b->s[b->pos] == '-' &&
            (b->pos + 1 == b->end || is_ws(b->s[b->pos + 1])))
            return npm_stray_hyphen(b, nsrc);
        if (b->s[b->pos] == '|')
            return fail(b, b->pos, "single '|' in npm range, expected '||'");
        if ((rc = read_simple(b, &op, &p, &vpos)))
            return rc;
        /* node-semver refuses "=1 - 2" (it builds ">==1"), so only a
         * bare first side, as in the README's grammar */
        if (nsrc == 0 && op == SRC_NONE && npm_hyphen_ahead(b))
            return npm_hyphen(b, &p, src);
        if ((rc = desugar(b, op == SRC_NONE ? SRC_EQ : op, &p, src)))
            return rc;
    }
}

/* npm: set ('||' set)* */
static int parse_npm(struct build *b)
{
    int rc;
    trim(b);
    for (;;) {
        size_t src = b->pos;
        if ((rc = npm_set(b)) || (rc = finish_set(b, src)))
            return rc;
        if (at_end(b))
            return 0;
        assert(at(b, "||"));
        b->pos += 2;
    }
}

/* --- API implementation ----------------------------------------------- */

int wh_semver_req_parse(wh_semver_req **out, wh_semver_syntax syntax,
                        const char *s, size_t n, wh_err *err)
{
    struct build *b = NULL;
    wh_semver_req *req = NULL;
    int rc;
    assert(out && (s || n == 0));
    assert(syntax == WH_SEMVER_CARGO || syntax == WH_SEMVER_NPM);
    *out = NULL;
    if (n > WH_SEMVER_REQ_MAX_LEN)
        return wh_fail(err, WH_E_LIMIT, NULL, WH_SEMVER_REQ_MAX_LEN,
                       "requirement longer than %d bytes",
                       WH_SEMVER_REQ_MAX_LEN);
    /* ~2.5 KiB of scratch: on the heap, callers may be deep already. */
    if (!(b = calloc(1, sizeof *b))) {
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
        goto out;
    }
    b->syntax = syntax;
    b->s = s;
    b->end = n;
    b->err = err;
    rc = syntax == WH_SEMVER_CARGO ? parse_cargo(b) : parse_npm(b);
    if (rc)
        goto out;
    size_t cmps = b->ncmp * sizeof b->cmp[0];
    if (!(req = malloc(sizeof *req + cmps + n + 2))) {
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
        goto out;
    }
    req->syntax = syntax;
    req->ncmp = b->ncmp;
    memcpy(req->cmp, b->cmp, cmps);
    char *pool = (char *)req->cmp + cmps;
    pool[0] = '0';
    if (n)
        memcpy(pool + 1, s, n);
    pool[n + 1] = '\0';
    req->pool = pool;
    *out = req;
out:
    free(b);
    return rc;
}

void wh_semver_req_free(wh_semver_req *req)
{
    free(req);
}

static int cmp_version(const wh_semver *v, const struct cmp *c,
                       const char *pool)
{
    const uint64_t vn[3] = { v->major, v->minor, v->patch };
    for (int i = 0; i < 3; i++)
        if (vn[i] != c->num[i])
            return vn[i] < c->num[i] ? -1 : 1;
    return wh_semver_compare_pre(wh_semver_pre(v), v->pre_len,
                                 pool + c->pre_off, c->pre_len);
}

static bool holds(const struct cmp *c, const wh_semver *v, const char *pool)
{
    if (c->op == OP_ANY)
        return true;
    int r = cmp_version(v, c, pool);
    switch (c->op) {
    case OP_LT: return r < 0;
    case OP_LE: return r <= 0;
    case OP_EQ: return r == 0;
    case OP_GE: return r >= 0;
    case OP_GT: return r > 0;
    }
    assert(!"unknown operator");
    return false;
}

/* Does comparator c opt in to prereleases of v's major.minor.patch? */
static bool names_pre_of(const struct cmp *c, const wh_semver *v)
{
    return c->op != OP_ANY && c->pre_len > 0 && c->num[0] == v->major &&
           c->num[1] == v->minor && c->num[2] == v->patch;
}

/* The set starting at cmp[first]; *next is where the next one starts. */
static bool set_matches(const wh_semver_req *req, unsigned first,
                        unsigned *next, const wh_semver *v)
{
    unsigned i, set = req->cmp[first].set;
    bool all = true, opted_in = v->pre_len == 0;
    for (i = first; i < req->ncmp && req->cmp[i].set == set; i++) {
        all = all && holds(&req->cmp[i], v, req->pool);
        opted_in = opted_in || names_pre_of(&req->cmp[i], v);
    }
    *next = i;
    return all && opted_in;
}

bool wh_semver_req_matches(const wh_semver_req *req, const wh_semver *v)
{
    unsigned i = 0;
    assert(req && v);
    while (i < req->ncmp)
        if (set_matches(req, i, &i, v))
            return true;
    return false;
}

bool wh_semver_req_exact(const wh_semver_req *req, wh_semver *v)
{
    assert(req);
    if (req->ncmp != 1 || req->cmp[0].op != OP_EQ)
        return false;
    const struct cmp *c = &req->cmp[0];
    if (c->pre_len + 2 > WH_SEMVER_MAX_LEN)  /* no version is that long */
        return false;
    if (v) {
        memset(v, 0, sizeof *v);
        v->major = c->num[0];
        v->minor = c->num[1];
        v->patch = c->num[2];
        v->pre_len = c->pre_len;
        memcpy(v->ids, req->pool + c->pre_off, c->pre_len);
    }
    return true;
}

/* snprintf-style appending that keeps counting past the end of buf. */
struct out {
    char  *buf;
    size_t n, len;
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->n ? o->n - o->len : 0;
    int k = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (k > 0)
        o->len += (size_t)k;
}

size_t wh_semver_req_format(const wh_semver_req *req, char *buf, size_t n)
{
    static const char *const optext[] = {
        [OP_LT] = "<", [OP_LE] = "<=", [OP_EQ] = "=", [OP_GE] = ">=",
        [OP_GT] = ">",
    };
    struct out o = { buf, n, 0 };
    if (n)
        buf[0] = '\0';
    for (unsigned i = 0; i < req->ncmp; i++) {
        const struct cmp *c = &req->cmp[i];
        if (i > 0)
            put(&o, "%s", c->set != c[-1].set ? " || "
                : req->syntax == WH_SEMVER_CARGO ? ", " : " ");
        if (c->op == OP_ANY) {
            put(&o, "*");
            continue;
        }
        put(&o, "%s%llu.%llu.%llu", optext[c->op],
            (unsigned long long)c->num[0], (unsigned long long)c->num[1],
            (unsigned long long)c->num[2]);
        if (c->pre_len)
            put(&o, "-%.*s", (int)c->pre_len, req->pool + c->pre_off);
    }
    return o.len;
}

/* semver.c - SemVer 2.0.0 versions: parse, compare, format.
 *
 * This is the implementation of the version half of semver.h; the
 * requirement half is semver_req.c, which reuses the scanner below.
 *
 * Design.  One scanner, wh_semver_scan(), reads a version left to right
 * from a cursor and stops at the first byte that cannot continue it,
 * remembering in which part it stopped (after the major number, in the
 * prerelease, ...).  The strict parser is the scanner plus "the string
 * must end here"; the requirement parser is the scanner plus "a
 * delimiter may follow".  Both report a stray byte the same way through
 * wh_semver_scan_stray(), so "1.2.3!" and "^1.2.3!" fail with the same
 * reason.  Errors that no continuation could fix (a leading zero, a
 * number over 2^64-1, an empty identifier) are reported by the scanner
 * itself, at the offending byte.
 *
 * A parsed wh_semver keeps its prerelease and build text in its own
 * fixed buffer so it is a value: no allocation, no lifetime tied to the
 * input.  Precedence (section 11) compares the numbers, then the
 * prerelease identifier by identifier; the build is ignored.
 *
 * Tests: tests/unit/semver_test.c, tests/unit/semver_parse.data (valid and
 * invalid strings from the semver.org FAQ regex list, precedence chains
 * from section 11); tests/fuzz/semver/ (round trips, order laws).
 */
#include "semver.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* Where wh_semver_scan stopped; indexes part_name for the numbers. */
enum { ST_MAJOR, ST_MINOR, ST_PATCH, ST_WILD, ST_PRE, ST_BUILD };

static const char *const part_name[3] = { "major", "minor", "patch" };

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_ident(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || c == '-';
}

static bool is_wild(char c) { return c == 'x' || c == 'X' || c == '*'; }

/* Quote byte c for a message: 'c' if printable, '\xNN' if not. */
static const char *quote_byte(char c, char buf[8])
{
    unsigned char u = (unsigned char)c;
    if (u >= 0x20 && u < 0x7f)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "'\\x%02x'", u);
    return buf;
}

/* --- Scanner ---------------------------------------------------------- */

/* Read one number at s[*pos] (a digit is there) into *out. */
static int scan_number(uint64_t *out, const char *s, size_t n, size_t *pos,
                       const char *part, wh_err *err)
{
    size_t start = *pos, i = start;
    uint64_t v = 0;
    assert(i < n && is_digit(s[i]));
    if (s[i] == '0' && i + 1 < n && is_digit(s[i + 1]))
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)start,
                       "leading zero in %s version", part);
    for (; i < n && is_digit(s[i]); i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return wh_fail(err, WH_E_FORMAT, NULL, (long long)start,
                           "%s version too large", part);
        v = v * 10 + d;
    }
    *out = v;
    *pos = i;
    return 0;
}

/* Read dot-separated identifiers at s[*pos] (just past '-' or '+').
 * Numeric prerelease identifiers may not have leading zeros. */
static int scan_idents(const char *s, size_t n, size_t *pos, bool pre,
                       wh_err *err)
{
    const char *what = pre ? "prerelease" : "build metadata";
    size_t i = *pos;
    for (;;) {
        size_t start = i;
        bool numeric = true;
        for (; i < n && is_ident(s[i]); i++)
            numeric = numeric && is_digit(s[i]);
        if (i == start)
            return wh_fail(err, WH_E_FORMAT, NULL, (long long)i,
                           "empty %s identifier", what);
        if (pre && numeric && s[start] == '0' && i - start > 1)
            return wh_fail(err, WH_E_FORMAT, NULL, (long long)start,
                           "leading zero in numeric prerelease identifier");
        if (i >= n || s[i] != '.')
            break;
        i++;
    }
    *pos = i;
    return 0;
}

/* The token around s[at] for messages: from start to the next byte that
 * cannot be part of a version. */
static int token_len(const char *s, size_t n, size_t start)
{
    size_t i = start;
    while (i < n && i - start < 64 &&
           (is_ident(s[i]) || s[i] == '.' || s[i] == '*' || s[i] == '+'))
        i++;
    return (int)(i - start);
}

/* One of the three numbers, or a wildcard, at s[*pos]. */
static int scan_part(wh_semver_partial *p, int k, const char *s, size_t n,
                     size_t *pos, unsigned flags, size_t start, wh_err *err)
{
    size_t i = *pos;
    if (i < n && is_wild(s[i]) && (flags & WH_SEMVER_WILDCARD)) {
        p->wildcard = 1;
        p->state = ST_WILD;
        *pos = i + 1;
        return 0;
    }
    if (i < n && is_digit(s[i]) && p->wildcard)
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)i,
                       "version number after a wildcard is not allowed "
                       "in '%.*s'", token_len(s, n, start), s + start);
    if (i < n && is_digit(s[i])) {
        int rc = scan_number(&p->num[k], s, n, pos, part_name[k], err);
        if (rc)
            return rc;
        p->nnum = k + 1;
        p->state = ST_MAJOR + k;
        return 0;
    }
    char q[8];
    if (i >= n || s[i] == '.')  /* "1.", "1..2": the number is absent */
        return wh_fail(err, WH_E_FORMAT, NULL, (long long)i,
                       "missing %s version", part_name[k]);
    return wh_fail(err, WH_E_FORMAT, NULL, (long long)i,
                   "invalid character %s in %s version",
                   quote_byte(s[i], q), part_name[k]);
}

int wh_semver_scan(wh_semver_partial *p, const char *s, size_t n,
                   size_t *pos, unsigned flags, wh_err *err)
{
    size_t i = *pos, start = *pos;
    int rc;
    memset(p, 0, sizeof *p);
    for (int k = 0; k < 3; k++) {
        if (k > 0) {
            if (i < n && s[i] == '.') {
                i++;
            } else if ((flags & WH_SEMVER_PARTIAL) || p->wildcard) {
                break;
            } else if (i >= n) {
                return wh_fail(err, WH_E_FORMAT, NULL, (long long)i,
                               "missing %s version", part_name[k]);
            } else {
                break;  /* the stray byte is reported by the caller */
            }
        }
        if ((rc = scan_part(p, k, s, n, &i, flags, start, err)))
            return rc;
    }
    if (p->nnum == 3 && !p->wildcard && i < n && s[i] == '-') {
        p->pre_off = ++i;
        if ((rc = scan_idents(s, n, &i, true, err)))
            return rc;
        p->pre_len = i - p->pre_off;
        p->state = ST_PRE;
    }
    if (p->nnum == 3 && !p->wildcard && i < n && s[i] == '+') {
        p->build_off = ++i;
        if ((rc = scan_idents(s, n, &i, false, err)))
            return rc;
        p->build_len = i - p->build_off;
        p->state = ST_BUILD;
    }
    *pos = i;
    return 0;
}

int wh_semver_scan_stray(const wh_semver_partial *p, const char *s,
                         size_t pos, wh_err *err)
{
    char q[8];
    const char *c = quote_byte(s[pos], q);
    long long off = (long long)pos;
    switch (p->state) {
    case ST_WILD:
        return wh_fail(err, WH_E_FORMAT, NULL, off,
                       "unexpected %s after wildcard", c);
    case ST_PRE:
        return wh_fail(err, WH_E_FORMAT, NULL, off,
                       "invalid character %s in prerelease", c);
    case ST_BUILD:
        return wh_fail(err, WH_E_FORMAT, NULL, off,
                       "invalid character %s in build metadata", c);
    default:
        return wh_fail(err, WH_E_FORMAT, NULL, off,
                       "unexpected %s after %s version", c,
                       part_name[p->state]);
    }
}

/* --- API implementation ----------------------------------------------- */

int wh_semver_parse(wh_semver *v, const char *s, size_t n, wh_err *err)
{
    wh_semver_partial p;
    size_t pos = 0;
    int rc;
    assert(v && (s || n == 0));
    if (n == 0)
        return wh_fail(err, WH_E_FORMAT, NULL, 0, "empty version");
    if (n > WH_SEMVER_MAX_LEN)
        return wh_fail(err, WH_E_LIMIT, NULL, WH_SEMVER_MAX_LEN,
                       "version longer than %d bytes", WH_SEMVER_MAX_LEN);
    if ((rc = wh_semver_scan(&p, s, n, &pos, 0, err)))
        return rc;
    if (pos < n)
        return wh_semver_scan_stray(&p, s, pos, err);
    assert(p.nnum == 3 && p.pre_len + p.build_len + 2 <= sizeof v->ids);
    v->major = p.num[0];
    v->minor = p.num[1];
    v->patch = p.num[2];
    v->pre_len = (uint16_t)p.pre_len;
    v->build_len = (uint16_t)p.build_len;
    memcpy(v->ids, s + p.pre_off, p.pre_len);
    v->ids[p.pre_len] = '\0';
    memcpy(v->ids + p.pre_len + 1, s + p.build_off, p.build_len);
    v->ids[p.pre_len + 1 + p.build_len] = '\0';
    return 0;
}

const char *wh_semver_pre(const wh_semver *v) { return v->ids; }

const char *wh_semver_build(const wh_semver *v)
{
    return v->ids + v->pre_len + 1;
}

static int cmp_u64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }

/* Length of the identifier at s (up to '.' or the end). */
static size_t ident_len(const char *s, size_t n)
{
    const char *dot = memchr(s, '.', n);
    return dot ? (size_t)(dot - s) : n;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

/* Section 11.4.1-3 for one identifier pair.  Numbers have no leading
 * zeros, so the longer one is larger and equal lengths compare as text. */
static int cmp_ident(const char *a, size_t an, const char *b, size_t bn)
{
    bool na = all_digits(a, an), nb = all_digits(b, bn);
    if (na != nb)
        return na ? -1 : 1;  /* numeric < alphanumeric */
    if (na && an != bn)
        return an < bn ? -1 : 1;
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c < 0 ? -1 : 1;
    return cmp_u64(an, bn);
}

int wh_semver_compare_pre(const char *a, size_t alen,
                          const char *b, size_t blen)
{
    if (alen == 0 || blen == 0)  /* a release outranks its prereleases */
        return (alen == 0) - (blen == 0);
    for (;;) {
        size_t ai = ident_len(a, alen), bi = ident_len(b, blen);
        int c = cmp_ident(a, ai, b, bi);
        if (c)
            return c;
        bool amore = ai < alen, bmore = bi < blen;
        if (!amore || !bmore)  /* equal so far: more identifiers win */
            return amore - bmore;
        a += ai + 1, alen -= ai + 1;
        b += bi + 1, blen -= bi + 1;
    }
}

int wh_semver_compare(const wh_semver *a, const wh_semver *b)
{
    int c = cmp_u64(a->major, b->major);
    if (!c)
        c = cmp_u64(a->minor, b->minor);
    if (!c)
        c = cmp_u64(a->patch, b->patch);
    if (!c)
        c = wh_semver_compare_pre(a->ids, a->pre_len, b->ids, b->pre_len);
    return c;
}

size_t wh_semver_format(const wh_semver *v, char *buf, size_t n)
{
    int len = snprintf(buf, n, "%llu.%llu.%llu%s%s%s%s",
                       (unsigned long long)v->major,
                       (unsigned long long)v->minor,
                       (unsigned long long)v->patch,
                       v->pre_len ? "-" : "", wh_semver_pre(v),
                       v->build_len ? "+" : "", wh_semver_build(v));
    return len < 0 ? 0 : (size_t)len;
}

/* grants.c - Ferrite's grants for `wharf run`: Redis glob patterns over
 * keys, deny by default, and the one-line form of grants and limits.
 *
 * THE GLOB.  Ferrite documents its key patterns as Redis's (KEYS,
 * SCAN MATCH, ACL key patterns), so they are matched as Redis's
 * stringmatchlen does, byte by byte:
 *
 *   *        any run of bytes, the empty one included
 *   ?        exactly one byte
 *   [abc]    one byte of the set; [a-z] a range (either way round:
 *            [z-a] is the same); [^abc] one byte not in the set; inside,
 *            \x is x itself; "[]" matches nothing; a '[' never closed
 *            ends at the end of the pattern
 *   \x       the byte x itself ("\*" a star); a trailing '\' is itself
 *
 * Redis recurses on each '*', which is exponential on patterns such as
 * "*a*a*a*b" against a long run of a's.  Here every token but '*'
 * consumes exactly one byte, so the classic single backtrack point is
 * enough: on a mismatch, resume after the last star one byte further
 * on.  An earlier star never needs revisiting, because anything it could
 * absorb the later one can too.  That is O(pattern x key) at worst and
 * allocates nothing, which matters because the guest chooses the keys.
 *
 * THE LINE.  `--grants 'READ user:* WRITE audit:* MEMORY 16MB TIMEOUT
 * 1000'` is the form Ferrite's own loader takes.  Words are separated by
 * blanks (no quoting: a pattern holding a blank goes through --read);
 * READ and WRITE take every word up to the next keyword, so "READ a:*
 * b:*" grants both, and a pattern spelled like a keyword ("READ") can
 * only be given with --read.  A limit given twice in one line is an error
 * (which one was meant?); across options, the last one given wins, as
 * with any repeated option.
 *
 * Tests: tests/cli/t2021-wharf-run-grants.sh.
 */
#include "installer/grants.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cli.h"
#include "common/err.h"

/* --- the glob ------------------------------------------------------------ */

/* Match c against the class starting at pat[*pi] == '['; moves *pi past
 * its ']' (or to the end when there is none). */
static int class_match(const char *pat, size_t plen, size_t *pi, unsigned char c)
{
    size_t i = *pi + 1;
    int neg = 0, hit = 0;
    if (i < plen && pat[i] == '^') {
        neg = 1;
        i++;
    }
    for (; i < plen && pat[i] != ']'; i++) {
        unsigned char lo = (unsigned char)pat[i], hi = lo;
        if (lo == '\\' && i + 1 < plen) {
            lo = hi = (unsigned char)pat[++i];
        } else if (i + 2 < plen && pat[i + 1] == '-') {
            hi = (unsigned char)pat[i + 2];
            i += 2;
            if (lo > hi) {
                unsigned char t = lo;
                lo = hi;
                hi = t;
            }
        }
        hit |= c >= lo && c <= hi;
    }
    *pi = i < plen ? i + 1 : plen;
    return hit != neg;
}

/* Match c against the one-byte token at pat[*pi]; moves *pi past it. */
static int token_match(const char *pat, size_t plen, size_t *pi, unsigned char c)
{
    size_t i = *pi;
    if (pat[i] == '[')
        return class_match(pat, plen, pi, c);
    *pi = i + 1;
    if (pat[i] == '?')
        return 1;
    if (pat[i] == '\\' && i + 1 < plen)
        *pi = ++i + 1;
    return (unsigned char)pat[i] == c;
}

int ins_glob_match(const char *pat, size_t plen, const char *s, size_t len)
{
    size_t p = 0, k = 0, star_p = 0, star_k = 0;
    int starred = 0;
    while (k < len) {
        if (p < plen && pat[p] == '*') {
            while (p < plen && pat[p] == '*')
                p++;
            if (p == plen)
                return 1;
            starred = 1;
            star_p = p;
            star_k = k;
            continue;
        }
        size_t np = p;
        if (p < plen && token_match(pat, plen, &np, (unsigned char)s[k])) {
            p = np;
            k++;
            continue;
        }
        if (!starred)
            return 0;
        p = star_p;           /* the last star takes one more byte */
        k = ++star_k;
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}

/* --- grants ---------------------------------------------------------------- */

int ins_grants_add(ins_grants *g, int kind, const char *pattern, wh_err *err)
{
    size_t len = strlen(pattern);
    if (len == 0)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "empty %s pattern",
                       kind == INS_READ ? "READ" : "WRITE");
    if (len > INS_GRANT_MAX_LEN)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "%s pattern longer than %d "
                       "bytes", kind == INS_READ ? "READ" : "WRITE",
                       INS_GRANT_MAX_LEN);
    if (g->n[kind] >= INS_GRANTS_MAX)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "more than %d %s patterns",
                       INS_GRANTS_MAX, kind == INS_READ ? "READ" : "WRITE");
    if (!(g->pat[kind][g->n[kind]] = strdup(pattern)))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    g->n[kind]++;
    return 0;
}

int ins_grants_allow(const ins_grants *g, int kind, const char *key, size_t len)
{
    for (size_t i = 0; i < g->n[kind]; i++)
        if (ins_glob_match(g->pat[kind][i], strlen(g->pat[kind][i]), key, len))
            return 1;
    return 0;
}

char *ins_grants_describe(const ins_grants *g, int kind, char *buf, size_t n)
{
    size_t used = 0;
    snprintf(buf, n, "none");
    for (size_t i = 0; i < g->n[kind] && used < n; i++) {
        char q[4 * 64 + 8];
        const char *p = g->pat[kind][i];
        wh_quote(q, sizeof q, p, strlen(p));
        int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", q);
        if (w < 0 || (size_t)w >= n - used) {
            snprintf(buf + (n > 4 ? n - 4 : 0), n > 4 ? 4 : n, "...");
            break;
        }
        used += (size_t)w;
    }
    return buf;
}

void ins_grants_free(ins_grants *g)
{
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < g->n[k]; i++)
            free(g->pat[k][i]);
    memset(g, 0, sizeof *g);
}

/* --- sizes ------------------------------------------------------------------ */

int ins_size_parse(const char *s, uint64_t *out)
{
    static const struct { const char *suffix; unsigned shift; } units[] = {
        {"", 0}, {"b", 0}, {"k", 10}, {"kb", 10}, {"kib", 10},
        {"m", 20}, {"mb", 20}, {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30},
    };
    uint64_t v = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    for (; isdigit((unsigned char)*s); s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcasecmp(s, units[i].suffix)) {
            if (v > (UINT64_MAX >> units[i].shift))
                return -1;
            *out = v << units[i].shift;
            return 0;
        }
    return -1;
}

char *ins_size_format(uint64_t v, char *buf, size_t n)
{
    if (v && v % (1u << 30) == 0)
        snprintf(buf, n, "%llu GiB", (unsigned long long)(v >> 30));
    else if (v && v % (1u << 20) == 0)
        snprintf(buf, n, "%llu MiB", (unsigned long long)(v >> 20));
    else if (v && v % (1u << 10) == 0)
        snprintf(buf, n, "%llu KiB", (unsigned long long)(v >> 10));
    else
        snprintf(buf, n, "%llu bytes", (unsigned long long)v);
    return buf;
}

/* --- the one-line form -------------------------------------------------------- */

enum { KW_NONE = -1, KW_READ, KW_WRITE, KW_MEMORY, KW_TIMEOUT, KW_FUEL };
static const char *const keywords[] = { "READ", "WRITE", "MEMORY", "TIMEOUT", "FUEL" };

static int keyword(const char *w, size_t n)
{
    for (int i = 0; i < 5; i++)
        if (strlen(keywords[i]) == n && !strncasecmp(w, keywords[i], n))
            return i;
    return KW_NONE;
}

/* One limit's value (w, NUL-terminated) into lim. */
static int set_limit(ins_run_limits *lim, int kw, const char *w, wh_err *err)
{
    char q[4 * 64 + 8];
    uint64_t v;
    long long ms;
    wh_quote(q, sizeof q, w, strlen(w));
    switch (kw) {
    case KW_MEMORY:
        if (ins_size_parse(w, &v) || v == 0)
            return wh_fail(err, WH_E_USAGE, NULL, -1, "--grants: MEMORY '%s' "
                           "is not a size (like 16MB)", q);
        lim->memory = v;
        return 0;
    case KW_TIMEOUT:
        if ((ms = wh_cli_number(w, 0, LLONG_MAX)) < 0)
            return wh_fail(err, WH_E_USAGE, NULL, -1, "--grants: TIMEOUT '%s' "
                           "is not a number of milliseconds", q);
        lim->timeout_ms = (uint64_t)ms;
        return 0;
    default:
        if ((ms = wh_cli_number(w, 0, LLONG_MAX)) < 0)
            return wh_fail(err, WH_E_USAGE, NULL, -1, "--grants: FUEL '%s' "
                           "is not a number of instructions", q);
        lim->fuel = (uint64_t)ms;
        return 0;
    }
}

/* The next word of *s into w (size n): 0, or 1 at the end; *s moves on. */
static int next_word(const char **s, char *w, size_t n, size_t *len)
{
    const char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *start = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    *len = (size_t)(p - start);
    *s = p;
    if (*len == 0)
        return 1;
    size_t c = *len < n - 1 ? *len : n - 1;
    memcpy(w, start, c);
    w[c] = '\0';
    return 0;
}

int ins_grants_parse_line(ins_grants *g, ins_run_limits *lim,
                          const char *line, wh_err *err)
{
    char w[INS_GRANT_MAX_LEN + 2], q[4 * 64 + 8];
    int kw = KW_NONE, nvalues = 0;
    unsigned seen = 0;
    size_t len;
    while (!next_word(&line, w, sizeof w, &len)) {
        int k = keyword(w, len);
        wh_quote(q, sizeof q, w, strlen(w));
        if (k != KW_NONE) {
            if (kw != KW_NONE && nvalues == 0)
                break;
            if (k >= KW_MEMORY && (seen & (1u << k)))
                return wh_fail(err, WH_E_USAGE, NULL, -1, "--grants: %s given "
                               "twice", keywords[k]);
            seen |= 1u << k;
            kw = k;
            nvalues = 0;
            continue;
        }
        if (kw == KW_NONE || (kw >= KW_MEMORY && nvalues > 0))
            return wh_fail(err, WH_E_USAGE, NULL, -1, "--grants: unexpected '%s' "
                           "(expected READ, WRITE, MEMORY, TIMEOUT or FUEL)", q);
        if (len > INS_GRANT_MAX_LEN)
            return wh_fail(err, WH_E_USAGE, NULL, -1, "--grants: pattern longer "
                           "than %d bytes", INS_GRANT_MAX_LEN);
        int rc = kw <= KW_WRITE ? ins_grants_add(g, kw, w, err)
                                : set_limit(lim, kw, w, err);
        if (rc)
            return rc;
        nvalues++;
    }
    if (kw != KW_NONE && nvalues == 0)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "--grants: %s needs a value",
                       keywords[kw]);
    if (kw == KW_NONE)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "--grants: empty");
    return 0;
}

/* fuzz.c - fuzz target "semver": SemVer versions and Cargo/npm
 * requirements (common/semver.c, common/semver_req.c).
 *
 * Input: byte 0 picks the syntax (odd: Cargo, even: npm, so a seed that
 * starts with 'c' is Cargo and one with 'n' is npm), then '\n'-separated
 * lines: a requirement, then up to four versions.  "c^1.2\n1.3.0\n2.0.0"
 * is a readable seed.
 *
 * Besides "no crash, no leak, no undefined behaviour" it checks what the
 * header promises, so a wrong answer is a finding too:
 *   - a version formats back to exactly the bytes it was parsed from;
 *   - compare is reflexive, antisymmetric and transitive, and versions of
 *     equal precedence satisfy the same requirements;
 *   - "=V", ">=V", "<=V", "^V", "~V" match V and ">V", "<V" do not, in
 *     both syntaxes, and "=V" is a pin of V without its build;
 *   - for a release B, "op A" matches B exactly when compare(B, A) says
 *     so (the matcher and the comparison agree);
 *   - a requirement's normalized form parses back to a requirement that
 *     formats the same, matches the same versions and pins the same one.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/semver/, and the seed
 * corpus of tests/fuzz/semver/seeds.sh).
 */
#include <string.h>

#include "common/semver.h"
#include "tests/fuzz/common/fuzz.h"

#define MAX_VERSIONS 4

static int sign(int c) { return (c > 0) - (c < 0); }

/* The version parsed from one input line. */
typedef struct ver {
    const char *text;
    size_t      len;
    int         ok;
    wh_semver   v;
} ver;

/* Parse, format back, scan as a partial version too. */
static void check_version(ver *x)
{
    char buf[WH_SEMVER_MAX_LEN + 1];
    wh_semver again;
    wh_semver_partial p;
    size_t pos = 0;
    if (wh_semver_scan(&p, x->text, x->len, &pos,
                       WH_SEMVER_PARTIAL | WH_SEMVER_WILDCARD, NULL) == 0)
        FUZZ_ASSERT(pos <= x->len && p.nnum <= 3 && p.pre_off + p.pre_len <= x->len &&
              p.build_off + p.build_len <= x->len);
    x->ok = wh_semver_parse(&x->v, x->text, x->len, NULL) == 0;
    if (!x->ok)
        return;
    size_t n = wh_semver_format(&x->v, buf, sizeof buf);
    FUZZ_ASSERT(n == x->len && memcmp(buf, x->text, n) == 0);
    FUZZ_ASSERT(wh_semver_parse(&again, buf, n, NULL) == 0);
    FUZZ_ASSERT(wh_semver_compare(&x->v, &again) == 0);
    FUZZ_ASSERT(strcmp(wh_semver_build(&x->v), wh_semver_build(&again)) == 0);
}

static wh_semver_req *req_of(wh_semver_syntax sx, const char *op,
                             const wh_semver *v, int with_build)
{
    char text[WH_SEMVER_MAX_LEN + 8];
    wh_semver bare = *v;
    wh_semver_req *r = NULL;
    if (!with_build)
        bare.build_len = 0, bare.ids[bare.pre_len + 1] = '\0';
    size_t n = (size_t)snprintf(text, sizeof text, "%s", op);
    n += wh_semver_format(&bare, text + n, sizeof text - n);
    FUZZ_ASSERT(wh_semver_req_parse(&r, sx, text, n, NULL) == 0 && r);
    return r;
}

/* Which operators a version satisfies against itself. */
static void check_self(const wh_semver *v)
{
    static const char *const yes[] = { "=", ">=", "<=", "^", "~" };
    static const char *const no[] = { ">", "<" };
    for (int sx = WH_SEMVER_CARGO; sx <= WH_SEMVER_NPM; sx++) {
        wh_semver pin;
        wh_semver_req *r = req_of(sx, "=", v, 0);
        FUZZ_ASSERT(wh_semver_req_exact(r, &pin) && wh_semver_compare(&pin, v) == 0 &&
              pin.build_len == 0);
        wh_semver_req_free(r);
        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
            r = req_of(sx, yes[i], v, 0);
            FUZZ_ASSERT(wh_semver_req_matches(r, v));
            wh_semver_req_free(r);
        }
        for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
            r = req_of(sx, no[i], v, 0);
            FUZZ_ASSERT(!wh_semver_req_matches(r, v));
            wh_semver_req_free(r);
        }
    }
}

/* b (a release) against "op a" for the five primitives. */
static void check_against(const wh_semver *a, const wh_semver *b)
{
    static const char *const op[] = { "<", "<=", "=", ">=", ">" };
    int c = sign(wh_semver_compare(b, a));
    int want[] = { c < 0, c <= 0, c == 0, c >= 0, c > 0 };
    for (int i = 0; i < 5; i++) {
        wh_semver_req *r = req_of(WH_SEMVER_NPM, op[i], a, 0);
        FUZZ_ASSERT(wh_semver_req_matches(r, b) == want[i]);
        wh_semver_req_free(r);
    }
}

static void check_pair(const ver *a, const ver *b, const wh_semver_req *req)
{
    int ab = sign(wh_semver_compare(&a->v, &b->v));
    FUZZ_ASSERT(ab == -sign(wh_semver_compare(&b->v, &a->v)));
    if (a->v.major == b->v.major && a->v.minor == b->v.minor &&
        a->v.patch == b->v.patch)
        FUZZ_ASSERT(ab == sign(wh_semver_compare_pre(a->v.ids, a->v.pre_len,
                                               b->v.ids, b->v.pre_len)));
    if (ab == 0 && req)
        FUZZ_ASSERT(wh_semver_req_matches(req, &a->v) ==
                    wh_semver_req_matches(req, &b->v));
    if (b->v.pre_len == 0)
        check_against(&a->v, &b->v);
}

static void check_triple(const ver *a, const ver *b, const ver *c)
{
    int ab = sign(wh_semver_compare(&a->v, &b->v));
    int bc = sign(wh_semver_compare(&b->v, &c->v));
    int ac = sign(wh_semver_compare(&a->v, &c->v));
    if (ab <= 0 && bc <= 0)
        FUZZ_ASSERT(ac <= 0 && (ac < 0 || (ab == 0 && bc == 0)));
}

/* The normalized form parses back to the same requirement. */
static void check_render(const wh_semver_req *req, wh_semver_syntax sx,
                         const ver *vs, int nv)
{
    size_t n = wh_semver_req_format(req, NULL, 0);
    char *buf = malloc(n + 1), *buf2 = malloc(n + 1);
    wh_semver_req *again = NULL;
    wh_semver p1, p2;
    FUZZ_ASSERT(buf && buf2 && wh_semver_req_format(req, buf, n + 1) == n &&
          strlen(buf) == n);
    if (n <= WH_SEMVER_REQ_MAX_LEN) {
        FUZZ_ASSERT(wh_semver_req_parse(&again, sx, buf, n, NULL) == 0);
        FUZZ_ASSERT(wh_semver_req_format(again, buf2, n + 1) == n &&
              memcmp(buf, buf2, n) == 0);
        for (int i = 0; i < nv; i++)
            if (vs[i].ok)
                FUZZ_ASSERT(wh_semver_req_matches(req, &vs[i].v) ==
                      wh_semver_req_matches(again, &vs[i].v));
        int pinned = wh_semver_req_exact(req, &p1);
        FUZZ_ASSERT(pinned == wh_semver_req_exact(again, &p2));
        if (pinned)
            FUZZ_ASSERT(wh_semver_compare(&p1, &p2) == 0 &&
                  wh_semver_req_matches(req, &p1));
        wh_semver_req_free(again);
    }
    free(buf);
    free(buf2);
}

/* The next '\n'-terminated line of [*p, end). */
static size_t next_line(const char **p, const char *end, const char **line)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = (size_t)((nl ? nl : end) - *p);
    *line = *p;
    *p = nl ? nl + 1 : end;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    wh_semver_syntax sx = (data[0] & 1) ? WH_SEMVER_CARGO : WH_SEMVER_NPM;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    const char *rtext;
    size_t rlen = next_line(&p, end, &rtext);
    ver vs[MAX_VERSIONS];
    int nv = 0;
    while (p < end && nv < MAX_VERSIONS) {
        vs[nv].len = next_line(&p, end, &vs[nv].text);
        check_version(&vs[nv++]);
    }
    wh_semver_req *req = NULL;
    wh_err err;
    if (wh_semver_req_parse(&req, sx, rtext, rlen, &err) == 0)
        check_render(req, sx, vs, nv);
    else
        FUZZ_ASSERT(!req && err.offset >= 0 && (size_t)err.offset <= rlen &&
                    err.reason[0]);
    for (int i = 0; i < nv; i++) {
        if (!vs[i].ok)
            continue;
        check_self(&vs[i].v);
        for (int j = 0; j < nv; j++)
            if (j != i && vs[j].ok)
                check_pair(&vs[i], &vs[j], req);
        for (int j = 0; j < nv; j++)
            for (int k = 0; k < nv; k++)
                if (vs[j].ok && vs[k].ok)
                    check_triple(&vs[i], &vs[j], &vs[k]);
    }
    wh_semver_req_free(req);
    return 0;
}

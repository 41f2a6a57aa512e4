/* resolve_test.c - common/resolve.c: PubGrub picks and explanations.
 *
 * A universe is a table literal, one row per version: name, version,
 * yanked, unavailable reason, and dependencies as "json ^2; xml >=1, <2"
 * (';' separates, since a requirement may hold ',').  An in-memory
 * provider serves it, counting calls.  resolve_str() runs a request
 * written "app; json ^3" and gives back one text to compare whole: the
 * picks ("json 1.0.0\n" per line, in result order), or the explanation
 * after "conflict:\n", or "format: reason" (the code, then the reason).
 * So every case asserts the exact picks, order, explanation and message.
 *
 * Cases: the rules of resolve.h one by one (highest version, transitive
 * dependencies, backtracking, preferred versions kept and dropped,
 * prereleases, yanked, unavailable, unknown modules, cycles, self
 * dependencies), result order, determinism under shuffled input, provider
 * errors, bad versions and requirements, the step and module caps, an
 * explanation cut short at its depth cap, wh_semver_req_exact, and the
 * explanations of solver.md's examples (linear and branching reports,
 * numbered lines).  A generated universe of 10,000 modules x 10
 * versions measures a 50-module closure (printed; asserted < 200 ms).
 */
#include "tests/unit/wh_test.h"

#include <time.h>

#include "common/resolve.h"

/* --- An in-memory provider -------------------------------------------- */

struct row {
    const char *name, *version;
    int         yanked;
    const char *unavailable;
    const char *deps;
};

struct tmod {
    const char         *name;
    wh_resolve_version *v;
    size_t              n;
    wh_resolve_dep    **dep;   /* per version */
    size_t             *ndep;
    int                 version_calls, *dep_calls;
};

struct uni {
    struct tmod *mod;
    size_t       nmod;
    char        *pool[4096];   /* strings split from deps */
    size_t       npool;
    const char  *pref[8][2];   /* name, preferred version */
    int          fail_code;    /* dependencies() fails with it, if set */
};

static char *keep(struct uni *u, const char *s, size_t n)
{
    char *p = strndup(s, n);
    assert_non_null(p);
    assert_true(u->npool < sizeof u->pool / sizeof u->pool[0]);
    u->pool[u->npool++] = p;
    return p;
}

static struct tmod *mod_find(struct uni *u, const char *name)
{
    for (size_t i = 0; i < u->nmod; i++)
        if (!strcmp(u->mod[i].name, name))
            return &u->mod[i];
    return NULL;
}

/* "json ^2; xml >=1, <2" into deps. */
static size_t split_deps(struct uni *u, const char *s, wh_resolve_dep **out)
{
    size_t n = 0;
    *out = calloc(16, sizeof **out);
    while (s && *s) {
        const char *end = strchr(s, ';'), *sp = strchr(s, ' ');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        assert_true(sp && sp < s + len && n < 16);
        (*out)[n].name = keep(u, s, (size_t)(sp - s));
        (*out)[n++].req = keep(u, sp + 1, len - (size_t)(sp - s) - 1);
        s = end ? end + 2 : NULL;
    }
    return n;
}

static void uni_add(struct uni *u, const struct row *r)
{
    struct tmod *m = mod_find(u, r->name);
    if (!m) {
        u->mod = realloc(u->mod, (u->nmod + 1) * sizeof *u->mod);
        m = &u->mod[u->nmod++];
        memset(m, 0, sizeof *m);
        m->name = r->name;
        m->v = calloc(64, sizeof *m->v);
        m->dep = calloc(64, sizeof *m->dep);
        m->ndep = calloc(64, sizeof *m->ndep);
        m->dep_calls = calloc(64, sizeof *m->dep_calls);
    }
    assert_true(m->n < 64);
    m->v[m->n] = (wh_resolve_version){ r->version, r->yanked,
                                       r->unavailable };
    m->ndep[m->n] = split_deps(u, r->deps, &m->dep[m->n]);
    m->n++;
}

static void uni_init(struct uni *u, const struct row *rows)
{
    memset(u, 0, sizeof *u);
    for (; rows->name; rows++)
        uni_add(u, rows);
}

static void uni_free(struct uni *u)
{
    for (size_t i = 0; i < u->nmod; i++) {
        for (size_t k = 0; k < u->mod[i].n; k++)
            free(u->mod[i].dep[k]);
        free(u->mod[i].v);
        free(u->mod[i].dep);
        free(u->mod[i].ndep);
        free(u->mod[i].dep_calls);
    }
    free(u->mod);
    for (size_t i = 0; i < u->npool; i++)
        free(u->pool[i]);
}

static int p_versions(void *ctx, const char *name,
                      const wh_resolve_version **v, size_t *n, wh_err *err)
{
    struct tmod *m = mod_find(ctx, name);
    if (!m)
        return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "no module %s", name);
    m->version_calls++;
    *v = m->v;
    *n = m->n;
    return 0;
}

static int p_deps(void *ctx, const char *name, const char *version,
                  const wh_resolve_dep **d, size_t *n, wh_err *err)
{
    struct uni *u = ctx;
    struct tmod *m = mod_find(u, name);
    if (u->fail_code)
        return wh_fail(err, u->fail_code, "index.json", -1, "disk on fire");
    for (size_t k = 0; m && k < m->n; k++)
        if (!strcmp(m->v[k].version, version)) {
            m->dep_calls[k]++;
            *d = m->dep[k];
            *n = m->ndep[k];
            return 0;
        }
    fail_msg("dependencies of unknown %s %s", name, version);
    return WH_E_INTERNAL;
}

static const char *p_pref(void *ctx, const char *name)
{
    struct uni *u = ctx;
    for (size_t i = 0; i < 8 && u->pref[i][0]; i++)
        if (!strcmp(u->pref[i][0], name))
            return u->pref[i][1];
    return NULL;
}

/* --- Running a request ------------------------------------------------ */

#define MAXREQ 8

/* Parse "app; json ^3" into requests (Cargo syntax). */
static size_t parse_reqs(char *buf, wh_resolve_request *r,
                         wh_semver_req **parsed)
{
    size_t n = 0;
    for (char *save = NULL, *s = strtok_r(buf, ";", &save); s;
         s = strtok_r(NULL, ";", &save)) {
        while (*s == ' ')
            s++;
        char *sp = strchr(s, ' ');
        assert_true(n < MAXREQ);
        r[n] = (wh_resolve_request){ s, NULL, NULL };
        parsed[n] = NULL;
        if (sp) {
            *sp = '\0';
            assert_int_equal(wh_semver_req_parse(&parsed[n], WH_SEMVER_CARGO,
                                                 sp + 1, strlen(sp + 1),
                                                 NULL), 0);
            r[n].req = parsed[n];
            r[n].req_text = sp + 1;
        }
        n++;
    }
    return n;
}

/* The outcome as one text: picks, "conflict:\n" + explanation, or
 * "limit: reason" (the error code, then the reason). */
static char *outcome(int rc, const wh_resolve_result *res, const wh_err *e)
{
    char *out = calloc(1, 65536);
    size_t len = 0;
    if (rc == WH_E_CONFLICT) {
        assert_string_equal(e->reason,
                            "the requirements cannot all be satisfied");
        assert_string_equal(e->path, "");
        assert_non_null(res->explanation);
        snprintf(out, 65536, "conflict:\n%s", res->explanation);
    } else if (rc) {
        assert_null(res->explanation);
        snprintf(out, 65536, "%s: %s", rc == WH_E_LIMIT ? "limit"
                 : rc == WH_E_FORMAT ? "format" : rc == WH_E_IO ? "io"
                 : rc == WH_E_USAGE ? "usage" : "other", e->reason);
    }
    for (size_t i = 0; !rc && i < res->n; i++)
        len += (size_t)snprintf(out + len, 65536 - len, "%s %s\n",
                                res->pick[i].name, res->pick[i].version);
    return out;
}

static char *resolve_uni(struct uni *u, const char *reqs, size_t max_steps)
{
    char buf[512];
    wh_resolve_request r[MAXREQ];
    wh_semver_req *parsed[MAXREQ];
    wh_resolve_provider p = { u, p_versions, p_deps, p_pref, max_steps };
    wh_resolve_result res;
    wh_err e;
    snprintf(buf, sizeof buf, "%s", reqs);
    size_t n = parse_reqs(buf, r, parsed);
    int rc = wh_resolve(&p, r, n, &res, &e);
    char *out = outcome(rc, &res, &e);
    wh_resolve_result_free(&res);
    for (size_t i = 0; i < n; i++)
        wh_semver_req_free(parsed[i]);
    return out;
}

static char *resolve_str(const struct row *rows, const char *reqs)
{
    struct uni u;
    uni_init(&u, rows);
    char *out = resolve_uni(&u, reqs, 0);
    uni_free(&u);
    return out;
}

static void check(const struct row *rows, const char *reqs,
                  const char *want)
{
    char *got = resolve_str(rows, reqs);
    if (strcmp(got, want))
        printf("request '%s':\n--- want\n%s\n--- got\n%s\n", reqs, want,
               got);
    assert_string_equal(got, want);
    free(got);
}

#define END { NULL, NULL, 0, NULL, NULL }
#define HOST "not available for x86_64-linux"


/* --- Universes -------------------------------------------------------- */

/* The brief's example: two requests needing different majors of json. */
static const struct row two_majors[] = {
    { "app", "1.2.0", 0, NULL, "json ^2" },
    { "audit", "1.0.0", 0, NULL, "json ^1" },
    { "json", "1.0.0", 0, NULL, NULL },
    { "json", "2.0.0", 0, NULL, NULL },
    END
};

static const struct row world[] = {
    { "app", "1.0.0", 0, NULL, "json ^1; xml >=1.1" },
    { "app", "1.1.0", 0, NULL, "json ^1; xml >=1.1" },
    { "json", "1.0.0", 0, NULL, NULL },
    { "json", "1.3.0", 0, NULL, NULL },
    { "json", "2.0.0", 0, NULL, NULL },
    { "json", "3.0.0", 0, NULL, NULL },
    { "xml", "1.0.0", 0, NULL, NULL },
    { "xml", "1.2.0", 0, NULL, "json >=1.2, <2" },
    { "ghosty", "1.0.0", 0, NULL, "ghost ^1" },
    /* backtracking: the newest web needs json ^2, the rest ^1 */
    { "web", "1.0.0", 0, NULL, "json ^1" },
    { "web", "2.0.0", 0, NULL, "json ^2" },
    { "other", "1.0.0", 0, NULL, "json ^1" },
    /* a chain of 3 that fails */
    { "a", "1.0.0", 0, NULL, "b ^1" },
    { "b", "1.0.0", 0, NULL, "c ^2" },
    { "c", "1.0.0", 0, NULL, NULL },
    /* runs of versions stating the same dependency */
    { "lib", "1.0.0", 0, NULL, "json ^1" },
    { "lib", "1.1.0", 0, NULL, "json ^1" },
    { "lib", "1.4.0", 0, NULL, "json ^1" },
    { "lib", "2.0.0", 0, NULL, "json ^2" },
    { "tool", "1.0.0", 0, NULL, "json ^1" },
    { "tool", "1.1.0", 0, NULL, "json ^1" },
    END
};

static const struct row flagged[] = {
    { "yj", "1.0.0", 0, NULL, NULL },
    { "yj", "1.0.1", 1, NULL, NULL },
    { "yj", "2.0.0", 0, NULL, NULL },
    { "yonly", "1.0.1", 1, NULL, NULL },
    { "usesyj", "1.0.0", 0, NULL, "yj ^1" },
    { "uj", "1.0.0", 0, HOST, NULL },
    { "uj", "1.1.0", 0, HOST, NULL },
    { "uj", "2.0.0", 0, NULL, NULL },
    { "useuj", "1.0.0", 0, NULL, "uj ^1" },
    { "mix", "1.0.0", 0, HOST, NULL },
    { "mix", "1.1.0", 1, NULL, NULL },
    { "mix", "1.2.0", 0, HOST, NULL },
    { "mix", "2.0.0-rc.1", 0, NULL, NULL },
    { "hj", "1.0.0", 0, NULL, NULL },
    { "hj", "1.1.0", 0, HOST, NULL },
    END
};

static const struct row cycles[] = {
    { "cy1", "1.0.0", 0, NULL, "cy2 ^1" },
    { "cy2", "1.0.0", 0, NULL, "cy1 ^1; base ^1" },
    { "base", "1.0.0", 0, NULL, NULL },
    { "top", "1.0.0", 0, NULL, "right ^1; left ^1" },
    { "left", "1.0.0", 0, NULL, "base ^1" },
    { "right", "1.0.0", 0, NULL, "base ^1" },
    { "r1", "1.0.0", 0, NULL, "r2 ^1" },
    { "r2", "1.0.0", 0, NULL, "r3 ^1" },
    { "r3", "1.0.0", 0, NULL, "r1 ^1" },
    { "sd", "1.0.0", 0, NULL, "sd ^1" },
    { "sd", "2.0.0", 0, NULL, "sd ^2" },
    END
};

static const struct row pres[] = {
    { "pre", "1.0.0", 0, NULL, NULL },
    { "pre", "1.1.0-beta.1", 0, NULL, NULL },
    { "onlypre", "2.0.0-rc.1", 0, NULL, NULL },
    { "onlypre", "2.0.0-rc.2", 0, NULL, NULL },
    { "yrel", "1.0.0", 1, NULL, NULL },
    { "yrel", "1.1.0-rc.1", 0, NULL, NULL },
    { "p1", "1.0.0", 0, NULL, "pre ^1" },
    { "p2", "1.0.0", 0, NULL, "pre ^1.1.0-beta" },
    END
};

/* The examples of PubGrub's solver.md. */
static const struct row linear[] = {
    { "foo", "1.0.0", 0, NULL, "bar ^2.0.0" },
    { "bar", "2.0.0", 0, NULL, "baz ^3.0.0" },
    { "baz", "1.0.0", 0, NULL, NULL },
    { "baz", "3.0.0", 0, NULL, NULL },
    END
};

static const struct row branching[] = {
    { "foo", "1.0.0", 0, NULL, "a ^1.0.0; b ^1.0.0" },
    { "foo", "1.1.0", 0, NULL, "x ^1.0.0; y ^1.0.0" },
    { "a", "1.0.0", 0, NULL, "b ^2.0.0" },
    { "b", "1.0.0", 0, NULL, NULL },
    { "b", "2.0.0", 0, NULL, NULL },
    { "x", "1.0.0", 0, NULL, "y ^2.0.0" },
    { "y", "1.0.0", 0, NULL, NULL },
    { "y", "2.0.0", 0, NULL, NULL },
    END
};

static const struct row partial[] = {
    { "foo", "1.0.0", 0, NULL, NULL },
    { "foo", "1.1.0", 0, NULL, "left ^1.0.0; right ^1.0.0" },
    { "left", "1.0.0", 0, NULL, "shared >=1.0.0" },
    { "right", "1.0.0", 0, NULL, "shared <2.0.0" },
    { "shared", "2.0.0", 0, NULL, NULL },
    { "shared", "1.0.0", 0, NULL, "target ^1.0.0" },
    { "target", "2.0.0", 0, NULL, NULL },
    { "target", "1.0.0", 0, NULL, NULL },
    END
};

/* --- The rules -------------------------------------------------------- */

static void test_brief_example(void **state)
{
    (void)state;
    check(two_majors, "app; audit",
          "conflict:\n"
          "Because app 1.2.0 depends on json ^2 and audit 1.0.0 depends on "
          "json ^1, app 1.2.0 and audit 1.0.0 cannot both be installed.\n"
          "So, because the request needs app and audit, the request cannot "
          "be satisfied.\n");
    check(two_majors, "app", "json 2.0.0\napp 1.2.0\n");
    check(two_majors, "audit", "json 1.0.0\naudit 1.0.0\n");
}

static void test_highest_transitive(void **state)
{
    (void)state;
    /* json: 1.3.0, the highest meeting ^1 and >=1.2, <2 from xml 1.2.0 */
    check(world, "app", "json 1.3.0\nxml 1.2.0\napp 1.1.0\n");
    check(world, "xml", "json 1.3.0\nxml 1.2.0\n");
    /* json is decided first (one version left), then xml 1.2.0 fails */
    check(world, "xml; json <1.3", "json 1.0.0\nxml 1.0.0\n");
    check(world, "app =1.0.0; json <1.3",
          "conflict:\n"
          "Because every version of app depends on xml >=1.1 which depends "
          "on json >=1.2, <2, every version of app requires json >=1.2, <2.\n"
          "So, because the request needs app =1.0.0 and json <1.3, the "
          "request cannot be satisfied.\n");
    check(world, "json", "json 3.0.0\n");
    check(world, "", "");
}

static void test_backtracking(void **state)
{
    (void)state;
    /* web 2.0.0 is tried first and given up for web 1.0.0 */
    check(world, "web; other", "json 1.3.0\nother 1.0.0\nweb 1.0.0\n");
    check(partial, "foo ^1.0.0; target ^2.0.0",
          "foo 1.0.0\ntarget 2.0.0\n");
    check(partial, "foo ^1.0.0",
          "target 1.0.0\nshared 1.0.0\nleft 1.0.0\nright 1.0.0\n"
          "foo 1.1.0\n");
}

static void test_unknown_module(void **state)
{
    (void)state;
    check(world, "ghosty",
          "conflict:\n"
          "Because ghosty 1.0.0 depends on ghost ^1 and there is no module "
          "named ghost, ghosty 1.0.0 cannot be installed.\n"
          "So, because the request needs ghosty, the request cannot be "
          "satisfied.\n");
    check(world, "ghost ^2",
          "conflict:\n"
          "Because the request needs ghost ^2 and there is no module named "
          "ghost, the request cannot be satisfied.\n");
}

static void test_no_match(void **state)
{
    (void)state;
    check(world, "json ^4",
          "conflict:\n"
          "Because the request needs json ^4 and no version of json matches "
          "^4, the request cannot be satisfied.\n");
}

static void test_yanked(void **state)
{
    (void)state;
    check(flagged, "yonly ^1",
          "conflict:\n"
          "Because the request needs yonly ^1 and yonly 1.0.1 is yanked, the "
          "request cannot be satisfied.\n");
    check(flagged, "yonly",
          "conflict:\n"
          "Because the request needs yonly and yonly 1.0.1 is yanked, the "
          "request cannot be satisfied.\n");
    check(flagged, "yonly =1.0.1", "yonly 1.0.1\n");
    check(flagged, "yj ^1", "yj 1.0.0\n");        /* not the yanked 1.0.1 */
    check(flagged, "yj =1.0.1", "yj 1.0.1\n");
    check(flagged, "usesyj", "yj 1.0.0\nusesyj 1.0.0\n");
    check(flagged, "yj =1.0.1; usesyj",
          "conflict:\n"
          "Because usesyj 1.0.0 depends on yj ^1 and yj 1.0.1 is yanked, "
          "usesyj 1.0.0 requires yj 1.0.0.\n"
          "So, because the request needs usesyj and yj =1.0.1, the request "
          "cannot be satisfied.\n");
}

static void test_unavailable(void **state)
{
    (void)state;
    check(flagged, "uj", "uj 2.0.0\n");
    check(flagged, "hj", "hj 1.0.0\n");           /* 1.1.0 is skipped */
    check(flagged, "useuj",
          "conflict:\n"
          "Because useuj 1.0.0 depends on uj ^1 and uj 1.0.0 and 1.1.0 are "
          "not available for x86_64-linux, useuj 1.0.0 cannot be "
          "installed.\n"
          "So, because the request needs useuj, the request cannot be "
          "satisfied.\n");
    check(flagged, "hj >1.0.0",
          "conflict:\n"
          "Because the request needs hj >1.0.0 and hj 1.1.0 is not available "
          "for x86_64-linux, the request cannot be satisfied.\n");
    check(flagged, "mix ^1",
          "conflict:\n"
          "Because the request needs mix ^1 and none of mix 1.0.0, 1.1.0 and "
          "1.2.0 can be used (1.0.0 and 1.2.0 are not available for "
          "x86_64-linux; 1.1.0 is yanked), the request cannot be "
          "satisfied.\n");
    /* the bare request means releases (there are some): not the rc */
    check(flagged, "mix",
          "conflict:\n"
          "Because the request needs mix and none of mix 1.0.0, 1.1.0 and "
          "1.2.0 can be used (1.0.0 and 1.2.0 are not available for "
          "x86_64-linux; 1.1.0 is yanked), the request cannot be "
          "satisfied.\n");
    check(flagged, "mix ^2.0.0-rc", "mix 2.0.0-rc.1\n");
}

static void test_chain_fails(void **state)
{
    (void)state;
    check(world, "a",
          "conflict:\n"
          "Because a 1.0.0 depends on b ^1 which depends on c ^2, a 1.0.0 "
          "requires c ^2.\n"
          "So, because the request needs a and no version of c matches ^2, "
          "the request cannot be satisfied.\n");
}

static void test_runs_and_ranges(void **state)
{
    (void)state;
    check(world, "lib; json ^3",
          "conflict:\n"
          "Because lib 2.0.0 depends on json ^2 and lib <=1.4.0 depends on "
          "json ^1, every version of lib requires json <=2.0.0.\n"
          "So, because the request needs json ^3 and lib, the request "
          "cannot be satisfied.\n");
    check(world, "lib; json =2.0.0; tool",
          "conflict:\n"
          "Because every version of tool depends on json ^1 and the request "
          "needs json =2.0.0, no version of tool can be installed.\n"
          "So, because the request needs tool, the request cannot be "
          "satisfied.\n");
    check(world, "tool; json ^2",
          "conflict:\n"
          "Because the request needs tool which depends on json ^1, json ^1 "
          "is required.\n"
          "So, because the request needs json ^2, the request cannot be "
          "satisfied.\n");
    check(world, "lib; json ^2", "json 2.0.0\nlib 2.0.0\n");
}

static void test_solver_md(void **state)
{
    (void)state;
    check(linear, "foo ^1.0.0; baz ^1.0.0",
          "conflict:\n"
          "Because foo 1.0.0 depends on bar ^2.0.0 which depends on baz "
          "^3.0.0, foo 1.0.0 requires baz ^3.0.0.\n"
          "So, because the request needs baz ^1.0.0 and foo ^1.0.0, the "
          "request cannot be satisfied.\n");
    check(branching, "foo ^1.0.0",
          "conflict:\n"
          "    Because foo 1.0.0 depends on a ^1.0.0 which depends on b "
          "^2.0.0, foo 1.0.0 requires b ^2.0.0.\n"
          "(1) So, because foo 1.0.0 depends on b ^1.0.0, foo 1.0.0 cannot "
          "be installed.\n"
          "    Because foo 1.1.0 depends on x ^1.0.0 which depends on y "
          "^2.0.0, foo 1.1.0 requires y ^2.0.0.\n"
          "    And because foo 1.1.0 depends on y ^1.0.0, foo 1.1.0 cannot "
          "be installed.\n"
          "    And because foo 1.0.0 cannot be installed (1), no version of "
          "foo can be installed.\n"
          "    So, because the request needs foo ^1.0.0, the request cannot "
          "be satisfied.\n");
}

static void test_cycles_and_order(void **state)
{
    (void)state;
    check(cycles, "cy1", "base 1.0.0\ncy1 1.0.0\ncy2 1.0.0\n");
    check(cycles, "r2", "r1 1.0.0\nr3 1.0.0\nr2 1.0.0\n");
    check(cycles, "top", "base 1.0.0\nleft 1.0.0\nright 1.0.0\ntop 1.0.0\n");
    check(cycles, "sd", "sd 2.0.0\n");
    check(cycles, "sd ^1", "sd 1.0.0\n");  /* a module meeting its own dep */
}

static const struct row selfish[] = {
    { "sd", "1.0.0", 0, NULL, NULL },
    { "sd", "2.0.0", 0, NULL, "sd ^1" },
    END
};

static void test_self_dependency(void **state)
{
    (void)state;
    check(selfish, "sd", "sd 1.0.0\n");
    check(selfish, "sd ^2",
          "conflict:\n"
          "Because the request needs sd ^2 and sd 2.0.0 depends on sd ^1 "
          "which excludes sd 2.0.0, the request cannot be satisfied.\n");
}

static void test_prerelease(void **state)
{
    (void)state;
    check(pres, "pre", "pre 1.0.0\n");
    check(pres, "pre ^1.1.0-beta", "pre 1.1.0-beta.1\n");
    check(pres, "onlypre", "onlypre 2.0.0-rc.2\n");  /* no release at all */
    check(pres, "yrel", "yrel 1.1.0-rc.1\n");       /* the release is yanked */
    check(pres, "p1", "pre 1.0.0\np1 1.0.0\n");
    check(pres, "p2", "pre 1.1.0-beta.1\np2 1.0.0\n");
    check(pres, "p1; p2",
          "conflict:\n"
          "Because p1 1.0.0 depends on pre ^1 and p2 1.0.0 depends on pre "
          "^1.1.0-beta, p1 1.0.0 and p2 1.0.0 cannot both be installed.\n"
          "So, because the request needs p1 and p2, the request cannot be "
          "satisfied.\n");
}

static char *with_pref(const struct row *rows, const char *name,
                       const char *version, const char *reqs)
{
    struct uni u;
    uni_init(&u, rows);
    u.pref[0][0] = name;
    u.pref[0][1] = version;
    char *out = resolve_uni(&u, reqs, 0);
    uni_free(&u);
    return out;
}

static void test_preferred(void **state)
{
    (void)state;
    char *s = with_pref(world, "json", "1.0.0", "json ^1");
    assert_string_equal(s, "json 1.0.0\n");
    free(s);
    s = with_pref(world, "json", "1.0.0", "json ^1; xml");
    assert_string_equal(s, "json 1.0.0\nxml 1.0.0\n");
    free(s);  /* kept (json is decided first), so xml 1.2.0 is not */
    s = with_pref(world, "json", "1.0.0", "json; xml");
    assert_string_equal(s, "json 1.3.0\nxml 1.2.0\n");
    free(s);  /* xml (2 versions) is decided before json (4): dropped */
    s = with_pref(world, "json", "1.0.0", "app");
    assert_string_equal(s, "json 1.3.0\nxml 1.2.0\napp 1.1.0\n");
    free(s);  /* dropped: app needs xml 1.2.0, which needs json >=1.2 */
    s = with_pref(world, "web", "2.0.0", "web");
    assert_string_equal(s, "json 2.0.0\nweb 2.0.0\n");
    free(s);
    s = with_pref(world, "web", "2.0.0", "web; other");
    assert_string_equal(s, "json 1.3.0\nother 1.0.0\nweb 1.0.0\n");
    free(s);
    s = with_pref(flagged, "yj", "1.0.1", "yj");    /* yanked: needs a pin */
    assert_string_equal(s, "yj 2.0.0\n");
    free(s);
    s = with_pref(flagged, "yj", "9.9.9", "yj");    /* not listed: ignored */
    assert_string_equal(s, "yj 2.0.0\n");
    free(s);
}

/* --- Determinism, the provider, errors, limits ------------------------ */

static void test_deterministic(void **state)
{
    (void)state;
    static const char *const reqs[] = { "app", "web; other", "lib; json ^3",
                                        "a", "app; audit", "mix ^1" };
    const struct row *tables[] = { world, world, world, world, two_majors,
                                   flagged };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        size_t n = 0;
        while (tables[i][n].name)
            n++;
        struct row *rev = calloc(n + 1, sizeof *rev);
        for (size_t k = 0; k < n; k++)
            rev[k] = tables[i][n - 1 - k];
        char *a = resolve_str(tables[i], reqs[i]);
        char *b = resolve_str(rev, reqs[i]);
        char *c = resolve_str(tables[i], reqs[i]);
        assert_string_equal(a, b);
        assert_string_equal(a, c);
        free(a);
        free(b);
        free(c);
        free(rev);
    }
}

static void test_provider_calls(void **state)
{
    (void)state;
    struct uni u;
    uni_init(&u, world);
    char *s = resolve_uni(&u, "web; other; lib", 0);
    assert_string_equal(s, "json 1.3.0\nlib 1.4.0\nother 1.0.0\nweb 1.0.0\n");
    free(s);
    int deps = 0;
    for (size_t i = 0; i < u.nmod; i++) {
        assert_true(u.mod[i].version_calls <= 1);
        for (size_t k = 0; k < u.mod[i].n; k++) {
            assert_true(u.mod[i].dep_calls[k] <= 1);
            deps += u.mod[i].dep_calls[k];
        }
    }
    assert_int_equal(mod_find(&u, "json")->version_calls, 1);
    assert_int_equal(mod_find(&u, "app")->version_calls, 0);
    assert_int_equal(deps, 8);  /* web x2, other, lib x4 (a run), json */
    uni_free(&u);
    uni_init(&u, world);
    u.fail_code = WH_E_IO;
    s = resolve_uni(&u, "app", 0);
    assert_string_equal(s, "io: disk on fire");
    free(s);
    uni_free(&u);
}

static const struct row bad_version[] = {
    { "app", "1.0.0", 0, NULL, "json ^1" },
    { "json", "1.0", 0, NULL, NULL },
    END
};

static const struct row twice[] = {
    { "json", "1.0.0", 0, NULL, NULL },
    { "json", "1.0.0+build.2", 0, NULL, NULL },
    END
};

static const struct row bad_req[] = {
    { "app", "1.0.0", 0, NULL, "json >=1.x.2" },
    { "json", "1.0.0", 0, NULL, NULL },
    END
};

static void test_errors(void **state)
{
    (void)state;
    check(bad_version, "app",
          "format: module 'json': version '1.0': missing patch version");
    check(twice, "json",
          "format: module 'json': versions '1.0.0' and '1.0.0+build.2' are "
          "the same");
    check(bad_req, "app",
          "format: module 'app' version '1.0.0': dependency 'json': "
          "'>=1.x.2': version number after a wildcard is not allowed in "
          "'1.x.2'");
}

static void test_request_forms(void **state)
{
    (void)state;
    struct uni u;
    wh_semver_req *req;
    wh_resolve_result res;
    wh_err e;
    uni_init(&u, world);
    assert_int_equal(wh_semver_req_parse(&req, WH_SEMVER_NPM, "4.x", 3, NULL),
                     0);
    wh_resolve_request r[2] = { { "json", req, NULL }, { "", NULL, NULL } };
    wh_resolve_provider p = { &u, p_versions, p_deps, NULL, 0 };
    assert_int_equal(wh_resolve(&p, r, 1, &res, &e), WH_E_CONFLICT);
    assert_string_equal(res.explanation,
                        "Because the request needs json >=4.0.0 <5.0.0-0 and "
                        "no version of json matches >=4.0.0 <5.0.0-0, the "
                        "request cannot be satisfied.\n");
    wh_resolve_result_free(&res);
    assert_null(res.explanation);
    assert_int_equal(wh_resolve(&p, r + 1, 1, &res, &e), WH_E_USAGE);
    assert_string_equal(e.reason, "request 1 names no module");
    wh_resolve_result_free(&res);
    wh_semver_req_free(req);
    uni_free(&u);
    wh_resolve_result_free(NULL);
}

static void test_step_limit(void **state)
{
    (void)state;
    struct uni u;
    uni_init(&u, branching);
    char *s = resolve_uni(&u, "foo ^1.0.0", 5);
    assert_string_equal(s, "limit: resolution needed more than 5 steps");
    free(s);
    s = resolve_uni(&u, "foo ^1.0.0", 100);
    assert_true(!strncmp(s, "conflict:\n", 10));
    free(s);
    uni_free(&u);
}

/* A chain c0 -> c1 -> ... longer than the module cap, made on demand. */
struct chain {
    char           **name;
    size_t           n;
    wh_resolve_dep  *dep;
};

static const wh_resolve_version chain_v[] = { { "1.0.0", 0, NULL } };

static long chain_index(const char *name)
{
    return name[0] == 'c' ? strtol(name + 1, NULL, 10) : -1;
}

static int chain_versions(void *ctx, const char *name,
                          const wh_resolve_version **v, size_t *n, wh_err *err)
{
    (void)ctx;
    (void)err;
    *v = chain_v;
    *n = chain_index(name) >= 0;
    return 0;
}

static int chain_deps(void *ctx, const char *name, const char *version,
                      const wh_resolve_dep **d, size_t *n, wh_err *err)
{
    struct chain *c = ctx;
    long i = chain_index(name);
    (void)version;
    (void)err;
    *d = &c->dep[i];
    *n = (size_t)i + 1 < c->n;
    return 0;
}

static void test_module_limit(void **state)
{
    (void)state;
    struct chain c = { calloc(WH_RESOLVE_MAX_MODULES + 2, sizeof(char *)),
                       WH_RESOLVE_MAX_MODULES + 2,
                       calloc(WH_RESOLVE_MAX_MODULES + 2, sizeof *c.dep) };
    for (size_t i = 0; i < c.n; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "c%zu", i);
        c.name[i] = strdup(buf);
    }
    for (size_t i = 0; i + 1 < c.n; i++)
        c.dep[i] = (wh_resolve_dep){ c.name[i + 1], "^1" };
    wh_resolve_provider p = { &c, chain_versions, chain_deps, NULL, 0 };
    wh_resolve_request r = { "c0", NULL, NULL };
    wh_resolve_result res;
    wh_err e;
    assert_int_equal(wh_resolve(&p, &r, 1, &res, &e), WH_E_LIMIT);
    assert_string_equal(e.reason, "resolution needed more than 50000 modules");
    wh_resolve_result_free(&res);
    c.n = 1000;  /* a shorter chain resolves, innermost first */
    assert_int_equal(wh_resolve(&p, &r, 1, &res, &e), 0);
    assert_int_equal(res.n, 1000);
    assert_string_equal(res.pick[0].name, "c999");
    assert_string_equal(res.pick[999].name, "c0");
    wh_resolve_result_free(&res);
    for (size_t i = 0; i < WH_RESOLVE_MAX_MODULES + 2; i++)
        free(c.name[i]);
    free(c.name);
    free(c.dep);
}

/* A chain of 1000 ending in a module with no versions: the explanation
 * (one line per two links) is cut at a depth the C stack can take, and
 * says so. */
static void test_deep_explanation(void **state)
{
    (void)state;
    struct chain c = { calloc(1001, sizeof(char *)), 1001,
                       calloc(1001, sizeof *c.dep) };
    for (size_t i = 0; i < c.n; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "c%zu", i);
        c.name[i] = strdup(buf);
    }
    for (size_t i = 0; i + 1 < c.n; i++)
        c.dep[i] = (wh_resolve_dep){ c.name[i + 1], "^1" };
    c.dep[999].name = "x";  /* no version at all */
    wh_resolve_provider p = { &c, chain_versions, chain_deps, NULL, 0 };
    wh_resolve_request r = { "c0", NULL, NULL };
    wh_resolve_result res;
    wh_err e;
    assert_int_equal(wh_resolve(&p, &r, 1, &res, &e), WH_E_CONFLICT);
    const char *x = res.explanation, *last = x;
    size_t lines = 0;
    for (const char *q = x; *q; q++)
        if (*q == '\n' && q[1]) {
            lines++;
            last = q + 1;
        }
    assert_int_equal(lines, 201);
    assert_true(!strncmp(x, "After more steps than are shown here, c0 "
                            "1.0.0 requires c", 57));
    assert_string_equal(last, "So, because the request needs c0 and no "
                              "version of x matches ^1, the request cannot "
                              "be satisfied.\n");
    wh_resolve_result_free(&res);
    for (size_t i = 0; i < c.n; i++)
        free(c.name[i]);
    free(c.name);
    free(c.dep);
}

static void test_req_exact(void **state)
{
    (void)state;
    static const struct {
        wh_semver_syntax syn;
        const char *req, *pin;
    } t[] = {
        { WH_SEMVER_CARGO, "=1.0.1", "1.0.1" },
        { WH_SEMVER_CARGO, "= 1.0.0-rc.1", "1.0.0-rc.1" },
        { WH_SEMVER_CARGO, "1.0.1", NULL },      /* a caret */
        { WH_SEMVER_CARGO, "=1.0", NULL },       /* a range */
        { WH_SEMVER_CARGO, "=1.0.1, =1.0.1", NULL },
        { WH_SEMVER_NPM, "1.0.1", "1.0.1" },
        { WH_SEMVER_NPM, "=v2.0.0", "2.0.0" },
        { WH_SEMVER_NPM, "1.0.1 || 1.0.2", NULL },
        { WH_SEMVER_NPM, "*", NULL },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        wh_semver_req *r;
        wh_semver v;
        char buf[64] = "";
        assert_int_equal(wh_semver_req_parse(&r, t[i].syn, t[i].req,
                                             strlen(t[i].req), NULL), 0);
        bool exact = wh_semver_req_exact(r, &v);
        if (exact)
            wh_semver_format(&v, buf, sizeof buf);
        assert_string_equal(buf, t[i].pin ? t[i].pin : "");
        assert_int_equal(exact, t[i].pin != NULL);
        assert_int_equal(wh_semver_req_exact(r, NULL), exact);
        wh_semver_req_free(r);
    }
}

/* --- Performance ------------------------------------------------------ */

/* 10,000 modules m0..m9999 x 10 versions, listed out of order.  Module
 * 50c+j depends on 50c+j+1, +2 and +4 (those below 50c+50) with ranges
 * ">=1.L, <1.U" that always overlap, so requesting m50c pulls in its
 * cluster of 50. */
#define PM 10000
#define PV 10

struct perf {
    char                *name[PM];
    wh_resolve_version   v[PV];
    wh_resolve_dep       dep[PM][PV][3];
    size_t               ndep[PM][PV];
    char                 req[5][5][16];
    char                 vtext[PV][8];
};

static int perf_versions(void *ctx, const char *name,
                         const wh_resolve_version **v, size_t *n, wh_err *err)
{
    struct perf *p = ctx;
    long i = name[0] == 'm' ? strtol(name + 1, NULL, 10) : -1;
    if (i < 0 || i >= PM)
        return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "no %s", name);
    *v = p->v;
    *n = PV;
    return 0;
}

static int perf_deps(void *ctx, const char *name, const char *version,
                     const wh_resolve_dep **d, size_t *n, wh_err *err)
{
    struct perf *p = ctx;
    long i = strtol(name + 1, NULL, 10), v = version[2] - '0';
    (void)err;
    *d = p->dep[i][v];
    *n = p->ndep[i][v];
    return 0;
}

static struct perf *perf_make(void)
{
    static const int step[3] = { 1, 2, 4 };
    struct perf *p = calloc(1, sizeof *p);
    for (int l = 0; l < 5; l++)
        for (int u = 0; u < 5; u++)
            snprintf(p->req[l][u], 16, ">=1.%d, <1.%d", l, 5 + u);
    for (int v = 0; v < PV; v++) {
        snprintf(p->vtext[v], 8, "1.%d.0", (v * 7 + 3) % PV);
        p->v[v] = (wh_resolve_version){ p->vtext[v], 0, NULL };
    }
    for (int i = 0; i < PM; i++) {
        char buf[16];
        snprintf(buf, sizeof buf, "m%d", i);
        p->name[i] = strdup(buf);
    }
    for (int i = 0; i < PM; i++)
        for (int v = 0; v < PV; v++)
            for (int k = 0; k < 3; k++)
                if (i % 50 + step[k] < 50)
                    p->dep[i][v][p->ndep[i][v]++] = (wh_resolve_dep){
                        p->name[i + step[k]],
                        p->req[(v + k) % 5][(i + k) % 5] };
    return p;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void test_performance(void **state)
{
    (void)state;
    struct perf *p = perf_make();
    wh_resolve_provider prov = { p, perf_versions, perf_deps, NULL, 0 };
    wh_resolve_request r[10];
    wh_resolve_result res;
    wh_err e;
    double worst = 0, t;
    for (int c = 0; c < 10; c++) {
        r[0] = (wh_resolve_request){ p->name[c * 50 * 19], NULL, NULL };
        t = now_ms();
        assert_int_equal(wh_resolve(&prov, r, 1, &res, &e), 0);
        t = now_ms() - t;
        worst = t > worst ? t : worst;
        assert_int_equal(res.n, 50);
        assert_string_equal(res.pick[49].name, p->name[c * 50 * 19]);
        assert_string_equal(res.pick[49].version, "1.9.0");
        wh_resolve_result_free(&res);
    }
    for (int c = 0; c < 10; c++)
        r[c] = (wh_resolve_request){ p->name[c * 50 * 13], NULL, NULL };
    t = now_ms();
    assert_int_equal(wh_resolve(&prov, r, 10, &res, &e), 0);
    t = now_ms() - t;
    assert_int_equal(res.n, 500);
    wh_resolve_result_free(&res);
    printf("resolve: 50-module closure of 10,000 modules x 10 versions: "
           "%.2f ms at worst of 10; 500 modules: %.2f ms\n", worst, t);
    assert_true(worst < 200);
    for (int i = 0; i < PM; i++)
        free(p->name[i]);
    free(p);
}

WH_TEST_MAIN("resolve",
             cmocka_unit_test(test_brief_example),
             cmocka_unit_test(test_highest_transitive),
             cmocka_unit_test(test_backtracking),
             cmocka_unit_test(test_unknown_module),
             cmocka_unit_test(test_no_match),
             cmocka_unit_test(test_yanked),
             cmocka_unit_test(test_unavailable),
             cmocka_unit_test(test_chain_fails),
             cmocka_unit_test(test_runs_and_ranges),
             cmocka_unit_test(test_solver_md),
             cmocka_unit_test(test_cycles_and_order),
             cmocka_unit_test(test_self_dependency),
             cmocka_unit_test(test_prerelease),
             cmocka_unit_test(test_preferred),
             cmocka_unit_test(test_deterministic),
             cmocka_unit_test(test_provider_calls),
             cmocka_unit_test(test_errors),
             cmocka_unit_test(test_request_forms),
             cmocka_unit_test(test_step_limit),
             cmocka_unit_test(test_module_limit),
             cmocka_unit_test(test_deep_explanation),
             cmocka_unit_test(test_req_exact),
             cmocka_unit_test(test_performance))

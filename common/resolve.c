/* resolve.c - the dependency resolver: PubGrub over bitsets of versions.
 *
 * This is the implementation of resolve.h: Natalie Weizenbaum's PubGrub
 * (the solver of Dart's pub, described in its "solver.md"), which learns
 * from every conflict and explains a failure as a chain of facts.
 *
 * VOCABULARY
 *
 * A term says something about one module: "json ^1" (a version in that
 * set is installed) or "not json ^1" (json is absent, or installed at a
 * version outside the set).  An incompatibility is a set of terms that
 * cannot all hold at once: {app 1.2.0, not json ^2} is "app 1.2.0 depends
 * on json ^2".  The partial solution is a list of assignments (terms
 * taken as true), each a decision (pick this version) or a derivation
 * (forced by an incompatibility, its cause); a decision opens a new
 * decision level.  The request is a pseudo-module, the root, whose
 * dependencies are what the user asked for; {not root} starts it all.
 *
 * SETS ARE BITSETS
 *
 * Every module's versions are known once asked for, and few, so a term's
 * set is a bitset over the module's elements, in version order:
 *
 *   - one element per version;
 *   - a second element for a yanked version: the first stands for "this
 *     version, reached through an ordinary requirement" and is never
 *     usable, the second for "this version, pinned with =" and is; so a
 *     yanked version is in every matching set (the explanation can then
 *     say "json 1.0.1 is yanked") yet only a pin can get it chosen;
 *   - PHANTOM, "a version the index does not list": put only in the set
 *     of a requirement that matches no listed version, so that such a set
 *     is not empty and its negation is not "anything" (Dart's version
 *     ranges get this for free: ^3 contains versions nobody published);
 *   - ABSENT, "not installed": set in negative terms only.
 *
 * Then intersection is AND, negation is NOT, "the solution satisfies t"
 * is acc ⊆ t and "contradicts t" is acc ∩ t = ∅, where acc is the AND of
 * the module's assignments (stored with each assignment, so the earliest
 * assignment that satisfies a term is found walking back from the newest).
 * An unusable element (unavailable, or yanked and not pinned) is never
 * decided; PHANTOM and ABSENT never either.
 *
 * THE LOOP (solve)
 *
 *   1. Unit propagation (propagate): for each incompatibility naming a
 *      changed module, newest first: if every term holds it is a
 *      conflict (go to 3); if all but one hold and that one is
 *      undecided, derive its negation.
 *   2. Decision (choose): among modules with a positive derivation and
 *      no decision, take the one with fewest usable versions left (ties:
 *      by name).  No usable version: add {json S} ("no version of json
 *      matches ^3", or "json 1.0.1 is yanked") or {ghost} ("there is no
 *      module named ghost").  Otherwise take the preferred version if it
 *      is left, else the highest; add its dependencies as
 *      incompatibilities {app V..W, not json ^2} (one for every run of
 *      adjacent versions that state the same dependency, so explanations
 *      say "every version of app depends on json ^2" and a conflict rules
 *      out the whole run); decide it unless one of them already fails.
 *      Nothing left to decide: done, the decisions are the answer.
 *   3. Conflict resolution (resolve_conflict): find the term satisfied
 *      last and its satisfier.  If the satisfier is a decision, or the
 *      only assignment at its level that matters, backjump to the level
 *      before and return the incompatibility (learned, if new), which
 *      then derives something at once.  Otherwise replace the term by the
 *      satisfier's cause (resolution), plus "not (satisfier minus term)"
 *      when the satisfier alone was not enough, and repeat.  An
 *      incompatibility holding only the root means failure.
 *
 * Cycles need nothing special: a module that is decided is not decided
 * again.  Work is bounded: decisions plus resolution steps are counted
 * against max_steps, modules and versions against their caps.
 *
 * EXPLANATIONS (report)
 *
 * The failure is the root of a tree of derived incompatibilities whose
 * leaves are external facts.  The writer follows Dart's reporter: it
 * counts how often each derived incompatibility is used; one used twice
 * is numbered "(1)" when written and cited by number afterwards.  A
 * derived incompatibility with two external causes is one line, "Because
 * A and B, C."; a derived one with a derived cause first explains that
 * cause, then "And because B, C." ("So," on the final line and on a line
 * concluding a branch that is cited later), collapsing a chain through
 * one external fact into "And because A and B, C.".  Facts read:
 *
 *   the request needs json ^3          app 1.2.0 depends on json ^2
 *   every version of app depends on json ^2
 *   there is no module named ghost     no version of json matches ^3
 *   json 1.0.1 is yanked               json 1.0.0 is not available for ...
 *   none of json 1.0.0 and 1.1.0 can be used (1.0.0 is not available
 *   for x86_64-linux; 1.1.0 is yanked)
 *   app 2.0.0 depends on app ^1 which excludes app 2.0.0
 *
 * and two facts about one depender join: "the request needs app and
 * audit", "app 1.0.0 depends on b ^1 which depends on c ^2"; a fact
 * about a missing version comes after the dependency it defeats.
 * Conclusions read "app 1.2.0 and audit 1.0.0 cannot both be installed",
 * "app 1.2.0 cannot be installed", "no version of app can be installed",
 * "app 1.0.0 requires json 1.0.0", "json ^1 is required", and at the end
 * "the request cannot be satisfied".  A term prints as the requirement
 * it came from ("json ^2", "app" for a bare request), else as one
 * version ("app 1.2.0"), "every version of json", or ranges over the
 * listed versions (">=1.0.0, <=1.4.0", "<=1.1.0 || 2.0.0").  Every name,
 * version and reason passes through wh_quote: the text is printable.
 * Beyond MAX_DEPTH nested derivations (a hostile chain of modules) the
 * writer stops recursing and opens with "After more steps than are shown
 * here, c0 1.0.0 requires c600 ^1."
 *
 * Tests: tests/unit/resolve_test.c
 */
#include "common/resolve.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Explanations deeper than this are cut short (the C stack is finite). */
#define MAX_DEPTH 200

/* A set lives in one of two arenas: perm (terms of incompatibilities,
 * never freed) or trail (assignments, popped on backtracking). */
typedef size_t setref;
#define TRAIL ((size_t)1 << (sizeof(size_t) * 8 - 1))

enum { C_ROOT, C_REQUEST, C_DEP, C_SELF, C_NOTFOUND, C_NOVERSIONS,
       C_DERIVED };
enum { REL_SAT, REL_CONTRA, REL_INCONC };

struct rver {
    wh_semver                 sv;
    const wh_resolve_version *src;
    const wh_resolve_dep     *dep;
    size_t                    ndep;
    bool                      have_deps;
    uint32_t                  elem;     /* its first element */
};

/* A run of versions lo..hi whose dependency name/req is already added. */
struct added {
    const char *name, *req;
    size_t      lo, hi;
};

struct rpkg {
    const char   *name;       /* NULL: the root, i.e. the request */
    struct rver  *ver;
    size_t        nver;
    uint32_t     *ever;       /* element -> version index */
    size_t        nelem, words;
    setref        usable;
    long          pref;       /* preferred element, -1 if none */
    long          last;       /* newest assignment, -1 if none */
    int32_t      *inc;        /* incompatibilities naming it */
    size_t        ninc, cinc;
    struct added *add;
    size_t        nadd, cadd;
    bool          loaded, notfound, decided, pending, changed;
};

struct term {
    uint32_t    pkg;
    setref      set;
    const char *text;         /* requirement as written, "" = any; NULL */
};

struct inc {
    size_t      t0;           /* first term in solver.term */
    uint32_t    nt;
    uint8_t     cause;        /* C_* */
    int32_t     c1, c2;       /* C_DERIVED: conflict and satisfier cause */
    const char *note;         /* C_SELF: the requirement */
};

struct asg {
    uint32_t    pkg;
    int         level;
    int32_t     cause;        /* incompatibility, -1 for a decision */
    long        prev;         /* previous assignment of pkg, -1 */
    setref      set, acc;     /* the term; AND of pkg's terms so far */
    const char *text;         /* acc's text when it equals a requirement */
    size_t      mark;         /* trail size before this assignment */
};

struct solver {
    const wh_resolve_provider *prov;
    const wh_resolve_request  *req;
    size_t                     nreq;
    wh_err                    *err;
    uint64_t *perm, *trail;
    size_t    nperm, cperm, ntrail, ctrail;
    struct rpkg *pkg;
    size_t       npkg, cpkg;
    uint32_t    *tab;         /* name hash: pkg id + 1, 0 = empty */
    size_t       tabcap;
    struct term *term, *scratch;
    size_t       nterm, cterm, nscratch, cscratch;
    struct inc  *inc;
    size_t       ninc, cinc;
    struct asg  *asg;
    size_t       nasg, casg;
    uint32_t    *pending, *changed;
    size_t       npending, cpending, nchanged, cchanged;
    char       **owned;       /* strings made here (formatted requests) */
    size_t       nowned, cowned;
    int          level;
    size_t       steps, max_steps;
    bool         root_deps;
};

static const wh_resolve_version root_version = { "", 0, NULL };

/* --- Memory ----------------------------------------------------------- */

static int nomem(struct solver *s)
{
    return wh_fail(s->err, WH_E_NOMEM, NULL, -1, NULL);
}

/* Make room for `need` elements of `size` bytes in the array whose
 * pointer is at *slot and capacity at *cap. */
static int grow_(void *slot, size_t *cap, size_t need, size_t size)
{
    void *p, *q;
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    memcpy(&p, slot, sizeof p);
    if (n > SIZE_MAX / size || !(q = realloc(p, n * size)))
        return WH_E_NOMEM;
    memcpy(slot, &q, sizeof q);
    *cap = n;
    return 0;
}
#define GROW(arr, cap, need) grow_(&(arr), &(cap), (need), sizeof *(arr))

/* --- Bitsets ---------------------------------------------------------- */

static uint64_t *bits(const struct solver *s, setref r)
{
    return r & TRAIL ? s->trail + (r & ~TRAIL) : s->perm + r;
}

/* A zeroed set for module id, in the trail or the perm arena. */
static int set_new(struct solver *s, uint32_t id, bool trail, setref *out)
{
    size_t w = s->pkg[id].words;
    uint64_t **a = trail ? &s->trail : &s->perm;
    size_t *n = trail ? &s->ntrail : &s->nperm;
    size_t *cap = trail ? &s->ctrail : &s->cperm;
    if (grow_(a, cap, *n + w, sizeof **a))
        return nomem(s);
    memset(*a + *n, 0, w * sizeof **a);
    *out = *n | (trail ? TRAIL : 0);
    *n += w;
    return 0;
}

static size_t phantom(const struct rpkg *p) { return p->nelem; }
static size_t absent(const struct rpkg *p) { return p->nelem + 1; }

static bool b_has(const uint64_t *b, size_t i)
{
    return b[i / 64] >> (i % 64) & 1;
}

static void b_set(uint64_t *b, size_t i)
{
    b[i / 64] |= (uint64_t)1 << (i % 64);
}

/* Bits of the last word that belong to the universe of p. */
static uint64_t tail_mask(const struct rpkg *p)
{
    size_t e = (p->nelem + 2) % 64;
    return e ? ((uint64_t)1 << e) - 1 : ~(uint64_t)0;
}

static void b_not(uint64_t *b, const struct rpkg *p)
{
    for (size_t i = 0; i < p->words; i++)
        b[i] = ~b[i];
    b[p->words - 1] &= tail_mask(p);
}

static bool b_subset(const uint64_t *a, const uint64_t *b, size_t w)
{
    for (size_t i = 0; i < w; i++)
        if (a[i] & ~b[i])
            return false;
    return true;
}

static bool b_disjoint(const uint64_t *a, const uint64_t *b, size_t w)
{
    for (size_t i = 0; i < w; i++)
        if (a[i] & b[i])
            return false;
    return true;
}

static bool b_empty(const uint64_t *a, size_t w)
{
    for (size_t i = 0; i < w; i++)
        if (a[i])
            return false;
    return true;
}

static bool b_full(const uint64_t *a, const struct rpkg *p)
{
    for (size_t i = 0; i + 1 < p->words; i++)
        if (~a[i])
            return false;
    return a[p->words - 1] == tail_mask(p);
}

static bool b_equal(const uint64_t *a, const uint64_t *b, size_t w)
{
    return memcmp(a, b, w * sizeof *a) == 0;
}

/* The highest usable element in acc, or -1. */
static long b_best(const uint64_t *acc, const uint64_t *usable, size_t w)
{
    for (size_t i = w; i-- > 0;) {
        uint64_t x = acc[i] & usable[i];
        if (x)
            return (long)(i * 64 + 63 - (size_t)__builtin_clzll(x));
    }
    return -1;
}

static size_t b_count(const uint64_t *a, const uint64_t *b, size_t w)
{
    size_t n = 0;
    for (size_t i = 0; i < w; i++)
        n += (size_t)__builtin_popcountll(a[i] & b[i]);
    return n;
}

/* --- Modules ---------------------------------------------------------- */

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211u;
    return h;
}

static int tab_grow(struct solver *s)
{
    size_t cap = s->tabcap ? s->tabcap * 2 : 64;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t)
        return nomem(s);
    for (size_t i = 1; i < s->npkg; i++) {
        size_t h = (size_t)hash_name(s->pkg[i].name) & (cap - 1);
        while (t[h])
            h = (h + 1) & (cap - 1);
        t[h] = (uint32_t)i + 1;
    }
    free(s->tab);
    s->tab = t;
    s->tabcap = cap;
    return 0;
}

/* The id of module `name`, or 0 (the root's) if it was never named. */
static uint32_t pkg_lookup(const struct solver *s, const char *name)
{
    if (!s->tabcap)
        return 0;
    size_t h = (size_t)hash_name(name) & (s->tabcap - 1);
    for (; s->tab[h]; h = (h + 1) & (s->tabcap - 1))
        if (!strcmp(s->pkg[s->tab[h] - 1].name, name))
            return s->tab[h] - 1;
    return 0;
}

/* The id of module `name`, made (not loaded) on first mention. */
static int pkg_find(struct solver *s, const char *name, uint32_t *id)
{
    if ((*id = pkg_lookup(s, name)))
        return 0;
    if (s->npkg > WH_RESOLVE_MAX_MODULES)
        return wh_fail(s->err, WH_E_LIMIT, NULL, -1,
                       "resolution needed more than %d modules",
                       WH_RESOLVE_MAX_MODULES);
    /* pending and changed hold each module at most once (flags) */
    if (GROW(s->pkg, s->cpkg, s->npkg + 1) ||
        GROW(s->pending, s->cpending, s->npkg + 1) ||
        GROW(s->changed, s->cchanged, s->npkg + 1))
        return nomem(s);
    if (2 * (s->npkg + 1) > s->tabcap && tab_grow(s))
        return WH_E_NOMEM;
    struct rpkg *p = &s->pkg[s->npkg];
    memset(p, 0, sizeof *p);
    p->name = name;
    p->pref = p->last = -1;
    size_t h = (size_t)hash_name(name) & (s->tabcap - 1);
    while (s->tab[h])
        h = (h + 1) & (s->tabcap - 1);
    s->tab[h] = (uint32_t)s->npkg + 1;
    *id = (uint32_t)s->npkg++;
    return 0;
}

static int cmp_ver(const void *a, const void *b)
{
    return wh_semver_compare(&((const struct rver *)a)->sv,
                             &((const struct rver *)b)->sv);
}

static bool usable_elem(const struct rpkg *p, size_t e)
{
    const struct rver *v = &p->ver[p->ever[e]];
    return !v->src->unavailable && (!v->src->yanked || e != v->elem);
}

/* Number the elements (two per yanked version) and mark the usable. */
static int pkg_elements(struct solver *s, uint32_t id)
{
    struct rpkg *p = &s->pkg[id];
    size_t n = 0;
    for (size_t i = 0; i < p->nver; i++)
        n += p->ver[i].src->yanked ? 2 : 1;
    if (!(p->ever = malloc((n ? n : 1) * sizeof *p->ever)))
        return nomem(s);
    for (size_t i = 0; i < p->nver; i++) {
        p->ver[i].elem = (uint32_t)p->nelem;
        p->ever[p->nelem++] = (uint32_t)i;
        if (p->ver[i].src->yanked)
            p->ever[p->nelem++] = (uint32_t)i;
    }
    p->words = (p->nelem + 2 + 63) / 64;
    int rc = set_new(s, id, false, &p->usable);
    for (size_t e = 0; !rc && e < p->nelem; e++)
        if (usable_elem(&s->pkg[id], e))
            b_set(bits(s, s->pkg[id].usable), e);
    return rc;
}

static int parse_versions(struct solver *s, struct rpkg *p,
                          const wh_resolve_version *v, size_t n)
{
    wh_err e;
    if (!(p->ver = calloc(n ? n : 1, sizeof *p->ver)))
        return nomem(s);
    for (size_t i = 0; i < n; i++, p->nver++) {
        p->ver[i].src = &v[i];
        if (!v[i].version)
            return wh_fail(s->err, WH_E_FORMAT, NULL, -1,
                           "module '%s': a version has no text", p->name);
        if (wh_semver_parse(&p->ver[i].sv, v[i].version,
                            strlen(v[i].version), &e))
            return wh_fail(s->err, WH_E_FORMAT, NULL, -1,
                           "module '%s': version '%s': %s", p->name,
                           v[i].version, e.reason);
    }
    qsort(p->ver, n, sizeof *p->ver, cmp_ver);
    for (size_t i = 1; i < n; i++)
        if (!cmp_ver(&p->ver[i - 1], &p->ver[i]))
            return wh_fail(s->err, WH_E_FORMAT, NULL, -1,
                           "module '%s': versions '%s' and '%s' are the "
                           "same", p->name, p->ver[i - 1].src->version,
                           p->ver[i].src->version);
    return 0;
}

/* The element of the provider's preferred version, if it has one. */
static void pkg_preferred(struct solver *s, struct rpkg *p)
{
    const char *t = s->prov->preferred ?
        s->prov->preferred(s->prov->ctx, p->name) : NULL;
    wh_semver v;
    if (!t || wh_semver_parse(&v, t, strlen(t), NULL))
        return;
    for (size_t i = 0; i < p->nver; i++)
        if (!wh_semver_compare(&p->ver[i].sv, &v))
            p->pref = p->ver[i].elem + (p->ver[i].src->yanked ? 1 : 0);
}

/* Ask the provider for the versions of module id (once). */
static int pkg_load(struct solver *s, uint32_t id)
{
    const wh_resolve_version *v = NULL;
    size_t n = 0;
    if (s->pkg[id].loaded)
        return 0;
    int rc = s->prov->versions(s->prov->ctx, s->pkg[id].name, &v, &n,
                               s->err);
    if (rc == WH_E_NOTFOUND) {
        s->pkg[id].notfound = true;
        n = 0;
        wh_err_clear(s->err);
    } else if (rc) {
        return rc;
    }
    if (n > WH_RESOLVE_MAX_VERSIONS)
        return wh_fail(s->err, WH_E_LIMIT, NULL, -1,
                       "module '%s' has more than %d versions",
                       s->pkg[id].name, WH_RESOLVE_MAX_VERSIONS);
    if ((rc = parse_versions(s, &s->pkg[id], v, n)) ||
        (rc = pkg_elements(s, id)))
        return rc;
    pkg_preferred(s, &s->pkg[id]);
    s->pkg[id].loaded = true;
    return 0;
}

/* The set "module id, req" stands for (req NULL: the newest release). */
static int req_set(struct solver *s, uint32_t id, const wh_semver_req *req,
                   setref *out)
{
    wh_semver pin;
    bool exact = req && wh_semver_req_exact(req, &pin), release = false;
    int rc = set_new(s, id, false, out);
    const struct rpkg *p = &s->pkg[id];
    uint64_t *b = bits(s, *out);
    bool known = false;
    for (size_t i = 0; !req && i < p->nver; i++)
        release |= !p->ver[i].sv.pre_len && !p->ver[i].src->yanked;
    for (size_t i = 0; !rc && i < p->nver; i++) {
        const struct rver *v = &p->ver[i];
        if (req ? !wh_semver_req_matches(req, &v->sv)
                : release && v->sv.pre_len)
            continue;
        b_set(b, v->elem);
        known = true;
        if (v->src->yanked && exact && !wh_semver_compare(&v->sv, &pin))
            b_set(b, v->elem + 1);
    }
    if (!known)
        b_set(b, phantom(p));
    return rc;
}

/* --- Incompatibilities ------------------------------------------------ */

static bool positive(const struct solver *s, uint32_t pkg, setref set)
{
    return !b_has(bits(s, set), absent(&s->pkg[pkg]));
}

/* The text of a AND b (sets of module id) when it equals one of them. */
static const char *and_text(const struct solver *s, uint32_t id,
                            const uint64_t *r, const uint64_t *a,
                            const char *ta, const uint64_t *b,
                            const char *tb)
{
    size_t w = s->pkg[id].words;
    return b_equal(r, a, w) ? ta : b_equal(r, b, w) ? tb : NULL;
}

/* Append term t to incompatibility i (being built at the end of s->term),
 * AND-ing it into an earlier term of the same module. */
static int inc_put_term(struct solver *s, size_t t0, const struct term *t)
{
    for (size_t k = t0; k < s->nterm; k++) {
        if (s->term[k].pkg != t->pkg)
            continue;
        setref r;
        if (set_new(s, t->pkg, false, &r))
            return WH_E_NOMEM;
        uint64_t *rb = bits(s, r);
        const uint64_t *a = bits(s, s->term[k].set), *b = bits(s, t->set);
        for (size_t j = 0; j < s->pkg[t->pkg].words; j++)
            rb[j] = a[j] & b[j];
        s->term[k].text = and_text(s, t->pkg, rb, a, s->term[k].text, b,
                                   t->text);
        s->term[k].set = r;
        return 0;
    }
    if (GROW(s->term, s->cterm, s->nterm + 1))
        return nomem(s);
    s->term[s->nterm++] = *t;
    return 0;
}

/* A derived incompatibility need not say "the request is made": drop a
 * positive root term when others remain (as Dart's pub does). */
static void inc_drop_root(struct solver *s, size_t t0)
{
    if (s->nterm - t0 < 2)
        return;
    for (size_t k = t0; k < s->nterm; k++)
        if (s->term[k].pkg == 0 && positive(s, 0, s->term[k].set)) {
            memmove(&s->term[k], &s->term[k + 1],
                    (s->nterm - k - 1) * sizeof *s->term);
            s->nterm--;
            return;
        }
}

/* A new incompatibility of the n terms t (not in s->term), not yet
 * registered for propagation; its index in *id. */
static int inc_new(struct solver *s, const struct term *t, size_t n,
                   int cause, int32_t c1, int32_t c2, int32_t *id)
{
    size_t t0 = s->nterm;
    if (GROW(s->inc, s->cinc, s->ninc + 1))
        return nomem(s);
    for (size_t k = 0; k < n; k++)
        if (inc_put_term(s, t0, &t[k]))
            return nomem(s);
    if (cause == C_DERIVED)
        inc_drop_root(s, t0);
    struct inc *in = &s->inc[s->ninc];
    memset(in, 0, sizeof *in);
    in->t0 = t0;
    in->nt = (uint32_t)(s->nterm - t0);
    in->cause = (uint8_t)cause;
    in->c1 = c1;
    in->c2 = c2;
    *id = (int32_t)s->ninc++;
    return 0;
}

/* Make incompatibility i take part in propagation. */
static int inc_register(struct solver *s, int32_t i)
{
    for (size_t k = 0; k < s->inc[i].nt; k++) {
        struct rpkg *p = &s->pkg[s->term[s->inc[i].t0 + k].pkg];
        if (GROW(p->inc, p->cinc, p->ninc + 1))
            return nomem(s);
        p->inc[p->ninc++] = i;
    }
    return 0;
}

static int inc_add(struct solver *s, const struct term *t, size_t n,
                   int cause, int32_t *id)
{
    int rc = inc_new(s, t, n, cause, -1, -1, id);
    return rc ? rc : inc_register(s, *id);
}

/* --- The partial solution --------------------------------------------- */

static const uint64_t *acc_of(const struct solver *s, uint32_t pkg)
{
    long a = s->pkg[pkg].last;
    return a < 0 ? NULL : bits(s, s->asg[a].acc);
}

static int relation(const struct solver *s, const struct term *t)
{
    const struct rpkg *p = &s->pkg[t->pkg];
    const uint64_t *acc = acc_of(s, t->pkg), *ts = bits(s, t->set);
    if (!acc)  /* nothing known: everything is still possible */
        return b_full(ts, p) ? REL_SAT
             : b_empty(ts, p->words) ? REL_CONTRA : REL_INCONC;
    if (b_subset(acc, ts, p->words))
        return REL_SAT;
    return b_disjoint(acc, ts, p->words) ? REL_CONTRA : REL_INCONC;
}

static void pending_add(struct solver *s, uint32_t id)
{
    struct rpkg *p = &s->pkg[id];
    if (p->pending || p->decided || p->last < 0 ||
        !positive(s, id, s->asg[p->last].acc))
        return;
    assert(s->npending < s->cpending);  /* sized in pkg_find */
    p->pending = true;
    s->pending[s->npending++] = id;
}

/* Append an assignment of the trail set `set` (allocated after `mark`). */
static int assign(struct solver *s, uint32_t id, setref set,
                  const char *text, int32_t cause, size_t mark)
{
    setref acc;
    if (GROW(s->asg, s->casg, s->nasg + 1) || set_new(s, id, true, &acc))
        return nomem(s);
    struct rpkg *p = &s->pkg[id];
    uint64_t *a = bits(s, acc);
    const uint64_t *n = bits(s, set), *old = acc_of(s, id);
    for (size_t i = 0; i < p->words; i++)
        a[i] = old ? old[i] & n[i] : n[i];
    if (old)
        text = and_text(s, id, a, old, s->asg[p->last].text, n, text);
    s->asg[s->nasg] = (struct asg){ id, s->level, cause, p->last, set, acc,
                                    text, mark };
    p->last = (long)s->nasg++;
    p->decided |= cause < 0;
    pending_add(s, id);
    return 0;
}

/* Derive "not t" from incompatibility i. */
static int derive(struct solver *s, size_t ti, int32_t i)
{
    struct term t = s->term[ti];
    size_t mark = s->ntrail;
    setref set;
    if (set_new(s, t.pkg, true, &set))
        return WH_E_NOMEM;
    uint64_t *b = bits(s, set);
    memcpy(b, bits(s, t.set), s->pkg[t.pkg].words * sizeof *b);
    b_not(b, &s->pkg[t.pkg]);
    return assign(s, t.pkg, set, t.text, i, mark);
}

static int decide(struct solver *s, uint32_t id, size_t elem)
{
    size_t mark = s->ntrail;
    setref set;
    if (set_new(s, id, true, &set))
        return WH_E_NOMEM;
    b_set(bits(s, set), elem);
    s->level++;
    return assign(s, id, set, NULL, -1, mark);
}

static void backtrack(struct solver *s, int level)
{
    while (s->nasg && s->asg[s->nasg - 1].level > level) {
        const struct asg *a = &s->asg[--s->nasg];
        struct rpkg *p = &s->pkg[a->pkg];
        p->last = a->prev;
        if (a->cause < 0)
            p->decided = false;
        s->ntrail = a->mark;
        pending_add(s, a->pkg);
    }
    s->level = level;
}

/* The earliest assignment after which the solution satisfies the set ts
 * of module id: acc only shrinks, so walk back while it still does. */
static long satisfier(const struct solver *s, uint32_t id,
                      const uint64_t *ts)
{
    long best = -1;
    for (long a = s->pkg[id].last; a >= 0; a = s->asg[a].prev) {
        if (!b_subset(bits(s, s->asg[a].acc), ts, s->pkg[id].words))
            break;
        best = a;
    }
    return best;
}

/* --- Propagation and conflict resolution ------------------------------ */

static int step(struct solver *s)
{
    if (++s->steps > s->max_steps)
        return wh_fail(s->err, WH_E_LIMIT, NULL, -1,
                       "resolution needed more than %zu steps",
                       s->max_steps);
    return 0;
}

static bool is_failure(const struct solver *s, int32_t i)
{
    const struct inc *in = &s->inc[i];
    return in->nt == 0 || (in->nt == 1 && s->term[in->t0].pkg == 0 &&
                           positive(s, 0, s->term[in->t0].set));
}

/* Unit propagation of one incompatibility: *derived is the module of a
 * new derivation or -1; *conflict says that every term holds. */
static int propagate_inc(struct solver *s, int32_t i, long *derived,
                         bool *conflict)
{
    const struct inc *in = &s->inc[i];
    long un = -1;
    *derived = -1;
    for (size_t k = in->t0; k < in->t0 + in->nt; k++) {
        int r = relation(s, &s->term[k]);
        if (r == REL_CONTRA)
            return 0;
        if (r == REL_INCONC) {
            if (un >= 0)
                return 0;
            un = (long)k;
        }
    }
    *conflict = un < 0;
    if (un < 0)
        return 0;
    *derived = s->term[un].pkg;
    return derive(s, (size_t)un, i);
}

/* What resolve_conflict learns about the term satisfied last. */
struct last {
    long   sat;       /* its satisfier */
    size_t term;      /* its index in s->term */
    bool   diff;      /* the satisfier alone did not satisfy it: */
    setref notdiff;   /* then "not (satisfier minus term)" */
    int    prev;      /* level before which the rest was satisfied */
};

/* Set the difference of l->sat and term ti, and raise l->prev to where
 * its negation became true. */
static int last_diff(struct solver *s, struct last *l, size_t ti)
{
    uint32_t id = s->term[ti].pkg;
    setref d;
    if (set_new(s, id, false, &d))
        return WH_E_NOMEM;
    uint64_t *b = bits(s, d);
    const uint64_t *a = bits(s, s->asg[l->sat].set), *t = bits(s,
                                                        s->term[ti].set);
    for (size_t i = 0; i < s->pkg[id].words; i++)
        b[i] = a[i] & ~t[i];
    l->diff = !b_empty(b, s->pkg[id].words);
    if (!l->diff)
        return 0;
    b_not(b, &s->pkg[id]);
    l->notdiff = d;
    long a2 = satisfier(s, id, b);
    if (a2 >= 0 && s->asg[a2].level > l->prev)
        l->prev = s->asg[a2].level;
    return 0;
}

static int find_last(struct solver *s, int32_t i, struct last *l)
{
    const struct inc in = s->inc[i];
    int rc = 0;
    l->sat = -1;
    l->prev = 1;  /* never undo the request: it keeps reports short */
    for (size_t k = in.t0; !rc && k < in.t0 + in.nt; k++) {
        long a = satisfier(s, s->term[k].pkg, bits(s, s->term[k].set));
        if (a < 0)
            return wh_fail(s->err, WH_E_INTERNAL, NULL, -1,
                           "resolver: conflict without a satisfier");
        if (l->sat < 0 || l->sat < a) {
            if (l->sat >= 0 && s->asg[l->sat].level > l->prev)
                l->prev = s->asg[l->sat].level;
            l->sat = a;
            l->term = k;
            rc = last_diff(s, l, k);
        } else if (s->asg[a].level > l->prev) {
            l->prev = s->asg[a].level;
        }
    }
    return rc;
}

/* The resolvent of incompatibility i and the cause of its satisfier. */
static int combine(struct solver *s, int32_t i, const struct last *l,
                   int32_t *out)
{
    const struct asg a = s->asg[l->sat];
    const struct inc in = s->inc[i], c = s->inc[a.cause];
    s->nscratch = 0;
    if (GROW(s->scratch, s->cscratch, in.nt + c.nt + 1))
        return nomem(s);
    for (size_t k = in.t0; k < in.t0 + in.nt; k++)
        if (k != l->term)
            s->scratch[s->nscratch++] = s->term[k];
    for (size_t k = c.t0; k < c.t0 + c.nt; k++)
        if (s->term[k].pkg != a.pkg)
            s->scratch[s->nscratch++] = s->term[k];
    if (l->diff)
        s->scratch[s->nscratch++] = (struct term){ a.pkg, l->notdiff, NULL };
    return inc_new(s, s->scratch, s->nscratch, C_DERIVED, i, a.cause, out);
}

/* Resolve the conflict on incompatibility i: *out is the incompatibility
 * to propagate after backjumping, or the failure (*failed). */
static int resolve_conflict(struct solver *s, int32_t i, int32_t *out,
                            bool *failed)
{
    bool learned = false;
    struct last l = { 0 };
    int rc;
    while (!is_failure(s, i)) {
        if ((rc = step(s)) || (rc = find_last(s, i, &l)))
            return rc;
        const struct asg *a = &s->asg[l.sat];
        if (l.prev < a->level || a->cause < 0) {
            backtrack(s, l.prev);
            *out = i;
            return learned ? inc_register(s, i) : 0;
        }
        if ((rc = combine(s, i, &l, &i)))
            return rc;
        learned = true;
    }
    *failed = true;
    *out = i;
    return 0;
}

static int changed_push(struct solver *s, uint32_t id)
{
    if (s->pkg[id].changed)
        return 0;
    assert(s->nchanged < s->cchanged);  /* sized in pkg_find */
    s->pkg[id].changed = true;
    s->changed[s->nchanged++] = id;
    return 0;
}

static void changed_clear(struct solver *s)
{
    while (s->nchanged)
        s->pkg[s->changed[--s->nchanged]].changed = false;
}

/* After a conflict: learn, backjump, and derive from what was learned. */
static int on_conflict(struct solver *s, int32_t i, bool *failed,
                       int32_t *failure)
{
    int32_t cause;
    long d;
    bool again = false;
    int rc = resolve_conflict(s, i, &cause, failed);
    if (rc || *failed) {
        *failure = cause;
        return rc;
    }
    changed_clear(s);
    if ((rc = propagate_inc(s, cause, &d, &again)))
        return rc;
    if (d < 0)
        return wh_fail(s->err, WH_E_INTERNAL, NULL, -1,
                       "resolver: a learned incompatibility derives nothing");
    return changed_push(s, (uint32_t)d);
}

static int propagate(struct solver *s, uint32_t start, bool *failed,
                     int32_t *failure)
{
    int rc = changed_push(s, start);
    while (!rc && s->nchanged && !*failed) {
        uint32_t id = s->changed[--s->nchanged];
        s->pkg[id].changed = false;
        for (size_t k = s->pkg[id].ninc; !rc && k-- > 0;) {
            long d;
            bool conflict = false;
            int32_t i = s->pkg[id].inc[k];
            if ((rc = propagate_inc(s, i, &d, &conflict)))
                break;
            if (conflict) {
                rc = on_conflict(s, i, failed, failure);
                break;
            }
            if (d >= 0)
                rc = changed_push(s, (uint32_t)d);
        }
    }
    changed_clear(s);
    return rc;
}

/* --- Dependencies ----------------------------------------------------- */

static int load_deps(struct solver *s, uint32_t id, size_t vi)
{
    struct rver *v = &s->pkg[id].ver[vi];
    if (v->have_deps)
        return 0;
    int rc = s->prov->dependencies(s->prov->ctx, s->pkg[id].name,
                                   v->src->version, &v->dep, &v->ndep,
                                   s->err);
    if (rc)
        return rc;
    for (size_t k = 0; k < v->ndep; k++)
        if (!v->dep[k].name || !*v->dep[k].name || !v->dep[k].req)
            return wh_fail(s->err, WH_E_FORMAT, NULL, -1,
                           "module '%s' version '%s': dependency %zu has "
                           "no name or requirement", s->pkg[id].name,
                           v->src->version, k + 1);
    v->have_deps = true;
    return 0;
}

static bool same_dep(const wh_resolve_dep *a, const wh_resolve_dep *b)
{
    return !strcmp(a->name, b->name) && !strcmp(a->req, b->req);
}

static bool has_dep(const struct rver *v, const wh_resolve_dep *d)
{
    for (size_t k = 0; k < v->ndep; k++)
        if (same_dep(&v->dep[k], d))
            return true;
    return false;
}

static bool covered(const struct rpkg *p, size_t vi, const wh_resolve_dep *d)
{
    for (size_t k = 0; k < p->nadd; k++)
        if (p->add[k].lo <= vi && vi <= p->add[k].hi &&
            !strcmp(p->add[k].name, d->name) && !strcmp(p->add[k].req, d->req))
            return true;
    return false;
}

/* Can the run of versions stating dependency d grow to version vi? */
static int run_grows(struct solver *s, uint32_t id, size_t vi,
                     const wh_resolve_dep *d, bool *yes)
{
    int rc = load_deps(s, id, vi);
    const struct rpkg *p = &s->pkg[id];
    *yes = !rc && has_dep(&p->ver[vi], d) && !covered(p, vi, d);
    return rc;
}

/* The run lo..hi of adjacent versions around vi stating dependency d. */
static int dep_run(struct solver *s, uint32_t id, size_t vi,
                   const wh_resolve_dep *d, size_t *lo, size_t *hi)
{
    bool yes = true;
    int rc = 0;
    for (*lo = vi; !rc && *lo > 0; (*lo)--)
        if ((rc = run_grows(s, id, *lo - 1, d, &yes)) || !yes)
            break;
    for (*hi = vi; !rc && *hi + 1 < s->pkg[id].nver; (*hi)++)
        if ((rc = run_grows(s, id, *hi + 1, d, &yes)) || !yes)
            break;
    return rc;
}

/* The set of versions lo..hi of module id (all their elements). */
static int run_set(struct solver *s, uint32_t id, size_t lo, size_t hi,
                   setref *out)
{
    int rc = set_new(s, id, false, out);
    const struct rpkg *p = &s->pkg[id];
    for (size_t e = 0; !rc && e < p->nelem; e++)
        if (p->ever[e] >= lo && p->ever[e] <= hi)
            b_set(bits(s, *out), e);
    return rc;
}

/* Does the new incompatibility i already hold, but for module id? */
static bool holds_but(const struct solver *s, int32_t i, uint32_t id)
{
    const struct inc *in = &s->inc[i];
    for (size_t k = in->t0; k < in->t0 + in->nt; k++)
        if (s->term[k].pkg != id && relation(s, &s->term[k]) != REL_SAT)
            return false;
    return true;
}

/* {depender, not dependee req}: the dependee's set, negated. */
static int dep_inc(struct solver *s, struct term depender, uint32_t q,
                   const wh_semver_req *req, const char *text, int cause,
                   bool *conflict)
{
    struct term t[2] = { depender, { q, 0, text } };
    int32_t i;
    int rc = req_set(s, q, req, &t[1].set);
    if (rc)
        return rc;
    b_not(bits(s, t[1].set), &s->pkg[q]);
    if ((rc = inc_add(s, t, 2, cause, &i)))
        return rc;
    *conflict |= holds_but(s, i, depender.pkg);
    return 0;
}

static int parse_dep(struct solver *s, uint32_t id, size_t vi,
                     const wh_resolve_dep *d, wh_semver_req **req)
{
    wh_err e;
    if (!wh_semver_req_parse(req, WH_SEMVER_CARGO, d->req, strlen(d->req),
                             &e))
        return 0;
    if (e.code == WH_E_NOMEM)
        return nomem(s);
    return wh_fail(s->err, WH_E_FORMAT, NULL, -1,
                   "module '%s' version '%s': dependency '%s': '%s': %s",
                   s->pkg[id].name, s->pkg[id].ver[vi].src->version,
                   d->name, d->req, e.reason);
}

/* A module that depends on itself: nothing if vi meets the requirement,
 * else {id vi} ("app 2.0.0 depends on app ^1 which excludes app 2.0.0"). */
static int self_dep(struct solver *s, uint32_t id, size_t vi,
                    const wh_semver_req *req, const char *text,
                    bool *conflict)
{
    struct term t = { id, 0, NULL };
    int32_t i;
    if (wh_semver_req_matches(req, &s->pkg[id].ver[vi].sv))
        return 0;
    int rc = run_set(s, id, vi, vi, &t.set);
    if (!rc && !(rc = inc_add(s, &t, 1, C_SELF, &i)))
        s->inc[i].note = text;
    *conflict = true;
    return rc;
}

static int add_dep(struct solver *s, uint32_t id, size_t vi,
                   const wh_resolve_dep *d, bool *conflict)
{
    wh_semver_req *req = NULL;
    struct term dep = { id, 0, NULL };
    size_t lo, hi;
    uint32_t q;
    int rc;
    if (covered(&s->pkg[id], vi, d))
        return 0;
    if ((rc = pkg_find(s, d->name, &q)) || (rc = pkg_load(s, q)) ||
        (rc = parse_dep(s, id, vi, d, &req)))
        return rc;
    if (q == id) {
        rc = self_dep(s, id, vi, req, d->req, conflict);
    } else if (!(rc = dep_run(s, id, vi, d, &lo, &hi)) &&
               !(rc = run_set(s, id, lo, hi, &dep.set)) &&
               !(rc = dep_inc(s, dep, q, req, d->req, C_DEP, conflict))) {
        struct rpkg *p = &s->pkg[id];
        if (GROW(p->add, p->cadd, p->nadd + 1))
            rc = nomem(s);
        else
            p->add[p->nadd++] = (struct added){ d->name, d->req, lo, hi };
    }
    wh_semver_req_free(req);
    return rc;
}

/* The text a request prints with: as written, or normalized. */
static int request_text(struct solver *s, const wh_resolve_request *r,
                        const char **text)
{
    if (!r->req || r->req_text) {
        *text = r->req ? r->req_text : "";
        return 0;
    }
    size_t n = wh_semver_req_format(r->req, NULL, 0) + 1;
    char *t = malloc(n);
    if (!t || GROW(s->owned, s->cowned, s->nowned + 1)) {
        free(t);
        return nomem(s);
    }
    wh_semver_req_format(r->req, t, n);
    s->owned[s->nowned++] = t;
    *text = t;
    return 0;
}

/* The root's dependencies: what the user asked for. */
static int add_requests(struct solver *s, bool *conflict)
{
    struct term root = { 0, s->pkg[0].usable, NULL };
    int rc = 0;
    if (s->root_deps)
        return 0;
    s->root_deps = true;
    for (size_t k = 0; !rc && k < s->nreq; k++) {
        const char *text = NULL;
        uint32_t q;
        if (!s->req[k].name || !*s->req[k].name)
            return wh_fail(s->err, WH_E_USAGE, NULL, -1,
                           "request %zu names no module", k + 1);
        if (!(rc = request_text(s, &s->req[k], &text)) &&
            !(rc = pkg_find(s, s->req[k].name, &q)) &&
            !(rc = pkg_load(s, q)))
            rc = dep_inc(s, root, q, s->req[k].req, text, C_REQUEST,
                         conflict);
    }
    return rc;
}

static int add_deps(struct solver *s, uint32_t id, size_t vi, bool *conflict)
{
    if (id == 0)
        return add_requests(s, conflict);
    int rc = load_deps(s, id, vi);
    for (size_t k = 0; !rc && k < s->pkg[id].ver[vi].ndep; k++)
        rc = add_dep(s, id, vi, &s->pkg[id].ver[vi].dep[k], conflict);
    return rc;
}

/* --- Decisions -------------------------------------------------------- */

static int name_cmp(const struct solver *s, uint32_t a, uint32_t b)
{
    if (!a || !b)
        return (a != 0) - (b != 0);
    return strcmp(s->pkg[a].name, s->pkg[b].name);
}

/* The module to decide next: fewest usable versions left, then name. */
static long next_module(struct solver *s)
{
    long best = -1;
    size_t bestn = 0;
    for (size_t i = 0; i < s->npending;) {
        uint32_t id = s->pending[i];
        struct rpkg *p = &s->pkg[id];
        if (p->decided || p->last < 0 ||
            !positive(s, id, s->asg[p->last].acc)) {
            p->pending = false;
            s->pending[i] = s->pending[--s->npending];
            continue;
        }
        size_t n = b_count(acc_of(s, id), bits(s, p->usable), p->words);
        if (best < 0 || n < bestn ||
            (n == bestn && name_cmp(s, id, (uint32_t)best) < 0)) {
            best = id;
            bestn = n;
        }
        i++;
    }
    return best;
}

/* No usable version is left: add the fact that says so. */
static int no_versions(struct solver *s, uint32_t id)
{
    const struct rpkg *p = &s->pkg[id];
    struct term t = { id, 0, NULL };
    int32_t i;
    int rc = set_new(s, id, false, &t.set);
    if (rc)
        return rc;
    uint64_t *b = bits(s, t.set);
    if (p->notfound) {
        b_set(b, phantom(p));
        return inc_add(s, &t, 1, C_NOTFOUND, &i);
    }
    memcpy(b, acc_of(s, id), p->words * sizeof *b);
    t.text = s->asg[p->last].text;
    return inc_add(s, &t, 1, C_NOVERSIONS, &i);
}

/* Decide module id (or learn why it cannot be). */
static int pick(struct solver *s, uint32_t id)
{
    const struct rpkg *p = &s->pkg[id];
    const uint64_t *acc = acc_of(s, id), *use = bits(s, p->usable);
    long e = p->pref >= 0 && b_has(acc, (size_t)p->pref) &&
             b_has(use, (size_t)p->pref) ? p->pref
                                          : b_best(acc, use, p->words);
    bool conflict = false;
    if (e < 0)
        return no_versions(s, id);
    int rc = add_deps(s, id, s->pkg[id].ever[e], &conflict);
    return rc || conflict ? rc : decide(s, id, (size_t)e);
}

static int solve(struct solver *s, bool *failed, int32_t *failure)
{
    struct term t = { 0, 0, NULL };
    int32_t i;
    int rc = set_new(s, 0, false, &t.set);
    if (rc)
        return rc;
    b_set(bits(s, t.set), phantom(&s->pkg[0]));
    b_set(bits(s, t.set), absent(&s->pkg[0]));
    if ((rc = inc_add(s, &t, 1, C_ROOT, &i)))
        return rc;
    for (long next = 0; next >= 0;) {
        if ((rc = propagate(s, (uint32_t)next, failed, failure)) || *failed)
            return rc;
        if ((next = next_module(s)) >= 0 &&
            ((rc = step(s)) || (rc = pick(s, (uint32_t)next))))
            return rc;
    }
    return 0;
}

/* --- The answer: picks in dependency order ---------------------------- */

struct order {
    uint32_t *ids;      /* picked modules, by name */
    long     *rank;     /* pkg id -> index in ids, -1 */
    size_t   *left;     /* deps not yet placed */
    size_t   *off, *to; /* dependents of ids[i]: to[off[i]..off[i+1]) */
    size_t   *heap;     /* ready modules (indexes), a min-heap */
    size_t    n, nheap;
};

/* Picked modules are sorted as (name, id) pairs: qsort has no context. */
struct named {
    const char *name;
    uint32_t    id;
};

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const struct named *)a)->name,
                  ((const struct named *)b)->name);
}

static void heap_push(struct order *o, size_t x)
{
    size_t i = o->nheap++;
    for (; i && o->heap[(i - 1) / 2] > x; i = (i - 1) / 2)
        o->heap[i] = o->heap[(i - 1) / 2];
    o->heap[i] = x;
}

static size_t heap_pop(struct order *o)
{
    size_t top = o->heap[0], x = o->heap[--o->nheap], i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= o->nheap)
            break;
        if (c + 1 < o->nheap && o->heap[c + 1] < o->heap[c])
            c++;
        if (o->heap[c] >= x)
            break;
        o->heap[i] = o->heap[c];
        i = c;
    }
    if (o->nheap)
        o->heap[i] = x;
    return top;
}

/* The chosen version index of a decided module. */
static size_t chosen(const struct solver *s, uint32_t id)
{
    const struct rpkg *p = &s->pkg[id];
    return p->ever[b_best(acc_of(s, id), bits(s, p->usable), p->words)];
}

/* Call fn(o, i, j) for each dependency edge ids[i] -> ids[j]. */
static void edges(const struct solver *s, struct order *o,
                  void (*fn)(struct order *, size_t, size_t))
{
    for (size_t i = 0; i < o->n; i++) {
        const struct rver *v = &s->pkg[o->ids[i]].ver[chosen(s, o->ids[i])];
        for (size_t k = 0; k < v->ndep; k++) {
            long j = o->rank[pkg_lookup(s, v->dep[k].name)];
            if (j >= 0 && (size_t)j != i)
                fn(o, i, (size_t)j);
        }
    }
}

static void edge_count(struct order *o, size_t i, size_t j)
{
    o->left[i]++;
    o->off[j + 1]++;
}

static void edge_fill(struct order *o, size_t i, size_t j)
{
    o->to[o->off[j]++] = i;
}

static void place(struct order *o, size_t i, bool *placed, size_t *out,
                  size_t *nout)
{
    placed[i] = true;
    out[(*nout)++] = i;
    for (size_t k = i ? o->off[i - 1] : 0; k < o->off[i]; k++)
        if (--o->left[o->to[k]] == 0 && !placed[o->to[k]])
            heap_push(o, o->to[k]);
}

/* Kahn's algorithm, smallest name first; a cycle is entered at the
 * unplaced module first by name. */
static void topo(struct order *o, bool *placed, size_t *out)
{
    size_t nout = 0, scan = 0;
    for (size_t i = 0; i < o->n; i++)
        if (!o->left[i])
            heap_push(o, i);
    while (nout < o->n) {
        if (o->nheap) {
            size_t i = heap_pop(o);
            if (!placed[i])
                place(o, i, placed, out, &nout);
            continue;
        }
        while (placed[scan])
            scan++;
        place(o, scan, placed, out, &nout);
    }
}

static int order_build(const struct solver *s, struct order *o)
{
    struct named *v = malloc(s->npkg * sizeof *v);
    if (!v)
        return WH_E_NOMEM;
    for (uint32_t id = 1; id < s->npkg; id++)
        if (s->pkg[id].decided)
            v[o->n++] = (struct named){ s->pkg[id].name, id };
    qsort(v, o->n, sizeof *v, cmp_named);
    for (size_t i = 0; i < o->n; i++)
        o->ids[i] = v[i].id;
    free(v);
    for (size_t i = 0; i < s->npkg; i++)
        o->rank[i] = -1;
    for (size_t i = 0; i < o->n; i++)
        o->rank[o->ids[i]] = (long)i;
    edges(s, o, edge_count);
    for (size_t i = 0; i < o->n; i++)
        o->off[i + 1] += o->off[i];
    if (!(o->to = malloc((o->off[o->n] + 1) * sizeof *o->to)))
        return WH_E_NOMEM;
    edges(s, o, edge_fill);  /* leaves off[j] at the end of j's run */
    return 0;
}

static int fill_picks(struct solver *s, const struct order *o,
                      const size_t *seq, wh_resolve_result *out)
{
    if (!(out->pick = calloc(o->n ? o->n : 1, sizeof *out->pick)))
        return nomem(s);
    for (size_t k = 0; k < o->n; k++) {
        uint32_t id = o->ids[seq[k]];
        out->n = k + 1;
        out->pick[k].name = strdup(s->pkg[id].name);
        out->pick[k].version =
            strdup(s->pkg[id].ver[chosen(s, id)].src->version);
        if (!out->pick[k].name || !out->pick[k].version)
            return nomem(s);
    }
    return 0;
}

static int answer(struct solver *s, wh_resolve_result *out)
{
    struct order o = { 0 };
    size_t np = s->npkg;
    bool *placed = calloc(np, sizeof *placed);
    size_t *seq = calloc(np, sizeof *seq);
    o.ids = calloc(np, sizeof *o.ids);
    o.rank = calloc(np, sizeof *o.rank);
    o.left = calloc(np, sizeof *o.left);
    o.off = calloc(np + 1, sizeof *o.off);
    o.heap = calloc(np * 2 + 1, sizeof *o.heap);
    int rc = WH_E_NOMEM;
    if (placed && seq && o.ids && o.rank && o.left && o.off && o.heap &&
        !order_build(s, &o)) {
        topo(&o, placed, seq);
        rc = fill_picks(s, &o, seq, out);
    } else {
        rc = nomem(s);
    }
    free(placed);
    free(seq);
    free(o.ids);
    free(o.rank);
    free(o.left);
    free(o.off);
    free(o.to);
    free(o.heap);
    return rc;
}

/* --- Explanations: text ----------------------------------------------- */

struct sbuf {
    char  *p;
    size_t len, cap;
    bool   oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom || GROW(b->p, b->cap, b->len + n + 1)) {
        b->oom = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_s(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* Untrusted text (a name, version, requirement or reason), quoted. */
static void sb_q(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);
    char *q = malloc(4 * n + 1);
    if (!q) {
        b->oom = true;
        return;
    }
    sb_s(b, wh_quote(q, 4 * n + 1, s, n));
    free(q);
}

/* Does term t (its positive side) hold version vi of its module? */
static bool term_has(const struct solver *s, const struct term *t, size_t vi)
{
    const struct rpkg *p = &s->pkg[t->pkg];
    const struct rver *v = &p->ver[vi];
    bool pos = positive(s, t->pkg, t->set);
    const uint64_t *b = bits(s, t->set);
    bool in = b_has(b, v->elem) || (v->src->yanked && b_has(b, v->elem + 1));
    bool out = !b_has(b, v->elem) ||
               (v->src->yanked && !b_has(b, v->elem + 1));
    return pos ? in : out;
}

static size_t term_count(const struct solver *s, const struct term *t)
{
    size_t n = 0;
    for (size_t i = 0; i < s->pkg[t->pkg].nver; i++)
        n += term_has(s, t, i);
    return n;
}

static void put_ver(struct sbuf *b, const struct rpkg *p, size_t vi)
{
    sb_q(b, p->ver[vi].src->version);
}

/* "json 1.0.0, 1.1.0 and 1.2.0": each version of t. */
static void put_list_versions(const struct solver *s, struct sbuf *b,
                              const struct term *t)
{
    const struct rpkg *p = &s->pkg[t->pkg];
    size_t n = term_count(s, t), m = 0;
    sb_q(b, p->name);
    for (size_t i = 0; i < p->nver; i++)
        if (term_has(s, t, i)) {
            sb_s(b, m == 0 ? " " : m + 1 < n ? ", " : " and ");
            put_ver(b, p, i);
            m++;
        }
}

/* " >=1.0.0, <=1.4.0 || 2.0.0": maximal runs of the versions in t. */
static void put_runs(const struct solver *s, struct sbuf *b,
                     const struct term *t)
{
    const struct rpkg *p = &s->pkg[t->pkg];
    const char *sep = " ";
    for (size_t i = 0; i < p->nver; i++) {
        size_t j = i;
        if (!term_has(s, t, i))
            continue;
        while (j + 1 < p->nver && term_has(s, t, j + 1))
            j++;
        sb_s(b, sep);
        sep = " || ";
        if (i == j) {
            put_ver(b, p, i);
        } else {
            sb_s(b, i ? ">=" : "<=");
            put_ver(b, p, i ? i : j);
            if (i && j + 1 < p->nver) {
                sb_s(b, ", <=");
                put_ver(b, p, j);
            }
        }
        i = j;
    }
}

/* A term, its positive side: "json ^2", "app 1.2.0", "every version of
 * app" (every) or "app", "json >=1.0.0, <=1.4.0", "the request". */
static void put_term(const struct solver *s, struct sbuf *b,
                     const struct term *t, bool every)
{
    const struct rpkg *p = &s->pkg[t->pkg];
    size_t n = t->pkg && !t->text ? term_count(s, t) : 0;
    if (!t->pkg) {
        sb_s(b, "the request");
        return;
    }
    if (!t->text && n == p->nver && n > 1 && every)
        sb_s(b, "every version of ");
    sb_q(b, p->name);
    if (t->text) {
        if (*t->text) {
            sb_s(b, " ");
            sb_q(b, t->text);
        }
    } else if (n == 0) {
        sb_s(b, " (no version)");
    } else if (n < p->nver || n == 1) {
        put_runs(s, b, t);
    }
}

static const struct term *tm(const struct solver *s, int32_t i, size_t k)
{
    return &s->term[s->inc[i].t0 + k];
}

/* Why version vi is unusable: "yanked", or the provider's reason. */
static const char *why(const struct rver *v)
{
    if (v->src->unavailable)
        return *v->src->unavailable ? v->src->unavailable : "unavailable";
    return "yanked";
}

/* Is version vi in t and unusable for reason r? */
static bool has_why(const struct solver *s, const struct term *t, size_t vi,
                    const char *r)
{
    return term_has(s, t, vi) && !strcmp(why(&s->pkg[t->pkg].ver[vi]), r);
}

/* "1.0.0 and 1.2.0 are not available for x86_64-linux": the versions of
 * t unusable for the reason of version vi. */
static void put_group(const struct solver *s, struct sbuf *b,
                      const struct term *t, size_t vi)
{
    const struct rpkg *p = &s->pkg[t->pkg];
    const char *r = why(&p->ver[vi]);
    size_t n = 0, m = 0;
    for (size_t j = vi; j < p->nver; j++)
        n += has_why(s, t, j, r);
    for (size_t j = vi; j < p->nver; j++) {
        if (!has_why(s, t, j, r))
            continue;
        sb_s(b, m == 0 ? "" : m + 1 < n ? ", " : " and ");
        put_ver(b, p, j);
        m++;
    }
    sb_s(b, n > 1 ? " are " : " is ");
    sb_q(b, r);
}

/* Is version vi the first of t unusable for its reason? */
static bool group_first(const struct solver *s, const struct term *t,
                        size_t vi)
{
    const char *r = why(&s->pkg[t->pkg].ver[vi]);
    for (size_t j = 0; j < vi; j++)
        if (has_why(s, t, j, r))
            return false;
    return term_has(s, t, vi);
}

/* Every version of t is unusable: "json 1.0.1 is yanked", "json 1.0.0
 * and 1.2.0 are not available for x86_64-linux", or for mixed reasons
 * "none of json 1.0.0, 1.1.0 and 1.2.0 can be used (1.0.0 and 1.2.0 are
 * not available for x86_64-linux; 1.1.0 is yanked)". */
static void put_unusable(const struct solver *s, struct sbuf *b,
                         const struct term *t)
{
    const struct rpkg *p = &s->pkg[t->pkg];
    size_t groups = 0, g = 0;
    for (size_t i = 0; i < p->nver; i++)
        groups += group_first(s, t, i);
    if (groups > 1) {
        struct term all = *t;
        all.text = NULL;
        sb_s(b, "none of ");
        put_list_versions(s, b, &all);
        sb_s(b, " can be used (");
    } else {
        sb_q(b, p->name);
        sb_s(b, " ");
    }
    for (size_t i = 0; i < p->nver; i++)
        if (group_first(s, t, i)) {
            sb_s(b, g++ ? "; " : "");
            put_group(s, b, t, i);
        }
    sb_s(b, groups > 1 ? ")" : "");
}

static void put_noversions(const struct solver *s, struct sbuf *b,
                           const struct term *t)
{
    const char *name = s->pkg[t->pkg].name;
    if (term_count(s, t)) {
        put_unusable(s, b, t);
    } else if (t->text && *t->text) {
        sb_s(b, "no version of ");
        sb_q(b, name);
        sb_s(b, " matches ");
        sb_q(b, t->text);
    } else {
        sb_q(b, name);
        sb_s(b, t->text ? " has no versions" : " has no version left");
    }
}

/* "a, b and c" (or "or") of the terms of i with the given sign. */
static void put_list(const struct solver *s, struct sbuf *b, int32_t i,
                     bool pos, const char *last, bool every)
{
    size_t n = 0, m = 0;
    for (size_t k = 0; k < s->inc[i].nt; k++)
        n += positive(s, tm(s, i, k)->pkg, tm(s, i, k)->set) == pos;
    for (size_t k = 0; k < s->inc[i].nt; k++) {
        const struct term *t = tm(s, i, k);
        if (positive(s, t->pkg, t->set) != pos)
            continue;
        sb_s(b, m == 0 ? "" : m + 1 < n ? ", " : last);
        put_term(s, b, t, every && n == 1);
        m++;
    }
}

static void put_derived(const struct solver *s, struct sbuf *b, int32_t i)
{
    size_t nt = s->inc[i].nt, npos = 0;
    for (size_t k = 0; k < nt; k++)
        npos += positive(s, tm(s, i, k)->pkg, tm(s, i, k)->set);
    if (is_failure(s, i)) {
        sb_s(b, "the request cannot be satisfied");
    } else if (nt == 1 && npos == 1) {
        const struct term *t = tm(s, i, 0);
        bool all = !t->text && s->pkg[t->pkg].nver > 1 &&
                   term_count(s, t) == s->pkg[t->pkg].nver;
        sb_s(b, all ? "no version of " : "");
        put_term(s, b, t, false);
        sb_s(b, all ? " can be installed" : " cannot be installed");
    } else if (npos == nt) {
        put_list(s, b, i, true, " and ", false);
        sb_s(b, nt == 2 ? " cannot both be installed"
                        : " cannot all be installed");
    } else if (npos == 0) {
        put_list(s, b, i, false, " or ", false);
        sb_s(b, " is required");
    } else {
        sb_s(b, npos > 1 ? "if " : "");
        put_list(s, b, i, true, " and ", true);
        sb_s(b, npos > 1 ? " are installed, then " : " requires ");
        put_list(s, b, i, false, " or ", false);
        sb_s(b, npos > 1 ? " is required" : "");
    }
}

/* Incompatibility i as a clause: a fact or a conclusion. */
static void put_inc(const struct solver *s, struct sbuf *b, int32_t i)
{
    switch (s->inc[i].cause) {
    case C_ROOT:
        sb_s(b, "the request is made");
        return;
    case C_REQUEST:
        sb_s(b, "the request needs ");
        put_term(s, b, tm(s, i, 1), false);
        return;
    case C_DEP:
        put_term(s, b, tm(s, i, 0), true);
        sb_s(b, " depends on ");
        put_term(s, b, tm(s, i, 1), false);
        return;
    case C_SELF:
        put_term(s, b, tm(s, i, 0), false);
        sb_s(b, " depends on ");
        sb_q(b, s->pkg[tm(s, i, 0)->pkg].name);
        sb_s(b, " ");
        sb_q(b, s->inc[i].note);
        sb_s(b, " which excludes ");
        put_term(s, b, tm(s, i, 0), false);
        return;
    case C_NOTFOUND:
        sb_s(b, "there is no module named ");
        sb_q(b, s->pkg[tm(s, i, 0)->pkg].name);
        return;
    case C_NOVERSIONS:
        put_noversions(s, b, tm(s, i, 0));
        return;
    }
    put_derived(s, b, i);
}

static bool is_dep(const struct solver *s, int32_t i)
{
    return s->inc[i].cause == C_REQUEST || s->inc[i].cause == C_DEP;
}

static bool is_fact(const struct solver *s, int32_t i)
{
    int c = s->inc[i].cause;
    return c == C_NOTFOUND || c == C_NOVERSIONS || c == C_SELF;
}

/* "the request needs app and audit": two dependencies of one depender. */
static bool put_both(const struct solver *s, struct sbuf *b, int32_t x,
                     int32_t y)
{
    const struct term *dx = tm(s, x, 0), *dy = tm(s, y, 0);
    if (!is_dep(s, x) || !is_dep(s, y) || dx->pkg != dy->pkg ||
        !b_equal(bits(s, dx->set), bits(s, dy->set), s->pkg[dx->pkg].words))
        return false;
    if (name_cmp(s, tm(s, x, 1)->pkg, tm(s, y, 1)->pkg) > 0) {
        int32_t t = x;
        x = y;
        y = t;
    }
    put_term(s, b, dx, true);
    sb_s(b, dx->pkg ? " depends on " : " needs ");
    put_term(s, b, tm(s, x, 1), false);
    sb_s(b, " and ");
    put_term(s, b, tm(s, y, 1), false);
    return true;
}

/* "a 1.0.0 depends on b ^1 which depends on c ^2": x's dependee is y's
 * depender, every version of it. */
static bool put_through(const struct solver *s, struct sbuf *b, int32_t x,
                        int32_t y)
{
    if (!is_dep(s, x) || s->inc[y].cause != C_DEP)
        return false;
    const struct term *q = tm(s, x, 1), *dy = tm(s, y, 0);
    if (q->pkg != dy->pkg)
        return false;
    for (size_t v = 0; v < s->pkg[q->pkg].nver; v++)
        if (term_has(s, q, v) && !term_has(s, dy, v))
            return false;
    put_inc(s, b, x);
    sb_s(b, " which depends on ");
    put_term(s, b, tm(s, y, 1), false);
    return true;
}

/* Two external facts joined by "and". */
static void put_and(const struct solver *s, struct sbuf *b, int32_t x,
                    int32_t y)
{
    if (put_both(s, b, x, y) || put_through(s, b, x, y) ||
        put_through(s, b, y, x))
        return;
    if (is_fact(s, x) && !is_fact(s, y)) {
        int32_t t = x;
        x = y;
        y = t;
    }
    put_inc(s, b, x);
    sb_s(b, " and ");
    put_inc(s, b, y);
}

/* --- Explanations: the derivation, after Dart's reporter -------------- */

struct rep {
    const struct solver *s;
    int32_t root;
    int    *count;    /* uses of each incompatibility */
    int    *line;     /* its line number, 0 if none */
    char  **text;
    int    *num;
    size_t  n, cap, cnum;
    int     next;
    bool    oom;
};

static bool derived(const struct rep *r, int32_t i)
{
    return r->s->inc[i].cause == C_DERIVED;
}

/* Count each derived incompatibility's uses (depth first, no recursion:
 * a hostile index may make the tree deep). */
static int count_uses(struct rep *r)
{
    size_t n = 0, cap = 64;
    int32_t *st = malloc(cap * sizeof *st);
    if (!st)
        return WH_E_NOMEM;
    st[n++] = r->root;
    while (n) {
        int32_t i = st[--n];
        if (r->count[i]++ || !derived(r, i))
            continue;
        if (GROW(st, cap, n + 2)) {
            free(st);
            return WH_E_NOMEM;
        }
        st[n++] = r->s->inc[i].c2;
        st[n++] = r->s->inc[i].c1;
    }
    free(st);
    return 0;
}

static void write_line(struct rep *r, int32_t i, struct sbuf *b,
                       bool numbered)
{
    if (b->oom || GROW(r->text, r->cap, r->n + 1) ||
        GROW(r->num, r->cnum, r->n + 1)) {
        r->oom = true;
        free(b->p);
        return;
    }
    r->num[r->n] = 0;
    if (numbered)
        r->num[r->n] = r->line[i] = ++r->next;
    r->text[r->n++] = b->p;
}

/* "Because " ... ", " conclusion "." */
static void sb_end(const struct rep *r, struct sbuf *b, int32_t i)
{
    sb_s(b, ", ");
    put_inc(r->s, b, i);
    sb_s(b, ".");
}

static void sb_ref(struct sbuf *b, const struct rep *r, int32_t i)
{
    char n[32];
    put_inc(r->s, b, i);
    snprintf(n, sizeof n, " (%d)", r->line[i]);
    sb_s(b, n);
}

static void visit(struct rep *r, int32_t i, bool conclusion, int depth);

static bool single_line(const struct rep *r, int32_t i)
{
    return !derived(r, r->s->inc[i].c1) && !derived(r, r->s->inc[i].c2);
}

/* Both causes derived. */
static void visit_two(struct rep *r, int32_t i, struct sbuf *b,
                      const char *conj, int depth)
{
    int32_t a = r->s->inc[i].c1, c = r->s->inc[i].c2;
    if (r->line[a] && r->line[c]) {
        sb_s(b, "Because ");
        sb_ref(b, r, a);
        sb_s(b, " and ");
        sb_ref(b, r, c);
    } else if (r->line[a] || r->line[c]) {
        int32_t with = r->line[a] ? a : c, without = r->line[a] ? c : a;
        visit(r, without, false, depth + 1);
        sb_s(b, conj);
        sb_s(b, " because ");
        sb_ref(b, r, with);
    } else if (single_line(r, a) || single_line(r, c)) {
        int32_t first = single_line(r, c) ? a : c;
        visit(r, first, false, depth + 1);
        visit(r, first == a ? c : a, false, depth + 1);
        sb_s(b, "Thus");
    } else {
        visit(r, a, true, depth + 1);
        visit(r, c, false, depth + 1);
        sb_s(b, conj);
        sb_s(b, " because ");
        sb_ref(b, r, a);
    }
    sb_end(r, b, i);
}

/* One cause derived (d), one external (e). */
static void visit_one(struct rep *r, int32_t i, int32_t d, int32_t e,
                      struct sbuf *b, const char *conj, int depth)
{
    const struct inc *in = &r->s->inc[d];
    if (r->line[d]) {
        sb_s(b, "Because ");
        put_inc(r->s, b, e);
        sb_s(b, " and ");
        sb_ref(b, r, d);
    } else if (derived(r, in->c1) != derived(r, in->c2) &&
               !r->line[derived(r, in->c1) ? in->c1 : in->c2]) {
        int32_t dd = derived(r, in->c1) ? in->c1 : in->c2;
        visit(r, dd, false, depth + 1);
        sb_s(b, conj);
        sb_s(b, " because ");
        put_and(r->s, b, dd == in->c1 ? in->c2 : in->c1, e);
    } else {
        visit(r, d, false, depth + 1);
        sb_s(b, conj);
        sb_s(b, " because ");
        put_inc(r->s, b, e);
    }
    sb_end(r, b, i);
}

static void visit(struct rep *r, int32_t i, bool conclusion, int depth)
{
    const struct inc *in = &r->s->inc[i];
    bool numbered = conclusion || r->count[i] > 1;
    const char *conj = conclusion || i == r->root ? "So," : "And";
    struct sbuf b = { 0 };
    if (depth > MAX_DEPTH) {
        sb_s(&b, "After more steps than are shown here, ");
        put_inc(r->s, &b, i);
        sb_s(&b, ".");
    } else if (derived(r, in->c1) && derived(r, in->c2)) {
        visit_two(r, i, &b, conj, depth);
    } else if (derived(r, in->c1) || derived(r, in->c2)) {
        bool d1 = derived(r, in->c1);
        visit_one(r, i, d1 ? in->c1 : in->c2, d1 ? in->c2 : in->c1, &b,
                  conj, depth);
    } else {
        sb_s(&b, "Because ");
        put_and(r->s, &b, in->c1, in->c2);
        sb_end(r, &b, i);
    }
    write_line(r, i, &b, numbered);
}

/* Join the lines, numbered ones as "(1) " and the rest indented to
 * match when any line has a number. */
static char *join_lines(struct rep *r)
{
    struct sbuf b = { 0 };
    char pad[32];
    int w = r->next ? snprintf(pad, sizeof pad, "(%d) ", r->next) : 0;
    sb_s(&b, "");
    for (size_t k = 0; k < r->n; k++) {
        if (r->num[k])
            snprintf(pad, sizeof pad, "(%d) ", r->num[k]);
        else
            snprintf(pad, sizeof pad, "%*s", w, "");
        sb_s(&b, w ? pad : "");
        sb_s(&b, r->text[k]);
        sb_s(&b, "\n");
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static int report(struct solver *s, int32_t failure, char **out)
{
    struct rep r = { .s = s, .root = failure,
                     .count = calloc(s->ninc, sizeof(int)),
                     .line = calloc(s->ninc, sizeof(int)) };
    int rc = r.count && r.line ? count_uses(&r) : WH_E_NOMEM;
    if (!rc) {
        if (derived(&r, failure)) {
            visit(&r, failure, false, 0);
        } else {
            struct sbuf b = { 0 };
            sb_s(&b, "Because ");
            put_inc(s, &b, failure);
            sb_s(&b, ", the request cannot be satisfied.");
            write_line(&r, failure, &b, false);
        }
        if (r.oom || !(*out = join_lines(&r)))
            rc = WH_E_NOMEM;
    }
    for (size_t k = 0; k < r.n; k++)
        free(r.text[k]);
    free(r.text);
    free(r.num);
    free(r.count);
    free(r.line);
    return rc ? nomem(s) : 0;
}

/* --- API implementation ----------------------------------------------- */

static int root_init(struct solver *s)
{
    if (GROW(s->pkg, s->cpkg, 1) || GROW(s->pending, s->cpending, 1) ||
        GROW(s->changed, s->cchanged, 1))
        return nomem(s);
    struct rpkg *p = &s->pkg[0];
    memset(p, 0, sizeof *p);
    s->npkg = 1;
    if (!(p->ver = calloc(1, sizeof *p->ver)))
        return nomem(s);
    p->pref = p->last = -1;
    p->nver = 1;
    p->ver[0].src = &root_version;
    p->ver[0].have_deps = true;
    p->loaded = true;
    return pkg_elements(s, 0);
}

static void solver_free(struct solver *s)
{
    for (size_t i = 0; i < s->npkg; i++) {
        free(s->pkg[i].ver);
        free(s->pkg[i].ever);
        free(s->pkg[i].inc);
        free(s->pkg[i].add);
    }
    for (size_t i = 0; i < s->nowned; i++)
        free(s->owned[i]);
    free(s->owned);
    free(s->pkg);
    free(s->tab);
    free(s->perm);
    free(s->trail);
    free(s->term);
    free(s->scratch);
    free(s->inc);
    free(s->asg);
    free(s->pending);
    free(s->changed);
}

int wh_resolve(const wh_resolve_provider *p, const wh_resolve_request *req,
               size_t n, wh_resolve_result *out, wh_err *err)
{
    struct solver s = { .prov = p, .req = req, .nreq = n, .err = err };
    bool failed = false;
    int32_t failure = -1;
    assert(p && p->versions && p->dependencies && out && (req || !n));
    memset(out, 0, sizeof *out);
    wh_err_clear(err);
    s.max_steps = p->max_steps ? p->max_steps : WH_RESOLVE_MAX_STEPS;
    int rc = root_init(&s);
    if (!rc)
        rc = solve(&s, &failed, &failure);
    if (!rc && failed && !(rc = report(&s, failure, &out->explanation)))
        rc = wh_fail(err, WH_E_CONFLICT, NULL, -1,
                     "the requirements cannot all be satisfied");
    else if (!rc)
        rc = answer(&s, out);
    solver_free(&s);
    return rc;
}

void wh_resolve_result_free(wh_resolve_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->pick[i].name);
        free(r->pick[i].version);
    }
    free(r->pick);
    free(r->explanation);
    memset(r, 0, sizeof *r);
}

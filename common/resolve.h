/* resolve.h - choose one version of every module a request needs (PubGrub).
 *
 * The resolver is pure logic: it never reads a file.  A provider hands it
 * each module's versions and each version's dependencies (wharf install
 * feeds it from the signed index); it answers with one version per module
 * such that every requirement holds, or with a plain-English explanation
 * of why no such choice exists.  How it searches and how it words the
 * explanation are described at the top of resolve.c.
 *
 * Rules the answer follows:
 *   - every module reached through dependencies is resolved too, and for
 *     each the highest version meeting every requirement on it is chosen,
 *     except that the provider's preferred version (an installed one) is
 *     kept whenever it still fits; conflicts are undone by backtracking;
 *   - a version with a prerelease meets a requirement only as
 *     wh_semver_req_matches() says (the Cargo/npm rule);
 *   - a request with no requirement (req NULL) means "the newest release":
 *     any non-prerelease version, and prereleases only when the module has
 *     no release that is not yanked;
 *   - a yanked version meets only a requirement that pins it exactly
 *     (wh_semver_req_exact: "=1.0.1"); for any other it is as if absent,
 *     and an explanation says "json 1.0.1 is yanked" where that matters;
 *   - an unavailable version (e.g. a PAR with no binary for this host) is
 *     never chosen; an explanation gives the provider's reason
 *     ("json 1.0.0 is not available for x86_64-linux");
 *   - dependency cycles are fine (a depends on b, b on a).
 *
 * Limits against hostile indexes: WH_RESOLVE_MAX_STEPS decisions plus
 * conflict-resolution steps, WH_RESOLVE_MAX_MODULES modules and
 * WH_RESOLVE_MAX_VERSIONS versions of one module; past them wh_resolve
 * fails with WH_E_LIMIT ("resolution needed more than 100000 steps").
 *
 * Tests: tests/unit/resolve_test.c
 */
#ifndef WH_RESOLVE_H
#define WH_RESOLVE_H

#include <stddef.h>

#include "common/err.h"
#include "common/semver.h"

#define WH_RESOLVE_MAX_STEPS    100000
#define WH_RESOLVE_MAX_MODULES  50000
#define WH_RESOLVE_MAX_VERSIONS 4096

/* One version of a module, as the provider knows it. */
typedef struct wh_resolve_version {
    const char *version;      /* SemVer 2.0.0 text, e.g. "1.2.0" */
    int         yanked;       /* usable only when a requirement pins it */
    const char *unavailable;  /* NULL, or why it cannot be used, worded to
                               * follow "is": "not available for
                               * x86_64-linux" */
} wh_resolve_version;

/* One dependency of a version: req is Cargo syntax, as the index has it. */
typedef struct wh_resolve_dep {
    const char *name;
    const char *req;
} wh_resolve_dep;

/* Where versions and dependencies come from.  Every pointer the callbacks
 * hand out must stay valid until wh_resolve returns (the provider caches);
 * the resolver asks for each module's versions once, and for each
 * version's dependencies at most once.  Callbacks return 0 or a WH_E_*
 * code with *err filled; any code aborts wh_resolve with that error,
 * except WH_E_NOTFOUND from versions(), which means "no module of that
 * name" (the explanation then says "there is no module named ghost"). */
typedef struct wh_resolve_provider {
    void *ctx;
    /* Every version of module `name`, in any order. */
    int (*versions)(void *ctx, const char *name,
                    const wh_resolve_version **v, size_t *n, wh_err *err);
    /* The dependencies of one version (as given by versions()). */
    int (*dependencies)(void *ctx, const char *name, const char *version,
                        const wh_resolve_dep **d, size_t *n, wh_err *err);
    /* The version to try first (an installed one, kept while it fits), or
     * NULL.  May itself be NULL. */
    const char *(*preferred)(void *ctx, const char *name);
    /* The step budget; 0 means WH_RESOLVE_MAX_STEPS (tests lower it). */
    size_t max_steps;
} wh_resolve_provider;

/* One thing the user asked for: module `name` meeting req (NULL: the
 * newest release, see above).  req_text is how the user wrote req, for
 * explanations ("the request needs json ^3"); NULL prints req in its
 * normalized form. */
typedef struct wh_resolve_request {
    const char          *name;
    const wh_semver_req *req;
    const char          *req_text;
} wh_resolve_request;

typedef struct wh_resolve_pick {
    char *name;
    char *version;    /* the provider's text of the chosen version */
} wh_resolve_pick;

/* The answer.  pick lists every module to install, dependencies before
 * the modules that depend on them, modules with no order between them by
 * name (a dependency cycle is entered at the module first by name); the
 * same input always gives the same list.  explanation is set only when
 * wh_resolve fails with WH_E_CONFLICT: sentences, each ending in ".\n". */
typedef struct wh_resolve_result {
    size_t           n;
    wh_resolve_pick *pick;
    char            *explanation;
} wh_resolve_result;

/* Resolve the n requests against provider p into *out (which the caller
 * frees with wh_resolve_result_free, on success and on failure).  Returns
 * 0; WH_E_CONFLICT ("the requirements cannot all be satisfied", no path)
 * with out->explanation saying why; WH_E_FORMAT for a version string that
 * is not SemVer ("module 'json': version '1.x': ...") or a dependency
 * requirement that does not parse; WH_E_LIMIT past a limit above;
 * WH_E_NOMEM; or any error a callback returned. */
int wh_resolve(const wh_resolve_provider *p, const wh_resolve_request *req,
               size_t n, wh_resolve_result *out, wh_err *err);

/* Free what wh_resolve put in *r and zero it.  NULL is allowed. */
void wh_resolve_result_free(wh_resolve_result *r);

#endif

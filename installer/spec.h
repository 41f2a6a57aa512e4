/* spec.h - what a user names on the command line to install or mirror:
 * a package file, or a module with an optional version requirement.
 *
 *   ./hello.ferrpkg, a/b.zip   a local package file: the argument holds a
 *                              '/' or ends with .ferrpkg, .par, .par.gz
 *                              or .zip
 *   hello                      any version of module hello
 *   hello@REQ                  the versions REQ matches: Cargo syntax when
 *                              REQ holds a ',' (">=1.2, <2"), npm syntax
 *                              otherwise, so "hello@1.2.3" means exactly
 *                              1.2.3, as with `cargo install` and `npm
 *                              install`; "^1.2", "~1.2", "1.x",
 *                              ">=1 <2", "1 - 2", "^1 || ^2"
 *
 * A bad SPEC is a bad command line: WH_E_USAGE (exit status 2), the
 * argument quoted in the reason, and for a requirement the byte offset
 * within it:
 *
 *     bad requirement in 'hello@^x': offset 1: unexpected 'x' ...
 *
 * Tests: tests/cli/t2007-wharf-mirror.sh (through `wharf mirror`).
 */
#ifndef INS_SPEC_H
#define INS_SPEC_H

#include <stdbool.h>

#include "common/err.h"
#include "common/semver.h"

/* Longest SPEC argument accepted, in bytes. */
#define INS_SPEC_MAX_LEN (64 + 1 + WH_SEMVER_REQ_MAX_LEN)

typedef enum ins_spec_kind {
    INS_SPEC_MODULE = 1,   /* NAME or NAME@REQ */
    INS_SPEC_FILE,         /* a package file on disk */
} ins_spec_kind;

typedef struct ins_spec {
    ins_spec_kind  kind;
    const char    *arg;       /* the whole argument (not copied) */
    char           name[65];  /* MODULE: the module name */
    const char    *req_text;  /* MODULE: REQ as given (in arg), NULL for any */
    wh_semver_req *req;       /* MODULE: REQ compiled, NULL for any */
} ins_spec;

/* Parse arg (which must outlive *out) into *out.  Returns 0 or
 * WH_E_USAGE (WH_E_NOMEM) with the reason; free with ins_spec_free,
 * also after a failure. */
int ins_spec_parse(const char *arg, ins_spec *out, wh_err *err);

void ins_spec_free(ins_spec *s);

/* true if version (text, strict SemVer) of module satisfies the MODULE
 * spec s; a version that does not parse never does. */
bool ins_spec_matches(const ins_spec *s, const char *module,
                      const char *version);

#endif

/* semver.h - SemVer 2.0.0 versions and Cargo/npm version requirements.
 *
 * Versions (semver.c) follow https://semver.org strictly: MAJOR.MINOR.PATCH
 * with optional -prerelease and +build, numbers without leading zeros that
 * fit in uint64_t.  A wh_semver is a plain value: it owns a fixed buffer
 * for its prerelease and build text, so it needs no allocation, no free,
 * and may be copied with `=` or memcpy; nothing points into the string it
 * was parsed from.
 *
 * Requirements (semver_req.c) come in two syntaxes that the caller names:
 *
 *   WH_SEMVER_CARGO  the Cargo book's "Specifying dependencies": `1.2.3`
 *                    (= ^1.2.3), ^ ~ = > >= < <=, `*`, `1.*`, `1.2.*`,
 *                    `1.x`, comparators joined by ','.
 *   WH_SEMVER_NPM    node-semver's "Ranges": primitives, x-ranges, ~ ^
 *                    (and ~>), hyphen ranges `1.2.3 - 2.3`, space = AND,
 *                    `||` = OR, `v`/`=` prefixes, "" = any.
 *
 * Both compile to the same thing: a list of comparator sets (OR of ANDs)
 * of primitive comparators (< <= = >= >), exactly as node-semver
 * desugars its ranges; a version with a prerelease tag matches a set only
 * if some comparator of that set names a prerelease of the same
 * major.minor.patch (the rule Cargo and node-semver share).
 *
 * Errors are WH_E_FORMAT (or WH_E_LIMIT for the size caps) with
 * err->offset = the byte offset in the given string and err->path empty;
 * a caller that knows where the string came from may fill err->path or
 * use wh_err_prefix().
 */
#ifndef WH_SEMVER_H
#define WH_SEMVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* --- Versions --------------------------------------------------------- */

/* Longest version string accepted, in bytes. */
#define WH_SEMVER_MAX_LEN 256

typedef struct wh_semver {
    uint64_t major, minor, patch;
    uint16_t pre_len;    /* bytes of prerelease text (no '-'), 0 if none */
    uint16_t build_len;  /* bytes of build text (no '+'), 0 if none */
    /* "<prerelease>\0<build>\0": read it with wh_semver_pre/_build. */
    char     ids[WH_SEMVER_MAX_LEN];
} wh_semver;

/* Parse the n bytes at s (no NUL needed; an embedded NUL is an invalid
 * character) as a strict SemVer 2.0.0 version into *v.  Nothing is kept
 * pointing into s.  Returns 0, WH_E_FORMAT ("leading zero in major
 * version", "missing minor version", "unexpected 'x' after patch
 * version", "empty prerelease identifier", "invalid character '!' in
 * build metadata", "major version too large", ...) or WH_E_LIMIT (longer
 * than WH_SEMVER_MAX_LEN); err->offset is where the problem is.  On
 * failure *v is unspecified. */
int wh_semver_parse(wh_semver *v, const char *s, size_t n, wh_err *err);

/* The prerelease ("alpha.1") and build ("build.5") text, "" if none.
 * The pointers live as long as *v. */
const char *wh_semver_pre(const wh_semver *v);
const char *wh_semver_build(const wh_semver *v);

/* Precedence per semver.org section 11: <0, 0 or >0 as a < b, a == b,
 * a > b.  Build metadata is ignored, so 1.0.0+a and 1.0.0+b compare 0. */
int wh_semver_compare(const wh_semver *a, const wh_semver *b);

/* Compare two prerelease strings (dot-separated identifiers, no '-')
 * by section 11; "" is a release and ranks above every prerelease.
 * Numeric identifiers compare as numbers of any length. */
int wh_semver_compare_pre(const char *a, size_t alen,
                          const char *b, size_t blen);

/* Write the canonical text of *v ("1.2.3-rc.1+b5", identical to what was
 * parsed) to buf like snprintf: at most n bytes including the NUL; returns
 * the length it needed (always < WH_SEMVER_MAX_LEN + 1). */
size_t wh_semver_format(const wh_semver *v, char *buf, size_t n);

/* --- Scanning a version inside larger text (for semver_req.c) --------- */

/* A version as written in a requirement: one to three numbers, a wildcard
 * (x, X or *) in place of the numbers from some point on, and, only after
 * a numeric patch, a prerelease and build.  Offsets index the scanned
 * string. */
typedef struct wh_semver_partial {
    uint64_t num[3];      /* numbers given; the rest are 0 */
    int      nnum;        /* how many numbers were given, 0..3 */
    int      wildcard;    /* 1 if a wildcard followed the numbers */
    size_t   pre_off, pre_len;      /* prerelease text, pre_len 0 if none */
    size_t   build_off, build_len;  /* build text, build_len 0 if none */
    int      state;       /* where scanning stopped, for _stray() */
} wh_semver_partial;

enum {
    WH_SEMVER_PARTIAL  = 1,  /* "1" and "1.2" are complete */
    WH_SEMVER_WILDCARD = 2,  /* x, X and * stand in for numbers */
};

/* Scan a version at s[*pos] (s has n bytes), stopping at the first byte
 * that cannot continue it; *pos is left there.  Fails (WH_E_FORMAT) only
 * on what no continuation could fix: a leading zero, a number too large,
 * a missing number after '.', an empty identifier, a number after a
 * wildcard.  The caller decides whether the stopping byte is acceptable,
 * and if not calls wh_semver_scan_stray(). */
int wh_semver_scan(wh_semver_partial *p, const char *s, size_t n,
                   size_t *pos, unsigned flags, wh_err *err);

/* Report the byte s[pos] that stopped wh_semver_scan() as unexpected there:
 * "unexpected 'x' after patch version", "invalid character '!' in
 * prerelease", ...  Returns WH_E_FORMAT. */
int wh_semver_scan_stray(const wh_semver_partial *p, const char *s,
                         size_t pos, wh_err *err);

/* --- Requirements ----------------------------------------------------- */

typedef enum wh_semver_syntax {
    WH_SEMVER_CARGO = 1,
    WH_SEMVER_NPM   = 2,
} wh_semver_syntax;

/* Caps on hostile input: the requirement's length in bytes and the number
 * of primitive comparators after desugaring (`^1.2` counts 2). */
#define WH_SEMVER_REQ_MAX_LEN 1024
#define WH_SEMVER_REQ_MAX_CMP 64

typedef struct wh_semver_req wh_semver_req;  /* opaque, immutable */

/* Compile the n bytes at s as a requirement in the given syntax.  On
 * success *out is a new requirement the caller frees with
 * wh_semver_req_free(); on failure *out is NULL.  Returns 0, WH_E_FORMAT
 * with the offset and reason ("empty comparator", "operator '>=' needs a
 * version", "unexpected ',' in npm range", ...), WH_E_LIMIT or
 * WH_E_NOMEM. */
int wh_semver_req_parse(wh_semver_req **out, wh_semver_syntax syntax,
                        const char *s, size_t n, wh_err *err);

void wh_semver_req_free(wh_semver_req *req);

/* true if *v satisfies req: every comparator of at least one set holds,
 * and if v has a prerelease, that set names a prerelease of v's
 * major.minor.patch. */
bool wh_semver_req_matches(const wh_semver_req *req, const wh_semver *v);

/* true if req is a pin: exactly one comparator set holding exactly one
 * "=" comparator with a full version ("=1.0.1" in Cargo syntax, "1.0.1"
 * or "=1.0.1" in npm's); then *v (if not NULL) is that version, without
 * build metadata.  The resolver uses it: a yanked version may be chosen
 * only when a requirement pins it. */
bool wh_semver_req_exact(const wh_semver_req *req, wh_semver *v);

/* Write req in normalized comparator form to buf like snprintf (returns
 * the length needed).  Comparators are the primitives it compiled to,
 * joined by ", " in Cargo syntax and by " " in npm syntax; npm sets are
 * joined by " || "; a set that matches every release is "*".  Examples:
 *   cargo ^1.2        ->  ">=1.2.0, <2.0.0-0"
 *   npm   1.2.3 - 2.3 ->  ">=1.2.3 <2.4.0-0"
 *   npm   ~1 || 3.x   ->  ">=1.0.0 <2.0.0-0 || >=3.0.0 <4.0.0-0"
 * An upper bound "<X.Y.Z-0" excludes X.Y.Z's prereleases too, as
 * node-semver writes it.  The output parses back, in the same syntax, to
 * an equivalent requirement (if it fits WH_SEMVER_REQ_MAX_LEN: the
 * normalized form can be several times longer than the source). */
size_t wh_semver_req_format(const wh_semver_req *req, char *buf, size_t n);

#endif

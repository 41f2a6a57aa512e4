/* spec.c - parse a SPEC argument (spec.h has the forms and the syntax
 * rule).
 *
 * The rule for REQ's syntax: a ',' can only be Cargo's AND, and npm has
 * no use for it, so REQ is Cargo when it holds one and npm otherwise.
 * npm syntax for the rest is what makes "hello@1.2.3" exact (Cargo would
 * read a bare 1.2.3 as ^1.2.3), which is what both cargo install and npm
 * install do with NAME@VERSION on their command lines.  An empty REQ
 * ("hello@") is refused rather than read as npm's "any": it is more
 * likely a cut-off word than a wish.
 *
 * Tests: tests/cli/t2007-wharf-mirror.sh.
 */
#include "installer/spec.h"

#include <stdio.h>
#include <string.h>

#include "common/pkg.h"

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static int is_file_arg(const char *arg, size_t n)
{
    return strchr(arg, '/') || ends_with(arg, n, ".ferrpkg") ||
           ends_with(arg, n, ".par") || ends_with(arg, n, ".par.gz") ||
           ends_with(arg, n, ".zip");
}

/* REQ (n bytes at r) into s->req, its errors rewritten to name arg. */
static int parse_req(ins_spec *s, const char *arg, const char *r, size_t n,
                     wh_err *err)
{
    wh_err e;
    char q[4 * INS_SPEC_MAX_LEN + 1];
    if (n == 0)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "no requirement after '@' in "
                       "'%s'", wh_quote(q, sizeof q, arg, strlen(arg)));
    wh_semver_syntax syn = memchr(r, ',', n) ? WH_SEMVER_CARGO : WH_SEMVER_NPM;
    if (wh_semver_req_parse(&s->req, syn, r, n, &e) == 0) {
        s->req_text = r;
        return 0;
    }
    if (e.code == WH_E_NOMEM)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    wh_quote(q, sizeof q, arg, strlen(arg));
    if (e.offset >= 0)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "bad requirement in '%s': "
                       "offset %lld: %s", q, e.offset, e.reason);
    return wh_fail(err, WH_E_USAGE, NULL, -1, "bad requirement in '%s': %s",
                   q, e.reason);
}

int ins_spec_parse(const char *arg, ins_spec *out, wh_err *err)
{
    char q[4 * INS_SPEC_MAX_LEN + 1];
    size_t n = strlen(arg);
    memset(out, 0, sizeof *out);
    out->arg = arg;
    if (n > INS_SPEC_MAX_LEN)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "'%.40s...' is %zu bytes "
                       "long, more than a spec may be (%d)",
                       wh_quote(q, 64, arg, 40), n, INS_SPEC_MAX_LEN);
    if (n && is_file_arg(arg, n)) {
        out->kind = INS_SPEC_FILE;
        return 0;
    }
    out->kind = INS_SPEC_MODULE;
    const char *at = strchr(arg, '@');
    size_t nlen = at ? (size_t)(at - arg) : n;
    wh_err e;
    if (wh_pkg_name_check(arg, nlen, &e))
        return wh_fail(err, WH_E_USAGE, NULL, -1, "bad spec '%s': %s",
                       wh_quote(q, sizeof q, arg, n), e.reason);
    memcpy(out->name, arg, nlen);
    out->name[nlen] = '\0';
    return at ? parse_req(out, arg, at + 1, n - nlen - 1, err) : 0;
}

void ins_spec_free(ins_spec *s)
{
    wh_semver_req_free(s->req);
    s->req = NULL;
}

bool ins_spec_matches(const ins_spec *s, const char *module,
                      const char *version)
{
    wh_semver v;
    if (s->kind != INS_SPEC_MODULE || strcmp(s->name, module) != 0)
        return false;
    if (wh_semver_parse(&v, version, strlen(version), NULL) != 0)
        return false;
    return !s->req || wh_semver_req_matches(s->req, &v);
}

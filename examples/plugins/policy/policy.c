/* policy.c - a wharf-index validation hook: a size limit and a naming
 * policy, from the plugin's config, and a warning for packages that
 * declare no license.
 *
 * validate_upload(info, data) reads info = {name, version, format,
 * size_bytes, sha256, signer} and answers {"allowed": bool, "message":
 * str?, "warnings": [str]}.  The rules, in order (the first refusal is
 * the message):
 *
 *   size      size_bytes (or the data's length when info has none) must
 *             not exceed max_size_mb MiB
 *   name      the name must match name_pattern, a glob where * is any run
 *             of bytes and ? one byte (so "acme-*" keeps a repository to
 *             one prefix)
 *   signer    with require_signer = true, info.signer must be non-empty
 *   license   not a refusal: a warning when neither info.license nor the
 *             first 64 KiB of the bytes declare one ("license":"X as in a
 *             .ferrpkg header, or license = "X as in an uncompressed
 *             plugin.toml)
 *
 * An info that is not a JSON object with a string name is refused: the
 * host always sends one, so anything else is a bug worth stopping on.
 *
 * Tests: tests/cli/t2026-example-plugins.sh.
 */
#include "../wharf_plugin.h"

typedef struct policy {
    uint64_t max_bytes;
    wp_slice pattern;
    int      require_signer;
} policy;

static policy policy_load(void)
{
    policy p = { 10ull << 20, { "*", 1 }, 0 };
    wp_slice c = wp_config();
    uint64_t mb;
    if (wp_json_uint(c.p, c.n, "max_size_mb", &mb) == 0 && mb <= (1u << 20))
        p.max_bytes = mb << 20;
    wp_json_str(c.p, c.n, "name_pattern", &p.pattern);
    p.require_signer = wp_json_bool(c.p, c.n, "require_signer", 0);
    return p;
}

/* Glob match of s[0..sn) against g[0..gn): * any run, ? one byte.  The
 * classic backtracking to the last star keeps it linear in practice. */
static int glob_match(const char *g, size_t gn, const char *s, size_t sn)
{
    size_t gi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < sn) {
        if (gi < gn && (g[gi] == '?' || g[gi] == s[si])) {
            gi++, si++;
        } else if (gi < gn && g[gi] == '*') {
            star = gi++;
            mark = si;
        } else if (star != (size_t)-1) {
            gi = star + 1;
            si = ++mark;
        } else {
            return 0;
        }
    }
    while (gi < gn && g[gi] == '*')
        gi++;
    return gi == gn;
}

/* Declarations sit in a package's first bytes (a .ferrpkg header, a
 * manifest); looking no further keeps a megabyte binary cheap to judge. */
#define DECL_WINDOW 65536

/* Whether data's first DECL_WINDOW bytes hold needle followed by a byte
 * other than a quote. */
static int has_decl(wp_slice data, const char *needle)
{
    size_t k = wp_strlen(needle), n = data.n < DECL_WINDOW ? data.n : DECL_WINDOW;
    for (size_t i = 0; i + k < n; i++)
        if (data.p[i] == needle[0] && wp_eq(data.p + i, k, needle) &&
            data.p[i + k] != '"')
            return 1;
    return 0;
}

static int has_license(wp_slice info, wp_slice data)
{
    wp_slice l;
    if (wp_json_str(info.p, info.n, "license", &l) == 0 && l.n > 0)
        return 1;
    return has_decl(data, "\"license\":\"") || has_decl(data, "license = \"");
}

static void answer(wp_buf *b, const char *refusal, wp_slice name, int warn)
{
    if (refusal) {
        wp_puts(b, "{\"allowed\":false,\"message\":");
        wp_put_jstr(b, refusal, wp_strlen(refusal));
    } else {
        wp_puts(b, "{\"allowed\":true");
    }
    wp_puts(b, ",\"warnings\":[");
    if (warn) {
        wp_buf w = { 0 };
        wp_put(&w, name.p, name.n);
        wp_puts(&w, " declares no license");
        wp_put_jstr(b, w.p, w.len);
    }
    wp_puts(b, "]}");
}

/* The first rule info breaks, written to why; 0 if none. */
static int judge(const policy *p, wp_slice info, wp_slice data,
                 wp_slice name, wp_buf *why)
{
    uint64_t size = data.n;
    wp_slice signer;
    wp_json_uint(info.p, info.n, "size_bytes", &size);
    if (size > p->max_bytes) {
        wp_puts(why, "size ");
        wp_put_u64(why, size);
        wp_puts(why, " bytes exceeds max_size_mb ");
        wp_put_u64(why, p->max_bytes >> 20);
    } else if (!glob_match(p->pattern.p, p->pattern.n, name.p, name.n)) {
        wp_puts(why, "name '");
        wp_put(why, name.p, name.n);
        wp_puts(why, "' does not match name_pattern '");
        wp_put(why, p->pattern.p, p->pattern.n);
        wp_puts(why, "'");
    } else if (p->require_signer &&
               (wp_json_str(info.p, info.n, "signer", &signer) != 0 ||
                signer.n == 0)) {
        wp_puts(why, "unsigned, and require_signer is set");
    }
    return why->len > 0;
}

WP_EXPORT("validate_upload")
int64_t validate_upload(int32_t info_ptr, int32_t info_len,
                        int32_t data_ptr, int32_t data_len)
{
    wp_slice info = wp_in(info_ptr, info_len), data = wp_in(data_ptr, data_len);
    wp_slice name;
    wp_buf b = { 0 };
    if (wp_json_str(info.p, info.n, "name", &name) != 0) {
        wp_log(WP_LOG_ERROR, "info has no name");
        answer(&b, "info has no name", (wp_slice){ "", 0 }, 0);
        return wp_result(&b);
    }
    policy p = policy_load();
    wp_buf why = { 0 };
    int refused = judge(&p, info, data, name, &why);
    wp_put(&why, "", 1);    /* NUL-terminate for answer() */
    answer(&b, refused ? why.p : 0, name, !refused && !has_license(info, data));
    return wp_result(&b);
}

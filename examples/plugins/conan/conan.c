/* conan.c - a wharf-index format handler for Conan's conanfile.txt.
 *
 * A package is one conanfile.txt, named NAME-VERSION.conan.txt (the
 * extension the plugin claims).  Conan's file has no name or version, so
 * they come from header comments, which Conan itself ignores:
 *
 *   # name: zlib-app            required: what the package is indexed as
 *   # version: 1.0.0            required: MAJOR.MINOR.PATCH
 *   # description: ...          optional, as are license, authors and
 *   # license: MIT              keywords (the last two comma-separated)
 *   [requires]
 *   zlib/1.2.13                 a dependency: name/version[@user/channel][#rev]
 *   fmt/[>=10.0 <11]            a version range, Conan's syntax
 *
 * parse_metadata(data) -> {"name","version",...}; validate(data) ->
 * {"allowed": bool, "message"?, "warnings": []}, the answer of a
 * validation hook (docs/plugins.md); extract_dependencies(data) -> {"zlib":
 * "=1.2.13", "fmt": ">=10.0, <11"}: an exact version becomes "=V", a range
 * its comparators joined by ", " (Cargo's form).  [tool_requires] are
 * build tools, not dependencies; other sections are ignored.  A line is
 * at most MAX_LINE bytes; the text must be UTF-8 without NUL.
 *
 * Tests: tests/cli/t2026-example-plugins.sh.
 */
#include "../wharf_plugin.h"

#define MAX_LINE 4096

typedef struct line {
    const char *p;
    size_t      n;
} line;

/* The next line of d from *at, without its end of line and outer blanks. */
static int next_line(wp_slice d, size_t *at, line *l)
{
    if (*at >= d.n)
        return 0;
    size_t s = *at, e = s;
    while (e < d.n && d.p[e] != '\n')
        e++;
    *at = e + 1;
    while (s < e && (d.p[s] == ' ' || d.p[s] == '\t'))
        s++;
    while (e > s && (d.p[e - 1] == ' ' || d.p[e - 1] == '\t' || d.p[e - 1] == '\r'))
        e--;
    l->p = d.p + s;
    l->n = e - s;
    return 1;
}

/* The value of a "# key: value" header comment, or an empty slice. */
static wp_slice header(wp_slice d, const char *key)
{
    wp_slice v = { "", 0 };
    size_t at = 0, k = wp_strlen(key);
    line l;
    while (next_line(d, &at, &l) && l.n && l.p[0] == '#') {
        size_t i = 1;
        while (i < l.n && l.p[i] == ' ')
            i++;
        if (l.n - i > k && wp_eq(l.p + i, k, key) && l.p[i + k] == ':') {
            for (i += k + 1; i < l.n && l.p[i] == ' '; i++)
                ;
            v.p = l.p + i;
            v.n = l.n - i;
        }
    }
    return v;
}

static int semver3(wp_slice v)
{
    int dots = 0, digits = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] == '.' && digits && dots < 2)
            dots++, digits = 0;
        else if (v.p[i] >= '0' && v.p[i] <= '9' && !(digits == 1 && v.p[i - 1] == '0'))
            digits++;
        else
            return 0;
    }
    return dots == 2 && digits;
}

/* A comma-separated header as a JSON array of trimmed strings. */
static void put_list(wp_buf *b, wp_slice v)
{
    size_t s = 0;
    int first = 1;
    wp_puts(b, "[");
    while (s < v.n) {
        size_t e = s;
        while (e < v.n && v.p[e] != ',')
            e++;
        size_t a = s, z = e;
        while (a < z && v.p[a] == ' ')
            a++;
        while (z > a && v.p[z - 1] == ' ')
            z--;
        if (z > a) {
            if (!first)
                wp_puts(b, ",");
            wp_put_jstr(b, v.p + a, z - a);
            first = 0;
        }
        s = e + 1;
    }
    wp_puts(b, "]");
}

WP_EXPORT("parse_metadata") int64_t parse_metadata(int32_t ptr, int32_t len)
{
    static const char *const strs[] = { "name", "version", "description", "license" };
    static const char *const lists[] = { "authors", "keywords" };
    wp_slice d = wp_in(ptr, len);
    wp_buf b = { 0 };
    int first = 1;
    wp_puts(&b, "{");
    for (size_t i = 0; i < 4; i++) {
        wp_slice v = header(d, strs[i]);
        if (v.n) {
            wp_put_pair(&b, first, strs[i], v.p, v.n);
            first = 0;
        }
    }
    for (size_t i = 0; i < 2; i++) {
        wp_slice v = header(d, lists[i]);
        if (!v.n)
            continue;
        wp_puts(&b, first ? "\"" : ",\"");
        wp_puts(&b, lists[i]);
        wp_puts(&b, "\":");
        put_list(&b, v);
        first = 0;
    }
    wp_puts(&b, "}");
    return wp_result(&b);
}

typedef struct dep {
    line name, req;    /* req: a version, or a range without its brackets */
    int  range;
} dep;

/* A [requires] line: name/version[@user/channel][#rev]; 0 or -1. */
static int parse_dep(line l, dep *d)
{
    size_t i = 0;
    while (i < l.n && l.p[i] != '/')
        i++;
    if (i == 0 || i == l.n)
        return -1;
    d->name = (line){ l.p, i };
    const char *v = l.p + i + 1;
    size_t n = l.n - i - 1, e = 0;
    d->range = n > 0 && v[0] == '[';
    if (d->range) {
        while (e < n && v[e] != ']')
            e++;
        if (e == n || e == 1)
            return -1;
        d->req = (line){ v + 1, e - 1 };
        return 0;
    }
    while (e < n && v[e] != '@' && v[e] != '#')
        e++;
    d->req = (line){ v, e };
    return e ? 0 : -1;
}

/* Walk [requires]: each line to dep_fn, or the first bad line to *bad. */
static int each_dep(wp_slice d, wp_buf *out, line *bad)
{
    size_t at = 0;
    int in_requires = 0, first = 1;
    line l;
    while (next_line(d, &at, &l)) {
        dep x;
        if (l.n > MAX_LINE) {
            *bad = l;
            return -1;
        }
        if (!l.n || l.p[0] == '#')
            continue;
        if (l.p[0] == '[' && l.p[l.n - 1] == ']') {
            in_requires = wp_eq(l.p, l.n, "[requires]");
            continue;
        }
        if (!in_requires)
            continue;
        if (parse_dep(l, &x) != 0) {
            *bad = l;
            return -1;
        }
        if (!out)
            continue;
        wp_puts(out, first ? "" : ",");
        first = 0;
        wp_put_jstr(out, x.name.p, x.name.n);
        wp_puts(out, ":");
        wp_buf r = { 0 };
        if (!x.range)
            wp_puts(&r, "=");
        for (size_t i = 0; i < x.req.n; i++)
            if (x.req.p[i] == ' ')
                wp_puts(&r, ", ");
            else
                wp_put(&r, x.req.p + i, 1);
        wp_put_jstr(out, r.p, r.len);
    }
    return 0;
}

WP_EXPORT("extract_dependencies")
int64_t extract_dependencies(int32_t ptr, int32_t len)
{
    wp_buf b = { 0 };
    line bad;
    wp_puts(&b, "{");
    each_dep(wp_in(ptr, len), &b, &bad);
    wp_puts(&b, "}");
    return wp_result(&b);
}

/* Why d is not a conanfile.txt wharf can index, or 0. */
static const char *invalid(wp_slice d, line *bad)
{
    for (size_t i = 0; i < d.n; i++)
        if (d.p[i] == 0)
            return "the file holds a NUL byte";
    if (!header(d, "name").n)
        return "no '# name:' header comment";
    if (!semver3(header(d, "version")))
        return "the '# version:' header is not MAJOR.MINOR.PATCH";
    if (each_dep(d, 0, bad) != 0)
        return "a [requires] line is not name/version";
    return 0;
}

WP_EXPORT("validate") int64_t validate(int32_t ptr, int32_t len)
{
    wp_buf b = { 0 };
    line bad = { "", 0 };
    const char *why = invalid(wp_in(ptr, len), &bad);
    if (!why) {
        wp_puts(&b, "{\"allowed\":true,\"warnings\":[]}");
        return wp_result(&b);
    }
    wp_buf m = { 0 };
    wp_puts(&m, why);
    if (bad.n) {
        wp_puts(&m, ": ");
        wp_put(&m, bad.p, bad.n > 80 ? 80 : bad.n);
    }
    wp_puts(&b, "{\"allowed\":false,\"message\":");
    wp_put_jstr(&b, m.p, m.len);
    wp_puts(&b, ",\"warnings\":[]}");
    return wp_result(&b);
}

/* mustache_test.c - tests for common/mustache.h.
 *
 * The language itself is checked against the Mustache spec by
 * tests/tools/mustache_conformance.c; this file checks what the spec does
 * not: the exact message and line:column of every kind of malformed
 * template (table errors[], reported as "mustache.errors"), every limit
 * (size, nesting, partial count and recursion, output, steps), the
 * choices the spec leaves open (what is falsey, how values print, the
 * apostrophe), the partial callback's contract, hostile data (deep
 * nesting, a huge array), indentation of nested partials, that rendering
 * stays linear over 10,000 pages, and that two threads may render one
 * compiled template at once.
 */
#include "tests/unit/wh_test.h"

#include "common/mustache.h"

#include <pthread.h>
#include <time.h>

/* --- Helpers --- */

struct pmap { const char *name, *text; };   /* partials, {NULL} ends */

static int calls;                            /* partial callbacks made */

static int from_map(void *ctx, const char *name, const char **text,
                    size_t *len, wh_err *err)
{
    (void)err;
    calls++;
    *text = NULL;
    for (const struct pmap *m = ctx; m && m->name; m++)
        if (!strcmp(m->name, name)) {
            *text = m->text;
            *len = strlen(m->text);
        }
    return 0;
}

static json_t *data_of(const char *json)
{
    json_error_t je;
    json_t *d = json ? json_loads(json, JSON_DECODE_ANY, &je) : NULL;
    if (json && !d)
        fail_msg("bad test data %s: %s", json, je.text);
    return d;
}

/* Compile tmpl (n bytes, or strlen) as "t" with partials pm and limits
 * lim, render over json with max_out: the output, or the formatted error.
 * *code (may be NULL) gets the return code.  The caller frees. */
static char *run(const char *tmpl, size_t n, const char *json,
                 const struct pmap *pm, const wh_mustache_limits *lim,
                 size_t max_out, int *code)
{
    char msg[WH_ERR_LINE_MAX], *out = NULL;
    size_t len;
    wh_err err;
    wh_err_clear(&err);
    wh_mustache *t = (wh_mustache *)&err;   /* must be reset on failure */
    json_t *d = data_of(json);
    int rc = wh_mustache_compile_limits(&t, "t", tmpl, n ? n : strlen(tmpl),
                                        from_map, (void *)pm, lim, &err);
    if (rc)
        assert_null(t);
    else
        rc = wh_mustache_render(t, d, max_out, &out, &len, &err);
    wh_mustache_free(t);
    json_decref(d);
    if (code)
        *code = rc;
    if (rc) {
        assert_null(out);
        assert_int_equal(err.code, rc);
        return strdup(wh_err_format(&err, msg, sizeof msg));
    }
    assert_int_equal(strlen(out), len);
    return out;
}

/* Render and compare with want (output or message). */
static void expect(const char *tmpl, const char *json, const struct pmap *pm,
                   const char *want)
{
    char *got = run(tmpl, 0, json, pm, NULL, 1 << 20, NULL);
    assert_string_equal(got, want);
    free(got);
}

static void expect_code(const char *tmpl, const char *json,
                        const struct pmap *pm, const wh_mustache_limits *lim,
                        size_t max_out, int code, const char *want)
{
    int rc;
    char *got = run(tmpl, 0, json, pm, lim, max_out, &rc);
    assert_string_equal(got, want);
    assert_int_equal(rc, code);
    free(got);
}

static wh_mustache_limits defaults(void)
{
    return (wh_mustache_limits){
        WH_MUSTACHE_MAX_SIZE, WH_MUSTACHE_MAX_DEPTH, WH_MUSTACHE_MAX_PARTIALS,
        WH_MUSTACHE_MAX_PARTIAL_DEPTH, WH_MUSTACHE_MAX_STEPS,
    };
}

/* A string of n copies of s. */
static char *repeat(const char *s, size_t n)
{
    size_t k = strlen(s);
    char *r = malloc(k * n + 1);
    assert_non_null(r);
    for (size_t i = 0; i < n; i++)
        memcpy(r + i * k, s, k);
    r[k * n] = '\0';
    return r;
}

/* --- Malformed templates, one case a row ----------------------------- */

static const struct { const char *src; size_t len; const char *want; }
errors[] = {
    /* tags that do not end */
    { "x {{a", 0, "t:1:3: unclosed tag" },
    { "{{{a}}", 0, "t:1:1: unclosed tag" },
    { "{{! never closed\n}", 0, "t:1:1: unclosed tag" },
    { "{{=<% %>=}}\n <%a%> <%b", 0, "t:2:8: unclosed tag" },
    { "{{=<% %>}}", 0, "t:1:1: unclosed tag" },
    { "{{", 0, "t:1:1: unclosed tag" },
    /* names */
    { "{{}}", 0, "t:1:1: missing name in tag" },
    { "a {{ }}", 0, "t:1:3: missing name in tag" },
    { "{{#}}{{/}}", 0, "t:1:1: missing name in tag" },
    { "{{^ }}", 0, "t:1:1: missing name in tag" },
    { "{{>}}", 0, "t:1:1: missing name in tag" },
    { "{{&}}", 0, "t:1:1: missing name in tag" },
    { "{{{ }}}", 0, "t:1:1: missing name in tag" },
    { "{{#a}}{{/ }}", 0, "t:1:7: missing name in tag" },
    { "{{a b}}", 0, "t:1:1: white space in name 'a b'" },
    { "{{# a\tb }}", 0, "t:1:1: white space in name 'a\\x09b'" },
    { "{{> a b}}", 0, "t:1:1: white space in name 'a b'" },
    { "{{a\nb}}", 0, "t:1:1: white space in name 'a\\x0ab'" },
    { "{{a\0b}}", 7, "t:1:1: NUL byte in name 'a'" },
    { "{{a..b}}", 0, "t:1:1: empty part in name 'a..b'" },
    { "{{.a}}", 0, "t:1:1: empty part in name '.a'" },
    { "{{#a.}}{{/a.}}", 0, "t:1:1: empty part in name 'a.'" },
    { "{{..}}", 0, "t:1:1: empty part in name '..'" },
    { "{{x0123456789012345678901234567890123456789012345678901234567890123"
      "456789 y}}", 0, "t:1:1: white space in name "
      "'x012345678901234567890123456789012345678901234567890123456789012'" },
    /* sections */
    { "{{#a}}x", 0, "t:1:1: unclosed section 'a'" },
    { "a\n  {{#b}}\n{{/b}}\n{{#c}}{{^d}}{{/d}}", 0,
      "t:4:1: unclosed section 'c'" },
    { "a\n{{/a}}", 0, "t:2:1: '/a' closes no section" },
    { "{{#a}}{{/a}}{{/a}}", 0, "t:1:13: '/a' closes no section" },
    { "{{#a}}\n{{^b}}{{/a}}", 0,
      "t:2:7: '/a' does not close section 'b' opened at 2:1" },
    { "{{#a.b}}{{/a}}", 0,
      "t:1:9: '/a' does not close section 'a.b' opened at 1:1" },
    { "{{#a}}{{/a b}}", 0, "t:1:7: white space in name 'a b'" },
    { "{{=| |=}}\n|#a|\n", 0, "t:2:1: unclosed section 'a'" },
    /* positions count characters, lines count LF (CR-LF too) */
    { "\xc3\xa9t\xc3\xa9 {{#a}}", 0, "t:1:5: unclosed section 'a'" },
    { "\r\n\r\n{{#a}}", 0, "t:3:1: unclosed section 'a'" },
    { "{{! a\nb }}{{/x}}", 0, "t:2:5: '/x' closes no section" },
    /* set delimiters */
    { "{{=<%=}}", 0, "t:1:1: set delimiter tag needs two delimiters" },
    { "{{= a b c =}}", 0, "t:1:1: set delimiter tag needs two delimiters" },
    { "{{= =}}", 0, "t:1:1: set delimiter tag needs two delimiters" },
    { "{{==}}", 0, "t:1:1: set delimiter tag needs two delimiters" },
    { "{{=aaaaaaaaaaaaaaaaa b=}}", 0,
      "t:1:1: delimiter longer than 16 bytes" },
    { "{{=a bbbbbbbbbbbbbbbbb=}}", 0,
      "t:1:1: delimiter longer than 16 bytes" },
    { "{{=[ ]=}}\n[=( )=]\n(/x)", 0, "t:3:1: '/x' closes no section" },
};

static void test_error_messages(void **state)
{
    (void)state;
    int pass = 0, fail = 0;
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        int rc;
        char *got = run(errors[i].src, errors[i].len, "{}", NULL, NULL,
                        1 << 20, &rc);
        if (!strcmp(got, errors[i].want) && rc == WH_E_FORMAT) {
            pass++;
        } else {
            fail++;
            print_error("errors[%zu]: got  \"%s\" (%d)\n            want "
                        "\"%s\"\n", i, got, rc, errors[i].want);
        }
        free(got);
    }
    wh_test_report("mustache.errors", pass, fail);
    assert_int_equal(fail, 0);
}

/* An error in a partial names the partial and its own line:column. */
static void test_error_in_partial(void **state)
{
    (void)state;
    const struct pmap pm[] = { { "page", "ok\n{{>part}}" },
                               { "part", "x\n  {{#a}}" }, { NULL, NULL } };
    expect_code("{{>page}}", "{}", pm, NULL, 100, WH_E_FORMAT,
                "part:2:3: unclosed section 'a'");
    const struct pmap obj[] = { { "p", "\n {{a.b}}" }, { NULL, NULL } };
    expect_code("{{>p}}", "{\"a\":{\"b\":{}}}", obj, NULL, 100, WH_E_FORMAT,
                "p:2:2: cannot interpolate 'a.b': it is an object");
}

/* --- Limits ----------------------------------------------------------- */

static void test_limits_checked(void **state)
{
    (void)state;
    wh_mustache_limits bad[5];
    for (int i = 0; i < 5; i++)
        bad[i] = defaults();
    bad[0].max_size = 0;
    bad[1].max_depth = 0;
    bad[2].max_partials = -1;
    bad[3].max_partial_depth = WH_MUSTACHE_COUNT_CEIL + 1;
    bad[4].max_steps = 0;
    for (int i = 0; i < 5; i++)
        expect_code("x", "{}", NULL, &bad[i], 10, WH_E_USAGE,
                    "invalid mustache limits");
}

static void test_nesting_limit(void **state)
{
    (void)state;
    char *open = repeat("{{#a}}", 100), *close = repeat("{{/a}}", 100);
    char *t = malloc(strlen(open) * 2 + 32);
    sprintf(t, "%s{{x}}%s", open, close);
    expect(t, "{\"a\":true,\"x\":1}", NULL, "1");
    sprintf(t, "%s{{^b}}%s{{/b}}", open, close);
    expect_code(t, "{}", NULL, NULL, 100, WH_E_LIMIT,
                "t:1:601: sections nested deeper than 100");
    wh_mustache_limits lim = defaults();
    lim.max_depth = 2;
    expect_code("{{#a}}{{#b}}{{/b}}{{#b}}{{/b}}{{/a}}{{#a}}{{^b}}{{#c}}", "{}",
                NULL, &lim, 100, WH_E_LIMIT,
                "t:1:49: sections nested deeper than 2");
    free(open);
    free(close);
    free(t);
}

static void test_size_limit(void **state)
{
    (void)state;
    wh_mustache_limits lim = defaults();
    lim.max_size = 10;
    expect_code("0123456789", "{}", NULL, &lim, 100, 0, "0123456789");
    expect_code("0123456789A", "{}", NULL, &lim, 100, WH_E_LIMIT,
                "t: templates exceed 10 bytes");
    /* the main template and its partials count together: 12 + 5 + 1 */
    const struct pmap pm[] = { { "p", "12345" }, { "q", "6" }, { NULL, NULL } };
    lim.max_size = 17;
    expect_code("{{>p}}{{>q}}", "{}", pm, &lim, 100, WH_E_LIMIT,
                "q: templates exceed 17 bytes");
    lim.max_size = 18;
    expect_code("{{>p}}{{>q}}", "{}", pm, &lim, 100, 0, "123456");
}

static void test_partial_count_limit(void **state)
{
    (void)state;
    wh_mustache_limits lim = defaults();
    lim.max_partials = 2;
    expect_code("{{>a}}{{>b}}{{>a}}{{>b}}", "{}", NULL, &lim, 100, 0, "");
    expect_code("{{>a}}{{>b}}\n{{>c}}", "{}", NULL, &lim, 100, WH_E_LIMIT,
                "t:2:1: more than 2 partials");
    const struct pmap pm[] = { { "a", "{{>b}}" }, { "b", "{{>c}}" },
                               { NULL, NULL } };
    expect_code("{{>a}}", "{}", pm, &lim, 100, WH_E_LIMIT,
                "b:1:1: more than 2 partials");
    lim.max_partials = 0;
    expect_code("{{>a}}", "{}", NULL, &lim, 100, WH_E_LIMIT,
                "t:1:1: more than 0 partials");
}

/* A partial that includes itself, directly or not, stops with an error
 * at the depth limit, whatever the data. */
static void test_partial_recursion(void **state)
{
    (void)state;
    const struct pmap self[] = { { "self", "x{{>self}}" }, { NULL, NULL } };
    expect_code("{{>self}}", "{}", self, NULL, 1 << 20, WH_E_LIMIT,
                "self:1:2: partials nested deeper than 32");
    const struct pmap two[] = { { "a", "{{>b}}" }, { "b", "\n  {{>a}}" },
                                { NULL, NULL } };
    expect_code("{{>a}}", "{}", two, NULL, 1 << 20, WH_E_LIMIT,
                "b:2:3: partials nested deeper than 32");
    /* exactly the limit is fine; one more is not */
    wh_mustache_limits lim = defaults();
    lim.max_partial_depth = 3;
    const struct pmap tree[] = {
        { "node", "({{#kids}}{{>node}}{{/kids}})" }, { NULL, NULL } };
    /* (every level has "kids": a missing one would be found further
     * down the context stack, and recurse for ever) */
    const char *depth3 = "{\"kids\":[{\"kids\":[{\"kids\":[]}]}]}";
    expect_code("{{>node}}", depth3, tree, &lim, 100, 0, "((()))");
    lim.max_partial_depth = 2;
    expect_code("{{>node}}", depth3, tree, &lim, 100, WH_E_LIMIT,
                "node:1:11: partials nested deeper than 2");
    lim.max_partial_depth = 0;
    expect_code("a{{>missing}}", "{}", NULL, &lim, 100, WH_E_LIMIT,
                "t:1:2: partials nested deeper than 0");
}

static void test_output_limit(void **state)
{
    (void)state;
    const char *t = "{{#list}}{{.}},{{/list}}";
    const char *d = "{\"list\":[1,22,333]}";
    expect_code(t, d, NULL, NULL, 9, 0, "1,22,333,");
    expect_code(t, d, NULL, NULL, 8, WH_E_LIMIT, "t: output exceeds 8 bytes");
    expect_code("", "{}", NULL, NULL, 0, 0, "");
    expect_code("x", "{}", NULL, NULL, 0, WH_E_LIMIT,
                "t: output exceeds 0 bytes");
    /* escaping counts what is written, not what was read */
    expect_code("{{s}}", "{\"s\":\"<>\"}", NULL, NULL, 8, 0, "&lt;&gt;");
    expect_code("{{s}}", "{\"s\":\"<>\"}", NULL, NULL, 7, WH_E_LIMIT,
                "t: output exceeds 7 bytes");
}

/* Loops in loops that write nothing still end: the step budget. */
static void test_step_limit(void **state)
{
    (void)state;
    json_t *a = json_array();
    for (int i = 0; i < 1000; i++)
        json_array_append_new(a, json_integer(i));
    json_t *d = json_pack("{s:o}", "a", a);
    const char *src = "{{#a}}{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}{{/a}}";
    wh_err err;
    wh_mustache *t;
    assert_int_equal(wh_mustache_compile(&t, "t", src, strlen(src), NULL,
                                         NULL, &err), 0);
    char *out = (char *)src;
    size_t len = 1;
    assert_int_equal(wh_mustache_render(t, d, 100, &out, &len, &err),
                     WH_E_LIMIT);
    assert_null(out);
    assert_int_equal(len, 0);
    assert_string_equal(err.reason, "render takes more than 33554432 steps");
    wh_mustache_free(t);

    /* 6 ops, and searching the context stack: a 1 level, b 2, x 3 */
    wh_mustache_limits lim = defaults();
    lim.max_steps = 12;
    const char *nest = "{{#a}}{{#b}}{{x}}{{/b}}{{/a}}";
    expect_code(nest, "{\"a\":1,\"b\":2}", NULL, &lim, 100, 0, "");
    lim.max_steps = 11;
    expect_code(nest, "{\"a\":1,\"b\":2}", NULL, &lim, 100, WH_E_LIMIT,
                "t: render takes more than 11 steps");
    json_decref(d);
}

/* --- What the spec leaves open ---------------------------------------- */

static void test_values(void **state)
{
    (void)state;
    expect("{{a}} {{b}} {{c}} {{d}}",
           "{\"a\":0,\"b\":-42,\"c\":9223372036854775807,"
           "\"d\":-9223372036854775808}",
           NULL, "0 -42 9223372036854775807 -9223372036854775808");
    /* reals as JavaScript writes them */
    expect("{{#r}}{{.}} {{/r}}",
           "{\"r\":[1.21,0.1,100.0,1e20,1e21,1e-6,1e-7,1.5e-7,-0.0,-2.5,"
           "0.3333333333333333,1.7976931348623157e308,5e-324,123456.789,"
           "0.1e1,9.999999999999999e22]}",
           NULL, "1.21 0.1 100 100000000000000000000 1e+21 0.000001 1e-7 "
           "1.5e-7 0 -2.5 0.3333333333333333 1.7976931348623157e+308 "
           "5e-324 123456.789 1 1e+23 ");
    expect("{{t}}/{{f}}/{{n}}/{{m}}",
           "{\"t\":true,\"f\":false,\"n\":null}", NULL, "true/false//");
    expect("{{{t}}}/{{&f}}", "{\"t\":true,\"f\":false}", NULL, "true/false");
}

static void test_escaping(void **state)
{
    (void)state;
    const char *d = "{\"s\":\"a&b<c>d\\\"e'f\\u00e9\"}";
    expect("{{s}}", d, NULL, "a&amp;b&lt;c&gt;d&quot;e&#39;f\xc3\xa9");
    expect("{{{s}}}|{{&s}}", d, NULL,
           "a&b<c>d\"e'f\xc3\xa9|a&b<c>d\"e'f\xc3\xa9");
    expect("{{s}}", "{\"s\":\"&&''\"}", NULL, "&amp;&amp;&#39;&#39;");
    expect("{{s}}", "{\"s\":\"\"}", NULL, "");
}

/* A NUL inside a string value is written as it is (the length tells). */
static void test_nul_in_data(void **state)
{
    (void)state;
    const char *src = "[{{s}}]";
    json_t *d = json_pack("{s:s#}", "s", "a\0b", (size_t)3);
    wh_mustache *t;
    wh_err err;
    assert_int_equal(wh_mustache_compile(&t, "t", src, strlen(src), NULL,
                                         NULL, &err), 0);
    char *out;
    size_t len;
    assert_int_equal(wh_mustache_render(t, d, 100, &out, &len, &err), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "[a\0b]", 6);
    free(out);
    wh_mustache_free(t);
    json_decref(d);
}

static void test_objects_and_arrays_do_not_interpolate(void **state)
{
    (void)state;
    const char *d = "{\"o\":{\"p\":[1]},\"l\":[]}";
    expect_code("x\n {{o}}", d, NULL, NULL, 100, WH_E_FORMAT,
                "t:2:2: cannot interpolate 'o': it is an object");
    expect_code("{{{o.p}}}", d, NULL, NULL, 100, WH_E_FORMAT,
                "t:1:1: cannot interpolate 'o.p': it is an array");
    expect_code("{{#o}}{{&.}}{{/o}}", d, NULL, NULL, 100, WH_E_FORMAT,
                "t:1:7: cannot interpolate '.': it is an object");
    expect_code("{{l}}", d, NULL, NULL, 100, WH_E_FORMAT,
                "t:1:1: cannot interpolate 'l': it is an array");
}

static void test_truthiness(void **state)
{
    (void)state;
    const char *d = "{\"s\":\"\",\"z\":0,\"r\":0.0,\"o\":{},\"f\":false,"
                    "\"n\":null,\"l\":[]}";
    const char *t = "{{#s}}s{{/s}}{{#z}}z{{/z}}{{#r}}r{{/r}}{{#o}}o{{/o}}"
                    "{{#f}}f{{/f}}{{#n}}n{{/n}}{{#l}}l{{/l}}{{#m}}m{{/m}}|"
                    "{{^s}}s{{/s}}{{^z}}z{{/z}}{{^r}}r{{/r}}{{^o}}o{{/o}}"
                    "{{^f}}f{{/f}}{{^n}}n{{/n}}{{^l}}l{{/l}}{{^m}}m{{/m}}";
    expect(t, d, NULL, "szro|fnlm");
    /* a truthy scalar is on top of the context inside its section */
    expect("{{#z}}[{{.}}]{{/z}}{{#s}}[{{.}}]{{/s}}", d, NULL, "[0][]");
}

/* data may be NULL (null) or any JSON value, not only an object. */
static void test_data_not_an_object(void **state)
{
    (void)state;
    wh_mustache *t;
    wh_err err;
    const char *src = "[{{.}}{{a}}{{#.}}x{{/.}}{{^.}}y{{/.}}]";
    assert_int_equal(wh_mustache_compile(&t, NULL, src, strlen(src), NULL,
                                         NULL, &err), 0);
    assert_string_equal(wh_mustache_name(t), "");
    char *out;
    size_t len;
    assert_int_equal(wh_mustache_render(t, NULL, 100, &out, &len, NULL), 0);
    assert_string_equal(out, "[y]");
    free(out);
    json_t *d = json_string("s");
    assert_int_equal(wh_mustache_render(t, d, 100, &out, &len, NULL), 0);
    assert_string_equal(out, "[sx]");
    free(out);
    json_decref(d);
    wh_mustache_free(t);
}

/* --- Partials --------------------------------------------------------- */

/* The callback runs at compile time, once per name, recursion or not. */
static void test_partial_callback_once_per_name(void **state)
{
    (void)state;
    const struct pmap pm[] = {
        { "node", "<{{name}}{{#kids}}{{>node}}{{/kids}}>" },
        { "sep", "," }, { NULL, NULL } };
    wh_mustache *t;
    wh_err err;
    const char *src = "{{>node}}{{>sep}}{{>node}}{{>sep}}{{>missing}}";
    calls = 0;
    assert_int_equal(wh_mustache_compile(&t, "t", src, strlen(src), from_map,
                                         (void *)pm, &err), 0);
    assert_int_equal(calls, 3);
    json_t *d = data_of("{\"name\":\"a\",\"kids\":[{\"name\":\"b\","
                        "\"kids\":[]},{\"name\":\"c\",\"kids\":[{\"name\":"
                        "\"d\",\"kids\":[]}]}]}");
    char *out;
    size_t len;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(wh_mustache_render(t, d, 100, &out, &len, &err), 0);
        assert_string_equal(out, "<a<b><c<d>>>,<a<b><c<d>>>,");
        free(out);
    }
    assert_int_equal(calls, 3);
    json_decref(d);
    wh_mustache_free(t);
}

/* Names reach the callback as written (trimmed): dots and slashes too. */
static void test_partial_names(void **state)
{
    (void)state;
    const struct pmap pm[] = { { "dir/x.html", "X" }, { "a.b", "AB" },
                               { NULL, NULL } };
    expect("{{> dir/x.html }}{{>a.b}}", "{}", pm, "XAB");
}

static int fail_cb(void *ctx, const char *name, const char **text,
                   size_t *len, wh_err *err)
{
    (void)ctx;
    (void)text;
    (void)len;
    return wh_fail(err, WH_E_IO, name, -1, "cannot read");
}

static void test_partial_callback_error(void **state)
{
    (void)state;
    wh_err err;
    wh_mustache *t = (wh_mustache *)&err;   /* must be reset on failure */
    const char *src = "{{>theme/head}}";
    assert_int_equal(wh_mustache_compile(&t, "t", src, strlen(src), fail_cb,
                                         NULL, &err), WH_E_IO);
    assert_null(t);
    assert_string_equal(err.path, "theme/head");
    assert_string_equal(err.reason, "cannot read");
    /* no callback: every partial is empty */
    assert_int_equal(wh_mustache_compile(&t, "t", src, strlen(src), NULL,
                                         NULL, NULL), 0);
    char *out;
    size_t len;
    assert_int_equal(wh_mustache_render(t, NULL, 10, &out, &len, NULL), 0);
    assert_string_equal(out, "");
    free(out);
    wh_mustache_free(t);
}

/* Indentation adds up through nested standalone partials, marks every
 * source line of a partial (also one starting with a tag, or after CR-LF)
 * and never a line of a value. */
static void test_nested_indentation(void **state)
{
    (void)state;
    const struct pmap pm[] = {
        { "outer", "<ul>\r\n  {{>inner}}\r\n</ul>\r\n" },
        { "inner", "{{#items}}\n<li>{{v}}</li>\n{{/items}}\n{{x}}\n" },
        { NULL, NULL } };
    expect("<body>\n  {{>outer}}\n</body>\n",
           "{\"items\":[{\"v\":1},{\"v\":2}],\"x\":\"a\\nb\"}", pm,
           "<body>\n  <ul>\r\n    <li>1</li>\n    <li>2</li>\n"
           "    a\nb\n  </ul>\r\n</body>\n");
    /* an inline partial is not indented; its lines are not either */
    expect("  x {{>inner}}", "{\"items\":[{\"v\":1}],\"x\":\"y\"}", pm,
           "  x <li>1</li>\ny\n");
}

/* Delimiters set in a template do not reach its partials, nor back. */
static void test_delimiters_per_unit(void **state)
{
    (void)state;
    const struct pmap pm[] = { { "p", "{{a}}{{=| |=}}|a|" }, { NULL, NULL } };
    expect("{{=< >=}}<>p><a>{{a}}", "{\"a\":1}", pm, "111{{a}}");
}

/* --- Hostile data ----------------------------------------------------- */

/* Data 2,000 levels deep (jansson itself frees it recursively): lookups
 * and sections walk it without recursion. */
static void test_deep_data(void **state)
{
    (void)state;
    const int depth = 2000;
    json_t *v = json_string("bottom");
    for (int i = 0; i < depth; i++)
        v = json_pack("{s:o}", "a", v);
    char *dotted = repeat("a.", depth), *src = malloc(2 * depth + 16);
    dotted[2 * depth - 1] = '\0';               /* "a.a. ... .a" */
    sprintf(src, "{{%s}}", dotted);
    wh_mustache *t;
    wh_err err;
    assert_int_equal(wh_mustache_compile(&t, "t", src, strlen(src), NULL,
                                         NULL, &err), 0);
    char *out;
    size_t len;
    assert_int_equal(wh_mustache_render(t, v, 100, &out, &len, &err), 0);
    assert_string_equal(out, "bottom");
    free(out);
    wh_mustache_free(t);

    /* 100 sections down, then a name found at the bottom of the stack */
    char *open = repeat("{{#a}}", 100), *close = repeat("{{/a}}", 100);
    char *s2 = malloc(strlen(open) * 2 + 16);
    sprintf(s2, "%s{{x}}%s", open, close);
    json_object_set_new(v, "x", json_integer(7));
    assert_int_equal(wh_mustache_compile(&t, "t", s2, strlen(s2), NULL,
                                         NULL, &err), 0);
    assert_int_equal(wh_mustache_render(t, v, 100, &out, &len, &err), 0);
    assert_string_equal(out, "7");
    free(out);
    wh_mustache_free(t);
    free(open);
    free(close);
    free(s2);
    free(dotted);
    free(src);
    json_decref(v);
}

/* A million elements: linear, and the output cap stops a long list
 * early. */
static void test_huge_array(void **state)
{
    (void)state;
    json_t *a = json_array();
    for (int i = 0; i < 1000000; i++)
        json_array_append_new(a, json_integer(i % 10));
    json_t *d = json_pack("{s:o}", "list", a);
    const char *src = "{{#list}}{{.}},{{/list}}";
    wh_mustache *t;
    wh_err err;
    assert_int_equal(wh_mustache_compile(&t, "t", src, strlen(src), NULL,
                                         NULL, &err), 0);
    char *out;
    size_t len;
    assert_int_equal(wh_mustache_render(t, d, 2000000, &out, &len, &err), 0);
    assert_int_equal(len, 2000000);
    assert_memory_equal(out, "0,1,2,3,4,5,6,7,8,9,0,", 22);
    free(out);
    assert_int_equal(wh_mustache_render(t, d, 1000, &out, &len, &err),
                     WH_E_LIMIT);
    wh_mustache_free(t);
    json_decref(d);
}

/* --- Speed and threads ------------------------------------------------ */

/* A module page: 50 fields, some escaped, a list, a partial. */
static json_t *page_data(int i)
{
    json_t *d = json_object();
    char key[16], val[64];
    for (int f = 0; f < 50; f++) {
        snprintf(key, sizeof key, "f%02d", f);
        snprintf(val, sizeof val, "value <%d> of \"module\" & %d", f, i);
        json_object_set_new(d, key, f % 5 ? json_string(val)
                                          : json_integer(f * i));
    }
    json_t *vers = json_array();
    for (int v = 0; v < 5; v++)
        json_array_append_new(vers, json_pack("{s:s,s:i}", "version",
                                              "1.2.3", "size", v * 1000));
    json_object_set_new(d, "versions", vers);
    json_object_set_new(d, "site", json_pack("{s:s}", "title", "wharf"));
    return d;
}

static wh_mustache *page_template(void)
{
    char *src = malloc(8192), *p = src;
    p += sprintf(p, "<html><head><title>{{site.title}}</title></head>\n"
                    "<body>\n  {{>nav}}\n<dl>\n");
    for (int f = 0; f < 50; f++)
        p += sprintf(p, "  <dt>f%02d</dt><dd>{{f%02d}}</dd>\n", f, f);
    sprintf(p, "</dl>\n<table>\n{{#versions}}\n  <tr><td>{{version}}</td>"
               "<td>{{size}}</td><td>{{site.title}}</td></tr>\n"
               "{{/versions}}\n</table>\n{{^versions}}none{{/versions}}\n"
               "</body></html>\n");
    const struct pmap pm[] = {
        { "nav", "<nav>\n<a href=\"/\">{{site.title}}</a>\n</nav>\n" },
        { NULL, NULL } };
    wh_mustache *t;
    wh_err err;
    assert_int_equal(wh_mustache_compile(&t, "page", src, strlen(src),
                                         from_map, (void *)pm, &err), 0);
    free(src);
    return t;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds to render n pages (best of three), checking each output. */
static double render_pages(const wh_mustache *t, json_t **data, int n,
                           size_t *bytes)
{
    double best = 1e9;
    for (int round = 0; round < 3; round++) {
        double t0 = now();
        *bytes = 0;
        for (int i = 0; i < n; i++) {
            char *out;
            size_t len;
            wh_err err;
            assert_int_equal(wh_mustache_render(t, data[i % 100], 1 << 20,
                                                &out, &len, &err), 0);
            *bytes += len;
            free(out);
        }
        double dt = now() - t0;
        best = dt < best ? dt : best;
    }
    return best;
}

/* Compiled once, rendered 10,000 times: time grows with the count, not
 * faster (no per-render parse, no growing state).  The bound is a loose
 * ratio, not a time, so a slow or busy machine does not fail it. */
static void test_many_pages_linear(void **state)
{
    (void)state;
    wh_mustache *t = page_template();
    json_t *data[100];
    for (int i = 0; i < 100; i++)
        data[i] = page_data(i);
    size_t b1, b10;
    double t1 = render_pages(t, data, 1000, &b1);
    double t10 = render_pages(t, data, 10000, &b10);
    assert_int_equal(b10, 10 * b1);
    print_message("10,000 pages of %zu bytes: %.0f ms (1,000: %.1f ms)\n",
                  b10 / 10000, t10 * 1e3, t1 * 1e3);
    assert_true(t10 < 40 * t1 + 0.01);
    for (int i = 0; i < 100; i++)
        json_decref(data[i]);
    wh_mustache_free(t);
}

struct job {
    const wh_mustache *t;
    json_t *data;
    const char *want;
    int bad;
};

static void *render_job(void *arg)
{
    struct job *j = arg;
    for (int i = 0; i < 2000; i++) {
        char *out;
        size_t len;
        if (wh_mustache_render(j->t, j->data, 1 << 20, &out, &len, NULL) ||
            strcmp(out, j->want))
            j->bad++;
        free(out);
    }
    return NULL;
}

/* mustache.h promises that threads may share a template and data. */
static void test_two_threads(void **state)
{
    (void)state;
    wh_mustache *t = page_template();
    json_t *d = page_data(1);
    char *want;
    size_t len;
    assert_int_equal(wh_mustache_render(t, d, 1 << 20, &want, &len, NULL), 0);
    struct job jobs[2] = { { t, d, want, 0 }, { t, d, want, 0 } };
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, render_job, &jobs[i]),
                         0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(jobs[0].bad + jobs[1].bad, 0);
    free(want);
    json_decref(d);
    wh_mustache_free(t);
}

/* --- API details ------------------------------------------------------ */

/* The text need not be NUL-terminated; compile copies it. */
static void test_text_not_nul_terminated(void **state)
{
    (void)state;
    char src[] = "{{a}}{{b}}XYZ";
    wh_mustache *t;
    assert_int_equal(wh_mustache_compile(&t, "t", src, 10, NULL, NULL, NULL),
                     0);
    memset(src, '#', sizeof src - 1);
    json_t *d = data_of("{\"a\":1,\"b\":2}");
    char *out;
    size_t len;
    assert_int_equal(wh_mustache_render(t, d, 10, &out, &len, NULL), 0);
    assert_string_equal(out, "12");
    free(out);
    json_decref(d);
    wh_mustache_free(t);
    wh_mustache_free(NULL);
}

WH_TEST_MAIN("mustache",
    cmocka_unit_test(test_error_messages),
    cmocka_unit_test(test_error_in_partial),
    cmocka_unit_test(test_limits_checked),
    cmocka_unit_test(test_nesting_limit),
    cmocka_unit_test(test_size_limit),
    cmocka_unit_test(test_partial_count_limit),
    cmocka_unit_test(test_partial_recursion),
    cmocka_unit_test(test_output_limit),
    cmocka_unit_test(test_step_limit),
    cmocka_unit_test(test_values),
    cmocka_unit_test(test_escaping),
    cmocka_unit_test(test_nul_in_data),
    cmocka_unit_test(test_objects_and_arrays_do_not_interpolate),
    cmocka_unit_test(test_truthiness),
    cmocka_unit_test(test_data_not_an_object),
    cmocka_unit_test(test_partial_callback_once_per_name),
    cmocka_unit_test(test_partial_names),
    cmocka_unit_test(test_partial_callback_error),
    cmocka_unit_test(test_nested_indentation),
    cmocka_unit_test(test_delimiters_per_unit),
    cmocka_unit_test(test_deep_data),
    cmocka_unit_test(test_huge_array),
    cmocka_unit_test(test_many_pages_linear),
    cmocka_unit_test(test_two_threads),
    cmocka_unit_test(test_text_not_nul_terminated))

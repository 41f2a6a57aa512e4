/* json_test.c - canonical JSON bytes and strict parsing. */
#include "tests/unit/wh_test.h"

#include "common/json.h"

static void expect_canon(const char *in, const char *want)
{
    json_t *v;
    wh_err e;
    assert_int_equal(wh_json_parse(in, strlen(in), "t.json", &v, &e), 0);
    char *out;
    size_t len;
    assert_int_equal(wh_json_canon(v, &out, &len, &e), 0);
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
    free(out);
    json_decref(v);
}

static void test_sorted_compact(void **state)
{
    (void)state;
    expect_canon("{ \"b\" : 1, \"a\" : [ true, null, \"x\", {\"d\":{}, \"c\":[]} ] }",
                 "{\"a\":[true,null,\"x\",{\"c\":[],\"d\":{}}],\"b\":1}");
    expect_canon("[-0, 9223372036854775807, -9223372036854775808]",
                 "[0,9223372036854775807,-9223372036854775808]");
    expect_canon("\"top\"", "\"top\"");
}

/* Keys sort by UTF-8 bytes = code points: "Z" < "a" < "é" < "€" < "😀". */
static void test_key_order_is_code_point_order(void **state)
{
    (void)state;
    expect_canon("{\"\\ud83d\\ude00\":5,\"\\u20ac\":4,\"\\u00e9\":3,\"a\":2,\"Z\":1,\"aa\":6}",
                 "{\"Z\":1,\"a\":2,\"aa\":6,\"\xc3\xa9\":3,\"\xe2\x82\xac\":4,"
                 "\"\xf0\x9f\x98\x80\":5}");
}

/* Only the escapes JSON requires; everything else is raw UTF-8. */
static void test_string_escapes(void **state)
{
    (void)state;
    expect_canon("[\"\\u0001\\u001f\\u007f\\/\\\"\\\\\\b\\t\\n\\r\\f\\u2028\\u0041\"]",
                 "[\"\\u0001\\u001F\x7f/\\\"\\\\\\b\\t\\n\\r\\f\xe2\x80\xa8" "A\"]");
    expect_canon("\"a\\u0000b\"", "\"a\\u0000b\"");
}

static void test_reals_refused(void **state)
{
    (void)state;
    json_t *v = json_pack("{s:{s:[i,f]}}", "pkg", "sizes", 1, 2.5);
    char *out;
    size_t len;
    wh_err e;
    assert_int_equal(wh_json_canon(v, &out, &len, &e), WH_E_FORMAT);
    assert_null(out);
    assert_string_equal(e.reason, "'pkg': 'sizes': [1]: real number 2.5 has no canonical form");
    json_decref(v);
}

static void test_parse_errors(void **state)
{
    (void)state;
    json_t *v;
    wh_err e;
    const char *dup = "{\n  \"a\": 1,\n  \"a\": 2\n}";
    assert_int_equal(wh_json_parse(dup, strlen(dup), "i.json", &v, &e), WH_E_FORMAT);
    assert_null(v);
    char buf[256];
    wh_err_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "i.json:3:5: duplicate object key near '\"a\"'");
    const char *trail = "{} x";
    assert_int_equal(wh_json_parse(trail, 4, "t.json", &v, &e), WH_E_FORMAT);
    wh_err_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "t.json:1:4: end of file expected near 'x'");
    const char *bad = "{\"a\":\"\xff\"}";
    assert_int_equal(wh_json_parse(bad, strlen(bad), "u.json", &v, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "unable to decode byte 0xff near '\"'");
}

static void test_depth_limit(void **state)
{
    (void)state;
    char deep[1000];
    int n = WH_JSON_MAX_DEPTH + 1;
    memset(deep, '[', (size_t)n);
    memset(deep + n, ']', (size_t)n);
    json_t *v;
    wh_err e;
    assert_int_equal(wh_json_parse(deep, 2 * (size_t)n, "d.json", &v, &e), WH_E_LIMIT);
    assert_int_equal(e.offset, WH_JSON_MAX_DEPTH);
    assert_string_equal(e.reason, "JSON nested deeper than 64 levels");
    /* Exactly at the limit is fine; brackets inside strings do not count. */
    assert_int_equal(wh_json_parse(deep + 1, 2 * (size_t)n - 2, "d.json", &v, &e), 0);
    json_decref(v);
    const char *s = "[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"\"]";
    assert_int_equal(wh_json_parse(s, strlen(s), "s.json", &v, &e), 0);
    json_decref(v);
}

WH_TEST_MAIN("json",
    cmocka_unit_test(test_sorted_compact),
    cmocka_unit_test(test_key_order_is_code_point_order),
    cmocka_unit_test(test_string_escapes),
    cmocka_unit_test(test_reals_refused),
    cmocka_unit_test(test_parse_errors),
    cmocka_unit_test(test_depth_limit))

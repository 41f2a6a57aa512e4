/* toml_test.c - tests for common/toml.h (toml.c, toml_parse.c,
 * toml_scalar.c).
 *
 * The grammar as a whole is checked against toml-test by
 * tests/tools/toml_conformance.c; this file checks what toml-test cannot:
 * the API (accessors, lookups, names, document order, NULL handling,
 * checked access and its messages), the exact error message and
 * line:column of every kind of error (table errors[] below, reported as
 * "toml.errors" with wh_test_report), positions of values, NUL inside
 * strings and keys, the int64 and float edges, the size and depth
 * limits, and a table large enough to use its index.
 */
#include "tests/unit/wh_test.h"

#include "common/toml.h"

#include <math.h>

/* Parse src (length n, or strlen when n is 0) as "t.toml"; assert ok. */
static wh_toml *parse_ok(const char *src, size_t n)
{
    wh_err err;
    wh_err_clear(&err);
    wh_toml *doc = NULL;
    int rc = wh_toml_parse(src, n ? n : strlen(src), "t.toml", &doc, &err);
    if (rc)
        print_error("unexpected error: %s:%d:%d: %s\n", err.path, err.line,
                    err.col, err.reason);
    assert_int_equal(rc, 0);
    assert_non_null(doc);
    return doc;
}

/* The formatted error for src, or "ok". */
static const char *parse_msg(const char *src, size_t n, int *code)
{
    static char msg[600];
    wh_err err;
    wh_err_clear(&err);
    wh_toml *doc = (wh_toml *)&err;  /* must be reset to NULL on failure */
    int rc = wh_toml_parse(src, n ? n : strlen(src), "t.toml", &doc, &err);
    if (code)
        *code = rc;
    if (rc == 0) {
        wh_toml_free(doc);
        return "ok";
    }
    assert_null(doc);
    return wh_err_format(&err, msg, sizeof msg);
}

/* --- Error messages, one case a row ----------------------------------- */

static const struct { const char *src, *want; } errors[] = {
    /* syntax */
    { "a 1", "t.toml:1:3: expected '=' after key" },
    { "a =\n1", "t.toml:1:4: expected a value" },
    { "= 1", "t.toml:1:1: expected a key" },
    { "a. = 1", "t.toml:1:4: expected a key" },
    { "a = 1 b = 2", "t.toml:1:7: expected end of line after value" },
    { "[a] b = 1", "t.toml:1:5: expected end of line after table header" },
    { "[a", "t.toml:1:3: expected ']' after table name" },
    { "[[a]", "t.toml:1:4: expected ']]' after array of tables name" },
    { "a = [1 2]", "t.toml:1:8: expected ',' or ']' in array" },
    { "a = [1,\n2", "t.toml:1:5: unterminated array" },
    { "a = [,]", "t.toml:1:6: expected a value" },
    { "a = {b = 1,}", "t.toml:1:12: trailing comma in inline table" },
    { "a = {b = 1\n}", "t.toml:1:11: newline in inline table" },
    { "a = {b = 1 c = 2}",
      "t.toml:1:12: expected ',' or '}' in inline table" },
    { "a = {b = 1", "t.toml:1:5: unterminated inline table" },
    { "a = {b = 1, ", "t.toml:1:5: unterminated inline table" },
    { "a = value", "t.toml:1:5: invalid value 'value'" },
    { "a = True", "t.toml:1:5: invalid value 'True'" },
    { "\"\"\"k\"\"\" = 1", "t.toml:1:1: a key cannot be a multi-line string" },
    /* strings */
    { "s = \"abc", "t.toml:1:5: unterminated string" },
    { "s = 'a\nb'", "t.toml:1:5: unterminated string" },
    { "s = '''abc\n", "t.toml:1:5: unterminated multi-line string" },
    { "s = \"\\q\"", "t.toml:1:6: invalid escape '\\q'" },
    { "s = \"\\ \"", "t.toml:1:6: invalid escape '\\ '" },
    { "s = \"\\x41\"", "t.toml:1:6: invalid escape '\\x'" },
    { "s = \"\\u00\"", "t.toml:1:6: escape '\\u' needs 4 hex digits" },
    { "s = \"\\U0001F60\"", "t.toml:1:6: escape '\\U' needs 8 hex digits" },
    { "s = \"\\uD800\"",
      "t.toml:1:6: escape '\\uD800' is not a unicode scalar value" },
    { "s = \"\\U00110000\"",
      "t.toml:1:6: escape '\\U00110000' is not a unicode scalar value" },
    { "s = \"\"\"\nok\n  \\q\"\"\"", "t.toml:3:3: invalid escape '\\q'" },
    { "s = \"\"\"a \\ b\"\"\"", "t.toml:1:10: invalid escape '\\ '" },
    { "s = \"\"\"a\"\"\"\"\"\"",
      "t.toml:1:14: too many quotes at the end of a multi-line string" },
    /* integers */
    { "i = 01", "t.toml:1:5: leading zero in integer" },
    { "i = -0_1", "t.toml:1:6: leading zero in integer" },
    { "i = 1__0", "t.toml:1:6: '_' must be between two digits" },
    { "i = 10_", "t.toml:1:7: '_' must be between two digits" },
    { "i = 9223372036854775808", "t.toml:1:5: integer out of range" },
    { "i = -9223372036854775809", "t.toml:1:5: integer out of range" },
    { "i = 0x8000000000000000", "t.toml:1:5: integer out of range" },
    { "i = 0x", "t.toml:1:7: incomplete hexadecimal integer '0x'" },
    { "i = 0o8", "t.toml:1:7: invalid character '8' in octal integer" },
    { "i = 0b102", "t.toml:1:9: invalid character '2' in binary integer" },
    { "i = -0x1", "t.toml:1:5: sign not allowed on a non-decimal integer" },
    { "i = 0X1", "t.toml:1:6: invalid character 'X' in integer" },
    /* floats */
    { "f = 1.", "t.toml:1:7: expected a digit after '.'" },
    { "f = 1e", "t.toml:1:7: expected a digit in the exponent" },
    { "f = 03.1", "t.toml:1:5: leading zero in float" },
    { "f = 1e400", "t.toml:1:5: float out of range" },
    { "f = 1.5x", "t.toml:1:8: invalid character 'x' in float" },
    { "f = Inf", "t.toml:1:5: invalid value 'Inf'" },
    /* date/times */
    { "d = 2021-02-29", "t.toml:1:13: day 29 out of range for 2021-02" },
    { "d = 2021-13-01", "t.toml:1:10: month 13 out of range" },
    { "t = 24:00:00", "t.toml:1:5: time 24:00:00 out of range" },
    { "t = 23:59:61", "t.toml:1:5: time 23:59:61 out of range" },
    { "d = 1979-05-27T07:32Z",
      "t.toml:1:16: malformed time '1979-05-27T07:32Z'" },
    { "d = 1979-05-27T07:32:00+24:00",
      "t.toml:1:24: offset +24:00 out of range" },
    { "d = 1979-05-27T07:32:00+0700",
      "t.toml:1:24: malformed date-time offset '1979-05-27T07:32:00+0700'" },
    { "d = 1979-05-27T07:32:00.Z", "t.toml:1:25: expected a digit after '.'" },
    { "d = 1979-5-27", "t.toml:1:5: malformed date '1979-5-27'" },
    { "d = 07:32:00Z", "t.toml:1:13: unexpected 'Z' after time-local" },
    /* redefinition */
    { "a = 1\na = 2", "t.toml:2:1: duplicate key 'a'" },
    { "[t]\n\"a b\" = 1\n'a b' = 2", "t.toml:3:1: duplicate key 't.\"a b\"'" },
    { "a.b.c = 1\na.b = 2", "t.toml:2:3: duplicate key 'a.b'" },
    { "a = {b = 1, b = 2}", "t.toml:1:13: duplicate key 'a.b'" },
    { "[a]\n[a]", "t.toml:2:2: table 'a' already defined at line 1" },
    { "[a.b]\nc = 1\n[a.b]",
      "t.toml:3:4: table 'a.b' already defined at line 1" },
    { "a.b = 1\n[a]",
      "t.toml:2:2: table 'a' already defined by dotted keys at line 1" },
    { "a = {}\n[a]",
      "t.toml:2:2: table 'a' already defined as an inline table at line 1" },
    { "[[a]]\n[a]", "t.toml:2:2: table 'a' already defined as an array of "
      "tables at line 1" },
    { "[a]\n[[a]]", "t.toml:2:3: table 'a' already defined at line 1" },
    { "a = {b = 1}\na.c = 2", "t.toml:2:1: cannot extend inline table 'a'" },
    { "a = {b = 1}\n[a.c]", "t.toml:2:2: cannot extend inline table 'a'" },
    { "a = [1]\n[[a]]", "t.toml:2:3: cannot append to static array 'a'" },
    { "a = [{b = 1}]\n[a.c]", "t.toml:2:2: cannot extend static array 'a'" },
    { "[a]\nb = 1\n[a.b]", "t.toml:3:4: 'a.b' is an integer, not a table" },
    { "a = true\na.b = 1", "t.toml:2:1: 'a' is a bool, not a table" },
    { "[a.b]\n[a]\nb.c = 1", "t.toml:3:1: cannot extend table 'a.b' "
      "(defined at line 1) with dotted keys" },
    { "[[a]]\n[[a.b]]\n[a.b]", "t.toml:3:4: table 'a[0].b' already defined "
      "as an array of tables at line 2" },
    /* encoding: positions count characters, a BOM is not one */
    { "\xff = 1", "t.toml:1:1: invalid UTF-8 byte 0xff" },
    { "a = \"\xc0\xaf\"", "t.toml:1:6: invalid UTF-8 byte 0xc0" },
    { "a = \"\xed\xa0\x80\"", "t.toml:1:6: invalid UTF-8 byte 0xed" },
    { "a = \"\x01\"", "t.toml:1:6: control character U+0001 is not allowed" },
    { "# \x7f", "t.toml:1:3: control character U+007F is not allowed" },
    { "a = 1\r", "t.toml:1:6: carriage return not followed by line feed" },
    { "\"\xc3\xa9\" = 1 x", "t.toml:1:9: expected end of line after value" },
    { "\xef\xbb\xbf" "a = 1 x",
      "t.toml:1:7: expected end of line after value" },
    { "\xef\xbb\xbf\xef\xbb\xbf" "a = 1", "t.toml:1:1: expected a key" },
    { "a = 1\r\nb = 2\r\na = 3", "t.toml:3:1: duplicate key 'a'" },
    { "\xc3\xa9 = 1", "t.toml:1:1: expected a key" },
};

static void test_error_messages(void **state)
{
    (void)state;
    int pass = 0, fail = 0;
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        const char *got = parse_msg(errors[i].src, 0, NULL);
        if (!strcmp(got, errors[i].want)) {
            pass++;
            continue;
        }
        fail++;
        print_error("errors[%zu]: got  \"%s\"\n            want \"%s\"\n", i,
                    got, errors[i].want);
    }
    wh_test_report("toml.errors", pass, fail);
    assert_int_equal(fail, 0);
}

/* --- Values and accessors --------------------------------------------- */

static void test_scalar_types(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("s = \"x\"\ni = -42\nf = 2.5\nb = true\n"
                            "odt = 1979-05-27T00:32:00.999999-07:00\n"
                            "ldt = 1979-05-27 07:32:00\nld = 1979-05-27\n"
                            "lt = 07:32:01.5\n", 0);
    const wh_toml_value *r = wh_toml_root(doc);
    int64_t i = 0;
    double f = 0;
    bool b = false;
    size_t n = 0;
    assert_string_equal(wh_toml_string(wh_toml_get(r, "s"), &n), "x");
    assert_int_equal(n, 1);
    assert_true(wh_toml_int(wh_toml_get(r, "i"), &i));
    assert_int_equal(i, -42);
    assert_true(wh_toml_float(wh_toml_get(r, "f"), &f));
    assert_true(f == 2.5);
    assert_true(wh_toml_bool(wh_toml_get(r, "b"), &b));
    assert_true(b);
    static const struct { const char *key; wh_toml_type t; const char *name; }
    types[] = {
        { "odt", WH_TOML_DATETIME, "datetime" },
        { "ldt", WH_TOML_DATETIME_LOCAL, "datetime-local" },
        { "ld", WH_TOML_DATE_LOCAL, "date-local" },
        { "lt", WH_TOML_TIME_LOCAL, "time-local" },
        { "s", WH_TOML_STRING, "string" },
        { "i", WH_TOML_INTEGER, "integer" },
        { "f", WH_TOML_FLOAT, "float" },
        { "b", WH_TOML_BOOL, "bool" },
    };
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        const wh_toml_value *v = wh_toml_get(r, types[k].key);
        assert_int_equal(wh_toml_type_of(v), types[k].t);
        assert_string_equal(wh_toml_type_name(wh_toml_type_of(v)),
                            types[k].name);
    }
    assert_string_equal(wh_toml_type_name(WH_TOML_TABLE), "table");
    assert_string_equal(wh_toml_type_name(WH_TOML_ARRAY), "array");
    assert_string_equal(wh_toml_type_name(WH_TOML_NONE), "none");
    wh_toml_free(doc);
}

static void test_accessors_wrong_type(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("i = 1\nf = 1.0\ns = \"1\"\n", 0);
    const wh_toml_value *r = wh_toml_root(doc);
    int64_t i = 7;
    double f = 7;
    bool b = true;
    /* no conversions, and *out is left alone */
    assert_false(wh_toml_float(wh_toml_get(r, "i"), &f));
    assert_false(wh_toml_int(wh_toml_get(r, "f"), &i));
    assert_false(wh_toml_bool(wh_toml_get(r, "s"), &b));
    assert_int_equal(i, 7);
    assert_true(f == 7 && b);
    assert_null(wh_toml_string(wh_toml_get(r, "i"), NULL));
    assert_null(wh_toml_datetime_of(wh_toml_get(r, "i")));
    assert_null(wh_toml_get(wh_toml_get(r, "i"), "x"));  /* not a table */
    assert_null(wh_toml_at(r, 0));                       /* not an array */
    assert_int_equal(wh_toml_len(wh_toml_get(r, "s")), 0);
    wh_toml_free(doc);
}

static void test_accessors_null(void **state)
{
    (void)state;
    int64_t i = 0;
    double f = 0;
    bool b = false;
    char name[8] = "x";
    assert_int_equal(wh_toml_type_of(NULL), WH_TOML_NONE);
    assert_null(wh_toml_get(NULL, "a"));
    assert_null(wh_toml_get_path(NULL, "a.b"));
    assert_null(wh_toml_at(NULL, 0));
    assert_null(wh_toml_entry(NULL, 0, NULL, NULL));
    assert_null(wh_toml_string(NULL, NULL));
    assert_false(wh_toml_int(NULL, &i));
    assert_false(wh_toml_float(NULL, &f));
    assert_false(wh_toml_bool(NULL, &b));
    assert_null(wh_toml_datetime_of(NULL));
    assert_int_equal(wh_toml_len(NULL), 0);
    assert_int_equal(wh_toml_line(NULL), 0);
    assert_int_equal(wh_toml_col(NULL), 0);
    assert_string_equal(wh_toml_name(NULL, name, sizeof name), "");
    assert_null(wh_toml_root(NULL));
    wh_toml_free(NULL);
}

static void test_nul_in_strings_and_keys(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("s = \"a\\u0000b\"\n\"k\\u0000ey\" = 1\n"
                            "'k' = 2\n", 0);
    const wh_toml_value *r = wh_toml_root(doc);
    size_t n = 0;
    const char *s = wh_toml_string(wh_toml_get(r, "s"), &n);
    assert_int_equal(n, 3);
    assert_memory_equal(s, "a\0b", 4);   /* and NUL-terminated */
    int64_t i = 0;
    assert_true(wh_toml_int(wh_toml_getn(r, "k\0ey", 4), &i));
    assert_int_equal(i, 1);
    assert_true(wh_toml_int(wh_toml_get(r, "k"), &i));  /* not "k\0ey" */
    assert_int_equal(i, 2);
    const char *key;
    size_t klen;
    wh_toml_entry(r, 1, &key, &klen);
    assert_int_equal(klen, 4);
    assert_memory_equal(key, "k\0ey", 4);
    char name[32];
    assert_string_equal(wh_toml_name(wh_toml_getn(r, "k\0ey", 4), name,
                                     sizeof name), "\"k\\u0000ey\"");
    wh_toml_free(doc);
}

static void test_document_order(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("zeta = 1\nalpha = 2\n[mid]\nx = 1\n"
                            "[beta]\n[mid2]\n", 0);
    const wh_toml_value *r = wh_toml_root(doc);
    static const char *const want[] = { "zeta", "alpha", "mid", "beta",
                                        "mid2" };
    assert_int_equal(wh_toml_len(r), 5);
    for (size_t i = 0; i < 5; i++) {
        const char *key = NULL;
        size_t klen = 0;
        assert_non_null(wh_toml_entry(r, i, &key, &klen));
        assert_int_equal(klen, strlen(want[i]));
        assert_string_equal(key, want[i]);
    }
    assert_null(wh_toml_entry(r, 5, NULL, NULL));
    wh_toml_free(doc);
}

static void test_arrays(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("a = [1, \"two\", [3], {x = 4},]\n"
                            "e = [ # comment\n]\n", 0);
    const wh_toml_value *a = wh_toml_get(wh_toml_root(doc), "a");
    assert_int_equal(wh_toml_type_of(a), WH_TOML_ARRAY);
    assert_int_equal(wh_toml_len(a), 4);
    assert_int_equal(wh_toml_type_of(wh_toml_at(a, 0)), WH_TOML_INTEGER);
    assert_string_equal(wh_toml_string(wh_toml_at(a, 1), NULL), "two");
    assert_int_equal(wh_toml_len(wh_toml_at(a, 2)), 1);
    assert_non_null(wh_toml_get(wh_toml_at(a, 3), "x"));
    assert_null(wh_toml_at(a, 4));
    assert_int_equal(wh_toml_len(wh_toml_get(wh_toml_root(doc), "e")), 0);
    wh_toml_free(doc);
}

static void test_array_of_tables(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("[[p]]\nn = 1\n[p.sub]\nx = 1\n[[p]]\nn = 2\n"
                            "[[p.sub2]]\n", 0);
    const wh_toml_value *p = wh_toml_get(wh_toml_root(doc), "p");
    int64_t n = 0;
    assert_int_equal(wh_toml_len(p), 2);
    assert_true(wh_toml_int(wh_toml_get(wh_toml_at(p, 1), "n"), &n));
    assert_int_equal(n, 2);
    assert_non_null(wh_toml_get(wh_toml_at(p, 0), "sub"));
    assert_null(wh_toml_get(wh_toml_at(p, 1), "sub"));
    assert_int_equal(wh_toml_len(wh_toml_get(wh_toml_at(p, 1), "sub2")), 1);
    char name[64];
    assert_string_equal(wh_toml_name(wh_toml_get(wh_toml_at(p, 0), "sub"),
                                     name, sizeof name), "p[0].sub");
    wh_toml_free(doc);
}

static void test_get_path(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("[plugin]\ncapabilities = [\"net\"]\n"
                            "meta.author.name = \"x\"\n\"a.b\" = 1\n", 0);
    const wh_toml_value *r = wh_toml_root(doc);
    assert_int_equal(wh_toml_type_of(wh_toml_get_path(r,
                     "plugin.capabilities")), WH_TOML_ARRAY);
    assert_string_equal(wh_toml_string(wh_toml_get_path(r,
                        "plugin.meta.author.name"), NULL), "x");
    assert_ptr_equal(wh_toml_get_path(r, "plugin"), wh_toml_get(r, "plugin"));
    assert_null(wh_toml_get_path(r, "plugin.a.b"));  /* parts are literal */
    assert_non_null(wh_toml_get(wh_toml_get(r, "plugin"), "a.b"));
    assert_null(wh_toml_get_path(r, "plugin.capabilities.0"));
    assert_null(wh_toml_get_path(r, "plugin."));
    assert_null(wh_toml_get_path(r, "nope.x"));
    wh_toml_free(doc);
}

static void test_positions(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("# c\n[plugin]\n  version = 1\n"
                            "  x.y = [10,\n    \"s\"]\n[a.b]\n", 0);
    const wh_toml_value *r = wh_toml_root(doc);
    struct { const wh_toml_value *v; int line, col; } at[] = {
        { r, 0, 0 },
        { wh_toml_get(r, "plugin"), 2, 1 },
        { wh_toml_get_path(r, "plugin.version"), 3, 13 },
        { wh_toml_get_path(r, "plugin.x"), 4, 3 },     /* dotted key */
        { wh_toml_get_path(r, "plugin.x.y"), 4, 9 },
        { wh_toml_at(wh_toml_get_path(r, "plugin.x.y"), 1), 5, 5 },
        { wh_toml_get(r, "a"), 6, 2 },                 /* header prefix */
        { wh_toml_get_path(r, "a.b"), 6, 1 },
    };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        assert_int_equal(wh_toml_line(at[i].v), at[i].line);
        assert_int_equal(wh_toml_col(at[i].v), at[i].col);
    }
    wh_toml_free(doc);
}

static void test_implicit_table_position_moves(void **state)
{
    (void)state;
    /* [a.b] creates a at 1:2; [a] then defines it at its own header. */
    wh_toml *doc = parse_ok("[a.b]\n\n[a]\n", 0);
    const wh_toml_value *a = wh_toml_get(wh_toml_root(doc), "a");
    assert_int_equal(wh_toml_line(a), 3);
    assert_int_equal(wh_toml_col(a), 1);
    wh_toml_free(doc);
}

static void test_names(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("[\"a.b\".c]\nd = [[0, {e = 1}]]\n"
                            "\"q\\\"\" = 1\n", 0);
    const wh_toml_value *c = wh_toml_get(wh_toml_get(wh_toml_root(doc),
                                                     "a.b"), "c");
    const wh_toml_value *e = wh_toml_get(wh_toml_at(wh_toml_at(
        wh_toml_get(c, "d"), 0), 1), "e");
    char name[64], small[6];
    assert_string_equal(wh_toml_name(e, name, sizeof name),
                        "\"a.b\".c.d[0][1].e");
    assert_string_equal(wh_toml_name(wh_toml_get(c, "q\""), name,
                                     sizeof name), "\"a.b\".c.\"q\\\"\"");
    assert_string_equal(wh_toml_name(e, small, sizeof small), "\"a.b\"");
    assert_string_equal(wh_toml_name(wh_toml_root(doc), name, sizeof name),
                        "");
    wh_toml_free(doc);
}

/* --- Checked access ---------------------------------------------------- */

static void test_expect_message(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("[plugin]\nname = \"x\"\n\n  version = 1\n", 0);
    const wh_toml_value *v = wh_toml_get_path(wh_toml_root(doc),
                                              "plugin.version");
    wh_err err;
    char msg[300];
    assert_int_equal(wh_toml_expect(v, WH_TOML_INTEGER, &err), 0);
    assert_int_equal(wh_toml_expect(v, WH_TOML_STRING, &err), WH_E_FORMAT);
    assert_string_equal(wh_err_format(&err, msg, sizeof msg),
                        "t.toml:4:13: 'plugin.version' must be a string");
    assert_int_equal(wh_toml_expect(v, WH_TOML_ARRAY, NULL), WH_E_FORMAT);
    wh_toml_expect(v, WH_TOML_ARRAY, &err);
    assert_string_equal(err.reason, "'plugin.version' must be an array");
    wh_toml_free(doc);
}

static void test_need(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("[plugin]\nname = \"wharf\"\nlist = [1, \"x\"]\n"
                            "top = 1\n", 0);
    const wh_toml_value *r = wh_toml_root(doc), *v = NULL;
    wh_err err;
    char msg[300];
    assert_int_equal(wh_toml_need(r, "plugin.name", WH_TOML_STRING, &v,
                                  &err), 0);
    assert_string_equal(wh_toml_string(v, NULL), "wharf");
    assert_int_equal(wh_toml_need(r, "plugin.version", WH_TOML_STRING, &v,
                                  &err), WH_E_FORMAT);
    assert_string_equal(wh_err_format(&err, msg, sizeof msg),
                        "t.toml: missing key 'plugin.version'");
    const wh_toml_value *plugin = wh_toml_get(r, "plugin");
    wh_toml_need(plugin, "author", WH_TOML_STRING, NULL, &err);
    assert_string_equal(wh_err_format(&err, msg, sizeof msg),
                        "t.toml:1:1: missing key 'plugin.author'");
    wh_toml_need(r, "plugin.top.x", WH_TOML_STRING, NULL, &err);
    assert_string_equal(wh_err_format(&err, msg, sizeof msg),
                        "t.toml:4:7: 'plugin.top' must be a table");
    wh_toml_need(r, "plugin.name", WH_TOML_INTEGER, NULL, &err);
    assert_string_equal(wh_err_format(&err, msg, sizeof msg),
                        "t.toml:2:8: 'plugin.name' must be an integer");
    /* array elements are named with their index */
    const wh_toml_value *list = wh_toml_get(plugin, "list");
    wh_toml_expect(wh_toml_at(list, 1), WH_TOML_INTEGER, &err);
    assert_string_equal(wh_err_format(&err, msg, sizeof msg),
                        "t.toml:3:12: 'plugin.list[1]' must be an integer");
    wh_toml_free(doc);
}

static void test_doc_path(void **state)
{
    (void)state;
    wh_toml *doc = NULL;
    assert_int_equal(wh_toml_parse("a = 1", 5, NULL, &doc, NULL), 0);
    assert_string_equal(wh_toml_doc_path(doc), "");
    wh_err err;
    wh_toml_expect(wh_toml_get(wh_toml_root(doc), "a"), WH_TOML_STRING, &err);
    char msg[100];
    assert_string_equal(wh_err_format(&err, msg, sizeof msg),
                        "line 1:5: 'a' must be a string");
    wh_toml_free(doc);
    doc = parse_ok("a = 1", 0);
    assert_string_equal(wh_toml_doc_path(doc), "t.toml");
    wh_toml_free(doc);
}

/* --- Strings ------------------------------------------------------------ */

static void test_string_kinds(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok(
        "b = \"t\\tq\\\"\\\\\\b\\f\\n\\r\\u00e9\\U0001F600\"\n"
        "l = 'C:\\x\\n'\n"
        "mb = \"\"\"\r\nline1\r\n  \\\r\n   line2\\\n\"\"\"\n"
        "ml = '''\nraw \\n ''quotes'''''\n"
        "e = \"\"\n", 0);
    const wh_toml_value *r = wh_toml_root(doc);
    size_t n;
    assert_string_equal(wh_toml_string(wh_toml_get(r, "b"), &n),
                        "t\tq\"\\\b\f\n\r\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(n, 15);
    assert_string_equal(wh_toml_string(wh_toml_get(r, "l"), NULL),
                        "C:\\x\\n");
    /* first newline trimmed, CRLF read as LF, line-ending backslash */
    assert_string_equal(wh_toml_string(wh_toml_get(r, "mb"), NULL),
                        "line1\n  line2");
    assert_string_equal(wh_toml_string(wh_toml_get(r, "ml"), NULL),
                        "raw \\n ''quotes''");
    assert_string_equal(wh_toml_string(wh_toml_get(r, "e"), &n), "");
    assert_int_equal(n, 0);
    wh_toml_free(doc);
}

/* --- Numbers and date/times ------------------------------------------- */

static void test_integer_edges(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("max = 9223372036854775807\n"
                            "min = -9223372036854775808\n"
                            "hex = 0x7FFF_FFFF_FFFF_FFFF\noct = 0o755\n"
                            "bin = 0b1010\nz = -0\nu = 1_000\n", 0);
    const wh_toml_value *r = wh_toml_root(doc);
    int64_t i = 0;
    assert_true(wh_toml_int(wh_toml_get(r, "max"), &i) && i == INT64_MAX);
    assert_true(wh_toml_int(wh_toml_get(r, "min"), &i) && i == INT64_MIN);
    assert_true(wh_toml_int(wh_toml_get(r, "hex"), &i) && i == INT64_MAX);
    assert_true(wh_toml_int(wh_toml_get(r, "oct"), &i) && i == 493);
    assert_true(wh_toml_int(wh_toml_get(r, "bin"), &i) && i == 10);
    assert_true(wh_toml_int(wh_toml_get(r, "z"), &i) && i == 0);
    assert_true(wh_toml_int(wh_toml_get(r, "u"), &i) && i == 1000);
    wh_toml_free(doc);
}

static void test_float_edges(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("a = inf\nb = -inf\nc = nan\nd = -0.0\n"
                            "e = 1e-400\nf = 6.626e-34\ng = 1_0.2_5E+0_1\n",
                            0);
    const wh_toml_value *r = wh_toml_root(doc);
    double f = 0;
    assert_true(wh_toml_float(wh_toml_get(r, "a"), &f) && isinf(f) && f > 0);
    assert_true(wh_toml_float(wh_toml_get(r, "b"), &f) && isinf(f) && f < 0);
    assert_true(wh_toml_float(wh_toml_get(r, "c"), &f) && isnan(f));
    assert_true(wh_toml_float(wh_toml_get(r, "d"), &f) && f == 0 &&
                signbit(f));
    assert_true(wh_toml_float(wh_toml_get(r, "e"), &f) && f == 0);
    assert_true(wh_toml_float(wh_toml_get(r, "f"), &f) && f == 6.626e-34);
    assert_true(wh_toml_float(wh_toml_get(r, "g"), &f) && f == 102.5);
    wh_toml_free(doc);
}

static void test_datetime_fields(void **state)
{
    (void)state;
    wh_toml *doc = parse_ok("a = 1979-05-27t00:32:00.1234567891-07:30\n"
                            "b = 2000-02-29 23:59:60z\nc = 07:32:00\n", 0);
    const wh_toml_value *r = wh_toml_root(doc);
    const wh_toml_datetime *d = wh_toml_datetime_of(wh_toml_get(r, "a"));
    assert_non_null(d);
    assert_int_equal(d->year, 1979);
    assert_int_equal(d->month, 5);
    assert_int_equal(d->day, 27);
    assert_int_equal(d->hour, 0);
    assert_int_equal(d->minute, 32);
    assert_int_equal(d->nanosecond, 123456789);  /* truncated, not rounded */
    assert_int_equal(d->offset_minutes, -450);
    assert_string_equal(d->text, "1979-05-27t00:32:00.1234567891-07:30");
    d = wh_toml_datetime_of(wh_toml_get(r, "b"));
    assert_int_equal(wh_toml_type_of(wh_toml_get(r, "b")), WH_TOML_DATETIME);
    assert_int_equal(d->second, 60);   /* leap second */
    assert_int_equal(d->offset_minutes, 0);
    assert_string_equal(d->text, "2000-02-29 23:59:60z");
    d = wh_toml_datetime_of(wh_toml_get(r, "c"));
    assert_int_equal(d->year, 0);
    assert_int_equal(d->hour, 7);
    wh_toml_free(doc);
}

/* --- Limits ------------------------------------------------------------- */

/* "a = " + n '[' + n ']' */
static char *nested_arrays(int n, size_t *len)
{
    char *s = malloc((size_t)(2 * n) + 8);
    assert_non_null(s);
    size_t k = 0;
    memcpy(s, "a = ", 4);
    k = 4;
    for (int i = 0; i < n; i++)
        s[k++] = '[';
    for (int i = 0; i < n; i++)
        s[k++] = ']';
    *len = k;
    return s;
}

static void test_depth_limit_arrays(void **state)
{
    (void)state;
    size_t len;
    int code;
    char *s = nested_arrays(WH_TOML_MAX_DEPTH, &len);
    assert_string_equal(parse_msg(s, len, NULL), "ok");
    free(s);
    s = nested_arrays(WH_TOML_MAX_DEPTH + 1, &len);
    assert_string_equal(parse_msg(s, len, &code),
                        "t.toml:1:133: nesting deeper than 128 levels");
    assert_int_equal(code, WH_E_LIMIT);
    free(s);
    s = nested_arrays(100000, &len);   /* no stack overflow */
    assert_int_equal(wh_toml_parse(s, len, NULL, &(wh_toml *){ NULL }, NULL),
                     WH_E_LIMIT);
    free(s);
}

static void test_depth_limit_keys_and_inline(void **state)
{
    (void)state;
    char src[1200];
    size_t k = 0;
    for (int i = 0; i < 129; i++) {    /* a.a.a...a = 1: 128 tables + key */
        src[k++] = 'a';
        src[k++] = '.';
    }
    memcpy(src + k - 1, " = 1", 5);
    assert_string_equal(parse_msg(src, 0, NULL), "ok");
    memcpy(src + k - 1, ".b = 1", 7);
    assert_string_equal(parse_msg(src, 0, NULL),
                        "t.toml:1:257: nesting deeper than 128 levels");
    /* inline tables and headers count the same way */
    wh_toml_limits lim = { 1024, 2 };
    wh_toml *doc = NULL;
    wh_err err;
    assert_int_equal(wh_toml_parse_limits("a = {b = {}}", 12, "t.toml", &lim,
                                          &doc, &err), 0);
    wh_toml_free(doc);
    assert_int_equal(wh_toml_parse_limits("a = {b = {c = {}}}", 18, "t.toml",
                                          &lim, &doc, &err), WH_E_LIMIT);
    assert_string_equal(err.reason, "nesting deeper than 2 levels");
    assert_int_equal(err.col, 15);
    assert_int_equal(wh_toml_parse_limits("[a.b.c]", 7, "t.toml", &lim, &doc,
                                          &err), WH_E_LIMIT);
    assert_int_equal(err.col, 1);
    assert_null(doc);
}

static void test_size_limit(void **state)
{
    (void)state;
    wh_toml_limits lim = { 8, WH_TOML_MAX_DEPTH };
    wh_toml *doc = NULL;
    wh_err err;
    char msg[200];
    assert_int_equal(wh_toml_parse_limits("a = 1234", 8, "t.toml", &lim, &doc,
                                          &err), 0);
    wh_toml_free(doc);
    assert_int_equal(wh_toml_parse_limits("a = 12345", 9, "t.toml", &lim,
                                          &doc, &err), WH_E_LIMIT);
    assert_null(doc);
    assert_string_equal(wh_err_format(&err, msg, sizeof msg),
                        "t.toml: document is 9 bytes, more than the 8 "
                        "allowed");
}

static void test_input_not_nul_terminated(void **state)
{
    (void)state;
    /* the value ends at len even though digits follow in memory */
    wh_toml *doc = parse_ok("a = 1.5e3999", 9);
    double f = 0;
    assert_true(wh_toml_float(wh_toml_get(wh_toml_root(doc), "a"), &f));
    assert_true(f == 1.5e3);
    wh_toml_free(doc);
    doc = parse_ok("", 0);
    wh_toml_free(doc);
    assert_int_equal(wh_toml_parse(NULL, 0, NULL, &doc, NULL), 0);
    assert_int_equal(wh_toml_len(wh_toml_root(doc)), 0);
    wh_toml_free(doc);
}

static void test_big_table_index(void **state)
{
    (void)state;
    enum { N = 5000 };
    char *src = malloc(N * 24 + 64);
    assert_non_null(src);
    size_t k = 0;
    for (int i = 0; i < N; i++)
        k += (size_t)sprintf(src + k, "k%d = %d\n", (i * 7919) % N, i);
    wh_toml *doc = parse_ok(src, k);
    const wh_toml_value *r = wh_toml_root(doc);
    assert_int_equal(wh_toml_len(r), N);
    for (int i = 0; i < N; i++) {
        char key[16];
        int64_t v = -1;
        snprintf(key, sizeof key, "k%d", (i * 7919) % N);
        assert_true(wh_toml_int(wh_toml_get(r, key), &v));
        assert_int_equal(v, i);
        const char *ek;
        wh_toml_entry(r, (size_t)i, &ek, NULL);   /* order kept */
        assert_string_equal(ek, key);
    }
    assert_null(wh_toml_get(r, "k5000"));
    wh_toml_free(doc);
    k += (size_t)sprintf(src + k, "k4999 = 0\n");
    char want[64];
    snprintf(want, sizeof want, "t.toml:%d:1: duplicate key 'k4999'", N + 1);
    assert_string_equal(parse_msg(src, k, NULL), want);
    free(src);
}

static void test_err_null_and_code(void **state)
{
    (void)state;
    wh_toml *doc = (wh_toml *)&doc;
    assert_int_equal(wh_toml_parse("a = ", 4, NULL, &doc, NULL), WH_E_FORMAT);
    assert_null(doc);
    int code;
    parse_msg("[a]\n[a]", 0, &code);
    assert_int_equal(code, WH_E_FORMAT);
}

static void test_valid_tricky(void **state)
{
    (void)state;
    /* things a parser tends to get wrong, all valid TOML 1.0 */
    static const char *const ok[] = {
        "[a.b]\n[a]\n",                        /* super-table after */
        "[a]\nb.c = 1\n[a.b.d]\n",             /* sub-table of dotted */
        "a = {b.c = 1, b.d = 2}\n",            /* dotted keys inline */
        "[[a]]\n[a.b]\n[[a]]\n[a.b]\n",        /* per-element subtables */
        "'' = 1\n\"a\".'b' . c = 2\n",         /* empty and spaced keys */
        "1.2 = 3\n",                           /* key a number-like */
        "true = false\n",
        "a = 1979-05-27 # a local date, then a comment\n",
        "a=[\n1,\n# c\n2\n,]\n",
        "a = \"\"\"\"\"\"\"\n",                /* one quote */
        "a = 0e0\nb = +0.0\nc = -0e-0\n",
        "a = 1 # \xe2\x82\xac comment\n",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const char *got = parse_msg(ok[i], 0, NULL);
        if (strcmp(got, "ok"))
            print_error("ok[%zu]: %s\n", i, got);
        assert_string_equal(got, "ok");
    }
}

WH_TEST_MAIN("toml",
    cmocka_unit_test(test_error_messages),
    cmocka_unit_test(test_scalar_types),
    cmocka_unit_test(test_accessors_wrong_type),
    cmocka_unit_test(test_accessors_null),
    cmocka_unit_test(test_nul_in_strings_and_keys),
    cmocka_unit_test(test_document_order),
    cmocka_unit_test(test_arrays),
    cmocka_unit_test(test_array_of_tables),
    cmocka_unit_test(test_get_path),
    cmocka_unit_test(test_positions),
    cmocka_unit_test(test_implicit_table_position_moves),
    cmocka_unit_test(test_names),
    cmocka_unit_test(test_expect_message),
    cmocka_unit_test(test_need),
    cmocka_unit_test(test_doc_path),
    cmocka_unit_test(test_string_kinds),
    cmocka_unit_test(test_integer_edges),
    cmocka_unit_test(test_float_edges),
    cmocka_unit_test(test_datetime_fields),
    cmocka_unit_test(test_depth_limit_arrays),
    cmocka_unit_test(test_depth_limit_keys_and_inline),
    cmocka_unit_test(test_size_limit),
    cmocka_unit_test(test_input_not_nul_terminated),
    cmocka_unit_test(test_big_table_index),
    cmocka_unit_test(test_err_null_and_code),
    cmocka_unit_test(test_valid_tricky))

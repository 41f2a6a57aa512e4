/* err_test.c - wh_err filling, formatting (with the quoting of paths and
 * reasons) and exit classes. */
#include "tests/unit/wh_test.h"

#include <errno.h>

#include "common/err.h"

static void fmt(const wh_err *e, char *buf) { wh_err_format(e, buf, 256); }

static void test_offset_form(void **state)
{
    (void)state;
    wh_err e;
    char buf[256];
    assert_int_equal(wh_fail(&e, WH_E_FORMAT, "a.ferrpkg", 0x1a,
                             "wasm_size %d does not match", 12), WH_E_FORMAT);
    fmt(&e, buf);
    assert_string_equal(buf, "a.ferrpkg: offset 0x1a: wasm_size 12 does not match");
    assert_int_equal(wh_err_exit(e.code), WH_EXIT_FORMAT);
}

static void test_line_col_form(void **state)
{
    (void)state;
    wh_err e;
    char buf[256];
    wh_fail_at(&e, WH_E_FORMAT, "plugin.toml", 3, 7, "expected '='");
    fmt(&e, buf);
    assert_string_equal(buf, "plugin.toml:3:7: expected '='");
    wh_fail_at(&e, WH_E_FORMAT, NULL, 2, 1, "bad");
    fmt(&e, buf);
    assert_string_equal(buf, "line 2:1: bad");
    wh_fail_at(&e, WH_E_FORMAT, "k.minisig", 2, 0, "unsupported signature algorithm");
    fmt(&e, buf);
    assert_string_equal(buf, "k.minisig:2: unsupported signature algorithm");
}

static void test_plain_and_default_reason(void **state)
{
    (void)state;
    wh_err e;
    char buf[256];
    wh_fail(&e, WH_E_NOMEM, NULL, -1, NULL);
    fmt(&e, buf);
    assert_string_equal(buf, "out of memory");
    wh_fail(&e, WH_E_VERIFY, "x.minisig", -1, "signature verification failed");
    fmt(&e, buf);
    assert_string_equal(buf, "x.minisig: signature verification failed");
    assert_int_equal(wh_err_exit(e.code), WH_EXIT_VERIFY);
}

static void test_errno_mapping(void **state)
{
    (void)state;
    wh_err e;
    char buf[256];
    assert_int_equal(wh_fail_errno(&e, ENOENT, "k.pub", "cannot open"), WH_E_NOTFOUND);
    fmt(&e, buf);
    assert_string_equal(buf, "k.pub: cannot open: No such file or directory");
    assert_int_equal(wh_err_exit(e.code), WH_EXIT_NOTFOUND);
    assert_int_equal(wh_fail_errno(&e, EACCES, "k", "x"), WH_E_IO);
}

static void test_null_err_and_prefix(void **state)
{
    (void)state;
    assert_int_equal(wh_fail(NULL, WH_E_LIMIT, "p", 1, "x"), WH_E_LIMIT);
    wh_err e;
    char buf[256];
    wh_fail(&e, WH_E_VERIFY, "a.par", -1, "hash mismatch");
    wh_err_prefix(&e, "entry '%s'", "x86_64-linux.bin");
    fmt(&e, buf);
    assert_string_equal(buf, "a.par: entry 'x86_64-linux.bin': hash mismatch");
}

static void test_exit_classes(void **state)
{
    (void)state;
    assert_int_equal(wh_err_exit(WH_OK), 0);
    assert_int_equal(wh_err_exit(WH_E_USAGE), 2);
    assert_int_equal(wh_err_exit(WH_E_CONFLICT), 5);
    assert_int_equal(wh_err_exit(WH_E_LOCKED), 7);
    assert_int_equal(wh_err_exit(WH_E_TRAP), 8);
    assert_int_equal(wh_err_exit(9999), WH_EXIT_ERROR);
    assert_string_equal(wh_err_str(9999), "unknown error");
}

static void test_long_reason_truncates(void **state)
{
    (void)state;
    wh_err e;
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    wh_fail(&e, WH_E_FORMAT, big, 5, "%s", big);
    assert_int_equal(strlen(e.reason), sizeof e.reason - 1);
    assert_int_equal(strlen(e.path), sizeof e.path - 1);
    char small[8];
    wh_err_format(&e, small, sizeof small);
    assert_string_equal(small, "xxxxxxx");
}

/* wh_quote: the rule, the cut at a \xNN boundary, and idempotence. */
static void test_quote(void **state)
{
    (void)state;
    char b[64], c[64];
    assert_string_equal(wh_quote(b, sizeof b, "a b~", 4), "a b~");
    assert_string_equal(wh_quote(b, sizeof b, "\n\x1b[31m\x7f\x80\xff", 9),
                        "\\x0a\\x1b[31m\\x7f\\x80\\xff");
    assert_string_equal(wh_quote(b, sizeof b, "caf\xc3\xa9", 5), "caf\\xc3\\xa9");
    assert_string_equal(wh_quote(b, sizeof b, "a\\b", 3), "a\\b");
    assert_string_equal(wh_quote(b, sizeof b, "a\0b", 3), "a\\x00b");
    assert_string_equal(wh_quote(b, 8, "abcdefg", 7), "abcdefg");
    assert_string_equal(wh_quote(b, 8, "abcdefgh", 8), "abcd...");
    assert_string_equal(wh_quote(b, 8, "ab\ncdefgh", 9), "ab...");
    /* Quoting quoted text changes nothing: no backslash is doubled. */
    wh_quote(b, sizeof b, "x\ny\x1b", 4);
    assert_string_equal(wh_quote(c, sizeof c, b, strlen(b)), b);
}

/* A path with a newline and escape codes cannot forge a line or drive
 * the terminal: every field of the line is quoted. */
static void test_format_quotes_path_and_reason(void **state)
{
    (void)state;
    wh_err e;
    char buf[WH_ERR_LINE_MAX];
    wh_fail(&e, WH_E_FORMAT, "pkgs/a\nwharf-index build: ok.ferrpkg", 4,
            "bad magic");
    fmt(&e, buf);
    assert_string_equal(buf, "pkgs/a\\x0awharf-index build: ok.ferrpkg: "
                        "offset 0x4: bad magic");
    wh_fail_at(&e, WH_E_FORMAT, "\x1b[31mred.toml", 2, 5, "expected '='");
    wh_err_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "\\x1b[31mred.toml:2:5: expected '='");
    /* A reason that embeds another file's raw name is quoted too. */
    wh_fail(&e, WH_E_CONFLICT, "p/b.ferrpkg", -1, "also claimed by '%s'",
            "p/\x1b]0;pwned\x07\r.ferrpkg");
    wh_err_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "p/b.ferrpkg: also claimed by "
                        "'p/\\x1b]0;pwned\\x07\\x0d.ferrpkg'");
    /* One already quoted by a reader keeps its single backslashes. */
    wh_fail(&e, WH_E_FORMAT, "c:\\x.zip", -1, "entry 'a\\x0ab'");
    wh_err_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "c:\\x.zip: entry 'a\\x0ab'");
    /* Non-ASCII bytes, as in archive entry names. */
    wh_fail(&e, WH_E_IO, "caf\xc3\xa9.zip", -1, NULL);
    wh_err_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "caf\\xc3\\xa9.zip: input/output error");
}

/* The worst case fits WH_ERR_LINE_MAX whole. */
static void test_format_line_max(void **state)
{
    (void)state;
    wh_err e;
    char raw[600], want[WH_ERR_LINE_MAX], buf[WH_ERR_LINE_MAX];
    memset(raw, '\n', sizeof raw - 1);
    raw[sizeof raw - 1] = '\0';
    wh_fail(&e, WH_E_FORMAT, raw, 0x7fffffffffffffffLL, "%s", raw);
    wh_err_format(&e, buf, sizeof buf);
    size_t n = 0;
    for (int i = 0; i < 511; i++)
        n += (size_t)sprintf(want + n, "\\x0a");
    n += (size_t)sprintf(want + n, ": offset 0x7fffffffffffffff: ");
    for (int i = 0; i < 255; i++)
        n += (size_t)sprintf(want + n, "\\x0a");
    assert_string_equal(buf, want);
    assert_true(strlen(buf) < sizeof buf - 1);
}

WH_TEST_MAIN("err",
    cmocka_unit_test(test_offset_form),
    cmocka_unit_test(test_line_col_form),
    cmocka_unit_test(test_plain_and_default_reason),
    cmocka_unit_test(test_errno_mapping),
    cmocka_unit_test(test_null_err_and_prefix),
    cmocka_unit_test(test_exit_classes),
    cmocka_unit_test(test_long_reason_truncates),
    cmocka_unit_test(test_quote),
    cmocka_unit_test(test_format_quotes_path_and_reason),
    cmocka_unit_test(test_format_line_max))

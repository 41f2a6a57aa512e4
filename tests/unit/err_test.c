/* err_test.c - wh_err filling, formatting and exit classes. */
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

WH_TEST_MAIN("err",
    cmocka_unit_test(test_offset_form),
    cmocka_unit_test(test_line_col_form),
    cmocka_unit_test(test_plain_and_default_reason),
    cmocka_unit_test(test_errno_mapping),
    cmocka_unit_test(test_null_err_and_prefix),
    cmocka_unit_test(test_exit_classes),
    cmocka_unit_test(test_long_reason_truncates))

/* wh_test.h - the small harness every unit test program shares.
 *
 * Tests are cmocka tests.  WH_TEST_MAIN runs a group and prints the
 * "RESULT suite passed failed" line that tests/run.sh adds up.  Table-
 * driven tests (one case per line of a .data file) report their own count
 * with wh_test_report(), so 150 SemVer cases count as 150, not as one.
 *
 * Data files are opened relative to the repository root (run.sh runs
 * every suite from there); wh_test_data_path() resolves a name there.
 */
#ifndef WH_TEST_H
#define WH_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static inline void wh_test_report(const char *suite, int passed, int failed)
{
    printf("RESULT %s %d %d\n", suite, passed, failed);
    fflush(stdout);
}

#define WH_TEST_MAIN(suite, ...)                                          \
    int main(void)                                                        \
    {                                                                     \
        const struct CMUnitTest wh_tests_[] = { __VA_ARGS__ };            \
        int failed = _cmocka_run_group_tests(suite, wh_tests_,            \
            sizeof wh_tests_ / sizeof wh_tests_[0], NULL, NULL);          \
        int total = (int)(sizeof wh_tests_ / sizeof wh_tests_[0]);        \
        if (failed < 0)                                                   \
            failed = total;                                               \
        wh_test_report(suite, total - failed, failed);                    \
        return failed != 0;                                               \
    }

/* Directory of shared conformance data: $WHARF_SHARED or ../shared. */
static inline const char *wh_test_shared_dir(void)
{
    const char *d = getenv("WHARF_SHARED");
    return d && *d ? d : "../shared";
}

/* A fresh scratch folder "/tmp/wh-NAME-test.XXXXXX" into dir (size n),
 * for the files a test writes: 0, or -1 when it cannot be made. */
static inline int wh_test_tmpdir(char *dir, size_t n, const char *name)
{
    snprintf(dir, n, "/tmp/wh-%s-test.XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

/* Remove a scratch folder and everything in it: the exit status of rm. */
static inline int wh_test_tmpdir_remove(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

#endif

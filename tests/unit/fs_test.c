/* fs_test.c - capped reads (never blocking on a FIFO, links refused on
 * request), atomic writes under injected faults, path joins and sorted
 * walks.  Cases that would hang on a regression run under alarm(), which
 * kills the program: tests/run.sh then counts a crash. */
#include "tests/unit/wh_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    return wh_test_tmpdir(tmpdir, sizeof tmpdir, "fs");
}

static int teardown(void **state)
{
    (void)state;
    return wh_test_tmpdir_remove(tmpdir);
}

static void put(const char *rel, const char *content)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void test_read_ok_and_cap(void **state)
{
    (void)state;
    put("a.txt", "hello\n");
    char p[512], *data;
    size_t len;
    wh_err e;
    snprintf(p, sizeof p, "%s/a.txt", tmpdir);
    assert_int_equal(wh_file_read(p, 6, &data, &len, &e), 0);
    assert_int_equal(len, 6);
    assert_string_equal(data, "hello\n");
    free(data);
    assert_int_equal(wh_file_read(p, 5, &data, &len, &e), WH_E_LIMIT);
    assert_null(data);
    assert_string_equal(e.reason, "file is 6 bytes, more than the limit of 5");
    assert_string_equal(e.path, p);
}

static void test_read_errors(void **state)
{
    (void)state;
    char p[512], *data;
    size_t len;
    wh_err e;
    snprintf(p, sizeof p, "%s/missing", tmpdir);
    assert_int_equal(wh_file_read(p, 100, &data, &len, &e), WH_E_NOTFOUND);
    assert_string_equal(e.reason, "cannot open: No such file or directory");
    assert_int_equal(wh_file_read(tmpdir, 100, &data, &len, &e), WH_E_IO);
    assert_string_equal(e.reason, "not a regular file");
}

/* A FIFO where a key or signature should be: refused at once, with no
 * writer ever opening it. */
static void test_read_fifo(void **state)
{
    (void)state;
    char p[512], *data;
    size_t len;
    wh_err e;
    snprintf(p, sizeof p, "%s/k.minisig", tmpdir);
    assert_int_equal(mkfifo(p, 0644), 0);
    alarm(10);
    assert_int_equal(wh_file_read(p, 100, &data, &len, &e), WH_E_IO);
    assert_null(data);
    assert_string_equal(e.path, p);
    assert_string_equal(e.reason, "not a regular file");
    assert_int_equal(wh_file_read_stat(p, 100, WH_READ_NOFOLLOW, &data, &len,
                                       NULL, &e), WH_E_IO);
    assert_string_equal(e.reason, "not a regular file");
    assert_int_equal(wh_file_read(p, 100, &data, &len, NULL), WH_E_IO);
    assert_int_equal(wh_file_read("/dev/null", 100, &data, &len, &e), WH_E_IO);
    assert_string_equal(e.reason, "not a regular file");
    alarm(0);
}

/* Links are followed by default (a key given on the command line may be
 * one) and refused, target unopened, with WH_READ_NOFOLLOW. */
static void test_read_symlinks(void **state)
{
    (void)state;
    char p[512], fifo[512], l1[512], l2[512], l3[512], d[512], via[600];
    char *data;
    size_t len;
    wh_err e;
    put("a.txt", "hi");
    snprintf(p, sizeof p, "%s/a.txt", tmpdir);
    snprintf(fifo, sizeof fifo, "%s/fifo", tmpdir);
    snprintf(l1, sizeof l1, "%s/l1", tmpdir);
    snprintf(l2, sizeof l2, "%s/l2", tmpdir);
    snprintf(l3, sizeof l3, "%s/l3", tmpdir);
    snprintf(d, sizeof d, "%s/dir", tmpdir);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    assert_int_equal(symlink("a.txt", l1), 0);
    assert_int_equal(symlink("fifo", l2), 0);
    assert_int_equal(symlink("nowhere", l3), 0);
    assert_int_equal(symlink(".", d), 0);
    alarm(10);
    assert_int_equal(wh_file_read(l1, 100, &data, &len, &e), 0);
    assert_string_equal(data, "hi");
    free(data);
    assert_int_equal(wh_file_read(l2, 100, &data, &len, &e), WH_E_IO);
    assert_string_equal(e.reason, "not a regular file");
    const char *links[] = { l1, l2, l3 };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(wh_file_read_stat(links[i], 100, WH_READ_NOFOLLOW,
                                           &data, &len, NULL, &e), WH_E_UNSAFE);
        assert_null(data);
        assert_string_equal(e.path, links[i]);
        assert_string_equal(e.reason, "symbolic link not followed");
    }
    /* Only the last component is refused: dir/a.txt through a link. */
    snprintf(via, sizeof via, "%s/a.txt", d);
    assert_int_equal(wh_file_read_stat(via, 100, WH_READ_NOFOLLOW, &data, &len,
                                       NULL, &e), 0);
    free(data);
    alarm(0);
}

static void test_atomic_write_replaces(void **state)
{
    (void)state;
    char p[512], *data;
    size_t len;
    snprintf(p, sizeof p, "%s/idx.json", tmpdir);
    assert_int_equal(wh_file_write_atomic(p, "one", 3, 0600, NULL), 0);
    assert_int_equal(wh_file_write_atomic(p, "two!", 4, 0640, NULL), 0);
    assert_int_equal(wh_file_read(p, 100, &data, &len, NULL), 0);
    assert_string_equal(data, "two!");
    free(data);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Fail the 1st, 2nd, ... write/fsync/rename until a write succeeds: every
 * failure must leave the old content and no temporary file behind. */
static void test_atomic_write_faults(void **state)
{
    (void)state;
    char dir[512], p[600], *data;
    size_t len;
    snprintf(dir, sizeof dir, "%s/faults", tmpdir);
    assert_int_equal(wh_mkdirs(dir, NULL), 0);
    snprintf(p, sizeof p, "%s/state", dir);
    assert_int_equal(wh_file_write_atomic(p, "old", 3, 0644, NULL), 0);
    int failures = 0;
    for (long n = 1; n < 20; n++) {
        wh_err e;
        wh_fs_fault_arm(n);
        int rc = wh_file_write_atomic(p, "new", 3, 0644, &e);
        wh_fs_fault_arm(0);
        assert_int_equal(wh_file_read(p, 100, &data, &len, NULL), 0);
        if (strcmp(data, "new") == 0) {
            /* In place: either success or the directory fsync (4th) failed. */
            assert_true(rc == 0 || n == 4);
            free(data);
            break;
        }
        failures++;
        assert_int_equal(rc, WH_E_IO);
        assert_string_equal(data, "old");
        free(data);
        assert_int_equal(count_entries(dir), 1);
    }
    /* write, fsync and rename: three points fail before one run passes
     * (the directory fsync comes after the rename and reports, but the
     * data is already in place, so it is not counted as a loss). */
    assert_int_equal(failures, 3);
}

static void test_atomic_dir_fsync_fault_reports(void **state)
{
    (void)state;
    char p[512];
    wh_err e;
    snprintf(p, sizeof p, "%s/d.txt", tmpdir);
    wh_fs_fault_arm(4);
    assert_int_equal(wh_file_write_atomic(p, "x", 1, 0644, &e), WH_E_IO);
    wh_fs_fault_arm(0);
    assert_string_equal(e.reason, "cannot fsync directory: Input/output error");
}

static void test_atomic_refuses_non_regular(void **state)
{
    (void)state;
    wh_err e;
    assert_int_equal(wh_file_write_atomic("/dev/null", "x", 1, 0644, &e), WH_E_IO);
    assert_string_equal(e.reason, "not a regular file; refusing to replace it");
    assert_int_equal(wh_file_write_atomic(tmpdir, "x", 1, 0644, &e), WH_E_IO);
    struct stat st;
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
}

static void expect_unsafe(const char *rel, size_t n, const char *reason)
{
    char out[64];
    wh_err e;
    assert_int_equal(wh_path_join(out, sizeof out, "base", rel, n, &e), WH_E_UNSAFE);
    assert_string_equal(e.reason, reason);
}

static void test_path_join(void **state)
{
    (void)state;
    char out[32];
    wh_err e;
    assert_int_equal(wh_path_join(out, sizeof out, "site", "packages/a.ferrpkg", 18, &e), 0);
    assert_string_equal(out, "site/packages/a.ferrpkg");
    assert_int_equal(wh_path_join(out, sizeof out, "b", "..a/b..", 7, &e), 0);
    assert_string_equal(out, "b/..a/b..");
    expect_unsafe("../x", 4, "path '../x' has a '..' component");
    expect_unsafe("a/../../x", 9, "path 'a/../../x' has a '..' component");
    expect_unsafe("a/..", 4, "path 'a/..' has a '..' component");
    expect_unsafe("./a", 3, "path './a' has a '.' component");
    expect_unsafe("/etc/passwd", 11, "absolute path '/etc/passwd'");
    expect_unsafe("a//b", 4, "path 'a//b' has a '' component");
    expect_unsafe("a/", 2, "path 'a/' ends with '/'");
    expect_unsafe("a\\..\\b", 6, "backslash in path 'a\\..\\b'");
    expect_unsafe("a\0/../b", 7, "path 'a' contains a NUL byte");
    expect_unsafe("", 0, "empty path");
    assert_int_equal(wh_path_join(out, 8, "base", "abcdef", 6, &e), WH_E_LIMIT);
    assert_string_equal(e.reason, "path 'base/abcdef' is too long");
}

struct seen { char list[1024]; };

static int collect(const char *path, const char *rel, const struct stat *st, void *ctx)
{
    (void)path;
    struct seen *s = ctx;
    size_t n = strlen(s->list);
    snprintf(s->list + n, sizeof s->list - n, "%s%s%s ", rel,
             S_ISDIR(st->st_mode) ? "/" : "", S_ISLNK(st->st_mode) ? "@" : "");
    return strcmp(rel, "stop") == 0 ? 42 : 0;
}

static void test_walk_sorted(void **state)
{
    (void)state;
    char root[512], p[600];
    snprintf(root, sizeof root, "%s/w", tmpdir);
    snprintf(p, sizeof p, "%s/b/c", root);
    assert_int_equal(wh_mkdirs(p, NULL), 0);
    put("w/b/c/z.par", "");
    put("w/b/a.zip", "");
    put("w/B.ferrpkg", "");
    put("w/a.ferrpkg", "");
    put("w/.hidden", "");
    snprintf(p, sizeof p, "%s/link", root);
    assert_int_equal(symlink("/etc", p), 0);
    struct seen s = { "" };
    assert_int_equal(wh_walk(root, collect, &s, NULL), 0);
    assert_string_equal(s.list, "B.ferrpkg a.ferrpkg b/ b/a.zip b/c/ b/c/z.par link@ ");
    put("w/stop", "");
    s.list[0] = 0;
    assert_int_equal(wh_walk(root, collect, &s, NULL), 42);
}

static void test_walk_missing(void **state)
{
    (void)state;
    struct seen s = { "" };
    wh_err e;
    assert_int_equal(wh_walk("/nonexistent/x", collect, &s, &e), WH_E_NOTFOUND);
    assert_string_equal(e.path, "/nonexistent/x");
}

WH_TEST_MAIN("fs",
    cmocka_unit_test_setup_teardown(test_read_ok_and_cap, setup, teardown),
    cmocka_unit_test_setup_teardown(test_read_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(test_read_fifo, setup, teardown),
    cmocka_unit_test_setup_teardown(test_read_symlinks, setup, teardown),
    cmocka_unit_test_setup_teardown(test_atomic_write_replaces, setup, teardown),
    cmocka_unit_test_setup_teardown(test_atomic_write_faults, setup, teardown),
    cmocka_unit_test_setup_teardown(test_atomic_dir_fsync_fault_reports, setup, teardown),
    cmocka_unit_test_setup_teardown(test_atomic_refuses_non_regular, setup, teardown),
    cmocka_unit_test_setup_teardown(test_path_join, setup, teardown),
    cmocka_unit_test_setup_teardown(test_walk_sorted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_walk_missing, setup, teardown))

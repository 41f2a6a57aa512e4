/* cli_test.c - option parsing from wh_opt tables, help output, quoted
 * messages on stderr, and loading a secret key with its password read
 * from standard input (as scripts pipe it). */
#include "tests/unit/wh_test.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/minisign.h"

enum { OPT_JOBS = 256 };

static const wh_opt opts[] = {
    { 'o', "output",  "DIR",  "where to write the site" },
    { 'q', "quiet",   NULL,   "print nothing but errors" },
    { 'W', NULL,      NULL,   "no password" },
    { OPT_JOBS, "jobs", "N",  "parallel jobs" },
    { 0, NULL, NULL, NULL }
};

/* Parse argv (NULL-terminated list) and render what was seen as text:
 * "o=SITE q jobs=4 | A B" or "error: MSG". */
static void parse(char *out, size_t n, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    wh_cli c;
    wh_cli_init(&c, "t", argc, argv);
    out[0] = 0;
    int id;
    while ((id = wh_cli_next(&c, opts)) > 0) {
        size_t l = strlen(out);
        if (id == OPT_JOBS)
            snprintf(out + l, n - l, "jobs=%s ", c.arg);
        else if (c.arg)
            snprintf(out + l, n - l, "%c=%s ", id, c.arg);
        else
            snprintf(out + l, n - l, "%c ", id);
    }
    if (id < 0) {
        snprintf(out, n, "error: %s", c.msg);
        return;
    }
    size_t l = strlen(out);
    snprintf(out + l, n - l, "|");
    for (int i = 0; i < c.argc; i++) {
        l = strlen(out);
        snprintf(out + l, n - l, " %s", c.argv[i]);
    }
}

#define PARSE(want, ...) do {                                   \
        char *argv_[] = { "cmd", __VA_ARGS__, NULL };           \
        char got_[512];                                         \
        parse(got_, sizeof got_, argv_);                        \
        assert_string_equal(got_, want);                        \
    } while (0)

static void test_forms(void **state)
{
    (void)state;
    PARSE("o=SITE |", "-o", "SITE");
    PARSE("o=SITE |", "-oSITE");
    PARSE("o=SITE |", "--output=SITE");
    PARSE("o=SITE |", "--output", "SITE");
    PARSE("o= |", "--output=");
    PARSE("jobs=4 |", "--jobs", "4");
    PARSE("q W o=X |", "-qWo", "X");
    PARSE("q W o=X |", "-qWoX");
}

static void test_operands_mixed_and_dashdash(void **state)
{
    (void)state;
    PARSE("o=SITE q | PKGS MORE", "PKGS", "-o", "SITE", "MORE", "-q");
    PARSE("q | - -o x", "-q", "-", "--", "-o", "x");
    PARSE("o=-q |", "-o", "-q");
}

static void test_errors(void **state)
{
    (void)state;
    PARSE("error: unknown option '--nope'", "--nope");
    PARSE("error: unknown option '-x'", "-qx");
    PARSE("error: option '--output' needs an argument", "--output");
    PARSE("error: option '-o' needs an argument", "-q", "-o");
    PARSE("error: option '--quiet' takes no argument", "--quiet=yes");
    PARSE("error: unknown option '--outpu'", "--outpu=x");
}

static void test_help_always_known(void **state)
{
    (void)state;
    PARSE("h |", "--help");
    PARSE("q h |", "-qh");
}

static void test_help_text(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    wh_cli_help(f, "t [OPTIONS] DIR", "Build a site.", opts);
    fclose(f);
    assert_string_equal(buf,
        "usage: t [OPTIONS] DIR\n\nBuild a site.\n\noptions:\n"
        "  -o, --output DIR           where to write the site\n"
        "  -q, --quiet                print nothing but errors\n"
        "  -W                         no password\n"
        "      --jobs N               parallel jobs\n"
        "  -h, --help                 show this help\n");
    free(buf);
}

/* What fn printed on stderr, into out. */
static void capture_stderr(char *out, size_t n, void (*fn)(void))
{
    char path[] = "/tmp/wh-cli-err.XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t r = pread(fd, out, n - 1, 0);
    out[r < 0 ? 0 : r] = '\0';
    close(fd);
    unlink(path);
}

static void usage_error_with_operand(void)
{
    wh_cli c;
    char *argv[] = { (char *)"t", NULL };
    wh_cli_init(&c, "t", 1, argv);
    snprintf(c.msg, sizeof c.msg, "unexpected argument '%s'", "a\nt: ok\x1b[2J");
    assert_int_equal(wh_cli_usage_error(&c), WH_EXIT_USAGE);
}

static void report_hostile_path(void)
{
    wh_err e;
    wh_fail(&e, WH_E_UNSAFE, "p/x\n\x1b[31m.ferrpkg", -1, "not a regular file");
    assert_int_equal(wh_cli_report("t", &e), WH_EXIT_FORMAT);
}

/* Operands and paths cannot forge a line or reach the terminal raw. */
static void test_messages_quoted(void **state)
{
    (void)state;
    char out[512];
    capture_stderr(out, sizeof out, usage_error_with_operand);
    assert_string_equal(out, "t: unexpected argument 'a\\x0at: ok\\x1b[2J'\n"
                             "try 't --help'\n");
    capture_stderr(out, sizeof out, report_hostile_path);
    assert_string_equal(out, "t: p/x\\x0a\\x1b[31m.ferrpkg: not a regular file\n");
}

/* Point stdin at a file holding text (wh_cli_password reads one line of
 * it when stdin is not a terminal). */
static void stdin_from(const char *dir, const char *text)
{
    char p[128];
    snprintf(p, sizeof p, "%s/stdin", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_non_null(freopen(p, "r", stdin));
}

static void test_seckey_load(void **state)
{
    (void)state;
    static const wh_minisign_kdf fast = { WH_MINISIGN_OPSLIMIT_MIN,
                                          WH_MINISIGN_MEMLIMIT_MIN };
    char dir[] = "/tmp/wh-cli-key.XXXXXX", enc[64], plain[64], want[128];
    assert_non_null(mkdtemp(dir));
    snprintf(enc, sizeof enc, "%s/enc.key", dir);
    snprintf(plain, sizeof plain, "%s/plain.key", dir);
    wh_minisign_seckey *sk, *got;
    wh_minisign_pubkey pk, pk2;
    wh_err e;
    assert_int_equal(wh_minisign_keygen(&sk, &pk, &e), 0);
    assert_int_equal(wh_minisign_seckey_save(sk, "pw", &fast, NULL, enc, &e), 0);
    assert_int_equal(wh_minisign_seckey_save(sk, NULL, NULL, NULL, plain, &e), 0);
    wh_minisign_seckey_free(sk);

    /* unencrypted: no password is read (stdin is empty) */
    stdin_from(dir, "");
    assert_int_equal(wh_cli_seckey_load(&got, plain, &e), 0);
    wh_minisign_seckey_public(got, &pk2);
    assert_memory_equal(&pk, &pk2, sizeof pk);
    wh_minisign_seckey_free(got);
    /* encrypted, the right password */
    stdin_from(dir, "pw\n");
    assert_int_equal(wh_cli_seckey_load(&got, enc, &e), 0);
    assert_false(wh_minisign_seckey_encrypted(got));
    wh_minisign_seckey_public(got, &pk2);
    assert_memory_equal(&pk, &pk2, sizeof pk);
    wh_minisign_seckey_free(got);
    /* a wrong password: nothing to free */
    stdin_from(dir, "wrong\n");
    assert_int_equal(wh_cli_seckey_load(&got, enc, &e), WH_E_PASSWORD);
    assert_null(got);
    char line[WH_ERR_LINE_MAX];
    snprintf(want, sizeof want, "%s: wrong password or corrupted secret key", enc);
    assert_string_equal(wh_err_format(&e, line, sizeof line), want);
    /* no password at all */
    stdin_from(dir, "");
    assert_int_equal(wh_cli_seckey_load(&got, enc, &e), WH_E_USAGE);
    assert_null(got);
    assert_string_equal(e.reason, "no password given, or longer than 1023 bytes");
    /* no key */
    snprintf(want, sizeof want, "%s/none.key", dir);
    assert_int_equal(wh_cli_seckey_load(&got, want, &e), WH_E_NOTFOUND);
    assert_null(got);

    snprintf(want, sizeof want, "%s/stdin", dir);
    unlink(want);
    unlink(enc);
    unlink(plain);
    rmdir(dir);
}

WH_TEST_MAIN("cli",
    cmocka_unit_test(test_forms),
    cmocka_unit_test(test_operands_mixed_and_dashdash),
    cmocka_unit_test(test_errors),
    cmocka_unit_test(test_help_always_known),
    cmocka_unit_test(test_help_text),
    cmocka_unit_test(test_messages_quoted),
    cmocka_unit_test(test_seckey_load))

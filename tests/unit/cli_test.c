/* cli_test.c - option parsing from wh_opt tables and help output. */
#include "tests/unit/wh_test.h"

#include "common/cli.h"

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

WH_TEST_MAIN("cli",
    cmocka_unit_test(test_forms),
    cmocka_unit_test(test_operands_mixed_and_dashdash),
    cmocka_unit_test(test_errors),
    cmocka_unit_test(test_help_always_known),
    cmocka_unit_test(test_help_text))

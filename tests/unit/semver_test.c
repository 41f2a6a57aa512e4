/* semver_test.c - tests for common/semver.c and common/semver_req.c.
 *
 * Two tables drive most of it, one case a line:
 *   tests/unit/semver_parse.data  versions: valid (with their parts),
 *                                 invalid (offset + reason), precedence
 *   tests/unit/semver.data        requirements: match/nomatch, rendered
 *                                 form, parse errors (offset + reason)
 * Each table reports its own count with wh_test_report(); the cmocka test
 * that reads it fails if any line does, after printing every failing line.
 * The caps, buffer truncation and bytes a text file cannot hold are
 * tested in C below.
 */
#include "tests/unit/wh_test.h"

#include "common/semver.h"

/* --- Reading .data files ---------------------------------------------- */

#define MAX_FIELDS 16

/* Split line into fields: runs of non-blanks, or "..." (no escapes, may
 * be empty or hold blanks).  Returns the count, -1 on an unclosed quote. */
static int split(char *line, char *f[MAX_FIELDS])
{
    int nf = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p || *p == '#')
            return nf;
        if (nf == MAX_FIELDS)
            return -1;
        if (*p == '"') {
            char *q = strchr(p + 1, '"');
            if (!q)
                return -1;
            *q = '\0';
            f[nf++] = p + 1;
            p = q + 1;
        } else {
            f[nf++] = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
                p++;
            if (*p)
                *p++ = '\0';
        }
    }
}

struct tally {
    const char *file;
    int line, pass, fail;
};

static void verdict(struct tally *t, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void verdict(struct tally *t, int ok, const char *fmt, ...)
{
    if (ok) {
        t->pass++;
        return;
    }
    t->fail++;
    printf("FAIL %s:%d: ", t->file, t->line);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* Run each line of tests/unit/<name> through fn. */
static void run_table(const char *name,
                      void (*fn)(struct tally *, char **, int))
{
    char path[256], line[2048];
    snprintf(path, sizeof path, "tests/unit/%s", name);
    FILE *fp = fopen(path, "r");
    if (!fp)
        fail_msg("cannot open %s", path);
    struct tally t = { name, 0, 0, 0 };
    while (fgets(line, sizeof line, fp)) {
        char *f[MAX_FIELDS];
        t.line++;
        int nf = split(line, f);
        if (nf < 0)
            verdict(&t, 0, "malformed line");
        else if (nf > 0)
            fn(&t, f, nf);
    }
    fclose(fp);
    wh_test_report(name, t.pass, t.fail);
    assert_int_equal(t.fail, 0);
    assert_true(t.pass > 0);
}

static int parse_ver(wh_semver *v, const char *s, wh_err *err)
{
    return wh_semver_parse(v, s, strlen(s), err);
}

/* --- semver_parse.data ------------------------------------------------ */

/* ok VERSION MAJOR MINOR PATCH PRE BUILD */
static void case_ok(struct tally *t, char **f, int nf)
{
    wh_semver v;
    wh_err err;
    char buf[WH_SEMVER_MAX_LEN + 1], want[128];
    if (nf != 7) {
        verdict(t, 0, "ok needs 6 fields");
        return;
    }
    int rc = parse_ver(&v, f[1], &err);
    if (rc) {
        verdict(t, 0, "'%s': unexpected error at %lld: %s", f[1],
                err.offset, err.reason);
        return;
    }
    char got[128];
    snprintf(got, sizeof got, "%llu %llu %llu",
             (unsigned long long)v.major, (unsigned long long)v.minor,
             (unsigned long long)v.patch);
    snprintf(want, sizeof want, "%s %s %s", f[2], f[3], f[4]);
    wh_semver_format(&v, buf, sizeof buf);
    verdict(t, !strcmp(got, want) && !strcmp(wh_semver_pre(&v), f[5]) &&
               !strcmp(wh_semver_build(&v), f[6]) && !strcmp(buf, f[1]),
            "'%s': got %s pre '%s' build '%s' text '%s'", f[1], got,
            wh_semver_pre(&v), wh_semver_build(&v), buf);
}

/* err VERSION OFFSET "REASON" */
static void case_err(struct tally *t, char **f, int nf)
{
    wh_semver v;
    wh_err err;
    if (nf != 4) {
        verdict(t, 0, "err needs 3 fields");
        return;
    }
    wh_err_clear(&err);
    int rc = parse_ver(&v, f[1], &err);
    verdict(t, rc == WH_E_FORMAT && err.code == WH_E_FORMAT &&
               err.offset == atoll(f[2]) && !strcmp(err.reason, f[3]),
            "'%s': want %s '%s', got rc %d offset %lld '%s'", f[1], f[2],
            f[3], rc, err.offset, err.reason);
}

static int sign(int x) { return (x > 0) - (x < 0); }

/* order V1 V2 ...: every earlier one precedes every later one. */
static void case_order(struct tally *t, char **f, int nf)
{
    wh_semver v[MAX_FIELDS];
    for (int i = 1; i < nf; i++) {
        if (parse_ver(&v[i], f[i], NULL)) {
            verdict(t, 0, "'%s' does not parse", f[i]);
            return;
        }
    }
    for (int i = 1; i < nf; i++) {
        for (int j = i + 1; j < nf; j++) {
            int ab = wh_semver_compare(&v[i], &v[j]);
            int ba = wh_semver_compare(&v[j], &v[i]);
            verdict(t, ab < 0 && ba > 0 &&
                       wh_semver_compare(&v[i], &v[i]) == 0,
                    "%s < %s: compare gave %d and %d", f[i], f[j],
                    sign(ab), sign(ba));
        }
    }
}

/* same A B: equal precedence (build metadata ignored) */
static void case_same(struct tally *t, char **f, int nf)
{
    wh_semver a, b;
    if (nf != 3 || parse_ver(&a, f[1], NULL) || parse_ver(&b, f[2], NULL)) {
        verdict(t, 0, "same needs two valid versions");
        return;
    }
    verdict(t, wh_semver_compare(&a, &b) == 0 &&
               wh_semver_compare(&b, &a) == 0,
            "%s == %s: compare gave %d", f[1], f[2],
            wh_semver_compare(&a, &b));
}

static void parse_line(struct tally *t, char **f, int nf)
{
    if (!strcmp(f[0], "ok"))
        case_ok(t, f, nf);
    else if (!strcmp(f[0], "err"))
        case_err(t, f, nf);
    else if (!strcmp(f[0], "order"))
        case_order(t, f, nf);
    else if (!strcmp(f[0], "same"))
        case_same(t, f, nf);
    else
        verdict(t, 0, "unknown case kind '%s'", f[0]);
}

static void test_parse_table(void **state)
{
    (void)state;
    run_table("semver_parse.data", parse_line);
}

/* --- semver.data ------------------------------------------------------ */

static int parse_req(wh_semver_req **r, const char *syntax, const char *s,
                     wh_err *err)
{
    wh_semver_syntax sx = !strcmp(syntax, "cargo") ? WH_SEMVER_CARGO
                        : WH_SEMVER_NPM;
    return wh_semver_req_parse(r, sx, s, strlen(s), err);
}

/* SYNTAX REQ VERSION match|nomatch */
static void case_match(struct tally *t, char **f, int nf, wh_semver_req *r)
{
    wh_semver v;
    wh_err err;
    int want = !strcmp(f[3], "match");
    if (nf != 4 || (!want && strcmp(f[3], "nomatch"))) {
        verdict(t, 0, "expected VERSION match|nomatch");
        return;
    }
    if (parse_ver(&v, f[2], &err)) {
        verdict(t, 0, "version '%s': %s", f[2], err.reason);
        return;
    }
    char norm[1024];
    wh_semver_req_format(r, norm, sizeof norm);
    verdict(t, wh_semver_req_matches(r, &v) == want,
            "%s '%s' (%s) %s: want %s", f[0], f[1], norm, f[2], f[3]);
}

/* SYNTAX REQ render "NORMALIZED"; the rendered text must also parse back
 * to the same rendering. */
static void case_render(struct tally *t, char **f, int nf, wh_semver_req *r)
{
    char got[1024], again[1024];
    wh_semver_req *r2 = NULL;
    if (nf != 4) {
        verdict(t, 0, "expected render \"TEXT\"");
        return;
    }
    wh_semver_req_format(r, got, sizeof got);
    again[0] = '\0';
    if (parse_req(&r2, f[0], got, NULL) == 0)
        wh_semver_req_format(r2, again, sizeof again);
    wh_semver_req_free(r2);
    verdict(t, !strcmp(got, f[3]) && !strcmp(again, got),
            "%s '%s': want '%s', got '%s', reparsed '%s'", f[0], f[1], f[3],
            got, again);
}

static void req_line(struct tally *t, char **f, int nf)
{
    wh_semver_req *r = NULL;
    wh_err err;
    if (nf < 3 || (strcmp(f[0], "cargo") && strcmp(f[0], "npm"))) {
        verdict(t, 0, "expected cargo|npm REQ ...");
        return;
    }
    wh_err_clear(&err);
    int rc = parse_req(&r, f[0], f[1], &err);
    if (!strcmp(f[2], "error")) {
        verdict(t, nf == 5 && rc == WH_E_FORMAT && !r &&
                   err.offset == atoll(f[3]) && !strcmp(err.reason, f[4]),
                "%s '%s': want error %s '%s', got rc %d offset %lld '%s'",
                f[0], f[1], nf == 5 ? f[3] : "?", nf == 5 ? f[4] : "?", rc,
                err.offset, err.reason);
    } else if (rc) {
        verdict(t, 0, "%s '%s': unexpected error at %lld: %s", f[0], f[1],
                err.offset, err.reason);
    } else if (!strcmp(f[2], "render")) {
        case_render(t, f, nf, r);
    } else {
        case_match(t, f, nf, r);
    }
    wh_semver_req_free(r);
}

static void test_req_table(void **state)
{
    (void)state;
    run_table("semver.data", req_line);
}

/* --- Caps, buffers and bytes a .data file cannot show ----------------- */

static void test_version_caps(void **state)
{
    (void)state;
    char s[WH_SEMVER_MAX_LEN + 2];
    wh_semver v;
    wh_err err;
    memset(s, 'a', sizeof s);
    memcpy(s, "1.2.3-", 6);
    assert_int_equal(wh_semver_parse(&v, s, WH_SEMVER_MAX_LEN, &err), 0);
    assert_int_equal(v.pre_len, WH_SEMVER_MAX_LEN - 6);
    assert_int_equal(wh_semver_format(&v, NULL, 0), WH_SEMVER_MAX_LEN);
    assert_int_equal(wh_semver_parse(&v, s, WH_SEMVER_MAX_LEN + 1, &err),
                     WH_E_LIMIT);
    assert_int_equal(err.offset, WH_SEMVER_MAX_LEN);
    assert_string_equal(err.reason, "version longer than 256 bytes");

    /* the longest prerelease and build together still fit in ids[] */
    memset(s, 'b', sizeof s);
    memcpy(s, "1.2.3-a+", 8);
    assert_int_equal(wh_semver_parse(&v, s, WH_SEMVER_MAX_LEN, &err), 0);
    assert_string_equal(wh_semver_pre(&v), "a");
    assert_int_equal(strlen(wh_semver_build(&v)), WH_SEMVER_MAX_LEN - 8);

    /* largest numbers that fit, and one more */
    const char *max = "18446744073709551615.18446744073709551615.0";
    assert_int_equal(parse_ver(&v, max, &err), 0);
    assert_true(v.major == UINT64_MAX && v.minor == UINT64_MAX);
    assert_int_equal(parse_ver(&v, "1.18446744073709551616.0", &err),
                     WH_E_FORMAT);
    assert_int_equal(err.offset, 2);
    assert_string_equal(err.reason, "minor version too large");
}

static void test_version_bytes(void **state)
{
    (void)state;
    wh_semver v;
    wh_err err;
    assert_int_equal(wh_semver_parse(&v, "1.2.3\0", 6, &err), WH_E_FORMAT);
    assert_int_equal(err.offset, 5);
    assert_string_equal(err.reason, "unexpected '\\x00' after patch version");
    assert_int_equal(wh_semver_parse(&v, "1.2.3-\xc3\xa9", 8, &err),
                     WH_E_FORMAT);
    assert_int_equal(err.offset, 6);
    assert_string_equal(err.reason, "empty prerelease identifier");
    assert_int_equal(wh_semver_parse(&v, "1.2.3-a\xff", 8, &err),
                     WH_E_FORMAT);
    assert_string_equal(err.reason, "invalid character '\\xff' in prerelease");
    /* only n bytes are read: the rest of the buffer is not the version */
    assert_int_equal(wh_semver_parse(&v, "1.2.3-beta", 5, &err), 0);
    assert_int_equal(v.pre_len, 0);
    /* NULL err: the code alone */
    assert_int_equal(wh_semver_parse(&v, "1.2", 3, NULL), WH_E_FORMAT);
    assert_int_equal(wh_semver_parse(&v, NULL, 0, &err), WH_E_FORMAT);
    assert_string_equal(err.reason, "empty version");
}

static void test_version_format(void **state)
{
    (void)state;
    wh_semver v, w;
    char buf[8];
    assert_int_equal(parse_ver(&v, "10.20.30-rc.1+b.7", NULL), 0);
    assert_int_equal(wh_semver_format(&v, buf, sizeof buf), 17);
    assert_string_equal(buf, "10.20.3");  /* truncated, NUL-terminated */
    w = v;  /* a value: copies stand alone */
    memset(&v, 0, sizeof v);
    assert_string_equal(wh_semver_pre(&w), "rc.1");
    assert_string_equal(wh_semver_build(&w), "b.7");
    assert_true(wh_semver_compare_pre("", 0, "rc", 2) > 0);
    assert_true(wh_semver_compare_pre("99999999999999999999", 20,
                                      "100000000000000000000", 21) < 0);
}

static void test_req_caps(void **state)
{
    (void)state;
    char s[WH_SEMVER_REQ_MAX_LEN + 2];
    wh_semver_req *r = NULL;
    wh_err err;
    /* 64 comparators is fine, the 65th is refused where it starts */
    size_t n = 0;
    for (int i = 0; i < 32; i++)
        n += (size_t)snprintf(s + n, sizeof s - n, "%s^%d", i ? "," : "", i + 1);
    assert_int_equal(wh_semver_req_parse(&r, WH_SEMVER_CARGO, s, n, &err), 0);
    wh_semver_req_free(r);
    n += (size_t)snprintf(s + n, sizeof s - n, ",>7");
    assert_int_equal(wh_semver_req_parse(&r, WH_SEMVER_CARGO, s, n, &err),
                     WH_E_LIMIT);
    assert_null(r);
    assert_int_equal(err.offset, n - 2);
    assert_string_equal(err.reason, "more than 64 comparators");
    /* empty npm sets count too */
    n = 0;
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(s + n, sizeof s - n, "||");
    assert_int_equal(wh_semver_req_parse(&r, WH_SEMVER_NPM, s, n, &err),
                     WH_E_LIMIT);
    assert_string_equal(err.reason, "more than 64 comparators");
    /* length */
    memset(s, ' ', sizeof s);
    s[0] = '1';
    assert_int_equal(wh_semver_req_parse(&r, WH_SEMVER_NPM, s,
                                         WH_SEMVER_REQ_MAX_LEN, &err), 0);
    wh_semver_req_free(r);
    assert_int_equal(wh_semver_req_parse(&r, WH_SEMVER_NPM, s,
                                         WH_SEMVER_REQ_MAX_LEN + 1, &err),
                     WH_E_LIMIT);
    assert_null(r);
    assert_int_equal(err.offset, WH_SEMVER_REQ_MAX_LEN);
    assert_string_equal(err.reason, "requirement longer than 1024 bytes");
}

static void test_req_format_buffer(void **state)
{
    (void)state;
    wh_semver_req *r = NULL;
    char buf[10];
    const char *s = "^1.2.3-rc.1";
    assert_int_equal(wh_semver_req_parse(&r, WH_SEMVER_CARGO, s, strlen(s),
                                         NULL), 0);
    assert_int_equal(wh_semver_req_format(r, NULL, 0), 22);
    assert_int_equal(wh_semver_req_format(r, buf, sizeof buf), 22);
    assert_string_equal(buf, ">=1.2.3-r");
    wh_semver_req_free(r);
    /* only n bytes are read, and the prerelease is kept after s is gone */
    char copy[] = "~0.1.0-beta.2 junk";
    assert_int_equal(wh_semver_req_parse(&r, WH_SEMVER_NPM, copy, 13, NULL),
                     0);
    memset(copy, 'z', sizeof copy - 1);
    char out[64];
    wh_semver_req_format(r, out, sizeof out);
    assert_string_equal(out, ">=0.1.0-beta.2 <0.2.0-0");
    wh_semver_req_free(r);
    wh_semver_req_free(NULL);
}

static void test_req_bytes(void **state)
{
    (void)state;
    wh_semver_req *r = NULL;
    wh_err err;
    assert_int_equal(wh_semver_req_parse(&r, WH_SEMVER_NPM, "1.2\0", 4,
                                         &err), WH_E_FORMAT);
    assert_int_equal(err.offset, 3);
    assert_string_equal(err.reason, "unexpected '\\x00' after minor version");
    assert_int_equal(wh_semver_req_parse(&r, WH_SEMVER_CARGO, "", 0, NULL),
                     WH_E_FORMAT);
    assert_null(r);
    /* overflowing bounds carry or vanish instead of wrapping */
    static const struct { const char *req, *norm; } big[] = {
        { "~1.18446744073709551615", ">=1.18446744073709551615.0, <2.0.0-0" },
        { "^18446744073709551615", ">=18446744073709551615.0.0" },
        { "<=18446744073709551615", "*" },
        { ">18446744073709551615.18446744073709551615", "<0.0.0-0" },
        { "^0.0.18446744073709551615",
          ">=0.0.18446744073709551615, <0.1.0-0" },
    };
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        char out[128];
        assert_int_equal(wh_semver_req_parse(&r, WH_SEMVER_CARGO, big[i].req,
                                             strlen(big[i].req), &err), 0);
        wh_semver_req_format(r, out, sizeof out);
        assert_string_equal(out, big[i].norm);
        wh_semver_req_free(r);
    }
}

WH_TEST_MAIN("semver",
             cmocka_unit_test(test_parse_table),
             cmocka_unit_test(test_req_table),
             cmocka_unit_test(test_version_caps),
             cmocka_unit_test(test_version_bytes),
             cmocka_unit_test(test_version_format),
             cmocka_unit_test(test_req_caps),
             cmocka_unit_test(test_req_format_buffer),
             cmocka_unit_test(test_req_bytes))

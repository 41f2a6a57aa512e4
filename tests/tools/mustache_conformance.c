/* mustache_conformance.c - run the Mustache spec's tests against wh_mustache.
 *
 *   mustache_conformance [-v] [SPEC_DIR]
 *
 * SPEC_DIR (from the argument, else $MUSTACHE_SPEC_DIR, else
 * $WHARF_SHARED/mustache-spec/specs with WHARF_SHARED defaulting to
 * ../shared) holds the spec's JSON files, one module each: {"tests":
 * [{"name", "data", "template", "partials", "expected"}, ...]}.  Each test
 * compiles its template (its "partials" object answers the partial
 * callback), renders it over its data and compares the output with
 * "expected", byte for byte.
 *
 * Each failure is printed with the test's name, the expected and the
 * actual output (as JSON strings, so blanks and newlines show), then one
 * "RESULT mustache/<module> P F" line per required module (files not
 * starting with '~'), which tests/run.sh adds up.  Optional modules ('~')
 * get a "# optional" line instead: they are not supported (mustache.h)
 * and never count as failures; -v prints their failures too.  The exit
 * status is 1 when a required test failed, the folder cannot be read or
 * holds no required module.
 */
#include "common/mustache.h"

#include <dirent.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OUT (1 << 20)

/* The partial callback: the test's "partials" object, by name. */
static int find_partial(void *ctx, const char *name, const char **text,
                        size_t *len, wh_err *err)
{
    json_t *s = json_object_get(ctx, name);
    (void)err;
    *text = json_is_string(s) ? json_string_value(s) : NULL;
    *len = json_is_string(s) ? json_string_length(s) : 0;
    return 0;
}

/* Print s as a JSON string, so that blanks and newlines show. */
static void print_quoted(const char *label, const char *s, size_t n)
{
    json_t *j = json_stringn_nocheck(s, n);
    char *q = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
    printf("  %-9s %s\n", label, q ? q : "(cannot print)");
    free(q);
    json_decref(j);
}

/* Run one test; on failure print why when loud. */
static bool run_test(const char *file, json_t *test, bool loud)
{
    const char *name = json_string_value(json_object_get(test, "name"));
    json_t *tmpl = json_object_get(test, "template");
    json_t *want = json_object_get(test, "expected");
    char msg[WH_ERR_LINE_MAX], *out = NULL;
    size_t outlen = 0;
    wh_err err;
    wh_err_clear(&err);
    wh_mustache *t = NULL;
    int rc = !json_is_string(tmpl) || !json_is_string(want) ? -1
           : wh_mustache_compile(&t, "template", json_string_value(tmpl),
                                 json_string_length(tmpl), find_partial,
                                 json_object_get(test, "partials"), &err);
    if (!rc)
        rc = wh_mustache_render(t, json_object_get(test, "data"), MAX_OUT,
                                &out, &outlen, &err);
    bool ok = !rc && outlen == json_string_length(want) &&
              !memcmp(out, json_string_value(want), outlen);
    if (!ok && loud) {
        printf("FAIL %s: %s\n", file, name ? name : "(no name)");
        if (json_is_string(want))
            print_quoted("expected:", json_string_value(want),
                         json_string_length(want));
        if (rc < 0)
            printf("  malformed test\n");
        else if (rc)
            printf("  error:    %s\n", wh_err_format(&err, msg, sizeof msg));
        else
            print_quoted("got:", out, outlen);
    }
    free(out);
    wh_mustache_free(t);
    return ok;
}

/* Run every test of dir/file; false if the file cannot be read. */
static bool run_file(const char *dir, const char *file, bool verbose,
                     int *pass, int *fail)
{
    char path[4096];
    json_error_t jerr;
    bool optional = file[0] == '~';
    snprintf(path, sizeof path, "%s/%s", dir, file);
    json_t *doc = json_load_file(path, 0, &jerr);
    json_t *tests = json_object_get(doc, "tests");
    if (!json_is_array(tests)) {
        printf("FAIL %s: cannot read: %s\n", path,
               doc ? "no \"tests\" array" : jerr.text);
        json_decref(doc);
        return false;
    }
    size_t i;
    json_t *test;
    json_array_foreach(tests, i, test)
        run_test(file, test, !optional || verbose) ? ++*pass : ++*fail;
    json_decref(doc);
    return true;
}

static int json_file(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 5 && !strcmp(d->d_name + n - 5, ".json");
}

static int run_suite(const char *dir, bool verbose)
{
    struct dirent **names;
    int n = scandir(dir, &names, json_file, alphasort);
    if (n < 0) {
        fprintf(stderr, "mustache_conformance: cannot read %s (set "
                "MUSTACHE_SPEC_DIR or WHARF_SHARED)\n", dir);
        return 1;
    }
    int required = 0, bad = 0;
    for (int k = 0; k < n; k++) {
        const char *file = names[k]->d_name;
        int pass = 0, fail = 0, stem = (int)strlen(file) - 5;
        bool optional = file[0] == '~';
        if (!run_file(dir, file, verbose, &pass, &fail))
            fail++;
        if (optional)
            printf("# optional mustache/%.*s: %d passed, %d failed (not "
                   "supported, not counted)\n", stem, file, pass, fail);
        else
            printf("RESULT mustache/%.*s %d %d\n", stem, file, pass, fail);
        required += !optional;
        bad += optional ? 0 : fail;
        free(names[k]);
    }
    free(names);
    if (!required)
        fprintf(stderr, "mustache_conformance: no spec files in %s\n", dir);
    return bad || !required;
}

int main(int argc, char **argv)
{
    bool verbose = argc > 1 && !strcmp(argv[1], "-v");
    int a = verbose ? 2 : 1;
    char dflt[4096];
    const char *dir = a < argc ? argv[a] : getenv("MUSTACHE_SPEC_DIR");
    if (!dir || !*dir) {
        const char *shared = getenv("WHARF_SHARED");
        snprintf(dflt, sizeof dflt, "%s/mustache-spec/specs",
                 shared && *shared ? shared : "../shared");
        dir = dflt;
    }
    return run_suite(dir, verbose);
}

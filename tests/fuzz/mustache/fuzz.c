/* fuzz.c - fuzz target "mustache": templates with data and partials
 * (common/mustache.c), compiled and rendered under small limits.
 *
 * Input: NUL-separated fields,
 *
 *     TEMPLATE \0 DATA-JSON [\0 NAME \0 PARTIAL]...
 *
 * The data is parsed by wh_json_parse (anything that is not JSON renders
 * as null); the partial callback answers from the pairs (the first of a
 * name wins; an unknown name is no partial, as the spec wants).  The
 * limits are small, and tiny when the data starts with a tab (or with a
 * carriage return: smaller still), so that every cap is reached.
 *
 * Checked, beyond memory safety and leaks:
 *   - a refused template has no *out, a code the header lists and, for
 *     WH_E_FORMAT, the name of the unit at fault and a 1-based line:col
 *     inside it;
 *   - a render is NUL-terminated, fits max_out, and is the same when
 *     repeated (a compiled template is immutable);
 *   - the output cap is exact: max_out = the length renders the same,
 *     one byte less is WH_E_LIMIT;
 *   - a failed render leaves *out NULL and *outlen 0;
 *   - {{k}} of each string member k of the data writes it with & < > " '
 *     as entities, and nothing else changed.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/mustache/, and the seeds
 * of tests/fuzz/mustache/seeds.sh from ../shared/mustache-spec).
 */
#include <string.h>

#include "common/json.h"
#include "common/mustache.h"
#include "tests/fuzz/common/fuzz.h"

#define NAME    "fuzz.mustache"
#define MAX_OUT ((size_t)1 << 16)
#define MAX_FIELDS 34

/* The input cut at its NUL bytes. */
typedef struct fields {
    const char *at[MAX_FIELDS];
    size_t      len[MAX_FIELDS];
    int         n;
} fields;

static void split(fields *f, const char *s, size_t n)
{
    f->n = 0;
    for (;;) {
        const char *z = memchr(s, '\0', n);
        size_t len = z ? (size_t)(z - s) : n;
        f->at[f->n] = s;
        f->len[f->n++] = len;
        if (!z || f->n == MAX_FIELDS)
            return;
        s += len + 1, n -= len + 1;
    }
}

/* Partial NAME is the field after a field equal to NAME (from field 2). */
static int partial(void *ctx, const char *name, const char **text, size_t *len,
                   wh_err *err)
{
    const fields *f = ctx;
    (void)err;
    *text = NULL;
    *len = 0;
    for (int i = 2; i + 1 < f->n; i += 2)
        if (f->len[i] == strlen(name) && !memcmp(f->at[i], name, f->len[i])) {
            *text = f->at[i + 1];
            *len = f->len[i + 1];
            return 0;
        }
    return 0;
}

static const wh_mustache_limits limits[] = {
    { 1 << 16, 100, 16, 8, 100000 },
    { 1 << 10, 4, 2, 2, 1000 },
    { 64, 1, 0, 0, 1 },
};

static int lines(const char *s, size_t n)
{
    int k = 1;
    for (size_t i = 0; i < n; i++)
        k += s[i] == '\n';
    return k;
}

/* A refused template says what and where. */
static void check_refusal(int rc, const wh_mustache *t, const wh_err *e,
                          const fields *f)
{
    FUZZ_ASSERT(!t && e->code == rc && e->reason[0]);
    FUZZ_ASSERT(rc == WH_E_FORMAT || rc == WH_E_LIMIT || rc == WH_E_NOMEM);
    if (rc != WH_E_FORMAT)
        return;
    const char *text;
    size_t len;
    int in_main = !strcmp(e->path, NAME);
    partial((void *)f, e->path, &text, &len, NULL);
    FUZZ_ASSERT(text || in_main);   /* the main template or a partial */
    FUZZ_ASSERT(e->line >= 1 && e->col >= 1);
    FUZZ_ASSERT((text && e->line <= lines(text, len)) ||
                (in_main && e->line <= lines(f->at[0], f->len[0])));
}

static int render(const wh_mustache *t, const json_t *data, size_t max,
                  char **out, size_t *len)
{
    wh_err e;
    int rc = wh_mustache_render(t, data, max, out, len, &e);
    if (rc) {
        FUZZ_ASSERT(!*out && *len == 0 && e.code == rc && e.reason[0]);
        FUZZ_ASSERT(rc == WH_E_LIMIT || rc == WH_E_FORMAT || rc == WH_E_NOMEM);
    } else {
        FUZZ_ASSERT(*out && (*out)[*len] == '\0' && *len <= max);
    }
    return rc;
}

/* Same output twice; the cap holds at exactly the output's length. */
static void check_render(const wh_mustache *t, const json_t *data)
{
    char *a, *b;
    size_t alen, blen;
    int rc = render(t, data, MAX_OUT, &a, &alen);
    FUZZ_ASSERT(render(t, data, MAX_OUT, &b, &blen) == rc);
    if (rc)
        return;
    FUZZ_ASSERT(alen == blen && memcmp(a, b, alen) == 0);
    free(b);
    FUZZ_ASSERT(render(t, data, alen, &b, &blen) == 0);
    FUZZ_ASSERT(alen == blen && memcmp(a, b, alen) == 0);
    free(b);
    if (alen > 0)
        FUZZ_ASSERT(render(t, data, alen - 1, &b, &blen) == WH_E_LIMIT);
    free(a);
}

/* The HTML entity that starts at s[0..n), and its byte; 0 if none. */
static char entity(const char *s, size_t n, size_t *len)
{
    static const struct { const char *text; char c; } ents[] = {
        { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
        { "&#39;", '\'' },
    };
    for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++) {
        *len = strlen(ents[i].text);
        if (n >= *len && !memcmp(s, ents[i].text, *len))
            return ents[i].c;
    }
    return 0;
}

/* {{k}} for each string member k of the data: the output holds none of
 * & < > " ' but as entities, and unescapes to the string. */
static void check_escape(const json_t *data)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)data, k, v) {
        char tmpl[80], *out;
        size_t n, klen = strlen(k);
        if (!json_is_string(v) || json_string_length(v) > MAX_OUT || !klen ||
            klen > 64 || strchr("#^/!>=&{", k[0]) ||
            strpbrk(k, " \t\n\r\v\f.}"))
            continue;
        n = (size_t)snprintf(tmpl, sizeof tmpl, "{{%s}}", k);
        wh_mustache *t;
        FUZZ_ASSERT(wh_mustache_compile(&t, NAME, tmpl, n, NULL, NULL, NULL) == 0);
        FUZZ_ASSERT(wh_mustache_render(t, data, MAX_OUT * 6, &out, &n, NULL) == 0);
        const char *want = json_string_value(v);
        size_t w = 0, wlen = json_string_length(v);
        for (size_t i = 0; i < n; i++, w++) {
            size_t elen = 1;
            char c = out[i];
            if (c == '&')
                FUZZ_ASSERT((c = entity(out + i, n - i, &elen)));
            else
                FUZZ_ASSERT(!c || !strchr("<>\"'", c));
            FUZZ_ASSERT(w < wlen && c == want[w]);
            i += elen - 1;
        }
        FUZZ_ASSERT(w == wlen);
        free(out);
        wh_mustache_free(t);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fields f;
    json_t *json = NULL;
    wh_mustache *t = (wh_mustache *)&f;  /* must become NULL on failure */
    wh_err e;
    split(&f, (const char *)data, size);
    const wh_mustache_limits *lim = &limits[0];
    if (f.n > 1 && f.len[1] > 0) {
        lim = &limits[f.at[1][0] == '\t' ? 1 : f.at[1][0] == '\r' ? 2 : 0];
        if (wh_json_parse(f.at[1], f.len[1], NULL, &json, NULL))
            json = NULL;
    }
    int rc = wh_mustache_compile_limits(&t, NAME, f.at[0], f.len[0], partial, &f,
                                        lim, &e);
    if (rc) {
        check_refusal(rc, t, &e, &f);
    } else {
        FUZZ_ASSERT(t && !strcmp(wh_mustache_name(t), NAME));
        check_render(t, json);
        if (json_is_object(json))
            check_escape(json);
        wh_mustache_free(t);
    }
    json_decref(json);
    return 0;
}

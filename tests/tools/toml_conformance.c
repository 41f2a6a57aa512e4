/* toml_conformance.c - run toml-test's TOML 1.0 suite against wh_toml.
 *
 *   toml_conformance [-v] [TOML_TEST_DIR]
 *   toml_conformance --decode < doc.toml > doc.json
 *
 * The first form reads TOML_TEST_DIR/tests/files-toml-1.0.0 (directory
 * from the argument, else $TOML_TEST_DIR, else $WHARF_SHARED/toml-test
 * with WHARF_SHARED defaulting to ../shared).  Every valid/x.toml must
 * parse, and its tree, in toml-test's tagged JSON form, must equal
 * valid/x.json; every invalid/x.toml must be rejected.  Each failure is
 * printed with the file and the reason (-v also prints why each invalid
 * file was rejected), then "RESULT toml-test.valid P F" and
 * "RESULT toml-test.invalid P F"; the exit status is 1 on any failure.
 *
 * The comparison is semantic, as toml-test's own: the same keys (order
 * free) and array elements; leaves by type, then integers and strings
 * exactly, floats by value (nan equals nan; the sign of zero counts),
 * date/times after normalising 't'/' ' to 'T', 'z' to 'Z', the fraction to
 * nine digits and a zero offset to "Z".
 *
 * --decode makes this program a toml-test decoder: TOML on stdin, tagged
 * JSON on stdout, exit 0; or the error on stderr and exit 1.
 */
#include "common/toml.h"

#include <jansson.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE (WH_TOML_MAX_SIZE + 1)

/* --- Reading --- */

/* Read all of f (at most MAX_FILE bytes) into a malloc'd buffer. */
static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || cap >= MAX_FILE)
            break;
        char *b = realloc(buf, cap * 2);
        if (!b)
            free(buf);
        buf = b;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    *len = n;
    return buf;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = slurp(f, len);
    fclose(f);
    return buf;
}

/* --- wh_toml to tagged JSON --- */

static void fmt_float(double d, char *buf, size_t n)
{
    if (isnan(d)) {
        snprintf(buf, n, "nan");
        return;
    }
    if (isinf(d)) {
        snprintf(buf, n, d < 0 ? "-inf" : "inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {  /* shortest that round-trips */
        snprintf(buf, n, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

static void fmt_datetime(const wh_toml_value *v, char *buf, size_t n)
{
    const wh_toml_datetime *dt = wh_toml_datetime_of(v);
    wh_toml_type t = wh_toml_type_of(v);
    char date[16] = "", time[32] = "", off[8] = "";
    if (t != WH_TOML_TIME_LOCAL)
        snprintf(date, sizeof date, "%04d-%02d-%02d", dt->year, dt->month,
                 dt->day);
    if (t != WH_TOML_DATE_LOCAL) {
        int len = snprintf(time, sizeof time, "%02d:%02d:%02d", dt->hour,
                           dt->minute, dt->second);
        if (dt->nanosecond) {
            snprintf(time + len, sizeof time - (size_t)len, ".%09d",
                     dt->nanosecond);
            for (char *e = time + strlen(time) - 1; *e == '0'; e--)
                *e = '\0';
        }
    }
    if (t == WH_TOML_DATETIME) {
        int m = dt->offset_minutes, a = m < 0 ? -m : m;
        if (m == 0)
            snprintf(off, sizeof off, "Z");
        else
            snprintf(off, sizeof off, "%c%02d:%02d", m < 0 ? '-' : '+',
                     a / 60 % 100, a % 60);
    }
    snprintf(buf, n, "%s%s%s%s", date, date[0] && time[0] ? "T" : "", time,
             off);
}

static json_t *tagged(const char *type, const char *value, size_t len)
{
    return json_pack("{s:s, s:s%}", "type", type, "value", value, len);
}

/* jansson cannot hold a key with NUL, which TOML allows ("\u0000" = 1).
 * Both sides spell a NUL in a key as NUL_KEY, the noncharacter U+FDD0,
 * which no test uses. */
#define NUL_KEY "\xef\xb7\x90"

static int set_key(json_t *o, const char *key, size_t len, json_t *v)
{
    if (!memchr(key, '\0', len))
        return json_object_setn_new(o, key, len, v);
    char *k = malloc(3 * len + 1);
    size_t n = 0;
    for (size_t i = 0; k && i < len; i++) {
        if (key[i])
            k[n++] = key[i];
        else
            memcpy(k + n, NUL_KEY, 3), n += 3;
    }
    int rc = k ? json_object_setn_new(o, k, n, v) : -1;
    if (!k)
        json_decref(v);
    free(k);
    return rc;
}

static json_t *to_json(const wh_toml_value *v)
{
    char buf[64];
    wh_toml_type t = wh_toml_type_of(v);
    switch (t) {
    case WH_TOML_TABLE: {
        json_t *o = json_object();
        const char *key;
        size_t klen;
        for (size_t i = 0; o && i < wh_toml_len(v); i++) {
            const wh_toml_value *e = wh_toml_entry(v, i, &key, &klen);
            json_t *j = to_json(e);
            if (!j || set_key(o, key, klen, j)) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    case WH_TOML_ARRAY: {
        json_t *a = json_array();
        for (size_t i = 0; a && i < wh_toml_len(v); i++) {
            json_t *j = to_json(wh_toml_at(v, i));
            if (!j || json_array_append_new(a, j)) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    case WH_TOML_STRING: {
        size_t len;
        const char *s = wh_toml_string(v, &len);
        return tagged("string", s, len);
    }
    case WH_TOML_INTEGER: {
        int64_t i = 0;
        wh_toml_int(v, &i);
        snprintf(buf, sizeof buf, "%" PRId64, i);
        break;
    }
    case WH_TOML_FLOAT: {
        double d = 0;
        wh_toml_float(v, &d);
        fmt_float(d, buf, sizeof buf);
        break;
    }
    case WH_TOML_BOOL: {
        bool b = false;
        wh_toml_bool(v, &b);
        snprintf(buf, sizeof buf, "%s", b ? "true" : "false");
        break;
    }
    default:
        fmt_datetime(v, buf, sizeof buf);
        break;
    }
    return tagged(wh_toml_type_name(t), buf, strlen(buf));
}

/* --- Comparing --- */

/* A toml-test leaf: {"type": "...", "value": "..."}, both strings. */
static bool is_leaf(const json_t *j)
{
    return json_is_object(j) && json_object_size(j) == 2 &&
           json_is_string(json_object_get(j, "type")) &&
           json_is_string(json_object_get(j, "value"));
}

static bool parse_float(const char *s, double *d)
{
    if (!strcmp(s, "nan") || !strcmp(s, "+nan") || !strcmp(s, "-nan")) {
        *d = NAN;
        return true;
    }
    if (!strcmp(s, "inf") || !strcmp(s, "+inf")) {
        *d = INFINITY;
        return true;
    }
    if (!strcmp(s, "-inf")) {
        *d = -INFINITY;
        return true;
    }
    char *end;
    *d = strtod(s, &end);
    return *s && !*end;
}

/* 1987-07-05 17:45:56.6z -> 1987-07-05T17:45:56.600000000Z: the date
 * (if any), 'T', HH:MM:SS, a nine-digit fraction, the offset ("Z" for any
 * zero offset). */
static void norm_datetime(const char *s, char *out, size_t n)
{
    size_t len = strlen(s), t = len > 2 && s[2] == ':' ? 0 : 11;
    if (len < t + 8) {             /* a local date, or malformed */
        snprintf(out, n, "%s", s);
        return;
    }
    const char *rest = s + t + 8;
    char frac[10] = "000000000";
    if (*rest == '.')
        for (int k = 0; *++rest >= '0' && *rest <= '9'; k++)
            if (k < 9)
                frac[k] = *rest;
    const char *off = rest;
    if (!strcmp(off, "z") || !strcmp(off, "+00:00") || !strcmp(off, "-00:00"))
        off = "Z";
    snprintf(out, n, "%.*s%s%.8s.%s%s", t ? 10 : 0, s, t ? "T" : "", s + t,
             frac, off);
}

static bool cmp_leaf(const json_t *want, const json_t *have, char *why,
                     size_t n)
{
    const char *wt = json_string_value(json_object_get(want, "type"));
    const char *ht = json_string_value(json_object_get(have, "type"));
    json_t *wj = json_object_get(want, "value"), *hj = json_object_get(have,
                                                                     "value");
    const char *wv = json_string_value(wj), *hv = json_string_value(hj);
    if (strcmp(wt, ht)) {
        snprintf(why, n, "type %s, want %s", ht, wt);
        return false;
    }
    bool same;
    if (!strcmp(wt, "float")) {
        double a, b;
        same = parse_float(wv, &a) && parse_float(hv, &b) &&
               ((isnan(a) && isnan(b)) ||
                (a == b && signbit(a) == signbit(b)));
    } else if (!strcmp(wt, "datetime") || !strcmp(wt, "datetime-local") ||
               !strcmp(wt, "date-local") || !strcmp(wt, "time-local")) {
        char a[64], b[64];
        norm_datetime(wv, a, sizeof a);
        norm_datetime(hv, b, sizeof b);
        same = !strcmp(a, b);
    } else {
        same = json_string_length(wj) == json_string_length(hj) &&
               !memcmp(wv, hv, json_string_length(wj));
    }
    if (!same)
        snprintf(why, n, "%s value '%s', want '%s'", wt, hv, wv);
    return same;
}

/* Compare want and have; on a difference, write where and why. */
static bool cmp(const json_t *want, const json_t *have, const char *at,
                char *why, size_t n)
{
    char sub[512];
    if (is_leaf(want) || is_leaf(have)) {
        if (!is_leaf(want) || !is_leaf(have)) {
            snprintf(why, n, "%s: %s, want %s", at[0] ? at : "(root)",
                     is_leaf(have) ? "a value" : "a table or array",
                     is_leaf(want) ? "a value" : "a table or array");
            return false;
        }
        char w[400];
        if (cmp_leaf(want, have, w, sizeof w))
            return true;
        snprintf(why, n, "%s: %s", at, w);
        return false;
    }
    if (json_is_object(want) && json_is_object(have)) {
        const char *k;
        json_t *wv;
        json_object_foreach((json_t *)want, k, wv) {
            json_t *hv = json_object_get(have, k);
            snprintf(sub, sizeof sub, "%s%s%s", at, at[0] ? "." : "", k);
            if (!hv) {
                snprintf(why, n, "%s: missing", sub);
                return false;
            }
            if (!cmp(wv, hv, sub, why, n))
                return false;
        }
        json_object_foreach((json_t *)have, k, wv)
            if (!json_object_get(want, k)) {
                snprintf(why, n, "%s%s%s: not expected", at, at[0] ? "." : "",
                         k);
                return false;
            }
        return true;
    }
    if (json_is_array(want) && json_is_array(have)) {
        if (json_array_size(want) != json_array_size(have)) {
            snprintf(why, n, "%s: %zu elements, want %zu", at,
                     json_array_size(have), json_array_size(want));
            return false;
        }
        for (size_t i = 0; i < json_array_size(want); i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", at, i);
            if (!cmp(json_array_get(want, i), json_array_get(have, i), sub,
                     why, n))
                return false;
        }
        return true;
    }
    snprintf(why, n, "%s: %s, want %s", at[0] ? at : "(root)",
             json_is_array(have) ? "an array" : "a table",
             json_is_array(want) ? "an array" : "a table");
    return false;
}

/* Load an expected JSON file, with "\u0000" in keys as NUL_KEY. */
static json_t *load_expected(const char *file, char *why, size_t n)
{
    size_t len;
    char *src = read_file(file, &len);
    if (!src) {
        snprintf(why, n, "cannot read %.*s", (int)(n > 20 ? n - 20 : 0),
                 file);
        return NULL;
    }
    char *out = malloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; out && i < len;) {
        if (src[i] != '"') {
            out[o++] = src[i++];
            continue;
        }
        size_t end = i + 1;  /* past the closing quote */
        while (end < len && src[end] != '"')
            end += src[end] == '\\' ? 2 : 1;
        end = end < len ? end + 1 : len;
        size_t after = end;
        while (after < len && strchr(" \t\r\n", src[after]))
            after++;
        bool is_key = after < len && src[after] == ':';
        while (i < end) {
            if (is_key && src[i] == '\\' && end - i >= 6 &&
                !memcmp(src + i, "\\u0000", 6)) {
                memcpy(out + o, NUL_KEY, 3);  /* 3 bytes for 6 */
                o += 3;
                i += 6;
            } else if (src[i] == '\\' && i + 1 < end) {
                out[o++] = src[i++];
                out[o++] = src[i++];
            } else {
                out[o++] = src[i++];
            }
        }
    }
    free(src);
    if (!out) {
        snprintf(why, n, "out of memory");
        return NULL;
    }
    json_error_t jerr;
    json_t *j = json_loadb(out, o, JSON_ALLOW_NUL, &jerr);
    free(out);
    if (!j)
        snprintf(why, n, "%.200s: %s", file, jerr.text);
    return j;
}

/* --- Running cases --- */

/* Parse file; 0 and *doc, or an error in why. */
static int parse_file(const char *file, const char *name, wh_toml **doc,
                      char *why, size_t n)
{
    size_t len;
    char *src = read_file(file, &len);
    if (!src) {
        snprintf(why, n, "cannot read %.*s", (int)(n > 20 ? n - 20 : 0),
                 file);
        return -1;
    }
    wh_err err;
    wh_err_clear(&err);
    int rc = wh_toml_parse(src, len, name, doc, &err);
    free(src);
    if (rc)
        wh_err_format(&err, why, n);
    return rc;
}

/* buf = dir/tests/name; false if it does not fit. */
static bool test_path(char *buf, size_t n, const char *dir, const char *name)
{
    int len = snprintf(buf, n, "%s/tests/%s", dir, name);
    return len > 0 && (size_t)len < n;
}

static bool run_valid(const char *dir, const char *name, char *why, size_t n)
{
    char file[4096], json[4096];
    if (!test_path(file, sizeof file, dir, name) ||
        !test_path(json, sizeof json - 1, dir, name)) {
        snprintf(why, n, "path too long");
        return false;
    }
    strcpy(json + strlen(json) - 4, "json");  /* x.toml -> x.json */
    wh_toml *doc;
    if (parse_file(file, name, &doc, why, n))
        return false;
    json_t *want = load_expected(json, why, n);
    json_t *have = to_json(wh_toml_root(doc));
    bool ok = false;
    if (!want)
        ;
    else if (!have)
        snprintf(why, n, "cannot build JSON");
    else
        ok = cmp(want, have, "", why, n);
    json_decref(want);
    json_decref(have);
    wh_toml_free(doc);
    return ok;
}

static bool run_invalid(const char *dir, const char *name, char *why,
                        size_t n)
{
    char file[4096];
    if (!test_path(file, sizeof file, dir, name)) {
        snprintf(why, n, "path too long");
        return false;
    }
    wh_toml *doc = NULL;
    if (parse_file(file, name, &doc, why, n))
        return !strstr(why, "cannot read");
    wh_toml_free(doc);
    snprintf(why, n, "accepted");
    return false;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcmp(s + a - b, tail);
}

static int run_suite(const char *dir, bool verbose)
{
    char list[4096], line[1024], why[1024];
    FILE *f = test_path(list, sizeof list, dir, "files-toml-1.0.0")
            ? fopen(list, "r") : NULL;
    if (!f) {
        fprintf(stderr, "toml_conformance: cannot open %s\n", list);
        return 1;
    }
    int vp = 0, vf = 0, ip = 0, inf = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!ends_with(line, ".toml"))
            continue;
        bool valid = !strncmp(line, "valid/", 6);
        if (!valid && strncmp(line, "invalid/", 8))
            continue;
        bool ok = valid ? run_valid(dir, line, why, sizeof why)
                        : run_invalid(dir, line, why, sizeof why);
        if (!ok)
            printf("FAIL %s: %s\n", line, why);
        else if (verbose && !valid)
            printf("ok %s: %s\n", line, why);
        if (valid)
            ok ? vp++ : vf++;
        else
            ok ? ip++ : inf++;
    }
    fclose(f);
    printf("RESULT toml-test.valid %d %d\n", vp, vf);
    printf("RESULT toml-test.invalid %d %d\n", ip, inf);
    return vf || inf || vp + ip == 0;
}

static int decode(void)
{
    size_t len;
    char *src = slurp(stdin, &len);
    if (!src) {
        fprintf(stderr, "toml_conformance: cannot read stdin\n");
        return 1;
    }
    wh_err err;
    wh_err_clear(&err);
    wh_toml *doc;
    int rc = wh_toml_parse(src, len, "<stdin>", &doc, &err);
    free(src);
    if (rc) {
        char msg[1024];
        fprintf(stderr, "%s\n", wh_err_format(&err, msg, sizeof msg));
        return 1;
    }
    json_t *j = to_json(wh_toml_root(doc));
    wh_toml_free(doc);
    if (!j || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII)) {
        fprintf(stderr, "toml_conformance: cannot write JSON\n");
        json_decref(j);
        return 1;
    }
    json_decref(j);
    putchar('\n');
    return 0;
}

int main(int argc, char **argv)
{
    bool verbose = false;
    int a = 1;
    if (a < argc && !strcmp(argv[a], "--decode"))
        return decode();
    if (a < argc && !strcmp(argv[a], "-v"))
        verbose = true, a++;
    char dflt[4096];
    const char *dir = a < argc ? argv[a] : getenv("TOML_TEST_DIR");
    if (!dir || !*dir) {
        const char *shared = getenv("WHARF_SHARED");
        snprintf(dflt, sizeof dflt, "%s/toml-test",
                 shared && *shared ? shared : "../shared");
        dir = dflt;
    }
    return run_suite(dir, verbose);
}

/* json_canon_test.c - wh_json_canon_check against the definition it
 * replaces: "x is canonical when wh_json_parse(x) succeeds and
 * wh_json_canon of the result gives back x" (old_canonical below).
 *
 *  1. Generated values (random nesting; keys and strings made of pieces
 *     of every byte class: controls, quote, backslash, slash, DEL, 2-, 3-
 *     and 4-byte UTF-8 up to U+10FFFF, U+2028, U+FFFF; integers at both
 *     ends of long long; empty containers; chains at the depth limit):
 *     what wh_json_canon writes passes, and this file's own writer with
 *     no deviation writes the same bytes (an independent statement of the
 *     canonical form).
 *  2. The same values written with random deviations (white space, keys
 *     out of order, duplicate keys, other escapes, other number forms),
 *     and their canonical bytes mutated (a byte replaced, inserted or
 *     deleted, invalid UTF-8 inserted, bytes appended, truncation): the
 *     check says yes exactly when the old definition does.  On one small
 *     document that holds every construct, exhaustively: every
 *     truncation, every deletion, every byte value at every position,
 *     and a set of bytes inserted at every position.
 *  3. A table of exact reasons and offsets, and the depth limit.
 *
 * The random cases use a fixed seed, so a failure reproduces; it prints
 * the bytes and both answers.
 *
 * Tests: this file.
 */
#include "tests/unit/wh_test.h"

#include <limits.h>

#include "common/json.h"

/* --- the old definition, and the comparison --------------------------------- */

static int old_canonical(const char *x, size_t n)
{
    json_t *v;
    wh_err e;
    if (wh_json_parse(x, n, "t.json", &v, &e))
        return 0;
    char *c;
    size_t cl;
    int ok = wh_json_canon(v, &c, &cl, &e) == 0 && cl == n && memcmp(c, x, n) == 0;
    free(c);
    json_decref(v);
    return ok;
}

static void show(const char *what, const char *x, size_t n)
{
    printf("%s (%zu bytes): ", what, n);
    for (size_t i = 0; i < n && i < 300; i++) {
        unsigned char c = (unsigned char)x[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    printf("%s\n", n > 300 ? "..." : "");
}

/* A refusal must name the file, a place inside (or just past) the bytes
 * and a reason of the check's own family. */
static int refusal_ok(int rc, const wh_err *e, size_t n)
{
    if (rc == WH_E_LIMIT)
        return !strcmp(e->reason, "JSON nested deeper than 64 levels") &&
               e->offset >= WH_JSON_MAX_DEPTH && (size_t)e->offset < n;
    return rc == WH_E_FORMAT && !strcmp(e->path, "t.json") && e->offset >= 0 &&
           (size_t)e->offset <= n &&
           !strncmp(e->reason, "not canonical JSON: ", 20);
}

typedef struct {
    int passed, failed, accepted;
} tally;

/* Do the check and the old definition agree on x? */
static void agree(tally *t, const char *what, const char *x, size_t n)
{
    wh_err e;
    int rc = wh_json_canon_check(x, n, "t.json", &e);
    int want = old_canonical(x, n);
    if ((rc == 0) == want && (rc == 0 || refusal_ok(rc, &e, n))) {
        t->passed++;
        t->accepted += want;
        return;
    }
    t->failed++;
    if (t->failed <= 10) {
        show(what, x, n);
        printf("  old definition: %s; check: %d offset %lld '%s'\n",
               want ? "canonical" : "not canonical", rc, rc ? e.offset : 0,
               rc ? e.reason : "");
    }
}

/* --- a seeded generator ------------------------------------------------------ */

typedef struct {
    uint64_t s;
} rng;

static uint64_t next(rng *r)     /* splitmix64 */
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static unsigned pick(rng *r, unsigned n)
{
    return (unsigned)(next(r) % n);
}

typedef struct {
    char *b;
    size_t n, cap;
} buf;

static void put(buf *b, const void *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->b = realloc(b->b, b->cap);
        assert_non_null(b->b);
    }
    memcpy(b->b + b->n, s, n);
    b->n += n;
}

static void puts_(buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Pieces of keys and strings: every class of byte the form treats
 * differently, few enough that keys often share prefixes. */
static const char *const pieces[] = {
    "a", "b", "A", "~", " ", "0", "/", "\"", "\\", "\x7f", "\x01", "\x08",
    "\t", "\n", "\x0c", "\r", "\x1f", "\xc3\xa9", "\xc2\x80", "\xe2\x82\xac",
    "\xe2\x80\xa8", "\xef\xbf\xbf", "\xee\x80\x80", "\xf0\x9f\x98\x80",
    "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf",
};
#define NPIECES (sizeof pieces / sizeof pieces[0])

/* Random text of 0-4 pieces into out (>= 64 bytes); a NUL only if nul. */
static size_t gen_text(rng *r, char *out, int nul)
{
    size_t n = 0;
    for (unsigned k = pick(r, 5); k > 0; k--) {
        if (nul && pick(r, 12) == 0) {
            out[n++] = '\0';
            continue;
        }
        const char *p = pieces[pick(r, NPIECES)];
        memcpy(out + n, p, strlen(p));
        n += strlen(p);
    }
    return n;
}

static json_int_t gen_int(rng *r)
{
    switch (pick(r, 7)) {
    case 0: return 0;
    case 1: return LLONG_MAX;
    case 2: return LLONG_MIN;
    case 3: return (json_int_t)next(r);
    case 4: return -(json_int_t)pick(r, 1000);
    default: return (json_int_t)pick(r, 100000);
    }
}

static json_t *gen_scalar(rng *r)
{
    char t[64];
    size_t n;
    switch (pick(r, 6)) {
    case 0:
    case 1:
        n = gen_text(r, t, 1);
        return json_stringn(t, n);
    case 2: return json_integer(gen_int(r));
    case 3: return json_true();
    case 4: return json_false();
    default: return json_null();
    }
}

/* A random value, containers up to maxd deep. */
static json_t *gen_value(rng *r, int depth, int maxd)
{
    unsigned k = depth >= maxd ? 9 : pick(r, 10);
    if (k > 4)
        return gen_scalar(r);
    json_t *v = k < 3 ? json_object() : json_array();
    for (unsigned i = pick(r, 6); i > 0; i--) {
        json_t *m = gen_value(r, depth + 1, maxd);
        if (k >= 3) {
            json_array_append_new(v, m);
        } else {
            char key[64];
            size_t kn = gen_text(r, key, 0);   /* jansson reads no NUL in keys */
            json_object_setn_new(v, key, kn, m);
        }
    }
    return v;
}

/* Containers nested exactly n deep, objects and arrays in turn. */
static json_t *gen_chain(rng *r, int n)
{
    json_t *v = pick(r, 2) ? json_object() : json_array();
    if (n > 1) {
        json_t *in = gen_chain(r, n - 1);
        if (json_is_object(v))
            json_object_set_new(v, "k", in);
        else
            json_array_append_new(v, in);
    }
    return v;
}

/* --- this file's own writer, with deviations ----------------------------------- */

typedef struct {
    rng *r;
    unsigned odds;      /* a deviation 1 time in odds at each chance; 0: none */
    buf b;
} writer;

static int deviate(writer *w)
{
    return w->odds && pick(w->r, w->odds) == 0;
}

static void write_ws(writer *w)
{
    static const char *const ws[] = { " ", "\t", "\n", "\r", "  " };
    if (deviate(w))
        puts_(&w->b, ws[pick(w->r, 5)]);
}

/* The code point of the valid UTF-8 at s (n bytes left) and its length. */
static size_t decode(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t k = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
    *cp = s[0] & (0x7f >> k);
    for (size_t i = 1; i < k; i++)
        *cp = *cp << 6 | (s[i] & 0x3f);
    return k;
}

static void write_u(writer *w, uint32_t cp, int lower)
{
    char t[16];
    snprintf(t, sizeof t, lower ? "\\u%04x" : "\\u%04X", (unsigned)cp);
    puts_(&w->b, t);
}

/* A character that canonical JSON escapes: its escape, or another form. */
static void write_escaped(writer *w, uint32_t cp, char c)
{
    static const char shorts[] = "\"\"\\\\\bb\ff\nn\rr\tt";
    const char *sh = cp ? strchr(shorts, (int)cp) : NULL;
    unsigned how = deviate(w) ? 1 + pick(w->r, 3) : 0;
    if (how == 3) {
        put(&w->b, &c, 1);                  /* raw: never valid JSON */
    } else if (sh && how == 0) {
        char t[2] = { '\\', sh[1] };
        put(&w->b, t, 2);
    } else {
        write_u(w, cp, how == 2);
    }
}

/* A character written raw in canonical JSON: raw, or escaped. */
static void write_plain(writer *w, const unsigned char *s, size_t k, uint32_t cp)
{
    if (!deviate(w)) {
        put(&w->b, s, k);
    } else if (cp == '/' && pick(w->r, 2)) {
        puts_(&w->b, "\\/");
    } else if (cp < 0x10000) {
        write_u(w, cp, (int)pick(w->r, 2));
    } else {
        int lower = (int)pick(w->r, 2);
        write_u(w, 0xd800 | ((cp - 0x10000) >> 10), lower);
        write_u(w, 0xdc00 | ((cp - 0x10000) & 0x3ff), lower);
    }
}

static void write_string(writer *w, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    puts_(&w->b, "\"");
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = decode(s + i, &cp);
        if (cp < 0x20 || cp == '"' || cp == '\\')
            write_escaped(w, cp, (char)s[i]);
        else
            write_plain(w, s + i, k, cp);
        i += k;
    }
    puts_(&w->b, "\"");
}

static void write_int(writer *w, json_int_t v)
{
    static const char *const forms[] = { "%s0%s", "%s%s.0", "%s%se0", "%s%sE+1",
                                         "+%s%s", "%s%s.", "-%s%s" };
    char t[64], d[32];
    snprintf(d, sizeof d, "%lld", (long long)v);
    if (!deviate(w)) {
        puts_(&w->b, d);
        return;
    }
    int neg = d[0] == '-';
    snprintf(t, sizeof t, forms[pick(w->r, 7)], neg ? "-" : "", d + neg);
    puts_(&w->b, t);
}

typedef struct {
    const char *key;
    size_t len;
    json_t *val;
} member;

static int member_cmp(const void *a, const void *b)
{
    const member *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void write_value(writer *w, json_t *v);

static void write_member(writer *w, const member *m, int first)
{
    if (!first)
        puts_(&w->b, ",");
    write_ws(w);
    write_string(w, m->key, m->len);
    write_ws(w);
    puts_(&w->b, ":");
    write_value(w, m->val);
}

static void write_object(writer *w, json_t *v)
{
    size_t n = json_object_size(v), i = 0, len;
    member *m = calloc(n ? n : 1, sizeof *m);
    assert_non_null(m);
    const char *key;
    json_t *val;
    json_object_keylen_foreach(v, key, len, val)
        m[i++] = (member){ key, len, val };
    qsort(m, n, sizeof *m, member_cmp);
    if (n > 1 && deviate(w)) {              /* two neighbours swapped */
        size_t j = pick(w->r, (unsigned)n - 1);
        member t = m[j];
        m[j] = m[j + 1];
        m[j + 1] = t;
    }
    puts_(&w->b, "{");
    for (i = 0; i < n; i++) {
        write_member(w, &m[i], i == 0);
        if (deviate(w)) {       /* the same key again, plainly: no blow-up */
            unsigned odds = w->odds;
            w->odds = 0;
            write_member(w, &m[i], 0);
            w->odds = odds;
        }
    }
    write_ws(w);
    puts_(&w->b, "}");
    free(m);
}

static void write_value(writer *w, json_t *v)
{
    write_ws(w);
    if (json_is_object(v)) {
        write_object(w, v);
    } else if (json_is_array(v)) {
        puts_(&w->b, "[");
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                puts_(&w->b, ",");
            write_value(w, json_array_get(v, i));
        }
        write_ws(w);
        puts_(&w->b, "]");
    } else if (json_is_string(v)) {
        write_string(w, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        write_int(w, json_integer_value(v));
    } else {
        puts_(&w->b, json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null");
    }
    write_ws(w);
}

/* --- byte mutations ---------------------------------------------------------- */

static const char *const bad_utf8[] = {
    "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc3", "\xe0\x80\x80", "\xe0\x9f\xbf",
    "\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
    "\xf5\x80\x80\x80", "\xe2\x82", "\xf0\x9f\x98", "\xfe", "\xff",
};
#define NBAD (sizeof bad_utf8 / sizeof bad_utf8[0])

/* x with del bytes at `at` replaced by the ins bytes, into out. */
static void splice(buf *out, const char *x, size_t n, size_t at, size_t del,
                   const char *ins, size_t insn)
{
    out->n = 0;
    put(out, x, at);
    put(out, ins, insn);
    put(out, x + at + del, n - at - del);
}

/* One random mutation of the canonical bytes x. */
static void mutate(rng *r, buf *out, const char *x, size_t n)
{
    static const char *const tails[] = { " ", "\n", "x", "0", "{}", ",1", "\"" };
    static const char ws[] = " \t\n\r";
    size_t at = pick(r, (unsigned)n + 1), del = at < n;
    char c = (char)pick(r, 256);
    const char *s;
    switch (pick(r, 7)) {
    case 0: splice(out, x, n, at, 0, &ws[pick(r, 4)], 1); break;
    case 1: splice(out, x, n, at, del, &c, 1); break;
    case 2: splice(out, x, n, at, 0, &c, 1); break;
    case 3: splice(out, x, n, at, del, "", 0); break;
    case 4:
        s = bad_utf8[pick(r, NBAD)];
        splice(out, x, n, at, 0, s, strlen(s));
        break;
    case 5:
        s = tails[pick(r, 7)];
        splice(out, x, n, n, 0, s, strlen(s));
        break;
    default: splice(out, x, n, at, n - at, "", 0); break;   /* truncated */
    }
}

/* --- 1 and 2: generated values ----------------------------------------------- */

/* v's canonical bytes pass, our writer agrees with them, and every
 * deviation and mutation gets the old definition's answer. */
static void one_value(rng *r, json_t *v, tally *gen, tally *dev, tally *mut)
{
    char *x;
    size_t n;
    wh_err e;
    assert_int_equal(wh_json_canon(v, &x, &n, &e), 0);
    writer w = { r, 0, { NULL, 0, 0 } };
    write_value(&w, v);
    int same = w.b.n == n && memcmp(w.b.b, x, n) == 0;
    if (!same)
        show("our writer differs from wh_json_canon", w.b.b, w.b.n);
    if (same && wh_json_canon_check(x, n, "t.json", &e) == 0 && old_canonical(x, n)) {
        gen->passed++;
        gen->accepted++;
    } else {
        gen->failed++;
        show("canonical bytes refused", x, n);
        printf("  %s\n", e.reason);
    }
    static const unsigned odds[] = { 3, 10, 40, 150 };
    for (int i = 0; i < 8; i++) {
        w.odds = odds[i % 4];
        w.b.n = 0;
        write_value(&w, v);
        agree(dev, "written with deviations", w.b.b, w.b.n);
    }
    for (int i = 0; i < 8; i++) {
        mutate(r, &w.b, x, n);
        agree(mut, "mutated", w.b.b, w.b.n);
    }
    free(w.b.b);
    free(x);
}

/* A generated suite counts as one test, passed when every document
 * agrees: its tens of thousands of documents are not separate cases (the
 * line above it says how many there were). */
static void report(const char *suite, const tally *t)
{
    printf("  %s: %d agree (%d canonical), %d differ\n", suite, t->passed,
           t->accepted, t->failed);
    wh_test_report(suite, t->failed == 0, t->failed != 0);
}

static void test_generated(void **state)
{
    (void)state;
    rng r = { 20261205 };
    tally gen = { 0, 0, 0 }, dev = gen, mut = gen;
    for (int i = 0; i < 10000; i++) {
        json_t *v = gen_value(&r, 0, 1 + (int)pick(&r, 6));
        one_value(&r, v, &gen, &dev, &mut);
        json_decref(v);
    }
    for (int d = 60; d <= WH_JSON_MAX_DEPTH; d++) {     /* at the limit */
        json_t *v = gen_chain(&r, d);
        one_value(&r, v, &gen, &dev, &mut);
        json_decref(v);
    }
    report("json_canon.generated", &gen);
    report("json_canon.deviations", &dev);
    report("json_canon.mutations", &mut);
    assert_int_equal(gen.failed + dev.failed + mut.failed, 0);
    /* Both answers occur, or the comparison would prove little. */
    assert_true(dev.accepted > 100 && dev.accepted < dev.passed - 1000);
    assert_true(mut.accepted > 100 && mut.accepted < mut.passed - 1000);
}

/* One level past the limit: wh_json_canon still writes an innermost
 * empty container, but the parser refuses it, and so must the check. */
static void test_past_the_limit(void **state)
{
    (void)state;
    rng r = { 7 };
    tally t = { 0, 0, 0 };
    for (int i = 0; i < 20; i++) {
        json_t *v = gen_chain(&r, WH_JSON_MAX_DEPTH + 1);
        char *x;
        size_t n;
        wh_err e;
        assert_int_equal(wh_json_canon(v, &x, &n, &e), 0);
        agree(&t, "65 levels", x, n);
        assert_int_equal(wh_json_canon_check(x, n, "t.json", &e), WH_E_LIMIT);
        free(x);
        json_decref(v);
    }
    report("json_canon.depth", &t);
    assert_int_equal(t.failed, 0);
    assert_int_equal(t.accepted, 0);
}

/* --- 2: one small document, exhaustively -------------------------------------- */

static const char small_src[] =
    "{\"z\":{\"\":[],\"\\n\":{},\"-\":[0,-1,9223372036854775807,"
    "-9223372036854775808,true,false,null,10],"
    "\"a\\u0001\":\"\\u0000\\u001f\\b\\t\\n\\f\\r\\\"\\\\/\x7f \xc3\xa9"
    "\xe2\x82\xac\xf0\x9f\x98\x80\",\"a\":\"A\\\\\"},\"\\\"\":[{\"k\":0}],"
    "\"\\\\\":1}";

static void test_small_exhaustive(void **state)
{
    (void)state;
    json_t *v;
    wh_err e;
    char *x;
    size_t n;
    assert_int_equal(wh_json_parse(small_src, strlen(small_src), "t.json", &v, &e), 0);
    assert_int_equal(wh_json_canon(v, &x, &n, &e), 0);
    json_decref(v);
    assert_int_equal(wh_json_canon_check(x, n, "t.json", &e), 0);
    static const char ins[] = " \t\n\r\"\\,:0-.eE+{}[]u\x7f";
    static const unsigned char more[] = { 0x00, 0x01, 0x80, 0xc3, 0xed, 0xf4, 0xff };
    tally t = { 0, 0, 0 };
    buf b = { NULL, 0, 0 };
    for (size_t at = 0; at <= n; at++) {
        agree(&t, "truncated", x, at);
        for (size_t i = 0; i < sizeof ins - 1; i++) {
            splice(&b, x, n, at, 0, &ins[i], 1);
            agree(&t, "inserted", b.b, b.n);
        }
        for (size_t i = 0; i < sizeof more; i++) {
            splice(&b, x, n, at, 0, (const char *)&more[i], 1);
            agree(&t, "inserted", b.b, b.n);
        }
        if (at == n)
            break;
        splice(&b, x, n, at, 1, "", 0);
        agree(&t, "deleted", b.b, b.n);
        for (int c = 0; c < 256; c++) {
            char ch = (char)c;
            splice(&b, x, n, at, 1, &ch, 1);
            agree(&t, "replaced", b.b, b.n);
        }
    }
    report("json_canon.exhaustive", &t);
    assert_int_equal(t.failed, 0);
    assert_true((size_t)t.accepted > n);    /* e.g. other letters in strings */
    free(b.b);
    free(x);
}

/* --- 3: exact reasons -------------------------------------------------------- */

static void test_reasons(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int code;
        long long offset;
        const char *reason;     /* after "not canonical JSON: " */
    } cases[] = {
        { "{\"a\":1, \"b\":2}", WH_E_FORMAT, 7, "white space" },
        { " {}", WH_E_FORMAT, 0, "white space" },
        { "{}\n", WH_E_FORMAT, 2, "white space" },
        { "{\"a\" :1}", WH_E_FORMAT, 4, "white space" },
        { "{\"b\":1,\"a\":2}", WH_E_FORMAT, 7, "keys out of order" },
        { "{\"A\":1,\"\\n\":2}", WH_E_FORMAT, 7, "keys out of order" },
        { "{\"ab\":1,\"a\":2}", WH_E_FORMAT, 8, "keys out of order" },
        { "{\"a\":{\"x\":1,\"y\":2},\"a\":2}", WH_E_FORMAT, 19, "duplicate key" },
        { "[\"\\u00e9\"]", WH_E_FORMAT, 2,
          "escape \\u00e9 where canonical JSON writes the character" },
        { "\"\\uD83D\\uDE00\"", WH_E_FORMAT, 1,
          "escape \\uD83D where canonical JSON writes the character" },
        { "\"\\u001f\"", WH_E_FORMAT, 1,
          "escape \\u001f where canonical JSON writes \\u001F" },
        { "\"\\u0008\"", WH_E_FORMAT, 1,
          "escape \\u0008 where canonical JSON writes \\b" },
        { "\"\\u005C\"", WH_E_FORMAT, 1,
          "escape \\u005C where canonical JSON writes \\\\" },
        { "\"\\u0022\"", WH_E_FORMAT, 1,
          "escape \\u0022 where canonical JSON writes \\\"" },
        { "\"\\/\"", WH_E_FORMAT, 1,
          "escape \\/ where canonical JSON writes the character" },
        { "\"\\x\"", WH_E_FORMAT, 1, "invalid escape" },
        { "\"\\u12g4\"", WH_E_FORMAT, 1, "invalid escape" },
        { "{\"a\\u0000\":1}", WH_E_FORMAT, 3, "NUL byte in an object key" },
        { "[01]", WH_E_FORMAT, 1, "leading zero" },
        { "-0", WH_E_FORMAT, 0, "negative zero" },
        { "{\"n\":1.5}", WH_E_FORMAT, 5, "real number 1.5 (integers only)" },
        { "-2E+10", WH_E_FORMAT, 0, "real number -2E+10 (integers only)" },
        { "9223372036854775808", WH_E_FORMAT, 0, "integer out of range" },
        { "-9223372036854775809", WH_E_FORMAT, 0, "integer out of range" },
        { "[\"a\tb\"]", WH_E_FORMAT, 3, "control character 0x09 in a string" },
        { "\"\xc0\x80\"", WH_E_FORMAT, 1, "invalid UTF-8" },
        { "\"a\xed\xa0\x80\"", WH_E_FORMAT, 2, "invalid UTF-8" },
        { "\"\xf4\x90\x80\x80\"", WH_E_FORMAT, 1, "invalid UTF-8" },
        { "\"\xe2\x82\"", WH_E_FORMAT, 1, "invalid UTF-8" },
        { "{}x", WH_E_FORMAT, 2, "data after the value" },
        { "1 2", WH_E_FORMAT, 1, "white space" },
        { "", WH_E_FORMAT, 0, "unexpected end of data" },
        { "{\"a\":1", WH_E_FORMAT, 6, "unexpected end of data" },
        { "\"abc", WH_E_FORMAT, 4, "unexpected end of data" },
        { "\"\\u00", WH_E_FORMAT, 5, "unexpected end of data" },
        { "[1,]", WH_E_FORMAT, 3, "unexpected ']'" },
        { "[tru]", WH_E_FORMAT, 4, "unexpected ']'" },
        { "{\"a\"}", WH_E_FORMAT, 4, "unexpected '}'" },
        { "{1:2}", WH_E_FORMAT, 1, "unexpected '1'" },
        { "[1}", WH_E_FORMAT, 2, "unexpected '}'" },
        { "[\x01]", WH_E_FORMAT, 1, "unexpected byte 0x01" },
        { "[-]", WH_E_FORMAT, 2, "unexpected ']'" },
        { "{\"\\n\":1,\"A\":2,\"a\":[],\"a\\u0001\":{}}", 0, -1, NULL },
        { "[-9223372036854775808,9223372036854775807,0,\"\\u001F\x7f/\"]", 0, -1, NULL },
        { "[[],{},\"\",true,false,null]", 0, -1, NULL },
    };
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wh_err e;
        size_t n = strlen(cases[i].in);
        int rc = wh_json_canon_check(cases[i].in, n, "t.json", &e);
        char want[300];
        snprintf(want, sizeof want, "not canonical JSON: %s",
                 cases[i].reason ? cases[i].reason : "");
        int ok = rc == cases[i].code && (rc == 0 || (e.offset == cases[i].offset &&
                 !strcmp(e.reason, want) && !strcmp(e.path, "t.json")));
        ok = ok && (rc == 0) == old_canonical(cases[i].in, n);
        if (ok) {
            passed++;
            continue;
        }
        failed++;
        show("reason case", cases[i].in, n);
        printf("  want %d at %lld '%s'\n  got  %d at %lld '%s'\n", cases[i].code,
               cases[i].offset, cases[i].reason ? want : "", rc, rc ? e.offset : -1,
               rc ? e.reason : "");
    }
    wh_test_report("json_canon.reasons", passed, failed);
    assert_int_equal(failed, 0);
}

/* As a message: the file, the offset in hex, the reason. */
static void test_message(void **state)
{
    (void)state;
    const char *x = "{\"b\":1,\"a\":2}";
    wh_err e;
    char line[WH_ERR_LINE_MAX];
    assert_int_equal(wh_json_canon_check(x, strlen(x), "site/index.json", &e),
                     WH_E_FORMAT);
    wh_err_format(&e, line, sizeof line);
    assert_string_equal(line, "site/index.json: offset 0x7: not canonical JSON: "
                        "keys out of order");
    assert_int_equal(wh_json_canon_check(x, strlen(x), "t.json", NULL), WH_E_FORMAT);
}

/* 64 levels pass, the 65th bracket is refused where the parser refuses it. */
static void test_depth(void **state)
{
    (void)state;
    char deep[200];
    int n = WH_JSON_MAX_DEPTH + 1;
    memset(deep, '[', (size_t)n);
    memset(deep + n, ']', (size_t)n);
    wh_err e;
    assert_int_equal(wh_json_canon_check(deep + 1, 2 * (size_t)n - 2, "t.json", &e), 0);
    assert_int_equal(wh_json_canon_check(deep, 2 * (size_t)n, "t.json", &e), WH_E_LIMIT);
    assert_int_equal(e.offset, WH_JSON_MAX_DEPTH);
    assert_string_equal(e.reason, "JSON nested deeper than 64 levels");
    json_t *v;
    assert_int_equal(wh_json_parse(deep, 2 * (size_t)n, "t.json", &v, &e), WH_E_LIMIT);
    assert_int_equal(e.offset, WH_JSON_MAX_DEPTH);
}

WH_TEST_MAIN("json_canon",
    cmocka_unit_test(test_generated),
    cmocka_unit_test(test_past_the_limit),
    cmocka_unit_test(test_small_exhaustive),
    cmocka_unit_test(test_reasons),
    cmocka_unit_test(test_message),
    cmocka_unit_test(test_depth))

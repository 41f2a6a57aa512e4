/* plugin_test.c - the plugin ABI runner (common/plugin.c): loading,
 * calling under limits, hostile results, the two imports, and the four
 * kinds' result shapes, with exact messages.
 *
 * Test modules are made here by a tiny emitter (mod_build) rather than
 * from .wat files, so the suite needs no wat2wasm at run time.  Every
 * module has the same layout, which fixes the function indices the
 * bodies below use:
 *   imports  func 0 wharf.log (i32 i32 i32), func 1 wharf.config
 *            (i32 i32) -> i32  [+ env.f () when bad_import]
 *   func 2   alloc(len) -> ptr: a bump allocator over global 0 (from 4096)
 *   func 3   "f": nparams i32 -> i64, the body given
 *   memory   pages (exported as "memory" unless no_memory)
 *   data     at 1024: the data given
 */
#include "tests/unit/wh_test.h"

#include "common/plugin.h"

/* --- the emitter ------------------------------------------------------------- */

typedef struct {
    uint8_t b[16384];
    size_t  n;
} buf;

typedef struct {
    const uint8_t *body;     /* f's code, without the locals vector */
    size_t         body_len;
    unsigned       nparams;
    const char    *data;     /* at 1024 */
    size_t         data_len;
    unsigned       pages;
    int            no_memory, no_alloc, bad_import, wild_alloc;
} mod_spec;

static void put(buf *o, const void *p, size_t n)
{
    assert_true(o->n + n <= sizeof o->b);
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void byte(buf *o, uint8_t c)
{
    put(o, &c, 1);
}

static void uleb(buf *o, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        byte(o, c | (v ? 0x80 : 0));
    } while (v);
}

static void sleb(buf *o, int64_t v)
{
    for (;;) {
        uint8_t c = v & 0x7f;
        v >>= 7;   /* arithmetic on the compilers wharf supports */
        if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
            byte(o, c);
            return;
        }
        byte(o, c | 0x80);
    }
}

static void name(buf *o, const char *s)
{
    uleb(o, strlen(s));
    put(o, s, strlen(s));
}

static void section(buf *o, uint8_t id, const buf *s)
{
    byte(o, id);
    uleb(o, s->n);
    put(o, s->b, s->n);
}

static void types(buf *o, const mod_spec *m)
{
    buf s = { .n = 0 };
    static const uint8_t alloc_t[] = { 0x60, 1, 0x7f, 1, 0x7f },
        log_t[] = { 0x60, 3, 0x7f, 0x7f, 0x7f, 0 },
        config_t[] = { 0x60, 2, 0x7f, 0x7f, 1, 0x7f }, void_t[] = { 0x60, 0, 0 };
    byte(&s, 5);
    put(&s, alloc_t, sizeof alloc_t);
    put(&s, log_t, sizeof log_t);
    put(&s, config_t, sizeof config_t);
    byte(&s, 0x60);
    uleb(&s, m->nparams);
    for (unsigned i = 0; i < m->nparams; i++)
        byte(&s, 0x7f);
    byte(&s, 1);
    byte(&s, 0x7e);
    put(&s, void_t, sizeof void_t);
    section(o, 1, &s);
}

static void import(buf *s, const char *mod, const char *nm, uint8_t type)
{
    name(s, mod);
    name(s, nm);
    byte(s, 0);
    byte(s, type);
}

static void imports(buf *o, const mod_spec *m)
{
    buf s = { .n = 0 };
    byte(&s, m->bad_import ? 3 : 2);
    import(&s, "wharf", "log", 1);
    import(&s, "wharf", "config", 2);
    if (m->bad_import)
        import(&s, "env", "f", 4);
    section(o, 2, &s);
}

static void exports(buf *o, const mod_spec *m)
{
    buf s = { .n = 0 };
    unsigned base = m->bad_import ? 3 : 2;
    byte(&s, 1 + !m->no_memory + !m->no_alloc);
    if (!m->no_memory) {
        name(&s, "memory");
        byte(&s, 2), byte(&s, 0);
    }
    if (!m->no_alloc) {
        name(&s, "alloc");
        byte(&s, 0), uleb(&s, base);
    }
    name(&s, "f");
    byte(&s, 0), uleb(&s, base + 1);
    section(o, 7, &s);
}

static void code(buf *o, const mod_spec *m)
{
    /* alloc: old = heap; heap += len; return old (or a wild pointer). */
    static const uint8_t bump[] = { 0, 0x23, 0, 0x23, 0, 0x20, 0, 0x6a, 0x24, 0, 0x0b },
        wild[] = { 0, 0x41, 0x80, 0x80, 0x7c, 0x0b };   /* i32.const -65536 */
    buf s = { .n = 0 };
    const uint8_t *a = m->wild_alloc ? wild : bump;
    size_t alen = m->wild_alloc ? sizeof wild : sizeof bump;
    byte(&s, 2);
    uleb(&s, alen);
    put(&s, a, alen);
    uleb(&s, m->body_len + 1);
    byte(&s, 0);
    put(&s, m->body, m->body_len);
    section(o, 10, &s);
}

static void data(buf *o, const mod_spec *m)
{
    buf s = { .n = 0 };
    static const uint8_t at[] = { 1, 0, 0x41, 0x80, 0x08, 0x0b };   /* 1024 */
    put(&s, at, sizeof at);
    uleb(&s, m->data_len);
    put(&s, m->data, m->data_len);
    section(o, 11, &s);
}

static void mod_build(buf *o, const mod_spec *m)
{
    static const uint8_t head[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 },
        funcs[] = { 2, 0, 3 }, global[] = { 1, 0x7f, 1, 0x41, 0x80, 0x20, 0x0b };
    buf s = { .n = 0 };
    o->n = 0;
    put(o, head, sizeof head);
    types(o, m);
    imports(o, m);
    put(&s, funcs, sizeof funcs);
    section(o, 3, &s);
    s.n = 0;
    byte(&s, 1), byte(&s, 0), uleb(&s, m->pages ? m->pages : 1);
    section(o, 5, &s);
    s.n = 0;
    put(&s, global, sizeof global);
    section(o, 6, &s);
    exports(o, m);
    code(o, m);
    data(o, m);
}

/* Body: return the data at 1024 as the result. */
static size_t body_const(buf *o, size_t len)
{
    o->n = 0;
    byte(o, 0x42);
    sleb(o, (int64_t)(1024ull << 32 | len));
    byte(o, 0x0b);
    return o->n;
}

/* --- harness ------------------------------------------------------------------ */

typedef struct {
    char text[4][128];
    int  level[4];
    int  n;
    char where[64];
} logbook;

static void on_log(void *user, const char *plugin, const char *func, int level,
                   const char *msg, size_t len)
{
    logbook *lb = user;
    snprintf(lb->where, sizeof lb->where, "%s/%s", plugin, func);
    if (lb->n < 4) {
        snprintf(lb->text[lb->n], sizeof lb->text[0], "%.*s", (int)len, msg);
        lb->level[lb->n++] = level;
    }
}

static wh_plugin *load(const mod_spec *m, const char *config,
                       const wh_plugin_limits *lim, logbook *lb)
{
    buf w;
    wh_plugin *p;
    wh_err e;
    mod_build(&w, m);
    int rc = wh_plugin_load("policy", w.b, w.n, config, lim, lb ? on_log : NULL,
                            lb, &p, &e);
    if (rc)
        fail_msg("load: %s", e.reason);
    return p;
}

/* A plugin whose f returns the text s. */
static wh_plugin *returning(const char *s, const wh_plugin_limits *lim)
{
    buf b;
    mod_spec m = { .nparams = 4, .data = s, .data_len = strlen(s) };
    m.body_len = body_const(&b, m.data_len);
    m.body = b.b;
    return load(&m, NULL, lim, NULL);
}

static const wh_plugin_input two[2] = { { "{\"name\":\"a\"}", 12 }, { "DATA", 4 } };

/* Call f with the two inputs; expect code and, when code != 0, reason. */
static json_t *call_expect(wh_plugin *p, size_t cap, int code, const char *reason)
{
    json_t *out;
    wh_err e;
    wh_plugin_stats st;
    int rc = wh_plugin_call(p, "f", two, 2, cap, &out, &st, &e);
    if (rc != code)
        fail_msg("code %d, expected %d: %s", rc, code, rc ? e.reason : "");
    if (code)
        assert_string_equal(e.reason, reason);
    return out;
}

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

static void expect_result(const char *text, const char *want)
{
    wh_plugin *p = returning(text, NULL);
    json_t *out = call_expect(p, 1 << 20, 0, NULL);
    char *s = dump(out);
    assert_string_equal(s, want);
    assert_int_equal(wh_plugin_check_validation(p, "validate_upload", out, NULL), 0);
    free(s);
    json_decref(out);
    wh_plugin_free(p);
}

/* --- results ------------------------------------------------------------------ */

static void test_accept_refuse_warn(void **state)
{
    (void)state;
    expect_result("{\"allowed\": true, \"warnings\": []}",
                  "{\"allowed\":true,\"warnings\":[]}");
    expect_result("{\"allowed\":false,\"message\":\"name too long\",\"warnings\":[]}",
                  "{\"allowed\":false,\"message\":\"name too long\",\"warnings\":[]}");
    expect_result("{\"allowed\":true,\"warnings\":[\"no license\",\"big\"]}",
                  "{\"allowed\":true,\"warnings\":[\"no license\",\"big\"]}");
}

/* f returns its second input: the inputs arrive whole, in order. */
static void test_inputs_echoed(void **state)
{
    (void)state;
    static const uint8_t echo[] = { 0x20, 0, 0xad, 0x42, 32, 0x86, 0x20, 1, 0xad, 0x84, 0x0b };
    mod_spec m = { .nparams = 4, .body = echo, .body_len = sizeof echo, .data = "", };
    wh_plugin *p = load(&m, NULL, NULL, NULL);
    json_t *out = call_expect(p, 100, 0, NULL);
    char *s = dump(out);
    assert_string_equal(s, "{\"name\":\"a\"}");
    free(s);
    json_decref(out);
    /* An empty input is passed as (ptr, 0), and echoed: no result. */
    wh_plugin_input empty = { "", 0 }, in[2] = { empty, empty };
    wh_err e;
    assert_int_equal(wh_plugin_call(p, "f", in, 2, 100, &out, NULL, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "plugin 'policy': f: returned no result");
    wh_plugin_free(p);
}

/* Each call sees a fresh instance: f increments a byte of its data and
 * returns it, and says [1] every time. */
static void test_fresh_instance_per_call(void **state)
{
    (void)state;
    static const uint8_t bump[] = { 0x41, 0x81, 0x08, 0x41, 0x81, 0x08, 0x2d, 0, 0,
                                    0x41, 1, 0x6a, 0x3a, 0, 0,
                                    0x42, 0x83, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x0b };
    mod_spec m = { .nparams = 4, .body = bump, .body_len = sizeof bump,
                   .data = "[0]", .data_len = 3 };
    wh_plugin *p = load(&m, NULL, NULL, NULL);
    for (int i = 0; i < 3; i++) {
        json_t *out = call_expect(p, 100, 0, NULL);
        char *s = dump(out);
        assert_string_equal(s, "[1]");
        free(s);
        json_decref(out);
    }
    wh_plugin_free(p);
}

/* --- traps and limits ----------------------------------------------------------- */

static wh_plugin *body_plugin(const uint8_t *body, size_t n, const wh_plugin_limits *lim)
{
    mod_spec m = { .nparams = 4, .body = body, .body_len = n, .data = "" };
    return load(&m, NULL, lim, NULL);
}

static const uint8_t spin[] = { 0x03, 0x40, 0x0c, 0, 0x0b, 0x42, 0, 0x0b };

static void test_trap(void **state)
{
    (void)state;
    static const uint8_t unreachable[] = { 0x00, 0x0b };
    wh_plugin *p = body_plugin(unreachable, sizeof unreachable, NULL);
    call_expect(p, 100, WH_E_TRAP, "plugin 'policy': f: trap: unreachable");
    wh_plugin_free(p);
}

static void test_fuel(void **state)
{
    (void)state;
    wh_plugin_limits lim = { .fuel = 1000000 };
    wh_plugin *p = body_plugin(spin, sizeof spin, &lim);
    json_t *out;
    wh_err e;
    wh_plugin_stats st;
    assert_int_equal(wh_plugin_call(p, "f", two, 2, 100, &out, &st, &e), WH_E_TRAP);
    assert_string_equal(e.reason, "plugin 'policy': f: out of fuel after 1000000 "
                        "instructions");
    assert_null(out);
    assert_true(st.fuel > 999000 && st.fuel <= 1000000);
    wh_plugin_free(p);
}

static void test_timeout(void **state)
{
    (void)state;
    wh_plugin_limits lim = { .fuel = 1ull << 50, .time_ms = 50 };
    wh_plugin *p = body_plugin(spin, sizeof spin, &lim);
    json_t *out;
    wh_err e;
    wh_plugin_stats st;
    assert_int_equal(wh_plugin_call(p, "f", two, 2, 100, &out, &st, &e), WH_E_TRAP);
    assert_string_equal(e.reason, "plugin 'policy': f: out of time after 50 ms");
    assert_true(st.time_us >= 50000 && st.time_us < 5000000);
    wh_plugin_free(p);
}

/* Initial memory over the limit fails; memory.grow past it returns -1
 * (the module traps on that here); the peak is reported. */
static void test_memory(void **state)
{
    (void)state;
    wh_plugin_limits lim = { .memory_bytes = 1 << 20 };
    static const uint8_t ret[] = { 0x42, 0, 0x0b };
    mod_spec m = { .nparams = 4, .body = ret, .body_len = sizeof ret, .data = "",
                   .pages = 17 };
    wh_plugin *p = load(&m, NULL, &lim, NULL);
    call_expect(p, 100, WH_E_TRAP, "plugin 'policy': f: memory limit exceeded: "
                "1048576 bytes");
    wh_plugin_free(p);
    /* grow by 3 pages; unreachable when memory.grow says -1; return [] */
    static const uint8_t grow[] = { 0x41, 3, 0x40, 0, 0x41, 0x7f, 0x46, 0x04, 0x40, 0x00,
                                    0x0b, 0x42, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
                                    0x0b };
    m = (mod_spec){ .nparams = 4, .body = grow, .body_len = sizeof grow, .data = "[]",
                    .data_len = 2 };
    p = load(&m, NULL, &lim, NULL);
    json_t *out;
    wh_plugin_stats st;
    assert_int_equal(wh_plugin_call(p, "f", two, 2, 100, &out, &st, NULL), 0);
    assert_int_equal(st.peak_memory, 4 * 65536);
    json_decref(out);
    wh_plugin_free(p);
    lim.memory_bytes = 2 * 65536;
    p = load(&m, NULL, &lim, NULL);
    call_expect(p, 100, WH_E_TRAP, "plugin 'policy': f: trap: unreachable");
    wh_plugin_free(p);
}

static void test_stats(void **state)
{
    (void)state;
    wh_plugin *p = returning("[]", NULL);
    json_t *out;
    wh_plugin_stats st;
    assert_int_equal(wh_plugin_call(p, "f", two, 2, 100, &out, &st, NULL), 0);
    /* two allocs of 5 instructions and f's 2, give or take wasmrt's
     * accounting of calls and ends */
    assert_true(st.fuel >= 4 && st.fuel <= 20);
    assert_int_equal(st.peak_memory, 65536);
    json_decref(out);
    wh_plugin_free(p);
}

/* --- hostile results -------------------------------------------------------------- */

static void test_bad_json(void **state)
{
    (void)state;
    wh_plugin *p = returning("{\"allowed\":", NULL);
    call_expect(p, 100, WH_E_FORMAT, "plugin 'policy': f: result is not JSON: line 1 "
                "column 11: unexpected token near end of file");
    wh_plugin_free(p);
    p = returning("{\"a\":1,\"a\":2}", NULL);
    call_expect(p, 100, WH_E_FORMAT, "plugin 'policy': f: result is not JSON: line 1 "
                "column 10: duplicate object key near '\"a\"'");
    wh_plugin_free(p);
    p = returning(" ", NULL);
    call_expect(p, 100, WH_E_FORMAT, "plugin 'policy': f: result is not JSON: line 1 "
                "column 1: unexpected token near end of file");
    wh_plugin_free(p);
    p = returning("\"\xff\"", NULL);
    call_expect(p, 100, WH_E_FORMAT, "plugin 'policy': f: result is not UTF-8: byte 1");
    wh_plugin_free(p);
    p = returning("\"\xed\xa0\x80\"", NULL);   /* a surrogate */
    call_expect(p, 100, WH_E_FORMAT, "plugin 'policy': f: result is not UTF-8: byte 1");
    wh_plugin_free(p);
}

static void test_over_cap(void **state)
{
    (void)state;
    wh_plugin *p = returning("[\"0123456789\"]", NULL);
    call_expect(p, 13, WH_E_LIMIT, "plugin 'policy': f: result of 14 bytes is over "
                "its 13 cap");
    json_decref(call_expect(p, 14, 0, NULL));
    wh_plugin_free(p);
    /* a claimed length far past memory is reported against the cap */
    uint8_t huge[16];
    buf b = { .n = 0 };
    byte(&b, 0x42), sleb(&b, (int64_t)(1024ull << 32 | 9000000)), byte(&b, 0x0b);
    memcpy(huge, b.b, b.n);
    p = body_plugin(huge, b.n, NULL);
    call_expect(p, 1048576, WH_E_LIMIT, "plugin 'policy': f: result of 9000000 bytes "
                "is over its 1048576 cap");
    wh_plugin_free(p);
}

static void test_bad_pointers(void **state)
{
    (void)state;
    static const int64_t results[] = {
        (int64_t)(0xffff0000ull << 32 | 10),   /* far outside */
        (int64_t)(65530ull << 32 | 10),        /* runs off the end */
        (int64_t)(0xffffffffull << 32 | 2),    /* would wrap in 32 bits */
    };
    for (size_t i = 0; i < 3; i++) {
        buf b = { .n = 0 };
        uint8_t body[16];
        byte(&b, 0x42), sleb(&b, results[i]), byte(&b, 0x0b);
        memcpy(body, b.b, b.n);
        wh_plugin *p = body_plugin(body, b.n, NULL);
        call_expect(p, 100, WH_E_FORMAT, "plugin 'policy': f: result points outside memory");
        wh_plugin_free(p);
    }
    /* alloc handing out memory the module does not have */
    static const uint8_t ret[] = { 0x42, 0, 0x0b };
    mod_spec m = { .nparams = 4, .body = ret, .body_len = sizeof ret, .data = "",
                   .wild_alloc = 1 };
    wh_plugin *p = load(&m, NULL, NULL, NULL);
    call_expect(p, 100, WH_E_FORMAT, "plugin 'policy': f: alloc(12) returned "
                "4294901760, outside memory");
    wh_plugin_free(p);
}

/* --- loading and calling wrongly --------------------------------------------------- */

static void expect_load(const mod_spec *m, const char *reason)
{
    buf w;
    wh_plugin *p;
    wh_err e;
    mod_build(&w, m);
    assert_int_equal(wh_plugin_load("policy", w.b, w.n, NULL, NULL, NULL, NULL, &p, &e),
                     WH_E_FORMAT);
    assert_null(p);
    assert_string_equal(e.reason, reason);
}

static void test_load_refused(void **state)
{
    (void)state;
    static const uint8_t ret[] = { 0x42, 0, 0x0b };
    mod_spec m = { .nparams = 4, .body = ret, .body_len = sizeof ret, .data = "",
                   .bad_import = 1 };
    expect_load(&m, "plugin 'policy': imports env.f: only wharf.log and wharf.config "
                "are allowed");
    m.bad_import = 0, m.no_memory = 1;
    expect_load(&m, "plugin 'policy': does not export memory");
    m.no_memory = 0, m.no_alloc = 1;
    expect_load(&m, "plugin 'policy': does not export alloc(i32) -> i32");
    m.no_alloc = 0;
    static const uint8_t wrong[] = { 0x41, 0, 0x0b };   /* i32 where i64 is due */
    m.body = wrong;
    expect_load(&m, "plugin 'policy': module: offset 0x83: type mismatch");
    wh_plugin *p;
    wh_err e;
    assert_int_equal(wh_plugin_load("policy", "\0asm", 4, NULL, NULL, NULL, NULL, &p, &e),
                     WH_E_FORMAT);
    assert_string_equal(e.reason, "plugin 'policy': module: offset 0x4: unexpected end");
}

static void test_call_refused(void **state)
{
    (void)state;
    wh_plugin *p = returning("[]", NULL);
    json_t *out;
    wh_err e;
    assert_true(wh_plugin_has(p, "f"));
    assert_false(wh_plugin_has(p, "extract"));
    assert_false(wh_plugin_has(p, "memory"));
    assert_int_equal(wh_plugin_call(p, "extract", two, 2, 100, &out, NULL, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "plugin 'policy': extract: is not exported");
    assert_int_equal(wh_plugin_call(p, "f", two, 1, 100, &out, NULL, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "plugin 'policy': f: is not a function of 2 i32 "
                        "parameters returning i64");
    assert_int_equal(wh_plugin_call(p, "alloc", two, 0, 100, &out, NULL, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "plugin 'policy': alloc: is not a function of 0 i32 "
                        "parameters returning i64");
    wh_plugin_free(p);
}

/* --- the imports --------------------------------------------------------------------- */

/* f: config(8192, cap) and return what it wrote. */
static void test_config(void **state)
{
    (void)state;
    static const uint8_t body[] = { 0x41, 0x80, 0xc0, 0, 0x41, 0x80, 0x20, 0x10, 1, 0xad,
                                    0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x08, 0x84,
                                    0x0b };
    mod_spec m = { .nparams = 4, .body = body, .body_len = sizeof body, .data = "" };
    wh_plugin *p = load(&m, "{\"max_size\":100,\"prefix\":\"acme-\"}", NULL, NULL);
    json_t *out = call_expect(p, 100, 0, NULL);
    char *s = dump(out);
    assert_string_equal(s, "{\"max_size\":100,\"prefix\":\"acme-\"}");
    free(s);
    json_decref(out);
    wh_plugin_free(p);
    p = load(&m, NULL, NULL, NULL);
    out = call_expect(p, 100, 0, NULL);
    s = dump(out);
    assert_string_equal(s, "{}");
    free(s);
    json_decref(out);
    wh_plugin_free(p);
}

static void test_log(void **state)
{
    (void)state;
    /* log(3, 1024, 12); log(0, 1024, 5); return [] at 1036 */
    static const uint8_t body[] = { 0x41, 3, 0x41, 0x80, 0x08, 0x41, 12, 0x10, 0,
                                    0x41, 0, 0x41, 0x80, 0x08, 0x41, 5, 0x10, 0,
                                    0x42, 0x82, 0x80, 0x80, 0x80, 0xc0, 0x81, 0x01, 0x0b };
    mod_spec m = { .nparams = 4, .body = body, .body_len = sizeof body,
                   .data = "hello, world[]", .data_len = 14 };
    logbook lb = { .n = 0 };
    wh_plugin *p = load(&m, NULL, NULL, &lb);
    json_decref(call_expect(p, 100, 0, NULL));
    assert_int_equal(lb.n, 2);
    assert_string_equal(lb.text[0], "hello, world");
    assert_int_equal(lb.level[0], 3);
    assert_string_equal(lb.text[1], "hello");
    assert_int_equal(lb.level[1], 0);
    assert_string_equal(lb.where, "policy/f");
    wh_plugin_free(p);
    p = load(&m, NULL, NULL, NULL);   /* no callback: dropped */
    json_decref(call_expect(p, 100, 0, NULL));
    wh_plugin_free(p);
}

static void test_import_bad_pointers(void **state)
{
    (void)state;
    static const uint8_t logb[] = { 0x41, 3, 0x41, 0xf0, 0xff, 0x03, 0x41, 32, 0x10, 0,
                                    0x42, 0, 0x0b },
        cfgb[] = { 0x41, 0xf0, 0xff, 0x03, 0x41, 32, 0x10, 1, 0x1a, 0x42, 0, 0x0b };
    logbook lb = { .n = 0 };
    mod_spec m = { .nparams = 4, .body = logb, .body_len = sizeof logb, .data = "" };
    wh_plugin *p = load(&m, NULL, NULL, &lb);
    call_expect(p, 100, WH_E_TRAP, "plugin 'policy': f: trap: wharf.log: message "
                "outside memory");
    assert_int_equal(lb.n, 0);
    wh_plugin_free(p);
    m.body = cfgb, m.body_len = sizeof cfgb;
    p = load(&m, NULL, NULL, NULL);
    call_expect(p, 100, WH_E_TRAP, "plugin 'policy': f: trap: wharf.config: buffer "
                "outside memory");
    wh_plugin_free(p);
}

/* --- result shapes ------------------------------------------------------------------- */

typedef int (*shape_fn)(const wh_plugin *p, const json_t *r, wh_err *err);

static int v_shape(const wh_plugin *p, const json_t *r, wh_err *err)
{
    return wh_plugin_check_validation(p, "validate_upload", r, err);
}

static int x_shape(const wh_plugin *p, const json_t *r, wh_err *err)
{
    return wh_plugin_check_pairs(p, "extract", r, err);
}

static int pp_shape(const wh_plugin *p, const json_t *r, wh_err *err)
{
    uint8_t *d;
    size_t n;
    int rc = wh_plugin_check_processed(p, r, &d, &n, err);
    if (!rc) {
        assert_int_equal(n, 5);
        assert_memory_equal(d, "hello", 5);
    } else {
        assert_null(d);
    }
    free(d);
    return rc;
}

static void shape(shape_fn fn, const char *json, const char *reason)
{
    wh_plugin *p = returning("[]", NULL);
    json_t *r = json_loads(json, JSON_DECODE_ANY, NULL);
    wh_err e;
    assert_non_null(r);
    int rc = fn(p, r, &e);
    if (reason) {
        assert_int_equal(rc, WH_E_FORMAT);
        assert_string_equal(e.reason, reason);
    } else if (rc) {
        fail_msg("%s: %s", json, e.reason);
    }
    json_decref(r);
    wh_plugin_free(p);
}

#define VU "plugin 'policy': validate_upload: result: "
#define EX "plugin 'policy': extract: result: "
#define PM "plugin 'policy': parse_metadata: result: "
#define PR "plugin 'policy': process: result: "

static void test_shape_validation(void **state)
{
    (void)state;
    shape(v_shape, "{\"allowed\":false,\"message\":\"no\",\"warnings\":[\"w\"]}", NULL);
    shape(v_shape, "[]", VU "not an object");
    shape(v_shape, "{\"warnings\":[]}", VU "\"allowed\" is missing");
    shape(v_shape, "{\"allowed\":1,\"warnings\":[]}", VU "\"allowed\" is not true or false");
    shape(v_shape, "{\"allowed\":true}", VU "\"warnings\" is missing");
    shape(v_shape, "{\"allowed\":true,\"warnings\":\"w\"}", VU "\"warnings\" is not an array");
    shape(v_shape, "{\"allowed\":true,\"warnings\":[\"a\",2]}",
          VU "\"warnings\"[1] is not a string");
    shape(v_shape, "{\"allowed\":true,\"message\":null,\"warnings\":[]}",
          VU "\"message\" is not a string");
    shape(v_shape, "{\"allow\":true,\"warnings\":[]}", VU "unknown key \"allow\"");
    shape(v_shape, "{\"allowed\":true,\"warnings\":[],\"\\n\":1}",
          VU "unknown key \"\\x0a\"");
}

static void test_shape_extract(void **state)
{
    (void)state;
    shape(x_shape, "{}", NULL);
    shape(x_shape, "{\"license\":\"MIT\",\"sections\":\"3\"}", NULL);
    shape(x_shape, "\"MIT\"", EX "not an object");
    shape(x_shape, "{\"license\":\"MIT\",\"size\":3}", EX "\"size\" is not a string");
}

static void test_shape_metadata(void **state)
{
    (void)state;
    shape(wh_plugin_check_metadata, "{\"name\":\"zlib\",\"version\":\"1.3.0\"}", NULL);
    shape(wh_plugin_check_metadata, "{\"name\":\"zlib\",\"version\":\"1.3.0\","
          "\"description\":\"d\",\"authors\":[\"a\"],\"license\":\"Zlib\","
          "\"keywords\":[],\"dependencies\":{\"libc\":\">=1\"}}", NULL);
    shape(wh_plugin_check_metadata, "{\"version\":\"1\"}", PM "\"name\" is missing");
    shape(wh_plugin_check_metadata, "{\"name\":\"z\"}", PM "\"version\" is missing");
    shape(wh_plugin_check_metadata, "{\"name\":\"z\",\"version\":1}",
          PM "\"version\" is not a string");
    shape(wh_plugin_check_metadata, "{\"name\":\"z\",\"version\":\"1\",\"authors\":\"a\"}",
          PM "\"authors\" is not an array");
    shape(wh_plugin_check_metadata, "{\"name\":\"z\",\"version\":\"1\",\"keywords\":[1]}",
          PM "\"keywords\"[0] is not a string");
    shape(wh_plugin_check_metadata, "{\"name\":\"z\",\"version\":\"1\","
          "\"dependencies\":[]}", PM "\"dependencies\": not an object");
    shape(wh_plugin_check_metadata, "{\"name\":\"z\",\"version\":\"1\","
          "\"dependencies\":{\"libc\":1}}", PM "\"dependencies\": \"libc\" is not a string");
    shape(wh_plugin_check_metadata, "{\"name\":\"z\",\"version\":\"1\",\"homepage\":\"h\"}",
          PM "unknown key \"homepage\"");
}

static void test_shape_processed(void **state)
{
    (void)state;
    shape(pp_shape, "{\"data\":\"aGVsbG8=\",\"modified\":true,\"metadata\":{}}", NULL);
    shape(pp_shape, "{\"data\":\"aGVsbG8=\",\"modified\":false,"
          "\"metadata\":{\"stamp\":\"x\"}}", NULL);
    shape(pp_shape, "{\"modified\":true,\"metadata\":{}}", PR "\"data\" is missing");
    shape(pp_shape, "{\"data\":\"\",\"metadata\":{}}", PR "\"modified\" is missing");
    shape(pp_shape, "{\"data\":\"\",\"modified\":true}", PR "\"metadata\" is missing");
    shape(pp_shape, "{\"data\":\"\",\"modified\":true,\"metadata\":{\"a\":[]}}",
          PR "\"metadata\": \"a\" is not a string");
    shape(pp_shape, "{\"data\":\"aGVsbG8\",\"modified\":true,\"metadata\":{}}",
          PR "\"data\": base64 length 7 is not a multiple of 4");
    shape(pp_shape, "{\"data\":\"aGVs!G8=\",\"modified\":true,\"metadata\":{}}",
          PR "\"data\": invalid base64 character '!'");
}

WH_TEST_MAIN("plugin",
    cmocka_unit_test(test_accept_refuse_warn),
    cmocka_unit_test(test_inputs_echoed),
    cmocka_unit_test(test_fresh_instance_per_call),
    cmocka_unit_test(test_trap),
    cmocka_unit_test(test_fuel),
    cmocka_unit_test(test_timeout),
    cmocka_unit_test(test_memory),
    cmocka_unit_test(test_stats),
    cmocka_unit_test(test_bad_json),
    cmocka_unit_test(test_over_cap),
    cmocka_unit_test(test_bad_pointers),
    cmocka_unit_test(test_load_refused),
    cmocka_unit_test(test_call_refused),
    cmocka_unit_test(test_config),
    cmocka_unit_test(test_log),
    cmocka_unit_test(test_import_bad_pointers),
    cmocka_unit_test(test_shape_validation),
    cmocka_unit_test(test_shape_extract),
    cmocka_unit_test(test_shape_metadata),
    cmocka_unit_test(test_shape_processed))

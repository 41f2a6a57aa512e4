/* fuzz.c - fuzz target "ferrite": random sequences of Ferrite host calls
 * (installer/ferrite_host.c) from a guest with random memory, over an
 * in-memory store (installer/kvstore.c) under random grants
 * (installer/grants.c).
 *
 * The guest is a module this file writes (guest_module): it imports the
 * nine "ferrite" functions with their types, has one memory of 0 or 1
 * page, and exports each import again as "c0".."c8", a function that
 * passes its parameters on.  So every call goes through wasmrt's real
 * host-call path (wr_caller_memory and all), as in `wharf run`.
 *
 * Input:
 *   GRANTS '\n'       a --grants line ("READ user:* WRITE *"); a line
 *                     that does not parse grants nothing
 *   FLAGS             bit 0: one page of memory (else none); bit 1: the
 *                     image goes at the end of the page (else at 0)
 *   LEN, IMAGE[LEN]   bytes placed in the memory
 *   CALLS             each a byte (which function, mod 9) and two bytes
 *                     per parameter: 0..65527 as they are, the last eight
 *                     values -1, INT32_MIN, INT32_MAX, 65536, ... (edges)
 *
 * Checked after each call, against what the store and the grants say
 * through their own APIs before it:
 *   - the host wrote nothing but the get/hget buffer, and nothing at all
 *     on a bad pointer or a denial; a bad pointer or a denial returns
 *     the error code, and only a denial (of a readable key) is counted;
 *   - results are in their documented ranges; get/hget return the value
 *     cut to the buffer; exists answers as the store does; set/hset
 *     store exactly the bytes given; del removes; hset says whether the
 *     field was new; incr returns one more than the decimal it replaced;
 *   - the messages (log lines, denials) are printable ASCII lines, and
 *     exactly min(denials, INS_FERRITE_SHOWN_DENIALS) denials are shown.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/ferrite/, and the
 * hand-written seeds in tests/fuzz/ferrite/seeds/).
 */
#include <stdbool.h>
#include <string.h>

#include "installer/ferrite_host.h"
#include "tests/fuzz/common/fuzz.h"

#define PROG      "fuzz"
#define PAGE      65536
#define MAX_CALLS 64

/* --- the guest ------------------------------------------------------------ */

enum { F_LOG, F_TIME, F_GET, F_SET, F_DEL, F_EXISTS, F_INCR, F_HGET, F_HSET, NFUNCS };

static const struct fn {
    const char *name;
    uint8_t     type, nparams, result;   /* result: 0 none, else a wasm type */
} fns[NFUNCS] = {
    { "log", 0, 3, 0 },    { "time", 1, 0, 0x7e }, { "get", 2, 4, 0x7f },
    { "set", 2, 4, 0x7f }, { "del", 3, 2, 0x7f },  { "exists", 3, 2, 0x7f },
    { "incr", 4, 2, 0x7e }, { "hget", 5, 6, 0x7f }, { "hset", 5, 6, 0x7f },
};

/* The function types, by index. */
static const uint8_t types[] = {
    6,                                          /* count */
    0x60, 3, 0x7f, 0x7f, 0x7f, 0,               /* (i32 i32 i32) */
    0x60, 0, 1, 0x7e,                           /* () -> i64 */
    0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f,   /* (i32 x4) -> i32 */
    0x60, 2, 0x7f, 0x7f, 1, 0x7f,               /* (i32 i32) -> i32 */
    0x60, 2, 0x7f, 0x7f, 1, 0x7e,               /* (i32 i32) -> i64 */
    0x60, 6, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f,
};

typedef struct emit {
    uint8_t b[1024];
    size_t  n;
} emit;

static void put(emit *e, const void *p, size_t n)
{
    FUZZ_ASSERT(e->n + n <= sizeof e->b);
    memcpy(e->b + e->n, p, n);
    e->n += n;
}

static void byte(emit *e, uint8_t v) { put(e, &v, 1); }

static void uleb(emit *e, size_t v)
{
    do {
        byte(e, (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)));
        v >>= 7;
    } while (v);
}

static void name(emit *e, const char *s)
{
    uleb(e, strlen(s));
    put(e, s, strlen(s));
}

static void section(emit *e, uint8_t id, const emit *body)
{
    byte(e, id);
    uleb(e, body->n);
    put(e, body->b, body->n);
}

/* Section 2: the nine imports; 3: nine functions of the same types. */
static void imports_and_funcs(emit *m)
{
    emit imp = { .n = 0 }, fun = { .n = 0 };
    uleb(&imp, NFUNCS);
    uleb(&fun, NFUNCS);
    for (int i = 0; i < NFUNCS; i++) {
        name(&imp, INS_FERRITE_MODULE);
        name(&imp, fns[i].name);
        byte(&imp, 0);
        byte(&imp, fns[i].type);
        byte(&fun, fns[i].type);
    }
    section(m, 2, &imp);
    section(m, 3, &fun);
}

/* Section 7: "memory" and "c0".."c8"; 10: each passes its parameters on
 * to its import. */
static void exports_and_code(emit *m)
{
    emit exp = { .n = 0 }, code = { .n = 0 };
    uleb(&exp, NFUNCS + 1);
    name(&exp, "memory");
    byte(&exp, 2), byte(&exp, 0);
    uleb(&code, NFUNCS);
    for (int i = 0; i < NFUNCS; i++) {
        char c[3] = { 'c', (char)('0' + i), 0 };
        name(&exp, c);
        byte(&exp, 0), uleb(&exp, (size_t)(NFUNCS + i));
        uleb(&code, 2u * fns[i].nparams + 4);
        byte(&code, 0);                                 /* no locals */
        for (int k = 0; k < fns[i].nparams; k++)
            byte(&code, 0x20), byte(&code, (uint8_t)k); /* local.get k */
        byte(&code, 0x10), byte(&code, (uint8_t)i);     /* call i */
        byte(&code, 0x0b);                              /* end */
    }
    section(m, 7, &exp);
    section(m, 10, &code);
}

static void guest_module(emit *m, int pages)
{
    static const uint8_t head[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
    emit ty = { .n = 0 }, mem = { .n = 0 };
    put(m, head, sizeof head);
    put(&ty, types, sizeof types);
    section(m, 1, &ty);
    imports_and_funcs(m);
    byte(&mem, 1), byte(&mem, 1);                      /* one memory, min and max */
    byte(&mem, (uint8_t)pages), byte(&mem, (uint8_t)pages);
    section(m, 5, &mem);
    exports_and_code(m);
}

/* --- one run ------------------------------------------------------------------ */

typedef struct run {
    ins_kv      *kv;
    ins_grants   grants;
    ins_ferrite  f;
    wr_store    *store;
    wr_imports  *imp;
    wr_module   *mod;
    wr_instance *inst;
    uint8_t     *mem, *before;   /* the guest's memory; a copy before a call */
    uint64_t     size;
    char        *out;            /* what the host printed */
    size_t       outlen;
} run;

/* A (pointer, length) pair the host must accept: all inside memory. */
static bool in_memory(const run *r, int32_t p, int32_t n)
{
    return r->mem && p >= 0 && n >= 0 && (uint64_t)p + (uint64_t)n <= r->size;
}

static int32_t param(const uint8_t **in, const uint8_t *end)
{
    static const int32_t edge[8] = { -1, INT32_MIN, INT32_MAX, PAGE, PAGE - 1,
                                     0x7fff0000, -PAGE, PAGE + 1 };
    uint16_t v = 0;
    if (end - *in >= 2)
        v = (uint16_t)((*in)[0] | (*in)[1] << 8), *in += 2;
    return v >= 0xfff8 ? edge[v - 0xfff8] : v;
}

/* --- one call and what must follow ---------------------------------------------- */

typedef struct call {
    int         fn;
    int32_t     a[6];
    int64_t     rc;           /* the result, widened */
    const char *key, *fld;    /* in r->before (the memory before the call) */
    size_t      klen, flen;
    int         pre;          /* the store's answer before: get/hget/exists */
    char       *val;          /* a copy of the value before, if pre == 0 */
    size_t      vlen;
} call;

static const int32_t error_rc[NFUNCS] = { 0, 0, -2, -1, -1, -1, 0, -2, -1 };

static bool is_read(int fn) { return fn == F_GET || fn == F_EXISTS || fn == F_HGET; }

/* The (pointer, length) pairs of fn: which parameters hold them. */
static int pairs(int fn, int first[3])
{
    switch (fn) {
    case F_LOG:  first[0] = 1; return 1;
    case F_TIME: return 0;
    case F_GET: case F_SET: case F_HGET: case F_HSET:
        first[0] = 0, first[1] = 2, first[2] = 4;
        return fn == F_GET || fn == F_SET ? 2 : 3;
    default:     first[0] = 0; return 1;
    }
}

static bool pointers_ok(const run *r, const call *c)
{
    int first[3], n = pairs(c->fn, first);
    for (int i = 0; i < n; i++)
        if (!in_memory(r, c->a[first[i]], c->a[first[i] + 1]))
            return false;
    return true;
}

static char *copy(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    FUZZ_ASSERT(p);
    return memcpy(p, s, n);
}

/* Ask the store about the key (and field) before the call. */
static void look_before(run *r, call *c)
{
    const char *v = NULL;
    size_t n = 0;
    c->key = (const char *)r->before + c->a[0], c->klen = (size_t)c->a[1];
    c->fld = (const char *)r->before + c->a[2], c->flen = (size_t)c->a[3];
    if (c->fn == F_HGET || c->fn == F_HSET)
        c->pre = ins_kv_hget(r->kv, c->key, c->klen, c->fld, c->flen, &v, &n);
    else if (c->fn == F_EXISTS || c->fn == F_DEL)
        c->pre = ins_kv_exists(r->kv, c->key, c->klen);
    else
        c->pre = ins_kv_get(r->kv, c->key, c->klen, &v, &n);
    c->val = c->pre == 0 && v ? copy(v, n) : NULL;
    c->vlen = n;
}

/* Memory is as before the call, but for [from, from + n). */
static void same_memory_but(const run *r, size_t from, size_t n)
{
    if (r->size == 0)
        return;
    FUZZ_ASSERT(memcmp(r->mem, r->before, from) == 0);
    FUZZ_ASSERT(memcmp(r->mem + from + n, r->before + from + n,
                       r->size - from - n) == 0);
}

/* The store holds exactly these bytes under key (field). */
static void holds(run *r, const call *c, const char *want, size_t wlen)
{
    const char *v;
    size_t n;
    int rc = c->fn == F_HSET
             ? ins_kv_hget(r->kv, c->key, c->klen, c->fld, c->flen, &v, &n)
             : ins_kv_get(r->kv, c->key, c->klen, &v, &n);
    FUZZ_ASSERT(rc == 0 && n == wlen && memcmp(v, want, n) == 0);
}

/* get and hget: the value cut to the buffer, written there only. */
static void check_read(run *r, const call *c, int32_t bp, int32_t cap)
{
    size_t want = c->vlen < (size_t)cap ? c->vlen : (size_t)cap;
    FUZZ_ASSERT(c->pre == 0 ? c->rc == (int64_t)want : c->rc == c->pre);
    size_t wrote = c->rc > 0 ? (size_t)c->rc : 0;
    FUZZ_ASSERT(wrote == 0 || memcmp(r->mem + bp, c->val, wrote) == 0);
    same_memory_but(r, (size_t)bp, wrote);
}

static void check_incr(run *r, const call *c)
{
    char buf[24];
    if (c->rc == INT64_MIN)
        return;
    FUZZ_ASSERT(c->pre == -1 ? c->rc == 1 : c->pre == 0);
    if (c->pre == 0) {
        int n = snprintf(buf, sizeof buf, "%lld", (long long)(c->rc - 1));
        FUZZ_ASSERT((size_t)n == c->vlen && memcmp(buf, c->val, c->vlen) == 0);
    }
    int n = snprintf(buf, sizeof buf, "%lld", (long long)c->rc);
    holds(r, c, buf, (size_t)n);
}

/* A call that got past the pointers and the grant. */
static void check_granted(run *r, const call *c)
{
    const char *val = (const char *)r->before + c->a[c->fn == F_SET ? 2 : 4];
    size_t vlen = (size_t)c->a[c->fn == F_SET ? 3 : 5];
    if (c->fn == F_GET || c->fn == F_HGET) {
        check_read(r, c, c->a[c->fn == F_GET ? 2 : 4], c->a[c->fn == F_GET ? 3 : 5]);
        return;
    }
    same_memory_but(r, 0, 0);
    switch (c->fn) {
    case F_EXISTS:
        FUZZ_ASSERT(c->rc == c->pre);
        break;
    case F_DEL:
        FUZZ_ASSERT(c->rc == c->pre);
        FUZZ_ASSERT(ins_kv_exists(r->kv, c->key, c->klen) == (c->pre < 0 ? -1 : 0));
        break;
    case F_SET:
        FUZZ_ASSERT(c->rc == 0 || c->rc == -1);
        if (c->rc == 0)
            holds(r, c, val, vlen);
        break;
    case F_HSET:
        FUZZ_ASSERT(c->rc == -1 || (c->pre != -2 && c->rc == (c->pre == -1)));
        if (c->rc >= 0)
            holds(r, c, val, vlen);
        break;
    case F_INCR:
        check_incr(r, c);
        break;
    }
}

static void check_call(run *r, call *c, unsigned long denials)
{
    bool ok = pointers_ok(r, c);
    if (c->fn == F_TIME) {
        FUZZ_ASSERT(c->rc > 0);
    } else if (c->fn == F_LOG) {
        same_memory_but(r, 0, 0);
    } else if (!ok || !ins_grants_allow(&r->grants, is_read(c->fn) ? INS_READ
                                                                   : INS_WRITE,
                                        c->key, c->klen)) {
        FUZZ_ASSERT(c->rc == (c->fn == F_INCR ? INT64_MIN : error_rc[c->fn]));
        FUZZ_ASSERT(r->f.denials == (ok ? denials + 1 : denials));
        same_memory_but(r, 0, 0);
    } else {
        FUZZ_ASSERT(r->f.denials == denials);
        check_granted(r, c);
    }
}

/* Make the call c->fn with its parameters, check what followed. */
static void do_call(run *r, call *c)
{
    static const wr_type i32 = WR_I32;
    wr_value args[6], res = { .type = WR_I32 };
    char name[3] = { 'c', (char)('0' + c->fn), 0 };
    unsigned long denials = r->f.denials;
    wr_error we;
    for (int i = 0; i < fns[c->fn].nparams; i++)
        args[i] = (wr_value){ .type = i32, .of.i32 = c->a[i] };
    if (r->size)
        memcpy(r->before, r->mem, r->size);
    c->val = NULL;
    if (c->fn != F_LOG && c->fn != F_TIME && pointers_ok(r, c))
        look_before(r, c);
    FUZZ_ASSERT(wr_call(r->inst, name, args, fns[c->fn].nparams, &res,
                        fns[c->fn].result ? 1 : 0, &we) == 0);
    c->rc = fns[c->fn].result == 0x7e ? res.of.i64 : res.of.i32;
    check_call(r, c, denials);
    free(c->val);
}

/* Every line printed is printable ASCII: a log line or a denial, the
 * first INS_FERRITE_SHOWN_DENIALS of them. */
static void check_output(const run *r)
{
    const char *p = r->out, *end = r->out + r->outlen;
    unsigned long shown = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        FUZZ_ASSERT(nl);
        for (const char *q = p; q < nl; q++)
            FUZZ_ASSERT(*q >= 0x20 && *q < 0x7f);
        if (!strncmp(p, PROG ": denied: ", strlen(PROG ": denied: ")))
            shown++;
        else
            FUZZ_ASSERT(*p == '[');
        p = nl + 1;
    }
    unsigned long want = r->f.denials < INS_FERRITE_SHOWN_DENIALS
                         ? r->f.denials : INS_FERRITE_SHOWN_DENIALS;
    FUZZ_ASSERT(shown == want);
}

/* The grants line: up to the first '\n' (none: no grants). */
static void read_grants(run *r, const uint8_t **in, const uint8_t *end)
{
    const uint8_t *nl = memchr(*in, '\n', (size_t)(end - *in));
    ins_run_limits lim = { 0, 0, 0 };
    if (!nl)
        return;
    char *line = copy((const char *)*in, (size_t)(nl - *in) + 1);
    line[nl - *in] = '\0';
    if (ins_grants_parse_line(&r->grants, &lim, line, NULL)) {
        ins_grants_free(&r->grants);
        memset(&r->grants, 0, sizeof r->grants);
    }
    free(line);
    *in = nl + 1;
}

/* Link, instantiate, place the image. */
static void start(run *r, int flags, const uint8_t *img, size_t n)
{
    emit m = { .n = 0 };
    wr_limits lim = { .fuel = 1000000, .max_memory = PAGE };
    guest_module(&m, flags & 1);
    r->f = (ins_ferrite){ .kv = r->kv, .grants = &r->grants, .prog = PROG };
    FUZZ_ASSERT((r->f.out = open_memstream(&r->out, &r->outlen)));
    FUZZ_ASSERT((r->mod = wr_module_load(m.b, m.n, NULL)));
    FUZZ_ASSERT((r->store = wr_store_new()) && (r->imp = wr_imports_new()));
    FUZZ_ASSERT(ins_ferrite_link(&r->f, r->store, r->imp, r->mod, NULL) == 0);
    FUZZ_ASSERT((r->inst = wr_instantiate(r->store, r->mod, r->imp, &lim, NULL)));
    r->mem = wr_instance_memory(r->inst, &r->size);
    FUZZ_ASSERT(r->size == (flags & 1 ? PAGE : 0u));
    FUZZ_ASSERT((r->before = malloc(PAGE)));
    if (r->size && n)
        memcpy(r->mem + (flags & 2 ? r->size - n : 0), img, n);
}

static void finish(run *r)
{
    if (r->f.out)
        fclose(r->f.out);
    if (r->out)
        check_output(r);
    free(r->out);
    free(r->before);
    wr_store_free(r->store);
    wr_imports_free(r->imp);
    wr_module_free(r->mod);
    ins_grants_free(&r->grants);
    FUZZ_ASSERT(ins_kv_save(r->kv, NULL) == 0);  /* in memory: nothing */
    ins_kv_free(r->kv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *in = data, *end = data + size;
    run r;
    memset(&r, 0, sizeof r);
    FUZZ_ASSERT(ins_kv_open(&r.kv, NULL, NULL) == 0);
    read_grants(&r, &in, end);
    int flags = in < end ? *in++ : 0;
    size_t n = in < end ? *in++ : 0;
    n = n < (size_t)(end - in) ? n : (size_t)(end - in);
    start(&r, flags, in, n);
    in += n;
    for (int k = 0; k < MAX_CALLS && in < end; k++) {
        call c = { .fn = *in++ % NFUNCS };
        for (int i = 0; i < fns[c.fn].nparams; i++)
            c.a[i] = param(&in, end);
        do_call(&r, &c);
    }
    finish(&r);
    return 0;
}

/* ferrite_host.c - Ferrite's host API for `wharf run`: the functions a
 * Ferrite UDF imports from module "ferrite", with Ferrite's signatures
 * and return codes, over the local store and under the grants.
 *
 *   log(level, ptr, len)                     [trace|debug|info|warn|error]
 *                                            MESSAGE on stderr (level 0..3,
 *                                            4 and above error)
 *   time() -> i64                            ms since the Unix epoch
 *   get(kp, kl, bp, bcap) -> i32             READ   bytes written, -1 none,
 *                                                   -2 error or denied
 *   set(kp, kl, vp, vl) -> i32               WRITE  0, -1 error or denied
 *   del(kp, kl) -> i32                       WRITE  1 removed, 0 none, -1
 *   exists(kp, kl) -> i32                    READ   1, 0, -1
 *   incr(kp, kl) -> i64                      WRITE  the new value, i64 min
 *                                                   on error or denied
 *   hget(kp, kl, fp, fl, bp, bcap) -> i32    READ   as get
 *   hset(kp, kl, fp, fl, vp, vl) -> i32      WRITE  1 new field, 0
 *                                                   replaced, -1
 *
 * All parameters are i32 and the module's memory is its memory 0 (the
 * one Ferrite reaches as the export "memory").
 *
 * POINTERS.  Every (pointer, length) pair is checked before anything is
 * read or written: a negative pointer or length, or a range that ends
 * past the memory's current size, makes the call return its error code,
 * and the host touches nothing.  Unlike Ferrite, which checks only the
 * bytes it writes, the whole buffer [bp, bp+bcap) must lie in memory: a
 * buffer the guest claims but does not have is a bug to report at once,
 * not when a value happens to be long.  A value longer than bcap is cut
 * to bcap bytes and the count written returned, as Ferrite does.  The
 * checks use 64-bit sums, so ptr + len cannot wrap.
 *
 * GRANTS.  get, exists and hget need READ of the key; set, del, incr and
 * hset need WRITE.  The pointers are checked first (a denial names the
 * key, which must be readable), then the grant.  A denial returns the
 * error code to the guest, which may go on, and says on stderr
 *
 *     wharf run: denied: WRITE user:1 (granted: audit:*)
 *
 * for the first INS_FERRITE_SHOWN_DENIALS of them; every one is counted
 * in f->denials, which cmd_run.c turns into the exit status.  Other
 * errors (a bad pointer, a hash where a string was expected, a full
 * store) are silent, as in Ferrite: the guest sees its error code.
 *
 * Tests: tests/cli/t2020-wharf-run.sh, t2021-wharf-run-grants.sh;
 * tests/fuzz/ferrite/ (random call sequences over random memory).
 */
#include "installer/ferrite_host.h"

#include <string.h>
#include <time.h>

#include "common/err.h"

/* --- checks ------------------------------------------------------------------ */

/* The guest's bytes [ptr, ptr + len), or NULL when they are not all in
 * its memory. */
static char *span(wr_caller *c, int32_t ptr, int32_t len)
{
    uint64_t size;
    uint8_t *mem = wr_caller_memory(c, &size);
    if (!mem || ptr < 0 || len < 0 || (uint64_t)ptr + (uint64_t)len > size)
        return NULL;
    return (char *)mem + ptr;
}

/* 1 when the grant allows kind on key; otherwise count and say it. */
static int allowed(ins_ferrite *f, int kind, const char *key, size_t klen)
{
    char q[4 * 256 + 8], g[1024];
    if (ins_grants_allow(f->grants, kind, key, klen))
        return 1;
    if (f->denials++ < INS_FERRITE_SHOWN_DENIALS)
        fprintf(f->out, "%s: denied: %s %s (granted: %s)\n", f->prog,
                kind == INS_READ ? "READ" : "WRITE", wh_quote(q, sizeof q, key, klen),
                ins_grants_describe(f->grants, kind, g, sizeof g));
    return 0;
}

/* A value into the guest's buffer, cut to cap: the count written. */
static int32_t give(char *buf, int32_t cap, const char *val, size_t len)
{
    size_t n = len < (size_t)cap ? len : (size_t)cap;
    memcpy(buf, val, n);
    return (int32_t)n;
}

#define I32(v) ((wr_value){ .type = WR_I32, .of.i32 = (v) })
#define I64(v) ((wr_value){ .type = WR_I64, .of.i64 = (v) })

/* --- the functions -------------------------------------------------------------- */

static int h_log(wr_caller *c, void *user, const wr_value *a, wr_value *r)
{
    static const char *const level[] = { "trace", "debug", "info", "warn", "error" };
    ins_ferrite *f = user;
    char *msg = span(c, a[1].of.i32, a[2].of.i32);
    int32_t l = a[0].of.i32;
    if (msg) {
        char q[4 * 1024 + 8];
        fprintf(f->out, "[%s] %s\n", level[l >= 0 && l < 4 ? l : 4],
                wh_quote(q, sizeof q, msg, (size_t)a[2].of.i32));
    }
    (void)r;
    return 0;
}

static int h_time(wr_caller *c, void *user, const wr_value *a, wr_value *r)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r[0] = I64((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    (void)c, (void)user, (void)a;
    return 0;
}

static int h_get(wr_caller *c, void *user, const wr_value *a, wr_value *r)
{
    ins_ferrite *f = user;
    char *key = span(c, a[0].of.i32, a[1].of.i32), *buf = span(c, a[2].of.i32, a[3].of.i32);
    const char *val;
    size_t len;
    int rc = -2;
    if (key && buf && allowed(f, INS_READ, key, (size_t)a[1].of.i32) &&
        (rc = ins_kv_get(f->kv, key, (size_t)a[1].of.i32, &val, &len)) == 0)
        rc = give(buf, a[3].of.i32, val, len);
    r[0] = I32(rc);
    return 0;
}

static int h_set(wr_caller *c, void *user, const wr_value *a, wr_value *r)
{
    ins_ferrite *f = user;
    char *key = span(c, a[0].of.i32, a[1].of.i32), *val = span(c, a[2].of.i32, a[3].of.i32);
    int rc = -1;
    if (key && val && allowed(f, INS_WRITE, key, (size_t)a[1].of.i32))
        rc = ins_kv_set(f->kv, key, (size_t)a[1].of.i32, val, (size_t)a[3].of.i32);
    r[0] = I32(rc);
    return 0;
}

static int h_del(wr_caller *c, void *user, const wr_value *a, wr_value *r)
{
    ins_ferrite *f = user;
    char *key = span(c, a[0].of.i32, a[1].of.i32);
    int rc = -1;
    if (key && allowed(f, INS_WRITE, key, (size_t)a[1].of.i32))
        rc = ins_kv_del(f->kv, key, (size_t)a[1].of.i32);
    r[0] = I32(rc);
    return 0;
}

static int h_exists(wr_caller *c, void *user, const wr_value *a, wr_value *r)
{
    ins_ferrite *f = user;
    char *key = span(c, a[0].of.i32, a[1].of.i32);
    int rc = -1;
    if (key && allowed(f, INS_READ, key, (size_t)a[1].of.i32))
        rc = ins_kv_exists(f->kv, key, (size_t)a[1].of.i32);
    r[0] = I32(rc);
    return 0;
}

static int h_incr(wr_caller *c, void *user, const wr_value *a, wr_value *r)
{
    ins_ferrite *f = user;
    char *key = span(c, a[0].of.i32, a[1].of.i32);
    int64_t v = INT64_MIN;
    if (!key || !allowed(f, INS_WRITE, key, (size_t)a[1].of.i32) ||
        ins_kv_incr(f->kv, key, (size_t)a[1].of.i32, &v))
        v = INT64_MIN;
    r[0] = I64(v);
    return 0;
}

static int h_hget(wr_caller *c, void *user, const wr_value *a, wr_value *r)
{
    ins_ferrite *f = user;
    char *key = span(c, a[0].of.i32, a[1].of.i32), *fld = span(c, a[2].of.i32, a[3].of.i32);
    char *buf = span(c, a[4].of.i32, a[5].of.i32);
    const char *val;
    size_t len;
    int rc = -2;
    if (key && fld && buf && allowed(f, INS_READ, key, (size_t)a[1].of.i32) &&
        (rc = ins_kv_hget(f->kv, key, (size_t)a[1].of.i32, fld, (size_t)a[3].of.i32,
                          &val, &len)) == 0)
        rc = give(buf, a[5].of.i32, val, len);
    r[0] = I32(rc);
    return 0;
}

static int h_hset(wr_caller *c, void *user, const wr_value *a, wr_value *r)
{
    ins_ferrite *f = user;
    char *key = span(c, a[0].of.i32, a[1].of.i32), *fld = span(c, a[2].of.i32, a[3].of.i32);
    char *val = span(c, a[4].of.i32, a[5].of.i32);
    int rc = -1;
    if (key && fld && val && allowed(f, INS_WRITE, key, (size_t)a[1].of.i32))
        rc = ins_kv_hset(f->kv, key, (size_t)a[1].of.i32, fld, (size_t)a[3].of.i32,
                         val, (size_t)a[5].of.i32);
    r[0] = I32(rc);
    return 0;
}

/* --- linking ------------------------------------------------------------------- */

static const wr_type i32s[6] = { WR_I32, WR_I32, WR_I32, WR_I32, WR_I32, WR_I32 };
static const wr_type r_i32[1] = { WR_I32 }, r_i64[1] = { WR_I64 };

static const struct host_def {
    const char    *name;
    wr_host_fn     fn;
    uint32_t       nparams, nresults;
    const wr_type *result;
} defs[] = {
    { "log",    h_log,    3, 0, NULL },
    { "time",   h_time,   0, 1, r_i64 },
    { "get",    h_get,    4, 1, r_i32 },
    { "set",    h_set,    4, 1, r_i32 },
    { "del",    h_del,    2, 1, r_i32 },
    { "exists", h_exists, 2, 1, r_i32 },
    { "incr",   h_incr,   2, 1, r_i64 },
    { "hget",   h_hget,   6, 1, r_i32 },
    { "hset",   h_hset,   6, 1, r_i32 },
};

static const struct host_def *find_def(const char *name)
{
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
        if (!strcmp(defs[i].name, name))
            return &defs[i];
    return NULL;
}

/* 1 when the import's type is exactly d's (else it is left unlinked). */
static int same_type(const struct host_def *d, const wr_externtype *t)
{
    if (t->kind != WR_EXTERN_FUNC || t->func.nparams != d->nparams ||
        t->func.nresults != d->nresults)
        return 0;
    for (uint32_t i = 0; i < d->nparams; i++)
        if (t->func.params[i] != WR_I32)
            return 0;
    return d->nresults == 0 || t->func.results[0] == d->result[0];
}

int ins_ferrite_link(ins_ferrite *f, wr_store *s, wr_imports *imp,
                     const wr_module *m, wr_error *err)
{
    for (uint32_t i = 0; i < wr_module_import_count(m); i++) {
        wr_import_info info;
        wr_module_import(m, i, &info);
        const struct host_def *d;
        if (strcmp(info.module, INS_FERRITE_MODULE) || !(d = find_def(info.name)) ||
            !same_type(d, &info.type))
            continue;
        wr_functype ft = { d->nparams, d->nresults, i32s, d->result };
        wr_extern ext;
        if (wr_func_new(s, &ft, d->fn, f, &ext, err) ||
            wr_imports_add(imp, INS_FERRITE_MODULE, d->name, ext, err))
            return -1;
    }
    return 0;
}

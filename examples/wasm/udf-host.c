/* udf-host.c - a stand-in Ferrite host, linked into a UDF to test it in
 * plain wasmrt: a WASI command that plays the host's part of the buffer
 * convention and provides the "ferrite" functions itself, over a small
 * in-memory store, printing every call.
 *
 *     clang --target=wasm32-wasi --sysroot=/usr -O2 -DUDF_FUNC=hit \
 *         -o counter-host.wasm examples/wasm/udf-host.c examples/counter/counter.c
 *     wasmrt counter-host.wasm [-R] [-W] [KEY=VALUE...] -- INPUT...
 *
 * Arguments before "--": -R makes every read fail as a denied one (get
 * -2, exists -1), -W every write (set/del -1, incr INT64_MIN); KEY=VALUE
 * puts a key in the store.  Each INPUT after "--" is copied to the
 * module's buffer (get_buffer_ptr/get_buffer_cap) and UDF_FUNC(len) is
 * called, printing `FUNC("INPUT") = RESULT`.  Host calls print one line
 * each before it (`incr hits:a -> 1`); ferrite.time is fixed at
 * 1700000000000 so the output is repeatable.
 *
 * The definitions here take the place of the imports the UDF declares
 * (wasm-ld resolves an import_module symbol to a definition when there is
 * one), so the module's own code runs unchanged.  This is not wharf run:
 * no patterns, no limits; it checks the modules, not the host.
 *
 * Tests: tests/cli/t2025-examples.sh.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int32_t get_buffer_ptr(void);
int32_t get_buffer_cap(void);
int32_t UDF_FUNC(int32_t len);

#define STR(x) #x
#define NAME(x) STR(x)

enum { MAX_KEYS = 64, MAX_KEY = 64, MAX_VAL = 8192 };

static struct entry {
    char key[MAX_KEY + 1];
    char val[MAX_VAL];
    int32_t vlen;
} store[MAX_KEYS];
static int nkeys, deny_read, deny_write;

/* The entry of key[0..kl), or NULL; with make, a new empty one. */
static struct entry *find(const char *key, int32_t kl, int make)
{
    int i;

    if (kl < 0 || kl > MAX_KEY)
        return NULL;
    for (i = 0; i < nkeys; i++)
        if ((int32_t)strlen(store[i].key) == kl && !memcmp(store[i].key, key, kl))
            return &store[i];
    if (!make || nkeys == MAX_KEYS)
        return NULL;
    memcpy(store[nkeys].key, key, kl);
    store[nkeys].key[kl] = 0;
    store[nkeys].vlen = 0;
    return &store[nkeys++];
}

static void drop(struct entry *e)
{
    *e = store[--nkeys];
}

void ferrite_log(int32_t level, const char *msg, int32_t len)
{
    printf("log %d \"%.*s\"\n", (int)level, (int)len, msg);
}

int64_t ferrite_time(void)
{
    printf("time -> 1700000000000\n");
    return INT64_C(1700000000000);
}

int32_t ferrite_get(const char *key, int32_t kl, char *buf, int32_t cap)
{
    struct entry *e = find(key, kl, 0);
    int32_t n = deny_read ? -2 : !e ? -1 : e->vlen < cap ? e->vlen : cap;

    if (n > 0)
        memcpy(buf, e->val, n);
    printf("get %.*s -> %d\n", (int)kl, key, (int)n);
    return n;
}

int32_t ferrite_set(const char *key, int32_t kl, const char *val, int32_t vl)
{
    struct entry *e = deny_write || vl > MAX_VAL ? NULL : find(key, kl, 1);

    if (e) {
        memcpy(e->val, val, vl);
        e->vlen = vl;
    }
    printf("set %.*s \"%.*s\" -> %d\n", (int)kl, key, (int)vl, val, e ? 0 : -1);
    return e ? 0 : -1;
}

int32_t ferrite_del(const char *key, int32_t kl)
{
    struct entry *e = find(key, kl, 0);
    int32_t r = deny_write ? -1 : e ? 1 : 0;

    if (r == 1)
        drop(e);
    printf("del %.*s -> %d\n", (int)kl, key, (int)r);
    return r;
}

/* A stored value as a decimal integer, as Redis INCR reads it. */
static int as_int(const struct entry *e, int64_t *v)
{
    char tmp[24];
    char *end;

    if (e->vlen == 0) {
        *v = 0;
        return 1;
    }
    if (e->vlen >= (int32_t)sizeof tmp)
        return 0;
    memcpy(tmp, e->val, e->vlen);
    tmp[e->vlen] = 0;
    *v = strtoll(tmp, &end, 10);
    return *end == 0 && *v != INT64_MAX;
}

int64_t ferrite_incr(const char *key, int32_t kl)
{
    struct entry *e = deny_write ? NULL : find(key, kl, 1);
    int64_t v = INT64_MIN;

    if (e && as_int(e, &v))
        e->vlen = sprintf(e->val, "%" PRId64, ++v);
    else
        v = INT64_MIN;
    printf("incr %.*s -> %" PRId64 "\n", (int)kl, key, v);
    return v;
}

/* KEY=VALUE into the store. */
static void preset(const char *arg)
{
    const char *eq = strchr(arg, '=');
    struct entry *e = find(arg, (int32_t)(eq - arg), 1);

    if (e) {
        e->vlen = (int32_t)strlen(eq + 1);
        memcpy(e->val, eq + 1, e->vlen);
    }
}

static int call(const char *input)
{
    int32_t len = (int32_t)strlen(input);

    if (len > get_buffer_cap()) {
        printf("input longer than the buffer's %d bytes\n", (int)get_buffer_cap());
        return 1;
    }
    memcpy((char *)(uintptr_t)get_buffer_ptr(), input, len);
    printf("%s(\"%s\") = %d\n", NAME(UDF_FUNC), input, (int)UDF_FUNC(len));
    return 0;
}

int main(int argc, char **argv)
{
    int i = 1, rc = 0;

    for (; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "-R"))
            deny_read = 1;
        else if (!strcmp(argv[i], "-W"))
            deny_write = 1;
        else if (strchr(argv[i], '='))
            preset(argv[i]);
        else
            return fprintf(stderr, "udf-host: bad argument '%s'\n", argv[i]), 2;
    }
    for (i++; i < argc; i++)
        rc |= call(argv[i]);
    return rc;
}

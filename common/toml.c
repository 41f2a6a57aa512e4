/* toml.c - the TOML value tree: storage, table index, read-only API.
 *
 * This file owns the memory of a parsed document (the parser itself is in
 * toml_parse.c, numbers and date/times in toml_scalar.c) and implements
 * every accessor of toml.h.
 *
 * Design:
 *  - Values are allocated from chunks of WH_TOML_CHUNK nodes owned by the
 *    document.  Freeing walks the chunks, never the tree, so a deep or
 *    broken tree cannot make it recurse, and a parse that fails half-way
 *    frees exactly like a finished one.
 *  - Tables keep their entries in an array in document order.  Once a
 *    table has more than WH_TOML_LINEAR entries it also gets an
 *    open-addressing index (linear probing, power-of-two size, at most
 *    half full).  Keys are hashed with FNV-1a over a per-document seed and
 *    a final mix; the seed comes from addresses (ASLR), so a hostile
 *    document cannot precompute keys that all land in one probe run.
 *    Lookup stays correct whatever the hash: it only decides where to look.
 *  - Every value knows its parent and its key (or array index), which is
 *    how errors name "plugin.capabilities[2]" without the caller having to
 *    carry a path around, and how a value finds its document's path.
 *
 * Tests: tests/unit/toml_test.c, tests/tools/toml_conformance.c.
 */
#include "toml_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WH_TOML_CHUNK  256
#define WH_TOML_LINEAR 8

struct wh_toml_chunk {
    struct wh_toml_chunk *next;
    size_t used;
    wh_toml_value v[WH_TOML_CHUNK];
};

/* --- Storage --- */

wh_toml *wh_toml_doc_new(const char *path)
{
    wh_toml *doc = calloc(1, sizeof *doc);
    if (!doc)
        return NULL;
    doc->path = strdup(path ? path : "");
    if (!doc->path) {
        free(doc);
        return NULL;
    }
    /* Addresses vary per run (ASLR): enough to keep a document from
     * aiming its keys at one bucket, without global state. */
    uint64_t s = (uint64_t)(uintptr_t)doc ^ ((uint64_t)(uintptr_t)&s << 17);
    doc->seed = s * 0x9e3779b97f4a7c15ull;
    doc->root.type = WH_TOML_TABLE;
    doc->root.u.c.seed = doc->seed;
    return doc;
}

wh_toml_value *wh_toml_node(wh_toml *doc, wh_toml_type t)
{
    struct wh_toml_chunk *c = doc->chunks;
    if (!c || c->used == WH_TOML_CHUNK) {
        c = malloc(sizeof *c);
        if (!c)
            return NULL;
        c->next = doc->chunks;
        c->used = 0;
        doc->chunks = c;
    }
    wh_toml_value *v = &c->v[c->used++];
    memset(v, 0, sizeof *v);
    v->type = (unsigned char)t;
    if (t == WH_TOML_TABLE)
        v->u.c.seed = doc->seed;
    return v;
}

static void release(wh_toml_value *v)
{
    free(v->key);
    switch (v->type) {
    case WH_TOML_STRING:
        free(v->u.str.s);
        break;
    case WH_TOML_TABLE:
    case WH_TOML_ARRAY:
        free(v->u.c.items);
        free(v->u.c.slots);
        break;
    case WH_TOML_DATETIME:
    case WH_TOML_DATETIME_LOCAL:
    case WH_TOML_DATE_LOCAL:
    case WH_TOML_TIME_LOCAL:
        free((char *)v->u.dt.text);
        break;
    default:
        break;
    }
}

void wh_toml_free(wh_toml *doc)
{
    if (!doc)
        return;
    struct wh_toml_chunk *c = doc->chunks;
    while (c) {
        struct wh_toml_chunk *next = c->next;
        for (size_t i = 0; i < c->used; i++)
            release(&c->v[i]);
        free(c);
        c = next;
    }
    release(&doc->root);
    free(doc->path);
    free(doc);
}

/* --- Table index --- */

uint64_t wh_toml_hash(const wh_toml_value *t, const char *key, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ t->u.c.seed;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)key[i];
        h *= 0x100000001b3ull;
    }
    /* FNV's low bits are weak; mix so the slot index uses all of h. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static bool same_key(const wh_toml_value *e, const char *key, size_t n,
                     uint64_t hash)
{
    return e->hash == hash && e->keylen == n && memcmp(e->key, key, n) == 0;
}

wh_toml_value *wh_toml_find(const wh_toml_value *t, const char *key,
                            size_t n, uint64_t hash)
{
    const size_t len = t->u.c.len;
    if (!t->u.c.nslots) {
        for (size_t i = 0; i < len; i++)
            if (same_key(t->u.c.items[i], key, n, hash))
                return t->u.c.items[i];
        return NULL;
    }
    size_t mask = t->u.c.nslots - 1;
    for (size_t s = hash & mask;; s = (s + 1) & mask) {
        uint32_t slot = t->u.c.slots[s];
        if (!slot)
            return NULL;
        if (same_key(t->u.c.items[slot - 1], key, n, hash))
            return t->u.c.items[slot - 1];
    }
}

/* Rebuild t's index with room for at least twice its entries. */
static int reindex(wh_toml_value *t)
{
    size_t n = 16;
    while (n < 2 * (t->u.c.len + 1))
        n *= 2;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return WH_E_NOMEM;
    for (size_t i = 0; i < t->u.c.len; i++) {
        size_t s = t->u.c.items[i]->hash & (n - 1);
        while (slots[s])
            s = (s + 1) & (n - 1);
        slots[s] = (uint32_t)(i + 1);
    }
    free(t->u.c.slots);
    t->u.c.slots = slots;
    t->u.c.nslots = n;
    return 0;
}

static int push(wh_toml_value *c, wh_toml_value *v)
{
    if (c->u.c.len == c->u.c.cap) {
        size_t cap = c->u.c.cap ? 2 * c->u.c.cap : 4;
        wh_toml_value **items = realloc(c->u.c.items, cap * sizeof *items);
        if (!items)
            return WH_E_NOMEM;
        c->u.c.items = items;
        c->u.c.cap = cap;
    }
    c->u.c.items[c->u.c.len++] = v;
    return 0;
}

int wh_toml_add(wh_toml_value *t, const char *key, size_t n, uint64_t hash,
                wh_toml_value *v)
{
    assert(t->type == WH_TOML_TABLE || t->type == WH_TOML_ARRAY);
    assert((t->type == WH_TOML_TABLE) == (key != NULL));
    v->parent = t;
    v->depth = (unsigned short)(t->depth + 1);
    if (t->type == WH_TOML_ARRAY) {
        v->keylen = t->u.c.len;
        return push(t, v);
    }
    assert(!wh_toml_find(t, key, n, hash));
    v->key = malloc(n + 1);
    if (!v->key)
        return WH_E_NOMEM;
    memcpy(v->key, key, n);
    v->key[n] = '\0';
    v->keylen = n;
    v->hash = hash;
    if (push(t, v))
        return WH_E_NOMEM;
    size_t len = t->u.c.len;
    if (len <= WH_TOML_LINEAR)
        return 0;
    if (2 * len > t->u.c.nslots)
        return reindex(t);
    size_t mask = t->u.c.nslots - 1, s = hash & mask;
    while (t->u.c.slots[s])
        s = (s + 1) & mask;
    t->u.c.slots[s] = (uint32_t)len;
    return 0;
}

/* --- Reading --- */

const wh_toml_value *wh_toml_root(const wh_toml *doc)
{
    return doc ? &doc->root : NULL;
}

const char *wh_toml_doc_path(const wh_toml *doc)
{
    return doc ? doc->path : NULL;
}

static const wh_toml *doc_of(const wh_toml_value *v)
{
    while (v->parent)
        v = v->parent;
    return (const wh_toml *)(const void *)v;  /* root is the first member */
}

wh_toml_type wh_toml_type_of(const wh_toml_value *v)
{
    return v ? (wh_toml_type)v->type : WH_TOML_NONE;
}

const char *wh_toml_type_name(wh_toml_type t)
{
    static const char *const names[] = {
        [WH_TOML_NONE] = "none",           [WH_TOML_TABLE] = "table",
        [WH_TOML_ARRAY] = "array",         [WH_TOML_STRING] = "string",
        [WH_TOML_INTEGER] = "integer",     [WH_TOML_FLOAT] = "float",
        [WH_TOML_BOOL] = "bool",           [WH_TOML_DATETIME] = "datetime",
        [WH_TOML_DATETIME_LOCAL] = "datetime-local",
        [WH_TOML_DATE_LOCAL] = "date-local",
        [WH_TOML_TIME_LOCAL] = "time-local",
    };
    if ((unsigned)t >= sizeof names / sizeof names[0])
        return "none";
    return names[t];
}

int wh_toml_line(const wh_toml_value *v)
{
    return v ? v->line : 0;
}

int wh_toml_col(const wh_toml_value *v)
{
    return v ? v->col : 0;
}

size_t wh_toml_len(const wh_toml_value *v)
{
    if (!v || (v->type != WH_TOML_TABLE && v->type != WH_TOML_ARRAY))
        return 0;
    return v->u.c.len;
}

const wh_toml_value *wh_toml_getn(const wh_toml_value *t, const char *key,
                                  size_t keylen)
{
    if (!t || t->type != WH_TOML_TABLE || !key)
        return NULL;
    return wh_toml_find(t, key, keylen, wh_toml_hash(t, key, keylen));
}

const wh_toml_value *wh_toml_get(const wh_toml_value *t, const char *key)
{
    return key ? wh_toml_getn(t, key, strlen(key)) : NULL;
}

const wh_toml_value *wh_toml_get_path(const wh_toml_value *t,
                                      const char *path)
{
    if (!path)
        return NULL;
    for (;;) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        t = wh_toml_getn(t, path, n);
        if (!t || !dot)
            return t;
        path = dot + 1;
    }
}

const wh_toml_value *wh_toml_entry(const wh_toml_value *t, size_t i,
                                   const char **key, size_t *keylen)
{
    if (!t || t->type != WH_TOML_TABLE || i >= t->u.c.len)
        return NULL;
    const wh_toml_value *v = t->u.c.items[i];
    if (key)
        *key = v->key;
    if (keylen)
        *keylen = v->keylen;
    return v;
}

const wh_toml_value *wh_toml_at(const wh_toml_value *a, size_t i)
{
    if (!a || a->type != WH_TOML_ARRAY || i >= a->u.c.len)
        return NULL;
    return a->u.c.items[i];
}

const char *wh_toml_string(const wh_toml_value *v, size_t *len)
{
    if (!v || v->type != WH_TOML_STRING)
        return NULL;
    if (len)
        *len = v->u.str.len;
    return v->u.str.s;
}

bool wh_toml_int(const wh_toml_value *v, int64_t *out)
{
    if (!v || v->type != WH_TOML_INTEGER)
        return false;
    *out = v->u.i;
    return true;
}

bool wh_toml_float(const wh_toml_value *v, double *out)
{
    if (!v || v->type != WH_TOML_FLOAT)
        return false;
    *out = v->u.f;
    return true;
}

bool wh_toml_bool(const wh_toml_value *v, bool *out)
{
    if (!v || v->type != WH_TOML_BOOL)
        return false;
    *out = v->u.b;
    return true;
}

const wh_toml_datetime *wh_toml_datetime_of(const wh_toml_value *v)
{
    if (!v || v->type < WH_TOML_DATETIME || v->type > WH_TOML_TIME_LOCAL)
        return NULL;
    return &v->u.dt;
}

/* --- Names --- */

struct out { char *buf; size_t n, len; };

static void put(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o->len + 1 < o->n; i++)
        o->buf[o->len++] = s[i];
    o->buf[o->len] = '\0';
}

static bool is_bare(const char *k, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* A key as TOML would write it: bare if it can be, else a basic string. */
static void put_key(struct out *o, const char *k, size_t n)
{
    if (is_bare(k, n)) {
        put(o, k, n);
        return;
    }
    put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(o, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04X", c);
            put(o, esc, 6);
        } else {
            put(o, k + i, 1);
        }
    }
    put(o, "\"", 1);
}

char *wh_toml_name(const wh_toml_value *v, char *buf, size_t n)
{
    return wh_toml_name_key(v, NULL, 0, buf, n);
}

char *wh_toml_name_key(const wh_toml_value *v, const char *key, size_t keylen,
                       char *buf, size_t n)
{
    if (!buf || n == 0)
        return buf;
    struct out o = { buf, n, 0 };
    buf[0] = '\0';
    const wh_toml_value *chain[WH_TOML_DEPTH_CEIL + 1];
    size_t depth = 0;
    for (; v && v->parent && depth < sizeof chain / sizeof chain[0];
         v = v->parent)
        chain[depth++] = v;
    while (depth--) {
        const wh_toml_value *e = chain[depth];
        if (e->parent->type == WH_TOML_ARRAY) {
            char idx[32];
            int len = snprintf(idx, sizeof idx, "[%zu]", e->keylen);
            put(&o, idx, (size_t)len);
            continue;
        }
        if (o.len)
            put(&o, ".", 1);
        put_key(&o, e->key, e->keylen);
    }
    if (key) {
        if (o.len)
            put(&o, ".", 1);
        put_key(&o, key, keylen);
    }
    return buf;
}

/* --- Checked access --- */

int wh_toml_expect(const wh_toml_value *v, wh_toml_type t, wh_err *err)
{
    assert(v);
    if (v->type == t)
        return 0;
    char name[200];
    wh_toml_name(v, name, sizeof name);
    const char *a = t == WH_TOML_ARRAY || t == WH_TOML_INTEGER ? "an" : "a";
    return wh_fail_at(err, WH_E_FORMAT, doc_of(v)->path, v->line, v->col,
                      "'%s' must be %s %s", name, a, wh_toml_type_name(t));
}

int wh_toml_need(const wh_toml_value *t, const char *path, wh_toml_type type,
                 const wh_toml_value **out, wh_err *err)
{
    assert(t && path);
    const wh_toml_value *at = t;
    for (const char *p = path;;) {
        if (at->type != WH_TOML_TABLE)
            return wh_toml_expect(at, WH_TOML_TABLE, err);
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        const wh_toml_value *next = wh_toml_getn(at, p, n);
        if (!next) {
            char name[200];
            wh_toml_name(t, name, sizeof name);
            return wh_fail_at(err, WH_E_FORMAT, doc_of(t)->path, t->line,
                              t->col, "missing key '%s%s%s'", name,
                              name[0] ? "." : "", path);
        }
        at = next;
        if (!dot)
            break;
        p = dot + 1;
    }
    int rc = wh_toml_expect(at, type, err);
    if (rc == 0 && out)
        *out = at;
    return rc;
}

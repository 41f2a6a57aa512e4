/* index_table.c - the installer's table of a verified index: its builder
 * and its reader.  The contract is in index_table.h; the format, in
 * docs/index-format.md ("The installer's table"), is:
 *
 *   header   160 bytes, integers little-endian:
 *            0 "wharftab", 8 u32 version (1), 12 u32 header size (160),
 *            16 u64 copy size, 24 32 bytes SHA-256 of the copy,
 *            56 i64 serial, 64 i64 generated, 72 i64 expires,
 *            80 u32 modules, 84 u32 packages, 88 u32 u32 repository name
 *            (offset and length in the pool), 96 u32 u32 records (offset,
 *            size), 104 u32 u32 pool (offset, size), 112 u64 table size,
 *            120..155 zero, 156 u32 CRC-32 of every other byte of the table
 *   records  one per module, sorted by name (byte order, no two equal),
 *            12 u32 each: name, span in the copy, latest version,
 *            description, categories, tags, each an (offset, length) pair
 *   pool     strings, each followed by a NUL; a list (categories, tags)
 *            is its items back to back, each followed by a NUL
 *
 * The sections follow each other in that order with no gap, so a reader
 * has one layout to check.  The CRC catches a damaged file (a torn disk
 * block, a flipped bit); the bounds checks of wh_itab_open are what make
 * a table that is wrong on purpose harmless: after them every accessor
 * reads inside the table, and the spans inside the copy's size.
 *
 * FINDING THE SPANS.  The index is canonical JSON (no white space, keys
 * sorted) and has been verified, so a small scanner that knows strings
 * (a quote preceded by an even run of backslashes ends one) and brackets
 * finds the top-level "modules" object and, for each key in it, the
 * bytes of its value.  Strings are skipped with memchr, which is most of
 * the 40 MiB of a large index.  The scanner still checks every step and
 * fails rather than guess: its result must name exactly the modules the
 * parsed index has.
 *
 * Tests: tests/unit/index_table_test.c.
 */
#include "index_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "hex.h"
#include "json.h"
#include "pkg.h"

enum {
    H_MAGIC = 0, H_VERSION = 8, H_HSIZE = 12, H_COPY = 16, H_SHA = 24,
    H_SERIAL = 56, H_GENERATED = 64, H_EXPIRES = 72, H_MODULES = 80,
    H_PACKAGES = 84, H_REPO = 88, H_RECORDS = 96, H_POOL = 104, H_SIZE = 112,
    H_ZERO = 120, H_CRC = 156,
};

/* The (offset, length) pairs of a record, in order. */
enum { R_NAME, R_SPAN, R_LATEST, R_DESC, R_CATS, R_TAGS, R_PAIRS };

/* --- little-endian integers ---------------------------------------------- */

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* CRC-32 of the table without its CRC field. */
static uint32_t table_crc(const unsigned char *t, size_t len)
{
    uLong c = crc32(0L, t, H_CRC);
    return (uint32_t)crc32(c, t + WH_ITAB_HEADER, (uInt)(len - WH_ITAB_HEADER));
}

/* --- the scanner ------------------------------------------------------------ */

typedef struct span {
    uint32_t name_off, name_len, off, len;
} span;

/* Past the string whose opening quote is at p, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++;;) {
        const char *q = memchr(p, '"', (size_t)(end - p)), *k;
        if (!q)
            return NULL;
        for (k = q; k > p && k[-1] == '\\'; k--)
            ;
        if (((q - k) & 1) == 0)
            return q + 1;
        p = q + 1;
    }
}

/* Past the value at p (no white space: canonical JSON), or NULL. */
static const char *skip_value(const char *p, const char *end)
{
    const char *start = p;
    long depth = 0;
    while (p < end) {
        char c = *p;
        if (depth == 0 && (c == ',' || c == '}' || c == ']'))
            return p > start ? p : NULL;
        if (c == '"') {
            if (!(p = skip_string(p, end)) || depth == 0)
                return p;
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0)
            return p + 1;
        p++;
    }
    return NULL;
}

typedef struct spans {
    span  *v;
    size_t n, cap;
} spans;

static int spans_add(spans *s, const char *b, const char *key, const char *kend,
                     const char *val, const char *vend)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        span *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = (span){ (uint32_t)(key + 1 - b), (uint32_t)(kend - key - 2),
                           (uint32_t)(val - b), (uint32_t)(vend - val) };
    return 0;
}

/* Each key of the object at p, with its value's span; *pend past it. */
static int scan_modules(const char *b, const char *p, const char *end,
                        spans *s, const char **pend)
{
    if (p >= end || *p++ != '{')
        return -1;
    if (p < end && *p == '}') {
        *pend = p + 1;
        return 0;
    }
    for (;;) {
        const char *key = p, *kend, *vend;
        if (p >= end || *p != '"' || !(kend = skip_string(p, end)) ||
            kend >= end || *kend != ':' || memchr(key, '\\', (size_t)(kend - key)) ||
            !(vend = skip_value(kend + 1, end)) || vend >= end ||
            spans_add(s, b, key, kend, kend + 1, vend))
            return -1;
        p = vend + 1;
        if (*vend == '}') {
            *pend = p;
            return 0;
        }
        if (*vend != ',')
            return -1;
    }
}

/* The spans of every module of the canonical index b[0..n). */
static int scan_index(const char *b, size_t n, spans *s)
{
    const char *p = b, *end = b + n;
    int found = 0;
    if (n > UINT32_MAX || p >= end || *p++ != '{')
        return -1;
    while (p < end && *p == '"') {
        const char *key = p, *kend = skip_string(p, end), *vend;
        if (!kend || kend >= end || *kend != ':')
            return -1;
        if (kend - key == 9 && !memcmp(key, "\"modules\"", 9)) {
            if (found++ || scan_modules(b, kend + 1, end, s, &vend))
                return -1;
        } else if (!(vend = skip_value(kend + 1, end)))
            return -1;
        if (vend >= end || (*vend != ',' && *vend != '}'))
            return -1;
        p = vend + 1;
        if (*vend == '}')
            return p == end && found ? 0 : -1;
    }
    return -1;
}

/* --- building ------------------------------------------------------------------ */

typedef struct pool {
    unsigned char *p;
    size_t n, cap;
    int failed;
} pool;

static void pool_put(pool *pl, const void *s, size_t len)
{
    if (pl->failed || len > WH_ITAB_MAX - pl->n) {
        pl->failed = 1;
        return;
    }
    if (pl->n + len > pl->cap) {
        size_t cap = pl->cap ? pl->cap : 65536;
        while (cap < pl->n + len)
            cap *= 2;
        unsigned char *q = realloc(pl->p, cap);
        if (!q) {
            pl->failed = 1;
            return;
        }
        pl->p = q;
        pl->cap = cap;
    }
    memcpy(pl->p + pl->n, s, len);
    pl->n += len;
}

/* Add s[0..len) and its NUL; its pair into rec. */
static void pool_str(pool *pl, unsigned char *rec, const char *s, size_t len)
{
    put32(rec, (uint32_t)pl->n);
    put32(rec + 4, (uint32_t)len);
    pool_put(pl, s, len);
    pool_put(pl, "", 1);
}

/* Add the string items of the array a, each with its NUL (the pair's
 * length counts them all); items holding a NUL are left out. */
static void pool_list(pool *pl, unsigned char *rec, const json_t *a)
{
    size_t i, start = pl->n;
    json_t *v;
    json_array_foreach(a, i, v)
        if (json_is_string(v) && json_string_length(v) > 0 &&
            strlen(json_string_value(v)) == json_string_length(v))
            pool_put(pl, json_string_value(v), json_string_length(v) + 1);
    put32(rec, (uint32_t)start);
    put32(rec + 4, (uint32_t)(pl->n - start));
}

/* Module s's record: its name and span, and what its latest version
 * says (from the parsed index). */
static int build_record(const wh_index *ix, const span *s, pool *pl,
                        unsigned char *rec)
{
    const char *name = ix->bytes + s->name_off;
    json_t *mods = json_object_get(ix->json, "modules");
    json_t *vs = json_object_get(json_object_getn(mods, name, s->name_len), "versions");
    const char *latest = wh_index_latest(vs);
    json_t *r = json_object_get(vs, latest ? latest : ""),
           *desc = json_object_get(r, "description");
    if (!latest)
        return -1;
    pool_str(pl, rec + 8 * R_NAME, name, s->name_len);
    put32(rec + 8 * R_SPAN, s->off);
    put32(rec + 8 * R_SPAN + 4, s->len);
    pool_str(pl, rec + 8 * R_LATEST, latest, strlen(latest));
    pool_str(pl, rec + 8 * R_DESC, json_is_string(desc) ? json_string_value(desc) : "",
             json_is_string(desc) ? json_string_length(desc) : 0);
    pool_list(pl, rec + 8 * R_CATS, json_object_get(r, "categories"));
    pool_list(pl, rec + 8 * R_TAGS, json_object_get(r, "tags"));
    return 0;
}

static void put_header(unsigned char *t, const wh_index *ix, size_t nmod,
                       const pool *pl, size_t repo_len, size_t total)
{
    unsigned char d[WH_SHA256_BYTES];
    size_t rec_size = nmod * WH_ITAB_RECORD;
    memset(t, 0, WH_ITAB_HEADER);
    memcpy(t + H_MAGIC, WH_ITAB_MAGIC, 8);
    put32(t + H_VERSION, WH_ITAB_VERSION);
    put32(t + H_HSIZE, WH_ITAB_HEADER);
    put64(t + H_COPY, ix->len);
    wh_hex_decode(d, sizeof d, ix->head.sha256, 64);
    memcpy(t + H_SHA, d, sizeof d);
    put64(t + H_SERIAL, (uint64_t)ix->head.serial);
    put64(t + H_GENERATED, (uint64_t)ix->generated);
    put64(t + H_EXPIRES, (uint64_t)ix->head.expires);
    put32(t + H_MODULES, (uint32_t)nmod);
    put32(t + H_PACKAGES, (uint32_t)ix->packages);
    put32(t + H_REPO, 0);                       /* first in the pool */
    put32(t + H_REPO + 4, (uint32_t)repo_len);
    put32(t + H_RECORDS, WH_ITAB_HEADER);
    put32(t + H_RECORDS + 4, (uint32_t)rec_size);
    put32(t + H_POOL, (uint32_t)(WH_ITAB_HEADER + rec_size));
    put32(t + H_POOL + 4, (uint32_t)pl->n);
    put64(t + H_SIZE, total);
}

/* Header, records and pool into one buffer, with its CRC. */
static int assemble(const wh_index *ix, const unsigned char *recs, size_t nmod,
                    const pool *pl, size_t repo_len, unsigned char **out,
                    size_t *len)
{
    size_t rec_size = nmod * WH_ITAB_RECORD, total = WH_ITAB_HEADER + rec_size + pl->n;
    unsigned char *t = total <= WH_ITAB_MAX ? malloc(total) : NULL;
    if (!t)
        return -1;
    put_header(t, ix, nmod, pl, repo_len, total);
    memcpy(t + WH_ITAB_HEADER, recs, rec_size);
    memcpy(t + WH_ITAB_HEADER + rec_size, pl->p, pl->n);
    put32(t + H_CRC, table_crc(t, total));
    *out = t;
    *len = total;
    return 0;
}

/* Byte order of two modules' names (in bytes). */
static int name_cmp(const span *x, const span *y, const char *bytes)
{
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(bytes + x->name_off, bytes + y->name_off, n);
    return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* The spans of ix's modules, in name order: canonical JSON sorts keys,
 * so this only checks that it is so. */
static int index_spans(const wh_index *ix, spans *s, wh_err *err)
{
    json_t *mods = json_object_get(ix->json, "modules");
    if (scan_index(ix->bytes, ix->len, s) || s->n != json_object_size(mods))
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "cannot find the modules in "
                       "the index bytes (not a verified canonical index)");
    for (size_t i = 1; i < s->n; i++)
        if (name_cmp(&s->v[i - 1], &s->v[i], ix->bytes) >= 0)
            return wh_fail(err, WH_E_FORMAT, NULL, -1, "the index's modules "
                           "are not in byte order (not canonical)");
    return 0;
}

int wh_itab_build(const wh_index *ix, unsigned char **out, size_t *len,
                  wh_err *err)
{
    spans s = { 0 };
    pool pl = { 0 };
    unsigned char *recs = NULL;
    const char *repo = json_string_value(json_object_get(
        json_object_get(ix->json, "repository"), "name"));
    *out = NULL;
    int rc = index_spans(ix, &s, err);
    if (rc == 0 && !(recs = calloc(s.n ? s.n : 1, WH_ITAB_RECORD)))
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    unsigned char repo_pair[8];
    if (rc == 0)
        pool_str(&pl, repo_pair, repo ? repo : "", repo ? strlen(repo) : 0);
    for (size_t i = 0; rc == 0 && i < s.n; i++)
        if (build_record(ix, &s.v[i], &pl, recs + i * WH_ITAB_RECORD))
            rc = wh_fail(err, WH_E_FORMAT, NULL, -1, "module '%.*s' has no "
                         "versions", (int)s.v[i].name_len, ix->bytes + s.v[i].name_off);
    if (rc == 0 && (pl.failed || assemble(ix, recs, s.n, &pl, get32(repo_pair + 4),
                                          out, len)))
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, "out of memory, or a table "
                     "over %zu MiB", WH_ITAB_MAX >> 20);
    free(s.v);
    free(pl.p);
    free(recs);
    return rc;
}

/* --- reading ---------------------------------------------------------------------- */

static int bad(wh_err *err, const char *path, size_t off, const char *what)
{
    return wh_fail(err, WH_E_FORMAT, path, (long long)off, "%s (a damaged "
                   "table)", what);
}

/* The string at pair p: in the pool, followed by a NUL. */
static int str_ok(const wh_itab *t, const unsigned char *p)
{
    uint32_t off = get32(p), len = get32(p + 4);
    return off <= t->pool_len && len < t->pool_len - off &&
           t->pool[off + len] == '\0';
}

/* A list at pair p: in the pool, empty or non-empty items each ending
 * with a NUL. */
static int list_ok(const wh_itab *t, const unsigned char *p)
{
    uint32_t off = get32(p), len = get32(p + 4);
    if (off > t->pool_len || len > t->pool_len - off)
        return 0;
    const char *l = t->pool + off;
    if (len == 0)
        return 1;
    for (uint32_t k = 1; k < len; k++)
        if (l[k] == '\0' && l[k - 1] == '\0')
            return 0;
    return l[0] != '\0' && l[len - 1] == '\0';
}

/* Record i: every pair in bounds, the name a module name, the span
 * inside the copy and after the previous one's name in order. */
static const char *record_problem(const wh_itab *t, size_t i)
{
    const unsigned char *r = t->records + i * WH_ITAB_RECORD;
    wh_itab_mod m, prev;
    if (!str_ok(t, r + 8 * R_NAME) || !str_ok(t, r + 8 * R_LATEST) ||
        !str_ok(t, r + 8 * R_DESC))
        return "a string out of bounds";
    if (!list_ok(t, r + 8 * R_CATS) || !list_ok(t, r + 8 * R_TAGS))
        return "a list out of bounds";
    wh_itab_get(t, i, &m);
    if (wh_pkg_name_check(m.name, m.name_len, NULL) || m.latest_len == 0)
        return "a bad module name or version";
    if (m.span_len < 2 || m.span_off < m.name_len + 3 ||
        m.span_off > t->head.copy_size || m.span_len > t->head.copy_size - m.span_off)
        return "a span outside the index";
    if (i > 0) {
        wh_itab_get(t, i - 1, &prev);
        size_t n = m.name_len < prev.name_len ? m.name_len : prev.name_len;
        int c = memcmp(prev.name, m.name, n);
        if (c > 0 || (c == 0 && prev.name_len >= m.name_len))
            return "names out of order";
    }
    return NULL;
}

/* The header's fixed fields and the layout of the sections. */
static int check_header(const unsigned char *b, size_t len, const char *path,
                        wh_err *err)
{
    static const unsigned char zero[H_CRC - H_ZERO];
    if (len < WH_ITAB_HEADER || memcmp(b, WH_ITAB_MAGIC, 8) != 0)
        return wh_fail(err, WH_E_FORMAT, path, 0, "not a wharf index table");
    if (len > WH_ITAB_MAX)
        return wh_fail(err, WH_E_LIMIT, path, -1, "a table over %zu MiB",
                       WH_ITAB_MAX >> 20);
    if (get32(b + H_VERSION) != WH_ITAB_VERSION)
        return wh_fail(err, WH_E_FORMAT, path, H_VERSION, "table format %u, "
                       "not %d", get32(b + H_VERSION), WH_ITAB_VERSION);
    if (get64(b + H_SIZE) != len)
        return wh_fail(err, WH_E_FORMAT, path, H_SIZE, "the table is %zu "
                       "bytes, its header says %llu (a truncated table)", len,
                       (unsigned long long)get64(b + H_SIZE));
    if (table_crc(b, len) != get32(b + H_CRC))
        return bad(err, path, H_CRC, "checksum mismatch");
    uint64_t nrec = get32(b + H_MODULES), rec_size = get32(b + H_RECORDS + 4);
    if (get32(b + H_HSIZE) != WH_ITAB_HEADER || memcmp(b + H_ZERO, zero, sizeof zero) ||
        get32(b + H_RECORDS) != WH_ITAB_HEADER || rec_size != nrec * WH_ITAB_RECORD ||
        get32(b + H_POOL) != WH_ITAB_HEADER + rec_size ||
        WH_ITAB_HEADER + rec_size + get32(b + H_POOL + 4) != len)
        return bad(err, path, H_HSIZE, "sections out of place");
    return 0;
}

int wh_itab_open(wh_itab *t, const void *buf, size_t len, const char *path,
                 wh_err *err)
{
    const unsigned char *b = buf;
    memset(t, 0, sizeof *t);
    int rc = check_header(b, len, path, err);
    if (rc)
        return rc;
    t->head.copy_size = get64(b + H_COPY);
    wh_hex_encode(t->head.sha256, b + H_SHA, WH_SHA256_BYTES, 0);
    t->head.serial = (int64_t)get64(b + H_SERIAL);
    t->head.generated = (int64_t)get64(b + H_GENERATED);
    t->head.expires = (int64_t)get64(b + H_EXPIRES);
    t->head.modules = get32(b + H_MODULES);
    t->head.packages = get32(b + H_PACKAGES);
    t->records = b + WH_ITAB_HEADER;
    t->pool = (const char *)b + get32(b + H_POOL);
    t->pool_len = get32(b + H_POOL + 4);
    if (!str_ok(t, b + H_REPO))
        rc = bad(err, path, H_REPO, "repository name out of bounds");
    t->repository = t->pool + get32(b + H_REPO);
    for (size_t i = 0; rc == 0 && i < t->head.modules; i++) {
        const char *why = record_problem(t, i);
        if (why)
            rc = bad(err, path, WH_ITAB_HEADER + i * WH_ITAB_RECORD, why);
    }
    if (rc)
        memset(t, 0, sizeof *t);
    return rc;
}

int wh_itab_matches(const wh_itab *t, const wh_index_head *h, uint64_t copy_size)
{
    return t->head.copy_size == copy_size && t->head.serial == h->serial &&
           t->head.expires == h->expires && strcmp(t->head.sha256, h->sha256) == 0;
}

/* --- modules --------------------------------------------------------------------------- */

static const char *pair(const wh_itab *t, const unsigned char *p, size_t *len)
{
    *len = get32(p + 4);
    return t->pool + get32(p);
}

void wh_itab_get(const wh_itab *t, size_t i, wh_itab_mod *m)
{
    const unsigned char *r = t->records + i * WH_ITAB_RECORD;
    m->name = pair(t, r + 8 * R_NAME, &m->name_len);
    m->latest = pair(t, r + 8 * R_LATEST, &m->latest_len);
    m->description = pair(t, r + 8 * R_DESC, &m->description_len);
    m->categories = pair(t, r + 8 * R_CATS, &m->categories_len);
    m->tags = pair(t, r + 8 * R_TAGS, &m->tags_len);
    m->span_off = get32(r + 8 * R_SPAN);
    m->span_len = get32(r + 8 * R_SPAN + 4);
}

long wh_itab_find(const wh_itab *t, const char *name, size_t len)
{
    size_t lo = 0, hi = t->head.modules;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        wh_itab_mod m;
        wh_itab_get(t, mid, &m);
        size_t n = m.name_len < len ? m.name_len : len;
        int c = memcmp(m.name, name, n);
        if (c == 0)
            c = (m.name_len > len) - (m.name_len < len);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const char *wh_itab_list_next(const char *list, size_t len, size_t *pos)
{
    if (*pos >= len)
        return NULL;
    const char *item = list + *pos;
    *pos += strlen(item) + 1;       /* the list ends with a NUL (checked) */
    return item;
}

int wh_itab_versions(const wh_itab *t, size_t i, const char *copy,
                     size_t copy_len, const char *copy_path, json_t **versions,
                     wh_err *err)
{
    wh_itab_mod m;
    json_t *v = NULL;
    *versions = NULL;
    if (copy_len != t->head.copy_size)
        return wh_fail(err, WH_E_VERIFY, copy_path, -1, "%zu bytes, not the %llu "
                       "of the index the table was built from", copy_len,
                       (unsigned long long)t->head.copy_size);
    wh_itab_get(t, i, &m);
    const char *key = copy + m.span_off - m.name_len - 3;
    if (key[0] != '"' || memcmp(key + 1, m.name, m.name_len) != 0 ||
        memcmp(key + 1 + m.name_len, "\":", 2) != 0 || copy[m.span_off] != '{')
        return wh_fail(err, WH_E_FORMAT, copy_path, m.span_off, "module '%s': "
                       "the table's span is not its value (a damaged table)", m.name);
    int rc = wh_json_parse(copy + m.span_off, m.span_len, copy_path, &v, err);
    json_t *vs = json_object_get(v, "versions");
    if (rc == 0 && !json_is_object(vs))
        rc = wh_fail(err, WH_E_FORMAT, copy_path, m.span_off, "module '%s': "
                     "'versions' is not an object", m.name);
    if (rc == 0)
        *versions = json_incref(vs);
    json_decref(v);
    return rc;
}

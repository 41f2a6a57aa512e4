/* kvstore.c - the local store of `wharf run --store FILE`: Ferrite's
 * strings and hashes in one JSON object.
 *
 *     {
 *       "counter": "41",                  a string (Redis keeps numbers
 *       "user:1": "ada",                  as strings too; INCR parses)
 *       "profile:1": {"name": "ada"}      a hash: field -> string
 *     }
 *
 * Anything else in the file (a number, an array, a hash holding an
 * object) is an error naming the key, and bad JSON one naming the line
 * and column, before the module runs: a UDF tried against data that is
 * not what the person meant would only mislead.  A missing file is an
 * empty store.
 *
 * WHEN IT IS WRITTEN.  The store is the state of a database that a
 * failed call must not change, as a Ferrite transaction would not: the
 * whole run works on the copy in memory, and the caller saves it only
 * when the call succeeded (cmd_run.c decides what that means), with
 * wh_file_write_atomic, so a trap, a denial, a kill -9 or a power cut at
 * any moment leaves the file as it was before or as the call left it.
 * A run that changed nothing writes nothing.  The file is pretty-printed
 * with sorted keys, so it diffs well when people keep it with their
 * tests.
 *
 * LIMITS.  The guest chooses keys and values: a key or field holding a
 * NUL byte or not UTF-8 cannot be a JSON key and is refused (-1/-2, as
 * Ferrite's backend errors); everything held counts against
 * INS_KV_MAX_BYTES, so a loop of sets cannot grow the file without end.
 *
 * Tests: tests/cli/t2020-wharf-run.sh; tests/fuzz/ferrite/ (every call
 * checked against the store's answers before it).
 */
#include "installer/kvstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/fs.h"
#include "common/json.h"

struct ins_kv {
    json_t *root;      /* {KEY: "value" | {FIELD: "value"}} */
    char   *path;      /* NULL: in memory, never saved */
    size_t  bytes;     /* of keys, fields and values */
    int     dirty;
};

/* --- loading ------------------------------------------------------------------ */

static size_t entry_bytes(const char *key, json_t *v)
{
    size_t n = strlen(key);
    const char *f;
    json_t *fv;
    if (json_is_string(v))
        return n + json_string_length(v);
    json_object_foreach(v, f, fv)
        n += strlen(f) + json_string_length(fv);
    return n;
}

static int check_hash(json_t *h)
{
    const char *f;
    json_t *v;
    json_object_foreach(h, f, v)
        if (!json_is_string(v))
            return 0;
    return 1;
}

/* Every entry is a string or a hash of strings; counts kv->bytes. */
static int check_root(ins_kv *kv, const char *path, wh_err *err)
{
    const char *key;
    json_t *v;
    char q[4 * 128 + 8];
    if (!json_is_object(kv->root))
        return wh_fail(err, WH_E_FORMAT, path, -1, "the store must be a JSON "
                       "object of keys");
    json_object_foreach(kv->root, key, v) {
        if (!json_is_string(v) && !(json_is_object(v) && check_hash(v)))
            return wh_fail(err, WH_E_FORMAT, path, -1, "key '%s': a value must "
                           "be a string or an object of strings (a hash)",
                           wh_quote(q, sizeof q, key, strlen(key)));
        kv->bytes += entry_bytes(key, v);
    }
    if (kv->bytes > INS_KV_MAX_BYTES)
        return wh_fail(err, WH_E_LIMIT, path, -1, "the store holds more than "
                       "%zu MiB", INS_KV_MAX_BYTES >> 20);
    return 0;
}

static int load(ins_kv *kv, const char *path, wh_err *err)
{
    char *data = NULL;
    size_t len;
    wh_err e;
    wh_err_clear(&e);
    int rc = wh_file_read(path, INS_KV_MAX_FILE, &data, &len, &e);
    if (rc == WH_E_NOTFOUND) {
        kv->root = json_object();
        return kv->root ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    if (rc) {
        if (err)
            *err = e;
        return rc;
    }
    rc = wh_json_parse(data, len, path, &kv->root, err);
    free(data);
    return rc ? rc : check_root(kv, path, err);
}

int ins_kv_open(ins_kv **out, const char *path, wh_err *err)
{
    ins_kv *kv = calloc(1, sizeof *kv);
    *out = NULL;
    if (!kv || (path && !(kv->path = strdup(path)))) {
        free(kv);
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    int rc = path ? load(kv, path, err)
                  : ((kv->root = json_object()) ? 0 : wh_fail(err, WH_E_NOMEM,
                                                              NULL, -1, NULL));
    if (rc) {
        ins_kv_free(kv);
        return rc;
    }
    *out = kv;
    return 0;
}

void ins_kv_free(ins_kv *kv)
{
    if (!kv)
        return;
    json_decref(kv->root);
    free(kv->path);
    free(kv);
}

/* --- operations ----------------------------------------------------------------- */

/* A JSON object key: no NUL (jansson's keys are C strings). */
static int is_key(const char *k, size_t n)
{
    return !memchr(k, '\0', n);
}

/* The string (or hash) under key, or NULL. */
static json_t *lookup(ins_kv *kv, const char *key, size_t klen)
{
    return json_object_getn(kv->root, key, klen);
}

/* Replace key's entry with v (a new reference, taken), keeping count. */
static int put(ins_kv *kv, const char *key, size_t klen, json_t *v)
{
    json_t *old = lookup(kv, key, klen);
    size_t before = old ? klen + (json_is_string(old) ? json_string_length(old)
                                  : entry_bytes("", old)) : 0;
    size_t after = v ? klen + (json_is_string(v) ? json_string_length(v)
                               : entry_bytes("", v)) : 0;
    if (!v || kv->bytes - before + after > INS_KV_MAX_BYTES) {
        json_decref(v);
        return -1;
    }
    if (json_object_setn_new(kv->root, key, klen, v))
        return -1;                  /* not UTF-8: not a JSON key */
    kv->bytes = kv->bytes - before + after;
    kv->dirty = 1;
    return 0;
}

int ins_kv_get(ins_kv *kv, const char *key, size_t klen,
               const char **val, size_t *len)
{
    if (!is_key(key, klen))
        return -2;
    json_t *v = lookup(kv, key, klen);
    if (!v)
        return -1;
    if (!json_is_string(v))
        return -2;
    *val = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

int ins_kv_set(ins_kv *kv, const char *key, size_t klen,
               const char *val, size_t len)
{
    if (!is_key(key, klen))
        return -1;
    return put(kv, key, klen, json_stringn(val, len));
}

int ins_kv_del(ins_kv *kv, const char *key, size_t klen)
{
    if (!is_key(key, klen))
        return -1;
    json_t *v = lookup(kv, key, klen);
    if (!v)
        return 0;
    kv->bytes -= klen + (json_is_string(v) ? json_string_length(v)
                         : entry_bytes("", v));
    json_object_deln(kv->root, key, klen);
    kv->dirty = 1;
    return 1;
}

int ins_kv_exists(ins_kv *kv, const char *key, size_t klen)
{
    if (!is_key(key, klen))
        return -1;
    return lookup(kv, key, klen) != NULL;
}

/* Redis's rule for an integer value: an optional '-', 1 to 19 digits
 * without a leading zero (but "0"), in range.  Values are byte strings:
 * a NUL must not end the text early ("1\0x" is not 1). */
static int parse_i64(const char *s, size_t n, int64_t *v)
{
    char buf[24];
    if (n == 0 || n > 20 || memchr(s, '\0', n))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    const char *d = buf + (buf[0] == '-');
    if (!*d || (d[0] == '0' && (d[1] || d != buf)) || strspn(d, "0123456789") != strlen(d))
        return -1;
    errno = 0;
    long long x = strtoll(buf, NULL, 10);
    if (errno)
        return -1;
    *v = x;
    return 0;
}

int ins_kv_incr(ins_kv *kv, const char *key, size_t klen, int64_t *out)
{
    const char *val;
    size_t len;
    int64_t v = 0;
    int rc = ins_kv_get(kv, key, klen, &val, &len);
    if (rc == -2 || (rc == 0 && parse_i64(val, len, &v)) || v == INT64_MAX)
        return -1;
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)(v + 1));
    if (put(kv, key, klen, json_stringn(buf, (size_t)n)))
        return -1;
    *out = v + 1;
    return 0;
}

int ins_kv_hget(ins_kv *kv, const char *key, size_t klen, const char *field,
                size_t flen, const char **val, size_t *len)
{
    if (!is_key(key, klen) || !is_key(field, flen))
        return -2;
    json_t *h = lookup(kv, key, klen);
    if (!h)
        return -1;
    if (!json_is_object(h))
        return -2;
    json_t *v = json_object_getn(h, field, flen);
    if (!v)
        return -1;
    *val = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

int ins_kv_hset(ins_kv *kv, const char *key, size_t klen, const char *field,
                size_t flen, const char *val, size_t len)
{
    if (!is_key(key, klen) || !is_key(field, flen))
        return -1;
    json_t *h = lookup(kv, key, klen);
    if (h && !json_is_object(h))
        return -1;
    json_t *nh = h ? json_copy(h) : json_object();   /* shallow: strings shared */
    json_t *v = json_stringn(val, len);
    if (!nh || !v) {
        json_decref(nh);
        json_decref(v);
        return -1;
    }
    int fresh = json_object_getn(nh, field, flen) == NULL;
    if (json_object_setn_new(nh, field, flen, v)) {
        json_decref(nh);
        return -1;
    }
    return put(kv, key, klen, nh) ? -1 : fresh;
}

/* --- saving ----------------------------------------------------------------------- */

int ins_kv_save(ins_kv *kv, wh_err *err)
{
    if (!kv->path || !kv->dirty)
        return 0;
    char *text = json_dumps(kv->root, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!text)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    size_t n = strlen(text);
    char *data = realloc(text, n + 2);
    if (!data) {
        free(text);
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    memcpy(data + n, "\n", 2);
    int rc = wh_file_write_atomic(kv->path, data, n + 1, 0644, err);
    free(data);
    if (rc == 0)
        kv->dirty = 0;
    return rc;
}

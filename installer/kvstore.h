/* kvstore.h - the local key-value store behind Ferrite's host API in
 * `wharf run` (--store FILE): strings and hashes, kept as one JSON
 * object, so a UDF can be tried offline against data a person can read
 * and edit.  kvstore.c has the file's format and the rules.
 *
 * Keys, fields and values are byte strings; the store holds the ones
 * that are UTF-8 without NUL in keys and fields (JSON keys), which is
 * what Ferrite's own commands read and write.  Return codes follow
 * Ferrite's host API, so ferrite_host.c passes them on as they are.
 *
 * Tests: tests/cli/t2020-wharf-run.sh (through the host API).
 */
#ifndef INS_KVSTORE_H
#define INS_KVSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Largest store file read, and most bytes of keys, fields and values the
 * store holds (a set past it fails). */
#define INS_KV_MAX_FILE  ((size_t)64 << 20)
#define INS_KV_MAX_BYTES ((size_t)64 << 20)

typedef struct ins_kv ins_kv;

/* Open the store at path (created by ins_kv_save when it does not exist
 * yet), or an empty one in memory that is never saved when path is
 * NULL.  Errors: WH_E_FORMAT "FILE:LINE:COL: reason" for bad JSON,
 * "FILE: key 'k': ..." for a value of the wrong kind; WH_E_LIMIT. */
int ins_kv_open(ins_kv **kv, const char *path, wh_err *err);
void ins_kv_free(ins_kv *kv);

/* A string value: 0 and *val, *len (valid until the next change), -1 when
 * there is none, -2 when the key holds a hash or cannot be a key. */
int ins_kv_get(ins_kv *kv, const char *key, size_t klen,
               const char **val, size_t *len);
/* 0, or -1 when the key or value cannot be stored or the store is full.
 * A hash under key is replaced, as Redis SET does. */
int ins_kv_set(ins_kv *kv, const char *key, size_t klen,
               const char *val, size_t len);
/* 1 when key was removed, 0 when there was none, -1 when it cannot be a
 * key. */
int ins_kv_del(ins_kv *kv, const char *key, size_t klen);
/* 1 or 0; -1 when it cannot be a key. */
int ins_kv_exists(ins_kv *kv, const char *key, size_t klen);
/* Add 1 to the decimal integer under key (0 when there is none): 0 and
 * *out, or -1 when the value is not a 64-bit integer, would overflow,
 * or the key holds a hash (Redis's INCR errors). */
int ins_kv_incr(ins_kv *kv, const char *key, size_t klen, int64_t *out);
/* As ins_kv_get for field of the hash under key; -2 also when key holds
 * a string. */
int ins_kv_hget(ins_kv *kv, const char *key, size_t klen, const char *field,
                size_t flen, const char **val, size_t *len);
/* 1 when field is new, 0 when replaced, -1 when key holds a string or
 * something cannot be stored (Redis's HSET counts new fields). */
int ins_kv_hset(ins_kv *kv, const char *key, size_t klen, const char *field,
                size_t flen, const char *val, size_t len);

/* Write the store to its file atomically if anything changed (nothing
 * for an in-memory store). */
int ins_kv_save(ins_kv *kv, wh_err *err);

#endif

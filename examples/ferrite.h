/* ferrite.h - what a Ferrite UDF written in C sees of its host: the
 * "ferrite" import module and the buffer convention.  Shared by the
 * example modules in examples/NAME/ (each a reactor: no _start, only the
 * exports it names with FERRITE_EXPORT).
 *
 * The buffer convention: the module exports get_buffer_ptr() and
 * get_buffer_cap(); the host copies the input (at most cap bytes) to the
 * pointer, then calls FUNC(len) and takes its i32 result.
 * FERRITE_BUFFER(CAP) defines the buffer and both exports.
 *
 * The host API, with Ferrite's signatures and return codes (pointers are
 * offsets into the module's exported "memory"; a host checks every
 * pointer and length and fails the call instead of reading outside it):
 *
 *   log(level, ptr, len)                 a message; levels FERRITE_LOG_*
 *   time() -> i64                        milliseconds since the epoch
 *   get(kp, kl, bp, bcap) -> i32         bytes written (at most bcap),
 *                                        -1 not found, -2 error or denied
 *   set(kp, kl, vp, vl) -> i32           0 ok, -1 error or denied
 *   del(kp, kl) -> i32                   keys removed (0 or 1), -1 error
 *   exists(kp, kl) -> i32                1 or 0, -1 error or denied
 *   incr(kp, kl) -> i64                  the new value, INT64_MIN on error
 *   hget(kp, kl, fp, fl, bp, bcap) -> i32   as get, for a hash field
 *   hset(kp, kl, fp, fl, vp, vl) -> i32     as set, for a hash field
 *
 * get/exists/hget need a READ grant for the key, set/del/incr/hset a
 * WRITE grant; a denied call returns its error code, so a module must
 * treat every code as possible.  Only the imports a module calls end up
 * in its binary (the linker drops the others), so a module's import list
 * says which grants it can use.
 *
 * The examples are built with clang --target=wasm32-wasi -nostdlib: no C
 * library, so they define no _start or _initialize and import nothing but
 * "ferrite"; the few helpers they need are below.
 *
 * Tests: tests/cli/t2025-examples.sh (every example, and their logic run
 * against the stand-in host examples/wasm/udf-host.c).
 */
#ifndef FERRITE_H
#define FERRITE_H

#include <stdint.h>

#define FERRITE_IMPORT(name) \
    __attribute__((import_module("ferrite"), import_name(name)))
#define FERRITE_EXPORT(name) __attribute__((export_name(name)))

/* Log levels, as Ferrite's host names them (wharf run prints
 * "[info] MESSAGE"); a host takes any other number as error. */
enum { FERRITE_LOG_TRACE = 0, FERRITE_LOG_DEBUG = 1, FERRITE_LOG_INFO = 2,
       FERRITE_LOG_WARN = 3, FERRITE_LOG_ERROR = 4 };

FERRITE_IMPORT("log") void ferrite_log(int32_t level, const char *msg,
                                       int32_t len);
FERRITE_IMPORT("time") int64_t ferrite_time(void);
FERRITE_IMPORT("get") int32_t ferrite_get(const char *key, int32_t klen,
                                          char *buf, int32_t cap);
FERRITE_IMPORT("set") int32_t ferrite_set(const char *key, int32_t klen,
                                          const char *val, int32_t vlen);
FERRITE_IMPORT("del") int32_t ferrite_del(const char *key, int32_t klen);
FERRITE_IMPORT("exists") int32_t ferrite_exists(const char *key, int32_t klen);
FERRITE_IMPORT("incr") int64_t ferrite_incr(const char *key, int32_t klen);
FERRITE_IMPORT("hget") int32_t ferrite_hget(const char *key, int32_t klen,
                                            const char *field, int32_t flen,
                                            char *buf, int32_t cap);
FERRITE_IMPORT("hset") int32_t ferrite_hset(const char *key, int32_t klen,
                                            const char *field, int32_t flen,
                                            const char *val, int32_t vlen);

/* The input buffer and the two exports that publish it.  A module uses
 * ferrite_buffer[0..len) after checking len with FERRITE_LEN_OK. */
#define FERRITE_BUFFER(cap)                                              \
    static char ferrite_buffer[cap];                                     \
    FERRITE_EXPORT("get_buffer_ptr") int32_t get_buffer_ptr(void)        \
    {                                                                    \
        return (int32_t)(uintptr_t)ferrite_buffer;                       \
    }                                                                    \
    FERRITE_EXPORT("get_buffer_cap") int32_t get_buffer_cap(void)        \
    {                                                                    \
        return (int32_t)sizeof ferrite_buffer;                           \
    }

/* A length the host may have passed: within the buffer. */
#define FERRITE_LEN_OK(len) ((len) >= 0 && (len) <= (int32_t)sizeof ferrite_buffer)

/* Decimal digits of v (v >= 0) written at p; returns how many.  No C
 * library here, so no snprintf. */
static inline int32_t ferrite_utoa(char *p, uint64_t v)
{
    char tmp[20];
    int32_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

/* Append the n bytes at s to dst at *at, within cap; returns 0, or -1
 * (nothing appended) when they do not fit. */
static inline int ferrite_append(char *dst, int32_t cap, int32_t *at,
                                 const char *s, int32_t n)
{
    int32_t i;

    if (n < 0 || n > cap - *at)
        return -1;
    for (i = 0; i < n; i++)
        dst[*at + i] = s[i];
    *at += n;
    return 0;
}

#endif

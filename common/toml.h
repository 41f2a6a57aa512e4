/* toml.h - TOML 1.0 documents: parse, walk, look up, check types.
 *
 * wh_toml_parse() turns a TOML 1.0 document (https://toml.io/en/v1.0.0)
 * into a tree of values owned by one wh_toml.  Every value remembers the
 * line:column where it was written and its place in the tree, so code that
 * validates a manifest can say
 *
 *     plugin.toml:4:11: 'plugin.version' must be a string
 *
 * with one call (wh_toml_need, wh_toml_expect).  Tables keep their keys in
 * document order.  Strings and keys are byte strings with a length: TOML
 * allows "\u0000" in both, so never rely on the terminating NUL alone.
 *
 *     wh_toml *doc;
 *     if (wh_toml_parse(buf, len, "plugin.toml", &doc, err))
 *         return err->code;
 *     const wh_toml_value *v;
 *     int rc = wh_toml_need(wh_toml_root(doc), "plugin.name",
 *                           WH_TOML_STRING, &v, err);
 *     if (rc == 0)
 *         name = wh_toml_string(v, &name_len);
 *     wh_toml_free(doc);
 *
 * Values are read-only and live until wh_toml_free().  Accessors accept
 * NULL (and a value of another type) and then return NULL / false / 0, so
 * lookups chain without checks in between.
 *
 * Cost: a value takes about 100 bytes, so the worst input (a long array of
 * one-digit numbers) needs some 50 bytes of memory per byte of text; pass
 * a max_size that suits the file (the 1 MiB default bounds that at some
 * 50 MiB; a manifest needs far less).  Floats are read with strtod(),
 * which assumes the "C" numeric locale (the default; wharf never changes
 * it).
 */
#ifndef WH_TOML_H
#define WH_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct wh_toml wh_toml;             /* a parsed document */
typedef struct wh_toml_value wh_toml_value; /* one node of its tree */

typedef enum wh_toml_type {
    WH_TOML_NONE = 0,        /* only for a NULL value */
    WH_TOML_TABLE,
    WH_TOML_ARRAY,
    WH_TOML_STRING,
    WH_TOML_INTEGER,         /* int64_t */
    WH_TOML_FLOAT,           /* double, may be inf or nan */
    WH_TOML_BOOL,
    WH_TOML_DATETIME,        /* offset date-time  1979-05-27T07:32:00Z */
    WH_TOML_DATETIME_LOCAL,  /* local date-time   1979-05-27T07:32:00 */
    WH_TOML_DATE_LOCAL,      /* local date        1979-05-27 */
    WH_TOML_TIME_LOCAL,      /* local time        07:32:00 */
} wh_toml_type;

/* The fields of the four date/time kinds.  Fields a kind does not have
 * are 0.  second may be 60 (RFC 3339 leap second); nanosecond holds the
 * first nine fraction digits (more are truncated, as the spec allows). */
typedef struct wh_toml_datetime {
    int year, month, day;
    int hour, minute, second;
    int nanosecond;
    int offset_minutes;      /* east of UTC: -07:00 is -420, Z is 0 */
    const char *text;        /* as written, e.g. "1979-05-27 07:32:00z" */
} wh_toml_datetime;

/* Defaults of wh_toml_limits. */
#define WH_TOML_MAX_SIZE  ((size_t)1 << 20)   /* bytes of input */
#define WH_TOML_MAX_DEPTH 128                 /* nested tables and arrays */
#define WH_TOML_DEPTH_CEIL 1024               /* largest max_depth allowed */

typedef struct wh_toml_limits {
    size_t max_size;   /* longer input fails with WH_E_LIMIT */
    int    max_depth;  /* 1..WH_TOML_DEPTH_CEIL; deeper fails, WH_E_LIMIT */
} wh_toml_limits;

/* Parse len bytes at src (need not be NUL-terminated; a leading UTF-8 BOM
 * is skipped) into *out, which the caller frees with wh_toml_free().  path
 * names the input in errors and may be NULL.  Returns 0, or WH_E_FORMAT
 * with line:column for any violation of TOML 1.0 (syntax, encoding,
 * redefinition, range), WH_E_LIMIT when a limit is exceeded, WH_E_NOMEM;
 * *out is NULL on failure.  Uses the default limits. */
int wh_toml_parse(const char *src, size_t len, const char *path,
                  wh_toml **out, wh_err *err);

/* As wh_toml_parse with caller-chosen limits (NULL = defaults). */
int wh_toml_parse_limits(const char *src, size_t len, const char *path,
                         const wh_toml_limits *lim, wh_toml **out,
                         wh_err *err);

/* Free a document and every value in it.  NULL is allowed. */
void wh_toml_free(wh_toml *doc);

/* The top-level table of doc; the path given to wh_toml_parse ("" if
 * none). */
const wh_toml_value *wh_toml_root(const wh_toml *doc);
const char *wh_toml_doc_path(const wh_toml *doc);

/* --- Any value --- */

wh_toml_type wh_toml_type_of(const wh_toml_value *v);

/* "table", "array", "string", "integer", "float", "bool", "datetime",
 * "datetime-local", "date-local", "time-local" (the toml-test names);
 * "none" for WH_TOML_NONE. */
const char *wh_toml_type_name(wh_toml_type t);

/* Where v starts in the document (1-based; columns count characters).
 * A table defined by a [header] is at its '['; a table created by a
 * dotted key or a header's prefix is where that key was first written;
 * the root is 0:0. */
int wh_toml_line(const wh_toml_value *v);
int wh_toml_col(const wh_toml_value *v);

/* Write v's full name into buf (always NUL-terminated, truncated to n):
 * "plugin.capabilities[2]"; a key that is not a bare key is quoted as a
 * basic string ("a.b"."c d" -> "\"a.b\".\"c d\""); the root is "". */
char *wh_toml_name(const wh_toml_value *v, char *buf, size_t n);

/* Entries of a table or elements of an array; 0 for anything else. */
size_t wh_toml_len(const wh_toml_value *v);

/* --- Tables --- */

/* The value of key in table t, or NULL.  wh_toml_getn takes a length, so
 * it can look up keys that contain NUL. */
const wh_toml_value *wh_toml_get(const wh_toml_value *t, const char *key);
const wh_toml_value *wh_toml_getn(const wh_toml_value *t, const char *key,
                                  size_t keylen);

/* Follow a dotted path of keys from t: "plugin.capabilities".  Each part
 * between dots is taken literally (no quoting), so keys that contain a
 * dot need wh_toml_get.  Does not descend into arrays. NULL if absent. */
const wh_toml_value *wh_toml_get_path(const wh_toml_value *t,
                                      const char *path);

/* The i-th entry of table t in document order (NULL when i is out of
 * range); *key / *keylen (each may be NULL) receive its key. */
const wh_toml_value *wh_toml_entry(const wh_toml_value *t, size_t i,
                                   const char **key, size_t *keylen);

/* --- Arrays --- */

/* Element i of array a, or NULL when out of range. */
const wh_toml_value *wh_toml_at(const wh_toml_value *a, size_t i);

/* --- Scalars --- */

/* The bytes of a string (NUL-terminated for convenience, but may contain
 * NUL: use *len, which may be NULL).  NULL if v is not a string. */
const char *wh_toml_string(const wh_toml_value *v, size_t *len);

/* Store the value and return true, or return false (and leave *out) if v
 * is not of that type.  No conversions: an integer is not a float. */
bool wh_toml_int(const wh_toml_value *v, int64_t *out);
bool wh_toml_float(const wh_toml_value *v, double *out);
bool wh_toml_bool(const wh_toml_value *v, bool *out);

/* The fields of any of the four date/time kinds, or NULL. */
const wh_toml_datetime *wh_toml_datetime_of(const wh_toml_value *v);

/* --- Checked access, for validating a document --- */

/* 0 if v (not NULL) has type t, else WH_E_FORMAT "'plugin.version' must
 * be a string" at v's line:column in the document's path. */
int wh_toml_expect(const wh_toml_value *v, wh_toml_type t, wh_err *err);

/* Look up the dotted path under table t (as wh_toml_get_path) and check
 * the type.  Returns 0 and sets *out (may be NULL); WH_E_FORMAT
 * "missing key 'plugin.name'" at t's position when absent (or when a
 * part on the way is not a table: then "'plugin' must be a table" at its
 * position); WH_E_FORMAT from wh_toml_expect on a type mismatch. */
int wh_toml_need(const wh_toml_value *t, const char *path, wh_toml_type type,
                 const wh_toml_value **out, wh_err *err);

#endif

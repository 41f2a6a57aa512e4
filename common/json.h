/* json.h - JSON in and out for wharf (through jansson).
 *
 * Everything wharf hashes or signs (the index, its package records) is
 * written as *canonical JSON*: object keys sorted byte-wise (UTF-8 byte
 * order, which equals code-point order), no insignificant white space,
 * strings as UTF-8 with only the escapes JSON requires (", \, and control
 * characters: \b \f \n \r \t, others as \u00XX), integers only.  Real
 * numbers are refused: their text form is not canonical across libraries,
 * and no wharf format needs them.  Equal trees give equal bytes, so a
 * signature over the bytes is a signature over the data.
 *
 * Reading is strict: duplicate keys are an error, nesting depth and size
 * are capped, and errors carry line:column.
 */
#ifndef WH_JSON_H
#define WH_JSON_H

#include <stddef.h>
#include <jansson.h>

#include "common/err.h"

#define WH_JSON_MAX_DEPTH 64

/* Canonical bytes of v into a malloc'd NUL-terminated *out (*len without
 * the NUL).  Fails with WH_E_FORMAT on a real number or nesting deeper
 * than WH_JSON_MAX_DEPTH. */
int wh_json_canon(const json_t *v, char **out, size_t *len, wh_err *err);

/* v as one line of canonical JSON on standard output: what every --json
 * of the commands prints (err may be NULL). */
int wh_json_print(const json_t *v, wh_err *err);

/* Parse len bytes of buf (path names it in errors).  Duplicate keys,
 * trailing data and nesting deeper than WH_JSON_MAX_DEPTH are errors.
 * The caller owns *out (json_decref). */
int wh_json_parse(const char *buf, size_t len, const char *path, json_t **out,
                  wh_err *err);

/* 0 when the len bytes at bytes are exactly what wh_json_canon writes for
 * what wh_json_parse reads from them: the same answer as parsing, writing
 * back and comparing, in one pass with no allocation (the grammar is in
 * json.c).  Otherwise WH_E_FORMAT with path, the byte offset and the
 * reason, "not canonical JSON: keys out of order" (white space, duplicate
 * key, escape \u00e9 where canonical JSON writes the character, real
 * number, leading zero, invalid UTF-8, unexpected end of data, ...), or
 * WH_E_LIMIT for nesting deeper than WH_JSON_MAX_DEPTH, as the parser
 * says. */
int wh_json_canon_check(const char *bytes, size_t len, const char *path,
                        wh_err *err);

#endif

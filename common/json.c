/* json.c - canonical JSON output and strict JSON input (see json.h).
 *
 * jansson already writes compact output with sorted keys (byte order,
 * which on UTF-8 is code-point order) and escapes exactly the characters
 * JSON requires; what this file adds is the refusal of reals, which
 * jansson would print with %.17g, and a depth limit checked before jansson
 * recurses.
 *
 * CHECKING CANONICAL BYTES.  wh_json_canon_check decides "would parsing
 * these bytes and writing them back give the same bytes?" without a tree:
 * one pass, no allocation, a stack of WH_JSON_MAX_DEPTH open containers.
 * It is a recogniser for the one grammar jansson 2.14's compact sorted
 * output can take (json_dumps, dump.c), restricted to what our reader
 * accepts (wh_json_parse, load.c):
 *
 *   value   = object / array / string / integer / true / false / null
 *   object  = "{}" / "{" string ":" value *("," string ":" value) "}"
 *             keys strictly increasing: memcmp of the decoded bytes, a
 *             prefix first (dump.c's compare_keys); equal = a duplicate
 *   array   = "[]" / "[" value *("," value) "]"
 *   integer = "0" / ["-"] %x31-39 *DIGIT, within long long ("%lld")
 *   string  = quote *char quote
 *   char    = UTF-8 of a code point >= U+0020 but '"' and '\' (strict:
 *             no overlong forms, surrogates or code points > U+10FFFF)
 *             / \" / \\ / \b / \f / \n / \r / \t
 *             / \u00XX with upper-case hex for the other code points
 *             below U+0020 ("\u%04X"); never \u0000 in a key, which
 *             jansson's reader refuses
 *
 * Nesting deeper than WH_JSON_MAX_DEPTH containers is refused as the
 * parser's pre-pass refuses it.  Keys are compared as decoded bytes, not
 * as written: "\n" (0x0a) sorts before "A" although a backslash is 0x5c.  The
 * previous key of each open object is remembered by its offset and
 * decoded again for the comparison, which almost always ends at the
 * first byte or two.  tests/unit/json_canon_test.c checks the equivalence
 * with the old definition (parse, wh_json_canon, compare) on generated
 * documents and on every kind of mutation of them.
 *
 * Tests: tests/unit/json_test.c, tests/unit/json_canon_test.c
 */
#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reject reals and excessive depth; *where names the offending key. */
static int check_canon(const json_t *v, int depth, wh_err *err)
{
    if (depth > WH_JSON_MAX_DEPTH)
        return wh_fail(err, WH_E_FORMAT, NULL, -1,
                       "JSON nested deeper than %d levels", WH_JSON_MAX_DEPTH);
    if (json_is_real(v))
        return wh_fail(err, WH_E_FORMAT, NULL, -1,
                       "real number %g has no canonical form", json_real_value(v));
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            int rc = check_canon(json_array_get(v, i), depth + 1, err);
            if (rc) {               /* wh_err_prefix(NULL) returns 0, not rc */
                wh_err_prefix(err, "[%zu]", i);
                return rc;
            }
        }
    } else if (json_is_object(v)) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)v, key, val) {
            int rc = check_canon(val, depth + 1, err);
            if (rc) {
                wh_err_prefix(err, "'%s'", key);
                return rc;
            }
        }
    }
    return 0;
}

int wh_json_print(const json_t *v, wh_err *err)
{
    char *text;
    size_t len;
    int rc = v ? wh_json_canon(v, &text, &len, err)
               : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0) {
        printf("%s\n", text);
        free(text);
    }
    return rc;
}

int wh_json_canon(const json_t *v, char **out, size_t *len, wh_err *err)
{
    *out = NULL;
    *len = 0;
    int rc = check_canon(v, 0, err);
    if (rc)
        return rc;
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!s)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, "cannot serialise JSON");
    *out = s;
    *len = strlen(s);
    return 0;
}

/* Depth of the deepest [ or { in raw JSON text, ignoring strings; a cheap
 * pre-pass so jansson's own recursion never sees a hostile depth. */
static int too_deep(const char *buf, size_t len, size_t *where)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > WH_JSON_MAX_DEPTH) {
                *where = i;
                return 1;
            }
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 0;
}

int wh_json_parse(const char *buf, size_t len, const char *path, json_t **out,
                  wh_err *err)
{
    *out = NULL;
    size_t where;
    if (too_deep(buf, len, &where))
        return wh_fail(err, WH_E_LIMIT, path, (long long)where,
                       "JSON nested deeper than %d levels", WH_JSON_MAX_DEPTH);
    json_error_t je;
    json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY |
                           JSON_ALLOW_NUL, &je);
    if (!v)
        return wh_fail_at(err, WH_E_FORMAT, path, je.line > 0 ? je.line : 1,
                          je.column > 0 ? je.column : 1, "%s", je.text);
    *out = v;
    return 0;
}

/* --- the canonical-form check ------------------------------------------------- */

/* One pass over bytes[0..len): where we are and where the errors go. */
typedef struct {
    const unsigned char *s;
    size_t len, pos;
    const char *path;
    wh_err *err;
} canon_rd;

/* One open container: its closing byte and, for an object, the offset of
 * its last key's opening quote (SIZE_MAX before the first). */
typedef struct {
    unsigned char close;
    size_t prev_key;
} canon_level;

static int refuse(canon_rd *r, size_t at, const char *reason)
{
    return wh_fail(r->err, WH_E_FORMAT, r->path, (long long)at,
                   "not canonical JSON: %s", reason);
}

/* JSON's insignificant white space, which canonical JSON never has. */
static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The byte at `at` is not what the grammar allows there: say what it is. */
static int unexpected(canon_rd *r, size_t at)
{
    if (at >= r->len)
        return refuse(r, r->len, "unexpected end of data");
    unsigned char c = r->s[at];
    if (is_space(c))
        return refuse(r, at, "white space");
    if (c > 0x20 && c < 0x7f)
        return wh_fail(r->err, WH_E_FORMAT, r->path, (long long)at,
                       "not canonical JSON: unexpected '%c'", c);
    return wh_fail(r->err, WH_E_FORMAT, r->path, (long long)at,
                   "not canonical JSON: unexpected byte 0x%02x", c);
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Length of the strict UTF-8 sequence of a non-ASCII character at p (n
 * bytes left), or 0 (RFC 3629's table: no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xbf;
    size_t k = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
             : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (k == 0 || n < k || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return k;
}

/* The short escape canonical JSON writes for byte c, or 0. */
static char short_escape(int c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    default: return 0;
    }
}

/* A \uXXXX escape at e (the backslash; six bytes present): canonical
 * only for a control character with no short form, in upper-case hex. */
static int check_u_escape(canon_rd *r, size_t e, int in_key)
{
    const unsigned char *u = r->s + e;
    int v = 0;
    for (int i = 2; i < 6; i++) {
        int h = hexval(u[i]);
        if (h < 0)
            return refuse(r, e, "invalid escape");
        v = v * 16 + h;
    }
    char esc[8], want[8];
    snprintf(esc, sizeof esc, "%.6s", (const char *)u);
    if (v >= 0x20 && !short_escape(v))
        return wh_fail(r->err, WH_E_FORMAT, r->path, (long long)e, "not canonical "
                       "JSON: escape %s where canonical JSON writes the "
                       "character", esc);
    if (short_escape(v))
        snprintf(want, sizeof want, "\\%c", short_escape(v));
    else
        snprintf(want, sizeof want, "\\u%04X", (unsigned)v);
    if (strcmp(esc, want) != 0)
        return wh_fail(r->err, WH_E_FORMAT, r->path, (long long)e, "not canonical "
                       "JSON: escape %s where canonical JSON writes %s", esc, want);
    if (v == 0 && in_key)
        return refuse(r, e, "NUL byte in an object key");
    return 0;
}

/* The escape at e (a backslash): its length, or 0 with *rc set. */
static size_t check_escape(canon_rd *r, size_t e, int in_key, int *rc)
{
    if (e + 1 >= r->len) {
        *rc = unexpected(r, r->len);
        return 0;
    }
    unsigned char c = r->s[e + 1];
    if (c == '"' || c == '\\' || c == 'b' || c == 'f' || c == 'n' || c == 'r' ||
        c == 't')
        return 2;
    if (c == '/')
        *rc = refuse(r, e, "escape \\/ where canonical JSON writes the character");
    else if (c != 'u')
        *rc = refuse(r, e, "invalid escape");
    else if (e + 6 > r->len)
        *rc = unexpected(r, r->len);
    else if ((*rc = check_u_escape(r, e, in_key)) == 0)
        return 6;
    return 0;
}

/* The string whose opening quote is at r->pos; leaves r->pos after its
 * closing quote.  Plain ASCII, by far the most of an index, takes the
 * first loop alone. */
static int check_string(canon_rd *r, int in_key)
{
    const unsigned char *s = r->s;
    size_t p = r->pos + 1, n = r->len;
    for (;;) {
        while (p < n && s[p] >= 0x20 && s[p] < 0x80 && s[p] != '"' && s[p] != '\\')
            p++;
        if (p >= n)
            return unexpected(r, n);
        size_t k;
        int rc = 0;
        if (s[p] == '"') {
            r->pos = p + 1;
            return 0;
        } else if (s[p] == '\\') {
            k = check_escape(r, p, in_key, &rc);
        } else if (s[p] < 0x20) {
            return wh_fail(r->err, WH_E_FORMAT, r->path, (long long)p, "not canonical "
                           "JSON: control character 0x%02x in a string", s[p]);
        } else if ((k = utf8_len(s + p, n - p)) == 0) {
            rc = refuse(r, p, "invalid UTF-8");
        }
        if (rc)
            return rc;
        p += k;
    }
}

/* The next decoded byte of a checked canonical string at *i (every escape
 * there stands for one byte), or -1 at its closing quote. */
static int key_byte(const unsigned char *s, size_t *i)
{
    unsigned char c = s[*i];
    if (c != '\\') {
        *i += c != '"';
        return c == '"' ? -1 : c;
    }
    c = s[*i + 1];
    *i += c == 'u' ? 6 : 2;
    switch (c) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'u': return hexval(s[*i - 2]) * 16 + hexval(s[*i - 1]);
    default: return c;                      /* \" and \\ */
    }
}

/* The key at `cur` must come after the one at `prev` (both checked). */
static int check_key_order(canon_rd *r, size_t prev, size_t cur)
{
    size_t i = prev + 1, j = cur + 1;
    int a, b;
    do {
        a = key_byte(r->s, &i);
        b = key_byte(r->s, &j);
    } while (a == b && a >= 0);
    if (a == b)
        return refuse(r, cur, "duplicate key");
    return a > b ? refuse(r, cur, "keys out of order") : 0;
}

/* An integer's digits at d (n of them), negative or not, fit a long long. */
static int fits_llong(const unsigned char *d, size_t n, int neg)
{
    const char *max = neg ? "9223372036854775808" : "9223372036854775807";
    return n < 19 || (n == 19 && memcmp(d, max, 19) <= 0);
}

/* A number at r->pos (a '-' or a digit): canonical only as an integer in
 * %lld's form. */
static int check_number(canon_rd *r)
{
    const unsigned char *s = r->s;
    size_t start = r->pos, p = start + (s[start] == '-'), d = p;
    while (p < r->len && s[p] >= '0' && s[p] <= '9')
        p++;
    if (p == d)
        return unexpected(r, p);
    if (p < r->len && (s[p] == '.' || s[p] == 'e' || s[p] == 'E')) {
        while (p < r->len && strchr("0123456789.eE+-", s[p]) && s[p])
            p++;
        return wh_fail(r->err, WH_E_FORMAT, r->path, (long long)start, "not "
                       "canonical JSON: real number %.*s (integers only)",
                       (int)(p - start > 40 ? 40 : p - start), (const char *)s + start);
    }
    if (s[d] == '0' && p - d > 1)
        return refuse(r, start, "leading zero");
    if (s[d] == '0' && d > start)
        return refuse(r, start, "negative zero");
    if (!fits_llong(s + d, p - d, d > start))
        return refuse(r, start, "integer out of range");
    r->pos = p;
    return 0;
}

static int check_literal(canon_rd *r, const char *lit)
{
    for (size_t i = 0; lit[i]; i++)
        if (r->pos + i >= r->len || r->s[r->pos + i] != (unsigned char)lit[i])
            return unexpected(r, r->pos + i);
    r->pos += strlen(lit);
    return 0;
}

/* A value other than an object or array at r->pos. */
static int check_scalar(canon_rd *r)
{
    if (r->pos >= r->len)
        return unexpected(r, r->pos);
    switch (r->s[r->pos]) {
    case '"': return check_string(r, 0);
    case 't': return check_literal(r, "true");
    case 'f': return check_literal(r, "false");
    case 'n': return check_literal(r, "null");
    default:
        if (r->s[r->pos] == '-' || (r->s[r->pos] >= '0' && r->s[r->pos] <= '9'))
            return check_number(r);
        return unexpected(r, r->pos);
    }
}

/* An object's key and its colon at r->pos; l is the object's level. */
static int check_key(canon_rd *r, canon_level *l)
{
    size_t at = r->pos;
    if (at >= r->len || r->s[at] != '"')
        return unexpected(r, at);
    int rc = check_string(r, 1);
    if (rc == 0 && l->prev_key != SIZE_MAX)
        rc = check_key_order(r, l->prev_key, at);
    if (rc)
        return rc;
    l->prev_key = at;
    if (r->pos >= r->len || r->s[r->pos] != ':')
        return unexpected(r, r->pos);
    r->pos++;
    return 0;
}

/* Open the container at r->pos ('{' or '['), unless it is one too deep. */
static int open_container(canon_rd *r, canon_level *stack, int *depth)
{
    if (*depth == WH_JSON_MAX_DEPTH)
        return wh_fail(r->err, WH_E_LIMIT, r->path, (long long)r->pos,
                       "JSON nested deeper than %d levels", WH_JSON_MAX_DEPTH);
    canon_level *l = &stack[(*depth)++];
    l->close = r->s[r->pos] == '{' ? '}' : ']';
    l->prev_key = SIZE_MAX;
    r->pos++;
    return 0;
}

/* A value at r->pos.  A container that is not empty stays open (*open =
 * 1), its first key read if it is an object; anything else is read whole. */
static int start_value(canon_rd *r, canon_level *stack, int *depth, int *open)
{
    *open = 0;
    if (r->pos >= r->len || (r->s[r->pos] != '{' && r->s[r->pos] != '['))
        return check_scalar(r);
    int rc = open_container(r, stack, depth);
    if (rc)
        return rc;
    canon_level *l = &stack[*depth - 1];
    if (r->pos < r->len && r->s[r->pos] == l->close) {
        r->pos++;
        (*depth)--;
        return 0;
    }
    *open = 1;
    return l->close == '}' ? check_key(r, l) : 0;
}

/* After a value: close the containers that end here, then either the
 * document ends (*done = 1) or a comma, and in an object the next key,
 * leads to the next value. */
static int after_value(canon_rd *r, canon_level *stack, int *depth, int *done)
{
    while (*depth > 0 && r->pos < r->len && r->s[r->pos] == stack[*depth - 1].close) {
        r->pos++;
        (*depth)--;
    }
    *done = *depth == 0;
    if (*done && r->pos < r->len && !is_space(r->s[r->pos]))
        return refuse(r, r->pos, "data after the value");
    if (*done)
        return r->pos < r->len ? unexpected(r, r->pos) : 0;
    if (r->pos >= r->len || r->s[r->pos] != ',')
        return unexpected(r, r->pos);
    r->pos++;
    canon_level *l = &stack[*depth - 1];
    return l->close == '}' ? check_key(r, l) : 0;
}

int wh_json_canon_check(const char *bytes, size_t len, const char *path,
                        wh_err *err)
{
    canon_rd r = { (const unsigned char *)bytes, len, 0, path, err };
    canon_level stack[WH_JSON_MAX_DEPTH];
    int depth = 0, open, done = 0;
    while (!done) {
        int rc = start_value(&r, stack, &depth, &open);
        if (rc == 0 && !open)
            rc = after_value(&r, stack, &depth, &done);
        if (rc)
            return rc;
    }
    return 0;
}

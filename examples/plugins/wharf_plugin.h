/* wharf_plugin.h - what a wharf-index plugin written in C sees of its
 * host, and the few helpers a plugin without a C library needs.  Shared
 * by the example plugins in examples/plugins/NAME/NAME.c (each one file,
 * including this header once).
 *
 * The ABI (issue 11, docs/plugins.md): a core WebAssembly module that
 * exports "memory" and alloc(len) -> ptr; the host calls alloc for each
 * input, copies the input there and calls a function with (ptr, len) i32
 * pairs; the function returns an i64 (ptr << 32) | len naming UTF-8 JSON
 * it wrote in its memory.  Imports, module "wharf", nothing else (no
 * WASI, so the plugins are built with clang --target=wasm32 -nostdlib):
 *
 *   log(level, ptr, len)        a message; levels WP_LOG_*
 *   config(ptr, cap) -> i32     writes the plugin's config as JSON (at
 *                               most cap bytes) and returns its length,
 *                               or the length needed when cap is short
 *
 * Design.  Memory is a bump allocator from __heap_base, growing the
 * memory as needed and never freeing: the host instantiates a plugin for
 * each call, so a call's garbage goes with its instance.  Results are
 * written into a wp_buf, which doubles its storage as it grows and
 * remembers running out (wp_buf.failed) instead of writing past its end;
 * a function whose buffer failed returns 0, which a host reads as "no
 * result".  Inputs are hostile: the JSON reader below bounds every step
 * by the input's length, limits nesting to WP_JSON_DEPTH and reports a
 * malformed text as "not found", never reading outside it.  Only the
 * imports a plugin calls end up in its binary (wasm-ld drops the others).
 *
 * Tests: tests/cli/t2026-example-plugins.sh.
 */
#ifndef WHARF_PLUGIN_H
#define WHARF_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define WP_IMPORT(name) \
    __attribute__((import_module("wharf"), import_name(name)))
#define WP_EXPORT(name) __attribute__((export_name(name)))
/* Helpers a plugin may not call: no warning for the ones it leaves. */
#define WP_FN static __attribute__((unused))

enum { WP_LOG_DEBUG = 0, WP_LOG_INFO = 1, WP_LOG_WARN = 2, WP_LOG_ERROR = 3 };
#define WP_JSON_DEPTH 64
#define WP_CONFIG_MAX (64 * 1024)   /* a config larger than this is ignored */

WP_IMPORT("log") void wharf_log(int32_t level, const char *msg, int32_t len);
WP_IMPORT("config") int32_t wharf_config(char *buf, int32_t cap);

/* --- bytes (clang may call these for copies, so they carry libc names) --- */

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
#ifndef WP_HOSTED   /* host.c links a C library, which has them */

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}
#endif

WP_FN size_t wp_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

WP_FN int wp_eq(const char *a, size_t an, const char *b)
{
    size_t bn = wp_strlen(b);
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* --- memory --- */

extern unsigned char __heap_base;

/* Bump-allocate len bytes, 8-aligned; 0 when the memory cannot grow.
 * Under host.c (WP_HOSTED) the C library owns the heap, so malloc. */
#ifdef WP_HOSTED
void *malloc(size_t len);
#define wp_alloc(len) malloc(len)
#else
static uintptr_t wp_heap_top;
WP_FN void *wp_alloc(size_t len)
{
    if (!wp_heap_top)
        wp_heap_top = (uintptr_t)&__heap_base;
    uintptr_t p = (wp_heap_top + 7) & ~(uintptr_t)7;
    if (len > UINT32_MAX - p)
        return 0;
    uintptr_t end = p + len;
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        size_t pages = (end - have + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1)
            return 0;
    }
    wp_heap_top = end;
    return (void *)p;
}
#endif

WP_EXPORT("alloc") int32_t alloc(int32_t len)
{
    if (len < 0)
        return 0;
    return (int32_t)(uintptr_t)wp_alloc((size_t)len);
}

/* --- output --- */

typedef struct wp_buf {
    char  *p;
    size_t len, cap;
    int    failed;      /* ran out of memory: the contents are incomplete */
} wp_buf;

/* Make room for n more bytes; 0 or -1 (and failed set). */
WP_FN int wp_reserve(wp_buf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (n <= b->cap - b->len)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        if (cap > UINT32_MAX / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = wp_alloc(cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    if (b->len)
        memcpy(p, b->p, b->len);
    b->p = p;
    b->cap = cap;
    return 0;
}

WP_FN void wp_put(wp_buf *b, const char *s, size_t n)
{
    if (wp_reserve(b, n) == 0) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    }
}

WP_FN void wp_puts(wp_buf *b, const char *s)
{
    wp_put(b, s, wp_strlen(s));
}

WP_FN void wp_put_u64(wp_buf *b, uint64_t v)
{
    char d[20];
    size_t n = 0;
    do {
        d[sizeof d - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    wp_put(b, d + sizeof d - n, n);
}

/* s[0..n) as a JSON string.  Bytes are copied as they are (the caller
 * passes UTF-8); quotes, backslashes and control characters are escaped. */
WP_FN void wp_put_jstr(wp_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    wp_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = { '\\', (char)c };
            wp_put(b, e, 2);
        } else if (c < 0x20) {
            char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            wp_put(b, e, 6);
        } else {
            wp_put(b, (const char *)&c, 1);
        }
    }
    wp_put(b, "\"", 1);
}

/* "key":"value" with a leading comma unless first. */
WP_FN void wp_put_pair(wp_buf *b, int first, const char *key,
                        const char *val, size_t vlen)
{
    if (!first)
        wp_put(b, ",", 1);
    wp_put_jstr(b, key, wp_strlen(key));
    wp_put(b, ":", 1);
    wp_put_jstr(b, val, vlen);
}

/* s[0..n) in standard base64 with padding (RFC 4648 section 4). */
WP_FN void wp_put_base64(wp_buf *b, const unsigned char *s, size_t n)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (wp_reserve(b, (n + 2) / 3 * 4) != 0)
        return;
    char *o = b->p + b->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3, o += 4) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        o[0] = abc[v >> 18];
        o[1] = abc[v >> 12 & 63];
        o[2] = abc[v >> 6 & 63];
        o[3] = abc[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
        o[0] = abc[v >> 18];
        o[1] = abc[v >> 12 & 63];
        o[2] = i + 1 < n ? abc[v >> 6 & 63] : '=';
        o[3] = '=';
        o += 4;
    }
    b->len = (size_t)(o - b->p);
}

/* The i64 a plugin function returns: (ptr << 32) | len, 0 if incomplete. */
WP_FN int64_t wp_result(const wp_buf *b)
{
    if (b->failed || !b->p)
        return 0;
    return (int64_t)((uint64_t)(uintptr_t)b->p << 32 | (uint32_t)b->len);
}

WP_FN void wp_log(int level, const char *msg)
{
    wharf_log(level, msg, (int32_t)wp_strlen(msg));
}

/* --- input: a small JSON reader --- */

typedef struct wp_slice {
    const char *p;
    size_t      n;
} wp_slice;

WP_FN size_t wp_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* The end of the string starting at s[i] == '"', or 0 if unterminated. */
WP_FN size_t wp_skip_str(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return 0;
}

/* The end of the value starting at s[i], or 0 if malformed.  Containers
 * are skipped by counting brackets outside strings, to WP_JSON_DEPTH. */
WP_FN size_t wp_skip_value(const char *s, size_t n, size_t i)
{
    if (i >= n)
        return 0;
    if (s[i] == '"')
        return wp_skip_str(s, n, i);
    if (s[i] != '{' && s[i] != '[') {
        while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' &&
               s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
            i++;
        return i;
    }
    int depth = 0;
    for (; i < n; i++) {
        if (s[i] == '"') {
            size_t e = wp_skip_str(s, n, i);
            if (!e)
                return 0;
            i = e - 1;
        } else if (s[i] == '{' || s[i] == '[') {
            if (++depth > WP_JSON_DEPTH)
                return 0;
        } else if ((s[i] == '}' || s[i] == ']') && --depth == 0) {
            return i + 1;
        }
    }
    return 0;
}

/* The raw text of member key of the top-level object s[0..n); 0 if found,
 * -1 if absent or the text is malformed before it.  Keys are compared as
 * written, so a key spelled with escapes never matches. */
WP_FN int wp_json_get(const char *s, size_t n, const char *key, wp_slice *out)
{
    size_t i = wp_ws(s, n, 0);
    if (i >= n || s[i] != '{')
        return -1;
    i = wp_ws(s, n, i + 1);
    while (i < n && s[i] == '"') {
        size_t k = i + 1, kend = wp_skip_str(s, n, i);
        if (!kend)
            return -1;
        i = wp_ws(s, n, kend);
        if (i >= n || s[i] != ':')
            return -1;
        size_t v = wp_ws(s, n, i + 1), vend = wp_skip_value(s, n, v);
        if (!vend || vend == v)
            return -1;
        if (wp_eq(s + k, kend - 1 - k, key)) {
            out->p = s + v;
            out->n = vend - v;
            return 0;
        }
        i = wp_ws(s, n, vend);
        if (i < n && s[i] == ',')
            i = wp_ws(s, n, i + 1);
    }
    return -1;
}

/* A string value's contents, without quotes, when it has no escapes (the
 * plugins read names, versions and patterns, which need none); 0 or -1. */
WP_FN int wp_json_str(const char *s, size_t n, const char *key, wp_slice *out)
{
    wp_slice v;
    if (wp_json_get(s, n, key, &v) != 0 || v.n < 2 || v.p[0] != '"')
        return -1;
    for (size_t i = 1; i + 1 < v.n; i++)
        if (v.p[i] == '\\')
            return -1;
    out->p = v.p + 1;
    out->n = v.n - 2;
    return 0;
}

/* A non-negative integer value (at most 10^15); 0 or -1. */
WP_FN int wp_json_uint(const char *s, size_t n, const char *key, uint64_t *out)
{
    wp_slice v;
    if (wp_json_get(s, n, key, &v) != 0 || v.n > 15)
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return -1;
        x = x * 10 + (uint64_t)(v.p[i] - '0');
    }
    *out = x;
    return 0;
}

/* A boolean value: 1, 0, or dflt when absent or not a boolean. */
WP_FN int wp_json_bool(const char *s, size_t n, const char *key, int dflt)
{
    wp_slice v;
    if (wp_json_get(s, n, key, &v) != 0)
        return dflt;
    if (wp_eq(v.p, v.n, "true"))
        return 1;
    if (wp_eq(v.p, v.n, "false"))
        return 0;
    return dflt;
}

/* The plugin's config JSON (wharf.config), or an empty slice when the
 * host has none or it exceeds WP_CONFIG_MAX. */
WP_FN wp_slice wp_config(void)
{
    wp_slice c = { "", 0 };
    int32_t need = wharf_config(0, 0);
    if (need <= 0 || need > WP_CONFIG_MAX)
        return c;
    char *p = wp_alloc((size_t)need);
    if (p && wharf_config(p, need) == need) {
        c.p = p;
        c.n = (size_t)need;
    }
    return c;
}

/* The input at (ptr, len) of a call; the host wrote it into our memory. */
WP_FN wp_slice wp_in(int32_t ptr, int32_t len)
{
    wp_slice s = { (const char *)(uintptr_t)(uint32_t)ptr,
                   len < 0 ? 0 : (size_t)len };
    return s;
}

#endif

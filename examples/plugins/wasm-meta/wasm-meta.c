/* wasm-meta.c - a wharf-index metadata extractor: the custom sections of
 * the WebAssembly module a package carries, and its license.
 *
 * extract(artifact_id, data) finds the module: the data itself when it
 * starts with "\0asm" version 1 (a .wasm), else the first such header in
 * the bytes (a .ferrpkg stores its module uncompressed after the JSON
 * header; a zip's may be deflated, and then there is none).  It walks the
 * module's sections (id byte, LEB128 size, bounds-checked against the
 * data) and answers a JSON object of strings:
 *
 *   wasm_sections         how many sections the module has
 *   wasm_custom_sections  the custom sections' names, comma-separated
 *   license               a "license" custom section's text, or else the
 *                         "license":"X" of a .ferrpkg header
 *
 * A malformed module stops the walk; what was read so far is kept, and
 * "wasm_error" says where.  Names with control bytes are left out.
 *
 * Tests: tests/cli/t2026-example-plugins.sh.
 */
#include "../wharf_plugin.h"

typedef struct cursor {
    const unsigned char *p;
    size_t i, n;
} cursor;

/* The offset of a module header "\0asm" 1 0 0 0 in d, or -1. */
static long find_module(wp_slice d)
{
    static const char magic[8] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
    for (size_t i = 0; i + 8 <= d.n; i++) {
        size_t k = 0;
        while (k < 8 && d.p[i + k] == magic[k])
            k++;
        if (k == 8)
            return (long)i;
    }
    return -1;
}

/* An unsigned LEB128 of at most 5 bytes (a u32); 0 or -1. */
static int leb_u32(cursor *c, uint32_t *out)
{
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (c->i >= c->n)
            return -1;
        unsigned char b = c->p[c->i++];
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int printable(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

typedef struct found {
    uint64_t sections;
    wp_buf   names;
    wp_slice license;
    const char *error;
} found;

/* One custom section's body c->p[start..end): its name, and a license. */
static void custom(found *f, cursor c, size_t end)
{
    uint32_t len;
    c.n = end;
    if (leb_u32(&c, &len) != 0 || len > end - c.i) {
        f->error = "custom section name runs past its section";
        return;
    }
    const unsigned char *name = c.p + c.i;
    if (!printable(name, len))
        return;
    if (f->names.len)
        wp_put(&f->names, ",", 1);
    wp_put(&f->names, (const char *)name, len);
    if (wp_eq((const char *)name, len, "license") && !f->license.n) {
        f->license.p = (const char *)name + len;
        f->license.n = end - c.i - len;
    }
}

/* Every section of the module at c.p[c.i..c.n), after its header. */
static void walk(found *f, cursor c)
{
    c.i += 8;
    while (c.i < c.n) {
        unsigned char id = c.p[c.i++];
        uint32_t size;
        if (leb_u32(&c, &size) != 0 || size > c.n - c.i) {
            f->error = "section runs past the end of the data";
            return;
        }
        f->sections++;
        if (id == 0)
            custom(f, c, c.i + size);
        c.i += size;
    }
}

/* The "license":"X" of a .ferrpkg header (a string without escapes). */
static wp_slice header_license(wp_slice d, long module)
{
    static const char key[] = "\"license\":\"";
    wp_slice l = { "", 0 };
    size_t k = sizeof key - 1;
    for (size_t i = 0; i + k < (size_t)module; i++) {
        if (!wp_eq(d.p + i, k, key))
            continue;
        size_t e = i + k;
        while (e < (size_t)module && d.p[e] != '"' && d.p[e] != '\\')
            e++;
        if (e < (size_t)module && d.p[e] == '"') {
            l.p = d.p + i + k;
            l.n = e - i - k;
        }
        break;
    }
    return l;
}

WP_EXPORT("extract")
int64_t extract(int32_t id_ptr, int32_t id_len, int32_t data_ptr, int32_t data_len)
{
    wp_slice d = wp_in(data_ptr, data_len);
    wp_buf b = { 0 };
    found f = { 0 };
    long m = find_module(d);
    (void)id_ptr, (void)id_len;   /* the module speaks for itself */
    wp_puts(&b, "{");
    if (m < 0) {
        wp_log(WP_LOG_DEBUG, "no webassembly module in the data");
        wp_puts(&b, "}");
        return wp_result(&b);
    }
    walk(&f, (cursor){ (const unsigned char *)d.p, (size_t)m, d.n });
    if (!f.license.n || !printable((const unsigned char *)f.license.p, f.license.n))
        f.license = header_license(d, m);
    wp_buf count = { 0 };
    wp_put_u64(&count, f.sections);
    wp_put_pair(&b, 1, "wasm_sections", count.p, count.len);
    wp_put_pair(&b, 0, "wasm_custom_sections", f.names.p, f.names.len);
    if (f.license.n)
        wp_put_pair(&b, 0, "license", f.license.p, f.license.n);
    if (f.error)
        wp_put_pair(&b, 0, "wasm_error", f.error, wp_strlen(f.error));
    wp_puts(&b, "}");
    return wp_result(&b);
}

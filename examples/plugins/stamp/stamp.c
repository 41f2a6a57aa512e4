/* stamp.c - a wharf-index post-processor: stamps text packages with a
 * trailer line naming what published them; leaves binary ones as they
 * are.
 *
 * process(artifact_id, data) -> {"data": base64, "modified": bool,
 * "metadata": {"processed_by": "stamp", "stamped": "true"|"false"}}.
 * The data is text when it is non-empty, ends with a newline and holds no
 * NUL or other control byte but tab and CR (UTF-8 passes: its bytes are
 * all >= 0x80).  Text gets one more line, PREFIX + TRAILER + " " +
 * artifact_id + "\n", with prefix and trailer from the config (defaults
 * "# " and "published by wharf-index"): a comment in the formats that
 * take '#' comments (conanfile.txt, TOML, shell).  A text that already
 * ends with that exact line is left alone, so stamping twice is stamping
 * once.  Binary data is returned unchanged, "modified": false.
 *
 * Tests: tests/cli/t2026-example-plugins.sh.
 */
#include "../wharf_plugin.h"

static int is_text(wp_slice d)
{
    if (!d.n || d.p[d.n - 1] != '\n')
        return 0;
    for (size_t i = 0; i < d.n; i++) {
        unsigned char c = (unsigned char)d.p[i];
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
            return 0;
    }
    return 1;
}

/* The stamp line for id, from the config. */
static wp_buf stamp_line(wp_slice id)
{
    wp_slice c = wp_config(), prefix = { "# ", 2 },
             trailer = { "published by wharf-index", 24 };
    wp_json_str(c.p, c.n, "prefix", &prefix);
    wp_json_str(c.p, c.n, "trailer", &trailer);
    wp_buf l = { 0 };
    wp_put(&l, prefix.p, prefix.n);
    wp_put(&l, trailer.p, trailer.n);
    wp_puts(&l, " ");
    wp_put(&l, id.p, id.n);
    wp_puts(&l, "\n");
    return l;
}

static int ends_with(wp_slice d, const wp_buf *l)
{
    if (l->len > d.n)
        return 0;
    const char *t = d.p + d.n - l->len;
    for (size_t i = 0; i < l->len; i++)
        if (t[i] != l->p[i])
            return 0;
    return l->len == d.n || t[-1] == '\n';
}

WP_EXPORT("process")
int64_t process(int32_t id_ptr, int32_t id_len, int32_t data_ptr, int32_t data_len)
{
    wp_slice id = wp_in(id_ptr, id_len), d = wp_in(data_ptr, data_len);
    wp_buf b = { 0 }, out = { 0 };
    int stamp = 0;
    if (is_text(d)) {
        wp_buf l = stamp_line(id);
        stamp = !l.failed && !ends_with(d, &l);
        if (stamp) {
            wp_put(&out, d.p, d.n);
            wp_put(&out, l.p, l.len);
        }
    }
    wp_puts(&b, "{\"data\":\"");
    if (stamp)
        wp_put_base64(&b, (const unsigned char *)out.p, out.len);
    else
        wp_put_base64(&b, (const unsigned char *)d.p, d.n);
    wp_puts(&b, stamp ? "\",\"modified\":true" : "\",\"modified\":false");
    wp_puts(&b, ",\"metadata\":{\"processed_by\":\"stamp\",\"stamped\":");
    wp_puts(&b, stamp ? "\"true\"}}" : "\"false\"}}");
    if (out.failed)
        return 0;
    return wp_result(&b);
}

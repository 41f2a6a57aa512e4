/* mkpkg.c - test tool: write .ferrpkg and plugin-bundle .zip files, good
 * or deliberately broken, for tests/cli/t1011-ferrpkg.sh and
 * t1012-bundle.sh.
 *
 *   mkpkg ferrpkg WASM OUT [options]
 *       A .ferrpkg as Ferrite writes it: "FPKG", u32le header length,
 *       compact JSON header with keys in Ferrite's order (name, version,
 *       author, description, license, checksum, wasm_size), the module.
 *       Defaults: hello 1.0.0 by "Ada", "a test module", MIT, the real
 *       checksum and size.
 *         --set KEY=JSON    set a header key to a raw JSON value
 *         --del KEY         remove a header key
 *         --checksum FORM   the checksum's form: fnv1a-double (Ferrite's 32
 *                           digits, the default) or sha256 (64 digits)
 *         --sha256          add "sha256" of the module
 *         --header TEXT     use TEXT as the header, byte for byte
 *         --header-len N    write N as the header length
 *
 *   mkpkg zip OUT ENTRY... [options]
 *       A zip written by libarchive (fixed times, so the bytes are
 *       reproducible).  ENTRY is NAME=FILE (a file's contents), NAME/ (a
 *       directory) or NAME@TARGET (a symbolic link).  The same NAME may be
 *       given twice.
 *         --store           store entries instead of deflating them
 *
 *   Both, applied to the finished file in this order:
 *         --flip OFF        invert the byte at OFF (OFF < 0: from the end)
 *         --truncate N      keep the first N bytes (N < 0: drop -N bytes)
 *
 * A wrong checksum of either form: --set checksum="..." (any value), or
 * --flip a byte of the module after the right one was written.
 *
 * It uses wh_ferrite_checksum for the default checksum; the checksum
 * itself is checked against independent vectors in tests/unit/pkg_test.c,
 * and the sha256 form against sha256sum in tests/cli/t1011-ferrpkg.sh.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/fs.h"
#include "common/hex.h"
#include "common/pkg.h"
#include "common/sha256.h"

#define MAX_FILE ((size_t)256 << 20)

static int die(const char *fmt, const char *arg)
{
    fprintf(stderr, "mkpkg: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return 1;
}

static int die_err(const wh_err *e)
{
    char buf[1024];
    fprintf(stderr, "mkpkg: %s\n", wh_err_format(e, buf, sizeof buf));
    return 1;
}

typedef struct post {
    int    flip, truncate;
    long long flip_at, truncate_to;
} post;

/* Parse a post-processing option at argv[*i]; 1 if it was one. */
static int post_opt(post *p, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        return 0;
    if (strcmp(argv[*i], "--flip") == 0) {
        p->flip = 1;
        p->flip_at = strtoll(argv[++*i], NULL, 0);
        return 1;
    }
    if (strcmp(argv[*i], "--truncate") == 0) {
        p->truncate = 1;
        p->truncate_to = strtoll(argv[++*i], NULL, 0);
        return 1;
    }
    return 0;
}

static int write_file(const char *out, const void *data, size_t len)
{
    FILE *f = fopen(out, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
        return die("cannot write '%s'", out);
    return 0;
}

/* Apply --flip and --truncate to the file out. */
static int post_process(const post *p, const char *out)
{
    if (!p->flip && !p->truncate)
        return 0;
    char *d;
    size_t n;
    wh_err e;
    if (wh_file_read(out, MAX_FILE, &d, &n, &e))
        return die_err(&e);
    if (p->flip) {
        long long at = p->flip_at < 0 ? (long long)n + p->flip_at : p->flip_at;
        if (at < 0 || at >= (long long)n) {
            free(d);
            return die("--flip offset outside the file%s", "");
        }
        d[at] = (char)~d[at];
    }
    if (p->truncate) {
        long long keep = p->truncate_to < 0 ? (long long)n + p->truncate_to
                                            : p->truncate_to;
        if (keep >= 0 && keep < (long long)n)
            n = (size_t)keep;
    }
    int rc = write_file(out, d, n);
    free(d);
    return rc;
}

/* --- ferrpkg ----------------------------------------------------------- */

static int header_set(json_t *h, const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (!eq)
        return die("--set wants KEY=JSON, not '%s'", spec);
    json_error_t je;
    json_t *v = json_loads(eq + 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v)
        return die("--set: bad JSON value in '%s'", spec);
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - spec), spec);
    return json_object_set_new(h, key, v) ? die("cannot set '%s'", key) : 0;
}

/* The module's SHA-256 in lower-case hex. */
static void sha256_hex(const char *data, size_t len, char hex[WH_SHA256_HEX])
{
    uint8_t d[WH_SHA256_BYTES];
    wh_sha256_buf(data, len, d, NULL);
    wh_hex_encode(hex, d, sizeof d, 0);
}

/* --checksum FORM: set the header's checksum to the module's in FORM. */
static int header_checksum(json_t *h, const char *form, const char *wasm,
                           size_t wlen)
{
    char sum[WH_SHA256_HEX];
    if (strcmp(form, "fnv1a-double") == 0)
        wh_ferrite_checksum((const uint8_t *)wasm, wlen, sum);
    else if (strcmp(form, "sha256") == 0)
        sha256_hex(wasm, wlen, sum);
    else
        return die("--checksum wants fnv1a-double or sha256, not '%s'", form);
    return json_object_set_new(h, "checksum", json_string(sum))
           ? die("cannot set '%s'", "checksum") : 0;
}

static int cmd_ferrpkg(int argc, char **argv)
{
    if (argc < 4)
        return die("usage: mkpkg ferrpkg WASM OUT [options]%s", "");
    const char *wasm_path = argv[2], *out = argv[3];
    char *wasm;
    size_t wlen;
    wh_err e;
    if (wh_file_read(wasm_path, MAX_FILE, &wasm, &wlen, &e))
        return die_err(&e);
    char sum[33];
    wh_ferrite_checksum((const uint8_t *)wasm, wlen, sum);
    json_t *h = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}",
                          "name", "hello", "version", "1.0.0", "author", "Ada",
                          "description", "a test module", "license", "MIT",
                          "checksum", sum, "wasm_size", (json_int_t)wlen);
    const char *text = NULL;
    long long hlen_override = -1;
    post p = { 0 };
    int rc = 0;
    for (int i = 4; i < argc && rc == 0; i++) {
        if (post_opt(&p, argc, argv, &i))
            continue;
        if (strcmp(argv[i], "--sha256") == 0) {
            char hex[WH_SHA256_HEX];
            sha256_hex(wasm, wlen, hex);
            json_object_set_new(h, "sha256", json_string(hex));
        } else if (i + 1 < argc && strcmp(argv[i], "--checksum") == 0) {
            rc = header_checksum(h, argv[++i], wasm, wlen);
        } else if (i + 1 < argc && strcmp(argv[i], "--set") == 0) {
            rc = header_set(h, argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--del") == 0) {
            json_object_del(h, argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--header") == 0) {
            text = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--header-len") == 0) {
            hlen_override = strtoll(argv[++i], NULL, 0);
        } else {
            rc = die("unknown option '%s'", argv[i]);
        }
    }
    char *dump = NULL;
    if (rc == 0 && !text) {
        dump = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
        text = dump;
    }
    if (rc == 0) {
        size_t tl = strlen(text);
        uint32_t hl = hlen_override >= 0 ? (uint32_t)hlen_override
                                         : (uint32_t)tl;
        size_t n = 8 + tl + wlen;
        unsigned char *buf = malloc(n);
        memcpy(buf, "FPKG", 4);
        for (int k = 0; k < 4; k++)
            buf[4 + k] = (unsigned char)(hl >> (8 * k));
        memcpy(buf + 8, text, tl);
        memcpy(buf + 8 + tl, wasm, wlen);
        rc = write_file(out, buf, n);
        free(buf);
    }
    free(dump);
    json_decref(h);
    free(wasm);
    return rc ? rc : post_process(&p, out);
}

/* --- zip --------------------------------------------------------------- */

static int add_entry(struct archive *a, const char *spec)
{
    struct archive_entry *e = archive_entry_new();
    char name[4096];
    char *data = NULL;
    size_t len = 0;
    const char *eq = strchr(spec, '='), *at = strchr(spec, '@');
    size_t sl = strlen(spec);
    archive_entry_set_mtime(e, 1700000000, 0);
    if (eq) {
        wh_err err;
        snprintf(name, sizeof name, "%.*s", (int)(eq - spec), spec);
        if (wh_file_read(eq + 1, MAX_FILE, &data, &len, &err)) {
            archive_entry_free(e);
            return die_err(&err);
        }
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)len);
    } else if (at) {
        snprintf(name, sizeof name, "%.*s", (int)(at - spec), spec);
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_perm(e, 0777);
        archive_entry_set_symlink(e, at + 1);
    } else if (sl > 0 && spec[sl - 1] == '/') {
        snprintf(name, sizeof name, "%s", spec);
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0755);
    } else {
        archive_entry_free(e);
        return die("bad entry '%s' (NAME=FILE, NAME/ or NAME@TARGET)", spec);
    }
    archive_entry_set_pathname(e, name);
    int rc = 0;
    if (archive_write_header(a, e) != ARCHIVE_OK ||
        (len && archive_write_data(a, data, len) != (la_ssize_t)len))
        rc = die("cannot write entry: %s", archive_error_string(a));
    archive_entry_free(e);
    free(data);
    return rc;
}

static int cmd_zip(int argc, char **argv)
{
    if (argc < 3)
        return die("usage: mkpkg zip OUT ENTRY... [options]%s", "");
    const char *out = argv[2];
    post p = { 0 };
    int store = 0;
    for (int i = 3; i < argc; i++) {
        if (post_opt(&p, argc, argv, &i))
            continue;
        if (strcmp(argv[i], "--store") == 0)
            store = 1;
    }
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    if (store)
        archive_write_set_options(a, "zip:compression=store");
    if (archive_write_open_filename(a, out) != ARCHIVE_OK) {
        archive_write_free(a);
        return die("cannot create '%s'", out);
    }
    int rc = 0;
    for (int i = 3; i < argc && rc == 0; i++) {
        if (strcmp(argv[i], "--flip") == 0 ||
            strcmp(argv[i], "--truncate") == 0)
            i++;
        else if (strcmp(argv[i], "--store") != 0)
            rc = add_entry(a, argv[i]);
    }
    if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
        rc = die("cannot finish '%s'", out);
    archive_write_free(a);
    return rc ? rc : post_process(&p, out);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "ferrpkg") == 0)
        return cmd_ferrpkg(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "zip") == 0)
        return cmd_zip(argc, argv);
    return die("usage: mkpkg ferrpkg WASM OUT [options] | mkpkg zip OUT "
               "ENTRY... [options]%s", "");
}

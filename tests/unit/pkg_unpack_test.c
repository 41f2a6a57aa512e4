/* pkg_unpack_test.c - common/pkg_unpack.c: the files an install lays down.
 *
 * Each format's layout with exact names, bytes and modes: .ferrpkg and
 * bundles built here and read by wh_pkg_read_mem first (as the installer
 * does), the real wasmCloud archive ../shared/fixtures/par/
 * libwascc_redis.par.gz for each of its targets and for one it lacks.
 * Then the hostile archives the readers never let through, handed to
 * wh_pkg_unpack directly with a record made here (it must refuse them on
 * its own): every unsafe name, link, special file, duplicate, case-only
 * duplicate, file-and-folder clash, entry count and size cap, each with
 * its exact message and code; a package whose bytes are not the verified
 * ones; the callback's errors.  Packages built by mkpkg and mkpar are
 * unpacked by tests/cli/t1013-unpack.sh.
 */
#include "tests/unit/wh_test.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/utsname.h>

#include "common/hex.h"
#include "common/json.h"
#include "common/pkg.h"
#include "common/sha256.h"
#include "common/toml.h"

/* The empty module (validates; its Ferrite checksum below). */
static const uint8_t empty_wasm[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
#define EMPTY_SUM "7372b11fa7fb9f91e2e6fc6ddd86b35c"
#define EMPTY_SHA256 \
    "93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476"

/* --- collecting what wh_pkg_unpack hands out ----------------------------- */

typedef struct file {
    char    *rel;
    uint8_t *data;
    size_t   len;
    unsigned mode;
} file;

typedef struct got {
    file   f[300];
    size_t n;
    size_t fail_at;      /* 1-based call that fails with WH_E_IO; 0 none */
} got;

static int collect(void *ctx, const char *rel, const uint8_t *data,
                   size_t len, unsigned mode, wh_err *err)
{
    got *g = ctx;
    assert_true(g->n < 300);
    assert_non_null(data);      /* even for an empty file */
    if (g->fail_at && g->n + 1 == g->fail_at)
        return wh_fail(err, WH_E_IO, "stage", -1, "disk full at '%s'", rel);
    file *f = &g->f[g->n++];
    f->rel = strdup(rel);
    f->data = malloc(len + 1);
    if (len)
        memcpy(f->data, data, len);
    f->len = len;
    f->mode = mode;
    return 0;
}

static void got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->f[i].rel);
        free(g->f[i].data);
    }
    g->n = 0;
}

/* "rel mode len" lines, one a file, in a static buffer. */
static const char *listing(const got *g)
{
    static char buf[16384];
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < g->n && o < sizeof buf; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s %04o %zu\n",
                              g->f[i].rel, g->f[i].mode, g->f[i].len);
    return buf;
}

static const file *find_file(const got *g, const char *rel)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->f[i].rel, rel) == 0)
            return &g->f[i];
    fail_msg("no file '%s'", rel);
    return NULL;
}

static void sha_hex(char out[65], const void *d, size_t n)
{
    uint8_t h[32];
    wh_sha256_buf(d, n, h, NULL);
    wh_hex_encode(out, h, sizeof h, 0);
}

/* "EXIT MESSAGE" of an error, in a static buffer. */
static const char *errtext(int rc, const wh_err *e)
{
    static char buf[1200];
    char m[1024];
    snprintf(buf, sizeof buf, "%d %s", wh_err_exit(rc),
             wh_err_format(e, m, sizeof m));
    return buf;
}

/* Read path's bytes with wh_pkg_read_mem, then unpack them into g; "ok"
 * or the error of either step. */
static const char *read_unpack(const char *path, const uint8_t *d,
                               size_t len, const char *target, got *g)
{
    wh_pkg p;
    wh_err e;
    int rc = wh_pkg_read_mem(path, d, len, NULL, &p, &e);
    if (rc)
        return errtext(rc, &e);
    rc = wh_pkg_unpack(path, d, len, &p, target, collect, g, &e);
    wh_pkg_free(&p);
    return rc ? errtext(rc, &e) : "ok";
}

/* Unpack with a package made here (kind, record as JSON text). */
static const char *unpack_as(wh_pkg_kind kind, const char *record,
                             const char *path, const uint8_t *d, size_t len,
                             const char *target, got *g)
{
    wh_pkg p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    snprintf(p.name, sizeof p.name, "hello");
    snprintf(p.version, sizeof p.version, "1.0.0");
    p.record = json_loads(record, 0, NULL);
    assert_non_null(p.record);
    wh_err e;
    int rc = wh_pkg_unpack(path, d, len, &p, target, collect, g, &e);
    json_decref(p.record);
    return rc ? errtext(rc, &e) : "ok";
}

/* --- host target ---------------------------------------------------------- */

/* The compile-time answer against uname(2), mapped to Rust's names. */
static void test_host_target(void **state)
{
    (void)state;
    static const char *const arch[][2] = {
        { "x86_64", "x86_64" }, { "amd64", "x86_64" },
        { "aarch64", "aarch64" }, { "arm64", "aarch64" },
        { "i686", "x86" }, { "i386", "x86" }, { "riscv64", "riscv64" },
    };
    static const char *const os[][2] = {
        { "Linux", "linux" }, { "Darwin", "macos" }, { "FreeBSD", "freebsd" },
    };
    struct utsname u;
    assert_int_equal(uname(&u), 0);
    const char *a = NULL, *o = NULL;
    for (size_t i = 0; i < sizeof arch / sizeof arch[0]; i++)
        if (!strcmp(u.machine, arch[i][0]))
            a = arch[i][1];
    for (size_t i = 0; i < sizeof os / sizeof os[0]; i++)
        if (!strcmp(u.sysname, os[i][0]))
            o = os[i][1];
    if (!a || !o)
        skip();
    char want[64];
    snprintf(want, sizeof want, "%s-%s", a, o);
    assert_string_equal(wh_pkg_host_target(), want);
}

/* --- .ferrpkg ------------------------------------------------------------- */

static uint8_t *ferrpkg(const char *hdr, const uint8_t *wasm, size_t wl,
                        size_t *len)
{
    size_t hl = strlen(hdr);
    uint8_t *b = malloc(8 + hl + wl);
    memcpy(b, "FPKG", 4);
    for (int i = 0; i < 4; i++)
        b[4 + i] = (uint8_t)(hl >> (8 * i));
    memcpy(b + 8, hdr, hl);
    memcpy(b + 8 + hl, wasm, wl);
    *len = 8 + hl + wl;
    return b;
}

/* What Ferrite's packer writes: the seven keys, nothing else. */
static const char plain_hdr[] =
    "{\"name\":\"hello\",\"version\":\"1.0.0\",\"author\":\"Ada\","
    "\"description\":\"a test module\",\"license\":\"MIT\",\"checksum\":\""
    EMPTY_SUM "\",\"wasm_size\":8}";

static void test_ferrpkg_plain(void **state)
{
    (void)state;
    size_t len;
    uint8_t *d = ferrpkg(plain_hdr, empty_wasm, 8, &len);
    got g = { 0 };
    assert_string_equal(read_unpack("h.ferrpkg", d, len, NULL, &g), "ok");
    char want[200];
    snprintf(want, sizeof want, "ferrite-plugin.toml 0644 145\n"
             "ferrpkg.json 0644 %zu\nmodule.wasm 0644 8\n", strlen(plain_hdr));
    assert_string_equal(listing(&g), want);
    const file *t = find_file(&g, "ferrite-plugin.toml");
    assert_memory_equal(t->data,
        "[module]\n"
        "name = \"hello\"\n"
        "version = \"1.0.0\"\n"
        "author = \"Ada\"\n"
        "description = \"a test module\"\n"
        "license = \"MIT\"\n"
        "categories = []\n"
        "tags = []\n"
        "\n"
        "[dependencies]\n", t->len);
    assert_memory_equal(find_file(&g, "ferrpkg.json")->data, plain_hdr,
                        strlen(plain_hdr));
    assert_memory_equal(find_file(&g, "module.wasm")->data, empty_wasm, 8);
    got_free(&g);
    free(d);
}

/* Every optional key wharf pack writes, strings TOML must escape, and
 * the sha256 form of the checksum; the manifest reads back with wharf's
 * own TOML parser to the header's values. */
static const char rich_hdr[] =
    "{\"name\":\"hello\",\"version\":\"1.0.0-rc.1\",\"author\":\"Ada \\\"A\\\""
    " L\\u00e9\",\"description\":\"tab\\there\\nline \\\\ \\u0001 \\u007f"
    "\",\"license\":\"MIT OR Apache-2.0\",\"checksum\":\"" EMPTY_SHA256
    "\",\"wasm_size\":8,\"sha256\":\"" EMPTY_SHA256 "\",\"tags\":[\"z\","
    "\"a\",\"z\"],\"categories\":[\"formats\"],\"dependencies\":{\"zeta\":"
    "\"^1\",\"a.b\":\">=0.2, <0.4\"},\"min_ferrite_version\":\"0.3.0\","
    "\"future\":[1]}";

static const char rich_toml[] =
    "[module]\n"
    "name = \"hello\"\n"
    "version = \"1.0.0-rc.1\"\n"
    "author = \"Ada \\\"A\\\" L\xc3\xa9\"\n"
    "description = \"tab\\there\\nline \\\\ \\u0001 \\u007F\"\n"
    "license = \"MIT OR Apache-2.0\"\n"
    "categories = [\"formats\"]\n"
    "tags = [\"a\", \"z\"]\n"
    "min_ferrite_version = \"0.3.0\"\n"
    "\n"
    "[dependencies]\n"
    "\"a.b\" = \">=0.2, <0.4\"\n"
    "\"zeta\" = \"^1\"\n";

static void test_ferrpkg_rich(void **state)
{
    (void)state;
    size_t len;
    uint8_t *d = ferrpkg(rich_hdr, empty_wasm, 8, &len);
    got g = { 0 };
    assert_string_equal(read_unpack("h.ferrpkg", d, len, NULL, &g), "ok");
    const file *t = find_file(&g, "ferrite-plugin.toml");
    assert_int_equal(t->len, sizeof rich_toml - 1);
    assert_memory_equal(t->data, rich_toml, t->len);
    assert_memory_equal(find_file(&g, "ferrpkg.json")->data, rich_hdr,
                        strlen(rich_hdr));
    wh_toml *doc;
    wh_err e;
    assert_int_equal(wh_toml_parse((const char *)t->data, t->len,
                                   "ferrite-plugin.toml", &doc, &e), 0);
    json_t *h = json_loads(rich_hdr, 0, NULL);
    static const char *const keys[] = { "name", "version", "author",
                                        "description", "license",
                                        "min_ferrite_version" };
    const wh_toml_value *m = wh_toml_get(wh_toml_root(doc), "module");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t n;
        const char *s = wh_toml_string(wh_toml_get(m, keys[i]), &n);
        assert_non_null(s);
        assert_int_equal(n, json_string_length(json_object_get(h, keys[i])));
        assert_memory_equal(s, json_string_value(json_object_get(h, keys[i])),
                            n);
    }
    size_t n;
    const wh_toml_value *deps = wh_toml_get(wh_toml_root(doc), "dependencies");
    assert_string_equal(wh_toml_string(wh_toml_get(deps, "a.b"), &n),
                        ">=0.2, <0.4");
    json_decref(h);
    wh_toml_free(doc);
    got_free(&g);
    free(d);
}

/* The bytes must be the verified package's: another name, a changed
 * module, a stray format. */
static void test_ferrpkg_bound(void **state)
{
    (void)state;
    size_t len;
    uint8_t *d = ferrpkg(plain_hdr, empty_wasm, 8, &len);
    got g = { 0 };
    static const char rec[] = "{\"ferrite\":{\"checksum\":\"" EMPTY_SUM
                              "\"}}";
    assert_string_equal(unpack_as(WH_PKG_FERRPKG, rec, "h.ferrpkg", d, len,
                                  NULL, &g), "ok");
    got_free(&g);
    d[len - 1] ^= 1;
    assert_string_equal(unpack_as(WH_PKG_FERRPKG, rec, "h.ferrpkg", d, len,
                                  NULL, &g), "4 h.ferrpkg: offset 0xa3: the "
                        "module does not match the verified checksum");
    d[len - 1] ^= 1;
    assert_string_equal(unpack_as(WH_PKG_FERRPKG, "{\"ferrite\":{\"checksum\""
                                  ":\"00\"}}", "h.ferrpkg", d, len, NULL, &g),
                        "4 h.ferrpkg: offset 0xa3: the module does not match "
                        "the verified checksum");
    d[8 + 9] = 'j';    /* "hello" -> "jello" */
    assert_string_equal(unpack_as(WH_PKG_FERRPKG, rec, "h.ferrpkg", d, len,
                                  NULL, &g), "4 h.ferrpkg: offset 0x8: header "
                        "does not name the verified package");
    assert_string_equal(unpack_as(WH_PKG_FERRPKG, rec, "h.ferrpkg", d, 7,
                                  NULL, &g), "3 h.ferrpkg: offset 0x0: not a "
                        ".ferrpkg");
    d[4] = 0xff;
    assert_string_equal(unpack_as(WH_PKG_FERRPKG, rec, "h.ferrpkg", d, len,
                                  NULL, &g), "3 h.ferrpkg: offset 0x4: bad "
                        "header length 255");
    assert_int_equal(g.n, 0);
    free(d);
    const char *text = "FPKG\x02\0\0\0[]";
    assert_string_equal(unpack_as(WH_PKG_FERRPKG, rec, "h.ferrpkg",
                                  (const uint8_t *)text, 10, NULL, &g),
                        "3 h.ferrpkg: offset 0x8: header is not a JSON "
                        "object");
}

/* The callback's error stops the call and is returned as it is. */
static void test_callback_error(void **state)
{
    (void)state;
    size_t len;
    uint8_t *d = ferrpkg(plain_hdr, empty_wasm, 8, &len);
    got g = { .fail_at = 2 };
    assert_string_equal(read_unpack("h.ferrpkg", d, len, NULL, &g),
                        "1 stage: disk full at 'ferrpkg.json'");
    assert_int_equal(g.n, 1);
    got_free(&g);
    free(d);
}

/* --- archives built here -------------------------------------------------- */

typedef struct ent {
    const char *name;
    const void *data;     /* NULL: a directory (or a link, below) */
    size_t      len;
    const char *symlink;  /* a symbolic link to this */
    const char *hardlink; /* a hard link to this */
    mode_t      type;     /* another type (AE_IFIFO, AE_IFCHR), or 0 */
} ent;

typedef struct growbuf {
    uint8_t *p;
    size_t   len, cap;
} growbuf;

static la_ssize_t grow_write(struct archive *a, void *ctx, const void *d,
                             size_t n)
{
    (void)a;
    growbuf *b = ctx;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    return (la_ssize_t)n;
}

static void add_entry(struct archive *a, const ent *x)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, x->name);
    archive_entry_set_mtime(e, 1700000000, 0);
    archive_entry_set_perm(e, 0644);
    if (x->symlink) {
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, x->symlink);
    } else if (x->hardlink) {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, x->hardlink);
    } else if (x->type) {
        archive_entry_set_filetype(e, x->type);
    } else if (!x->data) {
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0755);
    } else {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, (la_int64_t)x->len);
    }
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    if (x->data && x->len)
        assert_int_equal(archive_write_data(a, x->data, x->len),
                         (la_ssize_t)x->len);
    archive_entry_free(e);
}

/* A zip (deflated), a tar (pax) or a tar.gz of the entries; malloc'd. */
enum { ZIP, TAR, TGZ };

static uint8_t *archive_of(int fmt, const ent *x, size_t n, size_t *len)
{
    growbuf b = { 0 };
    struct archive *a = archive_write_new();
    if (fmt == ZIP) {
        archive_write_set_format_zip(a);
    } else {
        archive_write_set_format_pax_restricted(a);
        archive_write_set_bytes_in_last_block(a, 1);
        if (fmt == TGZ)
            archive_write_add_filter_gzip(a);
    }
    assert_int_equal(archive_write_open(a, &b, NULL, grow_write, NULL),
                     ARCHIVE_OK);
    for (size_t i = 0; i < n; i++)
        add_entry(a, &x[i]);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    *len = b.len;
    return b.p;
}

/* --- bundles -------------------------------------------------------------- */

static const char toml[] =
    "[plugin]\nname = \"csv\"\nversion = \"0.3.1\"\ndescription = \"\"\n"
    "author = \"\"\nlicense = \"\"\n";

#define F(n, s) { n, s, sizeof s - 1, NULL, NULL, 0 }
#define D(n)    { n, NULL, 0, NULL, NULL, 0 }

static void test_bundle_layout(void **state)
{
    (void)state;
    const ent z[] = {
        F("plugin.toml", toml), { "csv.wasm", empty_wasm, 8, 0, 0, 0 },
        F("README.md", "# csv\n"), D("examples/"),
        F("examples/a.csv", "a,b\n"), F("wit/deps/io/world.wit", "world w {}"),
        F("LICENSE", ""),
    };
    size_t len;
    uint8_t *d = archive_of(ZIP, z, 7, &len);
    got g = { 0 };
    assert_string_equal(read_unpack("b.zip", d, len, NULL, &g), "ok");
    assert_string_equal(listing(&g),
                        "plugin.toml 0644 82\n"
                        "csv.wasm 0644 8\n"
                        "README.md 0644 6\n"
                        "examples/a.csv 0644 4\n"
                        "wit/deps/io/world.wit 0644 10\n"
                        "LICENSE 0644 0\n");
    assert_memory_equal(find_file(&g, "plugin.toml")->data, toml, 82);
    assert_memory_equal(find_file(&g, "csv.wasm")->data, empty_wasm, 8);
    assert_memory_equal(find_file(&g, "examples/a.csv")->data, "a,b\n", 4);
    assert_memory_equal(find_file(&g, "wit/deps/io/world.wit")->data,
                        "world w {}", 10);
    got_free(&g);
    free(d);
}

#define BUNDLE_REC "{\"plugin\":{\"wasm\":\"p.wasm\"}}"

/* Unpack a zip of the entries as b.zip with BUNDLE_REC. */
static const char *bundle(const ent *z, size_t n, size_t *files)
{
    size_t len;
    uint8_t *d = archive_of(ZIP, z, n, &len);
    got g = { 0 };
    const char *r = unpack_as(WH_PKG_BUNDLE, BUNDLE_REC, "b.zip", d, len,
                              NULL, &g);
    if (files)
        *files = g.n;
    got_free(&g);
    free(d);
    return r;
}

static void test_bundle_names(void **state)
{
    (void)state;
    char longname[1100], longcomp[300];
    memset(longname, 'a', 1025);
    longname[1025] = '\0';
    snprintf(longcomp, sizeof longcomp, "d/%0256d", 0);
    static const struct { const char *name, *want; } c[] = {
        { "../x", "3 b.zip: entry '../x': '..' component" },
        { "a/../../x", "3 b.zip: entry 'a/../../x': '..' component" },
        { "..\\x", "3 b.zip: entry '../x': '..' component" },
        { "/etc/x", "3 b.zip: entry '/etc/x': absolute path" },
        { "a/./b", "3 b.zip: entry 'a/./b': '.' component" },
        { "a//b", "3 b.zip: entry 'a//b': empty path component" },
        { "a\nb", "3 b.zip: entry 'a\\x0ab': control character 0x0a in "
                  "name" },
        { "a\x7f", "3 b.zip: entry 'a\\x7f': control character 0x7f in "
                   "name" },
        { "caf\xc3\xa9.md", "3 b.zip: entry 'caf\\xc3\\xa9.md': byte 0xc3 in "
                            "name (installed names are printable ascii)" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        const ent z[] = { { c[i].name, "x", 1, NULL, NULL, 0 } };
        const char *r = bundle(z, 1, NULL);
        if (strcmp(r, c[i].want))
            fail_msg("%s\n  want: %s\n  got:  %s", c[i].name, c[i].want, r);
    }
    const ent big[] = { { longname, "x", 1, NULL, NULL, 0 } };
    char want[300];
    snprintf(want, sizeof want, "3 b.zip: entry '%.196s...': name longer "
             "than 1024 bytes", longname);
    assert_string_equal(bundle(big, 1, NULL), want);
    const ent comp[] = { { longcomp, "x", 1, NULL, NULL, 0 } };
    snprintf(want, sizeof want, "3 b.zip: entry '%.196s...': path component "
             "longer than 255 bytes", longcomp);
    assert_string_equal(bundle(comp, 1, NULL), want);
    /* 255 bytes and 1024 in all are fine. */
    snprintf(longcomp, sizeof longcomp, "d/%0255d", 0);
    const ent fine[] = { { longcomp, "x", 1, NULL, NULL, 0 } };
    assert_string_equal(bundle(fine, 1, NULL), "4 b.zip: the verified module "
                        "'p.wasm' is not in the archive");
}

static void test_bundle_entries(void **state)
{
    (void)state;
    size_t files;
    const ent ok[] = { F("empty", ""), D("d/"), D("D/"), F("d/x", "1"),
                       F("p.wasm", "w") };
    assert_string_equal(bundle(ok, 5, &files), "ok");
    assert_int_equal(files, 3);
    static const struct { ent z[3]; size_t n; const char *want; } c[] = {
        { { F("p.wasm", "1"), F("p.wasm", "2") }, 2,
          "3 b.zip: entry 'p.wasm': duplicate entry" },
        { { F("README.md", "1"), F("readme.MD", "2") }, 2,
          "3 b.zip: entry 'readme.MD': differs only in case from "
          "'README.md'" },
        { { D("Docs/"), F("docs", "2") }, 2,
          "3 b.zip: entry 'docs': differs only in case from 'Docs'" },
        { { D("d/"), F("d", "2") }, 2, "3 b.zip: entry 'd': duplicate entry" },
        { { F("a", "1"), F("A/b", "2") }, 2,
          "3 b.zip: entry 'A/b': 'a' is a file and a folder" },
        { { F("a/b/c", "1"), F("A/B", "2") }, 2,
          "3 b.zip: entry 'A/B': it is a file and a folder of 'a/b/c'" },
        { { D("a/b/"), F("a", "2") }, 2,
          "3 b.zip: entry 'a': it is a file and a folder of 'a/b'" },
        { { F("p.wasm", "1"), { "README.md", NULL, 0, "/etc/passwd", NULL,
                                0 } }, 2,
          "3 b.zip: entry 'README.md': symbolic link" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        const char *r = bundle(c[i].z, c[i].n, &files);
        if (strcmp(r, c[i].want))
            fail_msg("case %zu\n  want: %s\n  got:  %s", i, c[i].want, r);
        assert_true(files < c[i].n);
    }
}

/* 256 entries are fine, the 257th is not; an entry inflating past 128 MiB
 * (a zip bomb of 130 KiB) is refused without being held. */
static void test_bundle_caps(void **state)
{
    (void)state;
    ent *z = calloc(257, sizeof *z);
    char (*names)[16] = calloc(257, 16);
    for (int i = 0; i < 257; i++) {
        snprintf(names[i], 16, "f%03d", i);
        z[i] = (ent){ names[i], "x", 1, NULL, NULL, 0 };
    }
    z[0].name = "p.wasm";
    size_t files;
    assert_string_equal(bundle(z, 256, &files), "ok");
    assert_int_equal(files, 256);
    assert_string_equal(bundle(z, 257, &files), "3 b.zip: more than 256 "
                        "entries");
    assert_int_equal(files, 256);
    free(names);
    size_t big = WH_PKG_MAX_ENTRY + 1;
    char *zeros = calloc(1, big);
    z[1] = (ent){ "bomb", zeros, big, NULL, NULL, 0 };
    size_t len;
    uint8_t *d = archive_of(ZIP, z, 2, &len);
    assert_true(len < (size_t)1 << 20);
    got g = { 0 };
    assert_string_equal(unpack_as(WH_PKG_BUNDLE, BUNDLE_REC, "b.zip", d, len,
                                  NULL, &g), "3 b.zip: entry 'bomb': larger "
                        "than 134217728 bytes");
    assert_int_equal(g.n, 1);
    got_free(&g);
    free(d);
    /* Sizes that lie (10 bytes in every header, 200000 inflated): the
     * data is counted, not the header believed. */
    z[1].len = 200000;
    d = archive_of(ZIP, z, 2, &len);
    for (size_t i = 0; i + 30 < len; i++) {
        size_t at = !memcmp(d + i, "PK\3\4", 4) ? 22
                  : !memcmp(d + i, "PK\1\2", 4) ? 24
                  : !memcmp(d + i, "PK\7\10", 4) ? 12 : 0;
        if (at && d[i + at] == (200000 & 0xff))
            memcpy(d + i + at, "\12\0\0\0", 4);
    }
    assert_string_equal(unpack_as(WH_PKG_BUNDLE, BUNDLE_REC, "b.zip", d, len,
                                  NULL, &g), "3 b.zip: entry 'bomb': cannot "
                        "read: ZIP uncompressed data is wrong size (read "
                        "200000, expected 10)");
    assert_int_equal(g.n, 1);
    got_free(&g);
    free(d);
    free(zeros);
    free(z);
}

/* --- PAR: the real archive ------------------------------------------------ */

#define REDIS_LINUX \
    "a70c02beac4881ae711e7825d01e67348f83f45120bb1d834ef90f9077f3b9e8"
#define REDIS_MACOS \
    "ce183325d30583931895fea30ef3c736bf2bb7e453c9b7f9e2653ab7eab05405"
#define REDIS_JWT_HEAD "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.eyJqdGkiOiJO"

static char *fixture(size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/par/libwascc_redis.par.gz",
             wh_test_shared_dir());
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *d = malloc(4 << 20);
    *len = fread(d, 1, 4 << 20, f);
    fclose(f);
    return d;
}

static void test_par_fixture(void **state)
{
    (void)state;
    size_t len;
    char *d = fixture(&len);
    static const struct { const char *target, *sha; size_t size; } t[] = {
        { "x86_64-linux", REDIS_LINUX, 5701792 },
        { "x86_64-macos", REDIS_MACOS, 2363160 },
    };
    for (size_t i = 0; i < 2; i++) {
        got g = { 0 };
        char want[200], hex[65];
        assert_string_equal(read_unpack("redis.par.gz", (uint8_t *)d, len,
                                        t[i].target, &g), "ok");
        snprintf(want, sizeof want, "claims.jwt 0644 699\nbin/provider "
                 "0755 %zu\n", t[i].size);
        assert_string_equal(listing(&g), want);
        const file *b = find_file(&g, "bin/provider");
        sha_hex(hex, b->data, b->len);
        assert_string_equal(hex, t[i].sha);
        assert_memory_equal(find_file(&g, "claims.jwt")->data, REDIS_JWT_HEAD,
                            sizeof REDIS_JWT_HEAD - 1);
        got_free(&g);
    }
    got g = { 0 };
    assert_string_equal(read_unpack("redis.par.gz", (uint8_t *)d, len,
                                    "aarch64-linux", &g), "6 redis.par.gz: "
                        "not available for aarch64-linux (it has "
                        "x86_64-linux, x86_64-macos)");
    assert_int_equal(g.n, 0);
    /* No target: this machine's. */
    const char *r = read_unpack("redis.par.gz", (uint8_t *)d, len, NULL, &g);
    if (!strcmp(wh_pkg_host_target(), "x86_64-linux")) {
        assert_string_equal(r, "ok");
        assert_int_equal(find_file(&g, "bin/provider")->len, 5701792);
    } else if (strcmp(wh_pkg_host_target(), "x86_64-macos")) {
        assert_int_equal(strncmp(r, "6 redis.par.gz: not available for ",
                                 34), 0);
    }
    got_free(&g);
    free(d);
}

/* The helpers on a record, as an installer asks before downloading. */
static void test_targets(void **state)
{
    (void)state;
    json_t *rec = json_loads("{\"par\":{\"targets\":{\"x86_64-windows\":{},"
                             "\"aarch64-macos\":{}}}}", 0, NULL);
    char buf[200];
    wh_err e;
    assert_string_equal(wh_pkg_targets(rec, buf, sizeof buf),
                        "aarch64-macos, x86_64-windows");
    assert_string_equal(wh_pkg_targets(rec, buf, 10), "aarch6...");
    assert_int_equal(wh_pkg_target_check("p@1.0.0", rec, "aarch64-macos", &e),
                     0);
    int rc = wh_pkg_target_check("p@1.0.0", rec, "x86_64-linux", &e);
    assert_string_equal(errtext(rc, &e), "6 p@1.0.0: not available for "
                        "x86_64-linux (it has aarch64-macos, x86_64-windows)");
    json_decref(rec);
    rec = json_loads("{\"par\":{\"targets\":{}}}", 0, NULL);
    rc = wh_pkg_target_check("p", rec, "x86_64-linux\n", &e);
    assert_string_equal(errtext(rc, &e), "6 p: not available for "
                        "x86_64-linux\\x0a (it has no binary)");
    json_decref(rec);
    rec = json_loads("{\"plugin\":{}}", 0, NULL);
    assert_int_equal(wh_pkg_target_check("p", rec, NULL, &e), 0);
    assert_string_equal(wh_pkg_targets(rec, buf, sizeof buf), "");
    json_decref(rec);
}

/* --- PAR: archives built here --------------------------------------------- */

static const char BIN[] = "provider bytes";
static const char JWT[] = "a.b.c";

/* A record for one x86_64-linux binary holding BIN; world as given. */
static const char *par_rec(int world)
{
    static char rec[400];
    char hex[65];
    sha_hex(hex, BIN, sizeof BIN - 1);
    snprintf(rec, sizeof rec, "{\"par\":{\"world\":%s,\"targets\":{"
             "\"x86_64-linux\":{\"sha256\":\"%s\",\"size\":%zu},"
             "\"aarch64-macos\":{\"sha256\":\"%s\",\"size\":3}}}}",
             world ? "true" : "false", hex, sizeof BIN - 1, hex);
    return rec;
}

static const char *par(int fmt, const ent *x, size_t n, int world,
                       const char *target, got *g)
{
    size_t len;
    uint8_t *d = archive_of(fmt, x, n, &len);
    const char *r = unpack_as(WH_PKG_PAR, par_rec(world), "x.par", d, len,
                              target, g);
    free(d);
    return r;
}

#define CLAIMS F("claims.jwt", JWT)
#define LINUX  F("x86_64-linux.bin", BIN)
#define MACOS  F("aarch64-macos.bin", "mac")

static void test_par_layout(void **state)
{
    (void)state;
    const ent x[] = { CLAIMS, LINUX, MACOS, F("world.wasm", "\0asm") };
    got g = { 0 };
    assert_string_equal(par(TGZ, x, 4, 1, "x86_64-linux", &g), "ok");
    assert_string_equal(listing(&g), "claims.jwt 0644 5\n"
                        "bin/provider 0755 14\nworld.wasm 0644 4\n");
    assert_memory_equal(find_file(&g, "bin/provider")->data, BIN, 14);
    assert_memory_equal(find_file(&g, "claims.jwt")->data, JWT, 5);
    assert_memory_equal(find_file(&g, "world.wasm")->data, "\0asm", 4);
    got_free(&g);
    assert_string_equal(par(TAR, x, 3, 0, "aarch64-macos", &g), "4 x.par: "
                        "entry 'aarch64-macos.bin': does not match the "
                        "verified record (3 bytes, sha256 348a629f5ceed032c3e"
                        "8706ec47d9bfafb00fb4250b018dd965435ca50cb836e)");
    got_free(&g);
}

static void test_par_hostile(void **state)
{
    (void)state;
    static const struct { ent x[4]; size_t n; int world; const char *want; }
    c[] = {
        { { CLAIMS, { "x86_64-linux.bin", NULL, 0, NULL, "claims.jwt", 0 } },
          2, 0, "3 x.par: entry 'x86_64-linux.bin': hard link" },
        { { CLAIMS, { "x86_64-linux.bin", NULL, 0, "/bin/sh", NULL, 0 } },
          2, 0, "3 x.par: entry 'x86_64-linux.bin': symbolic link" },
        { { CLAIMS, { "x86_64-linux.bin", NULL, 0, NULL, NULL, AE_IFIFO } },
          2, 0, "3 x.par: entry 'x86_64-linux.bin': not a regular file" },
        { { CLAIMS, { "x86_64-linux.bin", NULL, 0, NULL, NULL, AE_IFCHR } },
          2, 0, "3 x.par: entry 'x86_64-linux.bin': not a regular file" },
        { { CLAIMS, D("bin/") }, 2, 0,
          "3 x.par: entry 'bin/': not a regular file" },
        { { CLAIMS, F("lib/x86_64-linux.bin", BIN) }, 2, 0,
          "3 x.par: entry 'lib/x86_64-linux.bin': not at the archive root" },
        { { CLAIMS, F("../x86_64-linux.bin", BIN) }, 2, 0,
          "3 x.par: entry '../x86_64-linux.bin': '..' component" },
        { { CLAIMS, F("/x86_64-linux.bin", BIN) }, 2, 0,
          "3 x.par: entry '/x86_64-linux.bin': absolute path" },
        { { CLAIMS, F("x86_64 linux.bin", BIN) }, 2, 0,
          "3 x.par: entry 'x86_64 linux.bin': name has a character other "
          "than A-Za-z0-9._-" },
        { { CLAIMS, F("x86_64-linux", BIN) }, 2, 0,
          "3 x.par: entry 'x86_64-linux': name is not "
          "<arch>-<os>.<extension>" },
        { { CLAIMS, LINUX, F("X86_64-Linux.bin", BIN) }, 3, 0,
          "3 x.par: entry 'X86_64-Linux.bin': differs only in case from "
          "'x86_64-linux'" },
        { { CLAIMS, LINUX, F("x86_64-linux.exe", BIN) }, 3, 0,
          "3 x.par: entry 'x86_64-linux.exe': duplicate entry" },
        { { CLAIMS, LINUX, F("CLAIMS.JWT", JWT) }, 3, 0,
          "3 x.par: entry 'CLAIMS.JWT': differs only in case from "
          "'claims'" },
        { { LINUX }, 1, 0, "3 x.par: archive has no claims.jwt" },
        { { CLAIMS, MACOS }, 2, 0, "4 x.par: no binary for 'x86_64-linux', "
          "which the verified record lists" },
        { { CLAIMS, LINUX }, 2, 1, "4 x.par: world.wasm is missing, unlike "
          "the verified record" },
        { { CLAIMS, LINUX, F("world.wasm", "w") }, 3, 0,
          "4 x.par: world.wasm is present, unlike the verified record" },
        { { CLAIMS, F("x86_64-linux.bin", "provider bytez") }, 2, 0,
          "4 x.par: entry 'x86_64-linux.bin': does not match the verified "
          "record (14 bytes, sha256 7498f107465c6a3c4caab40ac4496990aff668d2"
          "a43da9c9fe5e8b96a50c8abe)" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        got g = { 0 };
        const char *r = par(TAR, c[i].x, c[i].n, c[i].world, "x86_64-linux",
                            &g);
        if (strcmp(r, c[i].want))
            fail_msg("case %zu\n  want: %s\n  got:  %s", i, c[i].want, r);
        got_free(&g);
    }
}

/* A tar header by hand: name, type, size (octal), checksum; no data. */
static void tar_header(uint8_t h[512], const char *name, unsigned long long
                       size)
{
    memset(h, 0, 512);
    snprintf((char *)h, 100, "%s", name);
    memcpy(h + 100, "0000644", 7);
    snprintf((char *)h + 124, 12, "%011llo", size);
    memcpy(h + 136, "00000000000", 11);
    h[156] = '0';
    memcpy(h + 257, "ustar\0" "00", 8);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
}

/* Caps: entries, the claims' size, and a binary whose header claims more
 * than WH_PKG_MAX_SIZE (refused before a byte of it is read). */
static void test_par_caps(void **state)
{
    (void)state;
    ent *x = calloc(257, sizeof *x);
    char (*names)[32] = calloc(257, 32);
    x[0] = (ent)CLAIMS;
    x[1] = (ent)LINUX;
    for (int i = 2; i < 257; i++) {
        snprintf(names[i], 32, "t%d-linux.bin", i);
        x[i] = (ent){ names[i], "x", 1, NULL, NULL, 0 };
    }
    got g = { 0 };
    assert_string_equal(par(TAR, x, 256, 0, "x86_64-linux", &g), "ok");
    got_free(&g);
    assert_string_equal(par(TAR, x, 257, 0, "x86_64-linux", &g), "3 x.par: "
                        "more than 256 entries");
    got_free(&g);
    char *big = malloc(64 * 1024 + 1);
    memset(big, 'A', 64 * 1024 + 1);
    x[0] = (ent){ "claims.jwt", big, 64 * 1024 + 1, NULL, NULL, 0 };
    assert_string_equal(par(TGZ, x, 2, 0, "x86_64-linux", &g), "3 x.par: "
                        "entry 'claims.jwt': larger than 65536 bytes");
    assert_int_equal(g.n, 0);
    free(big);
    free(names);
    free(x);
    uint8_t t[1024 + 512];
    memset(t, 0, sizeof t);
    tar_header(t, "x86_64-linux.bin", (unsigned long long)WH_PKG_MAX_SIZE + 1);
    assert_string_equal(unpack_as(WH_PKG_PAR, par_rec(0), "x.par", t,
                                  sizeof t, "x86_64-linux", &g), "3 x.par: "
                        "entry 'x86_64-linux.bin': larger than 536870912 "
                        "bytes");
    tar_header(t, "x86_64-linux.bin", 1000);
    assert_string_equal(unpack_as(WH_PKG_PAR, par_rec(0), "x.par", t, 512,
                                  "x86_64-linux", &g), "3 x.par: entry "
                        "'x86_64-linux.bin': cannot read: truncated tar "
                        "archive");
    assert_int_equal(g.n, 0);
}

WH_TEST_MAIN("pkg_unpack",
    cmocka_unit_test(test_host_target),
    cmocka_unit_test(test_ferrpkg_plain),
    cmocka_unit_test(test_ferrpkg_rich),
    cmocka_unit_test(test_ferrpkg_bound),
    cmocka_unit_test(test_callback_error),
    cmocka_unit_test(test_bundle_layout),
    cmocka_unit_test(test_bundle_names),
    cmocka_unit_test(test_bundle_entries),
    cmocka_unit_test(test_bundle_caps),
    cmocka_unit_test(test_par_fixture),
    cmocka_unit_test(test_targets),
    cmocka_unit_test(test_par_layout),
    cmocka_unit_test(test_par_hostile),
    cmocka_unit_test(test_par_caps),
)

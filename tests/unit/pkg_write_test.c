/* pkg_write_test.c - tests for common/pkg_write.c: Ferrite's manifest,
 * the .ferrpkg header byte for byte (checksum from the reference vector
 * of pkg_test.c, computed independently in Python from Ferrite's
 * definition), serde_json's compact form, the zip writer (exact header
 * fields, determinism, read back by libarchive and the bundle reader),
 * bundle manifests and error relocation, and a package checked with its
 * signature (good, tampered, untrusted, unsigned).
 */
#include "tests/unit/wh_test.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/pkg.h"

static const uint8_t empty_wasm[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };

/* The reference vectors: Ferrite's checksum and the SHA-256 of the empty
 * module (pkg_test.c checks the first against the reader). */
#define EMPTY_SUM "7372b11fa7fb9f91e2e6fc6ddd86b35c"
#define EMPTY_SHA256 \
    "93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476"

static const char *errtext(int rc, const wh_err *e)
{
    static char buf[1200];
    char m[1024];
    snprintf(buf, sizeof buf, "%d %s", wh_err_exit(rc),
             wh_err_format(e, m, sizeof m));
    return buf;
}

static json_t *meta_of(const char *toml)
{
    json_t *meta = NULL;
    wh_err e;
    int rc = wh_ferrite_manifest_read("m.toml", toml, strlen(toml), &meta, &e);
    if (rc)
        fail_msg("%s", errtext(rc, &e));
    return meta;
}

/* --- the .ferrpkg header --------------------------------------------------- */

static const char full_manifest[] =
    "[module]\n"
    "name = \"hello\"\n"
    "version = \"1.0.0\"\n"
    "author = \"Ada\"\n"
    "description = \"a \\\"test\\\"\\tmodule\\u0001 \xc3\xa9\"\n"
    "license = \"MIT\"\n"
    "tags = [\"b\", \"a\", \"b\"]\n"
    "min_ferrite_version = \"0.3.0\"\n"
    "extra = 1\n"
    "\n"
    "[dependencies]\n"
    "zeta = \"^1\"\n"
    "alpha = \"~1.2\"\n";

static const char full_header[] =
    "{\"name\":\"hello\",\"version\":\"1.0.0\",\"author\":\"Ada\","
    "\"description\":\"a \\\"test\\\"\\tmodule\\u0001 \xc3\xa9\","
    "\"license\":\"MIT\",\"checksum\":\"" EMPTY_SUM "\",\"wasm_size\":8,"
    "\"sha256\":\"" EMPTY_SHA256 "\",\"categories\":[],\"tags\":[\"a\",\"b\"],"
    "\"dependencies\":{\"alpha\":\"~1.2\",\"zeta\":\"^1\"},"
    "\"min_ferrite_version\":\"0.3.0\"}";

static void test_ferrpkg_bytes(void **state)
{
    (void)state;
    json_t *meta = meta_of(full_manifest), *hdr = NULL;
    uint8_t *out = NULL;
    size_t len = 0, hl = sizeof full_header - 1;
    wh_err e;
    assert_int_equal(wh_ferrpkg_header(meta, empty_wasm, 8, &hdr, &e), 0);
    assert_int_equal(wh_ferrpkg_write(hdr, empty_wasm, 8, &out, &len, &e), 0);
    assert_int_equal(len, 8 + hl + 8);
    assert_memory_equal(out, "FPKG", 4);
    assert_int_equal(out[4] | out[5] << 8 | out[6] << 16 | out[7] << 24, hl);
    assert_memory_equal(out + 8, full_header, hl);
    assert_memory_equal(out + 8 + hl, empty_wasm, 8);
    wh_pkg pkg;                            /* and the reader takes it */
    assert_int_equal(wh_pkg_read_mem("x", out, len, NULL, &pkg, &e), 0);
    assert_string_equal(pkg.name, "hello");
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(pkg.record, "ferrite"), "min_ferrite_version")),
        "0.3.0");
    assert_null(json_object_get(pkg.record, "warnings"));
    wh_pkg_free(&pkg);
    free(out);
    json_decref(hdr);
    json_decref(meta);
}

/* The least manifest: Ferrite's keys, then wharf's, the optional one
 * absent; the same bytes every time. */
static void test_ferrpkg_minimal(void **state)
{
    (void)state;
    static const char want[] =
        "FPKG\xfc\0\0\0{\"name\":\"m\",\"version\":\"0.1.0\",\"author\":\"\","
        "\"description\":\"\",\"license\":\"\",\"checksum\":\"" EMPTY_SUM "\","
        "\"wasm_size\":8,\"sha256\":\"" EMPTY_SHA256 "\",\"categories\":[],"
        "\"tags\":[],\"dependencies\":{}}";
    json_t *meta = meta_of("[module]\nname='m'\nversion='0.1.0'\nauthor=''\n"
                           "description=''\nlicense=''\n"), *hdr = NULL;
    uint8_t *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    assert_int_equal(wh_ferrpkg_header(meta, empty_wasm, 8, &hdr, NULL), 0);
    assert_int_equal(wh_ferrpkg_write(hdr, empty_wasm, 8, &a, &la, NULL), 0);
    assert_int_equal(wh_ferrpkg_write(hdr, empty_wasm, 8, &b, &lb, NULL), 0);
    assert_int_equal(la, sizeof want - 1 + 8);
    assert_memory_equal(a, want, sizeof want - 1);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
    json_decref(hdr);
    json_decref(meta);
}

/* --- manifest errors ---------------------------------------------------------- */

static void test_manifest_errors(void **state)
{
    (void)state;
#define ID "[module]\nname='a'\nversion='1.0.0'\nauthor='x'\ndescription='d'\n"
    static const struct { const char *toml, *err; } v[] = {
        { "name = 'a'\n", "3 m.toml: missing key 'module'" },
        { "module = 1\n", "3 m.toml:1:10: 'module' must be a table" },
        { "[module]\nname='a'\nversion='1.0.0'\n",
          "3 m.toml:1:1: missing key 'module.author'" },
        { ID, "3 m.toml:1:1: missing key 'module.license'" },
        { "[module]\nname='a/b'\n",
          "3 m.toml:2:6: module name 'a/b' contains '/'" },
        { "[module]\nname='a'\nversion=1\n",
          "3 m.toml:3:9: 'module.version' must be a string" },
        { "[module]\nname='a'\nversion='1.0'\n",
          "3 m.toml:3:9: module.version '1.0' is not SemVer 2.0.0: "
          "missing patch version" },
        { "[module]\nname=\"a\\u0000b\"\n",
          "3 m.toml:2:6: 'module.name' contains a NUL byte" },
        { ID "license='MIT'\ntags='x'\n",
          "3 m.toml:7:6: 'module.tags' must be an array" },
        { ID "license='MIT'\ncategories=[1]\n",
          "3 m.toml:7:13: 'module.categories[0]' must be a string" },
        { ID "license='MIT'\ntags=['a','']\n",
          "3 m.toml:7:6: 'tags' entry 2 is empty" },
        { ID "license='MIT'\nmin_ferrite_version='x'\n",
          "3 m.toml:7:21: module.min_ferrite_version 'x' is not SemVer 2.0.0: "
          "invalid character 'x' in major version" },
        { ID "license='MIT'\n[dependencies]\nb=1\n",
          "3 m.toml:8:3: 'dependencies.b' must be a string" },
        { ID "license='MIT'\n[dependencies]\nb='^x'\n",
          "3 m.toml:8:3: dependency 'b': requirement '^x': 'x' must be the "
          "whole requirement in cargo syntax" },
        { "dependencies=3\n" ID "license='MIT'\n",
          "3 m.toml:1:14: 'dependencies' must be a table" },
        { ID "license='MIT'\n[dependencies]\n'b/c'='1'\n",
          "3 m.toml:8:7: dependency: module name 'b/c' contains '/'" },
        { "[module\n", "3 m.toml:1:8: expected ']' after table name" },
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        json_t *meta = (json_t *)1;
        wh_err e;
        int rc = wh_ferrite_manifest_read("m.toml", v[i].toml,
                                          strlen(v[i].toml), &meta, &e);
        assert_int_not_equal(rc, 0);
        assert_null(meta);
        if (strcmp(errtext(rc, &e), v[i].err) != 0) {
            print_message("case %zu: got  %s\n        want %s\n", i,
                          errtext(rc, &e), v[i].err);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
#undef ID
}

/* --- serde_json's compact form -------------------------------------------- */

static void test_json_compact(void **state)
{
    (void)state;
    json_t *v = json_pack("{s:[i,b,n,s#],s:{}}", "k\x1f", -5, 1,
                          "\x7f\\/\b\f\n\r\x01", (size_t)8, "o");
    char *s;
    size_t n;
    assert_int_equal(wh_pkg_json_compact(v, &s, &n, NULL), 0);
    assert_string_equal(s, "{\"k\\u001f\":[-5,true,null,"
                           "\"\x7f\\\\/\\b\\f\\n\\r\\u0001\"],\"o\":{}}");
    assert_int_equal(n, strlen(s));
    free(s);
    json_decref(v);
    v = json_pack("[f]", 1.5);
    wh_err e;
    assert_int_equal(wh_pkg_json_compact(v, &s, &n, &e), WH_E_FORMAT);
    assert_null(s);
    json_decref(v);
}

/* --- zip ------------------------------------------------------------------- */

static uint32_t u32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void test_zip_fields(void **state)
{
    (void)state;
    static uint8_t big[4000];
    memset(big, 'z', sizeof big);
    wh_zip_file f[] = { { "a.txt", (const uint8_t *)"hi", 2 },
                        { "d/big", big, sizeof big } };
    uint8_t *z = NULL, *z2 = NULL;
    size_t n = 0, n2 = 0;
    assert_int_equal(wh_zip_write(f, 2, &z, &n, NULL), 0);
    /* the first local header: "hi" is stored (deflate saves nothing) */
    assert_int_equal(u32(z), 0x04034b50);
    assert_int_equal(u16(z + 4), 20);          /* version needed */
    assert_int_equal(u16(z + 6), 0);           /* flags */
    assert_int_equal(u16(z + 8), 0);           /* stored */
    assert_int_equal(u16(z + 10), 0);          /* 00:00:00 */
    assert_int_equal(u16(z + 12), 0x21);       /* 1980-01-01 */
    assert_int_equal(u32(z + 14), 0xd8932aac); /* crc32("hi") */
    assert_int_equal(u32(z + 18), 2);
    assert_int_equal(u32(z + 22), 2);
    assert_int_equal(u16(z + 26), 5);
    assert_int_equal(u16(z + 28), 0);
    assert_memory_equal(z + 30, "a.txt" "hi", 7);
    /* the second is deflated */
    assert_int_equal(u32(z + 37), 0x04034b50);
    assert_int_equal(u16(z + 37 + 8), 8);
    assert_true(u32(z + 37 + 18) < 100);
    assert_int_equal(u32(z + 37 + 22), sizeof big);
    /* the end record: 2 entries, the directory where it says */
    const uint8_t *end = z + n - 22;
    assert_int_equal(u32(end), 0x06054b50);
    assert_int_equal(u16(end + 10), 2);
    assert_int_equal(u32(end + 16) + u32(end + 12), n - 22);
    assert_int_equal(u32(z + u32(end + 16)), 0x02014b50);
    assert_int_equal(u32(z + u32(end + 16) + 38), 0100644u << 16);
    /* the same bytes again */
    assert_int_equal(wh_zip_write(f, 2, &z2, &n2, NULL), 0);
    assert_int_equal(n, n2);
    assert_memory_equal(z, z2, n);
    /* libarchive reads it back, CRCs and all */
    struct archive *a = archive_read_new();
    struct archive_entry *ae;
    char buf[5000];
    archive_read_support_format_zip_seekable(a);
    assert_int_equal(archive_read_open_memory(a, z, n), ARCHIVE_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(archive_read_next_header(a, &ae), ARCHIVE_OK);
        assert_string_equal(archive_entry_pathname(ae), f[i].name);
        assert_int_equal(archive_entry_mode(ae), 0100644);
        assert_int_equal(archive_read_data(a, buf, sizeof buf), f[i].len);
        assert_memory_equal(buf, f[i].data, f[i].len);
    }
    assert_int_equal(archive_read_next_header(a, &ae), ARCHIVE_EOF);
    archive_read_free(a);
    free(z);
    free(z2);
}

static void test_zip_refused(void **state)
{
    (void)state;
    static const struct { const char *a, *b, *err; } v[] = {
        { "x", "../y", "3 path '../y' has a '..' component" },
        { "x", "/abs", "3 absolute path '/abs'" },
        { "x", "x", "3 duplicate entry 'x'" },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        wh_zip_file f[] = { { v[i].a, empty_wasm, 8 }, { v[i].b, NULL, 0 } };
        uint8_t *z = (uint8_t *)1;
        size_t n;
        wh_err e;
        int rc = wh_zip_write(f, 2, &z, &n, &e);
        assert_null(z);
        assert_string_equal(errtext(rc, &e), v[i].err);
    }
}

/* --- bundles --------------------------------------------------------------- */

static const char plugin_toml[] =
    "[plugin]\nname = \"csv\"\nversion = \"0.3.1\"\ndescription = \"d\"\n"
    "author = \"Ada\"\nlicense = \"MIT\"\n";

static void test_bundle_round_trip(void **state)
{
    (void)state;
    char name[65], version[257];
    wh_zip_file f[] = {
        { "plugin.toml", (const uint8_t *)plugin_toml, sizeof plugin_toml - 1 },
        { "csv.wasm", empty_wasm, 8 },
        { "README.md", (const uint8_t *)"# csv\n", 6 },
    };
    uint8_t *z = NULL;
    size_t n = 0;
    wh_pkg pkg;
    wh_err e;
    assert_int_equal(wh_bundle_manifest_id("p.toml", plugin_toml,
                     sizeof plugin_toml - 1, name, version, &e), 0);
    assert_string_equal(name, "csv");
    assert_string_equal(version, "0.3.1");
    assert_int_equal(wh_zip_write(f, 3, &z, &n, NULL), 0);
    assert_int_equal(wh_pkg_read_mem("b.zip", z, n, NULL, &pkg, &e), 0);
    assert_int_equal(pkg.kind, WH_PKG_BUNDLE);
    assert_string_equal(pkg.name, "csv");
    json_t *plug = json_object_get(pkg.record, "plugin");
    assert_string_equal(json_string_value(json_object_get(plug, "wasm")),
                        "csv.wasm");
    assert_true(json_is_true(json_object_get(plug, "readme")));
    assert_true(json_is_false(json_object_get(plug, "wit")));
    assert_string_equal(wh_pkg_ext(&pkg, z, n), ".zip");
    wh_pkg_free(&pkg);
    free(z);
}

static void test_bundle_errors(void **state)
{
    (void)state;
    static const char bad_deps[] =
        "[plugin]\nname = \"csv\"\nversion = \"0.3.1\"\ndescription = \"d\"\n"
        "author = \"Ada\"\nlicense = \"MIT\"\ndependencies = { b = 1 }\n";
    char name[65], version[257];
    wh_err e;
    int rc = wh_bundle_manifest_id("p.toml", "[plugin]\nname='csv'\n", 20,
                                   name, version, &e);
    assert_string_equal(errtext(rc, &e),
                        "3 p.toml:1:1: missing key 'plugin.version'");
    rc = wh_bundle_manifest_id("p.toml", "[plugin]\nname='.x'\nversion='1.0.0'",
                               34, name, version, &e);
    assert_string_equal(errtext(rc, &e), "3 p.toml:2:6: module name '.x' "
                        "must start with a letter or digit");
    /* an error the reader finds, moved to the manifest */
    wh_zip_file f[] = {
        { "plugin.toml", (const uint8_t *)bad_deps, sizeof bad_deps - 1 },
        { "csv.wasm", empty_wasm, 8 },
    };
    uint8_t *z = NULL;
    size_t n = 0;
    wh_pkg pkg;
    assert_int_equal(wh_zip_write(f, 2, &z, &n, NULL), 0);
    rc = wh_pkg_read_mem("out/csv-0.3.1.zip", z, n, NULL, &pkg, &e);
    assert_string_equal(errtext(rc, &e), "3 out/csv-0.3.1.zip: plugin.toml:7:"
                        "22: 'plugin.dependencies.b' must be a string");
    assert_int_equal(wh_bundle_error_relocate(&e, "src/plugin.toml"), rc);
    assert_string_equal(errtext(rc, &e), "3 src/plugin.toml:7:22: "
                        "'plugin.dependencies.b' must be a string");
    /* an error elsewhere is left alone */
    wh_fail(&e, WH_E_FORMAT, "b.zip", -1, "entry 'x.wasm': bad");
    wh_bundle_error_relocate(&e, "src/plugin.toml");
    assert_string_equal(errtext(WH_E_FORMAT, &e), "3 b.zip: entry 'x.wasm': bad");
    free(z);
}

/* --- a package file with its signature -------------------------------------- */

static void write_file(const char *dir, const char *name, const void *d,
                       size_t n)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    assert_int_equal(wh_file_write_atomic(p, d, n, 0644, NULL), 0);
}

static void test_check_file(void **state)
{
    (void)state;
    char dir[256], path[600];
    assert_int_equal(wh_test_tmpdir(dir, sizeof dir, "pkgw"), 0);
    json_t *meta = meta_of(full_manifest), *hdr = NULL;
    uint8_t *pkgb = NULL;
    size_t len = 0;
    assert_int_equal(wh_ferrpkg_header(meta, empty_wasm, 8, &hdr, NULL), 0);
    assert_int_equal(wh_ferrpkg_write(hdr, empty_wasm, 8, &pkgb, &len, NULL), 0);
    write_file(dir, "p.ferrpkg", pkgb, len);
    snprintf(path, sizeof path, "%s/p.ferrpkg", dir);

    wh_keyring kr = { 0 }, other = { 0 };
    wh_minisign_seckey *sk = NULL, *sk2 = NULL;
    wh_minisign_pubkey pk, pk2;
    wh_minisign_sig sig;
    char sigp[620], id[17];
    wh_pkg_checked f;
    wh_err e;
    assert_int_equal(wh_minisign_keygen(&sk, &pk, NULL), 0);
    assert_int_equal(wh_minisign_keygen(&sk2, &pk2, NULL), 0);
    assert_int_equal(wh_keyring_add(&kr, &pk, "k.pub", NULL), 0);
    assert_int_equal(wh_keyring_add(&other, &pk2, "o.pub", NULL), 0);
    wh_minisign_keyid_hex(pk.key_id, id);

    /* unsigned: read, sig NULL */
    assert_int_equal(wh_pkg_check_file(path, &kr, &f, &e), 0);
    assert_null(f.sig);
    assert_string_equal(f.pkg.name, "hello");
    wh_pkg_checked_free(&f);

    /* signed by a key of the ring */
    assert_int_equal(wh_minisign_sign_buffer(&sig, sk, pkgb, len, "tc", NULL,
                                             0, NULL), 0);
    snprintf(sigp, sizeof sigp, "%s.minisig", path);
    assert_int_equal(wh_minisign_sig_save(&sig, sigp, NULL), 0);
    assert_int_equal(wh_pkg_check_file(path, &kr, &f, &e), 0);
    assert_non_null(f.sig);
    assert_string_equal(f.key_id, id);
    assert_string_equal(f.trusted, "tc");
    wh_pkg_checked_free(&f);

    /* by a key the ring does not hold */
    int rc = wh_pkg_check_file(path, &other, &f, &e);
    char want[800];
    snprintf(want, sizeof want, "4 %s: signed by key %s, which is not trusted",
             sigp, id);
    assert_string_equal(errtext(rc, &e), want);
    assert_null(f.data);

    /* tampered: the signature fails before the package is read */
    pkgb[len - 1] ^= 1;
    write_file(dir, "p.ferrpkg", pkgb, len);
    rc = wh_pkg_check_file(path, &kr, &f, &e);
    snprintf(want, sizeof want, "4 %s: signature verification failed", sigp);
    assert_string_equal(errtext(rc, &e), want);
    /* unsigned and tampered: the reader's verdict */
    unlink(sigp);
    rc = wh_pkg_check_file(path, &kr, &f, &e);
    assert_int_equal(wh_err_exit(rc), WH_EXIT_VERIFY);
    assert_non_null(strstr(e.reason, "checksum mismatch"));

    wh_minisign_seckey_free(sk);
    wh_minisign_seckey_free(sk2);
    wh_keyring_free(&kr);
    wh_keyring_free(&other);
    free(pkgb);
    json_decref(hdr);
    json_decref(meta);
    assert_int_equal(wh_test_tmpdir_remove(dir), 0);
}

WH_TEST_MAIN("pkg_write",
    cmocka_unit_test(test_ferrpkg_bytes),
    cmocka_unit_test(test_ferrpkg_minimal),
    cmocka_unit_test(test_manifest_errors),
    cmocka_unit_test(test_json_compact),
    cmocka_unit_test(test_zip_fields),
    cmocka_unit_test(test_zip_refused),
    cmocka_unit_test(test_bundle_round_trip),
    cmocka_unit_test(test_bundle_errors),
    cmocka_unit_test(test_check_file),
)

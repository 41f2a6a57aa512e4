/* pkg_test.c - tests for common/pkg.c, pkg_ferrpkg.c and pkg_bundle.c.
 *
 * tests/unit/pkg.data holds two tables, one case a line: module names
 * (wh_pkg_name_check) and .ferrpkg headers (wh_ferrpkg_read on a header
 * + the empty module), each with the exact record or error expected.
 * The C tests below cover what a text line cannot: Ferrite's checksum
 * against vectors computed independently (Python, from the issue's
 * definition), the binary framing of .ferrpkg (truncation, header length,
 * checksum mismatches in both forms, sha256 mismatches, invalid modules),
 * the record of a sha256-form checksum through the front end, format
 * recognition, module descriptions, and plugin bundles built in memory
 * with libarchive (good, broken manifest, unsafe, duplicate and special
 * entries, caps, corrupted and truncated archives).  PAR has its own
 * tests.
 */
#include "tests/unit/wh_test.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include "common/json.h"
#include "common/pkg.h"

/* The empty module, a module whose only function returns an i64 where
 * an i32 is declared (wat2wasm --no-check), and one with an import and an
 * export of every kind (tests/cli/t1011-ferrpkg.sh builds the same from
 * text with wat2wasm). */
static const uint8_t empty_wasm[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
static const uint8_t bad_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60,
    0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00,
    0x42, 0x01, 0x0b,
};
static const uint8_t rich_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x10, 0x03, 0x60,
    0x02, 0x7f, 0x7e, 0x01, 0x7d, 0x60, 0x00, 0x00, 0x60, 0x02, 0x7f, 0x7f,
    0x01, 0x7f, 0x02, 0x20, 0x03, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6c, 0x6f,
    0x67, 0x00, 0x00, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x74, 0x61, 0x62, 0x01,
    0x6f, 0x00, 0x00, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x67, 0x03, 0x7f, 0x01,
    0x03, 0x03, 0x02, 0x01, 0x02, 0x04, 0x05, 0x01, 0x70, 0x01, 0x01, 0x0a,
    0x05, 0x04, 0x01, 0x01, 0x01, 0x02, 0x06, 0x06, 0x01, 0x7e, 0x00, 0x42,
    0x2a, 0x0b, 0x07, 0x21, 0x05, 0x01, 0x74, 0x01, 0x01, 0x06, 0x61, 0x6e,
    0x73, 0x77, 0x65, 0x72, 0x03, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x01,
    0x03, 0x61, 0x64, 0x64, 0x00, 0x02, 0x04, 0x68, 0x65, 0x61, 0x70, 0x02,
    0x00, 0x0a, 0x0c, 0x02, 0x02, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20,
    0x01, 0x6a, 0x0b,
};
static const char rich_desc[] =
    "{\"exports\":[{\"kind\":\"table\",\"name\":\"t\",\"type\":\"funcref 1..10\"},"
    "{\"kind\":\"global\",\"name\":\"answer\",\"type\":\"i64\"},"
    "{\"kind\":\"func\",\"name\":\"run\",\"type\":\"() -> ()\"},"
    "{\"kind\":\"func\",\"name\":\"add\",\"type\":\"(i32 i32) -> (i32)\"},"
    "{\"kind\":\"memory\",\"name\":\"heap\",\"type\":\"1..2\"}],"
    "\"imports\":[{\"kind\":\"func\",\"module\":\"env\",\"name\":\"log\","
    "\"type\":\"(i32 i64) -> (f32)\"},"
    "{\"kind\":\"table\",\"module\":\"env\",\"name\":\"tab\",\"type\":"
    "\"externref 0..\"},"
    "{\"kind\":\"global\",\"module\":\"env\",\"name\":\"g\",\"type\":"
    "\"mut i32\"}]}";

#define EMPTY_SUM "7372b11fa7fb9f91e2e6fc6ddd86b35c"
#define EMPTY_SHA256 \
    "93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476"

/* --- helpers ---------------------------------------------------------- */

/* Canonical JSON of v, in a static buffer. */
static const char *canon(const json_t *v)
{
    static char buf[8192];
    char *s;
    size_t n;
    if (wh_json_canon(v, &s, &n, NULL))
        return "(not canonical)";
    snprintf(buf, sizeof buf, "%s", s);
    free(s);
    return buf;
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

/* "FPKG" + u32le hlen + header + wasm into a malloc'd buffer. */
static uint8_t *ferrpkg(const char *hdr, size_t hl, const uint8_t *wasm,
                        size_t wl, size_t *len)
{
    uint8_t *b = malloc(8 + hl + wl + 1);
    memcpy(b, "FPKG", 4);
    for (int i = 0; i < 4; i++)
        b[4 + i] = (uint8_t)(hl >> (8 * i));
    memcpy(b + 8, hdr, hl);
    if (wl)
        memcpy(b + 8 + hl, wasm, wl);
    *len = 8 + hl + wl;
    return b;
}

/* Decode \xNN escapes in place; returns the length. */
static size_t unescape(char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        unsigned v;
        if (s[i] == '\\' && s[i + 1] == 'x' && sscanf(s + i + 2, "%2x", &v) == 1) {
            s[o++] = (char)v;
            i += 3;
        } else {
            s[o++] = s[i];
        }
    }
    s[o] = '\0';
    return o;
}

/* --- the table ---------------------------------------------------------- */

struct tally { int line, pass, fail; };

static void verdict(struct tally *t, const char *got, const char *want)
{
    if (strcmp(got, want) == 0) {
        t->pass++;
        return;
    }
    t->fail++;
    printf("FAIL pkg.data:%d:\n  want: %s\n  got:  %s\n", t->line, want, got);
}

static void name_case(struct tally *t, char *name, const char *want)
{
    size_t n = strlen(name);
    if (n < 2 || name[0] != '"' || name[n - 1] != '"') {
        verdict(t, "(name not quoted)", want);
        return;
    }
    name[n - 1] = '\0';
    n = unescape(name + 1);
    wh_err e;
    int rc = wh_pkg_name_check(name + 1, n, &e);
    verdict(t, rc ? e.reason : "ok", want);
}

static void ferrpkg_case(struct tally *t, const char *hdr, const char *want)
{
    size_t len;
    uint8_t *f = ferrpkg(hdr, strlen(hdr), empty_wasm, sizeof empty_wasm,
                         &len);
    wh_pkg p;
    wh_err e;
    char got[8300];
    int rc = wh_ferrpkg_read("t.ferrpkg", f, len, NULL, &p, &e);
    if (rc == 0) {
        snprintf(got, sizeof got, "ok %s", canon(p.record));
        if (strcmp(p.name, "hello") || strcmp(p.version, "1.0.0") ||
            p.kind != WH_PKG_FERRPKG)
            snprintf(got, sizeof got, "bad fields %s %s", p.name, p.version);
        wh_pkg_free(&p);
    } else {
        snprintf(got, sizeof got, "%s", errtext(rc, &e));
        assert_null(p.record);
    }
    verdict(t, got, want);
    free(f);
}

static void test_table(void **state)
{
    (void)state;
    FILE *fp = fopen("tests/unit/pkg.data", "r");
    assert_non_null(fp);
    struct tally t = { 0, 0, 0 };
    static char line[16384];
    while (fgets(line, sizeof line, fp)) {
        t.line++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *kind = line, *in = strchr(line, '\t'), *want;
        if (!in || !(want = strchr(in + 1, '\t'))) {
            verdict(&t, "(need three TAB-separated fields)", line);
            continue;
        }
        *in++ = '\0';
        *want++ = '\0';
        if (strcmp(kind, "name") == 0)
            name_case(&t, in, want);
        else if (strcmp(kind, "ferrpkg") == 0)
            ferrpkg_case(&t, in, want);
        else
            verdict(&t, "(unknown kind)", kind);
    }
    fclose(fp);
    wh_test_report("pkg.data", t.pass, t.fail);
    assert_int_equal(t.fail, 0);
    assert_true(t.pass > 50);
}

/* --- Ferrite's checksum -------------------------------------------------- */

static void test_fnv(void **state)
{
    (void)state;
    static const struct { const char *in; size_t len; const char *sum; } v[] = {
        { "", 0, "af63bd4c8601b7dfcc8b68776d62fae6" },
        { "a", 1, "089be307b544f39776c3d69a7d8423c8" },
        { "hello world", 11, "782e1388cd5a67041fc38fcd157dff5b" },
        { "\0asm\1\0\0\0", 8, EMPTY_SUM },
    };
    char out[33];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        wh_ferrite_checksum((const uint8_t *)v[i].in, v[i].len, out);
        assert_string_equal(out, v[i].sum);
    }
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    wh_ferrite_checksum(all, sizeof all, out);
    assert_string_equal(out, "5ad384d356b6b3df768a71f82d0117e6");
}

/* --- .ferrpkg framing ---------------------------------------------------- */

static const char good_hdr[] =
    "{\"name\":\"hello\",\"version\":\"1.0.0\",\"author\":\"Ada\","
    "\"description\":\"d\",\"license\":\"MIT\",\"checksum\":\"" EMPTY_SUM
    "\",\"wasm_size\":8}";

/* The same with the checksum's sha256 form. */
static const char sha_hdr[] =
    "{\"name\":\"hello\",\"version\":\"1.0.0\",\"author\":\"Ada\","
    "\"description\":\"d\",\"license\":\"MIT\",\"checksum\":\"" EMPTY_SHA256
    "\",\"wasm_size\":8}";

/* Read data as "t.ferrpkg" through the front end; "ok" or the error. */
static const char *read_mem(const uint8_t *d, size_t len)
{
    wh_pkg p;
    wh_err e;
    int rc = wh_pkg_read_mem("t.ferrpkg", d, len, NULL, &p, &e);
    if (rc)
        return errtext(rc, &e);
    wh_pkg_free(&p);
    return "ok";
}

static void test_ferrpkg_framing(void **state)
{
    (void)state;
    size_t len;
    uint8_t *f = ferrpkg(good_hdr, strlen(good_hdr), empty_wasm, 8, &len);
    assert_string_equal(read_mem(f, len), "ok");
    /* Every truncation is an error, and says where. */
    assert_string_equal(read_mem(f, 3), "3 t.ferrpkg: offset 0x0: not a "
                        ".ferrpkg, PAR or plugin bundle (starts with 46 50 4b)");
    assert_string_equal(read_mem(f, 4), "3 t.ferrpkg: offset 0x4: truncated: "
                        "the file ends inside the header length");
    assert_string_equal(read_mem(f, 7), "3 t.ferrpkg: offset 0x7: truncated: "
                        "the file ends inside the header length");
    assert_string_equal(read_mem(f, 8), "3 t.ferrpkg: offset 0x4: truncated: "
                        "header length 143 but only 0 bytes follow");
    assert_string_equal(read_mem(f, 150), "3 t.ferrpkg: offset 0x4: "
                        "truncated: header length 143 but only 142 bytes "
                        "follow");
    assert_string_equal(read_mem(f, 151), "3 t.ferrpkg: offset 0x97: "
                        "wasm_size 8 does not match the 0 bytes present");
    assert_string_equal(read_mem(f, len - 1), "3 t.ferrpkg: offset 0x97: "
                        "wasm_size 8 does not match the 7 bytes present");
    for (size_t n = 0; n < len; n++)
        assert_string_not_equal(read_mem(f, n), "ok");
    /* One changed byte of the module. */
    f[len - 1] ^= 1;
    assert_string_equal(read_mem(f, len), "4 t.ferrpkg: offset 0x97: "
                        "checksum mismatch: header says " EMPTY_SUM ", the "
                        "module hashes to 736f4b1fa7f8bc68e2e7fc7103892dc5");
    f[len - 1] ^= 1;
    /* A header length over the cap, or past the end. */
    f[7] = 1;
    assert_string_equal(read_mem(f, len), "3 t.ferrpkg: offset 0x4: header "
                        "length 16777359 exceeds the limit of 1048576 bytes");
    f[7] = 0;
    f[5] = 0x10;
    assert_string_equal(read_mem(f, len), "3 t.ferrpkg: offset 0x4: "
                        "truncated: header length 4239 but only 151 bytes "
                        "follow");
    free(f);
    /* The sha256 form: the whole file is recorded with its warning, and a
     * changed byte of the module is refused the same way, at the same
     * place, by the same exit status. */
    f = ferrpkg(sha_hdr, strlen(sha_hdr), empty_wasm, 8, &len);
    wh_pkg p;
    wh_err e;
    assert_int_equal(wh_pkg_read_mem("t.ferrpkg", f, len, NULL, &p, &e), 0);
    assert_string_equal(canon(json_object_get(p.record, "ferrite")),
                        "{\"checksum\":\"" EMPTY_SHA256 "\","
                        "\"checksum_algorithm\":\"sha256\"}");
    assert_string_equal(canon(json_object_get(p.record, "warnings")),
                        "[\"checksum is a 64-digit sha256, which ferrite "
                        "versions that verify only the 32-digit double fnv-1a "
                        "checksum refuse\"]");
    wh_pkg_free(&p);
    f[len - 1] ^= 1;
    assert_string_equal(read_mem(f, len), "4 t.ferrpkg: offset 0xb7: sha256 "
                        "checksum mismatch: header says " EMPTY_SHA256 ", the "
                        "module hashes to 3f499bf4c9e7483e804244d5e485b3537b21"
                        "35690a7ce7b3fd7cb2544217d729");
    for (size_t n = 0; n < len; n++)
        assert_string_not_equal(read_mem(f, n), "ok");
    free(f);
    /* A magic the front end routes elsewhere is refused by the reader. */
    int rc = wh_ferrpkg_read("x", (const uint8_t *)"PK\3\4", 4, NULL, &p, &e);
    assert_string_equal(errtext(rc, &e), "3 x: offset 0x0: not a .ferrpkg "
                        "(no \"FPKG\" magic)");
}

static void test_ferrpkg_wasm(void **state)
{
    (void)state;
    char hdr[512];
    size_t len;
    wh_pkg p;
    wh_err e;
    char sum[33];
    /* An invalid module: wasmrt's offset within the module. */
    wh_ferrite_checksum(bad_wasm, sizeof bad_wasm, sum);
    snprintf(hdr, sizeof hdr, "{\"name\":\"bad\",\"version\":\"0.1.0\","
             "\"author\":\"\",\"description\":\"\",\"license\":\"\","
             "\"checksum\":\"%s\",\"wasm_size\":%zu}", sum, sizeof bad_wasm);
    uint8_t *f = ferrpkg(hdr, strlen(hdr), bad_wasm, sizeof bad_wasm, &len);
    int rc = wh_pkg_read_mem("x.ferrpkg", f, len, NULL, &p, &e);
    assert_string_equal(errtext(rc, &e), "3 x.ferrpkg: wasm: offset 0x1a: "
                        "type mismatch");
    free(f);
    /* Not a module at all. */
    wh_ferrite_checksum((const uint8_t *)"hello", 5, sum);
    snprintf(hdr, sizeof hdr, "{\"name\":\"bad\",\"version\":\"0.1.0\","
             "\"author\":\"\",\"description\":\"\",\"license\":\"\","
             "\"checksum\":\"%s\",\"wasm_size\":5}", sum);
    f = ferrpkg(hdr, strlen(hdr), (const uint8_t *)"hello", 5, &len);
    rc = wh_pkg_read_mem("x.ferrpkg", f, len, NULL, &p, &e);
    assert_int_equal(rc, WH_E_FORMAT);
    assert_int_equal(strncmp(e.reason, "wasm: ", 6), 0);
    free(f);
    /* A good one: fields, digest and the record the index stores. */
    wh_ferrite_checksum(rich_wasm, sizeof rich_wasm, sum);
    snprintf(hdr, sizeof hdr, "{\"name\":\"rich\",\"version\":\"2.0.0-rc.1+b7\","
             "\"author\":\"Ada\",\"description\":\"all kinds\",\"license\":"
             "\"MIT\",\"checksum\":\"%s\",\"wasm_size\":%zu,\"sha256\":"
             "\"d0b6ba8f3ae0d38f0fc1a1bcac9fd32a6e0f8bfb0a7fa3d2f1c0ddc62b6f5b1c\""
             "}", sum, sizeof rich_wasm);
    f = ferrpkg(hdr, strlen(hdr), rich_wasm, sizeof rich_wasm, &len);
    rc = wh_pkg_read_mem("x.ferrpkg", f, len, NULL, &p, &e);
    assert_int_equal(rc, WH_E_VERIFY);
    assert_int_equal(strncmp(e.reason, "sha256 mismatch: header says "
                             "d0b6ba8f", 37), 0);
    free(f);
    uint8_t d[WH_SHA256_BYTES];
    char hex[WH_SHA256_HEX];
    wh_sha256_buf(rich_wasm, sizeof rich_wasm, d, NULL);
    for (int i = 0; i < WH_SHA256_BYTES; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
    snprintf(hdr, sizeof hdr, "{\"name\":\"rich\",\"version\":\"2.0.0-rc.1+b7\","
             "\"author\":\"Ada\",\"description\":\"all kinds\",\"license\":"
             "\"MIT\",\"checksum\":\"%s\",\"wasm_size\":%zu,\"sha256\":\"%s\"}",
             sum, sizeof rich_wasm, hex);
    f = ferrpkg(hdr, strlen(hdr), rich_wasm, sizeof rich_wasm, &len);
    rc = wh_pkg_read_mem("x.ferrpkg", f, len, NULL, &p, &e);
    assert_int_equal(rc, 0);
    assert_int_equal(p.kind, WH_PKG_FERRPKG);
    assert_string_equal(p.name, "rich");
    assert_string_equal(p.version, "2.0.0-rc.1+b7");
    assert_int_equal(p.size, len);
    wh_sha256_buf(f, len, d, NULL);
    for (int i = 0; i < WH_SHA256_BYTES; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
    assert_string_equal(p.sha256, hex);
    assert_string_equal(json_string_value(json_object_get(p.record, "sha256")),
                        hex);
    assert_int_equal(json_integer_value(json_object_get(p.record, "size")),
                     len);
    assert_string_equal(json_string_value(json_object_get(p.record, "kind")),
                        "ferrpkg");
    assert_string_equal(canon(json_object_get(p.record, "wasm")), rich_desc);
    wh_pkg_free(&p);
    assert_null(p.record);
    free(f);
}

/* A syntax error on the second line of a pretty-printed header is
 * reported at its byte offset in the file. */
static void test_ferrpkg_json_offset(void **state)
{
    (void)state;
    const char hdr[] = "{\n  \"name\": \"h\u00e9\",\n  \"x\": nope\n}";
    size_t len;
    uint8_t *f = ferrpkg(hdr, strlen(hdr), empty_wasm, 8, &len);
    wh_pkg p;
    wh_err e;
    int rc = wh_ferrpkg_read("t.ferrpkg", f, len, NULL, &p, &e);
    /* jansson reports the last character of the token it read: the 'e'
     * of nope, header byte 29 (the e-acute is two bytes, one column). */
    assert_string_equal(errtext(rc, &e), "3 t.ferrpkg: offset 0x25: header: "
                        "invalid token near 'nope'");
    free(f);
}

/* --- recognising formats ------------------------------------------------- */

static void test_detect(void **state)
{
    (void)state;
    wh_pkg p;
    wh_err e;
    int rc = wh_pkg_read_mem("e", (const uint8_t *)"", 0, NULL, &p, &e);
    assert_string_equal(errtext(rc, &e), "3 e: empty file");
    rc = wh_pkg_read_mem("e", (const uint8_t *)"\x7f" "ELF\2\1", 6, NULL, &p,
                         &e);
    assert_string_equal(errtext(rc, &e), "3 e: offset 0x0: not a .ferrpkg, "
                        "PAR or plugin bundle (starts with 7f 45 4c 46)");
    rc = wh_pkg_read_mem("e", (const uint8_t *)"\x1f", 1, NULL, &p, &e);
    assert_string_equal(errtext(rc, &e), "3 e: offset 0x0: not a .ferrpkg, "
                        "PAR or plugin bundle (starts with 1f)");
    /* A v7 tar header (a name, zeros, no magic) whose checksum adds up
     * goes to the PAR reader; with the checksum off by one it is no known
     * format. */
    uint8_t tar[1024];
    memset(tar, 0, sizeof tar);
    memcpy(tar, "claims.jwt", 10);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += i >= 148 && i < 156 ? ' ' : tar[i];
    snprintf((char *)tar + 148, 8, "%06o", sum);
    rc = wh_pkg_read_mem("t.par", tar, sizeof tar, NULL, &p, &e);
    assert_int_not_equal(rc, 0);
    assert_null(strstr(e.reason, "not a .ferrpkg, PAR or plugin bundle"));
    snprintf((char *)tar + 148, 8, "%06o", sum + 1);
    rc = wh_pkg_read_mem("t.par", tar, sizeof tar, NULL, &p, &e);
    assert_non_null(strstr(e.reason, "not a .ferrpkg, PAR or plugin bundle"));
    /* ustar magic alone is enough. */
    memcpy(tar + 257, "ustar", 6);
    rc = wh_pkg_read_mem("t.par", tar, sizeof tar, NULL, &p, &e);
    assert_null(strstr(e.reason, "not a .ferrpkg, PAR or plugin bundle"));
    /* gzip magic goes to the PAR reader, zip magic to the bundle reader. */
    rc = wh_pkg_read_mem("t.par", (const uint8_t *)"\x1f\x8b\x08\0junk", 8,
                         NULL, &p, &e);
    assert_int_not_equal(rc, 0);
    assert_null(strstr(e.reason, "not a .ferrpkg, PAR or plugin bundle"));
    rc = wh_pkg_read_mem("t.zip", (const uint8_t *)"PK\3\4junk", 8, NULL, &p,
                         &e);
    assert_string_equal(errtext(rc, &e), "3 t.zip: not a readable zip "
                        "archive: Unrecognized archive format");
    assert_string_equal(wh_pkg_kind_name(WH_PKG_FERRPKG), "ferrpkg");
    assert_string_equal(wh_pkg_kind_name(WH_PKG_PAR), "par");
    assert_string_equal(wh_pkg_kind_name(WH_PKG_BUNDLE), "bundle");
}

static void test_read_file(void **state)
{
    (void)state;
    char path[] = "/tmp/wharf-pkg-test.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len;
    uint8_t *f = ferrpkg(good_hdr, strlen(good_hdr), empty_wasm, 8, &len);
    assert_int_equal(write(fd, f, len), (ssize_t)len);
    close(fd);
    free(f);
    wh_pkg p;
    wh_err e;
    assert_int_equal(wh_pkg_read(path, NULL, &p, &e), 0);
    assert_string_equal(p.name, "hello");
    assert_int_equal(p.size, len);
    wh_pkg_free(&p);
    unlink(path);
    int rc = wh_pkg_read(path, NULL, &p, &e);
    assert_int_equal(rc, WH_E_NOTFOUND);
    assert_int_equal(wh_err_exit(rc), WH_EXIT_NOTFOUND);
    wh_pkg_free(NULL);
}

/* --- shared helpers ------------------------------------------------------ */

static void test_describe(void **state)
{
    (void)state;
    json_t *d;
    wh_err e;
    assert_int_equal(wh_pkg_wasm_describe("p", "wasm", rich_wasm,
                                          sizeof rich_wasm, &d, &e), 0);
    assert_string_equal(canon(d), rich_desc);
    json_decref(d);
    assert_int_equal(wh_pkg_wasm_describe("p", "wasm", empty_wasm, 8, &d, &e),
                     0);
    assert_string_equal(canon(d), "{\"exports\":[],\"imports\":[]}");
    json_decref(d);
    int rc = wh_pkg_wasm_describe("p.zip", "entry 'm.wasm'", bad_wasm,
                                  sizeof bad_wasm, &d, &e);
    assert_string_equal(errtext(rc, &e), "3 p.zip: entry 'm.wasm': offset "
                        "0x1a: type mismatch");
    assert_null(d);
    rc = wh_pkg_wasm_describe("p", "wasm", empty_wasm, 4, &d, &e);
    assert_int_equal(rc, WH_E_FORMAT);
}

static void test_quote(void **state)
{
    (void)state;
    char b[12];
    assert_string_equal(wh_quote(b, sizeof b, "abc", 3), "abc");
    assert_string_equal(wh_quote(b, sizeof b, "a\nb\xff", 4),
                        "a\\x0ab\\xff");
    assert_string_equal(wh_quote(b, sizeof b, "0123456789a", 11),
                        "0123456789a");
    assert_string_equal(wh_quote(b, sizeof b, "0123456789ab", 12),
                        "01234567...");
    assert_string_equal(wh_quote(b, sizeof b, "0123456\x01", 8),
                        "0123456\\x01");
    assert_string_equal(wh_quote(b, sizeof b, "01234567\x01", 9),
                        "01234567...");
    assert_string_equal(wh_quote(b, sizeof b, "\x01\x02\x03", 3),
                        "\\x01\\x02...");
    assert_string_equal(wh_quote(b, sizeof b, "", 0), "");
}

static void test_labels_deps(void **state)
{
    (void)state;
    json_t *in = json_pack("[s,s,s,s]", "b", "a", "b", "ab"), *out;
    wh_err e;
    assert_int_equal(wh_pkg_labels(in, "tags", &out, &e), 0);
    assert_string_equal(canon(out), "[\"a\",\"ab\",\"b\"]");
    json_decref(out);
    json_decref(in);
    in = json_array();
    for (int i = 0; i < WH_PKG_MAX_LABELS; i++)
        json_array_append_new(in, json_sprintf("t%d", i));
    assert_int_equal(wh_pkg_labels(in, "tags", &out, &e), 0);
    assert_int_equal(json_array_size(out), WH_PKG_MAX_LABELS);
    json_decref(out);
    json_array_append_new(in, json_string("x"));
    assert_int_equal(wh_pkg_labels(in, "tags", &out, &e), WH_E_LIMIT);
    assert_string_equal(e.reason, "'tags' has 65 entries, more than 64");
    assert_null(out);
    json_decref(in);
    in = json_pack("[s#]", "a\0b", (size_t)3);
    assert_int_equal(wh_pkg_labels(in, "tags", &out, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "'tags' entry 1 contains control character "
                        "0x00");
    json_decref(in);

    assert_int_equal(wh_pkg_dep_check("base", 4, "^1.2, <1.5", 10, &e), 0);
    assert_int_equal(wh_pkg_dep_check("base", 4, "=1.2.3-rc.1", 11, &e), 0);
    assert_int_equal(wh_pkg_dep_check("", 0, "1", 1, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "dependency: module name is empty");
    assert_int_equal(wh_pkg_dep_check("b", 1, "1 || 2", 6, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "dependency 'b': requirement '1 || 2': "
                        "unexpected '|' in cargo requirement");
}

/* --- plugin bundles ------------------------------------------------------ */

typedef struct zent {
    const char *name;
    const void *data;    /* NULL with link == NULL: a directory */
    size_t      len;
    const char *link;    /* a symbolic link to this */
} zent;

static const char good_toml[] =
    "[plugin]\n"
    "name = \"csv\"\n"
    "version = \"0.3.1\"\n"
    "description = \"reads CSV\"\n"
    "author = \"Ada\"\n"
    "license = \"MIT\"\n"
    "tags = [\"data\", \"csv\", \"data\"]\n"
    "dependencies = { base = \"^1.2\" }\n"
    "\n"
    "[plugin.capabilities]\n"
    "format_handler = true\n"
    "extensions = [\".csv\", \".tsv\"]\n"
    "\n"
    "[plugin.config]\n"
    "delimiter = \",\"\n"
    "rows = 1_000\n"
    "ratio = 0.50\n"
    "tiny = -6.6e-34\n"
    "when = 1979-05-27T07:32:00Z\n"
    "at = 07:32:00\n"
    "deep = { a = { b = [1, [2, \"x\"]] } }\n";

/* Write a zip of the entries to buf (cap bytes); returns its length. */
static size_t zip(uint8_t *buf, size_t cap, const zent *z, size_t n, int store)
{
    struct archive *a = archive_write_new();
    size_t used = 0;
    archive_write_set_format_zip(a);
    if (store)
        archive_write_set_options(a, "zip:compression=store");
    assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, z[i].name);
        archive_entry_set_mtime(e, 1700000000, 0);
        if (z[i].link) {
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, z[i].link);
        } else if (!z[i].data) {
            archive_entry_set_filetype(e, AE_IFDIR);
            archive_entry_set_perm(e, 0755);
        } else {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, (la_int64_t)z[i].len);
        }
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (z[i].data && z[i].len)
            assert_int_equal(archive_write_data(a, z[i].data, z[i].len),
                             (la_ssize_t)z[i].len);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return used;
}

#define ZCAP (4u << 20)
#define TOML(s) { "plugin.toml", s, sizeof s - 1, NULL }
#define WASM(n) { n, empty_wasm, sizeof empty_wasm, NULL }

/* Read a bundle of the entries as "b.zip"; "ok RECORD" or the error. */
static const char *bundle(const zent *z, size_t n)
{
    static char out[8600];
    uint8_t *buf = malloc(ZCAP);
    size_t len = zip(buf, ZCAP, z, n, 0);
    wh_pkg p;
    wh_err e;
    int rc = wh_pkg_read_mem("b.zip", buf, len, NULL, &p, &e);
    if (rc == 0) {
        json_object_del(p.record, "sha256");
        json_object_del(p.record, "size");
        snprintf(out, sizeof out, "ok %s %s %s", p.name, p.version,
                 canon(p.record));
        wh_pkg_free(&p);
    } else {
        snprintf(out, sizeof out, "%s", errtext(rc, &e));
    }
    free(buf);
    return out;
}

static void test_bundle_good(void **state)
{
    (void)state;
    const zent z[] = {
        TOML(good_toml), { "csv.wasm", rich_wasm, sizeof rich_wasm, NULL },
        { "README.md", "# csv\n", 6, NULL }, { "examples/", NULL, 0, NULL },
        { "examples/a.csv", "a,b\n", 4, NULL },
    };
    char want[4096];
    snprintf(want, sizeof want, "ok csv 0.3.1 {\"author\":\"Ada\","
             "\"categories\":[],\"dependencies\":{\"base\":\"^1.2\"},"
             "\"description\":\"reads CSV\",\"kind\":\"bundle\",\"license\":"
             "\"MIT\",\"plugin\":{\"capabilities\":{\"extensions\":[\".csv\","
             "\".tsv\"],\"format_handler\":true},\"config\":{\"at\":"
             "\"07:32:00\",\"deep\":{\"a\":{\"b\":[1,[2,\"x\"]]}},"
             "\"delimiter\":\",\",\"ratio\":\"0.50\",\"rows\":1000,\"tiny\":"
             "\"-6.6e-34\",\"when\":\"1979-05-27T07:32:00Z\"},\"readme\":true,"
             "\"wasm\":\"csv.wasm\",\"wit\":false},\"tags\":[\"csv\",\"data\"],"
             "\"wasm\":%s}", rich_desc);
    assert_string_equal(bundle(z, 5), want);
    /* The minimal manifest: no optional keys or tables. */
    const zent m[] = {
        WASM("p.wasm"), { "plugin.wit", "x", 1, NULL },
        TOML("[plugin]\nname=\"p\"\nversion=\"1.0.0\"\ndescription=\"\"\n"
             "author=\"\"\nlicense=\"\"\n"),
    };
    assert_string_equal(bundle(m, 3), "ok p 1.0.0 {\"author\":\"\","
                        "\"categories\":[],\"dependencies\":{},\"description\":"
                        "\"\",\"kind\":\"bundle\",\"license\":\"\",\"plugin\":"
                        "{\"capabilities\":{},\"config\":{},\"readme\":false,"
                        "\"wasm\":\"p.wasm\",\"wit\":true},\"tags\":[],"
                        "\"wasm\":{\"exports\":[],\"imports\":[]}}");
}

static void test_bundle_manifest(void **state)
{
    (void)state;
    static const struct { const char *toml, *want; } c[] = {
        { "[plugin]\nname = 1\n",
          "3 b.zip: plugin.toml:2:8: 'plugin.name' must be a string" },
        { "[plugin]\nname = \"x\"\n",
          "3 b.zip: plugin.toml:1:1: missing key 'plugin.version'" },
        { "name = \"x\"\n", "3 b.zip: plugin.toml: missing key 'plugin'" },
        { "[plugin]\nname = \"x\"\nname = \"y\"\n",
          "3 b.zip: plugin.toml:3:1: duplicate key 'plugin.name'" },
        { "[plugin]\nname = \"x y\"\n",
          "3 b.zip: plugin.toml:2:8: module name 'x y' contains ' '" },
        { "[plugin]\nname = \"x\"\nversion = \"1.0\"\n",
          "3 b.zip: plugin.toml:3:11: version '1.0' is not SemVer 2.0.0: "
          "missing patch version" },
        { "[plugin]\nname=\"x\"\nversion=\"1.0.0\"\ndescription=\"\"\n"
          "author=\"\"\nlicense=3\n",
          "3 b.zip: plugin.toml:6:9: 'plugin.license' must be a string" },
        { "[plugin]\nname=\"x\"\nversion=\"1.0.0\"\ndescription=\"\"\n"
          "author=\"\"\nlicense=\"\"\ntags=[\"a\", 2]\n",
          "3 b.zip: plugin.toml:7:12: 'plugin.tags[1]' must be a string" },
        { "[plugin]\nname=\"x\"\nversion=\"1.0.0\"\ndescription=\"\"\n"
          "author=\"\"\nlicense=\"\"\ncategories=[\"\"]\n",
          "3 b.zip: plugin.toml:7:12: 'categories' entry 1 is empty" },
        { "[plugin]\nname=\"x\"\nversion=\"1.0.0\"\ndescription=\"\"\n"
          "author=\"\"\nlicense=\"\"\n[plugin.dependencies]\nbase = \"~>1\"\n",
          "3 b.zip: plugin.toml:8:8: dependency 'base': requirement '~>1': "
          "invalid character '>' in major version" },
        { "[plugin]\nname=\"x\"\nversion=\"1.0.0\"\ndescription=\"\"\n"
          "author=\"\"\nlicense=\"\"\ncapabilities = []\n",
          "3 b.zip: plugin.toml:7:16: 'plugin.capabilities' must be a table" },
        { "[plugin]\nname=\"x\"\nversion=\"1.0.0\"\ndescription=\"\"\n"
          "author=\"\"\nlicense=\"\"\n[plugin.config]\n\"a\\u0000\" = 1\n",
          "3 b.zip: plugin.toml:8:13: key in 'plugin.config' contains a NUL "
          "byte" },
        { "[plugin\n", "3 b.zip: plugin.toml:1:8: expected ']' after table "
          "name" },
        { "[plugin.config]\nx = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]"
          "]]]]]]]]]]]]]]]]]]]]]]\n",
          "3 b.zip: plugin.toml:2:35: nesting deeper than 32 levels" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        zent z[] = { { "plugin.toml", c[i].toml, strlen(c[i].toml), NULL },
                     WASM("p.wasm") };
        const char *got = bundle(z, 2);
        if (strcmp(got, c[i].want) != 0)
            printf("case %zu:\n  want: %s\n  got:  %s\n", i, c[i].want, got);
        assert_string_equal(got, c[i].want);
    }
}

#define MIN_TOML "[plugin]\nname=\"p\"\nversion=\"1.0.0\"\ndescription=\"\"\n" \
                 "author=\"\"\nlicense=\"\"\n"

static void test_bundle_entries(void **state)
{
    (void)state;
    const zent none[] = { WASM("p.wasm") };
    assert_string_equal(bundle(none, 1), "3 b.zip: no plugin.toml at the root "
                        "of the bundle");
    const zent nowasm[] = { TOML(MIN_TOML), WASM("lib.wasm.txt") };
    assert_string_equal(bundle(nowasm, 2), "3 b.zip: no .wasm module at the "
                        "root of the bundle");
    const zent two[] = { TOML(MIN_TOML), WASM("a.wasm"), WASM("b.wasm") };
    assert_string_equal(bundle(two, 3), "3 b.zip: two modules, 'a.wasm' and "
                        "'b.wasm': a bundle holds exactly one");
    const zent sub[] = { TOML(MIN_TOML), WASM("lib/p.wasm") };
    assert_string_equal(bundle(sub, 2), "3 b.zip: entry 'lib/p.wasm': the "
                        "module must be at the root of the bundle");
    const zent dup[] = { TOML(MIN_TOML), WASM("p.wasm"), TOML(MIN_TOML) };
    assert_string_equal(bundle(dup, 3), "3 b.zip: duplicate entry "
                        "'plugin.toml'");
    const zent dupdir[] = { { "d/", NULL, 0, NULL }, { "d", "x", 1, NULL } };
    assert_string_equal(bundle(dupdir, 2), "3 b.zip: duplicate entry 'd'");
    const zent link[] = { TOML(MIN_TOML), WASM("p.wasm"),
                          { "README.md", NULL, 0, "/etc/passwd" } };
    assert_string_equal(bundle(link, 3), "3 b.zip: entry 'README.md' is a "
                        "symbolic link");
    const zent up[] = { { "../x", "x", 1, NULL } };
    assert_string_equal(bundle(up, 1), "3 b.zip: unsafe entry: path '../x' "
                        "has a '..' component");
    const zent abs[] = { { "/etc/x", "x", 1, NULL } };
    assert_string_equal(bundle(abs, 1), "3 b.zip: unsafe entry: absolute "
                        "path '/etc/x'");
    const zent dot[] = { { "a/./b", "x", 1, NULL } };
    assert_string_equal(bundle(dot, 1), "3 b.zip: unsafe entry: path 'a/./b' "
                        "has a '.' component");
    const zent ctl[] = { { "a\nb", "x", 1, NULL } };
    assert_string_equal(bundle(ctl, 1), "3 b.zip: unsafe entry: name "
                        "'a\\x0ab' contains control character 0x0a");
    const zent bad[] = { TOML(MIN_TOML),
                         { "p.wasm", bad_wasm, sizeof bad_wasm, NULL } };
    assert_string_equal(bundle(bad, 2), "3 b.zip: entry 'p.wasm': offset "
                        "0x1a: type mismatch");
}

static void test_bundle_caps(void **state)
{
    (void)state;
    /* 257 entries. */
    zent *z = calloc(257, sizeof *z);
    char (*names)[16] = calloc(257, 16);
    for (int i = 0; i < 257; i++) {
        snprintf(names[i], 16, "f%d", i);
        z[i] = (zent){ names[i], "x", 1, NULL };
    }
    assert_string_equal(bundle(z, 256), "3 b.zip: no plugin.toml at the root "
                        "of the bundle");
    assert_string_equal(bundle(z, 257), "3 b.zip: more than 256 entries");
    free(z);
    free(names);
    /* A manifest over 1 MiB (compressed to a few KiB) is not read. */
    size_t big = (1u << 20) + 1;
    char *t = malloc(big);
    memset(t, '#', big);
    const zent m[] = { { "plugin.toml", t, big, NULL }, WASM("p.wasm") };
    assert_string_equal(bundle(m, 2), "3 b.zip: entry 'plugin.toml' is larger "
                        "than the limit of 1048576 bytes");
    const zent ok[] = { { "plugin.toml", t, big - 1, NULL }, WASM("p.wasm") };
    assert_string_equal(bundle(ok, 2), "3 b.zip: plugin.toml: missing key "
                        "'plugin'");
    free(t);
}

static uint8_t *find(uint8_t *hay, size_t n, const char *needle, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return hay + i;
    return NULL;
}

/* Corrupt bytes and truncations of a stored bundle: never accepted with
 * different contents. */
static void test_bundle_corrupt(void **state)
{
    (void)state;
    const zent z[] = { TOML(MIN_TOML), WASM("p.wasm") };
    uint8_t *buf = malloc(ZCAP);
    size_t len = zip(buf, ZCAP, z, 2, 1);
    wh_pkg p;
    wh_err e;
    assert_int_equal(wh_pkg_read_mem("b.zip", buf, len, NULL, &p, &e), 0);
    char sha[WH_SHA256_HEX];
    memcpy(sha, p.sha256, sizeof sha);
    wh_pkg_free(&p);
    /* Every truncation fails: the central directory is at the end. */
    for (size_t n = 4; n < len; n++) {
        int rc = wh_pkg_read_mem("b.zip", buf, n, NULL, &p, &e);
        if (rc == 0)
            printf("truncated to %zu bytes: accepted\n", n);
        assert_int_not_equal(rc, 0);
    }
    int rc = wh_pkg_read_mem("b.zip", buf, len - 1, NULL, &p, &e);
    assert_string_equal(errtext(rc, &e), "3 b.zip: not a readable zip "
                        "archive: Unrecognized archive format");
    /* A changed byte in the manifest's data: its CRC fails. */
    uint8_t *at = find(buf, len, "name=\"p\"", 8);
    assert_non_null(at);
    at[6] = 'q';
    rc = wh_pkg_read_mem("b.zip", buf, len, NULL, &p, &e);
    assert_int_equal(rc, WH_E_FORMAT);
    assert_int_equal(strncmp(e.reason, "entry 'plugin.toml': ZIP bad CRC", 32),
                     0);
    at[6] = 'p';
    /* Likewise in the module. */
    at = find(buf, len, "\0asm", 4);
    assert_non_null(at);
    at[7] ^= 0x40;
    rc = wh_pkg_read_mem("b.zip", buf, len, NULL, &p, &e);
    assert_int_equal(rc, WH_E_FORMAT);
    assert_int_equal(strncmp(e.reason, "entry 'p.wasm': ZIP bad CRC", 27), 0);
    free(buf);
}

WH_TEST_MAIN("pkg",
             cmocka_unit_test(test_table),
             cmocka_unit_test(test_fnv),
             cmocka_unit_test(test_ferrpkg_framing),
             cmocka_unit_test(test_ferrpkg_wasm),
             cmocka_unit_test(test_ferrpkg_json_offset),
             cmocka_unit_test(test_detect),
             cmocka_unit_test(test_read_file),
             cmocka_unit_test(test_describe),
             cmocka_unit_test(test_quote),
             cmocka_unit_test(test_labels_deps),
             cmocka_unit_test(test_bundle_good),
             cmocka_unit_test(test_bundle_manifest),
             cmocka_unit_test(test_bundle_entries),
             cmocka_unit_test(test_bundle_caps),
             cmocka_unit_test(test_bundle_corrupt))

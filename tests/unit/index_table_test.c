/* index_table_test.c - common/index_table.c: the installer's table of a
 * verified index (docs/index-format.md, "The installer's table").
 *
 * Indexes are built in memory as canonical JSON, signed with a fresh key
 * and verified with wh_index_verify, as `wharf update` does; the table is
 * built from them and read back: the header, each module's record (the
 * latest version by Cargo's rule, description, labels), lookups, and each
 * module's versions parsed from its span equal to the parsed index's.
 * The scanner meets strings full of quotes, backslashes and brackets, and
 * "modules" keys below the top level.  Then hostile tables: each header
 * refusal with its exact reason, every truncation, random byte flips
 * (caught by the CRC), and random byte flips with the CRC made right
 * again (a table wrong on purpose), which must be refused or read
 * consistently (every accessor within bounds: run it under ASan), never
 * crash.
 */
#include "tests/unit/wh_test.h"

#include <zlib.h>

#include "common/hex.h"
#include "common/index.h"
#include "common/index_table.h"
#include "common/json.h"
#include "common/minisign.h"
#include "common/sha256.h"

#define SERIAL    7
#define GENERATED 1795241157
#define EXPIRES   1803017157
#define SHA_A     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static wh_minisign_seckey *sk;
static wh_minisign_pubkey pk;
static char key_id[17];

static void free_key(void)
{
    wh_minisign_seckey_free(sk);
}

static void keys(void)
{
    if (sk)
        return;
    assert_int_equal(wh_minisign_keygen(&sk, &pk, NULL), 0);
    wh_minisign_keyid_hex(pk.key_id, key_id);
    atexit(free_key);
}

/* A version record; extra (may be NULL) is merged into it. */
static json_t *rec(const char *mod, const char *ver, const char *desc,
                   json_t *extra)
{
    char path[200];
    snprintf(path, sizeof path, "packages/%s@%s.ferrpkg", mod, ver);
    json_t *r = json_pack("{s:s,s:s,s:I,s:s,s:{s:s},s:s,s:s,s:s,s:[s],s:[ss]}",
                          "kind", "ferrpkg", "path", path, "size", (json_int_t)10,
                          "sha256", SHA_A, "signer", "status", "unsigned",
                          "description", desc, "author", "Ada", "license", "MIT",
                          "categories", "Tools", "tags", "Alpha", "beta");
    assert_non_null(r);
    if (extra) {
        json_object_update(r, extra);
        json_decref(extra);
    }
    return r;
}

static void add(json_t *mods, const char *mod, const char *ver, json_t *r)
{
    json_t *m = json_object_get(mods, mod);
    if (!m) {
        m = json_pack("{s:{}}", "versions");
        json_object_set_new(mods, mod, m);
    }
    json_object_set_new(json_object_get(m, "versions"), ver, r);
}

/* The modules of the main test index. */
static json_t *modules(void)
{
    json_t *m = json_object();
    add(m, "hello", "1.0.0", rec("hello", "1.0.0", "says \"hi\" {not} [json]", NULL));
    add(m, "hello", "1.5.0", rec("hello", "1.5.0", "yanked one",
                                 json_pack("{s:s}", "yanked", "broken")));
    add(m, "hello", "2.0.0-rc.1", rec("hello", "2.0.0-rc.1", "a prerelease", NULL));
    add(m, "a-parser", "0.1.0", rec("a-parser", "0.1.0", "ends with a backslash \\",
        json_pack("{s:{s:{s:s}},s:[i,s,s]}", "modules", "x", "y", "z",
                  "categories", 1, "Parsers", "nul")));
    json_array_set_new(json_object_get(json_object_get(json_object_get(
        json_object_get(m, "a-parser"), "versions"), "0.1.0"), "categories"), 2,
        json_stringn("nu\0l", 4));
    add(m, "zeta", "3.0.0", rec("zeta", "3.0.0", "\"modules\":{\"evil\":{}}\\\\", NULL));
    add(m, "Zed_2", "0.0.1", rec("Zed_2", "0.0.1", "", NULL));
    return m;
}

/* A verified index of mods (consumed); ix owns its bytes. */
static void make_index(wh_index *ix, json_t *mods)
{
    keys();
    json_t *d = json_pack("{s:s,s:{s:s,s:s},s:I,s:I,s:I,s:o}",
                          "format", WH_INDEX_FORMAT, "repository", "name", "example",
                          "key_id", key_id, "serial", (json_int_t)SERIAL,
                          "generated", (json_int_t)GENERATED,
                          "expires", (json_int_t)EXPIRES, "modules", mods);
    char *bytes, tc[256];
    size_t len;
    uint8_t dg[WH_SHA256_BYTES];
    wh_err e;
    assert_int_equal(wh_json_canon(d, &bytes, &len, &e), 0);
    json_decref(d);
    wh_index_head h = { SERIAL, EXPIRES, "" };
    wh_sha256_buf(bytes, len, dg, NULL);
    wh_hex_encode(h.sha256, dg, sizeof dg, 0);
    wh_index_comment(tc, sizeof tc, &h);
    wh_minisign_sig sig;
    assert_int_equal(wh_minisign_sign_buffer(&sig, sk, bytes, len, tc, NULL, 0, &e), 0);
    if (wh_index_verify(ix, &sig, &pk, bytes, len, "x.json", "x.minisig", &e))
        fail_msg("wh_index_verify: %s", e.reason);
}

static unsigned char *build(const wh_index *ix, size_t *len)
{
    unsigned char *t;
    wh_err e;
    if (wh_itab_build(ix, &t, len, &e))
        fail_msg("wh_itab_build: %s", e.reason);
    return t;
}

/* The CRC a table carries: every byte but its own 4 (offset 156). */
static void fix_crc(unsigned char *t, size_t len)
{
    uLong c = crc32(crc32(0L, t, 156), t + 160, (uInt)(len - 160));
    for (int i = 0; i < 4; i++)
        t[156 + i] = (unsigned char)(c >> (8 * i));
}

static char *items(const char *list, size_t len)
{
    static char out[256];
    size_t pos = 0, o = 0;
    const char *it;
    out[0] = '\0';
    while ((it = wh_itab_list_next(list, len, &pos)))
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", o ? "," : "", it);
    return out;
}

/* ---- the good table -------------------------------------------------------- */

static void test_header(void **state)
{
    (void)state;
    wh_index ix;
    wh_itab t;
    size_t len;
    make_index(&ix, modules());
    unsigned char *b = build(&ix, &len);
    assert_memory_equal(b, "wharftab", 8);
    assert_int_equal(wh_itab_open(&t, b, len, "t.bin", NULL), 0);
    assert_int_equal(t.head.copy_size, ix.len);
    assert_string_equal(t.head.sha256, ix.head.sha256);
    assert_int_equal(t.head.serial, SERIAL);
    assert_int_equal(t.head.generated, GENERATED);
    assert_int_equal(t.head.expires, EXPIRES);
    assert_int_equal(t.head.modules, 4);
    assert_int_equal(t.head.packages, 6);
    assert_string_equal(t.repository, "example");
    assert_true(wh_itab_matches(&t, &ix.head, ix.len));
    assert_false(wh_itab_matches(&t, &ix.head, ix.len + 1));
    wh_index_head other = ix.head;
    other.sha256[3] ^= 1;
    assert_false(wh_itab_matches(&t, &other, ix.len));
    other = ix.head;
    other.serial++;
    assert_false(wh_itab_matches(&t, &other, ix.len));
    free(b);
    wh_index_free(&ix);
}

static void test_records(void **state)
{
    (void)state;
    wh_index ix;
    wh_itab t;
    wh_itab_mod m;
    size_t len;
    make_index(&ix, modules());
    unsigned char *b = build(&ix, &len);
    assert_int_equal(wh_itab_open(&t, b, len, "t.bin", NULL), 0);
    static const char *want[][5] = {   /* name, latest, description, cats, tags */
        { "Zed_2", "0.0.1", "", "Tools", "Alpha,beta" },
        { "a-parser", "0.1.0", "ends with a backslash \\", "Parsers", "Alpha,beta" },
        { "hello", "1.0.0", "says \"hi\" {not} [json]", "Tools", "Alpha,beta" },
        { "zeta", "3.0.0", "\"modules\":{\"evil\":{}}\\\\", "Tools", "Alpha,beta" },
    };
    for (size_t i = 0; i < 4; i++) {
        wh_itab_get(&t, i, &m);
        assert_string_equal(m.name, want[i][0]);
        assert_int_equal(m.name_len, strlen(want[i][0]));
        assert_string_equal(m.latest, want[i][1]);
        assert_string_equal(m.description, want[i][2]);
        assert_string_equal(items(m.categories, m.categories_len), want[i][3]);
        assert_string_equal(items(m.tags, m.tags_len), want[i][4]);
        assert_int_equal(wh_itab_find(&t, want[i][0], strlen(want[i][0])), (long)i);
    }
    assert_int_equal(wh_itab_find(&t, "hell", 4), -1);
    assert_int_equal(wh_itab_find(&t, "hello2", 6), -1);
    assert_int_equal(wh_itab_find(&t, "evil", 4), -1);
    assert_int_equal(wh_itab_find(&t, "", 0), -1);
    free(b);
    wh_index_free(&ix);
}

/* Every module's versions, from its span, equal the parsed index's. */
static void test_versions(void **state)
{
    (void)state;
    wh_index ix;
    wh_itab t;
    wh_itab_mod m;
    size_t len;
    wh_err e;
    make_index(&ix, modules());
    unsigned char *b = build(&ix, &len);
    assert_int_equal(wh_itab_open(&t, b, len, "t.bin", NULL), 0);
    for (size_t i = 0; i < t.head.modules; i++) {
        json_t *vs;
        wh_itab_get(&t, i, &m);
        assert_int_equal(wh_itab_versions(&t, i, ix.bytes, ix.len, "c.json", &vs, &e), 0);
        json_t *want = json_object_get(json_object_get(json_object_get(ix.json, "modules"),
                                               m.name), "versions");
        assert_true(json_equal(vs, want));
        json_decref(vs);
    }
    json_t *vs;
    assert_int_equal(wh_itab_versions(&t, 0, ix.bytes, ix.len - 1, "c.json", &vs, &e),
                     WH_E_VERIFY);
    char msg[100];
    snprintf(msg, sizeof msg, "%zu bytes, not the %zu of the index the table was "
             "built from", ix.len - 1, ix.len);
    assert_string_equal(e.reason, msg);
    assert_null(vs);
    /* Another copy of the same size: the span is not the module's value. */
    char *other = malloc(ix.len);
    memset(other, ' ', ix.len);
    assert_int_equal(wh_itab_versions(&t, 2, other, ix.len, "c.json", &vs, &e),
                     WH_E_FORMAT);
    assert_string_equal(e.reason, "module 'hello': the table's span is not its "
                        "value (a damaged table)");
    free(other);
    free(b);
    wh_index_free(&ix);
}

static void test_empty(void **state)
{
    (void)state;
    wh_index ix;
    wh_itab t;
    size_t len;
    make_index(&ix, json_object());
    unsigned char *b = build(&ix, &len);
    assert_int_equal(len, 160 + 8);          /* the header, "example" and its NUL */
    assert_int_equal(wh_itab_open(&t, b, len, "t.bin", NULL), 0);
    assert_int_equal(t.head.modules, 0);
    assert_int_equal(wh_itab_find(&t, "a", 1), -1);
    free(b);
    wh_index_free(&ix);
}

/* The same index gives the same bytes. */
static void test_deterministic(void **state)
{
    (void)state;
    wh_index ix;
    size_t l1, l2;
    make_index(&ix, modules());
    unsigned char *a = build(&ix, &l1), *b = build(&ix, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    free(a);
    free(b);
    wh_index_free(&ix);
}

/* Not a verified canonical index: the builder refuses, never guesses. */
static void test_build_refuses(void **state)
{
    (void)state;
    wh_index ix;
    unsigned char *t;
    size_t len;
    wh_err e;
    make_index(&ix, modules());
    char *good = ix.bytes;
    ix.bytes = "{\"modules\":{\"hello\":{}}";          /* cut short */
    ix.len = strlen(ix.bytes);
    assert_int_equal(wh_itab_build(&ix, &t, &len, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "cannot find the modules in the index bytes "
                        "(not a verified canonical index)");
    assert_null(t);
    ix.bytes = good;
    ix.len = strlen(good);
    wh_index_free(&ix);
}

/* ---- hostile tables ----------------------------------------------------------- */

static void expect_refused(const unsigned char *b, size_t len, long long off,
                           const char *reason)
{
    wh_itab t;
    wh_err e;
    assert_int_equal(wh_itab_open(&t, b, len, "t.bin", &e), WH_E_FORMAT);
    assert_string_equal(e.path, "t.bin");
    assert_int_equal(e.offset, off);
    assert_string_equal(e.reason, reason);
    assert_null(t.records);
}

static void test_header_refusals(void **state)
{
    (void)state;
    wh_index ix;
    size_t len;
    make_index(&ix, modules());
    unsigned char *g = build(&ix, &len), *b = malloc(len);
    char why[200];
    memcpy(b, g, len);
    b[0] = 'W';
    expect_refused(b, len, 0, "not a wharf index table");
    expect_refused(g, 100, 0, "not a wharf index table");
    memcpy(b, g, len);
    b[8] = 2;
    expect_refused(b, len, 8, "table format 2, not 1");
    snprintf(why, sizeof why, "the table is %zu bytes, its header says %zu (a "
             "truncated table)", len - 1, len);
    expect_refused(g, len - 1, 112, why);
    memcpy(b, g, len);
    b[len - 1] ^= 0x40;
    expect_refused(b, len, 156, "checksum mismatch (a damaged table)");
    memcpy(b, g, len);
    b[130] = 1;                                 /* a reserved byte */
    fix_crc(b, len);
    expect_refused(b, len, 12, "sections out of place (a damaged table)");
    memcpy(b, g, len);
    b[80] = 5;                                  /* one module more */
    fix_crc(b, len);
    expect_refused(b, len, 12, "sections out of place (a damaged table)");
    memcpy(b, g, len);
    b[160 + 48 + 8] = 0xff;                    /* record 1's span offset */
    b[160 + 48 + 11] = 0x7f;
    fix_crc(b, len);
    expect_refused(b, len, 160 + 48, "a span outside the index (a damaged table)");
    memcpy(b, g, len);
    memcpy(b + 160, g + 160 + 48, 48);         /* record 0 = record 1 */
    fix_crc(b, len);
    expect_refused(b, len, 160 + 48, "names out of order (a damaged table)");
    memcpy(b, g, len);
    b[160 + 4] = 200;                          /* name length past the pool */
    fix_crc(b, len);
    expect_refused(b, len, 160, "a string out of bounds (a damaged table)");
    free(b);
    free(g);
    wh_index_free(&ix);
}

static void test_truncations(void **state)
{
    (void)state;
    wh_index ix;
    wh_itab t;
    size_t len;
    make_index(&ix, modules());
    unsigned char *g = build(&ix, &len);
    for (size_t n = 0; n < len; n++) {
        unsigned char *b = malloc(n ? n : 1);   /* exact size: ASan sees overreads */
        memcpy(b, g, n);
        assert_int_equal(wh_itab_open(&t, b, n, "t.bin", NULL), WH_E_FORMAT);
        free(b);
    }
    free(g);
    wh_index_free(&ix);
}

/* Read everything an open table offers, as a command would. */
static void read_all(const wh_itab *t, const wh_index *ix)
{
    wh_itab_mod m;
    for (size_t i = 0; i < t->head.modules; i++) {
        json_t *vs = NULL;
        size_t pos = 0;
        wh_itab_get(t, i, &m);
        assert_int_equal(strlen(m.name), m.name_len);
        assert_true(m.latest[m.latest_len] == '\0');
        assert_true(m.description[m.description_len] == '\0');
        while (wh_itab_list_next(m.categories, m.categories_len, &pos))
            ;
        assert_true(pos == m.categories_len);
        for (pos = 0; wh_itab_list_next(m.tags, m.tags_len, &pos);)
            ;
        assert_true(pos == m.tags_len);
        long k = wh_itab_find(t, m.name, m.name_len);
        assert_true(k >= 0 && (size_t)k < t->head.modules);
        wh_itab_versions(t, i, ix->bytes, ix->len, "c.json", &vs, NULL);
        json_decref(vs);
    }
}

static void flips(int fix, int *opened)
{
    wh_index ix;
    wh_itab t;
    size_t len;
    make_index(&ix, modules());
    unsigned char *g = build(&ix, &len), *b = malloc(len);
    srand(20261205);
    for (int round = 0; round < 20000; round++) {
        memcpy(b, g, len);
        for (int k = 0, n = 1 + rand() % 4; k < n; k++)
            b[(size_t)rand() % len] ^= (unsigned char)(1 + rand() % 255);
        if (fix)
            fix_crc(b, len);
        if (wh_itab_open(&t, b, len, "t.bin", NULL) == 0) {
            ++*opened;
            read_all(&t, &ix);
        }
    }
    free(b);
    free(g);
    wh_index_free(&ix);
}

static void test_flips(void **state)
{
    (void)state;
    int opened = 0;
    flips(0, &opened);
    assert_int_equal(opened, 0);          /* the CRC catches every one */
}

static void test_flips_crafted(void **state)
{
    (void)state;
    int opened = 0;
    flips(1, &opened);
    /* Flips inside strings, or of a span's length, keep a table readable;
     * the rest are refused.  Both kinds must occur for the test to mean
     * anything. */
    assert_true(opened > 100);
    assert_true(opened < 20000);
}

WH_TEST_MAIN("index_table",
    cmocka_unit_test(test_header),
    cmocka_unit_test(test_records),
    cmocka_unit_test(test_versions),
    cmocka_unit_test(test_empty),
    cmocka_unit_test(test_deterministic),
    cmocka_unit_test(test_build_refuses),
    cmocka_unit_test(test_header_refusals),
    cmocka_unit_test(test_truncations),
    cmocka_unit_test(test_flips),
    cmocka_unit_test(test_flips_crafted),
)

/* par_write_test.c - common/par_write.c: seeds, claims, tokens, archives.
 *
 * The seed vector is the NATS documentation's example user seed, with its
 * public key and a signature by it that NATS clients test against (an
 * outside reference for the seed layout, the key derivation and Ed25519
 * signing).  Tokens are checked by common/jwt.c and archives by
 * common/pkg_par.c, the readers wharf-index uses, so a writer that drifts
 * from them fails here.  The commands are tests/cli/t2023-wharf-par.sh.
 */
#include "tests/unit/wh_test.h"

#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/base32.h"
#include "common/base64.h"
#include "common/fs.h"
#include "common/jwt.h"
#include "common/minisign.h"
#include "common/par_write.h"
#include "common/pkg.h"

/* NATS docs: a user seed, its public key, and its signature of a nonce. */
static const char NATS_SEED[] =
    "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
static const char NATS_PUB[] =
    "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";
static const char NATS_NONCE[] = "DhXdTMAeiHhLDig";
static const char NATS_SIG[] =
    "WosANJXgeyxerXFo0twRiMG+/ZjYp1K/46bFeFax705yFTCTjM18jWl01gGYk4KKbadiHd+"
    "hP3WgUQ2iLZUAAA==";

static const char *fmt(const wh_err *e)
{
    static char buf[1024];
    return wh_err_format(e, buf, sizeof buf);
}

static void fixed_key(wh_par_key *k, int role, uint8_t fill)
{
    uint8_t seed[32];
    memset(seed, fill, sizeof seed);
    assert_int_equal(wh_par_key_from_seed(k, role, seed, NULL), 0);
}

/* ---- seeds ----------------------------------------------------------- */

static void test_seed_vector(void **state)
{
    (void)state;
    wh_par_key k;
    wh_err e;
    assert_int_equal(wh_par_key_decode(&k, NATS_SEED, strlen(NATS_SEED), -1,
                                       &e), 0);
    assert_int_equal(k.role, WH_NKEY_USER);
    assert_string_equal(k.pub, NATS_PUB);
    char again[WH_NKEY_SEED_LEN + 1];
    wh_par_key_seed_text(&k, again);
    assert_string_equal(again, NATS_SEED);
    /* The signature NATS clients expect from this key: it verifies, and
     * the secret key derived here makes it again (Ed25519 is
     * deterministic). */
    uint8_t sig[64], mine[64];
    size_t n;
    assert_int_equal(wh_base64_decode(sig, sizeof sig, &n, NATS_SIG,
                                      strlen(NATS_SIG), NULL), 0);
    assert_int_equal(n, 64);
    assert_int_equal(wh_ed25519_verify(sig, NATS_NONCE, strlen(NATS_NONCE),
                                       k.pk), 0);
    crypto_sign_detached(mine, NULL, (const uint8_t *)NATS_NONCE,
                         strlen(NATS_NONCE), k.sk);
    assert_memory_equal(mine, sig, 64);
}

static void test_seed_roles(void **state)
{
    (void)state;
    static const struct { int role; char letter; } roles[] = {
        { WH_NKEY_ACCOUNT, 'A' }, { WH_NKEY_SERVICE, 'V' },
        { WH_NKEY_OPERATOR, 'O' }, { WH_NKEY_SERVER, 'N' },
        { WH_NKEY_CLUSTER, 'C' }, { WH_NKEY_USER, 'U' },
        { WH_NKEY_MODULE, 'M' },
    };
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        wh_par_key k, back;
        char s[WH_NKEY_SEED_LEN + 1];
        fixed_key(&k, roles[i].role, (uint8_t)(i + 7));
        wh_par_key_seed_text(&k, s);
        assert_int_equal(strlen(s), WH_NKEY_SEED_LEN);
        assert_int_equal(s[0], 'S');
        assert_int_equal(s[1], roles[i].letter);
        assert_int_equal(k.pub[0], roles[i].letter);
        assert_int_equal(wh_par_key_decode(&back, s, strlen(s),
                                           roles[i].role, NULL), 0);
        assert_string_equal(back.pub, k.pub);
        assert_memory_equal(back.sk, k.sk, 64);
    }
}

/* A seed text of raw bytes b0 b1 (the CRC made right). */
static void forged_seed(char out[WH_NKEY_SEED_LEN + 1], uint8_t b0,
                        uint8_t b1)
{
    uint8_t raw[36] = { b0, b1 };
    uint16_t crc = wh_crc16_xmodem(raw, 34);
    raw[34] = (uint8_t)(crc & 0xff);
    raw[35] = (uint8_t)(crc >> 8);
    wh_base32_encode(out, raw, sizeof raw);
}

static void test_seed_rejections(void **state)
{
    (void)state;
    char s[WH_NKEY_SEED_LEN + 1], bad[WH_NKEY_SEED_LEN + 1];
    wh_par_key k;
    wh_err e;
    fixed_key(&k, WH_NKEY_ACCOUNT, 3);
    wh_par_key_seed_text(&k, s);
    struct { const char *text; int want; const char *reason; } cases[] = {
        { "SA", -1, "seed has 2 characters, expected 58" },
        { NATS_PUB, -1, "seed has 56 characters, expected 58" },
        { NATS_SEED, WH_NKEY_SERVICE, "a user seed, expected a service seed" },
        { s, WH_NKEY_SERVICE, "an account seed, expected a service seed" },
        { bad, -1, "invalid seed checksum" },
    };
    memcpy(bad, s, sizeof bad);
    bad[40] = bad[40] == 'A' ? 'B' : 'A';
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(wh_par_key_decode(&k, cases[i].text,
                         strlen(cases[i].text), cases[i].want, &e),
                         WH_E_FORMAT);
        assert_string_equal(e.reason, cases[i].reason);
    }
    forged_seed(bad, 0x00, 0x00);           /* a public key's prefix */
    assert_int_equal(wh_par_key_decode(&k, bad, 58, -1, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "not a seed");
    forged_seed(bad, 0x90 | (0xB8 >> 5), (0xB8 & 31) << 3);   /* curve */
    assert_int_equal(wh_par_key_decode(&k, bad, 58, -1, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "invalid seed prefix byte 0xb8");
    forged_seed(bad, 0x90, 0x08);           /* role 1: no such role */
    assert_int_equal(wh_par_key_decode(&k, bad, 58, -1, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "invalid seed prefix byte 0x01");
}

/* ---- seed files ------------------------------------------------------ */

static int load_text(const char *dir, const char *text, mode_t mode,
                     int want, wh_par_key *k, wh_err *e)
{
    char path[300];
    snprintf(path, sizeof path, "%s/k.nk", dir);
    unlink(path);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
    return wh_par_key_load(k, path, want, e);
}

static void test_seed_files(void **state)
{
    (void)state;
    char dir[100], two[200], path[300], link[300];
    assert_int_equal(wh_test_tmpdir(dir, sizeof dir, "parkey"), 0);
    wh_par_key k;
    wh_err e;
    assert_int_equal(load_text(dir, NATS_SEED, 0600, -1, &k, &e), 0);
    assert_string_equal(k.pub, NATS_PUB);
    snprintf(two, sizeof two, "%s\r\n%s\n", NATS_SEED, NATS_PUB);
    assert_int_equal(load_text(dir, two, 0400, WH_NKEY_USER, &k, &e), 0);
    snprintf(two, sizeof two, "%s\n%s\n", NATS_SEED, "UXXX");
    assert_int_equal(load_text(dir, two, 0600, -1, &k, &e), WH_E_FORMAT);
    assert_string_equal(strstr(fmt(&e), "k.nk:2:1: "),
                        "k.nk:2:1: public key does not match the seed");
    snprintf(two, sizeof two, "%s\n%s\nx\n", NATS_SEED, NATS_PUB);
    assert_int_equal(load_text(dir, two, 0600, -1, &k, &e), WH_E_FORMAT);
    assert_string_equal(e.reason, "more than a seed and its public key");
    assert_int_equal(load_text(dir, NATS_SEED, 0600, WH_NKEY_ACCOUNT, &k,
                               &e), WH_E_FORMAT);
    assert_string_equal(strstr(fmt(&e), "k.nk:1:1: "),
                        "k.nk:1:1: a user seed, expected an account seed");
    assert_int_equal(load_text(dir, NATS_SEED, 0640, -1, &k, &e),
                     WH_E_UNSAFE);
    assert_string_equal(e.reason, "readable or writable by others (mode "
                        "0640); chmod 600 it");
    snprintf(path, sizeof path, "%s/k.nk", dir);
    chmod(path, 0600);
    snprintf(link, sizeof link, "%s/l.nk", dir);
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(wh_par_key_load(&k, link, -1, &e), WH_E_UNSAFE);
    snprintf(path, sizeof path, "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(wh_par_key_load(&k, path, -1, &e), WH_E_IO);
    char big[5000];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(load_text(dir, big, 0600, -1, &k, &e), WH_E_LIMIT);
    assert_int_equal(wh_test_tmpdir_remove(dir), 0);
}

/* ---- claims and tokens ----------------------------------------------- */

static void test_targets(void **state)
{
    (void)state;
    const char *good[] = { "x86_64-linux", "aarch64-macos", "armv7-linux",
                           "x86_64-windows", "a-b" };
    const char *bad[] = { "", "x86_64", "-linux", "x86_64-", "X86_64-linux",
        "x86_64-unknown-linux", "x86.64-linux", "x86_64-linux.bin",
        "world.wasm", "a/b-c", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-"
        "bbbbbbbbbbbbbbbbbbbbb" };
    wh_err e;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(wh_par_target_check(good[i], NULL), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(wh_par_target_check(bad[i], &e), WH_E_USAGE);
    assert_string_equal(e.reason, "target 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbb' is not <arch>-<os> (e.g. "
        "x86_64-linux)");
}

static json_t *one_hash(void)
{
    json_t *h = json_object();
    assert_int_equal(wh_par_hash_add(h, "x86_64-linux.bin", "abc", 3, NULL),
                     0);
    assert_int_equal(wh_par_hash_add(h, "world.wasm", "", 0, NULL), 0);
    return h;
}

static void test_payload_order(void **state)
{
    (void)state;
    wh_par_claims c = { .name = "Pay", .vendor = "V", .ver = "1.0",
                        .has_rev = 1, .rev = 2, .iat = 1700000000,
                        .has_exp = 1, .exp = 1800000000, .has_nbf = 1,
                        .nbf = 1600000000, .jti = "J" };
    json_t *p = wh_par_payload(&c, "ISS", "SUB", one_hash());
    char *s = json_dumps(p, JSON_COMPACT);
    assert_string_equal(s, "{\"exp\":1800000000,\"jti\":\"J\",\"iat\":"
        "1700000000,\"iss\":\"ISS\",\"sub\":\"SUB\",\"nbf\":1600000000,"
        "\"wascap\":{\"name\":\"Pay\",\"vendor\":\"V\",\"rev\":2,\"ver\":"
        "\"1.0\",\"target_hashes\":{\"x86_64-linux\":\"BA7816BF8F01CFEA4141"
        "40DE5DAE2223B00361A396177A9CB410FF61F20015AD\",\"world.wasm\":"
        "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
        "\"}},\"wascap_revision\":3}");
    free(s);
    json_decref(p);
}

static const char *jti_of(const wh_par_claims *c, char out[32])
{
    json_t *p = wh_par_payload(c, "I", "S", one_hash());
    snprintf(out, 32, "%s", json_string_value(json_object_get(p, "jti")));
    json_decref(p);
    return out;
}

static void test_jti(void **state)
{
    (void)state;
    wh_par_claims c = { .name = "Pay", .vendor = "V", .iat = 1 };
    char a[32], b[32], d[32];
    jti_of(&c, a);
    jti_of(&c, b);
    c.iat = 2;
    jti_of(&c, d);
    assert_int_equal(strlen(a), 22);
    assert_int_equal(strspn(a, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
                               "ghijklmnopqrstuvwxyz"), 22);
    assert_string_equal(a, b);
    assert_string_not_equal(a, d);
}

static void test_token_verifies(void **state)
{
    (void)state;
    wh_par_key iss, other;
    fixed_key(&iss, WH_NKEY_ACCOUNT, 1);
    fixed_key(&other, WH_NKEY_ACCOUNT, 2);
    wh_par_claims c = { .name = "Pay", .vendor = "V", .iat = 5 };
    json_t *p = wh_par_payload(&c, iss.pub, "S", one_hash());
    char *tok = wh_par_token(NULL, p, iss.sk, NULL);
    wh_jwt jwt;
    wh_err e;
    assert_int_equal(wh_jwt_decode(&jwt, tok, strlen(tok), &e), 0);
    assert_true(json_equal(jwt.payload, p));
    assert_int_equal(wh_jwt_verify(&jwt, iss.pk, NULL), 0);
    assert_int_equal(wh_jwt_verify(&jwt, other.pk, &e), WH_E_VERIFY);
    wh_jwt_free(&jwt);
    assert_memory_equal(tok, "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.", 40);
    free(tok);
    tok = wh_par_token("{\"alg\":\"none\"}", p, iss.sk, NULL);
    assert_int_equal(wh_jwt_decode(&jwt, tok, strlen(tok), &e), WH_E_FORMAT);
    free(tok);
    json_decref(p);
}

/* ---- archives -------------------------------------------------------- */

static const wh_par_entry BINS[] = {
    { "world.wasm", (const uint8_t *)"\0asm\1\0\0\0", 8, WH_PAR_FILE },
    { "aarch64-macos.bin", (const uint8_t *)"mac", 3, WH_PAR_FILE },
    { "x86_64-linux.bin", (const uint8_t *)"linux", 5, WH_PAR_FILE },
};

static void build(int gzip, uint8_t **d, size_t *n)
{
    wh_par_key iss, sub;
    fixed_key(&iss, WH_NKEY_ACCOUNT, 1);
    fixed_key(&sub, WH_NKEY_SERVICE, 2);
    wh_par_claims c = { .name = "Fake Payments", .vendor = "ACME",
                        .ver = "2.1", .has_rev = 1, .rev = 4,
                        .iat = 1700000000 };
    wh_err e;
    assert_int_equal(wh_par_build(&c, &iss, sub.pub, BINS, 3, gzip, d, n,
                                  &e), 0);
}

static void test_build_reads_back(void **state)
{
    (void)state;
    for (int gz = 0; gz < 2; gz++) {
        uint8_t *d;
        size_t n;
        build(gz, &d, &n);
        assert_int_equal(gz, n > 2 && d[0] == 0x1f && d[1] == 0x8b);
        wh_pkg pkg;
        wh_err e;
        wh_pkg_opts o = { .now = 1700000000 };
        int rc = wh_par_read("x.par", d, n, &o, &pkg, &e);
        if (rc)
            fail_msg("%s", fmt(&e));
        assert_string_equal(pkg.name, "fake-payments");
        assert_string_equal(pkg.version, "2.1.0");
        const json_t *par = json_object_get(pkg.record, "par");
        assert_int_equal(json_object_size(json_object_get(par, "targets")),
                         2);
        assert_true(json_is_true(json_object_get(par, "world")));
        wh_pkg_free(&pkg);
        wh_par_archive a;
        assert_int_equal(wh_par_load("x.par", d, n, &a, &e), 0);
        assert_int_equal(a.gzip, gz);
        assert_int_equal(a.n, 4);
        const char *order[] = { "claims.jwt", "aarch64-macos.bin",
                                "x86_64-linux.bin", "world.wasm" };
        for (int i = 0; i < 4; i++)
            assert_string_equal(a.ent[i].name, order[i]);
        assert_memory_equal(a.ent[2].data, "linux", 5);
        wh_par_archive_free(&a);
        free(d);
    }
}

static void test_build_repeats(void **state)
{
    (void)state;
    uint8_t *a, *b;
    size_t na, nb;
    build(1, &a, &na);
    build(1, &b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
}

static void test_load_rejects(void **state)
{
    (void)state;
    wh_par_entry dir[] = { { "claims.jwt", (const uint8_t *)"x", 1, 0 },
                           { "lib/", NULL, 0, WH_PAR_DIR } };
    wh_par_entry noclaims[] = { { "a-b.bin", (const uint8_t *)"x", 1, 0 } };
    wh_par_entry below[] = { { "lib/a-b.bin", (const uint8_t *)"x", 1, 0 } };
    struct { const wh_par_entry *e; size_t n; const char *msg; } cases[] = {
        { dir, 2, "x.par: entry 'lib/': not a regular file" },
        { noclaims, 1, "x.par: archive has no claims.jwt" },
        { below, 1, "x.par: entry 'lib/a-b.bin': not at the archive root" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *d;
        size_t n;
        wh_par_archive a;
        wh_err e;
        assert_int_equal(wh_par_tar(cases[i].e, cases[i].n, 0, &d, &n, NULL),
                         0);
        assert_int_equal(wh_par_load("x.par", d, n, &a, &e), WH_E_FORMAT);
        assert_string_equal(fmt(&e), cases[i].msg);
        free(d);
    }
    wh_par_archive a;
    wh_err e;
    assert_int_equal(wh_par_load("x.par", (const uint8_t *)"junk", 4, &a, &e),
                     WH_E_FORMAT);
}

WH_TEST_MAIN("par_write",
    cmocka_unit_test(test_seed_vector),
    cmocka_unit_test(test_seed_roles),
    cmocka_unit_test(test_seed_rejections),
    cmocka_unit_test(test_seed_files),
    cmocka_unit_test(test_targets),
    cmocka_unit_test(test_payload_order),
    cmocka_unit_test(test_jti),
    cmocka_unit_test(test_token_verifies),
    cmocka_unit_test(test_build_reads_back),
    cmocka_unit_test(test_build_repeats),
    cmocka_unit_test(test_load_rejects),
)

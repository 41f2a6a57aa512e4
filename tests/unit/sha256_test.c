/* sha256_test.c - SHA-256 against the FIPS 180-4 / NIST CSRC examples,
 * streamed in odd chunk sizes and through files; hex encoding. */
#include "tests/unit/wh_test.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/sha256.h"

static void hex_of(const uint8_t d[32], char out[65]) { wh_hex_encode(out, d, 32, 0); }

static void check_buf(const char *msg, size_t len, const char *want)
{
    uint8_t d[32];
    char hex[65];
    assert_int_equal(wh_sha256_buf(msg, len, d, NULL), 0);
    hex_of(d, hex);
    assert_string_equal(hex, want);
}

static void test_nist_vectors(void **state)
{
    (void)state;
    check_buf("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_buf("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_buf(m448, strlen(m448),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                       "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    check_buf(m896, strlen(m896),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* One million 'a', fed in chunks of 1, 7, 63, 64, 65, ... bytes. */
static void test_million_a_streamed(void **state)
{
    (void)state;
    static char a[4096];
    memset(a, 'a', sizeof a);
    static const size_t chunks[] = { 1, 7, 63, 64, 65, 1000, 4096 };
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        wh_sha256 h;
        assert_int_equal(wh_sha256_init(&h, NULL), 0);
        size_t left = 1000000;
        while (left) {
            size_t n = left < chunks[c] ? left : chunks[c];
            wh_sha256_update(&h, a, n);
            left -= n;
        }
        uint8_t d[32];
        char hex[65];
        wh_sha256_final(&h, d);
        hex_of(d, hex);
        assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
}

static void test_file_and_fd(void **state)
{
    (void)state;
    char path[] = "/tmp/wh-sha.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    /* 3 MiB + 5 bytes of 'a': crosses many 128 KiB read blocks. */
    static char buf[1 << 20];
    memset(buf, 'a', sizeof buf);
    for (int i = 0; i < 3; i++)
        assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
    assert_int_equal(write(fd, buf, 5), 5);
    uint8_t d1[32], d2[32];
    uint64_t size = 0;
    assert_int_equal(wh_sha256_file(path, d1, &size, NULL), 0);
    assert_int_equal(size, 3 * (1 << 20) + 5);
    wh_sha256 h;
    assert_int_equal(wh_sha256_init(&h, NULL), 0);
    for (int i = 0; i < 3; i++)
        wh_sha256_update(&h, buf, sizeof buf);
    wh_sha256_update(&h, buf, 5);
    wh_sha256_final(&h, d2);
    assert_memory_equal(d1, d2, 32);
    /* From the current position: the last 5 bytes only. */
    assert_int_equal(lseek(fd, -5, SEEK_END), 3 * (1 << 20));
    assert_int_equal(wh_sha256_fd(fd, path, d1, &size, NULL), 0);
    assert_int_equal(size, 5);
    assert_int_equal(wh_sha256_buf("aaaaa", 5, d2, NULL), 0);
    assert_memory_equal(d1, d2, 32);
    close(fd);
    unlink(path);
    wh_err e;
    assert_int_equal(wh_sha256_file(path, d1, NULL, &e), WH_E_NOTFOUND);
    assert_string_equal(e.path, path);
}

static void test_hex(void **state)
{
    (void)state;
    uint8_t in[] = { 0x00, 0x9f, 0xa0, 0xff }, out[4];
    char s[9];
    wh_hex_encode(s, in, 4, 0);
    assert_string_equal(s, "009fa0ff");
    wh_hex_encode(s, in, 4, 1);
    assert_string_equal(s, "009FA0FF");
    assert_int_equal(wh_hex_decode(out, 4, "009Fa0fF", 8), 0);
    assert_memory_equal(out, in, 4);
    assert_int_equal(wh_hex_decode(out, 4, "009fa0f", 7), -1);
    assert_int_equal(wh_hex_decode(out, 4, "009fa0fg", 8), -1);
    assert_int_equal(wh_hex_decode(out, 4, "009fa0ff0", 9), -1);
}

WH_TEST_MAIN("sha256",
    cmocka_unit_test(test_nist_vectors),
    cmocka_unit_test(test_million_a_streamed),
    cmocka_unit_test(test_file_and_fd),
    cmocka_unit_test(test_hex))

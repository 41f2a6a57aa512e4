/* gzip_test.c - common/gzip.c: whole-buffer gzip and capped gunzip.
 *
 * Round trips (empty, small, 1 MiB of pseudo-random bytes, 1 MiB that
 * compresses 1000 to 1, which makes gunzip grow its buffer many times);
 * zlib's own inflate as the outside reader of what wh_gzip writes, and
 * streams zlib writes with a name, a time and a comment as input of
 * wh_gunzip; the deterministic header (no name, no time, OS 255); the cap
 * at exactly max and max + 1 bytes on both paths of the buffer growth; a
 * 100 MiB bomb refused in a child whose data segment may grow by 32 MiB
 * only; truncation at every kind of place, damaged bodies and trailers,
 * bytes after the member and input that is not gzip, each with its exact
 * code, reason and input offset.
 */
#include "tests/unit/wh_test.h"

#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "common/gzip.h"

/* xorshift64: the same "random-ish" bytes on every run. */
static void fill_random(unsigned char *p, size_t n, uint64_t seed)
{
    uint64_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (unsigned char)(x >> 24);
    }
}

/* Text that compresses well: numbered lines, like an index. */
static unsigned char *compressible(size_t n)
{
    unsigned char *p = malloc(n ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)"{\"name\":\"hello\",\"size\":12}\n"[i % 28];
    return p;
}

static void gz(const void *data, size_t len, unsigned char **out, size_t *outlen)
{
    wh_err e;
    int rc = wh_gzip(data, len, out, outlen, &e);
    if (rc)
        fail_msg("wh_gzip: %s", e.reason);
}

/* wh_gunzip must give back data[0..len) with max bytes allowed. */
static void expect_round_trip(const unsigned char *data, size_t len, size_t max)
{
    unsigned char *z, *back;
    size_t zlen, blen = 12345;
    wh_err e;
    gz(data, len, &z, &zlen);
    int rc = wh_gunzip(z, zlen, max, &back, &blen, &e);
    if (rc)
        fail_msg("wh_gunzip of %zu bytes, max %zu: %s", len, max, e.reason);
    assert_int_equal(blen, len);
    if (len)
        assert_memory_equal(back, data, len);
    assert_int_equal(back[len], 0);          /* the NUL not counted */
    free(back);
    free(z);
}

/* wh_gunzip(z, zlen, max) must fail with code, reason and offset; *out
 * NULL and no path. */
static void expect_fail(const unsigned char *z, size_t zlen, size_t max, int code,
                        const char *reason, long long offset)
{
    unsigned char *out = (unsigned char *)"not touched";
    size_t outlen = 0;
    wh_err e;
    assert_int_equal(wh_gunzip(z, zlen, max, &out, &outlen, &e), code);
    assert_null(out);
    assert_int_equal(e.code, code);
    assert_string_equal(e.reason, reason);
    assert_int_equal(e.offset, offset);
    assert_string_equal(e.path, "");
}

/* zlib's own inflate (gzip wrapper only), the reference reader. */
static unsigned char *zlib_gunzip(const unsigned char *z, size_t zlen, size_t cap,
                                  size_t *outlen)
{
    z_stream s;
    memset(&s, 0, sizeof s);
    assert_int_equal(inflateInit2(&s, 15 + 16), Z_OK);
    unsigned char *out = malloc(cap + 1);
    assert_non_null(out);
    s.next_in = (Bytef *)z;
    s.avail_in = (uInt)zlen;
    s.next_out = out;
    s.avail_out = (uInt)cap + 1;
    assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
    assert_int_equal(s.avail_in, 0);
    *outlen = s.total_out;
    inflateEnd(&s);
    return out;
}

/* ---- round trips ------------------------------------------------------ */

static void test_round_trip_empty(void **state)
{
    (void)state;
    expect_round_trip((const unsigned char *)"", 0, 0);
    expect_round_trip((const unsigned char *)"", 0, 100);
}

static void test_round_trip_small(void **state)
{
    (void)state;
    const char *s = "{\"format\":\"wharf-index/1\"}";
    expect_round_trip((const unsigned char *)s, strlen(s), strlen(s));
    expect_round_trip((const unsigned char *)"x", 1, 1);
}

static void test_round_trip_1mib_random(void **state)
{
    (void)state;
    size_t n = 1 << 20;
    unsigned char *p = malloc(n);
    assert_non_null(p);
    fill_random(p, n, 0x9e3779b97f4a7c15ull);
    expect_round_trip(p, n, n);
    expect_round_trip(p, n, (size_t)64 << 20);
    free(p);
}

/* 1 MiB from about 3 KB: the output buffer starts near 13 KB and must
 * grow to 1 MiB, across several reallocations. */
static void test_round_trip_1mib_compressible(void **state)
{
    (void)state;
    size_t n = 1 << 20;
    unsigned char *p = compressible(n), *z;
    size_t zlen;
    gz(p, n, &z, &zlen);
    assert_true(zlen < n / 100);
    free(z);
    expect_round_trip(p, n, n);
    free(p);
}

/* zlib, the reference, reads what wh_gzip writes. */
static void test_zlib_reads_ours(void **state)
{
    (void)state;
    size_t n = 200000, zlen, blen;
    unsigned char *p = malloc(n), *z;
    assert_non_null(p);
    fill_random(p, n / 2, 7);
    memset(p + n / 2, 'a', n - n / 2);
    gz(p, n, &z, &zlen);
    unsigned char *back = zlib_gunzip(z, zlen, n, &blen);
    assert_int_equal(blen, n);
    assert_memory_equal(back, p, n);
    free(back);
    free(z);
    free(p);
}

/* A stream written by zlib with a file name, a time, a comment and a
 * header CRC (what gzip(1) may write) is read: the header is skipped. */
static void test_reads_zlib_stream_with_name(void **state)
{
    (void)state;
    const char *msg = "index bytes\n";
    unsigned char z[512], *out;
    size_t outlen;
    z_stream s;
    gz_header h;
    memset(&s, 0, sizeof s);
    memset(&h, 0, sizeof h);
    h.name = (Bytef *)"index.json";
    h.comment = (Bytef *)"a comment";
    h.time = 1795241157;
    h.os = 3;
    h.hcrc = 1;
    assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, 15 + 16, 8,
                                  Z_DEFAULT_STRATEGY), Z_OK);
    assert_int_equal(deflateSetHeader(&s, &h), Z_OK);
    s.next_in = (Bytef *)msg;
    s.avail_in = (uInt)strlen(msg);
    s.next_out = z;
    s.avail_out = sizeof z;
    assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
    size_t zlen = s.total_out;
    deflateEnd(&s);
    assert_int_equal(z[3], 0x02 | 0x08 | 0x10);     /* FHCRC FNAME FCOMMENT */
    assert_int_equal(wh_gunzip(z, zlen, 100, &out, &outlen, NULL), 0);
    assert_int_equal(outlen, strlen(msg));
    assert_string_equal((char *)out, msg);
    free(out);
}

/* ---- determinism ------------------------------------------------------ */

static void test_same_bytes_twice(void **state)
{
    (void)state;
    size_t n = 300000, alen, blen;
    unsigned char *p = malloc(n), *a, *b;
    assert_non_null(p);
    fill_random(p, n, 42);
    gz(p, n, &a, &alen);
    sleep(1);                           /* a time in the header would differ */
    gz(p, n, &b, &blen);
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);
    free(a);
    free(b);
    free(p);
}

/* ID1 ID2 CM=8, FLG 0 (no name, comment, extra or header CRC), MTIME 0,
 * XFL 0 (level 6), OS 255 "unknown". */
static void test_header_fixed(void **state)
{
    (void)state;
    static const unsigned char want[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255 };
    unsigned char *z;
    size_t zlen;
    gz("abc", 3, &z, &zlen);
    assert_true(zlen > 18);
    assert_memory_equal(z, want, sizeof want);
    assert_int_equal(z[9], 255);
    /* The trailer: CRC-32 of "abc" and ISIZE 3, little-endian. */
    static const unsigned char trailer[8] = { 0xc2, 0x41, 0x24, 0x35, 3, 0, 0, 0 };
    assert_memory_equal(z + zlen - 8, trailer, 8);
    free(z);
}

/* ---- the cap ---------------------------------------------------------- */

/* Exactly max bytes pass; max + 1 is WH_E_LIMIT naming max, for sizes on
 * both sides of the first buffer (4 * input + 1024) and of its doublings. */
static void test_cap_exact_and_one_over(void **state)
{
    (void)state;
    static const size_t sizes[] = { 1, 27, 1023, 1024, 1025, 4096, 13000,
                                    65536, 65537, 300001, 1 << 20 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i], zlen;
        unsigned char *p = compressible(n), *z;
        char reason[64];
        gz(p, n, &z, &zlen);
        expect_round_trip(p, n, n);
        snprintf(reason, sizeof reason, "inflates to more than %zu bytes", n - 1);
        expect_fail(z, zlen, n - 1, WH_E_LIMIT, reason, -1);
        free(z);
        free(p);
    }
}

/* The same with input that does not compress: the first buffer alone
 * holds the whole output, so the cap is what stops it. */
static void test_cap_random_data(void **state)
{
    (void)state;
    size_t n = 100000, zlen;
    unsigned char *p = malloc(n), *z;
    assert_non_null(p);
    fill_random(p, n, 3);
    gz(p, n, &z, &zlen);
    expect_round_trip(p, n, n);
    expect_fail(z, zlen, n - 1, WH_E_LIMIT, "inflates to more than 99999 bytes", -1);
    expect_fail(z, zlen, 10, WH_E_LIMIT, "inflates to more than 10 bytes", -1);
    free(z);
    free(p);
}

static void test_cap_zero(void **state)
{
    (void)state;
    unsigned char *z;
    size_t zlen;
    gz("x", 1, &z, &zlen);
    expect_fail(z, zlen, 0, WH_E_LIMIT, "inflates to more than 0 bytes", -1);
    free(z);
}

/* VmData of this process, in bytes (0 when unknown). */
static unsigned long long vm_data(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmData: %llu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb * 1024;
}

/* 100 MiB of zeros in about 100 KB, read with a 1 MiB cap: refused, fast,
 * in a child whose private writable memory (RLIMIT_DATA) may grow by 32
 * MiB only, so a reader that inflated the whole (or allocated what the
 * stream claims) would fail or die there instead of reporting the cap. */
static void test_bomb(void **state)
{
    (void)state;
    size_t total = (size_t)100 << 20, zlen;
    unsigned char zeros[65536] = { 0 }, *z = malloc(1 << 20);
    assert_non_null(z);
    z_stream s;
    memset(&s, 0, sizeof s);
    assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, 15 + 16, 8,
                                  Z_DEFAULT_STRATEGY), Z_OK);
    s.next_out = z;
    s.avail_out = 1 << 20;
    for (size_t done = 0; done < total; done += sizeof zeros) {
        s.next_in = zeros;
        s.avail_in = sizeof zeros;
        assert_int_equal(deflate(&s, done + sizeof zeros < total ? Z_NO_FLUSH
                                                                 : Z_FINISH),
                         done + sizeof zeros < total ? Z_OK : Z_STREAM_END);
    }
    zlen = s.total_out;
    deflateEnd(&s);
    assert_true(zlen > 50000 && zlen < 200000);

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        unsigned long long now = vm_data();
        struct rlimit rl = { now + (32u << 20), now + (32u << 20) };
        char msg[300];
        if (now == 0 || setrlimit(RLIMIT_DATA, &rl) != 0) {
            snprintf(msg, sizeof msg, "cannot set RLIMIT_DATA");
        } else {
            unsigned char *out;
            size_t outlen;
            wh_err e;
            struct timespec a, b;
            clock_gettime(CLOCK_MONOTONIC, &a);
            int rc = wh_gunzip(z, zlen, 1 << 20, &out, &outlen, &e);
            clock_gettime(CLOCK_MONOTONIC, &b);
            long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
            snprintf(msg, sizeof msg, "%d %s %lld %s", rc, e.reason, e.offset,
                     ms < 2000 ? "fast" : "slow");
        }
        (void)!write(fds[1], msg, strlen(msg) + 1);
        _exit(0);
    }
    close(fds[1]);
    char got[300] = "", want[300];
    ssize_t r = read(fds[0], got, sizeof got - 1);
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(r > 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(want, sizeof want, "%d inflates to more than 1048576 bytes -1 fast",
             WH_E_LIMIT);
    assert_string_equal(got, want);
    free(z);
}

/* ---- damaged input ---------------------------------------------------- */

/* A fixed stream of about 1 KB for the damage cases. */
static unsigned char *sample(size_t *zlen, unsigned char **plain, size_t *plen)
{
    size_t n = 4000;
    unsigned char *p = malloc(n), *z;
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)("abcdefghij"[i % 10] + (i / 97) % 7);
    gz(p, n, &z, zlen);
    *plain = p;
    *plen = n;
    return z;
}

/* Cut in the header, at the body's start, inside it, before and inside
 * the trailer: "truncated data" at the offset where the input ended. */
static void test_truncated(void **state)
{
    (void)state;
    unsigned char *p, *z;
    size_t plen, zlen;
    z = sample(&zlen, &p, &plen);
    size_t cuts[] = { 0, 1, 2, 9, 10, 11, zlen / 2, zlen - 9, zlen - 8,
                      zlen - 5, zlen - 4, zlen - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        expect_fail(z, cuts[i], plen, WH_E_FORMAT, "gzip: truncated data",
                    (long long)cuts[i]);
    free(z);
    free(p);
}

/* A byte of the deflate body changed: here the stream still decodes, to
 * other bytes, so the CRC-32 after it does not match; a change to the
 * first block's header makes it invalid deflate at once. */
static void test_damaged_body(void **state)
{
    (void)state;
    unsigned char *p, *z;
    size_t plen, zlen;
    z = sample(&zlen, &p, &plen);
    z[zlen / 2] ^= 0x10;
    expect_fail(z, zlen, plen * 2, WH_E_FORMAT, "gzip: incorrect data check",
                (long long)zlen - 4);
    z[zlen / 2] ^= 0x10;
    z[10] |= 0x06;               /* the first block's type: 3 is reserved */
    expect_fail(z, zlen, plen * 2, WH_E_FORMAT, "gzip: invalid block type", 11);
    free(z);
    free(p);
}

static void test_damaged_trailer(void **state)
{
    (void)state;
    unsigned char *p, *z;
    size_t plen, zlen;
    z = sample(&zlen, &p, &plen);
    z[zlen - 8] ^= 1;            /* CRC-32 */
    expect_fail(z, zlen, plen, WH_E_FORMAT, "gzip: incorrect data check",
                (long long)zlen - 4);
    z[zlen - 8] ^= 1;
    z[zlen - 4] ^= 1;            /* ISIZE */
    expect_fail(z, zlen, plen, WH_E_FORMAT, "gzip: incorrect length check",
                (long long)zlen);
    free(z);
    free(p);
}

/* One member only: a stray byte, or a second member (which gzip -d would
 * also decompress), is refused at the end of the first. */
static void test_data_after_member(void **state)
{
    (void)state;
    unsigned char *z, *two;
    size_t zlen;
    gz("abc", 3, &z, &zlen);
    two = malloc(2 * zlen);
    assert_non_null(two);
    memcpy(two, z, zlen);
    two[zlen] = '\n';
    expect_fail(two, zlen + 1, 100, WH_E_FORMAT,
                "gzip: data after the end of the stream", (long long)zlen);
    memcpy(two + zlen, z, zlen);
    expect_fail(two, 2 * zlen, 100, WH_E_FORMAT,
                "gzip: data after the end of the stream", (long long)zlen);
    free(two);
    free(z);
}

static void test_not_gzip(void **state)
{
    (void)state;
    expect_fail((const unsigned char *)"{\"format\":\"wharf-index/1\"}", 26, 100,
                WH_E_FORMAT, "gzip: incorrect header check", 2);
    /* A zlib stream (RFC 1950), not gzip. */
    unsigned char zl[64];
    uLongf zllen = sizeof zl;
    assert_int_equal(compress(zl, &zllen, (const Bytef *)"abc", 3), Z_OK);
    expect_fail(zl, zllen, 100, WH_E_FORMAT, "gzip: incorrect header check", 2);
    /* gzip magic, but method 7 and then reserved flag bits. */
    unsigned char *z;
    size_t zlen;
    gz("abc", 3, &z, &zlen);
    z[2] = 7;
    expect_fail(z, zlen, 100, WH_E_FORMAT, "gzip: unknown compression method", 4);
    z[2] = 8;
    z[3] = 0xe0;
    expect_fail(z, zlen, 100, WH_E_FORMAT, "gzip: unknown header flags set", 4);
    free(z);
}

WH_TEST_MAIN("gzip",
    cmocka_unit_test(test_round_trip_empty),
    cmocka_unit_test(test_round_trip_small),
    cmocka_unit_test(test_round_trip_1mib_random),
    cmocka_unit_test(test_round_trip_1mib_compressible),
    cmocka_unit_test(test_zlib_reads_ours),
    cmocka_unit_test(test_reads_zlib_stream_with_name),
    cmocka_unit_test(test_same_bytes_twice),
    cmocka_unit_test(test_header_fixed),
    cmocka_unit_test(test_cap_exact_and_one_over),
    cmocka_unit_test(test_cap_random_data),
    cmocka_unit_test(test_cap_zero),
    cmocka_unit_test(test_bomb),
    cmocka_unit_test(test_truncated),
    cmocka_unit_test(test_damaged_body),
    cmocka_unit_test(test_damaged_trailer),
    cmocka_unit_test(test_data_after_member),
    cmocka_unit_test(test_not_gzip),
)

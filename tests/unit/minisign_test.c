/* minisign_test.c - common/minisign.c and common/base64.c.
 *
 * Byte-for-byte agreement with minisign 0.11 output (Ed25519 is
 * deterministic, so re-signing minisign's file with minisign's key and
 * trusted comment must give minisign's signature file), RFC 8032 test 1
 * and RFC 4648 vectors through the public API, round trips, every verify
 * failure, comment limits, files (FIFOs and links refused without
 * waiting), the trusted comment alone (wh_minisign_verify_comment) and
 * the primitives other files use (wh_ed25519_verify, wh_memzero).
 * Parse errors: minisign.data.
 * The interop in both directions is tests/cli/t0100-minisign-interop.sh.
 */
#include "tests/unit/wh_test.h"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base64.h"
#include "common/minisign.h"

/* minisign -G -W, then minisign -S and -S -l of "hello\n". */
static const char X_PUB[] =
    "untrusted comment: minisign public key 1DE9680458DF17CE\n"
    "RWTOF99YBGjpHXwK40KhmTGNqZSz1q7gDrM+336KWh6a52h8TVgzxeZ8\n";
static const char X_KEY[] =
    "untrusted comment: minisign encrypted secret key\n"
    "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAzhff"
    "WARo6R3jej0QQ93U1iVI8K7+QNTot+Cp+x4MB/jlPcFxg7BnpXwK40KhmTGNqZSz1q7gDrM+33"
    "6KWh6a52h8TVgzxeZ8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
static const char F_SIG[] =
    "untrusted comment: signature from minisign secret key\n"
    "RUTOF99YBGjpHVeY6tjWHOq1EKopOlqM0n+b/kfPyMpdDj6jhj0pljmwDqEtUkDBc75OHWfRNhu7"
    "cFT8SqwJgaa80BoUT/6KRgI=\n"
    "trusted comment: timestamp:1795240751\tfile:f.txt\thashed\n"
    "tFGh45fzIsyfqY3LIUPo/FBsXOxTuCFzXIAn7KURujIAAiLRBBeyQRpfoAJTTEw4ypbSbQ4Wc6hL"
    "p6/C+5dXAQ==\n";
static const char F_SIG_LEGACY[] =
    "untrusted comment: signature from minisign secret key\n"
    "RWTOF99YBGjpHTKjjewZxU3IAzs7vyG15+at5yzS3/SKUkAxK7sAzQsz5FNrBouv3CtyQRFpIaG3"
    "CUIz2HWMzBoSBL7WhRUtUwM=\n"
    "trusted comment: timestamp:1795241010\tfile:f.txt\n"
    "gaoqxRYG/FKq6bHq6RCQrpQX/AYCZXNJ6osEdpoO5vNb0/pSrIntdS85AKGjpHlTw0PhFEnZt+r1"
    "R0vEMA+5Dw==\n";

/* wh-sign keygen with password "secret" and the interactive limits;
 * minisign -S signed with it (tests/cli/t0100-minisign-interop.sh). */
static const char WE_PUB[] =
    "untrusted comment: minisign public key 30A124BCF6AF2D2B\n"
    "RWQrLa/2vCShMGy+jRVZ0b+J2tkp3Y9thXzKb0dcuNsPQkOqIPeFD2Vy\n";
static const char WE_KEY[] =
    "untrusted comment: minisign encrypted secret key\n"
    "RWRTY0IyUHjVDIUa/geLcG/9GcvlNdN6yFijIP2bg67BmV0szpUAAAgAAAAAAAAAAAEAAAAAEaIB"
    "sq7ikfkPyK5IwAkueEuW8HW2ZC4VnyDocC8418vDyErfs20Cp5q0zQO+eDzd9TizFsII/cyQ4LRT"
    "dz/5atMSstgEmNv+S/IG3zeYvOGH/xL3h+cEgjC80z9Dpk03MM5TqkCdEGI=\n";

/* Smallest scrypt cost, so encrypted round trips take milliseconds. */
static const wh_minisign_kdf FAST = { WH_MINISIGN_OPSLIMIT_MIN,
                                      WH_MINISIGN_MEMLIMIT_MIN };

static const char *fmt(const wh_err *e)
{
    static char buf[1024];
    return wh_err_format(e, buf, sizeof buf);
}

static void hex(char *out, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = '\0';
}

static void unhex(unsigned char *out, const char *s)
{
    for (size_t i = 0; s[2 * i]; i++) {
        unsigned v;
        sscanf(s + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
}

static wh_minisign_seckey *x_key(void)
{
    wh_minisign_seckey *sk = NULL;
    wh_err e;
    int rc = wh_minisign_seckey_parse(&sk, X_KEY, strlen(X_KEY), "x.key", &e);
    if (rc)
        fail_msg("%s", fmt(&e));
    return sk;
}

static wh_minisign_sig *new_sig(void)
{
    wh_minisign_sig *s = calloc(1, sizeof *s);
    assert_non_null(s);
    return s;
}

/* ---- minisign.data --------------------------------------------------- */

/* Undo the C escapes of a data field; returns its length. */
static size_t unescape(char *out, const char *s)
{
    size_t n = 0;
    while (*s) {
        if (*s != '\\') {
            out[n++] = *s++;
            continue;
        }
        s++;
        switch (*s) {
        case 'n': out[n++] = '\n'; s++; break;
        case 'r': out[n++] = '\r'; s++; break;
        case 't': out[n++] = '\t'; s++; break;
        case '0': out[n++] = '\0'; s++; break;
        case '\\': out[n++] = '\\'; s++; break;
        case 'x': {
            unsigned v;
            sscanf(s + 1, "%2x", &v);
            out[n++] = (char)v;
            s += 3;
            break;
        }
        default: fail_msg("bad escape in minisign.data");
        }
    }
    out[n] = '\0';
    return n;
}

/* Run one case; writes what happened, in EXPECTED's terms, to got. */
static void run_case(const char *kind, const char *in, size_t n, char *got,
                     size_t gotsz)
{
    wh_err e;
    char id[17], h[80];
    if (strcmp(kind, "b64") == 0) {
        unsigned char out[6];
        size_t len;
        if (wh_base64_decode(out, sizeof out, &len, in, n, &e) == 0) {
            hex(h, out, len);
            snprintf(got, gotsz, "=%s", h);
        } else {
            snprintf(got, gotsz, "%s", fmt(&e));
        }
    } else if (strcmp(kind, "pub") == 0) {
        wh_minisign_pubkey pk;
        if (wh_minisign_pubkey_parse(&pk, in, n, "x.pub", &e) == 0) {
            wh_minisign_keyid_hex(pk.key_id, id);
            hex(h, pk.pk, sizeof pk.pk);
            snprintf(got, gotsz, "ok %s %s", id, h);
        } else {
            snprintf(got, gotsz, "%s", fmt(&e));
        }
    } else if (strcmp(kind, "sec") == 0) {
        wh_minisign_seckey *sk;
        wh_minisign_pubkey pk;
        if (wh_minisign_seckey_parse(&sk, in, n, "x.key", &e) == 0) {
            if (wh_minisign_seckey_encrypted(sk)) {
                snprintf(got, gotsz, "ok encrypted");
            } else {
                wh_minisign_seckey_public(sk, &pk);
                wh_minisign_keyid_hex(pk.key_id, id);
                snprintf(got, gotsz, "ok plain %s", id);
            }
            wh_minisign_seckey_free(sk);
        } else {
            assert_null(sk);
            snprintf(got, gotsz, "%s", fmt(&e));
        }
    } else if (strcmp(kind, "sig") == 0) {
        wh_minisign_sig *sig = new_sig();
        if (wh_minisign_sig_parse(sig, in, n, "x.minisig", &e) == 0) {
            wh_minisign_keyid_hex(sig->key_id, id);
            snprintf(got, gotsz, "ok %s %s %s", sig->legacy ? "Ed" : "ED", id,
                     sig->trusted);
        } else {
            snprintf(got, gotsz, "%s", fmt(&e));
        }
        free(sig);
    } else {
        fail_msg("unknown kind '%s'", kind);
    }
}

static void test_data_file(void **state)
{
    (void)state;
    FILE *f = fopen("tests/unit/minisign.data", "r");
    assert_non_null(f);
    static char line[8192], in[8192], want[8192], got[9000];
    int lineno = 0, passed = 0, failed = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2) {
            printf("minisign.data:%d: malformed case\n", lineno);
            failed++;
            continue;
        }
        *t1 = *t2 = '\0';
        size_t n = unescape(in, t1 + 1);
        unescape(want, t2 + 1);
        run_case(line, in, n, got, sizeof got);
        if (strcmp(got, want) == 0) {
            passed++;
        } else {
            printf("minisign.data:%d: %s case\n  want: %s\n  got:  %s\n",
                   lineno, line, want, got);
            failed++;
        }
    }
    fclose(f);
    wh_test_report("minisign.data", passed, failed);
    assert_int_equal(failed, 0);
    assert_true(passed >= 90);
}

/* ---- base64 ---------------------------------------------------------- */

static void test_base64_encode_rfc4648(void **state)
{
    (void)state;
    static const char *const v[][2] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
        { "foobar", "Zm9vYmFy" },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[16];
        size_t n = strlen(v[i][0]);
        assert_int_equal(wh_base64_encode(out, v[i][0], n), strlen(v[i][1]));
        assert_int_equal(WH_BASE64_ENCODED_LEN(n), strlen(v[i][1]));
        assert_string_equal(out, v[i][1]);
    }
    /* All 256 byte values survive a round trip. */
    unsigned char all[256], back[256];
    char text[WH_BASE64_ENCODED_LEN(256) + 1];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    for (size_t n = 0; n <= 256; n += 37) {
        size_t len = wh_base64_encode(text, all + 256 - n, n), got = 0;
        assert_int_equal(wh_base64_decode(back, sizeof back, &got, text, len,
                                          NULL), 0);
        assert_int_equal(got, n);
        assert_memory_equal(back, all + 256 - n, n);
    }
}

/* ---- byte compatibility with minisign -------------------------------- */

static void resign_fixture(const char *fixture, unsigned flags)
{
    wh_minisign_seckey *sk = x_key();
    wh_minisign_sig *parsed = new_sig(), *sig = new_sig();
    char text[WH_MINISIGN_SIG_TEXT_MAX];
    wh_err e;
    assert_int_equal(wh_minisign_sig_parse(parsed, fixture, strlen(fixture),
                                           "f.txt.minisig", &e), 0);
    assert_int_equal(wh_minisign_sign_buffer(sig, sk, "hello\n", 6,
                                             parsed->trusted, NULL, flags, &e), 0);
    assert_int_equal(wh_minisign_sig_format(sig, text, &e), 0);
    assert_string_equal(text, fixture);
    free(parsed);
    free(sig);
    wh_minisign_seckey_free(sk);
}

static void test_same_bytes_as_minisign(void **state)
{
    (void)state;
    resign_fixture(F_SIG, 0);
    resign_fixture(F_SIG_LEGACY, WH_MINISIGN_LEGACY);
    /* and the public key file, from the secret key */
    wh_minisign_seckey *sk = x_key();
    wh_minisign_pubkey pk;
    char text[WH_MINISIGN_PUBKEY_TEXT_MAX];
    wh_minisign_seckey_public(sk, &pk);
    assert_int_equal(wh_minisign_pubkey_format(&pk, NULL, text, NULL), 0);
    assert_string_equal(text, X_PUB);
    wh_minisign_seckey_free(sk);
}

static void test_verify_minisign_signatures(void **state)
{
    (void)state;
    wh_minisign_pubkey pk;
    wh_minisign_sig *sig = new_sig();
    wh_err e;
    assert_int_equal(wh_minisign_pubkey_parse(&pk, X_PUB, strlen(X_PUB),
                                              "x.pub", &e), 0);
    assert_int_equal(wh_minisign_sig_parse(sig, F_SIG, strlen(F_SIG), "s", &e), 0);
    assert_int_equal(sig->legacy, 0);
    assert_int_equal(wh_minisign_verify_buffer(sig, &pk, "hello\n", 6, "s",
                                               WH_MINISIGN_PREHASHED_ONLY, &e), 0);
    assert_string_equal(sig->trusted, "timestamp:1795240751\tfile:f.txt\thashed");
    assert_int_equal(wh_minisign_sig_parse(sig, F_SIG_LEGACY,
                                           strlen(F_SIG_LEGACY), "s", &e), 0);
    assert_int_equal(sig->legacy, 1);
    assert_int_equal(wh_minisign_verify_buffer(sig, &pk, "hello\n", 6, "s", 0,
                                               &e), 0);
    assert_int_equal(wh_minisign_verify_buffer(sig, &pk, "hello\n", 6, "l.sig",
                                               WH_MINISIGN_PREHASHED_ONLY, &e),
                     WH_E_VERIFY);
    assert_string_equal(fmt(&e), "l.sig: legacy signature refused: a prehashed "
                                 "signature is required");
    free(sig);
}

/* RFC 8032 section 7.1, test 1: the key in a minisign secret key file,
 * a legacy signature of the empty message. */
static void test_rfc8032_vector1(void **state)
{
    (void)state;
    unsigned char blob[158] = { 'E', 'd', 0, 0, 'B', '2' };
    unhex(blob + 54, "0102030405060708");
    unhex(blob + 62, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
                     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    char text[400] = "untrusted comment: rfc 8032 test 1\n";
    size_t n = strlen(text);
    n += wh_base64_encode(text + n, blob, sizeof blob);
    wh_minisign_seckey *sk;
    wh_minisign_pubkey pk;
    wh_minisign_sig *sig = new_sig();
    wh_err e;
    char h[129];
    assert_int_equal(wh_minisign_seckey_parse(&sk, text, n, "t.key", &e), 0);
    assert_int_equal(wh_minisign_sign_buffer(sig, sk, "", 0, "t", NULL,
                                             WH_MINISIGN_LEGACY, &e), 0);
    hex(h, sig->sig, 64);
    assert_string_equal(h,
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
        "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    wh_minisign_seckey_public(sk, &pk);
    hex(h, pk.pk, 32);
    assert_string_equal(h, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    char id[17];
    wh_minisign_keyid_hex(pk.key_id, id);
    assert_string_equal(id, "807060504030201");   /* no zero padding */
    assert_int_equal(wh_minisign_verify_buffer(sig, &pk, "", 0, "t", 0, &e), 0);
    wh_minisign_seckey_free(sk);
    free(sig);
}

static void test_keyid_hex(void **state)
{
    (void)state;
    static const unsigned char a[8] = { 0xce, 0x17, 0xdf, 0x58, 0x04, 0x68, 0xe9, 0x1d };
    static const unsigned char b[8] = { 0 };
    static const unsigned char c[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    char out[17];
    wh_minisign_keyid_hex(a, out);
    assert_string_equal(out, "1DE9680458DF17CE");
    wh_minisign_keyid_hex(b, out);
    assert_string_equal(out, "0");
    wh_minisign_keyid_hex(c, out);
    assert_string_equal(out, "FFFFFFFFFFFFFFFF");
}

/* ---- round trips ----------------------------------------------------- */

static void test_roundtrip_plain(void **state)
{
    (void)state;
    wh_minisign_seckey *sk, *sk2;
    wh_minisign_pubkey pk, pk2;
    wh_minisign_sig *sig = new_sig(), *sig2 = new_sig();
    char pub[WH_MINISIGN_PUBKEY_TEXT_MAX], sec[WH_MINISIGN_SECKEY_TEXT_MAX];
    char st[WH_MINISIGN_SIG_TEXT_MAX], b64[WH_MINISIGN_PUBKEY_B64_LEN + 1];
    wh_err e;
    assert_int_equal(wh_minisign_keygen(&sk, &pk, &e), 0);
    assert_int_equal(wh_minisign_pubkey_format(&pk, NULL, pub, &e), 0);
    assert_int_equal(wh_minisign_seckey_format(sk, NULL, NULL, NULL, sec, &e), 0);
    assert_true(strncmp(sec, "untrusted comment: minisign unencrypted secret key\nRWQAAEIy", 58) == 0);
    assert_int_equal(wh_minisign_pubkey_parse(&pk2, pub, strlen(pub), "p", &e), 0);
    assert_memory_equal(&pk, &pk2, sizeof pk);
    wh_minisign_pubkey_to_base64(&pk, b64);
    assert_int_equal(wh_minisign_pubkey_from_base64(&pk2, b64, strlen(b64), &e), 0);
    assert_memory_equal(&pk, &pk2, sizeof pk);
    assert_int_equal(wh_minisign_seckey_parse(&sk2, sec, strlen(sec), "s", &e), 0);
    assert_int_equal(wh_minisign_seckey_encrypted(sk2), 0);
    wh_minisign_seckey_public(sk2, &pk2);
    assert_memory_equal(&pk, &pk2, sizeof pk);
    for (unsigned flags = 0; flags <= WH_MINISIGN_LEGACY; flags++) {
        assert_int_equal(wh_minisign_sign_buffer(sig, sk2, "data", 4,
                                                 "serial:7\texpires:99", "u",
                                                 flags, &e), 0);
        assert_int_equal(sig->legacy, (int)flags);
        assert_int_equal(wh_minisign_sig_format(sig, st, &e), 0);
        assert_int_equal(wh_minisign_sig_parse(sig2, st, strlen(st), "x", &e), 0);
        assert_memory_equal(sig, sig2, sizeof *sig);
        assert_int_equal(wh_minisign_verify_buffer(sig2, &pk, "data", 4, "x",
                                                   0, &e), 0);
        assert_string_equal(sig2->trusted, "serial:7\texpires:99");
        assert_string_equal(sig2->untrusted, "u");
    }
    /* The bare base64 form reports offsets, not lines. */
    assert_int_equal(wh_minisign_pubkey_from_base64(&pk2, "RWQ!", 4, &e), WH_E_FORMAT);
    assert_string_equal(fmt(&e), "offset 0x3: invalid base64 character '!'");
    assert_int_equal(wh_minisign_pubkey_from_base64(&pk2, "RWQA", 4, &e), WH_E_FORMAT);
    assert_string_equal(fmt(&e), "offset 0x0: public key is 3 bytes, expected 42");
    wh_minisign_seckey_free(sk);
    wh_minisign_seckey_free(sk2);
    free(sig);
    free(sig2);
}

static void test_roundtrip_encrypted(void **state)
{
    (void)state;
    wh_minisign_seckey *sk, *sk2;
    wh_minisign_pubkey pk;
    wh_minisign_sig *sig = new_sig();
    char sec[WH_MINISIGN_SECKEY_TEXT_MAX], sec2[WH_MINISIGN_SECKEY_TEXT_MAX];
    wh_err e;
    assert_int_equal(wh_minisign_keygen(&sk, &pk, &e), 0);
    assert_int_equal(wh_minisign_seckey_format(sk, "pw", &FAST, NULL, sec, &e), 0);
    assert_true(strncmp(sec, "untrusted comment: minisign encrypted secret key\nRWRTY0Iy", 56) == 0);
    /* a fresh salt each time */
    assert_int_equal(wh_minisign_seckey_format(sk, "pw", &FAST, "c", sec2, &e), 0);
    assert_true(strncmp(sec2, "untrusted comment: c\nRWRTY0Iy", 29) == 0);
    assert_string_not_equal(sec + 49, sec2 + 21);
    assert_int_equal(wh_minisign_seckey_parse(&sk2, sec, strlen(sec), "k.key", &e), 0);
    assert_int_equal(wh_minisign_seckey_encrypted(sk2), 1);
    assert_int_equal(wh_minisign_seckey_decrypt(sk2, "wrong", "k.key", &e),
                     WH_E_PASSWORD);
    assert_string_equal(fmt(&e), "k.key: wrong password or corrupted secret key");
    assert_int_equal(wh_minisign_seckey_encrypted(sk2), 1);
    assert_int_equal(wh_minisign_seckey_decrypt(sk2, "pw", "k.key", &e), 0);
    assert_int_equal(wh_minisign_seckey_encrypted(sk2), 0);
    assert_int_equal(wh_minisign_seckey_decrypt(sk2, "other", "k.key", &e), 0);
    assert_int_equal(wh_minisign_sign_buffer(sig, sk2, "x", 1, "t", NULL, 0, &e), 0);
    assert_int_equal(wh_minisign_verify_buffer(sig, &pk, "x", 1, "s", 0, &e), 0);
    /* limits outside the range */
    wh_minisign_kdf low = { WH_MINISIGN_OPSLIMIT_MIN - 1, WH_MINISIGN_MEMLIMIT_MIN };
    assert_int_equal(wh_minisign_seckey_format(sk, "pw", &low, NULL, sec, &e), WH_E_USAGE);
    assert_string_equal(fmt(&e), "scrypt limits (opslimit 32767, memlimit 16777216) "
                        "outside 32768..134217728 and 16777216..2147483648");
    wh_minisign_seckey_free(sk);
    wh_minisign_seckey_free(sk2);
    free(sig);
}

static void test_encrypted_fixture(void **state)
{
    (void)state;
    wh_minisign_seckey *sk;
    wh_minisign_pubkey pk, want;
    char pub[WH_MINISIGN_PUBKEY_TEXT_MAX];
    wh_err e;
    assert_int_equal(wh_minisign_seckey_parse(&sk, WE_KEY, strlen(WE_KEY),
                                              "we.key", &e), 0);
    assert_int_equal(wh_minisign_seckey_encrypted(sk), 1);
    assert_int_equal(wh_minisign_seckey_decrypt(sk, "Secret", "we.key", &e),
                     WH_E_PASSWORD);
    assert_string_equal(fmt(&e), "we.key: wrong password or corrupted secret key");
    assert_int_equal(wh_minisign_seckey_decrypt(sk, "secret", "we.key", &e), 0);
    wh_minisign_seckey_public(sk, &pk);
    assert_int_equal(wh_minisign_pubkey_parse(&want, WE_PUB, strlen(WE_PUB),
                                              "we.pub", &e), 0);
    assert_memory_equal(&pk, &want, sizeof pk);
    assert_int_equal(wh_minisign_pubkey_format(&pk, NULL, pub, &e), 0);
    assert_string_equal(pub, WE_PUB);
    wh_minisign_seckey_free(sk);
}

/* Lines too long to be what they claim are refused before decoding. */
static void test_long_lines(void **state)
{
    (void)state;
    static char text[3000];
    wh_minisign_pubkey pk;
    wh_err e;
    strcpy(text, "untrusted comment: x\n");
    size_t n = strlen(text);
    memset(text + n, 'A', 1028);
    text[n + 1028] = '\n';
    assert_int_equal(wh_minisign_pubkey_parse(&pk, text, n + 1029, "x.pub", &e),
                     WH_E_LIMIT);
    assert_string_equal(fmt(&e), "x.pub:2:1025: public key line is longer than 1024 bytes");
    /* 1024 characters are decoded, and found to be too many bytes */
    assert_int_equal(wh_minisign_pubkey_parse(&pk, text, n + 1024, "x.pub", &e),
                     WH_E_FORMAT);
    assert_string_equal(fmt(&e), "x.pub:2:1: public key is 768 bytes, expected 42");
}

/* ---- verification failures ------------------------------------------- */

static void test_verify_failures(void **state)
{
    (void)state;
    wh_minisign_seckey *sk, *other;
    wh_minisign_pubkey pk, opk;
    wh_minisign_sig *sig = new_sig(), *bad = new_sig();
    wh_err e;
    char a[17], b[17], want[128];
    assert_int_equal(wh_minisign_keygen(&sk, &pk, &e), 0);
    assert_int_equal(wh_minisign_keygen(&other, &opk, &e), 0);
    for (unsigned flags = 0; flags <= WH_MINISIGN_LEGACY; flags++) {
        assert_int_equal(wh_minisign_sign_buffer(sig, sk, "abc", 3, "tc", NULL,
                                                 flags, &e), 0);
        /* a different key */
        assert_int_equal(wh_minisign_verify_buffer(sig, &opk, "abc", 3, "s.sig",
                                                   0, &e), WH_E_VERIFY);
        wh_minisign_keyid_hex(pk.key_id, a);
        wh_minisign_keyid_hex(opk.key_id, b);
        snprintf(want, sizeof want, "s.sig: signature key id %s does not "
                 "match public key %s", a, b);
        assert_string_equal(fmt(&e), want);
        /* the other key with this key's id */
        memcpy(opk.key_id, pk.key_id, 8);
        assert_int_equal(wh_minisign_verify_buffer(sig, &opk, "abc", 3, "s.sig",
                                                   0, &e), WH_E_VERIFY);
        assert_string_equal(fmt(&e), "s.sig: signature verification failed");
        wh_minisign_seckey_public(other, &opk);
        /* tampered data */
        assert_int_equal(wh_minisign_verify_buffer(sig, &pk, "abd", 3, "s.sig",
                                                   0, &e), WH_E_VERIFY);
        assert_string_equal(fmt(&e), "s.sig: signature verification failed");
        /* tampered trusted comment */
        *bad = *sig;
        strcpy(bad->trusted, "td");
        assert_int_equal(wh_minisign_verify_buffer(bad, &pk, "abc", 3, "s.sig",
                                                   0, &e), WH_E_VERIFY);
        assert_string_equal(fmt(&e), "s.sig: trusted comment verification failed");
        /* tampered global signature */
        *bad = *sig;
        bad->global_sig[5] ^= 1;
        assert_int_equal(wh_minisign_verify_buffer(bad, &pk, "abc", 3, "s.sig",
                                                   0, &e), WH_E_VERIFY);
        assert_string_equal(fmt(&e), "s.sig: trusted comment verification failed");
        /* the algorithm flipped: "ED" read as "Ed" and back */
        *bad = *sig;
        bad->legacy = !sig->legacy;
        assert_int_equal(wh_minisign_verify_buffer(bad, &pk, "abc", 3, "s.sig",
                                                   0, &e), WH_E_VERIFY);
        assert_string_equal(fmt(&e), "s.sig: signature verification failed");
        /* untrusted comment is not covered */
        *bad = *sig;
        strcpy(bad->untrusted, "anything");
        assert_int_equal(wh_minisign_verify_buffer(bad, &pk, "abc", 3, "s.sig",
                                                   0, &e), 0);
    }
    wh_minisign_seckey_free(sk);
    wh_minisign_seckey_free(other);
    free(sig);
    free(bad);
}

/* The trusted comment alone: key id and global signature, no data. */
static void test_verify_comment(void **state)
{
    (void)state;
    wh_minisign_seckey *sk, *other;
    wh_minisign_pubkey pk, opk;
    wh_minisign_sig *sig = new_sig(), *bad = new_sig();
    wh_err e;
    char a[17], b[17], want[128];
    assert_int_equal(wh_minisign_keygen(&sk, &pk, &e), 0);
    assert_int_equal(wh_minisign_keygen(&other, &opk, &e), 0);
    wh_minisign_keyid_hex(pk.key_id, a);
    wh_minisign_keyid_hex(opk.key_id, b);
    for (unsigned flags = 0; flags <= WH_MINISIGN_LEGACY; flags++) {
        assert_int_equal(wh_minisign_sign_buffer(sig, sk, "data", 4, "serial:7",
                                                 NULL, flags, &e), 0);
        /* good: the data is not needed */
        assert_int_equal(wh_minisign_verify_comment(sig, &pk, "i.minisig", &e), 0);
        /* tampered comment */
        *bad = *sig;
        strcpy(bad->trusted, "serial:8");
        assert_int_equal(wh_minisign_verify_comment(bad, &pk, "i.minisig", &e),
                         WH_E_VERIFY);
        assert_string_equal(fmt(&e), "i.minisig: trusted comment verification failed");
        /* the data signature is covered by the global one */
        *bad = *sig;
        bad->sig[0] ^= 1;
        assert_int_equal(wh_minisign_verify_comment(bad, &pk, "i.minisig", &e),
                         WH_E_VERIFY);
        assert_string_equal(fmt(&e), "i.minisig: trusted comment verification failed");
        /* another key */
        assert_int_equal(wh_minisign_verify_comment(sig, &opk, "i.minisig", &e),
                         WH_E_VERIFY);
        snprintf(want, sizeof want, "i.minisig: signature key id %s does not "
                 "match public key %s", a, b);
        assert_string_equal(fmt(&e), want);
        /* another key that claims this key's id */
        wh_minisign_pubkey liar = opk;
        memcpy(liar.key_id, pk.key_id, sizeof liar.key_id);
        assert_int_equal(wh_minisign_verify_comment(sig, &liar, NULL, &e),
                         WH_E_VERIFY);
        assert_string_equal(fmt(&e), "trusted comment verification failed");
    }
    /* minisign's own signature file */
    wh_minisign_pubkey xpk;
    assert_int_equal(wh_minisign_pubkey_parse(&xpk, X_PUB, strlen(X_PUB), "x", &e), 0);
    assert_int_equal(wh_minisign_sig_parse(sig, F_SIG, strlen(F_SIG), "f", &e), 0);
    assert_int_equal(wh_minisign_verify_comment(sig, &xpk, "f", &e), 0);
    assert_string_equal(sig->trusted, "timestamp:1795240751\tfile:f.txt\thashed");
    wh_minisign_seckey_free(sk);
    wh_minisign_seckey_free(other);
    free(sig);
    free(bad);
}

/* Plain Ed25519: RFC 8032 test 1, and a legacy ("Ed") signature, which
 * is plain Ed25519 over the content. */
static void test_ed25519_verify(void **state)
{
    (void)state;
    unsigned char pk[32], sig[64];
    unhex(pk, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    unhex(sig, "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
               "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    assert_int_equal(wh_ed25519_verify(sig, "", 0, pk), 0);
    assert_int_equal(wh_ed25519_verify(sig, "x", 1, pk), -1);
    sig[63] ^= 0x40;
    assert_int_equal(wh_ed25519_verify(sig, "", 0, pk), -1);
    wh_minisign_seckey *sk;
    wh_minisign_pubkey mpk;
    wh_minisign_sig *s = new_sig();
    wh_err e;
    assert_int_equal(wh_minisign_keygen(&sk, &mpk, &e), 0);
    assert_int_equal(wh_minisign_sign_buffer(s, sk, "abc", 3, "t", NULL,
                                             WH_MINISIGN_LEGACY, &e), 0);
    assert_int_equal(wh_ed25519_verify(s->sig, "abc", 3, mpk.pk), 0);
    assert_int_equal(wh_ed25519_verify(s->sig, "abd", 3, mpk.pk), -1);
    wh_minisign_seckey_free(sk);
    free(s);
}

static void test_memzero(void **state)
{
    (void)state;
    char pw[32];
    memset(pw, 'x', sizeof pw);
    wh_memzero(pw, sizeof pw);
    for (size_t i = 0; i < sizeof pw; i++)
        assert_int_equal(pw[i], 0);
    wh_memzero(NULL, 0);
}

/* A FIFO or a link where a signature should be: refused at once. */
static void test_load_fifo_and_links(void **state)
{
    (void)state;
    char dir[] = "/tmp/wh-minisign.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sigp[64], lnk[64], fifo[64], lfifo[64];
    snprintf(sigp, sizeof sigp, "%s/m.minisig", dir);
    snprintf(lnk, sizeof lnk, "%s/l.minisig", dir);
    snprintf(fifo, sizeof fifo, "%s/f.minisig", dir);
    snprintf(lfifo, sizeof lfifo, "%s/lf.minisig", dir);
    wh_minisign_sig *sig = new_sig();
    wh_err e;
    char want[128];
    assert_int_equal(wh_minisign_sig_parse(sig, F_SIG, strlen(F_SIG), "f", &e), 0);
    assert_int_equal(wh_minisign_sig_save(sig, sigp, &e), 0);
    assert_int_equal(symlink("m.minisig", lnk), 0);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    assert_int_equal(symlink("f.minisig", lfifo), 0);
    alarm(10);
    /* a link is followed by default, refused with WH_MINISIGN_NOFOLLOW */
    assert_int_equal(wh_minisign_sig_load(sig, lnk, &e), 0);
    assert_int_equal(wh_minisign_sig_load_flags(sig, sigp, WH_MINISIGN_NOFOLLOW,
                                                &e), 0);
    assert_int_equal(wh_minisign_sig_load_flags(sig, lnk, WH_MINISIGN_NOFOLLOW,
                                                &e), WH_E_UNSAFE);
    snprintf(want, sizeof want, "%s: symbolic link not followed", lnk);
    assert_string_equal(fmt(&e), want);
    assert_int_equal(wh_minisign_sig_load_flags(sig, lfifo, WH_MINISIGN_NOFOLLOW,
                                                &e), WH_E_UNSAFE);
    /* a FIFO, as a signature, a key or data to hash */
    snprintf(want, sizeof want, "%s: not a regular file", fifo);
    assert_int_equal(wh_minisign_sig_load(sig, fifo, &e), WH_E_IO);
    assert_string_equal(fmt(&e), want);
    assert_int_equal(wh_minisign_sig_load(sig, lfifo, &e), WH_E_IO);
    wh_minisign_pubkey pk;
    assert_int_equal(wh_minisign_pubkey_load(&pk, fifo, &e), WH_E_IO);
    assert_string_equal(fmt(&e), want);
    assert_int_equal(wh_minisign_pubkey_parse(&pk, X_PUB, strlen(X_PUB), "x", &e), 0);
    assert_int_equal(wh_minisign_sig_parse(sig, F_SIG, strlen(F_SIG), "f", &e), 0);
    assert_int_equal(wh_minisign_verify_file(sig, &pk, fifo, "s", 0, &e), WH_E_IO);
    assert_string_equal(fmt(&e), want);
    wh_minisign_seckey *sk = x_key();     /* unencrypted, as minisign -W */
    assert_int_equal(wh_minisign_sign_file(sig, sk, fifo, "t", NULL, 0, &e), WH_E_IO);
    assert_string_equal(fmt(&e), want);
    alarm(0);
    wh_minisign_seckey_free(sk);
    free(sig);
    unlink(sigp);
    unlink(lnk);
    unlink(fifo);
    unlink(lfifo);
    rmdir(dir);
}

/* ---- comments -------------------------------------------------------- */

static void test_comment_limits(void **state)
{
    (void)state;
    wh_minisign_seckey *sk = x_key();
    wh_minisign_pubkey pk;
    wh_minisign_sig *sig = new_sig(), *back = new_sig();
    static char big[WH_MINISIGN_TRUSTED_MAX + 2], text[WH_MINISIGN_SIG_TEXT_MAX + 2];
    char pub[WH_MINISIGN_PUBKEY_TEXT_MAX];
    wh_err e;
    wh_minisign_seckey_public(sk, &pk);

    /* The longest comments minisign reads back work both ways. */
    memset(big, 'b', WH_MINISIGN_TRUSTED_MAX);
    big[WH_MINISIGN_TRUSTED_MAX] = '\0';
    char u[WH_MINISIGN_COMMENT_MAX + 2];
    memset(u, 'u', WH_MINISIGN_COMMENT_MAX);
    u[WH_MINISIGN_COMMENT_MAX] = '\0';
    assert_int_equal(wh_minisign_sign_buffer(sig, sk, "m", 1, big, u, 0, &e), 0);
    assert_int_equal(wh_minisign_sig_format(sig, text, &e), 0);
    assert_int_equal(strlen(text), WH_MINISIGN_SIG_TEXT_MAX - 1);
    assert_int_equal(wh_minisign_sig_parse(back, text, strlen(text), "b", &e), 0);
    assert_int_equal(wh_minisign_verify_buffer(back, &pk, "m", 1, "b", 0, &e), 0);
    assert_int_equal(wh_minisign_pubkey_format(&pk, u, pub, &e), 0);
    assert_int_equal(strlen(pub), WH_MINISIGN_PUBKEY_TEXT_MAX - 1);

    /* One byte more is refused when writing and when reading. */
    strcat(big, "b");
    strcat(u, "u");
    assert_int_equal(wh_minisign_sign_buffer(sig, sk, "m", 1, big, NULL, 0, &e),
                     WH_E_USAGE);
    assert_string_equal(fmt(&e), "trusted comment is longer than 8173 bytes");
    assert_int_equal(wh_minisign_sign_buffer(sig, sk, "m", 1, "t", u, 0, &e),
                     WH_E_USAGE);
    assert_string_equal(fmt(&e), "untrusted comment is longer than 1003 bytes");
    assert_int_equal(wh_minisign_pubkey_format(&pk, u, pub, &e), WH_E_USAGE);
    assert_string_equal(fmt(&e), "untrusted comment is longer than 1003 bytes");
    char *nl = strstr(text, "\ntrusted comment: ") + 18;
    memmove(nl + 1, nl, strlen(nl) + 1);
    *nl = 'b';
    assert_int_equal(wh_minisign_sig_parse(back, text, strlen(text), "b", &e),
                     WH_E_LIMIT);
    assert_string_equal(fmt(&e), "b:3:8191: trusted comment is longer than 8173 bytes");
    memmove(text + 1, text, strlen(text) + 1);
    text[0] = 'x';
    memcpy(text, "untrusted comment: ", 19);
    assert_int_equal(wh_minisign_sig_parse(back, text, strlen(text), "b", &e),
                     WH_E_LIMIT);
    assert_string_equal(fmt(&e), "b:1:1023: untrusted comment is longer than 1003 bytes");

    /* Line breaks would split the file. */
    assert_int_equal(wh_minisign_sign_buffer(sig, sk, "m", 1, "a\nb", NULL, 0, &e),
                     WH_E_USAGE);
    assert_string_equal(fmt(&e), "trusted comment contains a line break");
    assert_int_equal(wh_minisign_sign_buffer(sig, sk, "m", 1, "t", "a\rb", 0, &e),
                     WH_E_USAGE);
    assert_string_equal(fmt(&e), "untrusted comment contains a line break");
    assert_int_equal(wh_minisign_sign_buffer(sig, sk, "m", 1, "t", NULL, 0, &e), 0);
    strcpy(sig->untrusted, "edited\n");
    assert_int_equal(wh_minisign_sig_format(sig, text, &e), WH_E_USAGE);
    assert_string_equal(fmt(&e), "untrusted comment contains a line break");
    assert_int_equal(wh_minisign_seckey_format(sk, NULL, NULL, "a\nb", text, &e),
                     WH_E_USAGE);
    assert_string_equal(fmt(&e), "untrusted comment contains a line break");
    wh_minisign_seckey_free(sk);
    free(sig);
    free(back);
}

static void test_default_trusted(void **state)
{
    (void)state;
    char out[WH_MINISIGN_TRUSTED_MAX + 1];
    wh_err e;
    assert_int_equal(wh_minisign_default_trusted(out, "/a/b/c.txt", 1700000000,
                                                 0, &e), 0);
    assert_string_equal(out, "timestamp:1700000000\tfile:c.txt\thashed");
    assert_int_equal(wh_minisign_default_trusted(out, "c.txt", 5, 1, &e), 0);
    assert_string_equal(out, "timestamp:5\tfile:c.txt");
    assert_int_equal(wh_minisign_default_trusted(out, "d/a\nb", 5, 0, &e),
                     WH_E_USAGE);
    assert_string_equal(fmt(&e), "d/a\\x0ab: file name contains a line break");
}

/* ---- files ----------------------------------------------------------- */

static void test_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/wh-minisign.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char pubp[64], secp[64], msgp[64], sigp[64], bigp[64];
    snprintf(pubp, sizeof pubp, "%s/k.pub", dir);
    snprintf(secp, sizeof secp, "%s/k.key", dir);
    snprintf(msgp, sizeof msgp, "%s/m.txt", dir);
    snprintf(sigp, sizeof sigp, "%s/m.txt.minisig", dir);
    snprintf(bigp, sizeof bigp, "%s/big", dir);
    wh_minisign_seckey *sk, *sk2;
    wh_minisign_pubkey pk, pk2;
    wh_minisign_sig *sig = new_sig(), *sig2 = new_sig();
    wh_err e;
    struct stat st;

    assert_int_equal(wh_minisign_keygen(&sk, &pk, &e), 0);
    assert_int_equal(wh_minisign_pubkey_save(&pk, NULL, pubp, &e), 0);
    assert_int_equal(wh_minisign_seckey_save(sk, "pw", &FAST, NULL, secp, &e), 0);
    assert_int_equal(stat(secp, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(wh_minisign_pubkey_load(&pk2, pubp, &e), 0);
    assert_memory_equal(&pk, &pk2, sizeof pk);
    assert_int_equal(wh_minisign_seckey_load(&sk2, secp, &e), 0);
    assert_int_equal(wh_minisign_seckey_decrypt(sk2, "pw", secp, &e), 0);

    /* 3 MiB + 1: crosses the 1 MiB hashing reads; both signature kinds. */
    FILE *f = fopen(bigp, "wb");
    assert_non_null(f);
    for (int i = 0; i < 3 * 1024 * 1024 + 1; i++)
        fputc(i * 7 % 251, f);
    fclose(f);
    for (unsigned flags = 0; flags <= WH_MINISIGN_LEGACY; flags++) {
        assert_int_equal(wh_minisign_sign_file(sig, sk2, bigp, NULL, NULL,
                                               flags, &e), 0);
        assert_non_null(strstr(sig->trusted, "\tfile:big"));
        assert_int_equal(flags ? strstr(sig->trusted, "hashed") == NULL
                               : strstr(sig->trusted, "\thashed") != NULL, 1);
        assert_int_equal(wh_minisign_sig_save(sig, sigp, &e), 0);
        assert_int_equal(wh_minisign_sig_load(sig2, sigp, &e), 0);
        assert_int_equal(wh_minisign_verify_file(sig2, &pk, bigp, sigp, 0, &e), 0);
        assert_string_equal(sig2->trusted, sig->trusted);
    }
    f = fopen(bigp, "ab");
    fputc('!', f);
    fclose(f);
    assert_int_equal(wh_minisign_verify_file(sig2, &pk, bigp, "m.sig", 0, &e),
                     WH_E_VERIFY);
    assert_string_equal(fmt(&e), "m.sig: signature verification failed");

    /* Legacy signatures hold the file in memory: capped (sparse file). */
    assert_int_equal(truncate(bigp, WH_MINISIGN_LEGACY_MAX + 1), 0);
    assert_int_equal(wh_minisign_sign_file(sig, sk2, bigp, "t", NULL,
                                           WH_MINISIGN_LEGACY, &e), WH_E_LIMIT);
    char lim[160];
    snprintf(lim, sizeof lim, "%s: too large for a legacy signature: file is "
             "67108865 bytes, more than the limit of 67108864", bigp);
    assert_string_equal(fmt(&e), lim);
    assert_int_equal(wh_minisign_sig_parse(sig2, F_SIG_LEGACY,
                                           strlen(F_SIG_LEGACY), "l", &e), 0);
    assert_int_equal(wh_minisign_pubkey_parse(&pk2, X_PUB, strlen(X_PUB), "x",
                                              &e), 0);
    assert_int_equal(wh_minisign_verify_file(sig2, &pk2, bigp, "l", 0, &e),
                     WH_E_LIMIT);
    assert_string_equal(fmt(&e), lim);

    /* missing and oversized files */
    assert_int_equal(wh_minisign_verify_file(sig2, &pk2, msgp, "m.sig", 0, &e),
                     WH_E_NOTFOUND);
    assert_int_equal(wh_minisign_sig_load(sig2, msgp, &e), WH_E_NOTFOUND);
    assert_int_equal(wh_minisign_pubkey_load(&pk2, bigp, &e), WH_E_LIMIT);
    f = fopen(msgp, "w");
    fputs("untrusted comment: x\nnot base64\n", f);
    fclose(f);
    assert_int_equal(wh_minisign_seckey_load(&sk, msgp, &e), WH_E_FORMAT);
    assert_null(sk);
    char want[128];
    snprintf(want, sizeof want, "%s:2:4: invalid base64 character '\\x20'", msgp);
    assert_string_equal(fmt(&e), want);

    wh_minisign_seckey_free(sk2);
    free(sig);
    free(sig2);
    unlink(pubp);
    unlink(secp);
    unlink(msgp);
    unlink(sigp);
    unlink(bigp);
    rmdir(dir);
}

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

WH_TEST_MAIN("minisign",
    cmocka_unit_test_setup(test_data_file, setup),
    cmocka_unit_test(test_base64_encode_rfc4648),
    cmocka_unit_test(test_same_bytes_as_minisign),
    cmocka_unit_test(test_verify_minisign_signatures),
    cmocka_unit_test(test_rfc8032_vector1),
    cmocka_unit_test(test_keyid_hex),
    cmocka_unit_test(test_roundtrip_plain),
    cmocka_unit_test(test_roundtrip_encrypted),
    cmocka_unit_test(test_encrypted_fixture),
    cmocka_unit_test(test_long_lines),
    cmocka_unit_test(test_verify_failures),
    cmocka_unit_test(test_verify_comment),
    cmocka_unit_test(test_ed25519_verify),
    cmocka_unit_test(test_memzero),
    cmocka_unit_test(test_load_fifo_and_links),
    cmocka_unit_test(test_comment_limits),
    cmocka_unit_test(test_default_trusted),
    cmocka_unit_test(test_files))

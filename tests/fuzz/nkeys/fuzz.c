/* fuzz.c - fuzz target "nkeys": NATS public nkeys (common/nkeys.c) and
 * the strict codecs under them and the JWTs (common/base32.c,
 * common/base64.c).
 *
 * Input: byte 0 picks a role (or any role), byte 1 the size of the output
 * buffer for the decoders, the rest is the text (and, for the encoders,
 * the bytes).  Every buffer is malloc'd at exactly its documented size,
 * so AddressSanitizer catches one byte too many.
 *
 * Checked, beyond memory safety:
 *   - decoding is strict, so whatever decodes encodes back to exactly the
 *     same text (one spelling per value), for nkeys, base32, base64 and
 *     base64url, and decoded lengths fit the buffer and the _MAX macros;
 *   - encoding writes exactly _ENCODED_LEN characters and decodes back;
 *   - a decoded nkey has the role asked for, and changing any one of its
 *     56 characters makes it fail (CRC-16 catches every such change);
 *   - an error has a reason and an offset inside the text (or -1), at
 *     the very character when it blames one.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/nkeys/, and the seeds
 * of tests/fuzz/nkeys/seeds.sh).
 */
#include <string.h>

#include "common/base32.h"
#include "common/base64.h"
#include "common/nkeys.h"
#include "tests/fuzz/common/fuzz.h"

static const int roles[] = {
    WH_NKEY_ACCOUNT, WH_NKEY_CLUSTER, WH_NKEY_MODULE, WH_NKEY_SERVER,
    WH_NKEY_OPERATOR, WH_NKEY_USER, WH_NKEY_SERVICE, WH_NKEY_CURVE,
};
#define NROLES (int)(sizeof roles / sizeof roles[0])

/* An error says why, and a bad character is blamed at its offset. */
static void check_error(int rc, const wh_err *err, const char *s, size_t n)
{
    const char *c = strncmp(err->reason, "invalid ", 8) ? NULL
                  : strstr(err->reason, " character '");
    FUZZ_ASSERT(rc == WH_E_FORMAT && err->code == rc && err->reason[0]);
    FUZZ_ASSERT(err->offset >= -1 && err->offset <= (long long)n);
    if (c && c[12] != '\\')
        FUZZ_ASSERT(err->offset >= 0 && (size_t)err->offset < n &&
                    s[err->offset] == c[12]);
}

/* Any change of one character of a valid key is refused. */
static void check_one_change(const char *s, int sel)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    char t[WH_NKEY_LEN];
    uint8_t key[32];
    for (int i = 0; i < WH_NKEY_LEN; i++) {
        memcpy(t, s, sizeof t);
        size_t d = (size_t)(strchr(digits, s[i]) - digits);
        t[i] = digits[(d + 1 + (size_t)sel % 31) % 32];
        FUZZ_ASSERT(wh_nkey_decode(t, sizeof t, -1, NULL, key, NULL) != 0);
    }
}

static void check_nkey_text(const char *s, size_t n, int sel)
{
    int want = sel % (NROLES + 1) == NROLES ? -1 : roles[sel % (NROLES + 1)];
    int prefix = -1;
    uint8_t key[32];
    char again[WH_NKEY_LEN + 1];
    wh_err err;
    int rc = wh_nkey_decode(s, n, want, &prefix, key, &err);
    if (rc) {
        check_error(rc, &err, s, n);
        return;
    }
    FUZZ_ASSERT(n == WH_NKEY_LEN && wh_nkey_role(prefix));
    FUZZ_ASSERT(want < 0 || prefix == want);
    wh_nkey_encode(again, prefix, key);
    FUZZ_ASSERT(memcmp(again, s, n) == 0 && again[n] == '\0');
    check_one_change(s, sel);
}

/* Bytes to an nkey of some role and back; another role is refused. */
static void check_nkey_bytes(const uint8_t *b, size_t n, int sel)
{
    if (n < 32)
        return;
    int role = roles[sel % NROLES], other = roles[(sel + 1) % NROLES];
    char text[WH_NKEY_LEN + 1];
    uint8_t key[32];
    int prefix;
    wh_nkey_encode(text, role, b);
    FUZZ_ASSERT(strlen(text) == WH_NKEY_LEN);
    FUZZ_ASSERT(wh_nkey_decode(text, WH_NKEY_LEN, role, &prefix, key, NULL) == 0);
    FUZZ_ASSERT(prefix == role && memcmp(key, b, 32) == 0);
    FUZZ_ASSERT(wh_nkey_decode(text, WH_NKEY_LEN, other, NULL, key, NULL) != 0);
}

typedef int (*decode_fn)(void *, size_t, size_t *, const char *, size_t, wh_err *);
typedef size_t (*encode_fn)(char *, const void *, size_t);

struct codec {
    decode_fn dec;
    encode_fn enc;
    size_t (*enclen)(size_t);   /* _ENCODED_LEN */
    size_t (*decmax)(size_t);   /* _DECODED_MAX */
};

static size_t b32_len(size_t n) { return WH_BASE32_ENCODED_LEN(n); }
static size_t b32_max(size_t n) { return WH_BASE32_DECODED_MAX(n); }
static size_t b64_len(size_t n) { return WH_BASE64_ENCODED_LEN(n); }
static size_t b64_max(size_t n) { return WH_BASE64_DECODED_MAX(n); }
static size_t b64u_len(size_t n) { return WH_BASE64URL_ENCODED_LEN(n); }
/* Unpadded: 4 characters per 3 bytes, and 2 or 3 for the last 1 or 2. */
static size_t b64u_max(size_t n) { return n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0); }

static const struct codec codecs[3] = {
    { wh_base32_decode, wh_base32_encode, b32_len, b32_max },
    { wh_base64_decode, wh_base64_encode, b64_len, b64_max },
    { wh_base64url_decode, wh_base64url_encode, b64u_len, b64u_max },
};

/* The text decodes into outsz bytes and encodes back the same, or fails. */
static void check_decode(const struct codec *c, const char *s, size_t n,
                         size_t outsz)
{
    uint8_t *out = malloc(outsz ? outsz : 1);
    size_t len = (size_t)-1;
    wh_err err;
    FUZZ_ASSERT(out);
    int rc = c->dec(out, outsz, &len, s, n, &err);
    if (rc) {
        check_error(rc, &err, s, n);
    } else {
        FUZZ_ASSERT(len <= outsz && len <= c->decmax(n));
        char *text = malloc(c->enclen(len) + 1);
        FUZZ_ASSERT(text);
        FUZZ_ASSERT(c->enc(text, out, len) == n && memcmp(text, s, n) == 0);
        free(text);
    }
    free(out);
}

/* The bytes encode to _ENCODED_LEN characters and decode back. */
static void check_encode(const struct codec *c, const uint8_t *b, size_t n)
{
    size_t tl = c->enclen(n), len;
    char *text = malloc(tl + 1);
    uint8_t *back = malloc(n ? n : 1);
    FUZZ_ASSERT(text && back);
    FUZZ_ASSERT(c->enc(text, b, n) == tl && text[tl] == '\0');
    FUZZ_ASSERT(c->dec(back, n, &len, text, tl, NULL) == 0);
    FUZZ_ASSERT(len == n && memcmp(back, b, n) == 0);
    free(text);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int sel = data[0];
    size_t outsz = data[1];
    const char *s = (const char *)data + 2;
    size_t n = size - 2;
    check_nkey_text(s, n, sel);
    check_nkey_bytes(data + 2, n, sel);
    for (int i = 0; i < 3; i++) {
        check_decode(&codecs[i], s, n, outsz);
        check_encode(&codecs[i], data + 2, n);
    }
    return 0;
}

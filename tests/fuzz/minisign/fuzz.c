/* fuzz.c - minisign's three text files (common/minisign.c): the input is
 * offered to each parser in turn (public key, secret key, signature), as
 * a file named on a command line might be any of them.
 *
 * Parse only: a secret key is never decrypted (an encrypted key's scrypt
 * parameters come from the input; minisign's defaults cost a second and
 * 1 GiB), and a signature is verified over one fixed message with the
 * key the same input parsed to, if any, else an all-zero key.
 *
 * Checked: what parses formats back to text that parses to the same key
 * or signature (comments included); an unencrypted secret key's public
 * half formats and parses as a public key with its key id.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/minisign/).
 */
#include <string.h>

#include "common/minisign.h"
#include "tests/fuzz/common/fuzz.h"

static void mf_pubkey(const char *s, size_t n, wh_minisign_pubkey *pk)
{
    char text[WH_MINISIGN_PUBKEY_TEXT_MAX], b64[WH_MINISIGN_PUBKEY_B64_LEN + 1];
    wh_minisign_pubkey back;
    wh_err err;
    if (wh_minisign_pubkey_parse(pk, s, n, "f.pub", &err) != 0) {
        FUZZ_ASSERT(err.code != 0 && err.reason[0]);
        (void)wh_minisign_pubkey_from_base64(pk, s, n, &err);
        return;
    }
    FUZZ_ASSERT(wh_minisign_pubkey_format(pk, NULL, text, &err) == 0);
    FUZZ_ASSERT(wh_minisign_pubkey_parse(&back, text, strlen(text), "b.pub",
                                         &err) == 0);
    FUZZ_ASSERT(memcmp(&back, pk, sizeof back) == 0);
    wh_minisign_pubkey_to_base64(pk, b64);
    FUZZ_ASSERT(wh_minisign_pubkey_from_base64(&back, b64, strlen(b64),
                                               &err) == 0);
    FUZZ_ASSERT(memcmp(&back, pk, sizeof back) == 0);
}

/* An unencrypted key's text written again reads as the same key. */
static void mf_seckey_again(const wh_minisign_seckey *sk)
{
    static char text[WH_MINISIGN_SECKEY_TEXT_MAX];
    wh_minisign_seckey *back;
    wh_minisign_pubkey a, b;
    wh_err err;
    FUZZ_ASSERT(wh_minisign_seckey_format(sk, NULL, NULL, NULL, text,
                                          &err) == 0);
    FUZZ_ASSERT(wh_minisign_seckey_parse(&back, text, strlen(text), "b.key",
                                         &err) == 0);
    wh_minisign_seckey_public(sk, &a);
    wh_minisign_seckey_public(back, &b);
    FUZZ_ASSERT(memcmp(&a, &b, sizeof a) == 0);
    wh_minisign_seckey_free(back);
    wh_memzero(text, sizeof text);
}

static void mf_seckey(const char *s, size_t n)
{
    wh_minisign_seckey *sk;
    wh_err err;
    if (wh_minisign_seckey_parse(&sk, s, n, "f.key", &err) != 0) {
        FUZZ_ASSERT(err.code != 0 && err.reason[0]);
        return;
    }
    if (!wh_minisign_seckey_encrypted(sk))
        mf_seckey_again(sk);
    wh_minisign_seckey_free(sk);
}

static void mf_sig(const char *s, size_t n, const wh_minisign_pubkey *pk)
{
    static wh_minisign_sig sig, back;
    static char text[WH_MINISIGN_SIG_TEXT_MAX];
    static const char msg[] = "fuzz";
    wh_err err;
    /* Compared whole below: the bytes after the comments' NULs too. */
    memset(&sig, 0, sizeof sig);
    memset(&back, 0, sizeof back);
    if (wh_minisign_sig_parse(&sig, s, n, "f.minisig", &err) != 0) {
        FUZZ_ASSERT(err.code != 0 && err.reason[0]);
        return;
    }
    FUZZ_ASSERT(wh_minisign_sig_format(&sig, text, &err) == 0);
    FUZZ_ASSERT(wh_minisign_sig_parse(&back, text, strlen(text), "b.minisig",
                                      &err) == 0);
    FUZZ_ASSERT(memcmp(&back, &sig, sizeof sig) == 0);
    if (wh_minisign_verify_buffer(&sig, pk, msg, sizeof msg - 1, "f.minisig",
                                  0, &err) != 0)
        FUZZ_ASSERT(err.code == WH_E_VERIFY);
    (void)wh_minisign_verify_comment(&sig, pk, "f.minisig", &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    wh_minisign_pubkey pk;
    memset(&pk, 0, sizeof pk);      /* the key when the input is none */
    mf_pubkey(s, size, &pk);
    mf_seckey(s, size);
    mf_sig(s, size, &pk);
    return 0;
}

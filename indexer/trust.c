/* trust.c - whom the repository trusts, and who signed each package.
 *
 * Two lists, both given by the repository's operator:
 *
 *   --trusted-keys DIR        minisign public keys of publishers (*.pub);
 *                             a .ferrpkg or bundle's FILE.minisig by one of
 *                             them makes it "verified"
 *   --trusted-issuers FILE    account nkeys ("A..."); a PAR whose claims
 *                             were issued by one of them is "verified"
 *
 * A minisign signature names its key by id.  If that id is trusted, the
 * signature must verify, else the package is rejected: a broken signature
 * is never recorded.  If the id is not trusted there is no key to check
 * it with; the package is "untrusted" and its key id is recorded, which
 * is what --require-signatures refuses.  A PAR's own JWT signature was
 * already checked by its reader (common/pkg_par.c); here only its issuer
 * is judged.
 *
 * Tests: tests/cli/t1100-wharf-index-build.sh (trust cases).
 */
#include "indexer/indexer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fs.h"
#include "common/keyring.h"

#define ISSUERS_MAX ((size_t)1 << 20)   /* bytes of --trusted-issuers */

struct ix_trust {
    wh_keyring keys;
    char (*issuers)[WH_NKEY_LEN + 1];
    size_t nissuers, issuers_cap;
};

const char *ix_status_name(int status)
{
    switch (status) {
    case IX_VERIFIED:  return "verified";
    case IX_UNTRUSTED: return "untrusted";
    default:           return "unsigned";
    }
}

static const wh_minisign_pubkey *find_key(const ix_trust *t,
                                          const unsigned char *id)
{
    return t ? wh_keyring_find(&t->keys, id, NULL) : NULL;
}

/* --- loading ----------------------------------------------------------- */

static int add_issuer(ix_trust *t, const char *nkey, const char *path,
                      wh_err *err)
{
    for (size_t i = 0; i < t->nissuers; i++)
        if (strcmp(t->issuers[i], nkey) == 0)
            return 0;
    if (t->nissuers == t->issuers_cap) {
        size_t cap = t->issuers_cap ? t->issuers_cap * 2 : 8;
        char (*v)[WH_NKEY_LEN + 1] = realloc(t->issuers, cap * sizeof *v);
        if (!v)
            return wh_fail(err, WH_E_NOMEM, path, -1, NULL);
        t->issuers = v;
        t->issuers_cap = cap;
    }
    memcpy(t->issuers[t->nissuers++], nkey, WH_NKEY_LEN + 1);
    return 0;
}

/* One line of the issuers file: blanks around, '#' to the end ignored. */
static int issuer_line(ix_trust *t, const char *path, int lineno,
                       const char *s, size_t n, wh_err *err)
{
    const char *hash = memchr(s, '#', n);
    if (hash)
        n = (size_t)(hash - s);
    size_t b = 0;
    while (b < n && (s[b] == ' ' || s[b] == '\t'))
        b++;
    while (n > b && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if (n == b)
        return 0;
    uint8_t key[32];
    wh_err e;
    if (wh_nkey_decode(s + b, n - b, WH_NKEY_ACCOUNT, NULL, key, &e))
        return wh_fail_at(err, e.code, path, lineno, (int)b + 1, "%s", e.reason);
    char nkey[WH_NKEY_LEN + 1];
    wh_nkey_encode(nkey, WH_NKEY_ACCOUNT, key);
    return add_issuer(t, nkey, path, err);
}

static int load_issuers(ix_trust *t, const char *path, wh_err *err)
{
    char *text;
    size_t len;
    int rc = wh_file_read(path, ISSUERS_MAX, &text, &len, err);
    if (rc)
        return rc;
    int lineno = 1;
    for (size_t i = 0; i < len && rc == 0; lineno++) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        rc = issuer_line(t, path, lineno, text + i, end - i, err);
        i = end + 1;
    }
    free(text);
    return rc;
}

int ix_trust_load(ix_trust **out, const char *keys_dir,
                  const char *issuers_file, wh_err *err)
{
    ix_trust *t = calloc(1, sizeof *t);
    *out = NULL;
    if (!t)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    int rc = keys_dir ? wh_keyring_load_dir(&t->keys, keys_dir, err) : 0;
    if (rc == 0 && issuers_file)
        rc = load_issuers(t, issuers_file, err);
    if (rc) {
        ix_trust_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void ix_trust_free(ix_trust *t)
{
    if (!t)
        return;
    wh_keyring_free(&t->keys);
    free(t->issuers);
    free(t);
}

size_t ix_trust_key_count(const ix_trust *t) { return t ? t->keys.n : 0; }
size_t ix_trust_issuer_count(const ix_trust *t) { return t ? t->nissuers : 0; }

/* --- judging ------------------------------------------------------------ */

int ix_trust_minisig(const ix_trust *t, const char *sig_path,
                     const uint8_t *data, size_t len, ix_signer *out,
                     wh_err *err)
{
    memset(out, 0, sizeof *out);
    wh_minisign_sig sig;
    int rc = wh_minisign_sig_load_flags(&sig, sig_path, WH_MINISIGN_NOFOLLOW, err);
    if (rc)
        return rc;
    wh_minisign_keyid_hex(sig.key_id, out->key_id);
    const wh_minisign_pubkey *pk = find_key(t, sig.key_id);
    if (!pk) {
        out->status = IX_UNTRUSTED;
        return 0;
    }
    rc = wh_minisign_verify_buffer(&sig, pk, data, len, sig_path, 0, err);
    if (rc)
        return rc;
    out->status = IX_VERIFIED;
    wh_minisign_pubkey_to_base64(pk, out->verified_with);
    return 0;
}

int ix_trust_minisig_cached(const ix_trust *t, const char *key_id,
                            const char *verified_with, ix_signer *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->key_id, sizeof out->key_id, "%s", key_id);
    for (size_t i = 0; t && i < t->keys.n; i++) {
        char id[17];
        wh_minisign_keyid_hex(t->keys.keys[i].key_id, id);
        if (strcmp(id, key_id) != 0)
            continue;
        char b64[WH_MINISIGN_PUBKEY_B64_LEN + 1];
        wh_minisign_pubkey_to_base64(&t->keys.keys[i], b64);
        if (strcmp(b64, verified_with) != 0)
            return 0;           /* not checked with this key: read again */
        out->status = IX_VERIFIED;
        snprintf(out->verified_with, sizeof out->verified_with, "%s", b64);
        return 1;
    }
    out->status = IX_UNTRUSTED;
    return 1;
}

void ix_trust_par(const ix_trust *t, const char *issuer, ix_signer *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->key_id, sizeof out->key_id, "%s", issuer);
    out->status = IX_UNTRUSTED;
    for (size_t i = 0; t && i < t->nissuers; i++)
        if (strcmp(t->issuers[i], issuer) == 0)
            out->status = IX_VERIFIED;
}

/* rotation.c - key rotation statements and the chains they form
 * (rotation.h has the format, the rules and why they are so).
 *
 * Reading is in two passes on purpose: the walk only parses (each file
 * capped at WH_ROTATION_FILE_MAX, at most WH_ROTATION_DEPTH of them), and
 * nothing is verified until a trusted key is found, because only then is
 * there a key to verify with; verification then runs from the trusted end,
 * each statement supplying the key that checks the next.
 */
#include "common/rotation.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the trusted comment ------------------------------------------------- */

void wh_rotation_comment(char *out, size_t n, const wh_rotation *r)
{
    snprintf(out, n, WH_ROTATION_FORMAT " old:%s new:%s issued:%" PRId64,
             r->old_id, r->new_id, r->issued);
}

/* "TAG" then 1..16 upper-case hex digits into id; the rest, or NULL. */
static const char *take_id(const char *p, const char *tag, char id[17])
{
    size_t t = strlen(tag), k = 0;
    if (strncmp(p, tag, t) != 0)
        return NULL;
    p += t;
    while (k < 16 && ((p[k] >= '0' && p[k] <= '9') || (p[k] >= 'A' && p[k] <= 'F')))
        k++;
    if (k == 0)
        return NULL;
    memcpy(id, p, k);
    id[k] = '\0';
    return p + k;
}

/* A decimal without sign or leading zeros, at most 18 digits, to the end. */
static int take_time(const char *p, int64_t *t)
{
    size_t k = strspn(p, "0123456789");
    if (k == 0 || k > 18 || p[k] || (p[0] == '0' && k > 1))
        return -1;
    *t = (int64_t)strtoll(p, NULL, 10);
    return 0;
}

int wh_rotation_comment_parse(wh_rotation *r, const char *text,
                              const char *path, wh_err *err)
{
    const char *p = take_id(text, WH_ROTATION_FORMAT " old:", r->old_id);
    if (p)
        p = take_id(p, " new:", r->new_id);
    if (!p || strncmp(p, " issued:", 8) != 0 || take_time(p + 8, &r->issued))
        return wh_fail(err, WH_E_FORMAT, path, -1, "not a " WH_ROTATION_FORMAT
                       " statement: trusted comment '%.80s'", text);
    return 0;
}

int wh_rotation_path(char *out, size_t n, const char *id, const char *suffix)
{
    int k = snprintf(out, n, WH_ROTATION_DIR "/%s.pub%s", id, suffix);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* --- one statement ---------------------------------------------------------- */

int wh_rotation_make(wh_rotation_stmt *s, const wh_minisign_seckey *old_sk,
                     const wh_minisign_pubkey *new_pk, int64_t issued,
                     wh_err *err)
{
    wh_minisign_pubkey old_pk;
    char tc[128], untrusted[128];
    memset(s, 0, sizeof *s);
    wh_minisign_seckey_public(old_sk, &old_pk);
    wh_minisign_keyid_hex(old_pk.key_id, s->r.old_id);
    wh_minisign_keyid_hex(new_pk->key_id, s->r.new_id);
    if (strcmp(s->r.old_id, s->r.new_id) == 0)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "the new key has the id of "
                       "the current key, %s", s->r.old_id);
    s->r.issued = issued;
    s->r.new_pk = *new_pk;
    int rc = wh_minisign_pubkey_format(new_pk, NULL, s->pub, err);
    if (rc)
        return rc;
    s->pub_len = strlen(s->pub);
    wh_rotation_comment(tc, sizeof tc, &s->r);
    snprintf(untrusted, sizeof untrusted, "wharf key rotation from %s to %s",
             s->r.old_id, s->r.new_id);
    return wh_minisign_sign_buffer(&s->sig, old_sk, s->pub, s->pub_len, tc,
                                   untrusted, 0, err);
}

/* The facts of a parsed statement agree with each other and with want. */
static int check_agree(const wh_rotation_stmt *s, const wh_rotation *said,
                       const char *want, wh_err *err)
{
    char signer[17];
    wh_minisign_keyid_hex(s->sig.key_id, signer);
    if (strcmp(s->r.new_id, want) != 0)
        return wh_fail(err, WH_E_VERIFY, s->pub_path, -1, "holds key %s, not "
                       "%s", s->r.new_id, want);
    if (strcmp(said->new_id, want) != 0)
        return wh_fail(err, WH_E_VERIFY, s->sig_path, -1, "the statement names "
                       "new key %s, not %s", said->new_id, want);
    if (strcmp(said->old_id, signer) != 0)
        return wh_fail(err, WH_E_VERIFY, s->sig_path, -1, "the statement names "
                       "old key %s but is signed by key %s", said->old_id, signer);
    if (strcmp(said->old_id, said->new_id) == 0)
        return wh_fail(err, WH_E_FORMAT, s->sig_path, -1, "the statement "
                       "rotates key %s to itself", want);
    return 0;
}

int wh_rotation_parse(wh_rotation_stmt *s, const char *want,
                      const char *pub, size_t pub_len,
                      const char *sig, size_t sig_len,
                      const char *pub_path, const char *sig_path, wh_err *err)
{
    wh_rotation said;
    memset(s, 0, sizeof *s);
    snprintf(s->pub_path, sizeof s->pub_path, "%s", pub_path);
    snprintf(s->sig_path, sizeof s->sig_path, "%s", sig_path);
    if (pub_len >= sizeof s->pub)
        return wh_fail(err, WH_E_LIMIT, pub_path, -1, "larger than a public "
                       "key file may be");
    memcpy(s->pub, pub, pub_len);
    s->pub_len = pub_len;
    int rc = wh_minisign_pubkey_parse(&s->r.new_pk, pub, pub_len, pub_path, err);
    if (rc == 0)
        rc = wh_minisign_sig_parse(&s->sig, sig, sig_len, sig_path, err);
    if (rc == 0)
        rc = wh_rotation_comment_parse(&said, s->sig.trusted, sig_path, err);
    if (rc)
        return rc;
    wh_minisign_keyid_hex(s->r.new_pk.key_id, s->r.new_id);
    snprintf(s->r.old_id, sizeof s->r.old_id, "%s", said.old_id);
    s->r.issued = said.issued;
    return check_agree(s, &said, want, err);
}

int wh_rotation_verify(const wh_rotation_stmt *s, const wh_minisign_pubkey *old_pk,
                       wh_err *err)
{
    return wh_minisign_verify_buffer(&s->sig, old_pk, s->pub, s->pub_len,
                                     s->sig_path, 0, err);
}

/* --- chains ----------------------------------------------------------------- */

/* Read and parse the statement for key id. */
static int read_stmt(const wh_rotation_src *src, const char *id,
                     wh_rotation_stmt *s, wh_err *err)
{
    char rel[128], pub_where[512], sig_where[512], *pub = NULL, *sig = NULL;
    size_t pl = 0, sl = 0;
    int rc = wh_rotation_path(rel, sizeof rel, id, "") ? WH_E_LIMIT
           : src->get(src->ctx, rel, WH_ROTATION_FILE_MAX, &pub, &pl, pub_where,
                      sizeof pub_where, err);
    if (rc == 0 && wh_rotation_path(rel, sizeof rel, id, ".minisig") == 0)
        rc = src->get(src->ctx, rel, WH_ROTATION_FILE_MAX, &sig, &sl, sig_where,
                      sizeof sig_where, err);
    if (rc == 0)
        rc = wh_rotation_parse(s, id, pub, pl, sig, sl, pub_where, sig_where, err);
    free(pub);
    free(sig);
    return rc;
}

/* ids[0..n) and then id, refused as a loop: "N <- M <- N". */
static int loop_error(char ids[][17], size_t n, const char *id,
                      const char *path, wh_err *err)
{
    char chain[(WH_ROTATION_DEPTH + 2) * 20] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(chain + strlen(chain), sizeof chain - strlen(chain), "%s <- ",
                 ids[i]);
    snprintf(chain + strlen(chain), sizeof chain - strlen(chain), "%s", id);
    return wh_fail(err, WH_E_VERIFY, path, -1, "key rotations form a loop: %s",
                   chain);
}

/* Verify st[0..n) from the trusted end (st[n-1], signed by the anchor). */
static int verify_chain(const wh_rotation_stmt *st, size_t n,
                        wh_rotation_chain *out, wh_err *err)
{
    const wh_minisign_pubkey *k = &out->anchor;
    for (size_t i = n; i-- > 0;) {
        int rc = wh_rotation_verify(&st[i], k, err);
        if (rc)
            return rc;
        out->step[n - 1 - i] = st[i].r;
        k = &st[i].r.new_pk;
    }
    out->n = n;
    return 0;
}

int wh_rotation_follow(const wh_rotation_src *src, const char *signer,
                       wh_rotation_chain *out, wh_err *err)
{
    char ids[WH_ROTATION_DEPTH + 1][17];
    wh_rotation_stmt *st = calloc(WH_ROTATION_DEPTH, sizeof *st);
    memset(out, 0, sizeof *out);
    if (!st)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    snprintf(ids[0], sizeof ids[0], "%s", signer);
    int rc = 0, trusted = 0;
    size_t d = 0;
    for (; rc == 0 && !trusted; d++) {
        if (d == WH_ROTATION_DEPTH) {
            rc = wh_fail(err, WH_E_VERIFY, st[d - 1].sig_path, -1, "more than "
                         "%d key rotations lead to key %s", WH_ROTATION_DEPTH, signer);
            break;
        }
        rc = read_stmt(src, ids[d], &st[d], err);
        if (rc == WH_E_NOTFOUND && d > 0)
            rc = wh_fail(err, WH_E_UNTRUSTED, st[d - 1].sig_path, -1, "signed by "
                         "key %s, which is not trusted, and no rotation statement "
                         "names it", ids[d]);
        if (rc == 0)
            rc = src->trust(src->ctx, st[d].r.old_id, st[d].sig_path,
                            &out->anchor, &trusted, err);
        for (size_t i = 0; rc == 0 && !trusted && i <= d; i++)
            if (strcmp(ids[i], st[d].r.old_id) == 0)
                rc = loop_error(ids, d + 1, st[d].r.old_id, st[d].sig_path, err);
        if (rc == 0 && !trusted)
            snprintf(ids[d + 1], sizeof ids[0], "%s", st[d].r.old_id);
    }
    if (rc == 0)
        rc = verify_chain(st, d, out, err);
    free(st);
    return rc;
}

/* rotation_test.c - common/rotation.c: key rotation statements and chains.
 *
 * Statements are made with wh_rotation_make from fresh keys and kept in
 * an in-memory "site" (a table of files) that the chain walk reads through
 * its callback, as a folder or a URL would be read: the trusted comment's
 * exact form (and what is refused), a statement round trip, statements
 * that name another key or are signed by another, a changed byte, chains
 * of one to eight statements, one too many, a loop, a statement missing
 * further back, a revoked key refused by the trust callback, and a
 * signer without any statement (WH_E_NOTFOUND, for the caller's message).
 */
#include "tests/unit/wh_test.h"

#include "common/rotation.h"

/* --- a site in memory ----------------------------------------------------------- */

#define FILES_MAX 32

typedef struct site {
    char   rel[FILES_MAX][128];
    char  *text[FILES_MAX];
    size_t n;
    char   trusted[4][17];        /* ids the reader trusts */
    wh_minisign_pubkey trusted_pk[4];
    size_t ntrusted;
    char   revoked[17];           /* an id the reader refuses */
} site;

static void put(site *s, const char *rel, const char *text, size_t len)
{
    assert_true(s->n < FILES_MAX);
    snprintf(s->rel[s->n], sizeof s->rel[0], "%s", rel);
    s->text[s->n] = malloc(len + 1);
    memcpy(s->text[s->n], text, len);
    s->text[s->n][len] = '\0';
    s->n++;
}

static void site_free(site *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->text[i]);
}

static int get(void *ctx, const char *rel, size_t max, char **data, size_t *len,
               char *where, size_t wn, wh_err *err)
{
    site *s = ctx;
    snprintf(where, wn, "site/%s", rel);
    for (size_t i = s->n; i-- > 0;)          /* the last one put wins */
        if (strcmp(s->rel[i], rel) == 0) {
            *len = strlen(s->text[i]);
            if (*len > max)
                return wh_fail(err, WH_E_LIMIT, where, -1, "too large");
            *data = strdup(s->text[i]);
            return 0;
        }
    return wh_fail(err, WH_E_NOTFOUND, where, -1, "cannot open: No such file or directory");
}

static int trust(void *ctx, const char *id, const char *by, wh_minisign_pubkey *pk,
                 int *trusted, wh_err *err)
{
    site *s = ctx;
    *trusted = 0;
    if (strcmp(id, s->revoked) == 0)
        return wh_fail(err, WH_E_UNTRUSTED, by, -1, "signed by key %s, which is revoked", id);
    for (size_t i = 0; i < s->ntrusted; i++)
        if (strcmp(id, s->trusted[i]) == 0) {
            *pk = s->trusted_pk[i];
            *trusted = 1;
        }
    return 0;
}

typedef struct key {
    wh_minisign_seckey *sk;
    wh_minisign_pubkey  pk;
    char id[17];
} key;

static void keygen(key *k)
{
    assert_int_equal(wh_minisign_keygen(&k->sk, &k->pk, NULL), 0);
    wh_minisign_keyid_hex(k->pk.key_id, k->id);
}

static void trust_key(site *s, const key *k)
{
    snprintf(s->trusted[s->ntrusted], 17, "%s", k->id);
    s->trusted_pk[s->ntrusted++] = k->pk;
}

/* Publish old -> new in s (as the statement for new's id). */
static void rotate(site *s, const key *old, const key *new_key, int64_t issued)
{
    wh_rotation_stmt st;
    char rel[128], text[WH_MINISIGN_SIG_TEXT_MAX];
    assert_int_equal(wh_rotation_make(&st, old->sk, &new_key->pk, issued, NULL), 0);
    wh_rotation_path(rel, sizeof rel, new_key->id, "");
    put(s, rel, st.pub, st.pub_len);
    assert_int_equal(wh_minisign_sig_format(&st.sig, text, NULL), 0);
    wh_rotation_path(rel, sizeof rel, new_key->id, ".minisig");
    put(s, rel, text, strlen(text));
}

static int follow(site *s, const key *signer, wh_rotation_chain *c, wh_err *e)
{
    wh_rotation_src src = { s, get, trust };
    return wh_rotation_follow(&src, signer->id, c, e);
}

/* --- the trusted comment ------------------------------------------------------------ */

static void test_comment(void **state)
{
    (void)state;
    wh_rotation r = { "1DE9680458DF17CE", "A", 1700000000, { { 0 }, { 0 } } }, back;
    char text[128];
    wh_rotation_comment(text, sizeof text, &r);
    assert_string_equal(text, "wharf-rotation/1 old:1DE9680458DF17CE new:A issued:1700000000");
    assert_int_equal(wh_rotation_comment_parse(&back, text, "x", NULL), 0);
    assert_string_equal(back.old_id, r.old_id);
    assert_string_equal(back.new_id, "A");
    assert_int_equal(back.issued, 1700000000);
    static const char *const bad[] = {
        "wharf-rotation/2 old:A new:B issued:1",
        "wharf-rotation/1 old:a new:B issued:1",          /* lower case */
        "wharf-rotation/1 old:A new:B issued:01",         /* leading zero */
        "wharf-rotation/1 old:A new:B issued:-1",
        "wharf-rotation/1 old:A new:B issued:1 ",         /* trailing */
        "wharf-rotation/1 old:A  new:B issued:1",
        "wharf-rotation/1 old: new:B issued:1",
        "wharf-rotation/1 old:1DE9680458DF17CE0 new:B issued:1",   /* 17 digits */
        "wharf-rotation/1 old:A new:B issued:1234567890123456789",
        "wharf-rotation/1 old:A new:B",
        "timestamp:1700000000\tfile:x.pub\thashed",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wh_err e;
        assert_int_equal(wh_rotation_comment_parse(&back, bad[i], "s.minisig", &e),
                         WH_E_FORMAT);
        assert_non_null(strstr(e.reason, "not a wharf-rotation/1 statement"));
    }
}

/* --- one statement --------------------------------------------------------------------- */

static void test_make_parse_verify(void **state)
{
    (void)state;
    key k, n, x;
    keygen(&k);
    keygen(&n);
    keygen(&x);
    wh_rotation_stmt made, got;
    char sig[WH_MINISIGN_SIG_TEXT_MAX];
    wh_err e;
    assert_int_equal(wh_rotation_make(&made, k.sk, &n.pk, 1800000000, NULL), 0);
    assert_int_equal(wh_minisign_sig_format(&made.sig, sig, NULL), 0);
    assert_int_equal(wh_rotation_parse(&got, n.id, made.pub, made.pub_len, sig,
                                       strlen(sig), "n.pub", "n.pub.minisig", NULL), 0);
    assert_string_equal(got.r.old_id, k.id);
    assert_string_equal(got.r.new_id, n.id);
    assert_int_equal(got.r.issued, 1800000000);
    assert_memory_equal(got.r.new_pk.pk, n.pk.pk, sizeof n.pk.pk);
    assert_int_equal(wh_rotation_verify(&got, &k.pk, NULL), 0);
    /* Verified with any other key: refused. */
    assert_int_equal(wh_rotation_verify(&got, &x.pk, &e), WH_E_VERIFY);
    /* Parsed as the statement of another key: refused, naming both. */
    assert_int_equal(wh_rotation_parse(&got, x.id, made.pub, made.pub_len, sig,
                                       strlen(sig), "x.pub", "x.pub.minisig", &e),
                     WH_E_VERIFY);
    assert_string_equal(e.path, "x.pub");
    char want[128];
    snprintf(want, sizeof want, "holds key %s, not %s", n.id, x.id);
    assert_string_equal(e.reason, want);
    /* One key to itself cannot be made. */
    assert_int_equal(wh_rotation_make(&made, k.sk, &k.pk, 1, &e), WH_E_USAGE);
    wh_minisign_seckey_free(k.sk);
    wh_minisign_seckey_free(n.sk);
    wh_minisign_seckey_free(x.sk);
}

/* A statement whose comment names another new key, or that another key
 * signed while naming the trusted one as old. */
static void test_disagreeing(void **state)
{
    (void)state;
    key k, n, x;
    keygen(&k);
    keygen(&n);
    keygen(&x);
    wh_rotation_stmt made, got;
    char sig[WH_MINISIGN_SIG_TEXT_MAX], tc[128], want[160];
    wh_err e;
    wh_rotation r = { "", "", 5, { { 0 }, { 0 } } };
    /* Comment says new:X over N's key file. */
    assert_int_equal(wh_rotation_make(&made, k.sk, &n.pk, 5, NULL), 0);
    snprintf(r.old_id, 17, "%s", k.id);
    snprintf(r.new_id, 17, "%s", x.id);
    wh_rotation_comment(tc, sizeof tc, &r);
    assert_int_equal(wh_minisign_sign_buffer(&made.sig, k.sk, made.pub, made.pub_len,
                                             tc, NULL, 0, NULL), 0);
    assert_int_equal(wh_minisign_sig_format(&made.sig, sig, NULL), 0);
    assert_int_equal(wh_rotation_parse(&got, n.id, made.pub, made.pub_len, sig,
                                       strlen(sig), "n.pub", "n.pub.minisig", &e),
                     WH_E_VERIFY);
    snprintf(want, sizeof want, "the statement names new key %s, not %s", x.id, n.id);
    assert_string_equal(e.reason, want);
    assert_string_equal(e.path, "n.pub.minisig");
    /* Signed by X, saying old:K. */
    snprintf(r.new_id, 17, "%s", n.id);
    wh_rotation_comment(tc, sizeof tc, &r);
    assert_int_equal(wh_minisign_sign_buffer(&made.sig, x.sk, made.pub, made.pub_len,
                                             tc, NULL, 0, NULL), 0);
    assert_int_equal(wh_minisign_sig_format(&made.sig, sig, NULL), 0);
    assert_int_equal(wh_rotation_parse(&got, n.id, made.pub, made.pub_len, sig,
                                       strlen(sig), "n.pub", "n.pub.minisig", &e),
                     WH_E_VERIFY);
    snprintf(want, sizeof want, "the statement names old key %s but is signed by "
             "key %s", k.id, x.id);
    assert_string_equal(e.reason, want);
    wh_minisign_seckey_free(k.sk);
    wh_minisign_seckey_free(n.sk);
    wh_minisign_seckey_free(x.sk);
}

/* --- chains ---------------------------------------------------------------------------- */

static void test_chain_lengths(void **state)
{
    (void)state;
    key k[WH_ROTATION_DEPTH + 2];
    for (size_t i = 0; i < WH_ROTATION_DEPTH + 2; i++)
        keygen(&k[i]);
    for (size_t len = 1; len <= WH_ROTATION_DEPTH + 1; len++) {
        site s = { 0 };
        wh_rotation_chain c;
        wh_err e;
        trust_key(&s, &k[0]);
        for (size_t i = 0; i < len; i++)
            rotate(&s, &k[i], &k[i + 1], 100 + (int64_t)i);
        int rc = follow(&s, &k[len], &c, &e);
        if (len > WH_ROTATION_DEPTH) {
            assert_int_equal(rc, WH_E_VERIFY);
            assert_non_null(strstr(e.reason, "more than 8 key rotations lead to key"));
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(c.n, len);
            assert_string_equal(c.step[0].old_id, k[0].id);
            assert_memory_equal(c.anchor.pk, k[0].pk.pk, sizeof k[0].pk.pk);
            for (size_t i = 0; i < len; i++) {
                assert_string_equal(c.step[i].new_id, k[i + 1].id);
                assert_int_equal(c.step[i].issued, 100 + (int64_t)i);
            }
            assert_memory_equal(c.step[len - 1].new_pk.pk, k[len].pk.pk, 32);
        }
        site_free(&s);
    }
    for (size_t i = 0; i < WH_ROTATION_DEPTH + 2; i++)
        wh_minisign_seckey_free(k[i].sk);
}

static void test_chain_refusals(void **state)
{
    (void)state;
    key k, m, n, x;
    keygen(&k);
    keygen(&m);
    keygen(&n);
    keygen(&x);
    wh_rotation_chain c;
    wh_err e;
    char want[256], path[200];

    /* No statement for the signer: WH_E_NOTFOUND, the caller says why. */
    site s0 = { 0 };
    trust_key(&s0, &k);
    assert_int_equal(follow(&s0, &n, &c, &e), WH_E_NOTFOUND);

    /* N <- M, M untrusted and without a statement. */
    site s1 = { 0 };
    trust_key(&s1, &k);
    rotate(&s1, &m, &n, 1);
    assert_int_equal(follow(&s1, &n, &c, &e), WH_E_UNTRUSTED);
    snprintf(want, sizeof want, "signed by key %s, which is not trusted, and no "
             "rotation statement names it", m.id);
    assert_string_equal(e.reason, want);
    snprintf(path, sizeof path, "site/keys/rotation/%s.pub.minisig", n.id);
    assert_string_equal(e.path, path);

    /* N <- M <- N: a loop. */
    rotate(&s1, &n, &m, 2);
    assert_int_equal(follow(&s1, &n, &c, &e), WH_E_VERIFY);
    snprintf(want, sizeof want, "key rotations form a loop: %s <- %s <- %s", n.id,
             m.id, n.id);
    assert_string_equal(e.reason, want);

    /* N <- K, K revoked: the trust callback's refusal stands. */
    site s2 = { 0 };
    trust_key(&s2, &k);
    snprintf(s2.revoked, sizeof s2.revoked, "%s", k.id);
    rotate(&s2, &k, &n, 3);
    assert_int_equal(follow(&s2, &n, &c, &e), WH_E_UNTRUSTED);
    snprintf(want, sizeof want, "signed by key %s, which is revoked", k.id);
    assert_string_equal(e.reason, want);

    /* A byte of N.pub changed (its comment line: the key still parses). */
    site s3 = { 0 };
    trust_key(&s3, &k);
    rotate(&s3, &k, &n, 4);
    s3.text[0][19] ^= 0x20;            /* "minisign" -> "Minisign" */
    assert_int_equal(follow(&s3, &n, &c, &e), WH_E_VERIFY);
    assert_string_equal(e.reason, "signature verification failed");

    /* Truncated signature file. */
    site s4 = { 0 };
    trust_key(&s4, &k);
    rotate(&s4, &k, &n, 5);
    s4.text[1][strlen(s4.text[1]) / 2] = '\0';
    assert_int_equal(follow(&s4, &n, &c, &e), WH_E_FORMAT);

    /* Forged in the middle: M <- K is by X claiming old:K. */
    site s5 = { 0 };
    trust_key(&s5, &k);
    rotate(&s5, &m, &n, 6);
    rotate(&s5, &x, &m, 7);
    assert_int_equal(follow(&s5, &n, &c, &e), WH_E_UNTRUSTED);
    snprintf(want, sizeof want, "signed by key %s, which is not trusted, and no "
             "rotation statement names it", x.id);
    assert_string_equal(e.reason, want);
    /* ... and with the real one: accepted, two steps. */
    rotate(&s5, &k, &m, 8);
    assert_int_equal(follow(&s5, &n, &c, &e), 0);
    assert_int_equal(c.n, 2);

    site *all[] = { &s0, &s1, &s2, &s3, &s4, &s5 };
    for (size_t i = 0; i < 6; i++)
        site_free(all[i]);
    key *keys[] = { &k, &m, &n, &x };
    for (size_t i = 0; i < 4; i++)
        wh_minisign_seckey_free(keys[i]->sk);
}

WH_TEST_MAIN("rotation",
    cmocka_unit_test(test_comment),
    cmocka_unit_test(test_make_parse_verify),
    cmocka_unit_test(test_disagreeing),
    cmocka_unit_test(test_chain_lengths),
    cmocka_unit_test(test_chain_refusals),
)

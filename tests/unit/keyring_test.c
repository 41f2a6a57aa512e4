/* keyring_test.c - common/keyring.c: a folder of trusted minisign keys.
 *
 * Keys made here with wh_minisign_keygen and saved as minisign writes
 * them; the folder read back finds each by its id; the same key in two
 * files is kept once; two different keys under one id are refused naming
 * both files (in sorted order, so the message is stable); files not named
 * *.pub, hidden files and links are ignored; a *.pub that does not parse
 * is an error naming it; a path that is not a folder is a usage error.
 */
#include "tests/unit/wh_test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/keyring.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    return wh_test_tmpdir(tmpdir, sizeof tmpdir, "keyring");
}

static int teardown(void **state)
{
    (void)state;
    return wh_test_tmpdir_remove(tmpdir);
}

static const char *at(const char *rel)
{
    static char p[2][512];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, rel);
    return p[k];
}

static void newkey(wh_minisign_pubkey *pk, const char *rel)
{
    wh_minisign_seckey *sk = NULL;
    assert_int_equal(wh_minisign_keygen(&sk, pk, NULL), 0);
    wh_minisign_seckey_free(sk);
    if (rel)
        assert_int_equal(wh_minisign_pubkey_save(pk, "test key", at(rel), NULL), 0);
}

static void test_load_and_find(void **state)
{
    (void)state;
    wh_minisign_pubkey a, b, other;
    newkey(&a, "a.pub");
    newkey(&b, "b.pub");
    newkey(&other, NULL);
    assert_int_equal(wh_minisign_pubkey_save(&a, "again", at("c.pub"), NULL), 0);
    assert_int_equal(wh_minisign_pubkey_save(&other, "x", at("notes.txt"), NULL), 0);
    assert_int_equal(wh_minisign_pubkey_save(&other, "x", at(".hidden.pub"), NULL), 0);
    assert_int_equal(symlink("notes.txt", at("link.pub")), 0);
    wh_keyring kr = { 0 };
    wh_err e;
    assert_int_equal(wh_keyring_load_dir(&kr, tmpdir, &e), 0);
    assert_int_equal(kr.n, 2);
    const char *file;
    const wh_minisign_pubkey *got = wh_keyring_find(&kr, a.key_id, &file);
    assert_non_null(got);
    assert_memory_equal(got->pk, a.pk, sizeof a.pk);
    assert_string_equal(file, at("a.pub"));
    assert_non_null(wh_keyring_find(&kr, b.key_id, NULL));
    assert_null(wh_keyring_find(&kr, other.key_id, NULL));
    wh_keyring_free(&kr);
    assert_int_equal(kr.n, 0);
}

static void test_one_id_two_keys(void **state)
{
    (void)state;
    wh_minisign_pubkey a, b;
    newkey(&a, "a.pub");
    newkey(&b, NULL);
    memcpy(b.key_id, a.key_id, sizeof a.key_id);
    assert_int_equal(wh_minisign_pubkey_save(&b, "impostor", at("b.pub"), NULL), 0);
    wh_keyring kr = { 0 };
    wh_err e;
    char id[17], want[600];
    wh_minisign_keyid_hex(a.key_id, id);
    assert_int_equal(wh_keyring_load_dir(&kr, tmpdir, &e), WH_E_FORMAT);
    snprintf(want, sizeof want, "key id %s is also that of a different key in '%s'",
             id, at("a.pub"));
    assert_string_equal(e.reason, want);
    assert_string_equal(e.path, at("b.pub"));
    wh_keyring_free(&kr);
}

static void test_bad_file_and_not_a_folder(void **state)
{
    (void)state;
    FILE *f = fopen(at("bad.pub"), "w");
    assert_non_null(f);
    fputs("untrusted comment: x\nnot base64\n", f);
    fclose(f);
    wh_keyring kr = { 0 };
    wh_err e;
    assert_int_not_equal(wh_keyring_load_dir(&kr, tmpdir, &e), 0);
    assert_string_equal(e.path, at("bad.pub"));
    wh_keyring_free(&kr);
    assert_int_equal(wh_keyring_load_dir(&kr, at("bad.pub"), &e), WH_E_USAGE);
    assert_string_equal(e.reason, "not a directory");
    wh_keyring_free(&kr);
}

WH_TEST_MAIN("keyring",
    cmocka_unit_test_setup_teardown(test_load_and_find, setup, teardown),
    cmocka_unit_test_setup_teardown(test_one_id_two_keys, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_file_and_not_a_folder, setup, teardown))

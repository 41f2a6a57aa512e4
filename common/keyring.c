/* keyring.c - trusted minisign public keys from a folder (keyring.h). */
#include "common/keyring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fs.h"

const wh_minisign_pubkey *wh_keyring_find(const wh_keyring *kr,
                                          const unsigned char *id,
                                          const char **file)
{
    for (size_t i = 0; kr && i < kr->n; i++)
        if (memcmp(kr->keys[i].key_id, id, WH_MINISIGN_KEYID_BYTES) == 0) {
            if (file)
                *file = kr->files[i];
            return &kr->keys[i];
        }
    return NULL;
}

static int grow(wh_keyring *kr, const char *file, wh_err *err)
{
    size_t cap = kr->cap ? kr->cap * 2 : 8;
    wh_minisign_pubkey *k = realloc(kr->keys, cap * sizeof *k);
    if (k)
        kr->keys = k;
    char (*f)[512] = k ? realloc(kr->files, cap * sizeof *f) : NULL;
    if (!f)
        return wh_fail(err, WH_E_NOMEM, file, -1, NULL);
    kr->files = f;
    kr->cap = cap;
    return 0;
}

int wh_keyring_add(wh_keyring *kr, const wh_minisign_pubkey *pk,
                   const char *file, wh_err *err)
{
    const char *other;
    const wh_minisign_pubkey *old = wh_keyring_find(kr, pk->key_id, &other);
    if (old) {
        if (memcmp(old->pk, pk->pk, sizeof pk->pk) == 0)
            return 0;
        char id[17];
        wh_minisign_keyid_hex(pk->key_id, id);
        return wh_fail(err, WH_E_FORMAT, file, -1, "key id %s is also that of "
                       "a different key in '%s'", id, other);
    }
    if (kr->n == kr->cap && grow(kr, file, err))
        return err ? err->code : WH_E_NOMEM;
    kr->keys[kr->n] = *pk;
    snprintf(kr->files[kr->n], sizeof kr->files[0], "%s", file);
    kr->n++;
    return 0;
}

typedef struct key_walk {
    wh_keyring *kr;
    wh_err     *err;
} key_walk;

static int on_key_file(const char *path, const char *rel, const struct stat *st,
                       void *ctx)
{
    key_walk *w = ctx;
    size_t n = strlen(rel);
    if (!S_ISREG(st->st_mode) || n < 4 || strcmp(rel + n - 4, ".pub") != 0)
        return 0;
    wh_minisign_pubkey pk;
    int rc = wh_minisign_pubkey_load(&pk, path, w->err);
    if (rc == 0)
        rc = wh_keyring_add(w->kr, &pk, path, w->err);
    return rc;
}

int wh_keyring_load_dir(wh_keyring *kr, const char *dir, wh_err *err)
{
    struct stat st;
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
        return wh_fail(err, WH_E_USAGE, dir, -1, "not a directory");
    key_walk w = { kr, err };
    return wh_walk(dir, on_key_file, &w, err);
}

void wh_keyring_free(wh_keyring *kr)
{
    free(kr->keys);
    free(kr->files);
    memset(kr, 0, sizeof *kr);
}

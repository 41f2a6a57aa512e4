/* keyring.h - a set of trusted minisign public keys, read from a folder of
 * KEY.pub files.
 *
 * The one reader of a key folder, shared by `wharf-index build
 * --trusted-keys DIR` (publishers whose packages are "verified") and
 * `wharf` (repository keys under its install root, `wharf trust`).  Keys
 * are found by their 8-byte id, as a signature names them.  Every
 * regular *.pub file in the folder is read (hidden names skipped, links
 * not followed, sorted, so messages are the same on every run); one that
 * does not parse is an error naming it, and two files holding different
 * keys under one key id are refused, naming both: a signature could not
 * say which it means.  The same key twice is kept once.
 *
 * Tests: tests/unit/keyring_test.c; tests/cli/t1100-wharf-index-build.sh,
 * t2001-wharf-trust.sh.
 */
#ifndef WH_KEYRING_H
#define WH_KEYRING_H

#include <stddef.h>

#include "common/err.h"
#include "common/minisign.h"

typedef struct wh_keyring {
    wh_minisign_pubkey *keys;
    char (*files)[512];           /* where each key came from */
    size_t n, cap;
} wh_keyring;

/* Add every *.pub in dir to kr (zeroed or already used).  A missing dir
 * fails as wh_walk says; one that is not a folder is WH_E_USAGE. */
int wh_keyring_load_dir(wh_keyring *kr, const char *dir, wh_err *err);

/* Add pk, read from file (named in errors). */
int wh_keyring_add(wh_keyring *kr, const wh_minisign_pubkey *pk,
                   const char *file, wh_err *err);

/* The key with this id, or NULL; *file (if not NULL) where it came from. */
const wh_minisign_pubkey *wh_keyring_find(const wh_keyring *kr,
                                          const unsigned char *id,
                                          const char **file);

void wh_keyring_free(wh_keyring *kr);

#endif

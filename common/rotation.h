/* rotation.h - repository key rotation statements: the one writer and
 * reader of SITE/keys/rotation/ (docs/index-format.md, "Key rotation").
 *
 * A statement says "key OLD hands the repository over to key NEW".  It is
 * two files below a site, named by the NEW key's id:
 *
 *   keys/rotation/NEWID.pub           the new public key (minisign format)
 *   keys/rotation/NEWID.pub.minisig   a signature of that file by the OLD
 *                                     key, whose trusted comment (covered
 *                                     by the global signature) is
 *                                     "wharf-rotation/1 old:OLDID new:NEWID issued:T"
 *
 * so stock minisign checks one with `minisign -Vm keys/rotation/NEWID.pub
 * -p old.pub`.  The ids are as minisign prints them (wh_minisign_keyid_hex);
 * T is a Unix time, decimal without sign or leading zeros.  A statement is
 * valid when both files parse, the comment has exactly that form, the
 * signature's key id is OLD, the public key's id is NEW (and the file's
 * name), OLD differs from NEW, and the signature and the comment verify
 * with OLD's public key.
 *
 * CHAINS.  A reader holding an index signed by key N that it does not
 * trust looks for N's statement, which names the key M that signed it; if
 * M is not trusted either, M's statement, and so on, at most
 * WH_ROTATION_DEPTH statements, each key at most once (a loop is refused),
 * until a trusted key K.  Only then are the statements verified, from K's
 * end: K checks the one naming M, M's key (from that statement) checks
 * the next, up to N.  wh_rotation_follow does this through two callbacks,
 * so a folder, a URL and the unit tests walk chains the same way: one
 * reads a statement file, one says whether a key is trusted (or refuses
 * it: a revoked key ends the walk with the caller's message).
 *
 * Proof of possession: no statement carries a signature by the new key,
 * because nothing follows a statement unless an index signed by the new
 * key came with it (a chain ends at the index's signer), and the indexer
 * writes a statement only together with an index it signs with the new
 * key (indexer/cmd_rotate.c), so a repository cannot be handed to a key
 * whose secret nobody holds.
 *
 * Tests: tests/unit/rotation_test.c; tests/cli/t1109-wharf-index-rotate.sh,
 * t3001-attack-key-rotation.sh.
 */
#ifndef WH_ROTATION_H
#define WH_ROTATION_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/minisign.h"

#define WH_ROTATION_FORMAT   "wharf-rotation/1"
#define WH_ROTATION_DIR      "keys/rotation"
#define WH_ROTATION_DEPTH    8           /* statements in one chain, at most */
#define WH_ROTATION_FILE_MAX 4096        /* bytes of a statement file */

/* What one statement says. */
typedef struct wh_rotation {
    char    old_id[17], new_id[17];      /* as minisign prints ids */
    int64_t issued;
    wh_minisign_pubkey new_pk;
} wh_rotation;

/* A statement as read, before and after verification. */
typedef struct wh_rotation_stmt {
    wh_rotation     r;
    wh_minisign_sig sig;
    char            pub[WH_MINISIGN_PUBKEY_TEXT_MAX];   /* the signed bytes */
    size_t          pub_len;
    char            pub_path[512], sig_path[512];      /* for messages */
} wh_rotation_stmt;

/* "wharf-rotation/1 old:OLD new:NEW issued:T" into out (n >= 96). */
void wh_rotation_comment(char *out, size_t n, const wh_rotation *r);

/* Parse such a comment (path names it in errors: WH_E_FORMAT "not a
 * wharf-rotation/1 statement"). */
int wh_rotation_comment_parse(wh_rotation *r, const char *text,
                              const char *path, wh_err *err);

/* "keys/rotation/ID.pub" + suffix ("" or ".minisig") into out. */
int wh_rotation_path(char *out, size_t n, const char *id, const char *suffix);

/* Make the statement handing old_sk's repository to new_pk, issued at
 * `issued`: s->pub is the new key's file, s->sig its signature by old_sk
 * (paths left empty).  Old and new being one key is WH_E_USAGE. */
int wh_rotation_make(wh_rotation_stmt *s, const wh_minisign_seckey *old_sk,
                     const wh_minisign_pubkey *new_pk, int64_t issued,
                     wh_err *err);

/* Parse the two files of the statement for key id `want` (pub and sig
 * texts; their paths name them in errors) and check that they agree with
 * each other and with want; nothing is verified yet. */
int wh_rotation_parse(wh_rotation_stmt *s, const char *want,
                      const char *pub, size_t pub_len,
                      const char *sig, size_t sig_len,
                      const char *pub_path, const char *sig_path, wh_err *err);

/* Verify a parsed statement with its old key (WH_E_VERIFY naming the
 * signature file when it does not). */
int wh_rotation_verify(const wh_rotation_stmt *s, const wh_minisign_pubkey *old_pk,
                       wh_err *err);

/* Where statements come from, and which keys anchor a chain. */
typedef struct wh_rotation_src {
    void *ctx;
    /* Read rel (below the site, e.g. "keys/rotation/ID.pub"), at most max
     * bytes, into a malloc'd NUL-terminated *data; where (size wn) gets
     * the path or URL for messages.  WH_E_NOTFOUND when it is absent. */
    int (*get)(void *ctx, const char *rel, size_t max, char **data,
               size_t *len, char *where, size_t wn, wh_err *err);
    /* Whether the key with this id anchors a chain: 0 and *trusted = 1
     * with *pk filled, 0 and *trusted = 0 when the reader does not trust
     * it, or a WH_E_* code with err filled to refuse it outright (a
     * revoked key).  by names the statement signed by it (for messages). */
    int (*trust)(void *ctx, const char *id, const char *by,
                 wh_minisign_pubkey *pk, int *trusted, wh_err *err);
} wh_rotation_src;

/* A verified chain from a trusted key to an index's signer. */
typedef struct wh_rotation_chain {
    size_t      n;                             /* statements, 1.. */
    wh_rotation step[WH_ROTATION_DEPTH];       /* step[0].old_id is trusted,
                                                * step[n-1].new_id signed */
    wh_minisign_pubkey anchor;                 /* step[0]'s old key */
} wh_rotation_chain;

/* Walk and verify the statements from the key `signer` (its id as
 * minisign prints it) back to a trusted key, as CHAINS says.  On success
 * out->step[n-1].new_pk is the signer's key.  WH_E_NOTFOUND (err filled)
 * when the signer has no statement at all; every other failure (a
 * statement missing further back, malformed, naming another key, signed
 * by a key nobody trusts, a loop, more than WH_ROTATION_DEPTH, a
 * signature that does not verify) is an error naming the file. */
int wh_rotation_follow(const wh_rotation_src *src, const char *signer,
                       wh_rotation_chain *out, wh_err *err);

#endif

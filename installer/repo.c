/* repo.c - a source's signed index: fetched from one of its locations,
 * verified, checked against rollback and freeze, and kept as a verified
 * copy in the install root.
 *
 * TRUST.  The index is entered by its signature, index.json.minisig, as
 * common/index.c reads a site: the key is the one the source is pinned to
 * (source add --key), else the trusted key the signature names; a
 * signature by any other key is refused naming it.  Then (wh_index_load)
 * the index the signature names by hash, its SHA-256, its format.
 * ROLLBACK: the highest serial seen per repository key is kept
 * (seen.json); an index with a lower one is refused.  FREEZE: an expired
 * index is refused unless allowed, which the caller warns about.
 *
 * A location is a folder, a file:// URL or an http(s):// URL
 * (common/fetch.c, with its caps and timeouts): wh_fetch_index reads the
 * same files in the same order as wh_index_load reads a folder, asking
 * signing_key here which key must have signed.
 *
 * ROTATION.  An index signed by a key this source does not trust (not its
 * pinned key; without a pin, no trusted key) is not refused at once: the
 * location's key rotation statements (common/rotation.h,
 * keys/rotation/ID.pub{,.minisig}) are read back from the signer, at most 8,
 * to a key the source trusts, and verified from there.  The index is then
 * checked like any other, its rollback floor being the highest serial seen
 * under any key of the chain (a rotated key cannot roll the index back).
 * Following (ins_repo_follow) writes, in order: seen.json (the floor
 * carried to the new key), revoked.json (every old key of the chain, what
 * it was rotated to and when: the commit), then what revoked.json implies
 * (ins_repo_finish): keys/NEW.pub, each source pinned to an old key pinned
 * to the new one, and keys/OLD.pub removed.  `wharf update` runs
 * ins_repo_finish first, so an update killed after the commit is finished
 * by the next; before it, the next one follows again.  With no install
 * root (h NULL: `wharf update --dry-run`), ins_repo_follow,
 * ins_repo_finish and ins_repo_store change sources, kr, revoked and seen
 * in memory alone, exactly as they would on disk, and write nothing: the
 * sources after the first then see what a real run would.  A revoked key is
 * refused everywhere afterwards, as an index's signer and as the signer
 * of a statement (so whoever stole the old key cannot rotate a wharf that
 * followed the real rotation to a key of their own).
 *
 * MIRRORS.  A source's locations are tried in order; one that fails (its
 * files missing, damaged, stale, rolled back or by another key) is
 * reported and the next tried, so a bad mirror cannot stop an update a
 * good one can serve.
 *
 * THE COPY.  ROOT/indexes/NAME/ has a site's layout without packages:
 * by-hash/HEX.json, then index.json.minisig renamed into place last (the
 * commit), so wh_index_load reads the copy like any site, and a kill at
 * any write leaves the old copy or the new one.  seen.json is raised
 * before the commit, so the floor never lags a copy.
 *
 * Tests: tests/cli/t2003-wharf-update.sh, t2004-wharf-update-http.sh,
 * t3001-attack-key-rotation.sh.
 */
#include "installer/installer.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fetch.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/rotation.h"
#include "installer/shard_src.h"


/* --- locations -------------------------------------------------------------- */


/* --- seen serials -------------------------------------------------------------- */

int ins_seen_load(const ins_home *h, json_t **seen, wh_err *err)
{
    char path[PATH_MAX];
    const char *id;
    json_t *v;
    int rc = ins_state_load(h, INS_SEEN_FILE, INS_SEEN_FORMAT, "serials", seen,
                            path, sizeof path, err);
    json_object_foreach(rc == 0 ? *seen : NULL, id, v)
        if (rc == 0 && (!json_is_integer(v) || json_integer_value(v) < 1))
            rc = wh_fail(err, WH_E_FORMAT, path, -1, "serial of key %s is not "
                         "a positive integer", id);
    if (rc) {
        json_decref(*seen);
        *seen = NULL;
    }
    return rc;
}

/* --- revoked keys ------------------------------------------------------------- */

/* An id as minisign prints it: 1 to 16 upper-case hex digits. */
static int is_key_id(const char *s)
{
    size_t n = strspn(s, "0123456789ABCDEF");
    return n >= 1 && n <= 16 && s[n] == '\0';
}

/* b64 is a minisign public key whose id is id. */
static int key_is(const json_t *b64, const char *id, wh_minisign_pubkey *pk)
{
    char hex[17];
    if (!json_is_string(b64) ||
        wh_minisign_pubkey_from_base64(pk, json_string_value(b64),
                                       json_string_length(b64), NULL))
        return 0;
    wh_minisign_keyid_hex(pk->key_id, hex);
    return strcmp(hex, id) == 0;
}

/* One entry of revoked.json, as ins_repo_follow writes it. */
static int check_revoked(const char *path, const char *id, json_t *e, wh_err *err)
{
    wh_minisign_pubkey pk;
    json_t *to = json_object_get(e, "rotated_to"), *t = json_object_get(e, "issued");
    if (!is_key_id(id) || !json_is_object(e) || json_object_size(e) != 4 ||
        !json_is_string(to) || !is_key_id(json_string_value(to)) ||
        !key_is(json_object_get(e, "public_key"), id, &pk) ||
        !key_is(json_object_get(e, "rotated_to_key"), json_string_value(to), &pk) ||
        !json_is_integer(t) || json_integer_value(t) < 0)
        return wh_fail(err, WH_E_FORMAT, path, -1, "revoked key '%s': not {\"issued\", "
                       "\"public_key\", \"rotated_to\", \"rotated_to_key\"} of that "
                       "key", id);
    return 0;
}

int ins_revoked_load(const ins_home *h, json_t **revoked, wh_err *err)
{
    char path[PATH_MAX];
    const char *id;
    json_t *e;
    int rc = ins_state_load(h, INS_REVOKED_FILE, INS_REVOKED_FORMAT, "keys",
                            revoked, path, sizeof path, err);
    json_object_foreach(rc == 0 ? *revoked : NULL, id, e)
        if (rc == 0)
            rc = check_revoked(path, id, e, err);
    if (rc) {
        json_decref(*revoked);
        *revoked = NULL;
    }
    return rc;
}

int ins_revoked_why(json_t *revoked, const char *id, char *out, size_t n)
{
    json_t *e = json_object_get(revoked, id);
    char date[32];
    if (!e)
        return 0;
    wh_cli_date(json_integer_value(json_object_get(e, "issued")), date);
    snprintf(out, n, "rotated to %s (statement issued %s)",
             json_string_value(json_object_get(e, "rotated_to")), date);
    return 1;
}

static int revoked_fail(json_t *revoked, const char *id, const char *path,
                        wh_err *err)
{
    char why[128];
    ins_revoked_why(revoked, id, why, sizeof why);
    return wh_fail(err, WH_E_UNTRUSTED, path, -1, "signed by key %s, which was "
                   "%s and is no longer trusted", id, why);
}

/* --- which key signs ------------------------------------------------------------ */

/* What decides the key of one location of one source. */
typedef struct repo_ctx {
    const char *loc;
    char        dir[PATH_MAX];      /* a folder location's folder */
    int         http, timeout;
    json_t     *src, *revoked;
    const wh_keyring *kr;
} repo_ctx;

/* Whether the source trusts key id: its pinned key, else a trusted one. */
static void key_trusted(const repo_ctx *c, const char *id, wh_minisign_pubkey *pk,
                        int *trusted)
{
    char hex[17];
    json_t *pin = json_object_get(c->src, "key");
    *trusted = 0;
    if (json_is_string(pin)) {
        *trusted = key_is(pin, id, pk);
        return;
    }
    for (size_t i = 0; c->kr && i < c->kr->n && !*trusted; i++) {
        wh_minisign_keyid_hex(c->kr->keys[i].key_id, hex);
        if ((*trusted = strcmp(hex, id) == 0))
            *pk = c->kr->keys[i];
    }
}

/* The refusal of an index by key id that nothing vouches for. */
static int untrusted_fail(const repo_ctx *c, const char *id, const char *sig_path,
                          wh_err *err)
{
    char pinned_id[17];
    wh_minisign_pubkey pk;
    const char *b64 = json_string_value(json_object_get(c->src, "key"));
    if (!b64)
        return wh_fail(err, WH_E_UNTRUSTED, sig_path, -1, "signed by key %s, "
                       "which is not trusted (wharf trust add KEY.pub)", id);
    if (wh_minisign_pubkey_from_base64(&pk, b64, strlen(b64), err))
        return err->code;
    wh_minisign_keyid_hex(pk.key_id, pinned_id);
    return wh_fail(err, WH_E_UNTRUSTED, sig_path, -1, "signed by key %s, not by "
                   "%s, the key this source is pinned to", id, pinned_id);
}

/* wh_rotation_src: a statement file of this location. */
static int stmt_get(void *ctx, const char *rel, size_t max, char **data,
                    size_t *len, char *where, size_t wn, wh_err *err)
{
    const repo_ctx *c = ctx;
    if (snprintf(where, wn, "%s/%s", c->http ? c->loc : c->dir, rel) >= (int)wn)
        return wh_fail(err, WH_E_LIMIT, c->loc, -1, "location too long");
    if (c->http)
        return wh_fetch(where, max, c->timeout, data, len, err);
    return wh_file_read_stat(where, max, WH_READ_NOFOLLOW, data, len, NULL, err);
}

/* wh_rotation_src: a key that ends a chain; a revoked one ends it badly. */
static int stmt_trust(void *ctx, const char *id, const char *by,
                      wh_minisign_pubkey *pk, int *trusted, wh_err *err)
{
    const repo_ctx *c = ctx;
    if (json_object_get(c->revoked, id))
        return revoked_fail(c->revoked, id, by, err);
    key_trusted(c, id, pk, trusted);
    return 0;
}

/* The key that must have signed sig: the pinned one, else a trusted one,
 * else the end of a chain of rotation statements from one (*rot). */
static int signing_key(const repo_ctx *c, const wh_minisign_sig *sig,
                       const char *sig_path, wh_minisign_pubkey *pk,
                       wh_rotation_chain *rot, wh_err *err)
{
    char id[17];
    int trusted;
    wh_err none;
    wh_minisign_keyid_hex(sig->key_id, id);
    if (json_object_get(c->revoked, id))
        return revoked_fail(c->revoked, id, sig_path, err);
    key_trusted(c, id, pk, &trusted);
    if (trusted)
        return 0;
    if (!rot)
        return untrusted_fail(c, id, sig_path, err);
    wh_rotation_src rs = { (void *)c, stmt_get, stmt_trust };
    int rc = wh_rotation_follow(&rs, id, rot, &none);
    if (rc == WH_E_NOTFOUND)
        return untrusted_fail(c, id, sig_path, err);
    if (rc) {
        *err = none;
        return rc;
    }
    *pk = rot->step[rot->n - 1].new_pk;
    return 0;
}

/* --- one location ------------------------------------------------------------ */

/* wh_fetch_key_fn: signing_key for a site over HTTP(S). */
typedef struct http_key {
    const repo_ctx    *c;
    wh_rotation_chain *rot;
} http_key;

static int http_signing_key(void *ctx, const wh_minisign_sig *sig,
                            const char *sig_url, wh_minisign_pubkey *pk,
                            wh_err *err)
{
    const http_key *k = ctx;
    return signing_key(k->c, sig, sig_url, pk, k->rot, err);
}

/* A site over HTTP(S), the way wh_index_load reads a folder
 * (wh_fetch_index), its key chosen as for a folder. */
static int fetch_http(const repo_ctx *c, wh_index *ix, wh_minisign_sig *sig,
                      wh_minisign_pubkey *pk, wh_rotation_chain *rot,
                      char *sig_url, size_t n, wh_err *err)
{
    http_key k = { c, rot };
    return wh_fetch_index(c->loc, c->timeout, http_signing_key, &k, ix, sig, pk,
                          sig_url, n, err);
}

/* A site in a folder (or file:// URL), through wh_index_load. */
static int fetch_dir(const repo_ctx *c, wh_index *ix, wh_minisign_sig *sig,
                     wh_minisign_pubkey *pk, wh_rotation_chain *rot,
                     char *sig_path, size_t n, wh_err *err)
{
    int rc = 0;
    if (snprintf(sig_path, n, "%s/" WH_INDEX_SIG, c->dir) >= (int)n)
        rc = wh_fail(err, WH_E_LIMIT, c->loc, -1, "location too long");
    if (rc == 0)
        rc = wh_minisign_sig_load_flags(sig, sig_path, WH_MINISIGN_NOFOLLOW, err);
    if (rc == 0)
        rc = signing_key(c, sig, sig_path, pk, rot, err);
    return rc ? rc : wh_index_load(ix, c->dir, pk, err);
}

/* A site with only the sharded index: its top level (ix->snap), its key
 * chosen as for index.json. */
static int fetch_snap(const repo_ctx *c, wh_index *ix, wh_minisign_sig *sig,
                      wh_minisign_pubkey *pk, wh_rotation_chain *rot,
                      char *sig_path, size_t n, wh_err *err)
{
    http_key k = { c, rot };
    wh_snap *s = calloc(1, sizeof *s);
    if (!s)
        return wh_fail(err, WH_E_NOMEM, c->loc, -1, NULL);
    if (rot)
        rot->n = 0;
    int rc = wh_site_snap(c->http ? c->loc : c->dir, c->http, c->timeout,
                          http_signing_key, &k, s, sig, pk, sig_path, n, err);
    if (rc) {
        free(s);
        return rc;
    }
    memset(ix, 0, sizeof *ix);
    ix->snap = s;
    ix->head = s->head;
    ix->generated = s->generated;
    ix->modules = s->modules;
    ix->packages = s->packages;
    return 0;
}

/* The rollback floor of key id, and of every key rotated to it. */
static int64_t floor_of(json_t *seen, const char *id, const wh_rotation_chain *rot)
{
    int64_t f = json_integer_value(json_object_get(seen, id));
    for (size_t i = 0; i < rot->n; i++) {
        int64_t g = json_integer_value(json_object_get(seen, rot->step[i].old_id));
        f = g > f ? g : f;
    }
    return f;
}

int ins_repo_fetch(const char *loc, json_t *src, const wh_keyring *kr,
                   json_t *revoked, json_t *seen, const ins_fetch_opts *fo,
                   wh_index *ix, wh_minisign_sig *sig, wh_rotation_chain *rot,
                   wh_err *err)
{
    char sig_path[PATH_MAX + 32], id[17], date[32];
    wh_minisign_pubkey pk;
    wh_rotation_chain none = { 0 };
    repo_ctx c = { loc, "", ins_location_is_http(loc), fo->timeout, src, revoked, kr };
    memset(ix, 0, sizeof *ix);
    if (rot)
        rot->n = 0;
    int rc = c.http ? 0 : ins_location_dir(loc, c.dir, sizeof c.dir, err);
    if (rc == 0)
        rc = c.http ? fetch_http(&c, ix, sig, &pk, rot, sig_path, sizeof sig_path, err)
                    : fetch_dir(&c, ix, sig, &pk, rot, sig_path, sizeof sig_path, err);
    if (rc == WH_E_NOTFOUND) {       /* no index.json: a sharded index? */
        wh_err e2;
        int r2 = fetch_snap(&c, ix, sig, &pk, rot, sig_path, sizeof sig_path, &e2);
        if (r2 != WH_E_NOTFOUND) {
            rc = r2;
            *err = e2;
        }
    }
    if (rc)
        return rc;
    wh_minisign_keyid_hex(pk.key_id, id);
    int64_t floor = floor_of(seen, id, rot ? rot : &none);
    wh_cli_date(ix->head.expires, date);
    if (ix->head.serial < floor)
        rc = wh_fail(err, WH_E_VERIFY, sig_path, -1, "index serial %lld is older "
                     "than %lld already seen (a rollback, or a stale mirror)",
                     (long long)ix->head.serial, (long long)floor);
    else if (ix->head.expires < fo->now && !fo->allow_expired)
        rc = wh_fail(err, WH_E_EXPIRED, sig_path, -1, "the index expired on %s "
                     "(--allow-expired uses it anyway)", date);
    if (rc == 0 && ix->snap) {
        ins_shard_stats none_st = { 0, 0 };
        rc = ins_shard_sync(ix, c.http ? loc : c.dir, c.http, fo->timeout, fo->copy,
                            fo->write && fo->copy, fo->all,
                            fo->stats ? fo->stats : &none_st, err);
    }
    if (rc)
        wh_index_free(ix);
    return rc;
}

int ins_repo_fetch_one(const char *loc, json_t *src, const wh_keyring *kr,
                       json_t *seen, const ins_fetch_opts *fo, wh_index *ix,
                       wh_minisign_sig *sig, wh_err *err)
{
    return ins_repo_fetch(loc, src, kr, NULL, seen, fo, ix, sig, NULL, err);
}

/* --- following a rotation --------------------------------------------------------- */

/* The key revoked key id was finally rotated to (through later rotations
 * of its successors), into final and *pk. */
static int final_key(json_t *revoked, const char *id, char final[17],
                     wh_minisign_pubkey *pk, wh_err *err)
{
    const char *cur = id;
    for (size_t i = 0; i <= json_object_size(revoked); i++) {
        json_t *e = json_object_get(revoked, cur);
        if (!e) {
            snprintf(final, 17, "%s", cur);
            return 0;
        }
        key_is(json_object_get(e, "rotated_to_key"),
               json_string_value(json_object_get(e, "rotated_to")), pk);
        cur = json_string_value(json_object_get(e, "rotated_to"));
    }
    return wh_fail(err, WH_E_FORMAT, INS_REVOKED_FILE, -1, "the rotations of "
                   "key %s form a loop", id);
}

/* keys/ID.pub in the install root. */
static int key_file(const ins_home *h, const char *id, char *out, size_t n,
                    wh_err *err)
{
    char rel[64];
    snprintf(rel, sizeof rel, INS_KEYS_DIR "/%s.pub", id);
    return ins_home_path(h, rel, out, n, err);
}

/* Trust pk (keys/ID.pub; without h, in kr alone), unless a key is
 * trusted under its id already. */
static int trust_key(const ins_home *h, wh_keyring *kr, const wh_minisign_pubkey *pk,
                     const char *id, wh_err *err)
{
    char path[PATH_MAX], dir[PATH_MAX], comment[64];
    if (wh_keyring_find(kr, pk->key_id, NULL))
        return 0;
    if (!h)
        return wh_keyring_add(kr, pk, id, err);
    snprintf(comment, sizeof comment, "minisign public key %s", id);
    int rc = key_file(h, id, path, sizeof path, err);
    if (rc == 0 && (rc = ins_home_path(h, INS_KEYS_DIR, dir, sizeof dir, err)) == 0 &&
        (rc = wh_mkdirs(dir, err)) == 0 &&
        (rc = wh_minisign_pubkey_save(pk, comment, path, err)) == 0)
        rc = wh_keyring_add(kr, pk, path, err);
    return rc;
}

/* Pin every source pinned to key id to pk instead; *n counts them. */
static int repin(const ins_home *h, json_t *sources, const char *id,
                 const wh_minisign_pubkey *pk, size_t *n, wh_err *err)
{
    char b64[WH_MINISIGN_PUBKEY_B64_LEN + 1];
    const char *name;
    json_t *src;
    wh_minisign_pubkey old;
    *n = 0;
    wh_minisign_pubkey_to_base64(pk, b64);
    json_object_foreach(sources, name, src)
        if (key_is(json_object_get(src, "key"), id, &old) && ++*n &&
            json_object_set_new(src, "key", json_string(b64)))
            return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    return *n && h ? ins_sources_save(h, sources, err) : 0;
}

/* Take the key with this id out of kr (in memory), as keys/ loses it. */
static void untrust_key(wh_keyring *kr, const unsigned char *key_id)
{
    for (size_t i = 0; i < kr->n; i++)
        if (!memcmp(kr->keys[i].key_id, key_id, sizeof kr->keys[i].key_id)) {
            kr->keys[i] = kr->keys[kr->n - 1];
            memcpy(kr->files[i], kr->files[kr->n - 1], sizeof kr->files[i]);
            kr->n--;
            return;
        }
}

/* Whether revoked key id is still trusted: keys/ID.pub (without h, kr)
 * holds it. */
static int still_trusted(const ins_home *h, const wh_keyring *kr, json_t *revoked,
                         const char *id, char *path, size_t n, int *yes, wh_err *err)
{
    wh_minisign_pubkey old;
    *yes = 0;
    if (!h) {
        *yes = key_is(json_object_get(json_object_get(revoked, id), "public_key"),
                      id, &old) && wh_keyring_find(kr, old.key_id, NULL);
        return 0;
    }
    int rc = key_file(h, id, path, n, err);
    *yes = rc == 0 && access(path, F_OK) == 0;
    return rc;
}

/* Finish the follow of revoked key id when a step is missing. */
static int finish_one(const ins_home *h, json_t *sources, wh_keyring *kr,
                      json_t *revoked, const char *id, char final[17], int *done,
                      wh_err *err)
{
    char path[PATH_MAX] = "";
    wh_minisign_pubkey pk, old;
    const char *name;
    json_t *src;
    size_t pinned = 0;
    int trusted;
    int rc = still_trusted(h, kr, revoked, id, path, sizeof path, &trusted, err);
    json_object_foreach(sources, name, src)
        pinned += key_is(json_object_get(src, "key"), id, &old);
    *done = 0;
    if (rc || (!trusted && pinned == 0))
        return rc;
    rc = final_key(revoked, id, final, &pk, err);
    if (rc == 0)
        rc = trust_key(h, kr, &pk, final, err);
    if (rc == 0)
        rc = repin(h, sources, id, &pk, &pinned, err);
    if (rc == 0 && !h && key_is(json_object_get(json_object_get(revoked, id),
                                                "public_key"), id, &old))
        untrust_key(kr, old.key_id);
    if (rc == 0 && h && wh_fs_unlink(path) < 0 && errno != ENOENT)
        rc = wh_fail_errno(err, errno, path, "cannot remove");
    *done = rc == 0;
    return rc;
}

int ins_repo_finish(const ins_home *h, json_t *sources, wh_keyring *kr,
                    json_t *revoked, ins_rotated_fn note, void *ctx, wh_err *err)
{
    const char *id;
    json_t *e;
    char final[17];
    int rc, done;
    json_object_foreach(revoked, id, e) {
        if ((rc = finish_one(h, sources, kr, revoked, id, final, &done, err)) != 0)
            return rc;
        if (done && note)
            note(ctx, id, final);
    }
    return 0;
}

/* seen.json: the floor of the chain's last key raised to its keys' highest. */
static int carry_floor(const ins_home *h, json_t *seen, const wh_rotation_chain *rot,
                       wh_err *err)
{
    const char *to = rot->step[rot->n - 1].new_id;
    int64_t f = floor_of(seen, to, rot);
    if (f == 0 || f <= json_integer_value(json_object_get(seen, to)))
        return 0;
    if (json_object_set_new(seen, to, json_integer((json_int_t)f)))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    return !h ? 0 : ins_state_save(h, INS_SEEN_FILE, INS_SEEN_FORMAT, "serials", seen, err);
}

/* revoked.json's entry for step i of rot. */
static json_t *revoked_entry(const wh_rotation_chain *rot, size_t i)
{
    char old[WH_MINISIGN_PUBKEY_B64_LEN + 1], to[WH_MINISIGN_PUBKEY_B64_LEN + 1];
    wh_minisign_pubkey_to_base64(i ? &rot->step[i - 1].new_pk : &rot->anchor, old);
    wh_minisign_pubkey_to_base64(&rot->step[i].new_pk, to);
    return json_pack("{sIssssss}", "issued", (json_int_t)rot->step[i].issued,
                     "public_key", old, "rotated_to", rot->step[i].new_id,
                     "rotated_to_key", to);
}

int ins_repo_follow(const ins_home *h, json_t *sources, wh_keyring *kr,
                    json_t *revoked, json_t *seen, const wh_rotation_chain *rot,
                    wh_err *err)
{
    int rc = carry_floor(h, seen, rot, err);
    for (size_t i = 0; rc == 0 && i < rot->n; i++)
        if (json_object_set_new(revoked, rot->step[i].old_id, revoked_entry(rot, i)))
            rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0 && h)      /* the commit: what follows is what it implies */
        rc = ins_state_save(h, INS_REVOKED_FILE, INS_REVOKED_FORMAT, "keys",
                            revoked, err);
    return rc ? rc : ins_repo_finish(h, sources, kr, revoked, NULL, NULL, err);
}

/* --- the verified copy ----------------------------------------------------------- */

/* Remove the files of dir but keep (a name; "" for none), leaving hidden
 * ones (installer.h). */
int ins_prune_dir(const char *dir, const char *keep, wh_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX + 300];
    int rc = 0;
    while (d && rc == 0 && (de = readdir(d)))
        if (de->d_name[0] != '.' && strcmp(de->d_name, keep) != 0 &&
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name) < (int)sizeof path &&
            wh_fs_unlink(path) < 0 && errno != ENOENT)
            rc = wh_fail_errno(err, errno, path, "cannot remove");
    if (d)
        closedir(d);
    return rc;
}

/* seen's floor of sig's key raised to ix's serial; *raised says if it was. */
static int raise_floor(json_t *seen, const wh_index *ix, const wh_minisign_sig *sig,
                       int *raised, wh_err *err)
{
    char id[17];
    wh_minisign_keyid_hex((const unsigned char *)sig->key_id, id);
    json_t *floor = json_object_get(seen, id);
    *raised = !floor || json_integer_value(floor) < ix->head.serial;
    if (*raised && json_object_set_new(seen, id, json_integer(ix->head.serial)))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    return 0;
}

/* A sharded index's copy (shard_src.c, THE COPY): its bins and module
 * files are there already (ins_shard_sync); the top level, the floor,
 * then the signature; then what the copy no longer needs, the copy of
 * index.json included (the site changed layouts). */
static int store_snap(const ins_home *h, const char *dir, const wh_index *ix,
                      const wh_minisign_sig *sig, json_t *seen, wh_err *err)
{
    char rel[160], path[PATH_MAX + 200], bh[PATH_MAX + 16];
    int raised;
    wh_snap_path(rel, sizeof rel, 's', ix->head.sha256, "");
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    *strrchr(path, '/') = '\0';
    int rc = wh_mkdirs(path, err);
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (rc == 0)
        rc = wh_file_write_atomic(path, ix->snap->bytes, ix->snap->len, 0644, err);
    if (rc == 0 && (rc = raise_floor(seen, ix, sig, &raised, err)) == 0 && raised)
        rc = ins_state_save(h, INS_SEEN_FILE, INS_SEEN_FORMAT, "serials", seen, err);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/" WH_SNAP_SIG, dir);
        rc = wh_minisign_sig_save(sig, path, err);           /* the commit */
    }
    snprintf(path, sizeof path, "%s/" WH_INDEX_SIG, dir);
    if (rc == 0 && wh_fs_unlink(path) < 0 && errno != ENOENT)
        rc = wh_fail_errno(err, errno, path, "cannot remove");
    snprintf(bh, sizeof bh, "%s/" WH_INDEX_BYHASH, dir);
    if (rc == 0)
        rc = ins_prune_dir(bh, "", err);
    return rc ? rc : ins_shard_prune((wh_index *)ix, dir, err);
}

int ins_repo_store(const ins_home *h, const char *name, const wh_index *ix,
                   const wh_minisign_sig *sig, json_t *seen, wh_err *err)
{
    char rel[PATH_MAX], dir[PATH_MAX], bh[PATH_MAX], file[128], path[PATH_MAX + 200];
    int raised;
    if (!h)                 /* a dry run: the floor in memory, nothing kept */
        return raise_floor(seen, ix, sig, &raised, err);
    snprintf(rel, sizeof rel, INS_INDEXES_DIR "/%s", name);
    if (ix->snap) {
        int r = ins_home_path(h, rel, dir, sizeof dir, err);
        return r ? r : store_snap(h, dir, ix, sig, seen, err);
    }
    wh_index_byhash(file, sizeof file, ix->head.sha256, "");
    int rc = ins_home_path(h, rel, dir, sizeof dir, err);
    if (rc == 0 && snprintf(bh, sizeof bh, "%s/" WH_INDEX_BYHASH, dir) >= (int)sizeof bh)
        rc = wh_fail(err, WH_E_LIMIT, dir, -1, "path too long");
    if (rc == 0)
        rc = wh_mkdirs(bh, err);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/%s", dir, file);
        rc = wh_file_write_atomic(path, ix->bytes, ix->len, 0644, err);
    }
    /* The floor first: a copy never has a serial seen.json lacks. */
    if (rc == 0 && (rc = raise_floor(seen, ix, sig, &raised, err)) == 0 && raised)
        rc = ins_state_save(h, INS_SEEN_FILE, INS_SEEN_FORMAT, "serials", seen, err);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/" WH_INDEX_SIG, dir);
        rc = wh_minisign_sig_save(sig, path, err);
    }
    if (rc == 0)
        rc = ins_prune_dir(bh, file + strlen(WH_INDEX_BYHASH "/"), err);
    snprintf(path, sizeof path, "%s/" WH_SNAP_SIG, dir);   /* a sharded copy before */
    if (rc == 0 && wh_fs_unlink(path) < 0 && errno != ENOENT)
        rc = wh_fail_errno(err, errno, path, "cannot remove");
    return rc;
}

/* cmd_rotate.c - `wharf-index rotate SITE -s OLD.key -N NEW.key`: hand a
 * site over to a new repository key, so that every wharf that trusts the
 * old key follows to the new one (docs/index-format.md, "Key rotation").
 *
 * Holding SITE's lock (the one builds take), in this order:
 *   1. the statement (common/rotation.h): keys/rotation/NEW.pub, then its
 *      signature by the old key keys/rotation/NEW.pub.minisig; one that is
 *      already there and verifies is kept, so a run again after a crash
 *      does not change it;
 *   2. the site re-signed with the new key: the current index, verified
 *      with the old key, with repository.key_id the new key's and the
 *      serial one higher, published as a build publishes (ix_site_publish:
 *      keys/repo.pub, by-hash/, then index.json.minisig, the commit);
 *      The sharded index, when SITE has one, likewise: its top level with
 *      the new key id and that serial, signed by the new key (the bins and
 *      module files do not name the key), snapshot.json.minisig the commit;
 *   3. the build cache's signature (.wharf-cache.json.minisig), made again
 *      with the new key when the old one verifies it, so the next build
 *      reuses what it knows instead of reading every package again.
 * Killed anywhere, the site is whole and signed by one key or the other,
 * and the same command finishes the job: once the site is signed by the
 * new key, step 2 publishes that index again as it is, which changes no
 * byte of it and only replaces the copies index.json and index.json.gz a
 * run killed right after its commit left as the old key's (readers go by
 * hash; `wharf-index verify -p NEW.pub` says so until then).
 *
 * Why re-sign at once rather than leave it to the next build: the build
 * refuses a site signed by another key (so a wrong -s cannot take a site
 * over), and a statement is only ever followed together with an index
 * signed by the key it names, which this run proves the new key's holder
 * can make (rotation.h: proof of possession).  The catalogue keeps
 * showing the old key until the next build renders it.  Statements are
 * never removed: a wharf that missed a rotation follows the chain.
 *
 * Tests: tests/cli/t1109-wharf-index-rotate.sh.
 */
#include "indexer/indexer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/cli.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/rotation.h"

#define PROG "wharf-index rotate"
#define CACHE_FILE ".wharf-cache.json"     /* scan.c's, docs/index-format.md */

enum { OPT_WAIT = 256 };

static const wh_opt opts[] = {
    { 's', "secret-key", "FILE", "the current repository key, which signs the statement (default: repo.key)" },
    { 'N', "new-key", "FILE", "the new repository secret key, which signs the site from now on (required)" },
    { OPT_WAIT, "wait", NULL, "wait while a build writes SITE (else exit 7)" },
    { 'q', "quiet", NULL, "print nothing but errors" },
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf-index rotate SITE [-s OLD.key] -N NEW.key [options]";
static const char description[] =
    "Hand SITE over to a new repository key: write a statement signed by\n"
    "the current key naming the new one (keys/rotation/NEWID.pub and its\n"
    ".minisig), then sign the current index again with the new key. wharf\n"
    "follows the statement at its next update and from then on refuses the\n"
    "old key. Build with the new key afterwards. Each key's password is\n"
    "read from the terminal, or one line of standard input each.";

typedef struct rotate {
    const char *site, *old_path, *new_path;
    int wait, quiet;
    int64_t issued;
    wh_minisign_seckey *old_sk, *new_sk;
    wh_minisign_pubkey old_pk, new_pk;
    char old_id[17], new_id[17];
} rotate;

static int parse_args(rotate *r, int argc, char **argv)
{
    memset(r, 0, sizeof *r);
    r->old_path = "repo.key";
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int c;
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        switch (c) {
        case 's': r->old_path = cli.arg; break;
        case 'N': r->new_path = cli.arg; break;
        case OPT_WAIT: r->wait = 1; break;
        case 'q': r->quiet = 1; break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    if (cli.argc != 1 || !r->new_path) {
        snprintf(cli.msg, sizeof cli.msg, "%s", cli.argc == 0 ? "no site given"
                 : cli.argc > 1 ? "one site expected"
                 : "no new key: use -N NEW.key");
        return wh_cli_usage_error(&cli);
    }
    r->site = cli.argv[0];
    return 0;
}

/* When the statement is issued: SOURCE_DATE_EPOCH (set and not empty),
 * else now, as a build dates its index. */
static int issued_time(rotate *r, wh_err *err)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    long long v = sde && *sde ? wh_cli_number(sde, 0, 253402300799LL) : (long long)time(NULL);
    if (v < 0)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "SOURCE_DATE_EPOCH '%s' is "
                       "not a number of seconds", sde);
    r->issued = v;
    return 0;
}

static int load_keys(rotate *r, wh_err *err)
{
    int rc = wh_cli_seckey_load(&r->old_sk, r->old_path, err);
    if (rc == 0)
        rc = wh_cli_seckey_load(&r->new_sk, r->new_path, err);
    if (rc)
        return rc;
    wh_minisign_seckey_public(r->old_sk, &r->old_pk);
    wh_minisign_seckey_public(r->new_sk, &r->new_pk);
    wh_minisign_keyid_hex(r->old_pk.key_id, r->old_id);
    wh_minisign_keyid_hex(r->new_pk.key_id, r->new_id);
    if (strcmp(r->old_id, r->new_id) == 0)
        return wh_fail(err, WH_E_USAGE, r->new_path, -1, "the new key has the "
                       "id of the current key, %s", r->old_id);
    return 0;
}

/* SITE/rel into out (PATH_MAX). */
static int site_path(const rotate *r, const char *rel, char *out, wh_err *err)
{
    if (snprintf(out, PATH_MAX, "%s/%s", r->site, rel) >= PATH_MAX)
        return wh_fail(err, WH_E_LIMIT, r->site, -1, "path too long");
    return 0;
}

/* --- 1. the statement ---------------------------------------------------- */

/* 0 when SITE already holds a statement from the old key to the new one
 * that verifies. */
static int statement_present(const rotate *r)
{
    char rel[128], pub_path[PATH_MAX], sig_path[PATH_MAX], *pub = NULL, *sig = NULL;
    size_t pl = 0, sl = 0;
    wh_rotation_stmt *s = malloc(sizeof *s);
    int rc = s ? 0 : -1;
    if (rc == 0 && (wh_rotation_path(rel, sizeof rel, r->new_id, "") ||
                    site_path(r, rel, pub_path, NULL) ||
                    snprintf(sig_path, sizeof sig_path, "%s.minisig", pub_path) >= PATH_MAX))
        rc = -1;
    if (rc == 0)
        rc = wh_file_read_stat(pub_path, WH_ROTATION_FILE_MAX, WH_READ_NOFOLLOW,
                               &pub, &pl, NULL, NULL);
    if (rc == 0)
        rc = wh_file_read_stat(sig_path, WH_ROTATION_FILE_MAX, WH_READ_NOFOLLOW,
                               &sig, &sl, NULL, NULL);
    if (rc == 0)
        rc = wh_rotation_parse(s, r->new_id, pub, pl, sig, sl, pub_path, sig_path, NULL);
    if (rc == 0)
        rc = wh_rotation_verify(s, &r->old_pk, NULL);
    free(pub);
    free(sig);
    free(s);
    return rc;
}

/* Write the statement (the public key first: the signature completes it). */
static int write_statement(const rotate *r, int *written, wh_err *err)
{
    char rel[128], dir[PATH_MAX], path[PATH_MAX];
    *written = 0;
    if (statement_present(r) == 0)
        return 0;
    wh_rotation_stmt *s = malloc(sizeof *s);
    int rc = s ? wh_rotation_make(s, r->old_sk, &r->new_pk, r->issued, err)
               : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0 && (rc = site_path(r, WH_ROTATION_DIR, dir, err)) == 0)
        rc = wh_mkdirs(dir, err);
    if (rc == 0 && wh_rotation_path(rel, sizeof rel, r->new_id, "") == 0 &&
        (rc = site_path(r, rel, path, err)) == 0)
        rc = wh_file_write_atomic(path, s->pub, s->pub_len, 0644, err);
    if (rc == 0 && wh_rotation_path(rel, sizeof rel, r->new_id, ".minisig") == 0 &&
        (rc = site_path(r, rel, path, err)) == 0)
        rc = wh_minisign_sig_save(&s->sig, path, err);
    *written = rc == 0;
    free(s);
    return rc;
}

/* --- 2. the index, signed with the new key --------------------------------- */

/* The serial of the re-signed index: above the current one and above the
 * one the cache remembers, as a build's. */
static int64_t next_serial(const rotate *r, int64_t cur)
{
    ix_scan s = { 0 };
    char why[1200];
    ix_cache_load(&s, r->site, &r->old_pk, why, sizeof why);
    int64_t serial = (cur > s.cache_serial ? cur : s.cache_serial) + 1;
    ix_scan_free(&s);
    return serial;
}

/* The verified index ix as the new key signs it: key id and serial. */
static int new_index(const rotate *r, wh_index *ix, ix_meta *m, char **json,
                     size_t *len, wh_err *err)
{
    json_t *repo = json_object_get(ix->json, "repository");
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s",
             json_string_value(json_object_get(repo, "name")));
    snprintf(m->key_id, sizeof m->key_id, "%s", r->new_id);
    m->serial = next_serial(r, ix->head.serial);
    m->generated = ix->generated;
    m->expires = ix->head.expires;
    if (json_object_set_new(repo, "key_id", json_string(m->key_id)) ||
        json_object_set_new(ix->json, "serial", json_integer((json_int_t)m->serial)))
        return wh_fail(err, WH_E_NOMEM, r->site, -1, NULL);
    return wh_json_canon(ix->json, json, len, err);
}

/* The index as it is, when the new key signs it already: published again
 * byte for byte (the same signature), which only rewrites the copies a run
 * killed after its commit left behind. */
static int same_index(const rotate *r, wh_index *ix, ix_meta *m, char **json,
                      size_t *len, wh_err *err)
{
    memset(m, 0, sizeof *m);
    snprintf(m->key_id, sizeof m->key_id, "%s", r->new_id);
    m->serial = ix->head.serial;
    m->generated = ix->generated;
    m->expires = ix->head.expires;
    if (!(*json = malloc(ix->len + 1)))
        return wh_fail(err, WH_E_NOMEM, r->site, -1, NULL);
    memcpy(*json, ix->bytes, ix->len);
    *len = ix->len;
    return 0;
}

static int resign_index(const rotate *r, int by_new, ix_meta *m, wh_err *err)
{
    wh_index ix;
    char *json = NULL, sha256[WH_SHA256_HEX];
    size_t len;
    int rc = wh_index_load(&ix, r->site, by_new ? &r->new_pk : &r->old_pk, err);
    if (rc == 0)
        rc = by_new ? same_index(r, &ix, m, &json, &len, err)
                    : new_index(r, &ix, m, &json, &len, err);
    if (rc == 0)
        rc = ix_site_publish(r->site, json, len, m, r->new_sk, &r->new_pk,
                             sha256, err);
    free(json);
    wh_index_free(&ix);
    return rc;
}

/* The sharded index (docs/index-format.md), when SITE has one: its top
 * level again, with the new key id and serial m->serial (the one the
 * index.json of step 2 took, or the next), signed with the new key; the
 * bins and module files do not name the key and stay.  When the new key
 * signs it already, nothing.  The source map's serial follows, so that
 * --changed goes on from the re-signed snapshot. */
static int resign_shards(const rotate *r, int have_full, ix_meta *m, wh_err *err)
{
    char path[PATH_MAX], id[17];
    wh_minisign_sig sig;
    wh_snap prev;
    ix_shard_out out;
    int rc = site_path(r, WH_SNAP_SIG, path, err);
    if (rc == 0 && (rc = wh_minisign_sig_load_flags(&sig, path, WH_MINISIGN_NOFOLLOW,
                                                    err)) == WH_E_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    wh_minisign_keyid_hex(sig.key_id, id);
    int by_new = strcmp(id, r->new_id) == 0;
    if ((rc = wh_snap_load(&prev, r->site, by_new ? &r->new_pk : &r->old_pk, err)))
        return rc;
    if (!by_new) {
        int64_t old_serial = prev.head.serial;
        snprintf(m->name, sizeof m->name, "%s", prev.name);
        snprintf(m->key_id, sizeof m->key_id, "%s", r->new_id);
        if (!have_full)
            m->serial = next_serial(r, prev.head.serial);
        m->generated = prev.generated;
        m->expires = prev.head.expires;
        json_t *none = json_object();
        memset(&out, 0, sizeof out);
        rc = none ? ix_site_pubkey(r->site, &r->new_pk, err)
                  : wh_fail(err, WH_E_NOMEM, r->site, -1, NULL);
        if (rc == 0)
            rc = ix_shard_update(r->site, &prev, none, prev.modules, prev.packages,
                                 m, r->new_sk, 86400, &out, err);
        json_decref(none);
        if (rc == 0)
            rc = ix_srcmap_serial_move(r->site, old_serial, m->serial, err);
    } else if (!have_full) {
        m->serial = prev.head.serial;
        m->expires = prev.head.expires;
    }
    wh_snap_free(&prev);
    return rc;
}

/* --- 3. the cache's signature ------------------------------------------------ */

/* Sign the build cache again with the new key when the old one verifies
 * it; a missing or unverifiable cache is left for the build to judge. */
static int resign_cache(const rotate *r, wh_err *err)
{
    char path[PATH_MAX], sig_path[PATH_MAX + 16], *data = NULL;
    size_t len;
    wh_minisign_sig sig, again;
    int rc = site_path(r, CACHE_FILE, path, err);
    snprintf(sig_path, sizeof sig_path, "%s.minisig", path);
    if (rc || wh_file_read(path, (size_t)1 << 30, &data, &len, NULL) ||
        wh_minisign_sig_load(&sig, sig_path, NULL) ||
        wh_minisign_verify_buffer(&sig, &r->old_pk, data, len, sig_path, 0, NULL)) {
        free(data);
        return rc;
    }
    rc = wh_minisign_sign_buffer(&again, r->new_sk, data, len, sig.trusted,
                                 sig.untrusted, 0, err);
    if (rc == 0)
        rc = wh_minisign_sig_save(&again, sig_path, err);
    free(data);
    return rc;
}

/* --- the run ---------------------------------------------------------------------- */

/* Who signs the site now: *by_new 1 for the new key, 0 for the old one
 * (head filled), anything else an error naming both. */
static int current_signer(const rotate *r, int *by_new, int *have_full,
                          wh_index_head *head, wh_err *err)
{
    char path[PATH_MAX], id[17];
    wh_minisign_sig sig;
    int rc = site_path(r, WH_INDEX_SIG, path, err);
    if (rc == 0)
        rc = wh_minisign_sig_load_flags(&sig, path, WH_MINISIGN_NOFOLLOW, err);
    *have_full = rc == 0;
    char snap[PATH_MAX];
    if (rc == WH_E_NOTFOUND && site_path(r, WH_SNAP_SIG, snap, err) == 0 &&
        wh_minisign_sig_load_flags(&sig, snap, WH_MINISIGN_NOFOLLOW, NULL) != WH_E_NOTFOUND) {
        memcpy(path, snap, sizeof path);      /* a sharded site */
        rc = wh_minisign_sig_load_flags(&sig, path, WH_MINISIGN_NOFOLLOW, err);
    }
    if (rc == WH_E_NOTFOUND)
        return wh_fail(err, WH_E_NOTFOUND, path, -1, "no signed index to rotate "
                       "(build the site first)");
    if (rc)
        return rc;
    wh_minisign_keyid_hex(sig.key_id, id);
    *by_new = strcmp(id, r->new_id) == 0;
    if (!*by_new && strcmp(id, r->old_id) != 0)
        return wh_fail(err, WH_E_VERIFY, path, -1, "signed by key %s, which is "
                       "neither the current key %s nor the new key %s", id,
                       r->old_id, r->new_id);
    return *have_full ? wh_index_head_check(&sig, *by_new ? &r->new_pk : &r->old_pk,
                                            path, head, err)
                      : wh_snap_head_check(&sig, *by_new ? &r->new_pk : &r->old_pk,
                                           path, head, err);
}

static void report(const rotate *r, int stmt_written, int by_new, const ix_meta *m)
{
    char date[32];
    if (r->quiet)
        return;
    printf("key %s rotated to %s: %s %s/" WH_ROTATION_DIR "/%s.pub.minisig\n",
           r->old_id, r->new_id, stmt_written ? "wrote" : "kept", r->site,
           r->new_id);
    if (by_new) {
        printf("'%s' is already signed by key %s\n", r->site, r->new_id);
        return;
    }
    wh_cli_date(m->expires, date);
    printf("re-signed '%s' with key %s: serial %lld, expires %s\n", r->site,
           r->new_id, (long long)m->serial, date);
    printf("next: build with the new key (wharf-index build PKGDIR -o %s -s %s); "
           "wharf follows at its next update, then refuses key %s\n", r->site,
           r->new_path, r->old_id);
}

/* Steps 1 to 3 with SITE's lock held. */
static int run(const rotate *r, wh_err *err)
{
    char dir[PATH_MAX];
    size_t n = 0;
    int by_new = 0, written = 0, have_full = 0;
    wh_index_head head;
    ix_meta m = { 0 };
    int rc = ix_site_clean(r->site, &n, err);
    if (rc == 0 && (rc = site_path(r, WH_ROTATION_DIR, dir, err)) == 0)
        rc = wh_clean_temporaries(dir, &n, err);
    if (rc == 0)
        rc = current_signer(r, &by_new, &have_full, &head, err);
    if (rc == 0)
        rc = write_statement(r, &written, err);
    if (rc == 0 && have_full)
        rc = resign_index(r, by_new, &m, err);
    if (rc == 0)
        rc = resign_shards(r, have_full, &m, err);
    if (rc == 0)
        rc = resign_cache(r, err);
    if (rc == 0)
        report(r, written, by_new, &m);
    return rc;
}

int cmd_rotate(int argc, char **argv)
{
    rotate r;
    int rc = parse_args(&r, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    wh_err err;
    wh_lock lock = { -1 };
    struct stat st;
    wh_err_clear(&err);
    if (stat(r.site, &st) < 0)
        rc = errno == ENOENT ? wh_fail(&err, WH_E_NOTFOUND, r.site, -1, "no site "
                                       "here (build it first)")
                             : wh_fail_errno(&err, errno, r.site, "cannot open");
    else if (!S_ISDIR(st.st_mode))
        rc = wh_fail(&err, WH_E_USAGE, r.site, -1, "not a directory");
    if (rc == 0)
        rc = issued_time(&r, &err);
    if (rc == 0)
        rc = load_keys(&r, &err);
    if (rc == 0)
        rc = ix_site_lock(r.site, PROG, r.wait, r.quiet, &lock, &err);
    if (rc == 0)
        rc = run(&r, &err);
    wh_lock_release(&lock);
    wh_minisign_seckey_free(r.old_sk);
    wh_minisign_seckey_free(r.new_sk);
    return rc ? wh_cli_report(PROG, &err) : WH_EXIT_OK;
}

/* cmd_trust.c - `wharf trust add KEY.pub... | list | remove KEYID...`:
 * the repository keys whose signed indexes wharf accepts.
 *
 * A key is kept as keys/KEYID.pub in the install root (minisign's public
 * key format), so `ls` shows what is trusted and minisign itself can use
 * it.  Adding a key whose id is trusted already is fine when it is the
 * same key (said, nothing written) and refused when it is another: a
 * signature names its key by id alone, so two keys under one id would
 * make "signed by a trusted key" ambiguous.  Removing takes the id as
 * minisign prints it (any case).
 *
 * A key a followed rotation revoked (revoked.json, repo.c) is listed
 * after the trusted ones with what it was rotated to, and adding it again
 * is refused unless --force, which also takes it off revoked.json (that
 * first, so a crash never leaves a key both trusted and revoked, which the
 * next update would take as a rotation to finish).
 *
 * --dry-run checks add and remove as they run (the key file parses, its
 * id is not revoked or taken by another key, the id to remove is
 * trusted), says what would be done ("would trust key ID", "would remove
 * key ID") and writes nothing; it takes no lock, since it changes
 * nothing.  Several operands are judged one after the other, as a real
 * run would judge them.
 *
 * Tests: tests/cli/t2001-wharf-trust.sh.
 */
#include "installer/installer.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/json.h"

static const wh_opt opts[] = {
    INS_OPT_DRY_RUN_ROW,
    { INS_OPT_JSON, "json", NULL, "list: print JSON" },
    { 'f', "force", NULL, "add: trust a key even though a key rotation revoked it" },
    { 'q', "quiet", NULL, "print nothing but errors" },
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] =
    "wharf trust add KEY.pub... | wharf trust list | wharf trust remove KEYID...";
static const char description[] =
    "Manage the repository keys wharf trusts: an index is used only when its\n"
    "signature verifies with one of them (or with the key a source is pinned\n"
    "to: wharf source add --key). Keys are minisign public keys, kept in\n"
    "keys/ under the install root.";

#define PROG "wharf trust"

typedef struct trust_opts {
    ins_cmd_opts c;       /* --home, --wait, --dry-run, --json, -q */
    int force;
    int argc;
    char **argv;          /* the subcommand and its operands */
} trust_opts;

static int parse_args(trust_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int c;
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        if (c == 'f')
            o->force = 1;
        else if (c == WH_CLI_HELP) {
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        } else
            ins_cmd_opt(&o->c, c, &cli);      /* none of these takes a value */
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    const char *sub = cli.argc ? cli.argv[0] : "";
    int want_ops = !strcmp(sub, "add") || !strcmp(sub, "remove");
    if (!want_ops && strcmp(sub, "list") != 0)
        snprintf(cli.msg, sizeof cli.msg, cli.argc ? "'%s' is not add, list or "
                 "remove" : "no subcommand: add, list or remove", sub);
    else if (want_ops && cli.argc < 2)
        snprintf(cli.msg, sizeof cli.msg, "%s: %s", sub, !strcmp(sub, "add") ?
                 "no key file given" : "no key id given");
    else if (!want_ops && cli.argc > 1)
        snprintf(cli.msg, sizeof cli.msg, "list takes no operand");
    else {
        o->argc = cli.argc;
        o->argv = cli.argv;
        return 0;
    }
    return wh_cli_usage_error(&cli);
}

/* keys/KEYID.pub in the install root. */
static int key_path(const ins_home *h, const char *id, char *out, size_t n,
                    wh_err *err)
{
    char rel[64];
    snprintf(rel, sizeof rel, INS_KEYS_DIR "/%s.pub", id);
    return ins_home_path(h, rel, out, n, err);
}

/* A revoked key: refused, or with --force taken off revoked.json (in a
 * dry run, off revoked alone). */
static int unrevoke(const ins_home *h, json_t *revoked, const char *id,
                    const char *file, int force, int dry_run, wh_err *err)
{
    char why[128];
    if (!ins_revoked_why(revoked, id, why, sizeof why))
        return 0;
    if (!force)
        return wh_fail(err, WH_E_UNTRUSTED, file, -1, "key %s was %s and is "
                       "revoked; --force trusts it again", id, why);
    if (json_object_del(revoked, id))
        return wh_fail(err, WH_E_INTERNAL, file, -1, NULL);
    return dry_run ? 0 : ins_state_save(h, INS_REVOKED_FILE, INS_REVOKED_FORMAT, "keys", revoked,
                          err);
}

static int add_one(const ins_home *h, wh_keyring *kr, json_t *revoked,
                   const trust_opts *o, const char *file, wh_err *err)
{
    wh_minisign_pubkey pk;
    char id[17], path[PATH_MAX], dir[PATH_MAX], comment[64];
    const char *where;
    int quiet = o->c.quiet;
    int rc = wh_minisign_pubkey_load(&pk, file, err);
    if (rc)
        return rc;
    wh_minisign_keyid_hex(pk.key_id, id);
    if ((rc = unrevoke(h, revoked, id, file, o->force, o->c.dry_run, err)) != 0)
        return rc;
    const wh_minisign_pubkey *old = wh_keyring_find(kr, pk.key_id, &where);
    if (old && memcmp(old->pk, pk.pk, sizeof pk.pk) == 0) {
        if (!quiet)
            printf("key %s is already trusted\n", id);
        return 0;
    }
    if (old)
        return wh_fail(err, WH_E_EXISTS, file, -1, "key id %s is already trusted "
                       "for a different key ('%s'); remove that one first", id, where);
    snprintf(comment, sizeof comment, "minisign public key %s", id);
    if (o->c.dry_run) {            /* kr alone learns it, for the next operand */
        if ((rc = key_path(h, id, path, sizeof path, err)) == 0 &&
            (rc = wh_keyring_add(kr, &pk, path, err)) == 0 && !quiet)
            printf("would trust key %s\n", id);
        return rc;
    }
    if ((rc = key_path(h, id, path, sizeof path, err)) == 0 &&
        (rc = ins_home_path(h, INS_KEYS_DIR, dir, sizeof dir, err)) == 0 &&
        (rc = wh_mkdirs(dir, err)) == 0 &&
        (rc = wh_minisign_pubkey_save(&pk, comment, path, err)) == 0 &&
        (rc = wh_keyring_add(kr, &pk, path, err)) == 0 && !quiet)
        printf("trusted key %s\n", id);
    return rc;
}

/* An id as minisign prints it (1 to 16 hex digits: "%llX" drops leading
 * zeros), in any case and with any leading zeros, into id as keys/ names
 * it (upper case, none). */
static int parse_id(const char *s, char id[17], wh_err *err)
{
    size_t n = strlen(s), z = strspn(s, "0");
    if (n == 0 || n > 16 || strspn(s, "0123456789abcdefABCDEF") != n)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "'%s' is not a key id "
                       "(up to 16 hex digits, as 'wharf trust list' shows)", s);
    if (z == n)
        z = n - 1;                       /* the id 0 */
    for (size_t i = z; i <= n; i++)
        id[i - z] = (char)toupper((unsigned char)s[i]);
    return 0;
}

/* Whether operand i of remove names the same key as an earlier one: a
 * dry run's stand-in for the file the earlier one would have removed. */
static int named_before(const trust_opts *o, int i, const char *id)
{
    char prev[17];
    for (int k = 1; k < i; k++)
        if (parse_id(o->argv[k], prev, NULL) == 0 && !strcmp(prev, id))
            return 1;
    return 0;
}

/* Remove keys/ID.pub (in a dry run, check it is there). */
static int unlink_key(const trust_opts *o, int i, const char *id,
                      const char *path)
{
    if (!o->c.dry_run)
        return wh_fs_unlink(path);
    if (named_before(o, i, id)) {
        errno = ENOENT;
        return -1;
    }
    return access(path, F_OK);
}

static int remove_one(const ins_home *h, const trust_opts *o, int i, wh_err *err)
{
    char id[17], path[PATH_MAX];
    int rc = parse_id(o->argv[i], id, err);
    if (rc == 0)
        rc = key_path(h, id, path, sizeof path, err);
    if (rc == 0 && unlink_key(o, i, id, path) < 0)
        rc = errno == ENOENT ? wh_fail(err, WH_E_NOTFOUND, NULL, -1, "key %s is "
                                       "not trusted", id)
                             : wh_fail_errno(err, errno, path, "cannot remove");
    if (rc == 0 && !o->c.quiet)
        printf("%s key %s\n", o->c.dry_run ? "would remove" : "removed", id);
    return rc;
}

/* The revoked keys, after the trusted ones. */
static void list_revoked(json_t *revoked, json_t *all)
{
    const char *id;
    json_t *e;
    json_object_foreach(revoked, id, e) {
        char why[128];
        ins_revoked_why(revoked, id, why, sizeof why);
        if (all)
            json_array_append_new(all, json_pack("{sssOs{sOsO}}", "key_id", id,
                "public_key", json_object_get(e, "public_key"), "revoked",
                "rotated_to", json_object_get(e, "rotated_to"),
                "issued", json_object_get(e, "issued")));
        else
            printf("%s  %s  revoked: %s\n", id,
                   json_string_value(json_object_get(e, "public_key")), why);
    }
}

static void list(const wh_keyring *kr, json_t *revoked, int json)
{
    json_t *all = json_array();
    for (size_t i = 0; i < kr->n; i++) {
        char id[17], b64[WH_MINISIGN_PUBKEY_B64_LEN + 1];
        wh_minisign_keyid_hex(kr->keys[i].key_id, id);
        wh_minisign_pubkey_to_base64(&kr->keys[i], b64);
        if (json)
            json_array_append_new(all, json_pack("{ssss}", "key_id", id,
                                                 "public_key", b64));
        else
            printf("%s  %s\n", id, b64);
    }
    list_revoked(revoked, json ? all : NULL);
    if (json)
        wh_json_print(all, NULL);
    json_decref(all);
}

int cmd_trust(int argc, char **argv)
{
    trust_opts o;
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    ins_home h;
    wh_keyring kr = { 0 };
    json_t *revoked = NULL;
    wh_err err;
    wh_err_clear(&err);
    const char *sub = o.argv[0];
    char who[64];
    snprintf(who, sizeof who, PROG " %s", sub);
    rc = ins_home_find(&h, o.c.home, &err);
    char id[17];
    for (int i = 1; rc == 0 && !strcmp(sub, "remove") && i < o.argc; i++)
        rc = parse_id(o.argv[i], id, &err);       /* before anything is made */
    if (rc == 0 && strcmp(sub, "list") != 0 && !o.c.dry_run)
        rc = ins_home_lock(&h, who, o.c.wait, o.c.quiet, &err);
    if (rc == 0)
        rc = ins_trust_load(&h, &kr, &err);
    if (rc == 0)
        rc = ins_revoked_load(&h, &revoked, &err);
    if (rc == 0 && !strcmp(sub, "list"))
        list(&kr, revoked, o.c.json);
    for (int i = 1; rc == 0 && i < o.argc; i++)
        rc = !strcmp(sub, "add") ? add_one(&h, &kr, revoked, &o, o.argv[i], &err)
                                 : remove_one(&h, &o, i, &err);
    if (rc)
        rc = wh_cli_report(PROG, &err);
    ins_home_unlock(&h);
    wh_keyring_free(&kr);
    json_decref(revoked);
    return rc;
}

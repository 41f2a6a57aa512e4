/* cmd_keygen.c - `wharf-index keygen`: create the repository's key pair.
 *
 * The keys are minisign's, so `minisign -Vm index.json -p repo.pub` checks
 * a wharf site without wharf.  The secret key is password-encrypted (scrypt)
 * unless -W asks for an unattended one; existing files are never replaced
 * without -f, because losing a repository key orphans every user who
 * trusts it.
 */
#include "indexer/indexer.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cli.h"
#include "common/minisign.h"

static const wh_opt opts[] = {
    { 'p', "public-key",  "FILE", "public key to write (default: repo.pub)" },
    { 's', "secret-key",  "FILE", "secret key to write (default: repo.key)" },
    { 'W', "no-password", NULL,   "leave the secret key unencrypted" },
    { 'c', "comment",     "TEXT", "untrusted comment of the secret key" },
    { 'f', "force",       NULL,   "replace existing key files" },
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf-index keygen [-W] [-f] [-p FILE] [-s FILE] [-c TEXT]";
static const char description[] =
    "Create a repository signing key pair in minisign's format. The secret\n"
    "key is encrypted with a password read from the terminal (or one line\n"
    "of standard input) unless -W is given.";

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int cmd_keygen(int argc, char **argv)
{
    const char *prog = "wharf-index keygen", *pub = "repo.pub",
               *sec = "repo.key", *comment = NULL;
    int no_password = 0, force = 0, c;
    wh_cli cli;
    wh_cli_init(&cli, prog, argc, argv);
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        switch (c) {
        case 'p': pub = cli.arg; break;
        case 's': sec = cli.arg; break;
        case 'W': no_password = 1; break;
        case 'c': comment = cli.arg; break;
        case 'f': force = 1; break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, usage, description, opts);
            return WH_EXIT_OK;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    if (cli.argc > 0) {
        snprintf(cli.msg, sizeof cli.msg, "unexpected argument '%s'", cli.argv[0]);
        return wh_cli_usage_error(&cli);
    }

    wh_err err;
    wh_err_clear(&err);
    if (!force && (exists(pub) || exists(sec))) {
        wh_fail(&err, WH_E_EXISTS, exists(sec) ? sec : pub, -1,
                "key file exists; use -f to replace it");
        return wh_cli_report(prog, &err);
    }
    char password[1024] = "";
    wh_minisign_seckey *sk = NULL;
    wh_minisign_pubkey pk;
    int rc = 0;
    if (!no_password)
        rc = wh_cli_password("Password: ", 1, password, sizeof password, &err);
    if (rc == 0)
        rc = wh_minisign_keygen(&sk, &pk, &err);
    if (rc == 0)
        rc = wh_minisign_seckey_save(sk, no_password ? NULL : password, NULL,
                                     comment, sec, &err);
    if (rc == 0)
        rc = wh_minisign_pubkey_save(&pk, NULL, pub, &err);
    wh_memzero(password, sizeof password);
    wh_minisign_seckey_free(sk);
    if (rc)
        return wh_cli_report(prog, &err);
    char id[17];
    wh_minisign_keyid_hex(pk.key_id, id);
    printf("key id %s\npublic key: %s\nsecret key: %s%s\n", id, pub, sec,
           no_password ? " (unencrypted)" : "");
    return WH_EXIT_OK;
}

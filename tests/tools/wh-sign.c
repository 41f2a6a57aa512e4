/* wh-sign.c - test tool: common/minisign.c on the command line, so
 * tests/cli/t0100-minisign-interop.sh can pit it against minisign.
 *
 *   wh-sign keygen -p PUB -s SEC [-W] [-c COMMENT] [-O OPS -M MEM]
 *   wh-sign sign   -s SEC -m FILE [-x SIG] [-t TRUSTED] [-c UNTRUSTED] [-l]
 *   wh-sign verify (-p PUB | -P BASE64) -m FILE [-x SIG] [-H]
 *   wh-sign pubkey -s SEC -p PUB          (recreate the public key)
 *
 * The password comes from $WH_PASSWORD (keygen without -W, and sign with
 * an encrypted key); -O/-M set the scrypt limits (default minisign's).
 * verify prints the verified trusted comment.  Errors are reported as
 * "wh-sign: <err>" with wharf's exit statuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/minisign.h"

#define PROG "wh-sign"

typedef struct args {
    const char *pub, *pub_b64, *sec, *msg, *sig, *comment, *trusted;
    const char *ops, *mem;
    int         nopass, legacy, prehashed;
} args;

static const wh_opt opts[] = {
    { 'p', "public-key", "FILE", "public key file" },
    { 'P', "public-key-base64", "KEY", "public key as base64" },
    { 's', "secret-key", "FILE", "secret key file" },
    { 'm', "message", "FILE", "file to sign or verify" },
    { 'x', "signature", "FILE", "signature file (default FILE.minisig)" },
    { 'c', "comment", "TEXT", "untrusted comment" },
    { 't', "trusted-comment", "TEXT", "trusted comment" },
    { 'W', "no-password", NULL, "do not encrypt the secret key" },
    { 'O', "opslimit", "N", "scrypt opslimit" },
    { 'M', "memlimit", "N", "scrypt memlimit" },
    { 'l', "legacy", NULL, "sign the raw content (\"Ed\")" },
    { 'H', "prehashed-only", NULL, "refuse legacy signatures" },
    { 0, NULL, NULL, NULL },
};

static int usage(const char *msg)
{
    fprintf(stderr, PROG ": %s\n", msg);
    return WH_EXIT_USAGE;
}

/* Parse options; returns -1 when parsing succeeded, else an exit status. */
static int parse(args *a, const char *prog, int argc, char **argv)
{
    wh_cli cli;
    int c;
    memset(a, 0, sizeof *a);
    wh_cli_init(&cli, prog, argc, argv);
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        switch (c) {
        case 'p': a->pub = cli.arg; break;
        case 'P': a->pub_b64 = cli.arg; break;
        case 's': a->sec = cli.arg; break;
        case 'm': a->msg = cli.arg; break;
        case 'x': a->sig = cli.arg; break;
        case 'c': a->comment = cli.arg; break;
        case 't': a->trusted = cli.arg; break;
        case 'W': a->nopass = 1; break;
        case 'O': a->ops = cli.arg; break;
        case 'M': a->mem = cli.arg; break;
        case 'l': a->legacy = 1; break;
        case 'H': a->prehashed = 1; break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, prog, "test tool for common/minisign.c", opts);
            return WH_EXIT_OK;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    if (cli.argc > 0)
        return usage("unexpected operand");
    return -1;
}

static int cmd_keygen(int argc, char **argv)
{
    args a;
    int st = parse(&a, PROG " keygen", argc, argv);
    if (st >= 0)
        return st;
    if (!a.pub || !a.sec)
        return usage("keygen needs -p and -s");
    const char *pw = a.nopass ? NULL : getenv("WH_PASSWORD");
    if (!a.nopass && !pw)
        return usage("set WH_PASSWORD or pass -W");
    wh_minisign_kdf kdf = { WH_MINISIGN_OPSLIMIT_DEFAULT,
                            WH_MINISIGN_MEMLIMIT_DEFAULT };
    if (a.ops)
        kdf.opslimit = strtoull(a.ops, NULL, 10);
    if (a.mem)
        kdf.memlimit = strtoull(a.mem, NULL, 10);
    wh_minisign_seckey *sk = NULL;
    wh_minisign_pubkey pk;
    wh_err e;
    int rc = wh_minisign_keygen(&sk, &pk, &e);
    if (!rc)
        rc = wh_minisign_seckey_save(sk, pw, &kdf, a.comment, a.sec, &e);
    if (!rc)
        rc = wh_minisign_pubkey_save(&pk, NULL, a.pub, &e);
    wh_minisign_seckey_free(sk);
    return rc ? wh_cli_report(PROG, &e) : 0;
}

/* Load and, if needed, decrypt the secret key named by -s. */
static int load_seckey(const args *a, wh_minisign_seckey **sk, wh_err *e)
{
    int rc = wh_minisign_seckey_load(sk, a->sec, e);
    if (rc || !wh_minisign_seckey_encrypted(*sk))
        return rc;
    const char *pw = getenv("WH_PASSWORD");
    if (!pw)
        return wh_fail(e, WH_E_USAGE, a->sec, -1,
                       "the key is encrypted: set WH_PASSWORD");
    return wh_minisign_seckey_decrypt(*sk, pw, a->sec, e);
}

static int cmd_sign(int argc, char **argv)
{
    args a;
    char sigpath[4096];
    int st = parse(&a, PROG " sign", argc, argv);
    if (st >= 0)
        return st;
    if (!a.sec || !a.msg)
        return usage("sign needs -s and -m");
    snprintf(sigpath, sizeof sigpath, "%s.minisig", a.msg);
    wh_minisign_seckey *sk = NULL;
    wh_minisign_sig *sig = malloc(sizeof *sig);
    wh_err e;
    int rc = sig ? 0 : wh_fail(&e, WH_E_NOMEM, NULL, -1, NULL);
    if (!rc)
        rc = load_seckey(&a, &sk, &e);
    if (!rc)
        rc = wh_minisign_sign_file(sig, sk, a.msg, a.trusted, a.comment,
                                   a.legacy ? WH_MINISIGN_LEGACY : 0, &e);
    if (!rc)
        rc = wh_minisign_sig_save(sig, a.sig ? a.sig : sigpath, &e);
    wh_minisign_seckey_free(sk);
    free(sig);
    return rc ? wh_cli_report(PROG, &e) : 0;
}

static int cmd_verify(int argc, char **argv)
{
    args a;
    char sigpath[4096];
    int st = parse(&a, PROG " verify", argc, argv);
    if (st >= 0)
        return st;
    if (!a.msg || (!a.pub == !a.pub_b64))
        return usage("verify needs -m and one of -p and -P");
    snprintf(sigpath, sizeof sigpath, "%s.minisig", a.msg);
    const char *sp = a.sig ? a.sig : sigpath;
    wh_minisign_pubkey pk;
    wh_minisign_sig *sig = malloc(sizeof *sig);
    wh_err e;
    int rc = sig ? 0 : wh_fail(&e, WH_E_NOMEM, NULL, -1, NULL);
    if (!rc)
        rc = a.pub ? wh_minisign_pubkey_load(&pk, a.pub, &e)
                   : wh_minisign_pubkey_from_base64(&pk, a.pub_b64,
                                                    strlen(a.pub_b64), &e);
    if (!rc)
        rc = wh_minisign_sig_load(sig, sp, &e);
    if (!rc)
        rc = wh_minisign_verify_file(sig, &pk, a.msg, sp,
                                     a.prehashed ? WH_MINISIGN_PREHASHED_ONLY : 0,
                                     &e);
    if (!rc)
        printf("%s\n", sig->trusted);
    free(sig);
    return rc ? wh_cli_report(PROG, &e) : 0;
}

static int cmd_pubkey(int argc, char **argv)
{
    args a;
    int st = parse(&a, PROG " pubkey", argc, argv);
    if (st >= 0)
        return st;
    if (!a.sec || !a.pub)
        return usage("pubkey needs -s and -p");
    wh_minisign_seckey *sk = NULL;
    wh_minisign_pubkey pk;
    wh_err e;
    int rc = load_seckey(&a, &sk, &e);
    if (!rc) {
        wh_minisign_seckey_public(sk, &pk);
        rc = wh_minisign_pubkey_save(&pk, a.comment, a.pub, &e);
    }
    wh_minisign_seckey_free(sk);
    return rc ? wh_cli_report(PROG, &e) : 0;
}

int main(int argc, char **argv)
{
    static const wh_cmd cmds[] = {
        { "keygen", cmd_keygen, "make a key pair" },
        { "sign", cmd_sign, "sign a file" },
        { "verify", cmd_verify, "verify a file's signature" },
        { "pubkey", cmd_pubkey, "recreate a public key from a secret key" },
        { NULL, NULL, NULL },
    };
    return wh_cli_dispatch(PROG, "minisign-format keys and signatures (tests)",
                           cmds, argc, argv);
}

/* cmd_sign.c - `wharf-index sign`: sign files with a minisign secret key.
 *
 * Publishers sign their .ferrpkg and bundle files with this (or with
 * minisign itself: the output is the same format), writing FILE.minisig
 * next to each file.  Signatures are the prehashed kind, so files of any
 * size are signed in constant memory.
 */
#include "indexer/indexer.h"

#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/minisign.h"

static const wh_opt opts[] = {
    { 's', "secret-key", "FILE", "secret key to sign with (default: repo.key)" },
    { 't', "trusted-comment", "TEXT", "trusted comment (default: timestamp and file name)" },
    { 'x', "signature", "FILE", "signature file to write (one FILE only; default: FILE.minisig)" },
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf-index sign [-s KEY] [-t TEXT] [-x SIG] FILE...";
static const char description[] =
    "Sign each FILE with a minisign secret key, writing FILE.minisig. An\n"
    "encrypted key's password is read from the terminal, or one line of\n"
    "standard input.";

static int sign_one(const wh_minisign_seckey *sk, const char *file,
                    const char *sigpath, const char *trusted, wh_err *err)
{
    char def[4096];
    if (!sigpath) {
        if (snprintf(def, sizeof def, "%s.minisig", file) >= (int)sizeof def)
            return wh_fail(err, WH_E_LIMIT, file, -1, "file name too long");
        sigpath = def;
    }
    wh_minisign_sig sig;
    int rc = wh_minisign_sign_file(&sig, sk, file, trusted, NULL, 0, err);
    if (rc == 0)
        rc = wh_minisign_sig_save(&sig, sigpath, err);
    return rc;
}

int cmd_sign(int argc, char **argv)
{
    const char *prog = "wharf-index sign", *key = "repo.key", *trusted = NULL,
               *sigpath = NULL;
    int c;
    wh_cli cli;
    wh_cli_init(&cli, prog, argc, argv);
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        switch (c) {
        case 's': key = cli.arg; break;
        case 't': trusted = cli.arg; break;
        case 'x': sigpath = cli.arg; break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, usage, description, opts);
            return WH_EXIT_OK;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    if (cli.argc == 0 || (sigpath && cli.argc > 1)) {
        snprintf(cli.msg, sizeof cli.msg, cli.argc == 0 ? "no file to sign"
                 : "-x names one signature file, but %d files were given",
                 cli.argc);
        return wh_cli_usage_error(&cli);
    }
    wh_err err;
    wh_minisign_seckey *sk = NULL;
    if (wh_cli_seckey_load(&sk, key, &err))
        return wh_cli_report(prog, &err);
    int status = WH_EXIT_OK;
    for (int i = 0; i < cli.argc; i++) {
        if (sign_one(sk, cli.argv[i], sigpath, trusted, &err)) {
            int s = wh_cli_report(prog, &err);
            if (status == WH_EXIT_OK)
                status = s;
        }
    }
    wh_minisign_seckey_free(sk);
    return status;
}

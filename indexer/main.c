/* main.c - wharf-index: the command table and process set-up.
 *
 * wharf-index turns a folder of module archives into a signed static site.
 * Each command lives in its own cmd_*.c with its options, help and a
 * cmd_*() entry point; this file only dispatches (git's git.c pattern),
 * and sets up the process: libcurl's global state, which `plugin install
 * --from http(s)://...` uses (common/fetch.c), is started here, once.
 */
#include "indexer/indexer.h"

#include <stdio.h>

#include <curl/curl.h>

#include "common/cli.h"
#include "common/fs.h"

static const wh_cmd commands[] = {
    { "keygen", cmd_keygen, "create a repository signing key pair" },
    { "sign",   cmd_sign,   "sign files with a repository or publisher key" },
    { "build",  cmd_build,  "index a folder of packages into a signed site" },
    { "verify", cmd_verify, "check a site's signature, expiry and packages" },
    { "catalogue", cmd_catalogue, "render a site's HTML catalogue again" },
    { "rotate", cmd_rotate, "hand a site over to a new repository key" },
    { "plugin", cmd_plugin, "install, enable and configure build plugins" },
    { NULL, NULL, NULL }
};

int main(int argc, char **argv)
{
    wh_fs_fault_arm(-1);   /* WHARF_FS_FAULT, for failure-injection tests */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "wharf-index: cannot start libcurl\n");
        return WH_EXIT_ERROR;
    }
    int rc = wh_cli_dispatch("wharf-index",
        "Build a signed static index of WebAssembly module archives.",
        commands, argc, argv);
    curl_global_cleanup();
    return rc;
}

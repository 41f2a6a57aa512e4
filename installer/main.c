/* main.c - wharf-commands, the full wharf: the command table and process
 * set-up.  bin/wharf (front.c) runs `wharf run` itself and replaces itself
 * with this program for every other command, so what is here may load
 * libcurl and libarchive without slowing a module's start.
 *
 * wharf installs modules from a signed wharf index and runs them.  Each
 * command lives in its own cmd_*.c; this file only dispatches.  Options
 * every command takes (installer.h, INS_OPTS_COMMON) may come before the
 * command's name too ("wharf --home /mnt/w trust list"): they are moved
 * after it, where the command's own option table reads them.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "common/fs.h"

static const wh_cmd commands[] = {
    { "trust",          cmd_trust,          "manage the repository keys wharf trusts" },
    { "source",         cmd_source,         "manage where wharf finds repositories" },
    { "update",         cmd_update,         "fetch and verify each source's signed index" },
    { "search",         cmd_search,         "search the sources' modules" },
    { "info",           cmd_info,           "show a module's versions, dependencies and details" },
    { "install",        cmd_install,        "install modules and their dependencies" },
    { "uninstall",      cmd_uninstall,      "remove installed modules" },
    { "list",           cmd_list,           "list the installed modules" },
    { "outdated",       cmd_outdated,       "list installed modules with newer versions" },
    { "upgrade",        cmd_upgrade,        "upgrade installed modules to the newest versions that fit" },
    { "verify",         cmd_verify,         "check every installed file against what was installed" },
    { "lock",           cmd_lock,           "write wharf.lock: exact versions and hashes of what is installed" },
    { "mirror",         cmd_mirror,         "copy a source into a folder that is itself a source" },
    { "run",            cmd_run,            "run an installed module in wasmrt under limits and grants" },
    { "pack",           cmd_pack,           "pack a module into a .ferrpkg or a plugin bundle" },
    { "verify-package", cmd_verify_package, "verify a package file as Ferrite would" },
    { "par",            cmd_par,            "create, extend and inspect wasmCloud provider archives" },
    { "publish",        cmd_publish,        "copy verified packages into a repository folder" },
    { NULL, NULL, NULL }
};

int main(int argc, char **argv)
{
    wh_fs_fault_arm(-1);   /* WHARF_FS_FAULT, for failure-injection tests */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "wharf: cannot start libcurl\n");
        return WH_EXIT_ERROR;
    }
    ins_hoist_options(argc, argv);
    int rc = wh_cli_dispatch("wharf",
        "Install WebAssembly modules from a signed wharf index and run them.",
        commands, argc, argv);
    curl_global_cleanup();
    return rc;
}

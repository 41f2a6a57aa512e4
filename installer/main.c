/* main.c - wharf: the command table and process set-up.
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
    { "trust",     cmd_trust,      "manage the repository keys wharf trusts" },
    { "source",    cmd_source,     "manage where wharf finds repositories" },
    { "update",    cmd_update,     "fetch and verify each source's signed index" },
    { "search",    cmd_search,     "search the sources' modules" },
    { "info",      cmd_info,       "show a module's versions, dependencies and details" },
    { "install",   cmd_install,    "install modules and their dependencies" },
    { "uninstall", cmd_uninstall,  "remove installed modules" },
    { "list",      cmd_list,       "list the installed modules" },
    { "outdated",  cmd_outdated,   "list installed modules with newer versions" },
    { "upgrade",   cmd_upgrade,    "upgrade installed modules to the newest versions that fit" },
    { "verify",    cmd_verify,     "check every installed file against what was installed" },
    { "lock",      cmd_lock,       "write wharf.lock: exact versions and hashes of what is installed" },
    { "mirror",    cmd_mirror,     "copy a source into a folder that is itself a source" },
    { NULL, NULL, NULL }
};

/* Options that take a value, as they may appear before the command
 * (the shared ones: installer.h). */
static int takes_value(const char *a)
{
    return !strcmp(a, "--home") || !strcmp(a, "--from") || !strcmp(a, "--timeout");
}

/* Move the options before the command's name to just after it. */
static void hoist_options(int argc, char **argv)
{
    int i = 1;
    while (i < argc && argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--") &&
           strcmp(argv[i], "--help") && strcmp(argv[i], "-h") &&
           strcmp(argv[i], "--version"))
        i += takes_value(argv[i]) && i + 1 < argc ? 2 : 1;
    if (i == 1 || i >= argc)
        return;
    char *cmd = argv[i];             /* argv[1..i) are options: rotate */
    memmove(argv + 2, argv + 1, (size_t)(i - 1) * sizeof *argv);
    argv[1] = cmd;
}

int main(int argc, char **argv)
{
    wh_fs_fault_arm(-1);   /* WHARF_FS_FAULT, for failure-injection tests */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "wharf: cannot start libcurl\n");
        return WH_EXIT_ERROR;
    }
    hoist_options(argc, argv);
    int rc = wh_cli_dispatch("wharf",
        "Install WebAssembly modules from a signed wharf index and run them.",
        commands, argc, argv);
    curl_global_cleanup();
    return rc;
}

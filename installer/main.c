/* main.c - wharf: the command table and process set-up.
 *
 * wharf installs modules from a signed wharf index and runs them.  Its
 * commands (trust, install, run, ...) arrive with the installer steps; the
 * table below is where each registers.
 */
#include "common/cli.h"
#include "common/fs.h"

static const wh_cmd commands[] = {
    { NULL, NULL, NULL }
};

int main(int argc, char **argv)
{
    wh_fs_fault_arm(-1);   /* WHARF_FS_FAULT, for failure-injection tests */
    return wh_cli_dispatch("wharf",
        "Install WebAssembly modules from a signed wharf index and run them.",
        commands, argc, argv);
}

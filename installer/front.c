/* front.c - the `wharf` program itself: `wharf run` in this small
 * process, every other command handed to the full one.
 *
 * A UDF is called per request, so `wharf run` must start about as fast as
 * `wasmrt --invoke` (docs/performance.md, "wharf run").  Loading a
 * program costs what its shared libraries cost, and the installer's are
 * heavy: libcurl with its TLS, LDAP and Kerberos libraries, libarchive
 * with libxml2 and ICU; about 6 ms of every start on the 2-core bench
 * machine, against 1 ms for wasmrt.  So `wharf` is linked with only what
 * running an installed module needs (cmd_run.c, its host API, grants and
 * store, the installed state; wasmrt, jansson, libsodium, libcrypto), and
 * for any other command it replaces itself (execv, the same pid, the same
 * arguments) with `wharf-commands`, the full program (main.c), found at
 * ../libexec/wharf/ from this program's own path: BUILD/bin and
 * BUILD/libexec in the build tree, PREFIX/bin and PREFIX/libexec once
 * installed.  Options before the command's name are moved after it here
 * first, so `wharf --home H run ...` runs here too.
 *
 * Tests: every tests/cli/t2*.sh goes through here; t2000-wharf-cli.sh
 * checks the hand-over.
 */
#include "installer/installer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"

#define COMMANDS_REL "../libexec/wharf/wharf-commands"

/* dir of this program + "/" COMMANDS_REL into out. */
static int commands_path(const char *argv0, char *out, size_t n)
{
    char self[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k > 0)
        self[k] = '\0';
    else if (snprintf(self, sizeof self, "%s", argv0) >= (int)sizeof self)
        return -1;
    char *slash = strrchr(self, '/');
    if (!slash)
        return snprintf(out, n, "%s", COMMANDS_REL) >= (int)n ? -1 : 0;
    *slash = '\0';
    return snprintf(out, n, "%s/%s", self, COMMANDS_REL) >= (int)n ? -1 : 0;
}

int main(int argc, char **argv)
{
    char path[PATH_MAX];
    ins_hoist_options(argc, argv);
    if (argc > 1 && strcmp(argv[1], "run") == 0) {
        wh_fs_fault_arm(-1);   /* WHARF_FS_FAULT, for failure-injection tests */
        return cmd_run(argc - 1, argv + 1);
    }
    if (commands_path(argv[0], path, sizeof path) == 0)
        execv(path, argv);
    fprintf(stderr, "wharf: cannot run %s: %s\n", path, strerror(errno));
    return WH_EXIT_ERROR;
}

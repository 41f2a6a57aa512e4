/* args.c - prints its arguments and environment, then exits with the
 * status named by the variable EXIT (0 when unset).
 *
 * Shows what `wasmrt --env NAME=VALUE FILE.wasm ARGS...` hands the guest:
 * argv[0] is the module's file name, the environment is empty unless
 * --env adds to it.  Used by tests/cli/t0011-wasmrt-wasi.sh.
 */
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    int n = 0;
    for (char **e = environ; *e; e++, n++)
        printf("env: %s\n", *e);
    printf("%d variables\n", n);
    const char *status = getenv("EXIT");
    return status ? atoi(status) : 0;
}

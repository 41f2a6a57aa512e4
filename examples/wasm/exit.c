/* exit.c - calls WASI proc_exit directly with the status in argv[1], in
 * the middle of the program (its output before that still appears). */
#include <stdio.h>
#include <stdlib.h>
#include <wasi/api.h>

int main(int argc, char **argv)
{
    printf("exiting with %s\n", argc > 1 ? argv[1] : "0");
    fflush(stdout);
    __wasi_proc_exit((__wasi_exitcode_t)strtoul(argc > 1 ? argv[1] : "0", NULL, 0));
    printf("not reached\n");
    return 99;
}

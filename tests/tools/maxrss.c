/* maxrss.c - test tool: run a command and report its peak memory.
 *
 *   maxrss OUT CMD [ARG...]
 *   maxrss --asan      prints 1 when built with AddressSanitizer (whose
 *                      shadow memory inflates every figure), else 0
 *
 * runs CMD, writes the peak resident set of CMD (and any child it waited
 * for: getrusage(RUSAGE_CHILDREN) after wait) in KiB to the file OUT, and
 * exits with CMD's status (128 + N for a signal).  Tests use it to bound
 * the memory of a whole command, e.g. `wharf-index build` on a package
 * built to be expensive to validate.
 *
 * Tests: tests/cli/t1105-wharf-index-memory.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "tests/tools/asan.h"

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--asan") == 0) {
        printf("%d\n", ASAN);
        return 0;
    }
    if (argc < 3) {
        fprintf(stderr, "maxrss: usage: maxrss OUT CMD [ARG...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("maxrss: fork");
        return 1;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror("maxrss: exec");
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0) {
        perror("maxrss: wait");
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    FILE *f = fopen(argv[1], "w");
    if (!f || fprintf(f, "%ld\n", ru.ru_maxrss) < 0 || fclose(f) != 0) {
        perror("maxrss: write");
        return 1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

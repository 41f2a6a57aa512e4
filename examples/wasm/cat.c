/* cat.c - copies the files named on its command line to stdout.
 *
 * "-" is standard input.  Files must lie in a directory preopened with
 * --dir; errors print what the guest's C library made of the WASI errno,
 * and the exit status is 1 when a file could not be read.  Used by tests/cli/
 * t0011-wasmrt-wasi.sh and t0012-wasmrt-escape.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int cat(const char *path)
{
    char buf[4096];
    ssize_t n;
    int fd = strcmp(path, "-") ? open(path, O_RDONLY) : 0;
    if (fd < 0) {
        fprintf(stderr, "cat: %s: %s\n", path, strerror(errno));
        return 1;
    }
    while ((n = read(fd, buf, sizeof buf)) > 0)
        if (write(1, buf, (size_t)n) != n)
            return 1;
    if (n < 0)
        fprintf(stderr, "cat: %s: %s\n", path, strerror(errno));
    if (fd != 0)
        close(fd);
    return n < 0;
}

int main(int argc, char **argv)
{
    int rc = 0;
    for (int i = 1; i < argc; i++)
        rc |= cat(argv[i]);
    return rc;
}

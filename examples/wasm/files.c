/* files.c - the file operations a WASI command may do inside its
 * preopened directory, printed so a test can compare them exactly:
 * create and write a file, seek and tell, read it back, stat it through
 * the fd and through the path, list the directory (sorted), and show
 * the preopened directory's name; and what a call outside wasmrt's
 * subset (mkdir) returns.
 *
 * Run as `wasmrt --dir HOST::/sandbox files.wasm /sandbox`.  Used by
 * tests/cli/t0011-wasmrt-wasi.sh.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int fail(const char *what)
{
    printf("%s: %s\n", what, strerror(errno));
    return 1;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list(const char *dir)
{
    char *names[64];
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return fail("opendir");
    while ((de = readdir(d)) && n < 64)
        names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp);
    for (int i = 0; i < n; i++) {
        printf("entry %s\n", names[i]);
        free(names[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    char path[256], buf[64];
    struct stat st;
    char name[64] = "";

    if (__wasi_fd_prestat_dir_name(3, (uint8_t *)name, sizeof name - 1) == 0)
        printf("preopen 3: %s\n", name);
    snprintf(path, sizeof path, "%s/new.txt", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fail("open new.txt");
    if (write(fd, "0123456789", 10) != 10)
        return fail("write");
    printf("tell after write: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    printf("seek to 3: %ld\n", (long)lseek(fd, 3, SEEK_SET));
    ssize_t n = read(fd, buf, 4);
    printf("read %zd: %.4s\n", n, buf);
    printf("seek end-2: %ld\n", (long)lseek(fd, -2, SEEK_END));
    if (fstat(fd, &st))
        return fail("fstat");
    printf("fstat: size %lld, regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    close(fd);
    if (stat(path, &st))
        return fail("stat");
    printf("stat: size %lld\n", (long long)st.st_size);
    snprintf(path, sizeof path, "%s/sub", dir);
    if (stat(path, &st))
        return fail("stat sub");
    printf("stat sub: directory %d\n", S_ISDIR(st.st_mode));
    snprintf(path, sizeof path, "%s/missing", dir);
    if (open(path, O_RDONLY) < 0)
        printf("open missing: %s\n", strerror(errno));
    if (read(42, buf, 1) < 0)
        printf("read fd 42: %s\n", strerror(errno));
    snprintf(path, sizeof path, "%s/newdir", dir);
    if (mkdir(path, 0755) < 0)      /* not in wasmrt's subset: ENOSYS */
        printf("mkdir: %s\n", strerror(errno));
    return list(dir);
}

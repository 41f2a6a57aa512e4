/* escape.c - tries to reach files outside its preopened directory and
 * prints what WASI answered, one line per path given on the command line.
 *
 * It talks to WASI directly (no C library path handling in between), from
 * the first preopened directory, fd 3:
 *   path_open without and with LOOKUP_SYMLINK_FOLLOW, and
 *   path_filestat_get with LOOKUP_SYMLINK_FOLLOW.
 * A path starting with '+' is opened for writing with O_CREAT instead,
 * to show that nothing is created outside either.  A successful open
 * prints the file's first line.  Used by tests/cli/t0012-wasmrt-escape.sh.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

static const char *errname(__wasi_errno_t e)
{
    switch (e) {
    case __WASI_ERRNO_SUCCESS: return "ok";
    case __WASI_ERRNO_NOTCAPABLE: return "ENOTCAPABLE";
    case __WASI_ERRNO_NOENT: return "ENOENT";
    case __WASI_ERRNO_LOOP: return "ELOOP";
    case __WASI_ERRNO_NOTDIR: return "ENOTDIR";
    case __WASI_ERRNO_ISDIR: return "EISDIR";
    case __WASI_ERRNO_EXIST: return "EEXIST";
    case __WASI_ERRNO_INVAL: return "EINVAL";
    case __WASI_ERRNO_NAMETOOLONG: return "ENAMETOOLONG";
    case __WASI_ERRNO_BADF: return "EBADF";
    case __WASI_ERRNO_ACCES: return "EACCES";
    }
    return "other";
}

/* Open path and print its first line (or the errno). */
static void try_open(const char *what, const char *path, int flags, int create)
{
    __wasi_rights_t r = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK |
                        __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET;
    __wasi_fd_t fd;
    if (create)
        r |= __WASI_RIGHTS_FD_WRITE;
    __wasi_errno_t e = __wasi_path_open(3, flags, path,
                                        create ? __WASI_OFLAGS_CREAT : 0,
                                        r, r, 0, &fd);
    printf("  %s: %s", what, errname(e));
    if (e == 0) {
        char line[128] = "";
        ssize_t n = create ? write(fd, "created\n", 8) : read(fd, line, sizeof line - 1);
        if (!create && n > 0) {
            line[n] = '\0';
            line[strcspn(line, "\n")] = '\0';
            printf(" \"%s\"", line);
        }
        close(fd);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *path = argv[i];
        int create = path[0] == '+';
        path += create;
        printf("%s%s\n", create ? "create " : "", path);
        if (create) {
            try_open("open", path, 0, 1);
            continue;
        }
        try_open("open", path, 0, 0);
        try_open("open, follow", path, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        __wasi_filestat_t st;
        __wasi_errno_t e = __wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW,
                                                    path, &st);
        printf("  stat, follow: %s", errname(e));
        if (e == 0)
            printf(" (%s, %llu bytes)", st.filetype == __WASI_FILETYPE_DIRECTORY
                   ? "directory" : "file", (unsigned long long)st.size);
        printf("\n");
    }
    return 0;
}

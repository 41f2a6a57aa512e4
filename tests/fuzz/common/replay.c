/* replay.c - a main for fuzz targets built without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on each file named, or on every regular
 * file of each directory named (not recursing; sorted, so runs repeat).
 *
 *   replay-NAME [-v] FILE|DIR...
 *
 * Each input gets a malloc'd buffer of exactly its size, so that under
 * AddressSanitizer a read one byte past the input is caught as it is by
 * libFuzzer.  -v prints each file's name before running it (which input
 * crashed?) and, under AddressSanitizer, checks for leaks after each
 * one, since LeakSanitizer otherwise reports only at exit, naming no
 * input.  Prints "replay-NAME: N inputs" and exits 0; a missing
 * argument is exit 2; a finding aborts.  A named directory that does not
 * exist counts as empty (tests/regress/NAME/ may not exist yet).
 *
 * Tests: tests/conformance/regress.sh.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/common/fuzz.h"

/* LeakSanitizer's interface, when the build has it (gcc says so with
 * __SANITIZE_ADDRESS__, clang with __has_feature). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REPLAY_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define REPLAY_LSAN 1
#endif
#ifdef REPLAY_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* A target may leave LLVMFuzzerInitialize out: weak, then NULL. */
#pragma weak LLVMFuzzerInitialize

/* The whole of path in a buffer of exactly its size (1 byte for an empty
 * file, so that malloc(0) does not return NULL; the size passed is 0). */
static uint8_t *replay_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && st.st_size >= 0) {
        *len = (size_t)st.st_size;
        buf = malloc(*len ? *len : 1);
        if (buf && fread(buf, 1, *len, f) != *len) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

static int replay_file(const char *path, int verbose)
{
    size_t len = 0;
    uint8_t *buf = replay_slurp(path, &len);
    if (!buf) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (verbose)
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
#ifdef REPLAY_LSAN
    if (verbose && __lsan_do_recoverable_leak_check()) {
        fprintf(stderr, "replay: %s: leaked memory (above)\n", path);
        abort();
    }
#endif
    return 0;
}

static int replay_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir, sorted: a malloc'd array of *n paths. */
static char **replay_list(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (*n == cap && !(v = realloc(v, (cap = cap * 2 + 64) * sizeof *v)))
            abort();
        if (!(v[(*n)++] = strdup(path)))
            abort();
    }
    if (d)
        closedir(d);
    if (*n)
        qsort(v, *n, sizeof *v, replay_cmp);
    return v;
}

/* Replay one argument; returns the inputs run, or -1 on an I/O error. */
static long replay_arg(const char *arg, int verbose)
{
    struct stat st;
    if (stat(arg, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return replay_file(arg, verbose) == 0 ? 1 : -1;
    size_t n;
    char **v = replay_list(arg, &n);
    long done = 0;
    for (size_t i = 0; i < n; i++) {
        if (done >= 0 && replay_file(v[i], verbose) == 0)
            done++;
        else
            done = -1;
        free(v[i]);
    }
    free(v);
    return done;
}

int main(int argc, char **argv)
{
    const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1
                                             : argv[0];
    int verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    if (argc < 2 + verbose) {
        fprintf(stderr, "usage: %s [-v] FILE|DIR...\n", self);
        return 2;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    long total = 0;
    for (int i = 1 + verbose; i < argc; i++) {
        long n = replay_arg(argv[i], verbose);
        if (n < 0)
            return 1;
        total += n;
    }
    printf("%s: %ld inputs\n", self, total);
    return 0;
}

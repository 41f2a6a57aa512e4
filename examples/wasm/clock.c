/* clock.c - clocks, sleeping (poll_oneoff), random bytes and
 * sched_yield seen from a WASI command; prints "ok" or what failed, so
 * the output does not depend on the time of day.  With an argument N it
 * sleeps N milliseconds first (tests/cli/t0013-wasmrt-limits.sh uses that
 * against --timeout).  Used by tests/cli/t0011-wasmrt-wasi.sh.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (long long)t.tv_sec * 1000000000 + t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        long ms = atol(argv[1]);
        struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
        nanosleep(&t, NULL);
        printf("slept %ld ms\n", ms);
        return 0;
    }
    long long t0 = ns(CLOCK_MONOTONIC);
    struct timespec ten = {0, 10000000};
    printf("nanosleep: %s\n", nanosleep(&ten, NULL) == 0 ? "ok" : "failed");
    long long dt = ns(CLOCK_MONOTONIC) - t0;
    printf("slept at least 10 ms: %s\n", dt >= 10000000 ? "ok" : "no");
    printf("realtime after 2020: %s\n", ns(CLOCK_REALTIME) > 1577836800LL * 1000000000 ? "ok" : "no");
    struct timespec res;
    printf("clock_getres: %s\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 ? "ok" : "failed");
    unsigned char a[32], b[32];
    printf("getentropy: %s\n", getentropy(a, sizeof a) == 0 && getentropy(b, sizeof b) == 0 &&
           memcmp(a, b, sizeof a) != 0 ? "ok" : "failed");
    printf("sched_yield: %s\n", sched_yield() == 0 ? "ok" : "failed");
    return 0;
}

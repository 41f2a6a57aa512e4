/* fannkuch.c - benchmark: fannkuch-redux, written for wharf's wasmrt
 * benchmark (tests/bench/wasm.sh).
 *
 * For every permutation of 1..n (generated in a fixed order by counting
 * rotations), repeatedly reverse the first k elements where k is the
 * first element, until it is 1; report a checksum (alternately adding
 * and subtracting the flip counts) and the largest count.  Small arrays,
 * byte loads and stores, tight loops and unpredictable branches.
 * Runs REPEAT times (each run prints, so none can be optimised away).
 * Usage: fannkuch [N [REPEAT]]
 */
#include <stdio.h>
#include <stdlib.h>

#define MAXN 16

static void fannkuch(int n)
{
    int perm[MAXN], cur[MAXN], count[MAXN];
    long checksum = 0;
    int maxflips = 0, sign = 1;
    for (int i = 0; i < n; i++)
        cur[i] = i;
    for (int r = n;;) {
        for (; r > 1; r--)
            count[r - 1] = r;
        /* count the flips of this permutation */
        for (int i = 0; i < n; i++)
            perm[i] = cur[i];
        int flips = 0;
        for (int k = perm[0]; k != 0; k = perm[0]) {
            for (int i = 0, j = k; i < j; i++, j--) {
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            flips++;
        }
        if (flips > maxflips)
            maxflips = flips;
        checksum += sign * flips;
        sign = -sign;
        /* the next permutation: rotate the first r + 1 elements */
        for (;; r++) {
            if (r == n) {
                printf("%ld\nPfannkuchen(%d) = %d\n", checksum, n, maxflips);
                return;
            }
            int first = cur[0];
            for (int i = 0; i < r; i++)
                cur[i] = cur[i + 1];
            cur[r] = first;
            if (--count[r] > 0)
                break;
        }
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int repeat = argc > 2 ? atoi(argv[2]) : 3;
    if (n < 3 || n > 12)
        return 2;
    for (int i = 0; i < repeat; i++)
        fannkuch(n);
    return 0;
}

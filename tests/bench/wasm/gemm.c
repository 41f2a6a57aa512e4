/* gemm.c - benchmark: a PolyBench-style dense kernel, C = alpha*A*B +
 * beta*C in double precision, written for wharf's wasmrt benchmark
 * (tests/bench/wasm.sh).
 *
 * Memory-streaming floating-point multiply-adds (the i-k-j loop order of
 * PolyBench's gemm).  Initialisation as PolyBench does it; prints the sum
 * of C, computed in a fixed order, so native and wasm32 agree.
 * Usage: gemm [N]
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1200;
    double alpha = 1.5, beta = 1.2, sum = 0;
    double *a = malloc(sizeof(double) * (size_t)n * (size_t)n);
    double *b = malloc(sizeof(double) * (size_t)n * (size_t)n);
    double *c = malloc(sizeof(double) * (size_t)n * (size_t)n);
    if (n < 1 || !a || !b || !c)
        return 2;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            a[i * n + j] = (double)((i * j + 1) % n) / n;
            b[i * n + j] = (double)((i * (j + 1) + 2) % n) / n;
            c[i * n + j] = (double)((i * (j + 2) + 3) % n) / n;
        }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++)
            c[i * n + j] *= beta;
        for (int k = 0; k < n; k++) {
            double t = alpha * a[i * n + k];
            for (int j = 0; j < n; j++)
                c[i * n + j] += t * b[k * n + j];
        }
    }
    for (int i = 0; i < n * n; i++)
        sum += c[i];
    printf("%.6f\n", sum);
    free(a);
    free(b);
    free(c);
    return 0;
}

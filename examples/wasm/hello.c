/* hello.c - the smallest WASI command: prints a greeting.
 *
 * Built at test time with clang --target=wasm32-wasi (tests/cli/
 * t0011-wasmrt-wasi.sh) and run as `wasmrt hello.wasm`.
 */
#include <stdio.h>

int main(void)
{
    printf("hello, world\n");
    return 0;
}

/* main.c - the wasmrt command (placeholder until the interpreter lands). */
#include <stdio.h>

#include "wasmrt.h"

int main(void)
{
    fprintf(stderr, "wasmrt %s: the interpreter is not built yet\n", wr_version());
    return 1;
}

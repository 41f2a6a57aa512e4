/* wh-hash.c - test tool: print SHA-256 of files as sha256sum does
 * ("<hex>  <path>"), through common/sha256.c, so tests and make bench can
 * compare the two byte for byte and second for second. */
#include <stdio.h>

#include "common/cli.h"
#include "common/hex.h"
#include "common/sha256.h"

int main(int argc, char **argv)
{
    int status = 0;
    for (int i = 1; i < argc; i++) {
        uint8_t d[WH_SHA256_BYTES];
        char hex[WH_SHA256_HEX];
        wh_err e;
        if (wh_sha256_file(argv[i], d, NULL, &e)) {
            status = wh_cli_report("wh-hash", &e);
            continue;
        }
        wh_hex_encode(hex, d, sizeof d, 0);
        printf("%s  %s\n", hex, argv[i]);
    }
    return status;
}

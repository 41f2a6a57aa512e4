/* mkrepo.c - test tool: a folder of many small .ferrpkg files, the
 * repository tests/bench/scale.sh indexes at 10^3 ... 10^6 versions.
 *
 *   mkrepo DIR MODULES VERSIONS
 *
 * Writes MODULES x VERSIONS packages as Ferrite writes them (mkpkg's
 * format: "FPKG", u32le header length, compact JSON header, the module),
 * DIR/NNNN/mMMMMMMM-1.0.V.ferrpkg, a thousand files a folder.  Module i
 * is "m%07d" with versions 1.0.0 ... 1.0.(VERSIONS-1); modules come in
 * chains of 50: each but the last of a chain depends on the next ("^1"),
 * so installing the first of a chain resolves a 50-module closure.  The
 * module is the 31-byte one of scale.sh, so the index record dominates.
 * Fixed contents and times: the same arguments give the same files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "common/pkg.h"

static const unsigned char wasm[] = {
    0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0,
    7, 7, 1, 3, 'r', 'u', 'n', 0, 0, 10, 4, 1, 2, 0, 11,
};

#define CHAIN 50

static int write_pkg(const char *path, long mod, long ver, const char *sum)
{
    char hdr[512], deps[64] = "";
    if (mod % CHAIN != CHAIN - 1)
        snprintf(deps, sizeof deps, ",\"dependencies\":{\"m%07ld\":\"^1\"}", mod + 1);
    int n = snprintf(hdr, sizeof hdr, "{\"name\":\"m%07ld\",\"version\":\"1.0.%ld\","
                     "\"author\":\"Ada\",\"description\":\"module %ld of the scale "
                     "bench\",\"license\":\"MIT\",\"checksum\":\"%s\",\"wasm_size\":%zu%s}",
                     mod, ver, mod, sum, sizeof wasm, deps);
    unsigned char len[4] = { (unsigned char)n, (unsigned char)(n >> 8),
                             (unsigned char)(n >> 16), (unsigned char)(n >> 24) };
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fwrite("FPKG", 1, 4, f);
    fwrite(len, 1, 4, f);
    fwrite(hdr, 1, (size_t)n, f);
    fwrite(wasm, 1, sizeof wasm, f);
    if (fclose(f) != 0)
        return -1;
    struct timeval tv[2] = { { 1600000000, 0 }, { 1600000000, 0 } };
    return utimes(path, tv);
}

int main(int argc, char **argv)
{
    char sum[33], path[4096];
    if (argc != 4) {
        fprintf(stderr, "usage: mkrepo DIR MODULES VERSIONS\n");
        return 2;
    }
    long mods = atol(argv[2]), vers = atol(argv[3]), k = 0;
    if (mods < 1 || vers < 1) {
        fprintf(stderr, "mkrepo: MODULES and VERSIONS must be positive\n");
        return 2;
    }
    wh_ferrite_checksum(wasm, sizeof wasm, sum);
    for (long m = 0; m < mods; m++)
        for (long v = 0; v < vers; v++, k++) {
            snprintf(path, sizeof path, "%s/%04ld", argv[1], k / 1000);
            if (k % 1000 == 0 && mkdir(path, 0755) != 0 && errno != EEXIST) {
                perror(path);
                return 1;
            }
            snprintf(path, sizeof path, "%s/%04ld/m%07ld-1.0.%ld.ferrpkg", argv[1],
                     k / 1000, m, v);
            if (write_pkg(path, m, v, sum) != 0) {
                perror(path);
                return 1;
            }
        }
    return 0;
}

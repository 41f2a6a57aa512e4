/* fuzz.c - wasmCloud provider archives, tar or gzip: read by wh_par_read
 * (common/pkg_par.c) and then used as the indexer and the installer use
 * a package (read again whole, unpacked for three targets, described,
 * written as canonical JSON; tests/fuzz/common/pkg_fuzz.c has the
 * checks); loaded by wh_par_load, the reader of `wharf par inspect` and
 * `insert` (common/par_write.c); and inflated by wh_gunzip (common/gzip.c,
 * the reader of index.json.gz), whose output must deflate and inflate
 * back to itself.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/par/).
 */
#include <string.h>

#include "common/gzip.h"
#include "common/par_write.h"
#include "tests/fuzz/common/fuzz.h"
#include "tests/fuzz/common/pkg_fuzz.h"

#define PF_GUNZIP_MAX   ((size_t)1 << 20)  /* bytes inflated */
#define PF_REGZIP_MAX   ((size_t)64 << 10) /* bytes deflated again */

static void pf_load(const uint8_t *data, size_t size)
{
    static wh_par_archive a;     /* 256 entries: too big for the stack */
    wh_err err;
    if (wh_par_load("f.par", data, size, &a, &err) != 0) {
        FUZZ_ASSERT(err.code != 0 && err.reason[0]);
        return;
    }
    FUZZ_ASSERT(a.n <= WH_PAR_MAX_ENTRIES && a.claims);
    wh_par_archive_free(&a);
}

static void pf_regzip(const unsigned char *raw, size_t n)
{
    unsigned char *z, *back;
    size_t zlen, blen;
    wh_err err;
    if (n > PF_REGZIP_MAX || wh_gzip(raw, n, &z, &zlen, &err) != 0)
        return;
    FUZZ_ASSERT(wh_gunzip(z, zlen, n, &back, &blen, &err) == 0);
    FUZZ_ASSERT(blen == n && memcmp(back, raw, n) == 0);
    free(back);
    free(z);
}

static void pf_gunzip(const uint8_t *data, size_t size)
{
    unsigned char *raw;
    size_t n;
    wh_err err;
    if (wh_gunzip(data, size, PF_GUNZIP_MAX, &raw, &n, &err) != 0) {
        FUZZ_ASSERT(err.code == WH_E_FORMAT || err.code == WH_E_LIMIT ||
                    err.code == WH_E_NOMEM);
        return;
    }
    FUZZ_ASSERT(n <= PF_GUNZIP_MAX && raw[n] == '\0');
    pf_regzip(raw, n);
    free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_pkg(wh_par_read, data, size);
    pf_load(data, size);
    pf_gunzip(data, size);
    return 0;
}

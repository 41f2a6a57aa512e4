/* fuzz.c - plugin bundles, zip (common/pkg_bundle.c),
 * read by wh_bundle_read, then used as the indexer and the installer use a
 * package (read again whole, unpacked for three targets, described,
 * written as canonical JSON); tests/fuzz/common/pkg_fuzz.c has the
 * checks.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/bundle/).
 */
#include "tests/fuzz/common/fuzz.h"
#include "tests/fuzz/common/pkg_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_pkg(wh_bundle_read, data, size);
    return 0;
}

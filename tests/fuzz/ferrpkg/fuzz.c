/* fuzz.c - Ferrite's .ferrpkg packages (common/pkg_ferrpkg.c),
 * read by wh_ferrpkg_read, then used as the indexer and the installer use a
 * package (read again whole, unpacked for three targets, described,
 * written as canonical JSON); tests/fuzz/common/pkg_fuzz.c has the
 * checks.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/ferrpkg/).
 */
#include "tests/fuzz/common/fuzz.h"
#include "tests/fuzz/common/pkg_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_pkg(wh_ferrpkg_read, data, size);
    return 0;
}

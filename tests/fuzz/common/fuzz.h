/* fuzz.h - the contract between a fuzz target and its two drivers.
 *
 * A target is tests/fuzz/NAME/fuzz.c defining LLVMFuzzerTestOneInput()
 * (and, when it needs one-time set-up, LLVMFuzzerInitialize()).  It is
 * linked twice (tests/fuzz/fuzz.mk):
 *
 *   BUILD/fuzz/NAME         clang -fsanitize=fuzzer,address,undefined:
 *                           libFuzzer's main mutates inputs
 *   BUILD/fuzz/replay-NAME  the normal compiler and flags plus replay.c,
 *                           a main that feeds every file it is given once
 *                           (make check: tests/regress/NAME/ and the
 *                           seed corpus)
 *
 * so a target uses nothing but the C library, wharf's libraries and this
 * header.  It must return 0, never exit or abort on bad input (that is the
 * code under test's job to refuse), free everything it allocated (leaks
 * are findings), and bound its own work: small fuel, small memory caps,
 * no file or network I/O outside a private temporary directory.  A
 * property the code promises (a round trip, an error that names its
 * file) is checked with FUZZ_ASSERT, which aborts: a finding.
 *
 * Tests: tests/conformance/regress.sh (replays, short fuzz runs).
 */
#ifndef WH_FUZZ_H
#define WH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Abort with the failed condition and its place: libFuzzer saves the
 * input as a crash; replay stops naming the file. */
#define FUZZ_ASSERT(cond)                                                   \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n",           \
                    __FILE__, __LINE__, #cond);                             \
            abort();                                                        \
        }                                                                   \
    } while (0)

#endif

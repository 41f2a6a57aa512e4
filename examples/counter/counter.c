/* counter.c - a Ferrite UDF with a side effect: count hits of a key.
 *
 *     hit(len) -> the key's new count, or -1
 *
 * The input ferrite_buffer[0..len) is the key (1..256 bytes; the buffer
 * convention, ferrite.h).  hit() increments it with ferrite.incr, which
 * needs a WRITE grant for the key: run it with `--write 'hits:*'` and
 * the input `hits:home`, say.  The result is the count after this hit
 * (a count above 2^31-1 is returned as 2^31-1; one below 0, possible if
 * someone stored a negative number there, as 0), or -1 when the key is
 * empty or too long or incr fails: denied, or the value is not an
 * integer.
 *
 * Imports ferrite.incr only.  Built by the Makefile as
 * BUILD/examples/counter.wasm.
 *
 * Tests: tests/cli/t2025-examples.sh.
 */
#include "../ferrite.h"

FERRITE_BUFFER(256)

FERRITE_EXPORT("hit") int32_t hit(int32_t len)
{
    int64_t n;

    if (!FERRITE_LEN_OK(len) || len == 0)
        return -1;
    n = ferrite_incr(ferrite_buffer, len);
    if (n == INT64_MIN)
        return -1;
    if (n > INT32_MAX)
        return INT32_MAX;
    return n < 0 ? 0 : (int32_t)n;
}

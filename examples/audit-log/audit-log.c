/* audit-log.c - a Ferrite UDF that reads and writes under grants: keep
 * the last N events in keys audit:1, audit:2, ...
 *
 *     record(len) -> the event's sequence number (>= 1), or
 *                    0  recording is switched off (audit:config is "0")
 *                   -1  len outside the buffer, or an empty event
 *                   -2  audit:config cannot be read (denied, or error)
 *                   -3  a write was refused (denied, or error)
 *
 * The input ferrite_buffer[0..len) is the event text (the buffer
 * convention, ferrite.h).  record():
 *
 *   1. reads "audit:config" with ferrite.get (READ audit:config): the
 *      number of events to keep, as decimal digits; missing means
 *      DEFAULT_KEEP, "0" switches recording off, anything else that is
 *      not a number from 0 to 1000000 is treated as missing, with a
 *      warning;
 *   2. takes the next sequence number n with ferrite.incr("audit:seq")
 *      (WRITE audit:seq);
 *   3. stores "<time ms> <event>" under "audit:<n>" with ferrite.set
 *      (WRITE audit:<n>), and deletes "audit:<n - keep>" with ferrite.del
 *      so that at most `keep` events remain;
 *   4. logs "recorded audit:<n>" at info level with ferrite.log.
 *
 * So the grants it needs are `--read audit:config --write 'audit:*'`;
 * given only the READ, it stops at step 2 with -3.
 *
 * Imports ferrite.log, time, get, set, del, incr.  Built by the Makefile
 * as BUILD/examples/audit-log.wasm.
 *
 * Tests: tests/cli/t2025-examples.sh.
 */
#include "../ferrite.h"

FERRITE_BUFFER(4096)

enum { DEFAULT_KEEP = 100, MAX_KEEP = 1000000 };

/* Room for "audit:" and 20 digits. */
#define KEY_MAX 32

/* Log the n bytes at s after a fixed prefix. */
static void say(int32_t level, const char *prefix, int32_t plen,
                const char *s, int32_t n)
{
    char msg[128];
    int32_t at = 0;

    ferrite_append(msg, sizeof msg, &at, prefix, plen);
    if (ferrite_append(msg, sizeof msg, &at, s, n))
        ferrite_append(msg, sizeof msg, &at, "...", 3);
    ferrite_log(level, msg, at);
}

#define SAY(level, lit, s, n) say(level, lit, sizeof lit - 1, s, n)

/* Decimal digits of s[0..n) as a number up to MAX_KEEP; -1 if not. */
static int64_t parse_keep(const char *s, int32_t n)
{
    int64_t v = 0;
    int32_t i;

    if (n < 1 || n > 7)
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= MAX_KEEP ? v : -1;
}

/* Step 1: how many events to keep; -2 when the config is unreadable. */
static int64_t read_keep(void)
{
    static const char key[] = "audit:config";
    char val[16];
    int32_t n = ferrite_get(key, sizeof key - 1, val, sizeof val);
    int64_t keep;

    if (n == -1)
        return DEFAULT_KEEP;
    if (n < 0) {
        SAY(FERRITE_LOG_ERROR, "cannot read ", key, sizeof key - 1);
        return -2;
    }
    if (n > (int32_t)sizeof val)      /* a host that says more than it wrote */
        n = sizeof val;
    keep = parse_keep(val, n);
    if (keep < 0) {
        SAY(FERRITE_LOG_WARN, "ignoring audit:config ", val, n);
        return DEFAULT_KEEP;
    }
    return keep;
}

/* "audit:<n>" into key; returns its length. */
static int32_t event_key(char *key, int64_t n)
{
    int32_t at = 0;

    ferrite_append(key, KEY_MAX, &at, "audit:", 6);
    return at + ferrite_utoa(key + at, (uint64_t)n);
}

/* Step 3: "<time> <event>" under audit:<n>, and drop audit:<n - keep>. */
static int store(int64_t n, int64_t keep, int32_t len)
{
    static char val[sizeof ferrite_buffer + 32];
    char key[KEY_MAX];
    int32_t klen = event_key(key, n), at;
    int64_t now = ferrite_time();

    at = ferrite_utoa(val, now < 0 ? 0 : (uint64_t)now);
    val[at++] = ' ';
    ferrite_append(val, sizeof val, &at, ferrite_buffer, len);
    if (ferrite_set(key, klen, val, at) != 0) {
        SAY(FERRITE_LOG_ERROR, "cannot write ", key, klen);
        return -1;
    }
    if (n > keep) {
        klen = event_key(key, n - keep);
        if (ferrite_del(key, klen) < 0) {
            SAY(FERRITE_LOG_ERROR, "cannot delete ", key, klen);
            return -1;
        }
    }
    SAY(FERRITE_LOG_INFO, "recorded ", key, event_key(key, n));
    return 0;
}

FERRITE_EXPORT("record") int32_t record(int32_t len)
{
    static const char seq[] = "audit:seq";
    int64_t keep, n;

    if (!FERRITE_LEN_OK(len) || len == 0)
        return -1;
    keep = read_keep();
    if (keep <= 0)
        return (int32_t)keep;
    n = ferrite_incr(seq, sizeof seq - 1);
    if (n == INT64_MIN || n < 1) {
        SAY(FERRITE_LOG_ERROR, "cannot write ", seq, sizeof seq - 1);
        return -3;
    }
    if (store(n, keep, len))
        return -3;
    return n > INT32_MAX ? INT32_MAX : (int32_t)n;
}

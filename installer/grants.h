/* grants.h - what a module run by `wharf run` may touch: Ferrite's
 * grants (READ and WRITE key patterns) and its limits (memory, fuel,
 * time), from --read/--write/--memory/... or the one-line form
 *
 *     READ user:* WRITE audit:* MEMORY 16MB TIMEOUT 1000
 *
 * Patterns are Redis globs (ins_glob_match).  Deny by default: a key no
 * pattern of the right kind matches is refused.  grants.c says why each
 * rule is as it is.
 *
 * Tests: tests/cli/t2021-wharf-run-grants.sh.
 */
#ifndef INS_GRANTS_H
#define INS_GRANTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum { INS_READ = 0, INS_WRITE = 1 };

/* Most patterns of one kind, and bytes of one pattern. */
#define INS_GRANTS_MAX     256
#define INS_GRANT_MAX_LEN  1024

typedef struct ins_grants {
    char  *pat[2][INS_GRANTS_MAX];   /* [INS_READ] and [INS_WRITE], owned */
    size_t n[2];
} ins_grants;

/* The limits of a run; defaults INS_RUN_MEMORY, INS_RUN_FUEL and
 * INS_RUN_TIMEOUT_MS (the issue's: 16 MiB, 10 million instructions,
 * 5 s).  0 fuel or timeout means none. */
typedef struct ins_run_limits {
    uint64_t memory, fuel, timeout_ms;
} ins_run_limits;

#define INS_RUN_MEMORY     ((uint64_t)16 << 20)
#define INS_RUN_FUEL       10000000ull
#define INS_RUN_TIMEOUT_MS 5000ull

/* 1 when the len bytes of s match the plen bytes of the Redis glob pat:
 * '*' any run of bytes, '?' one byte, '[abc]', '[a-z]' and '[^a]' one
 * byte of (not of) a set, '\x' the byte x itself; anything else itself.
 * Byte-wise, case-sensitive, no allocation, O(plen * len) at worst. */
int ins_glob_match(const char *pat, size_t plen, const char *s, size_t len);

/* Add a copy of pattern (NUL-terminated) to kind.  WH_E_USAGE when empty,
 * longer than INS_GRANT_MAX_LEN or one too many; WH_E_NOMEM. */
int ins_grants_add(ins_grants *g, int kind, const char *pattern, wh_err *err);

/* Read the one-line form into g and lim: words separated by blanks;
 * READ and WRITE take one or more patterns (up to the next keyword),
 * MEMORY a size (ins_size_parse), TIMEOUT milliseconds, FUEL
 * instructions; keywords in any case, each limit at most once per line.
 * Errors are WH_E_USAGE naming the word. */
int ins_grants_parse_line(ins_grants *g, ins_run_limits *lim,
                          const char *line, wh_err *err);

/* 1 when key (len bytes) is granted for kind. */
int ins_grants_allow(const ins_grants *g, int kind, const char *key,
                     size_t len);

/* "audit:*, log:*" (the patterns of kind, quoted, in order) or "none",
 * for a denial's message; cut with "..." to fit n. */
char *ins_grants_describe(const ins_grants *g, int kind, char *buf, size_t n);

void ins_grants_free(ins_grants *g);

/* A size in bytes: digits, then nothing, B, K/KB/KiB, M/MB/MiB or
 * G/GB/GiB (any case; binary multiples, as Ferrite's "16MB" means
 * 16 MiB).  0, or -1 when s is not one or overflows. */
int ins_size_parse(const char *s, uint64_t *out);

/* "16 MiB", "1536 KiB", "100 bytes": the largest unit that divides v. */
char *ins_size_format(uint64_t v, char *buf, size_t n);

#endif

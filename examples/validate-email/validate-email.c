/* validate-email.c - a pure Ferrite UDF: is the input an e-mail address?
 *
 *     validate(len) -> 1 valid, 0 invalid, -1 len outside the buffer
 *
 * The input is ferrite_buffer[0..len) (the buffer convention, ferrite.h).
 * The check is RFC 5321's mailbox, minus the forms nobody types into a
 * form field, so that "valid" means "worth sending to":
 *
 *   - local@domain with exactly one '@';
 *   - the local part is RFC 5322's dot-atom: 1..64 bytes of letters,
 *     digits and !#$%&'*+-/=?^_`{|}~ in dot-separated runs (no leading,
 *     trailing or doubled dot).  Quoted local parts ("a b"@x) are refused;
 *   - the domain is 1..253 bytes of at least two dot-separated labels,
 *     each 1..63 letters, digits and hyphens, not starting or ending with
 *     a hyphen, the last one not all digits (so 1.2.3.4 is no domain).
 *     Address literals (a@[192.0.2.1]) and single-label domains
 *     (root@localhost) are refused;
 *   - 254 bytes at most in all (RFC 5321's 256-byte path less its <>);
 *   - ASCII only: internationalised addresses (RFC 6531) are refused.
 *
 * No imports: the module needs no grant.  Built by the Makefile as
 * BUILD/examples/validate-email.wasm.
 *
 * Tests: tests/cli/t2025-examples.sh.
 */
#include "../ferrite.h"

FERRITE_BUFFER(4096)

enum { MAX_ADDRESS = 254, MAX_LOCAL = 64, MAX_DOMAIN = 253, MAX_LABEL = 63 };

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

/* RFC 5322 atext: what a dot-atom's runs are made of. */
static int is_atext(char c)
{
    const char *special = "!#$%&'*+-/=?^_`{|}~";

    if (is_alnum(c))
        return 1;
    for (; *special; special++)
        if (c == *special)
            return 1;
    return 0;
}

/* s[0..n): a dot-atom of at most MAX_LOCAL bytes. */
static int local_ok(const char *s, int32_t n)
{
    int32_t i;

    if (n < 1 || n > MAX_LOCAL || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] == '.' ? s[i + 1] == '.' : !is_atext(s[i]))
            return 0;
    }
    return 1;
}

/* s[0..n): one label: letters, digits, inner hyphens. */
static int label_ok(const char *s, int32_t n)
{
    int32_t i;

    if (n < 1 || n > MAX_LABEL || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-')
            return 0;
    return 1;
}

static int all_digits(const char *s, int32_t n)
{
    int32_t i;

    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* s[0..n): two or more labels, the last not numeric. */
static int domain_ok(const char *s, int32_t n)
{
    int32_t start = 0, i, labels = 0;

    if (n < 1 || n > MAX_DOMAIN)
        return 0;
    for (i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (!label_ok(s + start, i - start))
            return 0;
        labels++;
        if (i == n && all_digits(s + start, i - start))
            return 0;
        start = i + 1;
    }
    return labels >= 2;
}

FERRITE_EXPORT("validate") int32_t validate(int32_t len)
{
    const char *s = ferrite_buffer;
    int32_t at = -1, i;

    if (!FERRITE_LEN_OK(len))
        return -1;
    if (len > MAX_ADDRESS)
        return 0;
    for (i = 0; i < len; i++) {
        if (s[i] != '@')
            continue;
        if (at >= 0)
            return 0;
        at = i;
    }
    if (at < 0)
        return 0;
    return local_ok(s, at) && domain_ok(s + at + 1, len - at - 1);
}

/* toml_scalar.c - TOML integers, floats and date/times from one token.
 *
 * The parser (toml_parse.c) cuts a bare value into a token of the
 * characters [A-Za-z0-9_+-.:] (plus the one space a date-time may have)
 * and hands it here whole.  Each function checks the token against the
 * TOML 1.0 ABNF in one left-to-right pass and either fills the value or
 * returns the reason and the offset of the offending character, which the
 * parser turns into line:column.
 *
 *  - Integers: decimal with an optional sign and no leading zero; 0x, 0o,
 *    0b without sign; '_' only between two digits; the value must fit an
 *    int64 (checked digit by digit, no overflow).
 *  - Floats: [sign] int (frac | [frac] exp), or [sign] inf / nan.  The
 *    digits without '_' go to strtod(), so the result is correctly
 *    rounded; a finite literal that overflows to infinity is an error.
 *    strtod() reads '.' only in the "C" numeric locale, which is the
 *    default and which wharf never changes.
 *  - Date/times: RFC 3339 as TOML 1.0 restricts it: seconds required,
 *    'T', 't' or one space between date and time, 'Z', 'z' or +hh:mm,
 *    days checked against the month (Feb 29 only in leap years), second
 *    60 allowed (leap second), at most nine fraction digits kept.
 *
 * Tests: tests/unit/toml_test.c, tests/tools/toml_conformance.c.
 */
#include "toml_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN 40  /* characters of a token quoted in a message */

static bool is_dec(int c) { return c >= '0' && c <= '9'; }
static bool is_hex(int c)
{
    return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static bool is_oct(int c) { return c >= '0' && c <= '7'; }
static bool is_bin(int c) { return c == '0' || c == '1'; }

static int digit_value(int c)
{
    if (is_dec(c))
        return c - '0';
    return (c | 0x20) - 'a' + 10;
}

/* Advance *i over digits accepted by ok, with '_' only between two
 * digits.  Returns NULL, or a reason with *i at the bad character. */
static const char *digits(const char *s, size_t n, size_t *i,
                          bool (*ok)(int))
{
    size_t start = *i;
    while (*i < n) {
        if (ok((unsigned char)s[*i])) {
            (*i)++;
        } else if (s[*i] == '_') {
            if (*i == start || *i + 1 >= n ||
                !ok((unsigned char)s[*i + 1]))
                return "'_' must be between two digits";
            (*i)++;
        } else {
            break;
        }
    }
    if (*i == start)
        return "expected a digit";
    return NULL;
}

static const char *bad_char(const char *s, size_t n, size_t i,
                            const char *what, char *msg)
{
    if (i >= n)
        snprintf(msg, WH_TOML_MSG, "incomplete %s '%.*s'", what,
                 (int)(n < SHOWN ? n : SHOWN), s);
    else
        snprintf(msg, WH_TOML_MSG, "invalid character '%c' in %s", s[i],
                 what);
    return msg;
}

/* 0x, 0o and 0b integers: s[0..1] is the prefix. */
static const char *radix_int(const char *s, size_t n, wh_toml_value *v,
                             size_t *at, char *msg)
{
    static const struct { char c; int base; bool (*ok)(int); const char *w; }
    radix[] = {
        { 'x', 16, is_hex, "hexadecimal integer" },
        { 'o', 8, is_oct, "octal integer" },
        { 'b', 2, is_bin, "binary integer" },
    };
    size_t r = s[1] == 'x' ? 0 : s[1] == 'o' ? 1 : 2;
    size_t i = 2;
    const char *why = digits(s, n, &i, radix[r].ok);
    if (why && i == 2 && (i >= n || s[i] != '_'))
        return *at = i, bad_char(s, n, i, radix[r].w, msg);
    if (why)
        return *at = i, why;
    if (i < n)
        return *at = i, bad_char(s, n, i, radix[r].w, msg);
    uint64_t acc = 0;
    for (size_t k = 2; k < n; k++) {
        if (s[k] == '_')
            continue;
        unsigned d = (unsigned)digit_value((unsigned char)s[k]);
        if (acc > ((uint64_t)INT64_MAX - d) / (unsigned)radix[r].base)
            return *at = 0, "integer out of range";
        acc = acc * (unsigned)radix[r].base + d;
    }
    v->type = WH_TOML_INTEGER;
    v->u.i = (int64_t)acc;
    return NULL;
}

/* Decimal integer; s[0..sign) is an optional sign. */
static const char *dec_int(const char *s, size_t n, size_t sign,
                           wh_toml_value *v, size_t *at)
{
    bool neg = sign && s[0] == '-';
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t acc = 0;
    for (size_t k = sign; k < n; k++) {
        if (s[k] == '_')
            continue;
        unsigned d = (unsigned)(s[k] - '0');
        if (acc > (limit - d) / 10)
            return *at = 0, "integer out of range";
        acc = acc * 10 + d;
    }
    v->type = WH_TOML_INTEGER;
    /* -2^63 has no positive int64; go through unsigned arithmetic. */
    v->u.i = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    if (neg && acc == (uint64_t)INT64_MAX + 1)
        v->u.i = INT64_MIN;
    return NULL;
}

/* strtod over the token without its underscores (the token itself is
 * not NUL-terminated, and strtod must not read past it). */
static const char *to_double(const char *s, size_t n, wh_toml_value *v,
                             size_t *at, char *scratch)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_')
            scratch[k++] = s[i];
    scratch[k] = '\0';
    errno = 0;
    double d = strtod(scratch, NULL);
    if (errno == ERANGE && isinf(d))
        return *at = 0, "float out of range";
    v->type = WH_TOML_FLOAT;
    v->u.f = d;
    return NULL;
}

static const char *inf_nan(const char *s, size_t n, size_t sign,
                           wh_toml_value *v)
{
    const char *w = s + sign;
    size_t m = n - sign;
    if (m != 3 || (memcmp(w, "inf", 3) != 0 && memcmp(w, "nan", 3) != 0))
        return "no";
    v->type = WH_TOML_FLOAT;
    if (w[0] == 'i')
        v->u.f = sign && s[0] == '-' ? -INFINITY : INFINITY;
    else
        v->u.f = sign && s[0] == '-' ? -NAN : NAN;
    return NULL;
}

const char *wh_toml_scan_number(const char *s, size_t n, wh_toml_value *v,
                                size_t *at, char *msg, char *scratch)
{
    size_t sign = n > 0 && (s[0] == '+' || s[0] == '-');
    if (!inf_nan(s, n, sign, v))
        return NULL;
    if (sign == n || !is_dec((unsigned char)s[sign])) {
        snprintf(msg, WH_TOML_MSG, "invalid value '%.*s'",
                 (int)(n < SHOWN ? n : SHOWN), s);
        return *at = 0, msg;
    }
    if (s[sign] == '0' && sign + 1 < n &&
        (s[sign + 1] == 'x' || s[sign + 1] == 'o' || s[sign + 1] == 'b')) {
        if (sign)
            return *at = 0, "sign not allowed on a non-decimal integer";
        return radix_int(s, n, v, at, msg);
    }
    size_t i = sign;
    const char *why = digits(s, n, &i, is_dec);
    if (why)
        return *at = i, why;
    size_t int_end = i;
    bool is_float = false;
    if (i < n && s[i] == '.') {
        i++;
        if ((why = digits(s, n, &i, is_dec)))
            return *at = i, i < n && s[i] == '_' ? why
                   : "expected a digit after '.'";
        is_float = true;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if ((why = digits(s, n, &i, is_dec)))
            return *at = i, i < n && s[i] == '_' ? why
                   : "expected a digit in the exponent";
        is_float = true;
    }
    if (i < n)
        return *at = i, bad_char(s, n, i, is_float ? "float" : "integer",
                                 msg);
    if (s[sign] == '0' && int_end > sign + 1)
        return *at = sign, is_float ? "leading zero in float"
                                    : "leading zero in integer";
    if (is_float)
        return to_double(s, n, v, at, scratch);
    return dec_int(s, n, sign, v, at);
}

/* --- Date/times --- */

bool wh_toml_looks_datetime(const char *s, size_t n)
{
    if (n >= 5 && is_dec((unsigned char)s[0]) && is_dec((unsigned char)s[1])
        && is_dec((unsigned char)s[2]) && is_dec((unsigned char)s[3]) &&
        s[4] == '-')
        return true;
    return n >= 3 && is_dec((unsigned char)s[0]) &&
           is_dec((unsigned char)s[1]) && s[2] == ':';
}

/* Exactly two digits at s[*i], advancing; -1 if not. */
static int two(const char *s, size_t n, size_t *i)
{
    if (*i + 2 > n || !is_dec((unsigned char)s[*i]) ||
        !is_dec((unsigned char)s[*i + 1]))
        return -1;
    int v = (s[*i] - '0') * 10 + (s[*i + 1] - '0');
    *i += 2;
    return v;
}

static bool expect_char(const char *s, size_t n, size_t *i, char c)
{
    if (*i >= n || s[*i] != c)
        return false;
    (*i)++;
    return true;
}

static int days_in(int year, int month)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                31 };
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

static const char *malformed(const char *s, size_t n, const char *what,
                             char *msg)
{
    snprintf(msg, WH_TOML_MSG, "malformed %s '%.*s'", what,
             (int)(n < SHOWN ? n : SHOWN), s);
    return msg;
}

/* YYYY-MM-DD at s[0]. */
static const char *date(const char *s, size_t n, size_t *i,
                        wh_toml_datetime *dt, size_t *at, char *msg)
{
    int hi = two(s, n, i), lo = two(s, n, i);
    if (hi < 0 || lo < 0 || !expect_char(s, n, i, '-') ||
        (dt->month = two(s, n, i)) < 0 || !expect_char(s, n, i, '-') ||
        (dt->day = two(s, n, i)) < 0 ||
        (*i < n && is_dec((unsigned char)s[*i])))
        return *at = 0, malformed(s, n, "date", msg);
    dt->year = hi * 100 + lo;
    if (dt->month < 1 || dt->month > 12) {
        snprintf(msg, WH_TOML_MSG, "month %02d out of range", dt->month);
        return *at = 5, msg;
    }
    if (dt->day < 1 || dt->day > days_in(dt->year, dt->month)) {
        snprintf(msg, WH_TOML_MSG, "day %02d out of range for %04d-%02d",
                 dt->day, dt->year, dt->month);
        return *at = 8, msg;
    }
    return NULL;
}

/* HH:MM:SS[.frac] at s[*i]. */
static const char *time_of_day(const char *s, size_t n, size_t *i,
                               wh_toml_datetime *dt, size_t *at, char *msg)
{
    size_t start = *i;
    if ((dt->hour = two(s, n, i)) < 0 || !expect_char(s, n, i, ':') ||
        (dt->minute = two(s, n, i)) < 0 || !expect_char(s, n, i, ':') ||
        (dt->second = two(s, n, i)) < 0)
        return *at = start, malformed(s, n, "time", msg);
    if (dt->hour > 23 || dt->minute > 59 || dt->second > 60) {
        snprintf(msg, WH_TOML_MSG, "time %02d:%02d:%02d out of range",
                 dt->hour, dt->minute, dt->second);
        return *at = start, msg;
    }
    if (*i < n && s[*i] == '.') {
        (*i)++;
        int kept = 0;
        size_t first = *i;
        for (; *i < n && is_dec((unsigned char)s[*i]); (*i)++)
            if (kept < 9) {
                dt->nanosecond = dt->nanosecond * 10 + (s[*i] - '0');
                kept++;
            }
        if (*i == first)
            return *at = *i, "expected a digit after '.'";
        for (; kept < 9; kept++)
            dt->nanosecond *= 10;
    }
    return NULL;
}

/* Z, z or +hh:mm / -hh:mm at s[*i]. */
static const char *offset(const char *s, size_t n, size_t *i,
                          wh_toml_datetime *dt, size_t *at, char *msg)
{
    if (s[*i] == 'Z' || s[*i] == 'z') {
        (*i)++;
        return NULL;
    }
    size_t start = *i;
    int sign = s[*i] == '-' ? -1 : 1;
    (*i)++;
    int hh = two(s, n, i), mm = -1;
    if (hh < 0 || !expect_char(s, n, i, ':') || (mm = two(s, n, i)) < 0)
        return *at = start, malformed(s, n, "date-time offset", msg);
    if (hh > 23 || mm > 59) {
        snprintf(msg, WH_TOML_MSG, "offset %c%02d:%02d out of range",
                 sign < 0 ? '-' : '+', hh, mm);
        return *at = start, msg;
    }
    dt->offset_minutes = sign * (hh * 60 + mm);
    return NULL;
}

const char *wh_toml_scan_datetime(const char *s, size_t n, wh_toml_value *v,
                                  size_t *at, char *msg)
{
    wh_toml_datetime dt = { 0 };
    size_t i = 0;
    const char *why;
    wh_toml_type type;
    if (n >= 5 && s[4] == '-') {
        if ((why = date(s, n, &i, &dt, at, msg)))
            return why;
        type = WH_TOML_DATE_LOCAL;
        if (i < n) {
            if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
                return *at = i, malformed(s, n, "date", msg);
            i++;
            if ((why = time_of_day(s, n, &i, &dt, at, msg)))
                return why;
            type = WH_TOML_DATETIME_LOCAL;
            if (i < n && (s[i] == 'Z' || s[i] == 'z' || s[i] == '+' ||
                          s[i] == '-')) {
                if ((why = offset(s, n, &i, &dt, at, msg)))
                    return why;
                type = WH_TOML_DATETIME;
            }
        }
    } else {
        if ((why = time_of_day(s, n, &i, &dt, at, msg)))
            return why;
        type = WH_TOML_TIME_LOCAL;
    }
    if (i < n) {
        snprintf(msg, WH_TOML_MSG, "unexpected '%c' after %s", s[i],
                 wh_toml_type_name(type));
        return *at = i, msg;
    }
    v->type = (unsigned char)type;
    v->u.dt = dt;
    return NULL;
}

/* json-validate.c - a pure Ferrite UDF: is the input well-formed JSON?
 *
 *     validate(len) -> 1 well-formed, 0 not, -1 len outside the buffer
 *
 * The input is ferrite_buffer[0..len) (the buffer convention, ferrite.h):
 * one JSON text as RFC 8259 defines it, checked by recursive descent
 * without building anything.  Beyond the grammar:
 *
 *   - strings must be UTF-8 (RFC 8259 section 8.1): no overlong forms,
 *     no surrogates, nothing above U+10FFFF;  a \uXXXX escape may name a
 *     lone surrogate, which the grammar allows;
 *   - arrays and objects nest at most MAX_DEPTH levels, so a hostile
 *     input cannot exhaust the module's 64 KiB stack ([[[[... fails
 *     cleanly);
 *   - duplicate object keys are allowed (the RFC says "should" be unique).
 *
 * No imports: the module needs no grant.  Built by the Makefile as
 * BUILD/examples/json-validate.wasm.
 *
 * Tests: tests/cli/t2025-examples.sh.
 */
#include "../ferrite.h"

FERRITE_BUFFER(65536)

enum { MAX_DEPTH = 128 };

/* A cursor over the input: p moves, end does not. */
typedef struct cursor {
    const unsigned char *p, *end;
} cursor;

static int value(cursor *c, int depth);

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
                             *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* Consume byte ch if it is next. */
static int eat(cursor *c, unsigned char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

static int literal(cursor *c, const char *word)
{
    for (; *word; word++)
        if (!eat(c, (unsigned char)*word))
            return 0;
    return 1;
}

static int digits(cursor *c)
{
    const unsigned char *start = c->p;

    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number(cursor *c)
{
    eat(c, '-');
    if (!eat(c, '0') && !(c->p < c->end && *c->p >= '1' && *c->p <= '9' &&
                          digits(c)))
        return 0;
    if (eat(c, '.') && !digits(c))
        return 0;
    if (eat(c, 'e') || eat(c, 'E')) {
        if (!eat(c, '+'))
            eat(c, '-');
        return digits(c);
    }
    return 1;
}

static int hex4(cursor *c)
{
    int i;

    if (c->end - c->p < 4)
        return 0;
    for (i = 0; i < 4; i++) {
        unsigned char h = c->p[i];
        if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
              (h >= 'A' && h <= 'F')))
            return 0;
    }
    c->p += 4;
    return 1;
}

/* After a backslash. */
static int escape(cursor *c)
{
    if (c->p >= c->end)
        return 0;
    switch (*c->p++) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r':
    case 't':
        return 1;
    case 'u':
        return hex4(c);
    default:
        return 0;
    }
}

/* One UTF-8 sequence starting with lead byte b0 >= 0x80 (already taken):
 * the second byte's range excludes overlong forms, surrogates and code
 * points above U+10FFFF (the table of RFC 3629 section 4). */
static int utf8_tail(cursor *c, unsigned char b0)
{
    unsigned char lo = 0x80, hi = 0xbf;
    int more, i;

    if (b0 >= 0xc2 && b0 <= 0xdf) more = 1;
    else if (b0 >= 0xe0 && b0 <= 0xef) more = 2;
    else if (b0 >= 0xf0 && b0 <= 0xf4) more = 3;
    else return 0;
    if (b0 == 0xe0) lo = 0xa0;
    if (b0 == 0xed) hi = 0x9f;
    if (b0 == 0xf0) lo = 0x90;
    if (b0 == 0xf4) hi = 0x8f;
    if (c->end - c->p < more)
        return 0;
    for (i = 0; i < more; i++, lo = 0x80, hi = 0xbf)
        if (c->p[i] < lo || c->p[i] > hi)
            return 0;
    c->p += more;
    return 1;
}

/* After the opening quote, up to and including the closing one. */
static int string(cursor *c)
{
    while (c->p < c->end) {
        unsigned char b = *c->p++;
        if (b == '"')
            return 1;
        if (b < 0x20)
            return 0;
        if (b == '\\' ? !escape(c) : b >= 0x80 && !utf8_tail(c, b))
            return 0;
    }
    return 0;
}

/* After '['. */
static int array(cursor *c, int depth)
{
    skip_ws(c);
    if (eat(c, ']'))
        return 1;
    do {
        if (!value(c, depth))
            return 0;
    } while (eat(c, ','));
    return eat(c, ']');
}

/* After '{'. */
static int object(cursor *c, int depth)
{
    skip_ws(c);
    if (eat(c, '}'))
        return 1;
    do {
        skip_ws(c);
        if (!eat(c, '"') || !string(c))
            return 0;
        skip_ws(c);
        if (!eat(c, ':') || !value(c, depth))
            return 0;
    } while (eat(c, ','));
    return eat(c, '}');
}

/* A value with the white space around it; depth counts the arrays and
 * objects it is inside. */
static int value(cursor *c, int depth)
{
    int ok;

    skip_ws(c);
    if (c->p >= c->end)
        return 0;
    switch (*c->p) {
    case '{': c->p++; ok = depth < MAX_DEPTH && object(c, depth + 1); break;
    case '[': c->p++; ok = depth < MAX_DEPTH && array(c, depth + 1); break;
    case '"': c->p++; ok = string(c); break;
    case 't': ok = literal(c, "true"); break;
    case 'f': ok = literal(c, "false"); break;
    case 'n': ok = literal(c, "null"); break;
    default: ok = number(c); break;
    }
    skip_ws(c);
    return ok;
}

FERRITE_EXPORT("validate") int32_t validate(int32_t len)
{
    cursor c;

    if (!FERRITE_LEN_OK(len))
        return -1;
    c.p = (const unsigned char *)ferrite_buffer;
    c.end = c.p + len;
    return value(&c, 0) && c.p == c.end;
}

/* error.c - wr_error filling and formatting, value type names. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int wr_fail(wr_error *err, int kind, long long offset, const char *fmt, ...)
{
    if (!err)
        return -1;
    memset(err, 0, sizeof *err);
    err->kind = kind;
    err->offset = offset < 0 ? -1 : offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

char *wr_error_format(const wr_error *err, char *buf, size_t n)
{
    if (!buf || n == 0)
        return buf;
    if (err->offset >= 0)
        snprintf(buf, n, "offset 0x%llx: %s", (unsigned long long)err->offset,
                 err->msg);
    else
        snprintf(buf, n, "%s", err->msg);
    return buf;
}

const char *wr_type_name(wr_type t)
{
    switch (t) {
    case WR_I32: return "i32";
    case WR_I64: return "i64";
    case WR_F32: return "f32";
    case WR_F64: return "f64";
    case WR_FUNCREF: return "funcref";
    case WR_EXTERNREF: return "externref";
    }
    return "?";
}

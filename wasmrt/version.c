/* version.c - wr_version(): the library's version string. */
#include "wasmrt.h"

const char *wr_version(void)
{
    return WHARF_VERSION;
}

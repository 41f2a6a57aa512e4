#include "wasmrt.h"
const char *wr_version(void) { return WHARF_VERSION; }

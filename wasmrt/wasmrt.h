/* placeholder until leb128 lands */
#ifndef WR_WASMRT_H
#define WR_WASMRT_H
const char *wr_version(void);
#endif

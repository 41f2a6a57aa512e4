/* plugin.h - the plugin ABI runner (prefix wh_plugin_): loads a plugin's
 * WebAssembly module, runs one of its functions on inputs under the
 * plugin's limits, and checks the JSON it returns.
 *
 * The ABI, for authors, is docs/plugins.md (and examples/plugins/
 * plugin.wit); in short: the module exports `memory` and
 * `alloc(len) -> ptr`, a function takes its inputs as (ptr, len) pairs
 * of i32 and returns an i64 `(ptr << 32) | len` naming UTF-8 JSON in its
 * memory; it may import only wharf.log(level, ptr, len) and
 * wharf.config(ptr, cap) -> len.
 *
 * Errors name the plugin, the function and the reason, e.g.
 *   plugin 'policy': validate_upload: out of fuel after 1000000 instructions
 * with code WH_E_TRAP (a trap or a limit), WH_E_FORMAT (a bad module or
 * result), WH_E_LIMIT (a result over its cap) or WH_E_NOMEM.
 *
 * Tests: tests/unit/plugin_test.c
 */
#ifndef WH_PLUGIN_H
#define WH_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "common/err.h"

/* Built-in defaults for the limits a caller leaves at 0. */
#define WH_PLUGIN_DEFAULT_MEMORY  (64u << 20)       /* bytes */
#define WH_PLUGIN_DEFAULT_FUEL    1000000000ull     /* instructions */
#define WH_PLUGIN_DEFAULT_TIME_MS 5000
/* Longest message wharf.log passes on (longer ones are cut). */
#define WH_PLUGIN_LOG_MAX 4096
/* Longest plugin name kept for messages. */
#define WH_PLUGIN_NAME_MAX 64

/* Limits of every call (one instance): 0 takes the default above.
 * fuel counts the instructions of the whole call, the alloc calls that
 * copy the inputs included; time_ms bounds each call into the module. */
typedef struct wh_plugin_limits {
    uint64_t memory_bytes;
    uint64_t fuel;
    uint64_t time_ms;
} wh_plugin_limits;

/* What wharf.log hands the host: level as the plugin gave it (0 debug,
 * 1 info, 2 warn, 3 error and above; docs/plugins.md), the message's raw
 * bytes (not NUL-terminated, at most WH_PLUGIN_LOG_MAX, maybe not UTF-8:
 * quote before printing). */
typedef void (*wh_plugin_log_fn)(void *user, const char *plugin,
                                 const char *func, int level,
                                 const char *msg, size_t len);

/* One input: len bytes at data, copied into the plugin's memory. */
typedef struct wh_plugin_input {
    const void *data;
    size_t      len;
} wh_plugin_input;

/* What one call cost. */
typedef struct wh_plugin_stats {
    uint64_t fuel;          /* instructions run, alloc calls included */
    uint64_t time_us;       /* wall time, instantiation included */
    uint64_t peak_memory;   /* bytes of memory 0 at the end (memory only
                               grows, so this is its peak) */
} wh_plugin_stats;

typedef struct wh_plugin wh_plugin;

/* Validate and compile the module wasm[0..len) of plugin name.  config
 * is the JSON text wharf.config hands out (NULL: "{}"); it and name are
 * copied.  limits may be NULL (defaults).  log may be NULL (messages
 * dropped).  Errors (WH_E_FORMAT): the module does not decode or
 * validate ("plugin 'x': module: offset 0x1a: ..."), imports anything
 * but the two functions with their exact types ("plugin 'x': imports
 * env.f: only wharf.log and wharf.config are allowed", "... imports
 * wharf.log with the wrong type"), or lacks the exports ("plugin 'x':
 * does not export memory", "... alloc(i32) -> i32").  The caller owns
 * *out (wh_plugin_free). */
int wh_plugin_load(const char *name, const void *wasm, size_t len,
                   const char *config_json, const wh_plugin_limits *limits,
                   wh_plugin_log_fn log, void *log_user, wh_plugin **out,
                   wh_err *err);

void wh_plugin_free(wh_plugin *p);                /* NULL is fine */
const char *wh_plugin_name(const wh_plugin *p);
/* 1 when the module exports a function of that name. */
int wh_plugin_has(const wh_plugin *p, const char *func);

/* Call func with the n inputs in a fresh instance (nothing survives from
 * one call to the next) and parse its result, at most out_cap bytes, into
 * *out (the caller's, json_decref).  st (may be NULL) receives the cost,
 * also on failure.  Errors, after "plugin 'x': FUNC: ":
 *   "is not exported", "takes (i32, i32) -> i64 ..."     WH_E_FORMAT
 *   "trap: unreachable" (the trap's words)               WH_E_TRAP
 *   "out of fuel after N instructions"                   WH_E_TRAP
 *   "out of time after N ms"                             WH_E_TRAP
 *   "memory limit exceeded: N bytes"                     WH_E_TRAP
 *   "alloc(N) returned P, outside memory"                WH_E_FORMAT
 *   "result of N bytes is over its CAP cap"              WH_E_LIMIT
 *   "returned no result" (len 0)                         WH_E_FORMAT
 *   "result points outside memory"                       WH_E_FORMAT
 *   "result is not UTF-8: byte N"                        WH_E_FORMAT
 *   "result is not JSON: line 1 column 2: ..."           WH_E_FORMAT */
int wh_plugin_call(wh_plugin *p, const char *func, const wh_plugin_input *in,
                   size_t n, size_t out_cap, json_t **out,
                   wh_plugin_stats *st, wh_err *err);

/* wh_plugin_call, with log_user handed to the log function instead of
 * the plugin's: so calls on several threads at once (one wh_plugin may
 * be called so; each call has its own instance) can tell their messages
 * apart. */
int wh_plugin_call_as(wh_plugin *p, const char *func, const wh_plugin_input *in,
                      size_t n, size_t out_cap, void *log_user, json_t **out,
                      wh_plugin_stats *st, wh_err *err);

/* --- the four kinds' results -------------------------------------------------
 * Each checks a result's shape and fails with WH_E_FORMAT, "plugin 'x':
 * FUNC: result: REASON" (REASON e.g. "\"allowed\" is missing", "\"warnings\"[1]
 * is not a string", "unknown key \"allow\""). */

/* validate_upload (and a format handler's validate):
 * {"allowed": bool, "message": str?, "warnings": [str]}. */
int wh_plugin_check_validation(const wh_plugin *p, const char *func,
                               const json_t *r, wh_err *err);
/* extract (and extract_dependencies): an object of string pairs. */
int wh_plugin_check_pairs(const wh_plugin *p, const char *func,
                          const json_t *r, wh_err *err);
/* parse_metadata: {name, version, description?, authors?, license?,
 * keywords?, dependencies?}: strings, authors and keywords arrays of
 * strings, dependencies an object of string pairs. */
int wh_plugin_check_metadata(const wh_plugin *p, const json_t *r, wh_err *err);
/* process: {"data": base64, "modified": bool, "metadata": {str: str}};
 * the decoded data go to *data (malloc'd, the caller frees) and *len. */
int wh_plugin_check_processed(const wh_plugin *p, const json_t *r,
                              uint8_t **data, size_t *len, wh_err *err);

#endif

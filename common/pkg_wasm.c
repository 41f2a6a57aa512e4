/* pkg_wasm.c - the description of a WASM module for the index: its
 * imports and exports with their types, after wasmrt has validated it.
 *
 * This is the implementation of wh_pkg_wasm_describe (pkg.h), which every
 * package reader calls for each module it carries.  It is the only file
 * of common/ that uses the interpreter, so the rest of the library knows
 * nothing of wasmrt.  The module is loaded with wr_module_inspect: decoded
 * and validated like wr_module_load, but not compiled, so the memory it
 * takes stays within a small multiple of the module's size (docs/wasmrt.md,
 * "Memory") however hostile the module; the indexer reads packages in
 * parallel and relies on that bound.  The description itself is JSON, a
 * few hundred bytes per import or export whatever the module spends on
 * them, so its size is capped before it is built (WH_PKG_MAX_WASM_EXTERNS
 * entries, WH_PKG_MAX_WASM_TEXT bytes of names and types): the whole call
 * stays within WH_PKG_WASM_MEM (pkg.h).
 *
 * Types are written as docs/index-format.md says: "(i32 i64) -> (f32)"
 * for functions, "funcref 1..10" for tables, "1.." for memories, "mut
 * i32" for globals.
 *
 * Tests: tests/unit/pkg_test.c (+ pkg.data), tests/cli/t1011-ferrpkg.sh,
 * tests/cli/t1012-bundle.sh, tests/cli/t0015-wasmrt-memory.sh (the bound,
 * the caps).
 */
#include "pkg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmrt/wasmrt.h"

/* --- types as text --------------------------------------------------------- */

static const char *const kind_names[] = {
    [WR_EXTERN_FUNC] = "func", [WR_EXTERN_TABLE] = "table",
    [WR_EXTERN_MEMORY] = "memory", [WR_EXTERN_GLOBAL] = "global",
};

/* Append "t1 t2 ..." to buf at *o (buf is big enough: see type_text). */
static void types_text(char *buf, size_t *o, const wr_type *t, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        *o += (size_t)sprintf(buf + *o, "%s%s", i ? " " : "",
                              wr_type_name(t[i]));
}

/* Room for type_text: a type name is at most 9 bytes plus a space;
 * numbers at most 20. */
static size_t text_cap(const wr_externtype *t)
{
    return t->kind == WR_EXTERN_FUNC
           ? 16 + 10 * ((size_t)t->func.nparams + t->func.nresults)
           : 64;
}

/* The type as docs/index-format.md writes it, malloc'd (NULL: no
 * memory): "(i32 i64) -> (f32)", "funcref 1..10", "1..", "mut i32". */
static char *type_text(const wr_externtype *t)
{
    char *buf = malloc(text_cap(t));
    if (!buf)
        return NULL;
    size_t o = 0;
    switch (t->kind) {
    case WR_EXTERN_FUNC:
        buf[o++] = '(';
        types_text(buf, &o, t->func.params, t->func.nparams);
        o += (size_t)sprintf(buf + o, ") -> (");
        types_text(buf, &o, t->func.results, t->func.nresults);
        sprintf(buf + o, ")");
        break;
    case WR_EXTERN_TABLE:
        o = (size_t)sprintf(buf, "%s ", wr_type_name(t->elem));
        /* fall through */
    case WR_EXTERN_MEMORY:
        o += (size_t)sprintf(buf + o, "%" PRIu64 "..", t->limits.min);
        if (t->limits.has_max)
            sprintf(buf + o, "%" PRIu64, t->limits.max);
        break;
    case WR_EXTERN_GLOBAL:
        sprintf(buf, "%s%s", t->mutable_ ? "mut " : "",
                wr_type_name(t->global));
        break;
    }
    return buf;
}

/* {"kind": ..., "type": ...} plus the names the caller adds. */
static json_t *extern_json(const wr_externtype *t)
{
    char *text = type_text(t);
    json_t *o = json_object();
    if (!text || !o ||
        json_object_set_new(o, "kind", json_string(kind_names[t->kind])) ||
        json_object_set_new(o, "type", json_string(text))) {
        json_decref(o);
        o = NULL;
    }
    free(text);
    return o;
}

/* --- the description -------------------------------------------------------- */

/* The description's size, checked before any of it is built: its JSON
 * costs a few hundred bytes per entry and a function type's text up to
 * ten bytes per value type, however few bytes the module spends on them
 * (an import is 4 bytes, one type may serve them all). */
static int check_size(const wr_module *m, const char *path, const char *what,
                      wh_err *err)
{
    uint64_t n = (uint64_t)wr_module_import_count(m)
                 + wr_module_export_count(m), bytes = 0;
    if (n > WH_PKG_MAX_WASM_EXTERNS)
        return wh_fail(err, WH_E_LIMIT, path, -1, "%s: %" PRIu64 " imports "
                       "and exports, more than %d", what, n,
                       WH_PKG_MAX_WASM_EXTERNS);
    for (uint32_t i = 0; i < wr_module_import_count(m); i++) {
        wr_import_info in;
        wr_module_import(m, i, &in);
        bytes += strlen(in.module) + strlen(in.name) + text_cap(&in.type);
    }
    for (uint32_t i = 0; i < wr_module_export_count(m); i++) {
        wr_export_info ex;
        wr_module_export(m, i, &ex);
        bytes += ex.name_len + text_cap(&ex.type);
    }
    if (bytes > WH_PKG_MAX_WASM_TEXT)
        return wh_fail(err, WH_E_LIMIT, path, -1, "%s: the names and types "
                       "of its imports and exports take %" PRIu64 " bytes, "
                       "more than %d", what, bytes, WH_PKG_MAX_WASM_TEXT);
    return 0;
}

/* Append one object per import and per export, in the module's order. */
static int describe(const wr_module *m, json_t *imports, json_t *exports)
{
    for (uint32_t i = 0; i < wr_module_import_count(m); i++) {
        wr_import_info in;
        wr_module_import(m, i, &in);
        json_t *o = extern_json(&in.type);
        if (!o || json_object_set_new(o, "module", json_string(in.module)) ||
            json_object_set_new(o, "name", json_string(in.name)) ||
            json_array_append_new(imports, o))
            return -1;
    }
    for (uint32_t i = 0; i < wr_module_export_count(m); i++) {
        wr_export_info ex;
        wr_module_export(m, i, &ex);
        json_t *o = extern_json(&ex.type);
        if (!o || json_object_set_new(o, "name",
                                      json_stringn(ex.name, ex.name_len)) ||
            json_array_append_new(exports, o))
            return -1;
    }
    return 0;
}

int wh_pkg_wasm_describe(const char *path, const char *what,
                         const uint8_t *wasm, size_t len, json_t **out,
                         wh_err *err)
{
    *out = NULL;
    wr_error we;
    wr_module *m = wr_module_inspect(wasm, len, &we);
    if (!m) {
        char msg[300];
        wr_error_format(&we, msg, sizeof msg);
        return wh_fail(err, we.kind == WR_ERR_NOMEM ? WH_E_NOMEM : WH_E_FORMAT,
                       path, -1, "%s: %s", what, msg);
    }
    int rc = check_size(m, path, what, err);
    if (rc) {
        wr_module_free(m);
        return rc;
    }
    json_t *d = json_object(), *im = json_array(), *ex = json_array();
    if (!d || !im || !ex || describe(m, im, ex) ||
        json_object_set(d, "imports", im) ||
        json_object_set(d, "exports", ex)) {
        rc = wh_fail(err, WH_E_NOMEM, path, -1, "%s: cannot describe the "
                     "module", what);
        json_decref(d);
        d = NULL;
    }
    json_decref(im);
    json_decref(ex);
    wr_module_free(m);
    *out = d;
    return rc;
}

/* pkg.h - one package file, whatever its format: what the indexer records
 * and the installer checks.
 *
 * wharf reads three archive formats (docs/index-format.md):
 *
 *   WH_PKG_FERRPKG  Ferrite's .ferrpkg (pkg_ferrpkg.c)
 *   WH_PKG_PAR      wasmCloud provider archives, .par / .par.gz (pkg_par.c)
 *   WH_PKG_BUNDLE   plugin bundles, .zip with plugin.toml (pkg_bundle.c)
 *
 * wh_pkg_read() recognises the format by the file's first bytes (never by
 * its name), reads it from memory in one pass, verifies what the format
 * itself can prove (Ferrite's checksum and wasm_size; a PAR's JWT
 * signature, validity times and target hashes; the bundle's manifest), and
 * validates every WASM module it carries with wasmrt (pkg_wasm.c, the only
 * file of common/ that uses the interpreter).  It does NOT decide
 * trust: detached .minisig signatures and the trusted-issuer list are the
 * indexer's business (it knows the keys), so a PAR's issuer is returned for
 * the caller to judge.
 *
 * The result is a few C fields the tools reason about (kind, name,
 * version, digest) and `record`, a JSON object holding every field the
 * index stores for this version (docs/index-format.md: description,
 * author, license, categories, tags, dependencies, wasm imports/exports,
 * PAR targets, capabilities, config, ...) except those the indexer adds
 * itself (path, signer, status).  Keeping the format-specific fields in
 * JSON means a reader adds a field in one place, and the index writer
 * needs no change.  A reader that accepts a package with a reservation
 * says so in the record's "warnings" (an array of lower-case reasons),
 * which the indexer prints and keeps in the index.
 *
 * Module names: 1-64 characters of A-Za-z0-9._- starting with a letter or
 * digit (wh_pkg_name_check); they become paths and URLs.
 */
#ifndef WH_PKG_H
#define WH_PKG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "common/keyring.h"
#include "common/minisign.h"
#include "common/sha256.h"

typedef enum wh_pkg_kind {
    WH_PKG_FERRPKG = 1,
    WH_PKG_PAR,
    WH_PKG_BUNDLE,
    WH_PKG_FORMAT,   /* read by a wharf-index format-handler plugin: its
                        record's "kind" is "format:PLUGIN" (no reader here) */
} wh_pkg_kind;

/* Largest package file read (the whole file is held in memory). */
#define WH_PKG_MAX_SIZE ((size_t)512 << 20)

/* Largest entry of a plugin bundle, decompressed (its module is held in
 * memory to be validated). */
#define WH_PKG_MAX_ENTRY ((size_t)128 << 20)

typedef struct wh_pkg {
    wh_pkg_kind kind;
    char     name[65];                 /* module name, checked */
    char     version[257];             /* strict SemVer 2.0.0 */
    uint64_t size;                     /* bytes of the file */
    char     sha256[WH_SHA256_HEX];    /* of the file, lower-case hex */
    /* PAR only: the claims' issuer (account key "A...") and subject
     * (service key "V..."), for the caller's trust decision. */
    char     issuer[57];
    char     subject[57];
    json_t  *record;                   /* owned; see above */
} wh_pkg;

/* Options for reading. */
typedef struct wh_pkg_opts {
    int64_t now;     /* Unix time for JWT exp/nbf checks; 0 = time(NULL) */
} wh_pkg_opts;

/* Read and verify the package at path (opts may be NULL).  On success
 * *pkg is filled (free with wh_pkg_free); on failure err names the file,
 * the place (byte offset, archive entry, or manifest line:column) and the
 * reason, and *pkg holds nothing to free. */
int wh_pkg_read(const char *path, const wh_pkg_opts *opts, wh_pkg *pkg,
                wh_err *err);

/* The same for a file already in memory (data[0..len)); path names it in
 * errors. */
int wh_pkg_read_mem(const char *path, const uint8_t *data, size_t len,
                    const wh_pkg_opts *opts, wh_pkg *pkg, wh_err *err);

void wh_pkg_free(wh_pkg *pkg);

/* At most how many bytes wh_pkg_read_mem allocates reading a file of
 * size bytes whose first bytes are head[0..n) (the file's own buffer not
 * counted), for a caller that reads many at once and must budget them:
 * a .ferrpkg costs its module's validation (WH_PKG_WASM_MEM), a bundle
 * its inflated module (at most WH_PKG_MAX_ENTRY, and deflate's 1032:1 of
 * the file) and that module's validation, a PAR only fixed buffers (its
 * entries are hashed as they stream); each plus WH_PKG_READ_SLACK for
 * manifests, headers and JSON. */
#define WH_PKG_READ_SLACK ((uint64_t)64 << 20)
uint64_t wh_pkg_read_bound(const uint8_t *head, size_t n, uint64_t size);

/* "ferrpkg", "par", "bundle". */
const char *wh_pkg_kind_name(wh_pkg_kind kind);

/* 0 if name is a valid module name; else WH_E_FORMAT saying why
 * ("module name 'a/b' contains '/'", "module name is empty", ...). */
int wh_pkg_name_check(const char *name, size_t len, wh_err *err);

/* --- format readers (called by wh_pkg_read_mem; exposed for tests) -------
 *
 * Each reader expects *pkg zeroed, and on success fills kind, name,
 * version, issuer/subject (PAR) and record with the format's own fields;
 * wh_pkg_read_mem then sets size and sha256 and adds "kind", "size" and
 * "sha256" to the record.  On failure a reader leaves nothing to free. */

int wh_ferrpkg_read(const char *path, const uint8_t *data, size_t len,
                    const wh_pkg_opts *opts, wh_pkg *pkg, wh_err *err);
int wh_par_read(const char *path, const uint8_t *data, size_t len,
                const wh_pkg_opts *opts, wh_pkg *pkg, wh_err *err);
int wh_bundle_read(const char *path, const uint8_t *data, size_t len,
                   const wh_pkg_opts *opts, wh_pkg *pkg, wh_err *err);

/* Validate a WASM module with wasmrt and describe it for the index
 * (pkg_wasm.c): {"imports":[{"module","name","kind","type"}...],
 * "exports":[{"name","kind","type"}...]} with types written as in
 * docs/index-format.md.  path and what ("entry 'x.wasm'") name it in
 * errors; offsets in errors are within the module.  A module with more
 * than WH_PKG_MAX_WASM_EXTERNS imports and exports, or whose names and
 * types take more than WH_PKG_MAX_WASM_TEXT bytes of text, is refused
 * (WH_E_LIMIT).  The module is not compiled: the call's peak memory is
 * at most WH_PKG_WASM_MEM(len) bytes, whatever the module
 * (docs/wasmrt.md, "Memory"; tests/cli/t0015-wasmrt-memory.sh). */
#define WH_PKG_MAX_WASM_EXTERNS 10000        /* imports plus exports */
#define WH_PKG_MAX_WASM_TEXT    (1 << 20)    /* bytes of names and types */
#define WH_PKG_WASM_MEM(len)    (4 * (uint64_t)(len) + ((uint64_t)16 << 20))
int wh_pkg_wasm_describe(const char *path, const char *what,
                         const uint8_t *wasm, size_t len, json_t **out,
                         wh_err *err);

/* Ferrite's "double FNV-1a" checksum of data: 32 lower-case hex digits. */
void wh_ferrite_checksum(const uint8_t *data, size_t len, char out[33]);

/* --- helpers the format readers share (pkg.c) --------------------------- */

/* Limits on the labels lists (categories, tags) of a package. */
#define WH_PKG_MAX_LABELS    64   /* entries per list */
#define WH_PKG_MAX_LABEL_LEN 64   /* bytes per entry */
#define WH_PKG_MAX_DEPS      256  /* dependencies per package */


/* Check a JSON array of labels (categories or tags; what names the list in
 * errors): at most WH_PKG_MAX_LABELS strings of 1..WH_PKG_MAX_LABEL_LEN
 * bytes without control characters.  *out is a new array of the same
 * strings sorted byte-wise without duplicates.  Errors (WH_E_FORMAT,
 * WH_E_LIMIT) have no path or place: the caller adds them. */
int wh_pkg_labels(const json_t *arr, const char *what, json_t **out,
                  wh_err *err);

/* Check one dependency: name by wh_pkg_name_check, req (rlen bytes) as a
 * Cargo-syntax requirement.  Errors have no path or place. */
int wh_pkg_dep_check(const char *name, size_t nlen, const char *req,
                     size_t rlen, wh_err *err);

/* --- installed layout (pkg_unpack.c) -------------------------------------
 *
 * Which files an installed module consists of, per format (docs/formats.md,
 * "Installed layout"); the installer writes them under
 * ROOT/modules/NAME/VERSION/:
 *
 *   ferrpkg  ferrite-plugin.toml  the header as Ferrite's manifest
 *            ferrpkg.json         the header, byte for byte
 *            module.wasm          the module
 *   bundle   every regular file of the zip, under its own name
 *   PAR      claims.jwt, bin/provider (the binary for one target, mode
 *            0755), world.wasm (when the archive has one)
 *   format   (WH_PKG_FORMAT) the package whole, as the one file its
 *            record's "file" names (wh_index_file_check's plain name)
 *
 * Every other file is mode 0644.  Directories are implied by the paths. */

/* This machine's target as wasmCloud names a PAR's binaries: Rust's
 * std::env::consts ARCH "-" OS ("x86_64-linux", "aarch64-linux",
 * "aarch64-macos", "x86_64-windows", ...), fixed when wharf is compiled;
 * "unknown" for a part the compiler does not tell.  A static string. */
const char *wh_pkg_host_target(void);

/* One file of an installed module, handed to the caller to write: rel is
 * a safe relative path (printable ASCII, no "." or ".." components, no
 * backslash, at most WH_PKG_UNPACK_MAX_NAME bytes, components at most 255
 * bytes) that collides with no other rel of the same call, even on a
 * case-insensitive file system (neither equal ignoring ASCII case nor a
 * file where another needs a folder); data[0..len) is valid only during
 * the call; mode is 0644 or 0755.  Return 0 to go on, or a WH_E_* code
 * (with err filled) to stop: wh_pkg_unpack then returns that code. */
typedef int (*wh_pkg_file_fn)(void *ctx, const char *rel,
                              const uint8_t *data, size_t len, unsigned mode,
                              wh_err *err);

#define WH_PKG_UNPACK_MAX_FILES 256    /* entries of a bundle or PAR */
#define WH_PKG_UNPACK_MAX_NAME  1024   /* bytes of an installed path */

/* Call fn for each file the module in data[0..len) installs, in the
 * archive's order (ferrpkg: the three files in the order above).  pkg is
 * what wh_pkg_read_mem returned for these same bytes: its kind says the
 * format, and what fn receives is checked against it once more (a
 * .ferrpkg's name, version and checksum; a PAR binary's size and SHA-256;
 * a bundle's module entry), so the files are the ones verified.  The
 * archive is still read as hostile: every entry of a bundle or PAR is
 * checked (name, type, duplicates, count, sizes counted while
 * decompressing) before fn sees it, and anything wrong stops the call
 * with WH_E_UNSAFE, WH_E_FORMAT, WH_E_LIMIT or WH_E_VERIFY naming path,
 * the entry and the reason ("b.zip: entry '../x': '..' component").
 * target (NULL: wh_pkg_host_target()) picks a PAR's binary; a PAR
 * without one for it fails with WH_E_NOTFOUND before fn is called (see
 * wh_pkg_target_check).
 *
 * fn may have been called for some files when an error stops the call:
 * the caller writes into a staging folder and drops it on failure.
 * Nothing is written here.  Memory: besides data, one file at a time
 * (a bundle entry up to WH_PKG_MAX_ENTRY, a PAR's binary or world.wasm
 * up to WH_PKG_MAX_SIZE, growing by doubling so at most twice that
 * while it grows; a .ferrpkg's files point into data, plus its parsed
 * header and manifest, within WH_PKG_READ_SLACK as when reading) and
 * libarchive's buffers. */
int wh_pkg_unpack(const char *path, const uint8_t *data, size_t len,
                  const wh_pkg *pkg, const char *target, wh_pkg_file_fn fn,
                  void *ctx, wh_err *err);

/* The targets a PAR version record (from wh_pkg_read or the index) offers,
 * sorted and separated by ", " ("aarch64-macos, x86_64-windows"), into
 * buf (size n, truncated with "..." when too small); "" for none or
 * another kind.  Returns buf. */
char *wh_pkg_targets(const json_t *record, char *buf, size_t n);

/* 0 if record offers a binary for target (NULL: this machine's), or is
 * not a PAR's (every other kind runs anywhere); else WH_E_NOTFOUND
 * naming path: "not available for x86_64-linux (it has aarch64-macos,
 * x86_64-windows)".  So an installer can refuse before downloading. */
int wh_pkg_target_check(const char *path, const json_t *record,
                        const char *target, wh_err *err);

/* --- writing packages (pkg_write.c) ---------------------------------------
 *
 * The publisher's side (`wharf pack`, `wharf publish`): Ferrite's manifest
 * read, a .ferrpkg and a plugin bundle written so that the readers above
 * accept them, with the same bytes for the same input on every machine,
 * and a package file checked with its signature. */

/* Ferrite's ModuleManifest, ferrite-plugin.toml (text[0..len), path for
 * errors), as docs/formats.md "Installed layout" shows it:
 *
 *     [module]   name, version, author, description, license: required
 *                strings; categories, tags: arrays of strings;
 *                min_ferrite_version: SemVer string (optional)
 *     [dependencies]  NAME = "Cargo requirement" (optional)
 *
 * Other keys are ignored, as Ferrite's reader ignores them.  *meta is a
 * new object {"name", "version", "author", "description", "license",
 * "categories": [...], "tags": [...], "min_ferrite_version"?,
 * "dependencies": {...}}: labels sorted and unique (wh_pkg_labels),
 * dependencies sorted by name.  Errors are at path:line:col:
 * "m.toml:3:11: 'module.version' must be a string", "m.toml:1:1: missing
 * key 'module.license'", "m.toml:2:8: module name 'a/b' contains '/'". */
int wh_ferrite_manifest_read(const char *path, const char *text, size_t len,
                             json_t **meta, wh_err *err);

/* The .ferrpkg header for module wasm[0..len) and meta (as above): a new
 * object with the keys in the order they are written: name, version,
 * author, description, license, checksum (wh_ferrite_checksum),
 * wasm_size, sha256 (of the module), categories, tags, dependencies,
 * min_ferrite_version (when meta has it). */
int wh_ferrpkg_header(const json_t *meta, const uint8_t *wasm, size_t len,
                      json_t **hdr, wh_err *err);

/* v as serde_json's compact writer writes it (keys in the object's
 * order; control characters as \u00xx in lower case), into a malloc'd,
 * NUL-terminated *out of *len bytes.  Real numbers are refused
 * (WH_E_FORMAT), as is nesting deeper than 64. */
int wh_pkg_json_compact(const json_t *v, char **out, size_t *len, wh_err *err);

/* "FPKG", u32le header length, wh_pkg_json_compact(hdr), the module: a
 * malloc'd *out of *outlen bytes. */
int wh_ferrpkg_write(const json_t *hdr, const uint8_t *wasm, size_t len,
                     uint8_t **out, size_t *outlen, wh_err *err);

/* A zip of the files, in the order given, with fixed times and modes
 * (1980-01-01 00:00, 0644), each deflated unless that saves nothing:
 * a malloc'd *out of *outlen bytes.  Names must pass wh_path_join
 * (WH_E_UNSAFE), be at most 1024 bytes and unique (WH_E_FORMAT); the
 * archive must stay below 4 GiB (WH_E_LIMIT: no zip64). */
typedef struct wh_zip_file {
    const char    *name;
    const uint8_t *data;
    size_t         len;
} wh_zip_file;
int wh_zip_write(const wh_zip_file *files, size_t n, uint8_t **out,
                 size_t *outlen, wh_err *err);

/* A bundle's plugin.toml before the bundle exists: [plugin] name (a module
 * name) and version (SemVer), errors at path:line:col.  The rest is
 * checked by reading the finished bundle (wh_bundle_read), whose manifest
 * errors wh_bundle_error_relocate turns from "B.zip: plugin.toml:3:1: R"
 * into "manifest_path:3:1: R" (other errors are left as they are);
 * returns err->code. */
int wh_bundle_manifest_id(const char *path, const char *text, size_t len,
                          char name[65], char version[257], wh_err *err);
int wh_bundle_error_relocate(wh_err *err, const char *manifest_path);

/* A package file read and checked for publishing. */
typedef struct wh_pkg_checked {
    char    *data;            /* the file's bytes */
    size_t   len;
    wh_pkg   pkg;             /* what wh_pkg_read_mem made of them */
    int      has_pkg;
    char    *sig;             /* PATH.minisig's text, NULL when none */
    size_t   sig_len;
    char     sig_path[4096 + 16];
    char     key_id[17];      /* the signing key's id, when sig */
    char     trusted[WH_MINISIGN_TRUSTED_MAX + 1];  /* its verified comment */
} wh_pkg_checked;

/* Read path and PATH.minisig beside it when there is one (not following a
 * link), verify the signature with the key of kr (may be NULL) that it
 * names, first, then the package (wh_pkg_read_mem).  A signature by a key
 * kr does not hold is WH_E_UNTRUSTED "signed by key ID, which is not
 * trusted" naming the .minisig; no .minisig is fine (sig NULL: the caller
 * decides).  On failure *f holds nothing to free. */
int wh_pkg_check_file(const char *path, const wh_keyring *kr,
                      wh_pkg_checked *f, wh_err *err);
void wh_pkg_checked_free(wh_pkg_checked *f);

/* The extension a package is published under, by its content:
 * ".ferrpkg", ".zip", ".par.gz" (gzip) or ".par", as the index names it. */
const char *wh_pkg_ext(const wh_pkg *pkg, const uint8_t *data, size_t len);

#endif

/* pkg.c - one package file, whatever its format: reading, recognising,
 * and the checks every format shares.
 *
 * This is the front of the package readers (pkg.h): wh_pkg_read() loads
 * the file into memory (capped at WH_PKG_MAX_SIZE) and wh_pkg_read_mem()
 * recognises the format by its first bytes, never by its name:
 *
 *   "FPKG"                      .ferrpkg        pkg_ferrpkg.c
 *   "PK\3\4"                    plugin bundle   pkg_bundle.c
 *   1f 8b, or a tar header      PAR             pkg_par.c
 *
 * A tar header is recognised by "ustar" at offset 257 (POSIX and GNU), or,
 * for the old v7 layout that has no magic, by a header checksum that
 * adds up: a random file passes that test with odds of about 1 in 10^5,
 * and then fails in the PAR reader anyway.  After the format's reader
 * succeeds, the digest and size of the whole file are recorded here, so
 * no reader can forget them.
 *
 * Each reader's memory bound (wh_pkg_read_bound) lives here too; the
 * checks every format shares (module names, labels, dependencies) are in
 * pkg_check.c, which needs no archive library, so a program that only
 * checks names (wharf's run front) does not load libarchive.  Hostile
 * text in messages is quoted with wh_quote (err.h), as every message of
 * wharf is.  The
 * description of a WASM module for the index (wh_pkg_wasm_describe) is in
 * pkg_wasm.c, the only file of common/ that uses the interpreter.
 *
 * Tests: tests/unit/pkg_test.c (+ pkg.data), tests/cli/t1011-ferrpkg.sh,
 * tests/cli/t1012-bundle.sh.
 */
#include "pkg.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "hex.h"

/* --- recognising a format ----------------------------------------------- */

/* Parse an octal tar number field (digits, padded with spaces or NULs). */
static int tar_octal(const uint8_t *f, size_t n, uint64_t *out)
{
    size_t i = 0;
    while (i < n && f[i] == ' ')
        i++;
    uint64_t v = 0;
    size_t digits = 0;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++)
        v = v * 8 + (uint64_t)(f[i] - '0');
    for (; i < n; i++)
        if (f[i] != ' ' && f[i] != '\0')
            return -1;
    if (digits == 0)
        return -1;
    *out = v;
    return 0;
}

/* True if the first 512 bytes are a tar header: the ustar magic, or a v7
 * header (a name and a checksum that matches, summed either unsigned or,
 * as some old tars did, signed). */
static int is_tar(const uint8_t *d, size_t len)
{
    if (len >= 262 && memcmp(d + 257, "ustar", 5) == 0)
        return 1;
    if (len < 512 || d[0] == '\0')
        return 0;
    uint64_t want;
    if (tar_octal(d + 148, 8, &want))
        return 0;
    uint64_t usum = 0;
    int64_t ssum = 0;
    for (size_t i = 0; i < 512; i++) {
        uint8_t c = i >= 148 && i < 156 ? ' ' : d[i];
        usum += c;
        ssum += (int8_t)c;
    }
    return want == usum || (int64_t)want == ssum;
}

static int detect(const uint8_t *d, size_t len)
{
    if (len >= 4 && memcmp(d, "FPKG", 4) == 0)
        return WH_PKG_FERRPKG;
    if (len >= 4 && memcmp(d, "PK\3\4", 4) == 0)
        return WH_PKG_BUNDLE;
    if ((len >= 2 && d[0] == 0x1f && d[1] == 0x8b) || is_tar(d, len))
        return WH_PKG_PAR;
    return 0;
}

/* --- reading ------------------------------------------------------------ */

/* Add what the front end knows to a reader's record. */
static int finish_record(const char *path, wh_pkg *pkg, wh_err *err)
{
    json_t *r = pkg->record;
    assert(r);
    const char *kind = wh_pkg_kind_name(pkg->kind);
    if (json_object_set_new(r, "kind", json_string(kind)) ||
        json_object_set_new(r, "size", json_integer((json_int_t)pkg->size)) ||
        json_object_set_new(r, "sha256", json_string(pkg->sha256)))
        return wh_fail(err, WH_E_NOMEM, path, -1, "cannot build the record");
    return 0;
}

int wh_pkg_read_mem(const char *path, const uint8_t *data, size_t len,
                    const wh_pkg_opts *opts, wh_pkg *pkg, wh_err *err)
{
    memset(pkg, 0, sizeof *pkg);
    if (len == 0)
        return wh_fail(err, WH_E_FORMAT, path, -1, "empty file");
    int rc, kind = detect(data, len);
    switch (kind) {
    case WH_PKG_FERRPKG:
        rc = wh_ferrpkg_read(path, data, len, opts, pkg, err);
        break;
    case WH_PKG_BUNDLE:
        rc = wh_bundle_read(path, data, len, opts, pkg, err);
        break;
    case WH_PKG_PAR:
        rc = wh_par_read(path, data, len, opts, pkg, err);
        break;
    default: {
        char hex[3 * 4] = "";
        for (size_t i = 0, o = 0; i < len && i < 4; i++, o = strlen(hex))
            snprintf(hex + o, sizeof hex - o, "%s%02x", i ? " " : "", data[i]);
        return wh_fail(err, WH_E_FORMAT, path, 0, "not a .ferrpkg, PAR or "
                       "plugin bundle (starts with %s)", hex);
    }
    }
    if (rc) {
        memset(pkg, 0, sizeof *pkg);
        return rc;
    }
    uint8_t d[WH_SHA256_BYTES];
    if ((rc = wh_sha256_buf(data, len, d, err)) != 0) {
        wh_pkg_free(pkg);
        return rc;
    }
    wh_hex_encode(pkg->sha256, d, sizeof d, 0);
    pkg->kind = (wh_pkg_kind)kind;
    pkg->size = len;
    if ((rc = finish_record(path, pkg, err)) != 0)
        wh_pkg_free(pkg);
    return rc;
}

int wh_pkg_read(const char *path, const wh_pkg_opts *opts, wh_pkg *pkg,
                wh_err *err)
{
    memset(pkg, 0, sizeof *pkg);
    char *data;
    size_t len;
    int rc = wh_file_read(path, WH_PKG_MAX_SIZE, &data, &len, err);
    if (rc)
        return rc;
    rc = wh_pkg_read_mem(path, (const uint8_t *)data, len, opts, pkg, err);
    free(data);
    return rc;
}

#define DEFLATE_MAX_RATIO 1032    /* deflate's best: 258 bytes per 2 bits */

uint64_t wh_pkg_read_bound(const uint8_t *head, size_t n, uint64_t size)
{
    switch (detect(head, n)) {
    case WH_PKG_FERRPKG:
        return WH_PKG_WASM_MEM(size) + WH_PKG_READ_SLACK;
    case WH_PKG_BUNDLE: {
        uint64_t wasm = size > WH_PKG_MAX_ENTRY / DEFLATE_MAX_RATIO
                        ? WH_PKG_MAX_ENTRY : size * DEFLATE_MAX_RATIO;
        return wasm + WH_PKG_WASM_MEM(wasm) + WH_PKG_READ_SLACK;
    }
    default:
        return WH_PKG_READ_SLACK;
    }
}

void wh_pkg_free(wh_pkg *pkg)
{
    if (!pkg)
        return;
    json_decref(pkg->record);
    memset(pkg, 0, sizeof *pkg);
}

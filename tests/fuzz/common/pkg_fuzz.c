/* pkg_fuzz.c - the body of the ferrpkg, par and bundle targets.
 *
 * A package is read with the format's own reader (so the fuzzer's
 * mutations are not lost to format detection), then, as wharf-index and
 * wharf would go on: the whole wh_pkg_read_mem (which must agree with the
 * reader), the record's canonical JSON, the targets, the read bound, and
 * wh_pkg_unpack with a callback that checks each installed path the way
 * pkg.h promises (safe, unique ignoring case, modes 0644/0755).
 *
 * Checked: a failure names "f.pkg" and fills a reason; a success has a
 * valid module name, a record that canonical JSON can write, and a read
 * bound of at least the module's own size.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/{ferrpkg,par,bundle}).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "tests/fuzz/common/fuzz.h"
#include "tests/fuzz/common/pkg_fuzz.h"

#define FP_MAX_FILES WH_PKG_UNPACK_MAX_FILES

typedef struct fp_unpack {
    char  *rel[FP_MAX_FILES];
    size_t n;
} fp_unpack;

/* The promises of wh_pkg_file_fn's rel: printable ASCII, no '\\', no
 * empty, "." or ".." component, not absolute. */
static void fp_rel_check(const char *rel)
{
    size_t n = strlen(rel);
    FUZZ_ASSERT(n > 0 && n <= WH_PKG_UNPACK_MAX_NAME && rel[0] != '/');
    for (size_t i = 0; i < n; i++)
        FUZZ_ASSERT(rel[i] > 0x20 - 1 && rel[i] < 0x7f && rel[i] != '\\');
    for (const char *c = rel; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
        size_t k = strcspn(c, "/");
        FUZZ_ASSERT(k > 0 && k <= 255);
        FUZZ_ASSERT(!(k == 1 && c[0] == '.') && !(k == 2 && !memcmp(c, "..", 2)));
    }
}

/* No two paths equal ignoring case, and none a folder of a file. */
static void fp_collide_check(const fp_unpack *u, const char *rel)
{
    size_t n = strlen(rel);
    for (size_t i = 0; i < u->n; i++) {
        size_t m = strlen(u->rel[i]);
        FUZZ_ASSERT(strcasecmp(u->rel[i], rel) != 0);
        if (m < n)
            FUZZ_ASSERT(!(strncasecmp(u->rel[i], rel, m) == 0 && rel[m] == '/'));
        if (n < m)
            FUZZ_ASSERT(!(strncasecmp(u->rel[i], rel, n) == 0 && u->rel[i][n] == '/'));
    }
}

static int fp_file(void *ctx, const char *rel, const uint8_t *data,
                   size_t len, unsigned mode, wh_err *err)
{
    fp_unpack *u = ctx;
    FUZZ_ASSERT(mode == 0644 || mode == 0755);
    FUZZ_ASSERT(len == 0 || data);
    fp_rel_check(rel);
    fp_collide_check(u, rel);
    FUZZ_ASSERT(u->n < FP_MAX_FILES);
    u->rel[u->n] = strdup(rel);
    if (!u->rel[u->n])
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    u->n++;
    return 0;
}

static void fp_unpack_all(const wh_pkg *pkg, const uint8_t *data, size_t size)
{
    static const char *targets[] = { NULL, "x86_64-linux", "aarch64-macos" };
    for (size_t t = 0; t < sizeof targets / sizeof *targets; t++) {
        fp_unpack u = { .n = 0 };
        wh_err err;
        if (wh_pkg_unpack("f.pkg", data, size, pkg, targets[t], fp_file, &u,
                          &err) != 0)
            FUZZ_ASSERT(err.code != 0 && err.reason[0]);
        for (size_t i = 0; i < u.n; i++)
            free(u.rel[i]);
    }
}

/* What the indexer and installer do with a package once read. */
static void fp_use(const wh_pkg *pkg, const uint8_t *data, size_t size)
{
    wh_err err;
    FUZZ_ASSERT(wh_pkg_name_check(pkg->name, strlen(pkg->name), &err) == 0);
    char *canon;
    size_t clen;
    if (wh_json_canon(pkg->record, &canon, &clen, &err) == 0)
        free(canon);
    char buf[256];
    wh_pkg_targets(pkg->record, buf, sizeof buf);
    FUZZ_ASSERT(strlen(buf) < sizeof buf);
    (void)wh_pkg_target_check("f.pkg", pkg->record, "x86_64-linux", &err);
    (void)wh_pkg_ext(pkg, data, size);
    FUZZ_ASSERT(wh_pkg_read_bound(data, size, size) >= (uint64_t)size);
    fp_unpack_all(pkg, data, size);
}

void fuzz_pkg(fuzz_pkg_reader reader, const uint8_t *data, size_t size)
{
    wh_pkg_opts opts = { .now = FUZZ_PKG_NOW };
    wh_pkg pkg, all;
    wh_err err;
    memset(&pkg, 0, sizeof pkg);
    if (reader("f.pkg", data, size, &opts, &pkg, &err) != 0) {
        FUZZ_ASSERT(err.code != 0 && err.reason[0]);
        FUZZ_ASSERT(strcmp(err.path, "f.pkg") == 0);
        return;
    }
    wh_pkg_free(&pkg);
    memset(&all, 0, sizeof all);
    if (wh_pkg_read_mem("f.pkg", data, size, &opts, &all, &err) != 0) {
        /* The whole read adds only the size cap and detection. */
        FUZZ_ASSERT(err.code != 0);
        return;
    }
    fp_use(&all, data, size);
    wh_pkg_free(&all);
}

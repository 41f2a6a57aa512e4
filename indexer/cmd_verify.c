/* cmd_verify.c - `wharf-index verify SITE -p REPO.pub`: check a site as an
 * installer would, before or after publishing it.
 *
 * In order: the index the signature names, through common/index.c
 * (wh_index_load: signature by the repository key, trusted comment,
 * SHA-256, format, canonical form); then that it has not expired, that
 * its by-hash .gz holds the same bytes, that the copies index.json and
 * index.json.gz are this index or an older signed one (a build that was
 * killed after its commit leaves them one generation behind, which is
 * said but is not a failure: readers go by hash), and every package's
 * size and SHA-256 (on --jobs threads) and the presence of its .minisig
 * when the index says it was signed.  A bad signature stops at once,
 * since nothing else can then be believed; every other failure is
 * reported and the rest still checked.  The exit status is the first
 * failure's (docs/exit-codes.md).
 *
 * A sharded index is checked too (every bin and module file by its
 * digest, and the same as index.json when the site has both); a site
 * with the sharded index alone is checked a bin at a time (verify_bins),
 * so that its memory is a bin's, whatever the repository's size.
 *
 * Tests: tests/cli/t1101-wharf-index-verify.sh, t1110-wharf-index-sharded.sh.
 */
#include "indexer/indexer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/fs.h"
#include "common/gzip.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/shard.h"

enum { OPT_JSON = 256 };

static const wh_opt opts[] = {
    { 'p', "public-key", "FILE", "repository public key (default: repo.pub)" },
    { 'j', "jobs", "N", "hash on N threads (default: the CPUs)" },
    { 'q', "quiet", NULL, "no progress bar and no summary" },
    { OPT_JSON, "json", NULL, "print a JSON summary on stdout" },
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf-index verify SITE [-p REPO.pub] [options]";
static const char description[] =
    "Check a site as an installer would: index.json.minisig by the\n"
    "repository key, the index it names under by-hash/ (signature, SHA-256,\n"
    "serial, expiry, format), its .gz, the copies index.json and\n"
    "index.json.gz; the sharded index (snapshot.json.minisig, every bin\n"
    "and module file by its SHA-256, the same as index.json); and the size\n"
    "and SHA-256 of every package.";

#define PROG "wharf-index verify"

typedef struct verify_ctx {
    const char   *site;
    wh_index_pkg *v;
    wh_err       *errs;
    ix_progress  *progress;
} verify_ctx;

static void check_one(size_t i, void *ctx)
{
    verify_ctx *c = ctx;
    wh_err_clear(&c->errs[i]);
    wh_index_pkg_check(&c->v[i], c->site, &c->errs[i]);
    ix_progress_add(c->progress, c->v[i].size);
}

/* path (a file of the site) into bytes, inflated when gz. */
static int read_copy(const char *path, int gz, char **bytes, size_t *len,
                     wh_err *err)
{
    char *raw;
    size_t rlen;
    int rc = wh_file_read_stat(path, WH_INDEX_MAX, WH_READ_NOFOLLOW, &raw, &rlen,
                               NULL, err);
    if (rc || !gz) {
        *bytes = raw;
        *len = rlen;
        return rc;
    }
    rc = wh_gunzip(raw, rlen, WH_INDEX_MAX, (unsigned char **)bytes, len, err);
    free(raw);
    if (rc)
        snprintf(err->path, sizeof err->path, "%.*s", (int)sizeof err->path - 1, path);
    return rc;
}

/* by-hash/HEX.json.gz (rel) must inflate to the index's bytes; a site
 * written before by-hash existed has neither. */
static int check_gz(const char *site, const char *rel, const wh_index *ix,
                    wh_err *err)
{
    char path[4096], *bytes;
    size_t len;
    struct stat st;
    snprintf(path, sizeof path, "%s/%.*s", site, (int)strlen(rel) - 3, rel);
    if (lstat(path, &st) < 0 && errno == ENOENT)
        return 0;
    snprintf(path, sizeof path, "%s/%s", site, rel);
    int rc = read_copy(path, 1, &bytes, &len, err);
    if (rc == 0 && (len != ix->len || memcmp(bytes, ix->bytes, len) != 0))
        rc = wh_fail(err, WH_E_VERIFY, path, -1, "does not hold the bytes of the index");
    free(bytes);
    return rc;
}

/* The serial of an older generation that bytes (sha256 hex) are: its
 * by-hash signature must sign them.  0 if there is none. */
static int64_t older_generation(const char *site, const char *hex,
                                const wh_minisign_pubkey *pk, char *bytes,
                                size_t len)
{
    char rel[128], sig_path[4096];
    wh_minisign_sig sig;
    wh_index ix;
    wh_index_byhash(rel, sizeof rel, hex, ".minisig");
    snprintf(sig_path, sizeof sig_path, "%s/%s", site, rel);
    if (wh_minisign_sig_load_flags(&sig, sig_path, WH_MINISIGN_NOFOLLOW, NULL)) {
        free(bytes);
        return 0;
    }
    if (wh_index_verify(&ix, &sig, pk, bytes, len, sig_path, sig_path, NULL))
        return 0;
    int64_t serial = ix.head.serial;
    wh_index_free(&ix);
    return serial;
}

/* index.json (or its .gz) must hold the signed index, or, one build
 * behind, an older signed one (*behind says which serial), or, when the
 * first build was killed after its commit, be missing (*behind -1). */
static int check_copy(const char *site, const char *name, int gz,
                      const wh_index *ix, const wh_minisign_pubkey *pk,
                      int64_t *behind, wh_err *err)
{
    char path[4096], hex[WH_SHA256_HEX];
    uint8_t d[WH_SHA256_BYTES];
    char *bytes;
    size_t len;
    *behind = 0;
    snprintf(path, sizeof path, "%s/%s", site, name);
    int rc = read_copy(path, gz, &bytes, &len, err);
    if (rc == WH_E_NOTFOUND && ix->head.serial == 1) {
        *behind = -1;      /* a first build killed after its commit */
        return 0;
    }
    if (rc)
        return rc;
    wh_sha256_buf(bytes, len, d, NULL);
    wh_hex_encode(hex, d, sizeof d, 0);
    if (strcmp(hex, ix->head.sha256) == 0) {
        free(bytes);
        return 0;
    }
    int64_t serial = older_generation(site, hex, pk, bytes, len);  /* frees */
    if (serial > 0 && serial < ix->head.serial) {
        *behind = serial;
        return 0;
    }
    return wh_fail(err, WH_E_VERIFY, path, -1, "is not the signed index: it has "
                   "sha256 %s, the signature names %s", hex, ix->head.sha256);
}

static void note(int *status, const wh_err *e, json_t *failures, const char *rel)
{
    char msg[WH_ERR_LINE_MAX];
    int st = wh_cli_report(PROG, e);
    if (*status == WH_EXIT_OK)
        *status = st;
    json_array_append_new(failures, json_pack("{sssssi}", "path", rel,
        "error", wh_err_format(e, msg, sizeof msg), "status", st));
}

typedef struct verify {
    const char *site, *pub;
    int jobs, quiet, json;
} verify;

static int parse_args(verify *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->pub = "repo.pub";
    o->jobs = ix_cpu_count();
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int c;
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        switch (c) {
        case 'p': o->pub = cli.arg; break;
        case 'q': o->quiet = 1; break;
        case OPT_JSON: o->json = 1; break;
        case 'j':
            if (ix_jobs_arg(&cli, &o->jobs))
                return WH_EXIT_USAGE;
            break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    if (cli.argc != 1) {
        snprintf(cli.msg, sizeof cli.msg, "%s", cli.argc ? "one site expected"
                 : "no site to verify");
        return wh_cli_usage_error(&cli);
    }
    o->site = cli.argv[0];
    return 0;
}

static void print_json(const verify *o, const wh_index *ix, json_t *failures,
                       int status)
{
    json_t *j = json_pack("{sssIsIsIsIsIsOsb}", "site", o->site,
        "serial", (json_int_t)ix->head.serial, "generated", (json_int_t)ix->generated,
        "expires", (json_int_t)ix->head.expires, "packages", (json_int_t)ix->packages,
        "modules", (json_int_t)ix->modules, "failures", failures,
        "verified", status == WH_EXIT_OK);
    wh_json_print(j, NULL);
    json_decref(j);
}

/* The index's own checks: expiry, its by-hash .gz, the two copies. */
static void check_index(const verify *o, const wh_index *ix,
                        const wh_minisign_pubkey *pk, int *status,
                        json_t *failures)
{
    static const struct { const char *name; int gz; } copies[] = {
        { WH_INDEX_JSON, 0 }, { WH_INDEX_GZ, 1 },
    };
    char path[4096], rel[128], date[32];
    int64_t behind;
    wh_err err;
    if (ix->head.expires <= (int64_t)time(NULL)) {
        wh_cli_date(ix->head.expires, date);
        snprintf(path, sizeof path, "%s/" WH_INDEX_JSON, o->site);
        wh_fail(&err, WH_E_EXPIRED, path, -1, "the index expired on %s", date);
        note(status, &err, failures, WH_INDEX_JSON);
    }
    wh_index_byhash(rel, sizeof rel, ix->head.sha256, ".gz");
    if (check_gz(o->site, rel, ix, &err))
        note(status, &err, failures, rel);
    for (size_t i = 0; i < sizeof copies / sizeof copies[0]; i++) {
        if (check_copy(o->site, copies[i].name, copies[i].gz, ix, pk, &behind, &err))
            note(status, &err, failures, copies[i].name);
        else if (behind > 0 && !o->json)
            fprintf(stderr, PROG ": note: %s/%s: serial %lld, one build behind "
                    "the signature's %lld (a build was interrupted; the next one "
                    "replaces it)\n", o->site, copies[i].name, (long long)behind,
                    (long long)ix->head.serial);
        else if (behind < 0 && !o->json)
            fprintf(stderr, PROG ": note: %s/%s: not written yet (the first "
                    "build was interrupted; the next one writes it)\n", o->site,
                    copies[i].name);
    }
}

/* The site's index.json (*full) and its sharded index (*sharded): either
 * may be missing, not both; a bad one stops the check (nothing it says
 * can be believed). */
static int load_site(const char *site, const wh_minisign_pubkey *pk,
                     wh_index *ix, int *full, wh_index *sx, int *sharded,
                     wh_err *err)
{
    wh_err e2;
    int rc = wh_index_load(ix, site, pk, err);
    *full = rc == 0;
    if (rc && rc != WH_E_NOTFOUND)
        return rc;
    int rs = wh_snap_index_load(sx, site, pk, &e2);
    *sharded = rs == 0;
    if (rs && rs != WH_E_NOTFOUND) {
        if (*full)
            wh_index_free(ix);
        *err = e2;
        return rs;
    }
    return *full || *sharded ? 0 : rc;
}

/* The sharded index: not expired, and the same as index.json when the
 * site has both. */
static void check_sharded(const verify *o, const wh_index *ix, const wh_index *sx,
                          int *status, json_t *failures)
{
    char path[4096], date[32];
    wh_err err;
    snprintf(path, sizeof path, "%s/" WH_SNAP_SIG, o->site);
    if (sx->head.expires <= (int64_t)time(NULL)) {
        wh_cli_date(sx->head.expires, date);
        wh_fail(&err, WH_E_EXPIRED, path, -1, "the index expired on %s", date);
        note(status, &err, failures, WH_SNAP_SIG);
    }
    if (ix && (ix->head.serial != sx->head.serial ||
               !json_equal(json_object_get(ix->json, "modules"),
                           json_object_get(sx->json, "modules")))) {
        wh_fail(&err, WH_E_VERIFY, path, -1, "the sharded index (serial %lld) "
                "does not list what index.json (serial %lld) lists",
                (long long)sx->head.serial, (long long)ix->head.serial);
        note(status, &err, failures, WH_SNAP_SIG);
    }
}

/* Every package the index lists, on --jobs threads; *bad counts failures.
 * With a progress bar (a site checked a bin at a time) it goes on that
 * one and the caller says how many failed; else it draws its own. */
static void check_packages(const verify *o, const wh_index *ix, ix_progress *bar,
                           int *status, json_t *failures, size_t *bad)
{
    wh_index_pkg *v = NULL;
    size_t n = 0;
    uint64_t bytes = 0;
    wh_err err;
    wh_err *errs = NULL;
    *bad = 0;
    if (wh_index_packages(ix, &v, &n, &err) ||
        !(errs = calloc(n ? n : 1, sizeof *errs))) {
        wh_fail(&err, WH_E_NOMEM, o->site, -1, NULL);
        note(status, &err, failures, WH_INDEX_JSON);
        free(v);
        return;
    }
    for (size_t i = 0; i < n; i++)
        bytes += v[i].size;
    ix_progress own;
    if (!bar)
        ix_progress_start(&own, "hashing", n, bytes, ix_progress_wanted(o->quiet || o->json));
    verify_ctx c = { o->site, v, errs, bar ? bar : &own };
    ix_parallel(n, o->jobs, check_one, &c);
    if (!bar)
        ix_progress_end(&own);
    for (size_t i = 0; i < n; i++)
        if (errs[i].code) {
            (*bad)++;
            note(status, &errs[i], failures, v[i].path);
        }
    if (*bad && !bar)
        fprintf(stderr, PROG ": %zu of %zu package%s failed verification\n",
                *bad, n, n == 1 ? "" : "s");
    free(errs);
    free(v);
}

/* A site with the sharded index alone, a bin at a time: memory is one
 * bin's modules, not the repository's (the whole index as one tree is
 * gigabytes at 10^6).  A bad bin or module file stops the check, as a
 * bad index does; *sum gets the head and the counts. */
static int verify_bins(const verify *o, const wh_minisign_pubkey *pk, wh_index *sum,
                       int *status, json_t *failures, wh_err *err)
{
    wh_snap s;
    size_t bad = 0, b_bad;
    memset(sum, 0, sizeof *sum);
    int rc = wh_snap_load(&s, o->site, pk, err);
    if (rc)
        return rc;
    sum->head = s.head;
    sum->generated = s.generated;
    check_sharded(o, NULL, sum, status, failures);
    ix_progress bar;
    ix_progress_start(&bar, "hashing", s.packages, 0, ix_progress_wanted(o->quiet || o->json));
    for (size_t b = 0; rc == 0 && b < s.nbins; b++) {
        wh_index part;
        if ((rc = wh_snap_part_load(&s, o->site, b, &part, err)) != 0)
            break;
        sum->modules += part.modules;
        sum->packages += part.packages;
        check_packages(o, &part, &bar, status, failures, &b_bad);
        bad += b_bad;
        wh_index_free(&part);
    }
    ix_progress_end(&bar);
    if (rc == 0)
        rc = wh_snap_count_check(&s, o->site, sum->modules, sum->packages, err);
    if (bad)
        fprintf(stderr, PROG ": %zu of %zu package%s failed verification\n",
                bad, sum->packages, sum->packages == 1 ? "" : "s");
    wh_snap_free(&s);
    return rc;
}

int cmd_verify(int argc, char **argv)
{
    verify o;
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    wh_err err;
    wh_minisign_pubkey pk;
    wh_index ix, sx;
    int full = 0, sharded = 0;
    int status = WH_EXIT_OK;
    size_t bad;
    char sig[4096], snap[4096];
    struct stat st;
    snprintf(sig, sizeof sig, "%s/" WH_INDEX_SIG, o.site);
    snprintf(snap, sizeof snap, "%s/" WH_SNAP_SIG, o.site);
    if (wh_minisign_pubkey_load(&pk, o.pub, &err))
        return wh_cli_report(PROG, &err);
    json_t *failures = json_array();
    if (lstat(sig, &st) != 0 && errno == ENOENT && lstat(snap, &st) == 0) {
        /* the sharded index alone */
        if (verify_bins(&o, &pk, &ix, &status, failures, &err)) {
            json_decref(failures);
            return wh_cli_report(PROG, &err);
        }
        goto report;
    }
    if (load_site(o.site, &pk, &ix, &full, &sx, &sharded, &err)) {
        json_decref(failures);
        return wh_cli_report(PROG, &err);
    }
    if (full)
        check_index(&o, &ix, &pk, &status, failures);
    if (sharded)
        check_sharded(&o, full ? &ix : NULL, &sx, &status, failures);
    if (!full)
        ix = sx;
    check_packages(&o, &ix, NULL, &status, failures, &bad);
report:;
    char date[32];
    wh_cli_date(ix.head.expires, date);
    if (o.json)
        print_json(&o, &ix, failures, status);
    else if (!o.quiet && status == WH_EXIT_OK)
        printf("verified '%s': %zu package%s in %zu module%s, serial %lld, "
               "expires %s\n", o.site, ix.packages, ix.packages == 1 ? "" : "s",
               ix.modules, ix.modules == 1 ? "" : "s", (long long)ix.head.serial,
               date);
    json_decref(failures);
    wh_index_free(&ix);
    if (full && sharded)
        wh_index_free(&sx);
    return status;
}

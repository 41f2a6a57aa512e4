/* cmd_verify.c - `wharf-index verify SITE -p REPO.pub`: check a site as an
 * installer would, before or after publishing it.
 *
 * In order: index.json's signature by the repository key, its trusted
 * comment (serial, expiry and the index's SHA-256), the format
 * (docs/index-format.md) and canonical form (ix_index_load); then that
 * the index has not expired, that index.json.gz holds the same bytes, and
 * every package's size and SHA-256 (on --jobs threads) and the presence
 * of its .minisig when the index says it was signed.  A bad signature
 * stops at once, since nothing else can then be believed; every other
 * failure is reported and the rest still checked.  The exit status is the
 * first failure's (docs/exit-codes.md).
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
#include "common/hex.h"
#include "common/json.h"
#include "common/sha256.h"

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
    "Check a site: the signature of index.json by the repository key, its\n"
    "serial and expiry, its format, index.json.gz, and the size and SHA-256\n"
    "of every package it lists.";

#define PROG "wharf-index verify"

/* One package the index lists. */
typedef struct pkg_check {
    const char *module, *version, *rel, *sha256;
    uint64_t    size;
    int         signed_file;    /* a .minisig must be next to it */
    wh_err      err;            /* code 0: good */
} pkg_check;

typedef struct verify_ctx {
    const char  *site;
    pkg_check   *v;
    size_t       n;
    ix_progress *progress;
} verify_ctx;

static int check_file(const char *site, pkg_check *c, wh_err *err)
{
    char path[4096];
    int rc = wh_path_join(path, sizeof path, site, c->rel, strlen(c->rel), err);
    if (rc)
        return rc;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return wh_fail_errno(err, errno, path, "cannot open");
    struct stat st;
    uint8_t d[WH_SHA256_BYTES];
    char hex[WH_SHA256_HEX];
    uint64_t size = 0;
    if (fstat(fd, &st) < 0)
        rc = wh_fail_errno(err, errno, path, "cannot stat");
    else if ((uint64_t)st.st_size != c->size)
        rc = wh_fail(err, WH_E_VERIFY, path, -1, "size is %jd bytes, the index "
                     "says %ju", (intmax_t)st.st_size, (uintmax_t)c->size);
    else
        rc = wh_sha256_fd(fd, path, d, &size, err);
    close(fd);
    if (rc)
        return rc;
    wh_hex_encode(hex, d, sizeof d, 0);
    if (size != c->size || strcmp(hex, c->sha256) != 0)
        return wh_fail(err, WH_E_VERIFY, path, -1, "sha256 is %s, the index "
                       "says %s", hex, c->sha256);
    if (c->signed_file) {
        strncat(path, ".minisig", sizeof path - strlen(path) - 1);
        if (lstat(path, &st) < 0)
            return wh_fail(err, WH_E_NOTFOUND, path, -1, "the package's "
                           "signature is missing");
    }
    return 0;
}

static void check_one(size_t i, void *ctx)
{
    verify_ctx *c = ctx;
    check_file(c->site, &c->v[i], &c->v[i].err);
    ix_progress_add(c->progress, c->v[i].size);
}

/* The packages of a checked index (ix_index_load vouched for the types). */
static pkg_check *list_packages(json_t *index, size_t *n, uint64_t *bytes)
{
    const char *mname, *ver;
    json_t *mod, *rec;
    size_t count = 0, i = 0;
    *bytes = 0;
    json_object_foreach(json_object_get(index, "modules"), mname, mod)
        count += json_object_size(json_object_get(mod, "versions"));
    pkg_check *v = calloc(count ? count : 1, sizeof *v);
    if (!v)
        return NULL;
    json_object_foreach(json_object_get(index, "modules"), mname, mod) {
        json_object_foreach(json_object_get(mod, "versions"), ver, rec) {
            pkg_check *c = &v[i++];
            const char *status = json_string_value(
                json_object_get(json_object_get(rec, "signer"), "status"));
            c->module = mname;
            c->version = ver;
            c->rel = json_string_value(json_object_get(rec, "path"));
            c->sha256 = json_string_value(json_object_get(rec, "sha256"));
            c->size = (uint64_t)json_integer_value(json_object_get(rec, "size"));
            c->signed_file = strcmp(status, "unsigned") != 0 &&
                strcmp(json_string_value(json_object_get(rec, "kind")), "par") != 0;
            wh_err_clear(&c->err);
            *bytes += c->size;
        }
    }
    *n = count;
    return v;
}

/* index.json.gz must inflate to index.json's bytes. */
static int check_gz(const char *site, const ix_index *ix, wh_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/index.json.gz", site);
    char *z;
    size_t zlen, len;
    unsigned char *plain = NULL;
    int rc = wh_file_read(path, IX_INDEX_MAX, &z, &zlen, err);
    if (rc)
        return rc;
    rc = ix_gunzip(z, zlen, IX_INDEX_MAX, &plain, &len, err);
    if (rc) {
        snprintf(err->path, sizeof err->path, "%.*s",
                 (int)sizeof err->path - 1, path);
    } else if (len != ix->len || memcmp(plain, ix->bytes, len) != 0) {
        rc = wh_fail(err, WH_E_VERIFY, path, -1, "does not hold the bytes of index.json");
    }
    free(z);
    free(plain);
    return rc;
}

static void note(int *status, const wh_err *e, json_t *failures, const char *rel)
{
    char msg[1024];
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
        case 'j': {
            long long v = wh_cli_number(cli.arg, 1, 256);
            if (v < 0) {
                snprintf(cli.msg, sizeof cli.msg, "--jobs '%s' is not a number "
                         "from 1 to 256", cli.arg);
                return wh_cli_usage_error(&cli);
            }
            o->jobs = (int)v;
            break;
        }
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

static void print_json(const verify *o, const ix_index *ix, json_t *failures,
                       int status)
{
    json_t *j = json_pack("{sssIsIsIsIsIsOsb}", "site", o->site,
        "serial", (json_int_t)ix->serial, "generated", (json_int_t)ix->generated,
        "expires", (json_int_t)ix->expires, "packages", (json_int_t)ix->packages,
        "modules", (json_int_t)ix->modules, "failures", failures,
        "verified", status == WH_EXIT_OK);
    char *text;
    size_t len;
    if (j && wh_json_canon(j, &text, &len, NULL) == 0) {
        printf("%s\n", text);
        free(text);
    }
    json_decref(j);
}

int cmd_verify(int argc, char **argv)
{
    verify o;
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    wh_err err;
    wh_minisign_pubkey pk;
    ix_index ix;
    if (wh_minisign_pubkey_load(&pk, o.pub, &err) ||
        ix_index_load(&ix, o.site, &pk, &err))
        return wh_cli_report(PROG, &err);

    int status = WH_EXIT_OK;
    json_t *failures = json_array();
    int64_t now = (int64_t)time(NULL);
    char date[32];
    ix_date(ix.expires, date);
    if (ix.expires <= now) {
        char path[4096];
        snprintf(path, sizeof path, "%s/index.json", o.site);
        wh_fail(&err, WH_E_VERIFY, path, -1, "the index expired on %s", date);
        note(&status, &err, failures, "index.json");
    }
    if (check_gz(o.site, &ix, &err))
        note(&status, &err, failures, "index.json.gz");

    size_t n = 0, bad = 0;
    uint64_t bytes;
    pkg_check *v = list_packages(ix.json, &n, &bytes);
    if (!v) {
        wh_fail(&err, WH_E_NOMEM, o.site, -1, NULL);
        note(&status, &err, failures, "index.json");
    } else {
        ix_progress p;
        ix_progress_start(&p, "hashing", n, bytes, ix_progress_wanted(o.quiet || o.json));
        verify_ctx c = { o.site, v, n, &p };
        ix_parallel(n, o.jobs, check_one, &c);
        ix_progress_end(&p);
        for (size_t i = 0; i < n; i++)
            if (v[i].err.code) {
                bad++;
                note(&status, &v[i].err, failures, v[i].rel);
            }
    }
    if (bad)
        fprintf(stderr, PROG ": %zu of %zu package%s failed verification\n",
                bad, n, n == 1 ? "" : "s");
    if (o.json)
        print_json(&o, &ix, failures, status);
    else if (!o.quiet && status == WH_EXIT_OK)
        printf("verified '%s': %zu package%s in %zu module%s, serial %lld, "
               "expires %s\n", o.site, ix.packages, ix.packages == 1 ? "" : "s",
               ix.modules, ix.modules == 1 ? "" : "s", (long long)ix.serial, date);
    free(v);
    json_decref(failures);
    ix_index_free(&ix);
    return status;
}

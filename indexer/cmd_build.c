/* cmd_build.c - `wharf-index build PKGDIR -o SITE -s KEY`: index a folder
 * of packages into a signed static site.
 *
 * The steps (indexer.h has the pieces): load the key and the trust lists;
 * check the previous signature in SITE (its serial is the floor of ours,
 * and it must be this key's); list PKGDIR, answering unchanged
 * files from the cache; read the rest in parallel; reject duplicates and,
 * with --require-signatures, whatever is not verified; report every
 * rejected file in PKGDIR's sorted order; then, unless --strict found a
 * bad package, write the site and the cache.
 *
 * A bad package never stops the run.  The exit status is that of the
 * first rejection (docs/exit-codes.md), so a script sees "3" for a
 * malformed file and "4" for a bad signature; a failure to write the site
 * is reported after them and takes precedence, as nothing usable was
 * written.
 */
#include "indexer/indexer.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/fs.h"
#include "common/json.h"

enum {
    OPT_STRICT = 256,
    OPT_JSON,
    OPT_NO_CACHE,
    OPT_REQUIRE,
};

static const wh_opt opts[] = {
    { 'o', "output", "SITE", "the site folder to write (required)" },
    { 's', "secret-key", "FILE", "repository secret key (default: repo.key)" },
    { 'n', "name", "NAME", "repository name (default: the site folder's name)" },
    { 'e', "expires", "DAYS", "days until the index expires (default: 90)" },
    { 'k', "trusted-keys", "DIR", "minisign public keys (*.pub) of trusted publishers" },
    { 'i', "trusted-issuers", "FILE", "account nkeys of trusted PAR issuers, one a line" },
    { OPT_REQUIRE, "require-signatures", NULL, "reject packages that are not verified" },
    { OPT_STRICT, "strict", NULL, "write nothing when any package is rejected" },
    { 'j', "jobs", "N", "read and verify on N threads (default: the CPUs)" },
    { OPT_NO_CACHE, "no-cache", NULL, "read every file, ignoring the cache" },
    { 'q', "quiet", NULL, "no progress bar and no summary" },
    { OPT_JSON, "json", NULL, "print a JSON summary on stdout" },
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf-index build PKGDIR -o SITE [-s KEY] [options]";
static const char description[] =
    "Read every package in PKGDIR (.ferrpkg, PAR, plugin bundle), verify it,\n"
    "and write SITE: index.json signed with the repository key, its .gz,\n"
    "the packages under packages/, and keys/repo.pub. Rejected packages are\n"
    "reported and left out; the exit status is the first rejection's.\n"
    "Unchanged files are not read again (SITE/.wharf-cache.json).";

#define PROG "wharf-index build"

typedef struct build {
    const char *pkgdir, *site, *key_path, *name, *keys_dir, *issuers;
    int expires_days, jobs, strict, quiet, json, no_cache, require_sigs;
} build;

/* A decimal integer in [lo, hi]; -1 if s is not one. */
static int parse_args(build *b, int argc, char **argv)
{
    memset(b, 0, sizeof *b);
    b->key_path = "repo.key";
    b->expires_days = 90;
    b->jobs = ix_cpu_count();
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    long long v;
    int c;
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        switch (c) {
        case 'o': b->site = cli.arg; break;
        case 's': b->key_path = cli.arg; break;
        case 'n': b->name = cli.arg; break;
        case 'k': b->keys_dir = cli.arg; break;
        case 'i': b->issuers = cli.arg; break;
        case 'q': b->quiet = 1; break;
        case OPT_REQUIRE: b->require_sigs = 1; break;
        case OPT_STRICT: b->strict = 1; break;
        case OPT_NO_CACHE: b->no_cache = 1; break;
        case OPT_JSON: b->json = 1; break;
        case 'e':
            if ((v = wh_cli_number(cli.arg, 1, 36500)) < 0) {
                snprintf(cli.msg, sizeof cli.msg, "--expires '%s' is not a "
                         "number of days from 1 to 36500", cli.arg);
                return wh_cli_usage_error(&cli);
            }
            b->expires_days = (int)v;
            break;
        case 'j':
            if ((v = wh_cli_number(cli.arg, 1, 256)) < 0) {
                snprintf(cli.msg, sizeof cli.msg, "--jobs '%s' is not a number "
                         "from 1 to 256", cli.arg);
                return wh_cli_usage_error(&cli);
            }
            b->jobs = (int)v;
            break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    if (cli.argc != 1 || !b->site) {
        snprintf(cli.msg, sizeof cli.msg, "%s", cli.argc == 0 ? "no package directory"
                 : cli.argc > 1 ? "one package directory expected"
                 : "no output site: use -o SITE");
        return wh_cli_usage_error(&cli);
    }
    b->pkgdir = cli.argv[0];
    return 0;
}

static int load_key(const char *path, wh_minisign_seckey **sk, wh_err *err)
{
    int rc = wh_minisign_seckey_load(sk, path, err);
    if (rc || !wh_minisign_seckey_encrypted(*sk))
        return rc;
    char password[1024];
    rc = wh_cli_password("Password: ", 0, password, sizeof password, err);
    if (rc == 0)
        rc = wh_minisign_seckey_decrypt(*sk, password, path, err);
    sodium_memzero(password, sizeof password);
    return rc;
}

/* The site's default repository name: its folder's name. */
static void default_name(const char *site, char *out, size_t n)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", site);
    size_t len = strlen(buf);
    while (len > 1 && buf[len - 1] == '/')
        buf[--len] = '\0';
    const char *base = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
    char real[PATH_MAX];
    if ((!*base || !strcmp(base, ".") || !strcmp(base, "..")) && realpath(buf, real)) {
        base = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
    }
    if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
        base = "wharf";
    size_t len2 = strlen(base) < n ? strlen(base) : n - 1;
    memcpy(out, base, len2);
    out[len2] = '\0';
}

/* SITE inside PKGDIR would index its own packages the next time. */
static int check_site_outside(const char *pkgdir, const char *site, wh_err *err)
{
    char p[PATH_MAX], s[PATH_MAX], parent[PATH_MAX];
    if (!realpath(pkgdir, p))
        return 0;   /* ix_scan_list says why */
    if (!realpath(site, s)) {
        snprintf(parent, sizeof parent, "%s", site);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent)
            *slash = '\0';
        else
            snprintf(parent, sizeof parent, "%s", slash ? "/" : ".");
        if (!realpath(parent, s))
            return 0;
    }
    size_t n = strlen(p);
    if (strcmp(s, p) == 0 || (strncmp(s, p, n) == 0 && (s[n] == '/' || n == 1)))
        return wh_fail(err, WH_E_USAGE, site, -1, "the site is inside the "
                       "package directory '%s'", pkgdir);
    return 0;
}

static int64_t build_time(wh_err *err)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (!sde || !*sde)          /* empty counts as unset, as in most tools */
        return (int64_t)time(NULL);
    long long v = wh_cli_number(sde, 0, 253402300799LL);   /* 9999-12-31 */
    if (v < 0)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "SOURCE_DATE_EPOCH '%s' is "
                       "not a number of seconds", sde), -1;
    return v;
}

/* Report each rejected file in order; returns the first one's status. */
static int report_rejections(const ix_scan *s, size_t *total, size_t *rejected)
{
    int status = WH_EXIT_OK;
    *total = *rejected = 0;
    for (size_t i = 0; i < s->n; i++) {
        const ix_entry *e = &s->v[i];
        if (e->state == IX_SKIP)
            continue;
        (*total)++;
        if (e->state != IX_BAD)
            continue;
        (*rejected)++;
        int st = wh_cli_report(PROG, &e->err);
        if (status == WH_EXIT_OK)
            status = st;
    }
    return status;
}

static void print_json(const build *b, const ix_scan *s, const ix_meta *m,
                       size_t modules, int written)
{
    json_t *rej = json_array();
    size_t total = 0, accepted = 0, nread = 0;
    for (size_t i = 0; i < s->n; i++) {
        const ix_entry *e = &s->v[i];
        if (e->state == IX_SKIP)
            continue;
        total++;
        accepted += e->state == IX_OK;
        nread += e->was_read;
        if (e->state == IX_BAD) {
            char msg[1024];
            json_array_append_new(rej, json_pack("{sssssi}", "file", e->path,
                "error", wh_err_format(&e->err, msg, sizeof msg),
                "status", wh_err_exit(e->err.code)));
        }
    }
    json_t *j = json_pack("{sssIsIsIsIsIsIsIsIsosb}", "site", b->site,
        "serial", (json_int_t)m->serial, "generated", (json_int_t)m->generated,
        "expires", (json_int_t)m->expires, "packages", (json_int_t)total,
        "accepted", (json_int_t)accepted, "modules", (json_int_t)modules,
        "read", (json_int_t)nread, "unchanged", (json_int_t)(total - nread),
        "rejected", rej, "written", written);
    char *text;
    size_t len;
    if (j && wh_json_canon(j, &text, &len, NULL) == 0) {
        printf("%s\n", text);
        free(text);
    }
    json_decref(j);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Distinct names among the accepted packages. */
static size_t count_modules(const ix_scan *s)
{
    const char **names = malloc((s->n ? s->n : 1) * sizeof *names);
    size_t n = 0, distinct = 0;
    if (!names)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].state == IX_OK)
            names[n++] = s->v[i].pkg.name;
    qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++)
        distinct += i == 0 || strcmp(names[i - 1], names[i]) != 0;
    free(names);
    return distinct;
}

/* Write SITE; every failure here is fatal for the run. */
static int write_site(const build *b, ix_scan *s, const ix_meta *m,
                      const wh_minisign_seckey *sk, const wh_minisign_pubkey *pk,
                      wh_err *err)
{
    char *json = NULL;
    size_t len, linked, copied, removed;
    int rc = wh_mkdirs(b->site, err);
    if (rc == 0)
        rc = ix_site_place(s, b->site, &linked, &copied, err);
    if (rc == 0)
        rc = ix_index_json(s, m, &json, &len, err);
    if (rc == 0)
        rc = ix_index_write(b->site, json, len, m, sk, pk, err);
    if (rc == 0)
        rc = ix_site_prune(s, b->site, &removed, err);
    if (rc == 0)
        rc = ix_cache_save(s, b->site, m->serial, sk, err);
    free(json);
    return rc;
}

static void read_packages(const build *b, ix_scan *s, const ix_trust *t)
{
    size_t files;
    uint64_t bytes;
    ix_scan_pending(s, &files, &bytes);
    ix_progress p;
    json_object_seed(0);   /* before the threads: jansson seeds lazily */
    ix_progress_start(&p, "reading", files, bytes, ix_progress_wanted(b->quiet));
    ix_scan_read(s, t, b->jobs, (int64_t)time(NULL), &p);
    ix_progress_end(&p);
}

/* The serial this build gets: one more than the previous signature's
 * (which must be this key's) and than the cache's. */
static int next_serial(const build *b, const wh_minisign_pubkey *pk,
                       int64_t *serial, wh_err *err)
{
    int rc = ix_index_prev_serial(b->site, pk, serial, err);
    return rc ? wh_err_prefix(err, "previous index") : 0;
}

int cmd_build(int argc, char **argv)
{
    build b;
    int rc = parse_args(&b, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    wh_err err;
    wh_err_clear(&err);
    wh_minisign_seckey *sk = NULL;
    wh_minisign_pubkey pk;
    ix_trust *trust = NULL;
    ix_scan scan = { 0 };
    ix_meta meta = { 0 };
    int status = WH_EXIT_OK;
    size_t total, rejected;
    char why[1200];

    if ((meta.generated = build_time(&err)) < 0 ||
        check_site_outside(b.pkgdir, b.site, &err) ||
        load_key(b.key_path, &sk, &err) ||
        ix_trust_load(&trust, b.keys_dir, b.issuers, &err))
        goto fail;
    wh_minisign_seckey_public(sk, &pk);
    if (next_serial(&b, &pk, &meta.serial, &err))
        goto fail;
    if (!b.no_cache) {
        ix_cache_load(&scan, b.site, &pk, why, sizeof why);
        if (*why)
            fprintf(stderr, PROG ": %s\n", why);
    }
    if (ix_scan_list(&scan, b.pkgdir, trust, &err))
        goto fail;
    read_packages(&b, &scan, trust);
    if (ix_scan_judge(&scan, trust, b.require_sigs, &err))
        goto fail;

    if (meta.serial < scan.cache_serial)
        meta.serial = scan.cache_serial;
    meta.serial++;
    meta.expires = meta.generated + (int64_t)b.expires_days * 86400;
    wh_minisign_keyid_hex(pk.key_id, meta.key_id);
    if (b.name)
        snprintf(meta.name, sizeof meta.name, "%s", b.name);
    else
        default_name(b.site, meta.name, sizeof meta.name);

    status = report_rejections(&scan, &total, &rejected);
    if (rejected)
        fprintf(stderr, PROG ": rejected %zu of %zu package%s%s\n", rejected,
                total, total == 1 ? "" : "s",
                b.strict ? "; nothing written (--strict)" : "");
    size_t modules = count_modules(&scan);
    if (rejected && b.strict) {
        if (b.json)
            print_json(&b, &scan, &meta, modules, 0);
        goto out;
    }
    if (write_site(&b, &scan, &meta, sk, &pk, &err))
        goto fail;
    if (b.json) {
        print_json(&b, &scan, &meta, modules, 1);
    } else if (!b.quiet) {
        size_t nread = 0;
        for (size_t i = 0; i < scan.n; i++)
            nread += scan.v[i].was_read;
        char date[32];
        ix_date(meta.expires, date);
        printf("read %zu file%s, %zu unchanged\n", nread, nread == 1 ? "" : "s",
               total - nread);
        printf("wrote '%s': %zu package%s in %zu module%s, serial %lld, "
               "expires %s\n", b.site, total - rejected,
               total - rejected == 1 ? "" : "s", modules, modules == 1 ? "" : "s",
               (long long)meta.serial, date);
    }
    goto out;
fail:
    status = wh_cli_report(PROG, &err);
out:
    ix_scan_free(&scan);
    ix_trust_free(trust);
    wh_minisign_seckey_free(sk);
    return status;
}

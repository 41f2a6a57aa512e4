/* cmd_build.c - `wharf-index build PKGDIR -o SITE -s KEY`: index a folder
 * of packages into a signed static site.
 *
 * The steps (indexer.h has the pieces): load the key and the trust lists;
 * take SITE's lock (one build at a time: --wait, or exit 7 naming the
 * holder) and remove what a killed build left; check the previous
 * signature in SITE (its serial is the floor of ours, and it must be this
 * key's); list PKGDIR, answering unchanged files from the cache; read the
 * rest in parallel within a memory budget; reject duplicates and, with
 * --require-signatures, whatever is not verified; report every rejected
 * file and every warning in PKGDIR's sorted order; then, unless --strict
 * found a bad package, write the site (site.c: by hash, then the
 * signature, then the copies) and the cache.
 *
 * With --layout sharded the index is also (or only) written as the
 * sharded index (shard_write.c).  A build with --layout sharded alone
 * reads file by file instead (read_mode, build_files): the
 * files --changed LIST names, or those a walk finds changed since the
 * source map (changed.c), or every file (a new site, or changed trust
 * lists), in batches of BATCH_FILES merged into one job on the previous
 * snapshot and committed once, so that neither the cache nor the whole
 * index is ever held in memory; its catalogue is the paged one
 * (catalogue_paged.c), rendered from what changed since the snapshot it
 * shows.
 *
 * A bad package never stops the run.  The exit status is that of the
 * first rejection (docs/exit-codes.md), so a script sees "3" for a
 * malformed file and "4" for a bad signature; a failure to write the site
 * is reported after them and takes precedence, as nothing usable was
 * written.
 */
#include "indexer/indexer.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/shard.h"

enum {
    OPT_STRICT = 256,
    OPT_JSON,
    OPT_NO_CACHE,
    OPT_REQUIRE,
    OPT_WAIT,
    OPT_NO_CATALOGUE,
    OPT_PLUGINS,
    OPT_LAYOUT,
    OPT_RETAIN,
    OPT_CHANGED,
};

/* --layout: which entry points the site has (docs/index-format.md). */
enum { LAYOUT_FULL = 1, LAYOUT_SHARDED = 2, LAYOUT_BOTH = 3 };

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
    { 't', "templates", "DIR", "the catalogue's theme (default: the installed one)" },
    { OPT_NO_CATALOGUE, "no-catalogue", NULL, "write the index only, no HTML catalogue" },
    { OPT_PLUGINS, "plugins", "DIR", "run the enabled plugins of DIR (default: $WHARF_PLUGINS_PATH)" },
    { OPT_LAYOUT, "layout", "WHICH", "index.json (full, the default), the sharded index (sharded) or both" },
    { OPT_RETAIN, "retain", "SECONDS", "keep files of older sharded snapshots this long (default: 86400)" },
    { OPT_CHANGED, "changed", "LIST", "read only the files LIST names, one a line (- for stdin; --layout sharded)" },
    { OPT_NO_CACHE, "no-cache", NULL, "read every file, ignoring the cache" },
    { OPT_WAIT, "wait", NULL, "wait while another build writes SITE (else exit 7)" },
    { 'q', "quiet", NULL, "no progress bar and no summary" },
    { OPT_JSON, "json", NULL, "print a JSON summary on stdout" },
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf-index build PKGDIR -o SITE [-s KEY] [options]";
static const char description[] =
    "Read every package in PKGDIR (.ferrpkg, PAR, plugin bundle), verify it,\n"
    "and write SITE: the index under its hash in by-hash/, its signature\n"
    "index.json.minisig by the repository key, the copies index.json and\n"
    "index.json.gz, the sharded index (snapshot.json.minisig, index/), the\n"
    "packages under packages/, keys/repo.pub, and the\n"
    "HTML catalogue (index.html, modules/, categories/, feed.xml).\n"
    "Rejected packages are reported and left out; the exit status is the\n"
    "first rejection's. Unchanged files are not read again\n"
    "(SITE/.wharf-cache.json). One build at a time writes SITE.";

#define PROG "wharf-index build"

typedef struct build {
    const char *pkgdir, *site, *key_path, *name, *keys_dir, *issuers, *templates;
    const char *plugins, *changed;
    int expires_days, jobs, strict, quiet, json, no_cache, require_sigs, wait;
    int no_catalogue, layout;
    int64_t retain;
    char fp[WH_SHA256_HEX];     /* ix_build_fingerprint's */
} build;

static int parse_args(build *b, int argc, char **argv)
{
    memset(b, 0, sizeof *b);
    b->key_path = "repo.key";
    b->expires_days = 90;
    b->layout = LAYOUT_FULL;
    b->retain = IX_RETAIN_DEFAULT;
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
        case OPT_WAIT: b->wait = 1; break;
        case 't': b->templates = cli.arg; break;
        case OPT_NO_CATALOGUE: b->no_catalogue = 1; break;
        case OPT_PLUGINS: b->plugins = cli.arg; break;
        case OPT_CHANGED: b->changed = cli.arg; break;
        case 'e':
            if ((v = wh_cli_number(cli.arg, 1, 36500)) < 0) {
                snprintf(cli.msg, sizeof cli.msg, "--expires '%s' is not a "
                         "number of days from 1 to 36500", cli.arg);
                return wh_cli_usage_error(&cli);
            }
            b->expires_days = (int)v;
            break;
        case OPT_LAYOUT:
            b->layout = !strcmp(cli.arg, "full") ? LAYOUT_FULL
                      : !strcmp(cli.arg, "sharded") ? LAYOUT_SHARDED
                      : !strcmp(cli.arg, "both") ? LAYOUT_BOTH : 0;
            if (!b->layout) {
                snprintf(cli.msg, sizeof cli.msg, "--layout '%s' is not full, "
                         "sharded or both", cli.arg);
                return wh_cli_usage_error(&cli);
            }
            break;
        case OPT_RETAIN:
            if ((v = wh_cli_number(cli.arg, 0, 3650LL * 86400)) < 0) {
                snprintf(cli.msg, sizeof cli.msg, "--retain '%s' is not a "
                         "number of seconds from 0 to 315360000", cli.arg);
                return wh_cli_usage_error(&cli);
            }
            b->retain = v;
            break;
        case 'j':
            if (ix_jobs_arg(&cli, &b->jobs))
                return WH_EXIT_USAGE;
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
    if (b->templates && b->no_catalogue) {
        snprintf(cli.msg, sizeof cli.msg, "--templates and --no-catalogue "
                 "exclude each other");
        return wh_cli_usage_error(&cli);
    }
    if (b->changed && b->layout != LAYOUT_SHARDED) {
        snprintf(cli.msg, sizeof cli.msg, "--changed needs --layout sharded");
        return wh_cli_usage_error(&cli);
    }
    b->pkgdir = cli.argv[0];
    if (!b->plugins || !*b->plugins)
        b->plugins = getenv(IX_PLUGINS_ENV);
    if (b->plugins && !*b->plugins)
        b->plugins = NULL;
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

/* Print each warning a package's reader left in its record ("warnings":
 * accepted, but worth saying), quoted like an error. */
static void report_warnings(const ix_entry *e)
{
    json_t *w, *ws = json_object_get(e->pkg.record, "warnings");
    size_t i;
    json_array_foreach(ws, i, w) {
        wh_err we;
        char msg[WH_ERR_LINE_MAX];
        wh_fail(&we, WH_E_FORMAT, e->path, -1, "%s", json_string_value(w));
        fprintf(stderr, PROG ": warning: %s\n", wh_err_format(&we, msg, sizeof msg));
    }
}

/* A yanked version no accepted package has: said, as it may be a typo. */
static void report_unknown_yanks(const ix_scan *s, json_t *yanked, const char *path)
{
    const char *key;
    json_t *v;
    json_object_foreach(yanked, key, v) {
        int found = 0;
        for (size_t i = 0; i < s->n && !found; i++) {
            const ix_entry *e = &s->v[i];
            size_t nl = strlen(e->pkg.name);
            found = e->state == IX_OK && !strncmp(key, e->pkg.name, nl) &&
                    key[nl] == '@' && !strcmp(key + nl + 1, e->pkg.version);
        }
        if (!found)
            fprintf(stderr, PROG ": warning: %s:%lld: %s is not among the "
                    "packages\n", path, (long long)json_integer_value(
                    json_object_get(v, "line")), key);
    }
}

/* The same for a build read file by file: against the snapshot it
 * committed (a module file read for each yanked entry). */
static void report_unknown_yanks_snap(const char *site, const wh_minisign_pubkey *pk,
                                      json_t *yanked, const char *path)
{
    const char *key;
    json_t *v, *versions;
    wh_snap snap;
    if (json_object_size(yanked) == 0 || wh_snap_load(&snap, site, pk, NULL) != 0)
        return;
    json_object_foreach(yanked, key, v) {
        char name[600];
        const char *at = strchr(key, '@');
        snprintf(name, sizeof name, "%.*s", at ? (int)(at - key) : 0, key);
        versions = NULL;
        int found = at && wh_snap_module(&snap, site, name, &versions, NULL) == 0 &&
                    json_object_get(versions, at + 1) != NULL;
        json_decref(versions);
        if (!found)
            fprintf(stderr, PROG ": warning: %s:%lld: %s is not among the "
                    "packages\n", path, (long long)json_integer_value(
                    json_object_get(v, "line")), key);
    }
    wh_snap_free(&snap);
}

/* Report each rejected file and each warning in order; returns the first
 * rejection's status. */
static int report_packages(const ix_scan *s, size_t *total, size_t *rejected)
{
    int status = WH_EXIT_OK;
    *total = *rejected = 0;
    for (size_t i = 0; i < s->n; i++) {
        const ix_entry *e = &s->v[i];
        if (e->state == IX_SKIP)
            continue;
        (*total)++;
        if (e->state == IX_OK) {
            report_warnings(e);
            continue;
        }
        (*rejected)++;
        int st = wh_cli_report(PROG, &e->err);
        if (status == WH_EXIT_OK)
            status = st;
    }
    return status;
}

/* A SITE this run made but wrote nothing to (--strict refused, or a
 * failure before the commit) is taken away again, lock file and all: the
 * lock file is unlinked while still held, so a build that opens the name
 * afterwards locks a new file, and rmdir fails harmlessly if it did. */
static void untake_site(const char *site)
{
    char *lock = ix_join(site, "/", IX_LOCK_NAME);
    if (lock && unlink(lock) == 0)
        rmdir(site);
    free(lock);
}

/* What a build did to SITE besides the index, for the summary. */
typedef struct outcome {
    size_t modules, removed, temporaries;
    int    written;
    ix_cat_stats cat;      /* the catalogue's files (all 0 without one) */
    ix_shard_out shard;    /* the sharded index's (all 0 without one) */
} outcome;

/* j (taken) as one line of canonical JSON on stdout: --json's summary. */
static void print_canon(json_t *j)
{
    wh_json_print(j, NULL);
    json_decref(j);
}

static void print_json(const build *b, const ix_scan *s, const ix_meta *m,
                       const outcome *o)
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
            char msg[WH_ERR_LINE_MAX];
            json_array_append_new(rej, json_pack("{sssssi}", "file", e->path,
                "error", wh_err_format(&e->err, msg, sizeof msg),
                "status", wh_err_exit(e->err.code)));
        }
    }
    json_t *cat = b->no_catalogue ? json_null() :
        json_pack("{sIsIsI}", "files", (json_int_t)o->cat.pages,
                  "written", (json_int_t)o->cat.written,
                  "removed", (json_int_t)o->cat.removed);
    json_t *j = json_pack("{sssIsIsIsIsIsIsIsIsosbsIsIso}", "site", b->site,
        "serial", (json_int_t)m->serial, "generated", (json_int_t)m->generated,
        "expires", (json_int_t)m->expires, "packages", (json_int_t)total,
        "accepted", (json_int_t)accepted, "modules", (json_int_t)o->modules,
        "read", (json_int_t)nread, "unchanged", (json_int_t)(total - nread),
        "rejected", rej, "written", o->written,
        "removed", (json_int_t)o->removed,
        "temporaries", (json_int_t)o->temporaries, "catalogue", cat);
    print_canon(j);
}

static void print_summary(const build *b, const ix_scan *s, const ix_meta *m,
                          size_t total, size_t rejected, const outcome *o)
{
    size_t nread = 0;
    for (size_t i = 0; i < s->n; i++)
        nread += s->v[i].was_read;
    char date[32];
    wh_cli_date(m->expires, date);
    if (o->temporaries)
        printf("removed %zu temporary file%s left by an interrupted build\n",
               o->temporaries, o->temporaries == 1 ? "" : "s");
    printf("read %zu file%s, %zu unchanged\n", nread, nread == 1 ? "" : "s",
           total - nread);
    printf("wrote '%s': %zu package%s in %zu module%s, serial %lld, expires %s\n",
           b->site, total - rejected, total - rejected == 1 ? "" : "s",
           o->modules, o->modules == 1 ? "" : "s", (long long)m->serial, date);
    if (!b->no_catalogue)
        ix_catalogue_summary(&o->cat);
    if (o->removed)
        printf("removed %zu file%s no longer listed\n", o->removed,
               o->removed == 1 ? "" : "s");
}

/* What a build that reads file by file did, for its summary. */
typedef struct counts {
    size_t read, accepted, removed, same, rejected;
} counts;

/* The summary of a build that read file by file (--changed, or the walk
 * against the source map: c->same files unchanged, never read). */
static void print_changed(const build *b, const ix_meta *m, const counts *c,
                          const outcome *o)
{
    if (b->changed)
        printf("read %zu listed file%s, %zu accepted, %zu removed\n", c->read,
               c->read == 1 ? "" : "s", c->accepted, c->removed);
    else
        printf("read %zu file%s, %zu unchanged, %zu removed\n", c->read,
               c->read == 1 ? "" : "s", c->same, c->removed);
    printf("wrote '%s': %zu module%s, serial %lld; %zu index file%s written\n",
           b->site, o->modules, o->modules == 1 ? "" : "s", (long long)m->serial,
           o->shard.written, o->shard.written == 1 ? "" : "s");
    if (!b->no_catalogue)
        ix_catalogue_summary(&o->cat);
}

static void print_files_json(const build *b, const ix_meta *m, const counts *c,
                             const outcome *o)
{
    json_t *j = json_pack("{sssIsIsIsIsIsIsIsIsIsb}", "site", b->site,
        "serial", (json_int_t)m->serial, "generated", (json_int_t)m->generated,
        "expires", (json_int_t)m->expires, "modules", (json_int_t)o->modules,
        "read", (json_int_t)c->read, "accepted", (json_int_t)c->accepted,
        "unchanged", (json_int_t)c->same, "removed", (json_int_t)c->removed,
        "rejected", (json_int_t)c->rejected, "written", o->written);
    if (j && !b->no_catalogue)
        json_object_set_new(j, "catalogue", json_pack("{sIsIsI}",
            "files", (json_int_t)o->cat.pages, "written", (json_int_t)o->cat.written,
            "removed", (json_int_t)o->cat.removed));
    print_canon(j);
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

/* Write SITE (the lock is held); every failure here is fatal for the run. */
static int write_site(const build *b, ix_scan *s, const ix_meta *m,
                      const wh_index_head *prev, const ix_theme *theme,
                      const wh_minisign_seckey *sk,
                      const wh_minisign_pubkey *pk, outcome *o, wh_err *err)
{
    char *json = NULL, sha256[WH_SHA256_HEX] = "";
    size_t len, linked, copied;
    int rc = ix_site_place(s, b->site, &linked, &copied, err);
    json_t *root = NULL;
    if (rc == 0 && (b->layout & LAYOUT_FULL) && !(root = ix_index_tree(s, m)))
        rc = wh_fail(err, WH_E_NOMEM, b->site, -1, "cannot build the index");
    if (rc == 0 && b->layout == LAYOUT_SHARDED)
        rc = ix_site_pubkey(b->site, pk, err);
    if (rc == 0 && (b->layout & LAYOUT_SHARDED) &&
        (rc = root ? ix_shard_publish(b->site, root, m, sk, pk, b->retain, &o->shard, err)
                   : ix_shard_publish_scan(b->site, s, m, sk, pk, b->retain,
                                           &o->shard, err)) == 0 &&
        (rc = ix_srcmap_write_all(b->site, s, err)) == 0)
        rc = ix_srcmap_serial_save(b->site, m->serial, b->fp, err);
    if (rc == 0 && (b->layout & LAYOUT_FULL) &&
        (rc = wh_json_canon(root, &json, &len, err)) == 0)
        rc = ix_site_publish(b->site, json, len, m, sk, pk, sha256, err);
    if (rc == 0 && b->layout == LAYOUT_SHARDED)
        rc = ix_site_unpublish(b->site, err);
    if (rc == 0 && b->layout == LAYOUT_FULL)
        rc = ix_shard_unpublish(b->site, err);
    json_decref(root);
    if (rc == 0 && theme)
        rc = b->layout == LAYOUT_SHARDED
           ? ix_catalogue_paged(theme, b->site, pk, b->jobs, b->retain, 0, &o->cat, err)
           : ix_catalogue_site(theme, b->site, pk, b->jobs, &o->cat, err);
    if (rc == 0)
        rc = ix_site_prune(s, b->site, sha256, prev->sha256, &o->removed, err);
    if (rc == 0)
        rc = ix_cache_save(s, b->site, m->serial, sk, err);
    free(json);
    o->written = rc == 0;
    return rc;
}

/* The enabled plugins of --plugins DIR, unless WHARF_PLUGINS_ENABLED
 * turns them all off (said once, as a build that skips a policy should). */
static int load_plugins(const build *b, ix_plugset **ps, wh_err *err)
{
    ix_plugin_env env;
    int rc = ix_plugin_env_load(&env, err);
    if (rc == 0 && b->plugins && !env.enabled && !b->quiet && !b->json)
        fprintf(stderr, PROG ": plugins are turned off (WHARF_PLUGINS_ENABLED)\n");
    if (rc == 0)
        rc = ix_plugset_load(ps, b->plugins, &env, b->require_sigs, err);
    if (rc)
        wh_err_prefix(err, "plugins");
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
    ix_scan_read(s, t, b->jobs, (int64_t)time(NULL), 0, &p);
    ix_progress_end(&p);
}

/* Take SITE (made if missing: *created) for this build and clear what a
 * killed build left; prev is the current signature's head. */
static int take_site(const build *b, const wh_minisign_pubkey *pk, wh_lock *l,
                     wh_index_head *prev, outcome *o, int *created, wh_err *err)
{
    struct stat st;
    *created = lstat(b->site, &st) < 0 && errno == ENOENT;
    int rc = wh_mkdirs(b->site, err);
    if (rc == 0)
        rc = ix_site_lock(b->site, PROG, b->wait, b->quiet || b->json, l, err);
    if (rc == 0)
        rc = ix_site_clean(b->site, &o->temporaries, err);
    if (rc == 0 && (rc = ix_site_prev(b->site, pk, prev, err)) != 0)
        wh_err_prefix(err, "previous index");
    return rc;
}

/* Date every accepted package: from the cache, else from the previous
 * index (read only when the cache cannot answer: it costs a parse of the
 * whole index), else now.
 * A site whose index cannot be read is rebuilt anyway, with a warning. */
static void date_packages(const build *b, ix_scan *s, const wh_index_head *prev,
                          const wh_minisign_pubkey *pk, int64_t now)
{
    wh_index pix;
    wh_err e;
    memset(&pix, 0, sizeof pix);
    if (ix_scan_date_cached(s, prev->serial) && prev->serial > 0 &&
        wh_site_index_load(&pix, b->site, pk, &e) != 0) {
        char msg[WH_ERR_LINE_MAX];
        fprintf(stderr, PROG ": warning: previous index: %s; versions are dated "
                "from this build\n", wh_err_format(&e, msg, sizeof msg));
    }
    ix_scan_date(s, json_object_get(pix.json, "modules"), now);
    wh_index_free(&pix);
}

static void set_meta(const build *b, const ix_scan *s, const wh_index_head *prev,
                     const wh_minisign_pubkey *pk, ix_meta *m)
{
    m->serial = (prev->serial > s->cache_serial ? prev->serial : s->cache_serial) + 1;
    m->expires = m->generated + (int64_t)b->expires_days * 86400;
    wh_minisign_keyid_hex(pk->key_id, m->key_id);
    if (b->name)
        snprintf(m->name, sizeof m->name, "%s", b->name);
    else
        ix_site_default_name(b->site, m->name, sizeof m->name);
}

/* LIST's lines: PKGDIR-relative paths ("-": stdin), each checked as a
 * path below PKGDIR; *n of them in *v (malloc'd, and each). */
static int read_list(const char *list, char ***v, size_t *n, wh_err *err)
{
    char *data = NULL, tmp[PATH_MAX];
    size_t len = 0, line = 0;
    int rc = 0;
    *v = NULL;
    *n = 0;
    if (strcmp(list, "-") == 0) {
        FILE *f = open_memstream(&data, &len);
        char buf[65536];
        size_t got;
        while (f && (got = fread(buf, 1, sizeof buf, stdin)) > 0 && len < (64u << 20))
            fwrite(buf, 1, got, f);
        if (!f || fclose(f))
            return wh_fail(err, WH_E_NOMEM, "-", -1, NULL);
    } else if ((rc = wh_file_read(list, 64u << 20, &data, &len, err)) != 0)
        return rc;
    for (char *p = data, *nl; rc == 0 && p && *p; p = nl) {
        line++;
        if ((nl = strchr(p, '\n')))
            *nl++ = '\0';
        if (!*p)
            continue;
        char **w = realloc(*v, (*n + 1) * sizeof *w);
        if (!w || !(w[*n] = strdup(p)))
            rc = wh_fail(err, WH_E_NOMEM, list, -1, NULL);
        if (w)
            *v = w;
        if (rc == 0 && wh_path_join(tmp, sizeof tmp, ".", p, strlen(p), err)) {
            free(w[*n]);
            rc = wh_fail(err, WH_E_UNSAFE, list, (long)line, "'%.200s' is not a "
                         "path below the package folder", p);
        } else if (rc == 0)
            (*n)++;
    }
    free(data);
    return rc;
}

/* How a build reads PKGDIR: all of it through the scan and the cache
 * (index.json), or file by file against the sharded
 * snapshot (changed.c): the files LIST names, the files a walk finds
 * changed since the source map, or every file a walk finds (a new
 * sharded site, or one whose trust lists, plugins or yanks changed). */
enum { READ_ALL, READ_LIST, READ_WALK, READ_WALK_ALL };

/* Files a batch reads at once: what bounds a build's memory (about 10 KB
 * each while read), whatever the size of the repository. */
#define BATCH_FILES 20000

static int read_mode(const build *b, const wh_minisign_pubkey *pk)
{
    char path[PATH_MAX];
    wh_minisign_sig sig;
    wh_index_head h;
    if (b->changed)
        return READ_LIST;
    if (b->layout != LAYOUT_SHARDED ||
        snprintf(path, sizeof path, "%s/" WH_SNAP_SIG, b->site) >= (int)sizeof path)
        return READ_ALL;
    if (wh_snap_head_load(path, pk, &sig, &h, NULL) != 0) {
        snprintf(path, sizeof path, "%s/" WH_INDEX_SIG, b->site);
        return access(path, F_OK) == 0 ? READ_ALL : READ_WALK_ALL;   /* a new site */
    }
    if (ix_srcmap_serial_check(b->site, h.serial, NULL, NULL) != 0)
        return READ_ALL;              /* no map of this snapshot: what went? */
    return !b->no_cache && ix_srcmap_serial_check(b->site, h.serial, b->fp, NULL) == 0
           ? READ_WALK : READ_WALK_ALL;
}

static int push_rel(char ***v, size_t *n, char *rel)
{
    char **w = realloc(*v, (*n + 1) * sizeof *w);
    if (!w)
        return -1;
    *v = w;
    w[(*n)++] = rel;
    return 0;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* The files to read (*ch) and those gone (*rm), by LIST or by the walk. */
static int list_files(const build *b, int mode, char ***ch, size_t *nch,
                      char ***rm, size_t *nrm, size_t *same, wh_err *err)
{
    ix_srcmap map;
    *ch = *rm = NULL;
    *nch = *nrm = *same = 0;
    if (mode == READ_LIST)
        return read_list(b->changed, ch, nch, err);
    int rc = ix_srcmap_open(&map, b->site, err);
    if (rc == WH_E_NOTFOUND && mode == READ_WALK_ALL)  /* a new site: an empty map */
        rc = 0;
    if (rc == 0)
        rc = ix_changed_walk(b->pkgdir, &map, (int64_t)time(NULL),
                             mode == READ_WALK_ALL, ch, nch, rm, nrm, same, err);
    ix_srcmap_free(&map);
    /* Every file: in path order, so that the versions of a module (most
     * often side by side) fall in one batch, and its module file is
     * written once rather than once a batch. */
    if (rc == 0 && mode == READ_WALK_ALL && *nch)
        qsort(*ch, *nch, sizeof **ch, cmp_name);
    return rc;
}

/* One batch of files: listed, read, judged, merged into the job, placed. */
static int run_batch(const build *b, ix_shard_job *job, ix_srcmap *map,
                     char **rel, size_t n, char **gone, size_t ngone,
                     const ix_trust *t, ix_plugset *ps, const ix_meta *m,
                     long long *dm, long long *dp, outcome *o, counts *c,
                     int *status, wh_err *err)
{
    ix_scan sb = { 0 };
    json_t *changes = NULL;
    long long m1 = 0, p1 = 0;
    size_t linked, copied, total, rejected, nlost = 0;
    char **lost = NULL;              /* gone since listed (borrowed from rel) */
    sb.plugins = ps;
    sb.site = b->site;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int r = ix_scan_add(&sb, b->pkgdir, rel[i], t, err);
        if (r == -1)
            rc = push_rel(&lost, &nlost, rel[i]) ? wh_fail(err, WH_E_NOMEM, NULL, -1, NULL) : 0;
        else
            rc = r;
    }
    if (nlost) {                      /* a batch of files has no gone list */
        gone = lost;
        ngone = nlost;
    }
    if (rc == 0) {
        read_packages(b, &sb, t);
        rc = ix_scan_judge(&sb, t, b->require_sigs, err);
    }
    if (rc == 0)
        rc = ix_changed_apply(job, &sb, gone, ngone, map, m->yanked, m->generated,
                              &changes, &m1, &p1, &o->shard, err);
    if (rc == 0)
        rc = ix_site_place(&sb, b->site, &linked, &copied, err);
    if (rc == 0)
        rc = ix_shard_apply(job, changes, err);
    if (rc == 0) {
        int st = report_packages(&sb, &total, &rejected);
        if (*status == WH_EXIT_OK)
            *status = st;
        c->rejected += rejected;
        c->removed += ngone;
        for (size_t i = 0; i < sb.n; i++) {
            c->read += sb.v[i].was_read;
            c->accepted += sb.v[i].state == IX_OK;
        }
        *dm += m1;
        *dp += p1;
    }
    json_decref(changes);
    ix_scan_free(&sb);
    free(lost);
    return rc;
}

/* A build that reads file by file: the previous sharded snapshot (none
 * for a new site) changed batch by batch in one job, committed once; the
 * lock is held.  ch and rm are freed here. */
static int build_files(const build *b, int mode, char **ch, size_t nch, char **rm,
                       size_t nrm, const ix_trust *t, ix_plugset *ps,
                       const ix_meta *m, const wh_minisign_seckey *sk,
                       const wh_minisign_pubkey *pk, outcome *o, counts *c,
                       int *status, wh_err *err)
{
    wh_snap prev;
    ix_srcmap map;
    ix_shard_job *job = NULL;
    long long dm = 0, dp = 0;
    char dir[PATH_MAX];
    int whole = mode == READ_WALK_ALL;
    int rc = wh_snap_load(&prev, b->site, pk, err), have = rc == 0;
    memset(&map, 0, sizeof map);
    if (rc == WH_E_NOTFOUND && mode == READ_LIST)
        rc = wh_fail(err, WH_E_NOTFOUND, b->site, -1, "no sharded index: "
                     "--changed needs a full build with --layout sharded first");
    else if (rc == WH_E_NOTFOUND && whole)
        rc = 0;
    snprintf(dir, sizeof dir, "%s/" IX_SRCMAP_DIR, b->site);
    if (rc == 0 && whole)
        rc = wh_mkdirs(dir, err);
    if (rc == 0)
        rc = ix_srcmap_open(&map, b->site, err);
    if (rc == 0 && mode == READ_LIST)
        rc = ix_srcmap_serial_check(b->site, prev.head.serial, b->fp, err);
    if (rc == 0)
        rc = ix_shard_begin(&job, b->site, have ? &prev : NULL, nch, m->serial,
                            &o->shard, err);
    if (rc == 0)                      /* what went first */
        rc = run_batch(b, job, &map, NULL, 0, rm, nrm, t, ps, m, &dm, &dp, o, c,
                       status, err);
    for (size_t i = 0; rc == 0 && i < nch; i += BATCH_FILES)
        rc = run_batch(b, job, &map, ch + i, nch - i < BATCH_FILES ? nch - i : BATCH_FILES,
                       NULL, 0, t, ps, m, &dm, &dp, o, c, status, err);
    size_t modules = (size_t)((long long)(have ? prev.modules : 0) + dm);
    size_t packages = (size_t)((long long)(have ? prev.packages : 0) + dp);
    if (rc == 0 && c->rejected && b->strict) {
        fprintf(stderr, PROG ": rejected %zu package%s; nothing written (--strict)\n",
                c->rejected, c->rejected == 1 ? "" : "s");
        goto out;
    }
    if (rc == 0)
        rc = ix_site_pubkey(b->site, pk, err);
    if (rc == 0)
        rc = ix_shard_finish(job, modules, packages, whole, m, sk, b->retain, err);
    if (rc == 0)        /* an index.json of the site is now behind: gone */
        rc = ix_site_unpublish(b->site, err);
    if (rc == 0)
        rc = ix_srcmap_save(&map, err);
    if (rc == 0)
        rc = ix_srcmap_serial_save(b->site, m->serial, b->fp, err);
    o->modules = modules;
    o->written = rc == 0;
out:
    ix_shard_job_free(job);
    ix_srcmap_free(&map);
    if (have)
        wh_snap_free(&prev);
    free_list(ch, nch);
    free_list(rm, nrm);
    return rc;
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
    wh_index_head prev;
    wh_lock lock = { -1 };
    ix_theme *theme = NULL;
    json_t *yanked = NULL;
    char *yanked_path = NULL;
    ix_plugset *plugins = NULL;
    outcome o = { 0 };
    int status = WH_EXIT_OK, created = 0;
    size_t total, rejected;
    char why[1200];

    if ((meta.generated = build_time(&err)) < 0 ||
        ix_site_check_outside(b.pkgdir, b.site, &err) ||
        (!b.no_catalogue && ix_theme_load(&theme, b.templates, &err)) ||
        ix_yank_load(b.pkgdir, &yanked, &yanked_path, &err) ||
        wh_cli_seckey_load(&sk, b.key_path, &err) ||
        ix_trust_load(&trust, b.keys_dir, b.issuers, &err) ||
        load_plugins(&b, &plugins, &err))
        goto fail;
    scan.plugins = plugins;
    scan.site = b.site;
    wh_minisign_seckey_public(sk, &pk);
    if (take_site(&b, &pk, &lock, &prev, &o, &created, &err))
        goto fail;
    if (ix_build_fingerprint(b.keys_dir, b.issuers, yanked_path, b.require_sigs,
                             ix_plugset_id(plugins), b.fp, &err))
        goto fail;
    int mode = read_mode(&b, &pk), lrc = 0;
    char **ch = NULL, **rm = NULL;
    size_t nch = 0, nrm = 0;
    counts c = { 0 };
    if (mode != READ_ALL)
        lrc = list_files(&b, mode, &ch, &nch, &rm, &nrm, &c.same, &err);
    if (lrc == WH_E_FORMAT && mode != READ_LIST) {
        /* A damaged source map is only a lost shortcut: the whole-index
         * way needs none, and writes the map anew. */
        fprintf(stderr, PROG ": %s; reading every file\n", wh_err_format(&err, why, sizeof why));
        wh_err_clear(&err);
        free_list(ch, nch);
        free_list(rm, nrm);
        mode = READ_ALL;
    } else if (mode != READ_ALL) {
        set_meta(&b, &scan, &prev, &pk, &meta);
        meta.yanked = yanked;
        if (lrc ||
            build_files(&b, mode, ch, nch, rm, nrm, trust, plugins, &meta, sk, &pk,
                        &o, &c, &status, &err) ||
            (theme && o.written &&
             ix_catalogue_paged(theme, b.site, &pk, b.jobs, b.retain, 0, &o.cat, &err)))
            goto fail;
        if (o.written)
            report_unknown_yanks_snap(b.site, &pk, yanked, yanked_path);
        if (b.json)
            print_files_json(&b, &meta, &c, &o);
        else if (!b.quiet && o.written)
            print_changed(&b, &meta, &c, &o);
        goto out;
    }
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
    set_meta(&b, &scan, &prev, &pk, &meta);
    meta.yanked = yanked;
    date_packages(&b, &scan, &prev, &pk, meta.generated);
    o.modules = count_modules(&scan);

    status = report_packages(&scan, &total, &rejected);
    report_unknown_yanks(&scan, yanked, yanked_path);
    if (rejected)
        fprintf(stderr, PROG ": rejected %zu of %zu package%s%s\n", rejected,
                total, total == 1 ? "" : "s",
                b.strict ? "; nothing written (--strict)" : "");
    if (!(rejected && b.strict) &&
        write_site(&b, &scan, &meta, &prev, theme, sk, &pk, &o, &err))
        goto fail;
    if (b.json)
        print_json(&b, &scan, &meta, &o);
    else if (!b.quiet && o.written)
        print_summary(&b, &scan, &meta, total, rejected, &o);
    goto out;
fail:
    status = wh_cli_report(PROG, &err);
out:
    if (ix_plugset_save(plugins, &err))     /* what the plugins said, even so */
        fprintf(stderr, PROG ": warning: plugin logs: %s\n",
                wh_err_format(&err, why, sizeof why));
    if (created && !o.written && lock.fd >= 0)
        untake_site(b.site);
    wh_lock_release(&lock);
    ix_theme_free(theme);
    json_decref(yanked);
    free(yanked_path);
    ix_scan_free(&scan);
    ix_plugset_free(plugins);
    ix_trust_free(trust);
    for (size_t i = 0; i < o.shard.nretire; i++)
        free(o.shard.retire[i]);
    free(o.shard.retire);
    for (size_t i = 0; i < o.shard.nname; i++)
        free(o.shard.name[i]);
    free(o.shard.name);
    wh_minisign_seckey_free(sk);
    return status;
}

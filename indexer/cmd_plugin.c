/* cmd_plugin.c - `wharf-index plugin ACTION ...`: install, list, enable,
 * disable, configure, limit, update, remove, test and watch the plugins a
 * build may run (issue 11, "Lifecycle"; the folder's layout is
 * plugins.c's, the logs and profile plugin_log.c's).
 *
 * The plugin folder comes from --plugins DIR or WHARF_PLUGINS_PATH, and
 * neither is a usage error (except for `test`, which needs no folder):
 * guessing a folder would let a typo install plugins where no build looks.
 *
 * Sources.  A bundle comes from a file (BUNDLE.zip, signed by
 * BUNDLE.zip.minisig), a wharf site (`NAME[@REQ] --from SITE`: the index
 * must verify with --repo-key, the highest non-yanked bundle version
 * matching REQ is taken, its size and SHA-256 must be the signed record's,
 * and its publisher's .minisig beside it in the site must verify with a
 * key of -k DIR: the same publisher check as a file, so one rule says
 * which plugins run, wherever they come from) or a Git repository
 * (`git+URL[@REF]`: `git clone --depth 1` run without a shell, the root's
 * plugin.toml and NAME.wasm each signed by a -k key, zipped in memory as
 * `wharf pack --zip` would).  --allow-unsigned skips the publisher check
 * and records the signer as "".  The source is recorded in the state, so
 * `update NAME` asks the same place again.
 *
 * Install checks everything before it changes anything: the bundle
 * (wh_pkg_read_mem), the signature, and that its module loads as a plugin
 * (wh_plugin_load: only wharf.* imports, the ABI's exports), so a plugin
 * a build would refuse is refused now, when its publisher is at hand.
 * Plugins start disabled, so an install alone never changes what a build
 * does.  Every change holds DIR/.lock.
 *
 * Order of writes (each a kill -9 point, tests/cli/t1201):
 *   install  unpack into DIR/.staging-NAME, rename it to DIR/NAME, then
 *            state.json (the commit).
 *   update   unpack into DIR/.staging-NAME; rename DIR/NAME to
 *            DIR/.replaced-NAME.SHA (SHA: the NEW bundle's); rename the
 *            staging folder to DIR/NAME; state.json (the commit); remove
 *            the .replaced folder.
 *   remove   state.json first, then the folder.
 * Whoever takes the lock next (ix_plugins_lock, plugins.c) finishes or
 * undoes what a killed run left: a .replaced folder whose SHA is the
 * state's entry is the old version of a committed update and goes;
 * otherwise the update did not commit and the folder is put back.
 * Staging folders and temporaries are removed (a Git clone lives in
 * $TMPDIR and goes with the command).  So state.json is the truth and
 * DIR/NAME ends up holding the files of the version it names.
 *
 * Tests: tests/cli/t1200-wharf-index-plugin.sh,
 * t1201-wharf-index-plugin-kill.sh, t1202-wharf-index-plugin-sources.sh.
 */
#include "indexer/indexer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/fs.h"
#include "common/hex.h"
#include "common/index.h"
#include "common/json.h"
#include "common/minisign.h"
#include "common/pkg.h"
#include "common/plugin.h"
#include "common/semver.h"

#define PROG "wharf-index plugin"
#define LOG_READ_MAX     ((size_t)8 << 20)    /* bytes of one log file read */
#define PROFILE_MAX      ((size_t)16 << 20)   /* bytes of profile.json */
#define MANIFEST_MAX     ((size_t)1 << 20)    /* plugin.toml in a Git tree */
#define RESULT_CAP       ((size_t)1 << 20)    /* a JSON result, but process's */
#define GIT_PREFIX       "git+"

enum { OPT_ALLOW_UNSIGNED = 256, OPT_JSON, OPT_FROM, OPT_REPO_KEY, OPT_PLUGIN,
       OPT_ARTIFACT };

static const wh_opt opts[] = {
    { 'p', "plugins", "DIR", "the plugin folder (default: $WHARF_PLUGINS_PATH)" },
    { 'k', "trusted-keys", "DIR", "minisign public keys (*.pub) of trusted plugin publishers" },
    { OPT_ALLOW_UNSIGNED, "allow-unsigned", NULL, "install or update a bundle without a trusted signature" },
    { OPT_FROM, "from", "SITE", "install: take NAME[@REQ] from a wharf site (folder or file://)" },
    { OPT_REPO_KEY, "repo-key", "FILE", "the site's repository public key (with --from, and update of such a plugin)" },
    { OPT_PLUGIN, "plugin", "FILE", "test: the bundle (.zip) to run" },
    { OPT_ARTIFACT, "artifact", "FILE", "test: the file to run it on" },
    { 'n', "lines", "N", "logs: only the last N lines" },
    { OPT_JSON, "json", NULL, "list, logs, profile: print JSON" },
    { 'q', "quiet", NULL, "print nothing but errors" },
    { 0, NULL, NULL, NULL }
};

static const char usage[] =
    "wharf-index plugin install BUNDLE.zip | install NAME[@REQ] --from SITE\n"
    "       | install git+URL[@REF] | list | enable NAME | disable NAME\n"
    "       | config NAME KEY=VALUE... | limits NAME KEY=N... | update NAME\n"
    "       | remove NAME | logs NAME [-n N] | profile [NAME]\n"
    "       | test --plugin X.zip --artifact FILE  [options]";
static const char description[] =
    "Manage the plugins wharf-index build runs. install checks a bundle (from\n"
    "a file, a wharf site verified with --repo-key, or a Git repository whose\n"
    "root holds plugin.toml and NAME.wasm), which must be signed by a key in\n"
    "-k DIR unless --allow-unsigned (BUNDLE.zip.minisig; in a site, the\n"
    "package's .minisig; in Git, NAME.wasm.minisig and plugin.toml.minisig),\n"
    "and unpacks it into the plugin folder, disabled; enable and disable\n"
    "switch it; config sets values of its plugin.toml [plugin.config], each\n"
    "of its default's type; limits sets its memory_mb, fuel and time_ms (KEY=\n"
    "removes one), overriding WHARF_PLUGIN_MAX_*; update installs a higher\n"
    "version from where it came from, keeping its settings; remove deletes\n"
    "it. logs prints what it logged in builds, profile the cost of the last\n"
    "build's calls; test runs a bundle's functions on one file.";

typedef struct pcmd {
    const char *dir, *keys, *action, *from, *repo_key, *plugin, *artifact;
    int allow_unsigned, json, quiet;
    long long lines;   /* logs -n, -1: all */
    int argc;          /* operands after the action */
    char **argv;
} pcmd;

/* Operands each action takes: min, max (-1: any), and what to say when
 * they are wrong. */
typedef struct action {
    const char *name;
    int min, max;
    int (*run)(const pcmd *c, wh_err *err);
    const char *expected;
} action;

static int usage_fail(wh_cli *cli, const char *msg)
{
    snprintf(cli->msg, sizeof cli->msg, "%s", msg);
    return wh_cli_usage_error(cli);
}

static int parse_opt(pcmd *c, wh_cli *cli, int o)
{
    switch (o) {
    case 'p': c->dir = cli->arg; break;
    case 'k': c->keys = cli->arg; break;
    case OPT_ALLOW_UNSIGNED: c->allow_unsigned = 1; break;
    case OPT_JSON: c->json = 1; break;
    case OPT_FROM: c->from = cli->arg; break;
    case OPT_REPO_KEY: c->repo_key = cli->arg; break;
    case OPT_PLUGIN: c->plugin = cli->arg; break;
    case OPT_ARTIFACT: c->artifact = cli->arg; break;
    case 'q': c->quiet = 1; break;
    case 'n':
        if ((c->lines = wh_cli_number(cli->arg, 0, 1000000000)) < 0) {
            snprintf(cli->msg, sizeof cli->msg, "--lines '%s' is not a number "
                     "from 0 to 1000000000", cli->arg);
            return -1;
        }
        break;
    }
    return 0;
}

static int parse_args(pcmd *c, int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    c->lines = -1;
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int o;
    while ((o = wh_cli_next(&cli, opts)) > 0) {
        if (o == WH_CLI_HELP) {
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
        if (parse_opt(c, &cli, o) != 0)
            return wh_cli_usage_error(&cli);
    }
    if (o < 0)
        return wh_cli_usage_error(&cli);
    if (cli.argc == 0)
        return usage_fail(&cli, "no action given");
    c->action = cli.argv[0];
    c->argc = cli.argc - 1;
    c->argv = cli.argv + 1;
    if (strcmp(c->action, "test") == 0)
        return 0;
    if (!c->dir || !*c->dir)
        c->dir = getenv(IX_PLUGINS_ENV);
    if (!c->dir || !*c->dir)
        return usage_fail(&cli, "no plugin folder: use --plugins DIR or set " IX_PLUGINS_ENV);
    return 0;
}

/* --- small helpers ---------------------------------------------------------- */

/* s with bytes below 0x20 and 0x7f as \xNN (a log line or a name chosen
 * by a plugin cannot forge lines or drive the terminal; UTF-8 stays). */
static void put_escaped(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x20 || b == 0x7f)
            fprintf(f, "\\x%02x", b);
        else
            fputc(b, f);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj, sorted (malloc'd; NULL when empty or out of memory). */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
    const char **k = malloc((json_object_size(obj) + 1) * sizeof *k);
    const char *key;
    json_t *v;
    *n = 0;
    if (!k)
        return NULL;
    json_object_foreach((json_t *)obj, key, v)
        k[(*n)++] = key;
    qsort(k, *n, sizeof *k, cmp_str);
    return k;
}

static int nomem(wh_err *err)
{
    return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
}

/* --- where a bundle comes from ----------------------------------------------
 * Each fetcher fills a bundle: its bytes, the signatures that must hold
 * (checked by verify_bundle, after the caller knows it wants the bundle),
 * and the source to record. */

typedef struct sigcheck {
    char     path[PATH_MAX];   /* the .minisig */
    char     shown[PATH_MAX];  /* how messages name it */
    uint8_t *data;             /* what it signs (owned) */
    size_t   len;
} sigcheck;

typedef struct bundle {
    char     label[PATH_MAX];  /* names it in messages */
    uint8_t *data;
    size_t   len;
    wh_pkg   pkg;
    int      has_pkg;
    sigcheck sig[2];
    int      nsig;
    char     signer[WH_NKEY_LEN + 1];   /* "" until verified, or unsigned */
    json_t  *source;
    char     tmp[PATH_MAX];    /* a clone to remove, "" for none */
} bundle;

static void bundle_free(bundle *b)
{
    free(b->data);
    if (b->has_pkg)
        wh_pkg_free(&b->pkg);
    for (int i = 0; i < b->nsig; i++)
        free(b->sig[i].data);
    json_decref(b->source);
    if (b->tmp[0])
        wh_fs_rmtree(b->tmp, NULL);
    memset(b, 0, sizeof *b);
}

/* b->data read as a plugin bundle into b->pkg. */
static int bundle_read(bundle *b, wh_err *err)
{
    int rc = wh_pkg_read_mem(b->label, b->data, b->len, NULL, &b->pkg, err);
    if (rc)
        return rc;
    b->has_pkg = 1;
    if (b->pkg.kind != WH_PKG_BUNDLE)
        return wh_fail(err, WH_E_FORMAT, b->label, -1, "a %s, not a plugin bundle",
                       wh_pkg_kind_name(b->pkg.kind));
    return 0;
}

/* Add the check of sig_path (named shown in messages; NULL: as it is)
 * over a copy of data[0..len). */
static int add_sig(bundle *b, const char *sig_path, const char *shown,
                   const void *data, size_t len, wh_err *err)
{
    sigcheck *s = &b->sig[b->nsig];
    if (snprintf(s->path, sizeof s->path, "%s", sig_path) >= (int)sizeof s->path)
        return wh_fail(err, WH_E_LIMIT, sig_path, -1, "path too long");
    snprintf(s->shown, sizeof s->shown, "%s", shown ? shown : sig_path);
    if (!(s->data = malloc(len ? len : 1)))
        return nomem(err);
    memcpy(s->data, data, len);
    s->len = len;
    b->nsig++;
    return 0;
}

/* Every signature of b by a trusted key (of c->keys), unless allowed
 * unsigned; b->signer is then the key id ("" when allowed unsigned). */
static int verify_bundle(const pcmd *c, bundle *b, int allow_unsigned, wh_err *err)
{
    b->signer[0] = '\0';
    if (allow_unsigned)
        return 0;
    ix_trust *t = NULL;
    ix_signer who;
    int rc = 0;
    for (int i = 0; rc == 0 && i < b->nsig; i++) {
        const sigcheck *s = &b->sig[i];
        if (access(s->path, F_OK) != 0)
            rc = wh_fail(err, WH_E_VERIFY, b->label, -1, "no signature %s "
                         "(use --allow-unsigned to install it anyway)", s->shown);
        if (rc == 0 && !t)
            rc = ix_trust_load(&t, c->keys, NULL, err);
        if (rc == 0)
            rc = ix_trust_minisig(t, s->path, s->data, s->len, &who, err);
        if (rc == 0 && who.status != IX_VERIFIED)
            rc = wh_fail(err, WH_E_UNTRUSTED, s->path, -1, "signed by key %s, "
                         "which is not among the trusted keys", who.key_id);
        if (rc && err && strcmp(err->path, s->path) == 0)
            snprintf(err->path, sizeof err->path, "%s", s->shown);
        if (rc == 0)
            snprintf(b->signer, sizeof b->signer, "%s", who.key_id);
    }
    ix_trust_free(t);
    return rc;
}

/* A bundle file: path and path.minisig. */
static int fetch_file(const char *path, bundle *b, wh_err *err)
{
    char sig[PATH_MAX], abs[PATH_MAX];
    char *data = NULL;
    snprintf(b->label, sizeof b->label, "%s", path);
    int rc = wh_file_read(path, WH_PKG_MAX_SIZE, &data, &b->len, err);
    b->data = (uint8_t *)data;
    if (rc == 0 && snprintf(sig, sizeof sig, "%s.minisig", path) >= (int)sizeof sig)
        rc = wh_fail(err, WH_E_LIMIT, path, -1, "path too long");
    if (rc == 0)
        rc = add_sig(b, sig, NULL, b->data, b->len, err);
    if (rc == 0 && !realpath(path, abs))
        rc = wh_fail_errno(err, errno, path, "realpath");
    if (rc == 0 && !(b->source = json_pack("{s:s, s:s}", "type", "file", "path", abs)))
        rc = nomem(err);
    if (rc == 0)
        rc = bundle_read(b, err);
    return rc;
}

/* --- a wharf site -------------------------------------------------------- */

/* SITE as a folder: "file://" stripped; http(s) is refused (wharf-index
 * links no HTTP client: mirror the site first). */
static int site_folder(const char *loc, const char **folder, wh_err *err)
{
    if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "'%s': wharf-index plugin reads "
                       "sites from a folder or file:// only (copy it with wharf "
                       "mirror first)", loc);
    *folder = strncmp(loc, "file://", 7) == 0 ? loc + 7 : loc;
    if (!**folder)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "'%s' names no folder", loc);
    return 0;
}

/* NAME[@REQ] into name and a compiled requirement (NULL: any). */
static int parse_request(const char *s, char name[65], wh_semver_req **req,
                         const char **req_text, wh_err *err)
{
    const char *at = strchr(s, '@');
    size_t n = at ? (size_t)(at - s) : strlen(s);
    *req = NULL;
    *req_text = at ? at + 1 : "";
    int rc = wh_pkg_name_check(s, n, err);
    if (rc)
        return rc;
    memcpy(name, s, n);
    name[n] = '\0';
    if (at && (rc = wh_semver_req_parse(req, WH_SEMVER_CARGO, at + 1,
                                        strlen(at + 1), err)) != 0)
        wh_err_prefix(err, "requirement '%s'", at + 1);
    return rc;
}

/* The highest version record of bundle name matching req (yanked ones
 * only when req pins them), or NULL. */
static const wh_index_pkg *site_pick(const wh_index_pkg *v, size_t n,
                                     const char *name, const wh_semver_req *req)
{
    const wh_index_pkg *best = NULL;
    wh_semver bv, x, pin;
    int pinned = req && wh_semver_req_exact(req, &pin);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].module, name) || strcmp(v[i].kind, "bundle") ||
            wh_semver_parse(&x, v[i].version, strlen(v[i].version), NULL))
            continue;
        if (req && !wh_semver_req_matches(req, &x))
            continue;
        if (json_object_get(v[i].record, "yanked") &&
            !(pinned && wh_semver_compare(&x, &pin) == 0))
            continue;
        if (!best || wh_semver_compare(&x, &bv) > 0) {
            best = &v[i];
            bv = x;
        }
    }
    return best;
}

/* The chosen record's file, checked against it, and its .minisig. */
static int site_read(const char *folder, const wh_index_pkg *p, bundle *b,
                     wh_err *err)
{
    char path[PATH_MAX], sig[PATH_MAX], *data = NULL;
    int rc = wh_path_join(path, sizeof path, folder, p->path, strlen(p->path), err);
    if (rc)
        return rc;
    snprintf(b->label, sizeof b->label, "%s", path);
    rc = wh_file_read_stat(path, WH_PKG_MAX_SIZE, WH_READ_NOFOLLOW, &data,
                           &b->len, NULL, err);
    b->data = (uint8_t *)data;
    if (rc == 0)
        rc = wh_index_pkg_check_mem(p, b->data, b->len, path, err);
    if (rc == 0 && snprintf(sig, sizeof sig, "%s.minisig", path) >= (int)sizeof sig)
        rc = wh_fail(err, WH_E_LIMIT, path, -1, "path too long");
    if (rc == 0)
        rc = add_sig(b, sig, NULL, b->data, b->len, err);
    return rc;
}

/* The site's verified, unexpired index. */
static int site_index(const pcmd *c, const char *folder, wh_index *ix, wh_err *err)
{
    wh_minisign_pubkey pk;
    if (!c->repo_key)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "a site needs its repository "
                       "key: --repo-key FILE.pub");
    int rc = wh_minisign_pubkey_load(&pk, c->repo_key, err);
    if (rc == 0)
        rc = wh_index_load(ix, folder, &pk, err);
    if (rc == 0 && ix->head.expires < (int64_t)time(NULL)) {
        char date[32];
        wh_cli_date(ix->head.expires, date);
        rc = wh_fail(err, WH_E_EXPIRED, folder, -1, "the index expired on %s", date);
        wh_index_free(ix);
    }
    return rc;
}

static int fetch_site(const pcmd *c, const char *loc, const char *request,
                      bundle *b, wh_err *err)
{
    char name[65], abs[PATH_MAX];
    const char *folder = NULL, *req_text = "";
    wh_semver_req *req = NULL;
    wh_index ix;
    wh_index_pkg *v = NULL;
    size_t n = 0;
    int rc = site_folder(loc, &folder, err);
    if (rc == 0)
        rc = parse_request(request, name, &req, &req_text, err);
    if (rc == 0)
        rc = site_index(c, folder, &ix, err);
    if (rc) {
        wh_semver_req_free(req);
        return rc;
    }
    rc = wh_index_packages(&ix, &v, &n, err);
    const wh_index_pkg *p = rc ? NULL : site_pick(v, n, name, req);
    if (rc == 0 && !p)
        rc = wh_fail(err, WH_E_NOTFOUND, folder, -1, "no plugin bundle %s%s%s",
                     name, *req_text ? " matching " : "", req_text);
    if (rc == 0)
        rc = site_read(folder, p, b, err);
    /* A folder is recorded absolute, so update works from anywhere. */
    const char *where = folder == loc && realpath(folder, abs) ? abs : loc;
    if (rc == 0 && !(b->source = json_pack("{s:s, s:s, s:s}", "type", "site",
                                           "location", where, "request", req_text)))
        rc = nomem(err);
    if (rc == 0)
        rc = bundle_read(b, err);
    free(v);
    wh_index_free(&ix);
    wh_semver_req_free(req);
    return rc;
}

/* --- a Git repository ------------------------------------------------------ */

/* git clone --quiet --depth 1 [--branch REF] -- URL TMP, without a shell
 * and without asking for passwords. */
static int git_clone(const char *url, const char *ref, const char *tmp, wh_err *err)
{
    const char *argv[16];
    int n = 0;
    /* --no-local: a path is cloned like a URL, so --depth holds too */
    argv[n++] = "git"; argv[n++] = "-c"; argv[n++] = "advice.detachedHead=false";
    argv[n++] = "clone"; argv[n++] = "--quiet"; argv[n++] = "--no-local";
    argv[n++] = "--depth"; argv[n++] = "1";
    if (*ref) {
        argv[n++] = "--branch";
        argv[n++] = ref;
    }
    argv[n++] = "--"; argv[n++] = url; argv[n++] = tmp; argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return wh_fail_errno(err, errno, url, "fork");
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        setenv("GIT_TERMINAL_PROMPT", "0", 1);
        execvp("git", (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "cannot run git: is it installed?");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return wh_fail(err, WH_E_IO, url, -1, "git clone failed (status %d)",
                       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}

/* git+URL[@REF]: REF is what follows the last '@' after the last '/'. */
static int git_split(const char *spec, char *url, size_t un, const char **ref,
                     wh_err *err)
{
    const char *u = spec + strlen(GIT_PREFIX);
    const char *at = strrchr(u, '@'), *slash = strrchr(u, '/');
    size_t n = at && (!slash || at > slash) ? (size_t)(at - u) : strlen(u);
    *ref = n < strlen(u) ? u + n + 1 : "";
    if (n == 0 || n >= un)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "'%s' names no repository", spec);
    if (u[0] == '-' || (*ref)[0] == '-')
        return wh_fail(err, WH_E_USAGE, NULL, -1, "'%s': a URL or ref may not "
                       "start with '-'", spec);
    memcpy(url, u, n);
    url[n] = '\0';
    return 0;
}

/* One file of the clone (NULL data when optional and absent). */
static int tree_file(const char *tmp, const char *rel, int optional, char **data,
                     size_t *len, wh_err *err)
{
    char path[PATH_MAX];
    *data = NULL;
    *len = 0;
    int rc = ix_plugins_path(tmp, rel, path, err);
    if (rc == 0 && optional && access(path, F_OK) != 0)
        return 0;
    if (rc == 0)
        rc = wh_file_read_stat(path, strcmp(rel, "plugin.toml") ? WH_PKG_MAX_ENTRY
                               : MANIFEST_MAX, WH_READ_NOFOLLOW, data, len, NULL, err);
    if (rc == WH_E_NOTFOUND)
        wh_fail(err, WH_E_NOTFOUND, NULL, -1, "the repository has no %s at its root", rel);
    return rc;
}

/* The clone's root made into a bundle as `wharf pack --zip` makes one:
 * plugin.toml, NAME.wasm, then plugin.wit and README.md when present;
 * NAME.wasm.minisig and plugin.toml.minisig are the signatures. */
static int git_bundle(const char *tmp, bundle *b, wh_err *err)
{
    char name[65], version[257], wname[80], sig[PATH_MAX], shown[80];
    char *f[4] = { NULL, NULL, NULL, NULL };
    size_t l[4] = { 0 }, n = 0;
    wh_zip_file z[4];
    int rc = tree_file(tmp, "plugin.toml", 0, &f[0], &l[0], err);
    if (rc == 0)
        rc = wh_bundle_manifest_id("plugin.toml", f[0], l[0], name, version, err);
    snprintf(wname, sizeof wname, "%s.wasm", name);
    if (rc == 0)
        rc = tree_file(tmp, wname, 0, &f[1], &l[1], err);
    if (rc == 0)
        rc = tree_file(tmp, "plugin.wit", 1, &f[2], &l[2], err);
    if (rc == 0)
        rc = tree_file(tmp, "README.md", 1, &f[3], &l[3], err);
    const char *names[4] = { "plugin.toml", wname, "plugin.wit", "README.md" };
    for (int i = 0; rc == 0 && i < 4; i++)
        if (f[i])
            z[n++] = (wh_zip_file){ names[i], (const uint8_t *)f[i], l[i] };
    if (rc == 0)
        rc = wh_zip_write(z, n, &b->data, &b->len, err);
    for (int i = 0; rc == 0 && i < 2; i++) {
        if (snprintf(sig, sizeof sig, "%s/%s.minisig", tmp, names[i]) >= (int)sizeof sig)
            rc = wh_fail(err, WH_E_LIMIT, tmp, -1, "path too long");
        else {
            snprintf(shown, sizeof shown, "%s.minisig", names[i]);
            rc = add_sig(b, sig, shown, f[i], l[i], err);
        }
    }
    for (int i = 0; i < 4; i++)
        free(f[i]);
    return rc;
}

/* A temporary folder for the clone in $TMPDIR (or /tmp). */
static int git_tmp(char *tmp, size_t n, wh_err *err)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    if (snprintf(tmp, n, "%s/wharf-plugin-git.XXXXXX", base) >= (int)n)
        return wh_fail(err, WH_E_LIMIT, base, -1, "path too long");
    if (!mkdtemp(tmp))
        return wh_fail_errno(err, errno, tmp, "cannot create a temporary folder");
    return 0;
}

static int fetch_git(const char *spec, bundle *b, wh_err *err)
{
    char url[PATH_MAX], tmp[PATH_MAX], clone[PATH_MAX];
    const char *ref = "";
    snprintf(b->label, sizeof b->label, "%s", spec);
    int rc = git_split(spec, url, sizeof url, &ref, err);
    if (rc == 0)
        rc = git_tmp(tmp, sizeof tmp, err);
    if (rc)
        return rc;
    snprintf(b->tmp, sizeof b->tmp, "%s", tmp);   /* gone with b */
    rc = ix_plugins_path(tmp, "repo", clone, err);
    if (rc == 0)
        rc = git_clone(url, ref, clone, err);
    if (rc == 0)
        rc = git_bundle(clone, b, err);
    if (rc == 0 && !(b->source = json_pack("{s:s, s:s, s:s}", "type", "git",
                                           "url", url, "ref", ref)))
        rc = nomem(err);
    if (rc == 0)
        rc = bundle_read(b, err);
    return rc;
}

/* The bundle an install operand names. */
static int fetch(const pcmd *c, const char *what, bundle *b, wh_err *err)
{
    if (strncmp(what, GIT_PREFIX, strlen(GIT_PREFIX)) == 0)
        return c->from ? wh_fail(err, WH_E_USAGE, NULL, -1, "--from does not go "
                                 "with a git+URL")
                       : fetch_git(what, b, err);
    if (c->from)
        return fetch_site(c, c->from, what, b, err);
    return fetch_file(what, b, err);
}

/* The bundle a recorded source gives now: a file's path, a site's
 * location with NAME@REQUEST, a repository's url@ref. */
static int fetch_source(const pcmd *c, const json_t *src, bundle *b, wh_err *err)
{
    const char *type = json_string_value(json_object_get(src, "type"));
    const char *path = json_string_value(json_object_get(src, "path"));
    const char *loc = json_string_value(json_object_get(src, "location"));
    const char *req = json_string_value(json_object_get(src, "request"));
    const char *url = json_string_value(json_object_get(src, "url"));
    const char *ref = json_string_value(json_object_get(src, "ref"));
    char spec[PATH_MAX];
    if (type && !strcmp(type, "file") && path)
        return fetch_file(path, b, err);
    if (type && !strcmp(type, "site") && loc) {
        snprintf(spec, sizeof spec, "%s%s%s", c->argv[0], req && *req ? "@" : "",
                 req ? req : "");
        return fetch_site(c, loc, spec, b, err);
    }
    if (type && !strcmp(type, "git") && url) {
        snprintf(spec, sizeof spec, GIT_PREFIX "%s%s%s", url, ref && *ref ? "@" : "",
                 ref ? ref : "");
        return fetch_git(spec, b, err);
    }
    return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "plugin '%s' records no source "
                   "to update from (remove it and install it again)", c->argv[0]);
}

/* --- staging ------------------------------------------------------------------ */

typedef struct staging {
    char dir[PATH_MAX];
    const char *wasm_rel;     /* the module's name in the bundle */
    uint8_t *wasm;            /* a copy of it, for wh_plugin_load */
    size_t wasm_len;
    int write;                /* 0: only find the module (test) */
} staging;

static int stage_file(void *ctx, const char *rel, const uint8_t *data,
                      size_t len, unsigned mode, wh_err *err)
{
    staging *s = ctx;
    char path[PATH_MAX], *slash;
    int rc = 0;
    if (s->write)
        rc = wh_path_join(path, sizeof path, s->dir, rel, strlen(rel), err);
    if (s->write && rc == 0 && (slash = strrchr(path, '/')) != NULL) {
        *slash = '\0';
        rc = wh_mkdirs(path, err);
        *slash = '/';
    }
    if (s->write && rc == 0)
        rc = wh_file_write_atomic(path, data, len, mode, err);
    if (rc == 0 && strcmp(rel, s->wasm_rel) == 0 && !s->wasm) {
        if (!(s->wasm = malloc(len ? len : 1)))
            return nomem(err);
        memcpy(s->wasm, data, len);
        s->wasm_len = len;
    }
    return rc;
}

/* The bundle's module, its files unpacked into s->dir when s->write. */
static int unpack(const bundle *b, staging *s, wh_err *err)
{
    s->wasm_rel = json_string_value(json_object_get(json_object_get(b->pkg.record,
                                                                    "plugin"), "wasm"));
    if (!s->wasm_rel)
        return wh_fail(err, WH_E_FORMAT, b->label, -1, "bundle names no module");
    int rc = wh_pkg_unpack(b->label, b->data, b->len, &b->pkg, NULL, stage_file, s, err);
    if (rc == 0 && !s->wasm)
        rc = wh_fail(err, WH_E_FORMAT, b->label, -1, "bundle has no module %s",
                     s->wasm_rel);
    return rc;
}

/* Unpack into DIR/.staging-NAME and check the module loads as a plugin. */
static int stage(const pcmd *c, const bundle *b, staging *s, wh_err *err)
{
    char rel[128];
    snprintf(rel, sizeof rel, ".staging-%s", b->pkg.name);
    s->write = 1;
    int rc = ix_plugins_path(c->dir, rel, s->dir, err);
    if (rc == 0)
        rc = wh_fs_rmtree(s->dir, err);
    if (rc == 0)
        rc = wh_mkdirs(s->dir, err);
    if (rc == 0)
        rc = unpack(b, s, err);
    wh_plugin *p = NULL;
    if (rc == 0)
        rc = wh_plugin_load(b->pkg.name, s->wasm, s->wasm_len, NULL, NULL, NULL,
                            NULL, &p, err);
    wh_plugin_free(p);
    return rc;
}

/* Take DIR's lock (which finishes what a killed run left) and load the
 * state. */
static int lock_state(const pcmd *c, wh_lock *l, json_t **state, wh_err *err)
{
    *state = NULL;
    int rc = ix_plugins_lock(c->dir, PROG, 0, l, err);
    if (rc == 0)
        rc = ix_plugins_load(c->dir, state, err);
    return rc;
}

/* --- install ----------------------------------------------------------------- */

/* The state entry of a freshly installed bundle: disabled, its defaults. */
static json_t *new_entry(const bundle *b)
{
    json_t *plug = json_object_get(b->pkg.record, "plugin");
    json_t *cfg = json_object_get(plug, "config");
    return json_pack("{s:s, s:o, s:b, s:o, s:s, s:s, s:O, s:s}", "version",
                     b->pkg.version, "kinds",
                     ix_plugins_kinds(json_object_get(plug, "capabilities")),
                     "enabled", 0, "config", cfg ? json_deep_copy(cfg) : json_object(),
                     "sha256", b->pkg.sha256, "signer", b->signer,
                     "source", b->source, "wasm",
                     json_string_value(json_object_get(plug, "wasm")));
}

/* Put e in the state as NAME's entry and save it: the commit. */
static int commit_state(const pcmd *c, json_t *state, const char *name,
                        json_t *e, wh_err *err)
{
    int rc = wh_fs_sync(c->dir, err);
    if (rc) {
        json_decref(e);
        return rc;
    }
    json_object_set_new(json_object_get(state, "plugins"), name, e);
    return ix_plugins_save(c->dir, state, err);
}

/* Move the staged files to DIR/NAME and record the plugin. */
static int commit_install(const pcmd *c, json_t *state, const bundle *b,
                          const staging *s, wh_err *err)
{
    char dest[PATH_MAX];
    json_t *e = new_entry(b);
    int rc = e ? ix_plugins_path(c->dir, b->pkg.name, dest, err) : nomem(err);
    if (rc == 0)
        rc = wh_fs_rmtree(dest, err);     /* an unlisted leftover */
    if (rc == 0 && wh_fs_rename(s->dir, dest) != 0)
        rc = wh_fail_errno(err, errno, dest, "rename");
    if (rc == 0) {
        rc = commit_state(c, state, b->pkg.name, e, err);
        e = NULL;
    }
    json_decref(e);
    return rc;
}

static int do_install(const pcmd *c, wh_err *err)
{
    wh_lock l = { .fd = -1 };
    json_t *state = NULL;
    bundle b;
    staging s = { .wasm = NULL };
    memset(&b, 0, sizeof b);
    int rc = lock_state(c, &l, &state, err);
    if (rc == 0)
        rc = fetch(c, c->argv[0], &b, err);
    if (rc == 0)
        rc = verify_bundle(c, &b, c->allow_unsigned, err);
    if (rc == 0 && json_object_get(json_object_get(state, "plugins"), b.pkg.name))
        rc = wh_fail(err, WH_E_EXISTS, NULL, -1, "plugin '%s' is already "
                     "installed (remove it first)", b.pkg.name);
    if (rc == 0)
        rc = stage(c, &b, &s, err);
    if (rc == 0)
        rc = commit_install(c, state, &b, &s, err);
    if (rc && s.dir[0])
        wh_fs_rmtree(s.dir, NULL);
    if (rc == 0 && !c->quiet)
        printf("installed %s %s (disabled)\n", b.pkg.name, b.pkg.version);
    free(s.wasm);
    bundle_free(&b);
    json_decref(state);
    wh_lock_release(&l);
    return rc;
}

/* --- update ------------------------------------------------------------------- */

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:  return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    case JSON_ARRAY:   return "an array";
    case JSON_OBJECT:  return "a table";
    default:           return "a value";
    }
}

static int same_type(const json_t *a, const json_t *b)
{
    return json_typeof(a) == json_typeof(b) || (json_is_boolean(a) && json_is_boolean(b));
}

/* The new entry keeps the old one's switch, limits and the config values
 * the new defaults still have with the same type; the others are dropped,
 * with a note. */
static void carry_over(const pcmd *c, const json_t *old, json_t *e)
{
    json_t *cfg = json_object_get(e, "config"), *lim = json_object_get(old, "limits");
    const char *key;
    json_t *v;
    json_object_set(e, "enabled", json_object_get(old, "enabled"));
    if (lim)
        json_object_set(e, "limits", lim);
    json_object_foreach(json_object_get(old, "config"), key, v) {
        json_t *def = json_object_get(cfg, key);
        if (def && same_type(def, v)) {
            json_object_set(cfg, key, v);
            continue;
        }
        if (c->quiet)
            continue;
        if (def)
            fprintf(stderr, "%s: note: config '%s' dropped: %s %s makes it %s\n",
                    PROG, key, c->argv[0], json_string_value(json_object_get(e, "version")),
                    type_name(def));
        else
            fprintf(stderr, "%s: note: config '%s' dropped: %s %s has no such setting\n",
                    PROG, key, c->argv[0], json_string_value(json_object_get(e, "version")));
    }
}

/* Move DIR/NAME aside (named by the new bundle's SHA-256, which tells
 * recover() whether the state took it), the staged files in, commit the
 * state, drop the old files. */
static int commit_update(const pcmd *c, json_t *state, const json_t *old,
                         const bundle *b, const staging *s, wh_err *err)
{
    char dest[PATH_MAX], aside[PATH_MAX], rel[256];
    json_t *e = new_entry(b);
    snprintf(rel, sizeof rel, ".replaced-%s.%s", b->pkg.name, b->pkg.sha256);
    int rc = e ? ix_plugins_path(c->dir, b->pkg.name, dest, err) : nomem(err);
    if (rc == 0)
        rc = ix_plugins_path(c->dir, rel, aside, err);
    if (rc == 0 && wh_fs_rename(dest, aside) != 0 && errno != ENOENT)
        rc = wh_fail_errno(err, errno, dest, "rename");
    if (rc == 0 && wh_fs_rename(s->dir, dest) != 0)
        rc = wh_fail_errno(err, errno, dest, "rename");
    if (rc == 0) {
        carry_over(c, old, e);
        rc = commit_state(c, state, b->pkg.name, e, err);
        e = NULL;
    }
    if (rc == 0)
        rc = wh_fs_rmtree(aside, err);
    json_decref(e);
    return rc;
}

/* 1 when version a is higher than b. */
static int newer(const char *a, const char *b)
{
    wh_semver x, y;
    if (wh_semver_parse(&x, a, strlen(a), NULL))
        return 0;
    return wh_semver_parse(&y, b, strlen(b), NULL) || wh_semver_compare(&x, &y) > 0;
}

static int update_locked(const pcmd *c, json_t *state, bundle *b, int *done,
                         wh_err *err)
{
    staging s = { .wasm = NULL };
    json_t *old = ix_plugins_get(state, c->argv[0], err);
    if (!old)
        return WH_E_NOTFOUND;
    json_incref(old);
    const char *signer = json_string_value(json_object_get(old, "signer"));
    const char *ver = json_string_value(json_object_get(old, "version"));
    int rc = fetch_source(c, json_object_get(old, "source"), b, err);
    if (rc == 0 && strcmp(b->pkg.name, c->argv[0]) != 0)
        rc = wh_fail(err, WH_E_VERIFY, b->label, -1, "is plugin '%s', not '%s'",
                     b->pkg.name, c->argv[0]);
    *done = rc == 0 && !newer(b->pkg.version, ver);
    if (rc == 0 && !*done)
        rc = verify_bundle(c, b, c->allow_unsigned && (!signer || !*signer), err);
    if (rc == 0 && !*done)
        rc = stage(c, b, &s, err);
    if (rc == 0 && !*done)
        rc = commit_update(c, state, old, b, &s, err);
    if (rc && s.dir[0])
        wh_fs_rmtree(s.dir, NULL);
    free(s.wasm);
    json_decref(old);
    return rc;
}

static int do_update(const pcmd *c, wh_err *err)
{
    wh_lock l = { .fd = -1 };
    json_t *state = NULL;
    bundle b;
    char old[260] = "";
    int current = 0;
    memset(&b, 0, sizeof b);
    int rc = lock_state(c, &l, &state, err);
    json_t *e = rc ? NULL : ix_plugins_get(state, c->argv[0], err);
    if (rc == 0 && !e)
        rc = WH_E_NOTFOUND;
    if (rc == 0)
        snprintf(old, sizeof old, "%s", json_string_value(json_object_get(e, "version")));
    if (rc == 0)
        rc = update_locked(c, state, &b, &current, err);
    if (rc == 0 && !c->quiet && current)
        printf("%s %s is up to date\n", c->argv[0], old);
    else if (rc == 0 && !c->quiet)
        printf("updated %s %s -> %s\n", c->argv[0], old, b.pkg.version);
    bundle_free(&b);
    json_decref(state);
    wh_lock_release(&l);
    return rc;
}

/* --- list ---------------------------------------------------------------------- */

/* The limit keys `limits` takes, with their largest values (fuel as a
 * JSON integer holds at most INT64_MAX). */
static const struct limit_key {
    const char *key;
    long long max;
} limit_keys[] = {
    { "memory_mb", 4096 },
    { "fuel", LLONG_MAX },
    { "time_ms", 3600000 },
    { NULL, 0 }
};

/* "memory_mb=16, fuel=1000" of an entry's limits, in the table's order
 * ("" for none). */
static void limits_text(const json_t *e, char *out, size_t n)
{
    json_t *lim = json_object_get(e, "limits");
    size_t at = 0;
    out[0] = '\0';
    for (const struct limit_key *k = limit_keys; k->key && at < n; k++) {
        json_t *v = json_object_get(lim, k->key);
        if (json_is_integer(v))
            at += (size_t)snprintf(out + at, n - at, "%s%s=%lld", at ? ", " : "",
                                   k->key, (long long)json_integer_value(v));
    }
}

static void print_entry(const char *name, const json_t *e)
{
    const char *signer = json_string_value(json_object_get(e, "signer"));
    char lim[200];
    size_t i;
    json_t *k;
    printf("%s %s ", name, json_string_value(json_object_get(e, "version")));
    json_array_foreach(json_object_get(e, "kinds"), i, k)
        printf("%s%s", i ? ", " : "", json_string_value(k));
    if (json_array_size(json_object_get(e, "kinds")) == 0)
        printf("-");
    printf(" %s, %s%s\n", json_is_true(json_object_get(e, "enabled")) ? "enabled" : "disabled",
           signer && *signer ? "signed by " : "unsigned", signer ? signer : "");
    limits_text(e, lim, sizeof lim);
    if (*lim)
        printf("  limits: %s\n", lim);
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(e, "config"), key, v) {
        char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        printf("  %s = %s\n", key, t ? t : "?");
        free(t);
    }
}

static int do_list(const pcmd *c, wh_err *err)
{
    json_t *state = NULL;
    int rc = ix_plugins_load(c->dir, &state, err);
    if (rc)
        return rc;
    json_t *plugins = json_object_get(state, "plugins");
    if (c->json) {
        char *t = json_dumps(plugins, JSON_SORT_KEYS | JSON_INDENT(2));
        printf("%s\n", t ? t : "{}");
        free(t);
    } else {
        size_t n = 0;
        const char **names = sorted_keys(plugins, &n);
        for (size_t i = 0; i < n; i++)
            print_entry(names[i], json_object_get(plugins, names[i]));
        free(names);
    }
    json_decref(state);
    return 0;
}

/* --- enable, disable, config, limits, remove ------------------------------------ */

/* Under DIR's lock: load the state, let change() alter NAME's entry,
 * save. */
static int change(const pcmd *c, int (*fn)(const pcmd *, json_t *, json_t *, wh_err *),
                  wh_err *err)
{
    wh_lock l = { .fd = -1 };
    json_t *state = NULL, *e = NULL;
    int rc = lock_state(c, &l, &state, err);
    if (rc == 0 && !(e = ix_plugins_get(state, c->argv[0], err)))
        rc = WH_E_NOTFOUND;
    if (rc == 0)
        rc = fn(c, state, e, err);
    if (rc == 0)
        rc = ix_plugins_save(c->dir, state, err);
    json_decref(state);
    wh_lock_release(&l);
    return rc;
}

static int set_enabled(const pcmd *c, json_t *state, json_t *e, wh_err *err)
{
    (void)state;
    (void)err;
    int on = strcmp(c->action, "enable") == 0;
    json_object_set_new(e, "enabled", json_boolean(on));
    if (!c->quiet)
        printf("%s %s\n", on ? "enabled" : "disabled", c->argv[0]);
    return 0;
}

/* Every pair is checked before any is kept: a bad one changes nothing. */
static int set_config(const pcmd *c, json_t *state, json_t *e, wh_err *err)
{
    (void)state;
    for (int i = 1; i < c->argc; i++) {
        int rc = ix_plugins_config_set(e, c->argv[0], c->argv[i], err);
        if (rc)
            return rc;
    }
    if (!c->quiet)
        printf("configured %s\n", c->argv[0]);
    return 0;
}

/* One KEY=N (or KEY= to remove it) into lim. */
static int set_limit(json_t *lim, const char *kv, wh_err *err)
{
    const char *eq = strchr(kv, '=');
    const struct limit_key *k = limit_keys;
    while (eq && k->key && (strlen(k->key) != (size_t)(eq - kv) ||
                            strncmp(k->key, kv, (size_t)(eq - kv)) != 0))
        k++;
    if (!eq)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "'%s' is not KEY=N", kv);
    if (!k->key)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "unknown limit '%.*s' (memory_mb, "
                       "fuel or time_ms)", (int)(eq - kv), kv);
    if (!eq[1]) {
        json_object_del(lim, k->key);
        return 0;
    }
    long long v = wh_cli_number(eq + 1, 1, k->max);
    if (v < 1)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "limit %s '%s' is not a number "
                       "from 1 to %lld", k->key, eq + 1, k->max);
    return json_object_set_new(lim, k->key, json_integer(v)) ? nomem(err) : 0;
}

static int set_limits(const pcmd *c, json_t *state, json_t *e, wh_err *err)
{
    (void)state;
    char text[200];
    json_t *lim = json_object_get(e, "limits");
    lim = lim ? json_deep_copy(lim) : json_object();
    int rc = lim ? 0 : nomem(err);
    for (int i = 1; rc == 0 && i < c->argc; i++)
        rc = set_limit(lim, c->argv[i], err);
    if (rc == 0 && json_object_size(lim))
        json_object_set(e, "limits", lim);
    else if (rc == 0)
        json_object_del(e, "limits");
    json_decref(lim);
    limits_text(e, text, sizeof text);
    if (rc == 0 && !c->quiet)
        printf("limits of %s: %s\n", c->argv[0], *text ? text : "the system-wide ones");
    return rc;
}

/* Forgotten by the state first, so a run killed before the files go
 * leaves only an unlisted folder. */
static int drop(const pcmd *c, json_t *state, json_t *e, wh_err *err)
{
    (void)e;
    char dir[PATH_MAX];
    json_object_del(json_object_get(state, "plugins"), c->argv[0]);
    int rc = ix_plugins_save(c->dir, state, err);
    if (rc == 0)
        rc = ix_plugins_path(c->dir, c->argv[0], dir, err);
    if (rc == 0)
        rc = wh_fs_rmtree(dir, err);
    if (rc == 0 && !c->quiet)
        printf("removed %s\n", c->argv[0]);
    return rc;
}

static int do_enable(const pcmd *c, wh_err *err) { return change(c, set_enabled, err); }
static int do_config(const pcmd *c, wh_err *err) { return change(c, set_config, err); }
static int do_limits(const pcmd *c, wh_err *err) { return change(c, set_limits, err); }
static int do_remove(const pcmd *c, wh_err *err) { return change(c, drop, err); }

/* --- logs ---------------------------------------------------------------------- */

/* The lines of DIR/logs/NAME.log.1 then NAME.log, appended to *lines
 * (an array of strings; a missing file adds nothing). */
static int read_log(const char *path, json_t *lines, wh_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    if (access(path, F_OK) != 0)
        return 0;
    int rc = wh_file_read_stat(path, LOG_READ_MAX, WH_READ_NOFOLLOW, &buf, &len,
                               NULL, err);
    for (size_t at = 0; rc == 0 && at < len;) {
        char *nl = memchr(buf + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;
        /* a line without its '\n' is one a full disk cut short */
        if (nl && json_array_append_new(lines, json_stringn(buf + at, n)))
            rc = nomem(err);
        at += n + 1;
    }
    free(buf);
    return rc;
}

/* "2026-12-05T01:02:03Z warn PKG CALL: MESSAGE"; a line that is not a
 * log object is printed escaped, as it is. */
static void print_log_line(const char *s, size_t n)
{
    json_t *o = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
    json_t *t = json_object_get(o, "time");
    const char *f[4] = { "level", "package", "call", "message" };
    char when[32] = "";
    time_t tt = json_is_integer(t) ? (time_t)json_integer_value(t) : 0;
    struct tm tm;
    if (!o || !json_is_integer(t) || !gmtime_r(&tt, &tm) ||
        !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(when, sizeof when, "?");
    printf("%s", when);
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(o, f[i]);
        fputs(i == 3 ? ": " : " ", stdout);
        if (json_is_string(v))
            put_escaped(stdout, json_string_value(v), json_string_length(v));
        else if (i == 3 && !o)
            put_escaped(stdout, s, n);
        else
            fputs("?", stdout);
    }
    putchar('\n');
    json_decref(o);
}

static int do_logs(const pcmd *c, wh_err *err)
{
    json_t *state = NULL, *lines = json_array();
    char path[PATH_MAX], old[PATH_MAX + 8], rel[128];
    snprintf(rel, sizeof rel, "logs/%s.log", c->argv[0]);
    int rc = lines ? ix_plugins_load(c->dir, &state, err) : nomem(err);
    if (rc == 0 && !ix_plugins_get(state, c->argv[0], err))
        rc = WH_E_NOTFOUND;
    if (rc == 0)
        rc = ix_plugins_path(c->dir, rel, path, err);
    snprintf(old, sizeof old, "%s.1", path);
    if (rc == 0)
        rc = read_log(old, lines, err);
    if (rc == 0)
        rc = read_log(path, lines, err);
    size_t n = json_array_size(lines);
    size_t from = c->lines >= 0 && (size_t)c->lines < n ? n - (size_t)c->lines : 0;
    for (size_t i = from; rc == 0 && i < n; i++) {
        json_t *l = json_array_get(lines, i);
        if (c->json)
            printf("%s\n", json_string_value(l));
        else
            print_log_line(json_string_value(l), json_string_length(l));
    }
    json_decref(lines);
    json_decref(state);
    return rc;
}

/* --- profile ------------------------------------------------------------------- */

static const char *const profile_keys[] = { "calls", "fuel", "fuel_max", "time_us",
                                            "time_us_max", "peak_memory" };

/* Every function's figures are non-negative integers, calls at least 1. */
static int profile_check(const json_t *plugins, const char *path, wh_err *err)
{
    const char *name, *fn;
    json_t *p, *f;
    if (!json_is_object(plugins))
        return wh_fail(err, WH_E_FORMAT, path, -1, "\"plugins\" is not an object");
    json_object_foreach((json_t *)plugins, name, p) {
        if (!json_is_object(p))
            return wh_fail(err, WH_E_FORMAT, path, -1, "plugin '%s' is malformed", name);
        json_object_foreach(p, fn, f)
            for (int i = 0; i < 6; i++) {
                json_t *v = json_object_get(f, profile_keys[i]);
                if (!json_is_integer(v) || json_integer_value(v) < (i == 0))
                    return wh_fail(err, WH_E_FORMAT, path, -1, "plugin '%s' "
                                   "function '%s': \"%s\" is not a count", name, fn,
                                   profile_keys[i]);
            }
    }
    return 0;
}

/* DIR/profile.json, checked, into *out (NULL when there is none). */
static int profile_load(const pcmd *c, json_t **out, wh_err *err)
{
    char path[PATH_MAX], *buf = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = ix_plugins_path(c->dir, "profile.json", path, err);
    if (rc || access(path, F_OK) != 0)
        return rc;
    rc = wh_file_read_stat(path, PROFILE_MAX, WH_READ_NOFOLLOW, &buf, &len, NULL, err);
    if (rc == 0)
        rc = wh_json_parse(buf, len, path, out, err);
    free(buf);
    const char *fmt = json_string_value(json_object_get(*out, "format"));
    if (rc == 0 && (!fmt || strcmp(fmt, "wharf-plugin-profile/1") != 0))
        rc = wh_fail(err, WH_E_FORMAT, path, -1, "format is not 'wharf-plugin-profile/1'");
    if (rc == 0)
        rc = profile_check(json_object_get(*out, "plugins"), path, err);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

static long long num(const json_t *f, const char *key)
{
    return (long long)json_integer_value(json_object_get(f, key));
}

static void profile_row(const char *plugin, const char *fn, const json_t *f)
{
    long long calls = num(f, "calls");
    printf("%-16s %-20s %7lld %14lld %14lld %10.2f %10.2f %9lld\n", plugin, fn, calls,
           num(f, "fuel") / calls, num(f, "fuel_max"),
           (double)num(f, "time_us") / (double)calls / 1000.0,
           (double)num(f, "time_us_max") / 1000.0, (num(f, "peak_memory") + 1023) / 1024);
}

static void profile_table(const json_t *plugins, const char *only)
{
    size_t np = 0;
    const char **names = sorted_keys(plugins, &np);
    printf("%-16s %-20s %7s %14s %14s %10s %10s %9s\n", "plugin", "function", "calls",
           "mean fuel", "max fuel", "mean ms", "max ms", "peak KiB");
    for (size_t i = 0; i < np; i++) {
        if (only && strcmp(only, names[i]) != 0)
            continue;
        json_t *p = json_object_get(plugins, names[i]);
        size_t nf = 0;
        const char **fns = sorted_keys(p, &nf);
        for (size_t j = 0; j < nf; j++)
            profile_row(names[i], fns[j], json_object_get(p, fns[j]));
        free(fns);
    }
    free(names);
}

static int do_profile(const pcmd *c, wh_err *err)
{
    json_t *prof = NULL;
    const char *only = c->argc ? c->argv[0] : NULL;
    int rc = profile_load(c, &prof, err);
    json_t *plugins = json_object_get(prof, "plugins");
    if (rc == 0 && (!prof || (only && !json_object_get(plugins, only)))) {
        int named = only && prof;
        if (!c->quiet)
            printf("no profile %s%s%syet: run wharf-index build with plugins enabled\n",
                   named ? "of " : "", named ? only : "", named ? " " : "");
    } else if (rc == 0 && c->json) {
        json_t *v = only ? json_pack("{s:O}", only, json_object_get(plugins, only)) : NULL;
        char *t = json_dumps(only ? v : prof, JSON_SORT_KEYS | JSON_INDENT(2));
        printf("%s\n", t ? t : "{}");
        free(t);
        json_decref(v);
    } else if (rc == 0) {
        profile_table(plugins, only);
    }
    json_decref(prof);
    return rc;
}

/* --- test ---------------------------------------------------------------------- */

/* The functions of each kind, their inputs and result checks (docs/plugins.md). */
enum { IN_DATA, IN_ID_DATA, IN_INFO_DATA };
enum { CHK_META, CHK_VALIDATION, CHK_PAIRS, CHK_PROCESSED };
static const struct kind_fn {
    const char *kind, *func;
    int inputs, check;
} kind_fns[] = {
    { "format_handler", "parse_metadata", IN_DATA, CHK_META },
    { "format_handler", "validate", IN_DATA, CHK_VALIDATION },
    { "format_handler", "extract_dependencies", IN_DATA, CHK_PAIRS },
    { "metadata_extractor", "extract", IN_ID_DATA, CHK_PAIRS },
    { "validation_hook", "validate_upload", IN_INFO_DATA, CHK_VALIDATION },
    { "post_processor", "process", IN_ID_DATA, CHK_PROCESSED },
    { NULL, NULL, 0, 0 }
};

typedef struct test_run {
    const uint8_t *data;       /* the artifact */
    size_t len;
    char id[400];              /* NAME@VERSION */
    char *info;                /* validate_upload's info, canonical JSON */
    int log_level;             /* lowest level printed */
    int first_rc;              /* the first failure's code */
} test_run;

static void test_log(void *user, const char *plugin, const char *func, int level,
                     const char *msg, size_t len)
{
    const test_run *t = user;
    (void)plugin;
    (void)func;
    if (level < t->log_level)
        return;
    fflush(stdout);
    fprintf(stderr, "log: %s: ", ix_plugin_level_name(level));
    put_escaped(stderr, msg, len);
    fputc('\n', stderr);
}

/* What the build would tell the plugin about the artifact: its package's
 * name, version and format when it reads as one, else its file name,
 * "0.0.0" and "unknown". */
static int test_info(const char *path, test_run *t, wh_err *err)
{
    wh_pkg pkg;
    char hex[WH_SHA256_HEX];
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    int is_pkg = wh_pkg_read_mem(path, t->data, t->len, NULL, &pkg, NULL) == 0;
    uint8_t d[WH_SHA256_BYTES];
    int rc = wh_sha256_buf(t->data, t->len, d, err);
    if (rc) {
        if (is_pkg)
            wh_pkg_free(&pkg);
        return rc;
    }
    wh_hex_encode(hex, d, sizeof d, 0);
    snprintf(t->id, sizeof t->id, "%s@%s", is_pkg ? pkg.name : base,
             is_pkg ? pkg.version : "0.0.0");
    json_t *info = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}",
                             "name", is_pkg ? pkg.name : base,
                             "version", is_pkg ? pkg.version : "0.0.0",
                             "format", is_pkg ? wh_pkg_kind_name(pkg.kind) : "unknown",
                             "size_bytes", (json_int_t)t->len, "sha256", hex,
                             "signer", "");
    if (is_pkg)
        wh_pkg_free(&pkg);
    size_t n = 0;
    rc = info ? wh_json_canon(info, &t->info, &n, err) : nomem(err);
    json_decref(info);
    return rc;
}

static int test_check(wh_plugin *p, const struct kind_fn *k, const json_t *r,
                      wh_err *err)
{
    uint8_t *out = NULL;
    size_t n = 0;
    int rc;
    switch (k->check) {
    case CHK_META:       return wh_plugin_check_metadata(p, r, err);
    case CHK_VALIDATION: return wh_plugin_check_validation(p, k->func, r, err);
    case CHK_PAIRS:      return wh_plugin_check_pairs(p, k->func, r, err);
    default:
        rc = wh_plugin_check_processed(p, r, &out, &n, err);
        free(out);
        return rc;
    }
}

/* One call: "FUNC: RESULT" or "FUNC: error: WHY", then its cost. */
static void test_call(wh_plugin *p, const struct kind_fn *k, test_run *t)
{
    wh_plugin_input in[2];
    size_t n = 0;
    const char *first = k->inputs == IN_INFO_DATA ? t->info : t->id;
    if (k->inputs != IN_DATA)
        in[n++] = (wh_plugin_input){ first, strlen(first) };
    in[n++] = (wh_plugin_input){ t->data, t->len };
    size_t cap = k->check == CHK_PROCESSED ? t->len / 3 * 4 + RESULT_CAP : RESULT_CAP;
    json_t *r = NULL;
    wh_plugin_stats st = { 0, 0, 0 };
    wh_err err;
    char *text = NULL, line[WH_ERR_LINE_MAX];
    size_t len = 0;
    wh_err_clear(&err);
    int rc = wh_plugin_call(p, k->func, in, n, cap, &r, &st, &err);
    if (rc == 0)
        rc = test_check(p, k, r, &err);
    if (rc == 0)
        rc = wh_json_canon(r, &text, &len, &err);
    if (rc == 0)
        printf("%s: %s\n", k->func, text);
    else
        printf("%s: error: %s\n", k->func, wh_err_format(&err, line, sizeof line));
    printf("  fuel %llu, time %.2f ms, peak memory %llu KiB\n",
           (unsigned long long)st.fuel, (double)st.time_us / 1000.0,
           (unsigned long long)((st.peak_memory + 1023) / 1024));
    if (rc && !t->first_rc)
        t->first_rc = rc;
    free(text);
    json_decref(r);
}

/* The bundle's module loaded with its defaults as config and the
 * environment's limits. */
static int test_load(const bundle *b, test_run *t, wh_plugin **p, wh_err *err)
{
    ix_plugin_env env;
    staging s = { .wasm = NULL };
    char *cfg = NULL;
    size_t n = 0;
    json_t *defaults = json_object_get(json_object_get(b->pkg.record, "plugin"), "config");
    json_t *empty = json_object();
    int rc = ix_plugin_env_load(&env, err);
    if (rc == 0)
        rc = wh_json_canon(defaults ? defaults : empty, &cfg, &n, err);
    if (rc == 0)
        rc = unpack(b, &s, err);
    t->log_level = env.log_level;
    if (rc == 0)
        rc = wh_plugin_load(b->pkg.name, s.wasm, s.wasm_len, cfg, &env.limits,
                            test_log, t, p, err);
    json_decref(empty);
    free(cfg);
    free(s.wasm);
    return rc;
}

static int do_test(const pcmd *c, wh_err *err)
{
    if (!c->plugin || !c->artifact)
        return wh_fail(err, WH_E_USAGE, NULL, -1, "test needs --plugin X.zip and "
                       "--artifact FILE");
    bundle b;
    test_run t;
    wh_plugin *p = NULL;
    char *data = NULL;
    memset(&b, 0, sizeof b);
    memset(&t, 0, sizeof t);
    int rc = fetch_file(c->plugin, &b, err);
    if (rc == 0)
        rc = wh_file_read(c->artifact, WH_PKG_MAX_SIZE, &data, &t.len, err);
    t.data = (const uint8_t *)data;
    if (rc == 0)
        rc = test_info(c->artifact, &t, err);
    if (rc == 0)
        rc = test_load(&b, &t, &p, err);
    json_t *kinds = rc ? NULL : ix_plugins_kinds(json_object_get(
                        json_object_get(b.pkg.record, "plugin"), "capabilities"));
    size_t i;
    json_t *k;
    json_array_foreach(kinds, i, k)
        for (const struct kind_fn *f = kind_fns; f->kind; f++)
            if (strcmp(f->kind, json_string_value(k)) == 0)
                test_call(p, f, &t);
    if (rc == 0 && t.first_rc) {
        fflush(stdout);
        rc = t.first_rc;
        err->code = rc;   /* reported already, line by line */
        err->reason[0] = '\0';
    }
    json_decref(kinds);
    wh_plugin_free(p);
    free(t.info);
    free(data);
    bundle_free(&b);
    return rc;
}

/* --- the actions ------------------------------------------------------------------ */

static const action actions[] = {
    { "install", 1, 1, do_install, "one bundle, NAME[@REQ] or git+URL expected" },
    { "list",    0, 0, do_list, "takes no operands" },
    { "enable",  1, 1, do_enable, "one plugin name expected" },
    { "disable", 1, 1, do_enable, "one plugin name expected" },
    { "config",  2, -1, do_config, "a plugin name and KEY=VALUE expected" },
    { "limits",  2, -1, do_limits, "a plugin name and KEY=N expected" },
    { "update",  1, 1, do_update, "one plugin name expected" },
    { "remove",  1, 1, do_remove, "one plugin name expected" },
    { "logs",    1, 1, do_logs, "one plugin name expected" },
    { "profile", 0, 1, do_profile, "at most one plugin name expected" },
    { "test",    0, 0, do_test, "takes no operands (use --plugin and --artifact)" },
    { NULL, 0, 0, NULL, NULL }
};

int cmd_plugin(int argc, char **argv)
{
    pcmd c;
    int rc = parse_args(&c, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    const action *a = actions;
    while (a->name && strcmp(a->name, c.action) != 0)
        a++;
    if (!a->name) {
        fprintf(stderr, "%s: unknown action '%s'\ntry '%s --help'\n", PROG, c.action, PROG);
        return WH_EXIT_USAGE;
    }
    if (c.argc < a->min || (a->max >= 0 && c.argc > a->max)) {
        fprintf(stderr, "%s: %s: %s\ntry '%s --help'\n", PROG, a->name, a->expected, PROG);
        return WH_EXIT_USAGE;
    }
    wh_err err;
    wh_err_clear(&err);
    rc = a->run(&c, &err);
    if (rc && !err.reason[0] && rc == err.code)
        return wh_err_exit(rc);
    return rc ? wh_cli_report(PROG, &err) : 0;
}

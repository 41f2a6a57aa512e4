/* plugin_bundle.c - a plugin bundle taken from where `wharf-index plugin
 * install` or `update` is told to look (prefix ix_bundle_): a file, a wharf
 * site or a Git repository; the publisher signatures it must carry; its
 * files unpacked; the state entry it makes.
 *
 * Sources.  A bundle comes from a file (BUNDLE.zip, signed by
 * BUNDLE.zip.minisig), a wharf site (`NAME[@REQ] --from SITE`: the index
 * must verify with --repo-key, the highest non-yanked bundle version
 * matching REQ is taken, its size and SHA-256 must be the signed record's,
 * and its publisher's .minisig beside it in the site must verify with a
 * key of -k DIR: the same publisher check as a file, so one rule says
 * which plugins run, wherever they come from; SITE is a folder, a file://
 * URL or an http(s):// URL, read over HTTP by common/fetch.c with the
 * installer's limits: the index as `wharf update` reads it, the package
 * cut at its signed size, its .minisig at a signature's) or a Git
 * repository (`git+URL[@REF]`: `git clone --depth 1` run without a
 * shell, the root's plugin.toml and NAME.wasm each signed by a -k key,
 * zipped in memory as `wharf pack --zip` would).  The source is recorded
 * in the state entry, so `update NAME` asks the same place again
 * (ix_bundle_refetch); a site's source also records its repository key,
 * as `wharf source add` pins one, so an update checks the index against
 * the key the operator gave at install unless --repo-key names another.
 *
 * Two steps.  A fetch reads the bytes, checks them as a bundle
 * (wh_pkg_read_mem) and notes which signatures must hold, each over a
 * copy of what it signs (one from a server is fetched then, with what
 * became of it: the text, none there, or the error); ix_bundle_verify
 * checks them once the caller knows it wants the bundle (an update first
 * asks whether it is newer).  --allow-unsigned skips that check and
 * records the signer as "".  A signature file is present unless lstat
 * says it does not exist: a symbolic link, even a dangling one, is not
 * "no signature" but a signature that cannot be read (no link followed).
 *
 * Everything read is input from elsewhere: files are read with a size
 * cap, those found in a site or a clone without following links; a site
 * path is joined by wh_path_join (no "..", no absolute path), or into a
 * URL by wh_url_join (escaped); git gets its URL and ref after "--" or as
 * --branch's value and refuses either when it starts with '-', and runs
 * with protocol.ext.allow=never (no "ext::" URL runs a command).  A clone
 * lives in a temporary folder of $TMPDIR that goes with the bundle
 * (ix_bundle_free).
 *
 * Tests: tests/cli/t1202-wharf-index-plugin-sources.sh,
 * t1200-wharf-index-plugin.sh.
 */
#include "indexer/indexer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/shard.h"
#include "common/fetch.h"
#include "common/fs.h"
#include "common/index.h"
#include "common/keyring.h"
#include "common/minisign.h"
#include "common/pkg.h"
#include "common/semver.h"

#define MANIFEST_MAX ((size_t)1 << 20)    /* plugin.toml in a Git tree */
#define GIT_PREFIX   "git+"

/* One detached signature that must verify. */
typedef struct sigcheck {
    char     path[PATH_MAX];   /* the .minisig, or its URL */
    char     shown[PATH_MAX];  /* how messages name it */
    uint8_t *data;             /* what it signs (owned) */
    size_t   len;
    int      fetched;          /* 1: from a server: text, or fetch_rc */
    char    *text;             /* what it served (owned), NULL: none */
    size_t   text_len;
    int      fetch_rc;         /* its download's failure (not a 404) */
    wh_err   fetch_err;
} sigcheck;

struct ix_bundle {
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
};

static int nomem(wh_err *err)
{
    return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
}

/* --- the bundle --------------------------------------------------------- */

static int bundle_new(ix_bundle **out, wh_err *err)
{
    return (*out = calloc(1, sizeof **out)) ? 0 : nomem(err);
}

void ix_bundle_free(ix_bundle *b)
{
    if (!b)
        return;
    free(b->data);
    if (b->has_pkg)
        wh_pkg_free(&b->pkg);
    for (int i = 0; i < b->nsig; i++) {
        free(b->sig[i].data);
        free(b->sig[i].text);
    }
    json_decref(b->source);
    if (b->tmp[0])
        wh_fs_rmtree(b->tmp, NULL);
    free(b);
}

const wh_pkg *ix_bundle_pkg(const ix_bundle *b)
{
    return &b->pkg;
}

const char *ix_bundle_label(const ix_bundle *b)
{
    return b->label;
}

/* b->data read as a plugin bundle into b->pkg. */
static int bundle_read(ix_bundle *b, wh_err *err)
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
static int add_sig(ix_bundle *b, const char *sig_path, const char *shown,
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

/* The check of path.minisig over the whole bundle. */
static int add_sig_beside(ix_bundle *b, const char *path, wh_err *err)
{
    char sig[PATH_MAX];
    if (snprintf(sig, sizeof sig, "%s.minisig", path) >= (int)sizeof sig)
        return wh_fail(err, WH_E_LIMIT, path, -1, "path too long");
    return add_sig(b, sig, NULL, b->data, b->len, err);
}

/* s's signature into *sig: fetched (NULL text: the server had none), or
 * read from s->path without following a link.  Only a file lstat cannot
 * find is missing: a link, even a dangling one, fails as the read says. */
static int sig_get(const sigcheck *s, const char *label, wh_minisign_sig *sig,
                   wh_err *err)
{
    struct stat st;
    if (s->fetched && s->fetch_rc) {
        if (err)
            *err = s->fetch_err;
        return s->fetch_rc;
    }
    if (s->fetched ? !s->text : lstat(s->path, &st) != 0 && errno == ENOENT)
        return wh_fail(err, WH_E_VERIFY, label, -1, "no signature %s "
                       "(use --allow-unsigned to install it anyway)", s->shown);
    if (s->fetched)
        return wh_minisign_sig_parse(sig, s->text, s->text_len, s->path, err);
    return wh_minisign_sig_load_flags(sig, s->path, WH_MINISIGN_NOFOLLOW, err);
}

/* One signature by a key of kr; its key id into signer. */
static int verify_one(const sigcheck *s, const char *label, const wh_keyring *kr,
                      char signer[WH_NKEY_LEN + 1], wh_err *err)
{
    wh_minisign_sig sig;
    const wh_minisign_pubkey *pk = NULL;
    char id[17];
    int rc = sig_get(s, label, &sig, err);
    if (rc == 0) {
        wh_minisign_keyid_hex(sig.key_id, id);
        if (!(pk = wh_keyring_find(kr, sig.key_id, NULL)))
            rc = wh_fail(err, WH_E_UNTRUSTED, s->path, -1, "signed by key %s, "
                         "which is not among the trusted keys", id);
    }
    if (rc == 0)
        rc = wh_minisign_verify_buffer(&sig, pk, s->data, s->len, s->path, 0, err);
    if (rc && err && strcmp(err->path, s->path) == 0)
        snprintf(err->path, sizeof err->path, "%.*s", (int)sizeof err->path - 1,
                 s->shown);
    if (rc == 0)
        snprintf(signer, WH_NKEY_LEN + 1, "%s", id);
    return rc;
}

int ix_bundle_verify(ix_bundle *b, const char *keys, int allow_unsigned,
                     wh_err *err)
{
    wh_keyring kr = { 0 };
    b->signer[0] = '\0';
    if (allow_unsigned)
        return 0;
    int rc = keys ? wh_keyring_load_dir(&kr, keys, err) : 0;
    for (int i = 0; rc == 0 && i < b->nsig; i++)
        rc = verify_one(&b->sig[i], b->label, &kr, b->signer, err);
    if (rc)
        b->signer[0] = '\0';
    wh_keyring_free(&kr);
    return rc;
}

/* --- a file ------------------------------------------------------------- */

/* A bundle file: path and path.minisig. */
static int fetch_file(const char *path, ix_bundle *b, wh_err *err)
{
    char abs[PATH_MAX];
    char *data = NULL;
    snprintf(b->label, sizeof b->label, "%s", path);
    int rc = wh_file_read(path, WH_PKG_MAX_SIZE, &data, &b->len, err);
    b->data = (uint8_t *)data;
    if (rc == 0)
        rc = add_sig_beside(b, path, err);
    if (rc == 0 && !realpath(path, abs))
        rc = wh_fail_errno(err, errno, path, "realpath");
    if (rc == 0 && !(b->source = json_pack("{s:s, s:s}", "type", "file", "path", abs)))
        rc = nomem(err);
    if (rc == 0)
        rc = bundle_read(b, err);
    return rc;
}

/* --- a wharf site ------------------------------------------------------- */

/* Where a site is: a folder, or a URL read over HTTP(S). */
typedef struct site_loc {
    const char *loc;          /* as given: the recorded source */
    const char *folder;       /* "file://" stripped; NULL over HTTP(S) */
} site_loc;

/* How messages name the site: its folder, else its URL. */
static const char *site_where(const site_loc *st)
{
    return st->folder ? st->folder : st->loc;
}

static int site_open(const char *loc, site_loc *st, wh_err *err)
{
    st->loc = loc;
    st->folder = NULL;
    if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0)
        return 0;
    st->folder = strncmp(loc, "file://", 7) == 0 ? loc + 7 : loc;
    if (!*st->folder)
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

/* The chosen record's file in a folder, checked against it; its .minisig. */
static int site_read(const char *folder, const wh_index_pkg *p, ix_bundle *b,
                     wh_err *err)
{
    char path[PATH_MAX], *data = NULL;
    int rc = wh_path_join(path, sizeof path, folder, p->path, strlen(p->path), err);
    if (rc)
        return rc;
    snprintf(b->label, sizeof b->label, "%s", path);
    rc = wh_file_read_stat(path, WH_PKG_MAX_SIZE, WH_READ_NOFOLLOW, &data,
                           &b->len, NULL, err);
    b->data = (uint8_t *)data;
    if (rc == 0)
        rc = wh_index_pkg_check_mem(p, b->data, b->len, path, err);
    if (rc == 0)
        rc = add_sig_beside(b, path, err);
    return rc;
}

/* The check of URL.minisig over the whole bundle, downloaded now (at most
 * a signature's size): a 404 notes it missing, another failure is kept
 * for ix_bundle_verify, so --allow-unsigned needs neither. */
static int sig_fetch(ix_bundle *b, const char *url, wh_err *err)
{
    int rc = add_sig_beside(b, url, err);
    if (rc)
        return rc;
    sigcheck *s = &b->sig[b->nsig - 1];
    s->fetched = 1;
    s->fetch_rc = wh_fetch(s->path, WH_MINISIGN_SIG_TEXT_MAX, 0, &s->text,
                           &s->text_len, &s->fetch_err);
    if (s->fetch_rc == WH_E_NOTFOUND)
        s->fetch_rc = 0;
    return 0;
}

/* The chosen record's file downloaded from a site URL, cut at its signed
 * size (a server that sends more is not serving what the index signs:
 * WH_E_VERIFY, as `wharf install` says), checked against it; its .minisig. */
static int site_get(const char *loc, const wh_index_pkg *p, ix_bundle *b,
                    wh_err *err)
{
    char url[PATH_MAX], *data = NULL;
    size_t max = p->size < WH_PKG_MAX_SIZE ? (size_t)p->size : WH_PKG_MAX_SIZE;
    int rc = wh_url_join(url, sizeof url, loc, p->path, err);
    if (rc)
        return rc;
    snprintf(b->label, sizeof b->label, "%s", url);
    rc = wh_fetch(url, max, 0, &data, &b->len, err);
    b->data = (uint8_t *)data;
    if (rc == WH_E_LIMIT) {
        rc = WH_E_VERIFY;
        if (err)
            err->code = rc;
    }
    if (rc == 0)
        rc = wh_index_pkg_check_mem(p, b->data, b->len, url, err);
    return rc ? rc : sig_fetch(b, url, err);
}

/* The site's key: --repo-key's file, else the key the plugin's install
 * was given (recorded with its source, as `wharf source add` pins one),
 * so an update needs no key unless the site changed keys. */
static int site_key(const char *repo_key, const char *pinned,
                    wh_minisign_pubkey *pk, wh_err *err)
{
    if (repo_key)
        return wh_minisign_pubkey_load(pk, repo_key, err);
    if (pinned)
        return wh_minisign_pubkey_from_base64(pk, pinned, strlen(pinned), err);
    return wh_fail(err, WH_E_USAGE, NULL, -1, "a site needs its repository "
                   "key: --repo-key FILE.pub");
}

/* The site's verified, unexpired index, by key pk. */
static int site_index(const wh_minisign_pubkey *pk, const site_loc *st,
                      wh_index *ix, wh_err *err)
{
    char sig_url[PATH_MAX + 32];
    wh_minisign_pubkey k = *pk;
    wh_minisign_sig sig;
    int rc = st->folder ? wh_site_index_load(ix, st->folder, &k, err)
                        : wh_fetch_index(st->loc, 0, NULL, NULL, ix, &sig, &k,
                                         sig_url, sizeof sig_url, err);
    if (rc == 0 && ix->head.expires < (int64_t)time(NULL)) {
        char date[32];
        wh_cli_date(ix->head.expires, date);
        rc = wh_fail(err, WH_E_EXPIRED, site_where(st), -1, "the index expired "
                     "on %s", date);
        wh_index_free(ix);
    }
    return rc;
}

/* The bundle name[@req] of the loaded index ix, read from site st. */
static int site_take(const wh_index *ix, const site_loc *st, const char *name,
                     const wh_semver_req *req, const char *req_text,
                     ix_bundle *b, wh_err *err)
{
    wh_index_pkg *v = NULL;
    size_t n = 0;
    int rc = wh_index_packages(ix, &v, &n, err);
    const wh_index_pkg *p = rc ? NULL : site_pick(v, n, name, req);
    if (rc == 0 && !p)
        rc = wh_fail(err, WH_E_NOTFOUND, site_where(st), -1, "no plugin bundle "
                     "%s%s%s", name, *req_text ? " matching " : "", req_text);
    if (rc == 0)
        rc = st->folder ? site_read(st->folder, p, b, err)
                        : site_get(st->loc, p, b, err);
    free(v);
    return rc;
}

static int fetch_site(const char *repo_key, const char *pinned, const char *loc,
                      const char *request, ix_bundle *b, wh_err *err)
{
    char name[65], abs[PATH_MAX], key[WH_MINISIGN_PUBKEY_B64_LEN + 1];
    const char *req_text = "";
    wh_semver_req *req = NULL;
    wh_minisign_pubkey pk;
    wh_index ix;
    site_loc st;
    int rc = site_open(loc, &st, err);
    if (rc == 0)
        rc = parse_request(request, name, &req, &req_text, err);
    if (rc == 0)
        rc = site_key(repo_key, pinned, &pk, err);
    if (rc == 0)
        rc = site_index(&pk, &st, &ix, err);
    if (rc) {
        wh_semver_req_free(req);
        return rc;
    }
    rc = site_take(&ix, &st, name, req, req_text, b, err);
    /* A folder is recorded absolute, so update works from anywhere. */
    const char *where = st.folder == loc && realpath(loc, abs) ? abs : loc;
    wh_minisign_pubkey_to_base64(&pk, key);
    if (rc == 0 && !(b->source = json_pack("{s:s, s:s, s:s, s:s}", "type", "site",
                                           "location", where, "request", req_text,
                                           "key", key)))
        rc = nomem(err);
    if (rc == 0)
        rc = bundle_read(b, err);
    wh_index_free(&ix);
    wh_semver_req_free(req);
    return rc;
}

/* --- a Git repository --------------------------------------------------- */

/* Run argv (argv[0] looked up in PATH) with stdin from /dev/null and
 * GIT_TERMINAL_PROMPT=0, so git itself never waits for a password (an
 * ssh URL's prompt is ssh's, as the user configured it); its exit status
 * into *st. */
static int git_run(const char *const *argv, const char *url, int *st, wh_err *err)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return wh_fail_errno(err, errno, url, "fork");
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null > 0) {
            dup2(null, 0);
            close(null);
        }
        setenv("GIT_TERMINAL_PROMPT", "0", 1);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    pid_t got;
    while ((got = waitpid(pid, st, 0)) < 0 && errno == EINTR)
        ;
    /* without this, a lost child would read as a clone that worked */
    return got < 0 ? wh_fail_errno(err, errno, url, "waitpid") : 0;
}

/* git clone --quiet --depth 1 [--branch REF] -- URL TMP. */
static int git_clone(const char *url, const char *ref, const char *tmp, wh_err *err)
{
    const char *argv[20];
    int n = 0, st = 0;
    /* --no-local: a path is cloned like a URL, so --depth holds too;
     * protocol.ext.allow=never: an "ext::CMD" URL would run CMD */
    argv[n++] = "git"; argv[n++] = "-c"; argv[n++] = "advice.detachedHead=false";
    argv[n++] = "-c"; argv[n++] = "protocol.ext.allow=never";
    argv[n++] = "clone"; argv[n++] = "--quiet"; argv[n++] = "--no-local";
    argv[n++] = "--depth"; argv[n++] = "1";
    if (*ref) {
        argv[n++] = "--branch";
        argv[n++] = ref;
    }
    argv[n++] = "--"; argv[n++] = url; argv[n++] = tmp; argv[n] = NULL;
    int rc = git_run(argv, url, &st, err);
    if (rc)
        return rc;
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

/* The files a bundle of the clone is made of, in `wharf pack --zip`'s
 * order: plugin.toml, NAME.wasm, then plugin.wit and README.md when
 * present (f[i] NULL when absent).  wname receives "NAME.wasm". */
static int git_files(const char *tmp, char wname[80], char *f[4], size_t l[4],
                     wh_err *err)
{
    char name[65], version[257];
    int rc = tree_file(tmp, "plugin.toml", 0, &f[0], &l[0], err);
    if (rc == 0)
        rc = wh_bundle_manifest_id("plugin.toml", f[0], l[0], name, version, err);
    if (rc)
        return rc;
    snprintf(wname, 80, "%s.wasm", name);
    rc = tree_file(tmp, wname, 0, &f[1], &l[1], err);
    if (rc == 0)
        rc = tree_file(tmp, "plugin.wit", 1, &f[2], &l[2], err);
    if (rc == 0)
        rc = tree_file(tmp, "README.md", 1, &f[3], &l[3], err);
    return rc;
}

/* The clone's root made into a bundle as `wharf pack --zip` makes one;
 * NAME.wasm.minisig and plugin.toml.minisig are the signatures. */
static int git_bundle(const char *tmp, ix_bundle *b, wh_err *err)
{
    char wname[80] = "", sig[PATH_MAX], shown[80];
    char *f[4] = { NULL, NULL, NULL, NULL };
    size_t l[4] = { 0 }, n = 0;
    wh_zip_file z[4];
    const char *names[4] = { "plugin.toml", wname, "plugin.wit", "README.md" };
    int rc = git_files(tmp, wname, f, l, err);
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

static int fetch_git(const char *spec, ix_bundle *b, wh_err *err)
{
    char url[PATH_MAX], tmp[PATH_MAX], clone[PATH_MAX];
    const char *ref = "";
    snprintf(b->label, sizeof b->label, "%s", spec);
    int rc = git_split(spec, url, sizeof url, &ref, err);
    if (rc == 0)
        rc = git_tmp(tmp, sizeof tmp, err);
    if (rc)
        return rc;
    /* only a folder mkdtemp made: b->tmp is removed with b */
    snprintf(b->tmp, sizeof b->tmp, "%s", tmp);
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

/* --- the API ------------------------------------------------------------ */

int ix_bundle_file(ix_bundle **out, const char *path, wh_err *err)
{
    int rc = bundle_new(out, err);
    return rc ? rc : fetch_file(path, *out, err);
}

int ix_bundle_fetch(ix_bundle **out, const char *what, const char *site,
                    const char *repo_key, wh_err *err)
{
    int rc = bundle_new(out, err);
    if (rc)
        return rc;
    if (strncmp(what, GIT_PREFIX, strlen(GIT_PREFIX)) == 0)
        return site ? wh_fail(err, WH_E_USAGE, NULL, -1, "--from does not go "
                              "with a git+URL")
                    : fetch_git(what, *out, err);
    if (site)
        return fetch_site(repo_key, NULL, site, what, *out, err);
    return fetch_file(what, *out, err);
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* prefix A, then "@" B unless B is empty or NULL, into spec (PATH_MAX):
 * plugin name's recorded site request or repository. */
static int source_spec(char *spec, const char *prefix, const char *a,
                       const char *b, const char *name, wh_err *err)
{
    int n = snprintf(spec, PATH_MAX, "%s%s%s%s", prefix, a, b && *b ? "@" : "",
                     b ? b : "");
    /* cut short, it would name another place */
    if (n < 0 || n >= PATH_MAX)
        return wh_fail(err, WH_E_LIMIT, NULL, -1, "plugin '%s' records a source "
                       "too long to use", name);
    return 0;
}

static int refetch_site(const char *name, const json_t *src, const char *repo_key,
                        ix_bundle *b, wh_err *err)
{
    char spec[PATH_MAX];
    int rc = source_spec(spec, "", name, str(src, "request"), name, err);
    return rc ? rc : fetch_site(repo_key, str(src, "key"), str(src, "location"),
                                spec, b, err);
}

static int refetch_git(const char *name, const json_t *src, ix_bundle *b,
                       wh_err *err)
{
    char spec[PATH_MAX];
    int rc = source_spec(spec, GIT_PREFIX, str(src, "url"), str(src, "ref"), name, err);
    return rc ? rc : fetch_git(spec, b, err);
}

int ix_bundle_refetch(ix_bundle **out, const char *name, const json_t *src,
                      const char *repo_key, wh_err *err)
{
    const char *type = str(src, "type");
    int rc = bundle_new(out, err);
    if (rc)
        return rc;
    if (type && !strcmp(type, "file") && str(src, "path"))
        return fetch_file(str(src, "path"), *out, err);
    if (type && !strcmp(type, "site") && str(src, "location"))
        return refetch_site(name, src, repo_key, *out, err);
    if (type && !strcmp(type, "git") && str(src, "url"))
        return refetch_git(name, src, *out, err);
    return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "plugin '%s' records no source "
                   "to update from (remove it and install it again)", name);
}

/* --- unpacking ---------------------------------------------------------- */

typedef struct unpacking {
    const char *dir;          /* where files go, NULL: nowhere */
    const char *wasm_rel;     /* the module's name in the bundle */
    uint8_t *wasm;            /* a copy of it */
    size_t wasm_len;
} unpacking;

/* rel's bytes written below u->dir, its parent folders made first. */
static int write_file(const unpacking *u, const char *rel, const uint8_t *data,
                      size_t len, unsigned mode, wh_err *err)
{
    char path[PATH_MAX], *slash;
    int rc = wh_path_join(path, sizeof path, u->dir, rel, strlen(rel), err);
    if (rc == 0 && (slash = strrchr(path, '/')) != NULL) {
        *slash = '\0';
        rc = wh_mkdirs(path, err);
        *slash = '/';
    }
    if (rc == 0)
        rc = wh_file_write_atomic(path, data, len, mode, err);
    return rc;
}

static int unpack_file(void *ctx, const char *rel, const uint8_t *data,
                       size_t len, unsigned mode, wh_err *err)
{
    unpacking *u = ctx;
    int rc = u->dir ? write_file(u, rel, data, len, mode, err) : 0;
    if (rc == 0 && strcmp(rel, u->wasm_rel) == 0 && !u->wasm) {
        if (!(u->wasm = malloc(len ? len : 1)))
            return nomem(err);
        memcpy(u->wasm, data, len);
        u->wasm_len = len;
    }
    return rc;
}

int ix_bundle_unpack(const ix_bundle *b, const char *dir, uint8_t **wasm,
                     size_t *len, wh_err *err)
{
    unpacking u = { dir, NULL, NULL, 0 };
    *wasm = NULL;
    *len = 0;
    u.wasm_rel = json_string_value(json_object_get(json_object_get(b->pkg.record,
                                                                   "plugin"), "wasm"));
    if (!u.wasm_rel)
        return wh_fail(err, WH_E_FORMAT, b->label, -1, "bundle names no module");
    int rc = wh_pkg_unpack(b->label, b->data, b->len, &b->pkg, NULL, unpack_file, &u, err);
    if (rc == 0 && !u.wasm)
        rc = wh_fail(err, WH_E_FORMAT, b->label, -1, "bundle has no module %s",
                     u.wasm_rel);
    if (rc)
        free(u.wasm);
    else {
        *wasm = u.wasm;
        *len = u.wasm_len;
    }
    return rc;
}

/* The state entry of a freshly installed bundle: disabled, its defaults. */
json_t *ix_bundle_entry(const ix_bundle *b)
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

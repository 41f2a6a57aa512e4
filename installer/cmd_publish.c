/* cmd_publish.c - `wharf publish PKG... --repo PKGDIR`: copy verified
 * packages, with their signatures, into the folder wharf-index builds a
 * site from.
 *
 * RULES.
 *  1. Every PKG is verified first, as `wharf verify-package` does
 *     (wh_pkg_check_file: its .minisig, when there is one, by a trusted
 *     key, -p or `wharf trust`; then the format's own checks).  One bad
 *     package and nothing is published: the command is all or nothing up
 *     to the first write.
 *  2. A package goes in as PKGDIR/NAME-VERSION.EXT (EXT by its content:
 *     .ferrpkg, .zip, .par.gz, .par), its signature beside it as
 *     NAME-VERSION.EXT.minisig.
 *  3. A version is published once.  The files of PKGDIR named
 *     NAME-V.EXT where V has the same precedence as VERSION (1.0.0+a is
 *     1.0.0+b, as the index counts them) are the version's copies: one
 *     with other bytes is refused, WH_E_EXISTS (exit 1), naming it; one
 *     with the same bytes means done already (fine, exit 0; a new
 *     signature replaces the old one beside it).  Two PKGs of one version
 *     with different bytes are refused likewise.  Other file names in
 *     PKGDIR are not opened (wharf-index build refuses two files of one
 *     version, whatever they are called).
 *  4. Writes are atomic (common/fs.c), the signature before its package,
 *     so a reader never sees the package without the signature it was
 *     published with; kill -9 at any point leaves what was there, or a
 *     signature with no package, which the next publish replaces.
 *  5. Publishers take turns: PKGDIR/.wharf-publish.lock (a hidden name
 *     wharf-index does not read) is held from the checks of rule 3 to the
 *     last write, so two publishes of one version cannot both pass them.
 *
 * Tests: tests/cli/t2024-wharf-publish.sh.
 */
#include "installer/installer.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/lock.h"
#include "common/semver.h"

enum { OPT_REPO = 1100, OPT_REQUIRE };

static const wh_opt opts[] = {
    { OPT_REPO, "repo", "PKGDIR", "the package folder to publish into "
      "(created if missing)" },
    { 'p', "public-key", "FILE", "trust this minisign public key for "
      "signatures (repeatable; default: the keys of wharf trust)" },
    { OPT_REQUIRE, "require-signature", NULL, "refuse a package without a "
      ".minisig" },
    INS_OPT_DRY_RUN_ROW,
    { 'q', "quiet", NULL, "print nothing but errors" },
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf publish PKG... --repo PKGDIR [-p KEY.pub] [options]";
static const char description[] =
    "Verify package files (and their .minisig, with a trusted key) and copy\n"
    "them into PKGDIR as NAME-VERSION.EXT, atomically.  A version already\n"
    "there as another file is refused; the same file again is fine.";

#define PROG "wharf publish"
#define LOCK_NAME ".wharf-publish.lock"

static const char *const exts[] = { ".ferrpkg", ".zip", ".par.gz", ".par" };

typedef struct pub_opts {
    ins_cmd_opts c;
    const char *repo;
    json_t *keys;
    int require;
} pub_opts;

/* One package to publish. */
typedef struct pub_item {
    const char     *path;
    wh_pkg_checked  f;
    wh_semver       v;
    char            dest[4096];        /* PKGDIR/NAME-VERSION.EXT */
    char            have[4096];        /* the copy already there, or "" */
    int             dup;               /* the same as an earlier PKG */
} pub_item;

static int parse_args(pub_opts *o, wh_cli *cli, int argc, char **argv)
{
    int c;
    wh_cli_init(cli, PROG, argc, argv);
    while ((c = wh_cli_next(cli, opts)) > 0) {
        if (c == OPT_REPO)
            o->repo = cli->arg;
        else if (c == 'p')
            json_array_append_new(o->keys, json_string(cli->arg));
        else if (c == OPT_REQUIRE)
            o->require = 1;
        else if (c == WH_CLI_HELP) {
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        } else if (ins_cmd_opt(&o->c, c, cli) < 0)
            return wh_cli_usage_error(cli);
    }
    if (c < 0)
        return wh_cli_usage_error(cli);
    if (!o->repo || cli->argc == 0) {
        snprintf(cli->msg, sizeof cli->msg, !o->repo ? "no --repo PKGDIR "
                 "given" : "no package file given");
        return wh_cli_usage_error(cli);
    }
    return 0;
}

/* --- rule 1: verify ------------------------------------------------------------ */

static int check_item(const pub_opts *o, const wh_keyring *kr, pub_item *it,
                      wh_err *err)
{
    int rc = wh_pkg_check_file(it->path, kr, &it->f, err);
    if (rc)
        return rc;
    if (!it->f.sig && o->require)
        return wh_fail(err, WH_E_UNTRUSTED, it->path, -1, "not signed (no %s)",
                       it->f.sig_path);
    const wh_pkg *p = &it->f.pkg;
    wh_semver_parse(&it->v, p->version, strlen(p->version), NULL);
    if (snprintf(it->dest, sizeof it->dest, "%s/%s-%s%s", o->repo, p->name,
                 p->version, wh_pkg_ext(p, (const uint8_t *)it->f.data,
                                        it->f.len)) >= (int)sizeof it->dest)
        return wh_fail(err, WH_E_LIMIT, o->repo, -1, "folder name too long");
    return 0;
}

static int same_version(const pub_item *a, const pub_item *b)
{
    return strcmp(a->f.pkg.name, b->f.pkg.name) == 0 &&
           wh_semver_compare(&a->v, &b->v) == 0;
}

static int same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

/* Two PKGs of one version: the same file (published once) or refused. */
static int check_args(pub_item *it, size_t n, wh_err *err)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < i && !it[i].dup; k++) {
            if (!same_version(&it[i], &it[k]))
                continue;
            if (!same_bytes(it[i].f.data, it[i].f.len, it[k].f.data, it[k].f.len))
                return wh_fail(err, WH_E_EXISTS, it[i].path, -1, "%s@%s is "
                               "also '%s', a different file", it[i].f.pkg.name,
                               it[i].f.pkg.version, it[k].path);
            it[i].dup = 1;
        }
    return 0;
}

/* --- rule 3: what PKGDIR holds of a version ------------------------------------ */

/* 1 if entry (a file name in PKGDIR) is NAME-V.EXT with V of it's
 * precedence. */
static int names_version(const pub_item *it, const char *entry)
{
    const char *name = it->f.pkg.name;
    size_t nl = strlen(name), el = strlen(entry);
    if (el <= nl + 1 || strncmp(entry, name, nl) != 0 || entry[nl] != '-')
        return 0;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t xl = strlen(exts[i]);
        wh_semver v;
        if (el > nl + 1 + xl && strcmp(entry + el - xl, exts[i]) == 0)
            return wh_semver_parse(&v, entry + nl + 1, el - xl - nl - 1,
                                   NULL) == 0 &&
                   wh_semver_compare(&v, &it->v) == 0;
    }
    return 0;
}

/* 1 if data reads as a package of it's module and version. */
static int reads_as_version(const pub_item *it, const char *path,
                            const char *data, size_t len)
{
    wh_pkg p;
    wh_semver v;
    if (wh_pkg_read_mem(path, (const uint8_t *)data, len, NULL, &p, NULL))
        return 0;
    int same = strcmp(p.name, it->f.pkg.name) == 0 &&
               wh_semver_parse(&v, p.version, strlen(p.version), NULL) == 0 &&
               wh_semver_compare(&v, &it->v) == 0;
    wh_pkg_free(&p);
    return same;
}

/* A copy named as this version: the same bytes (it->have set), another
 * package of the version (refused), or, read as something else, not a
 * copy at all (only at another name than it->dest). */
static int judge_copy(pub_item *it, const char *path, wh_err *err)
{
    char *data = NULL;
    size_t len = 0;
    int rc = wh_file_read(path, WH_PKG_MAX_SIZE, &data, &len, err);
    if (rc)
        return rc;
    if (same_bytes(data, len, it->f.data, it->f.len))
        snprintf(it->have, sizeof it->have, "%s", path);
    else if (strcmp(path, it->dest) == 0 ||
             reads_as_version(it, path, data, len))
        rc = wh_fail(err, WH_E_EXISTS, it->path, -1, "%s@%s already exists "
                     "as '%s', a different file", it->f.pkg.name,
                     it->f.pkg.version, path);
    free(data);
    return rc;
}

static int check_repo(const pub_opts *o, pub_item *it, wh_err *err)
{
    DIR *d = opendir(o->repo);
    struct dirent *de;
    char path[4096];
    int rc = 0;
    it->have[0] = '\0';
    if (!d)
        return errno == ENOENT ? 0 : wh_fail_errno(err, errno, o->repo,
                                                   "cannot open directory");
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !names_version(it, de->d_name))
            continue;
        if (snprintf(path, sizeof path, "%s/%s", o->repo, de->d_name) <
            (int)sizeof path)
            rc = judge_copy(it, path, err);
    }
    closedir(d);
    return rc;
}

/* --- rule 4: write ------------------------------------------------------------- */

/* The signature beside where the package is (or goes), unless it is the
 * same already; *changed says whether it was (or, dry, would be)
 * written. */
static int put_sig(const pub_item *it, const char *pkg_path, int dry,
                   int *changed, wh_err *err)
{
    char sp[4096 + 16], *old = NULL;
    size_t olen = 0;
    *changed = 0;
    if (!it->f.sig)
        return 0;
    snprintf(sp, sizeof sp, "%s.minisig", pkg_path);
    int rc = wh_file_read_stat(sp, WH_MINISIGN_FILE_MAX, WH_READ_NOFOLLOW, &old,
                               &olen, NULL, NULL);
    *changed = !(rc == 0 && same_bytes(old, olen, it->f.sig, it->f.sig_len));
    free(old);
    if (!*changed || dry)
        return 0;
    return wh_file_write_atomic(sp, it->f.sig, it->f.sig_len, 0644, err);
}

static void say(const pub_opts *o, const pub_item *it, int sig_changed)
{
    const wh_pkg *p = &it->f.pkg;
    char q[4 * 4096 + 1], how[64] = "unsigned";
    const char *where = it->have[0] ? it->have : it->dest;
    if (o->c.quiet)
        return;
    if (it->f.sig)
        snprintf(how, sizeof how, "signed by key %s", it->f.key_id);
    wh_quote(q, sizeof q, where, strlen(where));
    if (!it->have[0])
        printf("%s %s %s: %s (%s)\n", o->c.dry_run ? "would publish"
               : "published", p->name, p->version, q, how);
    else
        printf("%s %s: already published as %s%s\n", p->name, p->version, q,
               !sig_changed ? "" : o->c.dry_run ? "; would replace its "
               "signature" : "; signature replaced");
}

static int publish_one(const pub_opts *o, const pub_item *it, wh_err *err)
{
    int changed = 0;
    const char *where = it->have[0] ? it->have : it->dest;
    int rc = put_sig(it, where, o->c.dry_run, &changed, err);
    if (rc == 0 && !it->have[0] && !o->c.dry_run)
        rc = wh_file_write_atomic(it->dest, it->f.data, it->f.len, 0644, err);
    if (rc == 0)
        say(o, it, changed);
    return rc;
}

/* --- the command ------------------------------------------------------------------ */

/* Rules 3 and 4 for the items (the lock is held unless a dry run). */
static int publish_all(const pub_opts *o, pub_item *it, size_t n, wh_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!it[i].dup)
            rc = check_repo(o, &it[i], err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!it[i].dup)
            rc = publish_one(o, &it[i], err);
    return rc;
}

static int run(const pub_opts *o, pub_item *it, size_t n, wh_err *err)
{
    wh_lock lock = { -1 };
    char lp[4096];
    int rc = check_args(it, n, err);
    if (rc == 0 && !o->c.dry_run) {
        rc = wh_mkdirs(o->repo, err);
        if (rc == 0 && snprintf(lp, sizeof lp, "%s/" LOCK_NAME, o->repo) >=
            (int)sizeof lp)
            rc = wh_fail(err, WH_E_LIMIT, o->repo, -1, "folder name too long");
        if (rc == 0)
            rc = wh_lock_take(&lock, lp, PROG, o->c.wait, NULL, NULL, err);
    }
    if (rc == 0)
        rc = publish_all(o, it, n, err);
    wh_lock_release(&lock);
    return rc;
}

int cmd_publish(int argc, char **argv)
{
    pub_opts o = { .keys = json_array() };
    wh_keyring kr = { 0 };
    wh_cli cli;
    wh_err err;
    pub_item *it = NULL;
    int status = parse_args(&o, &cli, argc, argv), ready = status == 0;
    if (ready && (it = calloc((size_t)cli.argc, sizeof *it)) == NULL)
        ready = 0, status = WH_EXIT_ERROR;
    if (ready && ins_keys_load(o.c.home, o.keys, &kr, &err))
        ready = 0, status = wh_cli_report(PROG, &err);
    for (int i = 0; ready && i < cli.argc; i++) {      /* rule 1: all */
        it[i].path = cli.argv[i];
        if (check_item(&o, &kr, &it[i], &err)) {
            int s = wh_cli_report(PROG, &err);
            status = status ? status : s;
        }
    }
    if (ready && status == 0 && run(&o, it, (size_t)cli.argc, &err))
        status = wh_cli_report(PROG, &err);
    for (int i = 0; it && i < cli.argc; i++)
        if (it[i].f.data)
            wh_pkg_checked_free(&it[i].f);
    free(it);
    wh_keyring_free(&kr);
    json_decref(o.keys);
    ins_cmd_opts_free(&o.c);
    return status < 0 ? WH_EXIT_OK : status;
}

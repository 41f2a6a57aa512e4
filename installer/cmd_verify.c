/* cmd_verify.c - `wharf verify [NAME...]`: every installed file hashed
 * again and compared with installed.json (which recorded each file's
 * size, SHA-256 and mode when it was placed); files in a module's folder
 * that wharf did not place; and each module's dependencies present in a
 * version that meets them (after an `uninstall --force`).  Each problem
 * is a line on stderr; the status is 4 when there is any.
 *
 * Files are opened without following links and without blocking, so a
 * file replaced by a link or a FIFO is reported, never followed.
 *
 * Tests: tests/cli/t2017-wharf-verify.sh.
 */
#include "installer/installer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/semver.h"
#include "common/sha256.h"

static const wh_opt opts[] = {
    INS_OPT_JSON_ROW,
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf verify [NAME...] [options]";
static const char description[] =
    "Hash every installed file again and compare it with what was installed;\n"
    "report files changed, missing or added, and dependencies not met.";

#define PROG "wharf verify"

typedef struct verify_run {
    const ins_cmd_opts *o;
    json_t *problems;         /* [{"module", "path", "problem"}] */
    size_t  files;
} verify_run;

static void problem(verify_run *v, const char *module, const char *path,
                    const char *fmt, const char *arg)
{
    char why[512];
    wh_err e;
    snprintf(why, sizeof why, fmt, arg);
    json_array_append_new(v->problems, json_pack("{ssssss}", "module", module,
                          "path", path, "problem", why));
    if (!v->o->json) {
        char msg[WH_ERR_LINE_MAX];
        wh_fail(&e, WH_E_VERIFY, path, -1, "%s", why);
        fprintf(stderr, PROG ": %s\n", wh_err_format(&e, msg, sizeof msg));
    }
}

/* One file against its record. */
static void check_file(verify_run *v, const char *module, const char *path,
                       json_t *rec)
{
    uint8_t md[WH_SHA256_BYTES];
    char hex[WH_SHA256_HEX];
    struct stat st;
    wh_err e;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    v->files++;
    if (fd < 0) {
        problem(v, module, path, "%s", errno == ENOENT ? "missing" : errno == ELOOP
                ? "replaced by a symbolic link" : strerror(errno));
        return;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        problem(v, module, path, "%s", "not a regular file any more");
    else if ((json_int_t)st.st_size != json_integer_value(json_object_get(rec, "size")))
        problem(v, module, path, "%s", "size differs from the installed file's");
    else if (wh_sha256_fd(fd, path, md, NULL, &e))
        problem(v, module, path, "%s", e.reason);
    else if (wh_hex_encode(hex, md, sizeof md, 0),
             strcmp(hex, json_string_value(json_object_get(rec, "sha256"))))
        problem(v, module, path, "%s", "sha256 differs from the installed file's "
                "(changed since it was installed)");
    else if ((st.st_mode & 0777) != (mode_t)json_integer_value(json_object_get(rec, "mode")))
        problem(v, module, path, "%s", "mode differs from the installed file's");
    close(fd);
}

typedef struct extra_ctx {
    verify_run *v;
    const char *module;
    json_t     *files;
} extra_ctx;

static int extra_file(const char *path, const char *rel, const struct stat *st,
                      void *ctx)
{
    extra_ctx *x = ctx;
    if (!S_ISDIR(st->st_mode) && !json_object_get(x->files, rel))
        problem(x->v, x->module, path, "%s", "not placed by wharf");
    return 0;
}

/* Each dependency installed in a version that meets it. */
static void check_deps(verify_run *v, json_t *installed, const char *name,
                       json_t *m, const char *dir)
{
    const char *dep;
    json_t *req;
    char why[512];
    json_object_foreach(json_object_get(m, "dependencies"), dep, req) {
        const char *have = ins_installed_version(installed, dep);
        wh_semver_req *r = NULL;
        wh_semver sv;
        wh_err e;
        const char *rs = json_string_value(req);
        int ok = have && wh_semver_req_parse(&r, WH_SEMVER_CARGO, rs, strlen(rs), &e) == 0 &&
                 wh_semver_parse(&sv, have, strlen(have), &e) == 0 &&
                 wh_semver_req_matches(r, &sv);
        wh_semver_req_free(r);
        if (ok)
            continue;
        snprintf(why, sizeof why, "needs %s %s, but %s%s is installed", dep, rs,
                 have ? "version " : "no version", have ? have : "");
        problem(v, name, dir, "%s", why);
    }
}

static int verify_module(verify_run *v, const ins_home *h, json_t *installed,
                         const char *name, wh_err *err)
{
    json_t *m = json_object_get(installed, name), *rec;
    char rel[PATH_MAX], dir[PATH_MAX], path[PATH_MAX * 2];
    const char *file;
    if (!m)
        return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "'%s' is not installed", name);
    snprintf(rel, sizeof rel, INS_MODULES_DIR "/%s/%s", name,
             json_string_value(json_object_get(m, "version")));
    int rc = ins_home_path(h, rel, dir, sizeof dir, err);
    struct stat st;
    if (rc == 0 && (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
        problem(v, name, dir, "%s", "the module's folder is missing");
        return 0;
    }
    json_object_foreach(rc == 0 ? json_object_get(m, "files") : NULL, file, rec) {
        snprintf(path, sizeof path, "%s/%s", dir, file);
        check_file(v, name, path, rec);
    }
    extra_ctx x = { v, name, json_object_get(m, "files") };
    wh_err e;
    if (rc == 0 && wh_walk(dir, extra_file, &x, &e))
        problem(v, name, dir, "%s", e.reason);
    if (rc == 0)
        check_deps(v, installed, name, m, dir);
    return rc;
}

static int run(const ins_cmd_opts *o, const ins_session *s, int argc, char **argv,
               wh_err *err)
{
    verify_run v = { o, json_array(), 0 };
    const char *name;
    json_t *m;
    int rc = 0;
    for (int i = 0; rc == 0 && i < argc; i++)
        rc = verify_module(&v, &s->h, s->installed, argv[i], err);
    json_object_foreach(rc == 0 && argc == 0 ? s->installed : NULL, name, m)
        if (rc == 0)
            rc = verify_module(&v, &s->h, s->installed, name, err);
    size_t nmod = argc ? (size_t)argc : json_object_size(s->installed);
    size_t bad = json_array_size(v.problems);
    if (rc == 0 && o->json) {
        json_t *out = json_pack("{sIsIsO}", "modules", (json_int_t)nmod,
                                "files", (json_int_t)v.files, "problems", v.problems);
        if (out)
            wh_json_print(out, err);
        json_decref(out);
    } else if (rc == 0 && !o->quiet && bad == 0)
        printf("verified %zu module%s, %zu file%s\n", nmod, nmod == 1 ? "" : "s",
               v.files, v.files == 1 ? "" : "s");
    if (rc == 0 && bad)
        rc = wh_fail(err, WH_E_VERIFY, NULL, -1, "%zu problem%s found", bad,
                     bad == 1 ? "" : "s");
    json_decref(v.problems);
    return rc;
}

int cmd_verify(int argc, char **argv)
{
    ins_cmd_opts o = { 0 };
    wh_cli cli;
    int c = ins_cmd_parse(&cli, PROG, argc, argv, opts, usage, description, -1, &o);
    if (c)
        return c < 0 ? WH_EXIT_OK : c;
    ins_session s;
    ins_session_opts so = { .prog = PROG, .home = o.home, .quiet = o.quiet };
    wh_err err;
    wh_err_clear(&err);
    int rc = ins_session_open(&s, &so, &err);
    if (rc == 0)
        rc = run(&o, &s, cli.argc, cli.argv, &err);
    if (rc)
        rc = wh_cli_report(PROG, &err);
    ins_session_close(&s);
    return rc;
}

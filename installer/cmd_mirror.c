/* cmd_mirror.c - `wharf mirror SOURCE DIR [SPEC...]`: copy a source into
 * a folder that is itself a site, for a machine without the network (a
 * USB stick, a LAN share, a local web server).
 *
 * WHAT IS COPIED.  The source's signed index, unchanged, from the
 * verified copy `wharf update` keeps (ROOT/indexes/SOURCE, loaded again
 * through repo.c with the source's pinned or trusted key, so a copy
 * changed on disk is refused), and packages: every one the index lists,
 * or, with SPECs, what they need: every version matching each SPEC, then,
 * transitively, every version matching each dependency requirement of a
 * version already taken.  That is a superset of anything a resolver on
 * the other machine may choose, whichever versions it settles on.  The
 * index still lists everything; installing a module outside the set from
 * DIR fails with "not found" for its file.  Packages come through
 * ins_pkg_get (pkgcache.c): from the cache, else the first of the
 * source's locations that serves a copy matching the signed size and
 * SHA-256.
 *
 * THE ORDER OF WRITES, as wharf-index build's (docs/index-format.md), so
 * that a mirror killed at any write is a valid site, the old one or the
 * new one, and running it again completes it:
 *   1. DIR/.wharf-lock (a second mirror or build into DIR waits or stops);
 *      temporaries a killed run left are removed;
 *   2. each package missing or damaged in DIR: its .minisig, then the
 *      package (a file whose size and SHA-256 match is left alone);
 *   3. keys/repo.pub, by-hash/HEX.json.gz, by-hash/HEX.json,
 *      by-hash/HEX.json.minisig;
 *   4. index.json.minisig: THE COMMIT.  Only when every package of step
 *      2 is in place: a failure there leaves DIR's previous index;
 *   5. the copies index.json and index.json.gz (before the commit when
 *      DIR had no index yet, since nothing reads them without one; after
 *      it otherwise, so they lag by at most one generation, which
 *      `wharf-index verify` accepts with a note);
 *   6. prunes: by-hash files of generations other than this one and
 *      DIR's previous, packages the index no longer lists.
 * A source with only the sharded index (docs/index-format.md) is
 * mirrored as one: the module files its copy lacks are fetched first
 * (load_shards), packages are chosen from the whole index as above, and
 * step 3 copies the bins, the module files and the top level, step 4
 * renames snapshot.json.minisig.
 * Every file is written atomically, and only when its bytes differ, so a
 * run with nothing new writes nothing.  DIR must be new, empty, or a site
 * of the same repository key at a serial no higher than the source's (a
 * mirror never rolls a site back).
 *
 * Tests: tests/cli/t2007-wharf-mirror.sh, t2008-wharf-fetch.sh,
 * t1110-wharf-index-sharded.sh.
 */
#include "installer/installer.h"
#include "installer/shard_src.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/fs.h"
#include "common/gzip.h"
#include "common/json.h"
#include "installer/pkgcache.h"
#include "installer/spec.h"

enum { OPT_DRY_RUN = 1300, OPT_OFFLINE, OPT_TIMEOUT, OPT_ALLOW_EXPIRED };

static const wh_opt opts[] = {
    INS_OPTS_COMMON,
    { OPT_DRY_RUN, "dry-run", NULL, "list what would be copied; change nothing" },
    { OPT_OFFLINE, "offline", NULL, "use only the cache and folder locations, no http(s)" },
    { OPT_TIMEOUT, "timeout", "SECONDS", "give up a download slower than 1 KiB/s for this long (default: 30)" },
    { OPT_ALLOW_EXPIRED, "allow-expired", NULL, "mirror an expired index (readers refuse it too)" },
    { INS_OPT_JSON, "json", NULL, "print a JSON summary" },
    { 'q', "quiet", NULL, "print nothing but errors and warnings" },
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf mirror SOURCE DIR [SPEC...] [options]";
static const char description[] =
    "Write DIR as a site that is itself a valid source: SOURCE's signed index\n"
    "as `wharf update` verified it, unchanged, and its packages, each checked\n"
    "against the index. With SPECs (NAME, NAME@REQ), only what they need:\n"
    "every version matching a SPEC and, transitively, every version matching\n"
    "a dependency of one taken, a superset of what any resolver may pick\n"
    "(REQ in npm syntax, or Cargo's when it holds a ','; hello@1.2.3 is\n"
    "exactly 1.2.3).\n"
    "Packages come from the cache or the source's locations, tried in order.\n"
    "Packages are written first and index.json.minisig last, so an\n"
    "interrupted mirror is a valid site; running it again copies only what\n"
    "is missing.";

#define PROG "wharf mirror"

typedef struct mirror_opts {
    const char *home, *source, *dir;
    int wait, quiet, json, dry_run, offline, allow_expired, timeout;
    int nspecs;
    ins_spec *specs;
} mirror_opts;

/* --- the command line ------------------------------------------------------- */

static int parse_timeout(wh_cli *cli, mirror_opts *o)
{
    long long v = wh_cli_number(cli->arg, 1, 3600);
    if (v < 0) {
        snprintf(cli->msg, sizeof cli->msg, "--timeout '%s' is not a number of "
                 "seconds from 1 to 3600", cli->arg);
        return -1;
    }
    o->timeout = (int)v;
    return 0;
}

/* The operands: SOURCE, DIR, then SPECs (module names, not files). */
static int parse_specs(mirror_opts *o, wh_cli *cli)
{
    wh_err err;
    if (cli->argc < 2) {
        snprintf(cli->msg, sizeof cli->msg, cli->argc ? "no folder to mirror into"
                 : "no source to mirror");
        return wh_cli_usage_error(cli);
    }
    o->source = cli->argv[0];
    o->dir = cli->argv[1];
    o->nspecs = cli->argc - 2;
    o->specs = calloc((size_t)o->nspecs + 1, sizeof *o->specs);
    if (!o->specs) {
        wh_fail(&err, WH_E_NOMEM, NULL, -1, NULL);
        return wh_cli_report(PROG, &err);
    }
    for (int i = 0; i < o->nspecs; i++) {
        if (ins_spec_parse(cli->argv[i + 2], &o->specs[i], &err))
            return wh_cli_report(PROG, &err);
        if (o->specs[i].kind == INS_SPEC_FILE) {
            snprintf(cli->msg, sizeof cli->msg, "'%s' is a package file; mirror "
                     "takes module names (NAME or NAME@REQ)", cli->argv[i + 2]);
            return wh_cli_usage_error(cli);
        }
    }
    return 0;
}

static int parse_args(mirror_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->timeout = 30;
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int c;
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        switch (c) {
        case INS_OPT_HOME: o->home = cli.arg; break;
        case INS_OPT_WAIT: o->wait = 1; break;
        case INS_OPT_JSON: o->json = 1; break;
        case OPT_DRY_RUN: o->dry_run = 1; break;
        case OPT_OFFLINE: o->offline = 1; break;
        case OPT_ALLOW_EXPIRED: o->allow_expired = 1; break;
        case OPT_TIMEOUT:
            if (parse_timeout(&cli, o))
                return wh_cli_usage_error(&cli);
            break;
        case 'q': o->quiet = 1; break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    return parse_specs(o, &cli);
}

/* --- the state of one run ----------------------------------------------------- */

typedef struct mirror {
    const mirror_opts *o;
    ins_home        h;
    wh_keyring      kr;
    json_t         *sources, *seen, *src;
    wh_index        ix;
    wh_minisign_sig sig;
    wh_minisign_pubkey pk;
    wh_index_pkg   *v;            /* every version record of the index */
    size_t          n;
    unsigned char  *want;         /* per record: to be in DIR */
    json_t         *first;        /* module name -> index of its first record */
    json_t         *copied;       /* "NAME@VERSION" copied (or to copy) */
    size_t          wanted, present, failed;
    char            old_hash[WH_SHA256_HEX];  /* DIR's index before, "" if none */
    char            copy[PATH_MAX];           /* the source's copy */
    wh_snap        *snap;         /* its top level, when sharded */
    wh_lock         lock;         /* DIR/.wharf-lock */
} mirror;

static void warn_cb(void *ctx, const wh_err *e)
{
    char msg[WH_ERR_LINE_MAX];
    (void)ctx;
    fprintf(stderr, PROG ": warning: %s\n", wh_err_format(e, msg, sizeof msg));
}

/* A sharded copy: every module file it lacks fetched from the source's
 * locations (as update --all does), then the whole index read from it,
 * so that the packages are chosen as for index.json.  m->snap keeps the
 * top level, whose files write_shards copies. */
static int load_shards(mirror *m, wh_err *err)
{
    ins_shard_read r = { m->ix.snap, m->copy, m->o->dry_run ? NULL : m->copy,
                         json_object_get(m->src, "locations"), m->o->timeout,
                         m->o->offline };
    wh_snap *s = m->ix.snap;
    int rc = 0;
    for (size_t b = 0; rc == 0 && b < s->nbins; b++) {
        json_t *mods, *h;
        const char *name;
        rc = wh_snap_bin(s, m->copy, b, &mods, err);
        json_object_foreach(rc == 0 ? mods : NULL, name, h) {
            json_t *v = NULL;
            if (rc == 0)
                rc = ins_shard_module(&r, name, &v, err);
            json_decref(v);
        }
    }
    if (rc)
        return rc;
    m->snap = s;                  /* ours now: the index below is whole */
    m->ix.snap = NULL;
    wh_index_free(&m->ix);
    return wh_snap_index_load(&m->ix, m->copy, &m->pk, err);
}

/* The source's verified copy, and the key that signed it. */
static int load_index(mirror *m, wh_err *err)
{
    char dir[PATH_MAX], rel[PATH_MAX];
    ins_fetch_opts fo = { .now = (int64_t)time(NULL),
                          .allow_expired = m->o->allow_expired,
                          .timeout = m->o->timeout };
    if (!(m->src = json_object_get(m->sources, m->o->source)))
        return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "no source '%s'", m->o->source);
    snprintf(rel, sizeof rel, INS_INDEXES_DIR "/%s", m->o->source);
    int rc = ins_home_path(&m->h, rel, dir, sizeof dir, err);
    if (rc == 0)
        rc = ins_repo_fetch_one(dir, m->src, &m->kr, m->seen, &fo, &m->ix,
                                &m->sig, err);
    if (rc == WH_E_NOTFOUND)
        return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "source '%s' has no index yet "
                       "(wharf update %s)", m->o->source, m->o->source);
    if (rc)
        return rc;
    const char *b64 = json_string_value(json_object_get(m->src, "key"));
    const wh_minisign_pubkey *t = wh_keyring_find(&m->kr, m->sig.key_id, NULL);
    if (b64)
        rc = wh_minisign_pubkey_from_base64(&m->pk, b64, strlen(b64), err);
    else
        m->pk = *t;      /* ins_repo_fetch_one found it: it is there */
    snprintf(m->copy, sizeof m->copy, "%s", dir);
    return rc == 0 && m->ix.snap ? load_shards(m, err) : rc;
}

/* --- which packages --------------------------------------------------------------- */

/* Map each module to its first record (the records of a module are
 * consecutive: wh_index_packages goes module by module). */
static int index_modules(mirror *m, wh_err *err)
{
    int rc = wh_index_packages(&m->ix, &m->v, &m->n, err);
    if (rc == 0 && (!(m->want = calloc(m->n + 1, 1)) || !(m->first = json_object())))
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    for (size_t i = 0; rc == 0 && i < m->n; i++)
        if (!json_object_get(m->first, m->v[i].module) &&
            json_object_set_new(m->first, m->v[i].module, json_integer((json_int_t)i)))
            rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    return rc;
}

/* Take every version of module that s (a SPEC, or a dependency's
 * requirement compiled into one) matches; returns how many match. */
static size_t take(mirror *m, const char *module, const ins_spec *s)
{
    json_t *f = json_object_get(m->first, module);
    size_t k = 0;
    for (size_t i = f ? (size_t)json_integer_value(f) : m->n;
         i < m->n && strcmp(m->v[i].module, module) == 0; i++)
        if (ins_spec_matches(s, module, m->v[i].version)) {
            if (!m->want[i])
                m->want[i] = 1;
            k++;
        }
    return k;
}

/* Take what record i's dependencies match (Cargo syntax, as the index
 * has them). */
static int take_deps(mirror *m, size_t i, wh_err *err)
{
    const char *dep;
    json_t *req;
    json_object_foreach(json_object_get(m->v[i].record, "dependencies"), dep, req) {
        ins_spec s = { .kind = INS_SPEC_MODULE, .arg = dep };
        const char *r = json_string_value(req);
        snprintf(s.name, sizeof s.name, "%s", dep);
        if (!r || wh_semver_req_parse(&s.req, WH_SEMVER_CARGO, r, strlen(r), err))
            return r ? wh_err_prefix(err, "%s@%s: dependency '%s'", m->v[i].module,
                                     m->v[i].version, dep)
                     : wh_fail(err, WH_E_FORMAT, NULL, -1, "%s@%s: dependency "
                               "'%s' is not a string", m->v[i].module,
                               m->v[i].version, dep);
        if (take(m, dep, &s) == 0 && !m->o->quiet)
            fprintf(stderr, PROG ": warning: %s@%s depends on %s %s, which source "
                    "'%s' does not have\n", m->v[i].module, m->v[i].version, dep,
                    r, m->o->source);
        ins_spec_free(&s);
    }
    return 0;
}

/* Everything, or the SPECs' closure over dependencies.  A SPEC that
 * matches nothing is an error (before anything is written). */
static int select_packages(mirror *m, wh_err *err)
{
    int rc = 0;
    if (m->o->nspecs == 0)
        memset(m->want, 1, m->n);
    for (int s = 0; s < m->o->nspecs; s++) {
        const ins_spec *sp = &m->o->specs[s];
        if (take(m, sp->name, sp) > 0)
            continue;
        if (!json_object_get(m->first, sp->name))
            return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "no module '%s' in "
                           "source '%s'", sp->name, m->o->source);
        return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "no version of '%s' in "
                       "source '%s' matches '%s'", sp->name, m->o->source,
                       sp->req_text ? sp->req_text : "*");
    }
    /* want: 1 taken, 2 taken and its dependencies too; until none is 1. */
    for (int more = m->o->nspecs > 0; rc == 0 && more;) {
        more = 0;
        for (size_t i = 0; rc == 0 && i < m->n; i++)
            if (m->want[i] == 1) {
                m->want[i] = 2;
                more = 1;
                rc = take_deps(m, i, err);
            }
    }
    for (size_t i = 0; i < m->n; i++)
        m->wanted += m->want[i] != 0;
    return rc;
}

/* --- DIR ------------------------------------------------------------------------ */

/* DIR/rel into out. */
static int dir_path(const mirror *m, const char *rel, char *out, size_t n,
                    wh_err *err)
{
    return wh_path_join(out, n, m->o->dir, rel, strlen(rel), err);
}

/* What may be in a folder that holds no site yet: what an interrupted
 * mirror (or build) leaves, and hidden files. */
static int leftover_name(const char *name)
{
    static const char *const ok[] = { "packages", WH_INDEX_BYHASH, "keys",
                                      WH_INDEX_JSON, WH_INDEX_GZ, WH_SNAP_DIR,
                                      WH_SNAP_JSON, NULL };
    for (int i = 0; ok[i]; i++)
        if (!strcmp(name, ok[i]))
            return 1;
    return name[0] == '.';
}

/* A DIR without a signature must be new, empty, or an interrupted
 * mirror: never a folder of someone's files. */
static int check_unsigned_dir(const mirror *m, wh_err *err)
{
    DIR *d = opendir(m->o->dir);
    struct dirent *de;
    int rc = 0;
    if (!d)
        return errno == ENOENT ? 0 : wh_fail_errno(err, errno, m->o->dir,
                                                   "cannot open");
    while (rc == 0 && (de = readdir(d)))
        if (!leftover_name(de->d_name))
            rc = wh_fail(err, WH_E_EXISTS, m->o->dir, -1, "not empty and not a "
                         "wharf site ('%s'): mirror into a new or empty folder",
                         de->d_name);
    closedir(d);
    return rc;
}

/* DIR's current index, if any: by the same key, not newer than ours.
 * Remembers its hash (the generation to keep one more run). */
static int check_dir(mirror *m, wh_err *err)
{
    char path[PATH_MAX], id[17], want[17];
    wh_minisign_sig s;
    wh_index_head head;
    m->old_hash[0] = '\0';
    int rc = dir_path(m, m->snap ? WH_SNAP_SIG : WH_INDEX_SIG, path, sizeof path, err);
    if (rc == 0)
        rc = wh_minisign_sig_load_flags(&s, path, WH_MINISIGN_NOFOLLOW, err);
    if (rc == WH_E_NOTFOUND)
        return check_unsigned_dir(m, err);
    if (rc)
        return rc;
    wh_minisign_keyid_hex(s.key_id, id);
    wh_minisign_keyid_hex(m->pk.key_id, want);
    if (strcmp(id, want) != 0)
        return wh_fail(err, WH_E_EXISTS, path, -1, "a site signed by key %s, not "
                       "by %s, the key of source '%s': mirror into another folder",
                       id, want, m->o->source);
    if ((rc = m->snap ? wh_snap_head_check(&s, &m->pk, path, &head, err)
                      : wh_index_head_check(&s, &m->pk, path, &head, err)))
        return rc;
    if (head.serial > m->ix.head.serial)
        return wh_fail(err, WH_E_VERIFY, path, -1, "serial %lld, newer than the "
                       "%lld of source '%s' (wharf update %s first)",
                       (long long)head.serial, (long long)m->ix.head.serial,
                       m->o->source, m->o->source);
    memcpy(m->old_hash, head.sha256, sizeof m->old_hash);
    return 0;
}

/* Create DIR, take its lock, remove what a killed run left. */
static int open_dir(mirror *m, wh_err *err)
{
    static const char *const sub[] = { "", "packages", WH_INDEX_BYHASH, "keys",
                                       WH_SNAP_DIR "/bins", WH_SNAP_DIR "/snapshot",
                                       NULL };
    char path[PATH_MAX];
    size_t k = 0;
    int rc = wh_mkdirs(m->o->dir, err);
    if (rc == 0)
        rc = dir_path(m, ".wharf-lock", path, sizeof path, err);
    if (rc == 0)
        rc = wh_lock_take(&m->lock, path, PROG, m->o->wait, NULL, NULL, err);
    for (int i = 0; rc == 0 && sub[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", m->o->dir, sub[i]);
        rc = wh_clean_temporaries(path, &k, err);
    }
    return rc;
}

/* Replace DIR/rel with data, unless it already holds exactly that. */
static int put(const mirror *m, const char *rel, const void *data, size_t len,
               wh_err *err)
{
    char path[PATH_MAX], *old;
    size_t olen;
    int rc = dir_path(m, rel, path, sizeof path, err);
    if (rc)
        return rc;
    if (wh_file_read_stat(path, len, WH_READ_NOFOLLOW, &old, &olen, NULL, NULL) == 0) {
        int same = olen == len && memcmp(old, data, len) == 0;
        free(old);
        if (same)
            return 0;
    }
    return wh_file_write_atomic(path, data, len, 0644, err);
}

/* --- packages ------------------------------------------------------------------------ */

/* Copy record i into DIR: its .minisig first, so a package in place
 * always has the signature the index promises beside it. */
static int copy_one(mirror *m, const wh_index_pkg *p, wh_err *err)
{
    char label[200], rel[PATH_MAX], dir[PATH_MAX], line[WH_ERR_LINE_MAX + 8192];
    ins_pkg_got g;
    snprintf(label, sizeof label, "%s@%s", p->module, p->version);
    ins_pkg_opts po = { m->o->offline, m->o->timeout,
                        m->o->quiet || m->o->json ? NULL : label, 1, warn_cb, NULL };
    int rc = ins_pkg_get(&m->h, json_object_get(m->src, "locations"), p, &po, &g, err);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", ins_pkg_failure(err, &g, line, sizeof line));
        ins_pkg_got_free(&g);
        return rc;
    }
    snprintf(rel, sizeof rel, "%s.minisig", p->path);
    if ((rc = dir_path(m, p->path, dir, sizeof dir, err)) == 0) {
        *strrchr(dir, '/') = '\0';
        rc = wh_mkdirs(dir, err);
    }
    if (rc == 0 && g.sig)
        rc = put(m, rel, g.sig, g.sig_len, err);
    if (rc == 0)
        rc = put(m, p->path, g.data, g.len, err);
    ins_pkg_got_free(&g);
    if (rc)
        wh_cli_report(PROG, err);
    return rc;
}

/* Step 2: each wanted package not already good in DIR.  Goes on past a
 * failure (each is reported), returning the first one's status. */
static int copy_packages(mirror *m)
{
    int status = WH_EXIT_OK;
    wh_err err;
    for (size_t i = 0; i < m->n; i++) {
        const wh_index_pkg *p = &m->v[i];
        if (!m->want[i])
            continue;
        if (wh_index_pkg_check(p, m->o->dir, NULL) == 0) {
            m->present++;
            continue;
        }
        json_array_append_new(m->copied, json_sprintf("%s@%s", p->module, p->version));
        if (m->o->dry_run) {
            if (!m->o->quiet && !m->o->json)
                printf("would copy %s@%s (%s, %llu bytes)\n", p->module, p->version,
                       p->path, (unsigned long long)p->size);
            continue;
        }
        if (copy_one(m, p, &err) == 0)
            continue;
        m->failed++;
        if (status == WH_EXIT_OK)
            status = wh_err_exit(err.code);
    }
    return status;
}

/* --- the index ------------------------------------------------------------------------- */

/* index.json and index.json.gz, the copies for people and simple tools. */
static int put_copies(const mirror *m, const void *gz, size_t gzlen, wh_err *err)
{
    int rc = put(m, WH_INDEX_GZ, gz, gzlen, err);
    return rc ? rc : put(m, WH_INDEX_JSON, m->ix.bytes, m->ix.len, err);
}

/* Steps 3 to 5. */
static int write_index(mirror *m, wh_err *err)
{
    char rel[128], pub[WH_MINISIGN_PUBKEY_TEXT_MAX], sig[WH_MINISIGN_SIG_TEXT_MAX],
         path[PATH_MAX];
    unsigned char *gz = NULL;
    size_t gzlen = 0;
    int first = m->old_hash[0] == '\0';
    int rc = wh_minisign_pubkey_format(&m->pk, NULL, pub, err);
    if (rc == 0)
        rc = wh_minisign_sig_format(&m->sig, sig, err);
    if (rc == 0)
        rc = wh_gzip(m->ix.bytes, m->ix.len, &gz, &gzlen, err);
    const char *const dirs[] = { "keys", WH_INDEX_BYHASH, NULL };
    for (int i = 0; rc == 0 && dirs[i]; i++)
        if ((rc = dir_path(m, dirs[i], path, sizeof path, err)) == 0)
            rc = wh_mkdirs(path, err);
    if (rc == 0)
        rc = put(m, "keys/repo.pub", pub, strlen(pub), err);
    const struct { const char *sfx; const void *data; size_t len; } bh[] = {
        { ".gz", gz, gzlen }, { "", m->ix.bytes, m->ix.len },
        { ".minisig", sig, strlen(sig) },
    };
    for (size_t i = 0; rc == 0 && i < sizeof bh / sizeof bh[0]; i++) {
        wh_index_byhash(rel, sizeof rel, m->ix.head.sha256, bh[i].sfx);
        rc = put(m, rel, bh[i].data, bh[i].len, err);
    }
    if (rc == 0 && first)
        rc = put_copies(m, gz, gzlen, err);
    if (rc == 0)
        rc = put(m, WH_INDEX_SIG, sig, strlen(sig), err);     /* the commit */
    if (rc == 0 && !first)
        rc = put_copies(m, gz, gzlen, err);
    free(gz);
    return rc;
}

/* A sharded index: the bins and module files (from the copy, each as it
 * is named), then keys/repo.pub and the top level, then the signature:
 * the commit, then the copy snapshot.json.  Old files are left (a
 * reader of DIR holding the previous top level finds them). */
static int copy_doc(mirror *m, const char *rel, wh_err *err)
{
    char path[PATH_MAX + 200], dir[PATH_MAX], *data;
    size_t len;
    snprintf(path, sizeof path, "%s/%s", m->copy, rel);
    int rc = wh_file_read_stat(path, WH_MODFILE_MAX, WH_READ_NOFOLLOW, &data, &len,
                               NULL, err);
    if (rc == 0 && (rc = dir_path(m, rel, dir, sizeof dir, err)) == 0) {
        *strrchr(dir, '/') = '\0';
        rc = wh_mkdirs(dir, err);
    }
    if (rc == 0)
        rc = put(m, rel, data, len, err);
    free(data);
    return rc;
}

static int write_shards(mirror *m, wh_err *err)
{
    wh_snap *s = m->snap;
    char rel[160], pub[WH_MINISIGN_PUBKEY_TEXT_MAX], sig[WH_MINISIGN_SIG_TEXT_MAX],
         path[PATH_MAX];
    int rc = 0;
    for (size_t b = 0; rc == 0 && b < s->nbins; b++) {
        json_t *mods, *h;
        const char *name;
        if (!*s->bins[b])
            continue;
        wh_snap_path(rel, sizeof rel, 'b', s->bins[b], "");
        if ((rc = copy_doc(m, rel, err)) == 0)
            rc = wh_snap_bin(s, m->copy, b, &mods, err);
        json_object_foreach(rc == 0 ? mods : NULL, name, h) {
            wh_snap_path(rel, sizeof rel, 'm', json_string_value(h), "");
            if (rc == 0)
                rc = copy_doc(m, rel, err);
        }
        json_decref(s->bin_cache[b]);
        s->bin_cache[b] = NULL;
    }
    if (rc == 0 && (rc = dir_path(m, "keys", path, sizeof path, err)) == 0 &&
        (rc = wh_mkdirs(path, err)) == 0 &&
        (rc = wh_minisign_pubkey_format(&m->pk, NULL, pub, err)) == 0)
        rc = put(m, "keys/repo.pub", pub, strlen(pub), err);
    wh_snap_path(rel, sizeof rel, 's', s->head.sha256, "");
    if (rc == 0)
        rc = copy_doc(m, rel, err);
    if (rc == 0)
        rc = wh_minisign_sig_format(&m->sig, sig, err);
    if (rc == 0)
        rc = put(m, WH_SNAP_SIG, sig, strlen(sig), err);       /* the commit */
    if (rc == 0)
        rc = put(m, WH_SNAP_JSON, s->bytes, s->len, err);
    return rc;
}

/* --- pruning ------------------------------------------------------------------------------ */

/* Remove the regular files of DIR/sub for which keep(name) is 0. */
static int prune(const mirror *m, const char *sub,
                 int (*keep)(const mirror *, const char *), wh_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct dirent *de;
    struct stat st;
    int rc = dir_path(m, sub, dir, sizeof dir, err);
    DIR *d = rc ? NULL : opendir(dir);
    while (d && rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.' || keep(m, de->d_name) ||
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path ||
            lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (wh_fs_unlink(path) < 0 && errno != ENOENT)
            rc = wh_fail_errno(err, errno, path, "cannot remove");
    }
    if (d)
        closedir(d);
    return rc;
}

/* by-hash: this generation's files and DIR's previous one's. */
static int keep_byhash(const mirror *m, const char *name)
{
    return !strncmp(name, m->ix.head.sha256, 64) ||
           (m->old_hash[0] && !strncmp(name, m->old_hash, 64));
}

/* packages: what the index lists (wanted or not: a SPEC run never
 * removes what an earlier run copied), and their signatures. */
static int keep_package(const mirror *m, const char *name)
{
    char rel[PATH_MAX];
    size_t k = strlen(name);
    snprintf(rel, sizeof rel, "packages/%.*s", (int)(k > 8 && !strcmp(name + k - 8,
             ".minisig") ? k - 8 : k), name);
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->v[i].path, rel))
            return 1;
    return 0;
}

/* --- the run -------------------------------------------------------------------------------- */

static void report(const mirror *m)
{
    const mirror_opts *o = m->o;
    size_t k = json_array_size(m->copied);
    if (o->json) {
        json_t *j = json_pack("{sssssIsIsIsIsOsb}", "source", o->source,
            "dir", o->dir, "serial", (json_int_t)m->ix.head.serial,
            "packages", (json_int_t)m->n, "wanted", (json_int_t)m->wanted,
            "present", (json_int_t)m->present, "copied", m->copied,
            "dry_run", o->dry_run);
        wh_json_print(j, NULL);
        json_decref(j);
    } else if (!o->quiet)
        printf("%s: source '%s', serial %lld: %zu of %zu package%s, %zu %s, "
               "%zu already there\n", o->dir, o->source,
               (long long)m->ix.head.serial, m->wanted, m->n, m->n == 1 ? "" : "s",
               k, o->dry_run ? "to copy" : "copied", m->present);
}

/* The index and what to copy, DIR checked (and, unless a dry run, taken). */
static int prepare(mirror *m, wh_err *err)
{
    int rc = ins_home_find(&m->h, m->o->home, err);
    if (rc == 0 && !m->o->dry_run)
        rc = ins_home_lock(&m->h, PROG, m->o->wait, m->o->quiet, err);
    if (rc == 0)
        rc = ins_trust_load(&m->h, &m->kr, err);
    if (rc == 0)
        rc = ins_sources_load(&m->h, &m->sources, err);
    if (rc == 0)
        rc = ins_seen_load(&m->h, &m->seen, err);
    if (rc == 0)
        rc = load_index(m, err);
    if (rc == 0)
        rc = index_modules(m, err);
    if (rc == 0)
        rc = select_packages(m, err);
    /* Checked before DIR is touched, and again once it is locked. */
    if (rc == 0)
        rc = check_dir(m, err);
    if (rc == 0 && !m->o->dry_run && (rc = open_dir(m, err)) == 0)
        rc = check_dir(m, err);
    return rc;
}

static int run(mirror *m)
{
    wh_err err;
    wh_err_clear(&err);
    if (prepare(m, &err))
        return wh_cli_report(PROG, &err);
    int status = copy_packages(m);
    if (status != WH_EXIT_OK) {
        fprintf(stderr, PROG ": %s: index not updated: %zu package%s could not "
                "be copied\n", m->o->dir, m->failed, m->failed == 1 ? "" : "s");
        return status;
    }
    if (m->o->dry_run) {
        report(m);
        return WH_EXIT_OK;
    }
    if (m->snap ? write_shards(m, &err)
                : write_index(m, &err) || prune(m, WH_INDEX_BYHASH, keep_byhash, &err))
        return wh_cli_report(PROG, &err);
    if (prune(m, "packages", keep_package, &err))
        return wh_cli_report(PROG, &err);
    report(m);
    return WH_EXIT_OK;
}

int cmd_mirror(int argc, char **argv)
{
    mirror_opts o;
    mirror m;
    int rc = parse_args(&o, argc, argv);
    memset(&m, 0, sizeof m);
    m.o = &o;
    m.lock.fd = -1;
    m.h.lock.fd = -1;
    if (rc == 0 && !(m.copied = json_array()))
        rc = WH_EXIT_ERROR;
    if (rc == 0)
        rc = run(&m);
    wh_lock_release(&m.lock);
    ins_home_unlock(&m.h);
    wh_keyring_free(&m.kr);
    json_decref(m.sources);
    json_decref(m.seen);
    json_decref(m.first);
    json_decref(m.copied);
    wh_index_free(&m.ix);
    if (m.snap) {
        wh_snap_free(m.snap);
        free(m.snap);
    }
    free(m.v);
    free(m.want);
    for (int i = 0; i < o.nspecs && o.specs; i++)
        ins_spec_free(&o.specs[i]);
    free(o.specs);
    return rc < 0 ? WH_EXIT_OK : rc;
}

/* shard_write.c - write a site's sharded index (common/shard.h; the
 * format and the retention of old files are docs/index-format.md, "The
 * sharded index").
 *
 * ORDER OF WRITES, after the packages are placed and synced:
 *   1. every module file and bin that is not there yet, by name, without
 *      an fsync each (a file named by its hash never changes: one that is
 *      there is left alone, which is what makes a rebuild write only what
 *      changed), then one syncfs;
 *   2. the list of retired files (.wharf-retired, below);
 *   3. index/snapshot/HEX.json, fsynced;
 *   4. snapshot.json.minisig renamed into place: the commit;
 *   5. the copy snapshot.json; then old files are removed.
 * Killed anywhere, a reader finds the old snapshot whole (nothing it
 * names is removed before 5) or the new one whole.
 *
 * RETENTION.  A file the new snapshot no longer names (a module file a
 * new version replaced, a bin, the previous top level) is *retired*: its
 * path, the serial that retired it and the time go to SITE/.wharf-retired
 * (not served), and it is removed by the first build with a higher serial
 * that runs --retain seconds (default a day) or more later.  So a reader
 * that took a top level just before a commit finds every file it names
 * for that long: the same promise as apt's by-hash generations.  A retired
 * file named again (a module put back as it was) leaves the list; so does
 * what a killed build listed (its serial is not below the new build's:
 * it never committed), and the next build retires what is really gone.
 *
 * Tests: tests/cli/t1110-wharf-index-sharded.sh.
 */
#define _GNU_SOURCE 1
#include "indexer/indexer.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/shard.h"

#define RETIRED_NAME ".wharf-retired"
#define RETIRED_MAX  ((size_t)256 << 20)

/* One retired file. */
typedef struct retired {
    int64_t serial, time;
    char   *path;            /* site-relative */
} retired;

typedef struct writer {
    const char *site;
    char        tmpdir[PATH_MAX];
    unsigned    bits;
    json_t    **bins;        /* name -> hex of each new bin */
    char      (*bin_hex)[WH_SHA256_HEX];
    retired    *ret;
    size_t      nret, cap;
    char      **named;       /* paths the new snapshot names anew, sorted */
    size_t      nnamed, named_cap;
    ix_shard_out *o;
    unsigned char made[256]; /* index/modules/HE made */
    unsigned char *dirty;    /* bins to write; the others are prev's */
    size_t      ret_packages; /* retired entries under packages/ */
    wh_snap    *prev;        /* the previous top level, or NULL */
} writer;

/* --- the retired list ----------------------------------------------------- */

static int ret_add(writer *w, int64_t serial, int64_t t, const char *path)
{
    if (w->nret == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        retired *v = realloc(w->ret, cap * sizeof *v);
        if (!v)
            return -1;
        w->ret = v;
        w->cap = cap;
    }
    if (!(w->ret[w->nret].path = strdup(path)))
        return -1;
    w->ret[w->nret].serial = serial;
    w->ret[w->nret++].time = t;
    return 0;
}

/* Lines "SERIAL TIME PATH"; one that does not parse is dropped (the file
 * is then left in place: a leak, never a hole). */
static int ret_load(writer *w, int64_t serial, wh_err *err)
{
    char *path = ix_join(w->site, "/", RETIRED_NAME), *data = NULL;
    size_t len;
    int rc = path ? wh_file_read_stat(path, RETIRED_MAX, WH_READ_NOFOLLOW, &data,
                                      &len, NULL, err)
                  : wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
    free(path);
    if (rc == WH_E_NOTFOUND)
        return 0;
    for (char *line = data, *nl; rc == 0 && line && *line; line = nl) {
        long long s, t;
        int n = 0;
        if ((nl = strchr(line, '\n')))
            *nl++ = '\0';
        if (sscanf(line, "%lld %lld %n", &s, &t, &n) == 2 && n > 0 &&
            (strncmp(line + n, WH_SNAP_DIR "/", sizeof WH_SNAP_DIR) == 0 ||
             strncmp(line + n, "packages/", 9) == 0) &&
            !strstr(line + n, "..") && s < serial) {      /* else never committed */
            if (ret_add(w, s, t, line + n))
                rc = wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
            w->ret_packages += strncmp(line + n, "packages/", 9) == 0;
        }
    }
    free(data);
    return rc;
}

static int ret_save(writer *w, wh_err *err)
{
    char *path = ix_join(w->site, "/", RETIRED_NAME), *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = path && f ? 0 : wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
    for (size_t i = 0; rc == 0 && i < w->nret; i++)
        if (w->ret[i].path)
            fprintf(f, "%" PRId64 " %" PRId64 " %s\n", w->ret[i].serial,
                    w->ret[i].time, w->ret[i].path);
    if (f)
        fclose(f);
    if (rc == 0)
        rc = wh_file_write_atomic(path, buf ? buf : "", len, 0644, err);
    free(buf);
    free(path);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Drop what the new snapshot names again from the list. */
static void ret_unname(writer *w)
{
    if (w->nnamed == 0)        /* qsort and bsearch take no NULL array */
        return;
    qsort(w->named, w->nnamed, sizeof *w->named, cmp_str);
    for (size_t i = 0; i < w->nret; i++) {
        const char *p = w->ret[i].path;
        if (p && bsearch(&p, w->named, w->nnamed, sizeof *w->named, cmp_str)) {
            free(w->ret[i].path);
            w->ret[i].path = NULL;
        }
    }
}

static int named_add(writer *w, const char *rel)
{
    if (w->nnamed == w->named_cap) {
        size_t cap = w->named_cap ? 2 * w->named_cap : 256;
        char **v = realloc(w->named, cap * sizeof *v);
        if (!v)
            return -1;
        w->named = v;
        w->named_cap = cap;
    }
    return (w->named[w->nnamed++] = strdup(rel)) ? 0 : -1;
}

/* Add path to the caller's list of files to retire (ix_shard_out). */
static int add_retire(ix_shard_out *o, const char *path)
{
    char **v = realloc(o->retire, (o->nretire + 1) * sizeof *v);
    if (!v)
        return -1;
    o->retire = v;
    return (v[o->nretire++] = strdup(path)) ? 0 : -1;
}

/* --- the documents ---------------------------------------------------------- */

/* Write SITE/rel unless it is there (a name by hash: same name, same
 * bytes).  Named anew either way. */
static int put_doc(writer *w, const char *rel, const char *bytes, size_t len,
                   wh_err *err)
{
    char path[PATH_MAX];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/%s", w->site, rel) >= (int)sizeof path)
        return wh_fail(err, WH_E_LIMIT, w->site, -1, "path too long");
    if (named_add(w, rel))
        return wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len) {
        w->o->kept++;
        return 0;
    }
    w->o->written++;
    return wh_file_write_atomic_flags(path, w->tmpdir, bytes, len, 0644,
                                      WH_WRITE_NOSYNC, err);
}

static int module_dir(writer *w, const char *hex, wh_err *err)
{
    unsigned v;
    if (sscanf(hex, "%2x", &v) != 1)
        return wh_fail(err, WH_E_INTERNAL, w->site, -1, "bad digest");
    if (w->made[v])
        return 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/" WH_SNAP_DIR "/modules/%.2s", w->site, hex);
    w->made[v] = 1;
    return wh_mkdirs(dir, err);
}

/* A retired package listed again (a version removed, then published
 * again) must leave the retired list: its packages are named. */
static int name_packages(writer *w, json_t *versions, wh_err *err)
{
    const char *ver;
    json_t *rec;
    char sig[PATH_MAX];
    if (!w->ret_packages)
        return 0;
    json_object_foreach(versions, ver, rec) {
        const char *p = json_string_value(json_object_get(rec, "path"));
        if (!p)
            continue;
        snprintf(sig, sizeof sig, "%s.minisig", p);
        if (named_add(w, p) || named_add(w, sig))
            return wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
    }
    return 0;
}

static int put_module(writer *w, const char *name, json_t *mod, wh_err *err)
{
    char *doc, hex[WH_SHA256_HEX], rel[160];
    size_t len;
    int rc = wh_snap_module_doc(name, json_object_get(mod, "versions"), &doc, &len, err);
    if (rc)
        return rc;
    if ((rc = wh_snap_hash(doc, len, hex, err)) == 0 &&
        (rc = module_dir(w, hex, err)) == 0) {
        wh_snap_path(rel, sizeof rel, 'm', hex, "");
        rc = put_doc(w, rel, doc, len, err);
    }
    size_t b = wh_snap_bin_of(name, strlen(name), w->bits);
    if (rc == 0 && json_object_set_new(w->bins[b], name, json_string(hex)))
        rc = wh_fail(err, WH_E_NOMEM, name, -1, NULL);
    free(doc);
    return rc ? rc : name_packages(w, json_object_get(mod, "versions"), err);
}

static int put_bins(writer *w, size_t nbins, wh_err *err)
{
    int rc = 0;
    for (size_t b = 0; rc == 0 && b < nbins; b++) {
        char *doc, rel[160];
        size_t len;
        w->bin_hex[b][0] = '\0';
        if (!w->dirty[b]) {        /* unchanged: the previous top level's */
            snprintf(w->bin_hex[b], WH_SHA256_HEX, "%s", w->prev->bins[b]);
            continue;
        }
        if (json_object_size(w->bins[b]) == 0)
            continue;
        if ((rc = wh_snap_bin_doc(w->bins[b], &doc, &len, err)) != 0)
            break;
        if ((rc = wh_snap_hash(doc, len, w->bin_hex[b], err)) == 0) {
            wh_snap_path(rel, sizeof rel, 'b', w->bin_hex[b], "");
            rc = put_doc(w, rel, doc, len, err);
        }
        free(doc);
    }
    return rc;
}

/* The top level's bytes. */
static int top_doc(writer *w, const ix_meta *m, size_t nbins, size_t modules,
                   size_t packages, char **out, size_t *len, wh_err *err)
{
    json_t *bins = json_array();
    for (size_t b = 0; bins && b < nbins; b++)
        if (json_array_append_new(bins, json_string(w->bin_hex[b]))) {
            json_decref(bins);
            bins = NULL;
        }
    json_t *doc = bins ? json_pack("{sIsosIsssIsIsIs{ssss}sI}",
        "bin_bits", (json_int_t)w->bits, "bins", bins,
        "expires", (json_int_t)m->expires, "format", WH_SNAP_FORMAT,
        "generated", (json_int_t)m->generated, "modules", (json_int_t)modules,
        "packages", (json_int_t)packages,
        "repository", "key_id", m->key_id, "name", m->name,
        "serial", (json_int_t)m->serial) : NULL;
    if (!doc)
        return wh_fail(err, WH_E_NOMEM, w->site, -1, "cannot build the top level");
    int rc = wh_json_canon(doc, out, len, err);
    json_decref(doc);
    return rc;
}

/* --- retiring ----------------------------------------------------------------- */

/* What prev named that the new snapshot does not: its top level, its bins
 * that changed, and in those the module files no longer named. */
static int retire_prev(writer *w, wh_snap *prev, int64_t serial, int64_t now,
                       wh_err *err)
{
    char rel[160];
    wh_snap_path(rel, sizeof rel, 's', prev->head.sha256, "");
    int rc = ret_add(w, serial, now, rel);
    for (size_t b = 0; rc == 0 && b < prev->nbins; b++) {
        const char *old = prev->bins[b];
        size_t nb = prev->bits == w->bits ? b : (size_t)-1;
        if (!*old || (nb != (size_t)-1 && strcmp(old, w->bin_hex[nb]) == 0))
            continue;
        json_t *mods, *h;
        const char *name;
        if (wh_snap_bin(prev, w->site, b, &mods, err)) {
            w->o->unreadable++;       /* a leak, never a hole */
            continue;
        }
        wh_snap_path(rel, sizeof rel, 'b', old, "");
        rc = ret_add(w, serial, now, rel);
        json_object_foreach(mods, name, h) {
            const char *hex = json_string_value(h);
            json_t *cur = json_object_get(w->bins[wh_snap_bin_of(name, strlen(name),
                                                                 w->bits)], name);
            if (rc || (cur && strcmp(json_string_value(cur), hex) == 0))
                continue;
            wh_snap_path(rel, sizeof rel, 'm', hex, "");
            rc = ret_add(w, serial, now, rel);
        }
        json_decref(prev->bin_cache[b]);
        prev->bin_cache[b] = NULL;
    }
    w->o->retired = w->nret;
    return rc ? wh_fail(err, WH_E_NOMEM, w->site, -1, NULL) : 0;
}

/* Files below dir (site-relative rel, one level of HE folders for
 * modules) that the new snapshot does not name and no entry lists: left
 * by a build that failed or was killed before its commit.  They are
 * retired now, so they go after --retain like any other. */
static int sweep_dir(writer *w, const char *rel, int depth, char **listed,
                     size_t nlisted, int64_t serial, int64_t now, wh_err *err)
{
    char path[PATH_MAX], sub[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", w->site, rel);
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : wh_fail_errno(err, errno, path, "cannot open directory");
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.' ||
            snprintf(sub, sizeof sub, "%s/%s", rel, de->d_name) >= (int)sizeof sub)
            continue;
        const char *k = sub;
        if (depth > 0)
            rc = sweep_dir(w, sub, depth - 1, listed, nlisted, serial, now, err);
        else if (!(w->nnamed && bsearch(&k, w->named, w->nnamed, sizeof *w->named,
                                        cmp_str)) &&
                 !(nlisted && bsearch(&k, listed, nlisted, sizeof *listed, cmp_str))) {
            if (ret_add(w, serial, now, sub))
                rc = wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
            w->o->swept++;
        }
    }
    closedir(d);
    return rc;
}

/* The sweep of a build that names every file (all of them are in
 * w->named, sorted by ret_unname). */
static int sweep(writer *w, int64_t serial, int64_t now, wh_err *err)
{
    size_t n = 0;
    char **listed = malloc((w->nret ? w->nret : 1) * sizeof *listed);
    if (!listed)
        return wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
    for (size_t i = 0; i < w->nret; i++)
        if (w->ret[i].path)
            listed[n++] = w->ret[i].path;
    qsort(listed, n, sizeof *listed, cmp_str);
    int rc = sweep_dir(w, WH_SNAP_DIR "/modules", 1, listed, n, serial, now, err);
    if (rc == 0)
        rc = sweep_dir(w, WH_SNAP_DIR "/bins", 0, listed, n, serial, now, err);
    if (rc == 0)
        rc = sweep_dir(w, WH_SNAP_DIR "/snapshot", 0, listed, n, serial, now, err);
    free(listed);
    return rc;
}

/* Remove what was retired before this build and long enough ago. */
static int remove_expired(writer *w, int64_t serial, int64_t now, int64_t retain,
                          wh_err *err)
{
    int rc = 0;
    size_t removed = 0;
    for (size_t i = 0; rc == 0 && i < w->nret; i++) {
        retired *r = &w->ret[i];
        if (!r->path || r->serial >= serial || now - r->time < retain)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", w->site, r->path);
        if (wh_fs_unlink(path) < 0 && errno != ENOENT)
            rc = wh_fail_errno(err, errno, path, "cannot remove");
        free(r->path);
        r->path = NULL;
        removed++;
    }
    w->o->removed = removed;
    return rc == 0 && removed ? ret_save(w, err) : rc;
}

/* --- the publish ------------------------------------------------------------ */

static int commit(writer *w, const char *top, size_t len, const ix_meta *m,
                  const wh_minisign_seckey *sk, wh_err *err)
{
    wh_index_head h = { m->serial, m->expires, "" };
    char tc[256], rel[160], doc[PATH_MAX], sig[PATH_MAX], copy[PATH_MAX];
    wh_minisign_sig s;
    int rc = wh_snap_hash(top, len, h.sha256, err);
    if (rc)
        return rc;
    memcpy(w->o->sha256, h.sha256, sizeof h.sha256);
    wh_snap_comment(tc, sizeof tc, &h);
    wh_snap_path(rel, sizeof rel, 's', h.sha256, "");
    snprintf(doc, sizeof doc, "%s/%s", w->site, rel);
    snprintf(sig, sizeof sig, "%s/" WH_SNAP_SIG, w->site);
    snprintf(copy, sizeof copy, "%s/" WH_SNAP_JSON, w->site);
    if (named_add(w, rel))
        return wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
    if ((rc = wh_file_write_atomic(doc, top, len, 0644, err)) == 0 &&
        (rc = wh_minisign_sign_buffer(&s, sk, top, len, tc,
                                      "signature from wharf-index", 0, err)) == 0 &&
        (rc = ret_save(w, err)) == 0 &&
        (rc = wh_minisign_sig_save(&s, sig, err)) == 0)           /* commit */
        rc = wh_file_write_atomic(copy, top, len, 0644, err);
    return rc;
}

static void writer_free(writer *w, size_t nbins)
{
    for (size_t b = 0; w->bins && b < nbins; b++)
        json_decref(w->bins[b]);
    free(w->bins);
    free(w->bin_hex);
    free(w->dirty);
    for (size_t i = 0; i < w->nret; i++)
        free(w->ret[i].path);
    free(w->ret);
    for (size_t i = 0; i < w->nnamed; i++)
        free(w->named[i]);
    free(w->named);
}

static int writer_init(writer *w, const char *site, unsigned bits, int64_t serial,
                       ix_shard_out *o, wh_err *err)
{
    memset(w, 0, sizeof *w);
    w->site = site;
    w->o = o;
    w->bits = bits;
    size_t nbins = (size_t)1 << w->bits;
    snprintf(w->tmpdir, sizeof w->tmpdir, "%s/" WH_SNAP_DIR, site);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/" WH_SNAP_DIR "/bins", site);
    int rc = wh_mkdirs(dir, err);
    snprintf(dir, sizeof dir, "%s/" WH_SNAP_DIR "/snapshot", site);
    if (rc == 0)
        rc = wh_mkdirs(dir, err);
    w->bins = calloc(nbins, sizeof *w->bins);
    w->bin_hex = calloc(nbins, sizeof *w->bin_hex);
    w->dirty = calloc(nbins, 1);
    if (rc == 0 && (!w->bins || !w->bin_hex || !w->dirty))
        rc = wh_fail(err, WH_E_NOMEM, site, -1, NULL);
    for (size_t b = 0; rc == 0 && b < nbins; b++)
        if (!(w->bins[b] = json_object()))
            rc = wh_fail(err, WH_E_NOMEM, site, -1, NULL);
    return rc ? rc : ret_load(w, serial, err);
}

/* Steps 1 (the bins; the module files are written) to 5 of ORDER OF
 * WRITES; full: every file was named (then files no build named are
 * swept). */
static int publish(writer *w, size_t modules, size_t packages, int full,
                   const ix_meta *m, const wh_minisign_seckey *sk,
                   int64_t retain, wh_err *err)
{
    size_t nbins = (size_t)1 << w->bits;
    int64_t now = (int64_t)time(NULL);
    char *top = NULL;
    size_t len;
    int rc = put_bins(w, nbins, err);
    if (rc == 0)
        rc = ix_site_sync(w->site, err);
    if (rc == 0 && w->prev)
        rc = retire_prev(w, w->prev, m->serial, now, err);
    for (size_t i = 0; rc == 0 && i < w->o->nretire; i++)
        if (ret_add(w, m->serial, now, w->o->retire[i]))
            rc = wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
    for (size_t i = 0; rc == 0 && i < w->o->nname; i++)
        if (named_add(w, w->o->name[i]))
            rc = wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
    if (rc == 0)
        rc = top_doc(w, m, nbins, modules, packages, &top, &len, err);
    if (rc == 0) {
        ret_unname(w);
        rc = commit(w, top, len, m, sk, err);
    }
    if (rc == 0 && full && (rc = sweep(w, m->serial, now, err)) == 0 && w->o->swept)
        rc = ret_save(w, err);
    if (rc == 0)
        rc = remove_expired(w, m->serial, now, retain, err);
    free(top);
    return rc;
}

int ix_shard_publish(const char *site, json_t *root, const ix_meta *m,
                     const wh_minisign_seckey *sk, const wh_minisign_pubkey *pk,
                     int64_t retain, ix_shard_out *o, wh_err *err)
{
    json_t *modules = json_object_get(root, "modules"), *mod;
    const char *name;
    size_t packages = 0;
    writer w;
    wh_snap prev;
    int have_prev = wh_snap_load(&prev, site, pk, err) == 0;
    int rc = writer_init(&w, site, wh_snap_bits_for(json_object_size(modules)),
                         m->serial, o, err);
    size_t nbins = (size_t)1 << w.bits;
    w.prev = have_prev ? &prev : NULL;
    if (rc == 0)
        memset(w.dirty, 1, nbins);
    json_object_foreach(modules, name, mod) {
        if (rc)
            break;
        packages += json_object_size(json_object_get(mod, "versions"));
        rc = put_module(&w, name, mod, err);
    }
    if (rc == 0)
        rc = publish(&w, json_object_size(modules), packages, 1, m, sk, retain, err);
    if (have_prev)
        wh_snap_free(&prev);
    writer_free(&w, nbins);
    return rc;
}

static int cmp_entry(const void *a, const void *b, void *ctx)
{
    const ix_scan *s = ctx;
    return strcmp(s->v[*(const size_t *)a].pkg.name, s->v[*(const size_t *)b].pkg.name);
}

/* Module by module from the accepted entries, without the whole index
 * as one tree: each module's versions are built, written and freed. */
int ix_shard_publish_scan(const char *site, const ix_scan *s, const ix_meta *m,
                          const wh_minisign_seckey *sk, const wh_minisign_pubkey *pk,
                          int64_t retain, ix_shard_out *o, wh_err *err)
{
    size_t *idx = malloc((s->n ? s->n : 1) * sizeof *idx), n = 0, modules = 0;
    writer w;
    wh_snap prev;
    if (!idx)
        return wh_fail(err, WH_E_NOMEM, site, -1, NULL);
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].state == IX_OK)
            idx[n++] = i;
    qsort_r(idx, n, sizeof *idx, cmp_entry, (void *)s);
    for (size_t i = 0; i < n; i++)
        modules += i == 0 || strcmp(s->v[idx[i - 1]].pkg.name, s->v[idx[i]].pkg.name);
    int have_prev = wh_snap_load(&prev, site, pk, err) == 0;
    int rc = writer_init(&w, site, wh_snap_bits_for(modules), m->serial, o, err);
    size_t nbins = (size_t)1 << w.bits;
    w.prev = have_prev ? &prev : NULL;
    if (rc == 0)
        memset(w.dirty, 1, nbins);
    for (size_t i = 0; rc == 0 && i < n;) {
        const char *name = s->v[idx[i]].pkg.name;
        json_t *vs = json_object(), *mod = json_pack("{so}", "versions", vs);
        for (; rc == 0 && i < n && !strcmp(s->v[idx[i]].pkg.name, name); i++) {
            const ix_entry *e = &s->v[idx[i]];
            if (!vs || !mod ||
                json_object_set_new(vs, e->pkg.version, ix_version_record(e, m->yanked)))
                rc = wh_fail(err, WH_E_NOMEM, e->path, -1, "cannot build the index");
        }
        if (rc == 0)
            rc = put_module(&w, name, mod, err);
        json_decref(mod);
    }
    if (rc == 0)
        rc = publish(&w, modules, n, 1, m, sk, retain, err);
    if (have_prev)
        wh_snap_free(&prev);
    writer_free(&w, nbins);
    free(idx);
    return rc;
}

/* --- a job: changes applied in batches, committed once --------------------- */

struct ix_shard_job {
    writer  w;
    json_t *mine;            /* module files written by this job: hex -> true */
    json_t *superseded;      /* of those, the ones a later batch replaced */
};

int ix_shard_begin(ix_shard_job **out, const char *site, wh_snap *prev,
                   size_t files, int64_t serial, ix_shard_out *o, wh_err *err)
{
    ix_shard_job *j = calloc(1, sizeof *j);
    *out = j;
    if (!j)
        return wh_fail(err, WH_E_NOMEM, site, -1, NULL);
    unsigned bits = prev ? prev->bits : wh_snap_bits_for(files);
    int rc = writer_init(&j->w, site, bits, serial, o, err);
    j->w.prev = prev;
    if (rc == 0 && !prev)         /* a new site: every bin is this job's */
        memset(j->w.dirty, 1, (size_t)1 << bits);
    if (rc == 0 && (!(j->mine = json_object()) || !(j->superseded = json_array())))
        rc = wh_fail(err, WH_E_NOMEM, site, -1, NULL);
    return rc;
}

/* Bin b as this job changes it: the previous top level's, copied once. */
static int job_bin(ix_shard_job *j, size_t b, wh_err *err)
{
    json_t *mods;
    writer *w = &j->w;
    if (w->dirty[b])
        return 0;
    int rc = wh_snap_bin(w->prev, w->site, b, &mods, err);
    if (rc == 0 && mods && json_object_update(w->bins[b], mods))
        rc = wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
    w->dirty[b] = 1;
    return rc;
}

int ix_shard_get(ix_shard_job *j, const char *name, json_t **versions, wh_err *err)
{
    writer *w = &j->w;
    size_t b = wh_snap_bin_of(name, strlen(name), w->bits), len, count = 0;
    json_t *mods = w->bins[b];
    char rel[160], path[PATH_MAX], *bytes;
    int rc = 0;
    *versions = NULL;
    if (!w->dirty[b])
        rc = wh_snap_bin(w->prev, w->site, b, &mods, err);
    const char *hex = json_string_value(json_object_get(mods, name));
    if (rc || !hex)
        return rc ? rc : WH_E_NOTFOUND;
    wh_snap_path(rel, sizeof rel, 'm', hex, "");
    snprintf(path, sizeof path, "%s/%s", w->site, rel);
    rc = wh_file_read_stat(path, WH_MODFILE_MAX, WH_READ_NOFOLLOW, &bytes, &len, NULL, err);
    if (rc == 0) {
        rc = wh_snap_module_parse(name, hex, bytes, len, path, versions, &count, err);
        free(bytes);
    }
    return rc;
}

int ix_shard_apply(ix_shard_job *j, json_t *changes, wh_err *err)
{
    writer *w = &j->w;
    const char *name;
    json_t *v;
    int rc = 0;
    json_object_foreach(changes, name, v) {
        size_t b = wh_snap_bin_of(name, strlen(name), w->bits);
        if (rc || (rc = job_bin(j, b, err)) != 0)
            break;
        const char *old = json_string_value(json_object_get(w->bins[b], name));
        if (old && json_object_get(j->mine, old) &&        /* written, now replaced */
            json_array_append_new(j->superseded, json_string(old)))
            rc = wh_fail(err, WH_E_NOMEM, name, -1, NULL);
        if (rc == 0 && json_is_null(v))
            json_object_del(w->bins[b], name);
        else if (rc == 0) {
            json_t *mod = json_pack("{sO}", "versions", v);
            rc = mod ? put_module(w, name, mod, err)
                     : wh_fail(err, WH_E_NOMEM, name, -1, NULL);
            json_decref(mod);
            const char *now = json_string_value(json_object_get(w->bins[b], name));
            if (rc == 0 && now && json_object_set_new(j->mine, now, json_true()))
                rc = wh_fail(err, WH_E_NOMEM, name, -1, NULL);
        }
    }
    return rc;
}

/* The bins again for that many modules (a new site's job began with a
 * guess from the number of files). */
static int rebin(writer *w, size_t modules, wh_err *err)
{
    unsigned bits = wh_snap_bits_for(modules);
    size_t nold = (size_t)1 << w->bits, nnew = (size_t)1 << bits;
    if (bits == w->bits)
        return 0;
    json_t **bins = calloc(nnew, sizeof *bins);
    char (*hex)[WH_SHA256_HEX] = calloc(nnew, sizeof *hex);
    unsigned char *dirty = malloc(nnew);
    int rc = bins && hex && dirty ? 0 : wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
    for (size_t b = 0; rc == 0 && b < nnew; b++)
        if (!(bins[b] = json_object()))
            rc = wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
    for (size_t b = 0; rc == 0 && b < nold; b++) {
        const char *name;
        json_t *h;
        json_object_foreach(w->bins[b], name, h)
            if (rc == 0 && json_object_set(bins[wh_snap_bin_of(name, strlen(name), bits)],
                                           name, h))
                rc = wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
    }
    if (rc) {
        for (size_t b = 0; bins && b < nnew; b++)
            json_decref(bins[b]);
        free(bins);
        free(hex);
        free(dirty);
        return rc;
    }
    for (size_t b = 0; b < nold; b++)
        json_decref(w->bins[b]);
    free(w->bins);
    free(w->bin_hex);
    free(w->dirty);
    memset(dirty, 1, nnew);
    w->bins = bins;
    w->bin_hex = hex;
    w->dirty = dirty;
    w->bits = bits;
    return 0;
}

/* The module files this job wrote and replaced are not named by the new
 * top level: out of the named list, onto the retired one. */
static int drop_superseded(ix_shard_job *j, wh_err *err)
{
    writer *w = &j->w;
    size_t i, k = 0;
    json_t *h;
    char rel[160];
    if (json_array_size(j->superseded) == 0)
        return 0;
    json_t *gone = json_object();
    json_array_foreach(j->superseded, i, h) {
        wh_snap_path(rel, sizeof rel, 'm', json_string_value(h), "");
        if (!gone || json_object_set_new(gone, rel, json_true()))
            return json_decref(gone), wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
    }
    for (i = 0; i < w->nnamed; i++) {
        if (json_object_get(gone, w->named[i]))
            free(w->named[i]);
        else
            w->named[k++] = w->named[i];
    }
    w->nnamed = k;
    const char *p;
    json_t *t;
    json_object_foreach(gone, p, t)
        if (add_retire(w->o, p)) {
            json_decref(gone);
            return wh_fail(err, WH_E_NOMEM, w->site, -1, NULL);
        }
    json_decref(gone);
    return 0;
}

/* The bins again when the repository outgrew them (a bin past
 * WH_SNAP_BIN_TARGET modules: a reader's update would fetch ever larger
 * bins) or shrank to a quarter (not sooner, so that a repository near a
 * boundary does not rebin back and forth); a new site's always, for the
 * number of modules it ended with.  Every bin is then new. */
static int resize_bins(ix_shard_job *j, size_t modules, wh_err *err)
{
    writer *w = &j->w;
    unsigned want = wh_snap_bits_for(modules);
    int rc = 0;
    if (w->prev && !(want > w->bits || want + 1 < w->bits))
        return 0;
    for (size_t b = 0; rc == 0 && w->prev && b < ((size_t)1 << w->bits); b++)
        rc = job_bin(j, b, err);        /* every module, to place it again */
    return rc ? rc : rebin(w, modules, err);
}

int ix_shard_finish(ix_shard_job *j, size_t modules, size_t packages, int full,
                    const ix_meta *m, const wh_minisign_seckey *sk, int64_t retain,
                    wh_err *err)
{
    int rc = resize_bins(j, modules, err);
    if (rc == 0)
        rc = drop_superseded(j, err);
    return rc ? rc : publish(&j->w, modules, packages, full, m, sk, retain, err);
}

void ix_shard_job_free(ix_shard_job *j)
{
    if (!j)
        return;
    writer_free(&j->w, (size_t)1 << j->w.bits);
    json_decref(j->mine);
    json_decref(j->superseded);
    free(j);
}

int ix_shard_update(const char *site, wh_snap *prev, json_t *changes,
                    size_t modules, size_t packages, const ix_meta *m,
                    const wh_minisign_seckey *sk, int64_t retain,
                    ix_shard_out *o, wh_err *err)
{
    ix_shard_job *j;
    int rc = ix_shard_begin(&j, site, prev, 0, m->serial, o, err);
    if (rc == 0)
        rc = ix_shard_apply(j, changes, err);
    if (rc == 0)
        rc = ix_shard_finish(j, modules, packages, 0, m, sk, retain, err);
    ix_shard_job_free(j);
    return rc;
}

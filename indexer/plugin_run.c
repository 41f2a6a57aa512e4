/* plugin_run.c - the enabled plugins of a build (prefix ix_plugset_), run
 * on every package it reads: format handlers, validation hooks, metadata
 * extractors and post-processors (docs/plugins.md, "In a build").
 *
 * LOADING.  The plugin folder's state.json names the plugins; only the
 * enabled ones are loaded, in name order (which fixes the order they run
 * in, so metadata and warnings do not depend on the folder's listing).
 * Each module is compiled once (wh_plugin_load) under its limits: the
 * environment's, or its own entry's "limits".  With --require-signatures
 * a plugin installed unsigned stops the build before anything is read:
 * a build that demands signed packages cannot let unsigned code judge
 * them.
 *
 * THE ID.  A package's verdict depends on the plugins that judged it, so
 * the cache keys it on ix_plugset_id: the SHA-256 of the enabled
 * plugins' names, bundle hashes, configs and limits.  Enabling,
 * disabling, updating or configuring a plugin changes the id, and every
 * cached package is read and judged again.
 *
 * ON THREADS.  A build reads packages on several threads; each plugin
 * call makes its own instance of the shared compiled module (wasmrt
 * allows that), so calls run in parallel.  What they leave behind (log
 * lines, profile sums) goes through one mutex.  Log lines carry the
 * package they came from through wh_plugin_call_as's per-call user.
 *
 * ORDER ON A PACKAGE.  A format handler (by the file's extension) makes
 * the package; then every validation hook sees the original bytes (a
 * refusal stops here); then every extractor adds metadata; then every
 * post-processor may replace the bytes, which must still read as the
 * same package (kind, name, version).  Any failure of a plugin (trap,
 * limit, bad result) refuses the package, naming the plugin; none stops
 * the build.
 *
 * Tests: tests/cli/t1203-wharf-index-build-plugins.sh.
 */
#include "indexer/indexer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/base64.h"
#include "common/fs.h"
#include "common/hex.h"
#include "common/index.h"
#include "common/json.h"
#include "common/semver.h"
#include "common/sha256.h"
#include "common/toml.h"

#define RESULT_CAP      ((size_t)1 << 20)   /* validation, metadata results */
#define META_PAIRS      64                  /* pairs one call may add */
#define META_KEY_MAX    128
#define META_VALUE_MAX  1024
#define EXT_MAX         24                  /* bytes of a claimed extension */
#define MAX_EXTS        16
#define AUTHORS_MAX     1024                /* bytes of a format package's author */
#define TOML_MAX        ((size_t)1 << 20)
/* A processed package in base64, with room for the rest of the answer. */
#define PROCESS_CAP     (WH_BASE64_ENCODED_LEN(WH_PKG_MAX_SIZE) + ((size_t)1 << 20))

typedef struct plug {
    char       name[WH_PLUGIN_NAME_MAX + 1];
    wh_plugin *p;
    int        format, hook, extractor, post;
    char       exts[MAX_EXTS][EXT_MAX + 1];
    size_t     nexts;
    json_t    *lines;      /* log lines of this build */
    size_t     dropped;    /* lines past IX_PLUGIN_LOG_LINES */
    json_t    *profile;    /* {FUNC: {"calls", ...}} */
} plug;

struct ix_plugset {
    char            dir[PATH_MAX];
    plug           *v;
    size_t          n;
    char            id[WH_SHA256_HEX];
    int             log_level;
    int             calls;
    pthread_mutex_t lock;
};

/* What a log line needs to know of its call. */
typedef struct call_user {
    ix_plugset *ps;
    plug       *pl;
    const char *package;
} call_user;

/* --- log lines and profile ---------------------------------------------------- */

/* The message as a JSON string: itself when UTF-8, else quoted. */
static json_t *message_json(const char *msg, size_t len)
{
    json_t *s = json_stringn(msg, len);
    if (!s) {
        char q[4 * WH_PLUGIN_LOG_MAX + 8];
        s = json_string(wh_quote(q, sizeof q, msg, len));
    }
    return s;
}

static void on_log(void *user, const char *plugin, const char *func, int level,
                   const char *msg, size_t len)
{
    call_user *u = user;
    (void)plugin;
    if (level < u->ps->log_level)
        return;
    pthread_mutex_lock(&u->ps->lock);
    if (json_array_size(u->pl->lines) >= IX_PLUGIN_LOG_LINES)
        u->pl->dropped++;
    else
        json_array_append_new(u->pl->lines, json_pack("{sIssssssso}",
            "time", (json_int_t)time(NULL), "level", ix_plugin_level_name(level),
            "package", u->package, "call", func, "message",
            message_json(msg, len)));
    pthread_mutex_unlock(&u->ps->lock);
}

static void add_stat(json_t *o, const char *key, uint64_t v, int max)
{
    json_int_t cur = json_integer_value(json_object_get(o, key));
    json_int_t nv = max ? (cur > (json_int_t)v ? cur : (json_int_t)v) : cur + (json_int_t)v;
    json_object_set_new(o, key, json_integer(nv));
}

static void profile_add(ix_plugset *ps, plug *pl, const char *func,
                        const wh_plugin_stats *st)
{
    pthread_mutex_lock(&ps->lock);
    json_t *f = json_object_get(pl->profile, func);
    if (!f) {
        f = json_object();
        json_object_set_new(pl->profile, func, f);
    }
    add_stat(f, "calls", 1, 0);
    add_stat(f, "fuel", st->fuel, 0);
    add_stat(f, "fuel_max", st->fuel, 1);
    add_stat(f, "time_us", st->time_us, 0);
    add_stat(f, "time_us_max", st->time_us, 1);
    add_stat(f, "peak_memory", st->peak_memory, 1);
    ps->calls = 1;
    pthread_mutex_unlock(&ps->lock);
}

/* One call of pl's func on inputs, profiled, its result in *out. */
static int call(ix_plugset *ps, plug *pl, const char *func, const char *package,
                const wh_plugin_input *in, size_t n, size_t cap, json_t **out,
                wh_err *err)
{
    call_user u = { ps, pl, package };
    wh_plugin_stats st = { 0 };
    int rc = wh_plugin_call_as(pl->p, func, in, n, cap, &u, out, &st, err);
    profile_add(ps, pl, func, &st);
    return rc;
}

/* --- loading -------------------------------------------------------------------- */

/* The extensions NAME's plugin.toml claims ([plugin.capabilities]
 * extensions), each starting with '.', into pl. */
static int read_exts(plug *pl, const char *dir, wh_err *err)
{
    char path[PATH_MAX], *text = NULL;
    size_t len;
    wh_toml *doc = NULL;
    snprintf(path, sizeof path, "%s/%s/plugin.toml", dir, pl->name);
    int rc = wh_file_read(path, TOML_MAX, &text, &len, err);
    if (rc == 0)
        rc = wh_toml_parse(text, len, path, &doc, err);
    const wh_toml_value *a = rc ? NULL :
        wh_toml_get_path(wh_toml_root(doc), "plugin.capabilities.extensions");
    for (size_t i = 0; rc == 0 && wh_toml_at(a, i); i++) {
        size_t n;
        const char *s = wh_toml_string(wh_toml_at(a, i), &n);
        if (!s || n < 2 || n > EXT_MAX || s[0] != '.' || strlen(s) != n ||
            strchr(s, '/') || i >= MAX_EXTS)
            rc = wh_fail(err, WH_E_FORMAT, path, -1, "plugin '%s': extension %zu "
                         "is not '.' and 1 to %d bytes without '/' (at most %d)",
                         pl->name, i + 1, EXT_MAX - 1, MAX_EXTS);
        else
            snprintf(pl->exts[pl->nexts++], EXT_MAX + 1, "%s", s);
    }
    wh_toml_free(doc);
    free(text);
    return rc;
}

/* The module's file in DIR/NAME: the entry's "wasm", else NAME.wasm. */
static int read_module(const char *dir, const char *name, const json_t *e,
                       char **wasm, size_t *len, wh_err *err)
{
    const char *w = json_string_value(json_object_get(e, "wasm"));
    char file[PATH_MAX];
    if (w && (strchr(w, '/') || !strcmp(w, "..")))
        return wh_fail(err, WH_E_FORMAT, dir, -1, "plugin '%s': module name '%s' "
                       "is not a file name", name, w);
    if (snprintf(file, sizeof file, "%s/%s/%s", dir, name, w ? w : name) >= (int)sizeof file ||
        (!w && strlen(file) + 5 >= sizeof file))
        return wh_fail(err, WH_E_LIMIT, dir, -1, "path too long");
    if (!w)
        strcat(file, ".wasm");
    return wh_file_read_stat(file, WH_PKG_MAX_ENTRY, WH_READ_NOFOLLOW, wasm, len,
                             NULL, err);
}

static int has_kind(const json_t *kinds, const char *k)
{
    size_t i;
    json_t *v;
    json_array_foreach(kinds, i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), k))
            return 1;
    return 0;
}

/* Load one enabled plugin into pl; part is its share of the set's id. */
static int load_one(ix_plugset *ps, plug *pl, const char *name, const json_t *e,
                    const ix_plugin_env *env, json_t *part, wh_err *err)
{
    json_t *kinds = json_object_get(e, "kinds");
    wh_plugin_limits lim;
    char *wasm = NULL, *cfg = NULL;
    size_t len = 0, clen;
    snprintf(pl->name, sizeof pl->name, "%s", name);
    pl->format = has_kind(kinds, "format_handler");
    pl->hook = has_kind(kinds, "validation_hook");
    pl->extractor = has_kind(kinds, "metadata_extractor");
    pl->post = has_kind(kinds, "post_processor");
    ix_plugin_limits(env, e, &lim);
    pl->lines = json_array();
    pl->profile = json_object();
    int rc = pl->lines && pl->profile ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0 && pl->format)
        rc = read_exts(pl, ps->dir, err);
    if (rc == 0)
        rc = wh_json_canon(json_object_get(e, "config"), &cfg, &clen, err);
    if (rc == 0)
        rc = read_module(ps->dir, name, e, &wasm, &len, err);
    if (rc == 0)
        rc = wh_plugin_load(name, wasm, len, cfg, &lim, on_log, NULL, &pl->p, err);
    if (rc == 0)
        rc = json_object_set_new(part, name, json_pack("{sOsOs{sIsIsI}}",
                 "sha256", json_object_get(e, "sha256"), "config",
                 json_object_get(e, "config"), "limits",
                 "memory", (json_int_t)lim.memory_bytes, "fuel", (json_int_t)lim.fuel,
                 "time_ms", (json_int_t)lim.time_ms)) ? wh_fail(err, WH_E_NOMEM, NULL, -1, NULL) : 0;
    free(wasm);
    free(cfg);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The enabled plugins' names, sorted (borrowed from state). */
static const char **enabled_names(const json_t *plugins, size_t *n)
{
    const char **v = malloc((json_object_size(plugins) + 1) * sizeof *v);
    const char *name;
    json_t *e;
    *n = 0;
    if (!v)
        return NULL;
    json_object_foreach((json_t *)plugins, name, e)
        if (json_is_true(json_object_get(e, "enabled")))
            v[(*n)++] = name;
    qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

/* Unsigned plugins may not judge a build that requires signatures. */
static int check_signed(const char *name, const json_t *e, wh_err *err)
{
    const char *signer = json_string_value(json_object_get(e, "signer"));
    if (!signer || !*signer)
        return wh_fail(err, WH_E_UNTRUSTED, NULL, -1, "plugin '%s' was installed "
                       "unsigned, and signatures are required", name);
    return 0;
}

static int load_all(ix_plugset *ps, const json_t *plugins, const ix_plugin_env *env,
                    int require_sigs, wh_err *err)
{
    size_t n;
    const char **names = enabled_names(plugins, &n);
    json_t *part = json_object();
    int rc = names && part && (ps->v = calloc(n + 1, sizeof *ps->v))
             ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const json_t *e = json_object_get(plugins, names[i]);
        if (require_sigs && (rc = check_signed(names[i], e, err)) != 0)
            break;
        rc = load_one(ps, &ps->v[ps->n++], names[i], e, env, part, err);
    }
    char *text = NULL;
    size_t len;
    uint8_t d[WH_SHA256_BYTES];
    if (rc == 0 && n && (rc = wh_json_canon(part, &text, &len, err)) == 0 &&
        (rc = wh_sha256_buf(text, len, d, err)) == 0)
        wh_hex_encode(ps->id, d, sizeof d, 0);
    free(text);
    free(names);
    json_decref(part);
    return rc;
}

int ix_plugset_load(ix_plugset **out, const char *dir, const ix_plugin_env *env,
                    int require_sigs, wh_err *err)
{
    ix_plugset *ps = calloc(1, sizeof *ps);
    json_t *state = NULL;
    *out = NULL;
    if (!ps)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    pthread_mutex_init(&ps->lock, NULL);
    ps->log_level = env->log_level;
    int rc = 0;
    struct stat st;
    wh_lock l = { .fd = -1 };
    if (dir && env->enabled) {      /* a typo must not mean "no plugins" */
        snprintf(ps->dir, sizeof ps->dir, "%s", dir);
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = wh_fail(err, WH_E_NOTFOUND, dir, -1, "no such plugin folder");
        if (rc == 0)
            rc = ix_plugins_lock(dir, "wharf-index build", 1, &l, err);
        if (rc == 0)
            rc = ix_plugins_load(dir, &state, err);
        if (rc == 0)
            rc = load_all(ps, json_object_get(state, "plugins"), env, require_sigs, err);
        wh_lock_release(&l);    /* the modules are compiled: held no longer */
    }
    json_decref(state);
    if (rc)
        ix_plugset_free(ps);
    else
        *out = ps;
    return rc;
}

void ix_plugset_free(ix_plugset *ps)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->n; i++) {
        wh_plugin_free(ps->v[i].p);
        json_decref(ps->v[i].lines);
        json_decref(ps->v[i].profile);
    }
    free(ps->v);
    pthread_mutex_destroy(&ps->lock);
    free(ps);
}

size_t ix_plugset_count(const ix_plugset *ps)
{
    return ps ? ps->n : 0;
}

const char *ix_plugset_id(const ix_plugset *ps)
{
    return ps ? ps->id : "";
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

int ix_plugset_claim(const ix_plugset *ps, const char *rel, const char **ext)
{
    int best = -1;
    size_t best_len = 0;
    for (size_t i = 0; ps && i < ps->n; i++)
        for (size_t k = 0; k < ps->v[i].nexts; k++) {
            size_t n = strlen(ps->v[i].exts[k]);
            if (n > best_len && has_suffix(rel, ps->v[i].exts[k])) {
                best = (int)i;
                best_len = n;
                *ext = ps->v[i].exts[k];
            }
        }
    return best;
}

/* --- format handlers ----------------------------------------------------------- */

/* A validation answer: a refusal becomes err; warnings go to warns. */
static int take_verdict(const plug *pl, const json_t *r, json_t *warns, wh_err *err)
{
    size_t i;
    json_t *w;
    const char *msg = json_string_value(json_object_get(r, "message"));
    if (!json_is_true(json_object_get(r, "allowed")))
        return wh_fail(err, WH_E_REFUSED, NULL, -1, "plugin '%s': refused%s%s",
                       pl->name, msg && *msg ? ": " : "", msg && *msg ? msg : "");
    json_array_foreach(json_object_get(r, "warnings"), i, w) {
        char line[WH_ERR_LINE_MAX];
        snprintf(line, sizeof line, "plugin '%s': %s", pl->name, json_string_value(w));
        json_array_append_new(warns, json_string(line));
    }
    return 0;
}

/* A string of the answer that C may hold: no NUL inside. */
static int whole(const json_t *v)
{
    return !v || strlen(json_string_value(v)) == json_string_length(v);
}

/* "a, b" of parse_metadata's authors ("" for none), at most AUTHORS_MAX
 * bytes: whole names only, so the text stays UTF-8. */
static int authors_of(const plug *pl, const json_t *a, json_t **out, wh_err *err)
{
    char buf[AUTHORS_MAX + 1];
    size_t i, n = 0;
    json_t *v;
    json_array_foreach(a, i, v) {
        const char *s = json_string_value(v);
        size_t k = strlen(s);
        if (!whole(v) || n + k + (i ? 2 : 0) > AUTHORS_MAX)
            return wh_fail(err, WH_E_LIMIT, NULL, -1, "plugin '%s': parse_metadata: "
                           "\"authors\" hold a NUL or more than %d bytes", pl->name,
                           AUTHORS_MAX);
        if (i)
            memcpy(buf + n, ", ", 2), n += 2;
        memcpy(buf + n, s, k);
        n += k;
    }
    buf[n] = '\0';
    *out = json_string(buf);
    return *out ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
}

/* Dependencies of both answers, each checked as any package's. */
static int merge_deps(const plug *pl, const json_t *a, const json_t *b,
                      json_t **out, wh_err *err)
{
    json_t *d = json_object();
    const char *k;
    json_t *v;
    json_object_update(d, (json_t *)a);
    json_object_update(d, (json_t *)b);
    *out = d;
    if (json_object_size(d) > WH_PKG_MAX_DEPS)
        return wh_fail(err, WH_E_LIMIT, NULL, -1, "plugin '%s': more than %d "
                       "dependencies", pl->name, WH_PKG_MAX_DEPS);
    json_object_foreach(d, k, v) {
        const char *req = json_string_value(v);
        if (wh_pkg_dep_check(k, strlen(k), req, strlen(req), err)) {
            wh_err_prefix(err, "plugin '%s': dependency '%s'", pl->name, k);
            return err->code;
        }
    }
    return 0;
}

/* The record of a format package from parse_metadata's answer m. */
static int format_record(const plug *pl, const json_t *m, const json_t *deps,
                         const char *file, wh_pkg *pkg, wh_err *err)
{
    const char *name = json_string_value(json_object_get(m, "name")),
               *ver = json_string_value(json_object_get(m, "version")),
               *desc = json_string_value(json_object_get(m, "description")),
               *lic = json_string_value(json_object_get(m, "license"));
    char kind[80];
    json_t *tags = NULL, *authors = NULL, *kw = json_object_get(m, "keywords");
    wh_semver v;
    int rc = 0;
    static const char *const texts[] = { "name", "version", "description", "license" };
    for (size_t i = 0; rc == 0 && i < sizeof texts / sizeof *texts; i++)
        if (!whole(json_object_get(m, texts[i])))
            rc = wh_fail(err, WH_E_FORMAT, NULL, -1, "\"%s\" holds a NUL", texts[i]);
    if (rc == 0)
        rc = wh_pkg_name_check(name, strlen(name), err);
    if (rc == 0)    /* the file keeps its name in the index: readers check it */
        rc = wh_index_file_check(file, strlen(file), err);
    if (rc == 0 && strlen(ver) >= sizeof pkg->version)
        rc = wh_fail(err, WH_E_LIMIT, NULL, -1, "version is too long");
    if (rc == 0)
        rc = wh_semver_parse(&v, ver, strlen(ver), err);
    json_t *none = json_array();
    if (rc == 0)
        rc = wh_pkg_labels(kw ? kw : none, "keywords", &tags, err);
    json_decref(none);
    if (rc) {
        wh_err_prefix(err, "plugin '%s': parse_metadata", pl->name);
        return err->code;
    }
    if ((rc = authors_of(pl, json_object_get(m, "authors"), &authors, err)) != 0) {
        json_decref(tags);
        return rc;
    }
    snprintf(kind, sizeof kind, "format:%s", pl->name);
    snprintf(pkg->name, sizeof pkg->name, "%s", name);
    snprintf(pkg->version, sizeof pkg->version, "%s", ver);
    pkg->kind = WH_PKG_FORMAT;
    pkg->record = json_pack("{sssssososOs[]ssss}",
        "description", desc ? desc : "", "license", lic ? lic : "",
        "author", authors, "tags", tags,
        "dependencies", deps, "categories", "file", file, "kind", kind);
    return pkg->record ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
}

int ix_plugset_read(ix_plugset *ps, int h, const char *path, const uint8_t *data,
                    size_t len, wh_pkg *pkg, wh_err *err)
{
    plug *pl = &ps->v[h];
    const char *file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    wh_plugin_input in = { data, len };
    json_t *m = NULL, *v = NULL, *d = NULL, *deps = NULL, *warns = json_array();
    uint8_t dg[WH_SHA256_BYTES];
    memset(pkg, 0, sizeof *pkg);
    int rc = call(ps, pl, "parse_metadata", file, &in, 1, RESULT_CAP, &m, err);
    if (rc == 0)
        rc = wh_plugin_check_metadata(pl->p, m, err);
    if (rc == 0 && (rc = call(ps, pl, "validate", file, &in, 1, RESULT_CAP, &v, err)) == 0 &&
        (rc = wh_plugin_check_validation(pl->p, "validate", v, err)) == 0)
        rc = take_verdict(pl, v, warns, err);
    if (rc == 0 && wh_plugin_has(pl->p, "extract_dependencies") &&
        (rc = call(ps, pl, "extract_dependencies", file, &in, 1, RESULT_CAP, &d, err)) == 0)
        rc = wh_plugin_check_pairs(pl->p, "extract_dependencies", d, err);
    if (rc == 0)
        rc = merge_deps(pl, json_object_get(m, "dependencies"), d, &deps, err);
    if (rc == 0)
        rc = format_record(pl, m, deps, file, pkg, err);
    if (rc == 0 && json_array_size(warns))
        json_object_set(pkg->record, "warnings", warns);
    if (rc == 0 && (rc = wh_sha256_buf(data, len, dg, err)) == 0) {
        pkg->size = len;
        wh_hex_encode(pkg->sha256, dg, sizeof dg, 0);
        json_object_set_new(pkg->record, "size", json_integer((json_int_t)len));
        json_object_set_new(pkg->record, "sha256", json_string(pkg->sha256));
    }
    if (rc) {
        json_decref(pkg->record);
        pkg->record = NULL;
        if (!err->path[0])
            snprintf(err->path, sizeof err->path, "%s", path);
    }
    json_decref(m);
    json_decref(v);
    json_decref(d);
    json_decref(deps);
    json_decref(warns);
    return rc;
}

/* --- judging an accepted package -------------------------------------------------- */

/* What one package's plugins add to its record. */
typedef struct judged {
    json_t  *warnings;      /* the record's, then the plugins' */
    json_t  *metadata;
    json_t  *processed_by;
    uint8_t *data;          /* processed bytes (NULL: the original) */
    size_t   len;
} judged;

static json_t *info_json(const wh_pkg *pkg, const char *signer)
{
    json_t *kind = json_object_get(pkg->record, "kind");
    json_t *j = json_pack("{sssssOsIssss}", "name", pkg->name, "version", pkg->version,
        "format", kind ? kind : json_string(wh_pkg_kind_name(pkg->kind)),
        "size_bytes", (json_int_t)pkg->size, "sha256", pkg->sha256, "signer", signer);
    json_t *lic = json_object_get(pkg->record, "license");
    if (j && json_is_string(lic))
        json_object_set(j, "license", lic);
    return j;
}

static int run_hooks(ix_plugset *ps, const char *id, const wh_pkg *pkg,
                     const char *signer, const uint8_t *data, size_t len,
                     judged *j, wh_err *err)
{
    json_t *info = info_json(pkg, signer);
    char *text = NULL;
    size_t tlen = 0;
    int rc = info ? wh_json_canon(info, &text, &tlen, err)
                  : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    for (size_t i = 0; rc == 0 && i < ps->n; i++) {
        if (!ps->v[i].hook)
            continue;
        wh_plugin_input in[2] = { { text, tlen }, { data, len } };
        json_t *r = NULL;
        rc = call(ps, &ps->v[i], "validate_upload", id, in, 2, RESULT_CAP, &r, err);
        if (rc == 0)
            rc = wh_plugin_check_validation(ps->v[i].p, "validate_upload", r, err);
        if (rc == 0)
            rc = take_verdict(&ps->v[i], r, j->warnings, err);
        json_decref(r);
    }
    free(text);
    json_decref(info);
    return rc;
}

/* Merge pairs r of plugin pl into j's metadata: bounded, first one wins. */
static int add_metadata(const plug *pl, const char *func, const json_t *r,
                        judged *j, wh_err *err)
{
    const char *k;
    json_t *v;
    if (json_object_size(r) > META_PAIRS)
        return wh_fail(err, WH_E_LIMIT, NULL, -1, "plugin '%s': %s: result: more "
                       "than %d pairs", pl->name, func, META_PAIRS);
    json_object_foreach((json_t *)r, k, v) {
        if (!*k || strlen(k) > META_KEY_MAX || json_string_length(v) > META_VALUE_MAX)
            return wh_fail(err, WH_E_LIMIT, NULL, -1, "plugin '%s': %s: result: "
                           "key '%.40s' or its value is empty or too long (key 1 to "
                           "%d bytes, value at most %d)", pl->name, func, k,
                           META_KEY_MAX, META_VALUE_MAX);
        for (const char *c = k; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return wh_fail(err, WH_E_FORMAT, NULL, -1, "plugin '%s': %s: "
                               "result: a key has a control character", pl->name, func);
        if (json_object_get(j->metadata, k)) {
            char line[WH_ERR_LINE_MAX];
            snprintf(line, sizeof line, "plugin '%s': metadata '%s' was already set "
                     "by an earlier plugin; kept the first", pl->name, k);
            json_array_append_new(j->warnings, json_string(line));
        } else {
            json_object_set(j->metadata, k, v);
        }
    }
    return 0;
}

static int run_extractors(ix_plugset *ps, const char *id, const uint8_t *data,
                          size_t len, judged *j, wh_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ps->n; i++) {
        if (!ps->v[i].extractor)
            continue;
        wh_plugin_input in[2] = { { id, strlen(id) }, { data, len } };
        json_t *r = NULL;
        rc = call(ps, &ps->v[i], "extract", id, in, 2, RESULT_CAP, &r, err);
        if (rc == 0)
            rc = wh_plugin_check_pairs(ps->v[i].p, "extract", r, err);
        if (rc == 0)
            rc = add_metadata(&ps->v[i], "extract", r, j, err);
        json_decref(r);
    }
    return rc;
}

/* The processed bytes must read as the package they replace. */
static int reread(ix_plugset *ps, const plug *pl, const char *path, const uint8_t *d,
                  size_t n, const wh_pkg *was, int h, wh_pkg *now, wh_err *err)
{
    wh_err e;
    int rc = was->kind == WH_PKG_FORMAT ? ix_plugset_read(ps, h, path, d, n, now, &e)
                                        : wh_pkg_read_mem(path, d, n, NULL, now, &e);
    if (rc == 0 && (now->kind != was->kind || strcmp(now->name, was->name) ||
                    strcmp(now->version, was->version))) {
        wh_pkg_free(now);
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "plugin '%s': process: the result "
                       "is not %s@%s any more", pl->name, was->name, was->version);
    }
    if (rc) {
        char msg[WH_ERR_LINE_MAX];
        e.path[0] = '\0';     /* the package's path starts the whole message */
        return wh_fail(err, e.code, NULL, -1, "plugin '%s': process: the result does "
                       "not read as a package: %s", pl->name,
                       wh_err_format(&e, msg, sizeof msg));
    }
    return 0;
}

/* Run one post-processor on j's current bytes; a modified result that
 * reads as the same package replaces them (and the record's base). */
static int post_one(ix_plugset *ps, plug *pl, const char *path, const char *id,
                    int h, wh_pkg *pkg, judged *j, const uint8_t *orig,
                    size_t olen, wh_err *err)
{
    const uint8_t *cur = j->data ? j->data : orig;
    size_t clen = j->data ? j->len : olen;
    wh_plugin_input in[2] = { { id, strlen(id) }, { cur, clen } };
    size_t cap = PROCESS_CAP;
    json_t *r = NULL;
    uint8_t *out = NULL;
    size_t n = 0;
    wh_pkg now;
    int rc = call(ps, pl, "process", id, in, 2, cap, &r, err);
    if (rc == 0)
        rc = wh_plugin_check_processed(pl->p, r, &out, &n, err);
    if (rc == 0)
        rc = add_metadata(pl, "process", json_object_get(r, "metadata"), j, err);
    if (rc == 0 && json_is_true(json_object_get(r, "modified")) &&
        (rc = reread(ps, pl, path, out, n, pkg, h, &now, err)) == 0) {
        wh_pkg_free(pkg);
        *pkg = now;
        free(j->data);
        j->data = out;
        j->len = n;
        out = NULL;
        json_array_append_new(j->processed_by, json_string(pl->name));
    }
    free(out);
    json_decref(r);
    return rc;
}

static int run_posts(ix_plugset *ps, const char *path, const char *id, int h,
                     wh_pkg *pkg, judged *j, const uint8_t *data, size_t len,
                     wh_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ps->n; i++)
        if (ps->v[i].post)
            rc = post_one(ps, &ps->v[i], path, id, h, pkg, j, data, len, err);
    return rc;
}

/* Put what the plugins said into the (maybe new) record. */
static int finish_record(wh_pkg *pkg, judged *j, const char *orig_sha,
                         uint64_t orig_size, wh_err *err)
{
    json_t *r = pkg->record, *w = json_object_get(r, "warnings");
    int bad = 0;
    if (json_array_size(j->warnings)) {
        if (!w) {
            w = json_array();
            bad |= json_object_set_new(r, "warnings", w);
        }
        bad |= json_array_extend(w, j->warnings);
    }
    if (json_object_size(j->metadata) && wh_index_metadata_check(j->metadata, err))
        return err->code;      /* what every reader of the index checks */
    if (json_object_size(j->metadata))
        bad |= json_object_set(r, "metadata", j->metadata);
    if (json_array_size(j->processed_by)) {
        bad |= json_object_set(r, "processed_by", j->processed_by);
        bad |= json_object_set_new(r, "original_sha256", json_string(orig_sha));
        bad |= json_object_set_new(r, "original_size", json_integer((json_int_t)orig_size));
    }
    return bad ? wh_fail(err, WH_E_NOMEM, NULL, -1, NULL) : 0;
}

int ix_plugset_judge(ix_plugset *ps, const char *path, int h, const char *signer,
                     const uint8_t *data, size_t len, wh_pkg *pkg, uint8_t **out,
                     size_t *outlen, wh_err *err)
{
    judged j = { json_array(), json_object(), json_array(), NULL, 0 };
    char id[400], orig_sha[WH_SHA256_HEX];
    uint64_t orig_size = pkg->size;
    *out = NULL;
    *outlen = 0;
    snprintf(id, sizeof id, "%s@%s", pkg->name, pkg->version);
    snprintf(orig_sha, sizeof orig_sha, "%s", pkg->sha256);
    int rc = j.warnings && j.metadata && j.processed_by ? 0
             : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0)
        rc = run_hooks(ps, id, pkg, signer, data, len, &j, err);
    if (rc == 0)
        rc = run_extractors(ps, id, data, len, &j, err);
    if (rc == 0)
        rc = run_posts(ps, path, id, h, pkg, &j, data, len, err);
    if (rc == 0)
        rc = finish_record(pkg, &j, orig_sha, orig_size, err);
    if (rc == 0) {
        *out = j.data;
        *outlen = j.len;
        j.data = NULL;
    } else {
        snprintf(err->path, sizeof err->path, "%s", path);
    }
    free(j.data);
    json_decref(j.warnings);
    json_decref(j.metadata);
    json_decref(j.processed_by);
    return rc;
}

/* --- after the build ------------------------------------------------------------------ */

typedef struct line_ref {
    json_t *line;
    size_t  seq;
} line_ref;

static int cmp_line(const void *pa, const void *pb)
{
    const line_ref *a = pa, *b = pb;
    int c = strcmp(json_string_value(json_object_get(a->line, "package")),
                   json_string_value(json_object_get(b->line, "package")));
    return c ? c : a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The lines grouped by package (in the order each logged them), so a
 * log reads the same whatever the threads did. */
static json_t *sorted_lines(const json_t *lines)
{
    size_t n = json_array_size(lines);
    line_ref *v = malloc((n ? n : 1) * sizeof *v);
    json_t *out = json_array();
    for (size_t i = 0; v && i < n; i++)
        v[i] = (line_ref){ json_array_get(lines, i), i };
    if (v)
        qsort(v, n, sizeof *v, cmp_line);
    for (size_t i = 0; v && out && i < n; i++)
        json_array_append(out, v[i].line);
    free(v);
    if (!v) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* Each plugin's lines of this build, with one saying how many were
 * dropped past IX_PLUGIN_LOG_LINES. */
static int save_logs(ix_plugset *ps, wh_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ps->n; i++) {
        plug *pl = &ps->v[i];
        char msg[80];
        snprintf(msg, sizeof msg, "%zu more lines dropped", pl->dropped);
        if (pl->dropped)
            json_array_append_new(pl->lines, json_pack("{sIssssssss}",
                "time", (json_int_t)time(NULL), "level", "warn", "package", "-",
                "call", "-", "message", msg));
        json_t *sorted = sorted_lines(pl->lines);
        if (!sorted)
            rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
        else if (json_array_size(sorted))
            rc = ix_plugin_log_append(ps->dir, pl->name, sorted, err);
        json_decref(sorted);
    }
    return rc;
}

int ix_plugset_save(ix_plugset *ps, wh_err *err)
{
    if (!ps || !ps->n || !ps->calls)
        return 0;
    wh_lock l = { .fd = -1 };
    char path[PATH_MAX];
    json_t *prof = json_object();
    int rc = prof ? ix_plugins_path(ps->dir, IX_PLUGINS_LOCK, path, err)
                  : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    if (rc == 0)
        rc = wh_lock_take(&l, path, "wharf-index build", 1, NULL, NULL, err);
    if (rc == 0)
        rc = save_logs(ps, err);
    for (size_t i = 0; rc == 0 && i < ps->n; i++)
        if (json_object_size(ps->v[i].profile))
            json_object_set(prof, ps->v[i].name, ps->v[i].profile);
    if (rc == 0)
        rc = ix_plugin_profile_save(ps->dir, prof, (int64_t)time(NULL), err);
    wh_lock_release(&l);
    json_decref(prof);
    return rc;
}

/* catalog.c - the sources' modules for wharf's commands, read through
 * each source's table (catalog.h says where the tables live and when
 * they are rebuilt; common/index_table.c is the format).
 *
 * OPENING A SOURCE, in order:
 *   1. indexes/NAME/index.json.minisig, checked with the source's key (the
 *      pinned one, else the trusted key it names): its trusted comment
 *      gives the copy's SHA-256 HEX, serial and expiry.  No signature: the
 *      source has no index yet, and is skipped with a warning.
 *   2. table-HEX.bin, checked by wh_itab_open, and matched against that
 *      comment and the size of by-hash/HEX.json.  Nothing else is read:
 *      a search costs a signature check and one small file per source.
 *   3. Otherwise the copy is loaded and verified in full (wh_index_load),
 *      its table built and saved atomically.  A damaged table is said in
 *      a warning; a missing or stale one is the normal state after an
 *      update killed between its copy and its table, and heals silently.
 *      The reader does not remove old tables: without the lock it cannot
 *      tell an old one from one an update is writing (update prunes).
 *
 * The copy itself is mapped only when a module's records are asked for
 * (ins_catalog_module), and read through the table's span of it.
 *
 * Tests: tests/cli/t2005-wharf-search.sh, t2006-wharf-info.sh.
 */
#include "installer/catalog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "installer/shard_src.h"

enum { COPY_NONE, COPY_MAPPED, COPY_OWNED, COPY_BORROWED };

/* Where a source's files are. */
typedef struct src_paths {
    char dir[PATH_MAX], sig[PATH_MAX + 32], table[PATH_MAX + 128],
         copy[PATH_MAX + 128];
} src_paths;

/* --- one source's table ---------------------------------------------------- */

static void warn_msg(ins_catalog_warn_fn warn, void *ctx, const wh_err *e)
{
    if (warn)
        warn(ctx, e);
}

/* The key the source's copy must be signed with (as repo.c decides). */
static int source_key(const wh_minisign_sig *sig, const char *sig_path,
                      json_t *src, const wh_keyring *kr, wh_minisign_pubkey *pk,
                      wh_err *err)
{
    char id[17], pinned[17];
    const char *b64 = json_string_value(json_object_get(src, "key"));
    wh_minisign_keyid_hex(sig->key_id, id);
    if (b64) {
        if (wh_minisign_pubkey_from_base64(pk, b64, strlen(b64), err))
            return err->code;
        wh_minisign_keyid_hex(pk->key_id, pinned);
        return strcmp(id, pinned) == 0 ? 0 : wh_fail(err, WH_E_UNTRUSTED, sig_path,
            -1, "signed by key %s, not by %s, the key this source is pinned to",
            id, pinned);
    }
    const wh_minisign_pubkey *t = wh_keyring_find(kr, sig->key_id, NULL);
    if (!t)
        return wh_fail(err, WH_E_UNTRUSTED, sig_path, -1, "signed by key %s, "
                       "which is no longer trusted (wharf trust add KEY.pub)", id);
    *pk = *t;
    return 0;
}

static void table_path(char *out, size_t n, const char *dir, const char *hex)
{
    snprintf(out, n, "%s/" INS_TABLE_PREFIX "%s" INS_TABLE_SUFFIX, dir, hex);
}

static int set_paths(src_paths *p, const ins_home *h, const char *name,
                     const char *hex, wh_err *err)
{
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, INS_INDEXES_DIR "/%s", name);
    int rc = ins_home_path(h, rel, p->dir, sizeof p->dir, err);
    if (rc)
        return rc;
    snprintf(p->sig, sizeof p->sig, "%s/" WH_INDEX_SIG, p->dir);
    if (hex) {
        table_path(p->table, sizeof p->table, p->dir, hex);
        snprintf(p->copy, sizeof p->copy, "%s/" WH_INDEX_BYHASH "/%s.json", p->dir, hex);
    }
    return 0;
}

/* Take the table bytes t (owned from now) as s's, checked. */
static int adopt_table(ins_catalog_src *s, unsigned char *t, size_t len,
                       const char *path, wh_err *err)
{
    s->table = t;
    int rc = wh_itab_open(&s->tab, t, len, path, err);
    if (rc)
        return rc;
    s->serial = s->tab.head.serial;
    s->generated = s->tab.head.generated;
    s->expires = s->tab.head.expires;
    s->repository = s->tab.repository;
    return 0;
}

/* The saved table, when it belongs to the copy h names (else an error:
 * WH_E_NOTFOUND when missing, WH_E_VERIFY when stale). */
static int load_table(ins_catalog_src *s, const src_paths *p,
                      const wh_index_head *h, wh_err *err)
{
    char *t;
    size_t len;
    struct stat st;
    int rc = wh_file_read_stat(p->table, WH_ITAB_MAX, WH_READ_NOFOLLOW, &t, &len,
                               NULL, err);
    if (rc == 0)
        rc = adopt_table(s, (unsigned char *)t, len, p->table, err);
    if (rc == 0 && (lstat(p->copy, &st) != 0 || !S_ISREG(st.st_mode) ||
                    !wh_itab_matches(&s->tab, h, (uint64_t)st.st_size)))
        rc = wh_fail(err, WH_E_VERIFY, p->table, -1, "stale table");
    return rc;
}

/* Save a rebuilt table; a root we may not write is only a warning. */
static void save_table(const src_paths *p, const unsigned char *t, size_t len,
                       ins_catalog_warn_fn warn, void *ctx)
{
    wh_err e;
    if (wh_file_write_atomic(p->table, t, len, 0644, &e)) {
        wh_err_prefix(&e, "cannot save the rebuilt table");
        warn_msg(warn, ctx, &e);
    }
}

/* Rebuild s's table from its copy, verified in full with pk. */
static int rebuild(ins_catalog_src *s, const src_paths *p,
                   const wh_minisign_pubkey *pk, ins_catalog_warn_fn warn,
                   void *ctx, wh_err *err)
{
    wh_index ix;
    unsigned char *t = NULL;
    size_t len;
    src_paths now = *p;
    int rc = wh_index_load(&ix, p->dir, pk, err);
    if (rc)
        return rc;
    rc = wh_itab_build(&ix, &t, &len, err);
    table_path(now.table, sizeof now.table, p->dir, ix.head.sha256);
    if (rc == 0)
        rc = adopt_table(s, t, len, now.table, err);
    if (rc == 0) {
        save_table(&now, t, len, warn, ctx);
        s->copy = ix.bytes;             /* already in memory: keep it */
        s->copy_len = ix.len;
        s->copy_kind = COPY_OWNED;
        ix.bytes = NULL;
    }
    snprintf(s->copy_path, sizeof s->copy_path, "%s/" WH_INDEX_BYHASH "/%s.json",
             p->dir, ix.head.sha256);
    wh_index_free(&ix);
    return rc;
}

/* A source whose copy is a sharded index: its top level, checked with
 * the source's key; modules are read from the copy, or fetched into it,
 * when asked for (shard_src.c). */
static int open_shard(ins_catalog_src *s, const char *dir, const char *sig_path,
                      json_t *src, const wh_keyring *kr, const ins_catalog *cat,
                      wh_err *err)
{
    wh_minisign_sig sig;
    wh_minisign_pubkey pk;
    int rc = wh_minisign_sig_load_flags(&sig, sig_path, WH_MINISIGN_NOFOLLOW, err);
    if (rc == 0)
        rc = source_key(&sig, sig_path, src, kr, &pk, err);
    ins_shard_read *r = rc ? NULL : calloc(1, sizeof *r + 2 * PATH_MAX);
    if (rc == 0 && (!r || !(r->snap = calloc(1, sizeof *r->snap))))
        rc = wh_fail(err, WH_E_NOMEM, dir, -1, NULL);
    if (rc == 0)
        rc = wh_snap_load(r->snap, dir, &pk, err);
    if (rc) {
        if (r)
            free(r->snap);
        free(r);
        return rc;
    }
    char *d = (char *)(r + 1);
    snprintf(d, PATH_MAX, "%s", dir);
    r->dir = r->copy = d;
    r->locations = s->locations;
    r->timeout = cat->timeout;
    r->offline = cat->offline;
    s->shard = r;
    s->shard_owned = 1;
    s->serial = r->snap->head.serial;
    s->generated = r->snap->generated;
    s->expires = r->snap->head.expires;
    s->repository = r->snap->name;
    s->tab.head.modules = (uint32_t)r->snap->modules;
    return 0;
}

/* Open source name (its sources.json entry src) into s: 0, or an error
 * the caller turns into a warning. */
static int open_one(ins_catalog_src *s, const ins_home *h, const char *name,
                    json_t *src, const wh_keyring *kr, const ins_catalog *cat,
                    ins_catalog_warn_fn warn, void *ctx, wh_err *err)
{
    src_paths p;
    wh_minisign_sig sig;
    wh_minisign_pubkey pk;
    wh_index_head head;
    wh_err e;
    char snap_sig[PATH_MAX + 32];
    struct stat st;
    int rc = set_paths(&p, h, name, NULL, err);
    snprintf(snap_sig, sizeof snap_sig, "%s/" WH_SNAP_SIG, p.dir);
    if (rc == 0 && lstat(snap_sig, &st) == 0)
        return open_shard(s, p.dir, snap_sig, src, kr, cat, err);
    if (rc == 0 && (rc = wh_minisign_sig_load_flags(&sig, p.sig, WH_MINISIGN_NOFOLLOW,
                                                    err)) == WH_E_NOTFOUND)
        return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "source '%s' has no index "
                       "yet (wharf update)", name);
    if (rc == 0)
        rc = source_key(&sig, p.sig, src, kr, &pk, err);
    if (rc == 0)
        rc = wh_index_head_check(&sig, &pk, p.sig, &head, err);
    if (rc)
        return rc;
    set_paths(&p, h, name, head.sha256, NULL);
    snprintf(s->copy_path, sizeof s->copy_path, "%s", p.copy);
    if ((rc = load_table(s, &p, &head, &e)) == 0)
        return 0;
    if (rc == WH_E_FORMAT || rc == WH_E_LIMIT) {
        char why[sizeof e.reason];
        snprintf(why, sizeof why, "%s", e.reason);
        snprintf(e.reason, sizeof e.reason, "%.200s; rebuilt from the verified "
                 "index", why);
        warn_msg(warn, ctx, &e);
    }
    free(s->table);
    s->table = NULL;
    memset(&s->tab, 0, sizeof s->tab);
    return rebuild(s, &p, &pk, warn, ctx, err);
}

/* --- the catalog ---------------------------------------------------------------- */

static ins_catalog_src *new_src(ins_catalog *cat, const char *name,
                                json_t *locations, wh_err *err)
{
    ins_catalog_src *v = realloc(cat->src, (cat->n + 1) * sizeof *v);
    if (!v)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL), NULL;
    cat->src = v;
    ins_catalog_src *s = &v[cat->n];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->locations = json_incref(locations);
    return s;
}

static void src_free(ins_catalog_src *s)
{
    if (s->shard && s->shard_owned) {
        wh_snap_free(s->shard->snap);
        free(s->shard->snap);
    }
    free(s->shard);
    for (size_t i = 0; i < s->nnames; i++)
        free(s->names[i]);
    free(s->names);
    json_decref(s->shown);
    if (s->copy_kind == COPY_MAPPED)
        munmap(s->copy, s->copy_len);
    else if (s->copy_kind == COPY_OWNED)
        free(s->copy);
    free(s->table);
    json_decref(s->locations);
    memset(s, 0, sizeof *s);
}

int ins_catalog_open(ins_catalog *cat, const ins_home *h,
                     ins_catalog_warn_fn warn, void *ctx, wh_err *err)
{
    wh_keyring kr = { 0 };
    json_t *sources = NULL, *src;
    const char *name;
    int offline = cat->offline, timeout = cat->timeout;
    memset(cat, 0, sizeof *cat);
    cat->offline = offline;
    cat->timeout = timeout;
    int rc = ins_trust_load(h, &kr, err);
    if (rc == 0)
        rc = ins_sources_load(h, &sources, err);
    json_object_foreach(rc == 0 ? sources : NULL, name, src) {
        wh_err e;
        ins_catalog_src *s = new_src(cat, name, json_object_get(src, "locations"), err);
        if (!s) {
            rc = WH_E_NOMEM;
            break;
        }
        if (open_one(s, h, name, src, &kr, cat, warn, ctx, &e) == 0)
            cat->n++;
        else {
            warn_msg(warn, ctx, &e);
            src_free(s);
        }
    }
    wh_keyring_free(&kr);
    json_decref(sources);
    if (rc)
        ins_catalog_close(cat);
    return rc;
}

int ins_catalog_add_index(ins_catalog *cat, const char *name, json_t *locations,
                          const wh_index *ix, wh_err *err)
{
    unsigned char *t;
    size_t len;
    ins_catalog_src *s = new_src(cat, name, locations, err);
    if (!s)
        return WH_E_NOMEM;
    if (ix->snap) {               /* its bins in memory, modules fetched */
        if (!(s->shard = calloc(1, sizeof *s->shard)))
            return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
        s->shard->snap = ix->snap;
        s->shard->locations = s->locations;
        s->shard->timeout = cat->timeout;
        s->shard->offline = cat->offline;
        s->serial = ix->head.serial;
        s->generated = ix->generated;
        s->expires = ix->head.expires;
        s->repository = ix->snap->name;
        s->tab.head.modules = (uint32_t)ix->modules;
        cat->n++;
        return 0;
    }
    int rc = wh_itab_build(ix, &t, &len, err);
    if (rc == 0)
        rc = adopt_table(s, t, len, name, err);
    if (rc) {
        src_free(s);
        return rc;
    }
    s->copy = ix->bytes;
    s->copy_len = ix->len;
    s->copy_kind = COPY_BORROWED;
    snprintf(s->copy_path, sizeof s->copy_path, "%s", name);
    cat->n++;
    return 0;
}

void ins_catalog_close(ins_catalog *cat)
{
    for (size_t i = 0; i < cat->n; i++)
        src_free(&cat->src[i]);
    free(cat->src);
    memset(cat, 0, sizeof *cat);
}

/* --- modules ------------------------------------------------------------------------ */

/* Map s's copy (never through a link, never blocking), once. */
static int map_copy(ins_catalog_src *s, wh_err *err)
{
    struct stat st;
    if (s->copy_kind != COPY_NONE)
        return 0;
    int fd = open(s->copy_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return wh_fail_errno(err, errno, s->copy_path, "cannot open");
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size != s->tab.head.copy_size || st.st_size == 0)
        rc = wh_fail(err, WH_E_VERIFY, s->copy_path, -1, "not the index the "
                     "table was built from (wharf update)");
    void *m = rc ? MAP_FAILED : mmap(NULL, (size_t)st.st_size, PROT_READ,
                                     MAP_PRIVATE, fd, 0);
    if (rc == 0 && m == MAP_FAILED)
        rc = wh_fail_errno(err, errno, s->copy_path, "cannot map");
    close(fd);
    if (rc)
        return rc;
    s->copy = m;
    s->copy_len = (size_t)st.st_size;
    s->copy_kind = COPY_MAPPED;
    return 0;
}

/* Add s's versions vs to out, each not already there, marked with s. */
static int merge(json_t *out, json_t *vs, const ins_catalog_src *s, wh_err *err)
{
    const char *ver;
    json_t *rec;
    json_object_foreach(vs, ver, rec) {
        if (json_object_get(out, ver))
            continue;
        if (json_object_set_new(rec, "source", json_string(s->name)) ||
            json_object_set(out, ver, rec))
            return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    return 0;
}

int ins_catalog_module(ins_catalog *cat, const char *name, json_t **versions,
                       wh_err *err)
{
    json_t *out = json_object();
    int rc = out ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL), found = 0;
    *versions = NULL;
    for (size_t i = 0; rc == 0 && i < cat->n; i++) {
        ins_catalog_src *s = &cat->src[i];
        json_t *vs = NULL;
        if (s->shard) {
            s->shard->offline = cat->offline;
            int r = ins_shard_module(s->shard, name, &vs, err);
            if (r == 0)
                rc = merge(out, vs, s, err);
            else if (r != WH_E_NOTFOUND)
                rc = r;
            json_decref(vs);
            found |= r == 0;
            continue;
        }
        long k = wh_itab_find(&s->tab, name, strlen(name));
        if (k < 0)
            continue;
        rc = map_copy(s, err);
        if (rc == 0)
            rc = wh_itab_versions(&s->tab, (size_t)k, s->copy, s->copy_len,
                                  s->copy_path, &vs, err);
        if (rc == 0)
            rc = merge(out, vs, s, err);
        json_decref(vs);
        found = 1;
    }
    if (rc == 0 && !found)
        rc = wh_fail(err, WH_E_NOTFOUND, NULL, -1, "no module '%s' in any source",
                     name);
    if (rc == 0)
        *versions = out;
    else
        json_decref(out);
    return rc;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sharded source's module names, from every bin (read once). */
static int shard_names(ins_catalog_src *s)
{
    wh_snap *sn = s->shard->snap;
    wh_err e;
    if (s->names || sn->modules == 0)
        return 0;
    s->names = calloc(sn->modules, sizeof *s->names);
    for (size_t b = 0; s->names && b < sn->nbins; b++) {
        json_t *mods, *v;
        const char *name;
        if ((sn->bin_cache[b] || s->shard->dir) &&
            wh_snap_bin(sn, s->shard->dir, b, &mods, &e) == 0)
            json_object_foreach(mods, name, v)
                if (s->nnames < sn->modules)
                    s->names[s->nnames++] = strdup(name);
    }
    if (!s->names)
        return -1;
    qsort(s->names, s->nnames, sizeof *s->names, cmp_name);
    return 0;
}

/* Entry i of a sharded source: its name, and what its module file says
 * when the copy holds it (never fetched for a listing). */
static void shard_get(ins_catalog_src *s, size_t i, wh_itab_mod *m)
{
    ins_shard_read local = *s->shard;
    json_t *vs = NULL;
    wh_err e;
    memset(m, 0, sizeof *m);
    m->name = s->names[i];
    m->name_len = strlen(m->name);
    m->latest = m->description = m->categories = m->tags = "";
    local.locations = NULL;           /* the copy only */
    if (ins_shard_module(&local, m->name, &vs, &e) != 0)
        return;
    /* The strings must live as long as the catalog (a search keeps every
     * hit before it prints): the versions are kept, not replaced. */
    if (!s->shown)
        s->shown = json_array();
    if (json_array_append_new(s->shown, vs))
        return;
    const char *latest = wh_index_latest(vs);
    json_t *rec = json_object_get(vs, latest);
    const char *d = json_string_value(json_object_get(rec, "description"));
    m->latest = latest;
    m->latest_len = strlen(latest);
    m->description = d ? d : "";
    m->description_len = strlen(m->description);
}

int ins_catalog_next(const ins_catalog *cat, ins_catalog_iter *it,
                     const ins_catalog_src **src, wh_itab_mod *m)
{
    for (;;) {
        if (it->src >= cat->n)
            return 0;
        ins_catalog_src *s = &cat->src[it->src];
        if (s->shard && shard_names(s))
            return 0;
        size_t n = s->shard ? s->nnames : s->tab.head.modules;
        if (it->mod < n)
            break;
        it->src++;
        it->mod = 0;
    }
    ins_catalog_src *s = &cat->src[it->src];
    *src = s;
    if (s->shard)
        shard_get(s, it->mod++, m);
    else
        wh_itab_get(&s->tab, it->mod++, m);
    return 1;
}

void ins_catalog_warn_expired(const ins_catalog *cat, int64_t now,
                              ins_catalog_warn_fn warn, void *ctx)
{
    for (size_t i = 0; i < cat->n; i++) {
        char date[32];
        wh_err e;
        if (cat->src[i].expires >= now)
            continue;
        wh_cli_date(cat->src[i].expires, date);
        wh_fail(&e, WH_E_EXPIRED, NULL, -1, "source '%s': the index expired on "
                "%s; run wharf update", cat->src[i].name, date);
        warn_msg(warn, ctx, &e);
    }
}

/* --- update's side ------------------------------------------------------------------- */

/* Remove dir's tables other than keep (a file name). */
static int prune_tables(const char *dir, const char *keep, wh_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX + 300];
    size_t np = strlen(INS_TABLE_PREFIX);
    int rc = 0;
    while (d && rc == 0 && (de = readdir(d)))
        if (!strncmp(de->d_name, INS_TABLE_PREFIX, np) && strcmp(de->d_name, keep) &&
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name) < (int)sizeof path &&
            wh_fs_unlink(path) < 0 && errno != ENOENT)
            rc = wh_fail_errno(err, errno, path, "cannot remove");
    if (d)
        closedir(d);
    return rc;
}

int ins_catalog_store(const ins_home *h, const char *name, const wh_index *ix,
                      wh_err *err)
{
    src_paths p;
    unsigned char *t = NULL;
    size_t len;
    int rc = set_paths(&p, h, name, ix->head.sha256, err);
    if (rc == 0 && ix->snap)              /* no table: modules read one by one */
        return prune_tables(p.dir, "", err);
    if (rc == 0)
        rc = wh_itab_build(ix, &t, &len, err);
    if (rc == 0)
        rc = wh_file_write_atomic(p.table, t, len, 0644, err);
    free(t);
    return rc ? rc : prune_tables(p.dir, strrchr(p.table, '/') + 1, err);
}

/* --- showing index text ------------------------------------------------------------ */

/* The length of the printable UTF-8 character at s (of len bytes), or 0
 * when the byte at s must be escaped. */
static size_t printable_char(const unsigned char *s, size_t len)
{
    size_t k = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2
             : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (k == 0 || k > len || s[0] < 0x20 || s[0] == 0x7f || s[0] == 0xc0 ||
        s[0] == 0xc1 || s[0] > 0xf4 || (s[0] == 0xc2 && s[1] < 0xa0))
        return 0;                       /* C0, DEL, overlong, C1 controls */
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return k;
}

/* Columns s takes once shown. */
static size_t display_width(const unsigned char *s, size_t len)
{
    size_t w = 0;
    for (size_t i = 0, k; i < len; i += k ? k : 1)
        w += (k = printable_char(s + i, len - i)) ? 1 : 4;
    return w;
}

char *ins_display(char *out, size_t n, const char *s, size_t len, size_t cols)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0, w = 0, limit = (size_t)-1;
    if (cols > 0 && display_width(u, len) > cols)
        limit = cols > 3 ? cols - 3 : 0;
    for (size_t i = 0, k; i < len; i += k ? k : 1) {
        k = printable_char(u + i, len - i);
        size_t cw = k ? 1 : 4, bytes = k ? k : 4;
        if (w + cw > limit || o + bytes + 4 > n)
            break;
        if (k)
            memcpy(out + o, s + i, k);
        else
            snprintf(out + o, 5, "\\x%02x", u[i]);
        o += bytes;
        w += cw;
    }
    if (limit != (size_t)-1 && o + 4 <= n) {
        while (o > 0 && out[o - 1] == ' ')
            o--;                        /* "says..." rather than "says ..." */
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* apply.c - what install, upgrade, uninstall and install --locked share:
 * the session (install root, lock, keys, sources, catalog, installed
 * state), the changes a resolution implies, saying them, and carrying
 * them out: every package fetched (pkgcache.c: cache, then each
 * location in order) and verified before anything is staged, then one
 * transaction (txn.c).
 *
 * VERIFYING A PACKAGE.  pkgcache.c checks size and SHA-256 against the
 * signed record.  Here the package is then read as its format demands
 * (wh_pkg_read_mem: a PAR's claims signature and every target's hash
 * again, a .ferrpkg's checksum, a bundle's manifest and module), and its
 * own name, version and kind must be the record's: a file that the index
 * vouches for by hash but that says it is something else is refused.  A
 * "format:PLUGIN" package (read by a wharf-index plugin, which wharf does
 * not have) is not read: its signed size and SHA-256 are the proof, and
 * it is installed as the one file its record names.
 *
 * Tests: tests/cli/t2010-wharf-install.sh, t3002-attack-packages.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/pkg.h"
#include "common/semver.h"
#include "installer/catalog.h"
#include "installer/pkgcache.h"

/* --- the changes ------------------------------------------------------------ */

static json_t *new_entry(json_t *record, const char *version, json_t *world,
                         const char *name, int64_t now)
{
    json_t *deps = json_object_get(record, "dependencies");
    json_t *e = json_pack("{sssOsOsOsOsosI}", "version", version,
        "source", json_object_get(record, "source"),
        "kind", json_object_get(record, "kind"),
        "sha256", json_object_get(record, "sha256"),
        "size", json_object_get(record, "size"),
        "dependencies", deps ? json_incref(deps) : json_object(),
        "installed", (json_int_t)now);
    if (e && json_object_get(world, name))
        json_object_set(e, "request", json_object_get(world, name));
    return e;
}

/* One change: install (no old), upgrade/downgrade, entry only, removal. */
static int add_change(ins_changes *cs, const char *name, const char *version,
                      const char *old, json_t *entry, json_t *record)
{
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? 2 * cs->cap : 16;
        ins_change *c = realloc(cs->c, cap * sizeof *c);
        ins_change_info *ci = realloc(cs->info, cap * sizeof *ci);
        if (c)
            cs->c = c;
        if (ci)
            cs->info = ci;
        if (!c || !ci)
            return WH_E_NOMEM;
        cs->cap = cap;
    }
    ins_change *c = &cs->c[cs->n];
    ins_change_info *ci = &cs->info[cs->n++];
    memset(c, 0, sizeof *c);
    memset(ci, 0, sizeof *ci);
    /* Copies: installed's strings go when a transaction replaces it. */
    c->name = ci->name = strdup(name);
    c->version = ci->version = version ? strdup(version) : NULL;
    ci->old = old ? strdup(old) : NULL;
    c->entry = entry;
    ci->record = record;
    return !ci->name || (version && !ci->version) || (old && !ci->old) ? WH_E_NOMEM : 0;
}

int ins_changes_from(ins_changes *cs, ins_plan_ctx *p, json_t *installed,
                     json_t *world, json_t *picks, wh_err *err)
{
    const char *name, *ver;
    json_t *v, *m;
    int64_t now = (int64_t)time(NULL);
    memset(cs, 0, sizeof *cs);
    json_object_foreach(picks, name, v) {
        const char *old = ins_installed_version(installed, name);
        ver = json_string_value(v);
        json_t *rec = ins_plan_record(p, name, ver);
        json_t *cur = json_object_get(installed, name);
        json_t *req = json_object_get(world, name);
        int same = old && !strcmp(old, ver);
        if (same && json_equal(req, json_object_get(cur, "request")))
            continue;
        json_t *e = same ? json_deep_copy(cur) : new_entry(rec, ver, world, name, now);
        if (e && same)
            req ? json_object_set(e, "request", req) : json_object_del(e, "request");
        if (!e || add_change(cs, name, ver, old, e, same ? NULL : rec))
            return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    json_object_foreach(installed, name, m)
        if (!json_object_get(picks, name) &&
            add_change(cs, name, NULL, ins_installed_version(installed, name), NULL, NULL))
            return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    return 0;
}

void ins_changes_free(ins_changes *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        json_decref(cs->c[i].entry);
        free(cs->info[i].data);
        free(cs->info[i].name);
        free(cs->info[i].version);
        free(cs->info[i].old);
        if (cs->info[i].has_pkg)
            wh_pkg_free(&cs->info[i].pkg);
    }
    free(cs->c);
    free(cs->info);
    memset(cs, 0, sizeof *cs);
}

/* --- saying them ----------------------------------------------------------- */

static const char *action(const ins_change *c, const ins_change_info *ci)
{
    if (!c->entry)
        return "remove";
    if (!ci->record)
        return ci->old ? "keep" : "install";
    if (!ci->old)
        return "install";
    wh_semver a, b;
    wh_err e;
    if (wh_semver_parse(&a, ci->old, strlen(ci->old), &e) ||
        wh_semver_parse(&b, c->version, strlen(c->version), &e))
        return "replace";
    return wh_semver_compare(&b, &a) > 0 ? "upgrade" : "downgrade";
}

/* Each change's action; counts[k] for the five of them. */
static const char *const actions[5] = { "install", "upgrade", "downgrade", "remove",
                                        "replace" };

void ins_changes_print(const ins_changes *cs, const ins_change_opts *o)
{
    for (size_t i = 0; i < cs->n && !o->json && !o->quiet; i++) {
        const ins_change *c = &cs->c[i];
        const ins_change_info *ci = &cs->info[i];
        const char *a = action(c, ci);
        const char *src = json_string_value(json_object_get(ci->record, "source"));
        if (!strcmp(a, "keep"))
            continue;
        if (ci->old && c->version)
            printf("%s %s %s -> %s (%s)\n", a, c->name, ci->old, c->version, src);
        else
            printf(src ? "%s %s %s (%s)\n" : "%s %s %s\n", a, c->name,
                   c->version ? c->version : ci->old, src);
    }
}

static void print_json(const ins_changes *cs, const ins_change_opts *o)
{
    json_t *arr = json_array(), *out;
    for (size_t i = 0; i < cs->n; i++) {
        const ins_change *c = &cs->c[i];
        const ins_change_info *ci = &cs->info[i];
        const char *a = action(c, ci);
        if (strcmp(a, "keep"))
            json_array_append_new(arr, json_pack("{ssssssss?ss?}", "action", a,
                "name", c->name, "version", c->version ? c->version : ci->old,
                "from", c->version ? ci->old : NULL,
                "source", json_string_value(json_object_get(ci->record, "source"))));
    }
    out = json_pack("{sosb}", "changes", arr, "dry_run", o->dry_run);
    if (out)
        wh_json_print(out, NULL);
    json_decref(out);
}

void ins_changes_summary(const ins_changes *cs, const ins_change_opts *o)
{
    static const char *const done[5] = { "installed", "upgraded", "downgraded",
                                         "removed", "replaced" };
    size_t counts[5] = { 0 }, total = 0;
    const char *sep = "";
    if (o->json) {
        print_json(cs, o);
        return;
    }
    for (size_t i = 0; i < cs->n; i++)
        for (int k = 0; k < 5; k++)
            if (!strcmp(action(&cs->c[i], &cs->info[i]), actions[k])) {
                counts[k]++;
                total++;
            }
    if (o->quiet)
        return;
    if (total == 0) {
        printf("nothing to do\n");
        return;
    }
    printf("%s", o->dry_run ? "dry run: would " : "");
    for (int k = 0; k < 5; k++)
        if (counts[k]) {
            printf("%s%s %zu", sep, o->dry_run ? actions[k] : done[k], counts[k]);
            sep = ", ";
        }
    printf("\n");
}

/* --- fetching and verifying ------------------------------------------------ */


static void warn_location(void *ctx, const wh_err *e)
{
    char msg[WH_ERR_LINE_MAX];
    fprintf(stderr, "%s: warning: %s\n", (const char *)ctx,
            wh_err_format(e, msg, sizeof msg));
}

/* The record as common/index.h's reader gives one. */
static void record_pkg(wh_index_pkg *p, const char *name, const char *version,
                       json_t *rec)
{
    memset(p, 0, sizeof *p);
    p->module = name;
    p->version = version;
    p->kind = json_string_value(json_object_get(rec, "kind"));
    p->path = json_string_value(json_object_get(rec, "path"));
    p->sha256 = json_string_value(json_object_get(rec, "sha256"));
    p->size = (uint64_t)json_integer_value(json_object_get(rec, "size"));
    p->record = rec;
}

/* A format:PLUGIN package has no reader outside its plugin: the signed
 * record's size and SHA-256, already checked, are the whole proof, and
 * the record is what wh_pkg_unpack installs it by (as its "file"). */
static int format_pkg(ins_change *c, ins_change_info *ci, wh_err *err)
{
    wh_pkg *pkg = &ci->pkg;
    memset(pkg, 0, sizeof *pkg);
    pkg->kind = WH_PKG_FORMAT;
    snprintf(pkg->name, sizeof pkg->name, "%s", c->name);
    snprintf(pkg->version, sizeof pkg->version, "%s", c->version);
    if (!(pkg->record = json_deep_copy(ci->record)))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    ci->has_pkg = 1;
    c->pkg = pkg;
    return 0;
}

/* Read the package as its format demands; it must be what its record
 * says: name, version, kind. */
static int check_identity(ins_change *c, ins_change_info *ci, wh_err *err)
{
    wh_pkg *pkg = &ci->pkg;
    const char *kind = json_string_value(json_object_get(ci->record, "kind"));
    if (wh_index_format_plugin(kind))
        return format_pkg(c, ci, err);
    int rc = wh_pkg_read_mem(c->path, c->data, c->len, NULL, pkg, err);
    if (rc)
        return rc;
    ci->has_pkg = 1;
    c->pkg = pkg;
    if (strcmp(pkg->name, c->name) || strcmp(pkg->version, c->version) ||
        strcmp(wh_pkg_kind_name(pkg->kind), kind ? kind : ""))
        return wh_fail(err, WH_E_VERIFY, c->path, -1, "the package is %s %s (%s), "
                       "but the signed index lists it as %s %s (%s)", pkg->name,
                       pkg->version, wh_pkg_kind_name(pkg->kind), c->name, c->version,
                       kind ? kind : "?");
    return 0;
}

/* The locations of the catalog's source called name (NULL: none). */
static json_t *locations(ins_catalog *cat, const char *name)
{
    for (size_t i = 0; cat && name && i < cat->n; i++)
        if (!strcmp(cat->src[i].name, name))
            return cat->src[i].locations;
    return NULL;
}

static int fetch_one(const ins_home *h, ins_catalog *cat, ins_change *c,
                     ins_change_info *ci, const ins_change_opts *o, wh_err *err)
{
    wh_index_pkg p;
    ins_pkg_got g;
    char label[400], line[WH_ERR_LINE_MAX + 8192];
    const char *src = json_string_value(json_object_get(ci->record, "source"));
    record_pkg(&p, c->name, c->version, ci->record);
    snprintf(label, sizeof label, "%s %s", c->name, c->version);
    ins_pkg_opts po = { o->offline, o->timeout, o->json || o->quiet ? NULL : label,
                        0, warn_location, (void *)o->prog };
    int rc = ins_pkg_get(h, locations(cat, src), &p, &po, &g, err);
    if (rc) {               /* the whole line: it may pass err's 256 bytes */
        fprintf(stderr, "%s: %s\n", o->prog, ins_pkg_failure(err, &g, line, sizeof line));
        err->reason[0] = '\0';
        ins_pkg_got_free(&g);
        return rc;
    }
    snprintf(ci->path, sizeof ci->path, "%s/%s", g.from, p.path);
    ci->data = g.data;
    g.data = NULL;
    c->data = (const uint8_t *)ci->data;
    c->len = g.len;
    c->path = ci->path;
    ins_pkg_got_free(&g);
    return check_identity(c, ci, err);
}

int ins_changes_apply(const ins_home *h, ins_catalog *cat, ins_changes *cs,
                      json_t *installed, const ins_change_opts *o, wh_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cs->n; i++)
        if (cs->info[i].record && !cs->c[i].data)
            rc = fetch_one(h, cat, &cs->c[i], &cs->info[i], o, err);
        else if (cs->c[i].data && !cs->info[i].has_pkg)
            rc = check_identity(&cs->c[i], &cs->info[i], err);
    return rc ? rc : ins_txn_apply(h, installed, cs->c, cs->n, err);
}

int ins_changes_do(ins_changes *cs, ins_session *s, const ins_change_opts *o,
                   wh_err *err)
{
    ins_changes_print(cs, o);
    int rc = o->dry_run ? 0 : ins_changes_apply(&s->h, s->cat, cs, s->installed, o, err);
    if (rc == 0)
        ins_changes_summary(cs, o);
    return rc;
}

int ins_report(const char *prog, const wh_err *err, const char *why)
{
    /* An empty reason: the error was said where it happened. */
    int rc = err->reason[0] ? wh_cli_report(prog, err) : wh_err_exit(err->code);
    if (why)
        fprintf(stderr, "%s", why);
    return rc;
}

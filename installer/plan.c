/* plan.c - from what the user asks to what changes: the world, the
 * resolver's provider, and the list of changes.
 *
 * THE WORLD.  installed.json's entries with a "request" (the SPEC as the
 * user gave it) are what the user asked for; the rest are there because
 * something needs them.  install adds to the world, uninstall takes from
 * it, and each resolves the whole world again (common/resolve.c), so a
 * change never leaves an installed module's dependency unmet, and a
 * dependency nobody needs any more goes (apk's model).
 *
 * THE PROVIDER.  A module's candidates are its versions in the sources
 * (installer/catalog.c, merged across sources) plus its installed version
 * even when no source lists it any more (a local file, a source removed,
 * a version pruned): what is installed stays installable offline.  The
 * installed version is tried first unless the module is being upgraded;
 * a yanked version counts only when pinned with '='; a PAR without a
 * binary for this machine's target is unavailable, which explanations
 * say.  Dependencies come only from the signed records (or, for an
 * installed version, from its entry, copied from its record).
 *
 * THE CHANGES.  Each pick differing from the installed version is an
 * install (downloaded and verified later by cmd_install.c), each
 * installed module not picked a removal, and a module whose only change
 * is its "request" an entry change.
 *
 * Tests: tests/cli/t2010-wharf-install.sh, t2013-wharf-resolve.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pkg.h"
#include "common/resolve.h"
#include "common/semver.h"
#include "installer/catalog.h"
#include "installer/spec.h"

/* --- the provider -------------------------------------------------------- */

typedef struct prov_mod {
    json_t             *versions;    /* VERSION -> record (with "source") */
    wh_resolve_version *v;
    size_t              nv;
    wh_resolve_dep    **deps;        /* per version, built on demand */
    size_t             *ndeps;
    json_t             *why;         /* strings the unavailable reasons point to */
} prov_mod;

struct ins_plan_ctx {
    ins_catalog *cat;
    json_t      *installed;
    json_t      *upgrade;     /* names whose installed version is not preferred;
                                 NULL: none; the JSON true: every one */
    json_t      *local;       /* NAME -> {VERSION: record}: local files */
    json_t      *index;       /* NAME -> integer into mods */
    prov_mod    *mods;
    size_t       n, cap;
    char         unavailable[256];
};

/* An installed entry as a record, for a version no source lists. */
static json_t *entry_record(json_t *entry)
{
    return json_pack("{sOsOsOsOsO}", "kind", json_object_get(entry, "kind"),
                     "sha256", json_object_get(entry, "sha256"),
                     "size", json_object_get(entry, "size"),
                     "source", json_object_get(entry, "source"),
                     "dependencies", json_object_get(entry, "dependencies"));
}

/* The candidates of name: a new object, VERSION -> record. */
static int candidates(ins_plan_ctx *p, const char *name, json_t **out,
                      wh_err *err)
{
    json_t *local = json_object_get(p->local, name);
    json_t *entry = json_object_get(p->installed, name);
    int rc = 0;
    *out = NULL;
    if (local)
        *out = json_deep_copy(local);
    else if (p->cat && (rc = ins_catalog_module(p->cat, name, out, err)) == WH_E_NOTFOUND)
        rc = 0;
    if (rc)
        return rc;
    if (!*out && !(*out = json_object()))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    const char *iv = json_string_value(json_object_get(entry, "version"));
    if (iv && !json_object_get(*out, iv))
        json_object_set_new(*out, iv, entry_record(entry));
    if (json_object_size(*out) == 0) {
        json_decref(*out);
        *out = NULL;
        return wh_fail(err, WH_E_NOTFOUND, NULL, -1, "no module '%s' in any source",
                       name);
    }
    return 0;
}

/* Why record cannot be used on this machine, or NULL: a PAR without a
 * binary for this target. */
static const char *unavailable(ins_plan_ctx *p, json_t *record)
{
    wh_err e;
    if (wh_pkg_target_check(NULL, record, NULL, &e) == 0)
        return NULL;
    snprintf(p->unavailable, sizeof p->unavailable, "%s", e.reason);
    return p->unavailable;
}

static int load_module(ins_plan_ctx *p, const char *name, prov_mod **out,
                       wh_err *err)
{
    json_t *at = json_object_get(p->index, name), *versions, *rec;
    if (at) {
        *out = &p->mods[json_integer_value(at)];
        return 0;
    }
    int rc = candidates(p, name, &versions, err);
    if (rc)
        return rc;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        prov_mod *m = realloc(p->mods, cap * sizeof *m);
        if (!m) {
            json_decref(versions);
            return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
        }
        p->mods = m;
        p->cap = cap;
    }
    prov_mod *m = &p->mods[p->n];
    memset(m, 0, sizeof *m);
    m->versions = versions;
    size_t k = json_object_size(versions), i = 0;
    m->v = calloc(k, sizeof *m->v);
    m->deps = calloc(k, sizeof *m->deps);
    m->ndeps = calloc(k, sizeof *m->ndeps);
    m->why = json_array();
    if (!m->v || !m->deps || !m->ndeps || !m->why) {
        free(m->v); free(m->deps); free(m->ndeps);
        json_decref(m->why);
        json_decref(versions);
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    }
    const char *ver;
    json_object_foreach(versions, ver, rec) {
        m->v[i].version = ver;
        m->v[i].yanked = json_object_get(rec, "yanked") != NULL;
        const char *why = unavailable(p, rec);
        if (why && json_array_append_new(m->why, json_string(why)) == 0)
            why = json_string_value(json_array_get(m->why, json_array_size(m->why) - 1));
        m->v[i].unavailable = why;
        i++;
    }
    m->nv = k;
    json_object_set_new(p->index, name, json_integer((json_int_t)p->n));
    *out = &p->mods[p->n++];
    return 0;
}

static int prov_versions(void *ctx, const char *name, const wh_resolve_version **v,
                         size_t *n, wh_err *err)
{
    prov_mod *m;
    int rc = load_module(ctx, name, &m, err);
    if (rc == 0) {
        *v = m->v;
        *n = m->nv;
    }
    return rc;
}

static int prov_deps(void *ctx, const char *name, const char *version,
                     const wh_resolve_dep **d, size_t *n, wh_err *err)
{
    prov_mod *m;
    int rc = load_module(ctx, name, &m, err);
    size_t i = 0;
    while (rc == 0 && i < m->nv && strcmp(m->v[i].version, version))
        i++;
    if (rc == 0 && i == m->nv)
        rc = wh_fail(err, WH_E_INTERNAL, NULL, -1, "no version %s of %s", version, name);
    if (rc == 0 && !m->deps[i]) {
        json_t *deps = json_object_get(json_object_get(m->versions, version),
                                       "dependencies"), *req;
        const char *dn;
        size_t k = 0;
        m->deps[i] = calloc(json_object_size(deps) + 1, sizeof **m->deps);
        if (!m->deps[i])
            return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
        json_object_foreach(deps, dn, req) {
            m->deps[i][k].name = dn;
            m->deps[i][k++].req = json_string_value(req);
        }
        m->ndeps[i] = k;
    }
    if (rc == 0) {
        *d = m->deps[i];
        *n = m->ndeps[i];
    }
    return rc;
}

static const char *prov_preferred(void *ctx, const char *name)
{
    ins_plan_ctx *p = ctx;
    if (json_is_true(p->upgrade) || json_object_get(p->upgrade, name))
        return NULL;
    return ins_installed_version(p->installed, name);
}

/* --- the plan ------------------------------------------------------------ */

ins_plan_ctx *ins_plan_new(ins_catalog *cat, json_t *installed)
{
    ins_plan_ctx *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cat = cat;
    p->installed = installed;
    p->local = json_object();
    p->index = json_object();
    if (!p->local || !p->index) {
        ins_plan_free(p);
        return NULL;
    }
    return p;
}

void ins_plan_free(ins_plan_ctx *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        for (size_t k = 0; k < p->mods[i].nv; k++)
            free(p->mods[i].deps[k]);
        free(p->mods[i].deps);
        free(p->mods[i].ndeps);
        free(p->mods[i].v);
        json_decref(p->mods[i].versions);
        json_decref(p->mods[i].why);
    }
    free(p->mods);
    json_decref(p->local);
    json_decref(p->index);
    json_decref(p->upgrade);
    free(p);
}

int ins_plan_local(ins_plan_ctx *p, const char *name, const char *version,
                   json_t *record, wh_err *err)
{
    json_t *v = json_object();
    if (!v || json_object_set(v, version, record) ||
        json_object_set_new(p->local, name, v))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    return 0;
}

void ins_plan_upgrade(ins_plan_ctx *p, json_t *names)
{
    json_decref(p->upgrade);
    p->upgrade = json_incref(names);
}

json_t *ins_plan_record(ins_plan_ctx *p, const char *name, const char *version)
{
    json_t *at = json_object_get(p->index, name);
    return at ? json_object_get(p->mods[json_integer_value(at)].versions, version)
              : NULL;
}

/* Resolve world ({NAME: SPEC text}) into *picks ({NAME: VERSION}). */
int ins_plan_resolve(ins_plan_ctx *p, json_t *world, json_t **picks,
                     char **explanation, wh_err *err)
{
    wh_resolve_provider prov = { p, prov_versions, prov_deps, prov_preferred, 0 };
    size_t n = json_object_size(world), i = 0;
    wh_resolve_request *req = calloc(n + 1, sizeof *req);
    ins_spec *specs = calloc(n + 1, sizeof *specs);
    wh_resolve_result res = { 0 };
    const char *name;
    json_t *spec;
    int rc = req && specs ? 0 : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    *picks = NULL;
    *explanation = NULL;
    json_object_foreach(world, name, spec) {
        if (rc == 0)
            rc = ins_spec_parse(json_string_value(spec), &specs[i], err);
        if (rc == 0) {
            req[i].name = name;
            req[i].req = specs[i].req;
            req[i].req_text = specs[i].req_text;
        }
        i++;
    }
    if (rc == 0)
        rc = wh_resolve(&prov, req, n, &res, err);
    if (rc == 0 && !(*picks = json_object()))
        rc = wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    for (size_t k = 0; rc == 0 && k < res.n; k++)
        json_object_set_new(*picks, res.pick[k].name, json_string(res.pick[k].version));
    if (rc == WH_E_CONFLICT && res.explanation) {
        *explanation = res.explanation;
        res.explanation = NULL;
    }
    wh_resolve_result_free(&res);
    for (size_t k = 0; k < n && specs; k++)
        ins_spec_free(&specs[k]);
    free(specs);
    free(req);
    return rc;
}

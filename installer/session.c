/* session.c - what a command that reads or changes installed modules
 * opens first, in this order: the install root, its lock (for a change,
 * not for --dry-run), the installed state (and, holding the lock, the
 * clean-up of an interrupted change: txn.c), the trusted keys, and, when
 * the command needs the sources' modules, the catalog: the sources'
 * verified indexes, or with --from the index at those locations alone,
 * fetched and verified now and kept nowhere (a one-off).
 *
 * FREEZE.  An index copy that has expired since `wharf update` is refused
 * here too, unless --allow-expired, which warns: an operator offline for
 * months must decide, not be surprised.
 *
 * Tests: tests/cli/t2010-wharf-install.sh, t2014-wharf-from.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "installer/catalog.h"

/* The index at the --from locations, as a source named "from". */
static int open_from(ins_session *s, const ins_session_opts *o, wh_err *err)
{
    json_t *seen = NULL, *src = json_pack("{sOsn}", "locations", o->from, "key");
    ins_fetch_opts fo = { .now = (int64_t)time(NULL),
                          .allow_expired = o->allow_expired,
                          .timeout = o->timeout };
    wh_err first;
    size_t i;
    json_t *v;
    int rc = src ? ins_seen_load(&s->h, &seen, err) : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    wh_err_clear(&first);
    json_array_foreach(rc == 0 ? o->from : NULL, i, v) {
        wh_index ix;
        wh_minisign_sig sig;
        wh_err e;
        const char *loc = json_string_value(v);
        if (o->offline && ins_location_is_http(loc)) {
            fprintf(stderr, "%s: warning: %s: skipped: --offline\n", o->prog, loc);
            continue;
        }
        if (ins_repo_fetch_one(loc, src, &s->kr, seen, &fo, &ix, &sig, &e) == 0) {
            s->from[0] = ix;          /* the catalog borrows its bytes */
            s->nfrom = 1;
            rc = ins_catalog_add_index(s->cat, "from", o->from, &s->from[0], err);
            json_decref(src);
            json_decref(seen);
            return rc;
        }
        char msg[WH_ERR_LINE_MAX];
        fprintf(stderr, "%s: warning: %s\n", o->prog, wh_err_format(&e, msg, sizeof msg));
        if (!first.code)
            first = e;
    }
    json_decref(src);
    json_decref(seen);
    if (rc)
        return rc;
    return wh_fail(err, first.code ? first.code : WH_E_NOTFOUND, NULL, -1,
                   "--from: no location served a usable index");
}

static void warn(void *ctx, const wh_err *e)
{
    char msg[WH_ERR_LINE_MAX];
    fprintf(stderr, "%s: warning: %s\n", (const char *)ctx,
            wh_err_format(e, msg, sizeof msg));
}

/* Freeze: a source whose index expired is refused, or with
 * --allow-expired used with a warning. */
static int check_expiry(const ins_session *s, const ins_session_opts *o,
                        wh_err *err)
{
    int64_t now = (int64_t)time(NULL);
    char date[32];
    for (size_t i = 0; i < s->cat->n; i++) {
        const ins_catalog_src *src = &s->cat->src[i];
        if (src->expires >= now)
            continue;
        wh_cli_date(src->expires, date);
        if (!o->allow_expired)
            return wh_fail(err, WH_E_EXPIRED, NULL, -1, "source '%s': the index "
                           "expired on %s (wharf update, or --allow-expired)",
                           src->name, date);
        fprintf(stderr, "%s: warning: source '%s': the index expired on %s, %lld "
                "days ago; used because of --allow-expired\n", o->prog, src->name,
                date, (long long)((now - src->expires) / 86400));
    }
    return 0;
}

static int open_catalog(ins_session *s, const ins_session_opts *o, wh_err *err)
{
    if (!(s->cat = calloc(1, sizeof *s->cat)))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    s->cat->offline = o->offline;
    s->cat->timeout = o->timeout;
    int rc = o->from ? open_from(s, o, err)
                     : ins_catalog_open(s->cat, &s->h, warn, (void *)o->prog, err);
    if (rc == 0 && o->expired_warns)
        ins_catalog_warn_expired(s->cat, (int64_t)time(NULL), warn, (void *)o->prog);
    return rc || o->expired_warns ? rc : check_expiry(s, o, err);
}

int ins_session_open(ins_session *s, const ins_session_opts *o, wh_err *err)
{
    memset(s, 0, sizeof *s);
    s->h.lock.fd = -1;          /* closing is safe whatever fails */
    int rc = ins_home_find(&s->h, o->home, err);
    if (rc == 0 && o->lock)
        rc = ins_home_lock(&s->h, o->prog, o->wait, o->quiet, err);
    if (rc == 0)
        rc = ins_installed_load(&s->h, &s->installed, err);
    if (rc == 0 && o->lock)
        rc = ins_txn_recover(&s->h, s->installed, err);
    if (rc == 0)
        rc = ins_trust_load(&s->h, &s->kr, err);
    if (rc == 0 && o->catalog)
        rc = open_catalog(s, o, err);
    return rc;
}

int ins_session_open_read(ins_session *s, const char *prog,
                          const ins_cmd_opts *c, wh_err *err)
{
    ins_session_opts so = { .prog = prog, .home = c->home, .quiet = c->quiet,
        .catalog = 1, .timeout = c->timeout, .from = c->from,
        .offline = c->offline, .expired_warns = 1 };
    json_t *sources = NULL;
    memset(s, 0, sizeof *s);
    s->h.lock.fd = -1;
    int rc = c->from ? 0 : ins_home_find(&s->h, c->home, err);
    if (rc == 0 && !c->from)
        rc = ins_sources_load(&s->h, &sources, err);
    if (rc == 0 && !c->from && json_object_size(sources) == 0)
        rc = wh_fail(err, WH_E_NOTFOUND, NULL, -1, "no sources (wharf source "
                     "add NAME LOCATION)");
    json_decref(sources);
    return rc ? rc : ins_session_open(s, &so, err);
}

ins_session_opts ins_session_opts_of(const char *prog, const ins_cmd_opts *c,
                                     int changes, int catalog)
{
    ins_session_opts so = { .prog = prog, .home = c->home, .wait = c->wait,
        .quiet = c->quiet, .lock = changes && !c->dry_run, .catalog = catalog,
        .allow_expired = c->allow_expired, .timeout = c->timeout,
        .from = c->from, .offline = c->offline };
    return so;
}

int ins_session_main(const ins_session_opts *so, ins_session_fn fn, void *o)
{
    ins_session s;
    wh_err err;
    char *why = NULL;
    wh_err_clear(&err);
    int rc = ins_session_open(&s, so, &err);
    if (rc == 0)
        rc = fn(o, &s, &why, &err);
    if (rc)
        rc = ins_report(so->prog, &err, why);
    free(why);
    ins_session_close(&s);
    return rc;
}

void ins_session_close(ins_session *s)
{
    for (size_t i = 0; i < s->nfrom; i++)
        wh_index_free(&s->from[i]);
    if (s->cat)
        ins_catalog_close(s->cat);
    free(s->cat);
    json_decref(s->installed);
    wh_keyring_free(&s->kr);
    ins_home_unlock(&s->h);
    memset(s, 0, sizeof *s);
}

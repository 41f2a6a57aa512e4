/* cmd_catalogue.c - `wharf-index catalogue SITE [-t DIR]`: render a site's
 * HTML catalogue again from the index it has, without building.
 *
 * For a theme's author trying a theme on a real site, or a site whose
 * catalogue was turned off (--no-catalogue) or damaged: it needs the
 * repository's public key, not its secret one, and reads no package.
 * It takes SITE's lock like a build (one writer at a time), removes what a
 * killed run left, loads the index as any reader would (the signature by
 * the key, the index it names, its hash and format), and writes the pages
 * that changed (catalogue.c), exactly as the next build would.  A site
 * with only the sharded index gets its paged catalogue
 * (catalogue_paged.c): what changed since the catalogue's state.
 *
 * Tests: tests/cli/t1107-catalogue.sh, t1111-catalogue-paged.sh.
 */
#include "indexer/indexer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cli.h"
#include "common/shard.h"

enum { OPT_WAIT = 256 };

static const wh_opt opts[] = {
    { 'p', "public-key", "FILE", "repository public key (default: repo.pub)" },
    { 't', "templates", "DIR", "the theme (default: the installed one)" },
    { 'j', "jobs", "N", "render on N threads (default: the CPUs)" },
    { OPT_WAIT, "wait", NULL, "wait while a build writes SITE (else exit 7)" },
    { 'q', "quiet", NULL, "no summary" },
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf-index catalogue SITE [-p REPO.pub] [-t DIR] [options]";
static const char description[] =
    "Render SITE's HTML catalogue (index.html, modules/, categories/,\n"
    "feed.xml, search.js, assets/) again from its signed index, with the\n"
    "default theme or --templates DIR; only pages whose bytes change are\n"
    "written. Needs the public key only.";

#define PROG "wharf-index catalogue"

typedef struct cat_opts {
    const char *site, *pub, *templates;
    int jobs, wait, quiet;
} cat_opts;

static int parse_args(cat_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->pub = "repo.pub";
    o->jobs = ix_cpu_count();
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int c;
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        switch (c) {
        case 'p': o->pub = cli.arg; break;
        case 't': o->templates = cli.arg; break;
        case 'q': o->quiet = 1; break;
        case OPT_WAIT: o->wait = 1; break;
        case 'j':
            if (ix_jobs_arg(&cli, &o->jobs))
                return WH_EXIT_USAGE;
            break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    if (cli.argc != 1) {
        snprintf(cli.msg, sizeof cli.msg, "%s", cli.argc == 0 ? "no site given"
                 : "one site expected");
        return wh_cli_usage_error(&cli);
    }
    o->site = cli.argv[0];
    return 0;
}

int cmd_catalogue(int argc, char **argv)
{
    cat_opts o;
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    wh_err err;
    wh_err_clear(&err);
    wh_minisign_pubkey pk;
    ix_theme *theme = NULL;
    wh_lock lock = { -1 };
    ix_cat_stats st = { 0 };
    size_t temporaries = 0;
    /* Only a site gets a lock file: not a folder named by mistake. */
    struct stat sb;
    char *sig = ix_join(o.site, "/", WH_INDEX_SIG);
    char *snap = ix_join(o.site, "/", WH_SNAP_SIG);
    int paged = 0;
    if (!sig || !snap)
        wh_fail(&err, WH_E_NOMEM, o.site, -1, NULL);
    else if (lstat(sig, &sb) < 0 && !(paged = lstat(snap, &sb) == 0))
        wh_fail(&err, WH_E_NOTFOUND, o.site, -1, "not a wharf site (no %s or %s)",
                WH_INDEX_SIG, WH_SNAP_SIG);
    else if (!ix_theme_load(&theme, o.templates, &err) &&
             !wh_minisign_pubkey_load(&pk, o.pub, &err) &&
             !ix_site_lock(o.site, PROG, o.wait, o.quiet, &lock, &err) &&
             !ix_site_clean(o.site, &temporaries, &err) &&
             !(paged ? ix_catalogue_paged(theme, o.site, &pk, o.jobs, IX_RETAIN_DEFAULT, 1, &st, &err)
                     : ix_catalogue_site(theme, o.site, &pk, o.jobs, &st, &err)) && !o.quiet)
        ix_catalogue_summary(&st);
    if (err.code)
        rc = wh_cli_report(PROG, &err);
    wh_lock_release(&lock);
    ix_theme_free(theme);
    free(sig);
    free(snap);
    return rc;
}

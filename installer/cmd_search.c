/* cmd_search.c - `wharf search [QUERY] [--category C] [--tag T] [--json]`:
 * the sources' modules whose name, description or tags hold QUERY.
 *
 * Everything comes from the sources' tables (installer/catalog.c): the
 * latest version of each module with its description, categories and
 * tags, so a search never parses an index.  Matching ignores ASCII case;
 * --category and --tag (each repeatable, all must hold) match a label
 * exactly, ignoring case.  Ranking: the exact name, then names starting
 * with QUERY, then names holding it, then descriptions or tags holding
 * it; each group by name, then in the sources' order.  A module of
 * several sources is listed once per source, with the source's name
 * shown whenever there are several sources.  Index text is shown through
 * ins_display (no control character reaches the terminal), and cut to
 * the terminal's width only when stdout is one.  No lock is taken.
 *
 * Tests: tests/cli/t2005-wharf-search.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "installer/catalog.h"

enum { OPT_CATEGORY = 1300, OPT_TAG };
#define MAX_FILTERS 16

static const wh_opt opts[] = {
    INS_OPTS_COMMON,
    { INS_OPT_FROM, "from", "LOCATION", "use the index at LOCATION instead "
      "of the sources (repeat it to give mirrors)" },
    { INS_OPT_OFFLINE, "offline", NULL, "never use the network (with --from)" },
    { OPT_CATEGORY, "category", "C", "only modules in category C (repeatable)" },
    { OPT_TAG, "tag", "T", "only modules with tag T (repeatable)" },
    { INS_OPT_JSON, "json", NULL, "print a JSON array of the modules found" },
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf search [QUERY] [options]";
static const char description[] =
    "Search the modules of every source (as of the last wharf update) by\n"
    "name, description and tags, ignoring case: exact names first, then\n"
    "names that start with QUERY, names that hold it, then descriptions and\n"
    "tags that hold it. Without QUERY, every module (of the categories and\n"
    "tags asked for) is listed.";

#define PROG "wharf search"

typedef struct search_opts {
    ins_cmd_opts c;
    const char *query;
    const char *cats[MAX_FILTERS], *tags[MAX_FILTERS];
    int ncats, ntags, json;
} search_opts;

static int add_filter(wh_cli *cli, const char **v, int *n, const char *what)
{
    if (*n == MAX_FILTERS) {
        snprintf(cli->msg, sizeof cli->msg, "more than %d --%s", MAX_FILTERS, what);
        return -1;
    }
    v[(*n)++] = cli->arg;
    return 0;
}

static int parse_args(search_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    wh_cli cli;
    wh_cli_init(&cli, PROG, argc, argv);
    int c, took;
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        if (c != INS_OPT_JSON && (took = ins_cmd_opt(&o->c, c, &cli)) != 0) {
            if (took < 0)                     /* --wait: reading takes no lock */
                return wh_cli_usage_error(&cli);
            continue;
        }
        switch (c) {
        case INS_OPT_JSON: o->json = 1; break;
        case OPT_CATEGORY: c = add_filter(&cli, o->cats, &o->ncats, "category"); break;
        case OPT_TAG: c = add_filter(&cli, o->tags, &o->ntags, "tag"); break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
        if (c < 0)
            return wh_cli_usage_error(&cli);
    }
    if (c == 0 && cli.argc > 1)
        snprintf(cli.msg, sizeof cli.msg, "one QUERY at most ('%s' is a second)",
                 cli.argv[1]);
    if (c < 0 || cli.argc > 1)
        return wh_cli_usage_error(&cli);
    o->query = cli.argc && cli.argv[0][0] ? cli.argv[0] : NULL;
    return 0;
}

/* --- matching ------------------------------------------------------------ */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Does h[0..hn) hold n[0..nn), ignoring ASCII case? */
static int holds(const char *h, size_t hn, const char *n, size_t nn)
{
    for (size_t i = 0; i + nn <= hn; i++) {
        size_t k = 0;
        while (k < nn && lower((unsigned char)h[i + k]) == lower((unsigned char)n[k]))
            k++;
        if (k == nn)
            return 1;
    }
    return 0;
}

static int same(const char *a, size_t an, const char *b)
{
    return an == strlen(b) && holds(a, an, b, an);
}

/* Is label (ignoring case) one of the items of list? */
static int has_label(const char *list, size_t len, const char *label)
{
    size_t pos = 0;
    const char *item;
    while ((item = wh_itab_list_next(list, len, &pos)))
        if (same(item, strlen(item), label))
            return 1;
    return 0;
}

static int list_holds(const char *list, size_t len, const char *q)
{
    size_t pos = 0;
    const char *item;
    while ((item = wh_itab_list_next(list, len, &pos)))
        if (holds(item, strlen(item), q, strlen(q)))
            return 1;
    return 0;
}

/* The rank of m for o (0 best), or -1 when it does not match. */
static int rank(const search_opts *o, const wh_itab_mod *m)
{
    for (int i = 0; i < o->ncats; i++)
        if (!has_label(m->categories, m->categories_len, o->cats[i]))
            return -1;
    for (int i = 0; i < o->ntags; i++)
        if (!has_label(m->tags, m->tags_len, o->tags[i]))
            return -1;
    if (!o->query)
        return 0;
    size_t qn = strlen(o->query);
    if (same(m->name, m->name_len, o->query))
        return 0;
    if (m->name_len >= qn && holds(m->name, qn, o->query, qn))
        return 1;
    if (holds(m->name, m->name_len, o->query, qn))
        return 2;
    if (holds(m->description, m->description_len, o->query, qn) ||
        list_holds(m->tags, m->tags_len, o->query))
        return 3;
    return -1;
}

typedef struct hit {
    const ins_catalog_src *src;
    size_t src_no;
    wh_itab_mod m;
    int rank;
} hit;

static int by_rank(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    size_t n = x->m.name_len < y->m.name_len ? x->m.name_len : y->m.name_len;
    int c = memcmp(x->m.name, y->m.name, n);
    if (c == 0)
        c = (x->m.name_len > y->m.name_len) - (x->m.name_len < y->m.name_len);
    return c ? c : (x->src_no > y->src_no) - (x->src_no < y->src_no);
}

/* Every module matching o, ranked; *v malloc'd. */
static int find(const ins_catalog *cat, const search_opts *o, hit **v,
                size_t *n, wh_err *err)
{
    ins_catalog_iter it = { 0, 0 };
    size_t total = 0;
    for (size_t i = 0; i < cat->n; i++)
        total += cat->src[i].tab.head.modules;
    *n = 0;
    if (!(*v = malloc((total ? total : 1) * sizeof **v)))
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    hit h;
    while (ins_catalog_next(cat, &it, &h.src, &h.m))
        if ((h.rank = rank(o, &h.m)) >= 0) {
            h.src_no = (size_t)(h.src - cat->src);
            (*v)[(*n)++] = h;
        }
    qsort(*v, *n, sizeof **v, by_rank);
    return 0;
}

/* --- output --------------------------------------------------------------- */

static json_t *list_json(const char *list, size_t len)
{
    json_t *a = json_array();
    size_t pos = 0;
    const char *item;
    while (a && (item = wh_itab_list_next(list, len, &pos)))
        json_array_append_new(a, json_string(item));
    return a;
}

static int print_json(const hit *v, size_t n, wh_err *err)
{
    json_t *out = json_array();
    for (size_t i = 0; out && i < n; i++) {
        const wh_itab_mod *m = &v[i].m;
        json_array_append_new(out, json_pack("{s:s%,s:s%,s:s%,s:o,s:o,s:s}",
            "name", m->name, m->name_len, "version", m->latest, m->latest_len,
            "description", m->description, m->description_len,
            "categories", list_json(m->categories, m->categories_len),
            "tags", list_json(m->tags, m->tags_len), "source", v[i].src->name));
    }
    int rc = out && json_array_size(out) == n ? wh_json_print(out, err)
                                              : wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    json_decref(out);
    return rc;
}

/* The terminal's width, or 0 (no cutting) when stdout is not one. */
static size_t term_cols(void)
{
    struct winsize ws;
    if (!isatty(STDOUT_FILENO))
        return 0;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    long c = wh_cli_number(getenv("COLUMNS") ? getenv("COLUMNS") : "", 1, 10000);
    return c > 0 ? (size_t)c : 80;
}

static void print_lines(const hit *v, size_t n, int several)
{
    size_t wn = 0, wv = 0, ws = 0, cols = term_cols();
    for (size_t i = 0; i < n; i++) {
        wn = v[i].m.name_len > wn ? v[i].m.name_len : wn;
        wv = v[i].m.latest_len > wv ? v[i].m.latest_len : wv;
        ws = strlen(v[i].src->name) > ws ? strlen(v[i].src->name) : ws;
    }
    size_t lead = wn + 1 + wv + 2 + (several ? ws + 2 : 0);
    for (size_t i = 0; i < n; i++) {
        const wh_itab_mod *m = &v[i].m;
        char desc[4 * 1024 + 8], line[8192];
        size_t len = m->description_len < 1024 ? m->description_len : 1024;
        while (len < m->description_len && len > 0 &&
               ((unsigned char)m->description[len] & 0xc0) == 0x80)
            len--;                        /* cut between characters */
        ins_display(desc, sizeof desc, m->description, len,
                    cols ? (cols > lead + 10 ? cols - lead : 10) : 0);
        int k = several
            ? snprintf(line, sizeof line, "%-*s %-*s  %-*s  %s", (int)wn, m->name,
                       (int)wv, m->latest, (int)ws, v[i].src->name, desc)
            : snprintf(line, sizeof line, "%-*s %-*s  %s", (int)wn, m->name,
                       (int)wv, m->latest, desc);
        while (k > 0 && line[k - 1] == ' ')
            k--;                          /* no padding after the last column */
        printf("%.*s\n", k, line);
    }
}

/* What was asked, for "no module matches ..." */
static void asked(const search_opts *o, char *out, size_t n)
{
    int k = snprintf(out, n, o->query ? "no module matches '%s'" : "no module",
                     o->query);
    for (int i = 0; i < o->ncats && k > 0 && (size_t)k < n; i++)
        k += snprintf(out + k, n - (size_t)k, " in category '%s'", o->cats[i]);
    for (int i = 0; i < o->ntags && k > 0 && (size_t)k < n; i++)
        k += snprintf(out + k, n - (size_t)k, " with tag '%s'", o->tags[i]);
    if (!o->query && !o->ncats && !o->ntags)
        snprintf(out, n, "no module in any source");
}

static int search(const ins_catalog *cat, const search_opts *o, wh_err *err)
{
    hit *v;
    size_t n;
    char what[1024];
    int rc = find(cat, o, &v, &n, err);
    if (rc == 0 && n == 0) {
        asked(o, what, sizeof what);
        rc = wh_fail(err, WH_E_NOTFOUND, NULL, -1, "%s", what);
    }
    if (rc == 0 && o->json)
        rc = print_json(v, n, err);
    else if (rc == 0)
        print_lines(v, n, cat->n > 1);
    free(v);
    return rc;
}

int cmd_search(int argc, char **argv)
{
    search_opts o;
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    ins_session s;
    wh_err err;
    wh_err_clear(&err);
    rc = ins_session_open_read(&s, PROG, &o.c, &err);
    if (rc == 0)
        rc = search(s.cat, &o, &err);
    ins_session_close(&s);
    ins_cmd_opts_free(&o.c);
    return rc ? wh_cli_report(PROG, &err) : WH_EXIT_OK;
}

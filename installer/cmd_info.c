/* cmd_info.c - `wharf info NAME [--json]`: a module's latest version in
 * detail, and every version it has in the sources.
 *
 * The versions are the catalog's merge (installer/catalog.c): each
 * source's records of the module, read from its table's span of the
 * verified index copy, the first source having a version winning it.
 * The latest is wh_index_latest's choice (no pre-release or yanked
 * version unless there is nothing else).  Every field shown comes from
 * an index, so every one goes through ins_display.  What plugins added
 * to a record (docs/index-format.md, "Plugin fields") follows the usual
 * fields: its metadata a pair a line sorted by key, its warnings a line
 * each, and for a post-processed package who processed it and the
 * original's hash and size; the kind says "format:PLUGIN" for a file a
 * format-handler plugin indexed.  --json prints the merged object
 * itself, each record with its "source" (and so those fields too).  No
 * lock is taken.
 *
 * Tests: tests/cli/t2006-wharf-info.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/semver.h"
#include "installer/catalog.h"

static const wh_opt opts[] = {
    INS_OPTS_COMMON,
    { INS_OPT_FROM, "from", "LOCATION", "use the index at LOCATION instead "
      "of the sources (repeat it to give mirrors)" },
    { INS_OPT_OFFLINE, "offline", NULL, "never use the network (with --from)" },
    { INS_OPT_JSON, "json", NULL, "print every version's record as JSON" },
    { 0, NULL, NULL, NULL }
};

static const char usage[] = "wharf info NAME [options]";
static const char description[] =
    "Show a module's latest version (description, author, license, kind,\n"
    "labels, dependencies, size, SHA-256, signer, source, date, and what\n"
    "wharf-index plugins added: metadata, warnings, processing) and every\n"
    "version the sources have, newest first, as of the last wharf update.";

#define PROG "wharf info"
#define FIELD "%-14s"

typedef struct info_opts {
    ins_cmd_opts c;
    const char *name;
    int json;
} info_opts;

static int parse_args(info_opts *o, int argc, char **argv)
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
        case WH_CLI_HELP:
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        }
    }
    if (c == 0 && cli.argc != 1)
        snprintf(cli.msg, sizeof cli.msg, cli.argc ? "one module NAME only" :
                 "no module NAME given");
    if (c < 0 || cli.argc != 1)
        return wh_cli_usage_error(&cli);
    o->name = cli.argv[0];
    return 0;
}

/* --- fields ----------------------------------------------------------------- */

/* Print "label: text", text from the index (shown safely), "(none)" when
 * empty. */
static void field(const char *label, const char *text)
{
    size_t n = text ? strlen(text) : 0;
    char *safe = malloc(4 * n + 8);
    if (!safe)
        return;
    ins_display(safe, 4 * n + 8, text ? text : "", n, 0);
    printf(FIELD "%s\n", label, n ? safe : "(none)");
    free(safe);
}

/* The strings of a JSON array, or the keys of an object (with their
 * values when with_values), joined by ", ". */
static char *join(const json_t *v, int with_values)
{
    size_t len = 0, i;
    const char *k;
    json_t *x;
    char *out = NULL;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    json_array_foreach(v, i, x)
        if (json_is_string(x))
            fprintf(f, "%s%s", ftell(f) ? ", " : "", json_string_value(x));
    json_object_foreach((json_t *)v, k, x) {
        fprintf(f, "%s%s", ftell(f) ? ", " : "", k);
        if (with_values && json_is_string(x))
            fprintf(f, " %s", json_string_value(x));
    }
    fclose(f);
    return out;
}

static void list_field(const char *label, const json_t *v, int with_values)
{
    char *s = join(v, with_values);
    field(label, s);
    free(s);
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* --- what plugins added ---------------------------------------------------- */

/* label, then one line per item under it (label "" continues a field). */
static void lines_field(const char *label, char *const *lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        field(i ? "" : label, lines[i]);
}

/* a + sep + b, malloc'd (NULL when out of memory). */
static char *concat(const char *a, const char *sep, const char *b)
{
    size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s%s%s", a, sep, b);
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "metadata:" then "KEY: VALUE" a line, sorted by key. */
static void metadata_field(const json_t *meta)
{
    size_t n = 0;
    const char *k;
    json_t *v;
    char **lines = calloc(json_object_size(meta) + 1, sizeof *lines);
    json_object_foreach((json_t *)meta, k, v)
        if (lines && json_is_string(v) &&
            (lines[n] = concat(k, json_string_length(v) ? ": " : ":",
                               json_string_value(v))))
            n++;
    if (lines) {
        qsort(lines, n, sizeof *lines, cmp_str);
        lines_field("metadata:", lines, n);
    }
    for (size_t i = 0; lines && i < n; i++)
        free(lines[i]);
    free(lines);
}

static void warnings_field(const json_t *warnings)
{
    size_t i, n = 0;
    json_t *w;
    char **lines = calloc(json_array_size(warnings) + 1, sizeof *lines);
    json_array_foreach(warnings, i, w)
        if (lines && json_is_string(w))
            lines[n++] = (char *)json_string_value(w);
    if (lines)
        lines_field("warnings:", lines, n);
    free(lines);
}

/* "processed by: stamp, gz (original sha256 HEX, N bytes)". */
static void processed_field(const json_t *rec)
{
    char *by = join(json_object_get(rec, "processed_by"), 0), tail[160];
    snprintf(tail, sizeof tail, " (original sha256 %.64s, %lld bytes)",
             str(rec, "original_sha256"),
             (long long)json_integer_value(json_object_get(rec, "original_size")));
    char *line = by ? concat(by, "", tail) : NULL;
    if (line)
        field("processed by:", line);
    free(line);
    free(by);
}

/* A record's date: its "published", else its source's index's. */
static int64_t published(const ins_catalog *cat, const json_t *rec)
{
    json_t *p = json_object_get(rec, "published");
    if (json_is_integer(p))
        return (int64_t)json_integer_value(p);
    for (size_t i = 0; i < cat->n; i++)
        if (!strcmp(cat->src[i].name, str(rec, "source") ? str(rec, "source") : ""))
            return cat->src[i].generated;
    return 0;
}

static void print_latest(const ins_catalog *cat, const char *name,
                         const char *ver, const json_t *rec)
{
    char buf[256], date[32];
    json_t *signer = json_object_get(rec, "signer"), *yanked = json_object_get(rec, "yanked");
    printf("%s %s\n", name, ver);
    field("description:", str(rec, "description"));
    field("author:", str(rec, "author"));
    field("license:", str(rec, "license"));
    field("kind:", str(rec, "kind"));
    list_field("categories:", json_object_get(rec, "categories"), 0);
    list_field("tags:", json_object_get(rec, "tags"), 0);
    list_field("dependencies:", json_object_get(rec, "dependencies"), 1);
    snprintf(buf, sizeof buf, "%lld bytes",
             (long long)json_integer_value(json_object_get(rec, "size")));
    field("size:", buf);
    field("sha256:", str(rec, "sha256"));
    snprintf(buf, sizeof buf, str(signer, "key_id") ? "%s, key %.100s" : "%s",
             str(signer, "status") ? str(signer, "status") : "?", str(signer, "key_id"));
    field("signer:", buf);
    field("source:", str(rec, "source"));
    wh_cli_date(published(cat, rec), date);
    field("published:", date);
    json_t *par = json_object_get(rec, "par");
    if (par)
        list_field("targets:", json_object_get(par, "targets"), 0);
    if (yanked)
        field("yanked:", json_string_length(yanked) ? json_string_value(yanked)
                                                    : "(no reason given)");
    if (json_object_size(json_object_get(rec, "metadata")))
        metadata_field(json_object_get(rec, "metadata"));
    if (json_array_size(json_object_get(rec, "warnings")))
        warnings_field(json_object_get(rec, "warnings"));
    if (json_object_get(rec, "original_sha256"))
        processed_field(rec);
}

/* --- versions ------------------------------------------------------------------ */

typedef struct ver {
    const char *text;
    json_t *rec;
    wh_semver v;
} ver;

static int newest_first(const void *a, const void *b)
{
    const ver *x = a, *y = b;
    int c = wh_semver_compare(&y->v, &x->v);
    return c ? c : strcmp(y->text, x->text);
}

static void print_version(const ins_catalog *cat, const ver *v, size_t w)
{
    char date[32], *reason = NULL;
    json_t *yanked = json_object_get(v->rec, "yanked");
    wh_cli_date(published(cat, v->rec), date);
    printf("  %-*s  %s", (int)w, v->text, date);
    if (v->v.pre_len)
        printf("  prerelease");
    if (yanked) {
        size_t n = json_string_length(yanked);
        if ((reason = malloc(4 * n + 8)))
            ins_display(reason, 4 * n + 8, json_string_value(yanked), n, 0);
        printf("  yanked%s%s", n ? ": " : "", n && reason ? reason : "");
    }
    if (cat->n > 1)
        printf("  (%s)", str(v->rec, "source"));
    printf("\n");
    free(reason);
}

static int print_versions(const ins_catalog *cat, json_t *versions, wh_err *err)
{
    size_t n = 0, w = 0;
    const char *k;
    json_t *rec;
    ver *v = malloc((json_object_size(versions) + 1) * sizeof *v);
    if (!v)
        return wh_fail(err, WH_E_NOMEM, NULL, -1, NULL);
    json_object_foreach(versions, k, rec)
        if (wh_semver_parse(&v[n].v, k, strlen(k), NULL) == 0) {
            v[n].text = k;
            v[n++].rec = rec;
            w = strlen(k) > w ? strlen(k) : w;
        }
    qsort(v, n, sizeof *v, newest_first);
    printf("versions:\n");
    for (size_t i = 0; i < n; i++)
        print_version(cat, &v[i], w);
    free(v);
    return 0;
}

/* --- the command ------------------------------------------------------------------ */

static int info(ins_catalog *cat, const info_opts *o, wh_err *err)
{
    json_t *versions;
    int rc = ins_catalog_module(cat, o->name, &versions, err);
    if (rc)
        return rc;
    if (o->json)
        rc = wh_json_print(versions, err);
    else {
        const char *latest = wh_index_latest(versions);
        print_latest(cat, o->name, latest, json_object_get(versions, latest));
        rc = print_versions(cat, versions, err);
    }
    json_decref(versions);
    return rc;
}

int cmd_info(int argc, char **argv)
{
    info_opts o;
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    ins_session s;
    wh_err err;
    wh_err_clear(&err);
    rc = ins_session_open_read(&s, PROG, &o.c, &err);
    if (rc == 0)
        rc = info(s.cat, &o, &err);
    ins_session_close(&s);
    ins_cmd_opts_free(&o.c);
    return rc ? wh_cli_report(PROG, &err) : WH_EXIT_OK;
}

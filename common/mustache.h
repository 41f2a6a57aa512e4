/* mustache.h - Mustache templates over jansson data, compiled once and
 * rendered many times.
 *
 * The language is the core of the Mustache spec
 * (https://github.com/mustache/spec, the files whose names do not start
 * with '~'): {{name}} (HTML-escaped), {{{name}}} and {{&name}} (raw),
 * {{#section}} and {{^inverted}} ... {{/section}}, {{! comments }},
 * {{> partials}}, {{=<% %>=}} set delimiters, dotted names (a.b.c) and
 * the implicit iterator {{.}}, with the spec's rules for standalone lines
 * and the indentation of standalone partials.  The optional modules
 * (lambdas, inheritance, dynamic names) are not supported.
 *
 *     wh_mustache *t;
 *     if (wh_mustache_compile(&t, "module.mustache", text, len,
 *                             load_partial, theme, err))
 *         return err->code;
 *     for (each module page) {
 *         char *html;
 *         size_t n;
 *         rc = wh_mustache_render(t, page_data, 1 << 24, &html, &n, err);
 *         ...
 *         free(html);
 *     }
 *     wh_mustache_free(t);
 *
 * WHY PARTIALS ARE RESOLVED AT COMPILE TIME.  wh_mustache_compile() asks
 * the callback for every partial the template names, and for the
 * partials those name, and so on (each name once), and compiles them all
 * into the one wh_mustache.  So a theme is read and parsed once, a
 * mistake in any of its partials is found before the first page is
 * written (not on the 7,000th), rendering never calls back, and a
 * compiled template is immutable: it can be rendered by any number of
 * threads at once.  A partial the callback does not know is the empty
 * template, as the spec requires; a partial may name itself (recursion
 * is bounded when rendering, by max_partial_depth).
 *
 * DATA.  Lookup follows the spec: a name is searched from the top of the
 * context stack down, in objects only; then each further part of a dotted
 * name is looked up in the value found so far, and nothing else (a miss
 * is the empty string, a falsey section).  Values interpolate as:
 *
 *     string          its bytes (HTML-escaped by {{x}}: see below)
 *     integer         decimal, "-12"
 *     real            as JavaScript writes it: the fewest digits that
 *                     read back as the same double, plainly from 1e-6 to
 *                     below 1e21 (1.21, 100, 0.000001), else with an
 *                     exponent (1e-7, 1.5e+21); -0 as 0
 *     true / false    "true" / "false"
 *     null, missing   nothing
 *     object, array   an error (WH_E_FORMAT at the tag): there is no one
 *                     right text for them, and printing nothing would
 *                     hide a template mistake
 *
 * Falsey, for sections and inverted sections: missing, null, false and
 * the empty array.  Everything else is truthy, the empty string and 0
 * included (the mustache(5) manual's rule; the spec leaves them open).
 * An array section renders once per element with the element on top of
 * the context stack; any other truthy value renders once with the value
 * on top.  As the spec wants, a name the top object lacks is looked up
 * further down: a recursive partial over a tree ({{#kids}}{{>node}}
 * {{/kids}}) must give every node its own, maybe empty, "kids", or a leaf
 * finds its parent's and recursion goes on until max_partial_depth.
 *
 * ESCAPING.  {{x}} writes & < > " ' as &amp; &lt; &gt; &quot; &#39;, so its
 * output is safe in HTML text and in attribute values quoted either way.
 * (The spec checks the first four; the apostrophe is also escaped because
 * templates quote attributes with it too.)  Bytes are not checked for
 * UTF-8: the caller's data is what it is.
 *
 * LIMITS (wh_mustache_limits, defaults below).  Everything an attacker
 * writing a theme or a package's data could make large is capped:
 *   max_size           bytes of template text, main and partials together
 *   max_depth          sections open inside one another in one template
 *   max_partials       distinct partials
 *   max_partial_depth  partials rendering inside one another (recursion)
 *   max_steps          work of one render: operations run plus context
 *                      levels searched, so even a render that writes
 *                      nothing (loops in loops over big arrays) ends
 * and each render takes its own cap on the output size.  Rendering never
 * recurses in C (it runs an explicit stack), so no data or template can
 * overflow the thread's stack.  Exceeding a cap is WH_E_LIMIT.  A
 * compiled template keeps its text and takes at most some 20 bytes of
 * memory per byte of it (a template made only of tiny tags), so the
 * default max_size bounds it at about 20 MiB; real themes need far less.
 *
 * ERRORS.  A malformed template is WH_E_FORMAT with the template's name
 * (or the partial's name, for an error in a partial) as the path and the
 * 1-based line:column of the tag, columns counting UTF-8 characters:
 *
 *     module.mustache:12:5: unclosed section 'versions'
 *
 * Names are case-sensitive byte strings; a tag name must be non-empty and
 * hold no white space (the spec's "non-whitespace character sequence")
 * and no NUL byte, and a dotted name no empty part ("a..b").  A render
 * fails at a tag (name and line:column of the unit holding it) when it
 * interpolates an object or array or nests partials too deep; the output
 * and step caps fail with the main template's name and no position.
 *
 * Tests: tests/unit/mustache_test.c; the spec's own suite by
 * tests/tools/mustache_conformance.c (tests/conformance/mustache.sh).
 */
#ifndef WH_MUSTACHE_H
#define WH_MUSTACHE_H

#include <stddef.h>
#include <jansson.h>

#include "common/err.h"

typedef struct wh_mustache wh_mustache;   /* a compiled template */

/* Defaults of wh_mustache_limits. */
#define WH_MUSTACHE_MAX_SIZE          ((size_t)1 << 20)
#define WH_MUSTACHE_MAX_DEPTH         100
#define WH_MUSTACHE_MAX_PARTIALS      256
#define WH_MUSTACHE_MAX_PARTIAL_DEPTH 32
#define WH_MUSTACHE_MAX_STEPS         ((unsigned long long)1 << 25)

/* Largest values accepted for max_size (the compiled form keeps 32-bit
 * offsets) and for the three counts; larger ones are WH_E_USAGE. */
#define WH_MUSTACHE_SIZE_CEIL  ((size_t)1 << 30)
#define WH_MUSTACHE_COUNT_CEIL 100000

/* Longest delimiter a {{=...=}} tag may set, in bytes. */
#define WH_MUSTACHE_MAX_DELIM 16

typedef struct wh_mustache_limits {
    size_t max_size;               /* 1..WH_MUSTACHE_SIZE_CEIL */
    int max_depth;                 /* 1..WH_MUSTACHE_COUNT_CEIL */
    int max_partials;              /* 0..WH_MUSTACHE_COUNT_CEIL */
    int max_partial_depth;         /* 0..WH_MUSTACHE_COUNT_CEIL */
    unsigned long long max_steps;  /* >= 1 */
} wh_mustache_limits;

/* Give the text of the partial called name (NUL-terminated, as written in
 * the tag, chosen by the template's author: check it before using it as a
 * file name, e.g. with wh_path_join).  Return 0 with *text and *len set,
 * or 0 with *text = NULL when there is no such partial (it renders as
 * nothing), or an error code after filling err (the compile then fails
 * with that code and err).  The text need only live until the callback is
 * called again or the compile returns; it need not be NUL-terminated. */
typedef int (*wh_mustache_partial_fn)(void *ctx, const char *name,
                                      const char **text, size_t *len,
                                      wh_err *err);

/* Compile len bytes of text, called name in errors (NULL = ""), and all
 * the partials it needs, through partials(ctx, ...) (NULL = no partials:
 * every {{>x}} is empty).  Returns 0 and *out, which the caller frees
 * with wh_mustache_free(); or WH_E_FORMAT (a malformed template), WH_E_LIMIT
 * (a limit of the defaults above), WH_E_NOMEM, or the callback's error,
 * with *out NULL. */
int wh_mustache_compile(wh_mustache **out, const char *name, const char *text,
                        size_t len, wh_mustache_partial_fn partials,
                        void *ctx, wh_err *err);

/* As wh_mustache_compile with caller-chosen limits (NULL = defaults); an
 * out-of-range limit is WH_E_USAGE.  The template keeps the limits for
 * its renders. */
int wh_mustache_compile_limits(wh_mustache **out, const char *name,
                               const char *text, size_t len,
                               wh_mustache_partial_fn partials, void *ctx,
                               const wh_mustache_limits *lim, wh_err *err);

/* Render t with data at the bottom of the context stack (NULL is treated
 * as null).  Returns 0 and a malloc'd, NUL-terminated *out of *outlen
 * bytes (without the NUL; the text may itself hold NUL bytes from the
 * data), which the caller frees; or WH_E_LIMIT when the output would pass
 * max_out bytes or a limit of t is reached, WH_E_FORMAT when a tag
 * interpolates an object or an array, WH_E_NOMEM; then *out is NULL and
 * *outlen 0.  Neither t nor data is modified: any number of threads may
 * render the same t, and the same data, at once (jansson allows shared
 * reads), as long as nothing changes the data meanwhile. */
int wh_mustache_render(const wh_mustache *t, const json_t *data,
                       size_t max_out, char **out, size_t *outlen,
                       wh_err *err);

/* The name given to wh_mustache_compile ("" if none). */
const char *wh_mustache_name(const wh_mustache *t);

/* Free t.  NULL is allowed. */
void wh_mustache_free(wh_mustache *t);

#endif

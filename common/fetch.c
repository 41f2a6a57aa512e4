/* fetch.c - files and a site's signed index over HTTP(S), into memory,
 * within limits.
 *
 * libcurl does the protocol; this file sets what a package manager owes
 * its users against a hostile or broken server (TUF's "endless data" and
 * "slow retrieval" attacks):
 *   - certificates and host names are checked (libcurl's defaults, never
 *     turned off);
 *   - only http and https, also after a redirect, and at most 5 redirects;
 *   - a connect timeout (10 s) and a low-speed cut: less than 1 KiB/s for
 *     `timeout` seconds (default 30) ends the transfer;
 *   - every download is capped: the caller gives the most it may be (an
 *     index's documented maximum, a package's signed size), and a body
 *     that passes it is cut at once, whatever Content-Length said;
 *   - an HTTP status other than 200 is an error: 404 and 410 are
 *     WH_E_NOTFOUND (a mirror without the file), others WH_E_IO.
 * Errors name the URL.  curl_global_init is each main.c's (process state).
 *
 * A SITE over HTTP is read in the order common/index.c reads a folder:
 * the signature, its key and head, then the index its head names by
 * hash, verified by wh_index_verify (wh_fetch_index).  Which key may sign
 * is the caller's (a callback): `wharf` follows its pins, trusted keys
 * and rotations, `wharf-index plugin` takes --repo-key.
 *
 * PROGRESS.  wh_fetch_progress draws one line on stderr while a package
 * downloads, from libcurl's XFERINFO callback:
 *
 *     hello@1.0.0   1.2 MiB / 3.4 MiB  35% [#######.............]
 *
 * at most ten times a second, and erases it when the transfer ends, so
 * what is printed next starts on a clean line.  The total is the
 * server's Content-Length, else the caller's cap (a package's signed
 * size).  Nothing is drawn unless stderr is a terminal (and TERM is not
 * "dumb"): logs, pipes and the tests see no trace of it.
 *
 * Tests: tests/cli/t2004-wharf-update-http.sh, t2008-wharf-fetch.sh
 * (tests/tools/badserve.mjs plays the endless, slow and broken servers),
 * t1202-wharf-index-plugin-sources.sh; the bar by hand, on a terminal.
 */
#include "common/fetch.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

typedef struct sink {
    char  *data;
    size_t len, cap, max;
    int    over;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    sink *s = ctx;
    size_t k = size * n;
    if (k > s->max - s->len) {
        s->over = 1;
        return 0;                        /* stops the transfer */
    }
    if (s->len + k + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 16384;
        while (cap < s->len + k + 1)
            cap *= 2;
        char *d = realloc(s->data, cap);
        if (!d)
            return 0;
        s->data = d;
        s->cap = cap;
    }
    memcpy(s->data + s->len, p, k);
    s->len += k;
    s->data[s->len] = '\0';
    return k;
}

static int curl_error(CURLcode c, const sink *s, long status, const char *url,
                      size_t max, wh_err *err)
{
    if (s->over)
        return wh_fail(err, WH_E_LIMIT, url, -1, "more than the %zu bytes it "
                       "may be", max);
    if (c == CURLE_OPERATION_TIMEDOUT)
        return wh_fail(err, WH_E_IO, url, -1, "too slow: timed out");
    if (c != CURLE_OK)
        return wh_fail(err, WH_E_IO, url, -1, "%s", curl_easy_strerror(c));
    if (status == 404 || status == 410)
        return wh_fail(err, WH_E_NOTFOUND, url, -1, "HTTP %ld: not found", status);
    return wh_fail(err, WH_E_IO, url, -1, "HTTP %ld", status);
}

/* --- the progress line ---------------------------------------------------- */

#define BAR_WIDTH 20

typedef struct bar {
    const char *label;
    curl_off_t  max;          /* the total when the server gives none */
    long long   last_ms;
    int         drawn;
} bar;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "512 B", "12.3 KiB", "4.5 MiB" into out. */
static void human(curl_off_t n, char out[16])
{
    if (n < 1024)
        snprintf(out, 16, "%d B", (int)n);
    else if (n < 1024 * 1024)
        snprintf(out, 16, "%.1f KiB", (double)n / 1024);
    else
        snprintf(out, 16, "%.1f MiB", (double)n / (1024 * 1024));
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    bar *b = ctx;
    long long t = now_ms();
    (void)ultotal, (void)ulnow;
    if (dlnow == 0 || t - b->last_ms < 100)
        return 0;
    curl_off_t total = dltotal > 0 ? dltotal : b->max;
    int pct = total > 0 && dlnow <= total ? (int)(dlnow * 100 / total) : 100;
    char done[16], all[16], fill[BAR_WIDTH + 1];
    human(dlnow, done);
    human(total, all);
    for (int i = 0; i < BAR_WIDTH; i++)
        fill[i] = i < pct * BAR_WIDTH / 100 ? '#' : '.';
    fill[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r%-24.24s %10s / %-10s %3d%% [%s]", b->label, done, all,
            pct, fill);
    fflush(stderr);
    b->last_ms = t;
    b->drawn = 1;
    return 0;
}

static int bar_wanted(const char *label)
{
    const char *term = getenv("TERM");
    return label && isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
}

/* Erase the line, if one was drawn. */
static void bar_end(const bar *b)
{
    if (b->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}

/* --- the transfer ------------------------------------------------------------ */

int wh_fetch(const char *url, size_t max, int timeout, char **data, size_t *len,
             wh_err *err)
{
    return wh_fetch_progress(url, max, timeout, NULL, data, len, err);
}

int wh_fetch_progress(const char *url, size_t max, int timeout,
                      const char *label, char **data, size_t *len, wh_err *err)
{
    sink s = { NULL, 0, 0, max, 0 };
    bar b = { label, (curl_off_t)max, 0, 0 };
    long status = 0;
    *data = NULL;
    *len = 0;
    CURL *c = curl_easy_init();
    if (!c)
        return wh_fail(err, WH_E_NOMEM, url, -1, "cannot start libcurl");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)(timeout > 0 ? timeout : 30));
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "wharf/" WHARF_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    if (bar_wanted(label)) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &b);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    CURLcode rc = curl_easy_perform(c);
    bar_end(&b);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (rc == CURLE_FILESIZE_EXCEEDED)
        s.over = 1;
    if (rc != CURLE_OK || status != 200) {
        free(s.data);
        return curl_error(rc, &s, status, url, max, err);
    }
    if (!s.data && !(s.data = calloc(1, 1)))
        return wh_fail(err, WH_E_NOMEM, url, -1, NULL);
    *data = s.data;
    *len = s.len;
    return 0;
}

/* --- URLs and a site's index --------------------------------------------------- */

int wh_url_join(char *out, size_t n, const char *loc, const char *rel,
                wh_err *err)
{
    static const char ok[] = "-._~/@+";
    size_t o = (size_t)snprintf(out, n, "%s/", loc);
    for (const unsigned char *p = (const unsigned char *)rel; *p && o + 4 < n; p++)
        o += (size_t)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || strchr(ok, *p)
                      ? snprintf(out + o, n - o, "%c", *p)
                      : snprintf(out + o, n - o, "%%%02X", *p));
    return o + 4 >= n ? wh_fail(err, WH_E_LIMIT, loc, -1, "url too long") : 0;
}

/* The site's signature, the key that must have made it and its head. */
static int index_head(const char *site, int timeout, wh_fetch_key_fn *key,
                      void *ctx, wh_minisign_sig *sig, wh_minisign_pubkey *pk,
                      wh_index_head *head, char *sig_url, size_t n, wh_err *err)
{
    char *text = NULL;
    size_t len;
    if (snprintf(sig_url, n, "%s/" WH_INDEX_SIG, site) >= (int)n)
        return wh_fail(err, WH_E_LIMIT, site, -1, "url too long");
    int rc = wh_fetch(sig_url, WH_INDEX_SIG_MAX, timeout, &text, &len, err);
    if (rc == 0)
        rc = wh_minisign_sig_parse(sig, text, len, sig_url, err);
    free(text);
    if (rc == 0 && key)
        rc = key(ctx, sig, sig_url, pk, err);
    return rc ? rc : wh_index_head_check(sig, pk, sig_url, head, err);
}

int wh_fetch_index(const char *site, int timeout, wh_fetch_key_fn *key,
                   void *ctx, wh_index *ix, wh_minisign_sig *sig,
                   wh_minisign_pubkey *pk, char *sig_url, size_t n,
                   wh_err *err)
{
    char url[PATH_MAX + 200], rel[128], *text = NULL;
    size_t len;
    wh_index_head head;
    memset(ix, 0, sizeof *ix);
    int rc = index_head(site, timeout, key, ctx, sig, pk, &head, sig_url, n, err);
    if (rc)
        return rc;
    wh_index_byhash(rel, sizeof rel, head.sha256, "");
    if (snprintf(url, sizeof url, "%s/%s", site, rel) >= (int)sizeof url)
        return wh_fail(err, WH_E_LIMIT, site, -1, "url too long");
    rc = wh_fetch(url, WH_INDEX_MAX, timeout, &text, &len, err);
    if (rc == WH_E_NOTFOUND) {          /* a site from before by-hash */
        snprintf(url, sizeof url, "%s/" WH_INDEX_JSON, site);
        rc = wh_fetch(url, WH_INDEX_MAX, timeout, &text, &len, err);
    }
    return rc ? rc : wh_index_verify(ix, sig, pk, text, len, url, sig_url, err);
}

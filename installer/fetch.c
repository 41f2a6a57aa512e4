/* fetch.c - one file over HTTP(S), into memory, within limits.
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
 * Errors name the URL.  curl_global_init is main.c's (process state).
 *
 * Tests: tests/cli/t2004-wharf-update-http.sh (tests/tools/badserve.mjs
 * plays the endless, slow and broken servers).
 */
#include "installer/installer.h"

#include <stdlib.h>
#include <string.h>

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

int ins_fetch(const char *url, size_t max, int timeout, char **data, size_t *len,
              wh_err *err)
{
    sink s = { NULL, 0, 0, max, 0 };
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
    CURLcode rc = curl_easy_perform(c);
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

/* fuzz.c - fuzz target "http": HTTP responses as wharf's one HTTP client
 * (common/fetch.c, wh_fetch) sees them, and wh_url_join.
 *
 * Each input starts a tiny server: a thread that accepts on 127.0.0.1
 * (a port of its own) and answers every request with the input's bytes,
 * then closes the connection.  wh_fetch reads http://127.0.0.1:PORT/f
 * through it, exactly as `wharf update` reads a site.  A redirect the
 * input makes to another host must not reach the network, so http_proxy
 * and https_proxy name the same server (NO_PROXY keeps 127.0.0.1 direct):
 * every request of the transfer, however redirected, gets the input.
 *
 * Input: byte 0 is the mode, byte 1 picks the cap (max) from a table,
 * the rest is:
 *   mode % 3 == 0  the whole raw response, status line and headers too;
 *   mode % 3 == 1  a body, sent with "200 OK" and its Content-Length;
 *   mode % 3 == 2  a body, sent with "200 OK" and no length (to the close).
 * The rest, NUL-terminated, is also the path given to wh_url_join.
 *
 * Checked, beyond memory safety and leaks:
 *   - the cap: never more than max bytes returned; a body over it is
 *     WH_E_LIMIT, whatever the headers said; *data is NUL-terminated;
 *   - a well-formed response (modes 1 and 2) within the cap is returned
 *     byte for byte;
 *   - a failure is an error, never a crash: *data NULL, *len 0, a code
 *     fetch.h lists, the URL as the path and a reason;
 *   - wh_url_join writes the location, '/', and the path with every byte
 *     but A-Za-z0-9 -._~/@+ as %XX (so no '?' or '#'), decoding back to
 *     the path; or WH_E_LIMIT.
 *
 * Tests: tests/conformance/regress.sh (tests/regress/http/, and the
 * hand-written seeds in tests/fuzz/http/seeds.sh).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/fetch.h"
#include "tests/fuzz/common/fuzz.h"

static const size_t caps[] = { 0, 1, 16, 100, 1000, 4096, 65536, 1 << 20 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    FUZZ_ASSERT(curl_global_init(CURL_GLOBAL_DEFAULT) == 0);
    return 0;
}

/* --- the server ------------------------------------------------------------- */

typedef struct server {
    int         fd, wake[2];     /* listening socket; main writes wake[1] */
    int         port;
    const char *head, *body;     /* what every request gets */
    size_t      hlen, blen;
    pthread_t   thread;
} server;

/* Read the request up to its blank line (or 2 s, or 64 KiB). */
static void read_request(int c)
{
    char buf[4096];
    size_t seen = 0;
    uint32_t last = 0;   /* the last four bytes read */
    struct timeval tv = { 2, 0 };
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (;;) {
        ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n <= 0 || (seen += (size_t)n) > 65536)
            return;
        for (ssize_t i = 0; i < n; i++)
            if ((last = last << 8 | (uint8_t)buf[i]) == 0x0d0a0d0a)
                return;
    }
}

static void send_all(int c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(c, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return;
        p += k, n -= (size_t)k;
    }
}

static void *serve(void *arg)
{
    server *s = arg;
    struct pollfd p[2] = { { s->fd, POLLIN, 0 }, { s->wake[0], POLLIN, 0 } };
    while (poll(p, 2, -1) > 0 && !(p[1].revents & POLLIN)) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        read_request(c);
        send_all(c, s->head, s->hlen);
        send_all(c, s->body, s->blen);
        shutdown(c, SHUT_WR);
        close(c);
    }
    return NULL;
}

static void server_start(server *s)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_ASSERT((s->fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
    FUZZ_ASSERT(bind(s->fd, (struct sockaddr *)&a, sizeof a) == 0 &&
                listen(s->fd, 16) == 0 && pipe(s->wake) == 0);
    FUZZ_ASSERT(getsockname(s->fd, (struct sockaddr *)&a, &alen) == 0);
    s->port = ntohs(a.sin_port);
    FUZZ_ASSERT(pthread_create(&s->thread, NULL, serve, s) == 0);
}

static void server_stop(server *s)
{
    FUZZ_ASSERT(write(s->wake[1], "x", 1) == 1);
    pthread_join(s->thread, NULL);
    close(s->fd);
    close(s->wake[0]);
    close(s->wake[1]);
}

/* --- the checks ------------------------------------------------------------- */

static void check_fetch(int mode, size_t max, const char *body, size_t blen)
{
    server s = { .body = body, .blen = blen };
    char head[128], url[64], proxy[64];
    if (mode == 1)
        s.hlen = (size_t)snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\n"
                                  "Content-Length: %zu\r\n\r\n", blen);
    else if (mode == 2)
        s.hlen = (size_t)snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\n"
                                  "Connection: close\r\n\r\n");
    s.head = head;
    server_start(&s);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/f", s.port);
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", s.port);
    setenv("http_proxy", proxy, 1);
    setenv("https_proxy", proxy, 1);
    setenv("NO_PROXY", "127.0.0.1", 1);
    unsetenv("ALL_PROXY"), unsetenv("all_proxy"), unsetenv("no_proxy");
    char *data = (char *)&s;
    size_t len = 1;
    wh_err e;
    int rc = wh_fetch(url, max, 5, &data, &len, &e);
    server_stop(&s);
    if (rc == 0) {
        FUZZ_ASSERT(data && len <= max && data[len] == '\0');
        FUZZ_ASSERT(mode == 0 || (len == blen && memcmp(data, body, len) == 0));
    } else {
        FUZZ_ASSERT(!data && len == 0 && e.code == rc && e.reason[0]);
        FUZZ_ASSERT(rc == WH_E_IO || rc == WH_E_NOTFOUND || rc == WH_E_LIMIT ||
                    rc == WH_E_NOMEM);
        FUZZ_ASSERT(!strcmp(e.path, url));
        FUZZ_ASSERT(mode == 0 || (blen > max && rc == WH_E_LIMIT));
    }
    free(data);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The joined URL decodes back to loc "/" rel, with no byte to spare. */
static void check_url_join(const char *rel, size_t room)
{
    static const char loc[] = "http://h/s";
    char *out = malloc(room), dec[8192];
    size_t d = 0, rl = strlen(rel);
    FUZZ_ASSERT(out);
    int rc = wh_url_join(out, room, loc, rel, NULL);
    if (rc == 0) {
        FUZZ_ASSERT(strlen(out) < room && !strncmp(out, loc, sizeof loc - 1) &&
                    out[sizeof loc - 1] == '/');
        for (const char *p = out + sizeof loc; *p; p++) {
            FUZZ_ASSERT(!strchr("?#%", *p) || (*p == '%' && hexval(p[1]) >= 0 &&
                                               hexval(p[2]) >= 0));
            FUZZ_ASSERT(d < sizeof dec);
            dec[d++] = *p == '%' ? (char)(hexval(p[1]) * 16 + hexval(p[2])) : *p;
            p += *p == '%' ? 2 : 0;
        }
        FUZZ_ASSERT(d == rl && memcmp(dec, rel, rl) == 0);
    } else {
        FUZZ_ASSERT(rc == WH_E_LIMIT);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > (1 << 20))
        return 0;
    size_t blen = size - 2;
    char *body = malloc(blen + 1);   /* exactly the bytes, and a NUL */
    FUZZ_ASSERT(body);
    memcpy(body, data + 2, blen);
    body[blen] = '\0';
    check_fetch(data[0] % 3, caps[data[1] % 8], body, blen);
    if (strlen(body) < 2000)
        check_url_join(body, 1 + data[1] * 8u);
    free(body);
    return 0;
}

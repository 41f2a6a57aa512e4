/* cli.c - option parsing, help and dispatch for wharf's commands.
 *
 * See cli.h.  The parser is a small getopt_long that works from one table
 * per command and permutes operands to the end, because wharf's commands
 * are written "wharf-index build DIR -o SITE" as often as the other way.
 *
 * Every line printed here that can hold someone else's bytes (a file
 * name, an operand) goes through wh_quote (common/err.h, QUOTING): a
 * name cannot forge a line or send terminal escapes.
 *
 * Tests: tests/unit/cli_test.c and every tests/cli script.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <termios.h>
#include <unistd.h>

#include "common/minisign.h"

void wh_cli_init(wh_cli *c, const char *prog, int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    c->prog = prog;
    c->in_argc = argc;
    c->in_argv = argv;
    c->pos = 1;
    c->argv = argv + 1;
}

static int fail(wh_cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(wh_cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static const wh_opt *find_long(const wh_opt *opts, const char *name, size_t n)
{
    for (; opts->id; opts++)
        if (opts->name && strlen(opts->name) == n &&
            strncmp(opts->name, name, n) == 0)
            return opts;
    return NULL;
}

static const wh_opt *find_short(const wh_opt *opts, int ch)
{
    for (; opts->id; opts++)
        if (opts->id == ch && ch < 256)
            return opts;
    return NULL;
}

/* Operand: move it down to the operand area, keeping order. */
static void keep_operand(wh_cli *c, char *a)
{
    c->argv[c->nout++] = a;
}

/* The argument of an option, taken from the next argv element. */
static int take_next(wh_cli *c, const char *shown)
{
    if (c->pos >= c->in_argc)
        return fail(c, "option '%s' needs an argument", shown);
    c->arg = c->in_argv[c->pos++];
    return 0;
}

static int parse_long(wh_cli *c, const wh_opt *opts, char *a)
{
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : strlen(name);
    if (n == 4 && strncmp(name, "help", 4) == 0 && !find_long(opts, "help", 4))
        return WH_CLI_HELP;
    const wh_opt *o = find_long(opts, name, n);
    if (!o)
        return fail(c, "unknown option '--%.*s'", (int)n, name);
    if (!o->arg) {
        if (eq)
            return fail(c, "option '--%s' takes no argument", o->name);
        return o->id;
    }
    if (eq) {
        c->arg = eq + 1;
        return o->id;
    }
    char shown[80];
    snprintf(shown, sizeof shown, "--%.60s", o->name);
    return take_next(c, shown) < 0 ? -1 : o->id;
}

static int parse_short(wh_cli *c, const wh_opt *opts)
{
    int ch = (unsigned char)*c->cluster++;
    const wh_opt *o = find_short(opts, ch);
    if (!o && ch == 'h')
        return WH_CLI_HELP;
    if (!o)
        return fail(c, "unknown option '-%c'", ch);
    if (!o->arg)
        return o->id;
    if (*c->cluster) {              /* -xVALUE */
        c->arg = c->cluster;
        c->cluster = NULL;
        return o->id;
    }
    c->cluster = NULL;
    char shown[4] = { '-', (char)ch, 0, 0 };
    return take_next(c, shown) < 0 ? -1 : o->id;
}

int wh_cli_next(wh_cli *c, const wh_opt *opts)
{
    c->arg = NULL;
    if (c->cluster && *c->cluster)
        return parse_short(c, opts);
    c->cluster = NULL;
    while (c->pos < c->in_argc) {
        char *a = c->in_argv[c->pos++];
        if (c->done || a[0] != '-' || a[1] == '\0') {   /* "-" is stdin */
            keep_operand(c, a);
            continue;
        }
        if (strcmp(a, "--") == 0) {
            c->done = 1;
            continue;
        }
        if (a[1] == '-')
            return parse_long(c, opts, a);
        c->cluster = a + 1;
        return parse_short(c, opts);
    }
    c->argc = c->nout;
    return 0;
}

void wh_cli_help(FILE *f, const char *usage, const char *description,
                 const wh_opt *opts)
{
    fprintf(f, "usage: %s\n\n%s\n", usage, description);
    if (!opts || !opts->id)
        return;
    fprintf(f, "\noptions:\n");
    for (const wh_opt *o = opts; o->id; o++) {
        char left[96];
        int n;
        if (o->id < 256 && o->name)
            n = snprintf(left, sizeof left, "-%c, --%s", o->id, o->name);
        else if (o->id < 256)
            n = snprintf(left, sizeof left, "-%c", o->id);
        else
            n = snprintf(left, sizeof left, "    --%s", o->name);
        if (o->arg && n > 0 && (size_t)n < sizeof left)
            snprintf(left + n, sizeof left - (size_t)n, " %s", o->arg);
        fprintf(f, "  %-26s %s\n", left, o->help);
    }
    fprintf(f, "  %-26s %s\n", "-h, --help", "show this help");
}

int wh_cli_usage_error(const wh_cli *c)
{
    char q[4 * sizeof c->msg];
    wh_quote(q, sizeof q, c->msg, strnlen(c->msg, sizeof c->msg));
    fprintf(stderr, "%s: %s\ntry '%s --help'\n", c->prog, q, c->prog);
    return WH_EXIT_USAGE;
}

int wh_cli_report(const char *prog, const wh_err *err)
{
    char msg[WH_ERR_LINE_MAX];
    fprintf(stderr, "%s: %s\n", prog, wh_err_format(err, msg, sizeof msg));
    return wh_err_exit(err->code);
}

long long wh_cli_number(const char *s, long long lo, long long hi)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    return v;
}

/* One line from f into buf without its line break; -1 at EOF or when it
 * does not fit (the rest of the line is consumed either way). */
static int read_line(FILE *f, char *buf, size_t n)
{
    size_t len = 0;
    int c, overflow = 0;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (len + 1 < n)
            buf[len++] = (char)c;
        else
            overflow = 1;
    }
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    buf[len] = '\0';
    return (c == EOF && len == 0) || overflow ? -1 : 0;
}

static int tty_read(FILE *tty, const char *prompt, char *buf, size_t n)
{
    struct termios old, quiet;
    fprintf(tty, "%s", prompt);
    fflush(tty);
    int fd = fileno(tty), have = tcgetattr(fd, &old) == 0;
    if (have) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    int r = read_line(tty, buf, n);
    if (have)
        tcsetattr(fd, TCSAFLUSH, &old);
    fprintf(tty, "\n");
    return r;
}

int wh_cli_password(const char *prompt, int confirm, char *buf, size_t n,
                    wh_err *err)
{
    int r;
    if (!isatty(STDIN_FILENO)) {
        r = read_line(stdin, buf, n);
    } else {
        FILE *tty = fopen("/dev/tty", "r+");
        if (!tty)
            return wh_fail(err, WH_E_USAGE, NULL, -1, "cannot open the terminal");
        r = tty_read(tty, prompt, buf, n);
        if (r == 0 && confirm) {
            char again[1024];
            r = tty_read(tty, "Password (one more time): ", again, sizeof again);
            if (r == 0 && strcmp(again, buf) != 0) {
                wh_memzero(again, sizeof again);
                fclose(tty);
                return wh_fail(err, WH_E_USAGE, NULL, -1, "passwords don't match");
            }
            wh_memzero(again, sizeof again);
        }
        fclose(tty);
    }
    if (r < 0)
        return wh_fail(err, WH_E_USAGE, NULL, -1,
                       "no password given, or longer than %zu bytes", n - 1);
    if (buf[0] == '\0')
        return wh_fail(err, WH_E_USAGE, NULL, -1, "empty password");
    return 0;
}

int wh_cli_seckey_load(wh_minisign_seckey **sk, const char *path,
                       wh_err *err)
{
    char password[1024];
    int rc = wh_minisign_seckey_load(sk, path, err);
    if (rc || !wh_minisign_seckey_encrypted(*sk))
        return rc;
    rc = wh_cli_password("Password: ", 0, password, sizeof password, err);
    if (rc == 0)
        rc = wh_minisign_seckey_decrypt(*sk, password, path, err);
    wh_memzero(password, sizeof password);
    if (rc) {
        wh_minisign_seckey_free(*sk);
        *sk = NULL;
    }
    return rc;
}

static void list_commands(FILE *f, const char *prog, const char *description,
                          const wh_cmd *cmds)
{
    fprintf(f, "usage: %s [--version] [--help] COMMAND [ARGS]\n\n%s\n\ncommands:\n",
            prog, description);
    for (const wh_cmd *c = cmds; c->name; c++)
        fprintf(f, "  %-12s %s\n", c->name, c->summary);
    fprintf(f, "\n'%s COMMAND --help' describes a command. Exit statuses: "
            "docs/exit-codes.md.\n", prog);
}

int wh_cli_dispatch(const char *prog, const char *description,
                    const wh_cmd *cmds, int argc, char **argv)
{
    if (argc < 2) {
        list_commands(stderr, prog, description, cmds);
        return WH_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
        strcmp(name, "help") == 0) {
        if (argc > 2 && strcmp(name, "help") == 0) {   /* help CMD */
            for (const wh_cmd *c = cmds; c->name; c++)
                if (strcmp(c->name, argv[2]) == 0) {
                    char *hargv[] = { argv[2], (char *)"--help", NULL };
                    return c->run(2, hargv);
                }
        } else {
            list_commands(stdout, prog, description, cmds);
            return WH_EXIT_OK;
        }
    } else if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("%s %s\n", prog, WHARF_VERSION);
        return WH_EXIT_OK;
    } else {
        for (const wh_cmd *c = cmds; c->name; c++)
            if (strcmp(c->name, name) == 0)
                return c->run(argc - 1, argv + 1);
    }
    const char *what = argc > 2 && strcmp(name, "help") == 0 ? argv[2] : name;
    char q[256];
    fprintf(stderr, "%s: '%s' is not a %s command\ntry '%s --help'\n", prog,
            wh_quote(q, sizeof q, what, strlen(what)), prog, prog);
    return WH_EXIT_USAGE;
}

void wh_cli_date(long long t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if ((long long)tt != t || !gmtime_r(&tt, &tm) ||
        !strftime(out, 32, "%Y-%m-%d", &tm))
        snprintf(out, 32, "@%lld", t);
}

/* cli.h - option tables, help text and exit statuses for wharf's commands.
 *
 * Every command declares its options once, with their help strings, in a
 * wh_opt table (git's `struct option[]` idea); parsing and --help both read
 * that table, so the help can never drift from what is accepted.
 *
 *     static const wh_opt opts[] = {
 *         { 'p', "public-key", "FILE", "where to write the public key" },
 *         { 'W', "no-password", NULL,  "leave the secret key unencrypted" },
 *         { 0 }
 *     };
 *     wh_cli cli;
 *     wh_cli_init(&cli, "wharf-index keygen", argc, argv);
 *     int c;
 *     while ((c = wh_cli_next(&cli, opts)) > 0)
 *         switch (c) { case 'p': pub = cli.arg; break; ... }
 *     if (c < 0) return wh_cli_usage_error(&cli);   // message already set
 *
 * Options and operands may be mixed ("cmd FILE -o X"); "--" ends options.
 * After the loop, cli.argv[0..cli.argc) are the operands.  Long options
 * take "--name=value" or "--name value"; short ones "-x value" or
 * "-xvalue"; short flags combine ("-qW").  "--help" and "-h" are always
 * recognised and returned as WH_CLI_HELP.
 *
 * Printing lives here (and in main.c files) only: libraries never print.
 */
#ifndef WH_CLI_H
#define WH_CLI_H

#include <stdio.h>

#include "common/err.h"
#include "common/minisign.h"

#define WH_CLI_HELP 'h'

typedef struct wh_opt {
    int         id;       /* short letter, or a value > 255 for long-only */
    const char *name;     /* long name without "--" */
    const char *arg;      /* NULL for a flag, else its name in help ("FILE") */
    const char *help;     /* one line, lower case */
} wh_opt;

typedef struct wh_cli {
    const char *prog;     /* "wharf-index build", for messages */
    int         argc;     /* operands after parsing */
    char      **argv;
    const char *arg;      /* argument of the option just returned */
    char        msg[256]; /* why parsing failed */
    /* parser state */
    int         in_argc, pos, nout;
    char      **in_argv;
    const char *cluster;  /* rest of "-abc" being parsed */
    int         done;     /* saw "--" */
} wh_cli;

/* argv[0] is skipped (it is the command name); argv is reordered in place
 * to gather the operands. */
void wh_cli_init(wh_cli *c, const char *prog, int argc, char **argv);

/* Next option id, 0 at the end, -1 on an error (c->msg says which). */
int wh_cli_next(wh_cli *c, const wh_opt *opts);

/* Print "usage: USAGE\n\nDESCRIPTION\n\noptions:\n..." to f. */
void wh_cli_help(FILE *f, const char *usage, const char *description,
                 const wh_opt *opts);

/* Print "PROG: MSG" and "try 'PROG --help'" to stderr, MSG quoted with
 * wh_quote (it may hold an operand); returns WH_EXIT_USAGE. */
int wh_cli_usage_error(const wh_cli *c);

/* Print "PROG: <formatted err>" to stderr (wh_err_format: path and
 * reason quoted, never cut); returns its exit status. */
int wh_cli_report(const char *prog, const wh_err *err);

/* "2027-02-19" for a Unix time, or "@T" when the calendar cannot hold it
 * (a hostile index may say any integer). */
void wh_cli_date(long long t, char out[32]);

/* The decimal number s if it lies in [lo, hi] (lo >= 0: no sign
 * allowed), else -1.  For option arguments and variables such as
 * SOURCE_DATE_EPOCH. */
long long wh_cli_number(const char *s, long long lo, long long hi);

/* Read a password: from the terminal with echo off when stdin is one
 * (asking twice when confirm is set), otherwise one line of stdin, as
 * minisign does, so scripts can pipe it.  buf (size n) is NUL-terminated
 * without the line break; the caller wipes it.  An empty password or one
 * that does not fit fails with WH_E_USAGE; a mismatch of the two entries
 * likewise. */
int wh_cli_password(const char *prompt, int confirm, char *buf, size_t n,
                    wh_err *err);

/* Load the minisign secret key at path and, when it is encrypted, ask
 * for its password ("Password: ", once: wh_cli_password) and decrypt it;
 * the password is wiped.  On success *sk is the decrypted key (free with
 * wh_minisign_seckey_free); on failure *sk is NULL, and a wrong password
 * is WH_E_PASSWORD "wrong password or corrupted secret key". */
int wh_cli_seckey_load(wh_minisign_seckey **sk, const char *path,
                       wh_err *err);

/* A subcommand of a program with several (git style). */
typedef struct wh_cmd {
    const char *name;
    int (*run)(int argc, char **argv);   /* argv[0] is the command name */
    const char *summary;                 /* one line for the command list */
} wh_cmd;

/* Handle --help, --version and dispatch to a command from the table
 * (terminated by a NULL name).  Returns the exit status. */
int wh_cli_dispatch(const char *prog, const char *description,
                    const wh_cmd *cmds, int argc, char **argv);

#endif

/* cmd_par.c - `wharf par keygen|create|insert|inspect`: make, extend and
 * look into wasmCloud provider archives (PAR) with their signed claims.
 *
 *   keygen   a new nkeys key: the seed ("S...", 58 characters) on the
 *            first line, its public key on the second, as `nk -gen ROLE
 *            -pubout` prints them; with -o the seed file is written (mode
 *            0600, never over an existing file) and only the public key
 *            printed.  Either form is a seed file the other commands read.
 *   create   claims over the targets' binaries (and world.wasm), signed by
 *            the issuer (an account seed) for the subject (a service
 *            seed); the archive is written by common/par_write.c exactly as
 *            wasmCloud's provider-archive crate lays it out.
 *   insert   adds targets to an archive that verifies, and signs the claims
 *            again with the new hashes (new iat and jti; everything else
 *            kept).  Only the archive's own issuer may: re-signing with
 *            another account would pass someone else's provider off as
 *            one's own, which is what `create` is for.
 *   inspect  prints the claims and every entry with its size and SHA-256,
 *            then whether the archive verifies (common/pkg_par.c, the
 *            reader the indexer uses); one that does not is still shown,
 *            and the command then fails with the reader's error and status.
 *
 * Every archive written is read back by wh_pkg_read_mem before it is
 * written, at its own issue time, so create and insert never leave a file
 * that `wharf-index build` would refuse (a bad --version or --name fails
 * with the reader's message).  Files are replaced atomically.  iat is
 * SOURCE_DATE_EPOCH when that is set (and jti derives from the payload),
 * so the same inputs give the same bytes.
 *
 * Tests: tests/cli/t2023-wharf-par.sh.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/fs.h"
#include "common/hex.h"
#include "common/jwt.h"
#include "common/par_write.h"
#include "common/sha256.h"

#define MAX_TARGETS 64

/* --- shared pieces ---------------------------------------------------------- */

enum {
    O_ACCOUNT = 300, O_SERVICE, O_NAME, O_VENDOR, O_VERSION, O_REVISION,
    O_TARGET, O_WORLD, O_ISSUER, O_SUBJECT,
};

/* A --target T=FILE or --world FILE, its bytes once read. */
typedef struct bin {
    char     target[WH_PAR_TARGET_MAX + 1];
    char     entry[WH_PAR_TARGET_MAX + 8];    /* "T.bin" or "world.wasm" */
    const char *file;
    char    *data;
    size_t   len;
} bin;

typedef struct par_opts {
    const char *prog, *name, *vendor, *version, *issuer, *subject, *out;
    const char *world;
    long long revision;
    int role, json, ntargets;
    bin  bins[MAX_TARGETS + 1];
    int  argc;
    char **argv;
} par_opts;

/* Unix time: SOURCE_DATE_EPOCH when set (reproducible archives). */
static int64_t now_time(void)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    long long t = s ? wh_cli_number(s, 0, INT64_MAX) : -1;
    return t >= 0 ? (int64_t)t : (int64_t)time(NULL);
}

static int usage(wh_cli *cli, const char *msg)
{
    snprintf(cli->msg, sizeof cli->msg, "%s", msg);
    return wh_cli_usage_error(cli);
}

/* Take "T=FILE" into the next bin; 0 or a usage error. */
static int add_target(par_opts *o, wh_cli *cli, const char *arg)
{
    const char *eq = strchr(arg, '=');
    wh_err e;
    if (!eq || eq[1] == '\0')
        return usage(cli, "--target wants TARGET=FILE");
    if (o->ntargets == MAX_TARGETS)
        return usage(cli, "too many targets");
    bin *b = &o->bins[o->ntargets];
    snprintf(b->target, sizeof b->target, "%.*s", (int)(eq - arg), arg);
    if ((size_t)(eq - arg) > WH_PAR_TARGET_MAX
        || wh_par_target_check(b->target, &e))
        return usage(cli, (size_t)(eq - arg) > WH_PAR_TARGET_MAX
                     ? "target longer than 64 bytes" : e.reason);
    for (int i = 0; i < o->ntargets; i++)
        if (!strcmp(o->bins[i].target, b->target)) {
            snprintf(cli->msg, sizeof cli->msg, "target '%s' given twice",
                     b->target);
            return wh_cli_usage_error(cli);
        }
    size_t tl = strlen(b->target);
    memcpy(b->entry, b->target, tl);
    memcpy(b->entry + tl, ".bin", 5);
    b->file = eq + 1;
    o->ntargets++;
    return 0;
}

/* Read every bin's file (world.wasm must start like WebAssembly). */
static int read_bins(bin *b, int n, wh_err *err)
{
    for (int i = 0; i < n; i++) {
        int rc = wh_file_read(b[i].file, WH_PKG_MAX_SIZE, &b[i].data,
                              &b[i].len, err);
        if (rc)
            return rc;
        if (!strcmp(b[i].entry, "world.wasm")
            && (b[i].len < 8 || memcmp(b[i].data, "\0asm", 4)))
            return wh_fail(err, WH_E_FORMAT, b[i].file, -1,
                           "not a WebAssembly file (for world.wasm)");
    }
    return 0;
}

static void free_bins(par_opts *o)
{
    for (int i = 0; i <= MAX_TARGETS; i++)
        free(o->bins[i].data);
}

/* Parse argv with table t; leaves operands in o->argc/argv.  Returns 0,
 * -1 after --help, or a usage status. */
static int parse(par_opts *o, const wh_opt *t, const char *use,
                 const char *desc, int argc, char **argv)
{
    wh_cli cli;
    wh_cli_init(&cli, o->prog, argc, argv);
    int c, rc = 0;
    while (rc == 0 && (c = wh_cli_next(&cli, t)) > 0) {
        const char *a = cli.arg;
        switch (c) {
        case WH_CLI_HELP:
            wh_cli_help(stdout, use, desc, t);
            return -1;
        case O_ACCOUNT:  o->role = o->role >= 0 ? -2 : WH_NKEY_ACCOUNT; break;
        case O_SERVICE:  o->role = o->role >= 0 ? -2 : WH_NKEY_SERVICE; break;
        case O_NAME:     o->name = a; break;
        case O_VENDOR:   o->vendor = a; break;
        case O_VERSION:  o->version = a; break;
        case O_REVISION:
            if ((o->revision = wh_cli_number(a, 0, INT32_MAX)) < 0)
                rc = usage(&cli, "--revision wants a number from 0 to "
                           "2147483647");
            break;
        case O_TARGET:   rc = add_target(o, &cli, a); break;
        case O_WORLD:    o->world = a; break;
        case O_ISSUER:   o->issuer = a; break;
        case O_SUBJECT:  o->subject = a; break;
        case 'o':        o->out = a; break;
        case INS_OPT_JSON: o->json = 1; break;
        }
    }
    if (rc)
        return rc;
    if (c < 0)
        return wh_cli_usage_error(&cli);
    o->argc = cli.argc;
    o->argv = cli.argv;
    return 0;
}

/* A usage error for the first required option missing, else 0. */
static int require(par_opts *o, const char *const *names,
                   const char *const *values, int n)
{
    for (int i = 0; i < n; i++)
        if (!values[i]) {
            fprintf(stderr, "%s: %s is required\ntry '%s --help'\n", o->prog,
                    names[i], o->prog);
            return WH_EXIT_USAGE;
        }
    return 0;
}

static int operands(par_opts *o, int want)
{
    if (o->argc == want)
        return 0;
    fprintf(stderr, "%s: %s\ntry '%s --help'\n", o->prog,
            want ? "expected one ARCHIVE" : "unexpected operand", o->prog);
    return WH_EXIT_USAGE;
}

/* Read a package file back with the indexer's reader, at time now. */
static int self_check(const char *path, const uint8_t *d, size_t n,
                      int64_t now, wh_pkg *pkg, wh_err *err)
{
    wh_pkg_opts po = { .now = now };
    return wh_pkg_read_mem(path, d, n, &po, pkg, err);
}

/* --- keygen ----------------------------------------------------------------- */

static const wh_opt keygen_opts[] = {
    { O_ACCOUNT, "account", NULL, "an account key (issues claims: \"SA...\")" },
    { O_SERVICE, "service", NULL, "a service key (a provider's identity: "
      "\"SV...\")" },
    { 'o', "output", "FILE", "write the seed there (mode 0600, not over an "
      "existing file); print only the public key" },
    { 0, NULL, NULL, NULL }
};

/* Write the seed file: seed and public key lines, owner-only. */
static int save_seed(const char *path, const char *seed, const char *pub,
                     wh_err *err)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        return wh_fail(err, WH_E_EXISTS, path, -1, "already exists");
    char text[WH_NKEY_SEED_LEN + WH_NKEY_LEN + 3];
    int n = snprintf(text, sizeof text, "%s\n%s\n", seed, pub);
    int rc = wh_file_write_atomic(path, text, (size_t)n, 0600, err);
    wh_memzero(text, sizeof text);
    return rc;
}

static int par_keygen(int argc, char **argv)
{
    par_opts o = { .prog = "wharf par keygen", .role = -1 };
    int rc = parse(&o, keygen_opts, "wharf par keygen --account|--service "
                   "[-o FILE]", "Make a new nkeys key pair: print its seed "
                   "and its public key.", argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if ((rc = operands(&o, 0)))
        return rc;
    if (o.role < 0) {
        fprintf(stderr, "%s: give --account or --service (one of them)\n"
                "try '%s --help'\n", o.prog, o.prog);
        return WH_EXIT_USAGE;
    }
    wh_par_key k;
    wh_err e;
    char seed[WH_NKEY_SEED_LEN + 1];
    if ((rc = wh_par_key_generate(&k, o.role, &e)))
        return wh_cli_report(o.prog, &e);
    wh_par_key_seed_text(&k, seed);
    if (o.out && (rc = save_seed(o.out, seed, k.pub, &e)))
        rc = wh_cli_report(o.prog, &e);
    else
        printf(o.out ? "%.0s%s\n" : "%s\n%s\n", seed, k.pub);
    wh_memzero(seed, sizeof seed);
    wh_par_key_wipe(&k);
    return rc;
}

/* --- create ----------------------------------------------------------------- */

static const wh_opt create_opts[] = {
    { O_NAME, "name", "TEXT", "the provider's name (its module name is this, "
      "lower-cased, runs of other characters as '-')" },
    { O_VENDOR, "vendor", "TEXT", "who makes it" },
    { O_VERSION, "version", "VER", "its version (SemVer; 1.0 means 1.0.0)" },
    { O_REVISION, "revision", "N", "its revision (default 0)" },
    { O_TARGET, "target", "T=FILE", "the binary for target T, <arch>-<os> "
      "(repeatable): x86_64-linux=target/release/provider" },
    { O_WORLD, "world", "FILE", "the provider's WIT world, as world.wasm" },
    { O_ISSUER, "issuer", "SEEDFILE", "the account seed that signs the claims" },
    { O_SUBJECT, "subject", "SEEDFILE", "the service seed naming the provider" },
    { 'o', "output", "FILE", "where to write (default NAME-VERSION.par); "
      "gzip-compressed when it ends in .gz" },
    { 0, NULL, NULL, NULL }
};

static int by_target(const void *a, const void *b)
{
    return strcmp(((const bin *)a)->target, ((const bin *)b)->target);
}

/* The binaries sorted by target, then world.wasm, as entries. */
static size_t entries_of(par_opts *o, wh_par_entry *e)
{
    qsort(o->bins, (size_t)o->ntargets, sizeof o->bins[0], by_target);
    int n = o->ntargets;
    if (o->world) {
        bin *w = &o->bins[n++];
        snprintf(w->entry, sizeof w->entry, "world.wasm");
        w->file = o->world;
    }
    for (int i = 0; i < n; i++)
        e[i] = (wh_par_entry){ o->bins[i].entry,
                               (const uint8_t *)o->bins[i].data,
                               o->bins[i].len, WH_PAR_FILE };
    return (size_t)n;
}

/* Load both seeds: the issuer an account's, the subject a service's. */
static int load_keys(const par_opts *o, wh_par_key *iss, wh_par_key *sub,
                     wh_err *e)
{
    memset(sub, 0, sizeof *sub);
    int rc = wh_par_key_load(iss, o->issuer, WH_NKEY_ACCOUNT, e);
    if (!rc)
        rc = wh_par_key_load(sub, o->subject, WH_NKEY_SERVICE, e);
    return rc;
}

/* Write d to path (0644, atomically) and say so. */
static int finish(const char *path, const uint8_t *d,
                  size_t n, const wh_pkg *pkg, const char *verb, wh_err *e)
{
    int rc = wh_file_write_atomic(path, d, n, 0644, e);
    if (rc)
        return rc;
    const json_t *t = json_object_get(json_object_get(pkg->record, "par"),
                                      "targets");
    printf("%s '%s': %s %s, %zu target%s:", verb, path, pkg->name,
           pkg->version, json_object_size(t),
           json_object_size(t) == 1 ? "" : "s");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)t, k, v)
        printf(" %s", k);
    printf("\n");
    return 0;
}

static int create_run(par_opts *o, wh_err *e)
{
    wh_par_entry ent[MAX_TARGETS + 1];
    wh_par_key iss, sub;
    uint8_t *d = NULL;
    size_t n, ne = entries_of(o, ent);
    int rc = read_bins(o->bins, (int)ne, e);
    for (size_t i = 0; i < ne; i++) {
        ent[i].data = (const uint8_t *)o->bins[i].data;
        ent[i].len = o->bins[i].len;
    }
    if (rc || (rc = load_keys(o, &iss, &sub, e)))
        return rc;
    wh_par_claims c = { .name = o->name, .vendor = o->vendor,
                        .ver = o->version, .has_rev = 1,
                        .rev = (int32_t)o->revision, .iat = now_time() };
    int gz = o->out && strlen(o->out) > 3
             && !strcmp(o->out + strlen(o->out) - 3, ".gz");
    rc = wh_par_build(&c, &iss, sub.pub, ent, ne, gz, &d, &n, e);
    wh_par_key_wipe(&iss);
    wh_par_key_wipe(&sub);
    wh_pkg pkg = { 0 };
    char def[sizeof pkg.name + sizeof pkg.version + 8];
    if (!rc && !(rc = self_check("", d, n, c.iat, &pkg, e))) {
        snprintf(def, sizeof def, "%s-%s.par", pkg.name, pkg.version);
        rc = finish(o->out ? o->out : def, d, n, &pkg, "created", e);
    }
    wh_pkg_free(&pkg);
    free(d);
    return rc;
}

static int par_create(int argc, char **argv)
{
    par_opts o = { .prog = "wharf par create", .role = -1 };
    int rc = parse(&o, create_opts, "wharf par create --name TEXT --vendor "
                   "TEXT [--version VER] [--revision N] --target T=FILE... "
                   "[--world FILE] --issuer SEEDFILE --subject SEEDFILE "
                   "[-o FILE]", "Make a wasmCloud provider archive: the "
                   "binaries and their claims, signed by the issuer.",
                   argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    const char *names[] = { "--name", "--vendor", "--target", "--issuer",
                            "--subject" };
    const char *vals[] = { o.name, o.vendor, o.ntargets ? "" : NULL,
                           o.issuer, o.subject };
    if ((rc = operands(&o, 0)) || (rc = require(&o, names, vals, 5)))
        return rc;
    wh_err e;
    rc = create_run(&o, &e);
    free_bins(&o);
    return rc ? wh_cli_report(o.prog, &e) : 0;
}

/* --- insert ----------------------------------------------------------------- */

static const wh_opt insert_opts[] = {
    { O_TARGET, "target", "T=FILE", "add the binary for target T, "
      "<arch>-<os> (repeatable)" },
    { O_ISSUER, "issuer", "SEEDFILE", "the archive's issuer's account seed, "
      "to sign the claims again" },
    { 'o', "output", "FILE", "write the result there (default: replace "
      "ARCHIVE); compressed as ARCHIVE is" },
    { 0, NULL, NULL, NULL }
};

/* The claims' payload with the new targets' hashes, iat and jti. */
static int extend_payload(json_t *p, const par_opts *o, const char *path,
                          int64_t now, wh_err *e)
{
    json_t *h = json_object_get(json_object_get(p, "wascap"),
                                "target_hashes");
    for (int i = 0; i < o->ntargets; i++) {
        const bin *b = &o->bins[i];
        if (json_object_get(h, b->target))
            return wh_fail(e, WH_E_EXISTS, path, -1, "target '%s' is "
                           "already in the archive", b->target);
        int rc = wh_par_hash_add(h, b->entry, b->data, b->len, e);
        if (rc)
            return rc;
    }
    if (json_object_set_new(p, "iat", json_integer(now)))
        return wh_fail(e, WH_E_NOMEM, NULL, -1, NULL);
    return wh_par_set_jti(p, e);
}

/* The issuer's seed must be the archive's issuer. */
static int check_issuer(const json_t *p, const wh_par_key *k,
                        const char *path, wh_err *e)
{
    const char *iss = json_string_value(json_object_get(p, "iss"));
    if (iss && !strcmp(iss, k->pub))
        return 0;
    return wh_fail(e, WH_E_VERIFY, path, -1, "issued by '%s', not by the "
                   "--issuer seed's '%s'", iss ? iss : "", k->pub);
}

/* New entries: claims.jwt, the old binaries, the new ones, world.wasm. */
static int rewrite(const wh_par_archive *a, const par_opts *o,
                   const char *tok, uint8_t **d, size_t *n, wh_err *e)
{
    wh_par_entry ent[WH_PAR_MAX_ENTRIES + MAX_TARGETS + 1];
    size_t k = 0;
    ent[k++] = (wh_par_entry){ "claims.jwt", (const uint8_t *)tok,
                               strlen(tok), WH_PAR_FILE };
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->ent[i].name, "claims.jwt")
            && strcmp(a->ent[i].name, "world.wasm"))
            ent[k++] = a->ent[i];
    for (int i = 0; i < o->ntargets; i++)
        ent[k++] = (wh_par_entry){ o->bins[i].entry,
            (const uint8_t *)o->bins[i].data, o->bins[i].len, WH_PAR_FILE };
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->ent[i].name, "world.wasm"))
            ent[k++] = a->ent[i];
    return wh_par_tar(ent, k, a->gzip, d, n, e);
}

/* Sign the extended claims and build the new archive bytes. */
static int resign(const wh_par_archive *a, const par_opts *o,
                  const wh_par_key *k, const char *path, uint8_t **d,
                  size_t *n, wh_err *e)
{
    wh_jwt jwt;
    int rc = wh_jwt_decode(&jwt, a->claims, a->claims_len, e);
    if (rc)
        return rc;
    json_t *p = json_deep_copy(jwt.payload);
    wh_jwt_free(&jwt);
    char *tok = NULL;
    if (!p)
        rc = wh_fail(e, WH_E_NOMEM, NULL, -1, NULL);
    if (!rc && !(rc = check_issuer(p, k, path, e))
        && !(rc = extend_payload(p, o, path, now_time(), e))
        && !(tok = wh_par_token(NULL, p, k->sk, e)))
        rc = e->code;
    if (!rc)
        rc = rewrite(a, o, tok, d, n, e);
    free(tok);
    json_decref(p);
    return rc;
}

static int insert_run(par_opts *o, const char *path, wh_err *e)
{
    char *file = NULL;
    size_t flen, n = 0;
    uint8_t *d = NULL;
    wh_pkg pkg = { 0 };
    wh_par_archive a;
    wh_par_key k;
    memset(&a, 0, sizeof a);
    memset(&k, 0, sizeof k);
    int rc = wh_file_read(path, WH_PKG_MAX_SIZE, &file, &flen, e);
    if (rc || (rc = self_check(path, (uint8_t *)file, flen, 0, &pkg, e))
        || (rc = read_bins(o->bins, o->ntargets, e))
        || (rc = wh_par_load(path, (uint8_t *)file, flen, &a, e))
        || (rc = wh_par_key_load(&k, o->issuer, WH_NKEY_ACCOUNT, e))
        || (rc = resign(&a, o, &k, path, &d, &n, e)))
        goto out;
    const char *out = o->out ? o->out : path;
    wh_pkg_free(&pkg);
    if (!(rc = self_check(out, d, n, now_time(), &pkg, e)))
        rc = finish(out, d, n, &pkg, "signed", e);
out:
    wh_par_key_wipe(&k);
    wh_par_archive_free(&a);
    wh_pkg_free(&pkg);
    free(file);
    free(d);
    return rc;
}

static int par_insert(int argc, char **argv)
{
    par_opts o = { .prog = "wharf par insert", .role = -1 };
    int rc = parse(&o, insert_opts, "wharf par insert ARCHIVE --target "
                   "T=FILE... --issuer SEEDFILE [-o FILE]", "Add targets to "
                   "a provider archive that verifies, and sign its claims "
                   "again\nwith the archive's issuer key.", argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    const char *names[] = { "--target", "--issuer" };
    const char *vals[] = { o.ntargets ? "" : NULL, o.issuer };
    if ((rc = operands(&o, 1)) || (rc = require(&o, names, vals, 2)))
        return rc;
    wh_err e;
    rc = insert_run(&o, o.argv[0], &e);
    free_bins(&o);
    return rc ? wh_cli_report(o.prog, &e) : 0;
}

/* --- inspect ---------------------------------------------------------------- */

static const wh_opt inspect_opts[] = {
    { INS_OPT_JSON, "json", NULL, "print the result as JSON" },
    { 0, NULL, NULL, NULL }
};

/* What inspect shows of each entry. */
static json_t *entry_json(const wh_par_entry *en)
{
    uint8_t d[WH_SHA256_BYTES];
    char hex[WH_SHA256_HEX];
    wh_sha256_buf(en->data, en->len, d, NULL);
    wh_hex_encode(hex, d, sizeof d, 0);
    return json_pack("{s:s, s:I, s:s}", "name", en->name,
                     "size", (json_int_t)en->len, "sha256", hex);
}

/* The whole report as JSON (also the source of the text form). */
static json_t *report_json(const char *path, const uint8_t *f, size_t n,
                           const wh_par_archive *a, const json_t *claims,
                           const wh_pkg *pkg, const wh_err *verdict)
{
    uint8_t d[WH_SHA256_BYTES];
    char hex[WH_SHA256_HEX], msg[WH_ERR_LINE_MAX];
    wh_sha256_buf(f, n, d, NULL);
    wh_hex_encode(hex, d, sizeof d, 0);
    json_t *ents = json_array();
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->ent[i].name, "claims.jwt"))
            json_array_append_new(ents, entry_json(&a->ent[i]));
    int ok = !verdict->code;
    return json_pack("{s:s, s:b, s:I, s:s, s:O, s:o, s:b, s:o, s:o, s:o}",
        "file", path, "gzip", a->gzip, "size", (json_int_t)n, "sha256", hex,
        "claims", claims, "entries", ents, "valid", ok,
        "error", ok ? json_null()
                    : json_string(wh_err_format(verdict, msg, sizeof msg)),
        "module", ok ? json_string(pkg->name) : json_null(),
        "version", ok ? json_string(pkg->version) : json_null());
}

/* A claim's value as text for the report ("-" when absent). */
static void claim_text(const json_t *v, char *out, size_t n)
{
    if (json_is_string(v))
        snprintf(out, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, n, "%lld", (long long)json_integer_value(v));
    else
        snprintf(out, n, "-");
}

static void print_time(const char *label, const json_t *v, const char *none)
{
    char date[32];
    if (!json_is_integer(v)) {
        printf("%-12s%s\n", label, none);
        return;
    }
    wh_cli_date(json_integer_value(v), date);
    printf("%-12s%s (%lld)\n", label, date, (long long)json_integer_value(v));
}

static void print_report(const json_t *r)
{
    const json_t *c = json_object_get(r, "claims");
    const json_t *w = json_object_get(c, "wascap");
    char v[1100];
    printf("%-12s%s (%s, %lld bytes)\n", "file",
           json_string_value(json_object_get(r, "file")),
           json_is_true(json_object_get(r, "gzip")) ? "tar.gz" : "tar",
           (long long)json_integer_value(json_object_get(r, "size")));
    static const char *const keys[][2] = {
        { "name", "name" }, { "vendor", "vendor" }, { "ver", "version" },
        { "rev", "revision" } };
    for (size_t i = 0; i < 4; i++) {
        claim_text(json_object_get(w, keys[i][0]), v, sizeof v);
        printf("%-12s%s\n", keys[i][1], v);
    }
    claim_text(json_object_get(c, "iss"), v, sizeof v);
    printf("%-12s%s\n", "issuer", v);
    claim_text(json_object_get(c, "sub"), v, sizeof v);
    printf("%-12s%s\n", "subject", v);
    print_time("issued", json_object_get(c, "iat"), "-");
    print_time("expires", json_object_get(c, "exp"), "never");
    print_time("not before", json_object_get(c, "nbf"), "immediately");
    claim_text(json_object_get(c, "jti"), v, sizeof v);
    printf("%-12s%s\n", "jti", v);
}

static void print_entries(const json_t *r)
{
    size_t i;
    const json_t *e;
    printf("entries:\n");
    json_array_foreach(json_object_get(r, "entries"), i, e)
        printf("  %-24s %10lld bytes  sha256 %s\n",
               json_string_value(json_object_get(e, "name")),
               (long long)json_integer_value(json_object_get(e, "size")),
               json_string_value(json_object_get(e, "sha256")));
    if (json_is_true(json_object_get(r, "valid")))
        printf("%-12syes: %s %s\n", "valid",
               json_string_value(json_object_get(r, "module")),
               json_string_value(json_object_get(r, "version")));
    else
        printf("%-12sno\n", "valid");
}

/* Decode the claims (not verified: the verdict is separate). */
static int inspect_show(const par_opts *o, const char *path,
                        const uint8_t *f, size_t n, wh_err *e)
{
    wh_par_archive a;
    wh_jwt jwt = { 0 };
    int rc = wh_par_load(path, f, n, &a, e);
    if (rc)
        return rc;
    if ((rc = wh_jwt_decode(&jwt, a.claims, a.claims_len, e))) {
        snprintf(e->path, sizeof e->path, "%s", path);
        wh_err_prefix(e, "claims.jwt");
        goto out;
    }
    wh_pkg pkg = { 0 };
    wh_err verdict;
    wh_err_clear(&verdict);
    self_check(path, f, n, 0, &pkg, &verdict);
    json_t *r = report_json(path, f, n, &a, jwt.payload, &pkg, &verdict);
    if (o->json) {
        char *s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
        printf("%s\n", s ? s : "null");
        free(s);
    } else {
        print_report(r);
        print_entries(r);
    }
    json_decref(r);
    wh_pkg_free(&pkg);
    if ((rc = verdict.code))
        *e = verdict;
out:
    wh_jwt_free(&jwt);
    wh_par_archive_free(&a);
    return rc;
}

static int par_inspect(int argc, char **argv)
{
    par_opts o = { .prog = "wharf par inspect", .role = -1 };
    int rc = parse(&o, inspect_opts, "wharf par inspect ARCHIVE [--json]",
                   "Show a provider archive's claims and entries, and "
                   "whether it verifies (if not, say\nwhy and fail).",
                   argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if ((rc = operands(&o, 1)))
        return rc;
    char *f = NULL;
    size_t n;
    wh_err e;
    if (!(rc = wh_file_read(o.argv[0], WH_PKG_MAX_SIZE, &f, &n, &e)))
        rc = inspect_show(&o, o.argv[0], (uint8_t *)f, n, &e);
    free(f);
    return rc ? wh_cli_report(o.prog, &e) : 0;
}

/* --- the command ------------------------------------------------------------ */

static const wh_cmd subcommands[] = {
    { "keygen",  par_keygen,  "make an account or service key (nkeys seed)" },
    { "create",  par_create,  "make a signed provider archive" },
    { "insert",  par_insert,  "add a target and sign the claims again" },
    { "inspect", par_inspect, "show the claims and entries; verify" },
    { NULL, NULL, NULL }
};

int cmd_par(int argc, char **argv)
{
    return wh_cli_dispatch("wharf par", "Create, extend and inspect wasmCloud "
                           "provider archives (PAR).", subcommands, argc,
                           argv);
}

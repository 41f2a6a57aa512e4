/* cmd_pack.c - `wharf pack`: a module and its manifest into a package
 * that Ferrite and wharf-index read, optionally signed.
 *
 *   wharf pack MODULE.wasm [--manifest ferrite-plugin.toml] [-s KEY] [-o DIR]
 *       NAME-VERSION.ferrpkg from Ferrite's manifest (common/pkg_write.c
 *       has the header's keys, their order and the JSON form)
 *   wharf pack --zip [MODULE.wasm] [--manifest plugin.toml] [-s KEY] [-o DIR]
 *       NAME-VERSION.zip, a plugin bundle: plugin.toml, the module as
 *       NAME.wasm, plugin.wit and README.md when given (--wit, --readme)
 *       or found beside the manifest
 *
 * The manifest defaults to the file of that name beside MODULE (or in the
 * current folder); a bundle's module to NAME.wasm beside its manifest.
 *
 * Order, so that nothing is written for a package that would be refused:
 * the manifest is read and checked (errors at file:line:col), the module
 * validated by wasmrt (wh_pkg_wasm_describe), the package made in memory
 * and read back with the reader every consumer uses (wh_pkg_read_mem: a
 * self-check, so pack can never write what wharf-index refuses), then,
 * with -s, the secret key loaded (its password asked only now) and the
 * bytes signed; only then is the package written (atomically) and the
 * .minisig after it (minisign's format: `minisign -Vm PKG -p KEY.pub`
 * checks it).  The trusted comment is minisign's default, its time
 * SOURCE_DATE_EPOCH when set, so a build can be reproduced to the byte.
 *
 * Tests: tests/cli/t2022-wharf-pack.sh, tests/unit/pkg_write_test.c.
 */
#include "installer/installer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/fs.h"
#include "common/hex.h"

enum { OPT_WIT = 1100, OPT_README };

static const wh_opt opts[] = {
    { 'm', "manifest", "FILE", "the manifest (default: ferrite-plugin.toml, or "
      "plugin.toml with --zip, beside MODULE)" },
    { 'z', "zip", NULL, "make a plugin bundle (.zip) instead of a .ferrpkg" },
    { 's', "secret-key", "KEY", "sign the package with this minisign secret "
      "key, writing PACKAGE.minisig" },
    { 'o', "output", "DIR", "the folder to write into (default: the current "
      "one)" },
    { OPT_WIT, "wit", "FILE", "--zip: add FILE as plugin.wit (default: "
      "plugin.wit beside the manifest, if any)" },
    { OPT_README, "readme", "FILE", "--zip: add FILE as README.md (default: "
      "README.md beside the manifest, if any)" },
    { 'q', "quiet", NULL, "print nothing but errors" },
    INS_OPTS_COMMON,
    { 0, NULL, NULL, NULL }
};

static const char usage[] =
    "wharf pack MODULE.wasm [--manifest FILE] [-s KEY] [-o DIR]\n"
    "       wharf pack --zip [MODULE.wasm] [--manifest FILE] [-s KEY] [-o DIR]";
static const char description[] =
    "Pack a WebAssembly module and its manifest into NAME-VERSION.ferrpkg\n"
    "(Ferrite's format, from ferrite-plugin.toml) or, with --zip, a plugin\n"
    "bundle NAME-VERSION.zip (from plugin.toml).  The module must validate;\n"
    "the package is read back before it is written.  With -s, a minisign\n"
    "signature PACKAGE.minisig is written beside it.";

#define PROG "wharf pack"
#define MANIFEST_MAX ((size_t)1 << 20)

typedef struct pack_opts {
    const char *module, *manifest, *key, *out, *wit, *readme;
    int zip, quiet;
} pack_opts;

/* What is being made: the inputs read, the result. */
typedef struct pack_job {
    const pack_opts *o;
    char     manifest[4096];
    char    *mtext, *wasm;
    size_t   mlen, wlen;
    char     module[4096];
    char     name[65], version[257];
    uint8_t *out;
    size_t   olen;
    char     path[4096 + 300];        /* DIR/NAME-VERSION.EXT */
} pack_job;

static int parse_args(pack_opts *o, int argc, char **argv)
{
    ins_cmd_opts co = { 0 };
    wh_cli cli;
    int c;
    wh_cli_init(&cli, PROG, argc, argv);
    while ((c = wh_cli_next(&cli, opts)) > 0) {
        switch (c) {
        case 'm': o->manifest = cli.arg; break;
        case 'z': o->zip = 1; break;
        case 's': o->key = cli.arg; break;
        case 'o': o->out = cli.arg; break;
        case 'q': o->quiet = 1; break;
        case OPT_WIT: o->wit = cli.arg; break;
        case OPT_README: o->readme = cli.arg; break;
        case WH_CLI_HELP:
            wh_cli_help(stdout, usage, description, opts);
            return -1;
        default: ins_cmd_opt(&co, c, &cli); break;   /* --home, --wait */
        }
    }
    if (c < 0)
        return wh_cli_usage_error(&cli);
    if (cli.argc > 1)
        snprintf(cli.msg, sizeof cli.msg, "unexpected argument '%s'", cli.argv[1]);
    else if (cli.argc == 0 && !o->zip)
        snprintf(cli.msg, sizeof cli.msg, "no module given");
    else if (!o->zip && (o->wit || o->readme))
        snprintf(cli.msg, sizeof cli.msg, "--wit and --readme go with --zip");
    else {
        o->module = cli.argc ? cli.argv[0] : NULL;
        return 0;
    }
    return wh_cli_usage_error(&cli);
}

/* file's folder + "/" + name into out ("name" alone for a bare file). */
static int beside(const char *file, const char *name, char *out, size_t n,
                  wh_err *err)
{
    const char *slash = file ? strrchr(file, '/') : NULL;
    int dl = slash ? (int)(slash - file) + 1 : 0;
    if (snprintf(out, n, "%.*s%s", dl, file ? file : "", name) >= (int)n)
        return wh_fail(err, WH_E_LIMIT, file, -1, "file name too long");
    return 0;
}

static int read_inputs(pack_job *j, wh_err *err)
{
    const pack_opts *o = j->o;
    int rc = 0;
    if (o->manifest)
        snprintf(j->manifest, sizeof j->manifest, "%s", o->manifest);
    else
        rc = beside(o->module, o->zip ? "plugin.toml" : "ferrite-plugin.toml",
                    j->manifest, sizeof j->manifest, err);
    if (rc == 0)
        rc = wh_file_read(j->manifest, MANIFEST_MAX, &j->mtext, &j->mlen, err);
    return rc;
}

/* The module, after the manifest told the name; it must validate. */
static int read_module(pack_job *j, wh_err *err)
{
    char wname[80];
    json_t *desc = NULL;
    int rc = 0;
    snprintf(wname, sizeof wname, "%s.wasm", j->name);
    if (j->o->module)
        snprintf(j->module, sizeof j->module, "%s", j->o->module);
    else
        rc = beside(j->manifest, wname, j->module, sizeof j->module, err);
    if (rc == 0)
        rc = wh_file_read(j->module, WH_PKG_MAX_ENTRY, &j->wasm, &j->wlen, err);
    if (rc == 0)
        rc = wh_pkg_wasm_describe(j->module, "not a valid module",
                                  (const uint8_t *)j->wasm, j->wlen, &desc, err);
    json_decref(desc);
    return rc;
}

static int out_path(pack_job *j, const char *ext, wh_err *err)
{
    const char *dir = j->o->out ? j->o->out : ".";
    if (snprintf(j->path, sizeof j->path, "%s%s%s-%s%s",
                 j->o->out ? dir : "", j->o->out ? "/" : "", j->name,
                 j->version, ext) >= (int)sizeof j->path)
        return wh_fail(err, WH_E_LIMIT, dir, -1, "folder name too long");
    return 0;
}

/* --- the two formats ----------------------------------------------------- */

static int make_ferrpkg(pack_job *j, wh_err *err)
{
    json_t *meta = NULL, *hdr = NULL;
    int rc = read_inputs(j, err);
    if (rc == 0)
        rc = wh_ferrite_manifest_read(j->manifest, j->mtext, j->mlen, &meta,
                                      err);
    if (rc == 0) {
        snprintf(j->name, sizeof j->name, "%s",
                 json_string_value(json_object_get(meta, "name")));
        snprintf(j->version, sizeof j->version, "%s",
                 json_string_value(json_object_get(meta, "version")));
        rc = read_module(j, err);
    }
    if (rc == 0)
        rc = wh_ferrpkg_header(meta, (const uint8_t *)j->wasm, j->wlen, &hdr,
                               err);
    if (rc == 0)
        rc = wh_ferrpkg_write(hdr, (const uint8_t *)j->wasm, j->wlen, &j->out,
                              &j->olen, err);
    if (rc == 0)
        rc = out_path(j, ".ferrpkg", err);
    json_decref(meta);
    json_decref(hdr);
    return rc;
}

/* An optional file: the one given, else name beside the manifest when it
 * exists; *data NULL when there is none. */
static int optional_file(const pack_job *j, const char *given, const char *name,
                         char **data, size_t *len, wh_err *err)
{
    char path[4096];
    struct stat st;
    *data = NULL;
    int rc = beside(j->manifest, name, path, sizeof path, err);
    if (rc == 0 && !given && lstat(path, &st) != 0)
        return 0;
    if (rc == 0)
        rc = wh_file_read(given ? given : path, WH_PKG_MAX_ENTRY, data, len,
                          err);
    return rc;
}

static int make_zip(pack_job *j, wh_err *err)
{
    char *wit = NULL, *readme = NULL, wname[80];
    size_t witlen = 0, rlen = 0, n = 2;
    wh_zip_file f[4];
    int rc = read_inputs(j, err);
    if (rc == 0)
        rc = wh_bundle_manifest_id(j->manifest, j->mtext, j->mlen, j->name,
                                   j->version, err);
    if (rc == 0 && (rc = read_module(j, err)) == 0 &&
        (rc = optional_file(j, j->o->wit, "plugin.wit", &wit, &witlen, err)) == 0)
        rc = optional_file(j, j->o->readme, "README.md", &readme, &rlen, err);
    snprintf(wname, sizeof wname, "%s.wasm", j->name);
    f[0] = (wh_zip_file){ "plugin.toml", (const uint8_t *)j->mtext, j->mlen };
    f[1] = (wh_zip_file){ wname, (const uint8_t *)j->wasm, j->wlen };
    if (wit)
        f[n++] = (wh_zip_file){ "plugin.wit", (const uint8_t *)wit, witlen };
    if (readme)
        f[n++] = (wh_zip_file){ "README.md", (const uint8_t *)readme, rlen };
    if (rc == 0)
        rc = wh_zip_write(f, n, &j->out, &j->olen, err);
    if (rc == 0)
        rc = out_path(j, ".zip", err);
    free(wit);
    free(readme);
    return rc;
}

/* The reader's verdict on what was made, as wharf-index will judge it. */
static int read_back(pack_job *j, wh_err *err)
{
    wh_pkg pkg;
    int rc = wh_pkg_read_mem(j->path, j->out, j->olen, NULL, &pkg, err);
    if (rc)
        return j->o->zip ? wh_bundle_error_relocate(err, j->manifest) : rc;
    if (strcmp(pkg.name, j->name) || strcmp(pkg.version, j->version))
        rc = wh_fail(err, WH_E_INTERNAL, j->path, -1, "reads back as %s %s",
                     pkg.name, pkg.version);
    wh_pkg_free(&pkg);
    return rc;
}

/* --- signing and writing --------------------------------------------------- */

static long long sign_time(void)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    long long t = s ? wh_cli_number(s, 0, 253402300799LL) : -1;
    return t >= 0 ? t : (long long)time(NULL);
}

static int sign(const pack_job *j, wh_minisign_sig *sig, char *id, wh_err *err)
{
    wh_minisign_seckey *sk = NULL;
    wh_minisign_pubkey pk;
    char trusted[WH_MINISIGN_TRUSTED_MAX + 1];
    int rc = wh_minisign_default_trusted(trusted, j->path, sign_time(), 0, err);
    if (rc == 0)
        rc = wh_cli_seckey_load(&sk, j->o->key, err);
    if (rc == 0)
        rc = wh_minisign_sign_buffer(sig, sk, j->out, j->olen, trusted, NULL,
                                     0, err);
    if (rc == 0) {
        wh_minisign_seckey_public(sk, &pk);
        wh_minisign_keyid_hex(pk.key_id, id);
    }
    wh_minisign_seckey_free(sk);
    return rc;
}

static int write_out(const pack_job *j, const wh_minisign_sig *sig,
                     wh_err *err)
{
    char sigpath[sizeof j->path + 8];
    int rc = j->o->out ? wh_mkdirs(j->o->out, err) : 0;
    if (rc == 0)
        rc = wh_file_write_atomic(j->path, j->out, j->olen, 0644, err);
    if (rc == 0 && sig) {
        snprintf(sigpath, sizeof sigpath, "%s.minisig", j->path);
        rc = wh_minisign_sig_save(sig, sigpath, err);
    }
    return rc;
}

static void say(const pack_job *j, const char *key_id)
{
    uint8_t d[WH_SHA256_BYTES];
    char hex[WH_SHA256_HEX], q[4 * sizeof j->path + 1];
    wh_sha256_buf(j->out, j->olen, d, NULL);
    wh_hex_encode(hex, d, sizeof d, 0);
    wh_quote(q, sizeof q, j->path, strlen(j->path));
    printf("wrote %s: %s %s, %zu bytes, sha256 %s\n", q, j->name, j->version,
           j->olen, hex);
    if (key_id)
        printf("signed %s.minisig with key %s\n", q, key_id);
}

static void job_free(pack_job *j)
{
    free(j->mtext);
    free(j->wasm);
    free(j->out);
}

int cmd_pack(int argc, char **argv)
{
    pack_opts o = { 0 };
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc < 0 ? WH_EXIT_OK : rc;
    pack_job j = { .o = &o };
    wh_minisign_sig sig;
    char id[17] = "";
    wh_err err;
    wh_err_clear(&err);
    rc = o.zip ? make_zip(&j, &err) : make_ferrpkg(&j, &err);
    if (rc == 0)
        rc = read_back(&j, &err);
    if (rc == 0 && o.key)
        rc = sign(&j, &sig, id, &err);
    if (rc == 0)
        rc = write_out(&j, o.key ? &sig : NULL, &err);
    if (rc == 0 && !o.quiet)
        say(&j, o.key ? id : NULL);
    job_free(&j);
    return rc ? wh_cli_report(PROG, &err) : WH_EXIT_OK;
}

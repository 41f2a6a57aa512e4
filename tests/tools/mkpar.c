/* mkpar.c - test tool: write wasmCloud provider archives (PAR), good or
 * deliberately broken, for tests/cli/t1010-par.sh.
 *
 *   mkpar OUT [options]
 *
 * Writes what wasmCloud's provider-archive crate writes: a tar (GNU
 * format, written by libarchive) holding claims.jwt first, then one
 * binary per target, then world.wasm if any; the token is wascap's: the
 * header {"typ":"jwt","alg":"Ed25519"}, a payload with jti, iat, iss
 * (an account nkey), sub (a service nkey), wascap {name, vendor, rev, ver,
 * target_hashes with the UPPER-case hex SHA-256 of every binary} and
 * wascap_revision 3, signed with the account's Ed25519 key.  Keys are
 * fresh (random) unless --seed makes them, and everything else, repeatable.
 * Binaries are arbitrary bytes: wharf never runs them.
 *
 * The keys, the payload, the token and the tar are common/par_write.c's,
 * the writer `wharf par` uses, so the good path here is wharf's own; mkpar
 * only adds the breakage between those steps (and keeps a fixed jti and
 * iat, so its archives repeat byte for byte).
 *
 * The options (see --help) choose the claims and break one thing at a
 * time: tamper with a binary after hashing, drop or add a hash, expire
 * the token, change its header, give the subject another role, sign with
 * another key, add unhashed, nested, linked or duplicate entries, and
 * truncate or flip bytes of the finished file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/cli.h"
#include "common/fs.h"
#include "common/nkeys.h"
#include "common/par_write.h"
#include "common/sha256.h"

#define MAX_ENTRIES 64
#define MAX_EDITS   32
#define EMPTY_SHA256 \
    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"

enum { E_FILE, E_DIR, E_LINK };

typedef struct entry {
    const char *name;
    char       *data;      /* malloc'd; the link target for E_LINK */
    size_t      len;
    int         type;
    int         hashed;    /* goes into target_hashes */
} entry;

typedef struct opts {
    const char *out, *name, *vendor, *ver, *rev, *capid, *header, *seed;
    const char *claims_text, *iat, *exp, *nbf, *schema;
    const char *tamper[MAX_EDITS], *drop_hash[MAX_EDITS], *add_hash[MAX_EDITS];
    const char *set[MAX_EDITS], *del[MAX_EDITS];
    int ntamper, ndrop, nadd, nset, ndel;
    int gzip, no_claims, no_bins, has_bins, bad_sig, wrong_signer, print_keys;
    int iss_role, sub_role;
    long long truncate, flip;
    int has_truncate, has_flip;
    entry ent[MAX_ENTRIES];
    int nent;
} opts;

enum {
    O_BIN = 256, O_BIN_TEXT, O_WORLD, O_RAW, O_DIR, O_LINK, O_NO_BINS,
    O_NAME, O_VENDOR, O_VER, O_REV, O_CAPID, O_IAT, O_EXP, O_NBF, O_SCHEMA,
    O_SET, O_DEL, O_TAMPER, O_DROP, O_ADD, O_HEADER, O_CLAIMS, O_NO_CLAIMS,
    O_ISS_ROLE, O_SUB_ROLE, O_WRONG, O_BADSIG, O_SEED, O_PRINT, O_TRUNC,
    O_FLIP, O_GZIP,
};

static const wh_opt optv[] = {
    { O_GZIP, "gzip", NULL,
      "gzip the tar" },
    { O_BIN, "bin", "NAME=FILE",
      "add binary NAME (hashed) from FILE" },
    { O_BIN_TEXT, "bin-text", "NAME=TEXT",
      "add binary NAME (hashed) holding TEXT" },
    { O_WORLD, "world", "TEXT",
      "add world.wasm (hashed) holding TEXT" },
    { O_RAW, "raw", "NAME=TEXT",
      "add entry NAME holding TEXT, not hashed" },
    { O_DIR, "dir", "NAME",
      "add a directory entry" },
    { O_LINK, "symlink", "NAME=DEST",
      "add a symbolic link" },
    { O_NO_BINS, "no-default-bins", NULL,
      "without --bin, write no binary at all" },
    { O_NAME, "name", "NAME",
      "wascap.name (default \"Fake Payments\")" },
    { O_VENDOR, "vendor", "TEXT",
      "wascap.vendor (default \"wharf tests\")" },
    { O_VER, "ver", "VERSION",
      "wascap.ver (default none)" },
    { O_REV, "rev", "N",
      "wascap.rev (default none)" },
    { O_CAPID, "capid", "ID",
      "old token: wascap.capid, no wascap_revision" },
    { O_IAT, "iat", "T",
      "issued at (default 1700000000)" },
    { O_EXP, "exp", "T",
      "expires at" },
    { O_NBF, "nbf", "T",
      "not valid before" },
    { O_SCHEMA, "schema", "JSON",
      "wascap.config_schema" },
    { O_SET, "set", "KEY=JSON",
      "set a payload key (wascap.KEY inside wascap)" },
    { O_DEL, "del", "KEY",
      "delete a payload key (wascap.KEY inside wascap)" },
    { O_TAMPER, "tamper", "NAME",
      "flip a bit of entry NAME after hashing it" },
    { O_DROP, "drop-hash", "KEY",
      "leave KEY out of target_hashes" },
    { O_ADD, "add-hash", "KEY",
      "add a hash for KEY, which has no binary" },
    { O_HEADER, "header", "JSON",
      "the token header, byte for byte" },
    { O_CLAIMS, "claims-text", "TEXT",
      "claims.jwt holds TEXT instead of a token" },
    { O_NO_CLAIMS, "no-claims", NULL,
      "write no claims.jwt" },
    { O_ISS_ROLE, "iss-role", "ROLE",
      "the issuer key's role (default account)" },
    { O_SUB_ROLE, "sub-role", "ROLE",
      "the subject key's role (default service)" },
    { O_WRONG, "wrong-signer", NULL,
      "sign with a key other than the issuer's" },
    { O_BADSIG, "bad-signature", NULL,
      "flip a bit of the signature" },
    { O_SEED, "seed", "TEXT",
      "derive the keys from TEXT (repeatable)" },
    { O_PRINT, "print-keys", NULL,
      "print \"ISSUER SUBJECT\" on stdout" },
    { O_TRUNC, "truncate", "N",
      "keep N bytes of the file (N < 0: drop -N)" },
    { O_FLIP, "flip", "OFF",
      "invert the byte at OFF (OFF < 0: from the end)" },
    { 0 }
};

static int die(const char *fmt, const char *arg)
{
    fprintf(stderr, "mkpar: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return 1;
}

static int role(const char *s)
{
    static const int roles[] = { WH_NKEY_ACCOUNT, WH_NKEY_SERVICE,
        WH_NKEY_OPERATOR, WH_NKEY_SERVER, WH_NKEY_CLUSTER, WH_NKEY_USER,
        WH_NKEY_MODULE };
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (!strcmp(s, wh_nkey_role(roles[i])))
            return roles[i];
    return -1;
}

/* Split "NAME=REST" (REST may be empty); NULL if there is no '='. */
static char *split(const char *arg, const char **rest)
{
    const char *eq = strchr(arg, '=');
    if (!eq)
        return NULL;
    *rest = eq + 1;
    return strndup(arg, (size_t)(eq - arg));
}

static int add_entry(opts *o, char *name, const char *data, size_t len,
                     int type, int hashed)
{
    if (o->nent == MAX_ENTRIES)
        return die("too many entries at '%s'", name);
    entry *e = &o->ent[o->nent++];
    e->name = name;
    e->data = malloc(len + 1);
    memcpy(e->data, data, len);
    e->data[len] = '\0';
    e->len = len;
    e->type = type;
    e->hashed = hashed;
    return 0;
}

static int add_file_arg(opts *o, const char *arg, int from_file, int hashed)
{
    const char *rest;
    char *name = split(arg, &rest);
    if (!name)
        return die("expected NAME=..., got '%s'", arg);
    if (!from_file)
        return add_entry(o, name, rest, strlen(rest), E_FILE, hashed);
    char *data;
    size_t len;
    wh_err e;
    if (wh_file_read(rest, (size_t)1 << 30, &data, &len, &e))
        return wh_cli_report("mkpar", &e);
    int rc = add_entry(o, name, data, len, E_FILE, hashed);
    free(data);
    return rc;
}

static int push(const char **list, int *n, const char *a)
{
    if (*n == MAX_EDITS)
        return die("too many edits at '%s'", a);
    list[(*n)++] = a;
    return 0;
}

static int parse(opts *o, int argc, char **argv)
{
    wh_cli cli;
    int c, rc = 0;
    wh_cli_init(&cli, "mkpar", argc, argv);
    while (rc == 0 && (c = wh_cli_next(&cli, optv)) > 0) {
        const char *a = cli.arg, *rest;
        switch (c) {
        case WH_CLI_HELP:
            wh_cli_help(stdout, "mkpar OUT [options]",
                        "Write a wasmCloud provider archive for tests.", optv);
            exit(0);
        case O_GZIP:     o->gzip = 1; break;
        case O_BIN:      rc = add_file_arg(o, a, 1, 1); o->has_bins = 1; break;
        case O_BIN_TEXT: rc = add_file_arg(o, a, 0, 1); o->has_bins = 1; break;
        case O_RAW:      rc = add_file_arg(o, a, 0, 0); break;
        case O_WORLD:
            rc = add_entry(o, strdup("world.wasm"), a, strlen(a), E_FILE, 1);
            break;
        case O_DIR:      rc = add_entry(o, strdup(a), "", 0, E_DIR, 0); break;
        case O_LINK: {
            char *n = split(a, &rest);
            rc = n ? add_entry(o, n, rest, strlen(rest), E_LINK, 0)
                   : die("expected NAME=DEST, got '%s'", a);
            break;
        }
        case O_NO_BINS:  o->no_bins = 1; break;
        case O_NAME:     o->name = a; break;
        case O_VENDOR:   o->vendor = a; break;
        case O_VER:      o->ver = a; break;
        case O_REV:      o->rev = a; break;
        case O_CAPID:    o->capid = a; break;
        case O_IAT:      o->iat = a; break;
        case O_EXP:      o->exp = a; break;
        case O_NBF:      o->nbf = a; break;
        case O_SCHEMA:   o->schema = a; break;
        case O_HEADER:   o->header = a; break;
        case O_CLAIMS:   o->claims_text = a; break;
        case O_NO_CLAIMS: o->no_claims = 1; break;
        case O_WRONG:    o->wrong_signer = 1; break;
        case O_BADSIG:   o->bad_sig = 1; break;
        case O_SEED:     o->seed = a; break;
        case O_PRINT:    o->print_keys = 1; break;
        case O_TRUNC:    o->truncate = atoll(a); o->has_truncate = 1; break;
        case O_FLIP:     o->flip = atoll(a); o->has_flip = 1; break;
        case O_ISS_ROLE:
        case O_SUB_ROLE:
            if (role(a) < 0)
                rc = die("unknown role '%s'", a);
            *(c == O_ISS_ROLE ? &o->iss_role : &o->sub_role) = role(a);
            break;
        case O_TAMPER: rc = push(o->tamper, &o->ntamper, a); break;
        case O_DROP:   rc = push(o->drop_hash, &o->ndrop, a); break;
        case O_ADD:    rc = push(o->add_hash, &o->nadd, a); break;
        case O_SET:    rc = push(o->set, &o->nset, a); break;
        case O_DEL:    rc = push(o->del, &o->ndel, a); break;
        }
    }
    if (rc)
        return rc;
    if (c < 0)
        return wh_cli_usage_error(&cli);
    if (cli.argc != 1)
        return die("%s", "expected one operand, the output file");
    o->out = cli.argv[0];
    return 0;
}

/* --- keys and token ------------------------------------------------------- */

typedef struct keys {
    wh_par_key iss, sub, oth;
} keys;

/* A key from SHA-256(label ":" seed), or random without a seed. */
static int keypair(const char *seed, const char *label, int role,
                   wh_par_key *k)
{
    wh_err e;
    if (!seed)
        return wh_par_key_generate(k, role, &e);
    char buf[1024];
    uint8_t s[32];
    snprintf(buf, sizeof buf, "%s:%s", label, seed);
    wh_sha256_buf(buf, strlen(buf), s, NULL);
    return wh_par_key_from_seed(k, role, s, &e);
}

static int make_keys(const opts *o, keys *k)
{
    return keypair(o->seed, "issuer", o->iss_role, &k->iss)
        || keypair(o->seed, "subject", o->sub_role, &k->sub)
        || keypair(o->seed, "other", WH_NKEY_ACCOUNT, &k->oth);
}

static json_t *json_arg(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v)
        die("bad JSON '%s'", text);
    return v;
}

/* The object a --set/--del KEY refers to, and the key inside it. */
static json_t *target_of(json_t *payload, const char *key, const char **k)
{
    if (!strncmp(key, "wascap.", 7)) {
        *k = key + 7;
        return json_object_get(payload, "wascap");
    }
    *k = key;
    return payload;
}

static int edit_payload(const opts *o, json_t *p)
{
    for (int i = 0; i < o->ndel; i++) {
        const char *k;
        json_t *obj = target_of(p, o->del[i], &k);
        json_object_del(obj, k);
    }
    for (int i = 0; i < o->nset; i++) {
        const char *rest, *k;
        char *key = split(o->set[i], &rest);
        json_t *v = key ? json_arg(rest) : NULL;
        if (!v) {
            free(key);
            return die("bad --set '%s'", o->set[i]);
        }
        json_t *obj = target_of(p, key, &k);
        json_object_set_new(obj, k, v);
        free(key);
    }
    return 0;
}

/* target_hashes as common/par_write.c makes them, then the edits. */
static json_t *hashes(const opts *o)
{
    json_t *h = json_object();
    for (int i = 0; i < o->nent; i++) {
        const entry *e = &o->ent[i];
        if (e->hashed)
            wh_par_hash_add(h, e->name, e->data, e->len, NULL);
    }
    for (int i = 0; i < o->ndrop; i++)
        json_object_del(h, o->drop_hash[i]);
    for (int i = 0; i < o->nadd; i++)
        json_object_set_new(h, o->add_hash[i], json_string(EMPTY_SHA256));
    return h;
}

/* wharf's payload (wh_par_payload) for mkpar's options; --capid makes
 * an old token: wascap.capid and no wascap_revision. */
static json_t *payload(const opts *o, const keys *k)
{
    json_t *schema = o->schema ? json_arg(o->schema) : NULL;
    wh_par_claims c = {
        .name = o->name ? o->name : "Fake Payments",
        .vendor = o->vendor ? o->vendor : "wharf tests",
        .ver = o->ver, .has_rev = o->rev != NULL,
        .rev = o->rev ? (int32_t)atoll(o->rev) : 0,
        .config_schema = schema,
        .iat = o->iat ? atoll(o->iat) : 1700000000,
        .has_exp = o->exp != NULL, .exp = o->exp ? atoll(o->exp) : 0,
        .has_nbf = o->nbf != NULL, .nbf = o->nbf ? atoll(o->nbf) : 0,
        .jti = "N8pscfqMN8vPrfissQwKXV",
    };
    json_t *p = wh_par_payload(&c, k->iss.pub, k->sub.pub, hashes(o));
    json_decref(schema);
    if (p && o->capid) {
        json_object_set_new(json_object_get(p, "wascap"), "capid",
                            json_string(o->capid));
        json_object_del(p, "wascap_revision");
    }
    return p;
}

/* The signed token, malloc'd (wh_par_token), broken as asked. */
static char *token(const opts *o, const keys *k)
{
    json_t *p = payload(o, k);
    if (!p || edit_payload(o, p)) {
        json_decref(p);
        return NULL;
    }
    wh_err e;
    char *t = wh_par_token(o->header, p, o->wrong_signer ? k->oth.sk
                                                          : k->iss.sk, &e);
    json_decref(p);
    if (!t) {
        wh_cli_report("mkpar", &e);
        return NULL;
    }
    /* A character in the middle of the signature: six bits of data, so
     * the text still decodes, to another signature. */
    char *sig = strrchr(t, '.') + 1;
    if (o->bad_sig)
        sig[13] = sig[13] == 'A' ? 'B' : 'A';
    return t;
}

/* --- the archive ---------------------------------------------------------- */

static int write_tar(const opts *o, const char *claims, uint8_t **out,
                     size_t *len)
{
    static const int types[] = { [E_FILE] = WH_PAR_FILE,
        [E_DIR] = WH_PAR_DIR, [E_LINK] = WH_PAR_SYMLINK };
    wh_par_entry e[MAX_ENTRIES + 1];
    size_t n = 0;
    if (claims)
        e[n++] = (wh_par_entry){ "claims.jwt", (const uint8_t *)claims,
                                 strlen(claims), WH_PAR_FILE };
    for (int i = 0; i < o->nent; i++)
        e[n++] = (wh_par_entry){ o->ent[i].name,
            (const uint8_t *)o->ent[i].data, o->ent[i].len,
            types[o->ent[i].type] };
    wh_err err;
    if (wh_par_tar(e, n, o->gzip, out, len, &err))
        return wh_cli_report("mkpar", &err);
    return 0;
}

static void finish(const opts *o, uint8_t *p, size_t *len)
{
    if (o->has_flip && *len) {
        long long off = o->flip < 0 ? (long long)*len + o->flip : o->flip;
        if (off >= 0 && (size_t)off < *len)
            p[off] ^= 0xff;
    }
    if (o->has_truncate) {
        long long n = o->truncate < 0 ? (long long)*len + o->truncate
                                      : o->truncate;
        if (n >= 0 && (size_t)n < *len)
            *len = (size_t)n;
    }
}

/* The two default binaries go first, before any --raw and --world. */
static int add_defaults(opts *o)
{
    int n = o->nent;
    if (add_entry(o, strdup("x86_64-linux.bin"), "linux provider\n", 15,
                  E_FILE, 1)
        || add_entry(o, strdup("aarch64-macos.bin"), "macos provider\n", 15,
                     E_FILE, 1))
        return 1;
    entry two[2] = { o->ent[n], o->ent[n + 1] };
    memmove(o->ent + 2, o->ent, (size_t)n * sizeof o->ent[0]);
    o->ent[0] = two[0];
    o->ent[1] = two[1];
    return 0;
}

int main(int argc, char **argv)
{
    static opts o = { .iss_role = WH_NKEY_ACCOUNT,
                      .sub_role = WH_NKEY_SERVICE };
    if (parse(&o, argc, argv))
        return 2;
    if (!o.no_bins && !o.has_bins && add_defaults(&o))
        return 2;
    keys k;
    if (make_keys(&o, &k))
        return die("%s", "cannot make keys");
    char *tok = o.no_claims || o.claims_text ? NULL : token(&o, &k);
    if (!o.no_claims && !o.claims_text && !tok)
        return 1;
    for (int i = 0; i < o.ntamper; i++)
        for (int j = 0; j < o.nent; j++)
            if (!strcmp(o.ent[j].name, o.tamper[i]) && o.ent[j].len)
                o.ent[j].data[o.ent[j].len - 1] ^= 1;
    uint8_t *b = NULL;
    size_t len = 0;
    int rc = write_tar(&o, o.no_claims ? NULL : o.claims_text ? o.claims_text
                                                              : tok, &b, &len);
    if (rc == 0) {
        finish(&o, b, &len);
        wh_err e;
        if (wh_file_write_atomic(o.out, b, len, 0644, &e))
            rc = wh_cli_report("mkpar", &e);
    }
    if (rc == 0 && o.print_keys)
        printf("%s %s\n", k.iss.pub, k.sub.pub);
    free(tok);
    free(b);
    for (int i = 0; i < o.nent; i++) {
        free((char *)o.ent[i].name);
        free(o.ent[i].data);
    }
    return rc;
}

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
 * The options (see --help) choose the claims and break one thing at a
 * time: tamper with a binary after hashing, drop or add a hash, expire
 * the token, change its header, give the subject another role, sign with
 * another key, add unhashed, nested, linked or duplicate entries, and
 * truncate or flip bytes of the finished file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <sodium.h>

#include "common/cli.h"
#include "common/fs.h"
#include "common/hex.h"
#include "common/jwt.h"
#include "common/nkeys.h"
#include "common/sha256.h"

#define MAX_ENTRIES 64
#define MAX_EDITS   32
#define EMPTY_SHA256 \
    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
#define HEADER "{\"typ\":\"jwt\",\"alg\":\"Ed25519\"}"

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
    uint8_t iss_pk[32], iss_sk[64], sub_pk[32], sub_sk[64], oth_pk[32],
            oth_sk[64];
    char iss[WH_NKEY_LEN + 1], sub[WH_NKEY_LEN + 1];
} keys;

/* A key pair from SHA-256(label ":" seed), or random without a seed. */
static void keypair(const char *seed, const char *label, uint8_t pk[32],
                    uint8_t sk[64])
{
    if (!seed) {
        crypto_sign_keypair(pk, sk);
        return;
    }
    char buf[1024];
    uint8_t s[32];
    snprintf(buf, sizeof buf, "%s:%s", label, seed);
    wh_sha256_buf(buf, strlen(buf), s, NULL);
    crypto_sign_seed_keypair(pk, sk, s);
}

static void make_keys(const opts *o, keys *k)
{
    keypair(o->seed, "issuer", k->iss_pk, k->iss_sk);
    keypair(o->seed, "subject", k->sub_pk, k->sub_sk);
    keypair(o->seed, "other", k->oth_pk, k->oth_sk);
    wh_nkey_encode(k->iss, o->iss_role, k->iss_pk);
    wh_nkey_encode(k->sub, o->sub_role, k->sub_pk);
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

static json_t *hashes(const opts *o)
{
    json_t *h = json_object();
    for (int i = 0; i < o->nent; i++) {
        const entry *e = &o->ent[i];
        if (!e->hashed)
            continue;
        uint8_t d[32];
        char hex[65], key[256];
        wh_sha256_buf(e->data, e->len, d, NULL);
        wh_hex_encode(hex, d, sizeof d, 1);
        const char *dot = strrchr(e->name, '.');
        snprintf(key, sizeof key, "%.*s", !strcmp(e->name, "world.wasm")
                 || !dot ? (int)strlen(e->name) : (int)(dot - e->name),
                 e->name);
        json_object_set_new(h, key, json_string(hex));
    }
    for (int i = 0; i < o->ndrop; i++)
        json_object_del(h, o->drop_hash[i]);
    for (int i = 0; i < o->nadd; i++)
        json_object_set_new(h, o->add_hash[i], json_string(EMPTY_SHA256));
    return h;
}

static json_t *payload(const opts *o, const keys *k)
{
    json_t *w = json_pack("{s:s, s:s}",
                          "name", o->name ? o->name : "Fake Payments",
                          "vendor", o->vendor ? o->vendor : "wharf tests");
    if (o->capid)
        json_object_set_new(w, "capid", json_string(o->capid));
    if (o->rev)
        json_object_set_new(w, "rev", json_integer(atoll(o->rev)));
    if (o->ver)
        json_object_set_new(w, "ver", json_string(o->ver));
    json_object_set_new(w, "target_hashes", hashes(o));
    if (o->schema)
        json_object_set_new(w, "config_schema", json_arg(o->schema));
    json_t *p = json_object();
    if (o->exp)
        json_object_set_new(p, "exp", json_integer(atoll(o->exp)));
    json_object_set_new(p, "jti", json_string("N8pscfqMN8vPrfissQwKXV"));
    json_object_set_new(p, "iat", json_integer(o->iat ? atoll(o->iat)
                                                      : 1700000000));
    json_object_set_new(p, "iss", json_string(k->iss));
    json_object_set_new(p, "sub", json_string(k->sub));
    if (o->nbf)
        json_object_set_new(p, "nbf", json_integer(atoll(o->nbf)));
    json_object_set_new(p, "wascap", w);
    if (!o->capid)
        json_object_set_new(p, "wascap_revision", json_integer(3));
    return p;
}

static char *b64url(const char *s, size_t n)
{
    char *out = malloc(WH_BASE64URL_ENCODED_LEN(n) + 1);
    wh_base64url_encode(out, s, n);
    return out;
}

/* The signed token, malloc'd. */
static char *token(const opts *o, const keys *k)
{
    json_t *p = payload(o, k);
    if (edit_payload(o, p)) {
        json_decref(p);
        return NULL;
    }
    char *pj = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    const char *hj = o->header ? o->header : HEADER;
    char *h64 = b64url(hj, strlen(hj)), *p64 = b64url(pj, strlen(pj));
    size_t n = strlen(h64) + strlen(p64) + 1;
    char *t = malloc(n + 1 + WH_BASE64URL_ENCODED_LEN(64) + 1);
    sprintf(t, "%s.%s", h64, p64);
    uint8_t sig[64];
    crypto_sign_detached(sig, NULL, (const uint8_t *)t, n,
                         o->wrong_signer ? k->oth_sk : k->iss_sk);
    if (o->bad_sig)
        sig[10] ^= 1;
    t[n] = '.';
    wh_base64url_encode(t + n + 1, sig, sizeof sig);
    free(pj);
    free(h64);
    free(p64);
    return t;
}

/* --- the archive ---------------------------------------------------------- */

typedef struct buf {
    char  *p;
    size_t len, cap;
} buf;

static la_ssize_t buf_write(struct archive *a, void *ctx, const void *d,
                            size_t n)
{
    buf *b = ctx;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    return (la_ssize_t)n;
}

static void add(struct archive *a, const entry *e)
{
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, e->name);
    archive_entry_set_mtime(ae, 0, 0);
    if (e->type == E_DIR) {
        archive_entry_set_filetype(ae, AE_IFDIR);
        archive_entry_set_perm(ae, 0755);
    } else if (e->type == E_LINK) {
        archive_entry_set_filetype(ae, AE_IFLNK);
        archive_entry_set_perm(ae, 0777);
        archive_entry_set_symlink(ae, e->data);
    } else {
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_size(ae, (la_int64_t)e->len);
    }
    archive_write_header(a, ae);
    if (e->type == E_FILE)
        archive_write_data(a, e->data, e->len);
    archive_entry_free(ae);
}

static int write_tar(const opts *o, const char *claims, buf *b)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_gnutar(a);
    if (o->gzip) {
        archive_write_add_filter_gzip(a);
        archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
    }
    archive_write_set_bytes_in_last_block(a, 1);
    if (archive_write_open(a, b, NULL, buf_write, NULL) != ARCHIVE_OK)
        return die("libarchive: %s", archive_error_string(a));
    if (claims) {
        entry c = { "claims.jwt", (char *)claims, strlen(claims), E_FILE, 0 };
        add(a, &c);
    }
    for (int i = 0; i < o->nent; i++)
        add(a, &o->ent[i]);
    int rc = archive_write_close(a) != ARCHIVE_OK;
    if (rc)
        die("libarchive: %s", archive_error_string(a));
    archive_write_free(a);
    return rc;
}

static void finish(const opts *o, buf *b)
{
    if (o->has_flip && b->len) {
        long long off = o->flip < 0 ? (long long)b->len + o->flip : o->flip;
        if (off >= 0 && (size_t)off < b->len)
            b->p[off] ^= (char)0xff;
    }
    if (o->has_truncate) {
        long long n = o->truncate < 0 ? (long long)b->len + o->truncate
                                      : o->truncate;
        if (n >= 0 && (size_t)n < b->len)
            b->len = (size_t)n;
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
    if (sodium_init() < 0 || parse(&o, argc, argv))
        return 2;
    if (!o.no_bins && !o.has_bins && add_defaults(&o))
        return 2;
    keys k;
    make_keys(&o, &k);
    char *tok = o.no_claims || o.claims_text ? NULL : token(&o, &k);
    if (!o.no_claims && !o.claims_text && !tok)
        return 1;
    for (int i = 0; i < o.ntamper; i++)
        for (int j = 0; j < o.nent; j++)
            if (!strcmp(o.ent[j].name, o.tamper[i]) && o.ent[j].len)
                o.ent[j].data[o.ent[j].len - 1] ^= 1;
    buf b = { 0 };
    int rc = write_tar(&o, o.no_claims ? NULL : o.claims_text ? o.claims_text
                                                              : tok, &b);
    if (rc == 0) {
        finish(&o, &b);
        wh_err e;
        if (wh_file_write_atomic(o.out, b.p, b.len, 0644, &e))
            rc = wh_cli_report("mkpar", &e);
    }
    if (rc == 0 && o.print_keys)
        printf("%s %s\n", k.iss, k.sub);
    free(tok);
    free(b.p);
    for (int i = 0; i < o.nent; i++) {
        free((char *)o.ent[i].name);
        free(o.ent[i].data);
    }
    return rc;
}

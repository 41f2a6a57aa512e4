/* toml_internal.h - what toml.c, toml_parse.c and toml_scalar.c share.
 *
 * The value tree (struct wh_toml_value), the node pool of a document and
 * the table index live in toml.c; the parser in toml_parse.c builds the
 * tree with the functions below; toml_scalar.c turns one bare token
 * (number, date/time) into a value.  Not a public interface.
 */
#ifndef WH_TOML_INTERNAL_H
#define WH_TOML_INTERNAL_H

#include "toml.h"

/* Parse-time state of a table or array (wh_toml_value.flags). */
enum {
    WH_TOML_F_IMPLICIT = 1,  /* table: created by a prefix of a [header] */
    WH_TOML_F_EXPLICIT = 2,  /* table: defined by [header] or [[header]] */
    WH_TOML_F_DOTTED   = 4,  /* table: defined by a dotted key */
    WH_TOML_F_INLINE   = 8,  /* table: inline, closed to every addition */
    WH_TOML_F_AOT      = 16, /* array: made by [[header]], may grow */
};

struct wh_toml_value {
    unsigned char  type;     /* wh_toml_type */
    unsigned char  flags;    /* WH_TOML_F_* */
    unsigned short depth;    /* root 0, each table/array level +1 */
    int            line, col;
    wh_toml_value *parent;   /* NULL for the root */
    char          *key;      /* owned; NULL for the root and elements */
    size_t         keylen;   /* or, for an array element, its index */
    uint64_t       hash;     /* of key, for the parent's index */
    union {
        struct { char *s; size_t len; } str;
        int64_t i;
        double  f;
        bool    b;
        wh_toml_datetime dt;  /* dt.text is owned */
        struct {
            wh_toml_value **items; /* document order */
            size_t len, cap;
            uint32_t *slots;       /* table index: item + 1, 0 = empty */
            size_t nslots;         /* 0 until the table is large */
            uint64_t seed;
        } c;                       /* tables and arrays */
    } u;
};

struct wh_toml_chunk;

struct wh_toml {
    wh_toml_value root;           /* first: a value finds its document */
    char *path;
    uint64_t seed;                /* per document, for the table hash */
    struct wh_toml_chunk *chunks; /* every other value lives here */
};

/* A new document with an empty root table, or NULL (out of memory). */
wh_toml *wh_toml_doc_new(const char *path);

/* A new value of type t in doc, zeroed, or NULL (out of memory). */
wh_toml_value *wh_toml_node(wh_toml *doc, wh_toml_type t);

/* Hash of a key as table t (or any table of its document) indexes it. */
uint64_t wh_toml_hash(const wh_toml_value *t, const char *key, size_t n);

/* The entry of table t with this key and hash, or NULL. */
wh_toml_value *wh_toml_find(const wh_toml_value *t, const char *key,
                            size_t n, uint64_t hash);

/* Add v under a copy of key to table t (the caller has checked that the
 * key is new), or as the last element of array t (key NULL).  Sets v's
 * parent, key and depth.  Returns 0 or WH_E_NOMEM. */
int wh_toml_add(wh_toml_value *t, const char *key, size_t n, uint64_t hash,
                wh_toml_value *v);

/* wh_toml_name of v, followed by ".key" when key is not NULL: the name a
 * new entry of table v would have. */
char *wh_toml_name_key(const wh_toml_value *v, const char *key, size_t keylen,
                       char *buf, size_t n);

/* --- toml_scalar.c: bare values.  Each parses all n bytes of token s
 * (ASCII, no whitespace except the date-time space) into v's type and
 * payload and returns NULL, or a reason and *at, the offset in s it
 * points at; the reason is msg (WH_TOML_MSG bytes) or a constant.  They
 * allocate nothing: scratch has room for n + 1 bytes, and the parser sets
 * the text of a date/time. --- */
#define WH_TOML_MSG 160
const char *wh_toml_scan_number(const char *s, size_t n, wh_toml_value *v,
                                size_t *at, char *msg, char *scratch);
const char *wh_toml_scan_datetime(const char *s, size_t n, wh_toml_value *v,
                                  size_t *at, char *msg);

/* True if the token is a date or time rather than a number: it starts
 * with four digits and '-', or two digits and ':'. */
bool wh_toml_looks_datetime(const char *s, size_t n);

#endif

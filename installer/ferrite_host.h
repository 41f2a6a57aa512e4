/* ferrite_host.h - Ferrite's host API (import module "ferrite") for
 * modules run by `wharf run`: log, time, get, set, del, exists, incr,
 * hget, hset, with Ferrite's signatures and return codes, over a local
 * store (kvstore.h) and under grants (grants.h).  ferrite_host.c lists
 * the functions and the rules.
 *
 * Tests: tests/cli/t2020-wharf-run.sh, t2021-wharf-run-grants.sh.
 */
#ifndef INS_FERRITE_HOST_H
#define INS_FERRITE_HOST_H

#include <stdio.h>

#include "installer/grants.h"
#include "installer/kvstore.h"
#include "wasmrt/wasmrt.h"

#define INS_FERRITE_MODULE "ferrite"

/* Denial messages printed before the rest are only counted. */
#define INS_FERRITE_SHOWN_DENIALS 10

typedef struct ins_ferrite {
    ins_kv           *kv;        /* the store (not owned) */
    const ins_grants *grants;    /* what the guest may touch (not owned) */
    FILE             *out;       /* where log lines and denials go */
    const char       *prog;      /* "wharf run", the messages' prefix */
    unsigned long     denials;   /* accesses refused so far */
} ins_ferrite;

/* Add to imp, as host functions of s, each "ferrite" function that m
 * imports (the others are not made: linking stays cheap for a UDF that
 * uses two of them).  An import of "ferrite" that is not one of the
 * nine, or has another type, is left out, so instantiation fails with
 * wasmrt's "unknown import" / "incompatible import type".  f must
 * outlive the store.  Returns 0, or -1 with err filled. */
int ins_ferrite_link(ins_ferrite *f, wr_store *s, wr_imports *imp,
                     const wr_module *m, wr_error *err);

#endif

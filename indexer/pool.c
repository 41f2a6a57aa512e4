/* pool.c - the reading threads of wharf-index, and how much memory they
 * may hold at once.
 *
 * THREADS.  ix_parallel runs fn over [0, n) on --jobs threads, each taking
 * the next index; results are left in per-index slots, so output never
 * depends on scheduling.  A thread that cannot be started leaves its share
 * to the others.
 *
 * MEMORY.  Each package is read whole into memory and its modules are
 * decoded and compiled by wasmrt, so reading costs a small multiple of the
 * package's size (scan.c's read_cost gives the bound per format).  --jobs
 * alone would let eight threads each take a 500 MB worst case at once; so
 * every reader first takes its bound from an ix_budget and gives it back
 * when done.  The default budget is half the machine's physical memory:
 * whatever --jobs says, the packages being read at any moment together
 * need at most that much, except that a single package larger than the
 * whole budget is read alone.
 *
 * Tests: tests/cli/t1100-wharf-index-build.sh (output independent of
 * --jobs); tests/unit/pool_test.c (the budget).
 */
#include "indexer/indexer.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* --- threads ------------------------------------------------------------- */

typedef struct pool {
    pthread_mutex_t lock;
    size_t next, n;
    void (*fn)(size_t, void *);
    void *ctx;
} pool;

static void *pool_worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next < p->n ? p->next++ : p->n;
        pthread_mutex_unlock(&p->lock);
        if (i == p->n)
            return NULL;
        p->fn(i, p->ctx);
    }
}

void ix_parallel(size_t n, int jobs, void (*fn)(size_t i, void *ctx), void *ctx)
{
    pool p = { .next = 0, .n = n, .fn = fn, .ctx = ctx };
    pthread_mutex_init(&p.lock, NULL);
    size_t want = jobs > 1 ? (size_t)jobs - 1 : 0;
    if (want > n)
        want = n;
    pthread_t *tid = want ? calloc(want, sizeof *tid) : NULL;
    size_t started = 0;
    while (tid && started < want &&
           pthread_create(&tid[started], NULL, pool_worker, &p) == 0)
        started++;
    pool_worker(&p);
    for (size_t i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    free(tid);
    pthread_mutex_destroy(&p.lock);
}

int ix_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

int ix_jobs_arg(wh_cli *cli, int *jobs)
{
    long long v = wh_cli_number(cli->arg, 1, 256);
    if (v < 0) {
        snprintf(cli->msg, sizeof cli->msg, "--jobs '%s' is not a number "
                 "from 1 to 256", cli->arg);
        return wh_cli_usage_error(cli);
    }
    *jobs = (int)v;
    return 0;
}

/* --- the memory budget ----------------------------------------------------- */

static uint64_t default_budget(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0)
        return (uint64_t)1 << 30;       /* unknown: assume a small machine */
    return (uint64_t)pages * (uint64_t)size / 2;
}

void ix_budget_init(ix_budget *b, uint64_t total)
{
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->freed, NULL);
    b->total = total ? total : default_budget();
    b->used = 0;
}

uint64_t ix_budget_take(ix_budget *b, uint64_t want)
{
    pthread_mutex_lock(&b->lock);
    if (want > b->total)
        want = b->total;        /* read alone, once the others are done */
    while (b->used + want > b->total)
        pthread_cond_wait(&b->freed, &b->lock);
    b->used += want;
    pthread_mutex_unlock(&b->lock);
    return want;
}

void ix_budget_give(ix_budget *b, uint64_t got)
{
    pthread_mutex_lock(&b->lock);
    b->used -= got;
    pthread_cond_broadcast(&b->freed);
    pthread_mutex_unlock(&b->lock);
}

void ix_budget_free(ix_budget *b)
{
    pthread_cond_destroy(&b->freed);
    pthread_mutex_destroy(&b->lock);
}

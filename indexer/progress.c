/* progress.c - the progress bar wharf-index draws on a terminal.
 *
 * One line on stderr, redrawn in place with "\r":
 *
 *     reading [##########----------]  5012/10000 files  48%
 *
 * The percentage follows bytes, not files, since one large PAR can take
 * as long as a thousand small packages.  Worker threads report finished
 * files through ix_progress_add; a mutex orders them and a clock limits
 * redraws to ten a second, so the bar costs nothing next to the work.
 * Nothing is drawn unless stderr is a terminal (ix_progress_wanted): logs
 * and pipes get the messages only.
 *
 * Tests: by hand (a terminal is needed); tests/cli/t1100 checks that
 * nothing of it reaches a redirected stderr.
 */
#include "indexer/indexer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 24

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ix_progress_wanted(int quiet)
{
    const char *term = getenv("TERM");
    return !quiet && isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
}

void ix_progress_start(ix_progress *p, const char *what, size_t files,
                       uint64_t bytes, int enabled)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    p->enabled = enabled && files > 0;
    p->what = what;
    p->files = files;
    p->bytes = bytes;
}

/* Called with the lock held. */
static void draw(ix_progress *p)
{
    unsigned pct = p->bytes ? (unsigned)(p->bytes_done * 100 / p->bytes)
                            : (unsigned)(p->files_done * 100 / p->files);
    if (pct > 100)
        pct = 100;
    char bar[BAR_WIDTH + 1];
    unsigned fill = pct * BAR_WIDTH / 100;
    memset(bar, '#', fill);
    memset(bar + fill, '-', BAR_WIDTH - fill);
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r%s [%s] %zu/%zu files %3u%%", p->what, bar,
            p->files_done, p->files, pct);
    fflush(stderr);
    p->drawn = 1;
}

void ix_progress_add(ix_progress *p, uint64_t bytes)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->files_done++;
    p->bytes_done += bytes;
    if (p->enabled) {
        long long t = now_ms();
        if (t - p->last_ms >= 100 || p->files_done == p->files) {
            p->last_ms = t;
            draw(p);
        }
    }
    pthread_mutex_unlock(&p->lock);
}

void ix_progress_end(ix_progress *p)
{
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    pthread_mutex_destroy(&p->lock);
    p->enabled = p->drawn = 0;
}

/* lock.h - one writer at a time on a piece of wharf state (a site, an
 * install root).
 *
 * An advisory flock(2) on a lock file beside the state.  The kernel drops
 * it when its holder exits in any way, kill -9 included, so a crash never
 * leaves a stale lock to clean up by hand.  The holder writes who it is
 * into the file ("pid 1234 wharf-index build since 2026-12-04 19:15:57
 * UTC"), which is what a second process names when it is refused; the
 * text is informational only (the flock is the lock).
 *
 * Tests: tests/unit/lock_test.c; tests/cli/t1103-wharf-index-publish.sh.
 */
#ifndef WH_LOCK_H
#define WH_LOCK_H

#include "common/err.h"

typedef struct wh_lock {
    int fd;         /* -1 when not held */
} wh_lock;

/* Take the lock at path (created 0644 when missing; a link or anything
 * but a regular file is refused).  who says what holds it ("wharf-index
 * build").  When another process holds it: with wait 0, WH_E_LOCKED
 * "locked by pid 1234 wharf-index build since ..."; with wait 1,
 * on_wait(holder, ctx) (may be NULL) is told the holder's description,
 * then the call blocks until the lock is free. */
int wh_lock_take(wh_lock *l, const char *path, const char *who, int wait,
                 void (*on_wait)(const char *holder, void *ctx), void *ctx,
                 wh_err *err);

/* Release (and close); a lock not held is ignored. */
void wh_lock_release(wh_lock *l);

#endif

/* Waiting for something AWS does in its own time (an import job, a table
 * becoming ACTIVE): poll, pause, poll again, with the pauses growing to a
 * ceiling, until done, an error, the timeout or a stop request. The one
 * polling loop of fleetvault's library; the clock is injected, so a test
 * runs a 30-minute wait in no time. Request-level retries (throttles,
 * 5xx) are lib/aws/retry.c's, inside each call. */
#ifndef FV_WAIT_H
#define FV_WAIT_H

#include <fv/clock.h>
#include <fv/common.h>

#include <signal.h>

/* One look: *done true when the wait is over. Any status but FV_OK (with
 * err filled) ends the wait with that status. */
typedef fv_status fv_wait_poll_fn(void *ud, bool *done, struct fv_error *err);

struct fv_wait {
    const struct fv_clock *clock;      /* NULL → fv_clock_system() */
    int64_t timeout_ms;                /* give up once this much has passed */
    int64_t first_pause_ms;            /* after the first look; 0 → 250 */
    int64_t max_pause_ms;              /* pauses double up to this; 0 → 5000 */
    const volatile sig_atomic_t *stop; /* may be NULL; checked between looks */
};

/* Polls until poll says done (FV_OK), poll fails (its status), the timeout
 * passes (FV_E_TIMEOUT) or *stop is set (FV_E_CANCELLED). The first look is
 * immediate. *waited_ms (may be NULL) is the time spent, by w->clock. */
fv_status fv_wait_until(const struct fv_wait *w, fv_wait_poll_fn *poll, void *ud,
                        int64_t *waited_ms, struct fv_error *err);

#endif

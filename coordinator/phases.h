/* One run of the coordinator, phase by phase, over a seam to the outside
 * world (the control table, the planners, Kafka, the announcements), so
 * each phase can be driven by a unit test with a fake world and a fake
 * clock. coordinator.c wires the real world (AWS, Kafka) to it.
 *
 *   acquire  take the lease (fenced token), start its heartbeat, find an
 *            unfinished run to resume
 *   plan     prerequisites (tables the tasks will write to), then pure
 *            enumeration into tasks
 *   publish  record the run (fenced), publish its tasks
 *   collect  results until every task is terminal, the deadline, a stop, or
 *            the lease is lost; follow-ups (retention) as targets finish
 *   finish   unfinished tasks fail at the deadline; confirm the lease, write
 *            the manifest and report, announce, record completion (fenced)
 *
 * Every phase returns at once when the lease is lost: nothing more is
 * published or written. */
#ifndef FV_COORD_PHASES_H
#define FV_COORD_PHASES_H

#include "coordinator.h"
#include "lease.h"
#include "run.h"

#include <fv/clock.h>

struct fv_coord_io {
    /* The lease. acquire keeps the fencing token it got; every later call
     * carries it. renew may be called from any thread. */
    fv_status (*acquire)(void *ud, int64_t now_ms, bool *got, char **holder, struct fv_error *err);
    fv_status (*renew)(void *ud, int64_t now_ms, struct fv_error *err);
    void (*release)(void *ud);
    /* Run records; run_put is fenced (fails once the lease was taken over). */
    fv_status (*run_put)(void *ud, const struct fv_run *r, const char *state, struct fv_error *err);
    fv_status (*run_state)(void *ud, const char *run_id, char **state, struct fv_error *err);
    fv_status (*run_unfinished)(void *ud, const char *job, char **run_id, int64_t *started_ms,
                                struct fv_error *err);
    /* Enumeration: prerequisites (may create what tasks write to), then the
     * plan (reads only); followup plans a target's retention (or NULL). */
    fv_status (*prepare)(void *ud, struct fv_run *r, struct fv_error *err);
    fv_status (*plan)(void *ud, struct fv_run *r, struct fv_error *err);
    struct fv_run_item *(*followup)(void *ud, struct fv_run *r, struct fv_run_target *t);
    /* Tasks out, results in. poll: 1 with *res filled (caller cleans it
     * up), 0 when none came within timeout_ms, -1 on error. */
    fv_status (*publish)(void *ud, const struct fv_task *t, struct fv_error *err);
    fv_status (*flush)(void *ud, int timeout_ms, struct fv_error *err);
    int (*poll)(void *ud, int timeout_ms, struct fv_result *res, struct fv_error *err);
    /* After the manifest: upload it, send the run event (best effort). */
    void (*announce)(void *ud, const struct fv_run *r);
    void *ud;
};

struct fv_coord {
    const struct fv_coordinator_options *o;
    const struct fv_config_job *job;
    const struct fv_coord_io *io;
    const struct fv_clock *clock;
    struct fv_lease_keeper *keeper; /* while the lease is held */
    bool have_lease;
    bool resumed;
    int64_t started_ms;
    struct fv_run r;
};

/* All borrowed; they must outlive c. */
void fv_coord_init(struct fv_coord *c, const struct fv_coordinator_options *o,
                   const struct fv_config_job *job, const struct fv_coord_io *io);
fv_status fv_coord_acquire(struct fv_coord *c, int64_t scheduled_ms, struct fv_error *err);
/* *done: a standby found this scheduled run completed already. */
fv_status fv_coord_plan(struct fv_coord *c, int64_t scheduled_ms, bool *done, struct fv_error *err);
fv_status fv_coord_publish(struct fv_coord *c, struct fv_error *err);
fv_status fv_coord_collect(struct fv_coord *c, struct fv_error *err);
fv_status fv_coord_finish(struct fv_coord *c, struct fv_run_summary *out, struct fv_error *err);
/* Stops the heartbeat, releases the lease, frees the run. */
void fv_coord_clean_up(struct fv_coord *c);

/* Every phase in order (what fv_coordinator_run does over the real world). */
fv_status fv_coord_execute(const struct fv_coordinator_options *o, const struct fv_config_job *job,
                           int64_t scheduled_ms, const struct fv_coord_io *io,
                           struct fv_run_summary *out, struct fv_error *err);

#endif

/* The coordinator: one complete run of a job (enumerate, plan, publish,
 * track results, decide completion, manifest, report, notify), and the
 * scheduling daemon around it. Exactly one is active: a lease in the control
 * table, renewed by a heartbeat while it works, and fencing: each acquisition
 * has a token and every run-record write requires it (phases.h). */
#ifndef FV_COORDINATOR_H
#define FV_COORDINATOR_H

#include <fv/clock.h>
#include <fv/config.h>
#include <fv/fleet.h>
#include <fv/kafka.h>
#include <fv/metrics.h>
#include <fv/seal.h>

#include <signal.h>

enum fv_progress_mode { FV_PROGRESS_NONE, FV_PROGRESS_TTY, FV_PROGRESS_JSON };

struct fv_coordinator_options {
    const struct fv_config *cfg;
    struct fv_fleet *fleet;              /* borrowed */
    const struct fv_kafka_config *kafka; /* borrowed; brokers resolved */
    const char *name;                    /* lease holder id */
    bool dry_run;                        /* enumerate and plan; write nothing */
    const char *output_dir;              /* manifest and report; NULL → "." */
    enum fv_progress_mode progress;
    int lease_wait_s; /* how long a run waits for the lease */
    volatile sig_atomic_t *stop;
    struct fv_metrics_fleetvault *metrics; /* may be NULL */
    const char *mode;                      /* quicksight: overrides the job's mode; NULL keeps it */
    const struct fv_task_keys *keys;       /* borrowed: tasks are sealed with the signing key */
    const struct fv_clock *clock;          /* borrowed; NULL: the system clock */
};

struct fv_run_summary {
    char *run_id;
    size_t planned, succeeded, failed, skipped;
    char *manifest_path;
    char *report_path;
    char *report; /* the report text */
};
void fv_run_summary_clean_up(struct fv_run_summary *s);

/* One complete run of job, for the time scheduled_ms (0: now; a scheduled
 * run's id carries its schedule time, so it is the same whichever
 * coordinator runs it). FV_OK when the run completed (whatever its
 * resources' outcomes: see the summary); an error when it could not run
 * (lease held elsewhere, Kafka or the control table unreachable) or lost
 * its lease (then it wrote no manifest). */
fv_status fv_coordinator_run(const struct fv_coordinator_options *o,
                             const struct fv_config_job *job, int64_t scheduled_ms,
                             struct fv_run_summary *out, struct fv_error *err);

/* The daemon: runs every scheduled job at its times until *stop. */
fv_status fv_coordinator_daemon(const struct fv_coordinator_options *o, struct fv_error *err);

#endif

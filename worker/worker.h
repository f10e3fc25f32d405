/* A worker: a consumer-group member of the tasks topic that runs tasks on a
 * pool of threads, publishes results, follow-ups and retries, sends what it
 * cannot handle to the DLQ, and commits only completed work. */
#ifndef FV_WORKER_H
#define FV_WORKER_H

#include <fv/config.h>
#include <fv/fleet.h>
#include <fv/kafka.h>

#include <fv/metrics.h>
#include <fv/seal.h>

#include <signal.h>

struct fv_worker_options {
    const struct fv_config *cfg;
    struct fv_fleet *fleet;                /* borrowed */
    const struct fv_kafka_config *kafka;   /* borrowed; brokers resolved */
    int concurrency;                       /* tasks in flight (pool threads) */
    const char *name;                      /* worker id for results and client.id */
    volatile sig_atomic_t *stop;           /* set to stop (SIGTERM) */
    struct fv_metrics_fleetvault *metrics; /* may be NULL */
    const struct fv_task_keys *keys;       /* borrowed: verify tasks, sign follow-ups */
};

struct fv_worker_stats {
    uint64_t consumed, succeeded, failed, skipped, retried, followups, dlq;
};

struct fv_worker;
struct fv_worker *fv_worker_new(const struct fv_worker_options *o, struct fv_error *err);
/* Runs until *stop; then stops fetching, waits up to shutdown_grace_s for
 * in-flight tasks, commits what completed and leaves the group (unfinished
 * tasks are redelivered to another member). */
fv_status fv_worker_run(struct fv_worker *w, struct fv_error *err);
void fv_worker_stats(struct fv_worker *w, struct fv_worker_stats *out);
void fv_worker_destroy(struct fv_worker *w);

#endif

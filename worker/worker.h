/* A worker: a consumer-group member of the tasks topic that runs tasks on a
 * pool of threads, publishes results, follow-ups and retries, sends what it
 * cannot handle to the DLQ, and commits only work whose outputs the brokers
 * acknowledged. The decisions are the executor's (executor.h); this is the
 * shell that wires it to Kafka and the threads. */
#ifndef FV_WORKER_H
#define FV_WORKER_H

#include "executor.h"

#include <fv/clock.h>
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
    const struct fv_clock *clock;          /* NULL: the system clock */
    const struct fv_rand *rand;            /* NULL: the system's */
    size_t max_delayed;                    /* 0: derived from concurrency (executor.h) */
    /* Static membership (kafka.group_instance_id, resolved): NULL for none. */
    const char *group_instance_id;
};

struct fv_worker;
struct fv_worker *fv_worker_new(const struct fv_worker_options *o, struct fv_error *err);
/* Runs until *stop (or until an output of a task could not be delivered:
 * then it stops so that the task is redelivered, and fails). Stopping: no
 * more work is taken, running tasks get up to shutdown_grace_s to finish and
 * publish, what is done is committed, then the cancel flag handlers see is
 * set and the threads are joined. Unfinished tasks are redelivered to
 * another member. */
fv_status fv_worker_run(struct fv_worker *w, struct fv_error *err);
/* Counts as of the loop's last turn; any thread. */
void fv_worker_stats(struct fv_worker *w, struct fv_exec_stats *out);
void fv_worker_destroy(struct fv_worker *w);

#endif

/* The task-kind interface: one file per kind in worker/, one row in the
 * table in handlers.c. A handler runs on one of the worker's pool threads,
 * does its AWS calls through ctx->clients (this thread's engine), and leaves
 * its outcome in ctx->result — or asks for a follow-up step. It must be
 * idempotent: a redelivered task never makes a second backup, object or row. */
#ifndef FV_WORKER_HANDLER_H
#define FV_WORKER_HANDLER_H

#include <fv/clock.h>
#include <fv/config.h>
#include <fv/contract.h>
#include <fv/fleet.h>
#include <fv/task.h>

#include <stdatomic.h>

struct fv_handler_ctx {
    const struct fv_task *task; /* valid (fv_task_validate) and authorized */
    /* What the task may act for: its job and account, from this worker's
     * configuration. Every bucket, key, table, retention and option comes
     * from here (and fv/naming.h), never from the task's parameters. */
    const struct fv_task_scope *scope;
    struct fv_fleet *fleet;
    struct fv_fleet_clients *clients; /* this thread's clients */
    const struct fv_config *cfg;
    const char *worker_name;
    /* Identity pre-filled, status SUCCEEDED. The handler sets FAILED,
     * SKIPPED or RETRYING (a retryable failure: the worker re-publishes the
     * task with backoff until worker.max_attempts) and outputs. */
    struct fv_result *result;
    /* Set by fv_handler_follow_up: published instead of a final result. */
    struct fv_task *follow_up;
    /* The worker's clock and randomness (injected in tests): use these, not
     * the system's. Borrowed; never NULL. */
    const struct fv_clock *clock;
    const struct fv_rand *rand;
    /* Becomes true when the worker is stopping and worker.shutdown_grace_s
     * is over (what finished is committed by then): a long wait or copy loop
     * should return soon. Its outcome is discarded and the task redelivered
     * to another worker. Owned by the worker; read with atomic_load. */
    const atomic_bool *cancel;
};

typedef void fv_handler_fn(struct fv_handler_ctx *ctx);

struct fv_handler {
    const char *kind;
    fv_handler_fn *run;
};

/* The table (handlers.c); NULL for an unknown kind. */
const struct fv_handler *fv_handler_find(const char *kind);

/* Records err as the outcome: RETRYING when err->retryable, else FAILED. */
void fv_handler_fail(struct fv_handler_ctx *ctx, const struct fv_error *err);
/* Records a failure with a code and message of our own. */
void fv_handler_failf(struct fv_handler_ctx *ctx, enum fv_result_status status, const char *code,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Ends this delivery with a follow-up of the same task at `step`, not before
 * delay_ms from now by ctx->clock (long waits never hold a partition). Returns the new task
 * to add parameters to. */
struct fv_task *fv_handler_follow_up(struct fv_handler_ctx *ctx, const char *step,
                                     int64_t delay_ms);

#endif

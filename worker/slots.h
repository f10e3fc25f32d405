/* Per-account job slots: at most `size` tasks of one pool ("qs-export",
 * "qs-import") hold a slot of one account at a time, across every worker.
 * A slot is a lease in the control table held by the task id, renewed while
 * the task waits and released when it ends (or expiring after ttl_s when a
 * worker dies holding it). Lease names: fv_name_slot. */
#ifndef FV_WORKER_SLOTS_H
#define FV_WORKER_SLOTS_H

#include "handler.h"

struct fv_slot_pool {
    const char *name;         /* the pool, e.g. "qs-export" */
    struct fv_aws_client *cc; /* the control table's client; borrowed */
    const char *table;        /* the control table */
    int size;                 /* slots per account; below 1 counts as 1 */
    int ttl_s;
};

/* A slot of the task's account for the task: the one its "slot" parameter
 * names when still free or its own, else the next free one. The slot's
 * number, -1 when all are taken, -2 on an error (err). */
int fv_slot_take(const struct fv_handler_ctx *ctx, const struct fv_slot_pool *p,
                 struct fv_error *err);
/* Extends the task's hold on slot (a failure is left to the lease's expiry). */
void fv_slot_renew(const struct fv_handler_ctx *ctx, const struct fv_slot_pool *p, int slot);
/* Gives slot back (a failure is logged: it expires after ttl_s). */
void fv_slot_release(const struct fv_handler_ctx *ctx, const struct fv_slot_pool *p, int slot);

#endif

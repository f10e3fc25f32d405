/* Per-account job slots as control-table leases (slots.h). */
#include "slots.h"

#include <fv/control.h>
#include <fv/log.h>
#include <fv/naming.h>

#include <stdio.h>
#include <stdlib.h>

/* One lease call for slot i: FV_OK with *got. */
static fv_status s_lease(const struct fv_handler_ctx *ctx, const struct fv_slot_pool *p, int i,
                         bool *got, struct fv_error *err)
{
    char name[160], *holder = NULL;
    fv_name_slot(p->name, ctx->task->account, i, name, sizeof(name));
    fv_status st =
        fv_control_lease(p->cc, p->table, name, ctx->task->task_id,
                         fv_clock_now_ms(ctx->clock) / 1000, p->ttl_s, got, &holder, err);
    free(holder);
    return st;
}

int fv_slot_take(const struct fv_handler_ctx *ctx, const struct fv_slot_pool *p,
                 struct fv_error *err)
{
    int size = p->size < 1 ? 1 : p->size;
    int64_t first = fv_task_param_i64(ctx->task, "slot", 0);
    for (int k = 0; k < size; k++) {
        int i = (int)((first + k) % size);
        bool got = false;
        if (s_lease(ctx, p, i, &got, err) != FV_OK)
            return -2;
        if (got)
            return i;
    }
    return -1;
}

void fv_slot_renew(const struct fv_handler_ctx *ctx, const struct fv_slot_pool *p, int slot)
{
    bool got;
    struct fv_error err;
    s_lease(ctx, p, slot, &got, &err);
}

void fv_slot_release(const struct fv_handler_ctx *ctx, const struct fv_slot_pool *p, int slot)
{
    const struct fv_task *t = ctx->task;
    char name[160];
    struct fv_error err;
    fv_name_slot(p->name, t->account, slot, name, sizeof(name));
    if (fv_control_lease_release(p->cc, p->table, name, t->task_id, &err) != FV_OK)
        FV_LOG(FV_LOG_WARN, "worker", "run %s task %s: releasing %s: %s (it expires in %d s)",
               t->run_id, t->task_id, name, err.message, p->ttl_s);
}

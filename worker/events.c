/* Backup events to CloudWatch Logs (seed 004): one stream per run in the
 * job's log group, in the account and region of the resource. */
#include "events.h"

#include <fv/log.h>
#include <fv/logs.h>

#include <string.h>

static fv_status s_create(struct fv_aws_client *client, const char *group, const char *stream,
                          struct fv_error *err)
{
    fv_status st = fv_logs_create_group(client, group, err);
    return st == FV_OK ? fv_logs_create_stream(client, group, stream, err) : st;
}

void fv_worker_log_event(struct fv_handler_ctx *ctx, struct fv_aws_client *client,
                         const char *message)
{
    const char *group = ctx->scope->job->log_group;
    if (!group || !*group)
        return;
    const char *stream = ctx->task->run_id;
    struct fv_error err;
    struct fv_buf key = {0};
    fv_buf_printf(&key, "logs/%s/%s/%s/%s", ctx->task->account, ctx->task->region, group, stream);
    /* The first event of a stream in this process creates it (both calls
     * are idempotent). Another thread may still be creating it when this
     * one writes: a missing group or stream is created then, and the event
     * written again. */
    fv_status st =
        fv_fleet_once(ctx->fleet, key.ptr) ? s_create(client, group, stream, &err) : FV_OK;
    fv_buf_clean_up(&key);
    struct fv_log_event ev = {fv_clock_now_ms(ctx->clock), message};
    struct fv_logs_put_result res;
    if (st == FV_OK)
        st = fv_logs_put_events(client, group, stream, &ev, 1, &res, &err);
    if (st == FV_E_NOTFOUND && s_create(client, group, stream, &err) == FV_OK)
        st = fv_logs_put_events(client, group, stream, &ev, 1, &res, &err);
    if (st != FV_OK)
        FV_LOG(FV_LOG_WARN, "worker", "run %s task %s: logging to %s failed: %s", ctx->task->run_id,
               ctx->task->task_id, group, err.message);
}

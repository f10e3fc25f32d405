/* Backup events to CloudWatch Logs (seed 004): one stream per run in the
 * job's log group, in the account and region of the resource. */
#include "events.h"

#include <fv/log.h>
#include <fv/logs.h>

#include <string.h>

void fv_worker_log_event(struct fv_handler_ctx *ctx, struct fv_aws_client *client,
                         const char *message)
{
    const char *group = fv_task_param(ctx->task, "log_group");
    if (!group || !*group)
        return;
    const char *stream = ctx->task->run_id;
    struct fv_error err;
    struct fv_buf key = {0};
    fv_buf_printf(&key, "logs/%s/%s/%s/%s", ctx->task->account, ctx->task->region, group, stream);
    if (fv_fleet_once(ctx->fleet, key.ptr)) {
        if (fv_logs_create_group(client, group, &err) != FV_OK ||
            fv_logs_create_stream(client, group, stream, &err) != FV_OK)
            FV_LOG(FV_LOG_WARN, "worker", "run %s task %s: log group %s: %s", ctx->task->run_id,
                   ctx->task->task_id, group, err.message);
    }
    fv_buf_clean_up(&key);
    struct fv_log_event ev = {fv_clock_now_ms(fv_clock_system()), message};
    struct fv_logs_put_result res;
    if (fv_logs_put_events(client, group, stream, &ev, 1, &res, &err) != FV_OK)
        FV_LOG(FV_LOG_WARN, "worker", "run %s task %s: logging to %s failed: %s", ctx->task->run_id,
               ctx->task->task_id, group, err.message);
}

/* dynamodb.backup: one on-demand backup of one table, named
 * "<table>-<job>-<run timestamp>" (fv_name_backup), recorded in the control
 * table (fv_control_backup_put) before the task reports anything, then
 * waited until AVAILABLE. Only recorded backups are ever the job's to
 * expire: a worker that dies between CreateBackup and the record leaves a
 * backup retention never deletes (the safe direction), unless the
 * redelivery finds it by name and records it then.
 *
 * Idempotent: the task's claim in the control table tells a redelivery that
 * an earlier delivery got this far; it then finds the backup by its
 * deterministic name (one ListBackups of the table, only on redelivery) and
 * creates it only when there is none. A claim taken moments ago by another
 * worker is waited on, not raced. */
#include "events.h"
#include "handler.h"

#include <fv/control.h>
#include <fv/dynamodb.h>
#include <fv/log.h>
#include <fv/naming.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define S_WAIT_POLL_MS 3000
/* How long a claim protects a delivery that may still be creating. */
#define S_CLAIM_GRACE_MS 20000

static bool s_table_gone(const struct fv_error *err)
{
    return err->status == FV_E_NOTFOUND || strcmp(err->code, "TableNotFoundException") == 0 ||
           strcmp(err->code, "ResourceNotFoundException") == 0;
}

/* Turns a backup's state into the task's outcome. */
static void s_settle(struct fv_handler_ctx *ctx, const struct fv_dynamodb_backup *b,
                     const char *name)
{
    const struct fv_task *t = ctx->task;
    switch (b->status) {
    case FV_DDB_BACKUP_AVAILABLE: {
        struct fv_output *o = fv_result_add_output(ctx->result);
        o->backup_arn = fv_strdup(b->arn);
        o->backup_name = fv_strdup(b->name ? b->name : name);
        o->size = b->size_bytes > 0 ? b->size_bytes : 0;
        ctx->result->status = FV_RESULT_SUCCEEDED;
        return;
    }
    case FV_DDB_BACKUP_CREATING: {
        int64_t started = 0;
        const char *s = fv_task_param(t, "created_ms");
        int64_t timeout_s = ctx->scope->job->wait_timeout_s;
        if (s && fv_parse_i64(s, &started) &&
            fv_clock_now_ms(ctx->clock) - started > timeout_s * 1000) {
            fv_handler_failf(ctx, FV_RESULT_FAILED, "BackupTimeout",
                             "backup %s of table %s still CREATING after %lld s", b->arn,
                             t->resource, (long long)timeout_s);
            return;
        }
        struct fv_task *next = fv_handler_follow_up(ctx, "wait", S_WAIT_POLL_MS);
        fv_task_set_param(next, "backup_arn", b->arn);
        if (!s) {
            char now[32];
            snprintf(now, sizeof(now), "%lld", (long long)fv_clock_now_ms(ctx->clock));
            fv_task_set_param(next, "created_ms", now);
        }
        return;
    }
    default:
        fv_handler_failf(ctx, FV_RESULT_FAILED, "BackupDeleted",
                         "backup %s of table %s was deleted before it became AVAILABLE", b->arn,
                         t->resource);
    }
}

static void s_wait(struct fv_handler_ctx *ctx, struct fv_aws_client *client)
{
    const char *arn = fv_task_param(ctx->task, "backup_arn"); /* the contract requires it */
    struct fv_dynamodb_backup b = {0};
    struct fv_error err;
    struct fv_buf name = {0};
    fv_name_backup(ctx->task->resource, ctx->scope->job->name, ctx->scope->stamp, &name);
    if (fv_dynamodb_describe_backup(client, arn, &b, &err) != FV_OK)
        fv_handler_fail(ctx, &err);
    else
        s_settle(ctx, &b, name.ptr);
    fv_dynamodb_backup_clean_up(&b);
    fv_buf_clean_up(&name);
}

/* The record that makes backup arn the job's (one PutItem, idempotent). */
static fv_status s_record(struct fv_handler_ctx *ctx, struct fv_aws_client *cc, const char *arn,
                          int64_t created_ms, struct fv_error *err)
{
    const struct fv_task *t = ctx->task;
    struct fv_control_backup rec = {
        .arn = (char *)arn,
        .job = (char *)ctx->scope->job->name,
        .account = t->account,
        .region = t->region,
        .table = t->resource,
        .run_id = t->run_id,
        .created_ms = created_ms ? created_ms : fv_clock_now_ms(ctx->clock),
    };
    return fv_control_backup_put(cc, ctx->cfg->control_table, &rec, err);
}

/* An earlier delivery's backup, by name, since the run started. */
static fv_status s_find_by_name(struct fv_aws_client *client, const struct fv_handler_ctx *ctx,
                                const char *name, char **arn_out, struct fv_error *err)
{
    struct fv_dynamodb_list_backups req = {
        .table_name = ctx->task->resource,
        .created_after_ms = (ctx->scope->run_started_s - 60) * 1000,
    };
    struct fv_dynamodb_backups list = {0};
    *arn_out = NULL;
    fv_status st = fv_dynamodb_list_backups(client, &req, &list, err);
    for (size_t i = 0; st == FV_OK && i < list.n; i++)
        if (list.items[i].name && strcmp(list.items[i].name, name) == 0 &&
            list.items[i].status != FV_DDB_BACKUP_DELETED)
            *arn_out = fv_strdup(list.items[i].arn);
    fv_dynamodb_backups_clean_up(&list);
    return st;
}

static void s_create(struct fv_handler_ctx *ctx, struct fv_aws_client *client)
{
    const struct fv_task *t = ctx->task;
    const char *table = ctx->cfg->control_table;
    struct fv_error err;
    char *arn = NULL;
    struct json_object *claim = NULL;
    struct fv_dynamodb_backup b = {0};
    struct fv_buf name_buf = {0};
    fv_name_backup(t->resource, ctx->scope->job->name, ctx->scope->stamp, &name_buf);
    const char *name = name_buf.ptr;
    const char *central = fv_fleet_central_account(ctx->fleet, &err);
    struct fv_aws_client *cc =
        central ? fv_fleet_client(ctx->clients, central, ctx->cfg->region, &err) : NULL;
    bool fresh = false;
    if (!cc || fv_control_claim(cc, table, t->task_id, ctx->worker_name,
                                fv_control_expiry_s(ctx->cfg, fv_clock_now_ms(ctx->clock) / 1000),
                                &fresh, &claim, &err) != FV_OK) {
        fv_handler_fail(ctx, &err);
        goto out;
    }
    if (!fresh) {
        const char *owner = fv_control_item_str(claim, "worker");
        const char *at = fv_control_item_str(claim, "claimed_ms");
        int64_t claimed_ms = 0;
        if (at)
            fv_parse_i64(at, &claimed_ms);
        if (owner && strcmp(owner, ctx->worker_name) != 0 &&
            fv_clock_now_ms(ctx->clock) - claimed_ms < S_CLAIM_GRACE_MS) {
            /* Another worker claimed this moments ago and may be creating the
             * backup right now (a rebalance can deliver a task twice at
             * once): look again once it has had time to create it, rather
             * than race it to a second backup. */
            fv_handler_follow_up(ctx, "create", S_CLAIM_GRACE_MS / 2);
            goto out;
        }
        if (s_find_by_name(client, ctx, name, &arn, &err) != FV_OK) {
            if (s_table_gone(&err))
                fv_handler_failf(ctx, FV_RESULT_SKIPPED, "TableNotFound",
                                 "table %s no longer exists", t->resource);
            else
                fv_handler_fail(ctx, &err);
            goto out;
        }
        if (arn)
            FV_LOG(FV_LOG_INFO, "worker",
                   "run %s task %s: backup %s exists from an earlier "
                   "delivery",
                   t->run_id, t->task_id, arn);
    }
    if (arn) {
        if (fv_dynamodb_describe_backup(client, arn, &b, &err) != FV_OK ||
            s_record(ctx, cc, b.arn ? b.arn : arn, b.created_ms, &err) != FV_OK)
            fv_handler_fail(ctx, &err);
        else
            s_settle(ctx, &b, name);
        goto out;
    }
    if (fv_dynamodb_create_backup(client, t->resource, name, &b, &err) != FV_OK) {
        if (s_table_gone(&err))
            fv_handler_failf(ctx, FV_RESULT_SKIPPED, "TableNotFound",
                             "table %s was deleted before its backup: %s", t->resource,
                             err.message);
        else
            fv_handler_fail(ctx, &err);
        goto out;
    }
    struct fv_buf msg = {0};
    fv_buf_printf(&msg, "created backup %s (%s) of table %s in %s/%s", name, b.arn, t->resource,
                  t->account, t->region);
    fv_worker_log_event(ctx, client, msg.ptr);
    fv_buf_clean_up(&msg);
    /* Failing here, the task is retried: the redelivery finds the backup by
     * name and records it then. */
    if (s_record(ctx, cc, b.arn, b.created_ms, &err) != FV_OK) {
        err.retryable = true;
        fv_handler_fail(ctx, &err);
        goto out;
    }
    s_settle(ctx, &b, name);
out:
    fv_dynamodb_backup_clean_up(&b);
    json_object_put(claim);
    free(arn);
    fv_buf_clean_up(&name_buf);
}

void fv_kind_dynamodb_backup(struct fv_handler_ctx *ctx)
{
    struct fv_error err;
    struct fv_aws_client *client =
        fv_fleet_client(ctx->clients, ctx->task->account, ctx->task->region, &err);
    if (!client) {
        fv_handler_fail(ctx, &err);
        return;
    }
    if (ctx->task->step && strcmp(ctx->task->step, "wait") == 0)
        s_wait(ctx, client);
    else
        s_create(ctx, client);
}

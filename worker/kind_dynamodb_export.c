/* dynamodb.export: one window of one table's continuous export to S3 (seed
 * 003). start: the chain's state is read and must still be where the task
 * was planned (the step guard: a chain advances window by window, and a
 * window of a paused, reset or since-advanced chain is not exported); a
 * FULL export first marks the chain INITIATING; then
 * ExportTableToPointInTime with a ClientToken derived from job, account,
 * region, table and window, so a redelivery starts no second export. wait:
 * DescribeExport every poll_interval_s as delayed follow-ups. COMPLETED
 * advances the chain with a write conditional on its version (a chain
 * another delivery advanced to exactly here is a success, not a second
 * advance), after recording the export (fv/export_records.h); then
 * retention deletes the older chains' recorded exports the job no longer
 * keeps (retention_days; a failure there is reported, never fails the
 * export). A COMPLETED full export also gets the table's schema beside it
 * (fv_name_export_schema_key), for a restore after the table is gone. FAILED records the error (a
 * PITR gap marks the chain PITR_GAP and tells a person what to do).
 *
 * Bucket, owner, prefix, format, view type and KMS key come from the job
 * (ctx->scope, fv_config_export_settings), never from the message. The
 * result's output carries what the coordinator's notification needs
 * (fv/export_notice.h). */
#include "handler.h"

#include <fv/dynamodb.h>
#include <fv/export_records.h>
#include <fv/export_restore.h>
#include <fv/exports.h>
#include <fv/log.h>
#include <fv/naming.h>
#include <fv/s3.h>

#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct s_export {
    struct fv_handler_ctx *ctx;
    struct fv_export_key key;
    struct fv_export_decision d;
    struct fv_config_export_settings set;
    struct fv_aws_client *member;  /* the table's account and region */
    struct fv_aws_client *central; /* the control table's */
};

/* The window (or full export time) the task was planned for. */
static void s_decision(const struct fv_task *t, struct fv_export_decision *d)
{
    memset(d, 0, sizeof(*d));
    d->export_time_ms = fv_task_param_i64(t, "export_time_ms", 0);
    d->kind = d->export_time_ms ? FV_EXPORT_DO_FULL : FV_EXPORT_DO_INCREMENTAL;
    d->from_ms = fv_task_param_i64(t, "from_ms", 0);
    d->to_ms = fv_task_param_i64(t, "to_ms", 0);
    d->blocks_behind = fv_task_param_i64(t, "blocks_behind", 0);
    d->reason = "planned";
}

static void s_set_i64(struct fv_output *o, const char *k, int64_t v)
{
    char b[32];
    snprintf(b, sizeof(b), "%lld", (long long)v);
    fv_output_set_extra(o, k, b);
}

/* The output the notification is built from (fv_export_notice). */
static void s_output(struct s_export *x, const struct fv_dynamodb_export *e, const char *message,
                     const char *remedy)
{
    struct fv_output *o = fv_result_add_output(x->ctx->result);
    bool full = x->d.kind == FV_EXPORT_DO_FULL;
    fv_output_set_extra(o, "export_type", full ? "FULL_EXPORT" : "INCREMENTAL_EXPORT");
    if (e && e->arn) {
        o->backup_arn = fv_strdup(e->arn);
        fv_output_set_extra(o, "export_arn", e->arn);
    }
    if (e && e->manifest)
        o->object_key = fv_strdup(e->manifest);
    o->bucket = fv_strdup(x->set.bucket);
    s_set_i64(o, "export_from_ms", full ? x->d.export_time_ms : x->d.from_ms);
    s_set_i64(o, "export_to_ms", full ? x->d.export_time_ms : x->d.to_ms);
    s_set_i64(o, "start_ms", e ? e->start_ms : 0);
    s_set_i64(o, "end_ms", e ? e->end_ms : 0);
    s_set_i64(o, "blocks_behind", x->d.blocks_behind);
    if (e && e->item_count >= 0)
        s_set_i64(o, "item_count", e->item_count);
    if (e && e->billed_size_bytes > 0)
        o->size = e->billed_size_bytes;
    fv_output_set_extra(o, "message", message);
    if (remedy && *remedy)
        fv_output_set_extra(o, "remedy", remedy);
}

/* What a person must do when the chain has a hole PITR cannot fill. */
static void s_pitr_remedy(const struct s_export *x, struct fv_buf *out)
{
    const struct fv_task *t = x->ctx->task;
    fv_buf_printf(out,
                  "PITR of table %s was off, or its window no longer reaches the last exported "
                  "time: the chain has a gap. Enable PITR, then set workflow-action to "
                  "RESET_WITH_FULL_EXPORT_AGAIN (fleetvault exports reset --config <file> --job %s "
                  "--table %s --account %s --region %s); downstream consumers restart from that "
                  "full export.",
                  t->resource, t->job, t->resource, t->account, t->region);
}

/* The export failed (or was refused): the chain records it; FAILED, with a
 * remedy when the failure is a PITR gap. */
static void s_failed(struct s_export *x, const struct fv_dynamodb_export *e, const char *code,
                     const char *message)
{
    struct fv_handler_ctx *ctx = x->ctx;
    struct fv_error err;
    enum fv_export_outcome outcome;
    struct fv_export_state after = {0};
    if (fv_export_state_fail(x->central, ctx->cfg->control_table, &x->key, &x->d, code, message,
                             fv_clock_now_ms(ctx->clock), &outcome, &after, &err) != FV_OK) {
        err.retryable = true; /* the failure is not recorded yet: try again */
        fv_handler_fail(ctx, &err);
        fv_export_state_clean_up(&after);
        return;
    }
    struct fv_buf remedy = {0}, msg = {0};
    bool gap = outcome != FV_EXPORT_STALE && after.workflow_state == FV_EXPORT_PITR_GAP;
    if (gap)
        s_pitr_remedy(x, &remedy);
    fv_buf_printf(&msg, "%s export of table %s FAILED: %s%s%s",
                  x->d.kind == FV_EXPORT_DO_FULL ? "full" : "incremental", ctx->task->resource,
                  code ? code : "", code && message ? ": " : "", message ? message : "");
    s_output(x, e, msg.ptr, remedy.ptr);
    fv_handler_failf(ctx, FV_RESULT_FAILED, gap ? "PitrGap" : (code ? code : "ExportFailed"), "%s",
                     msg.ptr);
    fv_buf_clean_up(&remedy);
    fv_buf_clean_up(&msg);
    fv_export_state_clean_up(&after);
}

/* The record of e, the export this task made (fv/export_records.h):
 * where the job's configuration put it. */
static fv_status s_record(struct s_export *x, const struct fv_dynamodb_export *e, bool in_chain,
                          struct fv_error *err)
{
    const struct fv_task *t = x->ctx->task;
    const char *id = fv_name_export_id(e->arn);
    if (!id)
        return fv_error_set(err, FV_E_PARSE, "export of table %s: no export id in ARN '%s'",
                            t->resource, e->arn ? e->arn : "");
    struct fv_buf table_prefix = {0}, dir = {0};
    fv_name_export_prefix(x->ctx->scope->job, &x->set, t->account, t->region, t->resource,
                          &table_prefix);
    fv_name_export_dir(table_prefix.ptr, id, &dir);
    bool full = x->d.kind == FV_EXPORT_DO_FULL;
    struct fv_export_record r = {
        .job = (char *)x->key.job,
        .account = (char *)x->key.account,
        .region = (char *)x->key.region,
        .table = (char *)x->key.table,
        .export_arn = e->arn,
        .incremental = !full,
        .time_ms = full ? x->d.export_time_ms : x->d.to_ms,
        .bucket = (char *)x->set.bucket,
        .prefix = dir.ptr,
        .in_chain = in_chain,
        .recorded_ms = fv_clock_now_ms(x->ctx->clock),
    };
    fv_status st = fv_export_record_put(x->central, x->ctx->cfg->control_table, &r,
                                        x->set.retention_days > 0, err);
    fv_buf_clean_up(&table_prefix);
    fv_buf_clean_up(&dir);
    return st;
}

/* The table's schema (fv_export_schema_make) beside the full export e, put
 * by the principal DynamoDB wrote the export with, with its encryption and
 * ACL: the same bytes to the same key on every delivery. A failure is
 * reported on the output and in the log; it never fails the export
 * (restore then falls back to the source's DescribeTable). */
static void s_schema(struct s_export *x, const struct fv_dynamodb_export *e, struct fv_output *o)
{
    const struct fv_task *t = x->ctx->task;
    const char *id = fv_name_export_id(e->arn);
    struct fv_buf table_prefix = {0}, dir = {0}, key = {0}, body = {0};
    struct json_object *in = json_object_new_object(), *resp = NULL, *desc;
    struct fv_error err;
    json_object_object_add(in, "TableName", json_object_new_string(t->resource));
    fv_status st = id ? fv_aws_json(x->member, &fv_aws_dynamodb, "DescribeTable", in, &resp, &err)
                      : fv_error_set(&err, FV_E_PARSE, "no export id in ARN");
    if (st == FV_OK && !json_object_object_get_ex(resp, "Table", &desc))
        st = fv_error_set(&err, FV_E_PARSE, "DescribeTable: no Table");
    if (st == FV_OK)
        st = fv_export_schema_make(desc, &body, &err);
    if (st == FV_OK) {
        fv_name_export_prefix(x->ctx->scope->job, &x->set, t->account, t->region, t->resource,
                              &table_prefix);
        fv_name_export_dir(table_prefix.ptr, id, &dir);
        fv_name_export_schema_key(dir.ptr, &key);
        struct fv_s3_put_options opt = {
            .content_type = "application/json",
            .sse_kms = x->set.sse_kms_key_id != NULL,
            .kms_key_id = x->set.sse_kms_key_id,
            .bucket_owner_full_control = x->set.bucket_owner != NULL,
        };
        st = fv_s3_put_object(x->member, x->set.bucket, key.ptr,
                              (struct fv_cur){body.ptr, body.len}, &opt, NULL, &err);
    }
    if (st != FV_OK) {
        FV_LOG(FV_LOG_WARN, "worker", "run %s task %s: schema of table %s beside export %s: %s",
               t->run_id, t->task_id, t->resource, e->arn, err.message);
        fv_output_set_extra(o, "schema_error", err.message);
    } else {
        fv_output_set_extra(o, "schema_key", key.ptr);
    }
    json_object_put(in);
    json_object_put(resp);
    fv_buf_clean_up(&table_prefix);
    fv_buf_clean_up(&dir);
    fv_buf_clean_up(&key);
    fv_buf_clean_up(&body);
}

/* Retention after the chain moved: older chains' recorded exports go
 * (fv_export_records_prune). A failure is reported on the output and in
 * the log; it never fails the export. */
static void s_retention(struct s_export *x, const struct fv_export_state *after,
                        struct fv_output *o)
{
    struct fv_handler_ctx *ctx = x->ctx;
    const struct fv_task *t = ctx->task;
    if (x->set.retention_days <= 0)
        return;
    struct fv_buf table_prefix = {0};
    fv_name_export_prefix(ctx->scope->job, &x->set, t->account, t->region, t->resource,
                          &table_prefix);
    struct fv_export_prune_scope scope = {
        .bucket = x->set.bucket,
        .table_prefix = table_prefix.ptr,
        .keep_ms = x->set.retention_days * INT64_C(86400000),
        .chain_id = after->chain_id,
        .chain_full_ms = after->initiated == FV_EXPORT_INITIATED ? after->full_export_time_ms : 0,
    };
    struct fv_export_prune_report rep = {0};
    struct fv_error err;
    if (fv_export_records_prune(x->central, x->central, ctx->cfg->control_table, ctx->clock,
                                &x->key, &scope, &rep, &err) != FV_OK) {
        FV_LOG(FV_LOG_WARN, "worker", "run %s task %s: retention of table %s: %s", t->run_id,
               t->task_id, t->resource, err.message);
        fv_output_set_extra(o, "retention_error", err.message);
    } else {
        s_set_i64(o, "retention_exports_deleted", rep.exports_deleted);
        s_set_i64(o, "retention_objects_deleted", rep.objects_deleted);
        if (rep.problems.len)
            fv_output_set_extra(o, "retention_error", rep.problems.ptr);
    }
    fv_export_prune_report_clean_up(&rep);
    fv_buf_clean_up(&table_prefix);
}

/* COMPLETED: the export is recorded, then the chain advances, once; then
 * retention. */
static void s_completed(struct s_export *x, const struct fv_dynamodb_export *e)
{
    struct fv_handler_ctx *ctx = x->ctx;
    struct fv_error err;
    enum fv_export_outcome outcome;
    struct fv_export_state after = {0};
    if (s_record(x, e, true, &err) != FV_OK ||
        fv_export_state_advance(x->central, ctx->cfg->control_table, &x->key, &x->d, e->arn,
                                fv_clock_now_ms(ctx->clock), &outcome, &after, &err) != FV_OK) {
        err.retryable = true; /* the export stays COMPLETED: the redelivery advances */
        fv_handler_fail(ctx, &err);
        fv_export_state_clean_up(&after);
        return;
    }
    if (outcome == FV_EXPORT_STALE) {
        /* Recorded (its objects are ours to delete), but no chain's base. */
        if (s_record(x, e, false, &err) != FV_OK) {
            err.retryable = true;
            fv_handler_fail(ctx, &err);
        } else {
            fv_handler_failf(ctx, FV_RESULT_SKIPPED, "ChainMoved",
                             "export %s of table %s COMPLETED, but the chain moved on meanwhile "
                             "(reset, or advanced past it): not part of the chain",
                             e->arn, ctx->task->resource);
        }
        fv_export_state_clean_up(&after);
        return;
    }
    if (outcome == FV_EXPORT_ALREADY)
        FV_LOG(FV_LOG_INFO, "worker",
               "run %s task %s: export %s advanced the chain already (another delivery)",
               ctx->task->run_id, ctx->task->task_id, e->arn);
    struct fv_buf msg = {0};
    fv_buf_printf(&msg, "%s export of table %s COMPLETED",
                  x->d.kind == FV_EXPORT_DO_FULL ? "full" : "incremental", ctx->task->resource);
    s_output(x, e, msg.ptr, NULL);
    if (x->d.kind == FV_EXPORT_DO_FULL)
        s_schema(x, e, &ctx->result->outputs[ctx->result->n_outputs - 1]);
    s_retention(x, &after, &ctx->result->outputs[ctx->result->n_outputs - 1]);
    ctx->result->status = FV_RESULT_SUCCEEDED;
    fv_buf_clean_up(&msg);
    fv_export_state_clean_up(&after);
}

static void s_settle(struct s_export *x, const struct fv_dynamodb_export *e)
{
    switch (e->status) {
    case FV_DDB_EXPORT_COMPLETED: s_completed(x, e); return;
    case FV_DDB_EXPORT_FAILED: s_failed(x, e, e->failure_code, e->failure_message); return;
    default: {
        struct fv_task *next =
            fv_handler_follow_up(x->ctx, "wait", x->set.poll_interval_s * INT64_C(1000));
        fv_task_set_param(next, "export_arn", e->arn);
    }
    }
}

/* The step guard: is the task's window still the chain's next step? FULL:
 * the chain is begun at the task's time (or already is). INCREMENTAL: the
 * chain is initiated, NORMAL, RUN, from the planned chain, and its last end
 * is the window's start. false with the outcome recorded otherwise. */
static bool s_guard(struct s_export *x)
{
    struct fv_handler_ctx *ctx = x->ctx;
    const struct fv_task *t = ctx->task;
    struct fv_error err;
    struct fv_export_state s = {0};
    bool go = false;
    int64_t now = fv_clock_now_ms(ctx->clock);
    if (x->d.kind == FV_EXPORT_DO_FULL) {
        enum fv_export_outcome outcome;
        if (fv_export_state_begin_full(x->central, ctx->cfg->control_table, &x->key,
                                       x->d.export_time_ms, now, &outcome, NULL, &err) != FV_OK) {
            fv_handler_fail(ctx, &err);
            return false;
        }
        if (outcome == FV_EXPORT_STALE)
            fv_handler_failf(ctx, FV_RESULT_SKIPPED, "ChainMoved",
                             "table %s: the chain is not waiting for a full export at %lld",
                             t->resource, (long long)x->d.export_time_ms);
        return outcome != FV_EXPORT_STALE;
    }
    if (fv_export_state_get(x->central, ctx->cfg->control_table, &x->key, &s, &err) != FV_OK) {
        fv_export_state_clean_up(&s); /* the state is the caller's, read or not */
        fv_handler_fail(ctx, &err);
        return false;
    }
    const char *chain = fv_task_param(t, "chain_id");
    if (s.workflow_action == FV_EXPORT_PAUSE)
        fv_handler_failf(ctx, FV_RESULT_SKIPPED, "Paused", "table %s: the chain is paused",
                         t->resource);
    else if (s.initiated == FV_EXPORT_INITIATED && s.last_incremental_export_time_ms >= x->d.to_ms)
        fv_handler_failf(ctx, FV_RESULT_SKIPPED, "AlreadyExported",
                         "table %s: the window ending %lld is exported already", t->resource,
                         (long long)x->d.to_ms);
    else if (s.initiated != FV_EXPORT_INITIATED || s.workflow_state != FV_EXPORT_NORMAL ||
             s.workflow_action != FV_EXPORT_RUN ||
             s.last_incremental_export_time_ms != x->d.from_ms ||
             (chain && (!s.chain_id || strcmp(chain, s.chain_id) != 0)))
        fv_handler_failf(ctx, FV_RESULT_SKIPPED, "ChainMoved",
                         "table %s: the chain is not at the window [%lld, %lld) any more",
                         t->resource, (long long)x->d.from_ms, (long long)x->d.to_ms);
    else if (x->d.to_ms > now)
        fv_handler_failf(ctx, FV_RESULT_FAILED, "WindowInFuture",
                         "table %s: the window ends at %lld, after now (%lld)", t->resource,
                         (long long)x->d.to_ms, (long long)now);
    else
        go = true;
    fv_export_state_clean_up(&s);
    return go;
}

static void s_start(struct s_export *x)
{
    struct fv_handler_ctx *ctx = x->ctx;
    const struct fv_task *t = ctx->task;
    if (!s_guard(x))
        return;
    struct fv_buf arn = {0}, prefix = {0};
    char token[FV_NAME_EXPORT_TOKEN_LEN + 1];
    bool full = x->d.kind == FV_EXPORT_DO_FULL;
    fv_buf_printf(&arn, "arn:aws:dynamodb:%s:%s:table/%s", t->region, t->account, t->resource);
    fv_name_export_prefix(ctx->scope->job, &x->set, t->account, t->region, t->resource, &prefix);
    fv_name_export_token(ctx->scope->job->name, t->account, t->region, t->resource,
                         full ? x->d.export_time_ms : x->d.from_ms, full ? -1 : x->d.to_ms, token);
    struct fv_dynamodb_export_request req = {
        .table_arn = arn.ptr,
        .bucket = x->set.bucket,
        .bucket_owner = x->set.bucket_owner,
        .prefix = prefix.ptr,
        .sse_algorithm = x->set.sse_kms_key_id ? "KMS" : NULL,
        .kms_key_id = x->set.sse_kms_key_id,
        .format = x->set.ddb_export_format,
        .type = full ? FV_DDB_EXPORT_FULL : FV_DDB_EXPORT_INCREMENTAL,
        .export_time_ms = full ? x->d.export_time_ms : 0,
        .from_ms = full ? 0 : x->d.from_ms,
        .to_ms = full ? 0 : x->d.to_ms,
        .view_type = full ? NULL : x->set.view_type,
        .client_token = token,
    };
    struct fv_dynamodb_export e = {0};
    struct fv_error err;
    if (fv_dynamodb_export_start(x->member, &req, &e, &err) == FV_OK) {
        FV_LOG(FV_LOG_INFO, "worker", "run %s task %s: export %s of %s to s3://%s/%s", t->run_id,
               t->task_id, e.arn ? e.arn : "?", t->resource, req.bucket, req.prefix);
        s_settle(x, &e);
    } else if (err.retryable) {
        fv_handler_fail(ctx, &err);
    } else {
        s_failed(x, NULL, err.code[0] ? err.code : fv_status_str(err.status), err.message);
    }
    fv_dynamodb_export_clean_up(&e);
    fv_buf_clean_up(&arn);
    fv_buf_clean_up(&prefix);
}

static void s_wait(struct s_export *x)
{
    const char *arn = fv_task_param(x->ctx->task, "export_arn"); /* the contract requires it */
    struct fv_dynamodb_export e = {0};
    struct fv_error err;
    if (fv_dynamodb_describe_export(x->member, arn, &e, &err) != FV_OK)
        fv_handler_fail(x->ctx, &err);
    else
        s_settle(x, &e);
    fv_dynamodb_export_clean_up(&e);
}

void fv_kind_dynamodb_export(struct fv_handler_ctx *ctx)
{
    const struct fv_task *t = ctx->task;
    struct s_export x = {.ctx = ctx,
                         .key = {ctx->scope->job->name, t->account, t->region, t->resource}};
    struct fv_error err;
    s_decision(t, &x.d);
    fv_config_export_settings(ctx->cfg, ctx->scope->job, t->account, t->region, t->resource,
                              &x.set);
    const char *central = fv_fleet_central_account(ctx->fleet, &err);
    x.central = central ? fv_fleet_client(ctx->clients, central, ctx->cfg->region, &err) : NULL;
    x.member = x.central ? fv_fleet_client(ctx->clients, t->account, t->region, &err) : NULL;
    if (!x.member) {
        fv_handler_fail(ctx, &err);
        return;
    }
    if (strcmp(t->step, "wait") == 0)
        s_wait(&x);
    else
        s_start(&x);
}

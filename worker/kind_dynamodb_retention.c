/* dynamodb.retention: for one account × region, after the run's backups,
 * delete what the job's retention rules choose (fv/retention.h): only
 * backups this job recorded creating (scope "job", the default) or, opted
 * into, any backup of the job's tables (scope "table"); never a CREATING
 * one, the table's newest AVAILABLE one, or one younger than
 * jobs[].retention_min_age_s.
 *
 * One account-wide ListBackups (pages of 100) instead of one call per table
 * (ListBackups is limited to 5/s per account), one BatchGetItem per 100
 * backups named like the job's. The tables come from the records, not from
 * the message. DeleteBackup is idempotent here: a backup already gone
 * counts as deleted; its record goes after it. */
#include "events.h"
#include "handler.h"

#include <fv/control.h>
#include <fv/dynamodb.h>
#include <fv/log.h>
#include <fv/retention.h>

#include <stdlib.h>
#include <string.h>

static void s_deleted(struct fv_handler_ctx *ctx, struct fv_aws_client *client,
                      const struct fv_retention_rules *rules, const struct fv_retention_victim *v)
{
    struct fv_output *o = fv_result_add_output(ctx->result);
    o->backup_arn = fv_strdup(v->arn);
    o->backup_name = fv_strdup(v->name);
    fv_output_set_extra(o, "action", "deleted");
    fv_output_set_extra(o, "table", v->table);
    struct fv_buf msg = {0};
    fv_buf_printf(&msg, "deleted backup %s (%s) of table %s: retention keeps %lld (scope %s)",
                  v->name, v->arn, v->table, (long long)rules->keep,
                  rules->scope == FV_RETENTION_TABLE ? "table" : "job");
    fv_worker_log_event(ctx, client, msg.ptr);
    fv_buf_clean_up(&msg);
}

void fv_kind_dynamodb_retention(struct fv_handler_ctx *ctx)
{
    const struct fv_task *t = ctx->task;
    struct fv_retention_rules rules;
    /* Everything from the job in this worker's configuration. */
    fv_retention_rules_of(ctx->scope->job, t->account, t->region, &rules);
    if (rules.keep < 1) { /* the configuration refuses it; never trusted */
        fv_handler_failf(ctx, FV_RESULT_FAILED, "RetentionInvalid",
                         "job %s: retention %lld is below 1: nothing deleted", rules.job,
                         (long long)rules.keep);
        return;
    }
    struct fv_error err;
    struct fv_aws_client *client = fv_fleet_client(ctx->clients, t->account, t->region, &err);
    const char *central = client ? fv_fleet_central_account(ctx->fleet, &err) : NULL;
    struct fv_aws_client *cc =
        central ? fv_fleet_client(ctx->clients, central, ctx->cfg->region, &err) : NULL;
    if (!cc) {
        fv_handler_fail(ctx, &err);
        return;
    }
    const char *control = ctx->cfg->control_table;
    struct fv_retention_plan plan = {0};
    if (fv_retention_plan(client, cc, control, ctx->clock, &rules, NULL, 0, &plan, &err) != FV_OK) {
        fv_handler_fail(ctx, &err);
        fv_retention_plan_clean_up(&plan);
        return;
    }
    size_t deleted = 0, failed = 0;
    struct fv_error first_err = {0};
    for (size_t i = 0; i < plan.n; i++) {
        const struct fv_retention_victim *v = &plan.items[i];
        fv_status st = fv_dynamodb_delete_backup(client, v->arn, NULL, &err);
        if (st == FV_E_NOTFOUND)
            st = FV_OK; /* gone already: deleted all the same */
        if (st == FV_OK && v->recorded)
            st = fv_control_backup_forget(cc, control, v->arn, &err);
        if (st != FV_OK) {
            if (!failed++)
                first_err = err;
            continue;
        }
        deleted++;
        s_deleted(ctx, client, &rules, v);
    }
    FV_LOG(FV_LOG_INFO, "worker",
           "run %s task %s: retention in %s/%s deleted %zu backups "
           "(%zu ListBackups calls, %zu records looked up)",
           t->run_id, t->task_id, t->account, t->region, deleted, plan.list_calls,
           plan.records_read);
    if (failed) {
        /* The deletes are idempotent: a retry only does what is left. */
        first_err.retryable = true;
        fv_handler_fail(ctx, &first_err);
    }
    fv_retention_plan_clean_up(&plan);
}

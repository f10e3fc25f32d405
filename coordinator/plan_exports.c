/* Planning a dynamodb_exports run (seed 003): for each selected table (the
 * dynamodb_backups enumeration selects them), its chain's state and its
 * PITR window decide, by the seed's rules (fv_export_decide), what to
 * export now; one dynamodb.export task per table.
 *
 * Catch-up, window by window: a run plans at most the next due window of a
 * table — the one starting at the chain's last end, read from the durable
 * state — and the task's step guard exports it only while the chain is
 * still there. The window after it is planned by a later run, once this one
 * advanced the chain. Task ids are one per table per run, and a window
 * planned before its predecessor completed could only be refused, so the
 * chain never has two windows in flight. The job runs every third of its
 * window (its default schedule), so it gains two windows per window length
 * until it is caught up, as the seed's schedule does; every notification
 * reports incrementalBlocksBehind counting down. A window still exporting
 * when the next run starts is planned again with the same ClientToken: the
 * same export, waited on twice, advancing the chain once. */
#include "run.h"

#include <fv/exports.h>
#include <fv/log.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fv_plan_export_decide(struct fv_fleet *fleet, struct fv_fleet_clients *clients,
                           struct fv_aws_client *member, const struct fv_config_job *job,
                           const char *account, const char *region, const char *table,
                           int64_t now_ms, bool dry_run, struct fv_plan_export *out)
{
    const struct fv_config *cfg = fv_fleet_config(fleet);
    struct fv_export_key key = {job->name, account, region, table};
    struct fv_config_export_settings set;
    struct fv_dynamodb_continuous_backups pitr = {0};
    struct fv_export_state s = {0};
    struct fv_error err;
    memset(out, 0, sizeof(*out));
    fv_config_export_settings(cfg, job, account, region, table, &set);
    const char *central = fv_fleet_central_account(fleet, &err);
    struct fv_aws_client *cc =
        central ? fv_fleet_client(clients, central, cfg->region, &err) : NULL;
    if (!cc || fv_export_state_get(cc, cfg->control_table, &key, &s, &err) != FV_OK ||
        fv_dynamodb_describe_continuous_backups(member, table, &pitr, &err) != FV_OK ||
        fv_export_decide(&s, &pitr, set.window_minutes * 60000, now_ms, &out->d, &err) != FV_OK) {
        out->error = fv_strdup(err.message);
        goto out;
    }
    fv_export_renew(&s, set.full_export_every_days * 86400000, set.window_minutes * 60000, now_ms,
                    &out->d);
    out->initiated = s.initiated == FV_EXPORT_INITIATED;
    out->last_end_ms = s.last_incremental_export_time_ms;
    out->chain_id = s.chain_id ? fv_strdup(s.chain_id) : NULL;
    if (out->d.kind == FV_EXPORT_DO_PITR_GAP && !dry_run &&
        fv_export_state_fail(cc, cfg->control_table, &key, &out->d, NULL, out->d.reason, now_ms,
                             NULL, NULL, &err) != FV_OK)
        FV_LOG(FV_LOG_WARN, "coordinator", "exports %s/%s/%s: recording the PITR gap: %s", account,
               region, table, err.message);
    FV_LOG(FV_LOG_INFO, "coordinator", "exports %s/%s/%s: %s (%s), incrementalBlocksBehind %lld",
           account, region, table, fv_export_decision_kind_str(out->d.kind), out->d.reason,
           (long long)out->d.blocks_behind);
out:
    fv_export_state_clean_up(&s);
}

void fv_plan_export_clean_up(struct fv_plan_export *pe)
{
    free(pe->chain_id);
    free(pe->error);
    memset(pe, 0, sizeof(*pe));
}

static void s_param(struct fv_task *t, const char *k, int64_t v)
{
    char b[32];
    snprintf(b, sizeof(b), "%lld", (long long)v);
    fv_task_set_param(t, k, b);
}

/* A PITR gap is a person's to act on: a FAILED item with the remedy, never
 * published (nothing can be exported), notified with the others. */
static void s_gap(struct fv_run *r, struct fv_run_item *it, const struct fv_plan_export *pe)
{
    struct fv_result res;
    fv_result_for_task(&res, &it->task);
    res.status = FV_RESULT_FAILED;
    res.error_code = fv_strdup("PitrGap");
    res.error_message = fv_strdup(pe->d.reason);
    struct fv_output *o = fv_result_add_output(&res);
    fv_output_set_extra(o, "export_type", pe->initiated ? "INCREMENTAL_EXPORT" : "FULL_EXPORT");
    char b[32];
    snprintf(b, sizeof(b), "%lld", (long long)pe->last_end_ms);
    fv_output_set_extra(o, "export_from_ms", b);
    fv_output_set_extra(o, "export_to_ms", b);
    snprintf(b, sizeof(b), "%lld", (long long)pe->d.blocks_behind);
    fv_output_set_extra(o, "blocks_behind", b);
    fv_output_set_extra(o, "message", pe->d.reason);
    fv_output_set_extra(o, "remedy", pe->d.remedy);
    fv_run_record(r, &res);
    fv_result_clean_up(&res);
}

/* A chain id the task may carry: an export ARN of the table's account (a
 * state imported from the seed may have none). */
static bool s_arn_of_account(const char *arn, const char *account)
{
    char want[32];
    snprintf(want, sizeof(want), ":%s:", account);
    return strncmp(arn, "arn:", 4) == 0 && strstr(arn, want) != NULL;
}

void fv_plan_export_add(struct fv_run *r, const struct fv_run_target *t, const char *table,
                        const struct fv_plan_export *pe)
{
    struct fv_task task = {.kind = "dynamodb.export",
                           .account = t->account,
                           .region = t->region,
                           .resource = (char *)table,
                           .step = "start"};
    if (pe->error || pe->d.kind == FV_EXPORT_DO_NOTHING)
        return;
    struct fv_run_item *it = fv_run_add(r, &task);
    if (pe->d.kind == FV_EXPORT_DO_PITR_GAP) {
        s_gap(r, it, pe);
        return;
    }
    if (pe->d.kind == FV_EXPORT_DO_FULL) {
        s_param(&it->task, "export_time_ms", pe->d.export_time_ms);
    } else {
        s_param(&it->task, "from_ms", pe->d.from_ms);
        s_param(&it->task, "to_ms", pe->d.to_ms);
        if (pe->chain_id && s_arn_of_account(pe->chain_id, t->account))
            fv_task_set_param(&it->task, "chain_id", pe->chain_id);
    }
    s_param(&it->task, "blocks_behind", pe->d.blocks_behind);
}

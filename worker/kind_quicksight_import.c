/* quicksight.import: one backed-up asset bundle imported into the task's
 * account with StartAssetBundleImportJob, the bundle as the request body
 * (lib/restore: read by the central account, size and SHA-256 checked
 * against the task before anything is imported).
 *
 * Steps, each a delivery of this task (waits never hold a partition):
 *   start  take one of the account's import slots (at most max_export_jobs
 *          per account across every worker: leases in the control table),
 *          look for the job by its deterministic id (a redelivery, or an
 *          earlier restore, finds it), else read, check and start it
 *   wait   poll until the job ends; the slot is released at the end.
 * Where the bundle is comes from the job in this worker's configuration
 * (fv_name_bundle_bucket / fv_name_bundle_key of the source account and the
 * backup run's start), never from the message. */
#include "handler.h"
#include "slots.h"

#include <fv/control.h>
#include <fv/log.h>
#include <fv/naming.h>
#include <fv/restore.h>

#include <stdlib.h>
#include <string.h>

#define S_SLOT_TTL_S 900

/* What one delivery works with. */
struct s_import {
    struct fv_handler_ctx *ctx;
    struct fv_restore_aws aws;
    struct fv_restore_fleet rf;
    struct fv_slot_pool slots; /* import slots, leases in the control table */
    const char *bucket;
    struct fv_buf key;
    char *overrides; /* canonical; NULL: none */
    char job_id[512];
};

static int64_t s_now_ms(const struct s_import *im)
{
    return fv_clock_now_ms(im->ctx->clock);
}

static int s_acquire_slot(struct s_import *im, struct fv_error *err)
{
    return fv_slot_take(im->ctx, &im->slots, err);
}

static void s_release_slot(struct s_import *im, int slot)
{
    fv_slot_release(im->ctx, &im->slots, slot);
}

static struct fv_output *s_output(struct s_import *im)
{
    struct fv_result *r = im->ctx->result;
    struct fv_output *o = r->n_outputs ? &r->outputs[0] : fv_result_add_output(r);
    const struct fv_task *t = im->ctx->task;
    if (!o->object_key) {
        o->bucket = fv_strdup(im->bucket);
        o->object_key = fv_strdup(im->key.ptr);
        o->size = fv_task_param_i64(t, "size", -1);
        o->sha256 = fv_strdup(fv_task_param(t, "sha256"));
        fv_output_set_extra(o, "job_id", im->job_id);
        fv_output_set_extra(o, "bundle", t->resource);
        fv_output_set_extra(o, "source", fv_task_param(t, "source_account"));
        fv_output_set_extra(o, "target", t->account);
    }
    return o;
}

static void s_succeed(struct s_import *im, bool prior)
{
    struct fv_output *o = s_output(im);
    fv_output_set_extra(o, "status", "SUCCESSFUL");
    if (prior)
        fv_output_set_extra(o, "prior", "true");
    im->ctx->result->status = FV_RESULT_SUCCEEDED;
}

/* Each issue as extras "<what>.<i>.arn|type|message". */
static void s_issues(struct fv_output *o, const char *what,
                     const struct fv_quicksight_job_issues *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct fv_quicksight_job_issue *is = &l->items[i];
        const char *part[3][2] = {
            {"arn", is->arn}, {"type", is->type}, {"message", is->message ? is->message : ""}};
        for (int k = 0; k < 3; k++) {
            char key[64];
            snprintf(key, sizeof(key), "%s.%zu.%s", what, i, part[k][0]);
            if (part[k][1])
                fv_output_set_extra(o, key, part[k][1]);
        }
    }
}

/* The job ended other than SUCCESSFUL: FAILED with its errors, per issue. */
static void s_job_failed(struct s_import *im, const struct fv_quicksight_import_job *j)
{
    struct fv_output *o = s_output(im);
    fv_output_set_extra(o, "status", j->status_text ? j->status_text : "?");
    fv_output_set_extra(o, "failure_action", j->failure_action ? j->failure_action : "ROLLBACK");
    s_issues(o, "error", &j->errors);
    s_issues(o, "rollback", &j->rollback_errors);
    s_issues(o, "warning", &j->warnings);
    const struct fv_quicksight_job_issue *first = j->errors.n ? &j->errors.items[0] : NULL;
    fv_handler_failf(im->ctx, FV_RESULT_FAILED, "ImportFailed", "import job %s %s%s%s", im->job_id,
                     j->status_text ? j->status_text : "?", first ? ": " : "",
                     first && first->message ? first->message : "");
}

static void s_wait_next(struct s_import *im, int slot, int64_t started_ms)
{
    char slot_s[16], started[32];
    snprintf(slot_s, sizeof(slot_s), "%d", slot);
    snprintf(started, sizeof(started), "%lld", (long long)started_ms);
    struct fv_task *next = fv_handler_follow_up(im->ctx, "wait", 2000);
    fv_task_set_param(next, "slot", slot_s);
    fv_task_set_param(next, "started_ms", started);
}

static void s_start(struct s_import *im)
{
    struct fv_handler_ctx *ctx = im->ctx;
    const struct fv_task *t = ctx->task;
    struct fv_error err = {0};
    int slot = s_acquire_slot(im, &err);
    if (slot == -2) {
        fv_handler_fail(ctx, &err);
        return;
    }
    if (slot < 0) {
        /* Every slot is busy: come back later (never a LimitExceeded retry). */
        const struct fv_rand *r = ctx->rand;
        fv_handler_follow_up(ctx, "start", 2000 + (int64_t)(r->next(r->ud) * 3000));
        return;
    }
    /* A redelivery, or an earlier restore of the same bundle: its job. */
    struct fv_quicksight_import_job prior = {0};
    fv_status st =
        im->aws.describe_import(im->aws.ud, t->account, t->region, im->job_id, &prior, &err);
    bool done = st == FV_OK && fv_quicksight_job_status_done(prior.status);
    if (st == FV_OK && prior.status == FV_QS_JOB_SUCCESSFUL) {
        FV_LOG(FV_LOG_INFO, "worker",
               "run %s task %s quicksight.import %s: job %s SUCCESSFUL already", t->run_id,
               t->task_id, t->resource, im->job_id);
        s_release_slot(im, slot);
        s_succeed(im, true);
    } else if (st == FV_OK && !done) {
        s_wait_next(im, slot, s_now_ms(im)); /* still running: wait for it */
    } else if (st != FV_OK && st != FV_E_NOTFOUND) {
        s_release_slot(im, slot);
        fv_handler_fail(ctx, &err);
    } else {
        if (done)
            FV_LOG(FV_LOG_INFO, "worker", "run %s task %s: job %s ended %s: importing again",
                   t->run_id, t->task_id, im->job_id, prior.status_text ? prior.status_text : "?");
        struct fv_restore_import req = {.bucket = im->bucket,
                                        .key = im->key.ptr,
                                        .size = fv_task_param_i64(t, "size", -1),
                                        .sha256 = fv_task_param(t, "sha256"),
                                        .target = t->account,
                                        .region = t->region,
                                        .job_id = im->job_id,
                                        .overrides_json = im->overrides};
        size_t bytes = 0;
        fv_error_clear(&err);
        st = fv_restore_import_start(&im->aws, &req, &bytes, &err);
        if (st == FV_OK) {
            FV_LOG(FV_LOG_INFO, "worker",
                   "run %s task %s quicksight.import %s: job %s started (%zu bytes, sha256 "
                   "verified)",
                   t->run_id, t->task_id, t->resource, im->job_id, bytes);
            s_wait_next(im, slot, s_now_ms(im));
        } else {
            s_release_slot(im, slot);
            if (strcmp(err.code, "LimitExceededException") == 0)
                fv_handler_follow_up(ctx, "start", 10000); /* jobs of someone else's */
            else
                fv_handler_fail(ctx, &err); /* a mismatching bundle: FAILED, BundleMismatch */
        }
    }
    fv_quicksight_import_job_clean_up(&prior);
}

static void s_wait(struct s_import *im)
{
    struct fv_handler_ctx *ctx = im->ctx;
    const struct fv_task *t = ctx->task;
    struct fv_error err = {0};
    int slot = (int)fv_task_param_i64(t, "slot", 0);
    fv_slot_renew(ctx, &im->slots, slot); /* still ours */
    struct fv_quicksight_import_job job = {0};
    fv_status st =
        im->aws.describe_import(im->aws.ud, t->account, t->region, im->job_id, &job, &err);
    if (st == FV_E_NOTFOUND) {
        fv_handler_follow_up(ctx, "start", 0); /* the job is gone: start it again */
    } else if (st != FV_OK) {
        if (!err.retryable)
            s_release_slot(im, slot); /* a retry comes back to this step with its slot */
        fv_handler_fail(ctx, &err);
    } else if (job.status == FV_QS_JOB_SUCCESSFUL) {
        s_release_slot(im, slot);
        s_succeed(im, false);
    } else if (fv_quicksight_job_status_done(job.status)) {
        s_release_slot(im, slot);
        s_job_failed(im, &job);
    } else {
        const char *started = fv_task_param(t, "started_ms");
        int64_t now = s_now_ms(im), since = started ? now - fv_i64_or(started, now) : 0;
        if (since > ctx->scope->job->wait_timeout_s * 1000) {
            s_release_slot(im, slot);
            s_output(im);
            fv_handler_failf(ctx, FV_RESULT_FAILED, "ImportTimeout",
                             "import job %s not finished after %lld s; it goes on: run the same "
                             "restore again to wait for it",
                             im->job_id, (long long)(since / 1000));
        } else {
            fv_handler_follow_up(ctx, "wait", 2000);
        }
    }
    fv_quicksight_import_job_clean_up(&job);
}

void fv_kind_quicksight_import(struct fv_handler_ctx *ctx)
{
    const struct fv_task *t = ctx->task;
    const struct fv_config_job *job = ctx->scope->job;
    struct fv_error err = {0};
    struct s_import im = {.ctx = ctx,
                          .slots = {.name = "qs-import",
                                    .table = ctx->cfg->control_table,
                                    .size = (int)ctx->scope->job->max_export_jobs,
                                    .ttl_s = S_SLOT_TTL_S}};
    im.rf = (struct fv_restore_fleet){ctx->fleet, ctx->clients};
    fv_restore_aws_fleet(&im.rf, &im.aws);
    const char *central = fv_fleet_central_account(ctx->fleet, &err);
    im.slots.cc = central ? fv_fleet_client(ctx->clients, central, ctx->cfg->region, &err) : NULL;
    if (!im.slots.cc) {
        fv_handler_fail(ctx, &err);
        return;
    }
    /* Where the bundle is: the backup run's, from this configuration. */
    const char *source = fv_task_param(t, "source_account");
    int64_t backup_started_s = 0;
    fv_task_run_started(fv_task_param(t, "backup_run"), t->job, &backup_started_s, NULL);
    im.bucket = fv_name_bundle_bucket(ctx->cfg, job);
    fv_name_bundle_key(ctx->cfg, job, source, backup_started_s, t->resource, &im.key);
    const char *overrides = fv_task_param(t, "overrides");
    im.overrides = overrides ? fv_restore_overrides_canonical(overrides) : NULL;
    fv_name_restore_job(fv_task_param(t, "backup_run"), source, t->resource, t->account,
                        im.overrides, im.job_id, sizeof(im.job_id));
    if (!im.bucket)
        fv_handler_failf(ctx, FV_RESULT_FAILED, "NoBucket",
                         "job %s has no bucket (jobs[].s3.bucket or central.bucket)", job->name);
    else if (strcmp(t->step, "wait") == 0)
        s_wait(&im);
    else
        s_start(&im);
    free(im.overrides);
    fv_buf_clean_up(&im.key);
}

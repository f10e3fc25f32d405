/* quicksight.export: one asset bundle (1-100 assets of one type) exported
 * with StartAssetBundleExportJob and streamed from its DownloadUrl straight
 * into S3 (multipart above the part size, SHA-256 computed in flight, memory
 * bounded by the pipe and one part).
 *
 * Steps, each a delivery of this task (waits never hold a partition):
 *   start  take one of the account's export slots (at most max_export_jobs
 *          jobs per account across every worker: slots are leases in the
 *          control table, held by the task), start the job (its id is derived
 *          from the task, so a redelivery finds the same job)
 *   wait   poll; on SUCCESSFUL stream the bundle to S3, on FAILED report the
 *          errors per asset; assets deleted since enumeration are dropped
 *          from the bundle and it is exported again without them.
 * The claim in the control table records the uploaded object, so a
 * redelivery after the upload reports it instead of exporting again. */
#include "handler.h"
#include "slots.h"

#include <fv/control.h>
#include <fv/log.h>
#include <fv/naming.h>
#include <fv/pipe.h>
#include <fv/quicksight.h>
#include <fv/s3.h>

#include <json-c/json.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define S_SLOT_TTL_S 900
#define S_PIPE_BYTES (1u << 20)

static int64_t s_now_ms(const struct fv_handler_ctx *ctx)
{
    return fv_clock_now_ms(ctx->clock);
}

/* Where the bundle goes: from the job in this worker's configuration. */
struct s_dest {
    const char *bucket;
    struct fv_buf key;
};

static void s_dest(const struct fv_handler_ctx *ctx, struct s_dest *d)
{
    d->bucket = fv_name_bundle_bucket(ctx->cfg, ctx->scope->job);
    d->key = (struct fv_buf){0};
    fv_name_bundle_key(ctx->cfg, ctx->scope->job, ctx->task->account, ctx->scope->run_started_s,
                       ctx->task->resource, &d->key);
}

/* The account's export slots (at most max_export_jobs jobs at once). */
static struct fv_slot_pool s_pool(const struct fv_handler_ctx *ctx, struct fv_aws_client *cc,
                                  const char *table)
{
    return (struct fv_slot_pool){.name = "qs-export",
                                 .cc = cc,
                                 .table = table,
                                 .size = (int)ctx->scope->job->max_export_jobs,
                                 .ttl_s = S_SLOT_TTL_S};
}

/* Gives back the slot the task holds (its "slot" parameter), if any. */
static void s_release_slot(const struct fv_handler_ctx *ctx, struct fv_aws_client *cc,
                           const char *table)
{
    const char *held = fv_task_param(ctx->task, "slot");
    struct fv_slot_pool pool = s_pool(ctx, cc, table);
    if (held)
        fv_slot_release(ctx, &pool, (int)fv_i64_or(held, 0));
}

static void s_job_id(const struct fv_task *t, char *out, size_t n)
{
    fv_name_export_job(t->task_id, fv_task_param_i64(t, "generation", 0), out, n);
}

/* ---- the transfer: DownloadUrl → pipe → S3 ---- */

struct s_download {
    struct fv_fleet *fleet;
    const struct fv_task *task;
    const char *url;
    struct fv_pipe *pipe;
    fv_status st;
    struct fv_error err;
};

static size_t s_sink(void *ud, const char *data, size_t n)
{
    struct s_download *d = ud;
    return fv_pipe_write(d->pipe, data, n) == FV_OK ? n : 0;
}

static void *s_download_thread(void *arg)
{
    struct s_download *d = arg;
    struct fv_http_engine *e = fv_fleet_engine_new(d->fleet);
    struct fv_fleet_clients *cl = fv_fleet_clients_new(d->fleet, e);
    struct fv_aws_client *c = fv_fleet_client(cl, d->task->account, d->task->region, &d->err);
    d->st = c ? fv_quicksight_download_bundle(c, d->url, s_sink, d, NULL, &d->err) : d->err.status;
    fv_pipe_close(d->pipe, d->st == FV_OK ? NULL : &d->err);
    fv_fleet_clients_destroy(cl);
    fv_http_engine_destroy(e);
    return NULL;
}

static fv_status s_read(void *ud, char *dst, size_t cap, size_t *got, struct fv_error *err)
{
    return fv_pipe_read(ud, dst, cap, got, err);
}

/* Streams url into bucket/key. The download's error wins over the upload's
 * (an expired URL is what the caller acts on). */
static fv_status s_transfer(struct fv_handler_ctx *ctx, struct fv_aws_client *cc, const char *url,
                            const struct s_dest *dest, struct fv_s3_upload_result *res,
                            struct fv_error *err)
{
    const struct fv_task *t = ctx->task;
    const struct fv_config_job *job = ctx->scope->job;
    struct s_download d = {
        .fleet = ctx->fleet, .task = t, .url = url, .pipe = fv_pipe_new(S_PIPE_BYTES)};
    pthread_t th;
    pthread_create(&th, NULL, s_download_thread, &d);
    struct fv_s3_upload up = {
        .bucket = dest->bucket,
        .key = dest->key.ptr,
        .opt = {.content_type = "application/zip",
                .sse_kms = job->sse_kms_key_id != NULL,
                .kms_key_id = job->sse_kms_key_id,
                .bucket_owner_full_control = job->bucket_owner_full_control},
        .read = s_read,
        .read_ud = d.pipe,
    };
    fv_status st = fv_s3_upload(cc, &up, res, err);
    if (st != FV_OK)
        fv_pipe_abort(d.pipe); /* unblock the download so it ends */
    pthread_join(th, NULL);
    fv_pipe_destroy(d.pipe);
    if (d.st != FV_OK) {
        if (err)
            *err = d.err;
        return d.st;
    }
    return st;
}

/* ---- steps ---- */

static void s_succeed(struct fv_handler_ctx *ctx, const struct s_dest *dest, int64_t size,
                      const char *sha256)
{
    struct fv_output *o = fv_result_add_output(ctx->result);
    char type[32];
    fv_name_bundle_type(ctx->task->resource, type, sizeof(type));
    o->bucket = fv_strdup(dest->bucket);
    o->object_key = fv_strdup(dest->key.ptr);
    o->size = size;
    o->sha256 = fv_strdup(sha256);
    fv_output_set_extra(o, "type", type);
    const char *skipped = fv_task_param(ctx->task, "skipped");
    if (skipped)
        fv_output_set_extra(o, "skipped_assets", skipped);
    struct json_object *arns = json_tokener_parse(fv_task_param(ctx->task, "arns"));
    char n[16];
    snprintf(n, sizeof(n), "%zu", arns ? json_object_array_length(arns) : 0);
    fv_output_set_extra(o, "assets", n);
    json_object_put(arns);
    ctx->result->status = FV_RESULT_SUCCEEDED;
}

/* A redelivery after the upload: the claim has the object. */
static bool s_already_done(struct fv_handler_ctx *ctx, struct fv_aws_client *cc, const char *table,
                           const struct s_dest *dest)
{
    bool fresh;
    struct json_object *claim = NULL;
    struct fv_error err;
    int64_t expires = fv_control_expiry_s(ctx->cfg, fv_clock_now_ms(ctx->clock) / 1000);
    if (fv_control_claim(cc, table, ctx->task->task_id, ctx->worker_name, expires, &fresh, &claim,
                         &err) != FV_OK)
        return false;
    const char *out = fv_control_item_str(claim, "output"); /* "size sha256" */
    bool done = false;
    if (out) {
        long long size = 0;
        char sha[65] = "";
        if (sscanf(out, "%lld %64s", &size, sha) == 2) {
            s_succeed(ctx, dest, size, sha);
            done = true;
        }
    }
    json_object_put(claim);
    return done;
}

static void s_start(struct fv_handler_ctx *ctx, struct fv_aws_client *qs, struct fv_aws_client *cc,
                    const char *table)
{
    const struct fv_task *t = ctx->task;
    const struct fv_config_job *cj = ctx->scope->job;
    struct fv_error err;
    struct fv_slot_pool pool = s_pool(ctx, cc, table);
    int slot = fv_slot_take(ctx, &pool, &err);
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
    char slot_s[16], job_id[80];
    snprintf(slot_s, sizeof(slot_s), "%d", slot);
    s_job_id(t, job_id, sizeof(job_id));
    struct json_object *arns = json_tokener_parse(fv_task_param(t, "arns"));
    size_t n =
        arns && json_object_is_type(arns, json_type_array) ? json_object_array_length(arns) : 0;
    const char **list = fv_calloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        list[i] = json_object_get_string(json_object_array_get_idx(arns, i));
    struct fv_quicksight_export_request req = {
        .job_id = job_id,
        .resource_arns = list,
        .n_resource_arns = n,
        .include_all_dependencies = cj->include_dependencies,
        .include_permissions = cj->include_permissions,
        .include_tags = cj->include_tags,
        .export_format = cj->export_format,
    };
    char *job_arn = NULL;
    fv_status st = n ? fv_quicksight_start_export(qs, t->account, &req, &job_arn, &err)
                     : fv_error_set(&err, FV_E_INVALID, "bundle without assets");
    free(job_arn);
    free(list);
    json_object_put(arns);
    if (st != FV_OK && strcmp(err.code, "ConflictException") == 0)
        st = FV_OK; /* started by an earlier delivery and still running */
    if (st != FV_OK) {
        /* Release the slot this delivery took before giving up or waiting. */
        fv_slot_release(ctx, &pool, slot);
        if (strcmp(err.code, "LimitExceededException") == 0)
            fv_handler_follow_up(ctx, "start", 10000); /* jobs of someone else's */
        else
            fv_handler_fail(ctx, &err);
        return;
    }
    struct fv_task *next = fv_handler_follow_up(ctx, "wait", 1000);
    fv_task_set_param(next, "slot", slot_s);
    char now[32];
    snprintf(now, sizeof(now), "%lld", (long long)s_now_ms(ctx));
    fv_task_set_param(next, "started_ms", now);
}

/* The export FAILED: assets deleted since enumeration leave the bundle and
 * it goes again; anything else is reported per asset. */
static void s_failed(struct fv_handler_ctx *ctx, struct fv_aws_client *cc, const char *table,
                     const struct fv_quicksight_export_job *job)
{
    const struct fv_task *t = ctx->task;
    s_release_slot(ctx, cc, table);
    struct json_object *arns = json_tokener_parse(fv_task_param(t, "arns"));
    struct json_object *keep = json_object_new_array();
    struct fv_buf skipped = {0}, msg = {0};
    if (fv_task_param(t, "skipped"))
        fv_buf_append_str(&skipped, fv_task_param(t, "skipped"));
    bool only_missing = job->errors.n > 0;
    for (size_t i = 0; i < job->errors.n; i++) {
        const struct fv_quicksight_job_issue *e = &job->errors.items[i];
        bool missing = (e->type && strstr(e->type, "NotFound")) ||
                       (e->message &&
                        (strstr(e->message, "not found") || strstr(e->message, "does not exist")));
        only_missing = only_missing && missing && e->arn;
        fv_buf_printf(&msg, "%s%s: %s", msg.len ? "; " : "", e->arn ? e->arn : "?",
                      e->message ? e->message : "failed");
    }
    for (size_t i = 0; arns && i < json_object_array_length(arns); i++) {
        const char *arn = json_object_get_string(json_object_array_get_idx(arns, i));
        bool gone = false;
        for (size_t k = 0; k < job->errors.n; k++)
            gone = gone || (job->errors.items[k].arn && strcmp(job->errors.items[k].arn, arn) == 0);
        if (gone)
            fv_buf_printf(&skipped, "%s%s", skipped.len ? "," : "", arn);
        else
            json_object_array_add(keep, json_object_new_string(arn));
    }
    if (only_missing && json_object_array_length(keep) > 0) {
        struct fv_task *next = fv_handler_follow_up(ctx, "start", 0);
        const char *gen = fv_task_param(t, "generation");
        char g[24];
        snprintf(g, sizeof(g), "%lld", (long long)fv_i64_or(gen, 0) + 1);
        fv_task_set_param(next, "generation", g);
        fv_task_set_param(next, "arns", json_object_to_json_string_ext(keep, 0));
        fv_task_set_param(next, "skipped", skipped.ptr);
        FV_LOG(FV_LOG_INFO, "worker",
               "run %s task %s: assets deleted since enumeration (%s): "
               "exporting the rest",
               t->run_id, t->task_id, skipped.ptr);
    } else if (only_missing) {
        fv_handler_failf(ctx, FV_RESULT_SKIPPED, "AssetsDeleted",
                         "every asset of the bundle was deleted since enumeration: %s",
                         skipped.ptr);
    } else {
        fv_handler_failf(ctx, FV_RESULT_FAILED, "ExportFailed", "export job %s FAILED: %s",
                         job->job_id ? job->job_id : "?", msg.len ? msg.ptr : "no errors given");
        for (size_t i = 0; i < job->errors.n; i++) {
            if (!job->errors.items[i].arn)
                continue;
            if (!ctx->result->n_outputs)
                fv_result_add_output(ctx->result);
            fv_output_set_extra(&ctx->result->outputs[0], job->errors.items[i].arn,
                                job->errors.items[i].message ? job->errors.items[i].message
                                                             : "failed");
        }
    }
    fv_buf_clean_up(&skipped);
    fv_buf_clean_up(&msg);
    json_object_put(keep);
    json_object_put(arns);
}

static void s_wait(struct fv_handler_ctx *ctx, struct fv_aws_client *qs, struct fv_aws_client *cc,
                   const char *table, const struct s_dest *dest)
{
    const struct fv_task *t = ctx->task;
    struct fv_error err;
    char job_id[80];
    s_job_id(t, job_id, sizeof(job_id));
    /* Still ours: renew the slot. */
    const char *slot = fv_task_param(t, "slot");
    struct fv_slot_pool pool = s_pool(ctx, cc, table);
    if (slot)
        fv_slot_renew(ctx, &pool, (int)fv_i64_or(slot, 0));
    for (int tries = 0;; tries++) {
        struct fv_quicksight_export_job job = {0};
        fv_status st = fv_quicksight_describe_export(qs, t->account, job_id, &job, &err);
        if (st == FV_E_NOTFOUND) {
            fv_quicksight_export_job_clean_up(&job);
            fv_handler_follow_up(ctx, "start", 0); /* the job is gone: start it again */
            return;
        }
        if (st != FV_OK) {
            fv_quicksight_export_job_clean_up(&job);
            fv_handler_fail(ctx, &err);
            return;
        }
        if (job.status == FV_QS_JOB_FAILED) {
            s_failed(ctx, cc, table, &job);
            fv_quicksight_export_job_clean_up(&job);
            return;
        }
        if (job.status != FV_QS_JOB_SUCCESSFUL) {
            const char *started = fv_task_param(t, "started_ms");
            int64_t since = started ? s_now_ms(ctx) - fv_i64_or(started, s_now_ms(ctx)) : 0;
            fv_quicksight_export_job_clean_up(&job);
            if (since > ctx->scope->job->wait_timeout_s * 1000) {
                s_release_slot(ctx, cc, table);
                fv_handler_failf(ctx, FV_RESULT_FAILED, "ExportTimeout",
                                 "export job %s not done after %lld s", job_id,
                                 (long long)(since / 1000));
                return;
            }
            fv_handler_follow_up(ctx, "wait", 2000);
            return;
        }
        struct fv_s3_upload_result res = {0};
        st = s_transfer(ctx, cc, job.download_url, dest, &res, &err);
        fv_quicksight_export_job_clean_up(&job);
        if (st != FV_OK && strcmp(err.code, FV_QUICKSIGHT_EXPIRED_URL) == 0 && tries < 3) {
            /* DownloadUrl lives 5 minutes: describing again gives a fresh one. */
            FV_LOG(FV_LOG_INFO, "worker",
                   "run %s task %s: download URL expired, describing "
                   "the job again",
                   t->run_id, t->task_id);
            fv_s3_upload_result_clean_up(&res);
            continue;
        }
        if (st != FV_OK) {
            fv_s3_upload_result_clean_up(&res);
            fv_handler_fail(ctx, &err);
            return;
        }
        char note[96];
        snprintf(note, sizeof(note), "%llu %s", (unsigned long long)res.size, res.sha256_hex);
        if (fv_control_note(cc, table, t->task_id, "output", note, &err) != FV_OK)
            FV_LOG(FV_LOG_WARN, "worker", "run %s task %s: noting the upload: %s", t->run_id,
                   t->task_id, err.message);
        s_release_slot(ctx, cc, table);
        s_succeed(ctx, dest, (int64_t)res.size, res.sha256_hex);
        fv_s3_upload_result_clean_up(&res);
        return;
    }
}

void fv_kind_quicksight_export(struct fv_handler_ctx *ctx)
{
    const struct fv_task *t = ctx->task;
    struct fv_error err;
    const char *table = ctx->cfg->control_table;
    const char *central = fv_fleet_central_account(ctx->fleet, &err);
    struct fv_aws_client *cc =
        central ? fv_fleet_client(ctx->clients, central, ctx->cfg->region, &err) : NULL;
    struct fv_aws_client *qs =
        cc ? fv_fleet_client(ctx->clients, t->account, t->region, &err) : NULL;
    if (!qs) {
        fv_handler_fail(ctx, &err);
        return;
    }
    struct s_dest dest;
    s_dest(ctx, &dest);
    if (!dest.bucket)
        fv_handler_failf(ctx, FV_RESULT_FAILED, "NoBucket",
                         "job %s has no bucket (jobs[].s3.bucket or central.bucket)",
                         ctx->scope->job->name);
    else if (s_already_done(ctx, cc, table, &dest))
        s_release_slot(ctx, cc, table);
    else if (strcmp(t->step, "wait") == 0)
        s_wait(ctx, qs, cc, table, &dest);
    else
        s_start(ctx, qs, cc, table);
    fv_buf_clean_up(&dest.key);
}

/* One run of a job over the real world (the control table, the planners,
 * Kafka, S3, SNS, CloudWatch Logs: the fv_coord_io of phases.h); and the
 * schedule loop. */
#include "coordinator.h"
#include "phases.h"
#include "run.h"
#include "schedule.h"

#include <fv/control.h>
#include <fv/export_notice.h>
#include <fv/log.h>
#include <fv/logs.h>
#include <fv/s3.h>
#include <fv/sns.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LEASE_NAME "coordinator"

/* The real world of one run. */
struct s_io {
    const struct fv_coordinator_options *o;
    const struct fv_clock *clock;
    struct fv_http_engine *engine; /* the run's thread's */
    struct fv_fleet_clients *clients;
    const char *central_id;
    struct fv_aws_client *central;
    struct fv_control_fence fence;
    struct fv_producer *producer;
    struct fv_consumer *consumer;
    /* Renewals (the heartbeat thread, and the run's thread before it
     * writes): an engine of their own, made at the first, used by one
     * thread at a time. */
    pthread_mutex_t renew_lock;
    struct fv_http_engine *renew_engine;
    struct fv_fleet_clients *renew_clients;
};

static int64_t s_now_ms(const struct s_io *io)
{
    return fv_clock_now_ms(io->clock);
}

static fv_status s_acquire(void *ud, int64_t now_ms, bool *got, char **holder, struct fv_error *err)
{
    struct s_io *io = ud;
    const struct fv_config *cfg = io->o->cfg;
    if (!io->fence.table) { /* the first attempt: the table exists first */
        fv_status st = fv_control_ensure_table(io->central, cfg->control_table, err);
        if (st != FV_OK)
            return st;
        io->fence.table = cfg->control_table;
    }
    return fv_control_fence_acquire(io->central, &io->fence, now_ms / 1000, cfg->lease_ttl_s, got,
                                    holder, err);
}

/* From the heartbeat thread too: not the run's engine (an engine serves
 * one thread at a time), but one kept for renewals, so a renewal costs one
 * request, not a new engine and new credentials. */
static fv_status s_renew(void *ud, int64_t now_ms, struct fv_error *err)
{
    struct s_io *io = ud;
    const struct fv_config *cfg = io->o->cfg;
    pthread_mutex_lock(&io->renew_lock);
    if (!io->renew_engine) {
        io->renew_engine = fv_fleet_engine_new(io->o->fleet);
        io->renew_clients = fv_fleet_clients_new(io->o->fleet, io->renew_engine);
    }
    struct fv_aws_client *c = fv_fleet_client(io->renew_clients, io->central_id, cfg->region, err);
    fv_status st = c ? fv_control_fence_renew(c, &io->fence, now_ms / 1000, cfg->lease_ttl_s, err)
                     : err->status;
    pthread_mutex_unlock(&io->renew_lock);
    return st;
}

static void s_release(void *ud)
{
    struct s_io *io = ud;
    struct fv_error err;
    if (fv_control_fence_release(io->central, &io->fence, &err) != FV_OK)
        FV_LOG(FV_LOG_WARN, "coordinator", "releasing the lease: %s", err.message);
}

static fv_status s_run_put(void *ud, const struct fv_run *r, const char *state,
                           struct fv_error *err)
{
    struct s_io *io = ud;
    return fv_control_run_put(io->central, &io->fence, r->run_id, r->job->name, state,
                              r->started_ms, fv_control_expiry_s(io->o->cfg, s_now_ms(io) / 1000),
                              err);
}

static fv_status s_run_state(void *ud, const char *run_id, char **state, struct fv_error *err)
{
    struct s_io *io = ud;
    return fv_control_run_state(io->central, io->o->cfg->control_table, run_id, state, err);
}

static fv_status s_run_unfinished(void *ud, const char *job, char **run_id, int64_t *started_ms,
                                  struct fv_error *err)
{
    struct s_io *io = ud;
    return fv_control_run_unfinished(io->central, io->o->cfg->control_table, job, run_id,
                                     started_ms, err);
}

static const char *s_mode(const struct s_io *io, const struct fv_run *r)
{
    return io->o->mode ? io->o->mode : r->job->mode;
}

static fv_status s_prepare(void *ud, struct fv_run *r, struct fv_error *err)
{
    struct s_io *io = ud;
    if (r->job->kind != FV_JOB_QUICKSIGHT)
        return FV_OK;
    return fv_prepare_quicksight(io->o->fleet, r, s_mode(io, r), io->o->dry_run, err);
}

static fv_status s_plan(void *ud, struct fv_run *r, struct fv_error *err)
{
    struct s_io *io = ud;
    if (r->job->kind == FV_JOB_QUICKSIGHT)
        return fv_plan_quicksight(io->o->fleet, r, s_mode(io, r), err);
    return fv_plan_dynamodb(io->o->fleet, r, io->o->dry_run, err);
}

static struct fv_run_item *s_followup(void *ud, struct fv_run *r, struct fv_run_target *t)
{
    struct s_io *io = ud;
    if (r->job->kind != FV_JOB_DYNAMODB_BACKUPS)
        return NULL;
    return fv_plan_dynamodb_retention(io->o->fleet, r, t);
}

/* The producer, on first use (the first publish). */
static fv_status s_producer(struct s_io *io, struct fv_error *err)
{
    if (!io->producer)
        io->producer = fv_producer_new(io->o->kafka, io->o->name, err);
    return io->producer ? FV_OK : (err ? err->status : FV_E_NET);
}

/* The results consumer, on first use (the first poll of collect): from then
 * on it is polled every 200 ms, well within max.poll.interval.ms, however
 * long publishing took. Results sent before it joins wait in the topic. */
static fv_status s_consumer(struct s_io *io, struct fv_error *err)
{
    if (!io->consumer)
        io->consumer = fv_consumer_new(io->o->kafka, "fleetvault-coordinator", io->o->name,
                                       1u << FV_TOPIC_RESULTS, err);
    return io->consumer ? FV_OK : (err ? err->status : FV_E_NET);
}

/* Tasks go out sealed under the signing key: workers run nothing else. */
static fv_status s_publish(void *ud, const struct fv_task *t, struct fv_error *err)
{
    struct s_io *io = ud;
    fv_status st = s_producer(io, err);
    if (st != FV_OK)
        return st;
    struct fv_buf key = {0}, val = {0};
    fv_task_key(t, &key);
    fv_task_seal(io->o->keys, t, &val);
    st = fv_producer_send(io->producer, FV_TOPIC_TASKS, (struct fv_cur){key.ptr, key.len},
                          (struct fv_cur){val.ptr, val.len}, err);
    fv_buf_clean_up(&key);
    fv_buf_clean_up(&val);
    return st;
}

static fv_status s_flush(void *ud, int timeout_ms, struct fv_error *err)
{
    struct s_io *io = ud;
    return io->producer ? fv_producer_flush(io->producer, timeout_ms, err) : FV_OK;
}

static int s_poll(void *ud, int timeout_ms, struct fv_result *res, struct fv_error *err)
{
    struct s_io *io = ud;
    if (s_consumer(io, err) != FV_OK)
        return -1;
    for (;;) {
        struct fv_message m;
        int rc = fv_consumer_poll(io->consumer, timeout_ms, &m, err);
        if (rc != 1)
            return rc;
        struct fv_error derr;
        rc = fv_result_decode(m.value, res, &derr) == FV_OK;
        if (!rc)
            FV_LOG(FV_LOG_WARN, "coordinator", "undecodable result skipped: %s", derr.message);
        fv_consumer_done(io->consumer, &m);
        if (rc)
            return 1;
    }
}

/* Each export of the run (seed 003): an Event on the events topic and an
 * SNS message in the seed's schema, `status` also an attribute. */
static void s_notify_exports(struct s_io *io, const struct fv_run *r)
{
    const struct fv_config *cfg = io->o->cfg;
    struct fv_error err;
    for (size_t i = 0; i < r->n_items; i++) {
        struct fv_export_notice n;
        if (!r->items[i].terminal || !fv_export_notice_from_result(&r->items[i].result, &n))
            continue;
        struct fv_event e;
        struct fv_buf val = {0}, body = {0};
        fv_export_notice_event(&n, r->run_id, s_now_ms(io), &e);
        fv_event_encode(&e, &val);
        if (io->producer &&
            fv_producer_send(io->producer, FV_TOPIC_EVENTS, FV_CUR_STR(r->job->name),
                             (struct fv_cur){val.ptr, val.len}, &err) != FV_OK)
            FV_LOG(FV_LOG_ERROR, "coordinator", "run %s: export event: %s", r->run_id, err.message);
        if (io->central && cfg->sns_topic_arn) {
            struct fv_kv attr = {"status", (char *)fv_export_notice_status(&n)};
            fv_export_notice_json(&n, &body);
            if (fv_sns_publish_attrs(io->central, cfg->sns_topic_arn, NULL, body.ptr, &attr, 1,
                                     NULL, &err) != FV_OK)
                FV_LOG(FV_LOG_ERROR, "coordinator", "run %s: export SNS: %s", r->run_id,
                       err.message);
        }
        fv_buf_clean_up(&val);
        fv_buf_clean_up(&body);
        fv_event_clean_up(&e);
    }
}

/* Run event → events topic, SNS and CloudWatch Logs (when configured). */
static void s_notify(struct s_io *io, const struct fv_run *r, const char *manifest_key)
{
    if (r->job->kind == FV_JOB_DYNAMODB_EXPORTS)
        s_notify_exports(io, r);
    struct fv_aws_client *central = io->central;
    size_t ok, failed, skipped;
    fv_run_counts(r, &ok, &failed, &skipped);
    struct fv_event e = {0};
    e.type = fv_strdup(failed ? "run.failed" : "run.completed");
    e.run_id = fv_strdup(r->run_id);
    e.job = fv_strdup(r->job->name);
    e.time_ms = s_now_ms(io);
    e.severity = fv_strdup(failed ? (ok ? "warning" : "error") : "info");
    struct fv_buf summary = {0};
    fv_buf_printf(&summary, "%s %s: %zu succeeded, %zu failed, %zu skipped", r->job->name,
                  r->run_id, ok, failed, skipped);
    e.summary = fv_strdup(summary.ptr);
    e.succeeded = (uint32_t)ok;
    e.failed = (uint32_t)failed;
    e.skipped = (uint32_t)skipped;
    e.manifest_key = fv_strdup(manifest_key);
    for (size_t i = 0; i < r->n_items; i++) {
        const struct fv_run_item *it = &r->items[i];
        if (it->terminal && it->result.status == FV_RESULT_FAILED) {
            struct fv_buf k = {0};
            fv_buf_printf(&k, "failed:%s/%s/%s", it->task.account, it->task.region,
                          it->task.resource);
            fv_event_set_detail(&e, k.ptr,
                                it->result.error_message ? it->result.error_message : "");
            fv_buf_clean_up(&k);
        }
    }
    struct fv_buf val = {0};
    struct fv_error err;
    fv_event_encode(&e, &val);
    if (io->producer && fv_producer_send(io->producer, FV_TOPIC_EVENTS, FV_CUR_STR(r->job->name),
                                         (struct fv_cur){val.ptr, val.len}, &err) != FV_OK)
        FV_LOG(FV_LOG_ERROR, "coordinator", "run %s: event: %s", r->run_id, err.message);
    const struct fv_config *cfg = io->o->cfg;
    if (central && cfg->sns_topic_arn) {
        char *id = NULL;
        if (fv_sns_publish(central, cfg->sns_topic_arn, summary.ptr, summary.ptr, &id, &err) !=
            FV_OK)
            FV_LOG(FV_LOG_ERROR, "coordinator", "run %s: SNS: %s", r->run_id, err.message);
        free(id);
    }
    if (central && cfg->events_log_group) {
        struct fv_logs_put_result res;
        struct fv_log_event ev = {s_now_ms(io), summary.ptr};
        if ((fv_logs_create_group(central, cfg->events_log_group, &err) != FV_OK ||
             fv_logs_create_stream(central, cfg->events_log_group, r->job->name, &err) != FV_OK ||
             fv_logs_put_events(central, cfg->events_log_group, r->job->name, &ev, 1, &res, &err) !=
                 FV_OK))
            FV_LOG(FV_LOG_ERROR, "coordinator", "run %s: CloudWatch Logs: %s", r->run_id,
                   err.message);
    }
    fv_buf_clean_up(&summary);
    fv_buf_clean_up(&val);
    fv_event_clean_up(&e);
}

/* The manifest and report beside the backups in the central bucket. */
static char *s_upload_outputs(struct s_io *io, const struct fv_run *r)
{
    struct fv_aws_client *central = io->central;
    const struct fv_config *cfg = io->o->cfg;
    if (!central || !cfg->central_bucket)
        return NULL;
    char *manifest = fv_run_manifest_json(r);
    char *report = fv_run_report_text(r);
    struct fv_buf mk = {0}, rk = {0};
    char stamp[16];
    snprintf(stamp, sizeof(stamp), "%.8s_%.6s", r->stamp, r->stamp + 9);
    fv_buf_printf(&mk, "%s/runs/%s/backup_manifest_%s.json", cfg->central_prefix, r->job->name,
                  stamp);
    fv_buf_printf(&rk, "%s/runs/%s/backup_report_%s.txt", cfg->central_prefix, r->job->name, stamp);
    struct fv_s3_put_options opt = {.content_type = "application/json"};
    struct fv_s3_upload_result res = {0};
    struct fv_error err;
    bool ok = fv_s3_put_object(central, cfg->central_bucket, mk.ptr, FV_CUR_STR(manifest), &opt,
                               &res, &err) == FV_OK;
    fv_s3_upload_result_clean_up(&res);
    opt.content_type = "text/plain; charset=utf-8";
    if (ok)
        ok = fv_s3_put_object(central, cfg->central_bucket, rk.ptr, FV_CUR_STR(report), &opt, &res,
                              &err) == FV_OK;
    fv_s3_upload_result_clean_up(&res);
    if (!ok)
        FV_LOG(FV_LOG_ERROR, "coordinator", "run %s: uploading manifest: %s", r->run_id,
               err.message);
    free(manifest);
    free(report);
    fv_buf_clean_up(&rk);
    return ok ? fv_buf_detach(&mk) : (fv_buf_clean_up(&mk), NULL);
}

static void s_announce(void *ud, const struct fv_run *r)
{
    struct s_io *io = ud;
    char *key = s_upload_outputs(io, r);
    s_notify(io, r, key);
    free(key);
    if (io->producer)
        fv_producer_flush(io->producer, 30000, NULL);
}

fv_status fv_coordinator_run(const struct fv_coordinator_options *o,
                             const struct fv_config_job *job, int64_t scheduled_ms,
                             struct fv_run_summary *out, struct fv_error *err)
{
    struct s_io io = {.o = o,
                      .clock = o->clock ? o->clock : fv_clock_system(),
                      .fence = {.name = S_LEASE_NAME, .holder = o->name}};
    fv_status st = FV_OK;
    memset(out, 0, sizeof(*out));
    pthread_mutex_init(&io.renew_lock, NULL);
    io.engine = fv_fleet_engine_new(o->fleet);
    io.clients = fv_fleet_clients_new(o->fleet, io.engine);
    io.central_id = fv_fleet_central_account(o->fleet, err);
    io.central =
        io.central_id ? fv_fleet_client(io.clients, io.central_id, o->cfg->region, err) : NULL;
    if (!io.central) {
        st = err ? err->status : FV_E_AUTH;
    } else {
        const struct fv_coord_io world = {
            .acquire = s_acquire,
            .renew = s_renew,
            .release = s_release,
            .run_put = s_run_put,
            .run_state = s_run_state,
            .run_unfinished = s_run_unfinished,
            .prepare = s_prepare,
            .plan = s_plan,
            .followup = s_followup,
            .publish = s_publish,
            .flush = s_flush,
            .poll = s_poll,
            .announce = s_announce,
            .ud = &io,
        };
        st = fv_coord_execute(o, job, scheduled_ms, &world, out, err);
    }
    fv_consumer_close(io.consumer);
    fv_producer_destroy(io.producer);
    fv_fleet_clients_destroy(io.clients);
    fv_http_engine_destroy(io.engine);
    fv_fleet_clients_destroy(io.renew_clients); /* the heartbeat has stopped */
    fv_http_engine_destroy(io.renew_engine);
    pthread_mutex_destroy(&io.renew_lock);
    return st;
}

fv_status fv_coordinator_daemon(const struct fv_coordinator_options *o, struct fv_error *err)
{
    const struct fv_config *cfg = o->cfg;
    struct fv_schedule **sched = fv_calloc(cfg->n_jobs ? cfg->n_jobs : 1, sizeof(*sched));
    int64_t *next = fv_calloc(cfg->n_jobs ? cfg->n_jobs : 1, sizeof(*next));
    fv_status st = FV_OK;
    const struct fv_clock *clock = o->clock ? o->clock : fv_clock_system();
    int64_t now = fv_clock_now_ms(clock) / 1000;
    for (size_t i = 0; i < cfg->n_jobs; i++) {
        if (!cfg->jobs[i].schedule)
            continue;
        st = fv_schedule_parse(cfg->jobs[i].schedule, &sched[i], err);
        if (st != FV_OK)
            goto out;
        if (fv_schedule_next(sched[i], now, &next[i], NULL) != FV_OK)
            next[i] = 0;
        char iso[21];
        fv_time_iso8601(next[i], iso);
        FV_LOG(FV_LOG_INFO, "coordinator", "job %s: %s, next run %s", cfg->jobs[i].name,
               cfg->jobs[i].schedule, iso);
    }
    while (!*o->stop) {
        now = fv_clock_now_ms(clock) / 1000;
        for (size_t i = 0; i < cfg->n_jobs && !*o->stop; i++) {
            if (!sched[i] || !next[i] || next[i] > now)
                continue;
            struct fv_run_summary sum;
            struct fv_error rerr;
            if (fv_coordinator_run(o, &cfg->jobs[i], next[i] * 1000, &sum, &rerr) != FV_OK)
                FV_LOG(FV_LOG_ERROR, "coordinator", "job %s: %s", cfg->jobs[i].name, rerr.message);
            else
                FV_LOG(FV_LOG_INFO, "coordinator", "job %s: run %s: %zu ok, %zu failed",
                       cfg->jobs[i].name, sum.run_id, sum.succeeded, sum.failed);
            fv_run_summary_clean_up(&sum);
            if (fv_schedule_next(sched[i], fv_clock_now_ms(clock) / 1000, &next[i], NULL) != FV_OK)
                next[i] = 0;
        }
        clock->sleep_ms(clock->ud, 500);
    }
out:
    for (size_t i = 0; i < cfg->n_jobs; i++)
        fv_schedule_destroy(sched[i]);
    free(sched);
    free(next);
    return st;
}

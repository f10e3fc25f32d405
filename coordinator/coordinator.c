/* One run of a job, start to finish; and the schedule loop. */
#include "coordinator.h"
#include "run.h"
#include "schedule.h"

#include <fv/control.h>
#include <fv/log.h>
#include <fv/logs.h>
#include <fv/s3.h>
#include <fv/sns.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_LEASE_NAME "coordinator"

void fv_run_summary_clean_up(struct fv_run_summary *s)
{
    if (!s)
        return;
    free(s->run_id);
    free(s->manifest_path);
    free(s->report_path);
    free(s->report);
    memset(s, 0, sizeof(*s));
}

static int64_t s_now_ms(void)
{
    return fv_clock_now_ms(fv_clock_system());
}

static void s_sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Tasks go out sealed under the signing key: workers run nothing else. */
static fv_status s_publish(const struct fv_coordinator_options *o, struct fv_producer *p,
                           const struct fv_task *t, struct fv_error *err)
{
    struct fv_buf key = {0}, val = {0};
    fv_task_key(t, &key);
    fv_task_seal(o->keys, t, &val);
    fv_status st = fv_producer_send(p, FV_TOPIC_TASKS, (struct fv_cur){key.ptr, key.len},
                                    (struct fv_cur){val.ptr, val.len}, err);
    fv_buf_clean_up(&key);
    fv_buf_clean_up(&val);
    return st;
}

static void s_progress(const struct fv_coordinator_options *o, const struct fv_run *r, bool final)
{
    if (o->progress == FV_PROGRESS_NONE)
        return;
    size_t ok, failed, skipped;
    fv_run_counts(r, &ok, &failed, &skipped);
    double secs = (double)(s_now_ms() - r->started_ms) / 1000.0;
    double rate = secs > 0 ? (double)r->n_terminal / secs : 0;
    size_t left = r->n_items - r->n_terminal;
    if (o->progress == FV_PROGRESS_TTY) {
        fprintf(stderr, "\r%s: %zu/%zu done · %zu ok · %zu failed · %zu skipped · %.1f/s",
                r->job->name, r->n_terminal, r->n_items, ok, failed, skipped, rate);
        if (!final && rate > 0)
            fprintf(stderr, " · ETA %.0fs   ", (double)left / rate);
        if (final)
            fprintf(stderr, "\n");
    } else {
        fprintf(stderr,
                "{\"progress\":{\"run_id\":\"%s\",\"job\":\"%s\",\"done\":%zu,\"total\":%zu,"
                "\"succeeded\":%zu,\"failed\":%zu,\"skipped\":%zu,\"rate\":%.2f%s}}\n",
                r->run_id, r->job->name, r->n_terminal, r->n_items, ok, failed, skipped, rate,
                final ? ",\"final\":true" : "");
    }
    fflush(stderr);
}

/* Publishes retention for every target whose backups are all terminal. */
static void s_plan_followups(const struct fv_coordinator_options *o, struct fv_run *r,
                             struct fv_producer *p)
{
    if (r->job->kind != FV_JOB_DYNAMODB_BACKUPS)
        return;
    for (size_t i = 0; i < r->n_targets; i++) {
        struct fv_run_target *t = &r->targets[i];
        if (t->retention_planned || t->error || t->n_tables == 0)
            continue;
        bool all = true;
        for (size_t k = 0; k < r->n_items && all; k++) {
            const struct fv_run_item *it = &r->items[k];
            if (strcmp(it->task.kind, "dynamodb.backup") == 0 &&
                strcmp(it->task.account, t->account) == 0 &&
                strcmp(it->task.region, t->region) == 0)
                all = it->terminal;
        }
        if (!all)
            continue;
        struct fv_run_item *it = fv_plan_dynamodb_retention(o->fleet, r, t);
        struct fv_error err;
        if (it && s_publish(o, p, &it->task, &err) != FV_OK)
            FV_LOG(FV_LOG_ERROR, "coordinator", "run %s: publishing retention: %s", r->run_id,
                   err.message);
    }
}

/* Run event → events topic, SNS and CloudWatch Logs (when configured). */
static void s_notify(const struct fv_coordinator_options *o, const struct fv_run *r,
                     struct fv_producer *p, struct fv_aws_client *central, const char *manifest_key)
{
    size_t ok, failed, skipped;
    fv_run_counts(r, &ok, &failed, &skipped);
    struct fv_event e = {0};
    e.type = fv_strdup(failed ? "run.failed" : "run.completed");
    e.run_id = fv_strdup(r->run_id);
    e.job = fv_strdup(r->job->name);
    e.time_ms = s_now_ms();
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
    if (fv_producer_send(p, FV_TOPIC_EVENTS, FV_CUR_STR(r->job->name),
                         (struct fv_cur){val.ptr, val.len}, &err) != FV_OK)
        FV_LOG(FV_LOG_ERROR, "coordinator", "run %s: event: %s", r->run_id, err.message);
    const struct fv_config *cfg = o->cfg;
    if (central && cfg->sns_topic_arn) {
        char *id = NULL;
        if (fv_sns_publish(central, cfg->sns_topic_arn, summary.ptr, summary.ptr, &id, &err) !=
            FV_OK)
            FV_LOG(FV_LOG_ERROR, "coordinator", "run %s: SNS: %s", r->run_id, err.message);
        free(id);
    }
    if (central && cfg->events_log_group) {
        struct fv_logs_put_result res;
        struct fv_log_event ev = {s_now_ms(), summary.ptr};
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

static void s_dry_run_plan(const struct fv_run *r)
{
    printf("dry run %s: %zu tasks planned, nothing written\n", r->run_id, r->n_items);
    for (size_t i = 0; i < r->n_targets; i++)
        if (r->targets[i].error)
            printf("  FAILED %s %s: %s\n", r->targets[i].account, r->targets[i].region,
                   r->targets[i].error);
    for (size_t i = 0; i < r->n_items; i++)
        printf("  %-22s %-12s %-12s %s\n", r->items[i].task.kind, r->items[i].task.account,
               r->items[i].task.region, r->items[i].task.resource);
}

/* The manifest and report beside the backups in the central bucket. */
static char *s_upload_outputs(const struct fv_coordinator_options *o, const struct fv_run *r,
                              struct fv_aws_client *central)
{
    const struct fv_config *cfg = o->cfg;
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

fv_status fv_coordinator_run(const struct fv_coordinator_options *o,
                             const struct fv_config_job *job, int64_t scheduled_ms,
                             struct fv_run_summary *out, struct fv_error *err)
{
    const struct fv_config *cfg = o->cfg;
    struct fv_http_engine *engine = fv_fleet_engine_new(o->fleet);
    struct fv_fleet_clients *clients = fv_fleet_clients_new(o->fleet, engine);
    struct fv_producer *producer = NULL;
    struct fv_consumer *consumer = NULL;
    struct fv_aws_client *central = NULL;
    struct fv_run r = {0};
    bool have_lease = false;
    fv_status st = FV_OK;
    memset(out, 0, sizeof(*out));

    const char *central_id = fv_fleet_central_account(o->fleet, err);
    if (!central_id) {
        st = err ? err->status : FV_E_AUTH;
        goto out;
    }
    central = fv_fleet_client(clients, central_id, cfg->region, err);
    if (!central) {
        st = err ? err->status : FV_E_AUTH;
        goto out;
    }

    int64_t started_ms = (scheduled_ms ? scheduled_ms : s_now_ms()) / 1000 * 1000;
    bool resumed = false;
    if (!o->dry_run) {
        st = fv_control_ensure_table(central, cfg->control_table, err);
        if (st != FV_OK)
            goto out;
        int64_t waited = 0;
        for (;;) {
            char *holder = NULL;
            st = fv_control_lease(central, cfg->control_table, S_LEASE_NAME, o->name,
                                  s_now_ms() / 1000, cfg->lease_ttl_s, &have_lease, &holder, err);
            if (st != FV_OK || have_lease || waited >= (int64_t)o->lease_wait_s * 1000 ||
                *o->stop) {
                if (st == FV_OK && !have_lease)
                    st = fv_error_set(err, FV_E_INVALID,
                                      "another coordinator (%s) is running; exactly one may run",
                                      holder ? holder : "?");
                free(holder);
                break;
            }
            free(holder);
            s_sleep_ms(1000);
            waited += 1000;
        }
        if (st != FV_OK)
            goto out;
        /* A restarted coordinator resumes its job's unfinished run rather
         * than starting a second one. */
        char *prev = NULL;
        int64_t prev_started = 0;
        if (fv_control_run_unfinished(central, cfg->control_table, job->name, &prev, &prev_started,
                                      err) == FV_OK &&
            prev && prev_started > 0 && s_now_ms() - prev_started < cfg->run_deadline_s * 1000) {
            started_ms = prev_started;
            resumed = true;
        }
        free(prev);
    }

    fv_run_init(&r, job, started_ms, started_ms + cfg->run_deadline_s * 1000);
    r.resumed = resumed;
    if (scheduled_ms && !o->dry_run) {
        /* A standby that got the lease after the active coordinator finished
         * this scheduled run has nothing to do. */
        char *state = NULL;
        if (fv_control_run_state(central, cfg->control_table, r.run_id, &state, err) == FV_OK &&
            state && strcmp(state, "completed") == 0) {
            FV_LOG(FV_LOG_INFO, "coordinator", "run %s: already completed", r.run_id);
            free(state);
            out->run_id = fv_strdup(r.run_id);
            goto out;
        }
        free(state);
    }
    FV_LOG(FV_LOG_INFO, "coordinator", "run %s: %s; enumerating %zu accounts", r.run_id,
           resumed ? "resuming" : "starting", cfg->n_accounts);
    if (job->kind == FV_JOB_QUICKSIGHT)
        st = fv_plan_quicksight(o->fleet, &r, o->mode ? o->mode : job->mode, o->dry_run, err);
    else
        st = fv_plan_dynamodb(o->fleet, &r, err);
    if (st != FV_OK)
        goto out;
    if (o->dry_run) {
        s_dry_run_plan(&r);
        goto summarize;
    }
    st = fv_control_run_put(central, cfg->control_table, r.run_id, job->name, "running",
                            r.started_ms, err);
    if (st != FV_OK)
        goto out;

    producer = fv_producer_new(o->kafka, o->name, err);
    consumer = producer ? fv_consumer_new(o->kafka, "fleetvault-coordinator", o->name,
                                          1u << FV_TOPIC_RESULTS, err)
                        : NULL;
    if (!consumer) {
        st = err ? err->status : FV_E_NET;
        goto out;
    }
    for (size_t i = 0; i < r.n_items; i++)
        if ((st = s_publish(o, producer, &r.items[i].task, err)) != FV_OK)
            goto out;
    s_plan_followups(o, &r, producer); /* targets with no tables need none */
    if ((st = fv_producer_flush(producer, 120000, err)) != FV_OK)
        goto out;
    FV_LOG(FV_LOG_INFO, "coordinator", "run %s: published %zu tasks", r.run_id, r.n_items);

    int64_t last_progress = 0, last_lease = s_now_ms();
    while (r.n_terminal < r.n_items && !*o->stop && s_now_ms() < r.deadline_ms) {
        struct fv_message m;
        int rc = fv_consumer_poll(consumer, 200, &m, err);
        if (rc < 0) {
            st = err ? err->status : FV_E_NET;
            goto out;
        }
        if (rc == 1) {
            struct fv_result res;
            struct fv_error derr;
            if (fv_result_decode(m.value, &res, &derr) == FV_OK) {
                if (fv_run_record(&r, &res))
                    s_plan_followups(o, &r, producer);
                fv_result_clean_up(&res);
            } else {
                FV_LOG(FV_LOG_WARN, "coordinator", "undecodable result skipped: %s", derr.message);
            }
            fv_consumer_done(consumer, &m);
        }
        int64_t now = s_now_ms();
        if (now - last_progress >= 1000) {
            s_progress(o, &r, false);
            last_progress = now;
        }
        if (now - last_lease >= cfg->lease_ttl_s * 1000 / 3) {
            char *holder = NULL;
            bool got = false;
            struct fv_error lerr;
            if (fv_control_lease(central, cfg->control_table, S_LEASE_NAME, o->name, now / 1000,
                                 cfg->lease_ttl_s, &got, &holder, &lerr) == FV_OK &&
                !got) {
                free(holder);
                st =
                    fv_error_set(err, FV_E_INVALID, "run %s: lost the coordinator lease", r.run_id);
                goto out;
            }
            free(holder);
            last_lease = now;
        }
        struct fv_error ferr;
        if (fv_producer_flush(producer, 0, &ferr) != FV_OK && ferr.status != FV_E_TIMEOUT) {
            /* A task that never reached the brokers would only end at the
             * deadline: publish every unfinished one again (tasks are
             * idempotent; workers answer done ones from their claims). */
            FV_LOG(FV_LOG_WARN, "coordinator", "run %s: %s; publishing unfinished tasks again",
                   r.run_id, ferr.message);
            for (size_t i = 0; i < r.n_items; i++)
                if (!r.items[i].terminal)
                    s_publish(o, producer, &r.items[i].task, &ferr);
        }
    }
    if (*o->stop && r.n_terminal < r.n_items) {
        /* Stopped mid-run: the run stays "running" for the next coordinator. */
        st = fv_error_set(err, FV_E_CANCELLED, "run %s: stopped with %zu tasks unfinished",
                          r.run_id, r.n_items - r.n_terminal);
        goto out;
    }
    for (size_t i = 0; i < r.n_items; i++) {
        struct fv_run_item *it = &r.items[i];
        if (it->terminal)
            continue;
        fv_result_for_task(&it->result, &it->task);
        it->result.status = FV_RESULT_FAILED;
        it->result.error_code = fv_strdup("RunDeadline");
        it->result.error_message = fv_strdup("not finished by the run's deadline");
        it->terminal = true;
        r.n_terminal++;
    }

summarize:
    r.finished_ms = s_now_ms();
    s_progress(o, &r, true);
    fv_run_counts(&r, &out->succeeded, &out->failed, &out->skipped);
    out->planned = r.n_items;
    out->run_id = fv_strdup(r.run_id);
    out->report = fv_run_report_text(&r);
    if (!o->dry_run && o->metrics) {
        const char *outcome = out->failed ? (out->succeeded ? "partial" : "failed") : "succeeded";
        fv_metric_inc(o->metrics->runs, (const char *[]){job->name, outcome, NULL});
        if (!out->failed)
            fv_metric_set(o->metrics->last_success, (const char *[]){job->name, NULL},
                          (double)r.finished_ms / 1000.0);
    }
    if (!o->dry_run) {
        st = fv_run_write_outputs(&r, o->output_dir ? o->output_dir : ".", &out->manifest_path,
                                  &out->report_path, err);
        char *key = s_upload_outputs(o, &r, central);
        s_notify(o, &r, producer, central, key);
        free(key);
        fv_producer_flush(producer, 30000, NULL);
        struct fv_error cerr;
        if (fv_control_run_put(central, cfg->control_table, r.run_id, job->name, "completed",
                               r.started_ms, &cerr) != FV_OK)
            FV_LOG(FV_LOG_ERROR, "coordinator", "run %s: recording completion: %s", r.run_id,
                   cerr.message);
    }
out:
    if (have_lease) {
        struct fv_error lerr;
        fv_control_lease_release(central, cfg->control_table, S_LEASE_NAME, o->name, &lerr);
    }
    fv_consumer_close(consumer);
    fv_producer_destroy(producer);
    fv_run_clean_up(&r);
    fv_fleet_clients_destroy(clients);
    fv_http_engine_destroy(engine);
    return st;
}

fv_status fv_coordinator_daemon(const struct fv_coordinator_options *o, struct fv_error *err)
{
    const struct fv_config *cfg = o->cfg;
    struct fv_schedule **sched = fv_calloc(cfg->n_jobs ? cfg->n_jobs : 1, sizeof(*sched));
    int64_t *next = fv_calloc(cfg->n_jobs ? cfg->n_jobs : 1, sizeof(*next));
    fv_status st = FV_OK;
    int64_t now = s_now_ms() / 1000;
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
        now = s_now_ms() / 1000;
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
            if (fv_schedule_next(sched[i], s_now_ms() / 1000, &next[i], NULL) != FV_OK)
                next[i] = 0;
        }
        s_sleep_ms(500);
    }
out:
    for (size_t i = 0; i < cfg->n_jobs; i++)
        fv_schedule_destroy(sched[i]);
    free(sched);
    free(next);
    return st;
}

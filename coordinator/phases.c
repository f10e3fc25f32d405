/* The phases of one run (see phases.h). */
#include "phases.h"

#include <fv/log.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int64_t s_now(const struct fv_coord *c)
{
    return fv_clock_now_ms(c->clock);
}

void fv_coord_init(struct fv_coord *c, const struct fv_coordinator_options *o,
                   const struct fv_config_job *job, const struct fv_coord_io *io)
{
    memset(c, 0, sizeof(*c));
    c->o = o;
    c->job = job;
    c->io = io;
    c->clock = o->clock ? o->clock : fv_clock_system();
}

/* FV_OK while the lease is held (or none is needed: a dry run). */
static fv_status s_held(struct fv_coord *c, struct fv_error *err)
{
    struct fv_error why;
    if (!c->keeper || fv_lease_keeper_held(c->keeper, &why))
        return FV_OK;
    if (err)
        *err = why;
    return why.status ? why.status : FV_E_CANCELLED;
}

static void s_progress(const struct fv_coord *c, bool final)
{
    const struct fv_run *r = &c->r;
    if (c->o->progress == FV_PROGRESS_NONE)
        return;
    size_t ok, failed, skipped;
    fv_run_counts(r, &ok, &failed, &skipped);
    double secs = (double)(s_now(c) - r->started_ms) / 1000.0;
    double rate = secs > 0 ? (double)r->n_terminal / secs : 0;
    size_t left = r->n_items - r->n_terminal;
    if (c->o->progress == FV_PROGRESS_TTY) {
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

fv_status fv_coord_acquire(struct fv_coord *c, int64_t scheduled_ms, struct fv_error *err)
{
    const struct fv_coordinator_options *o = c->o;
    const struct fv_config *cfg = o->cfg;
    c->started_ms = (scheduled_ms ? scheduled_ms : s_now(c)) / 1000 * 1000;
    if (o->dry_run)
        return FV_OK;
    fv_status st;
    int64_t waited = 0, acquired_ms;
    for (;;) {
        char *holder = NULL;
        bool got = false;
        acquired_ms = s_now(c);
        st = c->io->acquire(c->io->ud, acquired_ms, &got, &holder, err);
        if (st != FV_OK || got || waited >= (int64_t)o->lease_wait_s * 1000 || *o->stop) {
            if (st == FV_OK && !got)
                st = fv_error_set(err, FV_E_INVALID,
                                  "another coordinator (%s) is running; exactly one may run",
                                  holder ? holder : "?");
            free(holder);
            c->have_lease = got;
            break;
        }
        free(holder);
        c->clock->sleep_ms(c->clock->ud, 1000);
        waited += 1000;
    }
    if (st != FV_OK)
        return st;
    struct fv_lease_ops ops = {c->io->renew, c->io->ud};
    c->keeper = fv_lease_keeper_start(&ops, c->clock, acquired_ms, cfg->lease_ttl_s * 1000);
    /* A restarted coordinator resumes its job's unfinished run rather than
     * starting a second one. */
    char *prev = NULL;
    int64_t prev_started = 0;
    struct fv_error rerr;
    if (c->io->run_unfinished(c->io->ud, c->job->name, &prev, &prev_started, &rerr) == FV_OK &&
        prev && prev_started > 0 && s_now(c) - prev_started < cfg->run_deadline_s * 1000) {
        c->started_ms = prev_started;
        c->resumed = true;
    }
    free(prev);
    return FV_OK;
}

fv_status fv_coord_plan(struct fv_coord *c, int64_t scheduled_ms, bool *done, struct fv_error *err)
{
    const struct fv_coordinator_options *o = c->o;
    struct fv_run *r = &c->r;
    *done = false;
    fv_run_init(r, c->job, c->started_ms, c->started_ms + o->cfg->run_deadline_s * 1000);
    r->clock = c->clock;
    r->resumed = c->resumed;
    if (scheduled_ms && !o->dry_run) {
        /* A standby that got the lease after the active coordinator finished
         * this scheduled run has nothing to do. */
        char *state = NULL;
        struct fv_error serr;
        *done = c->io->run_state(c->io->ud, r->run_id, &state, &serr) == FV_OK && state &&
                strcmp(state, "completed") == 0;
        free(state);
        if (*done) {
            FV_LOG(FV_LOG_INFO, "coordinator", "run %s: already completed", r->run_id);
            return FV_OK;
        }
    }
    FV_LOG(FV_LOG_INFO, "coordinator", "run %s: %s; enumerating %zu accounts", r->run_id,
           c->resumed ? "resuming" : "starting", o->cfg->n_accounts);
    fv_status st = c->io->prepare(c->io->ud, r, err);
    if (st == FV_OK)
        st = s_held(c, err);
    if (st == FV_OK)
        st = c->io->plan(c->io->ud, r, err);
    return st == FV_OK ? s_held(c, err) : st;
}

/* The follow-up of target t (its retention), published. */
static void s_followup(struct fv_coord *c, struct fv_run_target *t)
{
    struct fv_run_item *it = c->io->followup(c->io->ud, &c->r, t);
    struct fv_error err;
    if (it && c->io->publish(c->io->ud, &it->task, &err) != FV_OK)
        FV_LOG(FV_LOG_ERROR, "coordinator", "run %s: publishing retention: %s", c->r.run_id,
               err.message);
}

fv_status fv_coord_publish(struct fv_coord *c, struct fv_error *err)
{
    struct fv_run *r = &c->r;
    fv_status st = c->io->run_put(c->io->ud, r, "running", err);
    for (size_t i = 0; st == FV_OK && i < r->n_items; i++) {
        if (i % 64 == 0 && (st = s_held(c, err)) != FV_OK)
            break;
        if (!r->items[i].terminal) /* planned as done: an export's PITR gap */
            st = c->io->publish(c->io->ud, &r->items[i].task, err);
    }
    for (size_t i = 0; st == FV_OK && i < r->n_targets; i++)
        if (r->targets[i].pending == 0)
            s_followup(c, &r->targets[i]); /* nothing to wait for */
    if (st == FV_OK)
        st = c->io->flush(c->io->ud, 120000, err);
    if (st == FV_OK)
        st = s_held(c, err);
    if (st == FV_OK)
        FV_LOG(FV_LOG_INFO, "coordinator", "run %s: published %zu tasks", r->run_id, r->n_items);
    return st;
}

/* A task that never reached the brokers would only end at the deadline:
 * publish every unfinished one again (tasks are idempotent; workers answer
 * done ones from their claims). */
static void s_republish_on_failure(struct fv_coord *c)
{
    struct fv_error ferr;
    if (c->io->flush(c->io->ud, 0, &ferr) == FV_OK || ferr.status == FV_E_TIMEOUT)
        return;
    FV_LOG(FV_LOG_WARN, "coordinator", "run %s: %s; publishing unfinished tasks again", c->r.run_id,
           ferr.message);
    for (size_t i = 0; i < c->r.n_items; i++)
        if (!c->r.items[i].terminal)
            c->io->publish(c->io->ud, &c->r.items[i].task, &ferr);
}

/* No result at all for this long: the run says which tasks it waits for. */
#define S_QUIET_REPORT_MS 60000
#define S_QUIET_LISTED 5

/* A run that hears nothing (no worker, a consumer that is not in its group,
 * a lost task) is diagnosable from its own log: the tasks it waits for. */
static void s_report_quiet(const struct fv_coord *c, int64_t quiet_ms)
{
    const struct fv_run *r = &c->r;
    struct fv_buf b = {0};
    size_t waiting = 0;
    for (size_t i = 0; i < r->n_items; i++) {
        const struct fv_run_item *it = &r->items[i];
        if (it->terminal || waiting++ >= S_QUIET_LISTED)
            continue;
        fv_buf_printf(&b, "%stask %s %s %s/%s/%s (attempts seen: %u)", waiting > 1 ? "; " : "",
                      it->task.task_id, it->task.kind, it->task.account, it->task.region,
                      it->task.resource, it->attempts);
    }
    if (waiting > S_QUIET_LISTED)
        fv_buf_printf(&b, "; and %zu more", waiting - S_QUIET_LISTED);
    FV_LOG(FV_LOG_WARN, "coordinator", "run %s: no result for %lld s; waiting for %zu task(s): %s",
           r->run_id, (long long)(quiet_ms / 1000), waiting, fv_buf_str(&b));
    fv_buf_clean_up(&b);
}

fv_status fv_coord_collect(struct fv_coord *c, struct fv_error *err)
{
    struct fv_run *r = &c->r;
    const struct fv_coordinator_options *o = c->o;
    int64_t last_progress = 0;
    int64_t last_result = s_now(c), last_quiet_report = last_result;
    fv_status st = FV_OK;
    while (r->n_terminal < r->n_items && !*o->stop && s_now(c) < r->deadline_ms) {
        if ((st = s_held(c, err)) != FV_OK)
            return st;
        struct fv_result res;
        int rc = c->io->poll(c->io->ud, 200, &res, err);
        if (rc < 0)
            return err ? err->status : FV_E_NET;
        if (rc == 1) {
            last_result = s_now(c);
            if (fv_run_record(r, &res)) {
                struct fv_run_target *t = fv_run_released(r, &res);
                if (t)
                    s_followup(c, t); /* its last backup just finished */
            }
            fv_result_clean_up(&res);
        }
        int64_t now = s_now(c);
        if (now - last_progress >= 1000) {
            s_progress(c, false);
            last_progress = now;
        }
        if (now - last_result >= S_QUIET_REPORT_MS &&
            now - last_quiet_report >= S_QUIET_REPORT_MS) {
            s_report_quiet(c, now - last_result);
            last_quiet_report = now;
        }
        s_republish_on_failure(c);
    }
    if (*o->stop && r->n_terminal < r->n_items)
        /* Stopped mid-run: the run stays "running" for the next coordinator. */
        return fv_error_set(err, FV_E_CANCELLED, "run %s: stopped with %zu tasks unfinished",
                            r->run_id, r->n_items - r->n_terminal);
    return FV_OK;
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
    for (size_t i = 0; i < r->n_targets; i++) {
        const struct fv_run_target *t = &r->targets[i];
        if (t->error || t->n_tables == 0)
            continue;
        printf("  retention %s %s (scope %s, keep %lld, none younger than %lld s): %zu backups "
               "would be deleted\n",
               t->account, t->region, r->job->retention_scope ? r->job->retention_scope : "job",
               (long long)r->job->retention, (long long)r->job->retention_min_age_s, t->n_expiring);
        for (size_t k = 0; k < t->n_expiring; k++)
            printf("    would delete %s\n", t->expiring[k]);
    }
}

/* Tasks not terminal by the deadline fail. */
static void s_fail_unfinished(struct fv_run *r)
{
    for (size_t i = 0; i < r->n_items; i++) {
        struct fv_run_item *it = &r->items[i];
        if (it->terminal)
            continue;
        fv_result_for_task(&it->result, &it->task);
        it->result.status = FV_RESULT_FAILED;
        it->result.error_code = fv_strdup("RunDeadline");
        it->result.error_message = fv_strdup("not finished by the run's deadline");
        it->terminal = true;
        r->n_terminal++;
    }
}

static void s_count_run(const struct fv_coord *c, const struct fv_run_summary *out)
{
    struct fv_metrics_fleetvault *m = c->o->metrics;
    if (c->o->dry_run || !m)
        return;
    const char *outcome = out->failed ? (out->succeeded ? "partial" : "failed") : "succeeded";
    fv_metric_inc(m->runs, (const char *[]){c->job->name, outcome, NULL});
    if (!out->failed)
        fv_metric_set(m->last_success, (const char *[]){c->job->name, NULL},
                      (double)c->r.finished_ms / 1000.0);
}

fv_status fv_coord_finish(struct fv_coord *c, struct fv_run_summary *out, struct fv_error *err)
{
    const struct fv_coordinator_options *o = c->o;
    struct fv_run *r = &c->r;
    if (o->dry_run)
        s_dry_run_plan(r);
    else
        s_fail_unfinished(r);
    r->finished_ms = s_now(c);
    s_progress(c, true);
    fv_run_counts(r, &out->succeeded, &out->failed, &out->skipped);
    out->planned = r->n_items;
    out->run_id = fv_strdup(r->run_id);
    out->report = fv_run_report_text(r);
    if (o->dry_run)
        return FV_OK;
    /* The manifest only from the lease's holder: confirmed just now (a
     * fenced renewal), not only believed. */
    fv_status st = s_held(c, err);
    if (st == FV_OK)
        st = c->io->renew(c->io->ud, s_now(c), err);
    if (st != FV_OK)
        return st;
    s_count_run(c, out);
    const char *dir = o->output_dir ? o->output_dir : ".";
    st = fv_run_write_outputs(r, dir, &out->manifest_path, &out->report_path, err);
    if (st == FV_OK) {
        /* Local run files are bounded: the oldest beyond coordinator.keep_runs go. */
        char stamp[16];
        fv_run_file_stamp(r, stamp);
        struct fv_error perr;
        size_t removed = 0;
        if (fv_run_prune_outputs(dir, o->cfg->keep_runs, stamp, &removed, &perr) != FV_OK)
            FV_LOG(FV_LOG_WARN, "coordinator", "run %s: %s", r->run_id, perr.message);
        else if (removed)
            FV_LOG(FV_LOG_INFO, "coordinator",
                   "run %s: removed %zu files of older runs from %s (coordinator.keep_runs %lld)",
                   r->run_id, removed, dir, (long long)o->cfg->keep_runs);
    }
    c->io->announce(c->io->ud, r);
    struct fv_error cerr;
    if (c->io->run_put(c->io->ud, r, "completed", &cerr) != FV_OK)
        FV_LOG(FV_LOG_ERROR, "coordinator", "run %s: recording completion: %s", r->run_id,
               cerr.message);
    return st;
}

void fv_coord_clean_up(struct fv_coord *c)
{
    fv_lease_keeper_stop(c->keeper);
    c->keeper = NULL;
    if (c->have_lease)
        c->io->release(c->io->ud);
    c->have_lease = false;
    fv_run_clean_up(&c->r);
}

fv_status fv_coord_execute(const struct fv_coordinator_options *o, const struct fv_config_job *job,
                           int64_t scheduled_ms, const struct fv_coord_io *io,
                           struct fv_run_summary *out, struct fv_error *err)
{
    struct fv_coord c;
    bool done = false;
    memset(out, 0, sizeof(*out));
    fv_coord_init(&c, o, job, io);
    fv_status st = fv_coord_acquire(&c, scheduled_ms, err);
    if (st == FV_OK)
        st = fv_coord_plan(&c, scheduled_ms, &done, err);
    if (st == FV_OK && done)
        out->run_id = fv_strdup(c.r.run_id);
    else {
        if (st == FV_OK && !o->dry_run)
            st = fv_coord_publish(&c, err);
        if (st == FV_OK && !o->dry_run)
            st = fv_coord_collect(&c, err);
        if (st == FV_OK)
            st = fv_coord_finish(&c, out, err);
    }
    fv_coord_clean_up(&c);
    return st;
}

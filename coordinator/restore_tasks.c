/* Restore imports as quicksight.import tasks (restore_tasks.h). */
#include "restore_tasks.h"

#include <fv/contract.h>
#include <fv/log.h>
#include <fv/naming.h>

#include <stdlib.h>
#include <string.h>

struct fv_restore_tasks {
    struct fv_restore_tasks_options o;
    struct fv_producer *producer;
    struct fv_consumer *consumer;
    char *run_id; /* the restore's own: "<job>-<start>" */
};

struct fv_restore_tasks *fv_restore_tasks_new(const struct fv_restore_tasks_options *o)
{
    struct fv_restore_tasks *rt = fv_calloc(1, sizeof(*rt));
    rt->o = *o;
    if (!rt->o.clock)
        rt->o.clock = fv_clock_system();
    return rt;
}

void fv_restore_tasks_destroy(struct fv_restore_tasks *rt)
{
    if (!rt)
        return;
    fv_consumer_close(rt->consumer);
    fv_producer_destroy(rt->producer);
    free(rt->run_id);
    free(rt);
}

static fv_status s_kafka(struct fv_restore_tasks *rt, struct fv_error *err)
{
    if (rt->consumer)
        return FV_OK;
    if (!rt->producer)
        rt->producer = fv_producer_new(rt->o.kafka, rt->o.name, err);
    /* A group of this restore's own: two restores at once never take each
     * other's results. New, so it reads the results topic from the start and
     * misses nothing published before it joined. */
    struct fv_buf group = {0};
    fv_buf_printf(&group, "fleetvault-restore-%s", rt->run_id);
    if (rt->producer)
        rt->consumer =
            fv_consumer_new(rt->o.kafka, group.ptr, rt->o.name, 1u << FV_TOPIC_RESULTS, err);
    fv_buf_clean_up(&group);
    return rt->consumer ? FV_OK : err->status;
}

/* The task of one bundle: what it is and how to check it; where it is
 * comes from the worker's configuration. */
static void s_plan(struct fv_restore_tasks *rt, const struct fv_restore_qs *rq,
                   const struct fv_restore_bundle *b, struct fv_task *t)
{
    char id[33], size[24];
    fv_task_make_id(rt->run_id, "quicksight.import", b->target, b->region, b->res->resource, id);
    struct fv_task tmpl = {.task_id = id,
                           .run_id = rt->run_id,
                           .job = (char *)rq->m->job,
                           .kind = "quicksight.import",
                           .account = (char *)b->target,
                           .region = (char *)b->region,
                           .resource = b->res->resource,
                           .step = "start",
                           .attempt = 1,
                           .created_ms = fv_clock_now_ms(rt->o.clock)};
    tmpl.deadline_ms = tmpl.created_ms + rt->o.timeout_ms;
    fv_task_copy(t, &tmpl);
    snprintf(size, sizeof(size), "%lld", (long long)b->out->size);
    fv_task_set_param(t, "backup_run", rq->m->run_id);
    fv_task_set_param(t, "source_account", b->res->account);
    if (b->out->sha256)
        fv_task_set_param(t, "sha256", b->out->sha256);
    fv_task_set_param(t, "size", size);
    if (rq->overrides_canonical)
        fv_task_set_param(t, "overrides", rq->overrides_canonical);
}

static const char *s_extra(const struct fv_output *o, const char *key)
{
    for (size_t i = 0; i < o->n_extra; i++)
        if (strcmp(o->extra[i].key, key) == 0)
            return o->extra[i].value;
    return NULL;
}

static void s_issues(const struct fv_output *o, const char *what,
                     struct fv_quicksight_job_issues *l)
{
    for (size_t i = 0;; i++) {
        char k[64];
        snprintf(k, sizeof(k), "%s.%zu.message", what, i);
        const char *msg = s_extra(o, k);
        if (!msg)
            return;
        l->items = fv_realloc(l->items, (l->n + 1) * sizeof(*l->items));
        struct fv_quicksight_job_issue *is = &l->items[l->n++];
        is->message = fv_strdup(msg);
        snprintf(k, sizeof(k), "%s.%zu.arn", what, i);
        is->arn = fv_strdup(s_extra(o, k));
        snprintf(k, sizeof(k), "%s.%zu.type", what, i);
        is->type = fv_strdup(s_extra(o, k));
    }
}

/* A final result, as the restore reports a bundle. */
static void s_outcome(const struct fv_result *res, struct fv_restore_bundle *b)
{
    const struct fv_output *o = res->n_outputs ? &res->outputs[0] : NULL;
    const char *code = res->error_code ? res->error_code : "";
    if (res->status == FV_RESULT_SUCCEEDED) {
        b->outcome = FV_RB_IMPORTED;
        b->prior_done = o && s_extra(o, "prior") != NULL;
        b->job.status = FV_QS_JOB_SUCCESSFUL;
        b->job.status_text = fv_strdup("SUCCESSFUL");
    } else if (strcmp(code, "ImportFailed") == 0 && o) {
        b->outcome = FV_RB_JOB_FAILED;
        b->job.status = FV_QS_JOB_FAILED;
        b->job.status_text = fv_strdup(s_extra(o, "status"));
        b->job.failure_action = fv_strdup(s_extra(o, "failure_action"));
        s_issues(o, "error", &b->job.errors);
        s_issues(o, "rollback", &b->job.rollback_errors);
        s_issues(o, "warning", &b->job.warnings);
    } else {
        b->outcome = FV_RB_ERROR;
        fv_error_set(&b->err, FV_E_INVALID, "%s", res->error_message ? res->error_message : code);
        snprintf(b->err.code, sizeof(b->err.code), "%s", code);
    }
}

/* Publishes the batch's tasks, then reads results until each is final. */
static void s_run(void *ud, const struct fv_restore_qs *rq, struct fv_restore_bundle *b, size_t n)
{
    struct fv_restore_tasks *rt = ud;
    struct fv_task *tasks = fv_calloc(n, sizeof(*tasks));
    bool *final = fv_calloc(n, sizeof(*final));
    size_t left = n;
    struct fv_error err = {0};
    int64_t start = fv_clock_now_ms(rt->o.clock);
    if (!rt->run_id) {
        struct fv_buf id = {0};
        fv_name_run_id(rq->m->job, start / 1000, &id);
        rt->run_id = fv_buf_detach(&id);
    }
    fv_status st = rq->job && rq->job->kind == FV_JOB_QUICKSIGHT
                       ? s_kafka(rt, &err)
                       : fv_error_set(&err, FV_E_INVALID,
                                      "job '%s' is not a quicksight job of this configuration "
                                      "(where the bundles are comes from it)",
                                      rq->m->job);
    for (size_t i = 0; i < n && st == FV_OK; i++) {
        s_plan(rt, rq, &b[i], &tasks[i]);
        /* What a worker would refuse (to the DLQ, no result) is said now. */
        struct fv_task_scope scope;
        struct fv_error verr = {0};
        if (fv_task_validate(&tasks[i], &verr) != FV_OK ||
            fv_task_authorize(rt->o.cfg, &tasks[i], &scope, &verr) != FV_OK) {
            b[i].outcome = FV_RB_ERROR;
            fv_error_set(&b[i].err, FV_E_INVALID, "not imported: %s", verr.message);
            final[i] = true;
            left--;
            continue;
        }
        struct fv_buf key = {0}, val = {0};
        fv_task_key(&tasks[i], &key);
        fv_task_seal(rt->o.keys, &tasks[i], &val);
        st = fv_producer_send(rt->producer, FV_TOPIC_TASKS, (struct fv_cur){key.ptr, key.len},
                              (struct fv_cur){val.ptr, val.len}, &err);
        fv_buf_clean_up(&key);
        fv_buf_clean_up(&val);
        FV_LOG(FV_LOG_INFO, "coordinator", "run %s task %s: quicksight.import of %s published",
               rt->run_id, tasks[i].task_id, tasks[i].resource);
    }
    if (st == FV_OK)
        st = fv_producer_flush(rt->producer, 10000, &err);
    while (st == FV_OK && left && !(rt->o.stop && *rt->o.stop) &&
           fv_clock_now_ms(rt->o.clock) - start < rt->o.timeout_ms) {
        struct fv_message m;
        int rc = fv_consumer_poll(rt->consumer, 500, &m, &err);
        if (rc < 0)
            st = err.status ? err.status : FV_E_NET;
        if (rc != 1)
            continue;
        struct fv_result res = {0};
        struct fv_error derr;
        if (fv_result_decode(m.value, &res, &derr) == FV_OK && res.status != FV_RESULT_RETRYING &&
            res.status != FV_RESULT_UNSPECIFIED)
            for (size_t i = 0; i < n; i++)
                if (!final[i] && res.task_id && strcmp(res.task_id, tasks[i].task_id) == 0) {
                    s_outcome(&res, &b[i]);
                    final[i] = true;
                    left--;
                }
        fv_result_clean_up(&res);
        fv_consumer_done(rt->consumer, &m);
    }
    int64_t waited = fv_clock_now_ms(rt->o.clock) - start;
    for (size_t i = 0; i < n; i++) {
        if (!final[i] && st != FV_OK) {
            b[i].outcome = FV_RB_ERROR;
            fv_error_set(&b[i].err, st, "not imported: %s", err.message);
        } else if (!final[i]) {
            b[i].outcome = FV_RB_TIMEOUT;
            b[i].waited_ms = waited;
            b[i].interrupted = rt->o.stop && *rt->o.stop;
        }
        fv_task_clean_up(&tasks[i]);
    }
    free(tasks);
    free(final);
}

struct fv_restore_importer fv_restore_tasks_importer(struct fv_restore_tasks *rt)
{
    return (struct fv_restore_importer){s_run, rt};
}

/* The worker's consume loop and handler pool. */
#include "worker.h"
#include "handler.h"

#include <fv/log.h>
#include <fv/task.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* One delivered task on its way through the pool. */
struct s_job {
    struct fv_message msg;
    struct fv_task task;
    struct fv_task_scope scope; /* what the task may act for (fv_task_authorize) */
    bool published;             /* its outputs reached the brokers: it may be committed */
    struct s_job *next;
};

struct s_queue {
    struct s_job *head, *tail;
    size_t n;
};

struct fv_worker {
    struct fv_worker_options o;
    struct fv_producer *producer;
    struct fv_consumer *consumer;
    pthread_t *threads;
    int n_threads;
    pthread_mutex_t lock;
    pthread_cond_t work_cv;
    struct s_queue todo; /* for the pool */
    struct s_queue done; /* back to the consumer thread */
    bool shutting_down;
    size_t in_pool;         /* handed to the pool, not yet back */
    struct s_job **delayed; /* not_before in the future: a min-heap on not_before */
    size_t n_delayed, cap_delayed;
    struct fv_worker_stats stats;
    bool fatal; /* Kafka would not take our outputs: stop and let others redeliver */
};

static int64_t s_now_ms(void)
{
    return fv_clock_now_ms(fv_clock_system());
}

static void s_push(struct s_queue *q, struct s_job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    q->n++;
}

static struct s_job *s_pop(struct s_queue *q)
{
    struct s_job *j = q->head;
    if (j) {
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
    }
    return j;
}

/* ---- handler helpers ---- */

void fv_handler_fail(struct fv_handler_ctx *ctx, const struct fv_error *err)
{
    struct fv_result *r = ctx->result;
    r->status = err->retryable ? FV_RESULT_RETRYING : FV_RESULT_FAILED;
    r->retryable = err->retryable;
    free(r->error_code);
    free(r->error_message);
    r->error_code = fv_strdup(err->code[0] ? err->code : fv_status_str(err->status));
    r->error_message = fv_strdup(err->message);
}

void fv_handler_failf(struct fv_handler_ctx *ctx, enum fv_result_status status, const char *code,
                      const char *fmt, ...)
{
    struct fv_result *r = ctx->result;
    struct fv_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    fv_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    r->status = status;
    r->retryable = status == FV_RESULT_RETRYING;
    free(r->error_code);
    free(r->error_message);
    r->error_code = fv_strdup(code);
    r->error_message = fv_buf_detach(&msg);
}

struct fv_task *fv_handler_follow_up(struct fv_handler_ctx *ctx, const char *step, int64_t delay_ms)
{
    if (ctx->follow_up) {
        fv_task_clean_up(ctx->follow_up);
        free(ctx->follow_up);
    }
    struct fv_task *t = fv_malloc(sizeof(*t));
    fv_task_copy(t, ctx->task);
    free(t->step);
    t->step = fv_strdup(step);
    t->attempt = 1; /* each step has its own attempts */
    t->not_before_ms = s_now_ms() + delay_ms;
    ctx->follow_up = t;
    return t;
}

/* ---- publishing ---- */

static fv_status s_send_task(struct fv_worker *w, const struct fv_task *t, struct fv_error *err)
{
    struct fv_buf key = {0}, val = {0};
    fv_task_key(t, &key);
    fv_task_seal(w->o.keys, t, &val);
    fv_status st = fv_producer_send(w->producer, FV_TOPIC_TASKS, (struct fv_cur){key.ptr, key.len},
                                    (struct fv_cur){val.ptr, val.len}, err);
    fv_buf_clean_up(&key);
    fv_buf_clean_up(&val);
    return st;
}

static fv_status s_send_result(struct fv_worker *w, const struct fv_result *r, struct fv_error *err)
{
    struct fv_buf val = {0};
    fv_result_encode(r, &val);
    fv_status st = fv_producer_send(w->producer, FV_TOPIC_RESULTS, FV_CUR_STR(r->run_id),
                                    (struct fv_cur){val.ptr, val.len}, err);
    fv_buf_clean_up(&val);
    return st;
}

/* The DLQ gets a JSON envelope: why, where from, and the original bytes. */
static void s_send_dlq(struct fv_worker *w, const struct fv_message *m, const char *reason)
{
    struct json_object *env = json_object_new_object();
    json_object_object_add(env, "reason", json_object_new_string(reason));
    json_object_object_add(env, "worker", json_object_new_string(w->o.name));
    json_object_object_add(env, "partition", json_object_new_int(m->partition));
    json_object_object_add(env, "offset", json_object_new_int64(m->offset));
    json_object_object_add(env, "time_ms", json_object_new_int64(s_now_ms()));
    json_object_object_add(
        env, "key", json_object_new_string_len(m->key.ptr ? m->key.ptr : "", (int)m->key.len));
    size_t b64_len = 4 * ((m->value.len + 2) / 3) + 1;
    unsigned char *b64 = fv_malloc(b64_len);
    EVP_EncodeBlock(b64, (const unsigned char *)m->value.ptr, (int)m->value.len);
    json_object_object_add(env, "value_base64", json_object_new_string((const char *)b64));
    free(b64);
    const char *s = json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN);
    struct fv_error err;
    if (fv_producer_send(w->producer, FV_TOPIC_DLQ, m->key, FV_CUR_STR(s), &err) != FV_OK)
        FV_LOG(FV_LOG_ERROR, "worker", "DLQ send failed: %s", err.message);
    json_object_put(env);
    pthread_mutex_lock(&w->lock);
    w->stats.dlq++;
    pthread_mutex_unlock(&w->lock);
    FV_LOG(FV_LOG_WARN, "worker", "to DLQ (partition %d offset %lld): %s", m->partition,
           (long long)m->offset, reason);
}

/* Backoff for re-published tasks: 2^attempt seconds, capped at 5 minutes,
 * with jitter so a burst of failures spreads out. */
static int64_t s_task_backoff_ms(uint32_t attempt)
{
    int64_t base = 1000LL << (attempt < 9 ? attempt : 9);
    if (base > 300000)
        base = 300000;
    const struct fv_rand *r = fv_rand_system();
    return base / 2 + (int64_t)(r->next(r->ud) * (double)(base / 2));
}

/* ---- the pool ---- */

struct s_thread {
    struct fv_worker *w;
    struct fv_http_engine *engine;
    struct fv_fleet_clients *clients;
};

static void s_run_job(struct s_thread *th, struct s_job *job)
{
    struct fv_worker *w = th->w;
    const struct fv_task *t = &job->task;
    struct fv_result result;
    fv_result_for_task(&result, t);
    result.status = FV_RESULT_SUCCEEDED;
    result.worker = fv_strdup(w->o.name);
    result.started_ms = s_now_ms();
    struct fv_handler_ctx ctx = {
        .task = t,
        .scope = &job->scope,
        .fleet = w->o.fleet,
        .clients = th->clients,
        .cfg = w->o.cfg,
        .worker_name = w->o.name,
        .result = &result,
    };
    const struct fv_handler *h = fv_handler_find(t->kind);
    h->run(&ctx);
    result.finished_ms = s_now_ms();

    struct fv_error err;
    fv_status st = FV_OK;
    const char *outcome;
    if (ctx.follow_up) {
        st = s_send_task(w, ctx.follow_up, &err);
        outcome = "follow-up";
        FV_LOG(FV_LOG_DEBUG, "worker", "run %s task %s %s %s: follow-up step %s", t->run_id,
               t->task_id, t->kind, t->resource, ctx.follow_up->step);
    } else if (result.status == FV_RESULT_RETRYING &&
               t->attempt < (uint32_t)w->o.cfg->task_max_attempts) {
        struct fv_task again;
        fv_task_copy(&again, t);
        again.attempt = t->attempt + 1;
        again.not_before_ms = s_now_ms() + s_task_backoff_ms(t->attempt);
        st = s_send_task(w, &again, &err);
        if (st == FV_OK)
            st = s_send_result(w, &result, &err);
        fv_task_clean_up(&again);
        outcome = "retry";
        FV_LOG(FV_LOG_INFO, "worker", "run %s task %s %s %s: attempt %u failed, retrying: %s",
               t->run_id, t->task_id, t->kind, t->resource, t->attempt,
               result.error_message ? result.error_message : "");
    } else {
        if (result.status == FV_RESULT_RETRYING) {
            /* Exhausted: a final failure, and the task to the DLQ for a human. */
            result.status = FV_RESULT_FAILED;
            struct fv_buf reason = {0};
            fv_buf_printf(&reason, "exhausted after %u attempts: %s", t->attempt,
                          result.error_message ? result.error_message : "");
            s_send_dlq(w, &job->msg, reason.ptr);
            fv_buf_clean_up(&reason);
        }
        st = s_send_result(w, &result, &err);
        outcome = fv_result_status_str(result.status);
        FV_LOG(result.status == FV_RESULT_FAILED ? FV_LOG_WARN : FV_LOG_INFO, "worker",
               "run %s task %s %s %s/%s/%s: %s%s%s", t->run_id, t->task_id, t->kind,
               t->account ? t->account : "", t->region ? t->region : "", t->resource, outcome,
               result.error_message ? ": " : "", result.error_message ? result.error_message : "");
    }
    /* At-least-once: what this task produced must be on the brokers before its
     * offset may be committed. */
    if (st == FV_OK)
        st = fv_producer_flush(w->producer, 60000, &err);
    if (st != FV_OK)
        FV_LOG(FV_LOG_ERROR, "worker",
               "run %s task %s: publishing failed: %s (it will be "
               "redelivered)",
               t->run_id, t->task_id, err.message);

    struct fv_metrics_fleetvault *m = w->o.metrics;
    const char *kind_label[] = {t->kind, NULL};
    if (m && st == FV_OK && !ctx.follow_up) {
        if (strcmp(outcome, "retry") == 0)
            fv_metric_inc(m->tasks_retried, kind_label);
        else if (result.status == FV_RESULT_SUCCEEDED)
            fv_metric_inc(m->tasks_succeeded, kind_label);
        else if (result.status == FV_RESULT_FAILED)
            fv_metric_inc(m->tasks_failed, kind_label);
    }
    pthread_mutex_lock(&w->lock);
    if (st == FV_OK) {
        if (ctx.follow_up)
            w->stats.followups++;
        else if (strcmp(outcome, "retry") == 0)
            w->stats.retried++;
        else if (result.status == FV_RESULT_SUCCEEDED)
            w->stats.succeeded++;
        else if (result.status == FV_RESULT_SKIPPED)
            w->stats.skipped++;
        else
            w->stats.failed++;
    }
    pthread_mutex_unlock(&w->lock);

    if (ctx.follow_up) {
        fv_task_clean_up(ctx.follow_up);
        free(ctx.follow_up);
    }
    fv_result_clean_up(&result);
    /* A job whose outputs could not be published is not marked done: without
     * a commit it comes back on the next assignment. */
    job->published = st == FV_OK;
}

static void *s_thread_main(void *arg)
{
    struct s_thread *th = arg;
    struct fv_worker *w = th->w;
    th->engine = fv_fleet_engine_new(w->o.fleet);
    th->clients = fv_fleet_clients_new(w->o.fleet, th->engine);
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (!w->todo.head && !w->shutting_down)
            pthread_cond_wait(&w->work_cv, &w->lock);
        struct s_job *job = s_pop(&w->todo);
        pthread_mutex_unlock(&w->lock);
        if (!job)
            break;
        s_run_job(th, job);
        pthread_mutex_lock(&w->lock);
        s_push(&w->done, job);
        pthread_mutex_unlock(&w->lock);
    }
    fv_fleet_clients_destroy(th->clients);
    fv_http_engine_destroy(th->engine);
    free(th);
    return NULL;
}

/* ---- the consumer thread ---- */

static bool s_delayed_less(const struct s_job *a, const struct s_job *b)
{
    return a->task.not_before_ms < b->task.not_before_ms;
}

static void s_delay(struct fv_worker *w, struct s_job *j)
{
    if (w->n_delayed == w->cap_delayed) {
        w->cap_delayed = w->cap_delayed ? 2 * w->cap_delayed : 64;
        w->delayed = fv_realloc(w->delayed, w->cap_delayed * sizeof(*w->delayed));
    }
    size_t i = w->n_delayed++;
    w->delayed[i] = j;
    while (i > 0 && s_delayed_less(w->delayed[i], w->delayed[(i - 1) / 2])) {
        struct s_job *tmp = w->delayed[i];
        w->delayed[i] = w->delayed[(i - 1) / 2];
        w->delayed[(i - 1) / 2] = tmp;
        i = (i - 1) / 2;
    }
}

static struct s_job *s_undelay(struct fv_worker *w)
{
    struct s_job *top = w->delayed[0];
    w->delayed[0] = w->delayed[--w->n_delayed];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < w->n_delayed && s_delayed_less(w->delayed[l], w->delayed[m]))
            m = l;
        if (r < w->n_delayed && s_delayed_less(w->delayed[r], w->delayed[m]))
            m = r;
        if (m == i)
            break;
        struct s_job *tmp = w->delayed[i];
        w->delayed[i] = w->delayed[m];
        w->delayed[m] = tmp;
        i = m;
    }
    return top;
}

static void s_to_pool(struct fv_worker *w, struct s_job *job)
{
    pthread_mutex_lock(&w->lock);
    s_push(&w->todo, job);
    w->in_pool++;
    pthread_cond_signal(&w->work_cv);
    pthread_mutex_unlock(&w->lock);
}

static void s_job_free(struct s_job *job)
{
    fv_task_clean_up(&job->task);
    free(job);
}

/* The one gate between the tasks topic and the handlers: the message must
 * verify under the worker's keys, decode, keep the task contract and name a
 * job, account and region of this worker's configuration. False with the
 * reason (for the DLQ) otherwise; nothing in AWS happens for such a task. */
static bool s_admit(struct fv_worker *w, const struct fv_message *m, struct s_job *job,
                    struct fv_buf *reason)
{
    struct fv_error err;
    if (fv_task_open(w->o.keys, m->value, &job->task, &err) != FV_OK ||
        fv_task_validate(&job->task, &err) != FV_OK ||
        fv_task_authorize(w->o.cfg, &job->task, &job->scope, &err) != FV_OK) {
        fv_buf_printf(reason, "%s: %s", err.code[0] ? err.code : fv_status_str(err.status),
                      err.message);
        return false;
    }
    if (!fv_handler_find(job->task.kind)) {
        fv_buf_printf(reason, "TaskInvalid: no handler for task kind '%s'", job->task.kind);
        return false;
    }
    return true;
}

/* Takes one message: admits it, routes bad ones to the DLQ, delays early ones. */
static void s_accept(struct fv_worker *w, struct fv_message *m)
{
    struct s_job *job = fv_calloc(1, sizeof(*job));
    job->msg = *m;
    struct fv_buf reason = {0};
    pthread_mutex_lock(&w->lock);
    w->stats.consumed++;
    pthread_mutex_unlock(&w->lock);
    if (!s_admit(w, m, job, &reason)) {
        s_send_dlq(w, m, reason.ptr);
        fv_buf_clean_up(&reason);
    } else {
        if (w->o.metrics)
            fv_metric_inc(w->o.metrics->tasks_consumed, (const char *[]){job->task.kind, NULL});
        if (job->task.not_before_ms > s_now_ms())
            s_delay(w, job);
        else
            s_to_pool(w, job);
        return;
    }
    /* DLQ'd: flush so it is durable, then the offset may advance. */
    fv_producer_flush(w->producer, 60000, NULL);
    fv_consumer_done(w->consumer, &job->msg);
    s_job_free(job);
}

/* Marks finished jobs done (their offsets may now be committed). */
static void s_reap(struct fv_worker *w)
{
    pthread_mutex_lock(&w->lock);
    struct s_queue done = w->done;
    w->done = (struct s_queue){0};
    w->in_pool -= done.n;
    pthread_mutex_unlock(&w->lock);
    struct s_job *j;
    while ((j = s_pop(&done)) != NULL) {
        if (j->published) {
            fv_consumer_done(w->consumer, &j->msg);
        } else {
            /* Its outputs never reached the brokers (after the producer's own
             * retries): leave it uncommitted and stop, so it is redelivered. */
            fv_consumer_release(w->consumer, &j->msg);
            w->fatal = true;
        }
        s_job_free(j);
    }
}

struct fv_worker *fv_worker_new(const struct fv_worker_options *o, struct fv_error *err)
{
    struct fv_worker *w = fv_calloc(1, sizeof(*w));
    w->o = *o;
    if (w->o.concurrency < 1)
        w->o.concurrency = 1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->work_cv, NULL);
    w->producer = fv_producer_new(o->kafka, o->name, err);
    if (!w->producer)
        goto fail;
    w->consumer =
        fv_consumer_new(o->kafka, "fleetvault-workers", o->name, 1u << FV_TOPIC_TASKS, err);
    if (!w->consumer)
        goto fail;
    return w;
fail:
    fv_worker_destroy(w);
    return NULL;
}

fv_status fv_worker_run(struct fv_worker *w, struct fv_error *err)
{
    fv_status st = FV_OK;
    w->n_threads = w->o.concurrency;
    w->threads = fv_calloc((size_t)w->n_threads, sizeof(*w->threads));
    for (int i = 0; i < w->n_threads; i++) {
        struct s_thread *th = fv_calloc(1, sizeof(*th));
        th->w = w;
        pthread_create(&w->threads[i], NULL, s_thread_main, th);
    }
    FV_LOG(FV_LOG_INFO, "worker", "%s: consuming tasks with %d in flight", w->o.name, w->n_threads);

    int64_t last_lag = 0;
    while (!*w->o.stop && !w->fatal) {
        s_reap(w);
        if (w->o.metrics && s_now_ms() - last_lag >= 5000) {
            last_lag = s_now_ms();
            fv_metric_set(w->o.metrics->consumer_lag, NULL, (double)fv_consumer_lag(w->consumer));
        }
        if (w->o.metrics) {
            pthread_mutex_lock(&w->lock);
            double busy_now = (double)w->in_pool + (double)w->n_delayed;
            pthread_mutex_unlock(&w->lock);
            fv_metric_set(w->o.metrics->tasks_in_flight, NULL, busy_now);
        }
        int64_t now = s_now_ms();
        while (w->n_delayed > 0 && w->delayed[0]->task.not_before_ms <= now)
            s_to_pool(w, s_undelay(w));
        pthread_mutex_lock(&w->lock);
        size_t busy = w->in_pool;
        pthread_mutex_unlock(&w->lock);
        if (busy >= (size_t)w->o.concurrency) {
            /* The pool is full: keep the group membership alive without
             * taking more (poll with nothing returned is not possible in
             * librdkafka, so just wait a little). */
            struct timespec ts = {0, 20 * 1000000};
            nanosleep(&ts, NULL);
            continue;
        }
        struct fv_message m;
        int wait = w->n_delayed > 0 ? 50 : 200;
        int rc = fv_consumer_poll(w->consumer, wait, &m, err);
        if (rc < 0) {
            st = err ? err->status : FV_E_NET;
            break;
        }
        if (rc == 1)
            s_accept(w, &m);
    }

    /* Stop: take nothing more, let the pool finish within the grace period,
     * then commit what completed. Delayed tasks are simply not marked done:
     * they are redelivered to whoever owns their partition next. */
    fv_consumer_pause_all(w->consumer);
    int64_t deadline = s_now_ms() + w->o.cfg->shutdown_grace_s * 1000;
    for (;;) {
        s_reap(w);
        pthread_mutex_lock(&w->lock);
        size_t busy = w->in_pool;
        pthread_mutex_unlock(&w->lock);
        if (busy == 0 || s_now_ms() > deadline)
            break;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&w->lock);
    w->shutting_down = true;
    /* Tasks still queued for the pool go back unstarted. */
    struct s_job *j;
    while ((j = s_pop(&w->todo)) != NULL) {
        w->in_pool--;
        s_job_free(j);
    }
    pthread_cond_broadcast(&w->work_cv);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < w->n_threads; i++)
        pthread_join(w->threads[i], NULL);
    s_reap(w);
    while (w->n_delayed > 0)
        s_job_free(s_undelay(w));
    fv_consumer_commit(w->consumer, NULL);
    FV_LOG(FV_LOG_INFO, "worker", "%s: stopped", w->o.name);
    if (w->fatal && st == FV_OK)
        st = fv_error_set(err, FV_E_NET,
                          "Kafka did not accept task outputs; stopped so that "
                          "unfinished tasks are redelivered");
    return st;
}

void fv_worker_stats(struct fv_worker *w, struct fv_worker_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->stats;
    pthread_mutex_unlock(&w->lock);
}

void fv_worker_destroy(struct fv_worker *w)
{
    if (!w)
        return;
    fv_consumer_close(w->consumer);
    fv_producer_destroy(w->producer);
    free(w->threads);
    free(w->delayed);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->work_cv);
    free(w);
}

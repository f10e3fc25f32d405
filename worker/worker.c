/* The worker's shell: the executor (executor.c, every decision) wired to the
 * real consumer and producer, and a pool of threads that run handlers. The
 * loop thread owns the executor, the consumer and the producer's delivery
 * reports; pool threads only run handlers and hand jobs back. */
#include "worker.h"
#include "handler.h"

#include <fv/log.h>
#include <fv/task.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct s_jobs { /* a FIFO linked through fv_exec_job.next (the runner's while running) */
    struct fv_exec_job *head, *tail;
};

struct fv_worker {
    struct fv_worker_options o;
    struct fv_producer *producer;
    struct fv_consumer *consumer;
    struct fv_exec *exec;
    atomic_bool cancel; /* handlers: stop early (the grace period is over) */
    pthread_t *threads;
    int n_threads;
    pthread_mutex_t lock; /* the two queues, quit and stats */
    pthread_cond_t work_cv;
    struct s_jobs todo; /* to the pool */
    struct s_jobs done; /* back to the loop */
    bool quit;
    struct fv_exec_stats stats;
};

static void s_push(struct s_jobs *q, struct fv_exec_job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

static struct fv_exec_job *s_pop(struct s_jobs *q)
{
    struct fv_exec_job *j = q->head;
    if (j) {
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
    }
    return j;
}

/* The one gate between the tasks topic and the handlers: the message must
 * verify under the worker's keys, decode, keep the task contract and name a
 * job, account and region of this worker's configuration (docs/CONTRACT.md).
 * Else the reason goes to the DLQ and nothing happens in AWS. */
static bool s_admit(struct fv_worker *w, const struct fv_message *m, struct fv_task *out,
                    struct fv_buf *reason)
{
    struct fv_error err;
    struct fv_task_scope scope;
    if (fv_task_open(w->o.keys, m->value, out, &err) != FV_OK ||
        fv_task_validate(out, &err) != FV_OK ||
        fv_task_authorize(w->o.cfg, out, &scope, &err) != FV_OK) {
        fv_buf_printf(reason, "%s: %s", err.code[0] ? err.code : fv_status_str(err.status),
                      err.message);
        return false;
    }
    if (!fv_handler_find(out->kind)) {
        fv_buf_printf(reason, "TaskInvalid: no handler for task kind '%s'", out->kind);
        return false;
    }
    return true;
}

/* ---- the seam, for real ---- */

static bool s_io_admit(void *ud, const struct fv_message *m, struct fv_task *out,
                       struct fv_buf *reason)
{
    return s_admit(ud, m, out, reason);
}

static int s_io_poll(void *ud, int timeout_ms, struct fv_message *m, struct fv_error *err)
{
    return fv_consumer_poll(((struct fv_worker *)ud)->consumer, timeout_ms, m, err);
}

static void s_io_done(void *ud, struct fv_message *m)
{
    fv_consumer_done(((struct fv_worker *)ud)->consumer, m);
}

static void s_io_release(void *ud, struct fv_message *m)
{
    fv_consumer_release(((struct fv_worker *)ud)->consumer, m);
}

static bool s_io_owns(void *ud, const struct fv_message *m)
{
    return fv_consumer_owns(((struct fv_worker *)ud)->consumer, m);
}

static uint64_t s_io_epoch(void *ud)
{
    return fv_consumer_epoch(((struct fv_worker *)ud)->consumer);
}

static void s_io_hold(void *ud, bool hold)
{
    fv_consumer_hold(((struct fv_worker *)ud)->consumer, hold);
}

static fv_status s_io_produce(void *ud, enum fv_topic t, struct fv_cur key, struct fv_cur value,
                              uint64_t id, struct fv_error *err)
{
    return fv_producer_send_tracked(((struct fv_worker *)ud)->producer, t, key, value, id, err);
}

static void s_io_serve_reports(void *ud, int timeout_ms)
{
    fv_producer_poll(((struct fv_worker *)ud)->producer, timeout_ms);
}

static fv_status s_io_commit(void *ud, struct fv_error *err)
{
    return fv_consumer_commit(((struct fv_worker *)ud)->consumer, err);
}

static void s_io_run(void *ud, struct fv_exec_job *job)
{
    struct fv_worker *w = ud;
    pthread_mutex_lock(&w->lock);
    s_push(&w->todo, job);
    pthread_cond_signal(&w->work_cv);
    pthread_mutex_unlock(&w->lock);
}

/* Delivery reports: served on the loop thread (fv_producer_poll, or a send
 * waiting for room), straight into the executor. */
static void s_report(void *ud, uint64_t id, const struct fv_error *err)
{
    struct fv_worker *w = ud;
    fv_exec_delivered(w->exec, id, err);
}

/* ---- the pool ---- */

struct s_thread {
    struct fv_worker *w;
    struct fv_http_engine *engine;
    struct fv_fleet_clients *clients;
};

static void s_run_job(struct s_thread *th, struct fv_exec_job *job)
{
    struct fv_worker *w = th->w;
    /* Admission authorized it against this same configuration: the scope is
     * derived again here rather than carried through the executor. */
    struct fv_task_scope scope;
    struct fv_error err;
    struct fv_handler_ctx ctx = {
        .task = &job->task,
        .scope = &scope,
        .fleet = w->o.fleet,
        .clients = th->clients,
        .cfg = w->o.cfg,
        .worker_name = w->o.name,
        .result = &job->result,
        .clock = w->o.clock,
        .rand = w->o.rand,
        .cancel = &w->cancel,
    };
    const struct fv_handler *h = fv_handler_find(job->task.kind);
    if (fv_task_authorize(w->o.cfg, &job->task, &scope, &err) != FV_OK)
        fv_handler_fail(&ctx, &err); /* admission would have refused it */
    else if (h)
        h->run(&ctx);
    else /* admission lets only known kinds through */
        fv_handler_failf(&ctx, FV_RESULT_FAILED, "UnknownKind", "no handler for '%s'",
                         job->task.kind);
    job->follow_up = ctx.follow_up;
}

static void *s_thread_main(void *arg)
{
    struct s_thread *th = arg;
    struct fv_worker *w = th->w;
    th->engine = fv_fleet_engine_new_cancellable(w->o.fleet, &w->cancel);
    th->clients = fv_fleet_clients_new(w->o.fleet, th->engine);
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (!w->todo.head && !w->quit)
            pthread_cond_wait(&w->work_cv, &w->lock);
        struct fv_exec_job *job = s_pop(&w->todo);
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

/* Hands finished jobs back to the executor (loop thread). */
static void s_collect(struct fv_worker *w)
{
    pthread_mutex_lock(&w->lock);
    struct s_jobs done = w->done;
    w->done = (struct s_jobs){0};
    pthread_mutex_unlock(&w->lock);
    struct fv_exec_job *j;
    while ((j = s_pop(&done)) != NULL)
        fv_exec_finished(w->exec, j);
}

static void s_publish_stats(struct fv_worker *w, int64_t *last_lag)
{
    struct fv_exec_stats s;
    fv_exec_stats(w->exec, &s);
    pthread_mutex_lock(&w->lock);
    w->stats = s;
    pthread_mutex_unlock(&w->lock);
    struct fv_metrics_fleetvault *m = w->o.metrics;
    if (!m)
        return;
    fv_metric_set(m->tasks_in_flight, NULL, (double)(s.running + s.queued + s.delayed));
    int64_t now = fv_clock_mono_ms(w->o.clock);
    if (now - *last_lag >= 5000) {
        *last_lag = now;
        fv_metric_set(m->consumer_lag, NULL, (double)fv_consumer_lag(w->consumer));
    }
}

struct fv_worker *fv_worker_new(const struct fv_worker_options *o, struct fv_error *err)
{
    struct fv_worker *w = fv_calloc(1, sizeof(*w));
    w->o = *o;
    if (w->o.concurrency < 1)
        w->o.concurrency = 1;
    if (!w->o.clock)
        w->o.clock = fv_clock_system();
    if (!w->o.rand)
        w->o.rand = fv_rand_system();
    atomic_init(&w->cancel, false);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->work_cv, NULL);
    w->producer = fv_producer_new(o->kafka, o->name, err);
    if (!w->producer)
        goto fail;
    struct fv_kafka_config kc = *o->kafka; /* shallow: only read by fv_consumer_new */
    kc.group_instance_id = o->group_instance_id;
    w->consumer = fv_consumer_new(&kc, "fleetvault-workers", o->name, 1u << FV_TOPIC_TASKS, err);
    if (!w->consumer)
        goto fail;
    struct fv_exec_options xo = {
        .io = {.poll = s_io_poll,
               .done = s_io_done,
               .release = s_io_release,
               .owns = s_io_owns,
               .epoch = s_io_epoch,
               .hold = s_io_hold,
               .produce = s_io_produce,
               .serve_reports = s_io_serve_reports,
               .commit = s_io_commit,
               .run = s_io_run,
               .ud = w},
        .clock = w->o.clock,
        .rand = w->o.rand,
        .worker_name = o->name,
        .keys = o->keys,
        .concurrency = w->o.concurrency,
        .max_attempts = (int)o->cfg->task_max_attempts,
        .max_delayed = o->max_delayed,
        .admit = s_io_admit,
        .admit_ud = w,
        .metrics = o->metrics,
    };
    w->exec = fv_exec_new(&xo);
    fv_producer_set_report(w->producer, s_report, w);
    if (o->group_instance_id)
        FV_LOG(FV_LOG_INFO, "worker", "%s: static group member '%s'", o->name,
               o->group_instance_id);
    return w;
fail:
    fv_worker_destroy(w);
    return NULL;
}

/* Stopping: take nothing more, give running tasks the grace period to finish
 * and publish (polling all along), commit what is done, and only then ask
 * the stragglers to stop and join the threads. */
static void s_shutdown(struct fv_worker *w)
{
    fv_exec_stop(w->exec);
    int64_t deadline = fv_clock_mono_ms(w->o.clock) + w->o.cfg->shutdown_grace_s * 1000;
    while (!fv_exec_idle(w->exec) && fv_clock_mono_ms(w->o.clock) < deadline) {
        s_collect(w);
        struct fv_error err;
        if (fv_exec_step(w->exec, 20, &err) < 0)
            break;
    }
    struct fv_error err;
    if (fv_exec_close(w->exec, &err) != FV_OK)
        FV_LOG(FV_LOG_WARN, "worker", "%s: commit at shutdown: %s", w->o.name, err.message);
    atomic_store(&w->cancel, true);
    pthread_mutex_lock(&w->lock);
    w->quit = true;
    pthread_cond_broadcast(&w->work_cv);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < w->n_threads; i++)
        pthread_join(w->threads[i], NULL);
    w->n_threads = 0;
    s_collect(w); /* finished too late: dropped, redelivered */
}

fv_status fv_worker_run(struct fv_worker *w, struct fv_error *err)
{
    fv_status st = FV_OK;
    w->threads = fv_calloc((size_t)w->o.concurrency, sizeof(*w->threads));
    for (; w->n_threads < w->o.concurrency; w->n_threads++) {
        struct s_thread *th = fv_calloc(1, sizeof(*th));
        th->w = w;
        pthread_create(&w->threads[w->n_threads], NULL, s_thread_main, th);
    }
    FV_LOG(FV_LOG_INFO, "worker", "%s: consuming tasks with %d in flight", w->o.name,
           w->o.concurrency);

    int64_t last_lag = 0;
    bool undelivered = false;
    while (!*w->o.stop && !undelivered) {
        s_collect(w);
        if (fv_exec_step(w->exec, 200, err) < 0) {
            st = err ? err->status : FV_E_NET;
            break;
        }
        s_publish_stats(w, &last_lag);
        undelivered = w->stats.undelivered > 0;
    }
    s_shutdown(w);
    s_publish_stats(w, &last_lag);
    FV_LOG(FV_LOG_INFO, "worker", "%s: stopped", w->o.name);
    if (undelivered && st == FV_OK)
        st = fv_error_set(err, FV_E_NET,
                          "Kafka did not accept a task's outputs; stopped so that the "
                          "task is redelivered");
    return st;
}

void fv_worker_stats(struct fv_worker *w, struct fv_exec_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->stats;
    pthread_mutex_unlock(&w->lock);
}

void fv_worker_destroy(struct fv_worker *w)
{
    if (!w)
        return;
    fv_exec_destroy(w->exec); /* releases into the consumer: before it closes */
    if (w->producer)
        fv_producer_set_report(w->producer, NULL, NULL);
    fv_consumer_close(w->consumer);
    fv_producer_destroy(w->producer);
    free(w->threads);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->work_cv);
    free(w);
}

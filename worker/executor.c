/* The worker's executor (rules in executor.h). Jobs live in exactly one
 * place: the queue (runnable, waiting for a pool slot), the delayed heap, the
 * pool (running), or the publishing list (outputs not yet acknowledged). */
#include "executor.h"

#include <fv/log.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define S_BUSY_POLL_MS 10 /* poll timeout while jobs run or wait for acks */

enum s_state { S_QUEUED = 1, S_DELAYED, S_RUNNING, S_PUBLISHING };

enum s_outcome {
    S_OUT_NONE = 0,
    S_OUT_SUCCEEDED,
    S_OUT_FAILED,
    S_OUT_SKIPPED,
    S_OUT_RETRY,
    S_OUT_FOLLOWUP,
    S_OUT_DLQ, /* rejected at admission */
    S_OUT_EXPIRED,
    S_OUT_DEFERRED,
};

struct s_list {
    struct fv_exec_job head; /* sentinel of a circular list */
    size_t n;
};

struct fv_exec {
    struct fv_exec_options o;
    struct s_list queued, publishing;
    struct fv_exec_job **delayed; /* a min-heap on wake */
    size_t n_delayed, cap_delayed;
    size_t running;
    struct fv_exec_job **active; /* the running jobs (concurrency slots) */
    uint64_t next_id;
    uint64_t epoch;
    bool held, stopping, closed;
    struct fv_exec_stats stats;
};

/* ---- lists and the heap ---- */

static void s_list_init(struct s_list *l)
{
    l->head.prev = l->head.next = &l->head;
    l->n = 0;
}

static void s_list_push(struct s_list *l, struct fv_exec_job *j)
{
    j->next = &l->head;
    j->prev = l->head.prev;
    l->head.prev->next = j;
    l->head.prev = j;
    l->n++;
}

static void s_list_remove(struct s_list *l, struct fv_exec_job *j)
{
    j->prev->next = j->next;
    j->next->prev = j->prev;
    j->prev = j->next = NULL;
    l->n--;
}

static struct fv_exec_job *s_list_first(struct s_list *l)
{
    return l->head.next == &l->head ? NULL : l->head.next;
}

static void s_heap_swap(struct fv_exec *x, size_t a, size_t b)
{
    struct fv_exec_job *t = x->delayed[a];
    x->delayed[a] = x->delayed[b];
    x->delayed[b] = t;
}

static void s_heap_down(struct fv_exec *x, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < x->n_delayed && x->delayed[l]->wake < x->delayed[m]->wake)
            m = l;
        if (r < x->n_delayed && x->delayed[r]->wake < x->delayed[m]->wake)
            m = r;
        if (m == i)
            return;
        s_heap_swap(x, i, m);
        i = m;
    }
}

static void s_heap_push(struct fv_exec *x, struct fv_exec_job *j)
{
    if (x->n_delayed == x->cap_delayed) {
        x->cap_delayed = x->cap_delayed ? 2 * x->cap_delayed : 64;
        x->delayed = fv_realloc(x->delayed, x->cap_delayed * sizeof(*x->delayed));
    }
    size_t i = x->n_delayed++;
    x->delayed[i] = j;
    while (i > 0 && x->delayed[i]->wake < x->delayed[(i - 1) / 2]->wake) {
        s_heap_swap(x, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static struct fv_exec_job *s_heap_pop(struct fv_exec *x)
{
    struct fv_exec_job *top = x->delayed[0];
    x->delayed[0] = x->delayed[--x->n_delayed];
    s_heap_down(x, 0);
    return top;
}

static void s_heap_rebuild(struct fv_exec *x)
{
    for (size_t i = x->n_delayed / 2; i-- > 0;)
        s_heap_down(x, i);
}

/* ---- small helpers ---- */

static int64_t s_now(const struct fv_exec *x)
{
    return fv_clock_now_ms(x->o.clock);
}

static const char *s_str(const char *s)
{
    return s ? s : "";
}

static void s_job_free(struct fv_exec_job *j)
{
    fv_task_clean_up(&j->task);
    fv_result_clean_up(&j->result);
    if (j->follow_up) {
        fv_task_clean_up(j->follow_up);
        free(j->follow_up);
    }
    free(j);
}

/* The message goes back uncommitted (redelivered to the partition's owner). */
static void s_release(struct fv_exec *x, struct fv_exec_job *j)
{
    x->o.io.release(x->o.io.ud, &j->msg);
    s_job_free(j);
}

static bool s_owned(struct fv_exec *x, const struct fv_exec_job *j)
{
    return x->o.io.owns(x->o.io.ud, &j->msg);
}

static bool s_expired(const struct fv_exec_job *j, int64_t now)
{
    return j->task.deadline_ms > 0 && now > j->task.deadline_ms;
}

static void s_count(struct fv_exec *x, const struct fv_exec_job *j)
{
    struct fv_exec_stats *s = &x->stats;
    struct fv_metrics_fleetvault *m = x->o.metrics;
    const char *kind[] = {s_str(j->task.kind), NULL};
    enum s_outcome out = (enum s_outcome)j->outcome;
    if (out == S_OUT_EXPIRED) {
        s->expired++;
        out = S_OUT_FAILED;
    }
    switch (out) {
    case S_OUT_SUCCEEDED:
        s->succeeded++;
        if (m)
            fv_metric_inc(m->tasks_succeeded, kind);
        break;
    case S_OUT_FAILED:
        s->failed++;
        if (m)
            fv_metric_inc(m->tasks_failed, kind);
        break;
    case S_OUT_SKIPPED: s->skipped++; break;
    case S_OUT_RETRY:
        s->retried++;
        if (m)
            fv_metric_inc(m->tasks_retried, kind);
        break;
    case S_OUT_FOLLOWUP: s->followups++; break;
    case S_OUT_DLQ: s->dlq++; break;
    case S_OUT_DEFERRED: s->deferred++; break;
    case S_OUT_EXPIRED:
    case S_OUT_NONE: break;
    }
}

/* ---- publishing: a job's outputs and their acknowledgements ---- */

/* Enters the publishing list with one guard count, so that reports served
 * while its outputs are still being queued cannot finish it early. */
static void s_publish_begin(struct fv_exec *x, struct fv_exec_job *j, enum s_outcome outcome)
{
    j->state = S_PUBLISHING;
    j->outcome = outcome;
    j->left = 1;
    s_list_push(&x->publishing, j);
}

/* Every output acknowledged (done) or one failed (released). */
static void s_settle(struct fv_exec *x, struct fv_exec_job *j)
{
    s_list_remove(&x->publishing, j);
    if (j->undelivered) {
        x->stats.undelivered++;
        FV_LOG(FV_LOG_ERROR, "worker",
               "run %s task %s: not committed: an output was not delivered (partition %d "
               "offset %lld is redelivered)",
               s_str(j->task.run_id), s_str(j->task.task_id), (int)j->msg.partition,
               (long long)j->msg.offset);
        s_release(x, j);
        return;
    }
    s_count(x, j);
    x->o.io.done(x->o.io.ud, &j->msg);
    s_job_free(j);
}

static void s_publish_end(struct fv_exec *x, struct fv_exec_job *j)
{
    if (--j->left == 0)
        s_settle(x, j);
}

static void s_produce(struct fv_exec *x, struct fv_exec_job *j, enum fv_topic t, struct fv_cur key,
                      struct fv_cur value)
{
    if (j->undelivered)
        return; /* an earlier output failed: the message is redelivered anyway */
    struct fv_error err;
    j->left++;
    if (x->o.io.produce(x->o.io.ud, t, key, value, j->id, &err) != FV_OK) {
        FV_LOG(FV_LOG_ERROR, "worker", "run %s task %s: publishing failed: %s",
               s_str(j->task.run_id), s_str(j->task.task_id), err.message);
        j->undelivered = true;
        j->left--;
    }
}

static void s_produce_task(struct fv_exec *x, struct fv_exec_job *j, const struct fv_task *t)
{
    struct fv_buf key = {0}, val = {0};
    fv_task_key(t, &key);
    fv_task_seal(x->o.keys, t, &val);
    s_produce(x, j, FV_TOPIC_TASKS, (struct fv_cur){key.ptr, key.len},
              (struct fv_cur){val.ptr, val.len});
    fv_buf_clean_up(&key);
    fv_buf_clean_up(&val);
}

static void s_produce_result(struct fv_exec *x, struct fv_exec_job *j)
{
    struct fv_buf val = {0};
    fv_result_encode(&j->result, &val);
    s_produce(x, j, FV_TOPIC_RESULTS, FV_CUR_STR(s_str(j->result.run_id)),
              (struct fv_cur){val.ptr, val.len});
    fv_buf_clean_up(&val);
}

/* The DLQ gets a JSON envelope: why, where from, and the original bytes. */
static void s_produce_dlq(struct fv_exec *x, struct fv_exec_job *j, const char *reason)
{
    const struct fv_message *m = &j->msg;
    struct json_object *env = json_object_new_object();
    json_object_object_add(env, "reason", json_object_new_string(reason));
    json_object_object_add(env, "worker", json_object_new_string(s_str(x->o.worker_name)));
    json_object_object_add(env, "partition", json_object_new_int(m->partition));
    json_object_object_add(env, "offset", json_object_new_int64(m->offset));
    json_object_object_add(env, "time_ms", json_object_new_int64(s_now(x)));
    json_object_object_add(
        env, "key", json_object_new_string_len(m->key.ptr ? m->key.ptr : "", (int)m->key.len));
    size_t b64_len = 4 * ((m->value.len + 2) / 3) + 1;
    unsigned char *b64 = fv_malloc(b64_len);
    EVP_EncodeBlock(b64, (const unsigned char *)m->value.ptr, (int)m->value.len);
    json_object_object_add(env, "value_base64", json_object_new_string((const char *)b64));
    free(b64);
    s_produce(x, j, FV_TOPIC_DLQ, m->key,
              FV_CUR_STR(json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN)));
    json_object_put(env);
    FV_LOG(FV_LOG_WARN, "worker", "to DLQ (partition %d offset %lld): %s", m->partition,
           (long long)m->offset, reason);
}

/* Backoff for re-published tasks: 2^attempt seconds, capped at 5 minutes,
 * with jitter so a burst of failures spreads out. */
static int64_t s_backoff_ms(struct fv_exec *x, uint32_t attempt)
{
    int64_t base = 1000LL << (attempt < 9 ? attempt : 9);
    if (base > 300000)
        base = 300000;
    return base / 2 + (int64_t)(x->o.rand->next(x->o.rand->ud) * (double)(base / 2));
}

/* A task past its deadline: a FAILED result instead of a run. */
static void s_expire(struct fv_exec *x, struct fv_exec_job *j, int64_t now)
{
    fv_result_clean_up(&j->result);
    fv_result_for_task(&j->result, &j->task);
    j->result.status = FV_RESULT_FAILED;
    j->result.error_code = fv_strdup("DeadlineExceeded");
    struct fv_buf msg = {0};
    fv_buf_printf(&msg, "not run: its deadline passed %lld ms before it could start",
                  (long long)(now - j->task.deadline_ms));
    j->result.error_message = fv_buf_detach(&msg);
    j->result.worker = fv_strdup(s_str(x->o.worker_name));
    j->result.started_ms = j->result.finished_ms = now;
    FV_LOG(FV_LOG_WARN, "worker", "run %s task %s %s %s: %s", j->task.run_id, j->task.task_id,
           j->task.kind, s_str(j->task.resource), j->result.error_message);
    s_publish_begin(x, j, S_OUT_EXPIRED);
    s_produce_result(x, j);
    s_publish_end(x, j);
}

/* Not due within the horizon: the original bytes go back to the tasks topic
 * (original key: same partition), and this delivery is done once they are
 * acknowledged. */
static void s_defer(struct fv_exec *x, struct fv_exec_job *j, int64_t now)
{
    FV_LOG(FV_LOG_DEBUG, "worker", "run %s task %s %s: due in %lld s: re-published", j->task.run_id,
           j->task.task_id, j->task.kind, (long long)((j->task.not_before_ms - now) / 1000));
    s_publish_begin(x, j, S_OUT_DEFERRED);
    s_produce(x, j, FV_TOPIC_TASKS, j->msg.key, j->msg.value);
    s_publish_end(x, j);
}

/* A finished run's outputs: a follow-up, a retry, or a final result (and the
 * DLQ when the attempts are exhausted). */
static void s_publish_run(struct fv_exec *x, struct fv_exec_job *j)
{
    const struct fv_task *t = &j->task;
    struct fv_result *r = &j->result;
    if (j->follow_up) {
        s_publish_begin(x, j, S_OUT_FOLLOWUP);
        FV_LOG(FV_LOG_DEBUG, "worker", "run %s task %s %s %s: follow-up step %s", t->run_id,
               t->task_id, t->kind, s_str(t->resource), s_str(j->follow_up->step));
        s_produce_task(x, j, j->follow_up);
    } else if (r->status == FV_RESULT_RETRYING && t->attempt < (uint32_t)x->o.max_attempts) {
        s_publish_begin(x, j, S_OUT_RETRY);
        struct fv_task again;
        fv_task_copy(&again, t);
        again.attempt = t->attempt + 1;
        again.not_before_ms = s_now(x) + s_backoff_ms(x, t->attempt);
        s_produce_task(x, j, &again);
        fv_task_clean_up(&again);
        s_produce_result(x, j);
        FV_LOG(FV_LOG_INFO, "worker", "run %s task %s %s %s: attempt %u failed, retrying: %s",
               t->run_id, t->task_id, t->kind, s_str(t->resource), t->attempt,
               s_str(r->error_message));
    } else {
        enum s_outcome out = r->status == FV_RESULT_SKIPPED     ? S_OUT_SKIPPED
                             : r->status == FV_RESULT_SUCCEEDED ? S_OUT_SUCCEEDED
                                                                : S_OUT_FAILED;
        s_publish_begin(x, j, out);
        if (r->status == FV_RESULT_RETRYING) {
            /* Exhausted: a final failure, and the task to the DLQ for a human. */
            r->status = FV_RESULT_FAILED;
            struct fv_buf reason = {0};
            fv_buf_printf(&reason, "exhausted after %u attempts: %s", t->attempt,
                          s_str(r->error_message));
            s_produce_dlq(x, j, reason.ptr);
            fv_buf_clean_up(&reason);
        }
        s_produce_result(x, j);
        FV_LOG(r->status == FV_RESULT_FAILED ? FV_LOG_WARN : FV_LOG_INFO, "worker",
               "run %s task %s %s %s/%s/%s: %s%s%s", t->run_id, t->task_id, t->kind,
               s_str(t->account), s_str(t->region), s_str(t->resource),
               fv_result_status_str(r->status), r->error_message ? ": " : "",
               s_str(r->error_message));
    }
    s_publish_end(x, j);
}

void fv_exec_delivered(struct fv_exec *x, uint64_t id, const struct fv_error *err)
{
    /* Linear: the list is bounded by max_publishing (a hold stops intake). */
    struct fv_exec_job *j = s_list_first(&x->publishing);
    while (j && j->id != id)
        j = j->next != &x->publishing.head ? j->next : NULL;
    if (!j)
        return;
    if (err) {
        FV_LOG(FV_LOG_ERROR, "worker", "run %s task %s: an output was not delivered: %s",
               s_str(j->task.run_id), s_str(j->task.task_id), err->message);
        j->undelivered = true;
    }
    s_publish_end(x, j);
}

/* ---- intake, delays, starts ---- */

/* One polled message: the DLQ, a deadline failure, the delayed set, or the
 * queue. */
static void s_accept(struct fv_exec *x, const struct fv_message *m)
{
    struct fv_exec_job *j = fv_calloc(1, sizeof(*j));
    j->msg = *m;
    j->id = ++x->next_id;
    x->stats.consumed++;
    if (x->stopping) {
        s_release(x, j);
        return;
    }
    struct fv_buf reason = {0};
    if (!x->o.admit(x->o.admit_ud, m, &j->task, &reason)) {
        fv_task_clean_up(&j->task);
        memset(&j->task, 0, sizeof(j->task));
        s_publish_begin(x, j, S_OUT_DLQ);
        s_produce_dlq(x, j, reason.len ? reason.ptr : "rejected");
        s_publish_end(x, j);
        fv_buf_clean_up(&reason);
        return;
    }
    fv_buf_clean_up(&reason);
    if (x->o.metrics)
        fv_metric_inc(x->o.metrics->tasks_consumed, (const char *[]){j->task.kind, NULL});
    int64_t now = s_now(x);
    if (s_expired(j, now)) {
        s_expire(x, j, now);
    } else if (j->task.not_before_ms > now) {
        int64_t horizon = now + x->o.horizon_ms;
        j->wake = j->task.not_before_ms < horizon ? j->task.not_before_ms : horizon;
        j->state = S_DELAYED;
        s_heap_push(x, j);
    } else {
        j->state = S_QUEUED;
        s_list_push(&x->queued, j);
    }
}

static void s_drop(struct fv_exec *x, struct fv_exec_job *j, const char *where)
{
    FV_LOG(FV_LOG_INFO, "worker",
           "run %s task %s (%s): partition %d is no longer ours: dropped, its owner runs it",
           s_str(j->task.run_id), s_str(j->task.task_id), where, (int)j->msg.partition);
    x->stats.dropped++;
    s_release(x, j);
}

/* After an assignment change: queued and delayed jobs of partitions no longer
 * owned go (their new owner runs them). */
static void s_sweep(struct fv_exec *x)
{
    uint64_t epoch = x->o.io.epoch(x->o.io.ud);
    if (epoch == x->epoch)
        return;
    x->epoch = epoch;
    struct fv_exec_job *j = s_list_first(&x->queued);
    while (j) {
        struct fv_exec_job *next = j->next != &x->queued.head ? j->next : NULL;
        if (!s_owned(x, j)) {
            s_list_remove(&x->queued, j);
            s_drop(x, j, "queued");
        }
        j = next;
    }
    size_t kept = 0;
    for (size_t i = 0; i < x->n_delayed; i++) {
        if (s_owned(x, x->delayed[i]))
            x->delayed[kept++] = x->delayed[i];
        else
            s_drop(x, x->delayed[i], "delayed");
    }
    if (kept != x->n_delayed) {
        x->n_delayed = kept;
        s_heap_rebuild(x);
    }
}

/* Delayed jobs whose time has come: due → the queue; still not due (the
 * horizon) → re-published. */
static void s_wake(struct fv_exec *x, int64_t now)
{
    while (x->n_delayed > 0 && x->delayed[0]->wake <= now) {
        struct fv_exec_job *j = s_heap_pop(x);
        if (!s_owned(x, j))
            s_drop(x, j, "delayed");
        else if (j->task.not_before_ms > now)
            s_defer(x, j, now);
        else {
            j->state = S_QUEUED;
            s_list_push(&x->queued, j);
        }
    }
}

/* Another delivery of the same task is running here (a redelivery, or a
 * resumed run publishing it again, lands on the same partition and so on this
 * worker): it waits for that one to finish, then finds its work done through
 * the task's claim, instead of racing it to a second backup or upload. */
static bool s_twin_running(const struct fv_exec *x, const struct fv_exec_job *j)
{
    for (size_t i = 0; i < x->running; i++)
        if (strcmp(s_str(x->active[i]->task.task_id), s_str(j->task.task_id)) == 0)
            return true;
    return false;
}

static void s_active_remove(struct fv_exec *x, const struct fv_exec_job *j)
{
    for (size_t i = 0; i < x->running; i++)
        if (x->active[i] == j) {
            x->active[i] = x->active[--x->running];
            return;
        }
}

/* Starts queued jobs while pool slots are free, in order, but never next to
 * a running twin. Ownership and the deadline are checked here, just before
 * the run. */
static void s_start(struct fv_exec *x)
{
    struct fv_exec_job *j = s_list_first(&x->queued);
    while (x->running < (size_t)x->o.concurrency && j) {
        struct fv_exec_job *next = j->next != &x->queued.head ? j->next : NULL;
        if (s_twin_running(x, j)) {
            j = next;
            continue;
        }
        s_list_remove(&x->queued, j);
        int64_t now = s_now(x);
        if (!s_owned(x, j)) {
            s_drop(x, j, "queued");
            j = next;
            continue;
        }
        if (s_expired(j, now)) {
            s_expire(x, j, now);
            j = next;
            continue;
        }
        fv_result_clean_up(&j->result);
        fv_result_for_task(&j->result, &j->task);
        j->result.status = FV_RESULT_SUCCEEDED;
        j->result.worker = fv_strdup(s_str(x->o.worker_name));
        j->result.started_ms = now;
        j->state = S_RUNNING;
        x->active[x->running++] = j;
        x->o.io.run(x->o.io.ud, j);
        j = next;
    }
}

/* Backpressure: pause the partitions when there is no room, resume when
 * there is. */
static void s_hold(struct fv_exec *x)
{
    size_t c = (size_t)x->o.concurrency, in_hand = x->running + x->queued.n;
    bool want = x->stopping || in_hand >= 2 * c || (x->held && in_hand > c) ||
                x->n_delayed >= x->o.max_delayed || x->publishing.n >= x->o.max_publishing;
    if (want == x->held)
        return;
    x->held = want;
    x->o.io.hold(x->o.io.ud, want);
}

static void s_turn(struct fv_exec *x)
{
    s_sweep(x);
    s_wake(x, s_now(x));
    s_start(x);
    s_hold(x);
}

int fv_exec_step(struct fv_exec *x, int max_wait_ms, struct fv_error *err)
{
    s_turn(x);
    int64_t wait = max_wait_ms;
    if ((x->running > 0 || x->publishing.n > 0) && wait > S_BUSY_POLL_MS)
        wait = S_BUSY_POLL_MS;
    if (x->n_delayed > 0) {
        int64_t until = x->delayed[0]->wake - s_now(x);
        if (until < wait)
            wait = until > 0 ? until : 0;
    }
    struct fv_message m;
    int rc = x->o.io.poll(x->o.io.ud, (int)wait, &m, err);
    if (rc == 1)
        s_accept(x, &m);
    s_turn(x);
    x->o.io.serve_reports(x->o.io.ud, 0);
    return rc;
}

void fv_exec_finished(struct fv_exec *x, struct fv_exec_job *j)
{
    s_active_remove(x, j);
    if (x->closed) {
        s_release(x, j);
        return;
    }
    j->result.finished_ms = s_now(x);
    if (!s_owned(x, j)) {
        /* Revoked while it ran: the new owner runs it again; publishing
         * here too would start a second follow-up chain. */
        s_drop(x, j, "finished");
        return;
    }
    s_publish_run(x, j);
    s_start(x);
    s_hold(x);
}

/* ---- lifecycle ---- */

struct fv_exec *fv_exec_new(const struct fv_exec_options *o)
{
    struct fv_exec *x = fv_calloc(1, sizeof(*x));
    x->o = *o;
    if (!x->o.clock)
        x->o.clock = fv_clock_system();
    if (!x->o.rand)
        x->o.rand = fv_rand_system();
    if (x->o.concurrency < 1)
        x->o.concurrency = 1;
    if (x->o.max_attempts < 1)
        x->o.max_attempts = 5;
    size_t c = (size_t)x->o.concurrency;
    if (x->o.max_delayed == 0)
        x->o.max_delayed = 16 * c > 64 ? 16 * c : 64;
    if (x->o.max_publishing == 0)
        x->o.max_publishing = 4 * c > 64 ? 4 * c : 64;
    if (x->o.horizon_ms <= 0)
        x->o.horizon_ms = FV_EXEC_HORIZON_MS;
    x->active = fv_calloc(c, sizeof(*x->active));
    s_list_init(&x->queued);
    s_list_init(&x->publishing);
    x->epoch = x->o.io.epoch(x->o.io.ud);
    return x;
}

void fv_exec_stop(struct fv_exec *x)
{
    if (x->stopping)
        return;
    x->stopping = true;
    s_hold(x);
    struct fv_exec_job *j;
    while ((j = s_list_first(&x->queued)) != NULL) {
        s_list_remove(&x->queued, j);
        s_release(x, j);
    }
    while (x->n_delayed > 0)
        s_release(x, s_heap_pop(x));
}

bool fv_exec_idle(const struct fv_exec *x)
{
    return x->running == 0 && x->publishing.n == 0;
}

fv_status fv_exec_close(struct fv_exec *x, struct fv_error *err)
{
    fv_exec_stop(x);
    x->closed = true;
    struct fv_exec_job *j;
    while ((j = s_list_first(&x->publishing)) != NULL) {
        s_list_remove(&x->publishing, j);
        x->stats.undelivered++;
        s_release(x, j);
    }
    return x->o.io.commit(x->o.io.ud, err);
}

void fv_exec_stats(const struct fv_exec *x, struct fv_exec_stats *out)
{
    *out = x->stats;
    out->running = x->running;
    out->queued = x->queued.n;
    out->delayed = x->n_delayed;
    out->publishing = x->publishing.n;
    out->held = x->held;
}

void fv_exec_destroy(struct fv_exec *x)
{
    if (!x)
        return;
    fv_exec_stop(x);
    struct fv_exec_job *j;
    while ((j = s_list_first(&x->publishing)) != NULL) {
        s_list_remove(&x->publishing, j);
        s_release(x, j);
    }
    free(x->delayed);
    free(x->active);
    free(x);
}

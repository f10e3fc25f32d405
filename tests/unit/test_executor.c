/* The worker's executor (worker/executor.c) against a fake Kafka seam, a fake
 * pool and a fake clock: what is committed, when, and what runs. Every test
 * drives the state machine step by step; nothing waits on the wall clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "executor.h"
#include "handler.h"

#include <fv/task.h>

#include <stdlib.h>
#include <string.h>

#define T0 1800000000000LL /* the fake wall clock's start, ms */
#define MAXN 32

/* ---- the fakes ---- */

struct s_out {
    enum fv_topic topic;
    struct fv_buf key, value;
    uint64_t id;
};

struct s_fake {
    int64_t now;
    /* consumer: messages polled in order, ownership per partition */
    struct fv_buf bytes[MAXN], keys[MAXN];
    struct fv_message inbox[MAXN];
    size_t n_in, next_in;
    bool owned[4];
    uint64_t gen[4], epoch;
    int polls;
    int64_t done[MAXN], released[MAXN]; /* offsets */
    size_t n_done, n_released;
    bool held;
    int hold_changes;
    int commits;
    size_t done_at_commit;
    /* producer */
    struct s_out out[MAXN];
    size_t n_out;
    bool fail_produce; /* synchronous refusal */
    /* pool */
    struct fv_exec_job *running[MAXN];
    size_t n_running, runs;
    struct fv_exec *x;
};

static int64_t s_clock_now(void *ud)
{
    return ((struct s_fake *)ud)->now;
}

static void s_clock_sleep(void *ud, int64_t ms)
{
    ((struct s_fake *)ud)->now += ms;
}

static double s_half(void *ud)
{
    return 0.5;
}

static int s_poll(void *ud, int timeout_ms, struct fv_message *m, struct fv_error *err)
{
    struct s_fake *f = ud;
    f->polls++;
    while (f->next_in < f->n_in) {
        *m = f->inbox[f->next_in++];
        if (f->owned[m->partition]) /* a revoked partition's backlog is not fetched */
            return 1;
    }
    return 0;
}

static bool s_owns(void *ud, const struct fv_message *m)
{
    struct s_fake *f = ud;
    return f->owned[m->partition] && f->gen[m->partition] == (uint64_t)(uintptr_t)m->opaque;
}

static uint64_t s_epoch(void *ud)
{
    return ((struct s_fake *)ud)->epoch;
}

static void s_done(void *ud, struct fv_message *m)
{
    struct s_fake *f = ud;
    f->done[f->n_done++] = m->offset;
    memset(m, 0, sizeof(*m));
}

static void s_release(void *ud, struct fv_message *m)
{
    struct s_fake *f = ud;
    f->released[f->n_released++] = m->offset;
    memset(m, 0, sizeof(*m));
}

static void s_hold(void *ud, bool hold)
{
    struct s_fake *f = ud;
    assert_true(f->held != hold); /* only changes are signalled */
    f->held = hold;
    f->hold_changes++;
}

static fv_status s_produce(void *ud, enum fv_topic t, struct fv_cur key, struct fv_cur value,
                           uint64_t id, struct fv_error *err)
{
    struct s_fake *f = ud;
    if (f->fail_produce)
        return fv_error_set(err, FV_E_NET, "queue refused");
    struct s_out *o = &f->out[f->n_out++];
    memset(o, 0, sizeof(*o));
    o->topic = t;
    fv_buf_append(&o->key, key.ptr, key.len);
    fv_buf_append(&o->value, value.ptr, value.len);
    o->id = id;
    return FV_OK;
}

static void s_serve(void *ud, int timeout_ms) {}

static fv_status s_commit(void *ud, struct fv_error *err)
{
    struct s_fake *f = ud;
    f->commits++;
    f->done_at_commit = f->n_done;
    return FV_OK;
}

static void s_run(void *ud, struct fv_exec_job *job)
{
    struct s_fake *f = ud;
    f->running[f->n_running++] = job;
    f->runs++;
}

/* Tasks travel sealed, as in production (the worker's admit also validates
 * and authorizes against its configuration: tests/unit/test_contract.c). */
static struct fv_task_keys *s_keys;

static bool s_admit(void *ud, const struct fv_message *m, struct fv_task *out,
                    struct fv_buf *reason)
{
    struct fv_error err;
    if (fv_task_open(s_keys, m->value, out, &err) != FV_OK) {
        fv_buf_append_str(reason, err.message);
        return false;
    }
    if (strcmp(out->kind, "test.kind") != 0) {
        fv_buf_printf(reason, "unknown task kind '%s'", out->kind);
        return false;
    }
    return true;
}

static struct fv_clock s_clock;
static struct fv_rand s_rand = {s_half, NULL};

static struct s_fake *s_fake_new(int concurrency, size_t max_delayed)
{
    struct s_fake *f = calloc(1, sizeof(*f));
    f->now = T0;
    for (int p = 0; p < 4; p++) {
        f->owned[p] = true;
        f->gen[p] = 1;
    }
    s_clock = (struct fv_clock){s_clock_now, s_clock_now, s_clock_sleep, f};
    if (!s_keys)
        assert_int_equal(
            fv_task_keys_parse("t1 executor-test-secret-0123456789abcdef", "test", &s_keys, NULL),
            FV_OK);
    struct fv_exec_options o = {
        .io = {.poll = s_poll,
               .done = s_done,
               .release = s_release,
               .owns = s_owns,
               .epoch = s_epoch,
               .hold = s_hold,
               .produce = s_produce,
               .serve_reports = s_serve,
               .commit = s_commit,
               .run = s_run,
               .ud = f},
        .clock = &s_clock,
        .rand = &s_rand,
        .worker_name = "w1",
        .keys = s_keys,
        .concurrency = concurrency,
        .max_attempts = 3,
        .max_delayed = max_delayed,
        .admit = s_admit,
    };
    f->x = fv_exec_new(&o);
    return f;
}

static void s_fake_free(struct s_fake *f)
{
    assert_int_equal(f->n_running, 0); /* every run handed back */
    fv_exec_destroy(f->x);
    for (size_t i = 0; i < f->n_in; i++) {
        fv_buf_clean_up(&f->bytes[i]);
        fv_buf_clean_up(&f->keys[i]);
    }
    for (size_t i = 0; i < f->n_out; i++) {
        fv_buf_clean_up(&f->out[i].key);
        fv_buf_clean_up(&f->out[i].value);
    }
    free(f);
}

/* Queues a raw message for the consumer to deliver (in the partition's
 * current ownership). */
static void s_deliver_raw(struct s_fake *f, int partition, int64_t offset, const char *key,
                          struct fv_cur value)
{
    size_t i = f->n_in++;
    fv_buf_append_str(&f->keys[i], key);
    fv_buf_append(&f->bytes[i], value.ptr, value.len);
    f->inbox[i] = (struct fv_message){
        .topic = FV_TOPIC_TASKS,
        .partition = partition,
        .offset = offset,
        .key = {f->keys[i].ptr, f->keys[i].len},
        .value = {f->bytes[i].ptr, f->bytes[i].len},
        .opaque = (void *)(uintptr_t)f->gen[partition],
    };
}

/* A task of kind test.kind for resource r, due at not_before (0: now). */
static void s_deliver(struct s_fake *f, int partition, int64_t offset, const char *r,
                      int64_t not_before, int64_t deadline)
{
    char id[64];
    snprintf(id, sizeof(id), "id-of-%s", r); /* one task per resource, as planned */
    struct fv_task t = {.task_id = id,
                        .run_id = "run1",
                        .job = "job",
                        .kind = "test.kind",
                        .account = "111111111111",
                        .region = "eu-west-1",
                        .resource = (char *)r,
                        .step = "one",
                        .attempt = 1,
                        .not_before_ms = not_before,
                        .deadline_ms = deadline};
    struct fv_buf key = {0}, val = {0};
    fv_task_key(&t, &key);
    fv_task_seal(s_keys, &t, &val);
    s_deliver_raw(f, partition, offset, key.ptr, (struct fv_cur){val.ptr, val.len});
    fv_buf_clean_up(&key);
    fv_buf_clean_up(&val);
}

static void s_steps(struct s_fake *f, int n)
{
    for (int i = 0; i < n; i++)
        assert_true(fv_exec_step(f->x, 100, NULL) >= 0);
}

/* The pool hands back the running job for resource r with status st. */
static void s_finish(struct s_fake *f, const char *r, enum fv_result_status st)
{
    for (size_t i = 0; i < f->n_running; i++) {
        struct fv_exec_job *j = f->running[i];
        if (strcmp(j->task.resource, r) != 0)
            continue;
        j->result.status = st;
        if (st == FV_RESULT_RETRYING || st == FV_RESULT_FAILED) {
            j->result.error_code = strdup("Boom");
            j->result.error_message = strdup("it broke");
        }
        f->running[i] = f->running[--f->n_running];
        fv_exec_finished(f->x, j);
        return;
    }
    fail_msg("%s is not running", r);
}

static bool s_in(const int64_t *a, size_t n, int64_t off)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] == off)
            return true;
    return false;
}

static struct fv_error s_broker_error(void)
{
    struct fv_error e = {0};
    fv_error_set(&e, FV_E_NET, "topic fleetvault.results: Local: Message timed out");
    return e;
}

/* ---- the tests ---- */

/* Two tasks on two partitions: neither is committed before its result is
 * acknowledged; the one whose result fails is released (redelivered), the
 * other is committed — the failure is charged to its owner only. */
static void test_delivery_failure_is_charged_to_its_owner(void **state)
{
    struct s_fake *f = s_fake_new(2, 0);
    s_deliver(f, 0, 10, "a", 0, 0);
    s_deliver(f, 1, 20, "b", 0, 0);
    s_steps(f, 3);
    assert_int_equal(f->runs, 2);
    s_finish(f, "a", FV_RESULT_SUCCEEDED);
    s_finish(f, "b", FV_RESULT_SUCCEEDED);
    assert_int_equal(f->n_out, 2);
    assert_int_equal(f->out[0].topic, FV_TOPIC_RESULTS);
    assert_true(f->out[0].id != f->out[1].id);
    assert_int_equal(f->n_done, 0); /* published is not acknowledged */

    struct fv_error e = s_broker_error();
    fv_exec_delivered(f->x, f->out[0].id, &e); /* a's result is lost */
    fv_exec_delivered(f->x, f->out[1].id, NULL);
    assert_int_equal(f->n_done, 1);
    assert_int_equal(f->done[0], 20);
    assert_int_equal(f->n_released, 1);
    assert_int_equal(f->released[0], 10);
    struct fv_exec_stats s;
    fv_exec_stats(f->x, &s);
    assert_int_equal(s.undelivered, 1);
    assert_int_equal(s.succeeded, 1);
    fv_exec_delivered(f->x, f->out[0].id, NULL); /* a late report changes nothing */
    assert_int_equal(f->n_done, 1);
    s_fake_free(f);
}

/* A retry has two outputs (the next attempt and a RETRYING result): the
 * task is committed only when both are acknowledged, even when a report
 * arrives while the second is still being queued. */
static void test_all_outputs_must_be_acknowledged(void **state)
{
    struct s_fake *f = s_fake_new(1, 0);
    s_deliver(f, 0, 5, "a", 0, 0);
    s_steps(f, 2);
    s_finish(f, "a", FV_RESULT_RETRYING);
    assert_int_equal(f->n_out, 2);
    assert_int_equal(f->out[0].topic, FV_TOPIC_TASKS);
    assert_int_equal(f->out[1].topic, FV_TOPIC_RESULTS);
    assert_int_equal(f->out[0].id, f->out[1].id); /* one owner */
    struct fv_task again;
    assert_int_equal(fv_task_open(s_keys, (struct fv_cur){f->out[0].value.ptr, f->out[0].value.len},
                                  &again, NULL),
                     FV_OK);
    assert_int_equal(again.attempt, 2);
    /* 2^1 s backoff, half of it jittered by 0.5: 1.5 s from the fake now */
    assert_int_equal(again.not_before_ms, T0 + 1500);
    fv_task_clean_up(&again);
    fv_exec_delivered(f->x, f->out[0].id, NULL);
    assert_int_equal(f->n_done, 0);
    fv_exec_delivered(f->x, f->out[1].id, NULL);
    assert_int_equal(f->n_done, 1);
    assert_int_equal(f->done[0], 5);
    s_fake_free(f);
}

/* A follow-up scheduled by a handler is due by the worker's clock. */
static void test_follow_up_uses_the_context_clock(void **state)
{
    struct s_fake *f = s_fake_new(1, 0);
    struct fv_task t = {.task_id = "t", .run_id = "r", .kind = "test.kind", .step = "one"};
    struct fv_result res = {0};
    struct fv_handler_ctx ctx = {.task = &t, .result = &res, .clock = &s_clock};
    struct fv_task *next = fv_handler_follow_up(&ctx, "wait", 2500);
    assert_int_equal(next->not_before_ms, T0 + 2500);
    assert_string_equal(next->step, "wait");
    fv_task_clean_up(ctx.follow_up);
    free(ctx.follow_up);
    s_fake_free(f);
}

/* A task waiting for its not_before when its partition is revoked is dropped
 * (released, not done) and never runs here; when the partition comes back
 * the redelivered message runs once. */
static void test_revoke_during_delay_runs_nothing_twice(void **state)
{
    struct s_fake *f = s_fake_new(2, 0);
    s_deliver(f, 0, 7, "a", T0 + 5000, 0);
    s_steps(f, 2);
    assert_int_equal(f->runs, 0);
    f->owned[0] = false; /* revoked */
    f->epoch++;
    s_steps(f, 1);
    assert_int_equal(f->n_released, 1);
    assert_int_equal(f->released[0], 7);
    f->now += 10000;
    s_steps(f, 3);
    assert_int_equal(f->runs, 0);

    f->owned[0] = true; /* assigned again: the message comes back */
    f->gen[0]++;
    f->epoch++;
    s_deliver(f, 0, 7, "a", T0 + 5000, 0);
    s_steps(f, 2);
    assert_int_equal(f->runs, 1);
    s_finish(f, "a", FV_RESULT_SUCCEEDED);
    fv_exec_delivered(f->x, f->out[0].id, NULL);
    assert_int_equal(f->n_done, 1);
    assert_int_equal(f->runs, 1);
    s_fake_free(f);
}

/* A queued job of a partition revoked while it waited for a pool slot does
 * not start; a job revoked while running publishes nothing. */
static void test_ownership_is_checked_before_a_run_and_after(void **state)
{
    struct s_fake *f = s_fake_new(1, 0);
    s_deliver(f, 0, 1, "a", 0, 0);
    s_deliver(f, 1, 2, "b", 0, 0);
    s_steps(f, 3);
    assert_int_equal(f->runs, 1); /* a runs, b waits */
    f->owned[1] = false;          /* b's partition goes (epoch unchanged: no sweep yet) */
    s_finish(f, "a", FV_RESULT_SUCCEEDED);
    assert_int_equal(f->runs, 1); /* b was not started */
    assert_true(s_in(f->released, f->n_released, 2));

    s_deliver(f, 0, 3, "c", 0, 0);
    s_steps(f, 2);
    assert_int_equal(f->runs, 2);
    f->owned[0] = false;
    f->epoch++;
    size_t outs = f->n_out;
    s_finish(f, "c", FV_RESULT_SUCCEEDED);
    assert_int_equal(f->n_out, outs); /* no result, no follow-up from the old owner */
    assert_true(s_in(f->released, f->n_released, 3));
    assert_false(s_in(f->done, f->n_done, 3));
    s_fake_free(f);
}

/* With the pool full the loop keeps polling (the rebalance is served), the
 * partitions are held, and a revocation served while full releases the queued
 * work and lets the partitions fetch again. */
static void test_full_pool_still_serves_a_rebalance(void **state)
{
    struct s_fake *f = s_fake_new(1, 0);
    s_deliver(f, 0, 1, "a", 0, 0);
    s_deliver(f, 1, 2, "b", 0, 0);
    s_steps(f, 3);
    assert_int_equal(f->runs, 1);
    assert_true(f->held); /* 1 running + 1 queued = 2 × concurrency */
    int polls = f->polls;
    s_steps(f, 5);
    assert_int_equal(f->polls, polls + 5); /* every step polls */

    f->owned[1] = false; /* the rebalance, served by a poll */
    f->epoch++;
    s_steps(f, 1);
    assert_true(s_in(f->released, f->n_released, 2));
    assert_false(f->held); /* room again */
    assert_int_equal(f->runs, 1);
    s_finish(f, "a", FV_RESULT_SUCCEEDED);
    fv_exec_delivered(f->x, f->out[0].id, NULL);
    assert_int_equal(f->n_done, 1);
    s_fake_free(f);
}

/* The delayed set is bounded: at max_delayed the partitions are held, and
 * released when a delay ends. */
static void test_full_delayed_set_holds_the_partitions(void **state)
{
    struct s_fake *f = s_fake_new(4, 2);
    s_deliver(f, 0, 1, "a", T0 + 1000, 0);
    s_deliver(f, 0, 2, "b", T0 + 2000, 0);
    s_steps(f, 3);
    assert_true(f->held);
    assert_int_equal(f->runs, 0);
    f->now += 1000;
    s_steps(f, 1);
    assert_int_equal(f->runs, 1);
    assert_false(f->held);
    s_finish(f, "a", FV_RESULT_SUCCEEDED);
    f->now += 1000;
    s_steps(f, 1);
    s_finish(f, "b", FV_RESULT_SUCCEEDED);
    s_fake_free(f);
}

/* Junk goes to the DLQ (envelope with the original bytes) and is committed
 * only once the DLQ write is acknowledged; a DLQ write that fails is never
 * committed. */
static void test_malformed_task_goes_to_the_dlq_committed_after_ack(void **state)
{
    struct s_fake *f = s_fake_new(2, 0);
    s_deliver_raw(f, 0, 3, "k1", FV_CUR_STR("\xff\x01 not a task"));
    s_deliver_raw(f, 1, 4, "k2", FV_CUR_STR("\xff\x02 not a task either"));
    s_steps(f, 3);
    assert_int_equal(f->runs, 0);
    assert_int_equal(f->n_out, 2);
    assert_int_equal(f->out[0].topic, FV_TOPIC_DLQ);
    assert_string_equal(fv_buf_str(&f->out[0].key), "k1");
    assert_non_null(strstr(fv_buf_str(&f->out[0].value), "\"value_base64\""));
    assert_non_null(strstr(fv_buf_str(&f->out[0].value), "\"offset\":3"));
    assert_int_equal(f->n_done, 0);
    fv_exec_delivered(f->x, f->out[0].id, NULL);
    assert_int_equal(f->n_done, 1);
    assert_int_equal(f->done[0], 3);
    struct fv_error e = s_broker_error();
    fv_exec_delivered(f->x, f->out[1].id, &e);
    assert_int_equal(f->n_done, 1);
    assert_true(s_in(f->released, f->n_released, 4));

    /* The producer refusing outright is the same: released. */
    f->fail_produce = true;
    s_deliver_raw(f, 2, 5, "k3", FV_CUR_STR("junk"));
    s_steps(f, 1);
    assert_true(s_in(f->released, f->n_released, 5));
    assert_false(s_in(f->done, f->n_done, 5));
    struct fv_exec_stats s;
    fv_exec_stats(f->x, &s);
    assert_int_equal(s.dlq, 1);
    assert_int_equal(s.undelivered, 2);
    s_fake_free(f);
}

/* Shutdown: queued and delayed work is released, a task finishing within the
 * grace period is published and committed, the commit comes before the
 * straggler is handed back, and the straggler publishes nothing. */
/* Two deliveries of one task (a resumed run published it again) never run at
 * once here: the second waits for the first, which the handler's claim then
 * shows done — instead of two backups racing. Other tasks pass it by. */
static void test_a_task_never_runs_next_to_its_twin(void **state)
{
    (void)state;
    struct s_fake *f = s_fake_new(3, 0);
    s_deliver(f, 0, 1, "a", 0, 0);
    s_deliver(f, 0, 2, "a", 0, 0); /* the same task again */
    s_deliver(f, 0, 3, "b", 0, 0);
    s_steps(f, 4);
    assert_int_equal(f->runs, 2); /* a and b; the second a waits */
    s_finish(f, "a", FV_RESULT_SUCCEEDED);
    s_steps(f, 2);
    assert_int_equal(f->runs, 3); /* now the second a */
    s_finish(f, "a", FV_RESULT_SUCCEEDED);
    s_finish(f, "b", FV_RESULT_SUCCEEDED);
    s_steps(f, 2);
    for (size_t i = 0; i < f->n_out; i++)
        fv_exec_delivered(f->x, f->out[i].id, NULL);
    s_steps(f, 2);
    for (int64_t off = 1; off <= 3; off++)
        assert_true(s_in(f->done, f->n_done, off));
    s_fake_free(f);
}

static void test_shutdown_commits_what_finished(void **state)
{
    struct s_fake *f = s_fake_new(2, 0);
    s_deliver(f, 0, 1, "a", 0, 0);
    s_deliver(f, 1, 2, "b", 0, 0);
    s_deliver(f, 2, 3, "c", 0, 0);
    s_deliver(f, 3, 4, "d", T0 + 60000, 0);
    s_steps(f, 5);
    assert_int_equal(f->runs, 2);
    fv_exec_stop(f->x);
    assert_true(f->held);
    assert_true(s_in(f->released, f->n_released, 3)); /* queued */
    assert_true(s_in(f->released, f->n_released, 4)); /* delayed */
    s_finish(f, "a", FV_RESULT_SUCCEEDED);            /* within the grace period */
    s_steps(f, 1);
    fv_exec_delivered(f->x, f->out[0].id, NULL);
    assert_false(fv_exec_idle(f->x)); /* b still runs */
    assert_int_equal(fv_exec_close(f->x, NULL), FV_OK);
    assert_int_equal(f->commits, 1);
    assert_int_equal(f->done_at_commit, 1);
    assert_int_equal(f->done[0], 1);
    size_t outs = f->n_out;
    s_finish(f, "b", FV_RESULT_SUCCEEDED); /* after the grace period */
    assert_int_equal(f->n_out, outs);
    assert_true(s_in(f->released, f->n_released, 2));
    assert_int_equal(f->runs, 2);
    s_fake_free(f);
}

static void s_assert_deadline_result(const struct s_out *o)
{
    assert_int_equal(o->topic, FV_TOPIC_RESULTS);
    struct fv_result r;
    assert_int_equal(fv_result_decode((struct fv_cur){o->value.ptr, o->value.len}, &r, NULL),
                     FV_OK);
    assert_int_equal(r.status, FV_RESULT_FAILED);
    assert_string_equal(r.error_code, "DeadlineExceeded");
    assert_string_equal(r.run_id, "run1");
    fv_result_clean_up(&r);
}

/* A task past its deadline is not run: a FAILED DeadlineExceeded result,
 * committed once acknowledged. Also when the deadline passes while it waits
 * for its not_before. */
static void test_task_past_its_deadline_is_not_run(void **state)
{
    struct s_fake *f = s_fake_new(2, 0);
    s_deliver(f, 0, 1, "a", 0, T0 - 1);
    s_deliver(f, 1, 2, "b", T0 + 3000, T0 + 2000);
    s_steps(f, 3);
    assert_int_equal(f->runs, 0);
    assert_int_equal(f->n_out, 1);
    s_assert_deadline_result(&f->out[0]);
    fv_exec_delivered(f->x, f->out[0].id, NULL);
    assert_int_equal(f->n_done, 1);
    f->now += 3000;
    s_steps(f, 1);
    assert_int_equal(f->runs, 0);
    assert_int_equal(f->n_out, 2);
    s_assert_deadline_result(&f->out[1]);
    fv_exec_delivered(f->x, f->out[1].id, NULL);
    assert_int_equal(f->n_done, 2);
    struct fv_exec_stats s;
    fv_exec_stats(f->x, &s);
    assert_int_equal(s.expired, 2);
    assert_int_equal(s.failed, 2);
    s_fake_free(f);
}

/* A task due in two hours is held no longer than the horizon: then its
 * original bytes go back to the tasks topic under the original key, and the
 * delivery is committed once that copy is acknowledged. It never runs. */
static void test_far_future_task_is_republished_not_held(void **state)
{
    struct s_fake *f = s_fake_new(2, 0);
    s_deliver(f, 0, 9, "a", T0 + 2 * 3600 * 1000, 0);
    s_steps(f, 2);
    f->now += FV_EXEC_HORIZON_MS - 1;
    s_steps(f, 1);
    assert_int_equal(f->n_out, 0);
    f->now += 1;
    s_steps(f, 1);
    assert_int_equal(f->runs, 0);
    assert_int_equal(f->n_out, 1);
    assert_int_equal(f->out[0].topic, FV_TOPIC_TASKS);
    assert_int_equal(f->out[0].key.len, f->keys[0].len);
    assert_memory_equal(f->out[0].key.ptr, f->keys[0].ptr, f->keys[0].len);
    assert_int_equal(f->out[0].value.len, f->bytes[0].len);
    assert_memory_equal(f->out[0].value.ptr, f->bytes[0].ptr, f->bytes[0].len);
    assert_int_equal(f->n_done, 0);
    fv_exec_delivered(f->x, f->out[0].id, NULL);
    assert_int_equal(f->n_done, 1);
    assert_int_equal(f->done[0], 9);
    struct fv_exec_stats s;
    fv_exec_stats(f->x, &s);
    assert_int_equal(s.deferred, 1);
    assert_int_equal(s.delayed, 0);
    s_fake_free(f);
}

/* Exhausted attempts: a FAILED result and the DLQ, both acknowledged before
 * the commit. */
static void test_exhausted_task_fails_and_reaches_the_dlq(void **state)
{
    struct s_fake *f = s_fake_new(1, 0);
    struct fv_task t = {
        .task_id = "t", .run_id = "run1", .kind = "test.kind", .resource = "a", .attempt = 3};
    struct fv_buf val = {0};
    fv_task_seal(s_keys, &t, &val);
    s_deliver_raw(f, 0, 1, "k", (struct fv_cur){val.ptr, val.len});
    fv_buf_clean_up(&val);
    s_steps(f, 2);
    s_finish(f, "a", FV_RESULT_RETRYING);
    assert_int_equal(f->n_out, 2);
    assert_int_equal(f->out[0].topic, FV_TOPIC_DLQ);
    assert_non_null(strstr(fv_buf_str(&f->out[0].value), "exhausted after 3 attempts"));
    assert_int_equal(f->out[1].topic, FV_TOPIC_RESULTS);
    struct fv_error e = s_broker_error();
    fv_exec_delivered(f->x, f->out[1].id, NULL);
    fv_exec_delivered(f->x, f->out[0].id, &e); /* the DLQ write failed */
    assert_int_equal(f->n_done, 0);
    assert_true(s_in(f->released, f->n_released, 1));
    s_fake_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivery_failure_is_charged_to_its_owner),
        cmocka_unit_test(test_all_outputs_must_be_acknowledged),
        cmocka_unit_test(test_follow_up_uses_the_context_clock),
        cmocka_unit_test(test_revoke_during_delay_runs_nothing_twice),
        cmocka_unit_test(test_ownership_is_checked_before_a_run_and_after),
        cmocka_unit_test(test_full_pool_still_serves_a_rebalance),
        cmocka_unit_test(test_full_delayed_set_holds_the_partitions),
        cmocka_unit_test(test_malformed_task_goes_to_the_dlq_committed_after_ack),
        cmocka_unit_test(test_a_task_never_runs_next_to_its_twin),
        cmocka_unit_test(test_shutdown_commits_what_finished),
        cmocka_unit_test(test_task_past_its_deadline_is_not_run),
        cmocka_unit_test(test_far_future_task_is_republished_not_held),
        cmocka_unit_test(test_exhausted_task_fails_and_reaches_the_dlq),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    fv_task_keys_destroy(s_keys);
    return failed;
}

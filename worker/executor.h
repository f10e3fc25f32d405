/* The worker's executor: every decision about a delivered task, as a state
 * machine over a Kafka seam, an injected clock and injected randomness — what
 * runs when, what waits, when the partitions are paused, what is published
 * for a finished task and when its offset may be committed. No threads and no
 * librdkafka here: worker.c wires the real consumer, producer and thread pool
 * to it; tests/unit/test_executor.c drives it with fakes.
 *
 * The rules:
 * - Commit only what reached the brokers. A message is marked done (its
 *   offset may be committed) only when every output it produced is
 *   acknowledged: its result, follow-up task, retry task, DLQ envelope, or its
 *   re-published copy. Each output carries its job's id to the producer, so a
 *   failed delivery is charged to the job that owns it: that message is
 *   released (never committed; redelivered after a restart or rebalance) and
 *   no other message is affected. A message that fails admission goes to the
 *   DLQ and is done only once the DLQ envelope is acknowledged.
 * - Always poll. Every step polls the consumer (rebalances, heartbeats and
 *   max.poll.interval.ms are served whatever the load). When there is no room
 *   for more work the partitions are held (paused), never the loop: held when
 *   running + queued jobs reach 2 × concurrency (resumed at concurrency or
 *   fewer), when the delayed set reaches max_delayed, or when max_publishing
 *   jobs wait for acknowledgements (a broker outage). The bounds are soft by
 *   the few messages a consumer may hand out before the pause takes effect:
 *   those are taken, never dropped.
 * - Ownership. A job starts only if its partition is still owned in the
 *   ownership it was delivered in (checked just before it starts). When the
 *   assignment changes, queued and delayed jobs of partitions no longer owned
 *   are dropped (not done: the new owner runs them). A job whose partition
 *   was revoked while it ran publishes nothing: the new owner runs it again
 *   (handlers are idempotent) and only its follow-ups continue the chain.
 * - Delays. A task whose not_before is in the future waits in the delayed set
 *   — at most horizon_ms (default FV_EXEC_HORIZON_MS, 60 s). If it is still
 *   not due then, its original bytes are re-published to the tasks topic
 *   with the original key (same partition, the same task) and the message is
 *   done once that copy is acknowledged; the copy comes back and waits again.
 *   So a task due in hours holds its partition's commit point for at most
 *   the horizon, and costs one message per horizon. (Re-publishing at once
 *   instead would circulate the task through the broker as fast as it can be
 *   consumed.)
 * - Deadlines. A task past its deadline_ms (when set) is not run: it gets a
 *   FAILED result with code "DeadlineExceeded", which is done once
 *   acknowledged.
 * - Shutdown. fv_exec_stop: take no more work, release the queued and
 *   delayed jobs; running jobs finish and publish. fv_exec_close: commit what
 *   is done; anything handed back later is dropped, not published.
 *
 * Threads: every function is called from one thread (the worker's loop);
 * only the job's task/result/follow_up are touched by a pool thread, between
 * io.run and fv_exec_finished. */
#ifndef FV_WORKER_EXECUTOR_H
#define FV_WORKER_EXECUTOR_H

#include <fv/clock.h>
#include <fv/kafka.h>
#include <fv/metrics.h>
#include <fv/seal.h>
#include <fv/task.h>

#define FV_EXEC_HORIZON_MS 60000

/* One delivered message on its way through the executor. */
struct fv_exec_job {
    /* For the runner, between io.run and fv_exec_finished: the task
     * (read-only), the result to fill in (identity copied, status SUCCEEDED,
     * started_ms set), and an optional follow-up (owned by the job). */
    struct fv_task task;
    struct fv_result result;
    struct fv_task *follow_up;
    /* The executor's own. */
    struct fv_message msg;
    uint64_t id;   /* travels with every output to the producer */
    int state;     /* enum s_state in executor.c */
    int outcome;   /* enum s_outcome: counted when done */
    int64_t wake;  /* delayed: when to look again */
    unsigned left; /* outputs not yet acknowledged */
    bool undelivered;
    /* The executor's lists; the runner's own while the job runs. */
    struct fv_exec_job *prev, *next;
};

/* The seam: Kafka and the pool. ud is passed to every call. */
struct fv_exec_io {
    /* The next task message: 1 with *m filled, 0 on timeout, <0 fatal. */
    int (*poll)(void *ud, int timeout_ms, struct fv_message *m, struct fv_error *err);
    void (*done)(void *ud, struct fv_message *m);    /* may be committed */
    void (*release)(void *ud, struct fv_message *m); /* never committed */
    /* m's partition still owned in the ownership m was delivered in. */
    bool (*owns)(void *ud, const struct fv_message *m);
    /* Changes whenever the assignment changes. */
    uint64_t (*epoch)(void *ud);
    /* Pause (true) or resume (false) fetching of the whole assignment,
     * partitions assigned later included. */
    void (*hold)(void *ud, bool hold);
    /* Queues one output; its fate comes back as fv_exec_delivered(id). */
    fv_status (*produce)(void *ud, enum fv_topic t, struct fv_cur key, struct fv_cur value,
                         uint64_t id, struct fv_error *err);
    /* Serves delivery reports (each one calls fv_exec_delivered). */
    void (*serve_reports)(void *ud, int timeout_ms);
    fv_status (*commit)(void *ud, struct fv_error *err);
    /* Runs job on a free pool thread; it comes back with fv_exec_finished.
     * Called only while fewer than concurrency jobs run. */
    void (*run)(void *ud, struct fv_exec_job *job);
    void *ud;
};

struct fv_exec_options {
    struct fv_exec_io io;
    const struct fv_clock *clock;    /* NULL: the system clock */
    const struct fv_rand *rand;      /* NULL: the system's (retry jitter) */
    const char *worker_name;         /* in results and DLQ envelopes; borrowed */
    const struct fv_task_keys *keys; /* follow-ups and retries are sealed with it; borrowed */
    int concurrency;                 /* pool threads, at least 1 */
    int max_attempts;                /* deliveries of a task before the DLQ; default 5 */
    size_t max_delayed;              /* 0: 16 × concurrency, at least 64 */
    size_t max_publishing;           /* 0: 4 × concurrency, at least 64 */
    int64_t horizon_ms;              /* 0: FV_EXEC_HORIZON_MS */
    /* Decodes and validates one task message: true with *out filled (caller
     * of admit owns it), or false with the DLQ reason appended to *reason.
     * The one place a task message is judged. */
    bool (*admit)(void *ud, const struct fv_message *m, struct fv_task *out, struct fv_buf *reason);
    void *admit_ud;
    struct fv_metrics_fleetvault *metrics; /* may be NULL */
};

struct fv_exec_stats {
    uint64_t consumed, succeeded, failed, skipped, retried, followups, dlq;
    uint64_t expired;     /* past their deadline (also in failed) */
    uint64_t deferred;    /* re-published: not due within the horizon */
    uint64_t dropped;     /* their partition was revoked before they ran */
    uint64_t undelivered; /* an output failed: released, not committed */
    size_t running, queued, delayed, publishing;
    bool held;
};

struct fv_exec;
/* Caller owns; free with fv_exec_destroy(). */
struct fv_exec *fv_exec_new(const struct fv_exec_options *o);
/* Releases every job still held (none may be running). NULL-safe. */
void fv_exec_destroy(struct fv_exec *x);

/* One turn of the loop: wakes due delayed jobs, starts what fits, holds or
 * resumes the partitions, polls once (at most max_wait_ms; less while jobs
 * run or wait), takes the message polled, serves delivery reports. Returns
 * the poll's result: <0 when the consumer failed for good (err filled). */
int fv_exec_step(struct fv_exec *x, int max_wait_ms, struct fv_error *err);
/* A job back from io.run: publishes its outputs (or drops it, see above). */
void fv_exec_finished(struct fv_exec *x, struct fv_exec_job *job);
/* A delivery report: err NULL when acknowledged. Unknown ids are ignored
 * (their job was released at close). May be called from inside io.produce. */
void fv_exec_delivered(struct fv_exec *x, uint64_t id, const struct fv_error *err);

/* Shutdown, part 1: no more work is taken (held; messages still polled are
 * released); queued and delayed jobs are released. */
void fv_exec_stop(struct fv_exec *x);
/* True when nothing runs and nothing waits for acknowledgements. */
bool fv_exec_idle(const struct fv_exec *x);
/* Shutdown, part 2: jobs still waiting for acknowledgements are released,
 * and what is done is committed now. Jobs handed back afterwards are dropped
 * unpublished. */
fv_status fv_exec_close(struct fv_exec *x, struct fv_error *err);

void fv_exec_stats(const struct fv_exec *x, struct fv_exec_stats *out);

#endif

/* Kafka for fleetvault: topics, an idempotent producer, a consumer-group
 * member that commits only the contiguous completed prefix of each partition
 * (so a crash redelivers exactly the unfinished messages), and the embedded
 * cluster (librdkafka's mock cluster) — the same client code either way. */
#ifndef FV_KAFKA_H
#define FV_KAFKA_H

#include <fv/common.h>

enum fv_topic {
    FV_TOPIC_TASKS = 0,
    FV_TOPIC_RESULTS,
    FV_TOPIC_EVENTS,
    FV_TOPIC_DLQ,
    FV_TOPIC_COUNT,
};

/* max.poll.interval.ms of fleetvault's consumers. librdkafka also waits this
 * long (plus 3 s) for the answer to a JoinGroup, so it bounds how long a
 * member whose join is never answered stays without partitions: a worker
 * without tasks, a coordinator without results. Every consumer loop of
 * fleetvault polls at least every few hundred milliseconds (handlers run on
 * other threads), so it need not be librdkafka's 300 s. */
#define FV_KAFKA_MAX_POLL_INTERVAL_MS 30000

struct fv_kafka_config {
    char *brokers;      /* bootstrap servers (no default); "embedded" is resolved by the
                           caller to the in-process mock cluster's bootstraps */
    char *topic_prefix; /* default "fleetvault." → fleetvault.tasks, .results, ... */
    int partitions;     /* for topics fleetvault creates (mock cluster); default 6 */
    int replication;    /* default 3 (1 on a 1-broker cluster) */
    /* librdkafka properties passed straight through (SASL, SSL, ...):
     * name, value, name, value, ..., NULL. Owned. */
    char **properties;
    size_t n_properties;    /* number of pairs */
    int session_timeout_ms; /* default 10000 (6000 in tests: the mock cluster waits a
                               session timeout before reassigning a dead member's partitions) */
    /* default FV_KAFKA_MAX_POLL_INTERVAL_MS; at least session_timeout_ms */
    int max_poll_interval_ms;
    /* group.instance.id of consumers made with this configuration (static
     * membership, KIP-345): a member that restarts with the same id within
     * session.timeout.ms gets its partitions back without a rebalance. NULL:
     * dynamic membership. Borrowed; at most one live consumer per id and group. */
    const char *group_instance_id;
};
void fv_kafka_config_init(struct fv_kafka_config *c); /* defaults */
void fv_kafka_config_clean_up(struct fv_kafka_config *c);

/* The group.instance.id a setting names: "auto" is the pod's name (POD_NAME,
 * else HOSTNAME), anything else is used as is. Fails when "auto" finds
 * neither variable. */
fv_status fv_kafka_instance_id(const char *setting, struct fv_buf *out, struct fv_error *err);

/* "fleetvault.tasks" etc. into out. */
void fv_kafka_topic_name(const struct fv_kafka_config *c, enum fv_topic t, char *out, size_t n);

/* ---- The embedded cluster (librdkafka mock cluster) ---- */
struct fv_kafka_mock;
/* Starts a mock cluster of n brokers in this process and creates
 * fleetvault's topics on it (rd_kafka_mock_topic_create: the Admin API's
 * CreateTopics does not work against the mock in librdkafka 2.0.2). */
struct fv_kafka_mock *fv_kafka_mock_start(int brokers, const struct fv_kafka_config *c,
                                          struct fv_error *err);
const char *fv_kafka_mock_bootstraps(const struct fv_kafka_mock *m); /* borrowed */
fv_status fv_kafka_mock_create_topic(struct fv_kafka_mock *m, const char *topic, int partitions,
                                     struct fv_error *err);
/* Takes every broker down (true) or up (false): fault injection. */
void fv_kafka_mock_set_down(struct fv_kafka_mock *m, bool down);
/* The next JoinGroup is answered delay_ms late (fault injection: a group
 * coordinator that does not answer a join, as the mock itself does when a
 * joining member's session runs out while it waits for the rebalance). */
void fv_kafka_mock_delay_joins(struct fv_kafka_mock *m, int delay_ms);
void fv_kafka_mock_stop(struct fv_kafka_mock *m); /* NULL-safe */

/* ---- Producer: idempotent, acks=all ---- */
struct fv_producer;
struct fv_producer *fv_producer_new(const struct fv_kafka_config *c, const char *client_id,
                                    struct fv_error *err);
/* Queues one message (copied). Keyed messages of one key stay in order
 * (one partition). Blocks briefly when the local queue is full. */
fv_status fv_producer_send(struct fv_producer *p, enum fv_topic t, struct fv_cur key,
                           struct fv_cur value, struct fv_error *err);
/* Per-message delivery reports. fn is called once for every message sent with
 * fv_producer_send_tracked, with its id and err NULL when the brokers
 * acknowledged it (acks=all), else why it was not delivered. It runs on the
 * thread that serves reports: fv_producer_poll, fv_producer_flush, or a send
 * waiting for room in a full queue. Set it before the first tracked send. */
typedef void fv_producer_report_fn(void *ud, uint64_t id, const struct fv_error *err);
void fv_producer_set_report(struct fv_producer *p, fv_producer_report_fn *fn, void *ud);
/* As fv_producer_send, and the message's fate is reported to the report
 * function with id (non-zero). Tracked messages never count in the failures
 * fv_producer_flush reports. Does not serve reports itself unless the queue is
 * full. */
fv_status fv_producer_send_tracked(struct fv_producer *p, enum fv_topic t, struct fv_cur key,
                                   struct fv_cur value, uint64_t id, struct fv_error *err);
/* Serves delivery reports, waiting up to timeout_ms for one. */
void fv_producer_poll(struct fv_producer *p, int timeout_ms);
/* Waits until every queued message is acknowledged (or timeout). Fails if any
 * untracked delivery failed since the last flush, naming the topic and the
 * reason. */
fv_status fv_producer_flush(struct fv_producer *p, int timeout_ms, struct fv_error *err);
void fv_producer_destroy(struct fv_producer *p); /* flushes up to 10 s; NULL-safe */

/* ---- Consumer-group member ---- */
struct fv_message {
    enum fv_topic topic;
    int32_t partition;
    int64_t offset;
    struct fv_cur key;
    struct fv_cur value;
    void *opaque; /* the underlying message; freed by fv_consumer_done */
};

struct fv_consumer;
/* Joins group_id and subscribes to topics (mask of 1 << FV_TOPIC_*). Offsets
 * start at the earliest for a new group. */
struct fv_consumer *fv_consumer_new(const struct fv_kafka_config *c, const char *group_id,
                                    const char *client_id, unsigned topics, struct fv_error *err);
/* Next message within timeout_ms: 1 with *m filled, 0 on timeout, <0 on a
 * fatal error (err filled). Every message returned must be passed to
 * fv_consumer_done exactly once. */
int fv_consumer_poll(struct fv_consumer *c, int timeout_ms, struct fv_message *m,
                     struct fv_error *err);
/* Marks m complete (whatever its outcome) and frees it. The committed offset
 * of its partition advances to the end of the contiguous completed prefix.
 * Messages of a partition this member no longer owns are dropped quietly.
 * Done and release may be called from any thread; the rest from the thread
 * that polls. */
void fv_consumer_done(struct fv_consumer *c, struct fv_message *m);
/* Frees m WITHOUT marking it complete: its partition's commit point stays
 * before it, so it is redelivered after a restart or rebalance (used when a
 * task's outputs could not be published). */
void fv_consumer_release(struct fv_consumer *c, struct fv_message *m);
/* Commits the completed prefixes now (also done periodically and on
 * rebalance and close). */
fv_status fv_consumer_commit(struct fv_consumer *c, struct fv_error *err);
/* Messages handed out and not yet done. */
size_t fv_consumer_in_flight(const struct fv_consumer *c);
/* Sum of lag (high watermark - committed) over owned partitions; -1 unknown. */
int64_t fv_consumer_lag(struct fv_consumer *c);
/* Stop fetching (SIGTERM); in-flight messages can still be marked done. */
void fv_consumer_pause_all(struct fv_consumer *c);
/* Backpressure: hold (true) pauses fetching of every owned partition, and of
 * partitions assigned later, until released (false). Messages fetched before
 * the hold are not lost: librdkafka resumes at the last one handed out.
 * Unlike pause_all, a message that still arrives is handed out. */
void fv_consumer_hold(struct fv_consumer *c, bool hold);
/* True while m's partition is owned in the ownership it was handed out in
 * (not revoked, lost, or revoked and assigned again since). */
bool fv_consumer_owns(struct fv_consumer *c, const struct fv_message *m);
/* Changes with every assignment and revocation: a cheap "did ownership
 * change" test. */
uint64_t fv_consumer_epoch(struct fv_consumer *c);
/* Commits what is complete and leaves the group. Messages not yet done or
 * released are freed here (they are redelivered to the partitions' next
 * owner): do not pass them to fv_consumer_done afterwards. NULL-safe. */
void fv_consumer_close(struct fv_consumer *c);

#endif

/* A consumer-group member that commits only the contiguous completed prefix
 * of each partition it owns.
 *
 * Every message handed out is recorded in its partition's tracker
 * (inflight.c); fv_consumer_done marks it, and the partition's commit point is
 * the first offset handed out and not yet done. Commits go out from
 * fv_consumer_poll about once a second (or every S_COMMIT_EVERY dones),
 * asynchronously; on revocation and at close they are waited for (bounded),
 * so a partition's next owner starts where this member stopped. After a
 * crash the group resumes at the commit
 * point: the unfinished messages and everything after them are redelivered,
 * including ones already done after a gap — handlers are idempotent.
 *
 * No commits while this member is rejoining. librdkafka 2.0.2 treats a
 * commit answered with ILLEGAL_GENERATION (sent with the old generation while
 * a JoinGroup is pending — the broker reads one request per connection at a
 * time) as a lost assignment, and everything done since the last commit is
 * redelivered (librdkafka #4059, fixed in 2.10). An interceptor sees the
 * JoinGroup go out; the next rebalance callback ends the hold.
 *
 * Threads: poll, commit, lag, pause and close from one thread (the loop);
 * done may come from any thread. librdkafka calls the rebalance, commit and
 * error callbacks from inside rd_kafka_consumer_poll/close on the loop thread;
 * s_lock is never held across a librdkafka call that can call back. */
#include "kafka/inflight.h"
#include "kafka/kafka_internal.h"

#include <fv/clock.h>
#include <fv/log.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define S_COMMIT_INTERVAL_MS 1000
#define S_COMMIT_EVERY 500

/* One owned partition. Looked up by linear scan: a member owns tens of
 * partitions, not thousands. */
struct s_part {
    int topic; /* enum fv_topic */
    int32_t partition;
    uint64_t gen; /* this ownership; dones from an earlier one are dropped */
    struct fv_kafka_inflight fl;
    int64_t committed; /* commit point last sent; -1 none */
};

/* What fv_message.opaque points to. */
struct s_msg {
    rd_kafka_message_t *rkm;
    int topic;
    int32_t partition;
    uint64_t gen;
    struct s_msg *prev, *next; /* the live list: handed out, not done */
};

struct fv_consumer {
    rd_kafka_t *rk;
    struct fv_kafka_topics topics;
    char *group_id;
    int session_timeout_ms;

    pthread_mutex_t lock; /* everything below */
    struct s_part *parts;
    size_t n_parts, cap_parts;
    uint64_t next_gen;
    struct s_msg live; /* sentinel of a circular list */
    atomic_size_t in_flight;
    unsigned dones_since_commit;
    bool commit_retry; /* a commit failed: send again even with no new dones */
    int64_t last_commit_ms;
    bool paused;
    bool held;                  /* fv_consumer_hold: new partitions are paused too */
    atomic_uint_fast64_t epoch; /* bumped by every assign and revoke */
    atomic_bool joining;        /* a JoinGroup is out: hold commits (set by a broker thread) */
    bool fatal;
    char fatal_reason[256];
};

static int64_t s_now_ms(void)
{
    return fv_clock_mono_ms(fv_clock_system());
}

static bool s_cooperative(rd_kafka_t *rk)
{
    return strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
}

/* ---- partition state (caller holds lock) ---- */

static struct s_part *s_part_find(struct fv_consumer *c, int topic, int32_t partition)
{
    for (size_t i = 0; i < c->n_parts; i++)
        if (c->parts[i].topic == topic && c->parts[i].partition == partition)
            return &c->parts[i];
    return NULL;
}

static void s_part_add(struct fv_consumer *c, int topic, int32_t partition)
{
    struct s_part *p = s_part_find(c, topic, partition);
    if (p) { /* assigned again without a revoke in between: start afresh */
        fv_kafka_inflight_clean_up(&p->fl);
    } else {
        if (c->n_parts == c->cap_parts) {
            c->cap_parts = c->cap_parts ? 2 * c->cap_parts : 16;
            c->parts = fv_realloc(c->parts, c->cap_parts * sizeof(*c->parts));
        }
        p = &c->parts[c->n_parts++];
        p->topic = topic;
        p->partition = partition;
    }
    fv_kafka_inflight_init(&p->fl);
    p->gen = ++c->next_gen;
    p->committed = -1;
}

static void s_part_remove(struct fv_consumer *c, int topic, int32_t partition)
{
    struct s_part *p = s_part_find(c, topic, partition);
    if (!p)
        return;
    fv_kafka_inflight_clean_up(&p->fl);
    *p = c->parts[--c->n_parts];
}

/* Partitions (all, or those in only) whose commit point moved past what was
 * last sent; marks them sent. NULL when there is nothing to commit. */
static rd_kafka_topic_partition_list_t *
s_commit_list_locked(struct fv_consumer *c, const rd_kafka_topic_partition_list_t *only)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    for (size_t i = 0; i < c->n_parts; i++) {
        struct s_part *p = &c->parts[i];
        if (only &&
            !rd_kafka_topic_partition_list_find(only, c->topics.name[p->topic], p->partition))
            continue;
        int64_t cp = fv_kafka_inflight_commit_point(&p->fl);
        if (cp < 0 || cp == p->committed)
            continue;
        if (!l)
            l = rd_kafka_topic_partition_list_new(4);
        rd_kafka_topic_partition_list_add(l, c->topics.name[p->topic], p->partition)->offset = cp;
        p->committed = cp;
    }
    c->dones_since_commit = 0;
    c->commit_retry = false;
    c->last_commit_ms = s_now_ms();
    return l;
}

/* A commit of l failed: send those partitions again next time. */
static void s_commit_failed(struct fv_consumer *c, const rd_kafka_topic_partition_list_t *l)
{
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < l->cnt; i++) {
        int t = fv_kafka_topics_find(&c->topics, l->elems[i].topic);
        struct s_part *p = s_part_find(c, t, l->elems[i].partition);
        if (p && p->committed == l->elems[i].offset) {
            p->committed = -1;
            c->commit_retry = true;
        }
    }
    pthread_mutex_unlock(&c->lock);
}

static void s_log_offsets(enum fv_log_level lv, const char *what,
                          const rd_kafka_topic_partition_list_t *l)
{
    if (l->cnt == 0) /* a cooperative rebalance that changed nothing here */
        lv = FV_LOG_DEBUG;
    if ((int)lv > fv_log_level_current)
        return;
    struct fv_buf b = {0};
    for (int i = 0; i < l->cnt; i++) {
        fv_buf_printf(&b, "%s%s[%d]", i ? " " : "", l->elems[i].topic, (int)l->elems[i].partition);
        if (l->elems[i].offset >= 0)
            fv_buf_printf(&b, "@%lld", (long long)l->elems[i].offset);
    }
    FV_LOG(lv, FV_KAFKA_SUBSYS, "%s: %s", what, fv_buf_str(&b));
    fv_buf_clean_up(&b);
}

/* Sends l (owned) asynchronously; the result arrives in s_commit_cb. */
static void s_commit_async(struct fv_consumer *c, rd_kafka_topic_partition_list_t *l)
{
    if (!l)
        return;
    s_log_offsets(FV_LOG_DEBUG, "commit", l);
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, l, 1);
    if (e) {
        FV_LOG(FV_LOG_WARN, FV_KAFKA_SUBSYS, "group %s: commit: %s", c->group_id,
               rd_kafka_err2str(e));
        s_commit_failed(c, l);
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* ---- librdkafka callbacks (loop thread) ---- */

static void s_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                        rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    struct fv_consumer *c = opaque;
    if (e == RD_KAFKA_RESP_ERR__NO_OFFSET || !offsets)
        return;
    bool any = e != RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; !any && i < offsets->cnt; i++)
        any = offsets->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!any)
        return;
    FV_LOG(FV_LOG_WARN, FV_KAFKA_SUBSYS, "group %s: commit failed (%s); will retry", c->group_id,
           rd_kafka_err2str(e ? e : offsets->elems[0].err));
    s_commit_failed(c, offsets);
}

static void s_error_cb(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
    struct fv_consumer *c = opaque;
    if (e == RD_KAFKA_RESP_ERR__FATAL) {
        char why[200];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof(why));
        pthread_mutex_lock(&c->lock);
        c->fatal = true;
        snprintf(c->fatal_reason, sizeof(c->fatal_reason), "%s: %s", rd_kafka_err2name(orig), why);
        pthread_mutex_unlock(&c->lock);
        FV_LOG(FV_LOG_ERROR, FV_KAFKA_SUBSYS, "group %s: fatal: %s", c->group_id, why);
        return;
    }
    /* Transport errors, all brokers down, ...: librdkafka keeps retrying.
     * A failed connection is already in the log (warn) from s_log_cb. */
    FV_LOG(e == RD_KAFKA_RESP_ERR__TRANSPORT ? FV_LOG_DEBUG : FV_LOG_WARN, FV_KAFKA_SUBSYS,
           "group %s: %s: %s", c->group_id, rd_kafka_err2name((rd_kafka_resp_err_t)e), reason);
}

static void s_assign(struct fv_consumer *c, rd_kafka_topic_partition_list_t *parts, bool coop)
{
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < parts->cnt; i++) {
        int t = fv_kafka_topics_find(&c->topics, parts->elems[i].topic);
        if (t >= 0)
            s_part_add(c, t, parts->elems[i].partition);
    }
    bool paused = c->paused || c->held;
    pthread_mutex_unlock(&c->lock);
    atomic_fetch_add(&c->epoch, 1);

    if (coop) {
        rd_kafka_error_t *e = rd_kafka_incremental_assign(c->rk, parts);
        if (e) {
            FV_LOG(FV_LOG_ERROR, FV_KAFKA_SUBSYS, "group %s: incremental assign: %s", c->group_id,
                   rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_resp_err_t e = rd_kafka_assign(c->rk, parts);
        if (e)
            FV_LOG(FV_LOG_ERROR, FV_KAFKA_SUBSYS, "group %s: assign: %s", c->group_id,
                   rd_kafka_err2str(e));
    }
    /* librdkafka 2.0.2 keeps a partition's application pause across an
     * unassign and a new assign: a partition held when it was lost would
     * come back paused for good. Set the state explicitly. */
    if (paused)
        rd_kafka_pause_partitions(c->rk, parts);
    else
        rd_kafka_resume_partitions(c->rk, parts);
    s_log_offsets(FV_LOG_INFO, "assigned", parts);
}

static rd_kafka_resp_err_t s_commit_wait(struct fv_consumer *c,
                                         const rd_kafka_topic_partition_list_t *l, int timeout_ms);

static void s_revoke(struct fv_consumer *c, rd_kafka_topic_partition_list_t *parts, bool coop)
{
    /* Commit the completed prefix of what is leaving, unless the assignment
     * was lost (session timed out): another member may own it already. */
    bool lost = rd_kafka_assignment_lost(c->rk);
    rd_kafka_topic_partition_list_t *l = NULL;
    pthread_mutex_lock(&c->lock);
    if (!lost)
        l = s_commit_list_locked(c, parts);
    for (int i = 0; i < parts->cnt; i++) {
        int t = fv_kafka_topics_find(&c->topics, parts->elems[i].topic);
        s_part_remove(c, t, parts->elems[i].partition);
    }
    pthread_mutex_unlock(&c->lock);
    atomic_fetch_add(&c->epoch, 1);
    /* Synchronous (bounded): the partitions' next owner reads the committed
     * offset as soon as they are unassigned here; an asynchronous commit can
     * land after that read and the finished work would be delivered again. */
    if (l) {
        s_log_offsets(FV_LOG_DEBUG, "commit", l);
        rd_kafka_resp_err_t ce = s_commit_wait(c, l, 5000);
        if (ce)
            FV_LOG(FV_LOG_WARN, FV_KAFKA_SUBSYS, "group %s: commit on revoke: %s", c->group_id,
                   rd_kafka_err2str(ce));
        rd_kafka_topic_partition_list_destroy(l);
    }

    if (coop) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(c->rk, parts);
        if (e) {
            FV_LOG(FV_LOG_ERROR, FV_KAFKA_SUBSYS, "group %s: incremental unassign: %s", c->group_id,
                   rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(c->rk, NULL);
    }
    s_log_offsets(lost ? FV_LOG_WARN : FV_LOG_INFO, lost ? "lost" : "revoked", parts);
}

static void s_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                           rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct fv_consumer *c = opaque;
    bool coop = s_cooperative(rk);
    /* The join is over (eager: a revoke comes before the JoinGroup). */
    atomic_store(&c->joining, false);
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        s_assign(c, parts, coop);
    } else if (e == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        s_revoke(c, parts, coop);
    } else {
        FV_LOG(FV_LOG_ERROR, FV_KAFKA_SUBSYS, "group %s: rebalance: %s", c->group_id,
               rd_kafka_err2str(e));
        s_revoke(c, parts, coop);
    }
}

#define S_API_JOIN_GROUP 11 /* Kafka protocol ApiKey */

static rd_kafka_resp_err_t s_on_request_sent(rd_kafka_t *rk, int sockfd, const char *broker,
                                             int32_t broker_id, int16_t api_key,
                                             int16_t api_version, int32_t corr_id, size_t size,
                                             void *opaque)
{
    struct fv_consumer *c = opaque;
    if (api_key == S_API_JOIN_GROUP)
        atomic_store(&c->joining, true);
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t s_on_new(rd_kafka_t *rk, const rd_kafka_conf_t *conf, void *opaque,
                                    char *errstr, size_t errstr_size)
{
    return rd_kafka_interceptor_add_on_request_sent(rk, "fleetvault-join", s_on_request_sent,
                                                    opaque);
}

/* ---- the public API ---- */

struct fv_consumer *fv_consumer_new(const struct fv_kafka_config *cfg, const char *group_id,
                                    const char *client_id, unsigned topics, struct fv_error *err)
{
    if (fv_kafka_check_brokers(cfg, err) != FV_OK)
        return NULL;
    if (!group_id || !*group_id) {
        fv_error_set(err, FV_E_INVALID, "kafka consumer: no group id");
        return NULL;
    }
    if ((topics & ((1u << FV_TOPIC_COUNT) - 1)) == 0 || (topics >> FV_TOPIC_COUNT) != 0) {
        fv_error_set(err, FV_E_INVALID, "kafka consumer: topic mask 0x%x", topics);
        return NULL;
    }
    struct fv_consumer *c = fv_calloc(1, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    c->live.prev = c->live.next = &c->live;
    atomic_init(&c->in_flight, 0);
    atomic_init(&c->joining, false);
    atomic_init(&c->epoch, 0);
    c->group_id = fv_strdup(group_id);
    c->last_commit_ms = s_now_ms();
    fv_kafka_topics_init(&c->topics, cfg);

    rd_kafka_conf_t *conf = fv_kafka_conf_new(cfg->brokers, client_id);
    int session = cfg->session_timeout_ms > 0 ? cfg->session_timeout_ms : 10000;
    int heartbeat = session / 3 > 0 ? session / 3 : 1;
    c->session_timeout_ms = session;
    /* Also the JoinGroup's patience (kafka.h): librdkafka 2.0.2's mock cluster
     * drops the answer to a join whose member's session ran out while it
     * waited for the rebalance (a mock process starved for a few seconds);
     * with librdkafka's default the member then waited 303 s for nothing. */
    int max_poll =
        cfg->max_poll_interval_ms > 0 ? cfg->max_poll_interval_ms : FV_KAFKA_MAX_POLL_INTERVAL_MS;
    if (max_poll < session) /* librdkafka refuses a shorter one */
        max_poll = session;
    char session_s[16], heartbeat_s[16], max_poll_s[16];
    snprintf(session_s, sizeof(session_s), "%d", session);
    snprintf(heartbeat_s, sizeof(heartbeat_s), "%d", heartbeat);
    snprintf(max_poll_s, sizeof(max_poll_s), "%d", max_poll);
    const char *const settings[][2] = {
        {"group.id", group_id},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", "earliest"},
        {"enable.partition.eof", "false"},
        {"partition.assignment.strategy", "cooperative-sticky"},
        {"session.timeout.ms", session_s},
        {"heartbeat.interval.ms", heartbeat_s},
        {"max.poll.interval.ms", max_poll_s},
    };
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        if (fv_kafka_conf_set(conf, settings[i][0], settings[i][1], err) != FV_OK)
            goto fail;
    if (cfg->group_instance_id && *cfg->group_instance_id &&
        fv_kafka_conf_set(conf, "group.instance.id", cfg->group_instance_id, err) != FV_OK)
        goto fail;
    if (fv_kafka_conf_apply_properties(conf, cfg, err) != FV_OK)
        goto fail;
    rd_kafka_conf_set_rebalance_cb(conf, s_rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(conf, s_commit_cb);
    rd_kafka_conf_set_error_cb(conf, s_error_cb);
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_interceptor_add_on_new(conf, "fleetvault-join", s_on_new, c);
    c->rk = fv_kafka_new_handle(RD_KAFKA_CONSUMER, conf, "consumer", err);
    if (!c->rk)
        goto fail_no_conf;
    rd_kafka_poll_set_consumer(c->rk); /* callbacks served by consumer_poll */

    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(FV_TOPIC_COUNT);
    for (int t = 0; t < FV_TOPIC_COUNT; t++)
        if (topics & (1u << t))
            rd_kafka_topic_partition_list_add(sub, c->topics.name[t], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e) {
        fv_error_set(err, FV_E_INVALID, "kafka consumer %s: subscribe: %s", group_id,
                     rd_kafka_err2str(e));
        rd_kafka_destroy(c->rk);
        goto fail_no_conf;
    }
    return c;
fail:
    rd_kafka_conf_destroy(conf);
fail_no_conf:
    pthread_mutex_destroy(&c->lock);
    free(c->group_id);
    free(c);
    return NULL;
}

/* Periodic commit, from the loop thread. */
static void s_maybe_commit(struct fv_consumer *c)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    if (atomic_load(&c->joining))
        return;
    pthread_mutex_lock(&c->lock);
    if (c->dones_since_commit >= S_COMMIT_EVERY ||
        ((c->dones_since_commit > 0 || c->commit_retry) &&
         s_now_ms() - c->last_commit_ms >= S_COMMIT_INTERVAL_MS))
        l = s_commit_list_locked(c, NULL);
    pthread_mutex_unlock(&c->lock);
    s_commit_async(c, l);
}

static int s_fatal(struct fv_consumer *c, struct fv_error *err)
{
    pthread_mutex_lock(&c->lock);
    bool fatal = c->fatal;
    if (fatal)
        fv_error_set(err, FV_E_NET, "kafka consumer %s: fatal: %s", c->group_id, c->fatal_reason);
    pthread_mutex_unlock(&c->lock);
    return fatal ? -1 : 0;
}

/* A message that carries an error instead of data. Returns -1 when fatal. */
static int s_message_error(struct fv_consumer *c, const rd_kafka_message_t *rkm,
                           struct fv_error *err)
{
    switch (rkm->err) {
    case RD_KAFKA_RESP_ERR__PARTITION_EOF: return 0;
    case RD_KAFKA_RESP_ERR__FATAL: {
        char why[256];
        rd_kafka_fatal_error(c->rk, why, sizeof(why));
        fv_error_set(err, FV_E_NET, "kafka consumer %s: fatal: %s", c->group_id, why);
        return -1;
    }
    case RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED:
        FV_LOG(FV_LOG_WARN, FV_KAFKA_SUBSYS,
               "group %s: no poll within max.poll.interval.ms: left the group, rejoining",
               c->group_id);
        return 0;
    default:
        FV_LOG(FV_LOG_WARN, FV_KAFKA_SUBSYS, "group %s: %s%s%s[%d]: %s", c->group_id,
               rd_kafka_err2name(rkm->err), rkm->rkt ? " " : "",
               rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : "", (int)rkm->partition,
               rd_kafka_message_errstr(rkm));
        return 0;
    }
}

int fv_consumer_poll(struct fv_consumer *c, int timeout_ms, struct fv_message *m,
                     struct fv_error *err)
{
    int64_t deadline = s_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        if (s_fatal(c, err))
            return -1;
        s_maybe_commit(c);
        int64_t left = deadline - s_now_ms();
        if (left < 0)
            left = 0;
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(c->rk, (int)left);
        if (!rkm) {
            if (left == 0)
                return 0;
            continue;
        }
        if (rkm->err) {
            int r = s_message_error(c, rkm, err);
            rd_kafka_message_destroy(rkm);
            if (r < 0)
                return r;
            continue;
        }
        int t = fv_kafka_topics_find(&c->topics, rd_kafka_topic_name(rkm->rkt));
        struct s_msg *w = NULL;
        pthread_mutex_lock(&c->lock);
        struct s_part *p = t >= 0 ? s_part_find(c, t, rkm->partition) : NULL;
        /* Not owned (a straggler from a revoked partition) or paused: not
         * handed out, so never committed past; the next owner gets it. */
        if (p && !c->paused) {
            fv_kafka_inflight_add(&p->fl, rkm->offset);
            w = fv_calloc(1, sizeof(*w));
            w->rkm = rkm;
            w->topic = t;
            w->partition = rkm->partition;
            w->gen = p->gen;
            w->next = &c->live;
            w->prev = c->live.prev;
            c->live.prev->next = w;
            c->live.prev = w;
            atomic_fetch_add(&c->in_flight, 1);
        }
        pthread_mutex_unlock(&c->lock);
        if (!w) {
            rd_kafka_message_destroy(rkm);
            continue;
        }
        *m = (struct fv_message){
            .topic = (enum fv_topic)t,
            .partition = rkm->partition,
            .offset = rkm->offset,
            .key = {rkm->key, rkm->key_len},
            .value = {rkm->payload, rkm->len},
            .opaque = w,
        };
        return 1;
    }
}

static void s_unlink(struct s_msg *w)
{
    w->prev->next = w->next;
    w->next->prev = w->prev;
}

/* Frees m's wrapper; marks it complete in its partition's tracker when done
 * is true (and the partition is still ours, in the same ownership). */
static void s_finish(struct fv_consumer *c, struct fv_message *m, bool done)
{
    if (!m || !m->opaque)
        return;
    struct s_msg *w = m->opaque;
    pthread_mutex_lock(&c->lock);
    struct s_part *p = s_part_find(c, w->topic, w->partition);
    bool ours = p && p->gen == w->gen;
    if (ours && done && fv_kafka_inflight_done(&p->fl, w->rkm->offset))
        c->dones_since_commit++;
    if (!ours)
        FV_LOG(FV_LOG_DEBUG, FV_KAFKA_SUBSYS, "%s[%d]@%lld finished after revocation: dropped",
               c->topics.name[w->topic], (int)w->partition, (long long)w->rkm->offset);
    else if (!done)
        FV_LOG(FV_LOG_INFO, FV_KAFKA_SUBSYS,
               "%s[%d]@%lld released: the partition's commits stop before it",
               c->topics.name[w->topic], (int)w->partition, (long long)w->rkm->offset);
    s_unlink(w);
    pthread_mutex_unlock(&c->lock);
    atomic_fetch_sub(&c->in_flight, 1);
    rd_kafka_message_destroy(w->rkm);
    free(w);
    memset(m, 0, sizeof(*m));
}

void fv_consumer_done(struct fv_consumer *c, struct fv_message *m)
{
    s_finish(c, m, true);
}

/* Stays pending in the tracker for as long as this member owns the
 * partition: the commit point cannot pass it. */
void fv_consumer_release(struct fv_consumer *c, struct fv_message *m)
{
    s_finish(c, m, false);
}

/* A commit that waits for its result, at most timeout_ms (the coordinator may
 * be unreachable; rd_kafka_commit's synchronous form would wait forever). */
static rd_kafka_resp_err_t s_commit_wait(struct fv_consumer *c,
                                         const rd_kafka_topic_partition_list_t *l, int timeout_ms)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_resp_err_t e = rd_kafka_commit_queue(c->rk, l, q, NULL, NULL);
    if (!e) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms);
        if (!ev) {
            e = RD_KAFKA_RESP_ERR__TIMED_OUT;
        } else {
            e = rd_kafka_event_error(ev);
            const rd_kafka_topic_partition_list_t *r = rd_kafka_event_topic_partition_list(ev);
            for (int i = 0; !e && r && i < r->cnt; i++)
                e = r->elems[i].err;
            rd_kafka_event_destroy(ev);
        }
    }
    rd_kafka_queue_destroy(q);
    return e == RD_KAFKA_RESP_ERR__NO_OFFSET ? RD_KAFKA_RESP_ERR_NO_ERROR : e;
}

static fv_status s_commit_now(struct fv_consumer *c, int timeout_ms, struct fv_error *err)
{
    if (atomic_load(&c->joining)) {
        /* Not an error: the prefix is committed once the rebalance ends
         * (or by the revoke callback). */
        FV_LOG(FV_LOG_DEBUG, FV_KAFKA_SUBSYS, "group %s: commit held: rebalance in progress",
               c->group_id);
        return FV_OK;
    }
    pthread_mutex_lock(&c->lock);
    rd_kafka_topic_partition_list_t *l = s_commit_list_locked(c, NULL);
    pthread_mutex_unlock(&c->lock);
    if (!l)
        return FV_OK;
    s_log_offsets(FV_LOG_DEBUG, "commit (wait)", l);
    fv_status st = FV_OK;
    rd_kafka_resp_err_t e = s_commit_wait(c, l, timeout_ms);
    if (e) {
        s_commit_failed(c, l);
        st = fv_error_set(err, FV_E_NET, "kafka group %s: commit: %s", c->group_id,
                          rd_kafka_err2str(e));
        if (err)
            err->retryable = true;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return st;
}

fv_status fv_consumer_commit(struct fv_consumer *c, struct fv_error *err)
{
    return s_commit_now(c, 10000, err);
}

size_t fv_consumer_in_flight(const struct fv_consumer *c)
{
    return atomic_load(&c->in_flight);
}

int64_t fv_consumer_lag(struct fv_consumer *c)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(c->rk, &a) || !a)
        return -1;
    int64_t sum = 0;
    /* Commit points: ours where something was handed out, else the group's. */
    rd_kafka_topic_partition_list_t *ask =
        rd_kafka_topic_partition_list_new(a->cnt > 0 ? a->cnt : 1);
    pthread_mutex_lock(&c->lock);
    bool paused = c->paused;
    for (int i = 0; i < a->cnt; i++) {
        int t = fv_kafka_topics_find(&c->topics, a->elems[i].topic);
        struct s_part *p = t >= 0 ? s_part_find(c, t, a->elems[i].partition) : NULL;
        a->elems[i].offset = p ? fv_kafka_inflight_commit_point(&p->fl) : -1;
        if (a->elems[i].offset < 0)
            rd_kafka_topic_partition_list_add(ask, a->elems[i].topic, a->elems[i].partition);
    }
    pthread_mutex_unlock(&c->lock);
    if (ask->cnt > 0 && rd_kafka_committed(c->rk, ask, 2000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        sum = -1;
        goto out;
    }
    for (int i = 0; i < a->cnt; i++) {
        const char *topic = a->elems[i].topic;
        int32_t part = a->elems[i].partition;
        int64_t lo = -1, hi = -1;
        /* Cached from fetch responses (at most fetch.wait.max.ms old); ask
         * the leader before the first fetch, and when paused (no fetches). */
        if (paused || rd_kafka_get_watermark_offsets(c->rk, topic, part, &lo, &hi) || lo < 0 ||
            hi < 0) {
            if (rd_kafka_query_watermark_offsets(c->rk, topic, part, &lo, &hi, 2000)) {
                sum = -1;
                goto out;
            }
        }
        int64_t cp = a->elems[i].offset;
        if (cp < 0) {
            rd_kafka_topic_partition_t *q = rd_kafka_topic_partition_list_find(ask, topic, part);
            cp = q && q->offset >= 0 ? q->offset : lo; /* none: auto.offset.reset=earliest */
        }
        if (hi > cp)
            sum += hi - cp;
    }
out:
    rd_kafka_topic_partition_list_destroy(ask);
    rd_kafka_topic_partition_list_destroy(a);
    return sum;
}

void fv_consumer_pause_all(struct fv_consumer *c)
{
    pthread_mutex_lock(&c->lock);
    c->paused = true;
    pthread_mutex_unlock(&c->lock);
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(c->rk, &a) == RD_KAFKA_RESP_ERR_NO_ERROR && a) {
        rd_kafka_pause_partitions(c->rk, a);
        rd_kafka_topic_partition_list_destroy(a);
    }
    FV_LOG(FV_LOG_INFO, FV_KAFKA_SUBSYS, "group %s: paused", c->group_id);
}

void fv_consumer_hold(struct fv_consumer *c, bool hold)
{
    pthread_mutex_lock(&c->lock);
    bool change = c->held != hold;
    c->held = hold;
    bool paused = c->paused;
    pthread_mutex_unlock(&c->lock);
    if (!change || paused)
        return;
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(c->rk, &a) == RD_KAFKA_RESP_ERR_NO_ERROR && a) {
        if (hold)
            rd_kafka_pause_partitions(c->rk, a);
        else
            rd_kafka_resume_partitions(c->rk, a);
        rd_kafka_topic_partition_list_destroy(a);
    }
    FV_LOG(FV_LOG_DEBUG, FV_KAFKA_SUBSYS, "group %s: %s", c->group_id,
           hold ? "held (no room for more work)" : "fetching again");
}

bool fv_consumer_owns(struct fv_consumer *c, const struct fv_message *m)
{
    const struct s_msg *w = m->opaque;
    if (!w)
        return false;
    pthread_mutex_lock(&c->lock);
    const struct s_part *p = s_part_find(c, w->topic, w->partition);
    bool ours = p && p->gen == w->gen;
    pthread_mutex_unlock(&c->lock);
    return ours;
}

uint64_t fv_consumer_epoch(struct fv_consumer *c)
{
    return atomic_load(&c->epoch);
}

/* One event from the close queue, dispatched as librdkafka would call the
 * callbacks. Messages the fetcher read ahead (FETCH) were never handed out
 * (not in any tracker, so never committed past): dropped, and the
 * partition's next owner gets them. */
static void s_close_event(struct fv_consumer *c, rd_kafka_event_t *ev)
{
    switch (rd_kafka_event_type(ev)) {
    case RD_KAFKA_EVENT_REBALANCE:
        s_rebalance_cb(c->rk, rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev), c);
        break;
    case RD_KAFKA_EVENT_OFFSET_COMMIT:
        s_commit_cb(c->rk, rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev), c);
        break;
    case RD_KAFKA_EVENT_ERROR: /* an event carries the fatal error's own code */
        s_error_cb(c->rk,
                   rd_kafka_event_error_is_fatal(ev) ? RD_KAFKA_RESP_ERR__FATAL
                                                     : rd_kafka_event_error(ev),
                   rd_kafka_event_error_string(ev), c);
        break;
    default: break;
    }
    rd_kafka_event_destroy(ev);
}

/* Leaves the group within timeout_ms; false if librdkafka did not finish.
 * The revoke (served here) commits anything done since the last commit.
 *
 * The close queue is served as events (rd_kafka_queue_poll), never with
 * rd_kafka_queue_poll_callback: rd_kafka_consumer_close_queue forwards the
 * group's queue to q, and with it every message the fetcher has read ahead
 * and nobody polled (a coordinator that has all its results stops polling
 * while late duplicates from redelivered tasks arrive). The callback API
 * cannot hand a message back, and librdkafka 2.0.2 aborts the process on
 * one: "rd_kafka_q_serve: assert: res != RD_KAFKA_OP_RES_PASS" (measured:
 * 2 of 3 coordinator runs under worker churn, after the manifest). */
static bool s_leave(struct fv_consumer *c, int timeout_ms)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_error_t *e = rd_kafka_consumer_close_queue(c->rk, q);
    if (e) {
        FV_LOG(FV_LOG_WARN, FV_KAFKA_SUBSYS, "group %s: close: %s", c->group_id,
               rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        rd_kafka_queue_destroy(q);
        return true;
    }
    int64_t deadline = s_now_ms() + timeout_ms;
    while (!rd_kafka_consumer_closed(c->rk) && s_now_ms() < deadline) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);
        if (ev)
            s_close_event(c, ev);
    }
    if (!rd_kafka_consumer_closed(c->rk))
        return false; /* q stays: the group still forwards to it */
    rd_kafka_queue_destroy(q);
    return true;
}

void fv_consumer_close(struct fv_consumer *c)
{
    if (!c)
        return;
    struct fv_error err;
    if (s_commit_now(c, 5000, &err) != FV_OK)
        FV_LOG(FV_LOG_WARN, FV_KAFKA_SUBSYS, "closing: %s", err.message);
    /* Bounded: librdkafka 2.0.2 can wait forever for a commit that was in
     * flight when the coordinator went away. */
    int timeout = c->session_timeout_ms + 5000;
    if (!s_leave(c, timeout)) {
        /* Destroying the handle would block the same way, and its threads
         * still call back into c: leave both behind. Only on shutdown
         * during an outage; the group reassigns after the session timeout. */
        FV_LOG(FV_LOG_ERROR, FV_KAFKA_SUBSYS,
               "group %s: the consumer did not close within %d ms (brokers unreachable); "
               "abandoning it, %zu message(s) not done will be redelivered",
               c->group_id, timeout, fv_consumer_in_flight(c));
        return;
    }
    size_t dropped = 0;
    pthread_mutex_lock(&c->lock);
    while (c->live.next != &c->live) {
        struct s_msg *w = c->live.next;
        s_unlink(w);
        rd_kafka_message_destroy(w->rkm);
        free(w);
        dropped++;
    }
    for (size_t i = 0; i < c->n_parts; i++)
        fv_kafka_inflight_clean_up(&c->parts[i].fl);
    pthread_mutex_unlock(&c->lock);
    if (dropped)
        FV_LOG(FV_LOG_INFO, FV_KAFKA_SUBSYS,
               "group %s: closed with %zu message(s) not done; they will be redelivered",
               c->group_id, dropped);
    rd_kafka_destroy(c->rk);
    pthread_mutex_destroy(&c->lock);
    free(c->parts);
    free(c->group_id);
    free(c);
}

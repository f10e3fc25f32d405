/* The producer: idempotent, acks=all, so a retried send never duplicates or
 * reorders within a partition, and a broker outage shorter than
 * message.timeout.ms (5 minutes) is ridden out by librdkafka's own retries.
 *
 * Two ways to learn a message's fate: untracked sends are counted and
 * reported (and cleared) by the next flush — one caller at a time; tracked
 * sends carry an id (librdkafka's per-message opaque) and each one's outcome
 * goes to the report function, so a failure is charged to its owner and to no
 * one else. */
#include "kafka/kafka_internal.h"

#include <fv/clock.h>
#include <fv/log.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

_Static_assert(sizeof(void *) >= sizeof(uint64_t), "a tracked id travels as the msg opaque");

struct fv_producer {
    rd_kafka_t *rk;
    struct fv_kafka_topics topics;
    fv_producer_report_fn *report; /* tracked messages */
    void *report_ud;
    /* Untracked delivery reports arrive on whichever thread polls; counted
     * under lock and reset by each flush. */
    pthread_mutex_t lock;
    uint64_t failed;
    char first_failure[384];
};

static void s_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct fv_producer *p = opaque;
    if (m->_private && p->report) {
        struct fv_error err = {0};
        if (m->err) {
            fv_error_set(&err, FV_E_NET, "topic %s: %s", m->rkt ? rd_kafka_topic_name(m->rkt) : "?",
                         rd_kafka_err2str(m->err));
            err.retryable = true;
        }
        p->report(p->report_ud, (uint64_t)(uintptr_t)m->_private, m->err ? &err : NULL);
        return;
    }
    if (!m->err)
        return;
    pthread_mutex_lock(&p->lock);
    if (p->failed++ == 0)
        snprintf(p->first_failure, sizeof(p->first_failure), "topic %s: %s",
                 m->rkt ? rd_kafka_topic_name(m->rkt) : "?", rd_kafka_err2str(m->err));
    pthread_mutex_unlock(&p->lock);
}

/* Fills err and returns true when the producer hit a fatal error (the
 * idempotent producer's sequence state is gone: the handle must be replaced). */
static bool s_fatal(struct fv_producer *p, struct fv_error *err)
{
    char why[256];
    rd_kafka_resp_err_t e = rd_kafka_fatal_error(p->rk, why, sizeof(why));
    if (!e)
        return false;
    fv_error_set(err, FV_E_NET, "kafka producer fatal error: %s: %s", rd_kafka_err2name(e), why);
    return true;
}

struct fv_producer *fv_producer_new(const struct fv_kafka_config *c, const char *client_id,
                                    struct fv_error *err)
{
    if (fv_kafka_check_brokers(c, err) != FV_OK)
        return NULL;
    struct fv_producer *p = fv_calloc(1, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    fv_kafka_topics_init(&p->topics, c);

    rd_kafka_conf_t *conf = fv_kafka_conf_new(c->brokers, client_id);
    static const char *const defaults[][2] = {
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"linger.ms", "5"},
        {"compression.codec", "none"},
        {"message.timeout.ms", "300000"},
        /* Same key → same partition as the Java client would choose. */
        {"partitioner", "murmur2_random"},
    };
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        if (fv_kafka_conf_set(conf, defaults[i][0], defaults[i][1], err) != FV_OK)
            goto fail;
    if (fv_kafka_conf_apply_properties(conf, c, err) != FV_OK)
        goto fail;
    rd_kafka_conf_set_dr_msg_cb(conf, s_dr_cb);
    rd_kafka_conf_set_opaque(conf, p);
    p->rk = fv_kafka_new_handle(RD_KAFKA_PRODUCER, conf, "producer", err);
    if (!p->rk)
        goto fail_no_conf;
    return p;
fail:
    rd_kafka_conf_destroy(conf);
fail_no_conf:
    pthread_mutex_destroy(&p->lock);
    free(p);
    return NULL;
}

void fv_producer_set_report(struct fv_producer *p, fv_producer_report_fn *fn, void *ud)
{
    p->report = fn;
    p->report_ud = ud;
}

/* Queues one message; serves reports after it when serve is true. */
static fv_status s_send(struct fv_producer *p, enum fv_topic t, struct fv_cur key,
                        struct fv_cur value, void *msg_opaque, bool serve, struct fv_error *err)
{
    if ((unsigned)t >= FV_TOPIC_COUNT)
        return fv_error_set(err, FV_E_INVALID, "kafka producer: topic %d", (int)t);
    int64_t warn_at = 0;
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(p->topics.name[t]), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key.len ? (void *)key.ptr : NULL, key.len),
            RD_KAFKA_V_VALUE(value.len ? (void *)value.ptr : NULL, value.len),
            RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
        if (!e) {
            if (serve)
                rd_kafka_poll(p->rk, 0); /* serve delivery reports */
            return FV_OK;
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (s_fatal(p, err))
                return FV_E_NET;
            return fv_error_set(err, FV_E_INVALID, "kafka produce to %s: %s", p->topics.name[t],
                                rd_kafka_err2str(e));
        }
        /* The local queue is full (brokers slow or away): wait for room. */
        int64_t now = fv_clock_mono_ms(fv_clock_system());
        if (now >= warn_at) {
            FV_LOG(FV_LOG_WARN, FV_KAFKA_SUBSYS,
                   "producer queue full (%d messages waiting); waiting for deliveries",
                   rd_kafka_outq_len(p->rk));
            warn_at = now + 10000;
        }
        rd_kafka_poll(p->rk, 100);
        if (s_fatal(p, err))
            return FV_E_NET;
    }
}

fv_status fv_producer_send(struct fv_producer *p, enum fv_topic t, struct fv_cur key,
                           struct fv_cur value, struct fv_error *err)
{
    return s_send(p, t, key, value, NULL, true, err);
}

fv_status fv_producer_send_tracked(struct fv_producer *p, enum fv_topic t, struct fv_cur key,
                                   struct fv_cur value, uint64_t id, struct fv_error *err)
{
    if (id == 0 || !p->report)
        return fv_error_set(err, FV_E_INVALID, "kafka producer: tracked send without %s",
                            id ? "a report function" : "an id");
    return s_send(p, t, key, value, (void *)(uintptr_t)id, false, err);
}

void fv_producer_poll(struct fv_producer *p, int timeout_ms)
{
    rd_kafka_poll(p->rk, timeout_ms);
}

fv_status fv_producer_flush(struct fv_producer *p, int timeout_ms, struct fv_error *err)
{
    rd_kafka_resp_err_t e = rd_kafka_flush(p->rk, timeout_ms);
    if (s_fatal(p, err))
        return FV_E_NET;
    pthread_mutex_lock(&p->lock);
    uint64_t failed = p->failed;
    char first[sizeof(p->first_failure)];
    memcpy(first, p->first_failure, sizeof(first));
    p->failed = 0;
    p->first_failure[0] = '\0';
    pthread_mutex_unlock(&p->lock);

    if (failed) {
        fv_error_set(err, FV_E_NET, "kafka: %llu message(s) not delivered; first: %s",
                     (unsigned long long)failed, first);
        if (err)
            err->retryable = true;
        return FV_E_NET;
    }
    if (e) {
        fv_error_set(err, FV_E_TIMEOUT, "kafka flush: %d message(s) still queued after %d ms",
                     rd_kafka_outq_len(p->rk), timeout_ms);
        if (err)
            err->retryable = true;
        return FV_E_TIMEOUT;
    }
    return FV_OK;
}

void fv_producer_destroy(struct fv_producer *p)
{
    if (!p)
        return;
    struct fv_error err;
    if (fv_producer_flush(p, 10000, &err) != FV_OK)
        FV_LOG(FV_LOG_WARN, FV_KAFKA_SUBSYS,
               "producer %s closing: %s (undelivered messages are dropped)", rd_kafka_name(p->rk),
               err.message);
    rd_kafka_destroy(p->rk);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* The embedded cluster: librdkafka's mock cluster, hosted by a dedicated
 * producer handle that never produces (the mock needs a handle for its
 * thread and logging). Clients reach it over loopback TCP like any cluster. */
#include "kafka/kafka_internal.h"

#include <fv/log.h>

#include <librdkafka/rdkafka_mock.h>

#include <stdlib.h>

struct fv_kafka_mock {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
    char *bootstraps;
    int brokers;
    int replication;
};

struct fv_kafka_mock *fv_kafka_mock_start(int brokers, const struct fv_kafka_config *c,
                                          struct fv_error *err)
{
    if (brokers < 1 || brokers > 64) {
        fv_error_set(err, FV_E_INVALID, "embedded kafka: %d brokers (1-64)", brokers);
        return NULL;
    }
    if (c->partitions < 1) {
        fv_error_set(err, FV_E_INVALID, "embedded kafka: %d partitions (at least 1)",
                     c->partitions);
        return NULL;
    }
    rd_kafka_conf_t *conf = fv_kafka_conf_new(NULL, "fleetvault-mock");
    rd_kafka_t *rk = fv_kafka_new_handle(RD_KAFKA_PRODUCER, conf, "embedded cluster", err);
    if (!rk)
        return NULL;
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        rd_kafka_destroy(rk);
        fv_error_set(err, FV_E_IO, "embedded kafka: could not start %d mock brokers", brokers);
        return NULL;
    }
    struct fv_kafka_mock *m = fv_calloc(1, sizeof(*m));
    m->rk = rk;
    m->mc = mc;
    m->bootstraps = fv_strdup(rd_kafka_mock_cluster_bootstraps(mc));
    m->brokers = brokers;
    m->replication = c->replication < 1 ? 1 : c->replication;

    struct fv_kafka_topics topics;
    fv_kafka_topics_init(&topics, c);
    for (int t = 0; t < FV_TOPIC_COUNT; t++) {
        if (fv_kafka_mock_create_topic(m, topics.name[t], c->partitions, err) != FV_OK) {
            fv_kafka_mock_stop(m);
            return NULL;
        }
    }
    FV_LOG(FV_LOG_INFO, FV_KAFKA_SUBSYS, "embedded cluster: %d brokers at %s, topics %s*", brokers,
           m->bootstraps, c->topic_prefix ? c->topic_prefix : "");
    return m;
}

const char *fv_kafka_mock_bootstraps(const struct fv_kafka_mock *m)
{
    return m->bootstraps;
}

fv_status fv_kafka_mock_create_topic(struct fv_kafka_mock *m, const char *topic, int partitions,
                                     struct fv_error *err)
{
    int rf = m->replication < m->brokers ? m->replication : m->brokers;
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(m->mc, topic, partitions, rf);
    if (e)
        return fv_error_set(err, FV_E_INVALID, "embedded kafka: create topic %s: %s", topic,
                            rd_kafka_err2str(e));
    return FV_OK;
}

void fv_kafka_mock_set_down(struct fv_kafka_mock *m, bool down)
{
    for (int32_t id = 1; id <= m->brokers; id++) {
        rd_kafka_resp_err_t e = down ? rd_kafka_mock_broker_set_down(m->mc, id)
                                     : rd_kafka_mock_broker_set_up(m->mc, id);
        if (e)
            FV_LOG(FV_LOG_WARN, FV_KAFKA_SUBSYS, "embedded cluster: broker %d %s: %s", (int)id,
                   down ? "down" : "up", rd_kafka_err2str(e));
    }
    FV_LOG(FV_LOG_INFO, FV_KAFKA_SUBSYS, "embedded cluster: all %d brokers %s", m->brokers,
           down ? "down" : "up");
}

#define S_API_JOIN_GROUP 11 /* Kafka protocol ApiKey */

void fv_kafka_mock_delay_joins(struct fv_kafka_mock *m, int delay_ms)
{
    /* Each broker's next JoinGroup: only the group's coordinator sees one. */
    for (int32_t id = 1; id <= m->brokers; id++) {
        rd_kafka_resp_err_t e = rd_kafka_mock_broker_push_request_error_rtts(
            m->mc, id, S_API_JOIN_GROUP, 1, RD_KAFKA_RESP_ERR_NO_ERROR, delay_ms);
        if (e)
            FV_LOG(FV_LOG_WARN, FV_KAFKA_SUBSYS,
                   "embedded cluster: broker %d: delaying JoinGroup: %s", (int)id,
                   rd_kafka_err2str(e));
    }
    FV_LOG(FV_LOG_INFO, FV_KAFKA_SUBSYS, "embedded cluster: the next JoinGroup answered %d ms late",
           delay_ms);
}

void fv_kafka_mock_stop(struct fv_kafka_mock *m)
{
    if (!m)
        return;
    if (m->mc)
        rd_kafka_mock_cluster_destroy(m->mc);
    if (m->rk)
        rd_kafka_destroy(m->rk);
    free(m->bootstraps);
    free(m);
}

/* fv_kafka_config and the pieces every Kafka handle shares. */
#include "kafka/kafka_internal.h"

#include <fv/log.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *const s_topic_suffix[FV_TOPIC_COUNT] = {
    [FV_TOPIC_TASKS] = "tasks",
    [FV_TOPIC_RESULTS] = "results",
    [FV_TOPIC_EVENTS] = "events",
    [FV_TOPIC_DLQ] = "dlq",
};

void fv_kafka_config_init(struct fv_kafka_config *c)
{
    memset(c, 0, sizeof(*c));
    c->topic_prefix = fv_strdup("fleetvault.");
    c->partitions = 6;
    c->replication = 3;
    c->session_timeout_ms = 10000;
    c->max_poll_interval_ms = FV_KAFKA_MAX_POLL_INTERVAL_MS;
}

void fv_kafka_config_clean_up(struct fv_kafka_config *c)
{
    if (!c)
        return;
    free(c->brokers);
    free(c->topic_prefix);
    if (c->properties) {
        for (size_t i = 0; i < 2 * c->n_properties; i++)
            fv_free_secret(c->properties[i]); /* sasl.password, ssl.key.password */
        free(c->properties);
    }
    memset(c, 0, sizeof(*c));
}

void fv_kafka_topic_name(const struct fv_kafka_config *c, enum fv_topic t, char *out, size_t n)
{
    if (n == 0)
        return;
    const char *suffix = (unsigned)t < FV_TOPIC_COUNT ? s_topic_suffix[t] : "unknown";
    snprintf(out, n, "%s%s", c && c->topic_prefix ? c->topic_prefix : "", suffix);
}

void fv_kafka_topics_init(struct fv_kafka_topics *t, const struct fv_kafka_config *c)
{
    for (int i = 0; i < FV_TOPIC_COUNT; i++)
        fv_kafka_topic_name(c, (enum fv_topic)i, t->name[i], sizeof(t->name[i]));
}

int fv_kafka_topics_find(const struct fv_kafka_topics *t, const char *name)
{
    for (int i = 0; i < FV_TOPIC_COUNT; i++)
        if (strcmp(t->name[i], name) == 0)
            return i;
    return -1;
}

/* librdkafka logs with syslog levels from its own threads; FV_LOG is
 * thread-safe. Warnings and worse at warn, the rest at debug. */
static void s_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    enum fv_log_level lv = level <= LOG_WARNING ? FV_LOG_WARN : FV_LOG_DEBUG;
    FV_LOG(lv, FV_KAFKA_SUBSYS, "%s: %s: %s", rk ? rd_kafka_name(rk) : "rdkafka", fac, buf);
}

fv_status fv_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                            struct fv_error *err)
{
    char why[256];
    if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) != RD_KAFKA_CONF_OK)
        return fv_error_set(err, FV_E_INVALID, "kafka property '%s': %s", name, why);
    return FV_OK;
}

rd_kafka_conf_t *fv_kafka_conf_new(const char *brokers, const char *client_id)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, s_log_cb);
    /* Known-good values: failures here are programming errors. */
    char why[256];
    if (brokers)
        rd_kafka_conf_set(conf, "bootstrap.servers", brokers, why, sizeof(why));
    if (client_id && *client_id)
        rd_kafka_conf_set(conf, "client.id", client_id, why, sizeof(why));
    /* Back to a broker within a second of its return (librdkafka's default
     * backs off up to 10 s; the Java client's is 1 s). */
    rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "1000", why, sizeof(why));
    /* Idle disconnects by the broker are routine, not warnings. */
    rd_kafka_conf_set(conf, "log.connection.close", "false", why, sizeof(why));
    return conf;
}

fv_status fv_kafka_check_brokers(const struct fv_kafka_config *c, struct fv_error *err)
{
    if (!c->brokers || !*c->brokers)
        return fv_error_set(err, FV_E_INVALID, "kafka.brokers is not set");
    if (strcmp(c->brokers, "embedded") == 0)
        return fv_error_set(err, FV_E_INVALID,
                            "kafka.brokers \"embedded\" must be resolved to the embedded "
                            "cluster's bootstraps (fv_kafka_mock_bootstraps) first");
    return FV_OK;
}

static bool s_secret_property(const char *name)
{
    return strstr(name, "password") || strstr(name, "secret") ||
           strcmp(name, "sasl.oauthbearer.config") == 0 || strcmp(name, "ssl.key.pem") == 0;
}

fv_status fv_kafka_conf_apply_properties(rd_kafka_conf_t *conf, const struct fv_kafka_config *c,
                                         struct fv_error *err)
{
    for (size_t i = 0; i < c->n_properties; i++) {
        const char *name = c->properties[2 * i];
        const char *value = c->properties[2 * i + 1];
        if (!name || !value)
            return fv_error_set(err, FV_E_INVALID, "kafka property %zu has no %s", i,
                                name ? "value" : "name");
        if (s_secret_property(name))
            fv_log_secret(value);
        fv_status st = fv_kafka_conf_set(conf, name, value, err);
        if (st != FV_OK)
            return st;
    }
    return FV_OK;
}

rd_kafka_t *fv_kafka_new_handle(rd_kafka_type_t type, rd_kafka_conf_t *conf, const char *what,
                                struct fv_error *err)
{
    char why[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, why, sizeof(why));
    if (!rk) {
        rd_kafka_conf_destroy(conf); /* rd_kafka_new owns it only on success */
        fv_error_set(err, FV_E_INVALID, "kafka %s: %s", what, why);
    }
    return rk;
}

fv_status fv_kafka_instance_id(const char *setting, struct fv_buf *out, struct fv_error *err)
{
    if (!setting || !*setting)
        return fv_error_set(err, FV_E_INVALID, "kafka.group_instance_id is empty");
    const char *id = setting;
    if (strcmp(setting, "auto") == 0) {
        /* POD_NAME from the downward API; a pod's hostname is its name. */
        id = getenv("POD_NAME");
        if (!id || !*id)
            id = getenv("HOSTNAME");
        if (!id || !*id)
            return fv_error_set(err, FV_E_INVALID,
                                "kafka.group_instance_id is \"auto\" but neither POD_NAME nor "
                                "HOSTNAME is set");
    }
    fv_buf_append_str(out, id);
    return FV_OK;
}

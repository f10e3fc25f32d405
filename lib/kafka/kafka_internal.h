/* Shared by the producer, the consumer and the mock cluster: building a
 * librdkafka configuration from fv_kafka_config, and routing librdkafka's log
 * into FV_LOG. Private to lib/kafka. */
#ifndef FV_KAFKA_INTERNAL_H
#define FV_KAFKA_INTERNAL_H

#include <fv/kafka.h>

#include <librdkafka/rdkafka.h>

#define FV_KAFKA_SUBSYS "kafka"
#define FV_KAFKA_TOPIC_MAX 256

/* The four topic names of c, computed once. */
struct fv_kafka_topics {
    char name[FV_TOPIC_COUNT][FV_KAFKA_TOPIC_MAX];
};
void fv_kafka_topics_init(struct fv_kafka_topics *t, const struct fv_kafka_config *c);
/* The fv_topic called name, or -1. */
int fv_kafka_topics_find(const struct fv_kafka_topics *t, const char *name);

/* Sets one property; on failure err names the property and says why. The
 * value is not repeated in the message (it may be a password). */
fv_status fv_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                            struct fv_error *err);
/* A new configuration with the log callback routed into FV_LOG and, when
 * brokers is non-NULL, bootstrap.servers (and client.id when non-NULL).
 * Caller owns; rd_kafka_conf_destroy() unless passed to rd_kafka_new(). */
rd_kafka_conf_t *fv_kafka_conf_new(const char *brokers, const char *client_id);
/* Checks c->brokers is usable (set, and "embedded" resolved by the caller). */
fv_status fv_kafka_check_brokers(const struct fv_kafka_config *c, struct fv_error *err);
/* Applies c->properties (after fleetvault's own settings, so they win).
 * Registers password-like values with fv_log_secret(). */
fv_status fv_kafka_conf_apply_properties(rd_kafka_conf_t *conf, const struct fv_kafka_config *c,
                                         struct fv_error *err);
/* rd_kafka_new(); on failure conf is destroyed and err says why. */
rd_kafka_t *fv_kafka_new_handle(rd_kafka_type_t type, rd_kafka_conf_t *conf, const char *what,
                                struct fv_error *err);

#endif

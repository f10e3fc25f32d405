/* SNS (query protocol, 2010-03-31): alerts. Errors by value; NotFound (no
 * such topic) is FV_E_NOTFOUND. */
#ifndef FV_SNS_H
#define FV_SNS_H

#include <fv/aws.h>
#include <fv/task.h>

/* Publishes message (UTF-8, at most 256 KiB) to topic_arn. subject may be
 * NULL (at most 100 printable ASCII characters, no newlines). On FV_OK
 * *message_id_out (may be NULL; caller owns, free()) is the MessageId. */
fv_status fv_sns_publish(struct fv_aws_client *c, const char *topic_arn, const char *subject,
                         const char *message, char **message_id_out, struct fv_error *err);

/* The same with message attributes (String), e.g. {"status", "FAILED"},
 * so subscriptions can filter on them; attrs borrowed. */
fv_status fv_sns_publish_attrs(struct fv_aws_client *c, const char *topic_arn, const char *subject,
                               const char *message, const struct fv_kv *attrs, size_t n_attrs,
                               char **message_id_out, struct fv_error *err);

#endif

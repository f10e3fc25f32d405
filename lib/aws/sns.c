/* SNS: Publish. */
#include <fv/sns.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SNS_VERSION "2010-03-31"
#define S_MAX_MESSAGE (256 * 1024)
#define S_MAX_SUBJECT 100

fv_status fv_sns_publish(struct fv_aws_client *c, const char *topic_arn, const char *subject,
                         const char *message, char **message_id_out, struct fv_error *err)
{
    return fv_sns_publish_attrs(c, topic_arn, subject, message, NULL, 0, message_id_out, err);
}

fv_status fv_sns_publish_attrs(struct fv_aws_client *c, const char *topic_arn, const char *subject,
                               const char *message, const struct fv_kv *attrs, size_t n_attrs,
                               char **message_id_out, struct fv_error *err)
{
    if (message_id_out)
        *message_id_out = NULL;
    if (!topic_arn || !message || !*message)
        return fv_error_set(err, FV_E_INVALID, "sns Publish: a topic and a message are needed");
    if (strlen(message) > S_MAX_MESSAGE)
        return fv_error_set(err, FV_E_INVALID, "sns Publish: message of %zu bytes (at most %d)",
                            strlen(message), S_MAX_MESSAGE);
    if (subject) {
        size_t n = strlen(subject);
        if (n == 0 || n > S_MAX_SUBJECT || strpbrk(subject, "\r\n"))
            return fv_error_set(err, FV_E_INVALID,
                                "sns Publish: subject must be 1..100 characters on one line");
    }
    struct fv_params p = {0};
    fv_params_add(&p, "TopicArn", topic_arn);
    fv_params_add(&p, "Message", message);
    if (subject)
        fv_params_add(&p, "Subject", subject);
    for (size_t i = 0; i < n_attrs; i++) {
        char key[64];
        snprintf(key, sizeof(key), "MessageAttributes.entry.%zu.Name", i + 1);
        fv_params_add(&p, key, attrs[i].key);
        snprintf(key, sizeof(key), "MessageAttributes.entry.%zu.Value.DataType", i + 1);
        fv_params_add(&p, key, "String");
        snprintf(key, sizeof(key), "MessageAttributes.entry.%zu.Value.StringValue", i + 1);
        fv_params_add(&p, key, attrs[i].value);
    }
    xmlDocPtr doc = NULL;
    fv_status st = fv_aws_query(c, "sns", "Publish", S_SNS_VERSION, &p, &doc, err);
    fv_params_clean_up(&p);
    if (st == FV_E_AWS && err && strcmp(err->code, "NotFound") == 0) {
        err->status = FV_E_NOTFOUND;
        return FV_E_NOTFOUND;
    }
    if (st != FV_OK)
        return st;
    char *id = fv_xml_path_text(xmlDocGetRootElement(doc), "PublishResult/MessageId");
    xmlFreeDoc(doc);
    if (!id || !*id) {
        free(id);
        return fv_error_set(err, FV_E_PARSE, "sns Publish: no MessageId in response");
    }
    if (message_id_out)
        *message_id_out = id;
    else
        free(id);
    return FV_OK;
}

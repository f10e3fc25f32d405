/* CloudWatch Logs (json 1.1): the run log fleetvault writes. Creating a
 * group or stream that exists is success (idempotent). Sequence tokens are
 * not used (AWS no longer requires them). Errors by value. */
#ifndef FV_LOGS_H
#define FV_LOGS_H

#include <fv/aws.h>

fv_status fv_logs_create_group(struct fv_aws_client *c, const char *group, struct fv_error *err);
fv_status fv_logs_create_stream(struct fv_aws_client *c, const char *group, const char *stream,
                                struct fv_error *err);

struct fv_log_event {
    int64_t timestamp_ms; /* Unix ms */
    const char *message;  /* borrowed; UTF-8, at most FV_LOGS_MAX_MESSAGE bytes */
};

#define FV_LOGS_MAX_MESSAGE (262144 - 26)

/* What the service refused (too old, too new, past retention); those
 * events are dropped by CloudWatch. */
struct fv_logs_put_result {
    size_t batches;  /* PutLogEvents calls made */
    size_t rejected; /* events refused by the service */
};

/* Writes n events in as few PutLogEvents calls as the limits allow (10,000
 * events, 1 MiB, 24 hours a batch), in timestamp order (a stable sort of a
 * copy: the caller's array is untouched). A message over
 * FV_LOGS_MAX_MESSAGE is FV_E_INVALID (nothing sent); a missing group or
 * stream is FV_E_NOTFOUND (create it and put again). result may be NULL. */
fv_status fv_logs_put_events(struct fv_aws_client *c, const char *group, const char *stream,
                             const struct fv_log_event *events, size_t n,
                             struct fv_logs_put_result *result, struct fv_error *err);

#endif

/* CloudWatch Logs: groups, streams, batched PutLogEvents. */
#include <fv/logs.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_BATCH_EVENTS 10000
#define S_MAX_BATCH_BYTES 1048576
#define S_EVENT_OVERHEAD 26
#define S_MAX_BATCH_SPAN_MS (24LL * 3600 * 1000)

static fv_status s_create(struct fv_aws_client *c, const char *op, const char *group,
                          const char *stream, struct fv_error *err)
{
    struct json_object *in = json_object_new_object();
    json_object_object_add(in, "logGroupName", json_object_new_string(group));
    if (stream)
        json_object_object_add(in, "logStreamName", json_object_new_string(stream));
    fv_status st = fv_aws_json(c, &fv_aws_logs, op, in, NULL, err);
    json_object_put(in);
    if (st == FV_E_AWS && err && strcmp(err->code, "ResourceAlreadyExistsException") == 0) {
        fv_error_clear(err);
        return FV_OK;
    }
    return st;
}

fv_status fv_logs_create_group(struct fv_aws_client *c, const char *group, struct fv_error *err)
{
    return s_create(c, "CreateLogGroup", group, NULL, err);
}

fv_status fv_logs_create_stream(struct fv_aws_client *c, const char *group, const char *stream,
                                struct fv_error *err)
{
    return s_create(c, "CreateLogStream", group, stream, err);
}

/* Sort key: timestamp, then the caller's order (stable). */
static int s_cmp(const void *a, const void *b)
{
    const struct fv_log_event *const *x = a, *const *y = b;
    if ((*x)->timestamp_ms != (*y)->timestamp_ms)
        return (*x)->timestamp_ms < (*y)->timestamp_ms ? -1 : 1;
    return *x < *y ? -1 : (*x > *y);
}

/* An index into the batch from the answer, clamped to [0, batch_n]; absent
 * (or not an integer: json-c's conversion of a NaN is undefined) → dflt. */
static size_t s_index(struct json_object *info, const char *key, size_t batch_n, size_t dflt)
{
    struct json_object *v;
    if (!json_object_object_get_ex(info, key, &v) || !json_object_is_type(v, json_type_int))
        return dflt;
    int64_t i = json_object_get_int64(v);
    return i <= 0 ? 0 : (uint64_t)i >= batch_n ? batch_n : (size_t)i;
}

static size_t s_count_rejected(struct json_object *resp, size_t batch_n)
{
    struct json_object *info;
    if (!json_object_object_get_ex(resp, "rejectedLogEventsInfo", &info))
        return 0;
    /* Indexes into the batch: events before tooOld/expiredLogEventEndIndex
     * (they overlap: expired events are old too) and from
     * tooNewLogEventStartIndex on were dropped. */
    size_t old = s_index(info, "tooOldLogEventEndIndex", batch_n, 0);
    size_t expired = s_index(info, "expiredLogEventEndIndex", batch_n, 0);
    size_t too_new = s_index(info, "tooNewLogEventStartIndex", batch_n, batch_n);
    size_t rejected = (expired > old ? expired : old) + (batch_n - too_new);
    return rejected < batch_n ? rejected : batch_n;
}

static fv_status s_put_batch(struct fv_aws_client *c, const char *group, const char *stream,
                             const struct fv_log_event *const *ev, size_t n,
                             struct fv_logs_put_result *result, struct fv_error *err)
{
    struct json_object *in = json_object_new_object();
    json_object_object_add(in, "logGroupName", json_object_new_string(group));
    json_object_object_add(in, "logStreamName", json_object_new_string(stream));
    struct json_object *arr = json_object_new_array_ext((int)n);
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_new_object();
        json_object_object_add(e, "timestamp", json_object_new_int64(ev[i]->timestamp_ms));
        json_object_object_add(e, "message", json_object_new_string(ev[i]->message));
        json_object_array_add(arr, e);
    }
    json_object_object_add(in, "logEvents", arr);
    struct json_object *resp = NULL;
    fv_status st = fv_aws_json(c, &fv_aws_logs, "PutLogEvents", in, &resp, err);
    json_object_put(in);
    if (st == FV_E_AWS && err && strcmp(err->code, "ResourceNotFoundException") == 0)
        st = err->status = FV_E_NOTFOUND;
    if (st == FV_OK) {
        result->batches++;
        result->rejected += s_count_rejected(resp, n);
    }
    json_object_put(resp);
    return st;
}

fv_status fv_logs_put_events(struct fv_aws_client *c, const char *group, const char *stream,
                             const struct fv_log_event *events, size_t n,
                             struct fv_logs_put_result *result, struct fv_error *err)
{
    struct fv_logs_put_result local = {0};
    if (!result)
        result = &local;
    memset(result, 0, sizeof(*result));
    for (size_t i = 0; i < n; i++) {
        if (!events[i].message || !*events[i].message)
            return fv_error_set(err, FV_E_INVALID, "logs PutLogEvents: event %zu has no message",
                                i);
        if (strlen(events[i].message) > FV_LOGS_MAX_MESSAGE)
            return fv_error_set(err, FV_E_INVALID,
                                "logs PutLogEvents: event %zu is %zu bytes (at most %d)", i,
                                strlen(events[i].message), FV_LOGS_MAX_MESSAGE);
    }
    if (n == 0)
        return FV_OK;
    const struct fv_log_event **sorted = fv_malloc(n * sizeof(*sorted));
    for (size_t i = 0; i < n; i++)
        sorted[i] = &events[i];
    qsort(sorted, n, sizeof(*sorted), s_cmp);

    fv_status st = FV_OK;
    size_t start = 0;
    while (start < n && st == FV_OK) {
        size_t end = start, bytes = 0;
        while (end < n && end - start < S_MAX_BATCH_EVENTS) {
            size_t sz = strlen(sorted[end]->message) + S_EVENT_OVERHEAD;
            if (bytes + sz > S_MAX_BATCH_BYTES ||
                sorted[end]->timestamp_ms - sorted[start]->timestamp_ms >= S_MAX_BATCH_SPAN_MS)
                break;
            bytes += sz;
            end++;
        }
        st = s_put_batch(c, group, stream, sorted + start, end - start, result, err);
        start = end;
    }
    free(sorted);
    return st;
}

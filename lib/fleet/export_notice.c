/* The notification of one DynamoDB export in the seed's schema
 * (fv/export_notice.h). */
#include <fv/clock.h>
#include <fv/export_notice.h>

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

/* ISO 8601 with milliseconds, as Step Functions writes times; "" for 0. */
static void s_time(int64_t ms, char out[32])
{
    char base[21];
    if (ms <= 0) {
        out[0] = '\0';
        return;
    }
    fv_time_iso8601(ms / 1000, base);
    snprintf(out, 32, "%.19s.%03dZ", base, (int)(ms % 1000));
}

/* The seed's exportType (the values of fv_dynamodb_export_type_str). */
static const char *s_type(enum fv_dynamodb_export_type t)
{
    return t == FV_DDB_EXPORT_FULL ? "FULL_EXPORT" : "INCREMENTAL_EXPORT";
}

const char *fv_export_notice_status(const struct fv_export_notice *n)
{
    return n->success ? "SUCCESS" : "FAILED";
}

void fv_export_notice_json(const struct fv_export_notice *n, struct fv_buf *out)
{
    char t[4][32];
    s_time(n->start_ms, t[0]);
    s_time(n->end_ms, t[1]);
    s_time(n->export_from_ms, t[2]);
    s_time(n->export_to_ms, t[3]);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "message", json_object_new_string(n->message ? n->message : ""));
    json_object_object_add(o, "exportType", json_object_new_string(s_type(n->type)));
    json_object_object_add(o, "status", json_object_new_string(fv_export_notice_status(n)));
    json_object_object_add(o, "executionId",
                           json_object_new_string(n->execution_id ? n->execution_id : ""));
    json_object_object_add(o, "incrementalBlocksBehind", json_object_new_int64(n->blocks_behind));
    json_object_object_add(o, "startTime", json_object_new_string(t[0]));
    json_object_object_add(o, "endTime", json_object_new_string(t[1]));
    json_object_object_add(o, "exportStartTime", json_object_new_string(t[2]));
    json_object_object_add(o, "exportEndTime", json_object_new_string(t[3]));
    json_object_object_add(o, "account", json_object_new_string(n->account));
    json_object_object_add(o, "region", json_object_new_string(n->region));
    json_object_object_add(o, "table", json_object_new_string(n->table));
    if (n->remedy && *n->remedy)
        json_object_object_add(o, "remedy", json_object_new_string(n->remedy));
    fv_buf_reset(out);
    fv_buf_printf(out, "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
}

void fv_export_notice_event(const struct fv_export_notice *n, const char *run_id, int64_t now_ms,
                            struct fv_event *out)
{
    struct fv_buf body = {0};
    memset(out, 0, sizeof(*out));
    out->type = fv_strdup(n->success ? "export.succeeded" : "export.failed");
    out->run_id = fv_strdup(run_id ? run_id : "");
    out->job = fv_strdup(n->job);
    out->time_ms = now_ms;
    out->severity = fv_strdup(n->success ? "info" : "error");
    out->summary = fv_strdup(n->message ? n->message : "");
    out->succeeded = n->success ? 1 : 0;
    out->failed = n->success ? 0 : 1;
    fv_export_notice_json(n, &body);
    fv_event_set_detail(out, "body", body.ptr);
    fv_event_set_detail(out, "account", n->account);
    fv_event_set_detail(out, "region", n->region);
    fv_event_set_detail(out, "table", n->table);
    fv_event_set_detail(out, "status", fv_export_notice_status(n));
    fv_event_set_detail(out, "exportType", s_type(n->type));
    if (n->export_arn)
        fv_event_set_detail(out, "exportArn", n->export_arn);
    fv_buf_clean_up(&body);
}

static const char *s_extra(const struct fv_output *o, const char *k)
{
    for (size_t i = 0; i < o->n_extra; i++)
        if (strcmp(o->extra[i].key, k) == 0)
            return o->extra[i].value;
    return NULL;
}

bool fv_export_notice_from_result(const struct fv_result *res, struct fv_export_notice *out)
{
    memset(out, 0, sizeof(*out));
    if (!res->kind || strcmp(res->kind, "dynamodb.export") != 0 || res->n_outputs == 0 ||
        (res->status != FV_RESULT_SUCCEEDED && res->status != FV_RESULT_FAILED))
        return false;
    const struct fv_output *o = &res->outputs[0];
    const char *type = s_extra(o, "export_type");
    if (!type)
        return false;
    out->job = res->job;
    out->account = res->account;
    out->region = res->region;
    out->table = res->resource;
    out->execution_id = res->task_id;
    out->export_arn = s_extra(o, "export_arn");
    out->type = strcmp(type, "FULL_EXPORT") == 0 ? FV_DDB_EXPORT_FULL : FV_DDB_EXPORT_INCREMENTAL;
    out->success = res->status == FV_RESULT_SUCCEEDED;
    out->message = s_extra(o, "message");
    if (!out->message)
        out->message = res->error_message ? res->error_message : "";
    out->remedy = s_extra(o, "remedy");
    out->blocks_behind = fv_i64_or(s_extra(o, "blocks_behind"), 0);
    out->start_ms = fv_i64_or(s_extra(o, "start_ms"), 0);
    out->end_ms = fv_i64_or(s_extra(o, "end_ms"), 0);
    out->export_from_ms = fv_i64_or(s_extra(o, "export_from_ms"), 0);
    out->export_to_ms = fv_i64_or(s_extra(o, "export_to_ms"), 0);
    return true;
}

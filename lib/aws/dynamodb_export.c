/* DynamoDB exports to S3: ExportTableToPointInTime and DescribeExport
 * (json 1.0, through fv_aws_json). */
#include "aws/dynamodb_internal.h"

#include <fv/dynamodb.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static bool s_is(struct json_object *obj, const char *key, const char *value)
{
    struct json_object *v = fv_json_get(obj, key);
    return v && json_object_is_type(v, json_type_string) &&
           strcmp(json_object_get_string(v), value) == 0;
}

/* ms → epoch seconds as the service takes them (millisecond precision). */
static void s_add_time(struct json_object *obj, const char *key, int64_t ms)
{
    json_object_object_add(obj, key, json_object_new_double((double)ms / 1000.0));
}

const char *fv_dynamodb_export_type_str(enum fv_dynamodb_export_type t)
{
    return t == FV_DDB_EXPORT_INCREMENTAL ? "INCREMENTAL_EXPORT" : "FULL_EXPORT";
}

const char *fv_dynamodb_export_status_str(enum fv_dynamodb_export_status s)
{
    switch (s) {
    case FV_DDB_EXPORT_IN_PROGRESS: return "IN_PROGRESS";
    case FV_DDB_EXPORT_COMPLETED: return "COMPLETED";
    case FV_DDB_EXPORT_FAILED: return "FAILED";
    default: return "UNKNOWN";
    }
}

void fv_dynamodb_export_clean_up(struct fv_dynamodb_export *e)
{
    if (!e)
        return;
    char **strs[] = {&e->arn,      &e->table_arn,    &e->bucket,         &e->bucket_owner,
                     &e->prefix,   &e->format,       &e->view_type,      &e->client_token,
                     &e->manifest, &e->failure_code, &e->failure_message};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        free(*strs[i]);
    memset(e, 0, sizeof(*e));
}

/* ExportDescription → out; one without an ExportArn string is no export
 * (a chain would record a NULL ARN). */
static fv_status s_parse(struct json_object *resp, const char *op, struct fv_dynamodb_export *out,
                         struct fv_error *err)
{
    struct json_object *d = fv_json_get(resp, "ExportDescription");
    out->arn = fv_json_str(d, "ExportArn");
    if (!out->arn)
        return fv_error_set(err, FV_E_PARSE, "dynamodb %s: no ExportDescription with an ExportArn",
                            op);
    out->status = s_is(d, "ExportStatus", "IN_PROGRESS") ? FV_DDB_EXPORT_IN_PROGRESS
                  : s_is(d, "ExportStatus", "COMPLETED") ? FV_DDB_EXPORT_COMPLETED
                  : s_is(d, "ExportStatus", "FAILED")    ? FV_DDB_EXPORT_FAILED
                                                         : FV_DDB_EXPORT_UNKNOWN;
    out->type = s_is(d, "ExportType", "INCREMENTAL_EXPORT") ? FV_DDB_EXPORT_INCREMENTAL
                                                            : FV_DDB_EXPORT_FULL;
    out->table_arn = fv_json_str(d, "TableArn");
    out->bucket = fv_json_str(d, "S3Bucket");
    out->bucket_owner = fv_json_str(d, "S3BucketOwner");
    out->prefix = fv_json_str(d, "S3Prefix");
    out->format = fv_json_str(d, "ExportFormat");
    out->client_token = fv_json_str(d, "ClientToken");
    out->manifest = fv_json_str(d, "ExportManifest");
    out->failure_code = fv_json_str(d, "FailureCode");
    out->failure_message = fv_json_str(d, "FailureMessage");
    out->item_count = fv_json_i64(d, "ItemCount", -1);
    out->billed_size_bytes = fv_json_i64(d, "BilledSizeBytes", -1);
    struct json_object *spec = fv_json_get(d, "IncrementalExportSpecification");
    out->view_type = fv_json_str(spec, "ExportViewType");
    fv_status st = fv_json_time_ms(d, "StartTime", "dynamodb", "export", &out->start_ms, err);
    if (st == FV_OK)
        st = fv_json_time_ms(d, "EndTime", "dynamodb", "export", &out->end_ms, err);
    if (st == FV_OK)
        st = fv_json_time_ms(d, "ExportTime", "dynamodb", "export", &out->export_time_ms, err);
    if (st == FV_OK)
        st = fv_json_time_ms(spec, "ExportFromTime", "dynamodb", "export", &out->from_ms, err);
    if (st == FV_OK)
        st = fv_json_time_ms(spec, "ExportToTime", "dynamodb", "export", &out->to_ms, err);
    return st;
}

static fv_status s_request(const struct fv_dynamodb_export_request *req, struct json_object **in,
                           struct fv_error *err)
{
    bool incremental = req->type == FV_DDB_EXPORT_INCREMENTAL;
    if (!req->table_arn || !req->bucket)
        return fv_error_set(err, FV_E_INVALID, "dynamodb export: a table ARN and a bucket needed");
    if (incremental && (req->from_ms <= 0 || req->to_ms <= 0))
        return fv_error_set(err, FV_E_INVALID,
                            "dynamodb export: an incremental export needs "
                            "both window times");
    if (!incremental && (req->from_ms || req->to_ms))
        return fv_error_set(err, FV_E_INVALID, "dynamodb export: a full export has no window");
    struct json_object *o = json_object_new_object();
    fv_json_add_str(o, "TableArn", req->table_arn);
    fv_json_add_str(o, "S3Bucket", req->bucket);
    fv_json_add_str(o, "S3BucketOwner", req->bucket_owner);
    fv_json_add_str(o, "S3Prefix", req->prefix);
    fv_json_add_str(o, "S3SseAlgorithm", req->sse_algorithm);
    fv_json_add_str(o, "S3SseKmsKeyId", req->kms_key_id);
    fv_json_add_str(o, "ExportFormat", req->format ? req->format : "DYNAMODB_JSON");
    fv_json_add_str(o, "ExportType", fv_dynamodb_export_type_str(req->type));
    fv_json_add_str(o, "ClientToken", req->client_token);
    if (incremental) {
        struct json_object *spec = json_object_new_object();
        s_add_time(spec, "ExportFromTime", req->from_ms);
        s_add_time(spec, "ExportToTime", req->to_ms);
        fv_json_add_str(spec, "ExportViewType",
                        req->view_type ? req->view_type : "NEW_AND_OLD_IMAGES");
        json_object_object_add(o, "IncrementalExportSpecification", spec);
    } else if (req->export_time_ms > 0) {
        s_add_time(o, "ExportTime", req->export_time_ms);
    }
    *in = o;
    return FV_OK;
}

fv_status fv_dynamodb_export_start(struct fv_aws_client *c,
                                   const struct fv_dynamodb_export_request *req,
                                   struct fv_dynamodb_export *out, struct fv_error *err)
{
    struct json_object *in = NULL, *resp = NULL;
    memset(out, 0, sizeof(*out));
    fv_status st = s_request(req, &in, err);
    if (st != FV_OK)
        return st;
    st = fv_ddb_notfound(
        fv_aws_json(c, &fv_aws_dynamodb, "ExportTableToPointInTime", in, &resp, err), err);
    json_object_put(in);
    if (st == FV_OK)
        st = s_parse(resp, "ExportTableToPointInTime", out, err);
    json_object_put(resp);
    if (st != FV_OK)
        fv_dynamodb_export_clean_up(out);
    return st;
}

fv_status fv_dynamodb_describe_export(struct fv_aws_client *c, const char *export_arn,
                                      struct fv_dynamodb_export *out, struct fv_error *err)
{
    struct json_object *resp = NULL;
    memset(out, 0, sizeof(*out));
    if (!export_arn)
        return fv_error_set(err, FV_E_INVALID, "dynamodb DescribeExport: no export ARN");
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "ExportArn", export_arn);
    fv_status st =
        fv_ddb_notfound(fv_aws_json(c, &fv_aws_dynamodb, "DescribeExport", in, &resp, err), err);
    json_object_put(in);
    if (st == FV_OK)
        st = s_parse(resp, "DescribeExport", out, err);
    json_object_put(resp);
    if (st != FV_OK)
        fv_dynamodb_export_clean_up(out);
    return st;
}

bool fv_dynamodb_export_is_pitr_gap(const char *code, const char *message)
{
    if (code && strcmp(code, "PointInTimeRecoveryUnavailableException") == 0)
        return true;
    return message && strstr(message, "outside PITR window") != NULL;
}

/* QuickSight asset bundles: export and import jobs, and the download of an
 * exported bundle from its presigned DownloadUrl (streamed, unsigned). */
#include "quicksight_internal.h"

#include <fv/http.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- Job statuses and issues --- */

static const char *const s_job_status_names[] = {
    "UNKNOWN",
    "QUEUED_FOR_IMMEDIATE_EXECUTION",
    "IN_PROGRESS",
    "SUCCESSFUL",
    "FAILED",
    "FAILED_ROLLBACK_IN_PROGRESS",
    "FAILED_ROLLBACK_COMPLETED",
    "FAILED_ROLLBACK_ERROR",
};
#define S_N_JOB_STATUS (sizeof(s_job_status_names) / sizeof(s_job_status_names[0]))

const char *fv_quicksight_job_status_str(enum fv_quicksight_job_status s)
{
    return (size_t)s < S_N_JOB_STATUS ? s_job_status_names[s] : "UNKNOWN";
}

bool fv_quicksight_job_status_done(enum fv_quicksight_job_status s)
{
    return s == FV_QS_JOB_SUCCESSFUL || s == FV_QS_JOB_FAILED ||
           s == FV_QS_JOB_FAILED_ROLLBACK_COMPLETED || s == FV_QS_JOB_FAILED_ROLLBACK_ERROR;
}

static enum fv_quicksight_job_status s_job_status(const char *text)
{
    for (size_t i = 1; text && i < S_N_JOB_STATUS; i++)
        if (strcmp(text, s_job_status_names[i]) == 0)
            return (enum fv_quicksight_job_status)i;
    return FV_QS_JOB_UNKNOWN;
}

void fv_quicksight_job_issues_clean_up(struct fv_quicksight_job_issues *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].arn);
        free(l->items[i].type);
        free(l->items[i].message);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static void s_read_issues(struct json_object *obj, const char *key,
                          struct fv_quicksight_job_issues *out)
{
    struct json_object *arr = fv_json_get(obj, key);
    size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
    if (n == 0)
        return;
    out->items = fv_calloc(n, sizeof(*out->items));
    for (size_t i = 0; i < n; i++) {
        struct json_object *it = json_object_array_get_idx(arr, i);
        out->items[out->n].arn = fv_json_str(it, "Arn");
        out->items[out->n].type = fv_json_str(it, "Type");
        out->items[out->n].message = fv_json_str(it, "Message");
        out->n++;
    }
}

/* --- Export --- */

void fv_quicksight_export_job_clean_up(struct fv_quicksight_export_job *j)
{
    if (!j)
        return;
    free(j->job_id);
    free(j->arn);
    free(j->status_text);
    free(j->download_url);
    free(j->export_format);
    fv_quicksight_job_issues_clean_up(&j->errors);
    fv_quicksight_job_issues_clean_up(&j->warnings);
    memset(j, 0, sizeof(*j));
}

static bool s_job_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 512)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

fv_status fv_quicksight_start_export(struct fv_aws_client *c, const char *account_id,
                                     const struct fv_quicksight_export_request *req,
                                     char **job_arn_out, struct fv_error *err)
{
    if (job_arn_out)
        *job_arn_out = NULL;
    if (!s_job_id_ok(req->job_id))
        return fv_error_set(err, FV_E_INVALID,
                            "quicksight StartAssetBundleExportJob: job id must be 1-512 of "
                            "[A-Za-z0-9_-]");
    if (req->n_resource_arns < 1 || req->n_resource_arns > FV_QUICKSIGHT_BUNDLE_ARNS_MAX)
        return fv_error_set(err, FV_E_INVALID,
                            "quicksight StartAssetBundleExportJob: %zu resource ARNs, not 1..%d",
                            req->n_resource_arns, FV_QUICKSIGHT_BUNDLE_ARNS_MAX);
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "AssetBundleExportJobId", req->job_id);
    struct json_object *arns = json_object_new_array_ext((int)req->n_resource_arns);
    for (size_t i = 0; i < req->n_resource_arns; i++)
        json_object_array_add(arns, json_object_new_string(req->resource_arns[i]));
    json_object_object_add(in, "ResourceArns", arns);
    json_object_object_add(in, "IncludeAllDependencies",
                           json_object_new_boolean(req->include_all_dependencies));
    json_object_object_add(in, "IncludePermissions",
                           json_object_new_boolean(req->include_permissions));
    json_object_object_add(in, "IncludeTags", json_object_new_boolean(req->include_tags));
    fv_json_add_str(in, "ExportFormat",
                    req->export_format ? req->export_format : "QUICKSIGHT_JSON");

    struct fv_buf path = {0};
    fv_qs_path(&path, account_id, "/asset-bundle-export-jobs/export", NULL);
    struct json_object *resp = NULL;
    fv_status st =
        fv_qs_call(c, "StartAssetBundleExportJob", "POST", path.ptr, NULL, in, &resp, err);
    if (st == FV_OK && job_arn_out)
        *job_arn_out = fv_json_str(resp, "Arn");
    json_object_put(resp);
    json_object_put(in);
    fv_buf_clean_up(&path);
    return st;
}

/* GET /accounts/<id>/asset-bundle-<kind>-jobs/<job>. */
static fv_status s_describe_job(struct fv_aws_client *c, const char *op, const char *collection,
                                const char *account_id, const char *job_id,
                                struct json_object **resp, struct fv_error *err)
{
    struct fv_buf path = {0};
    fv_qs_path(&path, account_id, collection, job_id, NULL);
    fv_status st = fv_qs_call(c, op, "GET", path.ptr, NULL, NULL, resp, err);
    fv_buf_clean_up(&path);
    if (st == FV_OK && !fv_json_get(*resp, "JobStatus")) {
        json_object_put(*resp);
        *resp = NULL;
        st = fv_error_set(err, FV_E_PARSE, "quicksight %s: no JobStatus in response", op);
    }
    return st;
}

fv_status fv_quicksight_describe_export(struct fv_aws_client *c, const char *account_id,
                                        const char *job_id, struct fv_quicksight_export_job *out,
                                        struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct json_object *resp = NULL;
    fv_status st = s_describe_job(c, "DescribeAssetBundleExportJob", "/asset-bundle-export-jobs",
                                  account_id, job_id, &resp, err);
    if (st != FV_OK)
        return st;
    out->job_id = fv_json_str(resp, "AssetBundleExportJobId");
    out->arn = fv_json_str(resp, "Arn");
    out->status_text = fv_json_str(resp, "JobStatus");
    out->status = s_job_status(out->status_text);
    out->download_url = fv_json_str(resp, "DownloadUrl");
    out->export_format = fv_json_str(resp, "ExportFormat");
    st = fv_json_time_ms(resp, "CreatedTime", "quicksight", "DescribeAssetBundleExportJob",
                         &out->created_ms, err);
    s_read_issues(resp, "Errors", &out->errors);
    s_read_issues(resp, "Warnings", &out->warnings);
    json_object_put(resp);
    if (st != FV_OK)
        fv_quicksight_export_job_clean_up(out);
    return st;
}

/* --- Import --- */

void fv_quicksight_import_job_clean_up(struct fv_quicksight_import_job *j)
{
    if (!j)
        return;
    free(j->job_id);
    free(j->arn);
    free(j->status_text);
    free(j->failure_action);
    fv_quicksight_job_issues_clean_up(&j->errors);
    fv_quicksight_job_issues_clean_up(&j->rollback_errors);
    fv_quicksight_job_issues_clean_up(&j->warnings);
    memset(j, 0, sizeof(*j));
}

/* Appends s as a JSON string literal. */
static void s_json_string(struct fv_buf *b, const char *s)
{
    struct json_object *v = json_object_new_string(s);
    fv_buf_append_str(b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    json_object_put(v);
}

/* The request body, written out directly: the bundle's base64 (up to 28 MB)
 * is appended once rather than held in a json-c string and serialised (and
 * '/'-escaped) again. */
static fv_status s_import_body(const struct fv_quicksight_import_request *req, struct fv_buf *out,
                               struct fv_error *err)
{
    struct json_object *overrides = NULL;
    if (req->override_parameters_json) {
        overrides = json_tokener_parse(req->override_parameters_json);
        if (!overrides || !json_object_is_type(overrides, json_type_object)) {
            json_object_put(overrides);
            return fv_error_set(err, FV_E_INVALID,
                                "quicksight StartAssetBundleImportJob: OverrideParameters is not "
                                "a JSON object");
        }
    }
    fv_buf_append_str(out, "{\"AssetBundleImportJobId\":");
    s_json_string(out, req->job_id);
    fv_buf_append_str(out, ",\"AssetBundleImportSource\":{");
    if (req->s3_uri) {
        fv_buf_append_str(out, "\"S3Uri\":");
        s_json_string(out, req->s3_uri);
    } else {
        fv_buf_append_str(out, "\"Body\":\"");
        char *b64 = fv_malloc(4 * ((req->body.len + 2) / 3) + 1);
        int n = EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)req->body.ptr,
                                (int)req->body.len);
        fv_buf_append(out, b64, (size_t)n);
        free(b64);
        fv_buf_append_char(out, '"');
    }
    fv_buf_append_char(out, '}');
    if (overrides) {
        fv_buf_append_str(out, ",\"OverrideParameters\":");
        fv_buf_append_str(out, json_object_to_json_string_ext(overrides, JSON_C_TO_STRING_PLAIN));
        json_object_put(overrides);
    }
    if (req->failure_action) {
        fv_buf_append_str(out, ",\"FailureAction\":");
        s_json_string(out, req->failure_action);
    }
    fv_buf_append_char(out, '}');
    return FV_OK;
}

fv_status fv_quicksight_start_import(struct fv_aws_client *c, const char *account_id,
                                     const struct fv_quicksight_import_request *req,
                                     char **job_arn_out, struct fv_error *err)
{
    if (job_arn_out)
        *job_arn_out = NULL;
    if (!s_job_id_ok(req->job_id))
        return fv_error_set(err, FV_E_INVALID,
                            "quicksight StartAssetBundleImportJob: job id must be 1-512 of "
                            "[A-Za-z0-9_-]");
    bool has_body = req->body.len > 0;
    if (has_body == (req->s3_uri != NULL))
        return fv_error_set(err, FV_E_INVALID,
                            "quicksight StartAssetBundleImportJob: give exactly one of a body "
                            "and an S3 URI");
    if (req->body.len > FV_QUICKSIGHT_IMPORT_BODY_MAX)
        return fv_error_set(err, FV_E_INVALID,
                            "quicksight StartAssetBundleImportJob: a %zu-byte body is over the "
                            "20 MiB limit; import it from S3",
                            req->body.len);
    struct fv_buf body = {0};
    fv_status st = s_import_body(req, &body, err);
    if (st != FV_OK)
        return st;

    struct fv_buf path = {0};
    fv_qs_path(&path, account_id, "/asset-bundle-import-jobs/import", NULL);
    struct fv_aws_call call = {
        .service = "quicksight",
        .operation = "StartAssetBundleImportJob",
        .protocol = FV_PROTO_REST_JSON,
        .method = "POST",
        .path = path.ptr,
        .body = {body.ptr, body.len},
    };
    fv_headers_add(&call.headers, "Content-Type", "application/json");
    struct fv_aws_response resp = {0};
    st = fv_aws_call_run(c, &call, &resp, err);
    if (st == FV_E_AWS && err && strcmp(err->code, "ResourceNotFoundException") == 0) {
        err->status = FV_E_NOTFOUND;
        st = FV_E_NOTFOUND;
    }
    if (st == FV_OK && job_arn_out) {
        struct json_object *out = json_tokener_parse(fv_buf_str(&resp.body));
        *job_arn_out = fv_json_str(out, "Arn");
        json_object_put(out);
    }
    fv_aws_response_clean_up(&resp);
    fv_aws_call_clean_up(&call);
    fv_buf_clean_up(&path);
    fv_buf_clean_up(&body);
    return st;
}

fv_status fv_quicksight_describe_import(struct fv_aws_client *c, const char *account_id,
                                        const char *job_id, struct fv_quicksight_import_job *out,
                                        struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct json_object *resp = NULL;
    fv_status st = s_describe_job(c, "DescribeAssetBundleImportJob", "/asset-bundle-import-jobs",
                                  account_id, job_id, &resp, err);
    if (st != FV_OK)
        return st;
    out->job_id = fv_json_str(resp, "AssetBundleImportJobId");
    out->arn = fv_json_str(resp, "Arn");
    out->status_text = fv_json_str(resp, "JobStatus");
    out->status = s_job_status(out->status_text);
    out->failure_action = fv_json_str(resp, "FailureAction");
    st = fv_json_time_ms(resp, "CreatedTime", "quicksight", "DescribeAssetBundleImportJob",
                         &out->created_ms, err);
    s_read_issues(resp, "Errors", &out->errors);
    s_read_issues(resp, "RollbackErrors", &out->rollback_errors);
    s_read_issues(resp, "Warnings", &out->warnings);
    json_object_put(resp);
    if (st != FV_OK)
        fv_quicksight_import_job_clean_up(out);
    return st;
}

/* --- Download --- */

struct s_download {
    fv_quicksight_sink_fn *sink;
    void *ud;
    int64_t bytes;
    bool finished;
    bool failed;
    struct fv_error err;
};

static size_t s_download_write(void *ud, const char *data, size_t n)
{
    struct s_download *d = ud;
    size_t w = d->sink(d->ud, data, n);
    if (w == n)
        d->bytes += (int64_t)n;
    return w;
}

static void s_download_done(void *ud, struct fv_http_response *resp, const struct fv_error *err)
{
    (void)resp;
    struct s_download *d = ud;
    d->finished = true;
    if (err) {
        d->err = *err;
        d->failed = true;
    }
}

/* Cuts the query (the signature) out of every copy of url in msg. */
static void s_redact(char *msg, const char *url)
{
    const char *q = strchr(url, '?');
    if (!q)
        return;
    size_t base = (size_t)(q - url);
    char *p = msg;
    while ((p = strchr(p, '?')) != NULL) {
        if ((size_t)(p - msg) >= base && strncmp(p - base, url, base) == 0) {
            char *end = p + strcspn(p, " \t\"'");
            memmove(p, end, strlen(end) + 1);
        } else {
            p++;
        }
    }
}

fv_status fv_quicksight_download_bundle(struct fv_aws_client *c, const char *download_url,
                                        fv_quicksight_sink_fn *sink, void *ud, int64_t *bytes_out,
                                        struct fv_error *err)
{
    if (bytes_out)
        *bytes_out = 0;
    if (!download_url || !sink)
        return fv_error_set(err, FV_E_INVALID, "quicksight bundle download: no URL or sink");
    fv_status checked = fv_aws_client_check_download_url(c, download_url, err);
    if (checked != FV_OK)
        return checked;
    struct s_download d = {.sink = sink, .ud = ud};
    struct fv_http_request req = {
        .method = "GET",
        .url = download_url,
        .write_body = s_download_write,
        .write_ud = &d,
    };
    struct fv_http_response resp = {0};
    struct fv_http_engine *engine = fv_aws_client_engine(c);
    fv_http_engine_submit(engine, &req, &resp, s_download_done, &d);
    while (!d.finished)
        fv_http_engine_poll(engine, 1000);

    fv_status st = FV_OK;
    if (d.failed) {
        s_redact(d.err.message, download_url);
        if (err)
            *err = d.err;
        st = d.err.status;
    } else if (resp.status < 200 || resp.status > 299) {
        struct fv_error local;
        struct fv_error *e = err ? err : &local;
        fv_awsproto_decode_error(FV_PROTO_REST_XML, resp.status, &resp.headers,
                                 (struct fv_cur){resp.body.ptr, resp.body.len}, e);
        if (resp.status == 403) {
            char detail[sizeof(e->message)];
            snprintf(detail, sizeof(detail), "%s", e->message);
            snprintf(e->code, sizeof(e->code), "%s", FV_QUICKSIGHT_EXPIRED_URL);
            snprintf(e->message, sizeof(e->message),
                     "quicksight bundle download refused (403): %.400s; describe the export "
                     "job again for a fresh DownloadUrl",
                     detail[0] ? detail : "no detail");
            e->retryable = false;
            e->throttle = false;
        }
        s_redact(e->message, download_url);
        st = e->status;
    }
    if (bytes_out)
        *bytes_out = d.bytes;
    fv_http_response_clean_up(&resp);
    fv_http_request_clean_up(&req);
    return st;
}

/* libFuzzer target: every service's response readers — DynamoDB (and the
 * control table on it, the export chains' state there), DynamoDB exports
 * (ExportTableToPointInTime, DescribeExport), SSM (GetParameters, the
 * seed's state import-state reads), QuickSight, S3, STS (GetCallerIdentity, AssumeRole,
 * AssumeRoleWithWebIdentity), the container and IMDS credential endpoints,
 * IAM, CloudWatch Logs, SNS and the tagging API — through the real client
 * (signing, retries off, error decoding) against a local HTTP stub that
 * answers with the fuzzer's bytes. No answer may crash, leak or trip a
 * sanitizer, and what fails fails with a readable error.
 *
 * Input: byte 0 picks the call (and, for the S3 upload, one PutObject or a
 * multipart upload); then the answers, in order, separated by
 * "\n==\n" (a call that makes several requests — pages, a multipart upload,
 * IMDS's token then role then credentials — gets one each; the rest get an
 * empty 200). An answer is a status line ("404"; anything else is 200),
 * header lines, an empty line and the body. */
#include "../unit/stub_http.c"

#include "fuzz_input.h"

#include "aws/creds_internal.h"
#include "aws/sts.h"

#include <fv/control.h>
#include <fv/dynamodb.h>
#include <fv/exports.h>
#include <fv/iam.h>
#include <fv/log.h>
#include <fv/logs.h>
#include <fv/quicksight.h>
#include <fv/s3.h>
#include <fv/sns.h>
#include <fv/ssm.h>
#include <fv/sts.h>
#include <fv/tagging.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A "111111111111"

static struct stub_http *s_stub;
static struct fv_aws_client *s_client;
static struct fv_creds_provider *s_creds;
static int s_variant; /* byte 0 / the number of calls, for calls with two forms */

static const char *s_getenv(void *ud, const char *name)
{
    (void)ud;
    if (strcmp(name, "AWS_ENDPOINT_URL") == 0)
        return stub_http_url(s_stub);
    if (strcmp(name, "AWS_EC2_METADATA_SERVICE_ENDPOINT") == 0 ||
        strcmp(name, "AWS_CONTAINER_CREDENTIALS_FULL_URI") == 0)
        return stub_http_url(s_stub);
    return NULL;
}

static void s_init(void)
{
    s_stub = stub_http_start();
    /* Every log line is formatted (that is code under test too), then dropped. */
    fv_log_set_level(FV_LOG_DEBUG);
    fv_log_set_sink(fopen("/dev/null", "w"), true);
    struct fv_credentials key = {.access_key_id = "AKIDFUZZ", .secret_access_key = "fuzz-secret"};
    s_creds = fv_creds_static(&key);
    struct fv_aws_client_options o = {.region = "us-east-1", .creds = s_creds, .getenv = s_getenv};
    o.retry.max_attempts = 1;
    struct fv_error err;
    s_client = fv_aws_client_new(&o, &err);
    if (!s_client)
        abort();
}

static struct fv_creds_env s_env(void)
{
    struct fv_creds_env env;
    fv_creds_env_fill(&env, &(struct fv_creds_env){.getenv = s_getenv});
    return env;
}

/* --- the calls --- */

static struct json_object *s_key(void)
{
    return json_tokener_parse("{\"pk\":{\"S\":\"k\"}}");
}

static void s_ddb_list_tables(struct fv_error *err)
{
    struct fv_dynamodb_table_names t = {0};
    fv_dynamodb_list_tables(s_client, &t, err);
    fv_dynamodb_table_names_clean_up(&t);
}

static void s_ddb_describe_table(struct fv_error *err)
{
    struct fv_dynamodb_table t = {0};
    fv_dynamodb_describe_table(s_client, "t", &t, err);
    fv_dynamodb_table_clean_up(&t);
}

static void s_ddb_restore_table(struct fv_error *err)
{
    struct fv_dynamodb_table t = {0};
    fv_dynamodb_restore_table(s_client, "arn:aws:dynamodb:us-east-1:" A ":table/t/backup/1", "t2",
                              &t, err);
    fv_dynamodb_table_clean_up(&t);
}

static void s_ddb_backup(struct fv_error *err)
{
    const char *arn = "arn:aws:dynamodb:us-east-1:" A ":table/t/backup/1";
    struct fv_dynamodb_backup b = {0};
    fv_dynamodb_create_backup(s_client, "t", "t-20261203T020000Z", &b, err);
    fv_dynamodb_backup_clean_up(&b);
    fv_dynamodb_describe_backup(s_client, arn, &b, err);
    fv_dynamodb_backup_clean_up(&b);
    fv_dynamodb_delete_backup(s_client, arn, &b, err);
    fv_dynamodb_backup_clean_up(&b);
}

static void s_ddb_list_backups(struct fv_error *err)
{
    struct fv_dynamodb_backups l = {0};
    if (fv_dynamodb_list_backups_page(s_client, NULL, NULL, &l, err) == FV_OK)
        for (size_t i = 0; i < l.n; i++)
            if (!l.items[i].arn || l.items[i].created_ms < 0 ||
                l.items[i].created_ms > FV_TIME_MAX_MS)
                abort(); /* a backup has an ARN and a real time */
    fv_dynamodb_backups_clean_up(&l);
}

static void s_ddb_pitr(struct fv_error *err)
{
    struct fv_dynamodb_continuous_backups cb;
    fv_dynamodb_describe_continuous_backups(s_client, "t", &cb, err);
}

static void s_ddb_items(struct fv_error *err)
{
    struct json_object *key = s_key(), *out = NULL;
    fv_dynamodb_get_item(s_client, "t", key, true, &out, err);
    json_object_put(out);
    out = NULL;
    struct fv_dynamodb_expr expr = {.update = "SET a = :a"};
    fv_dynamodb_update_item(s_client, "t", key, &expr, "ALL_NEW", &out, err);
    json_object_put(out);
    out = NULL;
    struct json_object *items =
        json_tokener_parse("{\"t\":[{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"k\"}}}}]}");
    fv_dynamodb_batch_write(s_client, items, &out, err);
    json_object_put(out);
    json_object_put(items);
    items = json_tokener_parse("[{\"Put\":{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"k\"}}}}]");
    fv_dynamodb_transact_write(s_client, items, err);
    fv_dynamodb_is_transaction_cancelled(err);
    json_object_put(items);
    json_object_put(key);
}

static void s_ddb_read_page(struct fv_error *err)
{
    struct fv_dynamodb_read req = {.table = "t", .limit = 10};
    struct fv_dynamodb_page p = {0};
    fv_dynamodb_read_page(s_client, &req, "{\"pk\":{\"S\":\"k\"}}", &p, err);
    fv_dynamodb_page_clean_up(&p);
}

static int64_t s_clock_ms(void *ud)
{
    (void)ud;
    return 1764727200000LL;
}

static void s_no_sleep(void *ud, int64_t ms)
{
    (void)ud;
    (void)ms;
}

static void s_control(struct fv_error *err)
{
    bool fresh = false, got = false;
    struct json_object *item = NULL;
    if (fv_control_claim(s_client, "ctl", "task-1", "w1", 1767319200, &fresh, &item, err) ==
            FV_OK &&
        item)
        fv_control_item_str(item, "backup_arn");
    json_object_put(item);
    char *held_by = NULL;
    struct fv_control_fence f = {.table = "ctl", .name = "coordinator", .holder = "c1"};
    fv_control_fence_acquire(s_client, &f, 1764727200, 60, &got, &held_by, err);
    free(held_by);
    /* backup records (BatchGetItem, unprocessed keys asked for again) and TTL */
    const struct fv_clock clock = {s_clock_ms, s_clock_ms, s_no_sleep, NULL};
    const char *arns[] = {"arn:aws:dynamodb:us-east-1:111111111111:table/t/backup/01",
                          "arn:aws:dynamodb:us-east-1:111111111111:table/t/backup/02"};
    struct fv_control_backup recs[2] = {{0}};
    fv_control_backup_get(s_client, "ctl", &clock, arns, 2, recs, err);
    fv_control_backup_clean_up(&recs[0]);
    fv_control_backup_clean_up(&recs[1]);
    char *status = NULL, *attr = NULL;
    fv_dynamodb_describe_ttl(s_client, "ctl", &status, &attr, err);
    free(status);
    free(attr);
}

static void s_qs_identities(struct fv_error *err)
{
    struct fv_quicksight_users users = {0};
    fv_quicksight_list_users(s_client, A, "default", NULL, &users, err);
    fv_quicksight_users_clean_up(&users);
    struct fv_quicksight_user u = {0};
    fv_quicksight_describe_user(s_client, A, "default", "ann", &u, err);
    fv_quicksight_user_clean_up(&u);
    struct fv_quicksight_groups groups = {0};
    fv_quicksight_list_groups(s_client, A, "default", NULL, &groups, err);
    fv_quicksight_groups_clean_up(&groups);
    struct fv_quicksight_group g = {0};
    fv_quicksight_describe_group(s_client, A, "default", "g", &g, err);
    fv_quicksight_group_clean_up(&g);
    struct fv_quicksight_members m = {0};
    fv_quicksight_list_group_memberships(s_client, A, "default", "g", NULL, &m, err);
    fv_quicksight_members_clean_up(&m);
}

static void s_qs_create(struct fv_error *err)
{
    bool created;
    struct fv_quicksight_register_user req = {.identity_type = "QUICKSIGHT",
                                              .email = "a@example.com",
                                              .user_role = "READER",
                                              .user_name = "ann"};
    fv_quicksight_register_user(s_client, A, "default", &req, &created, err);
    fv_quicksight_create_group(s_client, A, "default", "g", NULL, &created, err);
    fv_quicksight_create_group_membership(s_client, A, "default", "g", "ann", err);
}

static void s_qs_assets(struct fv_error *err)
{
    fv_status (*lists[])(struct fv_aws_client *, const char *,
                         const struct fv_quicksight_list_options *, struct fv_quicksight_assets *,
                         struct fv_error *) = {
        fv_quicksight_list_data_sets, fv_quicksight_list_data_sources, fv_quicksight_list_analyses,
        fv_quicksight_list_dashboards};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        struct fv_quicksight_assets l = {0};
        lists[i](s_client, A, NULL, &l, err);
        fv_quicksight_assets_clean_up(&l);
    }
    bool is_file;
    fv_quicksight_data_set_is_file(s_client, A, "ds", &is_file, err);
}

static void s_qs_bundles(struct fv_error *err)
{
    const char *arns[] = {"arn:aws:quicksight:us-east-1:" A ":dashboard/d"};
    struct fv_quicksight_export_request ex = {
        .job_id = "j", .resource_arns = arns, .n_resource_arns = 1};
    char *job_arn = NULL;
    fv_quicksight_start_export(s_client, A, &ex, &job_arn, err);
    free(job_arn);
    job_arn = NULL;
    struct fv_quicksight_export_job ej = {0};
    fv_quicksight_describe_export(s_client, A, "j", &ej, err);
    fv_quicksight_export_job_clean_up(&ej);
    struct fv_quicksight_import_request im = {.job_id = "j", .body = FV_CUR_STR("PK")};
    fv_quicksight_start_import(s_client, A, &im, &job_arn, err);
    free(job_arn);
    struct fv_quicksight_import_job ij = {0};
    fv_quicksight_describe_import(s_client, A, "j", &ij, err);
    fv_quicksight_import_job_clean_up(&ij);
}

static fv_status s_sink(void *ud, const char *data, size_t n, struct fv_error *err)
{
    (void)ud, (void)data, (void)n, (void)err;
    return FV_OK;
}

static fv_status s_read16(void *ud, char *dst, size_t cap, size_t *got, struct fv_error *err)
{
    (void)err;
    int *left = ud;
    *got = *left > 0 && cap > 0 ? 1 : 0;
    if (*got) {
        dst[0] = 'x';
        (*left)--;
    }
    return FV_OK;
}

static void s_s3_objects(struct fv_error *err)
{
    struct fv_s3_upload_result up = {0};
    fv_s3_put_object(s_client, "bkt", "a/b c", FV_CUR_STR("data"), NULL, &up, err);
    fv_s3_upload_result_clean_up(&up);
    struct fv_s3_get_result get = {0};
    fv_s3_get_object(s_client, "bkt", "a/b c", s_sink, NULL, &get, err);
    fv_s3_get_result_clean_up(&get);
    struct fv_s3_object_info info = {0};
    fv_s3_head_object(s_client, "bkt", "a/b c", &info, err);
    fv_s3_object_info_clean_up(&info);
    fv_s3_delete_object(s_client, "bkt", "a/b c", err);
}

static void s_s3_multipart(struct fv_error *err)
{
    int left = 16;
    /* 16 bytes: multipart above a threshold of 1, one PutObject below 64. */
    struct fv_s3_upload req = {.bucket = "bkt",
                               .key = "k",
                               .read = s_read16,
                               .read_ud = &left,
                               .multipart_threshold = s_variant ? 64 : 1};
    struct fv_s3_upload_result up = {0};
    fv_s3_upload(s_client, &req, &up, err);
    fv_s3_upload_result_clean_up(&up);
}

static void s_s3_list(struct fv_error *err)
{
    struct fv_s3_list req = {.prefix = "p/", .delimiter = "/"};
    struct fv_s3_objects l = {0};
    fv_s3_list_objects_page(s_client, "bkt", &req, NULL, &l, err);
    fv_s3_objects_clean_up(&l);
}

static void s_sts(struct fv_error *err)
{
    struct fv_caller_identity id = {0};
    fv_sts_get_caller_identity(s_client, &id, err);
    fv_caller_identity_clean_up(&id);
    struct fv_creds_env env = s_env();
    struct fv_credentials c = {0};
    if (fv_sts_assume_role(s_creds, "us-east-1", "arn:aws:iam::" A ":role/r", "ext", "s", 0, &env,
                           &c, err) == FV_OK &&
        (!c.access_key_id || !c.secret_access_key || c.expiration < 0))
        abort();
    fv_credentials_clean_up(&c);
    if (fv_sts_assume_role_with_web_identity("us-east-1", "arn:aws:iam::" A ":role/r", "s", "token",
                                             &env, &c, err) == FV_OK &&
        (!c.access_key_id || !c.secret_access_key || c.expiration < 0))
        abort();
    fv_credentials_clean_up(&c);
}

/* A credential endpoint provider: one fetch, through the shared JSON reader. */
static void s_endpoint_creds(bool imds, struct fv_error *err)
{
    struct fv_creds_env env = s_env();
    struct fv_creds_provider *p = NULL;
    if (imds)
        p = fv_creds_imds_new(&env);
    else if (fv_creds_container_from_env(&env, &p, err) != FV_OK)
        return;
    struct fv_credentials c = {0};
    if (p && fv_creds_get(p, &c, err) == FV_OK && (!c.access_key_id || !c.secret_access_key))
        abort();
    fv_credentials_clean_up(&c);
    fv_creds_unref(p);
}

static void s_container(struct fv_error *err)
{
    s_endpoint_creds(false, err);
}

static void s_imds(struct fv_error *err)
{
    s_endpoint_creds(true, err);
}

static void s_iam(struct fv_error *err)
{
    struct fv_iam_principals l = {0};
    fv_iam_list_users(s_client, NULL, &l, err);
    fv_iam_principals_clean_up(&l);
    fv_iam_list_roles(s_client, NULL, &l, err);
    fv_iam_principals_clean_up(&l);
    char *doc = NULL;
    fv_iam_get_role_policy(s_client, "r", "p", &doc, err);
    free(doc);
    doc = NULL;
    fv_iam_get_user_policy(s_client, "u", "p", &doc, err);
    free(doc);
    fv_iam_put_role_policy(s_client, "r", "p", "{}", err);
}

static void s_logs_sns(struct fv_error *err)
{
    fv_logs_create_group(s_client, "/fv", err);
    fv_logs_create_stream(s_client, "/fv", "s", err);
    struct fv_log_event ev[2] = {{.timestamp_ms = 1764727200000, .message = "a"},
                                 {.timestamp_ms = 1764727200001, .message = "b"}};
    struct fv_logs_put_result r = {0};
    if (fv_logs_put_events(s_client, "/fv", "s", ev, 2, &r, err) == FV_OK && r.rejected > 2)
        abort(); /* never more refused than sent */
    char *id = NULL;
    fv_sns_publish(s_client, "arn:aws:sns:us-east-1:" A ":t", "subject", "message", &id, err);
    free(id);
}

static void s_tagging(struct fv_error *err)
{
    const char *types[] = {"dynamodb:table"};
    struct fv_tagging_query q = {.resource_types = types, .n_resource_types = 1};
    struct fv_tagged_resources l = {0};
    if (fv_tagging_get_resources_page(s_client, &q, NULL, &l, err) == FV_OK)
        for (size_t i = 0; i < l.n; i++)
            if (!l.items[i].arn || fv_tagged_resource_tag(&l.items[i], "backup") == (void *)1)
                abort(); /* a resource has an ARN; its tags can be looked up */
    fv_tagged_resources_clean_up(&l);
}

/* ExportTableToPointInTime (variant 0 a full export, 1 a window), then
 * DescribeExport: a description read is one of an export (its ARN) with
 * times a chain can use. */
static void s_ddb_exports(struct fv_error *err)
{
    const char *table = "arn:aws:dynamodb:us-east-1:" A ":table/t";
    struct fv_dynamodb_export_request req = {.table_arn = table, .bucket = "b", .prefix = "p"};
    if (s_variant) {
        req.type = FV_DDB_EXPORT_INCREMENTAL;
        req.from_ms = INT64_C(1764727200000);
        req.to_ms = req.from_ms + 900000;
    }
    struct fv_dynamodb_export e;
    for (int call = 0; call < 2; call++) {
        fv_status st = call == 0 ? fv_dynamodb_export_start(s_client, &req, &e, err)
                                 : fv_dynamodb_describe_export(s_client, table, &e, err);
        if (st != FV_OK)
            continue;
        if (!e.arn || e.start_ms < 0 || e.end_ms < 0 || e.export_time_ms < 0 || e.from_ms < 0 ||
            e.to_ms < 0)
            abort();
        fv_dynamodb_export_clean_up(&e);
    }
}

/* GetParameters, then a seed deployment's state imported (GetParameters,
 * the chain read, its conditional write; variant 1 over an existing one). */
static void s_ssm(struct fv_error *err)
{
    const char *names[] = {"/incremental-export/a/full-export-time",
                           "/incremental-export/a/workflow-state"};
    struct fv_ssm_parameters p;
    if (fv_ssm_get_parameters(s_client, names, 2, &p, err) == FV_OK) {
        if (p.n_invalid > 0 && !p.invalid)
            abort();
        fv_ssm_parameters_value(&p, names[0]);
        fv_ssm_parameters_clean_up(&p);
    }
    struct fv_export_key key = {"ex", A, "us-east-1", "t"};
    struct fv_export_state s = {0};
    if (fv_export_import_seed(s_client, s_client, "ctl", &key, "a", s_variant,
                              INT64_C(1764727200000), &s, err) == FV_OK &&
        (!s.job || !s.table || s.version < 1))
        abort();
    fv_export_state_clean_up(&s);
}

/* A chain read, and every chain of a job listed: whatever the items, a
 * chain names its table and has a version. */
static void s_export_state(struct fv_error *err)
{
    struct fv_export_key key = {"ex", A, "us-east-1", "t"};
    struct fv_export_state s = {0};
    if (fv_export_state_get(s_client, "ctl", &key, &s, err) == FV_OK &&
        (!s.job || !s.account || !s.region || !s.table || s.version < 0))
        abort();
    fv_export_state_clean_up(&s);
    struct fv_export_states l = {0};
    if (fv_export_state_list(s_client, "ctl", s_variant ? NULL : "ex", &l, err) == FV_OK)
        for (size_t i = 0; i < l.n; i++)
            if (!l.items[i].job || !l.items[i].table || l.items[i].version < 0)
                abort();
    fv_export_states_clean_up(&l);
}

static void (*const s_calls[])(struct fv_error *err) = {
    s_ddb_list_tables,
    s_ddb_describe_table,
    s_ddb_restore_table,
    s_ddb_backup,
    s_ddb_list_backups,
    s_ddb_pitr,
    s_ddb_items,
    s_ddb_read_page,
    s_control,
    s_qs_identities,
    s_qs_create,
    s_qs_assets,
    s_qs_bundles,
    s_s3_objects,
    s_s3_multipart,
    s_s3_list,
    s_sts,
    s_container,
    s_imds,
    s_iam,
    s_logs_sns,
    s_tagging,
    s_ddb_exports,
    s_ssm,
    s_export_state,
};

/* One stub route per answer, used once each, in order. */
static void s_answer(struct fv_cur a)
{
    struct fv_cur status_line = fuzz_take(&a, "\n");
    char status_text[8] = {0};
    memcpy(status_text, status_line.ptr, status_line.len < 7 ? status_line.len : 7);
    int64_t status;
    if (!fv_parse_i64(status_text, &status) || status < 200 || status > 599)
        status = 200;
    struct fv_headers h = {0};
    struct fv_cur body;
    fuzz_answer(a, &h, &body);
    /* The stub owns the framing: its own length, no encodings. */
    fv_headers_remove(&h, "Content-Length");
    fv_headers_remove(&h, "Transfer-Encoding");
    fv_headers_remove(&h, "Content-Encoding");
    fv_headers_remove(&h, "Connection");
    const char **list = fv_calloc(2 * h.n + 1, sizeof(*list));
    for (size_t i = 0; i < h.n; i++) {
        list[2 * i] = h.items[i].name;
        list[2 * i + 1] = h.items[i].value;
    }
    char *text = fv_strndup(body.ptr, body.len);
    stub_http_add(s_stub, &(struct stub_http_route){
                              .status = (int)status, .body = text, .headers = list, .times = 1});
    free(text);
    free(list);
    fv_headers_clean_up(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_stub)
        s_init();
    if (size < 1 || size > 65536)
        return 0;
    stub_http_reset(s_stub);
    struct fv_cur in = {(const char *)data + 1, size - 1};
    for (int i = 0; i < 8 && in.len; i++)
        s_answer(fuzz_take(&in, "\n==\n"));
    stub_http_add(s_stub, &(struct stub_http_route){.status = 200});
    struct fv_error err = {0};
    size_t n = sizeof(s_calls) / sizeof(s_calls[0]);
    s_variant = data[0] / n % 2;
    s_calls[data[0] % n](&err);
    fuzz_check_error(&err);
    return 0;
}

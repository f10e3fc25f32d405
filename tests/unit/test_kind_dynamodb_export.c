/* dynamodb.export through the handler seam, against a stub AWS (answers by
 * X-Amz-Target) and an injected clock: what the export request carries
 * (all from the job), the deterministic ClientToken across redelivery, the
 * wait as a delayed follow-up at the job's poll interval, the chain advanced
 * once (a lost race advances nothing), a PITR gap recorded with a remedy,
 * and the step guard (a paused or moved chain exports nothing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler.h"
#include "stub_http.c"

#include <fv/contract.h>
#include <fv/export_notice.h>
#include <fv/naming.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define A "111111111111"
#define CENTRAL "999999999999"
#define T0 INT64_C(1764770400000) /* the window's start: 2025-12-03T14:00:00Z */
#define W INT64_C(900000)         /* 15 minutes */
#define NOW (T0 + 2 * W + 60000)  /* the window is due, and one more */
#define EXPORT_ARN "arn:aws:dynamodb:us-east-1:" A ":table/orders/export/01"
#define CHAIN_ARN "arn:aws:dynamodb:us-east-1:" A ":table/orders/export/00"
#define DDB(op) "DynamoDB_20120810." op

void fv_kind_dynamodb_export(struct fv_handler_ctx *ctx);

static const char *s_config_plain =
    "{\"region\":\"us-east-1\",\"central\":{\"account\":\"" CENTRAL "\",\"bucket\":\"central-b\"},"
    "\"aws\":{\"max_attempts\":1},"
    "\"accounts\":[{\"id\":\"" A "\"}],"
    "\"jobs\":[{\"name\":\"ex\",\"type\":\"dynamodb_exports\",\"poll_interval_s\":30,"
    "\"s3\":{\"sse_kms_key_id\":\"arn:aws:kms:us-east-1:" CENTRAL ":key/k1\"}}]}";
/* The same job keeping 7 days of exports. */
static const char *s_config_retention =
    "{\"region\":\"us-east-1\",\"central\":{\"account\":\"" CENTRAL "\",\"bucket\":\"central-b\"},"
    "\"aws\":{\"max_attempts\":1},"
    "\"accounts\":[{\"id\":\"" A "\"}],"
    "\"jobs\":[{\"name\":\"ex\",\"type\":\"dynamodb_exports\",\"poll_interval_s\":30,"
    "\"retention_days\":7,\"full_export_every_days\":7}]}";
static const char *s_config = NULL; /* the group's */

struct s_fixture {
    struct stub_http *stub;
    struct fv_config cfg;
    struct fv_fleet *fleet;
    struct fv_http_engine *engine;
    struct fv_fleet_clients *clients;
    int64_t now;
};

static int64_t s_now(void *ud)
{
    return ((struct s_fixture *)ud)->now;
}
static void s_sleep(void *ud, int64_t ms)
{
    ((struct s_fixture *)ud)->now += ms;
}

static int s_setup(void **state)
{
    struct s_fixture *f = calloc(1, sizeof(*f));
    f->stub = stub_http_start();
    f->now = NOW;
    setenv("AWS_ENDPOINT_URL", stub_http_url(f->stub), 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    struct fv_error err;
    struct json_object *doc = json_tokener_parse(s_config ? s_config : s_config_plain);
    if (fv_config_from_doc("t.json", doc, &f->cfg, &err) != FV_OK)
        fail_msg("%s", err.message);
    json_object_put(doc);
    f->fleet = fv_fleet_new(&f->cfg, &err);
    assert_non_null(f->fleet);
    f->engine = fv_fleet_engine_new(f->fleet);
    f->clients = fv_fleet_clients_new(f->fleet, f->engine);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    struct s_fixture *f = *state;
    fv_fleet_clients_destroy(f->clients);
    fv_http_engine_destroy(f->engine);
    fv_fleet_destroy(f->fleet);
    fv_config_clean_up(&f->cfg);
    stub_http_stop(f->stub);
    free(f);
    return 0;
}

/* The chain's item as GetItem returns it. */
static char *s_state_item(const char *initiated, int64_t last_ms, const char *action,
                          const char *last_arn, int version)
{
    struct fv_buf b = {0};
    fv_buf_printf(&b,
                  "{\"Item\":{\"pk\":{\"S\":\"export#ex#" A "#us-east-1#orders\"},"
                  "\"job\":{\"S\":\"ex\"},\"account\":{\"S\":\"" A "\"},"
                  "\"region\":{\"S\":\"us-east-1\"},\"table\":{\"S\":\"orders\"},"
                  "\"workflow-initiated\":{\"S\":\"%s\"},"
                  "\"full-export-time\":{\"N\":\"%lld\"},"
                  "\"last-incremental-export-time\":{\"N\":\"%lld\"},"
                  "\"workflow-state\":{\"S\":\"NORMAL\"},\"workflow-action\":{\"S\":\"%s\"},"
                  "\"chain-id\":{\"S\":\"" CHAIN_ARN "\"}%s%s%s,"
                  "\"version\":{\"N\":\"%d\"}}}",
                  initiated, (long long)(T0 - 4 * W), (long long)last_ms, action,
                  last_arn ? ",\"last-export-arn\":{\"S\":\"" : "", last_arn ? last_arn : "",
                  last_arn ? "\"}" : "", version);
    return fv_buf_detach(&b);
}

static char *s_export(const char *status, const char *extra)
{
    struct fv_buf b = {0};
    fv_buf_printf(&b,
                  "{\"ExportDescription\":{\"ExportArn\":\"" EXPORT_ARN
                  "\",\"ExportStatus\":\"%s\","
                  "\"ExportType\":\"INCREMENTAL_EXPORT\",\"StartTime\":%lld.5,"
                  "\"S3Bucket\":\"central-b\"%s}}",
                  status, (long long)(NOW / 1000), extra ? extra : "");
    return fv_buf_detach(&b);
}

static void s_route(struct s_fixture *f, const char *op, const char *body, int times)
{
    stub_http_add(f->stub, &(struct stub_http_route){
                               .method = "POST", .target = op, .body = body, .times = times});
}

static void s_error_route(struct s_fixture *f, const char *op, const char *code, const char *msg)
{
    struct fv_buf b = {0};
    fv_buf_printf(&b, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#%s\",\"message\":\"%s\"}",
                  code, msg);
    stub_http_add(f->stub, &(struct stub_http_route){
                               .method = "POST", .target = op, .status = 400, .body = b.ptr});
    fv_buf_clean_up(&b);
}

/* The incremental window [T0, T0 + W) of table orders at step; with
 * full_ms, instead the full export at full_ms (the chain's CHAIN_ARN). */
static void s_task_of(struct fv_task *t, const char *step, int64_t full_ms)
{
    struct fv_task tmpl = {.task_id = "0123456789abcdef0123456789abcdef",
                           .run_id = "ex-20251203T143100Z",
                           .job = "ex",
                           .kind = "dynamodb.export",
                           .account = A,
                           .region = "us-east-1",
                           .resource = "orders",
                           .step = (char *)step,
                           .attempt = 1};
    fv_task_copy(t, &tmpl);
    char v[32];
    if (full_ms) {
        snprintf(v, sizeof(v), "%lld", (long long)full_ms);
        fv_task_set_param(t, "export_time_ms", v);
        fv_task_set_param(t, "export_arn", CHAIN_ARN);
        return;
    }
    snprintf(v, sizeof(v), "%lld", (long long)T0);
    fv_task_set_param(t, "from_ms", v);
    snprintf(v, sizeof(v), "%lld", (long long)(T0 + W));
    fv_task_set_param(t, "to_ms", v);
    fv_task_set_param(t, "blocks_behind", "1");
    fv_task_set_param(t, "chain_id", CHAIN_ARN);
    if (strcmp(step, "wait") == 0)
        fv_task_set_param(t, "export_arn", EXPORT_ARN);
}

static void s_task(struct fv_task *t, const char *step)
{
    s_task_of(t, step, 0);
}

/* Runs the handler on t; r is the caller's (clean up), *follow (caller
 * frees, may be NULL) the follow-up. */
static void s_run(struct s_fixture *f, const struct fv_task *t, struct fv_result *r,
                  struct fv_task **follow)
{
    struct fv_error err;
    struct fv_task_scope scope;
    if (fv_task_validate(t, &err) != FV_OK || fv_task_authorize(&f->cfg, t, &scope, &err) != FV_OK)
        fail_msg("%s", err.message);
    struct fv_clock clock = {s_now, s_now, s_sleep, f};
    fv_result_for_task(r, t);
    r->status = FV_RESULT_SUCCEEDED;
    struct fv_handler_ctx ctx = {.task = t,
                                 .scope = &scope,
                                 .fleet = f->fleet,
                                 .clients = f->clients,
                                 .cfg = &f->cfg,
                                 .worker_name = "w",
                                 .result = r,
                                 .clock = &clock,
                                 .rand = fv_rand_system()};
    fv_kind_dynamodb_export(&ctx);
    *follow = ctx.follow_up;
}

static struct json_object *s_body(struct s_fixture *f, const char *op, size_t nth)
{
    size_t seen = 0;
    for (size_t i = 0; i < stub_http_count(f->stub); i++) {
        const struct stub_http_req *q = stub_http_req(f->stub, i);
        const char *t = fv_headers_get(&q->headers, "X-Amz-Target");
        if (t && strcmp(t, op) == 0 && seen++ == nth)
            return json_tokener_parse(q->body.ptr);
    }
    return NULL;
}

static size_t s_count(struct s_fixture *f, const char *op)
{
    size_t n = 0;
    for (size_t i = 0; i < stub_http_count(f->stub); i++) {
        const char *t = fv_headers_get(&stub_http_req(f->stub, i)->headers, "X-Amz-Target");
        n += t && strcmp(t, op) == 0;
    }
    return n;
}

static const char *s_get(struct json_object *o, const char *path)
{
    struct json_object *v = o;
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save = NULL, *p = strtok_r(buf, ".", &save); p && v; p = strtok_r(NULL, ".", &save))
        if (!json_object_object_get_ex(v, p, &v))
            v = NULL;
    return v ? json_object_get_string(v) : NULL;
}

static const char *s_extra(const struct fv_result *r, const char *k)
{
    assert_int_equal(r->n_outputs, 1);
    for (size_t i = 0; i < r->outputs[0].n_extra; i++)
        if (strcmp(r->outputs[0].extra[i].key, k) == 0)
            return r->outputs[0].extra[i].value;
    return NULL;
}

static void test_start_asks_for_the_jobs_export_and_waits_later(void **state)
{
    struct s_fixture *f = *state;
    stub_http_reset(f->stub);
    char *item = s_state_item("true", T0, "RUN", NULL, 3);
    char *running = s_export("IN_PROGRESS", NULL);
    s_route(f, DDB("GetItem"), item, 0);
    s_route(f, DDB("ExportTableToPointInTime"), running, 0);
    struct fv_task t;
    s_task(&t, "start");
    struct fv_result r;
    struct fv_task *next = NULL;
    s_run(f, &t, &r, &next);
    assert_non_null(next); /* no final result: a follow-up */
    assert_string_equal(next->step, "wait");
    assert_string_equal(fv_task_param(next, "export_arn"), EXPORT_ARN);
    assert_int_equal(next->not_before_ms, NOW + 30000); /* the job's poll_interval_s */

    struct json_object *req = s_body(f, DDB("ExportTableToPointInTime"), 0);
    assert_non_null(req);
    assert_string_equal(s_get(req, "TableArn"), "arn:aws:dynamodb:us-east-1:" A ":table/orders");
    assert_string_equal(s_get(req, "S3Bucket"), "central-b"); /* central.bucket */
    assert_string_equal(s_get(req, "S3BucketOwner"), CENTRAL);
    assert_string_equal(s_get(req, "S3Prefix"), "dynamodb-exports/ex/" A "/us-east-1/orders");
    assert_string_equal(s_get(req, "S3SseAlgorithm"), "KMS");
    assert_string_equal(s_get(req, "S3SseKmsKeyId"), "arn:aws:kms:us-east-1:" CENTRAL ":key/k1");
    assert_string_equal(s_get(req, "ExportType"), "INCREMENTAL_EXPORT");
    assert_string_equal(s_get(req, "ExportFormat"), "DYNAMODB_JSON");
    assert_string_equal(s_get(req, "IncrementalExportSpecification.ExportViewType"),
                        "NEW_AND_OLD_IMAGES");
    assert_int_equal((int64_t)(json_object_get_double(json_object_object_get(
                                   json_object_object_get(req, "IncrementalExportSpecification"),
                                   "ExportFromTime")) *
                               1000),
                     T0);
    char token[FV_NAME_EXPORT_TOKEN_LEN + 1];
    fv_name_export_token("ex", A, "us-east-1", "orders", T0, T0 + W, token);
    assert_string_equal(s_get(req, "ClientToken"), token);
    json_object_put(req);

    /* redelivered: the same token, so the same export */
    struct fv_result r2;
    struct fv_task *next2 = NULL;
    s_run(f, &t, &r2, &next2);
    assert_non_null(next2);
    req = s_body(f, DDB("ExportTableToPointInTime"), 1);
    assert_string_equal(s_get(req, "ClientToken"), token);
    json_object_put(req);
    assert_int_equal(s_count(f, DDB("PutItem")), 0); /* nothing advanced yet */

    fv_task_clean_up(next2);
    free(next2);
    fv_result_clean_up(&r2);
    fv_task_clean_up(next);
    free(next);
    fv_result_clean_up(&r);
    fv_task_clean_up(&t);
    free(item);
    free(running);
}

static void test_completed_advances_the_chain_once(void **state)
{
    struct s_fixture *f = *state;
    stub_http_reset(f->stub);
    char *item = s_state_item("true", T0, "RUN", NULL, 3);
    char *done = s_export("COMPLETED", ",\"EndTime\":1764772500,\"ItemCount\":42,"
                                       "\"ExportManifest\":\"p/manifest-summary.json\"");
    s_route(f, DDB("DescribeExport"), done, 0);
    s_route(f, DDB("GetItem"), item, 1);
    s_route(f, DDB("PutItem"), "{}", 0);
    s_route(f, DDB("UpdateItem"), "{}", 0);
    struct fv_task t;
    s_task(&t, "wait");
    struct fv_result r;
    struct fv_task *next = NULL;
    s_run(f, &t, &r, &next);
    assert_null(next);
    assert_int_equal(r.status, FV_RESULT_SUCCEEDED);
    assert_int_equal(s_count(f, DDB("PutItem")), 2);
    /* First the export's record (before the chain moves): where the job's
     * configuration put it, then its id in the table's list. */
    struct json_object *rec = s_body(f, DDB("PutItem"), 0);
    assert_string_equal(s_get(rec, "Item.pk.S"), "exportrec#ex#" A "#us-east-1#orders#01");
    assert_string_equal(s_get(rec, "Item.export_arn.S"), EXPORT_ARN);
    assert_string_equal(s_get(rec, "Item.export_type.S"), "INCREMENTAL");
    assert_string_equal(s_get(rec, "Item.bucket.S"), "central-b");
    assert_string_equal(s_get(rec, "Item.prefix.S"),
                        "dynamodb-exports/ex/" A "/us-east-1/orders/AWSDynamoDB/01/");
    assert_string_equal(s_get(rec, "Item.in_chain.S"), "true");
    assert_null(s_get(rec, "Item.ttl")); /* lives as long as the export */
    char end[32];
    snprintf(end, sizeof(end), "%lld", (long long)(T0 + W));
    assert_string_equal(s_get(rec, "Item.time_ms.N"), end);
    json_object_put(rec);
    assert_int_equal(s_count(f, DDB("DescribeTable")), 0); /* a schema only beside full ones */
    /* retention_days 0: nothing reads the table's list, none is kept */
    assert_int_equal(s_count(f, DDB("UpdateItem")), 0);
    struct json_object *put = s_body(f, DDB("PutItem"), 1);
    char want[32];
    snprintf(want, sizeof(want), "%lld", (long long)(T0 + W));
    assert_string_equal(s_get(put, "Item.last-incremental-export-time.N"), want);
    assert_string_equal(s_get(put, "Item.version.N"), "4");
    assert_non_null(s_get(put, "ConditionExpression")); /* conditional on version 3 */
    json_object_put(put);
    assert_string_equal(s_extra(&r, "export_type"), "INCREMENTAL_EXPORT");
    assert_string_equal(s_extra(&r, "export_arn"), EXPORT_ARN);
    assert_string_equal(s_extra(&r, "blocks_behind"), "1");
    assert_string_equal(s_extra(&r, "end_ms"), "1764772500000");
    assert_null(s_extra(&r, "remedy"));
    /* what the coordinator notifies from it */
    struct fv_export_notice n;
    assert_true(fv_export_notice_from_result(&r, &n));
    assert_true(n.success);
    assert_int_equal(n.type, FV_DDB_EXPORT_INCREMENTAL);
    assert_int_equal(n.blocks_behind, 1);
    assert_int_equal(n.export_from_ms, T0);
    assert_int_equal(n.export_to_ms, T0 + W);
    assert_string_equal(n.table, "orders");
    assert_string_equal(n.execution_id, t.task_id);
    fv_result_clean_up(&r);

    /* Another delivery advanced the chain to exactly here meanwhile: a
     * success, and no second advance. */
    stub_http_reset(f->stub);
    char *advanced = s_state_item("true", T0 + W, "RUN", EXPORT_ARN, 4);
    s_route(f, DDB("DescribeExport"), done, 0);
    s_route(f, DDB("GetItem"), advanced, 0);
    s_route(f, DDB("PutItem"), "{}", 0);
    s_route(f, DDB("UpdateItem"), "{}", 0);
    s_run(f, &t, &r, &next);
    assert_null(next);
    assert_int_equal(r.status, FV_RESULT_SUCCEEDED);
    assert_int_equal(s_count(f, DDB("PutItem")), 1); /* the same record again, no advance */
    rec = s_body(f, DDB("PutItem"), 0);
    assert_string_equal(s_get(rec, "Item.pk.S"), "exportrec#ex#" A "#us-east-1#orders#01");
    json_object_put(rec);
    assert_null(s_extra(&r, "retention_exports_deleted")); /* retention_days 0: none */
    fv_result_clean_up(&r);
    fv_task_clean_up(&t);
    free(item);
    free(advanced);
    free(done);
}

/* An export that COMPLETED after its chain moved on (a reset, another
 * window): recorded (its objects are fleetvault's to delete one day) but as
 * out of the chain, so retention never takes it for a chain's base; the
 * chain is not advanced. */
static void test_an_export_off_the_chain_is_recorded_out_of_it(void **state)
{
    struct s_fixture *f = *state;
    stub_http_reset(f->stub);
    char *moved = s_state_item("true", T0 + 2 * W, "RUN", CHAIN_ARN, 7);
    char *done = s_export("COMPLETED", ",\"EndTime\":1764772500");
    s_route(f, DDB("DescribeExport"), done, 0);
    s_route(f, DDB("GetItem"), moved, 0);
    s_route(f, DDB("PutItem"), "{}", 0);
    s_route(f, DDB("UpdateItem"), "{}", 0);
    struct fv_task t;
    s_task(&t, "wait");
    struct fv_result r;
    struct fv_task *next = NULL;
    s_run(f, &t, &r, &next);
    assert_null(next);
    assert_int_equal(r.status, FV_RESULT_SKIPPED);
    assert_string_equal(r.error_code, "ChainMoved");
    assert_int_equal(s_count(f, DDB("PutItem")), 2); /* the record, twice; no state write */
    struct json_object *first = s_body(f, DDB("PutItem"), 0);
    struct json_object *second = s_body(f, DDB("PutItem"), 1);
    assert_string_equal(s_get(first, "Item.pk.S"), "exportrec#ex#" A "#us-east-1#orders#01");
    assert_string_equal(s_get(second, "Item.pk.S"), "exportrec#ex#" A "#us-east-1#orders#01");
    assert_string_equal(s_get(second, "Item.in_chain.S"), "false");
    json_object_put(first);
    json_object_put(second);
    fv_result_clean_up(&r);
    fv_task_clean_up(&t);
    free(moved);
    free(done);
}

static void test_a_pitr_gap_fails_with_a_remedy(void **state)
{
    struct s_fixture *f = *state;
    stub_http_reset(f->stub);
    char *item = s_state_item("true", T0, "RUN", NULL, 3);
    s_route(f, DDB("GetItem"), item, 0);
    s_error_route(f, DDB("ExportTableToPointInTime"), "InvalidExportTimeException",
                  "Incremental export start time outside PITR window");
    s_route(f, DDB("PutItem"), "{}", 0);
    struct fv_task t;
    s_task(&t, "start");
    struct fv_result r;
    struct fv_task *next = NULL;
    s_run(f, &t, &r, &next);
    assert_null(next);
    assert_int_equal(r.status, FV_RESULT_FAILED);
    assert_string_equal(r.error_code, "PitrGap");
    const char *remedy = s_extra(&r, "remedy");
    assert_non_null(remedy);
    assert_non_null(strstr(remedy, "RESET_WITH_FULL_EXPORT_AGAIN"));
    assert_non_null(
        strstr(remedy, "fleetvault exports reset --config <file> --job ex --table orders"));
    struct fv_export_notice n;
    assert_true(fv_export_notice_from_result(&r, &n));
    assert_false(n.success);
    assert_string_equal(n.remedy, remedy);
    struct json_object *put = s_body(f, DDB("PutItem"), 0);
    assert_non_null(put);
    assert_string_equal(s_get(put, "Item.workflow-state.S"), "PITR_GAP");
    json_object_put(put);
    fv_result_clean_up(&r);
    fv_task_clean_up(&t);
    free(item);
}

static void test_the_step_guard_exports_nothing_off_the_chain(void **state)
{
    struct s_fixture *f = *state;
    const struct {
        const char *initiated, *action;
        int64_t last;
        const char *code;
    } cases[] = {
        {"true", "PAUSE", T0, "Paused"},
        {"true", "RUN", T0 + W, "AlreadyExported"}, /* another run exported it */
        {"true", "RESET_WITH_FULL_EXPORT_AGAIN", T0, "ChainMoved"},
        {"NULL", "RUN", T0, "ChainMoved"},     /* a full export is running */
        {"true", "RUN", T0 - W, "ChainMoved"}, /* not the next window */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        stub_http_reset(f->stub);
        char *item = s_state_item(cases[i].initiated, cases[i].last, cases[i].action, NULL, 5);
        s_route(f, DDB("GetItem"), item, 0);
        struct fv_task t;
        s_task(&t, "start");
        struct fv_result r;
        struct fv_task *next = NULL;
        s_run(f, &t, &r, &next);
        assert_null(next);
        assert_int_equal(r.status, FV_RESULT_SKIPPED);
        assert_string_equal(r.error_code, cases[i].code);
        assert_int_equal(s_count(f, DDB("ExportTableToPointInTime")), 0);
        assert_int_equal(s_count(f, DDB("PutItem")), 0);
        struct fv_export_notice n;
        assert_false(fv_export_notice_from_result(&r, &n)); /* nothing exported, no notice */
        fv_result_clean_up(&r);
        fv_task_clean_up(&t);
        free(item);
    }
}

/* A record item as BatchGetItem returns it. */
static void s_rec(struct fv_buf *b, const char *id, const char *type, int64_t time_ms,
                  const char *bucket, const char *prefix)
{
    fv_buf_printf(
        b,
        "%s{\"pk\":{\"S\":\"exportrec#ex#" A "#us-east-1#orders#%s\"},"
        "\"export_arn\":{\"S\":\"arn:aws:dynamodb:us-east-1:" A ":table/orders/export/%s\"},"
        "\"job\":{\"S\":\"ex\"},\"account\":{\"S\":\"" A "\"},"
        "\"region\":{\"S\":\"us-east-1\"},\"table\":{\"S\":\"orders\"},"
        "\"export_type\":{\"S\":\"%s\"},\"time_ms\":{\"N\":\"%lld\"},"
        "\"bucket\":{\"S\":\"%s\"},\"prefix\":{\"S\":\"%s\"},\"in_chain\":{\"S\":\"true\"}}",
        b->len && b->ptr[b->len - 1] == '}' ? "," : "", id, id, type, (long long)time_ms, bucket,
        prefix);
}

#define DAY INT64_C(86400000)
#define DIR "dynamodb-exports/ex/" A "/us-east-1/orders/AWSDynamoDB/"
#define LIST_XML(keys)                                                                             \
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" keys                    \
    "<IsTruncated>false</IsTruncated></ListBucketResult>"
#define OBJ(k) "<Contents><Key>" k "</Key><Size>3</Size><ETag>\"e\"</ETag></Contents>"

/* With retention_days 7: after the window advanced the chain, the recorded
 * exports of the chain before the base (a full export 10 days old) go —
 * objects under exactly their recorded prefix, then their records — while
 * forged records naming another bucket or another table's prefix are
 * refused and reported, the base chain and the current one stay, and the
 * export still succeeds. */
static void test_retention_deletes_only_recorded_exports_under_the_configured_prefix(void **state)
{
    struct s_fixture *f = *state;
    stub_http_reset(f->stub);
    char *item = s_state_item("true", T0, "RUN", NULL, 3);
    char *done = s_export("COMPLETED", ",\"EndTime\":1764772500");
    struct fv_buf list = {0}, batch = {0};
    fv_buf_printf(&list,
                  "{\"Item\":{\"pk\":{\"S\":\"exportrecs#ex#" A "#us-east-1#orders\"},"
                  "\"exports\":{\"SS\":[\"old\",\"oldi\",\"evil\",\"evil2\",\"mid\",\"00\"]}}}");
    fv_buf_printf(&batch, "{\"Responses\":{\"%s\":[", f->cfg.control_table);
    s_rec(&batch, "old", "FULL", NOW - 30 * DAY, "central-b", DIR "old/");
    s_rec(&batch, "oldi", "INCREMENTAL", NOW - 29 * DAY, "central-b", DIR "oldi/");
    s_rec(&batch, "evil", "FULL", NOW - 40 * DAY, "other-bucket", DIR "evil/");
    s_rec(&batch, "evil2", "INCREMENTAL", NOW - 40 * DAY, "central-b",
          "dynamodb-exports/ex/" A "/us-east-1/payments/AWSDynamoDB/evil2/");
    s_rec(&batch, "mid", "FULL", NOW - 10 * DAY, "central-b", DIR "mid/");
    s_rec(&batch, "00", "FULL", T0 - 4 * W, "central-b", DIR "00/");
    fv_buf_append_str(&batch, "]}}");
    s_route(f, DDB("DescribeExport"), done, 0);
    s_route(f, DDB("GetItem"), item, 1);
    s_route(f, DDB("GetItem"), list.ptr, 1);
    s_route(f, DDB("BatchGetItem"), batch.ptr, 0);
    s_route(f, DDB("PutItem"), "{}", 0);
    s_route(f, DDB("UpdateItem"), "{}", 0);
    s_route(f, DDB("DeleteItem"), "{}", 0);
    const char *ls = "/central-b/";
    stub_http_add(f->stub,
                  &(struct stub_http_route){.method = "GET",
                                            .path = ls,
                                            .body = LIST_XML(OBJ(DIR "old/manifest-summary.json")
                                                                 OBJ(DIR "old/data/a.json.gz")),
                                            .times = 1});
    stub_http_add(f->stub, &(struct stub_http_route){
                               .method = "GET", .path = ls, .body = LIST_XML(""), .times = 1});
    stub_http_add(f->stub,
                  &(struct stub_http_route){.method = "GET",
                                            .path = ls,
                                            .body = LIST_XML(OBJ(DIR "oldi/data/b.json.gz")),
                                            .times = 1});
    stub_http_add(f->stub,
                  &(struct stub_http_route){.method = "GET", .path = ls, .body = LIST_XML("")});
    stub_http_add(f->stub, &(struct stub_http_route){
                               .method = "POST",
                               .path = ls,
                               .body = "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/"
                                       "2006-03-01/\"></DeleteResult>"});
    struct fv_task t;
    s_task(&t, "wait");
    struct fv_result r;
    struct fv_task *next = NULL;
    s_run(f, &t, &r, &next);
    assert_null(next);
    assert_int_equal(r.status, FV_RESULT_SUCCEEDED); /* refusals never fail the export */
    assert_string_equal(s_extra(&r, "retention_exports_deleted"), "2");
    assert_string_equal(s_extra(&r, "retention_objects_deleted"), "3");
    const char *problems = s_extra(&r, "retention_error");
    assert_non_null(problems);
    assert_non_null(strstr(problems, "export/evil: recorded in bucket 'other-bucket'"));
    assert_non_null(strstr(problems, "export/evil2: recorded under prefix"));

    /* what went: exactly the two recorded directories, with Content-MD5 */
    size_t deletes = 0;
    for (size_t i = 0; i < stub_http_count(f->stub); i++) {
        const struct stub_http_req *q = stub_http_req(f->stub, i);
        if (strcmp(q->method, "POST") != 0 || strcmp(q->path, ls) != 0)
            continue;
        assert_non_null(fv_headers_get(&q->headers, "Content-MD5"));
        assert_non_null(strstr(q->query, "delete"));
        const char *want = deletes == 0 ? "<Key>" DIR "old/manifest-summary.json</Key>"
                                          "</Object><Object><Key>" DIR "old/data/a.json.gz</Key>"
                                        : "<Key>" DIR "oldi/data/b.json.gz</Key>";
        assert_non_null(strstr(q->body.ptr, want));
        deletes++;
    }
    assert_int_equal(deletes, 2);
    /* the listings asked only for the recorded prefixes */
    for (size_t i = 0; i < stub_http_count(f->stub); i++) {
        const struct stub_http_req *q = stub_http_req(f->stub, i);
        if (strcmp(q->method, "GET") == 0)
            assert_true(strstr(q->query, "prefix=" DIR "old/") ||
                        strstr(q->query, "prefix=" DIR "oldi/"));
    }
    /* this export recorded and listed first */
    struct json_object *add = s_body(f, DDB("UpdateItem"), 0);
    assert_string_equal(s_get(add, "Key.pk.S"), "exportrecs#ex#" A "#us-east-1#orders");
    assert_string_equal(s_get(add, "UpdateExpression"), "ADD #e :i");
    json_object_put(add);
    /* the records forgotten: old and oldi, nothing else */
    assert_int_equal(s_count(f, DDB("DeleteItem")), 2);
    struct json_object *d0 = s_body(f, DDB("DeleteItem"), 0);
    struct json_object *d1 = s_body(f, DDB("DeleteItem"), 1);
    assert_string_equal(s_get(d0, "Key.pk.S"), "exportrec#ex#" A "#us-east-1#orders#old");
    assert_string_equal(s_get(d1, "Key.pk.S"), "exportrec#ex#" A "#us-east-1#orders#oldi");
    json_object_put(d0);
    json_object_put(d1);
    fv_result_clean_up(&r);
    fv_task_clean_up(&t);
    fv_buf_clean_up(&list);
    fv_buf_clean_up(&batch);
    free(item);
    free(done);
}

/* A table's list too large to take another id (a chain never renewed):
 * the export is recorded, not listed (so never deleted), and succeeds; a
 * list that cannot be written for another reason fails the task for a
 * retry before the chain moves. */
static void test_a_full_list_never_stops_the_chain(void **state)
{
    struct s_fixture *f = *state;
    char *item = s_state_item("true", T0, "RUN", NULL, 3);
    char *done = s_export("COMPLETED", ",\"EndTime\":1764772500");
    for (int full = 1; full >= 0; full--) {
        stub_http_reset(f->stub);
        s_route(f, DDB("DescribeExport"), done, 0);
        s_route(f, DDB("GetItem"), item, 1);
        s_route(f, DDB("GetItem"), "{}", 0); /* no records listed */
        s_route(f, DDB("PutItem"), "{}", 0);
        if (full)
            s_error_route(f, DDB("UpdateItem"), "ValidationException",
                          "Item size has exceeded the maximum allowed size");
        else
            s_error_route(f, DDB("UpdateItem"), "ResourceNotFoundException", "no table");
        struct fv_task t;
        s_task(&t, "wait");
        struct fv_result r;
        struct fv_task *next = NULL;
        s_run(f, &t, &r, &next);
        assert_null(next);
        if (full) {
            assert_int_equal(r.status, FV_RESULT_SUCCEEDED);
            assert_int_equal(s_count(f, DDB("PutItem")), 2); /* the record, then the advance */
        } else {
            assert_int_not_equal(r.status, FV_RESULT_SUCCEEDED);
            assert_true(r.retryable);
            assert_int_equal(s_count(f, DDB("PutItem")), 1); /* the record only: no advance */
        }
        fv_result_clean_up(&r);
        fv_task_clean_up(&t);
    }
    free(item);
    free(done);
}

#define SCHEMA_KEY                                                                                 \
    "/central-b/dynamodb-exports/ex/" A "/us-east-1/orders/AWSDynamoDB/00/fleetvault-table.json"

/* A COMPLETED full export gets the table's schema beside it, in the
 * export's own directory, SSE-KMS with the job's key: key schema,
 * attribute definitions, each index's name, key schema and projection,
 * billing mode — not what changes with the data (sizes, counts, status).
 * A redelivery puts the same bytes to the same key. A table gone by then
 * fails nothing: the export succeeds and says why it has no schema. */
static void test_a_full_export_gets_the_tables_schema_beside_it(void **state)
{
    struct s_fixture *f = *state;
    char *item = s_state_item("true", T0, "RUN", NULL, 3); /* chain CHAIN_ARN, full at T0 - 4W */
    const char *done = "{\"ExportDescription\":{\"ExportArn\":\"" CHAIN_ARN
                       "\",\"ExportStatus\":\"COMPLETED\",\"ExportType\":\"FULL_EXPORT\","
                       "\"StartTime\":1764769000,\"EndTime\":1764769500,"
                       "\"S3Bucket\":\"central-b\"}}";
    const char *table =
        "{\"Table\":{\"TableName\":\"orders\",\"TableStatus\":\"ACTIVE\",\"ItemCount\":42,"
        "\"TableSizeBytes\":4200,\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
        "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],\"AttributeDefinitions\":["
        "{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\","
        "\"AttributeType\":\"N\"},{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}],"
        "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"by-g\",\"KeySchema\":[{\"AttributeName\":"
        "\"g\",\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":\"ALL\"},"
        "\"IndexStatus\":\"ACTIVE\",\"ItemCount\":40}],\"BillingModeSummary\":{\"BillingMode\":"
        "\"PAY_PER_REQUEST\"}}}";
    char *first = NULL;
    for (int delivery = 0; delivery < 2; delivery++) {
        stub_http_reset(f->stub);
        s_route(f, DDB("DescribeExport"), done, 0);
        s_route(f, DDB("GetItem"), item, 0);
        s_route(f, DDB("PutItem"), "{}", 0);
        s_route(f, DDB("DescribeTable"), table, 0);
        stub_http_add(f->stub,
                      &(struct stub_http_route){.method = "PUT", .path = SCHEMA_KEY, .body = ""});
        struct fv_task t;
        s_task_of(&t, "wait", T0 - 4 * W);
        struct fv_result r;
        struct fv_task *next = NULL;
        s_run(f, &t, &r, &next);
        assert_null(next);
        assert_int_equal(r.status, FV_RESULT_SUCCEEDED);
        assert_null(s_extra(&r, "schema_error"));
        assert_int_equal(stub_http_count_matching(f->stub, "PUT", SCHEMA_KEY), 1);
        const struct stub_http_req *put = NULL;
        for (size_t i = 0; i < stub_http_count(f->stub); i++)
            if (strcmp(stub_http_req(f->stub, i)->method, "PUT") == 0)
                put = stub_http_req(f->stub, i);
        assert_string_equal(fv_headers_get(&put->headers, "x-amz-server-side-encryption"),
                            "aws:kms");
        assert_string_equal(
            fv_headers_get(&put->headers, "x-amz-server-side-encryption-aws-kms-key-id"),
            "arn:aws:kms:us-east-1:" CENTRAL ":key/k1");
        struct json_object *schema = json_tokener_parse(put->body.ptr);
        assert_non_null(schema);
        assert_string_equal(s_get(schema, "TableName"), "orders");
        struct json_object *ks, *defs, *gsis;
        assert_true(json_object_object_get_ex(schema, "KeySchema", &ks));
        assert_int_equal(json_object_array_length(ks), 2);
        assert_true(json_object_object_get_ex(schema, "AttributeDefinitions", &defs));
        assert_int_equal(json_object_array_length(defs), 3);
        assert_true(json_object_object_get_ex(schema, "GlobalSecondaryIndexes", &gsis));
        struct json_object *g = json_object_array_get_idx(gsis, 0);
        assert_string_equal(s_get(g, "IndexName"), "by-g");
        assert_string_equal(s_get(g, "Projection.ProjectionType"), "ALL");
        assert_null(s_get(g, "ItemCount"));
        assert_null(s_get(schema, "ItemCount"));
        assert_null(s_get(schema, "TableStatus"));
        assert_string_equal(s_get(schema, "BillingMode"), "PAY_PER_REQUEST");
        json_object_put(schema);
        if (!first)
            first = fv_strdup(put->body.ptr);
        else
            assert_string_equal(put->body.ptr, first); /* redelivery: the same bytes */
        fv_result_clean_up(&r);
        fv_task_clean_up(&t);
    }

    /* The table is gone before the export COMPLETED: still a success. */
    stub_http_reset(f->stub);
    s_route(f, DDB("DescribeExport"), done, 0);
    s_route(f, DDB("GetItem"), item, 0);
    s_route(f, DDB("PutItem"), "{}", 0);
    s_error_route(f, DDB("DescribeTable"), "ResourceNotFoundException",
                  "Requested resource not found");
    struct fv_task t;
    s_task_of(&t, "wait", T0 - 4 * W);
    struct fv_result r;
    struct fv_task *next = NULL;
    s_run(f, &t, &r, &next);
    assert_int_equal(r.status, FV_RESULT_SUCCEEDED);
    assert_non_null(s_extra(&r, "schema_error"));
    assert_int_equal(stub_http_count_matching(f->stub, "PUT", SCHEMA_KEY), 0);
    fv_result_clean_up(&r);
    fv_task_clean_up(&t);
    free(first);
    free(item);
}

static int s_setup_retention(void **state)
{
    s_config = s_config_retention;
    int rc = s_setup(state);
    s_config = NULL;
    return rc;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_asks_for_the_jobs_export_and_waits_later),
        cmocka_unit_test(test_completed_advances_the_chain_once),
        cmocka_unit_test(test_an_export_off_the_chain_is_recorded_out_of_it),
        cmocka_unit_test(test_a_pitr_gap_fails_with_a_remedy),
        cmocka_unit_test(test_the_step_guard_exports_nothing_off_the_chain),
        cmocka_unit_test(test_a_full_export_gets_the_tables_schema_beside_it),
    };
    const struct CMUnitTest retention[] = {
        cmocka_unit_test(test_retention_deletes_only_recorded_exports_under_the_configured_prefix),
        cmocka_unit_test(test_a_full_list_never_stops_the_chain),
    };
    int failed = cmocka_run_group_tests(tests, s_setup, s_teardown);
    return failed +
           cmocka_run_group_tests_name("retention", retention, s_setup_retention, s_teardown);
}

/* DynamoDB exports against the AWS test world (its export layer has the
 * service's incremental semantics, PITR window and ClientToken idempotency):
 * the client calls, and an export chain's state in the control table with
 * its conditional writes. As the world's admin principals: fleetvault's
 * generated policy grants the export calls only to a dynamodb_exports job,
 * which the sample fleet has none of. The world clock is moved forward (to
 * make windows due) and put back at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fv/aws.h>
#include <fv/control.h>
#include <fv/credentials.h>
#include <fv/dynamodb.h>
#include <fv/export_records.h>
#include <fv/exports.h>
#include <fv/http.h>
#include <fv/s3.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_CHECK(expr, err)                                                                         \
    do {                                                                                           \
        fv_status st_ = (expr);                                                                    \
        if (st_ != FV_OK)                                                                          \
            fail_msg("%s: %s (%s)", #expr, (err).message, fv_status_str(st_));                     \
    } while (0)

#define MEMBER "111111111111"
#define CENTRAL "123456789012"
#define BUCKET "fleetvault-backups-" CENTRAL
#define MIN 60000LL

static const char *s_region(void)
{
    const char *r = getenv("AWS_REGION");
    return r ? r : "us-east-1";
}

static struct fv_aws_client *s_static(const char *key, const char *secret)
{
    struct fv_credentials cr = {.access_key_id = (char *)key, .secret_access_key = (char *)secret};
    struct fv_creds_provider *p = fv_creds_static(&cr);
    struct fv_aws_client_options o = {.region = s_region(), .creds = p};
    struct fv_error err;
    struct fv_aws_client *c = fv_aws_client_new(&o, &err);
    fv_creds_unref(p);
    if (!c)
        fail_msg("client: %s", err.message);
    return c;
}

static struct fv_aws_client *s_member_admin(void)
{
    return s_static("AKIAFVMEMBERADMIN111", "fvSecretMemberAdmin111111111111111111111");
}

static struct fv_aws_client *s_central_admin(void)
{
    return s_static("AKIAFVWORLDADMIN0001", "fvSecretAdmin000000000000000000000000001");
}

/* POST to the world's control API; returns its answer (caller puts). */
static struct json_object *s_world_post(const char *path, const char *json)
{
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s%s", getenv("FV_WORLD_URL"), path);
    struct fv_http_request req = {.method = "POST", .url = url.ptr, .body = FV_CUR_STR(json)};
    fv_headers_add(&req.headers, "Content-Type", "application/json");
    struct fv_http_response resp = {0};
    struct fv_error err;
    S_CHECK(fv_http_simple(NULL, &req, &resp, &err), err);
    if (resp.status != 200)
        fail_msg("world POST %s -> %d %s", path, resp.status, fv_buf_str(&resp.body));
    struct json_object *out = json_tokener_parse(fv_buf_str(&resp.body));
    fv_http_response_clean_up(&resp);
    fv_http_request_clean_up(&req);
    fv_buf_clean_up(&url);
    return out;
}

/* Moves the world clock to offset_s and returns the world's now (ms). */
static int64_t s_world_clock(double offset_s)
{
    char body[64];
    snprintf(body, sizeof(body), "{\"offset_seconds\": %.3f}", offset_s);
    struct json_object *o = s_world_post("/_world/clock", body), *now = NULL;
    assert_true(json_object_object_get_ex(o, "now", &now));
    int64_t ms = (int64_t)(json_object_get_double(now) * 1000.0);
    json_object_put(o);
    return ms;
}

static void s_call(struct fv_aws_client *c, const char *op, const char *json)
{
    struct json_object *in = json_tokener_parse(json), *out = NULL;
    assert_non_null(in);
    struct fv_error err;
    S_CHECK(fv_aws_json(c, &fv_aws_dynamodb, op, in, &out, &err), err);
    json_object_put(in);
    json_object_put(out);
}

static void s_pitr(struct fv_aws_client *c, const char *table, bool on)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"TableName\": \"%s\", \"PointInTimeRecoverySpecification\": "
             "{\"PointInTimeRecoveryEnabled\": %s}}",
             table, on ? "true" : "false");
    s_call(c, "UpdateContinuousBackups", body);
}

static void s_put(struct fv_aws_client *c, const char *table, const char *id)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"TableName\": \"%s\", \"Item\": {\"pk\": {\"S\": \"%s\"}}}",
             table, id);
    s_call(c, "PutItem", body);
}

static void s_del(struct fv_aws_client *c, const char *table, const char *id)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"TableName\": \"%s\", \"Key\": {\"pk\": {\"S\": \"%s\"}}}",
             table, id);
    s_call(c, "DeleteItem", body);
}

/* Polls DescribeExport until the export is no longer IN_PROGRESS. */
static void s_wait(struct fv_aws_client *c, const char *arn, struct fv_dynamodb_export *out)
{
    struct fv_error err;
    for (int i = 0; i < 100; i++) {
        fv_dynamodb_export_clean_up(out);
        S_CHECK(fv_dynamodb_describe_export(c, arn, out, &err), err);
        if (out->status != FV_DDB_EXPORT_IN_PROGRESS)
            return;
        usleep(100 * 1000);
    }
    fail_msg("export %s still IN_PROGRESS", arn);
}

static void test_export_calls(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_member_admin();
    struct fv_error err;
    char table[64], arn[160], prefix[64], token[64];
    snprintf(table, sizeof(table), "exports-calls-%d", (int)getpid());
    snprintf(prefix, sizeof(prefix), "exports-itest/%d", (int)getpid());
    S_CHECK(fv_dynamodb_ensure_table(c, table, "pk", 30, &err), err);
    struct fv_dynamodb_table t = {0};
    S_CHECK(fv_dynamodb_describe_table(c, table, &t, &err), err);
    snprintf(arn, sizeof(arn), "%s", t.arn);
    fv_dynamodb_table_clean_up(&t);

    /* No PITR: the service refuses, and that is a gap. */
    struct fv_dynamodb_export_request req = {.table_arn = arn,
                                             .bucket = BUCKET,
                                             .bucket_owner = CENTRAL,
                                             .prefix = prefix,
                                             .type = FV_DDB_EXPORT_FULL};
    struct fv_dynamodb_export e = {0}, again = {0};
    assert_int_equal(fv_dynamodb_export_start(c, &req, &e, &err), FV_E_AWS);
    assert_string_equal(err.code, "PointInTimeRecoveryUnavailableException");
    assert_true(fv_dynamodb_export_is_pitr_gap(err.code, err.message));

    s_pitr(c, table, true);
    struct fv_dynamodb_continuous_backups pitr;
    S_CHECK(fv_dynamodb_describe_continuous_backups(c, table, &pitr, &err), err);
    assert_true(pitr.pitr_enabled);
    assert_true(pitr.earliest_restorable_ms > 0);
    s_put(c, table, "a");
    s_put(c, table, "b");

    /* A full export into the central account's bucket, owned by it. */
    snprintf(token, sizeof(token), "full-%d", (int)getpid());
    req.client_token = token;
    S_CHECK(fv_dynamodb_export_start(c, &req, &e, &err), err);
    assert_non_null(e.arn);
    assert_int_equal(e.type, FV_DDB_EXPORT_FULL);
    assert_string_equal(e.bucket_owner, CENTRAL);
    assert_string_equal(e.client_token, token);
    /* The same token and parameters: the same export, not a second one. */
    S_CHECK(fv_dynamodb_export_start(c, &req, &again, &err), err);
    assert_string_equal(again.arn, e.arn);
    fv_dynamodb_export_clean_up(&again);
    char *full_arn = fv_strdup(e.arn);
    s_wait(c, full_arn, &e);
    assert_int_equal(e.status, FV_DDB_EXPORT_COMPLETED);
    assert_int_equal(e.item_count, 2);
    assert_non_null(e.manifest);
    assert_non_null(strstr(e.manifest, prefix));
    assert_non_null(strstr(e.manifest, "manifest-summary.json"));
    int64_t full_time = e.export_time_ms;
    assert_true(full_time >= pitr.earliest_restorable_ms);
    fv_dynamodb_export_clean_up(&e);

    /* Twenty minutes on, the first window after the full export is due. */
    int64_t now = s_world_clock(20 * 60);
    s_put(c, table, "c");
    struct fv_dynamodb_export_request inc = req;
    inc.type = FV_DDB_EXPORT_INCREMENTAL;
    inc.client_token = NULL;
    inc.from_ms = full_time;
    inc.to_ms = full_time + 15 * MIN;
    inc.view_type = "NEW_IMAGE";
    assert_true(inc.to_ms <= now);
    S_CHECK(fv_dynamodb_export_start(c, &inc, &e, &err), err);
    assert_int_equal(e.type, FV_DDB_EXPORT_INCREMENTAL);
    assert_int_equal(e.from_ms, inc.from_ms); /* to the millisecond */
    assert_int_equal(e.to_ms, inc.to_ms);
    assert_string_equal(e.view_type, "NEW_IMAGE");
    char *inc_arn = fv_strdup(e.arn);
    s_wait(c, inc_arn, &e);
    assert_int_equal(e.status, FV_DDB_EXPORT_COMPLETED);
    assert_int_equal(e.item_count, 0); /* "c" was written after the window */
    fv_dynamodb_export_clean_up(&e);

    /* A window shorter than 15 minutes, one ending in the future. */
    inc.to_ms = full_time + 10 * MIN;
    assert_int_equal(fv_dynamodb_export_start(c, &inc, &e, &err), FV_E_AWS);
    assert_string_equal(err.code, "InvalidExportTimeException");
    assert_false(fv_dynamodb_export_is_pitr_gap(err.code, err.message));
    inc.from_ms = now - 5 * MIN;
    inc.to_ms = now + 15 * MIN;
    assert_int_equal(fv_dynamodb_export_start(c, &inc, &e, &err), FV_E_AWS);
    assert_string_equal(err.code, "InvalidExportTimeException");
    /* Not sent at all: a full export with a window. */
    req.from_ms = 1;
    assert_int_equal(fv_dynamodb_export_start(c, &req, &e, &err), FV_E_INVALID);
    req.from_ms = 0;

    /* PITR off and on: its history restarts, the old window start is outside. */
    s_pitr(c, table, false);
    s_pitr(c, table, true);
    S_CHECK(fv_dynamodb_describe_continuous_backups(c, table, &pitr, &err), err);
    assert_true(pitr.earliest_restorable_ms > full_time + 15 * MIN);
    inc.from_ms = full_time + 15 * MIN;
    inc.to_ms = full_time + 30 * MIN;
    s_world_clock(40 * 60);
    assert_int_equal(fv_dynamodb_export_start(c, &inc, &e, &err), FV_E_AWS);
    assert_string_equal(err.code, "InvalidExportTimeException");
    assert_true(fv_dynamodb_export_is_pitr_gap(err.code, err.message));

    /* An export that does not exist. */
    char missing[200];
    snprintf(missing, sizeof(missing), "%s/export/00000000000000-deadbeef", arn);
    assert_int_equal(fv_dynamodb_describe_export(c, missing, &e, &err), FV_E_NOTFOUND);

    s_world_clock(0);
    free(full_arn);
    free(inc_arn);
    fv_aws_client_destroy(c);
}

/* The item of key as stored (caller puts). */
static struct json_object *s_item(struct fv_aws_client *c, const char *table,
                                  const struct fv_export_key *key)
{
    char *pk = fv_export_state_pk(key);
    struct json_object *k = json_object_new_object(), *s = json_object_new_object();
    json_object_object_add(s, "S", json_object_new_string(pk));
    json_object_object_add(k, "pk", s);
    struct json_object *item = NULL;
    struct fv_error err;
    S_CHECK(fv_dynamodb_get_item(c, table, k, true, &item, &err), err);
    json_object_put(k);
    free(pk);
    return item;
}

static void test_state_in_control_table(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central_admin();
    struct fv_error err;
    const char *table = "fleetvault-control";
    S_CHECK(fv_control_ensure_table(c, table, &err), err);
    char job[64];
    snprintf(job, sizeof(job), "exports-itest-%d", (int)getpid());
    struct fv_export_key key = {job, MEMBER, "us-east-1", "orders"};
    struct fv_export_key other = {job, MEMBER, "us-east-1", "customers"};
    int64_t t0 = 1796263200000LL;
    enum fv_export_outcome o;

    /* Never written: a fresh chain. */
    struct fv_export_state s = {0}, s2 = {0};
    S_CHECK(fv_export_state_get(c, table, &key, &s, &err), err);
    assert_int_equal(s.version, 0);
    assert_int_equal(s.initiated, FV_EXPORT_NOT_INITIATED);
    fv_export_state_clean_up(&s);

    /* The full export starts, is redelivered, and completes. */
    S_CHECK(fv_export_state_begin_full(c, table, &key, t0, t0, &o, &s, &err), err);
    assert_int_equal(o, FV_EXPORT_APPLIED);
    assert_int_equal(s.version, 1);
    fv_export_state_clean_up(&s);
    S_CHECK(fv_export_state_begin_full(c, table, &key, t0, t0, &o, NULL, &err), err);
    assert_int_equal(o, FV_EXPORT_ALREADY);
    S_CHECK(fv_export_state_begin_full(c, table, &key, t0 + MIN, t0, &o, NULL, &err), err);
    assert_int_equal(o, FV_EXPORT_STALE);
    struct fv_export_decision full = {.kind = FV_EXPORT_DO_FULL, .export_time_ms = t0};
    S_CHECK(fv_export_state_advance(c, table, &key, &full, "arn:full", t0, &o, NULL, &err), err);
    assert_int_equal(o, FV_EXPORT_APPLIED);

    /* Stored under the seed's names, never with a TTL. */
    struct json_object *item = s_item(c, table, &key);
    assert_string_equal(fv_control_item_str(item, "workflow-initiated"), "true");
    assert_string_equal(fv_control_item_str(item, "workflow-state"), "NORMAL");
    assert_string_equal(fv_control_item_str(item, "workflow-action"), "RUN");
    assert_string_equal(fv_control_item_str(item, "full-export-time"), "1796263200000");
    assert_string_equal(fv_control_item_str(item, "last-incremental-export-time"), "1796263200000");
    assert_string_equal(fv_control_item_str(item, "chain-id"), "arn:full");
    assert_null(fv_control_item_str(item, FV_CONTROL_TTL_ATTR));
    json_object_put(item);

    /* Two workers finish the same window: one advance. */
    struct fv_export_decision w = {
        .kind = FV_EXPORT_DO_INCREMENTAL, .from_ms = t0, .to_ms = t0 + 15 * MIN};
    S_CHECK(fv_export_state_advance(c, table, &key, &w, "arn:w1", t0, &o, NULL, &err), err);
    assert_int_equal(o, FV_EXPORT_APPLIED);
    S_CHECK(fv_export_state_advance(c, table, &key, &w, "arn:w1", t0, &o, &s, &err), err);
    assert_int_equal(o, FV_EXPORT_ALREADY);
    assert_int_equal(s.last_incremental_export_time_ms, t0 + 15 * MIN);
    assert_int_equal(s.version, 3);

    /* A write on a version read before another writer's is refused. */
    S_CHECK(fv_export_state_get(c, table, &key, &s2, &err), err);
    S_CHECK(fv_export_state_set_action(c, table, &key, FV_EXPORT_PAUSE, t0, &o, NULL, &err), err);
    assert_int_equal(o, FV_EXPORT_APPLIED);
    s2.last_incremental_export_time_ms = t0 + 30 * MIN;
    assert_int_equal(fv_export_state_put_if_version(c, table, &s2, &err), FV_E_AWS);
    assert_true(fv_dynamodb_is_conditional_failure(&err));
    fv_export_state_clean_up(&s);
    S_CHECK(fv_export_state_get(c, table, &key, &s, &err), err);
    assert_int_equal(s.workflow_action, FV_EXPORT_PAUSE); /* the pause is not lost */
    assert_int_equal(s.last_incremental_export_time_ms, t0 + 15 * MIN);
    assert_int_equal(s.version, 4);

    /* A failure recorded; a PITR gap marks the chain. */
    struct fv_export_decision w2 = {
        .kind = FV_EXPORT_DO_INCREMENTAL, .from_ms = t0 + 15 * MIN, .to_ms = t0 + 30 * MIN};
    S_CHECK(fv_export_state_fail(c, table, &key, &w2, "InvalidExportTimeException",
                                 "Incremental export start time outside PITR window", t0, &o, NULL,
                                 &err),
            err);
    assert_int_equal(o, FV_EXPORT_APPLIED);

    /* Another table of the job; the job's chains, sorted by table. */
    S_CHECK(fv_export_state_begin_full(c, table, &other, t0, t0, &o, NULL, &err), err);
    struct fv_export_states l = {0};
    S_CHECK(fv_export_state_list(c, table, job, &l, &err), err);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0].table, "customers");
    assert_int_equal(l.items[0].initiated, FV_EXPORT_INITIATING);
    assert_string_equal(l.items[1].table, "orders");
    assert_int_equal(l.items[1].workflow_state, FV_EXPORT_PITR_GAP);
    assert_string_equal(l.items[1].last_error,
                        "InvalidExportTimeException: Incremental export start time outside PITR "
                        "window");
    assert_string_equal(l.items[1].account, MEMBER);
    fv_export_states_clean_up(&l);

    fv_export_state_clean_up(&s);
    fv_export_state_clean_up(&s2);
    fv_aws_client_destroy(c);
}

/* Runs decision d on the world: start (as the seed does: begin full first),
 * wait, then advance or fail the chain. Returns the export's item count. */
static int64_t s_run(struct fv_aws_client *m, struct fv_aws_client *central, const char *control,
                     const struct fv_export_key *key, const char *table_arn,
                     const struct fv_export_decision *d, int64_t now)
{
    struct fv_error err;
    enum fv_export_outcome o;
    if (d->kind == FV_EXPORT_DO_FULL) {
        S_CHECK(fv_export_state_begin_full(central, control, key, d->export_time_ms, now, &o, NULL,
                                           &err),
                err);
        assert_int_not_equal(o, FV_EXPORT_STALE);
    }
    struct fv_dynamodb_export_request req = {
        .table_arn = table_arn,
        .bucket = BUCKET,
        .bucket_owner = CENTRAL,
        .prefix = "exports-itest-chain",
        .type = d->kind == FV_EXPORT_DO_FULL ? FV_DDB_EXPORT_FULL : FV_DDB_EXPORT_INCREMENTAL,
        .export_time_ms = d->export_time_ms,
        .from_ms = d->from_ms,
        .to_ms = d->to_ms};
    struct fv_dynamodb_export e = {0};
    S_CHECK(fv_dynamodb_export_start(m, &req, &e, &err), err);
    char *arn = fv_strdup(e.arn);
    s_wait(m, arn, &e);
    assert_int_equal(e.status, FV_DDB_EXPORT_COMPLETED);
    S_CHECK(fv_export_state_advance(central, control, key, d, arn, now, &o, NULL, &err), err);
    assert_int_equal(o, FV_EXPORT_APPLIED);
    int64_t n = e.item_count;
    fv_dynamodb_export_clean_up(&e);
    free(arn);
    return n;
}

/* The pieces together on the world: decide, start, wait, advance; windows
 * with puts and deletes, catch-up counting down, PITR off and on, reset. */
static void test_chain_on_the_world(void **state)
{
    (void)state;
    struct fv_aws_client *m = s_member_admin(), *central = s_central_admin();
    struct fv_error err;
    const char *control = "fleetvault-control";
    S_CHECK(fv_control_ensure_table(central, control, &err), err);
    char table[64], job[64], arn[160];
    snprintf(table, sizeof(table), "exports-chain-%d", (int)getpid());
    snprintf(job, sizeof(job), "exports-chain-%d", (int)getpid());
    S_CHECK(fv_dynamodb_ensure_table(m, table, "pk", 30, &err), err);
    struct fv_dynamodb_table t = {0};
    S_CHECK(fv_dynamodb_describe_table(m, table, &t, &err), err);
    snprintf(arn, sizeof(arn), "%s", t.arn);
    fv_dynamodb_table_clean_up(&t);
    s_pitr(m, table, true);
    struct fv_export_key key = {job, MEMBER, "us-east-1", table};
    struct fv_export_state s = {0};
    struct fv_dynamodb_continuous_backups pitr;
    struct fv_export_decision d;

    /* First run: a full export of what is there. */
    s_put(m, table, "a");
    /* A second on: the export time (whole ms) is surely after a's write. */
    int64_t now = s_world_clock(1);
    S_CHECK(fv_export_state_get(central, control, &key, &s, &err), err);
    S_CHECK(fv_dynamodb_describe_continuous_backups(m, table, &pitr, &err), err);
    S_CHECK(fv_export_decide(&s, &pitr, 15 * MIN, now, &d, &err), err);
    assert_int_equal(d.kind, FV_EXPORT_DO_FULL);
    assert_int_equal(s_run(m, central, control, &key, arn, &d, now), 1);
    int64_t t0 = d.export_time_ms;

    /* Writes in the first two windows, then 50 minutes on: three windows due. */
    s_world_clock(60);
    s_put(m, table, "b");
    s_world_clock(20 * 60);
    s_put(m, table, "c");
    s_del(m, table, "a");
    now = s_world_clock(50 * 60);
    int64_t want_items[3] = {1, 2, 0}; /* b; c and a's delete; nothing */
    for (int64_t behind = 2; behind >= 0; behind--) {
        fv_export_state_clean_up(&s);
        S_CHECK(fv_export_state_get(central, control, &key, &s, &err), err);
        S_CHECK(fv_dynamodb_describe_continuous_backups(m, table, &pitr, &err), err);
        S_CHECK(fv_export_decide(&s, &pitr, 15 * MIN, now, &d, &err), err);
        assert_int_equal(d.kind, FV_EXPORT_DO_INCREMENTAL);
        assert_int_equal(d.blocks_behind, behind);
        assert_int_equal(d.from_ms, t0 + (2 - behind) * 15 * MIN);
        assert_int_equal(s_run(m, central, control, &key, arn, &d, now), want_items[2 - behind]);
    }
    fv_export_state_clean_up(&s);
    S_CHECK(fv_export_state_get(central, control, &key, &s, &err), err);
    S_CHECK(fv_export_decide(&s, &pitr, 15 * MIN, now, &d, &err), err);
    assert_int_equal(d.kind, FV_EXPORT_DO_NOTHING);

    /* PITR off and on: a gap that stays until a reset; the reset's full export
     * starts a new chain. */
    s_pitr(m, table, false);
    s_pitr(m, table, true);
    now = s_world_clock(70 * 60);
    S_CHECK(fv_dynamodb_describe_continuous_backups(m, table, &pitr, &err), err);
    S_CHECK(fv_export_decide(&s, &pitr, 15 * MIN, now, &d, &err), err);
    assert_int_equal(d.kind, FV_EXPORT_DO_PITR_GAP);
    S_CHECK(fv_export_state_fail(central, control, &key, &d, NULL, NULL, now, NULL, NULL, &err),
            err);
    S_CHECK(
        fv_export_state_set_action(central, control, &key, FV_EXPORT_RESET, now, NULL, NULL, &err),
        err);
    fv_export_state_clean_up(&s);
    S_CHECK(fv_export_state_get(central, control, &key, &s, &err), err);
    assert_int_equal(s.workflow_state, FV_EXPORT_PITR_GAP);
    S_CHECK(fv_export_decide(&s, &pitr, 15 * MIN, now, &d, &err), err);
    assert_int_equal(d.kind, FV_EXPORT_DO_FULL);
    assert_int_equal(s_run(m, central, control, &key, arn, &d, now), 2); /* b, c */
    fv_export_state_clean_up(&s);
    S_CHECK(fv_export_state_get(central, control, &key, &s, &err), err);
    assert_int_equal(s.workflow_state, FV_EXPORT_NORMAL);
    assert_int_equal(s.workflow_action, FV_EXPORT_RUN);
    assert_int_equal(s.last_incremental_export_time_ms, now);

    s_world_clock(0);
    fv_export_state_clean_up(&s);
    fv_aws_client_destroy(m);
    fv_aws_client_destroy(central);
}

static int64_t s_clock_now(void *ud)
{
    (void)ud;
    return (int64_t)time(NULL) * 1000;
}
static void s_clock_sleep(void *ud, int64_t ms)
{
    (void)ud;
    usleep((useconds_t)(ms * 1000));
}

/* Retention's two halves on the world: export records (put twice is one
 * record; listed by their table; forgotten) and DeleteObjects (exactly the
 * keys named, XML-special characters included; a missing key is fine). */
static void test_records_and_delete_objects(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central_admin();
    struct fv_error err;
    const char *table = "fleetvault-control";
    S_CHECK(fv_control_ensure_table(c, table, &err), err);
    struct fv_clock clock = {s_clock_now, s_clock_now, s_clock_sleep, NULL};
    char job[64];
    snprintf(job, sizeof(job), "records-itest-%d", (int)getpid());
    struct fv_export_key key = {job, MEMBER, "us-east-1", "orders"};
    const char *ids[] = {"01796263200000-aaaaaaaa", "01796264100000-bbbbbbbb"};
    for (int i = 0; i < 2; i++) {
        struct fv_buf arn = {0}, prefix = {0};
        fv_buf_printf(&arn, "arn:aws:dynamodb:us-east-1:" MEMBER ":table/orders/export/%s", ids[i]);
        fv_buf_printf(&prefix, "p/AWSDynamoDB/%s/", ids[i]);
        struct fv_export_record r = {.job = job,
                                     .account = MEMBER,
                                     .region = "us-east-1",
                                     .table = "orders",
                                     .export_arn = arn.ptr,
                                     .incremental = i == 1,
                                     .time_ms = 1796263200000LL + i * 900000,
                                     .bucket = BUCKET,
                                     .prefix = prefix.ptr,
                                     .in_chain = true};
        S_CHECK(fv_export_record_put(c, table, &r, true, &err), err);
        S_CHECK(fv_export_record_put(c, table, &r, true, &err), err); /* a redelivery */
        fv_buf_clean_up(&arn);
        fv_buf_clean_up(&prefix);
    }
    struct fv_export_records l = {0};
    S_CHECK(fv_export_records_list(c, table, &clock, &key, &l, &err), err);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.n_dangling, 0);
    for (size_t i = 0; i < l.n; i++) {
        bool inc = strstr(l.items[i].export_arn, ids[1]) != NULL;
        assert_int_equal(l.items[i].incremental, inc);
        assert_string_equal(l.items[i].bucket, BUCKET);
        assert_int_equal(l.items[i].time_ms, 1796263200000LL + (inc ? 900000 : 0));
    }
    fv_export_records_clean_up(&l);
    S_CHECK(fv_export_record_forget(c, table, &key, ids[0], &err), err);
    S_CHECK(fv_export_records_list(c, table, &clock, &key, &l, &err), err);
    assert_int_equal(l.n, 1);
    assert_non_null(strstr(l.items[0].export_arn, ids[1]));
    fv_export_records_clean_up(&l);
    struct fv_export_key none = {job, MEMBER, "us-east-1", "never-exported"};
    S_CHECK(fv_export_records_list(c, table, &clock, &none, &l, &err), err);
    assert_int_equal(l.n, 0);

    char base[96];
    snprintf(base, sizeof(base), "delete-itest-%d/", (int)getpid());
    const char *names[] = {"a.json.gz", "b & <c>.gz", "keep.gz"};
    char keys[3][160];
    for (int i = 0; i < 3; i++) {
        snprintf(keys[i], sizeof(keys[i]), "%s%s", base, names[i]);
        S_CHECK(fv_s3_put_object(c, BUCKET, keys[i], FV_CUR_STR("x"), NULL, NULL, &err), err);
    }
    char missing[200];
    snprintf(missing, sizeof(missing), "%snever-there", base);
    const char *del[] = {keys[0], keys[1], missing};
    struct fv_s3_delete_failures failed = {0};
    S_CHECK(fv_s3_delete_objects(c, BUCKET, del, 3, &failed, &err), err);
    assert_int_equal(failed.n, 0);
    struct fv_s3_objects left = {0};
    struct fv_s3_list req = {.prefix = base};
    S_CHECK(fv_s3_list_objects_page(c, BUCKET, &req, NULL, &left, &err), err);
    assert_int_equal(left.n, 1);
    assert_string_equal(left.items[0].key, keys[2]);
    fv_s3_objects_clean_up(&left);
    assert_int_equal(fv_s3_delete_objects(c, BUCKET, del, 0, NULL, &err), FV_E_INVALID);
    fv_aws_client_destroy(c);
}

int main(void)
{
    if (!getenv("AWS_ENDPOINT_URL") || !getenv("FV_WORLD_URL")) {
        fprintf(stderr, "test_exports: no test world (run through with-world)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_calls),
        cmocka_unit_test(test_state_in_control_table),
        cmocka_unit_test(test_chain_on_the_world),
        cmocka_unit_test(test_records_and_delete_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

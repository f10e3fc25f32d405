/* The task contract: validation, authority from the configuration, sealed
 * messages and the naming rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/contract.h>
#include <fv/naming.h>
#include <fv/seal.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define A "111111111111"
#define B "222222222222"
#define STRANGER "999999999999"

static const char *s_config_json =
    "{\"region\":\"us-east-1\",\"central\":{\"bucket\":\"central-bkt\",\"account\":\"" STRANGER
    "\"},"
    "\"accounts\":[{\"id\":\"" A "\",\"regions\":[\"us-east-1\",\"eu-west-1\"]},"
    "{\"id\":\"" B "\"}],"
    "\"jobs\":[{\"name\":\"ddb\",\"type\":\"dynamodb_backups\",\"retention\":7,"
    "\"accounts\":[\"" A "\"],\"deny_delete_policy\":true},"
    "{\"name\":\"nodeny\",\"type\":\"dynamodb_backups\",\"deny_delete_policy\":false},"
    "{\"name\":\"qs\",\"type\":\"quicksight\"},"
    "{\"name\":\"ex\",\"type\":\"dynamodb_exports\",\"accounts\":[\"" A "\"]}]}";

static struct fv_config s_cfg;

static int s_setup(void **state)
{
    (void)state;
    struct fv_error err;
    struct json_object *doc = json_tokener_parse(s_config_json);
    assert_non_null(doc);
    fv_status st = fv_config_from_doc("fleet.json", doc, &s_cfg, &err);
    json_object_put(doc);
    if (st != FV_OK)
        fail_msg("%s", err.message);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    fv_config_clean_up(&s_cfg);
    return 0;
}

/* A valid task of kind: its required parameters filled in. */
static void s_task(struct fv_task *t, const char *kind, const char *job, const char *resource,
                   const char *step)
{
    struct fv_task tmpl = {.task_id = "0123456789abcdef0123456789abcdef",
                           .kind = (char *)kind,
                           .job = (char *)job,
                           .account = A,
                           .region = "us-east-1",
                           .resource = (char *)resource,
                           .step = (char *)step,
                           .attempt = 1};
    char run_id[64];
    snprintf(run_id, sizeof(run_id), "%s-20261203T020000Z", job);
    tmpl.run_id = run_id;
    fv_task_copy(t, &tmpl);
}

/* A valid quicksight.import task of job qs at step, without parameter skip. */
static void s_import_without(struct fv_task *t, const char *step, const char *skip)
{
    static const char *const kv[][2] = {
        {"backup_run", "qs-20261201T020000Z"},
        {"source_account", A},
        {"sha256", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
        {"size", "1234"}};
    s_task(t, "quicksight.import", "qs", "datasets_bundle_2", step);
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        if (!skip || strcmp(skip, kv[i][0]) != 0)
            fv_task_set_param(t, kv[i][0], kv[i][1]);
}

static void s_import(struct fv_task *t, const char *step)
{
    s_import_without(t, step, NULL);
}

static void s_expect(const struct fv_task *t, fv_status want, const char *code, const char *needle)
{
    struct fv_error err = {0};
    fv_status st = fv_task_validate(t, &err);
    struct fv_task_scope scope;
    if (st == FV_OK)
        st = fv_task_authorize(&s_cfg, t, &scope, &err);
    if (st != want)
        fail_msg("want %s, got %s: %s", fv_status_str(want), fv_status_str(st), err.message);
    if (code)
        assert_string_equal(err.code, code);
    if (needle && !strstr(err.message, needle))
        fail_msg("'%s' not in '%s'", needle, err.message);
}

static void test_every_kind_has_a_valid_form(void **state)
{
    (void)state;
    struct fv_task t;
    s_task(&t, "dynamodb.backup", "ddb", "orders", "create");
    s_expect(&t, FV_OK, NULL, NULL);
    fv_task_clean_up(&t);

    s_task(&t, "dynamodb.retention", "ddb", "retention", "expire");
    s_expect(&t, FV_OK, NULL, NULL);
    fv_task_clean_up(&t);

    s_task(&t, "iam.deny_delete_backup", "ddb", "arn:aws:iam::" A ":role/app/worker", "put");
    s_expect(&t, FV_OK, NULL, NULL);
    fv_task_clean_up(&t);

    s_task(&t, "quicksight.users", "qs", "users", "write"); /* names no identity */
    s_expect(&t, FV_OK, NULL, NULL);
    fv_task_clean_up(&t);
    s_task(&t, "quicksight.groups", "qs", "groups", "write");
    s_expect(&t, FV_OK, NULL, NULL);
    fv_task_clean_up(&t);

    s_task(&t, "quicksight.export", "qs", "dashboards_bundle_2", "start");
    fv_task_set_param(&t, "arns", "[\"arn:aws:quicksight:us-east-1:" A ":dashboard/d1\"]");
    s_expect(&t, FV_OK, NULL, NULL);
    fv_task_clean_up(&t);

    s_import(&t, "start");
    s_expect(&t, FV_OK, NULL, NULL);
    fv_task_set_param(&t, "overrides",
                      "{\"ResourceIdOverrideConfiguration\":{\"PrefixForAllResources\":\"r-\"}}");
    s_expect(&t, FV_OK, NULL, NULL);
    fv_task_clean_up(&t);
}

/* dynamodb.export: a full export or one window of 15 min to 24 h, never
 * both; the export waited for is the task account's; a dynamodb_exports job. */
static void test_export_tasks_carry_one_window(void **state)
{
    (void)state;
    struct fv_task t;
    s_task(&t, "dynamodb.export", "ex", "orders", "start");
    fv_task_set_param(&t, "export_time_ms", "1764727200000");
    s_expect(&t, FV_OK, NULL, NULL);
    fv_task_set_param(&t, "from_ms", "1764727200000");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "either export_time_ms or both");
    fv_task_clean_up(&t);

    s_task(&t, "dynamodb.export", "ex", "orders", "start");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "either export_time_ms or both");
    fv_task_set_param(&t, "from_ms", "1764727200000");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "either export_time_ms or both");
    fv_task_set_param(&t, "to_ms", "1764728100000"); /* 15 min */
    fv_task_set_param(&t, "blocks_behind", "3");
    fv_task_set_param(&t, "chain_id", "arn:aws:dynamodb:us-east-1:" A ":table/orders/export/0");
    s_expect(&t, FV_OK, NULL, NULL);
    fv_task_set_param(&t, "to_ms", "1764728099999"); /* a millisecond short */
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "must be 15 min to 24 h");
    fv_task_set_param(&t, "to_ms", "1764813600001"); /* a millisecond over a day */
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "must be 15 min to 24 h");
    fv_task_set_param(&t, "to_ms", "1764813600000");
    s_expect(&t, FV_OK, NULL, NULL);
    free(t.step);
    t.step = strdup("wait"); /* waits on an export of the task's own account */
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "needs parameter 'export_arn'");
    fv_task_set_param(&t, "export_arn", "arn:aws:dynamodb:us-east-1:" B ":table/orders/export/1");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'export_arn' is not an ARN of the task's account");
    fv_task_set_param(&t, "export_arn", "arn:aws:dynamodb:us-east-1:" A ":table/orders/export/1");
    s_expect(&t, FV_OK, NULL, NULL);
    fv_task_clean_up(&t);

    /* another job type's job, or an account the job does not cover */
    s_task(&t, "dynamodb.export", "ddb", "orders", "start");
    fv_task_set_param(&t, "export_time_ms", "1764727200000");
    s_expect(&t, FV_E_INVALID, "TaskNotAuthorized", "is a dynamodb_backups job");
    fv_task_clean_up(&t);
    s_task(&t, "dynamodb.export", "ex", "orders", "start");
    fv_task_set_param(&t, "export_time_ms", "1764727200000");
    free(t.account);
    t.account = strdup(B);
    s_expect(&t, FV_E_INVALID, "TaskNotAuthorized", "is not one job 'ex' covers");
    fv_task_clean_up(&t);
}

/* quicksight.import: what a restore's task of one bundle must carry. */
static void test_import_tasks_carry_a_checked_bundle(void **state)
{
    (void)state;
    struct fv_task t;
    static const char *const required[] = {"backup_run", "source_account", "sha256", "size"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        s_import_without(&t, "start", required[i]);
        char needle[64];
        snprintf(needle, sizeof(needle), "'%s'", required[i]);
        s_expect(&t, FV_E_INVALID, "TaskInvalid", needle);
        fv_task_clean_up(&t);
    }
    s_import(&t, "start");
    fv_task_set_param(&t, "backup_run", "ddb-20261201T020000Z"); /* another job's run */
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'backup_run'");
    fv_task_set_param(&t, "backup_run", "qs-20261201");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'backup_run'");
    fv_task_clean_up(&t);

    s_import(&t, "start");
    fv_task_set_param(&t, "source_account", "12345");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'source_account'");
    /* Well-formed, but not an account of the configuration. */
    fv_task_set_param(&t, "source_account", STRANGER);
    s_expect(&t, FV_E_INVALID, "TaskNotAuthorized", "source_account");
    fv_task_set_param(&t, "source_account", B); /* configured, and the qs job covers all */
    s_expect(&t, FV_OK, NULL, NULL);
    fv_task_clean_up(&t);

    s_import(&t, "start");
    fv_task_set_param(&t, "sha256",
                      "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'sha256'");
    fv_task_set_param(&t, "sha256", "0123");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'sha256'");
    fv_task_set_param(&t, "sha256",
                      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    fv_task_set_param(&t, "size", "0");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'size'");
    fv_task_set_param(&t, "size", "12x");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'size'");
    fv_task_set_param(&t, "size", "10");
    fv_task_set_param(&t, "overrides", "[1]");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'overrides'");
    fv_task_set_param(&t, "overrides", "{\"a\":1} {}");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'overrides'");
    char *big = fv_calloc(70000, 1);
    memset(big, ' ', 69998);
    big[0] = '{';
    big[69998] = '}';
    fv_task_set_param(&t, "overrides", big);
    free(big);
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'overrides'");
    fv_task_clean_up(&t);

    s_import(&t, "wait");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'slot'"); /* wait needs its slot */
    fv_task_set_param(&t, "slot", "3");
    s_expect(&t, FV_OK, NULL, NULL);
    fv_task_clean_up(&t);

    /* Only a quicksight job's tasks. */
    s_task(&t, "quicksight.import", "ddb", "dashboards", "start");
    fv_task_set_param(&t, "backup_run", "ddb-20261201T020000Z");
    fv_task_set_param(&t, "source_account", A);
    fv_task_set_param(&t, "sha256",
                      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    fv_task_set_param(&t, "size", "10");
    s_expect(&t, FV_E_INVALID, "TaskNotAuthorized", "quicksight");
    fv_task_clean_up(&t);
}

/* Each message that once crashed a worker is now a reason, naming the field. */
static void test_poison_tasks_are_rejected_with_a_reason(void **state)
{
    (void)state;
    struct fv_task t;
    s_task(&t, "dynamodb.backup", "ddb", "orders", "create");
    free(t.account);
    t.account = NULL;
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'account'");
    fv_task_clean_up(&t);

    s_task(&t, "dynamodb.retention", "ddb", "retention", "expire");
    free(t.region);
    t.region = NULL;
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'region'");
    fv_task_clean_up(&t);

    s_task(&t, "quicksight.export", "qs", "dashboards", "start");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'arns'"); /* required */
    fv_task_set_param(&t, "arns", "{\"not\":\"an array\"}");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'arns'");
    fv_task_set_param(&t, "arns", "[\"arn:aws:quicksight:us-east-1:" A ":dashboard/d1\"] junk");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'arns'");
    fv_task_set_param(&t, "arns", "[]");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'arns'");
    /* Another account's asset cannot be exported under this account's task. */
    fv_task_set_param(&t, "arns", "[\"arn:aws:quicksight:us-east-1:" B ":dashboard/d1\"]");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'arns'");
    fv_task_clean_up(&t);

    s_task(&t, "quicksight.export", "qs", "dashboards", "wait");
    fv_task_set_param(&t, "arns", "[\"arn:aws:quicksight:us-east-1:" A ":dashboard/d1\"]");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'slot'"); /* wait needs its slot */
    fv_task_set_param(&t, "slot", "-1");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'slot'");
    fv_task_clean_up(&t);

    s_task(&t, "dynamodb.backup", "ddb", "orders", "create");
    free(t.kind);
    t.kind = fv_strdup("dynamodb.nuke");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "unknown task kind");
    fv_task_clean_up(&t);

    s_task(&t, "dynamodb.backup", "ddb", "orders", "explode");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "step");
    fv_task_clean_up(&t);

    s_task(&t, "dynamodb.backup", "ddb", "orders/../x", "create");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "resource");
    fv_task_clean_up(&t);

    s_task(&t, "dynamodb.backup", "ddb", "orders", "create");
    free(t.run_id);
    t.run_id = fv_strdup("ddb-yesterday");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "run_id");
    fv_task_clean_up(&t);

    s_task(&t, "iam.deny_delete_backup", "ddb", "arn:aws:iam::" B ":role/x", "put");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "resource"); /* not the task's account */
    fv_task_clean_up(&t);
}

/* Authority is the configuration's: a task can name nothing it does not list. */
/* Look-alikes of what the contract accepts: an account one digit longer, a
 * region in capitals or with a trailing space, a bundle or chunk number with
 * a leading zero, another job's run id. Each is refused, naming the field. */
static void test_look_alikes_are_refused(void **state)
{
    (void)state;
    struct fv_task t;
    s_task(&t, "quicksight.export", "qs", "dashboards", "start");
    fv_task_set_param(&t, "arns", "[\"arn:aws:quicksight:us-east-1:" A "1:dashboard/d1\"]");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'arns'");
    fv_task_set_param(&t, "arns", "[\"arn:aws:quicksight:us-east-1:" A ":dashboard/d1,x\"]");
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "'arns'");
    fv_task_clean_up(&t);

    const char *bundles[] = {"dashboards_bundle_01", "dashboards_bundle_0", "dashboardsx",
                             "dashboards_bundle_", "Dashboards"};
    for (size_t i = 0; i < sizeof(bundles) / sizeof(bundles[0]); i++) {
        s_task(&t, "quicksight.export", "qs", bundles[i], "start");
        fv_task_set_param(&t, "arns", "[\"arn:aws:quicksight:us-east-1:" A ":dashboard/d1\"]");
        s_expect(&t, FV_E_INVALID, "TaskInvalid", "resource");
        fv_task_clean_up(&t);
    }
    /* the chunks of older coordinators, and the other kind's resource */
    const char *identities[][2] = {{"quicksight.users", "users-1"},
                                   {"quicksight.users", "groups"},
                                   {"quicksight.groups", "groups-1"}};
    for (size_t i = 0; i < sizeof(identities) / sizeof(identities[0]); i++) {
        s_task(&t, identities[i][0], "qs", identities[i][1], "write");
        s_expect(&t, FV_E_INVALID, "TaskInvalid", "resource");
        fv_task_clean_up(&t);
    }

    const char *regions[] = {"US-EAST-1", "us-east-1 ", "us-east-", "us_east_1"};
    for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
        s_task(&t, "dynamodb.backup", "ddb", "orders", "create");
        free(t.region);
        t.region = fv_strdup(regions[i]);
        s_expect(&t, FV_E_INVALID, "TaskInvalid", "region");
        fv_task_clean_up(&t);
    }

    s_task(&t, "dynamodb.backup", "ddb", "orders", "create");
    free(t.run_id);
    t.run_id = fv_strdup("ddb2-20261203T020000Z"); /* another job's run */
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "run_id");
    free(t.run_id);
    t.run_id = fv_strdup("ddb-20261303T020000Z"); /* month 13 */
    s_expect(&t, FV_E_INVALID, "TaskInvalid", "run_id");
    fv_task_clean_up(&t);
}

static void test_authority_comes_from_the_configuration(void **state)
{
    (void)state;
    struct fv_task t;
    s_task(&t, "dynamodb.backup", "ddb", "orders", "create");
    free(t.account);
    t.account = fv_strdup(STRANGER);
    s_expect(&t, FV_E_INVALID, "TaskNotAuthorized", STRANGER);
    free(t.account);
    t.account = fv_strdup(B); /* configured, but job ddb covers only A */
    s_expect(&t, FV_E_INVALID, "TaskNotAuthorized", B);
    fv_task_clean_up(&t);

    s_task(&t, "dynamodb.backup", "ddb", "orders", "create");
    free(t.region);
    t.region = fv_strdup("ap-south-1");
    s_expect(&t, FV_E_INVALID, "TaskNotAuthorized", "ap-south-1");
    fv_task_clean_up(&t);

    s_task(&t, "dynamodb.backup", "qs", "orders", "create"); /* a quicksight job */
    s_expect(&t, FV_E_INVALID, "TaskNotAuthorized", "quicksight");
    fv_task_clean_up(&t);

    s_task(&t, "dynamodb.backup", "other", "orders", "create");
    s_expect(&t, FV_E_INVALID, "TaskNotAuthorized", "'other'");
    fv_task_clean_up(&t);

    s_task(&t, "iam.deny_delete_backup", "nodeny", "arn:aws:iam::" A ":user/bob", "put");
    s_expect(&t, FV_E_INVALID, "TaskNotAuthorized", "deny_delete_policy");
    fv_task_clean_up(&t);

    /* retention: 0 (or a scope, an age, tables) in a message are parameters
     * nobody reads: the scope's job keeps the configured 7. */
    s_task(&t, "dynamodb.retention", "ddb", "retention", "expire");
    fv_task_set_param(&t, "tables", "orders");
    fv_task_set_param(&t, "retention", "0");
    fv_task_set_param(&t, "retention_scope", "table");
    fv_task_set_param(&t, "retention_min_age_s", "0");
    fv_task_set_param(&t, "bucket", "attacker-bucket");
    struct fv_task_scope scope;
    struct fv_error err;
    assert_int_equal(fv_task_validate(&t, &err), FV_OK);
    assert_int_equal(fv_task_authorize(&s_cfg, &t, &scope, &err), FV_OK);
    assert_int_equal(scope.job->retention, 7);
    assert_string_equal(scope.job->retention_scope, "job");
    assert_int_equal(scope.job->retention_min_age_s, 86400);
    assert_string_equal(scope.account->id, A);
    assert_string_equal(scope.stamp, "20261203T020000Z");
    assert_int_equal(scope.run_started_s, 1796263200);
    fv_task_clean_up(&t);
}

static const char *s_ring_a = "k1 0123456789abcdef0123456789abcdef-one\n";
static const char *s_ring_b = "# rotated\nk2 fedcba9876543210fedcba9876543210-two; k1 "
                              "0123456789abcdef0123456789abcdef-one";

static void test_sealed_tasks_verify_and_forgeries_do_not(void **state)
{
    (void)state;
    struct fv_task_keys *a, *b;
    struct fv_error err;
    assert_int_equal(fv_task_keys_parse(s_ring_a, "a", &a, &err), FV_OK);
    assert_int_equal(fv_task_keys_parse(s_ring_b, "b", &b, &err), FV_OK);
    assert_string_equal(fv_task_keys_signing_id(b), "k2");

    struct fv_task t, out;
    s_task(&t, "dynamodb.backup", "ddb", "orders", "create");
    struct fv_buf sealed = {0};
    fv_task_seal(a, &t, &sealed);
    assert_int_equal(fv_task_open(a, (struct fv_cur){sealed.ptr, sealed.len}, &out, &err), FV_OK);
    assert_string_equal(out.resource, "orders");
    fv_task_clean_up(&out);
    /* Rotation: a ring holding the old key as its second still verifies. */
    assert_int_equal(fv_task_open(b, (struct fv_cur){sealed.ptr, sealed.len}, &out, &err), FV_OK);
    fv_task_clean_up(&out);
    /* ... and ring a does not know what ring b signs with. */
    struct fv_buf by_b = {0};
    fv_task_seal(b, &t, &by_b);
    assert_int_equal(fv_task_open(a, (struct fv_cur){by_b.ptr, by_b.len}, &out, &err),
                     FV_E_INVALID);
    assert_string_equal(err.code, "TaskUnknownKey");

    /* Every single-byte change is caught. */
    for (size_t i = 0; i < sealed.len; i++) {
        sealed.ptr[i] ^= 0x01;
        fv_status st = fv_task_open(a, (struct fv_cur){sealed.ptr, sealed.len}, &out, &err);
        sealed.ptr[i] ^= 0x01;
        if (st == FV_OK)
            fail_msg("a change at byte %zu verified", i);
    }
    /* A plain Task, as an old coordinator or kcat would send it. */
    struct fv_buf plain = {0};
    fv_task_encode(&t, &plain);
    assert_int_equal(fv_task_open(a, (struct fv_cur){plain.ptr, plain.len}, &out, &err),
                     FV_E_INVALID);
    assert_true(strcmp(err.code, "TaskUnsigned") == 0 || strcmp(err.code, "TaskUnknownKey") == 0);

    fv_buf_clean_up(&plain);
    fv_buf_clean_up(&sealed);
    fv_buf_clean_up(&by_b);
    fv_task_clean_up(&t);
    fv_task_keys_destroy(a);
    fv_task_keys_destroy(b);
}

static void test_bad_key_files_say_why_without_the_secret(void **state)
{
    (void)state;
    struct fv_task_keys *k = NULL;
    struct fv_error err;
    assert_int_equal(fv_task_keys_parse("k1 short-secret-123", "keys.txt", &k, &err), FV_E_INVALID);
    assert_null(k);
    assert_non_null(strstr(err.message, "keys.txt: key 'k1'"));
    assert_null(strstr(err.message, "short-secret-123"));
    assert_int_equal(fv_task_keys_parse("# nothing\n\n", "keys.txt", &k, &err), FV_E_INVALID);
    assert_non_null(strstr(err.message, "no keys"));
    assert_int_equal(fv_task_keys_parse("k1 0123456789abcdef0123456789abcdef\n"
                                        "k1 fedcba9876543210fedcba9876543210",
                                        "keys.txt", &k, &err),
                     FV_E_INVALID);
    assert_non_null(strstr(err.message, "twice"));
    assert_int_equal(fv_task_keys_parse("0123456789abcdef0123456789abcdef", "keys.txt", &k, &err),
                     FV_E_INVALID);
    assert_null(strstr(err.message, "0123456789abcdef"));
}

static void test_names(void **state)
{
    (void)state;
    struct fv_buf b = {0};
    const struct fv_config_job *qs = fv_config_job(&s_cfg, "qs");
    int64_t t = 1796263200; /* 2026-12-03T02:00:00Z */
    fv_name_backup("orders", "ddb", "20261203T020000Z", &b);
    assert_string_equal(b.ptr, "orders-ddb-20261203T020000Z");
    assert_true(fv_name_backup_of("orders", "ddb", b.ptr));
    assert_false(fv_name_backup_of("orders", "dd", b.ptr)); /* another job's */
    assert_false(fv_name_backup_of("order", "ddb", b.ptr)); /* another table's */
    assert_false(fv_name_backup_of("orders", "ddb", "orders-20261203T020000Z")); /* old form */
    assert_false(fv_name_backup_of("orders", "ddb", "orders-ddb-20261203T02000xZ"));
    /* DynamoDB's 255 characters: a long table name gives way, job and stamp stay. */
    char table[256];
    memset(table, 't', 255);
    table[255] = '\0';
    fv_name_backup(table, "ddb", "20261203T020000Z", &b);
    assert_int_equal(b.len, FV_NAME_BACKUP_MAX);
    assert_string_equal(b.ptr + b.len - 21, "-ddb-20261203T020000Z");
    assert_true(fv_name_backup_of(table, "ddb", b.ptr));
    assert_true(fv_name_backup_job_ok("nightly_v2.eu-1"));
    assert_false(fv_name_backup_job_ok("nightly backups"));
    assert_false(fv_name_backup_job_ok("daily/eu"));
    assert_false(fv_name_backup_job_ok(""));
    fv_name_dated_table(t, "quicksight-users", &b);
    assert_string_equal(b.ptr, "2026-12-03-quicksight-users");
    /* A job of two accounts keeps each account's bundles apart. */
    fv_name_bundle_key(&s_cfg, qs, A, t, "dashboards_bundle_2", &b);
    assert_string_equal(b.ptr, "quicksight-backups/" A "/2026/12/03/dashboards/"
                               "dashboards_bundle_2-020000.zip");
    assert_string_equal(fv_name_bundle_bucket(&s_cfg, qs), "central-bkt");
    fv_name_run_id("ddb", t, &b);
    int64_t back;
    char stamp[17];
    assert_true(fv_task_run_started(b.ptr, "ddb", &back, stamp));
    assert_int_equal(back, t);
    assert_false(fv_task_run_started(b.ptr, "dd", &back, stamp));
    fv_buf_clean_up(&b);

    char *type, *path, *name;
    assert_true(fv_principal_parse("arn:aws:iam::" A ":role/aws-service-role/x/AWSServiceRoleForY",
                                   &type, &path, &name));
    assert_string_equal(type, "role");
    assert_string_equal(path, "/aws-service-role/x/");
    assert_true(fv_principal_aws_managed(path, name));
    free(type);
    free(path);
    free(name);
    assert_true(fv_principal_parse("arn:aws:iam::" A ":user/bob", &type, &path, &name));
    assert_string_equal(path, "/");
    assert_string_equal(name, "bob");
    assert_false(fv_principal_aws_managed(path, name));
    free(type);
    free(path);
    free(name);
    assert_false(fv_principal_parse("arn:aws:iam::" A ":group/admins", &type, &path, &name));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_has_a_valid_form),
        cmocka_unit_test(test_import_tasks_carry_a_checked_bundle),
        cmocka_unit_test(test_export_tasks_carry_one_window),
        cmocka_unit_test(test_poison_tasks_are_rejected_with_a_reason),
        cmocka_unit_test(test_look_alikes_are_refused),
        cmocka_unit_test(test_authority_comes_from_the_configuration),
        cmocka_unit_test(test_sealed_tasks_verify_and_forgeries_do_not),
        cmocka_unit_test(test_bad_key_files_say_why_without_the_secret),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}

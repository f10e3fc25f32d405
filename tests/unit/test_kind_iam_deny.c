/* iam.deny_delete_backup refuses, whatever a signed task names, principals
 * that must never get the deny policy: fleetvault's own role (retention
 * would stop working), AWS-managed roles and the job's exempt principals.
 * The refusal comes before any AWS call, so no AWS is reachable here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler.h"

#include <fv/contract.h>
#include <fv/naming.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define A "111111111111"

void fv_kind_iam_deny(struct fv_handler_ctx *ctx);

static const char *s_config =
    "{\"region\":\"us-east-1\",\"central\":{\"account\":\"123456789012\"},"
    "\"accounts\":[{\"id\":\"" A "\",\"role_arn\":\"arn:aws:iam::" A ":role/fleetvault-member\"}],"
    "\"jobs\":[{\"name\":\"ddb\",\"type\":\"dynamodb_backups\",\"deny_delete_policy\":true,"
    "\"exempt_principals\":[\"arn:aws:iam::" A ":user/break-glass\"]}]}";

/* Runs the handler on a valid, authorized task for principal; the result. */
static void s_run(const char *principal, struct fv_result *result)
{
    struct fv_config cfg;
    struct fv_error err;
    struct json_object *doc = json_tokener_parse(s_config);
    assert_int_equal(fv_config_from_doc("t.json", doc, &cfg, &err), FV_OK);
    json_object_put(doc);
    struct fv_fleet *fleet = fv_fleet_new(&cfg, &err);
    assert_non_null(fleet);
    struct fv_task t = {.task_id = "0123456789abcdef0123456789abcdef",
                        .run_id = "ddb-20261203T020000Z",
                        .job = "ddb",
                        .kind = "iam.deny_delete_backup",
                        .account = A,
                        .region = "us-east-1",
                        .resource = (char *)principal,
                        .step = "put",
                        .attempt = 1};
    struct fv_task_scope scope;
    assert_int_equal(fv_task_validate(&t, &err), FV_OK);
    assert_int_equal(fv_task_authorize(&cfg, &t, &scope, &err), FV_OK);
    fv_result_for_task(result, &t);
    result->status = FV_RESULT_SUCCEEDED;
    struct fv_handler_ctx ctx = {.task = &t,
                                 .scope = &scope,
                                 .fleet = fleet,
                                 .clients = NULL, /* no AWS: a call would crash the test */
                                 .cfg = &cfg,
                                 .worker_name = "w",
                                 .result = result,
                                 .clock = fv_clock_system(),
                                 .rand = fv_rand_system()};
    fv_kind_iam_deny(&ctx);
    assert_null(ctx.follow_up);
    fv_fleet_destroy(fleet);
    fv_config_clean_up(&cfg);
}

static void test_principals_that_never_get_the_policy(void **state)
{
    (void)state;
    const char *never[] = {
        "arn:aws:iam::" A ":role/fleetvault-member",                          /* our own */
        "arn:aws:iam::" A ":role/aws-service-role/x/AWSServiceRoleForBackup", /* AWS's */
        "arn:aws:iam::" A ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1",
        "arn:aws:iam::" A ":user/break-glass", /* exempt */
    };
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
        struct fv_result r;
        s_run(never[i], &r);
        if (r.status != FV_RESULT_FAILED || !r.error_code ||
            strcmp(r.error_code, "TaskNotAuthorized") != 0)
            fail_msg("%s: status %s code %s", never[i], fv_result_status_str(r.status),
                     r.error_code ? r.error_code : "-");
        assert_int_equal(r.n_outputs, 0);
        fv_result_clean_up(&r);
    }
}

/* AWS-managed by path only: anyone may name a role AWSServiceRoleForX at "/",
 * and such a role gets the policy like any other. */
static void test_aws_managed_by_reserved_path_only(void **state)
{
    (void)state;
    assert_true(fv_principal_aws_managed("/aws-service-role/backup.amazonaws.com/",
                                         "AWSServiceRoleForBackup"));
    assert_true(fv_principal_aws_managed("/aws-reserved/sso.amazonaws.com/eu-west-1/",
                                         "AWSReservedSSO_Admin_1"));
    assert_false(fv_principal_aws_managed("/", "AWSServiceRoleForLookAlike"));
    assert_false(fv_principal_aws_managed("/team/", "AWSReservedSSO_Admin_1"));
    assert_false(fv_principal_aws_managed("/service-role/", "lambda-exec"));
}

/* The caller is recognised by id: GetCallerIdentity's "AROA…:session" against
 * ListRoles' RoleId, a user's UserId as it is; never by a prefix. */
static void test_caller_by_id(void **state)
{
    (void)state;
    assert_true(fv_principal_is_caller("AROAEXAMPLEID1", "AROAEXAMPLEID1:fleetvault"));
    assert_true(fv_principal_is_caller("AIDAEXAMPLEUSER", "AIDAEXAMPLEUSER"));
    assert_false(fv_principal_is_caller("AROAEXAMPLEID", "AROAEXAMPLEID1:fleetvault"));
    assert_false(fv_principal_is_caller("AROAEXAMPLEID1", "AROAEXAMPLEID:fleetvault"));
    assert_false(fv_principal_is_caller("AROAOTHER", "AROAEXAMPLEID1:fleetvault"));
    assert_false(fv_principal_is_caller(NULL, "AROAEXAMPLEID1:x"));
    assert_false(fv_principal_is_caller("", ":x"));
    assert_false(fv_principal_is_caller("AROAEXAMPLEID1", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_principals_that_never_get_the_policy),
        cmocka_unit_test(test_aws_managed_by_reserved_path_only),
        cmocka_unit_test(test_caller_by_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

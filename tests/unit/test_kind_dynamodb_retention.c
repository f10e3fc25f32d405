/* dynamodb.retention refuses to delete anything when its job's retention
 * is below 1 — the configuration already refuses such a job, and no task
 * parameter can set it; the handler checks again, before any AWS call, so
 * no AWS is reachable here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler.h"

#include <fv/contract.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define A "111111111111"

void fv_kind_dynamodb_retention(struct fv_handler_ctx *ctx);

static const char *s_config =
    "{\"region\":\"us-east-1\",\"central\":{\"account\":\"123456789012\"},"
    "\"accounts\":[{\"id\":\"" A "\",\"role_arn\":\"arn:aws:iam::" A ":role/fleetvault-member\"}],"
    "\"jobs\":[{\"name\":\"ddb\",\"type\":\"dynamodb_backups\",\"retention\":7}]}";

static void test_retention_below_one_deletes_nothing(void **state)
{
    (void)state;
    const int64_t below[] = {0, -1, INT64_MIN};
    for (size_t i = 0; i < sizeof(below) / sizeof(below[0]); i++) {
        struct fv_config cfg;
        struct fv_error err;
        struct json_object *doc = json_tokener_parse(s_config);
        assert_int_equal(fv_config_from_doc("t.json", doc, &cfg, &err), FV_OK);
        json_object_put(doc);
        cfg.jobs[0].retention = below[i]; /* what no configuration file can say */
        struct fv_fleet *fleet = fv_fleet_new(&cfg, &err);
        assert_non_null(fleet);
        struct fv_task t = {.task_id = "0123456789abcdef0123456789abcdef",
                            .run_id = "ddb-20261203T020000Z",
                            .job = "ddb",
                            .kind = "dynamodb.retention",
                            .account = A,
                            .region = "us-east-1",
                            .resource = "retention",
                            .step = "expire",
                            .attempt = 1};
        struct fv_task_scope scope;
        assert_int_equal(fv_task_validate(&t, &err), FV_OK);
        assert_int_equal(fv_task_authorize(&cfg, &t, &scope, &err), FV_OK);
        struct fv_result r;
        fv_result_for_task(&r, &t);
        r.status = FV_RESULT_SUCCEEDED;
        struct fv_handler_ctx ctx = {.task = &t,
                                     .scope = &scope,
                                     .fleet = fleet,
                                     .clients = NULL, /* no AWS: a call would crash the test */
                                     .cfg = &cfg,
                                     .worker_name = "w",
                                     .result = &r,
                                     .clock = fv_clock_system(),
                                     .rand = fv_rand_system()};
        fv_kind_dynamodb_retention(&ctx);
        assert_null(ctx.follow_up);
        assert_int_equal(r.status, FV_RESULT_FAILED); /* not retried either */
        assert_string_equal(r.error_code, "RetentionInvalid");
        assert_int_equal(r.n_outputs, 0);
        fv_result_clean_up(&r);
        fv_fleet_destroy(fleet);
        fv_config_clean_up(&cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retention_below_one_deletes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

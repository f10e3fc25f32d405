#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/task.h>

#include <string.h>

static void test_task_ids_are_deterministic(void **state)
{
    (void)state;
    char a[33], b[33], c[33];
    fv_task_make_id("run-1", "dynamodb.backup", "111111111111", "us-east-1", "orders", a);
    fv_task_make_id("run-1", "dynamodb.backup", "111111111111", "us-east-1", "orders", b);
    fv_task_make_id("run-1", "dynamodb.backup", "111111111111", "us-east-1", "orders2", c);
    assert_int_equal(strlen(a), 32);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    /* Field boundaries matter: ("ab","c") is not ("a","bc"). */
    fv_task_make_id("run", "k", "ab", "c", "r", a);
    fv_task_make_id("run", "k", "a", "bc", "r", b);
    assert_string_not_equal(a, b);
}

static void test_task_round_trip(void **state)
{
    (void)state;
    struct fv_task t = {.task_id = "t1",
                        .run_id = "r1",
                        .job = "nightly",
                        .kind = "k",
                        .account = "111111111111",
                        .region = "us-east-1",
                        .resource = "orders",
                        .step = "create",
                        .attempt = 3,
                        .not_before_ms = 42,
                        .created_ms = 7,
                        .deadline_ms = 99};
    struct fv_task src;
    fv_task_copy(&src, &t);
    fv_task_set_param(&src, "retention", "30");
    fv_task_set_param(&src, "backup_name", "orders-20261121T000000Z");
    fv_task_set_param(&src, "retention", "31");
    struct fv_buf b = {0};
    fv_task_encode(&src, &b);
    struct fv_task out;
    struct fv_error err;
    assert_int_equal(fv_task_decode((struct fv_cur){b.ptr, b.len}, &out, &err), FV_OK);
    assert_string_equal(out.task_id, "t1");
    assert_string_equal(out.resource, "orders");
    assert_string_equal(out.step, "create");
    assert_int_equal(out.attempt, 3);
    assert_int_equal(out.not_before_ms, 42);
    assert_int_equal(out.deadline_ms, 99);
    assert_int_equal(out.n_params, 2);
    assert_string_equal(fv_task_param(&out, "retention"), "31");
    assert_null(fv_task_param(&out, "nope"));
    fv_task_clean_up(&out);

    /* A newer writer's unknown field (number 100, a string) is tolerated. */
    fv_buf_append(&b, "\xa2\x06\x03xyz", 6);
    assert_int_equal(fv_task_decode((struct fv_cur){b.ptr, b.len}, &out, &err), FV_OK);
    assert_string_equal(out.kind, "k");
    fv_task_clean_up(&out);
    fv_task_clean_up(&src);
    fv_buf_clean_up(&b);
}

static void test_garbage_is_rejected(void **state)
{
    (void)state;
    struct fv_task out;
    struct fv_error err;
    const char junk[] = "\xff\xff\xff\xff not protobuf";
    assert_int_equal(fv_task_decode((struct fv_cur){junk, sizeof(junk) - 1}, &out, &err),
                     FV_E_PARSE);
    assert_non_null(strstr(err.message, "not a fleetvault Task"));
    /* Decodes as protobuf but lacks the identity: rejected too. */
    assert_int_equal(fv_task_decode((struct fv_cur){"", 0}, &out, &err), FV_E_PARSE);
    fv_task_clean_up(&out);
}

static void test_result_and_event_round_trip(void **state)
{
    (void)state;
    struct fv_task t = {.task_id = "t1",
                        .run_id = "r1",
                        .kind = "dynamodb.backup",
                        .resource = "orders",
                        .attempt = 2};
    struct fv_result r;
    fv_result_for_task(&r, &t);
    r.status = FV_RESULT_FAILED;
    r.error_code = fv_strdup("AccessDeniedException");
    r.error_message = fv_strdup("not authorized to perform: dynamodb:CreateBackup");
    r.retryable = false;
    struct fv_output *o = fv_result_add_output(&r);
    o->backup_arn = fv_strdup("arn:aws:dynamodb:us-east-1:1:table/orders/backup/1");
    o->size = 123;
    fv_output_set_extra(o, "created", "yes");
    struct fv_buf b = {0};
    fv_result_encode(&r, &b);
    struct fv_result out;
    struct fv_error err;
    assert_int_equal(fv_result_decode((struct fv_cur){b.ptr, b.len}, &out, &err), FV_OK);
    assert_int_equal(out.status, FV_RESULT_FAILED);
    assert_string_equal(out.error_code, "AccessDeniedException");
    assert_int_equal(out.attempt, 2);
    assert_int_equal(out.n_outputs, 1);
    assert_int_equal(out.outputs[0].size, 123);
    assert_string_equal(out.outputs[0].extra[0].value, "yes");
    assert_null(out.outputs[0].object_key);
    fv_result_clean_up(&out);
    fv_result_clean_up(&r);

    struct fv_event e = {
        .type = fv_strdup("run.completed"), .run_id = fv_strdup("r1"), .succeeded = 5, .failed = 1};
    fv_event_set_detail(&e, "report", "s3://b/k");
    fv_event_encode(&e, &b);
    struct fv_event eo;
    assert_int_equal(fv_event_decode((struct fv_cur){b.ptr, b.len}, &eo, &err), FV_OK);
    assert_string_equal(eo.type, "run.completed");
    assert_int_equal(eo.failed, 1);
    assert_string_equal(eo.details[0].value, "s3://b/k");
    fv_event_clean_up(&eo);
    fv_event_clean_up(&e);
    fv_buf_clean_up(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_ids_are_deterministic),
        cmocka_unit_test(test_task_round_trip),
        cmocka_unit_test(test_garbage_is_rejected),
        cmocka_unit_test(test_result_and_event_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

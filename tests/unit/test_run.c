/* The coordinator's run bookkeeping: task ids, the index, results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../coordinator/run.c"

#include <stdio.h>

static void test_add_find_record(void **state)
{
    (void)state;
    struct fv_config_job job = {.name = "nightly", .type = "dynamodb_backups"};
    struct fv_run r;
    fv_run_init(&r, &job, 1440938160000, 1440938160000 + 3600000);
    assert_string_equal(r.run_id, "nightly-20150830T123600Z");
    enum { N = 5000 };
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof(name), "table-%d", i);
        struct fv_task t = {.kind = "dynamodb.backup",
                            .account = "111111111111",
                            .region = "us-east-1",
                            .resource = name};
        struct fv_run_item *it = fv_run_add(&r, &t);
        /* Adding the same resource again returns the same item. */
        assert_ptr_equal(fv_run_add(&r, &t), it);
    }
    assert_int_equal(r.n_items, N);
    for (size_t i = 0; i < r.n_items; i++)
        assert_ptr_equal(fv_run_find(&r, r.items[i].task.task_id), &r.items[i]);
    assert_null(fv_run_find(&r, "no-such-task"));

    struct fv_result res;
    fv_result_for_task(&res, &r.items[7].task);
    res.status = FV_RESULT_RETRYING;
    res.attempt = 1;
    assert_false(fv_run_record(&r, &res)); /* not terminal */
    res.status = FV_RESULT_SUCCEEDED;
    res.attempt = 2;
    assert_true(fv_run_record(&r, &res));
    assert_false(fv_run_record(&r, &res)); /* a duplicate */
    free(res.run_id);
    res.run_id = fv_strdup("another-run");
    assert_false(fv_run_record(&r, &res));
    assert_int_equal(r.n_terminal, 1);
    assert_int_equal(r.items[7].attempts, 2);
    size_t ok, failed, skipped;
    fv_run_counts(&r, &ok, &failed, &skipped);
    assert_int_equal(ok, 1);
    fv_result_clean_up(&res);
    fv_run_clean_up(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_find_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

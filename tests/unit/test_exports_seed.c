/* Moving a seed 003 deployment over (fv_export_state_from_seed): its SSM
 * parameters as its Step Functions write them become the same chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/exports.h>
#include <fv/ssm.h>

#include <stdlib.h>
#include <string.h>

static const struct fv_export_key s_key = {"nightly", "111111111111", "us-east-1", "orders"};

/* Parameters of alias "ordersexp": pairs of (name, value), value NULL = absent. */
static void s_params(struct fv_ssm_parameters *p, const char *const kv[10])
{
    memset(p, 0, sizeof(*p));
    p->items = calloc(5, sizeof(*p->items));
    for (size_t i = 0; i < 5; i++)
        if (kv[2 * i + 1]) {
            p->items[p->n].name = fv_export_seed_parameter("ordersexp", kv[2 * i]);
            p->items[p->n].value = fv_strdup(kv[2 * i + 1]);
            p->n++;
        }
}

static fv_status s_from(const char *const kv[10], struct fv_export_state *s, struct fv_error *err)
{
    struct fv_ssm_parameters p;
    s_params(&p, kv);
    fv_status st = fv_export_state_from_seed(&p, "ordersexp", &s_key, 5, s, err);
    fv_ssm_parameters_clean_up(&p);
    return st;
}

static void test_names(void **state)
{
    (void)state;
    char *names[5];
    fv_export_seed_parameters("ordersexp", names);
    assert_string_equal(names[0], "/incremental-export/ordersexp/full-export-time");
    assert_string_equal(names[1], "/incremental-export/ordersexp/last-incremental-export-time");
    assert_string_equal(names[2], "/incremental-export/ordersexp/workflow-initiated");
    assert_string_equal(names[3], "/incremental-export/ordersexp/workflow-state");
    assert_string_equal(names[4], "/incremental-export/ordersexp/workflow-action");
    for (size_t i = 0; i < 5; i++)
        free(names[i]);
}

static void test_running_chain(void **state)
{
    (void)state;
    const char *kv[10] = {"full-export-time",
                          "2026-12-01T00:00:00.250Z",
                          "last-incremental-export-time",
                          "2026-12-03T01:45:00Z",
                          "workflow-initiated",
                          "true",
                          "workflow-state",
                          "NORMAL",
                          "workflow-action",
                          "PAUSE"};
    struct fv_export_state s;
    struct fv_error err = {0};
    assert_int_equal(s_from(kv, &s, &err), FV_OK);
    assert_int_equal(s.full_export_time_ms, 1796083200250LL); /* milliseconds kept */
    assert_int_equal(s.last_incremental_export_time_ms, 1796262300000LL);
    assert_int_equal(s.initiated, FV_EXPORT_INITIATED);
    assert_int_equal(s.workflow_action, FV_EXPORT_PAUSE);
    assert_int_equal(s.version, 0);
    assert_string_equal(s.table, "orders");
    fv_export_state_clean_up(&s);
}

static void test_fresh_after_full_and_gap(void **state)
{
    (void)state;
    /* Initiated, no window yet: the chain goes on from the full export (epoch seconds). */
    const char *kv[10] = {"full-export-time",
                          "1795996800.5",
                          "last-incremental-export-time",
                          NULL,
                          "workflow-initiated",
                          "true",
                          "workflow-state",
                          "PITR_GAP",
                          "workflow-action",
                          NULL};
    struct fv_export_state s;
    struct fv_error err = {0};
    assert_int_equal(s_from(kv, &s, &err), FV_OK);
    assert_int_equal(s.last_incremental_export_time_ms, 1795996800500LL);
    assert_int_equal(s.workflow_state, FV_EXPORT_PITR_GAP);
    assert_int_equal(s.workflow_action, FV_EXPORT_RUN);
    fv_export_state_clean_up(&s);
    /* The seed's "NULL": its full export was under way. */
    kv[5] = "NULL";
    kv[7] = NULL;
    assert_int_equal(s_from(kv, &s, &err), FV_OK);
    assert_int_equal(s.initiated, FV_EXPORT_INITIATING);
    fv_export_state_clean_up(&s);
}

static void test_refused(void **state)
{
    (void)state;
    const char *none[10] = {"full-export-time",
                            NULL,
                            "last-incremental-export-time",
                            NULL,
                            "workflow-initiated",
                            NULL,
                            "workflow-state",
                            NULL,
                            "workflow-action",
                            NULL};
    struct fv_export_state s;
    struct fv_error err = {0};
    assert_int_equal(s_from(none, &s, &err), FV_E_NOTFOUND);
    fv_export_state_clean_up(&s);
    const char *bad[10] = {"full-export-time",
                           "yesterday",
                           "last-incremental-export-time",
                           NULL,
                           "workflow-initiated",
                           "true",
                           "workflow-state",
                           NULL,
                           "workflow-action",
                           NULL};
    assert_int_equal(s_from(bad, &s, &err), FV_E_PARSE);
    assert_non_null(strstr(err.message, "/incremental-export/ordersexp/full-export-time"));
    fv_export_state_clean_up(&s);
    const char *action[10] = {"full-export-time",
                              NULL,
                              "last-incremental-export-time",
                              NULL,
                              "workflow-initiated",
                              NULL,
                              "workflow-state",
                              NULL,
                              "workflow-action",
                              "STOP"};
    assert_int_equal(s_from(action, &s, &err), FV_E_PARSE);
    fv_export_state_clean_up(&s);
    /* Initiated without a full export time is no chain to continue. */
    const char *orphan[10] = {"full-export-time",
                              NULL,
                              "last-incremental-export-time",
                              NULL,
                              "workflow-initiated",
                              "true",
                              "workflow-state",
                              NULL,
                              "workflow-action",
                              NULL};
    assert_int_equal(s_from(orphan, &s, &err), FV_E_PARSE);
    fv_export_state_clean_up(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_running_chain),
        cmocka_unit_test(test_fresh_after_full_and_gap),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

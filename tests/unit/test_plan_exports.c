/* Planning a dynamodb_exports run from decisions (fv_plan_export_add): a
 * FULL or INCREMENTAL decision is one dynamodb.export task the contract
 * accepts for the job; a PITR gap is a FAILED item with its remedy that is
 * never published but notified; nothing due, or a chain that could not be
 * read, plans nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../coordinator/plan_exports.c"
#include "../../coordinator/run.c"

#include <fv/contract.h>
#include <fv/export_notice.h>

#include <json-c/json.h>

#define A "111111111111"
#define T0 INT64_C(1764770400000)
#define W INT64_C(900000)

static const char *s_config =
    "{\"region\":\"us-east-1\",\"central\":{\"account\":\"999999999999\",\"bucket\":\"b\"},"
    "\"accounts\":[{\"id\":\"" A "\"}],"
    "\"jobs\":[{\"name\":\"ex\",\"type\":\"dynamodb_exports\"}]}";

static void s_valid(const struct fv_config *cfg, const struct fv_task *t)
{
    struct fv_error err;
    struct fv_task_scope scope;
    if (fv_task_validate(t, &err) != FV_OK || fv_task_authorize(cfg, t, &scope, &err) != FV_OK)
        fail_msg("%s", err.message);
}

static void test_decisions_become_tasks(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_error err;
    struct json_object *doc = json_tokener_parse(s_config);
    assert_int_equal(fv_config_from_doc("t.json", doc, &cfg, &err), FV_OK);
    json_object_put(doc);
    struct fv_run r;
    fv_run_init(&r, &cfg.jobs[0], T0 + 5 * W, T0 + 10 * W);
    struct fv_run_target t = {.account = A, .region = "us-east-1"};

    struct fv_plan_export full = {.d = {.kind = FV_EXPORT_DO_FULL, .export_time_ms = T0}};
    struct fv_plan_export window = {
        .d = {.kind = FV_EXPORT_DO_INCREMENTAL, .from_ms = T0, .to_ms = T0 + W, .blocks_behind = 3},
        .initiated = true,
        .last_end_ms = T0,
        .chain_id = "arn:aws:dynamodb:us-east-1:" A ":table/orders/export/0"};
    struct fv_plan_export seed = window; /* a chain moved over from the seed: no export ARN */
    seed.chain_id = "imported";
    struct fv_plan_export gap = {.d = {.kind = FV_EXPORT_DO_PITR_GAP,
                                       .reason = "Incremental export start time outside PITR "
                                                 "window",
                                       .blocks_behind = 2},
                                 .initiated = true,
                                 .last_end_ms = T0};
    snprintf(gap.d.remedy, sizeof(gap.d.remedy), "reset the chain: fleetvault exports reset");
    struct fv_plan_export idle = {.d = {.kind = FV_EXPORT_DO_NOTHING}};
    struct fv_plan_export unread = {.d = {.kind = FV_EXPORT_DO_FULL}, .error = "AccessDenied"};

    fv_plan_export_add(&r, &t, "orders", &full);
    fv_plan_export_add(&r, &t, "users", &window);
    fv_plan_export_add(&r, &t, "seeded", &seed);
    fv_plan_export_add(&r, &t, "payments", &gap);
    fv_plan_export_add(&r, &t, "idle", &idle);
    fv_plan_export_add(&r, &t, "unread", &unread);
    assert_int_equal(r.n_items, 4);

    struct fv_task *f = &r.items[0].task;
    assert_string_equal(f->kind, "dynamodb.export");
    assert_string_equal(f->step, "start");
    assert_string_equal(fv_task_param(f, "export_time_ms"), "1764770400000");
    assert_null(fv_task_param(f, "from_ms"));
    s_valid(&cfg, f);

    struct fv_task *w = &r.items[1].task;
    assert_string_equal(fv_task_param(w, "from_ms"), "1764770400000");
    assert_string_equal(fv_task_param(w, "to_ms"), "1764771300000");
    assert_string_equal(fv_task_param(w, "blocks_behind"), "3");
    assert_string_equal(fv_task_param(w, "chain_id"), window.chain_id);
    s_valid(&cfg, w);

    struct fv_task *s = &r.items[2].task;
    assert_null(fv_task_param(s, "chain_id")); /* not an ARN of the account: left out */
    s_valid(&cfg, s);

    /* the gap: terminal FAILED already, with what the notification needs */
    struct fv_run_item *g = &r.items[3];
    assert_true(g->terminal);
    assert_false(r.items[0].terminal);
    assert_int_equal(g->result.status, FV_RESULT_FAILED);
    assert_string_equal(g->result.error_code, "PitrGap");
    struct fv_export_notice n;
    assert_true(fv_export_notice_from_result(&g->result, &n));
    assert_false(n.success);
    assert_int_equal(n.type, FV_DDB_EXPORT_INCREMENTAL);
    assert_int_equal(n.blocks_behind, 2);
    assert_string_equal(n.remedy, gap.d.remedy);
    assert_string_equal(n.table, "payments");
    assert_int_equal(r.n_terminal, 1);

    fv_run_clean_up(&r);
    fv_config_clean_up(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decisions_become_tasks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

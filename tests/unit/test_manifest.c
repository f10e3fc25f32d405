/* The manifest reader (lib/run/manifest_read.c): what verify and restore
 * read is what the coordinator wrote, and a damaged manifest gives one
 * error naming the file and the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* The writer, to read back what it writes. */
#include "../../coordinator/manifest.c"
#include "../../coordinator/run.c"

#include <fv/manifest.h>

#include <stdio.h>
#include <stdlib.h>

static char *s_data(const char *name)
{
    const char *dir = getenv("FV_TEST_DATA");
    struct fv_buf b = {0};
    fv_buf_printf(&b, "%s/manifest/%s", dir ? dir : "tests/data", name);
    return fv_buf_detach(&b);
}

static void test_reads_a_quicksight_run(void **state)
{
    (void)state;
    char *path = s_data("quicksight-run.json");
    struct fv_manifest m;
    struct fv_error err = {0};
    assert_int_equal(fv_manifest_load(path, &m, &err), FV_OK);
    assert_string_equal(m.path, path);
    assert_int_equal(m.version, 1);
    assert_string_equal(m.run_id, "quicksight-20261203T030000Z");
    assert_string_equal(m.job, "quicksight");
    assert_string_equal(m.type, "quicksight");
    assert_string_equal(m.outcome, "partial");
    assert_int_equal(m.started_s, 1796266800); /* 2026-12-03T03:00:00Z */
    assert_int_equal(m.succeeded, 3);
    assert_int_equal(m.failed, 1);
    assert_int_equal(m.n_targets, 1);
    assert_string_equal(m.targets[0].account_name, "member-a");
    assert_int_equal(m.n_resources, 4);

    const struct fv_manifest_resource *users = &m.resources[0];
    assert_string_equal(users->kind, "quicksight.users");
    assert_true(fv_manifest_resource_succeeded(users));
    assert_int_equal(users->n_outputs, 1);
    assert_string_equal(fv_manifest_output_extra(&users->outputs[0], "table"),
                        "2026-12-03-quicksight-users-backup");
    assert_null(users->outputs[0].object_key);
    assert_int_equal(users->outputs[0].size, -1);

    const struct fv_manifest_output *bundle = &m.resources[1].outputs[0];
    assert_string_equal(bundle->bucket, "fleetvault-backups-123456789012");
    assert_int_equal(bundle->size, 4096);
    assert_string_equal(bundle->sha256,
                        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    assert_string_equal(fv_manifest_output_extra(bundle, "type"), "dashboards");
    assert_string_equal(fv_manifest_output_extra(bundle, "assets"), "50");
    /* A newer writer's field that is not a string is left alone. */
    assert_null(fv_manifest_output_extra(bundle, "future_number"));
    assert_null(fv_manifest_output_extra(bundle, "object_key"));
    assert_int_equal(m.resources[1].attempts, 2);

    const struct fv_manifest_resource *failed = &m.resources[2];
    assert_false(fv_manifest_resource_succeeded(failed));
    assert_string_equal(failed->error_code, "LimitExceededException");
    assert_int_equal(failed->n_outputs, 0);

    const struct fv_manifest_resource *ddb = &m.resources[3];
    assert_null(ddb->task_id);
    assert_string_equal(ddb->region, "eu-west-1");
    assert_int_equal(ddb->n_outputs, 2);
    assert_string_equal(ddb->outputs[0].backup_name, "orders-20261203T030000Z");
    assert_string_equal(fv_manifest_output_extra(&ddb->outputs[1], "action"), "deleted");
    fv_manifest_clean_up(&m);
    fv_manifest_clean_up(&m); /* twice is fine */
    free(path);
}

static void s_expect_error(const char *file, const char *message)
{
    char *path = s_data(file);
    struct fv_manifest m;
    struct fv_error err = {0};
    assert_int_equal(fv_manifest_load(path, &m, &err), FV_E_INVALID);
    struct fv_buf want = {0};
    fv_buf_printf(&want, "%s: %s", path, message);
    assert_string_equal(err.message, want.ptr);
    assert_null(m.resources);
    assert_null(m.run_id);
    fv_buf_clean_up(&want);
    free(path);
}

static void test_a_missing_field_is_named(void **state)
{
    (void)state;
    s_expect_error("missing-field.json", "resources[1].status: missing");
}

static void test_a_wrong_type_is_named(void **state)
{
    (void)state;
    s_expect_error("wrong-type.json", "resources[0].outputs[0].size: not an integer");
}

static void s_parse_error(const char *text, const char *message)
{
    struct fv_manifest m;
    struct fv_error err = {0};
    assert_int_equal(fv_manifest_parse("m.json", text, strlen(text), &m, &err), FV_E_INVALID);
    assert_string_equal(err.message, message);
}

#define S_HEAD "{\"manifest_version\": 1, \"run_id\": \"j-20261203T030000Z\", \"job\": \"j\", "
#define S_RES(x)                                                                                   \
    S_HEAD "\"type\": \"quicksight\", \"resources\": [{\"kind\": \"k\", \"account\": "             \
           "\"111111111111\", \"resource\": \"r\", \"status\": \"SUCCEEDED\", " x "}]}"

static void test_each_rule_gives_one_message(void **state)
{
    (void)state;
    s_parse_error("", "m.json: not JSON (it ends early)");
    s_parse_error("{\"manifest_version\": 1", "m.json: not JSON (it ends early)");
    s_parse_error("[]", "m.json: not a manifest (not a JSON object)");
    s_parse_error("{} {}", "m.json: not JSON (more after the document)");
    s_parse_error("{}", "m.json: manifest_version: missing");
    s_parse_error("{\"manifest_version\": 2}",
                  "m.json: manifest_version: 2: this fleetvault reads version 1");
    s_parse_error(S_HEAD "\"type\": 5, \"resources\": []}", "m.json: type: not a string");
    s_parse_error(S_HEAD "\"type\": \"quicksight\", \"resources\": {}}",
                  "m.json: resources: not a list");
    s_parse_error(S_HEAD "\"type\": \"quicksight\", \"started\": \"yesterday\", \"resources\": []}",
                  "m.json: started: not an ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)");
    s_parse_error(S_HEAD "\"type\": \"quicksight\", \"resources\": [7]}",
                  "m.json: resources[0]: not an object");
    s_parse_error(S_HEAD "\"type\": \"quicksight\", \"resources\": [{\"kind\": \"k\", "
                         "\"account\": \"1111\", \"resource\": \"r\", \"status\": \"S\"}]}",
                  "m.json: resources[0].account: not a 12-digit account id");
    s_parse_error(S_RES("\"outputs\": [{\"object_key\": \"k\", \"size\": 1}]"),
                  "m.json: resources[0].outputs[0].bucket: missing");
    s_parse_error(S_RES("\"outputs\": [{\"object_key\": \"k\", \"bucket\": \"b\"}]"),
                  "m.json: resources[0].outputs[0].size: missing");
    s_parse_error(S_RES("\"outputs\": [{\"object_key\": \"k\", \"bucket\": \"b\", \"size\": -1}]"),
                  "m.json: resources[0].outputs[0].size: -1 is below 0");
    s_parse_error(S_RES("\"outputs\": [{\"object_key\": \"k\", \"bucket\": \"b\", \"size\": 1, "
                        "\"sha256\": \"ABC\"}]"),
                  "m.json: resources[0].outputs[0].sha256: not 64 lowercase hex digits");
    s_parse_error(S_RES("\"outputs\": [{\"backup_arn\": \"orders\"}]"),
                  "m.json: resources[0].outputs[0].backup_arn: not an ARN");
    s_parse_error(S_RES("\"attempts\": 1.5"), "m.json: resources[0].attempts: not an integer");

    struct fv_manifest m;
    struct fv_error err = {0};
    const char *ok =
        S_RES("\"outputs\": [{\"object_key\": \"k\", \"bucket\": \"b\", \"size\": 0}]");
    assert_int_equal(fv_manifest_parse("m.json", ok, strlen(ok), &m, &err), FV_OK);
    assert_int_equal(m.started_s, -1);
    assert_int_equal(m.resources[0].outputs[0].size, 0);
    fv_manifest_clean_up(&m);
}

/* What coordinator/manifest.c writes, read back field by field. */
static void test_reads_what_the_coordinator_writes(void **state)
{
    (void)state;
    struct fv_config_job job = {.name = "nightly", .type = "dynamodb_backups"};
    struct fv_run r;
    fv_run_init(&r, &job, 1796266800000, 1796266800000 + 3600000);
    struct fv_task t = {.kind = "dynamodb.backup",
                        .account = "111111111111",
                        .region = "us-east-1",
                        .resource = "orders"};
    struct fv_run_item *it = fv_run_add(&r, &t);
    struct fv_result res;
    fv_result_for_task(&res, &it->task);
    res.status = FV_RESULT_SUCCEEDED;
    res.attempt = 2;
    res.worker = fv_strdup("w-1");
    res.n_outputs = 2;
    res.outputs = fv_calloc(2, sizeof(*res.outputs));
    res.outputs[0].backup_arn =
        fv_strdup("arn:aws:dynamodb:us-east-1:111111111111:table/orders/backup/01");
    res.outputs[0].backup_name = fv_strdup("orders-20261203T030000Z");
    res.outputs[1].bucket = fv_strdup("central");
    res.outputs[1].object_key = fv_strdup("a/b.zip");
    res.outputs[1].size = 77;
    res.outputs[1].sha256 =
        fv_strdup("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    res.outputs[1].n_extra = 1;
    res.outputs[1].extra = fv_calloc(1, sizeof(struct fv_kv));
    res.outputs[1].extra[0].key = fv_strdup("type");
    res.outputs[1].extra[0].value = fv_strdup("dashboards");
    assert_true(fv_run_record(&r, &res));
    r.finished_ms = 1796267000000;
    char *json = fv_run_manifest_json(&r);

    struct fv_manifest m;
    struct fv_error err = {0};
    assert_int_equal(fv_manifest_parse("written.json", json, strlen(json), &m, &err), FV_OK);
    assert_string_equal(m.run_id, "nightly-20261203T030000Z");
    assert_string_equal(m.job, "nightly");
    assert_string_equal(m.type, "dynamodb_backups");
    assert_string_equal(m.outcome, "succeeded");
    assert_int_equal(m.started_s, 1796266800);
    assert_int_equal(m.succeeded, 1);
    assert_int_equal(m.n_resources, 1);
    const struct fv_manifest_resource *mr = &m.resources[0];
    assert_string_equal(mr->task_id, it->task.task_id);
    assert_string_equal(mr->status, "SUCCEEDED");
    assert_string_equal(mr->worker, "w-1");
    assert_int_equal(mr->attempts, 2);
    assert_int_equal(mr->n_outputs, 2);
    assert_string_equal(mr->outputs[0].backup_arn, res.outputs[0].backup_arn);
    assert_string_equal(mr->outputs[0].backup_name, "orders-20261203T030000Z");
    assert_string_equal(mr->outputs[1].object_key, "a/b.zip");
    assert_int_equal(mr->outputs[1].size, 77);
    assert_string_equal(mr->outputs[1].sha256, res.outputs[1].sha256);
    assert_string_equal(fv_manifest_output_extra(&mr->outputs[1], "type"), "dashboards");
    fv_manifest_clean_up(&m);
    free(json);
    fv_result_clean_up(&res);
    fv_run_clean_up(&r);
}

static void test_a_missing_file_is_not_found(void **state)
{
    (void)state;
    struct fv_manifest m;
    struct fv_error err = {0};
    assert_int_equal(fv_manifest_load("/nonexistent/m.json", &m, &err), FV_E_NOTFOUND);
    assert_string_equal(err.message, "/nonexistent/m.json: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_a_quicksight_run),
        cmocka_unit_test(test_a_missing_field_is_named),
        cmocka_unit_test(test_a_wrong_type_is_named),
        cmocka_unit_test(test_each_rule_gives_one_message),
        cmocka_unit_test(test_reads_what_the_coordinator_writes),
        cmocka_unit_test(test_a_missing_file_is_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The export notification (seed 003): every message fleetvault builds
 * validates against the seed's schema (tests/data/exports/
 * notification.schema.json, checked here by a small validator of the
 * keywords it uses: type, enum, required, additionalProperties), and the
 * values say what happened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/export_notice.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *s_schema(void)
{
    const char *dir = getenv("FV_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof(path), "%s/exports/notification.schema.json", dir ? dir : "tests/data");
    struct json_object *s = json_object_from_file(path);
    if (!s)
        fail_msg("cannot read %s", path);
    return s;
}

static bool s_type_ok(const char *type, struct json_object *v)
{
    if (strcmp(type, "string") == 0)
        return json_object_is_type(v, json_type_string);
    if (strcmp(type, "integer") == 0)
        return json_object_is_type(v, json_type_int);
    if (strcmp(type, "object") == 0)
        return json_object_is_type(v, json_type_object);
    fail_msg("the validator does not know type %s", type);
    return false;
}

/* NULL when msg validates, else why not (static). */
static const char *s_validate(struct json_object *schema, struct json_object *msg)
{
    static char why[256];
    struct json_object *props = NULL, *req = NULL, *addl = NULL, *type = NULL;
    json_object_object_get_ex(schema, "properties", &props);
    if (json_object_object_get_ex(schema, "type", &type) &&
        !s_type_ok(json_object_get_string(type), msg))
        return "not an object";
    if (json_object_object_get_ex(schema, "required", &req))
        for (size_t i = 0; i < json_object_array_length(req); i++) {
            const char *k = json_object_get_string(json_object_array_get_idx(req, i));
            if (!json_object_object_get_ex(msg, k, NULL)) {
                snprintf(why, sizeof(why), "'%s' is missing", k);
                return why;
            }
        }
    bool closed = json_object_object_get_ex(schema, "additionalProperties", &addl) &&
                  !json_object_get_boolean(addl);
    json_object_object_foreach(msg, key, val)
    {
        struct json_object *p = NULL, *t = NULL, *e = NULL;
        if (!json_object_object_get_ex(props, key, &p)) {
            if (closed) {
                snprintf(why, sizeof(why), "'%s' is not in the schema", key);
                return why;
            }
            continue;
        }
        if (json_object_object_get_ex(p, "type", &t) &&
            !s_type_ok(json_object_get_string(t), val)) {
            snprintf(why, sizeof(why), "'%s' is not of type %s", key, json_object_get_string(t));
            return why;
        }
        if (json_object_object_get_ex(p, "enum", &e)) {
            bool in = false;
            for (size_t i = 0; i < json_object_array_length(e); i++)
                in = in || (json_object_is_type(val, json_type_string) &&
                            strcmp(json_object_get_string(json_object_array_get_idx(e, i)),
                                   json_object_get_string(val)) == 0);
            if (!in) {
                snprintf(why, sizeof(why), "'%s' = '%s' is not one of its enum", key,
                         json_object_get_string(val));
                return why;
            }
        }
    }
    return NULL;
}

/* The validator itself refuses what the schema refuses. */
static void test_validator_refuses(void **state)
{
    (void)state;
    struct json_object *schema = s_schema();
    const char *bad[] = {
        "[]",
        "{\"message\":\"m\"}",
        "{\"message\":\"m\",\"exportType\":\"DELTA\",\"status\":\"SUCCESS\",\"executionId\":\"e\","
        "\"incrementalBlocksBehind\":0,\"startTime\":\"\",\"endTime\":\"\",\"exportStartTime\":"
        "\"\","
        "\"exportEndTime\":\"\",\"account\":\"a\",\"region\":\"r\",\"table\":\"t\"}",
        "{\"message\":\"m\",\"exportType\":\"FULL_EXPORT\",\"status\":\"OK\",\"executionId\":\"e\","
        "\"incrementalBlocksBehind\":0,\"startTime\":\"\",\"endTime\":\"\",\"exportStartTime\":"
        "\"\","
        "\"exportEndTime\":\"\",\"account\":\"a\",\"region\":\"r\",\"table\":\"t\"}",
        "{\"message\":\"m\",\"exportType\":\"FULL_EXPORT\",\"status\":\"FAILED\",\"executionId\":"
        "\"e\",\"incrementalBlocksBehind\":\"0\",\"startTime\":\"\",\"endTime\":\"\","
        "\"exportStartTime\":\"\",\"exportEndTime\":\"\",\"account\":\"a\",\"region\":\"r\","
        "\"table\":\"t\"}",
        "{\"message\":\"m\",\"exportType\":\"FULL_EXPORT\",\"status\":\"FAILED\",\"executionId\":"
        "\"e\",\"incrementalBlocksBehind\":0,\"startTime\":\"\",\"endTime\":\"\","
        "\"exportStartTime\":\"\",\"exportEndTime\":\"\",\"account\":\"a\",\"region\":\"r\","
        "\"table\":\"t\",\"extra\":1}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct json_object *m = json_tokener_parse(bad[i]);
        assert_non_null(m);
        if (!s_validate(schema, m))
            fail_msg("validated: %s", bad[i]);
        json_object_put(m);
    }
    json_object_put(schema);
}

static struct json_object *s_check(struct json_object *schema, const struct fv_export_notice *n)
{
    struct fv_buf body = {0};
    fv_export_notice_json(n, &body);
    struct json_object *m = json_tokener_parse(body.ptr);
    assert_non_null(m);
    const char *why = s_validate(schema, m);
    if (why)
        fail_msg("%s: %s", why, body.ptr);
    /* the Event carries the same body */
    struct fv_event e;
    fv_export_notice_event(n, "ex-20261203T140000Z", 1764771300000, &e);
    const char *ebody = NULL, *estatus = NULL;
    for (size_t i = 0; i < e.n_details; i++) {
        if (strcmp(e.details[i].key, "body") == 0)
            ebody = e.details[i].value;
        if (strcmp(e.details[i].key, "status") == 0)
            estatus = e.details[i].value;
    }
    assert_non_null(ebody);
    assert_string_equal(ebody, body.ptr);
    assert_string_equal(estatus, fv_export_notice_status(n));
    assert_string_equal(e.type, n->success ? "export.succeeded" : "export.failed");
    assert_string_equal(e.severity, n->success ? "info" : "error");
    /* and survives the wire */
    struct fv_buf wire = {0};
    struct fv_event back;
    struct fv_error err;
    fv_event_encode(&e, &wire);
    assert_int_equal(fv_event_decode((struct fv_cur){wire.ptr, wire.len}, &back, &err), FV_OK);
    assert_string_equal(back.summary, n->message);
    fv_event_clean_up(&back);
    fv_buf_clean_up(&wire);
    fv_event_clean_up(&e);
    fv_buf_clean_up(&body);
    return m;
}

static const char *s_str(struct json_object *m, const char *k)
{
    struct json_object *v = NULL;
    assert_true(json_object_object_get_ex(m, k, &v));
    return json_object_get_string(v);
}

static void test_every_message_follows_the_seed_schema(void **state)
{
    (void)state;
    struct json_object *schema = s_schema();
    struct fv_export_notice n = {.job = "ex",
                                 .account = "111111111111",
                                 .region = "eu-west-1",
                                 .table = "orders",
                                 .execution_id = "0123456789abcdef0123456789abcdef",
                                 .export_arn = "arn:aws:dynamodb:eu-west-1:111111111111:table/"
                                               "orders/export/01",
                                 .type = FV_DDB_EXPORT_INCREMENTAL,
                                 .success = true,
                                 .message = "incremental export of orders COMPLETED",
                                 .blocks_behind = 7,
                                 .start_ms = 1764771000123,
                                 .end_ms = 1764771240000,
                                 .export_from_ms = 1764769500000,
                                 .export_to_ms = 1764770400000};
    struct json_object *m = s_check(schema, &n);
    assert_string_equal(s_str(m, "exportType"), "INCREMENTAL_EXPORT");
    assert_string_equal(s_str(m, "status"), "SUCCESS");
    assert_string_equal(s_str(m, "startTime"), "2025-12-03T14:10:00.123Z");
    assert_string_equal(s_str(m, "exportStartTime"), "2025-12-03T13:45:00.000Z");
    assert_string_equal(s_str(m, "exportEndTime"), "2025-12-03T14:00:00.000Z");
    assert_string_equal(s_str(m, "table"), "orders");
    assert_int_equal(json_object_get_int64(json_object_object_get(m, "incrementalBlocksBehind")),
                     7);
    assert_false(json_object_object_get_ex(m, "remedy", NULL)); /* nobody must act */
    json_object_put(m);

    /* a full export that failed before it started: no times of its own */
    n.type = FV_DDB_EXPORT_FULL;
    n.success = false;
    n.export_arn = NULL;
    n.start_ms = n.end_ms = 0;
    n.export_from_ms = n.export_to_ms = 1764771000000;
    n.blocks_behind = 0;
    n.message = "full export of orders FAILED: PointInTimeRecoveryUnavailableException";
    n.remedy = "";
    m = s_check(schema, &n);
    assert_string_equal(s_str(m, "exportType"), "FULL_EXPORT");
    assert_string_equal(s_str(m, "status"), "FAILED");
    assert_string_equal(s_str(m, "startTime"), "");
    assert_false(json_object_object_get_ex(m, "remedy", NULL));
    json_object_put(m);

    /* a PITR gap: a person must act, and is told how */
    n.type = FV_DDB_EXPORT_INCREMENTAL;
    n.remedy = "set workflow-action to RESET_WITH_FULL_EXPORT_AGAIN: fleetvault exports reset "
               "--job ex --table orders --account 111111111111 --region eu-west-1";
    n.message = "Incremental export start time outside PITR window";
    m = s_check(schema, &n);
    assert_string_equal(s_str(m, "remedy"), n.remedy);
    json_object_put(m);
    json_object_put(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validator_refuses),
        cmocka_unit_test(test_every_message_follows_the_seed_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

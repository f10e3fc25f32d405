#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/config.h>
#include <fv/doc.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes text to a temp file with the given suffix; returns its path. */
static char *s_write(const char *suffix, const char *text)
{
    char tmpl[64];
    snprintf(tmpl, sizeof(tmpl), "/tmp/fvcfgXXXXXX%s", suffix);
    int fd = mkstemps(tmpl, (int)strlen(suffix));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return strdup(tmpl);
}

static fv_status s_load(const char *suffix, const char *text, struct fv_config *cfg,
                        struct fv_error *err, char **path_out)
{
    char *path = s_write(suffix, text);
    fv_status st = fv_config_load(path, cfg, err);
    if (path_out)
        *path_out = path;
    else {
        unlink(path);
        free(path);
    }
    return st;
}

static void test_yaml_and_json_are_one_schema(void **state)
{
    (void)state;
    const char *yaml = "region: eu-west-1\n"
                       "accounts:\n"
                       "  - id: \"111111111111\"\n"
                       "    name: member-a\n"
                       "    role_arn: arn:aws:iam::111111111111:role/fleetvault-member\n"
                       "    external_id: x-1\n"
                       "    regions: [eu-west-1, us-east-1]\n"
                       "  - id: 222222222222\n"
                       "aws:\n  max_attempts: 7\n";
    const char *json = "{\"region\":\"eu-west-1\",\"accounts\":[{\"id\":\"111111111111\","
                       "\"name\":\"member-a\",\"role_arn\":\"arn:aws:iam::111111111111:role/"
                       "fleetvault-member\",\"external_id\":\"x-1\",\"regions\":[\"eu-west-1\","
                       "\"us-east-1\"]},{\"id\":\"222222222222\"}],\"aws\":{\"max_attempts\":7}}";
    for (int i = 0; i < 2; i++) {
        struct fv_config cfg;
        struct fv_error err;
        assert_int_equal(s_load(i ? ".json" : ".yaml", i ? json : yaml, &cfg, &err, NULL), FV_OK);
        assert_string_equal(cfg.region, "eu-west-1");
        assert_int_equal(cfg.n_accounts, 2);
        assert_string_equal(cfg.accounts[0].id, "111111111111");
        assert_string_equal(cfg.accounts[0].external_id, "x-1");
        assert_int_equal(cfg.accounts[0].n_regions, 2);
        assert_string_equal(cfg.accounts[0].regions[1], "us-east-1");
        /* an unquoted YAML account id is an integer to YAML; taken back as text */
        assert_string_equal(cfg.accounts[1].id, "222222222222");
        assert_string_equal(cfg.accounts[1].name, "222222222222");
        assert_string_equal(cfg.accounts[1].session_name, "fleetvault");
        assert_int_equal(cfg.max_attempts, 7);
        assert_int_equal(cfg.connect_timeout_ms, 3000);
        assert_string_equal(cfg.log_level, "info");
        fv_config_clean_up(&cfg);
    }
}

static void s_expect_error(const char *suffix, const char *text, const char *needle)
{
    struct fv_config cfg;
    struct fv_error err;
    char *path = NULL;
    fv_status st = s_load(suffix, text, &cfg, &err, &path);
    if (st == FV_OK)
        fail_msg("expected an error containing '%s'", needle);
    if (!strstr(err.message, needle))
        fail_msg("error '%s' lacks '%s'", err.message, needle);
    if (!strstr(err.message, path))
        fail_msg("error '%s' does not name the file %s", err.message, path);
    assert_null(strchr(err.message, '\n'));
    unlink(path);
    free(path);
}

static void test_errors_name_file_and_key(void **state)
{
    (void)state;
    s_expect_error(".yaml", "region: us-east-1\naccounts:\n  - id: 12\n",
                   "accounts[0].id: must be a 12-digit AWS account id, got '12'");
    s_expect_error(".yaml", "region: us-east-1\nregoin: x\n", "regoin: unknown key");
    s_expect_error(".yaml", "region: us-east-1\naws:\n  max_attempt: 3\n",
                   "aws.max_attempt: unknown key");
    s_expect_error(".yaml", "region: us-east-1\naws:\n  max_attempts: 0\n",
                   "aws.max_attempts: must be between 1 and 20 inclusive, got 0");
    s_expect_error(".yaml", "region: us-east-1\naws:\n  max_attempts: many\n",
                   "aws.max_attempts: must be an integer, got 'many'");
    s_expect_error(".yaml", "region: nowhere\n", "region: must be an AWS region");
    s_expect_error(".yaml", "region: us-east-1\naccounts:\n  - name: x\n",
                   "accounts[0].id: required key is missing");
    s_expect_error(".yaml",
                   "region: us-east-1\naccounts:\n  - id: '111111111111'\n    role_arn: nope\n",
                   "accounts[0].role_arn: must be an ARN");
    s_expect_error(".yaml",
                   "region: us-east-1\naccounts:\n  - id: '111111111111'\n  - id: '111111111111'\n",
                   "accounts[1].id: account 111111111111 is listed twice");
    s_expect_error(".yaml", "region: us-east-1\nlogging:\n  level: loud\n",
                   "logging.level: must be one of");
    s_expect_error(".yaml", "region: [unclosed\n", ":2:");
    s_expect_error(".yaml", "region: a\nregion: b\n", "duplicate key 'region'");
    s_expect_error(".json", "{\"region\": \"us-east-1\",}", ":1:");
    s_expect_error(".txt", "region: us-east-1\n", "Configuration file must be YAML or JSON:");
}

static void test_jobs_and_kafka(void **state)
{
    (void)state;
    const char *yaml = "region: us-east-1\n"
                       "accounts:\n  - id: '111111111111'\n"
                       "kafka:\n  brokers: b1:9092,b2:9092\n"
                       "  properties:\n    security.protocol: SASL_SSL\n    linger.ms: 10\n"
                       "jobs:\n"
                       "  - name: nightly\n    type: dynamodb_backups\n"
                       "    schedule: cron(0 2 * * ? *)\n"
                       "    tables:\n      tags: [backup=daily]\n      prefixes: [orders]\n"
                       "    retention: 7\n";
    struct fv_config cfg;
    struct fv_error err;
    assert_int_equal(s_load(".yaml", yaml, &cfg, &err, NULL), FV_OK);
    assert_string_equal(cfg.kafka_brokers, "b1:9092,b2:9092");
    assert_int_equal(cfg.n_kafka_properties, 2);
    assert_string_equal(cfg.kafka_properties[0], "security.protocol");
    assert_string_equal(cfg.kafka_properties[3], "10");
    assert_int_equal(cfg.n_jobs, 1);
    const struct fv_config_job *j = fv_config_job(&cfg, "nightly");
    assert_non_null(j);
    assert_int_equal(j->kind, FV_JOB_DYNAMODB_BACKUPS);
    assert_int_equal(j->retention, 7);
    assert_true(j->deny_delete_policy);
    assert_string_equal(j->table_tags[0], "backup=daily");
    assert_null(fv_config_job(&cfg, "other"));
    fv_config_clean_up(&cfg);

    s_expect_error(".yaml", "region: us-east-1\njobs:\n  - name: a\n    type: tape\n",
                   "jobs[0].type: must be one of dynamodb_backups, quicksight, got 'tape'");
    s_expect_error(".yaml",
                   "region: us-east-1\njobs:\n  - name: a\n    type: dynamodb_backups\n"
                   "    tables:\n      tags: [daily]\n",
                   "jobs[0].tables.tags[0]: must be key=value, got 'daily'");
    s_expect_error(".yaml",
                   "region: us-east-1\njobs:\n  - name: a\n    type: dynamodb_backups\n"
                   "    accounts: ['333333333333']\n",
                   "jobs[0].accounts[0]: account 333333333333 is not in accounts");
    s_expect_error(".yaml", "region: us-east-1\nkafka:\n  properties: [a]\n",
                   "kafka.properties: must be a mapping");
    s_expect_error(".yaml",
                   "region: us-east-1\njobs:\n  - name: a\n    type: quicksight\n"
                   "  - name: a\n    type: quicksight\n",
                   "jobs[1].name: job 'a' is defined twice");
}

static void test_missing_file(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_error err;
    assert_int_equal(fv_config_load("/nonexistent/fleet.yaml", &cfg, &err), FV_E_NOTFOUND);
    assert_string_equal(err.message, "Configuration file does not exist: /nonexistent/fleet.yaml");
}

static void test_env_overrides_and_region_fallback(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_error err;
    setenv("FV_AWS_MAX_ATTEMPTS", "9", 1);
    setenv("AWS_REGION", "ap-southeast-2", 1);
    assert_int_equal(s_load(".yaml", "aws:\n  max_attempts: 3\n", &cfg, &err, NULL), FV_OK);
    assert_int_equal(cfg.max_attempts, 9);
    assert_string_equal(cfg.region, "ap-southeast-2");
    fv_config_clean_up(&cfg);
    setenv("FV_AWS_MAX_ATTEMPTS", "99", 1);
    assert_int_not_equal(s_load(".yaml", "region: us-east-1\n", &cfg, &err, NULL), FV_OK);
    assert_non_null(strstr(err.message, "FV_AWS_MAX_ATTEMPTS: aws.max_attempts"));
    unsetenv("FV_AWS_MAX_ATTEMPTS");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    assert_int_not_equal(s_load(".yaml", "profile: x\n", &cfg, &err, NULL), FV_OK);
    assert_non_null(strstr(err.message, "region: no region"));
}

static void test_yaml_scalars(void **state)
{
    (void)state;
    struct json_object *doc;
    struct fv_error err;
    const char *y = "a: true\nb: '1'\nc: 12\nd: ~\ne: 0123\nf: [1, x]\ng: {h: i}\n";
    assert_int_equal(fv_doc_parse("t", y, strlen(y), false, &doc, &err), FV_OK);
    struct json_object *v;
    json_object_object_get_ex(doc, "a", &v);
    assert_true(json_object_is_type(v, json_type_boolean));
    json_object_object_get_ex(doc, "b", &v);
    assert_true(json_object_is_type(v, json_type_string));
    json_object_object_get_ex(doc, "c", &v);
    assert_int_equal(json_object_get_int64(v), 12);
    json_object_object_get_ex(doc, "d", &v);
    assert_null(v);
    json_object_object_get_ex(doc, "e", &v);
    assert_string_equal(json_object_get_string(v), "0123");
    json_object_object_get_ex(doc, "g", &v);
    assert_true(json_object_is_type(v, json_type_object));
    json_object_put(doc);
}

static void test_docs_cover_every_key(void **state)
{
    (void)state;
    char *data = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&data, &size);
    fv_config_write_docs(f);
    fclose(f);
    assert_non_null(strstr(data, "`aws.max_attempts`"));
    assert_non_null(strstr(data, "`accounts[].role_arn`"));
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_and_json_are_one_schema),
        cmocka_unit_test(test_errors_name_file_and_key),
        cmocka_unit_test(test_jobs_and_kafka),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_env_overrides_and_region_fallback),
        cmocka_unit_test(test_yaml_scalars),
        cmocka_unit_test(test_docs_cover_every_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

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
        assert_int_equal(cfg.lease_ttl_s, 30);
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
                   "aws.max_attempts: max_attempts must be between 1 and 20 inclusive, got 0");
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

    s_expect_error(
        ".yaml", "region: us-east-1\njobs:\n  - name: a\n    type: tape\n",
        "jobs[0].type: must be one of dynamodb_backups, quicksight, dynamodb_exports, got 'tape'");
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

/* A fleet with one quicksight job q; extra: more of its keys, 4-space indented. */
static fv_status s_load_qs(const char *extra, struct fv_config *cfg, struct fv_error *err)
{
    struct fv_buf y = {0};
    fv_buf_printf(&y,
                  "region: us-east-1\n"
                  "accounts:\n  - id: '111111111111'\n"
                  "central:\n  account: '123456789012'\n  bucket: central-b\n"
                  "jobs:\n  - name: q\n    type: quicksight\n%s",
                  extra);
    fv_status st = s_load(".yaml", fv_buf_str(&y), cfg, err, NULL);
    fv_buf_clean_up(&y);
    return st;
}

static void s_expect_qs_error(const char *extra, const char *needle)
{
    struct fv_buf y = {0};
    fv_buf_printf(&y,
                  "region: us-east-1\n"
                  "central:\n  bucket: central-b\n"
                  "jobs:\n  - name: q\n    type: quicksight\n%s",
                  extra);
    s_expect_error(".yaml", fv_buf_str(&y), needle);
    fv_buf_clean_up(&y);
}

/* An external cluster is reached over TLS unless the file says otherwise;
 * the embedded cluster never leaves the process. */
static void test_kafka_plaintext_is_refused_outside_embedded(void **state)
{
    (void)state;
    const char *head = "region: us-east-1\nkafka:\n  brokers: b1:9092\n";
    struct fv_buf y = {0};
    /* no security.protocol: librdkafka's default, PLAINTEXT */
    fv_buf_printf(&y, "%s", head);
    s_expect_error(".yaml", fv_buf_str(&y),
                   "kafka.properties.security.protocol: not set, so the cluster (kafka.brokers) "
                   "would be reached in PLAINTEXT");
    fv_buf_clean_up(&y);
    static const char *const clear[] = {"PLAINTEXT", "plaintext", "SASL_PLAINTEXT"};
    for (size_t i = 0; i < 3; i++) {
        fv_buf_printf(&y, "%s  properties:\n    security.protocol: %s\n", head, clear[i]);
        struct fv_buf want = {0};
        fv_buf_printf(&want, "kafka.properties.security.protocol: %s sends tasks", clear[i]);
        s_expect_error(".yaml", fv_buf_str(&y), fv_buf_str(&want));
        fv_buf_clean_up(&want);
        fv_buf_clean_up(&y);
    }
    /* TLS, with or without SASL; or PLAINTEXT said out loud */
    static const char *const ok[] = {
        "  properties:\n    security.protocol: SSL\n",
        "  properties:\n    security.protocol: sasl_ssl\n    sasl.mechanisms: SCRAM-SHA-512\n",
        "  allow_plaintext: true\n",
        "  allow_plaintext: true\n  properties:\n    security.protocol: PLAINTEXT\n"};
    for (size_t i = 0; i < 4; i++) {
        struct fv_config cfg;
        struct fv_error err;
        fv_buf_printf(&y, "%s%s", head, ok[i]);
        assert_int_equal(s_load(".yaml", fv_buf_str(&y), &cfg, &err, NULL), FV_OK);
        assert_int_equal(cfg.kafka_allow_plaintext, i >= 2);
        fv_config_clean_up(&cfg);
        fv_buf_clean_up(&y);
    }
    /* the embedded cluster: nothing to say, whatever the properties */
    struct fv_config cfg;
    struct fv_error err;
    assert_int_equal(s_load(".yaml", "region: us-east-1\n", &cfg, &err, NULL), FV_OK);
    assert_string_equal(cfg.kafka_brokers, "embedded");
    assert_false(cfg.kafka_allow_plaintext);
    fv_config_clean_up(&cfg);
    assert_int_equal(s_load(".yaml",
                            "region: us-east-1\nkafka:\n  brokers: embedded\n  properties:\n"
                            "    security.protocol: PLAINTEXT\n",
                            &cfg, &err, NULL),
                     FV_OK);
    fv_config_clean_up(&cfg);
    /* the bounded-state keys: defaults and bounds */
    assert_int_equal(s_load(".yaml", "region: us-east-1\n", &cfg, &err, NULL), FV_OK);
    assert_int_equal(cfg.control_ttl_days, 30);
    assert_int_equal(cfg.keep_runs, 30);
    fv_config_clean_up(&cfg);
    s_expect_error(".yaml", "region: us-east-1\ncentral:\n  control_ttl_days: 7\n",
                   "central.control_ttl_days: control_ttl_days must be between 8 and 3650");
    s_expect_error(".yaml", "region: us-east-1\ncoordinator:\n  keep_runs: -1\n",
                   "coordinator.keep_runs: keep_runs must be between 0 and 1000000");
}

static void test_quicksight_defaults(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_error err;
    assert_int_equal(s_load_qs("", &cfg, &err), FV_OK);
    const struct fv_config_job *j = fv_config_job(&cfg, "q");
    assert_non_null(j);
    assert_int_equal(j->kind, FV_JOB_QUICKSIGHT);
    assert_string_equal(j->type, "quicksight");
    assert_string_equal(j->mode, "full");
    assert_string_equal(j->namespace_, "default");
    assert_null(j->identity_region); /* the account's region */
    assert_string_equal(j->identity_tables_account, "member");
    assert_string_equal(j->users_table_name, "quicksight-users-backup");
    assert_string_equal(j->groups_table_name, "quicksight-groups-backup");
    assert_string_equal(j->users_group_table_name, "quicksight-users-groups-backup");
    assert_string_equal(j->bucket, "central-b"); /* central.bucket */
    assert_string_equal(j->prefix, "quicksight-backups");
    assert_string_equal(j->prefix_format, "YYYY/MM/DD");
    assert_true(j->include_dependencies);
    assert_true(j->include_permissions);
    assert_true(j->include_tags);
    assert_string_equal(j->export_format, "QUICKSIGHT_JSON");
    assert_int_equal(j->max_assets_per_bundle, 50);
    assert_int_equal(j->max_export_jobs, 5);
    assert_null(j->sse_kms_key_id);
    assert_false(j->bucket_owner_full_control);
    assert_int_equal(j->wait_timeout_s, 1800); /* every job's */
    /* the dynamodb_backups job's defaults are not the quicksight job's */
    assert_int_equal(j->retention, 0);
    assert_false(j->deny_delete_policy);
    assert_null(j->log_group);
    fv_config_clean_up(&cfg);

    /* ... and the other way round */
    const char *ddb = "region: us-east-1\njobs:\n  - name: d\n    type: dynamodb_backups\n";
    assert_int_equal(s_load(".yaml", ddb, &cfg, &err, NULL), FV_OK);
    assert_int_equal(cfg.jobs[0].kind, FV_JOB_DYNAMODB_BACKUPS);
    assert_int_equal(cfg.jobs[0].retention, 30);
    assert_string_equal(cfg.jobs[0].retention_scope, "job");
    assert_int_equal(cfg.jobs[0].retention_min_age_s, 86400);
    assert_true(cfg.jobs[0].deny_delete_policy);
    assert_string_equal(cfg.jobs[0].log_group, "/fleetvault/dynamodb-backups");
    assert_int_equal(cfg.jobs[0].wait_timeout_s, 1800);
    assert_null(cfg.jobs[0].mode);
    assert_null(cfg.jobs[0].bucket);
    assert_null(cfg.jobs[0].users_table_name);
    assert_int_equal(cfg.jobs[0].max_assets_per_bundle, 0);
    fv_config_clean_up(&cfg);
}

static void test_quicksight_every_key(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_error err;
    const char *extra = "    mode: users-only\n"
                        "    namespace: finance\n"
                        "    identity_region: eu-west-1\n"
                        "    identity_tables_account: central\n"
                        "    identity_tables:\n"
                        "      users: u\n      groups: g\n      memberships: m\n"
                        "    s3:\n"
                        "      bucket: own-b\n      prefix: qs\n      prefix_format: YYYYMMDD\n"
                        "      sse_kms_key_id: alias/backups\n"
                        "      bucket_owner_full_control: true\n"
                        "    include_dependencies: false\n"
                        "    include_permissions: false\n"
                        "    include_tags: false\n"
                        "    export_format: CLOUDFORMATION_JSON\n"
                        "    max_assets_per_bundle: 100\n"
                        "    max_export_jobs: 1\n"
                        "    wait_timeout_s: 600\n"
                        "    schedule: rate(1 day)\n"
                        "    accounts: ['111111111111']\n";
    assert_int_equal(s_load_qs(extra, &cfg, &err), FV_OK);
    const struct fv_config_job *j = &cfg.jobs[0];
    assert_string_equal(j->mode, "users-only");
    assert_string_equal(j->namespace_, "finance");
    assert_string_equal(j->identity_region, "eu-west-1");
    assert_string_equal(j->identity_tables_account, "central");
    assert_string_equal(j->users_table_name, "u");
    assert_string_equal(j->groups_table_name, "g");
    assert_string_equal(j->users_group_table_name, "m");
    assert_string_equal(j->bucket, "own-b"); /* its own, not central.bucket */
    assert_string_equal(j->prefix, "qs");
    assert_string_equal(j->prefix_format, "YYYYMMDD");
    assert_string_equal(j->sse_kms_key_id, "alias/backups");
    assert_true(j->bucket_owner_full_control);
    assert_false(j->include_dependencies);
    assert_false(j->include_permissions);
    assert_false(j->include_tags);
    assert_string_equal(j->export_format, "CLOUDFORMATION_JSON");
    assert_int_equal(j->max_assets_per_bundle, 100);
    assert_int_equal(j->max_export_jobs, 1);
    assert_int_equal(j->wait_timeout_s, 600);
    assert_string_equal(j->schedule, "rate(1 day)");
    assert_int_equal(j->n_accounts, 1);
    fv_config_clean_up(&cfg);

    /* the lower bounds and the other choices */
    assert_int_equal(s_load_qs("    max_assets_per_bundle: 1\n"
                               "    max_export_jobs: 5\n    mode: assets-only\n"
                               "    s3:\n      prefix_format: YYYY-MM-DD\n",
                               &cfg, &err),
                     FV_OK);
    assert_int_equal(cfg.jobs[0].max_assets_per_bundle, 1);
    assert_int_equal(cfg.jobs[0].max_export_jobs, 5);
    assert_string_equal(cfg.jobs[0].mode, "assets-only");
    assert_string_equal(cfg.jobs[0].prefix_format, "YYYY-MM-DD");
    fv_config_clean_up(&cfg);
}

static void test_quicksight_bounds_and_choices(void **state)
{
    (void)state;
    s_expect_qs_error("    max_assets_per_bundle: 0\n",
                      "jobs[0].max_assets_per_bundle: max_assets_per_bundle must be between 1 "
                      "and 100 inclusive, got 0");
    s_expect_qs_error("    max_assets_per_bundle: 101\n",
                      "max_assets_per_bundle must be between 1 and 100 inclusive");
    /* Identity tasks carry no records any more: the key is gone. */
    s_expect_qs_error("    identity_chunk: 500\n", "jobs[0].identity_chunk: unknown key");
    s_expect_qs_error("    max_export_jobs: 0\n",
                      "jobs[0].max_export_jobs: max_export_jobs must be between 1 and 5 inclusive");
    s_expect_qs_error("    max_export_jobs: 6\n", "got 6");
    s_expect_qs_error("    mode: everything\n",
                      "jobs[0].mode: must be one of full, users-only, assets-only, got "
                      "'everything'");
    s_expect_qs_error("    identity_tables_account: shared\n",
                      "jobs[0].identity_tables_account: must be one of member, central");
    s_expect_qs_error("    s3:\n      prefix_format: DD/MM/YYYY\n",
                      "jobs[0].s3.prefix_format: must be one of YYYY/MM/DD, YYYY-MM-DD, YYYYMMDD");
    s_expect_qs_error("    export_format: YAML\n",
                      "jobs[0].export_format: must be one of QUICKSIGHT_JSON, "
                      "CLOUDFORMATION_JSON, got 'YAML'");
    s_expect_qs_error("    identity_region: moon\n",
                      "jobs[0].identity_region: must be an AWS region");
    s_expect_qs_error("    include_tags: maybe\n",
                      "jobs[0].include_tags: must be true or false, got 'maybe'");
    s_expect_qs_error("    s3:\n      bucket_owner_full_control: 2\n",
                      "jobs[0].s3.bucket_owner_full_control: must be true or false");
    s_expect_qs_error("    max_assets_per_bundle: lots\n",
                      "jobs[0].max_assets_per_bundle: must be an integer, got 'lots'");
    /* unknown keys inside the quicksight sections */
    s_expect_qs_error("    s3:\n      bucket_name: b\n", "jobs[0].s3.bucket_name: unknown key");
    s_expect_qs_error("    identity_tables:\n      user: u\n",
                      "jobs[0].identity_tables.user: unknown key");
    s_expect_qs_error("    bundle_size: 3\n", "jobs[0].bundle_size: unknown key");
}

static void test_keys_of_the_other_job_type(void **state)
{
    (void)state;
    /* dynamodb_backups keys on a quicksight job: what the user wrote counts */
    s_expect_qs_error("    retention: 7\n", "jobs[0].retention: only for dynamodb_backups jobs");
    s_expect_qs_error("    deny_delete_policy: false\n",
                      "jobs[0].deny_delete_policy: only for dynamodb_backups jobs");
    s_expect_qs_error("    exempt_principals: ['arn:aws:iam::1:role/x']\n",
                      "jobs[0].exempt_principals: only for dynamodb_backups jobs");
    s_expect_qs_error("    log_group: /x\n", "jobs[0].log_group: only for dynamodb_backups jobs");
    s_expect_qs_error("    tables:\n      names: [t]\n",
                      "jobs[0].tables: only for dynamodb_backups jobs");
    /* quicksight keys on a dynamodb_backups job */
    const char *head = "region: us-east-1\njobs:\n  - name: d\n    type: dynamodb_backups\n";
    const char *qs_keys[] = {"mode: full",
                             "namespace: default",
                             "identity_region: us-east-1",
                             "identity_tables_account: member",
                             "identity_tables:\n      users: u",
                             "s3:\n      bucket: b",
                             "include_dependencies: true",
                             "include_permissions: true",
                             "include_tags: true",
                             "export_format: QUICKSIGHT_JSON",
                             "max_assets_per_bundle: 50",
                             "max_export_jobs: 5"};
    for (size_t i = 0; i < sizeof(qs_keys) / sizeof(qs_keys[0]); i++) {
        char yaml[512], needle[128];
        snprintf(yaml, sizeof(yaml), "%s    %s\n", head, qs_keys[i]);
        size_t klen = strcspn(qs_keys[i], ":");
        snprintf(needle, sizeof(needle), "jobs[0].%.*s: only for quicksight jobs", (int)klen,
                 qs_keys[i]);
        s_expect_error(".yaml", yaml, needle);
    }
    /* the second job is checked too, and a key of neither type stays unknown */
    s_expect_error(".yaml",
                   "region: us-east-1\ncentral:\n  bucket: b\njobs:\n"
                   "  - name: d\n    type: dynamodb_backups\n    retention: 3\n"
                   "  - name: q\n    type: quicksight\n    retention: 3\n",
                   "jobs[1].retention: only for dynamodb_backups jobs");
    s_expect_error(".yaml",
                   "region: us-east-1\njobs:\n  - name: d\n    type: dynamodb_backups\n"
                   "    retension: 3\n",
                   "jobs[0].retension: unknown key");
    /* retention below 1, an unknown scope, a job name DynamoDB cannot carry
     * in its backup names */
    const char *ddb = "region: us-east-1\njobs:\n  - name: d\n    type: dynamodb_backups\n";
    char yaml[256];
    snprintf(yaml, sizeof(yaml), "%s    retention: 0\n", ddb);
    s_expect_error(".yaml", yaml, "jobs[0].retention");
    snprintf(yaml, sizeof(yaml), "%s    retention: -3\n", ddb);
    s_expect_error(".yaml", yaml, "jobs[0].retention");
    snprintf(yaml, sizeof(yaml), "%s    retention_scope: account\n", ddb);
    s_expect_error(".yaml", yaml, "jobs[0].retention_scope: must be one of");
    snprintf(yaml, sizeof(yaml), "%s    retention_min_age_s: -1\n", ddb);
    s_expect_error(".yaml", yaml, "jobs[0].retention_min_age_s");
    s_expect_error(".yaml",
                   "region: us-east-1\njobs:\n  - name: q\n    type: dynamodb_backups\n"
                   "  - name: nightly backups\n    type: dynamodb_backups\n",
                   "jobs[1].name: a dynamodb_backups job's name is part of its backup names");
    s_expect_error(".yaml",
                   "region: us-east-1\njobs:\n  - name: eu/daily\n    type: dynamodb_backups\n",
                   "jobs[0].name");
    /* with no valid type, the type is what is wrong */
    s_expect_error(".yaml", "region: us-east-1\njobs:\n  - name: x\n    retention: 3\n",
                   "jobs[0].type: required key is missing");
    s_expect_error(".yaml",
                   "region: us-east-1\njobs:\n  - name: x\n    type: tape\n    mode: full\n",
                   "jobs[0].type: must be one of");
}

static void test_quicksight_needs_a_bucket(void **state)
{
    (void)state;
    s_expect_error(".yaml", "region: us-east-1\njobs:\n  - name: q\n    type: quicksight\n",
                   "jobs[0].s3.bucket: a quicksight job needs a bucket");
    s_expect_error(".yaml",
                   "region: us-east-1\njobs:\n  - name: d\n    type: dynamodb_backups\n"
                   "  - name: q\n    type: quicksight\n    mode: assets-only\n",
                   "jobs[1].s3.bucket: a quicksight job needs a bucket");
    struct fv_config cfg;
    struct fv_error err;
    assert_int_equal(s_load(".yaml",
                            "region: us-east-1\njobs:\n  - name: q\n    type: quicksight\n"
                            "    s3:\n      bucket: own\n",
                            &cfg, &err, NULL),
                     FV_OK);
    assert_string_equal(cfg.jobs[0].bucket, "own");
    assert_null(cfg.central_bucket);
    fv_config_clean_up(&cfg);
    /* central.bucket from the environment counts */
    setenv("FV_CENTRAL_BUCKET", "env-b", 1);
    assert_int_equal(s_load(".yaml",
                            "region: us-east-1\njobs:\n  - name: q\n    type: quicksight\n", &cfg,
                            &err, NULL),
                     FV_OK);
    unsetenv("FV_CENTRAL_BUCKET");
    assert_string_equal(cfg.jobs[0].bucket, "env-b");
    fv_config_clean_up(&cfg);
}

static void test_quicksight_fleet_example(void **state)
{
    (void)state;
    const char *d = getenv("FV_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof(path), "%s/../../docs/examples/quicksight-fleet.yaml",
             d && *d ? d : "tests/data");
    struct fv_config cfg;
    struct fv_error err;
    if (fv_config_load(path, &cfg, &err) != FV_OK)
        fail_msg("%s (run from the repository root or set FV_TEST_DATA)", err.message);
    assert_int_equal(cfg.n_accounts, 2);
    assert_string_equal(cfg.accounts[1].role_arn,
                        "arn:aws:iam::222222222222:role/fleetvault-member");
    assert_string_equal(cfg.accounts[0].external_id, "fleetvault-demo");
    assert_string_equal(cfg.central_account, "123456789012");
    const struct fv_config_job *j = fv_config_job(&cfg, "quicksight");
    assert_non_null(j);
    assert_int_equal(j->kind, FV_JOB_QUICKSIGHT);
    assert_string_equal(j->bucket, "fleetvault-backups-123456789012");
    assert_string_equal(j->users_group_table_name, "quicksight-users-groups-backup");
    assert_int_equal(j->max_assets_per_bundle, 50);
    fv_config_clean_up(&cfg);
}

static void test_log_level_case(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_error err;
    assert_int_equal(
        s_load(".yaml", "region: us-east-1\nlogging:\n  level: WARNING\n", &cfg, &err, NULL),
        FV_OK);
    assert_string_equal(cfg.log_level, "warning");
    fv_config_clean_up(&cfg);
    setenv("FV_LOGGING_LEVEL", "DEBUG", 1);
    fv_status st = s_load(".yaml", "region: us-east-1\n", &cfg, &err, NULL);
    unsetenv("FV_LOGGING_LEVEL");
    assert_int_equal(st, FV_OK);
    assert_string_equal(cfg.log_level, "debug");
    fv_config_clean_up(&cfg);
    s_expect_error(".yaml", "region: us-east-1\nlogging:\n  level: Info\n",
                   "logging.level: must be one of");
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
    assert_non_null(strstr(data, "### type: dynamodb_backups"));
    assert_non_null(strstr(data, "`jobs[].retention`"));
    assert_non_null(strstr(data, "### type: quicksight"));
    assert_non_null(strstr(data, "`jobs[].identity_tables.memberships`"));
    assert_non_null(strstr(data, "`jobs[].max_assets_per_bundle` | integer | 50 |"));
    assert_non_null(strstr(data, "(1–100)"));
    assert_non_null(strstr(data, "`backup.max_assets_per_bundle`"));
    assert_non_null(strstr(data, "`s3.bucket_name` | string | required |"));
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_and_json_are_one_schema),
        cmocka_unit_test(test_errors_name_file_and_key),
        cmocka_unit_test(test_jobs_and_kafka),
        cmocka_unit_test(test_kafka_plaintext_is_refused_outside_embedded),
        cmocka_unit_test(test_quicksight_defaults),
        cmocka_unit_test(test_quicksight_every_key),
        cmocka_unit_test(test_quicksight_bounds_and_choices),
        cmocka_unit_test(test_keys_of_the_other_job_type),
        cmocka_unit_test(test_quicksight_needs_a_bucket),
        cmocka_unit_test(test_quicksight_fleet_example),
        cmocka_unit_test(test_log_level_case),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_env_overrides_and_region_fallback),
        cmocka_unit_test(test_yaml_scalars),
        cmocka_unit_test(test_docs_cover_every_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

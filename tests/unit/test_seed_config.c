/* The QuickSight backup tool's configuration file (seed 000), read unchanged
 * into a fleet of one account with one quicksight job. */
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

/* The seed README's quick-start file, verbatim. */
static const char *const s_quickstart = "# config.yaml\n"
                                        "aws:\n"
                                        "  region: us-east-1\n"
                                        "  account_id: \"123456789012\"\n"
                                        "\n"
                                        "dynamodb:\n"
                                        "  users_table_name: \"quicksight-users-backup\"\n"
                                        "  groups_table_name: \"quicksight-groups-backup\"\n"
                                        "  users_group_table_name: "
                                        "\"quicksight-users-groups-backup\"\n"
                                        "\n"
                                        "s3:\n"
                                        "  bucket_name: \"my-quicksight-backups\"\n"
                                        "  prefix_format: \"YYYY/MM/DD\"\n"
                                        "  prefix: \"quicksight-backups\"\n"
                                        "\n"
                                        "backup:\n"
                                        "  include_dependencies: true\n"
                                        "  include_permissions: true\n"
                                        "  include_tags: true\n"
                                        "  export_format: \"QUICKSIGHT_JSON\"\n"
                                        "  max_assets_per_bundle: 50\n"
                                        "\n"
                                        "logging:\n"
                                        "  level: \"INFO\"\n"
                                        "  file_path: \"./logs/backup.log\"\n";

static const char *s_data_dir(void)
{
    const char *d = getenv("FV_TEST_DATA");
    return d && *d ? d : "tests/data";
}

static char *s_write(const char *suffix, const char *text)
{
    char tmpl[64];
    snprintf(tmpl, sizeof(tmpl), "/tmp/fvseedXXXXXX%s", suffix);
    int fd = mkstemps(tmpl, (int)strlen(suffix));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return strdup(tmpl);
}

static fv_status s_load(const char *suffix, const char *text, struct fv_config *cfg,
                        struct fv_error *err)
{
    char *path = s_write(suffix, text);
    fv_status st = fv_config_load(path, cfg, err);
    unlink(path);
    free(path);
    return st;
}

/* The fields the README's full example gives (both its forms say the same). */
static void s_check_readme(const struct fv_config *cfg)
{
    assert_string_equal(cfg->region, "us-east-1");
    assert_int_equal(cfg->n_accounts, 1);
    assert_string_equal(cfg->accounts[0].id, "123456789012");
    assert_string_equal(cfg->accounts[0].name, "123456789012");
    assert_null(cfg->accounts[0].role_arn); /* the base credentials act in it */
    assert_null(cfg->accounts[0].regions);
    assert_string_equal(cfg->central_account, "123456789012");
    assert_null(cfg->central_bucket);
    assert_string_equal(cfg->kafka_brokers, "embedded");
    assert_int_equal(cfg->max_attempts, 5); /* fleet defaults for the rest */
    assert_int_equal(cfg->worker_concurrency, 32);
    assert_string_equal(cfg->log_level, "info");
    assert_string_equal(cfg->log_file, "./logs/backup.log");
    assert_int_equal(cfg->n_jobs, 1);
    const struct fv_config_job *j = fv_config_job(cfg, "quicksight");
    assert_non_null(j);
    assert_ptr_equal(j, &cfg->jobs[0]);
    assert_string_equal(j->type, "quicksight");
    assert_int_equal(j->kind, FV_JOB_QUICKSIGHT);
    assert_null(j->schedule);
    assert_null(j->accounts);
    assert_string_equal(j->users_table_name, "quicksight-users-backup");
    assert_string_equal(j->groups_table_name, "quicksight-groups-backup");
    assert_string_equal(j->users_group_table_name, "quicksight-users-groups-backup");
    assert_string_equal(j->bucket, "my-quicksight-backups");
    assert_string_equal(j->prefix_format, "YYYY/MM/DD");
    assert_string_equal(j->prefix, "quicksight-backups");
    assert_true(j->include_dependencies);
    assert_true(j->include_permissions);
    assert_true(j->include_tags);
    assert_string_equal(j->export_format, "QUICKSIGHT_JSON");
    assert_int_equal(j->max_assets_per_bundle, 50);
    /* what the seed does not name: the quicksight job's defaults */
    assert_string_equal(j->mode, "full");
    assert_string_equal(j->namespace_, "default");
    assert_string_equal(j->identity_tables_account, "member");
    assert_int_equal(j->max_export_jobs, 5);
    assert_null(j->sse_kms_key_id);
    assert_false(j->bucket_owner_full_control);
    assert_int_equal(j->wait_timeout_s, 1800);
    assert_null(j->log_group);
    assert_int_equal(j->retention, 0);
}

static void test_readme_yaml_and_json(void **state)
{
    (void)state;
    const char *files[] = {"../../docs/examples/quicksight-seed.yaml", "config/seed-readme.json"};
    for (size_t i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", s_data_dir(), files[i]);
        struct fv_config cfg;
        struct fv_error err;
        if (fv_config_load(path, &cfg, &err) != FV_OK)
            fail_msg("%s (run from the repository root or set FV_TEST_DATA)", err.message);
        s_check_readme(&cfg);
        assert_string_equal(cfg.path, path);
        assert_string_equal(cfg.jobs[0].identity_region, "us-east-1");
        fv_config_clean_up(&cfg);
    }
}

static void test_quickstart_and_from_doc(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_error err;
    assert_int_equal(s_load(".yml", s_quickstart, &cfg, &err), FV_OK);
    s_check_readme(&cfg);
    assert_null(cfg.jobs[0].identity_region); /* → aws.region, the account's region */
    fv_config_clean_up(&cfg);

    /* the same document already parsed */
    struct json_object *doc = NULL;
    assert_int_equal(
        fv_doc_parse("config.yaml", s_quickstart, strlen(s_quickstart), false, &doc, &err), FV_OK);
    assert_int_equal(fv_config_from_doc("config.yaml", doc, &cfg, &err), FV_OK);
    json_object_put(doc);
    s_check_readme(&cfg);
    assert_string_equal(cfg.path, "config.yaml");
    fv_config_clean_up(&cfg);
}

static void test_values_and_defaults(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_error err;
    /* only what is required: the rest are the seed's defaults */
    assert_int_equal(s_load(".yaml",
                            "aws:\n  region: eu-west-1\n  account_id: 210987654321\n"
                            "s3:\n  bucket_name: b\n",
                            &cfg, &err),
                     FV_OK);
    assert_string_equal(cfg.region, "eu-west-1");
    assert_string_equal(cfg.accounts[0].id, "210987654321"); /* unquoted: taken back as text */
    assert_string_equal(cfg.log_level, "info");
    assert_null(cfg.log_file);
    const struct fv_config_job *j = &cfg.jobs[0];
    assert_string_equal(j->users_table_name, "quicksight-users-backup");
    assert_string_equal(j->groups_table_name, "quicksight-groups-backup");
    assert_string_equal(j->users_group_table_name, "quicksight-users-groups-backup");
    assert_string_equal(j->prefix, "quicksight-backups");
    assert_string_equal(j->prefix_format, "YYYY/MM/DD");
    assert_true(j->include_dependencies && j->include_permissions && j->include_tags);
    assert_string_equal(j->export_format, "QUICKSIGHT_JSON");
    assert_int_equal(j->max_assets_per_bundle, 50);
    assert_null(j->identity_region);
    fv_config_clean_up(&cfg);

    /* every key set, at its bounds */
    const char *levels[][2] = {{"DEBUG", "debug"}, {"INFO", "info"}, {"WARNING", "warning"},
                               {"ERROR", "error"}, {"warn", "warn"}, {"debug", "debug"}};
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        char json[1024];
        snprintf(json, sizeof(json),
                 "{\"aws\": {\"region\": \"us-west-2\", \"identity_region\": \"us-east-1\", "
                 "\"account_id\": \"333333333333\"},"
                 " \"dynamodb\": {\"users_table_name\": \"u\", \"groups_table_name\": \"g\", "
                 "\"users_group_table_name\": \"m\"},"
                 " \"s3\": {\"bucket_name\": \"bk\", \"prefix_format\": \"%s\", \"prefix\": "
                 "\"p\"},"
                 " \"backup\": {\"include_dependencies\": false, \"include_permissions\": false, "
                 "\"include_tags\": false, \"export_format\": \"CLOUDFORMATION_JSON\", "
                 "\"max_assets_per_bundle\": %d},"
                 " \"logging\": {\"level\": \"%s\", \"file_path\": \"/var/log/qs.log\"}}",
                 i % 2 ? "YYYYMMDD" : "YYYY-MM-DD", i % 2 ? 100 : 1, levels[i][0]);
        assert_int_equal(s_load(".json", json, &cfg, &err), FV_OK);
        j = &cfg.jobs[0];
        assert_string_equal(cfg.region, "us-west-2");
        assert_string_equal(cfg.central_account, "333333333333");
        assert_string_equal(j->identity_region, "us-east-1");
        assert_string_equal(j->users_table_name, "u");
        assert_string_equal(j->groups_table_name, "g");
        assert_string_equal(j->users_group_table_name, "m");
        assert_string_equal(j->bucket, "bk");
        assert_string_equal(j->prefix_format, i % 2 ? "YYYYMMDD" : "YYYY-MM-DD");
        assert_string_equal(j->prefix, "p");
        assert_false(j->include_dependencies || j->include_permissions || j->include_tags);
        assert_string_equal(j->export_format, "CLOUDFORMATION_JSON");
        assert_int_equal(j->max_assets_per_bundle, i % 2 ? 100 : 1);
        assert_string_equal(cfg.log_level, levels[i][1]);
        assert_string_equal(cfg.log_file, "/var/log/qs.log");
        fv_config_clean_up(&cfg);
    }
}

static void test_seed_messages_exactly(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_error err;
    assert_int_equal(fv_config_load("fv-no-such-dir/config.yaml", &cfg, &err), FV_E_NOTFOUND);
    assert_string_equal(err.message,
                        "Configuration file does not exist: fv-no-such-dir/config.yaml");

    /* by the ending, as the seed did: YAML or JSON content alike */
    const char *bodies[] = {s_quickstart, "{\"aws\": {\"region\": \"us-east-1\", \"account_id\": "
                                          "\"123456789012\"}, \"s3\": {\"bucket_name\": \"b\"}}"};
    for (size_t i = 0; i < 2; i++) {
        char *path = s_write(".txt", bodies[i]);
        assert_int_not_equal(fv_config_load(path, &cfg, &err), FV_OK);
        char want[256];
        snprintf(want, sizeof(want), "Configuration file must be YAML or JSON: %s", path);
        assert_string_equal(err.message, want);
        unlink(path);
        free(path);
    }

    int bad[] = {0, 101, -1};
    for (size_t i = 0; i < 3; i++) {
        char yaml[256], want[256];
        snprintf(yaml, sizeof(yaml),
                 "aws:\n  region: us-east-1\n  account_id: '123456789012'\n"
                 "s3:\n  bucket_name: b\nbackup:\n  max_assets_per_bundle: %d\n",
                 bad[i]);
        char *path = s_write(".yaml", yaml);
        assert_int_not_equal(fv_config_load(path, &cfg, &err), FV_OK);
        snprintf(want, sizeof(want),
                 "%s: backup.max_assets_per_bundle: max_assets_per_bundle must be between 1 and "
                 "100 inclusive, got %d",
                 path, bad[i]);
        assert_string_equal(err.message, want);
        assert_non_null(
            strstr(err.message, "max_assets_per_bundle must be between 1 and 100 inclusive"));
        unlink(path);
        free(path);
    }
}

/* Loads text as a seed file; the error must name the file and contain needle. */
static void s_expect_error(const char *suffix, const char *text, const char *needle)
{
    char *path = s_write(suffix, text);
    struct fv_config cfg;
    struct fv_error err;
    if (fv_config_load(path, &cfg, &err) == FV_OK)
        fail_msg("expected an error containing '%s'", needle);
    char want[512];
    snprintf(want, sizeof(want), "%s: %s", path, needle);
    if (!strstr(err.message, want))
        fail_msg("error '%s' lacks '%s'", err.message, want);
    unlink(path);
    free(path);
}

#define S_BASE "aws:\n  region: us-east-1\n  account_id: '123456789012'\ns3:\n  bucket_name: b\n"

static void test_unknown_and_invalid_keys(void **state)
{
    (void)state;
    s_expect_error(".yaml", S_BASE "loging:\n  level: INFO\n", "loging: unknown key");
    s_expect_error(".yaml", S_BASE "backup:\n  mode: full\n", "backup.mode: unknown key");
    s_expect_error(".yaml", S_BASE "backup:\n  max_assets: 5\n", "backup.max_assets: unknown key");
    s_expect_error(".yaml",
                   "aws:\n  region: us-east-1\n  account_id: '123456789012'\n  profile: p\n"
                   "s3:\n  bucket_name: b\n",
                   "aws.profile: unknown key");
    s_expect_error(".yaml",
                   "aws:\n  region: us-east-1\n  account_id: '123456789012'\n"
                   "s3:\n  bucket_name: b\n  bucket: c\n",
                   "s3.bucket: unknown key");
    s_expect_error(".json",
                   "{\"aws\": {\"region\": \"us-east-1\", \"account_id\": \"123456789012\"},"
                   " \"s3\": {\"bucket_name\": \"b\"}, \"dynamodb\": {\"table\": \"t\"}}",
                   "dynamodb.table: unknown key");
    s_expect_error(".yaml", S_BASE "logging:\n  file: x.log\n", "logging.file: unknown key");
    s_expect_error(".yaml", S_BASE "dynamodb: [a]\n", "dynamodb: must be a mapping");
    /* required and checked values */
    s_expect_error(".yaml", "aws:\n  account_id: '123456789012'\ns3:\n  bucket_name: b\n",
                   "aws.region: required key is missing");
    s_expect_error(".yaml", "aws:\n  region: us-east-1\ns3:\n  bucket_name: b\n",
                   "aws.account_id: required key is missing");
    s_expect_error(".yaml", "aws:\n  region: us-east-1\n  account_id: '123456789012'\n",
                   "s3.bucket_name: required key is missing");
    s_expect_error(".yaml",
                   "aws:\n  region: us-east-1\n  account_id: '1234'\ns3:\n  bucket_name: b\n",
                   "aws.account_id: must be a 12-digit AWS account id, got '1234'");
    s_expect_error(".yaml", "aws:\n  region: mars\n  account_id: '123456789012'\n",
                   "aws.region: must be an AWS region");
    s_expect_error(".yaml", S_BASE "aws2: 1\n", "aws2: unknown key");
    s_expect_error(".yaml", S_BASE "logging:\n  level: VERBOSE\n",
                   "logging.level: must be one of DEBUG, INFO, WARNING, ERROR");
    s_expect_error(".yaml", S_BASE "backup:\n  export_format: ZIP\n",
                   "backup.export_format: must be one of QUICKSIGHT_JSON, CLOUDFORMATION_JSON");
    s_expect_error(".yaml", S_BASE "backup:\n  include_tags: sometimes\n",
                   "backup.include_tags: must be true or false");
    s_expect_error(".yaml",
                   "aws:\n  region: us-east-1\n  account_id: '123456789012'\n"
                   "s3:\n  bucket_name: b\n  prefix_format: DD-MM-YYYY\n",
                   "s3.prefix_format: must be one of YYYY/MM/DD, YYYY-MM-DD, YYYYMMDD");
    s_expect_error(".yaml", S_BASE "backup:\n  max_assets_per_bundle: fifty\n",
                   "backup.max_assets_per_bundle: must be an integer, got 'fifty'");
}

static void test_which_format(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_error err;
    /* the fleet's own keys: a fleet file, its unknown keys reported as such */
    s_expect_error(".yaml", "region: us-east-1\ns3:\n  bucket_name: b\n", "s3: unknown key");
    s_expect_error(".yaml", "region: us-east-1\naws:\n  region: us-east-1\n",
                   "aws.region: unknown key");
    s_expect_error(".yaml",
                   "jobs: []\naws:\n  region: us-east-1\n  account_id: '123456789012'\n"
                   "s3:\n  bucket_name: b\n",
                   "aws.region: unknown key");
    /* aws and logging alone, with fleet keys only: still a fleet file */
    setenv("AWS_REGION", "ap-south-1", 1);
    fv_status st =
        s_load(".yaml", "aws:\n  max_attempts: 3\nlogging:\n  level: debug\n", &cfg, &err);
    unsetenv("AWS_REGION");
    assert_int_equal(st, FV_OK);
    assert_string_equal(cfg.region, "ap-south-1");
    assert_int_equal(cfg.max_attempts, 3);
    assert_int_equal(cfg.n_accounts, 0);
    assert_int_equal(cfg.n_jobs, 0);
    fv_config_clean_up(&cfg);
    /* one seed-only key is enough */
    s_expect_error(".yaml", "aws:\n  max_attempts: 3\n  account_id: '123456789012'\n",
                   "aws.max_attempts: unknown key");
    s_expect_error(".yaml", "logging:\n  file_path: x\n", "aws.region: required key is missing");
}

static void test_env_overrides(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_error err;
    /* the seed's keys by their own names, the fleet's others by theirs */
    setenv("FV_BACKUP_MAX_ASSETS_PER_BUNDLE", "10", 1);
    setenv("FV_S3_BUCKET_NAME", "env-bucket", 1);
    setenv("FV_LOGGING_LEVEL", "DEBUG", 1);
    setenv("FV_KAFKA_BROKERS", "k1:9092", 1);
    setenv("FV_KAFKA_ALLOW_PLAINTEXT", "true", 1); /* a cluster without TLS */
    setenv("FV_WORKER_CONCURRENCY", "8", 1);
    fv_status st = s_load(".yaml", s_quickstart, &cfg, &err);
    unsetenv("FV_S3_BUCKET_NAME");
    unsetenv("FV_LOGGING_LEVEL");
    unsetenv("FV_KAFKA_BROKERS");
    unsetenv("FV_KAFKA_ALLOW_PLAINTEXT");
    unsetenv("FV_WORKER_CONCURRENCY");
    assert_int_equal(st, FV_OK);
    assert_int_equal(cfg.jobs[0].max_assets_per_bundle, 10);
    assert_string_equal(cfg.jobs[0].bucket, "env-bucket");
    assert_string_equal(cfg.log_level, "debug");
    assert_string_equal(cfg.kafka_brokers, "k1:9092");
    assert_int_equal(cfg.worker_concurrency, 8);
    fv_config_clean_up(&cfg);

    setenv("FV_BACKUP_MAX_ASSETS_PER_BUNDLE", "101", 1);
    st = s_load(".yaml", s_quickstart, &cfg, &err);
    unsetenv("FV_BACKUP_MAX_ASSETS_PER_BUNDLE");
    assert_int_not_equal(st, FV_OK);
    assert_string_equal(err.message,
                        "FV_BACKUP_MAX_ASSETS_PER_BUNDLE: backup.max_assets_per_bundle: "
                        "max_assets_per_bundle must be between 1 and 100 inclusive, got 101");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_yaml_and_json),
        cmocka_unit_test(test_quickstart_and_from_doc),
        cmocka_unit_test(test_values_and_defaults),
        cmocka_unit_test(test_seed_messages_exactly),
        cmocka_unit_test(test_unknown_and_invalid_keys),
        cmocka_unit_test(test_which_format),
        cmocka_unit_test(test_env_overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

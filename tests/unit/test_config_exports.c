/* The keys of a dynamodb_exports job (seed 003): defaults, bounds, choices,
 * overrides, the bucket and its owner, the default schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/config.h>
#include <fv/naming.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_HEAD                                                                                     \
    "region: eu-west-1\n"                                                                          \
    "central:\n  account: '999999999999'\n  bucket: central-b\n"                                   \
    "accounts:\n  - id: '111111111111'\n  - id: '222222222222'\n"                                  \
    "jobs:\n  - name: ex\n    type: dynamodb_exports\n"

static fv_status s_load(const char *text, struct fv_config *cfg, struct fv_error *err)
{
    char path[] = "/tmp/fvexpcfgXXXXXX.yaml";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    fv_status st = fv_config_load(path, cfg, err);
    unlink(path);
    return st;
}

static void s_expect_error(const char *text, const char *what)
{
    struct fv_config cfg;
    struct fv_error err = {0};
    if (s_load(text, &cfg, &err) == FV_OK) {
        fv_config_clean_up(&cfg);
        fail_msg("loaded, expected '%s'", what);
    }
    if (!strstr(err.message, what))
        fail_msg("expected '%s' in '%s'", what, err.message);
    assert_null(strchr(err.message, '\n')); /* one line */
}

static void test_defaults(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_error err = {0};
    assert_int_equal(s_load(S_HEAD, &cfg, &err), FV_OK);
    const struct fv_config_job *j = &cfg.jobs[0];
    assert_int_equal(j->kind, FV_JOB_DYNAMODB_EXPORTS);
    assert_int_equal(j->window_minutes, 15);
    assert_int_equal(j->poll_interval_s, 10);
    assert_string_equal(j->view_type, "NEW_AND_OLD_IMAGES");
    assert_string_equal(j->ddb_export_format, "DYNAMODB_JSON");
    assert_string_equal(j->schedule, "rate(5 minutes)"); /* a third of the window */
    struct fv_config_export_settings s;
    fv_config_export_settings(&cfg, j, "111111111111", "eu-west-1", "orders", &s);
    assert_string_equal(s.bucket, "central-b");
    assert_string_equal(s.bucket_owner, "999999999999");
    assert_null(s.prefix);
    assert_null(s.sse_kms_key_id);
    struct fv_buf p = {0};
    fv_name_export_prefix(j, &s, "111111111111", "eu-west-1", "orders", &p);
    assert_string_equal(fv_buf_str(&p), "dynamodb-exports/ex/111111111111/eu-west-1/orders");
    fv_buf_clean_up(&p);
    fv_config_clean_up(&cfg);
}

static void test_every_key_and_overrides(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_error err = {0};
    assert_int_equal(s_load(S_HEAD "    tables: {names: [orders, users], prefixes: [app-], tags: "
                                   "['backup=yes']}\n"
                                   "    window_minutes: 60\n    poll_interval_s: 30\n"
                                   "    view_type: NEW_IMAGE\n    format: ION\n"
                                   "    s3: {bucket: own-b, bucket_owner: '333333333333', "
                                   "prefix: exp, sse_kms_key_id: 'arn:aws:kms:eu-west-1:1:key/k'}\n"
                                   "    overrides:\n"
                                   "      - table: orders\n        window_minutes: 15\n"
                                   "        s3: {prefix: seed/orders}\n"
                                   "      - table: orders\n        account: '222222222222'\n"
                                   "        view_type: NEW_AND_OLD_IMAGES\n        format: "
                                   "DYNAMODB_JSON\n        poll_interval_s: 5\n",
                            &cfg, &err),
                     FV_OK);
    const struct fv_config_job *j = &cfg.jobs[0];
    assert_int_equal(j->n_table_names, 2);
    assert_int_equal(j->n_table_prefixes, 1);
    assert_int_equal(j->n_table_tags, 1);
    assert_int_equal(j->n_export_overrides, 2);
    /* the smallest window of its tables decides the schedule */
    assert_string_equal(j->schedule, "rate(5 minutes)");
    struct fv_config_export_settings s;
    fv_config_export_settings(&cfg, j, "111111111111", "eu-west-1", "users", &s);
    assert_int_equal(s.window_minutes, 60);
    assert_int_equal(s.poll_interval_s, 30);
    assert_string_equal(s.view_type, "NEW_IMAGE");
    assert_string_equal(s.ddb_export_format, "ION");
    assert_string_equal(s.bucket, "own-b");
    assert_string_equal(s.bucket_owner, "333333333333");
    assert_string_equal(s.sse_kms_key_id, "arn:aws:kms:eu-west-1:1:key/k");
    struct fv_buf p = {0};
    fv_name_export_prefix(j, &s, "111111111111", "eu-west-1", "users", &p);
    assert_string_equal(fv_buf_str(&p), "exp/ex/111111111111/eu-west-1/users");
    fv_buf_clean_up(&p);

    fv_config_export_settings(&cfg, j, "111111111111", "eu-west-1", "orders", &s);
    assert_int_equal(s.window_minutes, 15);
    assert_int_equal(s.poll_interval_s, 30);
    assert_string_equal(s.view_type, "NEW_IMAGE");
    fv_name_export_prefix(j, &s, "111111111111", "eu-west-1", "orders", &p);
    assert_string_equal(fv_buf_str(&p), "seed/orders"); /* the override's whole prefix */
    fv_buf_clean_up(&p);

    /* both entries match in 222222222222: the later one wins where it says */
    fv_config_export_settings(&cfg, j, "222222222222", "eu-west-1", "orders", &s);
    assert_int_equal(s.window_minutes, 15);
    assert_int_equal(s.poll_interval_s, 5);
    assert_string_equal(s.view_type, "NEW_AND_OLD_IMAGES");
    assert_string_equal(s.ddb_export_format, "DYNAMODB_JSON");
    assert_string_equal(s.prefix, "seed/orders");
    fv_config_clean_up(&cfg);

    /* a schedule given is kept */
    assert_int_equal(
        s_load(S_HEAD "    schedule: rate(1 hour)\n    window_minutes: 1440\n", &cfg, &err), FV_OK);
    assert_string_equal(cfg.jobs[0].schedule, "rate(1 hour)");
    fv_config_clean_up(&cfg);
    assert_int_equal(s_load(S_HEAD "    window_minutes: 1440\n", &cfg, &err), FV_OK);
    assert_string_equal(cfg.jobs[0].schedule, "rate(480 minutes)");
    fv_config_clean_up(&cfg);
}

static void test_errors_name_the_key(void **state)
{
    (void)state;
    s_expect_error(S_HEAD "    window_minutes: 14\n",
                   "jobs[0].window_minutes: window_minutes must be between 15 and 1440");
    s_expect_error(S_HEAD "    window_minutes: 1441\n", "jobs[0].window_minutes:");
    s_expect_error(S_HEAD "    poll_interval_s: 0\n", "jobs[0].poll_interval_s:");
    s_expect_error(S_HEAD "    view_type: OLD_IMAGE\n",
                   "jobs[0].view_type: must be one of NEW_AND_OLD_IMAGES, NEW_IMAGE");
    s_expect_error(S_HEAD "    format: CSV\n", "jobs[0].format: must be one of DYNAMODB_JSON, ION");
    s_expect_error(S_HEAD "    s3: {bucket_owner: '12'}\n", "jobs[0].s3.bucket_owner:");
    s_expect_error(S_HEAD "    retention: 3\n", "jobs[0].retention: only for dynamodb_backups");
    s_expect_error(S_HEAD "    overrides: {table: x}\n", "jobs[0].overrides: must be a list");
    s_expect_error(S_HEAD "    overrides: [{window_minutes: 30}]\n",
                   "jobs[0].overrides[0].table: required key is missing");
    s_expect_error(S_HEAD "    overrides: [{table: t, window_minutes: 10}]\n",
                   "jobs[0].overrides[0].window_minutes:");
    s_expect_error(S_HEAD "    overrides: [{table: t, bogus: 1}]\n",
                   "jobs[0].overrides[0].bogus: unknown key");
    s_expect_error(S_HEAD "    overrides: [{table: t, account: '333333333333'}]\n",
                   "jobs[0].overrides[0].account: the job does not cover account 333333333333");
    s_expect_error("region: eu-west-1\ncentral: {account: '999999999999'}\n"
                   "jobs:\n  - name: ex\n    type: dynamodb_exports\n",
                   "jobs[0].s3.bucket: a dynamodb_exports job needs a bucket");
    s_expect_error("region: eu-west-1\ncentral: {bucket: b}\n"
                   "jobs:\n  - name: ex\n    type: dynamodb_exports\n",
                   "jobs[0].s3.bucket_owner:");
    /* overrides belong to dynamodb_exports jobs only */
    s_expect_error("region: eu-west-1\njobs:\n  - name: b\n    type: dynamodb_backups\n"
                   "    overrides: []\n",
                   "jobs[0].overrides: only for dynamodb_exports jobs");
}

static void test_client_token_is_the_window(void **state)
{
    (void)state;
    char a[FV_NAME_EXPORT_TOKEN_LEN + 1], b[FV_NAME_EXPORT_TOKEN_LEN + 1];
    fv_name_export_token("ex", "111111111111", "eu-west-1", "orders", 900000, 1800000, a);
    fv_name_export_token("ex", "111111111111", "eu-west-1", "orders", 900000, 1800000, b);
    assert_string_equal(a, b); /* a redelivered task starts the same export */
    assert_int_equal(strlen(a), FV_NAME_EXPORT_TOKEN_LEN);
    assert_memory_equal(a, "fv-", 3);
    const char *other[][4] = {{"ex2", "111111111111", "eu-west-1", "orders"},
                              {"ex", "222222222222", "eu-west-1", "orders"},
                              {"ex", "111111111111", "us-east-1", "orders"},
                              {"ex", "111111111111", "eu-west-1", "users"}};
    for (size_t i = 0; i < 4; i++) {
        fv_name_export_token(other[i][0], other[i][1], other[i][2], other[i][3], 900000, 1800000,
                             b);
        assert_string_not_equal(a, b);
    }
    fv_name_export_token("ex", "111111111111", "eu-west-1", "orders", 1800000, 2700000, b);
    assert_string_not_equal(a, b); /* the next window */
    fv_name_export_token("ex", "111111111111", "eu-west-1", "orders", 900000, -1, b);
    assert_string_not_equal(a, b); /* a full export at the window's start */
}

static void test_docs(void **state)
{
    (void)state;
    char *data = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&data, &size);
    fv_config_write_docs(f);
    fclose(f);
    assert_non_null(strstr(data, "### type: dynamodb_exports"));
    assert_non_null(strstr(data, "`jobs[].window_minutes` | integer | 15 |"));
    assert_non_null(strstr(data, "`jobs[].overrides[].table` | string | required |"));
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_key_and_overrides),
        cmocka_unit_test(test_errors_name_the_key),
        cmocka_unit_test(test_client_token_is_the_window),
        cmocka_unit_test(test_docs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

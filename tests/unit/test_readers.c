/* What fleetvault reads from services: times as ISO 8601 strings (STS and
 * credential endpoint expirations, S3 LastModified, manifests) and as
 * epoch-seconds numbers (DynamoDB, QuickSight), and the response readers the
 * fuzzers (tests/fuzz/) found wrong. Each reproducer is a case here; the
 * leak cases fail under the sanitizer build (make test-asan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stub_http.c"

#include <fv/aws.h>
#include <fv/clock.h>
#include <fv/dynamodb.h>
#include <fv/logs.h>
#include <fv/quicksight.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The string in a heap block of exactly its length + 1, so ASan sees any
 * read past the NUL (the fuzzers' reproducers were over-reads). */
static int64_t s_parse(const char *text)
{
    char *s = fv_strdup(text);
    int64_t t = fv_time_parse_iso8601(s);
    free(s);
    return t;
}

static void test_iso8601_accepts_what_aws_writes(void **state)
{
    (void)state;
    assert_int_equal(s_parse("2015-08-30T12:36:00Z"), 1440938160);
    assert_int_equal(s_parse("2015-08-30T12:36:00.123Z"), 1440938160);
    assert_int_equal(s_parse("2015-08-30T12:36:00.123456Z"), 1440938160);
    assert_int_equal(s_parse("2015-08-30T14:36:00+02:00"), 1440938160);
    assert_int_equal(s_parse("2015-08-30T14:36:00+0200"), 1440938160);
    assert_int_equal(s_parse("2015-08-30T09:36:00-03:00"), 1440938160);
    assert_int_equal(s_parse("2024-02-29T00:00:00Z"), 1709164800); /* a leap day */
    assert_int_equal(s_parse("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(s_parse("9999-12-31T23:59:59Z"), 253402300799);
}

/* Fuzzer reproducers: a short offset made the parser step past the NUL. */
static void test_iso8601_short_offsets_are_junk_not_overreads(void **state)
{
    (void)state;
    assert_int_equal(s_parse("2026-02-30T23:59:6-03:0"), -1);
    assert_int_equal(s_parse("2026-01-01T00:00:00+1:2"), -1);
    assert_int_equal(s_parse("2026-01-01T00:00:00+01:0"), -1);
    assert_int_equal(s_parse("2026-01-01T00:00:00+01:"), -1);
    assert_int_equal(s_parse("2026-01-01T00:00:00+"), -1);
    assert_int_equal(s_parse("2026-01-01T00:00:00-"), -1);
    assert_int_equal(s_parse("2026-01-01T00:00:00."), -1);
    assert_int_equal(s_parse("2026-01-01T00:00:00+01:00junk"), -1);
}

/* A date that does not exist is rejected, never moved to the next month:
 * an expiration of "Feb 30" is not "Mar 2". */
static void test_iso8601_impossible_dates_are_rejected(void **state)
{
    (void)state;
    assert_int_equal(s_parse("2026-02-30T23:59:06Z"), -1);
    assert_int_equal(s_parse("2026-02-29T00:00:00Z"), -1); /* not a leap year */
    assert_int_equal(s_parse("2100-02-29T00:00:00Z"), -1); /* nor is 2100 */
    assert_int_equal(s_parse("2026-04-31T00:00:00Z"), -1);
    assert_int_equal(s_parse("2026-13-01T00:00:00Z"), -1);
    assert_int_equal(s_parse("2026-00-01T00:00:00Z"), -1);
    assert_int_equal(s_parse("2026-01-00T00:00:00Z"), -1);
    assert_int_equal(s_parse("2026-01-01T24:00:00Z"), -1);
    assert_int_equal(s_parse("2026-01-01T00:60:00Z"), -1);
    assert_int_equal(s_parse("2026-01-01T00:00:60Z"), -1);
    assert_int_equal(s_parse("2026-01-01T00:00:00+24:00"), -1);
    /* Other shapes: single digits, spaces, no zone, before 1970. */
    assert_int_equal(s_parse("2026-1-01T00:00:00Z"), -1);
    assert_int_equal(s_parse("2026-01-01T00:00:6Z"), -1);
    assert_int_equal(s_parse("2026- 1-01T00:00:00Z"), -1);
    assert_int_equal(s_parse("2026-01-01T00:00:00"), -1);
    assert_int_equal(s_parse("1969-12-31T23:59:58Z"), -1);
    assert_int_equal(s_parse(""), -1);
    assert_int_equal(fv_time_parse_iso8601(NULL), -1);
}

static void test_epoch_seconds_out_of_range_are_refused(void **state)
{
    (void)state;
    int64_t ms = 42;
    assert_true(fv_time_epoch_s_to_ms(1764727200.123, &ms));
    assert_int_equal(ms, 1764727200123);
    assert_true(fv_time_epoch_s_to_ms(0, &ms));
    assert_int_equal(ms, 0);
    assert_true(fv_time_epoch_s_to_ms(253402300799.999, &ms));
    assert_int_equal(ms, FV_TIME_MAX_MS);
    ms = 42;
    const double bad[] = {1e300, -1e300, NAN, INFINITY, -INFINITY, -1, 253402300800.0, 9.3e15};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(fv_time_epoch_s_to_ms(bad[i], &ms));
        assert_int_equal(ms, 42); /* untouched */
    }
}

/* --- the readers: a backup whose time is junk is an error, never "the oldest" --- */

static const char *s_stub_getenv(void *ud, const char *name)
{
    return strcmp(name, "AWS_ENDPOINT_URL") == 0 ? stub_http_url(ud) : NULL;
}

struct s_world {
    struct stub_http *stub;
    struct fv_creds_provider *creds;
    struct fv_aws_client *client;
};

static int s_setup(void **state)
{
    struct s_world *w = fv_calloc(1, sizeof(*w));
    w->stub = stub_http_start();
    struct fv_credentials key = {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret"};
    w->creds = fv_creds_static(&key);
    struct fv_aws_client_options o = {
        .region = "us-east-1", .creds = w->creds, .getenv = s_stub_getenv, .getenv_ud = w->stub};
    o.retry.max_attempts = 1;
    struct fv_error err;
    w->client = fv_aws_client_new(&o, &err);
    assert_non_null(w->client);
    *state = w;
    return 0;
}

static int s_teardown(void **state)
{
    struct s_world *w = *state;
    fv_aws_client_destroy(w->client);
    fv_creds_unref(w->creds);
    stub_http_stop(w->stub);
    free(w);
    return 0;
}

static void s_answer(struct s_world *w, const char *body)
{
    stub_http_reset(w->stub);
    stub_http_add(w->stub, &(struct stub_http_route){.status = 200, .body = body});
}

#define S_BACKUP(t)                                                                                \
    "{\"BackupSummaries\":[{\"BackupArn\":\"arn:aws:dynamodb:us-east-1:111111111111:table/t/"      \
    "backup/1\",\"BackupName\":\"t-1\",\"TableName\":\"t\",\"BackupStatus\":\"AVAILABLE\","        \
    "\"BackupCreationDateTime\":" t "}]}"

static void test_dynamodb_backup_times_out_of_range_are_errors(void **state)
{
    struct s_world *w = *state;
    struct fv_error err;
    struct fv_dynamodb_backups l = {0};
    s_answer(w, S_BACKUP("1764727200.5"));
    assert_int_equal(fv_dynamodb_list_backups(w->client, NULL, &l, &err), FV_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.items[0].created_ms, 1764727200500);
    fv_dynamodb_backups_clean_up(&l);
    /* The fuzzer's 1e300, and NaN, infinity, negative, a string. */
    const char *bad[] = {"1e300", "NaN", "Infinity", "-Infinity", "-5", "\"yesterday\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[512];
        snprintf(body, sizeof(body), S_BACKUP("%s"), bad[i]);
        s_answer(w, body);
        memset(&l, 0, sizeof(l));
        fv_status st = fv_dynamodb_list_backups(w->client, NULL, &l, &err);
        if (st == FV_OK)
            fail_msg("BackupCreationDateTime %s was accepted as %lld", bad[i],
                     (long long)l.items[0].created_ms);
        assert_int_equal(st, FV_E_PARSE);
        assert_non_null(strstr(err.message, "BackupCreationDateTime is not a time"));
        fv_dynamodb_backups_clean_up(&l);
    }
}

static void test_quicksight_times_out_of_range_are_errors(void **state)
{
    struct s_world *w = *state;
    struct fv_error err;
    struct fv_quicksight_assets l = {0};
    s_answer(w, "{\"DashboardSummaryList\":[{\"DashboardId\":\"d\",\"Arn\":\"arn:aws:quicksight:"
                "us-east-1:111111111111:dashboard/d\",\"CreatedTime\":1764727200,"
                "\"LastUpdatedTime\":1764727201.25}],\"Status\":200}");
    assert_int_equal(fv_quicksight_list_dashboards(w->client, "111111111111", NULL, &l, &err),
                     FV_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.items[0].created_ms, 1764727200000);
    assert_int_equal(l.items[0].updated_ms, 1764727201250);
    fv_quicksight_assets_clean_up(&l);
    s_answer(w, "{\"DashboardSummaryList\":[{\"DashboardId\":\"d\",\"Arn\":\"arn:aws:quicksight:"
                "us-east-1:111111111111:dashboard/d\",\"CreatedTime\":1e300}],\"Status\":200}");
    memset(&l, 0, sizeof(l));
    assert_int_equal(fv_quicksight_list_dashboards(w->client, "111111111111", NULL, &l, &err),
                     FV_E_PARSE);
    assert_non_null(strstr(err.message, "CreatedTime is not a time"));
    assert_int_equal(l.n, 0);
    fv_quicksight_assets_clean_up(&l);

    struct fv_quicksight_export_job job;
    s_answer(w, "{\"AssetBundleExportJobId\":\"j\",\"JobStatus\":\"SUCCESSFUL\","
                "\"CreatedTime\":-Infinity,\"Status\":200}");
    assert_int_equal(fv_quicksight_describe_export(w->client, "111111111111", "j", &job, &err),
                     FV_E_PARSE);
    assert_null(job.job_id); /* cleaned up */
}

/* CloudWatch Logs' rejected-event indexes are clamped to the batch: junk
 * (negative, beyond it, a NaN) never counts more events than were sent. */
static void test_logs_rejected_indexes_stay_in_the_batch(void **state)
{
    struct s_world *w = *state;
    struct fv_error err;
    struct fv_log_event ev[3] = {{.timestamp_ms = 1, .message = "a"},
                                 {.timestamp_ms = 2, .message = "b"},
                                 {.timestamp_ms = 3, .message = "c"}};
    const struct {
        const char *info;
        size_t rejected;
    } cases[] = {
        {"{\"tooOldLogEventEndIndex\":1}", 1},
        {"{\"tooOldLogEventEndIndex\":1,\"tooNewLogEventStartIndex\":2}", 2},
        {"{\"tooOldLogEventEndIndex\":-7}", 0},
        {"{\"expiredLogEventEndIndex\":99}", 3},
        {"{\"tooOldLogEventEndIndex\":NaN,\"tooNewLogEventStartIndex\":-1}", 3},
        {"{\"tooOldLogEventEndIndex\":3,\"tooNewLogEventStartIndex\":0}", 3},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body), "{\"rejectedLogEventsInfo\":%s}", cases[i].info);
        s_answer(w, body);
        struct fv_logs_put_result res = {0};
        assert_int_equal(fv_logs_put_events(w->client, "g", "s", ev, 3, &res, &err), FV_OK);
        if (res.rejected != cases[i].rejected)
            fail_msg("%s: %zu rejected, want %zu", cases[i].info, res.rejected, cases[i].rejected);
    }
}

/* fuzz_responses: a DescribeBackup answer naming the table in BackupDetails
 * and in SourceTableDetails leaked the first pair of names. */
static void test_dynamodb_backup_names_read_once(void **state)
{
    struct s_world *w = *state;
    struct fv_error err;
    struct fv_dynamodb_backup b;
    s_answer(w, "{\"BackupDescription\":{\"BackupDetails\":{\"BackupArn\":\"a\","
                "\"TableName\":\"old\",\"TableArn\":\"old-arn\"},\"SourceTableDetails\":{"
                "\"TableName\":\"t\",\"TableArn\":\"t-arn\"}}}");
    assert_int_equal(fv_dynamodb_describe_backup(w->client, "a", &b, &err), FV_OK);
    assert_string_equal(b.table_name, "t");
    assert_string_equal(b.table_arn, "t-arn");
    fv_dynamodb_backup_clean_up(&b);
    /* Without SourceTableDetails the backup's own names stay. */
    s_answer(w, "{\"BackupDescription\":{\"BackupDetails\":{\"BackupArn\":\"a\","
                "\"TableName\":\"old\"}}}");
    assert_int_equal(fv_dynamodb_describe_backup(w->client, "a", &b, &err), FV_OK);
    assert_string_equal(b.table_name, "old");
    fv_dynamodb_backup_clean_up(&b);
}

/* fuzz_responses: an ExportDescription whose ExportArn is no string was an
 * export with a NULL ARN (a chain would have recorded it). */
static void test_dynamodb_export_without_an_arn_string_is_junk(void **state)
{
    struct s_world *w = *state;
    struct fv_error err;
    struct fv_dynamodb_export e;
    const char *bad[] = {"5", "null", "{}", "[\"a\"]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"ExportDescription\":{\"ExportArn\":%s,\"ExportStatus\":\"COMPLETED\"}}",
                 bad[i]);
        s_answer(w, body);
        assert_int_equal(fv_dynamodb_describe_export(w->client, "a", &e, &err), FV_E_PARSE);
        assert_null(e.arn);
        assert_non_null(strstr(err.message, "DescribeExport"));
    }
    s_answer(w, "{\"ExportDescription\":{\"ExportArn\":\"x\",\"ExportStatus\":\"COMPLETED\"}}");
    assert_int_equal(fv_dynamodb_describe_export(w->client, "a", &e, &err), FV_OK);
    assert_string_equal(e.arn, "x");
    assert_int_equal(e.status, FV_DDB_EXPORT_COMPLETED);
    fv_dynamodb_export_clean_up(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso8601_accepts_what_aws_writes),
        cmocka_unit_test(test_iso8601_short_offsets_are_junk_not_overreads),
        cmocka_unit_test(test_iso8601_impossible_dates_are_rejected),
        cmocka_unit_test(test_epoch_seconds_out_of_range_are_refused),
        cmocka_unit_test_setup_teardown(test_dynamodb_backup_times_out_of_range_are_errors, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_quicksight_times_out_of_range_are_errors, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_logs_rejected_indexes_stay_in_the_batch, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_dynamodb_backup_names_read_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_dynamodb_export_without_an_arn_string_is_junk, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Retention of export chains (fv_export_retention_select): every point of
 * the kept days stays restorable. A newer full export still running or
 * failed, one only a young full export, a table with a single ancient full
 * export, re-runs, stray windows, other tables mixed in and exports still
 * running are what it must never cost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/export_retention.h>

#include <stdio.h>
#include <string.h>

#define DAY INT64_C(86400000)
#define NOW (INT64_C(1796263200000) + 40 * DAY)
#define KEEP (7 * DAY)
#define C FV_DDB_EXPORT_COMPLETED
#define P FV_DDB_EXPORT_IN_PROGRESS
#define F FV_DDB_EXPORT_FAILED
#define U FV_DDB_EXPORT_UNKNOWN

static struct fv_export_retention_item s_full(const char *arn, int64_t day,
                                              enum fv_dynamodb_export_status st)
{
    return (struct fv_export_retention_item){
        .table_arn = "t1", .export_arn = arn, .status = st, .time_ms = NOW - day * DAY};
}

/* an incremental ending `day` days ago */
static struct fv_export_retention_item s_inc(const char *arn, int64_t day,
                                             enum fv_dynamodb_export_status st)
{
    return (struct fv_export_retention_item){.table_arn = "t1",
                                             .export_arn = arn,
                                             .incremental = true,
                                             .status = st,
                                             .time_ms = NOW - day * DAY};
}

/* "a b" — the ARNs selected, in input order. */
static void s_deletes(const struct fv_export_retention_item *it, size_t n, const char *want)
{
    bool del[32];
    size_t count = fv_export_retention_select(it, n, NOW, KEEP, del);
    char got[256] = "";
    size_t marked = 0;
    for (size_t i = 0; i < n; i++) {
        if (!del[i])
            continue;
        marked++;
        size_t at = strlen(got);
        snprintf(got + at, sizeof(got) - at, "%s%s", at ? " " : "", it[i].export_arn);
    }
    assert_string_equal(got, want);
    assert_int_equal(count, marked);
}

static void test_an_old_chain_goes_once_a_newer_full_export_covers_the_horizon(void **state)
{
    (void)state;
    struct fv_export_retention_item it[] = {
        s_inc("a-i2", 28, C), s_full("a", 30, C),  s_inc("a-i1", 29, C), s_full("b", 10, C),
        s_inc("b-i1", 9, C),  s_inc("b-i2", 3, C), s_full("c", 2, C),    s_inc("c-i1", 1, C),
    };
    /* b (10 days ago) is the base for the horizon 7 days ago: a's chain goes;
     * b's chain is kept though c is newer (c alone cannot restore day 5) */
    s_deletes(it, 8, "a-i2 a a-i1");
}

static void test_a_newer_full_export_not_completed_keeps_the_old_chain(void **state)
{
    (void)state;
    struct fv_export_retention_item running[] = {
        s_full("a", 30, C),
        s_inc("a-i1", 29, C),
        s_full("b", 10, P),
        s_full("c", 9, F),
    };
    /* a is still the base: nothing goes (a failed full export older than the
     * base would go; this one is newer than it) */
    s_deletes(running, 4, "");
}

static void test_a_single_ancient_full_export_is_never_deleted(void **state)
{
    (void)state;
    struct fv_export_retention_item it[] = {s_full("a", 400, C), s_inc("a-i1", 399, C)};
    s_deletes(it, 2, "");
    bool del[2];
    /* no kept days at all: still the newest completed full export stays */
    assert_int_equal(fv_export_retention_select(it, 2, NOW, 0, del), 0);
    assert_int_equal(fv_export_retention_select(it, 2, NOW, -5 * DAY, del), 0);
}

static void test_only_young_full_exports_delete_nothing(void **state)
{
    (void)state;
    /* the chain started 3 days ago: the horizon (7 days) has no base, and
     * the failed full export before it is kept too */
    struct fv_export_retention_item it[] = {s_full("x", 20, F), s_full("a", 3, C),
                                            s_inc("a-i1", 2, C)};
    s_deletes(it, 3, "");
}

static void test_reruns_failures_and_stray_windows(void **state)
{
    (void)state;
    struct fv_export_retention_item it[] = {
        s_full("b", 10, C),
        s_full("b-rerun", 10, C),    /* the same time: one base (the smaller ARN) */
        s_full("old-failed", 20, F), /* older than the base: goes */
        s_inc("old-running", 12, P), /* still running: not touched this time */
        s_inc("old-straddle", 9, C), /* an old chain's window ending after the base: kept */
        s_full("a", 30, C),
    };
    s_deletes(it, 6, "b-rerun old-failed a");
}

static void test_the_newest_full_export_failed_or_unknown_keeps_the_old_chain(void **state)
{
    (void)state;
    /* the newest full export (older than the horizon) FAILED, or its status
     * is not known: a's chain is the only restorable one and stays whole,
     * and an export of unknown status is never deleted, however old */
    struct fv_export_retention_item failed[] = {s_full("a", 30, C), s_inc("a-i1", 29, C),
                                                s_full("b", 10, F), s_inc("z", 40, U)};
    s_deletes(failed, 4, "");
    struct fv_export_retention_item unknown[] = {s_full("a", 30, C), s_full("b", 10, U)};
    s_deletes(unknown, 2, "");
    /* once the newer one COMPLETED, a's chain goes (the unknown one stays) */
    failed[2].status = C;
    s_deletes(failed, 4, "a a-i1");
}

static void test_tables_are_judged_apart(void **state)
{
    (void)state;
    struct fv_export_retention_item it[] = {
        s_full("t1-a", 30, C), s_full("t1-b", 10, C), s_full("t2-a", 30, C),
        s_full("t2-b", 10, P), /* t2's newer one still runs */
    };
    it[2].table_arn = it[3].table_arn = "t2";
    s_deletes(it, 4, "t1-a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_old_chain_goes_once_a_newer_full_export_covers_the_horizon),
        cmocka_unit_test(test_a_newer_full_export_not_completed_keeps_the_old_chain),
        cmocka_unit_test(test_a_single_ancient_full_export_is_never_deleted),
        cmocka_unit_test(test_only_young_full_exports_delete_nothing),
        cmocka_unit_test(test_reruns_failures_and_stray_windows),
        cmocka_unit_test(test_the_newest_full_export_failed_or_unknown_keeps_the_old_chain),
        cmocka_unit_test(test_tables_are_judged_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

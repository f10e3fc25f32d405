/* Retention's rule (fv_retention_select): what it deletes, from a listing,
 * the control table's records, the job's settings and a fixed now. Look-
 * alikes, other jobs' backups, CREATING and young backups, the newest
 * AVAILABLE one and retention below 1 are what it must never cost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/retention.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1796263200000LL /* 2026-12-03T02:00:00Z */
#define HOUR 3600000LL
#define DAY (24 * HOUR)
#define A "111111111111"
#define R "us-east-1"
#define MAX 64

/* A listing under construction: backups, their records, what to expect. */
struct s_world {
    struct fv_dynamodb_backup b[MAX];
    struct fv_control_backup rec[MAX];
    struct fv_retention_backup in[MAX];
    size_t n;
};

static void s_clean(struct s_world *w)
{
    for (size_t i = 0; i < w->n; i++) {
        fv_dynamodb_backup_clean_up(&w->b[i]);
        fv_control_backup_clean_up(&w->rec[i]);
    }
    memset(w, 0, sizeof(*w));
}

/* A backup of table; job NULL: no record (a look-alike, a backup by hand).
 * Returns its index. */
static size_t s_add_full(struct s_world *w, const char *table, const char *name, int64_t created_ms,
                         enum fv_dynamodb_backup_status status, const char *job,
                         const char *account, const char *region)
{
    assert_true(w->n < MAX);
    size_t i = w->n++;
    char arn[160];
    snprintf(arn, sizeof(arn), "arn:aws:dynamodb:" R ":" A ":table/%s/backup/%013lld-%08zx", table,
             (long long)created_ms, i);
    w->b[i] = (struct fv_dynamodb_backup){.arn = fv_strdup(arn),
                                          .name = fv_strdup(name),
                                          .table_name = fv_strdup(table),
                                          .status = status,
                                          .created_ms = created_ms,
                                          .size_bytes = -1};
    w->in[i].backup = &w->b[i];
    if (job) {
        w->rec[i] = (struct fv_control_backup){.arn = fv_strdup(arn),
                                               .job = fv_strdup(job),
                                               .account = fv_strdup(account),
                                               .region = fv_strdup(region),
                                               .table = fv_strdup(table),
                                               .run_id = fv_strdup("x-20261203T020000Z"),
                                               .created_ms = created_ms};
        w->in[i].record = &w->rec[i];
    }
    return i;
}

static size_t s_add(struct s_world *w, const char *table, const char *name, int64_t created_ms,
                    const char *job)
{
    return s_add_full(w, table, name, created_ms, FV_DDB_BACKUP_AVAILABLE, job, A, R);
}

/* The indexes retention chooses for job (sorted ascending, -1 ended). */
static size_t s_select(struct s_world *w, const char *job, int64_t keep, int64_t min_age_ms,
                       enum fv_retention_scope scope, size_t *out)
{
    struct fv_retention_rules r = {.job = job,
                                   .account = A,
                                   .region = R,
                                   .keep = keep,
                                   .min_age_ms = min_age_ms,
                                   .scope = scope};
    size_t *v = NULL, n = 0;
    struct fv_error err;
    assert_int_equal(fv_retention_select(&r, w->in, w->n, NOW, &v, &n, &err), FV_OK);
    for (size_t i = 0; i < n; i++)
        out[i] = v[i];
    free(v);
    /* ascending, for comparisons */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && out[k - 1] > out[k]; k--) {
            size_t t = out[k];
            out[k] = out[k - 1];
            out[k - 1] = t;
        }
    return n;
}

static void s_expect(const size_t *got, size_t n, const size_t *want, size_t n_want)
{
    assert_int_equal(n, n_want);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
}

static void test_look_alikes_with_later_timestamps_cost_nothing(void **state)
{
    (void)state;
    struct s_world w = {0};
    size_t g[4], v[MAX];
    for (int d = 0; d < 4; d++) {
        char name[64];
        snprintf(name, sizeof(name), "orders-daily-202611%02dT020000Z", 26 + d);
        g[d] = s_add(&w, "orders", name, NOW - (7 - d) * DAY, "daily");
    }
    /* The member account's admin: 3 look-alikes per genuine backup, newer,
     * named in both forms (the old "<table>-<stamp>" and exactly ours). */
    for (int d = 0; d < 4; d++)
        for (int k = 0; k < 3; k++) {
            char name[64];
            snprintf(name, sizeof(name),
                     k ? "orders-daily-202612%02dT0%d0000Z" : "orders-202612%02dT0%d0000Z", 1 + d,
                     k);
            s_add(&w, "orders", name, NOW - 2 * DAY + d * HOUR + k, NULL);
        }
    /* Forged or foreign records make nothing ours: another job, another
     * account, another region, another table, another backup's ARN. */
    s_add(&w, "orders", "orders-daily-20261202T000000Z", NOW - 10 * DAY, "weekly");
    s_add_full(&w, "orders", "orders-daily-20261202T000001Z", NOW - 10 * DAY,
               FV_DDB_BACKUP_AVAILABLE, "daily", "222222222222", R);
    s_add_full(&w, "orders", "orders-daily-20261202T000002Z", NOW - 10 * DAY,
               FV_DDB_BACKUP_AVAILABLE, "daily", A, "eu-west-1");
    size_t t = s_add(&w, "orders", "orders-daily-20261202T000003Z", NOW - 10 * DAY, "daily");
    free(w.rec[t].table);
    w.rec[t].table = fv_strdup("customers");
    size_t x = s_add(&w, "orders", "orders-daily-20261202T000004Z", NOW - 10 * DAY, "daily");
    free(w.rec[x].arn);
    w.rec[x].arn = fv_strdup(w.b[g[0]].arn);

    size_t n = s_select(&w, "daily", 2, DAY, FV_RETENTION_JOB, v);
    s_expect(v, n, (size_t[]){g[0], g[1]}, 2);
    /* retention 1: still only genuine ones, the newest genuine one stays. */
    n = s_select(&w, "daily", 1, DAY, FV_RETENTION_JOB, v);
    s_expect(v, n, (size_t[]){g[0], g[1], g[2]}, 3);
    s_clean(&w);
}

static void test_two_jobs_on_one_table_keep_their_own(void **state)
{
    (void)state;
    struct s_world w = {0};
    size_t daily[10], monthly[3], v[MAX];
    for (int d = 0; d < 10; d++)
        daily[d] = s_add(&w, "orders", "orders-daily-x", NOW - (10 - d) * DAY, "daily");
    for (int m = 0; m < 3; m++)
        monthly[m] =
            s_add(&w, "orders", "orders-monthly-x", NOW - (90 - 30 * m) * DAY + HOUR, "monthly");
    /* daily keeps 7: its 3 oldest go; monthly's, older still, stay. */
    size_t n = s_select(&w, "daily", 7, DAY, FV_RETENTION_JOB, v);
    s_expect(v, n, daily, 3);
    /* monthly keeps 2: its oldest goes; daily's, newer, never count. */
    n = s_select(&w, "monthly", 2, DAY, FV_RETENTION_JOB, v);
    s_expect(v, n, monthly, 1);
    /* a job with no records here deletes nothing */
    assert_int_equal(s_select(&w, "hourly", 1, 0, FV_RETENTION_JOB, v), 0);
    s_clean(&w);
}

static void test_creating_and_failed_new_backups_never_count(void **state)
{
    (void)state;
    struct s_world w = {0};
    size_t v[MAX];
    size_t old = s_add(&w, "orders", "o", NOW - 3 * DAY, "daily");
    size_t mid = s_add(&w, "orders", "o", NOW - 2 * DAY, "daily");
    size_t last = s_add(&w, "orders", "o", NOW - 1 * DAY, "daily");
    /* This run's backup is still CREATING (or its task failed and left it
     * so): it is not one of the 2 kept, so the last two AVAILABLE stay. */
    s_add_full(&w, "orders", "o", NOW - 10 * 60000, FV_DDB_BACKUP_CREATING, "daily", A, R);
    /* an old backup stuck CREATING is never deleted either */
    s_add_full(&w, "orders", "o", NOW - 30 * DAY, FV_DDB_BACKUP_CREATING, "daily", A, R);
    size_t n = s_select(&w, "daily", 2, 0, FV_RETENTION_JOB, v);
    s_expect(v, n, (size_t[]){old}, 1);
    (void)mid;
    (void)last;
    /* retention 1 and every new backup failed: the newest AVAILABLE stays. */
    n = s_select(&w, "daily", 1, 0, FV_RETENTION_JOB, v);
    s_expect(v, n, (size_t[]){old, mid}, 2);
    s_clean(&w);
}

static void test_min_age_keeps_young_backups(void **state)
{
    (void)state;
    struct s_world w = {0};
    size_t v[MAX];
    size_t aged = s_add(&w, "orders", "o", NOW - DAY, "daily"); /* exactly the min age */
    size_t young = s_add(&w, "orders", "o", NOW - DAY + 1, "daily");
    s_add(&w, "orders", "o", NOW - 20 * 60000, "daily");
    s_add(&w, "orders", "o", NOW - 10 * 60000, "daily");
    /* a run every 10 minutes with retention 1 costs nothing of the last day */
    size_t n = s_select(&w, "daily", 1, DAY, FV_RETENTION_JOB, v);
    s_expect(v, n, (size_t[]){aged}, 1);
    n = s_select(&w, "daily", 1, 0, FV_RETENTION_JOB, v);
    s_expect(v, n, (size_t[]){aged, young, young + 1}, 3);
    s_clean(&w);
}

/* A listing without a creation time (0) cannot be ordered: it is never
 * deleted and never counts, so it can push no genuine backup out. */
static void test_a_backup_without_a_time_neither_goes_nor_counts(void **state)
{
    (void)state;
    struct s_world w = {0};
    size_t v[MAX];
    size_t old = s_add(&w, "orders", "o", NOW - 9 * DAY, "daily");
    s_add(&w, "orders", "o", 0, "daily");
    s_add(&w, "orders", "o", NOW - 2 * DAY, "daily");
    size_t n = s_select(&w, "daily", 1, DAY, FV_RETENTION_JOB, v);
    s_expect(v, n, (size_t[]){old}, 1);
    n = s_select(&w, "daily", 2, DAY, FV_RETENTION_JOB, v);
    assert_int_equal(n, 0);
    s_clean(&w);
}

static void test_retention_one_and_below(void **state)
{
    (void)state;
    struct s_world w = {0};
    size_t v[MAX];
    s_add(&w, "orders", "o", NOW - 5 * DAY, "daily");
    /* the only backup is the newest: it stays */
    assert_int_equal(s_select(&w, "daily", 1, 0, FV_RETENTION_JOB, v), 0);
    assert_int_equal(s_select(&w, "daily", 1, 0, FV_RETENTION_TABLE, v), 0);
    s_add(&w, "orders", "o", NOW - 4 * DAY, "daily");
    assert_int_equal(s_select(&w, "daily", 1, 0, FV_RETENTION_JOB, v), 1);
    assert_int_equal(v[0], 0);
    /* below 1: refused, nothing chosen, whatever the scope */
    for (int64_t keep = 0; keep >= -1; keep--)
        for (int scope = 0; scope < 2; scope++) {
            struct fv_retention_rules r = {.job = "daily",
                                           .account = A,
                                           .region = R,
                                           .keep = keep,
                                           .scope = (enum fv_retention_scope)scope};
            size_t *got = (size_t *)&r, n = 99;
            struct fv_error err;
            assert_int_equal(fv_retention_select(&r, w.in, w.n, NOW, &got, &n, &err), FV_E_INVALID);
            assert_null(got);
            assert_int_equal(n, 0);
            assert_non_null(strstr(err.message, "below 1"));
        }
    s_clean(&w);
}

static void test_table_scope_is_the_opt_in_for_everything_of_the_table(void **state)
{
    (void)state;
    struct s_world w = {0};
    size_t v[MAX];
    size_t lambda = s_add(&w, "orders", "orders-20250101T000000Z", NOW - 60 * DAY, NULL);
    size_t by_hand = s_add(&w, "orders", "before-migration", NOW - 50 * DAY, NULL);
    size_t other = s_add(&w, "orders", "orders-weekly-x", NOW - 40 * DAY, "weekly");
    size_t ours = s_add(&w, "orders", "orders-daily-x", NOW - 30 * DAY, "daily");
    s_add(&w, "orders", "orders-daily-y", NOW - 2 * DAY, "daily");
    s_add_full(&w, "orders", "stuck", NOW - 90 * DAY, FV_DDB_BACKUP_CREATING, NULL, A, R);
    size_t young = s_add(&w, "orders", "orders-by-hand-today", NOW - HOUR, NULL);
    /* a table the job never backed up: not its business, even so */
    s_add(&w, "customers", "customers-old", NOW - 90 * DAY, NULL);
    s_add(&w, "customers", "customers-new", NOW - 1 * DAY, NULL);

    size_t n = s_select(&w, "daily", 2, DAY, FV_RETENTION_TABLE, v);
    s_expect(v, n, (size_t[]){lambda, by_hand, other, ours}, 4);
    /* the default scope: only its own */
    n = s_select(&w, "daily", 1, DAY, FV_RETENTION_JOB, v);
    s_expect(v, n, (size_t[]){ours}, 1);
    /* table scope, retention 1: the newest AVAILABLE (a hand-made one an
     * hour old) stays, and so does everything younger than the min age */
    n = s_select(&w, "daily", 1, DAY, FV_RETENTION_TABLE, v);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_true(v[i] != young);
    s_clean(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_look_alikes_with_later_timestamps_cost_nothing),
        cmocka_unit_test(test_two_jobs_on_one_table_keep_their_own),
        cmocka_unit_test(test_creating_and_failed_new_backups_never_count),
        cmocka_unit_test(test_min_age_keeps_young_backups),
        cmocka_unit_test(test_a_backup_without_a_time_neither_goes_nor_counts),
        cmocka_unit_test(test_retention_one_and_below),
        cmocka_unit_test(test_table_scope_is_the_opt_in_for_everything_of_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Schedules: rate() anchoring, cron() next fire times (month ends, leap years,
 * L/W/# edge cases), parse errors with their messages, and long iterations.
 *
 * The expected times were worked out by hand and checked with python3's
 * datetime/calendar modules (weekdays of the dates involved, the n-th and
 * last weekdays of the months, epoch multiples for rate()), never taken from
 * this code's output.
 *
 * The coordinator sources are not built into a library yet, so the unit under test is
 * compiled into this program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../coordinator/schedule.c"

#include <fv/clock.h>

#include <stdio.h>
#include <time.h>

static int64_t s_t(const char *iso)
{
    int64_t t = fv_time_parse_iso8601(iso);
    if (t == -1 && strcmp(iso, "1969-12-31T23:59:59Z") != 0)
        fail_msg("bad test time %s", iso);
    return t;
}

static struct fv_schedule *s_parse_ok(const char *expr)
{
    struct fv_schedule *s = NULL;
    struct fv_error err = {0};
    fv_status st = fv_schedule_parse(expr, &s, &err);
    if (st != FV_OK)
        fail_msg("%s: %s", expr, err.message);
    return s;
}

struct s_case {
    const char *expr;
    const char *after;
    const char *want; /* NULL: no fire time */
};

static const struct s_case s_cases[] = {
    /* rate(): multiples of the period since the epoch, strictly after. */
    {"rate(5 minutes)", "2024-01-01T00:02:30Z", "2024-01-01T00:05:00Z"},
    {"rate(5 minutes)", "2024-01-01T00:05:00Z", "2024-01-01T00:10:00Z"},
    {"rate(1 minute)", "2024-01-01T00:00:59Z", "2024-01-01T00:01:00Z"},
    {"rate(7 minutes)", "2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z"},  /* not hour-aligned */
    {"rate(13 minutes)", "2024-06-01T10:00:00Z", "2024-06-01T10:05:00Z"}, /* not hour-aligned */
    {"rate(6 hours)", "2024-03-10T07:00:00Z", "2024-03-10T12:00:00Z"},
    {"rate(1 hour)", "2024-12-31T23:30:00Z", "2025-01-01T00:00:00Z"},
    {"rate(1 day)", "2024-02-28T13:00:00Z", "2024-02-29T00:00:00Z"},
    {"rate(2 days)", "1970-01-01T00:00:00Z", "1970-01-03T00:00:00Z"},
    {"rate(1 day)", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z"},
    {"  rate(1 day)  ", "2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z"},

    /* Plain fields; seconds are dropped, the next minute is the earliest. */
    {"cron(* * * * ? *)", "2024-01-01T12:00:30Z", "2024-01-01T12:01:00Z"},
    {"cron(0 12 * * ? *)", "2024-01-01T12:00:00Z", "2024-01-02T12:00:00Z"},
    {"cron(0 12 * * ? *)", "2024-01-01T11:59:59Z", "2024-01-01T12:00:00Z"},
    {"cron(0/15 * * * ? *)", "2024-01-01T00:59:59Z", "2024-01-01T01:00:00Z"},
    {"cron(1/10 * * * ? *)", "2024-01-01T00:31:00Z", "2024-01-01T00:41:00Z"},
    {"cron(10-20/5 * * * ? *)", "2024-01-01T00:16:00Z", "2024-01-01T00:20:00Z"},
    {"cron(10-20/5 * * * ? *)", "2024-01-01T00:20:00Z", "2024-01-01T01:10:00Z"},
    {"cron(59 23 31 12 ? *)", "2023-12-31T23:59:00Z", "2024-12-31T23:59:00Z"},
    {"cron(*/20 9-17 ? * MON-FRI *)", "2024-01-05T17:40:00Z", "2024-01-08T09:00:00Z"},
    {"cron(0 0 1/10 * ? *)", "2024-01-21T00:00:00Z", "2024-01-31T00:00:00Z"},
    {"cron(0 0 1/10 * ? *)", "2024-04-21T00:00:00Z", "2024-05-01T00:00:00Z"}, /* no 31 April */
    {"cron(0 0 31 * ? *)", "2024-04-01T00:00:00Z", "2024-05-31T00:00:00Z"},
    {"cron(0 8 1 */3 ? 2025-2026)", "2024-06-01T00:00:00Z", "2025-01-01T08:00:00Z"},
    {"cron(0 8 1 */3 ? 2025-2026)", "2025-10-01T08:00:00Z", "2026-01-01T08:00:00Z"},
    {"cron(0 8 1 */3 ? 2025-2026)", "2026-10-01T08:00:00Z", NULL},
    {"cron(5 4 ? jan,jul sun#1 *)", "2025-01-01T00:00:00Z", "2025-01-05T04:05:00Z"},
    {"cron(5 4 ? jan,jul sun#1 *)", "2025-01-06T00:00:00Z", "2025-07-06T04:05:00Z"},
    {"cron(0 0 1 1 ? *)", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z"},

    /* Month ends and leap years. */
    {"cron(0 0 L * ? *)", "2024-02-15T00:00:00Z", "2024-02-29T00:00:00Z"},
    {"cron(0 0 L * ? *)", "2023-02-15T00:00:00Z", "2023-02-28T00:00:00Z"},
    {"cron(0 0 L * ? *)", "2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z"},
    {"cron(0 0 L 2 ? *)", "2099-03-01T00:00:00Z", "2100-02-28T00:00:00Z"}, /* 2100: not leap */
    {"cron(0 0 L 2 ? *)", "1999-03-01T00:00:00Z", "2000-02-29T00:00:00Z"}, /* 2000: leap */
    {"cron(0 0 29 2 ? *)", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
    {"cron(0 0 29 2 ? *)", "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z"}, /* skips 2100 */
    {"cron(0 0 30 2 ? *)", "2024-01-01T00:00:00Z", NULL},

    /* W: the nearest weekday, within the month. */
    {"cron(0 0 1W * ? *)", "2024-05-02T00:00:00Z", "2024-06-03T00:00:00Z"}, /* Sat 1st → Mon 3rd */
    {"cron(0 0 1W * ? *)", "2024-08-02T00:00:00Z", "2024-09-02T00:00:00Z"}, /* Sun 1st → Mon 2nd */
    {"cron(0 0 15W * ? *)", "2024-06-01T00:00:00Z", "2024-06-14T00:00:00Z"}, /* Sat → Fri */
    {"cron(0 0 15W * ? *)", "2024-09-01T00:00:00Z", "2024-09-16T00:00:00Z"}, /* Sun → Mon */
    {"cron(0 0 31W * ? *)", "2024-03-01T00:00:00Z", "2024-03-29T00:00:00Z"}, /* Sun 31st → Fri */
    {"cron(0 0 31W * ? *)", "2024-03-30T00:00:00Z", "2024-05-31T00:00:00Z"}, /* April has no 31 */
    {"cron(0 0 LW * ? *)", "2024-08-01T00:00:00Z", "2024-08-30T00:00:00Z"},  /* Sat 31st → Fri */
    {"cron(0 0 LW * ? *)", "2024-03-01T00:00:00Z", "2024-03-29T00:00:00Z"},  /* Sun 31st → Fri */
    {"cron(0 0 LW * ? *)", "2024-04-01T00:00:00Z", "2024-04-30T00:00:00Z"},  /* Tue 30th */

    /* Day-of-week: L, nL, n#k. */
    {"cron(0 0 ? * L *)", "2024-01-01T00:00:00Z", "2024-01-06T00:00:00Z"}, /* Saturdays */
    {"cron(15 10 ? * 6L *)", "2024-03-01T00:00:00Z", "2024-03-29T10:15:00Z"},
    {"cron(0 0 ? * 7L *)", "2024-08-01T00:00:00Z", "2024-08-31T00:00:00Z"},
    {"cron(0 0 ? 2 5L *)", "2024-01-01T00:00:00Z", "2024-02-29T00:00:00Z"}, /* a Thursday */
    {"cron(0 0 ? * FRIL *)", "2024-03-01T00:00:00Z", "2024-03-29T00:00:00Z"},
    {"cron(0 9 ? * 3#2 *)", "2024-01-01T00:00:00Z", "2024-01-09T09:00:00Z"},
    {"cron(0 9 ? * 2#5 *)", "2024-01-01T00:00:00Z", "2024-01-29T09:00:00Z"},
    {"cron(0 9 ? * 2#5 *)", "2024-01-30T00:00:00Z", "2024-04-29T09:00:00Z"}, /* Feb, Mar: 4 */

    /* The last year. */
    {"cron(0 0 1 JAN ? 2199)", "2198-06-01T00:00:00Z", "2199-01-01T00:00:00Z"},
    {"cron(0 0 1 JAN ? 2199)", "2199-01-01T00:00:00Z", NULL},
    {"cron(59 23 31 DEC ? *)", "2199-12-31T23:58:59Z", "2199-12-31T23:59:00Z"},
    {"cron(59 23 31 DEC ? *)", "2199-12-31T23:59:00Z", NULL},
};

static void test_next_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(s_cases) / sizeof(s_cases[0]); i++) {
        const struct s_case *c = &s_cases[i];
        struct fv_schedule *s = s_parse_ok(c->expr);
        int64_t got = 0;
        struct fv_error err = {0};
        fv_status st = fv_schedule_next(s, s_t(c->after), &got, &err);
        if (!c->want) {
            if (st != FV_E_NOTFOUND)
                fail_msg("%s after %s: want none, got %lld", c->expr, c->after, (long long)got);
            assert_non_null(strstr(err.message, "no fire time"));
        } else {
            char buf[21] = "";
            if (st == FV_OK)
                fv_time_iso8601(got, buf);
            if (st != FV_OK || got != s_t(c->want))
                fail_msg("%s after %s: want %s, got %s (%s)", c->expr, c->after, c->want,
                         st == FV_OK ? buf : "none", err.message);
        }
        fv_schedule_destroy(s);
    }
}

struct s_bad {
    const char *expr;
    const char *message;
};

static const struct s_bad s_bads[] = {
    {"cron(0 12 * * * *)", "cron(0 12 * * * *): one of day-of-month and day-of-week must be '?'"},
    {"cron(0 12 1 * MON *)",
     "cron(0 12 1 * MON *): one of day-of-month and day-of-week must be '?'"},
    {"cron(0 12 ? * ? *)", "cron(0 12 ? * ? *): day-of-month and day-of-week cannot both be '?'"},
    {"cron(0 12 * * ?)", "cron(0 12 * * ?): cron needs 6 fields (minutes hours day-of-month month "
                         "day-of-week year), got 5"},
    {"cron(0 0 12 * * ? *)", "cron(0 0 12 * * ? *): cron needs 6 fields (minutes hours "
                             "day-of-month month day-of-week year), got 7"},
    {"cron(60 * * * ? *)", "cron(60 * * * ? *): minutes: 60 is out of range 0-59"},
    {"cron(0 24 * * ? *)", "cron(0 24 * * ? *): hours: 24 is out of range 0-23"},
    {"cron(0 0 32 * ? *)", "cron(0 0 32 * ? *): day-of-month: 32 is out of range 1-31"},
    {"cron(0 0 0 * ? *)", "cron(0 0 0 * ? *): day-of-month: 0 is out of range 1-31"},
    {"cron(0 0 1 13 ? *)", "cron(0 0 1 13 ? *): month: 13 is out of range 1-12"},
    {"cron(0 0 ? * 0 *)", "cron(0 0 ? * 0 *): day-of-week: 0 is out of range 1-7"},
    {"cron(0 0 ? * 8 *)", "cron(0 0 ? * 8 *): day-of-week: 8 is out of range 1-7"},
    {"cron(0 0 * * ? 1969)", "cron(0 0 * * ? 1969): year: 1969 is out of range 1970-2199"},
    {"cron(0 0 * * ? 2200)", "cron(0 0 * * ? 2200): year: 2200 is out of range 1970-2199"},
    {"cron(0 0 * FOO ? *)", "cron(0 0 * FOO ? *): month: unknown name 'FOO'"},
    {"cron(0 0 ? * MONDAY *)", "cron(0 0 ? * MONDAY *): day-of-week: unknown name 'MONDAY'"},
    {"cron(0 0 ? * 2#6 *)", "cron(0 0 ? * 2#6 *): day-of-week: '#' needs an instance 1-5 after "
                            "it, as in 3#2 (got '2#6')"},
    {"cron(0 0 ? * 1-3#2 *)", "cron(0 0 ? * 1-3#2 *): day-of-week: '#' needs a single day before "
                              "it, as in 3#2 (got '1-3#2')"},
    {"cron(0 0 ? * 1-3/2 *)", "cron(0 0 ? * 1-3/2 *): day-of-week: '/' is not allowed here"},
    {"cron(0 0 L,15 * ? *)", "cron(0 0 L,15 * ? *): day-of-month: '?', 'L' and 'W' stand alone "
                             "(?, L, LW, or nW), got 'L,15'"},
    {"cron(0 0 1-5W * ? *)", "cron(0 0 1-5W * ? *): day-of-month: 'W' needs a single day before "
                             "it, as in 15W (got '1-5W')"},
    {"cron(0 0 ? * 5W *)", "cron(0 0 ? * 5W *): day-of-week: 'W' is only allowed in day-of-month"},
    {"cron(0 0 1#2 * ? *)", "cron(0 0 1#2 * ? *): day-of-month: '#' is only allowed in "
                            "day-of-week"},
    {"cron(0 L * * ? *)", "cron(0 L * * ? *): hours: 'L' is only allowed in day-of-month and "
                          "day-of-week"},
    {"cron(? 0 * * ? *)", "cron(? 0 * * ? *): minutes: '?' is only allowed in day-of-month and "
                          "day-of-week"},
    {"cron(0 22-2 * * ? *)", "cron(0 22-2 * * ? *): hours: range 22-2 runs backwards"},
    {"cron(*/0 * * * ? *)", "cron(*/0 * * * ? *): minutes: step must be 1-60 in '*/0'"},
    {"cron(1,,2 * * * ? *)", "cron(1,,2 * * * ? *): minutes: empty list element in '1,,2'"},
    {"cron(1, * * * ? *)", "cron(1, * * * ? *): minutes: empty list element in '1,'"},
    {"cron(0 12 * * ? *", "cron(0 12 * * ? *: expected rate(value unit) or cron(minutes hours "
                          "day-of-month month day-of-week year)"},
    {"every 5 minutes", "every 5 minutes: expected rate(value unit) or cron(minutes hours "
                        "day-of-month month day-of-week year)"},
    {"rate(1 minutes)", "rate(1 minutes): a rate of 1 takes a singular unit: rate(1 minute)"},
    {"rate(1 hours)", "rate(1 hours): a rate of 1 takes a singular unit: rate(1 hour)"},
    {"rate(5 minute)", "rate(5 minute): a rate over 1 takes a plural unit: rate(5 minutes)"},
    {"rate(2 day)", "rate(2 day): a rate over 1 takes a plural unit: rate(2 days)"},
    {"rate(0 minutes)", "rate(0 minutes): rate value must be a positive whole number"},
    {"rate(5 weeks)", "rate(5 weeks): unknown rate unit 'weeks' (minute(s), hour(s) or day(s))"},
    {"rate(5 Minutes)",
     "rate(5 Minutes): unknown rate unit 'Minutes' (minute(s), hour(s) or day(s))"},
    {"rate(-5 minutes)", "rate(-5 minutes): rate needs a positive whole number and a unit, as in "
                         "rate(5 minutes)"},
    {"rate(5)", "rate(5): rate needs a positive whole number and a unit, as in rate(5 minutes)"},
    {"rate(5 minutes now)", "rate(5 minutes now): rate takes two fields: a value and a unit"},
    {"rate(1.5 hours)", "rate(1.5 hours): rate needs a positive whole number and a unit, as in "
                        "rate(5 minutes)"},
    {"", "schedule expression is empty"},
    {"   ", "schedule expression is empty"},
};

static void test_parse_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(s_bads) / sizeof(s_bads[0]); i++) {
        struct fv_schedule *s = (struct fv_schedule *)1;
        struct fv_error err = {0};
        fv_status st = fv_schedule_parse(s_bads[i].expr, &s, &err);
        if (st != FV_E_INVALID)
            fail_msg("%s: accepted", s_bads[i].expr);
        assert_null(s);
        assert_int_equal(err.status, FV_E_INVALID);
        if (strcmp(err.message, s_bads[i].message) != 0)
            fail_msg("%s:\n want %s\n got  %s", s_bads[i].expr, s_bads[i].message, err.message);
        assert_null(strchr(err.message, '\n'));
    }
    /* A NULL err is fine too. */
    struct fv_schedule *s = NULL;
    assert_int_equal(fv_schedule_parse("cron(bad)", &s, NULL), FV_E_INVALID);
    assert_int_equal(fv_schedule_parse(NULL, &s, NULL), FV_E_INVALID);
}

static void test_accessors(void **state)
{
    (void)state;
    struct fv_schedule *s = s_parse_ok(" rate(6 hours) ");
    assert_int_equal(fv_schedule_kind(s), FV_SCHEDULE_RATE);
    assert_int_equal(fv_schedule_rate_seconds(s), 6 * 3600);
    assert_string_equal(fv_schedule_expression(s), "rate(6 hours)");
    fv_schedule_destroy(s);
    s = s_parse_ok("cron(0 12 * * ? *)");
    assert_int_equal(fv_schedule_kind(s), FV_SCHEDULE_CRON);
    assert_int_equal(fv_schedule_rate_seconds(s), 0);
    fv_schedule_destroy(s);
    fv_schedule_destroy(NULL);
}

/* A restart does not shift a rate schedule: whatever time the coordinator
 * starts at, the fire times are the same epoch multiples. */
static void test_rate_anchored_at_epoch(void **state)
{
    (void)state;
    struct fv_schedule *s = s_parse_ok("rate(90 minutes)");
    int64_t want = s_t("2024-05-05T01:30:00Z"); /* 1714872600 = 317569 * 5400 */
    for (int64_t start = want - 5400; start < want; start += 97) {
        int64_t got = 0;
        assert_int_equal(fv_schedule_next(s, start, &got, NULL), FV_OK);
        assert_int_equal(got, want);
    }
    fv_schedule_destroy(s);
}

/* 1000 fires: strictly increasing, each one matching the expression, and
 * none skipped (the count for 2024 is 262 weekdays x 5 hours x 2 minutes). */
static void test_iterate_weekday_cron(void **state)
{
    (void)state;
    struct fv_schedule *s = s_parse_ok("cron(5,35 */5 ? * MON-FRI 2024-2199)");
    int64_t t = s_t("2023-12-31T23:59:59Z"), end2024 = s_t("2025-01-01T00:00:00Z");
    int in_2024 = 0;
    for (int i = 0; i < 3000; i++) {
        int64_t next = 0;
        assert_int_equal(fv_schedule_next(s, t, &next, NULL), FV_OK);
        assert_true(next > t);
        assert_int_equal(next % 60, 0);
        time_t tt = (time_t)next;
        struct tm tm;
        gmtime_r(&tt, &tm);
        assert_true(tm.tm_min == 5 || tm.tm_min == 35);
        assert_int_equal(tm.tm_hour % 5, 0);
        assert_true(tm.tm_wday >= 1 && tm.tm_wday <= 5);
        if (next < end2024)
            in_2024++;
        t = next;
    }
    assert_int_equal(in_2024, 2620);
    fv_schedule_destroy(s);
}

/* LW over 1000 months: each fire is a weekday, in consecutive months, and
 * the next weekday after it falls in the following month. */
static void test_iterate_last_weekday(void **state)
{
    (void)state;
    struct fv_schedule *s = s_parse_ok("cron(30 2 LW * ? *)");
    int64_t t = s_t("2024-01-01T00:00:00Z");
    int prev_mon = -1;
    for (int i = 0; i < 1000; i++) {
        int64_t next = 0;
        assert_int_equal(fv_schedule_next(s, t, &next, NULL), FV_OK);
        assert_true(next > t);
        time_t tt = (time_t)next;
        struct tm tm;
        gmtime_r(&tt, &tm);
        assert_true(tm.tm_wday >= 1 && tm.tm_wday <= 5);
        assert_int_equal(tm.tm_hour, 2);
        assert_int_equal(tm.tm_min, 30);
        int mon = (tm.tm_year + 1900) * 12 + tm.tm_mon;
        if (prev_mon >= 0)
            assert_int_equal(mon, prev_mon + 1);
        prev_mon = mon;
        /* the next weekday is in the next month */
        int64_t d = next;
        do {
            d += 86400;
            tt = (time_t)d;
            gmtime_r(&tt, &tm);
        } while (tm.tm_wday == 0 || tm.tm_wday == 6);
        assert_int_equal((tm.tm_year + 1900) * 12 + tm.tm_mon, mon + 1);
        t = next;
    }
    fv_schedule_destroy(s);
}

/* A complex expression checked against a brute-force minute-by-minute scan. */
static void test_against_brute_force(void **state)
{
    (void)state;
    struct fv_schedule *s = s_parse_ok("cron(0,30 8-18/2 ? FEB,MAR,AUG-OCT 2#2 2024-2026)");
    int64_t t = s_t("2024-01-01T00:00:00Z");
    int64_t scan = t;
    int fires = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t next = 0;
        if (fv_schedule_next(s, t, &next, NULL) != FV_OK)
            break;
        /* every minute between t and next must not match */
        for (scan = t + 60 - (t % 60); scan < next; scan += 60) {
            time_t tt = (time_t)scan;
            struct tm tm;
            gmtime_r(&tt, &tm);
            bool month_ok = tm.tm_mon == 1 || tm.tm_mon == 2 || (tm.tm_mon >= 7 && tm.tm_mon <= 9);
            bool day_ok = tm.tm_wday == 1 && (tm.tm_mday - 1) / 7 == 1;
            bool time_ok = (tm.tm_min == 0 || tm.tm_min == 30) && tm.tm_hour >= 8 &&
                           tm.tm_hour <= 18 && tm.tm_hour % 2 == 0;
            if (month_ok && day_ok && time_ok)
                fail_msg("skipped %lld", (long long)scan);
        }
        time_t tt = (time_t)next;
        struct tm tm;
        gmtime_r(&tt, &tm);
        assert_int_equal(tm.tm_wday, 1);
        assert_int_equal((tm.tm_mday - 1) / 7, 1);
        fires++;
        t = next;
    }
    /* 3 years x 5 months x 6 hours x 2 minutes, then nothing */
    assert_int_equal(fires, 3 * 5 * 6 * 2);
    struct fv_error err = {0};
    int64_t none = 0;
    assert_int_equal(fv_schedule_next(s, t, &none, &err), FV_E_NOTFOUND);
    fv_schedule_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_table),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_accessors),
        cmocka_unit_test(test_rate_anchored_at_epoch),
        cmocka_unit_test(test_iterate_weekday_cron),
        cmocka_unit_test(test_iterate_last_weekday),
        cmocka_unit_test(test_against_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

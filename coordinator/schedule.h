/* Backup schedules: AWS schedule expressions (the EventBridge Scheduler /
 * CloudWatch Events syntax), evaluated in UTC at minute resolution.
 *
 *   rate(value unit)   value a positive integer; unit minute | minutes | hour |
 *                      hours | day | days, singular exactly when value is 1
 *                      ("rate(1 hour)", "rate(5 minutes)"; "rate(1 hours)" and
 *                      "rate(5 minute)" are errors, as AWS has them).
 *
 *   cron(Minutes Hours Day-of-month Month Day-of-week Year)
 *       Minutes       0-59                 , - * /
 *       Hours         0-23                 , - * /
 *       Day-of-month  1-31                 , - * / ? L W
 *       Month         1-12 or JAN-DEC      , - * /
 *       Day-of-week   1-7 or SUN-SAT       , - * ? L #      (1 = SUN, 7 = SAT)
 *       Year          1970-2199            , - * /
 *
 *   Exactly one of Day-of-month and Day-of-week is '?'.
 *   a/b is every b-th value from a to the end of the field ("0/15" minutes:
 *   0, 15, 30, 45); '*' then /b starts at the field's first value; a-b/c steps
 *   through a range. Ranges run upwards (22-2 is an error, not a wrap-around).
 *   Day-of-week takes no '/', as AWS's table has it.
 *   Day-of-month: L = the last day of the month; nW = the weekday (Mon-Fri)
 *   nearest day n, never leaving the month (1W on a Saturday is Monday the
 *   3rd; 31W on a Sunday the 31st is Friday the 29th); a month shorter than n
 *   days has no nW; LW = the last weekday of the month.
 *   Day-of-week: L alone = 7 (Saturday); nL = the last weekday n of the month
 *   (6L: the last Friday); n#k = the k-th weekday n of the month, k 1-5
 *   (3#2: the second Tuesday; a month with no fifth one has no n#5).
 *   L, LW, nW, nL and n#k stand alone in their field (no lists or ranges).
 *   Names and the letters L and W are matched case-insensitively.
 *
 * Rate anchoring. AWS starts a rate schedule when it is created; fleetvault
 * anchors every rate schedule at the Unix epoch instead: rate(N unit) fires at
 * exactly the multiples of N units since 1970-01-01T00:00:00Z. Every
 * coordinator therefore computes the same fire times from the expression
 * alone, and a restart (or a new leader) does not shift the schedule:
 * rate(1 day) fires at 00:00 UTC, rate(6 hours) at 00, 06, 12 and 18 UTC, and
 * rate(7 minutes) at the 7-minute multiples since the epoch (not aligned to
 * the hour).
 *
 * A parsed schedule is immutable; any thread may call fv_schedule_next on it. */
#ifndef FV_COORDINATOR_SCHEDULE_H
#define FV_COORDINATOR_SCHEDULE_H

#include <fv/common.h>

#include <stdint.h>

enum fv_schedule_kind {
    FV_SCHEDULE_RATE,
    FV_SCHEDULE_CRON,
};

struct fv_schedule;

/* Parses expr ("rate(...)" or "cron(...)"; surrounding white space is
 * ignored). Returns FV_OK and *out (caller owns; free with
 * fv_schedule_destroy()), or FV_E_INVALID with err->message one line naming
 * the expression and what is wrong, e.g.
 * "cron(0 12 * * * *): one of day-of-month and day-of-week must be '?'". */
fv_status fv_schedule_parse(const char *expr, struct fv_schedule **out, struct fv_error *err);

void fv_schedule_destroy(struct fv_schedule *s); /* NULL-safe */

/* The first fire time strictly after `after` (Unix seconds, UTC); fire times
 * are whole minutes. FV_E_NOTFOUND (with err) when there is none: a cron
 * expression past its last year, or one that can never match (30 FEB).
 * Times before 1970 are accepted: a cron schedule's first fire is then in
 * 1970 at the earliest; a rate schedule keeps its epoch multiples. */
fv_status fv_schedule_next(const struct fv_schedule *s, int64_t after, int64_t *out,
                           struct fv_error *err);

enum fv_schedule_kind fv_schedule_kind(const struct fv_schedule *s);
/* The period of a rate schedule in seconds; 0 for cron. */
int64_t fv_schedule_rate_seconds(const struct fv_schedule *s);
/* The expression as given, trimmed (borrowed; lives as long as s). */
const char *fv_schedule_expression(const struct fv_schedule *s);

#endif

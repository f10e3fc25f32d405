/* The seed's decision rules (fv_export_decide) and the transitions of an
 * export chain (fv_export_apply_*), with fixed times: first run, consecutive
 * windows and the exact boundary where one is due, catch-up counting down,
 * PITR off/on and the gap, reset (also in a gap, also during a full export),
 * pause while behind, failures, and two workers finishing the same export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/exports.h>

#include <stdlib.h>
#include <string.h>

#define T0 1796263200000LL /* 2026-12-03T02:00:00Z */
#define MIN 60000LL
#define HOUR (60 * MIN)
#define W (15 * MIN)

static const struct fv_export_key s_key = {"nightly", "111111111111", "us-east-1", "orders"};

static struct fv_dynamodb_continuous_backups s_pitr_on(int64_t earliest)
{
    return (struct fv_dynamodb_continuous_backups){true, true, earliest, earliest};
}

static const struct fv_dynamodb_continuous_backups s_pitr_off = {false, false, 0, 0};

static struct fv_export_decision s_decide(const struct fv_export_state *s,
                                          struct fv_dynamodb_continuous_backups pitr,
                                          int64_t window, int64_t now)
{
    struct fv_export_decision d;
    struct fv_error err = {0};
    assert_int_equal(fv_export_decide(s, &pitr, window, now, &d, &err), FV_OK);
    assert_non_null(d.reason);
    return d;
}

/* A chain whose full export at t COMPLETED. */
static void s_initiated(struct fv_export_state *s, int64_t t)
{
    fv_export_state_init(s, &s_key);
    assert_int_equal(fv_export_apply_begin_full(s, t, t), FV_EXPORT_APPLIED);
    struct fv_export_decision d = {.kind = FV_EXPORT_DO_FULL, .export_time_ms = t};
    assert_int_equal(fv_export_apply_completed(s, &d, "arn:full", t + MIN), FV_EXPORT_APPLIED);
}

static void test_window_bounds(void **state)
{
    (void)state;
    struct fv_export_state s;
    fv_export_state_init(&s, &s_key);
    struct fv_dynamodb_continuous_backups pitr = s_pitr_on(T0 - HOUR);
    struct fv_export_decision d;
    struct fv_error err = {0};
    assert_int_equal(fv_export_decide(&s, &pitr, 15 * MIN - 1, T0, &d, &err), FV_E_INVALID);
    assert_int_equal(fv_export_decide(&s, &pitr, 24 * HOUR + 1, T0, &d, &err), FV_E_INVALID);
    assert_int_equal(fv_export_decide(&s, &pitr, 15 * MIN, T0, &d, &err), FV_OK);
    assert_int_equal(fv_export_decide(&s, &pitr, 24 * HOUR, T0, &d, &err), FV_OK);
    fv_export_state_clean_up(&s);
}

static void test_first_run_is_full_now(void **state)
{
    (void)state;
    struct fv_export_state s;
    fv_export_state_init(&s, &s_key);
    struct fv_export_decision d = s_decide(&s, s_pitr_on(T0 - HOUR), W, T0);
    assert_int_equal(d.kind, FV_EXPORT_DO_FULL);
    assert_int_equal(d.export_time_ms, T0);
    assert_string_equal(d.remedy, "");
    /* Without PITR there is nothing to export from, and no chain to reset. */
    d = s_decide(&s, s_pitr_off, W, T0);
    assert_int_equal(d.kind, FV_EXPORT_DO_PITR_GAP);
    assert_non_null(strstr(d.remedy, "enable point-in-time recovery on table orders"));
    assert_null(strstr(d.remedy, "reset"));
    fv_export_state_clean_up(&s);
}

static void test_started_full_is_resumed_not_restarted(void **state)
{
    (void)state;
    struct fv_export_state s;
    fv_export_state_init(&s, &s_key);
    assert_int_equal(fv_export_apply_begin_full(&s, T0, T0), FV_EXPORT_APPLIED);
    assert_int_equal(s.initiated, FV_EXPORT_INITIATING);
    /* A redelivery of the same start changes nothing; another start loses. */
    assert_int_equal(fv_export_apply_begin_full(&s, T0, T0 + MIN), FV_EXPORT_ALREADY);
    assert_int_equal(fv_export_apply_begin_full(&s, T0 + MIN, T0 + MIN), FV_EXPORT_STALE);
    struct fv_export_decision d = s_decide(&s, s_pitr_on(T0 - HOUR), W, T0 + 2 * HOUR);
    assert_int_equal(d.kind, FV_EXPORT_DO_FULL);
    assert_int_equal(d.export_time_ms, T0); /* the same export, not a new one */
    fv_export_state_clean_up(&s);
}

static void test_windows_consecutive_and_due_exactly_at_end(void **state)
{
    (void)state;
    struct fv_export_state s;
    s_initiated(&s, T0);
    assert_int_equal(s.last_incremental_export_time_ms, T0);
    assert_string_equal(s.chain_id, "arn:full");
    struct fv_dynamodb_continuous_backups pitr = s_pitr_on(T0 - HOUR);
    int64_t end = T0;
    for (int i = 0; i < 10; i++) {
        /* One ms before the window's end it is not due (it would end in the future). */
        struct fv_export_decision d = s_decide(&s, pitr, W, end + W - 1);
        assert_int_equal(d.kind, FV_EXPORT_DO_NOTHING);
        d = s_decide(&s, pitr, W, end + W);
        assert_int_equal(d.kind, FV_EXPORT_DO_INCREMENTAL);
        assert_int_equal(d.from_ms, end); /* no gap, no overlap */
        assert_int_equal(d.to_ms, end + W);
        assert_int_equal(d.blocks_behind, 0);
        assert_int_equal(fv_export_apply_completed(&s, &d, "arn:inc", end + W), FV_EXPORT_APPLIED);
        end += W;
        assert_int_equal(s.last_incremental_export_time_ms, end);
    }
    /* A 24 h window: due a day after the last end, not a ms before. */
    assert_int_equal(s_decide(&s, pitr, 24 * HOUR, end + 24 * HOUR - 1).kind, FV_EXPORT_DO_NOTHING);
    struct fv_export_decision d = s_decide(&s, pitr, 24 * HOUR, end + 24 * HOUR);
    assert_int_equal(d.kind, FV_EXPORT_DO_INCREMENTAL);
    assert_int_equal(d.to_ms - d.from_ms, 24 * HOUR);
    fv_export_state_clean_up(&s);
}

static void test_catch_up_counts_down(void **state)
{
    (void)state;
    struct fv_export_state s;
    s_initiated(&s, T0);
    struct fv_dynamodb_continuous_backups pitr = s_pitr_on(T0 - HOUR);
    /* Two hours and five minutes later: 8 windows are due, in order. */
    int64_t now = T0 + 2 * HOUR + 5 * MIN;
    for (int64_t want = 7; want >= 0; want--) {
        struct fv_export_decision d = s_decide(&s, pitr, W, now);
        assert_int_equal(d.kind, FV_EXPORT_DO_INCREMENTAL);
        assert_int_equal(d.from_ms, s.last_incremental_export_time_ms);
        assert_int_equal(d.blocks_behind, want);
        assert_int_equal(fv_export_apply_completed(&s, &d, "arn:inc", now), FV_EXPORT_APPLIED);
    }
    assert_int_equal(s.last_incremental_export_time_ms, T0 + 2 * HOUR);
    struct fv_export_decision d = s_decide(&s, pitr, W, now);
    assert_int_equal(d.kind, FV_EXPORT_DO_NOTHING);
    assert_int_equal(d.blocks_behind, 0);
    fv_export_state_clean_up(&s);
}

static void test_pause_while_behind(void **state)
{
    (void)state;
    struct fv_export_state s;
    s_initiated(&s, T0);
    struct fv_dynamodb_continuous_backups pitr = s_pitr_on(T0 - HOUR);
    assert_int_equal(fv_export_apply_action(&s, FV_EXPORT_PAUSE, T0), FV_EXPORT_APPLIED);
    assert_int_equal(fv_export_apply_action(&s, FV_EXPORT_PAUSE, T0), FV_EXPORT_ALREADY);
    struct fv_export_decision d = s_decide(&s, pitr, W, T0 + 2 * HOUR);
    assert_int_equal(d.kind, FV_EXPORT_DO_NOTHING);
    assert_string_equal(d.reason, "paused");
    /* Paused even without PITR: a pause is never turned into a failure. */
    assert_int_equal(s_decide(&s, s_pitr_off, W, T0 + 2 * HOUR).kind, FV_EXPORT_DO_NOTHING);
    /* Resumed: it starts where it paused, behind. */
    assert_int_equal(fv_export_apply_action(&s, FV_EXPORT_RUN, T0), FV_EXPORT_APPLIED);
    d = s_decide(&s, pitr, W, T0 + 2 * HOUR);
    assert_int_equal(d.kind, FV_EXPORT_DO_INCREMENTAL);
    assert_int_equal(d.from_ms, T0);
    assert_int_equal(d.blocks_behind, 7);
    fv_export_state_clean_up(&s);
}

static void test_pitr_reenabled_is_a_gap_until_reset(void **state)
{
    (void)state;
    struct fv_export_state s;
    s_initiated(&s, T0);
    int64_t end = T0 + W;
    struct fv_export_decision d = s_decide(&s, s_pitr_on(T0 - HOUR), W, end);
    assert_int_equal(fv_export_apply_completed(&s, &d, "arn:inc", end), FV_EXPORT_APPLIED);

    /* PITR off: a gap, whose remedy is PITR then a reset. */
    d = s_decide(&s, s_pitr_off, W, end + W);
    assert_int_equal(d.kind, FV_EXPORT_DO_PITR_GAP);
    assert_non_null(strstr(d.remedy, "enable point-in-time recovery"));
    assert_non_null(strstr(d.remedy,
                           "fleetvault exports reset --config <file> --job nightly --table orders "
                           "--account 111111111111 --region us-east-1"));
    assert_int_equal(fv_export_apply_failed(&s, &d, NULL, NULL, end + W), FV_EXPORT_APPLIED);
    assert_int_equal(s.workflow_state, FV_EXPORT_PITR_GAP);
    assert_non_null(s.last_error);

    /* PITR on again: its history starts after the last end, and the gap stays. */
    struct fv_dynamodb_continuous_backups again = s_pitr_on(end + 20 * MIN);
    d = s_decide(&s, again, W, end + HOUR);
    assert_int_equal(d.kind, FV_EXPORT_DO_PITR_GAP);
    assert_non_null(strstr(d.remedy, "exports reset"));
    assert_null(strstr(d.remedy, "enable point-in-time"));

    /* Reset while in PITR_GAP: a full export re-initialises the chain. */
    assert_int_equal(fv_export_apply_action(&s, FV_EXPORT_RESET, end + HOUR), FV_EXPORT_APPLIED);
    d = s_decide(&s, again, W, end + HOUR);
    assert_int_equal(d.kind, FV_EXPORT_DO_FULL);
    assert_int_equal(d.export_time_ms, end + HOUR);
    assert_int_equal(fv_export_apply_begin_full(&s, d.export_time_ms, end + HOUR),
                     FV_EXPORT_APPLIED);
    assert_int_equal(s.workflow_action, FV_EXPORT_RUN);
    assert_int_equal(s.workflow_state, FV_EXPORT_NORMAL);
    assert_int_equal(fv_export_apply_completed(&s, &d, "arn:full2", end + HOUR), FV_EXPORT_APPLIED);
    assert_string_equal(s.chain_id, "arn:full2");
    assert_null(s.last_error);
    d = s_decide(&s, again, W, end + HOUR + W);
    assert_int_equal(d.kind, FV_EXPORT_DO_INCREMENTAL);
    assert_int_equal(d.from_ms, end + HOUR);
    fv_export_state_clean_up(&s);
}

static void test_earliest_restorable_boundary(void **state)
{
    (void)state;
    struct fv_export_state s;
    s_initiated(&s, T0);
    /* Earliest restorable exactly at the last end: exportable. One ms later: a gap. */
    assert_int_equal(s_decide(&s, s_pitr_on(T0), W, T0 + W).kind, FV_EXPORT_DO_INCREMENTAL);
    assert_int_equal(s_decide(&s, s_pitr_on(T0 + 1), W, T0 + W).kind, FV_EXPORT_DO_PITR_GAP);
    fv_export_state_clean_up(&s);
}

static void test_reset_with_pitr_off_waits_for_pitr(void **state)
{
    (void)state;
    struct fv_export_state s;
    s_initiated(&s, T0);
    assert_int_equal(fv_export_apply_action(&s, FV_EXPORT_RESET, T0), FV_EXPORT_APPLIED);
    assert_int_equal(s_decide(&s, s_pitr_off, W, T0 + HOUR).kind, FV_EXPORT_DO_PITR_GAP);
    assert_int_equal(s_decide(&s, s_pitr_on(T0 + HOUR), W, T0 + HOUR).kind, FV_EXPORT_DO_FULL);
    fv_export_state_clean_up(&s);
}

static void test_reset_during_full_export(void **state)
{
    (void)state;
    struct fv_export_state s;
    fv_export_state_init(&s, &s_key);
    assert_int_equal(fv_export_apply_begin_full(&s, T0, T0), FV_EXPORT_APPLIED);
    assert_int_equal(fv_export_apply_action(&s, FV_EXPORT_RESET, T0 + MIN), FV_EXPORT_APPLIED);
    struct fv_export_decision d = s_decide(&s, s_pitr_on(T0 - HOUR), W, T0 + HOUR);
    assert_int_equal(d.kind, FV_EXPORT_DO_FULL);
    assert_int_equal(d.export_time_ms, T0 + HOUR);
    assert_int_equal(fv_export_apply_begin_full(&s, T0 + HOUR, T0 + HOUR), FV_EXPORT_APPLIED);
    /* The first full export finishing late does not take the chain back. */
    struct fv_export_decision old = {.kind = FV_EXPORT_DO_FULL, .export_time_ms = T0};
    assert_int_equal(fv_export_apply_completed(&s, &old, "arn:old", T0 + HOUR), FV_EXPORT_STALE);
    assert_int_equal(fv_export_apply_failed(&s, &old, "X", "y", T0 + HOUR), FV_EXPORT_STALE);
    assert_int_equal(s.initiated, FV_EXPORT_INITIATING);
    assert_int_equal(s.full_export_time_ms, T0 + HOUR);
    fv_export_state_clean_up(&s);
}

static void test_failed_full_starts_again(void **state)
{
    (void)state;
    struct fv_export_state s;
    fv_export_state_init(&s, &s_key);
    assert_int_equal(fv_export_apply_begin_full(&s, T0, T0), FV_EXPORT_APPLIED);
    struct fv_export_decision d = {.kind = FV_EXPORT_DO_FULL, .export_time_ms = T0};
    assert_int_equal(fv_export_apply_failed(&s, &d, "S3NoSuchBucket", "no bucket", T0 + MIN),
                     FV_EXPORT_APPLIED);
    assert_int_equal(s.initiated, FV_EXPORT_NOT_INITIATED);
    assert_string_equal(s.last_error, "S3NoSuchBucket: no bucket");
    d = s_decide(&s, s_pitr_on(T0 - HOUR), W, T0 + HOUR);
    assert_int_equal(d.kind, FV_EXPORT_DO_FULL);
    assert_int_equal(d.export_time_ms, T0 + HOUR);
    fv_export_state_clean_up(&s);
}

/* full_export_every_days: once the chain's full export is that old and the
 * chain is caught up, a full export at its last window end starts a new
 * chain (no gap); never while a window is due, paused, in a gap, or when
 * off; the old chain's redelivered windows then change nothing. */
static void test_a_new_chain_every_so_often(void **state)
{
    (void)state;
    const int64_t every = 24 * HOUR;
    struct fv_export_state s;
    s_initiated(&s, T0);
    struct fv_dynamodb_continuous_backups pitr = s_pitr_on(T0 - HOUR);
    /* walk the chain a day and a bit on, window by window */
    int64_t end = T0;
    for (; end + W <= T0 + every + W; end += W) {
        struct fv_export_decision d = s_decide(&s, pitr, W, end + W);
        assert_int_equal(d.kind, FV_EXPORT_DO_INCREMENTAL);
        assert_int_equal(fv_export_apply_completed(&s, &d, "arn:i", end + W), FV_EXPORT_APPLIED);
    }
    int64_t now = end + W / 2; /* caught up: the next window is not due */
    struct fv_export_decision d = s_decide(&s, pitr, W, now);
    assert_int_equal(d.kind, FV_EXPORT_DO_NOTHING);
    assert_false(fv_export_renew(&s, 0, W, now, &d));             /* 0: never */
    assert_false(fv_export_renew(&s, every + 2 * W, W, now, &d)); /* not that old yet */
    struct fv_export_decision due = s_decide(&s, pitr, W, now + W);
    assert_int_equal(due.kind, FV_EXPORT_DO_INCREMENTAL);
    assert_false(fv_export_renew(&s, every, W, now + W, &due)); /* a window first */
    assert_int_equal(due.kind, FV_EXPORT_DO_INCREMENTAL);
    s.workflow_action = FV_EXPORT_PAUSE;
    struct fv_export_decision paused = s_decide(&s, pitr, W, now);
    assert_false(fv_export_renew(&s, every, W, now, &paused));
    s.workflow_action = FV_EXPORT_RUN;

    assert_true(fv_export_renew(&s, every, W, now, &d));
    assert_int_equal(d.kind, FV_EXPORT_DO_FULL);
    assert_int_equal(d.export_time_ms, end); /* the old chain's last end: no gap */
    assert_int_equal(fv_export_apply_begin_full(&s, d.export_time_ms, now), FV_EXPORT_APPLIED);
    assert_int_equal(s.initiated, FV_EXPORT_INITIATING);
    assert_int_equal(fv_export_apply_begin_full(&s, d.export_time_ms, now), FV_EXPORT_ALREADY);
    /* the old chain's last window, redelivered, is not the chain's step */
    struct fv_export_decision last = {
        .kind = FV_EXPORT_DO_INCREMENTAL, .from_ms = end - W, .to_ms = end};
    assert_int_equal(fv_export_apply_completed(&s, &last, "arn:other", now), FV_EXPORT_STALE);
    assert_int_equal(fv_export_apply_completed(&s, &d, "arn:full2", now + MIN), FV_EXPORT_APPLIED);
    assert_string_equal(s.chain_id, "arn:full2");
    assert_int_equal(s.full_export_time_ms, end);
    /* a redelivered first full export of the old chain starts nothing */
    assert_int_equal(fv_export_apply_begin_full(&s, T0, now + MIN), FV_EXPORT_STALE);
    /* the new chain just began: no renewal until it is that old itself */
    struct fv_export_decision next = s_decide(&s, pitr, W, now + MIN);
    assert_false(fv_export_renew(&s, every, W, now + MIN, &next));
    fv_export_state_clean_up(&s);
}

static void test_incremental_failures(void **state)
{
    (void)state;
    struct fv_export_state s;
    s_initiated(&s, T0);
    struct fv_dynamodb_continuous_backups pitr = s_pitr_on(T0 - HOUR);
    struct fv_export_decision d = s_decide(&s, pitr, W, T0 + W);
    /* A transient failure: the same window is due again. */
    assert_int_equal(fv_export_apply_failed(&s, &d, "InternalServerError", "boom", T0 + W),
                     FV_EXPORT_APPLIED);
    assert_int_equal(s.workflow_state, FV_EXPORT_NORMAL);
    assert_int_equal(fv_export_apply_failed(&s, &d, "InternalServerError", "boom", T0 + W),
                     FV_EXPORT_ALREADY);
    struct fv_export_decision again = s_decide(&s, pitr, W, T0 + W);
    assert_int_equal(again.kind, FV_EXPORT_DO_INCREMENTAL);
    assert_int_equal(again.from_ms, d.from_ms);
    /* The service's PITR-window refusal: a gap. */
    assert_int_equal(fv_export_apply_failed(&s, &d, "InvalidExportTimeException",
                                            "Incremental export start time outside PITR window",
                                            T0 + W),
                     FV_EXPORT_APPLIED);
    assert_int_equal(s.workflow_state, FV_EXPORT_PITR_GAP);
    assert_int_equal(s_decide(&s, pitr, W, T0 + W).kind, FV_EXPORT_DO_PITR_GAP);
    fv_export_state_clean_up(&s);
}

static void test_two_workers_advance_once(void **state)
{
    (void)state;
    struct fv_export_state s;
    s_initiated(&s, T0);
    struct fv_export_decision d = s_decide(&s, s_pitr_on(T0 - HOUR), W, T0 + W);
    assert_int_equal(fv_export_apply_completed(&s, &d, "arn:inc1", T0 + W), FV_EXPORT_APPLIED);
    /* The other worker, re-reading, finds its window done: no second advance. */
    assert_int_equal(fv_export_apply_completed(&s, &d, "arn:inc1", T0 + W), FV_EXPORT_ALREADY);
    assert_int_equal(s.last_incremental_export_time_ms, T0 + W);
    /* A window that is not the chain's next changes nothing. */
    struct fv_export_decision skip = {
        .kind = FV_EXPORT_DO_INCREMENTAL, .from_ms = T0 + 2 * W, .to_ms = T0 + 3 * W};
    assert_int_equal(fv_export_apply_completed(&s, &skip, "arn:x", T0 + 3 * W), FV_EXPORT_STALE);
    assert_int_equal(s.last_incremental_export_time_ms, T0 + W);
    fv_export_state_clean_up(&s);
}

static void test_names_round_trip(void **state)
{
    (void)state;
    enum fv_export_workflow_action a;
    assert_true(fv_export_workflow_action_parse("RESET_WITH_FULL_EXPORT_AGAIN", &a));
    assert_int_equal(a, FV_EXPORT_RESET);
    assert_false(fv_export_workflow_action_parse("reset", &a));
    enum fv_export_initiated i;
    assert_true(fv_export_initiated_parse("NULL", &i));
    assert_int_equal(i, FV_EXPORT_INITIATING);
    enum fv_export_workflow_state st;
    assert_true(fv_export_workflow_state_parse("PITR_GAP", &st));
    assert_false(fv_export_workflow_state_parse(NULL, &st));
    char *pk = fv_export_state_pk(&s_key);
    assert_string_equal(pk, "export#nightly#111111111111#us-east-1#orders");
    free(pk);
    assert_true(fv_dynamodb_export_is_pitr_gap("PointInTimeRecoveryUnavailableException", NULL));
    assert_false(fv_dynamodb_export_is_pitr_gap("InvalidExportTimeException",
                                                "Difference between export period from time and "
                                                "export period to time is less than 15 minutes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_bounds),
        cmocka_unit_test(test_first_run_is_full_now),
        cmocka_unit_test(test_started_full_is_resumed_not_restarted),
        cmocka_unit_test(test_windows_consecutive_and_due_exactly_at_end),
        cmocka_unit_test(test_catch_up_counts_down),
        cmocka_unit_test(test_pause_while_behind),
        cmocka_unit_test(test_pitr_reenabled_is_a_gap_until_reset),
        cmocka_unit_test(test_earliest_restorable_boundary),
        cmocka_unit_test(test_reset_with_pitr_off_waits_for_pitr),
        cmocka_unit_test(test_reset_during_full_export),
        cmocka_unit_test(test_failed_full_starts_again),
        cmocka_unit_test(test_incremental_failures),
        cmocka_unit_test(test_a_new_chain_every_so_often),
        cmocka_unit_test(test_two_workers_advance_once),
        cmocka_unit_test(test_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

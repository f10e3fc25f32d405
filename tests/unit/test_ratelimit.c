/* Client-side rate limiting: fixed ceilings, per-account isolation, and the
 * adaptive (CUBIC) rate against numbers from the SDK's own implementation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fv/retry.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* A clock that only moves when the test says so. */
struct s_fake_clock {
    int64_t ms;
};

static int64_t s_fake_ms(void *ud)
{
    return ((struct s_fake_clock *)ud)->ms;
}

static void s_fake_sleep(void *ud, int64_t ms)
{
    ((struct s_fake_clock *)ud)->ms += ms;
}

struct s_env {
    struct s_fake_clock t;
    struct fv_clock clock;
    struct fv_ratelimiter *rl;
};

static int s_setup(void **state)
{
    struct s_env *env = calloc(1, sizeof(*env));
    env->t.ms = 1000000; /* 1000 s */
    env->clock = (struct fv_clock){s_fake_ms, s_fake_ms, s_fake_sleep, &env->t};
    env->rl = fv_ratelimiter_new(&env->clock);
    *state = env;
    return 0;
}

static int s_teardown(void **state)
{
    struct s_env *env = *state;
    fv_ratelimiter_destroy(env->rl);
    free(env);
    return 0;
}

/* Acquires until one would wait; returns how many went through, and the wait. */
static int s_drain(struct fv_ratelimiter *rl, const char *account, const char *service,
                   const char *operation, int64_t *wait_out)
{
    for (int n = 0; n < 100000; n++) {
        int64_t w = fv_ratelimiter_try_acquire(rl, account, service, operation);
        if (w > 0) {
            *wait_out = w;
            return n;
        }
    }
    *wait_out = 0;
    return -1;
}

static void test_ceiling_50_per_second(void **state)
{
    struct s_env *env = *state;
    fv_ratelimiter_set_aws_defaults(env->rl);
    for (int i = 0; i < 50; i++)
        assert_int_equal(
            fv_ratelimiter_try_acquire(env->rl, "111111111111", "dynamodb", "CreateBackup"), 0);
    /* The 51st waits one fiftieth of a second, and asking again takes nothing. */
    assert_int_equal(
        fv_ratelimiter_try_acquire(env->rl, "111111111111", "dynamodb", "CreateBackup"), 20);
    assert_int_equal(
        fv_ratelimiter_try_acquire(env->rl, "111111111111", "dynamodb", "CreateBackup"), 20);
    env->t.ms += 5;
    assert_int_equal(
        fv_ratelimiter_try_acquire(env->rl, "111111111111", "dynamodb", "CreateBackup"), 15);
    env->t.ms += 15;
    assert_int_equal(
        fv_ratelimiter_try_acquire(env->rl, "111111111111", "dynamodb", "CreateBackup"), 0);
    assert_int_equal(
        fv_ratelimiter_try_acquire(env->rl, "111111111111", "dynamodb", "CreateBackup"), 20);
    /* A steady 50/s goes through: one every 20 ms for 10 s. */
    for (int i = 0; i < 500; i++) {
        env->t.ms += 20;
        assert_int_equal(
            fv_ratelimiter_try_acquire(env->rl, "111111111111", "dynamodb", "CreateBackup"), 0);
    }
    /* A second of idleness refills the burst, no more. */
    env->t.ms += 5000;
    int64_t wait;
    assert_int_equal(s_drain(env->rl, "111111111111", "dynamodb", "CreateBackup", &wait), 50);
    assert_int_equal(wait, 20);
}

static void test_documented_ceilings(void **state)
{
    struct s_env *env = *state;
    fv_ratelimiter_set_aws_defaults(env->rl);
    static const struct {
        const char *service, *operation;
        int burst;
        int64_t wait;
    } cases[] = {
        {"dynamodb", "DeleteBackup", 10, 100},
        {"dynamodb", "DescribeBackup", 10, 100},
        {"dynamodb", "RestoreTableFromBackup", 10, 100},
        {"dynamodb", "ListBackups", 5, 200},
        {"quicksight", "ListIngestions", 25, 40},
        {"logs", "DescribeLogStreams", 25, 40},
        {"sns", "ListTopics", 30, 34},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t wait;
        assert_int_equal(s_drain(env->rl, "a", cases[i].service, cases[i].operation, &wait),
                         cases[i].burst);
        assert_int_equal(wait, cases[i].wait);
    }
    /* Operations without a ceiling are not limited (until a throttle). */
    for (int i = 0; i < 10000; i++)
        assert_int_equal(fv_ratelimiter_try_acquire(env->rl, "a", "dynamodb", "DescribeTable"), 0);
    assert_int_equal(fv_ratelimiter_try_acquire(env->rl, "a", "dynamodb", NULL), 0);
}

static void test_ceiling_per_account(void **state)
{
    struct s_env *env = *state;
    fv_ratelimiter_set_ceiling(env->rl, "dynamodb", "CreateBackup", 50);
    int64_t wait;
    assert_int_equal(s_drain(env->rl, "111111111111", "dynamodb", "CreateBackup", &wait), 50);
    /* Another account has its own budget, and other operations are untouched. */
    assert_int_equal(s_drain(env->rl, "222222222222", "dynamodb", "CreateBackup", &wait), 50);
    assert_int_equal(fv_ratelimiter_try_acquire(env->rl, "111111111111", "dynamodb", "ListTables"),
                     0);
    /* NULL account is an account of its own. */
    assert_int_equal(s_drain(env->rl, NULL, "dynamodb", "CreateBackup", &wait), 50);
}

static void test_ceiling_changes(void **state)
{
    struct s_env *env = *state;
    /* Below one per second: a burst of one, then a wait of 1/rate. */
    fv_ratelimiter_set_ceiling(env->rl, "organizations", "ListAccounts", 0.5);
    int64_t wait;
    assert_int_equal(s_drain(env->rl, "a", "organizations", "ListAccounts", &wait), 1);
    assert_int_equal(wait, 2000);
    /* Raising the ceiling applies to the existing bucket. */
    fv_ratelimiter_set_ceiling(env->rl, "organizations", "ListAccounts", 4);
    assert_int_equal(fv_ratelimiter_try_acquire(env->rl, "a", "organizations", "ListAccounts"),
                     250);
    env->t.ms += 1000;
    assert_int_equal(s_drain(env->rl, "a", "organizations", "ListAccounts", &wait), 4);
    /* Removing it lifts the limit. */
    fv_ratelimiter_set_ceiling(env->rl, "organizations", "ListAccounts", 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(fv_ratelimiter_try_acquire(env->rl, "a", "organizations", "ListAccounts"),
                         0);
}

/* The expected numbers come from botocore 1.43's own classes
 * (retries/bucket.py TokenBucket, throttling.py CubicCalculator,
 * adaptive.py RateClocker, glued as adaptive.ClientRateLimiter does) driven
 * through the same steps with a fake clock. */
static void test_adaptive_drops_on_throttle_and_recovers(void **state)
{
    struct s_env *env = *state;
    const char *acct = "111111111111";
    /* 4 s at 10 requests/s, no throttles: nothing is gated. */
    for (int i = 0; i < 40; i++) {
        env->t.ms += 100;
        assert_int_equal(fv_ratelimiter_try_acquire(env->rl, acct, "quicksight", "ListUsers"), 0);
        fv_ratelimiter_on_response(env->rl, acct, "quicksight", false);
    }
    /* A throttle: the rate drops to 0.7 x the measured 10/s. */
    fv_ratelimiter_on_response(env->rl, acct, "quicksight", true);
    int64_t wait;
    assert_int_equal(s_drain(env->rl, acct, "quicksight", "ListUsers", &wait), 6);
    assert_int_equal(wait, 1);
    /* Another account and another service are not slowed down. */
    for (int i = 0; i < 100; i++) {
        assert_int_equal(
            fv_ratelimiter_try_acquire(env->rl, "222222222222", "quicksight", "ListUsers"), 0);
        assert_int_equal(fv_ratelimiter_try_acquire(env->rl, acct, "dynamodb", "ListTables"), 0);
    }
    /* 6 s of sending whenever allowed on a 10/s tick: the CUBIC curve climbs
     * back past the old rate and up to twice the measured rate. */
    int sent = 0, waited = 0;
    for (int i = 0; i < 60; i++) {
        env->t.ms += 100;
        if (fv_ratelimiter_try_acquire(env->rl, acct, "quicksight", "ListUsers") == 0) {
            sent++;
            fv_ratelimiter_on_response(env->rl, acct, "quicksight", false);
        } else {
            waited++;
        }
    }
    assert_int_equal(sent, 59);
    assert_int_equal(waited, 1);
    assert_int_equal(s_drain(env->rl, acct, "quicksight", "ListUsers", &wait), 18);
    assert_int_equal(wait, 33);
    /* A second throttle with an empty bucket: 7/s again, the next token in 94 ms. */
    fv_ratelimiter_on_response(env->rl, acct, "quicksight", true);
    assert_int_equal(s_drain(env->rl, acct, "quicksight", "ListUsers", &wait), 0);
    assert_int_equal(wait, 94);
    env->t.ms += 1000;
    assert_int_equal(s_drain(env->rl, acct, "quicksight", "ListUsers", &wait), 6);
    assert_int_equal(wait, 1);
}

static void test_adaptive_first_throttle_at_start(void **state)
{
    struct s_env *env = *state;
    /* A throttle before any rate was measured: the floor of 0.5/s. */
    fv_ratelimiter_on_response(env->rl, "a", "cognito-idp", true);
    int64_t w = fv_ratelimiter_try_acquire(env->rl, "a", "cognito-idp", "ListUsers");
    assert_int_equal(w, 2000);
    env->t.ms += 2000;
    assert_int_equal(fv_ratelimiter_try_acquire(env->rl, "a", "cognito-idp", "ListUsers"), 0);
}

static void test_ceiling_and_adaptive_together(void **state)
{
    struct s_env *env = *state;
    /* A slow ceiling (a burst of 1, then one per 10 s) under a throttled
     * adaptive bucket (0.5/s): the stricter one decides the wait, and a
     * refusal takes a token from neither. */
    fv_ratelimiter_set_ceiling(env->rl, "backup", "StartBackupJob", 0.1);
    fv_ratelimiter_on_response(env->rl, "a", "backup", true);
    assert_int_equal(fv_ratelimiter_try_acquire(env->rl, "a", "backup", "StartBackupJob"), 2000);
    env->t.ms += 2000;
    assert_int_equal(fv_ratelimiter_try_acquire(env->rl, "a", "backup", "StartBackupJob"), 0);
    assert_int_equal(fv_ratelimiter_try_acquire(env->rl, "a", "backup", "StartBackupJob"), 10000);
    env->t.ms += 2000;
    assert_int_equal(fv_ratelimiter_try_acquire(env->rl, "a", "backup", "StartBackupJob"), 8000);
}

static void test_bounded_memory(void **state)
{
    struct s_env *env = *state;
    fv_ratelimiter_set_aws_defaults(env->rl);
    char acct[32];
    /* Far more (account, service, operation) keys than buckets: the oldest
     * are dropped; ASan checks nothing leaks. */
    for (int i = 0; i < 6000; i++) {
        snprintf(acct, sizeof(acct), "%012d", i);
        env->t.ms += 1;
        assert_int_equal(fv_ratelimiter_try_acquire(env->rl, acct, "dynamodb", "CreateBackup"), 0);
        fv_ratelimiter_on_response(env->rl, acct, "dynamodb", false);
    }
    /* The most recent ones are still tracked. */
    int64_t wait;
    assert_int_equal(s_drain(env->rl, "000000005999", "dynamodb", "CreateBackup", &wait), 49);
}

struct s_thread_arg {
    struct fv_ratelimiter *rl;
    int granted;
};

static void *s_hammer(void *ud)
{
    struct s_thread_arg *a = ud;
    for (int i = 0; i < 200; i++)
        if (fv_ratelimiter_try_acquire(a->rl, "a", "dynamodb", "CreateBackup") == 0)
            a->granted++;
    return NULL;
}

static void test_threads_share_one_budget(void **state)
{
    struct s_env *env = *state;
    fv_ratelimiter_set_aws_defaults(env->rl);
    pthread_t th[4];
    struct s_thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct s_thread_arg){env->rl, 0};
        pthread_create(&th[i], NULL, s_hammer, &args[i]);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        total += args[i].granted;
    }
    assert_int_equal(total, 50); /* the clock stood still: exactly the burst */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ceiling_50_per_second, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_documented_ceilings, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_ceiling_per_account, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_ceiling_changes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_adaptive_drops_on_throttle_and_recovers, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_adaptive_first_throttle_at_start, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_ceiling_and_adaptive_together, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bounded_memory, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_threads_share_one_budget, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

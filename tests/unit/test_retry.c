/* Standard retry mode: classification, backoff with injected jitter, max
 * attempts, the retry quota; a client's retries against a loopback stub end
 * when the engine's cancel flag is set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stub_http.c"

#include <fv/aws.h>
#include <fv/retry.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* A fv_rand that returns a fixed value. */
static double s_fixed_next(void *ud)
{
    return *(const double *)ud;
}

static struct fv_rand s_rand(double *value)
{
    return (struct fv_rand){s_fixed_next, value};
}

static struct fv_error s_aws_error(int http_status, const char *code)
{
    struct fv_error e;
    fv_error_clear(&e);
    e.status = FV_E_AWS;
    e.http_status = http_status;
    snprintf(e.code, sizeof(e.code), "%s", code);
    fv_retry_classify(&e);
    return e;
}

static void test_throttle_codes_classified(void **state)
{
    (void)state;
    static const char *const codes[] = {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_true(fv_retry_is_throttle_code(codes[i]));
        struct fv_error e = s_aws_error(400, codes[i]);
        assert_true(e.throttle);
        assert_true(e.retryable);
    }
    assert_false(fv_retry_is_throttle_code(NULL));
    assert_false(fv_retry_is_throttle_code(""));
    assert_false(fv_retry_is_throttle_code("throttling")); /* codes are case-sensitive */
    /* A bare 429 is a throttle, whatever the body said. */
    struct fv_error e = s_aws_error(429, "");
    assert_true(e.throttle);
    assert_true(e.retryable);
}

static void test_transient_codes_and_statuses(void **state)
{
    (void)state;
    static const char *const codes[] = {
        "RequestTimeout",        "RequestTimeoutException", "InternalError",
        "InternalFailure",       "InternalServerError",     "ServiceUnavailable",
        "IDPCommunicationError",
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_true(fv_retry_is_transient_code(codes[i]));
        struct fv_error e = s_aws_error(400, codes[i]);
        assert_true(e.retryable);
        assert_false(e.throttle);
    }
    int retry_statuses[] = {500, 502, 503, 504};
    for (size_t i = 0; i < 4; i++) {
        struct fv_error e = s_aws_error(retry_statuses[i], "SomethingOdd");
        assert_true(e.retryable);
        assert_false(e.throttle);
    }
    int final_statuses[] = {400, 401, 403, 404, 409, 501, 505};
    for (size_t i = 0; i < sizeof(final_statuses) / sizeof(final_statuses[0]); i++)
        assert_false(s_aws_error(final_statuses[i], "SomethingOdd").retryable);
}

static void test_client_errors_never_retried(void **state)
{
    (void)state;
    struct fv_retry_quota *q = fv_retry_quota_new(500);
    struct fv_retry_options o;
    fv_retry_options_default(&o);
    double r = 0.5;
    struct fv_rand rnd = s_rand(&r);
    static const char *const codes[] = {"ValidationException",
                                        "AccessDenied",
                                        "AccessDeniedException",
                                        "ResourceNotFoundException",
                                        "NoSuchKey",
                                        "InvalidClientTokenId",
                                        "ExpiredToken"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        struct fv_error e = s_aws_error(i == 1 ? 403 : 400, codes[i]);
        assert_false(e.retryable);
        assert_false(e.throttle);
        int64_t delay = -1;
        assert_false(fv_retry_should_retry(&o, q, &rnd, 1, &e, &delay));
        assert_int_equal(delay, 0);
    }
    assert_int_equal(fv_retry_quota_available(q), 500); /* nothing taken */
    fv_retry_quota_destroy(q);
}

static void test_network_errors_keep_transport_verdict(void **state)
{
    (void)state;
    struct fv_error e;
    fv_error_set(&e, FV_E_NET, "connection reset");
    e.retryable = true;
    fv_retry_classify(&e);
    assert_true(e.retryable);
    assert_false(e.throttle);

    fv_error_set(&e, FV_E_NET, "TLS certificate verification failed");
    e.retryable = false;
    fv_retry_classify(&e);
    assert_false(e.retryable);

    fv_error_set(&e, FV_E_TIMEOUT, "timed out");
    e.retryable = true;
    fv_retry_classify(&e);
    assert_true(e.retryable);

    /* Local errors are never retried, whatever the flag said. */
    fv_error_set(&e, FV_E_INVALID, "bad argument");
    e.retryable = true;
    e.throttle = true;
    fv_retry_classify(&e);
    assert_false(e.retryable);
    assert_false(e.throttle);
}

static void test_backoff_exact_delays(void **state)
{
    (void)state;
    struct fv_retry_options o;
    fv_retry_options_default(&o);
    o.max_attempts = 10;
    struct fv_retry_quota *q = fv_retry_quota_new(100000);
    double r = 0.5;
    struct fv_rand rnd = s_rand(&r);
    struct fv_error transient = s_aws_error(500, "InternalError");
    struct fv_error throttle = s_aws_error(400, "ThrottlingException");
    int64_t d;

    /* rand * min(50 ms * 2^(attempt-1), 20 s) */
    static const int64_t want_transient[] = {25, 50, 100, 200, 400, 800, 1600, 3200, 6400};
    for (int attempt = 1; attempt <= 9; attempt++) {
        assert_true(fv_retry_should_retry(&o, q, &rnd, attempt, &transient, &d));
        assert_int_equal(d, want_transient[attempt - 1]);
    }
    /* rand * min(1000 ms * 2^(attempt-1), 20 s): capped from attempt 6 on */
    static const int64_t want_throttle[] = {500, 1000, 2000, 4000, 8000, 10000, 10000};
    for (int attempt = 1; attempt <= 7; attempt++) {
        assert_true(fv_retry_should_retry(&o, q, &rnd, attempt, &throttle, &d));
        assert_int_equal(d, want_throttle[attempt - 1]);
    }
    /* Full jitter: 0 and just under the cap. */
    r = 0.0;
    assert_true(fv_retry_should_retry(&o, q, &rnd, 9, &throttle, &d));
    assert_int_equal(d, 0);
    r = 0.999;
    assert_true(fv_retry_should_retry(&o, q, &rnd, 9, &throttle, &d));
    assert_int_equal(d, 19980);
    r = 0.999;
    assert_true(fv_retry_should_retry(&o, q, &rnd, 1, &transient, &d));
    assert_int_equal(d, 49);
    fv_retry_quota_destroy(q);
}

static void test_max_attempts(void **state)
{
    (void)state;
    struct fv_retry_options o;
    fv_retry_options_default(&o);
    assert_int_equal(o.max_attempts, 3);
    struct fv_retry_quota *q = fv_retry_quota_new(500);
    double r = 0.5;
    struct fv_rand rnd = s_rand(&r);
    struct fv_error e = s_aws_error(503, "ServiceUnavailable");
    int64_t d;
    assert_true(fv_retry_should_retry(&o, q, &rnd, 1, &e, &d));
    assert_true(fv_retry_should_retry(&o, q, &rnd, 2, &e, &d));
    int before = fv_retry_quota_available(q);
    assert_false(fv_retry_should_retry(&o, q, &rnd, 3, &e, &d)); /* the third was the last */
    assert_int_equal(fv_retry_quota_available(q), before);       /* and took nothing */

    /* max_attempts 1 disables retries. */
    o.max_attempts = 1;
    assert_false(fv_retry_should_retry(&o, q, &rnd, 1, &e, &d));

    /* DynamoDB: 4 attempts and a 25 ms base, as the SDKs. */
    fv_retry_options_default(&o);
    fv_retry_options_for_service(&o, "dynamodb");
    assert_int_equal(o.max_attempts, 4);
    assert_int_equal(o.base_ms, 25);
    assert_true(fv_retry_should_retry(&o, q, &rnd, 3, &e, &d));
    assert_int_equal(d, 50); /* 0.5 * 25 * 4 */
    assert_false(fv_retry_should_retry(&o, q, &rnd, 4, &e, &d));
    struct fv_retry_options s3;
    fv_retry_options_default(&s3);
    fv_retry_options_for_service(&s3, "s3");
    assert_int_equal(s3.max_attempts, 3);
    fv_retry_quota_destroy(q);
}

static void test_zero_options_mean_defaults(void **state)
{
    (void)state;
    struct fv_retry_options o = {.max_attempts = 5};  /* everything else 0 */
    struct fv_retry_quota *q = fv_retry_quota_new(0); /* 0 → 500 */
    assert_int_equal(fv_retry_quota_available(q), 500);
    double r = 0.5;
    struct fv_rand rnd = s_rand(&r);
    struct fv_error e = s_aws_error(500, "InternalError");
    int64_t d;
    assert_true(fv_retry_should_retry(&o, q, &rnd, 4, &e, &d));
    assert_int_equal(d, 200);
    assert_int_equal(fv_retry_quota_available(q), 500 - 14);
    assert_true(fv_retry_should_retry(NULL, q, &rnd, 1, &e, &d));
    assert_int_equal(d, 25);
    fv_retry_quota_destroy(q);
}

static void test_quota_exhaustion_and_refunds(void **state)
{
    (void)state;
    struct fv_retry_options o;
    fv_retry_options_default(&o);
    struct fv_retry_quota *q = fv_retry_quota_new(500);
    double r = 0.5;
    struct fv_rand rnd = s_rand(&r);
    struct fv_error transient = s_aws_error(500, "InternalError");
    struct fv_error throttle = s_aws_error(400, "SlowDown");
    int64_t d;

    assert_int_equal(fv_retry_cost(&o, &transient), 14);
    assert_int_equal(fv_retry_cost(&o, &throttle), 5);
    /* 35 transient retries take 490 of 500 tokens. */
    for (int i = 0; i < 35; i++)
        assert_true(fv_retry_should_retry(&o, q, &rnd, 1, &transient, &d));
    assert_int_equal(fv_retry_quota_available(q), 10);
    /* The 36th would need 14: refused, and a refusal takes nothing. */
    assert_false(fv_retry_should_retry(&o, q, &rnd, 1, &transient, &d));
    assert_int_equal(d, 0);
    assert_int_equal(fv_retry_quota_available(q), 10);
    /* Throttles are cheaper: two more fit. */
    assert_true(fv_retry_should_retry(&o, q, &rnd, 1, &throttle, &d));
    assert_true(fv_retry_should_retry(&o, q, &rnd, 1, &throttle, &d));
    assert_int_equal(fv_retry_quota_available(q), 0);
    assert_false(fv_retry_should_retry(&o, q, &rnd, 1, &throttle, &d));

    /* A success without retry refunds 1; after a retry, what that retry took. */
    fv_retry_on_success_after(q, &o, NULL);
    assert_int_equal(fv_retry_quota_available(q), 1);
    fv_retry_on_success_after(q, &o, &transient);
    assert_int_equal(fv_retry_quota_available(q), 15);
    fv_retry_on_success_after(q, &o, &throttle);
    assert_int_equal(fv_retry_quota_available(q), 20);
    /* The bool form: 1, or the smallest retry cost. */
    fv_retry_on_success(q, false);
    assert_int_equal(fv_retry_quota_available(q), 21);
    fv_retry_on_success(q, true);
    assert_int_equal(fv_retry_quota_available(q), 26);
    /* Never above capacity. */
    for (int i = 0; i < 1000; i++)
        fv_retry_on_success_after(q, &o, &transient);
    assert_int_equal(fv_retry_quota_available(q), 500);
    /* NULL quota: no quota at all. */
    assert_true(fv_retry_should_retry(&o, NULL, &rnd, 1, &transient, &d));
    fv_retry_on_success(NULL, true);
    fv_retry_quota_destroy(q);
    fv_retry_quota_destroy(NULL);
}

static void test_pre2026_values_as_options(void **state)
{
    (void)state;
    /* botocore's pre-2026 standard mode: 1 s base for everything, 5 per
     * retry, 10 per timeout. */
    struct fv_retry_options o;
    fv_retry_options_default(&o);
    o.base_ms = 1000;
    o.throttle_base_ms = 1000;
    o.retry_cost = 5;
    o.throttle_retry_cost = 5;
    o.timeout_retry_cost = 10;
    struct fv_retry_quota *q = fv_retry_quota_new(500);
    double r = 0.25;
    struct fv_rand rnd = s_rand(&r);
    struct fv_error timeout;
    fv_error_set(&timeout, FV_E_TIMEOUT, "operation timed out");
    timeout.retryable = true;
    fv_retry_classify(&timeout);
    struct fv_error reset;
    fv_error_set(&reset, FV_E_NET, "connection reset by peer");
    reset.retryable = true;
    int64_t d;
    assert_true(fv_retry_should_retry(&o, q, &rnd, 2, &timeout, &d));
    assert_int_equal(d, 500);
    assert_int_equal(fv_retry_quota_available(q), 490);
    assert_true(fv_retry_should_retry(&o, q, &rnd, 1, &reset, &d));
    assert_int_equal(fv_retry_quota_available(q), 480);
    struct fv_error e = s_aws_error(502, "");
    assert_true(fv_retry_should_retry(&o, q, &rnd, 1, &e, &d));
    assert_int_equal(d, 250);
    assert_int_equal(fv_retry_quota_available(q), 475);
    fv_retry_on_success_after(q, &o, &timeout);
    assert_int_equal(fv_retry_quota_available(q), 485);
    fv_retry_quota_destroy(q);
}

static const char *s_stub_getenv(void *ud, const char *name)
{
    return strcmp(name, "AWS_ENDPOINT_URL") == 0 ? stub_http_url(ud) : NULL;
}

/* Sets the cancel flag as the first attempt's answer arrives, so the retry's
 * backoff starts with the flag set. */
static void s_cancel_on_answer(void *ud, const char *service, const char *operation, bool throttled)
{
    (void)service;
    (void)operation;
    (void)throttled;
    atomic_store((atomic_bool *)ud, true);
}

struct s_call_done {
    bool finished;
    struct fv_error err;
};

static void s_call_done(void *ud, struct fv_aws_response *resp, const struct fv_error *err)
{
    (void)resp;
    struct s_call_done *d = ud;
    d->finished = true;
    if (err)
        d->err = *err;
}

static void test_cancel_ends_backoff_and_attempts(void **state)
{
    (void)state;
    struct stub_http *s = stub_http_start();
    stub_http_add(s, &(struct stub_http_route){.method = "POST", .path = "/", .status = 503});
    atomic_bool cancel = false;
    struct fv_credentials key = {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret"};
    struct fv_creds_provider *creds = fv_creds_static(&key);
    double r = 0.5;
    struct fv_rand rnd = s_rand(&r);
    struct fv_aws_client_options o = {
        .region = "us-east-1",
        .creds = creds,
        .rand = &rnd,
        .getenv = s_stub_getenv,
        .getenv_ud = s,
        .observe = s_cancel_on_answer,
        .observe_ud = &cancel,
    };
    fv_http_options_default(&o.http);
    o.http.cancel = &cancel;
    /* A 503 is retried after 5 minutes (half the 10-minute cap). */
    fv_retry_options_default(&o.retry);
    o.retry.base_ms = 600000;
    o.retry.max_backoff_ms = 600000;
    struct fv_error err;
    struct fv_aws_client *c = fv_aws_client_new(&o, &err);
    assert_non_null(c);

    struct fv_aws_call call = {.service = "dynamodb",
                               .operation = "ListTables",
                               .protocol = FV_PROTO_JSON,
                               .method = "POST",
                               .path = "/",
                               .body = FV_CUR_STR("{}")};
    struct fv_aws_response resp = {0};
    struct s_call_done d = {0};
    fv_aws_call_start(c, &call, &resp, s_call_done, &d);
    /* Ends at once when the backoff is cut short; give up after 300 polls
     * of at most 100 ms, far short of the 5 minutes it would otherwise take. */
    for (int i = 0; i < 300 && !d.finished; i++)
        fv_http_engine_poll(fv_aws_client_engine(c), 100);
    assert_true(d.finished);
    assert_int_equal(d.err.status, FV_E_CANCELLED);
    assert_false(d.err.retryable);
    assert_non_null(strstr(d.err.message, "dynamodb ListTables: cancelled"));
    assert_int_equal(stub_http_count(s), 1); /* the retry never went out */
    struct fv_aws_stats st;
    fv_aws_client_stats(c, &st);
    assert_int_equal(st.retries, 1);

    /* A call on a cancelled engine makes no attempt at all. */
    assert_int_equal(fv_aws_call_run(c, &call, &resp, &err), FV_E_CANCELLED);
    assert_int_equal(stub_http_count(s), 1);

    fv_aws_response_clean_up(&resp);
    fv_aws_call_clean_up(&call);
    fv_aws_client_destroy(c);
    fv_creds_unref(creds);
    stub_http_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_throttle_codes_classified),
        cmocka_unit_test(test_transient_codes_and_statuses),
        cmocka_unit_test(test_client_errors_never_retried),
        cmocka_unit_test(test_network_errors_keep_transport_verdict),
        cmocka_unit_test(test_backoff_exact_delays),
        cmocka_unit_test(test_max_attempts),
        cmocka_unit_test(test_zero_options_mean_defaults),
        cmocka_unit_test(test_quota_exhaustion_and_refunds),
        cmocka_unit_test(test_pre2026_values_as_options),
        cmocka_unit_test(test_cancel_ends_backoff_and_attempts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

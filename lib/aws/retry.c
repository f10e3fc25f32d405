/* AWS SDK "standard" retry mode: which errors are retried, how long to wait,
 * and the retry quota.
 *
 * Sources: the AWS SDKs and Tools reference guide, "Retry behavior"
 * (docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html), and
 * botocore 1.43 botocore/retries/{standard,quota}.py, which implements both
 * the pre-2026 and the 2026 ("AWS_NEW_RETRIES_2026") standard mode. Defaults
 * here are the 2026 ones; the pre-2026 ones are options (see retry.h). */
#include <fv/retry.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define S_DEFAULT_MAX_ATTEMPTS 3
#define S_DEFAULT_BASE_MS 50            /* botocore non_throttling_base_scale 0.05 s */
#define S_DEFAULT_THROTTLE_BASE_MS 1000 /* botocore throttling_base_scale 1 s */
#define S_DEFAULT_MAX_BACKOFF_MS 20000  /* botocore _MAX_BACKOFF 20 s */
#define S_DEFAULT_QUOTA 500             /* botocore RetryQuota.INITIAL_CAPACITY */
#define S_DEFAULT_RETRY_COST 14         /* botocore _RETRY_COST_V2 */
#define S_DEFAULT_THROTTLE_COST 5       /* botocore _THROTTLING_RETRY_COST */
#define S_NO_RETRY_INCREMENT 1          /* botocore _NO_RETRY_INCREMENT */

/* botocore ThrottledRetryableChecker._THROTTLED_ERROR_CODES (the same list as
 * aws-sdk-go-v2 retry.DefaultThrottleErrorCodes). */
static const char *const s_throttle_codes[] = {
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

/* botocore TransientRetryableChecker._TRANSIENT_ERROR_CODES (RequestTimeout,
 * RequestTimeoutException, PriorRequestNotComplete), botocore's STS special
 * case IDPCommunicationError, and the server-fault codes that usually come
 * with a 5xx but are worth retrying even when a proxy rewrote the status. */
static const char *const s_transient_codes[] = {
    "RequestTimeout",     "RequestTimeoutException", "PriorRequestNotComplete",
    "InternalError",      "InternalFailure",         "InternalServerError",
    "ServiceUnavailable", "IDPCommunicationError",
};

static bool s_in_list(const char *code, const char *const *list, size_t n)
{
    if (!code || !*code)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(code, list[i]) == 0)
            return true;
    return false;
}

bool fv_retry_is_throttle_code(const char *code)
{
    return s_in_list(code, s_throttle_codes,
                     sizeof(s_throttle_codes) / sizeof(s_throttle_codes[0]));
}

bool fv_retry_is_transient_code(const char *code)
{
    return s_in_list(code, s_transient_codes,
                     sizeof(s_transient_codes) / sizeof(s_transient_codes[0]));
}

static bool s_transient_status(int http_status)
{
    /* botocore _TRANSIENT_STATUS_CODES */
    return http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504;
}

void fv_retry_classify(struct fv_error *err)
{
    if (!err)
        return;
    switch (err->status) {
    case FV_E_AWS:
        /* A bare 429 is a throttle too (aws-sdk-java-v2 RetryUtils). */
        err->throttle = fv_retry_is_throttle_code(err->code) || err->http_status == 429;
        err->retryable = err->throttle || fv_retry_is_transient_code(err->code) ||
                         s_transient_status(err->http_status);
        break;
    case FV_E_NET:
    case FV_E_TIMEOUT:
        /* The transport knows whether the failure was transient (a reset or a
         * timeout) or not (TLS verification, a response too large). */
        err->throttle = false;
        break;
    default: /* FV_E_CANCELLED among them: a cancelled call stays cancelled */
        err->throttle = false;
        err->retryable = false;
        break;
    }
}

void fv_retry_options_default(struct fv_retry_options *o)
{
    memset(o, 0, sizeof(*o));
    o->max_attempts = S_DEFAULT_MAX_ATTEMPTS;
    o->base_ms = S_DEFAULT_BASE_MS;
    o->throttle_base_ms = S_DEFAULT_THROTTLE_BASE_MS;
    o->max_backoff_ms = S_DEFAULT_MAX_BACKOFF_MS;
    o->quota_capacity = S_DEFAULT_QUOTA;
    o->retry_cost = S_DEFAULT_RETRY_COST;
    o->throttle_retry_cost = S_DEFAULT_THROTTLE_COST;
    o->timeout_retry_cost = S_DEFAULT_RETRY_COST;
}

void fv_retry_options_for_service(struct fv_retry_options *o, const char *service)
{
    /* botocore standard._SERVICE_MAX_ATTEMPTS and
     * ExponentialBackoff._SERVICE_BACKOFF_CONFIG. */
    if (service && (strcmp(service, "dynamodb") == 0 || strcmp(service, "streams.dynamodb") == 0)) {
        o->max_attempts = 4;
        o->base_ms = 25;
    }
}

/* o with its zero fields replaced by the defaults. */
static struct fv_retry_options s_resolve(const struct fv_retry_options *o)
{
    struct fv_retry_options r;
    fv_retry_options_default(&r);
    if (!o)
        return r;
    if (o->max_attempts > 0)
        r.max_attempts = o->max_attempts;
    if (o->base_ms > 0)
        r.base_ms = o->base_ms;
    if (o->throttle_base_ms > 0)
        r.throttle_base_ms = o->throttle_base_ms;
    if (o->max_backoff_ms > 0)
        r.max_backoff_ms = o->max_backoff_ms;
    if (o->quota_capacity > 0)
        r.quota_capacity = o->quota_capacity;
    if (o->retry_cost > 0)
        r.retry_cost = o->retry_cost;
    if (o->throttle_retry_cost > 0)
        r.throttle_retry_cost = o->throttle_retry_cost;
    if (o->timeout_retry_cost > 0)
        r.timeout_retry_cost = o->timeout_retry_cost;
    return r;
}

struct fv_retry_quota {
    pthread_mutex_t lock;
    int capacity;
    int available; /* guarded by lock */
};

struct fv_retry_quota *fv_retry_quota_new(int capacity)
{
    struct fv_retry_quota *q = fv_calloc(1, sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
    q->capacity = capacity > 0 ? capacity : S_DEFAULT_QUOTA;
    q->available = q->capacity;
    return q;
}

void fv_retry_quota_destroy(struct fv_retry_quota *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->lock);
    free(q);
}

int fv_retry_quota_available(struct fv_retry_quota *q)
{
    pthread_mutex_lock(&q->lock);
    int n = q->available;
    pthread_mutex_unlock(&q->lock);
    return n;
}

static bool s_quota_acquire(struct fv_retry_quota *q, int amount)
{
    pthread_mutex_lock(&q->lock);
    bool ok = amount <= q->available;
    if (ok)
        q->available -= amount;
    pthread_mutex_unlock(&q->lock);
    return ok;
}

static void s_quota_release(struct fv_retry_quota *q, int amount)
{
    pthread_mutex_lock(&q->lock);
    q->available += amount;
    if (q->available > q->capacity)
        q->available = q->capacity;
    pthread_mutex_unlock(&q->lock);
}

int fv_retry_cost(const struct fv_retry_options *o, const struct fv_error *err)
{
    struct fv_retry_options r = s_resolve(o);
    if (err && err->throttle)
        return r.throttle_retry_cost;
    if (err && (err->status == FV_E_NET || err->status == FV_E_TIMEOUT))
        return r.timeout_retry_cost;
    return r.retry_cost;
}

/* rand * min(base * 2^(attempt-1), max_backoff), in whole milliseconds. */
static int64_t s_backoff_ms(const struct fv_retry_options *r, const struct fv_rand *rnd,
                            int attempt, bool throttle)
{
    double cap = (double)(throttle ? r->throttle_base_ms : r->base_ms);
    for (int i = 1; i < attempt && cap < (double)r->max_backoff_ms; i++)
        cap *= 2;
    if (cap > (double)r->max_backoff_ms)
        cap = (double)r->max_backoff_ms;
    double x = rnd->next(rnd->ud);
    if (!(x >= 0))
        x = 0;
    if (x >= 1)
        x = 0.9999999999;
    return (int64_t)(x * cap);
}

bool fv_retry_should_retry(const struct fv_retry_options *o, struct fv_retry_quota *q,
                           const struct fv_rand *rnd, int attempt, const struct fv_error *err,
                           int64_t *delay_ms_out)
{
    if (delay_ms_out)
        *delay_ms_out = 0;
    if (!err || !err->retryable)
        return false;
    struct fv_retry_options r = s_resolve(o);
    if (attempt >= r.max_attempts)
        return false;
    /* The SDKs check the retry conditions first and only then take quota. */
    if (q && !s_quota_acquire(q, fv_retry_cost(&r, err)))
        return false;
    if (!rnd)
        rnd = fv_rand_system();
    if (delay_ms_out)
        *delay_ms_out = s_backoff_ms(&r, rnd, attempt < 1 ? 1 : attempt, err->throttle);
    return true;
}

void fv_retry_on_success(struct fv_retry_quota *q, bool was_retry)
{
    if (q)
        s_quota_release(q, was_retry ? S_DEFAULT_THROTTLE_COST : S_NO_RETRY_INCREMENT);
}

void fv_retry_on_success_after(struct fv_retry_quota *q, const struct fv_retry_options *o,
                               const struct fv_error *last_retry_err)
{
    if (q)
        s_quota_release(q,
                        last_retry_err ? fv_retry_cost(o, last_retry_err) : S_NO_RETRY_INCREMENT);
}

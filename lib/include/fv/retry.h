/* Retries with the AWS SDK "standard" mode semantics, and the "adaptive"
 * client-side rate limiter.
 *
 * Standard: retry on throttling codes, transient codes, 5xx (500, 502, 503,
 * 504) and transient network errors; exponential backoff with full jitter,
 * delay = rand * min(base * 2^attempt, max_backoff); max attempts configurable
 * (default 3); a retry quota (500 tokens; 5 per retry, 10 per timeout/network
 * retry; successes refund 1) so a failing service is not hammered.
 *
 * Adaptive: a token-bucket rate per (account, service) that backs off with a
 * CUBIC curve on each throttle and grows again on success (the SDK algorithm);
 * plus fixed per-operation ceilings (e.g. DynamoDB CreateBackup 50/s). */
#ifndef FV_RETRY_H
#define FV_RETRY_H

#include <fv/clock.h>
#include <fv/common.h>

/* True for AWS throttling codes (Throttling, ThrottlingException,
 * ThrottledException, RequestThrottledException, TooManyRequestsException,
 * ProvisionedThroughputExceededException, TransactionInProgressException,
 * RequestLimitExceeded, BandwidthLimitExceeded, LimitExceededException,
 * RequestThrottled, SlowDown, PriorRequestNotComplete,
 * EC2ThrottledException). */
bool fv_retry_is_throttle_code(const char *code);
/* True for transient codes (RequestTimeout, RequestTimeoutException,
 * PriorRequestNotComplete, InternalError, InternalFailure,
 * ServiceUnavailable, IDPCommunicationError, ...). */
bool fv_retry_is_transient_code(const char *code);
/* Classifies an error in place: sets err->throttle and err->retryable from
 * status, http_status and code. */
void fv_retry_classify(struct fv_error *err);

struct fv_retry_options {
    int max_attempts;      /* total attempts including the first; default 3 */
    int64_t base_ms;       /* default 100 (throttles use 1000, as the SDKs) */
    int64_t max_backoff_ms; /* default 20000 */
    int quota_capacity;    /* default 500 */
};
void fv_retry_options_default(struct fv_retry_options *o);

/* Shared retry quota (thread-safe). */
struct fv_retry_quota;
struct fv_retry_quota *fv_retry_quota_new(int capacity);
void fv_retry_quota_destroy(struct fv_retry_quota *q);

/* Decides whether attempt number `attempt` (1-based, the one that just
 * failed with err) should be retried, and after how long. Takes quota
 * tokens when it says yes. */
bool fv_retry_should_retry(const struct fv_retry_options *o, struct fv_retry_quota *q,
                           const struct fv_rand *rnd, int attempt, const struct fv_error *err,
                           int64_t *delay_ms_out);
/* Call after a successful attempt (refunds quota). */
void fv_retry_on_success(struct fv_retry_quota *q, bool was_retry);

/* Client-side rate limiting. One limiter serves a whole process; buckets are
 * keyed by (account, service) for adaptive rates and (account, service,
 * operation) for fixed ceilings. Thread-safe. */
struct fv_ratelimiter;
struct fv_ratelimiter *fv_ratelimiter_new(const struct fv_clock *clock);
void fv_ratelimiter_destroy(struct fv_ratelimiter *rl);
/* A fixed ceiling in requests per second for one operation, any account,
 * e.g. ("dynamodb", "CreateBackup", 50). */
void fv_ratelimiter_set_ceiling(struct fv_ratelimiter *rl, const char *service,
                                const char *operation, double per_second);
/* Installs the documented AWS ceilings fleetvault designs to (DynamoDB
 * CreateBackup 50/s, DeleteBackup 10/s, DescribeBackup 10/s,
 * RestoreTableFromBackup 10/s, ListBackups 5/s, ...). */
void fv_ratelimiter_set_aws_defaults(struct fv_ratelimiter *rl);
/* Non-blocking acquire: returns 0 when a request may go now (token taken),
 * otherwise the milliseconds to wait before asking again. */
int64_t fv_ratelimiter_try_acquire(struct fv_ratelimiter *rl, const char *account,
                                   const char *service, const char *operation);
/* Feedback for the adaptive rate. */
void fv_ratelimiter_on_response(struct fv_ratelimiter *rl, const char *account,
                                const char *service, bool throttled);

#endif

/* Retries with the AWS SDK "standard" mode semantics, and the "adaptive"
 * client-side rate limiter.
 *
 * Standard (as the AWS SDKs and Tools reference guide documents it, the
 * behaviour the SDKs ship by default from November 2026 — AWS_NEW_RETRIES_2026):
 * retry on throttling codes, transient codes, 5xx (500, 502, 503, 504) and
 * transient network errors; exponential backoff with full jitter,
 * delay = rand * min(base * 2^(attempt-1), max_backoff), base 50 ms for
 * transient errors (25 ms for DynamoDB) and 1000 ms for throttles, max_backoff
 * 20 s; max attempts configurable (default 3, DynamoDB 4); a retry quota (500
 * tokens; 14 per retry, 5 per throttling retry; a success refunds 1, or what
 * its last retry took) so a failing service is not hammered. The pre-2026
 * values (1000 ms base for everything, 5 per retry, 10 per timeout) are a
 * matter of options.
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
    int max_attempts;         /* total attempts including the first; default 3 */
    int64_t base_ms;          /* transient errors; default 50 */
    int64_t max_backoff_ms;   /* default 20000 */
    int quota_capacity;       /* default 500 */
    int64_t throttle_base_ms; /* throttling errors; default 1000 */
    int retry_cost;           /* quota tokens a retry takes; default 14 */
    int throttle_retry_cost;  /* ... after a throttle; default 5 */
    int timeout_retry_cost;   /* ... after FV_E_NET / FV_E_TIMEOUT; default 14 */
};
/* Fields left 0 mean their default, so a caller may set only max_attempts. */
void fv_retry_options_default(struct fv_retry_options *o);
/* The SDKs' per-service values on top of the defaults: "dynamodb" gets 4
 * attempts and a 25 ms base. Other services keep the defaults. */
void fv_retry_options_for_service(struct fv_retry_options *o, const char *service);

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
/* Call after a successful attempt (refunds quota): 1 token when the request
 * was not retried, else the default throttling retry cost (5), the smallest
 * a retry can take, so it never refunds more than was taken. Prefer
 * fv_retry_on_success_after, which refunds exactly. */
void fv_retry_on_success(struct fv_retry_quota *q, bool was_retry);
/* The exact SDK refund: 1 token when last_retry_err is NULL (no retry), else
 * what fv_retry_should_retry took for that error (the request's last retry). */
void fv_retry_on_success_after(struct fv_retry_quota *q, const struct fv_retry_options *o,
                               const struct fv_error *last_retry_err);
/* Tokens a retry after err takes from the quota. */
int fv_retry_cost(const struct fv_retry_options *o, const struct fv_error *err);
/* Tokens left (for metrics and tests). */
int fv_retry_quota_available(struct fv_retry_quota *q);

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
void fv_ratelimiter_on_response(struct fv_ratelimiter *rl, const char *account, const char *service,
                                bool throttled);

#endif

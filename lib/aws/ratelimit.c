/* Client-side rate limiting: the AWS SDKs' "adaptive" retry mode rate limiter
 * per (account, service), and fixed per-operation ceilings per (account,
 * service, operation).
 *
 * The adaptive part follows botocore 1.43 botocore/retries/{adaptive,bucket,
 * throttling}.py (the same algorithm as aws-sdk-go-v2 and aws-sdk-java-v2):
 * a token bucket whose fill rate a CUBIC curve sets (beta 0.7, scale 0.4),
 * fed by a measured send rate (0.5 s buckets, smoothing 0.8); the bucket only
 * gates requests once a throttle has been seen, and never fills slower than
 * 0.5 tokens/s. Acquiring never blocks: the caller gets the wait in
 * milliseconds and schedules a timer.
 *
 * Memory is bounded: at most S_MAX_ENTRIES buckets; past that the least
 * recently used one is dropped (a dropped ceiling bucket comes back full, a
 * dropped adaptive one forgets its learned rate). */
#include <fv/retry.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define S_TABLE_SIZE 1024 /* hash chains; a power of two */
#define S_MAX_ENTRIES 4096

#define S_MIN_FILL_RATE 0.5  /* bucket.TokenBucket._MIN_RATE */
#define S_CUBIC_BETA 0.7     /* throttling.CubicCalculator._BETA */
#define S_CUBIC_SCALE 0.4    /* throttling.CubicCalculator._SCALE_CONSTANT */
#define S_SMOOTHING 0.8      /* adaptive.RateClocker._DEFAULT_SMOOTHING */
#define S_TIME_BUCKET_S 0.5  /* adaptive.RateClocker._TIME_BUCKET_RANGE */
#define S_MAX_RATE_SCALE 2.0 /* adaptive.ClientRateLimiter._MAX_RATE_ADJUST_SCALE */
#define S_EPSILON 1e-9       /* tokens; absorbs floating-point dust */

/* bucket.TokenBucket, without the blocking. */
struct s_bucket {
    double fill_rate; /* tokens per second */
    double max_capacity;
    double capacity;
    double last_s; /* time of the last refill */
};

struct s_entry {
    struct s_entry *next; /* hash chain */
    uint64_t hash;
    char *account;
    char *service;
    char *operation; /* NULL: the adaptive bucket of (account, service) */
    int64_t last_used_ms;
    struct s_bucket tb;
    /* Adaptive state (operation == NULL). */
    bool enabled;       /* a throttle has been seen: the bucket gates sends */
    double w_max;       /* CUBIC: the rate at the last throttle */
    double k;           /* CUBIC: time to climb back to w_max */
    double last_fail_s; /* CUBIC: time of the last throttle */
    double measured_rate;
    double last_time_bucket;
    int count;
};

struct s_ceiling {
    char *service;
    char *operation;
    double per_second;
};

struct fv_ratelimiter {
    pthread_mutex_t lock;
    const struct fv_clock *clock;
    /* Everything below is guarded by lock. */
    struct s_entry *table[S_TABLE_SIZE];
    size_t n_entries;
    struct s_ceiling *ceilings;
    size_t n_ceilings;
    size_t cap_ceilings;
};

static const char *s_nz(const char *s)
{
    return s ? s : "";
}

static uint64_t s_hash(const char *account, const char *service, const char *operation)
{
    /* FNV-1a over the three parts, with a separator that cannot occur in them. */
    uint64_t h = 0xcbf29ce484222325ULL;
    const char *parts[3] = {account, service, operation};
    for (int i = 0; i < 3; i++) {
        for (const unsigned char *p = (const unsigned char *)s_nz(parts[i]); *p; p++)
            h = (h ^ *p) * 0x100000001b3ULL;
        h = (h ^ (parts[i] ? 0x1f : 0x1e)) * 0x100000001b3ULL;
    }
    return h;
}

/* fvcore does not link libm: the few functions needed, for the non-negative
 * finite values used here (times in seconds, rates). */
static double s_floor(double x)
{
    double t = (double)(int64_t)x;
    return t > x ? t - 1 : t;
}

static double s_ceil(double x)
{
    double t = (double)(int64_t)x;
    return t < x ? t + 1 : t;
}

static double s_cbrt(double x)
{
    if (x <= 0)
        return 0;
    double y = x > 1 ? x / 3 : 1;
    for (int i = 0; i < 200; i++) {
        double next = (2 * y + x / (y * y)) / 3;
        if (next == y)
            break;
        y = next;
    }
    return y;
}

static double s_now_s(const struct fv_ratelimiter *rl)
{
    return (double)fv_clock_mono_ms(rl->clock) / 1000.0;
}

static void s_bucket_refill(struct s_bucket *b, double now)
{
    if (now > b->last_s) {
        b->capacity += (now - b->last_s) * b->fill_rate;
        if (b->capacity > b->max_capacity)
            b->capacity = b->max_capacity;
    }
    b->last_s = now;
}

/* TokenBucket.max_rate setter. */
static void s_bucket_set_rate(struct s_bucket *b, double rate, double now)
{
    s_bucket_refill(b, now);
    b->fill_rate = rate > S_MIN_FILL_RATE ? rate : S_MIN_FILL_RATE;
    b->max_capacity = rate >= 1 ? rate : 1;
    if (b->capacity > b->max_capacity)
        b->capacity = b->max_capacity;
}

/* Milliseconds until one token is there; 0 when it is now. */
static int64_t s_bucket_wait_ms(struct s_bucket *b, double now)
{
    s_bucket_refill(b, now);
    if (b->capacity >= 1 - S_EPSILON)
        return 0;
    double ms = (1 - b->capacity) / b->fill_rate * 1000.0;
    int64_t w = (int64_t)s_ceil(ms - 1e-6);
    return w > 0 ? w : 1;
}

static void s_bucket_take(struct s_bucket *b)
{
    b->capacity -= 1;
    if (b->capacity < 0)
        b->capacity = 0;
}

/* A full bucket for a fixed ceiling: a second's worth of burst. */
static void s_bucket_init_ceiling(struct s_bucket *b, double per_second, double now)
{
    b->fill_rate = per_second;
    b->max_capacity = per_second >= 1 ? per_second : 1;
    b->capacity = b->max_capacity;
    b->last_s = now;
}

static void s_entry_free(struct s_entry *e)
{
    free(e->account);
    free(e->service);
    free(e->operation);
    free(e);
}

/* Drops the least recently used entry other than keep (an entry the caller
 * still holds). */
static void s_evict_lru(struct fv_ratelimiter *rl, const struct s_entry *keep)
{
    struct s_entry **victim = NULL;
    for (size_t i = 0; i < S_TABLE_SIZE; i++)
        for (struct s_entry **pp = &rl->table[i]; *pp; pp = &(*pp)->next)
            if (*pp != keep && (!victim || (*pp)->last_used_ms < (*victim)->last_used_ms))
                victim = pp;
    if (!victim)
        return;
    struct s_entry *e = *victim;
    *victim = e->next;
    s_entry_free(e);
    rl->n_entries--;
}

static struct s_entry *s_entry_get(struct fv_ratelimiter *rl, const char *account,
                                   const char *service, const char *operation, double now,
                                   const struct s_entry *keep)
{
    uint64_t h = s_hash(account, service, operation);
    struct s_entry **head = &rl->table[h & (S_TABLE_SIZE - 1)];
    for (struct s_entry *e = *head; e; e = e->next) {
        if (e->hash == h && strcmp(e->account, s_nz(account)) == 0 &&
            strcmp(e->service, s_nz(service)) == 0 &&
            (e->operation == NULL) == (operation == NULL) &&
            (!operation || strcmp(e->operation, operation) == 0)) {
            e->last_used_ms = fv_clock_mono_ms(rl->clock);
            return e;
        }
    }
    if (rl->n_entries >= S_MAX_ENTRIES)
        s_evict_lru(rl, keep);
    struct s_entry *e = fv_calloc(1, sizeof(*e));
    e->hash = h;
    e->account = fv_strdup(s_nz(account));
    e->service = fv_strdup(s_nz(service));
    e->operation = fv_strdup(operation);
    e->last_used_ms = fv_clock_mono_ms(rl->clock);
    if (!operation) {
        /* adaptive.register_retry_handler: TokenBucket(max_rate=1),
         * CubicCalculator(starting_max_rate=0, start_time=now), RateClocker. */
        e->tb.fill_rate = 1;
        e->tb.max_capacity = 1;
        e->tb.capacity = 0;
        e->tb.last_s = now;
        e->w_max = 0;
        e->k = 0;
        e->last_fail_s = now;
        e->last_time_bucket = s_floor(now);
    }
    e->next = *head;
    *head = e;
    rl->n_entries++;
    return e;
}

static const struct s_ceiling *s_ceiling_find(const struct fv_ratelimiter *rl, const char *service,
                                              const char *operation)
{
    if (!service || !operation)
        return NULL;
    for (size_t i = 0; i < rl->n_ceilings; i++)
        if (strcmp(rl->ceilings[i].service, service) == 0 &&
            strcmp(rl->ceilings[i].operation, operation) == 0)
            return &rl->ceilings[i];
    return NULL;
}

struct fv_ratelimiter *fv_ratelimiter_new(const struct fv_clock *clock)
{
    struct fv_ratelimiter *rl = fv_calloc(1, sizeof(*rl));
    pthread_mutex_init(&rl->lock, NULL);
    rl->clock = clock ? clock : fv_clock_system();
    return rl;
}

void fv_ratelimiter_destroy(struct fv_ratelimiter *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < S_TABLE_SIZE; i++) {
        struct s_entry *e = rl->table[i];
        while (e) {
            struct s_entry *next = e->next;
            s_entry_free(e);
            e = next;
        }
    }
    for (size_t i = 0; i < rl->n_ceilings; i++) {
        free(rl->ceilings[i].service);
        free(rl->ceilings[i].operation);
    }
    free(rl->ceilings);
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

void fv_ratelimiter_set_ceiling(struct fv_ratelimiter *rl, const char *service,
                                const char *operation, double per_second)
{
    if (!service || !operation)
        return;
    pthread_mutex_lock(&rl->lock);
    struct s_ceiling *c = (struct s_ceiling *)s_ceiling_find(rl, service, operation);
    if (per_second <= 0) {
        if (c) {
            free(c->service);
            free(c->operation);
            *c = rl->ceilings[--rl->n_ceilings];
        }
    } else if (c) {
        c->per_second = per_second;
    } else {
        if (rl->n_ceilings == rl->cap_ceilings) {
            rl->cap_ceilings = rl->cap_ceilings ? rl->cap_ceilings * 2 : 32;
            rl->ceilings = fv_realloc(rl->ceilings, rl->cap_ceilings * sizeof(*rl->ceilings));
        }
        rl->ceilings[rl->n_ceilings++] =
            (struct s_ceiling){fv_strdup(service), fv_strdup(operation), per_second};
    }
    pthread_mutex_unlock(&rl->lock);
}

/* Documented per-operation request rates. Each is a hard service-side limit
 * per account (and Region) that fleetvault paces itself to instead of
 * learning it from throttles. */
static const struct {
    const char *service;
    const char *operation;
    double per_second;
} s_aws_ceilings[] = {
    /* DynamoDB API Reference, each operation's page ("You can call CreateBackup
     * at a maximum rate of 50 times per second", ...), also in botocore's
     * dynamodb/2012-08-10 service model. */
    {"dynamodb", "CreateBackup", 50},
    {"dynamodb", "DeleteBackup", 10},
    {"dynamodb", "DescribeBackup", 10},
    {"dynamodb", "RestoreTableFromBackup", 10},
    {"dynamodb", "ListBackups", 5},
    {"dynamodb", "DescribeContinuousBackups", 10},
    {"dynamodb", "ListTagsOfResource", 10},
    {"dynamodb", "TagResource", 5},
    {"dynamodb", "UntagResource", 5},
    /* QuickSight API Reference, ListIngestions: "Limited to 5 TPS per user and
     * 25 TPS per account"; StartDashboardSnapshotJob: "users can submit up 10
     * API requests per second before an account is throttled". */
    {"quicksight", "ListIngestions", 25},
    {"quicksight", "StartDashboardSnapshotJob", 10},
    /* CloudWatch Logs API Reference: CreateLogStream "a limit of 50 TPS",
     * DescribeLogStreams "a limit of 25 transactions per second". */
    {"logs", "CreateLogStream", 50},
    {"logs", "DescribeLogStreams", 25},
    /* SNS API Reference: "This action is throttled at N transactions per
     * second (TPS)"; tagging actions "limited to 10 TPS per AWS account, per
     * AWS Region". */
    {"sns", "ListTopics", 30},
    {"sns", "ListSubscriptions", 30},
    {"sns", "ListSubscriptionsByTopic", 30},
    {"sns", "ListPlatformApplications", 15},
    {"sns", "ListEndpointsByPlatformApplication", 30},
    {"sns", "Subscribe", 100},
    {"sns", "Unsubscribe", 100},
    {"sns", "TagResource", 10},
    {"sns", "UntagResource", 10},
    /* Cognito user pools API Reference, TagResource: "up to 5 times per second,
     * per account". (Cognito's other quotas are per category of operations,
     * shared across them: the adaptive rate covers those.) */
    {"cognito-idp", "TagResource", 5},
};

void fv_ratelimiter_set_aws_defaults(struct fv_ratelimiter *rl)
{
    for (size_t i = 0; i < sizeof(s_aws_ceilings) / sizeof(s_aws_ceilings[0]); i++)
        fv_ratelimiter_set_ceiling(rl, s_aws_ceilings[i].service, s_aws_ceilings[i].operation,
                                   s_aws_ceilings[i].per_second);
}

int64_t fv_ratelimiter_try_acquire(struct fv_ratelimiter *rl, const char *account,
                                   const char *service, const char *operation)
{
    pthread_mutex_lock(&rl->lock);
    double now = s_now_s(rl);
    int64_t wait = 0;

    struct s_entry *ad = s_entry_get(rl, account, service, NULL, now, NULL);
    if (ad->enabled)
        wait = s_bucket_wait_ms(&ad->tb, now);

    struct s_entry *op = NULL;
    const struct s_ceiling *c = s_ceiling_find(rl, service, operation);
    if (c) {
        op = s_entry_get(rl, account, service, operation, now, ad);
        if (op->tb.fill_rate != c->per_second) {
            if (op->tb.max_capacity == 0) {
                s_bucket_init_ceiling(&op->tb, c->per_second, now);
            } else {
                s_bucket_refill(&op->tb, now);
                op->tb.fill_rate = c->per_second;
                op->tb.max_capacity = c->per_second >= 1 ? c->per_second : 1;
                if (op->tb.capacity > op->tb.max_capacity)
                    op->tb.capacity = op->tb.max_capacity;
            }
        }
        int64_t w = s_bucket_wait_ms(&op->tb, now);
        if (w > wait)
            wait = w;
    }
    /* Take from both or from neither. */
    if (wait == 0) {
        if (ad->enabled)
            s_bucket_take(&ad->tb);
        if (op)
            s_bucket_take(&op->tb);
    }
    pthread_mutex_unlock(&rl->lock);
    return wait;
}

/* adaptive.RateClocker.record */
static double s_record(struct s_entry *e, double now)
{
    double scale = 1 / S_TIME_BUCKET_S;
    double t_bucket = s_floor(now * scale) / scale;
    e->count++;
    if (t_bucket > e->last_time_bucket) {
        double current = e->count / (t_bucket - e->last_time_bucket);
        e->measured_rate = current * S_SMOOTHING + e->measured_rate * (1 - S_SMOOTHING);
        e->count = 0;
        e->last_time_bucket = t_bucket;
    }
    return e->measured_rate;
}

/* throttling.CubicCalculator */
static double s_cubic_success(const struct s_entry *e, double now)
{
    double dt = now - e->last_fail_s - e->k;
    return S_CUBIC_SCALE * (dt * dt * dt) + e->w_max;
}

static double s_cubic_error(struct s_entry *e, double rate, double now)
{
    e->w_max = rate;
    e->k = s_cbrt(e->w_max * (1 - S_CUBIC_BETA) / S_CUBIC_SCALE);
    e->last_fail_s = now;
    return rate * S_CUBIC_BETA;
}

void fv_ratelimiter_on_response(struct fv_ratelimiter *rl, const char *account, const char *service,
                                bool throttled)
{
    pthread_mutex_lock(&rl->lock);
    double now = s_now_s(rl);
    struct s_entry *e = s_entry_get(rl, account, service, NULL, now, NULL);
    /* adaptive.ClientRateLimiter.on_receiving_response */
    double measured = s_record(e, now);
    double new_rate;
    if (!throttled) {
        new_rate = s_cubic_success(e, now);
    } else {
        double rate = measured;
        if (e->enabled && e->tb.fill_rate < rate)
            rate = e->tb.fill_rate;
        new_rate = s_cubic_error(e, rate, now);
        e->enabled = true;
    }
    double cap = S_MAX_RATE_SCALE * measured;
    s_bucket_set_rate(&e->tb, new_rate < cap ? new_rate : cap, now);
    pthread_mutex_unlock(&rl->lock);
}

/* Injected time and randomness, so tests fix the date and the jitter. */
#ifndef FV_CLOCK_H
#define FV_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct fv_clock {
    /* Wall-clock milliseconds since the Unix epoch. */
    int64_t (*now_ms)(void *ud);
    /* Monotonic milliseconds (for timeouts and backoff). */
    int64_t (*mono_ms)(void *ud);
    void (*sleep_ms)(void *ud, int64_t ms);
    void *ud;
};

/* The real clock; a static object, never freed. */
const struct fv_clock *fv_clock_system(void);

static inline int64_t fv_clock_now_ms(const struct fv_clock *c)
{
    return c->now_ms(c->ud);
}
static inline int64_t fv_clock_mono_ms(const struct fv_clock *c)
{
    return c->mono_ms(c->ud);
}

/* Uniform random numbers; the default is seeded from the OS. */
struct fv_rand {
    /* A value in [0, 1). */
    double (*next)(void *ud);
    void *ud;
};
const struct fv_rand *fv_rand_system(void);

/* Formats t (Unix seconds, UTC): "20150830T123600Z" (16+1 bytes) and
 * "20150830" (8+1 bytes), and ISO 8601 "2015-08-30T12:36:00Z" (20+1). */
void fv_time_amz(int64_t t, char out[17]);
void fv_time_ymd(int64_t t, char out[9]);
void fv_time_iso8601(int64_t t, char out[21]);
/* Parses an ISO 8601 time as AWS writes them: "2015-08-30T12:36:00Z", an
 * optional fraction (".123", ignored), "Z" or an offset "+02:00" / "+0200".
 * Returns Unix seconds, or -1 on junk: any other shape, a date or time that
 * does not exist (Feb 30, 24:00, a leap second; never normalised to the next
 * day), a missing zone, or a time before 1970. Reads s only up to its NUL. */
int64_t fv_time_parse_iso8601(const char *s);

/* The latest time fleetvault reads from a service: 9999-12-31T23:59:59.999Z. */
#define FV_TIME_MAX_MS INT64_C(253402300799999)
/* A service's timestamp in epoch seconds with a fraction (DynamoDB, QuickSight
 * JSON numbers) to milliseconds, rounded. False, *ms untouched, for NaN, the
 * infinities, times before 1970 and after FV_TIME_MAX_MS: such a value is
 * never converted (a float-to-integer conversion out of range is undefined,
 * and on x86 makes the time the oldest of all). */
bool fv_time_epoch_s_to_ms(double s, int64_t *ms);

#endif

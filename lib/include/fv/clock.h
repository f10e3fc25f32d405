/* Injected time and randomness, so tests fix the date and the jitter. */
#ifndef FV_CLOCK_H
#define FV_CLOCK_H

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
/* Parses ISO 8601 UTC ("2015-08-30T12:36:00Z", optional fraction, "+00:00");
 * returns Unix seconds, or -1 on junk. */
int64_t fv_time_parse_iso8601(const char *s);

#endif

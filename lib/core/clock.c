#include <fv/clock.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t s_now_ms(void *ud)
{
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t s_mono_ms(void *ud)
{
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_sleep_ms(void *ud, int64_t ms)
{
    (void)ud;
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static const struct fv_clock s_system_clock = {s_now_ms, s_mono_ms, s_sleep_ms, NULL};

const struct fv_clock *fv_clock_system(void)
{
    return &s_system_clock;
}

/* xorshift64* seeded once from the OS; guarded so threads can share it. */
static pthread_mutex_t s_rand_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t s_rand_state;

static double s_rand_next(void *ud)
{
    (void)ud;
    pthread_mutex_lock(&s_rand_lock);
    if (s_rand_state == 0) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (read(fd, &s_rand_state, sizeof(s_rand_state)) != sizeof(s_rand_state))
                s_rand_state = 0;
            close(fd);
        }
        if (s_rand_state == 0)
            s_rand_state = (uint64_t)s_now_ms(NULL) ^ 0x9e3779b97f4a7c15ULL;
    }
    uint64_t x = s_rand_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s_rand_state = x;
    pthread_mutex_unlock(&s_rand_lock);
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static const struct fv_rand s_system_rand = {s_rand_next, NULL};

const struct fv_rand *fv_rand_system(void)
{
    return &s_system_rand;
}

static void s_gmtime(int64_t t, struct tm *tm)
{
    time_t tt = (time_t)t;
    gmtime_r(&tt, tm);
}

void fv_time_amz(int64_t t, char out[17])
{
    struct tm tm;
    s_gmtime(t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

void fv_time_ymd(int64_t t, char out[9])
{
    struct tm tm;
    s_gmtime(t, &tm);
    strftime(out, 9, "%Y%m%d", &tm);
}

void fv_time_iso8601(int64_t t, char out[21])
{
    struct tm tm;
    s_gmtime(t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* n decimal digits at *p (advanced past them); false when any is not a digit. */
static bool s_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool s_expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static int s_days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): no time_t, no timegm, no normalisation. */
static int64_t s_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t fv_time_parse_iso8601(const char *s)
{
    if (!s)
        return -1;
    const char *p = s;
    int y, mo, d, h, mi, sec;
    if (!s_digits(&p, 4, &y) || !s_expect(&p, '-') || !s_digits(&p, 2, &mo) || !s_expect(&p, '-') ||
        !s_digits(&p, 2, &d) || !s_expect(&p, 'T') || !s_digits(&p, 2, &h) || !s_expect(&p, ':') ||
        !s_digits(&p, 2, &mi) || !s_expect(&p, ':') || !s_digits(&p, 2, &sec))
        return -1;
    /* A date that does not exist (Feb 30, 24:00, a leap second) is junk,
     * not the day after. */
    if (mo < 1 || mo > 12 || d < 1 || d > s_days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
        return -1;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int64_t offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '+' ? 1 : -1, oh, om;
        if (!s_digits(&p, 2, &oh))
            return -1;
        s_expect(&p, ':'); /* "+02:00" and "+0200" */
        if (!s_digits(&p, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return -1; /* a time without a zone is not UTC */
    }
    if (*p)
        return -1;
    int64_t t = s_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    return t < 0 ? -1 : t;
}

bool fv_time_epoch_s_to_ms(double s, int64_t *ms)
{
    double v = s * 1000.0 + 0.5;
    /* Written so NaN fails too; both bounds are exact in a double. */
    if (!(v >= 0.0 && v < (double)FV_TIME_MAX_MS + 1.0))
        return false;
    *ms = (int64_t)v;
    return true;
}

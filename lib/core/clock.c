#include <fv/clock.h>

#include <fcntl.h>
#include <pthread.h>
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

int64_t fv_time_parse_iso8601(const char *s)
{
    if (!s)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++) {
        }
    int64_t offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        offset = (hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
        p += 6;
    }
    if (*p)
        return -1;
    return (int64_t)timegm(&tm) - offset;
}

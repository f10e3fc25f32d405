#include <fv/clock.h>
#include <fv/common.h>
#include <fv/log.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

volatile int fv_log_level_current = FV_LOG_INFO;

#define S_MAX_SECRETS 64

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *s_sink;
static bool s_json = true;
static bool s_sink_set;
static char *s_secrets[S_MAX_SECRETS];
static size_t s_next_secret;

static const char *const s_level_names[] = {"error", "warn", "info", "debug", "trace"};

void fv_log_set_level(enum fv_log_level level)
{
    fv_log_level_current = (int)level;
}

bool fv_log_level_parse(const char *s, enum fv_log_level *out)
{
    if (!s)
        return false;
    for (int i = 0; i <= FV_LOG_TRACE; i++) {
        if (strcasecmp(s, s_level_names[i]) == 0) {
            *out = (enum fv_log_level)i;
            return true;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = FV_LOG_WARN;
        return true;
    }
    return false;
}

void fv_log_set_sink(FILE *f, bool json)
{
    pthread_mutex_lock(&s_lock);
    s_sink = f;
    s_json = json;
    s_sink_set = true;
    pthread_mutex_unlock(&s_lock);
}

void fv_log_secret(const char *secret)
{
    /* Very short strings would scrub ordinary words; real secrets are long. */
    if (!secret || strlen(secret) < 8)
        return;
    pthread_mutex_lock(&s_lock);
    for (size_t i = 0; i < S_MAX_SECRETS; i++) {
        if (s_secrets[i] && strcmp(s_secrets[i], secret) == 0) {
            pthread_mutex_unlock(&s_lock);
            return;
        }
    }
    size_t slot = s_next_secret++ % S_MAX_SECRETS;
    free(s_secrets[slot]);
    s_secrets[slot] = fv_strdup(secret);
    pthread_mutex_unlock(&s_lock);
}

/* Caller holds s_lock. */
static void s_scrub_locked(char *s)
{
    for (size_t i = 0; i < S_MAX_SECRETS; i++) {
        const char *sec = s_secrets[i];
        if (!sec)
            continue;
        size_t n = strlen(sec);
        char *hit;
        while ((hit = strstr(s, sec)) != NULL) {
            memcpy(hit, "****", 4);
            memmove(hit + 4, hit + n, strlen(hit + n) + 1);
        }
    }
}

void fv_log_scrub(char *s)
{
    pthread_mutex_lock(&s_lock);
    s_scrub_locked(s);
    pthread_mutex_unlock(&s_lock);
}

static void s_json_escape(struct fv_buf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': fv_buf_append_str(out, "\\\""); break;
        case '\\': fv_buf_append_str(out, "\\\\"); break;
        case '\n': fv_buf_append_str(out, "\\n"); break;
        case '\r': fv_buf_append_str(out, "\\r"); break;
        case '\t': fv_buf_append_str(out, "\\t"); break;
        default:
            if (c < 0x20)
                fv_buf_printf(out, "\\u%04x", c);
            else
                fv_buf_append_char(out, (char)c);
        }
    }
}

void fv_log_write(enum fv_log_level level, const char *subsys, const char *fmt, ...)
{
    struct fv_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    fv_buf_vprintf(&msg, fmt, ap);
    va_end(ap);

    char ts[21];
    int64_t now = fv_clock_now_ms(fv_clock_system());
    fv_time_iso8601(now / 1000, ts);

    pthread_mutex_lock(&s_lock);
    if (!s_sink_set) {
        s_sink = stderr;
        s_json = !isatty(STDERR_FILENO);
        s_sink_set = true;
    }
    if (msg.ptr)
        s_scrub_locked(msg.ptr);
    struct fv_buf line = {0};
    if (s_json) {
        fv_buf_printf(&line, "{\"ts\":\"%.19s.%03dZ\",\"level\":\"%s\",\"sub\":\"", ts,
                      (int)(now % 1000), s_level_names[level]);
        s_json_escape(&line, subsys ? subsys : "");
        fv_buf_append_str(&line, "\",\"msg\":\"");
        s_json_escape(&line, fv_buf_str(&msg));
        fv_buf_append_str(&line, "\"}\n");
    } else {
        fv_buf_printf(&line, "%s %-5s [%s] %s\n", ts, s_level_names[level], subsys ? subsys : "",
                      fv_buf_str(&msg));
    }
    FILE *f = s_sink ? s_sink : stderr;
    fwrite(line.ptr, 1, line.len, f);
    fflush(f);
    pthread_mutex_unlock(&s_lock);
    fv_buf_clean_up(&line);
    fv_buf_clean_up(&msg);
}

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

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *s_sink;
static bool s_json = true;
static bool s_sink_set;

/* The registry of live secrets: every one registered and not forgotten,
 * however many (it grows), longest first so that a secret containing
 * another is replaced whole. Guarded by s_lock. */
struct s_secret {
    char *text;
    size_t len;
    size_t holds; /* fv_log_secret_hold minus fv_log_secret_forget */
    bool pinned;  /* fv_log_secret: for the life of the process */
};
static struct s_secret *s_secrets;
static size_t s_n_secrets, s_cap_secrets;
static void (*s_on_free)(const char *, size_t, void *);
static void *s_on_free_ud;

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

/* Caller holds s_lock. The entry for secret, or NULL. */
static struct s_secret *s_find_locked(const char *secret, size_t len)
{
    for (size_t i = 0; i < s_n_secrets; i++)
        if (s_secrets[i].len == len && memcmp(s_secrets[i].text, secret, len) == 0)
            return &s_secrets[i];
    return NULL;
}

static void s_register(const char *secret, bool pin)
{
    if (!secret || !*secret)
        return;
    size_t len = strlen(secret);
    pthread_mutex_lock(&s_lock);
    struct s_secret *e = s_find_locked(secret, len);
    if (!e) {
        if (s_n_secrets == s_cap_secrets) {
            s_cap_secrets = s_cap_secrets ? 2 * s_cap_secrets : 64;
            s_secrets = fv_realloc(s_secrets, s_cap_secrets * sizeof(*s_secrets));
        }
        size_t at = 0; /* keep longest first */
        while (at < s_n_secrets && s_secrets[at].len >= len)
            at++;
        memmove(&s_secrets[at + 1], &s_secrets[at], (s_n_secrets - at) * sizeof(*s_secrets));
        s_n_secrets++;
        e = &s_secrets[at];
        *e = (struct s_secret){.text = fv_strndup(secret, len), .len = len};
    }
    if (pin)
        e->pinned = true;
    else
        e->holds++;
    pthread_mutex_unlock(&s_lock);
}

void fv_log_secret(const char *secret)
{
    s_register(secret, true);
}

void fv_log_secret_hold(const char *secret)
{
    s_register(secret, false);
}

void fv_log_secret_forget(const char *secret)
{
    if (!secret || !*secret)
        return;
    pthread_mutex_lock(&s_lock);
    struct s_secret *e = s_find_locked(secret, strlen(secret));
    if (e && e->holds > 0)
        e->holds--;
    if (e && e->holds == 0 && !e->pinned) {
        fv_wipe(e->text, e->len);
        if (s_on_free)
            s_on_free(e->text, e->len, s_on_free_ud);
        free(e->text);
        size_t at = (size_t)(e - s_secrets);
        memmove(e, e + 1, (s_n_secrets - at - 1) * sizeof(*e));
        s_n_secrets--;
    }
    pthread_mutex_unlock(&s_lock);
}

size_t fv_log_secret_count(void)
{
    pthread_mutex_lock(&s_lock);
    size_t n = s_n_secrets;
    pthread_mutex_unlock(&s_lock);
    return n;
}

void fv_log_secret_on_free(void (*fn)(const char *text, size_t len, void *ud), void *ud)
{
    pthread_mutex_lock(&s_lock);
    s_on_free = fn;
    s_on_free_ud = ud;
    pthread_mutex_unlock(&s_lock);
}

/* Caller holds s_lock. Every length is scrubbed wherever it appears: a
 * short secret also masks ordinary text that happens to match it (the line
 * reads worse), which is the price of never printing it. Scanning resumes
 * after each replacement, so a secret found inside "****" cannot loop. */
static void s_scrub_locked(char *s)
{
    for (size_t i = 0; i < s_n_secrets; i++) {
        const char *sec = s_secrets[i].text;
        size_t n = s_secrets[i].len;
        char *from = s;
        char *hit;
        while ((hit = strstr(from, sec)) != NULL) {
            /* "****" is at most n + 3 bytes longer than what it replaces:
             * shorter secrets are masked one '*' a byte, never growing s. */
            size_t mask = n < 4 ? n : 4;
            memset(hit, '*', mask);
            memmove(hit + mask, hit + n, strlen(hit + n) + 1);
            from = hit + mask;
        }
    }
}

void fv_log_scrub(char *s)
{
    if (!s)
        return;
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

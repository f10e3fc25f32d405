/* Logging: FV_LOG checks the level before formatting. JSON lines when the
 * sink is not a TTY, plain lines when it is. Secrets never reach a log:
 * credential providers register them with fv_log_secret(), and every line is
 * scrubbed of registered secrets before it is written (belt and braces —
 * code must not log them in the first place). */
#ifndef FV_LOG_H
#define FV_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum fv_log_level {
    FV_LOG_ERROR = 0,
    FV_LOG_WARN,
    FV_LOG_INFO,
    FV_LOG_DEBUG,
    FV_LOG_TRACE,
};

extern volatile int fv_log_level_current;

void fv_log_set_level(enum fv_log_level level);
/* Parses "error", "warn"/"warning", "info", "debug", "trace" (any case). */
bool fv_log_level_parse(const char *s, enum fv_log_level *out);
/* Where lines go (default stderr); json selects JSON lines. Not owned. */
void fv_log_set_sink(FILE *f, bool json);
/* The secret registry (thread-safe, unbounded: a secret stays until it is
 * forgotten). Secrets of every length are registered and scrubbed wherever
 * they appear; copies are wiped when dropped. */
/* Registers a secret for the life of the process (copied): SASL passwords,
 * task signing keys, bearer tokens, static keys. */
void fv_log_secret(const char *secret);
/* Registers a secret that rotates (copied): one hold per call, dropped by
 * fv_log_secret_forget; the last one wipes and frees the copy unless the same
 * text was also registered with fv_log_secret. Credential caches hold the
 * secret key and session token they keep and forget them when replaced. */
void fv_log_secret_hold(const char *secret);
void fv_log_secret_forget(const char *secret);
/* How many distinct secrets are registered. */
size_t fv_log_secret_count(void);
/* Tests: fn sees each registry copy right after its wipe, before free(). */
void fv_log_secret_on_free(void (*fn)(const char *text, size_t len, void *ud), void *ud);
/* Replaces every registered secret in s (in place) with "****" (with as
 * many '*' as the secret has bytes when it is shorter than 4), longest
 * secrets first. s never grows. */
void fv_log_scrub(char *s);

void fv_log_write(enum fv_log_level level, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define FV_LOG(level, subsys, ...)                                                                 \
    do {                                                                                           \
        if ((int)(level) <= fv_log_level_current)                                                  \
            fv_log_write((level), (subsys), __VA_ARGS__);                                          \
    } while (0)

#endif

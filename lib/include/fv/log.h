/* Logging: FV_LOG checks the level before formatting. JSON lines when the
 * sink is not a TTY, plain lines when it is. Secrets never reach a log:
 * credential providers register them with fv_log_secret(), and every line is
 * scrubbed of registered secrets before it is written (belt and braces —
 * code must not log them in the first place). */
#ifndef FV_LOG_H
#define FV_LOG_H

#include <stdbool.h>
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
/* Registers a secret to scrub (copied; bounded ring, oldest dropped). */
void fv_log_secret(const char *secret);
/* Replaces every registered secret in s (in place) with "****". */
void fv_log_scrub(char *s);

void fv_log_write(enum fv_log_level level, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define FV_LOG(level, subsys, ...)                                                                 \
    do {                                                                                           \
        if ((int)(level) <= fv_log_level_current)                                                  \
            fv_log_write((level), (subsys), __VA_ARGS__);                                          \
    } while (0)

#endif

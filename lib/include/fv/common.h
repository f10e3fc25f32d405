/* fleetvault common types: status codes, errors by value, byte cursors and
 * owned buffers, header lists. Every other module builds on these. */
#ifndef FV_COMMON_H
#define FV_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum fv_status {
    FV_OK = 0,
    FV_E_INVALID,   /* bad input: config, arguments, malformed data */
    FV_E_IO,        /* local file or socket error */
    FV_E_NET,       /* transport: connect, reset, timeout, truncated body */
    FV_E_AWS,       /* the service answered with an error (see fv_error.code) */
    FV_E_AUTH,      /* no usable credentials, expired token */
    FV_E_PARSE,     /* a response we could not decode */
    FV_E_NOTFOUND,  /* a resource, profile or key that does not exist */
    FV_E_TIMEOUT,   /* a wait or deadline ran out */
    FV_E_CANCELLED, /* stopped on request (a cancel flag, a reader that left); not retried */
} fv_status;

/* An error by value. Functions fill it (when non-NULL) on failure; retry
 * decisions read .retryable / .throttle, never the message text. */
struct fv_error {
    fv_status status;
    int http_status; /* 0 when no HTTP response */
    bool retryable;  /* a retry may succeed */
    bool throttle;   /* the service asked us to slow down */
    char code[64];   /* AWS error code, e.g. "ThrottlingException" */
    char message[512];
    char request_id[80];
};

const char *fv_status_str(fv_status st);

/* Sets err (if non-NULL): status, message from fmt; clears the other
 * fields. Returns st so callers can `return fv_error_set(...)`. */
fv_status fv_error_set(struct fv_error *err, fv_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fv_error_clear(struct fv_error *err);

/* Out-of-memory aborts the process: these never return NULL. */
void *fv_malloc(size_t n);
void *fv_calloc(size_t n, size_t size);
void *fv_realloc(void *p, size_t n);
char *fv_strdup(const char *s); /* NULL in, NULL out */
char *fv_strndup(const char *s, size_t n);

/* Borrowed bytes. */
struct fv_cur {
    const char *ptr;
    size_t len;
};
#define FV_CUR_STR(s) ((struct fv_cur){(s), (s) ? strlen(s) : 0})

/* Owned, growable bytes; ptr is always NUL-terminated once non-NULL.
 * A zeroed struct is a valid empty buffer. A buffer with secret set (before
 * its first byte) holds credentials: growing it wipes the old block instead
 * of realloc'ing, and fv_buf_clean_up wipes it before freeing. */
struct fv_buf {
    char *ptr;
    size_t len;
    size_t cap;
    bool secret;
};

void fv_buf_append(struct fv_buf *b, const void *data, size_t n);
void fv_buf_append_str(struct fv_buf *b, const char *s);
void fv_buf_append_char(struct fv_buf *b, char c);
void fv_buf_printf(struct fv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fv_buf_vprintf(struct fv_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void fv_buf_reset(struct fv_buf *b); /* len = 0, keeps memory */
/* Returns the bytes (caller owns; free()) and leaves b empty. Never NULL. */
char *fv_buf_detach(struct fv_buf *b);
void fv_buf_clean_up(struct fv_buf *b);         /* safe on zeroed buffers and NULL */
const char *fv_buf_str(const struct fv_buf *b); /* "" when empty */

/* Wiping (explicit_bzero: never optimised away). Credentials, tokens,
 * passwords and the bytes they travelled in are wiped before they are freed.
 * fv_buf_wipe wipes all of b's memory (secret or not) and frees it, leaving
 * b zeroed; fv_free_secret wipes a NUL-terminated string and frees it. Both
 * accept NULL. */
void fv_wipe(void *p, size_t n);
void fv_buf_wipe(struct fv_buf *b);
void fv_free_secret(char *s);

/* An ordered list of HTTP headers. Names keep the caller's case; lookups are
 * case-insensitive. Strings are owned by the list. */
struct fv_header {
    char *name;
    char *value;
};
struct fv_headers {
    struct fv_header *items;
    size_t n;
    size_t cap;
};

void fv_headers_add(struct fv_headers *h, const char *name, const char *value);
/* Replaces every header called name with one (name, value). */
void fv_headers_set(struct fv_headers *h, const char *name, const char *value);
void fv_headers_remove(struct fv_headers *h, const char *name);
/* Borrowed; NULL when absent. The first match. */
const char *fv_headers_get(const struct fv_headers *h, const char *name);
void fv_headers_clean_up(struct fv_headers *h);

/* Small string helpers. */
bool fv_str_eq_nocase(const char *a, const char *b);
bool fv_str_starts_with(const char *s, const char *prefix);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
void fv_hex_encode(const unsigned char *in, size_t n, char *out);
/* Parses a decimal int64 in full; false on junk or overflow. */
bool fv_parse_i64(const char *s, int64_t *out);
/* Field index (0-based, ':'-separated) of an ARN — 3 is the region, 4 the
 * account; the last field runs to the end. Caller frees; NULL when the ARN
 * has no such field. */
char *fv_arn_part(const char *arn, int index);
/* s as an int64 in full, or def when s is NULL or not a number. */
int64_t fv_i64_or(const char *s, int64_t def);

#endif

#include <fv/common.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *fv_status_str(fv_status st)
{
    switch (st) {
    case FV_OK: return "ok";
    case FV_E_INVALID: return "invalid";
    case FV_E_IO: return "io";
    case FV_E_NET: return "network";
    case FV_E_AWS: return "aws";
    case FV_E_AUTH: return "auth";
    case FV_E_PARSE: return "parse";
    case FV_E_NOTFOUND: return "not-found";
    case FV_E_TIMEOUT: return "timeout";
    case FV_E_CANCELLED: return "cancelled";
    }
    return "unknown";
}

void fv_error_clear(struct fv_error *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

fv_status fv_error_set(struct fv_error *err, fv_status st, const char *fmt, ...)
{
    if (!err)
        return st;
    fv_error_clear(err);
    err->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return st;
}

static void s_oom(void)
{
    fputs("fleetvault: out of memory\n", stderr);
    abort();
}

void *fv_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        s_oom();
    return p;
}

void *fv_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        s_oom();
    return p;
}

void *fv_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        s_oom();
    return q;
}

char *fv_strdup(const char *s)
{
    return s ? fv_strndup(s, strlen(s)) : NULL;
}

char *fv_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = fv_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void s_buf_reserve(struct fv_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    if (b->secret && b->ptr) {
        /* realloc may leave the old bytes behind in freed memory. */
        char *p = fv_malloc(cap);
        memcpy(p, b->ptr, b->len + 1);
        fv_wipe(b->ptr, b->cap);
        free(b->ptr);
        b->ptr = p;
    } else {
        b->ptr = fv_realloc(b->ptr, cap);
    }
    b->cap = cap;
}

void fv_buf_append(struct fv_buf *b, const void *data, size_t n)
{
    s_buf_reserve(b, n);
    if (n)
        memcpy(b->ptr + b->len, data, n);
    b->len += n;
    b->ptr[b->len] = '\0';
}

void fv_buf_append_str(struct fv_buf *b, const char *s)
{
    if (s)
        fv_buf_append(b, s, strlen(s));
}

void fv_buf_append_char(struct fv_buf *b, char c)
{
    fv_buf_append(b, &c, 1);
}

void fv_buf_vprintf(struct fv_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    s_buf_reserve(b, (size_t)n);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void fv_buf_printf(struct fv_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fv_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void fv_buf_reset(struct fv_buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

char *fv_buf_detach(struct fv_buf *b)
{
    char *p = b->ptr ? b->ptr : fv_strdup("");
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}

void fv_buf_clean_up(struct fv_buf *b)
{
    if (!b)
        return;
    if (b->secret && b->ptr)
        fv_wipe(b->ptr, b->cap);
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

void fv_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

void fv_buf_wipe(struct fv_buf *b)
{
    if (!b)
        return;
    if (b->ptr)
        fv_wipe(b->ptr, b->cap);
    free(b->ptr);
    memset(b, 0, sizeof(*b));
}

void fv_free_secret(char *s)
{
    if (s) {
        fv_wipe(s, strlen(s));
        free(s);
    }
}

const char *fv_buf_str(const struct fv_buf *b)
{
    return b->ptr ? b->ptr : "";
}

void fv_headers_add(struct fv_headers *h, const char *name, const char *value)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 8;
        h->items = fv_realloc(h->items, h->cap * sizeof(*h->items));
    }
    h->items[h->n].name = fv_strdup(name);
    h->items[h->n].value = fv_strdup(value ? value : "");
    h->n++;
}

void fv_headers_remove(struct fv_headers *h, const char *name)
{
    size_t j = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->items[i].name, name) == 0) {
            free(h->items[i].name);
            free(h->items[i].value);
        } else {
            h->items[j++] = h->items[i];
        }
    }
    h->n = j;
}

void fv_headers_set(struct fv_headers *h, const char *name, const char *value)
{
    fv_headers_remove(h, name);
    fv_headers_add(h, name, value);
}

const char *fv_headers_get(const struct fv_headers *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(h->items[i].name, name) == 0)
            return h->items[i].value;
    return NULL;
}

void fv_headers_clean_up(struct fv_headers *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++) {
        free(h->items[i].name);
        fv_free_secret(h->items[i].value); /* Authorization, tokens */
    }
    free(h->items);
    h->items = NULL;
    h->n = h->cap = 0;
}

bool fv_str_eq_nocase(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

bool fv_str_starts_with(const char *s, const char *prefix)
{
    return s && prefix && strncmp(s, prefix, strlen(prefix)) == 0;
}

void fv_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

bool fv_parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

int64_t fv_i64_or(const char *s, int64_t def)
{
    int64_t v;
    return s && fv_parse_i64(s, &v) ? v : def;
}

char *fv_arn_part(const char *arn, int index)
{
    const char *p = arn;
    for (int i = 0; i < index && p; i++) {
        p = strchr(p, ':');
        if (p)
            p++;
    }
    if (!p)
        return NULL;
    const char *end = strchr(p, ':');
    return end ? fv_strndup(p, (size_t)(end - p)) : fv_strdup(p);
}

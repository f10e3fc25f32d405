/* HTTP over libcurl: a curl-multi engine so one thread keeps many requests in
 * flight, with connection reuse, connect/total timeouts, TLS verification on,
 * streaming request and response bodies, timers (for backoff) and a cancel
 * flag.
 *
 * Two kinds of request: ordinary ones (API calls) have a whole-request
 * timeout; bulk ones (object bodies, bundle downloads) have none, since their
 * length depends on their size, and fail instead when slower than a floor
 * (low_speed_bytes per second for low_speed_secs).
 *
 * An engine is used by one thread at a time (each worker thread owns one).
 * Requests and responses are owned by the caller and must outlive the
 * transfer. */
#ifndef FV_HTTP_H
#define FV_HTTP_H

#include <fv/common.h>

#include <stdatomic.h>

struct fv_http_request {
    const char *method; /* "GET", "PUT", ... */
    const char *url;    /* full URL, wire form */
    struct fv_headers headers;
    /* Body: bytes, or a reader (streaming). With a reader, body_len is the
     * exact length (-1 = unknown: chunked transfer encoding). */
    struct fv_cur body;
    size_t (*read_body)(void *ud, char *dst, size_t n); /* returns 0 at end */
    void *read_ud;
    int64_t body_len;
    /* Response body sink: NULL collects into fv_http_response.body (capped at
     * max_body bytes; more is a FV_E_NET "response too large" error).
     * Return less than n to abort the transfer. */
    size_t (*write_body)(void *ud, const char *data, size_t n);
    void *write_ud;
    size_t max_body; /* 0 → 16 MiB */
    /* Bulk data: no whole-request timeout, the engine's low-speed floor
     * instead. Implied by read_body or write_body; set it for large byte
     * bodies (S3 parts). */
    bool bulk;
    long timeout_ms; /* whole-request limit; 0 → the engine's (none for bulk) */
};

struct fv_http_response {
    int status;
    struct fv_headers headers;
    struct fv_buf body; /* when no write_body sink */
};

void fv_http_request_clean_up(struct fv_http_request *r);
void fv_http_response_clean_up(struct fv_http_response *r); /* also resets for reuse */

struct fv_http_options {
    long connect_timeout_ms; /* default 3000 */
    long timeout_ms;         /* whole-request limit of ordinary requests; default 60000; 0: none */
    /* Bulk requests fail (FV_E_TIMEOUT, retryable) when slower than
     * low_speed_bytes per second for low_speed_secs; defaults 1024 and 30;
     * either 0: no floor. */
    long low_speed_bytes;
    long low_speed_secs;
    const char *ca_bundle;    /* borrowed; NULL → system store */
    bool insecure;            /* never in production; tests with self-signed certs */
    int max_host_connections; /* default 32 */
    bool no_proxy;            /* ignore http(s)_proxy: instance metadata and container
                                 credential endpoints are never proxied (as the SDKs) */
    /* Borrowed; NULL: none. Once another thread sets it, the engine's poll
     * (which waits in slices of at most 100 ms while there is a flag) fails
     * every transfer in flight or submitted later with FV_E_CANCELLED (not
     * retryable) and runs every timer at once, so a backoff ends now. */
    const atomic_bool *cancel;
};
void fv_http_options_default(struct fv_http_options *o);

struct fv_http_engine;
struct fv_http_engine *fv_http_engine_new(const struct fv_http_options *o);
void fv_http_engine_destroy(struct fv_http_engine *e); /* NULL-safe; cancels transfers */
/* True once the engine's cancel flag is set (any thread). */
bool fv_http_engine_cancelled(const struct fv_http_engine *e);

/* Completion: err is NULL on a transport success (any HTTP status), else a
 * FV_E_NET / FV_E_TIMEOUT error (retryable set for transient failures) or
 * FV_E_CANCELLED. */
typedef void fv_http_done_fn(void *ud, struct fv_http_response *resp, const struct fv_error *err);

/* Starts a transfer; done runs from fv_http_engine_poll. */
void fv_http_engine_submit(struct fv_http_engine *e, struct fv_http_request *req,
                           struct fv_http_response *resp, fv_http_done_fn *done, void *ud);
/* Runs fn(ud) from fv_http_engine_poll after delay_ms. */
void fv_http_engine_after(struct fv_http_engine *e, int64_t delay_ms, void (*fn)(void *ud),
                          void *ud);
/* Drives transfers and timers, waiting at most wait_ms for activity.
 * Returns the number of transfers plus timers still pending. */
int fv_http_engine_poll(struct fv_http_engine *e, int wait_ms);
/* Wakes a poll blocked in another thread (the only thread-safe call). */
void fv_http_engine_wakeup(struct fv_http_engine *e);

/* Synchronous request on its own short-lived engine (credential endpoints,
 * tools). */
fv_status fv_http_simple(const struct fv_http_options *o, struct fv_http_request *req,
                         struct fv_http_response *resp, struct fv_error *err);

#endif

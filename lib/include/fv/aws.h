/* The AWS client: one call = resolve endpoint, rate-limit, sign, send on the
 * curl-multi engine, decode errors, retry (standard mode). Asynchronous at
 * heart — many calls in flight on one engine — with synchronous wrappers.
 *
 * A client is bound to one principal (credential provider), one region and
 * one engine; it is used by the engine's thread. */
#ifndef FV_AWS_H
#define FV_AWS_H

#include <fv/awsproto.h>
#include <fv/clock.h>
#include <fv/common.h>
#include <fv/credentials.h>
#include <fv/http.h>
#include <fv/retry.h>

struct json_object;

struct fv_aws_client_options {
    const char *region;              /* required */
    struct fv_creds_provider *creds; /* required; the client takes a reference */
    const char *account_id;          /* rate-limit key; NULL → "default" */
    struct fv_http_engine *engine;   /* borrowed; NULL → the client owns one */
    struct fv_http_options http;     /* for an owned engine; timeouts 0 → defaults */
    struct fv_ratelimiter *limiter;  /* borrowed; NULL → no client-side limiting */
    struct fv_retry_quota *quota;    /* borrowed; NULL → the client owns one */
    struct fv_retry_options retry;   /* zeroed → defaults */
    const struct fv_clock *clock;    /* NULL → system */
    const struct fv_rand *rand;      /* NULL → system */
    /* Called after every attempt's response (metrics): throttled when the
     * service asked us to slow down. May be NULL. */
    void (*observe)(void *ud, const char *service, const char *operation, bool throttled);
    void *observe_ud;
    /* Environment for endpoint overrides; NULL → getenv(3). */
    const char *(*getenv)(void *ud, const char *name);
    void *getenv_ud;
};

struct fv_aws_client;

/* Caller owns; free with fv_aws_client_destroy. */
struct fv_aws_client *fv_aws_client_new(const struct fv_aws_client_options *o,
                                        struct fv_error *err);
void fv_aws_client_destroy(struct fv_aws_client *c); /* NULL-safe */
struct fv_http_engine *fv_aws_client_engine(struct fv_aws_client *c);
const char *fv_aws_client_region(const struct fv_aws_client *c);
/* fv_endpoint_check_download_url for the client's region and environment. */
fv_status fv_aws_client_check_download_url(const struct fv_aws_client *c, const char *url,
                                           struct fv_error *err);

/* Per-call counters, for metrics and tests (monotonic since creation). */
struct fv_aws_stats {
    uint64_t calls, attempts, retries, throttles, failures;
};
void fv_aws_client_stats(const struct fv_aws_client *c, struct fv_aws_stats *out);

/* One request. Strings are borrowed for the life of the call. */
struct fv_aws_call {
    const char *service;   /* endpoint prefix and signing name: "dynamodb", "s3", ... */
    const char *operation; /* for logs, rate limits, stats: "CreateBackup" */
    enum fv_aws_protocol protocol;
    const char *method;        /* NULL → POST */
    const char *path;          /* wire path (rest protocols); NULL → "/" */
    const char *query;         /* wire query without '?'; may be NULL */
    const char *s3_bucket;     /* rest-xml: the bucket (addressing style decided here); path is then
                                  the wire key path after the bucket, e.g. "/a%20b" or NULL */
    struct fv_headers headers; /* extra headers; owned by the call, freed by fv_aws_call_clean_up */
    struct fv_cur body;        /* request body bytes */
    /* Streaming request body instead of bytes. rewind_body (may be NULL)
     * makes a streamed call retryable. payload_hash as in fv_sigv4_params
     * (NULL with a streamed body → UNSIGNED-PAYLOAD). */
    size_t (*read_body)(void *ud, char *dst, size_t n);
    bool (*rewind_body)(void *ud);
    void *read_ud;
    int64_t body_len;
    const char *payload_hash;
    /* Streaming response sink for 2xx bodies; NULL collects into the
     * response. reset_sink (may be NULL) is called before a retry. */
    size_t (*write_body)(void *ud, const char *data, size_t n);
    void (*reset_sink)(void *ud);
    void *write_ud;
    size_t max_body;
    bool bulk; /* object data: a speed floor, no whole-request timeout (fv_http_request.bulk) */
    long timeout_ms;
};
void fv_aws_call_clean_up(struct fv_aws_call *call);

struct fv_aws_response {
    int status;
    struct fv_headers headers;
    struct fv_buf body;
};
void fv_aws_response_clean_up(struct fv_aws_response *r);

/* Completion of an async call: err NULL on success (2xx), else the decoded
 * error after retries. */
typedef void fv_aws_done_fn(void *ud, struct fv_aws_response *resp, const struct fv_error *err);

/* Starts a call on the client's engine; done runs from the engine's poll.
 * call and resp must outlive the call. */
void fv_aws_call_start(struct fv_aws_client *c, struct fv_aws_call *call,
                       struct fv_aws_response *resp, fv_aws_done_fn *done, void *ud);
/* Runs a call to completion (polls the engine, so other in-flight calls on it
 * progress too). */
fv_status fv_aws_call_run(struct fv_aws_client *c, struct fv_aws_call *call,
                          struct fv_aws_response *resp, struct fv_error *err);

/* Protocol conveniences (synchronous). */

/* json protocol: POST / with X-Amz-Target "<target_prefix>.<operation>" and
 * Content-Type application/x-amz-json-<json_version>. in may be NULL ({}).
 * *out (caller owns; json_object_put) is the parsed response. */
struct fv_aws_json_service {
    const char *service;       /* "dynamodb" */
    const char *target_prefix; /* "DynamoDB_20120810" */
    const char *json_version;  /* "1.0" or "1.1" */
};
extern const struct fv_aws_json_service fv_aws_dynamodb;
extern const struct fv_aws_json_service fv_aws_cognito_idp;
extern const struct fv_aws_json_service fv_aws_logs;
extern const struct fv_aws_json_service fv_aws_tagging;
extern const struct fv_aws_json_service fv_aws_ssm;

fv_status fv_aws_json(struct fv_aws_client *c, const struct fv_aws_json_service *svc,
                      const char *operation, struct json_object *in, struct json_object **out,
                      struct fv_error *err);

/* rest-json: method + wire path (+ query); in may be NULL (no body). */
fv_status fv_aws_rest_json(struct fv_aws_client *c, const char *service, const char *operation,
                           const char *method, const char *path, const char *query,
                           struct json_object *in, struct json_object **out, struct fv_error *err);

/* query protocol: Action=<operation>&Version=<version>&params...; *out is the
 * parsed XML (caller owns; xmlFreeDoc). */
fv_status fv_aws_query(struct fv_aws_client *c, const char *service, const char *operation,
                       const char *version, const struct fv_params *params, xmlDocPtr *out,
                       struct fv_error *err);

#endif

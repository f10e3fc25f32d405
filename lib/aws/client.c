/* The AWS client: endpoint, rate limit, sign, send, decode, retry. */
#include <fv/aws.h>
#include <fv/endpoint.h>
#include <fv/log.h>
#include <fv/sigv4.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define S_USER_AGENT "fleetvault/0.1.0"
#define S_MAX_ENDPOINTS 16

struct s_endpoint_slot {
    char *service;
    struct fv_endpoint ep;
};

struct fv_aws_client {
    char *region;
    char *account_id;
    struct fv_creds_provider *creds;
    struct fv_http_engine *engine;
    bool owns_engine;
    struct fv_ratelimiter *limiter;
    struct fv_retry_quota *quota;
    bool owns_quota;
    struct fv_retry_options retry;
    const struct fv_clock *clock;
    const struct fv_rand *rand;
    const char *(*getenv)(void *ud, const char *name);
    void *getenv_ud;
    void (*observe)(void *ud, const char *service, const char *operation, bool throttled);
    void *observe_ud;
    struct s_endpoint_slot endpoints[S_MAX_ENDPOINTS];
    size_t n_endpoints;
    struct fv_aws_stats stats;
};

/* One call in flight. */
struct s_op {
    struct fv_aws_client *c;
    struct fv_aws_call *call;
    struct fv_aws_response *resp;
    fv_aws_done_fn *done;
    void *ud;
    int attempt;
    int64_t started_ms;
    struct fv_http_request hreq;
    struct fv_http_response hresp;
    struct fv_buf url;
    struct fv_error err; /* the error the last retry was for */
};

const struct fv_aws_json_service fv_aws_dynamodb = {"dynamodb", "DynamoDB_20120810", "1.0"};
const struct fv_aws_json_service fv_aws_cognito_idp = {"cognito-idp",
                                                       "AWSCognitoIdentityProviderService", "1.1"};
const struct fv_aws_json_service fv_aws_logs = {"logs", "Logs_20140328", "1.1"};
const struct fv_aws_json_service fv_aws_tagging = {"tagging", "ResourceGroupsTaggingAPI_20170126",
                                                   "1.1"};
const struct fv_aws_json_service fv_aws_ssm = {"ssm", "AmazonSSM", "1.1"};

struct fv_aws_client *fv_aws_client_new(const struct fv_aws_client_options *o, struct fv_error *err)
{
    if (!o->region || !*o->region) {
        fv_error_set(err, FV_E_INVALID,
                     "no AWS region: set AWS_REGION or the region in the configuration");
        return NULL;
    }
    if (!o->creds) {
        fv_error_set(err, FV_E_INVALID, "no credential provider");
        return NULL;
    }
    struct fv_aws_client *c = fv_calloc(1, sizeof(*c));
    c->region = fv_strdup(o->region);
    c->account_id = fv_strdup(o->account_id ? o->account_id : "default");
    c->creds = fv_creds_ref(o->creds);
    if (o->engine) {
        c->engine = o->engine;
    } else {
        struct fv_http_options http = o->http;
        if (http.connect_timeout_ms == 0 && http.timeout_ms == 0) {
            /* No numbers given: the defaults, with what was given kept. */
            fv_http_options_default(&http);
            http.ca_bundle = o->http.ca_bundle;
            http.insecure = o->http.insecure;
            http.no_proxy = o->http.no_proxy;
            http.cancel = o->http.cancel;
        }
        c->engine = fv_http_engine_new(&http);
        c->owns_engine = true;
    }
    c->limiter = o->limiter;
    if (o->quota) {
        c->quota = o->quota;
    } else {
        struct fv_retry_options def;
        fv_retry_options_default(&def);
        c->quota = fv_retry_quota_new(def.quota_capacity);
        c->owns_quota = true;
    }
    if (o->retry.max_attempts > 0)
        c->retry = o->retry;
    else
        fv_retry_options_default(&c->retry);
    c->clock = o->clock ? o->clock : fv_clock_system();
    c->rand = o->rand ? o->rand : fv_rand_system();
    c->getenv = o->getenv;
    c->getenv_ud = o->getenv_ud;
    c->observe = o->observe;
    c->observe_ud = o->observe_ud;
    return c;
}

void fv_aws_client_destroy(struct fv_aws_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_endpoints; i++) {
        free(c->endpoints[i].service);
        fv_endpoint_clean_up(&c->endpoints[i].ep);
    }
    if (c->owns_engine)
        fv_http_engine_destroy(c->engine);
    if (c->owns_quota)
        fv_retry_quota_destroy(c->quota);
    fv_creds_unref(c->creds);
    free(c->region);
    free(c->account_id);
    free(c);
}

struct fv_http_engine *fv_aws_client_engine(struct fv_aws_client *c)
{
    return c->engine;
}

const char *fv_aws_client_region(const struct fv_aws_client *c)
{
    return c->region;
}

fv_status fv_aws_client_check_download_url(const struct fv_aws_client *c, const char *url,
                                           struct fv_error *err)
{
    return fv_endpoint_check_download_url(url, c->region, c->getenv, c->getenv_ud, err);
}

void fv_aws_client_stats(const struct fv_aws_client *c, struct fv_aws_stats *out)
{
    *out = c->stats;
}

void fv_aws_call_clean_up(struct fv_aws_call *call)
{
    if (call)
        fv_headers_clean_up(&call->headers);
}

void fv_aws_response_clean_up(struct fv_aws_response *r)
{
    if (!r)
        return;
    fv_headers_clean_up(&r->headers);
    fv_buf_wipe(&r->body); /* may hold credentials or presigned URLs */
    r->status = 0;
}

static const struct fv_endpoint *s_endpoint(struct fv_aws_client *c, const char *service,
                                            struct fv_error *err)
{
    for (size_t i = 0; i < c->n_endpoints; i++)
        if (strcmp(c->endpoints[i].service, service) == 0)
            return &c->endpoints[i].ep;
    struct fv_endpoint ep = {0};
    if (fv_endpoint_resolve(service, c->region, c->getenv, c->getenv_ud, &ep, err) != FV_OK)
        return NULL;
    if (c->n_endpoints == S_MAX_ENDPOINTS) {
        fv_endpoint_clean_up(&ep);
        fv_error_set(err, FV_E_INVALID, "too many services on one client");
        return NULL;
    }
    struct s_endpoint_slot *slot = &c->endpoints[c->n_endpoints++];
    slot->service = fv_strdup(service);
    slot->ep = ep;
    return &slot->ep;
}

static void s_attempt(void *ud);

static void s_finish(struct s_op *op, const struct fv_error *err)
{
    struct fv_aws_response *resp = op->resp;
    fv_aws_response_clean_up(resp);
    resp->status = op->hresp.status;
    resp->headers = op->hresp.headers;
    resp->body = op->hresp.body;
    memset(&op->hresp, 0, sizeof(op->hresp));
    fv_http_request_clean_up(&op->hreq);
    fv_buf_clean_up(&op->url);
    fv_aws_done_fn *done = op->done;
    void *ud = op->ud;
    if (err)
        op->c->stats.failures++;
    struct fv_error copy;
    if (err)
        copy = *err;
    free(op);
    done(ud, resp, err ? &copy : NULL);
}

/* Prefixes the error message with the operation so every failure names what
 * was being done, e.g. "dynamodb CreateBackup: AccessDeniedException: ...". */
static void s_name_error(struct s_op *op, struct fv_error *err)
{
    struct fv_buf msg = {0};
    if (err->status == FV_E_AWS)
        fv_buf_printf(&msg, "%s %s: %s: %s", op->call->service, op->call->operation,
                      err->code[0] ? err->code : "error", err->message);
    else
        fv_buf_printf(&msg, "%s %s: %s", op->call->service, op->call->operation, err->message);
    size_t n = msg.len < sizeof(err->message) - 1 ? msg.len : sizeof(err->message) - 1;
    memcpy(err->message, msg.ptr, n);
    err->message[n] = '\0';
    fv_buf_clean_up(&msg);
    fv_log_scrub(err->message);
}

static void s_on_http_done(void *ud, struct fv_http_response *hresp, const struct fv_error *herr)
{
    struct s_op *op = ud;
    struct fv_aws_client *c = op->c;
    struct fv_aws_call *call = op->call;
    struct fv_error err;
    bool failed = false;

    if (herr) {
        err = *herr;
        fv_retry_classify(&err);
        failed = true;
    } else if (hresp->status < 200 || hresp->status >= 300) {
        fv_awsproto_decode_error(call->protocol, hresp->status, &hresp->headers,
                                 (struct fv_cur){hresp->body.ptr, hresp->body.len}, &err);
        failed = true;
    }
    int64_t took = fv_clock_mono_ms(c->clock) - op->started_ms;
    FV_LOG(FV_LOG_DEBUG, "aws", "%s %s -> %d%s%s in %lld ms (attempt %d)", call->service,
           call->operation, hresp->status, failed ? " " : "", failed ? err.code : "",
           (long long)took, op->attempt);

    if (c->limiter)
        fv_ratelimiter_on_response(c->limiter, c->account_id, call->service,
                                   failed && err.throttle);
    if (c->observe)
        c->observe(c->observe_ud, call->service, call->operation, failed && err.throttle);
    if (!failed) {
        fv_retry_on_success_after(c->quota, &c->retry, op->attempt > 1 ? &op->err : NULL);
        s_finish(op, NULL);
        return;
    }
    if (err.throttle)
        c->stats.throttles++;

    int64_t delay = 0;
    bool streamed = call->read_body != NULL;
    bool can_replay = !streamed || call->rewind_body;
    if (can_replay &&
        fv_retry_should_retry(&c->retry, c->quota, c->rand, op->attempt, &err, &delay)) {
        if (streamed && !call->rewind_body(call->read_ud)) {
            s_name_error(op, &err);
            s_finish(op, &err);
            return;
        }
        if (call->reset_sink)
            call->reset_sink(call->write_ud);
        FV_LOG(FV_LOG_INFO, "aws", "%s %s: %s%s%s, retrying in %lld ms (attempt %d of %d)",
               call->service, call->operation, err.code[0] ? err.code : fv_status_str(err.status),
               err.code[0] ? "" : ": ", err.code[0] ? "" : err.message, (long long)delay,
               op->attempt, c->retry.max_attempts);
        c->stats.retries++;
        op->err = err; /* what this retry cost is refunded on success */
        op->attempt++;
        fv_http_request_clean_up(&op->hreq);
        fv_http_engine_after(c->engine, delay, s_attempt, op);
        return;
    }
    s_name_error(op, &err);
    s_finish(op, &err);
}

static void s_build_url(struct s_op *op, const struct fv_endpoint *ep, struct fv_buf *host)
{
    struct fv_aws_call *call = op->call;
    struct fv_buf path = {0};
    if (call->s3_bucket) {
        fv_endpoint_s3_address(ep, call->s3_bucket, NULL, host, &path);
        const char *key = call->path ? call->path : "";
        if (path.len > 0 && path.ptr[path.len - 1] == '/' && key[0] == '/')
            key++;
        fv_buf_append_str(&path, key);
        if (path.len == 0)
            fv_buf_append_char(&path, '/');
    } else {
        fv_buf_append_str(host, ep->host);
        fv_buf_append_str(&path, ep->base_path);
        const char *p = call->path ? call->path : "/";
        if (path.len > 0 && path.ptr[path.len - 1] == '/' && p[0] == '/')
            p++;
        fv_buf_append_str(&path, p);
    }
    fv_buf_reset(&op->url);
    fv_buf_printf(&op->url, "%s://%s%s", ep->scheme, fv_buf_str(host), fv_buf_str(&path));
    if (call->query && *call->query)
        fv_buf_printf(&op->url, "?%s", call->query);
    fv_buf_clean_up(&path);
}

static void s_attempt(void *ud)
{
    struct s_op *op = ud;
    struct fv_aws_client *c = op->c;
    struct fv_aws_call *call = op->call;
    struct fv_error err;
    struct fv_credentials creds = {0};
    struct fv_buf host = {0};

    /* Checked before every attempt: a cancelled engine ran this backoff's
     * timer early, and no attempt starts after the flag is set. */
    if (fv_http_engine_cancelled(c->engine)) {
        fv_error_set(&err, FV_E_CANCELLED, "cancelled before attempt %d", op->attempt);
        goto fail;
    }
    if (c->limiter) {
        int64_t wait =
            fv_ratelimiter_try_acquire(c->limiter, c->account_id, call->service, call->operation);
        if (wait > 0) {
            fv_http_engine_after(c->engine, wait, s_attempt, op);
            return;
        }
    }
    const struct fv_endpoint *ep = s_endpoint(c, call->service, &err);
    if (!ep)
        goto fail;
    if (fv_creds_get(c->creds, &creds, &err) != FV_OK)
        goto fail;

    s_build_url(op, ep, &host);
    struct fv_http_request *req = &op->hreq;
    fv_http_request_clean_up(req);
    memset(req, 0, sizeof(*req));
    for (size_t i = 0; i < call->headers.n; i++)
        fv_headers_add(&req->headers, call->headers.items[i].name, call->headers.items[i].value);
    fv_headers_set(&req->headers, "Host", fv_buf_str(&host));
    fv_headers_set(&req->headers, "User-Agent", S_USER_AGENT);
    req->method = call->method ? call->method : "POST";
    req->url = op->url.ptr;
    req->body = call->body;
    req->read_body = call->read_body;
    req->read_ud = call->read_ud;
    req->body_len = call->body_len;
    req->write_body = call->write_body;
    req->write_ud = call->write_ud;
    req->max_body = call->max_body;
    req->bulk = call->bulk;
    req->timeout_ms = call->timeout_ms;

    /* The wire path and query as the URL carries them, for signing. */
    const char *after_host = strstr(op->url.ptr, "://") + 3;
    after_host += host.len;
    const char *q = strchr(after_host, '?');
    char *wire_path = q ? fv_strndup(after_host, (size_t)(q - after_host)) : fv_strdup(after_host);

    struct fv_sigv4_params sp = {
        .region = ep->signing_region,
        .service = ep->signing_name,
        .time = fv_clock_now_ms(c->clock) / 1000,
        .creds = &creds,
        .s3_path_rules = strcmp(ep->signing_name, "s3") == 0,
        .payload_hash = call->payload_hash ? call->payload_hash
                                           : (call->read_body ? FV_SIGV4_UNSIGNED_PAYLOAD : NULL),
        .add_content_sha256 = true,
    };
    struct fv_sigv4_request sr = {
        .method = req->method,
        .path = wire_path,
        .query = q ? q + 1 : NULL,
        .headers = &req->headers,
        .body = call->read_body ? (struct fv_cur){NULL, 0} : call->body,
    };
    fv_status st = fv_sigv4_sign(&sp, &sr, &err);
    free(wire_path);
    fv_credentials_clean_up(&creds);
    fv_buf_clean_up(&host);
    if (st != FV_OK)
        goto fail;

    c->stats.attempts++;
    op->started_ms = fv_clock_mono_ms(c->clock);
    fv_http_engine_submit(c->engine, req, &op->hresp, s_on_http_done, op);
    return;

fail:
    fv_credentials_clean_up(&creds);
    fv_buf_clean_up(&host);
    s_name_error(op, &err);
    s_finish(op, &err);
}

void fv_aws_call_start(struct fv_aws_client *c, struct fv_aws_call *call,
                       struct fv_aws_response *resp, fv_aws_done_fn *done, void *ud)
{
    struct s_op *op = fv_calloc(1, sizeof(*op));
    op->c = c;
    op->call = call;
    op->resp = resp;
    op->done = done;
    op->ud = ud;
    op->attempt = 1;
    c->stats.calls++;
    s_attempt(op);
}

struct s_sync {
    bool finished;
    bool failed;
    struct fv_error err;
};

static void s_sync_done(void *ud, struct fv_aws_response *resp, const struct fv_error *err)
{
    (void)resp;
    struct s_sync *s = ud;
    s->finished = true;
    if (err) {
        s->failed = true;
        s->err = *err;
    }
}

fv_status fv_aws_call_run(struct fv_aws_client *c, struct fv_aws_call *call,
                          struct fv_aws_response *resp, struct fv_error *err)
{
    struct s_sync s = {0};
    fv_aws_call_start(c, call, resp, s_sync_done, &s);
    while (!s.finished)
        fv_http_engine_poll(c->engine, 200);
    if (s.failed) {
        if (err)
            *err = s.err;
        return s.err.status;
    }
    return FV_OK;
}

static fv_status s_parse_json(const struct fv_aws_call *call, const struct fv_buf *body,
                              struct json_object **out, struct fv_error *err)
{
    if (!out)
        return FV_OK;
    if (body->len == 0) {
        *out = json_object_new_object();
        return FV_OK;
    }
    struct json_tokener *tok = json_tokener_new();
    *out = json_tokener_parse_ex(tok, body->ptr, (int)body->len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (!*out || jerr != json_tokener_success) {
        if (*out)
            json_object_put(*out);
        *out = NULL;
        return fv_error_set(err, FV_E_PARSE, "%s %s: response is not JSON (%zu bytes)",
                            call->service, call->operation, body->len);
    }
    return FV_OK;
}

fv_status fv_aws_json(struct fv_aws_client *c, const struct fv_aws_json_service *svc,
                      const char *operation, struct json_object *in, struct json_object **out,
                      struct fv_error *err)
{
    char target[160], ctype[64];
    snprintf(target, sizeof(target), "%s.%s", svc->target_prefix, operation);
    snprintf(ctype, sizeof(ctype), "application/x-amz-json-%s", svc->json_version);
    const char *body = in ? json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN) : "{}";
    struct fv_aws_call call = {
        .service = svc->service,
        .operation = operation,
        .protocol = FV_PROTO_JSON,
        .method = "POST",
        .path = "/",
        .body = {body, strlen(body)},
    };
    fv_headers_add(&call.headers, "X-Amz-Target", target);
    fv_headers_add(&call.headers, "Content-Type", ctype);
    struct fv_aws_response resp = {0};
    if (out)
        *out = NULL;
    fv_status st = fv_aws_call_run(c, &call, &resp, err);
    if (st == FV_OK)
        st = s_parse_json(&call, &resp.body, out, err);
    fv_aws_response_clean_up(&resp);
    fv_aws_call_clean_up(&call);
    return st;
}

fv_status fv_aws_rest_json(struct fv_aws_client *c, const char *service, const char *operation,
                           const char *method, const char *path, const char *query,
                           struct json_object *in, struct json_object **out, struct fv_error *err)
{
    const char *body = in ? json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN) : NULL;
    struct fv_aws_call call = {
        .service = service,
        .operation = operation,
        .protocol = FV_PROTO_REST_JSON,
        .method = method,
        .path = path,
        .query = query,
        .body = {body, body ? strlen(body) : 0},
    };
    if (body)
        fv_headers_add(&call.headers, "Content-Type", "application/json");
    struct fv_aws_response resp = {0};
    if (out)
        *out = NULL;
    fv_status st = fv_aws_call_run(c, &call, &resp, err);
    if (st == FV_OK)
        st = s_parse_json(&call, &resp.body, out, err);
    fv_aws_response_clean_up(&resp);
    fv_aws_call_clean_up(&call);
    return st;
}

fv_status fv_aws_query(struct fv_aws_client *c, const char *service, const char *operation,
                       const char *version, const struct fv_params *params, xmlDocPtr *out,
                       struct fv_error *err)
{
    struct fv_params all = {0};
    fv_params_add(&all, "Action", operation);
    fv_params_add(&all, "Version", version);
    for (size_t i = 0; params && i < params->n; i++)
        fv_params_add(&all, params->items[i].name, params->items[i].value);
    struct fv_buf body = {.secret = true};
    fv_params_encode(&all, &body);
    fv_params_clean_up(&all);

    struct fv_aws_call call = {
        .service = service,
        .operation = operation,
        .protocol = FV_PROTO_QUERY,
        .method = "POST",
        .path = "/",
        .body = {body.ptr, body.len},
    };
    fv_headers_add(&call.headers, "Content-Type",
                   "application/x-www-form-urlencoded; charset=utf-8");
    struct fv_aws_response resp = {0};
    if (out)
        *out = NULL;
    fv_status st = fv_aws_call_run(c, &call, &resp, err);
    if (st == FV_OK && out) {
        *out = fv_xml_parse((struct fv_cur){resp.body.ptr, resp.body.len}, err);
        if (!*out)
            st = err ? err->status : FV_E_PARSE;
    }
    fv_aws_response_clean_up(&resp);
    fv_aws_call_clean_up(&call);
    fv_buf_wipe(&body);
    return st;
}

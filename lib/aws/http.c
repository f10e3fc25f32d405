/* HTTP engine over curl-multi: many transfers in flight on one thread,
 * connection reuse through the multi handle's cache, timers for backoff. */
#include <fv/http.h>
#include <fv/log.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define S_DEFAULT_MAX_BODY (16u * 1024 * 1024)
/* The longest poll waits at once while the engine has a cancel flag. */
#define S_CANCEL_SLICE_MS 100

struct s_transfer {
    CURL *easy;
    struct curl_slist *hdrs;
    struct fv_http_request *req;
    struct fv_http_response *resp;
    fv_http_done_fn *done;
    void *ud;
    size_t max_body;
    size_t body_off; /* read position in req->body for byte bodies */
    bool too_large;
    bool sink_aborted;
    char errbuf[CURL_ERROR_SIZE];
    struct s_transfer *prev, *next; /* the engine's in-flight list */
};

struct s_timer {
    int64_t due;
    uint64_t seq; /* FIFO among equal due times */
    void (*fn)(void *ud);
    void *ud;
};

struct fv_http_engine {
    CURLM *multi;
    struct fv_http_options opt;
    int n_transfers;
    struct s_transfer *transfers; /* in flight, for cancellation */
    struct s_timer *timers;       /* binary min-heap on (due, seq) */
    size_t n_timers, cap_timers;
    uint64_t timer_seq;
};

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;

static void s_curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fv_http_options_default(struct fv_http_options *o)
{
    memset(o, 0, sizeof(*o));
    o->connect_timeout_ms = 3000;
    o->timeout_ms = 60000;
    o->low_speed_bytes = 1024;
    o->low_speed_secs = 30;
    o->max_host_connections = 32;
}

void fv_http_request_clean_up(struct fv_http_request *r)
{
    if (r)
        fv_headers_clean_up(&r->headers);
}

void fv_http_response_clean_up(struct fv_http_response *r)
{
    if (!r)
        return;
    fv_headers_clean_up(&r->headers);
    fv_buf_wipe(&r->body);
    r->status = 0;
}

struct fv_http_engine *fv_http_engine_new(const struct fv_http_options *o)
{
    pthread_once(&s_curl_once, s_curl_init);
    struct fv_http_engine *e = fv_calloc(1, sizeof(*e));
    if (o)
        e->opt = *o;
    else
        fv_http_options_default(&e->opt);
    e->multi = curl_multi_init();
    if (!e->multi)
        abort();
    curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      (long)(e->opt.max_host_connections > 0 ? e->opt.max_host_connections : 32));
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, 64L);
    return e;
}

bool fv_http_engine_cancelled(const struct fv_http_engine *e)
{
    return e->opt.cancel && atomic_load(e->opt.cancel);
}

static void s_transfer_free(struct s_transfer *t)
{
    curl_easy_cleanup(t->easy);
    for (struct curl_slist *l = t->hdrs; l; l = l->next)
        fv_wipe(l->data, strlen(l->data)); /* Authorization, X-Amz-Security-Token */
    curl_slist_free_all(t->hdrs);
    free(t);
}

void fv_http_engine_destroy(struct fv_http_engine *e)
{
    if (!e)
        return;
    /* Cancel transfers still in flight: their callbacks are not called. */
    while (e->transfers) {
        struct s_transfer *t = e->transfers;
        e->transfers = t->next;
        curl_multi_remove_handle(e->multi, t->easy);
        s_transfer_free(t);
    }
    curl_multi_cleanup(e->multi);
    free(e->timers);
    free(e);
}

static size_t s_on_header(char *data, size_t size, size_t nitems, void *ud)
{
    struct s_transfer *t = ud;
    size_t n = size * nitems;
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new status line (100-continue, redirect): headers start over. */
        fv_headers_clean_up(&t->resp->headers);
        return n;
    }
    const char *colon = memchr(data, ':', n);
    if (!colon)
        return n;
    size_t name_len = (size_t)(colon - data);
    const char *v = colon + 1;
    const char *end = data + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    char *name = fv_strndup(data, name_len);
    char *value = fv_strndup(v, (size_t)(end - v));
    fv_headers_add(&t->resp->headers, name, value);
    free(name);
    free(value);
    return n;
}

static size_t s_on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct s_transfer *t = ud;
    size_t n = size * nmemb;
    if (t->req->write_body) {
        long status = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        /* Error bodies are small and always collected, so they can be decoded;
         * only a successful body streams to the sink. */
        if (status < 300) {
            size_t w = t->req->write_body(t->req->write_ud, data, n);
            if (w != n)
                t->sink_aborted = true;
            return w;
        }
    }
    if (t->resp->body.len + n > t->max_body) {
        t->too_large = true;
        return 0;
    }
    /* Collected bodies are API answers: credentials (STS, IMDS, container),
     * presigned URLs, tokens. Every one is wiped, not only the known ones. */
    t->resp->body.secret = true;
    fv_buf_append(&t->resp->body, data, n);
    return n;
}

static size_t s_on_read(char *dst, size_t size, size_t nitems, void *ud)
{
    struct s_transfer *t = ud;
    size_t n = size * nitems;
    if (t->req->read_body)
        return t->req->read_body(t->req->read_ud, dst, n);
    size_t left = t->req->body.len - t->body_off;
    if (n > left)
        n = left;
    memcpy(dst, t->req->body.ptr + t->body_off, n);
    t->body_off += n;
    return n;
}

static void s_setup(struct fv_http_engine *e, struct s_transfer *t)
{
    struct fv_http_request *req = t->req;
    CURL *c = t->easy;
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_PRIVATE, t);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, e->opt.connect_timeout_ms);
    /* A bulk transfer lasts as long as its size needs: it is bounded by a
     * speed floor, not a whole-request timeout. */
    bool bulk = req->bulk || req->read_body || req->write_body;
    long timeout = req->timeout_ms ? req->timeout_ms : bulk ? 0 : e->opt.timeout_ms;
    if (timeout > 0)
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    if (bulk && e->opt.low_speed_bytes > 0 && e->opt.low_speed_secs > 0) {
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, e->opt.low_speed_bytes);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, e->opt.low_speed_secs);
    }
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, e->opt.insecure ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, e->opt.insecure ? 0L : 2L);
    if (e->opt.ca_bundle)
        curl_easy_setopt(c, CURLOPT_CAINFO, e->opt.ca_bundle);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    if (e->opt.no_proxy)
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    /* Only http and https, engine-wide: a URL from a response (a
     * DownloadUrl) can never make curl speak file://, gopher://, dict://...
     * Redirects are not followed; were one ever, https only. */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    /* Send the path exactly as signed: S3 keys may hold "/../" and "//". */
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);

    const char *method = req->method ? req->method : "GET";
    bool has_body = req->read_body || req->body.len > 0;
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (has_body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
        /* Every body goes through the read callback, so byte and streamed
         * bodies take one path; the length is always given when known. */
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, s_on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, t);
        int64_t len = req->read_body ? req->body_len : (int64_t)req->body.len;
        if (len >= 0)
            curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }

    for (size_t i = 0; i < req->headers.n; i++) {
        struct fv_buf line = {.secret = true};
        fv_buf_printf(&line, "%s: %s", req->headers.items[i].name, req->headers.items[i].value);
        t->hdrs = curl_slist_append(t->hdrs, line.ptr);
        fv_buf_clean_up(&line);
    }
    /* curl adds headers of its own that would change what was signed or
     * what the server stores: no Expect: 100-continue, and no default
     * Content-Type (curl's form type makes some servers store nothing). */
    t->hdrs = curl_slist_append(t->hdrs, "Expect:");
    if (!fv_headers_get(&req->headers, "Content-Type"))
        t->hdrs = curl_slist_append(t->hdrs, "Content-Type:");
    if (!fv_headers_get(&req->headers, "Accept"))
        t->hdrs = curl_slist_append(t->hdrs, "Accept:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->hdrs);
}

void fv_http_engine_submit(struct fv_http_engine *e, struct fv_http_request *req,
                           struct fv_http_response *resp, fv_http_done_fn *done, void *ud)
{
    struct s_transfer *t = fv_calloc(1, sizeof(*t));
    t->easy = curl_easy_init();
    if (!t->easy)
        abort();
    t->req = req;
    t->resp = resp;
    t->done = done;
    t->ud = ud;
    t->max_body = req->max_body ? req->max_body : S_DEFAULT_MAX_BODY;
    fv_http_response_clean_up(resp);
    s_setup(e, t);
    curl_multi_add_handle(e->multi, t->easy);
    t->next = e->transfers;
    if (e->transfers)
        e->transfers->prev = t;
    e->transfers = t;
    e->n_transfers++;
}

static bool s_timer_less(const struct s_timer *a, const struct s_timer *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

void fv_http_engine_after(struct fv_http_engine *e, int64_t delay_ms, void (*fn)(void *ud),
                          void *ud)
{
    if (e->n_timers == e->cap_timers) {
        e->cap_timers = e->cap_timers ? e->cap_timers * 2 : 16;
        e->timers = fv_realloc(e->timers, e->cap_timers * sizeof(*e->timers));
    }
    size_t i = e->n_timers++;
    e->timers[i] =
        (struct s_timer){s_mono_ms() + (delay_ms > 0 ? delay_ms : 0), e->timer_seq++, fn, ud};
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!s_timer_less(&e->timers[i], &e->timers[parent]))
            break;
        struct s_timer tmp = e->timers[i];
        e->timers[i] = e->timers[parent];
        e->timers[parent] = tmp;
        i = parent;
    }
}

static struct s_timer s_timer_pop(struct fv_http_engine *e)
{
    struct s_timer top = e->timers[0];
    e->timers[0] = e->timers[--e->n_timers];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < e->n_timers && s_timer_less(&e->timers[l], &e->timers[m]))
            m = l;
        if (r < e->n_timers && s_timer_less(&e->timers[r], &e->timers[m]))
            m = r;
        if (m == i)
            break;
        struct s_timer tmp = e->timers[i];
        e->timers[i] = e->timers[m];
        e->timers[m] = tmp;
        i = m;
    }
    return top;
}

/* Takes t out of the multi handle and the in-flight list. */
static void s_unlink(struct fv_http_engine *e, struct s_transfer *t)
{
    curl_multi_remove_handle(e->multi, t->easy);
    if (t->prev)
        t->prev->next = t->next;
    else
        e->transfers = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
    e->n_transfers--;
}

/* Frees an unlinked t, then tells its owner (who may submit more). */
static void s_complete(struct s_transfer *t, const struct fv_error *errp)
{
    fv_http_done_fn *done = t->done;
    void *ud = t->ud;
    struct fv_http_response *resp = t->resp;
    s_transfer_free(t);
    done(ud, resp, errp);
}

static void s_finish(struct fv_http_engine *e, CURL *easy, CURLcode rc)
{
    struct s_transfer *t = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
    s_unlink(e, t);

    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    t->resp->status = (int)status;

    struct fv_error err;
    const struct fv_error *errp = NULL;
    if (rc != CURLE_OK) {
        errp = &err;
        const char *detail = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
        if (t->too_large) {
            fv_error_set(&err, FV_E_NET, "response body larger than %zu bytes from %s", t->max_body,
                         t->req->url);
        } else if (t->sink_aborted) {
            fv_error_set(&err, FV_E_IO, "response body sink stopped the transfer from %s",
                         t->req->url);
        } else if (rc == CURLE_OPERATION_TIMEDOUT) {
            fv_error_set(&err, FV_E_TIMEOUT, "request to %s timed out: %s", t->req->url, detail);
            err.retryable = true;
        } else {
            fv_error_set(&err, FV_E_NET, "request to %s failed: %s", t->req->url, detail);
            switch (rc) {
            case CURLE_COULDNT_CONNECT:
            case CURLE_COULDNT_RESOLVE_HOST:
            case CURLE_RECV_ERROR:
            case CURLE_SEND_ERROR:
            case CURLE_GOT_NOTHING:
            case CURLE_PARTIAL_FILE:
            case CURLE_SSL_CONNECT_ERROR:
            case CURLE_HTTP2:
            case CURLE_HTTP2_STREAM: err.retryable = true; break;
            default: break;
            }
        }
        err.http_status = (int)status;
    }
    s_complete(t, errp);
}

/* Fails the transfers in flight now with FV_E_CANCELLED; ones their
 * callbacks submit are failed by the next poll. */
static void s_cancel_transfers(struct fv_http_engine *e)
{
    size_t n = (size_t)e->n_transfers, i = 0;
    struct s_transfer **all = fv_calloc(n ? n : 1, sizeof(*all));
    for (struct s_transfer *t = e->transfers; t && i < n; t = t->next)
        all[i++] = t;
    for (size_t k = 0; k < i; k++)
        s_unlink(e, all[k]);
    for (size_t k = 0; k < i; k++) {
        struct fv_error err;
        fv_error_set(&err, FV_E_CANCELLED, "request to %s cancelled", all[k]->req->url);
        s_complete(all[k], &err);
    }
    free(all);
}

int fv_http_engine_poll(struct fv_http_engine *e, int wait_ms)
{
    int running = 0;
    curl_multi_perform(e->multi, &running);
    /* Transfers that ended in that perform are collected now, not after a
     * wait on sockets they no longer have (up to wait_ms per answer). */
    if (running < e->n_transfers)
        wait_ms = 0;
    if (e->opt.cancel && wait_ms > S_CANCEL_SLICE_MS)
        wait_ms = S_CANCEL_SLICE_MS;
    if (fv_http_engine_cancelled(e) && (e->n_transfers > 0 || e->n_timers > 0))
        wait_ms = 0; /* there is work to fail now */

    int64_t now = s_mono_ms();
    if (e->n_timers > 0) {
        int64_t until = e->timers[0].due - now;
        if (until < wait_ms)
            wait_ms = until < 0 ? 0 : (int)until;
    }
    if (e->n_transfers > 0 || wait_ms > 0) {
        long curl_timeout = -1;
        curl_multi_timeout(e->multi, &curl_timeout);
        if (e->n_transfers > 0 && curl_timeout >= 0 && curl_timeout < wait_ms)
            wait_ms = (int)curl_timeout;
        curl_multi_poll(e->multi, NULL, 0, wait_ms, NULL);
        curl_multi_perform(e->multi, &running);
    }

    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(e->multi, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE)
            s_finish(e, msg->easy_handle, msg->data.result);
    }

    now = s_mono_ms();
    /* Cancelled: every timer is due, so a backoff ends now and its callback
     * sees the cancellation; the ones they add run on the next poll. */
    bool cancelled = fv_http_engine_cancelled(e);
    size_t budget = cancelled ? e->n_timers : SIZE_MAX;
    if (cancelled)
        s_cancel_transfers(e);
    /* Run the timers due now; ones they add for later wait for the next poll. */
    while (budget-- > 0 && e->n_timers > 0 && (cancelled || e->timers[0].due <= now)) {
        struct s_timer t = s_timer_pop(e);
        t.fn(t.ud);
    }
    return e->n_transfers + (int)e->n_timers;
}

void fv_http_engine_wakeup(struct fv_http_engine *e)
{
    curl_multi_wakeup(e->multi);
}

struct s_simple {
    bool finished;
    struct fv_error err;
    bool failed;
};

static void s_simple_done(void *ud, struct fv_http_response *resp, const struct fv_error *err)
{
    (void)resp;
    struct s_simple *s = ud;
    s->finished = true;
    if (err) {
        s->err = *err;
        s->failed = true;
    }
}

fv_status fv_http_simple(const struct fv_http_options *o, struct fv_http_request *req,
                         struct fv_http_response *resp, struct fv_error *err)
{
    struct fv_http_engine *e = fv_http_engine_new(o);
    struct s_simple s = {0};
    fv_http_engine_submit(e, req, resp, s_simple_done, &s);
    while (!s.finished)
        fv_http_engine_poll(e, 1000);
    fv_http_engine_destroy(e);
    if (s.failed) {
        if (err)
            *err = s.err;
        return s.err.status;
    }
    return FV_OK;
}

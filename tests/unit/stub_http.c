/* The local HTTP stub; see stub_http.h. Included by the test programs that
 * use it (see the note there). */
#include "stub_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct s_stub_route {
    char *method;
    char *path;
    char *target;
    int status;
    char *body;
    struct fv_headers headers;
    char *require_header;
    int times;
    int used;
    int delay_ms;
    int chunk_bytes;
    int chunk_delay_ms;
};

struct stub_http {
    struct MHD_Daemon *daemon;
    int port;
    char url[64];
    pthread_mutex_t lock; /* guards routes and reqs */
    struct s_stub_route *routes;
    size_t n_routes;
    struct stub_http_req **reqs;
    size_t n_reqs;
    atomic_bool stopping; /* ends the waits of connections still open */
};

/* A body sent in pieces (stub_http_route.chunk_bytes). */
struct s_stub_trickle {
    struct stub_http *s;
    char *body;
    size_t len;
    int chunk_bytes;
    int chunk_delay_ms;
};

/* Per-connection state while a request arrives. */
struct s_stub_conn {
    struct stub_http_req *req;
};

static void s_stub_req_free(struct stub_http_req *r)
{
    if (!r)
        return;
    free(r->method);
    free(r->path);
    free(r->query);
    fv_headers_clean_up(&r->headers);
    fv_buf_clean_up(&r->body);
    free(r);
}

static enum MHD_Result s_stub_header_it(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
    (void)kind;
    fv_headers_add(cls, key, value ? value : "");
    return MHD_YES;
}

static enum MHD_Result s_stub_query_it(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    struct fv_buf *b = cls;
    if (b->len)
        fv_buf_append_char(b, '&');
    fv_buf_append_str(b, key);
    if (value) {
        fv_buf_append_char(b, '=');
        fv_buf_append_str(b, value);
    }
    return MHD_YES;
}

/* Sleeps ms in slices; false when the stub stopped meanwhile. */
static bool s_stub_sleep_ms(struct stub_http *s, int ms)
{
    while (ms > 0 && !atomic_load(&s->stopping)) {
        int slice = ms < 20 ? ms : 20;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)slice * 1000000L};
        while (nanosleep(&ts, &ts) != 0) {
        }
        ms -= slice;
    }
    return !atomic_load(&s->stopping);
}

static ssize_t s_stub_trickle_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct s_stub_trickle *t = cls;
    if (pos >= t->len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (pos > 0 && !s_stub_sleep_ms(t->s, t->chunk_delay_ms))
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = t->len - (size_t)pos;
    if (n > (size_t)t->chunk_bytes)
        n = (size_t)t->chunk_bytes;
    if (n > max)
        n = max;
    memcpy(buf, t->body + pos, n);
    return (ssize_t)n;
}

static void s_stub_trickle_free(void *cls)
{
    struct s_stub_trickle *t = cls;
    free(t->body);
    free(t);
}

static enum MHD_Result s_stub_answer(struct stub_http *s, struct MHD_Connection *conn,
                                     struct stub_http_req *req)
{
    int status = 404, delay = 0, chunk_bytes = 0, chunk_delay_ms = 0;
    struct fv_buf body = {0};
    struct fv_headers headers = {0};

    pthread_mutex_lock(&s->lock);
    req->route = -1;
    for (size_t i = 0; i < s->n_routes; i++) {
        struct s_stub_route *r = &s->routes[i];
        if (r->method && strcmp(r->method, req->method) != 0)
            continue;
        if (r->path && strcmp(r->path, req->path) != 0)
            continue;
        const char *target = fv_headers_get(&req->headers, "X-Amz-Target");
        if (r->target && (!target || strcmp(r->target, target) != 0))
            continue;
        if (r->times && r->used >= r->times)
            continue;
        r->used++;
        req->route = (int)i;
        delay = r->delay_ms;
        chunk_bytes = r->chunk_bytes;
        chunk_delay_ms = r->chunk_delay_ms;
        if (r->require_header && !fv_headers_get(&req->headers, r->require_header)) {
            status = 401;
            fv_buf_printf(&body, "missing header %s", r->require_header);
            break;
        }
        status = r->status ? r->status : 200;
        fv_buf_append_str(&body, r->body ? r->body : "");
        for (size_t j = 0; j < r->headers.n; j++)
            fv_headers_add(&headers, r->headers.items[j].name, r->headers.items[j].value);
        break;
    }
    if (req->route < 0)
        fv_buf_printf(&body, "no stub route for %s %s", req->method, req->path);
    s->reqs = fv_realloc(s->reqs, (s->n_reqs + 1) * sizeof(*s->reqs));
    s->reqs[s->n_reqs++] = req;
    pthread_mutex_unlock(&s->lock);

    if (delay > 0)
        s_stub_sleep_ms(s, delay);
    struct MHD_Response *resp;
    if (chunk_bytes > 0) {
        struct s_stub_trickle *t = fv_calloc(1, sizeof(*t));
        t->s = s;
        t->len = body.len;
        t->body = fv_buf_detach(&body);
        t->chunk_bytes = chunk_bytes;
        t->chunk_delay_ms = chunk_delay_ms;
        resp = MHD_create_response_from_callback(t->len, (size_t)chunk_bytes, s_stub_trickle_read,
                                                 t, s_stub_trickle_free);
    } else {
        resp = MHD_create_response_from_buffer(body.len, body.ptr ? body.ptr : (void *)"",
                                               MHD_RESPMEM_MUST_COPY);
    }
    for (size_t j = 0; j < headers.n; j++)
        MHD_add_response_header(resp, headers.items[j].name, headers.items[j].value);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned int)status, resp);
    MHD_destroy_response(resp);
    fv_buf_clean_up(&body);
    fv_headers_clean_up(&headers);
    return ret;
}

static enum MHD_Result s_stub_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    (void)version;
    struct stub_http *s = cls;
    struct s_stub_conn *c = *con_cls;

    if (!c) {
        c = fv_calloc(1, sizeof(*c));
        c->req = fv_calloc(1, sizeof(*c->req));
        c->req->method = fv_strdup(method);
        c->req->path = fv_strdup(url);
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_data_size) {
        fv_buf_append(&c->req->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct stub_http_req *req = c->req;
    c->req = NULL; /* the log owns it now */
    struct fv_buf q = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, s_stub_header_it, &req->headers);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, s_stub_query_it, &q);
    req->query = q.ptr ? fv_buf_detach(&q) : fv_strdup("");
    return s_stub_answer(s, conn, req);
}

static void s_stub_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                             enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct s_stub_conn *c = *con_cls;
    if (!c)
        return;
    s_stub_req_free(c->req);
    free(c);
    *con_cls = NULL;
}

struct stub_http *stub_http_start(void)
{
    struct stub_http *s = fv_calloc(1, sizeof(*s));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pthread_mutex_init(&s->lock, NULL);
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0,
        NULL, NULL, s_stub_handler, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, s_stub_completed, s, MHD_OPTION_END);
    if (!s->daemon) {
        fprintf(stderr, "stub_http: cannot start libmicrohttpd on 127.0.0.1\n");
        abort();
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? (int)info->port : 0;
    if (s->port <= 0) {
        fprintf(stderr, "stub_http: no bound port\n");
        abort();
    }
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
    return s;
}

static void s_stub_clear_locked(struct stub_http *s)
{
    for (size_t i = 0; i < s->n_routes; i++) {
        struct s_stub_route *r = &s->routes[i];
        free(r->method);
        free(r->path);
        free(r->target);
        free(r->body);
        free(r->require_header);
        fv_headers_clean_up(&r->headers);
    }
    free(s->routes);
    s->routes = NULL;
    s->n_routes = 0;
    for (size_t i = 0; i < s->n_reqs; i++)
        s_stub_req_free(s->reqs[i]);
    free(s->reqs);
    s->reqs = NULL;
    s->n_reqs = 0;
}

void stub_http_stop(struct stub_http *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    MHD_stop_daemon(s->daemon);
    s_stub_clear_locked(s);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

const char *stub_http_url(const struct stub_http *s)
{
    return s->url;
}

int stub_http_port(const struct stub_http *s)
{
    return s->port;
}

int stub_http_add(struct stub_http *s, const struct stub_http_route *r)
{
    pthread_mutex_lock(&s->lock);
    s->routes = fv_realloc(s->routes, (s->n_routes + 1) * sizeof(*s->routes));
    struct s_stub_route *d = &s->routes[s->n_routes];
    *d = (struct s_stub_route){
        .method = fv_strdup(r->method),
        .path = fv_strdup(r->path),
        .target = fv_strdup(r->target),
        .status = r->status,
        .body = fv_strdup(r->body),
        .require_header = fv_strdup(r->require_header),
        .times = r->times,
        .delay_ms = r->delay_ms,
        .chunk_bytes = r->chunk_bytes,
        .chunk_delay_ms = r->chunk_delay_ms,
    };
    for (const char *const *h = r->headers; h && h[0] && h[1]; h += 2)
        fv_headers_add(&d->headers, h[0], h[1]);
    int idx = (int)s->n_routes++;
    pthread_mutex_unlock(&s->lock);
    return idx;
}

void stub_http_reset(struct stub_http *s)
{
    pthread_mutex_lock(&s->lock);
    s_stub_clear_locked(s);
    pthread_mutex_unlock(&s->lock);
}

size_t stub_http_count(struct stub_http *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->n_reqs;
    pthread_mutex_unlock(&s->lock);
    return n;
}

const struct stub_http_req *stub_http_req(struct stub_http *s, size_t i)
{
    pthread_mutex_lock(&s->lock);
    const struct stub_http_req *r = i < s->n_reqs ? s->reqs[i] : NULL;
    pthread_mutex_unlock(&s->lock);
    return r;
}

size_t stub_http_count_matching(struct stub_http *s, const char *method, const char *path)
{
    size_t n = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_reqs; i++) {
        if (method && strcmp(s->reqs[i]->method, method) != 0)
            continue;
        if (path && strcmp(s->reqs[i]->path, path) != 0)
            continue;
        n++;
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

static int s_stub_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char *s_stub_form_decode(const char *p, size_t n)
{
    struct fv_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '+') {
            fv_buf_append_char(&b, ' ');
        } else if (p[i] == '%' && i + 2 < n && s_stub_hex(p[i + 1]) >= 0 &&
                   s_stub_hex(p[i + 2]) >= 0) {
            fv_buf_append_char(&b, (char)(s_stub_hex(p[i + 1]) * 16 + s_stub_hex(p[i + 2])));
            i += 2;
        } else {
            fv_buf_append_char(&b, p[i]);
        }
    }
    return fv_buf_detach(&b);
}

char *stub_http_form_get(const struct stub_http_req *r, const char *name)
{
    const char *p = fv_buf_str(&r->body);
    size_t nlen = strlen(name);
    while (*p) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        char *key = s_stub_form_decode(p, klen);
        bool hit = strlen(key) == nlen && memcmp(key, name, nlen) == 0;
        free(key);
        if (hit)
            return eq ? s_stub_form_decode(eq + 1, len - klen - 1) : fv_strdup("");
        p += len;
        if (*p == '&')
            p++;
    }
    return NULL;
}

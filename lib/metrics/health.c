/* The health and metrics HTTP server (see fv/health.h). */
#include <fv/health.h>

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_TEXT_PLAIN "text/plain; charset=utf-8"

struct fv_health {
    struct MHD_Daemon *daemon;
    uint16_t port;
    struct fv_metrics *metrics;
    fv_health_ready_fn *ready;
    void *ready_ud;
};

/* Queues status with body (copied, or taken when owned). */
static enum MHD_Result s_reply(struct MHD_Connection *conn, unsigned int status,
                               const char *content_type, char *body, size_t len, bool owned)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (!resp) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result s_text(struct MHD_Connection *conn, unsigned int status, const char *text)
{
    return s_reply(conn, status, S_TEXT_PLAIN, (char *)text, strlen(text), false);
}

static enum MHD_Result s_readyz(struct fv_health *h, struct MHD_Connection *conn)
{
    struct fv_buf reason = {0};
    if (!h->ready || h->ready(h->ready_ud, &reason)) {
        fv_buf_clean_up(&reason);
        return s_text(conn, MHD_HTTP_OK, "ok");
    }
    if (reason.len == 0)
        fv_buf_append_str(&reason, "not ready");
    size_t len = reason.len;
    return s_reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, S_TEXT_PLAIN, fv_buf_detach(&reason), len,
                   true);
}

static enum MHD_Result s_metrics(struct fv_health *h, struct MHD_Connection *conn)
{
    struct fv_buf out = {0};
    fv_metrics_render(h->metrics, &out);
    size_t len = out.len;
    return s_reply(conn, MHD_HTTP_OK, FV_METRICS_CONTENT_TYPE, fv_buf_detach(&out), len, true);
}

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    struct fv_health *h = cls;
    static int s_seen;

    /* The first call has only the headers; answer on the next one, after any
     * body (ignored) has been read. */
    if (!*con_cls) {
        *con_cls = &s_seen;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
    if (strcmp(url, "/healthz") == 0)
        return s_text(conn, MHD_HTTP_OK, "ok");
    if (strcmp(url, "/readyz") == 0)
        return s_readyz(h, conn);
    if (strcmp(url, "/metrics") == 0 && h->metrics)
        return s_metrics(h, conn);
    return s_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* Binds and listens: *fd is the socket. */
static fv_status s_listen(const char *addr, uint16_t port, int *fd_out, bool *v6, uint16_t *bound,
                          struct fv_error *err)
{
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

    if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        sl = sizeof(*sin);
        *v6 = false;
    } else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        sl = sizeof(*sin6);
        *v6 = true;
    } else {
        return fv_error_set(err, FV_E_INVALID,
                            "health server: bind address '%s' is not an IPv4 or IPv6 address",
                            addr);
    }

    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fv_error_set(err, FV_E_IO, "health server: socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (*v6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0) {
        fv_status st =
            fv_error_set(err, FV_E_IO, "health server: cannot listen on %s%s%s:%u: %s",
                         *v6 ? "[" : "", addr, *v6 ? "]" : "", (unsigned)port, strerror(errno));
        close(fd);
        return st;
    }
    sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        fv_status st =
            fv_error_set(err, FV_E_IO, "health server: getsockname: %s", strerror(errno));
        close(fd);
        return st;
    }
    *bound = ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
    *fd_out = fd;
    return FV_OK;
}

fv_status fv_health_start(const struct fv_health_options *o, struct fv_health **out,
                          struct fv_error *err)
{
    const char *addr = o->bind_address && *o->bind_address ? o->bind_address : "0.0.0.0";
    bool v6 = false;
    uint16_t bound = 0;
    int fd = -1;

    *out = NULL;
    fv_status st = s_listen(addr, o->port, &fd, &v6, &bound, err);
    if (st != FV_OK)
        return st;

    struct fv_health *h = fv_calloc(1, sizeof(*h));
    h->port = bound;
    h->metrics = o->metrics;
    h->ready = o->ready;
    h->ready_ud = o->ready_ud;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC;
    if (v6)
        flags |= MHD_USE_IPv6;
    h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, s_handler, h, MHD_OPTION_LISTEN_SOCKET, fd,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64, MHD_OPTION_END);
    if (!h->daemon) {
        close(fd);
        free(h);
        return fv_error_set(err, FV_E_IO, "health server: libmicrohttpd did not start on %s:%u",
                            addr, (unsigned)bound);
    }
    *out = h;
    return FV_OK;
}

uint16_t fv_health_port(const struct fv_health *h)
{
    return h->port;
}

void fv_health_stop(struct fv_health *h)
{
    if (!h)
        return;
    if (h->daemon)
        MHD_stop_daemon(h->daemon); /* joins the thread and closes the listening socket */
    free(h);
}

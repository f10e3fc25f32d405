/* The health and metrics HTTP server (libmicrohttpd, one internal thread):
 *
 *   GET /healthz  200 "ok" while the process lives (liveness probe)
 *   GET /readyz   200 "ok" when the readiness callback says ready, else 503
 *                 with the callback's reason as the body (readiness probe)
 *   GET /metrics  200, the registry in the Prometheus text format 0.0.4,
 *                 Content-Type FV_METRICS_CONTENT_TYPE
 *
 * HEAD works wherever GET does; other methods get 405, other paths 404.
 * Bodies are text/plain. The query string is ignored. */
#ifndef FV_HEALTH_H
#define FV_HEALTH_H

#include <fv/common.h>
#include <fv/metrics.h>

/* Says whether the process is ready to serve; when not, appends a short
 * reason (one line, e.g. "kafka: no partitions assigned") to reason.
 * Called from the server thread, once per /readyz request: it must be
 * thread-safe and quick (read a flag; do not do I/O). */
typedef bool fv_health_ready_fn(void *ud, struct fv_buf *reason);

struct fv_health_options {
    /* An IPv4 or IPv6 address literal to listen on; NULL or "" → "0.0.0.0"
     * (all IPv4 interfaces: probes and scrapers reach the pod's address). */
    const char *bind_address;
    uint16_t port;              /* 0 → an ephemeral port (see fv_health_port) */
    struct fv_metrics *metrics; /* borrowed; must outlive the server; NULL → /metrics is 404 */
    fv_health_ready_fn *ready;  /* NULL → always ready */
    void *ready_ud;
};

struct fv_health;

/* Binds and starts serving. FV_E_INVALID for a bad address, FV_E_IO when the
 * socket cannot be bound (the message names address, port and errno text).
 * *out: caller owns; stop and free with fv_health_stop(). */
fv_status fv_health_start(const struct fv_health_options *o, struct fv_health **out,
                          struct fv_error *err);

/* The port actually bound (the ephemeral one when the option was 0). */
uint16_t fv_health_port(const struct fv_health *h);

/* Stops the server (waits for its thread, closes the socket) and frees it.
 * NULL-safe. */
void fv_health_stop(struct fv_health *h);

#endif

/* The curl-multi engine against a loopback stub: many transfers in flight on
 * one thread, streamed bodies both ways, body caps, timers, transport errors
 * classified for retry, bulk transfers bounded by speed rather than duration,
 * and the cancel flag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stub_http.c"

#include <fv/clock.h>
#include <fv/config.h>
#include <fv/fleet.h>
#include <fv/http.h>

#include <json-c/json.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct s_done {
    int finished;
    int failed;
    struct fv_error last_err;
};

static void s_on_done(void *ud, struct fv_http_response *resp, const struct fv_error *err)
{
    (void)resp;
    struct s_done *d = ud;
    d->finished++;
    if (err) {
        d->failed++;
        d->last_err = *err;
    }
}

static void test_many_in_flight_on_one_thread(void **state)
{
    (void)state;
    struct stub_http *s = stub_http_start();
    stub_http_add(s, &(struct stub_http_route){.path = "/slow", .body = "ok", .delay_ms = 300});
    struct fv_http_engine *e = fv_http_engine_new(NULL);
    enum { N = 8 };
    struct fv_http_request req[N];
    struct fv_http_response resp[N];
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s/slow", stub_http_url(s));
    struct s_done d = {0};
    int64_t t0 = fv_clock_mono_ms(fv_clock_system());
    for (int i = 0; i < N; i++) {
        req[i] = (struct fv_http_request){.method = "GET", .url = url.ptr};
        resp[i] = (struct fv_http_response){0};
        fv_http_engine_submit(e, &req[i], &resp[i], s_on_done, &d);
    }
    while (fv_http_engine_poll(e, 100) > 0) {
    }
    int64_t took = fv_clock_mono_ms(fv_clock_system()) - t0;
    assert_int_equal(d.finished, N);
    assert_int_equal(d.failed, 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(resp[i].status, 200);
        assert_string_equal(fv_buf_str(&resp[i].body), "ok");
        fv_http_response_clean_up(&resp[i]);
        fv_http_request_clean_up(&req[i]);
    }
    /* One after another would take N * 300 ms = 2.4 s. */
    if (took > 1500)
        fail_msg("%d transfers of 300 ms took %lld ms: not concurrent", N, (long long)took);
    fv_http_engine_destroy(e);
    fv_buf_clean_up(&url);
    stub_http_stop(s);
}

struct s_reader {
    size_t left;
    size_t chunks;
};

static size_t s_read(void *ud, char *dst, size_t n)
{
    struct s_reader *r = ud;
    if (n > r->left)
        n = r->left;
    if (n > 1000)
        n = 1000; /* small pieces: proves the body is pulled, not buffered */
    memset(dst, 'x', n);
    r->left -= n;
    r->chunks++;
    return n;
}

struct s_sink {
    size_t bytes;
    size_t calls;
};

static size_t s_write(void *ud, const char *data, size_t n)
{
    (void)data;
    struct s_sink *k = ud;
    k->bytes += n;
    k->calls++;
    return n;
}

static void test_streaming_both_ways(void **state)
{
    (void)state;
    struct stub_http *s = stub_http_start();
    static char big[200000];
    memset(big, 'y', sizeof(big) - 1);
    stub_http_add(s, &(struct stub_http_route){.method = "PUT", .path = "/up", .status = 200});
    stub_http_add(s, &(struct stub_http_route){.method = "GET", .path = "/down", .body = big});
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s/up", stub_http_url(s));

    struct s_reader r = {.left = 50000};
    struct fv_http_request req = {
        .method = "PUT", .url = url.ptr, .read_body = s_read, .read_ud = &r, .body_len = 50000};
    fv_headers_add(&req.headers, "x-amz-meta-test", "1");
    struct fv_http_response resp = {0};
    struct fv_error err;
    assert_int_equal(fv_http_simple(NULL, &req, &resp, &err), FV_OK);
    assert_int_equal(resp.status, 200);
    assert_true(r.chunks >= 50);
    const struct stub_http_req *got = stub_http_req(s, 0);
    assert_int_equal(got->body.len, 50000);
    assert_string_equal(fv_headers_get(&got->headers, "Content-Length"), "50000");
    /* curl must not add headers that change what was signed or stored. */
    assert_null(fv_headers_get(&got->headers, "Content-Type"));
    assert_null(fv_headers_get(&got->headers, "Expect"));
    fv_http_request_clean_up(&req);
    fv_http_response_clean_up(&resp);

    fv_buf_reset(&url);
    fv_buf_printf(&url, "%s/down", stub_http_url(s));
    struct s_sink k = {0};
    req = (struct fv_http_request){
        .method = "GET", .url = url.ptr, .write_body = s_write, .write_ud = &k};
    assert_int_equal(fv_http_simple(NULL, &req, &resp, &err), FV_OK);
    assert_int_equal(k.bytes, sizeof(big) - 1);
    assert_int_equal(resp.body.len, 0); /* streamed, not collected */
    fv_http_response_clean_up(&resp);

    /* Collected bodies are capped. */
    req = (struct fv_http_request){.method = "GET", .url = url.ptr, .max_body = 1000};
    assert_int_equal(fv_http_simple(NULL, &req, &resp, &err), FV_E_NET);
    assert_non_null(strstr(err.message, "larger than 1000 bytes"));
    assert_false(err.retryable);
    fv_http_response_clean_up(&resp);
    fv_buf_clean_up(&url);
    stub_http_stop(s);
}

static void test_transport_errors_are_classified(void **state)
{
    (void)state;
    struct stub_http *s = stub_http_start();
    stub_http_add(s, &(struct stub_http_route){.path = "/hang", .delay_ms = 2000});
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s/hang", stub_http_url(s));
    struct fv_http_request req = {.method = "GET", .url = url.ptr, .timeout_ms = 200};
    struct fv_http_response resp = {0};
    struct fv_error err;
    assert_int_equal(fv_http_simple(NULL, &req, &resp, &err), FV_E_TIMEOUT);
    assert_true(err.retryable);
    fv_http_response_clean_up(&resp);
    fv_buf_clean_up(&url);

    /* Nothing listens on the stub's port once it is stopped. */
    fv_buf_printf(&url, "http://127.0.0.1:%d/", stub_http_port(s));
    stub_http_stop(s);
    req = (struct fv_http_request){.method = "GET", .url = url.ptr};
    assert_int_equal(fv_http_simple(NULL, &req, &resp, &err), FV_E_NET);
    assert_true(err.retryable);
    fv_http_response_clean_up(&resp);
    fv_buf_clean_up(&url);
}

static int s_order[4];
static int s_order_n;

static void s_timer(void *ud)
{
    s_order[s_order_n++] = (int)(intptr_t)ud;
}

static void test_timers_fire_in_order(void **state)
{
    (void)state;
    struct fv_http_engine *e = fv_http_engine_new(NULL);
    s_order_n = 0;
    int64_t t0 = fv_clock_mono_ms(fv_clock_system());
    fv_http_engine_after(e, 60, s_timer, (void *)(intptr_t)3);
    fv_http_engine_after(e, 20, s_timer, (void *)(intptr_t)1);
    fv_http_engine_after(e, 20, s_timer, (void *)(intptr_t)2);
    fv_http_engine_after(e, 0, s_timer, (void *)(intptr_t)0);
    while (fv_http_engine_poll(e, 1000) > 0) {
    }
    int64_t took = fv_clock_mono_ms(fv_clock_system()) - t0;
    assert_int_equal(s_order_n, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(s_order[i], i);
    assert_true(took >= 60);
    fv_http_engine_destroy(e);
}

/* Runs req to its end on e. */
static void s_run(struct fv_http_engine *e, struct fv_http_request *req,
                  struct fv_http_response *resp, struct s_done *d)
{
    *d = (struct s_done){0};
    fv_http_engine_submit(e, req, resp, s_on_done, d);
    while (!d->finished)
        fv_http_engine_poll(e, 1000);
}

/* A slow link as the configuration describes it: API calls get 1 s, bulk
 * transfers must keep above 1 KiB/s over 1 s; and a CA bundle. */
static const char *const s_slow_link_config =
    "{\"region\": \"us-east-1\", \"aws\": {\"request_timeout_ms\": 1000, "
    "\"low_speed_limit_bytes\": 1024, \"low_speed_time_s\": 1, "
    "\"ca_bundle\": \"/nonexistent/fleetvault-test-ca.pem\"}}";

static void test_fleet_engines_follow_the_configuration(void **state)
{
    (void)state;
    struct stub_http *s = stub_http_start();
    static char body[24 * 1024 + 1];
    memset(body, 'z', sizeof(body) - 1);
    /* 2 KiB every 200 ms: about 10 KiB/s, for more than 2 s. */
    stub_http_add(
        s, &(struct stub_http_route){
               .path = "/trickle", .body = body, .chunk_bytes = 2048, .chunk_delay_ms = 200});
    struct json_object *doc = json_tokener_parse(s_slow_link_config);
    assert_non_null(doc);
    struct fv_config cfg;
    struct fv_error err;
    assert_int_equal(fv_config_from_doc("slow.json", doc, &cfg, &err), FV_OK);
    json_object_put(doc);
    struct fv_fleet *fleet = fv_fleet_new(&cfg, &err);
    struct fv_http_engine *e = fv_fleet_engine_new(fleet);
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s/trickle", stub_http_url(s));
    struct fv_http_response resp = {0};
    struct s_done d;

    /* A download takes longer than aws.request_timeout_ms, and succeeds. */
    struct s_sink k = {0};
    struct fv_http_request req = {
        .method = "GET", .url = url.ptr, .write_body = s_write, .write_ud = &k};
    s_run(e, &req, &resp, &d);
    assert_int_equal(d.failed, 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(k.bytes, sizeof(body) - 1);
    fv_http_response_clean_up(&resp);

    /* The same body as an ordinary request (an API call) keeps it. */
    req = (struct fv_http_request){.method = "GET", .url = url.ptr};
    s_run(e, &req, &resp, &d);
    assert_int_equal(d.failed, 1);
    assert_int_equal(d.last_err.status, FV_E_TIMEOUT);
    assert_true(d.last_err.retryable);
    fv_http_response_clean_up(&resp);

    /* TLS is verified against aws.ca_bundle (here a file that is missing):
     * the TLS set-up fails naming it, before a byte is sent to the port (a
     * listening socket nobody accepts on). */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
    fv_buf_reset(&url);
    fv_buf_printf(&url, "https://127.0.0.1:%d/", ntohs(sa.sin_port));
    req = (struct fv_http_request){.method = "GET", .url = url.ptr};
    s_run(e, &req, &resp, &d);
    close(lfd);
    assert_int_equal(d.failed, 1);
    if (!strstr(d.last_err.message, "/nonexistent/fleetvault-test-ca.pem"))
        fail_msg("TLS error does not name the configured CA bundle: %s", d.last_err.message);
    fv_http_response_clean_up(&resp);

    fv_http_engine_destroy(e);

    /* A cancellable engine of the fleet's stops when its flag is set. */
    atomic_bool cancel = true;
    e = fv_fleet_engine_new_cancellable(fleet, &cancel);
    fv_buf_reset(&url);
    fv_buf_printf(&url, "%s/trickle", stub_http_url(s));
    req = (struct fv_http_request){.method = "GET", .url = url.ptr};
    s_run(e, &req, &resp, &d);
    assert_int_equal(d.last_err.status, FV_E_CANCELLED);
    fv_http_response_clean_up(&resp);
    fv_http_engine_destroy(e);
    fv_fleet_destroy(fleet);
    fv_config_clean_up(&cfg);
    fv_buf_clean_up(&url);
    stub_http_stop(s);
}

static void test_stalled_bulk_download_fails_retryable(void **state)
{
    (void)state;
    struct stub_http *s = stub_http_start();
    static char body[4096 + 1];
    memset(body, 'z', sizeof(body) - 1);
    /* 1 KiB, then nothing for a minute (the stub's stop ends the wait). */
    stub_http_add(
        s, &(struct stub_http_route){
               .path = "/stall", .body = body, .chunk_bytes = 1024, .chunk_delay_ms = 60000});
    struct fv_http_options o;
    fv_http_options_default(&o);
    o.timeout_ms = 0; /* no whole-request limit at all: only the floor can end it */
    o.low_speed_bytes = 1024;
    o.low_speed_secs = 1;
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s/stall", stub_http_url(s));
    struct s_sink k = {0};
    struct fv_http_request req = {
        .method = "GET", .url = url.ptr, .write_body = s_write, .write_ud = &k};
    struct fv_http_response resp = {0};
    struct fv_error err;
    assert_int_equal(fv_http_simple(&o, &req, &resp, &err), FV_E_TIMEOUT);
    assert_true(err.retryable);
    assert_true(k.bytes < sizeof(body) - 1);
    fv_http_response_clean_up(&resp);
    fv_buf_clean_up(&url);
    stub_http_stop(s);
}

struct s_canceller {
    atomic_bool *flag;
    int after_ms;
};

static void *s_cancel_later(void *arg)
{
    struct s_canceller *c = arg;
    struct timespec ts = {.tv_sec = c->after_ms / 1000, .tv_nsec = (c->after_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    atomic_store(c->flag, true);
    return NULL;
}

static bool s_fired;

static void s_fire(void *ud)
{
    (void)ud;
    s_fired = true;
}

static void test_cancel_ends_transfers_and_timers(void **state)
{
    (void)state;
    struct stub_http *s = stub_http_start();
    /* Answers after a minute (the stub's stop ends the wait). */
    stub_http_add(s, &(struct stub_http_route){.path = "/hang", .body = "late", .delay_ms = 60000});
    atomic_bool cancel = false;
    struct fv_http_options o;
    fv_http_options_default(&o);
    o.cancel = &cancel;
    struct fv_http_engine *e = fv_http_engine_new(&o);
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s/hang", stub_http_url(s));
    struct fv_http_request req = {.method = "GET", .url = url.ptr};
    struct fv_http_response resp = {0};
    struct s_done d = {0};
    fv_http_engine_submit(e, &req, &resp, s_on_done, &d);

    /* Set from another thread while this one is in a poll that would wait
     * a minute: the poll waits in slices and sees it. */
    struct s_canceller c = {&cancel, 100};
    pthread_t th;
    pthread_create(&th, NULL, s_cancel_later, &c);
    while (!d.finished)
        fv_http_engine_poll(e, 60000);
    pthread_join(th, NULL);
    assert_true(fv_http_engine_cancelled(e));
    assert_int_equal(d.failed, 1);
    assert_int_equal(d.last_err.status, FV_E_CANCELLED);
    assert_false(d.last_err.retryable);
    assert_non_null(strstr(d.last_err.message, "cancelled"));

    /* Later transfers fail too, and a timer (a backoff) runs now rather than
     * in ten minutes. */
    d = (struct s_done){0};
    s_fired = false;
    fv_http_engine_submit(e, &req, &resp, s_on_done, &d);
    fv_http_engine_after(e, 600000, s_fire, NULL);
    assert_int_equal(fv_http_engine_poll(e, 0), 0);
    assert_int_equal(d.failed, 1);
    assert_int_equal(d.last_err.status, FV_E_CANCELLED);
    assert_true(s_fired);

    fv_http_response_clean_up(&resp);
    fv_http_request_clean_up(&req);
    fv_http_engine_destroy(e);
    fv_buf_clean_up(&url);
    stub_http_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_in_flight_on_one_thread),
        cmocka_unit_test(test_streaming_both_ways),
        cmocka_unit_test(test_transport_errors_are_classified),
        cmocka_unit_test(test_timers_fire_in_order),
        cmocka_unit_test(test_fleet_engines_follow_the_configuration),
        cmocka_unit_test(test_stalled_bulk_download_fails_retryable),
        cmocka_unit_test(test_cancel_ends_transfers_and_timers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

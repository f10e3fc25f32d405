/* Metrics registry and the health server: exact text exposition (escaping,
 * stable order), registration rules, thread-safety with exact totals, the
 * series cap, and /healthz, /readyz, /metrics end to end over HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fv/health.h>
#include <fv/http.h>
#include <fv/metrics.h>

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define L(...) ((const char *const[]){__VA_ARGS__})

static void test_render_exact(void **state)
{
    (void)state;
    struct fv_metrics *m = fv_metrics_new(0);
    struct fv_metric *zeta, *alpha, *mid;
    /* Registered out of name order: rendering sorts families by name. */
    assert_int_equal(fv_metrics_register(m, FV_METRIC_COUNTER, "zeta_total", "Last by name.",
                                         L("path", "code", NULL), &zeta, NULL),
                     FV_OK);
    assert_int_equal(fv_metrics_register(m, FV_METRIC_GAUGE, "alpha",
                                         "Back\\slash and\nnewline; \"quotes\" stay.", NULL, &alpha,
                                         NULL),
                     FV_OK);
    assert_int_equal(
        fv_metrics_register(m, FV_METRIC_GAUGE, "mid:temp", "", L("host", NULL), &mid, NULL),
        FV_OK);

    assert_true(fv_metric_add(zeta, L("/a\\b", "200"), 2));
    assert_true(fv_metric_inc(zeta, L("say \"hi\"\nbye", "500")));
    assert_true(fv_metric_inc(zeta, L("/a", "200")));
    assert_true(fv_metric_set(alpha, NULL, -1.5));
    assert_true(fv_metric_set(mid, L("c"), HUGE_VAL));
    assert_true(fv_metric_set(mid, L("b"), 0.1));
    assert_true(fv_metric_set(mid, L("a"), 1e20));
    assert_true(fv_metric_set(mid, L("d"), 1.0 / 3.0));
    assert_true(fv_metric_set(mid, L(""), 12345678901234.0));

    struct fv_buf out = {0};
    fv_metrics_render(m, &out);
    const char *want =
        "# HELP alpha Back\\\\slash and\\nnewline; \"quotes\" stay.\n"
        "# TYPE alpha gauge\n"
        "alpha -1.5\n"
        "# HELP fleetvault_metrics_series_dropped_total Metric updates dropped because the "
        "metric reached its series cap.\n"
        "# TYPE fleetvault_metrics_series_dropped_total counter\n"
        "# TYPE mid:temp gauge\n"
        "mid:temp{host=\"\"} 12345678901234\n"
        "mid:temp{host=\"a\"} 1e+20\n"
        "mid:temp{host=\"b\"} 0.1\n"
        "mid:temp{host=\"c\"} +Inf\n"
        "mid:temp{host=\"d\"} 0.3333333333333333\n"
        "# HELP zeta_total Last by name.\n"
        "# TYPE zeta_total counter\n"
        "zeta_total{path=\"/a\",code=\"200\"} 1\n"
        "zeta_total{path=\"/a\\\\b\",code=\"200\"} 2\n"
        "zeta_total{path=\"say \\\"hi\\\"\\nbye\",code=\"500\"} 1\n";
    assert_string_equal(fv_buf_str(&out), want);

    /* Rendering again, after more updates to existing series, keeps the order. */
    assert_true(fv_metric_inc(zeta, L("/a", "200")));
    fv_buf_reset(&out);
    fv_metrics_render(m, &out);
    assert_non_null(strstr(fv_buf_str(&out), "zeta_total{path=\"/a\",code=\"200\"} 2\n"
                                             "zeta_total{path=\"/a\\\\b\",code=\"200\"} 2\n"));
    fv_buf_clean_up(&out);
    fv_metrics_destroy(m);
}

/* Label tuples sort value by value: ("a","b") before ("ab",""). */
static void test_render_tuple_order(void **state)
{
    (void)state;
    struct fv_metrics *m = fv_metrics_new(0);
    struct fv_metric *f;
    assert_int_equal(
        fv_metrics_register(m, FV_METRIC_COUNTER, "t_total", "T.", L("x", "y", NULL), &f, NULL),
        FV_OK);
    fv_metric_inc(f, L("ab", ""));
    fv_metric_inc(f, L("a", "b"));
    fv_metric_inc(f, L("a", ""));
    struct fv_buf out = {0};
    fv_metrics_render(m, &out);
    assert_non_null(strstr(fv_buf_str(&out), "t_total{x=\"a\",y=\"\"} 1\n"
                                             "t_total{x=\"a\",y=\"b\"} 1\n"
                                             "t_total{x=\"ab\",y=\"\"} 1\n"));
    fv_buf_clean_up(&out);
    fv_metrics_destroy(m);
}

static void test_register_rules(void **state)
{
    (void)state;
    struct fv_metrics *m = fv_metrics_new(0);
    struct fv_metric *f = NULL, *g = NULL;
    struct fv_error err = {0};

    const char *bad_names[] = {"", "1abc", "a-b", "a b", "é"};
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        assert_int_equal(
            fv_metrics_register(m, FV_METRIC_COUNTER, bad_names[i], "h", NULL, &f, &err),
            FV_E_INVALID);
        assert_null(f);
    }
    assert_int_equal(fv_metrics_register(m, FV_METRIC_COUNTER, NULL, "h", NULL, &f, &err),
                     FV_E_INVALID);
    assert_int_equal(
        fv_metrics_register(m, FV_METRIC_COUNTER, "ok_total", "h", L("__reserved", NULL), &f, &err),
        FV_E_INVALID);
    assert_string_equal(err.message, "metrics: ok_total: invalid label name '__reserved'");
    assert_int_equal(
        fv_metrics_register(m, FV_METRIC_COUNTER, "ok_total", "h", L("a:b", NULL), &f, &err),
        FV_E_INVALID);
    assert_int_equal(
        fv_metrics_register(m, FV_METRIC_COUNTER, "ok_total", "h", L("a", "a", NULL), &f, &err),
        FV_E_INVALID);
    assert_string_equal(err.message, "metrics: ok_total: label 'a' given twice");
    assert_int_equal(fv_metrics_register(m, FV_METRIC_COUNTER, "ok_total", "h",
                                         L("a", "b", "c", "d", "e", "f", "g", "h", "i", NULL), &f,
                                         &err),
                     FV_E_INVALID);

    /* Same name, type and labels: the same family. Otherwise an error. */
    assert_int_equal(
        fv_metrics_register(m, FV_METRIC_COUNTER, "ok_total", "h", L("a", "b", NULL), &f, &err),
        FV_OK);
    assert_int_equal(fv_metrics_register(m, FV_METRIC_COUNTER, "ok_total", "other help",
                                         L("a", "b", NULL), &g, &err),
                     FV_OK);
    assert_ptr_equal(f, g);
    assert_int_equal(
        fv_metrics_register(m, FV_METRIC_GAUGE, "ok_total", "h", L("a", "b", NULL), &g, &err),
        FV_E_INVALID);
    assert_string_equal(err.message,
                        "metrics: ok_total is already registered with another type or labels");
    assert_int_equal(
        fv_metrics_register(m, FV_METRIC_COUNTER, "ok_total", "h", L("b", "a", NULL), &g, &err),
        FV_E_INVALID);

    /* Update rules. */
    assert_false(fv_metric_set(f, L("x", "y"), 3));   /* counters are not set */
    assert_false(fv_metric_dec(f, L("x", "y")));      /* nor decremented */
    assert_false(fv_metric_add(f, L("x", "y"), -1));  /* nor lowered */
    assert_false(fv_metric_add(f, L("x", "y"), NAN)); /* nor poisoned */
    assert_false(fv_metric_inc(f, L("x", NULL)));     /* every value is needed */
    assert_false(fv_metric_inc(f, NULL));
    assert_true(fv_metric_add(f, L("x", "y"), 2.5));
    assert_true(fv_metric_inc(f, L("x", "y")));
    assert_true(fv_metric_get(f, L("x", "y")) == 3.5);
    assert_true(fv_metric_get(f, L("x", "z")) == 0);

    assert_int_equal(fv_metrics_register(m, FV_METRIC_GAUGE, "level", "h", L("a", NULL), &g, &err),
                     FV_OK);
    assert_true(fv_metric_set(g, L("x"), 10));
    assert_true(fv_metric_dec(g, L("x")));
    assert_true(fv_metric_add(g, L("x"), -4));
    assert_true(fv_metric_get(g, L("x")) == 5);
    struct fv_metric_series *s = fv_metric_series(g, L("x"));
    assert_non_null(s);
    assert_ptr_equal(s, fv_metric_series(g, L("x")));
    assert_true(fv_metric_series_set(s, 7));
    assert_true(fv_metric_series_get(s) == 7);
    assert_false(fv_metric_series_set(fv_metric_series(f, L("x", "y")), 1));
    assert_false(fv_metric_series_add(NULL, 1));

    fv_metrics_destroy(m);
    fv_metrics_destroy(NULL);
}

static void test_fleetvault_metrics(void **state)
{
    (void)state;
    struct fv_metrics *m = fv_metrics_new(0);
    struct fv_metrics_fleetvault a, b;
    fv_metrics_register_fleetvault(m, &a);
    fv_metrics_register_fleetvault(m, &b);
    assert_memory_equal(&a, &b, sizeof(a));

    fv_metric_inc(a.tasks_consumed, L("ebs_snapshot"));
    fv_metric_inc(a.aws_calls, L("s3", "PutObject"));
    fv_metric_inc(a.aws_throttles, L("dynamodb", "CreateBackup"));
    fv_metric_set(a.last_success, L("nightly"), 1717200000);
    fv_metric_inc(a.runs, L("nightly", "succeeded"));
    fv_metric_set(a.tasks_in_flight, NULL, 3);

    struct fv_buf out = {0};
    fv_metrics_render(m, &out);
    const char *s = fv_buf_str(&out);
    const char *lines[] = {
        "# TYPE fleetvault_tasks_consumed_total counter\n",
        "# TYPE fleetvault_tasks_succeeded_total counter\n",
        "# TYPE fleetvault_tasks_failed_total counter\n",
        "# TYPE fleetvault_tasks_retried_total counter\n",
        "# TYPE fleetvault_tasks_in_flight gauge\n",
        "# TYPE fleetvault_consumer_lag gauge\n",
        "# TYPE fleetvault_aws_calls_total counter\n",
        "# TYPE fleetvault_aws_throttles_total counter\n",
        "# TYPE fleetvault_last_successful_run_timestamp_seconds gauge\n",
        "# TYPE fleetvault_runs_total counter\n",
        "fleetvault_tasks_consumed_total{kind=\"ebs_snapshot\"} 1\n",
        "fleetvault_aws_calls_total{service=\"s3\",operation=\"PutObject\"} 1\n",
        "fleetvault_aws_throttles_total{service=\"dynamodb\",operation=\"CreateBackup\"} 1\n",
        "fleetvault_last_successful_run_timestamp_seconds{job=\"nightly\"} 1717200000\n",
        "fleetvault_runs_total{job=\"nightly\",outcome=\"succeeded\"} 1\n",
        "\nfleetvault_tasks_in_flight 3\n",
        "\nfleetvault_consumer_lag 0\n", /* label-less families show from the start */
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        if (!strstr(s, lines[i]))
            fail_msg("missing %s in\n%s", lines[i], s);
    fv_buf_clean_up(&out);
    fv_metrics_destroy(m);
}

/* ---- threads ---- */

#define S_THREADS 8
#define S_ITERS 20000

struct s_worker {
    struct fv_metrics *m;
    int id;
};

static atomic_bool s_stop_render;

static void *s_worker_main(void *arg)
{
    struct s_worker *w = arg;
    static const char *const kinds[] = {"ebs", "rds", "s3", "dynamodb"};
    struct fv_metric *c, *g;
    /* Every thread registers the same families: idempotent under races. */
    fv_metrics_register(w->m, FV_METRIC_COUNTER, "work_total", "Work.", L("kind", NULL), &c, NULL);
    fv_metrics_register(w->m, FV_METRIC_GAUGE, "level", "Level.", NULL, &g, NULL);
    struct fv_metric_series *mine = fv_metric_series(g, NULL);
    char own[32];
    snprintf(own, sizeof(own), "thread-%d", w->id);
    for (int i = 0; i < S_ITERS; i++) {
        fv_metric_inc(c, L(kinds[i % 4]));
        fv_metric_series_add(mine, 0.5);
        fv_metric_add(c, L(own), 1);
    }
    return NULL;
}

static void *s_render_main(void *arg)
{
    struct fv_metrics *m = arg;
    struct fv_buf out = {0};
    while (!atomic_load(&s_stop_render)) {
        fv_buf_reset(&out);
        fv_metrics_render(m, &out);
    }
    fv_buf_clean_up(&out);
    return NULL;
}

static void test_threads_exact_totals(void **state)
{
    (void)state;
    struct fv_metrics *m = fv_metrics_new(0);
    pthread_t th[S_THREADS], renderer;
    struct s_worker w[S_THREADS];
    atomic_store(&s_stop_render, false);
    assert_int_equal(pthread_create(&renderer, NULL, s_render_main, m), 0);
    for (int i = 0; i < S_THREADS; i++) {
        w[i] = (struct s_worker){m, i};
        assert_int_equal(pthread_create(&th[i], NULL, s_worker_main, &w[i]), 0);
    }
    for (int i = 0; i < S_THREADS; i++)
        pthread_join(th[i], NULL);
    atomic_store(&s_stop_render, true);
    pthread_join(renderer, NULL);

    struct fv_metric *c, *g;
    assert_int_equal(
        fv_metrics_register(m, FV_METRIC_COUNTER, "work_total", "Work.", L("kind", NULL), &c, NULL),
        FV_OK);
    assert_int_equal(fv_metrics_register(m, FV_METRIC_GAUGE, "level", "Level.", NULL, &g, NULL),
                     FV_OK);
    const char *kinds[] = {"ebs", "rds", "s3", "dynamodb"};
    for (int k = 0; k < 4; k++)
        assert_true(fv_metric_get(c, L(kinds[k])) == S_THREADS * S_ITERS / 4);
    for (int i = 0; i < S_THREADS; i++) {
        char own[32];
        snprintf(own, sizeof(own), "thread-%d", i);
        assert_true(fv_metric_get(c, L(own)) == S_ITERS);
    }
    assert_true(fv_metric_get(g, NULL) == S_THREADS * S_ITERS * 0.5);
    assert_int_equal(fv_metric_dropped(c), 0);
    fv_metrics_destroy(m);
}

/* ---- the series cap ---- */

static void test_series_cap(void **state)
{
    (void)state;
    struct fv_metrics *m = fv_metrics_new(3);
    struct fv_metric *f, *g;
    assert_int_equal(
        fv_metrics_register(m, FV_METRIC_COUNTER, "c_total", "C.", L("k", NULL), &f, NULL), FV_OK);
    assert_true(fv_metric_inc(f, L("a")));
    assert_true(fv_metric_inc(f, L("b")));
    assert_true(fv_metric_inc(f, L("c")));
    assert_false(fv_metric_inc(f, L("d")));
    assert_false(fv_metric_add(f, L("e"), 5));
    assert_null(fv_metric_series(f, L("f")));
    assert_true(fv_metric_inc(f, L("a"))); /* existing series keep counting */
    assert_true(fv_metric_get(f, L("a")) == 2);
    assert_true(fv_metric_get(f, L("d")) == 0);
    assert_int_equal(fv_metric_dropped(f), 3);

    /* The drop counter itself is not capped: four more full families. */
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof(name), "g%d", i);
        assert_int_equal(
            fv_metrics_register(m, FV_METRIC_GAUGE, name, "G.", L("k", NULL), &g, NULL), FV_OK);
        static const char *const keys[] = {"w", "x", "y", "z"};
        for (int j = 0; j < 4; j++)
            fv_metric_set(g, L(keys[j]), j);
        assert_int_equal(fv_metric_dropped(g), 1);
    }

    struct fv_buf out = {0};
    fv_metrics_render(m, &out);
    const char *want = "# TYPE fleetvault_metrics_series_dropped_total counter\n"
                       "fleetvault_metrics_series_dropped_total{metric=\"c_total\"} 3\n"
                       "fleetvault_metrics_series_dropped_total{metric=\"g0\"} 1\n"
                       "fleetvault_metrics_series_dropped_total{metric=\"g1\"} 1\n"
                       "fleetvault_metrics_series_dropped_total{metric=\"g2\"} 1\n"
                       "fleetvault_metrics_series_dropped_total{metric=\"g3\"} 1\n";
    if (!strstr(fv_buf_str(&out), want))
        fail_msg("no drop counts in\n%s", fv_buf_str(&out));
    assert_non_null(strstr(fv_buf_str(&out), "c_total{k=\"a\"} 2\n"
                                             "c_total{k=\"b\"} 1\n"
                                             "c_total{k=\"c\"} 1\n"
                                             "# HELP fleetvault_metrics_series_dropped_total"));
    fv_buf_clean_up(&out);
    fv_metrics_destroy(m);
}

/* ---- the HTTP server ---- */

static int s_count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

struct s_ready {
    atomic_bool ready;
    atomic_int calls;
};

static bool s_ready_cb(void *ud, struct fv_buf *reason)
{
    struct s_ready *r = ud;
    atomic_fetch_add(&r->calls, 1);
    if (atomic_load(&r->ready))
        return true;
    fv_buf_append_str(reason, "kafka: no partitions assigned");
    return false;
}

/* One request; the response is the caller's to clean up. */
static void s_get(const char *method, const char *host, uint16_t port, const char *path,
                  struct fv_http_response *resp)
{
    char url[128];
    snprintf(url, sizeof(url), "http://%s:%u%s", host, (unsigned)port, path);
    struct fv_http_request req = {.method = method, .url = url};
    struct fv_http_options o;
    fv_http_options_default(&o);
    o.no_proxy = true;
    struct fv_error err = {0};
    fv_http_response_clean_up(resp);
    if (fv_http_simple(&o, &req, resp, &err) != FV_OK)
        fail_msg("%s %s: %s", method, url, err.message);
    fv_http_request_clean_up(&req);
}

static void test_http_end_to_end(void **state)
{
    (void)state;
    int fds_before = s_count_fds();
    struct fv_metrics *m = fv_metrics_new(0);
    struct fv_metrics_fleetvault fm;
    fv_metrics_register_fleetvault(m, &fm);
    fv_metric_inc(fm.aws_calls, L("s3", "PutObject"));
    struct s_ready ready = {0};

    struct fv_health *h = NULL;
    struct fv_error err = {0};
    struct fv_health_options o = {.bind_address = "127.0.0.1",
                                  .port = 0,
                                  .metrics = m,
                                  .ready = s_ready_cb,
                                  .ready_ud = &ready};
    assert_int_equal(fv_health_start(&o, &h, &err), FV_OK);
    uint16_t port = fv_health_port(h);
    assert_true(port > 0);

    struct fv_http_response resp = {0};
    s_get("GET", "127.0.0.1", port, "/healthz", &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(fv_buf_str(&resp.body), "ok");
    assert_string_equal(fv_headers_get(&resp.headers, "Content-Type"), "text/plain; charset=utf-8");

    /* /readyz follows the callback, both ways. */
    s_get("GET", "127.0.0.1", port, "/readyz", &resp);
    assert_int_equal(resp.status, 503);
    assert_string_equal(fv_buf_str(&resp.body), "kafka: no partitions assigned");
    atomic_store(&ready.ready, true);
    s_get("GET", "127.0.0.1", port, "/readyz?verbose=1", &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(fv_buf_str(&resp.body), "ok");
    atomic_store(&ready.ready, false);
    s_get("GET", "127.0.0.1", port, "/readyz", &resp);
    assert_int_equal(resp.status, 503);
    assert_int_equal(atomic_load(&ready.calls), 3);

    /* /metrics: the registry's rendering at the time, with its content type. */
    s_get("GET", "127.0.0.1", port, "/metrics", &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(fv_headers_get(&resp.headers, "Content-Type"),
                        "text/plain; version=0.0.4; charset=utf-8");
    struct fv_buf want = {0};
    fv_metrics_render(m, &want);
    assert_string_equal(fv_buf_str(&resp.body), fv_buf_str(&want));
    assert_non_null(
        strstr(fv_buf_str(&resp.body),
               "fleetvault_aws_calls_total{service=\"s3\",operation=\"PutObject\"} 1\n"));
    fv_buf_clean_up(&want);
    fv_metric_inc(fm.aws_calls, L("s3", "PutObject"));
    s_get("GET", "127.0.0.1", port, "/metrics", &resp);
    assert_non_null(
        strstr(fv_buf_str(&resp.body),
               "fleetvault_aws_calls_total{service=\"s3\",operation=\"PutObject\"} 2\n"));

    /* HEAD has the headers and no body. */
    s_get("HEAD", "127.0.0.1", port, "/healthz", &resp);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.body.len, 0);

    /* Anything else. */
    s_get("GET", "127.0.0.1", port, "/", &resp);
    assert_int_equal(resp.status, 404);
    s_get("GET", "127.0.0.1", port, "/healthz/extra", &resp);
    assert_int_equal(resp.status, 404);
    s_get("GET", "127.0.0.1", port, "/METRICS", &resp);
    assert_int_equal(resp.status, 404);
    s_get("POST", "127.0.0.1", port, "/healthz", &resp);
    assert_int_equal(resp.status, 405);
    assert_string_equal(fv_headers_get(&resp.headers, "Allow"), "GET, HEAD");

    fv_http_response_clean_up(&resp);
    fv_health_stop(h);
    fv_metrics_destroy(m);
    /* Stopped means closed: no socket left behind, the port free again. */
    assert_int_equal(s_count_fds(), fds_before);
    o.port = port;
    o.metrics = NULL;
    assert_int_equal(fv_health_start(&o, &h, &err), FV_OK);
    assert_int_equal(fv_health_port(h), port);
    s_get("GET", "127.0.0.1", port, "/metrics", &resp); /* no registry: 404 */
    assert_int_equal(resp.status, 404);
    fv_http_response_clean_up(&resp);
    fv_health_stop(h);
    fv_health_stop(NULL);
}

static void test_http_bind_errors(void **state)
{
    (void)state;
    struct fv_health *h = NULL, *h2 = (struct fv_health *)1;
    struct fv_error err = {0};
    struct fv_health_options o = {.bind_address = "localhost"};
    assert_int_equal(fv_health_start(&o, &h2, &err), FV_E_INVALID);
    assert_null(h2);
    assert_string_equal(err.message,
                        "health server: bind address 'localhost' is not an IPv4 or IPv6 address");

    o.bind_address = "127.0.0.1";
    assert_int_equal(fv_health_start(&o, &h, &err), FV_OK);
    o.port = fv_health_port(h);
    assert_int_equal(fv_health_start(&o, &h2, &err), FV_E_IO);
    char want[96];
    snprintf(want, sizeof(want),
             "health server: cannot listen on 127.0.0.1:%u: ", (unsigned)o.port);
    if (strncmp(err.message, want, strlen(want)) != 0)
        fail_msg("message: %s", err.message);
    fv_health_stop(h);

    /* IPv6 loopback, where the host has it. */
    o.bind_address = "::1";
    o.port = 0;
    if (fv_health_start(&o, &h, &err) == FV_OK) {
        struct fv_http_response resp = {0};
        s_get("GET", "[::1]", fv_health_port(h), "/healthz", &resp);
        assert_int_equal(resp.status, 200);
        fv_http_response_clean_up(&resp);
        fv_health_stop(h);
    } else {
        print_message("no IPv6 loopback here: %s\n", err.message);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_exact),         cmocka_unit_test(test_render_tuple_order),
        cmocka_unit_test(test_register_rules),       cmocka_unit_test(test_fleetvault_metrics),
        cmocka_unit_test(test_threads_exact_totals), cmocka_unit_test(test_series_cap),
        cmocka_unit_test(test_http_end_to_end),      cmocka_unit_test(test_http_bind_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

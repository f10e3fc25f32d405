/* The engine's poll collects an answer that is already complete when it
 * starts, instead of first waiting wait_ms on sockets the finished transfer
 * no longer has. (Found by fuzz_responses: every such answer cost a whole
 * 200 ms poll slice in fv_aws_call_run, and 1 s in other loops.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stub_http.c"

#include <fv/http.h>

#include <string.h>

static void s_flag(void *ud)
{
    *(bool *)ud = true;
}

static void s_done(void *ud, struct fv_http_response *resp, const struct fv_error *err)
{
    (void)resp;
    (void)err;
    *(bool *)ud = true;
}

static void test_poll_collects_a_finished_answer_before_waiting(void **state)
{
    (void)state;
    struct stub_http *s = stub_http_start();
    stub_http_add(s, &(struct stub_http_route){.method = "HEAD", .path = "/o", .status = 200});
    struct fv_http_engine *e = fv_http_engine_new(NULL);
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s/o", stub_http_url(s));
    struct fv_http_request req = {.method = "HEAD", .url = url.ptr};
    struct fv_http_response resp = {0};
    bool done = false, timer = false;
    fv_http_engine_submit(e, &req, &resp, s_done, &done);
    /* Send the request, then let the stub answer it completely. */
    fv_http_engine_poll(e, 0);
    while (stub_http_count(s) < 1 && !done)
        fv_http_engine_poll(e, 0);
    struct timespec ts = {0, 100 * 1000000};
    nanosleep(&ts, NULL);
    /* A timer far off: a poll that waited before collecting the answer
     * would only return when it is due. */
    fv_http_engine_after(e, 60000, s_flag, &timer);
    while (!done && !timer)
        fv_http_engine_poll(e, 120000);
    assert_true(done);
    assert_false(timer);
    assert_int_equal(resp.status, 200);
    fv_http_response_clean_up(&resp);
    fv_http_engine_destroy(e);
    fv_buf_clean_up(&url);
    stub_http_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poll_collects_a_finished_answer_before_waiting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

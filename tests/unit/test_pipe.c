#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/pipe.h>

#include <pthread.h>
#include <string.h>

enum { TOTAL = 3 * 1000 * 1000 + 17 };

struct s_writer {
    struct fv_pipe *p;
    bool fail_midway;
    fv_status last;
};

static void *s_write_all(void *arg)
{
    struct s_writer *w = arg;
    char chunk[7777];
    size_t sent = 0;
    while (sent < TOTAL) {
        size_t n = TOTAL - sent < sizeof(chunk) ? TOTAL - sent : sizeof(chunk);
        for (size_t i = 0; i < n; i++)
            chunk[i] = (char)((sent + i) * 31 % 251);
        if ((w->last = fv_pipe_write(w->p, chunk, n)) != FV_OK)
            return NULL;
        sent += n;
        if (w->fail_midway && sent > TOTAL / 2) {
            struct fv_error err;
            fv_error_set(&err, FV_E_NET, "download broke");
            fv_pipe_close(w->p, &err);
            return NULL;
        }
    }
    fv_pipe_close(w->p, NULL);
    return NULL;
}

static void test_everything_arrives_in_order_through_a_small_pipe(void **state)
{
    (void)state;
    struct fv_pipe *p = fv_pipe_new(4096);
    struct s_writer w = {.p = p};
    pthread_t t;
    pthread_create(&t, NULL, s_write_all, &w);
    char buf[5000];
    size_t total = 0, got;
    struct fv_error err;
    bool in_order = true;
    while (fv_pipe_read(p, buf, sizeof(buf), &got, &err) == FV_OK && got > 0) {
        assert_true(got <= 4096); /* never more than the capacity in flight */
        for (size_t i = 0; i < got; i++)
            in_order = in_order && buf[i] == (char)((total + i) * 31 % 251);
        total += got;
    }
    pthread_join(t, NULL);
    assert_true(in_order);
    assert_int_equal(total, TOTAL);
    fv_pipe_destroy(p);
}

static void test_writer_failure_reaches_the_reader(void **state)
{
    (void)state;
    struct fv_pipe *p = fv_pipe_new(1000);
    struct s_writer w = {.p = p, .fail_midway = true};
    pthread_t t;
    pthread_create(&t, NULL, s_write_all, &w);
    char buf[512];
    size_t got;
    struct fv_error err;
    fv_status st;
    while ((st = fv_pipe_read(p, buf, sizeof(buf), &got, &err)) == FV_OK && got > 0) {
    }
    pthread_join(t, NULL);
    assert_int_equal(st, FV_E_NET);
    assert_string_equal(err.message, "download broke");
    fv_pipe_destroy(p);
}

static void test_reader_abort_stops_a_blocked_writer(void **state)
{
    (void)state;
    struct fv_pipe *p = fv_pipe_new(100);
    struct s_writer w = {.p = p};
    pthread_t t;
    pthread_create(&t, NULL, s_write_all, &w);
    char buf[10];
    size_t got;
    assert_int_equal(fv_pipe_read(p, buf, sizeof(buf), &got, NULL), FV_OK);
    fv_pipe_abort(p);
    pthread_join(t, NULL);
    assert_int_equal(w.last, FV_E_CANCELLED);
    fv_pipe_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_everything_arrives_in_order_through_a_small_pipe),
        cmocka_unit_test(test_writer_failure_reaches_the_reader),
        cmocka_unit_test(test_reader_abort_stops_a_blocked_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

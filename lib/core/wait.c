/* fv_wait_until: the library's one polling loop (fv/wait.h). */
#include <fv/wait.h>

fv_status fv_wait_until(const struct fv_wait *w, fv_wait_poll_fn *poll, void *ud,
                        int64_t *waited_ms, struct fv_error *err)
{
    const struct fv_clock *clock = w->clock ? w->clock : fv_clock_system();
    int64_t pause = w->first_pause_ms > 0 ? w->first_pause_ms : 250;
    int64_t max_pause = w->max_pause_ms > 0 ? w->max_pause_ms : 5000;
    int64_t t0 = fv_clock_mono_ms(clock), spent = 0;
    fv_status st;
    for (;;) {
        bool done = false;
        st = poll(ud, &done, err);
        spent = fv_clock_mono_ms(clock) - t0;
        if (st != FV_OK || done)
            break;
        if (w->stop && *w->stop) {
            st = fv_error_set(err, FV_E_CANCELLED, "interrupted after %lld s",
                              (long long)(spent / 1000));
            break;
        }
        if (spent >= w->timeout_ms) {
            st =
                fv_error_set(err, FV_E_TIMEOUT, "not done after %lld s", (long long)(spent / 1000));
            break;
        }
        /* Never sleep past the deadline: the last look is at it. */
        int64_t left = w->timeout_ms - spent;
        clock->sleep_ms(clock->ud, pause < left ? pause : left);
        pause = pause * 2 < max_pause ? pause * 2 : max_pause;
    }
    if (waited_ms)
        *waited_ms = spent;
    return st;
}

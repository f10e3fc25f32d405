/* The helpers handlers record their outcome with (handler.h). */
#include "handler.h"

#include <stdarg.h>
#include <stdlib.h>

void fv_handler_fail(struct fv_handler_ctx *ctx, const struct fv_error *err)
{
    struct fv_result *r = ctx->result;
    r->status = err->retryable ? FV_RESULT_RETRYING : FV_RESULT_FAILED;
    r->retryable = err->retryable;
    free(r->error_code);
    free(r->error_message);
    r->error_code = fv_strdup(err->code[0] ? err->code : fv_status_str(err->status));
    r->error_message = fv_strdup(err->message);
}

void fv_handler_failf(struct fv_handler_ctx *ctx, enum fv_result_status status, const char *code,
                      const char *fmt, ...)
{
    struct fv_result *r = ctx->result;
    struct fv_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    fv_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    r->status = status;
    r->retryable = status == FV_RESULT_RETRYING;
    free(r->error_code);
    free(r->error_message);
    r->error_code = fv_strdup(code);
    r->error_message = fv_buf_detach(&msg);
}

struct fv_task *fv_handler_follow_up(struct fv_handler_ctx *ctx, const char *step, int64_t delay_ms)
{
    if (ctx->follow_up) {
        fv_task_clean_up(ctx->follow_up);
        free(ctx->follow_up);
    }
    struct fv_task *t = fv_malloc(sizeof(*t));
    fv_task_copy(t, ctx->task);
    free(t->step);
    t->step = fv_strdup(step);
    t->attempt = 1; /* each step has its own attempts */
    t->not_before_ms = fv_clock_now_ms(ctx->clock) + delay_ms;
    ctx->follow_up = t;
    return t;
}

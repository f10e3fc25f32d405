#ifndef FV_WORKER_EVENTS_H
#define FV_WORKER_EVENTS_H

#include "handler.h"

/* Writes message to the task's log_group (parameter), stream = run id, in
 * client's account. A logging failure is logged, never fails the task. */
void fv_worker_log_event(struct fv_handler_ctx *ctx, struct fv_aws_client *client,
                         const char *message);

#endif

/* A bounded byte pipe between two threads: a download's write callback on
 * one side, an upload's read callback on the other. Memory is the capacity,
 * whatever the size of what flows through. */
#ifndef FV_PIPE_H
#define FV_PIPE_H

#include <fv/common.h>

struct fv_pipe;

/* Caller owns; free with fv_pipe_destroy (after both sides are done). */
struct fv_pipe *fv_pipe_new(size_t capacity);
void fv_pipe_destroy(struct fv_pipe *p);

/* Writer: blocks while full. FV_OK, or FV_E_CANCELLED once the reader has
 * aborted (the writer should stop). */
fv_status fv_pipe_write(struct fv_pipe *p, const void *data, size_t n);
/* Writer: the end of the data; err non-NULL means it ended in failure (the
 * reader gets that error). */
void fv_pipe_close(struct fv_pipe *p, const struct fv_error *err);

/* Reader: blocks until data, the end or an error. *got 0 with FV_OK is the
 * end; an error is the writer's (err filled). */
fv_status fv_pipe_read(struct fv_pipe *p, void *dst, size_t cap, size_t *got, struct fv_error *err);
/* Reader: gives up; a blocked or later write returns FV_E_CANCELLED. */
void fv_pipe_abort(struct fv_pipe *p);

#endif

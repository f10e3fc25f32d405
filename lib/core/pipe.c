/* A bounded ring buffer between one writer thread and one reader thread. */
#include <fv/pipe.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct fv_pipe {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    char *buf;
    size_t cap, head, len;
    bool closed, aborted, failed;
    struct fv_error err;
};

struct fv_pipe *fv_pipe_new(size_t capacity)
{
    struct fv_pipe *p = fv_calloc(1, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->cap = capacity ? capacity : 1 << 20;
    p->buf = fv_malloc(p->cap);
    return p;
}

void fv_pipe_destroy(struct fv_pipe *p)
{
    if (!p)
        return;
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cv);
    free(p->buf);
    free(p);
}

fv_status fv_pipe_write(struct fv_pipe *p, const void *data, size_t n)
{
    const char *src = data;
    pthread_mutex_lock(&p->lock);
    while (n > 0) {
        while (p->len == p->cap && !p->aborted)
            pthread_cond_wait(&p->cv, &p->lock);
        if (p->aborted) {
            pthread_mutex_unlock(&p->lock);
            return FV_E_CANCELLED;
        }
        size_t tail = (p->head + p->len) % p->cap;
        size_t room = p->cap - p->len;
        size_t run = p->cap - tail < room ? p->cap - tail : room;
        size_t k = n < run ? n : run;
        memcpy(p->buf + tail, src, k);
        p->len += k;
        src += k;
        n -= k;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->lock);
    return FV_OK;
}

void fv_pipe_close(struct fv_pipe *p, const struct fv_error *err)
{
    pthread_mutex_lock(&p->lock);
    p->closed = true;
    if (err) {
        p->failed = true;
        p->err = *err;
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->lock);
}

fv_status fv_pipe_read(struct fv_pipe *p, void *dst, size_t cap, size_t *got, struct fv_error *err)
{
    *got = 0;
    pthread_mutex_lock(&p->lock);
    while (p->len == 0 && !p->closed)
        pthread_cond_wait(&p->cv, &p->lock);
    if (p->failed) {
        /* A failed transfer's bytes are not to be trusted: stop at once. */
        if (err)
            *err = p->err;
        fv_status st = p->err.status ? p->err.status : FV_E_NET;
        pthread_mutex_unlock(&p->lock);
        return st;
    }
    while (*got < cap && p->len > 0) {
        size_t run = p->cap - p->head < p->len ? p->cap - p->head : p->len;
        size_t k = cap - *got < run ? cap - *got : run;
        memcpy((char *)dst + *got, p->buf + p->head, k);
        p->head = (p->head + k) % p->cap;
        p->len -= k;
        *got += k;
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->lock);
    return FV_OK;
}

void fv_pipe_abort(struct fv_pipe *p)
{
    pthread_mutex_lock(&p->lock);
    p->aborted = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->lock);
}

/* The lease heartbeat: a pure rule and the thread that applies it. */
#include "lease.h"

#include <fv/control.h>
#include <fv/log.h>

#include <pthread.h>
#include <stdlib.h>

/* The thread looks at the lease at least this often (and so stops within
 * this much of being asked to). */
#define S_SLICE_MS 100

static int64_t s_period(const struct fv_lease_state *s)
{
    return s->ttl_ms / 3;
}

/* After a transient failure: try again soon, several times within a TTL. */
static int64_t s_retry(const struct fv_lease_state *s)
{
    int64_t r = s->ttl_ms / 12;
    return r < 50 ? 50 : r;
}

/* why: what happened, followed by cause's message (when there is one). */
static void s_lose(struct fv_lease_state *s, const char *why, const struct fv_error *cause)
{
    s->lost = true;
    if (cause && fv_control_is_fenced_out(cause))
        s->why = *cause;
    else
        fv_error_set(&s->why, FV_E_CANCELLED, "%s%s", why, cause ? cause->message : "");
}

void fv_lease_state_init(struct fv_lease_state *s, int64_t acquired_ms, int64_t ttl_ms)
{
    memset(s, 0, sizeof(*s));
    s->ttl_ms = ttl_ms;
    s->valid_until_ms = acquired_ms + ttl_ms;
    s->next_ms = acquired_ms + s_period(s);
}

bool fv_lease_state_due(struct fv_lease_state *s, int64_t now_ms)
{
    if (s->lost)
        return false;
    if (now_ms >= s->valid_until_ms) {
        s_lose(s, "lost the coordinator lease: not renewed before it expired", NULL);
        return false;
    }
    return now_ms >= s->next_ms;
}

void fv_lease_state_renewed(struct fv_lease_state *s, int64_t sent_ms, int64_t now_ms, fv_status st,
                            const struct fv_error *err)
{
    if (s->lost)
        return;
    if (st == FV_OK) {
        s->valid_until_ms = sent_ms + s->ttl_ms;
        s->next_ms = sent_ms + s_period(s);
        if (now_ms >= s->valid_until_ms)
            s_lose(s, "lost the coordinator lease: a renewal answered after it expired", NULL);
        return;
    }
    if (fv_control_is_fenced_out(err)) {
        s_lose(s, "", err);
        return;
    }
    s->next_ms = now_ms + s_retry(s);
    if (s->next_ms >= s->valid_until_ms)
        s_lose(s, "lost the coordinator lease: cannot renew it before it expires: ", err);
}

struct fv_lease_keeper {
    struct fv_lease_ops ops;
    const struct fv_clock *clock;
    pthread_mutex_t lock; /* guards state, renewals, stopping */
    struct fv_lease_state state;
    size_t renewals;
    bool stopping;
    pthread_t thread;
};

static void *s_heartbeat(void *arg)
{
    struct fv_lease_keeper *k = arg;
    bool reported = false;
    for (;;) {
        int64_t now = fv_clock_now_ms(k->clock);
        pthread_mutex_lock(&k->lock);
        if (k->stopping) {
            pthread_mutex_unlock(&k->lock);
            break;
        }
        bool due = fv_lease_state_due(&k->state, now);
        bool lost = k->state.lost;
        int64_t wait = k->state.next_ms - now;
        pthread_mutex_unlock(&k->lock);
        if (lost && !reported) {
            FV_LOG(FV_LOG_ERROR, "coordinator", "%s", k->state.why.message);
            reported = true;
        }
        if (due) {
            struct fv_error err = {0};
            fv_status st = k->ops.renew(k->ops.ud, now, &err);
            int64_t after = fv_clock_now_ms(k->clock);
            pthread_mutex_lock(&k->lock);
            fv_lease_state_renewed(&k->state, now, after, st, &err);
            k->renewals += st == FV_OK;
            pthread_mutex_unlock(&k->lock);
            if (st != FV_OK && !fv_control_is_fenced_out(&err))
                FV_LOG(FV_LOG_WARN, "coordinator", "renewing the lease: %s", err.message);
            continue;
        }
        if (lost || wait > S_SLICE_MS)
            wait = S_SLICE_MS;
        k->clock->sleep_ms(k->clock->ud, wait > 0 ? wait : 1);
    }
    return NULL;
}

struct fv_lease_keeper *fv_lease_keeper_start(const struct fv_lease_ops *ops,
                                              const struct fv_clock *clock, int64_t acquired_ms,
                                              int64_t ttl_ms)
{
    struct fv_lease_keeper *k = fv_calloc(1, sizeof(*k));
    k->ops = *ops;
    k->clock = clock;
    pthread_mutex_init(&k->lock, NULL);
    fv_lease_state_init(&k->state, acquired_ms, ttl_ms);
    pthread_create(&k->thread, NULL, s_heartbeat, k);
    return k;
}

bool fv_lease_keeper_held(struct fv_lease_keeper *k, struct fv_error *why)
{
    pthread_mutex_lock(&k->lock);
    /* The thread may be inside a slow renewal: expiry is checked here too. */
    fv_lease_state_due(&k->state, fv_clock_now_ms(k->clock));
    bool held = !k->state.lost;
    if (!held && why)
        *why = k->state.why;
    pthread_mutex_unlock(&k->lock);
    return held;
}

size_t fv_lease_keeper_renewals(struct fv_lease_keeper *k)
{
    pthread_mutex_lock(&k->lock);
    size_t n = k->renewals;
    pthread_mutex_unlock(&k->lock);
    return n;
}

void fv_lease_keeper_stop(struct fv_lease_keeper *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->lock);
    k->stopping = true;
    pthread_mutex_unlock(&k->lock);
    pthread_join(k->thread, NULL);
    pthread_mutex_destroy(&k->lock);
    free(k);
}

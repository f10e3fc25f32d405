/* The coordinator's lease, kept by a heartbeat for as long as it is held.
 *
 * A thread renews the lease every third of its TTL (by the injected clock),
 * whatever phase the run is in — planning and publishing can take minutes.
 * The lease is lost, at once and for good, when a renewal says another
 * coordinator holds it (fenced out), or when renewals keep failing until
 * the lease would expire. The run checks fv_lease_keeper_held() between
 * steps and stops; its writes are fenced besides (lib control.h), so a
 * coordinator that has not noticed yet still writes nothing.
 *
 * The rule is a pure state machine (fv_lease_state_*), the thread a thin
 * shell around it. */
#ifndef FV_COORD_LEASE_H
#define FV_COORD_LEASE_H

#include <fv/clock.h>
#include <fv/common.h>

struct fv_lease_ops {
    /* Extends the lease to now_ms + TTL. An error with
     * fv_control_is_fenced_out(err) means another acquisition holds it; any
     * other error is transient. Called from the heartbeat thread only. */
    fv_status (*renew)(void *ud, int64_t now_ms, struct fv_error *err);
    void *ud;
};

struct fv_lease_state {
    int64_t ttl_ms;
    int64_t valid_until_ms; /* held for sure until then (start of the last renewal + TTL) */
    int64_t next_ms;        /* when to renew next */
    bool lost;
    struct fv_error why; /* set once lost */
};

/* Acquired at acquired_ms (the time sent with the acquisition). */
void fv_lease_state_init(struct fv_lease_state *s, int64_t acquired_ms, int64_t ttl_ms);
/* True when a renewal is due at now_ms; marks the lease lost (and returns
 * false) when now_ms is past its validity. */
bool fv_lease_state_due(struct fv_lease_state *s, int64_t now_ms);
/* The outcome of a renewal sent at sent_ms (its now_ms) and answered at
 * now_ms: st and err as renew returned them. */
void fv_lease_state_renewed(struct fv_lease_state *s, int64_t sent_ms, int64_t now_ms, fv_status st,
                            const struct fv_error *err);

struct fv_lease_keeper;
/* Starts the heartbeat for a lease acquired at acquired_ms. ops is copied;
 * ops->ud and clock are borrowed and must outlive the keeper. */
struct fv_lease_keeper *fv_lease_keeper_start(const struct fv_lease_ops *ops,
                                              const struct fv_clock *clock, int64_t acquired_ms,
                                              int64_t ttl_ms);
/* True while the lease is held; once lost, false and *why (may be NULL)
 * says why. Thread-safe. */
bool fv_lease_keeper_held(struct fv_lease_keeper *k, struct fv_error *why);
/* How many renewals succeeded (for logs and tests). */
size_t fv_lease_keeper_renewals(struct fv_lease_keeper *k);
/* Stops the heartbeat (joins it) and frees k. NULL-safe. */
void fv_lease_keeper_stop(struct fv_lease_keeper *k);

#endif

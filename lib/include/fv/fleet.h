/* The fleet: the configuration's accounts as AWS principals. One fv_fleet per
 * process (thread-safe): base credentials, one assumed-role provider per
 * account (cached, refreshed), one rate limiter and retry quota for the whole
 * process, so every thread shares each account's API budget. Clients are per
 * thread (bound to that thread's engine) in an fv_fleet_clients cache. */
#ifndef FV_FLEET_H
#define FV_FLEET_H

#include <fv/aws.h>
#include <fv/config.h>

#include <stdatomic.h>

struct fv_fleet;

/* The HTTP options the configuration asks for: aws.connect_timeout_ms,
 * aws.request_timeout_ms, aws.low_speed_limit_bytes, aws.low_speed_time_s,
 * aws.ca_bundle (borrowed from cfg); the defaults for keys left 0. No cancel
 * flag. */
void fv_fleet_http_options(const struct fv_config *cfg, struct fv_http_options *out);

/* cfg is borrowed and must outlive the fleet. */
struct fv_fleet *fv_fleet_new(const struct fv_config *cfg, struct fv_error *err);
void fv_fleet_destroy(struct fv_fleet *f);
const struct fv_config *fv_fleet_config(const struct fv_fleet *f);
struct fv_ratelimiter *fv_fleet_limiter(struct fv_fleet *f);
/* A new engine with the configuration's HTTP options: the one way a thread
 * working for the fleet gets its engine. Caller owns; free with
 * fv_http_engine_destroy. */
struct fv_http_engine *fv_fleet_engine_new(struct fv_fleet *f);
/* The same, whose requests fail with FV_E_CANCELLED (in flight, in a
 * backoff, or not yet started) once *cancel is set: a worker's pool threads,
 * so a shutdown past its grace period stops them. cancel is borrowed and
 * must outlive the engine. */
struct fv_http_engine *fv_fleet_engine_new_cancellable(struct fv_fleet *f,
                                                       const atomic_bool *cancel);
/* The configured account, or NULL. */
const struct fv_config_account *fv_fleet_account(const struct fv_fleet *f, const char *id);
/* The account fleetvault's own state lives in: central.account, else the base
 * credentials' account (asked of STS once). Borrowed. */
const char *fv_fleet_central_account(struct fv_fleet *f, struct fv_error *err);
/* The role ARNs fleetvault itself acts through (exempt from the deny policy). */
bool fv_fleet_is_own_principal(const struct fv_fleet *f, const char *arn);

struct fv_metrics_fleetvault;
/* Counts every AWS call (and throttle) of the fleet's clients in m
 * (borrowed; must outlive the fleet). Call before the first client. */
void fv_fleet_set_metrics(struct fv_fleet *f, struct fv_metrics_fleetvault *m);

/* A per-thread cache of clients keyed by (account, region). */
struct fv_fleet_clients;
struct fv_fleet_clients *fv_fleet_clients_new(struct fv_fleet *f, struct fv_http_engine *e);
void fv_fleet_clients_destroy(struct fv_fleet_clients *cc);
/* The client for account (a configured account id, or the central account)
 * in region. Borrowed; lives as long as the cache. */
struct fv_aws_client *fv_fleet_client(struct fv_fleet_clients *cc, const char *account,
                                      const char *region, struct fv_error *err);

/* True the first time key is seen by this process (a memo for idempotent
 * set-up calls, e.g. a log group already created). Thread-safe. */
bool fv_fleet_once(struct fv_fleet *f, const char *key);

#endif

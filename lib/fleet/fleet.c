/* The fleet's principals, shared by every thread of a process. */
#include <fv/fleet.h>
#include <fv/log.h>
#include <fv/metrics.h>
#include <fv/sts.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct s_account_creds {
    char *account;
    struct fv_creds_provider *creds;
};

struct fv_fleet {
    const struct fv_config *cfg;
    pthread_mutex_t lock;
    struct fv_creds_provider *base;
    struct s_account_creds *accounts;
    size_t n_accounts;
    char *central_account;
    struct fv_ratelimiter *limiter;
    struct fv_retry_quota *quota;
    struct fv_metrics_fleetvault *metrics;
    struct fv_http_options http; /* every engine's; the credentials' STS calls' */
    struct fv_creds_env creds_env;
    char **seen; /* fv_fleet_once */
    size_t n_seen;
};

bool fv_fleet_once(struct fv_fleet *f, const char *key)
{
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->n_seen; i++) {
        if (strcmp(f->seen[i], key) == 0) {
            pthread_mutex_unlock(&f->lock);
            return false;
        }
    }
    /* Bounded: forget everything past 4096 keys (what it guards is idempotent). */
    if (f->n_seen == 4096) {
        for (size_t i = 0; i < f->n_seen; i++)
            free(f->seen[i]);
        f->n_seen = 0;
    }
    f->seen = fv_realloc(f->seen, (f->n_seen + 1) * sizeof(char *));
    f->seen[f->n_seen++] = fv_strdup(key);
    pthread_mutex_unlock(&f->lock);
    return true;
}

void fv_fleet_set_metrics(struct fv_fleet *f, struct fv_metrics_fleetvault *m)
{
    f->metrics = m;
}

static void s_observe(void *ud, const char *service, const char *operation, bool throttled)
{
    struct fv_metrics_fleetvault *m = ud;
    const char *labels[] = {service, operation, NULL};
    fv_metric_inc(m->aws_calls, labels);
    if (throttled)
        fv_metric_inc(m->aws_throttles, labels);
}

void fv_fleet_http_options(const struct fv_config *cfg, struct fv_http_options *out)
{
    fv_http_options_default(out);
    if (cfg->connect_timeout_ms > 0)
        out->connect_timeout_ms = (long)cfg->connect_timeout_ms;
    if (cfg->request_timeout_ms > 0)
        out->timeout_ms = (long)cfg->request_timeout_ms;
    if (cfg->low_speed_limit_bytes > 0)
        out->low_speed_bytes = (long)cfg->low_speed_limit_bytes;
    if (cfg->low_speed_time_s > 0)
        out->low_speed_secs = (long)cfg->low_speed_time_s;
    out->ca_bundle = cfg->ca_bundle;
}

struct fv_fleet *fv_fleet_new(const struct fv_config *cfg, struct fv_error *err)
{
    (void)err;
    struct fv_fleet *f = fv_calloc(1, sizeof(*f));
    f->cfg = cfg;
    pthread_mutex_init(&f->lock, NULL);
    fv_fleet_http_options(cfg, &f->http);
    f->creds_env.http = &f->http;
    f->base = fv_creds_default_chain(cfg->profile, cfg->region, &f->creds_env);
    f->limiter = fv_ratelimiter_new(fv_clock_system());
    fv_ratelimiter_set_aws_defaults(f->limiter);
    struct fv_retry_options ro;
    fv_retry_options_default(&ro);
    /* One quota per process would let one failing account starve the rest of
     * retries; the SDKs keep one per client. Ours is per process but large. */
    f->quota = fv_retry_quota_new(ro.quota_capacity * 8);
    f->central_account = fv_strdup(cfg->central_account);
    return f;
}

void fv_fleet_destroy(struct fv_fleet *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_accounts; i++) {
        free(f->accounts[i].account);
        fv_creds_unref(f->accounts[i].creds);
    }
    free(f->accounts);
    fv_creds_unref(f->base);
    fv_ratelimiter_destroy(f->limiter);
    fv_retry_quota_destroy(f->quota);
    free(f->central_account);
    for (size_t i = 0; i < f->n_seen; i++)
        free(f->seen[i]);
    free(f->seen);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

const struct fv_config *fv_fleet_config(const struct fv_fleet *f)
{
    return f->cfg;
}

struct fv_ratelimiter *fv_fleet_limiter(struct fv_fleet *f)
{
    return f->limiter;
}

struct fv_http_engine *fv_fleet_engine_new(struct fv_fleet *f)
{
    return fv_http_engine_new(&f->http);
}

struct fv_http_engine *fv_fleet_engine_new_cancellable(struct fv_fleet *f,
                                                       const atomic_bool *cancel)
{
    struct fv_http_options o = f->http;
    o.cancel = cancel;
    return fv_http_engine_new(&o);
}

const struct fv_config_account *fv_fleet_account(const struct fv_fleet *f, const char *id)
{
    for (size_t i = 0; i < f->cfg->n_accounts; i++)
        if (strcmp(f->cfg->accounts[i].id, id) == 0)
            return &f->cfg->accounts[i];
    return NULL;
}

bool fv_fleet_is_own_principal(const struct fv_fleet *f, const char *arn)
{
    for (size_t i = 0; i < f->cfg->n_accounts; i++) {
        const char *role = f->cfg->accounts[i].role_arn;
        if (role && strcmp(role, arn) == 0)
            return true;
    }
    return false;
}

/* The provider for account: its role when configured, else the base
 * credentials. Caller gets a new reference. */
static struct fv_creds_provider *s_creds(struct fv_fleet *f, const char *account)
{
    pthread_mutex_lock(&f->lock);
    struct fv_creds_provider *p = NULL;
    for (size_t i = 0; i < f->n_accounts && !p; i++)
        if (strcmp(f->accounts[i].account, account) == 0)
            p = fv_creds_ref(f->accounts[i].creds);
    if (!p) {
        const struct fv_config_account *a = fv_fleet_account(f, account);
        if (a && a->role_arn)
            p = fv_creds_assume_role(f->base, f->cfg->region, a->role_arn, a->external_id,
                                     a->session_name, &f->creds_env);
        else
            p = fv_creds_ref(f->base);
        f->accounts = fv_realloc(f->accounts, (f->n_accounts + 1) * sizeof(*f->accounts));
        f->accounts[f->n_accounts].account = fv_strdup(account);
        f->accounts[f->n_accounts].creds = fv_creds_ref(p);
        f->n_accounts++;
    }
    pthread_mutex_unlock(&f->lock);
    return p;
}

struct s_client_slot {
    char *account;
    char *region;
    struct fv_aws_client *client;
};

struct fv_fleet_clients {
    struct fv_fleet *f;
    struct fv_http_engine *engine;
    struct s_client_slot *slots;
    size_t n;
};

struct fv_fleet_clients *fv_fleet_clients_new(struct fv_fleet *f, struct fv_http_engine *e)
{
    struct fv_fleet_clients *cc = fv_calloc(1, sizeof(*cc));
    cc->f = f;
    cc->engine = e;
    return cc;
}

void fv_fleet_clients_destroy(struct fv_fleet_clients *cc)
{
    if (!cc)
        return;
    for (size_t i = 0; i < cc->n; i++) {
        free(cc->slots[i].account);
        free(cc->slots[i].region);
        fv_aws_client_destroy(cc->slots[i].client);
    }
    free(cc->slots);
    free(cc);
}

struct fv_aws_client *fv_fleet_client(struct fv_fleet_clients *cc, const char *account,
                                      const char *region, struct fv_error *err)
{
    for (size_t i = 0; i < cc->n; i++)
        if (strcmp(cc->slots[i].account, account) == 0 && strcmp(cc->slots[i].region, region) == 0)
            return cc->slots[i].client;
    struct fv_fleet *f = cc->f;
    struct fv_creds_provider *creds = s_creds(f, account);
    struct fv_aws_client_options o = {
        .region = region,
        .creds = creds,
        .account_id = account,
        .engine = cc->engine,
        .limiter = f->limiter,
        .quota = f->quota,
        .observe = f->metrics ? s_observe : NULL,
        .observe_ud = f->metrics,
    };
    fv_retry_options_default(&o.retry);
    o.retry.max_attempts = (int)f->cfg->max_attempts;
    struct fv_aws_client *c = fv_aws_client_new(&o, err);
    fv_creds_unref(creds);
    if (!c)
        return NULL;
    cc->slots = fv_realloc(cc->slots, (cc->n + 1) * sizeof(*cc->slots));
    cc->slots[cc->n] = (struct s_client_slot){fv_strdup(account), fv_strdup(region), c};
    cc->n++;
    return c;
}

const char *fv_fleet_central_account(struct fv_fleet *f, struct fv_error *err)
{
    pthread_mutex_lock(&f->lock);
    if (f->central_account) {
        pthread_mutex_unlock(&f->lock);
        return f->central_account;
    }
    pthread_mutex_unlock(&f->lock);
    struct fv_aws_client_options o = {.region = f->cfg->region, .creds = f->base, .http = f->http};
    struct fv_aws_client *c = fv_aws_client_new(&o, err);
    if (!c)
        return NULL;
    struct fv_caller_identity id = {0};
    fv_status st = fv_sts_get_caller_identity(c, &id, err);
    fv_aws_client_destroy(c);
    if (st != FV_OK)
        return NULL;
    pthread_mutex_lock(&f->lock);
    if (!f->central_account)
        f->central_account = fv_strdup(id.account);
    pthread_mutex_unlock(&f->lock);
    fv_caller_identity_clean_up(&id);
    return f->central_account;
}

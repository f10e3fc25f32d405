/* Credentials from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN and (as the SDKs accept) AWS_CREDENTIAL_EXPIRATION. */
#include "aws/creds_internal.h"

#include <fv/clock.h>

bool fv_creds_env_configured(const struct fv_creds_env *env)
{
    return fv_creds_getenv_nonempty(env, "AWS_ACCESS_KEY_ID") ||
           fv_creds_getenv_nonempty(env, "AWS_SECRET_ACCESS_KEY");
}

static fv_status s_env_fetch(struct fv_creds_provider *p, struct fv_credentials *out,
                             struct fv_error *err)
{
    const char *akid = fv_creds_getenv_nonempty(&p->env, "AWS_ACCESS_KEY_ID");
    const char *secret = fv_creds_getenv_nonempty(&p->env, "AWS_SECRET_ACCESS_KEY");
    const char *token = fv_creds_getenv_nonempty(&p->env, "AWS_SESSION_TOKEN");
    const char *exp = fv_creds_getenv_nonempty(&p->env, "AWS_CREDENTIAL_EXPIRATION");
    int64_t expiration = 0;

    if (!akid && !secret)
        return fv_error_set(err, FV_E_AUTH,
                            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are "
                            "not set");
    if (!secret)
        return fv_error_set(err, FV_E_INVALID,
                            "AWS_ACCESS_KEY_ID is set but "
                            "AWS_SECRET_ACCESS_KEY is not");
    if (!akid)
        return fv_error_set(err, FV_E_INVALID,
                            "AWS_SECRET_ACCESS_KEY is set but "
                            "AWS_ACCESS_KEY_ID is not");
    if (exp) {
        expiration = fv_time_parse_iso8601(exp);
        if (expiration < 0)
            return fv_error_set(err, FV_E_INVALID,
                                "AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 "
                                "time (e.g. 2030-01-02T03:04:05Z)");
    }
    out->access_key_id = fv_strdup(akid);
    out->secret_access_key = fv_strdup(secret);
    out->session_token = fv_strdup(token);
    out->expiration = expiration;
    return FV_OK;
}

static const struct fv_creds_vtable s_env_vt = {
    .fetch = s_env_fetch,
};

struct fv_creds_provider *fv_creds_env_new(const struct fv_creds_env *env)
{
    return fv_creds_provider_new(&s_env_vt, NULL, "environment", env);
}

/* The default chain, in the AWS SDK order: environment, shared files,
 * web identity, container, EC2 instance metadata.
 *
 * The chain stops at the first provider that is configured, and a
 * configured provider that fails is an error (it does not fall through):
 * AWS_ACCESS_KEY_ID without a secret, a named profile that does not exist or
 * a broken config file are mistakes to report, not reasons to try the next
 * source. Only when nothing is configured does it ask IMDS; when IMDS fails
 * too the error lists everywhere it looked.
 *
 * One departure from "environment first": a profile passed to
 * fv_creds_default_chain outranks AWS_ACCESS_KEY_ID, as in botocore, so
 * `profile: prod` with credential_source = Environment assumes the role
 * instead of silently using the environment keys. AWS_PROFILE does not.
 *
 * The choice is made on the first fv_creds_get and kept; a failed choice
 * (a bad config file, say) is made again on the next call. */
#include "aws/creds_internal.h"

#include <stdlib.h>
#include <string.h>

struct s_chain {
    char *profile; /* NULL → AWS_PROFILE or "default" */
    char *region;
    pthread_mutex_t lock; /* guards everything below */
    struct fv_creds_provider *chosen;
    bool fallback; /* chosen is IMDS because nothing else was configured */
    char *looked;  /* where we looked before falling back */
};

static fv_status s_choose(struct fv_creds_provider *p, struct s_chain *ch, struct fv_error *err)
{
    const struct fv_creds_env *env = &p->env;
    struct fv_creds_provider *out = NULL;
    struct fv_buf looked = {0}, where = {0};
    fv_status st = FV_OK;

    /* A profile the caller names outranks environment keys (botocore's
     * Session(profile_name=...), the CLI's --profile); AWS_PROFILE does not. */
    if (!ch->profile && fv_creds_env_configured(env)) {
        out = fv_creds_env_new(env);
        goto out;
    }
    fv_buf_append_str(&looked, ch->profile ? "environment (skipped: a profile was named)"
                                           : "environment (AWS_ACCESS_KEY_ID unset)");

    const char *aws_profile = fv_creds_getenv_nonempty(env, "AWS_PROFILE");
    const char *profile = ch->profile ? ch->profile : aws_profile ? aws_profile : "default";
    bool explicit_profile = ch->profile || aws_profile;
    st = fv_creds_profile_resolve(profile, explicit_profile, ch->region, env, &out, &where, err);
    if (st != FV_OK || out)
        goto out;
    fv_buf_printf(&looked, ", %s", fv_buf_str(&where));

    st = fv_creds_web_identity_from_env(env, ch->region, &out, err);
    if (st != FV_OK || out)
        goto out;
    fv_buf_append_str(&looked, ", web identity (AWS_WEB_IDENTITY_TOKEN_FILE unset)");

    st = fv_creds_container_from_env(env, &out, err);
    if (st != FV_OK || out)
        goto out;
    fv_buf_append_str(&looked, ", container (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
                               "AWS_CONTAINER_CREDENTIALS_FULL_URI unset)");

    if (fv_creds_imds_disabled(env)) {
        st = fv_error_set(err, FV_E_AUTH,
                          "no AWS credentials found; looked in: %s, EC2 "
                          "instance metadata (disabled by "
                          "AWS_EC2_METADATA_DISABLED)",
                          fv_buf_str(&looked));
        goto out;
    }
    out = fv_creds_imds_new(env);
    ch->fallback = true;
    free(ch->looked);
    ch->looked = fv_buf_detach(&looked);
out:
    if (st == FV_OK)
        ch->chosen = out;
    fv_buf_clean_up(&looked);
    fv_buf_clean_up(&where);
    return st;
}

static fv_status s_chain_get(struct fv_creds_provider *p, struct fv_credentials *out,
                             struct fv_error *err)
{
    struct s_chain *ch = p->impl;
    struct fv_creds_provider *inner = NULL;
    fv_status st = FV_OK;

    pthread_mutex_lock(&ch->lock);
    if (!ch->chosen)
        st = s_choose(p, ch, err);
    inner = fv_creds_ref(ch->chosen);
    bool fallback = ch->fallback;
    pthread_mutex_unlock(&ch->lock);
    if (st != FV_OK)
        return st;

    st = fv_creds_get(inner, out, err);
    if (st != FV_OK && fallback && err) {
        struct fv_error e = *err;
        fv_error_set(err, FV_E_AUTH,
                     "no AWS credentials found; looked in: %s, EC2 instance "
                     "metadata (%s)",
                     ch->looked, e.message);
        err->retryable = e.retryable;
        err->http_status = e.http_status;
    }
    fv_creds_unref(inner);
    return st;
}

static const char *s_chain_source(struct fv_creds_provider *p)
{
    struct s_chain *ch = p->impl;
    pthread_mutex_lock(&ch->lock);
    struct fv_creds_provider *chosen = ch->chosen;
    pthread_mutex_unlock(&ch->lock);
    return chosen ? fv_creds_source(chosen) : "chain";
}

static void s_chain_destroy(void *impl)
{
    struct s_chain *ch = impl;
    fv_creds_unref(ch->chosen);
    pthread_mutex_destroy(&ch->lock);
    free(ch->profile);
    free(ch->region);
    free(ch->looked);
    free(ch);
}

static const struct fv_creds_vtable s_chain_vt = {
    .get = s_chain_get,
    .source = s_chain_source,
    .destroy = s_chain_destroy,
};

struct fv_creds_provider *fv_creds_default_chain(const char *profile, const char *region,
                                                 const struct fv_creds_env *env)
{
    struct s_chain *ch = fv_calloc(1, sizeof(*ch));
    ch->profile = profile && *profile ? fv_strdup(profile) : NULL;
    ch->region = region && *region ? fv_strdup(region) : NULL;
    pthread_mutex_init(&ch->lock, NULL);
    return fv_creds_provider_new(&s_chain_vt, ch, "chain", env);
}

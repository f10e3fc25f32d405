/* STS AssumeRoleWithWebIdentity from a token file (Kubernetes IRSA). The
 * token file is re-read on every refresh: the kubelet rotates it. */
#include "aws/creds_internal.h"
#include "aws/sts.h"

#include <fv/log.h>

#include <stdio.h>
#include <stdlib.h>

struct s_web_identity {
    char *token_file;
    char *role_arn;
    char *session_name; /* NULL → "fleetvault-<unix time>" */
    char *region;       /* NULL → fv_creds_sts_region */
};

static fv_status s_web_identity_fetch(struct fv_creds_provider *p, struct fv_credentials *out,
                                      struct fv_error *err)
{
    struct s_web_identity *w = p->impl;
    struct fv_buf token = {0};
    char session[48];
    const char *name = w->session_name;
    fv_status st;

    st = fv_creds_read_token_file(w->token_file, "web identity token file", &token, err);
    if (st != FV_OK)
        goto out;
    if (!name) {
        snprintf(session, sizeof(session), "fleetvault-%lld", (long long)fv_creds_now(&p->env));
        name = session;
    }
    st = fv_sts_assume_role_with_web_identity(fv_creds_sts_region(&p->env, w->region), w->role_arn,
                                              name, token.ptr, &p->env, out, err);
    if (st != FV_OK)
        fv_creds_error_prefix(err, "%s: assuming role %s with the web identity token from %s: ",
                              p->source, w->role_arn, w->token_file);
out:
    fv_log_secret_forget(token.ptr);
    fv_buf_wipe(&token);
    return st;
}

static void s_web_identity_destroy(void *impl)
{
    struct s_web_identity *w = impl;
    free(w->token_file);
    free(w->role_arn);
    free(w->session_name);
    free(w->region);
    free(w);
}

static const struct fv_creds_vtable s_web_identity_vt = {
    .fetch = s_web_identity_fetch,
    .destroy = s_web_identity_destroy,
};

struct fv_creds_provider *fv_creds_web_identity_new(const char *token_file, const char *role_arn,
                                                    const char *session_name, const char *region,
                                                    const char *label,
                                                    const struct fv_creds_env *env)
{
    struct s_web_identity *w = fv_calloc(1, sizeof(*w));
    w->token_file = fv_strdup(token_file);
    w->role_arn = fv_strdup(role_arn);
    w->session_name = session_name && *session_name ? fv_strdup(session_name) : NULL;
    w->region = region && *region ? fv_strdup(region) : NULL;
    return fv_creds_provider_new(&s_web_identity_vt, w, label, env);
}

fv_status fv_creds_web_identity_from_env(const struct fv_creds_env *env, const char *region,
                                         struct fv_creds_provider **out, struct fv_error *err)
{
    const char *file = fv_creds_getenv_nonempty(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
    const char *role = fv_creds_getenv_nonempty(env, "AWS_ROLE_ARN");

    *out = NULL;
    if (!file)
        return FV_OK;
    if (!role)
        return fv_error_set(err, FV_E_INVALID,
                            "AWS_WEB_IDENTITY_TOKEN_FILE is set (%s) but "
                            "AWS_ROLE_ARN is not",
                            file);
    *out = fv_creds_web_identity_new(file, role,
                                     fv_creds_getenv_nonempty(env, "AWS_ROLE_SESSION_NAME"), region,
                                     "web-identity", env);
    return FV_OK;
}

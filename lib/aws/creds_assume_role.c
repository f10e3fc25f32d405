/* STS AssumeRole on top of another provider (profiles with role_arn, and
 * fv_creds_assume_role). The STS call itself is in sts.c. */
#include "aws/creds_internal.h"
#include "aws/sts.h"

#include <stdio.h>
#include <stdlib.h>

struct s_assume_role {
    struct fv_creds_provider *source;
    char *region; /* NULL → fv_creds_sts_region */
    char *role_arn;
    char *external_id;
    char *session_name; /* NULL → "fleetvault-<unix time>" */
    int duration_s;
};

static fv_status s_assume_role_fetch(struct fv_creds_provider *p, struct fv_credentials *out,
                                     struct fv_error *err)
{
    struct s_assume_role *a = p->impl;
    char session[48];
    const char *name = a->session_name;

    if (!name) {
        snprintf(session, sizeof(session), "fleetvault-%lld", (long long)fv_creds_now(&p->env));
        name = session;
    }
    fv_status st =
        fv_sts_assume_role(a->source, fv_creds_sts_region(&p->env, a->region), a->role_arn,
                           a->external_id, name, a->duration_s, &p->env, out, err);
    if (st != FV_OK)
        fv_creds_error_prefix(err, "%s: assuming role %s: ", p->source, a->role_arn);
    return st;
}

static void s_assume_role_destroy(void *impl)
{
    struct s_assume_role *a = impl;
    fv_creds_unref(a->source);
    free(a->region);
    free(a->role_arn);
    free(a->external_id);
    free(a->session_name);
    free(a);
}

static const struct fv_creds_vtable s_assume_role_vt = {
    .fetch = s_assume_role_fetch,
    .destroy = s_assume_role_destroy,
};

struct fv_creds_provider *
fv_creds_assume_role_new(struct fv_creds_provider *source, const char *region, const char *role_arn,
                         const char *external_id, const char *session_name, int duration_s,
                         const char *label, const struct fv_creds_env *env)
{
    struct s_assume_role *a = fv_calloc(1, sizeof(*a));
    a->source = fv_creds_ref(source);
    a->region = region && *region ? fv_strdup(region) : NULL;
    a->role_arn = fv_strdup(role_arn);
    a->external_id = external_id && *external_id ? fv_strdup(external_id) : NULL;
    a->session_name = session_name && *session_name ? fv_strdup(session_name) : NULL;
    a->duration_s = duration_s;
    return fv_creds_provider_new(&s_assume_role_vt, a, label, env);
}

struct fv_creds_provider *fv_creds_assume_role(struct fv_creds_provider *source, const char *region,
                                               const char *role_arn, const char *external_id,
                                               const char *session_name,
                                               const struct fv_creds_env *env)
{
    if (!source || !role_arn || !*role_arn)
        return NULL;
    return fv_creds_assume_role_new(source, region, role_arn, external_id, session_name, 0,
                                    "assume-role", env);
}

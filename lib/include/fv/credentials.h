/* AWS credentials and the provider chain (AWS SDK order):
 *   1. environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *   2. shared config + credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE,
 *      AWS_PROFILE), including role_arn + source_profile (or credential_source)
 *      + external_id + role_session_name
 *   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
 *      (+ AWS_ROLE_SESSION_NAME) → STS AssumeRoleWithWebIdentity (Kubernetes IRSA)
 *   4. container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (169.254.170.2) or
 *      _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE / _TOKEN (EKS Pod
 *      Identity, ECS)
 *   5. EC2 IMDSv2 (token PUT, then role name, then credentials);
 *      AWS_EC2_METADATA_DISABLED=true skips it; AWS_EC2_METADATA_SERVICE_ENDPOINT
 *      overrides the endpoint.
 * Providers cache and refresh credentials before expiry; fv_creds_get is
 * thread-safe. */
#ifndef FV_CREDENTIALS_H
#define FV_CREDENTIALS_H

#include <fv/clock.h>
#include <fv/common.h>

struct fv_credentials {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL when none */
    int64_t expiration;  /* Unix seconds; 0 = does not expire */
};

void fv_credentials_copy(struct fv_credentials *dst, const struct fv_credentials *src);
void fv_credentials_clean_up(struct fv_credentials *c); /* safe on zeroed */

struct fv_creds_provider; /* opaque, reference-counted */
struct fv_http_options;

/* The environment the chain reads. Tests point these elsewhere; NULL members
 * mean "the real one". */
struct fv_creds_env {
    const char *(*getenv)(void *ud, const char *name); /* NULL → getenv(3) */
    void *getenv_ud;
    const struct fv_clock *clock; /* NULL → system clock */
    /* STS calls (AssumeRole, AssumeRoleWithWebIdentity): CA bundle, timeouts,
     * cancel flag. NULL → defaults. Borrowed: must outlive the providers.
     * Metadata endpoints (IMDS, container) keep their own short timeouts. */
    const struct fv_http_options *http;
};

/* Default chain. profile NULL → AWS_PROFILE or "default". region is the
 * region for STS calls (regional endpoint). Returns NULL only on OOM-free
 * invalid arguments; errors surface from fv_creds_get. */
struct fv_creds_provider *fv_creds_default_chain(const char *profile, const char *region,
                                                 const struct fv_creds_env *env);
/* Fixed credentials (tests, --access-key style config). */
struct fv_creds_provider *fv_creds_static(const struct fv_credentials *c);
/* STS AssumeRole on top of source (borrowed reference is taken: the new
 * provider holds its own reference). external_id and session_name may be NULL
 * (session name defaults to "fleetvault-<unix time>"). */
struct fv_creds_provider *fv_creds_assume_role(struct fv_creds_provider *source, const char *region,
                                               const char *role_arn, const char *external_id,
                                               const char *session_name,
                                               const struct fv_creds_env *env);

struct fv_creds_provider *fv_creds_ref(struct fv_creds_provider *p);
void fv_creds_unref(struct fv_creds_provider *p); /* NULL-safe */

/* Fills out (caller owns; clean up with fv_credentials_clean_up). Refreshes
 * when within 5 minutes of expiry. Errors name the file, variable or profile
 * that was wrong, and never include a secret. */
fv_status fv_creds_get(struct fv_creds_provider *p, struct fv_credentials *out,
                       struct fv_error *err);
/* Which source produced the last credentials, e.g. "environment",
 * "profile:prod", "web-identity", "container", "imds", "assume-role". */
const char *fv_creds_source(struct fv_creds_provider *p);

#endif

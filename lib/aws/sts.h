/* STS calls the credential providers make (private to lib/aws). */
#ifndef FV_AWS_STS_H
#define FV_AWS_STS_H

#include <fv/credentials.h>

/* AssumeRole with credentials from source. duration_s 0 → 3600. */
fv_status fv_sts_assume_role(struct fv_creds_provider *source, const char *region,
                             const char *role_arn, const char *external_id,
                             const char *session_name, int duration_s,
                             const struct fv_creds_env *env, struct fv_credentials *out,
                             struct fv_error *err);
/* AssumeRoleWithWebIdentity (unsigned request). */
fv_status fv_sts_assume_role_with_web_identity(const char *region, const char *role_arn,
                                               const char *session_name, const char *token,
                                               const struct fv_creds_env *env,
                                               struct fv_credentials *out, struct fv_error *err);

#endif

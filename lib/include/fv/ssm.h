/* SSM Parameter Store (json 1.1): the reads `fleetvault exports
 * import-state` makes of a seed 003 deployment's parameters. Errors by
 * value; a missing parameter is not an error (it is listed as invalid). */
#ifndef FV_SSM_H
#define FV_SSM_H

#include <fv/aws.h>

#define FV_SSM_GET_PARAMETERS_MAX 10

struct fv_ssm_parameter {
    char *name;
    char *value; /* as stored; SecureString values are decrypted */
    char *type;  /* String, StringList, SecureString */
};

/* One GetParameters answer: the parameters found (in the service's order)
 * and the names that do not exist. All owned; clean up with
 * fv_ssm_parameters_clean_up. */
struct fv_ssm_parameters {
    struct fv_ssm_parameter *items;
    size_t n;
    char **invalid;
    size_t n_invalid;
};
void fv_ssm_parameters_clean_up(struct fv_ssm_parameters *p);
/* The value of name in p, or NULL (borrowed). */
const char *fv_ssm_parameters_value(const struct fv_ssm_parameters *p, const char *name);

/* GetParameters (WithDecryption) of names[0..n) (borrowed), 1 to 10 of them
 * (otherwise FV_E_INVALID, nothing sent). out is caller's. */
fv_status fv_ssm_get_parameters(struct fv_aws_client *c, const char *const *names, size_t n,
                                struct fv_ssm_parameters *out, struct fv_error *err);

#endif

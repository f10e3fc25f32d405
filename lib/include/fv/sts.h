/* STS: who am I. (The credential providers' STS calls are in lib/aws/sts.h.) */
#ifndef FV_STS_H
#define FV_STS_H

#include <fv/aws.h>

struct fv_caller_identity {
    char *account;
    char *arn;
    char *user_id;
};
void fv_caller_identity_clean_up(struct fv_caller_identity *id);

fv_status fv_sts_get_caller_identity(struct fv_aws_client *c, struct fv_caller_identity *out,
                                     struct fv_error *err);

#endif

/* The least-privilege IAM documents for a configuration (`fleetvault
 * iam-policy`): which job needs which AWS action on which resource, in one
 * table (lib/fleet/iampolicy.c), expanded for the accounts, regions, tables,
 * buckets and roles the configuration names. */
#ifndef FV_IAMPOLICY_H
#define FV_IAMPOLICY_H

#include <fv/config.h>

/* One generated document: its file name in deploy/iam style and its JSON
 * text (pretty-printed, ending in a newline). */
struct fv_iam_doc {
    char *file; /* "fleetvault-member-policy.json", ... */
    char *json;
};

struct fv_iam_docs {
    struct fv_iam_doc *items;
    size_t n;
};
void fv_iam_docs_clean_up(struct fv_iam_docs *d);

/* Every document cfg needs: the member role's permissions and trust policies
 * (when an account has a role_arn), the central principal's policy, the bucket
 * policy of each bucket fleetvault writes, the KMS key policy (a job with
 * s3.sse_kms_key_id) and the deny-delete SCP (iam.deny_guard: scp). out is
 * the caller's (clean up with fv_iam_docs_clean_up). FV_E_CONFIG naming the
 * file and the key when a value the documents need is missing
 * (central.principal_arn). */
fv_status fv_iam_policies(const struct fv_config *cfg, struct fv_iam_docs *out,
                          struct fv_error *err);

/* The guard SCP's and the inline guard's policy name. */
#define FV_IAM_DENY_POLICY_NAME "DenydynamodbDeleteBackup"

#endif

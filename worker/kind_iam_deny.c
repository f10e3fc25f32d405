/* iam.deny_delete_backup: the inline policy DenydynamodbDeleteBackup (seed
 * 002) on one IAM user or role. PutUserPolicy/PutRolePolicy replace a policy
 * of the same name, so a redelivery writes the same document again. The
 * coordinator decides who gets it (never AWS-managed principals, never
 * fleetvault's own roles). */
#include "handler.h"

#include <fv/iam.h>

#include <string.h>

#define S_POLICY_NAME "DenydynamodbDeleteBackup"
#define S_POLICY                                                                                   \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Action\":\"dynamodb:DeleteBackup\","            \
    "\"Resource\":\"*\",\"Effect\":\"Deny\",\"Sid\":\"DenydynamodbDeleteBackup\"}]}"

void fv_kind_iam_deny(struct fv_handler_ctx *ctx)
{
    const struct fv_task *t = ctx->task;
    struct fv_error err;
    const char *type = fv_task_param(t, "principal_type");
    const char *name = fv_task_param(t, "principal_name");
    if (!type || !name) {
        fv_handler_failf(ctx, FV_RESULT_FAILED, "BadTask",
                         "iam.deny_delete_backup without principal_type/principal_name");
        return;
    }
    struct fv_aws_client *client = fv_fleet_client(ctx->clients, t->account, t->region, &err);
    if (!client) {
        fv_handler_fail(ctx, &err);
        return;
    }
    fv_status st = strcmp(type, "role") == 0
                       ? fv_iam_put_role_policy(client, name, S_POLICY_NAME, S_POLICY, &err)
                       : fv_iam_put_user_policy(client, name, S_POLICY_NAME, S_POLICY, &err);
    if (st != FV_OK) {
        if (err.status == FV_E_NOTFOUND || strcmp(err.code, "NoSuchEntity") == 0)
            fv_handler_failf(ctx, FV_RESULT_SKIPPED, "NoSuchEntity", "%s %s no longer exists", type,
                             name);
        else
            fv_handler_fail(ctx, &err);
        return;
    }
    struct fv_output *o = fv_result_add_output(ctx->result);
    fv_output_set_extra(o, "principal", t->resource);
    fv_output_set_extra(o, "policy", S_POLICY_NAME);
}

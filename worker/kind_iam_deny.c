/* iam.deny_delete_backup: the inline policy DenydynamodbDeleteBackup (seed
 * 002) on one IAM user or role. PutUserPolicy/PutRolePolicy replace a policy
 * of the same name, so a redelivery writes the same document again. The
 * principal is the task's resource (an IAM ARN of the task's account); the
 * worker refuses, whatever the message says, AWS-managed principals,
 * fleetvault's own roles, the identity it acts as and the job's exempt
 * principals. */
#include "handler.h"

#include <fv/iam.h>
#include <fv/naming.h>
#include <fv/sts.h>

#include <stdlib.h>
#include <string.h>

#define S_POLICY_NAME "DenydynamodbDeleteBackup"
#define S_POLICY                                                                                   \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Action\":\"dynamodb:DeleteBackup\","            \
    "\"Resource\":\"*\",\"Effect\":\"Deny\",\"Sid\":\"DenydynamodbDeleteBackup\"}]}"

/* Whether the user or role type/name of account is the caller itself (a base
 * or IRSA role acting without a role_arn, which no configuration names).
 * GetCallerIdentity's ARN names an assumed role without its path
 * (arn:aws:sts::<account>:assumed-role/<name>/<session>); a role's name is
 * unique in its account, so account and name identify it. A user's ARN is
 * the same in IAM and STS. */
static fv_status s_is_caller(struct fv_aws_client *c, const char *account, const char *type,
                             const char *name, bool *self, struct fv_error *err)
{
    struct fv_caller_identity me = {0};
    fv_status st = fv_sts_get_caller_identity(c, &me, err);
    *self = false;
    if (st == FV_OK && me.arn && strcmp(me.account, account) == 0) {
        char *rest = fv_arn_part(me.arn, 5), *who = NULL;
        if (rest && strcmp(type, "role") == 0 && fv_str_starts_with(rest, "assumed-role/")) {
            who = fv_strdup(rest + strlen("assumed-role/"));
            char *slash = strchr(who, '/');
            if (slash)
                *slash = '\0';
        } else if (rest && strcmp(type, "user") == 0 && fv_str_starts_with(rest, "user/")) {
            const char *last = strrchr(rest, '/');
            who = fv_strdup(last + 1);
        }
        *self = who && strcmp(who, name) == 0;
        free(who);
        free(rest);
    }
    fv_caller_identity_clean_up(&me);
    return st;
}

void fv_kind_iam_deny(struct fv_handler_ctx *ctx)
{
    const struct fv_task *t = ctx->task;
    struct fv_error err;
    const struct fv_config_job *job = ctx->scope->job;
    char *type, *path, *name;
    if (!fv_principal_parse(t->resource, &type, &path, &name)) {
        fv_handler_failf(ctx, FV_RESULT_FAILED, "TaskInvalid", "%s is not an IAM user or role",
                         t->resource);
        return;
    }
    if (strcmp(ctx->cfg->deny_guard, "inline") != 0) {
        fv_handler_failf(ctx, FV_RESULT_FAILED, "TaskNotAuthorized",
                         "iam.deny_guard is %s: no inline deny policy is written",
                         ctx->cfg->deny_guard);
        goto out;
    }
    bool exempt =
        fv_principal_aws_managed(path, name) || fv_fleet_is_own_principal(ctx->fleet, t->resource);
    for (size_t i = 0; i < job->n_exempt_principals; i++)
        exempt = exempt || strcmp(job->exempt_principals[i], t->resource) == 0;
    struct fv_aws_client *client =
        exempt ? NULL : fv_fleet_client(ctx->clients, t->account, t->region, &err);
    if (exempt) {
        fv_handler_failf(ctx, FV_RESULT_FAILED, "TaskNotAuthorized",
                         "%s is AWS-managed, fleetvault's own or exempt: it never gets the deny "
                         "policy",
                         t->resource);
        goto out;
    }
    if (!client) {
        fv_handler_fail(ctx, &err);
        goto out;
    }
    bool self = false;
    if (s_is_caller(client, t->account, type, name, &self, &err) != FV_OK) {
        fv_handler_fail(ctx, &err);
        goto out;
    }
    if (self) {
        fv_handler_failf(ctx, FV_RESULT_FAILED, "TaskNotAuthorized",
                         "%s is the identity fleetvault acts as: it never gets the deny policy",
                         t->resource);
        goto out;
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
        goto out;
    }
    struct fv_output *o = fv_result_add_output(ctx->result);
    fv_output_set_extra(o, "principal", t->resource);
    fv_output_set_extra(o, "policy", S_POLICY_NAME);
out:
    free(type);
    free(path);
    free(name);
}

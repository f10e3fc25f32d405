/* restore dynamodb (fv/restore.h): RestoreTableFromBackup into the backup's
 * own account and region, then wait until the new table is ACTIVE. */
#include <fv/restore.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The backup's account and region, from its ARN (caller frees both). */
static fv_status s_where(const char *arn, char **account, char **region, struct fv_error *err)
{
    *region = arn ? fv_arn_part(arn, 3) : NULL;
    *account = arn ? fv_arn_part(arn, 4) : NULL;
    if (arn && strncmp(arn, "arn:", 4) == 0 && *region && **region && *account && **account)
        return FV_OK;
    free(*region);
    free(*account);
    *region = *account = NULL;
    return fv_error_set(err, FV_E_INVALID,
                        "backup ARN '%s': not an ARN with an account and a region", arn ? arn : "");
}

fv_status fv_restore_table_start(const struct fv_restore_aws *aws,
                                 const struct fv_restore_table *req, struct fv_error *err)
{
    char *account, *region;
    fv_status st = s_where(req->backup_arn, &account, &region, err);
    if (st != FV_OK)
        return st;
    struct fv_dynamodb_table t = {0};
    st = aws->restore_table(aws->ud, account, region, req->backup_arn, req->target_table, &t, err);
    fv_dynamodb_table_clean_up(&t);
    free(account);
    free(region);
    return st;
}

struct s_poll {
    const struct fv_restore_aws *aws;
    const char *account, *region, *table;
    struct fv_dynamodb_table *t;
};

static fv_status s_active(void *ud, bool *done, struct fv_error *err)
{
    struct s_poll *p = ud;
    fv_dynamodb_table_clean_up(p->t);
    fv_status st = p->aws->describe_table(p->aws->ud, p->account, p->region, p->table, p->t, err);
    *done = st == FV_OK && p->t->status && strcmp(p->t->status, "ACTIVE") == 0;
    return st;
}

fv_status fv_restore_table_wait(const struct fv_restore_aws *aws,
                                const struct fv_restore_table *req, struct fv_dynamodb_table *out,
                                struct fv_error *err)
{
    char *account, *region;
    memset(out, 0, sizeof(*out));
    fv_status st = s_where(req->backup_arn, &account, &region, err);
    if (st != FV_OK)
        return st;
    struct s_poll p = {aws, account, region, req->target_table, out};
    struct fv_wait w = {.clock = req->clock,
                        .timeout_ms = req->timeout_ms,
                        .first_pause_ms = 2000,
                        .max_pause_ms = 2000,
                        .stop = req->stop};
    int64_t waited = 0;
    st = fv_wait_until(&w, s_active, &p, &waited, err);
    if (st == FV_E_TIMEOUT || st == FV_E_CANCELLED)
        fv_error_set(err, st, "table %s not ACTIVE after %lld s%s (it is %s)", req->target_table,
                     (long long)(waited / 1000), st == FV_E_CANCELLED ? ", interrupted" : "",
                     out->status ? out->status : "not described");
    else if (st != FV_OK) {
        char why[sizeof(err->message)];
        snprintf(why, sizeof(why), "%s", err->message);
        fv_error_set(err, st, "table %s: %s", req->target_table, why);
    }
    free(account);
    free(region);
    return st;
}

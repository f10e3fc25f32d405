/* dynamodb.retention: for one account × region, keep the N newest
 * fleetvault backups of each selected table and delete the rest.
 *
 * One account-wide ListBackups (pages of 100) instead of one call per table:
 * ListBackups is limited to 5/s per account, so per-table listing (as seed
 * 002/004 do) does not scale to a fleet. Only backups fleetvault made —
 * named "<table>-YYYYMMDDTHHMMSSZ" — are ever deleted: a backup someone took
 * by hand is not ours to expire. DeleteBackup is idempotent here: a backup
 * already gone counts as deleted. */
#include "events.h"
#include "handler.h"

#include <fv/dynamodb.h>
#include <fv/log.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* "<table>-20261121T020000Z" */
static bool s_ours(const char *table, const char *name)
{
    size_t tl = strlen(table);
    if (!name || strncmp(name, table, tl) != 0 || name[tl] != '-' || strlen(name) != tl + 17)
        return false;
    const char *ts = name + tl + 1;
    for (int i = 0; i < 16; i++) {
        char c = ts[i];
        bool ok = i == 8 ? c == 'T' : i == 15 ? c == 'Z' : isdigit((unsigned char)c);
        if (!ok)
            return false;
    }
    return true;
}

static int s_newest_first(const void *a, const void *b)
{
    const struct fv_dynamodb_backup *x = *(const struct fv_dynamodb_backup *const *)a;
    const struct fv_dynamodb_backup *y = *(const struct fv_dynamodb_backup *const *)b;
    if (x->created_ms != y->created_ms)
        return x->created_ms > y->created_ms ? -1 : 1;
    return strcmp(y->name, x->name); /* names carry the run time too */
}

void fv_kind_dynamodb_retention(struct fv_handler_ctx *ctx)
{
    const struct fv_task *t = ctx->task;
    struct fv_error err;
    struct fv_aws_client *client = fv_fleet_client(ctx->clients, t->account, t->region, &err);
    if (!client) {
        fv_handler_fail(ctx, &err);
        return;
    }
    const char *tables = fv_task_param(t, "tables");
    /* How many to keep is the job's, in this worker's configuration. */
    int64_t keep = ctx->scope->job->retention;
    struct fv_dynamodb_list_backups req = {0};
    struct fv_dynamodb_backups all = {0};
    if (fv_dynamodb_list_backups(client, &req, &all, &err) != FV_OK) {
        fv_handler_fail(ctx, &err);
        return;
    }
    char *list = fv_strdup(tables ? tables : ""), *save = NULL;
    struct fv_dynamodb_backup **mine = fv_calloc(all.n ? all.n : 1, sizeof(*mine));
    size_t deleted = 0, failed = 0;
    struct fv_error first_err = {0};
    for (char *table = strtok_r(list, ",", &save); table; table = strtok_r(NULL, ",", &save)) {
        size_t n = 0;
        for (size_t i = 0; i < all.n; i++) {
            struct fv_dynamodb_backup *b = &all.items[i];
            if (b->table_name && strcmp(b->table_name, table) == 0 && s_ours(table, b->name) &&
                b->status != FV_DDB_BACKUP_DELETED)
                mine[n++] = b;
        }
        if ((int64_t)n <= keep)
            continue;
        qsort(mine, n, sizeof(*mine), s_newest_first);
        for (size_t i = (size_t)keep; i < n; i++) {
            struct fv_dynamodb_backup gone = {0};
            fv_status st = fv_dynamodb_delete_backup(client, mine[i]->arn, &gone, &err);
            if (st != FV_OK &&
                (err.status == FV_E_NOTFOUND || strcmp(err.code, "BackupNotFoundException") == 0))
                st = FV_OK;
            fv_dynamodb_backup_clean_up(&gone);
            if (st != FV_OK) {
                if (!failed++)
                    first_err = err;
                continue;
            }
            deleted++;
            struct fv_output *o = fv_result_add_output(ctx->result);
            o->backup_arn = fv_strdup(mine[i]->arn);
            o->backup_name = fv_strdup(mine[i]->name);
            fv_output_set_extra(o, "action", "deleted");
            fv_output_set_extra(o, "table", table);
            struct fv_buf msg = {0};
            fv_buf_printf(&msg, "deleted backup %s (%s) of table %s: retention keeps %lld",
                          mine[i]->name, mine[i]->arn, table, (long long)keep);
            fv_worker_log_event(ctx, client, msg.ptr);
            fv_buf_clean_up(&msg);
        }
    }
    FV_LOG(FV_LOG_INFO, "worker",
           "run %s task %s: retention in %s/%s deleted %zu backups "
           "(%zu ListBackups calls)",
           t->run_id, t->task_id, t->account, t->region, deleted, all.pages);
    if (failed) {
        /* The deletes are idempotent: a retry only does what is left. */
        first_err.retryable = true;
        fv_handler_fail(ctx, &first_err);
    }
    free(mine);
    free(list);
    fv_dynamodb_backups_clean_up(&all);
}

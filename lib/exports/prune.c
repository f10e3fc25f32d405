/* Retention of one table's exports: the recorded exports fv_export_retention_select
 * chooses are deleted, within the configuration's bucket and prefix only
 * (fv/export_records.h). */
#include <fv/export_records.h>
#include <fv/export_retention.h>
#include <fv/log.h>
#include <fv/naming.h>
#include <fv/s3.h>

#include <stdlib.h>
#include <string.h>

void fv_export_prune_report_clean_up(struct fv_export_prune_report *r)
{
    if (!r)
        return;
    fv_buf_clean_up(&r->problems);
    memset(r, 0, sizeof(*r));
}

static void s_problem(struct fv_export_prune_report *r, const struct fv_export_key *key,
                      const char *arn, const char *what)
{
    if (r->problems.len)
        fv_buf_append_str(&r->problems, "; ");
    fv_buf_printf(&r->problems, "export %s: %s", arn ? arn : "?", what);
    FV_LOG(FV_LOG_WARN, "exports", "retention of table %s (job %s, account %s, region %s): %s: %s",
           key->table, key->job, key->account, key->region, arn ? arn : "?", what);
}

/* Is rec's export where the configuration puts key's exports? */
static bool s_authorized(const struct fv_export_record *rec, const struct fv_export_key *key,
                         const struct fv_export_prune_scope *scope, struct fv_buf *why)
{
    const char *id = fv_name_export_id(rec->export_arn);
    struct fv_buf arn_part = {0}, dir = {0};
    fv_buf_printf(&arn_part, ":dynamodb:%s:%s:table/%s/export/", key->region, key->account,
                  key->table);
    bool ok = false;
    if (!id || strncmp(rec->export_arn, "arn:", 4) != 0 || !strstr(rec->export_arn, arn_part.ptr))
        fv_buf_printf(why, "its ARN is not an export of table %s: refused", key->table);
    else if (!rec->bucket || !scope->bucket || strcmp(rec->bucket, scope->bucket) != 0)
        fv_buf_printf(why, "recorded in bucket '%s', the job's is '%s': refused, nothing deleted",
                      rec->bucket ? rec->bucket : "", scope->bucket ? scope->bucket : "");
    else {
        fv_name_export_dir(scope->table_prefix, id, &dir);
        ok = rec->prefix && strcmp(rec->prefix, dir.ptr) == 0;
        if (!ok)
            fv_buf_printf(why,
                          "recorded under prefix '%s', the job's for it is '%s': refused, "
                          "nothing deleted",
                          rec->prefix ? rec->prefix : "", dir.ptr);
    }
    fv_buf_clean_up(&arn_part);
    fv_buf_clean_up(&dir);
    return ok;
}

/* Deletes every object under prefix; false with *why set when any stays. */
static bool s_delete_dir(struct fv_aws_client *s3, const char *bucket, const char *prefix,
                         int64_t *deleted, struct fv_buf *why)
{
    struct fv_error err;
    /* Deleting moves the listing, so each round lists from the start. */
    for (;;) {
        struct fv_s3_objects page = {0};
        struct fv_s3_list req = {.prefix = prefix, .max_keys = FV_S3_DELETE_OBJECTS_MAX};
        if (fv_s3_list_objects_page(s3, bucket, &req, NULL, &page, &err) != FV_OK) {
            fv_buf_printf(why, "listing s3://%s/%s: %s", bucket, prefix, err.message);
            fv_s3_objects_clean_up(&page);
            return false;
        }
        size_t n = 0;
        const char **keys = fv_calloc(page.n ? page.n : 1, sizeof(*keys));
        for (size_t i = 0; i < page.n; i++)
            if (fv_str_starts_with(page.items[i].key, prefix)) /* S3's promise, checked */
                keys[n++] = page.items[i].key;
        struct fv_s3_delete_failures failed = {0};
        fv_status st = n ? fv_s3_delete_objects(s3, bucket, keys, n, &failed, &err) : FV_OK;
        bool ok = st == FV_OK && failed.n == 0;
        if (st != FV_OK)
            fv_buf_printf(why, "DeleteObjects in s3://%s/%s: %s", bucket, prefix, err.message);
        else if (failed.n)
            fv_buf_printf(why, "DeleteObjects refused %zu keys (first %s: %s)", failed.n,
                          failed.items[0].key ? failed.items[0].key : "?",
                          failed.items[0].code ? failed.items[0].code : "?");
        if (ok)
            *deleted += (int64_t)n;
        free(keys);
        fv_s3_delete_failures_clean_up(&failed);
        fv_s3_objects_clean_up(&page);
        if (!ok || n == 0)
            return ok;
    }
}

fv_status fv_export_records_prune(struct fv_aws_client *central, struct fv_aws_client *s3,
                                  const char *control_table, const struct fv_clock *clock,
                                  const struct fv_export_key *key,
                                  const struct fv_export_prune_scope *scope,
                                  struct fv_export_prune_report *report, struct fv_error *err)
{
    memset(report, 0, sizeof(*report));
    if (scope->keep_ms <= 0)
        return FV_OK; /* retention_days 0: every export is kept */
    struct fv_export_records recs = {0};
    fv_status st = fv_export_records_list(central, control_table, clock, key, &recs, err);
    if (st != FV_OK)
        return st;
    struct fv_export_retention_item *items = fv_calloc(recs.n ? recs.n : 1, sizeof(*items));
    bool *del = fv_calloc(recs.n ? recs.n : 1, sizeof(*del));
    for (size_t i = 0; i < recs.n; i++)
        items[i] = (struct fv_export_retention_item){
            .table_arn = key->table, /* every record listed is of key's table */
            .export_arn = recs.items[i].export_arn,
            .incremental = recs.items[i].incremental,
            .status = recs.items[i].in_chain ? FV_DDB_EXPORT_COMPLETED : FV_DDB_EXPORT_FAILED,
            .time_ms = recs.items[i].time_ms,
        };
    fv_export_retention_select(items, recs.n, fv_clock_now_ms(clock), scope->keep_ms, del);
    for (size_t i = 0; i < recs.n; i++) {
        const struct fv_export_record *rec = &recs.items[i];
        if (!del[i])
            continue;
        /* Belt and braces: the chain being extended is never touched (an
         * older chain's last window may end exactly where it starts). */
        if ((scope->chain_id && strcmp(rec->export_arn, scope->chain_id) == 0) ||
            (scope->chain_full_ms > 0 && rec->time_ms > scope->chain_full_ms))
            continue;
        struct fv_buf why = {0};
        struct fv_error e;
        if (!s_authorized(rec, key, scope, &why)) {
            report->refused++;
            s_problem(report, key, rec->export_arn, why.ptr);
        } else if (!s_delete_dir(s3, scope->bucket, rec->prefix, &report->objects_deleted, &why)) {
            report->failed++;
            s_problem(report, key, rec->export_arn, why.ptr);
        } else if (fv_export_record_forget(central, control_table, key,
                                           fv_name_export_id(rec->export_arn), &e) != FV_OK) {
            report->failed++; /* its objects are gone; the record goes next time */
            fv_buf_printf(&why, "forgetting its record: %s", e.message);
            s_problem(report, key, rec->export_arn, why.ptr);
        } else {
            report->exports_deleted++;
            FV_LOG(FV_LOG_INFO, "exports", "retention of table %s: export %s deleted (s3://%s/%s)",
                   key->table, rec->export_arn, scope->bucket, rec->prefix);
        }
        fv_buf_clean_up(&why);
    }
    /* Ids listed without a record: a forget cut short between its two writes. */
    for (size_t i = 0; i < recs.n_dangling; i++) {
        struct fv_error e;
        if (fv_export_record_forget(central, control_table, key, recs.dangling[i], &e) != FV_OK)
            FV_LOG(FV_LOG_WARN, "exports", "retention of table %s: dropping listed id %s: %s",
                   key->table, recs.dangling[i], e.message);
    }
    free(items);
    free(del);
    fv_export_records_clean_up(&recs);
    return FV_OK;
}

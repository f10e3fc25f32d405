/* The keys of a dynamodb_exports job (seed 003: continuous incremental
 * exports to S3), its overrides[] entries and the settings of one table. */
#include "config_internal.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_view_types[] = {"NEW_AND_OLD_IMAGES", "NEW_IMAGE", NULL};
static const char *const s_formats[] = {"DYNAMODB_JSON", "ION", NULL};

#define S_WINDOW_DOC                                                                               \
    "Length of each incremental export window, in minutes (the seed's "                            \
    "`incrementalExportWindowSizeInMinutes`): windows are consecutive, [last end, last end + "     \
    "window), none ending in the future."
#define S_POLL_DOC                                                                                 \
    "Seconds between DescribeExport calls while an export runs (the seed's "                       \
    "`waitTimeToCheckExportStatusInSeconds`); each wait is a delayed follow-up task, no worker "   \
    "thread or partition is held."

#define S_RETENTION_DOC                                                                            \
    "Days of exports kept restorable: the newest COMPLETED full export at least this old (the "    \
    "base) and everything after it stay; the exports of older chains are deleted (their S3 "       \
    "objects, then their records) once such a newer full export COMPLETED, so a table always "     \
    "keeps a restorable chain. Only exports fleetvault recorded making are deleted, and only "     \
    "under the table's configured bucket and prefix (docs/EXPORTS.md, Retention)."
#define S_FULL_EVERY_DOC                                                                           \
    "Once a chain's full export is this many days old (and no window is due), the next export "    \
    "is a full export at the chain's last window end that starts a new chain, as "                 \
    "RESET_WITH_FULL_EXPORT_AGAIN does; the old chain stays until the new full export COMPLETED "  \
    "and then ages out by `retention_days`."

#define S_OFF(f) offsetof(struct fv_config_job, f)
const struct fv_prop fv_config_exports_job_props[FV_CONFIG_EXPORTS_JOB_NPROPS] = {
    FV_CONFIG_TABLE_SELECTION_PROPS,
    {"window_minutes", FV_PROP_INT, S_OFF(window_minutes), 0, "15", false, 15, 1440, NULL, NULL,
     S_WINDOW_DOC " Without `schedule`, the job runs every third of the smallest window of its "
                  "tables (the seed's catch-up rule), so windows left behind are caught up."},
    {"poll_interval_s", FV_PROP_INT, S_OFF(poll_interval_s), 0, "10", false, 1, 3600, NULL, NULL,
     S_POLL_DOC},
    {"view_type", FV_PROP_STRING, S_OFF(view_type), 0, "NEW_AND_OLD_IMAGES", false, 0, 0, NULL,
     s_view_types, "ExportViewType of the incremental exports."},
    {"format", FV_PROP_STRING, S_OFF(ddb_export_format), 0, "DYNAMODB_JSON", false, 0, 0, NULL,
     s_formats, "ExportFormat of every export."},
    {"s3.bucket", FV_PROP_STRING, S_OFF(bucket), 0, NULL, false, 0, 0, NULL, NULL,
     "Bucket of the exports; `central.bucket` otherwise (one of the two is required), so every "
     "export is also the copy outside the table's account. The export is written by the member "
     "account with `S3BucketOwner` (see `s3.bucket_owner`); the bucket policy and KMS key policy "
     "this needs: `fleetvault iam-policy`, docs/IAM.md."},
    {"s3.bucket_owner", FV_PROP_STRING, S_OFF(bucket_owner), 0, NULL, false, 0, 0, "account-id",
     NULL, "Account owning the bucket (`S3BucketOwner`); `central.account` otherwise."},
    {"s3.prefix", FV_PROP_STRING, S_OFF(export_prefix), 0, "dynamodb-exports", false, 0, 0, NULL,
     NULL,
     "Base of the key prefixes: each table's exports go under "
     "`<prefix>/<job>/<account>/<region>/<table>/` (an override's `s3.prefix` replaces the "
     "whole)."},
    {"s3.sse_kms_key_id", FV_PROP_STRING, S_OFF(sse_kms_key_id), 0, NULL, false, 0, 0, NULL, NULL,
     "KMS key (ARN) for SSE-KMS on the exports (`S3SseAlgorithm` KMS); the bucket's default "
     "encryption otherwise."},
    {"retention_days", FV_PROP_INT, S_OFF(export_retention_days), 0, "0", false, 0, 36500, NULL,
     NULL,
     S_RETENTION_DOC " 0 keeps every export (nothing is ever deleted). Without "
                     "`full_export_every_days` (or a reset) a table has one chain and nothing "
                     "becomes deletable."},
    {"full_export_every_days", FV_PROP_INT, S_OFF(full_export_every_days), 0, "0", false, 0, 36500,
     NULL, NULL, S_FULL_EVERY_DOC " 0: never (one chain, until a reset)."},
};
#undef S_OFF

#define S_OFF(f) offsetof(struct fv_config_export_override, f)
static const struct fv_prop s_override_props[] = {
    {"table", FV_PROP_STRING, S_OFF(table), 0, NULL, true, 0, 0, NULL, NULL,
     "The table these settings are for (a table the job selects)."},
    {"account", FV_PROP_STRING, S_OFF(account), 0, NULL, false, 0, 0, "account-id", NULL,
     "Only the table of this account; every account of the job otherwise."},
    {"region", FV_PROP_STRING, S_OFF(region), 0, NULL, false, 0, 0, "region", NULL,
     "Only the table of this region; every region otherwise."},
    {"window_minutes", FV_PROP_INT, S_OFF(window_minutes), 0, NULL, false, 15, 1440, NULL, NULL,
     S_WINDOW_DOC},
    {"poll_interval_s", FV_PROP_INT, S_OFF(poll_interval_s), 0, NULL, false, 1, 3600, NULL, NULL,
     S_POLL_DOC},
    {"view_type", FV_PROP_STRING, S_OFF(view_type), 0, NULL, false, 0, 0, NULL, s_view_types,
     "ExportViewType."},
    {"format", FV_PROP_STRING, S_OFF(format), 0, NULL, false, 0, 0, NULL, s_formats,
     "ExportFormat."},
    {"s3.prefix", FV_PROP_STRING, S_OFF(prefix), 0, NULL, false, 0, 0, NULL, NULL,
     "The table's whole key prefix (e.g. the seed's `dataExportBucketPrefix`, to continue its "
     "exports where they are)."},
    {"s3.sse_kms_key_id", FV_PROP_STRING, S_OFF(sse_kms_key_id), 0, NULL, false, 0, 0, NULL, NULL,
     "KMS key for this table's exports."},
    {"retention_days", FV_PROP_INT, S_OFF(retention_days), 0, NULL, false, 1, 36500, NULL, NULL,
     S_RETENTION_DOC " At least 1 here: a table keeps every export only when the job does."},
    {"full_export_every_days", FV_PROP_INT, S_OFF(full_export_every_days), 0, NULL, false, 1, 36500,
     NULL, NULL, S_FULL_EVERY_DOC " At least 1 here."},
};
#undef S_OFF
#define S_N(a) (sizeof(a) / sizeof((a)[0]))

static int64_t s_smallest_window(const struct fv_config_job *job)
{
    int64_t w = job->window_minutes;
    for (size_t i = 0; i < job->n_export_overrides; i++)
        if (job->export_overrides[i].window_minutes && job->export_overrides[i].window_minutes < w)
            w = job->export_overrides[i].window_minutes;
    return w;
}

fv_status fv_config_exports_job_apply(const char *file, const char *where, struct json_object *obj,
                                      struct fv_config_job *job, struct fv_error *err)
{
    const char *sep = *where ? "." : "";
    struct json_object *list = NULL;
    if (json_object_object_get_ex(obj, "overrides", &list) && list) {
        if (!json_object_is_type(list, json_type_array))
            return fv_error_set(err, FV_E_INVALID, "%s: %s%soverrides: must be a list", file, where,
                                sep);
        size_t n = json_object_array_length(list);
        job->export_overrides = fv_calloc(n ? n : 1, sizeof(*job->export_overrides));
        for (size_t i = 0; i < n; i++) {
            char at[64];
            snprintf(at, sizeof(at), "%s%soverrides[%zu]", where, sep, i);
            struct json_object *o = json_object_array_get_idx(list, i);
            if (!json_object_is_type(o, json_type_object))
                return fv_error_set(err, FV_E_INVALID, "%s: %s: must be a mapping", file, at);
            job->n_export_overrides++;
            fv_status st = fv_props_apply(file, at, s_override_props, S_N(s_override_props), o,
                                          &job->export_overrides[i], NULL, NULL, err);
            if (st != FV_OK)
                return st;
        }
    }
    if (!job->schedule) { /* the seed's schedule: a third of the window */
        struct fv_buf b = {0};
        int64_t m = s_smallest_window(job) / 3;
        fv_buf_printf(&b, "rate(%lld minute%s)", (long long)m, m == 1 ? "" : "s");
        job->schedule = fv_buf_detach(&b);
    }
    return FV_OK;
}

fv_status fv_config_exports_job_check(const char *file, size_t index, const struct fv_config *cfg,
                                      struct fv_config_job *job, struct fv_error *err)
{
    if (!job->bucket && !cfg->central_bucket)
        return fv_error_set(err, FV_E_INVALID,
                            "%s: jobs[%zu].s3.bucket: a dynamodb_exports job needs a bucket for "
                            "its exports: set it here or central.bucket",
                            file, index);
    if (!job->bucket_owner && !cfg->central_account)
        return fv_error_set(err, FV_E_INVALID,
                            "%s: jobs[%zu].s3.bucket_owner: the exports are written across "
                            "accounts with S3BucketOwner: set it here or central.account",
                            file, index);
    for (size_t i = 0; i < job->n_export_overrides; i++) {
        const char *a = job->export_overrides[i].account;
        bool known = false;
        for (size_t k = 0; a && k < cfg->n_accounts; k++)
            known = known || strcmp(cfg->accounts[k].id, a) == 0;
        if (a && !(known && fv_config_job_covers(job, a)))
            return fv_error_set(err, FV_E_INVALID,
                                "%s: jobs[%zu].overrides[%zu].account: the job does not cover "
                                "account %s",
                                file, index, i, a);
    }
    return FV_OK;
}

void fv_config_exports_job_clean_up(struct fv_config_job *job)
{
    for (size_t i = 0; i < job->n_export_overrides; i++)
        fv_props_clean_up(s_override_props, S_N(s_override_props), &job->export_overrides[i]);
    free(job->export_overrides);
    job->export_overrides = NULL;
    job->n_export_overrides = 0;
}

void fv_config_export_settings(const struct fv_config *c, const struct fv_config_job *job,
                               const char *account, const char *region, const char *table,
                               struct fv_config_export_settings *out)
{
    out->window_minutes = job->window_minutes;
    out->poll_interval_s = job->poll_interval_s;
    out->view_type = job->view_type;
    out->ddb_export_format = job->ddb_export_format;
    out->bucket = job->bucket ? job->bucket : c->central_bucket;
    out->bucket_owner = job->bucket_owner ? job->bucket_owner : c->central_account;
    out->prefix = NULL;
    out->sse_kms_key_id = job->sse_kms_key_id;
    out->retention_days = job->export_retention_days;
    out->full_export_every_days = job->full_export_every_days;
    for (size_t i = 0; i < job->n_export_overrides; i++) {
        const struct fv_config_export_override *o = &job->export_overrides[i];
        if (strcmp(o->table, table) != 0 || (o->account && strcmp(o->account, account) != 0) ||
            (o->region && strcmp(o->region, region) != 0))
            continue;
        if (o->window_minutes)
            out->window_minutes = o->window_minutes;
        if (o->poll_interval_s)
            out->poll_interval_s = o->poll_interval_s;
        if (o->view_type)
            out->view_type = o->view_type;
        if (o->format)
            out->ddb_export_format = o->format;
        if (o->prefix)
            out->prefix = o->prefix;
        if (o->sse_kms_key_id)
            out->sse_kms_key_id = o->sse_kms_key_id;
        if (o->retention_days)
            out->retention_days = o->retention_days;
        if (o->full_export_every_days)
            out->full_export_every_days = o->full_export_every_days;
    }
}

void fv_config_exports_write_docs(FILE *f)
{
    fprintf(f, "\n#### jobs[].overrides[] (dynamodb_exports)\n\n"
               "Per-table settings; the last entry matching a table wins, keys it leaves out "
               "keep the job's.\n\n");
    fv_props_write_docs(f, "jobs[].overrides[].", s_override_props, S_N(s_override_props));
}

/* `fleetvault iam-policy`: one table of which job needs which AWS action on
 * which resource, and where each call is made from (so a reader can check a
 * grant against the code), expanded for a configuration. */
#include "iampolicy_internal.h"

#include <fv/iampolicy.h>
#include <fv/naming.h>

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the configuration enables; a grant applies when all its bits hold. */
enum {
    S_ALWAYS = 0,
    S_DDB = 1 << 0,          /* a dynamodb_backups job */
    S_DDB_TAGS = 1 << 1,     /* ... selecting tables by tag */
    S_DDB_EVENTS = 1 << 2,   /* ... logging events to a member log group */
    S_GUARD_INLINE = 1 << 3, /* ... with deny_delete_policy, iam.deny_guard: inline */
    S_QS_IDENT = 1 << 4,     /* a quicksight job backing up identities */
    S_QS_ASSETS = 1 << 5,    /* a quicksight job backing up assets */
    S_QS_KMS = 1 << 6,       /* ... with SSE-KMS */
    S_MANIFESTS = 1 << 7,    /* central.bucket */
    S_SNS = 1 << 8,          /* notifications.sns_topic_arn */
    S_RUN_LOGS = 1 << 9,     /* notifications.log_group */
    S_ROLES = 1 << 10,       /* an account with a role_arn */
    S_EXP = 1 << 11,         /* a dynamodb_exports job */
    S_EXP_TAGS = 1 << 12,    /* ... selecting tables by tag */
    S_EXP_KMS = 1 << 13,     /* ... with SSE-KMS */
    S_EXP_RET = 1 << 14,     /* ... with retention_days (the job's or a table's) */
};

enum s_who { S_MEMBER, S_CENTRAL };

enum s_res {
    S_R_ANY,                /* "*": the API has no resource type for the action */
    S_R_TABLES,             /* every table of the member accounts' regions */
    S_R_BACKUPS,            /* their on-demand backups */
    S_R_IDENT_TABLES,       /* the dated identity tables (member or central account) */
    S_R_IAM_PRINCIPALS,     /* users and roles of the member accounts */
    S_R_OWN_ROLES,          /* fleetvault's member roles (role_arn of every account) */
    S_R_EVENT_LOGS,         /* jobs[].log_group in the member accounts */
    S_R_CONTROL,            /* central.control_table */
    S_R_MANIFESTS,          /* central.bucket/central.prefix/ */
    S_R_BUNDLES,            /* jobs[].s3.bucket/s3.prefix/ */
    S_R_BUNDLE_BUCKETS,     /* jobs[].s3.bucket */
    S_R_KMS,                /* jobs[].s3.sse_kms_key_id */
    S_R_TOPIC,              /* notifications.sns_topic_arn */
    S_R_RUN_LOGS,           /* notifications.log_group */
    S_R_EXPORTS,            /* the exports of the member accounts' tables */
    S_R_SEED_PARAMS,        /* seed 003's SSM parameters in the member accounts */
    S_R_EXPORT_OBJECTS,     /* dynamodb_exports jobs: <bucket>/<prefix>/ */
    S_R_EXPORT_KMS,         /* dynamodb_exports jobs: s3.sse_kms_key_id */
    S_R_EXPORT_BUCKETS,     /* dynamodb_exports jobs' buckets, listed under their prefixes */
    S_R_EXPORT_RET_BUCKETS, /* buckets of the exports that retention deletes */
    S_R_EXPORT_RET_DIRS,    /* the AWSDynamoDB/ keys of the tables with retention_days */
};

struct s_grant {
    unsigned when;
    enum s_who who;
    const char *sid;
    bool deny;
    enum s_res res;
    const char *actions[12];
    const char *callers; /* where the code makes these calls */
};

/* The table. Every action is one the code calls (callers), nothing else;
 * `restore` and `verify` are part of the jobs whose backups they read.
 * sts:GetCallerIdentity (aws-check, the planner's and the worker's "who am
 * I") is in none: AWS requires no permission for it, and no Deny stops it. */
static const struct s_grant s_grants[] = {
    /* clang-format off */
    {S_ROLES, S_CENTRAL, "AssumeMemberRoles", false, S_R_OWN_ROLES,
     {"sts:AssumeRole"},
     "lib/aws/creds_assume_role.c"},
    {S_ALWAYS, S_CENTRAL, "ControlTable", false, S_R_CONTROL,
     {"dynamodb:DescribeTable", "dynamodb:CreateTable", "dynamodb:GetItem", "dynamodb:PutItem",
      "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
      "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive"},
     "lib/fleet/control.c (lease, runs, task claims; TransactWriteItems = its items' actions;"
     " TTL on claims and run records)"},
    {S_DDB, S_CENTRAL, "BackupRecords", false, S_R_CONTROL,
     {"dynamodb:BatchGetItem"},
     "lib/fleet/control_backup.c (retention reads the records of the backups it lists)"},
    {S_MANIFESTS, S_CENTRAL, "RunManifests", false, S_R_MANIFESTS,
     {"s3:PutObject"},
     "coordinator/coordinator.c (manifests, reports)"},
    {S_SNS, S_CENTRAL, "RunNotifications", false, S_R_TOPIC,
     {"sns:Publish"},
     "coordinator/coordinator.c"},
    {S_RUN_LOGS, S_CENTRAL, "RunEventLogs", false, S_R_RUN_LOGS,
     {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
     "coordinator/coordinator.c"},
    {S_QS_ASSETS, S_CENTRAL, "AssetBundleBucket", false, S_R_BUNDLE_BUCKETS,
     {"s3:ListBucket"},
     "coordinator/plan_quicksight.c (--dry-run: the bucket is reachable)"},
    {S_QS_ASSETS, S_CENTRAL, "AssetBundles", false, S_R_BUNDLES,
     {"s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject"},
     "worker/kind_quicksight_export.c (upload), lib/restore (restore, verify)"},
    {S_QS_ASSETS | S_QS_KMS, S_CENTRAL, "AssetBundleKey", false, S_R_KMS,
     {"kms:GenerateDataKey", "kms:Decrypt"},
     "SSE-KMS of the bundles (S3 calls KMS for us)"},
    {S_DDB, S_MEMBER, "ListTables", false, S_R_ANY,
     {"dynamodb:ListTables", "dynamodb:ListBackups"},
     "coordinator/plan_dynamodb.c, worker/kind_dynamodb_backup.c, _retention.c"},
    {S_DDB_TAGS, S_MEMBER, "TableTags", false, S_R_ANY,
     {"tag:GetResources"},
     "coordinator/plan_dynamodb.c (tables.tags)"},
    {S_DDB, S_MEMBER, "CreateBackups", false, S_R_TABLES,
     {"dynamodb:CreateBackup"},
     "worker/kind_dynamodb_backup.c"},
    {S_DDB, S_MEMBER, "Backups", false, S_R_BACKUPS,
     {"dynamodb:DescribeBackup", "dynamodb:DeleteBackup", "dynamodb:RestoreTableFromBackup"},
     "worker/kind_dynamodb_backup.c, _retention.c, lib/restore (restore dynamodb)"},
    {S_DDB, S_MEMBER, "RestoreTables", false, S_R_TABLES,
     {"dynamodb:RestoreTableFromBackup", "dynamodb:DescribeTable", "dynamodb:PutItem",
      "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Query",
      "dynamodb:Scan", "dynamodb:BatchWriteItem"},
     "lib/restore (restore dynamodb; AWS requires the item actions on the target table)"},
    {S_DDB_EVENTS, S_MEMBER, "BackupEventLogs", false, S_R_EVENT_LOGS,
     {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
     "worker/events.c"},
    {S_GUARD_INLINE, S_MEMBER, "IamInventory", false, S_R_ANY,
     {"iam:ListUsers", "iam:ListRoles"},
     "coordinator/plan_dynamodb.c"},
    {S_GUARD_INLINE, S_MEMBER, "DenyGuardWrites", false, S_R_IAM_PRINCIPALS,
     {"iam:PutUserPolicy", "iam:PutRolePolicy"},
     "worker/kind_iam_deny.c"},
    {S_GUARD_INLINE, S_MEMBER, "NeverOwnRoles", true, S_R_OWN_ROLES,
     {"iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
      "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary",
      "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:DeleteRole"},
     "none: fleetvault's roles never change their own policies"},
    {S_QS_IDENT, S_MEMBER, "QuickSightIdentities", false, S_R_ANY,
     {"quicksight:ListUsers", "quicksight:ListGroups", "quicksight:ListGroupMemberships",
      "quicksight:DescribeUser", "quicksight:DescribeGroup", "quicksight:RegisterUser",
      "quicksight:CreateGroup", "quicksight:CreateGroupMembership"},
     "coordinator/plan_quicksight.c, worker/kind_quicksight_identities.c, lib/restore"},
    {S_QS_IDENT, S_MEMBER, "QuickSightIdentityTables", false, S_R_IDENT_TABLES,
     {"dynamodb:DescribeTable", "dynamodb:CreateTable", "dynamodb:BatchWriteItem",
      "dynamodb:Scan"},
     "coordinator/plan_quicksight.c, worker/kind_quicksight_identities.c, lib/restore"},
    {S_QS_ASSETS, S_MEMBER, "QuickSightAssets", false, S_R_ANY,
     {"quicksight:ListDataSources", "quicksight:ListDataSets", "quicksight:DescribeDataSet",
      "quicksight:ListAnalyses", "quicksight:ListDashboards",
      "quicksight:StartAssetBundleExportJob", "quicksight:DescribeAssetBundleExportJob",
      "quicksight:StartAssetBundleImportJob", "quicksight:DescribeAssetBundleImportJob"},
     "coordinator/plan_quicksight.c (DescribeDataSet: FILE data sets),"
     " worker/kind_quicksight_export.c, lib/restore"},
    {S_QS_ASSETS, S_MEMBER, "QuickSightRestoreAssets", false, S_R_ANY,
     {"quicksight:CreateDataSource", "quicksight:UpdateDataSource", "quicksight:PassDataSource",
      "quicksight:CreateDataSet", "quicksight:UpdateDataSet", "quicksight:PassDataSet",
      "quicksight:CreateAnalysis", "quicksight:UpdateAnalysis", "quicksight:CreateDashboard",
      "quicksight:UpdateDashboard", "quicksight:UpdateDashboardPublishedVersion",
      "quicksight:TagResource"},
     "StartAssetBundleImportJob: AWS requires them for each asset a bundle creates"},
    {S_EXP, S_MEMBER, "ExportListTables", false, S_R_ANY,
     {"dynamodb:ListTables"},
     "coordinator/plan_dynamodb.c (a dynamodb_exports job selects its tables there too)"},
    {S_EXP_TAGS, S_MEMBER, "ExportTableTags", false, S_R_ANY,
     {"tag:GetResources"},
     "coordinator/plan_dynamodb.c (tables.tags)"},
    {S_EXP, S_MEMBER, "TableExports", false, S_R_TABLES,
     {"dynamodb:ExportTableToPointInTime", "dynamodb:DescribeContinuousBackups"},
     "worker/kind_dynamodb_export.c, coordinator/plan_exports.c (the PITR window)"},
    {S_EXP, S_MEMBER, "Exports", false, S_R_EXPORTS,
     {"dynamodb:DescribeExport"},
     "worker/kind_dynamodb_export.c"},
    {S_EXP, S_MEMBER, "ExportObjects", false, S_R_EXPORT_OBJECTS,
     {"s3:PutObject", "s3:AbortMultipartUpload", "s3:PutObjectAcl"},
     "ExportTableToPointInTime: DynamoDB writes the export with the caller's permissions;"
     " worker/kind_dynamodb_export.c (the table's schema beside a full export)"},
    {S_EXP | S_EXP_KMS, S_MEMBER, "ExportKey", false, S_R_EXPORT_KMS,
     {"kms:GenerateDataKey", "kms:Decrypt"},
     "SSE-KMS of the exports (S3 calls KMS for the member role)"},
    {S_EXP, S_CENTRAL, "ExportChains", false, S_R_CONTROL,
     {"dynamodb:Scan"},
     "lib/exports/state.c (exports status|pause|resume|reset of a whole job)"},
    {S_EXP, S_MEMBER, "SeedExportState", false, S_R_SEED_PARAMS,
     {"ssm:GetParameters"},
     "lib/exports/import.c (exports import-state)"},
    {S_EXP, S_CENTRAL, "ExportReads", false, S_R_EXPORT_OBJECTS,
     {"s3:GetObject"},
     "lib/restore/restore_exports.c (restore dynamodb --from-exports, verify --exports:"
     " manifests and data files)"},
    {S_EXP, S_CENTRAL, "ExportListing", false, S_R_EXPORT_BUCKETS,
     {"s3:ListBucket"},
     "lib/restore/restore_exports.c (the exports under a prefix; s3:prefix limited to the"
     " jobs' export prefixes)"},
    {S_EXP | S_EXP_KMS, S_CENTRAL, "ExportReadKey", false, S_R_EXPORT_KMS,
     {"kms:Decrypt"},
     "SSE-KMS of the exports (S3 calls KMS for restore and verify)"},
    {S_EXP, S_MEMBER, "ExportRestoreTables", false, S_R_TABLES,
     {"dynamodb:DescribeTable", "dynamodb:CreateTable", "dynamodb:Scan",
      "dynamodb:BatchWriteItem"},
     "lib/restore/restore_exports.c (the source's schema, the target made, its emptiness"
     " checked, the items written), worker/kind_dynamodb_export.c (the schema written beside"
     " a full export)"},
    {S_EXP_RET, S_CENTRAL, "ExportRecords", false, S_R_CONTROL,
     {"dynamodb:BatchGetItem"},
     "lib/exports/records.c (retention reads a table's export records)"},
    {S_EXP_RET, S_CENTRAL, "ExportRetentionList", false, S_R_EXPORT_RET_BUCKETS,
     {"s3:ListBucket"},
     "lib/exports/prune.c (the objects under a recorded export's prefix)"},
    {S_EXP_RET, S_CENTRAL, "ExportRetentionDelete", false, S_R_EXPORT_RET_DIRS,
     {"s3:DeleteObject"},
     "lib/exports/prune.c (DeleteObjects: only the exports' own AWSDynamoDB/<id>/ keys)"},
    /* clang-format on */
};

#define S_N(a) (sizeof(a) / sizeof((a)[0]))

struct s_ctx {
    const struct fv_config *cfg;
    const char *principal; /* central.principal_arn */
    char *central;         /* account of the central principal */
    unsigned on;
    bool base; /* member grants for the accounts without a role_arn */
};

/* The accounts a member grant covers: those with a role, or (base) those the
 * base credentials act in directly. */
static bool s_covers(const struct s_ctx *x, const struct fv_config_account *a)
{
    return x->base ? a->role_arn == NULL : a->role_arn != NULL;
}

void fv_iam_add(struct json_object *arr, const char *text)
{
    for (size_t i = 0; i < json_object_array_length(arr); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), text) == 0)
            return;
    json_object_array_add(arr, json_object_new_string(text));
}

void fv_iam_addf(struct json_object *arr, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fv_iam_add(arr, buf);
}

/* Calls fn for every (account, region) fleetvault reaches through a role. */
static void s_member_regions(const struct s_ctx *x, struct json_object *arr,
                             void (*fn)(struct json_object *, const char *acct, const char *region,
                                        const void *arg),
                             const void *arg)
{
    const struct fv_config *cfg = x->cfg;
    for (size_t i = 0; i < cfg->n_accounts; i++) {
        const struct fv_config_account *a = &cfg->accounts[i];
        if (!s_covers(x, a))
            continue;
        if (a->n_regions == 0)
            fn(arr, a->id, cfg->region, arg);
        for (size_t r = 0; r < a->n_regions; r++)
            fn(arr, a->id, a->regions[r], arg);
    }
}

static void s_tables(struct json_object *arr, const char *acct, const char *region, const void *arg)
{
    (void)arg;
    fv_iam_addf(arr, "arn:aws:dynamodb:%s:%s:table/*", region, acct);
}

static void s_backups(struct json_object *arr, const char *acct, const char *region,
                      const void *arg)
{
    (void)arg;
    fv_iam_addf(arr, "arn:aws:dynamodb:%s:%s:table/*/backup/*", region, acct);
}

const char *fv_iam_kms_arn(const struct fv_config *cfg, const char *central, const char *key,
                           char *buf, size_t n)
{
    if (strncmp(key, "arn:", 4) == 0)
        return key;
    if (strncmp(key, "alias/", 6) == 0) /* an alias names no key resource */
        snprintf(buf, n, "arn:aws:kms:%s:%s:key/*", cfg->region, central);
    else
        snprintf(buf, n, "arn:aws:kms:%s:%s:key/%s", cfg->region, central, key);
    return buf;
}

static void s_exports(struct json_object *arr, const char *acct, const char *region,
                      const void *arg)
{
    (void)arg;
    fv_iam_addf(arr, "arn:aws:dynamodb:%s:%s:table/*/export/*", region, acct);
}

static void s_seed_params(struct json_object *arr, const char *acct, const char *region,
                          const void *arg)
{
    (void)arg;
    fv_iam_addf(arr, "arn:aws:ssm:%s:%s:parameter/incremental-export/*", region, acct);
}

static void s_event_logs(struct json_object *arr, const char *acct, const char *region,
                         const void *arg)
{
    const char *group = arg;
    fv_iam_addf(arr, "arn:aws:logs:%s:%s:log-group:%s", region, acct, group);
    fv_iam_addf(arr, "arn:aws:logs:%s:%s:log-group:%s:*", region, acct, group);
}

static void s_ident_tables(const struct s_ctx *x, struct json_object *arr)
{
    const struct fv_config *cfg = x->cfg;
    for (size_t j = 0; j < cfg->n_jobs; j++) {
        const struct fv_config_job *job = &cfg->jobs[j];
        if (job->kind != FV_JOB_QUICKSIGHT || strcmp(job->mode, "assets-only") == 0)
            continue;
        const char *bases[] = {job->users_table_name, job->groups_table_name,
                               job->users_group_table_name};
        bool central = strcmp(job->identity_tables_account, "central") == 0;
        for (size_t i = 0; i < cfg->n_accounts; i++) {
            const struct fv_config_account *a = &cfg->accounts[i];
            if (!fv_config_job_covers(job, a->id) || (!central && !s_covers(x, a)))
                continue;
            const char *region = job->identity_region ? job->identity_region
                                 : a->n_regions       ? a->regions[0]
                                                      : cfg->region;
            for (size_t b = 0; b < S_N(bases); b++)
                fv_iam_addf(arr, "arn:aws:dynamodb:%s:%s:table/*-%s", region,
                            central ? x->central : a->id, bases[b]);
        }
    }
}

static struct json_object *s_resources(const struct s_ctx *x, enum s_res res)
{
    const struct fv_config *cfg = x->cfg;
    struct json_object *arr = json_object_new_array();
    char buf[512];
    switch (res) {
    case S_R_ANY: fv_iam_add(arr, "*"); break;
    case S_R_TABLES: s_member_regions(x, arr, s_tables, NULL); break;
    case S_R_BACKUPS: s_member_regions(x, arr, s_backups, NULL); break;
    case S_R_IDENT_TABLES: s_ident_tables(x, arr); break;
    case S_R_IAM_PRINCIPALS:
        for (size_t i = 0; i < cfg->n_accounts; i++)
            if (s_covers(x, &cfg->accounts[i])) {
                fv_iam_addf(arr, "arn:aws:iam::%s:user/*", cfg->accounts[i].id);
                fv_iam_addf(arr, "arn:aws:iam::%s:role/*", cfg->accounts[i].id);
            }
        break;
    case S_R_OWN_ROLES:
        if (x->base && strstr(x->principal, ":role/"))
            fv_iam_add(arr, x->principal);
        for (size_t i = 0; i < cfg->n_accounts; i++)
            if (cfg->accounts[i].role_arn)
                fv_iam_add(arr, cfg->accounts[i].role_arn);
        break;
    case S_R_EVENT_LOGS:
        for (size_t j = 0; j < cfg->n_jobs; j++)
            if (cfg->jobs[j].kind == FV_JOB_DYNAMODB_BACKUPS && cfg->jobs[j].log_group)
                s_member_regions(x, arr, s_event_logs, cfg->jobs[j].log_group);
        break;
    case S_R_CONTROL:
        fv_iam_addf(arr, "arn:aws:dynamodb:%s:%s:table/%s", cfg->region, x->central,
                    cfg->control_table);
        break;
    case S_R_MANIFESTS:
        fv_iam_addf(arr, "arn:aws:s3:::%s/%s/*", cfg->central_bucket, cfg->central_prefix);
        break;
    case S_R_BUNDLES:
    case S_R_BUNDLE_BUCKETS:
        for (size_t j = 0; j < cfg->n_jobs; j++) {
            const struct fv_config_job *job = &cfg->jobs[j];
            if (job->kind != FV_JOB_QUICKSIGHT || strcmp(job->mode, "users-only") == 0)
                continue;
            if (res == S_R_BUNDLES)
                fv_iam_addf(arr, "arn:aws:s3:::%s/%s/*", job->bucket, job->prefix);
            else
                fv_iam_addf(arr, "arn:aws:s3:::%s", job->bucket);
        }
        break;
    case S_R_KMS:
        for (size_t j = 0; j < cfg->n_jobs; j++)
            if (cfg->jobs[j].kind == FV_JOB_QUICKSIGHT && cfg->jobs[j].sse_kms_key_id)
                fv_iam_add(arr, fv_iam_kms_arn(x->cfg, x->central, cfg->jobs[j].sse_kms_key_id, buf,
                                               sizeof(buf)));
        break;
    case S_R_EXPORTS: s_member_regions(x, arr, s_exports, NULL); break;
    case S_R_SEED_PARAMS: s_member_regions(x, arr, s_seed_params, NULL); break;
    case S_R_EXPORT_OBJECTS: fv_iam_exports(cfg, x->central, FV_IAM_EXP_OBJECTS, NULL, arr); break;
    case S_R_EXPORT_KMS: fv_iam_exports(cfg, x->central, FV_IAM_EXP_KEYS, NULL, arr); break;
    case S_R_EXPORT_BUCKETS: fv_iam_exports(cfg, x->central, FV_IAM_EXP_BUCKETS, NULL, arr); break;
    case S_R_EXPORT_RET_BUCKETS:
        fv_iam_exports(cfg, x->central, FV_IAM_EXP_RET_BUCKETS, NULL, arr);
        break;
    case S_R_EXPORT_RET_DIRS:
        fv_iam_exports(cfg, x->central, FV_IAM_EXP_RET_DIRS, NULL, arr);
        break;
    case S_R_TOPIC: fv_iam_add(arr, cfg->sns_topic_arn); break;
    case S_R_RUN_LOGS:
        fv_iam_addf(arr, "arn:aws:logs:%s:%s:log-group:%s", cfg->region, x->central,
                    cfg->events_log_group);
        fv_iam_addf(arr, "arn:aws:logs:%s:%s:log-group:%s:*", cfg->region, x->central,
                    cfg->events_log_group);
        break;
    }
    return arr;
}

static struct json_object *s_statement(const char *sid, bool deny, const char *const *actions,
                                       struct json_object *resources)
{
    struct json_object *st = json_object_new_object();
    json_object_object_add(st, "Sid", json_object_new_string(sid));
    json_object_object_add(st, "Effect", json_object_new_string(deny ? "Deny" : "Allow"));
    struct json_object *acts = json_object_new_array();
    for (size_t i = 0; i < 12 && actions[i]; i++)
        json_object_array_add(acts, json_object_new_string(actions[i]));
    json_object_object_add(st, "Action", acts);
    json_object_object_add(st, "Resource", resources);
    return st;
}

static struct json_object *s_document(void)
{
    struct json_object *doc = json_object_new_object();
    json_object_object_add(doc, "Version", json_object_new_string("2012-10-17"));
    json_object_object_add(doc, "Statement", json_object_new_array());
    return doc;
}

static void s_push(struct fv_iam_docs *out, const char *file, struct json_object *doc)
{
    out->items = fv_realloc(out->items, (out->n + 1) * sizeof(*out->items));
    const char *text = json_object_to_json_string_ext(
        doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t n = strlen(text);
    char *json = fv_malloc(n + 2);
    memcpy(json, text, n);
    memcpy(json + n, "\n", 2);
    out->items[out->n++] = (struct fv_iam_doc){fv_strdup(file), json};
    json_object_put(doc);
}

static void s_statements(const struct s_ctx *x, enum s_who who, const char *sid_prefix,
                         struct json_object *sts)
{
    char sid[128];
    for (size_t i = 0; i < S_N(s_grants); i++) {
        const struct s_grant *g = &s_grants[i];
        if (g->who != who || (g->when & x->on) != g->when)
            continue;
        struct json_object *res = s_resources(x, g->res);
        if (json_object_array_length(res) == 0) {
            json_object_put(res);
            continue;
        }
        snprintf(sid, sizeof(sid), "%s%s", sid_prefix, g->sid);
        struct json_object *st = s_statement(sid, g->deny, g->actions, res);
        if (g->res == S_R_EXPORT_BUCKETS)
            fv_iam_exports_list_condition(x->cfg, st);
        json_object_array_add(sts, st);
    }
}

/* The statements of who. The member grants go to the central principal too,
 * scoped to the accounts without a role_arn, where the base credentials act
 * directly (Sids prefixed "Base"). */
static struct json_object *s_policy(const struct s_ctx *x, enum s_who who)
{
    struct json_object *doc = s_document();
    struct json_object *sts = json_object_object_get(doc, "Statement");
    s_statements(x, who, "", sts);
    bool base_accounts = false;
    for (size_t i = 0; i < x->cfg->n_accounts; i++)
        base_accounts = base_accounts || x->cfg->accounts[i].role_arn == NULL;
    if (who == S_CENTRAL && base_accounts) {
        struct s_ctx b = *x;
        b.base = true;
        s_statements(&b, S_MEMBER, "Base", sts);
    }
    return doc;
}

static struct json_object *s_trust(const struct s_ctx *x)
{
    struct json_object *doc = s_document();
    struct json_object *st = json_object_new_object();
    json_object_object_add(st, "Sid", json_object_new_string("TrustFleetvaultCentralPrincipal"));
    json_object_object_add(st, "Effect", json_object_new_string("Allow"));
    struct json_object *p = json_object_new_object();
    json_object_object_add(p, "AWS", json_object_new_string(x->principal));
    json_object_object_add(st, "Principal", p);
    json_object_object_add(st, "Action", json_object_new_string("sts:AssumeRole"));
    /* One external id per role; accounts may differ: all configured ones. */
    struct json_object *ids = json_object_new_array();
    for (size_t i = 0; i < x->cfg->n_accounts; i++)
        if (x->cfg->accounts[i].role_arn && x->cfg->accounts[i].external_id)
            fv_iam_add(ids, x->cfg->accounts[i].external_id);
    if (json_object_array_length(ids) > 0) {
        struct json_object *cond = json_object_new_object(), *eq = json_object_new_object();
        json_object_object_add(eq, "sts:ExternalId",
                               json_object_array_length(ids) == 1
                                   ? json_object_get(json_object_array_get_idx(ids, 0))
                                   : json_object_get(ids));
        json_object_object_add(cond, "StringEquals", eq);
        json_object_object_add(st, "Condition", cond);
    }
    json_object_put(ids);
    json_object_array_add(json_object_object_get(doc, "Statement"), st);
    return doc;
}

static struct json_object *s_principal_statement(const struct s_ctx *x, const char *sid,
                                                 const char *const *actions,
                                                 struct json_object *resources)
{
    struct json_object *st = s_statement(sid, false, actions, resources);
    struct json_object *p = json_object_new_object();
    json_object_object_add(p, "AWS", json_object_new_string(x->principal));
    json_object_object_add(st, "Principal", p);
    return st;
}

/* Who writes a dynamodb_exports job's exports: DynamoDB writes them as the
 * caller, the role of each member account (the central principal where an
 * account has none); all jobs that export, a principal once. */
static struct json_object *s_exporters(const struct s_ctx *x)
{
    const struct fv_config *cfg = x->cfg;
    struct json_object *who = json_object_new_array();
    for (size_t i = 0; i < cfg->n_accounts; i++)
        for (size_t j = 0; j < cfg->n_jobs; j++)
            if (cfg->jobs[j].kind == FV_JOB_DYNAMODB_EXPORTS &&
                fv_config_job_covers(&cfg->jobs[j], cfg->accounts[i].id))
                fv_iam_add(who,
                           cfg->accounts[i].role_arn ? cfg->accounts[i].role_arn : x->principal);
    return who;
}

/* The statement letting the member roles write exports into bucket (the
 * cross-account copy: ExportTableToPointInTime with S3BucketOwner). */
static void s_export_statement(const struct s_ctx *x, const char *bucket, struct json_object *sts)
{
    const char *acts[] = {"s3:PutObject", "s3:AbortMultipartUpload", "s3:PutObjectAcl", NULL};
    struct json_object *r = json_object_new_array();
    fv_iam_exports(x->cfg, x->central, FV_IAM_EXP_OBJECTS, bucket, r);
    if (json_object_array_length(r) == 0) {
        json_object_put(r);
        return;
    }
    struct json_object *st = s_statement("DynamoDbExports", false, acts, r);
    struct json_object *p = json_object_new_object();
    json_object_object_add(p, "AWS", s_exporters(x));
    json_object_object_add(st, "Principal", p);
    json_object_array_add(sts, st);
}

/* Bucket policy of bucket: the central principal's grants on it, nothing else
 * (no deletes: only retention of exports deletes, by the identity policy's
 * ExportRetentionDelete). */
static struct json_object *s_bucket_policy(const struct s_ctx *x, const char *bucket)
{
    const struct fv_config *cfg = x->cfg;
    struct json_object *doc = s_document();
    struct json_object *sts = json_object_object_get(doc, "Statement");
    char buf[512];
    if ((x->on & S_MANIFESTS) && strcmp(cfg->central_bucket, bucket) == 0) {
        const char *acts[] = {"s3:PutObject", NULL};
        struct json_object *r = json_object_new_array();
        snprintf(buf, sizeof(buf), "arn:aws:s3:::%s/%s/*", bucket, cfg->central_prefix);
        fv_iam_add(r, buf);
        json_object_array_add(sts, s_principal_statement(x, "RunManifests", acts, r));
    }
    for (size_t j = 0; j < cfg->n_jobs; j++) {
        const struct fv_config_job *job = &cfg->jobs[j];
        if (job->kind != FV_JOB_QUICKSIGHT || strcmp(job->mode, "users-only") == 0 ||
            strcmp(job->bucket, bucket) != 0)
            continue;
        const char *list[] = {"s3:ListBucket", NULL};
        const char *objs[] = {"s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject", NULL};
        struct json_object *r = json_object_new_array();
        snprintf(buf, sizeof(buf), "arn:aws:s3:::%s", bucket);
        fv_iam_add(r, buf);
        json_object_array_add(sts, s_principal_statement(x, "AssetBundleBucket", list, r));
        r = json_object_new_array();
        snprintf(buf, sizeof(buf), "arn:aws:s3:::%s/%s/*", bucket, job->prefix);
        fv_iam_add(r, buf);
        json_object_array_add(sts, s_principal_statement(x, "AssetBundles", objs, r));
        break; /* one statement pair a bucket; other prefixes: see the identity policy */
    }
    s_export_statement(x, bucket, sts);
    return doc;
}

static struct json_object *s_kms_policy(const struct s_ctx *x)
{
    struct json_object *doc = s_document();
    struct json_object *sts = json_object_object_get(doc, "Statement");
    /* The key's own account administers it (without this the key is lost). */
    struct json_object *admin = json_object_new_object();
    json_object_object_add(admin, "Sid", json_object_new_string("KeyAccountAdministers"));
    json_object_object_add(admin, "Effect", json_object_new_string("Allow"));
    struct json_object *p = json_object_new_object();
    char root[64];
    snprintf(root, sizeof(root), "arn:aws:iam::%s:root", x->central);
    json_object_object_add(p, "AWS", json_object_new_string(root));
    json_object_object_add(admin, "Principal", p);
    json_object_object_add(admin, "Action", json_object_new_string("kms:*"));
    json_object_object_add(admin, "Resource", json_object_new_string("*"));
    json_object_array_add(sts, admin);
    const char *acts[] = {"kms:GenerateDataKey", "kms:Decrypt", NULL};
    struct json_object *r = json_object_new_array();
    fv_iam_add(r, "*"); /* in a key policy "*" is the key itself */
    if (x->on & S_QS_KMS)
        json_object_array_add(sts, s_principal_statement(x, "AssetBundleKey", acts, r));
    else
        json_object_put(r);
    if (x->on & S_EXP_KMS) {
        struct json_object *st = s_statement("DynamoDbExportKey", false, acts, NULL);
        json_object_object_del(st, "Resource");
        json_object_object_add(st, "Resource", json_object_new_string("*"));
        struct json_object *who = json_object_new_object();
        json_object_object_add(who, "AWS", s_exporters(x));
        json_object_object_add(st, "Principal", who);
        json_object_array_add(sts, st);
    }
    return doc;
}

/* The guard as an SCP: DeleteBackup denied to every principal of the member
 * accounts but fleetvault's role and the jobs' exempt principals. */
static struct json_object *s_scp(const struct s_ctx *x)
{
    const struct fv_config *cfg = x->cfg;
    struct json_object *doc = s_document();
    struct json_object *st = json_object_new_object();
    json_object_object_add(st, "Sid", json_object_new_string(FV_IAM_DENY_POLICY_NAME));
    json_object_object_add(st, "Effect", json_object_new_string("Deny"));
    json_object_object_add(st, "Action", json_object_new_string("dynamodb:DeleteBackup"));
    json_object_object_add(st, "Resource", json_object_new_string("*"));
    struct json_object *exempt = json_object_new_array();
    for (size_t i = 0; i < cfg->n_accounts; i++)
        if (cfg->accounts[i].role_arn)
            fv_iam_add(exempt, cfg->accounts[i].role_arn);
    for (size_t j = 0; j < cfg->n_jobs; j++)
        for (size_t k = 0; k < cfg->jobs[j].n_exempt_principals; k++)
            fv_iam_add(exempt, cfg->jobs[j].exempt_principals[k]);
    struct json_object *cond = json_object_new_object(), *op = json_object_new_object();
    json_object_object_add(op, "aws:PrincipalArn", exempt);
    json_object_object_add(cond, "ArnNotLike", op);
    json_object_object_add(st, "Condition", cond);
    json_object_array_add(json_object_object_get(doc, "Statement"), st);
    return doc;
}

static unsigned s_features(const struct fv_config *cfg)
{
    unsigned on = 0;
    bool inline_guard = strcmp(cfg->deny_guard, "inline") == 0;
    for (size_t j = 0; j < cfg->n_jobs; j++) {
        const struct fv_config_job *job = &cfg->jobs[j];
        if (job->kind == FV_JOB_DYNAMODB_BACKUPS) {
            on |= S_DDB;
            on |= job->n_table_tags ? S_DDB_TAGS : 0;
            on |= job->log_group ? S_DDB_EVENTS : 0;
            on |= job->deny_delete_policy && inline_guard ? S_GUARD_INLINE : 0;
        } else if (job->kind == FV_JOB_DYNAMODB_EXPORTS) {
            on |= S_EXP;
            on |= job->n_table_tags ? S_EXP_TAGS : 0;
            for (size_t i = 0; i < job->n_export_overrides; i++)
                on |= job->export_overrides[i].sse_kms_key_id ? S_EXP_KMS : 0;
            on |= job->sse_kms_key_id ? S_EXP_KMS : 0;
            on |= job->export_retention_days > 0 ? S_EXP_RET : 0;
            for (size_t i = 0; i < job->n_export_overrides; i++)
                on |= job->export_overrides[i].retention_days > 0 ? S_EXP_RET : 0;
        } else {
            on |= strcmp(job->mode, "assets-only") != 0 ? S_QS_IDENT : 0;
            on |= strcmp(job->mode, "users-only") != 0 ? S_QS_ASSETS : 0;
            on |= job->sse_kms_key_id ? S_QS_KMS : 0;
        }
    }
    on |= cfg->central_bucket ? S_MANIFESTS : 0;
    on |= cfg->sns_topic_arn ? S_SNS : 0;
    on |= cfg->events_log_group ? S_RUN_LOGS : 0;
    for (size_t i = 0; i < cfg->n_accounts; i++)
        on |= cfg->accounts[i].role_arn ? S_ROLES : 0;
    return on;
}

static bool s_scp_needed(const struct fv_config *cfg)
{
    if (strcmp(cfg->deny_guard, "scp") != 0)
        return false;
    for (size_t j = 0; j < cfg->n_jobs; j++)
        if (cfg->jobs[j].kind == FV_JOB_DYNAMODB_BACKUPS && cfg->jobs[j].deny_delete_policy)
            return true;
    return false;
}

void fv_iam_docs_clean_up(struct fv_iam_docs *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].file);
        free(d->items[i].json);
    }
    free(d->items);
    memset(d, 0, sizeof(*d));
}

fv_status fv_iam_policies(const struct fv_config *cfg, struct fv_iam_docs *out,
                          struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct s_ctx x = {.cfg = cfg, .principal = cfg->central_principal_arn};
    if (!x.principal)
        return fv_error_set(err, FV_E_INVALID,
                            "%s: central.principal_arn: required by `fleetvault iam-policy` (the "
                            "ARN of the role or user fleetvault runs as, which the member roles "
                            "trust)",
                            cfg->path ? cfg->path : "config");
    x.central = fv_arn_part(x.principal, 4);
    if (!x.central || strlen(x.central) != 12 ||
        (cfg->central_account && strcmp(cfg->central_account, x.central) != 0)) {
        free(x.central);
        return fv_error_set(err, FV_E_INVALID,
                            "%s: central.principal_arn: '%s' is not an IAM ARN of the central "
                            "account%s%s",
                            cfg->path ? cfg->path : "config", x.principal,
                            cfg->central_account ? " " : "",
                            cfg->central_account ? cfg->central_account : "");
    }
    x.on = s_features(cfg);
    if (x.on & S_ROLES) {
        s_push(out, "fleetvault-member-policy.json", s_policy(&x, S_MEMBER));
        s_push(out, "fleetvault-member-trust.json", s_trust(&x));
    }
    s_push(out, "fleetvault-central-policy.json", s_policy(&x, S_CENTRAL));
    char file[512];
    const char *done[64];
    size_t n_done = 0;
    for (size_t j = 0; j <= cfg->n_jobs && n_done < S_N(done); j++) {
        const char *bucket = j == cfg->n_jobs ? cfg->central_bucket : cfg->jobs[j].bucket;
        if (!bucket || (j < cfg->n_jobs && cfg->jobs[j].kind == FV_JOB_DYNAMODB_BACKUPS))
            continue;
        bool seen = false;
        for (size_t k = 0; k < n_done; k++)
            seen = seen || strcmp(done[k], bucket) == 0;
        if (seen)
            continue;
        done[n_done++] = bucket;
        snprintf(file, sizeof(file), "fleetvault-bucket-policy-%s.json", bucket);
        s_push(out, file, s_bucket_policy(&x, bucket));
    }
    if (x.on & (S_QS_KMS | S_EXP_KMS))
        s_push(out, "fleetvault-kms-key-policy.json", s_kms_policy(&x));
    if (s_scp_needed(cfg))
        s_push(out, "fleetvault-deny-delete-backup-scp.json", s_scp(&x));
    free(x.central);
    return FV_OK;
}

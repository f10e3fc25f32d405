/* Every name fleetvault derives, defined once and used by the planner, the
 * workers, verify and restore: run ids, backup names, dated table names,
 * bucket keys, export job ids, slot leases. Each comes from the
 * configuration and the run, never from a message. */
#ifndef FV_NAMING_H
#define FV_NAMING_H

#include <fv/config.h>

/* "<job>-<YYYYMMDDTHHMMSSZ>" (the inverse is fv_task_run_started). */
void fv_name_run_id(const char *job, int64_t started_s, struct fv_buf *out);
/* An on-demand backup of a dynamodb_backups job: "<table>-<job>-<run
 * stamp>", at most 255 characters (a longer table name is cut short; the
 * job's name never is). A name is only a name: which backups are
 * fleetvault's is in the control table (fv_control_backup_put), since
 * anyone who may CreateBackup can give a backup any name. */
#define FV_NAME_BACKUP_MAX 255
#define FV_NAME_BACKUP_JOB_MAX 200
void fv_name_backup(const char *table, const char *job, const char *stamp, struct fv_buf *out);
/* Is name fv_name_backup(table, job, S) for some stamp S? A cheap filter
 * before the records are read, never proof of ownership. */
bool fv_name_backup_of(const char *table, const char *job, const char *name);
/* Can job name a dynamodb_backups job: 1-200 characters of [A-Za-z0-9_.-]
 * (DynamoDB's backup-name characters)? */
bool fv_name_backup_job_ok(const char *job);
/* A dated table: "YYYY-MM-DD-<base>" of the run's day (UTC). */
void fv_name_dated_table(int64_t started_s, const char *base, struct fv_buf *out);

/* Where a quicksight job's identity tables live for account. */
struct fv_name_identity {
    char *account; /* the member account, or the central one */
    char *region;  /* jobs[].identity_region, else the account's region */
    char *users, *groups, *memberships;
    char *namespace_;
    char timestamp[21]; /* the run's start, ISO 8601: the rows' backup_timestamp */
};
/* central: the central account id (needed when the job keeps its tables
 * there; may be NULL otherwise). */
void fv_name_identity(const struct fv_config *cfg, const struct fv_config_job *job,
                      const struct fv_config_account *acct, const char *central, int64_t started_s,
                      struct fv_name_identity *out);
void fv_name_identity_clean_up(struct fv_name_identity *n);

/* The bucket of a quicksight job's bundles (borrowed from cfg). */
const char *fv_name_bundle_bucket(const struct fv_config *cfg, const struct fv_config_job *job);
/* The key of a bundle ("datasets" or "datasets_bundle_2"):
 * <prefix>/[<account>/]<date>/<type>/<bundle>-HHMMSS.zip — the account
 * only when the job covers more than one, the date in jobs[].prefix_format. */
void fv_name_bundle_key(const struct fv_config *cfg, const struct fv_config_job *job,
                        const char *account, int64_t started_s, const char *bundle,
                        struct fv_buf *out);
/* The asset type of a bundle name ("datasets_bundle_2" → "datasets"). */
void fv_name_bundle_type(const char *bundle, char *out, size_t n);
/* An export job id: "fv-<task_id>-<generation>". */
void fv_name_export_job(const char *task_id, int64_t generation, char *out, size_t n);
/* A restore's import job id: "fvr-<run>-<source>-<bundle>-to-<target>-<tag>",
 * tag the first 8 hex digits of the SHA-256 of the overrides as parsed
 * (canonical JSON text; NULL: "none"), every character outside
 * [A-Za-z0-9_-] as '_'. The same restore gets the same ids, so a rerun finds
 * its jobs; other overrides or another target get new ones. */
void fv_name_restore_job(const char *run_id, const char *source, const char *bundle,
                         const char *target, const char *overrides_canonical, char *out, size_t n);
/* Where a dynamodb_exports job's exports of one table go in its bucket
 * (settings from fv_config_export_settings): the override's whole prefix
 * when it has one, else "<s3.prefix>/<job>/<account>/<region>/<table>";
 * DynamoDB puts each export under <prefix>/AWSDynamoDB/<export id>/. */
void fv_name_export_prefix(const struct fv_config_job *job,
                           const struct fv_config_export_settings *s, const char *account,
                           const char *region, const char *table, struct fv_buf *out);
/* The id of an export: the last part of its ARN
 * ("arn:aws:dynamodb:R:A:table/T/export/<id>"), borrowed from arn; NULL
 * when arn has no '/' or ends in one. */
const char *fv_name_export_id(const char *arn);
/* The key prefix DynamoDB writes one export under, in table_prefix
 * (fv_name_export_prefix): "<table_prefix>/AWSDynamoDB/<id>/" ("AWSDynamoDB/<id>/" for
 * an empty table_prefix). Retention deletes exactly what is under it. */
void fv_name_export_dir(const char *table_prefix, const char *export_id, struct fv_buf *out);
/* The key of the source table's schema fleetvault writes beside a full
 * export (fv_export_schema_make): "<export_dir>fleetvault-table.json", in
 * the export's own directory (fv_name_export_dir, ending in '/'), so
 * retention deletes it with its export; DynamoDB never writes that name. */
void fv_name_export_schema_key(const char *export_dir, struct fv_buf *out);
/* The control-table items of the exports fleetvault recorded (fv/export_records.h):
 * one per export, "exportrec#<job>#<account>#<region>#<table>#<export id>", and one
 * per table listing them, "exportrecs#<job>#<account>#<region>#<table>". */
void fv_name_export_record_pk(const char *job, const char *account, const char *region,
                              const char *table, const char *export_id, struct fv_buf *out);
void fv_name_export_records_pk(const char *job, const char *account, const char *region,
                               const char *table, struct fv_buf *out);
/* The ClientToken of one export: "fv-" + 32 hex digits of the SHA-256 of
 * job, account, region, table and the window (a full export: from_ms = its
 * ExportTime, to_ms = -1). The same window of the same table gets the same
 * token however often its task is delivered, so ExportTableToPointInTime
 * starts it once (DynamoDB keeps a token 8 hours). */
#define FV_NAME_EXPORT_TOKEN_LEN 35
void fv_name_export_token(const char *job, const char *account, const char *region,
                          const char *table, int64_t from_ms, int64_t to_ms,
                          char out[FV_NAME_EXPORT_TOKEN_LEN + 1]);
/* The lease of slot i of account in a pool of job slots:
 * "<pool>#<account>#<i>" (pools "qs-export", "qs-import"). */
void fv_name_slot(const char *pool, const char *account, int i, char *out, size_t n);

/* AWS manages these principals; the deny policy never goes on them:
 * service-linked roles (path /aws-service-role/...) and IAM Identity Center
 * roles (path /aws-reserved/sso.amazonaws.com/...). Only AWS creates
 * principals under those paths; a name (AWSServiceRoleFor*, AWSReservedSSO_*)
 * anywhere else is anyone's and counts for nothing. */
bool fv_principal_aws_managed(const char *path, const char *name);
/* True when the IAM principal whose UserId/RoleId (ListUsers, ListRoles) is
 * principal_id is the caller whose GetCallerIdentity UserId is caller_id: a
 * role's id is the part of "AROA...:session" before ':', a user's the whole.
 * Ids, unlike ARNs, compare an STS assumed-role caller with its IAM role, and
 * a role deleted and re-created under the same name is another role. */
bool fv_principal_is_caller(const char *principal_id, const char *caller_id);
/* Path ("/" or "/a/b/") and name of an IAM user or role ARN; false when arn
 * is not one. Caller frees both. */
bool fv_principal_parse(const char *arn, char **type, char **path, char **name);

#endif

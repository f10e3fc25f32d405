/* DynamoDB (json 1.0): tables, on-demand backups, restore, PITR status, and
 * the item calls a control table needs (conditional writes, batch writes,
 * query/scan pages).
 *
 * Errors by value. A table or backup that does not exist is FV_E_NOTFOUND
 * (err->code keeps the service's code: ResourceNotFoundException,
 * TableNotFoundException, BackupNotFoundException). Any other service error
 * is FV_E_AWS with err->code set. Items, keys and expression values are
 * DynamoDB-JSON json-c objects ({"pk": {"S": "x"}}); the caller keeps
 * ownership of what it passes in. */
#ifndef FV_DYNAMODB_H
#define FV_DYNAMODB_H

#include <fv/aws.h>

struct json_object;

/* --- Tables --- */

struct fv_dynamodb_table_names {
    char **names;
    size_t n;
};
void fv_dynamodb_table_names_clean_up(struct fv_dynamodb_table_names *t);

/* Every table of the account and region (all pages; 100 a call). out is
 * caller's; clean up with fv_dynamodb_table_names_clean_up. */
fv_status fv_dynamodb_list_tables(struct fv_aws_client *c, struct fv_dynamodb_table_names *out,
                                  struct fv_error *err);

struct fv_dynamodb_table {
    char *name;
    char *arn;
    char *status; /* CREATING, ACTIVE, UPDATING, DELETING, ... */
    int64_t item_count;
    int64_t size_bytes;
    int64_t created_ms; /* CreationDateTime, Unix ms; 0 when absent */
};
void fv_dynamodb_table_clean_up(struct fv_dynamodb_table *t);

/* FV_E_NOTFOUND when the table does not exist. */
fv_status fv_dynamodb_describe_table(struct fv_aws_client *c, const char *table,
                                     struct fv_dynamodb_table *out, struct fv_error *err);

/* CreateTable with the caller's request object (TableName, KeySchema,
 * AttributeDefinitions, BillingMode, ...; borrowed). out may be NULL.
 * ResourceInUseException (the table exists) is FV_E_AWS with that code. */
/* Creates table with a string hash key hash_key (PAY_PER_REQUEST) unless it
 * exists (another process creating it first is fine), then waits until it
 * is ACTIVE: FV_E_TIMEOUT when it is not within wait_s seconds. */
fv_status fv_dynamodb_ensure_table(struct fv_aws_client *c, const char *table, const char *hash_key,
                                   int wait_s, struct fv_error *err);
/* DescribeTimeToLive: *status (ENABLED, ENABLING, DISABLED, DISABLING) and
 * *attribute (NULL when none), both caller's to free. */
fv_status fv_dynamodb_describe_ttl(struct fv_aws_client *c, const char *table, char **status,
                                   char **attribute, struct fv_error *err);
/* UpdateTimeToLive: DynamoDB deletes items whose `attribute` (a number,
 * epoch seconds) has passed, within days of it. */
fv_status fv_dynamodb_enable_ttl(struct fv_aws_client *c, const char *table, const char *attribute,
                                 struct fv_error *err);
fv_status fv_dynamodb_create_table(struct fv_aws_client *c, struct json_object *request,
                                   struct fv_dynamodb_table *out, struct fv_error *err);

/* --- On-demand backups --- */

enum fv_dynamodb_backup_status {
    FV_DDB_BACKUP_UNKNOWN = 0,
    FV_DDB_BACKUP_CREATING,
    FV_DDB_BACKUP_AVAILABLE,
    FV_DDB_BACKUP_DELETED,
};
/* "CREATING", ... ; "UNKNOWN" for anything else. */
const char *fv_dynamodb_backup_status_str(enum fv_dynamodb_backup_status s);

struct fv_dynamodb_backup {
    char *arn;
    char *name;
    char *table_name; /* NULL from CreateBackup (the caller knows it) */
    char *table_arn;  /* NULL from CreateBackup */
    enum fv_dynamodb_backup_status status;
    char *type; /* USER, SYSTEM, AWS_BACKUP; NULL when not reported */
    int64_t created_ms;
    int64_t size_bytes; /* -1 when not reported */
};
void fv_dynamodb_backup_clean_up(struct fv_dynamodb_backup *b);

/* CreateBackup: backup_name 3-255 of [A-Za-z0-9_.-]. out is caller's. */
fv_status fv_dynamodb_create_backup(struct fv_aws_client *c, const char *table,
                                    const char *backup_name, struct fv_dynamodb_backup *out,
                                    struct fv_error *err);
/* FV_E_NOTFOUND when the backup does not exist (deleted ones vanish). */
fv_status fv_dynamodb_describe_backup(struct fv_aws_client *c, const char *backup_arn,
                                      struct fv_dynamodb_backup *out, struct fv_error *err);
/* FV_E_NOTFOUND when the backup does not exist. out (may be NULL) is the
 * backup as deleted (status DELETED). */
fv_status fv_dynamodb_delete_backup(struct fv_aws_client *c, const char *backup_arn,
                                    struct fv_dynamodb_backup *out, struct fv_error *err);

struct fv_dynamodb_list_backups {
    const char *table_name;    /* NULL: the whole account (the cheap way for a fleet) */
    const char *backup_type;   /* NULL → "USER"; "SYSTEM", "AWS_BACKUP", "ALL" */
    int limit;                 /* page size 1..100; 0 → 100 */
    int64_t created_after_ms;  /* TimeRangeLowerBound (inclusive); 0 → none */
    int64_t created_before_ms; /* TimeRangeUpperBound (exclusive); 0 → none */
};

/* Backups, a page or many; items are appended. */
struct fv_dynamodb_backups {
    struct fv_dynamodb_backup *items;
    size_t n, cap;
    char *next;   /* LastEvaluatedBackupArn of the last page; NULL at the end */
    size_t pages; /* ListBackups calls made into this list */
};
void fv_dynamodb_backups_clean_up(struct fv_dynamodb_backups *l);

/* One ListBackups call starting after start_arn (NULL: the first page):
 * appends to out and sets out->next. */
fv_status fv_dynamodb_list_backups_page(struct fv_aws_client *c,
                                        const struct fv_dynamodb_list_backups *req,
                                        const char *start_arn, struct fv_dynamodb_backups *out,
                                        struct fv_error *err);
/* Every page. req may be NULL (the account's USER backups). */
fv_status fv_dynamodb_list_backups(struct fv_aws_client *c,
                                   const struct fv_dynamodb_list_backups *req,
                                   struct fv_dynamodb_backups *out, struct fv_error *err);

/* RestoreTableFromBackup into a new table; out (may be NULL) describes it
 * (status CREATING on AWS). TableAlreadyExistsException → FV_E_AWS;
 * BackupNotFoundException → FV_E_NOTFOUND. */
fv_status fv_dynamodb_restore_table(struct fv_aws_client *c, const char *backup_arn,
                                    const char *target_table, struct fv_dynamodb_table *out,
                                    struct fv_error *err);

struct fv_dynamodb_continuous_backups {
    bool continuous_backups_enabled;
    bool pitr_enabled;
    int64_t earliest_restorable_ms; /* 0 when PITR is off */
    int64_t latest_restorable_ms;
};
/* DescribeContinuousBackups: the PITR window an export needs (the
 * exports' PITR check, fv_export_decide in fv/exports.h). FV_E_NOTFOUND
 * when the table does not exist. */
fv_status fv_dynamodb_describe_continuous_backups(struct fv_aws_client *c, const char *table,
                                                  struct fv_dynamodb_continuous_backups *out,
                                                  struct fv_error *err);

/* --- Exports to S3 (ExportTableToPointInTime, DescribeExport) --- */

enum fv_dynamodb_export_type {
    FV_DDB_EXPORT_FULL = 0,    /* FULL_EXPORT: the table as it was at export_time */
    FV_DDB_EXPORT_INCREMENTAL, /* INCREMENTAL_EXPORT: the changes in [from, to) */
};
/* "FULL_EXPORT", "INCREMENTAL_EXPORT". */
const char *fv_dynamodb_export_type_str(enum fv_dynamodb_export_type t);

enum fv_dynamodb_export_status {
    FV_DDB_EXPORT_UNKNOWN = 0,
    FV_DDB_EXPORT_IN_PROGRESS,
    FV_DDB_EXPORT_COMPLETED,
    FV_DDB_EXPORT_FAILED,
};
/* "IN_PROGRESS", "COMPLETED", "FAILED"; "UNKNOWN" for anything else. */
const char *fv_dynamodb_export_status_str(enum fv_dynamodb_export_status s);

/* One ExportTableToPointInTime request; every string borrowed. Times are
 * Unix ms (sent as epoch seconds with a fraction). */
struct fv_dynamodb_export_request {
    const char *table_arn;     /* required: exports name tables by ARN */
    const char *bucket;        /* S3Bucket, required */
    const char *bucket_owner;  /* S3BucketOwner: the account owning bucket when it is
                                * another account's (the central bucket); NULL: none */
    const char *prefix;        /* S3Prefix; NULL: the bucket's root */
    const char *sse_algorithm; /* S3SseAlgorithm "AES256" | "KMS"; NULL: not sent */
    const char *kms_key_id;    /* S3SseKmsKeyId (with "KMS"); NULL: not sent */
    const char *format;        /* ExportFormat "DYNAMODB_JSON" | "ION"; NULL: DYNAMODB_JSON */
    enum fv_dynamodb_export_type type;
    int64_t export_time_ms; /* FULL: ExportTime; 0: not sent (the service's now) */
    int64_t from_ms, to_ms; /* INCREMENTAL: ExportFromTime, ExportToTime (both required) */
    const char *view_type;  /* INCREMENTAL: "NEW_AND_OLD_IMAGES" | "NEW_IMAGE"; NULL: the former */
    const char *client_token; /* ClientToken: the same token and parameters within 8 h
                               * give the same export (idempotent); NULL: not sent */
};

/* An export as ExportTableToPointInTime or DescribeExport tells it. Strings
 * are owned (NULL when not reported); clean up with
 * fv_dynamodb_export_clean_up. */
struct fv_dynamodb_export {
    char *arn;
    enum fv_dynamodb_export_status status;
    enum fv_dynamodb_export_type type;
    char *table_arn;
    char *bucket;
    char *bucket_owner;
    char *prefix;
    char *format;
    char *view_type; /* INCREMENTAL */
    char *client_token;
    char *manifest;            /* ExportManifest: the key of manifest-summary.json (COMPLETED) */
    char *failure_code;        /* FAILED */
    char *failure_message;     /* FAILED */
    int64_t start_ms, end_ms;  /* StartTime, EndTime; 0 when not reported */
    int64_t export_time_ms;    /* ExportTime (an incremental's is its to time) */
    int64_t from_ms, to_ms;    /* INCREMENTAL: the window; 0 otherwise */
    int64_t item_count;        /* ItemCount; -1 when not reported */
    int64_t billed_size_bytes; /* BilledSizeBytes; -1 when not reported */
};
void fv_dynamodb_export_clean_up(struct fv_dynamodb_export *e);

/* ExportTableToPointInTime. out (caller's; clean up) is the export as
 * started (IN_PROGRESS, or the earlier export of the same client_token).
 * FV_E_INVALID (nothing sent) without table_arn or bucket, an incremental
 * without both times, or a full export with them. Service refusals are
 * FV_E_AWS with err->code: InvalidExportTimeException (a window outside
 * the PITR window, in the future, under 15 min or over 24 h),
 * PointInTimeRecoveryUnavailableException, ExportConflictException (a
 * client_token reused with other parameters), TableNotFoundException
 * (FV_E_NOTFOUND). */
fv_status fv_dynamodb_export_start(struct fv_aws_client *c,
                                   const struct fv_dynamodb_export_request *req,
                                   struct fv_dynamodb_export *out, struct fv_error *err);
/* DescribeExport. FV_E_NOTFOUND (ExportNotFoundException) when the export
 * does not exist. out is caller's (clean up). */
fv_status fv_dynamodb_describe_export(struct fv_aws_client *c, const char *export_arn,
                                      struct fv_dynamodb_export *out, struct fv_error *err);
/* True when a failed export or a refused ExportTableToPointInTime means the
 * chain's history has a hole PITR cannot fill: PITR off
 * (PointInTimeRecoveryUnavailableException) or "Incremental export start
 * time outside PITR window" (InvalidExportTimeException). code and message
 * are an fv_error's code/message or an export's failure_code and
 * failure_message (either may be NULL). */
bool fv_dynamodb_export_is_pitr_gap(const char *code, const char *message);

/* --- Items (a control table) --- */

/* Expressions of a write or read; every member optional, all borrowed. */
struct fv_dynamodb_expr {
    const char *condition;      /* ConditionExpression */
    const char *update;         /* UpdateExpression (UpdateItem only) */
    struct json_object *names;  /* ExpressionAttributeNames {"#s": "status"} */
    struct json_object *values; /* ExpressionAttributeValues {":v": {"S": "x"}} */
};

/* True when err is a failed ConditionExpression (the write did not happen:
 * FV_E_AWS with code ConditionalCheckFailedException). */
bool fv_dynamodb_is_conditional_failure(const struct fv_error *err);

fv_status fv_dynamodb_put_item(struct fv_aws_client *c, const char *table, struct json_object *item,
                               const struct fv_dynamodb_expr *expr, struct fv_error *err);
/* *item_out (caller owns; json_object_put) is the item; FV_E_NOTFOUND (and
 * *item_out NULL) when there is none. A missing table is FV_E_AWS
 * (ResourceNotFoundException), not FV_E_NOTFOUND. */
fv_status fv_dynamodb_get_item(struct fv_aws_client *c, const char *table, struct json_object *key,
                               bool consistent, struct json_object **item_out,
                               struct fv_error *err);
/* UpdateItem with expr->update (required) and an optional condition.
 * return_values: NULL → "NONE"; "ALL_NEW", "UPDATED_NEW", ... then
 * *attributes_out (may be NULL; caller owns) holds them. */
fv_status fv_dynamodb_update_item(struct fv_aws_client *c, const char *table,
                                  struct json_object *key, const struct fv_dynamodb_expr *expr,
                                  const char *return_values, struct json_object **attributes_out,
                                  struct fv_error *err);
fv_status fv_dynamodb_delete_item(struct fv_aws_client *c, const char *table,
                                  struct json_object *key, const struct fv_dynamodb_expr *expr,
                                  struct fv_error *err);

#define FV_DYNAMODB_BATCH_WRITE_MAX 25

/* One BatchWriteItem call. request_items is the RequestItems object
 * ({"table": [{"PutRequest": {"Item": ...}}, {"DeleteRequest": {"Key": ...}}]},
 * borrowed) with at most 25 requests in all (more is FV_E_INVALID, nothing
 * sent). On FV_OK *unprocessed_out (caller owns) is the UnprocessedItems
 * object to send again (after a backoff), or NULL when everything was
 * written. */
fv_status fv_dynamodb_batch_write(struct fv_aws_client *c, struct json_object *request_items,
                                  struct json_object **unprocessed_out, struct fv_error *err);

#define FV_DYNAMODB_BATCH_GET_MAX 100

/* One BatchGetItem call. request_items is the RequestItems object
 * ({"table": {"Keys": [...], "ConsistentRead": true}}, borrowed) with at
 * most 100 keys in all (more is FV_E_INVALID, nothing sent). On FV_OK
 * *responses_out (caller owns) is the Responses object ({"table": [items]};
 * keys with no item are simply absent) and *unprocessed_out (caller owns)
 * the UnprocessedKeys to ask for again (after a backoff), or NULL. */
fv_status fv_dynamodb_batch_get(struct fv_aws_client *c, struct json_object *request_items,
                                struct json_object **responses_out,
                                struct json_object **unprocessed_out, struct fv_error *err);

#define FV_DYNAMODB_TRANSACT_MAX 100

/* One TransactWriteItems call: transact_items is the TransactItems array
 * ([{"ConditionCheck": {...}}, {"Put": {...}}, {"Delete": {...}}, ...],
 * borrowed), all or nothing. A failed condition of any item cancels the
 * whole transaction: FV_E_AWS with code TransactionCanceledException. */
fv_status fv_dynamodb_transact_write(struct fv_aws_client *c, struct json_object *transact_items,
                                     struct fv_error *err);
/* True when err is a cancelled transaction (nothing was written). */
bool fv_dynamodb_is_transaction_cancelled(const struct fv_error *err);

/* Query (key_condition set) or Scan (key_condition NULL) over a table or
 * index. All borrowed; only table is required. */
struct fv_dynamodb_read {
    const char *table;
    const char *index;
    const char *key_condition; /* KeyConditionExpression (Query) */
    const char *filter;        /* FilterExpression */
    const char *projection;    /* ProjectionExpression */
    struct json_object *names;
    struct json_object *values;
    int limit; /* items evaluated per page; 0 → service default */
    bool consistent;
    bool descending; /* Query: ScanIndexForward false */
};

struct fv_dynamodb_page {
    struct json_object *items; /* array of items (caller owns via clean_up) */
    int64_t scanned_count;
    char *next; /* LastEvaluatedKey as JSON text; NULL on the last page */
};
void fv_dynamodb_page_clean_up(struct fv_dynamodb_page *p);

/* One page starting at start_key (the previous page's next; NULL first).
 * out is overwritten (clean it up first when reusing). */
fv_status fv_dynamodb_read_page(struct fv_aws_client *c, const struct fv_dynamodb_read *req,
                                const char *start_key, struct fv_dynamodb_page *out,
                                struct fv_error *err);

#endif

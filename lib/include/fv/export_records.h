/* Records of the DynamoDB exports fleetvault made (seed 003's chains), in
 * the control table: what retention may delete, and nothing else.
 *
 * The dynamodb.export task writes a record for every export it saw
 * COMPLETED, before the chain's state advances (a redelivery writes the
 * same record again: idempotent), so no export a chain relies on exists
 * without one. An object under the tables' prefix without a record — put
 * there by anyone, or by a worker that died between COMPLETED and the
 * record — is never deleted. Records carry no TTL attribute: they live as
 * long as the export they describe.
 *
 * Items (names in fv/naming.h): one per export,
 * "exportrec#<job>#<account>#<region>#<table>#<export id>", and one per
 * table, "exportrecs#<job>#<account>#<region>#<table>", whose string set
 * "exports" lists the export ids (so a table's records are read with one
 * GetItem and BatchGetItem, never a Scan of the control table). */
#ifndef FV_EXPORT_RECORDS_H
#define FV_EXPORT_RECORDS_H

#include <fv/aws.h>
#include <fv/clock.h>
#include <fv/exports.h>

struct fv_export_record {
    char *job, *account, *region, *table;
    char *export_arn;
    bool incremental;
    int64_t time_ms; /* full: ExportTime; incremental: ExportToTime */
    char *bucket;    /* where the export wrote */
    char *prefix;    /* its own key prefix: "<table prefix>/AWSDynamoDB/<export id>/" */
    bool in_chain;   /* false: it COMPLETED but the chain had moved on (never a chain's base) */
    int64_t recorded_ms;
};
void fv_export_record_clean_up(struct fv_export_record *r);

/* Writes r's item, then (list) adds its export id to its table's list. The
 * same export twice gives the same items (but recorded_ms). A list too large to take it
 * (DynamoDB's 400 KB item limit, ~15,000 ids: a table that never starts a
 * new chain) is logged at warn and is FV_OK: the record stays, unlisted, and
 * is never deleted. Without list (retention_days 0: nothing reads the list)
 * only the record is written; such an export is never deleted either, even
 * if retention is turned on later. FV_E_INVALID without an export id in
 * r->export_arn. */
fv_status fv_export_record_put(struct fv_aws_client *central, const char *control_table,
                               const struct fv_export_record *r, bool list, struct fv_error *err);

struct fv_export_records {
    struct fv_export_record *items; /* the records found, in the list's order */
    size_t n;
    char **dangling; /* ids listed without a record (a forget cut short) */
    size_t n_dangling;
};
void fv_export_records_clean_up(struct fv_export_records *l);

/* The records of key's table (consistent reads; unprocessed BatchGetItem
 * keys asked again after a backoff by clock). No list, or no control
 * table: none. out is the caller's (clean up). */
fv_status fv_export_records_list(struct fv_aws_client *central, const char *control_table,
                                 const struct fv_clock *clock, const struct fv_export_key *key,
                                 struct fv_export_records *out, struct fv_error *err);

/* Removes the record of export_id of key's table, then the id from the
 * table's list (either gone already is fine). */
fv_status fv_export_record_forget(struct fv_aws_client *central, const char *control_table,
                                  const struct fv_export_key *key, const char *export_id,
                                  struct fv_error *err);

/* --- Retention of one table's exports (the I/O shell of fv/export_retention.h) --- */

/* Where the configuration says key's table exports go (borrowed): the
 * authority a record is checked against, never the record itself. */
struct fv_export_prune_scope {
    const char *bucket;       /* fv_config_export_settings' bucket */
    const char *table_prefix; /* fv_name_export_prefix */
    int64_t keep_ms;          /* retention_days; <= 0: nothing is deleted */
    const char *chain_id;     /* the chain's current full export (never deleted); may be NULL */
    int64_t chain_full_ms;    /* its time: nothing after it is deleted; 0: unknown */
};

struct fv_export_prune_report {
    int64_t exports_deleted; /* exports whose objects and record are gone */
    int64_t objects_deleted;
    int64_t refused;        /* records naming another bucket or prefix: nothing of them touched */
    int64_t failed;         /* exports whose deletion failed (kept, tried again next time) */
    struct fv_buf problems; /* one line each refusal and failure, "" when none (owned) */
};
void fv_export_prune_report_clean_up(struct fv_export_prune_report *r);

/* Lists key's records, chooses with fv_export_retention_select at clock's
 * now (a record out of its chain counts as FAILED: deletable, never a
 * base) and deletes each chosen export: every object under its recorded
 * prefix (ListObjectsV2 pages, DeleteObjects 1,000 keys a call, with s3),
 * then its record. A record whose bucket is not scope->bucket, whose prefix
 * is not exactly fv_name_export_dir(scope->table_prefix, its id), or whose
 * ARN is not an export of key's table, is refused (counted, said in
 * problems, its objects untouched). A failure to delete one export is
 * counted and said, and the others go on. The return is FV_OK unless the
 * records could not be read. report is the caller's (clean up). */
fv_status fv_export_records_prune(struct fv_aws_client *central, struct fv_aws_client *s3,
                                  const char *control_table, const struct fv_clock *clock,
                                  const struct fv_export_key *key,
                                  const struct fv_export_prune_scope *scope,
                                  struct fv_export_prune_report *report, struct fv_error *err);

#endif

/* Restore and verify from DynamoDB exports in S3 (ExportTableToPointInTime's
 * layout): <prefix>/AWSDynamoDB/<export id>/manifest-summary.json names the
 * export (FULL_EXPORT or INCREMENTAL_EXPORT, its times) and its
 * manifest-files.json, one JSON line per gzip'd data file (DynamoDB JSON or
 * Amazon Ion text, the export's outputFormat).
 *
 * A chain is the newest full export at or before the wanted time plus the
 * incrementals that continue it window by window ([from, to) with each from
 * equal to the previous end, the first from equal to the full export's
 * time). Restore applies the full export's items, then each incremental in
 * order: a line with NewImage puts it, a line without (Keys, maybe OldImage)
 * deletes the key. Data files stream through a gzip inflater in ranges of
 * FV_EXPORT_RANGE bytes, so memory is bounded whatever the file size. */
#ifndef FV_EXPORT_RESTORE_H
#define FV_EXPORT_RESTORE_H

#include <fv/clock.h>
#include <fv/restore_aws.h>

struct json_object;

/* One export, from its manifest-summary.json. Caller owns; clean up. */
struct fv_export_summary {
    char *summary_key; /* where it was read (set by the caller) */
    char *export_arn;
    char *table_arn;
    char *files_key; /* manifestFilesS3Key */
    char *format;    /* DYNAMODB_JSON | ION */
    bool incremental;
    int64_t export_time_ms; /* full: exportTime; incremental: exportToTime */
    int64_t from_ms, to_ms; /* incremental window */
    int64_t item_count;
};
void fv_export_summary_clean_up(struct fv_export_summary *s);
/* Parses manifest-summary.json: FV_E_PARSE naming what is missing or bad. */
fv_status fv_export_summary_parse(struct fv_cur json, struct fv_export_summary *out,
                                  struct fv_error *err);

/* "2026-12-03T14:10:40.123Z" (the manifests' times; a fraction optional)
 * to Unix ms; -1 on junk. */
int64_t fv_export_time_parse_ms(const char *s);

/* One line of manifest-files.json. Caller owns; clean up. */
struct fv_export_data_file {
    char *key;     /* dataFileS3Key */
    char *md5_b64; /* md5Checksum of the gzip'd object */
    char *etag;    /* hex md5, as S3's single-part ETag */
    int64_t item_count;
};
void fv_export_data_file_clean_up(struct fv_export_data_file *f);
fv_status fv_export_data_file_parse(struct fv_cur line, struct fv_export_data_file *out,
                                    struct fv_error *err);

/* Picks the chain for to_ms (0: the newest state) among n summaries (any
 * order, any tables; borrowed): idx[0] the full export, then the
 * incrementals in order, *n_idx of them (idx has room for n). A window that
 * ends after to_ms is not applied: *reached_ms is the time the chain
 * restores to (the full export's time or the last window's end, <= to_ms).
 * FV_E_NOTFOUND when no full export is at or before to_ms. Duplicates of a
 * window (a re-run export) are applied once. */
fv_status fv_export_chain_select(const struct fv_export_summary *s, size_t n, int64_t to_ms,
                                 size_t *idx, size_t *n_idx, int64_t *reached_ms,
                                 struct fv_error *err);

/* --- Streaming reader: gzip bytes in, one callback per item line --- */
enum fv_export_op { FV_EXPORT_PUT, FV_EXPORT_DELETE };
/* item: the NewImage / Item (put) or Keys (delete); borrowed for the call. */
typedef fv_status fv_export_op_fn(void *ud, enum fv_export_op op, struct json_object *item,
                                  struct fv_error *err);
#define FV_EXPORT_MAX_LINE (4u * 1024 * 1024)
#define FV_EXPORT_RANGE (256u * 1024)
struct fv_export_reader; /* opaque; fv_export_reader_destroy */
/* incremental: lines are {Keys, NewImage?, OldImage?}; otherwise {Item}. */
struct fv_export_reader *fv_export_reader_new(bool incremental, fv_export_op_fn *op, void *ud);
/* The same for outputFormat ION: each line Amazon Ion text (the subset
 * DynamoDB writes, lib/restore/ion.h), read into the same DynamoDB JSON. */
struct fv_export_reader *fv_export_reader_new_ion(bool incremental, fv_export_op_fn *op, void *ud);
void fv_export_reader_destroy(struct fv_export_reader *r);
/* Feeds gzip bytes (any split); ops run as lines complete. */
fv_status fv_export_reader_feed(struct fv_export_reader *r, const char *data, size_t n,
                                struct fv_error *err);
/* The end of the object: FV_E_PARSE when the gzip stream or a line is cut. */
fv_status fv_export_reader_finish(struct fv_export_reader *r, struct fv_error *err);
uint64_t fv_export_reader_lines(const struct fv_export_reader *r);

/* --- restore dynamodb --from-exports --- */
struct fv_export_restore {
    const char *bucket; /* in the central account */
    const char *prefix; /* the exports' S3Prefix ("" for none) */
    const char *target_table;
    int64_t to_ms; /* 0: the newest state the chain has */
    bool overwrite;
    const struct fv_clock *clock; /* backoff of UnprocessedItems */
};
struct fv_export_restore_result {
    int64_t reached_ms; /* the time restored to */
    size_t exports;     /* applied, the full one included */
    uint64_t puts, deletes;
    char *account, *region; /* of the source table, where the target is made */
};
void fv_export_restore_result_clean_up(struct fv_export_restore_result *r);
fv_status fv_export_restore_run(const struct fv_restore_aws *aws,
                                const struct fv_export_restore *req,
                                struct fv_export_restore_result *out, struct fv_error *err);

/* verify of an export chain: every export under the prefix, every data
 * file's size (listed vs read) and MD5 (manifest's md5Checksum). */
struct fv_export_verify_result {
    size_t exports, files, bad;
    size_t warnings; /* full exports without a schema object (not bad) */
    uint64_t bytes;
};
/* report (may be NULL) gets one line per problem and one per warning
 * ("warning: ..."). FV_OK when all read; result->bad counts mismatches. */
fv_status fv_export_verify_run(const struct fv_restore_aws *aws, const char *bucket,
                               const char *prefix, void (*report)(void *ud, const char *line),
                               void *report_ud, struct fv_export_verify_result *out,
                               struct fv_error *err);

/* The schema object fleetvault writes beside a full export
 * (fv_name_export_schema_key): of desc, a DescribeTable "Table", the
 * TableName, TableArn, KeySchema, AttributeDefinitions, each GSI's and
 * LSI's IndexName, KeySchema and Projection, BillingMode and SSE type and
 * key — in DescribeTable's own names, so it reads as a DescribeTable.
 * Nothing that changes while the schema stays (sizes, counts, status):
 * the same table gives the same bytes. FV_E_PARSE without a key schema.
 * out is caller's (reset first). */
fv_status fv_export_schema_make(struct json_object *desc, struct fv_buf *out, struct fv_error *err);
/* The schema object's key for the export whose manifest-summary.json is
 * summary_key. out is caller's. */
void fv_export_schema_key_of(const char *summary_key, struct fv_buf *out);

#endif

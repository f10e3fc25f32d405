/* Retention of DynamoDB export chains: which exports may be deleted. Pure:
 * the caller lists the exports (ListExports / DescribeExport, or the
 * manifests in S3) and deletes what is marked.
 *
 * Rule: every point of the last keep_ms must stay restorable. The base of a
 * table is its newest COMPLETED full export at or before now - keep_ms; the
 * base and everything after it are kept. Older exports of that table (full
 * or incremental, whose time — a full export's ExportTime, an incremental's
 * ExportToTime — is at or before the base's) are deleted, except exports
 * still IN_PROGRESS. A table with no such base (no completed full export old
 * enough: a newer full export still running, or failed) loses nothing, so
 * a table is never left without a restorable chain. An export whose status
 * is not known (FV_DDB_EXPORT_UNKNOWN) is kept like one IN_PROGRESS. */
#ifndef FV_EXPORT_RETENTION_H
#define FV_EXPORT_RETENTION_H

#include <fv/dynamodb.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fv_export_retention_item { /* all borrowed */
    const char *table_arn;
    const char *export_arn;
    bool incremental;
    enum fv_dynamodb_export_status status; /* UNKNOWN is kept, as IN_PROGRESS */
    int64_t time_ms;                       /* full: ExportTime; incremental: ExportToTime */
};

/* Sets del[i] for each export that goes (any order, tables mixed); returns
 * how many. keep_ms < 0 is taken as 0. */
size_t fv_export_retention_select(const struct fv_export_retention_item *items, size_t n,
                                  int64_t now_ms, int64_t keep_ms, bool *del);

#endif

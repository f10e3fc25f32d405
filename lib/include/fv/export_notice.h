/* The notification of one DynamoDB export (seed 003): the SNS message whose
 * JSON body follows the seed's schema exactly (tests/data/
 * export_notification.schema.json) — message, exportType, status,
 * executionId, incrementalBlocksBehind, startTime, endTime,
 * exportStartTime, exportEndTime — plus account, region, table and, when a
 * person must act, remedy; `status` is also a message attribute, so SUCCESS
 * and FAILED subscriptions can filter as the seed's two e-mail
 * subscriptions do. The same body travels in the Event on the events topic
 * (details["body"]). Pure: building only; the coordinator sends. */
#ifndef FV_EXPORT_NOTICE_H
#define FV_EXPORT_NOTICE_H

#include <fv/dynamodb.h>
#include <fv/task.h>

struct fv_export_notice {
    const char *job, *account, *region, *table; /* borrowed */
    const char *execution_id;                   /* the task id (or run id at plan time) */
    const char *export_arn;                     /* NULL when none was started */
    enum fv_dynamodb_export_type type;
    bool success;
    const char *message;      /* what happened, one line */
    const char *remedy;       /* what a person must do; NULL or "": nothing */
    int64_t blocks_behind;    /* incrementalBlocksBehind */
    int64_t start_ms, end_ms; /* the export's StartTime, EndTime (0: not known) */
    int64_t export_from_ms;   /* INCREMENTAL: the window; FULL: the export time */
    int64_t export_to_ms;     /* INCREMENTAL: the window's end; FULL: the export time */
};

/* The SNS message body (JSON, one object). out is reset first. Times are
 * ISO 8601 UTC with milliseconds ("2026-12-03T14:15:00.000Z"), "" when 0. */
void fv_export_notice_json(const struct fv_export_notice *n, struct fv_buf *out);
/* "SUCCESS" or "FAILED": the body's status and the SNS attribute `status`. */
const char *fv_export_notice_status(const struct fv_export_notice *n);
/* The Event: type "export.succeeded" | "export.failed", severity info |
 * error, summary the message, details body (the JSON above), account,
 * region, table, status, exportType, exportArn. out is caller's (clean up
 * with fv_event_clean_up); now_ms its time. */
void fv_export_notice_event(const struct fv_export_notice *n, const char *run_id, int64_t now_ms,
                            struct fv_event *out);

/* The notice of a dynamodb.export task's terminal result: SUCCEEDED or
 * FAILED with an output whose extras say what the export was —
 * export_type (FULL_EXPORT | INCREMENTAL_EXPORT), export_arn,
 * export_from_ms, export_to_ms, start_ms, end_ms, blocks_behind, message,
 * remedy (the worker and the planner write them). false for any other
 * result (SKIPPED, a retry, another kind). out borrows from res. */
bool fv_export_notice_from_result(const struct fv_result *res, struct fv_export_notice *out);

#endif

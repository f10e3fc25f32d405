/* The messages on Kafka as plain C: Task (coordinator → workers), Result
 * (workers → coordinator), Event (→ downstream alerting). Encoded with the
 * protobuf schema in proto/fleetvault.proto; decoding tolerates unknown
 * fields and rejects what does not decode (the caller sends it to the DLQ). */
#ifndef FV_TASK_H
#define FV_TASK_H

#include <fv/common.h>

#define FV_SCHEMA_VERSION 1

struct fv_kv {
    char *key;
    char *value;
};

struct fv_task {
    char *task_id;
    char *run_id;
    char *job;
    char *kind;
    char *account;
    char *region;
    char *resource;
    char *step;
    struct fv_kv *params;
    size_t n_params;
    uint32_t attempt;
    int64_t not_before_ms;
    int64_t created_ms;
    int64_t deadline_ms;
};

/* task_id: the first 32 hex digits of SHA-256 over run, kind, account,
 * region, resource (NUL-separated; step is not part of it: every step of a
 * resource's work is the same task). Deterministic, so re-planning a run
 * yields the same ids. */
void fv_task_make_id(const char *run_id, const char *kind, const char *account, const char *region,
                     const char *resource, char out[33]);

/* The Kafka key of a task: "<account>/<region>/<resource>", so every step of
 * one resource lands on one partition, in order. */
void fv_task_key(const struct fv_task *t, struct fv_buf *out);

/* Borrowed value or NULL. */
const char *fv_task_param(const struct fv_task *t, const char *key);
void fv_task_set_param(struct fv_task *t, const char *key, const char *value);
void fv_task_copy(struct fv_task *dst, const struct fv_task *src);
void fv_task_clean_up(struct fv_task *t);
void fv_task_encode(const struct fv_task *t, struct fv_buf *out);
/* Fails (FV_E_PARSE, err says why) on bytes that are not a Task, or lack
 * task_id/run_id/kind. */
fv_status fv_task_decode(struct fv_cur bytes, struct fv_task *out, struct fv_error *err);

enum fv_result_status {
    FV_RESULT_UNSPECIFIED = 0,
    FV_RESULT_SUCCEEDED = 1,
    FV_RESULT_FAILED = 2,
    FV_RESULT_SKIPPED = 3,
    FV_RESULT_RETRYING = 4,
};
const char *fv_result_status_str(enum fv_result_status s);

struct fv_output {
    char *object_key;
    int64_t size;
    char *sha256;
    char *backup_arn;
    char *backup_name;
    char *bucket;
    struct fv_kv *extra;
    size_t n_extra;
};

struct fv_result {
    char *task_id;
    char *run_id;
    char *job;
    char *kind;
    char *account;
    char *region;
    char *resource;
    char *step;
    enum fv_result_status status;
    struct fv_output *outputs;
    size_t n_outputs;
    char *error_code;
    char *error_message;
    bool retryable;
    uint32_t attempt;
    int64_t started_ms;
    int64_t finished_ms;
    char *worker;
};

/* A result for task t (identity fields copied). */
void fv_result_for_task(struct fv_result *r, const struct fv_task *t);
/* Appends an output; returns it for filling (strings owned by the result). */
struct fv_output *fv_result_add_output(struct fv_result *r);
void fv_output_set_extra(struct fv_output *o, const char *key, const char *value);
void fv_result_clean_up(struct fv_result *r);
void fv_result_encode(const struct fv_result *r, struct fv_buf *out);
fv_status fv_result_decode(struct fv_cur bytes, struct fv_result *out, struct fv_error *err);

struct fv_event {
    char *type; /* "run.completed", "run.failed", "task.failed" */
    char *run_id;
    char *job;
    int64_t time_ms;
    char *severity; /* "info", "warning", "error" */
    char *summary;
    uint32_t succeeded, failed, skipped;
    char *manifest_key;
    struct fv_kv *details;
    size_t n_details;
};
void fv_event_set_detail(struct fv_event *e, const char *key, const char *value);
void fv_event_clean_up(struct fv_event *e);
void fv_event_encode(const struct fv_event *e, struct fv_buf *out);
fv_status fv_event_decode(struct fv_cur bytes, struct fv_event *out, struct fv_error *err);

#endif

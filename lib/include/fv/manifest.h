/* A run's manifest, read back: the JSON the coordinator writes
 * (coordinator/manifest.c, backup_manifest_YYYYMMDD_HHMMSS.json) as C
 * structs, for verify and restore. One reader, so a field is spelled, typed
 * and checked in one place.
 *
 * Reading is strict about the fields fleetvault relies on and lenient about
 * the rest: a missing required field or a known field of the wrong type is
 * one error naming the file and the field ("m.json: resources[3].outputs[0].
 * size: not an integer"); fields it does not know are ignored, except that
 * an output's other string fields are kept as extras ("type", "assets",
 * "table", "action", ...). */
#ifndef FV_MANIFEST_H
#define FV_MANIFEST_H

#include <fv/common.h>

/* The version this reader understands (the coordinator writes it). */
#define FV_MANIFEST_VERSION 1

struct fv_manifest_extra {
    char *key;
    char *value;
};

/* One output of a resource's task: an S3 object, a DynamoDB backup, an
 * identity table... Strings NULL when absent. */
struct fv_manifest_output {
    char *backup_arn;
    char *backup_name;
    char *bucket; /* required with object_key */
    char *object_key;
    int64_t size; /* required with object_key; -1 when absent */
    char *sha256; /* 64 lowercase hex digits, or NULL */
    struct fv_manifest_extra *extra;
    size_t n_extra;
};
/* An extra's value (borrowed), or NULL. */
const char *fv_manifest_output_extra(const struct fv_manifest_output *o, const char *key);

struct fv_manifest_resource {
    char *kind;     /* required: "dynamodb.backup", "quicksight.export", ... */
    char *account;  /* required: 12 digits */
    char *resource; /* required */
    char *status;   /* required: SUCCEEDED, FAILED, SKIPPED, UNFINISHED */
    char *region;   /* NULL when absent */
    char *task_id;
    char *error_code;
    char *error_message;
    char *worker;
    int64_t attempts; /* 0 when absent */
    struct fv_manifest_output *outputs;
    size_t n_outputs;
};
/* status is SUCCEEDED. */
bool fv_manifest_resource_succeeded(const struct fv_manifest_resource *r);

struct fv_manifest_target {
    char *account, *account_name, *region, *status, *error;
    int64_t selected;
};

struct fv_manifest {
    char *path; /* as given to fv_manifest_load (or the name to parse) */
    int version;
    char *run_id; /* required */
    char *job;    /* required */
    char *type;   /* required: "dynamodb_backups", "quicksight" */
    char *outcome;
    char *started, *finished;           /* ISO 8601 as written; NULL when absent */
    int64_t started_s;                  /* Unix seconds; -1 when absent */
    int64_t succeeded, failed, skipped; /* "counts"; 0 when absent */
    struct fv_manifest_target *targets;
    size_t n_targets;
    struct fv_manifest_resource *resources; /* required (may be empty) */
    size_t n_resources;
};

/* Reads and checks the manifest at path. On error *out is empty and err
 * names the file and the field. out is caller's: fv_manifest_clean_up. */
fv_status fv_manifest_load(const char *path, struct fv_manifest *out, struct fv_error *err);
/* The same from memory; name stands for the file in messages. */
fv_status fv_manifest_parse(const char *name, const char *text, size_t len, struct fv_manifest *out,
                            struct fv_error *err);
/* Safe on zeroed structs and NULL. */
void fv_manifest_clean_up(struct fv_manifest *m);

#endif

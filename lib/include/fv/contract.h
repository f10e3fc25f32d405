/* The task contract: every task kind, the steps it goes through, its
 * parameters with their types and which are required, defined once in one
 * table (lib/task/contract.c). The table drives validation (a message that
 * breaks it goes to the DLQ with the reason), authorization (which job,
 * account and region a task may act for, always from the worker's own
 * configuration) and the generated reference (docs/TASKS.md,
 * `fleetvault task docs`).
 *
 * A task message carries WHAT to work on (a table, a bundle of asset ARNs,
 * identity records, a principal ARN) and the state of a multi-step task
 * (a backup ARN, a slot number). It never carries authority: buckets, keys,
 * control tables, retention, identity tables, export options and log groups
 * come from the job the task names, in the configuration (fv/naming.h). */
#ifndef FV_CONTRACT_H
#define FV_CONTRACT_H

#include <fv/config.h>
#include <fv/task.h>

#include <stdio.h>

enum fv_param_type {
    FV_PARAM_INT,         /* decimal int64 within [min, max] */
    FV_PARAM_ARN,         /* an ARN of the task's account */
    FV_PARAM_NAMES,       /* comma-separated DynamoDB table names */
    FV_PARAM_ARN_LIST,    /* comma-separated ARNs of the task's account */
    FV_PARAM_ARN_ARRAY,   /* JSON array of 1..max ARNs of the task's account */
    FV_PARAM_RUN_ID,      /* a run id "<job>-<YYYYMMDDTHHMMSSZ>" of the task's own job */
    FV_PARAM_ACCOUNT,     /* a 12-digit account id (authorize: one the job covers) */
    FV_PARAM_SHA256,      /* 64 lowercase hex digits */
    FV_PARAM_JSON_OBJECT, /* a JSON object, parsed in full, at most max bytes */
};

struct fv_param_spec {
    const char *name;
    enum fv_param_type type;
    const char *required_in; /* a step that needs it ("*": every step), NULL: optional */
    int64_t min, max;        /* INT bounds; element counts for arrays (max 0: none) */
    const char *doc;
};

struct fv_task_kind {
    const char *kind;          /* the dispatch key, e.g. "dynamodb.backup" */
    enum fv_job_type job_type; /* the job type whose tasks these are */
    const char *const *steps;  /* NULL-terminated; the first is where a task starts */
    const char *resource;      /* what `resource` names: "table", "principal", "bundle",
                                  "fixed:<value>" */
    const struct fv_param_spec *params;
    size_t n_params;
    const char *doc;
};

/* The kind called name, or NULL. */
const struct fv_task_kind *fv_task_kind_find(const char *name);
/* Every kind: *n set to the count. */
const struct fv_task_kind *fv_task_kinds(size_t *n);

/* Structural checks of a decoded task against the table, with no
 * configuration: a known kind and step, identity fields present and
 * well-formed (account 12 digits, region, resource of the kind's form,
 * run_id "<job>-<YYYYMMDDTHHMMSSZ>"), every known parameter of its type
 * (ARNs of the task's account), every parameter the step requires present.
 * Unknown parameters are ignored (a newer coordinator may add some).
 * FV_E_INVALID (err->code "TaskInvalid") naming the field on failure. */
fv_status fv_task_validate(const struct fv_task *t, struct fv_error *err);

/* What a valid task may act for, all borrowed from the configuration. */
struct fv_task_scope {
    const struct fv_config_job *job;
    const struct fv_config_account *account;
    int64_t run_started_s; /* the run's start, from its id */
    char stamp[17];        /* the run's "YYYYMMDDTHHMMSSZ" */
};

/* The task's authority, from cfg alone: its job must be configured and of
 * the kind's job type, its account one the job covers and its region one of
 * that account's regions (or the job's identity region, for identity
 * tasks); every FV_PARAM_ACCOUNT parameter an account the job covers. FV_E_INVALID (err->code
 * "TaskNotAuthorized") naming the field otherwise. t must have passed fv_task_validate. */
fv_status fv_task_authorize(const struct fv_config *cfg, const struct fv_task *t,
                            struct fv_task_scope *out, struct fv_error *err);

/* The run's start from a run id "<job>-<YYYYMMDDTHHMMSSZ>": false when it
 * does not have that form for job. */
bool fv_task_run_started(const char *run_id, const char *job, int64_t *started_s, char stamp[17]);

/* Parameter value as an integer (validated before: the default only when
 * absent). */
int64_t fv_task_param_i64(const struct fv_task *t, const char *key, int64_t def);

/* The Markdown reference of every kind (docs/TASKS.md). */
void fv_task_write_docs(FILE *f);

#endif

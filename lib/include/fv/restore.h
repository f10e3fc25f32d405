/* Restores: a DynamoDB table from an on-demand backup, and a quicksight
 * run (asset bundles, users, groups, memberships) from its manifest.
 * Decisions live here, behind the fv_restore_aws seam and an injected
 * clock; the CLI parses flags and prints what the callbacks report. */
#ifndef FV_RESTORE_H
#define FV_RESTORE_H

#include <fv/config.h>
#include <fv/manifest.h>
#include <fv/restore_aws.h>
#include <fv/wait.h>

/* --- DynamoDB --- */

struct fv_restore_table {
    const char *backup_arn;            /* where it is restored: the ARN's account and region */
    const char *target_table;          /* a table that does not exist yet */
    int64_t timeout_ms;                /* waiting for ACTIVE */
    const struct fv_clock *clock;      /* NULL → the system clock */
    const volatile sig_atomic_t *stop; /* may be NULL */
};

/* RestoreTableFromBackup. FV_E_INVALID (nothing sent) when backup_arn is
 * not an ARN with an account and a region. */
fv_status fv_restore_table_start(const struct fv_restore_aws *aws,
                                 const struct fv_restore_table *req, struct fv_error *err);
/* Waits until the target is ACTIVE; *out (caller's, clean up with
 * fv_dynamodb_table_clean_up) is its last description. FV_E_TIMEOUT with
 * "table T not ACTIVE after N s" when it is not in time. */
fv_status fv_restore_table_wait(const struct fv_restore_aws *aws,
                                const struct fv_restore_table *req, struct fv_dynamodb_table *out,
                                struct fv_error *err);

/* --- QuickSight --- */

enum fv_restore_type {
    FV_RESTORE_DATASOURCES,
    FV_RESTORE_DATASETS,
    FV_RESTORE_ANALYSES,
    FV_RESTORE_DASHBOARDS, /* asset types end here: imported in this order */
    FV_RESTORE_USERS,
    FV_RESTORE_GROUPS,
    FV_RESTORE_MEMBERSHIPS,
    FV_RESTORE_N_TYPES
};
#define FV_RESTORE_N_ASSET_TYPES 4
/* "datasources", ..., "memberships". */
const char *fv_restore_type_name(enum fv_restore_type t);
/* false when name is none of them. */
bool fv_restore_type_parse(const char *name, enum fv_restore_type *out);

struct fv_restore_qs;
struct fv_restore_bundle;
/* Runs the imports of one asset type's bundles at once (each has an object,
 * its target, region and job id set), leaving in each its outcome and what
 * the callbacks report (prior_done, job, err, waited_ms): e.g. as
 * quicksight.import tasks through the pipeline (coordinator/restore_tasks.h). */
struct fv_restore_importer {
    void (*run)(void *ud, const struct fv_restore_qs *rq, struct fv_restore_bundle *b, size_t n);
    void *ud;
};

struct fv_restore_qs_options {
    bool types[FV_RESTORE_N_TYPES];
    const char *source;                /* only what came from this account; NULL: all */
    const char *target;                /* into this account; NULL: where each came from */
    const char *overrides_json;        /* the imports' OverrideParameters (JSON text); NULL: none */
    const char *overrides_name;        /* where overrides_json came from, for messages */
    int64_t timeout_ms;                /* per import job */
    const struct fv_clock *clock;      /* NULL → the system clock */
    const volatile sig_atomic_t *stop; /* may be NULL: checked between bundles, accounts */
    const struct fv_restore_importer *importer; /* NULL: each bundle inline, in turn */
};

/* A checked restore: what fv_restore_qs_prepare found. All borrowed. */
struct fv_restore_qs {
    const struct fv_config *cfg;
    const char *config_name; /* for messages */
    const struct fv_manifest *m;
    const struct fv_restore_qs_options *o;
    const struct fv_config_job *job; /* the manifest's job; NULL when not configured */
    char *overrides_canonical;       /* owned: the overrides as parsed; NULL: none */
};

/* Everything that can be checked before the first AWS call: the manifest is
 * a quicksight run's, the accounts are configured (or --target-account is),
 * one source account when a target is given, the job is a configured
 * quicksight job when identities are restored, the overrides are a JSON
 * object. FV_E_INVALID with one message otherwise. *out: clean up with
 * fv_restore_qs_clean_up. */
fv_status fv_restore_qs_prepare(const struct fv_config *cfg, const char *config_name,
                                const struct fv_manifest *m, const struct fv_restore_qs_options *o,
                                struct fv_restore_qs *out, struct fv_error *err);
void fv_restore_qs_clean_up(struct fv_restore_qs *rq);

/* The overrides as parsed: the canonical text of a JSON object (what the
 * restore job id is derived from), NULL when json is not one. Caller frees. */
char *fv_restore_overrides_canonical(const char *json);

/* One bundle's import, shared by the restore below and the worker's
 * quicksight.import task. All borrowed. */
struct fv_restore_import {
    const char *bucket, *key;    /* the bundle's object, read by the central account */
    int64_t size;                /* what the backup's manifest says */
    const char *sha256;          /* 64 lowercase hex digits; NULL: the size alone is checked */
    const char *target, *region; /* imported into */
    const char *job_id;          /* fv_name_restore_job */
    const char *overrides_json;  /* OverrideParameters; NULL: none */
};
/* err->code of a bundle that is not imported because it is not what the
 * manifest says (size, SHA-256, empty, over 20 MiB). */
#define FV_RESTORE_BUNDLE_INVALID "BundleMismatch"
/* Reads the bundle, checks its size and SHA-256 and starts the import job
 * with the bundle as its body; ConflictException (the job was started
 * already) is FV_OK. *bytes (may be NULL): the body's size. A bundle that is
 * not as described is never imported: FV_E_INVALID, err->code
 * FV_RESTORE_BUNDLE_INVALID, message ending "not imported". */
fv_status fv_restore_import_start(const struct fv_restore_aws *aws,
                                  const struct fv_restore_import *req, size_t *bytes,
                                  struct fv_error *err);

/* One bundle's import, as it goes. */
enum fv_restore_bundle_step {
    FV_RB_BEGIN,   /* about to look at the bundle (it has an object) */
    FV_RB_PRIOR,   /* an earlier restore's job with this id exists: job describes it */
    FV_RB_STARTED, /* the bundle was read, checked and the import started */
    FV_RB_END,     /* done: outcome */
};
enum fv_restore_bundle_outcome {
    FV_RB_IMPORTED,   /* the job ended SUCCESSFUL (now or in an earlier restore) */
    FV_RB_SKIPPED,    /* the backup skipped it: nothing to import, fine */
    FV_RB_NOT_BACKED, /* the backup has no object for it: nothing to import, not fine */
    FV_RB_JOB_FAILED, /* the job ended otherwise: job's status and issues */
    FV_RB_TIMEOUT,    /* the job goes on (err: after how long, or interrupted) */
    FV_RB_ERROR,      /* reading, checking, starting or describing failed: err */
};
struct fv_restore_bundle {
    const struct fv_manifest_resource *res; /* borrowed from the manifest */
    const struct fv_manifest_output *out;   /* NULL when the resource has none */
    const char *target, *region;
    char job_id[512];
    bool prior_done;  /* FV_RB_PRIOR: the earlier job is SUCCESSFUL */
    bool prior_ended; /* FV_RB_PRIOR: the earlier job ended otherwise (it is started again) */
    size_t bytes;     /* FV_RB_STARTED: the body sent */
    struct fv_quicksight_import_job job; /* the last description (status, issues) */
    enum fv_restore_bundle_outcome outcome;
    bool ok;
    bool interrupted;
    int64_t waited_ms;
    struct fv_error err;
};

/* One source account's identities, as they go. */
enum fv_restore_ident_step {
    FV_RI_BEGIN, /* source → target; incomplete when an identity task failed */
    FV_RI_ITEM,  /* a user, group or membership acted on or found wanting */
    FV_RI_TABLE, /* reading a backup table failed: table, err */
    FV_RI_END,   /* counts */
};
enum fv_restore_ident_action {
    FV_RI_PRESENT, /* already in the target (raced: a create said so) */
    FV_RI_CREATED,
    FV_RI_CANNOT, /* cannot be restored: err says why */
    FV_RI_FAILED, /* an AWS call failed: err */
};
struct fv_restore_ident_counts {
    size_t present, created, cannot, failed;
};
struct fv_restore_identities {
    const char *source, *target, *region, *ns;
    bool incomplete;
    /* FV_RI_ITEM */
    enum fv_restore_type type; /* USERS, GROUPS or MEMBERSHIPS */
    const char *name;          /* the user or group; memberships: the user */
    const char *group;         /* memberships */
    const char *role, *email;  /* users */
    enum fv_restore_ident_action action;
    bool raced; /* FV_RI_PRESENT: it was not there when looked at, then was */
    /* FV_RI_TABLE */
    const char *table, *table_account;
    struct fv_error err;
    /* FV_RI_END */
    struct fv_restore_ident_counts counts[3]; /* users, groups, memberships */
    bool read_ok;
    bool ok;
};

struct fv_restore_qs_callbacks {
    void (*bundle)(void *ud, enum fv_restore_bundle_step step, const struct fv_restore_bundle *b);
    void (*identities)(void *ud, enum fv_restore_ident_step step,
                       const struct fv_restore_identities *id);
    void *ud;
};

struct fv_restore_qs_report {
    size_t ok;  /* bundles and per-account identities restored or already there */
    size_t bad; /* ... not */
};

/* Restores what rq selects: bundles one at a time (data sources first,
 * dashboards last), then identities per source account. Callbacks may be
 * NULL. */
void fv_restore_quicksight(const struct fv_restore_qs *rq, const struct fv_restore_aws *aws,
                           const struct fv_restore_qs_callbacks *cb,
                           struct fv_restore_qs_report *out);

#endif

/* A run in the coordinator: its planned tasks and what became of them. */
#ifndef FV_COORD_RUN_H
#define FV_COORD_RUN_H

#include <fv/clock.h>
#include <fv/config.h>
#include <fv/exports.h>
#include <fv/fleet.h>
#include <fv/task.h>

struct fv_run_item {
    struct fv_task task;     /* as planned (step "create" etc.) */
    struct fv_result result; /* the terminal result, once there */
    bool terminal;
    uint32_t attempts; /* highest attempt seen */
    size_t gate;       /* 1 + the target whose follow-up waits for this item; 0: none */
};

/* An account × region the run covers, and how its enumeration went. */
struct fv_run_target {
    char *account;
    char *account_name;
    char *region;
    char *error;   /* enumeration failure; the target is FAILED */
    char **tables; /* selected tables */
    size_t n_tables;
    size_t pending; /* gating items not yet terminal (fv_run_gate) */
    bool retention_planned;
    char **expiring; /* a dry run: the backups retention would delete, a line each */
    size_t n_expiring;
};

struct fv_run {
    char *run_id;
    char *stamp; /* YYYYMMDDTHHMMSSZ: run id and backup names carry it */
    const struct fv_config_job *job;
    const struct fv_clock *clock; /* borrowed; fv_run_init sets the system clock */
    int64_t started_ms;
    int64_t finished_ms;
    int64_t deadline_ms;
    struct fv_run_item *items;
    size_t n_items, cap_items;
    struct fv_run_target *targets;
    size_t n_targets;
    size_t n_terminal;
    bool resumed;
    size_t *index; /* open addressing over items by task_id: slot holds item + 1 */
    size_t index_cap;
};

void fv_run_init(struct fv_run *r, const struct fv_config_job *job, int64_t started_ms,
                 int64_t deadline_ms);
void fv_run_clean_up(struct fv_run *r);
/* Adds a task (copied), filling task_id, run_id, job, created, deadline.
 * Returns the item. */
struct fv_run_item *fv_run_add(struct fv_run *r, struct fv_task *t);
struct fv_run_item *fv_run_find(struct fv_run *r, const char *task_id);
/* Makes item hold back the follow-up of targets[target] (its retention)
 * until it is terminal: a per-target count, so deciding when a target is
 * ready costs nothing per result. */
void fv_run_gate(struct fv_run *r, struct fv_run_item *it, size_t target);
/* Records a result; true when it made its task terminal just now. */
bool fv_run_record(struct fv_run *r, const struct fv_result *res);
/* The target whose last gating item res (just recorded) finished, or NULL. */
struct fv_run_target *fv_run_released(struct fv_run *r, const struct fv_result *res);
void fv_run_counts(const struct fv_run *r, size_t *succeeded, size_t *failed, size_t *skipped);

/* Enumerates the job's resources and plans its tasks into r (per account ×
 * region, concurrently). Enumeration failures are recorded per target and
 * never stop the others. A dry run also names, per target, the backups
 * retention would delete after this run (target->expiring). */
fv_status fv_plan_dynamodb(struct fv_fleet *fleet, struct fv_run *r, bool dry_run,
                           struct fv_error *err);
/* The prerequisites of a quicksight run, before it is planned: its targets
 * (one per covered account) and the dated identity tables, created when
 * absent and waited for until ACTIVE. A dry run writes nothing and only
 * checks that DynamoDB and the bundles' bucket answer. Failures are
 * recorded per target. */
fv_status fv_prepare_quicksight(struct fv_fleet *fleet, struct fv_run *r, const char *mode,
                                bool dry_run, struct fv_error *err);
/* Plans a prepared quicksight run (pure enumeration; writes nothing):
 * identity chunks and asset bundles per target that prepared well; mode
 * "full", "users-only" or "assets-only". */
fv_status fv_plan_quicksight(struct fv_fleet *fleet, struct fv_run *r, const char *mode,
                             struct fv_error *err);
/* A dynamodb_exports run (plan_exports.c): what one table's chain needs
 * now, read by fv_plan_dynamodb's enumeration threads. */
struct fv_plan_export {
    struct fv_export_decision d;
    bool initiated;      /* the chain's full export COMPLETED */
    int64_t last_end_ms; /* the chain's last window end */
    char *chain_id;      /* NULL: none */
    char *error;         /* the state or PITR could not be read; nothing planned */
};
/* Reads table's chain (control table) and PITR (member) and decides by the
 * seed's rules at now_ms; a PITR gap is recorded on the chain (not in a dry
 * run). Failures go to out->error. out is caller's (clean up). */
void fv_plan_export_decide(struct fv_fleet *fleet, struct fv_fleet_clients *clients,
                           struct fv_aws_client *member, const struct fv_config_job *job,
                           const char *account, const char *region, const char *table,
                           int64_t now_ms, bool dry_run, struct fv_plan_export *out);
/* The task of pe into r: a dynamodb.export of the window (or full export);
 * a PITR gap as a FAILED item with its remedy, never published; nothing
 * when nothing is due. */
void fv_plan_export_add(struct fv_run *r, const struct fv_run_target *t, const char *table,
                        const struct fv_plan_export *pe);
void fv_plan_export_clean_up(struct fv_plan_export *pe);

/* The retention task for target (when the job keeps backups), or NULL. */
struct fv_run_item *fv_plan_dynamodb_retention(struct fv_fleet *fleet, struct fv_run *r,
                                               struct fv_run_target *target);

/* Writes backup_manifest_<stamp>.json and backup_report_<stamp>.txt into
 * dir; paths returned (caller frees). */
fv_status fv_run_write_outputs(const struct fv_run *r, const char *dir, char **manifest_path,
                               char **report_path, struct fv_error *err);
/* The stamp in r's file names: "YYYYMMDD_HHMMSS" (as the QuickSight seed
 * names its manifests). */
void fv_run_file_stamp(const struct fv_run *r, char out[16]);
/* Keeps the files of the `keep` newest runs in dir (by the stamp in their
 * names: backup_manifest_<YYYYMMDD_HHMMSS>.json, backup_report_<...>.txt)
 * and removes the others; those of keep_stamp (the run that just wrote its
 * own, "YYYYMMDD_HHMMSS") always stay and count as one of the `keep`. keep
 * 0: nothing removed. Other files are never touched. *removed (may be
 * NULL): files removed. A file that cannot be removed is an error, after
 * the others were tried. */
fv_status fv_run_prune_outputs(const char *dir, int64_t keep, const char *keep_stamp,
                               size_t *removed, struct fv_error *err);
/* The manifest as JSON text (caller frees). */
char *fv_run_manifest_json(const struct fv_run *r);
/* The human report (caller frees). */
char *fv_run_report_text(const struct fv_run *r);

#endif

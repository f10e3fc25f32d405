/* Retention of a dynamodb_backups job in one account × region: which
 * on-demand backups to delete. A pure rule (fv_retention_select, unit
 * tested with an injected clock) under a thin I/O shell (fv_retention_plan:
 * one account-wide ListBackups, the records of the job's backups from the
 * control table).
 *
 * Only recorded backups are the job's (fv_control_backup_put): a name is
 * not proof, since anyone who may CreateBackup can name a backup like
 * ours. Per table, with scope "job" the candidates are the AVAILABLE
 * backups this job recorded in this account and region; with scope "table"
 * (opt-in) every backup of the tables the job has records of. Of the
 * candidates the `keep` newest AVAILABLE ones stay, and of the rest only
 * those older than min_age are deleted. Never deleted: a CREATING backup
 * (nor does one count towards keep), the table's newest AVAILABLE
 * candidate, anything when keep < 1. */
#ifndef FV_RETENTION_H
#define FV_RETENTION_H

#include <fv/clock.h>
#include <fv/config.h>
#include <fv/control.h>
#include <fv/dynamodb.h>

enum fv_retention_scope {
    FV_RETENTION_JOB = 0, /* only what this job recorded creating */
    FV_RETENTION_TABLE,   /* every backup of the job's tables (opt-in) */
};

struct fv_retention_rules {
    const char *job, *account, *region; /* borrowed */
    int64_t keep;                       /* at least 1, else nothing is deleted */
    int64_t min_age_ms;
    enum fv_retention_scope scope;
};
/* The rules of job in account × region (all borrowed from job and the
 * arguments). */
void fv_retention_rules_of(const struct fv_config_job *job, const char *account, const char *region,
                           struct fv_retention_rules *out);

/* One backup as ListBackups shows it, and its record (NULL: none). */
struct fv_retention_backup {
    const struct fv_dynamodb_backup *backup; /* borrowed */
    const struct fv_control_backup *record;  /* borrowed */
};

/* The backups to delete as indexes into in[0..n), per table oldest first;
 * *victims (caller frees) may be NULL when *n_victims is 0. FV_E_INVALID
 * (nothing chosen) when rules->keep < 1. Pure: now_ms is the only time. */
fv_status fv_retention_select(const struct fv_retention_rules *rules,
                              const struct fv_retention_backup *in, size_t n, int64_t now_ms,
                              size_t **victims, size_t *n_victims, struct fv_error *err);

struct fv_retention_victim {
    char *arn, *name, *table;
    int64_t created_ms;
    bool recorded; /* its record goes once it is deleted */
};
struct fv_retention_plan {
    struct fv_retention_victim *items;
    size_t n;
    size_t list_calls;   /* ListBackups pages */
    size_t records_read; /* backup records looked up */
};
void fv_retention_plan_clean_up(struct fv_retention_plan *p);

/* What retention would delete now in member's account × region: one
 * account-wide ListBackups (pages of 100), the records of the backups
 * named like the job's (fv_name_backup_of; BatchGetItem on central's
 * control_table), then fv_retention_select at clock's now. new_tables
 * (may be NULL) are tables about to get a new backup of this job (a dry
 * run): each counts as a recorded AVAILABLE backup created now. */
fv_status fv_retention_plan(struct fv_aws_client *member, struct fv_aws_client *central,
                            const char *control_table, const struct fv_clock *clock,
                            const struct fv_retention_rules *rules, char *const *new_tables,
                            size_t n_new, struct fv_retention_plan *out, struct fv_error *err);

#endif

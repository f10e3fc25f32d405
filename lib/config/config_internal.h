/* Private to lib/config: what config.c (the fleet schema), seed.c (the
 * QuickSight backup tool's file, read into the same structs) and props.c
 * (the table machinery) share. */
#ifndef FV_CONFIG_INTERNAL_H
#define FV_CONFIG_INTERNAL_H

#include <fv/config.h>

/* Defaults of the quicksight job, shared by its fleet keys (jobs[]) and the
 * seed's keys so the two tables cannot drift. */
#define FV_QS_DEF_USERS_TABLE "quicksight-users-backup"
#define FV_QS_DEF_GROUPS_TABLE "quicksight-groups-backup"
#define FV_QS_DEF_MEMBERSHIPS_TABLE "quicksight-users-groups-backup"
#define FV_QS_DEF_PREFIX "quicksight-backups"
#define FV_QS_DEF_PREFIX_FORMAT "YYYY/MM/DD"
#define FV_QS_DEF_EXPORT_FORMAT "QUICKSIGHT_JSON"
#define FV_QS_DEF_MAX_ASSETS "50"
#define FV_QS_MAX_ASSETS 100 /* the seed's bound: 1..100 assets per bundle */

/* Which tables a dynamodb_backups or dynamodb_exports job selects: one
 * definition for both tables of keys (S_OFF: offsetof struct fv_config_job). */
/* clang-format off */
#define FV_CONFIG_TABLE_SELECTION_PROPS                                                            \
    {"tables.names", FV_PROP_STRLIST, S_OFF(table_names), S_OFF(n_table_names), NULL, false, 0, 0, \
     NULL, NULL, "These tables."},                                                                 \
    {"tables.prefixes", FV_PROP_STRLIST, S_OFF(table_prefixes), S_OFF(n_table_prefixes), NULL,    \
     false, 0, 0, NULL, NULL, "Tables whose names start so."},                                     \
    {"tables.tags", FV_PROP_STRLIST, S_OFF(table_tags), S_OFF(n_table_tags), NULL, false, 0, 0,    \
     NULL, NULL,                                                                                   \
     "Tables carrying every one of these `key=value` tags (Resource Groups Tagging API). With "    \
     "no names, prefixes or tags: every table."}
/* clang-format on */

extern const char *const fv_config_prefix_formats[]; /* NULL-terminated */
extern const char *const fv_config_export_formats[];

/* props.c: the value at a dotted key; NULL when absent or null. Borrowed. */
struct json_object *fv_props_lookup(struct json_object *obj, const char *key);

/* config.c */
/* The top-level keys of obj into out (defaults and FV_* overrides included);
 * sections parsed by hand (accounts, jobs, kafka.properties) are skipped. */
fv_status fv_config_top_apply(const char *file, struct json_object *obj, struct fv_config *out,
                              struct fv_error *err);
/* One accounts[] entry; name defaults to the id. */
fv_status fv_config_account_apply(const char *file, const char *where, struct json_object *obj,
                                  struct fv_config_account *out, struct fv_error *err);
/* One jobs[] entry: the keys every job has and those of its type. A key of
 * another type is an error naming it ("jobs[0].retention: only for
 * dynamodb_backups jobs"): it is what the user wrote that is checked, since
 * every job gets its own type's defaults. Sets out->kind. */
fv_status fv_config_job_apply(const char *file, const char *where, struct json_object *obj,
                              struct fv_config_job *out, struct fv_error *err);
void fv_config_job_clean_up(struct fv_config_job *job);
/* Lower-cases s in place (NULL: nothing). */
void fv_config_lower(char *s);
/* Does the fleet schema know path: a key, a section holding keys, or a
 * section parsed by hand ("aws", "aws.max_attempts", "jobs")? */
bool fv_config_fleet_knows(const char *path);

/* exports.c: the keys of a dynamodb_exports job (seed 003). */
#define FV_CONFIG_EXPORTS_JOB_NPROPS 13
extern const struct fv_prop fv_config_exports_job_props[FV_CONFIG_EXPORTS_JOB_NPROPS];
/* After the table: the overrides[] entries and the default schedule. */
fv_status fv_config_exports_job_apply(const char *file, const char *where, struct json_object *obj,
                                      struct fv_config_job *job, struct fv_error *err);
/* With the whole file read: the bucket (the job's or central.bucket). */
fv_status fv_config_exports_job_check(const char *file, size_t index, const struct fv_config *cfg,
                                      struct fv_config_job *job, struct fv_error *err);
void fv_config_exports_job_clean_up(struct fv_config_job *job);
void fv_config_exports_write_docs(FILE *f);

/* seed.c */
/* Is doc the QuickSight backup tool's format? None of the fleet's own
 * top-level keys, and at least one key only that tool has. */
bool fv_config_seed_detect(struct json_object *doc);
/* Reads it as a fleet of one account with one quicksight job. */
fv_status fv_config_seed_from_doc(const char *name, struct json_object *doc, struct fv_config *out,
                                  struct fv_error *err);
void fv_config_seed_write_docs(FILE *f);

#endif

/* fleetvault configuration: one property table drives YAML/JSON parsing,
 * FV_* environment overrides, validation (every message names the file and
 * the key) and the generated docs/CONFIG.md. */
#ifndef FV_CONFIG_H
#define FV_CONFIG_H

#include <fv/common.h>
#include <stdio.h>

struct json_object;

struct fv_config_account {
    char *id;       /* 12 digits */
    char *name;     /* label in reports; defaults to the id */
    char *role_arn; /* NULL: use the base credentials directly */
    char *external_id;
    char *session_name;
    char **regions; /* NULL-terminated; NULL → the top-level region */
    size_t n_regions;
};

enum fv_job_type {
    FV_JOB_DYNAMODB_BACKUPS = 0,
    FV_JOB_QUICKSIGHT,
    FV_JOB_DYNAMODB_EXPORTS,
};

/* One overrides[] entry of a dynamodb_exports job: settings of the tables
 * named `table` (in `account` and `region` when given, else everywhere the
 * job covers). Unset fields (0, NULL) keep the job's. */
struct fv_config_export_override {
    char *table;
    char *account;
    char *region;
    int64_t window_minutes;
    int64_t poll_interval_s;
    char *view_type;
    char *format;
    char *prefix; /* the table's whole key prefix (a seed's dataExportBucketPrefix) */
    char *sse_kms_key_id;
    int64_t retention_days;         /* 0: the job's */
    int64_t full_export_every_days; /* 0: the job's */
};

struct fv_config_job {
    char *name;
    char *type; /* "dynamodb_backups", "quicksight", "dynamodb_exports" */
    enum fv_job_type kind;
    char *schedule;  /* rate(...) or cron(...); NULL: on demand only */
    char **accounts; /* subset of the fleet's account ids; NULL → all */
    size_t n_accounts;
    /* dynamodb_backups, dynamodb_exports */
    char **table_names;
    size_t n_table_names;
    char **table_prefixes;
    size_t n_table_prefixes;
    char **table_tags; /* "key=value" (all must match) */
    size_t n_table_tags;
    int64_t retention;           /* keep the N newest recorded backups of each table (>= 1) */
    char *retention_scope;       /* "job" (recorded backups of this job) or "table" */
    int64_t retention_min_age_s; /* never delete a younger backup */
    bool deny_delete_policy;
    char **exempt_principals; /* ARNs that never get the deny policy */
    size_t n_exempt_principals;
    char *log_group; /* CloudWatch Logs group for backup events; NULL: none */
    int64_t wait_timeout_s;
    /* quicksight (seed 000) */
    char *mode;                    /* "full", "users-only", "assets-only" */
    char *namespace_;              /* QuickSight namespace; default "default" */
    char *identity_region;         /* users and groups; NULL → the account's region */
    char *identity_tables_account; /* "member" (the account itself) or "central" */
    char *users_table_name;        /* base names; tables are YYYY-MM-DD-<base> */
    char *groups_table_name;
    char *users_group_table_name;
    char *bucket;        /* asset bundles; NULL → central.bucket */
    char *prefix;        /* key prefix, default "quicksight-backups" */
    char *prefix_format; /* "YYYY/MM/DD", "YYYY-MM-DD", "YYYYMMDD" */
    bool include_dependencies;
    bool include_permissions;
    bool include_tags;
    char *export_format;            /* "QUICKSIGHT_JSON", "CLOUDFORMATION_JSON" */
    int64_t max_assets_per_bundle;  /* 1-100 */
    int64_t max_export_jobs;        /* per account at once (AWS allows 5) */
    char *sse_kms_key_id;           /* SSE-KMS for bundles; NULL → bucket default */
    bool bucket_owner_full_control; /* x-amz-acl for a bucket in another account */
    /* dynamodb_exports (seed 003); bucket and sse_kms_key_id above too */
    int64_t window_minutes;         /* 15..1440 */
    int64_t poll_interval_s;        /* DescribeExport every so often */
    char *view_type;                /* "NEW_AND_OLD_IMAGES", "NEW_IMAGE" */
    char *ddb_export_format;        /* "DYNAMODB_JSON", "ION" */
    char *export_prefix;            /* base of the tables' prefixes (fv_name_export_prefix) */
    char *bucket_owner;             /* S3BucketOwner; NULL → central.account */
    int64_t export_retention_days;  /* keep chains covering this many days; 0: keep all */
    int64_t full_export_every_days; /* a new chain once the full export is this old; 0: never */
    struct fv_config_export_override *export_overrides;
    size_t n_export_overrides;
};

/* The settings of one table of a dynamodb_exports job, overrides applied.
 * Every pointer is borrowed from the config. */
struct fv_config_export_settings {
    int64_t window_minutes;
    int64_t poll_interval_s;
    const char *view_type;
    const char *ddb_export_format; /* ExportFormat */
    const char *bucket;            /* the job's, else central.bucket */
    const char *bucket_owner;      /* the job's, else central.account (may be NULL) */
    const char *prefix;            /* an override's whole prefix, or NULL: fv_name_export_prefix */
    const char *sse_kms_key_id;
    int64_t retention_days;         /* 0: every export is kept */
    int64_t full_export_every_days; /* 0: one chain for ever (unless reset) */
};

struct fv_config {
    char *path; /* the file it came from */
    char *region;
    char *profile; /* AWS profile for the base credentials; NULL → chain default */
    struct fv_config_account *accounts;
    size_t n_accounts;
    /* aws.* */
    int64_t max_attempts;
    int64_t connect_timeout_ms;
    int64_t request_timeout_ms;
    int64_t low_speed_limit_bytes; /* uploads and downloads: the speed floor ... */
    int64_t low_speed_time_s;      /* ... for this long */
    char *ca_bundle;
    /* logging.* */
    char *log_level;
    char *log_file;
    /* central.* */
    char *central_account; /* where fleetvault's own state lives */
    char *central_bucket;  /* manifests and reports; NULL: local only */
    char *central_prefix;
    char *control_table;
    int64_t control_ttl_days;    /* claims and run records expire (DynamoDB TTL) */
    char *central_principal_arn; /* who fleetvault runs as; `fleetvault iam-policy` */
    /* iam.* */
    char *deny_guard; /* "inline" (iam.deny_delete_backup tasks) or "scp" */
    /* kafka.* */
    char *kafka_brokers; /* "embedded" or bootstrap servers */
    char *kafka_topic_prefix;
    int64_t kafka_partitions;
    int64_t kafka_session_timeout_ms;
    char *kafka_group_instance_id; /* NULL, "auto" or an id (fv_kafka_instance_id) */
    char **kafka_properties;       /* name, value, ..., NULL (from kafka.properties) */
    size_t n_kafka_properties;
    bool kafka_allow_plaintext; /* an external cluster without TLS is accepted */
    /* tasks.* */
    char *task_keys_file; /* HMAC keys of task messages (fv/seal.h) */
    /* worker.* */
    int64_t worker_concurrency;
    int64_t task_max_attempts;
    int64_t shutdown_grace_s;
    int64_t worker_max_delayed; /* 0: derived from worker.concurrency */
    /* coordinator.* */
    int64_t run_deadline_s;
    int64_t enumerate_concurrency;
    int64_t lease_ttl_s;
    int64_t keep_runs; /* manifests and reports kept in the output directory; 0: all */
    /* metrics.* */
    char *metrics_bind;
    int64_t metrics_port; /* 0: no server */
    /* notifications.* */
    char *sns_topic_arn;
    char *events_log_group;
    struct fv_config_job *jobs;
    size_t n_jobs;
    /* The whole document, for sections owned by other modules (jobs, kafka). */
    struct json_object *doc;
};

/* Loads and validates path. On error *out is cleaned and err names the file
 * and key, e.g. "fleet.yaml: accounts[1].id: must be 12 digits, got '12'". */
fv_status fv_config_load(const char *path, struct fv_config *out, struct fv_error *err);
/* Same from an already-parsed document (borrowed; the config takes a ref). */
/* The job called name, or NULL. */
const struct fv_config_job *fv_config_job(const struct fv_config *c, const char *name);
/* The settings of table (in account, region) under a dynamodb_exports job:
 * the last override that matches wins. */
void fv_config_export_settings(const struct fv_config *c, const struct fv_config_job *job,
                               const char *account, const char *region, const char *table,
                               struct fv_config_export_settings *out);
/* True when job covers the account (its accounts list it, or it lists none). */
bool fv_config_job_covers(const struct fv_config_job *job, const char *account);

fv_status fv_config_from_doc(const char *name, struct json_object *doc, struct fv_config *out,
                             struct fv_error *err);
void fv_config_clean_up(struct fv_config *c);

/* Writes the Markdown reference of every key (docs/CONFIG.md). */
void fv_config_write_docs(FILE *f);

/* ---- The table machinery, shared by every schema ---- */
enum fv_prop_type {
    FV_PROP_STRING,
    FV_PROP_INT,
    FV_PROP_BOOL,
    FV_PROP_STRLIST,
};

struct fv_prop {
    const char *key; /* dotted path within its object, e.g. "aws.max_attempts" */
    enum fv_prop_type type;
    size_t offset;       /* into the target struct */
    size_t count_offset; /* STRLIST: where the count goes */
    const char *def;     /* default, as text; NULL → none */
    bool required;
    int64_t min, max;           /* INT bounds (both 0: unbounded) */
    const char *pattern;        /* STRING check: "account-id", "arn", "region", or NULL */
    const char *const *choices; /* STRING: allowed values, NULL-terminated */
    const char *doc;
};

/* Fills target from obj using props; `where` is the prefix for messages
 * ("accounts[1]"). Unknown keys are errors unless allow_unknown lists their
 * top-level names (NULL-terminated). env_prefix (e.g. "FV_") enables
 * FV_<KEY_WITH_UNDERSCORES> overrides for scalars; NULL disables. */
fv_status fv_props_apply(const char *file, const char *where, const struct fv_prop *props, size_t n,
                         struct json_object *obj, void *target, const char *const *allow_unknown,
                         const char *env_prefix, struct fv_error *err);
void fv_props_clean_up(const struct fv_prop *props, size_t n, void *target);
void fv_props_write_docs(FILE *f, const char *prefix, const struct fv_prop *props, size_t n);

#endif

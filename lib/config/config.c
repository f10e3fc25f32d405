/* The fleet configuration schema. */
#include "config_internal.h"

#include <fv/doc.h>
#include <fv/naming.h>

#include <ctype.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Upper case too, as the QuickSight backup tool wrote them; stored lower-case. */
static const char *const s_log_levels[] = {"error", "warn",  "warning", "info",    "debug",
                                           "trace", "ERROR", "WARN",    "WARNING", "INFO",
                                           "DEBUG", "TRACE", NULL};

static const char *const s_deny_guards[] = {"inline", "scp", NULL};

#define S_OFF(f) offsetof(struct fv_config, f)
static const struct fv_prop s_props[] = {
    {"region", FV_PROP_STRING, S_OFF(region), 0, NULL, false, 0, 0, "region", NULL,
     "Default AWS region for accounts that list none. Falls back to AWS_REGION, then "
     "AWS_DEFAULT_REGION."},
    {"profile", FV_PROP_STRING, S_OFF(profile), 0, NULL, false, 0, 0, NULL, NULL,
     "AWS profile for the base credentials (the default chain otherwise)."},
    {"aws.max_attempts", FV_PROP_INT, S_OFF(max_attempts), 0, "5", false, 1, 20, NULL, NULL,
     "Attempts per AWS call, the first included (standard retry mode)."},
    {"aws.connect_timeout_ms", FV_PROP_INT, S_OFF(connect_timeout_ms), 0, "3000", false, 100,
     600000, NULL, NULL, "TCP/TLS connect timeout."},
    {"aws.request_timeout_ms", FV_PROP_INT, S_OFF(request_timeout_ms), 0, "120000", false, 1000,
     86400000, NULL, NULL,
     "Whole-request timeout of ordinary API calls; uploads and downloads have none (see "
     "`aws.low_speed_limit_bytes`)."},
    {"aws.low_speed_limit_bytes", FV_PROP_INT, S_OFF(low_speed_limit_bytes), 0, "1024", false, 1,
     1073741824, NULL, NULL,
     "Uploads and downloads (S3 objects, QuickSight asset bundles) last as long as their size "
     "needs; one fails (and is retried) when slower than this many bytes per second for "
     "`aws.low_speed_time_s`."},
    {"aws.low_speed_time_s", FV_PROP_INT, S_OFF(low_speed_time_s), 0, "30", false, 1, 3600, NULL,
     NULL, "How long an upload or download may stay below `aws.low_speed_limit_bytes`."},
    {"aws.ca_bundle", FV_PROP_STRING, S_OFF(ca_bundle), 0, NULL, false, 0, 0, NULL, NULL,
     "CA bundle file for TLS verification (system store otherwise)."},
    {"logging.level", FV_PROP_STRING, S_OFF(log_level), 0, "info", false, 0, 0, NULL, s_log_levels,
     "Log level."},
    {"logging.file", FV_PROP_STRING, S_OFF(log_file), 0, NULL, false, 0, 0, NULL, NULL,
     "Also write logs to this file (JSON lines)."},
    {"central.account", FV_PROP_STRING, S_OFF(central_account), 0, NULL, false, 0, 0, "account-id",
     NULL,
     "The central backup account, where fleetvault's base credentials act (checked at start)."},
    {"central.bucket", FV_PROP_STRING, S_OFF(central_bucket), 0, NULL, false, 0, 0, NULL, NULL,
     "S3 bucket in the central account for run manifests and reports (local files only "
     "otherwise)."},
    {"central.prefix", FV_PROP_STRING, S_OFF(central_prefix), 0, "fleetvault", false, 0, 0, NULL,
     NULL, "Key prefix for manifests and reports in central.bucket."},
    {"central.control_table", FV_PROP_STRING, S_OFF(control_table), 0, "fleetvault-control", false,
     0, 0, NULL, NULL,
     "DynamoDB table in the central account holding the coordinator lease, run state and task "
     "claims (created when absent, PAY_PER_REQUEST, with DynamoDB TTL on the attribute `ttl`)."},
    {"central.control_ttl_days", FV_PROP_INT, S_OFF(control_ttl_days), 0, "30", false, 8, 3650,
     NULL, NULL,
     "Days a task claim or a run record stays in the control table: its `ttl` attribute "
     "(epoch seconds), after which DynamoDB deletes it. Longer than any run "
     "(`coordinator.run_deadline_s`, at most 7 days) and than the retention of the tasks and "
     "DLQ topics, so a redelivered or replayed task still finds its claim. The coordinator's "
     "lease item never expires."},
    {"central.principal_arn", FV_PROP_STRING, S_OFF(central_principal_arn), 0, NULL, false, 0, 0,
     "arn", NULL,
     "ARN of the IAM role or user fleetvault runs as in the central account: the principal the "
     "member roles trust (`fleetvault iam-policy` needs it)."},
    {"iam.deny_guard", FV_PROP_STRING, S_OFF(deny_guard), 0, "inline", false, 0, 0, NULL,
     s_deny_guards,
     "How `DeleteBackup` is denied to everyone but fleetvault (jobs with `deny_delete_policy`): "
     "`inline` puts the policy DenydynamodbDeleteBackup on every IAM user and role of each member "
     "account (the member role needs IAM writes); `scp`: an AWS Organizations SCP you attach "
     "(`fleetvault iam-policy` prints it) denies it, and no IAM write is made. See docs/IAM.md."},
    {"kafka.brokers", FV_PROP_STRING, S_OFF(kafka_brokers), 0, "embedded", false, 0, 0, NULL, NULL,
     "Bootstrap servers (host:port,...), or `embedded`: an in-process cluster (librdkafka's "
     "mock cluster) running coordinator and workers in one process."},
    {"kafka.allow_plaintext", FV_PROP_BOOL, S_OFF(kafka_allow_plaintext), 0, "false", false, 0, 0,
     NULL, NULL,
     "Accept an external cluster reached without TLS (`kafka.properties` "
     "`security.protocol` PLAINTEXT or SASL_PLAINTEXT, or none set: librdkafka's default is "
     "PLAINTEXT). Refused otherwise: tasks, results and the DLQ would cross the network in "
     "clear. For test clusters on localhost; set-ups with TLS: docs/KAFKA.md."},
    {"kafka.topic_prefix", FV_PROP_STRING, S_OFF(kafka_topic_prefix), 0, "fleetvault.", false, 0, 0,
     NULL, NULL, "Topic names are this prefix + tasks, results, events, dlq."},
    {"kafka.partitions", FV_PROP_INT, S_OFF(kafka_partitions), 0, "6", false, 1, 1000, NULL, NULL,
     "Partitions of the topics fleetvault creates (embedded cluster). On a real cluster create "
     "the topics yourself (deploy/kafka/)."},
    {"kafka.session_timeout_ms", FV_PROP_INT, S_OFF(kafka_session_timeout_ms), 0, "10000", false,
     1000, 300000, NULL, NULL,
     "Consumer group session timeout: how long a dead worker's partitions wait before "
     "reassignment."},
    {"kafka.group_instance_id", FV_PROP_STRING, S_OFF(kafka_group_instance_id), 0, NULL, false, 0,
     0, NULL, NULL,
     "Static membership (KIP-345) for `fleetvault worker`: its `group.instance.id`. A worker "
     "that restarts with the same id within `kafka.session_timeout_ms` gets its partitions back "
     "without a rebalance of the other workers. `auto`: the pod's name, from `POD_NAME` (set it "
     "from `metadata.name` with the downward API) or else `HOSTNAME` — stable across restarts "
     "only in a StatefulSet (a Deployment's pods keep their name only across container "
     "restarts). A static member that is gone for good (scale-down, rollout) holds its "
     "partitions until the session times out. Any other value is used as it is; every worker "
     "needs its own. None: dynamic membership."},
    {"tasks.signing_keys_file", FV_PROP_STRING, S_OFF(task_keys_file), 0, NULL, false, 0, 0, NULL,
     NULL,
     "File of the HMAC keys that authenticate task messages: one `<key id> <secret>` a line "
     "(secret at least 32 characters, e.g. `openssl rand -hex 32`), the first signs, all "
     "verify. Without it the keys come from the environment variable FV_TASK_SIGNING_KEYS "
     "(same lines, or separated by `;`); required with an external Kafka cluster. The "
     "embedded cluster uses a random key of the process."},
    {"worker.concurrency", FV_PROP_INT, S_OFF(worker_concurrency), 0, "32", false, 1, 10000, NULL,
     NULL,
     "Tasks in flight per worker process, one pool thread each (the embedded worker of "
     "`fleetvault backup` too)."},
    {"worker.max_attempts", FV_PROP_INT, S_OFF(task_max_attempts), 0, "5", false, 1, 100, NULL,
     NULL, "Deliveries of a task before it goes to the DLQ as exhausted."},
    {"worker.shutdown_grace_s", FV_PROP_INT, S_OFF(shutdown_grace_s), 0, "30", false, 0, 3600, NULL,
     NULL, "On SIGTERM: time to finish in-flight tasks before handing them back."},
    {"worker.max_delayed", FV_PROP_INT, S_OFF(worker_max_delayed), 0, "0", false, 0, 1000000, NULL,
     NULL,
     "Tasks a worker holds waiting for their `not_before` (follow-ups, retries); when that many "
     "wait, it pauses its partitions until some are due. A task is held at most 60 s: one due "
     "later is put back on the tasks topic then, so it never holds its partition's commit point "
     "for longer. 0: 16 × `worker.concurrency`, at least 64."},
    {"coordinator.run_deadline_s", FV_PROP_INT, S_OFF(run_deadline_s), 0, "3600", false, 10, 604800,
     NULL, NULL, "A run ends at this deadline; unfinished tasks are reported FAILED."},
    {"coordinator.enumerate_concurrency", FV_PROP_INT, S_OFF(enumerate_concurrency), 0, "4", false,
     1, 256, NULL, NULL, "Account × region enumerations at once."},
    {"coordinator.lease_ttl_s", FV_PROP_INT, S_OFF(lease_ttl_s), 0, "30", false, 2, 3600, NULL,
     NULL,
     "Lifetime of the coordinator lease, renewed every third of it: how soon a standby takes "
     "over from a coordinator that died."},
    {"coordinator.keep_runs", FV_PROP_INT, S_OFF(keep_runs), 0, "30", false, 0, 1000000, NULL, NULL,
     "Runs whose manifest and report (`backup_manifest_*.json`, `backup_report_*.txt`) stay in "
     "the output directory; after a run writes its own, the oldest beyond this many are "
     "removed (never the run's own). 0: keep all. Copies in `central.bucket` are not touched."},
    {"metrics.bind", FV_PROP_STRING, S_OFF(metrics_bind), 0, "0.0.0.0", false, 0, 0, NULL, NULL,
     "Address of the /healthz, /readyz and /metrics server."},
    {"metrics.port", FV_PROP_INT, S_OFF(metrics_port), 0, "0", false, 0, 65535, NULL, NULL,
     "Port of that server; 0: no server."},
    {"notifications.sns_topic_arn", FV_PROP_STRING, S_OFF(sns_topic_arn), 0, NULL, false, 0, 0,
     "arn", NULL, "SNS topic (central account) that gets each run's event."},
    {"notifications.log_group", FV_PROP_STRING, S_OFF(events_log_group), 0, NULL, false, 0, 0, NULL,
     NULL, "CloudWatch Logs group (central account) that gets each run's event."},
};
#undef S_OFF

#define S_OFF(f) offsetof(struct fv_config_account, f)
static const struct fv_prop s_account_props[] = {
    {"id", FV_PROP_STRING, S_OFF(id), 0, NULL, true, 0, 0, "account-id", NULL,
     "The 12-digit account id."},
    {"name", FV_PROP_STRING, S_OFF(name), 0, NULL, false, 0, 0, NULL, NULL,
     "A label for reports (the id otherwise)."},
    {"role_arn", FV_PROP_STRING, S_OFF(role_arn), 0, NULL, false, 0, 0, "arn", NULL,
     "Role fleetvault assumes in this account; none means the base credentials act there."},
    {"external_id", FV_PROP_STRING, S_OFF(external_id), 0, NULL, false, 0, 0, NULL, NULL,
     "ExternalId for the AssumeRole call, when the role's trust policy requires one."},
    {"session_name", FV_PROP_STRING, S_OFF(session_name), 0, "fleetvault", false, 0, 0, NULL, NULL,
     "RoleSessionName (shows in CloudTrail)."},
    {"regions", FV_PROP_STRLIST, S_OFF(regions), S_OFF(n_regions), NULL, false, 0, 0, "region",
     NULL, "Regions to back up in this account (the top-level region otherwise)."},
};
#undef S_OFF

static const char *const s_job_types[] = {"dynamodb_backups", "quicksight", "dynamodb_exports",
                                          NULL};

#define S_OFF(f) offsetof(struct fv_config_job, f)
/* Keys every job has. */
static const struct fv_prop s_job_props[] = {
    {"name", FV_PROP_STRING, S_OFF(name), 0, NULL, true, 0, 0, NULL, NULL,
     "The job's name (`fleetvault backup --job NAME`); part of run ids."},
    {"type", FV_PROP_STRING, S_OFF(type), 0, NULL, true, 0, 0, NULL, s_job_types,
     "What the job backs up; the keys of that type follow."},
    {"schedule", FV_PROP_STRING, S_OFF(schedule), 0, NULL, false, 0, 0, NULL, NULL,
     "`rate(N minutes|hours|days)` or AWS six-field `cron(...)`, UTC; the coordinator daemon "
     "runs the job on it. None: on demand only."},
    {"accounts", FV_PROP_STRLIST, S_OFF(accounts), S_OFF(n_accounts), NULL, false, 0, 0,
     "account-id", NULL, "Account ids this job covers (all configured accounts otherwise)."},
    {"wait_timeout_s", FV_PROP_INT, S_OFF(wait_timeout_s), 0, "1800", false, 10, 86400, NULL, NULL,
     "How long an asynchronous AWS job may run before its task fails: a DynamoDB backup "
     "staying CREATING, a QuickSight asset-bundle export."},
};

/* type: dynamodb_backups */
static const char *const s_retention_scopes[] = {"job", "table", NULL};
static const struct fv_prop s_dynamodb_job_props[] = {
    FV_CONFIG_TABLE_SELECTION_PROPS,
    {"retention", FV_PROP_INT, S_OFF(retention), 0, "30", false, 1, 100000, NULL, NULL,
     "Keep this many newest AVAILABLE backups per table that this job recorded creating "
     "(control table, `backup#<arn>`); older ones of this job are deleted, but never one younger "
     "than `retention_min_age_s` nor the table's newest AVAILABLE backup. At least 1."},
    {"retention_scope", FV_PROP_STRING, S_OFF(retention_scope), 0, "job", false, 0, 0, NULL,
     s_retention_scopes,
     "`job`: retention deletes only backups this job recorded creating (in this account and "
     "region). `table`: the seeds' behaviour, opt-in — in each table this job has recorded "
     "backups of, every USER backup counts towards `retention` and may be deleted, including "
     "ones made by hand, by other jobs, by the old Lambda or by fleetvault before backups were "
     "recorded. Either way CREATING backups, the table's newest AVAILABLE one and backups "
     "younger than `retention_min_age_s` are never deleted; `fleetvault backup --dry-run` lists "
     "each backup retention would delete after the run, and deletes nothing."},
    {"retention_min_age_s", FV_PROP_INT, S_OFF(retention_min_age_s), 0, "86400", false, 0,
     315360000, NULL, NULL,
     "Retention never deletes a backup younger than this (seconds, by its CreationDateTime). "
     "The default, a day, is the period of the usual (daily) schedule: a schedule that fires "
     "too often, runs started by hand in a loop, or a burst of other backups never costs the "
     "backups of the last day. 0: no minimum age (a backup dated ahead of this machine's clock "
     "is then not protected either)."},
    {"deny_delete_policy", FV_PROP_BOOL, S_OFF(deny_delete_policy), 0, "true", false, 0, 0, NULL,
     NULL,
     "Put the inline policy DenydynamodbDeleteBackup on every IAM user and role that AWS does "
     "not manage."},
    {"exempt_principals", FV_PROP_STRLIST, S_OFF(exempt_principals), S_OFF(n_exempt_principals),
     NULL, false, 0, 0, "arn", NULL,
     "Principals that never get the deny policy (fleetvault's own roles always are exempt)."},
    {"log_group", FV_PROP_STRING, S_OFF(log_group), 0, "/fleetvault/dynamodb-backups", false, 0, 0,
     NULL, NULL, "CloudWatch Logs group in each account for backup create/delete events."},
};

static const char *const s_qs_modes[] = {"full", "users-only", "assets-only", NULL};
static const char *const s_qs_tables_accounts[] = {"member", "central", NULL};
const char *const fv_config_prefix_formats[] = {"YYYY/MM/DD", "YYYY-MM-DD", "YYYYMMDD", NULL};
const char *const fv_config_export_formats[] = {"QUICKSIGHT_JSON", "CLOUDFORMATION_JSON", NULL};

/* type: quicksight (seed 000) */
static const struct fv_prop s_quicksight_job_props[] = {
    {"mode", FV_PROP_STRING, S_OFF(mode), 0, "full", false, 0, 0, NULL, s_qs_modes,
     "`users-only`: users, groups and memberships to DynamoDB; `assets-only`: data sources, "
     "data sets, analyses and dashboards as asset bundles to S3; `full`: both."},
    {"namespace", FV_PROP_STRING, S_OFF(namespace_), 0, "default", false, 0, 0, NULL, NULL,
     "QuickSight namespace of the users and groups."},
    {"identity_region", FV_PROP_STRING, S_OFF(identity_region), 0, NULL, false, 0, 0, "region",
     NULL,
     "Region of QuickSight's identities (users and groups); the account's region otherwise "
     "(its first `regions` entry, or the top-level `region`)."},
    {"identity_tables_account", FV_PROP_STRING, S_OFF(identity_tables_account), 0, "member", false,
     0, 0, NULL, s_qs_tables_accounts,
     "Where the dated identity tables are created: in each `member` account itself, or all in "
     "the `central` account."},
    {"identity_tables.users", FV_PROP_STRING, S_OFF(users_table_name), 0, FV_QS_DEF_USERS_TABLE,
     false, 0, 0, NULL, NULL,
     "Base name of the DynamoDB table of users; each run writes `YYYY-MM-DD-<base>`."},
    {"identity_tables.groups", FV_PROP_STRING, S_OFF(groups_table_name), 0, FV_QS_DEF_GROUPS_TABLE,
     false, 0, 0, NULL, NULL, "Base name of the table of groups."},
    {"identity_tables.memberships", FV_PROP_STRING, S_OFF(users_group_table_name), 0,
     FV_QS_DEF_MEMBERSHIPS_TABLE, false, 0, 0, NULL, NULL,
     "Base name of the table of user-group memberships."},
    {"s3.bucket", FV_PROP_STRING, S_OFF(bucket), 0, NULL, false, 0, 0, NULL, NULL,
     "Bucket for the asset bundles; `central.bucket` otherwise (one of the two is required)."},
    {"s3.prefix", FV_PROP_STRING, S_OFF(prefix), 0, FV_QS_DEF_PREFIX, false, 0, 0, NULL, NULL,
     "Key prefix of the bundles; the date part follows it."},
    {"s3.prefix_format", FV_PROP_STRING, S_OFF(prefix_format), 0, FV_QS_DEF_PREFIX_FORMAT, false, 0,
     0, NULL, fv_config_prefix_formats,
     "Date part of the keys (table names always use YYYY-MM-DD)."},
    {"s3.sse_kms_key_id", FV_PROP_STRING, S_OFF(sse_kms_key_id), 0, NULL, false, 0, 0, NULL, NULL,
     "KMS key (id, alias or ARN) for SSE-KMS on the bundles; the bucket's default encryption "
     "otherwise."},
    {"s3.bucket_owner_full_control", FV_PROP_BOOL, S_OFF(bucket_owner_full_control), 0, "false",
     false, 0, 0, NULL, NULL,
     "Send `x-amz-acl: bucket-owner-full-control` (a bucket owned by another account that "
     "still uses ACLs)."},
    {"include_dependencies", FV_PROP_BOOL, S_OFF(include_dependencies), 0, "true", false, 0, 0,
     NULL, NULL, "Export each asset's dependencies into its bundle."},
    {"include_permissions", FV_PROP_BOOL, S_OFF(include_permissions), 0, "true", false, 0, 0, NULL,
     NULL, "Export sharing permissions."},
    {"include_tags", FV_PROP_BOOL, S_OFF(include_tags), 0, "true", false, 0, 0, NULL, NULL,
     "Export resource tags."},
    {"export_format", FV_PROP_STRING, S_OFF(export_format), 0, FV_QS_DEF_EXPORT_FORMAT, false, 0, 0,
     NULL, fv_config_export_formats, "Asset-bundle format."},
    {"max_assets_per_bundle", FV_PROP_INT, S_OFF(max_assets_per_bundle), 0, FV_QS_DEF_MAX_ASSETS,
     false, 1, FV_QS_MAX_ASSETS, NULL, NULL,
     "Assets per export bundle; a larger type is split into several bundles."},
    {"max_export_jobs", FV_PROP_INT, S_OFF(max_export_jobs), 0, "5", false, 1, 5, NULL, NULL,
     "Asset-bundle export jobs running at once per account (QuickSight allows 5)."},
};
#undef S_OFF

#define S_N(a) (sizeof(a) / sizeof((a)[0]))

struct s_job_kind {
    const char *type;
    enum fv_job_type kind;
    const struct fv_prop *props;
    size_t n;
    const char *const *sections; /* parsed by hand after the table (NULL-terminated) */
};
static const char *const s_exports_sections[] = {"overrides", NULL};
static const struct s_job_kind s_job_kinds[] = {
    {"dynamodb_backups", FV_JOB_DYNAMODB_BACKUPS, s_dynamodb_job_props, S_N(s_dynamodb_job_props),
     NULL},
    {"quicksight", FV_JOB_QUICKSIGHT, s_quicksight_job_props, S_N(s_quicksight_job_props), NULL},
    {"dynamodb_exports", FV_JOB_DYNAMODB_EXPORTS, fv_config_exports_job_props,
     FV_CONFIG_EXPORTS_JOB_NPROPS, s_exports_sections},
};

/* Sections parsed by hand below (lists of entries, free-form maps). */
static const char *const s_other_sections[] = {"accounts", "jobs", "kafka.properties", NULL};

/* Does the table declare top (a key, or a section holding keys)? */
static bool s_declares(const struct fv_prop *props, size_t n, const char *top)
{
    size_t len = strlen(top);
    for (size_t i = 0; i < n; i++)
        if (strncmp(props[i].key, top, len) == 0 &&
            (props[i].key[len] == '\0' || props[i].key[len] == '.'))
            return true;
    return false;
}

bool fv_config_fleet_knows(const char *path)
{
    if (s_declares(s_props, S_N(s_props), path))
        return true;
    size_t len = strlen(path);
    for (const char *const *o = s_other_sections; *o; o++)
        if (strncmp(*o, path, len) == 0 && ((*o)[len] == '\0' || (*o)[len] == '.'))
            return true;
    return false;
}

static bool s_has_section(const struct s_job_kind *kind, const char *key)
{
    for (const char *const *o = kind->sections; o && *o; o++)
        if (strcmp(*o, key) == 0)
            return true;
    return false;
}

void fv_config_job_clean_up(struct fv_config_job *job)
{
    if (!job)
        return;
    fv_props_clean_up(s_job_props, S_N(s_job_props), job);
    for (size_t k = 0; k < S_N(s_job_kinds); k++)
        fv_props_clean_up(s_job_kinds[k].props, s_job_kinds[k].n, job);
    fv_config_exports_job_clean_up(job);
}

fv_status fv_config_job_apply(const char *file, const char *where, struct json_object *obj,
                              struct fv_config_job *out, struct fv_error *err)
{
    struct fv_prop props[S_N(s_job_props) + S_N(s_dynamodb_job_props) +
                         S_N(s_quicksight_job_props) + FV_CONFIG_EXPORTS_JOB_NPROPS];
    const char *sep = *where ? "." : "";
    const struct s_job_kind *own = NULL;
    struct json_object *t = NULL;
    if (json_object_object_get_ex(obj, "type", &t) && json_object_is_type(t, json_type_string))
        for (size_t k = 0; k < S_N(s_job_kinds); k++)
            if (strcmp(json_object_get_string(t), s_job_kinds[k].type) == 0)
                own = &s_job_kinds[k];
    /* The common keys and the own type's; with no valid type, every key (so
     * the error is about the type, not about a key of some type). */
    size_t n = S_N(s_job_props);
    memcpy(props, s_job_props, sizeof(s_job_props));
    for (size_t k = 0; k < S_N(s_job_kinds); k++) {
        if (own && own != &s_job_kinds[k])
            continue;
        memcpy(&props[n], s_job_kinds[k].props, s_job_kinds[k].n * sizeof(*props));
        n += s_job_kinds[k].n;
    }
    if (own) {
        json_object_object_foreach(obj, key, val)
        {
            (void)val;
            if (s_declares(props, n, key))
                continue;
            if (s_has_section(own, key))
                continue;
            for (size_t k = 0; k < S_N(s_job_kinds); k++)
                if (&s_job_kinds[k] != own &&
                    (s_declares(s_job_kinds[k].props, s_job_kinds[k].n, key) ||
                     s_has_section(&s_job_kinds[k], key)))
                    return fv_error_set(err, FV_E_INVALID, "%s: %s%s%s: only for %s jobs", file,
                                        where, sep, key, s_job_kinds[k].type);
        }
    }
    fv_status st =
        fv_props_apply(file, where, props, n, obj, out, own ? own->sections : NULL, NULL, err);
    if (st != FV_OK)
        return st;
    if (!own) /* not reached: the table requires a type among s_job_types */
        return fv_error_set(err, FV_E_INVALID, "%s: %s%stype: unknown job type", file, where, sep);
    out->kind = own->kind;
    if (own->kind == FV_JOB_DYNAMODB_EXPORTS)
        return fv_config_exports_job_apply(file, where, obj, out, err);
    return FV_OK;
}

void fv_config_lower(char *s)
{
    for (; s && *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

fv_status fv_config_top_apply(const char *file, struct json_object *obj, struct fv_config *out,
                              struct fv_error *err)
{
    return fv_props_apply(file, "", s_props, S_N(s_props), obj, out, s_other_sections, "FV_", err);
}

fv_status fv_config_account_apply(const char *file, const char *where, struct json_object *obj,
                                  struct fv_config_account *out, struct fv_error *err)
{
    fv_status st = fv_props_apply(file, where, s_account_props, S_N(s_account_props), obj, out,
                                  NULL, NULL, err);
    if (st == FV_OK && !out->name)
        out->name = fv_strdup(out->id);
    return st;
}

void fv_config_clean_up(struct fv_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_accounts; i++)
        fv_props_clean_up(s_account_props, S_N(s_account_props), &c->accounts[i]);
    free(c->accounts);
    for (size_t i = 0; i < c->n_jobs; i++)
        fv_config_job_clean_up(&c->jobs[i]);
    free(c->jobs);
    for (size_t i = 0; c->kafka_properties && c->kafka_properties[i]; i++)
        fv_free_secret(c->kafka_properties[i]); /* sasl.password, ssl.key.password */
    free(c->kafka_properties);
    fv_props_clean_up(s_props, S_N(s_props), c);
    json_object_put(c->doc);
    free(c->path);
    memset(c, 0, sizeof(*c));
}

/* An external cluster is reached over TLS (SSL, SASL_SSL) unless the file
 * says kafka.allow_plaintext: librdkafka's default, with no
 * security.protocol, is PLAINTEXT. The embedded cluster never leaves the
 * process. */
static fv_status s_check_transport(const char *file, const struct fv_config *c,
                                   struct fv_error *err)
{
    if (strcmp(c->kafka_brokers, "embedded") == 0 || c->kafka_allow_plaintext)
        return FV_OK;
    const char *proto = NULL;
    for (size_t i = 0; i < c->n_kafka_properties; i++)
        if (strcmp(c->kafka_properties[2 * i], "security.protocol") == 0)
            proto = c->kafka_properties[2 * i + 1];
    if (!proto)
        return fv_error_set(err, FV_E_INVALID,
                            "%s: kafka.properties.security.protocol: not set, so the cluster "
                            "(kafka.brokers) would be reached in PLAINTEXT: set SSL or SASL_SSL "
                            "(docs/KAFKA.md), or kafka.allow_plaintext: true for a test cluster",
                            file);
    if (strcasecmp(proto, "PLAINTEXT") == 0 || strcasecmp(proto, "SASL_PLAINTEXT") == 0)
        return fv_error_set(err, FV_E_INVALID,
                            "%s: kafka.properties.security.protocol: %s sends tasks and results "
                            "in clear: use SSL or SASL_SSL (docs/KAFKA.md), or set "
                            "kafka.allow_plaintext: true for a test cluster",
                            file, proto);
    return FV_OK;
}

fv_status fv_config_from_doc(const char *name, struct json_object *doc, struct fv_config *out,
                             struct fv_error *err)
{
    if (fv_config_seed_detect(doc))
        return fv_config_seed_from_doc(name, doc, out, err);
    memset(out, 0, sizeof(*out));
    out->path = fv_strdup(name);
    out->doc = json_object_get(doc);
    fv_status st = fv_config_top_apply(name, doc, out, err);
    if (st != FV_OK)
        goto fail;
    fv_config_lower(out->log_level);
    if (!out->region) {
        const char *r = getenv("AWS_REGION");
        if (!r || !*r)
            r = getenv("AWS_DEFAULT_REGION");
        if (!r || !*r) {
            st = fv_error_set(err, FV_E_INVALID,
                              "%s: region: no region: set it here, or AWS_REGION", name);
            goto fail;
        }
        out->region = fv_strdup(r);
    }

    struct json_object *accounts = NULL;
    if (json_object_object_get_ex(doc, "accounts", &accounts) && accounts) {
        if (!json_object_is_type(accounts, json_type_array)) {
            st = fv_error_set(err, FV_E_INVALID, "%s: accounts: must be a list", name);
            goto fail;
        }
        size_t n = json_object_array_length(accounts);
        out->accounts = fv_calloc(n ? n : 1, sizeof(*out->accounts));
        for (size_t i = 0; i < n; i++) {
            char where[32];
            snprintf(where, sizeof(where), "accounts[%zu]", i);
            struct json_object *a = json_object_array_get_idx(accounts, i);
            if (!json_object_is_type(a, json_type_object)) {
                st = fv_error_set(err, FV_E_INVALID, "%s: %s: must be a mapping", name, where);
                goto fail;
            }
            out->n_accounts++;
            st = fv_config_account_apply(name, where, a, &out->accounts[i], err);
            if (st != FV_OK)
                goto fail;
            for (size_t k = 0; k < i; k++) {
                if (strcmp(out->accounts[k].id, out->accounts[i].id) == 0) {
                    st = fv_error_set(err, FV_E_INVALID, "%s: %s.id: account %s is listed twice",
                                      name, where, out->accounts[i].id);
                    goto fail;
                }
            }
        }
    }

    struct json_object *kprops = NULL;
    struct json_object *kafka = NULL;
    if (json_object_object_get_ex(doc, "kafka", &kafka) && kafka &&
        json_object_object_get_ex(kafka, "properties", &kprops) && kprops) {
        if (!json_object_is_type(kprops, json_type_object)) {
            st = fv_error_set(err, FV_E_INVALID,
                              "%s: kafka.properties: must be a mapping of librdkafka properties",
                              name);
            goto fail;
        }
        size_t n = (size_t)json_object_object_length(kprops);
        out->kafka_properties = fv_calloc(2 * n + 1, sizeof(char *));
        json_object_object_foreach(kprops, key, val)
        {
            if (json_object_is_type(val, json_type_object) ||
                json_object_is_type(val, json_type_array) || !val) {
                st = fv_error_set(err, FV_E_INVALID, "%s: kafka.properties.%s: must be a scalar",
                                  name, key);
                goto fail;
            }
            out->kafka_properties[2 * out->n_kafka_properties] = fv_strdup(key);
            out->kafka_properties[2 * out->n_kafka_properties + 1] =
                fv_strdup(json_object_get_string(val));
            out->n_kafka_properties++;
        }
    }

    st = s_check_transport(name, out, err);
    if (st != FV_OK)
        goto fail;

    struct json_object *jobs = NULL;
    if (json_object_object_get_ex(doc, "jobs", &jobs) && jobs) {
        if (!json_object_is_type(jobs, json_type_array)) {
            st = fv_error_set(err, FV_E_INVALID, "%s: jobs: must be a list", name);
            goto fail;
        }
        size_t n = json_object_array_length(jobs);
        out->jobs = fv_calloc(n ? n : 1, sizeof(*out->jobs));
        for (size_t i = 0; i < n; i++) {
            char where[32];
            snprintf(where, sizeof(where), "jobs[%zu]", i);
            struct json_object *j = json_object_array_get_idx(jobs, i);
            if (!json_object_is_type(j, json_type_object)) {
                st = fv_error_set(err, FV_E_INVALID, "%s: %s: must be a mapping", name, where);
                goto fail;
            }
            out->n_jobs++;
            struct fv_config_job *job = &out->jobs[i];
            st = fv_config_job_apply(name, where, j, job, err);
            if (st != FV_OK)
                goto fail;
            for (size_t k = 0; k < i; k++) {
                if (strcmp(out->jobs[k].name, job->name) == 0) {
                    st = fv_error_set(err, FV_E_INVALID, "%s: %s.name: job '%s' is defined twice",
                                      name, where, job->name);
                    goto fail;
                }
            }
            if (job->kind == FV_JOB_DYNAMODB_BACKUPS && !fv_name_backup_job_ok(job->name)) {
                st = fv_error_set(err, FV_E_INVALID,
                                  "%s: %s.name: a dynamodb_backups job's name is part of its "
                                  "backup names: 1-%d characters of A-Z a-z 0-9 _ . -, got '%s'",
                                  name, where, FV_NAME_BACKUP_JOB_MAX, job->name);
                goto fail;
            }
            for (size_t k = 0; k < job->n_table_tags; k++) {
                const char *eq = strchr(job->table_tags[k], '=');
                if (!eq || eq == job->table_tags[k]) {
                    st = fv_error_set(err, FV_E_INVALID,
                                      "%s: %s.tables.tags[%zu]: must be key=value, got '%s'", name,
                                      where, k, job->table_tags[k]);
                    goto fail;
                }
            }
            for (size_t k = 0; k < job->n_accounts; k++) {
                bool known = false;
                for (size_t a = 0; a < out->n_accounts; a++)
                    known = known || strcmp(out->accounts[a].id, job->accounts[k]) == 0;
                if (!known) {
                    st = fv_error_set(err, FV_E_INVALID,
                                      "%s: %s.accounts[%zu]: account %s is not in accounts", name,
                                      where, k, job->accounts[k]);
                    goto fail;
                }
            }
        }
    }

    /* Checks that need the whole file: a quicksight job's bundles go to its
     * own bucket or to central.bucket; so do a dynamodb_exports job's exports. */
    for (size_t i = 0; i < out->n_jobs; i++) {
        struct fv_config_job *job = &out->jobs[i];
        if (job->kind == FV_JOB_DYNAMODB_EXPORTS) {
            st = fv_config_exports_job_check(name, i, out, job, err);
            if (st != FV_OK)
                goto fail;
            continue;
        }
        if (job->kind != FV_JOB_QUICKSIGHT || job->bucket)
            continue;
        if (!out->central_bucket) {
            st = fv_error_set(err, FV_E_INVALID,
                              "%s: jobs[%zu].s3.bucket: a quicksight job needs a bucket for its "
                              "asset bundles: set it here or central.bucket",
                              name, i);
            goto fail;
        }
        job->bucket = fv_strdup(out->central_bucket);
    }
    return FV_OK;
fail:
    fv_config_clean_up(out);
    return st;
}

const struct fv_config_job *fv_config_job(const struct fv_config *c, const char *name)
{
    for (size_t i = 0; i < c->n_jobs; i++)
        if (strcmp(c->jobs[i].name, name) == 0)
            return &c->jobs[i];
    return NULL;
}

bool fv_config_job_covers(const struct fv_config_job *job, const char *account)
{
    if (job->n_accounts == 0)
        return true;
    for (size_t i = 0; i < job->n_accounts; i++)
        if (strcmp(job->accounts[i], account) == 0)
            return true;
    return false;
}

fv_status fv_config_load(const char *path, struct fv_config *out, struct fv_error *err)
{
    struct json_object *doc = NULL;
    memset(out, 0, sizeof(*out));
    fv_status st = fv_doc_load(path, &doc, err);
    if (st != FV_OK)
        return st;
    /* The QuickSight backup tool knew its files by their endings only. */
    const char *dot = strrchr(path, '.');
    if (fv_config_seed_detect(doc) &&
        !(dot && (strcasecmp(dot, ".yaml") == 0 || strcasecmp(dot, ".yml") == 0 ||
                  strcasecmp(dot, ".json") == 0))) {
        json_object_put(doc);
        return fv_error_set(err, FV_E_INVALID, "Configuration file must be YAML or JSON: %s", path);
    }
    st = fv_config_from_doc(path, doc, out, err);
    json_object_put(doc);
    return st;
}

void fv_config_write_docs(FILE *f)
{
    fprintf(f, "# fleetvault configuration reference\n\n"
               "Generated by `fleetvault config docs` from the property table in "
               "lib/config/config.c; do not edit by hand. YAML or JSON, one schema. "
               "Every scalar key can be overridden by an environment variable: `FV_` + the key "
               "uppercased with dots as underscores (e.g. `FV_AWS_MAX_ATTEMPTS`).\n\n"
               "## Top level\n\n");
    fv_props_write_docs(f, "", s_props, S_N(s_props));
    fprintf(f, "\n## accounts[]\n\nThe accounts to work in. Each entry:\n\n");
    fv_props_write_docs(f, "accounts[].", s_account_props, S_N(s_account_props));
    fprintf(f, "\n## kafka.properties\n\nA mapping passed straight to librdkafka (e.g. "
               "`security.protocol: SASL_SSL`, `sasl.mechanism: SCRAM-SHA-512`); see librdkafka's "
               "CONFIGURATION.md.\n");
    fprintf(f, "\n## jobs[]\n\nWhat to back up, and when. Every entry has these keys, and "
               "those of its `type` below; a key of another type is an error "
               "(`jobs[0].retention: only for dynamodb_backups jobs`).\n\n");
    fv_props_write_docs(f, "jobs[].", s_job_props, S_N(s_job_props));
    for (size_t k = 0; k < S_N(s_job_kinds); k++) {
        fprintf(f, "\n### type: %s\n\n", s_job_kinds[k].type);
        fv_props_write_docs(f, "jobs[].", s_job_kinds[k].props, s_job_kinds[k].n);
    }
    fv_config_exports_write_docs(f);
    fv_config_seed_write_docs(f);
}

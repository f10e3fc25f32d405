/* The task contract (fv/contract.h): one table of kinds and parameters, and
 * the checks it drives. */
#include <fv/contract.h>

#include <ctype.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_N(a) (sizeof(a) / sizeof((a)[0]))
/* Longest identity field or scalar parameter taken (a DynamoDB table name is
 * at most 255, an ARN 2048). */
#define S_MAX_FIELD 2048

/* ---- the table ---- */

static const char *const s_backup_steps[] = {"create", "wait", NULL};
static const struct fv_param_spec s_backup_params[] = {
    {.name = "backup_arn",
     .type = FV_PARAM_ARN,
     .required_in = "wait",
     .doc = "The backup being waited for (set by the create step)."},
    {.name = "created_ms",
     .type = FV_PARAM_INT,
     .max = INT64_MAX,
     .doc = "When the backup was first seen CREATING (Unix ms): the wait times out "
            "`jobs[].wait_timeout_s` after it."},
};

static const char *const s_retention_steps[] = {"expire", NULL};

static const char *const s_deny_steps[] = {"put", NULL};

static const char *const s_identity_steps[] = {"write", NULL};
static const char *const s_export_steps[] = {"start", "wait", NULL};
static const struct fv_param_spec s_export_params[] = {
    {.name = "arns",
     .type = FV_PARAM_ARN_ARRAY,
     .required_in = "*",
     .min = 1,
     .max = 100,
     .doc = "The assets of the bundle: QuickSight ARNs of the task's account (1-100)."},
    {.name = "slot",
     .type = FV_PARAM_INT,
     .required_in = "wait",
     .max = 99,
     .doc = "The export slot the task holds (set by start)."},
    {.name = "generation",
     .type = FV_PARAM_INT,
     .max = 1000,
     .doc = "How many times the bundle was exported again without deleted assets (part of the "
            "job id)."},
    {.name = "started_ms",
     .type = FV_PARAM_INT,
     .max = INT64_MAX,
     .doc = "When the export job was started (Unix ms): the wait times out "
            "`jobs[].wait_timeout_s` after it."},
    {.name = "skipped",
     .type = FV_PARAM_ARN_LIST,
     .max = 100,
     .doc = "Assets left out because they were deleted since enumeration, comma-separated."},
};

static const char *const s_import_steps[] = {"start", "wait", NULL};
static const struct fv_param_spec s_import_params[] = {
    {.name = "backup_run",
     .type = FV_PARAM_RUN_ID,
     .required_in = "*",
     .doc = "The backup run the bundle comes from (its id, a run of the task's job): with "
            "`source_account` it names the bundle's object (`fv_name_bundle_key`)."},
    {.name = "source_account",
     .type = FV_PARAM_ACCOUNT,
     .required_in = "*",
     .doc = "The account the bundle was backed up from (one the job covers); the import goes "
            "into the task's account."},
    {.name = "sha256",
     .type = FV_PARAM_SHA256,
     .required_in = "*",
     .doc = "The bundle's SHA-256 in the backup's manifest: a different object is not "
            "imported."},
    {.name = "size",
     .type = FV_PARAM_INT,
     .required_in = "*",
     .min = 1,
     .max = INT64_MAX,
     .doc = "The bundle's size in bytes in the backup's manifest."},
    {.name = "overrides",
     .type = FV_PARAM_JSON_OBJECT,
     .max = 65536,
     .doc = "The import's OverrideParameters (part of the job id)."},
    {.name = "slot",
     .type = FV_PARAM_INT,
     .required_in = "wait",
     .max = 99,
     .doc = "The import slot the task holds (set by start)."},
    {.name = "started_ms",
     .type = FV_PARAM_INT,
     .max = INT64_MAX,
     .doc = "When the import job was started (Unix ms): the wait times out "
            "`jobs[].wait_timeout_s` after it."},
};

static const char *const s_ddb_export_steps[] = {"start", "wait", NULL};
static const struct fv_param_spec s_ddb_export_params[] = {
    {.name = "export_time_ms",
     .type = FV_PARAM_INT,
     .min = 1,
     .max = INT64_MAX,
     .doc = "A FULL_EXPORT of the table as it was at this time (Unix ms): the chain's start. "
            "Either this or `from_ms` and `to_ms`."},
    {.name = "from_ms",
     .type = FV_PARAM_INT,
     .min = 1,
     .max = INT64_MAX,
     .doc = "An INCREMENTAL_EXPORT of the window [from_ms, to_ms) (Unix ms): from_ms is the "
            "chain's last window end; the window is 15 min to 24 h."},
    {.name = "to_ms", .type = FV_PARAM_INT, .min = 1, .max = INT64_MAX, .doc = "The window's end."},
    {.name = "chain_id",
     .type = FV_PARAM_ARN,
     .doc = "The full export the chain starts from (its ARN), as planned: a window of a chain "
            "reset since is not exported."},
    {.name = "blocks_behind",
     .type = FV_PARAM_INT,
     .max = 1000000,
     .doc = "incrementalBlocksBehind when planned: whole windows due after this one."},
    {.name = "export_arn",
     .type = FV_PARAM_ARN,
     .required_in = "wait",
     .doc = "The export being waited for (set by start)."},
};

static const struct fv_task_kind s_kinds[] = {
    {"dynamodb.backup", FV_JOB_DYNAMODB_BACKUPS, s_backup_steps, "table", s_backup_params,
     S_N(s_backup_params),
     "One on-demand backup of one table, named `<table>-<job>-<run stamp>`, recorded in the "
     "control table (`backup#<arn>`: job, account, region, table, run) before the task reports "
     "anything, waited until AVAILABLE. Idempotent through its claim in the control table."},
    {"dynamodb.retention", FV_JOB_DYNAMODB_BACKUPS, s_retention_steps, "fixed:retention", NULL, 0,
     "Per account and region after its backups: of each table the job has records of, deletes "
     "the AVAILABLE backups beyond the `jobs[].retention` newest that the job recorded creating "
     "(`jobs[].retention_scope: table`: any backup of the table), older than "
     "`jobs[].retention_min_age_s`, never the newest AVAILABLE one and never a CREATING one. "
     "No parameters: the tables come from the records, the rules from the job."},
    {"iam.deny_delete_backup", FV_JOB_DYNAMODB_BACKUPS, s_deny_steps, "principal", NULL, 0,
     "The inline policy DenydynamodbDeleteBackup on one IAM user or role of the task's account "
     "(the resource, its ARN). Refused for AWS-managed principals, fleetvault's own roles and "
     "`jobs[].exempt_principals`, and when the job has `deny_delete_policy: false`."},
    {"quicksight.users", FV_JOB_QUICKSIGHT, s_identity_steps, "fixed:users", NULL, 0,
     "The QuickSight users of the task's account (the job's namespace) into the run's dated "
     "users table (seed 000's schema). The task carries no identity: the worker pages "
     "ListUsers itself and writes each page of 100 before reading the next."},
    {"quicksight.groups", FV_JOB_QUICKSIGHT, s_identity_steps, "fixed:groups", NULL, 0,
     "The QuickSight groups of the task's account, and each group's members, into the run's "
     "dated groups and memberships tables; paged by the worker as `quicksight.users`."},
    {"quicksight.export", FV_JOB_QUICKSIGHT, s_export_steps, "bundle", s_export_params,
     S_N(s_export_params),
     "One asset bundle exported with StartAssetBundleExportJob and streamed into S3 at the "
     "bundle's key; at most `jobs[].max_export_jobs` per account at once (slots in the control "
     "table)."},
    {"quicksight.import", FV_JOB_QUICKSIGHT, s_import_steps, "bundle", s_import_params,
     S_N(s_import_params),
     "One backed-up asset bundle imported into the task's account with "
     "StartAssetBundleImportJob (job id `fv_name_restore_job`), after its size and SHA-256 "
     "were checked against the task; read from the job's bucket and key, never from the "
     "message. At most `jobs[].max_export_jobs` per account at once (slots in the control "
     "table)."},
    {"dynamodb.export", FV_JOB_DYNAMODB_EXPORTS, s_ddb_export_steps, "table", s_ddb_export_params,
     S_N(s_ddb_export_params),
     "One window of one table's continuous export to S3 (seed 003): ExportTableToPointInTime "
     "into the job's bucket (`S3BucketOwner` its owner) under the table's prefix "
     "(`fv_name_export_prefix`), with the job's format, view type and KMS key, and a ClientToken "
     "derived from job, account, region, table and window (`fv_name_export_token`), so a "
     "redelivered task starts no second export. Waited on with DescribeExport every "
     "`poll_interval_s` as delayed follow-ups. On COMPLETED the chain's state in the control "
     "table advances by a write conditional on its version (a chain another delivery advanced "
     "already is a success, not a second advance); on FAILED the state records the error (a "
     "PITR gap marks the chain PITR_GAP). Bucket, prefix, owner and key come from the job, "
     "never from the message."},
};

const struct fv_task_kind *fv_task_kinds(size_t *n)
{
    *n = S_N(s_kinds);
    return s_kinds;
}

const struct fv_task_kind *fv_task_kind_find(const char *name)
{
    for (size_t i = 0; name && i < S_N(s_kinds); i++)
        if (strcmp(s_kinds[i].kind, name) == 0)
            return &s_kinds[i];
    return NULL;
}

/* ---- checks ---- */

static fv_status s_fail(struct fv_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static fv_status s_fail(struct fv_error *err, const char *code, const char *fmt, ...)
{
    if (!err)
        return FV_E_INVALID;
    fv_error_clear(err);
    err->status = FV_E_INVALID;
    snprintf(err->code, sizeof(err->code), "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return FV_E_INVALID;
}

static bool s_printable(const char *s, size_t max)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
        if (*p < 0x20 || *p == 0x7f || n >= max)
            return false;
    return n > 0;
}

static bool s_account_id(const char *s)
{
    if (!s || strlen(s) != 12)
        return false;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return true;
}

static bool s_region(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 9 || n > 32 || !isdigit((unsigned char)s[n - 1]) || s[n - 2] != '-')
        return false;
    for (const char *p = s; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
            return false;
    return true;
}

/* DynamoDB table names: 3-255 of [A-Za-z0-9_.-]. */
static bool s_table_name(const char *s, size_t n)
{
    if (n < 3 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

/* arn:partition:service:region:account:resource, with account == the
 * task's (IAM ARNs have no region). */
static bool s_arn_of(const char *arn, size_t n, const char *account)
{
    if (n < 8 || n > S_MAX_FIELD || strncmp(arn, "arn:", 4) != 0)
        return false;
    const char *field[6];
    size_t k = 0;
    field[k++] = arn;
    for (size_t i = 0; i < n && k < 6; i++)
        if (arn[i] == ':')
            field[k++] = arn + i + 1;
    if (k < 6)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)arn[i] < 0x20 || arn[i] == ',')
            return false;
    return strncmp(field[4], account, 12) == 0 && field[4][12] == ':' && field[5] < arn + n;
}

bool fv_task_run_started(const char *run_id, const char *job, int64_t *started_s, char stamp[17])
{
    size_t nj = job ? strlen(job) : 0, nr = run_id ? strlen(run_id) : 0;
    if (!nj || nr != nj + 17 || strncmp(run_id, job, nj) != 0 || run_id[nj] != '-')
        return false;
    const char *s = run_id + nj + 1;
    for (int i = 0; i < 16; i++) {
        bool digit = isdigit((unsigned char)s[i]) != 0;
        if ((i == 8 && s[i] != 'T') || (i == 15 && s[i] != 'Z') || (i != 8 && i != 15 && !digit))
            return false;
    }
    struct tm tm = {0};
    int v[6];
    const int off[6] = {0, 4, 6, 9, 11, 13}, len[6] = {4, 2, 2, 2, 2, 2};
    for (int i = 0; i < 6; i++) {
        v[i] = 0;
        for (int k = 0; k < len[i]; k++)
            v[i] = v[i] * 10 + (s[off[i] + k] - '0');
    }
    if (v[0] < 2000 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 ||
        v[5] > 60)
        return false;
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];
    if (started_s)
        *started_s = (int64_t)timegm(&tm);
    if (stamp) {
        memcpy(stamp, s, 16);
        stamp[16] = '\0';
    }
    return true;
}

static bool s_has_step(const struct fv_task_kind *k, const char *step)
{
    for (const char *const *s = k->steps; *s; s++)
        if (strcmp(*s, step) == 0)
            return true;
    return false;
}

/* The bundle resource: "<type>" or "<type>_bundle_<N>". */
static bool s_bundle_name(const char *r)
{
    static const char *const types[] = {"datasources", "datasets", "analyses", "dashboards"};
    for (size_t i = 0; i < S_N(types); i++) {
        size_t n = strlen(types[i]);
        if (strncmp(r, types[i], n) != 0)
            continue;
        if (r[n] == '\0')
            return true;
        if (strncmp(r + n, "_bundle_", 8) != 0)
            return false;
        int64_t b;
        return fv_parse_i64(r + n + 8, &b) && b >= 1 && b <= 100000 && r[n + 8] != '0';
    }
    return false;
}

/* arn:aws:iam::<account>:user|role/[path/]name */
static bool s_principal_arn(const char *r, const char *account)
{
    if (!s_arn_of(r, strlen(r), account))
        return false;
    char *service = fv_arn_part(r, 2), *rest = fv_arn_part(r, 5);
    bool ok = service && rest && strcmp(service, "iam") == 0 &&
              (fv_str_starts_with(rest, "user/") || fv_str_starts_with(rest, "role/")) &&
              rest[strlen(rest) - 1] != '/';
    free(service);
    free(rest);
    return ok;
}

static fv_status s_check_resource(const struct fv_task_kind *k, const struct fv_task *t,
                                  struct fv_error *err)
{
    const char *r = t->resource;
    bool ok;
    if (fv_str_starts_with(k->resource, "fixed:"))
        ok = strcmp(r, k->resource + 6) == 0;
    else if (strcmp(k->resource, "table") == 0)
        ok = s_table_name(r, strlen(r));
    else if (strcmp(k->resource, "principal") == 0)
        ok = s_principal_arn(r, t->account);
    else
        ok = strcmp(k->resource, "bundle") == 0 && s_bundle_name(r);
    if (!ok)
        return s_fail(err, "TaskInvalid", "resource '%.200s' is not a %s of a %s task", r,
                      k->resource, k->kind);
    return FV_OK;
}

/* One JSON parse, bounded: the value must be an array of at most max. */
static struct json_object *s_json_array(const char *v, int64_t max)
{
    struct json_tokener *tok = json_tokener_new_ex(8);
    struct json_object *o = json_tokener_parse_ex(tok, v, (int)strlen(v));
    bool whole = json_tokener_get_error(tok) == json_tokener_success &&
                 json_tokener_get_parse_end(tok) == strlen(v);
    json_tokener_free(tok);
    if (!o || !whole || !json_object_is_type(o, json_type_array) ||
        (max && json_object_array_length(o) > (size_t)max)) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static bool s_check_arn_array(const char *v, const struct fv_param_spec *p, const char *account)
{
    struct json_object *a = s_json_array(v, p->max);
    bool ok = a && json_object_array_length(a) >= (size_t)p->min;
    for (size_t i = 0; ok && i < json_object_array_length(a); i++) {
        struct json_object *s = json_object_array_get_idx(a, i);
        ok = json_object_is_type(s, json_type_string) &&
             s_arn_of(json_object_get_string(s), (size_t)json_object_get_string_len(s), account);
    }
    json_object_put(a);
    return ok;
}

/* Comma-separated items, each passing check (ARNs of account, or table names). */
static bool s_check_list(const char *v, int64_t max, bool arns, const char *account)
{
    size_t count = 0;
    if (!*v)
        return true;
    for (const char *p = v;; count++) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (arns ? !s_arn_of(p, n, account) : !s_table_name(p, n))
            return false;
        if (max && count >= (size_t)max)
            return false;
        if (!comma)
            return true;
        p = comma + 1;
    }
}

static bool s_sha256(const char *v)
{
    if (strlen(v) != 64)
        return false;
    for (const char *p = v; *p; p++)
        if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
            return false;
    return true;
}

/* One JSON object, parsed in full, of at most max bytes. */
static bool s_json_object(const char *v, int64_t max)
{
    size_t n = strlen(v);
    if (max && n > (size_t)max)
        return false;
    struct json_tokener *tok = json_tokener_new_ex(32);
    struct json_object *o = json_tokener_parse_ex(tok, v, (int)n);
    bool ok = o && json_tokener_get_error(tok) == json_tokener_success &&
              json_tokener_get_parse_end(tok) == n && json_object_is_type(o, json_type_object);
    json_tokener_free(tok);
    json_object_put(o);
    return ok;
}

static fv_status s_check_param(const struct fv_task *t, const struct fv_param_spec *p,
                               const char *v, struct fv_error *err)
{
    bool ok;
    int64_t n;
    switch (p->type) {
    case FV_PARAM_INT: ok = fv_parse_i64(v, &n) && n >= p->min && n <= p->max; break;
    case FV_PARAM_ARN: ok = s_arn_of(v, strlen(v), t->account); break;
    case FV_PARAM_NAMES: ok = s_check_list(v, p->max, false, NULL); break;
    case FV_PARAM_ARN_LIST: ok = s_check_list(v, p->max, true, t->account); break;
    case FV_PARAM_ARN_ARRAY: ok = s_check_arn_array(v, p, t->account); break;
    case FV_PARAM_RUN_ID: ok = fv_task_run_started(v, t->job, NULL, NULL); break;
    case FV_PARAM_ACCOUNT: ok = s_account_id(v); break;
    case FV_PARAM_SHA256: ok = s_sha256(v); break;
    default: ok = s_json_object(v, p->max); break;
    }
    if (!ok) {
        static const char *const what[] = {"an integer in range",
                                           "an ARN of the task's account",
                                           "a comma-separated list of table names",
                                           "a comma-separated list of the account's ARNs",
                                           "a JSON array of the account's ARNs",
                                           "a JSON array of flat objects",
                                           "a run id of the task's job",
                                           "a 12-digit account id",
                                           "a SHA-256 (64 lowercase hex digits)",
                                           "a JSON object within its size"};
        return s_fail(err, "TaskInvalid", "%s task %s: parameter '%s' is not %s", t->kind,
                      t->task_id, p->name, what[p->type]);
    }
    return FV_OK;
}

/* dynamodb.export: a full export (export_time_ms) or one window [from_ms,
 * to_ms) of 15 min to 24 h, never both. */
static fv_status s_check_export_window(const struct fv_task *t, struct fv_error *err)
{
    bool full = fv_task_param(t, "export_time_ms") != NULL;
    bool from = fv_task_param(t, "from_ms") != NULL, to = fv_task_param(t, "to_ms") != NULL;
    int64_t len = fv_task_param_i64(t, "to_ms", 0) - fv_task_param_i64(t, "from_ms", 0);
    if (full ? (from || to) : !(from && to))
        return s_fail(err, "TaskInvalid",
                      "%s task %s: needs either export_time_ms or both from_ms and to_ms", t->kind,
                      t->task_id);
    if (!full && (len < 15 * 60000 || len > 24 * 3600000))
        return s_fail(err, "TaskInvalid",
                      "%s task %s: window [from_ms, to_ms) must be 15 min to 24 h, got %lld ms",
                      t->kind, t->task_id, (long long)len);
    return FV_OK;
}

fv_status fv_task_validate(const struct fv_task *t, struct fv_error *err)
{
    const struct fv_task_kind *k = fv_task_kind_find(t->kind);
    if (!k)
        return s_fail(err, "TaskInvalid", "unknown task kind '%.100s'", t->kind ? t->kind : "");
    const struct {
        const char *name, *value;
    } ids[] = {{"task_id", t->task_id}, {"run_id", t->run_id}, {"job", t->job},
               {"account", t->account}, {"region", t->region}, {"resource", t->resource},
               {"step", t->step}};
    for (size_t i = 0; i < S_N(ids); i++)
        if (!ids[i].value || !s_printable(ids[i].value, S_MAX_FIELD))
            return s_fail(err, "TaskInvalid", "%s task %s: field '%s' is missing or not text",
                          k->kind, t->task_id ? t->task_id : "?", ids[i].name);
    if (!s_account_id(t->account))
        return s_fail(err, "TaskInvalid", "%s task %s: account '%.40s' is not a 12-digit id",
                      k->kind, t->task_id, t->account);
    if (!s_region(t->region))
        return s_fail(err, "TaskInvalid", "%s task %s: region '%.40s' is not an AWS region",
                      k->kind, t->task_id, t->region);
    if (!fv_task_run_started(t->run_id, t->job, NULL, NULL))
        return s_fail(err, "TaskInvalid",
                      "%s task %s: run_id '%.100s' is not '<job>-<YYYYMMDDTHHMMSSZ>' of job "
                      "'%.100s'",
                      k->kind, t->task_id, t->run_id, t->job);
    if (!s_has_step(k, t->step))
        return s_fail(err, "TaskInvalid", "%s task %s: unknown step '%.40s'", k->kind, t->task_id,
                      t->step);
    fv_status st = s_check_resource(k, t, err);
    if (st != FV_OK)
        return st;
    for (size_t i = 0; i < k->n_params; i++) {
        const struct fv_param_spec *p = &k->params[i];
        const char *v = fv_task_param(t, p->name);
        if (!v) {
            if (p->required_in &&
                (strcmp(p->required_in, "*") == 0 || strcmp(p->required_in, t->step) == 0))
                return s_fail(err, "TaskInvalid", "%s task %s: step %s needs parameter '%s'",
                              k->kind, t->task_id, t->step, p->name);
            continue;
        }
        if ((st = s_check_param(t, p, v, err)) != FV_OK)
            return st;
    }
    if (strcmp(k->kind, "dynamodb.export") == 0)
        return s_check_export_window(t, err);
    return FV_OK;
}

fv_status fv_task_authorize(const struct fv_config *cfg, const struct fv_task *t,
                            struct fv_task_scope *out, struct fv_error *err)
{
    const struct fv_task_kind *k = fv_task_kind_find(t->kind);
    memset(out, 0, sizeof(*out));
    const struct fv_config_job *job = fv_config_job(cfg, t->job);
    if (!job)
        return s_fail(err, "TaskNotAuthorized", "%s task %s: job '%.100s' is not configured here",
                      t->kind, t->task_id, t->job);
    if (!k || job->kind != k->job_type)
        return s_fail(err, "TaskNotAuthorized", "%s task %s: job '%s' is a %s job", t->kind,
                      t->task_id, job->name, job->type);
    const struct fv_config_account *acct = NULL;
    for (size_t i = 0; i < cfg->n_accounts && !acct; i++)
        if (strcmp(cfg->accounts[i].id, t->account) == 0)
            acct = &cfg->accounts[i];
    if (!acct || !fv_config_job_covers(job, t->account))
        return s_fail(err, "TaskNotAuthorized",
                      "%s task %s: account %s is not one job '%s' covers in this configuration",
                      t->kind, t->task_id, t->account, job->name);
    bool region_ok = acct->n_regions == 0 && strcmp(t->region, cfg->region) == 0;
    for (size_t i = 0; i < acct->n_regions; i++)
        region_ok = region_ok || strcmp(acct->regions[i], t->region) == 0;
    if (k->job_type == FV_JOB_QUICKSIGHT && job->identity_region &&
        strcmp(job->identity_region, t->region) == 0)
        region_ok = true;
    if (!region_ok)
        return s_fail(err, "TaskNotAuthorized",
                      "%s task %s: region %s is not one of account %s's regions", t->kind,
                      t->task_id, t->region, t->account);
    if (strcmp(t->kind, "iam.deny_delete_backup") == 0 && !job->deny_delete_policy)
        return s_fail(err, "TaskNotAuthorized",
                      "%s task %s: job '%s' does not put the deny policy (deny_delete_policy: "
                      "false)",
                      t->kind, t->task_id, job->name);
    for (size_t i = 0; k && i < k->n_params; i++) {
        const char *v =
            k->params[i].type == FV_PARAM_ACCOUNT ? fv_task_param(t, k->params[i].name) : NULL;
        bool configured = false;
        for (size_t a = 0; v && a < cfg->n_accounts; a++)
            configured = configured || strcmp(cfg->accounts[a].id, v) == 0;
        if (v && (!configured || !fv_config_job_covers(job, v)))
            return s_fail(err, "TaskNotAuthorized",
                          "%s task %s: %s %s is not an account job '%s' covers in this "
                          "configuration",
                          t->kind, t->task_id, k->params[i].name, v, job->name);
    }
    out->job = job;
    out->account = acct;
    fv_task_run_started(t->run_id, t->job, &out->run_started_s, out->stamp);
    return FV_OK;
}

int64_t fv_task_param_i64(const struct fv_task *t, const char *key, int64_t def)
{
    return fv_i64_or(fv_task_param(t, key), def);
}

/* ---- docs ---- */

void fv_task_write_docs(FILE *f)
{
    static const char *const type_doc[] = {"integer",
                                           "ARN (task's account)",
                                           "table names, comma-separated",
                                           "ARNs (task's account), comma-separated",
                                           "JSON array of ARNs (task's account)",
                                           "run id (task's job)",
                                           "account id (one the job covers)",
                                           "SHA-256, lowercase hex",
                                           "JSON object"};
    static const char *const job_doc[] = {"dynamodb_backups", "quicksight", "dynamodb_exports"};
    fputs("# Task kinds\n\n"
          "Generated from the task contract (lib/task/contract.c) by `fleetvault task docs`; "
          "do not edit. The contract itself — the envelope, signing, who may write which "
          "topic, naming rules — is described in [CONTRACT.md](CONTRACT.md).\n\n",
          f);
    for (size_t i = 0; i < S_N(s_kinds); i++) {
        const struct fv_task_kind *k = &s_kinds[i];
        fprintf(f, "## `%s`\n\n%s\n\n- job type: `%s`\n- steps: ", k->kind, k->doc,
                job_doc[k->job_type]);
        for (const char *const *s = k->steps; *s; s++)
            fprintf(f, "%s`%s`", s == k->steps ? "" : " → ", *s);
        if (fv_str_starts_with(k->resource, "fixed:"))
            fprintf(f, "\n- resource: always `%s`\n", k->resource + 6);
        else
            fprintf(f, "\n- resource: the %s\n", k->resource);
        if (!k->n_params) {
            fputs("- parameters: none\n\n", f);
            continue;
        }
        fputs("\n| parameter | type | required in | meaning |\n|---|---|---|---|\n", f);
        for (size_t p = 0; p < k->n_params; p++) {
            const struct fv_param_spec *s = &k->params[p];
            const char *req = !s->required_in                    ? "optional"
                              : strcmp(s->required_in, "*") == 0 ? "every step"
                                                                 : s->required_in;
            fprintf(f, "| `%s` | %s", s->name, type_doc[s->type]);
            if (s->type == FV_PARAM_INT && s->max != INT64_MAX)
                fprintf(f, " %lld-%lld", (long long)s->min, (long long)s->max);
            else if (s->max && s->type == FV_PARAM_JSON_OBJECT)
                fprintf(f, ", at most %lld bytes", (long long)s->max);
            else if (s->max && s->type != FV_PARAM_INT)
                fprintf(f, ", at most %lld", (long long)s->max);
            fprintf(f, " | %s | %s |\n", req, s->doc);
        }
        fputs("\n", f);
    }
}

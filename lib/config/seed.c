/* The configuration file of the QuickSight backup tool fleetvault replaces
 * (seed 000), read unchanged: its own small property table over its keys
 * fills the fleet structs, giving a fleet of one account (aws.account_id,
 * where the base credentials act; also the central account) with one job
 * named "quicksight". Everything it does not name takes the fleet defaults,
 * so Kafka is embedded. */
#include "config_internal.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The seed's keys land in these two; the job then moves into cfg.jobs. */
struct s_seed {
    struct fv_config cfg;
    struct fv_config_job job;
};

#define S_CFG(f) (offsetof(struct s_seed, cfg) + offsetof(struct fv_config, f))
#define S_JOB(f) (offsetof(struct s_seed, job) + offsetof(struct fv_config_job, f))
#define S_N(a) (sizeof(a) / sizeof((a)[0]))

/* The seed writes DEBUG, INFO, WARNING, ERROR; the fleet's names are
 * accepted too. Stored lower-case. */
static const char *const s_log_levels[] = {"DEBUG", "INFO",  "WARNING", "ERROR",   "WARN",
                                           "TRACE", "debug", "info",    "warning", "warn",
                                           "error", "trace", NULL};

static const struct fv_prop s_seed_props[] = {
    {"aws.region", FV_PROP_STRING, S_CFG(region), 0, NULL, true, 0, 0, "region", NULL,
     "Region of the assets (data sources, data sets, analyses, dashboards). → `region`."},
    {"aws.identity_region", FV_PROP_STRING, S_JOB(identity_region), 0, NULL, false, 0, 0, "region",
     NULL, "Region of the users and groups; `aws.region` otherwise. → `jobs[].identity_region`."},
    {"aws.account_id", FV_PROP_STRING, S_CFG(central_account), 0, NULL, true, 0, 0, "account-id",
     NULL,
     "The account to back up; the base credentials act in it. → `accounts[0].id` (no role) and "
     "`central.account`."},
    {"dynamodb.users_table_name", FV_PROP_STRING, S_JOB(users_table_name), 0, FV_QS_DEF_USERS_TABLE,
     false, 0, 0, NULL, NULL, "Base name of the users table. → `jobs[].identity_tables.users`."},
    {"dynamodb.groups_table_name", FV_PROP_STRING, S_JOB(groups_table_name), 0,
     FV_QS_DEF_GROUPS_TABLE, false, 0, 0, NULL, NULL,
     "Base name of the groups table. → `jobs[].identity_tables.groups`."},
    {"dynamodb.users_group_table_name", FV_PROP_STRING, S_JOB(users_group_table_name), 0,
     FV_QS_DEF_MEMBERSHIPS_TABLE, false, 0, 0, NULL, NULL,
     "Base name of the user-group memberships table. → `jobs[].identity_tables.memberships`."},
    {"s3.bucket_name", FV_PROP_STRING, S_JOB(bucket), 0, NULL, true, 0, 0, NULL, NULL,
     "Bucket for the asset bundles. → `jobs[].s3.bucket`."},
    {"s3.prefix_format", FV_PROP_STRING, S_JOB(prefix_format), 0, FV_QS_DEF_PREFIX_FORMAT, false, 0,
     0, NULL, fv_config_prefix_formats, "→ `jobs[].s3.prefix_format`."},
    {"s3.prefix", FV_PROP_STRING, S_JOB(prefix), 0, FV_QS_DEF_PREFIX, false, 0, 0, NULL, NULL,
     "→ `jobs[].s3.prefix`."},
    {"backup.include_dependencies", FV_PROP_BOOL, S_JOB(include_dependencies), 0, "true", false, 0,
     0, NULL, NULL, "→ `jobs[].include_dependencies`."},
    {"backup.include_permissions", FV_PROP_BOOL, S_JOB(include_permissions), 0, "true", false, 0, 0,
     NULL, NULL, "→ `jobs[].include_permissions`."},
    {"backup.include_tags", FV_PROP_BOOL, S_JOB(include_tags), 0, "true", false, 0, 0, NULL, NULL,
     "→ `jobs[].include_tags`."},
    {"backup.export_format", FV_PROP_STRING, S_JOB(export_format), 0, FV_QS_DEF_EXPORT_FORMAT,
     false, 0, 0, NULL, fv_config_export_formats, "→ `jobs[].export_format`."},
    {"backup.max_assets_per_bundle", FV_PROP_INT, S_JOB(max_assets_per_bundle), 0,
     FV_QS_DEF_MAX_ASSETS, false, 1, FV_QS_MAX_ASSETS, NULL, NULL,
     "→ `jobs[].max_assets_per_bundle`."},
    {"logging.level", FV_PROP_STRING, S_CFG(log_level), 0, "INFO", false, 0, 0, NULL, s_log_levels,
     "→ `logging.level` (lower-cased)."},
    {"logging.file_path", FV_PROP_STRING, S_CFG(log_file), 0, NULL, false, 0, 0, NULL, NULL,
     "→ `logging.file`."},
};

bool fv_config_seed_detect(struct json_object *doc)
{
    bool seed_only = false;
    json_object_object_foreach(doc, key, val)
    {
        (void)val;
        bool fleet = fv_config_fleet_knows(key);
        bool seed = false;
        size_t len = strlen(key);
        for (size_t i = 0; i < S_N(s_seed_props); i++)
            seed = seed ||
                   (strncmp(s_seed_props[i].key, key, len) == 0 && s_seed_props[i].key[len] == '.');
        if (fleet && !seed)
            return false;                          /* region, accounts, jobs, central, kafka, ... */
        seed_only = seed_only || (seed && !fleet); /* dynamodb, s3, backup */
    }
    /* In the sections both have (aws, logging), a key only the seed has. */
    for (size_t i = 0; i < S_N(s_seed_props) && !seed_only; i++)
        seed_only = fv_props_lookup(doc, s_seed_props[i].key) &&
                    !fv_config_fleet_knows(s_seed_props[i].key);
    return seed_only;
}

fv_status fv_config_seed_from_doc(const char *name, struct json_object *doc, struct fv_config *out,
                                  struct fv_error *err)
{
    struct s_seed s;
    memset(&s, 0, sizeof(s));
    memset(out, 0, sizeof(*out));
    s.cfg.path = fv_strdup(name);
    s.cfg.doc = json_object_get(doc);
    struct json_object *empty = json_object_new_object();
    struct json_object *job = json_object_new_object();
    struct json_object *account = json_object_new_object();
    json_object_object_add(job, "name", json_object_new_string("quicksight"));
    json_object_object_add(job, "type", json_object_new_string("quicksight"));

    /* The fleet's defaults (and FV_* overrides), the job's, then the file. */
    fv_status st = fv_config_top_apply(name, empty, &s.cfg, err);
    if (st != FV_OK)
        goto out;
    st = fv_config_job_apply(name, "jobs[0]", job, &s.job, err);
    if (st != FV_OK)
        goto out;
    st = fv_props_apply(name, "", s_seed_props, S_N(s_seed_props), doc, &s, NULL, "FV_", err);
    if (st != FV_OK)
        goto out;
    fv_config_lower(s.cfg.log_level);

    json_object_object_add(account, "id", json_object_new_string(s.cfg.central_account));
    s.cfg.accounts = fv_calloc(1, sizeof(*s.cfg.accounts));
    s.cfg.n_accounts = 1;
    st = fv_config_account_apply(name, "aws", account, &s.cfg.accounts[0], err);
    if (st != FV_OK)
        goto out;
    s.cfg.jobs = fv_calloc(1, sizeof(*s.cfg.jobs));
    s.cfg.jobs[0] = s.job;
    s.cfg.n_jobs = 1;
    memset(&s.job, 0, sizeof(s.job));
out:
    json_object_put(empty);
    json_object_put(job);
    json_object_put(account);
    fv_config_job_clean_up(&s.job);
    if (st != FV_OK) {
        fv_config_clean_up(&s.cfg);
        return st;
    }
    *out = s.cfg;
    return FV_OK;
}

void fv_config_seed_write_docs(FILE *f)
{
    fprintf(f,
            "\n## The QuickSight backup tool's file\n\n"
            "The configuration file of the QuickSight backup tool fleetvault replaces works "
            "unchanged, YAML or JSON (by its ending: `.yaml`, `.yml` or `.json`). A file is read "
            "so when it has none of the fleet's own top-level keys (`region`, `accounts`, "
            "`jobs`, `central`, ...) and at least one key only that tool has (`dynamodb`, `s3`, "
            "`backup`, `aws.region`, `aws.account_id`, `aws.identity_region`, "
            "`logging.file_path`). It becomes a fleet of one account, `aws.account_id`, where "
            "the base credentials act (no role; it is also `central.account`), with one job "
            "named `quicksight` of type `quicksight`; everything else takes its default above "
            "(Kafka `embedded`). Unknown keys are errors. Environment overrides follow these "
            "keys (e.g. `FV_BACKUP_MAX_ASSETS_PER_BUNDLE`).\n\n");
    fv_props_write_docs(f, "", s_seed_props, S_N(s_seed_props));
}

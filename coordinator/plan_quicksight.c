/* Planning a quicksight run (seed 000): per account, a users task and a
 * groups task (with their memberships) into dated DynamoDB tables, and asset
 * bundles (data sources, data sets but FILE ones, analyses, dashboards) of at
 * most max_assets_per_bundle, each exported to S3. */
#include "run.h"

#include <fv/dynamodb.h>
#include <fv/log.h>
#include <fv/naming.h>
#include <fv/quicksight.h>
#include <fv/s3.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *s_region(const struct fv_config *cfg, const struct fv_config_account *a)
{
    return a->n_regions ? a->regions[0] : cfg->region;
}

static void s_add_task(struct fv_run *r, struct fv_task *tmp)
{
    fv_run_add(r, tmp);
    fv_task_clean_up(tmp);
}

/* One users and one groups task per account: they name the account and
 * region only. The worker lists the identities itself (the namespace,
 * tables and timestamp come from the job, fv_name_identity), so no user's
 * name or e-mail address travels through Kafka or the DLQ. */
static void s_plan_identities(struct fv_run *r, const struct fv_config_account *acct,
                              const char *id_region)
{
    static const char *const kinds[2][2] = {{"quicksight.users", "users"},
                                            {"quicksight.groups", "groups"}};
    for (int k = 0; k < 2; k++) {
        struct fv_task t = {.kind = (char *)kinds[k][0],
                            .account = acct->id,
                            .region = (char *)id_region,
                            .resource = (char *)kinds[k][1],
                            .step = "write"};
        struct fv_task tmp;
        fv_task_copy(&tmp, &t);
        s_add_task(r, &tmp);
    }
}

static const char *const s_types[] = {"datasources", "datasets", "analyses", "dashboards"};

static fv_status s_list_type(struct fv_aws_client *c, const char *account, int type,
                             struct fv_quicksight_assets *out, struct fv_error *err)
{
    switch (type) {
    case 0: return fv_quicksight_list_data_sources(c, account, NULL, out, err);
    case 1: return fv_quicksight_list_data_sets(c, account, NULL, out, err);
    case 2: return fv_quicksight_list_analyses(c, account, NULL, out, err);
    default: return fv_quicksight_list_dashboards(c, account, NULL, out, err);
    }
}

/* A bundle task carries its assets; the bucket, key, export options and
 * slots the worker derives from the job (fv_name_bundle_key). */
static fv_status s_plan_assets(struct fv_run *r, struct fv_fleet_clients *clients,
                               const struct fv_config_account *acct, const char *region,
                               struct fv_error *err)
{
    const struct fv_config_job *job = r->job;
    struct fv_aws_client *qs = fv_fleet_client(clients, acct->id, region, err);
    if (!qs)
        return err->status;
    for (int type = 0; type < 4; type++) {
        struct fv_quicksight_assets assets = {0};
        fv_status st = s_list_type(qs, acct->id, type, &assets, err);
        if (st != FV_OK) {
            fv_quicksight_assets_clean_up(&assets);
            return st;
        }
        /* FILE data sets cannot be exported (as the seed does, they are left out). */
        size_t n = 0;
        for (size_t i = 0; i < assets.n; i++)
            if (!assets.items[i].is_file)
                assets.items[n++] = assets.items[i];
            else {
                FV_LOG(FV_LOG_INFO, "coordinator",
                       "run %s: %s: data set %s is a FILE data set: "
                       "not exportable, left out",
                       r->run_id, acct->id, assets.items[i].id);
                fv_quicksight_asset_clean_up(&assets.items[i]);
            }
        size_t per = (size_t)job->max_assets_per_bundle;
        size_t bundles = (n + per - 1) / per;
        for (size_t b = 0; b < bundles; b++) {
            struct json_object *arns = json_object_new_array();
            for (size_t k = b * per; k < n && k < (b + 1) * per; k++)
                json_object_array_add(arns, json_object_new_string(assets.items[k].arn));
            char res[64];
            if (bundles == 1)
                snprintf(res, sizeof(res), "%s", s_types[type]);
            else
                snprintf(res, sizeof(res), "%s_bundle_%zu", s_types[type], b + 1);
            struct fv_task t = {.kind = "quicksight.export",
                                .account = acct->id,
                                .region = (char *)region,
                                .resource = res,
                                .step = "start"};
            struct fv_task tmp;
            fv_task_copy(&tmp, &t);
            fv_task_set_param(&tmp, "arns", json_object_to_json_string_ext(arns, 0));
            s_add_task(r, &tmp);
            json_object_put(arns);
        }
        assets.n = n;
        fv_quicksight_assets_clean_up(&assets);
    }
    return FV_OK;
}

static const char *s_id_region(const struct fv_config_job *job, const char *region)
{
    return job->identity_region ? job->identity_region : region;
}

/* What a quicksight run covers and where its identity tables live. */
struct s_scope {
    bool identities, assets;
    const char *central; /* the identity tables' account when "central" */
};

static fv_status s_scope(struct fv_fleet *fleet, const struct fv_config_job *job, const char *mode,
                         struct s_scope *sc, struct fv_error *err)
{
    sc->identities = strcmp(mode, "assets-only") != 0;
    sc->assets = strcmp(mode, "users-only") != 0;
    sc->central = NULL;
    if (sc->identities && strcmp(job->identity_tables_account, "central") == 0) {
        sc->central = fv_fleet_central_account(fleet, err);
        if (!sc->central)
            return err->status;
    }
    return FV_OK;
}

static void s_fail_target(const struct fv_run *r, struct fv_run_target *t, const char *msg)
{
    t->error = fv_strdup(msg);
    FV_LOG(FV_LOG_WARN, "coordinator", "run %s: enumerating %s: %s", r->run_id, t->account, msg);
}

/* The identity tables exist and are ACTIVE (a dry run: DynamoDB answers). */
static fv_status s_prepare_tables(struct fv_fleet_clients *clients,
                                  const struct fv_name_identity *tb, bool dry_run,
                                  struct fv_error *err)
{
    struct fv_aws_client *ddb = fv_fleet_client(clients, tb->account, tb->region, err);
    if (!ddb)
        return err->status;
    fv_status st;
    if (dry_run) {
        /* Writes nothing: DynamoDB reachable and readable is what can be checked. */
        struct fv_dynamodb_table_names names = {0};
        st = fv_dynamodb_list_tables(ddb, &names, err);
        fv_dynamodb_table_names_clean_up(&names);
        return st;
    }
    if ((st = fv_dynamodb_ensure_table(ddb, tb->users, "user_name", 300, err)) != FV_OK ||
        (st = fv_dynamodb_ensure_table(ddb, tb->groups, "group_name", 300, err)) != FV_OK)
        return st;
    return fv_dynamodb_ensure_table(ddb, tb->memberships, "membership_id", 300, err);
}

/* The bundles' bucket: reachable and listable by the central principal. */
static void s_check_bucket(struct fv_fleet *fleet, struct fv_run *r,
                           struct fv_fleet_clients *clients, struct fv_error *err)
{
    const struct fv_config *cfg = fv_fleet_config(fleet);
    const struct fv_config_job *job = r->job;
    const char *bucket = fv_name_bundle_bucket(cfg, job);
    const char *c_id = fv_fleet_central_account(fleet, err);
    struct fv_aws_client *cc = c_id ? fv_fleet_client(clients, c_id, cfg->region, err) : NULL;
    struct fv_s3_list q = {.max_keys = 1};
    struct fv_s3_objects objs = {0};
    if (!cc || fv_s3_list_objects_page(cc, bucket, &q, NULL, &objs, err) != FV_OK) {
        r->targets = fv_realloc(r->targets, (r->n_targets + 1) * sizeof(*r->targets));
        struct fv_run_target *t = &r->targets[r->n_targets++];
        memset(t, 0, sizeof(*t));
        t->account = fv_strdup(c_id ? c_id : "central");
        t->account_name = fv_strdup("bucket");
        t->region = fv_strdup(cfg->region);
        struct fv_buf msg = {0};
        fv_buf_printf(&msg, "bundle bucket %s: %s", bucket, err->message);
        t->error = fv_buf_detach(&msg);
    }
    fv_s3_objects_clean_up(&objs);
}

fv_status fv_prepare_quicksight(struct fv_fleet *fleet, struct fv_run *r, const char *mode,
                                bool dry_run, struct fv_error *err)
{
    const struct fv_config *cfg = fv_fleet_config(fleet);
    const struct fv_config_job *job = r->job;
    struct s_scope sc;
    fv_status st = s_scope(fleet, job, mode, &sc, err);
    if (st != FV_OK)
        return st;
    struct fv_http_engine *e = fv_fleet_engine_new(fleet);
    struct fv_fleet_clients *clients = fv_fleet_clients_new(fleet, e);
    for (size_t a = 0; a < cfg->n_accounts; a++) {
        const struct fv_config_account *acct = &cfg->accounts[a];
        if (!fv_config_job_covers(job, acct->id))
            continue;
        r->targets = fv_realloc(r->targets, (r->n_targets + 1) * sizeof(*r->targets));
        struct fv_run_target *t = &r->targets[r->n_targets++];
        memset(t, 0, sizeof(*t));
        t->account = fv_strdup(acct->id);
        t->account_name = fv_strdup(acct->name);
        t->region = fv_strdup(s_region(cfg, acct));
        if (!sc.identities)
            continue;
        struct fv_name_identity tb;
        fv_name_identity(cfg, job, acct, sc.central, r->started_ms / 1000, &tb);
        struct fv_error e2 = {0};
        if (s_prepare_tables(clients, &tb, dry_run, &e2) != FV_OK)
            s_fail_target(r, t, e2.message);
        fv_name_identity_clean_up(&tb);
    }
    if (dry_run && sc.assets)
        s_check_bucket(fleet, r, clients, err);
    fv_fleet_clients_destroy(clients);
    fv_http_engine_destroy(e);
    return FV_OK;
}

fv_status fv_plan_quicksight(struct fv_fleet *fleet, struct fv_run *r, const char *mode,
                             struct fv_error *err)
{
    const struct fv_config_job *job = r->job;
    struct s_scope sc;
    fv_status st = s_scope(fleet, job, mode, &sc, err);
    if (st != FV_OK)
        return st;
    struct fv_http_engine *e = fv_fleet_engine_new(fleet);
    struct fv_fleet_clients *clients = fv_fleet_clients_new(fleet, e);
    for (size_t i = 0; i < r->n_targets; i++) {
        struct fv_run_target *t = &r->targets[i];
        const struct fv_config_account *acct = fv_fleet_account(fleet, t->account);
        if (t->error || !acct)
            continue; /* its prerequisites failed */
        const char *id_region = s_id_region(job, t->region);
        struct fv_error e2 = {0};
        st = FV_OK;
        if (sc.identities)
            s_plan_identities(r, acct, id_region);
        if (sc.assets)
            st = s_plan_assets(r, clients, acct, t->region, &e2);
        if (st != FV_OK)
            s_fail_target(r, t, e2.message);
    }
    fv_fleet_clients_destroy(clients);
    fv_http_engine_destroy(e);
    return FV_OK;
}

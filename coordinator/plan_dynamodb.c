/* Planning a dynamodb_backups run (and the table selection of a
 * dynamodb_exports run, plan_exports.c): which tables in which account × region,
 * which IAM principals get the deny policy, and the retention follow-up (in
 * a dry run: what it would delete). */
#include "run.h"

#include <fv/dynamodb.h>
#include <fv/iam.h>
#include <fv/log.h>
#include <fv/naming.h>
#include <fv/retention.h>
#include <fv/sts.h>
#include <fv/tagging.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* What one enumeration found. */
struct s_found {
    struct fv_run_target *target;
    bool first_region_of_account; /* IAM is global: principals once per account */
    char **tables;
    size_t n_tables;
    struct fv_iam_principal *principals; /* deny-policy candidates */
    size_t n_principals;
    struct fv_plan_export *exports; /* a dynamodb_exports job: one per table */
    char *error;
};

struct s_plan {
    struct fv_fleet *fleet;
    const struct fv_config_job *job;
    bool dry_run;
    int64_t now_ms;
    struct s_found *found;
    size_t n;
    size_t next;
    pthread_mutex_t lock;
};

static bool s_selected_by_name(const struct fv_config_job *job, const char *table)
{
    if (job->n_table_names == 0 && job->n_table_prefixes == 0)
        return true;
    for (size_t i = 0; i < job->n_table_names; i++)
        if (strcmp(job->table_names[i], table) == 0)
            return true;
    for (size_t i = 0; i < job->n_table_prefixes; i++)
        if (fv_str_starts_with(table, job->table_prefixes[i]))
            return true;
    return false;
}

/* AWS manages these; the deny policy never goes on them (and AWS refuses
 * inline policies on service-linked roles anyway), by their reserved paths
 * (fv_principal_aws_managed). */
static bool s_aws_managed(const struct fv_iam_principal *p)
{
    return fv_principal_aws_managed(p->path, p->name);
}

/* Ours (a configured role, or the caller itself, by id: see
 * fv_principal_is_caller) or listed in exempt_principals. */
static bool s_exempt(struct fv_fleet *fleet, const struct fv_config_job *job, const char *arn,
                     const char *id, const char *self_id)
{
    if (fv_fleet_is_own_principal(fleet, arn) || fv_principal_is_caller(id, self_id))
        return true;
    for (size_t i = 0; i < job->n_exempt_principals; i++)
        if (strcmp(job->exempt_principals[i], arn) == 0)
            return true;
    return false;
}

/* Tables carrying every tag of the job, by name (from their ARNs). */
static fv_status s_tagged(struct fv_aws_client *c, const struct fv_config_job *job, char ***names,
                          size_t *n, struct fv_error *err)
{
    struct fv_tag_filter *filters = fv_calloc(job->n_table_tags, sizeof(*filters));
    char **keys = fv_calloc(job->n_table_tags, sizeof(char *));
    const char **values = fv_calloc(job->n_table_tags, sizeof(char *));
    for (size_t i = 0; i < job->n_table_tags; i++) {
        const char *eq = strchr(job->table_tags[i], '=');
        keys[i] = fv_strndup(job->table_tags[i], (size_t)(eq - job->table_tags[i]));
        values[i] = eq + 1;
        filters[i].key = keys[i];
        filters[i].values = &values[i];
        filters[i].n_values = 1;
    }
    const char *types[] = {"dynamodb:table"};
    struct fv_tagging_query q = {.tag_filters = filters,
                                 .n_tag_filters = job->n_table_tags,
                                 .resource_types = types,
                                 .n_resource_types = 1};
    struct fv_tagged_resources res = {0};
    fv_status st = fv_tagging_get_resources(c, &q, &res, err);
    *names = fv_calloc(res.n ? res.n : 1, sizeof(char *));
    *n = 0;
    for (size_t i = 0; st == FV_OK && i < res.n; i++) {
        const char *slash = strstr(res.items[i].arn, ":table/");
        if (slash)
            (*names)[(*n)++] = fv_strdup(slash + 7);
    }
    fv_tagged_resources_clean_up(&res);
    for (size_t i = 0; i < job->n_table_tags; i++)
        free(keys[i]);
    free(keys);
    free(values);
    free(filters);
    return st;
}

/* A dry run: what the target's retention would delete once this run's
 * backups exist, one line each into the target. */
static fv_status s_preview_retention(struct s_plan *p, struct s_found *f,
                                     struct fv_fleet_clients *clients, struct fv_aws_client *c,
                                     struct fv_error *err)
{
    const struct fv_config *cfg = fv_fleet_config(p->fleet);
    struct fv_run_target *t = f->target;
    const char *central = fv_fleet_central_account(p->fleet, err);
    struct fv_aws_client *cc = central ? fv_fleet_client(clients, central, cfg->region, err) : NULL;
    if (!cc)
        return err->status ? err->status : FV_E_INVALID;
    struct fv_retention_rules rules;
    fv_retention_rules_of(p->job, t->account, t->region, &rules);
    struct fv_retention_plan plan = {0};
    fv_status st = fv_retention_plan(c, cc, cfg->control_table, fv_clock_system(), &rules,
                                     f->tables, f->n_tables, &plan, err);
    t->expiring = fv_calloc(plan.n ? plan.n : 1, sizeof(char *));
    for (size_t i = 0; st == FV_OK && i < plan.n; i++) {
        char when[21];
        fv_time_iso8601(plan.items[i].created_ms / 1000, when);
        struct fv_buf line = {0};
        fv_buf_printf(&line, "%s %s %s (%s, %s)", plan.items[i].table, plan.items[i].name,
                      plan.items[i].arn, when,
                      plan.items[i].recorded ? "recorded by this job" : "not recorded by this job");
        t->expiring[t->n_expiring++] = fv_buf_detach(&line);
    }
    fv_retention_plan_clean_up(&plan);
    return st;
}

static void s_enumerate(struct s_plan *p, struct s_found *f, struct fv_fleet_clients *clients)
{
    struct fv_error err;
    const struct fv_config_job *job = p->job;
    struct fv_run_target *t = f->target;
    struct fv_aws_client *c = fv_fleet_client(clients, t->account, t->region, &err);
    struct fv_dynamodb_table_names all = {0};
    char **tagged = NULL;
    size_t n_tagged = 0;
    if (!c || fv_dynamodb_list_tables(c, &all, &err) != FV_OK)
        goto fail;
    if (job->n_table_tags && s_tagged(c, job, &tagged, &n_tagged, &err) != FV_OK)
        goto fail;
    f->tables = fv_calloc(all.n ? all.n : 1, sizeof(char *));
    for (size_t i = 0; i < all.n; i++) {
        bool ok = s_selected_by_name(job, all.names[i]);
        if (ok && job->n_table_tags) {
            ok = false;
            for (size_t k = 0; k < n_tagged && !ok; k++)
                ok = strcmp(tagged[k], all.names[i]) == 0;
        }
        if (ok)
            f->tables[f->n_tables++] = fv_strdup(all.names[i]);
    }
    if (job->deny_delete_policy && f->first_region_of_account &&
        strcmp(fv_fleet_config(p->fleet)->deny_guard, "inline") == 0) {
        struct fv_iam_principals users = {0}, roles = {0};
        struct fv_caller_identity self = {0};
        if (fv_iam_list_users(c, NULL, &users, &err) != FV_OK ||
            fv_iam_list_roles(c, NULL, &roles, &err) != FV_OK ||
            fv_sts_get_caller_identity(c, &self, &err) != FV_OK) {
            fv_iam_principals_clean_up(&users);
            fv_iam_principals_clean_up(&roles);
            goto fail;
        }
        size_t cap = users.n + roles.n;
        f->principals = fv_calloc(cap ? cap : 1, sizeof(*f->principals));
        for (int kind = 0; kind < 2; kind++) {
            struct fv_iam_principals *l = kind ? &roles : &users;
            for (size_t i = 0; i < l->n; i++) {
                struct fv_iam_principal *pr = &l->items[i];
                if (s_aws_managed(pr) || s_exempt(p->fleet, job, pr->arn, pr->id, self.user_id))
                    continue;
                f->principals[f->n_principals] = (struct fv_iam_principal){
                    fv_strdup(pr->name), fv_strdup(pr->arn), fv_strdup(pr->path), NULL};
                f->n_principals++;
            }
        }
        fv_caller_identity_clean_up(&self);
        fv_iam_principals_clean_up(&users);
        fv_iam_principals_clean_up(&roles);
    }
    if (job->kind == FV_JOB_DYNAMODB_EXPORTS) {
        f->exports = fv_calloc(f->n_tables ? f->n_tables : 1, sizeof(*f->exports));
        for (size_t i = 0; i < f->n_tables; i++)
            fv_plan_export_decide(p->fleet, clients, c, job, t->account, t->region, f->tables[i],
                                  p->now_ms, p->dry_run, &f->exports[i]);
        goto out;
    }
    if (p->dry_run && f->n_tables && s_preview_retention(p, f, clients, c, &err) != FV_OK)
        goto fail;
    goto out;
fail:
    f->error = fv_strdup(err.message);
    FV_LOG(FV_LOG_WARN, "coordinator", "enumerating %s/%s: %s", t->account, t->region, err.message);
out:
    for (size_t k = 0; k < n_tagged; k++)
        free(tagged[k]);
    free(tagged);
    fv_dynamodb_table_names_clean_up(&all);
}

static void *s_enum_thread(void *arg)
{
    struct s_plan *p = arg;
    struct fv_http_engine *e = fv_fleet_engine_new(p->fleet);
    struct fv_fleet_clients *clients = fv_fleet_clients_new(p->fleet, e);
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next++;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->n)
            break;
        s_enumerate(p, &p->found[i], clients);
    }
    fv_fleet_clients_destroy(clients);
    fv_http_engine_destroy(e);
    return NULL;
}

fv_status fv_plan_dynamodb(struct fv_fleet *fleet, struct fv_run *r, bool dry_run,
                           struct fv_error *err)
{
    const struct fv_config *cfg = fv_fleet_config(fleet);
    const struct fv_config_job *job = r->job;
    (void)err;
    /* Targets: every covered account × its regions. */
    for (size_t a = 0; a < cfg->n_accounts; a++) {
        const struct fv_config_account *acct = &cfg->accounts[a];
        if (!fv_config_job_covers(job, acct->id))
            continue;
        size_t nr = acct->n_regions ? acct->n_regions : 1;
        for (size_t k = 0; k < nr; k++) {
            r->targets = fv_realloc(r->targets, (r->n_targets + 1) * sizeof(*r->targets));
            struct fv_run_target *t = &r->targets[r->n_targets++];
            memset(t, 0, sizeof(*t));
            t->account = fv_strdup(acct->id);
            t->account_name = fv_strdup(acct->name);
            t->region = fv_strdup(acct->n_regions ? acct->regions[k] : cfg->region);
        }
    }
    struct s_plan p = {.fleet = fleet,
                       .job = job,
                       .dry_run = dry_run,
                       .now_ms = fv_clock_now_ms(r->clock),
                       .n = r->n_targets};
    pthread_mutex_init(&p.lock, NULL);
    p.found = fv_calloc(p.n ? p.n : 1, sizeof(*p.found));
    for (size_t i = 0; i < p.n; i++) {
        p.found[i].target = &r->targets[i];
        p.found[i].first_region_of_account =
            i == 0 || strcmp(r->targets[i - 1].account, r->targets[i].account) != 0;
    }
    int threads = (int)cfg->enumerate_concurrency;
    if ((size_t)threads > p.n)
        threads = (int)p.n;
    pthread_t *tids = fv_calloc((size_t)(threads ? threads : 1), sizeof(*tids));
    for (int i = 0; i < threads; i++)
        pthread_create(&tids[i], NULL, s_enum_thread, &p);
    for (int i = 0; i < threads; i++)
        pthread_join(tids[i], NULL);
    free(tids);

    for (size_t i = 0; i < p.n; i++) {
        struct s_found *f = &p.found[i];
        struct fv_run_target *t = f->target;
        t->error = f->error;
        t->tables = f->tables;
        t->n_tables = f->n_tables;
        /* Tasks name what to work on; everything else (backup names, the
         * control table, timeouts, the log group) the worker derives from
         * the job in its own configuration. */
        for (size_t k = 0; f->exports && k < f->n_tables; k++) {
            fv_plan_export_add(r, t, f->tables[k], &f->exports[k]);
            if (f->exports[k].error && !t->error) /* the table's chain cannot be read */
                t->error = fv_strdup(f->exports[k].error);
            fv_plan_export_clean_up(&f->exports[k]);
        }
        for (size_t k = 0; !f->exports && k < f->n_tables; k++) {
            struct fv_task task = {.kind = "dynamodb.backup",
                                   .account = t->account,
                                   .region = t->region,
                                   .resource = f->tables[k],
                                   .step = "create"};
            fv_run_gate(r, fv_run_add(r, &task), i); /* retention waits for it */
        }
        for (size_t k = 0; k < f->n_principals; k++) {
            struct fv_task task = {.kind = "iam.deny_delete_backup",
                                   .account = t->account,
                                   .region = t->region,
                                   .resource = f->principals[k].arn,
                                   .step = "put"};
            fv_run_add(r, &task);
            free(f->principals[k].name);
            free(f->principals[k].arn);
            free(f->principals[k].path);
        }
        free(f->principals);
        free(f->exports);
    }
    free(p.found);
    pthread_mutex_destroy(&p.lock);
    return FV_OK;
}

struct fv_run_item *fv_plan_dynamodb_retention(struct fv_fleet *fleet, struct fv_run *r,
                                               struct fv_run_target *target)
{
    (void)fleet;
    if (target->retention_planned || target->error || target->n_tables == 0)
        return NULL;
    target->retention_planned = true;
    /* No tables, no rules: the worker takes both from the job's records and
     * its own configuration. */
    struct fv_task task = {.kind = "dynamodb.retention",
                           .account = target->account,
                           .region = target->region,
                           .resource = "retention",
                           .step = "expire"};
    return fv_run_add(r, &task);
}

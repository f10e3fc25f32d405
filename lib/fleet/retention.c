/* Retention of a dynamodb_backups job (fv/retention.h). */
#include <fv/naming.h>
#include <fv/retention.h>

#include <stdlib.h>
#include <string.h>

void fv_retention_rules_of(const struct fv_config_job *job, const char *account, const char *region,
                           struct fv_retention_rules *out)
{
    memset(out, 0, sizeof(*out));
    out->job = job->name;
    out->account = account;
    out->region = region;
    out->keep = job->retention;
    out->min_age_ms = job->retention_min_age_s * 1000;
    out->scope = job->retention_scope && strcmp(job->retention_scope, "table") == 0
                     ? FV_RETENTION_TABLE
                     : FV_RETENTION_JOB;
}

static bool s_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Recorded by this job, in this account and region, for this very backup. */
static bool s_ours(const struct fv_retention_rules *r, const struct fv_retention_backup *x)
{
    const struct fv_control_backup *rec = x->record;
    return rec && s_eq(rec->arn, x->backup->arn) && s_eq(rec->job, r->job) &&
           s_eq(rec->account, r->account) && s_eq(rec->region, r->region) &&
           s_eq(rec->table, x->backup->table_name);
}

struct s_entry {
    const struct fv_retention_backup *x;
    size_t i;
};

/* By table, then newest first (ties by ARN, so the order is total). */
static int s_by_table_newest(const void *pa, const void *pb)
{
    const struct fv_dynamodb_backup *a = ((const struct s_entry *)pa)->x->backup;
    const struct fv_dynamodb_backup *b = ((const struct s_entry *)pb)->x->backup;
    int c = strcmp(a->table_name, b->table_name);
    if (c)
        return c;
    if (a->created_ms != b->created_ms)
        return a->created_ms > b->created_ms ? -1 : 1;
    return strcmp(b->arn, a->arn);
}

fv_status fv_retention_select(const struct fv_retention_rules *rules,
                              const struct fv_retention_backup *in, size_t n, int64_t now_ms,
                              size_t **victims, size_t *n_victims, struct fv_error *err)
{
    *victims = NULL;
    *n_victims = 0;
    if (rules->keep < 1)
        return fv_error_set(err, FV_E_INVALID,
                            "job %s: retention %lld is below 1: nothing is deleted", rules->job,
                            (long long)rules->keep);
    struct s_entry *e = fv_calloc(n ? n : 1, sizeof(*e));
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i].backup->arn && in[i].backup->table_name &&
            in[i].backup->status != FV_DDB_BACKUP_DELETED)
            e[m++] = (struct s_entry){&in[i], i};
    qsort(e, m, sizeof(*e), s_by_table_newest);
    size_t *out = fv_calloc(m ? m : 1, sizeof(*out));
    size_t n_out = 0;
    for (size_t start = 0, end; start < m; start = end) {
        const char *table = e[start].x->backup->table_name;
        bool job_has_table = false;
        for (end = start; end < m && strcmp(e[end].x->backup->table_name, table) == 0; end++)
            job_has_table = job_has_table || s_ours(rules, e[end].x);
        if (!job_has_table)
            continue;
        /* Newest first: the first `keep` AVAILABLE candidates stay (the
         * newest among them), CREATING ones and ones without a creation
         * time neither count nor go. */
        int64_t available = 0;
        size_t first = n_out;
        for (size_t k = start; k < end; k++) {
            const struct fv_dynamodb_backup *b = e[k].x->backup;
            if (rules->scope == FV_RETENTION_JOB && !s_ours(rules, e[k].x))
                continue;
            if (b->status != FV_DDB_BACKUP_AVAILABLE || b->created_ms <= 0)
                continue; /* without a time it cannot be ordered: it stays */
            if (++available <= rules->keep)
                continue;
            if (rules->min_age_ms > 0 && b->created_ms > now_ms - rules->min_age_ms)
                continue; /* 0: no minimum age (nor a check of the clocks) */
            out[n_out++] = e[k].i;
        }
        /* Oldest first within the table. */
        for (size_t a = first, z = n_out; z > 0 && a < --z; a++) {
            size_t t = out[a];
            out[a] = out[z];
            out[z] = t;
        }
    }
    free(e);
    if (n_out == 0) {
        free(out);
        out = NULL;
    }
    *victims = out;
    *n_victims = n_out;
    return FV_OK;
}

void fv_retention_plan_clean_up(struct fv_retention_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].arn);
        free(p->items[i].name);
        free(p->items[i].table);
    }
    free(p->items);
    memset(p, 0, sizeof(*p));
}

fv_status fv_retention_plan(struct fv_aws_client *member, struct fv_aws_client *central,
                            const char *control_table, const struct fv_clock *clock,
                            const struct fv_retention_rules *rules, char *const *new_tables,
                            size_t n_new, struct fv_retention_plan *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct fv_dynamodb_backups all = {0};
    fv_status st = fv_dynamodb_list_backups(member, NULL, &all, err);
    out->list_calls = all.pages;
    if (st != FV_OK)
        goto out;
    /* A dry run's new backups: as they will be once this run made them. */
    int64_t now = fv_clock_now_ms(clock);
    for (size_t k = 0; k < n_new; k++) {
        if (all.n == all.cap) {
            all.cap = all.cap ? 2 * all.cap : 8;
            all.items = fv_realloc(all.items, all.cap * sizeof(*all.items));
        }
        struct fv_dynamodb_backup *b = &all.items[all.n++];
        memset(b, 0, sizeof(*b));
        struct fv_buf arn = {0};
        fv_buf_printf(&arn, "(new backup of %s)", new_tables[k]);
        b->arn = fv_buf_detach(&arn);
        b->table_name = fv_strdup(new_tables[k]);
        b->name = fv_strdup("(this run)");
        b->status = FV_DDB_BACKUP_AVAILABLE;
        b->created_ms = now;
    }
    size_t n_listed = all.n - n_new;
    struct fv_retention_backup *in = fv_calloc(all.n ? all.n : 1, sizeof(*in));
    struct fv_control_backup *recs = fv_calloc(all.n ? all.n : 1, sizeof(*recs));
    const char **arns = fv_calloc(all.n ? all.n : 1, sizeof(*arns));
    size_t *at = fv_calloc(all.n ? all.n : 1, sizeof(*at));
    size_t n_look = 0;
    for (size_t i = 0; i < all.n; i++) {
        in[i].backup = &all.items[i];
        if (i >= n_listed) {
            recs[i] = (struct fv_control_backup){
                .arn = fv_strdup(all.items[i].arn),
                .job = fv_strdup(rules->job),
                .account = fv_strdup(rules->account),
                .region = fv_strdup(rules->region),
                .table = fv_strdup(all.items[i].table_name),
            };
            in[i].record = &recs[i];
        } else if (all.items[i].table_name &&
                   fv_name_backup_of(all.items[i].table_name, rules->job, all.items[i].name)) {
            arns[n_look] = all.items[i].arn;
            at[n_look++] = i;
        }
    }
    struct fv_control_backup *found = fv_calloc(n_look ? n_look : 1, sizeof(*found));
    st = n_look ? fv_control_backup_get(central, control_table, clock, arns, n_look, found, err)
                : FV_OK;
    out->records_read = n_look;
    for (size_t k = 0; st == FV_OK && k < n_look; k++) {
        if (!found[k].arn)
            continue;
        recs[at[k]] = found[k];
        memset(&found[k], 0, sizeof(found[k]));
        in[at[k]].record = &recs[at[k]];
    }
    size_t *victims = NULL, n_victims = 0;
    if (st == FV_OK)
        st = fv_retention_select(rules, in, all.n, now, &victims, &n_victims, err);
    out->items = fv_calloc(n_victims ? n_victims : 1, sizeof(*out->items));
    for (size_t k = 0; k < n_victims; k++) {
        const struct fv_dynamodb_backup *b = &all.items[victims[k]];
        out->items[out->n++] = (struct fv_retention_victim){
            .arn = fv_strdup(b->arn),
            .name = fv_strdup(b->name ? b->name : ""),
            .table = fv_strdup(b->table_name),
            .created_ms = b->created_ms,
            .recorded = in[victims[k]].record != NULL,
        };
    }
    free(victims);
    for (size_t k = 0; k < n_look; k++)
        fv_control_backup_clean_up(&found[k]);
    free(found);
    for (size_t i = 0; i < all.n; i++)
        fv_control_backup_clean_up(&recs[i]);
    free(recs);
    free(in);
    free(arns);
    free(at);
out:
    fv_dynamodb_backups_clean_up(&all);
    return st;
}

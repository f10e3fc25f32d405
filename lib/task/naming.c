/* fleetvault's names (fv/naming.h). */
#include <fv/clock.h>
#include <fv/naming.h>
#include <fv/sigv4.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void fv_name_run_id(const char *job, int64_t started_s, struct fv_buf *out)
{
    char stamp[17];
    fv_time_amz(started_s, stamp);
    fv_buf_reset(out);
    fv_buf_printf(out, "%s-%s", job, stamp);
}

void fv_name_backup(const char *table, const char *job, const char *stamp, struct fv_buf *out)
{
    /* DynamoDB allows 255 characters: a long table name gives way (the
     * table is in the backup's ARN and listing; job and stamp make it
     * unique among the table's backups). */
    size_t fixed = strlen(job) + strlen(stamp) + 2;
    size_t room = fixed < FV_NAME_BACKUP_MAX ? FV_NAME_BACKUP_MAX - fixed : 0;
    fv_buf_reset(out);
    fv_buf_printf(out, "%.*s-%s-%s", (int)(strlen(table) < room ? strlen(table) : room), table, job,
                  stamp);
}

bool fv_name_backup_of(const char *table, const char *job, const char *name)
{
    struct fv_buf want = {0};
    fv_name_backup(table, job, "00000000T000000Z", &want);
    size_t head = want.len - 16;
    bool ok = name && strlen(name) == want.len && strncmp(name, want.ptr, head) == 0;
    for (size_t i = 0; ok && i < 16; i++) {
        char c = name[head + i];
        ok = i == 8 ? c == 'T' : i == 15 ? c == 'Z' : c >= '0' && c <= '9';
    }
    fv_buf_clean_up(&want);
    return ok;
}

bool fv_name_backup_job_ok(const char *job)
{
    size_t n = job ? strlen(job) : 0;
    if (n == 0 || n > FV_NAME_BACKUP_JOB_MAX)
        return false;
    for (const char *p = job; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '.' || *p == '-'))
            return false;
    return true;
}

static void s_date(int64_t started_s, const char *format, char *out, size_t n)
{
    time_t t = (time_t)started_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    if (strcmp(format, "YYYY-MM-DD") == 0)
        strftime(out, n, "%Y-%m-%d", &tm);
    else if (strcmp(format, "YYYYMMDD") == 0)
        strftime(out, n, "%Y%m%d", &tm);
    else
        strftime(out, n, "%Y/%m/%d", &tm);
}

void fv_name_dated_table(int64_t started_s, const char *base, struct fv_buf *out)
{
    char day[16];
    s_date(started_s, "YYYY-MM-DD", day, sizeof(day));
    fv_buf_reset(out);
    fv_buf_printf(out, "%s-%s", day, base);
}

static char *s_dated(int64_t started_s, const char *base)
{
    struct fv_buf b = {0};
    fv_name_dated_table(started_s, base, &b);
    return fv_buf_detach(&b);
}

void fv_name_identity(const struct fv_config *cfg, const struct fv_config_job *job,
                      const struct fv_config_account *acct, const char *central, int64_t started_s,
                      struct fv_name_identity *out)
{
    memset(out, 0, sizeof(*out));
    bool in_central =
        job->identity_tables_account && strcmp(job->identity_tables_account, "central") == 0;
    out->account = fv_strdup(in_central && central ? central : acct->id);
    out->region = fv_strdup(job->identity_region ? job->identity_region
                            : acct->n_regions    ? acct->regions[0]
                                                 : cfg->region);
    out->users = s_dated(started_s, job->users_table_name);
    out->groups = s_dated(started_s, job->groups_table_name);
    out->memberships = s_dated(started_s, job->users_group_table_name);
    out->namespace_ = fv_strdup(job->namespace_);
    fv_time_iso8601(started_s, out->timestamp);
}

void fv_name_identity_clean_up(struct fv_name_identity *n)
{
    if (!n)
        return;
    free(n->account);
    free(n->region);
    free(n->users);
    free(n->groups);
    free(n->memberships);
    free(n->namespace_);
    memset(n, 0, sizeof(*n));
}

const char *fv_name_bundle_bucket(const struct fv_config *cfg, const struct fv_config_job *job)
{
    return job->bucket ? job->bucket : cfg->central_bucket;
}

void fv_name_bundle_type(const char *bundle, char *out, size_t n)
{
    const char *b = strstr(bundle, "_bundle_");
    size_t len = b ? (size_t)(b - bundle) : strlen(bundle);
    snprintf(out, n, "%.*s", (int)len, bundle);
}

void fv_name_bundle_key(const struct fv_config *cfg, const struct fv_config_job *job,
                        const char *account, int64_t started_s, const char *bundle,
                        struct fv_buf *out)
{
    char date[16], type[32], stamp[17];
    s_date(started_s, job->prefix_format ? job->prefix_format : "YYYY/MM/DD", date, sizeof(date));
    fv_name_bundle_type(bundle, type, sizeof(type));
    fv_time_amz(started_s, stamp);
    size_t covered = job->n_accounts ? job->n_accounts : cfg->n_accounts;
    fv_buf_reset(out);
    if (job->prefix && *job->prefix)
        fv_buf_printf(out, "%s/", job->prefix);
    /* Several accounts share the bucket: each gets its own key space. A job
     * of one account keeps the seed's layout exactly. */
    if (covered > 1)
        fv_buf_printf(out, "%s/", account);
    fv_buf_printf(out, "%s/%s/%s-%.6s.zip", date, type, bundle, stamp + 9);
}

void fv_name_export_job(const char *task_id, int64_t generation, char *out, size_t n)
{
    snprintf(out, n, "fv-%s-%lld", task_id, (long long)generation);
}

void fv_name_restore_job(const char *run_id, const char *source, const char *bundle,
                         const char *target, const char *overrides_canonical, char *out, size_t n)
{
    char tag[65] = "none";
    if (overrides_canonical)
        fv_sha256_hex(overrides_canonical, strlen(overrides_canonical), tag);
    snprintf(out, n, "fvr-%s-%s-%s-to-%s-%.8s", run_id, source, bundle, target, tag);
    for (char *p = out; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            *p = '_';
}

void fv_name_export_prefix(const struct fv_config_job *job,
                           const struct fv_config_export_settings *s, const char *account,
                           const char *region, const char *table, struct fv_buf *out)
{
    fv_buf_reset(out);
    if (s->prefix)
        fv_buf_printf(out, "%s", s->prefix);
    else
        fv_buf_printf(out, "%s/%s/%s/%s/%s", job->export_prefix, job->name, account, region, table);
}

const char *fv_name_export_id(const char *arn)
{
    const char *slash = arn ? strrchr(arn, '/') : NULL;
    return slash && slash[1] ? slash + 1 : NULL;
}

void fv_name_export_dir(const char *table_prefix, const char *export_id, struct fv_buf *out)
{
    fv_buf_reset(out);
    size_t n = table_prefix ? strlen(table_prefix) : 0;
    while (n > 0 && table_prefix[n - 1] == '/')
        n--; /* "p/" and "p" are the same place, as DynamoDB writes them */
    if (n > 0)
        fv_buf_printf(out, "%.*s/", (int)n, table_prefix);
    fv_buf_printf(out, "AWSDynamoDB/%s/", export_id);
}

void fv_name_export_schema_key(const char *export_dir, struct fv_buf *out)
{
    fv_buf_reset(out);
    fv_buf_printf(out, "%sfleetvault-table.json", export_dir);
}

void fv_name_export_record_pk(const char *job, const char *account, const char *region,
                              const char *table, const char *export_id, struct fv_buf *out)
{
    fv_buf_reset(out);
    fv_buf_printf(out, "exportrec#%s#%s#%s#%s#%s", job, account, region, table, export_id);
}

void fv_name_export_records_pk(const char *job, const char *account, const char *region,
                               const char *table, struct fv_buf *out)
{
    fv_buf_reset(out);
    fv_buf_printf(out, "exportrecs#%s#%s#%s#%s", job, account, region, table);
}

void fv_name_export_token(const char *job, const char *account, const char *region,
                          const char *table, int64_t from_ms, int64_t to_ms,
                          char out[FV_NAME_EXPORT_TOKEN_LEN + 1])
{
    struct fv_buf b = {0};
    char hex[65];
    fv_buf_printf(&b, "%s\n%s\n%s\n%s\n%lld\n%lld", job, account, region, table, (long long)from_ms,
                  (long long)to_ms);
    fv_sha256_hex(b.ptr, b.len, hex);
    fv_buf_clean_up(&b);
    snprintf(out, FV_NAME_EXPORT_TOKEN_LEN + 1, "fv-%.32s", hex);
}

void fv_name_slot(const char *pool, const char *account, int i, char *out, size_t n)
{
    snprintf(out, n, "%s#%s#%d", pool, account, i);
}

bool fv_principal_aws_managed(const char *path, const char *name)
{
    (void)name;
    return fv_str_starts_with(path, "/aws-service-role/") ||
           fv_str_starts_with(path, "/aws-reserved/sso.amazonaws.com/");
}

bool fv_principal_is_caller(const char *principal_id, const char *caller_id)
{
    if (!principal_id || !caller_id || !*principal_id)
        return false;
    size_t n = strcspn(caller_id, ":");
    return strlen(principal_id) == n && strncmp(principal_id, caller_id, n) == 0;
}

bool fv_principal_parse(const char *arn, char **type, char **path, char **name)
{
    *type = *path = *name = NULL;
    char *service = fv_arn_part(arn, 2), *rest = fv_arn_part(arn, 5);
    bool ok = service && rest && strcmp(service, "iam") == 0;
    const char *slash = ok ? strchr(rest, '/') : NULL;
    const char *last = slash ? strrchr(rest, '/') : NULL;
    ok = slash && last[1] != '\0';
    if (ok) {
        *type = fv_strndup(rest, (size_t)(slash - rest));
        *path = fv_strndup(slash, (size_t)(last - slash) + 1);
        *name = fv_strdup(last + 1);
        ok = strcmp(*type, "user") == 0 || strcmp(*type, "role") == 0;
    }
    if (!ok) {
        free(*type);
        free(*path);
        free(*name);
        *type = *path = *name = NULL;
    }
    free(service);
    free(rest);
    return ok;
}

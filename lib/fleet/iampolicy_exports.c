/* `fleetvault iam-policy`: the resources of the dynamodb_exports jobs'
 * grants (writing, reading and listing the exports, their keys, and what
 * retention may delete), named as lib/task/naming.c names the objects. */
#include "iampolicy_internal.h"

#include <fv/naming.h>

#include <string.h>

static void s_add_prefix(const struct fv_config *cfg, const char *central,
                         enum fv_iam_exports_as as, const struct fv_config_export_settings *s,
                         const char *table_prefix, struct json_object *arr)
{
    struct fv_buf dir = {0};
    char buf[512];
    switch (as) {
    case FV_IAM_EXP_OBJECTS:
        fv_iam_addf(arr, "arn:aws:s3:::%s/%s/*", s->bucket, table_prefix);
        break;
    case FV_IAM_EXP_BUCKETS: fv_iam_addf(arr, "arn:aws:s3:::%s", s->bucket); break;
    case FV_IAM_EXP_PREFIXES: fv_iam_addf(arr, "%s/*", table_prefix); break;
    case FV_IAM_EXP_KEYS:
        if (s->sse_kms_key_id)
            fv_iam_add(arr, fv_iam_kms_arn(cfg, central, s->sse_kms_key_id, buf, sizeof(buf)));
        break;
    case FV_IAM_EXP_RET_BUCKETS:
        if (s->retention_days > 0)
            fv_iam_addf(arr, "arn:aws:s3:::%s", s->bucket);
        break;
    case FV_IAM_EXP_RET_DIRS:
        if (s->retention_days > 0) {
            /* exactly the keys DynamoDB writes an export under */
            fv_name_export_dir(table_prefix, "*", &dir);
            fv_iam_addf(arr, "arn:aws:s3:::%s/%s*", s->bucket, fv_buf_str(&dir));
        }
        break;
    }
    fv_buf_clean_up(&dir);
}

/* Every table prefix of job in bucket (NULL: any) with its settings: the
 * job's for any account, region and table, then each override's own
 * prefix, or its table's under the job's prefix where the job's entry does
 * not cover what `as` asks of it (retention kept only by the override). */
static void s_job(const struct fv_config *cfg, const char *central, const struct fv_config_job *job,
                  enum fv_iam_exports_as as, const char *bucket, struct json_object *arr)
{
    struct fv_config_export_settings s;
    struct fv_buf p = {0};
    fv_config_export_settings(cfg, job, "*", "*", "*", &s);
    if (bucket && strcmp(bucket, s.bucket) != 0)
        return;
    bool retained = as == FV_IAM_EXP_RET_BUCKETS || as == FV_IAM_EXP_RET_DIRS;
    bool job_retains = job->export_retention_days > 0;
    fv_name_export_prefix(job, &s, "*", "*", "*", &p);
    s_add_prefix(cfg, central, as, &s, fv_buf_str(&p), arr);
    for (size_t i = 0; i < job->n_export_overrides; i++) {
        const struct fv_config_export_override *o = &job->export_overrides[i];
        const char *acct = o->account ? o->account : "*", *region = o->region ? o->region : "*";
        fv_config_export_settings(cfg, job, acct, region, o->table, &s);
        if (!s.prefix && (!retained || job_retains) && as != FV_IAM_EXP_KEYS)
            continue; /* under the job's prefix, added above */
        fv_name_export_prefix(job, &s, acct, region, o->table, &p);
        s_add_prefix(cfg, central, as, &s, fv_buf_str(&p), arr);
    }
    fv_buf_clean_up(&p);
}

void fv_iam_exports(const struct fv_config *cfg, const char *central, enum fv_iam_exports_as as,
                    const char *bucket, struct json_object *arr)
{
    for (size_t j = 0; j < cfg->n_jobs; j++)
        if (cfg->jobs[j].kind == FV_JOB_DYNAMODB_EXPORTS)
            s_job(cfg, central, &cfg->jobs[j], as, bucket, arr);
}

void fv_iam_exports_list_condition(const struct fv_config *cfg, struct json_object *st)
{
    struct json_object *prefixes = json_object_new_array();
    fv_iam_exports(cfg, NULL, FV_IAM_EXP_PREFIXES, NULL, prefixes);
    struct json_object *cond = json_object_new_object(), *like = json_object_new_object();
    json_object_object_add(like, "s3:prefix", prefixes);
    json_object_object_add(cond, "StringLike", like);
    json_object_object_add(st, "Condition", cond);
}

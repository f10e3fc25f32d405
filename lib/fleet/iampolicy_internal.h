/* Shared by lib/fleet/iampolicy*.c; not a public interface. */
#ifndef FV_IAMPOLICY_INTERNAL_H
#define FV_IAMPOLICY_INTERNAL_H

#include <fv/config.h>

#include <json-c/json.h>
#include <stddef.h>

/* Adds text to the string array arr, once. */
void fv_iam_add(struct json_object *arr, const char *text);
void fv_iam_addf(struct json_object *arr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The ARN of key in the central account (an alias: every key there); key
 * itself when it is an ARN, else written into buf. */
const char *fv_iam_kms_arn(const struct fv_config *cfg, const char *central, const char *key,
                           char *buf, size_t n);

/* What fv_iam_exports adds for each table prefix P (fv_name_export_prefix:
 * the job's for any account, region and table, and every override's) of a
 * dynamodb_exports job's bucket B. */
enum fv_iam_exports_as {
    FV_IAM_EXP_OBJECTS,     /* arn:aws:s3:::B/P/ * */
    FV_IAM_EXP_BUCKETS,     /* arn:aws:s3:::B */
    FV_IAM_EXP_PREFIXES,    /* P/ * (an s3:prefix pattern) */
    FV_IAM_EXP_KEYS,        /* the jobs' and overrides' s3.sse_kms_key_id */
    FV_IAM_EXP_RET_BUCKETS, /* B, where a table keeps retention_days */
    FV_IAM_EXP_RET_DIRS,    /* arn:aws:s3:::B/P/AWSDynamoDB/ * / *, P keeping retention_days */
};

/* Adds to arr (strings, once each) what `as` names of every dynamodb_exports
 * job of cfg, in bucket only (NULL: any). central: the central account. */
void fv_iam_exports(const struct fv_config *cfg, const char *central, enum fv_iam_exports_as as,
                    const char *bucket, struct json_object *arr);
/* Adds to the statement st a Condition limiting s3:prefix (StringLike) to
 * the jobs' export prefixes. */
void fv_iam_exports_list_condition(const struct fv_config *cfg, struct json_object *st);

#endif

/* The AWS calls verify and restore make, behind one seam: the real one goes
 * through the fleet's clients (each account's role, the rate limiter and
 * lib/aws/retry.c's retries); a unit test puts an in-memory world behind
 * it. Every call names the account and region it acts in. */
#ifndef FV_RESTORE_AWS_H
#define FV_RESTORE_AWS_H

#include <fv/dynamodb.h>
#include <fv/quicksight.h>
#include <fv/s3.h>

struct fv_fleet;
struct fv_fleet_clients;

struct fv_restore_aws {
    void *ud;
    /* The account fleetvault's state and backups live in (borrowed). */
    const char *(*central_account)(void *ud, struct fv_error *err);
    /* S3 GetObject by the central account, streamed into write. */
    fv_status (*get_object)(void *ud, const char *bucket, const char *key, fv_s3_write_fn *write,
                            void *write_ud, struct fv_s3_get_result *out, struct fv_error *err);
    /* S3 of the central account: a byte range (first..last inclusive) of an
     * object, and one ListObjectsV2 page. */
    fv_status (*get_object_range)(void *ud, const char *bucket, const char *key, uint64_t first,
                                  uint64_t last, fv_s3_write_fn *write, void *write_ud,
                                  struct fv_s3_get_result *out, struct fv_error *err);
    fv_status (*list_objects_page)(void *ud, const char *bucket, const struct fv_s3_list *req,
                                   const char *token, struct fv_s3_objects *out,
                                   struct fv_error *err);
    /* DynamoDB of account in region: the raw DescribeTable Table object
     * (*desc caller owns; FV_E_NOTFOUND for no table), CreateTable with a
     * request object (borrowed), one BatchWriteItem (as
     * fv_dynamodb_batch_write). */
    fv_status (*describe_table_raw)(void *ud, const char *account, const char *region,
                                    const char *table, struct json_object **desc,
                                    struct fv_error *err);
    fv_status (*create_table)(void *ud, const char *account, const char *region,
                              struct json_object *request, struct fv_error *err);
    fv_status (*batch_write)(void *ud, const char *account, const char *region,
                             struct json_object *request_items, struct json_object **unprocessed,
                             struct fv_error *err);
    /* DynamoDB of account in region. */
    fv_status (*describe_backup)(void *ud, const char *account, const char *region, const char *arn,
                                 struct fv_dynamodb_backup *out, struct fv_error *err);
    fv_status (*restore_table)(void *ud, const char *account, const char *region, const char *arn,
                               const char *target_table, struct fv_dynamodb_table *out,
                               struct fv_error *err);
    fv_status (*describe_table)(void *ud, const char *account, const char *region,
                                const char *table, struct fv_dynamodb_table *out,
                                struct fv_error *err);
    fv_status (*read_page)(void *ud, const char *account, const char *region,
                           const struct fv_dynamodb_read *req, const char *start_key,
                           struct fv_dynamodb_page *out, struct fv_error *err);
    /* QuickSight of account (the principal and the AwsAccountId) in region. */
    fv_status (*describe_import)(void *ud, const char *account, const char *region,
                                 const char *job_id, struct fv_quicksight_import_job *out,
                                 struct fv_error *err);
    fv_status (*start_import)(void *ud, const char *account, const char *region,
                              const struct fv_quicksight_import_request *req, struct fv_error *err);
    /* FV_OK: the user (group) exists; FV_E_NOTFOUND: it does not. */
    fv_status (*describe_user)(void *ud, const char *account, const char *region, const char *ns,
                               const char *name, struct fv_error *err);
    fv_status (*register_user)(void *ud, const char *account, const char *region, const char *ns,
                               const struct fv_quicksight_register_user *req, bool *created,
                               struct fv_error *err);
    fv_status (*describe_group)(void *ud, const char *account, const char *region, const char *ns,
                                const char *name, struct fv_error *err);
    fv_status (*create_group)(void *ud, const char *account, const char *region, const char *ns,
                              const char *name, const char *description, bool *created,
                              struct fv_error *err);
    /* FV_E_NOTFOUND when the group does not exist. */
    fv_status (*list_members)(void *ud, const char *account, const char *region, const char *ns,
                              const char *group, struct fv_quicksight_members *out,
                              struct fv_error *err);
    fv_status (*add_member)(void *ud, const char *account, const char *region, const char *ns,
                            const char *group, const char *user, struct fv_error *err);
};

/* The real calls, through fleet->clients (a per-thread cache of
 * fleet->fleet's clients). fleet is borrowed: it, the fleet and the cache
 * outlive *out. The central account's calls go to the configuration's
 * region. */
struct fv_restore_fleet {
    struct fv_fleet *fleet;
    struct fv_fleet_clients *clients;
};
void fv_restore_aws_fleet(struct fv_restore_fleet *fleet, struct fv_restore_aws *out);

#endif

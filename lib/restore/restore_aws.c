/* The real side of the restore seam (fv/restore_aws.h): each call gets the
 * account's client from the fleet's per-thread cache. */
#include <fv/fleet.h>
#include <fv/restore_aws.h>

#include <json-c/json.h>
#include <string.h>

static struct fv_aws_client *s_client(void *ud, const char *account, const char *region,
                                      struct fv_error *err)
{
    struct fv_restore_fleet *f = ud;
    return fv_fleet_client(f->clients, account, region, err);
}

static const char *s_central(void *ud, struct fv_error *err)
{
    struct fv_restore_fleet *f = ud;
    return fv_fleet_central_account(f->fleet, err);
}

static fv_status s_get_object(void *ud, const char *bucket, const char *key, fv_s3_write_fn *write,
                              void *write_ud, struct fv_s3_get_result *out, struct fv_error *err)
{
    struct fv_restore_fleet *f = ud;
    const char *central = s_central(ud, err);
    struct fv_aws_client *c =
        central ? s_client(ud, central, fv_fleet_config(f->fleet)->region, err) : NULL;
    return c ? fv_s3_get_object(c, bucket, key, write, write_ud, out, err) : err->status;
}

static fv_status s_get_object_range(void *ud, const char *bucket, const char *key, uint64_t first,
                                    uint64_t last, fv_s3_write_fn *write, void *write_ud,
                                    struct fv_s3_get_result *out, struct fv_error *err)
{
    struct fv_restore_fleet *f = ud;
    const char *central = s_central(ud, err);
    struct fv_aws_client *c =
        central ? s_client(ud, central, fv_fleet_config(f->fleet)->region, err) : NULL;
    return c ? fv_s3_get_object_range(c, bucket, key, first, last, write, write_ud, out, err)
             : err->status;
}

static fv_status s_list_objects_page(void *ud, const char *bucket, const struct fv_s3_list *req,
                                     const char *token, struct fv_s3_objects *out,
                                     struct fv_error *err)
{
    struct fv_restore_fleet *f = ud;
    const char *central = s_central(ud, err);
    struct fv_aws_client *c =
        central ? s_client(ud, central, fv_fleet_config(f->fleet)->region, err) : NULL;
    return c ? fv_s3_list_objects_page(c, bucket, req, token, out, err) : err->status;
}

static fv_status s_describe_table_raw(void *ud, const char *account, const char *region,
                                      const char *table, struct json_object **desc,
                                      struct fv_error *err)
{
    *desc = NULL;
    struct fv_aws_client *c = s_client(ud, account, region, err);
    if (!c)
        return err->status;
    struct json_object *in = json_object_new_object(), *resp = NULL, *t;
    json_object_object_add(in, "TableName", json_object_new_string(table));
    fv_status st = fv_aws_json(c, &fv_aws_dynamodb, "DescribeTable", in, &resp, err);
    json_object_put(in);
    if (st != FV_OK && err && strcmp(err->code, "ResourceNotFoundException") == 0)
        st = err->status = FV_E_NOTFOUND;
    if (st == FV_OK && json_object_object_get_ex(resp, "Table", &t))
        *desc = json_object_get(t);
    else if (st == FV_OK)
        st = fv_error_set(err, FV_E_PARSE, "dynamodb DescribeTable %s: no Table", table);
    json_object_put(resp);
    return st;
}

static fv_status s_create_table(void *ud, const char *account, const char *region,
                                struct json_object *request, struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    return c ? fv_dynamodb_create_table(c, request, NULL, err) : err->status;
}

static fv_status s_batch_write(void *ud, const char *account, const char *region,
                               struct json_object *request_items, struct json_object **unprocessed,
                               struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    return c ? fv_dynamodb_batch_write(c, request_items, unprocessed, err) : err->status;
}

static fv_status s_describe_backup(void *ud, const char *account, const char *region,
                                   const char *arn, struct fv_dynamodb_backup *out,
                                   struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    if (!c)
        return err->status;
    return fv_dynamodb_describe_backup(c, arn, out, err);
}

static fv_status s_restore_table(void *ud, const char *account, const char *region, const char *arn,
                                 const char *target, struct fv_dynamodb_table *out,
                                 struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    if (!c)
        return err->status;
    return fv_dynamodb_restore_table(c, arn, target, out, err);
}

static fv_status s_describe_table(void *ud, const char *account, const char *region,
                                  const char *table, struct fv_dynamodb_table *out,
                                  struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    if (!c)
        return err->status;
    return fv_dynamodb_describe_table(c, table, out, err);
}

static fv_status s_read_page(void *ud, const char *account, const char *region,
                             const struct fv_dynamodb_read *req, const char *start_key,
                             struct fv_dynamodb_page *out, struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    if (!c)
        return err->status;
    return fv_dynamodb_read_page(c, req, start_key, out, err);
}

static fv_status s_describe_import(void *ud, const char *account, const char *region,
                                   const char *job_id, struct fv_quicksight_import_job *out,
                                   struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    if (!c)
        return err->status;
    return fv_quicksight_describe_import(c, account, job_id, out, err);
}

static fv_status s_start_import(void *ud, const char *account, const char *region,
                                const struct fv_quicksight_import_request *req,
                                struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    if (!c)
        return err->status;
    return fv_quicksight_start_import(c, account, req, NULL, err);
}

static fv_status s_describe_user(void *ud, const char *account, const char *region, const char *ns,
                                 const char *name, struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    if (!c)
        return err->status;
    struct fv_quicksight_user u = {0};
    fv_status st = fv_quicksight_describe_user(c, account, ns, name, &u, err);
    fv_quicksight_user_clean_up(&u);
    return st;
}

static fv_status s_register_user(void *ud, const char *account, const char *region, const char *ns,
                                 const struct fv_quicksight_register_user *req, bool *created,
                                 struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    if (!c)
        return err->status;
    return fv_quicksight_register_user(c, account, ns, req, created, err);
}

static fv_status s_describe_group(void *ud, const char *account, const char *region, const char *ns,
                                  const char *name, struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    if (!c)
        return err->status;
    struct fv_quicksight_group g = {0};
    fv_status st = fv_quicksight_describe_group(c, account, ns, name, &g, err);
    fv_quicksight_group_clean_up(&g);
    return st;
}

static fv_status s_create_group(void *ud, const char *account, const char *region, const char *ns,
                                const char *name, const char *description, bool *created,
                                struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    if (!c)
        return err->status;
    return fv_quicksight_create_group(c, account, ns, name, description, created, err);
}

static fv_status s_list_members(void *ud, const char *account, const char *region, const char *ns,
                                const char *group, struct fv_quicksight_members *out,
                                struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    if (!c)
        return err->status;
    return fv_quicksight_list_group_memberships(c, account, ns, group, NULL, out, err);
}

static fv_status s_add_member(void *ud, const char *account, const char *region, const char *ns,
                              const char *group, const char *user, struct fv_error *err)
{
    struct fv_aws_client *c = s_client(ud, account, region, err);
    if (!c)
        return err->status;
    return fv_quicksight_create_group_membership(c, account, ns, group, user, err);
}

void fv_restore_aws_fleet(struct fv_restore_fleet *fleet, struct fv_restore_aws *out)
{
    *out = (struct fv_restore_aws){
        .ud = fleet,
        .central_account = s_central,
        .get_object = s_get_object,
        .get_object_range = s_get_object_range,
        .list_objects_page = s_list_objects_page,
        .describe_table_raw = s_describe_table_raw,
        .create_table = s_create_table,
        .batch_write = s_batch_write,
        .describe_backup = s_describe_backup,
        .restore_table = s_restore_table,
        .describe_table = s_describe_table,
        .read_page = s_read_page,
        .describe_import = s_describe_import,
        .start_import = s_start_import,
        .describe_user = s_describe_user,
        .register_user = s_register_user,
        .describe_group = s_describe_group,
        .create_group = s_create_group,
        .list_members = s_list_members,
        .add_member = s_add_member,
    };
}

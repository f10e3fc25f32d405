/* DynamoDB: tables, on-demand backups, restore, PITR status, control-table
 * item calls. Every call goes through fv_aws_json (json 1.0). */
#include "aws/dynamodb_internal.h"

#include <fv/dynamodb.h>
#include <fv/wait.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LIST_TABLES_PAGE 100
#define S_LIST_BACKUPS_PAGE 100

/* --- errors and attribute values (aws/dynamodb_internal.h) --- */

fv_status fv_ddb_notfound(fv_status st, struct fv_error *err)
{
    static const char *const codes[] = {"ResourceNotFoundException", "TableNotFoundException",
                                        "BackupNotFoundException", "ExportNotFoundException"};
    for (size_t i = 0; st == FV_E_AWS && err && i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strcmp(err->code, codes[i]) == 0) {
            err->status = FV_E_NOTFOUND;
            return FV_E_NOTFOUND;
        }
    return st;
}

struct json_object *fv_ddb_attr_s(const char *v)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "S", json_object_new_string(v));
    return o;
}

struct json_object *fv_ddb_attr_n(int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "N", json_object_new_string(buf));
    return o;
}

/* Adds a borrowed object under key (json-c takes a reference). */
static void s_add_ref(struct json_object *obj, const char *key, struct json_object *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_get(value));
}

static fv_status s_call(struct fv_aws_client *c, const char *op, struct json_object *in,
                        struct json_object **out, struct fv_error *err)
{
    return fv_aws_json(c, &fv_aws_dynamodb, op, in, out, err);
}

/* --- Tables --- */

void fv_dynamodb_table_names_clean_up(struct fv_dynamodb_table_names *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->names[i]);
    free(t->names);
    memset(t, 0, sizeof(*t));
}

fv_status fv_dynamodb_list_tables(struct fv_aws_client *c, struct fv_dynamodb_table_names *out,
                                  struct fv_error *err)
{
    fv_status st = FV_OK;
    char *start = NULL, *prev = NULL;
    size_t cap = 0;
    memset(out, 0, sizeof(*out));
    do {
        struct json_object *in = json_object_new_object();
        json_object_object_add(in, "Limit", json_object_new_int(S_LIST_TABLES_PAGE));
        fv_json_add_str(in, "ExclusiveStartTableName", start);
        struct json_object *resp = NULL;
        st = s_call(c, "ListTables", in, &resp, err);
        json_object_put(in);
        free(prev);
        prev = start;
        start = NULL;
        if (st != FV_OK)
            break;
        struct json_object *names = fv_json_get(resp, "TableNames");
        size_t n = names && json_object_is_type(names, json_type_array)
                       ? json_object_array_length(names)
                       : 0;
        for (size_t i = 0; i < n; i++) {
            struct json_object *v = json_object_array_get_idx(names, i);
            if (!json_object_is_type(v, json_type_string))
                continue;
            if (out->n == cap) {
                cap = cap ? cap * 2 : 16;
                out->names = fv_realloc(out->names, cap * sizeof(*out->names));
            }
            out->names[out->n++] = fv_strdup(json_object_get_string(v));
        }
        start = fv_page_token_json(resp, "LastEvaluatedTableName");
        json_object_put(resp);
        if (start && prev && strcmp(start, prev) == 0) {
            st = fv_error_set(err, FV_E_PARSE,
                              "dynamodb ListTables: the same LastEvaluatedTableName twice");
            free(start);
            start = NULL;
        }
    } while (start);
    free(prev);
    if (st != FV_OK)
        fv_dynamodb_table_names_clean_up(out);
    return st;
}

void fv_dynamodb_table_clean_up(struct fv_dynamodb_table *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->arn);
    free(t->status);
    memset(t, 0, sizeof(*t));
}

static fv_status s_read_table(struct json_object *desc, const char *op,
                              struct fv_dynamodb_table *out, struct fv_error *err)
{
    if (!desc || !json_object_is_type(desc, json_type_object))
        return fv_error_set(err, FV_E_PARSE, "dynamodb %s: no table description in response", op);
    out->name = fv_json_str(desc, "TableName");
    out->arn = fv_json_str(desc, "TableArn");
    out->status = fv_json_str(desc, "TableStatus");
    out->item_count = fv_json_i64(desc, "ItemCount", 0);
    out->size_bytes = fv_json_i64(desc, "TableSizeBytes", 0);
    if (!out->name) {
        fv_dynamodb_table_clean_up(out);
        return fv_error_set(err, FV_E_PARSE, "dynamodb %s: table description without TableName",
                            op);
    }
    fv_status st = fv_json_time_ms(desc, "CreationDateTime", "dynamodb", op, &out->created_ms, err);
    if (st != FV_OK)
        fv_dynamodb_table_clean_up(out);
    return st;
}

fv_status fv_dynamodb_describe_table(struct fv_aws_client *c, const char *table,
                                     struct fv_dynamodb_table *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "TableName", table);
    struct json_object *resp = NULL;
    fv_status st = fv_ddb_notfound(s_call(c, "DescribeTable", in, &resp, err), err);
    if (st == FV_OK)
        st = s_read_table(fv_json_get(resp, "Table"), "DescribeTable", out, err);
    json_object_put(resp);
    json_object_put(in);
    return st;
}

fv_status fv_dynamodb_create_table(struct fv_aws_client *c, struct json_object *request,
                                   struct fv_dynamodb_table *out, struct fv_error *err)
{
    if (out)
        memset(out, 0, sizeof(*out));
    struct json_object *resp = NULL;
    fv_status st = s_call(c, "CreateTable", request, &resp, err);
    if (st == FV_OK && out)
        st = s_read_table(fv_json_get(resp, "TableDescription"), "CreateTable", out, err);
    json_object_put(resp);
    return st;
}

/* --- Backups --- */

static const char *const s_backup_status_names[] = {"UNKNOWN", "CREATING", "AVAILABLE", "DELETED"};

const char *fv_dynamodb_backup_status_str(enum fv_dynamodb_backup_status s)
{
    if ((size_t)s >= sizeof(s_backup_status_names) / sizeof(s_backup_status_names[0]))
        return "UNKNOWN";
    return s_backup_status_names[s];
}

static enum fv_dynamodb_backup_status s_backup_status(struct json_object *obj, const char *key)
{
    struct json_object *v = fv_json_get(obj, key);
    const char *s = v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
    for (size_t i = 1; i < sizeof(s_backup_status_names) / sizeof(s_backup_status_names[0]); i++)
        if (strcmp(s, s_backup_status_names[i]) == 0)
            return (enum fv_dynamodb_backup_status)i;
    return FV_DDB_BACKUP_UNKNOWN;
}

void fv_dynamodb_backup_clean_up(struct fv_dynamodb_backup *b)
{
    if (!b)
        return;
    free(b->arn);
    free(b->name);
    free(b->table_name);
    free(b->table_arn);
    free(b->type);
    memset(b, 0, sizeof(*b));
}

/* BackupDetails (CreateBackup, inside BackupDescription) and
 * BackupSummaries items (ListBackups) share most field names. */
static fv_status s_read_backup(struct json_object *obj, const char *op,
                               struct fv_dynamodb_backup *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!obj || !json_object_is_type(obj, json_type_object))
        return fv_error_set(err, FV_E_PARSE, "dynamodb %s: no backup in response", op);
    out->arn = fv_json_str(obj, "BackupArn");
    out->name = fv_json_str(obj, "BackupName");
    out->table_name = fv_json_str(obj, "TableName");
    out->table_arn = fv_json_str(obj, "TableArn");
    out->status = s_backup_status(obj, "BackupStatus");
    out->type = fv_json_str(obj, "BackupType");
    out->size_bytes = fv_json_i64(obj, "BackupSizeBytes", -1);
    if (!out->arn) {
        fv_dynamodb_backup_clean_up(out);
        return fv_error_set(err, FV_E_PARSE, "dynamodb %s: backup without BackupArn", op);
    }
    fv_status st =
        fv_json_time_ms(obj, "BackupCreationDateTime", "dynamodb", op, &out->created_ms, err);
    if (st != FV_OK)
        fv_dynamodb_backup_clean_up(out);
    return st;
}

/* BackupDescription: BackupDetails plus SourceTableDetails. */
static fv_status s_read_backup_description(struct json_object *desc, const char *op,
                                           struct fv_dynamodb_backup *out, struct fv_error *err)
{
    fv_status st = s_read_backup(fv_json_get(desc, "BackupDetails"), op, out, err);
    if (st != FV_OK)
        return st;
    /* The source table's names win over any in BackupDetails. */
    struct json_object *src = fv_json_get(desc, "SourceTableDetails");
    char *name = fv_json_str(src, "TableName"), *arn = fv_json_str(src, "TableArn");
    if (name) {
        free(out->table_name);
        out->table_name = name;
    }
    if (arn) {
        free(out->table_arn);
        out->table_arn = arn;
    }
    return FV_OK;
}

fv_status fv_dynamodb_create_backup(struct fv_aws_client *c, const char *table,
                                    const char *backup_name, struct fv_dynamodb_backup *out,
                                    struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "TableName", table);
    fv_json_add_str(in, "BackupName", backup_name);
    struct json_object *resp = NULL;
    fv_status st = fv_ddb_notfound(s_call(c, "CreateBackup", in, &resp, err), err);
    if (st == FV_OK)
        st = s_read_backup(fv_json_get(resp, "BackupDetails"), "CreateBackup", out, err);
    json_object_put(resp);
    json_object_put(in);
    return st;
}

static fv_status s_backup_op(struct fv_aws_client *c, const char *op, const char *backup_arn,
                             struct fv_dynamodb_backup *out, struct fv_error *err)
{
    if (out)
        memset(out, 0, sizeof(*out));
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "BackupArn", backup_arn);
    struct json_object *resp = NULL;
    fv_status st = fv_ddb_notfound(s_call(c, op, in, &resp, err), err);
    if (st == FV_OK && out)
        st = s_read_backup_description(fv_json_get(resp, "BackupDescription"), op, out, err);
    json_object_put(resp);
    json_object_put(in);
    return st;
}

fv_status fv_dynamodb_describe_backup(struct fv_aws_client *c, const char *backup_arn,
                                      struct fv_dynamodb_backup *out, struct fv_error *err)
{
    return s_backup_op(c, "DescribeBackup", backup_arn, out, err);
}

fv_status fv_dynamodb_delete_backup(struct fv_aws_client *c, const char *backup_arn,
                                    struct fv_dynamodb_backup *out, struct fv_error *err)
{
    return s_backup_op(c, "DeleteBackup", backup_arn, out, err);
}

void fv_dynamodb_backups_clean_up(struct fv_dynamodb_backups *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        fv_dynamodb_backup_clean_up(&l->items[i]);
    free(l->items);
    free(l->next);
    memset(l, 0, sizeof(*l));
}

fv_status fv_dynamodb_list_backups_page(struct fv_aws_client *c,
                                        const struct fv_dynamodb_list_backups *req,
                                        const char *start_arn, struct fv_dynamodb_backups *out,
                                        struct fv_error *err)
{
    static const struct fv_dynamodb_list_backups dflt = {0};
    if (!req)
        req = &dflt;
    if (req->limit < 0 || req->limit > S_LIST_BACKUPS_PAGE)
        return fv_error_set(err, FV_E_INVALID, "dynamodb ListBackups: limit %d not in 1..100",
                            req->limit);
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "TableName", req->table_name);
    fv_json_add_str(in, "BackupType", req->backup_type ? req->backup_type : "USER");
    json_object_object_add(in, "Limit",
                           json_object_new_int(req->limit ? req->limit : S_LIST_BACKUPS_PAGE));
    if (req->created_after_ms > 0)
        json_object_object_add(in, "TimeRangeLowerBound",
                               json_object_new_double((double)req->created_after_ms / 1000.0));
    if (req->created_before_ms > 0)
        json_object_object_add(in, "TimeRangeUpperBound",
                               json_object_new_double((double)req->created_before_ms / 1000.0));
    fv_json_add_str(in, "ExclusiveStartBackupArn", start_arn);

    struct json_object *resp = NULL;
    fv_status st = s_call(c, "ListBackups", in, &resp, err);
    json_object_put(in);
    if (st != FV_OK)
        return st;
    out->pages++;
    struct json_object *items = fv_json_get(resp, "BackupSummaries");
    size_t n =
        items && json_object_is_type(items, json_type_array) ? json_object_array_length(items) : 0;
    for (size_t i = 0; i < n && st == FV_OK; i++) {
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 64;
            out->items = fv_realloc(out->items, out->cap * sizeof(*out->items));
        }
        st = s_read_backup(json_object_array_get_idx(items, i), "ListBackups", &out->items[out->n],
                           err);
        if (st == FV_OK)
            out->n++;
    }
    free(out->next);
    out->next = st == FV_OK ? fv_page_token_json(resp, "LastEvaluatedBackupArn") : NULL;
    json_object_put(resp);
    return st;
}

fv_status fv_dynamodb_list_backups(struct fv_aws_client *c,
                                   const struct fv_dynamodb_list_backups *req,
                                   struct fv_dynamodb_backups *out, struct fv_error *err)
{
    fv_status st = fv_dynamodb_list_backups_page(c, req, NULL, out, err);
    while (st == FV_OK && out->next) {
        char *start = out->next;
        out->next = NULL;
        st = fv_dynamodb_list_backups_page(c, req, start, out, err);
        if (st == FV_OK && out->next && strcmp(out->next, start) == 0)
            st = fv_error_set(err, FV_E_PARSE,
                              "dynamodb ListBackups: the same LastEvaluatedBackupArn twice");
        free(start);
    }
    return st;
}

fv_status fv_dynamodb_restore_table(struct fv_aws_client *c, const char *backup_arn,
                                    const char *target_table, struct fv_dynamodb_table *out,
                                    struct fv_error *err)
{
    if (out)
        memset(out, 0, sizeof(*out));
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "BackupArn", backup_arn);
    fv_json_add_str(in, "TargetTableName", target_table);
    struct json_object *resp = NULL;
    fv_status st = fv_ddb_notfound(s_call(c, "RestoreTableFromBackup", in, &resp, err), err);
    if (st == FV_OK && out)
        st =
            s_read_table(fv_json_get(resp, "TableDescription"), "RestoreTableFromBackup", out, err);
    json_object_put(resp);
    json_object_put(in);
    return st;
}

fv_status fv_dynamodb_describe_continuous_backups(struct fv_aws_client *c, const char *table,
                                                  struct fv_dynamodb_continuous_backups *out,
                                                  struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "TableName", table);
    struct json_object *resp = NULL;
    fv_status st = fv_ddb_notfound(s_call(c, "DescribeContinuousBackups", in, &resp, err), err);
    json_object_put(in);
    if (st != FV_OK)
        return st;
    struct json_object *desc = fv_json_get(resp, "ContinuousBackupsDescription");
    struct json_object *pitr = fv_json_get(desc, "PointInTimeRecoveryDescription");
    if (!desc) {
        json_object_put(resp);
        return fv_error_set(err, FV_E_PARSE,
                            "dynamodb DescribeContinuousBackups: no ContinuousBackupsDescription");
    }
    struct json_object *v = fv_json_get(desc, "ContinuousBackupsStatus");
    out->continuous_backups_enabled = v && strcmp(json_object_get_string(v), "ENABLED") == 0;
    v = fv_json_get(pitr, "PointInTimeRecoveryStatus");
    out->pitr_enabled = v && strcmp(json_object_get_string(v), "ENABLED") == 0;
    const char *op = "DescribeContinuousBackups";
    st = fv_json_time_ms(pitr, "EarliestRestorableDateTime", "dynamodb", op,
                         &out->earliest_restorable_ms, err);
    if (st == FV_OK)
        st = fv_json_time_ms(pitr, "LatestRestorableDateTime", "dynamodb", op,
                             &out->latest_restorable_ms, err);
    json_object_put(resp);
    return st;
}

/* --- Items --- */

bool fv_dynamodb_is_conditional_failure(const struct fv_error *err)
{
    return err && err->status == FV_E_AWS &&
           strcmp(err->code, "ConditionalCheckFailedException") == 0;
}

static void s_add_expr(struct json_object *in, const struct fv_dynamodb_expr *expr)
{
    if (!expr)
        return;
    fv_json_add_str(in, "ConditionExpression", expr->condition);
    fv_json_add_str(in, "UpdateExpression", expr->update);
    s_add_ref(in, "ExpressionAttributeNames", expr->names);
    s_add_ref(in, "ExpressionAttributeValues", expr->values);
}

fv_status fv_dynamodb_put_item(struct fv_aws_client *c, const char *table, struct json_object *item,
                               const struct fv_dynamodb_expr *expr, struct fv_error *err)
{
    if (!item)
        return fv_error_set(err, FV_E_INVALID, "dynamodb PutItem: no item");
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "TableName", table);
    s_add_ref(in, "Item", item);
    s_add_expr(in, expr);
    fv_status st = s_call(c, "PutItem", in, NULL, err);
    json_object_put(in);
    return st;
}

fv_status fv_dynamodb_get_item(struct fv_aws_client *c, const char *table, struct json_object *key,
                               bool consistent, struct json_object **item_out, struct fv_error *err)
{
    *item_out = NULL;
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "TableName", table);
    s_add_ref(in, "Key", key);
    if (consistent)
        json_object_object_add(in, "ConsistentRead", json_object_new_boolean(1));
    struct json_object *resp = NULL;
    /* A missing table stays FV_E_AWS (ResourceNotFoundException): only a
     * missing item is FV_E_NOTFOUND. */
    fv_status st = s_call(c, "GetItem", in, &resp, err);
    json_object_put(in);
    if (st != FV_OK)
        return st;
    struct json_object *item = fv_json_get(resp, "Item");
    if (item && json_object_is_type(item, json_type_object))
        *item_out = json_object_get(item);
    json_object_put(resp);
    if (!*item_out)
        return fv_error_set(err, FV_E_NOTFOUND, "dynamodb GetItem: no such item in %s", table);
    return FV_OK;
}

fv_status fv_dynamodb_update_item(struct fv_aws_client *c, const char *table,
                                  struct json_object *key, const struct fv_dynamodb_expr *expr,
                                  const char *return_values, struct json_object **attributes_out,
                                  struct fv_error *err)
{
    if (attributes_out)
        *attributes_out = NULL;
    if (!expr || !expr->update)
        return fv_error_set(err, FV_E_INVALID, "dynamodb UpdateItem: no update expression");
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "TableName", table);
    s_add_ref(in, "Key", key);
    s_add_expr(in, expr);
    fv_json_add_str(in, "ReturnValues", return_values);
    struct json_object *resp = NULL;
    fv_status st = s_call(c, "UpdateItem", in, &resp, err);
    json_object_put(in);
    if (st == FV_OK && attributes_out) {
        struct json_object *attrs = fv_json_get(resp, "Attributes");
        *attributes_out = attrs ? json_object_get(attrs) : NULL;
    }
    json_object_put(resp);
    return st;
}

fv_status fv_dynamodb_delete_item(struct fv_aws_client *c, const char *table,
                                  struct json_object *key, const struct fv_dynamodb_expr *expr,
                                  struct fv_error *err)
{
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "TableName", table);
    s_add_ref(in, "Key", key);
    s_add_expr(in, expr);
    fv_status st = s_call(c, "DeleteItem", in, NULL, err);
    json_object_put(in);
    return st;
}

fv_status fv_dynamodb_batch_write(struct fv_aws_client *c, struct json_object *request_items,
                                  struct json_object **unprocessed_out, struct fv_error *err)
{
    *unprocessed_out = NULL;
    if (!request_items || !json_object_is_type(request_items, json_type_object))
        return fv_error_set(err, FV_E_INVALID, "dynamodb BatchWriteItem: no RequestItems object");
    size_t total = 0;
    json_object_object_foreach(request_items, table, requests)
    {
        if (!json_object_is_type(requests, json_type_array))
            return fv_error_set(err, FV_E_INVALID,
                                "dynamodb BatchWriteItem: requests for %s are not an array", table);
        total += json_object_array_length(requests);
    }
    if (total == 0 || total > FV_DYNAMODB_BATCH_WRITE_MAX)
        return fv_error_set(err, FV_E_INVALID,
                            "dynamodb BatchWriteItem: %zu requests (1..%d a call)", total,
                            FV_DYNAMODB_BATCH_WRITE_MAX);
    struct json_object *in = json_object_new_object();
    s_add_ref(in, "RequestItems", request_items);
    struct json_object *resp = NULL;
    fv_status st = s_call(c, "BatchWriteItem", in, &resp, err);
    json_object_put(in);
    if (st != FV_OK)
        return st;
    struct json_object *left = fv_json_get(resp, "UnprocessedItems");
    if (left && json_object_is_type(left, json_type_object) && json_object_object_length(left) > 0)
        *unprocessed_out = json_object_get(left);
    json_object_put(resp);
    return FV_OK;
}

fv_status fv_dynamodb_batch_get(struct fv_aws_client *c, struct json_object *request_items,
                                struct json_object **responses_out,
                                struct json_object **unprocessed_out, struct fv_error *err)
{
    *responses_out = NULL;
    *unprocessed_out = NULL;
    if (!request_items || !json_object_is_type(request_items, json_type_object))
        return fv_error_set(err, FV_E_INVALID, "dynamodb BatchGetItem: no RequestItems object");
    size_t total = 0;
    json_object_object_foreach(request_items, table, req)
    {
        struct json_object *keys = fv_json_get(req, "Keys");
        if (!keys || !json_object_is_type(keys, json_type_array))
            return fv_error_set(err, FV_E_INVALID, "dynamodb BatchGetItem: no Keys array for %s",
                                table);
        total += json_object_array_length(keys);
    }
    if (total == 0 || total > FV_DYNAMODB_BATCH_GET_MAX)
        return fv_error_set(err, FV_E_INVALID, "dynamodb BatchGetItem: %zu keys (1..%d a call)",
                            total, FV_DYNAMODB_BATCH_GET_MAX);
    struct json_object *in = json_object_new_object();
    s_add_ref(in, "RequestItems", request_items);
    struct json_object *resp = NULL;
    fv_status st = s_call(c, "BatchGetItem", in, &resp, err);
    json_object_put(in);
    if (st != FV_OK)
        return st;
    struct json_object *found = fv_json_get(resp, "Responses");
    *responses_out = found && json_object_is_type(found, json_type_object)
                         ? json_object_get(found)
                         : json_object_new_object();
    struct json_object *left = fv_json_get(resp, "UnprocessedKeys");
    if (left && json_object_is_type(left, json_type_object) && json_object_object_length(left) > 0)
        *unprocessed_out = json_object_get(left);
    json_object_put(resp);
    return FV_OK;
}

fv_status fv_dynamodb_transact_write(struct fv_aws_client *c, struct json_object *transact_items,
                                     struct fv_error *err)
{
    if (!transact_items || !json_object_is_type(transact_items, json_type_array) ||
        json_object_array_length(transact_items) == 0 ||
        json_object_array_length(transact_items) > FV_DYNAMODB_TRANSACT_MAX)
        return fv_error_set(err, FV_E_INVALID,
                            "dynamodb TransactWriteItems: 1..%d items in an array",
                            FV_DYNAMODB_TRANSACT_MAX);
    struct json_object *in = json_object_new_object();
    s_add_ref(in, "TransactItems", transact_items);
    fv_status st = s_call(c, "TransactWriteItems", in, NULL, err);
    json_object_put(in);
    return st;
}

bool fv_dynamodb_is_transaction_cancelled(const struct fv_error *err)
{
    return err && err->status == FV_E_AWS && strcmp(err->code, "TransactionCanceledException") == 0;
}

void fv_dynamodb_page_clean_up(struct fv_dynamodb_page *p)
{
    if (!p)
        return;
    json_object_put(p->items);
    free(p->next);
    memset(p, 0, sizeof(*p));
}

fv_status fv_dynamodb_read_page(struct fv_aws_client *c, const struct fv_dynamodb_read *req,
                                const char *start_key, struct fv_dynamodb_page *out,
                                struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *op = req->key_condition ? "Query" : "Scan";
    struct json_object *start = NULL;
    if (start_key) {
        start = json_tokener_parse(start_key);
        if (!start || !json_object_is_type(start, json_type_object)) {
            json_object_put(start);
            return fv_error_set(err, FV_E_INVALID, "dynamodb %s: start key is not a JSON object",
                                op);
        }
    }
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "TableName", req->table);
    fv_json_add_str(in, "IndexName", req->index);
    fv_json_add_str(in, "KeyConditionExpression", req->key_condition);
    fv_json_add_str(in, "FilterExpression", req->filter);
    fv_json_add_str(in, "ProjectionExpression", req->projection);
    s_add_ref(in, "ExpressionAttributeNames", req->names);
    s_add_ref(in, "ExpressionAttributeValues", req->values);
    if (req->limit > 0)
        json_object_object_add(in, "Limit", json_object_new_int(req->limit));
    if (req->consistent)
        json_object_object_add(in, "ConsistentRead", json_object_new_boolean(1));
    if (req->key_condition && req->descending)
        json_object_object_add(in, "ScanIndexForward", json_object_new_boolean(0));
    if (start)
        json_object_object_add(in, "ExclusiveStartKey", start);

    struct json_object *resp = NULL;
    fv_status st = fv_ddb_notfound(s_call(c, op, in, &resp, err), err);
    json_object_put(in);
    if (st != FV_OK)
        return st;
    struct json_object *items = fv_json_get(resp, "Items");
    out->items = items && json_object_is_type(items, json_type_array) ? json_object_get(items)
                                                                      : json_object_new_array();
    out->scanned_count = fv_json_i64(resp, "ScannedCount", 0);
    out->next = fv_page_token_json(resp, "LastEvaluatedKey");
    json_object_put(resp);
    return FV_OK;
}

struct s_active {
    struct fv_aws_client *c;
    const char *table;
    struct fv_dynamodb_table *t;
};

static fv_status s_active(void *ud, bool *done, struct fv_error *err)
{
    struct s_active *p = ud;
    fv_dynamodb_table_clean_up(p->t);
    fv_status st = fv_dynamodb_describe_table(p->c, p->table, p->t, err);
    *done = st == FV_OK && p->t->status && strcmp(p->t->status, "ACTIVE") == 0;
    return st;
}

fv_status fv_dynamodb_ensure_table(struct fv_aws_client *c, const char *table, const char *hash_key,
                                   int wait_s, struct fv_error *err)
{
    struct fv_dynamodb_table t = {0};
    fv_status st = fv_dynamodb_describe_table(c, table, &t, err);
    if (st == FV_E_NOTFOUND) {
        struct json_object *req = json_object_new_object();
        json_object_object_add(req, "TableName", json_object_new_string(table));
        json_object_object_add(req, "BillingMode", json_object_new_string("PAY_PER_REQUEST"));
        struct json_object *ad = json_object_new_array(), *a = json_object_new_object();
        json_object_object_add(a, "AttributeName", json_object_new_string(hash_key));
        json_object_object_add(a, "AttributeType", json_object_new_string("S"));
        json_object_array_add(ad, a);
        json_object_object_add(req, "AttributeDefinitions", ad);
        struct json_object *ks = json_object_new_array(), *k = json_object_new_object();
        json_object_object_add(k, "AttributeName", json_object_new_string(hash_key));
        json_object_object_add(k, "KeyType", json_object_new_string("HASH"));
        json_object_array_add(ks, k);
        json_object_object_add(req, "KeySchema", ks);
        fv_dynamodb_table_clean_up(&t);
        st = fv_dynamodb_create_table(c, req, &t, err);
        json_object_put(req);
        if (st != FV_OK && err && strcmp(err->code, "ResourceInUseException") == 0)
            st = FV_OK; /* another process created it first */
    }
    /* Until ACTIVE: moto is immediate; AWS takes seconds. */
    struct s_active p = {c, table, &t};
    struct fv_wait w = {
        .timeout_ms = (int64_t)wait_s * 1000, .first_pause_ms = 1000, .max_pause_ms = 1000};
    if (st == FV_OK)
        st = fv_wait_until(&w, s_active, &p, NULL, err);
    if (st == FV_E_TIMEOUT)
        fv_error_set(err, st, "table %s not ACTIVE after %d s (it is %s)", table, wait_s,
                     t.status ? t.status : "not described");
    fv_dynamodb_table_clean_up(&t);
    return st;
}

/* --- Time to live --- */

fv_status fv_dynamodb_describe_ttl(struct fv_aws_client *c, const char *table, char **status,
                                   char **attribute, struct fv_error *err)
{
    struct json_object *in = json_object_new_object(), *out = NULL;
    fv_json_add_str(in, "TableName", table);
    *status = *attribute = NULL;
    fv_status st = fv_ddb_notfound(s_call(c, "DescribeTimeToLive", in, &out, err), err);
    json_object_put(in);
    if (st == FV_OK) {
        struct json_object *d = fv_json_get(out, "TimeToLiveDescription");
        *status = fv_json_str(d, "TimeToLiveStatus");
        *attribute = fv_json_str(d, "AttributeName");
        if (!*status)
            st = fv_error_set(err, FV_E_PARSE,
                              "dynamodb DescribeTimeToLive: no TimeToLiveStatus for %s", table);
    }
    json_object_put(out);
    return st;
}

fv_status fv_dynamodb_enable_ttl(struct fv_aws_client *c, const char *table, const char *attribute,
                                 struct fv_error *err)
{
    struct json_object *in = json_object_new_object(), *spec = json_object_new_object(),
                       *out = NULL;
    fv_json_add_str(in, "TableName", table);
    json_object_object_add(spec, "Enabled", json_object_new_boolean(true));
    fv_json_add_str(spec, "AttributeName", attribute);
    json_object_object_add(in, "TimeToLiveSpecification", spec);
    fv_status st = fv_ddb_notfound(s_call(c, "UpdateTimeToLive", in, &out, err), err);
    json_object_put(in);
    json_object_put(out);
    return st;
}

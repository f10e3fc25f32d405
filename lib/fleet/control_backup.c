/* The control table's backup records (fv/control.h): what fleetvault
 * created, so that retention deletes nothing else. */
#include "aws/dynamodb_internal.h"

#include <fv/control.h>
#include <fv/dynamodb.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define S_PK_PREFIX "backup#"
/* BatchGetItem calls for one chunk before giving up on its unprocessed keys. */
#define S_GET_ATTEMPTS 8

static void s_put_str(struct json_object *item, const char *attr, const char *v)
{
    json_object_object_add(item, attr, fv_ddb_attr_s(v ? v : ""));
}

static struct json_object *s_key(const char *arn)
{
    struct fv_buf pk = {0};
    fv_buf_printf(&pk, S_PK_PREFIX "%s", arn);
    struct json_object *k = json_object_new_object();
    s_put_str(k, "pk", pk.ptr);
    fv_buf_clean_up(&pk);
    return k;
}

void fv_control_backup_clean_up(struct fv_control_backup *b)
{
    if (!b)
        return;
    free(b->arn);
    free(b->job);
    free(b->account);
    free(b->region);
    free(b->table);
    free(b->run_id);
    memset(b, 0, sizeof(*b));
}

fv_status fv_control_backup_put(struct fv_aws_client *c, const char *table,
                                const struct fv_control_backup *b, struct fv_error *err)
{
    struct json_object *item = s_key(b->arn);
    s_put_str(item, "backup_arn", b->arn);
    s_put_str(item, "job", b->job);
    s_put_str(item, "account", b->account);
    s_put_str(item, "region", b->region);
    s_put_str(item, "table", b->table);
    s_put_str(item, "run_id", b->run_id);
    json_object_object_add(item, "created_ms", fv_ddb_attr_n(b->created_ms));
    fv_status st = fv_dynamodb_put_item(c, table, item, NULL, err);
    json_object_put(item);
    return st;
}

static char *s_attr(struct json_object *item, const char *attr)
{
    const char *v = fv_control_item_str(item, attr);
    return v ? fv_strdup(v) : NULL;
}

/* Files each returned item under its ARN's index. */
static void s_take(struct json_object *items, const char *const *arns, size_t from, size_t to,
                   struct fv_control_backup *out)
{
    size_t n = items ? json_object_array_length(items) : 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *it = json_object_array_get_idx(items, i);
        const char *arn = fv_control_item_str(it, "backup_arn");
        for (size_t k = from; arn && k < to; k++) {
            if (out[k].arn || strcmp(arns[k], arn) != 0)
                continue;
            out[k].arn = fv_strdup(arn);
            out[k].job = s_attr(it, "job");
            out[k].account = s_attr(it, "account");
            out[k].region = s_attr(it, "region");
            out[k].table = s_attr(it, "table");
            out[k].run_id = s_attr(it, "run_id");
            const char *ms = fv_control_item_str(it, "created_ms");
            if (!ms || !fv_parse_i64(ms, &out[k].created_ms))
                out[k].created_ms = 0;
        }
    }
}

fv_status fv_control_backup_get(struct fv_aws_client *c, const char *table,
                                const struct fv_clock *clock, const char *const *arns, size_t n,
                                struct fv_control_backup *out, struct fv_error *err)
{
    fv_status st = FV_OK;
    for (size_t i = 0; st == FV_OK && i < n; i += FV_DYNAMODB_BATCH_GET_MAX) {
        size_t to = i + FV_DYNAMODB_BATCH_GET_MAX < n ? i + FV_DYNAMODB_BATCH_GET_MAX : n;
        struct json_object *keys = json_object_new_array();
        for (size_t k = i; k < to; k++) {
            bool dup = false; /* BatchGetItem refuses a key twice */
            for (size_t j = i; j < k && !dup; j++)
                dup = strcmp(arns[j], arns[k]) == 0;
            if (!dup)
                json_object_array_add(keys, s_key(arns[k]));
        }
        struct json_object *req = json_object_new_object();
        json_object_object_add(req, "Keys", keys);
        json_object_object_add(req, "ConsistentRead", json_object_new_boolean(1));
        struct json_object *batch = json_object_new_object();
        json_object_object_add(batch, table, req);
        for (int attempt = 0; batch; attempt++) {
            struct json_object *found = NULL, *left = NULL;
            st = fv_dynamodb_batch_get(c, batch, &found, &left, err);
            json_object_put(batch);
            batch = NULL;
            if (st == FV_E_AWS && err && strcmp(err->code, "ResourceNotFoundException") == 0)
                return FV_OK; /* no control table yet (a first dry run): no records */
            if (st == FV_OK)
                s_take(json_object_object_get(found, table), arns, i, to, out);
            json_object_put(found);
            if (st == FV_OK && left && attempt + 1 >= S_GET_ATTEMPTS) {
                st = fv_error_set(err, FV_E_AWS,
                                  "control table %s: backup records still unprocessed after %d "
                                  "BatchGetItem calls",
                                  table, attempt + 1);
                if (err)
                    err->retryable = true;
            } else if (st == FV_OK && left) {
                clock->sleep_ms(clock->ud, 50LL << attempt); /* as AWS asks */
                batch = json_object_get(left);
            }
            json_object_put(left);
        }
    }
    return st;
}

fv_status fv_control_backup_forget(struct fv_aws_client *c, const char *table, const char *arn,
                                   struct fv_error *err)
{
    struct json_object *key = s_key(arn);
    fv_status st = fv_dynamodb_delete_item(c, table, key, NULL, err);
    json_object_put(key);
    return st;
}

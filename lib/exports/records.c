/* Records of the exports fleetvault made (fv/export_records.h). */
#include <fv/control.h>
#include <fv/export_records.h>
#include <fv/log.h>
#include <fv/naming.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LIST_ATTR "exports"
/* BatchGetItem calls for one chunk before giving up on its unprocessed keys. */
#define S_GET_ATTEMPTS 8

void fv_export_record_clean_up(struct fv_export_record *r)
{
    if (!r)
        return;
    free(r->job);
    free(r->account);
    free(r->region);
    free(r->table);
    free(r->export_arn);
    free(r->bucket);
    free(r->prefix);
    memset(r, 0, sizeof(*r));
}

void fv_export_records_clean_up(struct fv_export_records *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        fv_export_record_clean_up(&l->items[i]);
    free(l->items);
    for (size_t i = 0; i < l->n_dangling; i++)
        free(l->dangling[i]);
    free(l->dangling);
    memset(l, 0, sizeof(*l));
}

static void s_put(struct json_object *item, const char *attr, const char *type, const char *v)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, type, json_object_new_string(v ? v : ""));
    json_object_object_add(item, attr, o);
}

static void s_put_num(struct json_object *item, const char *attr, int64_t v)
{
    char n[32];
    snprintf(n, sizeof(n), "%lld", (long long)v);
    s_put(item, attr, "N", n);
}

static struct json_object *s_key_of(const struct fv_buf *pk)
{
    struct json_object *k = json_object_new_object();
    s_put(k, "pk", "S", pk->ptr);
    return k;
}

static struct json_object *s_record_key(const struct fv_export_key *key, const char *id)
{
    struct fv_buf pk = {0};
    fv_name_export_record_pk(key->job, key->account, key->region, key->table, id, &pk);
    struct json_object *k = s_key_of(&pk);
    fv_buf_clean_up(&pk);
    return k;
}

static struct json_object *s_list_key(const struct fv_export_key *key)
{
    struct fv_buf pk = {0};
    fv_name_export_records_pk(key->job, key->account, key->region, key->table, &pk);
    struct json_object *k = s_key_of(&pk);
    fv_buf_clean_up(&pk);
    return k;
}

/* ADD or DELETE id in the table's list. */
static fv_status s_list_update(struct fv_aws_client *central, const char *control_table,
                               const struct fv_export_key *key, const char *op, const char *id,
                               struct fv_error *err)
{
    struct json_object *k = s_list_key(key);
    struct json_object *names = json_object_new_object();
    json_object_object_add(names, "#e", json_object_new_string(S_LIST_ATTR));
    struct json_object *set = json_object_new_array();
    json_object_array_add(set, json_object_new_string(id));
    struct json_object *ss = json_object_new_object();
    json_object_object_add(ss, "SS", set);
    struct json_object *values = json_object_new_object();
    json_object_object_add(values, ":i", ss);
    char update[32];
    snprintf(update, sizeof(update), "%s #e :i", op);
    struct fv_dynamodb_expr expr = {.update = update, .names = names, .values = values};
    fv_status st = fv_dynamodb_update_item(central, control_table, k, &expr, NULL, NULL, err);
    json_object_put(k);
    json_object_put(names);
    json_object_put(values);
    return st;
}

fv_status fv_export_record_put(struct fv_aws_client *central, const char *control_table,
                               const struct fv_export_record *r, bool list, struct fv_error *err)
{
    const char *id = fv_name_export_id(r->export_arn);
    if (!id)
        return fv_error_set(err, FV_E_INVALID, "export record: no export id in ARN '%s'",
                            r->export_arn ? r->export_arn : "");
    struct fv_export_key key = {r->job, r->account, r->region, r->table};
    struct json_object *item = s_record_key(&key, id);
    s_put(item, "export_arn", "S", r->export_arn);
    s_put(item, "job", "S", r->job);
    s_put(item, "account", "S", r->account);
    s_put(item, "region", "S", r->region);
    s_put(item, "table", "S", r->table);
    s_put(item, "export_type", "S", r->incremental ? "INCREMENTAL" : "FULL");
    s_put_num(item, "time_ms", r->time_ms);
    s_put(item, "bucket", "S", r->bucket);
    s_put(item, "prefix", "S", r->prefix);
    s_put(item, "in_chain", "S", r->in_chain ? "true" : "false");
    s_put_num(item, "recorded_ms", r->recorded_ms);
    fv_status st = fv_dynamodb_put_item(central, control_table, item, NULL, err);
    json_object_put(item);
    if (st != FV_OK || !list)
        return st;
    st = s_list_update(central, control_table, &key, "ADD", id, err);
    if (st == FV_E_AWS && err && strcmp(err->code, "ValidationException") == 0) {
        /* The list is full (400 KB: ~15,000 ids): the record stays, unlisted,
         * so retention never deletes it; the export goes on. */
        FV_LOG(FV_LOG_WARN, "exports",
               "table %s (job %s, account %s, region %s): export %s recorded but not listed "
               "(%s): retention will not delete it; set full_export_every_days so old chains go",
               r->table, r->job, r->account, r->region, r->export_arn, err->message);
        return FV_OK;
    }
    return st;
}

/* The record in item, if it is one of key's table (a record filed under
 * another table's list is not this table's). */
static bool s_parse(struct json_object *item, const struct fv_export_key *key,
                    struct fv_export_record *out)
{
    const char *job = fv_control_item_str(item, "job");
    const char *account = fv_control_item_str(item, "account");
    const char *region = fv_control_item_str(item, "region");
    const char *table = fv_control_item_str(item, "table");
    const char *arn = fv_control_item_str(item, "export_arn");
    const char *type = fv_control_item_str(item, "export_type");
    const char *time = fv_control_item_str(item, "time_ms");
    int64_t t = 0;
    if (!job || !account || !region || !table || !arn || !type || !time ||
        !fv_parse_i64(time, &t) || strcmp(job, key->job) != 0 ||
        strcmp(account, key->account) != 0 || strcmp(region, key->region) != 0 ||
        strcmp(table, key->table) != 0)
        return false;
    memset(out, 0, sizeof(*out));
    out->job = fv_strdup(job);
    out->account = fv_strdup(account);
    out->region = fv_strdup(region);
    out->table = fv_strdup(table);
    out->export_arn = fv_strdup(arn);
    out->incremental = strcmp(type, "INCREMENTAL") == 0;
    out->time_ms = t;
    out->bucket = fv_strdup(fv_control_item_str(item, "bucket"));
    out->prefix = fv_strdup(fv_control_item_str(item, "prefix"));
    const char *in_chain = fv_control_item_str(item, "in_chain");
    out->in_chain = in_chain && strcmp(in_chain, "true") == 0;
    const char *ms = fv_control_item_str(item, "recorded_ms");
    if (!ms || !fv_parse_i64(ms, &out->recorded_ms))
        out->recorded_ms = 0;
    return true;
}

/* BatchGetItem of ids[from, to) into found[] (by index; NULL: no item). */
static fv_status s_get_chunk(struct fv_aws_client *central, const char *control_table,
                             const struct fv_clock *clock, const struct fv_export_key *key,
                             char **ids, size_t from, size_t to, struct json_object **found,
                             struct fv_error *err)
{
    struct json_object *keys = json_object_new_array();
    for (size_t i = from; i < to; i++)
        json_object_array_add(keys, s_record_key(key, ids[i]));
    struct json_object *req = json_object_new_object();
    json_object_object_add(req, "Keys", keys);
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(1));
    struct json_object *batch = json_object_new_object();
    json_object_object_add(batch, control_table, req);
    fv_status st = FV_OK;
    for (int attempt = 0; batch && st == FV_OK; attempt++) {
        struct json_object *got = NULL, *left = NULL;
        st = fv_dynamodb_batch_get(central, batch, &got, &left, err);
        json_object_put(batch);
        batch = NULL;
        struct json_object *items = st == FV_OK ? json_object_object_get(got, control_table) : NULL;
        size_t n = items ? json_object_array_length(items) : 0;
        for (size_t k = 0; k < n; k++) {
            struct json_object *it = json_object_array_get_idx(items, k);
            const char *pk = fv_control_item_str(it, "pk");
            const char *id = pk ? strrchr(pk, '#') : NULL;
            for (size_t i = from; id && i < to; i++)
                if (!found[i] && strcmp(ids[i], id + 1) == 0)
                    found[i] = json_object_get(it);
        }
        json_object_put(got);
        if (st == FV_OK && left && attempt + 1 >= S_GET_ATTEMPTS) {
            st = fv_error_set(err, FV_E_AWS,
                              "control table %s: export records still unprocessed after %d "
                              "BatchGetItem calls",
                              control_table, attempt + 1);
            if (err)
                err->retryable = true;
        } else if (st == FV_OK && left) {
            clock->sleep_ms(clock->ud, 50LL << attempt);
            batch = json_object_get(left);
        }
        json_object_put(left);
    }
    json_object_put(batch);
    return st;
}

fv_status fv_export_records_list(struct fv_aws_client *central, const char *control_table,
                                 const struct fv_clock *clock, const struct fv_export_key *key,
                                 struct fv_export_records *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct json_object *k = s_list_key(key), *list = NULL;
    fv_status st = fv_dynamodb_get_item(central, control_table, k, true, &list, err);
    json_object_put(k);
    if (st == FV_E_NOTFOUND ||
        (st == FV_E_AWS && err && strcmp(err->code, "ResourceNotFoundException") == 0))
        return FV_OK; /* nothing recorded yet */
    if (st != FV_OK)
        return st;
    struct json_object *attr = NULL, *ss = NULL;
    size_t n = 0;
    if (json_object_object_get_ex(list, S_LIST_ATTR, &attr) &&
        json_object_object_get_ex(attr, "SS", &ss) && json_object_is_type(ss, json_type_array))
        n = json_object_array_length(ss);
    char **ids = fv_calloc(n ? n : 1, sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = fv_strdup(json_object_get_string(json_object_array_get_idx(ss, i)));
    json_object_put(list);
    struct json_object **found = fv_calloc(n ? n : 1, sizeof(*found));
    for (size_t i = 0; st == FV_OK && i < n; i += FV_DYNAMODB_BATCH_GET_MAX) {
        size_t to = i + FV_DYNAMODB_BATCH_GET_MAX < n ? i + FV_DYNAMODB_BATCH_GET_MAX : n;
        st = s_get_chunk(central, control_table, clock, key, ids, i, to, found, err);
    }
    out->items = fv_calloc(n ? n : 1, sizeof(*out->items));
    out->dangling = fv_calloc(n ? n : 1, sizeof(*out->dangling));
    for (size_t i = 0; st == FV_OK && i < n; i++) {
        if (found[i] && s_parse(found[i], key, &out->items[out->n]))
            out->n++;
        else if (!found[i])
            out->dangling[out->n_dangling++] = fv_strdup(ids[i]);
    }
    for (size_t i = 0; i < n; i++) {
        json_object_put(found[i]);
        free(ids[i]);
    }
    free(found);
    free(ids);
    if (st != FV_OK)
        fv_export_records_clean_up(out);
    return st;
}

fv_status fv_export_record_forget(struct fv_aws_client *central, const char *control_table,
                                  const struct fv_export_key *key, const char *export_id,
                                  struct fv_error *err)
{
    struct json_object *k = s_record_key(key, export_id);
    fv_status st = fv_dynamodb_delete_item(central, control_table, k, NULL, err);
    json_object_put(k);
    if (st == FV_OK)
        st = s_list_update(central, control_table, key, "DELETE", export_id, err);
    return st;
}

/* The control table: lease, runs, task claims. */
#include <fv/control.h>
#include <fv/dynamodb.h>
#include <fv/log.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct json_object *s_str(const char *v)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "S", json_object_new_string(v));
    return o;
}

static struct json_object *s_num(int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "N", json_object_new_string(buf));
    return o;
}

static struct json_object *s_key(const char *pk)
{
    struct json_object *k = json_object_new_object();
    json_object_object_add(k, "pk", s_str(pk));
    return k;
}

const char *fv_control_item_str(struct json_object *item, const char *attr)
{
    struct json_object *a = NULL, *s = NULL;
    if (item && json_object_object_get_ex(item, attr, &a) && a &&
        (json_object_object_get_ex(a, "S", &s) || json_object_object_get_ex(a, "N", &s)))
        return json_object_get_string(s);
    return NULL;
}

fv_status fv_control_ensure_table(struct fv_aws_client *c, const char *table, struct fv_error *err)
{
    return fv_dynamodb_ensure_table(c, table, "pk", 120, err);
}

fv_status fv_control_claim(struct fv_aws_client *c, const char *table, const char *task_id,
                           const char *worker, bool *fresh, struct json_object **item_out,
                           struct fv_error *err)
{
    char pk[80];
    snprintf(pk, sizeof(pk), "task#%s", task_id);
    struct json_object *item = s_key(pk);
    json_object_object_add(item, "worker", s_str(worker));
    json_object_object_add(item, "claimed_ms", s_num((int64_t)time(NULL) * 1000));
    struct fv_dynamodb_expr expr = {.condition = "attribute_not_exists(pk)"};
    *fresh = false;
    if (item_out)
        *item_out = NULL;
    fv_status st = fv_dynamodb_put_item(c, table, item, &expr, err);
    json_object_put(item);
    if (st == FV_OK) {
        *fresh = true;
        return FV_OK;
    }
    if (!fv_dynamodb_is_conditional_failure(err))
        return st;
    struct json_object *key = s_key(pk);
    struct json_object *existing = NULL;
    st = fv_dynamodb_get_item(c, table, key, true, &existing, err);
    json_object_put(key);
    if (st == FV_E_NOTFOUND) /* released between the two calls: treat as ours */
        st = FV_OK;
    if (item_out)
        *item_out = existing;
    else
        json_object_put(existing);
    return st;
}

fv_status fv_control_note(struct fv_aws_client *c, const char *table, const char *task_id,
                          const char *attr, const char *value, struct fv_error *err)
{
    char pk[80];
    snprintf(pk, sizeof(pk), "task#%s", task_id);
    struct json_object *key = s_key(pk);
    struct json_object *names = json_object_new_object();
    json_object_object_add(names, "#a", json_object_new_string(attr));
    struct json_object *values = json_object_new_object();
    json_object_object_add(values, ":v", s_str(value));
    struct fv_dynamodb_expr expr = {.update = "SET #a = :v", .names = names, .values = values};
    fv_status st = fv_dynamodb_update_item(c, table, key, &expr, NULL, NULL, err);
    json_object_put(key);
    json_object_put(names);
    json_object_put(values);
    return st;
}

fv_status fv_control_lease(struct fv_aws_client *c, const char *table, const char *name,
                           const char *holder, int64_t now_s, int64_t ttl_s, bool *got,
                           char **held_by, struct fv_error *err)
{
    char pk[128];
    snprintf(pk, sizeof(pk), "lease#%s", name);
    struct json_object *item = s_key(pk);
    json_object_object_add(item, "holder", s_str(holder));
    json_object_object_add(item, "expires", s_num(now_s + ttl_s));
    struct json_object *values = json_object_new_object();
    json_object_object_add(values, ":now", s_num(now_s));
    json_object_object_add(values, ":me", s_str(holder));
    struct fv_dynamodb_expr expr = {
        .condition = "attribute_not_exists(pk) OR expires < :now OR holder = :me",
        .values = values};
    *got = false;
    *held_by = NULL;
    fv_status st = fv_dynamodb_put_item(c, table, item, &expr, err);
    json_object_put(item);
    json_object_put(values);
    if (st == FV_OK) {
        *got = true;
        *held_by = fv_strdup(holder);
        return FV_OK;
    }
    if (!fv_dynamodb_is_conditional_failure(err))
        return st;
    struct json_object *key = s_key(pk), *cur = NULL;
    st = fv_dynamodb_get_item(c, table, key, true, &cur, err);
    json_object_put(key);
    if (st == FV_OK)
        *held_by = fv_strdup(fv_control_item_str(cur, "holder"));
    json_object_put(cur);
    return st == FV_E_NOTFOUND ? FV_OK : st;
}

fv_status fv_control_lease_release(struct fv_aws_client *c, const char *table, const char *name,
                                   const char *holder, struct fv_error *err)
{
    char pk[128];
    snprintf(pk, sizeof(pk), "lease#%s", name);
    struct json_object *key = s_key(pk);
    struct json_object *values = json_object_new_object();
    json_object_object_add(values, ":me", s_str(holder));
    struct fv_dynamodb_expr expr = {.condition = "holder = :me", .values = values};
    fv_status st = fv_dynamodb_delete_item(c, table, key, &expr, err);
    json_object_put(key);
    json_object_put(values);
    if (st != FV_OK && fv_dynamodb_is_conditional_failure(err))
        st = FV_OK; /* not ours any more: nothing to release */
    return st;
}

fv_status fv_control_run_put(struct fv_aws_client *c, const char *table, const char *run_id,
                             const char *job, const char *state, int64_t started_ms,
                             struct fv_error *err)
{
    char pk[200];
    snprintf(pk, sizeof(pk), "run#%s", run_id);
    struct json_object *item = s_key(pk);
    json_object_object_add(item, "job", s_str(job));
    json_object_object_add(item, "state", s_str(state));
    json_object_object_add(item, "run_id", s_str(run_id));
    json_object_object_add(item, "started_ms", s_num(started_ms));
    fv_status st = fv_dynamodb_put_item(c, table, item, NULL, err);
    json_object_put(item);
    if (st != FV_OK)
        return st;
    /* The job's pointer to its unfinished run, for a restarted coordinator. */
    snprintf(pk, sizeof(pk), "job#%s", job);
    item = s_key(pk);
    if (strcmp(state, "running") == 0) {
        json_object_object_add(item, "run_id", s_str(run_id));
        json_object_object_add(item, "started_ms", s_num(started_ms));
        st = fv_dynamodb_put_item(c, table, item, NULL, err);
    } else {
        struct json_object *values = json_object_new_object();
        json_object_object_add(values, ":r", s_str(run_id));
        struct fv_dynamodb_expr expr = {.condition = "run_id = :r", .values = values};
        st = fv_dynamodb_delete_item(c, table, item, &expr, err);
        if (st != FV_OK && fv_dynamodb_is_conditional_failure(err))
            st = FV_OK;
        json_object_put(values);
    }
    json_object_put(item);
    return st;
}

fv_status fv_control_run_unfinished(struct fv_aws_client *c, const char *table, const char *job,
                                    char **run_id_out, int64_t *started_ms_out,
                                    struct fv_error *err)
{
    char pk[200];
    snprintf(pk, sizeof(pk), "job#%s", job);
    struct json_object *key = s_key(pk), *item = NULL;
    *run_id_out = NULL;
    *started_ms_out = 0;
    fv_status st = fv_dynamodb_get_item(c, table, key, true, &item, err);
    json_object_put(key);
    if (st == FV_E_NOTFOUND)
        return FV_OK;
    if (st == FV_OK) {
        *run_id_out = fv_strdup(fv_control_item_str(item, "run_id"));
        const char *s = fv_control_item_str(item, "started_ms");
        int64_t v = 0;
        if (s && fv_parse_i64(s, &v))
            *started_ms_out = v;
    }
    json_object_put(item);
    return st;
}

fv_status fv_control_run_state(struct fv_aws_client *c, const char *table, const char *run_id,
                               char **state_out, struct fv_error *err)
{
    char pk[200];
    snprintf(pk, sizeof(pk), "run#%s", run_id);
    struct json_object *key = s_key(pk), *item = NULL;
    *state_out = NULL;
    fv_status st = fv_dynamodb_get_item(c, table, key, true, &item, err);
    json_object_put(key);
    if (st == FV_E_NOTFOUND)
        return FV_OK;
    if (st == FV_OK)
        *state_out = fv_strdup(fv_control_item_str(item, "state"));
    json_object_put(item);
    return st;
}

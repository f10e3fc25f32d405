/* The control table: lease, runs, task claims. */
#include "aws/dynamodb_internal.h"

#include <fv/control.h>
#include <fv/dynamodb.h>
#include <fv/log.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct json_object *s_key(const char *pk)
{
    struct json_object *k = json_object_new_object();
    json_object_object_add(k, "pk", fv_ddb_attr_s(pk));
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

int64_t fv_control_expiry_s(const struct fv_config *cfg, int64_t now_s)
{
    return now_s + cfg->control_ttl_days * 86400;
}

fv_status fv_control_ensure_table(struct fv_aws_client *c, const char *table, struct fv_error *err)
{
    fv_status st = fv_dynamodb_ensure_table(c, table, "pk", 120, err);
    char *status = NULL, *attr = NULL;
    if (st == FV_OK)
        st = fv_dynamodb_describe_ttl(c, table, &status, &attr, err);
    if (st != FV_OK)
        goto out;
    bool on = strcmp(status, "ENABLED") == 0 || strcmp(status, "ENABLING") == 0;
    if (on && attr && strcmp(attr, FV_CONTROL_TTL_ATTR) != 0)
        st = fv_error_set(err, FV_E_INVALID,
                          "control table %s: DynamoDB TTL is on attribute '%s', not '%s': "
                          "turn it off (only one attribute per table) and start again",
                          table, attr, FV_CONTROL_TTL_ATTR);
    else if (!on) {
        st = fv_dynamodb_enable_ttl(c, table, FV_CONTROL_TTL_ATTR, err);
        /* another process enabling it at the same moment */
        if (st != FV_OK && err && strstr(err->message, "already enabled"))
            st = FV_OK;
    }
out:
    free(status);
    free(attr);
    return st;
}

fv_status fv_control_claim(struct fv_aws_client *c, const char *table, const char *task_id,
                           const char *worker, int64_t expires_s, bool *fresh,
                           struct json_object **item_out, struct fv_error *err)
{
    char pk[80];
    snprintf(pk, sizeof(pk), "task#%s", task_id);
    struct json_object *item = s_key(pk);
    json_object_object_add(item, "worker", fv_ddb_attr_s(worker));
    json_object_object_add(item, "claimed_ms", fv_ddb_attr_n((int64_t)time(NULL) * 1000));
    json_object_object_add(item, FV_CONTROL_TTL_ATTR, fv_ddb_attr_n(expires_s));
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
    json_object_object_add(values, ":v", fv_ddb_attr_s(value));
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
    json_object_object_add(item, "holder", fv_ddb_attr_s(holder));
    json_object_object_add(item, "expires", fv_ddb_attr_n(now_s + ttl_s));
    struct json_object *values = json_object_new_object();
    json_object_object_add(values, ":now", fv_ddb_attr_n(now_s));
    json_object_object_add(values, ":me", fv_ddb_attr_s(holder));
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
    json_object_object_add(values, ":me", fv_ddb_attr_s(holder));
    struct fv_dynamodb_expr expr = {.condition = "holder = :me", .values = values};
    fv_status st = fv_dynamodb_delete_item(c, table, key, &expr, err);
    json_object_put(key);
    json_object_put(values);
    if (st != FV_OK && fv_dynamodb_is_conditional_failure(err))
        st = FV_OK; /* not ours any more: nothing to release */
    return st;
}

#define S_FENCED_CODE "LeaseLost"

bool fv_control_is_fenced_out(const struct fv_error *err)
{
    return err && err->status == FV_E_CANCELLED && strcmp(err->code, S_FENCED_CODE) == 0;
}

static struct json_object *s_lease_key(const char *name)
{
    char pk[128];
    snprintf(pk, sizeof(pk), "lease#%s", name);
    return s_key(pk);
}

/* :me and :tok, the values of the fence condition. */
static struct json_object *s_fence_values(const struct fv_control_fence *f)
{
    struct json_object *v = json_object_new_object();
    json_object_object_add(v, ":me", fv_ddb_attr_s(f->holder));
    json_object_object_add(v, ":tok", fv_ddb_attr_n(f->token));
    return v;
}

#define S_FENCE_CONDITION "holder = :me AND fence = :tok"

static fv_status s_fenced_out(const struct fv_control_fence *f, const char *holder, int64_t token,
                              struct fv_error *err)
{
    fv_status st =
        fv_error_set(err, FV_E_CANCELLED,
                     "lost the %s lease: %s holds it (token %lld, ours %lld); "
                     "nothing more is written",
                     f->name, holder ? holder : "nobody", (long long)token, (long long)f->token);
    if (err)
        snprintf(err->code, sizeof(err->code), "%s", S_FENCED_CODE);
    return st;
}

/* After a failed fenced write: FV_E_CANCELLED (fenced out) when the lease
 * is no longer f's, FV_OK when it still is (another condition failed). */
static fv_status s_still_ours(struct fv_aws_client *c, const struct fv_control_fence *f,
                              struct fv_error *err)
{
    struct json_object *key = s_lease_key(f->name), *cur = NULL;
    fv_status st = fv_dynamodb_get_item(c, f->table, key, true, &cur, err);
    json_object_put(key);
    if (st == FV_E_NOTFOUND)
        return s_fenced_out(f, NULL, 0, err);
    if (st != FV_OK)
        return st;
    const char *holder = fv_control_item_str(cur, "holder");
    const char *tok = fv_control_item_str(cur, "fence");
    int64_t token = 0;
    if (!tok || !fv_parse_i64(tok, &token) || token != f->token || !holder ||
        strcmp(holder, f->holder) != 0)
        st = s_fenced_out(f, holder, token, err);
    json_object_put(cur);
    return st;
}

fv_status fv_control_fence_acquire(struct fv_aws_client *c, struct fv_control_fence *f,
                                   int64_t now_s, int64_t ttl_s, bool *got, char **held_by,
                                   struct fv_error *err)
{
    struct json_object *key = s_lease_key(f->name);
    struct json_object *values = json_object_new_object();
    json_object_object_add(values, ":me", fv_ddb_attr_s(f->holder));
    json_object_object_add(values, ":now", fv_ddb_attr_n(now_s));
    json_object_object_add(values, ":exp", fv_ddb_attr_n(now_s + ttl_s));
    json_object_object_add(values, ":zero", fv_ddb_attr_n(0));
    json_object_object_add(values, ":one", fv_ddb_attr_n(1));
    struct fv_dynamodb_expr expr = {
        .update = "SET holder = :me, expires = :exp, fence = if_not_exists(fence, :zero) + :one",
        .condition = "attribute_not_exists(pk) OR expires < :now OR holder = :me",
        .values = values};
    struct json_object *attrs = NULL;
    *got = false;
    if (held_by)
        *held_by = NULL;
    fv_status st = fv_dynamodb_update_item(c, f->table, key, &expr, "ALL_NEW", &attrs, err);
    json_object_put(values);
    if (st == FV_OK) {
        const char *tok = fv_control_item_str(attrs, "fence");
        if (!tok || !fv_parse_i64(tok, &f->token))
            st = fv_error_set(err, FV_E_PARSE, "lease %s: no fence token in the answer", f->name);
        *got = st == FV_OK;
        if (held_by && *got)
            *held_by = fv_strdup(f->holder);
    } else if (fv_dynamodb_is_conditional_failure(err)) {
        struct json_object *cur = NULL;
        st = fv_dynamodb_get_item(c, f->table, key, true, &cur, err);
        if (st == FV_OK && held_by)
            *held_by = fv_strdup(fv_control_item_str(cur, "holder"));
        json_object_put(cur);
        if (st == FV_E_NOTFOUND)
            st = FV_OK;
    }
    json_object_put(attrs);
    json_object_put(key);
    return st;
}

/* SET expires = :exp on the lease, if it is still f's. */
static fv_status s_fence_set_expiry(struct fv_aws_client *c, const struct fv_control_fence *f,
                                    int64_t expires_s, struct fv_error *err)
{
    struct json_object *key = s_lease_key(f->name);
    struct json_object *values = s_fence_values(f);
    json_object_object_add(values, ":exp", fv_ddb_attr_n(expires_s));
    struct fv_dynamodb_expr expr = {
        .update = "SET expires = :exp", .condition = S_FENCE_CONDITION, .values = values};
    fv_status st = fv_dynamodb_update_item(c, f->table, key, &expr, NULL, NULL, err);
    json_object_put(key);
    json_object_put(values);
    if (st != FV_OK && fv_dynamodb_is_conditional_failure(err)) {
        st = s_still_ours(c, f, err);
        if (st == FV_OK) /* ours after all: the condition cannot have failed */
            st = fv_error_set(err, FV_E_AWS, "lease %s: renewal refused", f->name);
    }
    return st;
}

fv_status fv_control_fence_renew(struct fv_aws_client *c, const struct fv_control_fence *f,
                                 int64_t now_s, int64_t ttl_s, struct fv_error *err)
{
    return s_fence_set_expiry(c, f, now_s + ttl_s, err);
}

fv_status fv_control_fence_release(struct fv_aws_client *c, const struct fv_control_fence *f,
                                   struct fv_error *err)
{
    fv_status st = s_fence_set_expiry(c, f, 0, err);
    return fv_control_is_fenced_out(err) && st == FV_E_CANCELLED ? FV_OK : st;
}

/* {"ConditionCheck": lease is f's}: the first item of every fenced write. */
static struct json_object *s_fence_check(const struct fv_control_fence *f)
{
    struct json_object *cc = json_object_new_object();
    json_object_object_add(cc, "TableName", json_object_new_string(f->table));
    json_object_object_add(cc, "Key", s_lease_key(f->name));
    json_object_object_add(cc, "ConditionExpression", json_object_new_string(S_FENCE_CONDITION));
    json_object_object_add(cc, "ExpressionAttributeValues", s_fence_values(f));
    struct json_object *item = json_object_new_object();
    json_object_object_add(item, "ConditionCheck", cc);
    return item;
}

/* {"<op>": {"TableName": table, "<field>": value, ...}} (value owned). */
static struct json_object *s_tx_item(const char *op, const char *table, const char *field,
                                     struct json_object *value)
{
    struct json_object *body = json_object_new_object(), *item = json_object_new_object();
    json_object_object_add(body, "TableName", json_object_new_string(table));
    json_object_object_add(body, field, value);
    json_object_object_add(item, op, body);
    return item;
}

fv_status fv_control_run_put(struct fv_aws_client *c, const struct fv_control_fence *f,
                             const char *run_id, const char *job, const char *state,
                             int64_t started_ms, int64_t expires_s, struct fv_error *err)
{
    char pk[200];
    snprintf(pk, sizeof(pk), "run#%s", run_id);
    struct json_object *run = s_key(pk);
    json_object_object_add(run, "job", fv_ddb_attr_s(job));
    json_object_object_add(run, "state", fv_ddb_attr_s(state));
    json_object_object_add(run, "run_id", fv_ddb_attr_s(run_id));
    json_object_object_add(run, "started_ms", fv_ddb_attr_n(started_ms));
    json_object_object_add(run, "fence", fv_ddb_attr_n(f->token));
    json_object_object_add(run, FV_CONTROL_TTL_ATTR, fv_ddb_attr_n(expires_s));
    struct json_object *items = json_object_new_array();
    json_object_array_add(items, s_fence_check(f));
    json_object_array_add(items, s_tx_item("Put", f->table, "Item", run));
    /* The job's pointer to its unfinished run, for a restarted coordinator;
     * dropped at completion unless it points at another run. */
    snprintf(pk, sizeof(pk), "job#%s", job);
    bool running = strcmp(state, "running") == 0;
    if (running) {
        struct json_object *ptr = s_key(pk);
        json_object_object_add(ptr, "run_id", fv_ddb_attr_s(run_id));
        json_object_object_add(ptr, "started_ms", fv_ddb_attr_n(started_ms));
        json_object_array_add(items, s_tx_item("Put", f->table, "Item", ptr));
    } else {
        struct json_object *del = s_tx_item("Delete", f->table, "Key", s_key(pk));
        struct json_object *body = json_object_object_get(del, "Delete");
        struct json_object *values = json_object_new_object();
        json_object_object_add(values, ":r", fv_ddb_attr_s(run_id));
        json_object_object_add(body, "ConditionExpression",
                               json_object_new_string("attribute_not_exists(pk) OR run_id = :r"));
        json_object_object_add(body, "ExpressionAttributeValues", values);
        json_object_array_add(items, del);
    }
    fv_status st = fv_dynamodb_transact_write(c, items, err);
    if (st != FV_OK && !running && fv_dynamodb_is_transaction_cancelled(err) &&
        (st = s_still_ours(c, f, err)) == FV_OK) {
        /* Still ours: the pointer names another run; leave it be. */
        json_object_array_del_idx(items, 2, 1);
        st = fv_dynamodb_transact_write(c, items, err);
    }
    if (st != FV_OK && fv_dynamodb_is_transaction_cancelled(err) &&
        (st = s_still_ours(c, f, err)) == FV_OK)
        st = fv_error_set(err, FV_E_AWS, "run %s: record refused", run_id);
    json_object_put(items);
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

/* The durable state of export chains in the control table (fv/exports.h):
 * one item per table, written only conditionally on its version, never
 * with a TTL attribute. */
#include "aws/dynamodb_internal.h"

#include <fv/control.h>
#include <fv/exports.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PK_PREFIX "export#"
/* Read-apply-write rounds before a transition gives up on concurrent writers. */
#define S_ATTEMPTS 5

/* The seed's attribute names. */
#define S_FULL_TIME "full-export-time"
#define S_LAST_TIME "last-incremental-export-time"
#define S_INITIATED "workflow-initiated"
#define S_STATE "workflow-state"
#define S_ACTION "workflow-action"

const char *fv_export_initiated_str(enum fv_export_initiated v)
{
    return v == FV_EXPORT_INITIATED ? "true" : v == FV_EXPORT_INITIATING ? "NULL" : "false";
}

const char *fv_export_workflow_state_str(enum fv_export_workflow_state v)
{
    return v == FV_EXPORT_PITR_GAP ? "PITR_GAP" : "NORMAL";
}

const char *fv_export_workflow_action_str(enum fv_export_workflow_action v)
{
    return v == FV_EXPORT_PAUSE   ? "PAUSE"
           : v == FV_EXPORT_RESET ? "RESET_WITH_FULL_EXPORT_AGAIN"
                                  : "RUN";
}

bool fv_export_initiated_parse(const char *s, enum fv_export_initiated *out)
{
    for (int v = FV_EXPORT_NOT_INITIATED; s && v <= FV_EXPORT_INITIATED; v++)
        if (strcmp(s, fv_export_initiated_str((enum fv_export_initiated)v)) == 0) {
            *out = (enum fv_export_initiated)v;
            return true;
        }
    return false;
}

bool fv_export_workflow_state_parse(const char *s, enum fv_export_workflow_state *out)
{
    for (int v = FV_EXPORT_NORMAL; s && v <= FV_EXPORT_PITR_GAP; v++)
        if (strcmp(s, fv_export_workflow_state_str((enum fv_export_workflow_state)v)) == 0) {
            *out = (enum fv_export_workflow_state)v;
            return true;
        }
    return false;
}

bool fv_export_workflow_action_parse(const char *s, enum fv_export_workflow_action *out)
{
    for (int v = FV_EXPORT_RUN; s && v <= FV_EXPORT_RESET; v++)
        if (strcmp(s, fv_export_workflow_action_str((enum fv_export_workflow_action)v)) == 0) {
            *out = (enum fv_export_workflow_action)v;
            return true;
        }
    return false;
}

void fv_export_state_clean_up(struct fv_export_state *s)
{
    if (!s)
        return;
    free(s->job);
    free(s->account);
    free(s->region);
    free(s->table);
    free(s->chain_id);
    free(s->last_export_arn);
    free(s->last_error);
    memset(s, 0, sizeof(*s));
}

static char *s_dup(const char *s)
{
    return s ? fv_strdup(s) : NULL;
}

void fv_export_state_init(struct fv_export_state *out, const struct fv_export_key *key)
{
    memset(out, 0, sizeof(*out));
    out->job = s_dup(key->job);
    out->account = s_dup(key->account);
    out->region = s_dup(key->region);
    out->table = s_dup(key->table);
}

char *fv_export_state_pk(const struct fv_export_key *key)
{
    struct fv_buf pk = {0};
    fv_buf_printf(&pk, S_PK_PREFIX "%s#%s#%s#%s", key->job, key->account, key->region, key->table);
    return fv_buf_detach(&pk);
}

/* --- Items --- */

static void s_put_str(struct json_object *item, const char *attr, const char *v)
{
    if (v)
        json_object_object_add(item, attr, fv_ddb_attr_s(v));
}

static void s_put_num(struct json_object *item, const char *attr, int64_t v)
{
    json_object_object_add(item, attr, fv_ddb_attr_n(v));
}

static struct json_object *s_key(const struct fv_export_key *key)
{
    char *pk = fv_export_state_pk(key);
    struct json_object *k = json_object_new_object();
    s_put_str(k, "pk", pk);
    free(pk);
    return k;
}

static struct json_object *s_item(const struct fv_export_state *s, int64_t version)
{
    struct fv_export_key key = {s->job, s->account, s->region, s->table};
    struct json_object *item = s_key(&key);
    s_put_str(item, "job", s->job);
    s_put_str(item, "account", s->account);
    s_put_str(item, "region", s->region);
    s_put_str(item, "table", s->table);
    s_put_str(item, S_INITIATED, fv_export_initiated_str(s->initiated));
    if (s->full_export_time_ms)
        s_put_num(item, S_FULL_TIME, s->full_export_time_ms);
    if (s->last_incremental_export_time_ms)
        s_put_num(item, S_LAST_TIME, s->last_incremental_export_time_ms);
    s_put_str(item, S_STATE, fv_export_workflow_state_str(s->workflow_state));
    s_put_str(item, S_ACTION, fv_export_workflow_action_str(s->workflow_action));
    s_put_str(item, "chain-id", s->chain_id);
    s_put_str(item, "last-export-arn", s->last_export_arn);
    s_put_str(item, "last-error", s->last_error);
    s_put_num(item, "updated", s->updated_ms);
    s_put_num(item, "version", version);
    return item;
}

static fv_status s_num(struct json_object *item, const char *attr, int64_t *out,
                       struct fv_error *err)
{
    const char *v = fv_control_item_str(item, attr);
    *out = 0;
    if (!v || fv_parse_i64(v, out))
        return FV_OK;
    return fv_error_set(err, FV_E_PARSE, "export state: %s is not a number", attr);
}

static fv_status s_bad(const char *attr, const char *v, struct fv_error *err)
{
    return fv_error_set(err, FV_E_PARSE, "export state: %s is %s, not one of its values", attr, v);
}

/* Absent attributes keep their defaults (a fresh chain's); junk is an error. */
static fv_status s_parse(struct json_object *item, struct fv_export_state *s, struct fv_error *err)
{
    fv_status st = FV_OK;
    const char *v = fv_control_item_str(item, S_INITIATED);
    if (v && !fv_export_initiated_parse(v, &s->initiated))
        st = s_bad(S_INITIATED, v, err);
    v = fv_control_item_str(item, S_STATE);
    if (st == FV_OK && v && !fv_export_workflow_state_parse(v, &s->workflow_state))
        st = s_bad(S_STATE, v, err);
    v = fv_control_item_str(item, S_ACTION);
    if (st == FV_OK && v && !fv_export_workflow_action_parse(v, &s->workflow_action))
        st = s_bad(S_ACTION, v, err);
    if (st == FV_OK)
        st = s_num(item, S_FULL_TIME, &s->full_export_time_ms, err);
    if (st == FV_OK)
        st = s_num(item, S_LAST_TIME, &s->last_incremental_export_time_ms, err);
    if (st == FV_OK)
        st = s_num(item, "updated", &s->updated_ms, err);
    if (st == FV_OK)
        st = s_num(item, "version", &s->version, err);
    s->chain_id = s_dup(fv_control_item_str(item, "chain-id"));
    s->last_export_arn = s_dup(fv_control_item_str(item, "last-export-arn"));
    s->last_error = s_dup(fv_control_item_str(item, "last-error"));
    return st;
}

/* No control table yet (before the first run): no chains. */
static bool s_no_table(fv_status st, const struct fv_error *err)
{
    return st == FV_E_AWS && err && strcmp(err->code, "ResourceNotFoundException") == 0;
}

fv_status fv_export_state_get(struct fv_aws_client *central, const char *control_table,
                              const struct fv_export_key *key, struct fv_export_state *out,
                              struct fv_error *err)
{
    fv_export_state_init(out, key);
    struct json_object *k = s_key(key), *item = NULL;
    fv_status st = fv_dynamodb_get_item(central, control_table, k, true, &item, err);
    json_object_put(k);
    if (st == FV_E_NOTFOUND || s_no_table(st, err))
        return FV_OK;
    if (st == FV_OK)
        st = s_parse(item, out, err);
    json_object_put(item);
    return st;
}

fv_status fv_export_state_put_if_version(struct fv_aws_client *central, const char *control_table,
                                         struct fv_export_state *s, struct fv_error *err)
{
    struct json_object *item = s_item(s, s->version + 1);
    struct json_object *values = NULL, *names = NULL;
    struct fv_dynamodb_expr expr = {.condition = "attribute_not_exists(pk)"};
    if (s->version > 0) {
        values = json_object_new_object();
        s_put_num(values, ":v", s->version);
        names = json_object_new_object();
        json_object_object_add(names, "#v", json_object_new_string("version"));
        expr.condition = "#v = :v";
        expr.values = values;
        expr.names = names;
    }
    fv_status st = fv_dynamodb_put_item(central, control_table, item, &expr, err);
    json_object_put(item);
    json_object_put(values);
    json_object_put(names);
    if (st == FV_OK)
        s->version++;
    return st;
}

void fv_export_states_clean_up(struct fv_export_states *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        fv_export_state_clean_up(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static int s_cmp(const void *a, const void *b)
{
    const struct fv_export_state *x = a, *y = b;
    const char *xs[] = {x->job, x->account, x->region, x->table};
    const char *ys[] = {y->job, y->account, y->region, y->table};
    for (size_t i = 0; i < 4; i++) {
        int c = strcmp(xs[i] ? xs[i] : "", ys[i] ? ys[i] : "");
        if (c)
            return c;
    }
    return 0;
}

fv_status fv_export_state_list(struct fv_aws_client *central, const char *control_table,
                               const char *job, struct fv_export_states *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct fv_buf prefix = {0};
    fv_buf_printf(&prefix, S_PK_PREFIX "%s", job ? job : "");
    if (job)
        fv_buf_append_char(&prefix, '#');
    struct json_object *values = json_object_new_object();
    s_put_str(values, ":p", prefix.ptr);
    struct fv_dynamodb_read req = {.table = control_table,
                                   .filter = "begins_with(pk, :p)",
                                   .values = values,
                                   .consistent = true};
    struct fv_dynamodb_page page = {0};
    char *next = NULL;
    size_t cap = 0;
    fv_status st;
    do {
        st = fv_dynamodb_read_page(central, &req, next, &page, err);
        free(next);
        next = NULL;
        size_t n = st == FV_OK && page.items ? json_object_array_length(page.items) : 0;
        for (size_t i = 0; i < n && st == FV_OK; i++) {
            struct json_object *it = json_object_array_get_idx(page.items, i);
            struct fv_export_key key = {
                fv_control_item_str(it, "job"), fv_control_item_str(it, "account"),
                fv_control_item_str(it, "region"), fv_control_item_str(it, "table")};
            if (out->n == cap) {
                cap = cap ? cap * 2 : 16;
                out->items = fv_realloc(out->items, cap * sizeof(*out->items));
            }
            struct fv_export_state *s = &out->items[out->n++];
            fv_export_state_init(s, &key);
            st = s_parse(it, s, err);
        }
        if (st == FV_OK && page.next)
            next = fv_strdup(page.next);
        fv_dynamodb_page_clean_up(&page);
    } while (st == FV_OK && next);
    free(next);
    json_object_put(values);
    fv_buf_clean_up(&prefix);
    if (s_no_table(st, err))
        st = FV_OK;
    if (st != FV_OK)
        fv_export_states_clean_up(out);
    else if (out->n > 1)
        qsort(out->items, out->n, sizeof(*out->items), s_cmp);
    return st;
}

/* --- Transitions, written conditionally --- */

struct s_change {
    enum { S_BEGIN, S_DONE, S_FAIL, S_ACTION_SET } what;
    int64_t export_time_ms;
    const struct fv_export_decision *d;
    const char *arn, *code, *message;
    enum fv_export_workflow_action action;
};

static enum fv_export_outcome s_apply(struct fv_export_state *s, const struct s_change *c,
                                      int64_t now_ms)
{
    switch (c->what) {
    case S_BEGIN: return fv_export_apply_begin_full(s, c->export_time_ms, now_ms);
    case S_DONE: return fv_export_apply_completed(s, c->d, c->arn, now_ms);
    case S_FAIL: return fv_export_apply_failed(s, c->d, c->code, c->message, now_ms);
    default: return fv_export_apply_action(s, c->action, now_ms);
    }
}

/* Read, apply, write on the version read; again when another writer won. */
static fv_status s_transition(struct fv_aws_client *central, const char *control_table,
                              const struct fv_export_key *key, const struct s_change *c,
                              int64_t now_ms, enum fv_export_outcome *outcome,
                              struct fv_export_state *out, struct fv_error *err)
{
    struct fv_export_state s = {0};
    enum fv_export_outcome o = FV_EXPORT_STALE;
    fv_status st = FV_OK;
    for (int attempt = 0; attempt < S_ATTEMPTS; attempt++) {
        fv_export_state_clean_up(&s);
        st = fv_export_state_get(central, control_table, key, &s, err);
        if (st != FV_OK)
            break;
        o = s_apply(&s, c, now_ms);
        if (o != FV_EXPORT_APPLIED)
            break;
        st = fv_export_state_put_if_version(central, control_table, &s, err);
        if (st != FV_E_AWS || !fv_dynamodb_is_conditional_failure(err))
            break;
    }
    if (outcome)
        *outcome = o;
    if (out && st == FV_OK)
        *out = s;
    else
        fv_export_state_clean_up(&s);
    return st;
}

fv_status fv_export_state_begin_full(struct fv_aws_client *central, const char *control_table,
                                     const struct fv_export_key *key, int64_t export_time_ms,
                                     int64_t now_ms, enum fv_export_outcome *outcome,
                                     struct fv_export_state *out, struct fv_error *err)
{
    struct s_change c = {.what = S_BEGIN, .export_time_ms = export_time_ms};
    return s_transition(central, control_table, key, &c, now_ms, outcome, out, err);
}

fv_status fv_export_state_advance(struct fv_aws_client *central, const char *control_table,
                                  const struct fv_export_key *key,
                                  const struct fv_export_decision *d, const char *export_arn,
                                  int64_t now_ms, enum fv_export_outcome *outcome,
                                  struct fv_export_state *out, struct fv_error *err)
{
    struct s_change c = {.what = S_DONE, .d = d, .arn = export_arn};
    return s_transition(central, control_table, key, &c, now_ms, outcome, out, err);
}

fv_status fv_export_state_fail(struct fv_aws_client *central, const char *control_table,
                               const struct fv_export_key *key, const struct fv_export_decision *d,
                               const char *code, const char *message, int64_t now_ms,
                               enum fv_export_outcome *outcome, struct fv_export_state *out,
                               struct fv_error *err)
{
    struct s_change c = {.what = S_FAIL, .d = d, .code = code, .message = message};
    return s_transition(central, control_table, key, &c, now_ms, outcome, out, err);
}

fv_status fv_export_state_set_action(struct fv_aws_client *central, const char *control_table,
                                     const struct fv_export_key *key,
                                     enum fv_export_workflow_action action, int64_t now_ms,
                                     enum fv_export_outcome *outcome, struct fv_export_state *out,
                                     struct fv_error *err)
{
    struct s_change c = {.what = S_ACTION_SET, .action = action};
    return s_transition(central, control_table, key, &c, now_ms, outcome, out, err);
}

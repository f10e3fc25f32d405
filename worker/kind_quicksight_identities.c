/* quicksight.users / quicksight.groups: one chunk of QuickSight identities
 * into the run's dated DynamoDB tables, in the seed's schemas exactly:
 *   users:       user_name (key), arn, email, role, identity_type, active,
 *                principal_id, backup_timestamp, custom_permissions_name
 *   groups:      group_name (key), arn, description, principal_id, members,
 *                backup_timestamp
 *   memberships: membership_id (key, "user_name#group_name"), user_name,
 *                group_name, user_arn, group_arn, backup_timestamp
 * BatchWriteItem 25 items a call; UnprocessedItems are sent again with
 * backoff until written. Writes are puts of the same keys: a redelivered
 * chunk writes the same rows again, never new ones. */
#include "handler.h"

#include <fv/dynamodb.h>
#include <fv/naming.h>
#include <fv/quicksight.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static void s_attr_s(struct json_object *item, const char *name, const char *v)
{
    if (!v)
        return;
    struct json_object *a = json_object_new_object();
    json_object_object_add(a, "S", json_object_new_string(v));
    json_object_object_add(item, name, a);
}

static const char *s_str(struct json_object *o, const char *k)
{
    struct json_object *v;
    return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : NULL;
}

/* Writes items (a JSON array of DynamoDB items, borrowed) to table. */
static fv_status s_write_all(const struct fv_handler_ctx *ctx, struct fv_aws_client *c,
                             const char *table, struct json_object *items, struct fv_error *err)
{
    size_t n = json_object_array_length(items);
    for (size_t i = 0; i < n; i += FV_DYNAMODB_BATCH_WRITE_MAX) {
        struct json_object *reqs = json_object_new_array();
        for (size_t k = i; k < n && k < i + FV_DYNAMODB_BATCH_WRITE_MAX; k++) {
            struct json_object *put = json_object_new_object(), *wr = json_object_new_object();
            json_object_object_add(put, "Item",
                                   json_object_get(json_object_array_get_idx(items, k)));
            json_object_object_add(wr, "PutRequest", put);
            json_object_array_add(reqs, wr);
        }
        struct json_object *batch = json_object_new_object();
        json_object_object_add(batch, table, reqs);
        fv_status st = FV_OK;
        for (int attempt = 0; batch; attempt++) {
            struct json_object *left = NULL;
            st = fv_dynamodb_batch_write(c, batch, &left, err);
            json_object_put(batch);
            batch = NULL;
            if (st != FV_OK)
                break;
            if (left && json_object_object_length(left) > 0) {
                if (attempt == 8) {
                    json_object_put(left);
                    st = fv_error_set(err, FV_E_AWS,
                                      "table %s: items still unprocessed after %d "
                                      "BatchWriteItem calls",
                                      table, attempt + 1);
                    err->retryable = true;
                    break;
                }
                /* Backoff before sending the rest again, as AWS asks (by the
                 * worker's clock; a stopping worker stops here). */
                if (ctx->cancel && atomic_load(ctx->cancel)) {
                    json_object_put(left);
                    st = fv_error_set(err, FV_E_CANCELLED, "table %s: the worker is stopping",
                                      table);
                    break;
                }
                ctx->clock->sleep_ms(ctx->clock->ud, 50LL << attempt);
                batch = left;
            } else {
                json_object_put(left);
            }
        }
        if (st != FV_OK)
            return st;
    }
    return FV_OK;
}

/* The run's tables, from the job in this worker's configuration, and a
 * client where they live. NULL (the outcome recorded) on failure. */
static struct fv_aws_client *s_tables(struct fv_handler_ctx *ctx, struct fv_name_identity *names)
{
    struct fv_error err;
    const struct fv_config_job *job = ctx->scope->job;
    const char *central = NULL;
    memset(names, 0, sizeof(*names));
    if (strcmp(job->identity_tables_account, "central") == 0 &&
        !(central = fv_fleet_central_account(ctx->fleet, &err))) {
        fv_handler_fail(ctx, &err);
        return NULL;
    }
    fv_name_identity(ctx->cfg, job, ctx->scope->account, central, ctx->scope->run_started_s, names);
    struct fv_aws_client *c = fv_fleet_client(ctx->clients, names->account, names->region, &err);
    if (!c)
        fv_handler_fail(ctx, &err);
    return c;
}

/* The records the contract validated: a JSON array of flat objects. */
static struct json_object *s_records(struct fv_handler_ctx *ctx)
{
    return json_tokener_parse(fv_task_param(ctx->task, "records"));
}

void fv_kind_quicksight_users(struct fv_handler_ctx *ctx)
{
    struct fv_error err;
    struct fv_name_identity names;
    struct fv_aws_client *c = s_tables(ctx, &names);
    const char *table = names.users;
    const char *stamp = names.timestamp;
    struct json_object *recs = c ? s_records(ctx) : NULL;
    if (!recs) {
        fv_name_identity_clean_up(&names);
        return;
    }
    struct json_object *items = json_object_new_array();
    for (size_t i = 0; i < json_object_array_length(recs); i++) {
        struct json_object *u = json_object_array_get_idx(recs, i),
                           *item = json_object_new_object();
        s_attr_s(item, "user_name", s_str(u, "user_name"));
        s_attr_s(item, "arn", s_str(u, "arn"));
        s_attr_s(item, "email", s_str(u, "email"));
        s_attr_s(item, "role", s_str(u, "role"));
        s_attr_s(item, "identity_type", s_str(u, "identity_type"));
        struct json_object *active = NULL, *b = json_object_new_object();
        json_object_object_get_ex(u, "active", &active);
        json_object_object_add(b, "BOOL", json_object_new_boolean(json_object_get_boolean(active)));
        json_object_object_add(item, "active", b);
        s_attr_s(item, "principal_id", s_str(u, "principal_id"));
        s_attr_s(item, "backup_timestamp", stamp);
        s_attr_s(item, "custom_permissions_name", s_str(u, "custom_permissions_name"));
        json_object_array_add(items, item);
    }
    if (s_write_all(ctx, c, table, items, &err) != FV_OK) {
        fv_handler_fail(ctx, &err);
    } else {
        struct fv_output *o = fv_result_add_output(ctx->result);
        char n[32];
        snprintf(n, sizeof(n), "%zu", json_object_array_length(items));
        fv_output_set_extra(o, "table", table);
        fv_output_set_extra(o, "items", n);
    }
    json_object_put(items);
    json_object_put(recs);
    fv_name_identity_clean_up(&names);
}

void fv_kind_quicksight_groups(struct fv_handler_ctx *ctx)
{
    const struct fv_task *t = ctx->task;
    struct fv_error err;
    struct fv_name_identity names;
    struct fv_aws_client *c = s_tables(ctx, &names);
    const char *table = names.groups, *mtable = names.memberships, *ns = names.namespace_;
    const char *stamp = names.timestamp;
    struct fv_aws_client *qs =
        c ? fv_fleet_client(ctx->clients, t->account, t->region, &err) : NULL;
    if (c && !qs)
        fv_handler_fail(ctx, &err);
    struct json_object *recs = qs ? s_records(ctx) : NULL;
    if (!recs) {
        fv_name_identity_clean_up(&names);
        return;
    }
    struct json_object *groups = json_object_new_array(), *members = json_object_new_array();
    fv_status st = FV_OK;
    for (size_t i = 0; st == FV_OK && i < json_object_array_length(recs); i++) {
        struct json_object *g = json_object_array_get_idx(recs, i);
        const char *name = s_str(g, "group_name"), *garn = s_str(g, "arn");
        struct fv_quicksight_members m = {0};
        st = fv_quicksight_list_group_memberships(qs, t->account, ns, name, NULL, &m, &err);
        if (st == FV_E_NOTFOUND) { /* deleted since enumeration: nothing to back up */
            st = FV_OK;
            fv_quicksight_members_clean_up(&m);
            continue;
        }
        struct json_object *item = json_object_new_object(), *list = json_object_new_array();
        s_attr_s(item, "group_name", name);
        s_attr_s(item, "arn", garn);
        s_attr_s(item, "description", s_str(g, "description"));
        s_attr_s(item, "principal_id", s_str(g, "principal_id"));
        for (size_t k = 0; k < m.n; k++) {
            struct json_object *s = json_object_new_object();
            json_object_object_add(s, "S", json_object_new_string(m.items[k].member_name));
            json_object_array_add(list, s);
            /* The user's ARN: the group's with ":group/<ns>/<group>" made
             * ":user/<ns>/<member>". */
            struct fv_buf uarn = {0}, mid = {0};
            const char *cut = garn ? strstr(garn, ":group/") : NULL;
            if (cut)
                fv_buf_printf(&uarn, "%.*s:user/%s/%s", (int)(cut - garn), garn, ns,
                              m.items[k].member_name);
            fv_buf_printf(&mid, "%s#%s", m.items[k].member_name, name);
            struct json_object *mi = json_object_new_object();
            s_attr_s(mi, "membership_id", mid.ptr);
            s_attr_s(mi, "user_name", m.items[k].member_name);
            s_attr_s(mi, "group_name", name);
            s_attr_s(mi, "user_arn", uarn.ptr);
            s_attr_s(mi, "group_arn", garn);
            s_attr_s(mi, "backup_timestamp", stamp);
            json_object_array_add(members, mi);
            fv_buf_clean_up(&uarn);
            fv_buf_clean_up(&mid);
        }
        struct json_object *l = json_object_new_object();
        json_object_object_add(l, "L", list);
        json_object_object_add(item, "members", l);
        s_attr_s(item, "backup_timestamp", stamp);
        json_object_array_add(groups, item);
        fv_quicksight_members_clean_up(&m);
    }
    if (st == FV_OK)
        st = s_write_all(ctx, c, table, groups, &err);
    if (st == FV_OK)
        st = s_write_all(ctx, c, mtable, members, &err);
    if (st != FV_OK) {
        fv_handler_fail(ctx, &err);
    } else {
        struct fv_output *o = fv_result_add_output(ctx->result);
        char n[32];
        snprintf(n, sizeof(n), "%zu", json_object_array_length(groups));
        fv_output_set_extra(o, "table", table);
        fv_output_set_extra(o, "items", n);
        snprintf(n, sizeof(n), "%zu", json_object_array_length(members));
        fv_output_set_extra(o, "memberships", n);
    }
    json_object_put(groups);
    json_object_put(members);
    json_object_put(recs);
    fv_name_identity_clean_up(&names);
}

/* quicksight.users / quicksight.groups: the QuickSight identities of the
 * task's account (namespace from the job) into the run's dated DynamoDB
 * tables, in the seed's schemas exactly:
 *   users:       user_name (key), arn, email, role, identity_type, active,
 *                principal_id, backup_timestamp, custom_permissions_name
 *   groups:      group_name (key), arn, description, principal_id, members,
 *                backup_timestamp
 *   memberships: membership_id (key, "user_name#group_name"), user_name,
 *                group_name, user_arn, group_arn, backup_timestamp
 * The task names only the account and region: the worker lists the users
 * (or groups, and each group's members) itself, one page of 100 at a time,
 * and writes each page before reading the next, so e-mail addresses and
 * user names never travel through Kafka or the DLQ and memory is bounded by
 * a page (and a group's members). BatchWriteItem 25 items a call;
 * UnprocessedItems are sent again with backoff until written. Writes are
 * puts of the same keys: a redelivered task writes the same rows again,
 * never new ones. */
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

/* The identity tables' client (*c) and the account's QuickSight client
 * (*qs); false (the task failed, names cleaned up) when either is missing. */
static bool s_clients(struct fv_handler_ctx *ctx, struct fv_name_identity *names,
                      struct fv_aws_client **c, struct fv_aws_client **qs)
{
    struct fv_error err;
    *qs = NULL;
    *c = s_tables(ctx, names);
    if (*c && !(*qs = fv_fleet_client(ctx->clients, ctx->task->account, ctx->task->region, &err)))
        fv_handler_fail(ctx, &err);
    if (!*qs)
        fv_name_identity_clean_up(names);
    return *qs != NULL;
}

static bool s_stopping(const struct fv_handler_ctx *ctx, struct fv_error *err)
{
    if (!ctx->cancel || !atomic_load(ctx->cancel))
        return false;
    fv_error_set(err, FV_E_CANCELLED, "the worker is stopping");
    return true;
}

static void s_done(struct fv_handler_ctx *ctx, const char *table, size_t items,
                   const size_t *memberships)
{
    struct fv_output *o = fv_result_add_output(ctx->result);
    char n[32];
    snprintf(n, sizeof(n), "%zu", items);
    fv_output_set_extra(o, "table", table);
    fv_output_set_extra(o, "items", n);
    if (memberships) {
        snprintf(n, sizeof(n), "%zu", *memberships);
        fv_output_set_extra(o, "memberships", n);
    }
}

/* One page of users as rows of the users table. */
static struct json_object *s_user_rows(const struct fv_quicksight_users *page, const char *stamp)
{
    struct json_object *items = json_object_new_array();
    for (size_t i = 0; i < page->n; i++) {
        const struct fv_quicksight_user *u = &page->items[i];
        struct json_object *item = json_object_new_object(), *b = json_object_new_object();
        s_attr_s(item, "user_name", u->user_name);
        s_attr_s(item, "arn", u->arn);
        s_attr_s(item, "email", u->email);
        s_attr_s(item, "role", u->role);
        s_attr_s(item, "identity_type", u->identity_type);
        json_object_object_add(b, "BOOL", json_object_new_boolean(u->active));
        json_object_object_add(item, "active", b);
        s_attr_s(item, "principal_id", u->principal_id);
        s_attr_s(item, "backup_timestamp", stamp);
        s_attr_s(item, "custom_permissions_name", u->custom_permissions_name);
        json_object_array_add(items, item);
    }
    return items;
}

void fv_kind_quicksight_users(struct fv_handler_ctx *ctx)
{
    const struct fv_task *t = ctx->task;
    struct fv_error err;
    struct fv_name_identity names;
    struct fv_aws_client *c, *qs;
    if (!s_clients(ctx, &names, &c, &qs))
        return;
    fv_status st = FV_OK;
    size_t written = 0;
    char *token = NULL;
    do {
        struct fv_quicksight_users page = {0};
        char *next = NULL;
        struct fv_quicksight_list_options lo = {.start_token = token, .next_token_out = &next};
        if (s_stopping(ctx, &err))
            st = FV_E_CANCELLED;
        else
            st = fv_quicksight_list_users(qs, t->account, names.namespace_, &lo, &page, &err);
        free(token);
        token = next;
        if (st == FV_OK) {
            struct json_object *items = s_user_rows(&page, names.timestamp);
            st = s_write_all(ctx, c, names.users, items, &err);
            written += page.n;
            json_object_put(items);
        }
        fv_quicksight_users_clean_up(&page);
    } while (st == FV_OK && token);
    free(token);
    if (st != FV_OK)
        fv_handler_fail(ctx, &err);
    else
        s_done(ctx, names.users, written, NULL);
    fv_name_identity_clean_up(&names);
}

/* A group's row and its members' rows (appended to groups and members), or
 * nothing when the group was deleted since the page was read. */
static fv_status s_group_rows(struct fv_aws_client *qs, const struct fv_task *t,
                              const struct fv_name_identity *names,
                              const struct fv_quicksight_group *g, struct json_object *groups,
                              struct json_object *members, struct fv_error *err)
{
    const char *ns = names->namespace_, *garn = g->arn;
    struct fv_quicksight_members m = {0};
    fv_status st =
        fv_quicksight_list_group_memberships(qs, t->account, ns, g->group_name, NULL, &m, err);
    if (st != FV_OK) {
        fv_quicksight_members_clean_up(&m);
        return st == FV_E_NOTFOUND ? FV_OK : st; /* deleted: nothing to back up */
    }
    struct json_object *item = json_object_new_object(), *list = json_object_new_array();
    s_attr_s(item, "group_name", g->group_name);
    s_attr_s(item, "arn", garn);
    s_attr_s(item, "description", g->description);
    s_attr_s(item, "principal_id", g->principal_id);
    for (size_t k = 0; k < m.n; k++) {
        const char *member = m.items[k].member_name;
        struct json_object *s = json_object_new_object();
        json_object_object_add(s, "S", json_object_new_string(member));
        json_object_array_add(list, s);
        /* The user's ARN: the group's with ":group/<ns>/<group>" made
         * ":user/<ns>/<member>". */
        struct fv_buf uarn = {0}, mid = {0};
        const char *cut = strstr(garn, ":group/");
        if (cut)
            fv_buf_printf(&uarn, "%.*s:user/%s/%s", (int)(cut - garn), garn, ns, member);
        fv_buf_printf(&mid, "%s#%s", member, g->group_name);
        struct json_object *mi = json_object_new_object();
        s_attr_s(mi, "membership_id", mid.ptr);
        s_attr_s(mi, "user_name", member);
        s_attr_s(mi, "group_name", g->group_name);
        s_attr_s(mi, "user_arn", uarn.ptr);
        s_attr_s(mi, "group_arn", garn);
        s_attr_s(mi, "backup_timestamp", names->timestamp);
        json_object_array_add(members, mi);
        fv_buf_clean_up(&uarn);
        fv_buf_clean_up(&mid);
    }
    struct json_object *l = json_object_new_object();
    json_object_object_add(l, "L", list);
    json_object_object_add(item, "members", l);
    s_attr_s(item, "backup_timestamp", names->timestamp);
    json_object_array_add(groups, item);
    fv_quicksight_members_clean_up(&m);
    return FV_OK;
}

void fv_kind_quicksight_groups(struct fv_handler_ctx *ctx)
{
    const struct fv_task *t = ctx->task;
    struct fv_error err;
    struct fv_name_identity names;
    struct fv_aws_client *c, *qs;
    if (!s_clients(ctx, &names, &c, &qs))
        return;
    fv_status st = FV_OK;
    size_t n_groups = 0, n_members = 0;
    char *token = NULL;
    do {
        struct fv_quicksight_groups page = {0};
        char *next = NULL;
        struct fv_quicksight_list_options lo = {.start_token = token, .next_token_out = &next};
        if (s_stopping(ctx, &err))
            st = FV_E_CANCELLED;
        else
            st = fv_quicksight_list_groups(qs, t->account, names.namespace_, &lo, &page, &err);
        free(token);
        token = next;
        struct json_object *groups = json_object_new_array(), *members = json_object_new_array();
        for (size_t i = 0; st == FV_OK && i < page.n; i++)
            st = s_group_rows(qs, t, &names, &page.items[i], groups, members, &err);
        if (st == FV_OK)
            st = s_write_all(ctx, c, names.groups, groups, &err);
        if (st == FV_OK)
            st = s_write_all(ctx, c, names.memberships, members, &err);
        n_groups += json_object_array_length(groups);
        n_members += json_object_array_length(members);
        json_object_put(groups);
        json_object_put(members);
        fv_quicksight_groups_clean_up(&page);
    } while (st == FV_OK && token);
    free(token);
    if (st != FV_OK)
        fv_handler_fail(ctx, &err);
    else
        s_done(ctx, names.groups, n_groups, &n_members);
    fv_name_identity_clean_up(&names);
}

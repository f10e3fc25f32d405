/* restore quicksight, identities: users, groups and memberships from the
 * run's dated DynamoDB tables back into QuickSight.
 *
 * Identities are only ever created when a Describe/List says they are
 * missing: CreateGroup on an existing group or RegisterUser on an existing
 * user is never sent (the test world replaces them, dropping members). */
#include "restore_internal.h"

#include <fv/naming.h>

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tables of one source account, from the manifest. */
struct s_ident {
    const char *account, *region;
    const char *users_table, *groups_table;
    bool incomplete; /* an identity task of the run did not succeed */
};

/* One source account's restore in progress. */
struct s_run {
    const struct fv_restore_aws *aws;
    const struct fv_restore_qs_callbacks *cb;
    struct fv_restore_identities ev; /* what the callbacks see */
    struct json_object *users;       /* user name → true (exists) / false (missing) */
    struct json_object *members;     /* group name → {member: true} or null (no group) */
};

/* A DynamoDB item's string attribute. */
static const char *s_attr(struct json_object *item, const char *k)
{
    struct json_object *a, *v;
    return json_object_object_get_ex(item, k, &a) && a && json_object_object_get_ex(a, "S", &v) && v
               ? json_object_get_string(v)
               : NULL;
}

static void s_say(struct s_run *r, enum fv_restore_ident_step step)
{
    if (r->cb && r->cb->identities)
        r->cb->identities(r->cb->ud, step, &r->ev);
}

/* Counts an item and reports it. */
static void s_item(struct s_run *r, enum fv_restore_type type, enum fv_restore_ident_action action,
                   bool raced)
{
    struct fv_restore_ident_counts *c = &r->ev.counts[type - FV_RESTORE_USERS];
    size_t *n[] = {&c->present, &c->created, &c->cannot, &c->failed};
    (*n[action])++;
    r->ev.type = type;
    r->ev.action = action;
    r->ev.raced = raced;
    if (action != FV_RI_PRESENT || raced)
        s_say(r, FV_RI_ITEM);
    r->ev.name = r->ev.group = r->ev.role = r->ev.email = NULL;
    fv_error_clear(&r->ev.err);
}

static void s_cannot(struct s_run *r, enum fv_restore_type type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_cannot(struct s_run *r, enum fv_restore_type type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->ev.err.message, sizeof(r->ev.err.message), fmt, ap);
    va_end(ap);
    r->ev.err.status = FV_E_INVALID;
    s_item(r, type, FV_RI_CANNOT, false);
}

typedef void s_row_fn(struct s_run *r, struct json_object *item);

/* Every row of table (all pages) whose ARN attribute is of the source
 * account (several accounts share a table in the central account). */
static bool s_scan(struct s_run *r, const struct fv_restore_qs *rq, const struct s_ident *id,
                   const char *table, const char *arn_attr, s_row_fn *fn)
{
    struct fv_error err = {0};
    const char *tacct = id->account;
    if (rq->job && rq->job->identity_tables_account &&
        strcmp(rq->job->identity_tables_account, "central") == 0)
        tacct = r->aws->central_account(r->aws->ud, &err);
    struct fv_dynamodb_read req = {.table = table, .consistent = true};
    char *next = NULL;
    fv_status st = tacct ? FV_OK : err.status;
    do {
        struct fv_dynamodb_page page = {0};
        if (st == FV_OK)
            st = r->aws->read_page(r->aws->ud, tacct, id->region, &req, next, &page, &err);
        free(next);
        next = NULL;
        for (size_t i = 0; st == FV_OK && i < json_object_array_length(page.items); i++) {
            struct json_object *item = json_object_array_get_idx(page.items, i);
            char *acct = fv_arn_part(s_attr(item, arn_attr), 4);
            if (!acct || !*acct || strcmp(acct, id->account) == 0)
                fn(r, item);
            free(acct);
        }
        if (st == FV_OK && page.next)
            next = fv_strdup(page.next);
        fv_dynamodb_page_clean_up(&page);
    } while (st == FV_OK && next);
    if (st != FV_OK) {
        r->ev.table = table;
        r->ev.table_account = tacct ? tacct : "?";
        r->ev.err = err;
        s_say(r, FV_RI_TABLE);
        r->ev.table = r->ev.table_account = NULL;
        fv_error_clear(&r->ev.err);
    }
    return st == FV_OK;
}

/* Whether the user exists in the target (asked once per name). */
static bool s_user_exists(struct s_run *r, const char *name, fv_status *st)
{
    struct json_object *v;
    *st = FV_OK;
    if (json_object_object_get_ex(r->users, name, &v))
        return json_object_get_boolean(v);
    fv_status got =
        r->aws->describe_user(r->aws->ud, r->ev.target, r->ev.region, r->ev.ns, name, &r->ev.err);
    *st = got == FV_E_NOTFOUND ? FV_OK : got;
    if (*st == FV_OK) {
        json_object_object_add(r->users, name, json_object_new_boolean(got == FV_OK));
        fv_error_clear(&r->ev.err);
    }
    return got == FV_OK;
}

static void s_user_row(struct s_run *r, struct json_object *item)
{
    const char *name = s_attr(item, "user_name"), *type = s_attr(item, "identity_type");
    const char *email = s_attr(item, "email"), *role = s_attr(item, "role");
    fv_status st;
    if (!name)
        return;
    r->ev.name = name;
    r->ev.role = role;
    r->ev.email = email;
    if (s_user_exists(r, name, &st)) {
        s_item(r, FV_RESTORE_USERS, FV_RI_PRESENT, false);
        return;
    }
    if (st != FV_OK) {
        s_item(r, FV_RESTORE_USERS, FV_RI_FAILED, false);
        return;
    }
    /* The seed's schema keeps an IAM or Identity Center user's QuickSight
     * ARN only, not the IAM ARN or the Identity Center user RegisterUser
     * needs: those are reported, never guessed. */
    if (!type || strcmp(type, "QUICKSIGHT") != 0) {
        s_cannot(r, FV_RESTORE_USERS, "cannot restore: %s identity", type ? type : "unknown");
        return;
    }
    if (!email || !role) {
        s_cannot(r, FV_RESTORE_USERS, "cannot restore: the backup has no %s",
                 email ? "role" : "email");
        return;
    }
    struct fv_quicksight_register_user req = {
        .identity_type = "QUICKSIGHT",
        .email = email,
        .user_role = role,
        .user_name = name,
        .custom_permissions_name = s_attr(item, "custom_permissions_name"),
    };
    bool created = false;
    if (r->aws->register_user(r->aws->ud, r->ev.target, r->ev.region, r->ev.ns, &req, &created,
                              &r->ev.err) != FV_OK) {
        s_item(r, FV_RESTORE_USERS, FV_RI_FAILED, false);
        return;
    }
    json_object_object_add(r->users, name, json_object_new_boolean(1));
    s_item(r, FV_RESTORE_USERS, created ? FV_RI_CREATED : FV_RI_PRESENT, !created);
}

/* The group's members in the target ({name: true}, listed once); NULL when
 * the group does not exist, or on an error (*st). */
static struct json_object *s_group_members(struct s_run *r, const char *group, fv_status *st)
{
    struct json_object *v;
    *st = FV_OK;
    if (json_object_object_get_ex(r->members, group, &v))
        return v;
    struct fv_quicksight_members m = {0};
    *st = r->aws->list_members(r->aws->ud, r->ev.target, r->ev.region, r->ev.ns, group, &m,
                               &r->ev.err);
    v = NULL;
    if (*st == FV_OK) {
        v = json_object_new_object();
        for (size_t i = 0; i < m.n; i++)
            json_object_object_add(v, m.items[i].member_name, json_object_new_boolean(1));
    }
    fv_quicksight_members_clean_up(&m);
    if (*st == FV_E_NOTFOUND) {
        *st = FV_OK;
        fv_error_clear(&r->ev.err);
    }
    if (*st == FV_OK)
        json_object_object_add(r->members, group, v);
    return v;
}

static void s_group_row(struct s_run *r, struct json_object *item)
{
    const char *name = s_attr(item, "group_name");
    struct json_object *v;
    if (!name)
        return;
    r->ev.name = name;
    if (json_object_object_get_ex(r->members, name, &v) && v) {
        s_item(r, FV_RESTORE_GROUPS, FV_RI_PRESENT, false);
        return;
    }
    fv_status st =
        r->aws->describe_group(r->aws->ud, r->ev.target, r->ev.region, r->ev.ns, name, &r->ev.err);
    if (st == FV_OK) {
        fv_error_clear(&r->ev.err);
        {
            s_item(r, FV_RESTORE_GROUPS, FV_RI_PRESENT, false);
            return;
        }
    }
    bool created = false;
    if (st == FV_E_NOTFOUND)
        st = r->aws->create_group(r->aws->ud, r->ev.target, r->ev.region, r->ev.ns, name,
                                  s_attr(item, "description"), &created, &r->ev.err);
    if (st != FV_OK) {
        s_item(r, FV_RESTORE_GROUPS, FV_RI_FAILED, false);
        return;
    }
    if (created) /* a new group has no members: nothing to list */
        json_object_object_add(r->members, name, json_object_new_object());
    s_item(r, FV_RESTORE_GROUPS, created ? FV_RI_CREATED : FV_RI_PRESENT, !created);
}

static void s_membership_row(struct s_run *r, struct json_object *item)
{
    const char *user = s_attr(item, "user_name"), *group = s_attr(item, "group_name");
    fv_status st;
    struct json_object *members, *v;
    if (!user || !group)
        return;
    r->ev.name = user;
    r->ev.group = group;
    members = s_group_members(r, group, &st);
    if (members && json_object_object_get_ex(members, user, &v)) {
        s_item(r, FV_RESTORE_MEMBERSHIPS, FV_RI_PRESENT, false);
        return;
    }
    bool user_ok = st == FV_OK && members && s_user_exists(r, user, &st);
    if (st != FV_OK) {
        s_item(r, FV_RESTORE_MEMBERSHIPS, FV_RI_FAILED, false);
        return;
    }
    if (!members || !user_ok) {
        s_cannot(r, FV_RESTORE_MEMBERSHIPS, "cannot restore: %s %s does not exist in %s",
                 members ? "user" : "group", members ? user : group, r->ev.target);
        return;
    }
    if (r->aws->add_member(r->aws->ud, r->ev.target, r->ev.region, r->ev.ns, group, user,
                           &r->ev.err) != FV_OK) {
        s_item(r, FV_RESTORE_MEMBERSHIPS, FV_RI_FAILED, false);
        return;
    }
    json_object_object_add(members, user, json_object_new_boolean(1));
    s_item(r, FV_RESTORE_MEMBERSHIPS, FV_RI_CREATED, false);
}

static void s_account(const struct fv_restore_qs *rq, const struct fv_restore_aws *aws,
                      const struct fv_restore_qs_callbacks *cb, const struct s_ident *id,
                      struct fv_restore_qs_report *out)
{
    const struct fv_config_job *job = rq->job;
    const bool *types = rq->o->types;
    const char *target = rq->o->target ? rq->o->target : id->account;
    struct s_run r = {.aws = aws, .cb = cb};
    r.ev = (struct fv_restore_identities){
        .source = id->account,
        .target = target,
        .region = strcmp(target, id->account) == 0 ? id->region
                  : job->identity_region           ? job->identity_region
                                                   : fv_restore_account_region(rq->cfg, target),
        .ns = job->namespace_,
        .incomplete = id->incomplete,
    };
    s_say(&r, FV_RI_BEGIN);
    r.users = json_object_new_object();
    r.members = json_object_new_object();
    bool read_ok = true;
    if (types[FV_RESTORE_USERS] && id->users_table)
        read_ok = s_scan(&r, rq, id, id->users_table, "arn", s_user_row) && read_ok;
    if (types[FV_RESTORE_GROUPS] && id->groups_table)
        read_ok = s_scan(&r, rq, id, id->groups_table, "arn", s_group_row) && read_ok;
    if (types[FV_RESTORE_MEMBERSHIPS] && id->groups_table) {
        struct fv_buf table = {0};
        fv_name_dated_table(rq->m->started_s, job->users_group_table_name, &table);
        read_ok = s_scan(&r, rq, id, table.ptr, "group_arn", s_membership_row) && read_ok;
        fv_buf_clean_up(&table);
    }
    size_t problems = 0;
    for (int k = 0; k < 3; k++)
        if (types[FV_RESTORE_USERS + k])
            problems += r.ev.counts[k].cannot + r.ev.counts[k].failed;
    r.ev.read_ok = read_ok;
    r.ev.ok = !problems && read_ok && !id->incomplete;
    s_say(&r, FV_RI_END);
    if (r.ev.ok)
        out->ok++;
    else
        out->bad++;
    json_object_put(r.users);
    json_object_put(r.members);
}

void fv_restore_qs_identities(const struct fv_restore_qs *rq, const struct fv_restore_aws *aws,
                              const struct fv_restore_qs_callbacks *cb,
                              struct fv_restore_qs_report *out)
{
    const struct fv_manifest *m = rq->m;
    size_t n_ids = 0;
    struct s_ident *ids = fv_calloc(m->n_resources ? m->n_resources : 1, sizeof(*ids));
    for (size_t i = 0; i < m->n_resources; i++) {
        const struct fv_manifest_resource *res = &m->resources[i];
        bool users = strcmp(res->kind, "quicksight.users") == 0;
        bool groups = strcmp(res->kind, "quicksight.groups") == 0;
        if ((!users && !groups) || !fv_restore_qs_selected(rq, res->account))
            continue;
        size_t k = 0;
        while (k < n_ids && strcmp(ids[k].account, res->account) != 0)
            k++;
        if (k == n_ids) {
            ids[n_ids].account = res->account;
            ids[n_ids++].region = res->region ? res->region : rq->cfg->region;
        }
        if (!fv_manifest_resource_succeeded(res))
            ids[k].incomplete = true;
        const char *table =
            res->n_outputs ? fv_manifest_output_extra(&res->outputs[0], "table") : NULL;
        if (table && users)
            ids[k].users_table = table;
        if (table && groups)
            ids[k].groups_table = table;
    }
    for (size_t k = 0; k < n_ids && !(rq->o->stop && *rq->o->stop); k++)
        s_account(rq, aws, cb, &ids[k], out);
    free(ids);
}

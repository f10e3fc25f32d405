/* QuickSight identities: users, groups and memberships of a namespace —
 * listed for a backup, registered again on restore. */
#include "quicksight_internal.h"

#include <stdlib.h>
#include <string.h>

/* --- Users --- */

void fv_quicksight_user_clean_up(struct fv_quicksight_user *u)
{
    if (!u)
        return;
    free(u->user_name);
    free(u->arn);
    free(u->email);
    free(u->role);
    free(u->identity_type);
    free(u->principal_id);
    free(u->custom_permissions_name);
    memset(u, 0, sizeof(*u));
}

void fv_quicksight_users_clean_up(struct fv_quicksight_users *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        fv_quicksight_user_clean_up(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static fv_status s_read_user(struct json_object *obj, const char *op,
                             struct fv_quicksight_user *out, struct fv_error *err)
{
    out->user_name = fv_json_str(obj, "UserName");
    out->arn = fv_json_str(obj, "Arn");
    out->email = fv_json_str(obj, "Email");
    out->role = fv_json_str(obj, "Role");
    out->identity_type = fv_json_str(obj, "IdentityType");
    out->principal_id = fv_json_str(obj, "PrincipalId");
    out->custom_permissions_name = fv_json_str(obj, "CustomPermissionsName");
    out->active = fv_json_bool(obj, "Active");
    if (!out->user_name || !out->arn) {
        fv_quicksight_user_clean_up(out);
        return fv_error_set(err, FV_E_PARSE, "quicksight %s: a user without UserName or Arn", op);
    }
    return FV_OK;
}

static fv_status s_add_user(void *ud, struct json_object *item, struct fv_error *err)
{
    struct fv_quicksight_users *l = ud;
    struct fv_quicksight_user *u =
        fv_qs_push((void **)&l->items, &l->n, &l->cap, sizeof(*l->items));
    fv_status st = s_read_user(item, "ListUsers", u, err);
    if (st != FV_OK)
        l->n--;
    return st;
}

fv_status fv_quicksight_list_users(struct fv_aws_client *c, const char *account_id, const char *ns,
                                   const struct fv_quicksight_list_options *opt,
                                   struct fv_quicksight_users *out, struct fv_error *err)
{
    struct fv_buf path = {0};
    fv_qs_path(&path, account_id, "/namespaces", ns, "/users", NULL);
    fv_status st =
        fv_qs_list(c, "ListUsers", path.ptr, opt, "UserList", s_add_user, out, &out->pages, err);
    fv_buf_clean_up(&path);
    return st;
}

fv_status fv_quicksight_describe_user(struct fv_aws_client *c, const char *account_id,
                                      const char *ns, const char *user_name,
                                      struct fv_quicksight_user *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct fv_buf path = {0};
    fv_qs_path(&path, account_id, "/namespaces", ns, "/users", user_name, NULL);
    struct json_object *resp = NULL;
    fv_status st = fv_qs_call(c, "DescribeUser", "GET", path.ptr, NULL, NULL, &resp, err);
    if (st == FV_OK)
        st = s_read_user(fv_json_get(resp, "User"), "DescribeUser", out, err);
    json_object_put(resp);
    fv_buf_clean_up(&path);
    return st;
}

/* --- Groups --- */

void fv_quicksight_group_clean_up(struct fv_quicksight_group *g)
{
    if (!g)
        return;
    free(g->group_name);
    free(g->arn);
    free(g->description);
    free(g->principal_id);
    memset(g, 0, sizeof(*g));
}

void fv_quicksight_groups_clean_up(struct fv_quicksight_groups *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        fv_quicksight_group_clean_up(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static fv_status s_read_group(struct json_object *obj, const char *op,
                              struct fv_quicksight_group *out, struct fv_error *err)
{
    out->group_name = fv_json_str(obj, "GroupName");
    out->arn = fv_json_str(obj, "Arn");
    out->description = fv_json_str(obj, "Description");
    out->principal_id = fv_json_str(obj, "PrincipalId");
    if (!out->group_name || !out->arn) {
        fv_quicksight_group_clean_up(out);
        return fv_error_set(err, FV_E_PARSE, "quicksight %s: a group without GroupName or Arn", op);
    }
    return FV_OK;
}

static fv_status s_add_group(void *ud, struct json_object *item, struct fv_error *err)
{
    struct fv_quicksight_groups *l = ud;
    struct fv_quicksight_group *g =
        fv_qs_push((void **)&l->items, &l->n, &l->cap, sizeof(*l->items));
    fv_status st = s_read_group(item, "ListGroups", g, err);
    if (st != FV_OK)
        l->n--;
    return st;
}

fv_status fv_quicksight_list_groups(struct fv_aws_client *c, const char *account_id, const char *ns,
                                    const struct fv_quicksight_list_options *opt,
                                    struct fv_quicksight_groups *out, struct fv_error *err)
{
    struct fv_buf path = {0};
    fv_qs_path(&path, account_id, "/namespaces", ns, "/groups", NULL);
    fv_status st =
        fv_qs_list(c, "ListGroups", path.ptr, opt, "GroupList", s_add_group, out, &out->pages, err);
    fv_buf_clean_up(&path);
    return st;
}

fv_status fv_quicksight_describe_group(struct fv_aws_client *c, const char *account_id,
                                       const char *ns, const char *group_name,
                                       struct fv_quicksight_group *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct fv_buf path = {0};
    fv_qs_path(&path, account_id, "/namespaces", ns, "/groups", group_name, NULL);
    struct json_object *resp = NULL;
    fv_status st = fv_qs_call(c, "DescribeGroup", "GET", path.ptr, NULL, NULL, &resp, err);
    if (st == FV_OK)
        st = s_read_group(fv_json_get(resp, "Group"), "DescribeGroup", out, err);
    json_object_put(resp);
    fv_buf_clean_up(&path);
    return st;
}

/* --- Memberships --- */

void fv_quicksight_members_clean_up(struct fv_quicksight_members *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].member_name);
        free(l->items[i].arn);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static fv_status s_add_member(void *ud, struct json_object *item, struct fv_error *err)
{
    struct fv_quicksight_members *l = ud;
    char *name = fv_json_str(item, "MemberName");
    if (!name)
        return fv_error_set(err, FV_E_PARSE,
                            "quicksight ListGroupMemberships: a member without MemberName");
    struct fv_quicksight_member *m =
        fv_qs_push((void **)&l->items, &l->n, &l->cap, sizeof(*l->items));
    m->member_name = name;
    m->arn = fv_json_str(item, "Arn");
    return FV_OK;
}

fv_status fv_quicksight_list_group_memberships(struct fv_aws_client *c, const char *account_id,
                                               const char *ns, const char *group_name,
                                               const struct fv_quicksight_list_options *opt,
                                               struct fv_quicksight_members *out,
                                               struct fv_error *err)
{
    struct fv_buf path = {0};
    fv_qs_path(&path, account_id, "/namespaces", ns, "/groups", group_name, "/members", NULL);
    fv_status st = fv_qs_list(c, "ListGroupMemberships", path.ptr, opt, "GroupMemberList",
                              s_add_member, out, &out->pages, err);
    fv_buf_clean_up(&path);
    return st;
}

/* --- Restore --- */

/* A create call whose ResourceExistsException means "already there". */
static fv_status s_create(struct fv_aws_client *c, const char *op, const char *method,
                          const char *path, struct json_object *in, bool *created,
                          struct fv_error *err)
{
    struct fv_error local;
    struct fv_error *e = err ? err : &local;
    if (created)
        *created = false;
    fv_status st = fv_qs_call(c, op, method, path, NULL, in, NULL, e);
    if (st == FV_E_AWS && fv_qs_is_code(e, "ResourceExistsException")) {
        fv_error_clear(e);
        return FV_OK;
    }
    if (st == FV_OK && created)
        *created = true;
    return st;
}

fv_status fv_quicksight_register_user(struct fv_aws_client *c, const char *account_id,
                                      const char *ns, const struct fv_quicksight_register_user *req,
                                      bool *created, struct fv_error *err)
{
    if (created)
        *created = false;
    if (!req->identity_type || !req->email || !req->user_role)
        return fv_error_set(
            err, FV_E_INVALID,
            "quicksight RegisterUser: IdentityType, Email and UserRole are required");
    if (strcmp(req->identity_type, "QUICKSIGHT") == 0 && !req->user_name)
        return fv_error_set(err, FV_E_INVALID,
                            "quicksight RegisterUser: a QUICKSIGHT user needs a UserName");
    if (strcmp(req->identity_type, "IAM") == 0 && !req->iam_arn)
        return fv_error_set(err, FV_E_INVALID, "quicksight RegisterUser: an IAM user needs IamArn");
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "IdentityType", req->identity_type);
    fv_json_add_str(in, "Email", req->email);
    fv_json_add_str(in, "UserRole", req->user_role);
    fv_json_add_str(in, "UserName", req->user_name);
    fv_json_add_str(in, "IamArn", req->iam_arn);
    fv_json_add_str(in, "SessionName", req->session_name);
    fv_json_add_str(in, "CustomPermissionsName", req->custom_permissions_name);
    struct fv_buf path = {0};
    fv_qs_path(&path, account_id, "/namespaces", ns, "/users", NULL);
    fv_status st = s_create(c, "RegisterUser", "POST", path.ptr, in, created, err);
    fv_buf_clean_up(&path);
    json_object_put(in);
    return st;
}

fv_status fv_quicksight_create_group(struct fv_aws_client *c, const char *account_id,
                                     const char *ns, const char *group_name,
                                     const char *description, bool *created, struct fv_error *err)
{
    if (created)
        *created = false;
    if (!group_name || !*group_name)
        return fv_error_set(err, FV_E_INVALID, "quicksight CreateGroup: no GroupName");
    struct json_object *in = json_object_new_object();
    fv_json_add_str(in, "GroupName", group_name);
    fv_json_add_str(in, "Description", description);
    struct fv_buf path = {0};
    fv_qs_path(&path, account_id, "/namespaces", ns, "/groups", NULL);
    fv_status st = s_create(c, "CreateGroup", "POST", path.ptr, in, created, err);
    fv_buf_clean_up(&path);
    json_object_put(in);
    return st;
}

fv_status fv_quicksight_create_group_membership(struct fv_aws_client *c, const char *account_id,
                                                const char *ns, const char *group_name,
                                                const char *member_name, struct fv_error *err)
{
    struct fv_buf path = {0};
    fv_qs_path(&path, account_id, "/namespaces", ns, "/groups", group_name, "/members", member_name,
               NULL);
    fv_status st = fv_qs_call(c, "CreateGroupMembership", "PUT", path.ptr, NULL, NULL, NULL, err);
    fv_buf_clean_up(&path);
    return st;
}

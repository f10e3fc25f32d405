/* IAM: users, roles, inline policies (query protocol). */
#include <fv/iam.h>
#include <fv/sigv4.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_IAM_VERSION "2010-05-08"
#define S_IAM_MAX_ITEMS 1000

static fv_status s_notfound(fv_status st, struct fv_error *err)
{
    if (st == FV_E_AWS && err && strcmp(err->code, "NoSuchEntity") == 0) {
        err->status = FV_E_NOTFOUND;
        return FV_E_NOTFOUND;
    }
    return st;
}

void fv_iam_principals_clean_up(struct fv_iam_principals *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].name);
        free(l->items[i].arn);
        free(l->items[i].path);
        free(l->items[i].id);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

/* ListUsers / ListRoles: "<op>Result/<list>/member" items with
 * <name_field>, Arn, Path, <id_field>. */
static fv_status s_list(struct fv_aws_client *c, const char *op, const char *list,
                        const char *name_field, const char *id_field, const struct fv_iam_list *req,
                        struct fv_iam_principals *out, struct fv_error *err)
{
    int page_size = req && req->page_size > 0 ? req->page_size : S_IAM_MAX_ITEMS;
    if (page_size > S_IAM_MAX_ITEMS)
        return fv_error_set(err, FV_E_INVALID, "iam %s: page size %d not in 1..1000", op,
                            page_size);
    char result_path[64];
    snprintf(result_path, sizeof(result_path), "%sResult/%s", op, list);
    fv_status st = FV_OK;
    char *marker = NULL, *prev = NULL;
    do {
        struct fv_params p = {0};
        fv_params_add(&p, "PathPrefix", req && req->path_prefix ? req->path_prefix : "/");
        fv_params_addf(&p, "MaxItems", "%d", page_size);
        if (marker)
            fv_params_add(&p, "Marker", marker);
        free(prev);
        prev = marker;
        marker = NULL;
        xmlDocPtr doc = NULL;
        st = fv_aws_query(c, "iam", op, S_IAM_VERSION, &p, &doc, err);
        fv_params_clean_up(&p);
        if (st != FV_OK)
            break;
        out->pages++;
        xmlNodePtr items = fv_xml_path(xmlDocGetRootElement(doc), result_path);
        for (xmlNodePtr m = items ? items->children : NULL; m; m = m->next) {
            if (m->type != XML_ELEMENT_NODE || strcmp((const char *)m->name, "member") != 0)
                continue;
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 32;
                out->items = fv_realloc(out->items, out->cap * sizeof(*out->items));
            }
            struct fv_iam_principal *pr = &out->items[out->n];
            pr->name = fv_xml_path_text(m, name_field);
            pr->arn = fv_xml_path_text(m, "Arn");
            pr->path = fv_xml_path_text(m, "Path");
            pr->id = fv_xml_path_text(m, id_field);
            if (!pr->name || !pr->arn) {
                free(pr->name);
                free(pr->arn);
                free(pr->path);
                free(pr->id);
                st = fv_error_set(err, FV_E_PARSE, "iam %s: an item without %s or Arn", op,
                                  name_field);
                break;
            }
            if (!pr->path)
                pr->path = fv_strdup("/");
            out->n++;
        }
        if (st == FV_OK)
            marker = fv_page_token_xml(doc, "Marker");
        xmlFreeDoc(doc);
        if (marker && prev && strcmp(marker, prev) == 0)
            st = fv_error_set(err, FV_E_PARSE, "iam %s: the same Marker twice", op);
    } while (st == FV_OK && marker);
    free(marker);
    free(prev);
    return st;
}

fv_status fv_iam_list_users(struct fv_aws_client *c, const struct fv_iam_list *req,
                            struct fv_iam_principals *out, struct fv_error *err)
{
    return s_list(c, "ListUsers", "Users", "UserName", "UserId", req, out, err);
}

fv_status fv_iam_list_roles(struct fv_aws_client *c, const struct fv_iam_list *req,
                            struct fv_iam_principals *out, struct fv_error *err)
{
    return s_list(c, "ListRoles", "Roles", "RoleName", "RoleId", req, out, err);
}

/* Policy documents come back URL-encoded (RFC 3986: "%7B%22Version..."). A
 * document that is already JSON (starts with '{') is returned as it is. */
static char *s_decode_document(const char *text)
{
    struct fv_buf b = {0};
    const char *p = text + strspn(text, " \t\r\n");
    if (*p != '{' && fv_uri_decode(&b, text, strlen(text)))
        return fv_buf_detach(&b);
    fv_buf_clean_up(&b);
    return fv_strdup(text);
}

static fv_status s_get_policy(struct fv_aws_client *c, const char *op, const char *who_param,
                              const char *who, const char *policy_name, char **document_out,
                              struct fv_error *err)
{
    *document_out = NULL;
    struct fv_params p = {0};
    fv_params_add(&p, who_param, who);
    fv_params_add(&p, "PolicyName", policy_name);
    xmlDocPtr doc = NULL;
    fv_status st = s_notfound(fv_aws_query(c, "iam", op, S_IAM_VERSION, &p, &doc, err), err);
    fv_params_clean_up(&p);
    if (st != FV_OK)
        return st;
    char path[64];
    snprintf(path, sizeof(path), "%sResult/PolicyDocument", op);
    char *raw = fv_xml_path_text(xmlDocGetRootElement(doc), path);
    xmlFreeDoc(doc);
    if (!raw)
        return fv_error_set(err, FV_E_PARSE, "iam %s: no PolicyDocument in response", op);
    *document_out = s_decode_document(raw);
    free(raw);
    return FV_OK;
}

fv_status fv_iam_get_user_policy(struct fv_aws_client *c, const char *user, const char *policy_name,
                                 char **document_out, struct fv_error *err)
{
    return s_get_policy(c, "GetUserPolicy", "UserName", user, policy_name, document_out, err);
}

fv_status fv_iam_get_role_policy(struct fv_aws_client *c, const char *role, const char *policy_name,
                                 char **document_out, struct fv_error *err)
{
    return s_get_policy(c, "GetRolePolicy", "RoleName", role, policy_name, document_out, err);
}

static fv_status s_policy_op(struct fv_aws_client *c, const char *op, const char *who_param,
                             const char *who, const char *policy_name, const char *document,
                             struct fv_error *err)
{
    struct fv_params p = {0};
    fv_params_add(&p, who_param, who);
    fv_params_add(&p, "PolicyName", policy_name);
    if (document)
        fv_params_add(&p, "PolicyDocument", document);
    fv_status st = s_notfound(fv_aws_query(c, "iam", op, S_IAM_VERSION, &p, NULL, err), err);
    fv_params_clean_up(&p);
    return st;
}

fv_status fv_iam_put_user_policy(struct fv_aws_client *c, const char *user, const char *policy_name,
                                 const char *document, struct fv_error *err)
{
    if (!document)
        return fv_error_set(err, FV_E_INVALID, "iam PutUserPolicy: no policy document");
    return s_policy_op(c, "PutUserPolicy", "UserName", user, policy_name, document, err);
}

fv_status fv_iam_put_role_policy(struct fv_aws_client *c, const char *role, const char *policy_name,
                                 const char *document, struct fv_error *err)
{
    if (!document)
        return fv_error_set(err, FV_E_INVALID, "iam PutRolePolicy: no policy document");
    return s_policy_op(c, "PutRolePolicy", "RoleName", role, policy_name, document, err);
}

fv_status fv_iam_delete_user_policy(struct fv_aws_client *c, const char *user,
                                    const char *policy_name, struct fv_error *err)
{
    return s_policy_op(c, "DeleteUserPolicy", "UserName", user, policy_name, NULL, err);
}

/* IAM (query protocol, 2010-05-08; a global service signed for us-east-1):
 * inventory of users and roles, inline policies (fleetvault's
 * deny-delete-backup guards). Errors by value; NoSuchEntity is
 * FV_E_NOTFOUND (err->code kept). */
#ifndef FV_IAM_H
#define FV_IAM_H

#include <fv/aws.h>

/* A user or a role. */
struct fv_iam_principal {
    char *name;
    char *arn;
    char *path; /* "/", "/aws-service-role/backup.amazonaws.com/", ... */
    char *id;   /* UserId / RoleId */
};

struct fv_iam_principals {
    struct fv_iam_principal *items;
    size_t n, cap;
    size_t pages; /* calls made into this list */
};
void fv_iam_principals_clean_up(struct fv_iam_principals *l);

struct fv_iam_list {
    const char *path_prefix; /* NULL → "/" (everything) */
    int page_size;           /* MaxItems 1..1000; 0 → 1000 */
};

/* Every user / role (all pages via Marker/IsTruncated), appended to out
 * (caller's; clean up with fv_iam_principals_clean_up). req may be NULL. */
fv_status fv_iam_list_users(struct fv_aws_client *c, const struct fv_iam_list *req,
                            struct fv_iam_principals *out, struct fv_error *err);
fv_status fv_iam_list_roles(struct fv_aws_client *c, const struct fv_iam_list *req,
                            struct fv_iam_principals *out, struct fv_error *err);

/* Inline policy documents. *document_out (caller owns; free()) is the JSON
 * text, URL-decoded. FV_E_NOTFOUND when the user/role or policy does not
 * exist. */
fv_status fv_iam_get_user_policy(struct fv_aws_client *c, const char *user, const char *policy_name,
                                 char **document_out, struct fv_error *err);
fv_status fv_iam_get_role_policy(struct fv_aws_client *c, const char *role, const char *policy_name,
                                 char **document_out, struct fv_error *err);

/* Creates or replaces an inline policy. FV_E_NOTFOUND when the user/role
 * does not exist; MalformedPolicyDocument is FV_E_AWS. */
fv_status fv_iam_put_user_policy(struct fv_aws_client *c, const char *user, const char *policy_name,
                                 const char *document, struct fv_error *err);
fv_status fv_iam_put_role_policy(struct fv_aws_client *c, const char *role, const char *policy_name,
                                 const char *document, struct fv_error *err);
/* FV_E_NOTFOUND when there is no such policy. */
fv_status fv_iam_delete_user_policy(struct fv_aws_client *c, const char *user,
                                    const char *policy_name, struct fv_error *err);

#endif

/* STS: GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity. */
#include "sts.h"

#include <fv/aws.h>
#include <fv/endpoint.h>
#include <fv/log.h>
#include <fv/sts.h>

#include <stdlib.h>
#include <string.h>

#define S_STS_VERSION "2011-06-15"

void fv_caller_identity_clean_up(struct fv_caller_identity *id)
{
    if (!id)
        return;
    free(id->account);
    free(id->arn);
    free(id->user_id);
    memset(id, 0, sizeof(*id));
}

fv_status fv_sts_get_caller_identity(struct fv_aws_client *c, struct fv_caller_identity *out,
                                     struct fv_error *err)
{
    xmlDocPtr doc = NULL;
    memset(out, 0, sizeof(*out));
    fv_status st = fv_aws_query(c, "sts", "GetCallerIdentity", S_STS_VERSION, NULL, &doc, err);
    if (st != FV_OK)
        return st;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    out->account = fv_xml_path_text(root, "GetCallerIdentityResult/Account");
    out->arn = fv_xml_path_text(root, "GetCallerIdentityResult/Arn");
    out->user_id = fv_xml_path_text(root, "GetCallerIdentityResult/UserId");
    xmlFreeDoc(doc);
    if (!out->account || !out->arn) {
        fv_caller_identity_clean_up(out);
        return fv_error_set(err, FV_E_PARSE, "sts GetCallerIdentity: no Account/Arn in response");
    }
    return FV_OK;
}

/* Reads <Credentials> under result (e.g. "AssumeRoleResult") into out. */
static fv_status s_read_credentials(xmlDocPtr doc, const char *result, const char *op,
                                    struct fv_credentials *out, struct fv_error *err)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr creds = fv_xml_path(root, result);
    creds = creds ? fv_xml_path(creds, "Credentials") : NULL;
    if (!creds)
        return fv_error_set(err, FV_E_PARSE, "sts %s: no Credentials in response", op);
    out->access_key_id = fv_xml_path_text(creds, "AccessKeyId");
    out->secret_access_key = fv_xml_path_text(creds, "SecretAccessKey");
    out->session_token = fv_xml_path_text(creds, "SessionToken");
    char *exp = fv_xml_path_text(creds, "Expiration");
    out->expiration = exp ? fv_time_parse_iso8601(exp) : 0;
    free(exp);
    if (!out->access_key_id || !out->secret_access_key || out->expiration < 0) {
        fv_credentials_clean_up(out);
        return fv_error_set(err, FV_E_PARSE, "sts %s: incomplete Credentials in response", op);
    }
    /* The provider that caches them holds them in the log's registry. */
    return FV_OK;
}

fv_status fv_sts_assume_role(struct fv_creds_provider *source, const char *region,
                             const char *role_arn, const char *external_id,
                             const char *session_name, int duration_s,
                             const struct fv_creds_env *env, struct fv_credentials *out,
                             struct fv_error *err)
{
    struct fv_aws_client_options o = {
        .region = region,
        .creds = source,
        .clock = env ? env->clock : NULL,
        .getenv = env ? env->getenv : NULL,
        .getenv_ud = env ? env->getenv_ud : NULL,
    };
    if (env && env->http)
        o.http = *env->http;
    memset(out, 0, sizeof(*out));
    struct fv_aws_client *c = fv_aws_client_new(&o, err);
    if (!c)
        return err ? err->status : FV_E_INVALID;
    struct fv_params p = {0};
    fv_params_add(&p, "RoleArn", role_arn);
    fv_params_add(&p, "RoleSessionName", session_name);
    fv_params_addf(&p, "DurationSeconds", "%d", duration_s > 0 ? duration_s : 3600);
    if (external_id)
        fv_params_add(&p, "ExternalId", external_id);
    xmlDocPtr doc = NULL;
    fv_status st = fv_aws_query(c, "sts", "AssumeRole", S_STS_VERSION, &p, &doc, err);
    if (st == FV_OK)
        st = s_read_credentials(doc, "AssumeRoleResult", "AssumeRole", out, err);
    if (st != FV_OK && err && err->status == FV_E_AWS) {
        /* Name the role: "AccessDenied" alone does not say which of many. */
        char msg[sizeof(err->message)];
        snprintf(msg, sizeof(msg), "assuming %s: %.400s", role_arn, err->message);
        memcpy(err->message, msg, sizeof(msg));
    }
    fv_xml_free_secret(doc);
    fv_params_clean_up(&p);
    fv_aws_client_destroy(c);
    return st;
}

static const char *s_real_getenv(void *ud, const char *name)
{
    (void)ud;
    return getenv(name);
}

fv_status fv_sts_assume_role_with_web_identity(const char *region, const char *role_arn,
                                               const char *session_name, const char *token,
                                               const struct fv_creds_env *env,
                                               struct fv_credentials *out, struct fv_error *err)
{
    /* The one unsigned AWS call: the web identity token is the credential. */
    struct fv_endpoint ep = {0};
    const char *(*ge)(void *, const char *) = env && env->getenv ? env->getenv : s_real_getenv;
    void *ge_ud = env ? env->getenv_ud : NULL;
    memset(out, 0, sizeof(*out));
    fv_status st = fv_endpoint_resolve("sts", region, ge, ge_ud, &ep, err);
    if (st != FV_OK)
        return st;

    struct fv_params p = {0};
    fv_params_add(&p, "Action", "AssumeRoleWithWebIdentity");
    fv_params_add(&p, "Version", S_STS_VERSION);
    fv_params_add(&p, "RoleArn", role_arn);
    fv_params_add(&p, "RoleSessionName", session_name);
    fv_params_add(&p, "WebIdentityToken", token);
    struct fv_buf body = {.secret = true}, url = {0};
    fv_params_encode(&p, &body);
    fv_buf_printf(&url, "%s://%s%s/", ep.scheme, ep.host, ep.base_path);

    struct fv_http_request req = {.method = "POST", .url = url.ptr, .body = {body.ptr, body.len}};
    fv_headers_add(&req.headers, "Content-Type",
                   "application/x-www-form-urlencoded; charset=utf-8");
    struct fv_http_response resp = {0};
    struct fv_http_options ho;
    if (env && env->http)
        ho = *env->http;
    else
        fv_http_options_default(&ho);
    xmlDocPtr doc = NULL;
    st = fv_http_simple(&ho, &req, &resp, err);
    if (st == FV_OK && resp.status != 200) {
        fv_awsproto_decode_error(FV_PROTO_QUERY, resp.status, &resp.headers,
                                 (struct fv_cur){resp.body.ptr, resp.body.len}, err);
        if (err) {
            char msg[sizeof(err->message)];
            snprintf(msg, sizeof(msg), "sts AssumeRoleWithWebIdentity %s: %s: %.400s", role_arn,
                     err->code, err->message);
            memcpy(err->message, msg, sizeof(msg));
        }
        st = FV_E_AWS;
    }
    if (st == FV_OK) {
        doc = fv_xml_parse((struct fv_cur){resp.body.ptr, resp.body.len}, err);
        st = doc ? s_read_credentials(doc, "AssumeRoleWithWebIdentityResult",
                                      "AssumeRoleWithWebIdentity", out, err)
                 : FV_E_PARSE;
    }
    fv_xml_free_secret(doc);
    fv_http_response_clean_up(&resp);
    fv_http_request_clean_up(&req);
    fv_buf_wipe(&body);
    fv_buf_clean_up(&url);
    fv_params_clean_up(&p);
    fv_endpoint_clean_up(&ep);
    return st;
}

/* EC2 instance metadata, IMDSv2 only: PUT /latest/api/token for a session
 * token, then GET /latest/meta-data/iam/security-credentials/ for the role
 * name, then GET .../<role> for the credentials. Short timeouts (1 s) and one
 * retry, as the SDKs do, since off EC2 nothing answers. */
#include "aws/creds_internal.h"

#include <fv/log.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_DEFAULT_ENDPOINT "http://169.254.169.254"
#define S_DEFAULT_ENDPOINT_V6 "http://[fd00:ec2::254]"
#define S_TIMEOUT_MS 1000
#define S_CREDS_PATH "/latest/meta-data/iam/security-credentials/"

bool fv_creds_imds_disabled(const struct fv_creds_env *env)
{
    const char *v = fv_creds_getenv_nonempty(env, "AWS_EC2_METADATA_DISABLED");
    return v && strcasecmp(v, "true") == 0;
}

void fv_creds_imds_endpoint(const struct fv_creds_env *env, struct fv_buf *out)
{
    const char *ep = fv_creds_getenv_nonempty(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = fv_creds_getenv_nonempty(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");

    fv_buf_reset(out);
    if (!ep)
        ep = mode && strcasecmp(mode, "IPv6") == 0 ? S_DEFAULT_ENDPOINT_V6 : S_DEFAULT_ENDPOINT;
    size_t n = strlen(ep);
    while (n > 0 && ep[n - 1] == '/')
        n--;
    fv_buf_append(out, ep, n);
}

static fv_status s_status_error(struct fv_error *err, const char *endpoint, const char *what,
                                int status)
{
    const char *hint = "";
    if (status == 403 && strstr(what, "token"))
        hint = " (is IMDS disabled on this instance?)";
    else if (status == 404 && strstr(what, "role"))
        hint = " (no IAM role attached to this instance?)";
    fv_error_set(err, status >= 500 ? FV_E_NET : FV_E_AUTH,
                 "EC2 instance metadata at %s: %s answered HTTP %d%s", endpoint, what, status,
                 hint);
    if (err) {
        err->http_status = status;
        err->retryable = status >= 500;
    }
    return err ? err->status : FV_E_AUTH;
}

static bool s_role_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && !strchr("+=,.@_-", c))
            return false;
    }
    return true;
}

static fv_status s_imds_fetch(struct fv_creds_provider *p, struct fv_credentials *out,
                              struct fv_error *err)
{
    struct fv_buf ep = {0}, url = {0}, body = {0};
    struct fv_headers h = {0};
    char *token = NULL, *role = NULL;
    int status = 0;
    fv_status st;

    fv_creds_imds_endpoint(&p->env, &ep);

    fv_buf_printf(&url, "%s/latest/api/token", fv_buf_str(&ep));
    fv_headers_add(&h, "X-aws-ec2-metadata-token-ttl-seconds", "21600");
    st = fv_creds_http("PUT", fv_buf_str(&url), &h, S_TIMEOUT_MS, &status, &body, err);
    if (st != FV_OK)
        goto net_fail;
    if (status != 200) {
        st = s_status_error(err, fv_buf_str(&ep), "the session token request", status);
        goto out;
    }
    size_t n = body.len;
    while (n > 0 && isspace((unsigned char)body.ptr[n - 1]))
        n--;
    if (n == 0 || memchr(body.ptr, '\n', n) || memchr(body.ptr, '\r', n) ||
        memchr(body.ptr, '\0', n)) {
        st = fv_error_set(err, FV_E_PARSE, "EC2 instance metadata at %s: bad session token",
                          fv_buf_str(&ep));
        goto out;
    }
    token = fv_strndup(body.ptr, n);
    fv_log_secret_hold(token); /* one per fetch: forgotten below */
    fv_headers_clean_up(&h);
    fv_headers_add(&h, "X-aws-ec2-metadata-token", token);

    fv_buf_reset(&url);
    fv_buf_printf(&url, "%s" S_CREDS_PATH, fv_buf_str(&ep));
    st = fv_creds_http("GET", fv_buf_str(&url), &h, S_TIMEOUT_MS, &status, &body, err);
    if (st != FV_OK)
        goto net_fail;
    if (status != 200) {
        st = s_status_error(err, fv_buf_str(&ep), "the IAM role request", status);
        goto out;
    }
    const char *b = fv_buf_str(&body);
    while (isspace((unsigned char)*b))
        b++;
    size_t rn = strcspn(b, "\r\n \t");
    if (!s_role_name_ok(b, rn)) {
        st = fv_error_set(err, FV_E_PARSE,
                          "EC2 instance metadata at %s: no usable IAM role name "
                          "in " S_CREDS_PATH,
                          fv_buf_str(&ep));
        goto out;
    }
    role = fv_strndup(b, rn);

    fv_buf_reset(&url);
    fv_buf_printf(&url, "%s" S_CREDS_PATH "%s", fv_buf_str(&ep), role);
    st = fv_creds_http("GET", fv_buf_str(&url), &h, S_TIMEOUT_MS, &status, &body, err);
    if (st != FV_OK)
        goto net_fail;
    if (status != 200) {
        st = s_status_error(err, fv_buf_str(&ep), "the credentials request", status);
        goto out;
    }
    st = fv_creds_parse_json(fv_buf_str(&body), body.len, fv_buf_str(&url), out, err);
    goto out;

net_fail:
    fv_creds_error_prefix(err, "EC2 instance metadata at %s: ", fv_buf_str(&ep));
out:
    fv_log_secret_forget(token);
    fv_buf_wipe(&body);
    fv_headers_clean_up(&h); /* wipes the token header */
    fv_buf_clean_up(&url);
    fv_buf_clean_up(&ep);
    fv_free_secret(token);
    free(role);
    return st;
}

static const struct fv_creds_vtable s_imds_vt = {
    .fetch = s_imds_fetch,
};

struct fv_creds_provider *fv_creds_imds_new(const struct fv_creds_env *env)
{
    return fv_creds_provider_new(&s_imds_vt, NULL, "imds", env);
}

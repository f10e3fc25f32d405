/* Container credentials (ECS task roles, EKS Pod Identity):
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI → http://169.254.170.2<uri>, or
 * AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a loopback or the
 * ECS/EKS link-local hosts only), with an Authorization header from
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read on every refresh) or
 * AWS_CONTAINER_AUTHORIZATION_TOKEN. */
#include "aws/creds_internal.h"

#include <fv/log.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_ECS_HOST "http://169.254.170.2"
#define S_TIMEOUT_MS 2000

struct s_container {
    char *url;
};

/* Whether host (no brackets, no port) may be reached over plain http. */
static bool s_host_allowed(const char *host)
{
    unsigned char a4[4], a6[16], want[16];
    if (strcasecmp(host, "localhost") == 0 || strcmp(host, "169.254.170.2") == 0 ||
        strcmp(host, "169.254.170.23") == 0)
        return true;
    if (inet_pton(AF_INET, host, a4) == 1)
        return a4[0] == 127;
    if (inet_pton(AF_INET6, host, a6) == 1) {
        if (inet_pton(AF_INET6, "::1", want) == 1 && memcmp(a6, want, 16) == 0)
            return true;
        if (inet_pton(AF_INET6, "fd00:ec2::23", want) == 1 && memcmp(a6, want, 16) == 0)
            return true;
    }
    return false;
}

static fv_status s_check_full_uri(const char *uri, struct fv_error *err)
{
    static const char var[] = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
    const char *rest;
    bool https = false;
    fv_status st = FV_OK;
    char *host = NULL;

    if (strncasecmp(uri, "https://", 8) == 0) {
        rest = uri + 8;
        https = true;
    } else if (strncasecmp(uri, "http://", 7) == 0) {
        rest = uri + 7;
    } else {
        return fv_error_set(err, FV_E_INVALID, "%s must be an http:// or https:// URL", var);
    }
    size_t alen = strcspn(rest, "/?#");
    if (alen == 0 || memchr(rest, '@', alen))
        return fv_error_set(err, FV_E_INVALID, "%s has no usable host", var);
    if (https)
        return FV_OK;
    if (rest[0] == '[') {
        const char *close = memchr(rest, ']', alen);
        if (!close)
            return fv_error_set(err, FV_E_INVALID, "%s has a bad IPv6 host", var);
        host = fv_strndup(rest + 1, (size_t)(close - rest - 1));
    } else {
        const char *colon = memchr(rest, ':', alen);
        host = fv_strndup(rest, colon ? (size_t)(colon - rest) : alen);
    }
    if (!s_host_allowed(host))
        st = fv_error_set(err, FV_E_INVALID,
                          "%s host '%s' is not allowed over http: only a "
                          "loopback address, 169.254.170.2, 169.254.170.23 or "
                          "[fd00:ec2::23] (or use https)",
                          var, host);
    free(host);
    return st;
}

fv_status fv_creds_container_url(const struct fv_creds_env *env, char **url, struct fv_error *err)
{
    const char *rel = fv_creds_getenv_nonempty(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = fv_creds_getenv_nonempty(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    struct fv_buf b = {0};

    *url = NULL;
    if (rel) {
        fv_buf_append_str(&b, S_ECS_HOST);
        if (rel[0] != '/')
            fv_buf_append_char(&b, '/');
        fv_buf_append_str(&b, rel);
        *url = fv_buf_detach(&b);
        return FV_OK;
    }
    if (!full)
        return FV_OK;
    fv_status st = s_check_full_uri(full, err);
    if (st == FV_OK)
        *url = fv_strdup(full);
    return st;
}

/* The Authorization header value into out (empty when none). */
static fv_status s_auth_token(const struct fv_creds_env *env, struct fv_buf *out,
                              struct fv_error *err)
{
    const char *file = fv_creds_getenv_nonempty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *tok = fv_creds_getenv_nonempty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    const char *what;

    if (file) {
        fv_status st =
            fv_creds_read_token_file(file, "container authorization token file", out, err);
        if (st != FV_OK)
            return st;
        what = file;
    } else if (tok) {
        fv_log_secret(tok);
        out->secret = true;
        fv_buf_append_str(out, tok);
        what = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
    } else {
        return FV_OK;
    }
    if (strpbrk(out->ptr, "\r\n"))
        return fv_error_set(err, FV_E_INVALID,
                            "the container authorization token in %s holds a "
                            "line break",
                            what);
    return FV_OK;
}

static fv_status s_container_fetch(struct fv_creds_provider *p, struct fv_credentials *out,
                                   struct fv_error *err)
{
    struct s_container *c = p->impl;
    struct fv_buf token = {0}, body = {0};
    struct fv_headers headers = {0};
    int status = 0;
    fv_status st;

    st = s_auth_token(&p->env, &token, err);
    if (st != FV_OK)
        goto out;
    fv_headers_add(&headers, "Accept", "application/json");
    if (token.len)
        fv_headers_add(&headers, "Authorization", token.ptr);
    st = fv_creds_http("GET", c->url, &headers, S_TIMEOUT_MS, &status, &body, err);
    if (st != FV_OK) {
        fv_creds_error_prefix(err, "container credentials endpoint %s: ", c->url);
        goto out;
    }
    if (status != 200) {
        st = fv_error_set(err, status >= 500 ? FV_E_NET : FV_E_AUTH,
                          "container credentials endpoint %s answered HTTP %d", c->url, status);
        if (err) {
            err->http_status = status;
            err->retryable = status >= 500;
        }
        goto out;
    }
    st = fv_creds_parse_json(fv_buf_str(&body), body.len, c->url, out, err);
out:
    fv_log_secret_forget(token.ptr); /* a token from a file rotates */
    fv_buf_wipe(&token);
    fv_buf_wipe(&body);
    fv_headers_clean_up(&headers); /* wipes the Authorization value */
    return st;
}

static void s_container_destroy(void *impl)
{
    struct s_container *c = impl;
    free(c->url);
    free(c);
}

static const struct fv_creds_vtable s_container_vt = {
    .fetch = s_container_fetch,
    .destroy = s_container_destroy,
};

fv_status fv_creds_container_from_env(const struct fv_creds_env *env,
                                      struct fv_creds_provider **out, struct fv_error *err)
{
    char *url = NULL;

    *out = NULL;
    fv_status st = fv_creds_container_url(env, &url, err);
    if (st != FV_OK || !url)
        return st;
    struct s_container *c = fv_calloc(1, sizeof(*c));
    c->url = url;
    *out = fv_creds_provider_new(&s_container_vt, c, "container", env);
    return FV_OK;
}

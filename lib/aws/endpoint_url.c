/* Which URLs handed to us by AWS may be fetched: a QuickSight DownloadUrl is
 * a presigned S3 URL ("SensitiveS3Uri" in the service model) of the job's
 * region. Anything else — another scheme, another host, a link-local or
 * literal address, userinfo — is refused before a byte is sent, and the
 * refusal names the scheme and host only: the query is a signature. */
#include <fv/endpoint.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *s_no_env(void *ud, const char *name)
{
    (void)ud;
    (void)name;
    return NULL;
}

static bool s_host_chars(const char *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)h[i]) || isdigit((unsigned char)h[i]) || h[i] == '-' ||
              h[i] == '.'))
            return false;
    return n > 0;
}

/* host (lowercase) is an S3 host of region: [bucket.]s3.<region>.<suffix>,
 * [bucket.]s3-<region>.<suffix>, [bucket.]s3.dualstack.<region>.<suffix>,
 * and the global [bucket.]s3.<suffix>. s3_host is the regional host
 * "s3.<region>.<suffix>" from the endpoint table. */
static bool s_s3_host(const char *host, const char *region, const char *s3_host)
{
    size_t rl = strlen(region);
    if (strncmp(s3_host, "s3.", 3) != 0 || strncmp(s3_host + 3, region, rl) != 0 ||
        s3_host[3 + rl] != '.')
        return false;
    const char *suffix = s3_host + 3 + rl + 1;
    struct fv_buf want = {0};
    bool ok = false;
    for (int i = 0; i < 4 && !ok; i++) {
        fv_buf_reset(&want);
        if (i == 0)
            fv_buf_printf(&want, "s3.%s.%s", region, suffix);
        else if (i == 1)
            fv_buf_printf(&want, "s3-%s.%s", region, suffix);
        else if (i == 2)
            fv_buf_printf(&want, "s3.dualstack.%s.%s", region, suffix);
        else /* the global endpoint: S3 presigns virtual-hosted URLs on it
              * for buckets of any region (they still answer from there) */
            fv_buf_printf(&want, "s3.%s", suffix);
        size_t hl = strlen(host), wl = want.len;
        if (hl == wl)
            ok = strcmp(host, want.ptr) == 0;
        else if (hl > wl + 1) /* bucket.<form>: a non-empty bucket label first */
            ok = host[hl - wl - 1] == '.' && strcmp(host + hl - wl, want.ptr) == 0 &&
                 host[0] != '.' && host[0] != '-';
    }
    fv_buf_clean_up(&want);
    return ok;
}

/* host[:port] of an overridden s3 or quicksight endpoint with this scheme. */
static bool s_override(const char *scheme, const char *authority, const char *region,
                       const char *(*getenv_fn)(void *, const char *), void *ud)
{
    static const char *const services[] = {"s3", "quicksight"};
    bool ok = false;
    for (size_t i = 0; i < 2 && !ok; i++) {
        struct fv_endpoint ep = {0};
        if (fv_endpoint_resolve(services[i], region, getenv_fn, ud, &ep, NULL) == FV_OK &&
            ep.overridden)
            ok = strcasecmp(ep.scheme, scheme) == 0 && strcasecmp(ep.host, authority) == 0;
        fv_endpoint_clean_up(&ep);
    }
    return ok;
}

fv_status fv_endpoint_check_download_url(const char *url, const char *region,
                                         const char *(*getenv_fn)(void *ud, const char *name),
                                         void *getenv_ud, struct fv_error *err)
{
    fv_status st = FV_OK;
    char scheme[16] = "", *authority = NULL, *host = NULL;
    struct fv_endpoint s3 = {0};

    size_t sn =
        url ? strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") : 0;
    if (!url || sn == 0 || sn >= sizeof(scheme) || strncmp(url + sn, "://", 3) != 0) {
        st = fv_error_set(err, FV_E_INVALID, "download URL refused: not an absolute URL");
        goto out;
    }
    for (size_t i = 0; i < sn; i++)
        scheme[i] = (char)tolower((unsigned char)url[i]);
    const char *rest = url + sn + 3;
    size_t an = strcspn(rest, "/?#");
    authority = fv_strndup(rest, an);
    for (char *p = authority; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    /* What the refusal may name: the scheme and the authority, printable
     * and without userinfo (the part before '@' could be a credential). */
    const char *shown = strrchr(authority, '@') ? strrchr(authority, '@') + 1 : authority;
    bool printable = true;
    for (const char *p = authority; *p; p++)
        printable = printable && isgraph((unsigned char)*p) && *p != '\\';
    if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
        st = fv_error_set(err, FV_E_INVALID,
                          "download URL refused: scheme '%s' (only https to an S3 host of %s)",
                          scheme, region);
        goto out;
    }
    if (!printable || strchr(authority, '@') || an == 0) {
        st = fv_error_set(err, FV_E_INVALID,
                          "download URL refused: %s URL with userinfo or a malformed host '%s'",
                          scheme, printable ? shown : "?");
        goto out;
    }
    if (s_override(scheme, authority, region, getenv_fn, getenv_ud))
        goto out; /* the configured endpoint (a test world, a VPC endpoint) */
    if (strcmp(scheme, "https") != 0) {
        st = fv_error_set(err, FV_E_INVALID,
                          "download URL refused: plain http to '%s' (only https to an S3 host "
                          "of %s, or http to an overridden endpoint)",
                          authority, region);
        goto out;
    }
    /* https: host, optional :443. Literal addresses ([v6], a.b.c.d) never
     * match the S3 forms below. */
    const char *colon = authority[0] == '[' ? NULL : strchr(authority, ':');
    host = fv_strndup(authority, colon ? (size_t)(colon - authority) : strlen(authority));
    bool port_ok = !colon || strcmp(colon, ":443") == 0;
    if (fv_endpoint_resolve("s3", region, s_no_env, NULL, &s3, NULL) != FV_OK || !port_ok ||
        !s_host_chars(host, strlen(host)) || host[strlen(host) - 1] == '.' ||
        !s_s3_host(host, region, s3.host)) {
        st = fv_error_set(err, FV_E_INVALID,
                          "download URL refused: host '%s' is not an S3 host of %s (expected "
                          "[bucket.]%s)",
                          authority, region, s3.host ? s3.host : "s3.<region>.amazonaws.com");
        goto out;
    }
out:
    if (st != FV_OK && err) {
        snprintf(err->code, sizeof(err->code), "%s", "DownloadUrlRefused");
        err->retryable = false;
    }
    fv_endpoint_clean_up(&s3);
    free(authority);
    free(host);
    return st;
}

/* Endpoint resolution: region + service → scheme, host, signing region.
 *
 * Hosts and signing regions come from botocore 1.43's data/endpoints.json
 * (partitions, and the "partitionEndpoint" of the global services); the
 * AWS_ENDPOINT_URL* variables follow the AWS SDKs and Tools reference guide,
 * "Service-specific endpoints": AWS_ENDPOINT_URL_<SERVICE> names the service
 * by its service id (botocore service-2.json metadata.serviceId) uppercased
 * with spaces replaced by underscores. */
#include <fv/endpoint.h>
#include <fv/sigv4.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Partitions: the region prefix, the DNS suffix. The first match wins; the
 * last entry is the default ("aws"). */
static const struct {
    const char *name;
    const char *region_prefix;
    const char *dns_suffix;
} s_partitions[] = {
    {"aws-cn", "cn-", "amazonaws.com.cn"},       {"aws-us-gov", "us-gov-", "amazonaws.com"},
    {"aws-iso", "us-iso-", "c2s.ic.gov"},        {"aws-iso-b", "us-isob-", "sc2s.sgov.gov"},
    {"aws-iso-e", "eu-isoe-", "cloud.adc-e.uk"}, {"aws-iso-f", "us-isof-", "csp.hci.ic.gov"},
    {"aws-eusc", "eusc-", "amazonaws.eu"},       {"aws", "", "amazonaws.com"},
};

/* Global services: one host per partition, signed for one region. */
static const struct {
    const char *service;
    const char *partition;
    const char *host;
    const char *signing_region;
} s_globals[] = {
    {"iam", "aws", "iam.amazonaws.com", "us-east-1"},
    {"iam", "aws-cn", "iam.cn-north-1.amazonaws.com.cn", "cn-north-1"},
    {"iam", "aws-us-gov", "iam.us-gov.amazonaws.com", "us-gov-west-1"},
    {"iam", "aws-iso", "iam.us-iso-east-1.c2s.ic.gov", "us-iso-east-1"},
    {"iam", "aws-iso-b", "iam.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1"},
    {"iam", "aws-iso-f", "iam.us-isof-south-1.csp.hci.ic.gov", "us-isof-south-1"},
    {"organizations", "aws", "organizations.us-east-1.amazonaws.com", "us-east-1"},
    {"organizations", "aws-cn", "organizations.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1"},
    {"organizations", "aws-us-gov", "organizations.us-gov-west-1.amazonaws.com", "us-gov-west-1"},
    {"organizations", "aws-iso", "organizations.us-iso-east-1.c2s.ic.gov", "us-iso-east-1"},
    {"organizations", "aws-iso-b", "organizations.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1"},
    {"organizations", "aws-iso-e", "organizations.eu-isoe-west-1.cloud.adc-e.uk", "eu-isoe-west-1"},
    {"organizations", "aws-iso-f", "organizations.us-isof-south-1.csp.hci.ic.gov",
     "us-isof-south-1"},
    {"cloudfront", "aws", "cloudfront.amazonaws.com", "us-east-1"},
    {"cloudfront", "aws-cn", "cloudfront.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1"},
    {"route53", "aws", "route53.amazonaws.com", "us-east-1"},
    {"route53", "aws-cn", "route53.amazonaws.com.cn", "cn-northwest-1"},
    {"route53", "aws-us-gov", "route53.us-gov.amazonaws.com", "us-gov-west-1"},
    {"route53", "aws-iso", "route53.c2s.ic.gov", "us-iso-east-1"},
    {"route53", "aws-iso-b", "route53.sc2s.sgov.gov", "us-isob-east-1"},
    {"route53", "aws-iso-e", "route53.cloud.adc-e.uk", "eu-isoe-west-1"},
    {"route53", "aws-iso-f", "route53.csp.hci.ic.gov", "us-isof-south-1"},
};

/* Endpoint prefix → service id (botocore service-2.json metadata.serviceId). */
static const struct {
    const char *service;
    const char *service_id;
} s_service_ids[] = {
    {"dynamodb", "DynamoDB"},
    {"s3", "S3"},
    {"sts", "STS"},
    {"iam", "IAM"},
    {"quicksight", "QuickSight"},
    {"cognito-idp", "Cognito Identity Provider"},
    {"logs", "CloudWatch Logs"},
    {"sns", "SNS"},
    {"tagging", "Resource Groups Tagging API"},
    {"ssm", "SSM"},
    {"organizations", "Organizations"},
    {"backup", "Backup"},
    {"cloudfront", "CloudFront"},
    {"route53", "Route 53"},
    {"kms", "KMS"},
    {"sqs", "SQS"},
    {"lambda", "Lambda"},
    {"monitoring", "CloudWatch"},
    {"events", "EventBridge"},
    {"secretsmanager", "Secrets Manager"},
    {"ec2", "EC2"},
};

void fv_endpoint_clean_up(struct fv_endpoint *e)
{
    if (!e)
        return;
    free(e->scheme);
    free(e->host);
    free(e->base_path);
    free(e->signing_region);
    free(e->signing_name);
    memset(e, 0, sizeof(*e));
}

static const char *s_real_getenv(void *ud, const char *name)
{
    (void)ud;
    return getenv(name);
}

/* The environment variable suffix for a service: its service id (or, for a
 * service not in the table, its endpoint prefix) uppercased, with spaces
 * and dashes turned into underscores. */
static void s_env_suffix(const char *service, struct fv_buf *out)
{
    const char *id = service;
    for (size_t i = 0; i < sizeof(s_service_ids) / sizeof(s_service_ids[0]); i++)
        if (strcmp(s_service_ids[i].service, service) == 0)
            id = s_service_ids[i].service_id;
    for (const char *p = id; *p; p++) {
        if (*p == ' ' || *p == '-' || *p == '.')
            fv_buf_append_char(out, '_');
        else
            fv_buf_append_char(out, (char)toupper((unsigned char)*p));
    }
}

static bool s_valid_label_chars(const char *s, bool allow_dot)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' ||
              (allow_dot && *p == '.')))
            return false;
    return true;
}

/* Parses an override URL into out's scheme, host and base_path. */
static fv_status s_parse_override(const char *var, const char *url, struct fv_endpoint *out,
                                  struct fv_error *err)
{
    const char *sep = strstr(url, "://");
    if (!sep || sep == url)
        return fv_error_set(err, FV_E_INVALID,
                            "%s=\"%s\" has no scheme: write it as http://host[:port] or "
                            "https://host[:port]",
                            var, url);
    size_t scheme_len = (size_t)(sep - url);
    if (!((scheme_len == 4 && strncasecmp(url, "http", 4) == 0) ||
          (scheme_len == 5 && strncasecmp(url, "https", 5) == 0)))
        return fv_error_set(err, FV_E_INVALID,
                            "%s=\"%s\" has an unsupported scheme: use http:// or https://", var,
                            url);
    const char *host = sep + 3;
    size_t host_len = strcspn(host, "/?#");
    if (host_len == 0)
        return fv_error_set(err, FV_E_INVALID, "%s=\"%s\" has no host", var, url);
    for (size_t i = 0; i < host_len; i++)
        if (host[i] == '@' || isspace((unsigned char)host[i]))
            return fv_error_set(err, FV_E_INVALID,
                                "%s=\"%s\" has an invalid host (no user info or spaces)", var, url);
    const char *path = host + host_len;
    if (strpbrk(path, "?#"))
        return fv_error_set(err, FV_E_INVALID, "%s=\"%s\" must not have a query string or fragment",
                            var, url);
    size_t path_len = strlen(path);
    while (path_len > 0 && path[path_len - 1] == '/')
        path_len--;

    out->scheme = fv_strndup(url, scheme_len);
    for (char *p = out->scheme; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    out->host = fv_strndup(host, host_len);
    out->base_path = fv_strndup(path, path_len);
    out->overridden = true;
    return FV_OK;
}

static bool s_env_true(const char *v)
{
    return v && fv_str_eq_nocase(v, "true");
}

fv_status fv_endpoint_resolve(const char *service, const char *region,
                              const char *(*getenv_fn)(void *ud, const char *name), void *getenv_ud,
                              struct fv_endpoint *out, struct fv_error *err)
{
    fv_status st = FV_OK;
    struct fv_buf var = {0};
    struct fv_buf host = {0};
    memset(out, 0, sizeof(*out));
    if (!getenv_fn)
        getenv_fn = s_real_getenv;

    if (!service || !s_valid_label_chars(service, true)) {
        st = fv_error_set(err, FV_E_INVALID, "invalid AWS service name \"%s\"",
                          service ? service : "(null)");
        goto out;
    }
    bool global = false;
    for (size_t i = 0; i < sizeof(s_globals) / sizeof(s_globals[0]); i++)
        if (strcmp(s_globals[i].service, service) == 0)
            global = true;
    if ((!region || !*region) && !global) {
        st = fv_error_set(err, FV_E_INVALID,
                          "no AWS region for %s: set AWS_REGION or the region in the "
                          "configuration",
                          service);
        goto out;
    }
    if (region && *region && (!s_valid_label_chars(region, false) || strlen(region) > 63)) {
        st = fv_error_set(err, FV_E_INVALID, "invalid AWS region \"%s\"", region);
        goto out;
    }
    if (!region || !*region)
        region = "us-east-1"; /* a global service: its "aws" partition endpoint */

    size_t part = 0;
    while (!fv_str_starts_with(region, s_partitions[part].region_prefix))
        part++; /* the last prefix is "": always stops */

    /* The standard endpoint. */
    const char *signing_region = region;
    for (size_t i = 0; i < sizeof(s_globals) / sizeof(s_globals[0]); i++) {
        if (strcmp(s_globals[i].service, service) == 0 &&
            strcmp(s_globals[i].partition, s_partitions[part].name) == 0) {
            fv_buf_append_str(&host, s_globals[i].host);
            signing_region = s_globals[i].signing_region;
        }
    }
    if (host.len == 0)
        fv_buf_printf(&host, "%s.%s.%s", service, region, s_partitions[part].dns_suffix);
    out->signing_region = fv_strdup(signing_region);
    out->signing_name = fv_strdup(service);

    /* Overrides, most specific first. */
    const char *url = NULL;
    const char *ignore = getenv_fn(getenv_ud, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (!s_env_true(ignore)) {
        fv_buf_append_str(&var, "AWS_ENDPOINT_URL_");
        s_env_suffix(service, &var);
        url = getenv_fn(getenv_ud, var.ptr);
        if (!url || !*url) {
            fv_buf_reset(&var);
            fv_buf_append_str(&var, "AWS_ENDPOINT_URL");
            url = getenv_fn(getenv_ud, var.ptr);
        }
    }
    if (url && *url) {
        st = s_parse_override(var.ptr, url, out, err);
        goto out;
    }
    out->scheme = fv_strdup("https");
    out->host = fv_buf_detach(&host);
    out->base_path = fv_strdup("");
    out->overridden = false;
out:
    if (st != FV_OK)
        fv_endpoint_clean_up(out);
    fv_buf_clean_up(&var);
    fv_buf_clean_up(&host);
    return st;
}

/* Usable as the first label of a TLS host name: 3-63 of [a-z0-9-], starting
 * and ending with a letter or digit. Names with dots are valid buckets but
 * break the *.s3 wildcard certificate, so they go path style. */
static bool s_virtual_hostable(const char *bucket)
{
    size_t n = strlen(bucket);
    if (n < 3 || n > 63)
        return false;
    if (!isalnum((unsigned char)bucket[0]) || !isalnum((unsigned char)bucket[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)bucket[i]) || isdigit((unsigned char)bucket[i]) ||
              bucket[i] == '-'))
            return false;
    return true;
}

void fv_endpoint_s3_address(const struct fv_endpoint *e, const char *bucket, const char *key,
                            struct fv_buf *host_out, struct fv_buf *path_out)
{
    fv_buf_reset(host_out);
    fv_buf_reset(path_out);
    bool have_key = key && *key;
    if (!e->overridden && s_virtual_hostable(bucket)) {
        fv_buf_printf(host_out, "%s.%s", bucket, e->host);
        fv_buf_append_char(path_out, '/');
    } else {
        fv_buf_append_str(host_out, e->host);
        fv_buf_append_str(path_out, e->base_path);
        fv_buf_append_char(path_out, '/');
        fv_uri_encode(path_out, bucket, strlen(bucket), false);
        if (have_key)
            fv_buf_append_char(path_out, '/');
    }
    /* Keys are literal: "..", "//" and "+" are sent as they are, encoded once. */
    if (have_key)
        fv_uri_encode(path_out, key, strlen(key), true);
}

/* Endpoint resolution: region + service → URL, with the SDKs' overrides.
 *
 * Order (as the AWS SDKs define it): AWS_ENDPOINT_URL_<SERVICE> (service id
 * uppercased, spaces and dashes → '_', e.g. AWS_ENDPOINT_URL_DYNAMODB,
 * AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER), then AWS_ENDPOINT_URL, then
 * the standard host. AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true disables the
 * overrides. Global services (iam, organizations, cloudfront, route53) use
 * their global host and sign for us-east-1; STS is regional. */
#ifndef FV_ENDPOINT_H
#define FV_ENDPOINT_H

#include <fv/common.h>
#include <fv/credentials.h>

struct fv_endpoint {
    char *scheme;    /* "https" or "http" */
    char *host;      /* host[:port] as sent in the Host header */
    char *base_path; /* path prefix from an override URL, "" when none */
    char *signing_region;
    char *signing_name; /* e.g. "s3", "dynamodb", "cognito-idp" */
    bool overridden;    /* from AWS_ENDPOINT_URL*: S3 then uses path style */
};

void fv_endpoint_clean_up(struct fv_endpoint *e);

/* service is the endpoint prefix / signing name ("dynamodb", "s3", "sts",
 * "iam", "quicksight", "cognito-idp", "logs", "sns", "tagging", "ssm",
 * "organizations", "backup"). getenv may be NULL (real environment).
 * Errors: missing region, an override without a scheme or host (naming the
 * variable). */
fv_status fv_endpoint_resolve(const char *service, const char *region,
                              const char *(*getenv_fn)(void *ud, const char *name), void *getenv_ud,
                              struct fv_endpoint *out, struct fv_error *err);

/* Whether a URL AWS handed us (a QuickSight DownloadUrl, a presigned S3
 * URL) may be fetched: https to an S3 host of region ([bucket.]s3.<region>.
 * <suffix>, s3-<region>, s3.dualstack.<region>, and s3.<suffix> in
 * us-east-1; port 443 only), or the scheme and host[:port] of the s3 or
 * quicksight endpoint override in getenv_fn's environment (plain http only
 * there). Schemes and hosts compare case-insensitively; userinfo, literal
 * addresses, trailing dots and other schemes are refused. On refusal:
 * FV_E_INVALID, err->code "DownloadUrlRefused", not retryable, and a message
 * naming the scheme and host, never the path or query. getenv_fn NULL:
 * getenv(3). */
fv_status fv_endpoint_check_download_url(const char *url, const char *region,
                                         const char *(*getenv_fn)(void *ud, const char *name),
                                         void *getenv_ud, struct fv_error *err);

/* S3 addressing: writes the host and the wire path for bucket/key. Virtual
 * host style (bucket.s3.region.amazonaws.com) unless the endpoint is
 * overridden or the bucket name is not DNS-compatible (dots, uppercase),
 * then path style. key is raw (unencoded); NULL for bucket-level calls. */
void fv_endpoint_s3_address(const struct fv_endpoint *e, const char *bucket, const char *key,
                            struct fv_buf *host_out, struct fv_buf *path_out);

#endif

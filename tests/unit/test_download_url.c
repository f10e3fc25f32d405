/* fv_endpoint_check_download_url: what a QuickSight DownloadUrl may point at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/endpoint.h>
#include <fv/http.h>

#include <string.h>

static const char *s_env_none(void *ud, const char *name)
{
    (void)ud;
    (void)name;
    return NULL;
}

/* The test world's override: every service at one plain-http endpoint. */
static const char *s_env_world(void *ud, const char *name)
{
    (void)ud;
    return strcmp(name, "AWS_ENDPOINT_URL") == 0 ? "http://127.0.0.1:4566" : NULL;
}

static void s_ok(const char *url, const char *region, const char *(*env)(void *, const char *))
{
    struct fv_error err = {0};
    if (fv_endpoint_check_download_url(url, region, env, NULL, &err) != FV_OK)
        fail_msg("%s in %s refused: %s", url, region, err.message);
}

/* Refused, not retryable, with a message that names want and never the query. */
static void s_refused(const char *url, const char *region, const char *(*env)(void *, const char *),
                      const char *want)
{
    struct fv_error err = {0};
    if (fv_endpoint_check_download_url(url, region, env, NULL, &err) != FV_E_INVALID)
        fail_msg("%s in %s was allowed", url, region);
    assert_string_equal(err.code, "DownloadUrlRefused");
    assert_false(err.retryable);
    if (!strstr(err.message, want))
        fail_msg("refusing %s: \"%s\" does not name \"%s\"", url, err.message, want);
    if (strstr(err.message, "X-Amz-Signature") || strstr(err.message, "SECRETSIG") ||
        strstr(err.message, "hunter2"))
        fail_msg("refusing %s: the message quotes the query or userinfo: %s", url, err.message);
}

static void test_s3_hosts_of_the_region_allowed(void **state)
{
    (void)state;
    s_ok("https://qs-bundles.s3.eu-west-1.amazonaws.com/1111/job.qs?X-Amz-Signature=SECRETSIG",
         "eu-west-1", s_env_none);
    s_ok("https://s3.eu-west-1.amazonaws.com/bucket/job.qs", "eu-west-1", s_env_none);
    s_ok("https://b.s3-eu-west-1.amazonaws.com/k", "eu-west-1", s_env_none);
    s_ok("https://b.s3.dualstack.eu-west-1.amazonaws.com/k", "eu-west-1", s_env_none);
    s_ok("https://b.s3.amazonaws.com/k", "us-east-1", s_env_none);
    s_ok("https://s3.us-east-1.amazonaws.com:443/b/k", "us-east-1", s_env_none);
    s_ok("HTTPS://B.S3.EU-WEST-1.AMAZONAWS.COM/k", "eu-west-1", s_env_none); /* case-blind */
    s_ok("https://b.s3.cn-north-1.amazonaws.com.cn/k", "cn-north-1", s_env_none);
    /* The configured override, plain http included. */
    s_ok("http://127.0.0.1:4566/_world/asset-bundles/1.zip?X-Amz-Signature=SECRETSIG", "us-east-1",
         s_env_world);
}

static void test_other_schemes_refused(void **state)
{
    (void)state;
    s_refused("file:///etc/passwd", "us-east-1", s_env_none, "scheme 'file'");
    s_refused("gopher://s3.us-east-1.amazonaws.com/x", "us-east-1", s_env_none, "scheme 'gopher'");
    s_refused("FILE:///etc/shadow", "us-east-1", s_env_none, "scheme 'file'");
    s_refused("dict://127.0.0.1:4566/x", "us-east-1", s_env_world, "scheme 'dict'");
    s_refused("/relative/path?X-Amz-Signature=SECRETSIG", "us-east-1", s_env_none,
              "not an absolute URL");
    s_refused("", "us-east-1", s_env_none, "not an absolute URL");
}

static void test_other_hosts_refused(void **state)
{
    (void)state;
    /* Plain http to an AWS host (no override), or to a host that is not the override. */
    s_refused("http://b.s3.us-east-1.amazonaws.com/k?X-Amz-Signature=SECRETSIG", "us-east-1",
              s_env_none, "plain http to 'b.s3.us-east-1.amazonaws.com'");
    s_refused("http://127.0.0.1:9999/x", "us-east-1", s_env_world, "'127.0.0.1:9999'");
    s_refused("https://127.0.0.1:4566/x", "us-east-1", s_env_world, "'127.0.0.1:4566'");
    /* Instance metadata, literal and IPv6 addresses. */
    s_refused("https://169.254.169.254/latest/meta-data/iam/security-credentials/", "us-east-1",
              s_env_none, "'169.254.169.254'");
    s_refused("http://169.254.169.254/latest/", "us-east-1", s_env_none, "'169.254.169.254'");
    s_refused("https://[fd00:ec2::254]/latest/", "us-east-1", s_env_none, "'[fd00:ec2::254]'");
    s_refused("https://[::ffff:169.254.169.254]/", "us-east-1", s_env_none, "[::ffff:");
    /* Another region, another service, a look-alike suffix. */
    s_refused("https://b.s3.eu-west-1.amazonaws.com/k", "us-east-1", s_env_none,
              "not an S3 host of us-east-1");
    s_ok("https://b.s3.amazonaws.com/k", "eu-west-1", s_env_none);
    s_refused("https://b.s3.amazonaws.com.evil.example/k", "eu-west-1", s_env_none,
              "'b.s3.amazonaws.com.evil.example'");
    s_refused("https://dynamodb.us-east-1.amazonaws.com/", "us-east-1", s_env_none,
              "'dynamodb.us-east-1.amazonaws.com'");
    s_refused("https://s3.us-east-1.amazonaws.com.evil.example/k", "us-east-1", s_env_none,
              "'s3.us-east-1.amazonaws.com.evil.example'");
    s_refused("https://evils3.us-east-1.amazonaws.com/k", "us-east-1", s_env_none,
              "'evils3.us-east-1.amazonaws.com'");
    /* A trailing dot, another port. */
    s_refused("https://b.s3.us-east-1.amazonaws.com./k", "us-east-1", s_env_none,
              "'b.s3.us-east-1.amazonaws.com.'");
    s_refused("https://b.s3.us-east-1.amazonaws.com:8443/k", "us-east-1", s_env_none,
              "'b.s3.us-east-1.amazonaws.com:8443'");
}

static void test_userinfo_tricks_refused(void **state)
{
    (void)state;
    /* curl would connect to "evil": the part before '@' is userinfo. */
    s_refused("https://s3.us-east-1.amazonaws.com@evil/k", "us-east-1", s_env_none, "'evil'");
    s_refused("https://user:hunter2@b.s3.us-east-1.amazonaws.com/k", "us-east-1", s_env_none,
              "userinfo");
    s_refused("http://x@127.0.0.1:4566/k", "us-east-1", s_env_world, "userinfo");
    s_refused("https://b.s3.us-east-1.amazonaws.com\\@evil/k", "us-east-1", s_env_none,
              "malformed host");
    s_refused("https://b.s3.us-east-1.amazon%61ws.com/k", "us-east-1", s_env_none,
              "not an S3 host");
    s_refused("https:///k", "us-east-1", s_env_none, "malformed host");
}

/* The engine itself speaks only http and https, whatever URL it is given. */
static void test_engine_refuses_other_protocols(void **state)
{
    (void)state;
    struct fv_http_options o;
    fv_http_options_default(&o);
    struct fv_http_request req = {.method = "GET", .url = "file:///etc/passwd"};
    struct fv_http_response resp = {0};
    struct fv_error err = {0};
    fv_status st = fv_http_simple(&o, &req, &resp, &err);
    assert_int_not_equal(st, FV_OK);
    assert_int_equal(resp.body.len, 0);
    if (!strstr(err.message, "not supported") && !strstr(err.message, "disabled"))
        fail_msg("unexpected error for file://: %s", err.message);
    fv_http_response_clean_up(&resp);
    fv_http_request_clean_up(&req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s3_hosts_of_the_region_allowed),
        cmocka_unit_test(test_other_schemes_refused),
        cmocka_unit_test(test_other_hosts_refused),
        cmocka_unit_test(test_userinfo_tricks_refused),
        cmocka_unit_test(test_engine_refuses_other_protocols),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

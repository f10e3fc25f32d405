/* Endpoint resolution: standard hosts, the AWS_ENDPOINT_URL* overrides, the
 * errors, S3 addressing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fv/endpoint.h>

#include <stdio.h>
#include <string.h>

/* A fake environment: NULL-terminated name/value pairs. */
struct s_env {
    const char *vars[16][2];
};

static const char *s_getenv(void *ud, const char *name)
{
    const struct s_env *env = ud;
    for (size_t i = 0; i < 16 && env->vars[i][0]; i++)
        if (strcmp(env->vars[i][0], name) == 0)
            return env->vars[i][1];
    return NULL;
}

static const struct s_env s_empty = {{{NULL, NULL}}};

static void s_expect(const char *service, const char *region, const char *host,
                     const char *signing_region)
{
    struct fv_endpoint e;
    struct fv_error err;
    assert_int_equal(fv_endpoint_resolve(service, region, s_getenv, (void *)&s_empty, &e, &err),
                     FV_OK);
    assert_string_equal(e.scheme, "https");
    assert_string_equal(e.host, host);
    assert_string_equal(e.base_path, "");
    assert_string_equal(e.signing_region, signing_region);
    assert_string_equal(e.signing_name, service);
    assert_false(e.overridden);
    fv_endpoint_clean_up(&e);
}

static void test_standard_hosts(void **state)
{
    (void)state;
    s_expect("dynamodb", "us-east-1", "dynamodb.us-east-1.amazonaws.com", "us-east-1");
    s_expect("sts", "us-east-1", "sts.us-east-1.amazonaws.com", "us-east-1");
    s_expect("sts", "eu-west-1", "sts.eu-west-1.amazonaws.com", "eu-west-1"); /* regional STS */
    s_expect("s3", "us-east-1", "s3.us-east-1.amazonaws.com", "us-east-1");
    s_expect("s3", "ap-southeast-2", "s3.ap-southeast-2.amazonaws.com", "ap-southeast-2");
    s_expect("quicksight", "us-east-1", "quicksight.us-east-1.amazonaws.com", "us-east-1");
    s_expect("cognito-idp", "eu-central-1", "cognito-idp.eu-central-1.amazonaws.com",
             "eu-central-1");
    s_expect("logs", "us-west-2", "logs.us-west-2.amazonaws.com", "us-west-2");
    s_expect("sns", "us-west-2", "sns.us-west-2.amazonaws.com", "us-west-2");
    s_expect("tagging", "us-west-2", "tagging.us-west-2.amazonaws.com", "us-west-2");
    s_expect("ssm", "us-west-2", "ssm.us-west-2.amazonaws.com", "us-west-2");
    s_expect("backup", "us-west-2", "backup.us-west-2.amazonaws.com", "us-west-2");
    /* Global services: one host, signed for the partition's region. */
    s_expect("iam", "us-east-1", "iam.amazonaws.com", "us-east-1");
    s_expect("iam", "eu-west-1", "iam.amazonaws.com", "us-east-1");
    s_expect("iam", NULL, "iam.amazonaws.com", "us-east-1");
    s_expect("organizations", "eu-west-1", "organizations.us-east-1.amazonaws.com", "us-east-1");
    s_expect("route53", "eu-west-1", "route53.amazonaws.com", "us-east-1");
    /* China. */
    s_expect("dynamodb", "cn-north-1", "dynamodb.cn-north-1.amazonaws.com.cn", "cn-north-1");
    s_expect("s3", "cn-northwest-1", "s3.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1");
    s_expect("iam", "cn-northwest-1", "iam.cn-north-1.amazonaws.com.cn", "cn-north-1");
    s_expect("organizations", "cn-north-1", "organizations.cn-northwest-1.amazonaws.com.cn",
             "cn-northwest-1");
    /* GovCloud. */
    s_expect("iam", "us-gov-east-1", "iam.us-gov.amazonaws.com", "us-gov-west-1");
    s_expect("dynamodb", "us-gov-east-1", "dynamodb.us-gov-east-1.amazonaws.com", "us-gov-east-1");
    s_expect("organizations", "us-gov-east-1", "organizations.us-gov-west-1.amazonaws.com",
             "us-gov-west-1");
}

static void s_expect_override(const struct s_env *env, const char *service, const char *scheme,
                              const char *host, const char *base_path, const char *signing_region)
{
    struct fv_endpoint e;
    struct fv_error err;
    assert_int_equal(fv_endpoint_resolve(service, "eu-west-1", s_getenv, (void *)env, &e, &err),
                     FV_OK);
    assert_string_equal(e.scheme, scheme);
    assert_string_equal(e.host, host);
    assert_string_equal(e.base_path, base_path);
    assert_string_equal(e.signing_region, signing_region);
    assert_string_equal(e.signing_name, service);
    assert_true(e.overridden);
    fv_endpoint_clean_up(&e);
}

static void test_env_overrides(void **state)
{
    (void)state;
    const struct s_env env = {{
        {"AWS_ENDPOINT_URL", "http://localhost:5000"},
        {"AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000/"},
        {"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://cognito.local:9229"},
        {"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "https://logs.proxy.example:8443/aws/logs/"},
        {"AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API", "HTTP://tagging.local"},
        {"AWS_ENDPOINT_URL_IAM", "http://[::1]:4566"},
        {"AWS_ENDPOINT_URL_QUICKSIGHT", ""}, /* empty: as if unset */
        {NULL, NULL},
    }};
    /* Service-specific beats global. */
    s_expect_override(&env, "dynamodb", "http", "localhost:8000", "", "eu-west-1");
    s_expect_override(&env, "cognito-idp", "http", "cognito.local:9229", "", "eu-west-1");
    s_expect_override(&env, "logs", "https", "logs.proxy.example:8443", "/aws/logs", "eu-west-1");
    s_expect_override(&env, "tagging", "http", "tagging.local", "", "eu-west-1");
    /* A global service keeps its signing region. */
    s_expect_override(&env, "iam", "http", "[::1]:4566", "", "us-east-1");
    /* Everyone else takes AWS_ENDPOINT_URL. */
    s_expect_override(&env, "s3", "http", "localhost:5000", "", "eu-west-1");
    s_expect_override(&env, "sts", "http", "localhost:5000", "", "eu-west-1");
    s_expect_override(&env, "quicksight", "http", "localhost:5000", "", "eu-west-1");
    s_expect_override(&env, "organizations", "http", "localhost:5000", "", "us-east-1");
}

static void test_env_names_follow_service_ids(void **state)
{
    (void)state;
    static const struct {
        const char *service, *var;
    } cases[] = {
        {"dynamodb", "AWS_ENDPOINT_URL_DYNAMODB"},
        {"s3", "AWS_ENDPOINT_URL_S3"},
        {"sts", "AWS_ENDPOINT_URL_STS"},
        {"iam", "AWS_ENDPOINT_URL_IAM"},
        {"quicksight", "AWS_ENDPOINT_URL_QUICKSIGHT"},
        {"cognito-idp", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"},
        {"logs", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"},
        {"tagging", "AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API"},
        {"sns", "AWS_ENDPOINT_URL_SNS"},
        {"ssm", "AWS_ENDPOINT_URL_SSM"},
        {"organizations", "AWS_ENDPOINT_URL_ORGANIZATIONS"},
        {"backup", "AWS_ENDPOINT_URL_BACKUP"},
        {"route53", "AWS_ENDPOINT_URL_ROUTE_53"},
        {"secretsmanager", "AWS_ENDPOINT_URL_SECRETS_MANAGER"},
        {"some-new-svc", "AWS_ENDPOINT_URL_SOME_NEW_SVC"}, /* not in the table */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct s_env env = {{{cases[i].var, "http://only.this:1"}, {NULL, NULL}}};
        s_expect_override(&env, cases[i].service, "http", "only.this:1", "",
                          strcmp(cases[i].service, "iam") == 0 ||
                                  strcmp(cases[i].service, "organizations") == 0 ||
                                  strcmp(cases[i].service, "route53") == 0
                              ? "us-east-1"
                              : "eu-west-1");
    }
}

static void test_ignore_configured_endpoint_urls(void **state)
{
    (void)state;
    const struct s_env ignored = {{
        {"AWS_ENDPOINT_URL", "http://localhost:5000"},
        {"AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000"},
        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "True"},
        {NULL, NULL},
    }};
    struct fv_endpoint e;
    struct fv_error err;
    assert_int_equal(
        fv_endpoint_resolve("dynamodb", "us-east-1", s_getenv, (void *)&ignored, &e, &err), FV_OK);
    assert_string_equal(e.host, "dynamodb.us-east-1.amazonaws.com");
    assert_false(e.overridden);
    fv_endpoint_clean_up(&e);
    /* Ignored even when broken. */
    const struct s_env broken = {{
        {"AWS_ENDPOINT_URL", "localhost:5000"},
        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"},
        {NULL, NULL},
    }};
    assert_int_equal(fv_endpoint_resolve("s3", "us-east-1", s_getenv, (void *)&broken, &e, &err),
                     FV_OK);
    assert_string_equal(e.host, "s3.us-east-1.amazonaws.com");
    fv_endpoint_clean_up(&e);
    /* Anything but "true" leaves the overrides on. */
    const struct s_env not_ignored = {{
        {"AWS_ENDPOINT_URL", "http://localhost:5000"},
        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"},
        {NULL, NULL},
    }};
    s_expect_override(&not_ignored, "s3", "http", "localhost:5000", "", "eu-west-1");
}

static void s_expect_error(const struct s_env *env, const char *service, const char *region,
                           const char *needle1, const char *needle2)
{
    struct fv_endpoint e;
    struct fv_error err;
    memset(&e, 0x5a, sizeof(e)); /* out is reset whatever it held */
    assert_int_equal(fv_endpoint_resolve(service, region, s_getenv, (void *)env, &e, &err),
                     FV_E_INVALID);
    assert_int_equal(err.status, FV_E_INVALID);
    assert_false(err.retryable);
    if (!strstr(err.message, needle1) || (needle2 && !strstr(err.message, needle2)))
        fail_msg("message \"%s\" lacks \"%s\" / \"%s\"", err.message, needle1,
                 needle2 ? needle2 : "");
    assert_null(e.host); /* zeroed on error */
    assert_null(e.scheme);
    fv_endpoint_clean_up(&e);
}

static void test_errors_name_the_variable(void **state)
{
    (void)state;
    s_expect_error(&s_empty, "dynamodb", NULL, "AWS_REGION", "region in the configuration");
    s_expect_error(&s_empty, "dynamodb", "", "AWS_REGION", NULL);
    s_expect_error(&s_empty, "dynamodb", "US East 1", "invalid AWS region", NULL);
    s_expect_error(&s_empty, "", "us-east-1", "invalid AWS service", NULL);

    const struct s_env no_scheme = {
        {{"AWS_ENDPOINT_URL_DYNAMODB", "localhost:8000"}, {NULL, NULL}}};
    s_expect_error(&no_scheme, "dynamodb", "us-east-1", "AWS_ENDPOINT_URL_DYNAMODB", "no scheme");
    const struct s_env global_no_scheme = {{{"AWS_ENDPOINT_URL", "moto:5000"}, {NULL, NULL}}};
    s_expect_error(&global_no_scheme, "s3", "us-east-1", "AWS_ENDPOINT_URL=", "no scheme");
    const struct s_env no_host = {{{"AWS_ENDPOINT_URL_S3", "http://"}, {NULL, NULL}}};
    s_expect_error(&no_host, "s3", "us-east-1", "AWS_ENDPOINT_URL_S3", "no host");
    const struct s_env path_only = {{{"AWS_ENDPOINT_URL_S3", "https:///bucket"}, {NULL, NULL}}};
    s_expect_error(&path_only, "s3", "us-east-1", "AWS_ENDPOINT_URL_S3", "no host");
    const struct s_env ftp = {{{"AWS_ENDPOINT_URL_STS", "ftp://x"}, {NULL, NULL}}};
    s_expect_error(&ftp, "sts", "us-east-1", "AWS_ENDPOINT_URL_STS", "unsupported scheme");
    const struct s_env query = {{{"AWS_ENDPOINT_URL", "http://x:1/?a=b"}, {NULL, NULL}}};
    s_expect_error(&query, "sts", "us-east-1", "AWS_ENDPOINT_URL", "query");
    const struct s_env userinfo = {{{"AWS_ENDPOINT_URL", "http://u:p@x:1"}, {NULL, NULL}}};
    s_expect_error(&userinfo, "sts", "us-east-1", "AWS_ENDPOINT_URL", "invalid host");
}

static void s_expect_s3(const struct fv_endpoint *e, const char *bucket, const char *key,
                        const char *host, const char *path)
{
    struct fv_buf h = {0}, p = {0};
    fv_buf_append_str(&h, "stale");
    fv_endpoint_s3_address(e, bucket, key, &h, &p);
    assert_string_equal(fv_buf_str(&h), host);
    assert_string_equal(fv_buf_str(&p), path);
    fv_buf_clean_up(&h);
    fv_buf_clean_up(&p);
}

static void test_s3_addressing(void **state)
{
    (void)state;
    struct fv_endpoint e;
    struct fv_error err;
    assert_int_equal(fv_endpoint_resolve("s3", "eu-west-1", s_getenv, (void *)&s_empty, &e, &err),
                     FV_OK);
    /* Virtual host style; the key encoded once, '/' kept, nothing normalised. */
    s_expect_s3(&e, "my-bucket", "a b+c:d/..//e", "my-bucket.s3.eu-west-1.amazonaws.com",
                "/a%20b%2Bc%3Ad/..//e");
    s_expect_s3(&e, "my-bucket", "caf\xc3\xa9~_-.txt", "my-bucket.s3.eu-west-1.amazonaws.com",
                "/caf%C3%A9~_-.txt");
    s_expect_s3(&e, "my-bucket", NULL, "my-bucket.s3.eu-west-1.amazonaws.com", "/");
    s_expect_s3(&e, "my-bucket", "", "my-bucket.s3.eu-west-1.amazonaws.com", "/");
    /* Not DNS-compatible: path style. */
    s_expect_s3(&e, "my.bucket", "a b+c:d/..//e", "s3.eu-west-1.amazonaws.com",
                "/my.bucket/a%20b%2Bc%3Ad/..//e");
    s_expect_s3(&e, "MyBucket", "k", "s3.eu-west-1.amazonaws.com", "/MyBucket/k");
    s_expect_s3(&e, "ab", "k", "s3.eu-west-1.amazonaws.com", "/ab/k");
    s_expect_s3(&e, "-bucket", NULL, "s3.eu-west-1.amazonaws.com", "/-bucket");
    s_expect_s3(&e, "my_bucket", NULL, "s3.eu-west-1.amazonaws.com", "/my_bucket");
    fv_endpoint_clean_up(&e);

    /* Overridden: always path style, under the override's base path. */
    const struct s_env env = {{{"AWS_ENDPOINT_URL_S3", "http://localhost:5000/s3/"}, {NULL, NULL}}};
    assert_int_equal(fv_endpoint_resolve("s3", "eu-west-1", s_getenv, (void *)&env, &e, &err),
                     FV_OK);
    s_expect_s3(&e, "my-bucket", "a b+c:d/..//e", "localhost:5000",
                "/s3/my-bucket/a%20b%2Bc%3Ad/..//e");
    s_expect_s3(&e, "my-bucket", NULL, "localhost:5000", "/s3/my-bucket");
    fv_endpoint_clean_up(&e);
    fv_endpoint_clean_up(&e); /* twice is fine */
    fv_endpoint_clean_up(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_standard_hosts),
        cmocka_unit_test(test_env_overrides),
        cmocka_unit_test(test_env_names_follow_service_ids),
        cmocka_unit_test(test_ignore_configured_endpoint_urls),
        cmocka_unit_test(test_errors_name_the_variable),
        cmocka_unit_test(test_s3_addressing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

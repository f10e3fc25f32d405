/* Credential providers and the default chain, against temp files, a fake
 * environment, a fixed clock and a loopback HTTP stub (tests/unit/stub_http.c,
 * included below since every test_*.c is its own program).
 *
 * Tests that go through STS (AssumeRole, AssumeRoleWithWebIdentity) point
 * AWS_ENDPOINT_URL_STS at the stub and so exercise lib/aws/sts.c, the
 * endpoint resolver and the AWS client as well; their names end in _sts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it needs */

#include "aws/creds_internal.h"
#include "stub_http.c"

#include <fv/clock.h>
#include <fv/credentials.h>
#include <fv/log.h>

#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0 1700000000LL /* 2023-11-14T22:13:20Z */

static struct stub_http *s_stub;
static FILE *s_log;
static char *s_log_buf;
static size_t s_log_len;

/* ---- fixture: fake environment, fixed clock, temp HOME ------------------ */

struct fx_var {
    char *name;
    char *value;
};

struct fx {
    char dir[64];
    struct fx_var vars[48];
    size_t n_vars;
    _Atomic int64_t now_ms;
    struct fv_clock clock;
    struct fv_creds_env env;
    char path[8][320]; /* scratch for fx_path */
    int next_path;
};

static const char *s_fx_getenv(void *ud, const char *name)
{
    struct fx *fx = ud;
    for (size_t i = 0; i < fx->n_vars; i++) {
        if (strcmp(fx->vars[i].name, name) == 0)
            return fx->vars[i].value;
    }
    return NULL;
}

static int64_t s_fx_now(void *ud)
{
    struct fx *fx = ud;
    return atomic_load(&fx->now_ms);
}

static void s_fx_sleep(void *ud, int64_t ms)
{
    struct fx *fx = ud;
    atomic_fetch_add(&fx->now_ms, ms);
}

static void fx_set(struct fx *fx, const char *name, const char *value)
{
    for (size_t i = 0; i < fx->n_vars; i++) {
        if (strcmp(fx->vars[i].name, name) == 0) {
            free(fx->vars[i].value);
            if (value) {
                fx->vars[i].value = fv_strdup(value);
            } else {
                free(fx->vars[i].name);
                fx->vars[i] = fx->vars[--fx->n_vars];
            }
            return;
        }
    }
    if (!value)
        return;
    assert_true(fx->n_vars < sizeof(fx->vars) / sizeof(fx->vars[0]));
    fx->vars[fx->n_vars++] = (struct fx_var){fv_strdup(name), fv_strdup(value)};
}

static void fx_advance(struct fx *fx, int64_t seconds)
{
    atomic_fetch_add(&fx->now_ms, seconds * 1000);
}

static int64_t fx_now(struct fx *fx)
{
    return atomic_load(&fx->now_ms) / 1000;
}

/* dir/rel (a scratch buffer, valid for the next 8 calls). */
static const char *fx_path(struct fx *fx, const char *rel)
{
    char *p = fx->path[fx->next_path++ % 8];
    /* Built in a local first: gcc cannot tell fx->dir from fx->path. */
    char tmp[320];
    snprintf(tmp, sizeof(tmp), "%s/%s", fx->dir, rel);
    memcpy(p, tmp, sizeof(tmp));
    return p;
}

/* Writes dir/rel (parents created); returns its path. */
static const char *fx_write(struct fx *fx, const char *rel, const char *content)
{
    const char *path = fx_path(fx, rel);
    char parent[320];
    snprintf(parent, sizeof(parent), "%s", path);
    char *slash = strrchr(parent, '/');
    *slash = '\0';
    mkdir(parent, 0700);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    return path;
}

static void fx_init(struct fx *fx)
{
    memset(fx, 0, sizeof(*fx));
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/fv_creds_XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    atomic_store(&fx->now_ms, T0 * 1000);
    fx->clock = (struct fv_clock){s_fx_now, s_fx_now, s_fx_sleep, fx};
    fx->env = (struct fv_creds_env){.getenv = s_fx_getenv, .getenv_ud = fx, .clock = &fx->clock};
    fx_set(fx, "HOME", fx->dir);
    fx_set(fx, "AWS_REGION", "us-east-1");
    /* Nothing leaves the machine: IMDS and STS are the stub. */
    fx_set(fx, "AWS_EC2_METADATA_SERVICE_ENDPOINT", stub_http_url(s_stub));
    fx_set(fx, "AWS_ENDPOINT_URL_STS", stub_http_url(s_stub));
    stub_http_reset(s_stub);
}

static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void fx_clean_up(struct fx *fx)
{
    for (size_t i = 0; i < fx->n_vars; i++) {
        free(fx->vars[i].name);
        free(fx->vars[i].value);
    }
    fx->n_vars = 0;
    nftw(fx->dir, s_rm, 8, FTW_DEPTH | FTW_PHYS);
    stub_http_reset(s_stub);
}

/* ---- canned answers ----------------------------------------------------- */

static char *s_creds_json(const char *akid, const char *secret, const char *token, int64_t exp)
{
    struct fv_buf b = {0};
    char iso[21];
    fv_time_iso8601(exp, iso);
    fv_buf_printf(&b,
                  "{\"Code\":\"Success\",\"LastUpdated\":\"2023-11-14T22:00:00Z\","
                  "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\","
                  "\"Token\":\"%s\",\"Expiration\":\"%s\"}",
                  akid, secret, token, iso);
    return fv_buf_detach(&b);
}

static char *s_sts_xml(const char *op, const char *akid, const char *secret, const char *token,
                       int64_t exp)
{
    struct fv_buf b = {0};
    char iso[21];
    fv_time_iso8601(exp, iso);
    fv_buf_printf(&b,
                  "<%sResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                  "<%sResult><Credentials><AccessKeyId>%s</AccessKeyId>"
                  "<SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken>"
                  "<Expiration>%s</Expiration></Credentials></%sResult>"
                  "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>"
                  "</%sResponse>",
                  op, op, akid, secret, token, iso, op, op);
    return fv_buf_detach(&b);
}

static void s_route(const char *method, const char *path, int status, const char *body, int times)
{
    stub_http_add(s_stub,
                  &(struct stub_http_route){
                      .method = method,
                      .path = path,
                      .status = status,
                      .body = body,
                      .times = times,
                      .headers = (const char *const[]){"Content-Type", "application/json", NULL},
                  });
}

static void s_sts_route(const char *op, const char *akid, const char *secret, const char *token,
                        int64_t exp, int times)
{
    char *xml = s_sts_xml(op, akid, secret, token, exp);
    stub_http_add(s_stub, &(struct stub_http_route){
                              .method = "POST",
                              .path = "/",
                              .body = xml,
                              .times = times,
                              .headers = (const char *const[]){"Content-Type", "text/xml", NULL},
                          });
    free(xml);
}

#define IMDS_CREDS "/latest/meta-data/iam/security-credentials/"

static void s_imds_routes(const char *token, const char *role, const char *json)
{
    char path[256];
    snprintf(path, sizeof(path), IMDS_CREDS "%s", role);
    stub_http_add(s_stub, &(struct stub_http_route){
                              .method = "PUT",
                              .path = "/latest/api/token",
                              .body = token,
                              .require_header = "X-aws-ec2-metadata-token-ttl-seconds",
                          });
    stub_http_add(s_stub, &(struct stub_http_route){
                              .method = "GET",
                              .path = IMDS_CREDS,
                              .body = role,
                              .require_header = "X-aws-ec2-metadata-token",
                          });
    stub_http_add(s_stub, &(struct stub_http_route){
                              .method = "GET",
                              .path = path,
                              .body = json,
                              .require_header = "X-aws-ec2-metadata-token",
                          });
}

/* Gets from a fresh default chain; returns the status, fills out/err. */
static fv_status s_chain_get(struct fx *fx, const char *profile, struct fv_credentials *out,
                             struct fv_error *err, char *source, size_t source_len)
{
    struct fv_creds_provider *p = fv_creds_default_chain(profile, "us-east-1", &fx->env);
    assert_non_null(p);
    fv_status st = fv_creds_get(p, out, err);
    if (source)
        snprintf(source, source_len, "%s", fv_creds_source(p));
    fv_creds_unref(p);
    return st;
}

#define assert_contains(hay, needle)                                                               \
    do {                                                                                           \
        if (!strstr((hay), (needle)))                                                              \
            fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));                           \
    } while (0)

/* ---- static, refcount, env ---------------------------------------------- */

static void test_static_and_refcount(void **state)
{
    (void)state;
    struct fv_credentials c = {fv_strdup("AKIDSTATIC"), fv_strdup("static-secret-0001"), NULL, 0};
    struct fv_creds_provider *p = fv_creds_static(&c);
    fv_credentials_clean_up(&c);
    assert_null(c.access_key_id);
    assert_string_equal(fv_creds_source(p), "static");

    struct fv_creds_provider *q = fv_creds_ref(p);
    assert_ptr_equal(p, q);
    fv_creds_unref(p);

    struct fv_credentials out;
    struct fv_error err = {0};
    assert_int_equal(fv_creds_get(q, &out, &err), FV_OK);
    assert_string_equal(out.access_key_id, "AKIDSTATIC");
    assert_string_equal(out.secret_access_key, "static-secret-0001");
    assert_null(out.session_token);
    assert_int_equal(out.expiration, 0);

    struct fv_credentials copy;
    fv_credentials_copy(&copy, &out);
    assert_string_equal(copy.secret_access_key, "static-secret-0001");
    fv_credentials_clean_up(&copy);
    fv_credentials_clean_up(&out);
    fv_credentials_clean_up(NULL);
    fv_creds_unref(q);
    fv_creds_unref(NULL);
    assert_null(fv_creds_static(NULL));
}

static void test_static_expired(void **state)
{
    (void)state;
    struct fv_credentials c = {(char *)"AKIDOLD", (char *)"old-secret-0001", NULL, 1000};
    struct fv_creds_provider *p = fv_creds_static(&c);
    struct fv_credentials out;
    struct fv_error err = {0};
    assert_int_equal(fv_creds_get(p, &out, &err), FV_E_AUTH);
    assert_string_equal(err.message, "credentials from static expired at 1970-01-01T00:16:40Z");
    assert_null(out.access_key_id);
    fv_creds_unref(p);
}

static void test_env_provider(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    fx_set(&fx, "AWS_ACCESS_KEY_ID", "AKIDENV");
    fx_set(&fx, "AWS_SECRET_ACCESS_KEY", "env-secret-0001");
    fx_set(&fx, "AWS_SESSION_TOKEN", "env-token-0001");
    struct fv_credentials out;
    struct fv_error err = {0};
    char src[64];
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, src, sizeof(src)), FV_OK);
    assert_string_equal(src, "environment");
    assert_string_equal(out.access_key_id, "AKIDENV");
    assert_string_equal(out.secret_access_key, "env-secret-0001");
    assert_string_equal(out.session_token, "env-token-0001");
    fv_credentials_clean_up(&out);

    /* AWS_CREDENTIAL_EXPIRATION in the past: expired, naming the source. */
    fx_set(&fx, "AWS_CREDENTIAL_EXPIRATION", "2023-11-14T22:00:00Z");
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, NULL, 0), FV_E_AUTH);
    assert_string_equal(err.message,
                        "credentials from environment expired at 2023-11-14T22:00:00Z");
    assert_int_equal(stub_http_count(s_stub), 0);
    fx_clean_up(&fx);
}

/* ---- the chain's order -------------------------------------------------- */

static void test_chain_order(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials out;
    struct fv_error err = {0};
    char src[64], url[128];

    /* Everything configured at once. */
    fx_set(&fx, "AWS_ACCESS_KEY_ID", "AKIDENV");
    fx_set(&fx, "AWS_SECRET_ACCESS_KEY", "env-secret-0001");
    fx_write(&fx, ".aws/credentials",
             "[default]\naws_access_key_id = AKIDPROFILE\n"
             "aws_secret_access_key = profile-secret-0001\n");
    const char *token_file = fx_path(&fx, "no-such-token");
    fx_set(&fx, "AWS_WEB_IDENTITY_TOKEN_FILE", token_file);
    fx_set(&fx, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web");
    snprintf(url, sizeof(url), "%s/container-creds", stub_http_url(s_stub));
    fx_set(&fx, "AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    char *cjson =
        s_creds_json("AKIDCONTAINER", "container-secret-0001", "container-token-0001", T0 + 3600);
    s_route("GET", "/container-creds", 200, cjson, 0);
    char *ijson = s_creds_json("AKIDIMDS", "imds-secret-0001", "imds-token-0001", T0 + 3600);
    s_imds_routes("imds-session-token-0001", "fleet-role", ijson);

    /* 1. environment beats everything. */
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, src, sizeof(src)), FV_OK);
    assert_string_equal(src, "environment");
    assert_string_equal(out.access_key_id, "AKIDENV");
    fv_credentials_clean_up(&out);

    /* 2. then the shared files. */
    fx_set(&fx, "AWS_ACCESS_KEY_ID", NULL);
    fx_set(&fx, "AWS_SECRET_ACCESS_KEY", NULL);
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, src, sizeof(src)), FV_OK);
    assert_string_equal(src, "profile:default");
    assert_string_equal(out.access_key_id, "AKIDPROFILE");
    fv_credentials_clean_up(&out);

    /* 3. then web identity: chosen, so its unreadable token file is the
     * error (no fall through to the container). */
    fx_write(&fx, ".aws/credentials", "[other]\naws_access_key_id = X\n");
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, src, sizeof(src)), FV_E_IO);
    assert_string_equal(src, "web-identity");
    assert_contains(err.message, token_file);
    assert_contains(err.message, "web identity token file");
    assert_int_equal(stub_http_count(s_stub), 0);

    /* 4. then the container endpoint. */
    fx_set(&fx, "AWS_WEB_IDENTITY_TOKEN_FILE", NULL);
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, src, sizeof(src)), FV_OK);
    assert_string_equal(src, "container");
    assert_string_equal(out.access_key_id, "AKIDCONTAINER");
    assert_string_equal(out.session_token, "container-token-0001");
    assert_int_equal(out.expiration, T0 + 3600);
    fv_credentials_clean_up(&out);
    assert_int_equal(stub_http_count_matching(s_stub, "GET", "/container-creds"), 1);

    /* 5. and IMDS last. */
    fx_set(&fx, "AWS_CONTAINER_CREDENTIALS_FULL_URI", NULL);
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, src, sizeof(src)), FV_OK);
    assert_string_equal(src, "imds");
    assert_string_equal(out.access_key_id, "AKIDIMDS");
    fv_credentials_clean_up(&out);

    free(cjson);
    free(ijson);
    fx_clean_up(&fx);
}

static void test_explicit_profile_beats_env(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials out;
    struct fv_error err = {0};
    char src[64];
    fx_set(&fx, "AWS_ACCESS_KEY_ID", "AKIDENV");
    fx_set(&fx, "AWS_SECRET_ACCESS_KEY", "env-secret-0001");
    fx_write(&fx, ".aws/credentials",
             "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = dev-secret-0001\n");

    /* AWS_PROFILE does not outrank environment keys (as botocore)... */
    fx_set(&fx, "AWS_PROFILE", "dev");
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, src, sizeof(src)), FV_OK);
    assert_string_equal(src, "environment");
    fv_credentials_clean_up(&out);
    /* ...but a profile the caller names does (as botocore's Session(profile_name)). */
    assert_int_equal(s_chain_get(&fx, "dev", &out, &err, src, sizeof(src)), FV_OK);
    assert_string_equal(src, "profile:dev");
    assert_string_equal(out.access_key_id, "AKIDDEV");
    fv_credentials_clean_up(&out);
    fx_clean_up(&fx);
}

/* ---- shared files --------------------------------------------------------- */

static void test_profile_files(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials out;
    struct fv_error err = {0};
    char src[64];
    fx_write(&fx, ".aws/config",
             "[default]\n"
             "region = eu-west-1\n"
             "aws_access_key_id = AKIDCONFIGDEFAULT\n"
             "aws_secret_access_key = config-secret-0001\n"
             "[profile cfgonly]\n"
             "aws_access_key_id = AKIDCFGONLY\n"
             "aws_secret_access_key = cfgonly-secret-0001\n"
             "aws_session_token = cfgonly-token-0001\n"
             "[cfgbare]\n"
             "aws_access_key_id = AKIDBARE\n"
             "aws_secret_access_key = bare-secret-0001\n"
             "[profile   spaced  ]\n"
             "aws_access_key_id = AKIDSPACED\n"
             "aws_secret_access_key = spaced-secret-0001\n"
             "[profile regiononly]\n"
             "region = us-west-2\n");
    fx_write(&fx, ".aws/credentials",
             "# keys\n"
             "[default]\n"
             "aws_access_key_id = AKIDCREDSDEFAULT\n"
             "aws_secret_access_key = creds-secret-0001\n"
             "[profile cfgonly]\n"
             "aws_access_key_id = AKIDWRONG\n"
             "aws_secret_access_key = wrong-secret-0001\n");

    /* The credentials file wins for static keys. */
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, src, sizeof(src)), FV_OK);
    assert_string_equal(src, "profile:default");
    assert_string_equal(out.access_key_id, "AKIDCREDSDEFAULT");
    assert_string_equal(out.secret_access_key, "creds-secret-0001");
    fv_credentials_clean_up(&out);

    /* [profile x] in config; "[profile x]" in the credentials file is not x. */
    fx_set(&fx, "AWS_PROFILE", "cfgonly");
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, src, sizeof(src)), FV_OK);
    assert_string_equal(src, "profile:cfgonly");
    assert_string_equal(out.access_key_id, "AKIDCFGONLY");
    assert_string_equal(out.session_token, "cfgonly-token-0001");
    fv_credentials_clean_up(&out);

    assert_int_equal(s_chain_get(&fx, "spaced", &out, &err, src, sizeof(src)), FV_OK);
    assert_string_equal(out.access_key_id, "AKIDSPACED");
    fv_credentials_clean_up(&out);

    /* [x] without "profile" in the config file is not a profile. */
    fx_set(&fx, "AWS_PROFILE", "cfgbare");
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, src, sizeof(src)), FV_E_NOTFOUND);

    /* A named profile with no credential settings: the chain goes on. */
    fx_set(&fx, "AWS_PROFILE", "regiononly");
    fx_set(&fx, "AWS_EC2_METADATA_DISABLED", "true");
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, src, sizeof(src)), FV_E_AUTH);
    assert_contains(err.message, "no AWS credentials found");

    /* File locations from the environment, "~/" expanded from HOME. */
    fx_write(&fx, "alt/creds",
             "[alt]\naws_access_key_id = AKIDALT\n"
             "aws_secret_access_key = alt-secret-0001\n");
    fx_set(&fx, "AWS_SHARED_CREDENTIALS_FILE", "~/alt/creds");
    fx_set(&fx, "AWS_CONFIG_FILE", fx_path(&fx, "alt/none"));
    fx_set(&fx, "AWS_PROFILE", "alt");
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, src, sizeof(src)), FV_OK);
    assert_string_equal(out.access_key_id, "AKIDALT");
    fv_credentials_clean_up(&out);
    fx_clean_up(&fx);
}

static void test_profile_assume_role_sts(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials out;
    struct fv_error err = {0};
    char src[64];
    fx_write(&fx, ".aws/config",
             "[profile prod]\n"
             "role_arn = arn:aws:iam::123456789012:role/prod-admin\n"
             "source_profile = base\n"
             "external_id = ext-1234\n"
             "role_session_name = fleetvault-test\n"
             "duration_seconds = 1800\n");
    fx_write(&fx, ".aws/credentials",
             "[base]\naws_access_key_id = AKIDBASE\n"
             "aws_secret_access_key = base-secret-0001\n");
    s_sts_route("AssumeRole", "ASIAPROD", "prod-secret-0001", "prod-token-0001", T0 + 1800, 0);

    fx_set(&fx, "AWS_PROFILE", "prod");
    fv_status st = s_chain_get(&fx, NULL, &out, &err, src, sizeof(src));
    if (st != FV_OK)
        fail_msg("%s", err.message);
    assert_string_equal(src, "profile:prod");
    assert_string_equal(out.access_key_id, "ASIAPROD");
    assert_string_equal(out.secret_access_key, "prod-secret-0001");
    assert_string_equal(out.session_token, "prod-token-0001");
    assert_int_equal(out.expiration, T0 + 1800);
    fv_credentials_clean_up(&out);

    assert_int_equal(stub_http_count(s_stub), 1);
    const struct stub_http_req *r = stub_http_req(s_stub, 0);
    char *v;
    assert_string_equal(v = stub_http_form_get(r, "Action"), "AssumeRole");
    free(v);
    assert_string_equal(v = stub_http_form_get(r, "RoleArn"),
                        "arn:aws:iam::123456789012:role/prod-admin");
    free(v);
    assert_string_equal(v = stub_http_form_get(r, "ExternalId"), "ext-1234");
    free(v);
    assert_string_equal(v = stub_http_form_get(r, "RoleSessionName"), "fleetvault-test");
    free(v);
    assert_string_equal(v = stub_http_form_get(r, "DurationSeconds"), "1800");
    free(v);
    /* Signed with the source profile's keys. */
    const char *auth = fv_headers_get(&r->headers, "Authorization");
    assert_non_null(auth);
    assert_contains(auth, "Credential=AKIDBASE/");
    assert_null(fv_headers_get(&r->headers, "X-Amz-Security-Token"));
    fx_clean_up(&fx);
}

static void test_profile_role_chain_sts(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials out;
    struct fv_error err = {0};
    fx_write(&fx, ".aws/config",
             "[profile top]\n"
             "role_arn = arn:aws:iam::111111111111:role/top\n"
             "source_profile = mid\n"
             "[profile mid]\n"
             "role_arn = arn:aws:iam::222222222222:role/mid\n"
             "source_profile = base\n"
             "[profile base]\n"
             "aws_access_key_id = AKIDBASE\n"
             "aws_secret_access_key = base-secret-0001\n");
    s_sts_route("AssumeRole", "ASIAMID", "mid-secret-0001", "mid-token-0001", T0 + 3600, 1);
    s_sts_route("AssumeRole", "ASIATOP", "top-secret-0001", "top-token-0001", T0 + 3600, 1);

    fv_status st = s_chain_get(&fx, "top", &out, &err, NULL, 0);
    if (st != FV_OK)
        fail_msg("%s", err.message);
    assert_string_equal(out.access_key_id, "ASIATOP");
    fv_credentials_clean_up(&out);
    assert_int_equal(stub_http_count(s_stub), 2);
    const struct stub_http_req *r0 = stub_http_req(s_stub, 0), *r1 = stub_http_req(s_stub, 1);
    char *v;
    assert_string_equal(v = stub_http_form_get(r0, "RoleArn"),
                        "arn:aws:iam::222222222222:role/mid");
    free(v);
    assert_contains(fv_headers_get(&r0->headers, "Authorization"), "Credential=AKIDBASE/");
    assert_string_equal(v = stub_http_form_get(r1, "RoleArn"),
                        "arn:aws:iam::111111111111:role/top");
    free(v);
    /* The second hop is signed with the first hop's session. */
    assert_contains(fv_headers_get(&r1->headers, "Authorization"), "Credential=ASIAMID/");
    assert_string_equal(fv_headers_get(&r1->headers, "X-Amz-Security-Token"), "mid-token-0001");
    /* Default session name from the clock. */
    assert_string_equal(v = stub_http_form_get(r1, "RoleSessionName"), "fleetvault-1700000000");
    free(v);
    fx_clean_up(&fx);
}

static void test_profile_cycles(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials out;
    struct fv_error err = {0};
    fx_write(&fx, ".aws/config",
             "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
             "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n"
             "[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = a\n"
             "[profile self]\nrole_arn = arn:aws:iam::1:role/s\nsource_profile = self\n");
    assert_int_equal(s_chain_get(&fx, "a", &out, &err, NULL, 0), FV_E_INVALID);
    assert_string_equal(err.message, "source_profile cycle: 'a' -> 'b' -> 'c' -> 'a'");
    assert_int_equal(s_chain_get(&fx, "self", &out, &err, NULL, 0), FV_E_INVALID);
    assert_contains(err.message, "source_profile cycle: 'self' -> 'self'");
    assert_int_equal(stub_http_count(s_stub), 0);
    fx_clean_up(&fx);
}

/* ---- every bad input names what was wrong -------------------------------- */

struct bad_case {
    const char *config;      /* .aws/config content, NULL = none */
    const char *credentials; /* .aws/credentials content, NULL = none */
    const char *vars[8];     /* name, value pairs; value "@file" = fx_path(file) */
    const char *profile;     /* explicit profile */
    fv_status status;
    const char *want[3]; /* substrings; "@config", "@credentials", "@x" = paths */
};

static const struct bad_case s_bad_cases[] = {
    {.vars = {"AWS_ACCESS_KEY_ID", "AKIDONLY"},
     .status = FV_E_INVALID,
     .want = {"AWS_SECRET_ACCESS_KEY"}},
    {.vars = {"AWS_SECRET_ACCESS_KEY", "lonely-secret-0001"},
     .status = FV_E_INVALID,
     .want = {"AWS_ACCESS_KEY_ID"}},
    {.vars = {"AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "s-secret-0001",
              "AWS_CREDENTIAL_EXPIRATION", "tomorrow"},
     .status = FV_E_INVALID,
     .want = {"AWS_CREDENTIAL_EXPIRATION"}},
    {.vars = {"AWS_PROFILE", "nope"},
     .status = FV_E_NOTFOUND,
     .want = {"profile 'nope' not found in @config or @credentials"}},
    {.profile = "nope",
     .config = "[default]\nregion = x\n",
     .status = FV_E_NOTFOUND,
     .want = {"profile 'nope' not found in @config or @credentials"}},
    {.config = "[default]\nregion = x\nthis is not ini\n",
     .status = FV_E_INVALID,
     .want = {"@config:3:"}},
    {.credentials = "[default]\naws_access_key_id = A\n[broken\n",
     .status = FV_E_INVALID,
     .want = {"@credentials:3:", "closing ']'"}},
    {.credentials = "[default]\naws_access_key_id = AKIDHALF\n",
     .status = FV_E_INVALID,
     .want = {"profile 'default' in @credentials", "aws_secret_access_key"}},
    {.config = "[profile r]\nrole_arn = arn:aws:iam::1:role/r\n",
     .profile = "r",
     .status = FV_E_INVALID,
     .want = {"profile 'r' in @config", "source_profile"}},
    {.config = "[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = ghost\n",
     .profile = "r",
     .status = FV_E_NOTFOUND,
     .want = {"profile 'ghost' (source_profile of 'r') not found in @config or @credentials"}},
    {.config = "[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = empty\n"
               "[profile empty]\nregion = x\n",
     .profile = "r",
     .status = FV_E_INVALID,
     .want = {"profile 'empty' (source_profile of 'r') has no credentials"}},
    {.config = "[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = r\n"
               "credential_source = Environment\n",
     .profile = "r",
     .status = FV_E_INVALID,
     .want = {"profile 'r'", "both source_profile and credential_source"}},
    {.config = "[profile r]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Magic\n",
     .profile = "r",
     .status = FV_E_INVALID,
     .want = {"profile 'r' (@config:3)", "unknown credential_source 'Magic'"}},
    {.config = "[profile r]\nrole_arn = arn:aws:iam::1:role/r\n"
               "credential_source = Environment\n",
     .profile = "r",
     .status = FV_E_INVALID,
     .want = {"profile 'r'", "AWS_ACCESS_KEY_ID is not set"}},
    {.config = "[profile r]\nrole_arn = arn:aws:iam::1:role/r\n"
               "credential_source = EcsContainer\n",
     .profile = "r",
     .status = FV_E_INVALID,
     .want = {"profile 'r'", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}},
    {.config = "[profile r]\nrole_arn = arn:aws:iam::1:role/r\n"
               "credential_source = Ec2InstanceMetadata\n",
     .vars = {"AWS_EC2_METADATA_DISABLED", "true"},
     .profile = "r",
     .status = FV_E_INVALID,
     .want = {"profile 'r'", "AWS_EC2_METADATA_DISABLED"}},
    {.config = "[profile r]\nrole_arn = arn:aws:iam::1:role/r\n"
               "credential_source = Environment\nduration_seconds = 10\n",
     .profile = "r",
     .status = FV_E_INVALID,
     .want = {"profile 'r' (@config:4)", "duration_seconds"}},
    {.config = "[profile w]\nweb_identity_token_file = /tmp/x\n",
     .profile = "w",
     .status = FV_E_INVALID,
     .want = {"profile 'w'", "no role_arn"}},
    {.config = "[profile p]\ncredential_process = /bin/echo\n",
     .profile = "p",
     .status = FV_E_INVALID,
     .want = {"profile 'p'", "credential_process"}},
    {.config = "[profile w]\nrole_arn = arn:aws:iam::1:role/w\n"
               "web_identity_token_file = @missing-token\n",
     .profile = "w",
     .status = FV_E_IO,
     .want = {"@missing-token"}},
    {.vars = {"AWS_WEB_IDENTITY_TOKEN_FILE", "@token"},
     .status = FV_E_INVALID,
     .want = {"AWS_ROLE_ARN"}},
    {.vars = {"AWS_WEB_IDENTITY_TOKEN_FILE", "@missing-token", "AWS_ROLE_ARN",
              "arn:aws:iam::1:role/w"},
     .status = FV_E_IO,
     .want = {"web identity token file @missing-token"}},
    {.vars = {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds"},
     .status = FV_E_INVALID,
     .want = {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "example.com"}},
    {.vars = {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://127.0.0.1/creds"},
     .status = FV_E_INVALID,
     .want = {"AWS_CONTAINER_CREDENTIALS_FULL_URI"}},
    {.vars = {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds",
              "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "@missing-auth"},
     .status = FV_E_IO,
     .want = {"container authorization token file @missing-auth"}},
    {.vars = {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds",
              "AWS_CONTAINER_AUTHORIZATION_TOKEN", "abc\r\nX-Evil: 1"},
     .status = FV_E_INVALID,
     .want = {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "line break"}},
};

static void s_expand(struct fx *fx, const char *in, char *out, size_t n)
{
    struct fv_buf b = {0};
    while (*in) {
        if (*in != '@') {
            fv_buf_append_char(&b, *in++);
            continue;
        }
        in++;
        size_t len = strcspn(in, " :)'\n");
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)len, in);
        in += len;
        if (strcmp(name, "config") == 0)
            fv_buf_append_str(&b, fx_path(fx, ".aws/config"));
        else if (strcmp(name, "credentials") == 0)
            fv_buf_append_str(&b, fx_path(fx, ".aws/credentials"));
        else
            fv_buf_append_str(&b, fx_path(fx, name));
    }
    snprintf(out, n, "%s", fv_buf_str(&b));
    fv_buf_clean_up(&b);
}

static void test_bad_inputs_name_the_culprit(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(s_bad_cases) / sizeof(s_bad_cases[0]); i++) {
        const struct bad_case *c = &s_bad_cases[i];
        struct fx fx;
        fx_init(&fx);
        if (c->config)
            fx_write(&fx, ".aws/config", c->config);
        if (c->credentials)
            fx_write(&fx, ".aws/credentials", c->credentials);
        char expanded[600];
        for (size_t j = 0; j + 1 < 8 && c->vars[j]; j += 2) {
            s_expand(&fx, c->vars[j + 1], expanded, sizeof(expanded));
            fx_set(&fx, c->vars[j], expanded);
        }
        if (c->config && strstr(c->config, "@")) {
            char cfg[600];
            s_expand(&fx, c->config, cfg, sizeof(cfg));
            fx_write(&fx, ".aws/config", cfg);
        }
        fx_write(&fx, "token", "a-web-identity-token\n");
        struct fv_credentials out;
        struct fv_error err = {0};
        fv_status st = s_chain_get(&fx, c->profile, &out, &err, NULL, 0);
        if (st != c->status)
            fail_msg("case %zu: status %s, want %s (%s)", i, fv_status_str(st),
                     fv_status_str(c->status), err.message);
        assert_int_equal(err.status, c->status);
        assert_null(out.access_key_id);
        for (size_t j = 0; j < 3 && c->want[j]; j++) {
            s_expand(&fx, c->want[j], expanded, sizeof(expanded));
            if (!strstr(err.message, expanded))
                fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, expanded);
        }
        assert_int_equal(stub_http_count(s_stub), 0);
        fx_clean_up(&fx);
    }
}

/* ---- web identity ------------------------------------------------------- */

static void test_web_identity_rereads_token_sts(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials out;
    struct fv_error err = {0};
    const char *tok = fx_write(&fx, "token", "eyJ-first-token-0001\n");
    fx_set(&fx, "AWS_WEB_IDENTITY_TOKEN_FILE", tok);
    fx_set(&fx, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa");
    fx_set(&fx, "AWS_ROLE_SESSION_NAME", "pod-session");
    s_sts_route("AssumeRoleWithWebIdentity", "ASIAWEB1", "web-secret-0001", "web-token-0001",
                T0 + 3600, 1);
    s_sts_route("AssumeRoleWithWebIdentity", "ASIAWEB2", "web-secret-0002", "web-token-0002",
                T0 + 7200, 1);

    struct fv_creds_provider *p = fv_creds_default_chain(NULL, "us-east-1", &fx.env);
    fv_status st = fv_creds_get(p, &out, &err);
    if (st != FV_OK)
        fail_msg("%s", err.message);
    assert_string_equal(fv_creds_source(p), "web-identity");
    assert_string_equal(out.access_key_id, "ASIAWEB1");
    fv_credentials_clean_up(&out);
    assert_int_equal(stub_http_count(s_stub), 1);
    const struct stub_http_req *r = stub_http_req(s_stub, 0);
    char *v;
    assert_string_equal(v = stub_http_form_get(r, "Action"), "AssumeRoleWithWebIdentity");
    free(v);
    assert_string_equal(v = stub_http_form_get(r, "WebIdentityToken"), "eyJ-first-token-0001");
    free(v);
    assert_string_equal(v = stub_http_form_get(r, "RoleArn"),
                        "arn:aws:iam::123456789012:role/irsa");
    free(v);
    assert_string_equal(v = stub_http_form_get(r, "RoleSessionName"), "pod-session");
    free(v);
    assert_null(fv_headers_get(&r->headers, "Authorization"));

    /* The kubelet rotates the token; the refresh must read the new one. */
    fx_write(&fx, "token", "eyJ-second-token-0002");
    fx_advance(&fx, 3600 - 200);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    assert_string_equal(out.access_key_id, "ASIAWEB2");
    fv_credentials_clean_up(&out);
    assert_int_equal(stub_http_count(s_stub), 2);
    assert_string_equal(v = stub_http_form_get(stub_http_req(s_stub, 1), "WebIdentityToken"),
                        "eyJ-second-token-0002");
    free(v);
    fv_creds_unref(p);
    fx_clean_up(&fx);
}

/* ---- container ---------------------------------------------------------- */

static void test_container_urls(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    char *url = NULL;
    struct fv_error err = {0};

    assert_int_equal(fv_creds_container_url(&fx.env, &url, &err), FV_OK);
    assert_null(url);

    fx_set(&fx, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc-123");
    fx_set(&fx, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/ignored");
    assert_int_equal(fv_creds_container_url(&fx.env, &url, &err), FV_OK);
    assert_string_equal(url, "http://169.254.170.2/v2/credentials/abc-123");
    free(url);
    fx_set(&fx, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", NULL);

    static const char *const allowed[] = {
        "https://creds.example.com/x",    "http://127.0.0.1/creds",
        "http://127.0.0.2:8080/creds",    "http://localhost:9000/creds",
        "http://169.254.170.2/v2/x",      "http://169.254.170.23/v1/credentials",
        "http://[fd00:ec2::23]/v1/creds", "http://[::1]:8080/creds",
    };
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        fx_set(&fx, "AWS_CONTAINER_CREDENTIALS_FULL_URI", allowed[i]);
        if (fv_creds_container_url(&fx.env, &url, &err) != FV_OK)
            fail_msg("%s rejected: %s", allowed[i], err.message);
        assert_string_equal(url, allowed[i]);
        free(url);
    }
    static const char *const denied[] = {
        "http://example.com/creds",        "http://10.0.0.1/creds",
        "http://169.254.169.254/latest",   "http://[fd00:ec2::254]/x",
        "http://user@127.0.0.1/creds",     "file:///etc/passwd",
        "http://127.0.0.1.evil.com/creds",
    };
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
        fx_set(&fx, "AWS_CONTAINER_CREDENTIALS_FULL_URI", denied[i]);
        if (fv_creds_container_url(&fx.env, &url, &err) != FV_E_INVALID)
            fail_msg("%s accepted", denied[i]);
        assert_null(url);
        assert_contains(err.message, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    }
    fx_clean_up(&fx);
}

static void test_container_full_uri_with_token_file(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials out;
    struct fv_error err = {0};
    char url[128];
    snprintf(url, sizeof(url), "%s/v1/credentials", stub_http_url(s_stub));
    fx_set(&fx, "AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    fx_set(&fx, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
           fx_write(&fx, "eks-token", "pod-identity-token-0001\n"));
    fx_set(&fx, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-file-set");
    char *j1 = s_creds_json("AKIDPOD1", "pod-secret-0001", "pod-token-0001", T0 + 3600);
    char *j2 = s_creds_json("AKIDPOD2", "pod-secret-0002", "pod-token-0002", T0 + 7200);
    stub_http_add(s_stub, &(struct stub_http_route){.method = "GET",
                                                    .path = "/v1/credentials",
                                                    .body = j1,
                                                    .times = 1,
                                                    .require_header = "Authorization"});
    stub_http_add(s_stub, &(struct stub_http_route){.method = "GET",
                                                    .path = "/v1/credentials",
                                                    .body = j2,
                                                    .require_header = "Authorization"});

    struct fv_creds_provider *p = fv_creds_default_chain(NULL, NULL, &fx.env);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    assert_string_equal(fv_creds_source(p), "container");
    assert_string_equal(out.access_key_id, "AKIDPOD1");
    assert_string_equal(out.secret_access_key, "pod-secret-0001");
    fv_credentials_clean_up(&out);
    assert_string_equal(fv_headers_get(&stub_http_req(s_stub, 0)->headers, "Authorization"),
                        "pod-identity-token-0001");

    /* Cached: no second request. */
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    fv_credentials_clean_up(&out);
    assert_int_equal(stub_http_count(s_stub), 1);

    /* The token file is re-read on refresh. */
    fx_write(&fx, "eks-token", "pod-identity-token-0002");
    fx_advance(&fx, 3600 - 299);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    assert_string_equal(out.access_key_id, "AKIDPOD2");
    fv_credentials_clean_up(&out);
    assert_int_equal(stub_http_count(s_stub), 2);
    assert_string_equal(fv_headers_get(&stub_http_req(s_stub, 1)->headers, "Authorization"),
                        "pod-identity-token-0002");
    fv_creds_unref(p);

    /* AWS_CONTAINER_AUTHORIZATION_TOKEN when there is no file. */
    fx_set(&fx, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", NULL);
    fx_set(&fx, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-auth-token-0001");
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, NULL, 0), FV_OK);
    fv_credentials_clean_up(&out);
    assert_string_equal(fv_headers_get(&stub_http_req(s_stub, 2)->headers, "Authorization"),
                        "ecs-auth-token-0001");
    free(j1);
    free(j2);
    fx_clean_up(&fx);
}

static void test_container_errors(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials out;
    struct fv_error err = {0};
    char url[128];
    snprintf(url, sizeof(url), "%s/creds", stub_http_url(s_stub));
    fx_set(&fx, "AWS_CONTAINER_CREDENTIALS_FULL_URI", url);

    s_route("GET", "/creds", 403, "{\"message\":\"denied\"}", 1);
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, NULL, 0), FV_E_AUTH);
    assert_contains(err.message, url);
    assert_contains(err.message, "HTTP 403");
    assert_int_equal(err.http_status, 403);

    /* A 5xx is retried once. */
    stub_http_reset(s_stub);
    char *good = s_creds_json("AKIDC", "c-secret-0001", "c-token-0001", T0 + 3600);
    s_route("GET", "/creds", 503, "busy", 1);
    s_route("GET", "/creds", 200, good, 1);
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, NULL, 0), FV_OK);
    fv_credentials_clean_up(&out);
    assert_int_equal(stub_http_count(s_stub), 2);

    stub_http_reset(s_stub);
    s_route("GET", "/creds", 200, "{\"AccessKeyId\": \"AKID\", \"SecretAccessKey\": ", 1);
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, NULL, 0), FV_E_PARSE);
    assert_contains(err.message, url);

    stub_http_reset(s_stub);
    s_route("GET", "/creds", 200, "{\"AccessKeyId\": \"AKID\"}", 1);
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, NULL, 0), FV_E_PARSE);
    assert_contains(err.message, "SecretAccessKey");

    /* Expired on arrival. */
    stub_http_reset(s_stub);
    char *old = s_creds_json("AKIDOLD", "old-secret-0001", "old-token-0001", T0 - 60);
    s_route("GET", "/creds", 200, old, 1);
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, NULL, 0), FV_E_AUTH);
    assert_string_equal(err.message, "credentials from container expired at 2023-11-14T22:12:20Z");

    /* Nothing listening. */
    stub_http_reset(s_stub);
    fx_set(&fx, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds");
    fv_status st = s_chain_get(&fx, NULL, &out, &err, NULL, 0);
    assert_true(st == FV_E_NET || st == FV_E_TIMEOUT);
    assert_contains(err.message, "http://127.0.0.1:1/creds");
    free(good);
    free(old);
    fx_clean_up(&fx);
}

/* ---- IMDS --------------------------------------------------------------- */

static void test_imds_v2_flow(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials out;
    struct fv_error err = {0};
    char *json = s_creds_json("AKIDIMDS", "imds-secret-0001", "imds-token-0001", T0 + 21600);
    s_imds_routes("imds-session-AQAEAExample==", "fleetvault-node", json);
    /* A trailing slash on the override is fine. */
    char ep[128];
    snprintf(ep, sizeof(ep), "%s/", stub_http_url(s_stub));
    fx_set(&fx, "AWS_EC2_METADATA_SERVICE_ENDPOINT", ep);

    struct fv_creds_provider *p = fv_creds_default_chain(NULL, NULL, &fx.env);
    fv_status st = fv_creds_get(p, &out, &err);
    if (st != FV_OK)
        fail_msg("%s", err.message);
    assert_string_equal(fv_creds_source(p), "imds");
    assert_string_equal(out.access_key_id, "AKIDIMDS");
    assert_string_equal(out.secret_access_key, "imds-secret-0001");
    assert_string_equal(out.session_token, "imds-token-0001");
    assert_int_equal(out.expiration, T0 + 21600);
    fv_credentials_clean_up(&out);

    assert_int_equal(stub_http_count(s_stub), 3);
    const struct stub_http_req *put = stub_http_req(s_stub, 0);
    assert_string_equal(put->method, "PUT");
    assert_string_equal(put->path, "/latest/api/token");
    assert_string_equal(fv_headers_get(&put->headers, "X-aws-ec2-metadata-token-ttl-seconds"),
                        "21600");
    assert_null(fv_headers_get(&put->headers, "X-aws-ec2-metadata-token"));
    for (size_t i = 1; i < 3; i++) {
        const struct stub_http_req *get = stub_http_req(s_stub, i);
        assert_string_equal(get->method, "GET");
        assert_string_equal(fv_headers_get(&get->headers, "X-aws-ec2-metadata-token"),
                            "imds-session-AQAEAExample==");
        assert_int_not_equal(get->route, -1);
    }
    assert_string_equal(stub_http_req(s_stub, 1)->path, IMDS_CREDS);
    assert_string_equal(stub_http_req(s_stub, 2)->path, IMDS_CREDS "fleetvault-node");

    /* Cached until 5 minutes before expiry. */
    fx_advance(&fx, 21600 - 301);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    fv_credentials_clean_up(&out);
    assert_int_equal(stub_http_count(s_stub), 3);
    fv_creds_unref(p);
    free(json);
    fx_clean_up(&fx);
}

static void test_imds_retry_and_errors(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials out;
    struct fv_error err = {0};
    char *json = s_creds_json("AKIDIMDS", "imds-secret-0001", "imds-token-0001", T0 + 21600);

    /* One retry after a 5xx. */
    s_route("PUT", "/latest/api/token", 500, "oops", 1);
    s_imds_routes("imds-session-0001", "role", json);
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, NULL, 0), FV_OK);
    fv_credentials_clean_up(&out);
    assert_int_equal(stub_http_count_matching(s_stub, "PUT", "/latest/api/token"), 2);

    /* No role attached. */
    stub_http_reset(s_stub);
    s_route("PUT", "/latest/api/token", 200, "imds-session-0001", 0);
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, NULL, 0), FV_E_AUTH);
    assert_contains(err.message, "no AWS credentials found");
    assert_contains(err.message, "HTTP 404");
    assert_contains(err.message, "no IAM role attached");

    /* IMDS disabled: nothing asked, everything listed. */
    stub_http_reset(s_stub);
    fx_set(&fx, "AWS_EC2_METADATA_DISABLED", "TRUE");
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, NULL, 0), FV_E_AUTH);
    assert_int_equal(stub_http_count(s_stub), 0);
    assert_contains(err.message, "no AWS credentials found");
    assert_contains(err.message, "environment");
    assert_contains(err.message, fx_path(&fx, ".aws/config"));
    assert_contains(err.message, fx_path(&fx, ".aws/credentials"));
    assert_contains(err.message, "AWS_WEB_IDENTITY_TOKEN_FILE");
    assert_contains(err.message, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    assert_contains(err.message, "AWS_EC2_METADATA_DISABLED");
    fv_credentials_clean_up(&out);
    free(json);
    fx_clean_up(&fx);
}

/* ---- caching, refresh, threads ------------------------------------------ */

struct slow {
    atomic_int calls;
    atomic_int in_fetch;
    int64_t lifetime;
    int sleep_ms;
    bool fail;
};

static fv_status s_slow_fetch(struct fv_creds_provider *p, struct fv_credentials *out,
                              struct fv_error *err)
{
    struct slow *s = p->impl;
    atomic_fetch_add(&s->calls, 1);
    atomic_store(&s->in_fetch, 1);
    usleep((useconds_t)s->sleep_ms * 1000);
    atomic_store(&s->in_fetch, 0);
    if (s->fail)
        return fv_error_set(err, FV_E_NET, "slow endpoint down");
    out->access_key_id = fv_strdup("AKIDSLOW");
    out->secret_access_key = fv_strdup("slow-secret-0001");
    out->expiration = fv_creds_now(&p->env) + s->lifetime;
    return FV_OK;
}

static const struct fv_creds_vtable s_slow_vt = {.fetch = s_slow_fetch};

struct getter {
    struct fv_creds_provider *p;
    fv_status st;
};

static void *s_getter(void *ud)
{
    struct getter *g = ud;
    struct fv_credentials out;
    struct fv_error err = {0};
    g->st = fv_creds_get(g->p, &out, &err);
    fv_credentials_clean_up(&out);
    return NULL;
}

static void test_refresh_window(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct slow s = {.lifetime = 3600};
    struct fv_creds_provider *p = fv_creds_provider_new(&s_slow_vt, &s, "slow", &fx.env);
    struct fv_credentials out;
    struct fv_error err = {0};

    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    fv_credentials_clean_up(&out);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    fv_credentials_clean_up(&out);
    assert_int_equal(atomic_load(&s.calls), 1);
    fx_advance(&fx, 3600 - 301);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    fv_credentials_clean_up(&out);
    assert_int_equal(atomic_load(&s.calls), 1);
    fx_advance(&fx, 2);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    fv_credentials_clean_up(&out);
    assert_int_equal(atomic_load(&s.calls), 2);

    /* Credentials that live 2 minutes are refreshed on every get. */
    s.lifetime = 120;
    fx_advance(&fx, 3600);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    assert_int_equal(out.expiration, fx_now(&fx) + 120);
    fv_credentials_clean_up(&out);
    assert_int_equal(atomic_load(&s.calls), 3);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    fv_credentials_clean_up(&out);
    assert_int_equal(atomic_load(&s.calls), 4);

    /* A failed refresh while the cached ones are valid: cached, a warning,
     * and no new attempt for a while. */
    s.lifetime = 3600;
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    fv_credentials_clean_up(&out);
    int calls = atomic_load(&s.calls);
    s.fail = true;
    fx_advance(&fx, 3600 - 100);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    assert_string_equal(out.access_key_id, "AKIDSLOW");
    fv_credentials_clean_up(&out);
    assert_int_equal(atomic_load(&s.calls), calls + 1);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    fv_credentials_clean_up(&out);
    assert_int_equal(atomic_load(&s.calls), calls + 1);
    fflush(s_log);
    assert_contains(s_log_buf, "refreshing credentials from slow failed");
    /* Once they expire, the error. */
    fx_advance(&fx, 200);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_E_NET);
    assert_string_equal(err.message, "slow endpoint down");
    assert_null(out.access_key_id);

    fv_creds_unref(p);
    fx_clean_up(&fx);
}

static void test_threads_share_one_refresh(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct slow s = {.lifetime = 3600, .sleep_ms = 200};
    struct fv_creds_provider *p = fv_creds_provider_new(&s_slow_vt, &s, "slow", &fx.env);
    struct getter g[8];
    pthread_t t[8];

    /* Nothing cached: all wait for one fetch. */
    for (int i = 0; i < 8; i++) {
        g[i] = (struct getter){.p = fv_creds_ref(p), .st = FV_E_CANCELLED};
        pthread_create(&t[i], NULL, s_getter, &g[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(g[i].st, FV_OK);
        fv_creds_unref(g[i].p);
    }
    assert_int_equal(atomic_load(&s.calls), 1);

    /* In the refresh window: one thread refreshes, the others use the
     * still-valid cached credentials without waiting. */
    fx_advance(&fx, 3600 - 100);
    s.sleep_ms = 500;
    struct getter refresher = {.p = p};
    pthread_create(&t[0], NULL, s_getter, &refresher);
    while (!atomic_load(&s.in_fetch))
        usleep(1000);
    struct fv_credentials out;
    struct fv_error err = {0};
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    assert_int_equal(atomic_load(&s.in_fetch), 1); /* did not wait */
    assert_int_equal(out.expiration, T0 + 3600);
    fv_credentials_clean_up(&out);
    pthread_join(t[0], NULL);
    assert_int_equal(refresher.st, FV_OK);
    assert_int_equal(atomic_load(&s.calls), 2);

    /* Expired: waiters share the refresh's failure. */
    s.fail = true;
    s.sleep_ms = 100;
    fx_advance(&fx, 7200);
    for (int i = 0; i < 4; i++) {
        g[i] = (struct getter){.p = p, .st = FV_OK};
        pthread_create(&t[i], NULL, s_getter, &g[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(g[i].st, FV_E_NET);
    }
    /* At least one failed fetch, at most one per thread (a late thread may
     * start its own after the shared one failed). */
    assert_in_range(atomic_load(&s.calls), 3, 2 + 4);
    fv_creds_unref(p);
    fx_clean_up(&fx);
}

static void test_assume_role_api_sts(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials src = {(char *)"AKIDSRC", (char *)"src-secret-0001",
                                 (char *)"src-token-0001", 0};
    struct fv_creds_provider *s = fv_creds_static(&src);
    struct fv_creds_provider *p = fv_creds_assume_role(
        s, "eu-west-1", "arn:aws:iam::123456789012:role/api", NULL, NULL, &fx.env);
    fv_creds_unref(s); /* p holds its own reference */
    assert_null(fv_creds_assume_role(NULL, "x", "arn", NULL, NULL, NULL));
    s_sts_route("AssumeRole", "ASIAAPI", "api-secret-0001", "api-token-0001", T0 + 900, 0);
    struct fv_credentials out;
    struct fv_error err = {0};
    fv_status st = fv_creds_get(p, &out, &err);
    if (st != FV_OK)
        fail_msg("%s", err.message);
    assert_string_equal(fv_creds_source(p), "assume-role");
    assert_string_equal(out.access_key_id, "ASIAAPI");
    fv_credentials_clean_up(&out);
    const struct stub_http_req *r = stub_http_req(s_stub, 0);
    char *v;
    assert_string_equal(v = stub_http_form_get(r, "RoleSessionName"), "fleetvault-1700000000");
    free(v);
    assert_null(stub_http_form_get(r, "ExternalId"));
    assert_contains(fv_headers_get(&r->headers, "Authorization"), "/eu-west-1/sts/aws4_request");
    assert_string_equal(fv_headers_get(&r->headers, "X-Amz-Security-Token"), "src-token-0001");

    /* Expires in 15 minutes: cached now, refreshed within 5 minutes of it. */
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    fv_credentials_clean_up(&out);
    assert_int_equal(stub_http_count(s_stub), 1);
    fx_advance(&fx, 601);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    fv_credentials_clean_up(&out);
    assert_int_equal(stub_http_count(s_stub), 2);
    fv_creds_unref(p);
    fx_clean_up(&fx);
}

/* ---- no secret in any error or log line ---------------------------------- */

static const char *const s_secrets[] = {
    "env-SECRET-9f8e7d6c",     "env-TOKEN-1a2b3c4d",        "profile-SECRET-5e6f7a8b",
    "profile-TOKEN-9c0d1e2f",  "container-SECRET-3a4b5c6d", "container-TOKEN-7e8f9a0b",
    "container-AUTH-1c2d3e4f", "imds-SECRET-5a6b7c8d",      "imds-TOKEN-9e0f1a2b",
    "imds-SESSION-3c4d5e6f",   "web-IDTOKEN-7a8b9c0d",      "sts-SECRET-1e2f3a4b",
    "sts-TOKEN-5c6d7e8f",
};

static void s_collect(struct fv_buf *errors, fv_status st, const struct fv_error *err)
{
    if (st != FV_OK)
        fv_buf_printf(errors, "%s\n", err->message);
}

static void s_assert_no_secrets(const struct fv_buf *errors)
{
    fflush(s_log);
    for (size_t i = 0; i < sizeof(s_secrets) / sizeof(s_secrets[0]); i++) {
        if (strstr(fv_buf_str(errors), s_secrets[i]))
            fail_msg("secret %s in an error message:\n%s", s_secrets[i], fv_buf_str(errors));
        if (s_log_buf && strstr(s_log_buf, s_secrets[i]))
            fail_msg("secret %s in the log", s_secrets[i]);
    }
    /* The log scrubs registered secrets to "****"; none should even have
     * been written. */
    if (s_log_buf && strstr(s_log_buf, "****"))
        fail_msg("a scrubbed secret in the log:\n%s", s_log_buf);
}

static void test_no_secret_in_errors_or_logs(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials out;
    struct fv_error err = {0};
    struct fv_buf errors = {0};
    fv_status st;
    char url[128];
    rewind(s_log);

    /* Environment: good, half, expired. */
    fx_set(&fx, "AWS_ACCESS_KEY_ID", "AKIDENVLEAK");
    fx_set(&fx, "AWS_SECRET_ACCESS_KEY", "env-SECRET-9f8e7d6c");
    fx_set(&fx, "AWS_SESSION_TOKEN", "env-TOKEN-1a2b3c4d");
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, NULL, 0), FV_OK);
    fv_credentials_clean_up(&out);
    fx_set(&fx, "AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z");
    s_collect(&errors, s_chain_get(&fx, NULL, &out, &err, NULL, 0), &err);
    fx_set(&fx, "AWS_CREDENTIAL_EXPIRATION", "env-SECRET-9f8e7d6c");
    s_collect(&errors, s_chain_get(&fx, NULL, &out, &err, NULL, 0), &err);
    fx_set(&fx, "AWS_CREDENTIAL_EXPIRATION", NULL);
    fx_set(&fx, "AWS_ACCESS_KEY_ID", NULL);
    s_collect(&errors, s_chain_get(&fx, NULL, &out, &err, NULL, 0), &err);
    fx_set(&fx, "AWS_SECRET_ACCESS_KEY", NULL);
    fx_set(&fx, "AWS_SESSION_TOKEN", NULL);

    /* Profiles: good, broken lines holding secrets, a half pair. */
    fx_write(&fx, ".aws/credentials",
             "[default]\naws_access_key_id = AKIDPROF\n"
             "aws_secret_access_key = profile-SECRET-5e6f7a8b\n"
             "aws_session_token = profile-TOKEN-9c0d1e2f\n");
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, NULL, 0), FV_OK);
    fv_credentials_clean_up(&out);
    fx_write(&fx, ".aws/credentials",
             "[default]\naws_access_key_id = AKIDPROF\n"
             "profile-SECRET-5e6f7a8b\n");
    s_collect(&errors, s_chain_get(&fx, NULL, &out, &err, NULL, 0), &err);
    fx_write(&fx, ".aws/credentials",
             "[default]\naws_secret_access_key = profile-SECRET-5e6f7a8b\n");
    s_collect(&errors, s_chain_get(&fx, NULL, &out, &err, NULL, 0), &err);
    fx_write(&fx, ".aws/credentials", "[profile-SECRET-5e6f7a8b\n");
    s_collect(&errors, s_chain_get(&fx, NULL, &out, &err, NULL, 0), &err);
    fx_write(&fx, ".aws/credentials", "");

    /* Container: good with an auth token, a refresh failure (warning), bad
     * JSON holding a secret, expired. */
    snprintf(url, sizeof(url), "%s/creds", stub_http_url(s_stub));
    fx_set(&fx, "AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    fx_set(&fx, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-AUTH-1c2d3e4f");
    char *cj = s_creds_json("AKIDCONT", "container-SECRET-3a4b5c6d", "container-TOKEN-7e8f9a0b",
                            T0 + 3600);
    s_route("GET", "/creds", 200, cj, 1);
    s_route("GET", "/creds", 500, "container-SECRET-3a4b5c6d", 0);
    struct fv_creds_provider *p = fv_creds_default_chain(NULL, NULL, &fx.env);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK);
    fv_credentials_clean_up(&out);
    fx_advance(&fx, 3600 - 60);
    assert_int_equal(fv_creds_get(p, &out, &err), FV_OK); /* cached, with a warning */
    fv_credentials_clean_up(&out);
    fx_advance(&fx, 120);
    s_collect(&errors, fv_creds_get(p, &out, &err), &err);
    fv_creds_unref(p);
    stub_http_reset(s_stub);
    s_route("GET", "/creds", 200, "{\"SecretAccessKey\":\"container-SECRET-3a4b5c6d\",", 0);
    s_collect(&errors, s_chain_get(&fx, NULL, &out, &err, NULL, 0), &err);
    stub_http_reset(s_stub);
    s_route("GET", "/creds", 200, "{\"Code\":\"container-SECRET-3a4b5c6d\",\"AccessKeyId\":\"A\"}",
            0);
    s_collect(&errors, s_chain_get(&fx, NULL, &out, &err, NULL, 0), &err);
    stub_http_reset(s_stub);
    char *old =
        s_creds_json("AKIDCONT", "container-SECRET-3a4b5c6d", "container-TOKEN-7e8f9a0b", T0);
    s_route("GET", "/creds", 200, old, 0);
    s_collect(&errors, s_chain_get(&fx, NULL, &out, &err, NULL, 0), &err);
    fx_set(&fx, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-AUTH-1c2d3e4f\nX: y");
    s_collect(&errors, s_chain_get(&fx, NULL, &out, &err, NULL, 0), &err);
    fx_set(&fx, "AWS_CONTAINER_AUTHORIZATION_TOKEN", NULL);
    fx_set(&fx, "AWS_CONTAINER_CREDENTIALS_FULL_URI", NULL);

    /* IMDS: good, then failing after the session token. */
    stub_http_reset(s_stub);
    char *ij =
        s_creds_json("AKIDIMDS", "imds-SECRET-5a6b7c8d", "imds-TOKEN-9e0f1a2b", fx_now(&fx) + 3600);
    s_imds_routes("imds-SESSION-3c4d5e6f", "role", ij);
    assert_int_equal(s_chain_get(&fx, NULL, &out, &err, NULL, 0), FV_OK);
    fv_credentials_clean_up(&out);
    stub_http_reset(s_stub);
    s_route("PUT", "/latest/api/token", 200, "imds-SESSION-3c4d5e6f", 0);
    s_route("GET", IMDS_CREDS, 200, "role", 0);
    s_route("GET", IMDS_CREDS "role", 200,
            "{\"Code\":\"Success\",\"Token\":\"imds-TOKEN-9e0f1a2b\"}", 0);
    s_collect(&errors, s_chain_get(&fx, NULL, &out, &err, NULL, 0), &err);
    stub_http_reset(s_stub);
    s_route("PUT", "/latest/api/token", 200, "imds-SESSION-3c4d5e6f\nimds-SESSION-3c4d5e6f", 0);
    s_collect(&errors, s_chain_get(&fx, NULL, &out, &err, NULL, 0), &err);

    /* Web identity: an unreadable token file. */
    fx_set(&fx, "AWS_WEB_IDENTITY_TOKEN_FILE", fx_path(&fx, "web-IDTOKEN-7a8b9c0d"));
    fx_set(&fx, "AWS_ROLE_ARN", "arn:aws:iam::1:role/w");
    st = s_chain_get(&fx, NULL, &out, &err, NULL, 0);
    assert_int_equal(st, FV_E_IO);
    /* (The file's *name* is not a secret; drop it before checking.) */
    fx_set(&fx, "AWS_WEB_IDENTITY_TOKEN_FILE", NULL);

    assert_true(errors.len > 0);
    s_assert_no_secrets(&errors);
    free(cj);
    free(old);
    free(ij);
    fv_buf_clean_up(&errors);
    fx_clean_up(&fx);
}

static void test_no_secret_in_errors_or_logs_sts(void **state)
{
    (void)state;
    struct fx fx;
    fx_init(&fx);
    struct fv_credentials out;
    struct fv_error err = {0};
    struct fv_buf errors = {0};
    rewind(s_log);

    fx_write(&fx, ".aws/config",
             "[profile r]\nrole_arn = arn:aws:iam::1:role/r\n"
             "source_profile = base\n"
             "[profile base]\naws_access_key_id = AKIDBASE\n"
             "aws_secret_access_key = profile-SECRET-5e6f7a8b\n"
             "aws_session_token = profile-TOKEN-9c0d1e2f\n");
    s_sts_route("AssumeRole", "ASIALEAK", "sts-SECRET-1e2f3a4b", "sts-TOKEN-5c6d7e8f", T0 + 3600,
                1);
    stub_http_add(s_stub, &(struct stub_http_route){
                              .method = "POST",
                              .path = "/",
                              .status = 403,
                              .body = "<ErrorResponse><Error><Type>Sender</Type>"
                                      "<Code>AccessDenied</Code><Message>not allowed</Message>"
                                      "</Error><RequestId>r-2</RequestId></ErrorResponse>",
                              .headers = (const char *const[]){"Content-Type", "text/xml", NULL},
                          });
    struct fv_creds_provider *p = fv_creds_default_chain("r", NULL, &fx.env);
    fv_status st = fv_creds_get(p, &out, &err);
    if (st != FV_OK)
        fail_msg("%s", err.message);
    fv_credentials_clean_up(&out);
    fx_advance(&fx, 3600 + 1);
    st = fv_creds_get(p, &out, &err);
    assert_int_equal(st, FV_E_AWS);
    assert_contains(err.message, "arn:aws:iam::1:role/r");
    s_collect(&errors, st, &err);
    fv_creds_unref(p);

    /* Web identity with a token, rejected. */
    stub_http_reset(s_stub);
    stub_http_add(s_stub, &(struct stub_http_route){
                              .method = "POST",
                              .path = "/",
                              .status = 400,
                              .body = "<ErrorResponse><Error><Type>Sender</Type>"
                                      "<Code>InvalidIdentityToken</Code><Message>bad</Message>"
                                      "</Error><RequestId>r-3</RequestId></ErrorResponse>",
                              .headers = (const char *const[]){"Content-Type", "text/xml", NULL},
                          });
    fx_set(&fx, "AWS_WEB_IDENTITY_TOKEN_FILE", fx_write(&fx, "tok", "web-IDTOKEN-7a8b9c0d"));
    fx_set(&fx, "AWS_ROLE_ARN", "arn:aws:iam::1:role/w");
    fx_write(&fx, ".aws/config", "");
    st = s_chain_get(&fx, NULL, &out, &err, NULL, 0);
    assert_int_not_equal(st, FV_OK);
    s_collect(&errors, st, &err);

    s_assert_no_secrets(&errors);
    fv_buf_clean_up(&errors);
    fx_clean_up(&fx);
}

/* ---- main --------------------------------------------------------------- */

static int s_group_setup(void **state)
{
    (void)state;
    s_stub = stub_http_start();
    s_log = open_memstream(&s_log_buf, &s_log_len);
    fv_log_set_sink(s_log, true);
    fv_log_set_level(FV_LOG_TRACE);
    return 0;
}

static int s_group_teardown(void **state)
{
    (void)state;
    fv_log_set_sink(stderr, false);
    fv_log_set_level(FV_LOG_INFO);
    fclose(s_log);
    free(s_log_buf);
    stub_http_stop(s_stub);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_and_refcount),
        cmocka_unit_test(test_static_expired),
        cmocka_unit_test(test_env_provider),
        cmocka_unit_test(test_chain_order),
        cmocka_unit_test(test_explicit_profile_beats_env),
        cmocka_unit_test(test_profile_files),
        cmocka_unit_test(test_profile_cycles),
        cmocka_unit_test(test_bad_inputs_name_the_culprit),
        cmocka_unit_test(test_container_urls),
        cmocka_unit_test(test_container_full_uri_with_token_file),
        cmocka_unit_test(test_container_errors),
        cmocka_unit_test(test_imds_v2_flow),
        cmocka_unit_test(test_imds_retry_and_errors),
        cmocka_unit_test(test_refresh_window),
        cmocka_unit_test(test_threads_share_one_refresh),
        cmocka_unit_test(test_no_secret_in_errors_or_logs),
        /* Through lib/aws/sts.c, the endpoint resolver and the AWS client. */
        cmocka_unit_test(test_profile_assume_role_sts),
        cmocka_unit_test(test_profile_role_chain_sts),
        cmocka_unit_test(test_assume_role_api_sts),
        cmocka_unit_test(test_web_identity_rereads_token_sts),
        cmocka_unit_test(test_no_secret_in_errors_or_logs_sts),
    };
    return cmocka_run_group_tests(tests, s_group_setup, s_group_teardown);
}

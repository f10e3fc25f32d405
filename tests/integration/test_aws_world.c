/* The C client against the AWS test world, with signatures and IAM enforced:
 * each protocol accepted when signed right and rejected when signed wrong,
 * body-less GETs, awkward S3 keys, cross-account AssumeRole, retries on
 * injected faults. Run through with-world (the world's environment). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/aws.h>
#include <fv/credentials.h>
#include <fv/sigv4.h>
#include <fv/sts.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_region(void)
{
    const char *r = getenv("AWS_REGION");
    return r ? r : "us-east-1";
}

static struct fv_aws_client *s_client_with(struct fv_creds_provider *p, int max_attempts)
{
    struct fv_aws_client_options o = {.region = s_region(), .creds = p};
    if (max_attempts) {
        fv_retry_options_default(&o.retry);
        o.retry.max_attempts = max_attempts;
        o.retry.base_ms = 10;
    }
    struct fv_error err;
    struct fv_aws_client *c = fv_aws_client_new(&o, &err);
    assert_non_null(c);
    return c;
}

/* The world's admin (`*` on `*`, central account; signatures checked all
 * the same): these tests are about the protocols, and fleetvault's own
 * least-privilege principal may call only what its jobs need (that is
 * e2e.test_iam_policy's subject). */
static struct fv_aws_client *s_admin_with(int max_attempts)
{
    struct fv_credentials cr = {.access_key_id = "AKIAFVWORLDADMIN0001",
                                .secret_access_key = "fvSecretAdmin000000000000000000000000001"};
    struct fv_creds_provider *p = fv_creds_static(&cr);
    struct fv_aws_client *c = s_client_with(p, max_attempts);
    fv_creds_unref(p);
    return c;
}

static struct fv_aws_client *s_client(void)
{
    return s_admin_with(0);
}

/* Same access key, wrong secret. */
static struct fv_aws_client *s_bad_client(void)
{
    struct fv_credentials bad = {.access_key_id = (char *)getenv("AWS_ACCESS_KEY_ID"),
                                 .secret_access_key = "wrongwrongwrongwrongwrongwrongwrongwrong"};
    struct fv_creds_provider *p = fv_creds_static(&bad);
    struct fv_aws_client *c = s_client_with(p, 1);
    fv_creds_unref(p);
    return c;
}

static void s_world_post(const char *path, const char *json)
{
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s%s", getenv("FV_WORLD_URL"), path);
    struct fv_http_request req = {.method = "POST", .url = url.ptr, .body = {json, strlen(json)}};
    fv_headers_add(&req.headers, "Content-Type", "application/json");
    struct fv_http_response resp = {0};
    struct fv_error err;
    assert_int_equal(fv_http_simple(NULL, &req, &resp, &err), FV_OK);
    if (resp.status != 200)
        fail_msg("world control %s -> %d %s", path, resp.status, fv_buf_str(&resp.body));
    fv_http_response_clean_up(&resp);
    fv_http_request_clean_up(&req);
    fv_buf_clean_up(&url);
}

static void s_world_delete(const char *path)
{
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s%s", getenv("FV_WORLD_URL"), path);
    struct fv_http_request req = {.method = "DELETE", .url = url.ptr};
    struct fv_http_response resp = {0};
    struct fv_error err;
    assert_int_equal(fv_http_simple(NULL, &req, &resp, &err), FV_OK);
    fv_http_response_clean_up(&resp);
    fv_http_request_clean_up(&req);
    fv_buf_clean_up(&url);
}

static void test_json_protocol_signed(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_client();
    struct json_object *out = NULL;
    struct fv_error err;
    fv_status st = fv_aws_json(c, &fv_aws_dynamodb, "ListTables", NULL, &out, &err);
    if (st != FV_OK)
        fail_msg("%s", err.message);
    assert_true(json_object_object_get_ex(out, "TableNames", NULL));
    json_object_put(out);
    fv_aws_client_destroy(c);

    c = s_bad_client();
    assert_int_equal(fv_aws_json(c, &fv_aws_dynamodb, "ListTables", NULL, &out, &err), FV_E_AWS);
    assert_string_equal(err.code, "SignatureDoesNotMatch");
    assert_false(err.retryable);
    fv_aws_client_destroy(c);
}

static void test_rest_json_bodyless_get(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_client();
    struct fv_caller_identity id;
    struct fv_error err;
    assert_int_equal(fv_sts_get_caller_identity(c, &id, &err), FV_OK);
    struct fv_buf path = {0};
    fv_buf_printf(&path, "/accounts/%s/namespaces/default/users", id.account);
    struct json_object *out = NULL;
    fv_status st =
        fv_aws_rest_json(c, "quicksight", "ListUsers", "GET", path.ptr, NULL, NULL, &out, &err);
    if (st != FV_OK)
        fail_msg("%s", err.message);
    assert_true(json_object_object_get_ex(out, "UserList", NULL));
    json_object_put(out);
    fv_aws_client_destroy(c);

    c = s_bad_client();
    assert_int_equal(
        fv_aws_rest_json(c, "quicksight", "ListUsers", "GET", path.ptr, NULL, NULL, &out, &err),
        FV_E_AWS);
    assert_string_equal(err.code, "SignatureDoesNotMatch");
    fv_aws_client_destroy(c);
    fv_buf_clean_up(&path);
    fv_caller_identity_clean_up(&id);
}

static void test_query_protocol(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_client();
    struct fv_caller_identity id;
    struct fv_error err;
    if (fv_sts_get_caller_identity(c, &id, &err) != FV_OK)
        fail_msg("%s", err.message);
    assert_string_equal(id.account, "123456789012");
    fv_caller_identity_clean_up(&id);

    /* IAM (global service) with a space in a parameter value: the form body
     * is signed as sent. */
    struct fv_params p = {0};
    fv_params_add(&p, "PathPrefix", "/");
    xmlDocPtr doc = NULL;
    fv_status st = fv_aws_query(c, "iam", "ListRoles", "2010-05-08", &p, &doc, &err);
    if (st != FV_OK)
        fail_msg("%s", err.message);
    xmlFreeDoc(doc);
    fv_params_clean_up(&p);
    fv_aws_client_destroy(c);

    c = s_bad_client();
    assert_int_equal(fv_sts_get_caller_identity(c, &id, &err), FV_E_AWS);
    assert_string_equal(err.code, "SignatureDoesNotMatch");
    fv_aws_client_destroy(c);
}

static fv_status s_s3(struct fv_aws_client *c, const char *method, const char *op,
                      const char *bucket, const char *key, const char *body,
                      struct fv_aws_response *resp, struct fv_error *err)
{
    struct fv_buf path = {0};
    if (key) {
        fv_buf_append_char(&path, '/');
        fv_uri_encode(&path, key, strlen(key), true);
    }
    struct fv_aws_call call = {
        .service = "s3",
        .operation = op,
        .protocol = FV_PROTO_REST_XML,
        .method = method,
        .s3_bucket = bucket,
        .path = path.ptr,
        .body = {body, body ? strlen(body) : 0},
    };
    if (body)
        fv_headers_add(&call.headers, "Content-Type", "application/octet-stream");
    fv_status st = fv_aws_call_run(c, &call, resp, err);
    fv_aws_call_clean_up(&call);
    fv_buf_clean_up(&path);
    return st;
}

static void test_rest_xml_awkward_keys(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_client();
    struct fv_aws_response resp = {0};
    struct fv_error err;
    const char *bucket = "fleetvault-backups-123456789012";
    const char *keys[] = {"plain.txt", "a b+c:d.txt", "dir//x/../y/ünï.json", "q?x=1&y=%41"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char body[64];
        snprintf(body, sizeof(body), "payload %zu", i);
        if (s_s3(c, "PUT", "PutObject", bucket, keys[i], body, &resp, &err) != FV_OK)
            fail_msg("put '%s': %s", keys[i], err.message);
        if (s_s3(c, "GET", "GetObject", bucket, keys[i], NULL, &resp, &err) != FV_OK)
            fail_msg("get '%s': %s", keys[i], err.message);
        assert_string_equal(fv_buf_str(&resp.body), body);
    }
    assert_int_equal(s_s3(c, "GET", "GetObject", bucket, "missing", NULL, &resp, &err), FV_E_AWS);
    assert_string_equal(err.code, "NoSuchKey");
    fv_aws_response_clean_up(&resp);
    fv_aws_client_destroy(c);

    c = s_bad_client();
    assert_int_equal(s_s3(c, "GET", "GetObject", bucket, "plain.txt", NULL, &resp, &err), FV_E_AWS);
    assert_string_equal(err.code, "SignatureDoesNotMatch");
    fv_aws_response_clean_up(&resp);
    fv_aws_client_destroy(c);
}

static void test_assume_role_into_member_account(void **state)
{
    (void)state;
    struct fv_creds_provider *base = fv_creds_default_chain(NULL, s_region(), NULL);
    struct fv_creds_provider *role =
        fv_creds_assume_role(base, s_region(), "arn:aws:iam::111111111111:role/fleetvault-member",
                             "fleetvault-demo", "fv-test", NULL);
    struct fv_aws_client *c = s_client_with(role, 0);
    struct fv_caller_identity id;
    struct fv_error err;
    if (fv_sts_get_caller_identity(c, &id, &err) != FV_OK)
        fail_msg("%s", err.message);
    assert_string_equal(id.account, "111111111111");
    assert_non_null(strstr(id.arn, "fleetvault-member"));
    fv_caller_identity_clean_up(&id);
    fv_aws_client_destroy(c);
    fv_creds_unref(role);

    /* The trust policy wants the external id. */
    role =
        fv_creds_assume_role(base, s_region(), "arn:aws:iam::111111111111:role/fleetvault-member",
                             "wrong", "fv-test", NULL);
    c = s_client_with(role, 0);
    assert_int_not_equal(fv_sts_get_caller_identity(c, &id, &err), FV_OK);
    assert_non_null(strstr(err.message, "AccessDenied"));
    assert_non_null(strstr(err.message, "fleetvault-member"));
    fv_aws_client_destroy(c);
    fv_creds_unref(role);
    fv_creds_unref(base);
}

static void test_retries_injected_faults(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_admin_with(4);
    struct fv_aws_stats before, after;
    struct json_object *out = NULL;
    struct fv_error err;

    const char *kinds[] = {"throttle", "error500", "reset", "truncate"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        char fault[160];
        snprintf(fault, sizeof(fault), "{\"operation\":\"ListTables\",\"kind\":\"%s\",\"count\":2}",
                 kinds[i]);
        s_world_post("/_world/faults", fault);
        fv_aws_client_stats(c, &before);
        fv_status st = fv_aws_json(c, &fv_aws_dynamodb, "ListTables", NULL, &out, &err);
        if (st != FV_OK)
            fail_msg("%s: %s", kinds[i], err.message);
        json_object_put(out);
        fv_aws_client_stats(c, &after);
        if (after.retries - before.retries != 2)
            fail_msg("%s: %llu retries, want 2", kinds[i],
                     (unsigned long long)(after.retries - before.retries));
    }
    /* More faults than attempts: the error comes back, decoded. */
    s_world_post("/_world/faults",
                 "{\"operation\":\"ListTables\",\"kind\":\"throttle\",\"count\":9}");
    assert_int_equal(fv_aws_json(c, &fv_aws_dynamodb, "ListTables", NULL, &out, &err), FV_E_AWS);
    assert_true(err.throttle);
    s_world_delete("/_world/faults");
    fv_aws_client_destroy(c);
}

int main(void)
{
    if (!getenv("AWS_ENDPOINT_URL") || !getenv("FV_WORLD_URL")) {
        fprintf(stderr, "test_aws_world: run through tests/integration/with-world\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_protocol_signed),
        cmocka_unit_test(test_rest_json_bodyless_get),
        cmocka_unit_test(test_query_protocol),
        cmocka_unit_test(test_rest_xml_awkward_keys),
        cmocka_unit_test(test_assume_role_into_member_account),
        cmocka_unit_test(test_retries_injected_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* AWS wire protocols: error decoding against recorded responses
 * (tests/data/errors), parameter encoding, XML helpers, pagination tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fv/awsproto.h>

#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- recorded responses ------------------------------------------------ */

struct s_response {
    int status;
    struct fv_headers headers;
    struct fv_buf body;
    char request_id[128]; /* the file's request id header, "" when none */
};

static const char *s_data_dir(void)
{
    const char *d = getenv("FV_TEST_DATA");
    return d && *d ? d : "tests/data";
}

/* Reads "HTTP/1.1 <status>" CRLF, "Name: value" CRLF lines, CRLF, body. */
static void s_load(const char *name, struct s_response *r)
{
    memset(r, 0, sizeof(*r));
    char path[1024];
    snprintf(path, sizeof(path), "%s/errors/%s", s_data_dir(), name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (run from the repository root or set FV_TEST_DATA)", path);
    struct fv_buf raw = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fv_buf_append(&raw, chunk, n);
    fclose(f);
    const char *p = fv_buf_str(&raw);
    assert_int_equal(sscanf(p, "HTTP/1.1 %d", &r->status), 1);
    p = strstr(p, "\r\n") + 2;
    while (strncmp(p, "\r\n", 2) != 0) {
        const char *eol = strstr(p, "\r\n");
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        assert_non_null(colon);
        char *hname = fv_strndup(p, (size_t)(colon - p));
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        char *hvalue = fv_strndup(v, (size_t)(eol - v));
        fv_headers_add(&r->headers, hname, hvalue);
        if (fv_str_eq_nocase(hname, "x-amzn-RequestId") ||
            fv_str_eq_nocase(hname, "x-amz-request-id"))
            snprintf(r->request_id, sizeof(r->request_id), "%s", hvalue);
        free(hname);
        free(hvalue);
        p = eol + 2;
    }
    p += 2;
    fv_buf_append(&r->body, p, raw.len - (size_t)(p - raw.ptr));
    fv_buf_clean_up(&raw);
}

static void s_response_clean_up(struct s_response *r)
{
    fv_headers_clean_up(&r->headers);
    fv_buf_clean_up(&r->body);
}

#define RID_HEADER NULL /* the request id is the file's header */

static const struct {
    const char *file;
    enum fv_aws_protocol proto;
    const char *code;
    const char *message; /* a substring */
    const char *request_id;
    bool retryable;
    bool throttle;
} s_cases[] = {
    /* moto: not-found errors of every service fleetvault calls */
    {"moto-dynamodb-describe-table-not-found.http", FV_PROTO_JSON, "ResourceNotFoundException",
     "Requested resource not found: Table: nope not found", RID_HEADER, false, false},
    {"moto-dynamodb-create-backup-table-not-found.http", FV_PROTO_JSON, "TableNotFoundException",
     "Table not found: nope", RID_HEADER, false, false},
    {"moto-dynamodb-describe-backup-not-found.http", FV_PROTO_JSON, "BackupNotFoundException",
     "Backup not found: arn:aws:dynamodb:us-east-1:123456789012:table/nope/backup/", RID_HEADER,
     false, false},
    {"moto-dynamodb-create-table-validation.http", FV_PROTO_JSON, "ValidationException",
     "Some index key attributes are not defined", RID_HEADER, false, false},
    {"moto-dynamodb-500-html.http", FV_PROTO_JSON, "InternalError",
     "HTTP 500: <!doctype html> <html lang=en> <title>500 Internal Server Error</title>", "", true,
     false},
    {"moto-s3-get-object-no-such-key.http", FV_PROTO_REST_XML, "NoSuchKey",
     "The specified key does not exist.", RID_HEADER, false, false},
    {"moto-s3-get-object-no-such-bucket.http", FV_PROTO_REST_XML, "NoSuchBucket",
     "The specified bucket does not exist", RID_HEADER, false, false},
    {"moto-s3-head-object-not-found.http", FV_PROTO_REST_XML, "NotFound",
     "HTTP 404 with an empty body", RID_HEADER, false, false},
    {"moto-s3-head-bucket-not-found.http", FV_PROTO_REST_XML, "NotFound",
     "HTTP 404 with an empty body", RID_HEADER, false, false},
    {"moto-iam-get-user-no-such-entity.http", FV_PROTO_QUERY, "NoSuchEntity",
     "The user with name nobody cannot be found.", RID_HEADER, false, false},
    {"moto-iam-get-role-no-such-entity.http", FV_PROTO_QUERY, "NoSuchEntity",
     "Role norole not found", RID_HEADER, false, false},
    {"moto-quicksight-describe-user-not-found.http", FV_PROTO_REST_JSON,
     "ResourceNotFoundException", "User nobody not found", RID_HEADER, false, false},
    {"moto-quicksight-describe-dashboard-not-found.http", FV_PROTO_REST_JSON,
     "ResourceNotFoundException", "Dashboard nope not found", RID_HEADER, false, false},
    {"moto-cognito-list-users-not-found.http", FV_PROTO_JSON, "ResourceNotFoundException",
     "User pool us-east-1_nope does not exist.", RID_HEADER, false, false},
    {"moto-logs-describe-log-streams-not-found.http", FV_PROTO_JSON, "ResourceNotFoundException",
     "The specified log group does not exist.", RID_HEADER, false, false},
    {"moto-sns-publish-not-found.http", FV_PROTO_QUERY, "NotFound", "Endpoint does not exist",
     RID_HEADER, false, false},
    {"moto-ssm-get-parameter-not-found.http", FV_PROTO_JSON, "ParameterNotFound",
     "Parameter /nope not found.", RID_HEADER, false, false},
    {"moto-backup-describe-vault-not-found.http", FV_PROTO_REST_JSON, "ResourceNotFoundException",
     "nope", RID_HEADER, false, false},
    {"moto-organizations-describe-organization-not-in-use.http", FV_PROTO_JSON,
     "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.",
     RID_HEADER, false, false},
    /* moto under auth enforcement: XML errors whatever the protocol */
    {"moto-enforced-dynamodb-list-tables-invalid-token.http", FV_PROTO_JSON, "InvalidClientTokenId",
     "The security token included in the request is invalid.", RID_HEADER, false, false},
    {"moto-enforced-cognito-list-users-invalid-token.http", FV_PROTO_JSON, "InvalidClientTokenId",
     "The security token included in the request is invalid.", RID_HEADER, false, false},
    {"moto-enforced-quicksight-list-users-invalid-token.http", FV_PROTO_REST_JSON,
     "InvalidClientTokenId", "The security token included in the request is invalid.", RID_HEADER,
     false, false},
    {"moto-enforced-iam-list-users-invalid-token.http", FV_PROTO_QUERY, "InvalidClientTokenId",
     "The security token included in the request is invalid.", RID_HEADER, false, false},
    {"moto-enforced-sts-get-caller-identity-invalid-token.http", FV_PROTO_QUERY,
     "InvalidClientTokenId", "The security token included in the request is invalid.", RID_HEADER,
     false, false},
    {"moto-enforced-s3-list-buckets-invalid-key.http", FV_PROTO_REST_XML, "InvalidAccessKeyId",
     "The AWS Access Key Id you provided does not exist in our records.", RID_HEADER, false, false},
    {"moto-denied-dynamodb-list-tables-access-denied.http", FV_PROTO_JSON, "AccessDenied",
     "User: arn:aws:iam::123456789012:user/weak is not authorized to perform: "
     "dynamodb:ListTables",
     RID_HEADER, false, false},
    {"moto-denied-iam-list-users-access-denied.http", FV_PROTO_QUERY, "AccessDenied",
     "is not authorized to perform: iam:ListUsers", RID_HEADER, false, false},
    {"moto-denied-s3-list-buckets-access-denied.http", FV_PROTO_REST_XML, "AccessDenied",
     "Access Denied", RID_HEADER, false, false},
    {"moto-denied-quicksight-list-dashboards-signature-mismatch.http", FV_PROTO_REST_JSON,
     "SignatureDoesNotMatch", "The request signature we calculated does not match", RID_HEADER,
     false, false},
    /* documented shapes: throttles, 5xx, HEAD errors, protocol corner cases */
    {"docs-dynamodb-provisioned-throughput-exceeded.http", FV_PROTO_JSON,
     "ProvisionedThroughputExceededException",
     "The level of configured provisioned throughput for the table was exceeded", RID_HEADER, true,
     true},
    {"docs-dynamodb-throttling.http", FV_PROTO_JSON, "ThrottlingException",
     "Rate of requests exceeds the allowed throughput.", RID_HEADER, true, true},
    {"docs-dynamodb-limit-exceeded.http", FV_PROTO_JSON, "LimitExceededException",
     "Only 50 tables can be created", RID_HEADER, true, true},
    {"docs-cognito-too-many-requests.http", FV_PROTO_JSON, "TooManyRequestsException",
     "Too many requests", RID_HEADER, true, true},
    {"docs-json-code-field-with-uri.http", FV_PROTO_JSON, "FooError", "Hi", RID_HEADER, false,
     false},
    {"docs-json-header-beats-body.http", FV_PROTO_JSON, "FooError", "HTTP 400", RID_HEADER, false,
     false},
    {"docs-quicksight-throttling.http", FV_PROTO_REST_JSON, "ThrottlingException", "Rate exceeded",
     RID_HEADER, true, true},
    {"docs-quicksight-limit-exceeded.http", FV_PROTO_REST_JSON, "LimitExceededException",
     "maximum number of concurrent export jobs", RID_HEADER, true, true},
    {"docs-backup-empty-body-header.http", FV_PROTO_REST_JSON, "ResourceNotFoundException",
     "HTTP 404 with an empty body", RID_HEADER, false, false},
    {"docs-iam-throttling.http", FV_PROTO_QUERY, "Throttling", "Rate exceeded", RID_HEADER, true,
     true},
    {"docs-sns-throttled.http", FV_PROTO_QUERY, "Throttled", "Rate exceeded", RID_HEADER, true,
     true},
    {"docs-sts-expired-token.http", FV_PROTO_QUERY, "ExpiredToken",
     "The security token included in the request is expired", RID_HEADER, false, false},
    {"docs-ec2-request-limit-exceeded.http", FV_PROTO_QUERY, "RequestLimitExceeded",
     "Request limit exceeded.", "ea966190-f9aa-478e-9ede-example", true, true},
    {"docs-s3-slow-down.http", FV_PROTO_REST_XML, "SlowDown", "Please reduce your request rate.",
     RID_HEADER, true, true},
    {"docs-s3-internal-error.http", FV_PROTO_REST_XML, "InternalError",
     "We encountered an internal error. Please try again.", RID_HEADER, true, false},
    {"docs-s3-request-timeout.http", FV_PROTO_REST_XML, "RequestTimeout",
     "Your socket connection to the server was not read from", RID_HEADER, true, false},
    {"docs-s3-head-301.http", FV_PROTO_REST_XML, "PermanentRedirect", "HTTP 301 with an empty body",
     RID_HEADER, false, false},
    {"docs-s3-head-403.http", FV_PROTO_REST_XML, "Forbidden", "HTTP 403 with an empty body",
     RID_HEADER, false, false},
    {"docs-s3-head-503.http", FV_PROTO_REST_XML, "SlowDown", "HTTP 503 with an empty body",
     RID_HEADER, true, true},
    {"docs-gateway-502-html.http", FV_PROTO_REST_JSON, "BadGateway",
     "HTTP 502: <html> <head><title>502 Bad Gateway</title></head>", "", true, false},
};

static void test_recorded_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(s_cases) / sizeof(s_cases[0]); i++) {
        struct s_response r;
        s_load(s_cases[i].file, &r);
        struct fv_error err;
        memset(&err, 0x7f, sizeof(err)); /* decode resets everything */
        fv_awsproto_decode_error(s_cases[i].proto, r.status, &r.headers,
                                 (struct fv_cur){r.body.ptr, r.body.len}, &err);
        const char *rid = s_cases[i].request_id ? s_cases[i].request_id : r.request_id;
        if (err.status != FV_E_AWS || err.http_status != r.status ||
            strcmp(err.code, s_cases[i].code) != 0 || !strstr(err.message, s_cases[i].message) ||
            strcmp(err.request_id, rid) != 0 || err.retryable != s_cases[i].retryable ||
            err.throttle != s_cases[i].throttle)
            fail_msg("%s: got status %d http %d code \"%s\" message \"%s\" request id \"%s\" "
                     "retryable %d throttle %d",
                     s_cases[i].file, err.status, err.http_status, err.code, err.message,
                     err.request_id, err.retryable, err.throttle);
        s_response_clean_up(&r);
    }
}

/* Every recording has an expectation: a new file cannot go untested. */
static void test_every_recording_is_checked(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/errors", s_data_dir());
    DIR *d = opendir(path);
    assert_non_null(d);
    int files = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 5, ".http") != 0)
            continue;
        files++;
        bool found = false;
        for (size_t i = 0; i < sizeof(s_cases) / sizeof(s_cases[0]); i++)
            found = found || strcmp(s_cases[i].file, de->d_name) == 0;
        if (!found) {
            closedir(d);
            fail_msg("%s/%s has no expectation in s_cases", path, de->d_name);
        }
    }
    closedir(d);
    assert_int_equal(files, sizeof(s_cases) / sizeof(s_cases[0]));
}

static void s_decode(enum fv_aws_protocol proto, int status, const struct fv_headers *h,
                     const char *body, struct fv_error *err)
{
    fv_awsproto_decode_error(proto, status, h, FV_CUR_STR(body), err);
}

static void test_decode_corner_cases(void **state)
{
    (void)state;
    struct fv_error err;
    /* No headers, no body. */
    fv_awsproto_decode_error(FV_PROTO_JSON, 503, NULL, (struct fv_cur){NULL, 0}, &err);
    assert_string_equal(err.code, "ServiceUnavailable");
    assert_true(err.retryable);
    assert_false(err.throttle);
    s_decode(FV_PROTO_JSON, 429, NULL, "", &err);
    assert_true(err.throttle);
    s_decode(FV_PROTO_REST_XML, 418, NULL, "", &err);
    assert_string_equal(err.code, "Http418");
    assert_false(err.retryable);
    /* Whitespace and a BOM before the document. */
    s_decode(FV_PROTO_REST_XML, 404, NULL,
             "\xEF\xBB\xBF\n  <Error><Code> NoSuchKey </Code><Message>gone</Message></Error>",
             &err);
    assert_string_equal(err.code, "NoSuchKey");
    assert_string_equal(err.message, "gone");
    /* "message" beats "Message"; "code" beats "__type". */
    s_decode(FV_PROTO_JSON, 400, NULL,
             "{\"__type\":\"A\",\"code\":\"B\",\"Message\":\"upper\",\"message\":\"lower\"}", &err);
    assert_string_equal(err.code, "B");
    assert_string_equal(err.message, "lower");
    /* A JSON body that is not an object, and junk: the status decides. */
    s_decode(FV_PROTO_JSON, 500, NULL, "[1,2]", &err);
    assert_string_equal(err.code, "InternalError");
    assert_string_equal(err.message, "HTTP 500: [1,2]");
    s_decode(FV_PROTO_REST_JSON, 400, NULL, "{\"__type\":", &err);
    assert_string_equal(err.code, "BadRequest");
    /* A namespace with dots and a URI suffix with a '#'. */
    s_decode(FV_PROTO_JSON, 400, NULL,
             "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException:http://x/#y\"}",
             &err);
    assert_string_equal(err.code, "UnrecognizedClientException");
    /* Overlong fields are cut, not overflowed. */
    struct fv_buf big = {0};
    fv_buf_append_str(&big, "{\"__type\":\"");
    for (int i = 0; i < 200; i++)
        fv_buf_append_str(&big, "Long");
    fv_buf_append_str(&big, "\",\"message\":\"");
    for (int i = 0; i < 2000; i++)
        fv_buf_append_char(&big, 'm');
    fv_buf_append_str(&big, "\",\"RequestId\":\"");
    for (int i = 0; i < 300; i++)
        fv_buf_append_char(&big, 'r');
    fv_buf_append_str(&big, "\"}");
    s_decode(FV_PROTO_JSON, 400, NULL, big.ptr, &err);
    assert_int_equal(strlen(err.code), sizeof(err.code) - 1);
    assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
    assert_int_equal(strlen(err.request_id), sizeof(err.request_id) - 1);
    fv_buf_clean_up(&big);
    /* XML with a DTD is not trusted: treated as an undecodable body. */
    s_decode(FV_PROTO_QUERY, 400, NULL,
             "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><ErrorResponse><Error><Code>&a;</Code></Error>"
             "</ErrorResponse>",
             &err);
    assert_string_equal(err.code, "BadRequest");
    assert_non_null(strstr(err.message, "HTTP 400: <!DOCTYPE"));
    /* Header request id wins over the body's. */
    struct fv_headers h = {0};
    fv_headers_add(&h, "X-Amz-Request-Id", "HEADER-ID");
    s_decode(FV_PROTO_REST_XML, 404, &h,
             "<Error><Code>NoSuchKey</Code><RequestId>BODY-ID</RequestId></Error>", &err);
    assert_string_equal(err.request_id, "HEADER-ID");
    assert_string_equal(err.message, "HTTP 404");
    fv_headers_clean_up(&h);
    /* The query protocol ignores X-Amzn-ErrorType when the body has a code. */
    fv_headers_add(&h, "X-Amzn-ErrorType", "HeaderCode");
    s_decode(FV_PROTO_QUERY, 400, &h,
             "<ErrorResponse><Error><Code>BodyCode</Code></Error></ErrorResponse>", &err);
    assert_string_equal(err.code, "BodyCode");
    s_decode(FV_PROTO_REST_JSON, 400, &h, "{\"__type\":\"BodyCode\"}", &err);
    assert_string_equal(err.code, "HeaderCode");
    fv_headers_clean_up(&h);
    fv_awsproto_decode_error(FV_PROTO_JSON, 500, NULL, FV_CUR_STR(""), NULL); /* no crash */
}

/* ---- parameters ---------------------------------------------------------- */

static void test_params_encoding(void **state)
{
    (void)state;
    struct fv_params p = {0};
    struct fv_buf out = {0};
    fv_params_encode(&p, &out);
    assert_string_equal(fv_buf_str(&out), "");
    assert_non_null(out.ptr);

    fv_params_add(&p, "Action", "AssumeRole");
    fv_params_add(&p, "Version", "2011-06-15");
    fv_params_add(&p, "RoleArn", "arn:aws:iam::222222222222:role/fleet vault");
    fv_params_add(&p, "RoleSessionName", "a+b=c&d~_-.*");
    fv_params_addf(&p, "DurationSeconds", "%d", 3600);
    fv_params_add(&p, "Policy", "{\"k\":\"caf\xc3\xa9\"}");
    fv_params_add(&p, "Empty", NULL);
    fv_params_add(&p, "Tags.member.1.Key", "x/y");
    fv_buf_reset(&out);
    fv_params_encode(&p, &out);
    assert_string_equal(fv_buf_str(&out),
                        "Action=AssumeRole&Version=2011-06-15"
                        "&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Ffleet%20vault"
                        "&RoleSessionName=a%2Bb%3Dc%26d~_-.%2A&DurationSeconds=3600"
                        "&Policy=%7B%22k%22%3A%22caf%C3%A9%22%7D&Empty="
                        "&Tags.member.1.Key=x%2Fy");
    assert_int_equal(p.n, 8);
    fv_params_clean_up(&p);
    assert_int_equal(p.n, 0);
    assert_null(p.items);
    fv_params_clean_up(&p);
    fv_params_clean_up(NULL);
    fv_buf_clean_up(&out);
}

/* ---- XML helpers ----------------------------------------------------------- */

static const char s_caller_identity[] =
    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <GetCallerIdentityResult>\n"
    "    <Arn>arn:aws:iam::123456789012:user/Alice</Arn>\n"
    "    <UserId>AKIAI44QH8DHBEXAMPLE</UserId>\n"
    "    <Account>123456789012</Account>\n"
    "  </GetCallerIdentityResult>\n"
    "  <ResponseMetadata>\n"
    "    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>\n"
    "  </ResponseMetadata>\n"
    "</GetCallerIdentityResponse>\n";

static void test_xml_helpers(void **state)
{
    (void)state;
    struct fv_error err;
    xmlDocPtr doc =
        fv_xml_parse((struct fv_cur){s_caller_identity, sizeof(s_caller_identity) - 1}, &err);
    assert_non_null(doc);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    char *s = fv_xml_path_text(root, "GetCallerIdentityResult/Account");
    assert_string_equal(s, "123456789012");
    free(s);
    s = fv_xml_text(fv_xml_find(root, "RequestId"));
    assert_string_equal(s, "01234567-89ab-cdef-0123-456789abcdef");
    free(s);
    s = fv_xml_path_text(root, "/GetCallerIdentityResult//Arn/");
    assert_string_equal(s, "arn:aws:iam::123456789012:user/Alice");
    free(s);
    assert_null(fv_xml_path_text(root, "GetCallerIdentityResult/Nope"));
    assert_null(fv_xml_path_text(root, "Account"));              /* a path starts at the children */
    assert_null(fv_xml_find(root, "GetCallerIdentityResponse")); /* descendants only */
    assert_ptr_equal(fv_xml_find((xmlNodePtr)doc, "GetCallerIdentityResponse"), root);
    assert_ptr_equal(fv_xml_path(root, ""), root);
    assert_null(fv_xml_text(NULL));
    assert_null(fv_xml_find(NULL, "x"));
    xmlFreeDoc(doc);

    /* Prefixed namespaces match on local names too. */
    doc = fv_xml_parse(FV_CUR_STR("<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/"
                                  "2006-03-01/\"><s3:Contents><s3:Key>a&amp;b</s3:Key>"
                                  "</s3:Contents></s3:ListBucketResult>"),
                       &err);
    assert_non_null(doc);
    s = fv_xml_path_text(xmlDocGetRootElement(doc), "Contents/Key");
    assert_string_equal(s, "a&b");
    free(s);
    xmlFreeDoc(doc);

    /* Errors. */
    assert_null(fv_xml_parse(FV_CUR_STR(""), &err));
    assert_int_equal(err.status, FV_E_PARSE);
    assert_null(fv_xml_parse(FV_CUR_STR("<a><b></a>"), &err));
    assert_int_equal(err.status, FV_E_PARSE);
    assert_non_null(strstr(err.message, "malformed XML at line 1"));
    assert_null(fv_xml_parse(FV_CUR_STR("<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>"), &err));
    assert_non_null(strstr(err.message, "DTD"));
    assert_null(fv_xml_parse(FV_CUR_STR("{\"json\":true}"), NULL));
}

/* ---- pagination ---------------------------------------------------------- */

static char *s_json_token(const char *body, const char *field)
{
    struct json_object *obj = json_tokener_parse(body);
    assert_non_null(obj);
    char *token = fv_page_token_json(obj, field);
    json_object_put(obj);
    return token;
}

static void s_expect_json(const char *body, const char *field, const char *want)
{
    char *got = s_json_token(body, field);
    if (want == NULL ? got != NULL : (got == NULL || strcmp(got, want) != 0))
        fail_msg("%s [%s]: want %s, got %s", body, field ? field : "any", want ? want : "NULL",
                 got ? got : "NULL");
    free(got);
}

static void test_page_tokens_json(void **state)
{
    (void)state;
    /* Shapes recorded from moto 5.2.1. */
    s_expect_json("{\"TableNames\": [\"t1\"], \"LastEvaluatedTableName\": \"t1\"}", NULL, "t1");
    s_expect_json("{\"Items\": [{\"pk\": {\"S\": \"k0\"}, \"n\": {\"N\": \"0\"}}], \"Count\": 1, "
                  "\"ScannedCount\": 1, \"LastEvaluatedKey\": {\"pk\": {\"S\": \"k0\"}}}",
                  NULL, "{\"pk\":{\"S\":\"k0\"}}");
    s_expect_json("{\"Users\": [], \"PaginationToken\": \"eyJwYXJhbWV0ZXJDaGVja3N1bSI6IDg3\"}",
                  NULL, "eyJwYXJhbWV0ZXJDaGVja3N1bSI6IDg3");
    s_expect_json("{\"BackupSummaries\": [{\"BackupName\": \"bk1\"}]}", NULL, NULL);
    /* Documented shapes. */
    s_expect_json("{\"BackupSummaries\": [], \"LastEvaluatedBackupArn\": "
                  "\"arn:aws:dynamodb:us-east-1:123456789012:table/t/backup/01\"}",
                  NULL, "arn:aws:dynamodb:us-east-1:123456789012:table/t/backup/01");
    s_expect_json("{\"DashboardSummaryList\": [], \"NextToken\": \"qs-next\", \"Status\": 200}",
                  NULL, "qs-next");
    s_expect_json("{\"logGroups\": [], \"nextToken\": \"logs-next\"}", NULL, "logs-next");
    s_expect_json("{\"NextToken\": null}", NULL, NULL);
    s_expect_json("{\"NextToken\": \"\"}", NULL, NULL);
    s_expect_json("{\"LastEvaluatedKey\": {}}", NULL, NULL);
    s_expect_json("{\"Marker\": \"m2\", \"IsTruncated\": true}", NULL, "m2");
    s_expect_json("{\"Marker\": \"m2\", \"IsTruncated\": false}", NULL, NULL);
    /* A named field only. */
    s_expect_json("{\"NextToken\": \"a\", \"PaginationToken\": \"b\"}", "PaginationToken", "b");
    s_expect_json("{\"NextToken\": \"a\"}", "PaginationToken", NULL);
    /* The LastEvaluatedKey text round-trips as ExclusiveStartKey. */
    char *key = s_json_token("{\"LastEvaluatedKey\": {\"pk\": {\"S\": \"a \\\"q\\\"\"}, "
                             "\"sk\": {\"N\": \"42\"}}}",
                             "LastEvaluatedKey");
    struct json_object *back = json_tokener_parse(key);
    assert_non_null(back);
    struct json_object *pk, *s;
    assert_true(json_object_object_get_ex(back, "pk", &pk));
    assert_true(json_object_object_get_ex(pk, "S", &s));
    assert_string_equal(json_object_get_string(s), "a \"q\"");
    json_object_put(back);
    free(key);
    assert_null(fv_page_token_json(NULL, NULL));
}

static void s_expect_xml(const char *body, const char *field, const char *want)
{
    struct fv_error err;
    xmlDocPtr doc = fv_xml_parse(FV_CUR_STR(body), &err);
    assert_non_null(doc);
    char *got = fv_page_token_xml(doc, field);
    if (want == NULL ? got != NULL : (got == NULL || strcmp(got, want) != 0))
        fail_msg("%s [%s]: want %s, got %s", body, field ? field : "any", want ? want : "NULL",
                 got ? got : "NULL");
    free(got);
    xmlFreeDoc(doc);
}

static void test_page_tokens_xml(void **state)
{
    (void)state;
    /* S3 ListObjectsV2 and ListObjects, as moto 5.2.1 answers them. */
    static const char v2[] =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ListBucketResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsTruncated>true</IsTruncated>"
        "<Contents><Key>a/1</Key><Size>1</Size></Contents><Name>bkt1</Name><Prefix/>"
        "<MaxKeys>1</MaxKeys><EncodingType>url</EncodingType><KeyCount>1</KeyCount>"
        "<NextContinuationToken>32a390517fcc6e43df5fc5f2c94699e1</NextContinuationToken>"
        "</ListBucketResult>";
    s_expect_xml(v2, NULL, "32a390517fcc6e43df5fc5f2c94699e1");
    s_expect_xml(v2, "NextContinuationToken", "32a390517fcc6e43df5fc5f2c94699e1");
    static const char v1[] =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ListBucketResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsTruncated>true</IsTruncated>"
        "<NextMarker>32a390517fcc6e43df5fc5f2c94699e1</NextMarker><Contents><Key>a/1</Key>"
        "</Contents><Name>bkt1</Name><MaxKeys>1</MaxKeys></ListBucketResult>";
    s_expect_xml(v1, NULL, "32a390517fcc6e43df5fc5f2c94699e1");
    /* Real S3 v1 without a delimiter: no NextMarker, the request's Marker
     * echoed; the next marker is the last key. */
    static const char v1_no_next[] =
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
        "<Prefix></Prefix><Marker>a/0</Marker><MaxKeys>2</MaxKeys>"
        "<IsTruncated>true</IsTruncated><Contents><Key>a/1</Key></Contents>"
        "<Contents><Key>a/2</Key></Contents></ListBucketResult>";
    s_expect_xml(v1_no_next, NULL, "a/2");
    s_expect_xml(v1_no_next, "Marker", "a/2");
    /* Last page. */
    s_expect_xml("<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>1</KeyCount>"
                 "<Contents><Key>z</Key></Contents></ListBucketResult>",
                 NULL, NULL);
    s_expect_xml("<ListBucketResult><Marker>a/0</Marker><IsTruncated>false</IsTruncated>"
                 "<Contents><Key>z</Key></Contents></ListBucketResult>",
                 NULL, NULL);
    /* IAM ListUsers (query protocol), as moto answers on the last page and as
     * AWS documents a truncated one. */
    s_expect_xml("<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                 "<ListUsersResult><Users><member><UserName>alice</UserName></member></Users>"
                 "<IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata>"
                 "<RequestId>fzdJ4X</RequestId></ResponseMetadata></ListUsersResponse>",
                 NULL, NULL);
    static const char iam_truncated[] =
        "<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
        "<ListUsersResult><Users><member><UserName>alice</UserName><Marker>not-this</Marker>"
        "</member></Users><IsTruncated>true</IsTruncated><Marker>AAFdUiQ1v3gR</Marker>"
        "</ListUsersResult></ListUsersResponse>";
    s_expect_xml(iam_truncated, NULL, "AAFdUiQ1v3gR");
    s_expect_xml(iam_truncated, "Marker", "AAFdUiQ1v3gR");
    /* A Marker without IsTruncated=true is the request's, not a next page. */
    s_expect_xml("<R><Result><Marker>m</Marker></Result></R>", NULL, NULL);
    /* SNS ListTopics: NextToken, no IsTruncated. */
    s_expect_xml("<ListTopicsResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">"
                 "<ListTopicsResult><Topics><member><TopicArn>arn:aws:sns:us-east-1:1:t"
                 "</TopicArn></member></Topics><NextToken>sns-next</NextToken>"
                 "</ListTopicsResult></ListTopicsResponse>",
                 NULL, "sns-next");
    s_expect_xml("<ListTopicsResponse><ListTopicsResult><NextToken></NextToken>"
                 "</ListTopicsResult></ListTopicsResponse>",
                 NULL, NULL);
    /* Tokens nested inside items are not the page's. */
    s_expect_xml("<R><Result><Items><member><NextToken>deep</NextToken></member></Items>"
                 "</Result></R>",
                 NULL, NULL);
    assert_null(fv_page_token_xml(NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recorded_errors),
        cmocka_unit_test(test_every_recording_is_checked),
        cmocka_unit_test(test_decode_corner_cases),
        cmocka_unit_test(test_params_encoding),
        cmocka_unit_test(test_xml_helpers),
        cmocka_unit_test(test_page_tokens_json),
        cmocka_unit_test(test_page_tokens_xml),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}

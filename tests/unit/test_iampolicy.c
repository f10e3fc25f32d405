/* `fleetvault iam-policy`: the documents follow the configuration — the
 * deny guard as an SCP takes every IAM write from the member role, the trust
 * policy names the central principal (never the account root), accounts
 * without a role get their grants in the central policy, and a missing
 * central.principal_arn is an error naming the key. The sample fleet's
 * output is checked byte for byte by unit.iam_policy_current. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/iampolicy.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A "111111111111"
#define C "123456789012"

static void s_load(const char *json, struct fv_config *cfg)
{
    struct fv_error err;
    struct json_object *doc = json_tokener_parse(json);
    assert_non_null(doc);
    if (fv_config_from_doc("t.json", doc, cfg, &err) != FV_OK)
        fail_msg("%s", err.message);
    json_object_put(doc);
}

static struct json_object *s_doc(const struct fv_iam_docs *d, const char *file)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].file, file) == 0)
            return json_tokener_parse(d->items[i].json);
    return NULL;
}

/* Whether doc has a statement of effect with action (on resource, if given). */
static bool s_has(struct json_object *doc, const char *effect, const char *action,
                  const char *resource)
{
    struct json_object *sts = json_object_object_get(doc, "Statement");
    for (size_t i = 0; i < json_object_array_length(sts); i++) {
        struct json_object *st = json_object_array_get_idx(sts, i);
        if (strcmp(json_object_get_string(json_object_object_get(st, "Effect")), effect) != 0)
            continue;
        bool act = false, res = resource == NULL;
        struct json_object *acts = json_object_object_get(st, "Action");
        for (size_t k = 0;
             json_object_is_type(acts, json_type_array) && k < json_object_array_length(acts); k++)
            act = act ||
                  strcmp(json_object_get_string(json_object_array_get_idx(acts, k)), action) == 0;
        if (json_object_is_type(acts, json_type_string))
            act = strcmp(json_object_get_string(acts), action) == 0;
        struct json_object *rs = json_object_object_get(st, "Resource");
        for (size_t k = 0; resource && rs && k < json_object_array_length(rs); k++)
            res = res ||
                  strcmp(json_object_get_string(json_object_array_get_idx(rs, k)), resource) == 0;
        if (act && res)
            return true;
    }
    return false;
}

#define S_FLEET(guard, extra_account)                                                              \
    "{\"region\":\"us-east-1\",\"central\":{\"account\":\"" C "\",\"principal_arn\":"              \
    "\"arn:aws:iam::" C ":role/fv\"},\"iam\":{\"deny_guard\":\"" guard "\"},"                      \
    "\"accounts\":[{\"id\":\"" A "\",\"role_arn\":\"arn:aws:iam::" A ":role/fvm\","                \
    "\"external_id\":\"x-1\"}" extra_account "],"                                                  \
    "\"jobs\":[{\"name\":\"ddb\",\"type\":\"dynamodb_backups\",\"deny_delete_policy\":true,"       \
    "\"exempt_principals\":[\"arn:aws:iam::" A ":user/glass\"]}]}"

static void test_inline_guard_scopes_iam_writes_and_denies_own_role(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_iam_docs d;
    struct fv_error err;
    s_load(S_FLEET("inline", ""), &cfg);
    assert_int_equal(fv_iam_policies(&cfg, &d, &err), FV_OK);
    struct json_object *m = s_doc(&d, "fleetvault-member-policy.json");
    assert_non_null(m);
    assert_true(s_has(m, "Allow", "iam:PutRolePolicy", "arn:aws:iam::" A ":role/*"));
    assert_true(s_has(m, "Deny", "iam:PutRolePolicy", "arn:aws:iam::" A ":role/fvm"));
    assert_false(s_has(m, "Allow", "iam:DeleteUserPolicy", NULL));
    assert_false(s_has(m, "Allow", "iam:DeleteRolePolicy", NULL));
    assert_false(s_has(m, "Allow", "dynamodb:UpdateContinuousBackups", NULL));
    assert_true(
        s_has(m, "Allow", "dynamodb:CreateBackup", "arn:aws:dynamodb:us-east-1:" A ":table/*"));
    assert_null(s_doc(&d, "fleetvault-deny-delete-backup-scp.json"));
    struct json_object *t = s_doc(&d, "fleetvault-member-trust.json");
    const char *trust =
        json_object_to_json_string_ext(t, JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    assert_non_null(strstr(trust, "arn:aws:iam::" C ":role/fv"));
    assert_null(strstr(trust, ":root"));
    assert_non_null(strstr(trust, "\"sts:ExternalId\": \"x-1\""));
    json_object_put(t);
    json_object_put(m);
    fv_iam_docs_clean_up(&d);
    fv_config_clean_up(&cfg);
}

static void test_scp_guard_takes_every_iam_write_away(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_iam_docs d;
    struct fv_error err;
    s_load(S_FLEET("scp", ""), &cfg);
    assert_int_equal(fv_iam_policies(&cfg, &d, &err), FV_OK);
    struct json_object *m = s_doc(&d, "fleetvault-member-policy.json");
    const char *text =
        json_object_to_json_string_ext(m, JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    assert_null(strstr(text, "\"iam:"));
    struct json_object *scp = s_doc(&d, "fleetvault-deny-delete-backup-scp.json");
    assert_non_null(scp);
    const char *s = json_object_to_json_string_ext(scp, JSON_C_TO_STRING_SPACED |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
    assert_true(s_has(scp, "Deny", "dynamodb:DeleteBackup", NULL));
    assert_non_null(strstr(s, "arn:aws:iam::" A ":role/fvm"));   /* fleetvault may delete */
    assert_non_null(strstr(s, "arn:aws:iam::" A ":user/glass")); /* exempt_principals */
    json_object_put(scp);
    json_object_put(m);
    fv_iam_docs_clean_up(&d);
    fv_config_clean_up(&cfg);
}

static void test_accounts_without_a_role_are_granted_to_the_central_principal(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_iam_docs d;
    struct fv_error err;
    s_load(S_FLEET("inline", ",{\"id\":\"222222222222\"}"), &cfg);
    assert_int_equal(fv_iam_policies(&cfg, &d, &err), FV_OK);
    struct json_object *c = s_doc(&d, "fleetvault-central-policy.json");
    struct json_object *m = s_doc(&d, "fleetvault-member-policy.json");
    assert_true(s_has(c, "Allow", "dynamodb:CreateBackup",
                      "arn:aws:dynamodb:us-east-1:222222222222:table/*"));
    assert_false(
        s_has(c, "Allow", "dynamodb:CreateBackup", "arn:aws:dynamodb:us-east-1:" A ":table/*"));
    assert_false(s_has(m, "Allow", "dynamodb:CreateBackup",
                       "arn:aws:dynamodb:us-east-1:222222222222:table/*"));
    /* the base role may not rewrite its own policies either */
    assert_true(s_has(c, "Deny", "iam:PutRolePolicy", "arn:aws:iam::" C ":role/fv"));
    json_object_put(c);
    json_object_put(m);
    fv_iam_docs_clean_up(&d);
    fv_config_clean_up(&cfg);
}

/* A quicksight job with SSE-KMS: the key's policy, the key's grants in the
 * central policy; bundles under the job's prefix only; no member S3 at all. */
static void test_kms_and_bundle_prefix(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_iam_docs d;
    struct fv_error err;
    s_load("{\"region\":\"us-east-1\",\"central\":{\"account\":\"" C "\",\"bucket\":\"bk\","
           "\"principal_arn\":\"arn:aws:iam::" C ":role/fv\"},"
           "\"accounts\":[{\"id\":\"" A "\",\"role_arn\":\"arn:aws:iam::" A ":role/fvm\"}],"
           "\"jobs\":[{\"name\":\"qs\",\"type\":\"quicksight\",\"s3\":{\"prefix\":\"qs\","
           "\"sse_kms_key_id\":\"arn:aws:kms:us-east-1:" C ":key/k-1\"}}]}",
           &cfg);
    assert_int_equal(fv_iam_policies(&cfg, &d, &err), FV_OK);
    struct json_object *c = s_doc(&d, "fleetvault-central-policy.json");
    struct json_object *m = s_doc(&d, "fleetvault-member-policy.json");
    struct json_object *k = s_doc(&d, "fleetvault-kms-key-policy.json");
    struct json_object *b = s_doc(&d, "fleetvault-bucket-policy-bk.json");
    assert_non_null(k);
    assert_non_null(b);
    assert_true(s_has(c, "Allow", "kms:GenerateDataKey", "arn:aws:kms:us-east-1:" C ":key/k-1"));
    assert_true(s_has(k, "Allow", "kms:Decrypt", NULL));
    assert_true(s_has(c, "Allow", "s3:PutObject", "arn:aws:s3:::bk/qs/*"));
    assert_false(s_has(c, "Allow", "s3:PutObject", "arn:aws:s3:::bk/*"));
    assert_false(s_has(c, "Allow", "s3:DeleteObject", NULL));
    assert_true(s_has(b, "Allow", "s3:GetObject", "arn:aws:s3:::bk/qs/*"));
    assert_null(strstr(json_object_to_json_string(m), "\"s3:"));
    json_object_put(c);
    json_object_put(m);
    json_object_put(k);
    json_object_put(b);
    fv_iam_docs_clean_up(&d);
    fv_config_clean_up(&cfg);
}

/* A dynamodb_exports job: the member roles export their tables and write
 * the exports into the central bucket, which lets exactly them write its
 * export prefixes; the KMS key lets them use it. */
static void test_exports_write_across_accounts(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_iam_docs d;
    struct fv_error err;
    s_load("{\"region\":\"us-east-1\",\"central\":{\"account\":\"" C "\",\"bucket\":\"bk\","
           "\"principal_arn\":\"arn:aws:iam::" C ":role/fv\"},"
           "\"accounts\":[{\"id\":\"" A "\",\"role_arn\":\"arn:aws:iam::" A ":role/fvm\"}],"
           "\"jobs\":[{\"name\":\"ex\",\"type\":\"dynamodb_exports\",\"s3\":{"
           "\"sse_kms_key_id\":\"arn:aws:kms:us-east-1:" C ":key/k-2\"},"
           "\"overrides\":[{\"table\":\"t1\",\"s3\":{\"prefix\":\"seed/t1\"}}]}]}",
           &cfg);
    assert_int_equal(fv_iam_policies(&cfg, &d, &err), FV_OK);
    struct json_object *c = s_doc(&d, "fleetvault-central-policy.json");
    struct json_object *m = s_doc(&d, "fleetvault-member-policy.json");
    struct json_object *k = s_doc(&d, "fleetvault-kms-key-policy.json");
    struct json_object *b = s_doc(&d, "fleetvault-bucket-policy-bk.json");
    assert_non_null(m);
    assert_non_null(k);
    assert_non_null(b);
    assert_true(s_has(m, "Allow", "dynamodb:ExportTableToPointInTime",
                      "arn:aws:dynamodb:us-east-1:" A ":table/*"));
    assert_true(s_has(m, "Allow", "dynamodb:DescribeContinuousBackups", NULL));
    assert_true(s_has(m, "Allow", "dynamodb:DescribeExport",
                      "arn:aws:dynamodb:us-east-1:" A ":table/*/export/*"));
    assert_true(s_has(m, "Allow", "s3:PutObject", "arn:aws:s3:::bk/dynamodb-exports/ex/*/*/*/*"));
    assert_true(s_has(m, "Allow", "s3:PutObject", "arn:aws:s3:::bk/seed/t1/*"));
    assert_true(s_has(m, "Allow", "kms:GenerateDataKey", "arn:aws:kms:us-east-1:" C ":key/k-2"));
    assert_false(s_has(m, "Allow", "dynamodb:CreateBackup", NULL)); /* no backups job */
    assert_true(
        s_has(b, "Allow", "s3:PutObjectAcl", "arn:aws:s3:::bk/dynamodb-exports/ex/*/*/*/*"));
    assert_non_null(strstr(json_object_to_json_string_ext(b, JSON_C_TO_STRING_NOSLASHESCAPE),
                           "arn:aws:iam::" A ":role/fvm"));
    assert_non_null(strstr(json_object_to_json_string_ext(k, JSON_C_TO_STRING_NOSLASHESCAPE),
                           "arn:aws:iam::" A ":role/fvm"));
    assert_false(s_has(c, "Allow", "dynamodb:ExportTableToPointInTime", NULL));
    /* exports import-state reads seed 003's parameters; status scans the chains */
    assert_true(s_has(m, "Allow", "ssm:GetParameters",
                      "arn:aws:ssm:us-east-1:" A ":parameter/incremental-export/*"));
    assert_false(s_has(m, "Allow", "ssm:PutParameter", NULL));
    assert_true(s_has(c, "Allow", "dynamodb:Scan",
                      "arn:aws:dynamodb:us-east-1:" C ":table/fleetvault-control"));
    /* no retention_days: nothing may be deleted */
    assert_false(s_has(c, "Allow", "s3:DeleteObject", NULL));
    assert_false(s_has(c, "Allow", "dynamodb:BatchGetItem", NULL));
    /* restore --from-exports and verify --exports: the central principal
     * reads the exports (listing only under their prefixes, decrypting with
     * their keys), the member role makes and fills the target table */
    assert_true(s_has(c, "Allow", "s3:GetObject", "arn:aws:s3:::bk/dynamodb-exports/ex/*/*/*/*"));
    assert_true(s_has(c, "Allow", "s3:GetObject", "arn:aws:s3:::bk/seed/t1/*"));
    assert_false(s_has(c, "Allow", "s3:GetObject", "arn:aws:s3:::bk/*"));
    assert_true(s_has(c, "Allow", "s3:ListBucket", "arn:aws:s3:::bk"));
    assert_true(s_has(c, "Allow", "kms:Decrypt", "arn:aws:kms:us-east-1:" C ":key/k-2"));
    assert_false(s_has(c, "Allow", "kms:GenerateDataKey", NULL));
    const char *ct = json_object_to_json_string_ext(c, JSON_C_TO_STRING_NOSLASHESCAPE);
    assert_non_null(strstr(ct, "\"StringLike\":{\"s3:prefix\":[\"dynamodb-exports/ex/*/*/*/*\","
                               "\"seed/t1/*\"]}"));
    const char *restore[] = {"dynamodb:DescribeTable", "dynamodb:CreateTable", "dynamodb:Scan",
                             "dynamodb:BatchWriteItem"};
    for (size_t i = 0; i < sizeof(restore) / sizeof(restore[0]); i++)
        assert_true(s_has(m, "Allow", restore[i], "arn:aws:dynamodb:us-east-1:" A ":table/*"));
    assert_false(s_has(m, "Allow", "s3:GetObject", NULL));
    json_object_put(c);
    json_object_put(m);
    json_object_put(k);
    json_object_put(b);
    fv_iam_docs_clean_up(&d);
    fv_config_clean_up(&cfg);
}

/* retention_days: the central principal may delete exactly the exports'
 * AWSDynamoDB/ keys of the tables that keep days (the job's, or an
 * override's), list the bucket and read the records; a job keeping every
 * export grants no delete. */
static void test_export_retention_deletes_only_export_keys(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_iam_docs d;
    struct fv_error err;
    s_load("{\"region\":\"us-east-1\",\"central\":{\"account\":\"" C "\",\"bucket\":\"bk\","
           "\"principal_arn\":\"arn:aws:iam::" C ":role/fv\"},"
           "\"accounts\":[{\"id\":\"" A "\",\"role_arn\":\"arn:aws:iam::" A ":role/fvm\"}],"
           "\"jobs\":[{\"name\":\"ex\",\"type\":\"dynamodb_exports\",\"retention_days\":7,"
           "\"overrides\":[{\"table\":\"t1\",\"s3\":{\"prefix\":\"seed/t1\"}}]},"
           "{\"name\":\"keep\",\"type\":\"dynamodb_exports\",\"s3\":{\"bucket\":\"other\"},"
           "\"overrides\":[{\"table\":\"t2\",\"account\":\"" A "\",\"retention_days\":3}]},"
           "{\"name\":\"all\",\"type\":\"dynamodb_exports\",\"s3\":{\"bucket\":\"third\"}}]}",
           &cfg);
    assert_int_equal(fv_iam_policies(&cfg, &d, &err), FV_OK);
    struct json_object *c = s_doc(&d, "fleetvault-central-policy.json");
    assert_true(s_has(c, "Allow", "s3:DeleteObject",
                      "arn:aws:s3:::bk/dynamodb-exports/ex/*/*/*/AWSDynamoDB/*/*"));
    assert_true(s_has(c, "Allow", "s3:DeleteObject", "arn:aws:s3:::bk/seed/t1/AWSDynamoDB/*/*"));
    assert_true(s_has(c, "Allow", "s3:DeleteObject",
                      "arn:aws:s3:::other/dynamodb-exports/keep/" A "/*/t2/AWSDynamoDB/*/*"));
    assert_false(s_has(c, "Allow", "s3:DeleteObject", "arn:aws:s3:::bk/dynamodb-exports/ex/*"));
    assert_false(s_has(c, "Allow", "s3:DeleteObject", "arn:aws:s3:::third/*"));
    /* keeps every export: nothing of it is retention's (restore still reads it) */
    struct json_object *sts = json_object_object_get(c, "Statement");
    size_t n_retention = 0;
    for (size_t i = 0; i < json_object_array_length(sts); i++) {
        struct json_object *st = json_object_array_get_idx(sts, i);
        const char *sid = json_object_get_string(json_object_object_get(st, "Sid"));
        if (strncmp(sid, "ExportRetention", 15) != 0)
            continue;
        n_retention++;
        const char *text = json_object_to_json_string_ext(st, JSON_C_TO_STRING_NOSLASHESCAPE);
        assert_null(strstr(text, "third"));
    }
    assert_int_equal(n_retention, 2);
    assert_true(
        s_has(c, "Allow", "s3:GetObject", "arn:aws:s3:::third/dynamodb-exports/all/*/*/*/*"));
    assert_true(s_has(c, "Allow", "s3:ListBucket", "arn:aws:s3:::bk"));
    assert_true(s_has(c, "Allow", "dynamodb:BatchGetItem",
                      "arn:aws:dynamodb:us-east-1:" C ":table/fleetvault-control"));
    struct json_object *m = s_doc(&d, "fleetvault-member-policy.json");
    assert_false(s_has(m, "Allow", "s3:DeleteObject", NULL)); /* the central principal's only */
    json_object_put(m);
    json_object_put(c);
    fv_iam_docs_clean_up(&d);
    fv_config_clean_up(&cfg);
}

static void test_missing_principal_names_the_key(void **state)
{
    (void)state;
    struct fv_config cfg;
    struct fv_iam_docs d;
    struct fv_error err;
    s_load("{\"region\":\"us-east-1\",\"accounts\":[{\"id\":\"" A "\"}],\"jobs\":[]}", &cfg);
    assert_int_equal(fv_iam_policies(&cfg, &d, &err), FV_E_INVALID);
    assert_non_null(strstr(err.message, "t.json: central.principal_arn"));
    assert_int_equal(d.n, 0);
    fv_config_clean_up(&cfg);
}

/* A dynamodb_exports job: the export calls on the member tables and their
 * exports, the seed's parameters (import-state), a Scan of the control
 * table (status of a whole job); none of the backup job's actions. The job
 * type is issue 10's; until the configuration parses it, the loaded
 * backup job is retyped here. */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inline_guard_scopes_iam_writes_and_denies_own_role),
        cmocka_unit_test(test_scp_guard_takes_every_iam_write_away),
        cmocka_unit_test(test_accounts_without_a_role_are_granted_to_the_central_principal),
        cmocka_unit_test(test_kms_and_bundle_prefix),
        cmocka_unit_test(test_exports_write_across_accounts),
        cmocka_unit_test(test_export_retention_deletes_only_export_keys),
        cmocka_unit_test(test_missing_principal_names_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

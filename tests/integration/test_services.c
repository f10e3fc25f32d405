/* The service calls (DynamoDB, IAM, tagging, Logs, SNS, S3) against the AWS
 * test world, with signatures and IAM enforced. They test the client
 * library, so they act as the world's admin principals (central and member
 * accounts): fleetvault's own least-privilege principal may call only what
 * its jobs need, on its own resources, and e2e.test_iam_policy checks that.
 * The guard's write goes through fleetvault's member role, as in production.
 * Run through with-world. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fv/aws.h>
#include <fv/credentials.h>
#include <fv/dynamodb.h>
#include <fv/iam.h>
#include <fv/logs.h>
#include <fv/s3.h>
#include <fv/sigv4.h>
#include <fv/sns.h>
#include <fv/tagging.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_CENTRAL "123456789012"
#define S_MEMBER1 "111111111111"
#define S_MEMBER2 "222222222222"
#define S_BUCKET "fleetvault-backups-123456789012"
#define S_MIB (1024u * 1024)

/* --- clients --- */

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
    if (!c)
        fail_msg("client: %s", err.message);
    return c;
}

static struct fv_aws_client *s_static(const char *key, const char *secret);

/* The central account's admin (the library's calls, not fleetvault's grants). */
static struct fv_aws_client *s_central(void)
{
    return s_static("AKIAFVWORLDADMIN0001", "fvSecretAdmin000000000000000000000000001");
}

/* A member account's admin. */
static struct fv_aws_client *s_member(const char *account)
{
    return strcmp(account, S_MEMBER1) == 0
               ? s_static("AKIAFVMEMBERADMIN111", "fvSecretMemberAdmin111111111111111111111")
               : s_static("AKIAFVMEMBERADMIN222", "fvSecretMemberAdmin222222222222222222222");
}

/* fleetvault's role in a member account. */
static struct fv_aws_client *s_member_role(const char *account)
{
    char arn[96];
    snprintf(arn, sizeof(arn), "arn:aws:iam::%s:role/fleetvault-member", account);
    struct fv_creds_provider *base = fv_creds_default_chain(NULL, s_region(), NULL);
    struct fv_creds_provider *role =
        fv_creds_assume_role(base, s_region(), arn, "fleetvault-demo", "fv-svc-test", NULL);
    struct fv_aws_client *c = s_client_with(role, 0);
    fv_creds_unref(role);
    fv_creds_unref(base);
    return c;
}

static struct fv_aws_client *s_static(const char *key, const char *secret)
{
    struct fv_credentials cr = {.access_key_id = (char *)key, .secret_access_key = (char *)secret};
    struct fv_creds_provider *p = fv_creds_static(&cr);
    struct fv_aws_client *c = s_client_with(p, 0);
    fv_creds_unref(p);
    return c;
}

/* Set-up and clean-up only: `*` on `*` in the central account. */
static struct fv_aws_client *s_admin(void)
{
    return s_static("AKIAFVWORLDADMIN0001", "fvSecretAdmin000000000000000000000000001");
}

static struct fv_aws_client *s_member_admin(void)
{
    return s_static("AKIAFVMEMBERADMIN111", "fvSecretMemberAdmin111111111111111111111");
}

#define S_CHECK(expr, err)                                                                         \
    do {                                                                                           \
        fv_status st_ = (expr);                                                                    \
        if (st_ != FV_OK)                                                                          \
            fail_msg("%s: %s (%s)", #expr, (err).message, fv_status_str(st_));                     \
    } while (0)

/* --- the world's control API --- */

static struct json_object *s_world_get(const char *path)
{
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s%s", getenv("FV_WORLD_URL"), path);
    struct fv_http_request req = {.method = "GET", .url = url.ptr};
    struct fv_http_response resp = {0};
    struct fv_error err;
    S_CHECK(fv_http_simple(NULL, &req, &resp, &err), err);
    assert_int_equal(resp.status, 200);
    struct json_object *out = json_tokener_parse(fv_buf_str(&resp.body));
    assert_non_null(out);
    fv_http_response_clean_up(&resp);
    fv_http_request_clean_up(&req);
    fv_buf_clean_up(&url);
    return out;
}

static void s_world_send(const char *method, const char *path, const char *json)
{
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s%s", getenv("FV_WORLD_URL"), path);
    struct fv_http_request req = {.method = method, .url = url.ptr, .body = FV_CUR_STR(json)};
    if (json)
        fv_headers_add(&req.headers, "Content-Type", "application/json");
    struct fv_http_response resp = {0};
    struct fv_error err;
    S_CHECK(fv_http_simple(NULL, &req, &resp, &err), err);
    if (resp.status != 200)
        fail_msg("world %s %s -> %d %s", method, path, resp.status, fv_buf_str(&resp.body));
    fv_http_response_clean_up(&resp);
    fv_http_request_clean_up(&req);
    fv_buf_clean_up(&url);
}

/* How many requests the world has seen for (account, service, operation). */
static int64_t s_world_count(const char *account, const char *service, const char *operation)
{
    struct json_object *snap = s_world_get("/_world/requests?limit=1");
    struct json_object *counts = NULL;
    int64_t n = 0;
    json_object_object_get_ex(snap, "counts", &counts);
    for (size_t i = 0; counts && i < json_object_array_length(counts); i++) {
        struct json_object *e = json_object_array_get_idx(counts, i), *a, *s, *o, *cnt;
        if (json_object_object_get_ex(e, "account", &a) &&
            json_object_object_get_ex(e, "service", &s) &&
            json_object_object_get_ex(e, "operation", &o) &&
            json_object_object_get_ex(e, "count", &cnt) &&
            strcmp(json_object_get_string(a), account) == 0 &&
            strcmp(json_object_get_string(s), service) == 0 &&
            strcmp(json_object_get_string(o), operation) == 0)
            n += json_object_get_int64(cnt);
    }
    json_object_put(snap);
    return n;
}

/* --- DynamoDB helpers --- */

static struct json_object *s_json(const char *text)
{
    struct json_object *o = json_tokener_parse(text);
    if (!o)
        fail_msg("bad JSON in test: %s", text);
    return o;
}

/* Drops a table as admin (clean-up; fleetvault may not delete tables). */
static void s_drop_table(const char *table)
{
    struct fv_aws_client *admin = s_admin();
    struct json_object *in = json_object_new_object();
    json_object_object_add(in, "TableName", json_object_new_string(table));
    struct fv_error err;
    fv_aws_json(admin, &fv_aws_dynamodb, "DeleteTable", in, NULL, &err);
    json_object_put(in);
    fv_aws_client_destroy(admin);
}

/* Creates a table as fleetvault (dropping a leftover of an earlier run). */
static void s_create_table(struct fv_aws_client *c, const char *table, bool with_range)
{
    s_drop_table(table);
    char req[512];
    if (with_range)
        snprintf(req, sizeof(req),
                 "{\"TableName\":\"%s\",\"BillingMode\":\"PAY_PER_REQUEST\","
                 "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
                 "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
                 "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
                 "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}]}",
                 table);
    else
        snprintf(req, sizeof(req),
                 "{\"TableName\":\"%s\",\"BillingMode\":\"PAY_PER_REQUEST\","
                 "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
                 "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}]}",
                 table);
    struct json_object *in = s_json(req);
    struct fv_dynamodb_table t;
    struct fv_error err;
    S_CHECK(fv_dynamodb_create_table(c, in, &t, &err), err);
    assert_string_equal(t.name, table);
    assert_non_null(strstr(t.arn, S_CENTRAL));
    fv_dynamodb_table_clean_up(&t);
    json_object_put(in);
}

static bool s_names_contain(const struct fv_dynamodb_table_names *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->names[i], name) == 0)
            return true;
    return false;
}

static const char *s_attr_s(struct json_object *item, const char *name)
{
    struct json_object *a, *s;
    if (!json_object_object_get_ex(item, name, &a) || !json_object_object_get_ex(a, "S", &s))
        return NULL;
    return json_object_get_string(s);
}

/* --- DynamoDB tests --- */

static void test_ddb_tables(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    struct fv_error err;
    s_create_table(c, "fv-svc-control", false);

    struct fv_dynamodb_table t;
    S_CHECK(fv_dynamodb_describe_table(c, "fv-svc-control", &t, &err), err);
    assert_string_equal(t.status, "ACTIVE");
    assert_string_equal(t.arn, "arn:aws:dynamodb:us-east-1:" S_CENTRAL ":table/fv-svc-control");
    assert_int_equal(t.item_count, 0);
    assert_true(t.created_ms > 0);
    fv_dynamodb_table_clean_up(&t);

    assert_int_equal(fv_dynamodb_describe_table(c, "fv-svc-no-such-table", &t, &err),
                     FV_E_NOTFOUND);
    assert_int_equal(err.status, FV_E_NOTFOUND);
    assert_string_equal(err.code, "ResourceNotFoundException");
    assert_null(t.name);

    /* Creating it again: the service's code, FV_E_AWS. */
    struct json_object *in =
        s_json("{\"TableName\":\"fv-svc-control\",\"BillingMode\":\"PAY_PER_REQUEST\","
               "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
               "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}]}");
    assert_int_equal(fv_dynamodb_create_table(c, in, NULL, &err), FV_E_AWS);
    assert_string_equal(err.code, "ResourceInUseException");
    json_object_put(in);

    struct fv_dynamodb_table_names names;
    S_CHECK(fv_dynamodb_list_tables(c, &names, &err), err);
    assert_true(s_names_contain(&names, "fv-svc-control"));
    assert_false(s_names_contain(&names, "orders")); /* a member's table */
    fv_dynamodb_table_names_clean_up(&names);
    fv_dynamodb_table_names_clean_up(&names); /* idempotent */
    fv_aws_client_destroy(c);
}

static void test_ddb_conditional_writes(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    struct fv_error err;
    const char *table = "fv-svc-control";
    s_create_table(c, table, false);

    /* A run claims its slot once. */
    struct json_object *item =
        s_json("{\"pk\":{\"S\":\"run#1\"},\"status\":{\"S\":\"RUNNING\"},\"n\":{\"N\":\"0\"}}");
    struct fv_dynamodb_expr once = {.condition = "attribute_not_exists(pk)"};
    S_CHECK(fv_dynamodb_put_item(c, table, item, &once, &err), err);
    assert_int_equal(fv_dynamodb_put_item(c, table, item, &once, &err), FV_E_AWS);
    assert_true(fv_dynamodb_is_conditional_failure(&err));
    assert_false(err.retryable);
    json_object_put(item);

    struct json_object *key = s_json("{\"pk\":{\"S\":\"run#1\"}}");
    struct json_object *got = NULL;
    S_CHECK(fv_dynamodb_get_item(c, table, key, true, &got, &err), err);
    assert_string_equal(s_attr_s(got, "status"), "RUNNING");
    json_object_put(got);

    /* Compare-and-set of the status. */
    struct json_object *names = s_json("{\"#s\":\"status\",\"#n\":\"n\"}");
    struct json_object *values =
        s_json("{\":old\":{\"S\":\"RUNNING\"},\":new\":{\"S\":\"DONE\"},\":one\":{\"N\":\"1\"}}");
    struct fv_dynamodb_expr cas = {.condition = "#s = :old",
                                   .update = "SET #s = :new ADD #n :one",
                                   .names = names,
                                   .values = values};
    struct json_object *attrs = NULL;
    S_CHECK(fv_dynamodb_update_item(c, table, key, &cas, "ALL_NEW", &attrs, &err), err);
    assert_string_equal(s_attr_s(attrs, "status"), "DONE");
    json_object_put(attrs);
    assert_int_equal(fv_dynamodb_update_item(c, table, key, &cas, NULL, NULL, &err), FV_E_AWS);
    assert_true(fv_dynamodb_is_conditional_failure(&err));
    struct fv_dynamodb_expr no_update = {.condition = "#s = :old"};
    assert_int_equal(fv_dynamodb_update_item(c, table, key, &no_update, NULL, NULL, &err),
                     FV_E_INVALID);
    assert_false(fv_dynamodb_is_conditional_failure(&err));

    /* A bad request is not a conditional failure (an unused name is a
     * ValidationException); then a condition that fails, and one that holds. */
    struct json_object *running = s_json("{\":v\":{\"S\":\"RUNNING\"}}");
    struct json_object *done = s_json("{\":v\":{\"S\":\"DONE\"}}");
    struct fv_dynamodb_expr del = {.condition = "#s = :v", .names = names, .values = running};
    assert_int_equal(fv_dynamodb_delete_item(c, table, key, &del, &err), FV_E_AWS);
    assert_string_equal(err.code, "ValidationException");
    assert_false(fv_dynamodb_is_conditional_failure(&err));
    struct json_object *only_s = s_json("{\"#s\":\"status\"}");
    del.names = only_s;
    assert_int_equal(fv_dynamodb_delete_item(c, table, key, &del, &err), FV_E_AWS);
    assert_true(fv_dynamodb_is_conditional_failure(&err));
    del.values = done;
    S_CHECK(fv_dynamodb_delete_item(c, table, key, &del, &err), err);
    assert_int_equal(fv_dynamodb_get_item(c, table, key, true, &got, &err), FV_E_NOTFOUND);
    assert_null(got);
    assert_false(fv_dynamodb_is_conditional_failure(&err));

    /* A missing table is not a missing item. */
    assert_int_equal(fv_dynamodb_get_item(c, "fv-svc-no-such-table", key, false, &got, &err),
                     FV_E_AWS);
    assert_string_equal(err.code, "ResourceNotFoundException");

    json_object_put(only_s);
    json_object_put(running);
    json_object_put(done);
    json_object_put(names);
    json_object_put(values);
    json_object_put(key);
    fv_aws_client_destroy(c);
    s_drop_table(table);
}

static struct json_object *s_put_request(const char *pk, int sk)
{
    char text[160];
    snprintf(text, sizeof(text),
             "{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"%s\"},\"sk\":{\"N\":\"%d\"},"
             "\"v\":{\"S\":\"item %d\"}}}}",
             pk, sk, sk);
    return s_json(text);
}

static void test_ddb_batch_write_query_scan(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    struct fv_error err;
    const char *table = "fv-svc-items";
    s_create_table(c, table, true);

    /* 30 items: 25 in one call, 5 in the next. */
    for (int base = 0; base < 30; base += 25) {
        struct json_object *ri = json_object_new_object(), *arr = json_object_new_array();
        for (int i = base; i < 30 && i < base + 25; i++)
            json_object_array_add(arr, s_put_request("run#7", i));
        json_object_object_add(ri, table, arr);
        struct json_object *unprocessed = NULL;
        S_CHECK(fv_dynamodb_batch_write(c, ri, &unprocessed, &err), err);
        /* Whatever is unprocessed goes again (moto processes everything). */
        for (int tries = 0; unprocessed && tries < 5; tries++) {
            struct json_object *again = unprocessed;
            S_CHECK(fv_dynamodb_batch_write(c, again, &unprocessed, &err), err);
            json_object_put(again);
        }
        assert_null(unprocessed);
        json_object_put(ri);
    }
    /* 26 requests: refused before sending. */
    struct json_object *ri = json_object_new_object(), *arr = json_object_new_array();
    for (int i = 0; i < 26; i++)
        json_object_array_add(arr, s_put_request("run#8", i));
    json_object_object_add(ri, table, arr);
    struct json_object *unprocessed = NULL;
    assert_int_equal(fv_dynamodb_batch_write(c, ri, &unprocessed, &err), FV_E_INVALID);
    json_object_put(ri);

    /* Query in pages of 7, newest first. */
    struct json_object *values = s_json("{\":p\":{\"S\":\"run#7\"}}");
    struct fv_dynamodb_read q = {.table = table,
                                 .key_condition = "pk = :p",
                                 .values = values,
                                 .limit = 7,
                                 .descending = true};
    char *start = NULL;
    int seen = 0, pages = 0;
    int64_t last = 1000;
    do {
        struct fv_dynamodb_page page;
        S_CHECK(fv_dynamodb_read_page(c, &q, start, &page, &err), err);
        free(start);
        pages++;
        for (size_t i = 0; i < json_object_array_length(page.items); i++) {
            struct json_object *it = json_object_array_get_idx(page.items, i), *sk, *n;
            assert_true(json_object_object_get_ex(it, "sk", &sk));
            assert_true(json_object_object_get_ex(sk, "N", &n));
            int64_t v;
            assert_true(fv_parse_i64(json_object_get_string(n), &v));
            assert_true(v < last);
            last = v;
            seen++;
        }
        start = page.next;
        page.next = NULL;
        fv_dynamodb_page_clean_up(&page);
    } while (start);
    assert_int_equal(seen, 30);
    assert_in_range(pages, 5, 6);

    /* Scan with a filter, in pages of 10. */
    struct json_object *fvalues = s_json("{\":min\":{\"N\":\"20\"}}");
    struct fv_dynamodb_read s = {
        .table = table, .filter = "sk >= :min", .values = fvalues, .limit = 10};
    seen = 0;
    pages = 0;
    start = NULL;
    do {
        struct fv_dynamodb_page page;
        S_CHECK(fv_dynamodb_read_page(c, &s, start, &page, &err), err);
        free(start);
        pages++;
        seen += (int)json_object_array_length(page.items);
        start = page.next;
        page.next = NULL;
        fv_dynamodb_page_clean_up(&page);
    } while (start);
    assert_int_equal(seen, 10);
    assert_true(pages >= 3);

    struct fv_dynamodb_page page;
    assert_int_equal(fv_dynamodb_read_page(c, &s, "not json", &page, &err), FV_E_INVALID);
    json_object_put(values);
    json_object_put(fvalues);
    fv_aws_client_destroy(c);
    s_drop_table(table);
}

static bool s_backups_find(const struct fv_dynamodb_backups *l, const char *arn,
                           const struct fv_dynamodb_backup **out)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].arn, arn) == 0) {
            *out = &l->items[i];
            return true;
        }
    return false;
}

#define S_N_BACKUPS 120

static void test_ddb_backups(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    struct fv_error err;
    const char *table = "fv-svc-backups";
    s_create_table(c, table, false);
    s_drop_table("fv-svc-restored");
    for (int i = 0; i < 3; i++) {
        char text[96];
        snprintf(text, sizeof(text), "{\"pk\":{\"S\":\"k%d\"},\"v\":{\"N\":\"%d\"}}", i, i);
        struct json_object *item = s_json(text);
        S_CHECK(fv_dynamodb_put_item(c, table, item, NULL, &err), err);
        json_object_put(item);
    }

    char *arns[S_N_BACKUPS];
    for (int i = 0; i < S_N_BACKUPS; i++) {
        char name[32];
        snprintf(name, sizeof(name), "fv-svc-%03d", i);
        struct fv_dynamodb_backup b;
        S_CHECK(fv_dynamodb_create_backup(c, table, name, &b, &err), err);
        assert_string_equal(b.name, name);
        assert_true(b.status == FV_DDB_BACKUP_CREATING || b.status == FV_DDB_BACKUP_AVAILABLE);
        assert_non_null(strstr(b.arn, ":table/fv-svc-backups/backup/"));
        arns[i] = b.arn;
        b.arn = NULL;
        fv_dynamodb_backup_clean_up(&b);
    }
    struct fv_dynamodb_backup b;
    assert_int_equal(fv_dynamodb_create_backup(c, "fv-svc-no-such-table", "fv-svc-x", &b, &err),
                     FV_E_NOTFOUND);

    S_CHECK(fv_dynamodb_describe_backup(c, arns[7], &b, &err), err);
    assert_int_equal(b.status, FV_DDB_BACKUP_AVAILABLE);
    assert_string_equal(b.name, "fv-svc-007");
    assert_string_equal(b.table_name, table);
    assert_string_equal(fv_dynamodb_backup_status_str(b.status), "AVAILABLE");
    fv_dynamodb_backup_clean_up(&b);

    /* The whole account's backups: a few calls, not one per table. */
    int64_t calls_before = s_world_count(S_CENTRAL, "dynamodb", "ListBackups");
    struct fv_dynamodb_backups all = {0};
    S_CHECK(fv_dynamodb_list_backups(c, NULL, &all, &err), err);
    int64_t calls = s_world_count(S_CENTRAL, "dynamodb", "ListBackups") - calls_before;
    assert_true(all.n >= S_N_BACKUPS);
    assert_int_equal(calls, (int64_t)all.pages);
    assert_true(all.pages <= (all.n + 99) / 100);
    for (int i = 0; i < S_N_BACKUPS; i++) {
        const struct fv_dynamodb_backup *found = NULL;
        if (!s_backups_find(&all, arns[i], &found))
            fail_msg("backup %d (%s) not listed", i, arns[i]);
        assert_string_equal(found->table_name, table);
        assert_non_null(strstr(found->table_arn, ":table/fv-svc-backups"));
        assert_int_equal(found->status, FV_DDB_BACKUP_AVAILABLE);
        assert_string_equal(found->type, "USER");
        assert_true(found->created_ms > 0);
        char name[32];
        snprintf(name, sizeof(name), "fv-svc-%03d", i);
        assert_string_equal(found->name, name);
    }
    assert_null(all.next);
    fv_dynamodb_backups_clean_up(&all);

    /* One table's, a page at a time. */
    struct fv_dynamodb_list_backups req = {.table_name = table, .limit = 50};
    struct fv_dynamodb_backups mine = {0};
    char *start = NULL;
    do {
        S_CHECK(fv_dynamodb_list_backups_page(c, &req, start, &mine, &err), err);
        free(start);
        start = mine.next;
        mine.next = NULL;
    } while (start);
    assert_int_equal(mine.n, S_N_BACKUPS);
    fv_dynamodb_backups_clean_up(&mine);
    req.limit = 101;
    assert_int_equal(fv_dynamodb_list_backups(c, &req, &mine, &err), FV_E_INVALID);

    /* Restore one into a new table: the items are there. */
    struct fv_dynamodb_table t;
    S_CHECK(fv_dynamodb_restore_table(c, arns[0], "fv-svc-restored", &t, &err), err);
    assert_string_equal(t.name, "fv-svc-restored");
    fv_dynamodb_table_clean_up(&t);
    struct json_object *key = s_json("{\"pk\":{\"S\":\"k2\"}}"), *got = NULL;
    S_CHECK(fv_dynamodb_get_item(c, "fv-svc-restored", key, true, &got, &err), err);
    json_object_put(got);
    json_object_put(key);
    assert_int_equal(fv_dynamodb_restore_table(c, arns[0], "fv-svc-restored", NULL, &err),
                     FV_E_AWS);
    assert_string_equal(err.code, "TableAlreadyExistsException");

    /* PITR status: off on ours. */
    struct fv_dynamodb_continuous_backups cb;
    S_CHECK(fv_dynamodb_describe_continuous_backups(c, table, &cb, &err), err);
    assert_true(cb.continuous_backups_enabled);
    assert_false(cb.pitr_enabled);
    assert_int_equal(fv_dynamodb_describe_continuous_backups(c, "fv-svc-no-such-table", &cb, &err),
                     FV_E_NOTFOUND);

    /* Delete them all; a deleted backup is gone. */
    for (int i = 0; i < S_N_BACKUPS; i++) {
        S_CHECK(fv_dynamodb_delete_backup(c, arns[i], &b, &err), err);
        assert_int_equal(b.status, FV_DDB_BACKUP_DELETED);
        fv_dynamodb_backup_clean_up(&b);
    }
    assert_int_equal(fv_dynamodb_describe_backup(c, arns[0], &b, &err), FV_E_NOTFOUND);
    assert_string_equal(err.code, "BackupNotFoundException");
    assert_int_equal(fv_dynamodb_delete_backup(c, arns[0], NULL, &err), FV_E_NOTFOUND);
    assert_int_equal(fv_dynamodb_restore_table(c, arns[0], "fv-svc-restored-2", NULL, &err),
                     FV_E_NOTFOUND);
    req.limit = 0;
    S_CHECK(fv_dynamodb_list_backups(c, &req, &mine, &err), err);
    assert_int_equal(mine.n, 0);
    fv_dynamodb_backups_clean_up(&mine);

    for (int i = 0; i < S_N_BACKUPS; i++)
        free(arns[i]);
    fv_aws_client_destroy(c);
    s_drop_table(table);
    s_drop_table("fv-svc-restored");
}

static void test_ddb_member_pitr(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_member(S_MEMBER1);
    struct fv_dynamodb_continuous_backups cb;
    struct fv_error err;
    S_CHECK(fv_dynamodb_describe_continuous_backups(c, "orders", &cb, &err), err);
    assert_true(cb.pitr_enabled);
    assert_true(cb.earliest_restorable_ms > 0);
    assert_true(cb.latest_restorable_ms >= cb.earliest_restorable_ms);
    S_CHECK(fv_dynamodb_describe_continuous_backups(c, "inventory", &cb, &err), err);
    assert_false(cb.pitr_enabled);
    fv_aws_client_destroy(c);
}

static void test_ddb_cross_account(void **state)
{
    (void)state;
    struct fv_aws_client *m1 = s_member(S_MEMBER1), *m2 = s_member(S_MEMBER2);
    struct fv_dynamodb_table_names names;
    struct fv_error err;

    S_CHECK(fv_dynamodb_list_tables(m1, &names, &err), err);
    assert_true(s_names_contain(&names, "orders"));
    assert_true(s_names_contain(&names, "feature-flags"));
    assert_false(s_names_contain(&names, "payments"));
    assert_false(s_names_contain(&names, "fv-svc-control"));
    fv_dynamodb_table_names_clean_up(&names);

    S_CHECK(fv_dynamodb_list_tables(m2, &names, &err), err);
    assert_true(s_names_contain(&names, "payments"));
    assert_false(s_names_contain(&names, "orders"));
    fv_dynamodb_table_names_clean_up(&names);

    struct fv_dynamodb_table t;
    S_CHECK(fv_dynamodb_describe_table(m1, "orders", &t, &err), err);
    assert_string_equal(t.arn, "arn:aws:dynamodb:us-east-1:" S_MEMBER1 ":table/orders");
    assert_int_equal(t.item_count, 5);
    fv_dynamodb_table_clean_up(&t);
    /* Another account's table, by name or by ARN, is out of reach. */
    assert_int_equal(fv_dynamodb_describe_table(m1, "payments", &t, &err), FV_E_NOTFOUND);
    assert_int_not_equal(
        fv_dynamodb_describe_table(m1, "arn:aws:dynamodb:us-east-1:" S_MEMBER2 ":table/payments",
                                   &t, &err),
        FV_OK);
    struct fv_dynamodb_backup b;
    assert_int_not_equal(fv_dynamodb_create_backup(m1, "payments", "fv-svc-x", &b, &err), FV_OK);
    /* The member role cannot hop on to another member: only the central
     * principal may assume member roles. */
    struct fv_creds_provider *base = fv_creds_default_chain(NULL, s_region(), NULL);
    struct fv_creds_provider *r1 =
        fv_creds_assume_role(base, s_region(), "arn:aws:iam::" S_MEMBER1 ":role/fleetvault-member",
                             "fleetvault-demo", "fv-svc-test", NULL);
    struct fv_creds_provider *hop =
        fv_creds_assume_role(r1, s_region(), "arn:aws:iam::" S_MEMBER2 ":role/fleetvault-member",
                             "fleetvault-demo", "fv-svc-hop", NULL);
    struct fv_aws_client *hc = s_client_with(hop, 1);
    assert_int_not_equal(fv_dynamodb_list_tables(hc, &names, &err), FV_OK);
    assert_non_null(strstr(err.message, "AccessDenied"));
    fv_aws_client_destroy(hc);
    fv_creds_unref(hop);
    fv_creds_unref(r1);
    fv_creds_unref(base);
    fv_aws_client_destroy(m1);
    fv_aws_client_destroy(m2);
}

/* --- IAM --- */

static const struct fv_iam_principal *s_principal(const struct fv_iam_principals *l,
                                                  const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    return NULL;
}

static void test_iam_inventory(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    struct fv_iam_principals users = {0}, roles = {0};
    struct fv_error err;

    S_CHECK(fv_iam_list_users(c, NULL, &users, &err), err);
    const struct fv_iam_principal *p = s_principal(&users, "ops-alice");
    assert_non_null(p);
    assert_string_equal(p->arn, "arn:aws:iam::" S_CENTRAL ":user/ops-alice");
    assert_string_equal(p->path, "/");
    assert_non_null(p->id);
    assert_non_null(s_principal(&users, "fleetvault"));
    fv_iam_principals_clean_up(&users);

    /* Roles a page at a time, including AWS's service-linked ones. */
    struct fv_iam_list one = {.page_size = 1};
    S_CHECK(fv_iam_list_roles(c, &one, &roles, &err), err);
    p = s_principal(&roles, "AWSServiceRoleForBackup");
    assert_non_null(p);
    assert_string_equal(p->path, "/aws-service-role/backup.amazonaws.com/");
    assert_int_equal(roles.pages, roles.n);
    fv_iam_principals_clean_up(&roles);
    fv_aws_client_destroy(c);

    c = s_member(S_MEMBER1);
    struct fv_iam_list two = {.page_size = 2};
    S_CHECK(fv_iam_list_roles(c, &two, &roles, &err), err);
    assert_true(roles.n >= 5);
    assert_true(roles.pages >= (roles.n + 1) / 2);
    p = s_principal(&roles, "AWSServiceRoleForDynamoDBReplication");
    assert_non_null(p);
    assert_string_equal(p->path, "/aws-service-role/replication.dynamodb.amazonaws.com/");
    assert_non_null(s_principal(&roles, "AWSServiceRoleForQuickSight"));
    p = s_principal(&roles, "shop-api-lambda");
    assert_non_null(p);
    assert_string_equal(p->path, "/service-role/");
    assert_string_equal(p->arn, "arn:aws:iam::" S_MEMBER1 ":role/service-role/shop-api-lambda");
    fv_iam_principals_clean_up(&roles);

    struct fv_iam_list svc = {.path_prefix = "/aws-service-role/"};
    S_CHECK(fv_iam_list_roles(c, &svc, &roles, &err), err);
    assert_int_equal(roles.n, 2);
    fv_iam_principals_clean_up(&roles);

    S_CHECK(fv_iam_list_users(c, &two, &users, &err), err);
    assert_non_null(s_principal(&users, "alice"));
    assert_non_null(s_principal(&users, "bob"));
    assert_non_null(s_principal(&users, "ci-deployer"));
    assert_null(s_principal(&users, "ops-alice"));
    fv_iam_principals_clean_up(&users);
    fv_aws_client_destroy(c);
}

static const char s_guard_policy[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"FleetvaultGuard\","
    "\"Effect\":\"Deny\",\"Action\":[\"dynamodb:DeleteBackup\"],\"Resource\":\"*\","
    "\"Condition\":{\"StringNotLike\":{\"aws:PrincipalArn\":\"arn:aws:iam::*:role/a b+c%/*\"}}}]}";

static void s_assert_same_json(const char *a, const char *b)
{
    struct json_object *ja = s_json(a), *jb = s_json(b);
    if (!json_object_equal(ja, jb))
        fail_msg("policy differs:\n%s\n%s", a, b);
    json_object_put(ja);
    json_object_put(jb);
}

static void test_iam_inline_policies(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    struct fv_error err;
    char *doc = NULL;

    S_CHECK(fv_iam_put_user_policy(c, "ops-alice", "fv-guard", s_guard_policy, &err), err);
    S_CHECK(fv_iam_get_user_policy(c, "ops-alice", "fv-guard", &doc, &err), err);
    s_assert_same_json(doc, s_guard_policy);
    free(doc);
    assert_int_equal(fv_iam_get_user_policy(c, "ops-alice", "fv-none", &doc, &err), FV_E_NOTFOUND);
    assert_string_equal(err.code, "NoSuchEntity");
    assert_null(doc);
    assert_int_equal(fv_iam_get_user_policy(c, "no-such-user", "fv-guard", &doc, &err),
                     FV_E_NOTFOUND);
    assert_int_equal(fv_iam_put_user_policy(c, "no-such-user", "fv-guard", s_guard_policy, &err),
                     FV_E_NOTFOUND);
    S_CHECK(fv_iam_delete_user_policy(c, "ops-alice", "fv-guard", &err), err);
    assert_int_equal(fv_iam_get_user_policy(c, "ops-alice", "fv-guard", &doc, &err), FV_E_NOTFOUND);
    fv_aws_client_destroy(c);

    /* On a role, in a member account, through the member role (the guard's
     * write); read back as the member's admin (fleetvault never reads it). */
    c = s_member_role(S_MEMBER1);
    S_CHECK(fv_iam_put_role_policy(c, "shop-batch", "fv-guard", s_guard_policy, &err), err);
    fv_aws_client_destroy(c);
    c = s_member_admin();
    S_CHECK(fv_iam_get_role_policy(c, "shop-batch", "fv-guard", &doc, &err), err);
    s_assert_same_json(doc, s_guard_policy);
    free(doc);
    assert_int_equal(fv_iam_get_role_policy(c, "no-such-role", "fv-guard", &doc, &err),
                     FV_E_NOTFOUND);

    /* Clean-up as the member's admin (fleetvault may not delete role policies). */
    struct fv_params p = {0};
    fv_params_add(&p, "RoleName", "shop-batch");
    fv_params_add(&p, "PolicyName", "fv-guard");
    S_CHECK(fv_aws_query(c, "iam", "DeleteRolePolicy", "2010-05-08", &p, NULL, &err), err);
    fv_params_clean_up(&p);
    fv_aws_client_destroy(c);
}

/* --- tagging --- */

static const struct fv_tagged_resource *s_tagged(const struct fv_tagged_resources *l,
                                                 const char *arn)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].arn, arn) == 0)
            return &l->items[i];
    return NULL;
}

static void test_tagging(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_member(S_MEMBER1);
    struct fv_error err;
    const char *daily[] = {"daily"};
    struct fv_tag_filter f = {.key = "backup", .values = daily, .n_values = 1};
    const char *tables[] = {"dynamodb:table"};
    struct fv_tagging_query q = {.tag_filters = &f,
                                 .n_tag_filters = 1,
                                 .resource_types = tables,
                                 .n_resource_types = 1,
                                 .per_page = 1};
    struct fv_tagged_resources l = {0};
    S_CHECK(fv_tagging_get_resources(c, &q, &l, &err), err);
    assert_int_equal(l.n, 3);
    assert_true(l.pages >= 3);
    const struct fv_tagged_resource *r =
        s_tagged(&l, "arn:aws:dynamodb:us-east-1:" S_MEMBER1 ":table/orders");
    assert_non_null(r);
    assert_string_equal(fv_tagged_resource_tag(r, "backup"), "daily");
    assert_string_equal(fv_tagged_resource_tag(r, "team"), "shop");
    assert_null(fv_tagged_resource_tag(r, "nope"));
    assert_non_null(s_tagged(&l, "arn:aws:dynamodb:us-east-1:" S_MEMBER1 ":table/customers"));
    assert_non_null(s_tagged(&l, "arn:aws:dynamodb:us-east-1:" S_MEMBER1 ":table/inventory"));
    assert_null(s_tagged(&l, "arn:aws:dynamodb:us-east-1:" S_MEMBER1 ":table/sessions"));
    fv_tagged_resources_clean_up(&l);

    /* Tables and buckets, any page size. */
    const char *both[] = {"dynamodb:table", "s3:bucket"};
    q.resource_types = both;
    q.n_resource_types = 2;
    q.per_page = 0;
    S_CHECK(fv_tagging_get_resources(c, &q, &l, &err), err);
    assert_int_equal(l.n, 4);
    assert_non_null(s_tagged(&l, "arn:aws:s3:::shop-assets-111111111111"));
    fv_tagged_resources_clean_up(&l);

    /* Key only: any value. */
    f.n_values = 0;
    q.resource_types = tables;
    q.n_resource_types = 1;
    S_CHECK(fv_tagging_get_resources(c, &q, &l, &err), err);
    assert_int_equal(l.n, 4); /* orders, customers, inventory, sessions (backup=none) */
    fv_tagged_resources_clean_up(&l);
    q.per_page = 101;
    assert_int_equal(fv_tagging_get_resources(c, &q, &l, &err), FV_E_INVALID);
    fv_aws_client_destroy(c);
}

/* --- Logs, SNS --- */

static void test_logs(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    struct fv_error err;
    char stream[64];
    snprintf(stream, sizeof(stream), "run-%lld", (long long)time(NULL));
    const char *group = "/fleetvault/runs";
    S_CHECK(fv_logs_create_group(c, group, &err), err); /* exists: fine */
    S_CHECK(fv_logs_create_group(c, "/fleetvault/svc-test", &err), err);
    S_CHECK(fv_logs_create_group(c, "/fleetvault/svc-test", &err), err);
    S_CHECK(fv_logs_create_stream(c, group, stream, &err), err);
    S_CHECK(fv_logs_create_stream(c, group, stream, &err), err);

    int64_t now = (int64_t)time(NULL) * 1000;
    struct fv_log_event ev[] = {
        {now + 2, "{\"msg\":\"third\",\"run_id\":\"r1\"}"},
        {now, "{\"msg\":\"first\",\"run_id\":\"r1\"}"},
        {now + 1, "{\"msg\":\"second\",\"run_id\":\"r1\"}"},
        {now + 1, "{\"msg\":\"second-b\",\"run_id\":\"r1\"}"},
    };
    struct fv_logs_put_result res;
    S_CHECK(fv_logs_put_events(c, group, stream, ev, 4, &res, &err), err);
    assert_int_equal(res.batches, 1);
    assert_int_equal(res.rejected, 0);
    S_CHECK(fv_logs_put_events(c, group, stream, ev, 0, NULL, &err), err);
    struct fv_log_event empty = {now, ""};
    assert_int_equal(fv_logs_put_events(c, group, stream, &empty, 1, NULL, &err), FV_E_INVALID);
    assert_int_equal(fv_logs_put_events(c, group, "no-such-stream", ev, 1, NULL, &err),
                     FV_E_NOTFOUND);
    fv_aws_client_destroy(c);

    /* Read back (fleetvault only writes logs). */
    c = s_admin();
    struct json_object *in = json_object_new_object(), *out = NULL, *events;
    json_object_object_add(in, "logGroupName", json_object_new_string(group));
    json_object_object_add(in, "logStreamName", json_object_new_string(stream));
    json_object_object_add(in, "startFromHead", json_object_new_boolean(1));
    S_CHECK(fv_aws_json(c, &fv_aws_logs, "GetLogEvents", in, &out, &err), err);
    assert_true(json_object_object_get_ex(out, "events", &events));
    assert_int_equal(json_object_array_length(events), 4);
    const char *want[] = {"first", "second", "second-b", "third"};
    for (size_t i = 0; i < 4; i++) {
        struct json_object *e = json_object_array_get_idx(events, i), *m;
        assert_true(json_object_object_get_ex(e, "message", &m));
        char needle[32];
        snprintf(needle, sizeof(needle), "\"%s\"", want[i]);
        assert_non_null(strstr(json_object_get_string(m), needle));
    }
    json_object_put(out);
    json_object_put(in);
    fv_aws_client_destroy(c);
}

static void test_sns(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    struct fv_error err;
    char *id = NULL;
    S_CHECK(fv_sns_publish(c, "arn:aws:sns:us-east-1:" S_CENTRAL ":fleetvault-alerts",
                           "fleetvault run r1 failed", "{\"run_id\":\"r1\",\"failed\":3}", &id,
                           &err),
            err);
    assert_non_null(id);
    assert_true(strlen(id) > 0);
    free(id);
    S_CHECK(fv_sns_publish(c, "arn:aws:sns:us-east-1:" S_CENTRAL ":fleetvault-alerts", NULL,
                           "no subject & a + sign", NULL, &err),
            err);
    assert_int_equal(fv_sns_publish(c, "arn:aws:sns:us-east-1:" S_CENTRAL ":fleetvault-alerts",
                                    "two\nlines", "x", NULL, &err),
                     FV_E_INVALID);
    assert_int_equal(fv_sns_publish(c, "arn:aws:sns:us-east-1:" S_CENTRAL ":no-such-topic", NULL,
                                    "x", &id, &err),
                     FV_E_NOTFOUND);
    assert_null(id);
    fv_aws_client_destroy(c);
}

/* --- S3 --- */

/* A deterministic byte generator (xorshift64*), in uneven chunks, that can
 * fail after a given offset. */
struct s_gen {
    uint64_t state;
    uint64_t left;
    uint64_t fail_at; /* 0: never */
    uint64_t produced;
    size_t max_chunk;
    size_t most_asked; /* the largest cap the uploader offered */
    int calls;
};

static void s_gen_init(struct s_gen *g, uint64_t seed, uint64_t size)
{
    memset(g, 0, sizeof(*g));
    g->state = seed ? seed : 1;
    g->left = size;
    g->max_chunk = 777777;
}

static fv_status s_gen_read(void *ud, char *dst, size_t cap, size_t *got, struct fv_error *err)
{
    struct s_gen *g = ud;
    g->calls++;
    if (cap > g->most_asked)
        g->most_asked = cap;
    if (g->fail_at && g->produced >= g->fail_at)
        return fv_error_set(err, FV_E_IO, "generator: disk on fire at byte %llu",
                            (unsigned long long)g->produced);
    size_t n = cap < g->max_chunk ? cap : g->max_chunk;
    if (n > g->left)
        n = (size_t)g->left;
    for (size_t i = 0; i < n; i++) {
        g->state ^= g->state >> 12;
        g->state ^= g->state << 25;
        g->state ^= g->state >> 27;
        dst[i] = (char)((g->state * 0x2545F4914F6CDD1DULL) >> 56);
    }
    g->left -= n;
    g->produced += n;
    *got = n;
    return FV_OK;
}

/* The generator's SHA-256, computed on its own. */
static void s_gen_sha256(uint64_t seed, uint64_t size, char hex[65])
{
    struct s_gen g;
    s_gen_init(&g, seed, size);
    g.max_chunk = 65536;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    char *buf = malloc(65536);
    size_t got;
    struct fv_error err;
    do {
        assert_int_equal(s_gen_read(&g, buf, 65536, &got, &err), FV_OK);
        EVP_DigestUpdate(ctx, buf, got);
    } while (got > 0);
    unsigned char md[32];
    EVP_DigestFinal_ex(ctx, md, NULL);
    fv_hex_encode(md, 32, hex);
    EVP_MD_CTX_free(ctx);
    free(buf);
}

struct s_sink {
    EVP_MD_CTX *ctx;
    uint64_t n;
    struct fv_buf bytes; /* kept when small */
    uint64_t fail_at;    /* 0: never */
};

static fv_status s_sink_write(void *ud, const char *data, size_t n, struct fv_error *err)
{
    struct s_sink *s = ud;
    if (s->fail_at && s->n + n > s->fail_at)
        return fv_error_set(err, FV_E_IO, "sink: full");
    EVP_DigestUpdate(s->ctx, data, n);
    if (s->n + n <= 4096)
        fv_buf_append(&s->bytes, data, n);
    s->n += n;
    return FV_OK;
}

static void s_sink_init(struct s_sink *s)
{
    memset(s, 0, sizeof(*s));
    s->ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL);
}

static void s_sink_finish(struct s_sink *s, char hex[65])
{
    unsigned char md[32];
    EVP_DigestFinal_ex(s->ctx, md, NULL);
    fv_hex_encode(md, 32, hex);
    EVP_MD_CTX_free(s->ctx);
    s->ctx = NULL;
}

/* Open multipart uploads of key (ListMultipartUploads, a raw call). */
static int s_open_uploads(struct fv_aws_client *c, const char *key)
{
    struct fv_buf q = {0};
    fv_buf_append_str(&q, "prefix=");
    fv_uri_encode(&q, key, strlen(key), false);
    fv_buf_append_str(&q, "&uploads=");
    struct fv_aws_call call = {.service = "s3",
                               .operation = "ListMultipartUploads",
                               .protocol = FV_PROTO_REST_XML,
                               .method = "GET",
                               .s3_bucket = S_BUCKET,
                               .path = "/",
                               .query = q.ptr};
    struct fv_aws_response resp = {0};
    struct fv_error err;
    S_CHECK(fv_aws_call_run(c, &call, &resp, &err), err);
    xmlDocPtr doc = fv_xml_parse((struct fv_cur){resp.body.ptr, resp.body.len}, &err);
    assert_non_null(doc);
    int n = 0;
    for (xmlNodePtr u = xmlDocGetRootElement(doc)->children; u; u = u->next) {
        if (u->type != XML_ELEMENT_NODE || strcmp((const char *)u->name, "Upload") != 0)
            continue;
        char *k = fv_xml_path_text(u, "Key");
        if (k && strcmp(k, key) == 0)
            n++;
        free(k);
    }
    xmlFreeDoc(doc);
    fv_aws_response_clean_up(&resp);
    fv_aws_call_clean_up(&call);
    fv_buf_clean_up(&q);
    return n;
}

static void test_s3_small_put_head_get(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    struct fv_error err;
    const char *key = "svc-test/small.json";
    const char *body = "{\"hello\":\"world\"}";
    struct fv_header meta[] = {{"run-id", "r1"}, {"task-id", "t-42"}};
    struct fv_s3_put_options opt = {.content_type = "application/json",
                                    .sse_kms = true,
                                    .kms_key_id = "alias/fleetvault",
                                    .bucket_owner_full_control = true,
                                    .metadata = meta,
                                    .n_metadata = 2};
    struct fv_s3_upload_result res;
    S_CHECK(fv_s3_put_object(c, S_BUCKET, key, FV_CUR_STR(body), &opt, &res, &err), err);
    assert_int_equal(res.size, strlen(body));
    char want[65];
    fv_sha256_hex(body, strlen(body), want);
    assert_string_equal(res.sha256_hex, want);
    assert_non_null(res.etag);
    assert_false(res.multipart);
    fv_s3_upload_result_clean_up(&res);

    struct fv_s3_object_info info;
    S_CHECK(fv_s3_head_object(c, S_BUCKET, key, &info, &err), err);
    assert_int_equal(info.size, strlen(body));
    assert_string_equal(info.content_type, "application/json");
    assert_string_equal(info.sse, "aws:kms");
    assert_non_null(info.kms_key_id);
    assert_string_equal(fv_headers_get(&info.metadata, "run-id"), "r1");
    assert_string_equal(fv_headers_get(&info.metadata, "task-id"), "t-42");
    assert_true(info.last_modified_ms > 0);
    fv_s3_object_info_clean_up(&info);

    struct s_sink sink;
    s_sink_init(&sink);
    struct fv_s3_get_result got;
    S_CHECK(fv_s3_get_object(c, S_BUCKET, key, s_sink_write, &sink, &got, &err), err);
    char sink_hex[65];
    s_sink_finish(&sink, sink_hex);
    assert_string_equal(fv_buf_str(&sink.bytes), body);
    assert_string_equal(got.sha256_hex, want);
    assert_string_equal(sink_hex, want);
    assert_int_equal(got.size, strlen(body));
    assert_string_equal(got.content_type, "application/json");
    fv_s3_get_result_clean_up(&got);
    fv_buf_clean_up(&sink.bytes);

    /* A sink that fails: its error comes back. */
    s_sink_init(&sink);
    sink.fail_at = 3;
    assert_int_equal(fv_s3_get_object(c, S_BUCKET, key, s_sink_write, &sink, NULL, &err), FV_E_IO);
    assert_non_null(strstr(err.message, "sink: full"));
    s_sink_finish(&sink, sink_hex);
    fv_buf_clean_up(&sink.bytes);

    /* Missing objects. */
    assert_int_equal(fv_s3_head_object(c, S_BUCKET, "svc-test/none", &info, &err), FV_E_NOTFOUND);
    s_sink_init(&sink);
    assert_int_equal(
        fv_s3_get_object(c, S_BUCKET, "svc-test/none", s_sink_write, &sink, NULL, &err),
        FV_E_NOTFOUND);
    assert_string_equal(err.code, "NoSuchKey");
    s_sink_finish(&sink, sink_hex);

    /* A form content type is refused before anything is sent. */
    struct fv_s3_put_options form = {.content_type = "application/x-www-form-urlencoded"};
    assert_int_equal(fv_s3_put_object(c, S_BUCKET, key, FV_CUR_STR(body), &form, NULL, &err),
                     FV_E_INVALID);

    /* fleetvault's own principal may write only under its prefixes of the
     * backup bucket (deploy/iam), not elsewhere in it. */
    struct fv_creds_provider *fvp = fv_creds_default_chain(NULL, s_region(), NULL);
    struct fv_aws_client *fv = s_client_with(fvp, 0);
    fv_creds_unref(fvp);
    assert_int_equal(
        fv_s3_put_object(fv, S_BUCKET, "elsewhere/x.json", FV_CUR_STR(body), NULL, NULL, &err),
        FV_E_AWS);
    assert_string_equal(err.code, "AccessDenied");
    S_CHECK(fv_s3_put_object(fv, S_BUCKET, "quicksight-backups/services-test.json",
                             FV_CUR_STR(body), NULL, NULL, &err),
            err);
    fv_aws_client_destroy(fv);
    S_CHECK(fv_s3_delete_object(c, S_BUCKET, "quicksight-backups/services-test.json", &err), err);

    S_CHECK(fv_s3_delete_object(c, S_BUCKET, key, &err), err);
    assert_int_equal(fv_s3_head_object(c, S_BUCKET, key, &info, &err), FV_E_NOTFOUND);
    S_CHECK(fv_s3_delete_object(c, S_BUCKET, key, &err), err); /* again: fine */
    fv_aws_client_destroy(c);
}

/* Uploads size bytes from the generator and checks everything. */
static void s_upload_and_verify(struct fv_aws_client *c, const char *key, uint64_t size,
                                size_t part_size, int in_flight, bool want_multipart,
                                uint32_t want_parts)
{
    struct s_gen g;
    s_gen_init(&g, size ^ 0x5eed, size);
    struct fv_s3_upload up = {.bucket = S_BUCKET,
                              .key = key,
                              .opt = {.content_type = "application/octet-stream"},
                              .read = s_gen_read,
                              .read_ud = &g,
                              .part_size = part_size,
                              .parts_in_flight = in_flight};
    struct fv_s3_upload_result res;
    struct fv_error err;
    S_CHECK(fv_s3_upload(c, &up, &res, &err), err);
    char want[65];
    s_gen_sha256(size ^ 0x5eed, size, want);
    assert_int_equal(res.size, size);
    assert_string_equal(res.sha256_hex, want);
    assert_int_equal(res.multipart, want_multipart);
    assert_int_equal(res.parts, want_parts);
    assert_non_null(res.etag);
    /* Memory stays bounded: never more than the part buffers. */
    size_t ps = part_size ? part_size : FV_S3_DEFAULT_PART_SIZE;
    size_t bound = ps * (size_t)(in_flight > 0 ? in_flight : 1);
    if (res.peak_buffered > bound)
        fail_msg("%s: %zu bytes buffered, bound %zu", key, res.peak_buffered, bound);
    assert_true(g.most_asked <= ps);
    fv_s3_upload_result_clean_up(&res);

    struct fv_s3_object_info info;
    S_CHECK(fv_s3_head_object(c, S_BUCKET, key, &info, &err), err);
    assert_int_equal(info.size, size);
    assert_string_equal(info.content_type, "application/octet-stream");
    fv_s3_object_info_clean_up(&info);

    struct s_sink sink;
    s_sink_init(&sink);
    struct fv_s3_get_result got;
    S_CHECK(fv_s3_get_object(c, S_BUCKET, key, s_sink_write, &sink, &got, &err), err);
    char sink_hex[65];
    s_sink_finish(&sink, sink_hex);
    assert_int_equal(got.size, size);
    assert_string_equal(got.sha256_hex, want);
    assert_string_equal(sink_hex, want);
    fv_s3_get_result_clean_up(&got);
    fv_buf_clean_up(&sink.bytes);
    assert_int_equal(s_open_uploads(c, key), 0);
}

static void test_s3_streaming_upload(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    /* 20 MiB in 5 MiB parts, one buffer at a time. */
    s_upload_and_verify(c, "svc-test/stream-20m.bin", 20 * S_MIB, 5 * S_MIB, 1, true, 4);
    /* Three parts in flight; a 1-byte last part. */
    s_upload_and_verify(c, "svc-test/stream-3x.bin", 15 * S_MIB + 1, 5 * S_MIB, 3, true, 4);
    /* Exactly one part: a single PutObject (the uploader reads one byte ahead). */
    s_upload_and_verify(c, "svc-test/one-part.bin", 5 * S_MIB, 5 * S_MIB, 1, false, 0);
    s_upload_and_verify(c, "svc-test/one-part-plus.bin", 5 * S_MIB + 1, 5 * S_MIB, 1, true, 2);
    /* Defaults: 8 MiB threshold and parts. */
    s_upload_and_verify(c, "svc-test/small-default.bin", 3 * S_MIB, 0, 0, false, 0);
    s_upload_and_verify(c, "svc-test/empty.bin", 0, 0, 0, false, 0);
    struct fv_error err;
    const char *keys[] = {"svc-test/stream-20m.bin",    "svc-test/stream-3x.bin",
                          "svc-test/one-part.bin",      "svc-test/one-part-plus.bin",
                          "svc-test/small-default.bin", "svc-test/empty.bin"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        S_CHECK(fv_s3_delete_object(c, S_BUCKET, keys[i], &err), err);
    fv_aws_client_destroy(c);
}

struct s_async {
    int finished;
    bool failed[2];
    struct fv_error err[2];
};

static void s_async_done0(void *ud, struct fv_s3_upload_result *out, const struct fv_error *err)
{
    (void)out;
    struct s_async *a = ud;
    a->finished++;
    if (err) {
        a->failed[0] = true;
        a->err[0] = *err;
    }
}

static void s_async_done1(void *ud, struct fv_s3_upload_result *out, const struct fv_error *err)
{
    (void)out;
    struct s_async *a = ud;
    a->finished++;
    if (err) {
        a->failed[1] = true;
        a->err[1] = *err;
    }
}

static void test_s3_async_uploads(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    struct s_gen g[2];
    s_gen_init(&g[0], 11, 12 * S_MIB);
    s_gen_init(&g[1], 12, 6 * S_MIB);
    struct fv_s3_upload up[2] = {
        {.bucket = S_BUCKET,
         .key = "svc-test/async-a.bin",
         .read = s_gen_read,
         .read_ud = &g[0],
         .part_size = 5 * S_MIB,
         .parts_in_flight = 2},
        {.bucket = S_BUCKET,
         .key = "svc-test/async-b.bin",
         .read = s_gen_read,
         .read_ud = &g[1],
         .part_size = 5 * S_MIB},
    };
    struct fv_s3_upload_result res[2];
    struct s_async a = {0};
    fv_s3_upload_start(c, &up[0], &res[0], s_async_done0, &a);
    fv_s3_upload_start(c, &up[1], &res[1], s_async_done1, &a);
    while (a.finished < 2)
        fv_http_engine_poll(fv_aws_client_engine(c), 200);
    for (int i = 0; i < 2; i++) {
        if (a.failed[i])
            fail_msg("async upload %d: %s", i, a.err[i].message);
        char want[65];
        s_gen_sha256(11 + (uint64_t)i, i ? 6 * S_MIB : 12 * S_MIB, want);
        assert_string_equal(res[i].sha256_hex, want);
        assert_true(res[i].multipart);
        fv_s3_upload_result_clean_up(&res[i]);
    }
    struct fv_error err;
    S_CHECK(fv_s3_delete_object(c, S_BUCKET, "svc-test/async-a.bin", &err), err);
    S_CHECK(fv_s3_delete_object(c, S_BUCKET, "svc-test/async-b.bin", &err), err);
    fv_aws_client_destroy(c);
}

static void test_s3_failed_upload_leaves_nothing(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    struct fv_error err;
    const char *key = "svc-test/fails midway.bin";

    /* The check below can see an open upload. */
    struct fv_buf kp = {0};
    fv_s3_key_path(key, &kp);
    struct fv_aws_call create = {.service = "s3",
                                 .operation = "CreateMultipartUpload",
                                 .protocol = FV_PROTO_REST_XML,
                                 .method = "POST",
                                 .s3_bucket = S_BUCKET,
                                 .path = kp.ptr,
                                 .query = "uploads"};
    fv_headers_add(&create.headers, "Content-Type", "application/octet-stream");
    struct fv_aws_response resp = {0};
    S_CHECK(fv_aws_call_run(c, &create, &resp, &err), err);
    xmlDocPtr doc = fv_xml_parse((struct fv_cur){resp.body.ptr, resp.body.len}, &err);
    char *upload_id = fv_xml_path_text(xmlDocGetRootElement(doc), "UploadId");
    assert_non_null(upload_id);
    assert_int_equal(s_open_uploads(c, key), 1);
    struct fv_buf q = {0};
    fv_buf_append_str(&q, "uploadId=");
    fv_uri_encode(&q, upload_id, strlen(upload_id), false);
    struct fv_aws_call abort_call = {.service = "s3",
                                     .operation = "AbortMultipartUpload",
                                     .protocol = FV_PROTO_REST_XML,
                                     .method = "DELETE",
                                     .s3_bucket = S_BUCKET,
                                     .path = kp.ptr,
                                     .query = q.ptr};
    S_CHECK(fv_aws_call_run(c, &abort_call, &resp, &err), err);
    assert_int_equal(s_open_uploads(c, key), 0);
    free(upload_id);
    xmlFreeDoc(doc);
    fv_aws_response_clean_up(&resp);
    fv_aws_call_clean_up(&create);
    fv_aws_call_clean_up(&abort_call);
    fv_buf_clean_up(&q);
    fv_buf_clean_up(&kp);

    /* The data source fails after 12 MiB (two parts sent). */
    struct s_gen g;
    s_gen_init(&g, 99, 20 * S_MIB);
    g.fail_at = 12 * S_MIB;
    struct fv_s3_upload up = {
        .bucket = S_BUCKET, .key = key, .read = s_gen_read, .read_ud = &g, .part_size = 5 * S_MIB};
    struct fv_s3_upload_result res;
    assert_int_equal(fv_s3_upload(c, &up, &res, &err), FV_E_IO);
    assert_non_null(strstr(err.message, "disk on fire"));
    assert_null(res.etag);
    assert_true(res.multipart);
    fv_s3_upload_result_clean_up(&res);
    struct fv_s3_object_info info;
    assert_int_equal(fv_s3_head_object(c, S_BUCKET, key, &info, &err), FV_E_NOTFOUND);
    assert_int_equal(s_open_uploads(c, key), 0);

    /* The data source fails at once: nothing created at all. */
    s_gen_init(&g, 99, 20 * S_MIB);
    g.fail_at = 1;
    g.max_chunk = 1;
    assert_int_equal(fv_s3_upload(c, &up, &res, &err), FV_E_IO);
    assert_false(res.multipart);
    fv_s3_upload_result_clean_up(&res);

    /* S3 fails every UploadPart (past the retries). */
    fv_aws_client_destroy(c);
    struct fv_credentials adm = {.access_key_id = "AKIAFVWORLDADMIN0001",
                                 .secret_access_key = "fvSecretAdmin000000000000000000000000001"};
    struct fv_creds_provider *p = fv_creds_static(&adm);
    c = s_client_with(p, 2);
    fv_creds_unref(p);
    s_world_send("POST", "/_world/faults",
                 "{\"operation\":\"UploadPart\",\"kind\":\"error500\",\"count\":-1}");
    s_gen_init(&g, 98, 11 * S_MIB);
    fv_status st = fv_s3_upload(c, &up, &res, &err);
    s_world_send("DELETE", "/_world/faults", NULL);
    assert_int_equal(st, FV_E_AWS);
    assert_string_equal(err.code, "InternalError");
    fv_s3_upload_result_clean_up(&res);
    assert_int_equal(fv_s3_head_object(c, S_BUCKET, key, &info, &err), FV_E_NOTFOUND);
    assert_int_equal(s_open_uploads(c, key), 0);

    /* Bad requests never start. */
    up.part_size = 4 * S_MIB;
    assert_int_equal(fv_s3_upload(c, &up, &res, &err), FV_E_INVALID);
    up.part_size = 5 * S_MIB;
    up.opt.content_type = "application/x-www-form-urlencoded; charset=utf-8";
    assert_int_equal(fv_s3_upload(c, &up, &res, &err), FV_E_INVALID);
    fv_aws_client_destroy(c);
}

static void test_s3_get_retries(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    struct fv_error err;
    const char *key = "svc-test/retried.bin";
    const uint64_t size = 3 * S_MIB;
    struct s_gen g;
    s_gen_init(&g, 77, size);
    struct fv_s3_upload up = {.bucket = S_BUCKET, .key = key, .read = s_gen_read, .read_ud = &g};
    struct fv_s3_upload_result res;
    S_CHECK(fv_s3_upload(c, &up, &res, &err), err);
    fv_s3_upload_result_clean_up(&res);
    char want[65], hex[65];
    s_gen_sha256(77, size, want);

    /* The connection drops before any byte: retried, and whole. */
    struct fv_aws_stats before, after;
    fv_aws_client_stats(c, &before);
    s_world_send("POST", "/_world/faults",
                 "{\"operation\":\"GetObject\",\"kind\":\"reset\",\"count\":1}");
    struct s_sink sink;
    s_sink_init(&sink);
    struct fv_s3_get_result got;
    S_CHECK(fv_s3_get_object(c, S_BUCKET, key, s_sink_write, &sink, &got, &err), err);
    s_sink_finish(&sink, hex);
    fv_aws_client_stats(c, &after);
    assert_int_equal(after.retries - before.retries, 1);
    assert_int_equal(got.size, size);
    assert_string_equal(got.sha256_hex, want);
    assert_string_equal(hex, want);
    fv_s3_get_result_clean_up(&got);
    fv_buf_clean_up(&sink.bytes);

    /* The body breaks half-way: bytes were delivered, so no silent retry
     * that would deliver them twice. */
    s_world_send("POST", "/_world/faults",
                 "{\"operation\":\"GetObject\",\"kind\":\"truncate\",\"count\":1}");
    s_sink_init(&sink);
    fv_status st = fv_s3_get_object(c, S_BUCKET, key, s_sink_write, &sink, &got, &err);
    s_sink_finish(&sink, hex);
    s_world_send("DELETE", "/_world/faults", NULL);
    assert_int_equal(st, FV_E_NET);
    assert_true(err.retryable);
    assert_non_null(strstr(err.message, "broke after"));
    assert_true(sink.n > 0 && sink.n < size);
    assert_null(got.etag);
    fv_buf_clean_up(&sink.bytes);

    S_CHECK(fv_s3_delete_object(c, S_BUCKET, key, &err), err);
    fv_aws_client_destroy(c);
}

static void test_s3_awkward_keys_and_listing(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_central();
    struct fv_error err;
    const char *keys[] = {"svc-keys/a b+c:d.bin", "svc-keys/plus+plus", "svc-keys/ünï cödé:1",
                          "svc-keys/x=1&y=%41"};
    const size_t n = sizeof(keys) / sizeof(keys[0]);
    for (size_t i = 0; i < n; i++) {
        char body[64];
        snprintf(body, sizeof(body), "object %zu", i);
        S_CHECK(fv_s3_put_object(c, S_BUCKET, keys[i], ((struct fv_cur){body, strlen(body)}), NULL,
                                 NULL, &err),
                err);
        struct fv_s3_object_info info;
        S_CHECK(fv_s3_head_object(c, S_BUCKET, keys[i], &info, &err), err);
        assert_int_equal(info.size, strlen(body));
        fv_s3_object_info_clean_up(&info);
        struct s_sink sink;
        s_sink_init(&sink);
        S_CHECK(fv_s3_get_object(c, S_BUCKET, keys[i], s_sink_write, &sink, NULL, &err), err);
        char hex[65];
        s_sink_finish(&sink, hex);
        assert_string_equal(fv_buf_str(&sink.bytes), body);
        fv_buf_clean_up(&sink.bytes);
    }
    /* A multipart upload under an awkward key, too. */
    struct s_gen g;
    s_gen_init(&g, 5, 6 * S_MIB);
    struct fv_s3_upload up = {.bucket = S_BUCKET,
                              .key = "svc-keys/multi part+:x.bin",
                              .read = s_gen_read,
                              .read_ud = &g,
                              .part_size = 5 * S_MIB};
    struct fv_s3_upload_result res;
    S_CHECK(fv_s3_upload(c, &up, &res, &err), err);
    assert_true(res.multipart);
    fv_s3_upload_result_clean_up(&res);

    /* List two at a time. */
    struct fv_s3_list req = {.prefix = "svc-keys/", .max_keys = 2};
    struct fv_s3_objects l = {0};
    char *token = NULL;
    do {
        S_CHECK(fv_s3_list_objects_page(c, S_BUCKET, &req, token, &l, &err), err);
        free(token);
        token = l.next;
        l.next = NULL;
    } while (token);
    assert_int_equal(l.n, n + 1);
    assert_int_equal(l.pages, 3);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < l.n; j++)
            if (strcmp(l.items[j].key, keys[i]) == 0) {
                found = true;
                assert_int_equal(l.items[j].size, strlen("object 0"));
                assert_true(l.items[j].last_modified_ms > 0);
                assert_non_null(l.items[j].etag);
            }
        if (!found)
            fail_msg("'%s' not listed", keys[i]);
    }
    fv_s3_objects_clean_up(&l);

    /* Delimited: one common prefix. */
    struct fv_s3_list delim = {.prefix = "svc-", .delimiter = "/"};
    S_CHECK(fv_s3_list_objects_page(c, S_BUCKET, &delim, NULL, &l, &err), err);
    bool prefix = false;
    for (size_t i = 0; i < l.n_prefixes; i++)
        prefix |= strcmp(l.prefixes[i], "svc-keys/") == 0;
    assert_true(prefix);
    fv_s3_objects_clean_up(&l);

    for (size_t i = 0; i < n; i++)
        S_CHECK(fv_s3_delete_object(c, S_BUCKET, keys[i], &err), err);
    S_CHECK(fv_s3_delete_object(c, S_BUCKET, up.key, &err), err);
    S_CHECK(fv_s3_list_objects_page(c, S_BUCKET, &req, NULL, &l, &err), err);
    assert_int_equal(l.n, 0);
    assert_null(l.next);
    fv_s3_objects_clean_up(&l);
    fv_aws_client_destroy(c);
}

/* --- a local stub, for what the world cannot show ---
 *
 * moto neither pages ListBackups or ListUsers, nor verifies part checksums,
 * nor can it answer CompleteMultipartUpload with a 200 that carries an
 * <Error>. This stub (libmicrohttpd, no signature checks) does, so the
 * client's side of each is proven here. */

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

enum s_complete_mode {
    S_COMPLETE_OK,
    S_COMPLETE_ERROR_ALWAYS, /* 200 + <Error>InternalError</Error>, every time */
    S_COMPLETE_ERROR_ONCE,   /* ... the first time only */
    S_COMPLETE_ERROR_FATAL,  /* 200 + <Error>InvalidPart</Error> */
};

struct s_stub {
    struct MHD_Daemon *d;
    char url[64];
    enum s_complete_mode complete_mode;
    atomic_int creates, parts, bad_checksums, completes, bad_completes, aborts;
    atomic_int list_backups, list_users, page_errors;
    pthread_mutex_t mu;
    char part_b64[8][45];
};

static void s_b64_sha256(const char *data, size_t n, char out[45])
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
    EVP_EncodeBlock((unsigned char *)out, md, 32);
}

static void s_stub_list_backups(struct s_stub *st, const struct fv_buf *body, struct fv_buf *out)
{
    int page = atomic_fetch_add(&st->list_backups, 1);
    struct json_object *in = json_tokener_parse(fv_buf_str(body)), *start;
    bool second = in && json_object_object_get_ex(in, "ExclusiveStartBackupArn", &start) &&
                  strcmp(json_object_get_string(start), "arn:b/099") == 0;
    json_object_put(in);
    if (second != (page == 1))
        atomic_fetch_add(&st->page_errors, 1);
    fv_buf_append_str(out, "{\"BackupSummaries\":[");
    int from = second ? 100 : 0, to = second ? 120 : 100;
    for (int i = from; i < to; i++)
        fv_buf_printf(out,
                      "%s{\"BackupArn\":\"arn:b/%03d\",\"BackupName\":\"b-%03d\","
                      "\"TableName\":\"t%d\",\"TableArn\":\"arn:t%d\",\"BackupStatus\":"
                      "\"AVAILABLE\",\"BackupType\":\"USER\",\"BackupCreationDateTime\":"
                      "1795280900.325,\"BackupSizeBytes\":12}",
                      i > from ? "," : "", i, i, i % 7, i % 7);
    fv_buf_append_str(out, "]");
    if (!second)
        fv_buf_append_str(out, ",\"LastEvaluatedBackupArn\":\"arn:b/099\"");
    fv_buf_append_str(out, "}");
}

static void s_stub_list_users(struct s_stub *st, const struct fv_buf *body, struct fv_buf *out)
{
    int page = atomic_fetch_add(&st->list_users, 1);
    bool second = strstr(fv_buf_str(body), "Marker=m%2B1") != NULL;
    if (second != (page == 1))
        atomic_fetch_add(&st->page_errors, 1);
    fv_buf_printf(out,
                  "<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                  "<ListUsersResult><Users><member><UserName>u%d</UserName>"
                  "<Arn>arn:aws:iam::1:user/u%d</Arn><Path>/</Path><UserId>ID%d</UserId>"
                  "</member></Users><IsTruncated>%s</IsTruncated>%s</ListUsersResult>"
                  "</ListUsersResponse>",
                  page, page, page, second ? "false" : "true",
                  second ? "" : "<Marker>m+1</Marker>");
}

static void s_stub_complete(struct s_stub *st, const struct fv_buf *body, struct fv_buf *out)
{
    int n = atomic_fetch_add(&st->completes, 1);
    int parts = atomic_load(&st->parts);
    pthread_mutex_lock(&st->mu);
    for (int i = 1; i <= parts && i < 8; i++) {
        char want[160];
        snprintf(want, sizeof(want),
                 "<Part><PartNumber>%d</PartNumber><ETag>&quot;etag-%d&quot;</ETag>"
                 "<ChecksumSHA256>%s</ChecksumSHA256></Part>",
                 i, i, st->part_b64[i]);
        if (!strstr(fv_buf_str(body), want))
            atomic_fetch_add(&st->bad_completes, 1);
    }
    pthread_mutex_unlock(&st->mu);
    const char *error = NULL;
    if (st->complete_mode == S_COMPLETE_ERROR_ALWAYS ||
        (st->complete_mode == S_COMPLETE_ERROR_ONCE && n == 0))
        error = "InternalError";
    else if (st->complete_mode == S_COMPLETE_ERROR_FATAL)
        error = "InvalidPart";
    if (error)
        fv_buf_printf(out,
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>%s</Code>"
                      "<Message>We encountered an internal error. Please try again.</Message>"
                      "<RequestId>R1</RequestId></Error>",
                      error);
    else
        fv_buf_append_str(out, "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                               "<ETag>&quot;whole-2&quot;</ETag></CompleteMultipartUploadResult>");
}

static enum MHD_Result s_stub_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    (void)url;
    (void)version;
    struct s_stub *st = cls;
    struct fv_buf *body = *con_cls;
    if (!body) {
        *con_cls = fv_calloc(1, sizeof(*body));
        return MHD_YES;
    }
    if (*upload_data_size) {
        fv_buf_append(body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct fv_buf out = {0};
    unsigned int status = 200;
    char etag[32] = "";
    const char *target = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Target");
    const char *upload_id = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "uploadId");
    if (target && strstr(target, ".ListBackups")) {
        s_stub_list_backups(st, body, &out);
    } else if (strcmp(method, "POST") == 0 && strstr(fv_buf_str(body), "Action=ListUsers")) {
        s_stub_list_users(st, body, &out);
    } else if (strcmp(method, "POST") == 0 && !upload_id) {
        atomic_fetch_add(&st->creates, 1);
        const char *alg =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-amz-checksum-algorithm");
        if (!alg || strcmp(alg, "SHA256") != 0)
            atomic_fetch_add(&st->bad_checksums, 1);
        fv_buf_append_str(&out, "<InitiateMultipartUploadResult><UploadId>up/1+x</UploadId>"
                                "</InitiateMultipartUploadResult>");
    } else if (strcmp(method, "PUT") == 0 && upload_id) {
        const char *pn = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "partNumber");
        const char *sent =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-amz-checksum-sha256");
        int64_t part = 0;
        char b64[45];
        s_b64_sha256(body->ptr ? body->ptr : "", body->len, b64);
        if (!pn || !fv_parse_i64(pn, &part) || part < 1 || part > 7 || !sent ||
            strcmp(sent, b64) != 0 || strcmp(upload_id, "up/1+x") != 0) {
            atomic_fetch_add(&st->bad_checksums, 1);
        } else {
            pthread_mutex_lock(&st->mu);
            memcpy(st->part_b64[part], b64, sizeof(b64));
            pthread_mutex_unlock(&st->mu);
        }
        atomic_fetch_add(&st->parts, 1);
        snprintf(etag, sizeof(etag), "\"etag-%d\"", (int)part);
    } else if (strcmp(method, "POST") == 0 && upload_id) {
        s_stub_complete(st, body, &out);
    } else if (strcmp(method, "DELETE") == 0 && upload_id) {
        atomic_fetch_add(&st->aborts, 1);
        status = 204;
    } else {
        status = 400;
        fv_buf_append_str(&out, "<Error><Code>BadRequest</Code></Error>");
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        out.len, out.ptr ? out.ptr : (char *)"", MHD_RESPMEM_MUST_COPY);
    if (etag[0])
        MHD_add_response_header(resp, "ETag", etag);
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    fv_buf_clean_up(&out);
    return r;
}

static void s_stub_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                             enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct fv_buf *body = *con_cls;
    fv_buf_clean_up(body);
    free(body);
    *con_cls = NULL;
}

static void s_stub_start(struct s_stub *st, enum s_complete_mode mode)
{
    memset(st, 0, sizeof(*st));
    pthread_mutex_init(&st->mu, NULL);
    st->complete_mode = mode;
    st->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, s_stub_handler, st,
                             MHD_OPTION_NOTIFY_COMPLETED, s_stub_completed, NULL, MHD_OPTION_END);
    assert_non_null(st->d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(st->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(st->url, sizeof(st->url), "http://127.0.0.1:%u", (unsigned)info->port);
}

static void s_stub_stop(struct s_stub *st)
{
    MHD_stop_daemon(st->d);
    pthread_mutex_destroy(&st->mu);
}

static const char *s_stub_getenv(void *ud, const char *name)
{
    return strcmp(name, "AWS_ENDPOINT_URL") == 0 ? ((struct s_stub *)ud)->url : NULL;
}

static struct fv_aws_client *s_stub_client(struct s_stub *st)
{
    struct fv_credentials cr = {.access_key_id = "AKIASTUB", .secret_access_key = "stub"};
    struct fv_creds_provider *p = fv_creds_static(&cr);
    struct fv_aws_client_options o = {
        .region = "us-east-1", .creds = p, .getenv = s_stub_getenv, .getenv_ud = st};
    struct fv_error err;
    struct fv_aws_client *c = fv_aws_client_new(&o, &err);
    fv_creds_unref(p);
    assert_non_null(c);
    return c;
}

static void test_stub_paging(void **state)
{
    (void)state;
    struct s_stub st;
    s_stub_start(&st, S_COMPLETE_OK);
    struct fv_aws_client *c = s_stub_client(&st);
    struct fv_error err;

    struct fv_dynamodb_backups l = {0};
    S_CHECK(fv_dynamodb_list_backups(c, NULL, &l, &err), err);
    assert_int_equal(l.n, 120);
    assert_int_equal(l.pages, 2);
    assert_null(l.next);
    assert_string_equal(l.items[119].arn, "arn:b/119");
    assert_string_equal(l.items[3].table_name, "t3");
    assert_int_equal(l.items[3].created_ms, 1795280900325LL);
    assert_int_equal(l.items[3].size_bytes, 12);
    fv_dynamodb_backups_clean_up(&l);

    struct fv_iam_principals users = {0};
    S_CHECK(fv_iam_list_users(c, NULL, &users, &err), err);
    assert_int_equal(users.n, 2);
    assert_int_equal(users.pages, 2);
    assert_string_equal(users.items[1].name, "u1");
    fv_iam_principals_clean_up(&users);
    assert_int_equal(atomic_load(&st.page_errors), 0);

    fv_aws_client_destroy(c);
    s_stub_stop(&st);
}

/* Uploads 11 MiB in 5 MiB parts to the stub. */
static fv_status s_stub_upload(struct fv_aws_client *c, struct fv_s3_upload_result *res,
                               struct fv_error *err)
{
    struct s_gen g;
    s_gen_init(&g, 3, 11 * S_MIB);
    struct fv_s3_upload up = {.bucket = "b",
                              .key = "k",
                              .read = s_gen_read,
                              .read_ud = &g,
                              .part_size = 5 * S_MIB,
                              .parts_in_flight = 2};
    return fv_s3_upload(c, &up, res, err);
}

static void test_stub_multipart_checksums_and_complete_errors(void **state)
{
    (void)state;
    struct s_stub st;
    struct fv_s3_upload_result res;
    struct fv_error err;

    /* Every part's checksum, checked on arrival and listed in Complete. */
    s_stub_start(&st, S_COMPLETE_OK);
    struct fv_aws_client *c = s_stub_client(&st);
    S_CHECK(s_stub_upload(c, &res, &err), err);
    assert_string_equal(res.etag, "\"whole-2\"");
    assert_int_equal(res.parts, 3);
    assert_int_equal(atomic_load(&st.parts), 3);
    assert_int_equal(atomic_load(&st.bad_checksums), 0);
    assert_int_equal(atomic_load(&st.bad_completes), 0);
    assert_int_equal(atomic_load(&st.aborts), 0);
    fv_s3_upload_result_clean_up(&res);
    fv_aws_client_destroy(c);
    s_stub_stop(&st);

    /* A 200 with an <Error> once: Complete is sent again. */
    s_stub_start(&st, S_COMPLETE_ERROR_ONCE);
    c = s_stub_client(&st);
    S_CHECK(s_stub_upload(c, &res, &err), err);
    assert_int_equal(atomic_load(&st.completes), 2);
    assert_int_equal(atomic_load(&st.aborts), 0);
    fv_s3_upload_result_clean_up(&res);
    fv_aws_client_destroy(c);
    s_stub_stop(&st);

    /* Every time: an error after 3 tries, and the upload aborted. */
    s_stub_start(&st, S_COMPLETE_ERROR_ALWAYS);
    c = s_stub_client(&st);
    assert_int_equal(s_stub_upload(c, &res, &err), FV_E_AWS);
    assert_string_equal(err.code, "InternalError");
    assert_int_equal(err.http_status, 200);
    assert_non_null(strstr(err.message, "in a 200 response"));
    assert_null(res.etag);
    assert_int_equal(atomic_load(&st.completes), 3);
    assert_int_equal(atomic_load(&st.aborts), 1);
    fv_s3_upload_result_clean_up(&res);
    fv_aws_client_destroy(c);
    s_stub_stop(&st);

    /* Not retryable: one try, aborted. */
    s_stub_start(&st, S_COMPLETE_ERROR_FATAL);
    c = s_stub_client(&st);
    assert_int_equal(s_stub_upload(c, &res, &err), FV_E_AWS);
    assert_string_equal(err.code, "InvalidPart");
    assert_int_equal(atomic_load(&st.completes), 1);
    assert_int_equal(atomic_load(&st.aborts), 1);
    fv_s3_upload_result_clean_up(&res);
    fv_aws_client_destroy(c);
    s_stub_stop(&st);
}

int main(void)
{
    if (!getenv("AWS_ENDPOINT_URL") || !getenv("FV_WORLD_URL")) {
        fprintf(stderr, "test_services: run through tests/integration/with-world\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ddb_tables),
        cmocka_unit_test(test_ddb_conditional_writes),
        cmocka_unit_test(test_ddb_batch_write_query_scan),
        cmocka_unit_test(test_ddb_backups),
        cmocka_unit_test(test_ddb_member_pitr),
        cmocka_unit_test(test_ddb_cross_account),
        cmocka_unit_test(test_iam_inventory),
        cmocka_unit_test(test_iam_inline_policies),
        cmocka_unit_test(test_tagging),
        cmocka_unit_test(test_logs),
        cmocka_unit_test(test_sns),
        cmocka_unit_test(test_s3_small_put_head_get),
        cmocka_unit_test(test_s3_streaming_upload),
        cmocka_unit_test(test_s3_async_uploads),
        cmocka_unit_test(test_s3_failed_upload_leaves_nothing),
        cmocka_unit_test(test_s3_get_retries),
        cmocka_unit_test(test_s3_awkward_keys_and_listing),
        cmocka_unit_test(test_stub_paging),
        cmocka_unit_test(test_stub_multipart_checksums_and_complete_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

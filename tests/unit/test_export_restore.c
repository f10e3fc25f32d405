/* Restore and verify from DynamoDB exports (lib/restore/restore_exports.c)
 * against an in-memory S3 bucket and target table behind the
 * fv_restore_aws seam, with a fake clock: the table at each --to (window
 * boundaries and between them), the target made with the source's schema,
 * bounded reads, the refusals (a non-empty target, a time before the chain,
 * two tables under one prefix, no source), UnprocessedItems retried,
 * verify's findings. The pure parts: test_export_chain.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/export_restore.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define T0 INT64_C(1796300000000) /* a full export's time, ms */
#define W INT64_C(900000)         /* a 15-minute window */

/* --- gzip and the fake world --- */

static void s_gzip(const char *in, size_t n, struct fv_buf *out)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, n);
    size_t at = out->len;
    fv_buf_append(out, NULL, 0);
    out->ptr = fv_realloc(out->ptr, at + cap);
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (unsigned char *)out->ptr + at;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    out->len = at + (cap - z.avail_out);
    out->cap = at + cap;
    deflateEnd(&z);
}

#define S_MAX_OBJ 64
struct s_world {
    char *keys[S_MAX_OBJ];
    struct fv_buf bodies[S_MAX_OBJ];
    size_t n_obj;
    uint64_t max_range; /* the largest range asked for */
    size_t gets;
    bool target_exists;
    char *target_name;
    struct json_object *target;  /* key string -> item */
    struct json_object *created; /* the CreateTable request */
    int unprocessed_left;        /* answers that hand back all but one request */
    int64_t slept_ms;
    int batches;
    bool source_gone;
    bool stuck; /* unprocessed answers write nothing */
};

static void s_put(struct s_world *w, const char *key, const char *body, size_t n)
{
    assert_true(w->n_obj < S_MAX_OBJ);
    w->keys[w->n_obj] = fv_strdup(key);
    fv_buf_append(&w->bodies[w->n_obj], body, n);
    w->n_obj++;
}

static void s_world_clean_up(struct s_world *w)
{
    for (size_t i = 0; i < w->n_obj; i++) {
        free(w->keys[i]);
        fv_buf_clean_up(&w->bodies[i]);
    }
    free(w->target_name);
    json_object_put(w->target);
    json_object_put(w->created);
}

static fv_status s_get_range(void *ud, const char *bucket, const char *key, uint64_t first,
                             uint64_t last, fv_s3_write_fn *write, void *write_ud,
                             struct fv_s3_get_result *out, struct fv_error *err)
{
    struct s_world *w = ud;
    (void)out;
    assert_string_equal(bucket, "central-exports");
    for (size_t i = 0; i < w->n_obj; i++) {
        if (strcmp(w->keys[i], key) != 0)
            continue;
        w->gets++;
        uint64_t size = w->bodies[i].len;
        uint64_t end = last == UINT64_MAX || last >= size ? size : last + 1;
        if (last != UINT64_MAX && end - first > w->max_range)
            w->max_range = end - first;
        /* delivered in odd pieces, as a transfer would */
        for (uint64_t at = first; at < end;) {
            uint64_t n = end - at < 1777 ? end - at : 1777;
            fv_status st = write(write_ud, w->bodies[i].ptr + at, n, err);
            if (st != FV_OK)
                return st;
            at += n;
        }
        return FV_OK;
    }
    return fv_error_set(err, FV_E_NOTFOUND, "NoSuchKey");
}

static fv_status s_list(void *ud, const char *bucket, const struct fv_s3_list *req,
                        const char *token, struct fv_s3_objects *out, struct fv_error *err)
{
    struct s_world *w = ud;
    (void)bucket, (void)err;
    /* two keys a page, to exercise paging */
    size_t start = token ? (size_t)atoi(token) : 0, added = 0, i;
    for (i = start; i < w->n_obj && added < 2; i++) {
        if (!fv_str_starts_with(w->keys[i], req->prefix))
            continue;
        out->items = fv_realloc(out->items, (out->n + 1) * sizeof(*out->items));
        out->items[out->n++] =
            (struct fv_s3_object){.key = fv_strdup(w->keys[i]), .size = w->bodies[i].len};
        added++;
    }
    if (i < w->n_obj) {
        char t[24];
        snprintf(t, sizeof(t), "%zu", i);
        out->next = fv_strdup(t);
    }
    return FV_OK;
}

static fv_status s_describe_raw(void *ud, const char *account, const char *region,
                                const char *table, struct json_object **desc, struct fv_error *err)
{
    struct s_world *w = ud;
    assert_string_equal(account, "111111111111");
    assert_string_equal(region, "us-east-1");
    *desc = NULL;
    if (strcmp(table, "orders") == 0 && !w->source_gone) {
        *desc = json_tokener_parse(
            "{\"TableName\":\"orders\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"
            "\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
            "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
            "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"},"
            "{\"AttributeName\":\"gsi\",\"AttributeType\":\"S\"},"
            "{\"AttributeName\":\"unused\",\"AttributeType\":\"S\"}],"
            "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"by-gsi\",\"KeySchema\":[{"
            "\"AttributeName\":\"gsi\",\"KeyType\":\"HASH\"}],\"Projection\":{"
            "\"ProjectionType\":\"ALL\"},\"IndexStatus\":\"ACTIVE\",\"ItemCount\":3}]}");
        return FV_OK;
    }
    if (w->target_exists && strcmp(table, w->target_name) == 0) {
        *desc = json_object_new_object();
        return FV_OK;
    }
    return fv_error_set(err, FV_E_NOTFOUND, "Requested resource not found");
}

static fv_status s_describe(void *ud, const char *account, const char *region, const char *table,
                            struct fv_dynamodb_table *out, struct fv_error *err)
{
    struct s_world *w = ud;
    (void)account, (void)region;
    memset(out, 0, sizeof(*out));
    if (!w->target_exists || strcmp(table, w->target_name) != 0)
        return fv_error_set(err, FV_E_NOTFOUND, "Requested resource not found");
    out->name = fv_strdup(table);
    out->status = fv_strdup("ACTIVE");
    return FV_OK;
}

static fv_status s_create(void *ud, const char *account, const char *region,
                          struct json_object *request, struct fv_error *err)
{
    struct s_world *w = ud;
    (void)account, (void)region, (void)err;
    w->created = json_object_get(request);
    w->target_exists = true;
    return FV_OK;
}

static fv_status s_read_page(void *ud, const char *account, const char *region,
                             const struct fv_dynamodb_read *req, const char *start_key,
                             struct fv_dynamodb_page *out, struct fv_error *err)
{
    struct s_world *w = ud;
    (void)account, (void)region, (void)start_key, (void)err;
    assert_string_equal(req->table, w->target_name);
    memset(out, 0, sizeof(*out));
    out->items = json_object_new_array();
    json_object_object_foreach(w->target, k, v)
    {
        (void)k;
        json_object_array_add(out->items, json_object_get(v));
        break;
    }
    return FV_OK;
}

static char *s_key_of(struct json_object *item)
{
    struct json_object *pk, *sk;
    json_object_object_get_ex(item, "pk", &pk);
    json_object_object_get_ex(item, "sk", &sk);
    struct fv_buf b = {0};
    fv_buf_printf(&b, "%s|%s", json_object_to_json_string(pk), json_object_to_json_string(sk));
    return fv_buf_detach(&b);
}

static fv_status s_batch(void *ud, const char *account, const char *region,
                         struct json_object *items, struct json_object **unprocessed,
                         struct fv_error *err)
{
    struct s_world *w = ud;
    (void)account, (void)region, (void)err;
    *unprocessed = NULL;
    w->batches++;
    struct json_object *reqs;
    assert_true(json_object_object_get_ex(items, w->target_name, &reqs));
    size_t n = json_object_array_length(reqs);
    assert_true(n >= 1 && n <= 25);
    size_t done = w->unprocessed_left > 0 ? (w->stuck ? 0 : 1) : n;
    if (w->unprocessed_left > 0)
        w->unprocessed_left--;
    for (size_t i = 0; i < done; i++) {
        struct json_object *r = json_object_array_get_idx(reqs, i), *inner, *item;
        if (json_object_object_get_ex(r, "PutRequest", &inner)) {
            json_object_object_get_ex(inner, "Item", &item);
            char *k = s_key_of(item);
            json_object_object_add(w->target, k, json_object_get(item));
            free(k);
        } else {
            assert_true(json_object_object_get_ex(r, "DeleteRequest", &inner));
            json_object_object_get_ex(inner, "Key", &item);
            char *k = s_key_of(item);
            json_object_object_del(w->target, k);
            free(k);
        }
    }
    if (done < n) {
        struct json_object *rest = json_object_new_array();
        for (size_t i = done; i < n; i++)
            json_object_array_add(rest, json_object_get(json_object_array_get_idx(reqs, i)));
        *unprocessed = json_object_new_object();
        json_object_object_add(*unprocessed, w->target_name, rest);
    }
    return FV_OK;
}

static int64_t s_now(void *ud)
{
    (void)ud;
    return T0;
}

static void s_sleep(void *ud, int64_t ms)
{
    ((struct s_world *)ud)->slept_ms += ms;
}

static struct fv_restore_aws s_aws(struct s_world *w)
{
    return (struct fv_restore_aws){.ud = w,
                                   .get_object_range = s_get_range,
                                   .list_objects_page = s_list,
                                   .describe_table_raw = s_describe_raw,
                                   .describe_table = s_describe,
                                   .create_table = s_create,
                                   .read_page = s_read_page,
                                   .batch_write = s_batch};
}

static void s_iso(int64_t ms, char *out, size_t n)
{
    char s[21];
    fv_time_iso8601(ms / 1000, s);
    snprintf(out, n, "%.19s.%03dZ", s, (int)(ms % 1000));
}

/* One export as the world writes it: summary, files manifest, one gzip'd
 * data file of the given lines. */
static void s_export(struct s_world *w, const char *id, bool incremental, int64_t from, int64_t to,
                     const char *lines, const char *table)
{
    char base[128], key[256], t1[32], t2[32];
    snprintf(base, sizeof(base), "tables/orders/AWSDynamoDB/%s", id);
    struct fv_buf gz = {0}, doc = {0};
    s_gzip(lines, strlen(lines), &gz);
    unsigned char md[16];
    unsigned int md_len;
    EVP_Digest(gz.ptr, gz.len, md, &md_len, EVP_md5(), NULL);
    char b64[32], hex[33];
    EVP_EncodeBlock((unsigned char *)b64, md, 16);
    fv_hex_encode(md, 16, hex);
    size_t n_lines = 0;
    for (const char *p = lines; *p; p++)
        n_lines += *p == '\n';
    snprintf(key, sizeof(key), "%s/data/%s.json.gz", base, id);
    s_put(w, key, gz.ptr, gz.len);
    fv_buf_printf(&doc,
                  "{\"itemCount\":%zu,\"md5Checksum\":\"%s\",\"etag\":\"%s\",\"dataFileS3Key\":"
                  "\"%s\"}\n",
                  n_lines, b64, hex, key);
    snprintf(key, sizeof(key), "%s/manifest-files.json", base);
    s_put(w, key, doc.ptr, doc.len);
    fv_buf_reset(&doc);
    s_iso(from, t1, sizeof(t1));
    s_iso(to, t2, sizeof(t2));
    fv_buf_printf(&doc,
                  "{\"exportArn\":\"arn:aws:dynamodb:us-east-1:111111111111:table/%s/export/%s\","
                  "\"tableArn\":\"arn:aws:dynamodb:us-east-1:111111111111:table/%s\","
                  "\"manifestFilesS3Key\":\"%s/manifest-files.json\",\"itemCount\":%zu,"
                  "\"outputFormat\":\"DYNAMODB_JSON\",\"exportType\":\"%s\",\"exportTime\":\"%s\"",
                  table, id, table, base, n_lines,
                  incremental ? "INCREMENTAL_EXPORT" : "FULL_EXPORT", incremental ? t2 : t1);
    if (incremental)
        fv_buf_printf(&doc, ",\"exportFromTime\":\"%s\",\"exportToTime\":\"%s\"", t1, t2);
    fv_buf_append_str(&doc, "}");
    snprintf(key, sizeof(key), "%s/manifest-summary.json", base);
    s_put(w, key, doc.ptr, doc.len);
    fv_buf_clean_up(&gz);
    fv_buf_clean_up(&doc);
}

#define ITEM(k, v) "{\"pk\":{\"S\":\"" k "\"},\"sk\":{\"N\":\"1\"},\"v\":{\"N\":\"" v "\"}}"
#define KEY(k) "{\"pk\":{\"S\":\"" k "\"},\"sk\":{\"N\":\"1\"}}"
#define META "\"Metadata\":{\"WriteTimestampMicros\":{\"N\":\"1\"}},"

/* full at T0 {a1 b1 c1}; [T0,T0+W): a2, -b, d1; [T0+W,T0+2W): -a, e1;
 * [T0+2W,T0+3W): c3. Stored out of order. */
static void s_chain(struct s_world *w)
{
    s_export(w, "0003-inc", true, T0 + W, T0 + 2 * W,
             "{" META
             "\"Keys\":" KEY("a") "}\n"
                                  "{" META
                                  "\"Keys\":" KEY("e") ",\"NewImage\":" ITEM("e", "1") "}\n",
             "orders");
    s_export(w, "0001-full", false, T0, 0,
             "{\"Item\":" ITEM("a", "1") "}\n{\"Item\":" ITEM("b", "1") "}\n{\"Item\":" ITEM(
                 "c", "1") "}\n",
             "orders");
    s_export(w, "0004-inc", true, T0 + 2 * W, T0 + 3 * W,
             "{" META "\"Keys\":" KEY("c") ",\"NewImage\":" ITEM("c", "3") ",\"OldImage\":" ITEM(
                 "c", "1") "}\n",
             "orders");
    s_export(w, "0002-inc", true, T0, T0 + W,
             "{" META "\"Keys\":" KEY("a") ",\"NewImage\":" ITEM("a", "2") ",\"OldImage\":" ITEM(
                 "a", "1") "}\n"
                           "{" META "\"Keys\":" KEY("b") ",\"OldImage\":" ITEM(
                               "b", "1") "}\n"
                                         "{" META
                                         "\"Keys\":" KEY("d") ",\"NewImage\":" ITEM("d", "1") "}\n",
             "orders");
}

static struct s_world *s_world_new(void)
{
    struct s_world *w = fv_calloc(1, sizeof(*w));
    w->target = json_object_new_object();
    w->target_name = fv_strdup("orders-restored");
    return w;
}

static void s_world_free(struct s_world *w)
{
    s_world_clean_up(w);
    free(w);
}

/* The target as "a=2 c=1 d=1" (keys in order). */
static void s_target_is(struct s_world *w, const char *want)
{
    char got[256] = "";
    for (char k = 'a'; k <= 'z'; k++) {
        char key[64];
        snprintf(key, sizeof(key), "{ \"S\": \"%c\" }|{ \"N\": \"1\" }", k);
        struct json_object *item, *v, *n;
        if (!json_object_object_get_ex(w->target, key, &item))
            continue;
        json_object_object_get_ex(item, "v", &v);
        json_object_object_get_ex(v, "N", &n);
        size_t at = strlen(got);
        snprintf(got + at, sizeof(got) - at, "%s%c=%s", at ? " " : "", k,
                 json_object_get_string(n));
    }
    assert_string_equal(got, want);
}

static fv_status s_restore(struct s_world *w, int64_t to_ms, bool overwrite,
                           struct fv_export_restore_result *res, struct fv_error *err)
{
    struct fv_clock clock = {.now_ms = s_now, .mono_ms = s_now, .sleep_ms = s_sleep, .ud = w};
    struct fv_export_restore req = {.bucket = "central-exports",
                                    .prefix = "tables/orders",
                                    .target_table = w->target_name,
                                    .to_ms = to_ms,
                                    .overwrite = overwrite,
                                    .clock = &clock};
    struct fv_restore_aws aws = s_aws(w);
    return fv_export_restore_run(&aws, &req, res, err);
}

static void test_restore_to_each_window_boundary(void **state)
{
    (void)state;
    static const struct {
        int64_t to;
        int64_t reached;
        size_t exports;
        const char *want;
    } cases[] = {
        {T0, T0, 1, "a=1 b=1 c=1"},
        {T0 + W - 1, T0, 1, "a=1 b=1 c=1"}, /* inside the first window: not applied */
        {T0 + W, T0 + W, 2, "a=2 c=1 d=1"}, /* exactly its end: applied */
        {T0 + 2 * W - 1, T0 + W, 2, "a=2 c=1 d=1"},
        {T0 + 2 * W, T0 + 2 * W, 3, "c=1 d=1 e=1"},
        {0, T0 + 3 * W, 4, "c=3 d=1 e=1"}, /* no --to: the newest */
        {T0 + 9 * W, T0 + 3 * W, 4, "c=3 d=1 e=1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct s_world *w = s_world_new();
        s_chain(w);
        struct fv_export_restore_result res;
        struct fv_error err = {0};
        fv_status st = s_restore(w, cases[i].to, false, &res, &err);
        if (st != FV_OK)
            fail_msg("case %zu: %s", i, err.message);
        assert_int_equal(res.reached_ms, cases[i].reached);
        assert_int_equal(res.exports, cases[i].exports);
        s_target_is(w, cases[i].want);
        assert_string_equal(res.account, "111111111111");
        /* created with the source's key schema and index, only the attributes they use defined */
        assert_non_null(w->created);
        assert_string_equal(
            json_object_to_json_string_ext(w->created, JSON_C_TO_STRING_PLAIN),
            "{\"TableName\":\"orders-restored\",\"KeySchema\":[{\"AttributeName\":\"pk\","
            "\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
            "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"by-gsi\",\"KeySchema\":[{"
            "\"AttributeName\":\"gsi\",\"KeyType\":\"HASH\"}],\"Projection\":{"
            "\"ProjectionType\":\"ALL\"}}],"
            "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},{"
            "\"AttributeName\":\"sk\",\"AttributeType\":\"N\"},{\"AttributeName\":\"gsi\","
            "\"AttributeType\":\"S\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}");
        fv_export_restore_result_clean_up(&res);
        s_world_free(w);
    }
}

static void test_a_time_before_the_first_full_export_is_refused(void **state)
{
    (void)state;
    struct s_world *w = s_world_new();
    s_chain(w);
    struct fv_export_restore_result res;
    struct fv_error err = {0};
    assert_int_equal(s_restore(w, T0 - 1, false, &res, &err), FV_E_NOTFOUND);
    assert_non_null(strstr(err.message, "s3://central-exports/tables/orders"));
    assert_null(w->created); /* nothing made, nothing written */
    assert_int_equal(w->batches, 0);
    fv_export_restore_result_clean_up(&res);
    s_world_free(w);
}

static void test_a_prefix_of_two_tables_is_refused(void **state)
{
    (void)state;
    struct s_world *w = s_world_new();
    s_chain(w);
    s_export(w, "0009-full", false, T0 + 9 * W, 0, "{\"Item\":" ITEM("q", "1") "}\n", "invoices");
    struct fv_export_restore_result res;
    struct fv_error err = {0};
    assert_int_equal(s_restore(w, 0, false, &res, &err), FV_E_INVALID);
    assert_non_null(strstr(err.message, "more than one table"));
    assert_null(w->created);
    assert_int_equal(w->batches, 0);
    fv_export_restore_result_clean_up(&res);
    s_world_free(w);
}

static void test_a_non_empty_target_needs_overwrite(void **state)
{
    (void)state;
    struct s_world *w = s_world_new();
    s_chain(w);
    w->target_exists = true;
    json_object_object_add(w->target, "{ \"S\": \"z\" }|{ \"N\": \"1\" }",
                           json_tokener_parse(ITEM("z", "9")));
    struct fv_export_restore_result res;
    struct fv_error err = {0};
    assert_int_equal(s_restore(w, 0, false, &res, &err), FV_E_INVALID);
    assert_non_null(strstr(err.message, "orders-restored"));
    assert_non_null(strstr(err.message, "--overwrite"));
    assert_int_equal(w->batches, 0);
    fv_export_restore_result_clean_up(&res);
    /* with --overwrite: written into it, the table not created again */
    assert_int_equal(s_restore(w, 0, true, &res, &err), FV_OK);
    s_target_is(w, "c=3 d=1 e=1 z=9");
    assert_null(w->created);
    fv_export_restore_result_clean_up(&res);
    s_world_free(w);
}

static void test_a_missing_source_names_what_to_do(void **state)
{
    (void)state;
    struct s_world *w = s_world_new();
    s_chain(w);
    w->source_gone = true;
    struct fv_export_restore_result res;
    struct fv_error err = {0};
    assert_int_equal(s_restore(w, 0, false, &res, &err), FV_E_NOTFOUND);
    assert_non_null(strstr(err.message, "source table orders"));
    assert_non_null(strstr(err.message, "no schema object s3://central-exports/tables/orders/"
                                        "AWSDynamoDB/0001-full/fleetvault-table.json"));
    assert_null(strchr(err.message, '\n'));
    assert_null(w->created);
    fv_export_restore_result_clean_up(&res);
    s_world_free(w);
}

/* The schema object the worker wrote beside the full export (here with a
 * range key, a GSI and an LSI). */
#define SCHEMA                                                                                     \
    "{\"fleetvault\":\"table-schema/1\",\"TableName\":\"orders\",\"KeySchema\":[{"                 \
    "\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":"        \
    "\"RANGE\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"    \
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"},{\"AttributeName\":\"g\","                 \
    "\"AttributeType\":\"S\"},{\"AttributeName\":\"l\",\"AttributeType\":\"N\"}],"                 \
    "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"by-g\",\"KeySchema\":[{\"AttributeName\":"       \
    "\"g\",\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":\"KEYS_ONLY\"}}],"            \
    "\"LocalSecondaryIndexes\":[{\"IndexName\":\"by-l\",\"KeySchema\":[{\"AttributeName\":"        \
    "\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"l\",\"KeyType\":\"RANGE\"}],"               \
    "\"Projection\":{\"ProjectionType\":\"ALL\"}}],\"BillingMode\":\"PROVISIONED\"}"
#define SCHEMA_KEY "tables/orders/AWSDynamoDB/0001-full/fleetvault-table.json"

static const char *s_index_name(struct json_object *req, const char *kind)
{
    struct json_object *arr, *name;
    if (!json_object_object_get_ex(req, kind, &arr) || json_object_array_length(arr) != 1 ||
        !json_object_object_get_ex(json_object_array_get_idx(arr, 0), "IndexName", &name))
        return NULL;
    return json_object_get_string(name);
}

/* The source table (or its account) is gone: the target is made from the
 * schema object beside the chain's full export, and the items restored;
 * with the source still there, the schema object still wins (it is the
 * schema at the export, the source may have changed since). */
static void test_a_gone_source_is_made_from_the_schema_object(void **state)
{
    (void)state;
    for (int gone = 1; gone >= 0; gone--) {
        struct s_world *w = s_world_new();
        s_chain(w);
        s_put(w, SCHEMA_KEY, SCHEMA, strlen(SCHEMA));
        w->source_gone = gone;
        struct fv_export_restore_result res;
        struct fv_error err = {0};
        assert_int_equal(s_restore(w, 0, false, &res, &err), FV_OK);
        s_target_is(w, "c=3 d=1 e=1");
        assert_non_null(w->created);
        assert_string_equal(json_object_get_string(json_object_object_get(w->created, "TableName")),
                            "orders-restored");
        struct json_object *ks = json_object_object_get(w->created, "KeySchema");
        assert_int_equal(json_object_array_length(ks), 2);
        assert_string_equal(s_index_name(w->created, "GlobalSecondaryIndexes"), "by-g");
        assert_string_equal(s_index_name(w->created, "LocalSecondaryIndexes"), "by-l");
        assert_int_equal(
            json_object_array_length(json_object_object_get(w->created, "AttributeDefinitions")),
            4);
        /* on demand, whatever the source's mode (no capacity to guess) */
        assert_string_equal(
            json_object_get_string(json_object_object_get(w->created, "BillingMode")),
            "PAY_PER_REQUEST");
        json_object_put(w->created);
        w->created = NULL;
        fv_export_restore_result_clean_up(&res);
        s_world_free(w);
    }
}

static void test_unprocessed_items_are_sent_again_after_a_backoff(void **state)
{
    (void)state;
    struct s_world *w = s_world_new();
    s_chain(w);
    w->unprocessed_left = 2; /* the full export's 3 items go one by one */
    struct fv_export_restore_result res;
    struct fv_error err = {0};
    assert_int_equal(s_restore(w, T0, false, &res, &err), FV_OK);
    s_target_is(w, "a=1 b=1 c=1");
    assert_int_equal(w->batches, 3);
    assert_int_equal(w->slept_ms, 50 + 100); /* on the injected clock */
    fv_export_restore_result_clean_up(&res);
    /* never done: a retryable error naming the table, no endless loop */
    struct s_world *w2 = s_world_new();
    s_chain(w2);
    w2->unprocessed_left = 1000;
    w2->stuck = true;
    assert_int_equal(s_restore(w2, T0, false, &res, &err), FV_E_TIMEOUT);
    assert_true(err.retryable);
    assert_non_null(strstr(err.message, "orders-restored"));
    fv_export_restore_result_clean_up(&res);
    s_world_free(w2);
    s_world_free(w);
}

static void test_a_large_file_is_read_in_bounded_ranges(void **state)
{
    (void)state;
    struct s_world *w = s_world_new();
    /* ~6000 items that compress badly: several ranges, 240 batches */
    struct fv_buf lines = {0};
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 6000; i++) {
        fv_buf_printf(
            &lines, "{\"Item\":{\"pk\":{\"S\":\"k%05d\"},\"sk\":{\"N\":\"1\"},\"r\":{\"S\":\"", i);
        for (int j = 0; j < 12; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            fv_buf_printf(&lines, "%016llx", (unsigned long long)x);
        }
        fv_buf_append_str(&lines, "\"}}}\n");
    }
    s_export(w, "0001-full", false, T0, 0, fv_buf_str(&lines), "orders");
    fv_buf_clean_up(&lines);
    assert_true(w->bodies[0].len > 2 * FV_EXPORT_RANGE);
    struct fv_export_restore_result res;
    struct fv_error err = {0};
    assert_int_equal(s_restore(w, 0, false, &res, &err), FV_OK);
    assert_int_equal(res.puts, 6000);
    assert_int_equal(json_object_object_length(w->target), 6000);
    assert_int_equal(w->batches, 240);
    assert_true(w->max_range <= FV_EXPORT_RANGE);
    fv_export_restore_result_clean_up(&res);
    s_world_free(w);
}

/* --- verify --- */

struct s_lines {
    struct fv_buf all;
};

static void s_report(void *ud, const char *line)
{
    fv_buf_printf(&((struct s_lines *)ud)->all, "%s\n", line);
}

static void test_verify_checks_every_data_file(void **state)
{
    (void)state;
    struct s_world *w = s_world_new();
    s_chain(w);
    struct fv_restore_aws aws = s_aws(w);
    struct fv_export_verify_result res;
    struct s_lines lines = {0};
    struct fv_error err = {0};
    assert_int_equal(fv_export_verify_run(&aws, "central-exports", "tables/orders", s_report,
                                          &lines, &res, &err),
                     FV_OK);
    assert_int_equal(res.exports, 4);
    assert_int_equal(res.files, 4);
    assert_int_equal(res.bad, 0);
    /* no schema object beside the full export: a warning, not a mismatch */
    assert_int_equal(res.warnings, 1);
    assert_string_equal(fv_buf_str(&lines.all),
                        "warning: s3://central-exports/" SCHEMA_KEY
                        ": no table schema beside this full export; a restore from it needs the "
                        "source table to create its target\n");
    fv_buf_reset(&lines.all);
    s_put(w, SCHEMA_KEY, SCHEMA, strlen(SCHEMA));
    assert_int_equal(fv_export_verify_run(&aws, "central-exports", "tables/orders", s_report,
                                          &lines, &res, &err),
                     FV_OK);
    assert_int_equal(res.warnings, 0);
    assert_int_equal(res.bad, 0);
    assert_string_equal(fv_buf_str(&lines.all), "");
    /* one byte of one data file flipped: its MD5 no longer matches */
    for (size_t i = 0; i < w->n_obj; i++)
        if (strstr(w->keys[i], "0002-inc/data/"))
            w->bodies[i].ptr[w->bodies[i].len / 2] ^= 1;
    assert_int_equal(fv_export_verify_run(&aws, "central-exports", "tables/orders", s_report,
                                          &lines, &res, &err),
                     FV_OK);
    assert_int_equal(res.bad, 1);
    assert_non_null(strstr(fv_buf_str(&lines.all),
                           "s3://central-exports/tables/orders/AWSDynamoDB/0002-inc/data/"));
    assert_non_null(strstr(fv_buf_str(&lines.all), "MD5"));
    fv_buf_clean_up(&lines.all);
    s_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_to_each_window_boundary),
        cmocka_unit_test(test_a_time_before_the_first_full_export_is_refused),
        cmocka_unit_test(test_a_prefix_of_two_tables_is_refused),
        cmocka_unit_test(test_a_non_empty_target_needs_overwrite),
        cmocka_unit_test(test_a_missing_source_names_what_to_do),
        cmocka_unit_test(test_a_gone_source_is_made_from_the_schema_object),
        cmocka_unit_test(test_unprocessed_items_are_sent_again_after_a_backoff),
        cmocka_unit_test(test_a_large_file_is_read_in_bounded_ranges),
        cmocka_unit_test(test_verify_checks_every_data_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

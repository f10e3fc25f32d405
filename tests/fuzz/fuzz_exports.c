/* libFuzzer target: what restore and verify read from a DynamoDB export in
 * S3 — manifest-summary.json, a manifest-files.json line, the gzip stream of
 * a data file and its DynamoDB-JSON item lines — and the chain chosen from
 * a set of summaries.
 *
 * Input: byte 0 picks the reader, byte 1 is a parameter (full/incremental,
 * where to split the stream); the rest is the text:
 *   0  manifest-summary.json            1  one manifest-files.json line
 *   2  gzip bytes of a data file        3  item lines (gzip'd here first,
 *                                          so the line reader is reached)
 *   4  summaries separated by "\n--\n", a --to time in byte 1's window
 *   5  a bucket: objects separated by "\n--\n", each "<key>\n<bytes>"
 *      (byte 1 bit 0: the bytes of keys ending ".gz" are gzip'd here
 *      first); verify --exports and restore --from-exports of it run
 *      through an in-memory fv_restore_aws (listing pages of 3, ranges)
 *   6  one Ion text line (lib/restore/ion.c)
 *   7  Ion item lines, gzip'd here first and read as an ION data file
 * Properties: a parsed summary has its ARNs, files key and ordered times;
 * the reader gives the same puts, deletes and status however the stream is
 * split; a chain starts with a full export, continues window by window
 * without reuse and never passes --to; verify counts no more bad files
 * than files, and a restore writes only what its files hold; an Ion line
 * read is DynamoDB JSON (one type per attribute value, N a plain decimal
 * or <digits>E+<n>, B base64, sets non-empty lists of strings), a refused
 * one names its column. */
#include "fuzz_input.h"

#include <fv/export_restore.h>
#include <fv/restore_aws.h>

#include "restore/ion.h"

#include <json-c/json.h>
#include <zlib.h>

static void s_summary(struct fv_cur in)
{
    struct fv_export_summary s;
    struct fv_error err = {0};
    if (fv_export_summary_parse(in, &s, &err) != FV_OK) {
        if (s.export_arn || !err.message[0])
            abort();
        return;
    }
    if (!s.export_arn || !s.table_arn || !s.files_key)
        abort();
    if (s.incremental ? s.from_ms < 0 || s.to_ms <= s.from_ms || s.export_time_ms != s.to_ms
                      : s.export_time_ms < 0)
        abort();
    fv_export_summary_clean_up(&s);
}

static void s_files_line(struct fv_cur in)
{
    struct fv_export_data_file f;
    struct fv_error err = {0};
    if (fv_export_data_file_parse(in, &f, &err) == FV_OK) {
        if (!f.key || !*f.key)
            abort();
        fv_export_data_file_clean_up(&f);
    }
}

static fv_status s_log(void *ud, enum fv_export_op op, struct json_object *item,
                       struct fv_error *err)
{
    (void)err;
    if (!json_object_is_type(item, json_type_object) || json_object_object_length(item) == 0)
        abort();
    fv_buf_printf(ud, "%c%s\n", op == FV_EXPORT_PUT ? '+' : '-',
                  json_object_to_json_string_ext(item, JSON_C_TO_STRING_PLAIN));
    return FV_OK;
}

/* Reads gz whole, then split every `step` bytes: the same ops and status. */
static void s_stream(struct fv_cur gz, bool incremental, bool ion, size_t step)
{
    struct fv_buf log[2] = {{0}, {0}};
    fv_status st[2];
    for (int pass = 0; pass < 2; pass++) {
        struct fv_error err = {0};
        struct fv_export_reader *r = ion ? fv_export_reader_new_ion(incremental, s_log, &log[pass])
                                         : fv_export_reader_new(incremental, s_log, &log[pass]);
        size_t chunk = pass == 0 ? (gz.len ? gz.len : 1) : step;
        st[pass] = FV_OK;
        for (size_t at = 0; st[pass] == FV_OK && at < gz.len; at += chunk)
            st[pass] = fv_export_reader_feed(r, gz.ptr + at,
                                             gz.len - at < chunk ? gz.len - at : chunk, &err);
        if (st[pass] == FV_OK)
            st[pass] = fv_export_reader_finish(r, &err);
        if (st[pass] != FV_OK && st[pass] != FV_E_PARSE)
            abort();
        fv_export_reader_destroy(r);
    }
    if (st[0] != st[1] || log[0].len != log[1].len ||
        (log[0].len && memcmp(log[0].ptr, log[1].ptr, log[0].len) != 0))
        abort();
    fv_buf_clean_up(&log[0]);
    fv_buf_clean_up(&log[1]);
}

static void s_gz(struct fv_cur in, struct fv_buf *out);

static void s_lines(struct fv_cur in, bool incremental, bool ion, size_t step)
{
    struct fv_buf gz = {0};
    s_gz(in, &gz);
    s_stream((struct fv_cur){gz.ptr, gz.len}, incremental, ion, step);
    fv_buf_clean_up(&gz);
}

static void s_chain(struct fv_cur in, uint8_t param)
{
    struct fv_export_summary s[16];
    size_t n = 0;
    while (in.len > 0 && n < 16) {
        struct fv_cur part = fuzz_take(&in, "\n--\n");
        struct fv_error err = {0};
        if (fv_export_summary_parse(part, &s[n], &err) == FV_OK)
            n++;
    }
    size_t idx[16], n_idx = 0;
    int64_t reached = 0, to = param == 0 ? 0 : INT64_C(1796300000000) + (int64_t)param * 450000;
    struct fv_error err = {0};
    if (fv_export_chain_select(s, n, to, idx, &n_idx, &reached, &err) == FV_OK) {
        if (n_idx == 0 || n_idx > n || s[idx[0]].incremental)
            abort();
        int64_t end = s[idx[0]].export_time_ms;
        bool used[16] = {false};
        for (size_t i = 0; i < n_idx; i++) {
            if (idx[i] >= n || used[idx[i]])
                abort();
            used[idx[i]] = true;
            if (i > 0) {
                if (!s[idx[i]].incremental || s[idx[i]].from_ms != end)
                    abort();
                end = s[idx[i]].to_ms;
            }
        }
        if (reached != end || (to > 0 && reached > to))
            abort();
    }
    for (size_t i = 0; i < n; i++)
        fv_export_summary_clean_up(&s[i]);
}

/* --- 5: a bucket behind the restore seam --- */

#define S_MAX_OBJ 16
struct s_bucket {
    char *keys[S_MAX_OBJ];
    struct fv_buf bodies[S_MAX_OBJ];
    size_t n;
    bool target; /* made by CreateTable */
    uint64_t written;
};

static fv_status s_range(void *ud, const char *bucket, const char *key, uint64_t first,
                         uint64_t last, fv_s3_write_fn *write, void *write_ud,
                         struct fv_s3_get_result *out, struct fv_error *err)
{
    struct s_bucket *b = ud;
    (void)bucket, (void)out;
    for (size_t i = 0; i < b->n; i++) {
        if (strcmp(b->keys[i], key) != 0)
            continue;
        if (first >= b->bodies[i].len)
            return fv_error_set(err, FV_E_INVALID, "InvalidRange");
        uint64_t end = last < b->bodies[i].len ? last + 1 : b->bodies[i].len;
        return write(write_ud, b->bodies[i].ptr + first, (size_t)(end - first), err);
    }
    return fv_error_set(err, FV_E_NOTFOUND, "NoSuchKey");
}

static fv_status s_list(void *ud, const char *bucket, const struct fv_s3_list *req,
                        const char *token, struct fv_s3_objects *out, struct fv_error *err)
{
    struct s_bucket *b = ud;
    (void)bucket, (void)err;
    size_t from = token ? (size_t)strtoul(token, NULL, 10) : 0, shown = 0, i = from;
    for (; i < b->n && shown < 3; i++) {
        if (req && req->prefix && strncmp(b->keys[i], req->prefix, strlen(req->prefix)) != 0)
            continue;
        out->items = fv_realloc(out->items, (out->n + 1) * sizeof(*out->items));
        out->items[out->n++] =
            (struct fv_s3_object){.key = fv_strdup(b->keys[i]), .size = b->bodies[i].len};
        shown++;
    }
    out->pages++;
    if (i < b->n) {
        char next[24];
        snprintf(next, sizeof(next), "%zu", i);
        out->next = fv_strdup(next);
    }
    return FV_OK;
}

static fv_status s_describe_raw(void *ud, const char *account, const char *region,
                                const char *table, struct json_object **desc, struct fv_error *err)
{
    struct s_bucket *b = ud;
    (void)account, (void)region;
    *desc = NULL;
    if (strcmp(table, "target") == 0 && !b->target)
        return fv_error_set(err, FV_E_NOTFOUND, "ResourceNotFoundException");
    *desc = json_tokener_parse("{\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"
                               "\"HASH\"}],\"AttributeDefinitions\":[{\"AttributeName\":"
                               "\"pk\",\"AttributeType\":\"S\"}]}");
    return FV_OK;
}

static fv_status s_create(void *ud, const char *account, const char *region,
                          struct json_object *request, struct fv_error *err)
{
    (void)account, (void)region, (void)request, (void)err;
    ((struct s_bucket *)ud)->target = true;
    return FV_OK;
}

static fv_status s_describe(void *ud, const char *account, const char *region, const char *table,
                            struct fv_dynamodb_table *out, struct fv_error *err)
{
    (void)ud, (void)account, (void)region, (void)table, (void)err;
    memset(out, 0, sizeof(*out));
    out->status = fv_strdup("ACTIVE");
    return FV_OK;
}

static fv_status s_batch(void *ud, const char *account, const char *region,
                         struct json_object *items, struct json_object **unprocessed,
                         struct fv_error *err)
{
    struct s_bucket *b = ud;
    (void)account, (void)region, (void)err;
    *unprocessed = NULL;
    json_object_object_foreach(items, table, requests)
    {
        if (strcmp(table, "target") != 0 || json_object_array_length(requests) == 0 ||
            json_object_array_length(requests) > FV_DYNAMODB_BATCH_WRITE_MAX)
            abort(); /* only the target, whole batches */
        b->written += json_object_array_length(requests);
    }
    return FV_OK;
}

static fv_status s_read(void *ud, const char *account, const char *region,
                        const struct fv_dynamodb_read *req, const char *start_key,
                        struct fv_dynamodb_page *out, struct fv_error *err)
{
    (void)ud, (void)account, (void)region, (void)req, (void)start_key, (void)err;
    memset(out, 0, sizeof(*out));
    out->items = json_object_new_array();
    return FV_OK;
}

static int64_t s_zero(void *ud)
{
    (void)ud;
    return 0;
}

static void s_no_sleep(void *ud, int64_t ms)
{
    (void)ud, (void)ms;
}

/* in gzip'd (level 1) into out. */
static void s_gz(struct fv_cur in, struct fv_buf *out)
{
    z_stream z = {0};
    if (deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t cap = deflateBound(&z, in.len);
    out->ptr = fv_realloc(out->ptr, cap + 1);
    z.next_in = (unsigned char *)(uintptr_t)in.ptr;
    z.avail_in = (uInt)in.len;
    z.next_out = (unsigned char *)out->ptr;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    out->len = cap - z.avail_out;
    out->cap = cap + 1;
    deflateEnd(&z);
}

static void s_prefix(struct fv_cur in, uint8_t param)
{
    struct s_bucket b = {0};
    while (in.len > 0 && b.n < S_MAX_OBJ) {
        struct fv_cur obj = fuzz_take(&in, "\n--\n");
        struct fv_cur key = fuzz_take(&obj, "\n");
        if (key.len == 0 || memchr(key.ptr, 0, key.len))
            continue;
        b.keys[b.n] = fv_strndup(key.ptr, key.len);
        if ((param & 1) && key.len > 3 && memcmp(key.ptr + key.len - 3, ".gz", 3) == 0)
            s_gz(obj, &b.bodies[b.n]);
        else
            fv_buf_append(&b.bodies[b.n], obj.ptr, obj.len);
        b.n++;
    }
    struct fv_restore_aws aws = {.ud = &b,
                                 .get_object_range = s_range,
                                 .list_objects_page = s_list,
                                 .describe_table_raw = s_describe_raw,
                                 .create_table = s_create,
                                 .describe_table = s_describe,
                                 .batch_write = s_batch,
                                 .read_page = s_read};
    struct fv_export_verify_result v;
    struct fv_error err = {0};
    if (fv_export_verify_run(&aws, "bkt", "p", NULL, NULL, &v, &err) == FV_OK && v.bad > v.files)
        abort();
    fuzz_check_error(&err);
    struct fv_clock clock = {s_zero, s_zero, s_no_sleep, NULL};
    struct fv_export_restore req = {.bucket = "bkt",
                                    .prefix = "p",
                                    .target_table = "target",
                                    .to_ms = param & 2 ? INT64_C(1796307600000) : 0, /* 14:20 */
                                    .clock = &clock};
    struct fv_export_restore_result r;
    memset(&err, 0, sizeof(err));
    if (fv_export_restore_run(&aws, &req, &r, &err) == FV_OK &&
        (r.exports == 0 || !r.account || !r.region || b.written != r.puts + r.deletes))
        abort();
    fuzz_check_error(&err);
    fv_export_restore_result_clean_up(&r);
    for (size_t i = 0; i < b.n; i++) {
        free(b.keys[i]);
        fv_buf_clean_up(&b.bodies[i]);
    }
}

/* --- 6: one Ion line --- */

static bool s_is_number(const char *s)
{
    size_t i = s[0] == '-', d = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++, d++;
    if (d == 0 || (d > 1 && s[i - d] == '0'))
        return false;
    if (s[i] == '.') {
        size_t f = 0;
        for (i++; s[i] >= '0' && s[i] <= '9'; i++, f++)
            ;
        if (f == 0 || s[i - 1] == '0')
            return false; /* trailing zeros are dropped */
    } else if (s[i] == 'E' && s[i + 1] == '+') {
        size_t e = 0;
        for (i += 2; s[i] >= '0' && s[i] <= '9'; i++, e++)
            ;
        if (e == 0)
            return false;
    }
    return s[i] == '\0' && strcmp(s, "-0") != 0;
}

static bool s_is_base64(const char *s)
{
    size_t n = strlen(s);
    return n % 4 == 0 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == n;
}

static void s_check_av(struct json_object *av, int depth)
{
    if (depth > FV_ION_MAX_DEPTH + 2 || !json_object_is_type(av, json_type_object) ||
        json_object_object_length(av) != 1)
        abort();
    json_object_object_foreach(av, type, v)
    {
        if (strcmp(type, "S") == 0) {
            if (!json_object_is_type(v, json_type_string))
                abort();
        } else if (strcmp(type, "N") == 0) {
            if (!json_object_is_type(v, json_type_string) ||
                !s_is_number(json_object_get_string(v)))
                abort();
        } else if (strcmp(type, "B") == 0) {
            if (!json_object_is_type(v, json_type_string) ||
                !s_is_base64(json_object_get_string(v)))
                abort();
        } else if (strcmp(type, "BOOL") == 0 || strcmp(type, "NULL") == 0) {
            if (!json_object_is_type(v, json_type_boolean) ||
                (type[0] == 'N' && !json_object_get_boolean(v)))
                abort();
        } else if (strcmp(type, "M") == 0) {
            if (!json_object_is_type(v, json_type_object))
                abort();
            json_object_object_foreach(v, name, member)
            {
                (void)name;
                s_check_av(member, depth + 1);
            }
        } else if (strcmp(type, "L") == 0) {
            if (!json_object_is_type(v, json_type_array))
                abort();
            for (size_t i = 0; i < json_object_array_length(v); i++)
                s_check_av(json_object_array_get_idx(v, i), depth + 1);
        } else if (strcmp(type, "SS") == 0 || strcmp(type, "NS") == 0 || strcmp(type, "BS") == 0) {
            if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
                abort();
            for (size_t i = 0; i < json_object_array_length(v); i++) {
                struct json_object *m = json_object_array_get_idx(v, i);
                if (!json_object_is_type(m, json_type_string) ||
                    (type[0] == 'N' && !s_is_number(json_object_get_string(m))) ||
                    (type[0] == 'B' && !s_is_base64(json_object_get_string(m))))
                    abort();
            }
        } else {
            abort();
        }
    }
}

static void s_ion_line(struct fv_cur in)
{
    struct json_object *doc = NULL;
    struct fv_error err = {0};
    fv_status st = fv_ion_line_to_json(in.ptr, in.len, &doc, &err);
    if (st != FV_OK) {
        if (st != FV_E_PARSE || doc || !strstr(err.message, "column"))
            abort();
        fuzz_check_error(&err);
        return;
    }
    if (doc) {
        if (!json_object_is_type(doc, json_type_object))
            abort();
        json_object_object_foreach(doc, field, item)
        {
            (void)field;
            if (!json_object_is_type(item, json_type_object))
                abort();
            json_object_object_foreach(item, name, av)
            {
                (void)name;
                s_check_av(av, 0);
            }
        }
        if (!json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN))
            abort();
    }
    json_object_put(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct fv_cur in = {(const char *)data + 2, size - 2};
    uint8_t param = data[1];
    switch (data[0] % 8) {
    case 0: s_summary(in); break;
    case 1: s_files_line(in); break;
    case 2: s_stream(in, param & 1, false, 1 + (param >> 1)); break;
    case 3: s_lines(in, param & 1, false, 1 + (param >> 1)); break;
    case 4: s_chain(in, param); break;
    case 5: s_prefix(in, param); break;
    case 6: s_ion_line(in); break;
    default: s_lines(in, param & 1, true, 1 + (param >> 1)); break;
    }
    return 0;
}

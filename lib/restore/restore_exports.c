/* restore dynamodb --from-exports and verify of export chains
 * (fv/export_restore.h): the I/O shell around export_chain.c (which exports,
 * in which order) and export_stream.c (gzip lines to puts and deletes). */
#include <fv/export_restore.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SMALL_MAX (16u * 1024 * 1024) /* a manifest read whole */
#define S_BATCH_ATTEMPTS 12

struct s_exports {
    struct fv_s3_objects objects; /* everything under <prefix>/AWSDynamoDB/ */
    struct fv_export_summary *s;
    size_t n;
};

static void s_exports_clean_up(struct s_exports *e)
{
    for (size_t i = 0; i < e->n; i++)
        fv_export_summary_clean_up(&e->s[i]);
    free(e->s);
    fv_s3_objects_clean_up(&e->objects);
    memset(e, 0, sizeof(*e));
}

/* Puts s3://bucket/key in front of err's message, keeping its code and
 * whether a retry helps. Returns st. */
static void s_message(struct fv_error *err, const struct fv_buf *text)
{
    size_t n = text->len < sizeof(err->message) - 1 ? text->len : sizeof(err->message) - 1;
    memcpy(err->message, text->ptr, n);
    err->message[n] = '\0';
}

static fv_status s_at(struct fv_error *err, fv_status st, const char *bucket, const char *key)
{
    struct fv_buf text = {0};
    fv_buf_printf(&text, "s3://%s/%s: %s", bucket, key, err->message);
    s_message(err, &text);
    fv_buf_clean_up(&text);
    err->status = st;
    return st;
}

static fv_status s_collect(void *ud, const char *data, size_t n, struct fv_error *err)
{
    struct fv_buf *b = ud;
    if (b->len + n > S_SMALL_MAX)
        return fv_error_set(err, FV_E_PARSE, "larger than %u bytes", S_SMALL_MAX);
    fv_buf_append(b, data, n);
    return FV_OK;
}

/* A small object whole; errors name s3://bucket/key. */
static fv_status s_read_small(const struct fv_restore_aws *aws, const char *bucket, const char *key,
                              struct fv_buf *out, struct fv_error *err)
{
    fv_status st =
        aws->get_object_range(aws->ud, bucket, key, 0, UINT64_MAX, s_collect, out, NULL, err);
    if (st != FV_OK)
        s_at(err, st, bucket, key);
    return st;
}

static const struct fv_s3_object *s_listed(const struct s_exports *e, const char *key)
{
    for (size_t i = 0; i < e->objects.n; i++)
        if (strcmp(e->objects.items[i].key, key) == 0)
            return &e->objects.items[i];
    return NULL;
}

static fv_status s_load(const struct fv_restore_aws *aws, const char *bucket, const char *prefix,
                        struct s_exports *e, struct fv_error *err)
{
    char *list_prefix = NULL;
    struct fv_buf p = {0};
    if (prefix && *prefix)
        fv_buf_printf(&p, "%s/AWSDynamoDB/", prefix);
    else
        fv_buf_append_str(&p, "AWSDynamoDB/");
    list_prefix = fv_buf_detach(&p);
    struct fv_s3_list req = {.prefix = list_prefix};
    fv_status st = FV_OK;
    do {
        char *token = e->objects.next;
        e->objects.next = NULL;
        st = aws->list_objects_page(aws->ud, bucket, &req, token, &e->objects, err);
        free(token);
    } while (st == FV_OK && e->objects.next);
    if (st != FV_OK)
        s_at(err, st, bucket, list_prefix);
    static const char tail[] = "/manifest-summary.json";
    for (size_t i = 0; st == FV_OK && i < e->objects.n; i++) {
        const char *key = e->objects.items[i].key;
        size_t kl = strlen(key);
        if (kl < sizeof(tail) || strcmp(key + kl - (sizeof(tail) - 1), tail) != 0)
            continue;
        struct fv_buf body = {0};
        st = s_read_small(aws, bucket, key, &body, err);
        if (st == FV_OK) {
            e->s = fv_realloc(e->s, (e->n + 1) * sizeof(*e->s));
            st = fv_export_summary_parse((struct fv_cur){body.ptr, body.len}, &e->s[e->n], err);
            if (st == FV_OK)
                e->s[e->n++].summary_key = fv_strdup(key);
            else
                s_at(err, st, bucket, key);
        }
        fv_buf_clean_up(&body);
    }
    if (st == FV_OK && e->n == 0)
        st = fv_error_set(err, FV_E_NOTFOUND, "s3://%s/%s: no export (manifest-summary.json)",
                          bucket, list_prefix);
    free(list_prefix);
    return st;
}

/* The data files of one export, parsed from its manifest-files.json. */
/* The formats read: DYNAMODB_JSON and ION, one per export (its data files
 * all in it), each export of a chain read in its own. */
static fv_status s_format(const char *bucket, const struct fv_export_summary *s,
                          struct fv_error *err)
{
    bool ion = s->format && strcmp(s->format, "ION") == 0;
    if (!ion && (!s->format || strcmp(s->format, "DYNAMODB_JSON") != 0))
        return fv_error_set(err, FV_E_INVALID,
                            "s3://%s/%s: outputFormat %s; restore reads DYNAMODB_JSON and ION",
                            bucket, s->summary_key, s->format ? s->format : "(none)");
    return FV_OK;
}

static struct fv_export_reader *s_reader(const struct fv_export_summary *s, fv_export_op_fn *op,
                                         void *ud)
{
    return s->format && strcmp(s->format, "ION") == 0
               ? fv_export_reader_new_ion(s->incremental, op, ud)
               : fv_export_reader_new(s->incremental, op, ud);
}

static fv_status s_files(const struct fv_restore_aws *aws, const char *bucket,
                         const struct fv_export_summary *s, struct fv_export_data_file **files,
                         size_t *n, struct fv_error *err)
{
    struct fv_buf body = {0};
    *files = NULL;
    *n = 0;
    fv_status st = s_read_small(aws, bucket, s->files_key, &body, err);
    const char *p = body.ptr ? body.ptr : "", *end = p + body.len; /* empty: no data files */
    while (st == FV_OK && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len > 0) {
            *files = fv_realloc(*files, (*n + 1) * sizeof(**files));
            st = fv_export_data_file_parse((struct fv_cur){p, len}, &(*files)[*n], err);
            if (st == FV_OK)
                (*n)++;
            else
                s_at(err, st, bucket, s->files_key);
        }
        p += len + 1;
    }
    fv_buf_clean_up(&body);
    return st;
}

static void s_files_free(struct fv_export_data_file *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fv_export_data_file_clean_up(&f[i]);
    free(f);
}

/* --- restore --- */

struct s_apply {
    const struct fv_restore_aws *aws;
    const struct fv_export_restore *req;
    const char *account, *region;
    struct json_object *batch; /* the array of write requests */
    struct fv_export_restore_result *out;
};

static fv_status s_flush(struct s_apply *a, struct fv_error *err)
{
    if (json_object_array_length(a->batch) == 0)
        return FV_OK;
    struct json_object *items = json_object_new_object();
    json_object_object_add(items, a->req->target_table, a->batch);
    a->batch = json_object_new_array();
    fv_status st = FV_OK;
    for (int attempt = 0;; attempt++) {
        struct json_object *unprocessed = NULL;
        st = a->aws->batch_write(a->aws->ud, a->account, a->region, items, &unprocessed, err);
        json_object_put(items);
        items = unprocessed;
        if (st != FV_OK || !items || json_object_object_length(items) == 0)
            break;
        if (attempt + 1 >= S_BATCH_ATTEMPTS) {
            st = fv_error_set(err, FV_E_TIMEOUT,
                              "table %s: BatchWriteItem left items unprocessed %d times",
                              a->req->target_table, S_BATCH_ATTEMPTS);
            err->retryable = true;
            break;
        }
        int64_t ms = (int64_t)50 << (attempt < 7 ? attempt : 7); /* 50 ms .. 6.4 s */
        a->req->clock->sleep_ms(a->req->clock->ud, ms);
    }
    json_object_put(items);
    return st;
}

static fv_status s_op(void *ud, enum fv_export_op op, struct json_object *item,
                      struct fv_error *err)
{
    struct s_apply *a = ud;
    struct json_object *r = json_object_new_object(), *inner = json_object_new_object();
    json_object_object_add(inner, op == FV_EXPORT_PUT ? "Item" : "Key", json_object_get(item));
    json_object_object_add(r, op == FV_EXPORT_PUT ? "PutRequest" : "DeleteRequest", inner);
    json_object_array_add(a->batch, r);
    if (op == FV_EXPORT_PUT)
        a->out->puts++;
    else
        a->out->deletes++;
    if (json_object_array_length(a->batch) >= FV_DYNAMODB_BATCH_WRITE_MAX)
        return s_flush(a, err);
    return FV_OK;
}

struct s_range_buf {
    char *ptr;
    size_t len, cap;
};

static fv_status s_range_write(void *ud, const char *data, size_t n, struct fv_error *err)
{
    struct s_range_buf *b = ud;
    if (b->len + n > b->cap)
        return fv_error_set(err, FV_E_PARSE, "more bytes than the range asked for");
    memcpy(b->ptr + b->len, data, n);
    b->len += n;
    return FV_OK;
}

/* One data file: FV_EXPORT_RANGE bytes at a time through the reader. */
static fv_status s_apply_file(struct s_apply *a, const char *bucket, const struct s_exports *e,
                              const struct fv_export_summary *s, const char *key,
                              struct fv_error *err)
{
    const struct fv_s3_object *o = s_listed(e, key);
    if (!o)
        return fv_error_set(err, FV_E_NOTFOUND, "s3://%s/%s: listed in the manifest, missing",
                            bucket, key);
    struct fv_export_reader *r = s_reader(s, s_op, a);
    struct s_range_buf buf = {.ptr = fv_malloc(FV_EXPORT_RANGE), .cap = FV_EXPORT_RANGE};
    fv_status st = FV_OK;
    for (uint64_t off = 0; st == FV_OK && off < o->size; off += buf.len) {
        buf.len = 0;
        st = a->aws->get_object_range(a->aws->ud, bucket, key, off, off + FV_EXPORT_RANGE - 1,
                                      s_range_write, &buf, NULL, err);
        if (st == FV_OK && buf.len == 0)
            st = fv_error_set(err, FV_E_IO, "object shorter than listed");
        if (st == FV_OK)
            st = fv_export_reader_feed(r, buf.ptr, buf.len, err);
    }
    if (st == FV_OK)
        st = fv_export_reader_finish(r, err);
    if (st == FV_OK)
        st = s_flush(a, err);
    if (st != FV_OK)
        s_at(err, st, bucket, key);
    fv_export_reader_destroy(r);
    free(buf.ptr);
    return st;
}

static bool s_table_empty(const struct fv_restore_aws *aws, const char *account, const char *region,
                          const char *table, struct fv_error *err, fv_status *st)
{
    struct fv_dynamodb_read rd = {.table = table, .limit = 1};
    struct fv_dynamodb_page page = {0};
    *st = aws->read_page(aws->ud, account, region, &rd, NULL, &page, err);
    bool empty = *st == FV_OK && json_object_array_length(page.items) == 0 && !page.next;
    fv_dynamodb_page_clean_up(&page);
    return empty;
}

/* The attribute names of a KeySchema array, added to names (a set). */
static void s_key_names(struct json_object *ks, struct json_object *names)
{
    for (size_t k = 0; k < json_object_array_length(ks); k++) {
        struct json_object *kn;
        if (json_object_object_get_ex(json_object_array_get_idx(ks, k), "AttributeName", &kn))
            json_object_object_add(names, json_object_get_string(kn), NULL);
    }
}

/* The source's indexes of one kind as CreateTable takes them (name, key
 * schema, projection; on-demand, so no throughput). */
static void s_indexes(struct json_object *desc, const char *kind, struct json_object *req,
                      struct json_object *used)
{
    struct json_object *src, *out = NULL;
    if (!json_object_object_get_ex(desc, kind, &src) || !json_object_is_type(src, json_type_array))
        return;
    for (size_t i = 0; i < json_object_array_length(src); i++) {
        struct json_object *ix = json_object_array_get_idx(src, i), *name, *ks, *proj;
        if (!json_object_object_get_ex(ix, "IndexName", &name) ||
            !json_object_object_get_ex(ix, "KeySchema", &ks))
            continue;
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "IndexName", json_object_get(name));
        json_object_object_add(o, "KeySchema", json_object_get(ks));
        if (json_object_object_get_ex(ix, "Projection", &proj))
            json_object_object_add(o, "Projection", json_object_get(proj));
        s_key_names(ks, used);
        if (!out)
            out = json_object_new_array();
        json_object_array_add(out, o);
    }
    if (out)
        json_object_object_add(req, kind, out);
}

/* The schema the target is made with: the schema object written beside
 * the chain's full export (fv_export_schema_make; the source table may be
 * gone), else the source table's DescribeTable (chains from before it, or
 * from the seed). Both missing: one line saying so. *desc caller's. */
static fv_status s_schema(const struct s_apply *a, const struct s_exports *e,
                          const struct fv_export_summary *full, const char *source,
                          struct json_object **desc, struct fv_error *err)
{
    struct fv_buf key = {0}, body = {0}, text = {0};
    fv_export_schema_key_of(full->summary_key, &key);
    fv_status st = FV_E_NOTFOUND;
    if (s_listed(e, key.ptr)) {
        st = s_read_small(a->aws, a->req->bucket, key.ptr, &body, err);
        *desc = st == FV_OK ? json_tokener_parse(fv_buf_str(&body)) : NULL;
        if (st == FV_OK && !*desc)
            st = fv_error_set(err, FV_E_PARSE, "s3://%s/%s: not JSON", a->req->bucket, key.ptr);
    } else {
        st = a->aws->describe_table_raw(a->aws->ud, a->account, a->region, source, desc, err);
        if (st != FV_OK) {
            fv_buf_printf(&text,
                          "no schema object s3://%s/%s (the chain's full export is older than "
                          "fleetvault's schema objects) and source table %s (%s, %s): %s; "
                          "create %s with the source's key schema first",
                          a->req->bucket, key.ptr, source, a->account, a->region, err->message,
                          a->req->target_table);
            s_message(err, &text);
        }
    }
    fv_buf_clean_up(&key);
    fv_buf_clean_up(&body);
    fv_buf_clean_up(&text);
    return st;
}

/* Creates the target with the schema (s_schema): its key schema, its
 * global and local secondary indexes, the definitions of the attributes
 * they use; on-demand (the source's capacity, SSE key, streams, TTL, tags
 * and PITR are not copied). Waits until ACTIVE. */
static fv_status s_create_target(const struct s_apply *a, const struct s_exports *e,
                                 const struct fv_export_summary *full, const char *source,
                                 struct fv_error *err)
{
    struct json_object *desc = NULL, *ks, *defs;
    fv_status st = s_schema(a, e, full, source, &desc, err);
    if (st != FV_OK)
        return st;
    if (!json_object_object_get_ex(desc, "KeySchema", &ks) ||
        !json_object_object_get_ex(desc, "AttributeDefinitions", &defs)) {
        json_object_put(desc);
        return fv_error_set(err, FV_E_PARSE, "schema of %s: no KeySchema", source);
    }
    struct json_object *req = json_object_new_object(), *used = json_object_new_object();
    json_object_object_add(req, "TableName", json_object_new_string(a->req->target_table));
    json_object_object_add(req, "KeySchema", json_object_get(ks));
    s_key_names(ks, used);
    s_indexes(desc, "GlobalSecondaryIndexes", req, used);
    s_indexes(desc, "LocalSecondaryIndexes", req, used);
    struct json_object *keep = json_object_new_array();
    for (size_t i = 0; i < json_object_array_length(defs); i++) {
        struct json_object *d = json_object_array_get_idx(defs, i), *dn;
        if (json_object_object_get_ex(d, "AttributeName", &dn) &&
            json_object_object_get_ex(used, json_object_get_string(dn), NULL))
            json_object_array_add(keep, json_object_get(d));
    }
    json_object_object_add(req, "AttributeDefinitions", keep);
    json_object_object_add(req, "BillingMode", json_object_new_string("PAY_PER_REQUEST"));
    json_object_put(used);
    st = a->aws->create_table(a->aws->ud, a->account, a->region, req, err);
    json_object_put(req);
    json_object_put(desc);
    for (int i = 0; st == FV_OK && i < 600; i++) { /* until ACTIVE, up to 10 minutes */
        struct fv_dynamodb_table t = {0};
        st = a->aws->describe_table(a->aws->ud, a->account, a->region, a->req->target_table, &t,
                                    err);
        bool active = st == FV_OK && t.status && strcmp(t.status, "ACTIVE") == 0;
        fv_dynamodb_table_clean_up(&t);
        if (active)
            return FV_OK;
        a->req->clock->sleep_ms(a->req->clock->ud, 1000);
    }
    return st == FV_OK ? fv_error_set(err, FV_E_TIMEOUT, "table %s: not ACTIVE in 10 minutes",
                                      a->req->target_table)
                       : st;
}

void fv_export_restore_result_clean_up(struct fv_export_restore_result *r)
{
    if (!r)
        return;
    free(r->account);
    free(r->region);
    memset(r, 0, sizeof(*r));
}

fv_status fv_export_restore_run(const struct fv_restore_aws *aws,
                                const struct fv_export_restore *req,
                                struct fv_export_restore_result *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct s_exports e = {0};
    size_t *idx = NULL, n_idx = 0;
    struct s_apply a = {.aws = aws, .req = req, .out = out};
    char *source = NULL;
    fv_status st = s_load(aws, req->bucket, req->prefix, &e, err);
    if (st != FV_OK)
        goto out;
    for (size_t i = 1; i < e.n; i++)
        if (strcmp(e.s[i].table_arn, e.s[0].table_arn) != 0) {
            st = fv_error_set(err, FV_E_INVALID,
                              "s3://%s/%s holds exports of more than one table (%s, %s): give "
                              "the prefix of one",
                              req->bucket, req->prefix, e.s[0].table_arn, e.s[i].table_arn);
            goto out;
        }
    idx = fv_calloc(e.n, sizeof(*idx));
    st = fv_export_chain_select(e.s, e.n, req->to_ms, idx, &n_idx, &out->reached_ms, err);
    if (st != FV_OK) {
        s_at(err, st, req->bucket, req->prefix);
        goto out;
    }
    const struct fv_export_summary *full = &e.s[idx[0]];
    out->region = fv_arn_part(full->table_arn, 3);
    out->account = fv_arn_part(full->table_arn, 4);
    const char *slash = strstr(full->table_arn, ":table/");
    source = slash ? fv_strdup(slash + 7) : NULL;
    if (!out->account || !out->region || !source) {
        st = fv_error_set(err, FV_E_PARSE, "s3://%s/%s: tableArn %s is not a table ARN",
                          req->bucket, full->summary_key, full->table_arn);
        goto out;
    }
    for (size_t i = 0; i < n_idx; i++) {
        st = s_format(req->bucket, &e.s[idx[i]], err);
        if (st != FV_OK)
            goto out;
    }
    a.account = out->account;
    a.region = out->region;
    struct json_object *desc = NULL;
    st = aws->describe_table_raw(aws->ud, a.account, a.region, req->target_table, &desc, err);
    json_object_put(desc);
    if (st == FV_E_NOTFOUND) {
        st = s_create_target(&a, &e, full, source, err);
    } else if (st == FV_OK && !req->overwrite) {
        bool empty = s_table_empty(aws, a.account, a.region, req->target_table, err, &st);
        if (st == FV_OK && !empty)
            st = fv_error_set(err, FV_E_INVALID,
                              "table %s (%s, %s) is not empty: pass --overwrite to write into it",
                              req->target_table, a.account, a.region);
    }
    if (st != FV_OK)
        goto out;
    a.batch = json_object_new_array();
    for (size_t i = 0; st == FV_OK && i < n_idx; i++) {
        const struct fv_export_summary *s = &e.s[idx[i]];
        struct fv_export_data_file *files;
        size_t n_files;
        st = s_files(aws, req->bucket, s, &files, &n_files, err);
        for (size_t f = 0; st == FV_OK && f < n_files; f++)
            st = s_apply_file(&a, req->bucket, &e, s, files[f].key, err);
        s_files_free(files, n_files);
        if (st == FV_OK)
            out->exports++;
    }
out:
    json_object_put(a.batch);
    free(source);
    free(idx);
    s_exports_clean_up(&e);
    return st;
}

/* --- verify --- */

struct s_check {
    EVP_MD_CTX *md5;
    struct fv_export_reader *r;
    uint64_t bytes;
    bool gzip_bad;
    struct fv_error gzip_err;
};

static fv_status s_count(void *ud, enum fv_export_op op, struct json_object *item,
                         struct fv_error *err)
{
    (void)ud, (void)op, (void)item, (void)err;
    return FV_OK;
}

static fv_status s_check_write(void *ud, const char *data, size_t n, struct fv_error *err)
{
    (void)err;
    struct s_check *c = ud;
    EVP_DigestUpdate(c->md5, data, n);
    c->bytes += n;
    if (!c->gzip_bad && fv_export_reader_feed(c->r, data, n, &c->gzip_err) != FV_OK)
        c->gzip_bad = true; /* reported after the whole object was read */
    return FV_OK;
}

static void s_say(void (*report)(void *, const char *), void *ud,
                  struct fv_export_verify_result *out, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void s_say(void (*report)(void *, const char *), void *ud,
                  struct fv_export_verify_result *out, const char *fmt, ...)
{
    struct fv_buf line = {0};
    va_list ap;
    va_start(ap, fmt);
    fv_buf_vprintf(&line, fmt, ap);
    va_end(ap);
    out->bad++;
    if (report)
        report(ud, fv_buf_str(&line));
    fv_buf_clean_up(&line);
}

/* A full export without fleetvault's schema object beside it: a warning,
 * not a mismatch (chains from before it, or the seed's, restore while the
 * source table exists). */
static void s_warn_schema(void (*report)(void *, const char *), void *ud,
                          struct fv_export_verify_result *out, const char *bucket,
                          const struct s_exports *e, const struct fv_export_summary *full)
{
    struct fv_buf key = {0}, line = {0};
    fv_export_schema_key_of(full->summary_key, &key);
    if (!s_listed(e, key.ptr)) {
        out->warnings++;
        fv_buf_printf(&line,
                      "warning: s3://%s/%s: no table schema beside this full export; a restore "
                      "from it needs the source table to create its target",
                      bucket, key.ptr);
        if (report)
            report(ud, line.ptr);
    }
    fv_buf_clean_up(&key);
    fv_buf_clean_up(&line);
}

fv_status fv_export_verify_run(const struct fv_restore_aws *aws, const char *bucket,
                               const char *prefix, void (*report)(void *ud, const char *line),
                               void *report_ud, struct fv_export_verify_result *out,
                               struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct s_exports e = {0};
    fv_status st = s_load(aws, bucket, prefix, &e, err);
    for (size_t i = 0; st == FV_OK && i < e.n; i++) {
        struct fv_export_data_file *files;
        size_t n_files;
        struct fv_error ferr = {0};
        bool readable = s_format(bucket, &e.s[i], &ferr) == FV_OK;
        st = s_files(aws, bucket, &e.s[i], &files, &n_files, err);
        if (st == FV_OK)
            out->exports++;
        int64_t items = 0;
        size_t bad_before = out->bad;
        for (size_t f = 0; st == FV_OK && f < n_files; f++) {
            const struct fv_export_data_file *df = &files[f];
            const struct fv_s3_object *o = s_listed(&e, df->key);
            out->files++;
            if (!readable) { /* each of its files unverified */
                s_say(report, report_ud, out, "s3://%s/%s: not read (%s)", bucket, df->key,
                      ferr.message);
                continue;
            }
            if (!o) {
                s_say(report, report_ud, out, "s3://%s/%s: missing", bucket, df->key);
                continue;
            }
            struct s_check c = {.md5 = EVP_MD_CTX_new(), .r = s_reader(&e.s[i], s_count, NULL)};
            EVP_DigestInit_ex(c.md5, EVP_md5(), NULL);
            st = aws->get_object_range(aws->ud, bucket, df->key, 0, UINT64_MAX, s_check_write, &c,
                                       NULL, err);
            unsigned char md[16];
            unsigned int md_len = 0;
            char b64[32] = "", hex[33] = "";
            EVP_DigestFinal_ex(c.md5, md, &md_len);
            EVP_EncodeBlock((unsigned char *)b64, md, 16);
            fv_hex_encode(md, 16, hex);
            if (st != FV_OK) {
                s_at(err, st, bucket, df->key);
            } else if (c.bytes != o->size) {
                s_say(report, report_ud, out, "s3://%s/%s: %llu bytes read, %llu listed", bucket,
                      df->key, (unsigned long long)c.bytes, (unsigned long long)o->size);
            } else if (!df->md5_b64 || strcmp(df->md5_b64, b64) != 0) {
                s_say(report, report_ud, out, "s3://%s/%s: MD5 %s, the manifest says %s", bucket,
                      df->key, b64, df->md5_b64 ? df->md5_b64 : "(none)");
            } else if (df->etag && !strchr(df->etag, '-') && strcmp(df->etag, hex) != 0) {
                /* a multipart ETag ("hex-N") is no MD5 of the object: not compared */
                s_say(report, report_ud, out, "s3://%s/%s: MD5 %s, the manifest's etag says %s",
                      bucket, df->key, hex, df->etag);
            } else if (c.gzip_bad || fv_export_reader_finish(c.r, &c.gzip_err) != FV_OK) {
                s_say(report, report_ud, out, "s3://%s/%s: %s", bucket, df->key,
                      c.gzip_err.message);
            } else if (df->item_count >= 0 &&
                       (int64_t)fv_export_reader_lines(c.r) != df->item_count) {
                s_say(report, report_ud, out, "s3://%s/%s: %llu items, the manifest says %lld",
                      bucket, df->key, (unsigned long long)fv_export_reader_lines(c.r),
                      (long long)df->item_count);
            } else {
                out->bytes += c.bytes;
                items += df->item_count;
            }
            EVP_MD_CTX_free(c.md5);
            fv_export_reader_destroy(c.r);
        }
        if (st == FV_OK && e.s[i].item_count >= 0 && items != e.s[i].item_count &&
            out->bad == bad_before)
            s_say(report, report_ud, out, "s3://%s/%s: %lld items in its files, itemCount %lld",
                  bucket, e.s[i].summary_key, (long long)items, (long long)e.s[i].item_count);
        s_files_free(files, n_files);
        if (st == FV_OK && !e.s[i].incremental)
            s_warn_schema(report, report_ud, out, bucket, &e, &e.s[i]);
    }
    s_exports_clean_up(&e);
    return st;
}

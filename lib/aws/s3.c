/* S3: GetObject (streamed, hashed in flight), HeadObject, DeleteObject(s),
 * ListObjectsV2 pages. Uploads are in s3_upload.c. */
#include <fv/s3.h>
#include <fv/sigv4.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void fv_s3_key_path(const char *key, struct fv_buf *out)
{
    fv_buf_append_char(out, '/');
    fv_uri_encode(out, key, strlen(key), true);
}

void fv_s3_upload_result_clean_up(struct fv_s3_upload_result *r)
{
    if (!r)
        return;
    free(r->etag);
    free(r->version_id);
    memset(r, 0, sizeof(*r));
}

void fv_s3_get_result_clean_up(struct fv_s3_get_result *r)
{
    if (!r)
        return;
    free(r->etag);
    free(r->content_type);
    free(r->version_id);
    memset(r, 0, sizeof(*r));
}

void fv_s3_object_info_clean_up(struct fv_s3_object_info *i)
{
    if (!i)
        return;
    free(i->etag);
    free(i->content_type);
    free(i->version_id);
    free(i->sse);
    free(i->kms_key_id);
    fv_headers_clean_up(&i->metadata);
    memset(i, 0, sizeof(*i));
}

void fv_s3_objects_clean_up(struct fv_s3_objects *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].key);
        free(l->items[i].etag);
    }
    free(l->items);
    for (size_t i = 0; i < l->n_prefixes; i++)
        free(l->prefixes[i]);
    free(l->prefixes);
    free(l->next);
    memset(l, 0, sizeof(*l));
}

/* NoSuchKey (GET) and a bodiless 404 (HEAD) mean the object is not there. */
static fv_status s_notfound(fv_status st, struct fv_error *err)
{
    if (st == FV_E_AWS && err &&
        (strcmp(err->code, "NoSuchKey") == 0 || strcmp(err->code, "NotFound") == 0)) {
        err->status = FV_E_NOTFOUND;
        return FV_E_NOTFOUND;
    }
    return st;
}

static char *s_header_dup(const struct fv_headers *h, const char *name)
{
    return fv_strdup(fv_headers_get(h, name));
}

/* "Sat, 21 Nov 2026 17:08:28 GMT" → Unix ms; 0 on junk. */
static int64_t s_http_date_ms(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!s || !strptime(s, "%a, %d %b %Y %H:%M:%S", &tm))
        return 0;
    return (int64_t)timegm(&tm) * 1000;
}

static bool s_parse_u64(const char *s, uint64_t *out)
{
    int64_t v;
    if (!s || !fv_parse_i64(s, &v) || v < 0)
        return false;
    *out = (uint64_t)v;
    return true;
}

/* --- GetObject --- */

struct s_get_sink {
    fv_s3_write_fn *write;
    void *ud;
    EVP_MD_CTX *sha;
    uint64_t delivered;
    bool sink_failed;    /* the caller's sink said stop */
    bool broken;         /* a retry after bytes were delivered: refused */
    struct fv_error err; /* the sink's error */
};

static size_t s_get_write(void *ud, const char *data, size_t n)
{
    struct s_get_sink *s = ud;
    if (s->sink_failed || s->broken)
        return 0;
    if (s->write(s->ud, data, n, &s->err) != FV_OK) {
        s->sink_failed = true;
        return 0;
    }
    EVP_DigestUpdate(s->sha, data, n);
    s->delivered += n;
    return n;
}

/* Before a retry: nothing delivered yet, nothing to undo; otherwise the
 * retry must not deliver the same bytes twice. */
static void s_get_reset(void *ud)
{
    struct s_get_sink *s = ud;
    if (s->delivered > 0)
        s->broken = true;
}

fv_status fv_s3_get_object(struct fv_aws_client *c, const char *bucket, const char *key,
                           fv_s3_write_fn *write, void *write_ud, struct fv_s3_get_result *out,
                           struct fv_error *err)
{
    return fv_s3_get_object_range(c, bucket, key, 0, UINT64_MAX, write, write_ud, out, err);
}

fv_status fv_s3_get_object_range(struct fv_aws_client *c, const char *bucket, const char *key,
                                 uint64_t first, uint64_t last, fv_s3_write_fn *write,
                                 void *write_ud, struct fv_s3_get_result *out, struct fv_error *err)
{
    struct fv_buf path = {0};
    struct fv_aws_response resp = {0};
    struct s_get_sink sink = {.write = write, .ud = write_ud, .sha = EVP_MD_CTX_new()};
    if (out)
        memset(out, 0, sizeof(*out));
    if (!sink.sha)
        abort();
    EVP_DigestInit_ex(sink.sha, EVP_sha256(), NULL);
    fv_s3_key_path(key, &path);
    struct fv_aws_call call = {
        .service = "s3",
        .operation = "GetObject",
        .protocol = FV_PROTO_REST_XML,
        .method = "GET",
        .s3_bucket = bucket,
        .path = path.ptr,
        .write_body = s_get_write,
        .reset_sink = s_get_reset,
        .write_ud = &sink,
    };
    if (first > 0 || last != UINT64_MAX) {
        char range[64];
        snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)first,
                 (unsigned long long)last);
        fv_headers_set(&call.headers, "Range", range);
    }
    fv_status st = s_notfound(fv_aws_call_run(c, &call, &resp, err), err);
    if (sink.sink_failed) {
        st = sink.err.status != FV_OK ? sink.err.status : FV_E_IO;
        if (err)
            *err = sink.err;
        if (err && err->status == FV_OK)
            fv_error_set(err, FV_E_IO, "s3 GetObject %s: the sink failed", key);
    } else if (sink.broken) {
        st = fv_error_set(err, FV_E_NET,
                          "s3 GetObject %s: transfer broke after %llu bytes were delivered", key,
                          (unsigned long long)sink.delivered);
        if (err)
            err->retryable = true;
    } else if (st == FV_OK) {
        uint64_t len;
        if (s_parse_u64(fv_headers_get(&resp.headers, "Content-Length"), &len) &&
            len != sink.delivered)
            st = fv_error_set(err, FV_E_NET, "s3 GetObject %s: %llu bytes of %llu", key,
                              (unsigned long long)sink.delivered, (unsigned long long)len);
    }
    if (st == FV_OK && out) {
        unsigned char md[32];
        unsigned int md_len = 0;
        EVP_DigestFinal_ex(sink.sha, md, &md_len);
        fv_hex_encode(md, sizeof(md), out->sha256_hex);
        out->size = sink.delivered;
        out->etag = s_header_dup(&resp.headers, "ETag");
        out->content_type = s_header_dup(&resp.headers, "Content-Type");
        out->version_id = s_header_dup(&resp.headers, "x-amz-version-id");
    }
    EVP_MD_CTX_free(sink.sha);
    fv_aws_response_clean_up(&resp);
    fv_aws_call_clean_up(&call);
    fv_buf_clean_up(&path);
    return st;
}

/* --- HeadObject, DeleteObject --- */

fv_status fv_s3_head_object(struct fv_aws_client *c, const char *bucket, const char *key,
                            struct fv_s3_object_info *out, struct fv_error *err)
{
    struct fv_buf path = {0};
    struct fv_aws_response resp = {0};
    memset(out, 0, sizeof(*out));
    fv_s3_key_path(key, &path);
    struct fv_aws_call call = {
        .service = "s3",
        .operation = "HeadObject",
        .protocol = FV_PROTO_REST_XML,
        .method = "HEAD",
        .s3_bucket = bucket,
        .path = path.ptr,
    };
    fv_status st = s_notfound(fv_aws_call_run(c, &call, &resp, err), err);
    if (st == FV_OK) {
        const struct fv_headers *h = &resp.headers;
        if (!s_parse_u64(fv_headers_get(h, "Content-Length"), &out->size))
            st = fv_error_set(err, FV_E_PARSE, "s3 HeadObject %s: no Content-Length", key);
        out->etag = s_header_dup(h, "ETag");
        out->content_type = s_header_dup(h, "Content-Type");
        out->last_modified_ms = s_http_date_ms(fv_headers_get(h, "Last-Modified"));
        out->version_id = s_header_dup(h, "x-amz-version-id");
        out->sse = s_header_dup(h, "x-amz-server-side-encryption");
        out->kms_key_id = s_header_dup(h, "x-amz-server-side-encryption-aws-kms-key-id");
        for (size_t i = 0; i < h->n; i++) {
            const char *name = h->items[i].name;
            if (strncasecmp(name, "x-amz-meta-", 11) == 0)
                fv_headers_add(&out->metadata, name + 11, h->items[i].value);
        }
        if (st != FV_OK)
            fv_s3_object_info_clean_up(out);
    }
    fv_aws_response_clean_up(&resp);
    fv_aws_call_clean_up(&call);
    fv_buf_clean_up(&path);
    return st;
}

fv_status fv_s3_delete_object(struct fv_aws_client *c, const char *bucket, const char *key,
                              struct fv_error *err)
{
    struct fv_buf path = {0};
    struct fv_aws_response resp = {0};
    fv_s3_key_path(key, &path);
    struct fv_aws_call call = {
        .service = "s3",
        .operation = "DeleteObject",
        .protocol = FV_PROTO_REST_XML,
        .method = "DELETE",
        .s3_bucket = bucket,
        .path = path.ptr,
    };
    fv_status st = fv_aws_call_run(c, &call, &resp, err);
    fv_aws_response_clean_up(&resp);
    fv_aws_call_clean_up(&call);
    fv_buf_clean_up(&path);
    return st;
}

/* --- DeleteObjects --- */

void fv_s3_delete_failures_clean_up(struct fv_s3_delete_failures *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->items[i].key);
        free(f->items[i].code);
        free(f->items[i].message);
    }
    free(f->items);
    memset(f, 0, sizeof(*f));
}

/* XML character data of s (keys may hold &, < and >). */
static void s_xml_text(struct fv_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fv_buf_append_str(b, "&amp;"); break;
        case '<': fv_buf_append_str(b, "&lt;"); break;
        case '>': fv_buf_append_str(b, "&gt;"); break;
        case '"': fv_buf_append_str(b, "&quot;"); break;
        case '\'': fv_buf_append_str(b, "&apos;"); break;
        default: fv_buf_append_char(b, *s);
        }
    }
}

fv_status fv_s3_delete_objects(struct fv_aws_client *c, const char *bucket, const char *const *keys,
                               size_t n, struct fv_s3_delete_failures *failed, struct fv_error *err)
{
    if (n < 1 || n > FV_S3_DELETE_OBJECTS_MAX)
        return fv_error_set(err, FV_E_INVALID, "s3 DeleteObjects: %zu keys not in 1..%d", n,
                            FV_S3_DELETE_OBJECTS_MAX);
    struct fv_buf body = {0};
    fv_buf_append_str(&body, "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                             "<Quiet>true</Quiet>");
    for (size_t i = 0; i < n; i++) {
        fv_buf_append_str(&body, "<Object><Key>");
        s_xml_text(&body, keys[i]);
        fv_buf_append_str(&body, "</Key></Object>");
    }
    fv_buf_append_str(&body, "</Delete>");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_Digest(body.ptr, body.len, md, &md_len, EVP_md5(), NULL);
    char md5[32];
    EVP_EncodeBlock((unsigned char *)md5, md, (int)md_len);
    struct fv_aws_call call = {
        .service = "s3",
        .operation = "DeleteObjects",
        .protocol = FV_PROTO_REST_XML,
        .method = "POST",
        .s3_bucket = bucket,
        .path = "/",
        .query = "delete=",
        .body = {body.ptr, body.len},
    };
    fv_headers_set(&call.headers, "Content-Type", "application/xml");
    fv_headers_set(&call.headers, "Content-MD5", md5);
    struct fv_aws_response resp = {0};
    xmlDocPtr doc = NULL;
    fv_status st = fv_aws_call_run(c, &call, &resp, err);
    if (st == FV_OK) {
        doc = fv_xml_parse((struct fv_cur){resp.body.ptr, resp.body.len}, err);
        if (!doc)
            st = err ? err->status : FV_E_PARSE;
    }
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    for (xmlNodePtr e = root ? root->children : NULL; st == FV_OK && e; e = e->next) {
        if (e->type != XML_ELEMENT_NODE || strcmp((const char *)e->name, "Error") != 0)
            continue;
        char *key = fv_xml_path_text(e, "Key"), *code = fv_xml_path_text(e, "Code");
        char *msg = fv_xml_path_text(e, "Message");
        if (!failed) {
            st = fv_error_set(err, FV_E_AWS, "s3 DeleteObjects: %s: %s: %s", key ? key : "?",
                              code ? code : "?", msg ? msg : "");
            free(key);
            free(code);
            free(msg);
            break;
        }
        failed->items = fv_realloc(failed->items, (failed->n + 1) * sizeof(*failed->items));
        failed->items[failed->n++] = (struct fv_s3_delete_failure){key, code, msg};
    }
    if (doc)
        xmlFreeDoc(doc);
    fv_aws_response_clean_up(&resp);
    fv_aws_call_clean_up(&call);
    fv_buf_clean_up(&body);
    return st;
}

/* --- ListObjectsV2 --- */

static void s_query_param(struct fv_buf *q, const char *name, const char *value)
{
    if (q->len > 0)
        fv_buf_append_char(q, '&');
    fv_buf_append_str(q, name);
    fv_buf_append_char(q, '=');
    fv_uri_encode(q, value, strlen(value), false);
}

static bool s_is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static fv_status s_read_object(xmlNodePtr node, struct fv_s3_object *o, struct fv_error *err)
{
    memset(o, 0, sizeof(*o));
    o->key = fv_xml_path_text(node, "Key");
    if (!o->key)
        return fv_error_set(err, FV_E_PARSE, "s3 ListObjectsV2: an object without a Key");
    char *size = fv_xml_path_text(node, "Size");
    if (!s_parse_u64(size, &o->size)) {
        free(size);
        free(o->key);
        o->key = NULL;
        return fv_error_set(err, FV_E_PARSE, "s3 ListObjectsV2: bad Size");
    }
    free(size);
    o->etag = fv_xml_path_text(node, "ETag");
    char *lm = fv_xml_path_text(node, "LastModified");
    int64_t t = lm ? fv_time_parse_iso8601(lm) : -1;
    o->last_modified_ms = t > 0 ? t * 1000 : 0;
    free(lm);
    return FV_OK;
}

fv_status fv_s3_list_objects_page(struct fv_aws_client *c, const char *bucket,
                                  const struct fv_s3_list *req, const char *token,
                                  struct fv_s3_objects *out, struct fv_error *err)
{
    int max_keys = req && req->max_keys > 0 ? req->max_keys : 1000;
    if (max_keys > 1000)
        return fv_error_set(err, FV_E_INVALID, "s3 ListObjectsV2: max_keys %d not in 1..1000",
                            max_keys);
    struct fv_buf q = {0};
    s_query_param(&q, "list-type", "2");
    if (token)
        s_query_param(&q, "continuation-token", token);
    if (req && req->delimiter)
        s_query_param(&q, "delimiter", req->delimiter);
    char mk[16];
    snprintf(mk, sizeof(mk), "%d", max_keys);
    s_query_param(&q, "max-keys", mk);
    if (req && req->prefix)
        s_query_param(&q, "prefix", req->prefix);
    struct fv_aws_call call = {
        .service = "s3",
        .operation = "ListObjectsV2",
        .protocol = FV_PROTO_REST_XML,
        .method = "GET",
        .s3_bucket = bucket,
        .path = "/",
        .query = q.ptr,
    };
    struct fv_aws_response resp = {0};
    xmlDocPtr doc = NULL;
    fv_status st = fv_aws_call_run(c, &call, &resp, err);
    if (st == FV_OK) {
        doc = fv_xml_parse((struct fv_cur){resp.body.ptr, resp.body.len}, err);
        if (!doc)
            st = err ? err->status : FV_E_PARSE;
    }
    if (st == FV_OK) {
        out->pages++;
        xmlNodePtr root = xmlDocGetRootElement(doc);
        for (xmlNodePtr n = root->children; n && st == FV_OK; n = n->next) {
            if (s_is(n, "Contents")) {
                if (out->n == out->cap) {
                    out->cap = out->cap ? out->cap * 2 : 64;
                    out->items = fv_realloc(out->items, out->cap * sizeof(*out->items));
                }
                st = s_read_object(n, &out->items[out->n], err);
                if (st == FV_OK)
                    out->n++;
            } else if (s_is(n, "CommonPrefixes")) {
                char *p = fv_xml_path_text(n, "Prefix");
                if (p) {
                    out->prefixes =
                        fv_realloc(out->prefixes, (out->n_prefixes + 1) * sizeof(*out->prefixes));
                    out->prefixes[out->n_prefixes++] = p;
                }
            }
        }
        free(out->next);
        out->next = st == FV_OK ? fv_page_token_xml(doc, "NextContinuationToken") : NULL;
    }
    xmlFreeDoc(doc);
    fv_aws_response_clean_up(&resp);
    fv_aws_call_clean_up(&call);
    fv_buf_clean_up(&q);
    return st;
}

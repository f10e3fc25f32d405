/* S3 uploads: PutObject from bytes, and the streaming uploader — one
 * PutObject for an object that fits in a part, else a multipart upload with
 * part buffers reused (bounded memory), each part's SHA-256 checked by S3,
 * and AbortMultipartUpload on any failure.
 *
 * The streaming uploader is a state machine driven by the client's engine:
 *
 *   START ──(fits in one part)──▶ SINGLE ─────────────────────────▶ FINISHED
 *     └──▶ CREATING ──▶ PARTS (read into a free buffer, UploadPart, repeat)
 *                         └──(end of data, none in flight)──▶ COMPLETING ──▶ FINISHED
 *   any failure: wait for calls in flight, AbortMultipartUpload if an upload
 *   was created, then FINISHED with the first error.
 *
 * Callbacks only record what happened and call s_step, which re-runs
 * s_advance until nothing changes; a call that completes synchronously
 * inside fv_aws_call_start just asks for another pass. */
#include <fv/log.h>
#include <fv/s3.h>
#include <fv/sigv4.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_DEFAULT_THRESHOLD (8u * 1024 * 1024)
#define S_MAX_PART_SIZE (5ull * 1024 * 1024 * 1024)
#define S_MAX_PARTS_IN_FLIGHT 64
#define S_MIN_GROW (256u * 1024)
#define S_COMPLETE_ATTEMPTS 3
#define S_OCTET_STREAM "application/octet-stream"

/* --- shared by both uploads --- */

static bool s_is_form_type(const char *ct)
{
    return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

static fv_status s_check_options(const struct fv_s3_put_options *opt, const char *key,
                                 struct fv_error *err)
{
    if (opt && s_is_form_type(opt->content_type))
        return fv_error_set(err, FV_E_INVALID,
                            "s3 upload %s: Content-Type %s is refused (a form type is stored "
                            "empty by some S3 stand-ins); use application/octet-stream",
                            key, opt->content_type);
    return FV_OK;
}

/* The headers that describe the object (PutObject, CreateMultipartUpload). */
static void s_object_headers(struct fv_headers *h, const struct fv_s3_put_options *opt)
{
    const char *ct = opt && opt->content_type ? opt->content_type : S_OCTET_STREAM;
    fv_headers_set(h, "Content-Type", ct);
    if (!opt)
        return;
    if (opt->sse_kms) {
        fv_headers_set(h, "x-amz-server-side-encryption", "aws:kms");
        if (opt->kms_key_id)
            fv_headers_set(h, "x-amz-server-side-encryption-aws-kms-key-id", opt->kms_key_id);
    }
    if (opt->bucket_owner_full_control)
        fv_headers_set(h, "x-amz-acl", "bucket-owner-full-control");
    for (size_t i = 0; i < opt->n_metadata; i++) {
        struct fv_buf name = {0};
        fv_buf_printf(&name, "x-amz-meta-%s", opt->metadata[i].name);
        fv_headers_set(h, name.ptr, opt->metadata[i].value);
        fv_buf_clean_up(&name);
    }
}

/* SHA-256 of data as lowercase hex and as base64 (x-amz-checksum-sha256). */
static void s_sha256(const char *data, size_t n, char hex[65], char b64[45])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)data, n, md);
    fv_hex_encode(md, sizeof(md), hex);
    EVP_EncodeBlock((unsigned char *)b64, md, sizeof(md));
}

static void s_xml_escape(struct fv_buf *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fv_buf_append_str(out, "&amp;"); break;
        case '<': fv_buf_append_str(out, "&lt;"); break;
        case '>': fv_buf_append_str(out, "&gt;"); break;
        case '"': fv_buf_append_str(out, "&quot;"); break;
        default: fv_buf_append_char(out, *s); break;
        }
    }
}

/* --- PutObject from bytes --- */

fv_status fv_s3_put_object(struct fv_aws_client *c, const char *bucket, const char *key,
                           struct fv_cur body, const struct fv_s3_put_options *opt,
                           struct fv_s3_upload_result *out, struct fv_error *err)
{
    if (out)
        memset(out, 0, sizeof(*out));
    fv_status st = s_check_options(opt, key, err);
    if (st != FV_OK)
        return st;
    char hex[65], b64[45];
    s_sha256(body.ptr ? body.ptr : "", body.len, hex, b64);
    struct fv_buf path = {0};
    fv_s3_key_path(key, &path);
    struct fv_aws_call call = {
        .service = "s3",
        .operation = "PutObject",
        .protocol = FV_PROTO_REST_XML,
        .method = "PUT",
        .s3_bucket = bucket,
        .path = path.ptr,
        .body = body,
        .payload_hash = hex,
        .bulk = true,
    };
    s_object_headers(&call.headers, opt);
    fv_headers_set(&call.headers, "x-amz-checksum-sha256", b64);
    struct fv_aws_response resp = {0};
    st = fv_aws_call_run(c, &call, &resp, err);
    if (st == FV_OK && out) {
        out->size = body.len;
        memcpy(out->sha256_hex, hex, sizeof(hex));
        out->etag = fv_strdup(fv_headers_get(&resp.headers, "ETag"));
        out->version_id = fv_strdup(fv_headers_get(&resp.headers, "x-amz-version-id"));
        out->peak_buffered = 0; /* the caller's bytes, sent in place */
    }
    fv_aws_response_clean_up(&resp);
    fv_aws_call_clean_up(&call);
    fv_buf_clean_up(&path);
    return st;
}

/* --- the streaming uploader --- */

enum s_phase { S_START, S_SINGLE, S_CREATING, S_PARTS, S_COMPLETING, S_ABORTING, S_FINISHED };
enum s_slot_state { S_FREE, S_FILLED, S_BUSY };

struct s_upload;

/* A part buffer and the UploadPart call that sends it. */
struct s_slot {
    struct s_upload *up;
    enum s_slot_state state;
    char *buf;
    size_t len, cap;
    uint32_t part_number;
    char sha_hex[65];
    char sha_b64[45];
    struct fv_aws_call call;
    struct fv_aws_response resp;
    struct fv_buf query;
};

/* What CompleteMultipartUpload needs of a sent part. */
struct s_part {
    char *etag;
    char sha_b64[45];
};

struct s_upload {
    struct fv_aws_client *c;
    struct fv_s3_upload req;
    struct fv_s3_upload_result *out;
    fv_s3_upload_done_fn *done;
    void *ud;
    size_t part_size, threshold;
    enum s_phase phase;

    struct s_slot *slots;
    int n_slots;
    int in_flight;
    size_t buffered; /* bytes of part buffers allocated */

    EVP_MD_CTX *sha; /* the whole object, in read order */
    uint64_t total;
    bool eof;
    bool have_carry; /* a byte read ahead to learn whether more data follows */
    char carry;

    struct fv_buf key_path;
    char *upload_id;
    struct s_part *parts;
    uint32_t n_parts; /* parts numbered so far */

    /* The one control call at a time: PutObject, Create, Complete, Abort. */
    struct fv_aws_call ctl;
    struct fv_aws_response ctl_resp;
    struct fv_buf ctl_query, ctl_body;
    bool ctl_busy;
    int complete_attempts;

    bool failed;
    struct fv_error err; /* the first failure */
    bool stepping, again;
};

static void s_step(struct s_upload *up);

static void s_fail(struct s_upload *up, const struct fv_error *err)
{
    if (up->failed)
        return;
    up->failed = true;
    up->err = *err;
}

static void s_failf(struct s_upload *up, fv_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_failf(struct s_upload *up, fv_status st, const char *fmt, ...)
{
    struct fv_error e;
    struct fv_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    fv_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    fv_error_set(&e, st, "%s", fv_buf_str(&msg));
    fv_buf_clean_up(&msg);
    s_fail(up, &e);
}

static void s_grow(struct s_upload *up, struct s_slot *s)
{
    size_t cap = s->cap ? s->cap * 2 : S_MIN_GROW;
    if (cap > up->part_size)
        cap = up->part_size;
    s->buf = fv_realloc(s->buf, cap);
    up->buffered += cap - s->cap;
    s->cap = cap;
    if (up->buffered > up->out->peak_buffered)
        up->out->peak_buffered = up->buffered;
}

static void s_consume(struct s_upload *up, const char *data, size_t n)
{
    EVP_DigestUpdate(up->sha, data, n);
    up->total += n;
}

/* Reads into s until it holds a part or the data ends. False on a read
 * error (the upload is failed). */
static bool s_fill(struct s_upload *up, struct s_slot *s)
{
    s->len = 0;
    if (up->have_carry) {
        if (s->cap == 0)
            s_grow(up, s);
        s->buf[s->len++] = up->carry;
        up->have_carry = false;
    }
    while (s->len < up->part_size && !up->eof) {
        if (s->len == s->cap)
            s_grow(up, s);
        size_t got = 0;
        struct fv_error e;
        fv_error_clear(&e);
        fv_status st = up->req.read(up->req.read_ud, s->buf + s->len, s->cap - s->len, &got, &e);
        if (st != FV_OK) {
            if (e.status == FV_OK)
                fv_error_set(&e, st, "the data source failed");
            struct fv_error named = e;
            snprintf(named.message, sizeof(named.message), "s3 upload %.200s: reading: %.280s",
                     up->req.key, e.message);
            s_fail(up, &named);
            return false;
        }
        if (got > s->cap - s->len) {
            s_failf(up, FV_E_INVALID, "s3 upload %s: the data source overran its buffer",
                    up->req.key);
            return false;
        }
        if (got == 0) {
            up->eof = true;
            break;
        }
        s_consume(up, s->buf + s->len, got);
        s->len += got;
    }
    return true;
}

/* After a full first part: is there more? Reads one byte ahead. */
static bool s_peek(struct s_upload *up)
{
    while (!up->eof && !up->have_carry) {
        size_t got = 0;
        struct fv_error e;
        fv_error_clear(&e);
        fv_status st = up->req.read(up->req.read_ud, &up->carry, 1, &got, &e);
        if (st != FV_OK) {
            if (e.status == FV_OK)
                fv_error_set(&e, st, "the data source failed");
            s_fail(up, &e);
            return false;
        }
        if (got == 0)
            up->eof = true;
        else {
            s_consume(up, &up->carry, 1);
            up->have_carry = true;
        }
    }
    return true;
}

static void s_ctl_reset(struct s_upload *up)
{
    fv_aws_call_clean_up(&up->ctl);
    fv_aws_response_clean_up(&up->ctl_resp);
    memset(&up->ctl, 0, sizeof(up->ctl));
    fv_buf_reset(&up->ctl_query);
    fv_buf_reset(&up->ctl_body);
}

static void s_ctl_call(struct s_upload *up, const char *op, const char *method,
                       fv_aws_done_fn *done)
{
    up->ctl.service = "s3";
    up->ctl.operation = op;
    up->ctl.protocol = FV_PROTO_REST_XML;
    up->ctl.method = method;
    up->ctl.s3_bucket = up->req.bucket;
    up->ctl.path = up->key_path.ptr;
    up->ctl.query = up->ctl_query.len ? up->ctl_query.ptr : NULL;
    up->ctl_busy = true;
    fv_aws_call_start(up->c, &up->ctl, &up->ctl_resp, done, up);
}

static void s_upload_id_query(struct s_upload *up, struct fv_buf *q)
{
    fv_buf_append_str(q, "uploadId=");
    fv_uri_encode(q, up->upload_id, strlen(up->upload_id), false);
}

/* SINGLE: the whole object in one PutObject. */
static void s_on_single_done(void *ud, struct fv_aws_response *resp, const struct fv_error *err)
{
    struct s_upload *up = ud;
    up->ctl_busy = false;
    if (err) {
        s_fail(up, err);
    } else {
        up->out->etag = fv_strdup(fv_headers_get(&resp->headers, "ETag"));
        up->out->version_id = fv_strdup(fv_headers_get(&resp->headers, "x-amz-version-id"));
        up->phase = S_FINISHED;
    }
    s_step(up);
}

static void s_start_single(struct s_upload *up, struct s_slot *s)
{
    s_sha256(s->buf ? s->buf : "", s->len, s->sha_hex, s->sha_b64);
    s_ctl_reset(up);
    s_object_headers(&up->ctl.headers, &up->req.opt);
    fv_headers_set(&up->ctl.headers, "x-amz-checksum-sha256", s->sha_b64);
    up->ctl.body = (struct fv_cur){s->buf, s->len};
    up->ctl.payload_hash = s->sha_hex;
    up->phase = S_SINGLE;
    s_ctl_call(up, "PutObject", "PUT", s_on_single_done);
}

/* CREATING */
static void s_on_create_done(void *ud, struct fv_aws_response *resp, const struct fv_error *err)
{
    struct s_upload *up = ud;
    up->ctl_busy = false;
    if (err) {
        s_fail(up, err);
    } else {
        struct fv_error e;
        xmlDocPtr doc = fv_xml_parse((struct fv_cur){resp->body.ptr, resp->body.len}, &e);
        char *id = doc ? fv_xml_path_text(xmlDocGetRootElement(doc), "UploadId") : NULL;
        xmlFreeDoc(doc);
        if (id && *id) {
            up->upload_id = id;
            up->phase = S_PARTS;
        } else {
            free(id);
            s_failf(up, FV_E_PARSE, "s3 CreateMultipartUpload %s: no UploadId in response",
                    up->req.key);
        }
    }
    s_step(up);
}

static void s_start_create(struct s_upload *up)
{
    s_ctl_reset(up);
    fv_buf_append_str(&up->ctl_query, "uploads");
    s_object_headers(&up->ctl.headers, &up->req.opt);
    fv_headers_set(&up->ctl.headers, "x-amz-checksum-algorithm", "SHA256");
    up->phase = S_CREATING;
    s_ctl_call(up, "CreateMultipartUpload", "POST", s_on_create_done);
}

/* PARTS */
static void s_on_part_done(void *ud, struct fv_aws_response *resp, const struct fv_error *err)
{
    struct s_slot *s = ud;
    struct s_upload *up = s->up;
    up->in_flight--;
    if (err) {
        s_fail(up, err);
    } else {
        const char *etag = fv_headers_get(&resp->headers, "ETag");
        if (etag && *etag) {
            struct s_part *p = &up->parts[s->part_number - 1];
            p->etag = fv_strdup(etag);
            memcpy(p->sha_b64, s->sha_b64, sizeof(p->sha_b64));
        } else {
            s_failf(up, FV_E_PARSE, "s3 UploadPart %s: no ETag in response", up->req.key);
        }
    }
    fv_aws_call_clean_up(&s->call);
    fv_aws_response_clean_up(&s->resp);
    s->state = S_FREE;
    s->len = 0;
    s_step(up);
}

static void s_start_part(struct s_upload *up, struct s_slot *s)
{
    s_sha256(s->buf, s->len, s->sha_hex, s->sha_b64);
    fv_buf_reset(&s->query);
    fv_buf_printf(&s->query, "partNumber=%u&", s->part_number);
    s_upload_id_query(up, &s->query);
    memset(&s->call, 0, sizeof(s->call));
    s->call.service = "s3";
    s->call.operation = "UploadPart";
    s->call.protocol = FV_PROTO_REST_XML;
    s->call.method = "PUT";
    s->call.s3_bucket = up->req.bucket;
    s->call.path = up->key_path.ptr;
    s->call.query = s->query.ptr;
    s->call.body = (struct fv_cur){s->buf, s->len};
    s->call.payload_hash = s->sha_hex;
    s->call.bulk = true;
    fv_headers_set(&s->call.headers, "Content-Type", S_OCTET_STREAM);
    fv_headers_set(&s->call.headers, "x-amz-checksum-sha256", s->sha_b64);
    s->state = S_BUSY;
    up->in_flight++;
    fv_aws_call_start(up->c, &s->call, &s->resp, s_on_part_done, s);
}

/* Numbers a filled slot as the next part. False past 10,000 parts. */
static bool s_number_part(struct s_upload *up, struct s_slot *s)
{
    if (up->n_parts == FV_S3_MAX_PARTS) {
        s_failf(up, FV_E_INVALID,
                "s3 upload %s: more than %d parts of %zu bytes; use a larger part_size",
                up->req.key, FV_S3_MAX_PARTS, up->part_size);
        return false;
    }
    up->parts = fv_realloc(up->parts, (up->n_parts + 1) * sizeof(*up->parts));
    memset(&up->parts[up->n_parts], 0, sizeof(*up->parts));
    s->part_number = ++up->n_parts;
    s->state = S_FILLED;
    return true;
}

static struct s_slot *s_free_slot(struct s_upload *up)
{
    for (int i = 0; i < up->n_slots; i++)
        if (up->slots[i].state == S_FREE)
            return &up->slots[i];
    return NULL;
}

/* COMPLETING */
static void s_start_complete(struct s_upload *up);

static void s_complete_retry(void *ud)
{
    s_start_complete(ud);
}

static void s_on_complete_done(void *ud, struct fv_aws_response *resp, const struct fv_error *err)
{
    struct s_upload *up = ud;
    up->ctl_busy = false;
    if (err) {
        s_fail(up, err);
        s_step(up);
        return;
    }
    /* A 200 can still carry an <Error> (the failure is found after the
     * response started). */
    struct fv_cur body = {resp->body.ptr, resp->body.len};
    xmlDocPtr doc = fv_xml_parse(body, NULL);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (root && strcmp((const char *)root->name, "Error") == 0) {
        struct fv_error e;
        fv_awsproto_decode_error(FV_PROTO_REST_XML, resp->status, &resp->headers, body, &e);
        xmlFreeDoc(doc);
        if (e.retryable && up->complete_attempts < S_COMPLETE_ATTEMPTS) {
            FV_LOG(FV_LOG_INFO, "s3", "CompleteMultipartUpload %s: %s in a 200, retrying",
                   up->req.key, e.code);
            up->ctl_busy = true; /* the retry is pending */
            fv_http_engine_after(fv_aws_client_engine(up->c), 200L * up->complete_attempts,
                                 s_complete_retry, up);
            return;
        }
        struct fv_error named = e;
        snprintf(named.message, sizeof(named.message),
                 "s3 CompleteMultipartUpload %.200s: %.63s (in a 200 response): %.150s",
                 up->req.key, e.code, e.message);
        s_fail(up, &named);
        s_step(up);
        return;
    }
    char *etag = root ? fv_xml_path_text(root, "ETag") : NULL;
    xmlFreeDoc(doc);
    if (!etag) {
        s_failf(up, FV_E_PARSE, "s3 CompleteMultipartUpload %s: no ETag in response", up->req.key);
    } else {
        up->out->etag = etag;
        up->out->version_id = fv_strdup(fv_headers_get(&resp->headers, "x-amz-version-id"));
        free(up->upload_id); /* complete: nothing to abort any more */
        up->upload_id = NULL;
        up->phase = S_FINISHED;
    }
    s_step(up);
}

static void s_start_complete(struct s_upload *up)
{
    s_ctl_reset(up);
    s_upload_id_query(up, &up->ctl_query);
    struct fv_buf *b = &up->ctl_body;
    fv_buf_append_str(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload "
                         "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (uint32_t i = 0; i < up->n_parts; i++) {
        fv_buf_printf(b, "<Part><PartNumber>%u</PartNumber><ETag>", i + 1);
        s_xml_escape(b, up->parts[i].etag);
        fv_buf_printf(b, "</ETag><ChecksumSHA256>%s</ChecksumSHA256></Part>", up->parts[i].sha_b64);
    }
    fv_buf_append_str(b, "</CompleteMultipartUpload>");
    up->ctl.body = (struct fv_cur){b->ptr, b->len};
    fv_headers_set(&up->ctl.headers, "Content-Type", "application/xml");
    up->complete_attempts++;
    up->phase = S_COMPLETING;
    s_ctl_call(up, "CompleteMultipartUpload", "POST", s_on_complete_done);
}

/* ABORTING */
static void s_on_abort_done(void *ud, struct fv_aws_response *resp, const struct fv_error *err)
{
    (void)resp;
    struct s_upload *up = ud;
    up->ctl_busy = false;
    if (err && strcmp(err->code, "NoSuchUpload") != 0)
        FV_LOG(FV_LOG_WARN, "s3",
               "AbortMultipartUpload %s failed (%s); a lifecycle rule must clean up its parts",
               up->req.key, err->message);
    free(up->upload_id);
    up->upload_id = NULL;
    up->phase = S_FINISHED;
    s_step(up);
}

static void s_start_abort(struct s_upload *up)
{
    s_ctl_reset(up);
    s_upload_id_query(up, &up->ctl_query);
    up->phase = S_ABORTING;
    s_ctl_call(up, "AbortMultipartUpload", "DELETE", s_on_abort_done);
}

/* One pass: starts whatever can start now. */
static void s_advance(struct s_upload *up)
{
    if (up->phase == S_FINISHED)
        return;
    if (up->failed) {
        if (up->in_flight > 0 || up->ctl_busy)
            return; /* wait for what is in flight */
        if (up->upload_id && up->phase != S_ABORTING)
            s_start_abort(up);
        else if (!up->upload_id)
            up->phase = S_FINISHED;
        return;
    }
    switch (up->phase) {
    case S_START: {
        struct s_slot *s = &up->slots[0];
        if (!s_fill(up, s) || (s->len == up->part_size && !s_peek(up))) {
            up->again = true;
            return;
        }
        if (up->eof && up->total <= up->threshold) {
            s_start_single(up, s);
            return;
        }
        up->out->multipart = true;
        if (s_number_part(up, s))
            s_start_create(up);
        else
            up->again = true;
        return;
    }
    case S_PARTS:
        for (int i = 0; i < up->n_slots; i++)
            if (up->slots[i].state == S_FILLED)
                s_start_part(up, &up->slots[i]);
        while (!up->eof && !up->failed) {
            struct s_slot *s = s_free_slot(up);
            if (!s || !s_fill(up, s) || s->len == 0 || !s_number_part(up, s))
                break;
            s_start_part(up, s);
        }
        if (up->failed)
            up->again = true;
        else if (up->eof && up->in_flight == 0)
            s_start_complete(up);
        return;
    case S_SINGLE:
    case S_CREATING:
    case S_COMPLETING:
    case S_ABORTING:
    case S_FINISHED: return; /* waiting for a callback */
    }
}

static void s_free(struct s_upload *up)
{
    for (int i = 0; i < up->n_slots; i++) {
        struct s_slot *s = &up->slots[i];
        free(s->buf);
        fv_aws_call_clean_up(&s->call);
        fv_aws_response_clean_up(&s->resp);
        fv_buf_clean_up(&s->query);
    }
    free(up->slots);
    for (uint32_t i = 0; i < up->n_parts; i++)
        free(up->parts[i].etag);
    free(up->parts);
    free(up->upload_id);
    fv_aws_call_clean_up(&up->ctl);
    fv_aws_response_clean_up(&up->ctl_resp);
    fv_buf_clean_up(&up->ctl_query);
    fv_buf_clean_up(&up->ctl_body);
    fv_buf_clean_up(&up->key_path);
    EVP_MD_CTX_free(up->sha);
    free(up);
}

static void s_finish(struct s_upload *up)
{
    struct fv_s3_upload_result *out = up->out;
    unsigned char md[32];
    unsigned int md_len = 0;
    EVP_DigestFinal_ex(up->sha, md, &md_len);
    fv_hex_encode(md, sizeof(md), out->sha256_hex);
    out->size = up->total;
    out->parts = out->multipart ? up->n_parts : 0;
    struct fv_error err = up->err;
    bool failed = up->failed;
    if (failed) {
        free(out->etag);
        free(out->version_id);
        out->etag = out->version_id = NULL;
    }
    fv_s3_upload_done_fn *done = up->done;
    void *ud = up->ud;
    s_free(up);
    done(ud, out, failed ? &err : NULL);
}

static void s_step(struct s_upload *up)
{
    if (up->stepping) {
        up->again = true;
        return;
    }
    up->stepping = true;
    do {
        up->again = false;
        s_advance(up);
    } while (up->again);
    up->stepping = false;
    if (up->phase == S_FINISHED)
        s_finish(up);
}

void fv_s3_upload_start(struct fv_aws_client *c, const struct fv_s3_upload *req,
                        struct fv_s3_upload_result *out, fv_s3_upload_done_fn *done, void *ud)
{
    struct s_upload *up = fv_calloc(1, sizeof(*up));
    memset(out, 0, sizeof(*out));
    up->c = c;
    up->req = *req;
    up->out = out;
    up->done = done;
    up->ud = ud;
    up->sha = EVP_MD_CTX_new();
    if (!up->sha)
        abort();
    EVP_DigestInit_ex(up->sha, EVP_sha256(), NULL);
    up->part_size = req->part_size ? req->part_size : FV_S3_DEFAULT_PART_SIZE;
    up->threshold = req->multipart_threshold ? req->multipart_threshold : S_DEFAULT_THRESHOLD;
    if (up->threshold > up->part_size)
        up->threshold = up->part_size;
    up->n_slots = req->parts_in_flight > 0 ? req->parts_in_flight : 1;

    struct fv_error e;
    if (!req->bucket || !req->key || !*req->key || !req->read) {
        fv_error_set(&e, FV_E_INVALID, "s3 upload: bucket, key and a read callback are needed");
        s_fail(up, &e);
    } else if (up->part_size < FV_S3_MIN_PART_SIZE || up->part_size > S_MAX_PART_SIZE) {
        fv_error_set(&e, FV_E_INVALID, "s3 upload %s: part size %zu not in 5 MiB..5 GiB", req->key,
                     up->part_size);
        s_fail(up, &e);
    } else if (req->parts_in_flight < 0 || req->parts_in_flight > S_MAX_PARTS_IN_FLIGHT) {
        fv_error_set(&e, FV_E_INVALID, "s3 upload %s: parts_in_flight %d not in 1..%d", req->key,
                     req->parts_in_flight, S_MAX_PARTS_IN_FLIGHT);
        s_fail(up, &e);
    } else if (s_check_options(&req->opt, req->key, &e) != FV_OK) {
        s_fail(up, &e);
    } else {
        fv_s3_key_path(req->key, &up->key_path);
    }
    up->slots = fv_calloc((size_t)up->n_slots, sizeof(*up->slots));
    for (int i = 0; i < up->n_slots; i++)
        up->slots[i].up = up;
    s_step(up);
}

struct s_sync {
    bool finished;
    bool failed;
    struct fv_error err;
};

static void s_sync_done(void *ud, struct fv_s3_upload_result *out, const struct fv_error *err)
{
    (void)out;
    struct s_sync *s = ud;
    s->finished = true;
    if (err) {
        s->failed = true;
        s->err = *err;
    }
}

fv_status fv_s3_upload(struct fv_aws_client *c, const struct fv_s3_upload *req,
                       struct fv_s3_upload_result *out, struct fv_error *err)
{
    struct s_sync s = {0};
    fv_s3_upload_start(c, req, out, s_sync_done, &s);
    while (!s.finished)
        fv_http_engine_poll(fv_aws_client_engine(c), 200);
    if (!s.failed)
        return FV_OK;
    if (err)
        *err = s.err;
    return s.err.status != FV_OK ? s.err.status : FV_E_IO;
}

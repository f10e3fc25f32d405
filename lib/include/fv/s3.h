/* S3 (rest-xml): objects in and out of the backup bucket.
 *
 * Uploads stream with bounded memory: an object that fits in one part goes
 * up as a single PutObject, anything larger as a multipart upload whose
 * parts are buffered part_size bytes at a time (parts_in_flight of them),
 * each sent with its SHA-256 (x-amz-checksum-sha256) so S3 verifies it. A
 * failed multipart upload is aborted, so no partial object is ever visible
 * and no parts are left behind. The whole object's size and SHA-256 are
 * computed in flight, both ways. Keys are raw (unencoded) UTF-8. The
 * addressing style (virtual host or path) is the client's choice.
 *
 * Errors by value: a missing object is FV_E_NOTFOUND (err->code NoSuchKey
 * or NotFound); other service errors FV_E_AWS with err->code. */
#ifndef FV_S3_H
#define FV_S3_H

#include <fv/aws.h>

#define FV_S3_MIN_PART_SIZE (5u * 1024 * 1024)
#define FV_S3_DEFAULT_PART_SIZE (8u * 1024 * 1024)
#define FV_S3_MAX_PARTS 10000

/* How an object is written. All borrowed. */
struct fv_s3_put_options {
    /* Always sent; NULL → "application/octet-stream". A form type
     * (application/x-www-form-urlencoded) is refused: S3 stand-ins store such
     * bodies empty. */
    const char *content_type;
    bool sse_kms;                     /* x-amz-server-side-encryption: aws:kms */
    const char *kms_key_id;           /* with sse_kms; NULL → the account's aws/s3 key */
    bool bucket_owner_full_control;   /* x-amz-acl: bucket-owner-full-control */
    const struct fv_header *metadata; /* x-amz-meta-<name>: value */
    size_t n_metadata;
};

struct fv_s3_upload_result {
    uint64_t size;
    char sha256_hex[65]; /* of the whole object, computed in flight */
    char *etag;          /* as S3 returns it, with quotes */
    char *version_id;    /* NULL when the bucket is not versioned */
    bool multipart;
    uint32_t parts;       /* 0 for a single PutObject */
    size_t peak_buffered; /* most bytes of object data held at once */
};
void fv_s3_upload_result_clean_up(struct fv_s3_upload_result *r);

/* PutObject from bytes (up to 5 GiB; sent as they are, no copy). opt may be
 * NULL. out (may be NULL) is caller's. */
fv_status fv_s3_put_object(struct fv_aws_client *c, const char *bucket, const char *key,
                           struct fv_cur body, const struct fv_s3_put_options *opt,
                           struct fv_s3_upload_result *out, struct fv_error *err);

/* The data source of a streaming upload: fill dst with up to cap bytes and
 * set *got (0 = end of the object). A short read is fine. Any status but
 * FV_OK (with err filled) fails the upload, which is then aborted. */
typedef fv_status fv_s3_read_fn(void *ud, char *dst, size_t cap, size_t *got, struct fv_error *err);

struct fv_s3_upload {
    const char *bucket;
    const char *key;
    struct fv_s3_put_options opt;
    fv_s3_read_fn *read;
    void *read_ud;
    /* Part size: 0 → 8 MiB; at least 5 MiB (S3's minimum). */
    size_t part_size;
    /* Objects up to this size go up as one PutObject: 0 → 8 MiB. Never more
     * than part_size (lowered to it), so memory stays bounded by
     * part_size × parts_in_flight. */
    size_t multipart_threshold;
    /* Part buffers held (read ahead and in flight) at once: 0 → 1. */
    int parts_in_flight;
};

/* Streams an object up from req->read. out is caller's (clean up with
 * fv_s3_upload_result_clean_up). */
fv_status fv_s3_upload(struct fv_aws_client *c, const struct fv_s3_upload *req,
                       struct fv_s3_upload_result *out, struct fv_error *err);

/* Asynchronous form, driven by the client's engine (fv_http_engine_poll):
 * done runs once from the engine with err NULL on success. req is copied,
 * but the strings, metadata and read_ud it points to, and out, must stay
 * valid until done. The read callback runs on the engine's thread, inside
 * its poll: it must not poll the engine itself. */
typedef void fv_s3_upload_done_fn(void *ud, struct fv_s3_upload_result *out,
                                  const struct fv_error *err);
void fv_s3_upload_start(struct fv_aws_client *c, const struct fv_s3_upload *req,
                        struct fv_s3_upload_result *out, fv_s3_upload_done_fn *done, void *ud);

/* The sink of a download: consume n bytes. Any status but FV_OK (with err
 * filled) stops the download. */
typedef fv_status fv_s3_write_fn(void *ud, const char *data, size_t n, struct fv_error *err);

struct fv_s3_get_result {
    uint64_t size;
    char sha256_hex[65]; /* of the bytes delivered, computed in flight */
    char *etag;
    char *content_type;
    char *version_id;
};
void fv_s3_get_result_clean_up(struct fv_s3_get_result *r);

/* GetObject streamed into write. A transfer that breaks after bytes were
 * delivered is not retried (the sink cannot take them back): FV_E_NET,
 * start again. out (may be NULL) is caller's. */
fv_status fv_s3_get_object(struct fv_aws_client *c, const char *bucket, const char *key,
                           fv_s3_write_fn *write, void *write_ud, struct fv_s3_get_result *out,
                           struct fv_error *err);

/* GetObject of bytes first..last (inclusive; a Range header), same rules.
 * last past the end is cut to it by S3. */
fv_status fv_s3_get_object_range(struct fv_aws_client *c, const char *bucket, const char *key,
                                 uint64_t first, uint64_t last, fv_s3_write_fn *write,
                                 void *write_ud, struct fv_s3_get_result *out,
                                 struct fv_error *err);

struct fv_s3_object_info {
    uint64_t size;
    char *etag;
    char *content_type;
    int64_t last_modified_ms;
    char *version_id;
    char *sse;                  /* x-amz-server-side-encryption: "AES256", "aws:kms" */
    char *kms_key_id;           /* x-amz-server-side-encryption-aws-kms-key-id */
    struct fv_headers metadata; /* x-amz-meta-* with the prefix removed */
};
void fv_s3_object_info_clean_up(struct fv_s3_object_info *i);

/* HeadObject; FV_E_NOTFOUND when there is no such object. */
fv_status fv_s3_head_object(struct fv_aws_client *c, const char *bucket, const char *key,
                            struct fv_s3_object_info *out, struct fv_error *err);

/* DeleteObject (deleting a missing key succeeds, as S3 does). */
fv_status fv_s3_delete_object(struct fv_aws_client *c, const char *bucket, const char *key,
                              struct fv_error *err);

#define FV_S3_DELETE_OBJECTS_MAX 1000

/* Keys DeleteObjects could not delete: key, code and message per entry
 * (all owned). */
struct fv_s3_delete_failures {
    struct fv_s3_delete_failure {
        char *key, *code, *message;
    } * items;
    size_t n;
};
void fv_s3_delete_failures_clean_up(struct fv_s3_delete_failures *f);

/* DeleteObjects of keys[0..n) (borrowed; 1..1000, else FV_E_INVALID and
 * nothing sent), quiet mode, with Content-MD5. FV_OK when the call
 * succeeded; keys S3 refused one by one are appended to failed (may be
 * NULL: then any refusal is FV_E_AWS naming the first). A missing key is
 * deleted, as S3 says. */
fv_status fv_s3_delete_objects(struct fv_aws_client *c, const char *bucket, const char *const *keys,
                               size_t n, struct fv_s3_delete_failures *failed,
                               struct fv_error *err);

struct fv_s3_list {
    const char *prefix;    /* NULL: the whole bucket */
    const char *delimiter; /* NULL: none; "/" rolls keys up into prefixes */
    int max_keys;          /* 1..1000; 0 → 1000 */
};

struct fv_s3_object {
    char *key;
    uint64_t size;
    char *etag;
    int64_t last_modified_ms;
};

/* Objects, a page or many; items are appended. */
struct fv_s3_objects {
    struct fv_s3_object *items;
    size_t n, cap;
    char **prefixes; /* CommonPrefixes (with a delimiter) */
    size_t n_prefixes;
    char *next;   /* NextContinuationToken; NULL on the last page */
    size_t pages; /* ListObjectsV2 calls made into this list */
};
void fv_s3_objects_clean_up(struct fv_s3_objects *l);

/* One ListObjectsV2 call from token (NULL: the first page); appends to out
 * and sets out->next. req may be NULL. */
fv_status fv_s3_list_objects_page(struct fv_aws_client *c, const char *bucket,
                                  const struct fv_s3_list *req, const char *token,
                                  struct fv_s3_objects *out, struct fv_error *err);

/* The wire path of a key for fv_aws_call.path ("/" + RFC 3986 encoding,
 * slashes kept), appended to out: for raw S3 calls. */
void fv_s3_key_path(const char *key, struct fv_buf *out);

#endif

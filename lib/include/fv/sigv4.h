/* AWS Signature Version 4 (header and presigned-URL forms).
 *
 * The request's path and query are in wire form (already percent-encoded as
 * they are sent). For every service but S3 the canonical path is the wire path
 * normalised (dot segments, duplicate slashes removed) and URI-encoded again
 * ("double encoding"); for S3 it is the wire path as-is. The canonical query
 * is the wire query decoded, RFC 3986-encoded and sorted. Header names are
 * lowercased, values trimmed with inner runs of spaces collapsed, and
 * repeated headers joined with ','. */
#ifndef FV_SIGV4_H
#define FV_SIGV4_H

#include <fv/common.h>
#include <fv/credentials.h>

#define FV_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define FV_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct fv_sigv4_params {
    const char *region;
    const char *service; /* signing name: "s3", "dynamodb", "sts", "iam", "quicksight", ... */
    int64_t time;        /* Unix seconds, UTC (injected) */
    const struct fv_credentials *creds;
    bool s3_path_rules; /* true: no double encoding, no normalisation */
    /* Hex SHA-256 of the body, FV_SIGV4_UNSIGNED_PAYLOAD, or NULL to hash
     * req->body. */
    const char *payload_hash;
    /* Adds x-amz-content-sha256 (header form). We always send it: S3 needs it
     * and every service accepts it. */
    bool add_content_sha256;
    /* Presign only: X-Amz-Expires in seconds. */
    int64_t expires;
    /* The session token is added after signing, not signed (a few services
     * such as IoT want that; false everywhere in fleetvault). */
    bool omit_session_token;
};

struct fv_sigv4_request {
    const char *method;
    const char *path;           /* wire form, e.g. "/my%20key" */
    const char *query;          /* wire form without '?', may be NULL or "" */
    struct fv_headers *headers; /* must hold Host; signing adds to it */
    struct fv_cur body;         /* hashed when payload_hash is NULL */
};

/* Header form: adds X-Amz-Date, X-Amz-Security-Token (when the credentials
 * have one), x-amz-content-sha256 (when asked) and Authorization to
 * req->headers. */
fv_status fv_sigv4_sign(const struct fv_sigv4_params *p, struct fv_sigv4_request *req,
                        struct fv_error *err);

/* Presigned form: writes the full query string (the request's own parameters
 * plus X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
 * -Security-Token, -Signature) into query_out, to be sent as "?"+query_out. */
fv_status fv_sigv4_presign(const struct fv_sigv4_params *p, const struct fv_sigv4_request *req,
                           struct fv_buf *query_out, struct fv_error *err);

/* Exposed for tests: the pieces of a header-form signature. */
fv_status fv_sigv4_canonical_request(const struct fv_sigv4_params *p,
                                     const struct fv_sigv4_request *req, struct fv_buf *out,
                                     struct fv_buf *signed_headers_out, struct fv_error *err);
void fv_sigv4_string_to_sign(const struct fv_sigv4_params *p, const char *canonical_request,
                             struct fv_buf *out);
/* Hex signature (65 bytes) of string_to_sign. */
void fv_sigv4_signature(const struct fv_sigv4_params *p, const char *string_to_sign, char out[65]);

/* RFC 3986 percent-encoding of everything but A-Z a-z 0-9 - _ . ~ (and '/'
 * when keep_slash). Appends to out. */
void fv_uri_encode(struct fv_buf *out, const char *s, size_t n, bool keep_slash);
/* Decodes %XX (not '+'); appends to out. False on a malformed escape. */
bool fv_uri_decode(struct fv_buf *out, const char *s, size_t n);
/* SHA-256 of data as lowercase hex (65 bytes). */
void fv_sha256_hex(const void *data, size_t n, char out[65]);

#endif

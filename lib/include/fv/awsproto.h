/* AWS wire protocols: error decoding for json, rest-json, query and rest-xml;
 * query-string / form encoding; XML helpers; pagination tokens. */
#ifndef FV_AWSPROTO_H
#define FV_AWSPROTO_H

#include <fv/common.h>
#include <libxml/tree.h>

enum fv_aws_protocol {
    FV_PROTO_JSON,      /* X-Amz-Target, application/x-amz-json-1.0/1.1 (DynamoDB, Logs, Cognito) */
    FV_PROTO_REST_JSON, /* QuickSight, Backup */
    FV_PROTO_QUERY,     /* form POST, XML response (IAM, STS, SNS) */
    FV_PROTO_REST_XML,  /* S3 */
};

/* Decodes an error response of the given protocol into err: http_status,
 * code (namespace prefixes such as "com.amazonaws.dynamodb.v20120810#" and
 * ":http://internal..." suffixes stripped), message (from "message",
 * "Message", <Message>), request id (x-amzn-RequestId / x-amz-request-id
 * header or <RequestId>), then classifies retryable/throttle. Also accepts an
 * XML <ErrorResponse> body for json services (moto under enforcement does
 * that), and X-Amzn-ErrorType when the body is empty. Sets err->status =
 * FV_E_AWS. */
void fv_awsproto_decode_error(enum fv_aws_protocol proto, int http_status,
                              const struct fv_headers *headers, struct fv_cur body,
                              struct fv_error *err);

/* A list of query parameters (owned strings). */
struct fv_params {
    struct fv_header *items;
    size_t n;
    size_t cap;
};
void fv_params_add(struct fv_params *p, const char *name, const char *value);
void fv_params_addf(struct fv_params *p, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fv_params_clean_up(struct fv_params *p);
/* name=value&... with RFC 3986 encoding, in insertion order. */
void fv_params_encode(const struct fv_params *p, struct fv_buf *out);

/* XML helpers over libxml2 (namespace-agnostic: match on local names). */
xmlDocPtr fv_xml_parse(struct fv_cur body, struct fv_error *err);
/* Wipes every text and attribute value of doc, then frees it (NULL-safe):
 * for documents that carried credentials (STS answers). */
void fv_xml_free_secret(xmlDocPtr doc);
/* First descendant element (depth-first) with local name `name`; NULL when none. */
xmlNodePtr fv_xml_find(xmlNodePtr from, const char *name);
/* Follows a '/'-separated path of local names from `from`'s children,
 * e.g. "GetCallerIdentityResult/Account". */
xmlNodePtr fv_xml_path(xmlNodePtr from, const char *path);
/* Text content of the node (caller owns; free()); NULL for NULL node. */
char *fv_xml_text(xmlNodePtr node);
/* Text of fv_xml_path(from, path) or NULL. Caller owns. */
char *fv_xml_path_text(xmlNodePtr from, const char *path);

/* Pagination: the next-page token of a response, whatever its name. Returns
 * NULL when there are no more pages (absent, null, empty string; for S3
 * ListObjectsV2 IsTruncated false). Caller owns the result.
 *   json / rest-json: NextToken, nextToken, NextMarker, Marker (IAM-style
 *   pagination in JSON is unusual but handled), LastEvaluatedKey (returned
 *   as its JSON text; pass back as ExclusiveStartKey),
 *   LastEvaluatedBackupArn, LastEvaluatedTableName, PaginationToken;
 *   query / rest-xml: NextToken, Marker (with IsTruncated=true),
 *   NextContinuationToken, NextMarker. */
struct json_object;
char *fv_page_token_json(struct json_object *resp, const char *field);
char *fv_page_token_xml(xmlDocPtr doc, const char *field);

#endif

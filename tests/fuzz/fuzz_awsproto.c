/* libFuzzer target: the AWS wire protocols' readers of untrusted answers —
 * the error decoders of json, rest-json, query and rest-xml, the paging
 * tokens of JSON and XML answers, and the XML path helpers.
 *
 * Input: byte 0 picks the protocol (bits 0-1) and the reader (bits 2-3),
 * byte 1 the HTTP status; then "Name: value" header lines, an empty line,
 * and the body. */
#include "fuzz_input.h"

#include <fv/awsproto.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static const int s_statuses[] = {400, 403, 404, 409, 429, 500, 502, 503, 504, 200, 301, 413, 0};

static void s_decode_error(enum fv_aws_protocol proto, int status, const struct fv_headers *h,
                           struct fv_cur body)
{
    struct fv_error err;
    memset(&err, 0xA5, sizeof(err)); /* whatever was there before */
    fv_awsproto_decode_error(proto, status, h, body, &err);
    fuzz_check_error(&err);
    if (err.status != FV_E_AWS || !err.code[0] || !err.message[0])
        abort(); /* a decoded error is a service error with a code and a message */
    if (err.throttle && !err.retryable)
        abort(); /* a throttle is always worth a retry */
}

static void s_page_token(enum fv_aws_protocol proto, struct fv_cur body)
{
    static const char *const fields[] = {NULL, "NextToken", "LastEvaluatedKey", "Marker",
                                         "NextContinuationToken"};
    const char *field = fields[body.len % (sizeof(fields) / sizeof(fields[0]))];
    char *token = NULL;
    if (proto == FV_PROTO_JSON || proto == FV_PROTO_REST_JSON) {
        struct json_tokener *tok = json_tokener_new();
        struct json_object *doc = json_tokener_parse_ex(tok, body.ptr, (int)body.len);
        token = fv_page_token_json(doc, field);
        json_object_put(doc);
        json_tokener_free(tok);
    } else {
        xmlDocPtr doc = fv_xml_parse(body, NULL);
        token = fv_page_token_xml(doc, field);
        xmlFreeDoc(doc);
    }
    if (token && !*token)
        abort(); /* an empty token means "no more pages" */
    free(token);
}

static void s_xml_paths(struct fv_cur body)
{
    struct fv_error err;
    xmlDocPtr doc = fv_xml_parse(body, &err);
    if (!doc)
        return;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    static const char *const paths[] = {"Error/Code",
                                        "GetCallerIdentityResult/Account",
                                        "AssumeRoleResult/Credentials/Expiration",
                                        "",
                                        "/",
                                        "a//b"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        free(fv_xml_path_text(root, paths[i]));
    free(fv_xml_text(fv_xml_find(root, "Message")));
    xmlFreeDoc(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 65536)
        return 0;
    enum fv_aws_protocol proto = (enum fv_aws_protocol)(data[0] & 3);
    int status = s_statuses[data[1] % (sizeof(s_statuses) / sizeof(s_statuses[0]))];
    struct fv_headers h = {0};
    struct fv_cur in;
    fuzz_answer((struct fv_cur){(const char *)data + 2, size - 2}, &h, &in);
    switch ((data[0] >> 2) & 3) {
    case 0:
    case 1: s_decode_error(proto, status, data[0] & 16 ? NULL : &h, in); break;
    case 2: s_page_token(proto, in); break;
    default: s_xml_paths(in); break;
    }
    fv_headers_clean_up(&h);
    return 0;
}

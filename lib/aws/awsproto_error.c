/* Error responses of the four AWS protocols, decoded into a struct fv_error.
 *
 * The body is sniffed rather than trusted to match the protocol: moto under
 * auth enforcement answers JSON services with an XML <ErrorResponse>, and
 * proxies answer anything with HTML. Shapes handled:
 *   json, rest-json  {"__type": "ns#Code", "message": "..."} or "code"; the
 *                    X-Amzn-ErrorType header ("Code:http://internal...")
 *                    wins when present (Smithy awsJson1_0/restJson1 specs)
 *   query            <ErrorResponse><Error><Type/><Code/><Message/></Error>
 *                    <RequestId/></ErrorResponse>
 *   rest-xml         <Error><Code/><Message/><RequestId/></Error>
 *   EC2 style, moto  <Response|ErrorResponse><Errors><Error>...</Error></Errors>
 *   empty (HEAD)     the code from X-Amzn-ErrorType, else from the status. */
#include <fv/awsproto.h>
#include <fv/retry.h>

#include <ctype.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SNIPPET_MAX 200 /* bytes of an undecodable body kept in the message */

/* Copies an error code: trimmed, without a ":http://..." suffix, and without
 * a "namespace#" prefix. */
static void s_set_code(struct fv_error *err, const char *raw, size_t n)
{
    while (n > 0 && isspace((unsigned char)*raw)) {
        raw++;
        n--;
    }
    const char *colon = memchr(raw, ':', n);
    if (colon)
        n = (size_t)(colon - raw);
    const char *hash = memchr(raw, '#', n);
    if (hash) {
        n -= (size_t)(hash + 1 - raw);
        raw = hash + 1;
    }
    while (n > 0 && isspace((unsigned char)raw[n - 1]))
        n--;
    snprintf(err->code, sizeof(err->code), "%.*s", (int)n, raw);
}

static void s_set_str(char *dst, size_t cap, const char *src)
{
    if (!src)
        return;
    while (isspace((unsigned char)*src))
        src++;
    size_t n = strlen(src);
    while (n > 0 && isspace((unsigned char)src[n - 1]))
        n--;
    snprintf(dst, cap, "%.*s", (int)n, src);
}

static const char *s_json_str(struct json_object *obj, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    const char *s = json_object_get_string(v);
    return s && *s ? s : NULL;
}

/* True when the body was a JSON object (whatever it held). */
static bool s_from_json(struct fv_cur body, bool code_from_header, struct fv_error *err)
{
    if (body.len > INT_MAX)
        return false;
    struct json_tokener *tok = json_tokener_new();
    struct json_object *obj = json_tokener_parse_ex(tok, body.ptr, (int)body.len);
    bool ok = obj && json_tokener_get_error(tok) == json_tokener_success &&
              json_object_is_type(obj, json_type_object);
    json_tokener_free(tok);
    if (!ok) {
        json_object_put(obj);
        return false;
    }
    if (!code_from_header) {
        const char *code = s_json_str(obj, "code");
        if (!code)
            code = s_json_str(obj, "__type");
        if (!code)
            code = s_json_str(obj, "Code");
        if (code)
            s_set_code(err, code, strlen(code));
    }
    const char *msg = s_json_str(obj, "message");
    if (!msg)
        msg = s_json_str(obj, "Message");
    if (!msg)
        msg = s_json_str(obj, "errorMessage");
    s_set_str(err->message, sizeof(err->message), msg);
    if (!err->request_id[0])
        s_set_str(err->request_id, sizeof(err->request_id), s_json_str(obj, "RequestId"));
    json_object_put(obj);
    return true;
}

static void s_copy_xml(char *dst, size_t cap, xmlNodePtr node)
{
    char *text = fv_xml_text(node);
    s_set_str(dst, cap, text);
    free(text);
}

/* True when the body was XML with an <Error> element. */
static bool s_from_xml(struct fv_cur body, struct fv_error *err)
{
    xmlDocPtr doc = fv_xml_parse(body, NULL);
    if (!doc)
        return false;
    /* Searching from the document node finds a root <Error> too. */
    xmlNodePtr error = fv_xml_find((xmlNodePtr)doc, "Error");
    if (error) {
        /* An XML error from a JSON service comes from another layer (auth, a
         * proxy) than X-Amzn-ErrorType describes: its code wins. */
        char *code = fv_xml_path_text(error, "Code");
        if (code && *code)
            s_set_code(err, code, strlen(code));
        free(code);
        xmlNodePtr msg = fv_xml_path(error, "Message");
        s_copy_xml(err->message, sizeof(err->message), msg ? msg : fv_xml_path(error, "message"));
    }
    if (!err->request_id[0]) {
        xmlNodePtr rid = fv_xml_find((xmlNodePtr)doc, "RequestId");
        s_copy_xml(err->request_id, sizeof(err->request_id),
                   rid ? rid : fv_xml_find((xmlNodePtr)doc, "RequestID"));
    }
    xmlFreeDoc(doc);
    return error != NULL;
}

/* A code for a response that carried none (HEAD requests have no body). */
static const char *s_code_from_status(enum fv_aws_protocol proto, int status)
{
    switch (status) {
    case 301: return "PermanentRedirect";
    case 304: return "NotModified";
    case 307: return "TemporaryRedirect";
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 412: return "PreconditionFailed";
    case 413: return "RequestEntityTooLarge";
    case 416: return "InvalidRange";
    case 429: return "TooManyRequestsException";
    case 500: return "InternalError";
    case 501: return "NotImplemented";
    case 502: return "BadGateway";
    case 503: return proto == FV_PROTO_REST_XML ? "SlowDown" : "ServiceUnavailable";
    case 504: return "GatewayTimeout";
    default: return NULL;
    }
}

/* The first bytes of an undecodable body, printable, on one line. */
static void s_snippet(struct fv_cur body, struct fv_buf *out)
{
    bool space = false;
    for (size_t i = 0; i < body.len && out->len < S_SNIPPET_MAX; i++) {
        unsigned char c = (unsigned char)body.ptr[i];
        if (isspace(c) || c < 0x20 || c == 0x7f) {
            space = out->len > 0;
            continue;
        }
        if (space)
            fv_buf_append_char(out, ' ');
        space = false;
        fv_buf_append_char(out, (char)c);
    }
}

void fv_awsproto_decode_error(enum fv_aws_protocol proto, int http_status,
                              const struct fv_headers *headers, struct fv_cur body,
                              struct fv_error *err)
{
    if (!err)
        return;
    fv_error_clear(err);
    err->status = FV_E_AWS;
    err->http_status = http_status;

    const char *rid = headers ? fv_headers_get(headers, "x-amzn-RequestId") : NULL;
    if (!rid && headers)
        rid = fv_headers_get(headers, "x-amz-request-id");
    s_set_str(err->request_id, sizeof(err->request_id), rid);
    const char *etype = headers ? fv_headers_get(headers, "X-Amzn-ErrorType") : NULL;
    if (etype && !*etype)
        etype = NULL;
    /* The JSON protocols take the header's code over the body's. */
    bool header_first = etype && (proto == FV_PROTO_JSON || proto == FV_PROTO_REST_JSON);
    if (header_first)
        s_set_code(err, etype, strlen(etype));

    struct fv_cur trimmed = body.ptr ? body : (struct fv_cur){"", 0};
    if (trimmed.len >= 3 && memcmp(trimmed.ptr, "\xEF\xBB\xBF", 3) == 0) {
        trimmed.ptr += 3;
        trimmed.len -= 3;
    }
    while (trimmed.len > 0 && isspace((unsigned char)*trimmed.ptr)) {
        trimmed.ptr++;
        trimmed.len--;
    }
    bool decoded = false;
    if (trimmed.len > 0 && trimmed.ptr[0] == '<') {
        /* Any protocol: moto, proxies and the query protocol all send XML. */
        decoded = s_from_xml(trimmed, err);
    } else if (trimmed.len > 0 && trimmed.ptr[0] == '{') {
        decoded = s_from_json(trimmed, header_first, err);
    }

    if (!err->code[0] && etype)
        s_set_code(err, etype, strlen(etype));
    if (!err->code[0]) {
        const char *code = s_code_from_status(proto, http_status);
        if (code)
            snprintf(err->code, sizeof(err->code), "%s", code);
        else
            snprintf(err->code, sizeof(err->code), "Http%d", http_status);
    }
    if (!err->message[0]) {
        struct fv_buf msg = {0};
        fv_buf_printf(&msg, "HTTP %d", http_status);
        if (!decoded && trimmed.len > 0) {
            fv_buf_append_str(&msg, ": ");
            s_snippet(trimmed, &msg);
        } else if (trimmed.len == 0) {
            fv_buf_append_str(&msg, " with an empty body");
        }
        snprintf(err->message, sizeof(err->message), "%s", fv_buf_str(&msg));
        fv_buf_clean_up(&msg);
    }
    fv_retry_classify(err);
}

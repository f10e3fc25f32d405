/* Pagination: the next-page token of a response, whatever the service calls
 * it. A token is returned only when there is a next page, so a loop is
 * "while ((token = fv_page_token_...(resp, NULL)))". */
#include <fv/awsproto.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* In the order they are tried when no field is named. */
static const char *const s_json_fields[] = {
    "NextToken",              /* most JSON services, QuickSight, Backup */
    "nextToken",              /* CloudWatch Logs */
    "NextMarker",             /* KMS-style */
    "Marker",                 /* IAM-style, with IsTruncated */
    "LastEvaluatedKey",       /* DynamoDB Scan/Query: a JSON object */
    "LastEvaluatedBackupArn", /* DynamoDB ListBackups */
    "LastEvaluatedTableName", /* DynamoDB ListTables */
    "PaginationToken",        /* Cognito ListUsers, Resource Groups Tagging */
};

static bool s_json_truncation_says_done(struct json_object *resp)
{
    struct json_object *t;
    return json_object_object_get_ex(resp, "IsTruncated", &t) &&
           json_object_is_type(t, json_type_boolean) && !json_object_get_boolean(t);
}

static char *s_json_value(struct json_object *v)
{
    if (!v)
        return NULL;
    switch (json_object_get_type(v)) {
    case json_type_null: return NULL;
    case json_type_string: {
        const char *s = json_object_get_string(v);
        return s && *s ? fv_strdup(s) : NULL;
    }
    case json_type_object:
        if (json_object_object_length(v) == 0)
            return NULL;
        return fv_strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    case json_type_array:
        if (json_object_array_length(v) == 0)
            return NULL;
        return fv_strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    default: return fv_strdup(json_object_get_string(v));
    }
}

char *fv_page_token_json(struct json_object *resp, const char *field)
{
    if (!resp || !json_object_is_type(resp, json_type_object) || s_json_truncation_says_done(resp))
        return NULL;
    struct json_object *v;
    if (field)
        return json_object_object_get_ex(resp, field, &v) ? s_json_value(v) : NULL;
    for (size_t i = 0; i < sizeof(s_json_fields) / sizeof(s_json_fields[0]); i++) {
        if (!json_object_object_get_ex(resp, s_json_fields[i], &v))
            continue;
        char *token = s_json_value(v);
        if (token)
            return token;
    }
    return NULL;
}

/* The first element called name among the root, its children and its
 * grandchildren: where every AWS XML response keeps its paging fields
 * (S3: ListBucketResult/NextContinuationToken; query protocol:
 * ListUsersResponse/ListUsersResult/Marker). Not deeper, so that an item
 * that happens to contain a "Marker" is not mistaken for the page's. */
static xmlNodePtr s_find_shallow(xmlNodePtr root, const char *name, int depth)
{
    if (!root || root->type != XML_ELEMENT_NODE)
        return NULL;
    if (strcmp((const char *)root->name, name) == 0)
        return root;
    if (depth == 0)
        return NULL;
    for (xmlNodePtr c = root->children; c; c = c->next) {
        xmlNodePtr found = s_find_shallow(c, name, depth - 1);
        if (found)
            return found;
    }
    return NULL;
}

static char *s_xml_token(xmlNodePtr node)
{
    char *text = fv_xml_text(node);
    if (text && !*text) {
        free(text);
        return NULL;
    }
    return text;
}

/* S3 ListObjects (v1) echoes the request's Marker; the next one is
 * NextMarker, or, without a delimiter, the last key of the page. */
static char *s_s3_v1_next(xmlNodePtr root)
{
    char *next = s_xml_token(s_find_shallow(root, "NextMarker", 1));
    if (next)
        return next;
    xmlNodePtr last = NULL;
    for (xmlNodePtr c = root->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "Contents") == 0)
            last = c;
    return s_xml_token(fv_xml_path(last, "Key"));
}

char *fv_page_token_xml(xmlDocPtr doc, const char *field)
{
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root)
        return NULL;
    char *truncated = fv_xml_text(s_find_shallow(root, "IsTruncated", 2));
    bool is_truncated = truncated && strcmp(truncated, "true") == 0;
    bool done = truncated && strcmp(truncated, "false") == 0;
    free(truncated);
    if (done)
        return NULL;
    bool s3_v1 = strcmp((const char *)root->name, "ListBucketResult") == 0 &&
                 !s_find_shallow(root, "KeyCount", 1); /* v2 has KeyCount */

    if (field) {
        if (s3_v1 && strcmp(field, "Marker") == 0)
            return is_truncated ? s_s3_v1_next(root) : NULL;
        if (strcmp(field, "Marker") == 0 && !is_truncated)
            return NULL;
        return s_xml_token(s_find_shallow(root, field, 2));
    }
    static const char *const fields[] = {"NextContinuationToken", "NextToken", "NextMarker"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        char *token = s_xml_token(s_find_shallow(root, fields[i], 2));
        if (token)
            return token;
    }
    if (!is_truncated)
        return NULL;
    if (s3_v1)
        return s_s3_v1_next(root);
    return s_xml_token(s_find_shallow(root, "Marker", 2));
}

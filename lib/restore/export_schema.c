/* The source table's schema written beside a full export
 * (fv_export_schema_make): what restore needs to create the target when
 * the source table, or its account, is gone. */
#include <fv/export_restore.h>
#include <fv/naming.h>

#include <json-c/json.h>
#include <string.h>

static void s_copy(struct json_object *from, struct json_object *to, const char *name)
{
    struct json_object *v;
    if (json_object_object_get_ex(from, name, &v) && v)
        json_object_object_add(to, name, json_object_get(v));
}

/* Each index's name, key schema and projection (no status, sizes or
 * throughput: they change while the schema does not). */
static void s_indexes(struct json_object *desc, const char *kind, struct json_object *out)
{
    struct json_object *src;
    if (!json_object_object_get_ex(desc, kind, &src) || !json_object_is_type(src, json_type_array))
        return;
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < json_object_array_length(src); i++) {
        struct json_object *ix = json_object_array_get_idx(src, i), *o = json_object_new_object();
        s_copy(ix, o, "IndexName");
        s_copy(ix, o, "KeySchema");
        s_copy(ix, o, "Projection");
        json_object_array_add(arr, o);
    }
    json_object_object_add(out, kind, arr);
}

fv_status fv_export_schema_make(struct json_object *desc, struct fv_buf *out, struct fv_error *err)
{
    struct json_object *v, *o;
    if (!json_object_object_get_ex(desc, "KeySchema", &v) ||
        !json_object_object_get_ex(desc, "AttributeDefinitions", &v))
        return fv_error_set(err, FV_E_PARSE, "DescribeTable: no KeySchema");
    o = json_object_new_object();
    json_object_object_add(o, "fleetvault", json_object_new_string("table-schema/1"));
    s_copy(desc, o, "TableName");
    s_copy(desc, o, "TableArn");
    s_copy(desc, o, "KeySchema");
    s_copy(desc, o, "AttributeDefinitions");
    s_indexes(desc, "GlobalSecondaryIndexes", o);
    s_indexes(desc, "LocalSecondaryIndexes", o);
    if (json_object_object_get_ex(desc, "BillingModeSummary", &v))
        s_copy(v, o, "BillingMode");
    if (json_object_object_get_ex(desc, "SSEDescription", &v)) {
        struct json_object *sse = json_object_new_object();
        s_copy(v, sse, "SSEType");
        s_copy(v, sse, "KMSMasterKeyArn");
        json_object_object_add(o, "SSEDescription", sse);
    }
    fv_buf_reset(out);
    fv_buf_append_str(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return FV_OK;
}

void fv_export_schema_key_of(const char *summary_key, struct fv_buf *out)
{
    const char *slash = strrchr(summary_key, '/');
    struct fv_buf dir = {0};
    if (slash)
        fv_buf_append(&dir, summary_key, (size_t)(slash - summary_key) + 1);
    fv_name_export_schema_key(fv_buf_str(&dir), out);
    fv_buf_clean_up(&dir);
}

/* Export manifests and chain selection (fv/export_restore.h): pure, no I/O. */
#include <fv/export_restore.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

void fv_export_summary_clean_up(struct fv_export_summary *s)
{
    if (!s)
        return;
    free(s->summary_key);
    free(s->export_arn);
    free(s->table_arn);
    free(s->files_key);
    free(s->format);
    memset(s, 0, sizeof(*s));
}

void fv_export_data_file_clean_up(struct fv_export_data_file *f)
{
    if (!f)
        return;
    free(f->key);
    free(f->md5_b64);
    free(f->etag);
    memset(f, 0, sizeof(*f));
}

static struct json_object *s_parse_object(struct fv_cur in, const char *what, struct fv_error *err)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *doc = NULL;
    if (in.len <= (size_t)INT32_MAX)
        doc = json_tokener_parse_ex(tok, in.ptr ? in.ptr : "", (int)in.len);
    bool whole = doc && json_tokener_get_error(tok) == json_tokener_success &&
                 (size_t)json_tokener_get_parse_end(tok) == in.len;
    json_tokener_free(tok);
    if (!doc || !whole || !json_object_is_type(doc, json_type_object)) {
        json_object_put(doc);
        fv_error_set(err, FV_E_PARSE, "%s: not a JSON object", what);
        return NULL;
    }
    return doc;
}

static const char *s_str(struct json_object *o, const char *name)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

int64_t fv_export_time_parse_ms(const char *s)
{
    if (!s)
        return -1;
    int64_t t = fv_time_parse_iso8601(s);
    if (t < 0)
        return -1;
    int64_t ms = 0;
    const char *dot = strchr(s, '.');
    if (dot && dot - s == 19) {
        int scale = 100;
        for (const char *p = dot + 1; *p >= '0' && *p <= '9'; p++, scale /= 10)
            ms += scale ? (*p - '0') * scale : 0;
    }
    return t * 1000 + ms;
}

fv_status fv_export_summary_parse(struct fv_cur json, struct fv_export_summary *out,
                                  struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct json_object *doc = s_parse_object(json, "manifest-summary.json", err);
    if (!doc)
        return FV_E_PARSE;
    const char *type = s_str(doc, "exportType");
    out->incremental = type && strcmp(type, "INCREMENTAL_EXPORT") == 0;
    out->export_arn = fv_strdup(s_str(doc, "exportArn"));
    out->table_arn = fv_strdup(s_str(doc, "tableArn"));
    out->files_key = fv_strdup(s_str(doc, "manifestFilesS3Key"));
    out->format = fv_strdup(s_str(doc, "outputFormat"));
    struct json_object *v;
    out->item_count =
        json_object_object_get_ex(doc, "itemCount", &v) && json_object_is_type(v, json_type_int)
            ? json_object_get_int64(v)
            : -1;
    const char *missing = NULL;
    if (type && !out->incremental && strcmp(type, "FULL_EXPORT") != 0)
        missing = "exportType";
    else if (!out->export_arn)
        missing = "exportArn";
    else if (!out->table_arn)
        missing = "tableArn";
    else if (!out->files_key)
        missing = "manifestFilesS3Key";
    if (out->incremental) {
        out->from_ms = fv_export_time_parse_ms(s_str(doc, "exportFromTime"));
        out->to_ms = fv_export_time_parse_ms(s_str(doc, "exportToTime"));
        out->export_time_ms = out->to_ms;
        if (!missing && (out->from_ms < 0 || out->to_ms <= out->from_ms))
            missing = "exportFromTime/exportToTime";
    } else {
        out->export_time_ms = fv_export_time_parse_ms(s_str(doc, "exportTime"));
        if (!missing && out->export_time_ms < 0)
            missing = "exportTime";
    }
    json_object_put(doc);
    if (!missing)
        return FV_OK;
    fv_export_summary_clean_up(out);
    return fv_error_set(err, FV_E_PARSE, "manifest-summary.json: no valid %s", missing);
}

fv_status fv_export_data_file_parse(struct fv_cur line, struct fv_export_data_file *out,
                                    struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    struct json_object *doc = s_parse_object(line, "manifest-files.json line", err);
    if (!doc)
        return FV_E_PARSE;
    out->key = fv_strdup(s_str(doc, "dataFileS3Key"));
    out->md5_b64 = fv_strdup(s_str(doc, "md5Checksum"));
    out->etag = fv_strdup(s_str(doc, "etag"));
    struct json_object *v;
    out->item_count =
        json_object_object_get_ex(doc, "itemCount", &v) && json_object_is_type(v, json_type_int)
            ? json_object_get_int64(v)
            : -1;
    json_object_put(doc);
    if (out->key && *out->key)
        return FV_OK;
    fv_export_data_file_clean_up(out);
    return fv_error_set(err, FV_E_PARSE, "manifest-files.json line: no dataFileS3Key");
}

fv_status fv_export_chain_select(const struct fv_export_summary *s, size_t n, int64_t to_ms,
                                 size_t *idx, size_t *n_idx, int64_t *reached_ms,
                                 struct fv_error *err)
{
    int64_t limit = to_ms > 0 ? to_ms : INT64_MAX;
    size_t full = n;
    *n_idx = 0;
    *reached_ms = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].incremental || s[i].export_time_ms > limit)
            continue;
        /* the newest; on a tie the smaller ARN, so the pick is stable */
        if (full == n || s[i].export_time_ms > s[full].export_time_ms ||
            (s[i].export_time_ms == s[full].export_time_ms &&
             strcmp(s[i].export_arn, s[full].export_arn) < 0))
            full = i;
    }
    if (full == n)
        return fv_error_set(err, FV_E_NOTFOUND, "no full export at or before the time asked for");
    idx[(*n_idx)++] = full;
    int64_t end = s[full].export_time_ms;
    for (;;) {
        size_t next = n;
        for (size_t i = 0; i < n; i++) {
            if (!s[i].incremental || s[i].from_ms != end || s[i].to_ms > limit ||
                strcmp(s[i].table_arn, s[full].table_arn) != 0)
                continue;
            /* two exports of one start (a re-run): the longer window wins,
             * then the smaller ARN */
            if (next == n || s[i].to_ms > s[next].to_ms ||
                (s[i].to_ms == s[next].to_ms && strcmp(s[i].export_arn, s[next].export_arn) < 0))
                next = i;
        }
        if (next == n)
            break;
        idx[(*n_idx)++] = next;
        end = s[next].to_ms;
    }
    *reached_ms = end;
    return FV_OK;
}

/* Resource Groups Tagging API: GetResources with tag and type filters. */
#include <fv/tagging.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_PER_PAGE 100

const char *fv_tagged_resource_tag(const struct fv_tagged_resource *r, const char *key)
{
    for (size_t i = 0; r && i < r->n_tags; i++)
        if (strcmp(r->tags[i].key, key) == 0)
            return r->tags[i].value;
    return NULL;
}

static void s_resource_clean_up(struct fv_tagged_resource *r)
{
    for (size_t i = 0; i < r->n_tags; i++) {
        free(r->tags[i].key);
        free(r->tags[i].value);
    }
    free(r->tags);
    free(r->arn);
    memset(r, 0, sizeof(*r));
}

void fv_tagged_resources_clean_up(struct fv_tagged_resources *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        s_resource_clean_up(&l->items[i]);
    free(l->items);
    free(l->next);
    memset(l, 0, sizeof(*l));
}

static const char *s_str(struct json_object *obj, const char *key)
{
    struct json_object *v;
    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static fv_status s_read_resource(struct json_object *m, struct fv_tagged_resource *out,
                                 struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *arn = s_str(m, "ResourceARN");
    if (!arn)
        return fv_error_set(err, FV_E_PARSE, "tagging GetResources: an item without ResourceARN");
    out->arn = fv_strdup(arn);
    struct json_object *tags;
    if (!json_object_object_get_ex(m, "Tags", &tags) || !json_object_is_type(tags, json_type_array))
        return FV_OK;
    size_t n = json_object_array_length(tags);
    out->tags = fv_calloc(n ? n : 1, sizeof(*out->tags));
    for (size_t i = 0; i < n; i++) {
        struct json_object *t = json_object_array_get_idx(tags, i);
        const char *k = s_str(t, "Key");
        if (!k)
            continue;
        const char *v = s_str(t, "Value");
        out->tags[out->n_tags].key = fv_strdup(k);
        out->tags[out->n_tags].value = fv_strdup(v ? v : "");
        out->n_tags++;
    }
    return FV_OK;
}

static struct json_object *s_request(const struct fv_tagging_query *q, const char *token)
{
    struct json_object *in = json_object_new_object();
    if (q && q->n_tag_filters > 0) {
        struct json_object *filters = json_object_new_array();
        for (size_t i = 0; i < q->n_tag_filters; i++) {
            const struct fv_tag_filter *f = &q->tag_filters[i];
            struct json_object *jf = json_object_new_object();
            json_object_object_add(jf, "Key", json_object_new_string(f->key));
            if (f->n_values > 0) {
                struct json_object *vals = json_object_new_array();
                for (size_t j = 0; j < f->n_values; j++)
                    json_object_array_add(vals, json_object_new_string(f->values[j]));
                json_object_object_add(jf, "Values", vals);
            }
            json_object_array_add(filters, jf);
        }
        json_object_object_add(in, "TagFilters", filters);
    }
    if (q && q->n_resource_types > 0) {
        struct json_object *types = json_object_new_array();
        for (size_t i = 0; i < q->n_resource_types; i++)
            json_object_array_add(types, json_object_new_string(q->resource_types[i]));
        json_object_object_add(in, "ResourceTypeFilters", types);
    }
    int per_page = q && q->per_page > 0 ? q->per_page : S_MAX_PER_PAGE;
    json_object_object_add(in, "ResourcesPerPage", json_object_new_int(per_page));
    if (token)
        json_object_object_add(in, "PaginationToken", json_object_new_string(token));
    return in;
}

fv_status fv_tagging_get_resources_page(struct fv_aws_client *c, const struct fv_tagging_query *q,
                                        const char *token, struct fv_tagged_resources *out,
                                        struct fv_error *err)
{
    if (q && (q->per_page < 0 || q->per_page > S_MAX_PER_PAGE))
        return fv_error_set(err, FV_E_INVALID, "tagging GetResources: per_page %d not in 1..100",
                            q->per_page);
    struct json_object *in = s_request(q, token);
    struct json_object *resp = NULL;
    fv_status st = fv_aws_json(c, &fv_aws_tagging, "GetResources", in, &resp, err);
    json_object_put(in);
    if (st != FV_OK)
        return st;
    out->pages++;
    struct json_object *list;
    size_t n = 0;
    if (json_object_object_get_ex(resp, "ResourceTagMappingList", &list) &&
        json_object_is_type(list, json_type_array))
        n = json_object_array_length(list);
    for (size_t i = 0; i < n && st == FV_OK; i++) {
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 32;
            out->items = fv_realloc(out->items, out->cap * sizeof(*out->items));
        }
        st = s_read_resource(json_object_array_get_idx(list, i), &out->items[out->n], err);
        if (st == FV_OK)
            out->n++;
        else
            s_resource_clean_up(&out->items[out->n]);
    }
    free(out->next);
    out->next = st == FV_OK ? fv_page_token_json(resp, "PaginationToken") : NULL;
    json_object_put(resp);
    return st;
}

fv_status fv_tagging_get_resources(struct fv_aws_client *c, const struct fv_tagging_query *q,
                                   struct fv_tagged_resources *out, struct fv_error *err)
{
    fv_status st = fv_tagging_get_resources_page(c, q, NULL, out, err);
    while (st == FV_OK && out->next) {
        char *token = out->next;
        out->next = NULL;
        st = fv_tagging_get_resources_page(c, q, token, out, err);
        if (st == FV_OK && out->next && strcmp(out->next, token) == 0)
            st = fv_error_set(err, FV_E_PARSE, "tagging GetResources: the same token twice");
        free(token);
    }
    return st;
}

/* QuickSight plumbing shared by identities, assets and asset bundles: wire
 * paths, the rest-json call, NextToken paging, JSON reads. */
#include "quicksight_internal.h"

#include <fv/sigv4.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void fv_qs_path_seg(struct fv_buf *path, const char *segment)
{
    fv_buf_append_char(path, '/');
    if (segment)
        fv_uri_encode(path, segment, strlen(segment), false);
}

void fv_qs_path(struct fv_buf *path, const char *account_id, ...)
{
    fv_buf_append_str(path, "/accounts");
    fv_qs_path_seg(path, account_id);
    va_list ap;
    va_start(ap, account_id);
    for (;;) {
        const char *literal = va_arg(ap, const char *);
        if (!literal)
            break;
        fv_buf_append_str(path, literal);
        const char *segment = va_arg(ap, const char *);
        if (!segment)
            break;
        fv_qs_path_seg(path, segment);
    }
    va_end(ap);
}

bool fv_qs_is_code(const struct fv_error *err, const char *code)
{
    return err && (err->status == FV_E_AWS || err->status == FV_E_NOTFOUND) &&
           strcmp(err->code, code) == 0;
}

fv_status fv_qs_call(struct fv_aws_client *c, const char *op, const char *method, const char *path,
                     const char *query, struct json_object *in, struct json_object **out,
                     struct fv_error *err)
{
    fv_status st = fv_aws_rest_json(c, "quicksight", op, method, path, query, in, out, err);
    if (st == FV_E_AWS && err && strcmp(err->code, "ResourceNotFoundException") == 0) {
        err->status = FV_E_NOTFOUND;
        st = FV_E_NOTFOUND;
    }
    return st;
}

fv_status fv_qs_list(struct fv_aws_client *c, const char *op, const char *path,
                     const struct fv_quicksight_list_options *opt, const char *list_field,
                     fv_qs_item_fn *fn, void *ud, size_t *pages, struct fv_error *err)
{
    int page_size = opt && opt->page_size ? opt->page_size : FV_QUICKSIGHT_PAGE_MAX;
    if (page_size < 1 || page_size > FV_QUICKSIGHT_PAGE_MAX)
        return fv_error_set(err, FV_E_INVALID, "quicksight %s: page size %d not in 1..%d", op,
                            page_size, FV_QUICKSIGHT_PAGE_MAX);
    fv_status st = FV_OK;
    bool one_page = opt && opt->next_token_out;
    char *token = one_page && opt->start_token ? fv_strdup(opt->start_token) : NULL, *prev = NULL;
    if (one_page)
        *opt->next_token_out = NULL;
    do {
        struct fv_buf query = {0};
        fv_buf_printf(&query, "max-results=%d", page_size);
        if (token) {
            fv_buf_append_str(&query, "&next-token=");
            fv_uri_encode(&query, token, strlen(token), false);
        }
        free(prev);
        prev = token;
        token = NULL;
        struct json_object *resp = NULL;
        st = fv_qs_call(c, op, "GET", path, query.ptr, NULL, &resp, err);
        fv_buf_clean_up(&query);
        if (st != FV_OK)
            break;
        (*pages)++;
        struct json_object *items = fv_json_get(resp, list_field);
        if (items && !json_object_is_type(items, json_type_array)) {
            st = fv_error_set(err, FV_E_PARSE, "quicksight %s: %s is not a list", op, list_field);
        } else {
            size_t n = items ? json_object_array_length(items) : 0;
            for (size_t i = 0; i < n && st == FV_OK; i++)
                st = fn(ud, json_object_array_get_idx(items, i), err);
        }
        if (st == FV_OK)
            token = fv_page_token_json(resp, "NextToken");
        json_object_put(resp);
        if (token && prev && strcmp(token, prev) == 0)
            st = fv_error_set(err, FV_E_PARSE, "quicksight %s: the same NextToken twice", op);
        if (st == FV_OK && one_page) {
            *opt->next_token_out = token;
            token = NULL;
        }
    } while (st == FV_OK && token);
    free(token);
    free(prev);
    return st;
}

void *fv_qs_push(void **items, size_t *n, size_t *cap, size_t elem)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *items = fv_realloc(*items, *cap * elem);
    }
    char *slot = (char *)*items + *n * elem;
    memset(slot, 0, elem);
    (*n)++;
    return slot;
}

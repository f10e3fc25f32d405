/* SSM Parameter Store: GetParameters (json 1.1, through fv_aws_json). */
#include "aws/json_internal.h"

#include <fv/ssm.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

void fv_ssm_parameters_clean_up(struct fv_ssm_parameters *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].name);
        fv_free_secret(p->items[i].value); /* a SecureString's value is a secret */
        free(p->items[i].type);
    }
    for (size_t i = 0; i < p->n_invalid; i++)
        free(p->invalid[i]);
    free(p->items);
    free(p->invalid);
    memset(p, 0, sizeof(*p));
}

const char *fv_ssm_parameters_value(const struct fv_ssm_parameters *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->items[i].name && strcmp(p->items[i].name, name) == 0)
            return p->items[i].value;
    return NULL;
}

fv_status fv_ssm_get_parameters(struct fv_aws_client *c, const char *const *names, size_t n,
                                struct fv_ssm_parameters *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    if (n == 0 || n > FV_SSM_GET_PARAMETERS_MAX)
        return fv_error_set(err, FV_E_INVALID, "ssm GetParameters: 1 to %d names, not %zu",
                            FV_SSM_GET_PARAMETERS_MAX, n);
    struct json_object *in = json_object_new_object(), *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, json_object_new_string(names[i]));
    json_object_object_add(in, "Names", arr);
    json_object_object_add(in, "WithDecryption", json_object_new_boolean(1));
    struct json_object *resp = NULL, *params = NULL, *invalid = NULL;
    fv_status st = fv_aws_json(c, &fv_aws_ssm, "GetParameters", in, &resp, err);
    json_object_put(in);
    if (st != FV_OK)
        return st;
    if (!json_object_object_get_ex(resp, "Parameters", &params) ||
        !json_object_is_type(params, json_type_array)) {
        json_object_put(resp);
        return fv_error_set(err, FV_E_PARSE, "ssm GetParameters: no Parameters");
    }
    size_t np = json_object_array_length(params);
    out->items = np ? fv_calloc(np, sizeof(*out->items)) : NULL;
    for (size_t i = 0; i < np; i++) {
        struct json_object *p = json_object_array_get_idx(params, i);
        struct fv_ssm_parameter *d = &out->items[out->n++];
        d->name = fv_json_str(p, "Name");
        d->value = fv_json_str(p, "Value");
        d->type = fv_json_str(p, "Type");
    }
    if (json_object_object_get_ex(resp, "InvalidParameters", &invalid) &&
        json_object_is_type(invalid, json_type_array)) {
        size_t ni = json_object_array_length(invalid);
        out->invalid = ni ? fv_calloc(ni, sizeof(*out->invalid)) : NULL;
        for (size_t i = 0; i < ni; i++) {
            struct json_object *v = json_object_array_get_idx(invalid, i);
            if (json_object_is_type(v, json_type_string))
                out->invalid[out->n_invalid++] = fv_strdup(json_object_get_string(v));
        }
    }
    json_object_put(resp);
    return FV_OK;
}

/* JSON reads and writes of the json services (aws/json_internal.h). */
#include "aws/json_internal.h"

#include <fv/clock.h>

#include <string.h>

struct json_object *fv_json_get(struct json_object *obj, const char *key)
{
    struct json_object *v = NULL;
    if (!obj || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &v))
        return NULL;
    return v;
}

char *fv_json_str(struct json_object *obj, const char *key)
{
    struct json_object *v = fv_json_get(obj, key);
    return v && json_object_is_type(v, json_type_string) ? fv_strdup(json_object_get_string(v))
                                                         : NULL;
}

bool fv_json_bool(struct json_object *obj, const char *key)
{
    struct json_object *v = fv_json_get(obj, key);
    return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

int64_t fv_json_i64(struct json_object *obj, const char *key, int64_t dflt)
{
    struct json_object *v = fv_json_get(obj, key);
    if (v && json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    if (!v || !json_object_is_type(v, json_type_double))
        return dflt;
    double d = json_object_get_double(v);
    return d >= -9.2e18 && d <= 9.2e18 ? (int64_t)d : dflt;
}

fv_status fv_json_time_ms(struct json_object *obj, const char *key, const char *service,
                          const char *op, int64_t *out, struct fv_error *err)
{
    struct json_object *v = fv_json_get(obj, key);
    *out = 0;
    if (!v)
        return FV_OK;
    if ((json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) &&
        fv_time_epoch_s_to_ms(json_object_get_double(v), out))
        return FV_OK;
    return fv_error_set(err, FV_E_PARSE, "%s %s: %s is not a time", service, op, key);
}

void fv_json_add_str(struct json_object *obj, const char *key, const char *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_new_string(value));
}

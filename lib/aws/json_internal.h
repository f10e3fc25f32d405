/* Shared by the json and rest-json services of lib/aws (DynamoDB and its
 * exports, QuickSight, SSM): reads of their answers and writes of their
 * requests. Not a public interface. */
#ifndef FV_JSON_INTERNAL_H
#define FV_JSON_INTERNAL_H

#include <fv/common.h>

#include <json-c/json.h>

/* obj[key]; NULL when obj is no object or has no key. Borrowed. */
struct json_object *fv_json_get(struct json_object *obj, const char *key);
/* obj[key] when a string (caller frees), else NULL. */
char *fv_json_str(struct json_object *obj, const char *key);
/* obj[key] when a boolean, else false. */
bool fv_json_bool(struct json_object *obj, const char *key);
/* A count or size; dflt when absent, not a number, or a number no int64
 * holds (json-c's own conversion of NaN is undefined). */
int64_t fv_json_i64(struct json_object *obj, const char *key, int64_t dflt);
/* Timestamps are epoch seconds with a fraction; *out (ms) is 0 when the key
 * is absent. A value that is there but is no time (not a number, NaN,
 * infinite, before 1970, after 9999) is FV_E_PARSE naming the service, op
 * and key: a backup must never sort as the oldest, nor a window end move a
 * chain, because an answer was junk. */
fv_status fv_json_time_ms(struct json_object *obj, const char *key, const char *service,
                          const char *op, int64_t *out, struct fv_error *err);
/* obj[key] = value as a JSON string; nothing when value is NULL. */
void fv_json_add_str(struct json_object *obj, const char *key, const char *value);

#endif

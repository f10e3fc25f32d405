/* Shared by lib/aws/dynamodb*.c and the control table's readers and writers
 * (lib/fleet/control*.c, lib/exports/state.c): reads of DynamoDB's JSON
 * answers and DynamoDB-JSON attribute values. Not a public interface. */
#ifndef FV_DYNAMODB_INTERNAL_H
#define FV_DYNAMODB_INTERNAL_H

#include <fv/dynamodb.h>

#include <json-c/json.h>

/* obj[key]; NULL when obj is no object or has no key. Borrowed. */
struct json_object *fv_ddb_get(struct json_object *obj, const char *key);
/* obj[key] when a string (caller frees), else NULL. */
char *fv_ddb_str(struct json_object *obj, const char *key);
/* A count or size; dflt when absent, not a number, or a number no int64
 * holds (json-c's own conversion of NaN is undefined). */
int64_t fv_ddb_i64(struct json_object *obj, const char *key, int64_t dflt);
/* DynamoDB timestamps are epoch seconds with a fraction; *out (ms) is 0 when
 * the key is absent. A value that is there but is no time (not a number,
 * NaN, infinite, before 1970, after 9999) is FV_E_PARSE naming op and key: a
 * backup must never sort as the oldest, nor a window end move a chain,
 * because an answer was junk. */
fv_status fv_ddb_time_ms(struct json_object *obj, const char *key, const char *op, int64_t *out,
                         struct fv_error *err);
/* obj[key] = value as a JSON string; nothing when value is NULL. */
void fv_ddb_add_str(struct json_object *obj, const char *key, const char *value);
/* A missing table, backup or export (ResourceNotFoundException,
 * TableNotFoundException, BackupNotFoundException, ExportNotFoundException)
 * becomes FV_E_NOTFOUND (err->code kept); any other st is returned as is. */
fv_status fv_ddb_notfound(fv_status st, struct fv_error *err);

/* Attribute values in DynamoDB JSON: {"S": v} and {"N": "<v>"} (caller owns
 * the new object). */
struct json_object *fv_ddb_attr_s(const char *v);
struct json_object *fv_ddb_attr_n(int64_t v);

#endif

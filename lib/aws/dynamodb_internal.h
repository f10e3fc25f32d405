/* Shared by lib/aws/dynamodb*.c and the control table's readers and writers
 * (lib/fleet/control*.c, lib/exports/state.c): DynamoDB's errors and
 * DynamoDB-JSON attribute values (the JSON reads: aws/json_internal.h). Not
 * a public interface. */
#ifndef FV_DYNAMODB_INTERNAL_H
#define FV_DYNAMODB_INTERNAL_H

#include "aws/json_internal.h"

#include <fv/dynamodb.h>

#include <json-c/json.h>

/* A missing table, backup or export (ResourceNotFoundException,
 * TableNotFoundException, BackupNotFoundException, ExportNotFoundException)
 * becomes FV_E_NOTFOUND (err->code kept); any other st is returned as is. */
fv_status fv_ddb_notfound(fv_status st, struct fv_error *err);

/* Attribute values in DynamoDB JSON: {"S": v} and {"N": "<v>"} (caller owns
 * the new object). */
struct json_object *fv_ddb_attr_s(const char *v);
struct json_object *fv_ddb_attr_n(int64_t v);

#endif

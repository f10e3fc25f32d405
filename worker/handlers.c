/* The dispatch table: task kind → handler. A new kind is a file in worker/
 * and a row here. */
#include "handler.h"

#include <string.h>

void fv_kind_dynamodb_backup(struct fv_handler_ctx *ctx);
void fv_kind_dynamodb_retention(struct fv_handler_ctx *ctx);
void fv_kind_dynamodb_export(struct fv_handler_ctx *ctx);
void fv_kind_iam_deny(struct fv_handler_ctx *ctx);
void fv_kind_quicksight_users(struct fv_handler_ctx *ctx);
void fv_kind_quicksight_groups(struct fv_handler_ctx *ctx);
void fv_kind_quicksight_export(struct fv_handler_ctx *ctx);
void fv_kind_quicksight_import(struct fv_handler_ctx *ctx);

static const struct fv_handler s_handlers[] = {
    {"dynamodb.backup", fv_kind_dynamodb_backup},
    {"dynamodb.retention", fv_kind_dynamodb_retention},
    {"dynamodb.export", fv_kind_dynamodb_export},
    {"iam.deny_delete_backup", fv_kind_iam_deny},
    {"quicksight.users", fv_kind_quicksight_users},
    {"quicksight.groups", fv_kind_quicksight_groups},
    {"quicksight.export", fv_kind_quicksight_export},
    {"quicksight.import", fv_kind_quicksight_import},
};

const struct fv_handler *fv_handler_find(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof(s_handlers) / sizeof(s_handlers[0]); i++)
        if (strcmp(s_handlers[i].kind, kind) == 0)
            return &s_handlers[i];
    return NULL;
}

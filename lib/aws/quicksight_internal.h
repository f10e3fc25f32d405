/* Shared by the QuickSight files: wire paths, calls, paging, JSON reads. */
#ifndef FV_QUICKSIGHT_INTERNAL_H
#define FV_QUICKSIGHT_INTERNAL_H

#include "aws/json_internal.h"

#include <fv/quicksight.h>

#include <json-c/json.h>

/* Appends "/" and the URI-encoded segment (a '/' inside it becomes %2F). */
void fv_qs_path_seg(struct fv_buf *path, const char *segment);
/* "/accounts/<account>" then each literal part (with its own slashes) and
 * encoded segment: fv_qs_path(&p, account, "/namespaces", ns, "/users",
 * NULL) — odd arguments after account are literals, even ones segments. */
void fv_qs_path(struct fv_buf *path, const char *account_id, ...);

/* One rest-json call; ResourceNotFoundException becomes FV_E_NOTFOUND
 * (err->code kept). in may be NULL (no body); out may be NULL. */
fv_status fv_qs_call(struct fv_aws_client *c, const char *op, const char *method, const char *path,
                     const char *query, struct json_object *in, struct json_object **out,
                     struct fv_error *err);

/* True when err is a service error with this code. */
bool fv_qs_is_code(const struct fv_error *err, const char *code);

/* Called for each item of a page's list_field array. */
typedef fv_status fv_qs_item_fn(void *ud, struct json_object *item, struct fv_error *err);

/* Every page of a List call (max-results / next-token query parameters),
 * fn on each item. *pages counts the calls made. */
fv_status fv_qs_list(struct fv_aws_client *c, const char *op, const char *path,
                     const struct fv_quicksight_list_options *opt, const char *list_field,
                     fv_qs_item_fn *fn, void *ud, size_t *pages, struct fv_error *err);

/* Grows an array of items of size elem to hold one more; returns the new
 * (zeroed) slot. */
void *fv_qs_push(void **items, size_t *n, size_t *cap, size_t elem);

#endif

/* Resource Groups Tagging API (json 1.1): which resources carry a tag, e.g.
 * the tables and buckets tagged backup=daily. Errors by value. */
#ifndef FV_TAGGING_H
#define FV_TAGGING_H

#include <fv/aws.h>

struct fv_tag {
    char *key;
    char *value;
};

struct fv_tagged_resource {
    char *arn;
    struct fv_tag *tags;
    size_t n_tags;
};
/* The value of tag key on r (borrowed), NULL when absent. */
const char *fv_tagged_resource_tag(const struct fv_tagged_resource *r, const char *key);

/* A tag filter: the key, and values of which any matches (none: any value). */
struct fv_tag_filter {
    const char *key;
    const char *const *values;
    size_t n_values;
};

/* All borrowed. Filters are ANDed. */
struct fv_tagging_query {
    const struct fv_tag_filter *tag_filters;
    size_t n_tag_filters;
    const char *const *resource_types; /* "dynamodb:table", "s3:bucket", ... */
    size_t n_resource_types;
    int per_page; /* ResourcesPerPage 1..100; 0 → 100 */
};

/* Resources, a page or many; items are appended. */
struct fv_tagged_resources {
    struct fv_tagged_resource *items;
    size_t n, cap;
    char *next;   /* PaginationToken for the next page; NULL at the end */
    size_t pages; /* GetResources calls made into this list */
};
void fv_tagged_resources_clean_up(struct fv_tagged_resources *l);

/* One GetResources call from token (NULL: the first page): appends to out
 * and sets out->next. */
fv_status fv_tagging_get_resources_page(struct fv_aws_client *c, const struct fv_tagging_query *q,
                                        const char *token, struct fv_tagged_resources *out,
                                        struct fv_error *err);
/* Every page. */
fv_status fv_tagging_get_resources(struct fv_aws_client *c, const struct fv_tagging_query *q,
                                   struct fv_tagged_resources *out, struct fv_error *err);

#endif

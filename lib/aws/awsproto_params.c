/* Query-string / form parameters (the query protocol's request body, REST
 * query strings): an ordered list, encoded with RFC 3986 rules. */
#include <fv/awsproto.h>
#include <fv/sigv4.h>

#include <stdio.h>
#include <stdlib.h>

static void s_add_owned(struct fv_params *p, const char *name, char *value)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->items = fv_realloc(p->items, p->cap * sizeof(*p->items));
    }
    p->items[p->n].name = fv_strdup(name);
    p->items[p->n].value = value;
    p->n++;
}

void fv_params_add(struct fv_params *p, const char *name, const char *value)
{
    s_add_owned(p, name, fv_strdup(value ? value : ""));
}

void fv_params_addf(struct fv_params *p, const char *name, const char *fmt, ...)
{
    struct fv_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    fv_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    s_add_owned(p, name, fv_buf_detach(&b));
}

void fv_params_clean_up(struct fv_params *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].name);
        fv_free_secret(p->items[i].value); /* WebIdentityToken, ExternalId */
    }
    free(p->items);
    memset(p, 0, sizeof(*p));
}

void fv_params_encode(const struct fv_params *p, struct fv_buf *out)
{
    for (size_t i = 0; i < p->n; i++) {
        if (i > 0)
            fv_buf_append_char(out, '&');
        fv_uri_encode(out, p->items[i].name, strlen(p->items[i].name), false);
        fv_buf_append_char(out, '=');
        fv_uri_encode(out, p->items[i].value, strlen(p->items[i].value), false);
    }
    if (!out->ptr)
        fv_buf_append(out, "", 0); /* an empty list still yields a string */
}

/* The streaming reader of export data files (fv/export_restore.h): gzip
 * bytes through zlib's inflater (gzip members, concatenated ones too) into
 * a line splitter; each DynamoDB-JSON line (or Ion line, read by ion.c into
 * the same DynamoDB JSON) becomes one put or delete. Memory: one 64 KiB
 * output buffer and one line (at most FV_EXPORT_MAX_LINE). */
#include <fv/export_restore.h>

#include "ion.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define S_OUT 65536

struct fv_export_reader {
    z_stream z;
    bool incremental, ion, ended; /* ended: a gzip member just finished */
    fv_export_op_fn *op;
    void *ud;
    struct fv_buf line;
    uint64_t lines; /* item lines */
    uint64_t at;    /* lines, blank ones too: where an error is */
    unsigned char out[S_OUT];
};

static struct fv_export_reader *s_new(bool incremental, bool ion, fv_export_op_fn *op, void *ud)
{
    struct fv_export_reader *r = fv_calloc(1, sizeof(*r));
    r->incremental = incremental;
    r->ion = ion;
    r->op = op;
    r->ud = ud;
    if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK)
        abort(); /* only out of memory */
    return r;
}

struct fv_export_reader *fv_export_reader_new(bool incremental, fv_export_op_fn *op, void *ud)
{
    return s_new(incremental, false, op, ud);
}

struct fv_export_reader *fv_export_reader_new_ion(bool incremental, fv_export_op_fn *op, void *ud)
{
    return s_new(incremental, true, op, ud);
}

void fv_export_reader_destroy(struct fv_export_reader *r)
{
    if (!r)
        return;
    inflateEnd(&r->z);
    fv_buf_clean_up(&r->line);
    free(r);
}

uint64_t fv_export_reader_lines(const struct fv_export_reader *r)
{
    return r->lines;
}

static struct json_object *s_member(struct json_object *o, const char *name)
{
    struct json_object *v;
    return json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_object)
               ? v
               : NULL;
}

static fv_status s_line(struct fv_export_reader *r, const char *p, size_t n, struct fv_error *err)
{
    r->at++;
    struct json_object *doc = NULL;
    bool whole = false;
    if (r->ion) {
        fv_status st = fv_ion_line_to_json(p, n, &doc, err);
        if (st != FV_OK) {
            char what[sizeof(err->message)];
            snprintf(what, sizeof(what), "%s", err->message);
            return fv_error_set(err, st, "line %llu: %s", (unsigned long long)r->at, what);
        }
        if (!doc)
            return FV_OK; /* blank, comments, the version marker */
        whole = true;
    } else if (n == 0) {
        return FV_OK;
    } else {
        struct json_tokener *tok = json_tokener_new();
        doc = json_tokener_parse_ex(tok, p, (int)n);
        whole = doc && json_tokener_get_error(tok) == json_tokener_success &&
                (size_t)json_tokener_get_parse_end(tok) == n;
        json_tokener_free(tok);
    }
    r->lines++;
    fv_status st;
    struct json_object *item = NULL;
    enum fv_export_op op = FV_EXPORT_PUT;
    if (whole && json_object_is_type(doc, json_type_object)) {
        if (!r->incremental) {
            item = s_member(doc, "Item");
        } else if ((item = s_member(doc, "NewImage")) == NULL) {
            item = s_member(doc, "Keys");
            op = FV_EXPORT_DELETE;
        }
    }
    if (!item || json_object_object_length(item) == 0)
        st = fv_error_set(err, FV_E_PARSE, "line %llu: not an export item (%s)",
                          (unsigned long long)r->at,
                          r->incremental ? "Keys with NewImage or alone" : "Item");
    else
        st = r->op(r->ud, op, item, err);
    json_object_put(doc);
    return st;
}

/* Splits out[0..n) into lines, keeping a partial one in r->line. */
static fv_status s_lines(struct fv_export_reader *r, const char *p, size_t n, struct fv_error *err)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        if (r->line.len + take > FV_EXPORT_MAX_LINE)
            return fv_error_set(err, FV_E_PARSE, "line %llu: longer than %u bytes",
                                (unsigned long long)r->at + 1, FV_EXPORT_MAX_LINE);
        if (!nl) {
            fv_buf_append(&r->line, p, take);
            return FV_OK;
        }
        fv_status st;
        if (r->line.len == 0) {
            st = s_line(r, p, take, err);
        } else {
            fv_buf_append(&r->line, p, take);
            st = s_line(r, r->line.ptr, r->line.len, err);
            fv_buf_reset(&r->line);
        }
        if (st != FV_OK)
            return st;
        p += take + 1;
        n -= take + 1;
    }
    return FV_OK;
}

fv_status fv_export_reader_feed(struct fv_export_reader *r, const char *data, size_t n,
                                struct fv_error *err)
{
    bool more_out = false; /* the last inflate filled the buffer: output may be pending */
    r->z.avail_in = 0;
    for (;;) {
        if (r->z.avail_in == 0 && n > 0) {
            uInt take = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
            r->z.next_in = (unsigned char *)(uintptr_t)data;
            r->z.avail_in = take;
            data += take;
            n -= take;
        }
        if (r->z.avail_in == 0 && !more_out)
            return FV_OK;
        if (r->ended) { /* another gzip member follows */
            if (inflateReset(&r->z) != Z_OK)
                return fv_error_set(err, FV_E_PARSE, "gzip: cannot start the next member");
            r->ended = false;
        }
        r->z.next_out = r->out;
        r->z.avail_out = S_OUT;
        int zr = inflate(&r->z, Z_NO_FLUSH);
        /* What was inflated is used before an error is reported, so the
         * same lines come out however the stream is split. */
        size_t got = S_OUT - r->z.avail_out;
        fv_status st = s_lines(r, (const char *)r->out, got, err);
        if (st != FV_OK)
            return st;
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
            return fv_error_set(err, FV_E_PARSE, "gzip: %s", r->z.msg ? r->z.msg : "bad data");
        more_out = r->z.avail_out == 0 && zr != Z_STREAM_END;
        if (zr == Z_STREAM_END)
            r->ended = true;
        else if (got == 0 && zr == Z_BUF_ERROR && r->z.avail_in > 0)
            return fv_error_set(err, FV_E_PARSE, "gzip: no progress");
    }
}

fv_status fv_export_reader_finish(struct fv_export_reader *r, struct fv_error *err)
{
    if (!r->ended)
        return fv_error_set(err, FV_E_PARSE, "gzip: the stream is cut short");
    if (r->line.len > 0) { /* a last line without its newline */
        fv_status st = s_line(r, r->line.ptr, r->line.len, err);
        fv_buf_reset(&r->line);
        return st;
    }
    return FV_OK;
}

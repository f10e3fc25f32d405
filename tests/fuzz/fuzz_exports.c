/* libFuzzer target: what restore and verify read from a DynamoDB export in
 * S3 — manifest-summary.json, a manifest-files.json line, the gzip stream of
 * a data file and its DynamoDB-JSON item lines — and the chain chosen from
 * a set of summaries.
 *
 * Input: byte 0 picks the reader, byte 1 is a parameter (full/incremental,
 * where to split the stream); the rest is the text:
 *   0  manifest-summary.json            1  one manifest-files.json line
 *   2  gzip bytes of a data file        3  item lines (gzip'd here first,
 *                                          so the line reader is reached)
 *   4  summaries separated by "\n--\n", a --to time in byte 1's window
 * Properties: a parsed summary has its ARNs, files key and ordered times;
 * the reader gives the same puts, deletes and status however the stream is
 * split; a chain starts with a full export, continues window by window
 * without reuse and never passes --to. */
#include "fuzz_input.h"

#include <fv/export_restore.h>

#include <json-c/json.h>
#include <zlib.h>

static void s_summary(struct fv_cur in)
{
    struct fv_export_summary s;
    struct fv_error err = {0};
    if (fv_export_summary_parse(in, &s, &err) != FV_OK) {
        if (s.export_arn || !err.message[0])
            abort();
        return;
    }
    if (!s.export_arn || !s.table_arn || !s.files_key)
        abort();
    if (s.incremental ? s.from_ms < 0 || s.to_ms <= s.from_ms || s.export_time_ms != s.to_ms
                      : s.export_time_ms < 0)
        abort();
    fv_export_summary_clean_up(&s);
}

static void s_files_line(struct fv_cur in)
{
    struct fv_export_data_file f;
    struct fv_error err = {0};
    if (fv_export_data_file_parse(in, &f, &err) == FV_OK) {
        if (!f.key || !*f.key)
            abort();
        fv_export_data_file_clean_up(&f);
    }
}

static fv_status s_log(void *ud, enum fv_export_op op, struct json_object *item,
                       struct fv_error *err)
{
    (void)err;
    if (!json_object_is_type(item, json_type_object) || json_object_object_length(item) == 0)
        abort();
    fv_buf_printf(ud, "%c%s\n", op == FV_EXPORT_PUT ? '+' : '-',
                  json_object_to_json_string_ext(item, JSON_C_TO_STRING_PLAIN));
    return FV_OK;
}

/* Reads gz whole, then split every `step` bytes: the same ops and status. */
static void s_stream(struct fv_cur gz, bool incremental, size_t step)
{
    struct fv_buf log[2] = {{0}, {0}};
    fv_status st[2];
    for (int pass = 0; pass < 2; pass++) {
        struct fv_error err = {0};
        struct fv_export_reader *r = fv_export_reader_new(incremental, s_log, &log[pass]);
        size_t chunk = pass == 0 ? (gz.len ? gz.len : 1) : step;
        st[pass] = FV_OK;
        for (size_t at = 0; st[pass] == FV_OK && at < gz.len; at += chunk)
            st[pass] = fv_export_reader_feed(r, gz.ptr + at,
                                             gz.len - at < chunk ? gz.len - at : chunk, &err);
        if (st[pass] == FV_OK)
            st[pass] = fv_export_reader_finish(r, &err);
        if (st[pass] != FV_OK && st[pass] != FV_E_PARSE)
            abort();
        fv_export_reader_destroy(r);
    }
    if (st[0] != st[1] || log[0].len != log[1].len ||
        (log[0].len && memcmp(log[0].ptr, log[1].ptr, log[0].len) != 0))
        abort();
    fv_buf_clean_up(&log[0]);
    fv_buf_clean_up(&log[1]);
}

static void s_lines(struct fv_cur in, bool incremental, size_t step)
{
    z_stream z = {0};
    if (deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t cap = deflateBound(&z, in.len);
    unsigned char *out = fv_malloc(cap);
    z.next_in = (unsigned char *)(uintptr_t)in.ptr;
    z.avail_in = (uInt)in.len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    s_stream((struct fv_cur){(const char *)out, cap - z.avail_out}, incremental, step);
    deflateEnd(&z);
    free(out);
}

static void s_chain(struct fv_cur in, uint8_t param)
{
    struct fv_export_summary s[16];
    size_t n = 0;
    while (in.len > 0 && n < 16) {
        struct fv_cur part = fuzz_take(&in, "\n--\n");
        struct fv_error err = {0};
        if (fv_export_summary_parse(part, &s[n], &err) == FV_OK)
            n++;
    }
    size_t idx[16], n_idx = 0;
    int64_t reached = 0, to = param == 0 ? 0 : INT64_C(1796300000000) + (int64_t)param * 450000;
    struct fv_error err = {0};
    if (fv_export_chain_select(s, n, to, idx, &n_idx, &reached, &err) == FV_OK) {
        if (n_idx == 0 || n_idx > n || s[idx[0]].incremental)
            abort();
        int64_t end = s[idx[0]].export_time_ms;
        bool used[16] = {false};
        for (size_t i = 0; i < n_idx; i++) {
            if (idx[i] >= n || used[idx[i]])
                abort();
            used[idx[i]] = true;
            if (i > 0) {
                if (!s[idx[i]].incremental || s[idx[i]].from_ms != end)
                    abort();
                end = s[idx[i]].to_ms;
            }
        }
        if (reached != end || (to > 0 && reached > to))
            abort();
    }
    for (size_t i = 0; i < n; i++)
        fv_export_summary_clean_up(&s[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct fv_cur in = {(const char *)data + 2, size - 2};
    uint8_t param = data[1];
    switch (data[0] % 5) {
    case 0: s_summary(in); break;
    case 1: s_files_line(in); break;
    case 2: s_stream(in, param & 1, 1 + (param >> 1)); break;
    case 3: s_lines(in, param & 1, 1 + (param >> 1)); break;
    default: s_chain(in, param); break;
    }
    return 0;
}

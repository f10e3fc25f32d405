/* The pure parts of restoring from DynamoDB exports (lib/restore/
 * export_chain.c, export_stream.c): which exports a chain takes (resets,
 * gaps, overlaps, re-runs, other tables, the --to cut-off), strict manifest
 * parsing, and the gzip line reader (split anywhere, several members, cut
 * short, lines that are not items, a bad CRC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/export_restore.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define T0 INT64_C(1796300000000) /* a full export's time, ms */
#define W INT64_C(900000)         /* a 15-minute window */
#define ITEM(k, v) "{\"pk\":{\"S\":\"" k "\"},\"sk\":{\"N\":\"1\"},\"v\":{\"N\":\"" v "\"}}"
#define KEY(k) "{\"pk\":{\"S\":\"" k "\"},\"sk\":{\"N\":\"1\"}}"
#define META "\"Metadata\":{\"WriteTimestampMicros\":{\"N\":\"1\"}},"

static void s_gzip(const char *in, size_t n, struct fv_buf *out)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, n);
    size_t at = out->len;
    fv_buf_append(out, NULL, 0);
    out->ptr = fv_realloc(out->ptr, at + cap);
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (unsigned char *)out->ptr + at;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    out->len = at + (cap - z.avail_out);
    out->cap = at + cap;
    deflateEnd(&z);
}

/* --- chain selection, pure --- */

static struct fv_export_summary s_full(const char *arn, int64_t t)
{
    return (struct fv_export_summary){
        .export_arn = (char *)arn, .table_arn = (char *)"tbl", .export_time_ms = t};
}

static struct fv_export_summary s_inc(const char *arn, int64_t from, int64_t to)
{
    return (struct fv_export_summary){.export_arn = (char *)arn,
                                      .table_arn = (char *)"tbl",
                                      .incremental = true,
                                      .from_ms = from,
                                      .to_ms = to,
                                      .export_time_ms = to};
}

static void s_chain_is(const struct fv_export_summary *s, size_t n, int64_t to, const char *want,
                       int64_t reached)
{
    size_t idx[16], n_idx;
    int64_t got_reached;
    struct fv_error err = {0};
    assert_int_equal(fv_export_chain_select(s, n, to, idx, &n_idx, &got_reached, &err), FV_OK);
    char got[256] = "";
    for (size_t i = 0; i < n_idx; i++) {
        size_t at = strlen(got);
        snprintf(got + at, sizeof(got) - at, "%s%s", i ? " " : "", s[idx[i]].export_arn);
    }
    assert_string_equal(got, want);
    assert_int_equal(got_reached, reached);
}

static void test_a_reset_starts_a_new_chain(void **state)
{
    (void)state;
    /* PITR gap, then RESET_WITH_FULL_EXPORT_AGAIN: full2 at T0+5W; the old
     * chain's windows after the gap must not be mixed in */
    struct fv_export_summary s[] = {
        s_full("full1", T0),
        s_inc("i1", T0, T0 + W),
        s_inc("i2", T0 + W, T0 + 2 * W),
        s_full("full2", T0 + 5 * W),
        s_inc("j1", T0 + 5 * W, T0 + 6 * W),
        s_inc("stale", T0 + 6 * W, T0 + 7 * W), /* from another table */
    };
    s[5].table_arn = (char *)"other";
    s_chain_is(s, 6, 0, "full2 j1", T0 + 6 * W);
    s_chain_is(s, 6, T0 + 5 * W - 1, "full1 i1 i2", T0 + 2 * W);
    s_chain_is(s, 6, T0 + 5 * W, "full2", T0 + 5 * W);
}

static void test_a_gap_ends_the_chain(void **state)
{
    (void)state;
    struct fv_export_summary s[] = {
        s_inc("i3", T0 + 2 * W, T0 + 3 * W), /* i2 missing */
        s_inc("i1", T0, T0 + W), s_full("full", T0),
        s_inc("overlap", T0 + W / 2, T0 + 2 * W), /* starts inside i1: not a continuation */
    };
    s_chain_is(s, 4, 0, "full i1", T0 + W);
}

static void test_a_rerun_window_is_applied_once(void **state)
{
    (void)state;
    struct fv_export_summary s[] = {
        s_full("full", T0),           s_inc("i1-b", T0, T0 + W),
        s_inc("i1-a", T0, T0 + W),    s_inc("i2", T0 + W, T0 + 2 * W),
        s_full("full-same-time", T0), /* a full re-run at the same time */
    };
    s_chain_is(s, 5, 0, "full i1-a i2", T0 + 2 * W);
}

static void test_incrementals_alone_are_no_chain(void **state)
{
    (void)state;
    struct fv_export_summary s[] = {s_inc("i1", T0, T0 + W)};
    size_t idx[1], n_idx;
    int64_t reached;
    struct fv_error err = {0};
    assert_int_equal(fv_export_chain_select(s, 1, 0, idx, &n_idx, &reached, &err), FV_E_NOTFOUND);
    assert_int_equal(fv_export_chain_select(s, 0, 0, idx, &n_idx, &reached, &err), FV_E_NOTFOUND);
}

static void test_summaries_are_parsed_strictly(void **state)
{
    (void)state;
    const char *ok = "{\"exportArn\":\"e\",\"tableArn\":\"t\",\"manifestFilesS3Key\":\"k\","
                     "\"exportType\":\"INCREMENTAL_EXPORT\",\"outputFormat\":\"DYNAMODB_JSON\","
                     "\"exportFromTime\":\"2026-12-03T14:00:00.250Z\","
                     "\"exportToTime\":\"2026-12-03T14:15:00.250Z\",\"itemCount\":3}";
    struct fv_export_summary s;
    struct fv_error err = {0};
    assert_int_equal(fv_export_summary_parse((struct fv_cur){ok, strlen(ok)}, &s, &err), FV_OK);
    assert_true(s.incremental);
    assert_int_equal(s.to_ms - s.from_ms, W);
    assert_int_equal(s.from_ms % 1000, 250);
    assert_int_equal(s.item_count, 3);
    fv_export_summary_clean_up(&s);
    static const char *bad[] = {
        "",
        "[]",
        "{\"exportArn\":\"e\"}",
        /* the window backwards */
        "{\"exportArn\":\"e\",\"tableArn\":\"t\",\"manifestFilesS3Key\":\"k\",\"exportType\":"
        "\"INCREMENTAL_EXPORT\",\"exportFromTime\":\"2026-12-03T14:15:00Z\",\"exportToTime\":"
        "\"2026-12-03T14:00:00Z\"}",
        /* an unknown type */
        "{\"exportArn\":\"e\",\"tableArn\":\"t\",\"manifestFilesS3Key\":\"k\",\"exportType\":"
        "\"HALF\",\"exportTime\":\"2026-12-03T14:15:00Z\"}",
        /* a full export without its time */
        "{\"exportArn\":\"e\",\"tableArn\":\"t\",\"manifestFilesS3Key\":\"k\"}",
        "{\"exportArn\":\"e\"} trailing",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(fv_export_summary_parse((struct fv_cur){bad[i], strlen(bad[i])}, &s, &err),
                         FV_E_PARSE);
        assert_null(s.export_arn);
    }
}

/* --- the streaming reader --- */

struct s_ops {
    struct fv_buf log;
};

static fv_status s_log_op(void *ud, enum fv_export_op op, struct json_object *item,
                          struct fv_error *err)
{
    (void)err;
    struct s_ops *o = ud;
    struct json_object *pk, *s;
    json_object_object_get_ex(item, "pk", &pk);
    json_object_object_get_ex(pk, "S", &s);
    fv_buf_printf(&o->log, "%s%s ", op == FV_EXPORT_PUT ? "+" : "-", json_object_get_string(s));
    return FV_OK;
}

static void test_the_reader_takes_gzip_split_anywhere(void **state)
{
    (void)state;
    const char *a = "{" META "\"Keys\":" KEY("a") ",\"NewImage\":" ITEM(
        "a", "2") "}\n"
                  "{" META "\"Keys\":" KEY("b") ",\"OldImage\":" ITEM("b", "1") "}\n";
    const char *b = "{" META "\"Keys\":" KEY("c") "}"; /* the last line without its newline */
    struct fv_buf gz = {0};
    s_gzip(a, strlen(a), &gz);
    s_gzip(b, strlen(b), &gz); /* two gzip members, as concatenated files are */
    for (size_t split = 1; split < gz.len; split += 7) {
        struct s_ops o = {0};
        struct fv_error err = {0};
        struct fv_export_reader *r = fv_export_reader_new(true, s_log_op, &o);
        for (size_t at = 0; at < gz.len; at += split) {
            size_t n = gz.len - at < split ? gz.len - at : split;
            assert_int_equal(fv_export_reader_feed(r, gz.ptr + at, n, &err), FV_OK);
        }
        assert_int_equal(fv_export_reader_finish(r, &err), FV_OK);
        assert_string_equal(fv_buf_str(&o.log), "+a -b -c ");
        assert_int_equal(fv_export_reader_lines(r), 3);
        fv_export_reader_destroy(r);
        fv_buf_clean_up(&o.log);
    }
    /* cut short: an error at the end, not a silent partial restore */
    struct s_ops o = {0};
    struct fv_error err = {0};
    struct fv_export_reader *r = fv_export_reader_new(true, s_log_op, &o);
    assert_int_equal(fv_export_reader_feed(r, gz.ptr, 20, &err), FV_OK);
    assert_int_equal(fv_export_reader_finish(r, &err), FV_E_PARSE);
    assert_non_null(strstr(err.message, "cut short"));
    fv_export_reader_destroy(r);
    fv_buf_clean_up(&o.log);
    fv_buf_clean_up(&gz);
}

static void test_the_reader_refuses_what_is_not_an_item(void **state)
{
    (void)state;
    static const struct {
        bool incremental;
        const char *lines;
        const char *says;
    } cases[] = {
        {false, "{\"Item\":" ITEM("a", "1") "}\n{\"Keys\":" KEY("b") "}\n", "line 2"},
        {true, "{\"NewImage\":[1]}\n", "line 1"},
        {true, "not json\n", "line 1"},
        {false, "{\"Item\":{}}\n", "line 1"},
        {false, "{\"Item\":" ITEM("a", "1") "} x\n", "line 1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fv_buf gz = {0};
        s_gzip(cases[i].lines, strlen(cases[i].lines), &gz);
        struct s_ops o = {0};
        struct fv_error err = {0};
        struct fv_export_reader *r = fv_export_reader_new(cases[i].incremental, s_log_op, &o);
        fv_status st = fv_export_reader_feed(r, gz.ptr, gz.len, &err);
        if (st == FV_OK)
            st = fv_export_reader_finish(r, &err);
        assert_int_equal(st, FV_E_PARSE);
        assert_non_null(strstr(err.message, cases[i].says));
        fv_export_reader_destroy(r);
        fv_buf_clean_up(&o.log);
        fv_buf_clean_up(&gz);
    }
    /* not gzip at all */
    struct s_ops o = {0};
    struct fv_error err = {0};
    struct fv_export_reader *r = fv_export_reader_new(false, s_log_op, &o);
    assert_int_equal(fv_export_reader_feed(r, "{\"Item\":{}}\n", 12, &err), FV_E_PARSE);
    assert_non_null(strstr(err.message, "gzip"));
    fv_export_reader_destroy(r);
}

/* Found by fuzz_exports: a bad CRC is found after the data was inflated;
 * the lines before it come out (and the error after them) whether the
 * stream arrives whole or a byte at a time. */
static void test_a_bad_crc_fails_after_the_same_lines_however_split(void **state)
{
    (void)state;
    const char *a = "{\"Item\":" ITEM("a", "1") "}\n{\"Item\":" ITEM("b", "1") "}\n";
    struct fv_buf gz = {0};
    s_gzip(a, strlen(a), &gz);
    gz.ptr[gz.len - 6] ^= 1; /* the CRC-32 in the trailer */
    for (size_t split = 1; split <= gz.len; split += gz.len - 1) {
        struct s_ops o = {0};
        struct fv_error err = {0};
        struct fv_export_reader *r = fv_export_reader_new(false, s_log_op, &o);
        fv_status st = FV_OK;
        for (size_t at = 0; st == FV_OK && at < gz.len; at += split)
            st = fv_export_reader_feed(r, gz.ptr + at, gz.len - at < split ? gz.len - at : split,
                                       &err);
        assert_int_equal(st, FV_E_PARSE);
        assert_non_null(strstr(err.message, "gzip"));
        assert_string_equal(fv_buf_str(&o.log), "+a +b ");
        fv_export_reader_destroy(r);
        fv_buf_clean_up(&o.log);
    }
    fv_buf_clean_up(&gz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_reset_starts_a_new_chain),
        cmocka_unit_test(test_a_gap_ends_the_chain),
        cmocka_unit_test(test_a_rerun_window_is_applied_once),
        cmocka_unit_test(test_incrementals_alone_are_no_chain),
        cmocka_unit_test(test_summaries_are_parsed_strictly),
        cmocka_unit_test(test_the_reader_takes_gzip_split_anywhere),
        cmocka_unit_test(test_the_reader_refuses_what_is_not_an_item),
        cmocka_unit_test(test_a_bad_crc_fails_after_the_same_lines_however_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

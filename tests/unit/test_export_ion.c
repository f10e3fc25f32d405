/* The Ion text reader of ION exports (lib/restore/ion.c): each line becomes
 * exactly the DynamoDB JSON a DYNAMODB_JSON export holds for it — every
 * attribute type, the decimal forms converted digit for digit, escapes,
 * quoted names, the $dynamodb_ set annotations — and what DynamoDB never
 * writes is refused with the column; through the gzip reader a bad line is
 * named by its line number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/export_restore.h>

#include "restore/ion.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void s_converts(const char *ion, const char *json)
{
    struct json_object *doc = NULL;
    struct fv_error err = {0};
    fv_status st = fv_ion_line_to_json(ion, strlen(ion), &doc, &err);
    if (st != FV_OK)
        fail_msg("%s: %s", ion, err.message);
    assert_non_null(doc);
    assert_string_equal(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE),
                        json);
    json_object_put(doc);
}

static void s_refuses(const char *ion, const char *says)
{
    struct json_object *doc = NULL;
    struct fv_error err = {0};
    assert_int_equal(fv_ion_line_to_json(ion, strlen(ion), &doc, &err), FV_E_PARSE);
    assert_null(doc);
    if (!strstr(err.message, says))
        fail_msg("%s: \"%s\" does not say \"%s\"", ion, err.message, says);
}

/* N as DynamoDB holds it: the exact digits, never through a double. */
static const char *s_n(const char *ion_number, char *buf, size_t cap)
{
    char line[256];
    snprintf(line, sizeof(line), "{Item:{n:%s}}", ion_number);
    struct json_object *doc = NULL, *item, *n, *s;
    struct fv_error err = {0};
    if (fv_ion_line_to_json(line, strlen(line), &doc, &err) != FV_OK)
        fail_msg("%s: %s", ion_number, err.message);
    json_object_object_get_ex(doc, "Item", &item);
    json_object_object_get_ex(item, "n", &n);
    json_object_object_get_ex(n, "N", &s);
    snprintf(buf, cap, "%s", json_object_get_string(s));
    json_object_put(doc);
    return buf;
}

static void test_every_attribute_type_converts_exactly(void **state)
{
    (void)state;
    s_converts("$ion_1_0 {Item:{pk:\"a\",n:1.,b:{{aGk=}},t:true,f:false,z:null,"
               "m:{x:\"y\",'odd name':[1.,\"two\"]},l:[],"
               "ss:$dynamodb_SS::[\"p\",\"q\"],ns:$dynamodb_NS::[1.,-2.5,12d-3],"
               "bs:$dynamodb_BS::[{{AA==}},{{ AQI= }}]}}",
               "{\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"},\"b\":{\"B\":\"aGk=\"},"
               "\"t\":{\"BOOL\":true},\"f\":{\"BOOL\":false},\"z\":{\"NULL\":true},"
               "\"m\":{\"M\":{\"x\":{\"S\":\"y\"},\"odd name\":{\"L\":[{\"N\":\"1\"},"
               "{\"S\":\"two\"}]}}},\"l\":{\"L\":[]},\"ss\":{\"SS\":[\"p\",\"q\"]},"
               "\"ns\":{\"NS\":[\"1\",\"-2.5\",\"0.012\"]},\"bs\":{\"BS\":[\"AA==\",\"AQI=\"]}}}");
    /* the incremental's shape; typed nulls, quoted and string field names */
    s_converts("{Metadata:{WriteTimestampMicros:1680109764000000},Keys:{\"pk\":\"a\"},"
               "NewImage:{pk:\"a\",'null':null.string},OldImage:{pk:\"a\"}}",
               "{\"Metadata\":{\"WriteTimestampMicros\":{\"N\":\"1680109764000000\"}},"
               "\"Keys\":{\"pk\":{\"S\":\"a\"}},\"NewImage\":{\"pk\":{\"S\":\"a\"},"
               "\"null\":{\"NULL\":true}},\"OldImage\":{\"pk\":{\"S\":\"a\"}}}");
    /* whitespace, comments, a trailing comma */
    s_converts("{Item:{'':\"\"}}",
               "{\"Item\":{\"\":{\"S\":\"\"}}}"); /* fuzz_exports: no NULL to memchr */
    s_converts(" /* c */ $ion_1_0\t{ Keys : { pk : \"a\" , } , } // end",
               "{\"Keys\":{\"pk\":{\"S\":\"a\"}}}");
}

static void test_decimals_become_exact_n_strings(void **state)
{
    (void)state;
    char b[256];
    static const char *const cases[][2] = {
        {"1.", "1"},
        {"-1.5", "-1.5"},
        {"12d-3", "0.012"},
        {"1.2d3", "1200"},
        {"1.2D+3", "1200"},
        {"1.50", "1.5"},
        {"0.", "0"},
        {"-0.", "0"},
        {"0d5", "0"},
        {"-0.000", "0"},
        {"100.", "100"},
        {"1d2", "100"},
        {"0.001", "0.001"},
        {"1_000.000_5", "1000.0005"},
        {"42", "42"},
        {"-7", "-7"},
        {"0x1F", "31"},
        {"-0b101", "-5"},
        {"12345678901234567890123456789012345678.", "12345678901234567890123456789012345678"},
        {"-0.12345678901234567890123456789012345678", "-0.12345678901234567890123456789012345678"},
        {"9.9999999999999999999999999999999999999d125",
         "99999999999999999999999999999999999999E+88"},
        {"1d38", "1E+38"},
        {"1d37", "10000000000000000000000000000000000000"},
        {"-12.d40", "-12E+40"},
        /* found by fuzz_exports: 39 digits and no exponent came out as "<digits>." */
        {"123456789012345678901234567890123456789.", "123456789012345678901234567890123456789"},
        {"1234567890123456789012345678901234567890.", "123456789012345678901234567890123456789E+1"},
        {"1d-130",
         "0.000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000001"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(s_n(cases[i][0], b, sizeof(b)), cases[i][1]);
}

static void test_strings_decode_ion_escapes(void **state)
{
    (void)state;
    s_converts("{Item:{s:\"q\\\"b\\\\s\\/t\\tn\\n0\\0x\\x41u\\u00e9U\\U0001F600p\\ud83d\\ude00\"}}",
               "{\"Item\":{\"s\":{\"S\":\"q\\\"b\\\\s/t\\tn\\n0\\u0000xAu\xc3\xa9U\xf0\x9f\x98\x80"
               "p\xf0\x9f\x98\x80\"}}}");
    s_converts("{Item:{'it\\'s':\"\xc3\xa9\"}}", "{\"Item\":{\"it's\":{\"S\":\"\xc3\xa9\"}}}");
}

static void test_what_dynamodb_never_writes_is_refused(void **state)
{
    (void)state;
    s_refuses("{Item:{n:1.2e3}}", "float");
    s_refuses("{Item:{n:nan}}", "float");
    s_refuses("{Item:{n:+inf}}", "float");
    s_refuses("{Item:{n:-inf}}", "float");
    s_refuses("{Item:{n:01}}", "leading zero");
    s_refuses("{Item:{n:1__0}}", "junk after a number");
    s_refuses("{Item:{n:1d}}", "exponent");
    s_refuses("{Item:{n:1d999999}}", "outside DynamoDB's range");
    s_refuses("{Item:{n:0x10000000000000000}}", "64 bits");
    s_refuses("{Item:{t:2007-01-01T}}", "junk after a number");
    s_refuses("{Item:{s:sym}}", "symbol value");
    s_refuses("{Item:{z:null.str}}", "Ion type");
    /* found by fuzz_exports: the keyword was read after the type's buffer moved */
    s_refuses("{Item:{z:null.struct222222222222222222222222222222222222222222222222x}}",
              "Ion type");
    s_refuses("{Item:{z:null.struct!}}", "junk after null");
    s_refuses("{Item:{s:'''long'''}}", "long string");
    s_refuses("{Item:{s:\"\\q\"}}", "unknown escape");
    s_refuses("{Item:{s:\"\\ud800x\"}}", "surrogate");
    s_refuses("{Item:{s:\"\xff\"}}", "not UTF-8");
    s_refuses("{Item:{s:\"open}}", "not closed");
    s_refuses("{Item:{b:{{\"clob\"}}}}", "clob");
    s_refuses("{Item:{b:{{abc}}}}", "multiple of 4");
    s_refuses("{Item:{b:{{a=bc}}}}", "not base64");
    s_refuses("{Item:{x:foo::1.}}", "annotation foo");
    s_refuses("{Item:{x:$dynamodb_SS::[1.]}}", "not a member");
    s_refuses("{Item:{x:$dynamodb_NS::[]}}", "empty set");
    s_refuses("{Item:{x:(a b)}}", "unexpected '('");
    s_refuses("{Item:{$10:1.}}", "symbol id");
    s_refuses("{Item:{a:1.,a:2.}}", "field a twice");
    s_refuses("{Item:{'a\\0':1.,a:2.}}", "NUL");
    s_refuses("{Item:{a:1.}} {Item:{a:1.}}", "more than one value");
    s_refuses("[1.]", "a struct is wanted");
    s_refuses("{Item:\"a\"}", "a struct is wanted");
    s_refuses("{Item:{a:1. /* open", "comment");
    s_refuses("{Item:{a 1.}}", "':'");
    s_refuses("{Item:{a:1.", "',' or '}'");
    s_refuses("{Item:{a:1.}", "',' or '}'");
    /* column numbers point at the fault */
    s_refuses("{Item:{a:@}}", "column 10");
    /* nesting is bounded */
    char deep[400] = "{Item:{a:";
    memset(deep + 9, '[', 80);
    s_refuses(deep, "nested deeper");
    /* nothing on a line */
    struct json_object *doc = (struct json_object *)1;
    struct fv_error err = {0};
    assert_int_equal(fv_ion_line_to_json("  $ion_1_0 // x", 15, &doc, &err), FV_OK);
    assert_null(doc);
}

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

static void s_gzip(const char *in, struct fv_buf *out)
{
    z_stream z = {0};
    size_t n = strlen(in);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, n);
    out->ptr = malloc(cap);
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (unsigned char *)out->ptr;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    out->len = cap - z.avail_out;
    deflateEnd(&z);
}

static void test_the_ion_reader_applies_lines_and_names_a_bad_one(void **state)
{
    (void)state;
    const char *ok = "$ion_1_0 {Item:{pk:\"a\"}}\n\n$ion_1_0 {Item:{pk:\"b\"}}\n";
    const char *inc = "{Metadata:{WriteTimestampMicros:1},Keys:{pk:\"c\"},NewImage:{pk:\"c\"}}\n"
                      "{Metadata:{WriteTimestampMicros:2},Keys:{pk:\"d\"},OldImage:{pk:\"d\"}}";
    const char *bad = "{Item:{pk:\"a\"}}\n{Item:{pk:\"b\",n:1e0}}\n";
    const struct {
        bool incremental;
        const char *text, *log, *says;
        uint64_t lines;
    } cases[] = {
        {false, ok, "+a +b ", NULL, 2},
        {true, inc, "+c -d ", NULL, 2},
        {false, bad, "+a ", "line 2: Ion, column 18: a float", 1},
        {false, "{Keys:{pk:\"a\"}}\n", "", "line 1: not an export item", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fv_buf gz = {0};
        s_gzip(cases[i].text, &gz);
        struct s_ops o = {0};
        struct fv_error err = {0};
        struct fv_export_reader *r = fv_export_reader_new_ion(cases[i].incremental, s_log_op, &o);
        fv_status st = fv_export_reader_feed(r, gz.ptr, gz.len, &err);
        if (st == FV_OK)
            st = fv_export_reader_finish(r, &err);
        if (cases[i].says) {
            assert_int_equal(st, FV_E_PARSE);
            if (!strstr(err.message, cases[i].says))
                fail_msg("\"%s\" does not say \"%s\"", err.message, cases[i].says);
        } else {
            assert_int_equal(st, FV_OK);
        }
        assert_string_equal(fv_buf_str(&o.log), cases[i].log);
        assert_int_equal(fv_export_reader_lines(r), cases[i].lines);
        fv_export_reader_destroy(r);
        fv_buf_clean_up(&o.log);
        fv_buf_clean_up(&gz);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_attribute_type_converts_exactly),
        cmocka_unit_test(test_decimals_become_exact_n_strings),
        cmocka_unit_test(test_strings_decode_ion_escapes),
        cmocka_unit_test(test_what_dynamodb_never_writes_is_refused),
        cmocka_unit_test(test_the_ion_reader_applies_lines_and_names_a_bad_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

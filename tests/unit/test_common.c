#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fv/clock.h>
#include <fv/common.h>
#include <fv/log.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_buf_grows_and_detaches(void **state)
{
    (void)state;
    struct fv_buf b = {0};
    assert_string_equal(fv_buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        fv_buf_printf(&b, "%d,", i);
    assert_true(b.len > 1000);
    assert_int_equal(strlen(b.ptr), b.len);
    assert_memory_equal(b.ptr, "0,1,2,", 6);
    char *s = fv_buf_detach(&b);
    assert_null(b.ptr);
    free(s);
    fv_buf_clean_up(&b);
    fv_buf_clean_up(NULL);
}

static void test_headers_case_insensitive(void **state)
{
    (void)state;
    struct fv_headers h = {0};
    fv_headers_add(&h, "Host", "example.com");
    fv_headers_add(&h, "X-Amz-Date", "1");
    fv_headers_set(&h, "x-amz-date", "2");
    assert_string_equal(fv_headers_get(&h, "HOST"), "example.com");
    assert_string_equal(fv_headers_get(&h, "X-AMZ-DATE"), "2");
    assert_int_equal(h.n, 2);
    fv_headers_remove(&h, "host");
    assert_null(fv_headers_get(&h, "host"));
    fv_headers_clean_up(&h);
}

static void test_time_format_and_parse(void **state)
{
    (void)state;
    char amz[17], ymd[9], iso[21];
    fv_time_amz(1440938160, amz);
    fv_time_ymd(1440938160, ymd);
    fv_time_iso8601(1440938160, iso);
    assert_string_equal(amz, "20150830T123600Z");
    assert_string_equal(ymd, "20150830");
    assert_string_equal(iso, "2015-08-30T12:36:00Z");
    assert_int_equal(fv_time_parse_iso8601("2015-08-30T12:36:00Z"), 1440938160);
    assert_int_equal(fv_time_parse_iso8601("2015-08-30T12:36:00.123Z"), 1440938160);
    assert_int_equal(fv_time_parse_iso8601("2015-08-30T14:36:00+02:00"), 1440938160);
    assert_int_equal(fv_time_parse_iso8601("garbage"), -1);
}

static void test_parse_i64(void **state)
{
    (void)state;
    int64_t v;
    assert_true(fv_parse_i64("42", &v));
    assert_int_equal(v, 42);
    assert_false(fv_parse_i64("42x", &v));
    assert_false(fv_parse_i64("", &v));
    assert_false(fv_parse_i64("99999999999999999999", &v));
}

static void test_arn_part(void **state)
{
    (void)state;
    const char *arn = "arn:aws:dynamodb:us-east-1:111111111111:table/orders/backup/0179";
    char *region = fv_arn_part(arn, 3), *account = fv_arn_part(arn, 4);
    assert_string_equal(region, "us-east-1");
    assert_string_equal(account, "111111111111");
    char *resource = fv_arn_part(arn, 5); /* the last field runs to the end */
    assert_string_equal(resource, "table/orders/backup/0179");
    free(resource);
    assert_null(fv_arn_part(arn, 6));
    assert_null(fv_arn_part("not-an-arn", 4));
    assert_null(fv_arn_part(NULL, 4));
    free(region);
    free(account);
}

static void test_log_scrubs_registered_secrets(void **state)
{
    (void)state;
    char *data = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&data, &size);
    fv_log_set_sink(f, true);
    fv_log_secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    FV_LOG(FV_LOG_ERROR, "test", "leak %s \"quoted\"", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    FV_LOG(FV_LOG_TRACE, "test", "below the level: %s", "never formatted");
    fclose(f);
    assert_non_null(strstr(data, "leak ****"));
    assert_null(strstr(data, "EXAMPLEKEY"));
    assert_null(strstr(data, "never formatted"));
    assert_non_null(strstr(data, "\\\"quoted\\\""));
    free(data);
    fv_log_set_sink(stderr, false);
}

static void test_error_set(void **state)
{
    (void)state;
    struct fv_error err;
    assert_int_equal(fv_error_set(&err, FV_E_INVALID, "bad %s", "key"), FV_E_INVALID);
    assert_string_equal(err.message, "bad key");
    assert_false(err.retryable);
    assert_int_equal(fv_error_set(NULL, FV_E_IO, "x"), FV_E_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_grows_and_detaches),
        cmocka_unit_test(test_headers_case_insensitive),
        cmocka_unit_test(test_time_format_and_parse),
        cmocka_unit_test(test_parse_i64),
        cmocka_unit_test(test_arn_part),
        cmocka_unit_test(test_log_scrubs_registered_secrets),
        cmocka_unit_test(test_error_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

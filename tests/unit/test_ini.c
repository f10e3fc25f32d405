/* The INI dialect of the AWS shared config and credentials files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it needs */

#include "aws/ini.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static fv_status s_parse(const char *text, struct fv_ini *ini, struct fv_error *err)
{
    return fv_ini_parse(text, strlen(text), "cfg", ini, err);
}

static void test_sections_and_properties(void **state)
{
    (void)state;
    struct fv_ini ini = {0};
    struct fv_error err = {0};
    assert_int_equal(s_parse("[default]\n"
                             "region = eu-west-1\n"
                             "output=json\n"
                             "\n"
                             "[profile prod]\n"
                             "role_arn = arn:aws:iam::123456789012:role/x\n"
                             "empty =\n",
                             &ini, &err),
                     FV_OK);
    assert_int_equal(ini.n, 2);
    const struct fv_ini_section *d = fv_ini_section(&ini, "default");
    assert_non_null(d);
    assert_int_equal(d->line, 1);
    assert_string_equal(fv_ini_get(d, "region"), "eu-west-1");
    assert_string_equal(fv_ini_get(d, "output"), "json");
    assert_null(fv_ini_get(d, "role_arn"));
    const struct fv_ini_section *p = fv_ini_section(&ini, "profile prod");
    assert_non_null(p);
    assert_string_equal(fv_ini_get(p, "role_arn"), "arn:aws:iam::123456789012:role/x");
    assert_string_equal(fv_ini_get(p, "empty"), "");
    assert_int_equal(fv_ini_line(p, "role_arn"), 6);
    assert_int_equal(fv_ini_line(p, "nope"), 0);
    assert_null(fv_ini_get(NULL, "x"));
    fv_ini_clean_up(&ini);
    fv_ini_clean_up(&ini);
    fv_ini_clean_up(NULL);
}

static void test_comments(void **state)
{
    (void)state;
    struct fv_ini ini = {0};
    struct fv_error err = {0};
    assert_int_equal(s_parse("# a comment\n"
                             "; another\n"
                             "   # indented comment\n"
                             "[x] ; trailing comment on a header\n"
                             "a = abc#def\n"
                             "b = abc #def\n"
                             "c = abc;def\n"
                             "d = abc\t; def\n"
                             "e = # all comment\n"
                             "[y]# tight comment\n"
                             "k = v\n",
                             &ini, &err),
                     FV_OK);
    const struct fv_ini_section *x = fv_ini_section(&ini, "x");
    assert_non_null(x);
    assert_string_equal(fv_ini_get(x, "a"), "abc#def");
    assert_string_equal(fv_ini_get(x, "b"), "abc");
    assert_string_equal(fv_ini_get(x, "c"), "abc;def");
    assert_string_equal(fv_ini_get(x, "d"), "abc");
    assert_string_equal(fv_ini_get(x, "e"), "");
    assert_string_equal(fv_ini_get(fv_ini_section(&ini, "y"), "k"), "v");
    fv_ini_clean_up(&ini);
}

static void test_whitespace(void **state)
{
    (void)state;
    struct fv_ini ini = {0};
    struct fv_error err = {0};
    assert_int_equal(s_parse("\xEF\xBB\xBF[ default ]\r\n"
                             "\t  key\t=  spaced value  \r\n"
                             "  other = 2\r\n"
                             "[  profile   dev  ]\r\n"
                             "k=v",
                             &ini, &err),
                     FV_OK);
    const struct fv_ini_section *d = fv_ini_section(&ini, "default");
    assert_non_null(d);
    /* An indented first property is a property, and so is the next one at
     * the same indent. */
    assert_string_equal(fv_ini_get(d, "key"), "spaced value");
    assert_string_equal(fv_ini_get(d, "other"), "2");
    /* Inner whitespace is kept; the profile layer reads "profile <ws> name". */
    assert_non_null(fv_ini_section(&ini, "profile   dev"));
    assert_string_equal(fv_ini_get(fv_ini_section(&ini, "profile   dev"), "k"), "v");
    fv_ini_clean_up(&ini);
}

static void test_profile_prefix_is_kept(void **state)
{
    (void)state;
    struct fv_ini ini = {0};
    struct fv_error err = {0};
    assert_int_equal(s_parse("[profile x]\na = 1\n[x]\na = 2\n", &ini, &err), FV_OK);
    assert_int_equal(ini.n, 2);
    assert_string_equal(fv_ini_get(fv_ini_section(&ini, "profile x"), "a"), "1");
    assert_string_equal(fv_ini_get(fv_ini_section(&ini, "x"), "a"), "2");
    assert_null(fv_ini_section(&ini, "X"));
    fv_ini_clean_up(&ini);
}

static void test_duplicates(void **state)
{
    (void)state;
    struct fv_ini ini = {0};
    struct fv_error err = {0};
    assert_int_equal(s_parse("[a]\n"
                             "k = first\n"
                             "K = second\n"
                             "[b]\n"
                             "z = 1\n"
                             "[a]\n"
                             "other = 3\n"
                             "k = third\n",
                             &ini, &err),
                     FV_OK);
    assert_int_equal(ini.n, 2);
    const struct fv_ini_section *a = fv_ini_section(&ini, "a");
    assert_int_equal(a->n, 2);
    assert_string_equal(fv_ini_get(a, "k"), "third");
    assert_string_equal(fv_ini_get(a, "K"), "third");
    assert_int_equal(fv_ini_line(a, "k"), 8);
    assert_string_equal(fv_ini_get(a, "other"), "3");
    fv_ini_clean_up(&ini);
}

static void test_continuation_lines(void **state)
{
    (void)state;
    struct fv_ini ini = {0};
    struct fv_error err = {0};
    assert_int_equal(s_parse("[default]\n"
                             "s3 =\n"
                             "  max_concurrent_requests = 10\n"
                             "  addressing_style = path\n"
                             "long = first\n"
                             "    second\n"
                             "next = n\n",
                             &ini, &err),
                     FV_OK);
    const struct fv_ini_section *d = fv_ini_section(&ini, "default");
    assert_string_equal(fv_ini_get(d, "s3"),
                        "max_concurrent_requests = 10\naddressing_style = path");
    assert_string_equal(fv_ini_get(d, "long"), "first\nsecond");
    assert_string_equal(fv_ini_get(d, "next"), "n");
    assert_null(fv_ini_get(d, "max_concurrent_requests"));
    fv_ini_clean_up(&ini);
}

static void s_expect_bad(const char *text, const char *want)
{
    struct fv_ini ini = {0};
    struct fv_error err = {0};
    assert_int_equal(s_parse(text, &ini, &err), FV_E_INVALID);
    assert_int_equal(err.status, FV_E_INVALID);
    if (!strstr(err.message, want))
        fail_msg("error \"%s\" lacks \"%s\"", err.message, want);
    /* The message never quotes the line: it may hold a secret. */
    assert_null(strstr(err.message, "SECRETVALUE"));
    assert_int_equal(ini.n, 0);
    assert_null(ini.sections);
}

static void test_bad_lines_name_the_line(void **state)
{
    (void)state;
    s_expect_bad("[a]\nk = v\nSECRETVALUE\n", "cfg:3: expected '[section]' or 'key = value'");
    s_expect_bad("# c\n\n[a\nk=v\n", "cfg:3: section header without a closing ']'");
    s_expect_bad("k = SECRETVALUE\n[a]\n", "cfg:1: property before any [section]");
    s_expect_bad("[a]\n = SECRETVALUE\n", "cfg:2: property with no name");
    s_expect_bad("[a]\n[   ]\n", "cfg:2: empty section name");
    s_expect_bad("[a] SECRETVALUE\n", "cfg:1: unexpected text after the section header");
    s_expect_bad("[a]\r\nk=v\r\n\r\nbad SECRETVALUE\r\n", "cfg:4:");
}

static void test_load_files(void **state)
{
    (void)state;
    struct fv_ini ini = {0};
    struct fv_error err = {0};
    char dir[] = "/tmp/fv_ini_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/config", dir);

    assert_int_equal(fv_ini_load(path, &ini, &err), FV_E_NOTFOUND);
    assert_non_null(strstr(err.message, path));

    assert_int_equal(fv_ini_load(dir, &ini, &err), FV_E_IO);
    assert_non_null(strstr(err.message, dir));

    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[default]\nregion = us-east-1\n\noops\n", f);
    fclose(f);
    assert_int_equal(fv_ini_load(path, &ini, &err), FV_E_INVALID);
    char want[300];
    snprintf(want, sizeof(want), "%s:4:", path);
    assert_non_null(strstr(err.message, want));

    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[default]\nregion = us-east-1\n", f);
    fclose(f);
    assert_int_equal(fv_ini_load(path, &ini, &err), FV_OK);
    assert_string_equal(fv_ini_get(fv_ini_section(&ini, "default"), "region"), "us-east-1");
    fv_ini_clean_up(&ini);

    /* Not NUL-terminated input and an empty file. */
    assert_int_equal(fv_ini_parse("[a]\nk=v\nXX", 8, "n", &ini, &err), FV_OK);
    assert_string_equal(fv_ini_get(fv_ini_section(&ini, "a"), "k"), "v");
    fv_ini_clean_up(&ini);
    assert_int_equal(fv_ini_parse("", 0, NULL, &ini, &err), FV_OK);
    assert_int_equal(ini.n, 0);

    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sections_and_properties),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_whitespace),
        cmocka_unit_test(test_profile_prefix_is_kept),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_continuation_lines),
        cmocka_unit_test(test_bad_lines_name_the_line),
        cmocka_unit_test(test_load_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* verify (lib/restore/verify.c) against an in-memory world: what is read
 * back, what is skipped, what a mismatch says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "restore_world.c"

#include <fv/verify.h>

/* --- verify --- */

static const char s_verify_manifest[] =
    "{\"manifest_version\": 1, \"run_id\": \"n-20261203T030000Z\", \"job\": \"n\", \"type\": "
    "\"dynamodb_backups\", \"resources\": ["
    "{\"kind\": \"dynamodb.backup\", \"account\": \"111111111111\", \"region\": \"us-east-1\", "
    "\"resource\": \"orders\", \"status\": \"SUCCEEDED\", \"outputs\": ["
    "{\"backup_arn\": \"arn:aws:dynamodb:eu-west-1:222222222222:table/orders/backup/1\"},"
    "{\"backup_arn\": \"arn:aws:dynamodb:eu-west-1:222222222222:table/orders/backup/0\", "
    "\"action\": \"deleted\"}]},"
    "{\"kind\": \"test.object\", \"account\": \"123456789012\", \"resource\": \"o\", "
    "\"status\": \"SUCCEEDED\", \"outputs\": [{\"bucket\": \"b\", \"object_key\": \"k.zip\", "
    "\"size\": 12, \"sha256\": \"" S_SHA_BUNDLE "\"}]},"
    "{\"kind\": \"quicksight.users\", \"account\": \"111111111111\", \"resource\": \"users\", "
    "\"status\": \"SUCCEEDED\", \"outputs\": [{\"table\": \"2026-12-03-users\"}]}]}";

static void test_verify_reads_back_objects_and_backups(void **state)
{
    (void)state;
    struct s_world w = {.object = "bundle bytes", .backup_status = FV_DDB_BACKUP_AVAILABLE};
    struct fv_restore_aws aws = s_aws(&w);
    struct fv_manifest m;
    s_manifest(s_verify_manifest, &m);
    struct fv_verify_report r;
    fv_verify_manifest(&aws, &m, "us-west-2", NULL, NULL, &r);
    /* The deleted backup and the identity table are not read back. */
    assert_int_equal(r.n, 2);
    assert_int_equal(r.n_bad, 0);
    assert_int_equal(r.items[0].kind, FV_VERIFY_BACKUP);
    assert_string_equal(w.backup_where, "222222222222 eu-west-1"); /* from the ARN */
    assert_int_equal(r.items[1].kind, FV_VERIFY_OBJECT);
    assert_int_equal(r.items[1].size, 12);
    assert_string_equal(r.items[1].sha256, S_SHA_BUNDLE);
    assert_int_equal(w.n_get, 1);
    fv_verify_report_clean_up(&r);

    /* Changed behind its back; the backup gone. */
    w.object = "bundle bytez";
    w.backup_status = FV_DDB_BACKUP_UNKNOWN;
    fv_verify_manifest(&aws, &m, "us-west-2", NULL, NULL, &r);
    assert_int_equal(r.n_bad, 2);
    assert_false(r.items[0].ok);
    assert_string_equal(r.items[0].err.message,
                        "arn:aws:dynamodb:eu-west-1:222222222222:table/orders/backup/1: "
                        "BackupNotFoundException");
    assert_false(r.items[1].ok);
    assert_string_equal(r.items[1].err.message,
                        "s3://b/k.zip: 12 bytes with sha256 "
                        "25a79a664d4c27e52c6a6acafb3495b115f7072f757d7b5537d9735597cc75c2, the "
                        "manifest says 12 bytes with sha256 " S_SHA_BUNDLE);
    fv_verify_report_clean_up(&r);

    /* A backup that is there but not AVAILABLE. */
    w.object = NULL;
    w.backup_status = FV_DDB_BACKUP_CREATING;
    fv_verify_manifest(&aws, &m, "us-west-2", NULL, NULL, &r);
    assert_string_equal(r.items[0].err.message,
                        "arn:aws:dynamodb:eu-west-1:222222222222:table/orders/backup/1: CREATING");
    assert_string_equal(r.items[1].err.message, "s3://b/k.zip: NoSuchKey: b/k.zip");
    fv_verify_report_clean_up(&r);
    fv_manifest_clean_up(&m);
    s_world_clean_up(&w);
}

static void test_verify_object_compares_size_and_sha(void **state)
{
    (void)state;
    struct fv_manifest_output want = {
        .bucket = "b", .object_key = "k", .size = 3, .sha256 = S_SHA_BUNDLE};
    struct fv_error err = {0};
    assert_int_equal(fv_verify_object(&want, 3, S_SHA_BUNDLE, &err), FV_OK);
    assert_int_equal(fv_verify_object(&want, 4, S_SHA_BUNDLE, &err), FV_E_INVALID);
    assert_int_equal(fv_verify_object(&want, 3, "00", &err), FV_E_INVALID);
    want.sha256 = NULL; /* a manifest without one: the size still counts */
    assert_int_equal(fv_verify_object(&want, 3, "00", &err), FV_OK);
    assert_int_equal(fv_verify_object(&want, 2, "00", &err), FV_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_reads_back_objects_and_backups),
        cmocka_unit_test(test_verify_object_compares_size_and_sha),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

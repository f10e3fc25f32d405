/* The coordinator's fenced lease and run records in the control table,
 * against the AWS test world as the fleetvault principal: DynamoDB's own
 * conditions and transactions (moto's), signature and IAM enforced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fv/aws.h>
#include <fv/control.h>
#include <fv/credentials.h>
#include <fv/dynamodb.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_CHECK(expr, err)                                                                         \
    do {                                                                                           \
        fv_status st_ = (expr);                                                                    \
        if (st_ != FV_OK)                                                                          \
            fail_msg("%s: %s (%s)", #expr, (err).message, fv_status_str(st_));                     \
    } while (0)

static const char *s_region(void)
{
    const char *r = getenv("AWS_REGION");
    return r ? r : "us-east-1";
}

/* The fleetvault principal (the world's environment). */
static struct fv_aws_client *s_fleetvault(void)
{
    struct fv_creds_provider *p = fv_creds_default_chain(NULL, s_region(), NULL);
    struct fv_aws_client_options o = {.region = s_region(), .creds = p};
    struct fv_error err;
    struct fv_aws_client *c = fv_aws_client_new(&o, &err);
    fv_creds_unref(p);
    if (!c)
        fail_msg("client: %s", err.message);
    return c;
}

/* The world's admin: a table fleetvault's principal has no grant on (the
 * world would deny before it looks), to see "no such table" itself. */
static struct fv_aws_client *s_admin(void)
{
    struct fv_credentials cr = {.access_key_id = "AKIAFVWORLDADMIN0001",
                                .secret_access_key = "fvSecretAdmin000000000000000000000000001"};
    struct fv_creds_provider *p = fv_creds_static(&cr);
    struct fv_aws_client_options o = {.region = s_region(), .creds = p};
    struct fv_error err;
    struct fv_aws_client *c = fv_aws_client_new(&o, &err);
    fv_creds_unref(p);
    if (!c)
        fail_msg("client: %s", err.message);
    return c;
}

/* An attribute of item pk (NULL when the item or attribute is absent;
 * caller frees). */
static char *s_attr(struct fv_aws_client *c, const char *table, const char *pk, const char *attr)
{
    struct json_object *key = json_object_new_object(), *s = json_object_new_object();
    json_object_object_add(s, "S", json_object_new_string(pk));
    json_object_object_add(key, "pk", s);
    struct json_object *item = NULL;
    struct fv_error err;
    fv_status st = fv_dynamodb_get_item(c, table, key, true, &item, &err);
    json_object_put(key);
    if (st != FV_OK && st != FV_E_NOTFOUND)
        fail_msg("GetItem %s: %s", pk, err.message);
    char *v = fv_strdup(fv_control_item_str(item, attr));
    json_object_put(item);
    return v;
}

static void s_assert_attr(struct fv_aws_client *c, const char *table, const char *pk,
                          const char *attr, const char *want)
{
    char *v = s_attr(c, table, pk, attr);
    if (want)
        assert_string_equal(v ? v : "(none)", want);
    else
        assert_null(v);
    free(v);
}

static void test_fenced_lease_and_run_records(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_fleetvault();
    struct fv_error err;
    /* The control table the generated central policy grants (deploy/iam); the
     * keys below are fresh on every run. */
    const char *table = "fleetvault-control";
    S_CHECK(fv_control_ensure_table(c, table, &err), err);
    char name[64], run[64], lease_pk[80], run_pk[80], job_pk[80];
    snprintf(name, sizeof(name), "coordinator-%d", (int)getpid()); /* fresh on every run */
    snprintf(run, sizeof(run), "fence-%d", (int)getpid());
    snprintf(lease_pk, sizeof(lease_pk), "lease#%s", name);
    snprintf(run_pk, sizeof(run_pk), "run#%s", run);
    snprintf(job_pk, sizeof(job_pk), "job#fence-job-%d", (int)getpid());
    const char *job = job_pk + 4;
    struct fv_control_fence a = {.table = table, .name = name, .holder = "coord-a"};
    struct fv_control_fence b = {.table = table, .name = name, .holder = "coord-b"};
    int64_t now = (int64_t)time(NULL);
    bool got;
    char *holder = NULL;

    /* a takes the lease (token 1); b is refused while it lasts. */
    S_CHECK(fv_control_fence_acquire(c, &a, now, 30, &got, &holder, &err), err);
    assert_true(got);
    assert_int_equal(a.token, 1);
    free(holder);
    S_CHECK(fv_control_fence_acquire(c, &b, now + 10, 30, &got, &holder, &err), err);
    assert_false(got);
    assert_string_equal(holder, "coord-a");
    free(holder);
    S_CHECK(fv_control_fence_renew(c, &a, now + 10, 30, &err), err);
    S_CHECK(fv_control_run_put(c, &a, run, job, "running", 1000, now + 86400, &err), err);
    s_assert_attr(c, table, run_pk, "state", "running");
    s_assert_attr(c, table, run_pk, "fence", "1");
    s_assert_attr(c, table, job_pk, "run_id", run);

    /* a stalls past its TTL; b takes over with the next token. */
    S_CHECK(fv_control_fence_acquire(c, &b, now + 41, 30, &got, &holder, &err), err);
    assert_true(got);
    assert_int_equal(b.token, 2);
    free(holder);
    /* a, back, can neither renew nor write. */
    assert_int_equal(fv_control_fence_renew(c, &a, now + 42, 30, &err), FV_E_CANCELLED);
    assert_true(fv_control_is_fenced_out(&err));
    assert_non_null(strstr(err.message, "coord-b holds it"));
    assert_int_equal(fv_control_run_put(c, &a, run, job, "completed", 1000, now + 86400, &err),
                     FV_E_CANCELLED);
    assert_true(fv_control_is_fenced_out(&err));
    s_assert_attr(c, table, run_pk, "state", "running"); /* nothing written */
    s_assert_attr(c, table, job_pk, "run_id", run);
    /* a's release leaves b's lease be. */
    S_CHECK(fv_control_fence_release(c, &a, &err), err);
    s_assert_attr(c, table, lease_pk, "holder", "coord-b");

    /* The holder completes the run: the job's pointer goes. */
    S_CHECK(fv_control_run_put(c, &b, run, job, "completed", 1000, now + 86400, &err), err);
    s_assert_attr(c, table, run_pk, "state", "completed");
    s_assert_attr(c, table, run_pk, "fence", "2");
    s_assert_attr(c, table, job_pk, "run_id", NULL);

    /* Released, the lease is free at once, and its token never goes back. */
    S_CHECK(fv_control_fence_release(c, &b, &err), err);
    S_CHECK(fv_control_fence_acquire(c, &a, now + 43, 30, &got, &holder, &err), err);
    assert_true(got);
    assert_int_equal(a.token, 3);
    free(holder);

    /* Completing a run whose job points at a newer run leaves the pointer. */
    char newer[80];
    snprintf(newer, sizeof(newer), "%s-newer", run);
    S_CHECK(fv_control_run_put(c, &a, newer, job, "running", 2000, now + 86400, &err), err);
    S_CHECK(fv_control_run_put(c, &a, run, job, "completed", 1000, now + 86400, &err), err);
    s_assert_attr(c, table, job_pk, "run_id", newer);
    S_CHECK(fv_control_fence_release(c, &a, &err), err);
    fv_aws_client_destroy(c);
}

/* Claims and run records expire by DynamoDB TTL; leases never do: the
 * fenced lease's token must only grow, so its item is never deleted. */
static void test_claims_and_runs_expire_leases_do_not(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_fleetvault();
    struct fv_error err;
    const char *table = "fleetvault-control";
    S_CHECK(fv_control_ensure_table(c, table, &err), err);
    S_CHECK(fv_control_ensure_table(c, table, &err), err); /* again: TTL already on */
    char *status = NULL, *attr = NULL;
    S_CHECK(fv_dynamodb_describe_ttl(c, table, &status, &attr, &err), err);
    assert_string_equal(status, "ENABLED");
    assert_string_equal(attr, FV_CONTROL_TTL_ATTR);
    assert_string_not_equal(attr, "expires"); /* the leases' attribute */
    free(status);
    free(attr);

    struct fv_config cfg = {.control_ttl_days = 30};
    int64_t now = (int64_t)time(NULL), expires = fv_control_expiry_s(&cfg, now);
    assert_int_equal(expires, now + 30 * 86400);
    char task[64], task_pk[80], exp_text[32];
    snprintf(task, sizeof(task), "ttl-task-%d", (int)getpid());
    snprintf(task_pk, sizeof(task_pk), "task#%s", task);
    snprintf(exp_text, sizeof(exp_text), "%lld", (long long)expires);
    bool fresh = false;
    S_CHECK(fv_control_claim(c, table, task, "w1", expires, &fresh, NULL, &err), err);
    assert_true(fresh);
    s_assert_attr(c, table, task_pk, FV_CONTROL_TTL_ATTR, exp_text);
    /* a note keeps it; a second delivery finds the claim, ttl and all */
    S_CHECK(fv_control_note(c, table, task, "output", "12 abc", &err), err);
    struct json_object *claim = NULL;
    S_CHECK(fv_control_claim(c, table, task, "w2", expires + 99, &fresh, &claim, &err), err);
    assert_false(fresh);
    assert_string_equal(fv_control_item_str(claim, FV_CONTROL_TTL_ATTR), exp_text);
    assert_string_equal(fv_control_item_str(claim, "worker"), "w1");
    json_object_put(claim);

    /* the fenced lease and its run record */
    char name[64], lease_pk[80], run[64], run_pk[80];
    snprintf(name, sizeof(name), "ttl-coordinator-%d", (int)getpid());
    snprintf(lease_pk, sizeof(lease_pk), "lease#%s", name);
    snprintf(run, sizeof(run), "ttl-run-%d", (int)getpid());
    snprintf(run_pk, sizeof(run_pk), "run#%s", run);
    struct fv_control_fence f = {.table = table, .name = name, .holder = "coord"};
    bool got;
    char *holder = NULL;
    S_CHECK(fv_control_fence_acquire(c, &f, now, 30, &got, &holder, &err), err);
    assert_true(got);
    free(holder);
    S_CHECK(fv_control_run_put(c, &f, run, "ttl-job", "running", now * 1000, expires, &err), err);
    s_assert_attr(c, table, run_pk, FV_CONTROL_TTL_ATTR, exp_text);
    S_CHECK(fv_control_fence_renew(c, &f, now + 5, 30, &err), err);
    S_CHECK(fv_control_run_put(c, &f, run, "ttl-job", "completed", now * 1000, expires, &err), err);
    S_CHECK(fv_control_fence_release(c, &f, &err), err);
    s_assert_attr(c, table, lease_pk, "holder", "coord");
    s_assert_attr(c, table, lease_pk, FV_CONTROL_TTL_ATTR, NULL);
    /* the workers' slot leases neither */
    char slot[64], slot_pk[80];
    snprintf(slot, sizeof(slot), "ttl-slot-%d", (int)getpid());
    snprintf(slot_pk, sizeof(slot_pk), "lease#%s", slot);
    S_CHECK(fv_control_lease(c, table, slot, task, now, 60, &got, &holder, &err), err);
    assert_true(got);
    free(holder);
    s_assert_attr(c, table, slot_pk, FV_CONTROL_TTL_ATTR, NULL);
    S_CHECK(fv_control_lease_release(c, table, slot, task, &err), err);
    fv_aws_client_destroy(c);
}

/* Backup records: put, read back in BatchGetItem chunks of 100 (a key
 * asked for twice, keys with no record), forget; no table, no records. */
static void test_backup_records(void **state)
{
    (void)state;
    struct fv_aws_client *c = s_fleetvault();
    struct fv_error err;
    const char *table = "fleetvault-control";
    S_CHECK(fv_control_ensure_table(c, table, &err), err);
    enum { N = 230 };
    char *arns[N];
    const char *keys[N + 1];
    for (int i = 0; i < N; i++) {
        struct fv_buf b = {0};
        fv_buf_printf(&b, "arn:aws:dynamodb:us-east-1:111111111111:table/t%d/backup/%d-%d", i % 7,
                      i, (int)getpid());
        arns[i] = fv_buf_detach(&b);
        if (i % 3 == 0) {
            struct fv_control_backup rec = {.arn = arns[i],
                                            .job = "daily",
                                            .account = "111111111111",
                                            .region = "us-east-1",
                                            .table = "t",
                                            .run_id = "daily-20261203T020000Z",
                                            .created_ms = 1000 + i};
            S_CHECK(fv_control_backup_put(c, table, &rec, &err), err);
            S_CHECK(fv_control_backup_put(c, table, &rec, &err), err); /* idempotent */
        }
    }
    for (int i = 0; i < N; i++)
        keys[i] = arns[i];
    keys[N] = arns[99]; /* the same key again, in another chunk, and in the same one: */
    keys[98] = arns[3];
    struct fv_control_backup got[N + 1];
    memset(got, 0, sizeof(got));
    S_CHECK(fv_control_backup_get(c, table, fv_clock_system(), keys, N + 1, got, &err), err);
    for (int i = 0; i <= N; i++) {
        const char *want = keys[i];
        int orig = i == N ? 99 : i == 98 ? 3 : i;
        if (orig % 3 == 0) {
            assert_non_null(got[i].arn);
            assert_string_equal(got[i].arn, want);
            assert_string_equal(got[i].job, "daily");
            assert_string_equal(got[i].run_id, "daily-20261203T020000Z");
            assert_int_equal(got[i].created_ms, 1000 + orig);
        } else {
            assert_null(got[i].arn);
        }
        fv_control_backup_clean_up(&got[i]);
    }
    S_CHECK(fv_control_backup_forget(c, table, arns[3], &err), err);
    S_CHECK(fv_control_backup_forget(c, table, arns[4], &err), err); /* none: fine */
    S_CHECK(fv_control_backup_get(c, table, fv_clock_system(), keys, 10, got, &err), err);
    assert_null(got[3].arn);
    assert_non_null(got[6].arn);
    for (int i = 0; i < 10; i++)
        fv_control_backup_clean_up(&got[i]);
    struct fv_aws_client *admin = s_admin();
    S_CHECK(fv_control_backup_get(admin, "fv-ctl-no-such-table", fv_clock_system(), keys, 10, got,
                                  &err),
            err);
    fv_aws_client_destroy(admin);
    for (int i = 0; i < 10; i++)
        assert_null(got[i].arn);
    for (int i = 0; i < N; i++)
        free(arns[i]);
    fv_aws_client_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fenced_lease_and_run_records),
        cmocka_unit_test(test_claims_and_runs_expire_leases_do_not),
        cmocka_unit_test(test_backup_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The secret registry (lib/core/log.c), the wiping helpers (lib/core/common.c)
 * and the credential cache's hold/forget of rotating secrets. The registry
 * is process-wide: every test forgets what it holds and uses secrets no other
 * test registers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "aws/creds_internal.h"

#include <fv/clock.h>
#include <fv/common.h>
#include <fv/log.h>
#include <fv/process.h>

#include <sys/prctl.h>
#include <sys/resource.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool s_scrubbed(const char *secret)
{
    char line[512];
    snprintf(line, sizeof(line), "key=%s;", secret);
    fv_log_scrub(line);
    return strstr(line, secret) == NULL;
}

static void test_thousand_secrets_all_scrubbed(void **state)
{
    (void)state;
    char s[64];
    size_t before = fv_log_secret_count();
    for (int i = 0; i < 1000; i++) {
        snprintf(s, sizeof(s), "thousand/%04d/wJalrXUtnFEMI+K7MDENG", i);
        if (i % 2)
            fv_log_secret(s);
        else
            fv_log_secret_hold(s);
    }
    assert_int_equal(fv_log_secret_count(), before + 1000);
    /* The first ones too: nothing fell out of a ring. */
    for (int i = 0; i < 1000; i++) {
        snprintf(s, sizeof(s), "thousand/%04d/wJalrXUtnFEMI+K7MDENG", i);
        if (!s_scrubbed(s))
            fail_msg("secret %d of 1000 was not scrubbed", i);
    }
    /* And through the log itself. */
    char *data = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&data, &size);
    fv_log_set_sink(f, true);
    FV_LOG(FV_LOG_ERROR, "test", "first %s last %s", "thousand/0000/wJalrXUtnFEMI+K7MDENG",
           "thousand/0999/wJalrXUtnFEMI+K7MDENG");
    fclose(f);
    fv_log_set_sink(stderr, false);
    assert_null(strstr(data, "thousand/"));
    assert_non_null(strstr(data, "first **** last ****"));
    free(data);
    for (int i = 0; i < 1000; i += 2) {
        snprintf(s, sizeof(s), "thousand/%04d/wJalrXUtnFEMI+K7MDENG", i);
        fv_log_secret_forget(s);
    }
    assert_int_equal(fv_log_secret_count(), before + 500);
}

static void test_short_secrets_scrubbed(void **state)
{
    (void)state;
    fv_log_secret_hold("pw7");
    fv_log_secret_hold("Zq");
    fv_log_secret_hold("*"); /* matches its own mask: must not loop */
    char line[] = "user=bob password=pw7 token=Zq; a*b";
    size_t len = strlen(line);
    fv_log_scrub(line);
    assert_null(strstr(line, "pw7"));
    assert_null(strstr(line, "Zq"));
    assert_true(strlen(line) <= len); /* masks never grow the line */
    assert_string_equal(line, "user=bob password=*** token=**; a*b");
    fv_log_secret_forget("pw7");
    fv_log_secret_forget("Zq");
    fv_log_secret_forget("*");
    assert_true(!s_scrubbed("pw7"));
}

static void test_longest_secret_first(void **state)
{
    (void)state;
    /* A short secret inside a longer one must not leave the longer one's
     * other bytes in the line. */
    fv_log_secret_hold("inner");
    fv_log_secret_hold("AAAAinnerBBBB");
    char line[] = "x AAAAinnerBBBB y";
    fv_log_scrub(line);
    assert_string_equal(line, "x **** y");
    fv_log_secret_forget("inner");
    fv_log_secret_forget("AAAAinnerBBBB");
}

struct s_freed {
    int calls;
    bool all_zero;
    size_t len;
};

static void s_on_free(const char *text, size_t len, void *ud)
{
    struct s_freed *f = ud;
    f->calls++;
    f->len = len;
    f->all_zero = true;
    for (size_t i = 0; i < len; i++)
        f->all_zero = f->all_zero && text[i] == '\0';
}

static void test_forget_wipes_and_counts_holds(void **state)
{
    (void)state;
    struct s_freed freed = {0};
    fv_log_secret_on_free(s_on_free, &freed);
    size_t before = fv_log_secret_count();

    fv_log_secret_hold("session-token-one-FwoGZXIvYXdzE");
    fv_log_secret_hold("session-token-one-FwoGZXIvYXdzE"); /* two caches hold it */
    assert_int_equal(fv_log_secret_count(), before + 1);
    fv_log_secret_forget("session-token-one-FwoGZXIvYXdzE");
    assert_int_equal(freed.calls, 0);
    assert_true(s_scrubbed("session-token-one-FwoGZXIvYXdzE"));
    fv_log_secret_forget("session-token-one-FwoGZXIvYXdzE");
    assert_int_equal(freed.calls, 1);
    assert_int_equal(freed.len, strlen("session-token-one-FwoGZXIvYXdzE"));
    assert_true(freed.all_zero);
    assert_int_equal(fv_log_secret_count(), before);
    assert_false(s_scrubbed("session-token-one-FwoGZXIvYXdzE"));

    /* A pinned secret outlives holds on the same text. */
    fv_log_secret("pinned-sasl-password");
    fv_log_secret_hold("pinned-sasl-password");
    fv_log_secret_forget("pinned-sasl-password");
    fv_log_secret_forget("pinned-sasl-password");
    assert_int_equal(freed.calls, 1);
    assert_true(s_scrubbed("pinned-sasl-password"));
    fv_log_secret_on_free(NULL, NULL);
}

static void test_buf_secret_and_wipe(void **state)
{
    (void)state;
    struct fv_buf b = {.secret = true};
    for (int i = 0; i < 100; i++)
        fv_buf_append_str(&b, "0123456789");
    assert_int_equal(b.len, 1000);
    assert_true(b.secret);
    fv_buf_wipe(&b);
    assert_null(b.ptr);
    assert_int_equal(b.cap, 0);
    assert_false(b.secret);
    fv_buf_wipe(NULL);
    fv_free_secret(NULL);
    char *s = fv_strdup("x");
    fv_free_secret(s);
}

/* ---- the credential cache holds and forgets rotating secrets ------------ */

struct s_rotating {
    int n;
};

static fv_status s_rotating_fetch(struct fv_creds_provider *p, struct fv_credentials *out,
                                  struct fv_error *err)
{
    struct s_rotating *r = p->impl;
    (void)err;
    char buf[64];
    r->n++;
    out->access_key_id = fv_strdup("ASIAROTATINGKEY");
    snprintf(buf, sizeof(buf), "rotating-secret-%d-wJalrXUtnFEMI", r->n);
    out->secret_access_key = fv_strdup(buf);
    snprintf(buf, sizeof(buf), "rotating-token-%d-FwoGZXIvYXdzE", r->n);
    out->session_token = fv_strdup(buf);
    /* Expires within the refresh margin: every get fetches again. */
    out->expiration = fv_creds_now(&p->env) + 10;
    return FV_OK;
}

static const struct fv_creds_vtable s_rotating_vt = {.fetch = s_rotating_fetch};

static int64_t s_fixed_now(void *ud)
{
    (void)ud;
    return 1767225600000; /* 2026-01-01 */
}

static void test_rotated_credentials_forgotten(void **state)
{
    (void)state;
    struct fv_clock clock = {.now_ms = s_fixed_now, .mono_ms = s_fixed_now};
    struct fv_creds_env env = {.clock = &clock};
    struct s_rotating r = {0};
    size_t before = fv_log_secret_count();
    struct fv_creds_provider *p = fv_creds_provider_new(&s_rotating_vt, &r, "rotating", &env);
    struct fv_credentials c = {0};
    for (int i = 0; i < 50; i++) {
        struct fv_error err = {0};
        assert_int_equal(fv_creds_get(p, &c, &err), FV_OK);
        fv_credentials_clean_up(&c);
    }
    assert_int_equal(r.n, 50);
    /* Only the current key and token stay registered. */
    assert_int_equal(fv_log_secret_count(), before + 2);
    assert_true(s_scrubbed("rotating-secret-50-wJalrXUtnFEMI"));
    assert_true(s_scrubbed("rotating-token-50-FwoGZXIvYXdzE"));
    assert_false(s_scrubbed("rotating-secret-49-wJalrXUtnFEMI"));
    p->impl = NULL; /* r is on the stack */
    fv_creds_unref(p);
    assert_int_equal(fv_log_secret_count(), before);
}

struct s_churn {
    int id;
    int missed; /* a held secret found unscrubbed */
};

/* Holds, checks and forgets secrets of its own while other threads do the same. */
static void *s_churn(void *arg)
{
    struct s_churn *c = arg;
    char s[64];
    for (int i = 0; i < 500; i++) {
        snprintf(s, sizeof(s), "churn-%d-%04d-wJalrXUtnFEMI", c->id, i);
        fv_log_secret_hold(s);
        if (!s_scrubbed(s))
            c->missed++;
        if (i % 3 == 0)
            fv_log_secret_forget(s);
    }
    for (int i = 0; i < 500; i++) {
        snprintf(s, sizeof(s), "churn-%d-%04d-wJalrXUtnFEMI", c->id, i);
        if (i % 3 != 0)
            fv_log_secret_forget(s);
    }
    return NULL;
}

static void test_registry_thread_safe(void **state)
{
    (void)state;
    size_t before = fv_log_secret_count();
    pthread_t th[4];
    struct s_churn c[4] = {{0}};
    for (int i = 0; i < 4; i++) {
        c[i].id = i;
        pthread_create(&th[i], NULL, s_churn, &c[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(c[i].missed, 0);
    }
    assert_int_equal(fv_log_secret_count(), before);
}

static void test_no_core_dumps(void **state)
{
    (void)state;
    struct rlimit some = {4096, RLIM_INFINITY};
    if (setrlimit(RLIMIT_CORE, &some) != 0) { /* an unprivileged hard limit below: lower it */
        getrlimit(RLIMIT_CORE, &some);
        some.rlim_cur = some.rlim_max;
        setrlimit(RLIMIT_CORE, &some);
    }
    struct fv_error err = {0};
    assert_int_equal(fv_process_no_core_dumps(&err), FV_OK);
    struct rlimit now;
    assert_int_equal(getrlimit(RLIMIT_CORE, &now), 0);
    assert_int_equal(now.rlim_cur, 0);
    assert_int_equal(now.rlim_max, 0);
    assert_int_equal(prctl(PR_GET_DUMPABLE, 0L, 0L, 0L, 0L), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thousand_secrets_all_scrubbed),
        cmocka_unit_test(test_short_secrets_scrubbed),
        cmocka_unit_test(test_longest_secret_first),
        cmocka_unit_test(test_forget_wipes_and_counts_holds),
        cmocka_unit_test(test_buf_secret_and_wipe),
        cmocka_unit_test(test_rotated_credentials_forgotten),
        cmocka_unit_test(test_registry_thread_safe),
        cmocka_unit_test(test_no_core_dumps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

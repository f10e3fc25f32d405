/* restore (lib/restore/) against an in-memory world behind the
 * fv_restore_aws seam, with a fake clock: job ids, waits, refused bundles,
 * reruns, which identities are created. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "restore_world.c"

#include <fv/naming.h>
#include <fv/restore.h>
#include <fv/wait.h>

/* --- naming --- */

static void test_restore_job_ids_are_derived_from_the_restore(void **state)
{
    (void)state;
    char a[512], b[512], c[512];
    fv_name_restore_job("qs-20261203T030000Z", "111111111111", "dashboards_bundle_2",
                        "222222222222", NULL, a, sizeof(a));
    assert_string_equal(
        a, "fvr-qs-20261203T030000Z-111111111111-dashboards_bundle_2-to-222222222222-none");
    /* The same restore, the same id; other overrides, another id. */
    fv_name_restore_job("qs-20261203T030000Z", "111111111111", "dashboards_bundle_2",
                        "222222222222", "{}", b, sizeof(b));
    assert_string_equal(
        b, "fvr-qs-20261203T030000Z-111111111111-dashboards_bundle_2-to-222222222222-44136fa3");
    fv_name_restore_job("qs-20261203T030000Z", "111111111111", "dashboards_bundle_2",
                        "222222222222", "{\"a\":1}", c, sizeof(c));
    assert_string_not_equal(b, c);
    /* QuickSight takes [A-Za-z0-9_-] only. */
    fv_name_restore_job("run 1", "a/b", "x.y", "t:1", NULL, a, sizeof(a));
    assert_string_equal(a, "fvr-run_1-a_b-x_y-to-t_1-none");
}

/* --- the wait --- */

struct s_polls {
    int left; /* looks before done */
    int n;
    fv_status fail_at; /* FV_OK: never */
};

static fv_status s_poll(void *ud, bool *done, struct fv_error *err)
{
    struct s_polls *p = ud;
    p->n++;
    if (p->fail_at != FV_OK)
        return fv_error_set(err, p->fail_at, "DescribeThing failed");
    *done = p->left-- <= 0;
    return FV_OK;
}

static void test_wait_backs_off_to_a_ceiling(void **state)
{
    (void)state;
    struct s_clock c = {.now = 1000};
    struct fv_clock clock = S_CLOCK(&c);
    struct s_polls p = {.left = 7};
    struct fv_wait w = {.clock = &clock, .timeout_ms = 3600000};
    int64_t waited = 0;
    assert_int_equal(fv_wait_until(&w, s_poll, &p, &waited, NULL), FV_OK);
    assert_int_equal(p.n, 8);
    int64_t want[] = {250, 500, 1000, 2000, 4000, 5000, 5000};
    assert_int_equal(c.n_sleeps, 7);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(c.sleeps[i], want[i]);
    assert_int_equal(waited, 17750);
}

static void test_wait_times_out_at_the_deadline(void **state)
{
    (void)state;
    struct s_clock c = {0};
    struct fv_clock clock = S_CLOCK(&c);
    struct s_polls p = {.left = 1000};
    struct fv_wait w = {.clock = &clock, .timeout_ms = 10000};
    struct fv_error err = {0};
    int64_t waited = 0;
    assert_int_equal(fv_wait_until(&w, s_poll, &p, &waited, &err), FV_E_TIMEOUT);
    assert_int_equal(waited, 10000); /* the last look is at the deadline, not past it */
    assert_int_equal(c.sleeps[c.n_sleeps - 1], 10000 - 7750);
    assert_string_equal(err.message, "not done after 10 s");
}

static void test_wait_stops_when_asked_and_passes_errors_on(void **state)
{
    (void)state;
    struct s_clock c = {0};
    struct fv_clock clock = S_CLOCK(&c);
    volatile sig_atomic_t stop = 1;
    struct s_polls p = {.left = 1000};
    struct fv_wait w = {.clock = &clock, .timeout_ms = 10000, .stop = &stop};
    struct fv_error err = {0};
    assert_int_equal(fv_wait_until(&w, s_poll, &p, NULL, &err), FV_E_CANCELLED);
    assert_int_equal(p.n, 1);
    assert_int_equal(c.n_sleeps, 0);
    struct s_polls bad = {.fail_at = FV_E_AWS};
    w.stop = NULL;
    assert_int_equal(fv_wait_until(&w, s_poll, &bad, NULL, &err), FV_E_AWS);
    assert_string_equal(err.message, "DescribeThing failed");
    assert_int_equal(bad.n, 1);
}

/* --- restore quicksight --- */

static const char s_config_json[] =
    "{\"region\": \"us-east-1\", \"accounts\": ["
    "{\"id\": \"111111111111\", \"role_arn\": \"arn:aws:iam::111111111111:role/m\", "
    "\"regions\": [\"eu-west-1\"]},"
    "{\"id\": \"222222222222\", \"role_arn\": \"arn:aws:iam::222222222222:role/m\"}],"
    "\"central\": {\"account\": \"123456789012\", \"bucket\": \"central\"},"
    "\"jobs\": [{\"name\": \"qs\", \"type\": \"quicksight\", \"namespace\": \"default\","
    "\"identity_tables_account\": \"member\", \"identity_tables\": {\"users\": \"users\", "
    "\"groups\": \"groups\", \"memberships\": \"members\"}, \"s3\": {\"bucket\": \"central\"}},"
    "{\"name\": \"nightly\", \"type\": \"dynamodb_backups\", \"tables\": {\"names\": "
    "[\"orders\"]}}]}";

static void s_config(struct fv_config *cfg)
{
    struct json_object *doc = json_tokener_parse(s_config_json);
    struct fv_error err = {0};
    assert_non_null(doc);
    if (fv_config_from_doc("fleet.yaml", doc, cfg, &err) != FV_OK)
        fail_msg("%s", err.message);
    json_object_put(doc);
}

#define S_QS_HEAD                                                                                  \
    "{\"manifest_version\": 1, \"run_id\": \"qs-20261203T030000Z\", \"job\": \"qs\", "             \
    "\"type\": \"quicksight\", \"started\": \"2026-12-03T03:00:00Z\", \"resources\": ["
#define S_BUNDLE(account, name, status, outputs)                                                   \
    "{\"kind\": \"quicksight.export\", \"account\": \"" account "\", \"region\": \"us-east-1\", "  \
    "\"resource\": \"" name "\", \"status\": \"" status "\", \"outputs\": [" outputs "]}"
#define S_OBJECT(type)                                                                             \
    "{\"bucket\": \"central\", \"object_key\": \"q/" type                                          \
    ".zip\", \"size\": 12, \"sha256\": \"" S_SHA_BUNDLE "\", \"type\": \"" type "\"}"

/* What a restore reported, bundle by bundle. */
struct s_seen {
    char lines[32][600];
    size_t n;
};

static void s_on_bundle(void *ud, enum fv_restore_bundle_step step,
                        const struct fv_restore_bundle *b)
{
    struct s_seen *s = ud;
    static const char *const steps[] = {"begin", "prior", "started", "end"};
    if (s->n < 32)
        snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s %s %d %s", steps[step],
                 b->res->resource, step == FV_RB_END ? (int)b->outcome : -1,
                 step == FV_RB_END ? b->err.message : "");
}

struct s_qs {
    struct fv_config cfg;
    struct fv_manifest m;
    struct fv_restore_qs_options o;
    struct fv_restore_qs rq;
    struct s_clock c;
    struct fv_clock clock;
    struct s_world w;
    struct fv_restore_aws aws;
    struct s_seen seen;
};

static void s_qs_start(struct s_qs *q, const char *manifest)
{
    memset(q, 0, sizeof(*q));
    s_config(&q->cfg);
    s_manifest(manifest, &q->m);
    for (int i = 0; i < FV_RESTORE_N_TYPES; i++)
        q->o.types[i] = true;
    q->clock = S_CLOCK(&q->c);
    q->o.clock = &q->clock;
    q->o.timeout_ms = 60000;
    q->w.central = "123456789012";
    q->w.object = "bundle bytes";
    q->w.jobs = json_object_new_object();
    q->w.tables = json_object_new_object();
    q->w.users = json_object_new_object();
    q->w.groups = json_object_new_object();
    q->aws = s_aws(&q->w);
}

static fv_status s_qs_prepare(struct s_qs *q, struct fv_error *err)
{
    fv_restore_qs_clean_up(&q->rq);
    return fv_restore_qs_prepare(&q->cfg, "fleet.yaml", &q->m, &q->o, &q->rq, err);
}

static struct fv_restore_qs_report s_qs_run(struct s_qs *q)
{
    struct fv_error err = {0};
    if (s_qs_prepare(q, &err) != FV_OK)
        fail_msg("%s", err.message);
    struct fv_restore_qs_callbacks cb = {.bundle = s_on_bundle, .ud = &q->seen};
    struct fv_restore_qs_report r;
    q->seen.n = 0;
    fv_restore_quicksight(&q->rq, &q->aws, &cb, &r);
    return r;
}

static void s_qs_stop(struct s_qs *q)
{
    fv_restore_qs_clean_up(&q->rq);
    fv_manifest_clean_up(&q->m);
    fv_config_clean_up(&q->cfg);
    s_world_clean_up(&q->w);
}

static const char s_two_bundles[] = S_QS_HEAD
    S_BUNDLE("111111111111", "dashboards", "SUCCEEDED", S_OBJECT("dashboards")) "," S_BUNDLE(
        "111111111111", "datasources", "SUCCEEDED",
        S_OBJECT("datasources")) "," S_BUNDLE("111111111111", "analyses", "SKIPPED",
                                              "") "," S_BUNDLE("111111111111", "datasets", "FAILED",
                                                               "") "]}";

static void test_bundles_are_imported_in_dependency_order_and_waited_for(void **state)
{
    (void)state;
    struct s_qs q;
    s_qs_start(&q, s_two_bundles);
    q.w.job_polls = 2;
    q.w.final = FV_QS_JOB_SUCCESSFUL;
    struct fv_restore_qs_report r = s_qs_run(&q);
    /* Data sources before data sets before analyses before dashboards; a
     * bundle the backup skipped is fine, one it failed is not. */
    assert_int_equal(q.seen.n, 8);
    assert_string_equal(q.seen.lines[0], "begin datasources -1 ");
    assert_string_equal(q.seen.lines[1], "started datasources -1 ");
    assert_string_equal(q.seen.lines[2], "end datasources 0 ");
    assert_string_equal(q.seen.lines[3], "end datasets 2 ");
    assert_string_equal(q.seen.lines[4], "end analyses 1 ");
    assert_string_equal(q.seen.lines[5], "begin dashboards -1 ");
    assert_string_equal(q.seen.lines[6], "started dashboards -1 ");
    assert_string_equal(q.seen.lines[7], "end dashboards 0 ");
    assert_int_equal(r.ok, 3);
    assert_int_equal(r.bad, 1);
    assert_int_equal(q.w.n_start_import, 2);
    /* Into the account it came from, in the resource's region. */
    assert_string_equal(q.w.started_job,
                        "fvr-qs-20261203T030000Z-111111111111-dashboards-to-111111111111-none");
    assert_string_equal(q.w.started_in, "111111111111 us-east-1");
    s_qs_stop(&q);
}

/* An importer that records its batches and decides each bundle's outcome. */
struct s_batches {
    char seen[8][256];
    size_t n;
};

static void s_import_batch(void *ud, const struct fv_restore_qs *rq, struct fv_restore_bundle *b,
                           size_t n)
{
    (void)rq;
    struct s_batches *bs = ud;
    struct fv_buf line = {0};
    for (size_t i = 0; i < n; i++) {
        fv_buf_printf(&line, "%s%s->%s %s", i ? "," : "", b[i].res->resource, b[i].target,
                      b[i].job_id);
        /* data sources: done by an earlier restore; dashboards: the job failed */
        if (strcmp(b[i].res->resource, "datasources") == 0) {
            b[i].outcome = FV_RB_IMPORTED;
            b[i].prior_done = true;
        } else {
            b[i].outcome = FV_RB_JOB_FAILED;
        }
    }
    if (bs->n < 8)
        snprintf(bs->seen[bs->n++], sizeof(bs->seen[0]), "%s", line.ptr);
    fv_buf_clean_up(&line);
}

static void test_an_importer_gets_one_batch_per_type_in_dependency_order(void **state)
{
    (void)state;
    struct s_qs q;
    struct s_batches bs = {0};
    struct fv_restore_importer imp = {s_import_batch, &bs};
    s_qs_start(&q, s_two_bundles);
    q.o.importer = &imp;
    struct fv_restore_qs_report r = s_qs_run(&q);
    /* Nothing inline: the importer does every call. */
    assert_int_equal(q.w.n_get + q.w.n_start_import, 0);
    assert_int_equal(bs.n, 2);
    assert_string_equal(bs.seen[0], "datasources->111111111111 fvr-qs-20261203T030000Z-"
                                    "111111111111-datasources-to-111111111111-none");
    assert_string_equal(bs.seen[1], "dashboards->111111111111 fvr-qs-20261203T030000Z-"
                                    "111111111111-dashboards-to-111111111111-none");
    /* What the importer found is reported as the inline restore reports it. */
    assert_int_equal(q.seen.n, 7);
    assert_string_equal(q.seen.lines[0], "begin datasources -1 ");
    assert_string_equal(q.seen.lines[1], "prior datasources -1 ");
    assert_string_equal(q.seen.lines[2], "end datasources 0 ");
    assert_string_equal(q.seen.lines[3], "end datasets 2 ");
    assert_string_equal(q.seen.lines[4], "end analyses 1 ");
    assert_string_equal(q.seen.lines[5], "begin dashboards -1 ");
    assert_string_equal(q.seen.lines[6], "end dashboards 3 ");
    assert_int_equal(r.ok, 2); /* datasources, the skipped analyses */
    assert_int_equal(r.bad, 2);
    s_qs_stop(&q);
}

static void test_a_bundle_that_does_not_match_the_manifest_is_not_imported(void **state)
{
    (void)state;
    struct s_qs q;
    s_qs_start(&q, S_QS_HEAD S_BUNDLE("111111111111", "dashboards", "SUCCEEDED",
                                      S_OBJECT("dashboards")) "]}");
    q.w.object = "bundle bytez"; /* same size, other bytes */
    struct fv_restore_qs_report r = s_qs_run(&q);
    assert_int_equal(r.bad, 1);
    assert_int_equal(q.w.n_get, 1);
    assert_int_equal(q.w.n_start_import, 0);
    assert_string_equal(q.seen.lines[1],
                        "end dashboards 5 s3://central/q/dashboards.zip: 12 bytes with sha256 "
                        "25a79a664d4c27e52c6a6acafb3495b115f7072f757d7b5537d9735597cc75c2, the "
                        "manifest says 12 bytes with sha256 " S_SHA_BUNDLE ": not imported");
    q.w.object = "";
    q.m.resources[0].outputs[0].size = 0;
    free(q.m.resources[0].outputs[0].sha256);
    q.m.resources[0].outputs[0].sha256 = NULL;
    r = s_qs_run(&q);
    assert_int_equal(q.w.n_start_import, 0);
    assert_string_equal(q.seen.lines[1],
                        "end dashboards 5 s3://central/q/dashboards.zip is empty: not imported");
    s_qs_stop(&q);
}

static void test_a_rerun_finds_its_jobs(void **state)
{
    (void)state;
    struct s_qs q;
    s_qs_start(&q, S_QS_HEAD S_BUNDLE("111111111111", "dashboards", "SUCCEEDED",
                                      S_OBJECT("dashboards")) "]}");
    /* SUCCEEDED before: nothing read, nothing started. */
    q.w.prior = FV_QS_JOB_SUCCESSFUL;
    struct fv_restore_qs_report r = s_qs_run(&q);
    assert_int_equal(r.ok, 1);
    assert_int_equal(q.w.n_get + q.w.n_start_import, 0);
    assert_string_equal(q.seen.lines[1], "prior dashboards -1 ");
    /* Still running: waited for, not started again. */
    q.w.prior = FV_QS_JOB_IN_PROGRESS;
    q.w.job_polls = 3;
    q.w.final = FV_QS_JOB_SUCCESSFUL;
    r = s_qs_run(&q);
    assert_int_equal(r.ok, 1);
    assert_int_equal(q.w.n_get + q.w.n_start_import, 0);
    /* Ended badly: started again under the same id. */
    q.w.prior = FV_QS_JOB_FAILED_ROLLBACK_COMPLETED;
    q.w.job_polls = 0;
    r = s_qs_run(&q);
    assert_int_equal(r.ok, 1);
    assert_int_equal(q.w.n_start_import, 1);
    s_qs_stop(&q);
}

static void test_an_import_that_does_not_end_times_out_by_the_clock(void **state)
{
    (void)state;
    struct s_qs q;
    s_qs_start(&q, S_QS_HEAD S_BUNDLE("111111111111", "dashboards", "SUCCEEDED",
                                      S_OBJECT("dashboards")) "]}");
    q.w.job_polls = 1000000;
    q.o.timeout_ms = 1800000;
    struct fv_restore_qs_report r = s_qs_run(&q);
    assert_int_equal(r.bad, 1);
    assert_int_equal(q.c.now, 1800000);
    assert_string_equal(q.seen.lines[2], "end dashboards 4 not done after 1800 s");
    /* A failed job is reported as such (the earlier one has ended). */
    json_object_object_add(q.w.jobs, q.w.started_job, json_object_new_int(0));
    q.w.job_polls = 0;
    q.w.final = FV_QS_JOB_FAILED_ROLLBACK_COMPLETED;
    r = s_qs_run(&q);
    assert_int_equal(r.bad, 1);
    assert_string_equal(q.seen.lines[1], "prior dashboards -1 "); /* it ended: again */
    assert_string_equal(q.seen.lines[3], "end dashboards 3 ");
    s_qs_stop(&q);
}

static void test_a_target_account_and_overrides_make_other_jobs(void **state)
{
    (void)state;
    struct s_qs q;
    s_qs_start(&q, S_QS_HEAD S_BUNDLE("111111111111", "dashboards", "SUCCEEDED",
                                      S_OBJECT("dashboards")) "]}");
    q.o.target = "222222222222";
    q.o.overrides_json = "{ \"a\": 1 }";
    q.w.final = FV_QS_JOB_SUCCESSFUL;
    s_qs_run(&q);
    assert_string_equal(q.rq.overrides_canonical, "{\"a\":1}");
    assert_string_equal(q.w.started_job,
                        "fvr-qs-20261203T030000Z-111111111111-dashboards-to-222222222222-015abd7f");
    /* The target's region: its first configured one, else the config's. */
    assert_string_equal(q.w.started_in, "222222222222 us-east-1");
    s_qs_stop(&q);
}

static void test_bad_input_is_refused_before_any_call(void **state)
{
    (void)state;
    struct s_qs q;
    struct fv_error err = {0};
    s_qs_start(&q, S_QS_HEAD S_BUNDLE("111111111111", "dashboards", "SUCCEEDED", "") "," S_BUNDLE(
                       "222222222222", "dashboards", "SUCCEEDED", "") "]}");
    q.o.target = "333333333333";
    assert_int_equal(s_qs_prepare(&q, &err), FV_E_INVALID);
    assert_string_equal(err.message, "--target-account 333333333333 is not an account of "
                                     "fleet.yaml");
    q.o.target = "222222222222";
    assert_int_equal(s_qs_prepare(&q, &err), FV_E_INVALID);
    assert_string_equal(err.message, "the manifest has accounts 111111111111 and 222222222222: "
                                     "choose one with --source-account to restore into "
                                     "222222222222");
    q.o.source = "444444444444";
    assert_int_equal(s_qs_prepare(&q, &err), FV_E_INVALID);
    assert_string_equal(err.message, "--source-account 444444444444: not in m.json");
    q.o.source = "111111111111";
    q.o.overrides_json = "{\"a\": 1} trailing";
    q.o.overrides_name = "o.json";
    assert_int_equal(s_qs_prepare(&q, &err), FV_E_INVALID);
    assert_string_equal(err.message, "--overrides o.json: not a JSON object");
    q.o.overrides_json = "[]";
    assert_int_equal(s_qs_prepare(&q, &err), FV_E_INVALID);
    q.o.overrides_json = NULL;
    assert_int_equal(s_qs_prepare(&q, &err), FV_OK);
    s_qs_stop(&q);

    s_qs_start(&q, "{\"manifest_version\": 1, \"run_id\": \"nightly-20261203T030000Z\", "
                   "\"job\": \"nightly\", \"type\": \"dynamodb_backups\", \"resources\": []}");
    assert_int_equal(s_qs_prepare(&q, &err), FV_E_INVALID);
    assert_string_equal(err.message,
                        "m.json is not a quicksight run's manifest (type dynamodb_backups)");
    s_qs_stop(&q);
    assert_int_equal(q.w.n_get + q.w.n_describe_import, 0);
}

/* --- identities --- */

static struct json_object *s_item(const char *k1, const char *v1, const char *k2, const char *v2,
                                  const char *k3, const char *v3)
{
    struct json_object *item = json_object_new_object();
    const char *kv[] = {k1, v1, k2, v2, k3, v3};
    for (int i = 0; i < 6 && kv[i]; i += 2) {
        struct json_object *a = json_object_new_object();
        json_object_object_add(a, "S", json_object_new_string(kv[i + 1]));
        json_object_object_add(item, kv[i], a);
    }
    return item;
}

static struct json_object *s_user(const char *name, const char *type, const char *account)
{
    char arn[128];
    snprintf(arn, sizeof(arn), "arn:aws:quicksight:us-east-1:%s:user/default/%s", account, name);
    struct json_object *u = s_item("user_name", name, "identity_type", type, "arn", arn);
    struct json_object *a = json_object_new_object();
    json_object_object_add(a, "S", json_object_new_string("READER"));
    json_object_object_add(u, "role", a);
    a = json_object_new_object();
    json_object_object_add(a, "S", json_object_new_string("x@example.com"));
    json_object_object_add(u, "email", a);
    return u;
}

static void s_rows(struct s_world *w, const char *table, struct json_object *rows[], size_t n)
{
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, rows[i]);
    json_object_object_add(w->tables, table, arr);
}

struct s_ident_seen {
    char lines[32][600];
    size_t n;
    struct fv_restore_ident_counts counts[3];
    bool ok;
};

static void s_on_ident(void *ud, enum fv_restore_ident_step step,
                       const struct fv_restore_identities *id)
{
    struct s_ident_seen *s = ud;
    static const char *const actions[] = {"present", "created", "cannot", "failed"};
    if (step == FV_RI_ITEM && s->n < 32)
        snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s %s %s%s%s",
                 fv_restore_type_name(id->type), actions[id->action], id->name,
                 id->group ? " in " : "", id->group ? id->group : "");
    if (step == FV_RI_ITEM && id->action == FV_RI_CANNOT && s->n < 32)
        snprintf(s->lines[s->n++], sizeof(s->lines[0]), "  %s", id->err.message);
    if (step == FV_RI_END) {
        memcpy(s->counts, id->counts, sizeof(s->counts));
        s->ok = id->ok;
    }
}

static const char s_identity_manifest[] =
    S_QS_HEAD "{\"kind\": \"quicksight.users\", \"account\": \"111111111111\", \"region\": "
              "\"us-east-1\", \"resource\": \"users\", \"status\": \"SUCCEEDED\", \"outputs\": "
              "[{\"table\": \"2026-12-03-users\"}]},"
              "{\"kind\": \"quicksight.groups\", \"account\": \"111111111111\", \"region\": "
              "\"us-east-1\", \"resource\": \"groups\", \"status\": \"SUCCEEDED\", \"outputs\": "
              "[{\"table\": \"2026-12-03-groups\"}]}]}";

static void test_only_missing_identities_are_created(void **state)
{
    (void)state;
    struct s_qs q;
    s_qs_start(&q, s_identity_manifest);
    struct json_object *users[] = {s_user("alice", "QUICKSIGHT", "111111111111"),
                                   s_user("bob", "QUICKSIGHT", "111111111111"),
                                   s_user("fed", "IAM", "111111111111"),
                                   /* another account's row in a shared table: not this restore's */
                                   s_user("mallory", "QUICKSIGHT", "999999999999")};
    s_rows(&q.w, "2026-12-03-users", users, 4);
    struct json_object *groups[] = {s_item("group_name", "g1", NULL, NULL, NULL, NULL),
                                    s_item("group_name", "g2", NULL, NULL, NULL, NULL)};
    s_rows(&q.w, "2026-12-03-groups", groups, 2);
    /* The memberships table is named after the run's day. */
    struct json_object *members[] = {s_item("user_name", "alice", "group_name", "g1", NULL, NULL),
                                     s_item("user_name", "bob", "group_name", "g2", NULL, NULL),
                                     s_item("user_name", "fed", "group_name", "g2", NULL, NULL)};
    s_rows(&q.w, "2026-12-03-members", members, 3);
    /* The target still has alice in g1; bob and g2 are gone. */
    json_object_object_add(q.w.users, "alice", json_object_new_boolean(1));
    struct json_object *g1 = json_object_new_object();
    json_object_object_add(g1, "alice", json_object_new_boolean(1));
    json_object_object_add(q.w.groups, "g1", g1);

    struct s_ident_seen seen = {0};
    struct fv_error err = {0};
    assert_int_equal(s_qs_prepare(&q, &err), FV_OK);
    struct fv_restore_qs_callbacks cb = {.identities = s_on_ident, .ud = &seen};
    struct fv_restore_qs_report r;
    fv_restore_quicksight(&q.rq, &q.aws, &cb, &r);
    assert_int_equal(seen.n, 7);
    assert_string_equal(seen.lines[0], "users created bob");
    assert_string_equal(seen.lines[1], "users cannot fed");
    assert_string_equal(seen.lines[2], "  cannot restore: IAM identity");
    assert_string_equal(seen.lines[3], "groups created g2");
    assert_string_equal(seen.lines[4], "memberships created bob in g2");
    assert_string_equal(seen.lines[5], "memberships cannot fed in g2");
    assert_string_equal(seen.lines[6], "  cannot restore: user fed does not exist in 111111111111");
    assert_int_equal(seen.counts[0].present, 1);
    assert_int_equal(seen.counts[2].present, 1);
    assert_false(seen.ok); /* fed cannot be restored */
    assert_int_equal(r.bad, 1);
    assert_int_equal(q.w.n_register, 1);
    assert_int_equal(q.w.n_create_group, 1);
    assert_int_equal(q.w.n_add_member, 1);
    assert_false(json_object_object_get_ex(q.w.users, "mallory", NULL));

    /* Again: nothing is created; only fed is still reported. */
    memset(&seen, 0, sizeof(seen));
    fv_restore_quicksight(&q.rq, &q.aws, &cb, &r);
    assert_int_equal(q.w.n_register + q.w.n_create_group + q.w.n_add_member, 3);
    assert_int_equal(seen.counts[0].present, 2);
    assert_int_equal(seen.counts[1].present, 2);
    assert_int_equal(seen.counts[2].present, 2);
    assert_int_equal(seen.counts[0].created + seen.counts[1].created + seen.counts[2].created, 0);

    /* Users only: the IAM user is the one problem; without it, all is well. */
    q.o.types[FV_RESTORE_GROUPS] = q.o.types[FV_RESTORE_MEMBERSHIPS] = false;
    json_object_array_del_idx(json_object_object_get(q.w.tables, "2026-12-03-users"), 2, 1);
    memset(&seen, 0, sizeof(seen));
    fv_restore_quicksight(&q.rq, &q.aws, &cb, &r);
    assert_true(seen.ok);
    assert_int_equal(r.ok, 1);
    s_qs_stop(&q);
}

static void test_identities_need_a_configured_quicksight_job(void **state)
{
    (void)state;
    struct s_qs q;
    struct fv_error err = {0};
    s_qs_start(&q, s_identity_manifest);
    free(q.m.job);
    q.m.job = fv_strdup("nightly");
    assert_int_equal(s_qs_prepare(&q, &err), FV_E_INVALID);
    assert_string_equal(err.message,
                        "the manifest's job 'nightly' is not a quicksight job of fleet.yaml (its "
                        "namespace and identity tables are needed; or use --assets-only)");
    for (int i = FV_RESTORE_USERS; i <= FV_RESTORE_MEMBERSHIPS; i++)
        q.o.types[i] = false;
    assert_int_equal(s_qs_prepare(&q, &err), FV_OK);
    s_qs_stop(&q);
}

static void test_identity_tables_are_read_where_the_job_keeps_them(void **state)
{
    (void)state;
    struct s_qs q;
    s_qs_start(&q, s_identity_manifest);
    struct json_object *users[] = {s_user("bob", "QUICKSIGHT", "111111111111")};
    s_rows(&q.w, "2026-12-03-users", users, 1);
    q.o.types[FV_RESTORE_GROUPS] = q.o.types[FV_RESTORE_MEMBERSHIPS] = false;
    s_qs_run(&q);
    assert_string_equal(q.w.read_in, "111111111111 us-east-1"); /* the member account */
    struct fv_config_job *job = (struct fv_config_job *)fv_config_job(&q.cfg, "qs");
    free(job->identity_tables_account);
    job->identity_tables_account = fv_strdup("central");
    s_qs_run(&q);
    assert_string_equal(q.w.read_in, "123456789012 us-east-1");
    s_qs_stop(&q);
}

/* --- restore dynamodb --- */

static void test_a_restored_table_is_waited_for(void **state)
{
    (void)state;
    struct s_world w = {.table_polls = 3};
    struct fv_restore_aws aws = s_aws(&w);
    struct s_clock c = {0};
    struct fv_clock clock = S_CLOCK(&c);
    struct fv_restore_table req = {
        .backup_arn = "arn:aws:dynamodb:eu-west-1:111111111111:table/orders/backup/01",
        .target_table = "orders-restored",
        .timeout_ms = 60000,
        .clock = &clock};
    struct fv_dynamodb_table t;
    struct fv_error err = {0};
    assert_int_equal(fv_restore_table_start(&aws, &req, &err), FV_OK);
    assert_int_equal(fv_restore_table_wait(&aws, &req, &t, &err), FV_OK);
    assert_string_equal(t.status, "ACTIVE");
    assert_int_equal(c.now, 6000); /* every 2 s */
    fv_dynamodb_table_clean_up(&t);

    w.n_describe_table = 0;
    w.table_polls = 1000;
    c.now = 0;
    assert_int_equal(fv_restore_table_wait(&aws, &req, &t, &err), FV_E_TIMEOUT);
    assert_string_equal(err.message,
                        "table orders-restored not ACTIVE after 60 s (it is CREATING)");
    fv_dynamodb_table_clean_up(&t);

    req.backup_arn = "orders";
    assert_int_equal(fv_restore_table_start(&aws, &req, &err), FV_E_INVALID);
    assert_string_equal(err.message,
                        "backup ARN 'orders': not an ARN with an account and a region");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_job_ids_are_derived_from_the_restore),
        cmocka_unit_test(test_wait_backs_off_to_a_ceiling),
        cmocka_unit_test(test_wait_times_out_at_the_deadline),
        cmocka_unit_test(test_wait_stops_when_asked_and_passes_errors_on),
        cmocka_unit_test(test_bundles_are_imported_in_dependency_order_and_waited_for),
        cmocka_unit_test(test_an_importer_gets_one_batch_per_type_in_dependency_order),
        cmocka_unit_test(test_a_bundle_that_does_not_match_the_manifest_is_not_imported),
        cmocka_unit_test(test_a_rerun_finds_its_jobs),
        cmocka_unit_test(test_an_import_that_does_not_end_times_out_by_the_clock),
        cmocka_unit_test(test_a_target_account_and_overrides_make_other_jobs),
        cmocka_unit_test(test_bad_input_is_refused_before_any_call),
        cmocka_unit_test(test_only_missing_identities_are_created),
        cmocka_unit_test(test_identities_need_a_configured_quicksight_job),
        cmocka_unit_test(test_identity_tables_are_read_where_the_job_keeps_them),
        cmocka_unit_test(test_a_restored_table_is_waited_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

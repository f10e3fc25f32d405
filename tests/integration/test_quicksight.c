/* The QuickSight calls against the AWS test world, with signatures and IAM
 * enforced, made through fleetvault's member role (so an action missing from
 * deploy/iam/fleetvault-member-policy.json fails here): identities and their
 * paging, the asset inventory with its FILE data sets, an export job of 50
 * dashboards downloaded as a stream, job-id conflicts, the 5-job limit, an
 * expired DownloadUrl, an import into the other member account, and the
 * restore calls being idempotent. Run through with-world. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fv/aws.h>
#include <fv/clock.h>
#include <fv/credentials.h>
#include <fv/quicksight.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MEMBER1 "111111111111"
#define S_MEMBER2 "222222222222"
#define S_NS "default"
#define S_JOB_WAIT_MS 20000
#define S_IMPORT_PREFIX "fvqs-"

#define S_CHECK(expr, err)                                                                         \
    do {                                                                                           \
        fv_status st_ = (expr);                                                                    \
        if (st_ != FV_OK)                                                                          \
            fail_msg("%s: %s [%s] (%s)", #expr, (err).message, (err).code, fv_status_str(st_));    \
    } while (0)

/* --- clients --- */

static const char *s_region(void)
{
    const char *r = getenv("AWS_REGION");
    return r ? r : "us-east-1";
}

/* fleetvault's role in a member account; throttle backoff kept short so a
 * LimitExceededException (retried as a throttle) comes back quickly. */
static struct fv_aws_client *s_member(const char *account)
{
    char arn[96];
    snprintf(arn, sizeof(arn), "arn:aws:iam::%s:role/fleetvault-member", account);
    struct fv_creds_provider *base = fv_creds_default_chain(NULL, s_region(), NULL);
    struct fv_creds_provider *role =
        fv_creds_assume_role(base, s_region(), arn, "fleetvault-demo", "fv-qs-test", NULL);
    struct fv_aws_client_options o = {.region = s_region(), .creds = role, .account_id = account};
    fv_retry_options_default(&o.retry);
    o.retry.base_ms = 10;
    o.retry.throttle_base_ms = 20;
    struct fv_error err;
    struct fv_aws_client *c = fv_aws_client_new(&o, &err);
    if (!c)
        fail_msg("client: %s", err.message);
    fv_creds_unref(role);
    fv_creds_unref(base);
    return c;
}

/* --- the world's control API --- */

static struct json_object *s_world_get(const char *path)
{
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s%s", getenv("FV_WORLD_URL"), path);
    struct fv_http_request req = {.method = "GET", .url = url.ptr};
    struct fv_http_response resp = {0};
    struct fv_error err;
    S_CHECK(fv_http_simple(NULL, &req, &resp, &err), err);
    assert_int_equal(resp.status, 200);
    struct json_object *out = json_tokener_parse(fv_buf_str(&resp.body));
    assert_non_null(out);
    fv_http_response_clean_up(&resp);
    fv_http_request_clean_up(&req);
    fv_buf_clean_up(&url);
    return out;
}

static void s_world_post(const char *path, const char *json)
{
    struct fv_buf url = {0};
    fv_buf_printf(&url, "%s%s", getenv("FV_WORLD_URL"), path);
    struct fv_http_request req = {.method = "POST", .url = url.ptr, .body = FV_CUR_STR(json)};
    fv_headers_add(&req.headers, "Content-Type", "application/json");
    struct fv_http_response resp = {0};
    struct fv_error err;
    S_CHECK(fv_http_simple(NULL, &req, &resp, &err), err);
    if (resp.status != 200)
        fail_msg("world POST %s -> %d %s", path, resp.status, fv_buf_str(&resp.body));
    fv_http_response_clean_up(&resp);
    fv_http_request_clean_up(&req);
    fv_buf_clean_up(&url);
}

static void s_sleep_ms(int64_t ms)
{
    const struct fv_clock *clk = fv_clock_system();
    clk->sleep_ms(clk->ud, ms);
}

/* --- suite state --- */

struct s_suite {
    struct fv_aws_client *m1; /* member role in 111111111111 */
    struct fv_aws_client *m2; /* member role in 222222222222 */
    double saved_delay_s;
    double saved_ttl_s;
    char *export_job;     /* the 50-dashboard export, SUCCESSFUL */
    struct fv_buf bundle; /* its zip, for the import */
};

static void s_settings(double delay_s, double ttl_s)
{
    char json[128];
    snprintf(json, sizeof(json), "{\"asset_bundle_delay_s\": %g, \"download_url_ttl_s\": %g}",
             delay_s, ttl_s);
    s_world_post("/_world/settings", json);
}

static int s_setup(void **state)
{
    struct s_suite *s = calloc(1, sizeof(*s));
    struct json_object *settings = s_world_get("/_world/settings");
    struct json_object *v;
    s->saved_delay_s = json_object_object_get_ex(settings, "asset_bundle_delay_s", &v)
                           ? json_object_get_double(v)
                           : 0.5;
    s->saved_ttl_s = json_object_object_get_ex(settings, "download_url_ttl_s", &v)
                         ? json_object_get_double(v)
                         : 300;
    json_object_put(settings);
    s_settings(0.2, 300);
    s->m1 = s_member(S_MEMBER1);
    s->m2 = s_member(S_MEMBER2);
    *state = s;
    return 0;
}

static int s_teardown(void **state)
{
    struct s_suite *s = *state;
    s_settings(s->saved_delay_s, s->saved_ttl_s);
    fv_aws_client_destroy(s->m1);
    fv_aws_client_destroy(s->m2);
    free(s->export_job);
    fv_buf_clean_up(&s->bundle);
    free(s);
    return 0;
}

/* --- sinks --- */

struct s_counter {
    int64_t bytes;
    unsigned char head[4];
    size_t stop_after; /* 0: never; else refuse once this many bytes came */
};

static size_t s_count_sink(void *ud, const char *data, size_t n)
{
    struct s_counter *k = ud;
    if (k->stop_after && (size_t)k->bytes + n > k->stop_after)
        return 0;
    for (size_t i = 0; i < n && k->bytes + (int64_t)i < 4; i++)
        k->head[k->bytes + (int64_t)i] = (unsigned char)data[i];
    k->bytes += (int64_t)n;
    return n;
}

static size_t s_buf_sink(void *ud, const char *data, size_t n)
{
    fv_buf_append(ud, data, n);
    return n;
}

/* --- identities --- */

static size_t s_count_role(const struct fv_quicksight_users *l, const char *role)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].role, role) == 0)
            n++;
    return n;
}

static void test_users(void **state)
{
    struct s_suite *s = *state;
    struct fv_error err;
    struct fv_quicksight_users users = {0};
    struct fv_quicksight_list_options paged = {.page_size = 7};
    S_CHECK(fv_quicksight_list_users(s->m1, S_MEMBER1, S_NS, &paged, &users, &err), err);
    assert_int_equal(users.n, 30);
    assert_int_equal(users.pages, 5); /* 7+7+7+7+2 */
    assert_int_equal(s_count_role(&users, "ADMIN"), 4);
    assert_int_equal(s_count_role(&users, "AUTHOR"), 10);
    assert_int_equal(s_count_role(&users, "READER"), 16);
    const struct fv_quicksight_user *u0 = NULL;
    for (size_t i = 0; i < users.n; i++) {
        const struct fv_quicksight_user *u = &users.items[i];
        assert_non_null(u->arn);
        assert_non_null(u->principal_id);
        assert_string_equal(u->identity_type, "QUICKSIGHT");
        assert_null(u->custom_permissions_name);
        for (size_t j = 0; j < i; j++) /* every page brought new users */
            assert_string_not_equal(users.items[j].user_name, u->user_name);
        if (strcmp(u->user_name, "qsuser00000") == 0)
            u0 = u;
    }
    assert_non_null(u0);
    assert_string_equal(u0->email, "qsuser00000@example.com");
    assert_string_equal(u0->role, "ADMIN");
    assert_string_equal(u0->arn,
                        "arn:aws:quicksight:us-east-1:" S_MEMBER1 ":user/default/qsuser00000");

    /* Default page size: one call. */
    struct fv_quicksight_users again = {0};
    S_CHECK(fv_quicksight_list_users(s->m1, S_MEMBER1, S_NS, NULL, &again, &err), err);
    assert_int_equal(again.n, 30);
    assert_int_equal(again.pages, 1);
    fv_quicksight_users_clean_up(&again);

    struct fv_quicksight_user one;
    S_CHECK(fv_quicksight_describe_user(s->m1, S_MEMBER1, S_NS, "qsuser00007", &one, &err), err);
    assert_string_equal(one.user_name, "qsuser00007");
    assert_string_equal(one.email, "qsuser00007@example.com");
    fv_quicksight_user_clean_up(&one);

    /* A name that needs encoding reaches the service intact (a wrongly
     * encoded path would fail its signature check instead). Not with a '/':
     * the world routes on the decoded path and answers 404 HTML for
     * ".../users/a%2Fb" (AWS's IAM-role users are named "role/session"). */
    assert_int_equal(
        fv_quicksight_describe_user(s->m1, S_MEMBER1, S_NS, "no such user+x", &one, &err),
        FV_E_NOTFOUND);
    assert_string_equal(err.code, "ResourceNotFoundException");
    assert_null(one.user_name);

    /* Another account's path is refused. */
    struct fv_quicksight_users other = {0};
    assert_int_equal(fv_quicksight_list_users(s->m1, S_MEMBER2, S_NS, NULL, &other, &err),
                     FV_E_AWS);
    assert_string_equal(err.code, "AccessDeniedException");
    fv_quicksight_users_clean_up(&other);

    struct fv_quicksight_list_options bad = {.page_size = 101};
    assert_int_equal(fv_quicksight_list_users(s->m1, S_MEMBER1, S_NS, &bad, &other, &err),
                     FV_E_INVALID);
    fv_quicksight_users_clean_up(&users);
}

static void test_groups_and_memberships(void **state)
{
    struct s_suite *s = *state;
    struct fv_error err;
    struct fv_quicksight_groups groups = {0};
    struct fv_quicksight_list_options two = {.page_size = 2};
    S_CHECK(fv_quicksight_list_groups(s->m1, S_MEMBER1, S_NS, &two, &groups, &err), err);
    assert_int_equal(groups.n, 5);
    assert_int_equal(groups.pages, 3);
    size_t memberships = 0;
    for (size_t i = 0; i < groups.n; i++) {
        const struct fv_quicksight_group *g = &groups.items[i];
        char want[64];
        snprintf(want, sizeof(want), "seeded group %s", g->group_name);
        assert_string_equal(g->description, want);
        assert_non_null(g->principal_id);
        assert_non_null(strstr(g->arn, ":group/default/"));

        struct fv_quicksight_members members = {0};
        struct fv_quicksight_list_options four = {.page_size = 4};
        S_CHECK(fv_quicksight_list_group_memberships(s->m1, S_MEMBER1, S_NS, g->group_name, &four,
                                                     &members, &err),
                err);
        assert_int_equal(members.n, 6); /* users gi, gi+5, ... below 30 */
        assert_int_equal(members.pages, 2);
        for (size_t j = 0; j < members.n; j++) {
            assert_true(fv_str_starts_with(members.items[j].member_name, "qsuser"));
            assert_non_null(strstr(members.items[j].arn, g->group_name));
        }
        memberships += members.n;
        fv_quicksight_members_clean_up(&members);
    }
    assert_int_equal(memberships, 30);

    struct fv_quicksight_group g;
    S_CHECK(fv_quicksight_describe_group(s->m1, S_MEMBER1, S_NS, "group-03", &g, &err), err);
    assert_string_equal(g.group_name, "group-03");
    fv_quicksight_group_clean_up(&g);
    assert_int_equal(fv_quicksight_describe_group(s->m1, S_MEMBER1, S_NS, "no-group", &g, &err),
                     FV_E_NOTFOUND);
    assert_string_equal(err.code, "ResourceNotFoundException");
    struct fv_quicksight_members none = {0};
    assert_int_equal(
        fv_quicksight_list_group_memberships(s->m1, S_MEMBER1, S_NS, "no-group", NULL, &none, &err),
        FV_E_NOTFOUND);
    fv_quicksight_members_clean_up(&none);
    fv_quicksight_groups_clean_up(&groups);
}

/* RegisterUser / CreateGroup / CreateGroupMembership, each twice: FV_OK both
 * times, and one member in the end. */
static void test_restore_identities_idempotent(void **state)
{
    struct s_suite *s = *state;
    struct fv_error err;
    struct fv_quicksight_register_user qs_user = {
        .identity_type = "QUICKSIGHT",
        .email = "restored@example.com",
        .user_role = "READER",
        .user_name = "fvqs-restored",
    };
    bool created = false;
    S_CHECK(fv_quicksight_register_user(s->m2, S_MEMBER2, S_NS, &qs_user, &created, &err), err);
    assert_true(created);
    S_CHECK(fv_quicksight_register_user(s->m2, S_MEMBER2, S_NS, &qs_user, NULL, &err), err);

    struct fv_quicksight_register_user iam_user = {
        .identity_type = "IAM",
        .email = "carol@example.com",
        .user_role = "AUTHOR",
        .iam_arn = "arn:aws:iam::" S_MEMBER2 ":user/carol",
        .user_name = "carol",
    };
    S_CHECK(fv_quicksight_register_user(s->m2, S_MEMBER2, S_NS, &iam_user, NULL, &err), err);
    S_CHECK(fv_quicksight_register_user(s->m2, S_MEMBER2, S_NS, &iam_user, NULL, &err), err);

    struct fv_quicksight_user u;
    S_CHECK(fv_quicksight_describe_user(s->m2, S_MEMBER2, S_NS, "fvqs-restored", &u, &err), err);
    assert_string_equal(u.role, "READER");
    assert_string_equal(u.email, "restored@example.com");
    fv_quicksight_user_clean_up(&u);
    S_CHECK(fv_quicksight_describe_user(s->m2, S_MEMBER2, S_NS, "carol", &u, &err), err);
    assert_string_equal(u.identity_type, "IAM");
    fv_quicksight_user_clean_up(&u);

    S_CHECK(fv_quicksight_create_group(s->m2, S_MEMBER2, S_NS, "fvqs restored group",
                                       "restored by fleetvault", &created, &err),
            err);
    assert_true(created);
    S_CHECK(
        fv_quicksight_create_group(s->m2, S_MEMBER2, S_NS, "fvqs restored group", NULL, NULL, &err),
        err);
    for (int i = 0; i < 2; i++)
        S_CHECK(fv_quicksight_create_group_membership(s->m2, S_MEMBER2, S_NS, "fvqs restored group",
                                                      "fvqs-restored", &err),
                err);
    struct fv_quicksight_members members = {0};
    S_CHECK(fv_quicksight_list_group_memberships(s->m2, S_MEMBER2, S_NS, "fvqs restored group",
                                                 NULL, &members, &err),
            err);
    assert_int_equal(members.n, 1);
    assert_string_equal(members.items[0].member_name, "fvqs-restored");
    fv_quicksight_members_clean_up(&members);

    assert_int_equal(fv_quicksight_create_group_membership(s->m2, S_MEMBER2, S_NS, "no-group",
                                                           "fvqs-restored", &err),
                     FV_E_NOTFOUND);

    /* Missing fields: nothing sent. */
    struct fv_quicksight_register_user no_email = qs_user;
    no_email.email = NULL;
    assert_int_equal(fv_quicksight_register_user(s->m2, S_MEMBER2, S_NS, &no_email, NULL, &err),
                     FV_E_INVALID);
    struct fv_quicksight_register_user no_arn = iam_user;
    no_arn.iam_arn = NULL;
    assert_int_equal(fv_quicksight_register_user(s->m2, S_MEMBER2, S_NS, &no_arn, NULL, &err),
                     FV_E_INVALID);
}

/* --- assets --- */

static const struct fv_quicksight_asset *s_find(const struct fv_quicksight_assets *l,
                                                const char *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].id, id) == 0)
            return &l->items[i];
    return NULL;
}

static void test_assets(void **state)
{
    struct s_suite *s = *state;
    struct fv_error err;

    struct fv_quicksight_assets sources = {0};
    struct fv_quicksight_list_options four = {.page_size = 4};
    S_CHECK(fv_quicksight_list_data_sources(s->m1, S_MEMBER1, &four, &sources, &err), err);
    assert_int_equal(sources.n, 6);
    assert_int_equal(sources.pages, 2);
    const struct fv_quicksight_asset *ds1 = s_find(&sources, "ds-001");
    assert_non_null(ds1);
    assert_string_equal(ds1->arn, "arn:aws:quicksight:us-east-1:" S_MEMBER1 ":datasource/ds-001");
    assert_string_equal(ds1->name, "Data source 1");
    assert_string_equal(ds1->type, "S3");
    assert_true(ds1->created_ms > 0);
    fv_quicksight_assets_clean_up(&sources);

    struct fv_quicksight_assets sets = {0};
    struct fv_quicksight_list_options five = {.page_size = 5};
    S_CHECK(fv_quicksight_list_data_sets(s->m1, S_MEMBER1, &five, &sets, &err), err);
    assert_int_equal(sets.n, 12);
    assert_int_equal(sets.pages, 3);
    size_t files = 0, spice = 0;
    for (size_t i = 0; i < sets.n; i++) {
        const struct fv_quicksight_asset *a = &sets.items[i];
        assert_true(
            fv_str_starts_with(a->arn, "arn:aws:quicksight:us-east-1:" S_MEMBER1 ":dataset/dset-"));
        bool is_spice = strcmp(a->import_mode, "SPICE") == 0;
        spice += is_spice;
        /* Only SPICE data sets cost a DescribeDataSet. */
        assert_int_equal(a->described, is_spice);
        if (a->is_file) {
            files++;
            assert_true(strcmp(a->id, "dset-000") == 0 || strcmp(a->id, "dset-001") == 0);
        }
    }
    assert_int_equal(files, 2);
    assert_int_equal(sets.describes, spice);
    assert_true(spice < sets.n);
    fv_quicksight_assets_clean_up(&sets);

    /* Without the FILE check: no DescribeDataSet at all. */
    struct fv_quicksight_list_options quick = {.no_file_check = true};
    S_CHECK(fv_quicksight_list_data_sets(s->m1, S_MEMBER1, &quick, &sets, &err), err);
    assert_int_equal(sets.n, 12);
    assert_int_equal(sets.describes, 0);
    fv_quicksight_assets_clean_up(&sets);

    bool is_file = false;
    S_CHECK(fv_quicksight_data_set_is_file(s->m1, S_MEMBER1, "dset-001", &is_file, &err), err);
    assert_true(is_file);
    S_CHECK(fv_quicksight_data_set_is_file(s->m1, S_MEMBER1, "dset-003", &is_file, &err), err);
    assert_false(is_file);
    assert_int_equal(fv_quicksight_data_set_is_file(s->m1, S_MEMBER1, "nope", &is_file, &err),
                     FV_E_NOTFOUND);

    struct fv_quicksight_assets analyses = {0};
    struct fv_quicksight_list_options seven = {.page_size = 7};
    S_CHECK(fv_quicksight_list_analyses(s->m1, S_MEMBER1, &seven, &analyses, &err), err);
    assert_int_equal(analyses.n, 20);
    assert_int_equal(analyses.pages, 3);
    const struct fv_quicksight_asset *an = s_find(&analyses, "analysis-019");
    assert_non_null(an);
    assert_string_equal(an->name, "Analysis 19");
    assert_string_equal(an->status, "CREATION_SUCCESSFUL");
    fv_quicksight_assets_clean_up(&analyses);

    struct fv_quicksight_assets dashboards = {0};
    S_CHECK(fv_quicksight_list_dashboards(s->m1, S_MEMBER1, NULL, &dashboards, &err), err);
    assert_int_equal(dashboards.n, 120);
    assert_int_equal(dashboards.pages, 2); /* 100 + 20 */
    fv_quicksight_assets_clean_up(&dashboards);
    struct fv_quicksight_list_options fifty = {.page_size = 50};
    S_CHECK(fv_quicksight_list_dashboards(s->m1, S_MEMBER1, &fifty, &dashboards, &err), err);
    assert_int_equal(dashboards.n, 120);
    assert_int_equal(dashboards.pages, 3);
    const struct fv_quicksight_asset *d = s_find(&dashboards, "dash-119");
    assert_non_null(d);
    assert_string_equal(d->arn, "arn:aws:quicksight:us-east-1:" S_MEMBER1 ":dashboard/dash-119");
    assert_string_equal(d->name, "Dashboard 119");
    fv_quicksight_assets_clean_up(&dashboards);
}

/* The FILE rule on DescribeDataSet shapes. */
static void test_file_rule(void **state)
{
    (void)state;
    const char *file = "{\"PhysicalTableMap\": {\"a\": {\"RelationalTable\": {}}, "
                       "\"b\": {\"S3Source\": {\"DataSourceArn\": \"x\", "
                       "\"UploadSettings\": {\"Format\": \"CSV\"}}}}}";
    const char *sql = "{\"PhysicalTableMap\": {\"a\": {\"CustomSql\": {}}}}";
    struct json_object *o = json_tokener_parse(file);
    assert_true(fv_quicksight_data_set_json_is_file(o));
    json_object_put(o);
    o = json_tokener_parse(sql);
    assert_false(fv_quicksight_data_set_json_is_file(o));
    json_object_put(o);
    o = json_tokener_parse("{}");
    assert_false(fv_quicksight_data_set_json_is_file(o));
    json_object_put(o);
    assert_false(fv_quicksight_data_set_json_is_file(NULL));
}

/* --- asset bundles --- */

static enum fv_quicksight_job_status s_wait_export(struct fv_aws_client *c, const char *account,
                                                   const char *job_id,
                                                   struct fv_quicksight_export_job *out,
                                                   bool *saw_running)
{
    const struct fv_clock *clk = fv_clock_system();
    int64_t deadline = fv_clock_mono_ms(clk) + S_JOB_WAIT_MS;
    struct fv_error err;
    for (;;) {
        S_CHECK(fv_quicksight_describe_export(c, account, job_id, out, &err), err);
        if (fv_quicksight_job_status_done(out->status))
            return out->status;
        if (saw_running)
            *saw_running = true;
        assert_true(out->status == FV_QS_JOB_QUEUED || out->status == FV_QS_JOB_IN_PROGRESS);
        assert_null(out->download_url);
        if (fv_clock_mono_ms(clk) > deadline)
            fail_msg("export job %s still %s", job_id, out->status_text);
        fv_quicksight_export_job_clean_up(out);
        s_sleep_ms(50);
    }
}

static void test_export_50_dashboards_streamed(void **state)
{
    struct s_suite *s = *state;
    struct fv_error err;
    struct fv_quicksight_assets dashboards = {0};
    S_CHECK(fv_quicksight_list_dashboards(s->m1, S_MEMBER1, NULL, &dashboards, &err), err);
    const char *arns[50];
    for (size_t i = 0; i < 50; i++)
        arns[i] = dashboards.items[i].arn;
    struct fv_quicksight_export_request req = {
        .job_id = "fvqs-export-50",
        .resource_arns = arns,
        .n_resource_arns = 50,
        .include_all_dependencies = true,
        .include_permissions = true,
        .include_tags = true,
    };
    char *job_arn = NULL;
    S_CHECK(fv_quicksight_start_export(s->m1, S_MEMBER1, &req, &job_arn, &err), err);
    assert_string_equal(job_arn, "arn:aws:quicksight:us-east-1:" S_MEMBER1
                                 ":asset-bundle-export-job/fvqs-export-50");
    free(job_arn);
    fv_quicksight_assets_clean_up(&dashboards);

    struct fv_quicksight_export_job job;
    bool saw_running = false;
    assert_int_equal(s_wait_export(s->m1, S_MEMBER1, "fvqs-export-50", &job, &saw_running),
                     FV_QS_JOB_SUCCESSFUL);
    assert_true(saw_running);
    assert_string_equal(job.status_text, "SUCCESSFUL");
    assert_string_equal(job.job_id, "fvqs-export-50");
    assert_string_equal(job.export_format, "QUICKSIGHT_JSON");
    assert_int_equal(job.errors.n, 0);
    assert_true(job.created_ms > 0);
    assert_non_null(job.download_url);

    struct s_counter count = {0};
    int64_t bytes = 0;
    S_CHECK(
        fv_quicksight_download_bundle(s->m1, job.download_url, s_count_sink, &count, &bytes, &err),
        err);
    assert_true(bytes > 1000);
    assert_int_equal(bytes, count.bytes);
    assert_memory_equal(count.head, "PK\x03\x04", 4);

    /* A sink that stops the download. */
    struct s_counter stopper = {.stop_after = 10};
    assert_int_equal(fv_quicksight_download_bundle(s->m1, job.download_url, s_count_sink, &stopper,
                                                   &bytes, &err),
                     FV_E_IO);
    assert_true(bytes <= 10);
    assert_null(strstr(err.message, "Signature"));

    s->export_job = fv_strdup(job.job_id);
    fv_quicksight_export_job_clean_up(&job);

    assert_int_equal(fv_quicksight_describe_export(s->m1, S_MEMBER1, "no-such-job", &job, &err),
                     FV_E_NOTFOUND);
    assert_string_equal(err.code, "ResourceNotFoundException");
}

/* An expired DownloadUrl is told apart; describing again gives one that
 * works. */
static void test_expired_download_url(void **state)
{
    struct s_suite *s = *state;
    assert_non_null(s->export_job);
    struct fv_error err;
    s_settings(0.2, 1);
    struct fv_quicksight_export_job job;
    S_CHECK(fv_quicksight_describe_export(s->m1, S_MEMBER1, s->export_job, &job, &err), err);
    char *stale = fv_strdup(job.download_url);
    fv_quicksight_export_job_clean_up(&job);
    s_sleep_ms(2000);

    struct s_counter count = {0};
    int64_t bytes = -1;
    assert_int_equal(
        fv_quicksight_download_bundle(s->m1, stale, s_count_sink, &count, &bytes, &err), FV_E_AWS);
    assert_string_equal(err.code, FV_QUICKSIGHT_EXPIRED_URL);
    assert_int_equal(err.http_status, 403);
    assert_false(err.retryable);
    assert_non_null(strstr(err.message, "expired"));
    assert_null(strstr(err.message, "X-Amz-Signature")); /* the URL's query never shows */
    assert_int_equal(bytes, 0);
    assert_int_equal(count.bytes, 0);

    s_settings(0.2, 300);
    S_CHECK(fv_quicksight_describe_export(s->m1, S_MEMBER1, s->export_job, &job, &err), err);
    assert_string_not_equal(job.download_url, stale);
    fv_buf_reset(&s->bundle);
    S_CHECK(fv_quicksight_download_bundle(s->m1, job.download_url, s_buf_sink, &s->bundle, &bytes,
                                          &err),
            err);
    assert_int_equal(bytes, (int64_t)s->bundle.len);
    assert_memory_equal(s->bundle.ptr, "PK\x03\x04", 4);
    fv_quicksight_export_job_clean_up(&job);
    free(stale);
}

/* Five jobs run at once; a sixth is LimitExceededException and a running
 * job's id is ConflictException; ids are reusable once their job ended. */
static void test_export_conflict_and_limit(void **state)
{
    struct s_suite *s = *state;
    struct fv_error err;
    const char *arn = "arn:aws:quicksight:us-east-1:" S_MEMBER1 ":dashboard/dash-100";
    struct fv_quicksight_export_request req = {.resource_arns = &arn, .n_resource_arns = 1};
    char ids[FV_QUICKSIGHT_EXPORT_JOBS_MAX + 1][32];
    for (int i = 0; i <= FV_QUICKSIGHT_EXPORT_JOBS_MAX; i++)
        snprintf(ids[i], sizeof(ids[i]), "fvqs-limit-%d", i);

    s_settings(1.5, 300); /* long enough to hold five jobs running */
    for (int i = 0; i < FV_QUICKSIGHT_EXPORT_JOBS_MAX; i++) {
        req.job_id = ids[i];
        S_CHECK(fv_quicksight_start_export(s->m1, S_MEMBER1, &req, NULL, &err), err);
    }
    req.job_id = ids[0];
    assert_int_equal(fv_quicksight_start_export(s->m1, S_MEMBER1, &req, NULL, &err), FV_E_AWS);
    assert_string_equal(err.code, "ConflictException");
    assert_int_equal(err.http_status, 409);
    assert_false(err.retryable);

    req.job_id = ids[FV_QUICKSIGHT_EXPORT_JOBS_MAX];
    assert_int_equal(fv_quicksight_start_export(s->m1, S_MEMBER1, &req, NULL, &err), FV_E_AWS);
    assert_string_equal(err.code, "LimitExceededException");
    assert_true(err.throttle); /* the client retried it as a throttle first */
    s_settings(0.2, 300);

    /* The sixth never started. */
    struct fv_quicksight_export_job job;
    assert_int_equal(fv_quicksight_describe_export(s->m1, S_MEMBER1,
                                                   ids[FV_QUICKSIGHT_EXPORT_JOBS_MAX], &job, &err),
                     FV_E_NOTFOUND);
    for (int i = 0; i < FV_QUICKSIGHT_EXPORT_JOBS_MAX; i++) {
        assert_int_equal(s_wait_export(s->m1, S_MEMBER1, ids[i], &job, NULL), FV_QS_JOB_SUCCESSFUL);
        fv_quicksight_export_job_clean_up(&job);
    }
    /* Ended: the id may be used again. */
    req.job_id = ids[0];
    S_CHECK(fv_quicksight_start_export(s->m1, S_MEMBER1, &req, NULL, &err), err);
    assert_int_equal(s_wait_export(s->m1, S_MEMBER1, ids[0], &job, NULL), FV_QS_JOB_SUCCESSFUL);
    fv_quicksight_export_job_clean_up(&job);

    /* A missing asset fails the job with its errors. */
    const char *missing = "arn:aws:quicksight:us-east-1:" S_MEMBER1 ":dashboard/no-such-dash";
    req.job_id = "fvqs-missing";
    req.resource_arns = &missing;
    S_CHECK(fv_quicksight_start_export(s->m1, S_MEMBER1, &req, NULL, &err), err);
    assert_int_equal(s_wait_export(s->m1, S_MEMBER1, "fvqs-missing", &job, NULL), FV_QS_JOB_FAILED);
    assert_int_equal(job.errors.n, 1);
    assert_string_equal(job.errors.items[0].arn, missing);
    assert_string_equal(job.errors.items[0].type, "ResourceNotFoundException");
    assert_non_null(job.errors.items[0].message);
    assert_null(job.download_url);
    fv_quicksight_export_job_clean_up(&job);
}

static enum fv_quicksight_job_status s_wait_import(struct fv_aws_client *c, const char *account,
                                                   const char *job_id,
                                                   struct fv_quicksight_import_job *out)
{
    const struct fv_clock *clk = fv_clock_system();
    int64_t deadline = fv_clock_mono_ms(clk) + S_JOB_WAIT_MS;
    struct fv_error err;
    for (;;) {
        S_CHECK(fv_quicksight_describe_import(c, account, job_id, out, &err), err);
        if (fv_quicksight_job_status_done(out->status))
            return out->status;
        if (fv_clock_mono_ms(clk) > deadline)
            fail_msg("import job %s still %s", job_id, out->status_text);
        fv_quicksight_import_job_clean_up(out);
        s_sleep_ms(50);
    }
}

/* The exported zip, imported into the other member account as a Body (ids
 * prefixed, so nothing seeded there is replaced). */
static void test_import_into_other_account(void **state)
{
    struct s_suite *s = *state;
    assert_true(s->bundle.len > 0);
    struct fv_error err;
    struct fv_quicksight_import_request req = {
        .job_id = "fvqs-import-50",
        .body = {s->bundle.ptr, s->bundle.len},
        .override_parameters_json =
            "{\"ResourceIdOverrideConfiguration\": {\"PrefixForAllResources\": \"" S_IMPORT_PREFIX
            "\"}}",
        .failure_action = "ROLLBACK",
    };
    char *job_arn = NULL;
    S_CHECK(fv_quicksight_start_import(s->m2, S_MEMBER2, &req, &job_arn, &err), err);
    assert_string_equal(job_arn, "arn:aws:quicksight:us-east-1:" S_MEMBER2
                                 ":asset-bundle-import-job/fvqs-import-50");
    free(job_arn);
    struct fv_quicksight_import_job job;
    assert_int_equal(s_wait_import(s->m2, S_MEMBER2, "fvqs-import-50", &job), FV_QS_JOB_SUCCESSFUL);
    assert_int_equal(job.errors.n, 0);
    assert_int_equal(job.rollback_errors.n, 0);
    assert_string_equal(job.failure_action, "ROLLBACK");
    fv_quicksight_import_job_clean_up(&job);

    struct fv_quicksight_assets dashboards = {0};
    struct fv_quicksight_list_options small = {.page_size = 20};
    S_CHECK(fv_quicksight_list_dashboards(s->m2, S_MEMBER2, &small, &dashboards, &err), err);
    assert_true(dashboards.n >= 58); /* its own 8, and the 50 */
    for (int i = 0; i < 50; i++) {
        char id[32];
        snprintf(id, sizeof(id), S_IMPORT_PREFIX "dash-%03d", i);
        const struct fv_quicksight_asset *d = s_find(&dashboards, id);
        if (!d)
            fail_msg("dashboard %s not imported", id);
        char arn[96];
        snprintf(arn, sizeof(arn), "arn:aws:quicksight:us-east-1:" S_MEMBER2 ":dashboard/%s", id);
        assert_string_equal(d->arn, arn);
    }
    for (int i = 0; i < 8; i++) {
        char id[32];
        snprintf(id, sizeof(id), "dash-%03d", i);
        assert_non_null(s_find(&dashboards, id));
    }
    fv_quicksight_assets_clean_up(&dashboards);

    /* The FILE data sets came along as dependencies: they are listed (and
     * flagged) in the target too. */
    struct fv_quicksight_assets sets = {0};
    S_CHECK(fv_quicksight_list_data_sets(s->m2, S_MEMBER2, NULL, &sets, &err), err);
    const struct fv_quicksight_asset *f = s_find(&sets, S_IMPORT_PREFIX "dset-000");
    assert_non_null(f);
    assert_true(f->is_file);
    fv_quicksight_assets_clean_up(&sets);

    assert_int_equal(fv_quicksight_describe_import(s->m2, S_MEMBER2, "no-such-job", &job, &err),
                     FV_E_NOTFOUND);
}

/* Requests refused before anything is sent. */
static void test_request_validation(void **state)
{
    struct s_suite *s = *state;
    struct fv_error err;
    const char *arns[FV_QUICKSIGHT_BUNDLE_ARNS_MAX + 1];
    for (size_t i = 0; i <= FV_QUICKSIGHT_BUNDLE_ARNS_MAX; i++)
        arns[i] = "arn:aws:quicksight:us-east-1:" S_MEMBER1 ":dashboard/dash-000";
    struct fv_quicksight_export_request ex = {.job_id = "fvqs-v", .resource_arns = arns};
    assert_int_equal(fv_quicksight_start_export(s->m1, S_MEMBER1, &ex, NULL, &err), FV_E_INVALID);
    ex.n_resource_arns = FV_QUICKSIGHT_BUNDLE_ARNS_MAX + 1;
    assert_int_equal(fv_quicksight_start_export(s->m1, S_MEMBER1, &ex, NULL, &err), FV_E_INVALID);
    ex.n_resource_arns = 1;
    ex.job_id = "bad id!";
    assert_int_equal(fv_quicksight_start_export(s->m1, S_MEMBER1, &ex, NULL, &err), FV_E_INVALID);

    struct fv_quicksight_import_request im = {.job_id = "fvqs-v"};
    assert_int_equal(fv_quicksight_start_import(s->m2, S_MEMBER2, &im, NULL, &err), FV_E_INVALID);
    im.body = FV_CUR_STR("PK");
    im.s3_uri = "s3://b/k";
    assert_int_equal(fv_quicksight_start_import(s->m2, S_MEMBER2, &im, NULL, &err), FV_E_INVALID);
    im.s3_uri = NULL;
    im.override_parameters_json = "[1]";
    assert_int_equal(fv_quicksight_start_import(s->m2, S_MEMBER2, &im, NULL, &err), FV_E_INVALID);

    assert_string_equal(fv_quicksight_job_status_str(FV_QS_JOB_QUEUED),
                        "QUEUED_FOR_IMMEDIATE_EXECUTION");
    assert_false(fv_quicksight_job_status_done(FV_QS_JOB_FAILED_ROLLBACK_IN_PROGRESS));
    assert_true(fv_quicksight_job_status_done(FV_QS_JOB_FAILED_ROLLBACK_COMPLETED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_users),
        cmocka_unit_test(test_groups_and_memberships),
        cmocka_unit_test(test_assets),
        cmocka_unit_test(test_file_rule),
        cmocka_unit_test(test_export_50_dashboards_streamed),
        cmocka_unit_test(test_expired_download_url),
        cmocka_unit_test(test_export_conflict_and_limit),
        cmocka_unit_test(test_import_into_other_account),
        cmocka_unit_test(test_restore_identities_idempotent),
        cmocka_unit_test(test_request_validation),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}

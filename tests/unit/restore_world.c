/* An in-memory AWS behind the fv_restore_aws seam, and a fake clock, for
 * the verify and restore unit tests. Included by the test programs (as
 * stub_http.c is): tests/CMakeLists.txt builds each tests/unit/test_*.c
 * alone. Counts every call that changes something, so a test can assert
 * what was not done. */
#include <fv/manifest.h>
#include <fv/restore_aws.h>
#include <fv/sigv4.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

/* --- a fake clock: sleeping moves it on --- */

struct s_clock {
    int64_t now;
    int64_t sleeps[64];
    size_t n_sleeps;
};

__attribute__((unused)) static int64_t s_now(void *ud)
{
    return ((struct s_clock *)ud)->now;
}

__attribute__((unused)) static void s_sleep(void *ud, int64_t ms)
{
    struct s_clock *c = ud;
    if (c->n_sleeps < 64)
        c->sleeps[c->n_sleeps++] = ms;
    c->now += ms;
}

#define S_CLOCK(c) ((struct fv_clock){s_now, s_now, s_sleep, (c)})

/* --- an in-memory world --- */

struct s_world {
    const char *central;
    const char *object; /* every object's bytes */
    int n_get;
    enum fv_dynamodb_backup_status backup_status;
    char backup_where[64]; /* "<account> <region>" of the last DescribeBackup */
    int table_polls;       /* DescribeTable answers CREATING this often, then ACTIVE */
    int n_describe_table;
    enum fv_quicksight_job_status prior; /* UNKNOWN: no earlier job */
    int job_polls;                       /* describes before a started job ends */
    enum fv_quicksight_job_status final;
    int n_describe_import, n_start_import;
    char started_job[512], started_in[64];
    char read_in[64];           /* "<account> <region>" of the last table read */
    struct json_object *jobs;   /* started job id → describes before it ends */
    struct json_object *tables; /* table → [items] */
    struct json_object *users;  /* target's users: name → true */
    struct json_object *groups; /* target's groups: name → {member: true} */
    int n_register, n_create_group, n_add_member;
};

static const char *s_central(void *ud, struct fv_error *err)
{
    (void)err;
    return ((struct s_world *)ud)->central;
}

static fv_status s_get_object(void *ud, const char *bucket, const char *key, fv_s3_write_fn *write,
                              void *wud, struct fv_s3_get_result *out, struct fv_error *err)
{
    struct s_world *w = ud;
    w->n_get++;
    if (!w->object)
        return fv_error_set(err, FV_E_NOTFOUND, "NoSuchKey: %s/%s", bucket, key);
    size_t n = strlen(w->object);
    fv_status st = write(wud, w->object, n, err);
    out->size = n;
    fv_sha256_hex(w->object, n, out->sha256_hex);
    return st;
}

static fv_status s_describe_backup(void *ud, const char *account, const char *region,
                                   const char *arn, struct fv_dynamodb_backup *out,
                                   struct fv_error *err)
{
    struct s_world *w = ud;
    snprintf(w->backup_where, sizeof(w->backup_where), "%s %s", account, region);
    if (w->backup_status == FV_DDB_BACKUP_UNKNOWN)
        return fv_error_set(err, FV_E_NOTFOUND, "BackupNotFoundException");
    out->arn = fv_strdup(arn);
    out->status = w->backup_status;
    return FV_OK;
}

static fv_status s_restore_table(void *ud, const char *account, const char *region, const char *arn,
                                 const char *target, struct fv_dynamodb_table *out,
                                 struct fv_error *err)
{
    (void)ud, (void)account, (void)region, (void)arn, (void)err;
    out->name = fv_strdup(target);
    return FV_OK;
}

static fv_status s_describe_table(void *ud, const char *account, const char *region,
                                  const char *table, struct fv_dynamodb_table *out,
                                  struct fv_error *err)
{
    struct s_world *w = ud;
    (void)account, (void)region, (void)err;
    out->name = fv_strdup(table);
    out->status = fv_strdup(w->n_describe_table++ < w->table_polls ? "CREATING" : "ACTIVE");
    return FV_OK;
}

static fv_status s_read_page(void *ud, const char *account, const char *region,
                             const struct fv_dynamodb_read *req, const char *start_key,
                             struct fv_dynamodb_page *out, struct fv_error *err)
{
    struct s_world *w = ud;
    snprintf(w->read_in, sizeof(w->read_in), "%s %s", account, region);
    struct json_object *rows;
    if (!json_object_object_get_ex(w->tables, req->table, &rows))
        return fv_error_set(err, FV_E_NOTFOUND, "ResourceNotFoundException: %s", req->table);
    /* One item a page, so paging is exercised. */
    size_t i = start_key ? (size_t)atoi(start_key) : 0;
    out->items = json_object_new_array();
    if (i < json_object_array_length(rows))
        json_object_array_add(out->items, json_object_get(json_object_array_get_idx(rows, i)));
    if (i + 1 < json_object_array_length(rows)) {
        char next[24];
        snprintf(next, sizeof(next), "%zu", i + 1);
        out->next = fv_strdup(next);
    }
    return FV_OK;
}

/* Jobs this world started run for job_polls describes, then end as final;
 * any other id is an earlier restore's job in state prior (UNKNOWN: none),
 * which, when running, ends as final after job_polls describes. */
static fv_status s_describe_import(void *ud, const char *account, const char *region,
                                   const char *job_id, struct fv_quicksight_import_job *out,
                                   struct fv_error *err)
{
    struct s_world *w = ud;
    (void)account, (void)region;
    w->n_describe_import++;
    struct json_object *left;
    enum fv_quicksight_job_status st = w->prior;
    if (json_object_object_get_ex(w->jobs, job_id, &left)) {
        int n = json_object_get_int(left);
        st = n > 0 ? FV_QS_JOB_IN_PROGRESS : w->final;
        json_object_object_add(w->jobs, job_id, json_object_new_int(n - 1));
    } else if (st == FV_QS_JOB_UNKNOWN) {
        return fv_error_set(err, FV_E_NOTFOUND, "ResourceNotFoundException");
    } else if (!fv_quicksight_job_status_done(st)) {
        st = w->job_polls-- > 0 ? st : w->final;
    }
    out->job_id = fv_strdup(job_id);
    out->status = st;
    out->status_text = fv_strdup(fv_quicksight_job_status_str(st));
    return FV_OK;
}

static fv_status s_start_import(void *ud, const char *account, const char *region,
                                const struct fv_quicksight_import_request *req,
                                struct fv_error *err)
{
    struct s_world *w = ud;
    (void)err;
    w->n_start_import++;
    json_object_object_add(w->jobs, req->job_id, json_object_new_int(w->job_polls));
    snprintf(w->started_job, sizeof(w->started_job), "%s", req->job_id);
    snprintf(w->started_in, sizeof(w->started_in), "%s %s", account, region);
    return FV_OK;
}

static fv_status s_describe_user(void *ud, const char *account, const char *region, const char *ns,
                                 const char *name, struct fv_error *err)
{
    struct s_world *w = ud;
    (void)account, (void)region, (void)ns;
    return json_object_object_get_ex(w->users, name, NULL)
               ? FV_OK
               : fv_error_set(err, FV_E_NOTFOUND, "ResourceNotFoundException");
}

static fv_status s_register_user(void *ud, const char *account, const char *region, const char *ns,
                                 const struct fv_quicksight_register_user *req, bool *created,
                                 struct fv_error *err)
{
    struct s_world *w = ud;
    (void)account, (void)region, (void)ns, (void)err;
    w->n_register++;
    json_object_object_add(w->users, req->user_name, json_object_new_boolean(1));
    *created = true;
    return FV_OK;
}

static fv_status s_describe_group(void *ud, const char *account, const char *region, const char *ns,
                                  const char *name, struct fv_error *err)
{
    struct s_world *w = ud;
    (void)account, (void)region, (void)ns;
    return json_object_object_get_ex(w->groups, name, NULL)
               ? FV_OK
               : fv_error_set(err, FV_E_NOTFOUND, "ResourceNotFoundException");
}

static fv_status s_create_group(void *ud, const char *account, const char *region, const char *ns,
                                const char *name, const char *description, bool *created,
                                struct fv_error *err)
{
    struct s_world *w = ud;
    (void)account, (void)region, (void)ns, (void)description, (void)err;
    w->n_create_group++;
    json_object_object_add(w->groups, name, json_object_new_object());
    *created = true;
    return FV_OK;
}

static fv_status s_list_members(void *ud, const char *account, const char *region, const char *ns,
                                const char *group, struct fv_quicksight_members *out,
                                struct fv_error *err)
{
    struct s_world *w = ud;
    (void)account, (void)region, (void)ns;
    struct json_object *members;
    if (!json_object_object_get_ex(w->groups, group, &members))
        return fv_error_set(err, FV_E_NOTFOUND, "ResourceNotFoundException");
    out->items = fv_calloc(json_object_object_length(members) + 1, sizeof(*out->items));
    json_object_object_foreach(members, name, v)
    {
        (void)v;
        out->items[out->n++].member_name = fv_strdup(name);
    }
    return FV_OK;
}

static fv_status s_add_member(void *ud, const char *account, const char *region, const char *ns,
                              const char *group, const char *user, struct fv_error *err)
{
    struct s_world *w = ud;
    (void)account, (void)region, (void)ns, (void)err;
    struct json_object *members;
    assert_true(json_object_object_get_ex(w->groups, group, &members));
    json_object_object_add(members, user, json_object_new_boolean(1));
    w->n_add_member++;
    return FV_OK;
}

static struct fv_restore_aws s_aws(struct s_world *w)
{
    return (struct fv_restore_aws){
        .ud = w,
        .central_account = s_central,
        .get_object = s_get_object,
        .describe_backup = s_describe_backup,
        .restore_table = s_restore_table,
        .describe_table = s_describe_table,
        .read_page = s_read_page,
        .describe_import = s_describe_import,
        .start_import = s_start_import,
        .describe_user = s_describe_user,
        .register_user = s_register_user,
        .describe_group = s_describe_group,
        .create_group = s_create_group,
        .list_members = s_list_members,
        .add_member = s_add_member,
    };
}

static void s_world_clean_up(struct s_world *w)
{
    json_object_put(w->jobs);
    json_object_put(w->tables);
    json_object_put(w->users);
    json_object_put(w->groups);
}

static void s_manifest(const char *text, struct fv_manifest *m)
{
    struct fv_error err = {0};
    fv_status st = fv_manifest_parse("m.json", text, strlen(text), m, &err);
    if (st != FV_OK)
        fail_msg("%s", err.message);
}

#define S_SHA_BUNDLE "f40a912044d47ea7c32f37340db4fd5eb853ffb8fcd983f605d9eb4f8b02fbc2"

/* fleetvault restore quicksight: puts a quicksight run (seed 000) back from
 * its manifest; what it does is in s_help.
 *
 * Bundles go as the import's Body, not as an S3Uri: fleetvault's central
 * principal reads them (as verify does) and checks size and SHA-256 against
 * the manifest before anything is imported. With S3Uri, QuickSight reads the
 * bucket as the caller, the target account's member role: that needs a
 * bucket policy letting every member account read every account's bundles,
 * and nobody would have checked the bytes. Body is limited to 20 MiB.
 *
 * Identities are only ever created when a Describe/List says they are
 * missing: CreateGroup on an existing group or RegisterUser on an existing
 * user is never sent (the test world replaces them, dropping members). */
#include "cli.h"
#include "common.h"

#include <fv/dynamodb.h>
#include <fv/fleet.h>
#include <fv/quicksight.h>
#include <fv/s3.h>
#include <fv/sigv4.h>

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum s_type {
    S_DATASOURCES,
    S_DATASETS,
    S_ANALYSES,
    S_DASHBOARDS,
    S_USERS,
    S_GROUPS,
    S_MEMBERSHIPS,
    S_N_TYPES
};
static const char *const s_type_names[S_N_TYPES] = {
    "datasources", "datasets", "analyses", "dashboards", "users", "groups", "memberships"};
#define S_N_ASSET_TYPES 4

static const char s_usage[] =
    "usage: fleetvault restore quicksight --manifest FILE --config FILE [--types T,...]\n"
    "                  [--source-account A] [--target-account A] [--overrides FILE]\n"
    "                  [--identities-only | --assets-only] [--timeout S]\n";

static const char s_help[] =
    "Restores what a quicksight run's manifest lists.\n"
    "\n"
    "  --types T,...        datasources, datasets, analyses, dashboards (asset bundles),\n"
    "                       users, groups, memberships (identities); default: all\n"
    "  --source-account A   only what was backed up from account A\n"
    "  --target-account A   restore into A (a configured account); default: the account\n"
    "                       each bundle or identity came from. With a manifest of several\n"
    "                       accounts it needs --source-account\n"
    "  --overrides FILE     OverrideParameters of the imports (a JSON object, passed through;\n"
    "                       e.g. {\"ResourceIdOverrideConfiguration\":\n"
    "                       {\"PrefixForAllResources\": \"restored-\"}})\n"
    "  --identities-only    users, groups and memberships only\n"
    "  --assets-only        asset bundles only\n"
    "  --timeout S          wait at most S seconds for each import job (default 1800)\n"
    "\n"
    "Assets: one asset-bundle import job per bundle, data sources first, dashboards last.\n"
    "The bundle is read from the backup bucket by fleetvault's central principal, checked\n"
    "against the manifest's size and SHA-256 and sent as the request body (at most 20 MiB).\n"
    "The job id is derived from the run, the bundle, the target and the overrides: a rerun\n"
    "waits for a job still running, reports one that SUCCEEDED, restarts one that failed.\n"
    "\n"
    "Identities: read from the run's dated DynamoDB tables; only the users, groups and\n"
    "memberships missing in the target are created, so a second restore changes nothing.\n"
    "Users are registered with identity type QUICKSIGHT, their email and role. Users of\n"
    "identity type IAM (IAM-federated) and IAM_IDENTITY_CENTER cannot be restored: the\n"
    "backup keeps their QuickSight ARN, not the IAM ARN or Identity Center user they need;\n"
    "they are reported as \"cannot restore: <identity type> identity\". Re-create them from\n"
    "IAM or IAM Identity Center; once they exist, a second restore adds their memberships.\n"
    "\n"
    "Exit 0: everything selected was restored or already there; 1: something was not;\n"
    "2: bad input (manifest, config, types, accounts, overrides).\n";

struct s_opts {
    const char *manifest, *config, *source, *target, *overrides_path;
    bool types[S_N_TYPES];
    int timeout_s;
};

struct s_ctx {
    const struct s_opts *o;
    struct fv_config cfg;
    struct fv_fleet *fleet;
    struct fv_http_engine *engine;
    struct fv_fleet_clients *clients;
    const struct fv_config_job *job; /* the manifest's job; NULL when not configured */
    struct json_object *manifest;
    const char *run_id;
    char *overrides; /* the file's text; NULL: none */
    char overrides_tag[9];
    size_t ok, bad;
};

/* --- small helpers --- */

static const char *s_str(struct json_object *o, const char *k)
{
    struct json_object *v;
    return o && json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : NULL;
}

/* A DynamoDB item's string attribute. */
static const char *s_attr(struct json_object *item, const char *k)
{
    struct json_object *a;
    return json_object_object_get_ex(item, k, &a) ? s_str(a, "S") : NULL;
}

static void s_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool s_configured(const struct fv_config *cfg, const char *id)
{
    for (size_t i = 0; id && i < cfg->n_accounts; i++)
        if (strcmp(cfg->accounts[i].id, id) == 0)
            return true;
    return false;
}

static const char *s_account_region(const struct fv_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->n_accounts; i++)
        if (strcmp(cfg->accounts[i].id, id) == 0 && cfg->accounts[i].n_regions)
            return cfg->accounts[i].regions[0];
    return cfg->region;
}

/* The asset type of a quicksight.export resource: its output's "type", else
 * the resource name ("dashboards" or "dashboards_bundle_2"). -1: unknown. */
static int s_bundle_type(struct json_object *res)
{
    struct json_object *outs = NULL;
    const char *t = NULL;
    if (json_object_object_get_ex(res, "outputs", &outs) && outs &&
        json_object_array_length(outs) > 0)
        t = s_str(json_object_array_get_idx(outs, 0), "type");
    const char *name = t ? t : s_str(res, "resource");
    size_t n = name ? strcspn(name, "_") : 0;
    for (int i = 0; i < S_N_ASSET_TYPES; i++)
        if (n == strlen(s_type_names[i]) && strncmp(name, s_type_names[i], n) == 0)
            return i;
    return -1;
}

static bool s_selected_source(const struct s_ctx *x, const char *account)
{
    return !x->o->source || (account && strcmp(account, x->o->source) == 0);
}

/* --- assets --- */

static void s_job_id(const struct s_ctx *x, const char *source, const char *resource,
                     const char *target, char *out, size_t cap)
{
    snprintf(out, cap, "fvr-%s-%s-%s-to-%s-%s", x->run_id, source, resource, target,
             x->overrides_tag);
    for (char *p = out; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            *p = '_';
}

static fv_status s_collect(void *ud, const char *data, size_t n, struct fv_error *err)
{
    struct fv_buf *b = ud;
    if (b->len + n > FV_QUICKSIGHT_IMPORT_BODY_MAX)
        return fv_error_set(err, FV_E_INVALID, "the object is over 20 MiB");
    fv_buf_append(b, data, n);
    return FV_OK;
}

/* The bundle's bytes, as the manifest describes them. */
static fv_status s_fetch_bundle(struct s_ctx *x, struct json_object *out, struct fv_buf *body,
                                struct fv_error *err)
{
    const char *bucket = s_str(out, "bucket"), *key = s_str(out, "object_key");
    const char *sha = s_str(out, "sha256");
    struct json_object *sz = NULL;
    int64_t size = json_object_object_get_ex(out, "size", &sz) ? json_object_get_int64(sz) : -1;
    if (size > (int64_t)FV_QUICKSIGHT_IMPORT_BODY_MAX)
        return fv_error_set(err, FV_E_INVALID,
                            "s3://%s/%s is %lld bytes, over the 20 MiB an import body can carry; "
                            "import it with an S3Uri source by a principal of the target account "
                            "that can read it",
                            bucket, key, (long long)size);
    const char *central = fv_fleet_central_account(x->fleet, err);
    struct fv_aws_client *cc =
        central ? fv_fleet_client(x->clients, central, x->cfg.region, err) : NULL;
    if (!cc)
        return err->status;
    struct fv_s3_get_result got = {0};
    fv_status st = fv_s3_get_object(cc, bucket, key, s_collect, body, &got, err);
    if (st == FV_OK && ((size >= 0 && (int64_t)got.size != size) ||
                        (sha && strcmp(sha, got.sha256_hex) != 0) || got.size == 0))
        st = fv_error_set(err, FV_E_INVALID,
                          "s3://%s/%s is %llu bytes with sha256 %s, the manifest says %lld bytes "
                          "with sha256 %s: not imported",
                          bucket, key, (unsigned long long)got.size, got.sha256_hex,
                          (long long)size, sha ? sha : "-");
    else if (st != FV_OK) {
        char why[sizeof(err->message)];
        snprintf(why, sizeof(why), "%s", err->message);
        fv_error_set(err, st, "reading s3://%s/%s: %s", bucket, key, why);
    }
    fv_s3_get_result_clean_up(&got);
    return st;
}

static void s_print_issues(const char *what, const struct fv_quicksight_job_issues *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct fv_quicksight_job_issue *is = &l->items[i];
        printf("    %-8s %s: %s%s%s\n", what, is->arn && *is->arn ? is->arn : "(bundle)",
               is->type ? is->type : "", is->type ? ": " : "", is->message ? is->message : "");
    }
}

/* Polls the job until it ends or the timeout; prints the outcome. True when
 * SUCCESSFUL. */
static bool s_wait_job(struct s_ctx *x, struct fv_aws_client *cl, const char *target,
                       const char *job_id, const char *assets)
{
    struct fv_error err = {0};
    long pause = 250;
    for (time_t t0 = time(NULL);; pause = pause < 4000 ? pause * 2 : 5000) {
        struct fv_quicksight_import_job j = {0};
        if (fv_quicksight_describe_import(cl, target, job_id, &j, &err) != FV_OK) {
            printf("  FAILED   describing job %s: %s\n", job_id, err.message);
            fv_quicksight_import_job_clean_up(&j);
            return false;
        }
        if (fv_quicksight_job_status_done(j.status)) {
            bool ok = j.status == FV_QS_JOB_SUCCESSFUL;
            if (ok)
                printf("  ok       job %s SUCCESSFUL: %s asset(s) and their dependencies "
                       "imported into %s\n",
                       job_id, assets ? assets : "the", target);
            else
                printf("  FAILED   job %s %s (failure action %s)\n", job_id,
                       j.status_text ? j.status_text : "?",
                       j.failure_action ? j.failure_action : "ROLLBACK");
            s_print_issues("error", &j.errors);
            s_print_issues("rollback", &j.rollback_errors);
            s_print_issues("warning", &j.warnings);
            fv_quicksight_import_job_clean_up(&j);
            return ok;
        }
        fv_quicksight_import_job_clean_up(&j);
        if (fv_cli_stop || time(NULL) - t0 >= x->o->timeout_s) {
            printf("  FAILED   job %s not finished after %lld s%s; it goes on: run the same "
                   "restore again to wait for it\n",
                   job_id, (long long)(time(NULL) - t0), fv_cli_stop ? " (interrupted)" : "");
            return false;
        }
        s_sleep_ms(pause);
    }
}

/* Reads the bundle and starts the import job; ConflictException (another
 * restore started the same job meanwhile) is fine: it is waited for. */
static bool s_start_import(struct s_ctx *x, struct fv_aws_client *cl, const char *target,
                           const char *job_id, struct json_object *out)
{
    struct fv_error err = {0};
    struct fv_buf body = {0};
    fv_status st = s_fetch_bundle(x, out, &body, &err);
    if (st == FV_OK) {
        struct fv_quicksight_import_request req = {
            .job_id = job_id,
            .body = {body.ptr, body.len},
            .override_parameters_json = x->overrides,
        };
        st = fv_quicksight_start_import(cl, target, &req, NULL, &err);
        if (st != FV_OK && strcmp(err.code, "ConflictException") == 0)
            st = FV_OK;
    }
    if (st == FV_OK)
        printf("  started  job %s (%zu bytes, sha256 verified)\n", job_id, body.len);
    else
        printf("  FAILED   %s\n", err.message);
    fv_buf_clean_up(&body);
    return st == FV_OK;
}

static bool s_restore_bundle(struct s_ctx *x, struct json_object *res, struct json_object *out)
{
    const char *source = s_str(res, "account"), *resource = s_str(res, "resource");
    const char *target = x->o->target ? x->o->target : source;
    const char *region = strcmp(target, source) == 0 && s_str(res, "region")
                             ? s_str(res, "region")
                             : s_account_region(&x->cfg, target);
    char job_id[600];
    s_job_id(x, source, resource, target, job_id, sizeof(job_id));
    printf("bundle %s of %s: s3://%s/%s -> %s\n", resource, source,
           s_str(out, "bucket") ? s_str(out, "bucket") : "?", s_str(out, "object_key"), target);
    struct fv_error err = {0};
    struct fv_aws_client *cl = fv_fleet_client(x->clients, target, region, &err);
    if (!cl) {
        printf("  FAILED   %s\n", err.message);
        return false;
    }
    /* A job of an earlier restore: wait for it, or report it, or reuse its id. */
    struct fv_quicksight_import_job j = {0};
    fv_status st = fv_quicksight_describe_import(cl, target, job_id, &j, &err);
    bool running = st == FV_OK && !fv_quicksight_job_status_done(j.status);
    bool done = st == FV_OK && j.status == FV_QS_JOB_SUCCESSFUL;
    if (done)
        printf("  ok       already imported by job %s (SUCCESSFUL): nothing to do\n", job_id);
    else if (running)
        printf("  wait     job %s is %s (an earlier restore started it)\n", job_id, j.status_text);
    else if (st == FV_OK)
        printf("  again    job %s ended %s: importing again under the same id\n", job_id,
               j.status_text);
    else if (st != FV_E_NOTFOUND)
        printf("  FAILED   describing job %s: %s\n", job_id, err.message);
    fv_quicksight_import_job_clean_up(&j);
    if (done)
        return true;
    if ((st != FV_OK && st != FV_E_NOTFOUND) ||
        (!running && !s_start_import(x, cl, target, job_id, out)))
        return false;
    return s_wait_job(x, cl, target, job_id, s_str(out, "assets"));
}

static void s_restore_assets(struct s_ctx *x, struct json_object *resources)
{
    for (int type = 0; type < S_N_ASSET_TYPES; type++) {
        if (!x->o->types[type])
            continue;
        for (size_t i = 0; i < json_object_array_length(resources) && !fv_cli_stop; i++) {
            struct json_object *res = json_object_array_get_idx(resources, i), *outs = NULL;
            const char *kind = s_str(res, "kind"), *status = s_str(res, "status");
            if (!kind || strcmp(kind, "quicksight.export") != 0 || s_bundle_type(res) != type ||
                !s_selected_source(x, s_str(res, "account")))
                continue;
            json_object_object_get_ex(res, "outputs", &outs);
            struct json_object *out =
                outs && json_object_array_length(outs) ? json_object_array_get_idx(outs, 0) : NULL;
            if (!out || !s_str(out, "object_key")) {
                bool skipped = status && strcmp(status, "SKIPPED") == 0;
                printf("bundle %s of %s: %s in the backup%s%s: nothing to import\n",
                       s_str(res, "resource"), s_str(res, "account"), status ? status : "?",
                       s_str(res, "error_message") ? ": " : "",
                       s_str(res, "error_message") ? s_str(res, "error_message") : "");
                if (skipped)
                    x->ok++;
                else
                    x->bad++;
                continue;
            }
            if (s_restore_bundle(x, res, out))
                x->ok++;
            else
                x->bad++;
        }
    }
}

/* --- identities --- */

/* The tables of one source account, from the manifest. */
struct s_ident {
    const char *account, *region;
    const char *users_table, *groups_table;
    bool incomplete; /* an identity task of the run did not succeed */
};

struct s_counts {
    size_t present, created, cannot, failed;
};

typedef void s_row_fn(struct json_object *item, void *ud);

/* Every row of table (all pages) whose ARN attribute is of the source
 * account (several accounts share a table in the central account). */
static bool s_scan(struct s_ctx *x, const struct s_ident *id, const char *table,
                   const char *arn_attr, s_row_fn *fn, void *ud)
{
    struct fv_error err = {0};
    const char *tacct = id->account;
    if (x->job && strcmp(x->job->identity_tables_account, "central") == 0)
        tacct = fv_fleet_central_account(x->fleet, &err);
    struct fv_aws_client *c = tacct ? fv_fleet_client(x->clients, tacct, id->region, &err) : NULL;
    struct fv_dynamodb_read req = {.table = table, .consistent = true};
    char *next = NULL;
    fv_status st = c ? FV_OK : err.status;
    do {
        struct fv_dynamodb_page page = {0};
        if (st == FV_OK)
            st = fv_dynamodb_read_page(c, &req, next, &page, &err);
        free(next);
        next = NULL;
        for (size_t i = 0; st == FV_OK && i < json_object_array_length(page.items); i++) {
            struct json_object *item = json_object_array_get_idx(page.items, i);
            char *acct = fv_arn_part(s_attr(item, arn_attr), 4);
            if (!acct || !*acct || strcmp(acct, id->account) == 0)
                fn(item, ud);
            free(acct);
        }
        if (st == FV_OK && page.next)
            next = fv_strdup(page.next);
        fv_dynamodb_page_clean_up(&page);
    } while (st == FV_OK && next);
    if (st != FV_OK)
        printf("  FAILED   reading table %s (%s %s): %s\n", table, tacct ? tacct : "?", id->region,
               err.message);
    return st == FV_OK;
}

struct s_ident_run {
    const char *target, *ns;
    struct fv_aws_client *qs;
    struct json_object *users;   /* user name → true (exists) / false (missing) */
    struct json_object *members; /* group name → {member: true} or null (no group) */
    struct s_counts c[3];
};

/* Whether the user exists in the target (asked once per name). */
static bool s_user_exists(struct s_ident_run *r, const char *name, struct fv_error *err,
                          fv_status *st)
{
    struct json_object *v;
    *st = FV_OK;
    if (json_object_object_get_ex(r->users, name, &v))
        return json_object_get_boolean(v);
    struct fv_quicksight_user u = {0};
    fv_status got = fv_quicksight_describe_user(r->qs, r->target, r->ns, name, &u, err);
    fv_quicksight_user_clean_up(&u);
    *st = got == FV_E_NOTFOUND ? FV_OK : got;
    if (*st == FV_OK)
        json_object_object_add(r->users, name, json_object_new_boolean(got == FV_OK));
    return got == FV_OK;
}

static void s_user_row(struct json_object *item, void *ud)
{
    struct s_ident_run *r = ud;
    struct s_counts *c = &r->c[0];
    const char *name = s_attr(item, "user_name"), *type = s_attr(item, "identity_type");
    const char *email = s_attr(item, "email"), *role = s_attr(item, "role");
    struct fv_error err = {0};
    fv_status st;
    if (!name)
        return;
    if (s_user_exists(r, name, &err, &st)) {
        c->present++;
        return;
    }
    if (st != FV_OK) {
        printf("  FAILED   user %s: %s\n", name, err.message);
        c->failed++;
        return;
    }
    if (!type || strcmp(type, "QUICKSIGHT") != 0) {
        printf("  cannot   user %s: cannot restore: %s identity\n", name, type ? type : "unknown");
        c->cannot++;
        return;
    }
    struct fv_quicksight_register_user req = {
        .identity_type = "QUICKSIGHT",
        .email = email,
        .user_role = role,
        .user_name = name,
        .custom_permissions_name = s_attr(item, "custom_permissions_name"),
    };
    bool created = false;
    if (!email || !role) {
        printf("  cannot   user %s: cannot restore: the backup has no %s\n", name,
               email ? "role" : "email");
        c->cannot++;
    } else if (fv_quicksight_register_user(r->qs, r->target, r->ns, &req, &created, &err) !=
               FV_OK) {
        printf("  FAILED   user %s: %s\n", name, err.message);
        c->failed++;
    } else {
        printf("  %-8s user %s (%s, %s)\n", created ? "register" : "exists", name, role, email);
        json_object_object_add(r->users, name, json_object_new_boolean(1));
        if (created)
            c->created++;
        else
            c->present++;
    }
}

/* The group's members in the target ({name: true}, listed once); NULL when
 * the group does not exist, or on an error (*st). */
static struct json_object *s_group_members(struct s_ident_run *r, const char *group,
                                           struct fv_error *err, fv_status *st)
{
    struct json_object *v;
    *st = FV_OK;
    if (json_object_object_get_ex(r->members, group, &v))
        return v;
    struct fv_quicksight_members m = {0};
    *st = fv_quicksight_list_group_memberships(r->qs, r->target, r->ns, group, NULL, &m, err);
    v = NULL;
    if (*st == FV_OK) {
        v = json_object_new_object();
        for (size_t i = 0; i < m.n; i++)
            json_object_object_add(v, m.items[i].member_name, json_object_new_boolean(1));
    }
    fv_quicksight_members_clean_up(&m);
    if (*st == FV_E_NOTFOUND)
        *st = FV_OK;
    if (*st == FV_OK)
        json_object_object_add(r->members, group, v);
    return v;
}

static void s_group_row(struct json_object *item, void *ud)
{
    struct s_ident_run *r = ud;
    struct s_counts *c = &r->c[1];
    const char *name = s_attr(item, "group_name");
    struct fv_error err = {0};
    struct json_object *v;
    if (!name)
        return;
    if (json_object_object_get_ex(r->members, name, &v) && v) {
        c->present++;
        return;
    }
    struct fv_quicksight_group g = {0};
    fv_status st = fv_quicksight_describe_group(r->qs, r->target, r->ns, name, &g, &err);
    fv_quicksight_group_clean_up(&g);
    bool created = false;
    if (st == FV_OK) {
        c->present++;
        return;
    }
    if (st == FV_E_NOTFOUND)
        st = fv_quicksight_create_group(r->qs, r->target, r->ns, name, s_attr(item, "description"),
                                        &created, &err);
    if (st != FV_OK) {
        printf("  FAILED   group %s: %s\n", name, err.message);
        c->failed++;
        return;
    }
    printf("  %-8s group %s\n", created ? "created" : "exists", name);
    if (created) /* a new group has no members: nothing to list */
        json_object_object_add(r->members, name, json_object_new_object());
    if (created)
        c->created++;
    else
        c->present++;
}

static void s_membership_row(struct json_object *item, void *ud)
{
    struct s_ident_run *r = ud;
    struct s_counts *c = &r->c[2];
    const char *user = s_attr(item, "user_name"), *group = s_attr(item, "group_name");
    struct fv_error err = {0};
    fv_status st;
    struct json_object *members, *v;
    if (!user || !group)
        return;
    members = s_group_members(r, group, &err, &st);
    if (members && json_object_object_get_ex(members, user, &v)) {
        c->present++;
        return;
    }
    bool user_ok = st == FV_OK && members && s_user_exists(r, user, &err, &st);
    if (st != FV_OK) {
        printf("  FAILED   membership %s in %s: %s\n", user, group, err.message);
        c->failed++;
    } else if (!members || !user_ok) {
        printf("  cannot   membership %s in %s: cannot restore: %s %s does not exist in %s\n", user,
               group, members ? "user" : "group", members ? user : group, r->target);
        c->cannot++;
    } else if (fv_quicksight_create_group_membership(r->qs, r->target, r->ns, group, user, &err) !=
               FV_OK) {
        printf("  FAILED   membership %s in %s: %s\n", user, group, err.message);
        c->failed++;
    } else {
        printf("  added    %s to group %s\n", user, group);
        json_object_object_add(members, user, json_object_new_boolean(1));
        c->created++;
    }
}

static void s_restore_identities_of(struct s_ctx *x, const struct s_ident *id)
{
    const struct fv_config_job *job = x->job;
    const char *target = x->o->target ? x->o->target : id->account;
    const char *region = strcmp(target, id->account) == 0 ? id->region
                         : job->identity_region           ? job->identity_region
                                                          : s_account_region(&x->cfg, target);
    struct s_ident_run r = {.target = target, .ns = job->namespace_};
    struct fv_error err = {0};
    printf("identities of %s -> %s (namespace %s)\n", id->account, target, r.ns);
    if (id->incomplete)
        printf("  warning  an identity task of this run did not succeed: its tables may be "
               "incomplete\n");
    r.qs = fv_fleet_client(x->clients, target, region, &err);
    if (!r.qs) {
        printf("  FAILED   %s\n", err.message);
        x->bad++;
        return;
    }
    r.users = json_object_new_object();
    r.members = json_object_new_object();
    bool read_ok = true;
    if (x->o->types[S_USERS] && id->users_table)
        read_ok = s_scan(x, id, id->users_table, "arn", s_user_row, &r) && read_ok;
    if (x->o->types[S_GROUPS] && id->groups_table)
        read_ok = s_scan(x, id, id->groups_table, "arn", s_group_row, &r) && read_ok;
    if (x->o->types[S_MEMBERSHIPS] && id->groups_table) {
        /* YYYY-MM-DD-<memberships base>: the run's date, as the groups table has it. */
        const char *started = s_str(x->manifest, "started");
        char table[300];
        snprintf(table, sizeof(table), "%.10s-%s", started ? started : "",
                 job->users_group_table_name);
        read_ok = s_scan(x, id, table, "group_arn", s_membership_row, &r) && read_ok;
    }
    static const char *const what[3] = {"users", "groups", "memberships"};
    static const char *const made[3] = {"registered", "created", "added"};
    size_t changed = 0, problems = 0;
    for (int k = 0; k < 3; k++) {
        const struct s_counts *c = &r.c[k];
        if (!x->o->types[S_USERS + k])
            continue;
        printf("  %-11s %zu already there, %zu %s, %zu cannot be restored, %zu failed\n", what[k],
               c->present, c->created, made[k], c->cannot, c->failed);
        changed += c->created;
        problems += c->cannot + c->failed;
    }
    if (!changed && !problems && read_ok)
        printf("  ok       nothing to restore: every identity is already in %s\n", target);
    if (problems || !read_ok || id->incomplete)
        x->bad++;
    else
        x->ok++;
    json_object_put(r.users);
    json_object_put(r.members);
}

static void s_restore_identities(struct s_ctx *x, struct json_object *resources)
{
    size_t n = json_object_array_length(resources), n_ids = 0;
    struct s_ident *ids = fv_calloc(n ? n : 1, sizeof(*ids));
    for (size_t i = 0; i < n; i++) {
        struct json_object *res = json_object_array_get_idx(resources, i), *outs = NULL;
        const char *kind = s_str(res, "kind"), *account = s_str(res, "account");
        bool users = kind && strcmp(kind, "quicksight.users") == 0;
        bool groups = kind && strcmp(kind, "quicksight.groups") == 0;
        if ((!users && !groups) || !account || !s_selected_source(x, account))
            continue;
        size_t k = 0;
        while (k < n_ids && strcmp(ids[k].account, account) != 0)
            k++;
        if (k == n_ids) {
            ids[n_ids].account = account;
            ids[n_ids++].region = s_str(res, "region") ? s_str(res, "region") : x->cfg.region;
        }
        const char *status = s_str(res, "status");
        if (!status || strcmp(status, "SUCCEEDED") != 0)
            ids[k].incomplete = true;
        json_object_object_get_ex(res, "outputs", &outs);
        const char *table = outs && json_object_array_length(outs)
                                ? s_str(json_object_array_get_idx(outs, 0), "table")
                                : NULL;
        if (table && users)
            ids[k].users_table = table;
        if (table && groups)
            ids[k].groups_table = table;
    }
    for (size_t k = 0; k < n_ids && !fv_cli_stop; k++)
        s_restore_identities_of(x, &ids[k]);
    free(ids);
}

/* --- arguments and input --- */

static int s_parse_types(const char *list, bool *types)
{
    char *copy = fv_strdup(list), *save = NULL;
    int rc = 0;
    memset(types, 0, S_N_TYPES * sizeof(bool));
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int i = 0;
        while (i < S_N_TYPES && strcmp(t, s_type_names[i]) != 0)
            i++;
        if (i == S_N_TYPES) {
            fprintf(stderr,
                    "fleetvault restore quicksight: --types: unknown type '%s' (datasources, "
                    "datasets, analyses, dashboards, users, groups, memberships)\n",
                    t);
            rc = 2;
            break;
        }
        types[i] = true;
    }
    free(copy);
    return rc;
}

static int s_parse_args(int argc, char **argv, struct s_opts *o)
{
    static const struct option opts[] = {{"manifest", required_argument, NULL, 'm'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"types", required_argument, NULL, 't'},
                                         {"source-account", required_argument, NULL, 's'},
                                         {"target-account", required_argument, NULL, 'a'},
                                         {"overrides", required_argument, NULL, 'o'},
                                         {"identities-only", no_argument, NULL, 'I'},
                                         {"assets-only", no_argument, NULL, 'A'},
                                         {"timeout", required_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool ids_only = false, assets_only = false;
    int c;
    int64_t timeout = 1800;
    for (int i = 0; i < S_N_TYPES; i++)
        o->types[i] = true;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:c:t:s:a:o:IAT:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': o->manifest = optarg; break;
        case 'c': o->config = optarg; break;
        case 's': o->source = optarg; break;
        case 'a': o->target = optarg; break;
        case 'o': o->overrides_path = optarg; break;
        case 'I': ids_only = true; break;
        case 'A': assets_only = true; break;
        case 't':
            if (s_parse_types(optarg, o->types))
                return 2;
            break;
        case 'T':
            if (!fv_parse_i64(optarg, &timeout) || timeout < 1 || timeout > 86400 * 7) {
                fprintf(stderr,
                        "fleetvault restore quicksight: --timeout: seconds, 1 or more, "
                        "got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'h': printf("%s\n%s", s_usage, s_help); return -1;
        default: fprintf(stderr, "%s", s_usage); return 2;
        }
    }
    o->timeout_s = (int)timeout;
    if (optind < argc) {
        fprintf(stderr, "fleetvault restore quicksight: unexpected argument '%s'\n%s", argv[optind],
                s_usage);
        return 2;
    }
    if (ids_only && assets_only) {
        fprintf(stderr, "fleetvault restore quicksight: --identities-only and --assets-only "
                        "exclude each other\n");
        return 2;
    }
    for (int i = 0; i < S_N_TYPES; i++)
        if ((ids_only && i < S_N_ASSET_TYPES) || (assets_only && i >= S_N_ASSET_TYPES))
            o->types[i] = false;
    if (!o->manifest || !o->config) {
        fprintf(stderr,
                "fleetvault restore quicksight: --manifest FILE and --config FILE are "
                "required\n%s",
                s_usage);
        return 2;
    }
    return 0;
}

/* A JSON object from path, strictly (one value, nothing after it): 0, or 2
 * after saying what is wrong. *text (may be NULL) gets the file's text. */
static int s_read_json(const char *what, const char *path, struct json_object **out, char **text)
{
    FILE *f = fopen(path, "rb");
    struct fv_buf b = {0};
    char chunk[4096];
    size_t n;
    *out = NULL;
    if (!f) {
        fprintf(stderr, "fleetvault restore quicksight: %s %s: %s\n", what, path, strerror(errno));
        return 2;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fv_buf_append(&b, chunk, n);
    fclose(f);
    struct json_tokener *tok = json_tokener_new();
    struct json_object *doc = json_tokener_parse_ex(tok, fv_buf_str(&b), (int)b.len);
    size_t end = doc ? json_tokener_get_parse_end(tok) : 0;
    while (end < b.len && b.ptr[end] && strchr(" \t\r\n", b.ptr[end]))
        end++;
    json_tokener_free(tok);
    if (!doc || end != b.len || !json_object_is_type(doc, json_type_object)) {
        fprintf(stderr, "fleetvault restore quicksight: %s %s: not a JSON object\n", what, path);
        json_object_put(doc);
        fv_buf_clean_up(&b);
        return 2;
    }
    *out = doc;
    if (text)
        *text = fv_buf_detach(&b);
    fv_buf_clean_up(&b);
    return 0;
}

static int s_load_overrides(struct s_ctx *x)
{
    struct json_object *doc = NULL;
    snprintf(x->overrides_tag, sizeof(x->overrides_tag), "none");
    if (!x->o->overrides_path)
        return 0;
    if (s_read_json("--overrides", x->o->overrides_path, &doc, &x->overrides))
        return 2;
    /* The job id's tag: the overrides as parsed, so whitespace does not count. */
    char hex[65];
    const char *canon = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
    fv_sha256_hex(canon, strlen(canon), hex);
    snprintf(x->overrides_tag, sizeof(x->overrides_tag), "%.8s", hex);
    json_object_put(doc);
    return 0;
}

/* Everything that can be checked before the first AWS call: exit 2 when
 * something is wrong. */
static int s_check_input(struct s_ctx *x, struct json_object **resources)
{
    const char *m = x->o->manifest;
    if (s_read_json("--manifest", m, &x->manifest, NULL))
        return 2;
    const char *type = s_str(x->manifest, "type");
    x->run_id = s_str(x->manifest, "run_id");
    if (!json_object_object_get_ex(x->manifest, "resources", resources) ||
        !json_object_is_type(*resources, json_type_array) || !x->run_id || !type ||
        strcmp(type, "quicksight") != 0) {
        fprintf(stderr,
                "fleetvault restore quicksight: %s is not a quicksight run's manifest "
                "(type %s)\n",
                m, type ? type : "missing");
        return 2;
    }
    if (x->o->target && !s_configured(&x->cfg, x->o->target)) {
        fprintf(stderr,
                "fleetvault restore quicksight: --target-account %s is not an account of "
                "%s\n",
                x->o->target, x->o->config);
        return 2;
    }
    bool ids = x->o->types[S_USERS] || x->o->types[S_GROUPS] || x->o->types[S_MEMBERSHIPS];
    bool any_ids = false, seen_source = false;
    const char *first = NULL;
    for (size_t i = 0; i < json_object_array_length(*resources); i++) {
        struct json_object *res = json_object_array_get_idx(*resources, i);
        const char *acct = s_str(res, "account"), *kind = s_str(res, "kind");
        if (!acct || !kind || strncmp(kind, "quicksight.", 11) != 0)
            continue;
        seen_source = seen_source || (x->o->source && strcmp(acct, x->o->source) == 0);
        if (!s_selected_source(x, acct))
            continue;
        if (!x->o->target && !s_configured(&x->cfg, acct)) {
            fprintf(stderr,
                    "fleetvault restore quicksight: the manifest's account %s is not an "
                    "account of %s (restore it elsewhere with --target-account)\n",
                    acct, x->o->config);
            return 2;
        }
        if (x->o->target && first && strcmp(first, acct) != 0) {
            fprintf(stderr,
                    "fleetvault restore quicksight: the manifest has accounts %s and %s: "
                    "choose one with --source-account to restore into %s\n",
                    first, acct, x->o->target);
            return 2;
        }
        first = first ? first : acct;
        any_ids = any_ids || strcmp(kind, "quicksight.export") != 0;
    }
    if (x->o->source && !seen_source) {
        fprintf(stderr, "fleetvault restore quicksight: --source-account %s: not in %s\n",
                x->o->source, m);
        return 2;
    }
    x->job = fv_config_job(&x->cfg, s_str(x->manifest, "job"));
    if (ids && any_ids && (!x->job || x->job->kind != FV_JOB_QUICKSIGHT)) {
        fprintf(stderr,
                "fleetvault restore quicksight: the manifest's job '%s' is not a "
                "quicksight job of %s (its namespace and identity tables are needed; "
                "or use --assets-only)\n",
                s_str(x->manifest, "job"), x->o->config);
        return 2;
    }
    return s_load_overrides(x);
}

int fv_cli_restore_quicksight(int argc, char **argv)
{
    struct s_opts o = {0};
    int rc = s_parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc; /* --help: 0 */
    struct s_ctx x = {.o = &o};
    struct json_object *resources = NULL;
    struct fv_error err = {0};
    rc = fv_cli_load_config(o.config, &x.cfg);
    if (rc == 0)
        rc = s_check_input(&x, &resources);
    if (rc != 0)
        goto out;
    x.fleet = fv_fleet_new(&x.cfg, &err);
    if (!x.fleet) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
        rc = 2;
        goto out;
    }
    fv_cli_install_signals();
    x.engine = fv_fleet_engine_new(x.fleet);
    x.clients = fv_fleet_clients_new(x.fleet, x.engine);
    printf("restoring run %s from %s\n", x.run_id, o.manifest);
    fflush(stdout);
    s_restore_assets(&x, resources);
    if (o.types[S_USERS] || o.types[S_GROUPS] || o.types[S_MEMBERSHIPS])
        s_restore_identities(&x, resources);
    if (x.ok + x.bad == 0)
        printf("nothing in the manifest for the selected types and accounts\n");
    printf("summary: %zu restored or already there, %zu not (bundles and per-account "
           "identities)\n",
           x.ok, x.bad);
    rc = x.bad ? 1 : 0;
out:
    fv_fleet_clients_destroy(x.clients);
    fv_http_engine_destroy(x.engine);
    fv_fleet_destroy(x.fleet);
    free(x.overrides);
    json_object_put(x.manifest);
    fv_config_clean_up(&x.cfg);
    return rc;
}

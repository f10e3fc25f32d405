/* fleetvault restore quicksight: parses the flags, reads the manifest and
 * the overrides, and prints what fv_restore_quicksight
 * (lib/restore/restore_quicksight.c, restore_identities.c) reports; the
 * bundles' imports go as quicksight.import tasks through the pipeline
 * (coordinator/restore_tasks.h), identities stay inline. What it does is in
 * s_help. */
#include "cli.h"
#include "common.h"

#include <restore_tasks.h>
#include <worker.h>

#include <fv/fleet.h>
#include <fv/log.h>
#include <fv/restore.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    "  --timeout S          follow each asset type's imports at most S seconds (default\n"
    "                       1800; a worker stops waiting for a job after jobs[].wait_timeout_s)\n"
    "\n"
    "Assets: one asset-bundle import job per bundle, data sources first, dashboards last,\n"
    "each a quicksight.import task run by the fleet's workers (with kafka.brokers: embedded,\n"
    "by a worker in this process); the bundle's bucket and key come from the job's config.\n"
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
    bool types[FV_RESTORE_N_TYPES];
    int64_t timeout_s;
};

/* --- what the restore reports --- */

static void s_print_issues(const char *what, const struct fv_quicksight_job_issues *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct fv_quicksight_job_issue *is = &l->items[i];
        printf("    %-8s %s: %s%s%s\n", what, is->arn && *is->arn ? is->arn : "(bundle)",
               is->type ? is->type : "", is->type ? ": " : "", is->message ? is->message : "");
    }
}

static void s_bundle_end(const struct fv_restore_bundle *b)
{
    const struct fv_manifest_resource *r = b->res;
    const struct fv_quicksight_import_job *j = &b->job;
    const char *assets = b->out ? fv_manifest_output_extra(b->out, "assets") : NULL;
    switch (b->outcome) {
    case FV_RB_SKIPPED:
    case FV_RB_NOT_BACKED:
        printf("bundle %s of %s: %s in the backup%s%s: nothing to import\n", r->resource,
               r->account, r->status, r->error_message ? ": " : "",
               r->error_message ? r->error_message : "");
        return;
    case FV_RB_IMPORTED:
        if (b->prior_done)
            return; /* said at FV_RB_PRIOR */
        printf("  ok       job %s SUCCESSFUL: %s asset(s) and their dependencies imported "
               "into %s\n",
               b->job_id, assets ? assets : "the", b->target);
        break;
    case FV_RB_JOB_FAILED:
        printf("  FAILED   job %s %s (failure action %s)\n", b->job_id,
               j->status_text ? j->status_text : "?",
               j->failure_action ? j->failure_action : "ROLLBACK");
        break;
    case FV_RB_TIMEOUT:
        printf("  FAILED   job %s not finished after %lld s%s; it goes on: run the same restore "
               "again to wait for it\n",
               b->job_id, (long long)(b->waited_ms / 1000), b->interrupted ? " (interrupted)" : "");
        return;
    case FV_RB_ERROR: printf("  FAILED   %s\n", b->err.message); return;
    }
    s_print_issues("error", &j->errors);
    s_print_issues("rollback", &j->rollback_errors);
    s_print_issues("warning", &j->warnings);
}

static void s_on_bundle(void *ud, enum fv_restore_bundle_step step,
                        const struct fv_restore_bundle *b)
{
    (void)ud;
    const char *status = b->job.status_text ? b->job.status_text : "?";
    switch (step) {
    case FV_RB_BEGIN:
        printf("bundle %s of %s: s3://%s/%s -> %s\n", b->res->resource, b->res->account,
               b->out->bucket, b->out->object_key, b->target);
        break;
    case FV_RB_PRIOR:
        if (b->prior_done)
            printf("  ok       already imported by job %s (SUCCESSFUL): nothing to do\n",
                   b->job_id);
        else if (b->prior_ended)
            printf("  again    job %s ended %s: importing again under the same id\n", b->job_id,
                   status);
        else
            printf("  wait     job %s is %s (an earlier restore started it)\n", b->job_id, status);
        break;
    case FV_RB_STARTED:
        printf("  started  job %s (%zu bytes, sha256 verified)\n", b->job_id, b->bytes);
        break;
    case FV_RB_END: s_bundle_end(b); break;
    }
    fflush(stdout);
}

static void s_ident_item(const struct fv_restore_identities *id)
{
    const char *n = id->name;
    if (id->action == FV_RI_FAILED && id->type == FV_RESTORE_MEMBERSHIPS)
        printf("  FAILED   membership %s in %s: %s\n", n, id->group, id->err.message);
    else if (id->action == FV_RI_FAILED)
        printf("  FAILED   %s %s: %s\n", id->type == FV_RESTORE_USERS ? "user" : "group", n,
               id->err.message);
    else if (id->action == FV_RI_CANNOT && id->type == FV_RESTORE_MEMBERSHIPS)
        printf("  cannot   membership %s in %s: %s\n", n, id->group, id->err.message);
    else if (id->action == FV_RI_CANNOT)
        printf("  cannot   user %s: %s\n", n, id->err.message);
    else if (id->type == FV_RESTORE_USERS)
        printf("  %-8s user %s (%s, %s)\n", id->raced ? "exists" : "register", n, id->role,
               id->email);
    else if (id->type == FV_RESTORE_GROUPS)
        printf("  %-8s group %s\n", id->raced ? "exists" : "created", n);
    else
        printf("  added    %s to group %s\n", n, id->group);
}

static void s_on_identities(void *ud, enum fv_restore_ident_step step,
                            const struct fv_restore_identities *id)
{
    const bool *types = ud;
    static const char *const what[3] = {"users", "groups", "memberships"};
    static const char *const made[3] = {"registered", "created", "added"};
    size_t changed = 0;
    switch (step) {
    case FV_RI_BEGIN:
        printf("identities of %s -> %s (namespace %s)\n", id->source, id->target, id->ns);
        if (id->incomplete)
            printf("  warning  an identity task of this run did not succeed: its tables may be "
                   "incomplete\n");
        break;
    case FV_RI_ITEM: s_ident_item(id); break;
    case FV_RI_TABLE:
        printf("  FAILED   reading table %s (%s %s): %s\n", id->table, id->table_account,
               id->region, id->err.message);
        break;
    case FV_RI_END:
        for (int k = 0; k < 3; k++) {
            const struct fv_restore_ident_counts *c = &id->counts[k];
            if (!types[FV_RESTORE_USERS + k])
                continue;
            printf("  %-11s %zu already there, %zu %s, %zu cannot be restored, %zu failed\n",
                   what[k], c->present, c->created, made[k], c->cannot, c->failed);
            changed += c->created + c->cannot + c->failed;
        }
        if (!changed && id->read_ok)
            printf("  ok       nothing to restore: every identity is already in %s\n", id->target);
        break;
    }
    fflush(stdout);
}

/* --- arguments and input --- */

static int s_parse_types(const char *list, bool *types)
{
    char *copy = fv_strdup(list), *save = NULL;
    int rc = 0;
    memset(types, 0, FV_RESTORE_N_TYPES * sizeof(bool));
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        enum fv_restore_type i;
        if (!fv_restore_type_parse(t, &i)) {
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
    const char *types = NULL, *timeout_text = NULL;
    bool ids_only = false, assets_only = false;
    const struct fv_cli_opt opts[] = {{"manifest", &o->manifest, NULL},
                                      {"config", &o->config, NULL},
                                      {"types", &types, NULL},
                                      {"source-account", &o->source, NULL},
                                      {"target-account", &o->target, NULL},
                                      {"overrides", &o->overrides_path, NULL},
                                      {"identities-only", NULL, &ids_only},
                                      {"assets-only", NULL, &assets_only},
                                      {"timeout", &timeout_text, NULL},
                                      {NULL, NULL, NULL}};
    int rc = fv_cli_parse(argc, argv, opts, s_usage, s_help);
    if (rc >= 0)
        return rc == 0 ? -1 : rc;
    int64_t timeout = 1800;
    for (int i = 0; i < FV_RESTORE_N_TYPES; i++)
        o->types[i] = true;
    if (types && s_parse_types(types, o->types))
        return 2;
    if (timeout_text &&
        (!fv_parse_i64(timeout_text, &timeout) || timeout < 1 || timeout > 86400 * 7)) {
        fprintf(stderr, "fleetvault restore quicksight: --timeout: seconds, 1 or more, got '%s'\n",
                timeout_text);
        return 2;
    }
    o->timeout_s = timeout;
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
    for (int i = 0; i < FV_RESTORE_N_TYPES; i++)
        if ((ids_only && i < FV_RESTORE_N_ASSET_TYPES) ||
            (assets_only && i >= FV_RESTORE_N_ASSET_TYPES))
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

/* --- the pipeline the bundles' quicksight.import tasks go through --- */

struct s_pipeline {
    struct fv_task_keys *keys;
    struct fv_kafka_config kc;
    struct fv_kafka_mock *mock;
    struct fv_worker *w;
    pthread_t thread;
    volatile sig_atomic_t stop;
    struct fv_restore_tasks *rt;
    struct fv_restore_importer importer;
};

static void *s_worker_thread(void *arg)
{
    struct s_pipeline *p = arg;
    struct fv_error err;
    if (fv_worker_run(p->w, &err) != FV_OK)
        FV_LOG(FV_LOG_ERROR, "worker", "%s", err.message);
    return NULL;
}

/* Kafka as configured: with brokers "embedded", a cluster and a worker in
 * this process (as `fleetvault backup` does); else the fleet's workers. 0,
 * or 1 after saying why not. */
static int s_pipeline_start(const struct fv_config *cfg, struct fv_fleet *fleet,
                            const struct s_opts *o, struct s_pipeline *p)
{
    struct fv_error err = {0};
    bool embedded = strcmp(cfg->kafka_brokers, "embedded") == 0;
    if (fv_task_keys_load(cfg, embedded, &p->keys, &err) != FV_OK) {
        fprintf(stderr, "fleetvault restore quicksight: %s\n", err.message);
        return 1;
    }
    fv_cli_kafka_config(cfg, &p->kc);
    if (embedded) {
        if (!(p->mock = fv_kafka_mock_start(3, &p->kc, &err))) {
            fprintf(stderr, "fleetvault: embedded Kafka: %s\n", err.message);
            return 1;
        }
        free(p->kc.brokers);
        p->kc.brokers = fv_strdup(fv_kafka_mock_bootstraps(p->mock));
        p->kc.session_timeout_ms = 6000;
        struct fv_worker_options wo = {.cfg = cfg,
                                       .fleet = fleet,
                                       .kafka = &p->kc,
                                       .concurrency = (int)cfg->worker_concurrency,
                                       .max_delayed = (size_t)cfg->worker_max_delayed,
                                       .name = "embedded-worker",
                                       .stop = &p->stop,
                                       .keys = p->keys};
        if (!(p->w = fv_worker_new(&wo, &err))) {
            fprintf(stderr, "fleetvault: worker: %s\n", err.message);
            return 1;
        }
        pthread_create(&p->thread, NULL, s_worker_thread, p);
    }
    char name[160];
    fv_cli_instance_name("restore", name, sizeof(name));
    struct fv_restore_tasks_options to = {.cfg = cfg,
                                          .kafka = &p->kc,
                                          .name = name,
                                          .keys = p->keys,
                                          .stop = &fv_cli_stop,
                                          .timeout_ms = o->timeout_s * 1000 + 60000};
    p->rt = fv_restore_tasks_new(&to);
    p->importer = fv_restore_tasks_importer(p->rt);
    return 0;
}

static void s_pipeline_stop(struct s_pipeline *p)
{
    fv_restore_tasks_destroy(p->rt);
    if (p->w) {
        p->stop = 1;
        pthread_join(p->thread, NULL);
        fv_worker_destroy(p->w);
    }
    fv_kafka_mock_stop(p->mock);
    fv_kafka_config_clean_up(&p->kc);
    fv_task_keys_destroy(p->keys);
}

/* The file's text, or 2 after saying why not. */
static int s_read_file(const char *what, const char *path, char **out)
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
    *out = fv_buf_detach(&b);
    return 0;
}

int fv_cli_restore_quicksight(int argc, char **argv)
{
    struct s_opts o = {0};
    int rc = s_parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc; /* --help: 0 */
    struct fv_config cfg = {0};
    struct fv_manifest m = {0};
    struct fv_restore_qs_options ro = {.source = o.source,
                                       .target = o.target,
                                       .overrides_name = o.overrides_path,
                                       .timeout_ms = o.timeout_s * 1000,
                                       .stop = &fv_cli_stop};
    struct fv_restore_qs rq = {0};
    struct fv_restore_fleet f = {0};
    struct fv_http_engine *engine = NULL;
    struct s_pipeline pipe = {0};
    char *overrides = NULL;
    struct fv_error err = {0};
    memcpy(ro.types, o.types, sizeof(ro.types));
    rc = fv_cli_load_config(o.config, &cfg);
    if (rc == 0 && fv_manifest_load(o.manifest, &m, &err) != FV_OK) {
        fprintf(stderr, "fleetvault restore quicksight: --manifest %s\n", err.message);
        rc = 2;
    }
    if (rc == 0 && o.overrides_path)
        rc = s_read_file("--overrides", o.overrides_path, &overrides);
    ro.overrides_json = overrides;
    if (rc == 0 && fv_restore_qs_prepare(&cfg, o.config, &m, &ro, &rq, &err) != FV_OK) {
        fprintf(stderr, "fleetvault restore quicksight: %s\n", err.message);
        rc = 2;
    }
    if (rc == 0 && !(f.fleet = fv_fleet_new(&cfg, &err))) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
        rc = 2;
    }
    if (rc != 0)
        goto out;
    fv_cli_install_signals();
    bool assets = false;
    for (int i = 0; i < FV_RESTORE_N_ASSET_TYPES; i++)
        assets = assets || o.types[i];
    if (assets && (rc = s_pipeline_start(&cfg, f.fleet, &o, &pipe)) != 0)
        goto out;
    if (assets)
        ro.importer = &pipe.importer;
    engine = fv_fleet_engine_new(f.fleet);
    f.clients = fv_fleet_clients_new(f.fleet, engine);
    struct fv_restore_aws aws;
    fv_restore_aws_fleet(&f, &aws);
    struct fv_restore_qs_callbacks cb = {s_on_bundle, s_on_identities, o.types};
    struct fv_restore_qs_report report;
    printf("restoring run %s from %s\n", m.run_id, o.manifest);
    fflush(stdout);
    fv_restore_quicksight(&rq, &aws, &cb, &report);
    if (report.ok + report.bad == 0)
        printf("nothing in the manifest for the selected types and accounts\n");
    printf("summary: %zu restored or already there, %zu not (bundles and per-account "
           "identities)\n",
           report.ok, report.bad);
    rc = report.bad ? 1 : 0;
out:
    s_pipeline_stop(&pipe);
    fv_fleet_clients_destroy(f.clients);
    fv_http_engine_destroy(engine);
    fv_fleet_destroy(f.fleet);
    fv_restore_qs_clean_up(&rq);
    free(overrides);
    fv_manifest_clean_up(&m);
    fv_config_clean_up(&cfg);
    return rc;
}

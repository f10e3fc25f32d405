/* fleetvault exports status | pause | resume | reset | import-state: the
 * export chains' state in the control table (lib/exports, fv/exports.h).
 * Thin: flags, the fleet's clients, one call per chain, a table printed. */
#include "cli.h"
#include "common.h"

#include <fv/clock.h>
#include <fv/control.h>
#include <fv/exports.h>
#include <fv/fleet.h>

#include <stdlib.h>
#include <string.h>

#define S_USAGE                                                                                    \
    "usage: fleetvault exports status --config F [--job J] [--table T --account A [--region R]]\n" \
    "       fleetvault exports pause|resume|reset --config F --job J\n"                            \
    "                                 [--table T --account A [--region R]]\n"                      \
    "       fleetvault exports import-state --config F --job J --table T --account A\n"            \
    "                                 [--region R] --alias DEPLOYMENT_ALIAS [--overwrite]\n"

struct s_args {
    const char *verb, *config, *job, *table, *account, *region, *alias;
    bool overwrite;
};

/* The fleet's clients, for the life of the command. */
struct s_env {
    struct fv_config cfg;
    struct fv_fleet *fleet;
    struct fv_http_engine *engine;
    struct fv_fleet_clients *clients;
    struct fv_aws_client *central;
};

static void s_env_clean_up(struct s_env *e)
{
    fv_fleet_clients_destroy(e->clients);
    fv_http_engine_destroy(e->engine);
    fv_fleet_destroy(e->fleet);
    fv_config_clean_up(&e->cfg);
}

static int s_env_open(const struct s_args *a, struct s_env *e)
{
    struct fv_error err;
    memset(e, 0, sizeof(*e));
    int rc = fv_cli_load_config(a->config, &e->cfg);
    if (rc)
        return rc;
    e->fleet = fv_fleet_new(&e->cfg, &err);
    if (!e->fleet) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
        return 2;
    }
    e->engine = fv_fleet_engine_new(e->fleet);
    e->clients = fv_fleet_clients_new(e->fleet, e->engine);
    const char *central = fv_fleet_central_account(e->fleet, &err);
    if (central)
        e->central = fv_fleet_client(e->clients, central, e->cfg.region, &err);
    if (!e->central) {
        fprintf(stderr, "fleetvault exports: the central account: %s\n", err.message);
        return 1;
    }
    /* The verbs that write make the control table if no run has yet. */
    if (strcmp(a->verb, "status") != 0 &&
        fv_control_ensure_table(e->central, e->cfg.control_table, &err) != FV_OK) {
        fprintf(stderr, "fleetvault exports: control table %s: %s\n", e->cfg.control_table,
                err.message);
        return 1;
    }
    return 0;
}

static void s_time(int64_t ms, char out[21])
{
    if (ms > 0)
        fv_time_iso8601(ms / 1000, out);
    else
        snprintf(out, 21, "-");
}

static void s_print_header(void)
{
    printf("%-16s %-12s %-10s %-24s %-9s %-9s %-28s %-20s %6s %6s  %s\n", "JOB", "ACCOUNT",
           "REGION", "TABLE", "INITIATED", "STATE", "ACTION", "LAST WINDOW END", "WINDOW", "BEHIND",
           "LAST ERROR");
}

/* One chain, its window from its job's settings for its table (overrides
 * applied); "-" for a job the configuration no longer has. */
static void s_print(const struct fv_config *cfg, const struct fv_export_state *s, int64_t now_ms)
{
    char end[21], window[16] = "-", behind[24] = "-";
    s_time(s->last_incremental_export_time_ms, end);
    const struct fv_config_job *job = fv_config_job(cfg, s->job);
    if (job && job->kind == FV_JOB_DYNAMODB_EXPORTS) {
        struct fv_config_export_settings set;
        fv_config_export_settings(cfg, job, s->account, s->region, s->table, &set);
        snprintf(window, sizeof(window), "%lldm", (long long)set.window_minutes);
        snprintf(behind, sizeof(behind), "%lld",
                 (long long)fv_export_windows_due(s, set.window_minutes * 60000, now_ms));
    }
    printf("%-16s %-12s %-10s %-24s %-9s %-9s %-28s %-20s %6s %6s  %s\n", s->job, s->account,
           s->region, s->table, fv_export_initiated_str(s->initiated),
           fv_export_workflow_state_str(s->workflow_state),
           fv_export_workflow_action_str(s->workflow_action), end, window, behind,
           s->last_error ? s->last_error : "-");
}

/* The chains a command is about: the one of --table, or every one of --job
 * (of every job for status without --job). */
static fv_status s_chains(const struct s_args *a, struct s_env *e, struct fv_export_states *out,
                          struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!a->table)
        return fv_export_state_list(e->central, e->cfg.control_table, a->job, out, err);
    struct fv_export_key key = {a->job, a->account, a->region ? a->region : e->cfg.region,
                                a->table};
    out->items = fv_calloc(1, sizeof(*out->items));
    out->n = 1;
    return fv_export_state_get(e->central, e->cfg.control_table, &key, &out->items[0], err);
}

static int s_status(const struct s_args *a, struct s_env *e)
{
    struct fv_export_states l;
    struct fv_error err;
    if (s_chains(a, e, &l, &err) != FV_OK) {
        fprintf(stderr, "fleetvault exports status: %s\n", err.message);
        fv_export_states_clean_up(&l);
        return 1;
    }
    int64_t now = fv_clock_now_ms(fv_clock_system());
    s_print_header();
    for (size_t i = 0; i < l.n; i++)
        s_print(&e->cfg, &l.items[i], now);
    if (l.n == 0)
        printf("(no export chains%s%s)\n", a->job ? " of job " : "", a->job ? a->job : "");
    fv_export_states_clean_up(&l);
    return 0;
}

static int s_action(const struct s_args *a, struct s_env *e, enum fv_export_workflow_action act)
{
    struct fv_export_states l;
    struct fv_error err;
    if (s_chains(a, e, &l, &err) != FV_OK) {
        fprintf(stderr, "fleetvault exports %s: %s\n", a->verb, err.message);
        fv_export_states_clean_up(&l);
        return 1;
    }
    int rc = 0;
    int64_t now = fv_clock_now_ms(fv_clock_system());
    if (l.n == 0)
        printf("(no export chains of job %s)\n", a->job);
    for (size_t i = 0; i < l.n; i++) {
        const struct fv_export_state *s = &l.items[i];
        struct fv_export_key key = {s->job, s->account, s->region, s->table};
        enum fv_export_outcome o;
        if (fv_export_state_set_action(e->central, e->cfg.control_table, &key, act, now, &o, NULL,
                                       &err) != FV_OK) {
            fprintf(stderr, "fleetvault exports %s: %s/%s/%s: %s\n", a->verb, s->account, s->region,
                    s->table, err.message);
            rc = 1;
            continue;
        }
        printf("%s %s/%s/%s: workflow-action %s%s\n", s->job, s->account, s->region, s->table,
               fv_export_workflow_action_str(act), o == FV_EXPORT_ALREADY ? " (already)" : "");
    }
    fv_export_states_clean_up(&l);
    return rc;
}

static int s_import(const struct s_args *a, struct s_env *e)
{
    struct fv_error err;
    const char *region = a->region ? a->region : e->cfg.region;
    struct fv_aws_client *member = fv_fleet_client(e->clients, a->account, region, &err);
    if (!member) {
        fprintf(stderr, "fleetvault exports import-state: account %s: %s\n", a->account,
                err.message);
        return 1;
    }
    struct fv_export_key key = {a->job, a->account, region, a->table};
    struct fv_export_state s = {0};
    int64_t now = fv_clock_now_ms(fv_clock_system());
    fv_status st = fv_export_import_seed(member, e->central, e->cfg.control_table, &key, a->alias,
                                         a->overwrite, now, &s, &err);
    if (st != FV_OK) {
        if (fv_dynamodb_is_conditional_failure(&err))
            fprintf(stderr,
                    "fleetvault exports import-state: %s/%s/%s already has a chain in "
                    "the control table (--overwrite replaces it)\n",
                    a->account, region, a->table);
        else
            fprintf(stderr, "fleetvault exports import-state: %s\n", err.message);
        return st == FV_E_NOTFOUND || st == FV_E_PARSE ? 2 : 1;
    }
    printf("imported /incremental-export/%s/ into the control table:\n", a->alias);
    s_print_header();
    s_print(&e->cfg, &s, now);
    fv_export_state_clean_up(&s);
    return 0;
}

static int s_parse(int argc, char **argv, struct s_args *a)
{
    const struct fv_cli_opt opts[] = {
        {"config", &a->config, NULL},       {"job", &a->job, NULL},
        {"table", &a->table, NULL},         {"account", &a->account, NULL},
        {"region", &a->region, NULL},       {"alias", &a->alias, NULL},
        {"overwrite", NULL, &a->overwrite}, {NULL, NULL, NULL}};
    int rc = fv_cli_parse(argc, argv, opts, S_USAGE, NULL);
    if (rc >= 0)
        return rc;
    const char *bad = NULL;
    bool status = strcmp(a->verb, "status") == 0;
    bool import = strcmp(a->verb, "import-state") == 0;
    if (!status && !a->job)
        bad = "--job is required";
    else if (a->table && (!a->account || (!a->job && status)))
        bad = "--table needs --account (and --job)";
    else if (!a->table && (a->account || a->region))
        bad = "--account and --region go with --table";
    else if (import && (!a->table || !a->alias))
        bad = "import-state needs --table, --account and --alias";
    if (bad) {
        fprintf(stderr, "fleetvault exports %s: %s\n%s", a->verb, bad, S_USAGE);
        return 2;
    }
    return -1;
}

int fv_cli_exports(int argc, char **argv)
{
    static const char *const verbs[] = {"status", "pause", "resume", "reset", "import-state"};
    struct s_args a = {0};
    for (size_t i = 0; argc >= 2 && i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(argv[1], verbs[i]) == 0)
            a.verb = verbs[i];
    if (!a.verb) {
        fputs(S_USAGE, argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    int rc = s_parse(argc - 1, argv + 1, &a);
    if (rc >= 0)
        return rc;
    struct s_env e;
    rc = s_env_open(&a, &e);
    if (rc == 0) {
        if (strcmp(a.verb, "status") == 0)
            rc = s_status(&a, &e);
        else if (strcmp(a.verb, "import-state") == 0)
            rc = s_import(&a, &e);
        else
            rc = s_action(&a, &e,
                          strcmp(a.verb, "pause") == 0   ? FV_EXPORT_PAUSE
                          : strcmp(a.verb, "reset") == 0 ? FV_EXPORT_RESET
                                                         : FV_EXPORT_RUN);
    }
    s_env_clean_up(&e);
    return rc;
}

/* fleetvault aws-check [--config F]: STS GetCallerIdentity for every
 * configured account (through its role when it has one), or for the default
 * credential chain in the default region. Exit 0 only when all succeed. */
#include "cli.h"
#include "common.h"

#include <fv/aws.h>
#include <fv/config.h>
#include <fv/credentials.h>
#include <fv/fleet.h>
#include <fv/log.h>
#include <fv/sts.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_usage[] =
    "usage: fleetvault aws-check [--config FILE] [--verbose]\n"
    "  Calls STS GetCallerIdentity for every account in FILE (assuming each\n"
    "  account's role), or for the default credential chain when no FILE.\n";

/* Checks one account × region; prints one line; returns true on success. */
/* env carries the configuration's HTTP options (NULL without a file). */
static bool s_check(struct fv_creds_provider *base, const char *region,
                    const struct fv_config_account *acct, const struct fv_config *cfg,
                    const struct fv_creds_env *env)
{
    struct fv_error err = {0};
    struct fv_creds_provider *creds = NULL;
    struct fv_aws_client *client = NULL;
    struct fv_caller_identity id = {0};
    bool ok = false;
    const char *label = acct ? acct->id : "default";
    const char *name = acct ? acct->name : "credential chain";

    struct fv_aws_client_options o = {.region = region, .account_id = label};
    if (cfg) {
        fv_retry_options_default(&o.retry);
        o.retry.max_attempts = (int)cfg->max_attempts;
    }
    if (env && env->http)
        o.http = *env->http;
    if (acct && acct->role_arn)
        creds = fv_creds_assume_role(base, region, acct->role_arn, acct->external_id,
                                     acct->session_name, env);
    else
        creds = fv_creds_ref(base);
    o.creds = creds;
    client = fv_aws_client_new(&o, &err);
    if (client && fv_sts_get_caller_identity(client, &id, &err) == FV_OK) {
        if (acct && strcmp(id.account, acct->id) != 0) {
            fv_error_set(&err, FV_E_INVALID,
                         "credentials act in account %s, not the configured %s (check role_arn)",
                         id.account, acct->id);
        } else {
            ok = true;
        }
    }
    if (ok)
        printf("ok    %-12s %-20s %-14s %s\n", id.account, name, region, id.arn);
    else
        printf("FAIL  %-12s %-20s %-14s %s\n", label, name, region, err.message);
    fflush(stdout);
    fv_caller_identity_clean_up(&id);
    fv_aws_client_destroy(client);
    fv_creds_unref(creds);
    return ok;
}

int fv_cli_aws_check(int argc, char **argv)
{
    const char *config_path = NULL;
    bool verbose = false;
    const struct fv_cli_opt opts[] = {
        {"config", &config_path, NULL}, {"verbose", NULL, &verbose}, {NULL, NULL, NULL}};
    int rc = fv_cli_parse(argc, argv, opts, s_usage, NULL);
    if (rc >= 0)
        return rc;
    if (verbose)
        fv_log_set_level(FV_LOG_DEBUG);
    if (optind < argc) {
        fprintf(stderr, "fleetvault aws-check: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }

    struct fv_config cfg = {0};
    struct fv_error err = {0};
    const char *region = NULL;
    if (config_path) {
        if (fv_config_load(config_path, &cfg, &err) != FV_OK) {
            fprintf(stderr, "fleetvault: %s\n", err.message);
            return 2;
        }
        region = cfg.region;
    } else {
        region = getenv("AWS_REGION");
        if (!region || !*region)
            region = getenv("AWS_DEFAULT_REGION");
        if (!region || !*region) {
            fprintf(stderr, "fleetvault: no AWS region: set AWS_REGION or use --config\n");
            return 2;
        }
    }

    /* Every call, the credentials' STS calls too, with the configuration's
     * CA bundle and timeouts: what the backup itself will use. */
    struct fv_http_options http;
    struct fv_creds_env env = {0};
    if (config_path) {
        fv_fleet_http_options(&cfg, &http);
        env.http = &http;
    }
    struct fv_creds_provider *base =
        fv_creds_default_chain(config_path ? cfg.profile : NULL, region, &env);
    int failures = 0, checks = 0;
    if (!config_path || cfg.n_accounts == 0) {
        checks++;
        failures += !s_check(base, region, NULL, config_path ? &cfg : NULL, &env);
    }
    for (size_t i = 0; i < cfg.n_accounts; i++) {
        const struct fv_config_account *a = &cfg.accounts[i];
        if (a->n_regions == 0) {
            checks++;
            failures += !s_check(base, region, a, &cfg, &env);
        }
        for (size_t r = 0; r < a->n_regions; r++) {
            checks++;
            failures += !s_check(base, a->regions[r], a, &cfg, &env);
        }
    }
    printf("%d of %d checks passed\n", checks - failures, checks);
    fv_creds_unref(base);
    fv_config_clean_up(&cfg);
    return failures ? 1 : 0;
}

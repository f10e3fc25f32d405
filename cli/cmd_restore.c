/* fleetvault restore dynamodb --backup-arn A --target-table T [--config F]:
 * fv_restore_table_start and _wait (lib/restore/restore_dynamodb.c). */
#include "cli.h"
#include "common.h"

#include <fv/fleet.h>
#include <fv/restore.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static int s_restore_dynamodb(int argc, char **argv)
{
    const char *arn = NULL, *target = NULL, *config = NULL, *timeout = NULL;
    const struct fv_cli_opt opts[] = {{"backup-arn", &arn, NULL},
                                      {"target-table", &target, NULL},
                                      {"config", &config, NULL},
                                      {"timeout", &timeout, NULL},
                                      {NULL, NULL, NULL}};
    int rc = fv_cli_parse(argc, argv, opts,
                          "usage: fleetvault restore dynamodb --backup-arn ARN --target-table "
                          "NAME [--config FILE] [--timeout S]\n",
                          NULL);
    if (rc >= 0)
        return rc;
    int timeout_s = timeout ? (int)fv_i64_or(timeout, -1) : 1800;
    if (timeout_s < 0) {
        fprintf(stderr, "fleetvault restore dynamodb: --timeout must be seconds\n");
        return 2;
    }
    char *region = arn ? fv_arn_part(arn, 3) : NULL;
    char *account = arn ? fv_arn_part(arn, 4) : NULL;
    if (!arn || !target || !region || !account || strncmp(arn, "arn:", 4) != 0) {
        fprintf(stderr, "fleetvault restore dynamodb: --backup-arn (a DynamoDB backup ARN) and "
                        "--target-table are required\n");
        free(region);
        free(account);
        return 2;
    }
    struct fv_config cfg = {0};
    struct fv_error err;
    rc = 0;
    if (config) {
        rc = fv_cli_load_config(config, &cfg);
    } else {
        struct json_object *doc = json_object_new_object();
        json_object_object_add(doc, "region", json_object_new_string(region));
        if (fv_config_from_doc("(defaults)", doc, &cfg, &err) != FV_OK) {
            fprintf(stderr, "fleetvault: %s\n", err.message);
            rc = 2;
        }
        json_object_put(doc);
    }
    if (rc) {
        free(region);
        free(account);
        return rc;
    }
    struct fv_restore_fleet f = {.fleet = fv_fleet_new(&cfg, &err)};
    if (!f.fleet) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
        fv_config_clean_up(&cfg);
        free(region);
        free(account);
        return 2;
    }
    fv_cli_install_signals();
    struct fv_http_engine *engine = fv_fleet_engine_new(f.fleet);
    f.clients = fv_fleet_clients_new(f.fleet, engine);
    struct fv_restore_aws aws;
    fv_restore_aws_fleet(&f, &aws);
    struct fv_restore_table req = {.backup_arn = arn,
                                   .target_table = target,
                                   .timeout_ms = (int64_t)timeout_s * 1000,
                                   .stop = &fv_cli_stop};
    struct fv_dynamodb_table t = {0};
    rc = 1;
    if (fv_restore_table_start(&aws, &req, &err) != FV_OK) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
    } else {
        printf("restoring %s into table %s (%s)\n", arn, target, account);
        fflush(stdout);
        if (fv_restore_table_wait(&aws, &req, &t, &err) == FV_OK) {
            printf("table %s is ACTIVE (%lld items)\n", target, (long long)t.item_count);
            rc = 0;
        } else {
            fprintf(stderr, "fleetvault: %s\n", err.message);
        }
    }
    fv_dynamodb_table_clean_up(&t);
    fv_fleet_clients_destroy(f.clients);
    fv_http_engine_destroy(engine);
    fv_fleet_destroy(f.fleet);
    fv_config_clean_up(&cfg);
    free(region);
    free(account);
    return rc;
}

static const char s_usage[] =
    "usage: fleetvault restore dynamodb --backup-arn ARN --target-table NAME [--config FILE] "
    "[--timeout S]\n"
    "       fleetvault restore dynamodb --from-exports s3://BUCKET/PREFIX --target-table NAME "
    "[--to TIME] [--overwrite] [--config FILE]\n"
    "       fleetvault restore quicksight --manifest FILE --config FILE ... (--help: its "
    "options)\n";

int fv_cli_restore(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "quicksight") == 0)
        return fv_cli_restore_quicksight(argc - 1, argv + 1);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("%s", s_usage);
            return 0;
        }
    if (argc >= 2 && strcmp(argv[1], "dynamodb") == 0) {
        for (int i = 2; i < argc; i++)
            if (strncmp(argv[i], "--from-exports", 14) == 0)
                return fv_cli_restore_exports(argc - 1, argv + 1);
        return s_restore_dynamodb(argc - 1, argv + 1);
    }
    fprintf(stderr, "%s", s_usage);
    return 2;
}

/* fleetvault restore dynamodb --backup-arn A --target-table T [--config F]:
 * RestoreTableFromBackup, then waits until the new table is ACTIVE. */
#include "cli.h"
#include "common.h"

#include <fv/dynamodb.h>
#include <fv/fleet.h>

#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int s_restore_dynamodb(int argc, char **argv)
{
    static const struct option opts[] = {{"backup-arn", required_argument, NULL, 'b'},
                                         {"target-table", required_argument, NULL, 't'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"timeout", required_argument, NULL, 'T'},
                                         {NULL, 0, NULL, 0}};
    const char *arn = NULL, *target = NULL, *config = NULL;
    int timeout_s = 1800, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:t:c:T:", opts, NULL)) != -1) {
        switch (c) {
        case 'b': arn = optarg; break;
        case 't': target = optarg; break;
        case 'c': config = optarg; break;
        case 'T':
            timeout_s = (int)fv_i64_or(optarg, -1);
            if (timeout_s < 0) {
                fprintf(stderr, "fleetvault restore dynamodb: --timeout must be seconds\n");
                return 2;
            }
            break;
        default:
            fprintf(stderr, "usage: fleetvault restore dynamodb --backup-arn ARN --target-table "
                            "NAME [--config FILE] [--timeout S]\n");
            return 2;
        }
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
    int rc = 0;
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
    struct fv_fleet *fleet = fv_fleet_new(&cfg, &err);
    struct fv_http_engine *engine = fv_fleet_engine_new(fleet);
    struct fv_fleet_clients *clients = fv_fleet_clients_new(fleet, engine);
    struct fv_aws_client *cl = fv_fleet_client(clients, account, region, &err);
    struct fv_dynamodb_table t = {0};
    rc = 1;
    if (cl && fv_dynamodb_restore_table(cl, arn, target, &t, &err) == FV_OK) {
        printf("restoring %s into table %s (%s)\n", arn, target, account);
        fflush(stdout);
        for (int waited = 0; waited <= timeout_s; waited += 2) {
            fv_dynamodb_table_clean_up(&t);
            if (fv_dynamodb_describe_table(cl, target, &t, &err) != FV_OK)
                break;
            if (t.status && strcmp(t.status, "ACTIVE") == 0) {
                printf("table %s is ACTIVE (%lld items)\n", target, (long long)t.item_count);
                rc = 0;
                break;
            }
            struct timespec ts = {2, 0};
            nanosleep(&ts, NULL);
        }
        if (rc)
            fprintf(stderr, "fleetvault: table %s not ACTIVE: %s\n", target,
                    err.message[0] ? err.message : "timed out");
    } else {
        fprintf(stderr, "fleetvault: %s\n", err.message);
    }
    fv_dynamodb_table_clean_up(&t);
    fv_fleet_clients_destroy(clients);
    fv_http_engine_destroy(engine);
    fv_fleet_destroy(fleet);
    fv_config_clean_up(&cfg);
    free(region);
    free(account);
    return rc;
}

int fv_cli_restore(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "dynamodb") == 0)
        return s_restore_dynamodb(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "quicksight") == 0)
        return fv_cli_restore_quicksight(argc - 1, argv + 1);
    fprintf(stderr, "usage: fleetvault restore dynamodb --backup-arn ARN --target-table NAME\n"
                    "       fleetvault restore quicksight --manifest FILE --config FILE ...\n");
    return 2;
}

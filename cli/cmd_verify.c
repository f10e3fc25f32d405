/* fleetvault verify --manifest M [--config F]: re-reads everything a run's
 * manifest lists — every S3 object in full (size and SHA-256, like restic
 * check --read-data) and every DynamoDB backup (still AVAILABLE) — and says
 * what does not match. Exit 0 only when everything does. */
#include "cli.h"
#include "common.h"

#include <fv/doc.h>
#include <fv/dynamodb.h>
#include <fv/fleet.h>
#include <fv/s3.h>

#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static fv_status s_discard(void *ud, const char *data, size_t n, struct fv_error *err)
{
    (void)ud;
    (void)data;
    (void)n;
    (void)err;
    return FV_OK;
}

static const char *s_str(struct json_object *o, const char *k)
{
    struct json_object *v;
    return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : NULL;
}

int fv_cli_verify(int argc, char **argv)
{
    static const struct option opts[] = {{"manifest", required_argument, NULL, 'm'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *manifest = NULL, *config = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': manifest = optarg; break;
        case 'c': config = optarg; break;
        default:
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: fleetvault verify --manifest FILE [--config FILE]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (!manifest) {
        fprintf(stderr, "fleetvault verify: --manifest FILE is required\n");
        return 2;
    }
    struct fv_config cfg = {0};
    struct fv_error err;
    if (config) {
        int rc = fv_cli_load_config(config, &cfg);
        if (rc)
            return rc;
    } else {
        /* Without a fleet config: the default credentials act everywhere. */
        struct json_object *empty = json_object_new_object();
        fv_status st = fv_config_from_doc("(defaults)", empty, &cfg, &err);
        json_object_put(empty);
        if (st != FV_OK) {
            fprintf(stderr, "fleetvault: %s\n", err.message);
            return 2;
        }
    }
    struct json_object *doc = NULL;
    if (fv_doc_load(manifest, &doc, &err) != FV_OK) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
        fv_config_clean_up(&cfg);
        return 2;
    }
    struct json_object *resources = NULL;
    if (!json_object_object_get_ex(doc, "resources", &resources) ||
        !json_object_is_type(resources, json_type_array)) {
        fprintf(stderr, "fleetvault: %s: resources: missing or not a list\n", manifest);
        json_object_put(doc);
        fv_config_clean_up(&cfg);
        return 2;
    }
    struct fv_fleet *fleet = fv_fleet_new(&cfg, &err);
    struct fv_http_engine *engine = fv_fleet_engine_new(fleet);
    struct fv_fleet_clients *clients = fv_fleet_clients_new(fleet, engine);
    size_t checked = 0, bad = 0;
    for (size_t i = 0; i < json_object_array_length(resources); i++) {
        struct json_object *res = json_object_array_get_idx(resources, i);
        const char *account = s_str(res, "account");
        const char *region = s_str(res, "region");
        struct json_object *outs = NULL;
        if (!json_object_object_get_ex(res, "outputs", &outs) || !outs)
            continue;
        for (size_t k = 0; k < json_object_array_length(outs); k++) {
            struct json_object *o = json_object_array_get_idx(outs, k);
            const char *key = s_str(o, "object_key"), *bucket = s_str(o, "bucket");
            const char *arn = s_str(o, "backup_arn"), *action = s_str(o, "action");
            if (key && bucket) {
                checked++;
                const char *central = fv_fleet_central_account(fleet, &err);
                struct fv_aws_client *cl =
                    central ? fv_fleet_client(clients, central, cfg.region, &err) : NULL;
                struct fv_s3_get_result got = {0};
                const char *want_sha = s_str(o, "sha256");
                struct json_object *sz = NULL;
                int64_t want_size =
                    json_object_object_get_ex(o, "size", &sz) ? json_object_get_int64(sz) : -1;
                if (!cl ||
                    fv_s3_get_object(cl, bucket, key, s_discard, NULL, &got, &err) != FV_OK) {
                    printf("BAD   s3://%s/%s: %s\n", bucket, key, err.message);
                    bad++;
                } else if ((want_size >= 0 && (int64_t)got.size != want_size) ||
                           (want_sha && strcmp(want_sha, got.sha256_hex) != 0)) {
                    printf("BAD   s3://%s/%s: %llu bytes sha256 %s, manifest says %lld bytes "
                           "sha256 %s\n",
                           bucket, key, (unsigned long long)got.size, got.sha256_hex,
                           (long long)want_size, want_sha ? want_sha : "-");
                    bad++;
                } else {
                    printf("ok    s3://%s/%s (%llu bytes)\n", bucket, key,
                           (unsigned long long)got.size);
                }
                fv_s3_get_result_clean_up(&got);
            } else if (arn && !(action && strcmp(action, "deleted") == 0)) {
                checked++;
                char *arn_region = fv_arn_part(arn, 3), *arn_account = fv_arn_part(arn, 4);
                struct fv_aws_client *cl =
                    fv_fleet_client(clients, arn_account ? arn_account : account,
                                    arn_region ? arn_region : (region ? region : cfg.region), &err);
                struct fv_dynamodb_backup b = {0};
                if (!cl || fv_dynamodb_describe_backup(cl, arn, &b, &err) != FV_OK) {
                    printf("BAD   %s: %s\n", arn, err.message);
                    bad++;
                } else if (b.status != FV_DDB_BACKUP_AVAILABLE) {
                    printf("BAD   %s: %s\n", arn, fv_dynamodb_backup_status_str(b.status));
                    bad++;
                } else {
                    printf("ok    %s\n", arn);
                }
                fv_dynamodb_backup_clean_up(&b);
                free(arn_region);
                free(arn_account);
            }
        }
    }
    printf("%zu of %zu verified\n", checked - bad, checked);
    fv_fleet_clients_destroy(clients);
    fv_http_engine_destroy(engine);
    fv_fleet_destroy(fleet);
    json_object_put(doc);
    fv_config_clean_up(&cfg);
    return bad ? 1 : 0;
}

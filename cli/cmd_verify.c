/* fleetvault verify --manifest M [--config F]: fv_verify_manifest
 * (lib/restore/verify.c) over the fleet, printed. Exit 0 only when
 * everything matches; 1 when something does not; 2 on bad input. */
#include "cli.h"
#include "common.h"

#include <fv/fleet.h>
#include <fv/verify.h>

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static void s_print(void *ud, const struct fv_verify_item *it)
{
    (void)ud;
    const struct fv_manifest_output *o = it->output;
    if (!it->ok)
        printf("BAD   %s\n", it->err.message);
    else if (it->kind == FV_VERIFY_OBJECT)
        printf("ok    s3://%s/%s (%llu bytes)\n", o->bucket, o->object_key,
               (unsigned long long)it->size);
    else
        printf("ok    %s\n", o->backup_arn);
    fflush(stdout);
}

int fv_cli_verify(int argc, char **argv)
{
    const char *manifest = NULL, *config = NULL;
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--exports", 9) == 0)
            return fv_cli_verify_exports(argc, argv);
    const struct fv_cli_opt opts[] = {
        {"manifest", &manifest, NULL}, {"config", &config, NULL}, {NULL, NULL, NULL}};
    int rc = fv_cli_parse(argc, argv, opts,
                          "usage: fleetvault verify --manifest FILE [--config FILE]\n"
                          "       fleetvault verify --exports s3://BUCKET/PREFIX [--config FILE]\n",
                          NULL);
    if (rc >= 0)
        return rc;
    if (!manifest) {
        fprintf(stderr, "fleetvault verify: --manifest FILE is required\n");
        return 2;
    }
    struct fv_config cfg = {0};
    struct fv_error err;
    if (config) {
        rc = fv_cli_load_config(config, &cfg);
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
    struct fv_manifest m;
    if (fv_manifest_load(manifest, &m, &err) != FV_OK) {
        fprintf(stderr, "fleetvault verify: %s\n", err.message);
        fv_config_clean_up(&cfg);
        return 2;
    }
    struct fv_restore_fleet f = {.fleet = fv_fleet_new(&cfg, &err)};
    if (!f.fleet) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
        fv_manifest_clean_up(&m);
        fv_config_clean_up(&cfg);
        return 2;
    }
    struct fv_http_engine *engine = fv_fleet_engine_new(f.fleet);
    f.clients = fv_fleet_clients_new(f.fleet, engine);
    struct fv_restore_aws aws;
    fv_restore_aws_fleet(&f, &aws);
    struct fv_verify_report report;
    fv_verify_manifest(&aws, &m, cfg.region, s_print, NULL, &report);
    printf("%zu of %zu verified\n", report.n - report.n_bad, report.n);
    size_t bad = report.n_bad;
    fv_verify_report_clean_up(&report);
    fv_fleet_clients_destroy(f.clients);
    fv_http_engine_destroy(engine);
    fv_fleet_destroy(f.fleet);
    fv_manifest_clean_up(&m);
    fv_config_clean_up(&cfg);
    return bad ? 1 : 0;
}

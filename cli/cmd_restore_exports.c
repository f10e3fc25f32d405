/* fleetvault restore dynamodb --from-exports s3://B/P --target-table T
 * [--to TIME] [--overwrite] [--config F], and fleetvault verify --exports
 * s3://B/P [--config F]: lib/restore/restore_exports.c over the fleet. */
#include "cli.h"
#include "common.h"

#include <fv/export_restore.h>
#include <fv/fleet.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct s_fleet {
    struct fv_config cfg;
    struct fv_restore_fleet f;
    struct fv_http_engine *engine;
    struct fv_restore_aws aws;
};

static int s_fleet_open(const char *config, struct s_fleet *s)
{
    struct fv_error err;
    memset(s, 0, sizeof(*s));
    if (config) {
        int rc = fv_cli_load_config(config, &s->cfg);
        if (rc)
            return rc;
    } else {
        struct json_object *empty = json_object_new_object();
        fv_status st = fv_config_from_doc("(defaults)", empty, &s->cfg, &err);
        json_object_put(empty);
        if (st != FV_OK) {
            fprintf(stderr, "fleetvault: %s\n", err.message);
            return 2;
        }
    }
    s->f.fleet = fv_fleet_new(&s->cfg, &err);
    if (!s->f.fleet) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
        fv_config_clean_up(&s->cfg);
        return 2;
    }
    s->engine = fv_fleet_engine_new(s->f.fleet);
    s->f.clients = fv_fleet_clients_new(s->f.fleet, s->engine);
    fv_restore_aws_fleet(&s->f, &s->aws);
    return 0;
}

static void s_fleet_close(struct s_fleet *s)
{
    fv_fleet_clients_destroy(s->f.clients);
    fv_http_engine_destroy(s->engine);
    fv_fleet_destroy(s->f.fleet);
    fv_config_clean_up(&s->cfg);
}

/* "s3://bucket/prefix/" → bucket, prefix (no slashes at its ends; caller frees). */
static bool s_s3_url(const char *url, char **bucket, char **prefix)
{
    *bucket = *prefix = NULL;
    if (!url || strncmp(url, "s3://", 5) != 0 || !url[5] || url[5] == '/')
        return false;
    const char *b = url + 5, *slash = strchr(b, '/');
    *bucket = slash ? fv_strndup(b, (size_t)(slash - b)) : fv_strdup(b);
    const char *p = slash ? slash + 1 : "";
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == '/')
        n--;
    *prefix = fv_strndup(p, n);
    return true;
}

int fv_cli_restore_exports(int argc, char **argv)
{
    const char *from = NULL, *target = NULL, *to = NULL, *config = NULL;
    bool overwrite = false;
    const struct fv_cli_opt opts[] = {
        {"from-exports", &from, NULL},   {"target-table", &target, NULL}, {"to", &to, NULL},
        {"overwrite", NULL, &overwrite}, {"config", &config, NULL},       {NULL, NULL, NULL}};
    int rc = fv_cli_parse(argc, argv, opts,
                          "usage: fleetvault restore dynamodb --from-exports s3://BUCKET/PREFIX "
                          "--target-table NAME [--to TIME] [--overwrite] [--config FILE]\n",
                          NULL);
    if (rc >= 0)
        return rc;
    char *bucket, *prefix;
    if (!s_s3_url(from, &bucket, &prefix) || !target) {
        fprintf(stderr, "fleetvault restore dynamodb: --from-exports s3://BUCKET/PREFIX and "
                        "--target-table are required\n");
        free(bucket);
        free(prefix);
        return 2;
    }
    int64_t to_ms = to ? fv_export_time_parse_ms(to) : 0;
    if (to && to_ms <= 0) {
        fprintf(stderr,
                "fleetvault restore dynamodb: --to '%s' is not an ISO 8601 time "
                "(2026-12-03T14:00:00Z)\n",
                to);
        free(bucket);
        free(prefix);
        return 2;
    }
    struct s_fleet s;
    rc = s_fleet_open(config, &s);
    if (rc) {
        free(bucket);
        free(prefix);
        return rc;
    }
    fv_cli_install_signals();
    struct fv_export_restore req = {.bucket = bucket,
                                    .prefix = prefix,
                                    .target_table = target,
                                    .to_ms = to_ms,
                                    .overwrite = overwrite,
                                    .clock = fv_clock_system()};
    struct fv_export_restore_result res;
    struct fv_error err;
    rc = 1;
    if (fv_export_restore_run(&s.aws, &req, &res, &err) != FV_OK) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
    } else {
        char when[21];
        fv_time_iso8601(res.reached_ms / 1000, when);
        printf("table %s (%s, %s) restored to %s from %zu exports: %llu puts, %llu deletes\n",
               target, res.account, res.region, when, res.exports, (unsigned long long)res.puts,
               (unsigned long long)res.deletes);
        if (to_ms && res.reached_ms < to_ms)
            printf("note: the chain's last window before --to ends at %s\n", when);
        rc = 0;
    }
    fv_export_restore_result_clean_up(&res);
    s_fleet_close(&s);
    free(bucket);
    free(prefix);
    return rc;
}

static void s_print(void *ud, const char *line)
{
    (void)ud;
    if (strncmp(line, "warning: ", 9) == 0) /* not a mismatch: exit 0 stays */
        printf("WARN  %s\n", line + 9);
    else
        printf("BAD   %s\n", line);
    fflush(stdout);
}

int fv_cli_verify_exports(int argc, char **argv)
{
    const char *url = NULL, *config = NULL;
    const struct fv_cli_opt opts[] = {
        {"exports", &url, NULL}, {"config", &config, NULL}, {NULL, NULL, NULL}};
    int rc = fv_cli_parse(argc, argv, opts,
                          "usage: fleetvault verify --exports s3://BUCKET/PREFIX [--config FILE]\n",
                          NULL);
    if (rc >= 0)
        return rc;
    char *bucket, *prefix;
    if (!s_s3_url(url, &bucket, &prefix)) {
        fprintf(stderr, "fleetvault verify: --exports s3://BUCKET/PREFIX is required\n");
        return 2;
    }
    struct s_fleet s;
    rc = s_fleet_open(config, &s);
    if (!rc) {
        struct fv_export_verify_result res;
        struct fv_error err;
        if (fv_export_verify_run(&s.aws, bucket, prefix, s_print, NULL, &res, &err) != FV_OK) {
            fprintf(stderr, "fleetvault: %s\n", err.message);
            rc = 1;
        } else {
            printf("%zu exports, %zu of %zu data files verified (%llu bytes)\n", res.exports,
                   res.files - res.bad, res.files, (unsigned long long)res.bytes);
            rc = res.bad ? 1 : 0;
        }
        s_fleet_close(&s);
    }
    free(bucket);
    free(prefix);
    return rc;
}

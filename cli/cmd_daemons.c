/* fleetvault worker / fleetvault coordinator: the long-running daemons, each
 * with /healthz, /readyz and /metrics when metrics.port is set. */
#include "cli.h"
#include "common.h"

#include <coordinator.h>
#include <worker.h>

#include <fv/fleet.h>
#include <fv/health.h>
#include <fv/log.h>
#include <fv/metrics.h>

#include <stdlib.h>
#include <string.h>

struct s_daemon {
    struct fv_config cfg;
    struct fv_fleet *fleet;
    struct fv_kafka_config kc;
    struct fv_metrics *metrics;
    struct fv_metrics_fleetvault fm;
    struct fv_health *health;
    struct fv_task_keys *keys;
    FILE *logf;
};

static bool s_ready(void *ud, struct fv_buf *reason)
{
    (void)ud;
    if (fv_cli_stop) {
        fv_buf_append_str(reason, "shutting down");
        return false;
    }
    return true;
}

/* Parses the common options; returns 0 to go on, else an exit code. */
static int s_setup(int argc, char **argv, const char *usage, struct s_daemon *d, int *concurrency)
{
    const char *config = NULL, *log_file = NULL, *conc = NULL;
    bool verbose = false;
    const struct fv_cli_opt opts[] = {{"config", &config, NULL},
                                      {"concurrency", &conc, NULL},
                                      {"verbose", NULL, &verbose},
                                      {"log-file", &log_file, NULL},
                                      {NULL, NULL, NULL}};
    int rc = fv_cli_parse(argc, argv, opts, usage, NULL);
    if (rc >= 0)
        return rc == 0 ? -1 : rc; /* --help: -1 */
    if (conc && (!concurrency || (*concurrency = (int)fv_i64_or(conc, 0)) < 1)) {
        fprintf(stderr, "fleetvault: --concurrency must be a positive number\n");
        return 2;
    }
    rc = fv_cli_load_config(config, &d->cfg);
    if (rc)
        return rc;
    if (verbose)
        fv_log_set_level(FV_LOG_DEBUG);
    if ((rc = fv_cli_log_file(log_file ? log_file : d->cfg.log_file, &d->logf)) != 0)
        return rc;
    if (strcmp(d->cfg.kafka_brokers, "embedded") == 0) {
        fprintf(stderr,
                "fleetvault: %s: kafka.brokers is 'embedded': the daemons need a Kafka "
                "cluster (FV_KAFKA_BROKERS=host:port,...); use `fleetvault backup` for "
                "an in-process run\n",
                d->cfg.path);
        return 2;
    }
    struct fv_error err;
    if (fv_task_keys_load(&d->cfg, false, &d->keys, &err) != FV_OK) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
        return 2;
    }
    fv_cli_install_signals();
    d->fleet = fv_fleet_new(&d->cfg, &err);
    fv_cli_kafka_config(&d->cfg, &d->kc);
    d->metrics = fv_metrics_new(0);
    fv_metrics_register_fleetvault(d->metrics, &d->fm);
    fv_fleet_set_metrics(d->fleet, &d->fm);
    if (d->cfg.metrics_port > 0) {
        struct fv_health_options ho = {.bind_address = d->cfg.metrics_bind,
                                       .port = (uint16_t)d->cfg.metrics_port,
                                       .metrics = d->metrics,
                                       .ready = s_ready};
        if (fv_health_start(&ho, &d->health, &err) != FV_OK) {
            fprintf(stderr, "fleetvault: metrics server: %s\n", err.message);
            return 2;
        }
    }
    return 0;
}

static void s_teardown(struct s_daemon *d)
{
    fv_health_stop(d->health);
    fv_metrics_destroy(d->metrics);
    fv_kafka_config_clean_up(&d->kc);
    fv_fleet_destroy(d->fleet);
    fv_task_keys_destroy(d->keys);
    fv_config_clean_up(&d->cfg);
    if (d->logf)
        fclose(d->logf);
}

int fv_cli_worker(int argc, char **argv)
{
    struct s_daemon d = {0};
    int concurrency = 0;
    int rc = s_setup(argc, argv,
                     "usage: fleetvault worker --config FILE [--concurrency N] [--verbose] "
                     "[--log-file FILE]\n",
                     &d, &concurrency);
    if (rc) {
        s_teardown(&d);
        return rc < 0 ? 0 : rc;
    }
    char name[160];
    fv_cli_instance_name("worker", name, sizeof(name));
    struct fv_buf instance = {0};
    struct fv_error err;
    if (d.cfg.kafka_group_instance_id &&
        fv_kafka_instance_id(d.cfg.kafka_group_instance_id, &instance, &err) != FV_OK) {
        fprintf(stderr, "fleetvault: %s: %s\n", d.cfg.path, err.message);
        s_teardown(&d);
        return 2;
    }
    struct fv_worker_options wo = {.cfg = &d.cfg,
                                   .fleet = d.fleet,
                                   .kafka = &d.kc,
                                   .concurrency =
                                       concurrency ? concurrency : (int)d.cfg.worker_concurrency,
                                   .name = name,
                                   .stop = &fv_cli_stop,
                                   .metrics = &d.fm,
                                   .max_delayed = (size_t)d.cfg.worker_max_delayed,
                                   .group_instance_id = instance.len ? instance.ptr : NULL,
                                   .keys = d.keys};
    struct fv_worker *w = fv_worker_new(&wo, &err);
    if (!w) {
        fprintf(stderr, "fleetvault: worker: %s\n", err.message);
        fv_buf_clean_up(&instance);
        s_teardown(&d);
        return 1;
    }
    fv_status st = fv_worker_run(w, &err);
    if (st != FV_OK)
        fprintf(stderr, "fleetvault: worker: %s\n", err.message);
    fv_worker_destroy(w);
    fv_buf_clean_up(&instance);
    s_teardown(&d);
    return st == FV_OK ? 0 : 1;
}

int fv_cli_coordinator(int argc, char **argv)
{
    struct s_daemon d = {0};
    int rc = s_setup(argc, argv,
                     "usage: fleetvault coordinator --config FILE [--verbose] [--log-file FILE]\n"
                     "Runs every job that has a schedule, at its times. One coordinator is\n"
                     "active at a time; others wait for its lease.\n",
                     &d, NULL);
    if (rc) {
        s_teardown(&d);
        return rc < 0 ? 0 : rc;
    }
    char name[160];
    fv_cli_instance_name("coordinator", name, sizeof(name));
    struct fv_coordinator_options co = {.cfg = &d.cfg,
                                        .fleet = d.fleet,
                                        .kafka = &d.kc,
                                        .name = name,
                                        .output_dir = ".",
                                        .progress = FV_PROGRESS_NONE,
                                        .lease_wait_s = 3600,
                                        .stop = &fv_cli_stop,
                                        .metrics = &d.fm,
                                        .keys = d.keys};
    struct fv_error err;
    fv_status st = fv_coordinator_daemon(&co, &err);
    if (st != FV_OK)
        fprintf(stderr, "fleetvault: coordinator: %s\n", err.message);
    s_teardown(&d);
    return st == FV_OK ? 0 : (st == FV_E_INVALID ? 2 : 1);
}

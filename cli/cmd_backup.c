/* fleetvault backup: one complete run of a job. With kafka.brokers
 * "embedded" the coordinator and the workers run in this process over an
 * in-process Kafka cluster (librdkafka's mock cluster) — the same producer
 * and consumer code as against a real cluster. */
#include "cli.h"
#include "common.h"

#include <coordinator.h>
#include <worker.h>

#include <fv/fleet.h>
#include <fv/log.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char s_usage[] =
    "usage: fleetvault backup --config FILE [--job NAME] [--dry-run]\n"
    "                         [--output-dir DIR] [--no-progress] [--verbose]\n"
    "                         [--log-file FILE] [--mode full|users-only|assets-only]\n"
    "Runs one complete backup run. Exit 0: every resource succeeded (or was\n"
    "skipped); 1: some failed; 2: configuration or credential errors.\n";

struct s_embedded_worker {
    struct fv_worker *w;
    pthread_t thread;
    volatile sig_atomic_t stop;
};

static void *s_worker_thread(void *arg)
{
    struct s_embedded_worker *ew = arg;
    struct fv_error err;
    if (fv_worker_run(ew->w, &err) != FV_OK)
        FV_LOG(FV_LOG_ERROR, "worker", "%s", err.message);
    return NULL;
}

int fv_cli_backup(int argc, char **argv)
{
    const char *config = NULL, *job_name = NULL, *output_dir = ".", *log_file = NULL;
    const char *mode = NULL;
    bool dry_run = false, no_progress = false, verbose = false;
    const struct fv_cli_opt opts[] = {{"config", &config, NULL},
                                      {"job", &job_name, NULL},
                                      {"dry-run", NULL, &dry_run},
                                      {"output-dir", &output_dir, NULL},
                                      {"no-progress", NULL, &no_progress},
                                      {"verbose", NULL, &verbose},
                                      {"log-file", &log_file, NULL},
                                      {"mode", &mode, NULL},
                                      {NULL, NULL, NULL}};
    int rc = fv_cli_parse(argc, argv, opts, s_usage, NULL);
    if (rc >= 0)
        return rc;
    bool progress = !no_progress;
    if (mode && strcmp(mode, "full") != 0 && strcmp(mode, "users-only") != 0 &&
        strcmp(mode, "assets-only") != 0) {
        fprintf(stderr, "fleetvault: --mode must be full, users-only or assets-only\n");
        return 2;
    }
    struct fv_config cfg;
    rc = fv_cli_load_config(config, &cfg);
    if (rc)
        return rc;
    if (verbose)
        fv_log_set_level(FV_LOG_DEBUG);
    FILE *logf = NULL;
    if ((rc = fv_cli_log_file(log_file ? log_file : cfg.log_file, &logf)) != 0) {
        fv_config_clean_up(&cfg);
        return rc;
    }
    const struct fv_config_job *job = NULL;
    if (job_name) {
        job = fv_config_job(&cfg, job_name);
        if (!job)
            fprintf(stderr, "fleetvault: %s: no job named '%s'\n", config, job_name);
    } else if (cfg.n_jobs == 1) {
        job = &cfg.jobs[0];
    } else {
        fprintf(stderr, "fleetvault: %s: %zu jobs: choose one with --job\n", config, cfg.n_jobs);
    }
    struct fv_error err = {0};
    struct fv_task_keys *keys = NULL;
    if (job &&
        fv_task_keys_load(&cfg, strcmp(cfg.kafka_brokers, "embedded") == 0, &keys, &err) != FV_OK) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
        job = NULL;
    }
    if (!job) {
        fv_config_clean_up(&cfg);
        if (logf)
            fclose(logf);
        return 2;
    }
    fv_cli_install_signals();

    struct fv_fleet *fleet = fv_fleet_new(&cfg, &err);
    struct fv_kafka_config kc;
    fv_cli_kafka_config(&cfg, &kc);
    struct fv_kafka_mock *mock = NULL;
    struct s_embedded_worker ew = {0};
    char name[160];
    fv_cli_instance_name("backup", name, sizeof(name));
    int exit_code = 1;

    /* Credentials first: a wrong key is a set-up error (exit 2), found before
     * anything is started or written. */
    if (!fv_fleet_central_account(fleet, &err)) {
        fprintf(stderr, "fleetvault: credentials: %s\n", err.message);
        exit_code = 2;
        goto out;
    }
    if (!dry_run && strcmp(kc.brokers, "embedded") == 0) {
        mock = fv_kafka_mock_start(3, &kc, &err);
        if (!mock) {
            fprintf(stderr, "fleetvault: embedded Kafka: %s\n", err.message);
            goto out;
        }
        free(kc.brokers);
        kc.brokers = fv_strdup(fv_kafka_mock_bootstraps(mock));
        kc.session_timeout_ms = 6000;
    }
    if (!dry_run && mock) {
        struct fv_worker_options wo = {.cfg = &cfg,
                                       .fleet = fleet,
                                       .kafka = &kc,
                                       .concurrency = (int)cfg.worker_concurrency,
                                       .max_delayed = (size_t)cfg.worker_max_delayed,
                                       .name = "embedded-worker",
                                       .stop = &ew.stop,
                                       .keys = keys};
        ew.w = fv_worker_new(&wo, &err);
        if (!ew.w) {
            fprintf(stderr, "fleetvault: worker: %s\n", err.message);
            goto out;
        }
        pthread_create(&ew.thread, NULL, s_worker_thread, &ew);
    }
    struct fv_coordinator_options co = {
        .cfg = &cfg,
        .fleet = fleet,
        .kafka = &kc,
        .name = name,
        .dry_run = dry_run,
        .output_dir = output_dir,
        .progress = !progress               ? FV_PROGRESS_NONE
                    : isatty(STDERR_FILENO) ? FV_PROGRESS_TTY
                                            : FV_PROGRESS_JSON,
        .lease_wait_s = 0,
        .stop = &fv_cli_stop,
        .mode = mode,
        .keys = keys,
    };
    struct fv_run_summary sum;
    fv_status st = fv_coordinator_run(&co, job, 0, &sum, &err);
    if (st != FV_OK) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
        exit_code = st == FV_E_AUTH ? 2 : 1;
    } else {
        if (!dry_run)
            fputs(sum.report, stdout);
        if (sum.manifest_path)
            printf("\nmanifest: %s\nreport:   %s\n", sum.manifest_path, sum.report_path);
        exit_code = sum.failed ? 1 : 0;
    }
    fv_run_summary_clean_up(&sum);
out:
    if (ew.w) {
        ew.stop = 1;
        pthread_join(ew.thread, NULL);
        fv_worker_destroy(ew.w);
    }
    fv_kafka_mock_stop(mock);
    fv_kafka_config_clean_up(&kc);
    fv_fleet_destroy(fleet);
    fv_task_keys_destroy(keys);
    fv_config_clean_up(&cfg);
    if (logf)
        fclose(logf);
    return exit_code;
}

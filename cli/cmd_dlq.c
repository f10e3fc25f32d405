/* fleetvault dlq --config F [--timeout S]: prints what is in the dead-letter
 * queue (one JSON envelope a line: reason, worker, partition, offset, key,
 * the original bytes in base64), reading from the beginning without moving
 * any consumer group the daemons use. Stops after --timeout seconds (default
 * 5) without a message. */
#include "cli.h"
#include "common.h"

#include <fv/clock.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fv_cli_dlq(int argc, char **argv)
{
    const char *config = NULL, *timeout = NULL;
    const struct fv_cli_opt opts[] = {
        {"config", &config, NULL}, {"timeout", &timeout, NULL}, {NULL, NULL, NULL}};
    int rc = fv_cli_parse(argc, argv, opts,
                          "usage: fleetvault dlq --config FILE [--timeout SECONDS]\n", NULL);
    if (rc >= 0)
        return rc;
    int timeout_s = timeout ? (int)fv_i64_or(timeout, -1) : 5;
    if (timeout_s < 0) {
        fprintf(stderr, "fleetvault dlq: --timeout must be a number of seconds\n");
        return 2;
    }
    struct fv_config cfg;
    rc = fv_cli_load_config(config, &cfg);
    if (rc)
        return rc;
    if (strcmp(cfg.kafka_brokers, "embedded") == 0) {
        fprintf(stderr,
                "fleetvault: %s: kafka.brokers is 'embedded': its DLQ lives only as "
                "long as its `fleetvault backup` process\n",
                config);
        fv_config_clean_up(&cfg);
        return 2;
    }
    struct fv_kafka_config kc;
    fv_cli_kafka_config(&cfg, &kc);
    char group[160];
    fv_cli_instance_name("dlq-reader", group, sizeof(group));
    struct fv_error err;
    struct fv_consumer *cons = fv_consumer_new(&kc, group, group, 1u << FV_TOPIC_DLQ, &err);
    size_t n = 0;
    rc = 0;
    if (!cons) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
        rc = 1;
    }
    /* Joining the group and getting partitions takes a few seconds; the idle
     * timeout counts from then. */
    int64_t idle_until =
        fv_clock_mono_ms(fv_clock_system()) + (int64_t)(timeout_s > 10 ? timeout_s : 10) * 1000;
    while (cons && fv_clock_mono_ms(fv_clock_system()) < idle_until) {
        struct fv_message m;
        int got = fv_consumer_poll(cons, 200, &m, &err);
        if (got < 0) {
            fprintf(stderr, "fleetvault: %s\n", err.message);
            rc = 1;
            break;
        }
        if (got == 1) {
            fwrite(m.value.ptr, 1, m.value.len, stdout);
            fputc('\n', stdout);
            n++;
            fv_consumer_done(cons, &m);
            idle_until = fv_clock_mono_ms(fv_clock_system()) + (int64_t)timeout_s * 1000;
        }
    }
    fflush(stdout);
    fprintf(stderr, "%zu messages in the DLQ\n", n);
    fv_consumer_close(cons);
    fv_kafka_config_clean_up(&kc);
    fv_config_clean_up(&cfg);
    return rc;
}

/* kafka_get BROKERS tasks|results|events|dlq IDLE_S: prints every message of
 * a fleetvault topic from the beginning, its value hex-encoded, one a line,
 * until IDLE_S seconds pass without one (the first wait is at least 10 s:
 * joining the group takes a few). Its own consumer group, so the daemons'
 * offsets do not move. For the end-to-end tests that read what travelled. */
#include <fv/clock.h>
#include <fv/kafka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *topics[] = {"tasks", "results", "events", "dlq"};
    int topic = -1;
    for (int i = 0; argc == 4 && i < 4; i++)
        if (strcmp(argv[2], topics[i]) == 0)
            topic = i;
    int64_t idle_s = argc == 4 ? fv_i64_or(argv[3], -1) : -1;
    if (topic < 0 || idle_s < 0) {
        fprintf(stderr, "usage: kafka_get BROKERS tasks|results|events|dlq IDLE_S\n");
        return 2;
    }
    struct fv_kafka_config kc;
    fv_kafka_config_init(&kc);
    kc.brokers = fv_strdup(argv[1]);
    char group[64];
    snprintf(group, sizeof(group), "kafka-get-%d", (int)getpid());
    struct fv_error err;
    struct fv_consumer *cons = fv_consumer_new(&kc, group, group, 1u << topic, &err);
    int rc = cons ? 0 : 1;
    if (!cons)
        fprintf(stderr, "kafka_get: %s\n", err.message);
    const struct fv_clock *clk = fv_clock_system();
    int64_t until = fv_clock_mono_ms(clk) + (idle_s > 10 ? idle_s : 10) * 1000;
    while (cons && fv_clock_mono_ms(clk) < until) {
        struct fv_message m;
        int got = fv_consumer_poll(cons, 200, &m, &err);
        if (got < 0) {
            fprintf(stderr, "kafka_get: %s\n", err.message);
            rc = 1;
            break;
        }
        if (got == 1) {
            const unsigned char *p = (const unsigned char *)m.value.ptr;
            for (size_t i = 0; i < m.value.len; i++)
                printf("%02x", p[i]);
            putchar('\n');
            fv_consumer_done(cons, &m);
            until = fv_clock_mono_ms(clk) + idle_s * 1000;
        }
    }
    fflush(stdout);
    fv_consumer_close(cons);
    fv_kafka_config_clean_up(&kc);
    return rc;
}

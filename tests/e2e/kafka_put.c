/* kafka_put BROKERS TOPIC KEY (--raw BYTES | --task-kind KIND): puts one
 * message on a fleetvault topic, for the end-to-end tests of bad input
 * (undecodable bytes, an unknown task kind). */
#include <fv/kafka.h>
#include <fv/task.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: kafka_put BROKERS tasks|results|events|dlq KEY --raw BYTES | "
                        "--task-kind KIND\n");
        return 2;
    }
    struct fv_kafka_config kc;
    fv_kafka_config_init(&kc);
    kc.brokers = fv_strdup(argv[1]);
    const char *topics[] = {"tasks", "results", "events", "dlq"};
    int topic = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(argv[2], topics[i]) == 0)
            topic = i;
    struct fv_buf value = {0};
    if (strcmp(argv[4], "--raw") == 0) {
        fv_buf_append_str(&value, argv[5]);
    } else if (strcmp(argv[4], "--task-kind") == 0) {
        struct fv_task t = {.task_id = "e2e-unknown-kind",
                            .run_id = "e2e",
                            .kind = argv[5],
                            .account = "111111111111",
                            .region = "us-east-1",
                            .resource = "nothing",
                            .attempt = 1};
        fv_task_encode(&t, &value);
    }
    struct fv_error err;
    struct fv_producer *p = topic >= 0 ? fv_producer_new(&kc, "kafka-put", &err) : NULL;
    int rc = 1;
    if (p &&
        fv_producer_send(p, (enum fv_topic)topic, FV_CUR_STR(argv[3]),
                         (struct fv_cur){value.ptr, value.len}, &err) == FV_OK &&
        fv_producer_flush(p, 30000, &err) == FV_OK)
        rc = 0;
    else
        fprintf(stderr, "kafka_put: %s\n", topic < 0 ? "unknown topic" : err.message);
    fv_producer_destroy(p);
    fv_buf_clean_up(&value);
    fv_kafka_config_clean_up(&kc);
    return rc;
}

/* kafka_put BROKERS TOPIC KEY (--raw BYTES | --hex HEX | --task JSON) [--keys RING]:
 * puts one message on a fleetvault topic, for the end-to-end tests of
 * untrusted input. --hex sends the bytes HEX spells (as kafka_get prints
 * them: a message read back is sent again byte for byte). --task builds a Task from JSON ({"kind",
 * "job", "run_id", "task_id", "account", "region", "resource", "step", "params": {...}}; a field
 * left out stays empty) and seals it with the key ring RING (the FV_TASK_SIGNING_KEYS format) —
 * without --keys it goes out unsigned. */
#include <fv/kafka.h>
#include <fv/seal.h>
#include <fv/task.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *s_field(struct json_object *o, const char *k)
{
    struct json_object *v;
    return json_object_object_get_ex(o, k, &v) ? fv_strdup(json_object_get_string(v)) : NULL;
}

static int s_hex(const char *hex, struct fv_buf *out)
{
    size_t n = strlen(hex);
    for (size_t i = 0; i + 1 < n; i += 2) {
        unsigned v;
        if (sscanf(hex + i, "%2x", &v) != 1)
            break;
        fv_buf_append_char(out, (char)v);
    }
    if (n % 2 == 0 && out->len == n / 2)
        return 0;
    fprintf(stderr, "kafka_put: --hex is not hexadecimal\n");
    return 2;
}

static int s_task(const char *json, const char *ring, struct fv_buf *out)
{
    struct json_object *o = json_tokener_parse(json), *params;
    if (!o) {
        fprintf(stderr, "kafka_put: --task is not JSON\n");
        return 2;
    }
    struct fv_task t = {.task_id = s_field(o, "task_id"),
                        .run_id = s_field(o, "run_id"),
                        .job = s_field(o, "job"),
                        .kind = s_field(o, "kind"),
                        .account = s_field(o, "account"),
                        .region = s_field(o, "region"),
                        .resource = s_field(o, "resource"),
                        .step = s_field(o, "step"),
                        .attempt = 1};
    if (json_object_object_get_ex(o, "params", &params)) {
        json_object_object_foreach(params, k, v)
        {
            fv_task_set_param(&t, k, json_object_get_string(v));
        }
    }
    int rc = 0;
    if (ring) {
        struct fv_task_keys *keys;
        struct fv_error err;
        if (fv_task_keys_parse(ring, "--keys", &keys, &err) != FV_OK) {
            fprintf(stderr, "kafka_put: %s\n", err.message);
            rc = 2;
        } else {
            fv_task_seal(keys, &t, out);
            fv_task_keys_destroy(keys);
        }
    } else {
        fv_task_encode(&t, out);
    }
    fv_task_clean_up(&t);
    json_object_put(o);
    return rc;
}

int main(int argc, char **argv)
{
    if ((argc != 6 && argc != 8) || (argc == 8 && strcmp(argv[6], "--keys") != 0)) {
        fprintf(stderr, "usage: kafka_put BROKERS tasks|results|events|dlq KEY (--raw BYTES | "
                        "--hex HEX | --task JSON) [--keys RING]\n");
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
    int rc = 1;
    if (strcmp(argv[4], "--raw") == 0)
        fv_buf_append_str(&value, argv[5]);
    else if (strcmp(argv[4], "--hex") == 0 && s_hex(argv[5], &value))
        goto out;
    else if (strcmp(argv[4], "--task") == 0 && s_task(argv[5], argc == 8 ? argv[7] : NULL, &value))
        goto out;
    struct fv_error err;
    struct fv_producer *p = topic >= 0 ? fv_producer_new(&kc, "kafka-put", &err) : NULL;
    if (p &&
        fv_producer_send(p, (enum fv_topic)topic, FV_CUR_STR(argv[3]),
                         (struct fv_cur){value.ptr, value.len}, &err) == FV_OK &&
        fv_producer_flush(p, 30000, &err) == FV_OK)
        rc = 0;
    else
        fprintf(stderr, "kafka_put: %s\n", topic < 0 ? "unknown topic" : err.message);
    fv_producer_destroy(p);
out:
    fv_buf_clean_up(&value);
    fv_kafka_config_clean_up(&kc);
    return rc;
}

/* libFuzzer target: bytes from the tasks topic → open (HMAC) → validate →
 * authorize → the kind's handler, with AWS stubbed by a local HTTP server.
 * No byte sequence may crash, leak or trip a sanitizer.
 *
 * Input: byte 0 picks the path (even: the bytes are the Kafka message as
 * received, so almost everything stops at the signature; odd: the bytes are
 * a Task, sealed here with the worker's key, so the validator and the
 * handlers see the fuzzer's fields and parameters). Byte 1 picks how the
 * stubbed AWS answers every call. */
#include "../unit/stub_http.c"

#include "handler.h"

#include <fv/contract.h>
#include <fv/fleet.h>
#include <fv/http.h>
#include <fv/log.h>
#include <fv/seal.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define A "111111111111"

static const char *s_keys = "fuzz fuzz-task-signing-secret-0123456789abcdef";
static const char *s_config =
    "{\"region\":\"us-east-1\",\"central\":{\"account\":\"123456789012\",\"bucket\":\"bkt\"},"
    "\"aws\":{\"max_attempts\":1},"
    "\"accounts\":[{\"id\":\"" A "\",\"regions\":[\"us-east-1\"]}],"
    "\"jobs\":[{\"name\":\"ddb\",\"type\":\"dynamodb_backups\",\"deny_delete_policy\":true,"
    "\"log_group\":\"/fv\"},{\"name\":\"qs\",\"type\":\"quicksight\"},"
    "{\"name\":\"ex\",\"type\":\"dynamodb_exports\"}]}";

/* How the stub answers: success shapes and failures of each protocol. */
static const struct {
    int status;
    const char *body;
} s_answers[] = {
    {200, "{}"},
    {200, "<?xml version=\"1.0\"?><R/>"},
    {400, "{\"__type\":\"ResourceNotFoundException\",\"message\":\"no\"}"},
    {400, "<ErrorResponse><Error><Code>NoSuchEntity</Code><Message>no</Message></Error>"
          "</ErrorResponse>"},
    {500, ""},
    {200, "{\"BackupDetails\":{\"BackupArn\":\"arn:aws:dynamodb:us-east-1:" A
          ":table/t/backup/1\",\"BackupStatus\":\"AVAILABLE\"},\"Status\":\"SUCCESSFUL\"}"},
};

static struct stub_http *s_stub;
static struct fv_config s_cfg;
static struct fv_task_keys *s_ring;
static struct fv_fleet *s_fleet;
static struct fv_http_engine *s_engine;
static struct fv_fleet_clients *s_clients;

static void s_init(void)
{
    s_stub = stub_http_start();
    setenv("AWS_ENDPOINT_URL", stub_http_url(s_stub), 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDFUZZ", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "fuzz-secret", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    /* Every log line is formatted (that is code under test too), then dropped. */
    fv_log_set_level(FV_LOG_DEBUG);
    fv_log_set_sink(fopen("/dev/null", "w"), true);
    struct fv_error err;
    struct json_object *doc = json_tokener_parse(s_config);
    if (fv_config_from_doc("fuzz.json", doc, &s_cfg, &err) != FV_OK ||
        fv_task_keys_parse(s_keys, "fuzz", &s_ring, &err) != FV_OK ||
        !(s_fleet = fv_fleet_new(&s_cfg, &err))) {
        fprintf(stderr, "fuzz_task: set-up: %s\n", err.message);
        abort();
    }
    json_object_put(doc);
    s_engine = fv_fleet_engine_new(s_fleet);
    s_clients = fv_fleet_clients_new(s_fleet, s_engine);
}

static void s_dispatch(const struct fv_task *t, const struct fv_task_scope *scope)
{
    const struct fv_handler *h = fv_handler_find(t->kind);
    if (!h)
        abort(); /* every kind of the contract has a handler */
    struct fv_result result;
    fv_result_for_task(&result, t);
    struct fv_handler_ctx ctx = {.task = t,
                                 .scope = scope,
                                 .fleet = s_fleet,
                                 .clients = s_clients,
                                 .cfg = &s_cfg,
                                 .worker_name = "fuzz",
                                 .result = &result,
                                 .clock = fv_clock_system(),
                                 .rand = fv_rand_system()};
    h->run(&ctx);
    /* What the worker would publish must encode. */
    struct fv_buf out = {0};
    fv_result_encode(&result, &out);
    if (ctx.follow_up) {
        fv_task_seal(s_ring, ctx.follow_up, &out);
        fv_task_clean_up(ctx.follow_up);
        free(ctx.follow_up);
    }
    fv_buf_clean_up(&out);
    fv_result_clean_up(&result);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_stub)
        s_init();
    if (size < 2)
        return 0;
    stub_http_reset(s_stub);
    size_t a = data[1] % (sizeof(s_answers) / sizeof(s_answers[0]));
    stub_http_add(s_stub, &(struct stub_http_route){.status = s_answers[a].status,
                                                    .body = s_answers[a].body});
    struct fv_cur bytes = {(const char *)data + 2, size - 2};
    struct fv_buf sealed = {0};
    struct fv_task task = {0};
    if (data[0] & 1) {
        /* Fuzzer-made Task bytes, signed as a genuine coordinator would. */
        if (fv_task_decode(bytes, &task, NULL) != FV_OK)
            return 0;
        fv_task_seal(s_ring, &task, &sealed);
        fv_task_clean_up(&task);
        bytes = (struct fv_cur){sealed.ptr, sealed.len};
    }
    struct fv_error err;
    struct fv_task_scope scope;
    if (fv_task_open(s_ring, bytes, &task, &err) == FV_OK &&
        fv_task_validate(&task, &err) == FV_OK &&
        fv_task_authorize(&s_cfg, &task, &scope, &err) == FV_OK)
        s_dispatch(&task, &scope);
    fv_task_clean_up(&task);
    fv_buf_clean_up(&sealed);
    return 0;
}

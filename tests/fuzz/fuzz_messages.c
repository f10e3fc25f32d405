/* libFuzzer target: every other parser of untrusted bytes. Byte 0 picks
 * which: Results (what workers send the coordinator), Events (what
 * downstream alerting reads), configuration documents as YAML and as JSON
 * through the whole schema, and task key rings. No input may crash, leak or
 * trip a sanitizer; what decodes must encode again. */
#include <fv/config.h>
#include <fv/doc.h>
#include <fv/seal.h>
#include <fv/task.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static void s_result(struct fv_cur in)
{
    struct fv_result r;
    if (fv_result_decode(in, &r, NULL) != FV_OK)
        return;
    struct fv_buf out = {0};
    fv_result_encode(&r, &out);
    struct fv_result again;
    if (fv_result_decode((struct fv_cur){out.ptr, out.len}, &again, NULL) != FV_OK)
        abort(); /* what we decoded, we must be able to send on */
    fv_result_clean_up(&again);
    fv_buf_clean_up(&out);
    fv_result_clean_up(&r);
}

static void s_event(struct fv_cur in)
{
    struct fv_event e;
    if (fv_event_decode(in, &e, NULL) != FV_OK)
        return;
    struct fv_buf out = {0};
    fv_event_encode(&e, &out);
    fv_buf_clean_up(&out);
    fv_event_clean_up(&e);
}

static void s_config(struct fv_cur in, bool json)
{
    struct json_object *doc = NULL;
    struct fv_error err;
    if (fv_doc_parse("fuzz.yaml", in.ptr, in.len, json, &doc, &err) != FV_OK)
        return;
    struct fv_config cfg;
    if (fv_config_from_doc("fuzz.yaml", doc, &cfg, &err) == FV_OK)
        fv_config_clean_up(&cfg);
    json_object_put(doc);
}

static void s_keys(struct fv_cur in)
{
    char *text = fv_strndup(in.ptr, in.len);
    struct fv_task_keys *k = NULL;
    struct fv_error err;
    if (fv_task_keys_parse(text, "fuzz", &k, &err) == FV_OK) {
        struct fv_task t = {.task_id = "t", .run_id = "r", .kind = "k"}, back;
        struct fv_buf sealed = {0};
        fv_task_seal(k, &t, &sealed);
        if (fv_task_open(k, (struct fv_cur){sealed.ptr, sealed.len}, &back, &err) != FV_OK)
            abort(); /* a ring verifies what it signs */
        fv_task_clean_up(&back);
        fv_buf_clean_up(&sealed);
    }
    fv_task_keys_destroy(k);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct fv_cur in = {(const char *)data + 1, size - 1};
    switch (data[0] % 5) {
    case 0: s_result(in); break;
    case 1: s_event(in); break;
    case 2: s_config(in, false); break;
    case 3: s_config(in, true); break;
    default: s_keys(in); break;
    }
    return 0;
}

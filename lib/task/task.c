/* Task, Result and Event: plain C structs ↔ protobuf (proto/fleetvault.proto). */
#include <fv/sigv4.h>
#include <fv/task.h>

#include "fleetvault.pb-c.h"

#include <stdlib.h>
#include <string.h>

/* protobuf-c uses "" for absent strings; we use NULL. */
static char *s_dup_pb(const char *s)
{
    return s && *s ? fv_strdup(s) : NULL;
}

static char *s_pb(const char *s)
{
    return (char *)(s ? s : "");
}

static void s_kv_clean_up(struct fv_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static void s_kv_set(struct fv_kv **kv, size_t *n, const char *key, const char *value)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*kv)[i].key, key) == 0) {
            free((*kv)[i].value);
            (*kv)[i].value = fv_strdup(value);
            return;
        }
    }
    *kv = fv_realloc(*kv, (*n + 1) * sizeof(**kv));
    (*kv)[*n].key = fv_strdup(key);
    (*kv)[*n].value = fv_strdup(value);
    (*n)++;
}

void fv_task_make_id(const char *run_id, const char *kind, const char *account, const char *region,
                     const char *resource, char out[33])
{
    struct fv_buf b = {0};
    const char *parts[] = {run_id, kind, account, region, resource};
    for (size_t i = 0; i < 5; i++) {
        fv_buf_append_str(&b, parts[i] ? parts[i] : "");
        fv_buf_append(&b, "", 1); /* NUL separator: no ambiguity between fields */
    }
    char hex[65];
    fv_sha256_hex(b.ptr, b.len, hex);
    memcpy(out, hex, 32);
    out[32] = '\0';
    fv_buf_clean_up(&b);
}

void fv_task_key(const struct fv_task *t, struct fv_buf *out)
{
    fv_buf_reset(out);
    fv_buf_printf(out, "%s/%s/%s", t->account ? t->account : "", t->region ? t->region : "",
                  t->resource ? t->resource : "");
}

const char *fv_task_param(const struct fv_task *t, const char *key)
{
    for (size_t i = 0; i < t->n_params; i++)
        if (strcmp(t->params[i].key, key) == 0)
            return t->params[i].value;
    return NULL;
}

void fv_task_set_param(struct fv_task *t, const char *key, const char *value)
{
    s_kv_set(&t->params, &t->n_params, key, value);
}

void fv_task_copy(struct fv_task *dst, const struct fv_task *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->task_id = fv_strdup(src->task_id);
    dst->run_id = fv_strdup(src->run_id);
    dst->job = fv_strdup(src->job);
    dst->kind = fv_strdup(src->kind);
    dst->account = fv_strdup(src->account);
    dst->region = fv_strdup(src->region);
    dst->resource = fv_strdup(src->resource);
    dst->step = fv_strdup(src->step);
    for (size_t i = 0; i < src->n_params; i++)
        fv_task_set_param(dst, src->params[i].key, src->params[i].value);
    dst->attempt = src->attempt;
    dst->not_before_ms = src->not_before_ms;
    dst->created_ms = src->created_ms;
    dst->deadline_ms = src->deadline_ms;
}

void fv_task_clean_up(struct fv_task *t)
{
    if (!t)
        return;
    free(t->task_id);
    free(t->run_id);
    free(t->job);
    free(t->kind);
    free(t->account);
    free(t->region);
    free(t->resource);
    free(t->step);
    s_kv_clean_up(t->params, t->n_params);
    memset(t, 0, sizeof(*t));
}

void fv_task_encode(const struct fv_task *t, struct fv_buf *out)
{
    Fleetvault__V1__Task m = FLEETVAULT__V1__TASK__INIT;
    m.schema_version = FV_SCHEMA_VERSION;
    m.task_id = s_pb(t->task_id);
    m.run_id = s_pb(t->run_id);
    m.job = s_pb(t->job);
    m.kind = s_pb(t->kind);
    m.account = s_pb(t->account);
    m.region = s_pb(t->region);
    m.resource = s_pb(t->resource);
    m.step = s_pb(t->step);
    m.attempt = t->attempt;
    m.not_before_ms = t->not_before_ms;
    m.created_ms = t->created_ms;
    m.deadline_ms = t->deadline_ms;
    Fleetvault__V1__Task__ParametersEntry *entries =
        fv_calloc(t->n_params ? t->n_params : 1, sizeof(*entries));
    Fleetvault__V1__Task__ParametersEntry **ptrs =
        fv_calloc(t->n_params ? t->n_params : 1, sizeof(*ptrs));
    for (size_t i = 0; i < t->n_params; i++) {
        fleetvault__v1__task__parameters_entry__init(&entries[i]);
        entries[i].key = t->params[i].key;
        entries[i].value = t->params[i].value;
        ptrs[i] = &entries[i];
    }
    m.n_parameters = t->n_params;
    m.parameters = ptrs;
    size_t n = fleetvault__v1__task__get_packed_size(&m);
    char *tmp = fv_malloc(n ? n : 1);
    fleetvault__v1__task__pack(&m, (uint8_t *)tmp);
    fv_buf_reset(out);
    fv_buf_append(out, tmp, n);
    free(tmp);
    free(entries);
    free(ptrs);
}

fv_status fv_task_decode(struct fv_cur bytes, struct fv_task *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    Fleetvault__V1__Task *m =
        fleetvault__v1__task__unpack(NULL, bytes.len, (const uint8_t *)bytes.ptr);
    if (!m)
        return fv_error_set(err, FV_E_PARSE, "not a fleetvault Task (%zu bytes)", bytes.len);
    if (!*m->task_id || !*m->run_id || !*m->kind) {
        fleetvault__v1__task__free_unpacked(m, NULL);
        return fv_error_set(err, FV_E_PARSE, "Task without task_id, run_id or kind");
    }
    out->task_id = s_dup_pb(m->task_id);
    out->run_id = s_dup_pb(m->run_id);
    out->job = s_dup_pb(m->job);
    out->kind = s_dup_pb(m->kind);
    out->account = s_dup_pb(m->account);
    out->region = s_dup_pb(m->region);
    out->resource = s_dup_pb(m->resource);
    out->step = s_dup_pb(m->step);
    for (size_t i = 0; i < m->n_parameters; i++)
        fv_task_set_param(out, m->parameters[i]->key, m->parameters[i]->value);
    out->attempt = m->attempt;
    out->not_before_ms = m->not_before_ms;
    out->created_ms = m->created_ms;
    out->deadline_ms = m->deadline_ms;
    fleetvault__v1__task__free_unpacked(m, NULL);
    return FV_OK;
}

const char *fv_result_status_str(enum fv_result_status s)
{
    switch (s) {
    case FV_RESULT_SUCCEEDED: return "SUCCEEDED";
    case FV_RESULT_FAILED: return "FAILED";
    case FV_RESULT_SKIPPED: return "SKIPPED";
    case FV_RESULT_RETRYING: return "RETRYING";
    default: return "UNSPECIFIED";
    }
}

void fv_result_for_task(struct fv_result *r, const struct fv_task *t)
{
    memset(r, 0, sizeof(*r));
    r->task_id = fv_strdup(t->task_id);
    r->run_id = fv_strdup(t->run_id);
    r->job = fv_strdup(t->job);
    r->kind = fv_strdup(t->kind);
    r->account = fv_strdup(t->account);
    r->region = fv_strdup(t->region);
    r->resource = fv_strdup(t->resource);
    r->step = fv_strdup(t->step);
    r->attempt = t->attempt;
}

struct fv_output *fv_result_add_output(struct fv_result *r)
{
    r->outputs = fv_realloc(r->outputs, (r->n_outputs + 1) * sizeof(*r->outputs));
    struct fv_output *o = &r->outputs[r->n_outputs++];
    memset(o, 0, sizeof(*o));
    return o;
}

void fv_output_set_extra(struct fv_output *o, const char *key, const char *value)
{
    s_kv_set(&o->extra, &o->n_extra, key, value);
}

void fv_result_clean_up(struct fv_result *r)
{
    if (!r)
        return;
    free(r->task_id);
    free(r->run_id);
    free(r->job);
    free(r->kind);
    free(r->account);
    free(r->region);
    free(r->resource);
    free(r->step);
    for (size_t i = 0; i < r->n_outputs; i++) {
        struct fv_output *o = &r->outputs[i];
        free(o->object_key);
        free(o->sha256);
        free(o->backup_arn);
        free(o->backup_name);
        free(o->bucket);
        s_kv_clean_up(o->extra, o->n_extra);
    }
    free(r->outputs);
    free(r->error_code);
    free(r->error_message);
    free(r->worker);
    memset(r, 0, sizeof(*r));
}

void fv_result_encode(const struct fv_result *r, struct fv_buf *out)
{
    Fleetvault__V1__Result m = FLEETVAULT__V1__RESULT__INIT;
    m.schema_version = FV_SCHEMA_VERSION;
    m.task_id = s_pb(r->task_id);
    m.run_id = s_pb(r->run_id);
    m.job = s_pb(r->job);
    m.kind = s_pb(r->kind);
    m.account = s_pb(r->account);
    m.region = s_pb(r->region);
    m.resource = s_pb(r->resource);
    m.step = s_pb(r->step);
    m.status = (Fleetvault__V1__Status)r->status;
    m.error_code = s_pb(r->error_code);
    m.error_message = s_pb(r->error_message);
    m.retryable = r->retryable;
    m.attempt = r->attempt;
    m.started_ms = r->started_ms;
    m.finished_ms = r->finished_ms;
    m.worker = s_pb(r->worker);

    size_t n_out = r->n_outputs;
    Fleetvault__V1__Output *outs = fv_calloc(n_out ? n_out : 1, sizeof(*outs));
    Fleetvault__V1__Output **out_ptrs = fv_calloc(n_out ? n_out : 1, sizeof(*out_ptrs));
    size_t n_extra_total = 0;
    for (size_t i = 0; i < n_out; i++)
        n_extra_total += r->outputs[i].n_extra;
    Fleetvault__V1__Output__ExtraEntry *extras =
        fv_calloc(n_extra_total ? n_extra_total : 1, sizeof(*extras));
    Fleetvault__V1__Output__ExtraEntry **extra_ptrs =
        fv_calloc(n_extra_total ? n_extra_total : 1, sizeof(*extra_ptrs));
    size_t e = 0;
    for (size_t i = 0; i < n_out; i++) {
        const struct fv_output *o = &r->outputs[i];
        fleetvault__v1__output__init(&outs[i]);
        outs[i].object_key = s_pb(o->object_key);
        outs[i].size = o->size;
        outs[i].sha256 = s_pb(o->sha256);
        outs[i].backup_arn = s_pb(o->backup_arn);
        outs[i].backup_name = s_pb(o->backup_name);
        outs[i].bucket = s_pb(o->bucket);
        outs[i].extra = &extra_ptrs[e];
        outs[i].n_extra = o->n_extra;
        for (size_t k = 0; k < o->n_extra; k++, e++) {
            fleetvault__v1__output__extra_entry__init(&extras[e]);
            extras[e].key = o->extra[k].key;
            extras[e].value = o->extra[k].value;
            extra_ptrs[e] = &extras[e];
        }
        out_ptrs[i] = &outs[i];
    }
    m.outputs = out_ptrs;
    m.n_outputs = n_out;
    size_t n = fleetvault__v1__result__get_packed_size(&m);
    char *tmp = fv_malloc(n ? n : 1);
    fleetvault__v1__result__pack(&m, (uint8_t *)tmp);
    fv_buf_reset(out);
    fv_buf_append(out, tmp, n);
    free(tmp);
    free(outs);
    free(out_ptrs);
    free(extras);
    free(extra_ptrs);
}

fv_status fv_result_decode(struct fv_cur bytes, struct fv_result *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    Fleetvault__V1__Result *m =
        fleetvault__v1__result__unpack(NULL, bytes.len, (const uint8_t *)bytes.ptr);
    if (!m)
        return fv_error_set(err, FV_E_PARSE, "not a fleetvault Result (%zu bytes)", bytes.len);
    if (!*m->task_id || !*m->run_id) {
        fleetvault__v1__result__free_unpacked(m, NULL);
        return fv_error_set(err, FV_E_PARSE, "Result without task_id or run_id");
    }
    out->task_id = s_dup_pb(m->task_id);
    out->run_id = s_dup_pb(m->run_id);
    out->job = s_dup_pb(m->job);
    out->kind = s_dup_pb(m->kind);
    out->account = s_dup_pb(m->account);
    out->region = s_dup_pb(m->region);
    out->resource = s_dup_pb(m->resource);
    out->step = s_dup_pb(m->step);
    out->status = (enum fv_result_status)m->status;
    out->error_code = s_dup_pb(m->error_code);
    out->error_message = s_dup_pb(m->error_message);
    out->retryable = m->retryable;
    out->attempt = m->attempt;
    out->started_ms = m->started_ms;
    out->finished_ms = m->finished_ms;
    out->worker = s_dup_pb(m->worker);
    for (size_t i = 0; i < m->n_outputs; i++) {
        const Fleetvault__V1__Output *mo = m->outputs[i];
        struct fv_output *o = fv_result_add_output(out);
        o->object_key = s_dup_pb(mo->object_key);
        o->size = mo->size;
        o->sha256 = s_dup_pb(mo->sha256);
        o->backup_arn = s_dup_pb(mo->backup_arn);
        o->backup_name = s_dup_pb(mo->backup_name);
        o->bucket = s_dup_pb(mo->bucket);
        for (size_t k = 0; k < mo->n_extra; k++)
            fv_output_set_extra(o, mo->extra[k]->key, mo->extra[k]->value);
    }
    fleetvault__v1__result__free_unpacked(m, NULL);
    return FV_OK;
}

void fv_event_set_detail(struct fv_event *e, const char *key, const char *value)
{
    s_kv_set(&e->details, &e->n_details, key, value);
}

void fv_event_clean_up(struct fv_event *e)
{
    if (!e)
        return;
    free(e->type);
    free(e->run_id);
    free(e->job);
    free(e->severity);
    free(e->summary);
    free(e->manifest_key);
    s_kv_clean_up(e->details, e->n_details);
    memset(e, 0, sizeof(*e));
}

void fv_event_encode(const struct fv_event *e, struct fv_buf *out)
{
    Fleetvault__V1__Event m = FLEETVAULT__V1__EVENT__INIT;
    m.schema_version = FV_SCHEMA_VERSION;
    m.type = s_pb(e->type);
    m.run_id = s_pb(e->run_id);
    m.job = s_pb(e->job);
    m.time_ms = e->time_ms;
    m.severity = s_pb(e->severity);
    m.summary = s_pb(e->summary);
    m.succeeded = e->succeeded;
    m.failed = e->failed;
    m.skipped = e->skipped;
    m.manifest_key = s_pb(e->manifest_key);
    size_t nd = e->n_details;
    Fleetvault__V1__Event__DetailsEntry *entries = fv_calloc(nd ? nd : 1, sizeof(*entries));
    Fleetvault__V1__Event__DetailsEntry **ptrs = fv_calloc(nd ? nd : 1, sizeof(*ptrs));
    for (size_t i = 0; i < nd; i++) {
        fleetvault__v1__event__details_entry__init(&entries[i]);
        entries[i].key = e->details[i].key;
        entries[i].value = e->details[i].value;
        ptrs[i] = &entries[i];
    }
    m.details = ptrs;
    m.n_details = nd;
    size_t n = fleetvault__v1__event__get_packed_size(&m);
    char *tmp = fv_malloc(n ? n : 1);
    fleetvault__v1__event__pack(&m, (uint8_t *)tmp);
    fv_buf_reset(out);
    fv_buf_append(out, tmp, n);
    free(tmp);
    free(entries);
    free(ptrs);
}

fv_status fv_event_decode(struct fv_cur bytes, struct fv_event *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    Fleetvault__V1__Event *m =
        fleetvault__v1__event__unpack(NULL, bytes.len, (const uint8_t *)bytes.ptr);
    if (!m)
        return fv_error_set(err, FV_E_PARSE, "not a fleetvault Event (%zu bytes)", bytes.len);
    out->type = s_dup_pb(m->type);
    out->run_id = s_dup_pb(m->run_id);
    out->job = s_dup_pb(m->job);
    out->time_ms = m->time_ms;
    out->severity = s_dup_pb(m->severity);
    out->summary = s_dup_pb(m->summary);
    out->succeeded = m->succeeded;
    out->failed = m->failed;
    out->skipped = m->skipped;
    out->manifest_key = s_dup_pb(m->manifest_key);
    for (size_t i = 0; i < m->n_details; i++)
        fv_event_set_detail(out, m->details[i]->key, m->details[i]->value);
    fleetvault__v1__event__free_unpacked(m, NULL);
    return FV_OK;
}

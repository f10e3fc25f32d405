/* Run bookkeeping: planned tasks, results, counts. */
#include "run.h"

#include <fv/clock.h>

#include <stdlib.h>
#include <string.h>

void fv_run_init(struct fv_run *r, const struct fv_config_job *job, int64_t started_ms,
                 int64_t deadline_ms)
{
    memset(r, 0, sizeof(*r));
    r->job = job;
    r->clock = fv_clock_system();
    r->started_ms = started_ms;
    r->deadline_ms = deadline_ms;
    char stamp[17];
    fv_time_amz(started_ms / 1000, stamp);
    r->stamp = fv_strdup(stamp);
    struct fv_buf id = {0};
    fv_buf_printf(&id, "%s-%s", job->name, stamp);
    r->run_id = fv_buf_detach(&id);
}

void fv_run_clean_up(struct fv_run *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_items; i++) {
        fv_task_clean_up(&r->items[i].task);
        fv_result_clean_up(&r->items[i].result);
    }
    free(r->items);
    free(r->index);
    for (size_t i = 0; i < r->n_targets; i++) {
        struct fv_run_target *t = &r->targets[i];
        free(t->account);
        free(t->account_name);
        free(t->region);
        free(t->error);
        for (size_t k = 0; k < t->n_tables; k++)
            free(t->tables[k]);
        free(t->tables);
        for (size_t k = 0; k < t->n_expiring; k++)
            free(t->expiring[k]);
        free(t->expiring);
    }
    free(r->targets);
    free(r->run_id);
    free(r->stamp);
    memset(r, 0, sizeof(*r));
}

static size_t s_hash(const char *id)
{
    size_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ULL;
    return h;
}

static void s_index_put(struct fv_run *r, size_t item)
{
    size_t mask = r->index_cap - 1;
    size_t i = s_hash(r->items[item].task.task_id) & mask;
    while (r->index[i])
        i = (i + 1) & mask;
    r->index[i] = item + 1;
}

/* Keeps the index at most half full counting one more item. */
static void s_index_grow(struct fv_run *r)
{
    if (2 * (r->n_items + 1) <= r->index_cap)
        return;
    r->index_cap = r->index_cap ? 2 * r->index_cap : 256;
    free(r->index);
    r->index = fv_calloc(r->index_cap, sizeof(*r->index));
    for (size_t k = 0; k < r->n_items; k++)
        s_index_put(r, k);
}

struct fv_run_item *fv_run_add(struct fv_run *r, struct fv_task *t)
{
    char id[33];
    fv_task_make_id(r->run_id, t->kind, t->account, t->region, t->resource, id);
    struct fv_run_item *existing = fv_run_find(r, id);
    if (existing)
        return existing;
    s_index_grow(r); /* room for one more, before it is added */
    if (r->n_items == r->cap_items) {
        r->cap_items = r->cap_items ? 2 * r->cap_items : 64;
        r->items = fv_realloc(r->items, r->cap_items * sizeof(*r->items));
    }
    struct fv_run_item *it = &r->items[r->n_items++];
    memset(it, 0, sizeof(*it));
    fv_task_copy(&it->task, t);
    free(it->task.task_id);
    it->task.task_id = fv_strdup(id);
    free(it->task.run_id);
    it->task.run_id = fv_strdup(r->run_id);
    free(it->task.job);
    it->task.job = fv_strdup(r->job->name);
    it->task.attempt = 1;
    it->task.created_ms = fv_clock_now_ms(r->clock);
    it->task.deadline_ms = r->deadline_ms;
    s_index_put(r, r->n_items - 1);
    return it;
}

struct fv_run_item *fv_run_find(struct fv_run *r, const char *task_id)
{
    if (!r->index_cap)
        return NULL;
    size_t mask = r->index_cap - 1;
    for (size_t i = s_hash(task_id) & mask; r->index[i]; i = (i + 1) & mask)
        if (strcmp(r->items[r->index[i] - 1].task.task_id, task_id) == 0)
            return &r->items[r->index[i] - 1];
    return NULL;
}

bool fv_run_record(struct fv_run *r, const struct fv_result *res)
{
    if (!res->run_id || strcmp(res->run_id, r->run_id) != 0)
        return false;
    struct fv_run_item *it = fv_run_find(r, res->task_id);
    if (!it || it->terminal)
        return false; /* a duplicate (redelivery) or another run's */
    if (res->attempt > it->attempts)
        it->attempts = res->attempt;
    if (res->status == FV_RESULT_RETRYING || res->status == FV_RESULT_UNSPECIFIED)
        return false;
    fv_result_clean_up(&it->result);
    /* Deep copy through the codec: one place knows the struct's shape. */
    struct fv_buf b = {0};
    fv_result_encode(res, &b);
    fv_result_decode((struct fv_cur){b.ptr, b.len}, &it->result, NULL);
    fv_buf_clean_up(&b);
    it->terminal = true;
    r->n_terminal++;
    if (it->gate)
        r->targets[it->gate - 1].pending--;
    return true;
}

void fv_run_gate(struct fv_run *r, struct fv_run_item *it, size_t target)
{
    if (it->gate || it->terminal)
        return; /* counted once */
    it->gate = target + 1;
    r->targets[target].pending++;
}

struct fv_run_target *fv_run_released(struct fv_run *r, const struct fv_result *res)
{
    struct fv_run_item *it = res->task_id ? fv_run_find(r, res->task_id) : NULL;
    if (!it || !it->terminal || !it->gate || r->targets[it->gate - 1].pending)
        return NULL;
    return &r->targets[it->gate - 1];
}

void fv_run_counts(const struct fv_run *r, size_t *succeeded, size_t *failed, size_t *skipped)
{
    *succeeded = *failed = *skipped = 0;
    for (size_t i = 0; i < r->n_items; i++) {
        if (!r->items[i].terminal)
            continue;
        switch (r->items[i].result.status) {
        case FV_RESULT_SUCCEEDED: (*succeeded)++; break;
        case FV_RESULT_SKIPPED: (*skipped)++; break;
        default: (*failed)++; break;
        }
    }
    for (size_t i = 0; i < r->n_targets; i++)
        if (r->targets[i].error)
            (*failed)++;
}

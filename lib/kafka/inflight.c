#include "kafka/inflight.h"

#include <fv/common.h>

#include <stdlib.h>
#include <string.h>

void fv_kafka_inflight_init(struct fv_kafka_inflight *f)
{
    memset(f, 0, sizeof(*f));
    f->next = -1;
}

void fv_kafka_inflight_clean_up(struct fv_kafka_inflight *f)
{
    if (!f)
        return;
    free(f->e);
    fv_kafka_inflight_init(f);
}

/* Index in [head, len) of the first entry with offset >= off. */
static size_t s_lower_bound(const struct fv_kafka_inflight *f, int64_t off)
{
    size_t lo = f->head, hi = f->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->e[mid].offset < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Room for one more entry at the end: slide the live window down when the
 * dropped front is at least half the array, else grow. */
static void s_reserve(struct fv_kafka_inflight *f)
{
    if (f->len < f->cap)
        return;
    if (f->head > 0 && f->head >= f->cap / 2) {
        memmove(f->e, f->e + f->head, (f->len - f->head) * sizeof(*f->e));
        f->len -= f->head;
        f->head = 0;
        return;
    }
    f->cap = f->cap ? f->cap * 2 : 64;
    f->e = fv_realloc(f->e, f->cap * sizeof(*f->e));
}

void fv_kafka_inflight_add(struct fv_kafka_inflight *f, int64_t offset)
{
    if (f->next < 0 || offset >= f->next) { /* the usual case: append */
        s_reserve(f);
        f->e[f->len++] = (struct fv_kafka_inflight_entry){offset, 1};
        f->next = offset + 1;
        return;
    }
    /* A rewind: the offset is handed out again (or, below the window, anew). */
    size_t i = s_lower_bound(f, offset);
    if (i < f->len && f->e[i].offset == offset) {
        f->e[i].pending++;
        return;
    }
    if (i == f->head && f->head > 0) { /* slot free just before the window */
        f->e[--f->head] = (struct fv_kafka_inflight_entry){offset, 1};
        return;
    }
    s_reserve(f);
    i = s_lower_bound(f, offset); /* s_reserve may have moved the window */
    memmove(f->e + i + 1, f->e + i, (f->len - i) * sizeof(*f->e));
    f->e[i] = (struct fv_kafka_inflight_entry){offset, 1};
    f->len++;
}

bool fv_kafka_inflight_done(struct fv_kafka_inflight *f, int64_t offset)
{
    size_t i = s_lower_bound(f, offset);
    if (i >= f->len || f->e[i].offset != offset || f->e[i].pending == 0)
        return false;
    f->e[i].pending--;
    while (f->head < f->len && f->e[f->head].pending == 0)
        f->head++;
    if (f->head == f->len)
        f->head = f->len = 0;
    return true;
}

int64_t fv_kafka_inflight_commit_point(const struct fv_kafka_inflight *f)
{
    if (f->head < f->len)
        return f->e[f->head].offset;
    return f->next;
}

size_t fv_kafka_inflight_pending(const struct fv_kafka_inflight *f)
{
    size_t n = 0;
    for (size_t i = f->head; i < f->len; i++)
        n += f->e[i].pending;
    return n;
}

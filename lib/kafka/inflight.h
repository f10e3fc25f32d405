/* One partition's handed-out offsets, in order, and the commit point: the
 * first offset handed out and not yet done (or, when everything handed out is
 * done, one past the highest). Pure bookkeeping, no librdkafka: the consumer
 * keeps one per owned partition and the unit tests drive it directly. */
#ifndef FV_KAFKA_INFLIGHT_H
#define FV_KAFKA_INFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fv_kafka_inflight_entry {
    int64_t offset;
    uint32_t pending; /* handed out and not done (more than 1 after a rewind) */
};

/* A zeroed struct is a valid empty tracker. Entries [head, len) are sorted by
 * offset and unique; done entries at the front are dropped as they finish. */
struct fv_kafka_inflight {
    struct fv_kafka_inflight_entry *e;
    size_t head, len, cap;
    int64_t next; /* highest offset handed out + 1; -1 before the first */
};

void fv_kafka_inflight_init(struct fv_kafka_inflight *f);
void fv_kafka_inflight_clean_up(struct fv_kafka_inflight *f); /* zeroed-safe */
/* Records that offset was handed out. Offsets normally arrive in increasing
 * order; a rewind (a fetch reset) is tolerated. */
void fv_kafka_inflight_add(struct fv_kafka_inflight *f, int64_t offset);
/* Marks one hand-out of offset done; false when offset was not pending. */
bool fv_kafka_inflight_done(struct fv_kafka_inflight *f, int64_t offset);
/* The offset to commit (first not done), or -1 when nothing was handed out. */
int64_t fv_kafka_inflight_commit_point(const struct fv_kafka_inflight *f);
/* Offsets handed out and not done. */
size_t fv_kafka_inflight_pending(const struct fv_kafka_inflight *f);

#endif

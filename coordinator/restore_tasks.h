/* A restore's asset bundles as quicksight.import tasks: planned from the
 * manifest (one task per bundle, the restore's own run id), published
 * sealed to the tasks topic and followed on the results topic, matched by
 * task id, until every one is final, the deadline or a stop. It plugs into
 * fv_restore_quicksight as its importer (fv/restore.h), so the checks, the
 * order (data sources first, dashboards last: one batch per type) and what
 * is reported stay lib/restore's. */
#ifndef FV_COORD_RESTORE_TASKS_H
#define FV_COORD_RESTORE_TASKS_H

#include <fv/clock.h>
#include <fv/config.h>
#include <fv/kafka.h>
#include <fv/restore.h>
#include <fv/seal.h>

#include <signal.h>

struct fv_restore_tasks_options {
    const struct fv_config *cfg;
    const struct fv_kafka_config *kafka; /* borrowed; brokers resolved */
    const char *name;                    /* client id */
    const struct fv_task_keys *keys;     /* borrowed: tasks are sealed with the signing key */
    const struct fv_clock *clock;        /* borrowed; NULL: the system clock */
    const volatile sig_atomic_t *stop;   /* may be NULL */
    int64_t timeout_ms;                  /* how long a batch is followed */
};

/* Caller owns; free with fv_restore_tasks_destroy. The producer and the
 * results consumer (group "fleetvault-restore") open on first use. */
struct fv_restore_tasks *fv_restore_tasks_new(const struct fv_restore_tasks_options *o);
void fv_restore_tasks_destroy(struct fv_restore_tasks *rt); /* NULL-safe */
/* The importer to put in fv_restore_qs_options (borrows rt). */
struct fv_restore_importer fv_restore_tasks_importer(struct fv_restore_tasks *rt);

#endif

/* Prometheus metrics: a registry of counters and gauges with labels, rendered
 * in the text exposition format 0.0.4 (served by fv/health.h at /metrics).
 *
 * A metric (family) has a fixed list of label names given at registration;
 * updates pass the label values, one per name, in the same order. Each
 * distinct combination of values is a series, created on first use. A family
 * holds at most max_series series: an update that would create one more is
 * dropped and counted in fleetvault_metrics_series_dropped_total{metric}, so
 * an unexpected label value (an unbounded table name, say) cannot exhaust
 * memory.
 *
 * Thread-safe: any thread may register, update and render at once. Values are
 * atomics; a family's series table is under a mutex taken only to find or
 * create a series. Hot paths can keep a series handle (fv_metric_series) and
 * update it lock-free.
 *
 * Rendering is stable: families sorted by name, series by their label values
 * (compared value by value, bytewise). A family without labels always shows
 * its single series, starting at 0. */
#ifndef FV_METRICS_H
#define FV_METRICS_H

#include <fv/common.h>

/* The Content-Type of the rendering. */
#define FV_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#define FV_METRICS_MAX_LABELS 8
#define FV_METRICS_DEFAULT_MAX_SERIES 1000

enum fv_metric_type {
    FV_METRIC_COUNTER, /* only goes up: add(v >= 0), inc */
    FV_METRIC_GAUGE,   /* set, add (either sign), inc, dec */
};

struct fv_metrics;       /* the registry */
struct fv_metric;        /* a family; owned by its registry */
struct fv_metric_series; /* one label-value combination; owned by its family */

/* max_series: the cap per family (0 → FV_METRICS_DEFAULT_MAX_SERIES).
 * Caller owns; free with fv_metrics_destroy(). */
struct fv_metrics *fv_metrics_new(size_t max_series);
/* Frees the registry, its families and series (handles die with it). NULL-safe. */
void fv_metrics_destroy(struct fv_metrics *m);

/* Registers a family. name must match [a-zA-Z_:][a-zA-Z0-9_:]*; label_names
 * is a NULL-terminated array (NULL for none) of up to FV_METRICS_MAX_LABELS
 * distinct names matching [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__".
 * help is any text (escaped when rendered; "" or NULL: no HELP line).
 * Strings are copied.
 * Registering a name again with the same type and label names returns the
 * existing family; with a different type or labels it is FV_E_INVALID.
 * *out is borrowed from the registry. */
fv_status fv_metrics_register(struct fv_metrics *m, enum fv_metric_type type, const char *name,
                              const char *help, const char *const *label_names,
                              struct fv_metric **out, struct fv_error *err);

/* Updates. label_values: one string per label name, in order (NULL when the
 * family has no labels); copied when a series is created. Return false when
 * the update was not applied: the series cap was reached (counted as a drop),
 * a label value is NULL, a counter was given a negative or NaN amount, or
 * fv_metric_set / fv_metric_dec was used on a counter. */
bool fv_metric_add(struct fv_metric *f, const char *const *label_values, double v);
bool fv_metric_inc(struct fv_metric *f, const char *const *label_values);
bool fv_metric_dec(struct fv_metric *f, const char *const *label_values);           /* gauges */
bool fv_metric_set(struct fv_metric *f, const char *const *label_values, double v); /* gauges */

/* The current value; 0 when the series does not exist. */
double fv_metric_get(struct fv_metric *f, const char *const *label_values);
/* Updates this family dropped because of the series cap. */
uint64_t fv_metric_dropped(const struct fv_metric *f);

/* The series for label_values, created if needed: NULL when the cap is
 * reached (counted as a drop) or a value is NULL. Borrowed; valid as long as
 * the registry. Updates through it take no lock. */
struct fv_metric_series *fv_metric_series(struct fv_metric *f, const char *const *label_values);
bool fv_metric_series_add(struct fv_metric_series *s, double v); /* same rules as fv_metric_add */
bool fv_metric_series_set(struct fv_metric_series *s, double v); /* gauges */
double fv_metric_series_get(const struct fv_metric_series *s);

/* Appends the text exposition (format 0.0.4) of every family to out. */
void fv_metrics_render(struct fv_metrics *m, struct fv_buf *out);

/* ---- the metrics fleetvault exports ----
 * Names follow Prometheus conventions (counters end in _total, times are
 * Unix seconds); Velero's backup_* metrics were the guide. */
#define FV_M_TASKS_CONSUMED "fleetvault_tasks_consumed_total"   /* counter {kind} */
#define FV_M_TASKS_SUCCEEDED "fleetvault_tasks_succeeded_total" /* counter {kind} */
#define FV_M_TASKS_FAILED "fleetvault_tasks_failed_total"       /* counter {kind} */
#define FV_M_TASKS_RETRIED "fleetvault_tasks_retried_total"     /* counter {kind} */
#define FV_M_TASKS_IN_FLIGHT "fleetvault_tasks_in_flight"       /* gauge */
#define FV_M_CONSUMER_LAG "fleetvault_consumer_lag"             /* gauge, messages */
#define FV_M_AWS_CALLS "fleetvault_aws_calls_total"             /* counter {service,operation} */
#define FV_M_AWS_THROTTLES "fleetvault_aws_throttles_total"     /* counter {service,operation} */
#define FV_M_LAST_SUCCESS "fleetvault_last_successful_run_timestamp_seconds" /* gauge {job} */
#define FV_M_RUNS "fleetvault_runs_total" /* counter {job,outcome} */
/* Registered by every registry: updates dropped by the series cap. */
#define FV_M_SERIES_DROPPED "fleetvault_metrics_series_dropped_total" /* counter {metric} */

/* The families above, borrowed from the registry. */
struct fv_metrics_fleetvault {
    struct fv_metric *tasks_consumed;  /* {kind}: a task kind, e.g. "ebs_snapshot" */
    struct fv_metric *tasks_succeeded; /* {kind} */
    struct fv_metric *tasks_failed;    /* {kind}: failed for good (no retry left) */
    struct fv_metric *tasks_retried;   /* {kind} */
    struct fv_metric *tasks_in_flight;
    struct fv_metric *consumer_lag;
    struct fv_metric *aws_calls;     /* {service, operation}, e.g. "s3", "PutObject" */
    struct fv_metric *aws_throttles; /* {service, operation} */
    struct fv_metric *last_success;  /* {job}: set to the run's finish time */
    struct fv_metric *runs;          /* {job, outcome}: "succeeded", "partial", "failed" */
};

/* Registers them all (idempotent). */
void fv_metrics_register_fleetvault(struct fv_metrics *m, struct fv_metrics_fleetvault *out);

#endif

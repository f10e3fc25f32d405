/* Prometheus registry: counters and gauges with labels, text format 0.0.4
 * (see fv/metrics.h). */
#include <fv/metrics.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fv_metric_series {
    struct fv_metric_series *next; /* hash chain */
    struct fv_metric *family;
    uint64_t hash;
    _Atomic uint64_t bits; /* the value: a double's bits */
    char *key;             /* the label values, each ending in '\0' */
    size_t key_len;
};

struct fv_metric {
    struct fv_metric *next; /* registry list */
    struct fv_metrics *reg;
    enum fv_metric_type type;
    char *name;
    char *help;
    size_t n_labels;
    char *labels[FV_METRICS_MAX_LABELS];
    _Atomic uint64_t dropped;

    pthread_mutex_t lock; /* guards buckets, n_buckets, n_series */
    struct fv_metric_series **buckets;
    size_t n_buckets; /* a power of two */
    size_t n_series;
};

struct fv_metrics {
    size_t max_series;
    struct fv_metric *dropped; /* FV_M_SERIES_DROPPED; exempt from the cap */
    pthread_mutex_t lock;      /* guards families */
    struct fv_metric *families;
};

/* ---- values ---- */

static double s_load(const struct fv_metric_series *s)
{
    uint64_t b = atomic_load_explicit(&((struct fv_metric_series *)s)->bits, memory_order_relaxed);
    double v;
    memcpy(&v, &b, sizeof(v));
    return v;
}

static void s_store(struct fv_metric_series *s, double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof(b));
    atomic_store_explicit(&s->bits, b, memory_order_relaxed);
}

static void s_add(struct fv_metric_series *s, double v)
{
    uint64_t old = atomic_load_explicit(&s->bits, memory_order_relaxed), new;
    do {
        double d;
        memcpy(&d, &old, sizeof(d));
        d += v;
        memcpy(&new, &d, sizeof(new));
    } while (!atomic_compare_exchange_weak_explicit(&s->bits, &old, new, memory_order_relaxed,
                                                    memory_order_relaxed));
}

/* ---- names ---- */

static bool s_valid_metric_name(const char *s)
{
    if (!s || !*s)
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                  (p != s && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

static bool s_valid_label_name(const char *s)
{
    if (!s || !*s || (s[0] == '_' && s[1] == '_'))
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (p != s && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

/* ---- series table ---- */

static uint64_t s_hash(const char *const *values, size_t n)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++)
            h = (h ^ *p) * UINT64_C(1099511628211);
        h = (h ^ 0xff) * UINT64_C(1099511628211); /* separator */
    }
    return h;
}

static bool s_key_eq(const struct fv_metric_series *s, const char *const *values, size_t n)
{
    const char *k = s->key, *end = s->key + s->key_len;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(values[i]) + 1;
        if ((size_t)(end - k) < l || memcmp(k, values[i], l) != 0)
            return false;
        k += l;
    }
    return k == end;
}

static void s_grow(struct fv_metric *f)
{
    size_t nb = f->n_buckets * 2;
    struct fv_metric_series **b = fv_calloc(nb, sizeof(*b));
    for (size_t i = 0; i < f->n_buckets; i++) {
        struct fv_metric_series *s = f->buckets[i], *next;
        for (; s; s = next) {
            next = s->next;
            size_t j = s->hash & (nb - 1);
            s->next = b[j];
            b[j] = s;
        }
    }
    free(f->buckets);
    f->buckets = b;
    f->n_buckets = nb;
}

static void s_count_drop(struct fv_metric *f);

static struct fv_metric_series *s_find_locked(struct fv_metric *f, const char *const *values,
                                              uint64_t h)
{
    for (struct fv_metric_series *s = f->buckets[h & (f->n_buckets - 1)]; s; s = s->next)
        if (s->hash == h && s_key_eq(s, values, f->n_labels))
            return s;
    return NULL;
}

static struct fv_metric_series *s_create_locked(struct fv_metric *f, const char *const *values,
                                                uint64_t h)
{
    struct fv_buf key = {0};
    for (size_t i = 0; i < f->n_labels; i++)
        fv_buf_append(&key, values[i], strlen(values[i]) + 1);
    struct fv_metric_series *s = fv_calloc(1, sizeof(*s));
    s->family = f;
    s->hash = h;
    s->key_len = key.len;
    s->key = key.ptr ? fv_buf_detach(&key) : fv_strdup("");
    atomic_init(&s->bits, 0); /* +0.0 */
    if (f->n_series + 1 > f->n_buckets * 2)
        s_grow(f);
    size_t j = h & (f->n_buckets - 1);
    s->next = f->buckets[j];
    f->buckets[j] = s;
    f->n_series++;
    return s;
}

/* Finds or creates the series; NULL when a value is missing or the cap stops it. */
static struct fv_metric_series *s_lookup(struct fv_metric *f, const char *const *values)
{
    for (size_t i = 0; i < f->n_labels; i++)
        if (!values || !values[i])
            return NULL;
    uint64_t h = s_hash(values, f->n_labels);

    pthread_mutex_lock(&f->lock);
    struct fv_metric_series *s = s_find_locked(f, values, h);
    bool capped = !s && f->n_series >= f->reg->max_series && f != f->reg->dropped;
    if (!s && !capped)
        s = s_create_locked(f, values, h);
    pthread_mutex_unlock(&f->lock);
    if (capped)
        s_count_drop(f); /* after unlocking: it locks the drop counter's family */
    return s;
}

static void s_count_drop(struct fv_metric *f)
{
    atomic_fetch_add_explicit(&f->dropped, 1, memory_order_relaxed);
    const char *values[] = {f->name};
    struct fv_metric_series *d = s_lookup(f->reg->dropped, values);
    if (d)
        s_add(d, 1);
}

/* ---- registry ---- */

static void s_family_free(struct fv_metric *f)
{
    for (size_t i = 0; i < f->n_buckets; i++) {
        struct fv_metric_series *s = f->buckets[i], *next;
        for (; s; s = next) {
            next = s->next;
            free(s->key);
            free(s);
        }
    }
    free(f->buckets);
    for (size_t i = 0; i < f->n_labels; i++)
        free(f->labels[i]);
    free(f->name);
    free(f->help);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

struct fv_metrics *fv_metrics_new(size_t max_series)
{
    struct fv_metrics *m = fv_calloc(1, sizeof(*m));
    m->max_series = max_series ? max_series : FV_METRICS_DEFAULT_MAX_SERIES;
    pthread_mutex_init(&m->lock, NULL);
    fv_status st = fv_metrics_register(m, FV_METRIC_COUNTER, FV_M_SERIES_DROPPED,
                                       "Metric updates dropped because the metric reached its "
                                       "series cap.",
                                       (const char *const[]){"metric", NULL}, &m->dropped, NULL);
    (void)st; /* a fixed, valid name */
    return m;
}

void fv_metrics_destroy(struct fv_metrics *m)
{
    if (!m)
        return;
    struct fv_metric *f = m->families, *next;
    for (; f; f = next) {
        next = f->next;
        s_family_free(f);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static bool s_same_labels(const struct fv_metric *f, const char *const *labels, size_t n)
{
    if (f->n_labels != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(f->labels[i], labels[i]) != 0)
            return false;
    return true;
}

fv_status fv_metrics_register(struct fv_metrics *m, enum fv_metric_type type, const char *name,
                              const char *help, const char *const *label_names,
                              struct fv_metric **out, struct fv_error *err)
{
    fv_status st = FV_OK;
    size_t n = 0;

    *out = NULL;
    if (!s_valid_metric_name(name))
        return fv_error_set(err, FV_E_INVALID, "metrics: invalid metric name '%s'",
                            name ? name : "(null)");
    while (label_names && label_names[n]) {
        if (n == FV_METRICS_MAX_LABELS)
            return fv_error_set(err, FV_E_INVALID, "metrics: %s: more than %d labels", name,
                                FV_METRICS_MAX_LABELS);
        if (!s_valid_label_name(label_names[n]))
            return fv_error_set(err, FV_E_INVALID, "metrics: %s: invalid label name '%s'", name,
                                label_names[n]);
        for (size_t j = 0; j < n; j++)
            if (strcmp(label_names[j], label_names[n]) == 0)
                return fv_error_set(err, FV_E_INVALID, "metrics: %s: label '%s' given twice", name,
                                    label_names[n]);
        n++;
    }

    pthread_mutex_lock(&m->lock);
    for (struct fv_metric *f = m->families; f; f = f->next) {
        if (strcmp(f->name, name) != 0)
            continue;
        if (f->type != type || !s_same_labels(f, label_names, n))
            st =
                fv_error_set(err, FV_E_INVALID,
                             "metrics: %s is already registered with another type or labels", name);
        else
            *out = f;
        goto out;
    }
    struct fv_metric *f = fv_calloc(1, sizeof(*f));
    f->reg = m;
    f->type = type;
    f->name = fv_strdup(name);
    f->help = fv_strdup(help ? help : "");
    f->n_labels = n;
    for (size_t i = 0; i < n; i++)
        f->labels[i] = fv_strdup(label_names[i]);
    atomic_init(&f->dropped, 0);
    pthread_mutex_init(&f->lock, NULL);
    f->n_buckets = 8;
    f->buckets = fv_calloc(f->n_buckets, sizeof(*f->buckets));
    f->next = m->families;
    m->families = f;
    *out = f;
out:
    pthread_mutex_unlock(&m->lock);
    if (st == FV_OK && n == 0)
        s_lookup(*out, NULL); /* a family without labels shows 0 from the start */
    return st;
}

/* ---- updates ---- */

bool fv_metric_series_add(struct fv_metric_series *s, double v)
{
    if (!s || (s->family->type == FV_METRIC_COUNTER && !(v >= 0)))
        return false;
    s_add(s, v);
    return true;
}

bool fv_metric_series_set(struct fv_metric_series *s, double v)
{
    if (!s || s->family->type != FV_METRIC_GAUGE)
        return false;
    s_store(s, v);
    return true;
}

double fv_metric_series_get(const struct fv_metric_series *s)
{
    return s ? s_load(s) : 0;
}

struct fv_metric_series *fv_metric_series(struct fv_metric *f, const char *const *label_values)
{
    return s_lookup(f, label_values);
}

bool fv_metric_add(struct fv_metric *f, const char *const *label_values, double v)
{
    if (f->type == FV_METRIC_COUNTER && !(v >= 0))
        return false;
    return fv_metric_series_add(s_lookup(f, label_values), v);
}

bool fv_metric_inc(struct fv_metric *f, const char *const *label_values)
{
    return fv_metric_add(f, label_values, 1);
}

bool fv_metric_dec(struct fv_metric *f, const char *const *label_values)
{
    if (f->type != FV_METRIC_GAUGE)
        return false;
    return fv_metric_add(f, label_values, -1);
}

bool fv_metric_set(struct fv_metric *f, const char *const *label_values, double v)
{
    if (f->type != FV_METRIC_GAUGE)
        return false;
    return fv_metric_series_set(s_lookup(f, label_values), v);
}

double fv_metric_get(struct fv_metric *f, const char *const *label_values)
{
    for (size_t i = 0; i < f->n_labels; i++)
        if (!label_values || !label_values[i])
            return 0;
    uint64_t h = s_hash(label_values, f->n_labels);
    pthread_mutex_lock(&f->lock);
    struct fv_metric_series *s = s_find_locked(f, label_values, h);
    pthread_mutex_unlock(&f->lock);
    return s ? s_load(s) : 0; /* series outlive their lookups */
}

uint64_t fv_metric_dropped(const struct fv_metric *f)
{
    return atomic_load_explicit(&((struct fv_metric *)f)->dropped, memory_order_relaxed);
}

/* ---- rendering ---- */

/* Integers print as integers; other values in the shortest form that reads
 * back exactly. */
static void s_format_value(double v, char out[40])
{
    if (isnan(v)) {
        snprintf(out, 40, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, 40, "%s", v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v) {
        snprintf(out, 40, "%lld", (long long)v);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 40, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static void s_escape(struct fv_buf *b, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            fv_buf_append(b, "\\\\", 2);
        else if (*s == '\n')
            fv_buf_append(b, "\\n", 2);
        else if (*s == '"' && quote)
            fv_buf_append(b, "\\\"", 2);
        else
            fv_buf_append_char(b, *s);
    }
}

static int s_cmp_family(const void *a, const void *b)
{
    const struct fv_metric *x = *(struct fv_metric *const *)a, *y = *(struct fv_metric *const *)b;
    return strcmp(x->name, y->name);
}

/* Label tuples in order: the '\0' after each value sorts before any byte. */
static int s_cmp_series(const void *a, const void *b)
{
    const struct fv_metric_series *x = *(struct fv_metric_series *const *)a;
    const struct fv_metric_series *y = *(struct fv_metric_series *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static void s_render_family(struct fv_metric *f, struct fv_buf *out)
{
    if (*f->help) {
        fv_buf_printf(out, "# HELP %s ", f->name);
        s_escape(out, f->help, false);
        fv_buf_append_char(out, '\n');
    }
    fv_buf_printf(out, "# TYPE %s %s\n", f->name,
                  f->type == FV_METRIC_COUNTER ? "counter" : "gauge");

    pthread_mutex_lock(&f->lock);
    size_t n = f->n_series;
    struct fv_metric_series **all = fv_calloc(n, sizeof(*all));
    size_t k = 0;
    for (size_t i = 0; i < f->n_buckets; i++)
        for (struct fv_metric_series *s = f->buckets[i]; s; s = s->next)
            all[k++] = s;
    pthread_mutex_unlock(&f->lock);
    /* Series are never freed before the registry, so they can be read unlocked. */
    qsort(all, n, sizeof(*all), s_cmp_series);

    for (size_t i = 0; i < n; i++) {
        const struct fv_metric_series *s = all[i];
        fv_buf_append_str(out, f->name);
        if (f->n_labels) {
            const char *v = s->key;
            fv_buf_append_char(out, '{');
            for (size_t j = 0; j < f->n_labels; j++) {
                fv_buf_printf(out, "%s%s=\"", j ? "," : "", f->labels[j]);
                s_escape(out, v, true);
                fv_buf_append_char(out, '"');
                v += strlen(v) + 1;
            }
            fv_buf_append_char(out, '}');
        }
        char val[40];
        s_format_value(s_load(s), val);
        fv_buf_printf(out, " %s\n", val);
    }
    free(all);
}

void fv_metrics_render(struct fv_metrics *m, struct fv_buf *out)
{
    pthread_mutex_lock(&m->lock);
    size_t n = 0;
    for (struct fv_metric *f = m->families; f; f = f->next)
        n++;
    struct fv_metric **all = fv_calloc(n, sizeof(*all));
    n = 0;
    for (struct fv_metric *f = m->families; f; f = f->next)
        all[n++] = f;
    pthread_mutex_unlock(&m->lock);
    /* Families live until the registry does. */
    qsort(all, n, sizeof(*all), s_cmp_family);
    for (size_t i = 0; i < n; i++)
        s_render_family(all[i], out);
    free(all);
}

/* ---- fleetvault's metrics ---- */

void fv_metrics_register_fleetvault(struct fv_metrics *m, struct fv_metrics_fleetvault *out)
{
    static const char *const kind[] = {"kind", NULL};
    static const char *const call[] = {"service", "operation", NULL};
    static const char *const job[] = {"job", NULL};
    static const char *const run[] = {"job", "outcome", NULL};
    static const struct {
        enum fv_metric_type type;
        const char *name, *help;
        const char *const *labels;
        size_t offset;
    } table[] = {
        {FV_METRIC_COUNTER, FV_M_TASKS_CONSUMED, "Tasks taken from the task topic, by task kind.",
         kind, offsetof(struct fv_metrics_fleetvault, tasks_consumed)},
        {FV_METRIC_COUNTER, FV_M_TASKS_SUCCEEDED, "Tasks that succeeded, by task kind.", kind,
         offsetof(struct fv_metrics_fleetvault, tasks_succeeded)},
        {FV_METRIC_COUNTER, FV_M_TASKS_FAILED,
         "Tasks that failed with no retry left, by task kind.", kind,
         offsetof(struct fv_metrics_fleetvault, tasks_failed)},
        {FV_METRIC_COUNTER, FV_M_TASKS_RETRIED, "Task attempts that will be retried, by task kind.",
         kind, offsetof(struct fv_metrics_fleetvault, tasks_retried)},
        {FV_METRIC_GAUGE, FV_M_TASKS_IN_FLIGHT, "Tasks being worked on now.", NULL,
         offsetof(struct fv_metrics_fleetvault, tasks_in_flight)},
        {FV_METRIC_GAUGE, FV_M_CONSUMER_LAG,
         "Messages on the task topic not yet consumed by this worker's group.", NULL,
         offsetof(struct fv_metrics_fleetvault, consumer_lag)},
        {FV_METRIC_COUNTER, FV_M_AWS_CALLS, "AWS API calls made, by service and operation.", call,
         offsetof(struct fv_metrics_fleetvault, aws_calls)},
        {FV_METRIC_COUNTER, FV_M_AWS_THROTTLES,
         "AWS API calls throttled by the service, by service and operation.", call,
         offsetof(struct fv_metrics_fleetvault, aws_throttles)},
        {FV_METRIC_GAUGE, FV_M_LAST_SUCCESS,
         "When the last successful run of a backup job finished, in Unix seconds.", job,
         offsetof(struct fv_metrics_fleetvault, last_success)},
        {FV_METRIC_COUNTER, FV_M_RUNS, "Backup runs finished, by job and outcome.", run,
         offsetof(struct fv_metrics_fleetvault, runs)},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        struct fv_metric **slot = (struct fv_metric **)((char *)out + table[i].offset);
        fv_status st = fv_metrics_register(m, table[i].type, table[i].name, table[i].help,
                                           table[i].labels, slot, NULL);
        if (st != FV_OK) { /* a name taken with other labels: a programming error */
            fprintf(stderr, "fleetvault: metric %s registered twice differently\n", table[i].name);
            abort();
        }
    }
}

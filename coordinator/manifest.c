/* The run manifest (JSON: every resource, outcome, backup ARNs, object keys,
 * sizes, SHA-256) and the human report. */
#include "run.h"

#include <fv/clock.h>

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *s_outcome(const struct fv_run *r)
{
    size_t ok, failed, skipped;
    fv_run_counts(r, &ok, &failed, &skipped);
    if (failed == 0)
        return "succeeded";
    return ok ? "partial" : "failed";
}

static void s_add_str(struct json_object *o, const char *k, const char *v)
{
    if (v)
        json_object_object_add(o, k, json_object_new_string(v));
}

static void s_add_time(struct json_object *o, const char *k, int64_t ms)
{
    char iso[21];
    if (ms <= 0)
        return;
    fv_time_iso8601(ms / 1000, iso);
    json_object_object_add(o, k, json_object_new_string(iso));
}

char *fv_run_manifest_json(const struct fv_run *r)
{
    struct json_object *m = json_object_new_object();
    json_object_object_add(m, "manifest_version", json_object_new_int(1));
    s_add_str(m, "run_id", r->run_id);
    s_add_str(m, "job", r->job->name);
    s_add_str(m, "type", r->job->type);
    s_add_time(m, "started", r->started_ms);
    s_add_time(m, "finished", r->finished_ms);
    s_add_str(m, "outcome", s_outcome(r));
    size_t ok, failed, skipped;
    fv_run_counts(r, &ok, &failed, &skipped);
    struct json_object *counts = json_object_new_object();
    json_object_object_add(counts, "succeeded", json_object_new_int64((int64_t)ok));
    json_object_object_add(counts, "failed", json_object_new_int64((int64_t)failed));
    json_object_object_add(counts, "skipped", json_object_new_int64((int64_t)skipped));
    json_object_object_add(m, "counts", counts);

    struct json_object *targets = json_object_new_array();
    for (size_t i = 0; i < r->n_targets; i++) {
        const struct fv_run_target *t = &r->targets[i];
        struct json_object *o = json_object_new_object();
        s_add_str(o, "account", t->account);
        s_add_str(o, "account_name", t->account_name);
        s_add_str(o, "region", t->region);
        json_object_object_add(o, "status",
                               json_object_new_string(t->error ? "FAILED" : "ENUMERATED"));
        s_add_str(o, "error", t->error);
        json_object_object_add(o, "selected", json_object_new_int64((int64_t)t->n_tables));
        json_object_array_add(targets, o);
    }
    json_object_object_add(m, "targets", targets);

    struct json_object *res = json_object_new_array();
    for (size_t i = 0; i < r->n_items; i++) {
        const struct fv_run_item *it = &r->items[i];
        struct json_object *o = json_object_new_object();
        s_add_str(o, "task_id", it->task.task_id);
        s_add_str(o, "kind", it->task.kind);
        s_add_str(o, "account", it->task.account);
        s_add_str(o, "region", it->task.region);
        s_add_str(o, "resource", it->task.resource);
        json_object_object_add(o, "status",
                               json_object_new_string(it->terminal
                                                          ? fv_result_status_str(it->result.status)
                                                          : "UNFINISHED"));
        json_object_object_add(o, "attempts",
                               json_object_new_int64(it->attempts ? it->attempts : 1));
        s_add_str(o, "error_code", it->result.error_code);
        s_add_str(o, "error_message", it->result.error_message);
        s_add_str(o, "worker", it->result.worker);
        struct json_object *outs = json_object_new_array();
        for (size_t k = 0; k < it->result.n_outputs; k++) {
            const struct fv_output *out = &it->result.outputs[k];
            struct json_object *oo = json_object_new_object();
            s_add_str(oo, "backup_arn", out->backup_arn);
            s_add_str(oo, "backup_name", out->backup_name);
            s_add_str(oo, "bucket", out->bucket);
            s_add_str(oo, "object_key", out->object_key);
            if (out->object_key)
                json_object_object_add(oo, "size", json_object_new_int64(out->size));
            s_add_str(oo, "sha256", out->sha256);
            for (size_t e = 0; e < out->n_extra; e++)
                s_add_str(oo, out->extra[e].key, out->extra[e].value);
            json_object_array_add(outs, oo);
        }
        json_object_object_add(o, "outputs", outs);
        json_object_array_add(res, o);
    }
    json_object_object_add(m, "resources", res);
    char *s = fv_strdup(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(m);
    return s;
}

char *fv_run_report_text(const struct fv_run *r)
{
    struct fv_buf b = {0};
    size_t ok, failed, skipped;
    fv_run_counts(r, &ok, &failed, &skipped);
    char started[21] = "", finished[21] = "";
    fv_time_iso8601(r->started_ms / 1000, started);
    if (r->finished_ms)
        fv_time_iso8601(r->finished_ms / 1000, finished);
    fv_buf_printf(&b, "fleetvault backup report\n========================\n");
    fv_buf_printf(&b, "run:       %s%s\njob:       %s (%s)\nstarted:   %s\nfinished:  %s\n",
                  r->run_id, r->resumed ? " (resumed)" : "", r->job->name, r->job->type, started,
                  finished);
    fv_buf_printf(&b, "outcome:   %s — %zu succeeded, %zu failed, %zu skipped\n\n", s_outcome(r),
                  ok, failed, skipped);
    for (size_t i = 0; i < r->n_targets; i++) {
        const struct fv_run_target *t = &r->targets[i];
        if (t->error)
            fv_buf_printf(&b, "FAILED    %s (%s) %s: enumeration: %s\n", t->account,
                          t->account_name, t->region, t->error);
    }
    fv_buf_printf(&b, "%-9s %-22s %-12s %-14s %s\n", "status", "kind", "account", "region",
                  "resource / detail");
    for (size_t i = 0; i < r->n_items; i++) {
        const struct fv_run_item *it = &r->items[i];
        const char *st = it->terminal ? fv_result_status_str(it->result.status) : "UNFINISHED";
        fv_buf_printf(&b, "%-9s %-22s %-12s %-14s %s\n", st, it->task.kind, it->task.account,
                      it->task.region, it->task.resource);
        for (size_t k = 0; k < it->result.n_outputs; k++) {
            const struct fv_output *o = &it->result.outputs[k];
            const char *action = NULL;
            for (size_t e = 0; e < o->n_extra; e++)
                if (strcmp(o->extra[e].key, "action") == 0)
                    action = o->extra[e].value;
            if (o->backup_arn)
                fv_buf_printf(&b, "          %s %s\n", action ? action : "created", o->backup_arn);
            if (o->object_key)
                fv_buf_printf(&b, "          s3://%s/%s (%lld bytes, sha256 %s)\n",
                              o->bucket ? o->bucket : "", o->object_key, (long long)o->size,
                              o->sha256 ? o->sha256 : "-");
        }
        if (it->result.error_message)
            fv_buf_printf(&b, "          %s: %s\n",
                          it->result.error_code ? it->result.error_code : "error",
                          it->result.error_message);
    }
    return fv_buf_detach(&b);
}

static fv_status s_write_file(const char *path, const char *text, struct fv_error *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return fv_error_set(err, FV_E_IO, "cannot write %s: %s", tmp, strerror(errno));
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, f) == n;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return fv_error_set(err, FV_E_IO, "cannot write %s: %s", path, strerror(errno));
    }
    return FV_OK;
}

void fv_run_file_stamp(const struct fv_run *r, char out[16])
{
    snprintf(out, 16, "%.8s_%.6s", r->stamp, r->stamp + 9);
}

fv_status fv_run_write_outputs(const struct fv_run *r, const char *dir, char **manifest_path,
                               char **report_path, struct fv_error *err)
{
    *manifest_path = *report_path = NULL;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return fv_error_set(err, FV_E_IO, "cannot create output directory %s: %s", dir,
                            strerror(errno));
    /* backup_manifest_YYYYMMDD_HHMMSS.json, as the QuickSight seed names them. */
    char stamp[16];
    fv_run_file_stamp(r, stamp);
    struct fv_buf mp = {0}, rp = {0};
    fv_buf_printf(&mp, "%s/backup_manifest_%s.json", dir, stamp);
    fv_buf_printf(&rp, "%s/backup_report_%s.txt", dir, stamp);
    char *manifest = fv_run_manifest_json(r);
    char *report = fv_run_report_text(r);
    fv_status st = s_write_file(mp.ptr, manifest, err);
    if (st == FV_OK)
        st = s_write_file(rp.ptr, report, err);
    free(manifest);
    free(report);
    if (st == FV_OK) {
        *manifest_path = fv_buf_detach(&mp);
        *report_path = fv_buf_detach(&rp);
    }
    fv_buf_clean_up(&mp);
    fv_buf_clean_up(&rp);
    return st;
}

#define S_MANIFEST_PREFIX "backup_manifest_"
#define S_REPORT_PREFIX "backup_report_"
#define S_STAMP_LEN 15 /* YYYYMMDD_HHMMSS */

/* The run stamp of one of our file names, into stamp; false for any other. */
static bool s_run_file_stamp(const char *name, char stamp[S_STAMP_LEN + 1])
{
    const char *rest, *suffix;
    if (fv_str_starts_with(name, S_MANIFEST_PREFIX)) {
        rest = name + strlen(S_MANIFEST_PREFIX);
        suffix = ".json";
    } else if (fv_str_starts_with(name, S_REPORT_PREFIX)) {
        rest = name + strlen(S_REPORT_PREFIX);
        suffix = ".txt";
    } else {
        return false;
    }
    if (strlen(rest) != S_STAMP_LEN + strlen(suffix) || strcmp(rest + S_STAMP_LEN, suffix) != 0)
        return false;
    for (int i = 0; i < S_STAMP_LEN; i++)
        if (i == 8 ? rest[i] != '_' : (rest[i] < '0' || rest[i] > '9'))
            return false;
    memcpy(stamp, rest, S_STAMP_LEN);
    stamp[S_STAMP_LEN] = '\0';
    return true;
}

static int s_newest_first(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

fv_status fv_run_prune_outputs(const char *dir, int64_t keep, const char *keep_stamp,
                               size_t *removed, struct fv_error *err)
{
    if (removed)
        *removed = 0;
    if (keep <= 0)
        return FV_OK;
    DIR *d = opendir(dir);
    if (!d)
        return fv_error_set(err, FV_E_IO, "cannot read output directory %s: %s", dir,
                            strerror(errno));
    /* The distinct stamps of the other runs, newest first. */
    char **stamps = NULL;
    size_t n = 0;
    struct dirent *e;
    char stamp[S_STAMP_LEN + 1];
    while ((e = readdir(d))) {
        if (!s_run_file_stamp(e->d_name, stamp) || strcmp(stamp, keep_stamp) == 0)
            continue;
        bool seen = false;
        for (size_t i = 0; i < n && !seen; i++)
            seen = strcmp(stamps[i], stamp) == 0;
        if (!seen) {
            stamps = fv_realloc(stamps, (n + 1) * sizeof(*stamps));
            stamps[n++] = fv_strdup(stamp);
        }
    }
    closedir(d);
    if (n)
        qsort(stamps, n, sizeof(*stamps), s_newest_first);
    fv_status st = FV_OK;
    for (size_t i = 0; i < n; i++) {
        if ((int64_t)i + 1 >= keep) { /* the run's own counts as one */
            static const char *const forms[2][2] = {{S_MANIFEST_PREFIX, ".json"},
                                                    {S_REPORT_PREFIX, ".txt"}};
            for (int k = 0; k < 2; k++) {
                struct fv_buf path = {0};
                fv_buf_printf(&path, "%s/%s%s%s", dir, forms[k][0], stamps[i], forms[k][1]);
                if (unlink(path.ptr) == 0) {
                    if (removed)
                        (*removed)++;
                } else if (errno != ENOENT && st == FV_OK) {
                    st = fv_error_set(err, FV_E_IO, "cannot remove %s: %s", path.ptr,
                                      strerror(errno));
                }
                fv_buf_clean_up(&path);
            }
        }
        free(stamps[i]);
    }
    free(stamps);
    return st;
}

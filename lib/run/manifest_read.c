/* Reads a run's manifest into fv/manifest.h's structs. */
#include <fv/clock.h>
#include <fv/manifest.h>

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A read in progress: the first problem wins and is reported with the file
 * and the field's path ("resources[2].outputs[0].size"). */
struct s_rd {
    const char *name;
    struct fv_error *err;
    fv_status st;
};

static bool s_fail(struct s_rd *rd, const char *where, const char *key, const char *what)
{
    if (rd->st == FV_OK)
        rd->st = fv_error_set(rd->err, FV_E_INVALID, "%s: %s%s: %s", rd->name, where, key, what);
    return false;
}

/* The value of key, NULL when absent or JSON null. */
static struct json_object *s_field(struct json_object *obj, const char *key)
{
    struct json_object *v = NULL;
    return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

static bool s_str(struct s_rd *rd, struct json_object *obj, const char *where, const char *key,
                  bool required, char **out)
{
    struct json_object *v = s_field(obj, key);
    *out = NULL;
    if (!v)
        return required ? s_fail(rd, where, key, "missing") : true;
    if (!json_object_is_type(v, json_type_string))
        return s_fail(rd, where, key, "not a string");
    if (required && json_object_get_string_len(v) == 0)
        return s_fail(rd, where, key, "empty");
    *out = fv_strdup(json_object_get_string(v));
    return true;
}

/* An integer of at least min; *out untouched when absent and not required. */
static bool s_int(struct s_rd *rd, struct json_object *obj, const char *where, const char *key,
                  bool required, int64_t min, int64_t *out)
{
    struct json_object *v = s_field(obj, key);
    if (!v)
        return required ? s_fail(rd, where, key, "missing") : true;
    if (!json_object_is_type(v, json_type_int))
        return s_fail(rd, where, key, "not an integer");
    int64_t n = json_object_get_int64(v);
    if (n < min) {
        char what[64];
        snprintf(what, sizeof(what), "%lld is below %lld", (long long)n, (long long)min);
        return s_fail(rd, where, key, what);
    }
    *out = n;
    return true;
}

/* The array at key (NULL and true when absent and not required). */
static bool s_array(struct s_rd *rd, struct json_object *obj, const char *where, const char *key,
                    bool required, struct json_object **out)
{
    *out = s_field(obj, key);
    if (!*out)
        return required ? s_fail(rd, where, key, "missing") : true;
    if (!json_object_is_type(*out, json_type_array))
        return s_fail(rd, where, key, "not a list");
    return true;
}

static bool s_object(struct s_rd *rd, struct json_object *v, const char *where)
{
    if (json_object_is_type(v, json_type_object))
        return true;
    char path[128];
    snprintf(path, sizeof(path), "%.*s", (int)(strlen(where) ? strlen(where) - 1 : 0), where);
    if (rd->st == FV_OK)
        rd->st = fv_error_set(rd->err, FV_E_INVALID, "%s: %s: not an object", rd->name, path);
    return false;
}

static bool s_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static bool s_sha256(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

static const char *const s_output_fields[] = {"backup_arn", "backup_name", "bucket",
                                              "object_key", "size",        "sha256"};

static bool s_known_output_field(const char *key)
{
    for (size_t i = 0; i < sizeof(s_output_fields) / sizeof(*s_output_fields); i++)
        if (strcmp(key, s_output_fields[i]) == 0)
            return true;
    return false;
}

static bool s_output(struct s_rd *rd, struct json_object *v, const char *where,
                     struct fv_manifest_output *o)
{
    o->size = -1;
    if (!s_object(rd, v, where) || !s_str(rd, v, where, "backup_arn", false, &o->backup_arn) ||
        !s_str(rd, v, where, "backup_name", false, &o->backup_name) ||
        !s_str(rd, v, where, "object_key", false, &o->object_key) ||
        !s_str(rd, v, where, "bucket", o->object_key != NULL, &o->bucket) ||
        !s_int(rd, v, where, "size", o->object_key != NULL, 0, &o->size) ||
        !s_str(rd, v, where, "sha256", false, &o->sha256))
        return false;
    if (o->sha256 && !s_sha256(o->sha256))
        return s_fail(rd, where, "sha256", "not 64 lowercase hex digits");
    if (o->backup_arn && strncmp(o->backup_arn, "arn:", 4) != 0)
        return s_fail(rd, where, "backup_arn", "not an ARN");
    json_object_object_foreach(v, key, val)
    {
        if (s_known_output_field(key) || !json_object_is_type(val, json_type_string))
            continue; /* a newer writer's field of another type: not ours to read */
        o->extra = fv_realloc(o->extra, (o->n_extra + 1) * sizeof(*o->extra));
        o->extra[o->n_extra].key = fv_strdup(key);
        o->extra[o->n_extra++].value = fv_strdup(json_object_get_string(val));
    }
    return true;
}

static bool s_resource(struct s_rd *rd, struct json_object *v, const char *where,
                       struct fv_manifest_resource *r)
{
    struct json_object *outs = NULL;
    if (!s_object(rd, v, where) || !s_str(rd, v, where, "kind", true, &r->kind) ||
        !s_str(rd, v, where, "account", true, &r->account) ||
        !s_str(rd, v, where, "resource", true, &r->resource) ||
        !s_str(rd, v, where, "status", true, &r->status) ||
        !s_str(rd, v, where, "region", false, &r->region) ||
        !s_str(rd, v, where, "task_id", false, &r->task_id) ||
        !s_str(rd, v, where, "error_code", false, &r->error_code) ||
        !s_str(rd, v, where, "error_message", false, &r->error_message) ||
        !s_str(rd, v, where, "worker", false, &r->worker) ||
        !s_int(rd, v, where, "attempts", false, 0, &r->attempts) ||
        !s_array(rd, v, where, "outputs", false, &outs))
        return false;
    if (!s_digits(r->account, 12))
        return s_fail(rd, where, "account", "not a 12-digit account id");
    r->n_outputs = outs ? json_object_array_length(outs) : 0;
    r->outputs = fv_calloc(r->n_outputs ? r->n_outputs : 1, sizeof(*r->outputs));
    for (size_t i = 0; i < r->n_outputs; i++) {
        char path[128];
        snprintf(path, sizeof(path), "%soutputs[%zu].", where, i);
        if (!s_output(rd, json_object_array_get_idx(outs, i), path, &r->outputs[i]))
            return false;
    }
    return true;
}

static bool s_target(struct s_rd *rd, struct json_object *v, const char *where,
                     struct fv_manifest_target *t)
{
    return s_object(rd, v, where) && s_str(rd, v, where, "account", true, &t->account) &&
           s_str(rd, v, where, "account_name", false, &t->account_name) &&
           s_str(rd, v, where, "region", false, &t->region) &&
           s_str(rd, v, where, "status", false, &t->status) &&
           s_str(rd, v, where, "error", false, &t->error) &&
           s_int(rd, v, where, "selected", false, 0, &t->selected);
}

static bool s_time(struct s_rd *rd, struct json_object *doc, const char *key, char **text,
                   int64_t *secs)
{
    if (!s_str(rd, doc, "", key, false, text))
        return false;
    int64_t t = *text ? fv_time_parse_iso8601(*text) : -1;
    if (*text && t < 0)
        return s_fail(rd, "", key, "not an ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)");
    if (secs)
        *secs = t;
    return true;
}

static bool s_manifest(struct s_rd *rd, struct json_object *doc, struct fv_manifest *m)
{
    struct json_object *targets = NULL, *resources = NULL, *counts = s_field(doc, "counts");
    int64_t version = 0;
    if (!s_int(rd, doc, "", "manifest_version", true, 1, &version))
        return false;
    if (version != FV_MANIFEST_VERSION) {
        char what[96];
        snprintf(what, sizeof(what), "%lld: this fleetvault reads version %d", (long long)version,
                 FV_MANIFEST_VERSION);
        return s_fail(rd, "", "manifest_version", what);
    }
    m->version = (int)version;
    if (!s_str(rd, doc, "", "run_id", true, &m->run_id) ||
        !s_str(rd, doc, "", "job", true, &m->job) || !s_str(rd, doc, "", "type", true, &m->type) ||
        !s_str(rd, doc, "", "outcome", false, &m->outcome) ||
        !s_time(rd, doc, "started", &m->started, &m->started_s) ||
        !s_time(rd, doc, "finished", &m->finished, NULL) ||
        !s_array(rd, doc, "", "targets", false, &targets) ||
        !s_array(rd, doc, "", "resources", true, &resources))
        return false;
    if (counts && (!s_object(rd, counts, "counts.") ||
                   !s_int(rd, counts, "counts.", "succeeded", false, 0, &m->succeeded) ||
                   !s_int(rd, counts, "counts.", "failed", false, 0, &m->failed) ||
                   !s_int(rd, counts, "counts.", "skipped", false, 0, &m->skipped)))
        return false;
    m->n_targets = targets ? json_object_array_length(targets) : 0;
    m->targets = fv_calloc(m->n_targets ? m->n_targets : 1, sizeof(*m->targets));
    for (size_t i = 0; i < m->n_targets; i++) {
        char path[64];
        snprintf(path, sizeof(path), "targets[%zu].", i);
        if (!s_target(rd, json_object_array_get_idx(targets, i), path, &m->targets[i]))
            return false;
    }
    m->n_resources = json_object_array_length(resources);
    m->resources = fv_calloc(m->n_resources ? m->n_resources : 1, sizeof(*m->resources));
    for (size_t i = 0; i < m->n_resources; i++) {
        char path[64];
        snprintf(path, sizeof(path), "resources[%zu].", i);
        if (!s_resource(rd, json_object_array_get_idx(resources, i), path, &m->resources[i]))
            return false;
    }
    return true;
}

fv_status fv_manifest_parse(const char *name, const char *text, size_t len, struct fv_manifest *out,
                            struct fv_error *err)
{
    struct s_rd rd = {.name = name, .err = err};
    memset(out, 0, sizeof(*out));
    out->started_s = -1;
    struct json_tokener *tok = json_tokener_new();
    struct json_object *doc = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = doc ? json_tokener_get_parse_end(tok) : 0;
    json_tokener_free(tok);
    while (end < len && strchr(" \t\r\n", text[end]))
        end++;
    if (!doc)
        rd.st = fv_error_set(err, FV_E_INVALID, "%s: not JSON (%s)", name,
                             jerr == json_tokener_continue ? "it ends early"
                                                           : json_tokener_error_desc(jerr));
    else if (end != len)
        rd.st = fv_error_set(err, FV_E_INVALID, "%s: not JSON (more after the document)", name);
    else if (!json_object_is_type(doc, json_type_object))
        rd.st = fv_error_set(err, FV_E_INVALID, "%s: not a manifest (not a JSON object)", name);
    else
        s_manifest(&rd, doc, out);
    json_object_put(doc);
    if (rd.st != FV_OK) {
        fv_manifest_clean_up(out);
        out->started_s = -1;
        return rd.st;
    }
    out->path = fv_strdup(name);
    return FV_OK;
}

fv_status fv_manifest_load(const char *path, struct fv_manifest *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    out->started_s = -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fv_error_set(err, errno == ENOENT ? FV_E_NOTFOUND : FV_E_IO, "%s: %s", path,
                            strerror(errno));
    struct fv_buf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fv_buf_append(&b, chunk, n);
    bool failed = ferror(f) != 0;
    fclose(f);
    fv_status st = failed ? fv_error_set(err, FV_E_IO, "%s: read error", path)
                          : fv_manifest_parse(path, fv_buf_str(&b), b.len, out, err);
    fv_buf_clean_up(&b);
    return st;
}

const char *fv_manifest_output_extra(const struct fv_manifest_output *o, const char *key)
{
    for (size_t i = 0; o && i < o->n_extra; i++)
        if (strcmp(o->extra[i].key, key) == 0)
            return o->extra[i].value;
    return NULL;
}

bool fv_manifest_resource_succeeded(const struct fv_manifest_resource *r)
{
    return r->status && strcmp(r->status, "SUCCEEDED") == 0;
}

static void s_output_clean_up(struct fv_manifest_output *o)
{
    free(o->backup_arn);
    free(o->backup_name);
    free(o->bucket);
    free(o->object_key);
    free(o->sha256);
    for (size_t i = 0; i < o->n_extra; i++) {
        free(o->extra[i].key);
        free(o->extra[i].value);
    }
    free(o->extra);
}

static void s_resource_clean_up(struct fv_manifest_resource *r)
{
    free(r->kind);
    free(r->account);
    free(r->resource);
    free(r->status);
    free(r->region);
    free(r->task_id);
    free(r->error_code);
    free(r->error_message);
    free(r->worker);
    for (size_t i = 0; r->outputs && i < r->n_outputs; i++)
        s_output_clean_up(&r->outputs[i]);
    free(r->outputs);
}

void fv_manifest_clean_up(struct fv_manifest *m)
{
    if (!m)
        return;
    free(m->path);
    free(m->run_id);
    free(m->job);
    free(m->type);
    free(m->outcome);
    free(m->started);
    free(m->finished);
    for (size_t i = 0; m->targets && i < m->n_targets; i++) {
        struct fv_manifest_target *t = &m->targets[i];
        free(t->account);
        free(t->account_name);
        free(t->region);
        free(t->status);
        free(t->error);
    }
    free(m->targets);
    for (size_t i = 0; m->resources && i < m->n_resources; i++)
        s_resource_clean_up(&m->resources[i]);
    free(m->resources);
    memset(m, 0, sizeof(*m));
}

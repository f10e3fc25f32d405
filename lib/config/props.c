/* The property-table machinery: typed extraction, defaults, bounds,
 * patterns, environment overrides, unknown-key detection, docs. */
#include "config_internal.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define S_FIELD(target, off, type) ((type *)((char *)(target) + (off)))

struct json_object *fv_props_lookup(struct json_object *obj, const char *key)
{
    char part[128];
    const char *p = key;
    struct json_object *cur = obj;
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        struct json_object *next = NULL;
        if (!json_object_is_type(cur, json_type_object) ||
            !json_object_object_get_ex(cur, part, &next))
            return NULL;
        cur = next;
        p = dot ? dot + 1 : p + n;
    }
    return cur;
}

static void s_env_name(const char *prefix, const char *key, char *out, size_t n)
{
    size_t j = 0;
    for (const char *p = prefix; *p && j + 1 < n; p++)
        out[j++] = *p;
    for (const char *p = key; *p && j + 1 < n; p++)
        out[j++] = (*p == '.' || *p == '-') ? '_' : (char)toupper((unsigned char)*p);
    out[j] = '\0';
}

static bool s_check_pattern(const char *pattern, const char *v)
{
    if (!pattern)
        return true;
    if (strcmp(pattern, "account-id") == 0) {
        if (strlen(v) != 12)
            return false;
        for (const char *p = v; *p; p++)
            if (!isdigit((unsigned char)*p))
                return false;
        return true;
    }
    if (strcmp(pattern, "arn") == 0)
        return strncmp(v, "arn:", 4) == 0 && strchr(v + 4, ':') != NULL;
    if (strcmp(pattern, "region") == 0) {
        /* e.g. us-east-1, eu-central-2, us-gov-west-1, cn-north-1 */
        size_t n = strlen(v);
        if (n < 9 || !isdigit((unsigned char)v[n - 1]) || v[n - 2] != '-')
            return false;
        for (const char *p = v; *p; p++)
            if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
                return false;
        return true;
    }
    return true;
}

static const char *s_pattern_what(const char *pattern)
{
    if (strcmp(pattern, "account-id") == 0)
        return "must be a 12-digit AWS account id";
    if (strcmp(pattern, "arn") == 0)
        return "must be an ARN (arn:partition:service:...)";
    if (strcmp(pattern, "region") == 0)
        return "must be an AWS region such as us-east-1";
    return "is not valid";
}

/* Scalar text of v for string-typed keys: YAML may have made a number of an
 * unquoted account id; accept it back as text. */
static const char *s_scalar_text(struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_string:
    case json_type_int:
    case json_type_double:
    case json_type_boolean: return json_object_get_string(v);
    default: return NULL;
    }
}

static fv_status s_set_string(const char *file, const char *where, const struct fv_prop *pr,
                              const char *v, void *target, struct fv_error *err)
{
    const char *sep = where && *where ? "." : "";
    if (pr->pattern && !s_check_pattern(pr->pattern, v))
        return fv_error_set(err, FV_E_INVALID, "%s: %s%s%s: %s, got '%s'", file, where, sep,
                            pr->key, s_pattern_what(pr->pattern), v);
    if (pr->choices) {
        bool ok = false;
        for (const char *const *c = pr->choices; *c; c++)
            ok = ok || strcmp(*c, v) == 0;
        if (!ok) {
            struct fv_buf list = {0};
            for (const char *const *c = pr->choices; *c; c++)
                fv_buf_printf(&list, "%s%s", list.len ? ", " : "", *c);
            fv_status st =
                fv_error_set(err, FV_E_INVALID, "%s: %s%s%s: must be one of %s, got '%s'", file,
                             where, sep, pr->key, list.ptr, v);
            fv_buf_clean_up(&list);
            return st;
        }
    }
    char **slot = S_FIELD(target, pr->offset, char *);
    free(*slot);
    *slot = fv_strdup(v);
    return FV_OK;
}

static fv_status s_set_int(const char *file, const char *where, const struct fv_prop *pr,
                           const char *text, struct json_object *v, void *target,
                           struct fv_error *err)
{
    const char *sep = where && *where ? "." : "";
    int64_t iv;
    if (v && json_object_is_type(v, json_type_int)) {
        iv = json_object_get_int64(v);
    } else if (!text || !fv_parse_i64(text, &iv)) {
        return fv_error_set(err, FV_E_INVALID, "%s: %s%s%s: must be an integer, got '%s'", file,
                            where, sep, pr->key, text ? text : json_object_get_string(v));
    }
    /* "...: backup.max_assets_per_bundle: max_assets_per_bundle must be between 1 and
     * 100 inclusive, got 0": the leaf name repeated, so the sentence reads alone (it is
     * the QuickSight backup tool's own message, seed 000). */
    const char *leaf = strrchr(pr->key, '.');
    leaf = leaf ? leaf + 1 : pr->key;
    if ((pr->min || pr->max) && (iv < pr->min || iv > pr->max))
        return fv_error_set(
            err, FV_E_INVALID, "%s: %s%s%s: %s must be between %lld and %lld inclusive, got %lld",
            file, where, sep, pr->key, leaf, (long long)pr->min, (long long)pr->max, (long long)iv);
    *S_FIELD(target, pr->offset, int64_t) = iv;
    return FV_OK;
}

static fv_status s_set_bool(const char *file, const char *where, const struct fv_prop *pr,
                            const char *text, struct json_object *v, void *target,
                            struct fv_error *err)
{
    const char *sep = where && *where ? "." : "";
    bool b;
    if (v && json_object_is_type(v, json_type_boolean))
        b = json_object_get_boolean(v);
    else if (text &&
             (strcmp(text, "true") == 0 || strcmp(text, "1") == 0 || strcmp(text, "yes") == 0))
        b = true;
    else if (text &&
             (strcmp(text, "false") == 0 || strcmp(text, "0") == 0 || strcmp(text, "no") == 0))
        b = false;
    else
        return fv_error_set(err, FV_E_INVALID, "%s: %s%s%s: must be true or false, got '%s'", file,
                            where, sep, pr->key, text ? text : json_object_get_string(v));
    *S_FIELD(target, pr->offset, bool) = b;
    return FV_OK;
}

static fv_status s_set_list(const char *file, const char *where, const struct fv_prop *pr,
                            struct json_object *v, const char *text, void *target,
                            struct fv_error *err)
{
    const char *sep = where && *where ? "." : "";
    char ***slot = S_FIELD(target, pr->offset, char **);
    size_t *count = S_FIELD(target, pr->count_offset, size_t);
    size_t n = 0;
    char **items = NULL;
    if (text) { /* comma-separated, from the environment or a default */
        char *copy = fv_strdup(text), *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            items = fv_realloc(items, (n + 2) * sizeof(char *));
            items[n++] = fv_strdup(tok);
        }
        free(copy);
    } else if (json_object_is_type(v, json_type_array)) {
        size_t len = json_object_array_length(v);
        items = fv_calloc(len + 1, sizeof(char *));
        for (size_t i = 0; i < len; i++) {
            const char *s = s_scalar_text(json_object_array_get_idx(v, i));
            if (!s) {
                for (size_t k = 0; k < n; k++)
                    free(items[k]);
                free(items);
                return fv_error_set(err, FV_E_INVALID, "%s: %s%s%s[%zu]: must be a string", file,
                                    where, sep, pr->key, i);
            }
            items[n++] = fv_strdup(s);
        }
    } else {
        return fv_error_set(err, FV_E_INVALID, "%s: %s%s%s: must be a list", file, where, sep,
                            pr->key);
    }
    if (items)
        items[n] = NULL;
    for (size_t i = 0; i < n; i++) {
        if (pr->pattern && !s_check_pattern(pr->pattern, items[i])) {
            fv_status st =
                fv_error_set(err, FV_E_INVALID, "%s: %s%s%s[%zu]: %s, got '%s'", file, where, sep,
                             pr->key, i, s_pattern_what(pr->pattern), items[i]);
            for (size_t k = 0; k < n; k++)
                free(items[k]);
            free(items);
            return st;
        }
    }
    if (*slot) {
        for (char **p = *slot; *p; p++)
            free(*p);
        free(*slot);
    }
    *slot = items;
    *count = n;
    return FV_OK;
}

/* Is `key` (top-level name) declared by props or allowed? */
static bool s_known(const struct fv_prop *props, size_t n, const char *const *allow,
                    const char *path)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(props[i].key, path) == 0)
            return true;
        if (strncmp(props[i].key, path, len) == 0 && props[i].key[len] == '.')
            return true; /* a section holding declared keys */
    }
    for (const char *const *a = allow; a && *a; a++)
        if (strcmp(*a, path) == 0)
            return true;
    return false;
}

static fv_status s_check_unknown(const char *file, const char *where, const struct fv_prop *props,
                                 size_t n, const char *const *allow, struct json_object *obj,
                                 const char *prefix, struct fv_error *err)
{
    json_object_object_foreach(obj, key, val)
    {
        char path[256];
        snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", key);
        if (!s_known(props, n, allow, path))
            return fv_error_set(err, FV_E_INVALID, "%s: %s%s%s: unknown key", file, where,
                                where && *where ? "." : "", path);
        bool is_leaf = false;
        for (size_t i = 0; i < n; i++)
            is_leaf = is_leaf || strcmp(props[i].key, path) == 0;
        bool allowed = false;
        for (const char *const *a = allow; a && *a; a++)
            allowed = allowed || strcmp(*a, path) == 0;
        if (!is_leaf && !allowed) {
            if (!json_object_is_type(val, json_type_object))
                return fv_error_set(err, FV_E_INVALID, "%s: %s%s%s: must be a mapping", file, where,
                                    where && *where ? "." : "", path);
            fv_status st = s_check_unknown(file, where, props, n, allow, val, path, err);
            if (st != FV_OK)
                return st;
        }
    }
    return FV_OK;
}

fv_status fv_props_apply(const char *file, const char *where, const struct fv_prop *props, size_t n,
                         struct json_object *obj, void *target, const char *const *allow_unknown,
                         const char *env_prefix, struct fv_error *err)
{
    fv_status st = s_check_unknown(file, where, props, n, allow_unknown, obj, "", err);
    if (st != FV_OK)
        return st;
    const char *sep = where && *where ? "." : "";
    for (size_t i = 0; i < n; i++) {
        const struct fv_prop *pr = &props[i];
        struct json_object *v = fv_props_lookup(obj, pr->key);
        const char *text = NULL;
        char env_name[160];
        const char *src_file = file;
        if (env_prefix) {
            s_env_name(env_prefix, pr->key, env_name, sizeof(env_name));
            const char *e = getenv(env_name);
            if (e) {
                text = e;
                v = NULL;
                src_file = env_name;
            }
        }
        if (!text && v) {
            if (pr->type == FV_PROP_STRLIST) {
                st = s_set_list(src_file, where, pr, v, NULL, target, err);
                if (st != FV_OK)
                    return st;
                continue;
            }
            text = s_scalar_text(v);
            if (!text)
                return fv_error_set(err, FV_E_INVALID, "%s: %s%s%s: must be a %s", file, where, sep,
                                    pr->key,
                                    pr->type == FV_PROP_INT    ? "number"
                                    : pr->type == FV_PROP_BOOL ? "boolean"
                                                               : "string");
        }
        if (!text && !v) {
            if (pr->required)
                return fv_error_set(err, FV_E_INVALID, "%s: %s%s%s: required key is missing", file,
                                    where, sep, pr->key);
            if (!pr->def)
                continue;
            text = pr->def;
        }
        switch (pr->type) {
        case FV_PROP_STRING:
            if (pr->required && !*text)
                return fv_error_set(err, FV_E_INVALID, "%s: %s%s%s: must not be empty", src_file,
                                    where, sep, pr->key);
            st = s_set_string(src_file, where, pr, text, target, err);
            break;
        case FV_PROP_INT: st = s_set_int(src_file, where, pr, text, v, target, err); break;
        case FV_PROP_BOOL: st = s_set_bool(src_file, where, pr, text, v, target, err); break;
        case FV_PROP_STRLIST: st = s_set_list(src_file, where, pr, NULL, text, target, err); break;
        }
        if (st != FV_OK)
            return st;
    }
    return FV_OK;
}

void fv_props_clean_up(const struct fv_prop *props, size_t n, void *target)
{
    for (size_t i = 0; i < n; i++) {
        if (props[i].type == FV_PROP_STRING) {
            char **slot = S_FIELD(target, props[i].offset, char *);
            free(*slot);
            *slot = NULL;
        } else if (props[i].type == FV_PROP_STRLIST) {
            char ***slot = S_FIELD(target, props[i].offset, char **);
            if (*slot) {
                for (char **p = *slot; *p; p++)
                    free(*p);
                free(*slot);
            }
            *slot = NULL;
            *S_FIELD(target, props[i].count_offset, size_t) = 0;
        }
    }
}

static const char *s_type_name(enum fv_prop_type t)
{
    switch (t) {
    case FV_PROP_STRING: return "string";
    case FV_PROP_INT: return "integer";
    case FV_PROP_BOOL: return "boolean";
    case FV_PROP_STRLIST: return "list of strings";
    }
    return "?";
}

void fv_props_write_docs(FILE *f, const char *prefix, const struct fv_prop *props, size_t n)
{
    fprintf(f, "| key | type | default | description |\n|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        const struct fv_prop *pr = &props[i];
        fprintf(f, "| `%s%s` | %s | %s | %s%s", prefix, pr->key, s_type_name(pr->type),
                pr->required ? "required" : (pr->def ? pr->def : "—"), pr->doc,
                pr->choices ? " One of:" : "");
        for (const char *const *c = pr->choices; c && *c; c++)
            fprintf(f, " `%s`", *c);
        if (pr->min || pr->max)
            fprintf(f, " (%lld–%lld)", (long long)pr->min, (long long)pr->max);
        fprintf(f, " |\n");
    }
}

/* YAML and JSON configuration files into json-c trees. */
#include <fv/doc.h>

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#define S_MAX_CONFIG_BYTES (16 * 1024 * 1024)
#define S_MAX_DEPTH 64

static struct json_object *s_scalar(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0 || strcmp(v, "TRUE") == 0)
            return json_object_new_boolean(1);
        if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || strcmp(v, "FALSE") == 0)
            return json_object_new_boolean(0);
        if (n == 0 || strcmp(v, "null") == 0 || strcmp(v, "~") == 0 || strcmp(v, "Null") == 0)
            return NULL;
        int64_t iv;
        /* Integers only when they round-trip: "0123" and "111111111111"
         * account ids stay what they look like (ids longer than a safe int
         * are kept as strings by the schema's string type anyway). */
        if (fv_parse_i64(v, &iv) && (v[0] != '0' || n == 1))
            return json_object_new_int64(iv);
    }
    return json_object_new_string_len(v, (int)n);
}

struct s_frame {
    struct json_object *obj;
    char *pending_key; /* in a mapping, the key awaiting its value */
};

static fv_status s_yaml_error(const char *name, size_t line, const char *what, struct fv_error *err)
{
    return fv_error_set(err, FV_E_INVALID, "%s:%zu: %s", name, line, what);
}

/* Adds v to the container on top of the stack. */
static fv_status s_add(const char *name, struct s_frame *top, struct json_object *v, size_t line,
                       struct fv_error *err)
{
    if (json_object_is_type(top->obj, json_type_array)) {
        json_object_array_add(top->obj, v);
        return FV_OK;
    }
    if (!top->pending_key) {
        /* v is a key. Keys must be scalars. */
        if (v && !json_object_is_type(v, json_type_object) &&
            !json_object_is_type(v, json_type_array)) {
            top->pending_key = fv_strdup(json_object_get_string(v));
            json_object_put(v);
            return FV_OK;
        }
        if (!v) {
            top->pending_key = fv_strdup("null");
            return FV_OK;
        }
        json_object_put(v);
        return s_yaml_error(name, line, "a mapping key must be a scalar", err);
    }
    if (json_object_object_get_ex(top->obj, top->pending_key, NULL)) {
        fv_status st = fv_error_set(err, FV_E_INVALID, "%s:%zu: duplicate key '%s'", name, line,
                                    top->pending_key);
        json_object_put(v);
        return st;
    }
    json_object_object_add(top->obj, top->pending_key, v);
    free(top->pending_key);
    top->pending_key = NULL;
    return FV_OK;
}

static fv_status s_parse_yaml(const char *name, const char *text, size_t len,
                              struct json_object **out, struct fv_error *err)
{
    yaml_parser_t p;
    yaml_event_t ev;
    struct s_frame stack[S_MAX_DEPTH];
    int depth = 0;
    struct json_object *root = NULL;
    fv_status st = FV_OK;
    bool done = false;

    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!done) {
        if (!yaml_parser_parse(&p, &ev)) {
            st = s_yaml_error(name, p.problem_mark.line + 1,
                              p.problem ? p.problem : "YAML syntax error", err);
            break;
        }
        size_t line = ev.start_mark.line + 1;
        struct json_object *v = NULL;
        bool push = false, add = false;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_ALIAS_EVENT:
            st = s_yaml_error(name, line, "YAML aliases are not supported in configuration", err);
            break;
        case YAML_SCALAR_EVENT:
            v = s_scalar(&ev);
            add = true;
            break;
        case YAML_SEQUENCE_START_EVENT:
            v = json_object_new_array();
            push = add = true;
            break;
        case YAML_MAPPING_START_EVENT:
            v = json_object_new_object();
            push = add = true;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            free(stack[depth].pending_key);
            break;
        default: break;
        }
        if (st == FV_OK && add) {
            if (depth == 0) {
                if (root) {
                    json_object_put(v);
                    st = s_yaml_error(name, line, "more than one YAML document", err);
                } else if (!push) {
                    json_object_put(v);
                    st = s_yaml_error(name, line, "the document must be a mapping", err);
                } else {
                    root = json_object_get(v);
                }
            } else {
                if (push)
                    json_object_get(v); /* the stack keeps a reference while open */
                st = s_add(name, &stack[depth - 1], v, line, err);
                if (st != FV_OK && push) {
                    json_object_put(v);
                    push = false;
                }
            }
            if (st == FV_OK && push) {
                if (depth == S_MAX_DEPTH) {
                    json_object_put(v);
                    st = s_yaml_error(name, line, "nesting too deep", err);
                } else {
                    stack[depth].obj = v;
                    stack[depth].pending_key = NULL;
                    depth++;
                    /* Drop the extra reference: the parent (or root) owns it. */
                    json_object_put(v);
                }
            }
        }
        yaml_event_delete(&ev);
        if (st != FV_OK)
            break;
    }
    while (depth > 0)
        free(stack[--depth].pending_key);
    yaml_parser_delete(&p);
    if (st != FV_OK) {
        json_object_put(root);
        return st;
    }
    if (!root || !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return fv_error_set(err, FV_E_INVALID, "%s: the document must be a mapping of keys", name);
    }
    *out = root;
    return FV_OK;
}

static fv_status s_parse_json(const char *name, const char *text, size_t len,
                              struct json_object **out, struct fv_error *err)
{
    struct json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    struct json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t off = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success) {
        json_object_put(root);
        size_t line = 1;
        for (size_t i = 0; i < off && i < len; i++)
            if (text[i] == '\n')
                line++;
        return fv_error_set(err, FV_E_INVALID, "%s:%zu: %s", name, line,
                            jerr == json_tokener_success ? "incomplete JSON"
                                                         : json_tokener_error_desc(jerr));
    }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return fv_error_set(err, FV_E_INVALID, "%s: the document must be a JSON object", name);
    }
    *out = root;
    return FV_OK;
}

fv_status fv_doc_parse(const char *name, const char *text, size_t len, bool json,
                       struct json_object **out, struct fv_error *err)
{
    *out = NULL;
    return json ? s_parse_json(name, text, len, out, err) : s_parse_yaml(name, text, len, out, err);
}

fv_status fv_doc_load(const char *path, struct json_object **out, struct fv_error *err)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return fv_error_set(err, FV_E_NOTFOUND, "Configuration file does not exist: %s", path);
    if (!S_ISREG(sb.st_mode))
        return fv_error_set(err, FV_E_INVALID, "Configuration file is not a regular file: %s",
                            path);
    if (sb.st_size > S_MAX_CONFIG_BYTES)
        return fv_error_set(err, FV_E_INVALID, "Configuration file is too large: %s", path);
    const char *dot = strrchr(path, '.');
    bool yaml = dot && (strcasecmp(dot, ".yaml") == 0 || strcasecmp(dot, ".yml") == 0);
    bool json = dot && strcasecmp(dot, ".json") == 0;

    FILE *f = fopen(path, "rb");
    if (!f)
        return fv_error_set(err, FV_E_IO, "cannot read configuration file %s: %s", path,
                            strerror(errno));
    struct fv_buf text = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fv_buf_append(&text, chunk, n);
    bool rerr = ferror(f);
    fclose(f);
    if (rerr) {
        fv_buf_clean_up(&text);
        return fv_error_set(err, FV_E_IO, "cannot read configuration file %s", path);
    }
    if (!yaml && !json) {
        const char *s = fv_buf_str(&text);
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        if (*s == '{') {
            json = true;
        } else {
            fv_buf_clean_up(&text);
            return fv_error_set(err, FV_E_INVALID, "Configuration file must be YAML or JSON: %s",
                                path);
        }
    }
    fv_status st = fv_doc_parse(path, fv_buf_str(&text), text.len, json, out, err);
    fv_buf_clean_up(&text);
    return st;
}

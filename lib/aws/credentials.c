/* Credentials, the provider base (reference count, cache, refresh) and the
 * static provider. See creds_internal.h for the caching rules. */
#include "aws/creds_internal.h"

#include <fv/clock.h>
#include <fv/http.h>
#include <fv/log.h>

#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* After a failed refresh while cached credentials are still valid, wait this
 * long before trying again (so an IMDS outage does not slow every call). */
#define S_RETRY_AFTER_FAILURE_S 30
#define S_MAX_TOKEN_FILE (1u << 20)
#define S_MAX_HTTP_BODY (64u << 10)

/* dst is overwritten (not freed first). */
void fv_credentials_copy(struct fv_credentials *dst, const struct fv_credentials *src)
{
    dst->access_key_id = fv_strdup(src->access_key_id);
    dst->secret_access_key = fv_strdup(src->secret_access_key);
    dst->session_token = fv_strdup(src->session_token);
    dst->expiration = src->expiration;
}

void fv_credentials_clean_up(struct fv_credentials *c)
{
    if (!c)
        return;
    free(c->access_key_id);
    fv_free_secret(c->secret_access_key);
    fv_free_secret(c->session_token);
    memset(c, 0, sizeof(*c));
}

/* ---- environment helpers ------------------------------------------------ */

static const char *s_real_getenv(void *ud, const char *name)
{
    (void)ud;
    return getenv(name);
}

void fv_creds_env_fill(struct fv_creds_env *dst, const struct fv_creds_env *src)
{
    *dst = src ? *src : (struct fv_creds_env){0};
    if (!dst->getenv) {
        dst->getenv = s_real_getenv;
        dst->getenv_ud = NULL;
    }
    if (!dst->clock)
        dst->clock = fv_clock_system();
}

const char *fv_creds_getenv(const struct fv_creds_env *env, const char *name)
{
    return env->getenv(env->getenv_ud, name);
}

const char *fv_creds_getenv_nonempty(const struct fv_creds_env *env, const char *name)
{
    const char *v = fv_creds_getenv(env, name);
    return v && *v ? v : NULL;
}

int64_t fv_creds_now(const struct fv_creds_env *env)
{
    int64_t ms = fv_clock_now_ms(env->clock);
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

const char *fv_creds_sts_region(const struct fv_creds_env *env, const char *region)
{
    if (region && *region)
        return region;
    const char *r = fv_creds_getenv_nonempty(env, "AWS_REGION");
    if (!r)
        r = fv_creds_getenv_nonempty(env, "AWS_DEFAULT_REGION");
    return r ? r : "us-east-1";
}

void fv_creds_error_prefix(struct fv_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    struct fv_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    fv_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    fv_buf_append_str(&b, err->message);
    snprintf(err->message, sizeof(err->message), "%s", fv_buf_str(&b));
    fv_buf_clean_up(&b);
}

fv_status fv_creds_read_token_file(const char *path, const char *what, struct fv_buf *out,
                                   struct fv_error *err)
{
    fv_status st = FV_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;

    fv_buf_reset(out);
    out->secret = true;
    if (fd < 0) {
        st = fv_error_set(err, FV_E_IO, "cannot read %s %s: %s", what, path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &sb) != 0 || S_ISDIR(sb.st_mode)) {
        st = fv_error_set(err, FV_E_IO, "cannot read %s %s: not a file", what, path);
        goto out;
    }
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = fv_error_set(err, FV_E_IO, "cannot read %s %s: %s", what, path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        fv_buf_append(out, chunk, (size_t)n);
        if (out->len > S_MAX_TOKEN_FILE) {
            st = fv_error_set(err, FV_E_IO, "%s %s is larger than %u bytes", what, path,
                              S_MAX_TOKEN_FILE);
            goto out;
        }
    }
    explicit_bzero(chunk, sizeof(chunk));
    while (out->len > 0 && (out->ptr[out->len - 1] == '\n' || out->ptr[out->len - 1] == '\r' ||
                            out->ptr[out->len - 1] == ' ' || out->ptr[out->len - 1] == '\t'))
        out->ptr[--out->len] = '\0';
    if (out->len == 0) {
        st = fv_error_set(err, FV_E_IO, "%s %s is empty", what, path);
        goto out;
    }
    if (memchr(out->ptr, '\0', out->len)) {
        st = fv_error_set(err, FV_E_IO, "%s %s holds a NUL byte", what, path);
        goto out;
    }
    fv_log_secret_hold(out->ptr);
out:
    if (fd >= 0)
        close(fd);
    if (st != FV_OK && out->ptr) {
        explicit_bzero(out->ptr, out->len);
        fv_buf_reset(out);
    }
    return st;
}

/* ---- JSON and HTTP for the container and IMDS endpoints ------------------ */

static const char *s_json_str(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

fv_status fv_creds_parse_json(const char *body, size_t len, const char *where,
                              struct fv_credentials *out, struct fv_error *err)
{
    fv_status st = FV_OK;
    struct json_tokener *tok = json_tokener_new();
    struct json_object *root = json_tokener_parse_ex(tok, body, (int)len);

    memset(out, 0, sizeof(*out));
    if (!root || json_tokener_get_error(tok) != json_tokener_success ||
        !json_object_is_type(root, json_type_object)) {
        st = fv_error_set(err, FV_E_PARSE, "the answer from %s is not a JSON object", where);
        goto out;
    }
    const char *code = s_json_str(root, "Code");
    if (code && strcmp(code, "Success") != 0) {
        /* AWS codes are CamelCase words; anything else is not echoed. */
        bool word =
            strlen(code) <= 64 && strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "abcdefghijklmnopqrstuvwxyz") == strlen(code);
        st = fv_error_set(err, FV_E_AUTH, "%s answered Code \"%s\" instead of \"Success\"", where,
                          word ? code : "?");
        goto out;
    }
    const char *akid = s_json_str(root, "AccessKeyId");
    const char *secret = s_json_str(root, "SecretAccessKey");
    const char *token = s_json_str(root, "Token");
    const char *exp = s_json_str(root, "Expiration");
    if (!akid || !*akid || !secret || !*secret) {
        st = fv_error_set(err, FV_E_PARSE,
                          "the answer from %s lacks AccessKeyId or "
                          "SecretAccessKey",
                          where);
        goto out;
    }
    int64_t expiration = 0;
    if (exp && *exp) {
        expiration = fv_time_parse_iso8601(exp);
        if (expiration < 0) {
            st = fv_error_set(err, FV_E_PARSE, "the answer from %s has a bad Expiration", where);
            goto out;
        }
    }
    out->access_key_id = fv_strdup(akid);
    out->secret_access_key = fv_strdup(secret);
    out->session_token = token && *token ? fv_strdup(token) : NULL;
    out->expiration = expiration;
out:
    if (root) {
        /* json-c frees strings unwiped: wipe the secrets in place first. */
        static const char *const secret_keys[] = {"SecretAccessKey", "Token"};
        for (size_t i = 0; i < sizeof(secret_keys) / sizeof(*secret_keys); i++) {
            struct json_object *v;
            if (json_object_object_get_ex(root, secret_keys[i], &v) &&
                json_object_is_type(v, json_type_string))
                fv_wipe((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
        }
        json_object_put(root);
    }
    json_tokener_free(tok);
    return st;
}

fv_status fv_creds_http(const char *method, const char *url, const struct fv_headers *headers,
                        long timeout_ms, int *status, struct fv_buf *body, struct fv_error *err)
{
    fv_status st = FV_OK;
    struct fv_http_options o;

    fv_http_options_default(&o);
    o.connect_timeout_ms = timeout_ms;
    o.timeout_ms = timeout_ms;
    o.no_proxy = true;
    *status = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct fv_http_request req = {
            .method = method, .url = url, .max_body = S_MAX_HTTP_BODY, .timeout_ms = timeout_ms};
        struct fv_http_response resp = {0};
        for (size_t i = 0; headers && i < headers->n; i++)
            fv_headers_add(&req.headers, headers->items[i].name, headers->items[i].value);
        st = fv_http_simple(&o, &req, &resp, err);
        fv_headers_clean_up(&req.headers);
        if (st == FV_OK) {
            *status = resp.status;
            fv_buf_wipe(body);
            *body = resp.body;
            resp.body = (struct fv_buf){0};
        }
        fv_http_response_clean_up(&resp);
        if (st == FV_OK && *status < 500)
            break;
    }
    return st;
}

/* ---- the provider base -------------------------------------------------- */

struct fv_creds_provider *fv_creds_provider_new(const struct fv_creds_vtable *vt, void *impl,
                                                const char *source, const struct fv_creds_env *env)
{
    struct fv_creds_provider *p = fv_calloc(1, sizeof(*p));
    p->vt = vt;
    p->impl = impl;
    atomic_init(&p->refs, 1);
    p->source = fv_strdup(source);
    fv_creds_env_fill(&p->env, env);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->done, NULL);
    return p;
}

static void s_forget(const struct fv_credentials *c)
{
    fv_log_secret_forget(c->secret_access_key);
    fv_log_secret_forget(c->session_token);
}

struct fv_creds_provider *fv_creds_ref(struct fv_creds_provider *p)
{
    if (p)
        atomic_fetch_add(&p->refs, 1);
    return p;
}

void fv_creds_unref(struct fv_creds_provider *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    if (p->vt->destroy)
        p->vt->destroy(p->impl);
    if (p->have)
        s_forget(&p->cached);
    fv_credentials_clean_up(&p->cached);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p->source);
    free(p);
}

const char *fv_creds_source(struct fv_creds_provider *p)
{
    if (!p)
        return "none";
    if (p->vt->source)
        return p->vt->source(p);
    return p->source;
}

static bool s_usable(const struct fv_credentials *c, int64_t now)
{
    return c->expiration == 0 || now < c->expiration;
}

static bool s_fresh(const struct fv_credentials *c, int64_t now)
{
    return c->expiration == 0 || now < c->expiration - FV_CREDS_REFRESH_MARGIN_S;
}

/* Checks what a fetch returned. */
static fv_status s_check_fetched(struct fv_creds_provider *p, const struct fv_credentials *c,
                                 int64_t now, struct fv_error *err)
{
    if (!c->access_key_id || !*c->access_key_id || !c->secret_access_key || !*c->secret_access_key)
        return fv_error_set(err, FV_E_AUTH,
                            "credentials from %s lack an access key id or a "
                            "secret access key",
                            p->source);
    if (c->expiration != 0 && c->expiration <= now) {
        char when[21];
        fv_time_iso8601(c->expiration, when);
        return fv_error_set(err, FV_E_AUTH, "credentials from %s expired at %s", p->source, when);
    }
    return FV_OK;
}

fv_status fv_creds_get(struct fv_creds_provider *p, struct fv_credentials *out,
                       struct fv_error *err)
{
    fv_status st;
    struct fv_credentials fresh = {0};
    struct fv_error ferr = {0};

    memset(out, 0, sizeof(*out));
    if (!p)
        return fv_error_set(err, FV_E_INVALID, "no credentials provider");
    if (p->vt->get)
        return p->vt->get(p, out, err);

    pthread_mutex_lock(&p->lock);
    for (;;) {
        int64_t now = fv_creds_now(&p->env);
        if (p->have && (s_fresh(&p->cached, now) ||
                        (s_usable(&p->cached, now) && (p->fetching || now < p->retry_after)))) {
            fv_credentials_copy(out, &p->cached);
            pthread_mutex_unlock(&p->lock);
            return FV_OK;
        }
        if (!p->fetching)
            break;
        uint64_t gen = p->generation;
        while (p->fetching && p->generation == gen)
            pthread_cond_wait(&p->done, &p->lock);
        now = fv_creds_now(&p->env);
        if (p->generation != gen && p->last_status != FV_OK &&
            !(p->have && s_usable(&p->cached, now))) {
            st = p->last_status;
            if (err)
                *err = p->last_err;
            pthread_mutex_unlock(&p->lock);
            return st;
        }
    }
    p->fetching = true;
    pthread_mutex_unlock(&p->lock);

    st = p->vt->fetch(p, &fresh, &ferr);
    int64_t now = fv_creds_now(&p->env);
    if (st == FV_OK)
        st = s_check_fetched(p, &fresh, now, &ferr);

    pthread_mutex_lock(&p->lock);
    p->generation++;
    p->fetching = false;
    p->last_status = st;
    p->last_err = ferr;
    if (st == FV_OK) {
        /* The cache holds its secrets in the log's registry; rotated ones
         * are forgotten (and wiped there) once replaced. Hold before forget,
         * so a secret that did not change is never dropped. */
        fv_log_secret_hold(fresh.secret_access_key);
        fv_log_secret_hold(fresh.session_token);
        if (p->have)
            s_forget(&p->cached);
        fv_credentials_clean_up(&p->cached);
        p->cached = fresh;
        p->have = true;
        p->retry_after = 0;
        fresh = (struct fv_credentials){0};
        fv_credentials_copy(out, &p->cached);
    } else if (p->have && s_usable(&p->cached, now)) {
        char when[21];
        fv_time_iso8601(p->cached.expiration, when);
        FV_LOG(FV_LOG_WARN, "creds",
               "refreshing credentials from %s failed (%s); using the "
               "cached ones, valid until %s",
               p->source, ferr.message, when);
        p->retry_after = now + S_RETRY_AFTER_FAILURE_S;
        fv_credentials_copy(out, &p->cached);
        st = FV_OK;
    } else if (err) {
        *err = ferr;
    }
    pthread_cond_broadcast(&p->done);
    pthread_mutex_unlock(&p->lock);
    fv_credentials_clean_up(&fresh);
    return st;
}

/* ---- static ------------------------------------------------------------- */

struct s_static {
    struct fv_credentials creds;
};

static fv_status s_static_fetch(struct fv_creds_provider *p, struct fv_credentials *out,
                                struct fv_error *err)
{
    struct s_static *s = p->impl;
    (void)err;
    fv_credentials_copy(out, &s->creds);
    return FV_OK;
}

static void s_static_destroy(void *impl)
{
    struct s_static *s = impl;
    fv_credentials_clean_up(&s->creds);
    free(s);
}

static const struct fv_creds_vtable s_static_vt = {
    .fetch = s_static_fetch,
    .destroy = s_static_destroy,
};

struct fv_creds_provider *fv_creds_static_labeled(const struct fv_credentials *c,
                                                  const char *source,
                                                  const struct fv_creds_env *env)
{
    struct s_static *s = fv_calloc(1, sizeof(*s));
    fv_credentials_copy(&s->creds, c);
    fv_log_secret(c->secret_access_key);
    fv_log_secret(c->session_token);
    return fv_creds_provider_new(&s_static_vt, s, source, env);
}

struct fv_creds_provider *fv_creds_static(const struct fv_credentials *c)
{
    if (!c)
        return NULL;
    return fv_creds_static_labeled(c, "static", NULL);
}

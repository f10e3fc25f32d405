/* Sealed (HMAC-authenticated) task messages (fv/seal.h). */
#include <fv/log.h>
#include <fv/seal.h>

#include "fleetvault.pb-c.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CONTEXT "fleetvault.task.v1"
#define S_MIN_SECRET 32
#define S_MAX_KEYS 16
#define S_ENV "FV_TASK_SIGNING_KEYS"

struct s_key {
    char *id;
    unsigned char *secret;
    size_t len;
};

struct fv_task_keys {
    struct s_key keys[S_MAX_KEYS];
    size_t n;
};

void fv_task_keys_destroy(struct fv_task_keys *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++) {
        free(k->keys[i].id);
        OPENSSL_cleanse(k->keys[i].secret, k->keys[i].len);
        free(k->keys[i].secret);
    }
    free(k);
}

const char *fv_task_keys_signing_id(const struct fv_task_keys *k)
{
    return k->keys[0].id;
}

static void s_add(struct fv_task_keys *k, const char *id, size_t id_len, const void *secret,
                  size_t len)
{
    struct s_key *key = &k->keys[k->n++];
    key->id = fv_strndup(id, id_len);
    key->secret = fv_malloc(len);
    memcpy(key->secret, secret, len);
    key->len = len;
}

static bool s_id_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

fv_status fv_task_keys_parse(const char *text, const char *where, struct fv_task_keys **out,
                             struct fv_error *err)
{
    struct fv_task_keys *k = fv_calloc(1, sizeof(*k));
    fv_status st = FV_OK;
    int line = 0;
    for (const char *p = text; *p && st == FV_OK;) {
        size_t n = strcspn(p, "\n;");
        const char *end = p + n;
        line++;
        while (p < end && isspace((unsigned char)*p))
            p++;
        const char *e = end;
        while (e > p && isspace((unsigned char)e[-1]))
            e--;
        if (p < e && *p != '#') {
            const char *id = p;
            while (p < e && s_id_char(*p))
                p++;
            size_t id_len = (size_t)(p - id);
            while (p < e && (*p == ' ' || *p == '\t'))
                p++;
            size_t secret_len = (size_t)(e - p);
            bool dup = false;
            for (size_t i = 0; i < k->n; i++)
                dup = dup ||
                      (strlen(k->keys[i].id) == id_len && memcmp(k->keys[i].id, id, id_len) == 0);
            /* The message never quotes the line: it may hold a secret. */
            if (id_len == 0 || id_len > 64 || p == id + id_len)
                st = fv_error_set(
                    err, FV_E_INVALID,
                    "%s: key %d: expected '<key id> <secret>' (id of A-Z a-z 0-9 . _ -)", where,
                    line);
            else if (secret_len < S_MIN_SECRET)
                st = fv_error_set(err, FV_E_INVALID,
                                  "%s: key '%.*s': the secret must be at least %d characters",
                                  where, (int)id_len, id, S_MIN_SECRET);
            else if (dup)
                st = fv_error_set(err, FV_E_INVALID, "%s: key '%.*s' appears twice", where,
                                  (int)id_len, id);
            else if (k->n == S_MAX_KEYS)
                st = fv_error_set(err, FV_E_INVALID, "%s: more than %d keys", where, S_MAX_KEYS);
            else
                s_add(k, id, id_len, p, secret_len);
        }
        p = *end ? end + 1 : end;
    }
    if (st == FV_OK && k->n == 0)
        st = fv_error_set(err, FV_E_INVALID, "%s: no keys", where);
    if (st != FV_OK) {
        fv_task_keys_destroy(k);
        k = NULL;
    }
    *out = k;
    return st;
}

static fv_status s_read_file(const char *path, struct fv_buf *out, struct fv_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fv_error_set(err, FV_E_IO, "cannot read: %s", strerror(errno));
    setvbuf(f, NULL, _IONBF, 0); /* no stdio copy of the keys left behind */
    out->secret = true;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && out->len < 65536)
        fv_buf_append(out, chunk, n);
    fclose(f);
    fv_wipe(chunk, sizeof(chunk));
    return FV_OK;
}

fv_status fv_task_keys_load(const struct fv_config *cfg, bool embedded, struct fv_task_keys **out,
                            struct fv_error *err)
{
    *out = NULL;
    const char *file = cfg->path ? cfg->path : "config";
    struct fv_buf where = {0}, text = {0};
    fv_status st;
    if (cfg->task_keys_file) {
        fv_buf_printf(&where, "%s: tasks.signing_keys_file: %s", file, cfg->task_keys_file);
        struct fv_error e2;
        st = s_read_file(cfg->task_keys_file, &text, &e2);
        if (st != FV_OK)
            fv_error_set(err, st, "%s: %s", where.ptr, e2.message);
        else
            st = fv_task_keys_parse(fv_buf_str(&text), where.ptr, out, err);
    } else if (getenv(S_ENV)) {
        st = fv_task_keys_parse(getenv(S_ENV), S_ENV, out, err);
    } else if (embedded) {
        unsigned char secret[32];
        if (RAND_bytes(secret, sizeof(secret)) != 1)
            abort(); /* no randomness: nothing is safe to sign with */
        *out = fv_calloc(1, sizeof(**out));
        s_add(*out, "embedded", 8, secret, sizeof(secret));
        OPENSSL_cleanse(secret, sizeof(secret));
        st = FV_OK;
    } else {
        st = fv_error_set(err, FV_E_INVALID,
                          "%s: tasks.signing_keys_file: required with an external Kafka cluster "
                          "(or set %s): workers run only tasks signed with these keys",
                          file, S_ENV);
    }
    for (size_t i = 0; *out && i < (*out)->n; i++) {
        char *s = fv_strndup((const char *)(*out)->keys[i].secret, (*out)->keys[i].len);
        fv_log_secret(s);
        fv_free_secret(s);
    }
    fv_buf_wipe(&text);
    fv_buf_clean_up(&where);
    return st;
}

static void s_mac(const struct s_key *key, const uint8_t *task, size_t n, unsigned char out[32])
{
    struct fv_buf msg = {0};
    fv_buf_append(&msg, S_CONTEXT, sizeof(S_CONTEXT));
    fv_buf_append(&msg, key->id, strlen(key->id) + 1);
    fv_buf_append(&msg, task, n);
    unsigned int len = 32;
    if (!HMAC(EVP_sha256(), key->secret, (int)key->len, (const unsigned char *)msg.ptr, msg.len,
              out, &len))
        abort(); /* OpenSSL out of memory */
    fv_buf_clean_up(&msg);
}

void fv_task_seal(const struct fv_task_keys *k, const struct fv_task *t, struct fv_buf *out)
{
    struct fv_buf body = {0};
    fv_task_encode(t, &body);
    unsigned char mac[32];
    s_mac(&k->keys[0], (const uint8_t *)body.ptr, body.len, mac);
    Fleetvault__V1__SealedTask m = FLEETVAULT__V1__SEALED_TASK__INIT;
    m.schema_version = FV_SCHEMA_VERSION;
    m.key_id = k->keys[0].id;
    m.task.data = (uint8_t *)body.ptr;
    m.task.len = body.len;
    m.hmac.data = mac;
    m.hmac.len = sizeof(mac);
    size_t n = fleetvault__v1__sealed_task__get_packed_size(&m);
    uint8_t *tmp = fv_malloc(n ? n : 1);
    fleetvault__v1__sealed_task__pack(&m, tmp);
    fv_buf_reset(out);
    fv_buf_append(out, tmp, n);
    free(tmp);
    fv_buf_clean_up(&body);
}

static fv_status s_reject(struct fv_error *err, const char *code, const char *msg)
{
    fv_error_set(err, FV_E_INVALID, "%s", msg);
    if (err)
        snprintf(err->code, sizeof(err->code), "%s", code);
    return FV_E_INVALID;
}

fv_status fv_task_open(const struct fv_task_keys *k, struct fv_cur bytes, struct fv_task *out,
                       struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    Fleetvault__V1__SealedTask *m =
        fleetvault__v1__sealed_task__unpack(NULL, bytes.len, (const uint8_t *)bytes.ptr);
    if (!m || m->schema_version != FV_SCHEMA_VERSION || !*m->key_id || !m->task.len ||
        m->hmac.len != 32) {
        if (m)
            fleetvault__v1__sealed_task__free_unpacked(m, NULL);
        return s_reject(err, "TaskUnsigned", "not a signed fleetvault task");
    }
    const struct s_key *key = NULL;
    for (size_t i = 0; i < k->n && !key; i++)
        if (strcmp(k->keys[i].id, m->key_id) == 0)
            key = &k->keys[i];
    fv_status st;
    if (!key) {
        char msg[160];
        snprintf(msg, sizeof(msg), "signed with key '%.64s', which this ring does not hold",
                 m->key_id);
        st = s_reject(err, "TaskUnknownKey", msg);
    } else {
        unsigned char mac[32];
        s_mac(key, m->task.data, m->task.len, mac);
        if (CRYPTO_memcmp(mac, m->hmac.data, sizeof(mac)) != 0)
            st = s_reject(err, "TaskBadSignature", "the task's signature does not verify");
        else
            st = fv_task_decode((struct fv_cur){(const char *)m->task.data, m->task.len}, out, err);
    }
    fleetvault__v1__sealed_task__free_unpacked(m, NULL);
    return st;
}

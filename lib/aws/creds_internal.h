/* Credential providers: the shared base (reference count, cache, refresh
 * lock) and the constructors of each provider (private to lib/aws).
 *
 * One file per provider, as aws-c-auth does:
 *   credentials.c         base: cache/refresh/refcount, static provider
 *   creds_env.c           AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / ...
 *   creds_profile.c       shared config + credentials files
 *   creds_web_identity.c  AssumeRoleWithWebIdentity from a token file
 *   creds_assume_role.c   AssumeRole on top of another provider
 *   creds_container.c     ECS / EKS Pod Identity endpoint
 *   creds_imds.c          EC2 instance metadata (IMDSv2)
 *   creds_chain.c         the default chain
 *
 * Caching: fv_creds_get() keeps the last credentials of each provider and
 * calls vt->fetch only when there are none or they expire within
 * FV_CREDS_REFRESH_MARGIN_S. One thread fetches at a time; while it does,
 * others use the cached credentials if they have not expired yet, and wait
 * for the fetch otherwise. A failed refresh while the cached credentials are
 * still valid returns the cached ones (and logs a warning).
 *
 * Secrets: the base holds the secret key and session token it caches in the
 * log's registry (fv_log_secret_hold) and forgets them when a refresh
 * replaces them or the provider goes; providers hold any other bearer token
 * they read (web identity token, container authorization token, IMDS session
 * token) while they use it. Bytes that carried a secret are wiped before
 * they are freed. No error message quotes a secret. */
#ifndef FV_AWS_CREDS_INTERNAL_H
#define FV_AWS_CREDS_INTERNAL_H

#include <fv/common.h>
#include <fv/credentials.h>

#include <pthread.h>
#include <stdatomic.h>

#define FV_CREDS_REFRESH_MARGIN_S 300

struct fv_creds_provider;

struct fv_creds_vtable {
    /* Fresh credentials into out (zeroed on entry). Runs without the
     * provider's lock and never concurrently with itself. NULL for
     * delegating providers. */
    fv_status (*fetch)(struct fv_creds_provider *p, struct fv_credentials *out,
                       struct fv_error *err);
    /* Delegating providers (the chain) answer fv_creds_get themselves: no
     * cache, no fetch. */
    fv_status (*get)(struct fv_creds_provider *p, struct fv_credentials *out, struct fv_error *err);
    /* Their answer to fv_creds_source. */
    const char *(*source)(struct fv_creds_provider *p);
    /* Frees p->impl. */
    void (*destroy)(void *impl);
};

struct fv_creds_provider {
    const struct fv_creds_vtable *vt;
    void *impl;
    atomic_int refs;
    char *source; /* immutable after creation */
    /* The environment, copied; getenv and clock are filled in (never NULL).
     * The clock object and getenv_ud are borrowed. */
    struct fv_creds_env env;

    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t done;  /* a fetch finished */
    bool have;
    struct fv_credentials cached;
    bool fetching;
    uint64_t generation; /* bumped after every fetch */
    int64_t retry_after; /* after a failed refresh with valid creds cached */
    fv_status last_status;
    struct fv_error last_err;
};

/* A provider with one reference. source is copied; env may be NULL. */
struct fv_creds_provider *fv_creds_provider_new(const struct fv_creds_vtable *vt, void *impl,
                                                const char *source, const struct fv_creds_env *env);

/* Helpers shared by the providers. env is the filled-in copy. */
const char *fv_creds_getenv(const struct fv_creds_env *env, const char *name);
/* Set and non-empty. */
const char *fv_creds_getenv_nonempty(const struct fv_creds_env *env, const char *name);
int64_t fv_creds_now(const struct fv_creds_env *env); /* Unix seconds */
/* Fills dst from src, getenv and clock defaulted. */
void fv_creds_env_fill(struct fv_creds_env *dst, const struct fv_creds_env *src);

/* Prefixes err->message with the formatted text (status etc. untouched). */
void fv_creds_error_prefix(struct fv_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reads a small file (token files) into out (a secret buffer), trailing
 * whitespace trimmed. what names it in errors ("web identity token file").
 * FV_E_IO naming the path on failure; an empty file is an error too. On
 * success the token is held in the log's registry: the caller calls
 * fv_log_secret_forget(out->ptr) and fv_buf_wipe(out) when done with it
 * (token files rotate; the registry must not keep every one). */
fv_status fv_creds_read_token_file(const char *path, const char *what, struct fv_buf *out,
                                   struct fv_error *err);

/* Parses the JSON the container and IMDS endpoints answer with
 * (AccessKeyId, SecretAccessKey, Token, Expiration; IMDS adds Code).
 * where names the endpoint in errors. */
fv_status fv_creds_parse_json(const char *body, size_t len, const char *where,
                              struct fv_credentials *out, struct fv_error *err);

/* One HTTP exchange for a credential endpoint: timeout_ms for connect and
 * total, retried once on a transport error or a 5xx. *status is the final
 * HTTP status; the body goes to body (capped at 64 KiB). */
fv_status fv_creds_http(const char *method, const char *url, const struct fv_headers *headers,
                        long timeout_ms, int *status, struct fv_buf *body, struct fv_error *err);

/* The STS region: region when given, else AWS_REGION, AWS_DEFAULT_REGION,
 * "us-east-1". Borrowed. */
const char *fv_creds_sts_region(const struct fv_creds_env *env, const char *region);

/* Providers. Every constructor returns one reference. */

/* Environment variables; *configured says whether any is set. */
bool fv_creds_env_configured(const struct fv_creds_env *env);
struct fv_creds_provider *fv_creds_env_new(const struct fv_creds_env *env);

/* Static credentials under a source label ("static", "profile:x"). */
struct fv_creds_provider *fv_creds_static_labeled(const struct fv_credentials *c,
                                                  const char *source,
                                                  const struct fv_creds_env *env);

/* AssumeRole over source (a reference is taken). duration_s 0 → STS default. */
struct fv_creds_provider *
fv_creds_assume_role_new(struct fv_creds_provider *source, const char *region, const char *role_arn,
                         const char *external_id, const char *session_name, int duration_s,
                         const char *label, const struct fv_creds_env *env);

/* AssumeRoleWithWebIdentity, re-reading token_file on every refresh. */
struct fv_creds_provider *fv_creds_web_identity_new(const char *token_file, const char *role_arn,
                                                    const char *session_name, const char *region,
                                                    const char *label,
                                                    const struct fv_creds_env *env);
/* From AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN / AWS_ROLE_SESSION_NAME:
 * *out NULL when AWS_WEB_IDENTITY_TOKEN_FILE is unset; an error when it is
 * set without AWS_ROLE_ARN. */
fv_status fv_creds_web_identity_from_env(const struct fv_creds_env *env, const char *region,
                                         struct fv_creds_provider **out, struct fv_error *err);

/* Container endpoint from AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI:
 * *out NULL when neither is set; an error naming the variable when the full
 * URI's host is not allowed. */
fv_status fv_creds_container_from_env(const struct fv_creds_env *env,
                                      struct fv_creds_provider **out, struct fv_error *err);
/* The URL the container provider would call (exposed for tests); caller owns
 * *url (free()); *url NULL when not configured. */
fv_status fv_creds_container_url(const struct fv_creds_env *env, char **url, struct fv_error *err);

/* EC2 instance metadata; AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the
 * endpoint. */
bool fv_creds_imds_disabled(const struct fv_creds_env *env);
struct fv_creds_provider *fv_creds_imds_new(const struct fv_creds_env *env);
/* The endpoint (borrowed from env or a constant), no trailing '/'. */
void fv_creds_imds_endpoint(const struct fv_creds_env *env, struct fv_buf *out);

/* Shared files. explicit_profile: the caller or AWS_PROFILE named it (then a
 * missing profile is an error). *out NULL when the profile is not
 * configured (files or profile absent, or a profile with no credential
 * settings). where (may be NULL) gets "profile 'x' in <config> or
 * <credentials>" for the chain's "looked in" list. */
fv_status fv_creds_profile_resolve(const char *profile, bool explicit_profile, const char *region,
                                   const struct fv_creds_env *env, struct fv_creds_provider **out,
                                   struct fv_buf *where, struct fv_error *err);
/* The files' paths (AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, "~/"
 * expanded from HOME). */
void fv_creds_config_path(const struct fv_creds_env *env, struct fv_buf *out);
void fv_creds_credentials_path(const struct fv_creds_env *env, struct fv_buf *out);

#endif

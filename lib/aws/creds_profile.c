/* Credentials from the shared config and credentials files.
 *
 * A profile x is "[profile x]" in the config file (AWS_CONFIG_FILE, default
 * ~/.aws/config; "[default]" for the default profile) and "[x]" in the
 * credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials).
 * Settings are looked up in the credentials file first; the static key trio
 * (aws_access_key_id, aws_secret_access_key, aws_session_token) is taken as a
 * whole from the credentials file when it has any of it, else from the config
 * file, so one key is never paired with another file's secret.
 *
 * What a profile means, first match wins (as the SDKs read it):
 *   role_arn + source_profile      AssumeRole with the source profile's
 *                                  credentials (chains, cycles rejected; a
 *                                  profile may name itself when it has static
 *                                  keys)
 *   role_arn + credential_source   AssumeRole with Environment,
 *                                  Ec2InstanceMetadata or EcsContainer
 *   role_arn + web_identity_token_file   AssumeRoleWithWebIdentity
 *   aws_access_key_id + aws_secret_access_key   static
 * plus external_id, role_session_name and duration_seconds for the roles.
 * credential_process and SSO are reported as unsupported. */
#include "aws/creds_internal.h"
#include "aws/ini.h"

#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_MAX_CHAIN 16

struct s_ctx {
    const struct fv_creds_env *env;
    const char *region;
    const char *config_path;
    const char *creds_path;
    struct fv_ini config;
    struct fv_ini creds;
    const char *visited[S_MAX_CHAIN];
    size_t n_visited;
};

/* One profile's sections in the two files (either may be NULL). */
struct s_view {
    const char *name;
    const struct fv_ini_section *cfg;
    const struct fv_ini_section *cred;
};

static void s_home(const struct fv_creds_env *env, struct fv_buf *out)
{
    const char *home = fv_creds_getenv_nonempty(env, "HOME");
    if (home) {
        fv_buf_append_str(out, home);
        return;
    }
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res && res->pw_dir)
        fv_buf_append_str(out, res->pw_dir);
}

static void s_path(const struct fv_creds_env *env, const char *var, const char *dflt,
                   struct fv_buf *out)
{
    const char *v = fv_creds_getenv_nonempty(env, var);
    fv_buf_reset(out);
    if (!v) {
        s_home(env, out);
        fv_buf_append_str(out, dflt);
        return;
    }
    if (v[0] == '~' && (v[1] == '/' || v[1] == '\0')) {
        s_home(env, out);
        fv_buf_append_str(out, v + 1);
        return;
    }
    fv_buf_append_str(out, v);
}

void fv_creds_config_path(const struct fv_creds_env *env, struct fv_buf *out)
{
    s_path(env, "AWS_CONFIG_FILE", "/.aws/config", out);
}

void fv_creds_credentials_path(const struct fv_creds_env *env, struct fv_buf *out)
{
    s_path(env, "AWS_SHARED_CREDENTIALS_FILE", "/.aws/credentials", out);
}

/* "[profile name]" in the config file ("[default]" too for "default"). */
static const struct fv_ini_section *s_config_section(const struct fv_ini *ini, const char *name)
{
    for (size_t i = 0; i < ini->n; i++) {
        const char *s = ini->sections[i].name;
        if (strncmp(s, "profile", 7) != 0 || (s[7] != ' ' && s[7] != '\t'))
            continue;
        s += 7;
        while (*s == ' ' || *s == '\t')
            s++;
        if (strcmp(s, name) == 0)
            return &ini->sections[i];
    }
    if (strcmp(name, "default") == 0)
        return fv_ini_section(ini, "default");
    return NULL;
}

static struct s_view s_view(const struct s_ctx *c, const char *name)
{
    return (struct s_view){
        .name = name,
        .cfg = s_config_section(&c->config, name),
        .cred = fv_ini_section(&c->creds, name),
    };
}

static bool s_exists(const struct s_view *v)
{
    return v->cfg || v->cred;
}

static const char *s_get(const struct s_view *v, const char *key)
{
    const char *s = fv_ini_get(v->cred, key);
    if (!s)
        s = fv_ini_get(v->cfg, key);
    return s && *s ? s : NULL;
}

/* "<file>:<line>" of key, for messages. */
static void s_where(const struct s_ctx *c, const struct s_view *v, const char *key,
                    struct fv_buf *out)
{
    fv_buf_reset(out);
    int line = fv_ini_line(v->cred, key);
    if (line && *fv_ini_get(v->cred, key)) {
        fv_buf_printf(out, "%s:%d", c->creds_path, line);
        return;
    }
    line = fv_ini_line(v->cfg, key);
    if (line)
        fv_buf_printf(out, "%s:%d", c->config_path, line);
    else
        fv_buf_printf(out, "%s", c->config_path);
}

static fv_status s_static(struct s_ctx *c, const struct s_view *v, const char *label,
                          struct fv_creds_provider **out, struct fv_error *err)
{
    const struct fv_ini_section *s = v->cred;
    const char *path = c->creds_path;
    if (!fv_ini_get(s, "aws_access_key_id") && !fv_ini_get(s, "aws_secret_access_key")) {
        s = v->cfg;
        path = c->config_path;
    }
    const char *akid = fv_ini_get(s, "aws_access_key_id");
    const char *secret = fv_ini_get(s, "aws_secret_access_key");
    const char *token = fv_ini_get(s, "aws_session_token");
    if (!akid || !*akid)
        return fv_error_set(err, FV_E_INVALID,
                            "profile '%s' in %s has aws_secret_access_key "
                            "but no aws_access_key_id",
                            v->name, path);
    if (!secret || !*secret)
        return fv_error_set(err, FV_E_INVALID,
                            "profile '%s' in %s has aws_access_key_id but "
                            "no aws_secret_access_key",
                            v->name, path);
    struct fv_credentials creds = {
        .access_key_id = (char *)akid,
        .secret_access_key = (char *)secret,
        .session_token = token && *token ? (char *)token : NULL,
    };
    *out = fv_creds_static_labeled(&creds, label, c->env);
    return FV_OK;
}

static bool s_has_static(const struct s_view *v)
{
    return s_get(v, "aws_access_key_id") || s_get(v, "aws_secret_access_key");
}

static fv_status s_credential_source(struct s_ctx *c, const struct s_view *v, const char *src,
                                     struct fv_creds_provider **out, struct fv_error *err)
{
    struct fv_buf where = {0};
    fv_status st = FV_OK;

    s_where(c, v, "credential_source", &where);
    if (strcmp(src, "Environment") == 0) {
        if (!fv_creds_env_configured(c->env))
            st = fv_error_set(err, FV_E_INVALID,
                              "profile '%s' (%s) has credential_source = "
                              "Environment but AWS_ACCESS_KEY_ID is not set",
                              v->name, fv_buf_str(&where));
        else
            *out = fv_creds_env_new(c->env);
    } else if (strcmp(src, "Ec2InstanceMetadata") == 0) {
        if (fv_creds_imds_disabled(c->env))
            st = fv_error_set(err, FV_E_INVALID,
                              "profile '%s' (%s) has credential_source = "
                              "Ec2InstanceMetadata but "
                              "AWS_EC2_METADATA_DISABLED is true",
                              v->name, fv_buf_str(&where));
        else
            *out = fv_creds_imds_new(c->env);
    } else if (strcmp(src, "EcsContainer") == 0) {
        st = fv_creds_container_from_env(c->env, out, err);
        if (st == FV_OK && !*out)
            st = fv_error_set(err, FV_E_INVALID,
                              "profile '%s' (%s) has credential_source = "
                              "EcsContainer but neither "
                              "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                              "AWS_CONTAINER_CREDENTIALS_FULL_URI is set",
                              v->name, fv_buf_str(&where));
    } else {
        st = fv_error_set(err, FV_E_INVALID,
                          "profile '%s' (%s): unknown credential_source "
                          "'%.64s' (expected Environment, "
                          "Ec2InstanceMetadata or EcsContainer)",
                          v->name, fv_buf_str(&where), src);
    }
    fv_buf_clean_up(&where);
    return st;
}

static fv_status s_duration(struct s_ctx *c, const struct s_view *v, int *out, struct fv_error *err)
{
    const char *d = s_get(v, "duration_seconds");
    int64_t n;

    *out = 0;
    if (!d)
        return FV_OK;
    if (!fv_parse_i64(d, &n) || n < 900 || n > 43200) {
        struct fv_buf where = {0};
        s_where(c, v, "duration_seconds", &where);
        fv_error_set(err, FV_E_INVALID,
                     "profile '%s' (%s): duration_seconds must be a whole "
                     "number from 900 to 43200",
                     v->name, fv_buf_str(&where));
        fv_buf_clean_up(&where);
        return FV_E_INVALID;
    }
    *out = (int)n;
    return FV_OK;
}

static void s_cycle_path(const struct s_ctx *c, const char *again, struct fv_buf *out)
{
    for (size_t i = 0; i < c->n_visited; i++)
        fv_buf_printf(out, "'%s' -> ", c->visited[i]);
    fv_buf_printf(out, "'%s'", again);
}

static fv_status s_resolve(struct s_ctx *c, const char *name, const char *child,
                           struct fv_creds_provider **out, struct fv_error *err);

static fv_status s_role(struct s_ctx *c, const struct s_view *v, const char *role_arn,
                        const char *label, struct fv_creds_provider **out, struct fv_error *err)
{
    const char *src_profile = s_get(v, "source_profile");
    const char *cred_source = s_get(v, "credential_source");
    const char *token_file = s_get(v, "web_identity_token_file");
    const char *session = s_get(v, "role_session_name");
    struct fv_creds_provider *src = NULL;
    fv_status st;
    int duration;

    st = s_duration(c, v, &duration, err);
    if (st != FV_OK)
        return st;
    if (src_profile && cred_source)
        return fv_error_set(err, FV_E_INVALID,
                            "profile '%s' in %s sets both source_profile and "
                            "credential_source; use one",
                            v->name, v->cfg ? c->config_path : c->creds_path);
    if (!src_profile && !cred_source) {
        if (token_file) {
            *out =
                fv_creds_web_identity_new(token_file, role_arn, session, c->region, label, c->env);
            return FV_OK;
        }
        return fv_error_set(err, FV_E_INVALID,
                            "profile '%s' in %s has role_arn but no "
                            "source_profile, credential_source or "
                            "web_identity_token_file",
                            v->name, v->cfg ? c->config_path : c->creds_path);
    }

    if (cred_source) {
        st = s_credential_source(c, v, cred_source, &src, err);
    } else if (strcmp(src_profile, v->name) == 0) {
        /* A profile may use its own static keys to assume its role. */
        if (!s_has_static(v)) {
            struct fv_buf cyc = {0};
            s_cycle_path(c, v->name, &cyc);
            st = fv_error_set(err, FV_E_INVALID,
                              "source_profile cycle: %s (a profile may name "
                              "itself only when it has static keys)",
                              fv_buf_str(&cyc));
            fv_buf_clean_up(&cyc);
        } else {
            char self[160];
            snprintf(self, sizeof(self), "profile:%s", v->name);
            st = s_static(c, v, self, &src, err);
        }
    } else {
        st = s_resolve(c, src_profile, v->name, &src, err);
    }
    if (st != FV_OK)
        return st;

    *out = fv_creds_assume_role_new(src, c->region, role_arn, s_get(v, "external_id"), session,
                                    duration, label, c->env);
    fv_creds_unref(src);
    return FV_OK;
}

static const char *const s_unsupported[] = {"credential_process", "sso_session", "sso_start_url",
                                            "sso_account_id"};

static fv_status s_resolve(struct s_ctx *c, const char *name, const char *child,
                           struct fv_creds_provider **out, struct fv_error *err)
{
    struct s_view v = s_view(c, name);
    char label[160];
    fv_status st;

    *out = NULL;
    snprintf(label, sizeof(label), "profile:%s", name);
    if (!s_exists(&v)) {
        if (child)
            return fv_error_set(err, FV_E_NOTFOUND,
                                "profile '%s' (source_profile of '%s') not "
                                "found in %s or %s",
                                name, child, c->config_path, c->creds_path);
        return fv_error_set(err, FV_E_NOTFOUND, "profile '%s' not found in %s or %s", name,
                            c->config_path, c->creds_path);
    }
    for (size_t i = 0; i < c->n_visited; i++) {
        if (strcmp(c->visited[i], name) == 0) {
            struct fv_buf cyc = {0};
            s_cycle_path(c, name, &cyc);
            st = fv_error_set(err, FV_E_INVALID, "source_profile cycle: %s", fv_buf_str(&cyc));
            fv_buf_clean_up(&cyc);
            return st;
        }
    }
    if (c->n_visited == S_MAX_CHAIN)
        return fv_error_set(err, FV_E_INVALID,
                            "profile '%s': source_profile chain longer than "
                            "%d profiles",
                            name, S_MAX_CHAIN);
    c->visited[c->n_visited++] = name;

    const char *role_arn = s_get(&v, "role_arn");
    if (role_arn) {
        st = s_role(c, &v, role_arn, label, out, err);
        goto out;
    }
    if (s_get(&v, "web_identity_token_file")) {
        st = fv_error_set(err, FV_E_INVALID,
                          "profile '%s' in %s has web_identity_token_file but "
                          "no role_arn",
                          name, v.cfg ? c->config_path : c->creds_path);
        goto out;
    }
    if (s_has_static(&v)) {
        st = s_static(c, &v, label, out, err);
        goto out;
    }
    for (size_t i = 0; i < sizeof(s_unsupported) / sizeof(s_unsupported[0]); i++) {
        if (s_get(&v, s_unsupported[i])) {
            st = fv_error_set(err, FV_E_INVALID,
                              "profile '%s' uses %s, which fleetvault does "
                              "not support; export credentials or use a role",
                              name, s_unsupported[i]);
            goto out;
        }
    }
    st = FV_OK;
    if (child)
        st = fv_error_set(err, FV_E_INVALID,
                          "profile '%s' (source_profile of '%s') has no "
                          "credentials in %s or %s",
                          name, child, c->config_path, c->creds_path);
out:
    c->n_visited--;
    return st;
}

static fv_status s_load(const char *path, struct fv_ini *ini, struct fv_error *err)
{
    fv_status st = fv_ini_load(path, ini, err);
    if (st == FV_E_NOTFOUND) {
        fv_error_clear(err);
        return FV_OK;
    }
    return st;
}

fv_status fv_creds_profile_resolve(const char *profile, bool explicit_profile, const char *region,
                                   const struct fv_creds_env *env, struct fv_creds_provider **out,
                                   struct fv_buf *where, struct fv_error *err)
{
    struct fv_buf config_path = {0}, creds_path = {0};
    struct s_ctx c = {.env = env, .region = region};
    fv_status st;

    *out = NULL;
    fv_creds_config_path(env, &config_path);
    fv_creds_credentials_path(env, &creds_path);
    c.config_path = fv_buf_str(&config_path);
    c.creds_path = fv_buf_str(&creds_path);
    if (where)
        fv_buf_printf(where, "profile '%s' in %s and %s", profile, c.config_path, c.creds_path);

    st = s_load(c.config_path, &c.config, err);
    if (st == FV_OK)
        st = s_load(c.creds_path, &c.creds, err);
    if (st != FV_OK)
        goto out;

    struct s_view v = s_view(&c, profile);
    if (!s_exists(&v) && !explicit_profile)
        goto out;
    st = s_resolve(&c, profile, NULL, out, err);
out:
    fv_ini_clean_up(&c.config);
    fv_ini_clean_up(&c.creds);
    fv_buf_clean_up(&config_path);
    fv_buf_clean_up(&creds_path);
    return st;
}

/* The fleet configuration schema. */
#include <fv/config.h>
#include <fv/doc.h>

#include <json-c/json.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_log_levels[] = {"error", "warn", "warning", "info",
                                           "debug", "trace", NULL};

#define S_OFF(f) offsetof(struct fv_config, f)
static const struct fv_prop s_props[] = {
    {"region", FV_PROP_STRING, S_OFF(region), 0, NULL, false, 0, 0, "region", NULL,
     "Default AWS region for accounts that list none. Falls back to AWS_REGION, then "
     "AWS_DEFAULT_REGION."},
    {"profile", FV_PROP_STRING, S_OFF(profile), 0, NULL, false, 0, 0, NULL, NULL,
     "AWS profile for the base credentials (the default chain otherwise)."},
    {"aws.max_attempts", FV_PROP_INT, S_OFF(max_attempts), 0, "5", false, 1, 20, NULL, NULL,
     "Attempts per AWS call, the first included (standard retry mode)."},
    {"aws.connect_timeout_ms", FV_PROP_INT, S_OFF(connect_timeout_ms), 0, "3000", false, 100,
     600000, NULL, NULL, "TCP/TLS connect timeout."},
    {"aws.request_timeout_ms", FV_PROP_INT, S_OFF(request_timeout_ms), 0, "120000", false, 1000,
     86400000, NULL, NULL, "Whole-request timeout for ordinary calls."},
    {"aws.ca_bundle", FV_PROP_STRING, S_OFF(ca_bundle), 0, NULL, false, 0, 0, NULL, NULL,
     "CA bundle file for TLS verification (system store otherwise)."},
    {"logging.level", FV_PROP_STRING, S_OFF(log_level), 0, "info", false, 0, 0, NULL,
     s_log_levels, "Log level."},
    {"logging.file", FV_PROP_STRING, S_OFF(log_file), 0, NULL, false, 0, 0, NULL, NULL,
     "Also write logs to this file (JSON lines)."},
};
#undef S_OFF

#define S_OFF(f) offsetof(struct fv_config_account, f)
static const struct fv_prop s_account_props[] = {
    {"id", FV_PROP_STRING, S_OFF(id), 0, NULL, true, 0, 0, "account-id", NULL,
     "The 12-digit account id."},
    {"name", FV_PROP_STRING, S_OFF(name), 0, NULL, false, 0, 0, NULL, NULL,
     "A label for reports (the id otherwise)."},
    {"role_arn", FV_PROP_STRING, S_OFF(role_arn), 0, NULL, false, 0, 0, "arn", NULL,
     "Role fleetvault assumes in this account; none means the base credentials act there."},
    {"external_id", FV_PROP_STRING, S_OFF(external_id), 0, NULL, false, 0, 0, NULL, NULL,
     "ExternalId for the AssumeRole call, when the role's trust policy requires one."},
    {"session_name", FV_PROP_STRING, S_OFF(session_name), 0, "fleetvault", false, 0, 0, NULL,
     NULL, "RoleSessionName (shows in CloudTrail)."},
    {"regions", FV_PROP_STRLIST, S_OFF(regions), S_OFF(n_regions), NULL, false, 0, 0, "region",
     NULL, "Regions to back up in this account (the top-level region otherwise)."},
};
#undef S_OFF

#define S_N(a) (sizeof(a) / sizeof((a)[0]))

/* Sections other modules own; the fleet table lets them through. */
static const char *const s_other_sections[] = {"accounts", "kafka", "jobs", "central",
                                               "notifications", "metrics", "worker",
                                               "coordinator", NULL};

void fv_config_clean_up(struct fv_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_accounts; i++)
        fv_props_clean_up(s_account_props, S_N(s_account_props), &c->accounts[i]);
    free(c->accounts);
    fv_props_clean_up(s_props, S_N(s_props), c);
    json_object_put(c->doc);
    free(c->path);
    memset(c, 0, sizeof(*c));
}

fv_status fv_config_from_doc(const char *name, struct json_object *doc, struct fv_config *out,
                             struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    out->path = fv_strdup(name);
    out->doc = json_object_get(doc);
    fv_status st = fv_props_apply(name, "", s_props, S_N(s_props), doc, out, s_other_sections,
                                  "FV_", err);
    if (st != FV_OK)
        goto fail;
    if (!out->region) {
        const char *r = getenv("AWS_REGION");
        if (!r || !*r)
            r = getenv("AWS_DEFAULT_REGION");
        if (!r || !*r) {
            st = fv_error_set(err, FV_E_INVALID,
                              "%s: region: no region: set it here, or AWS_REGION", name);
            goto fail;
        }
        out->region = fv_strdup(r);
    }

    struct json_object *accounts = NULL;
    if (json_object_object_get_ex(doc, "accounts", &accounts) && accounts) {
        if (!json_object_is_type(accounts, json_type_array)) {
            st = fv_error_set(err, FV_E_INVALID, "%s: accounts: must be a list", name);
            goto fail;
        }
        size_t n = json_object_array_length(accounts);
        out->accounts = fv_calloc(n ? n : 1, sizeof(*out->accounts));
        for (size_t i = 0; i < n; i++) {
            char where[32];
            snprintf(where, sizeof(where), "accounts[%zu]", i);
            struct json_object *a = json_object_array_get_idx(accounts, i);
            if (!json_object_is_type(a, json_type_object)) {
                st = fv_error_set(err, FV_E_INVALID, "%s: %s: must be a mapping", name, where);
                goto fail;
            }
            out->n_accounts++;
            st = fv_props_apply(name, where, s_account_props, S_N(s_account_props), a,
                                &out->accounts[i], NULL, NULL, err);
            if (st != FV_OK)
                goto fail;
            for (size_t k = 0; k < i; k++) {
                if (strcmp(out->accounts[k].id, out->accounts[i].id) == 0) {
                    st = fv_error_set(err, FV_E_INVALID,
                                      "%s: %s.id: account %s is listed twice", name, where,
                                      out->accounts[i].id);
                    goto fail;
                }
            }
            if (!out->accounts[i].name)
                out->accounts[i].name = fv_strdup(out->accounts[i].id);
        }
    }
    return FV_OK;
fail:
    fv_config_clean_up(out);
    return st;
}

fv_status fv_config_load(const char *path, struct fv_config *out, struct fv_error *err)
{
    struct json_object *doc = NULL;
    memset(out, 0, sizeof(*out));
    fv_status st = fv_doc_load(path, &doc, err);
    if (st != FV_OK)
        return st;
    st = fv_config_from_doc(path, doc, out, err);
    json_object_put(doc);
    return st;
}

void fv_config_write_docs(FILE *f)
{
    fprintf(f, "# fleetvault configuration reference\n\n"
               "Generated by `fleetvault config docs` from the property table in "
               "lib/config/config.c; do not edit by hand. YAML or JSON, one schema. "
               "Every scalar key can be overridden by an environment variable: `FV_` + the key "
               "uppercased with dots as underscores (e.g. `FV_AWS_MAX_ATTEMPTS`).\n\n"
               "## Top level\n\n");
    fv_props_write_docs(f, "", s_props, S_N(s_props));
    fprintf(f, "\n## accounts[]\n\nThe accounts to work in. Each entry:\n\n");
    fv_props_write_docs(f, "accounts[].", s_account_props, S_N(s_account_props));
}

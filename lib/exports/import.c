/* Moving a seed 003 deployment's state over: its five SSM parameters
 * (/incremental-export/<alias>/...) into the control table (fv/exports.h). */
#include <fv/clock.h>
#include <fv/exports.h>
#include <fv/ssm.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_PATH "/incremental-export/"

static const char *const s_names[5] = {"full-export-time", "last-incremental-export-time",
                                       "workflow-initiated", "workflow-state", "workflow-action"};

char *fv_export_seed_parameter(const char *alias, const char *name)
{
    struct fv_buf b = {0};
    fv_buf_printf(&b, S_PATH "%s/%s", alias, name);
    return fv_buf_detach(&b);
}

void fv_export_seed_parameters(const char *alias, char *out[5])
{
    for (size_t i = 0; i < 5; i++)
        out[i] = fv_export_seed_parameter(alias, s_names[i]);
}

/* A time as the seed's Step Functions wrote it: ISO 8601 ("...T..Z", an
 * optional fraction, milliseconds kept) or epoch seconds ("1704067200.5"). */
static bool s_time(const char *v, int64_t *ms)
{
    char *end = NULL;
    double d = strtod(v, &end);
    if (end != v && *end == '\0')
        return fv_time_epoch_s_to_ms(d, ms);
    int64_t s = fv_time_parse_iso8601(v);
    if (s < 0)
        return false;
    int64_t frac = 0;
    const char *dot = strchr(v, '.');
    if (dot) {
        int digits = 0;
        for (const char *p = dot + 1; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
        for (; digits < 3; digits++)
            frac *= 10;
    }
    *ms = s * 1000 + frac;
    return true;
}

static fv_status s_bad(const char *alias, const char *name, const char *v, struct fv_error *err)
{
    return fv_error_set(err, FV_E_PARSE,
                        "seed parameter " S_PATH "%s/%s: '%s' is not a value "
                        "the seed writes",
                        alias, name, v);
}

fv_status fv_export_state_from_seed(const struct fv_ssm_parameters *params, const char *alias,
                                    const struct fv_export_key *key, int64_t now_ms,
                                    struct fv_export_state *out, struct fv_error *err)
{
    fv_export_state_init(out, key);
    const char *v[5];
    bool any = false;
    for (size_t i = 0; i < 5; i++) {
        char *name = fv_export_seed_parameter(alias, s_names[i]);
        v[i] = fv_ssm_parameters_value(params, name);
        any = any || v[i];
        free(name);
    }
    if (!any)
        return fv_error_set(err, FV_E_NOTFOUND, "no seed parameters under " S_PATH "%s/", alias);
    if (v[0] && !s_time(v[0], &out->full_export_time_ms))
        return s_bad(alias, s_names[0], v[0], err);
    if (v[1] && !s_time(v[1], &out->last_incremental_export_time_ms))
        return s_bad(alias, s_names[1], v[1], err);
    if (v[2] && strcasecmp(v[2], "true") == 0)
        out->initiated = FV_EXPORT_INITIATED;
    else if (v[2] && (strcasecmp(v[2], "null") == 0 || v[2][0] == '\0'))
        out->initiated = FV_EXPORT_INITIATING;
    else if (v[2] && strcasecmp(v[2], "false") != 0)
        return s_bad(alias, s_names[2], v[2], err);
    if (v[3] && !fv_export_workflow_state_parse(v[3], &out->workflow_state))
        return s_bad(alias, s_names[3], v[3], err);
    if (v[4] && !fv_export_workflow_action_parse(v[4], &out->workflow_action))
        return s_bad(alias, s_names[4], v[4], err);
    /* The seed reads an initiated chain without a last window from its full export. */
    if (out->initiated == FV_EXPORT_INITIATED && !out->last_incremental_export_time_ms)
        out->last_incremental_export_time_ms = out->full_export_time_ms;
    if (out->initiated != FV_EXPORT_NOT_INITIATED && !out->full_export_time_ms)
        return fv_error_set(err, FV_E_PARSE,
                            "seed parameter " S_PATH "%s/%s is missing, yet "
                            "workflow-initiated is %s",
                            alias, s_names[0], v[2]);
    out->updated_ms = now_ms;
    return FV_OK;
}

fv_status fv_export_import_seed(struct fv_aws_client *member, struct fv_aws_client *central,
                                const char *control_table, const struct fv_export_key *key,
                                const char *alias, bool overwrite, int64_t now_ms,
                                struct fv_export_state *out, struct fv_error *err)
{
    char *names[5];
    fv_export_seed_parameters(alias, names);
    struct fv_ssm_parameters params = {0};
    struct fv_export_state cur = {0}, s = {0};
    fv_status st = fv_ssm_get_parameters(member, (const char *const *)names, 5, &params, err);
    if (st == FV_OK)
        st = fv_export_state_from_seed(&params, alias, key, now_ms, &s, err);
    if (st == FV_OK && overwrite)
        st = fv_export_state_get(central, control_table, key, &cur, err);
    if (st == FV_OK) {
        s.version = cur.version; /* 0: only where there is no chain yet */
        st = fv_export_state_put_if_version(central, control_table, &s, err);
    }
    if (out && st == FV_OK)
        *out = s;
    else
        fv_export_state_clean_up(&s);
    fv_export_state_clean_up(&cur);
    fv_ssm_parameters_clean_up(&params);
    for (size_t i = 0; i < 5; i++)
        free(names[i]);
    return st;
}

/* restore quicksight (fv/restore.h): the checks before any call, and the
 * asset bundles; identities are in restore_identities.c.
 *
 * Bundles go as the import's Body, not as an S3Uri: fleetvault's central
 * principal reads them (as verify does) and checks size and SHA-256 against
 * the manifest before anything is imported. With S3Uri, QuickSight reads the
 * bucket as the caller, the target account's member role: that needs a
 * bucket policy letting every member account read every account's bundles,
 * and nobody would have checked the bytes. Body is limited to 20 MiB. */
#include "restore_internal.h"

#include <fv/naming.h>
#include <fv/verify.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_type_names[FV_RESTORE_N_TYPES] = {
    "datasources", "datasets", "analyses", "dashboards", "users", "groups", "memberships"};

const char *fv_restore_type_name(enum fv_restore_type t)
{
    return t < FV_RESTORE_N_TYPES ? s_type_names[t] : "?";
}

bool fv_restore_type_parse(const char *name, enum fv_restore_type *out)
{
    for (int i = 0; i < FV_RESTORE_N_TYPES; i++)
        if (strcmp(name, s_type_names[i]) == 0) {
            *out = (enum fv_restore_type)i;
            return true;
        }
    return false;
}

bool fv_restore_qs_selected(const struct fv_restore_qs *rq, const char *account)
{
    return !rq->o->source || (account && strcmp(account, rq->o->source) == 0);
}

const char *fv_restore_account_region(const struct fv_config *cfg, const char *account)
{
    for (size_t i = 0; i < cfg->n_accounts; i++)
        if (strcmp(cfg->accounts[i].id, account) == 0 && cfg->accounts[i].n_regions)
            return cfg->accounts[i].regions[0];
    return cfg->region;
}

static bool s_configured(const struct fv_config *cfg, const char *id)
{
    for (size_t i = 0; id && i < cfg->n_accounts; i++)
        if (strcmp(cfg->accounts[i].id, id) == 0)
            return true;
    return false;
}

/* The asset type of a quicksight.export resource: its output's "type", else
 * the resource name ("dashboards" or "dashboards_bundle_2"). -1: unknown. */
static int s_bundle_type(const struct fv_manifest_resource *r)
{
    const char *t = r->n_outputs ? fv_manifest_output_extra(&r->outputs[0], "type") : NULL;
    const char *name = t ? t : r->resource;
    size_t n = strcspn(name, "_");
    for (int i = 0; i < FV_RESTORE_N_ASSET_TYPES; i++)
        if (n == strlen(s_type_names[i]) && strncmp(name, s_type_names[i], n) == 0)
            return i;
    return -1;
}

/* --- checks --- */

char *fv_restore_overrides_canonical(const char *json)
{
    size_t len = strlen(json), end = 0;
    struct json_tokener *tok = json_tokener_new();
    struct json_object *doc = json_tokener_parse_ex(tok, json, (int)len);
    end = doc ? json_tokener_get_parse_end(tok) : 0;
    json_tokener_free(tok);
    while (end < len && strchr(" \t\r\n", json[end]))
        end++;
    char *out = NULL;
    if (doc && end == len && json_object_is_type(doc, json_type_object))
        out = fv_strdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
    json_object_put(doc);
    return out;
}

/* The overrides as parsed (whitespace does not count in the job id). */
static fv_status s_overrides(const struct fv_restore_qs_options *o, char **canonical,
                             struct fv_error *err)
{
    *canonical = NULL;
    if (!o->overrides_json)
        return FV_OK;
    *canonical = fv_restore_overrides_canonical(o->overrides_json);
    if (!*canonical)
        return fv_error_set(err, FV_E_INVALID, "--overrides %s: not a JSON object",
                            o->overrides_name ? o->overrides_name : "");
    return FV_OK;
}

fv_status fv_restore_qs_prepare(const struct fv_config *cfg, const char *config_name,
                                const struct fv_manifest *m, const struct fv_restore_qs_options *o,
                                struct fv_restore_qs *out, struct fv_error *err)
{
    *out = (struct fv_restore_qs){.cfg = cfg, .config_name = config_name, .m = m, .o = o};
    if (strcmp(m->type, "quicksight") != 0)
        return fv_error_set(err, FV_E_INVALID, "%s is not a quicksight run's manifest (type %s)",
                            m->path, m->type);
    if (o->target && !s_configured(cfg, o->target))
        return fv_error_set(err, FV_E_INVALID, "--target-account %s is not an account of %s",
                            o->target, config_name);
    bool ids = o->types[FV_RESTORE_USERS] || o->types[FV_RESTORE_GROUPS] ||
               o->types[FV_RESTORE_MEMBERSHIPS];
    bool any_ids = false, seen_source = false;
    const char *first = NULL;
    for (size_t i = 0; i < m->n_resources; i++) {
        const struct fv_manifest_resource *r = &m->resources[i];
        if (strncmp(r->kind, "quicksight.", 11) != 0)
            continue;
        seen_source = seen_source || (o->source && strcmp(r->account, o->source) == 0);
        if (!fv_restore_qs_selected(out, r->account))
            continue;
        if (!o->target && !s_configured(cfg, r->account))
            return fv_error_set(err, FV_E_INVALID,
                                "the manifest's account %s is not an account of %s (restore it "
                                "elsewhere with --target-account)",
                                r->account, config_name);
        if (o->target && first && strcmp(first, r->account) != 0)
            return fv_error_set(err, FV_E_INVALID,
                                "the manifest has accounts %s and %s: choose one with "
                                "--source-account to restore into %s",
                                first, r->account, o->target);
        first = first ? first : r->account;
        any_ids = any_ids || strcmp(r->kind, "quicksight.export") != 0;
    }
    if (o->source && !seen_source)
        return fv_error_set(err, FV_E_INVALID, "--source-account %s: not in %s", o->source,
                            m->path);
    out->job = fv_config_job(cfg, m->job);
    if (ids && any_ids && (!out->job || out->job->kind != FV_JOB_QUICKSIGHT))
        return fv_error_set(err, FV_E_INVALID,
                            "the manifest's job '%s' is not a quicksight job of %s (its "
                            "namespace and identity tables are needed; or use --assets-only)",
                            m->job, config_name);
    if (ids && any_ids && out->m->started_s < 0)
        return fv_error_set(err, FV_E_INVALID,
                            "%s: started: missing (the identity tables are named after the "
                            "run's day)",
                            m->path);
    return s_overrides(o, &out->overrides_canonical, err);
}

void fv_restore_qs_clean_up(struct fv_restore_qs *rq)
{
    if (!rq)
        return;
    free(rq->overrides_canonical);
    rq->overrides_canonical = NULL;
}

/* --- assets --- */

static fv_status s_collect(void *ud, const char *data, size_t n, struct fv_error *err)
{
    struct fv_buf *b = ud;
    if (b->len + n > FV_QUICKSIGHT_IMPORT_BODY_MAX)
        return fv_error_set(err, FV_E_INVALID, "the object is over 20 MiB");
    fv_buf_append(b, data, n);
    return FV_OK;
}

/* The bundle's bytes, exactly as the manifest describes them; anything else
 * is refused before an import is started. */
static fv_status s_fetch(const struct fv_restore_aws *aws, const struct fv_manifest_output *out,
                         struct fv_buf *body, struct fv_error *err)
{
    if (out->size > (int64_t)FV_QUICKSIGHT_IMPORT_BODY_MAX) {
        fv_error_set(err, FV_E_INVALID,
                     "s3://%s/%s is %lld bytes, over the 20 MiB an import body can carry; "
                     "import it with an S3Uri source by a principal of the target account "
                     "that can read it",
                     out->bucket, out->object_key, (long long)out->size);
        snprintf(err->code, sizeof(err->code), "%s", FV_RESTORE_BUNDLE_INVALID);
        return FV_E_INVALID;
    }
    struct fv_s3_get_result got = {0};
    fv_status st =
        aws->get_object(aws->ud, out->bucket, out->object_key, s_collect, body, &got, err);
    char why[sizeof(err->message)];
    if (st != FV_OK) {
        snprintf(why, sizeof(why), "%s", err->message);
        fv_error_set(err, st, "reading s3://%s/%s: %s", out->bucket, out->object_key, why);
    } else if ((st = fv_verify_object(out, got.size, got.sha256_hex, err)) != FV_OK) {
        snprintf(why, sizeof(why), "%s", err->message);
        fv_error_set(err, st, "%s: not imported", why);
        snprintf(err->code, sizeof(err->code), "%s", FV_RESTORE_BUNDLE_INVALID);
    } else if (got.size == 0) {
        st = fv_error_set(err, FV_E_INVALID, "s3://%s/%s is empty: not imported", out->bucket,
                          out->object_key);
        snprintf(err->code, sizeof(err->code), "%s", FV_RESTORE_BUNDLE_INVALID);
    }
    fv_s3_get_result_clean_up(&got);
    return st;
}

fv_status fv_restore_import_start(const struct fv_restore_aws *aws,
                                  const struct fv_restore_import *req, size_t *bytes,
                                  struct fv_error *err)
{
    struct fv_manifest_output want = {.bucket = (char *)req->bucket,
                                      .object_key = (char *)req->key,
                                      .size = req->size,
                                      .sha256 = (char *)req->sha256};
    struct fv_buf body = {0};
    fv_status st = s_fetch(aws, &want, &body, err);
    if (st == FV_OK) {
        struct fv_quicksight_import_request ir = {
            .job_id = req->job_id,
            .body = {body.ptr, body.len},
            .override_parameters_json = req->overrides_json,
        };
        st = aws->start_import(aws->ud, req->target, req->region, &ir, err);
        if (st != FV_OK && strcmp(err->code, "ConflictException") == 0)
            st = FV_OK;
    }
    if (bytes)
        *bytes = body.len;
    fv_buf_clean_up(&body);
    return st;
}

static void s_say(const struct fv_restore_qs_callbacks *cb, enum fv_restore_bundle_step step,
                  const struct fv_restore_bundle *b)
{
    if (cb && cb->bundle)
        cb->bundle(cb->ud, step, b);
}

/* Reads the bundle and starts the import job; ConflictException (another
 * restore started the same job meanwhile) is fine: it is waited for. */
static fv_status s_start(const struct fv_restore_qs *rq, const struct fv_restore_aws *aws,
                         struct fv_restore_bundle *b)
{
    struct fv_restore_import req = {.bucket = b->out->bucket,
                                    .key = b->out->object_key,
                                    .size = b->out->size,
                                    .sha256 = b->out->sha256,
                                    .target = b->target,
                                    .region = b->region,
                                    .job_id = b->job_id,
                                    .overrides_json = rq->o->overrides_json};
    return fv_restore_import_start(aws, &req, &b->bytes, &b->err);
}

struct s_poll {
    const struct fv_restore_aws *aws;
    struct fv_restore_bundle *b;
};

static fv_status s_job_done(void *ud, bool *done, struct fv_error *err)
{
    struct s_poll *p = ud;
    fv_quicksight_import_job_clean_up(&p->b->job);
    fv_status st = p->aws->describe_import(p->aws->ud, p->b->target, p->b->region, p->b->job_id,
                                           &p->b->job, err);
    *done = st == FV_OK && fv_quicksight_job_status_done(p->b->job.status);
    return st;
}

static void s_describe_failed(struct fv_restore_bundle *b)
{
    char why[sizeof(b->err.message)];
    snprintf(why, sizeof(why), "%s", b->err.message);
    fv_error_set(&b->err, b->err.status, "describing job %s: %s", b->job_id, why);
    b->outcome = FV_RB_ERROR;
}

/* Where a bundle goes and under which job id. */
static void s_bundle_target(const struct fv_restore_qs *rq, struct fv_restore_bundle *b)
{
    const struct fv_manifest_resource *r = b->res;
    b->target = rq->o->target ? rq->o->target : r->account;
    b->region = strcmp(b->target, r->account) == 0 && r->region
                    ? r->region
                    : fv_restore_account_region(rq->cfg, b->target);
    fv_name_restore_job(rq->m->run_id, r->account, r->resource, b->target, rq->overrides_canonical,
                        b->job_id, sizeof(b->job_id));
}

/* The import of one bundle, from a prior job's state to the end. */
static void s_bundle(const struct fv_restore_qs *rq, const struct fv_restore_aws *aws,
                     const struct fv_restore_qs_callbacks *cb, struct fv_restore_bundle *b)
{
    /* A job of an earlier restore: report it, wait for it, or reuse its id. */
    fv_status st = aws->describe_import(aws->ud, b->target, b->region, b->job_id, &b->job, &b->err);
    bool running = st == FV_OK && !fv_quicksight_job_status_done(b->job.status);
    if (st == FV_OK) {
        b->prior_done = b->job.status == FV_QS_JOB_SUCCESSFUL;
        b->prior_ended = !running && !b->prior_done;
        s_say(cb, FV_RB_PRIOR, b);
        if (b->prior_done) {
            b->outcome = FV_RB_IMPORTED;
            return;
        }
    } else if (st != FV_E_NOTFOUND) {
        s_describe_failed(b);
        return;
    }
    fv_error_clear(&b->err);
    if (!running) {
        if (s_start(rq, aws, b) != FV_OK) {
            b->outcome = FV_RB_ERROR;
            return;
        }
        s_say(cb, FV_RB_STARTED, b);
    }
    struct fv_wait w = {
        .clock = rq->o->clock, .timeout_ms = rq->o->timeout_ms, .stop = rq->o->stop};
    struct s_poll p = {aws, b};
    st = fv_wait_until(&w, s_job_done, &p, &b->waited_ms, &b->err);
    if (st == FV_OK)
        b->outcome = b->job.status == FV_QS_JOB_SUCCESSFUL ? FV_RB_IMPORTED : FV_RB_JOB_FAILED;
    else if (st == FV_E_TIMEOUT || st == FV_E_CANCELLED) {
        b->outcome = FV_RB_TIMEOUT;
        b->interrupted = st == FV_E_CANCELLED;
    } else
        s_describe_failed(b);
}

static void s_bundle_end(const struct fv_restore_qs_callbacks *cb, struct fv_restore_bundle *b,
                         struct fv_restore_qs_report *out)
{
    b->ok = b->outcome == FV_RB_IMPORTED || b->outcome == FV_RB_SKIPPED;
    s_say(cb, FV_RB_END, b);
    if (b->ok)
        out->ok++;
    else
        out->bad++;
    fv_quicksight_import_job_clean_up(&b->job);
}

/* One asset type's bundles: inline one at a time, or all at once by the
 * importer (then what happened is reported when they are all done). */
static void s_assets_of(const struct fv_restore_qs *rq, const struct fv_restore_aws *aws,
                        const struct fv_restore_qs_callbacks *cb, int type,
                        struct fv_restore_qs_report *out)
{
    const struct fv_restore_importer *imp = rq->o->importer;
    struct fv_restore_bundle *batch = fv_calloc(rq->m->n_resources + 1, sizeof(*batch));
    size_t n = 0;
    for (size_t i = 0; i < rq->m->n_resources && !(rq->o->stop && *rq->o->stop); i++) {
        const struct fv_manifest_resource *r = &rq->m->resources[i];
        if (strcmp(r->kind, "quicksight.export") != 0 || s_bundle_type(r) != type ||
            !fv_restore_qs_selected(rq, r->account))
            continue;
        struct fv_restore_bundle *b = &batch[n];
        *b = (struct fv_restore_bundle){.res = r, .out = r->n_outputs ? &r->outputs[0] : NULL};
        if (!b->out || !b->out->object_key) {
            b->outcome = strcmp(r->status, "SKIPPED") == 0 ? FV_RB_SKIPPED : FV_RB_NOT_BACKED;
            s_bundle_end(cb, b, out);
            continue;
        }
        s_bundle_target(rq, b);
        s_say(cb, FV_RB_BEGIN, b);
        if (imp) {
            n++;
            continue;
        }
        s_bundle(rq, aws, cb, b);
        s_bundle_end(cb, b, out);
    }
    if (imp && n)
        imp->run(imp->ud, rq, batch, n);
    for (size_t i = 0; imp && i < n; i++) {
        if (batch[i].prior_done)
            s_say(cb, FV_RB_PRIOR, &batch[i]);
        s_bundle_end(cb, &batch[i], out);
    }
    free(batch);
}

static void s_assets(const struct fv_restore_qs *rq, const struct fv_restore_aws *aws,
                     const struct fv_restore_qs_callbacks *cb, struct fv_restore_qs_report *out)
{
    for (int type = 0; type < FV_RESTORE_N_ASSET_TYPES; type++)
        if (rq->o->types[type])
            s_assets_of(rq, aws, cb, type, out);
}

void fv_restore_quicksight(const struct fv_restore_qs *rq, const struct fv_restore_aws *aws,
                           const struct fv_restore_qs_callbacks *cb,
                           struct fv_restore_qs_report *out)
{
    memset(out, 0, sizeof(*out));
    s_assets(rq, aws, cb, out);
    if (rq->o->types[FV_RESTORE_USERS] || rq->o->types[FV_RESTORE_GROUPS] ||
        rq->o->types[FV_RESTORE_MEMBERSHIPS])
        fv_restore_qs_identities(rq, aws, cb, out);
}

/* verify (fv/verify.h): every object and backup a manifest lists, read
 * back. */
#include <fv/verify.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fv_status fv_verify_object(const struct fv_manifest_output *want, uint64_t size,
                           const char *sha256_hex, struct fv_error *err)
{
    bool size_ok = want->size < 0 || (uint64_t)want->size == size;
    bool sha_ok = !want->sha256 || strcmp(want->sha256, sha256_hex) == 0;
    if (size_ok && sha_ok)
        return FV_OK;
    return fv_error_set(err, FV_E_INVALID,
                        "s3://%s/%s: %llu bytes with sha256 %s, the manifest says %lld bytes "
                        "with sha256 %s",
                        want->bucket, want->object_key, (unsigned long long)size, sha256_hex,
                        (long long)want->size, want->sha256 ? want->sha256 : "-");
}

/* err's message after what it is about: "<what>: <message>". */
static void s_about(struct fv_error *err, const char *what)
{
    char why[sizeof(err->message)];
    snprintf(why, sizeof(why), "%s", err->message);
    fv_error_set(err, err->status, "%s: %s", what, why);
}

static fv_status s_discard(void *ud, const char *data, size_t n, struct fv_error *err)
{
    (void)ud;
    (void)data;
    (void)n;
    (void)err;
    return FV_OK;
}

static void s_object(const struct fv_restore_aws *aws, struct fv_verify_item *it)
{
    const struct fv_manifest_output *o = it->output;
    struct fv_s3_get_result got = {0};
    if (aws->get_object(aws->ud, o->bucket, o->object_key, s_discard, NULL, &got, &it->err) !=
        FV_OK) {
        struct fv_buf uri = {0};
        fv_buf_printf(&uri, "s3://%s/%s", o->bucket, o->object_key);
        s_about(&it->err, uri.ptr);
        fv_buf_clean_up(&uri);
    } else {
        it->size = got.size;
        memcpy(it->sha256, got.sha256_hex, sizeof(it->sha256));
        it->ok = fv_verify_object(o, got.size, got.sha256_hex, &it->err) == FV_OK;
    }
    fv_s3_get_result_clean_up(&got);
}

static void s_backup(const struct fv_restore_aws *aws, const char *region,
                     struct fv_verify_item *it)
{
    const char *arn = it->output->backup_arn;
    /* The ARN says where the backup is; the resource, then the default, if not. */
    char *arn_region = fv_arn_part(arn, 3), *arn_account = fv_arn_part(arn, 4);
    const char *in_region = arn_region && *arn_region ? arn_region
                            : it->resource->region    ? it->resource->region
                                                      : region;
    const char *in_account = arn_account && *arn_account ? arn_account : it->resource->account;
    struct fv_dynamodb_backup b = {0};
    if (aws->describe_backup(aws->ud, in_account, in_region, arn, &b, &it->err) != FV_OK)
        s_about(&it->err, arn);
    else if (b.status != FV_DDB_BACKUP_AVAILABLE)
        fv_error_set(&it->err, FV_E_INVALID, "%s: %s", arn,
                     fv_dynamodb_backup_status_str(b.status));
    else
        it->ok = true;
    fv_dynamodb_backup_clean_up(&b);
    free(arn_region);
    free(arn_account);
}

void fv_verify_manifest(const struct fv_restore_aws *aws, const struct fv_manifest *m,
                        const char *region, fv_verify_progress_fn *progress, void *ud,
                        struct fv_verify_report *out)
{
    memset(out, 0, sizeof(*out));
    size_t cap = 0;
    for (size_t i = 0; i < m->n_resources; i++)
        cap += m->resources[i].n_outputs;
    out->items = fv_calloc(cap ? cap : 1, sizeof(*out->items));
    for (size_t i = 0; i < m->n_resources; i++) {
        const struct fv_manifest_resource *r = &m->resources[i];
        for (size_t k = 0; k < r->n_outputs; k++) {
            const struct fv_manifest_output *o = &r->outputs[k];
            const char *action = fv_manifest_output_extra(o, "action");
            struct fv_verify_item *it = &out->items[out->n];
            *it = (struct fv_verify_item){.resource = r, .output = o};
            if (o->object_key) {
                it->kind = FV_VERIFY_OBJECT;
                s_object(aws, it);
            } else if (o->backup_arn && !(action && strcmp(action, "deleted") == 0)) {
                it->kind = FV_VERIFY_BACKUP;
                s_backup(aws, region, it);
            } else {
                continue; /* nothing to read back: an identity table, a deleted backup */
            }
            out->n++;
            if (!it->ok)
                out->n_bad++;
            if (progress)
                progress(ud, it);
        }
    }
}

void fv_verify_report_clean_up(struct fv_verify_report *r)
{
    if (!r)
        return;
    free(r->items);
    memset(r, 0, sizeof(*r));
}

/* verify: re-reads everything a run's manifest lists — every S3 object in
 * full (size and SHA-256, streamed, never held in memory; like restic check
 * --read-data) and every DynamoDB backup (still AVAILABLE) — and reports,
 * item by item, what does not match. */
#ifndef FV_VERIFY_H
#define FV_VERIFY_H

#include <fv/manifest.h>
#include <fv/restore_aws.h>

enum fv_verify_kind {
    FV_VERIFY_OBJECT, /* an output with bucket and object_key */
    FV_VERIFY_BACKUP, /* an output with a backup_arn (not one retention deleted) */
};

struct fv_verify_item {
    enum fv_verify_kind kind;
    const struct fv_manifest_resource *resource; /* borrowed from the manifest */
    const struct fv_manifest_output *output;     /* borrowed from the manifest */
    bool ok;
    uint64_t size;       /* objects: the bytes read */
    char sha256[65];     /* objects: their SHA-256 ("" when not read) */
    struct fv_error err; /* !ok: what is wrong, naming the object or backup */
};

struct fv_verify_report {
    struct fv_verify_item *items;
    size_t n, n_bad;
};
void fv_verify_report_clean_up(struct fv_verify_report *r);

/* Called after each item is checked (e.g. to print it). */
typedef void fv_verify_progress_fn(void *ud, const struct fv_verify_item *item);

/* Checks every output of m that names an object or a backup. region: where
 * a backup is described when neither its ARN nor its resource says.
 * progress may be NULL. *out is caller's (fv_verify_report_clean_up); it
 * borrows from m, which must outlive it. */
void fv_verify_manifest(const struct fv_restore_aws *aws, const struct fv_manifest *m,
                        const char *region, fv_verify_progress_fn *progress, void *ud,
                        struct fv_verify_report *out);

/* An object as read against the manifest's output: FV_OK when the size and
 * (if the manifest has one) the SHA-256 match, else FV_E_INVALID with both
 * sides in err: "s3://b/k: 9 bytes with sha256 …, the manifest says 10
 * bytes with sha256 …". Shared by verify and restore. */
fv_status fv_verify_object(const struct fv_manifest_output *want, uint64_t size,
                           const char *sha256_hex, struct fv_error *err);

#endif

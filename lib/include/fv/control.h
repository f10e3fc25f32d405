/* fleetvault's own state, in one DynamoDB table in the central account
 * (partition key "pk", string): the coordinator lease, run records, and a
 * claim per task so a redelivered task finds what an earlier delivery did. */
#ifndef FV_CONTROL_H
#define FV_CONTROL_H

#include <fv/aws.h>
#include <fv/clock.h>
#include <fv/config.h>

struct json_object;

/* Items that only matter for a while (task claims and their notes, run
 * records) carry this number attribute, epoch seconds, and the table has
 * DynamoDB TTL on it: they are deleted some time after. Lease items
 * (attribute `expires`, a different one) never carry it: the coordinator's
 * fenced lease is never deleted, so its token only grows. Neither do
 * records that must live as long as what they describe. */
#define FV_CONTROL_TTL_ATTR "ttl"

/* The ttl of an item written at now_s: central.control_ttl_days later. */
int64_t fv_control_expiry_s(const struct fv_config *cfg, int64_t now_s);

/* Creates the table when absent (PAY_PER_REQUEST), waits until ACTIVE, and
 * turns DynamoDB TTL on for FV_CONTROL_TTL_ATTR unless it is on already
 * (DescribeTimeToLive first: UpdateTimeToLive refuses a second enabling). */
fv_status fv_control_ensure_table(struct fv_aws_client *c, const char *table, struct fv_error *err);

/* Claims task_id for this delivery, the claim expiring at expires_s
 * (fv_control_expiry_s). *fresh: no earlier delivery claimed it.
 * Otherwise *item_out (caller owns; may be NULL) is the claim as an earlier
 * delivery left it (attributes in DynamoDB JSON). */
fv_status fv_control_claim(struct fv_aws_client *c, const char *table, const char *task_id,
                           const char *worker, int64_t expires_s, bool *fresh,
                           struct json_object **item_out, struct fv_error *err);
/* Records a string attribute on the claim (e.g. backup_arn); the claim's
 * ttl stays (a note on a claim that is gone makes one without ttl: claim
 * first). */
fv_status fv_control_note(struct fv_aws_client *c, const char *table, const char *task_id,
                          const char *attr, const char *value, struct fv_error *err);
/* A string attribute of an item in DynamoDB JSON ({"S": ...}); borrowed. */
const char *fv_control_item_str(struct json_object *item, const char *attr);

/* The lease `name` for holder, valid ttl_s from now_s: taken when free,
 * expired, or already ours (renewal). *held_by: the holder after the call
 * (caller frees). */
fv_status fv_control_lease(struct fv_aws_client *c, const char *table, const char *name,
                           const char *holder, int64_t now_s, int64_t ttl_s, bool *got,
                           char **held_by, struct fv_error *err);
fv_status fv_control_lease_release(struct fv_aws_client *c, const char *table, const char *name,
                                   const char *holder, struct fv_error *err);

/* The coordinator's lease, fenced. Every acquisition (the lease free,
 * expired, or already ours) increments a token kept in the lease item
 * (attribute "fence"). The item is never deleted (a release only expires
 * it), so the token only grows. Every run-record write is a
 * TransactWriteItems whose first item is a ConditionCheck on the lease
 * item (holder and token are ours): a holder whose lease was taken over
 * writes nothing. DynamoDB conditions cannot span items, so the transaction
 * is the fence; moto 5.2.1 implements it (ConditionCheck included). */
struct fv_control_fence {
    const char *table;  /* borrowed */
    const char *name;   /* the lease name, borrowed */
    const char *holder; /* borrowed */
    int64_t token;      /* set by fv_control_fence_acquire */
};
/* Takes the lease for f->holder until now_s + ttl_s and sets f->token.
 * *got false (FV_OK) when another holds it; *held_by (caller frees, may be
 * NULL) names the holder after the call. */
fv_status fv_control_fence_acquire(struct fv_aws_client *c, struct fv_control_fence *f,
                                   int64_t now_s, int64_t ttl_s, bool *got, char **held_by,
                                   struct fv_error *err);
/* Extends the lease to now_s + ttl_s if it is still f's (holder and token);
 * otherwise FV_E_CANCELLED with fv_control_is_fenced_out(err). */
fv_status fv_control_fence_renew(struct fv_aws_client *c, const struct fv_control_fence *f,
                                 int64_t now_s, int64_t ttl_s, struct fv_error *err);
/* Expires the lease if it is still f's (the token stays in the item). */
fv_status fv_control_fence_release(struct fv_aws_client *c, const struct fv_control_fence *f,
                                   struct fv_error *err);
/* True when err says the lease is held by another acquisition than ours. */
bool fv_control_is_fenced_out(const struct fv_error *err);

/* Run records: run#<run_id> with state ("running", "completed"), the job
 * and a ttl of expires_s, written only while f holds the lease (fenced, see
 * above). */
fv_status fv_control_run_put(struct fv_aws_client *c, const struct fv_control_fence *f,
                             const char *run_id, const char *job, const char *state,
                             int64_t started_ms, int64_t expires_s, struct fv_error *err);
/* The state of run_id ("running", "completed"), or NULL when there is no
 * such run (caller frees). */
fv_status fv_control_run_state(struct fv_aws_client *c, const char *table, const char *run_id,
                               char **state_out, struct fv_error *err);
/* The unfinished run of job, if any (*run_id_out NULL when none; caller frees). */
fv_status fv_control_run_unfinished(struct fv_aws_client *c, const char *table, const char *job,
                                    char **run_id_out, int64_t *started_ms_out,
                                    struct fv_error *err);

/* Backup records: pk "backup#<arn>", one per on-demand backup fleetvault
 * created, written by the dynamodb.backup task right after CreateBackup
 * (and again, idempotently, by a redelivery that finds the backup by name),
 * before the task reports success. Retention deletes only recorded backups
 * (fv/retention.h): a backup without a record — made by anyone else, or by
 * a worker that died between CreateBackup and the record — is never
 * deleted by retention's default scope. */
struct fv_control_backup {
    char *arn;
    char *job;
    char *account;
    char *region;
    char *table;
    char *run_id;
    int64_t created_ms; /* the backup's CreationDateTime as CreateBackup told it */
};
void fv_control_backup_clean_up(struct fv_control_backup *b);

/* One PutItem (idempotent: the same backup gives the same item). */
fv_status fv_control_backup_put(struct fv_aws_client *c, const char *table,
                                const struct fv_control_backup *b, struct fv_error *err);
/* The records of arns[0..n) (borrowed): out[i] filled for each ARN that has
 * one (out[i].arn NULL otherwise). out is the caller's array of n zeroed
 * entries; clean each up. BatchGetItem, 100 keys a call, consistent reads;
 * unprocessed keys asked for again after a backoff by clock. No control
 * table at all (a dry run before the first run) means no records. */
fv_status fv_control_backup_get(struct fv_aws_client *c, const char *table,
                                const struct fv_clock *clock, const char *const *arns, size_t n,
                                struct fv_control_backup *out, struct fv_error *err);
/* Removes the record of arn (none is fine). */
fv_status fv_control_backup_forget(struct fv_aws_client *c, const char *table, const char *arn,
                                   struct fv_error *err);

#endif

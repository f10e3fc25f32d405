/* fleetvault's own state, in one DynamoDB table in the central account
 * (partition key "pk", string): the coordinator lease, run records, and a
 * claim per task so a redelivered task finds what an earlier delivery did. */
#ifndef FV_CONTROL_H
#define FV_CONTROL_H

#include <fv/aws.h>

struct json_object;

/* Creates the table when absent (PAY_PER_REQUEST) and waits until ACTIVE. */
fv_status fv_control_ensure_table(struct fv_aws_client *c, const char *table, struct fv_error *err);

/* Claims task_id for this delivery. *fresh: no earlier delivery claimed it.
 * Otherwise *item_out (caller owns; may be NULL) is the claim as an earlier
 * delivery left it (attributes in DynamoDB JSON). */
fv_status fv_control_claim(struct fv_aws_client *c, const char *table, const char *task_id,
                           const char *worker, bool *fresh, struct json_object **item_out,
                           struct fv_error *err);
/* Records a string attribute on the claim (e.g. backup_arn). */
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

/* Run records: run#<run_id> with state ("running", "completed") and the
 * job. */
fv_status fv_control_run_put(struct fv_aws_client *c, const char *table, const char *run_id,
                             const char *job, const char *state, int64_t started_ms,
                             struct fv_error *err);
/* The state of run_id ("running", "completed"), or NULL when there is no
 * such run (caller frees). */
fv_status fv_control_run_state(struct fv_aws_client *c, const char *table, const char *run_id,
                               char **state_out, struct fv_error *err);
/* The unfinished run of job, if any (*run_id_out NULL when none; caller frees). */
fv_status fv_control_run_unfinished(struct fv_aws_client *c, const char *table, const char *job,
                                    char **run_id_out, int64_t *started_ms_out,
                                    struct fv_error *err);

#endif

/* Authenticated task messages. The tasks topic carries SealedTask envelopes
 * (proto/fleetvault.proto): a Task's bytes, the id of the key that signed
 * them and an HMAC-SHA256 tag. The coordinator and the workers share a key
 * ring from the configuration; keys rotate by id (add the new key to every
 * ring, make it the first — the signing one — then drop the old one).
 * Secrets never reach a log or an error message. */
#ifndef FV_SEAL_H
#define FV_SEAL_H

#include <fv/config.h>
#include <fv/task.h>

struct fv_task_keys;

/* Parses key lines "<key id> <secret>" (newline- or ';'-separated, '#'
 * comments): ids of [A-Za-z0-9._-], secrets of at least 32 characters. The
 * first key signs. `where` names the source in errors. Caller owns *out. */
fv_status fv_task_keys_parse(const char *text, const char *where, struct fv_task_keys **out,
                             struct fv_error *err);
/* The configuration's ring: tasks.signing_keys_file, else the environment
 * variable FV_TASK_SIGNING_KEYS, else (embedded only: the cluster is in this
 * process) a random key of this process. Errors name the file and key. */
fv_status fv_task_keys_load(const struct fv_config *cfg, bool embedded, struct fv_task_keys **out,
                            struct fv_error *err);
void fv_task_keys_destroy(struct fv_task_keys *k); /* NULL-safe */
/* The signing key's id (borrowed). */
const char *fv_task_keys_signing_id(const struct fv_task_keys *k);

/* Encodes t and seals it under the signing key into out. */
void fv_task_seal(const struct fv_task_keys *k, const struct fv_task *t, struct fv_buf *out);
/* Verifies and decodes: FV_E_INVALID with err->code "TaskUnsigned" (not an
 * envelope), "TaskUnknownKey" or "TaskBadSignature", FV_E_PARSE when the
 * authenticated bytes are not a Task. *out is cleaned on failure. */
fv_status fv_task_open(const struct fv_task_keys *k, struct fv_cur bytes, struct fv_task *out,
                       struct fv_error *err);

#endif

/* Shared by lib/restore/restore_*.c; not a public interface. */
#ifndef FV_RESTORE_INTERNAL_H
#define FV_RESTORE_INTERNAL_H

#include <fv/restore.h>

/* rq's source account selection: true when account is selected. */
bool fv_restore_qs_selected(const struct fv_restore_qs *rq, const char *account);
/* The first region of a configured account, else the configuration's. */
const char *fv_restore_account_region(const struct fv_config *cfg, const char *account);
/* Restores users, groups and memberships of every selected source account;
 * adds to *out. */
void fv_restore_qs_identities(const struct fv_restore_qs *rq, const struct fv_restore_aws *aws,
                              const struct fv_restore_qs_callbacks *cb,
                              struct fv_restore_qs_report *out);

#endif

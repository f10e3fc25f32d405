/* Process hardening done once at start, before any secret is read. */
#ifndef FV_PROCESS_H
#define FV_PROCESS_H

#include <fv/common.h>

/* No core dumps: a core file would hold every credential, token and signing
 * key in memory. Sets RLIMIT_CORE to 0 (soft and hard, so no child can raise
 * it) and marks the process not dumpable (PR_SET_DUMPABLE 0: no core even
 * when core_pattern pipes to a handler, and /proc/<pid>/mem and ptrace are
 * closed to other processes of the same user). FV_E_IO naming the call that
 * failed. */
fv_status fv_process_no_core_dumps(struct fv_error *err);

#endif

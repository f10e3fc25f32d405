#include <fv/process.h>

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

fv_status fv_process_no_core_dumps(struct fv_error *err)
{
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0)
        return fv_error_set(err, FV_E_IO, "setrlimit(RLIMIT_CORE, 0): %s", strerror(errno));
    if (prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L) != 0)
        return fv_error_set(err, FV_E_IO, "prctl(PR_SET_DUMPABLE, 0): %s", strerror(errno));
    return FV_OK;
}

/* fleetvault task docs: the task contract's reference (docs/TASKS.md). */
#include "cli.h"

#include <fv/contract.h>

#include <stdio.h>
#include <string.h>

int fv_cli_task(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "docs") == 0) {
        fv_task_write_docs(stdout);
        return 0;
    }
    fprintf(stderr, "usage: fleetvault task docs\n");
    return 2;
}

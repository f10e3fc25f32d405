#include "cli.h"

#include <stdio.h>

int fv_cli_aws_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "fleetvault aws-check: the AWS client is not built yet\n");
    return 2;
}

/* fleetvault config check FILE | config docs */
#include "cli.h"

#include <fv/config.h>

#include <stdio.h>
#include <string.h>

int fv_cli_config(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "docs") == 0) {
        fv_config_write_docs(stdout);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "check") == 0) {
        struct fv_config cfg;
        struct fv_error err;
        if (fv_config_load(argv[2], &cfg, &err) != FV_OK) {
            fprintf(stderr, "fleetvault: %s\n", err.message);
            return 2;
        }
        printf("%s: ok (%zu accounts, region %s)\n", argv[2], cfg.n_accounts, cfg.region);
        fv_config_clean_up(&cfg);
        return 0;
    }
    fprintf(stderr, "usage: fleetvault config check FILE\n       fleetvault config docs\n");
    return 2;
}

/* fleetvault iam-policy --config F [--out DIR]: the least-privilege IAM
 * documents for the jobs F enables (lib/fleet/iampolicy.c), printed or
 * written one file each into DIR (deploy/iam/ is generated so). */
#include "cli.h"
#include "common.h"

#include <fv/iampolicy.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int s_write(const char *dir, const struct fv_iam_doc *d)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, d->file);
    FILE *f = fopen(path, "w");
    if (!f || fputs(d->json, f) == EOF || fclose(f) != 0) {
        fprintf(stderr, "fleetvault iam-policy: %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

int fv_cli_iam_policy(int argc, char **argv)
{
    const char *config = NULL, *out = NULL;
    const struct fv_cli_opt opts[] = {
        {"config", &config, NULL}, {"out", &out, NULL}, {NULL, NULL, NULL}};
    int rc = fv_cli_parse(argc, argv, opts,
                          "usage: fleetvault iam-policy --config FILE [--out DIR]\n", NULL);
    if (rc >= 0)
        return rc;
    if (!config) {
        fprintf(stderr, "fleetvault iam-policy: --config FILE is required\n");
        return 2;
    }
    struct fv_config cfg = {0};
    rc = fv_cli_load_config(config, &cfg);
    if (rc)
        return rc;
    struct fv_iam_docs docs;
    struct fv_error err;
    if (fv_iam_policies(&cfg, &docs, &err) != FV_OK) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
        fv_config_clean_up(&cfg);
        return 2;
    }
    for (size_t i = 0; i < docs.n && rc == 0; i++) {
        if (out)
            rc = s_write(out, &docs.items[i]);
        else
            printf("# %s\n%s", docs.items[i].file, docs.items[i].json);
    }
    fv_iam_docs_clean_up(&docs);
    fv_config_clean_up(&cfg);
    return rc;
}

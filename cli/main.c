/* fleetvault: one binary, subcommands. Thin: parse flags, call lib/. */
#include "cli.h"

#include <fv/process.h>

#include <stdio.h>
#include <string.h>

static const struct fv_cli_command s_commands[] = {
    {"aws-check", "check credentials and reachability of every configured account",
     fv_cli_aws_check},
    {"config", "check a configuration file, or print the configuration reference", fv_cli_config},
    {"kafka-mock", "a mock Kafka cluster for tests, with fault control", fv_cli_kafka_mock},
    {"backup", "run one complete backup of a job (embedded Kafka by default)", fv_cli_backup},
    {"coordinator", "the scheduling daemon: runs jobs on their schedules", fv_cli_coordinator},
    {"worker", "the worker daemon: consumes and performs tasks", fv_cli_worker},
    {"verify", "re-read everything a run's manifest lists and check it", fv_cli_verify},
    {"restore", "restore from a backup (restore dynamodb | restore quicksight)", fv_cli_restore},
    {"dlq", "print what is in the dead-letter queue", fv_cli_dlq},
    {"task", "print the task contract's reference (task docs)", fv_cli_task},
    {"iam-policy", "print the least-privilege IAM policies the configuration's jobs need",
     fv_cli_iam_policy},
    {"exports", "DynamoDB export chains: status | pause | resume | reset | import-state",
     fv_cli_exports},
};

static void s_usage(FILE *f)
{
    fprintf(f, "usage: fleetvault <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++)
        fprintf(f, "  %-12s %s\n", s_commands[i].name, s_commands[i].summary);
    fprintf(f, "\nfleetvault <command> --help for the command's options\n");
}

int main(int argc, char **argv)
{
    struct fv_error err;
    if (fv_process_no_core_dumps(&err) != FV_OK) {
        fprintf(stderr, "fleetvault: cannot disable core dumps: %s\n", err.message);
        return 1;
    }
    if (argc < 2) {
        s_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        s_usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++)
        if (strcmp(argv[1], s_commands[i].name) == 0)
            return s_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "fleetvault: unknown command '%s'\n", argv[1]);
    s_usage(stderr);
    return 2;
}

#ifndef FV_CLI_H
#define FV_CLI_H

struct fv_cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

int fv_cli_aws_check(int argc, char **argv);
int fv_cli_config(int argc, char **argv);
int fv_cli_kafka_mock(int argc, char **argv);
int fv_cli_backup(int argc, char **argv);
int fv_cli_coordinator(int argc, char **argv);
int fv_cli_worker(int argc, char **argv);
int fv_cli_verify(int argc, char **argv);
int fv_cli_restore(int argc, char **argv);
int fv_cli_restore_exports(int argc, char **argv); /* restore dynamodb --from-exports */
int fv_cli_verify_exports(int argc, char **argv);  /* verify --exports */
/* restore quicksight (cmd_restore_quicksight.c); argv[0] is "quicksight". */
int fv_cli_restore_quicksight(int argc, char **argv);
int fv_cli_dlq(int argc, char **argv);
int fv_cli_task(int argc, char **argv);
int fv_cli_iam_policy(int argc, char **argv);
int fv_cli_exports(int argc, char **argv);

#endif

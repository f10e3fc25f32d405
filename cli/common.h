#ifndef FV_CLI_COMMON_H
#define FV_CLI_COMMON_H

#include <fv/config.h>
#include <fv/kafka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

/* Set by SIGTERM/SIGINT (the CLI's one piece of process state). */
extern volatile sig_atomic_t fv_cli_stop;
void fv_cli_install_signals(void);
/* 0, or 2 after printing the one-line error. */
int fv_cli_load_config(const char *path, struct fv_config *cfg);
int fv_cli_log_file(const char *path, FILE **out);
/* Kafka settings from cfg (brokers as configured, "embedded" included). */
void fv_cli_kafka_config(const struct fv_config *cfg, struct fv_kafka_config *kc);
void fv_cli_instance_name(const char *role, char *out, size_t n);

/* One option of a command: --name VALUE into *value, or (value NULL) the
 * switch --name setting *on. Both borrowed, for the parse. */
struct fv_cli_opt {
    const char *name;
    const char **value;
    bool *on;
};
#define FV_CLI_MAX_OPTS 24
/* Parses argv[1..] by opts (ended by {NULL}; --help and -h always known).
 * -1: go on (optind: the first operand); 0: --help printed usage and help
 * (if not NULL, after an empty line) on stdout; 2: an unknown option or a
 * missing value (getopt said which), usage on stderr. */
int fv_cli_parse(int argc, char **argv, const struct fv_cli_opt *opts, const char *usage,
                 const char *help);

#endif

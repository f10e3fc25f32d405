/* Shared by the pipeline subcommands: config loading, logging set-up,
 * Kafka settings from the configuration. */
#include "common.h"

#include <fv/log.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

volatile sig_atomic_t fv_cli_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    fv_cli_stop = 1;
}

void fv_cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = s_on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int fv_cli_load_config(const char *path, struct fv_config *cfg)
{
    struct fv_error err;
    if (!path) {
        fprintf(stderr, "fleetvault: --config FILE is required\n");
        return 2;
    }
    if (fv_config_load(path, cfg, &err) != FV_OK) {
        fprintf(stderr, "fleetvault: %s\n", err.message);
        return 2;
    }
    enum fv_log_level level;
    if (fv_log_level_parse(cfg->log_level, &level))
        fv_log_set_level(level);
    return 0;
}

/* mkdir -p of path's directory (the seed tool creates ./logs/ itself). */
static void s_make_parents(const char *path)
{
    char *dir = fv_strdup(path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(dir, 0755);
        *p = '/';
    }
    free(dir);
}

int fv_cli_log_file(const char *path, FILE **out)
{
    *out = NULL;
    if (!path)
        return 0;
    s_make_parents(path);
    /* Logs name accounts, tables and errors: readable by the owner only. No
     * symlink is followed (a planted link cannot redirect them), and an
     * existing file is tightened to 0600. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    struct stat sb;
    const char *why = NULL;
    if (fd < 0)
        why = errno == ELOOP ? "it is a symbolic link" : strerror(errno);
    else if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        why = "not a regular file";
    else if ((sb.st_mode & 0077) != 0 && fchmod(fd, sb.st_mode & 0700) != 0)
        why = "it is readable by others and cannot be made 0600";
    FILE *f = why ? NULL : fdopen(fd, "a");
    if (!f) {
        fprintf(stderr, "fleetvault: cannot open log file %s: %s\n", path,
                why ? why : strerror(errno));
        if (fd >= 0)
            close(fd);
        return 2;
    }
    fv_log_set_sink(f, true);
    *out = f;
    return 0;
}

void fv_cli_kafka_config(const struct fv_config *cfg, struct fv_kafka_config *kc)
{
    fv_kafka_config_init(kc);
    free(kc->brokers);
    kc->brokers = fv_strdup(cfg->kafka_brokers);
    free(kc->topic_prefix);
    kc->topic_prefix = fv_strdup(cfg->kafka_topic_prefix);
    kc->partitions = (int)cfg->kafka_partitions;
    kc->session_timeout_ms = (int)cfg->kafka_session_timeout_ms;
    /* fv_config_load refused clear text unless the file allows it: say so
     * at start, it is a test set-up. */
    const char *proto = "PLAINTEXT";
    for (size_t i = 0; i < cfg->n_kafka_properties; i++)
        if (strcmp(cfg->kafka_properties[2 * i], "security.protocol") == 0)
            proto = cfg->kafka_properties[2 * i + 1];
    if (cfg->kafka_allow_plaintext && strcmp(cfg->kafka_brokers, "embedded") != 0 &&
        strcasestr(proto, "PLAINTEXT"))
        FV_LOG(FV_LOG_WARN, "kafka",
               "%s: kafka.allow_plaintext: tasks and results cross the network to %s in %s",
               cfg->path, cfg->kafka_brokers, proto);
    if (cfg->n_kafka_properties) {
        kc->properties = fv_calloc(2 * cfg->n_kafka_properties + 1, sizeof(char *));
        for (size_t i = 0; i < 2 * cfg->n_kafka_properties; i++)
            kc->properties[i] = fv_strdup(cfg->kafka_properties[i]);
        kc->n_properties = cfg->n_kafka_properties;
    }
}

void fv_cli_instance_name(const char *role, char *out, size_t n)
{
    char host[128] = "host";
    gethostname(host, sizeof(host) - 1);
    snprintf(out, n, "%s-%s-%d", role, host, (int)getpid());
}

int fv_cli_parse(int argc, char **argv, const struct fv_cli_opt *opts, const char *usage,
                 const char *help)
{
    struct option lo[FV_CLI_MAX_OPTS + 2];
    size_t n = 0;
    for (; opts[n].name; n++) {
        if (n == FV_CLI_MAX_OPTS)
            abort(); /* a command with more options: raise the limit */
        lo[n] = (struct option){opts[n].name, opts[n].value ? required_argument : no_argument, NULL,
                                256 + (int)n};
    }
    lo[n] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n + 1] = (struct option){NULL, 0, NULL, 0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (c == 'h') {
            printf("%s%s%s", usage, help ? "\n" : "", help ? help : "");
            return 0;
        }
        if (c < 256) {
            fputs(usage, stderr);
            return 2;
        }
        const struct fv_cli_opt *o = &opts[c - 256];
        if (o->value)
            *o->value = optarg;
        else
            *o->on = true;
    }
    return -1;
}

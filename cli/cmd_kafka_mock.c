/* fleetvault kafka-mock: a standalone embedded Kafka cluster (librdkafka's
 * mock cluster) for tests, so coordinator and workers run as separate
 * processes that talk only through Kafka.
 *
 * Prints "bootstrap=HOST:PORT,..." once fleetvault's topics exist, then serves
 * until SIGTERM/SIGINT. Fault control, one command a line on stdin (and on
 * the control FIFO, when given), each answered "ok" on stdout once applied:
 *   down            every broker down (connections refused)
 *   up              every broker up
 *   down-for MS     down now, up again by itself MS milliseconds later */
#include "cli.h"

#include <fv/kafka.h>
#include <fv/log.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char s_usage[] =
    "usage: fleetvault kafka-mock [--brokers N] [--partitions P] [--topic-prefix X]\n"
    "                             [--control-fifo PATH]\n"
    "\n"
    "Runs an in-memory Kafka cluster (librdkafka mock) on loopback ports with\n"
    "fleetvault's topics (X tasks, results, events, dlq; default prefix\n"
    "\"fleetvault.\", 6 partitions, 3 brokers). Prints bootstrap=HOST:PORT,...\n"
    "then serves until SIGTERM/SIGINT. Commands on stdin and on the FIFO PATH\n"
    "(created when missing), one a line, each answered \"ok\":\n"
    "  down | up | down-for MS\n";

static int64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool s_parse_int(const char *s, int lo, int hi, int *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

static void s_reply(const char *line)
{
    fputs(line, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

struct s_ctl {
    struct fv_kafka_mock *mock;
    int64_t up_at; /* a pending down-for: when to bring the brokers up; 0 none */
};

static void s_command(struct s_ctl *ctl, char *line)
{
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        line[--n] = '\0';
    while (*line == ' ' || *line == '\t')
        line++;
    if (!*line)
        return;
    int ms;
    if (strcmp(line, "down") == 0) {
        fv_kafka_mock_set_down(ctl->mock, true);
        ctl->up_at = 0;
    } else if (strcmp(line, "up") == 0) {
        fv_kafka_mock_set_down(ctl->mock, false);
        ctl->up_at = 0;
    } else if (strncmp(line, "down-for ", 9) == 0 && s_parse_int(line + 9, 0, 86400000, &ms)) {
        fv_kafka_mock_set_down(ctl->mock, true);
        ctl->up_at = s_mono_ms() + ms;
        if (ctl->up_at == 0)
            ctl->up_at = 1;
    } else {
        char msg[160];
        snprintf(msg, sizeof(msg), "error: unknown command '%.80s' (down, up, down-for MS)", line);
        s_reply(msg);
        return;
    }
    s_reply("ok");
}

/* One source of commands, with its partial line. */
struct s_input {
    int fd; /* -1: none, or closed */
    char buf[512];
    size_t len;
};

/* Reads what is available and runs every complete line. Returns false at
 * end of input. */
static bool s_read_commands(struct s_ctl *ctl, struct s_input *in)
{
    ssize_t r = read(in->fd, in->buf + in->len, sizeof(in->buf) - 1 - in->len);
    if (r < 0)
        return errno == EINTR || errno == EAGAIN;
    if (r == 0)
        return false;
    in->len += (size_t)r;
    in->buf[in->len] = '\0';
    char *start = in->buf, *nl;
    while ((nl = strchr(start, '\n')) != NULL) {
        *nl = '\0';
        s_command(ctl, start);
        start = nl + 1;
    }
    in->len -= (size_t)(start - in->buf);
    memmove(in->buf, start, in->len);
    if (in->len == sizeof(in->buf) - 1) { /* a line longer than the buffer: drop it */
        s_reply("error: line too long");
        in->len = 0;
    }
    return true;
}

int fv_cli_kafka_mock(int argc, char **argv)
{
    int brokers = 3;
    const char *fifo = NULL;
    struct fv_kafka_config kc;
    fv_kafka_config_init(&kc);
    int rc = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(s_usage, stdout);
            rc = 0;
            goto out;
        } else if (strcmp(a, "--brokers") == 0 && s_parse_int(v, 1, 64, &brokers)) {
            i++;
        } else if (strcmp(a, "--partitions") == 0 && s_parse_int(v, 1, 10000, &kc.partitions)) {
            i++;
        } else if (strcmp(a, "--topic-prefix") == 0 && v) {
            free(kc.topic_prefix);
            kc.topic_prefix = fv_strdup(v);
            i++;
        } else if (strcmp(a, "--control-fifo") == 0 && v && *v) {
            fifo = v;
            i++;
        } else {
            fprintf(stderr, "fleetvault kafka-mock: bad argument '%s'\n%s", a, s_usage);
            goto out;
        }
    }

    /* Signals arrive on a descriptor; blocked before the mock's threads
     * start, so they inherit the mask. A vanished reader is not fatal. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    if (sigfd < 0) {
        fprintf(stderr, "fleetvault kafka-mock: signalfd: %s\n", strerror(errno));
        goto out;
    }

    /* Commands come from stdin and, when given, the FIFO. */
    struct s_input in[2] = {{.fd = STDIN_FILENO}, {.fd = -1}};
    bool made_fifo = false;
    if (fifo) {
        if (mkfifo(fifo, 0600) == 0)
            made_fifo = true;
        else if (errno != EEXIST) {
            fprintf(stderr, "fleetvault kafka-mock: mkfifo %s: %s\n", fifo, strerror(errno));
            close(sigfd);
            goto out;
        }
        /* Read-write: we hold a writer, so the FIFO never reads end-of-file
         * when a controlling process closes it. */
        in[1].fd = open(fifo, O_RDWR | O_CLOEXEC);
        if (in[1].fd < 0) {
            fprintf(stderr, "fleetvault kafka-mock: open %s: %s\n", fifo, strerror(errno));
            if (made_fifo)
                unlink(fifo);
            close(sigfd);
            goto out;
        }
    }

    struct fv_error err;
    struct s_ctl ctl = {0};
    ctl.mock = fv_kafka_mock_start(brokers, &kc, &err);
    if (!ctl.mock) {
        fprintf(stderr, "fleetvault kafka-mock: %s\n", err.message);
    } else {
        printf("bootstrap=%s\n", fv_kafka_mock_bootstraps(ctl.mock));
        fflush(stdout);

        for (;;) {
            /* poll() skips negative descriptors: closed inputs drop out. */
            struct pollfd pfd[3] = {
                {sigfd, POLLIN, 0}, {in[0].fd, POLLIN, 0}, {in[1].fd, POLLIN, 0}};
            int timeout = -1;
            if (ctl.up_at) {
                int64_t left = ctl.up_at - s_mono_ms();
                timeout = left > 0 ? (int)left : 0;
            }
            int r = poll(pfd, 3, timeout);
            if (r < 0 && errno != EINTR)
                break;
            if (ctl.up_at && s_mono_ms() >= ctl.up_at) {
                fv_kafka_mock_set_down(ctl.mock, false);
                ctl.up_at = 0;
            }
            if (r > 0 && pfd[0].revents) {
                struct signalfd_siginfo si;
                if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                    FV_LOG(FV_LOG_INFO, "kafka", "embedded cluster: signal %u, stopping",
                           si.ssi_signo);
                break;
            }
            for (int i = 0; i < 2; i++) {
                /* At end of input (stdin closed) serve on without it. */
                if (r > 0 && in[i].fd >= 0 && pfd[i + 1].revents &&
                    !s_read_commands(&ctl, &in[i]) && i == 0)
                    in[i].fd = -1;
            }
        }
        fv_kafka_mock_stop(ctl.mock);
        rc = 0;
    }
    if (in[1].fd >= 0)
        close(in[1].fd);
    if (made_fifo)
        unlink(fifo);
    close(sigfd);
out:
    fv_kafka_config_clean_up(&kc);
    return rc;
}

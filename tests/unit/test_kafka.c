/* Kafka: topic names, configuration, the completed-prefix tracker, and the
 * producer and consumer against the embedded (mock) cluster on loopback: one
 * member consumes everything, two members split the partitions, a restart
 * resumes at the first unfinished offset, a 3 s outage of every broker is
 * ridden out, a close with read-ahead messages not polled returns, and bad
 * passthrough properties are named.
 *
 * FV_TEST_LOG=debug (or info, warn) shows the library's log;
 * FV_TEST_FILTER=*down* runs only the matching tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kafka/inflight.h"
#include <fv/clock.h>
#include <fv/kafka.h>
#include <fv/log.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SESSION_MS 6000

static int64_t s_now(void)
{
    return fv_clock_mono_ms(fv_clock_system());
}

/* ---- fixture: a fresh 3-broker cluster per test ---- */

struct s_env {
    struct fv_kafka_mock *mock;
    struct fv_kafka_config cfg;
};

static int s_setup(void **state)
{
    static int s_n;
    struct s_env *env = calloc(1, sizeof(*env));
    fv_kafka_config_init(&env->cfg);
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "t%d.", ++s_n);
    free(env->cfg.topic_prefix);
    env->cfg.topic_prefix = strdup(prefix);
    env->cfg.partitions = 6;
    env->cfg.session_timeout_ms = SESSION_MS;
    struct fv_error err;
    env->mock = fv_kafka_mock_start(3, &env->cfg, &err);
    if (!env->mock) {
        fprintf(stderr, "mock: %s\n", err.message);
        return -1;
    }
    env->cfg.brokers = strdup(fv_kafka_mock_bootstraps(env->mock));
    *state = env;
    return 0;
}

static int s_teardown(void **state)
{
    struct s_env *env = *state;
    fv_kafka_mock_stop(env->mock);
    fv_kafka_config_clean_up(&env->cfg);
    free(env);
    return 0;
}

static struct fv_producer *s_producer(struct s_env *env)
{
    struct fv_error err;
    struct fv_producer *p = fv_producer_new(&env->cfg, "test-producer", &err);
    if (!p)
        fail_msg("producer: %s", err.message);
    return p;
}

static struct fv_consumer *s_consumer(struct s_env *env, const char *group, const char *id)
{
    struct fv_error err;
    struct fv_consumer *c = fv_consumer_new(&env->cfg, group, id, 1u << FV_TOPIC_TASKS, &err);
    if (!c)
        fail_msg("consumer: %s", err.message);
    return c;
}

static void s_send(struct fv_producer *p, const char *key, const char *value)
{
    struct fv_error err;
    if (fv_producer_send(p, FV_TOPIC_TASKS, FV_CUR_STR(key), FV_CUR_STR(value), &err) != FV_OK)
        fail_msg("send: %s", err.message);
}

static void s_flush(struct fv_producer *p)
{
    struct fv_error err;
    if (fv_producer_flush(p, 30000, &err) != FV_OK)
        fail_msg("flush: %s", err.message);
}

/* Messages "v<i>" for i in [0, n): how often each was seen. */
struct s_seen {
    int *count;
    int n;
    int total;
    int dupes;
};

/* The number after the one-letter tag of "k12" / "v12". */
static int s_num(struct fv_cur c)
{
    char buf[32];
    assert_true(c.len > 1 && c.len < sizeof(buf));
    snprintf(buf, sizeof(buf), "%.*s", (int)c.len - 1, c.ptr + 1);
    int64_t v;
    assert_true(fv_parse_i64(buf, &v));
    return (int)v;
}

static void s_seen_add(struct s_seen *s, const struct fv_message *m)
{
    assert_true(m->value.len > 1 && m->value.ptr[0] == 'v');
    int i = s_num(m->value);
    assert_true(i >= 0 && i < s->n);
    if (s->count[i]++)
        s->dupes++;
    s->total++;
}

static int s_seen_distinct(const struct s_seen *s)
{
    int d = 0;
    for (int i = 0; i < s->n; i++)
        d += s->count[i] > 0;
    return d;
}

/* Polls c (done at once) until want distinct values are seen or timeout. */
static int64_t s_consume(struct fv_consumer *c, struct s_seen *s, int want, int timeout_ms)
{
    int64_t t0 = s_now(), first = -1;
    while (s_seen_distinct(s) < want && s_now() - t0 < timeout_ms) {
        struct fv_message m;
        struct fv_error err;
        int r = fv_consumer_poll(c, 200, &m, &err);
        if (r < 0)
            fail_msg("poll: %s", err.message);
        if (r == 0)
            continue;
        if (first < 0)
            first = s_now() - t0;
        s_seen_add(s, &m);
        fv_consumer_done(c, &m);
    }
    return first;
}

/* ---- no cluster ---- */

static void test_topic_names(void **state)
{
    (void)state;
    struct fv_kafka_config c;
    fv_kafka_config_init(&c);
    char name[64];
    fv_kafka_topic_name(&c, FV_TOPIC_TASKS, name, sizeof(name));
    assert_string_equal(name, "fleetvault.tasks");
    fv_kafka_topic_name(&c, FV_TOPIC_RESULTS, name, sizeof(name));
    assert_string_equal(name, "fleetvault.results");
    fv_kafka_topic_name(&c, FV_TOPIC_EVENTS, name, sizeof(name));
    assert_string_equal(name, "fleetvault.events");
    fv_kafka_topic_name(&c, FV_TOPIC_DLQ, name, sizeof(name));
    assert_string_equal(name, "fleetvault.dlq");
    free(c.topic_prefix);
    c.topic_prefix = strdup("prod-eu.fv-");
    fv_kafka_topic_name(&c, FV_TOPIC_DLQ, name, sizeof(name));
    assert_string_equal(name, "prod-eu.fv-dlq");
    fv_kafka_topic_name(&c, FV_TOPIC_TASKS, name, 8); /* truncated, terminated */
    assert_string_equal(name, "prod-eu");
    free(c.topic_prefix);
    c.topic_prefix = NULL;
    fv_kafka_topic_name(&c, FV_TOPIC_TASKS, name, sizeof(name));
    assert_string_equal(name, "tasks");
    fv_kafka_config_clean_up(&c);
}

static void test_config_defaults_and_clean_up(void **state)
{
    (void)state;
    struct fv_kafka_config c;
    fv_kafka_config_init(&c);
    assert_null(c.brokers);
    assert_string_equal(c.topic_prefix, "fleetvault.");
    assert_int_equal(c.partitions, 6);
    assert_int_equal(c.replication, 3);
    assert_int_equal(c.session_timeout_ms, 10000);
    assert_int_equal(c.max_poll_interval_ms, FV_KAFKA_MAX_POLL_INTERVAL_MS);
    c.brokers = strdup("a:9092");
    c.n_properties = 2;
    c.properties = calloc(2 * c.n_properties + 1, sizeof(char *));
    c.properties[0] = strdup("security.protocol");
    c.properties[1] = strdup("SASL_SSL");
    c.properties[2] = strdup("sasl.mechanism");
    c.properties[3] = strdup("SCRAM-SHA-512");
    fv_kafka_config_clean_up(&c); /* frees everything (ASan checks) */
    assert_null(c.properties);
    fv_kafka_config_clean_up(&c); /* twice is fine */
    fv_kafka_config_clean_up(NULL);
}

static void test_brokers_must_be_set_and_resolved(void **state)
{
    (void)state;
    struct fv_kafka_config c;
    fv_kafka_config_init(&c);
    struct fv_error err;
    assert_null(fv_producer_new(&c, "p", &err));
    assert_non_null(strstr(err.message, "kafka.brokers"));
    c.brokers = strdup("embedded");
    assert_null(fv_consumer_new(&c, "g", "c", 1u << FV_TOPIC_TASKS, &err));
    assert_non_null(strstr(err.message, "embedded"));
    fv_kafka_config_clean_up(&c);
}

static void test_inflight_commit_point(void **state)
{
    (void)state;
    struct fv_kafka_inflight f;
    fv_kafka_inflight_init(&f);
    assert_int_equal(fv_kafka_inflight_commit_point(&f), -1);
    for (int64_t o = 100; o < 110; o++)
        fv_kafka_inflight_add(&f, o);
    assert_int_equal(fv_kafka_inflight_commit_point(&f), 100);
    /* Done out of order: the commit point waits for the gap at 105. */
    int64_t order[] = {103, 101, 104, 100, 102, 106, 107, 108, 109};
    int64_t expect[] = {100, 100, 100, 102, 105, 105, 105, 105, 105};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        assert_true(fv_kafka_inflight_done(&f, order[i]));
        assert_int_equal(fv_kafka_inflight_commit_point(&f), expect[i]);
    }
    assert_false(fv_kafka_inflight_done(&f, 103)); /* already done */
    assert_false(fv_kafka_inflight_done(&f, 999)); /* never handed out */
    assert_int_equal(fv_kafka_inflight_pending(&f), 1);
    assert_true(fv_kafka_inflight_done(&f, 105));
    assert_int_equal(fv_kafka_inflight_commit_point(&f), 110); /* one past the highest */
    assert_int_equal(fv_kafka_inflight_pending(&f), 0);
    /* Gaps in the offsets themselves (compaction, transaction markers). */
    fv_kafka_inflight_add(&f, 120);
    fv_kafka_inflight_add(&f, 125);
    assert_int_equal(fv_kafka_inflight_commit_point(&f), 120);
    assert_true(fv_kafka_inflight_done(&f, 120));
    assert_int_equal(fv_kafka_inflight_commit_point(&f), 125);
    /* A rewind hands out 121 (below the window) and 125 again. */
    fv_kafka_inflight_add(&f, 121);
    fv_kafka_inflight_add(&f, 125);
    assert_int_equal(fv_kafka_inflight_commit_point(&f), 121);
    assert_int_equal(fv_kafka_inflight_pending(&f), 3);
    assert_true(fv_kafka_inflight_done(&f, 121));
    assert_true(fv_kafka_inflight_done(&f, 125));
    assert_int_equal(fv_kafka_inflight_commit_point(&f), 125); /* still one 125 out */
    assert_true(fv_kafka_inflight_done(&f, 125));
    assert_int_equal(fv_kafka_inflight_commit_point(&f), 126);
    /* Many, done in order far behind: the window slides instead of growing. */
    for (int64_t o = 1000; o < 101000; o++) {
        fv_kafka_inflight_add(&f, o);
        if (o >= 1010)
            assert_true(fv_kafka_inflight_done(&f, o - 10));
    }
    assert_int_equal(fv_kafka_inflight_commit_point(&f), 100990);
    assert_true(f.cap <= 256);
    fv_kafka_inflight_clean_up(&f);
    fv_kafka_inflight_clean_up(&f);
}

/* ---- against the embedded cluster ---- */

static void test_produce_and_consume_one_member(void **state)
{
    struct s_env *env = *state;
    enum { N = 200 };
    struct fv_producer *p = s_producer(env);
    for (int i = 0; i < N; i++) {
        char key[16], value[16];
        snprintf(key, sizeof(key), "k%d", i % 20);
        snprintf(value, sizeof(value), "v%d", i);
        s_send(p, key, value);
    }
    s_flush(p);

    int64_t t0 = s_now();
    struct fv_consumer *c = s_consumer(env, "one", "c1");
    int counts[N] = {0};
    struct s_seen seen = {counts, N, 0, 0};
    int32_t key_partition[20];
    int last_of_key[20];
    for (int k = 0; k < 20; k++)
        key_partition[k] = last_of_key[k] = -1;
    int64_t first = -1;
    while (seen.total < N && s_now() - t0 < 30000) {
        struct fv_message m;
        struct fv_error err;
        int r = fv_consumer_poll(c, 200, &m, &err);
        assert_true(r >= 0);
        if (r == 0)
            continue;
        if (first < 0)
            first = s_now() - t0;
        assert_int_equal(m.topic, FV_TOPIC_TASKS);
        assert_int_equal(fv_consumer_in_flight(c), 1);
        /* One key, one partition, in order. */
        int k = s_num(m.key), v = s_num(m.value);
        assert_int_equal(v % 20, k);
        if (key_partition[k] < 0)
            key_partition[k] = m.partition;
        assert_int_equal(key_partition[k], m.partition);
        assert_true(v > last_of_key[k]);
        last_of_key[k] = v;
        s_seen_add(&seen, &m);
        fv_consumer_done(c, &m);
        assert_null(m.opaque);
        assert_int_equal(fv_consumer_in_flight(c), 0);
    }
    print_message("  one member: first message after %lld ms, all %d after %lld ms\n",
                  (long long)first, N, (long long)(s_now() - t0));
    assert_int_equal(seen.total, N);
    assert_int_equal(seen.dupes, 0);
    unsigned used = 0;
    for (int k = 0; k < 20; k++)
        used |= 1u << key_partition[k];
    assert_true(__builtin_popcount(used) >= 3); /* 20 keys spread over the 6 partitions */

    struct fv_error err;
    assert_int_equal(fv_consumer_commit(c, &err), FV_OK);
    assert_int_equal(fv_consumer_lag(c), 0);

    /* Paused: new messages are not handed out. */
    fv_consumer_pause_all(c);
    s_send(p, "k0", "v0");
    s_flush(p);
    struct fv_message m;
    int64_t tp = s_now();
    while (s_now() - tp < 1000)
        assert_int_equal(fv_consumer_poll(c, 200, &m, &err), 0);
    assert_int_equal(fv_consumer_lag(c), 1);
    fv_consumer_close(c);
    fv_producer_destroy(p);
}

/* One group of two members, a and b, per assignment strategy. */
struct s_group {
    const char *strategy;
    struct fv_kafka_config cfg;
    struct fv_consumer *cs[2];
    int counts[400];
    struct s_seen seen;
    int got[2];
    unsigned parts[2];
    int64_t a_first, b_joined, b_first;
};

/* In each group member a consumes alone, then b joins the live group and
 * takes some of a's partitions. The groups run side by side on one topic
 * (each gets every message), which halves the mock's rebalance waits. */
static void s_two_members(struct s_env *env, struct s_group *g, int n_groups)
{
    enum { N = 400 };
    struct fv_producer *p = s_producer(env);
    int64_t t0 = s_now();
    for (int k = 0; k < n_groups; k++) {
        g[k].seen = (struct s_seen){g[k].counts, N, 0, 0};
        g[k].a_first = g[k].b_joined = g[k].b_first = -1;
        char group[64];
        snprintf(group, sizeof(group), "split-%s", g[k].strategy);
        struct fv_error err;
        g[k].cs[0] = fv_consumer_new(&g[k].cfg, group, "a", 1u << FV_TOPIC_TASKS, &err);
        assert_non_null(g[k].cs[0]);
    }
    int sent = 0;
    int64_t last_send = 0;
    /* Trickle messages in until every b has some, then the rest. */
    for (;;) {
        bool all_b = true, all_seen = true;
        for (int k = 0; k < n_groups; k++) {
            all_b = all_b && g[k].b_first >= 0;
            all_seen = all_seen && s_seen_distinct(&g[k].seen) == N;
        }
        if ((all_seen && sent == N) || s_now() - t0 > 45000)
            break;
        if (sent < N && (all_b || s_now() - last_send >= 100)) {
            int batch = all_b ? N - sent : 2;
            for (int i = 0; i < batch && sent < N; i++, sent++) {
                char key[16], value[16];
                snprintf(key, sizeof(key), "k%d", sent);
                snprintf(value, sizeof(value), "v%d", sent);
                s_send(p, key, value);
            }
            s_flush(p);
            last_send = s_now();
        }
        for (int k = 0; k < n_groups; k++) {
            for (int i = 0; i < 2; i++) {
                if (!g[k].cs[i])
                    continue;
                struct fv_message m;
                struct fv_error err;
                int r = fv_consumer_poll(g[k].cs[i], 10, &m, &err);
                assert_true(r >= 0);
                if (r == 0)
                    continue;
                g[k].got[i]++;
                g[k].parts[i] |= 1u << m.partition;
                s_seen_add(&g[k].seen, &m);
                fv_consumer_done(g[k].cs[i], &m);
                int64_t *first = i ? &g[k].b_first : &g[k].a_first;
                if (*first < 0)
                    *first = s_now() - t0;
            }
            if (!g[k].cs[1] && g[k].got[0] >= 20) {
                char group[64];
                snprintf(group, sizeof(group), "split-%s", g[k].strategy);
                struct fv_error err;
                g[k].b_joined = s_now() - t0;
                g[k].cs[1] = fv_consumer_new(&g[k].cfg, group, "b", 1u << FV_TOPIC_TASKS, &err);
                assert_non_null(g[k].cs[1]);
            }
        }
    }
    for (int k = 0; k < n_groups; k++) {
        print_message("  two members (%s): a consuming after %lld ms; b joined at %lld ms, "
                      "consuming %lld ms later (a %d msgs, partitions 0x%x; b %d, 0x%x; "
                      "%d redelivered)\n",
                      g[k].strategy, (long long)g[k].a_first, (long long)g[k].b_joined,
                      (long long)(g[k].b_first - g[k].b_joined), g[k].got[0], g[k].parts[0],
                      g[k].got[1], g[k].parts[1], g[k].seen.dupes);
        assert_true(g[k].got[0] > 0 && g[k].got[1] > 0);
        assert_int_equal(s_seen_distinct(&g[k].seen), N);
        assert_int_equal(g[k].parts[0] | g[k].parts[1], 0x3f); /* all six partitions */
    }
    for (int k = 0; k < n_groups; k++) {
        fv_consumer_close(g[k].cs[0]);
        fv_consumer_close(g[k].cs[1]);
    }
    fv_producer_destroy(p);
}

static void s_add_property(struct fv_kafka_config *c, const char *name, const char *value);

/* cooperative-sticky (the default) and the eager protocol (what a
 * passthrough "range" or "roundrobin" selects) go through the same
 * rebalance callback. Nothing may be lost; replays are allowed
 * (at-least-once). With cooperative-sticky the revoked partitions' prefix is
 * committed before they move, so replays are rare; eager replays here,
 * because a revoked member's commit reaches the mock while the group is
 * joining and the mock refuses it (REBALANCE_IN_PROGRESS; a real broker
 * accepts commits of the current generation until the join completes). */
static void test_two_members_split_partitions(void **state)
{
    struct s_env *env = *state;
    struct s_group g[2];
    memset(g, 0, sizeof(g));
    g[0].strategy = "cooperative-sticky";
    g[1].strategy = "range";
    for (int k = 0; k < 2; k++) {
        fv_kafka_config_init(&g[k].cfg);
        g[k].cfg.brokers = strdup(env->cfg.brokers);
        free(g[k].cfg.topic_prefix);
        g[k].cfg.topic_prefix = strdup(env->cfg.topic_prefix);
        g[k].cfg.session_timeout_ms = SESSION_MS;
    }
    s_add_property(&g[1].cfg, "partition.assignment.strategy", "range");
    s_two_members(env, g, 2);
    for (int k = 0; k < 2; k++)
        fv_kafka_config_clean_up(&g[k].cfg);
}

/* Ten messages for each of three keys (three partitions). Member 1
 * finishes all of "whole"; all of "gap" but offset 5, which it releases
 * (fv_consumer_release: freed, not complete); and all of "open" but offset 7,
 * still in flight when it closes. Member 2 of the same group then gets
 * exactly "gap" 5..9 and "open" 7..9 — the unfinished message and everything
 * after it — and nothing of "whole"; then the fresh messages.
 *
 * At-least-once: "gap" 6..9 were done but lie after the gap, so they come
 * again. That is the price of one committed offset per partition, and why
 * every task handler is idempotent. */
static void test_restart_resumes_at_first_unfinished(void **state)
{
    struct s_env *env = *state;
    enum { GAP, OPEN, WHOLE, NKEYS };
    static const char *const keys[NKEYS] = {"gap", "open", "whole"};
    static const int64_t unfinished[NKEYS] = {5, 7, 10};
    struct fv_producer *p = s_producer(env);
    for (int k = 0; k < NKEYS; k++) {
        for (int i = 0; i < 10; i++) {
            char value[16];
            snprintf(value, sizeof(value), "v%d", i);
            s_send(p, keys[k], value);
        }
    }
    s_flush(p);

    struct fv_consumer *c1 = s_consumer(env, "restart", "first");
    struct fv_message msgs[10 * NKEYS];
    int n = 0;
    int64_t t0 = s_now();
    while (n < 10 * NKEYS && s_now() - t0 < 30000) {
        struct fv_error err;
        int r = fv_consumer_poll(c1, 200, &msgs[n], &err);
        assert_true(r >= 0);
        n += r;
    }
    assert_int_equal(n, 10 * NKEYS);
    int32_t part[NKEYS] = {-1, -1, -1};
    int key_of[10 * NKEYS];
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < NKEYS && (msgs[i].key.len != strlen(keys[k]) ||
                             memcmp(msgs[i].key.ptr, keys[k], msgs[i].key.len) != 0))
            k++;
        assert_true(k < NKEYS);
        key_of[i] = k;
        if (part[k] < 0)
            part[k] = msgs[i].partition;
        assert_int_equal(msgs[i].partition, part[k]);
    }
    /* murmur2 puts the three keys in three partitions (of six) */
    assert_true(part[GAP] != part[OPEN] && part[GAP] != part[WHOLE] && part[OPEN] != part[WHOLE]);
    assert_int_equal(fv_consumer_in_flight(c1), 10 * NKEYS);
    for (int i = 0; i < n; i++) {
        int k = key_of[i];
        if (msgs[i].offset != unfinished[k])
            fv_consumer_done(c1, &msgs[i]);
        else if (k == GAP)
            fv_consumer_release(c1, &msgs[i]);
    }
    assert_int_equal(fv_consumer_in_flight(c1), 1); /* "open" 7 */
    fv_consumer_close(c1);                          /* frees it */

    int64_t t1 = s_now(), first = -1;
    struct fv_consumer *c2 = s_consumer(env, "restart", "second");
    int64_t expect[NKEYS]; /* next offset per key */
    memcpy(expect, unfinished, sizeof(expect));
    bool fresh_sent = false;
    while (s_now() - t1 < 30000 && (expect[GAP] < 11 || expect[OPEN] < 11 || expect[WHOLE] < 11)) {
        struct fv_message m;
        struct fv_error err;
        int r = fv_consumer_poll(c2, 200, &m, &err);
        assert_true(r >= 0);
        if (r == 0) {
            /* Nothing (more) to redeliver: the fresh messages come next. */
            if (!fresh_sent && expect[GAP] == 10 && expect[OPEN] == 10) {
                for (int k = 0; k < NKEYS; k++)
                    s_send(p, keys[k], "v10");
                s_flush(p);
                fresh_sent = true;
            }
            continue;
        }
        if (first < 0)
            first = s_now() - t1;
        int k = 0;
        while (k < NKEYS && m.partition != part[k])
            k++;
        assert_true(k < NKEYS);
        assert_int_equal(m.offset, expect[k]);
        expect[k]++;
        fv_consumer_done(c2, &m);
    }
    print_message("  restart: first redelivery %lld ms after the new member started\n",
                  (long long)first);
    for (int k = 0; k < NKEYS; k++)
        assert_int_equal(expect[k], 11);
    fv_consumer_close(c2);
    fv_producer_destroy(p);
}

static void test_brokers_down_mid_produce(void **state)
{
    struct s_env *env = *state;
    enum { N = 100 };
    struct fv_producer *p = s_producer(env);
    struct fv_consumer *c = s_consumer(env, "outage", "c");
    int counts[N] = {0};
    struct s_seen seen = {counts, N, 0, 0};
    char key[16], value[16];
    for (int i = 0; i < N / 2; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(value, sizeof(value), "v%d", i);
        s_send(p, key, value);
    }
    s_consume(c, &seen, 10, 30000); /* the member is in and consuming */

    int64_t t0 = s_now();
    fv_kafka_mock_set_down(env->mock, true);
    for (int i = N / 2; i < N; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(value, sizeof(value), "v%d", i);
        s_send(p, key, value);
    }
    /* The consumer rides the outage out: no fatal error, nothing lost. */
    s_consume(c, &seen, N, 3000);
    fv_kafka_mock_set_down(env->mock, false);
    struct fv_error err;
    assert_int_equal(fv_producer_flush(p, 60000, &err), FV_OK);
    int64_t flushed = s_now() - t0;
    s_consume(c, &seen, N, 30000);
    print_message("  outage: 3 s down; flushed %lld ms after going down, all consumed after "
                  "%lld ms (%d redelivered)\n",
                  (long long)flushed, (long long)(s_now() - t0), seen.dupes);
    assert_int_equal(s_seen_distinct(&seen), N);

    /* Closing while every broker is away (and the member has noticed)
     * returns: the final commit waits for the coordinator no longer than
     * session.timeout.ms. (A commit already on the wire when the coordinator
     * vanished can hold librdkafka 2.0.2's close for minutes; fv_consumer_close
     * gives up after session.timeout.ms + 5 s and abandons the handle.) */
    fv_kafka_mock_set_down(env->mock, true);
    s_consume(c, &seen, N + 1, 2000);
    int64_t tc = s_now();
    fv_consumer_close(c);
    int64_t close_ms = s_now() - tc;
    print_message("  closed during an outage in %lld ms\n", (long long)close_ms);
    assert_true(close_ms < 5000 + SESSION_MS + 2000);
    fv_producer_destroy(p); /* nothing queued: no wait */
}

/* Closing with messages fetched but never polled. The fetcher reads ahead
 * into the consumer's queue; a coordinator that has every result it needs
 * stops polling and closes while late duplicates (from redelivered tasks)
 * sit there. librdkafka 2.0.2 aborted in rd_kafka_q_serve (res !=
 * RD_KAFKA_OP_RES_PASS) when close served them as callbacks. The close
 * must return, and a later member gets exactly those messages. */
static void test_close_with_fetched_messages_not_polled(void **state)
{
    struct s_env *env = *state;
    enum { N = 20 };
    struct fv_producer *p = s_producer(env);
    s_send(p, "k", "v0");
    s_flush(p);
    struct fv_consumer *c = s_consumer(env, "readahead", "first");
    int counts[N + 1] = {0};
    struct s_seen seen = {counts, N + 1, 0, 0};
    s_consume(c, &seen, 1, 30000);
    assert_int_equal(seen.total, 1);
    struct fv_error err;
    assert_int_equal(fv_consumer_commit(c, &err), FV_OK);

    for (int i = 1; i <= N; i++) {
        char value[16];
        snprintf(value, sizeof(value), "v%d", i);
        s_send(p, "k", value);
    }
    s_flush(p);
    /* The lag comes from the watermark of the fetch responses: once it
     * counts all N, the fetch that carried them has been answered and the
     * messages wait in the local queue. */
    int64_t t0 = s_now();
    while (fv_consumer_lag(c) != N && s_now() - t0 < 30000)
        nanosleep(&(struct timespec){0, 50 * 1000000}, NULL);
    assert_int_equal(fv_consumer_lag(c), N);
    fv_consumer_close(c);

    struct fv_consumer *c2 = s_consumer(env, "readahead", "second");
    s_consume(c2, &seen, N + 1, 30000);
    assert_int_equal(s_seen_distinct(&seen), N + 1);
    assert_int_equal(seen.dupes, 0);
    fv_consumer_close(c2);
    fv_producer_destroy(p);
}

static void s_add_property(struct fv_kafka_config *c, const char *name, const char *value)
{
    c->properties = realloc(c->properties, (2 * c->n_properties + 3) * sizeof(char *));
    c->properties[2 * c->n_properties] = strdup(name);
    c->properties[2 * c->n_properties + 1] = strdup(value);
    c->properties[2 * c->n_properties + 2] = NULL;
    c->n_properties++;
}

static void test_property_passthrough(void **state)
{
    (void)state;
    struct fv_kafka_config c;
    fv_kafka_config_init(&c);
    c.brokers = strdup("127.0.0.1:1"); /* never contacted */
    struct fv_error err;

    s_add_property(&c, "no.such.property", "1");
    assert_null(fv_producer_new(&c, "p", &err));
    assert_int_equal(err.status, FV_E_INVALID);
    assert_non_null(strstr(err.message, "'no.such.property'"));
    assert_null(fv_consumer_new(&c, "g", "c", 1u << FV_TOPIC_TASKS, &err));
    assert_non_null(strstr(err.message, "'no.such.property'"));
    fv_kafka_config_clean_up(&c);

    /* A bad value names the property, not the value (it may be a secret). */
    fv_kafka_config_init(&c);
    c.brokers = strdup("127.0.0.1:1");
    s_add_property(&c, "sasl.password", "hunter2-very-secret");
    s_add_property(&c, "socket.timeout.ms", "soon");
    assert_null(fv_producer_new(&c, "p", &err));
    assert_non_null(strstr(err.message, "'socket.timeout.ms'"));
    assert_null(strstr(err.message, "hunter2"));
    fv_kafka_config_clean_up(&c);

    /* Passthrough is applied last, so it wins over fleetvault's own
     * settings — here, fatally: acks=0 contradicts the idempotent producer. */
    fv_kafka_config_init(&c);
    c.brokers = strdup("127.0.0.1:1");
    s_add_property(&c, "acks", "0");
    assert_null(fv_producer_new(&c, "p", &err));
    assert_non_null(strstr(err.message, "acks"));
    fv_kafka_config_clean_up(&c);

    /* And a good one is accepted. */
    fv_kafka_config_init(&c);
    c.brokers = strdup("127.0.0.1:1");
    s_add_property(&c, "linger.ms", "0");
    struct fv_producer *p = fv_producer_new(&c, "p", &err);
    assert_non_null(p);
    fv_producer_destroy(p);
    fv_kafka_config_clean_up(&c);
}

/* kafka.group_instance_id: "auto" is the pod's name. */
static void test_instance_id_setting(void **state)
{
    (void)state;
    struct fv_buf b = {0};
    struct fv_error err;
    assert_int_equal(fv_kafka_instance_id("worker-7", &b, &err), FV_OK);
    assert_string_equal(fv_buf_str(&b), "worker-7");
    fv_buf_clean_up(&b);
    setenv("POD_NAME", "fleetvault-worker-2", 1);
    setenv("HOSTNAME", "some-host", 1);
    assert_int_equal(fv_kafka_instance_id("auto", &b, &err), FV_OK);
    assert_string_equal(fv_buf_str(&b), "fleetvault-worker-2");
    fv_buf_clean_up(&b);
    unsetenv("POD_NAME");
    assert_int_equal(fv_kafka_instance_id("auto", &b, &err), FV_OK);
    assert_string_equal(fv_buf_str(&b), "some-host");
    fv_buf_clean_up(&b);
    unsetenv("HOSTNAME");
    assert_int_equal(fv_kafka_instance_id("auto", &b, &err), FV_E_INVALID);
    assert_non_null(strstr(err.message, "POD_NAME"));
    fv_buf_clean_up(&b);
}

struct s_reports {
    int ok[64];
    int failed;
};

static void s_on_report(void *ud, uint64_t id, const struct fv_error *err)
{
    struct s_reports *r = ud;
    assert_true(id > 0 && id < 64);
    if (err)
        r->failed++;
    else
        r->ok[id]++;
}

/* Tracked sends are each reported once, with their id. A held consumer hands
 * out nothing new and loses nothing: after the hold every message arrives,
 * once. A static member (group.instance.id) consumes like any other; the
 * mock cluster of librdkafka 2.0.2 ignores the instance id (its JoinGroup
 * handler keys members by member id only), so the no-rebalance rejoin of
 * KIP-345 cannot be shown against it: a member with the same id that
 * replaces a closed one waits like a new member. */
static void test_tracked_reports_hold_and_static_member(void **state)
{
    struct s_env *env = *state;
    enum { N = 40 };
    struct fv_producer *p = s_producer(env);
    struct s_reports rep = {{0}, 0};
    fv_producer_set_report(p, s_on_report, &rep);
    struct fv_error err;
    for (int i = 0; i < N; i++) {
        char key[16], value[16];
        snprintf(key, sizeof(key), "k%d", i % 20);
        snprintf(value, sizeof(value), "v%d", i);
        const char *k = key, *v = value;
        assert_int_equal(fv_producer_send_tracked(p, FV_TOPIC_TASKS, FV_CUR_STR(k), FV_CUR_STR(v),
                                                  (uint64_t)i + 1, &err),
                         FV_OK);
    }
    int64_t t0 = s_now();
    int reported = 0;
    while (reported < N && s_now() - t0 < 30000) {
        fv_producer_poll(p, 100);
        reported = 0;
        for (int i = 1; i <= N; i++)
            reported += rep.ok[i];
    }
    assert_int_equal(reported, N);
    for (int i = 1; i <= N; i++)
        assert_int_equal(rep.ok[i], 1);
    assert_int_equal(rep.failed, 0);
    assert_int_equal(fv_producer_flush(p, 1000, &err), FV_OK);

    struct fv_kafka_config kc = env->cfg;
    kc.group_instance_id = "worker-0";
    struct fv_consumer *c = fv_consumer_new(&kc, "static", "c1", 1u << FV_TOPIC_TASKS, &err);
    assert_non_null(c);
    int counts[N] = {0};
    struct s_seen seen = {counts, N, 0, 0};
    s_consume(c, &seen, 10, 30000);
    assert_true(s_seen_distinct(&seen) >= 10);
    assert_true(fv_consumer_epoch(c) > 0);

    fv_consumer_hold(c, true);
    int before = seen.total, held_got = 0;
    int64_t th = s_now();
    while (s_now() - th < 1500) {
        struct fv_message m;
        int r = fv_consumer_poll(c, 100, &m, &err);
        assert_true(r >= 0);
        if (r == 1) {
            assert_true(fv_consumer_owns(c, &m));
            s_seen_add(&seen, &m);
            fv_consumer_done(c, &m);
            held_got++;
        }
    }
    assert_int_equal(held_got, 0);
    assert_int_equal(seen.total, before);
    fv_consumer_hold(c, false);
    s_consume(c, &seen, N, 30000);
    assert_int_equal(s_seen_distinct(&seen), N);
    assert_int_equal(seen.dupes, 0);
    fv_consumer_close(c);

    /* The same instance id again: it gets the partitions (after the mock's
     * usual wait) and the next message. */
    t0 = s_now();
    int more[N + 1];
    memset(more, 0, sizeof(more));
    struct s_seen seen2 = {more, N + 1, 0, 0};
    s_send(p, "k0", "v40");
    s_flush(p);
    c = fv_consumer_new(&kc, "static", "c2", 1u << FV_TOPIC_TASKS, &err);
    assert_non_null(c);
    int64_t first = s_consume(c, &seen2, 1, 30000);
    print_message("  static member rejoined: first message after %lld ms\n", (long long)first);
    assert_int_equal(more[40], 1);
    fv_consumer_close(c);
    fv_producer_destroy(p);
}

/* A worker holds its partitions (pool full) while some of them move to a new
 * member and back. librdkafka keeps a partition's pause across the move; the
 * consumer resumes what it is assigned unless it is holding, so nothing stays
 * paused for good: every message after the release arrives. */
static void test_held_partitions_fetch_again_after_moving(void **state)
{
    struct s_env *env = *state;
    enum { N = 120 };
    struct fv_producer *p = s_producer(env);
    char key[16], value[16];
    for (int i = 0; i < N / 2; i++) {
        snprintf(key, sizeof(key), "k%d", i % 20);
        snprintf(value, sizeof(value), "v%d", i);
        s_send(p, key, value);
    }
    s_flush(p);
    int counts[N] = {0};
    struct s_seen seen = {counts, N, 0, 0};
    struct fv_consumer *a = s_consumer(env, "held", "a");
    s_consume(a, &seen, N / 2, 30000);
    assert_int_equal(s_seen_distinct(&seen), N / 2);
    struct fv_error err;
    assert_int_equal(fv_consumer_commit(a, &err), FV_OK);

    fv_consumer_hold(a, true);
    uint64_t a_epoch = fv_consumer_epoch(a);
    struct fv_consumer *b = s_consumer(env, "held", "b");
    int64_t t0 = s_now();
    while ((fv_consumer_epoch(b) == 0 || fv_consumer_epoch(a) == a_epoch) && s_now() - t0 < 30000) {
        struct fv_message m;
        if (fv_consumer_poll(a, 100, &m, &err) == 1) {
            s_seen_add(&seen, &m);
            fv_consumer_done(a, &m);
        }
        if (fv_consumer_poll(b, 100, &m, &err) == 1) {
            s_seen_add(&seen, &m);
            fv_consumer_done(b, &m);
        }
    }
    assert_true(fv_consumer_epoch(b) > 0);        /* b got partitions... */
    assert_true(fv_consumer_epoch(a) != a_epoch); /* ...a gave some up, held */
    fv_consumer_hold(a, false);
    fv_consumer_close(b); /* they come back to a */
    for (int i = N / 2; i < N; i++) {
        snprintf(key, sizeof(key), "k%d", i % 20);
        snprintf(value, sizeof(value), "v%d", i);
        s_send(p, key, value);
    }
    s_flush(p);
    s_consume(a, &seen, N, 40000);
    print_message("  held, moved and back: %d of %d after %lld ms\n", s_seen_distinct(&seen), N,
                  (long long)(s_now() - t0));
    assert_int_equal(s_seen_distinct(&seen), N);
    fv_consumer_close(a);
    fv_producer_destroy(p);
}

/* A JoinGroup its group coordinator does not answer: librdkafka 2.0.2's mock
 * cluster drops the answer when the joining member's session runs out while
 * it waits for the rebalance (the mock process starved for a few seconds on
 * a loaded machine), and a coordinator whose results consumer was caught so
 * waited for results that were already in the topic. The member asks again
 * after max.poll.interval.ms (FV_KAFKA_MAX_POLL_INTERVAL_MS, not librdkafka's
 * 300 s): here the answer would come after ten minutes, and the message is
 * consumed long before — by the second join, not the late answer. */
static void test_unanswered_join_is_asked_again(void **state)
{
    struct s_env *env = *state;
    enum { LATE_MS = 600000 };
    struct fv_producer *p = s_producer(env);
    s_send(p, "k0", "v0");
    s_flush(p);
    fv_kafka_mock_delay_joins(env->mock, LATE_MS);
    struct fv_consumer *c = s_consumer(env, "late-join", "c1");
    int counts[1] = {0};
    struct s_seen seen = {counts, 1, 0, 0};
    /* A third of the delay: ample for a second join, never the late answer. */
    int64_t first = s_consume(c, &seen, 1, LATE_MS / 3);
    print_message("  unanswered join: the message after %lld ms\n", (long long)first);
    assert_int_equal(seen.total, 1);
    fv_consumer_close(c);
    fv_producer_destroy(p);
}

int main(void)
{
    enum fv_log_level lv = FV_LOG_ERROR;
    const char *want = getenv("FV_TEST_LOG");
    if (want)
        fv_log_level_parse(want, &lv);
    fv_log_set_level(lv);
    if (getenv("FV_TEST_FILTER"))
        cmocka_set_test_filter(getenv("FV_TEST_FILTER"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topic_names),
        cmocka_unit_test(test_config_defaults_and_clean_up),
        cmocka_unit_test(test_brokers_must_be_set_and_resolved),
        cmocka_unit_test(test_inflight_commit_point),
        cmocka_unit_test(test_property_passthrough),
        cmocka_unit_test(test_instance_id_setting),
        cmocka_unit_test_setup_teardown(test_produce_and_consume_one_member, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_two_members_split_partitions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_restart_resumes_at_first_unfinished, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_brokers_down_mid_produce, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_tracked_reports_hold_and_static_member, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_held_partitions_fetch_again_after_moving, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_close_with_fetched_messages_not_polled, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_unanswered_join_is_asked_again, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The coordinator's phases against a fake world (control table, planner,
 * Kafka) and a fake clock: the lease heartbeat, fencing, and the per-target
 * count that releases retention. Time is virtual: the heartbeat thread
 * sleeps on the fake clock, and a test moves it forward step by step, each
 * of the heartbeat's wake-ups served before time moves on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../coordinator/lease.c"
#include "../../coordinator/manifest.c"
#include "../../coordinator/phases.c"
#include "../../coordinator/run.c"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* --- The fake clock --- */

struct fake_clock {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t now;
    bool stepping; /* a test is moving time: the sleeper waits for it */
    bool blocked;  /* the sleeper waits until `until` */
    int64_t until;
    uint64_t sleeps; /* sleeps entered */
    struct fv_clock clock;
};

static int64_t fc_now(void *ud)
{
    struct fake_clock *fc = ud;
    pthread_mutex_lock(&fc->mu);
    int64_t v = fc->now;
    pthread_mutex_unlock(&fc->mu);
    return v;
}

static void fc_sleep(void *ud, int64_t ms)
{
    struct fake_clock *fc = ud;
    pthread_mutex_lock(&fc->mu);
    fc->sleeps++;
    if (!fc->stepping) {
        /* Nobody moves time: yield a little and look again. */
        pthread_mutex_unlock(&fc->mu);
        nanosleep(&(struct timespec){0, 1000000}, NULL);
        return;
    }
    fc->until = fc->now + ms;
    fc->blocked = true;
    pthread_cond_broadcast(&fc->cv);
    while (fc->stepping && fc->now < fc->until)
        pthread_cond_wait(&fc->cv, &fc->mu);
    fc->blocked = false;
    pthread_mutex_unlock(&fc->mu);
}

static void fc_init(struct fake_clock *fc, int64_t now)
{
    memset(fc, 0, sizeof(*fc));
    pthread_mutex_init(&fc->mu, NULL);
    pthread_cond_init(&fc->cv, NULL);
    fc->now = now;
    fc->clock = (struct fv_clock){fc_now, fc_now, fc_sleep, fc};
}

/* Moves time forward by ms. Needs the heartbeat running: every deadline it
 * sleeps to is reached exactly, and its work then done, before time moves
 * on. */
static void fc_advance(struct fake_clock *fc, int64_t ms)
{
    pthread_mutex_lock(&fc->mu);
    fc->stepping = true;
    int64_t target = fc->now + ms;
    while (fc->now < target) {
        while (!fc->blocked)
            pthread_cond_wait(&fc->cv, &fc->mu);
        uint64_t s = fc->sleeps;
        fc->now = fc->until < target ? fc->until : target;
        pthread_cond_broadcast(&fc->cv);
        if (fc->now >= fc->until)
            while (fc->sleeps == s) /* it woke, did its work, and sleeps again */
                pthread_cond_wait(&fc->cv, &fc->mu);
    }
    fc->stepping = false;
    pthread_cond_broadcast(&fc->cv);
    pthread_mutex_unlock(&fc->mu);
}

/* --- The fake world --- */

#define TTL_MS 30000

struct world {
    pthread_mutex_t mu; /* the heartbeat renews from its thread */
    struct fake_clock *fc;
    /* The lease as the control table holds it. */
    char holder[32];
    int64_t token, expires_ms;
    int64_t my_token;
    size_t renewals;
    bool lapsed; /* a renewal came after the lease had expired */
    /* What the coordinator wrote and sent. */
    size_t run_puts;
    char last_state[16];
    size_t published;
    bool announced;
    /* Planning. */
    int64_t plan_ms;    /* planning takes this long */
    bool takeover_mid;  /* another coordinator takes the lease halfway through it */
    size_t n_tables[2]; /* backups per target */
    /* Results: one per published task, delivered in order. */
    struct fv_task *sent[64];
    size_t n_sent, n_polled;
    size_t takeover_after; /* results delivered before a takeover (0: none) */
    size_t withhold;       /* the last this many published never get a result */
    /* Follow-ups: after how many terminal items each target's retention came. */
    int64_t retention_at[2];
};

static void world_takeover(struct world *w)
{
    pthread_mutex_lock(&w->mu);
    snprintf(w->holder, sizeof(w->holder), "other");
    w->token++;
    w->expires_ms = fc_now(w->fc) + TTL_MS;
    pthread_mutex_unlock(&w->mu);
}

static bool s_mine(const struct world *w)
{
    return strcmp(w->holder, "me") == 0 && w->token == w->my_token;
}

static fv_status s_fenced(struct world *w, struct fv_error *err)
{
    fv_error_set(err, FV_E_CANCELLED, "lost the coordinator lease: %s holds it (token %lld)",
                 w->holder, (long long)w->token);
    snprintf(err->code, sizeof(err->code), "LeaseLost"); /* fv_control_is_fenced_out */
    return FV_E_CANCELLED;
}

static fv_status w_acquire(void *ud, int64_t now, bool *got, char **holder, struct fv_error *err)
{
    struct world *w = ud;
    (void)err;
    pthread_mutex_lock(&w->mu);
    *got = !w->holder[0] || w->expires_ms < now || strcmp(w->holder, "me") == 0;
    if (*got) {
        snprintf(w->holder, sizeof(w->holder), "me");
        w->my_token = ++w->token;
        w->expires_ms = now + TTL_MS;
    }
    *holder = fv_strdup(w->holder);
    pthread_mutex_unlock(&w->mu);
    return FV_OK;
}

static fv_status w_renew(void *ud, int64_t now, struct fv_error *err)
{
    struct world *w = ud;
    pthread_mutex_lock(&w->mu);
    fv_status st = FV_OK;
    if (!s_mine(w)) {
        st = s_fenced(w, err);
    } else {
        w->lapsed = w->lapsed || now > w->expires_ms;
        w->expires_ms = now + TTL_MS;
        w->renewals++;
    }
    pthread_mutex_unlock(&w->mu);
    return st;
}

static void w_release(void *ud)
{
    struct world *w = ud;
    pthread_mutex_lock(&w->mu);
    if (s_mine(w))
        w->expires_ms = 0;
    pthread_mutex_unlock(&w->mu);
}

static fv_status w_run_put(void *ud, const struct fv_run *r, const char *state,
                           struct fv_error *err)
{
    struct world *w = ud;
    (void)r;
    pthread_mutex_lock(&w->mu);
    fv_status st = FV_OK;
    if (!s_mine(w)) {
        st = s_fenced(w, err);
    } else {
        w->run_puts++;
        snprintf(w->last_state, sizeof(w->last_state), "%s", state);
    }
    pthread_mutex_unlock(&w->mu);
    return st;
}

static fv_status w_run_state(void *ud, const char *run_id, char **state, struct fv_error *err)
{
    (void)ud, (void)run_id, (void)err;
    *state = NULL;
    return FV_OK;
}

static fv_status w_run_unfinished(void *ud, const char *job, char **run_id, int64_t *started_ms,
                                  struct fv_error *err)
{
    (void)ud, (void)job, (void)err;
    *run_id = NULL;
    *started_ms = 0;
    return FV_OK;
}

static void s_target(struct fv_run *r, const char *account)
{
    r->targets = fv_realloc(r->targets, (r->n_targets + 1) * sizeof(*r->targets));
    struct fv_run_target *t = &r->targets[r->n_targets++];
    memset(t, 0, sizeof(*t));
    t->account = fv_strdup(account);
    t->account_name = fv_strdup(account);
    t->region = fv_strdup("us-east-1");
}

static fv_status w_prepare(void *ud, struct fv_run *r, struct fv_error *err)
{
    (void)ud, (void)err;
    s_target(r, "111111111111");
    s_target(r, "222222222222");
    return FV_OK;
}

static fv_status w_plan(void *ud, struct fv_run *r, struct fv_error *err)
{
    struct world *w = ud;
    (void)err;
    if (w->takeover_mid) {
        fc_advance(w->fc, w->plan_ms / 2);
        world_takeover(w);
        fc_advance(w->fc, w->plan_ms / 2);
    } else if (w->plan_ms) {
        fc_advance(w->fc, w->plan_ms);
    }
    for (size_t i = 0; i < r->n_targets; i++) {
        struct fv_run_target *t = &r->targets[i];
        for (size_t k = 0; k < w->n_tables[i]; k++) {
            char name[32];
            snprintf(name, sizeof(name), "table-%zu", k);
            struct fv_task task = {.kind = "dynamodb.backup",
                                   .account = t->account,
                                   .region = t->region,
                                   .resource = name,
                                   .step = "create"};
            fv_run_gate(r, fv_run_add(r, &task), i);
            t->tables = fv_realloc(t->tables, (t->n_tables + 1) * sizeof(char *));
            t->tables[t->n_tables++] = fv_strdup(name);
        }
    }
    return FV_OK;
}

static struct fv_run_item *w_followup(void *ud, struct fv_run *r, struct fv_run_target *t)
{
    struct world *w = ud;
    if (t->retention_planned || t->n_tables == 0)
        return NULL;
    t->retention_planned = true;
    w->retention_at[t - r->targets] = (int64_t)r->n_terminal;
    struct fv_task task = {.kind = "dynamodb.retention",
                           .account = t->account,
                           .region = t->region,
                           .resource = "retention",
                           .step = "expire"};
    return fv_run_add(r, &task);
}

static fv_status w_publish(void *ud, const struct fv_task *t, struct fv_error *err)
{
    struct world *w = ud;
    (void)err;
    assert_true(w->n_sent < 64);
    w->sent[w->n_sent++] = (struct fv_task *)t;
    w->published++;
    return FV_OK;
}

static fv_status w_flush(void *ud, int timeout_ms, struct fv_error *err)
{
    (void)ud, (void)timeout_ms, (void)err;
    return FV_OK;
}

/* Every published task succeeds, in the order published. */
static int w_poll(void *ud, int timeout_ms, struct fv_result *res, struct fv_error *err)
{
    struct world *w = ud;
    (void)timeout_ms, (void)err;
    if (w->takeover_after && w->n_polled == w->takeover_after)
        world_takeover(w); /* between two results: nothing noticed yet */
    if (w->n_polled + w->withhold >= w->n_sent) {
        if (w->withhold)
            fc_advance(w->fc, timeout_ms); /* a real poll waits that long for nothing */
        return 0;
    }
    fv_result_for_task(res, w->sent[w->n_polled++]);
    res->status = FV_RESULT_SUCCEEDED;
    res->attempt = 1;
    return 1;
}

static void w_announce(void *ud, const struct fv_run *r)
{
    struct world *w = ud;
    (void)r;
    w->announced = true;
}

static const struct fv_coord_io s_io = {
    .acquire = w_acquire,
    .renew = w_renew,
    .release = w_release,
    .run_put = w_run_put,
    .run_state = w_run_state,
    .run_unfinished = w_run_unfinished,
    .prepare = w_prepare,
    .plan = w_plan,
    .followup = w_followup,
    .publish = w_publish,
    .flush = w_flush,
    .poll = w_poll,
    .announce = w_announce,
};

/* --- A run's set-up --- */

struct fixture {
    struct fake_clock fc;
    struct world w;
    struct fv_config cfg;
    struct fv_config_job job;
    struct fv_coordinator_options o;
    struct fv_coord_io io;
    volatile sig_atomic_t stop;
    char dir[64];
};

static void s_setup(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    fc_init(&f->fc, 1440938160000);
    pthread_mutex_init(&f->w.mu, NULL);
    f->w.fc = &f->fc;
    f->w.n_tables[0] = 3;
    f->w.n_tables[1] = 2;
    f->cfg.lease_ttl_s = TTL_MS / 1000;
    f->cfg.run_deadline_s = 3600;
    f->job.name = "nightly";
    f->job.kind = FV_JOB_DYNAMODB_BACKUPS;
    snprintf(f->dir, sizeof(f->dir), "/tmp/fv-test-coordinator-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->o = (struct fv_coordinator_options){.cfg = &f->cfg,
                                           .name = "me",
                                           .output_dir = f->dir,
                                           .progress = FV_PROGRESS_NONE,
                                           .stop = &f->stop,
                                           .clock = &f->fc.clock};
    f->io = s_io;
    f->io.ud = &f->w;
}

/* Files in the output directory (removed). */
static size_t s_outputs(struct fixture *f)
{
    size_t n = 0;
    DIR *d = opendir(f->dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
        unlink(path);
        n++;
    }
    closedir(d);
    rmdir(f->dir);
    return n;
}

/* --- Tests --- */

static void s_touch(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
}

static bool s_exists(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* coordinator.keep_runs: after a run writes its manifest and report, the
 * oldest runs' files beyond that many go; its own and other files stay. */
static void test_local_run_files_are_bounded(void **state)
{
    (void)state;
    struct fixture f;
    s_setup(&f);
    f.cfg.keep_runs = 3;
    static const char *const old[] = {"20150829_020000", "20150828_020000", "20150827_020000"};
    char name[64];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "backup_manifest_%s.json", old[i]);
        s_touch(f.dir, name);
        snprintf(name, sizeof(name), "backup_report_%s.txt", old[i]);
        s_touch(f.dir, name);
    }
    s_touch(f.dir, "backup_manifest_latest.json"); /* not a run's: never touched */
    s_touch(f.dir, "notes.txt");
    struct fv_run_summary out;
    struct fv_error err = {0};
    assert_int_equal(fv_coord_execute(&f.o, &f.job, 0, &f.io, &out, &err), FV_OK);
    /* The run's own (the clock's 2015-08-30T12:36:00Z) and the two newest others. */
    assert_true(s_exists(f.dir, "backup_manifest_20150830_123600.json"));
    assert_true(s_exists(f.dir, "backup_report_20150830_123600.txt"));
    assert_true(s_exists(f.dir, "backup_manifest_20150829_020000.json"));
    assert_true(s_exists(f.dir, "backup_report_20150828_020000.txt"));
    assert_false(s_exists(f.dir, "backup_manifest_20150827_020000.json"));
    assert_false(s_exists(f.dir, "backup_report_20150827_020000.txt"));
    assert_true(s_exists(f.dir, "backup_manifest_latest.json"));
    assert_true(s_exists(f.dir, "notes.txt"));

    /* 0 keeps everything; 1 only the given run's files, even when others
     * look newer (a clock set back). */
    size_t removed = 9;
    s_touch(f.dir, "backup_manifest_20991231_000000.json");
    assert_int_equal(fv_run_prune_outputs(f.dir, 0, "20150830_123600", &removed, &err), FV_OK);
    assert_int_equal(removed, 0);
    assert_int_equal(fv_run_prune_outputs(f.dir, 1, "20150830_123600", &removed, &err), FV_OK);
    assert_int_equal(removed, 5); /* 2 + 2 + the future one */
    assert_true(s_exists(f.dir, "backup_manifest_20150830_123600.json"));
    assert_true(s_exists(f.dir, "backup_report_20150830_123600.txt"));
    assert_int_equal(s_outputs(&f), 4);
    fv_run_summary_clean_up(&out);
}

static void test_heartbeat_renews_the_lease_while_planning_is_slow(void **state)
{
    (void)state;
    struct fixture f;
    s_setup(&f);
    f.w.plan_ms = 10 * TTL_MS; /* planning outlasts the lease ten times */
    struct fv_run_summary out;
    struct fv_error err = {0};
    assert_int_equal(fv_coord_execute(&f.o, &f.job, 0, &f.io, &out, &err), FV_OK);
    /* Renewed every third of the TTL, never after it had expired. */
    assert_true(f.w.renewals >= 10 * 3);
    assert_false(f.w.lapsed);
    assert_true(s_mine(&f.w));
    assert_int_equal(f.w.token, 1);
    /* ... and the run went on as the holder: recorded, published, completed. */
    assert_int_equal(out.planned, 3 + 2 + 2); /* backups and one retention a target */
    assert_int_equal(out.succeeded, 7);
    assert_string_equal(f.w.last_state, "completed");
    assert_true(f.w.announced);
    assert_non_null(out.manifest_path);
    assert_int_equal(s_outputs(&f), 2); /* manifest and report */
    fv_run_summary_clean_up(&out);
}

static void test_lease_taken_over_while_planning_writes_nothing(void **state)
{
    (void)state;
    struct fixture f;
    s_setup(&f);
    f.w.plan_ms = 4 * TTL_MS;
    f.w.takeover_mid = true; /* e.g. a pause longer than the TTL */
    struct fv_run_summary out;
    struct fv_error err = {0};
    assert_int_equal(fv_coord_execute(&f.o, &f.job, 0, &f.io, &out, &err), FV_E_CANCELLED);
    assert_true(fv_control_is_fenced_out(&err));
    assert_non_null(strstr(err.message, "other holds it"));
    assert_int_equal(f.w.run_puts, 0);
    assert_int_equal(f.w.published, 0);
    assert_false(f.w.announced);
    assert_int_equal(s_outputs(&f), 0); /* no manifest */
    /* The release left the new holder's lease alone. */
    assert_string_equal(f.w.holder, "other");
    assert_int_equal(f.w.token, 2);
    assert_int_not_equal(f.w.expires_ms, 0);
    fv_run_summary_clean_up(&out);
}

static void test_fenced_write_stops_a_coordinator_that_has_not_noticed(void **state)
{
    (void)state;
    struct fixture f;
    s_setup(&f);
    struct fv_coord c;
    struct fv_error err = {0};
    bool done;
    fv_coord_init(&c, &f.o, &f.job, &f.io);
    assert_int_equal(fv_coord_acquire(&c, 0, &err), FV_OK);
    assert_int_equal(fv_coord_plan(&c, 0, &done, &err), FV_OK);
    /* Taken over with no time passing: the heartbeat has not seen it. */
    world_takeover(&f.w);
    assert_true(fv_lease_keeper_held(c.keeper, NULL));
    assert_int_equal(fv_coord_publish(&c, &err), FV_E_CANCELLED);
    assert_true(fv_control_is_fenced_out(&err));
    assert_int_equal(f.w.run_puts, 0);
    assert_int_equal(f.w.published, 0);
    fv_coord_clean_up(&c);
    assert_int_equal(s_outputs(&f), 0);
}

static void test_lease_lost_while_collecting_no_manifest(void **state)
{
    (void)state;
    struct fixture f;
    s_setup(&f);
    f.w.takeover_after = 2;
    struct fv_run_summary out;
    struct fv_error err = {0};
    assert_int_equal(fv_coord_execute(&f.o, &f.job, 0, &f.io, &out, &err), FV_E_CANCELLED);
    assert_true(fv_control_is_fenced_out(&err));
    assert_int_equal(f.w.run_puts, 1); /* "running", before the takeover */
    assert_string_equal(f.w.last_state, "running");
    assert_false(f.w.announced);
    assert_null(out.manifest_path);
    assert_int_equal(s_outputs(&f), 0);
    fv_run_summary_clean_up(&out);
}

static void test_retention_when_the_last_backup_of_its_target_finishes(void **state)
{
    (void)state;
    struct fixture f;
    s_setup(&f);
    struct fv_run_summary out;
    struct fv_error err = {0};
    assert_int_equal(fv_coord_execute(&f.o, &f.job, 0, &f.io, &out, &err), FV_OK);
    /* Results come in publishing order: target 0's three backups, then
     * target 1's two. Retention is planned the moment a target's last
     * backup is terminal, not before and not later. */
    assert_int_equal(f.w.retention_at[0], 3);
    assert_int_equal(f.w.retention_at[1], 3 + 2);
    fv_run_summary_clean_up(&out);
    s_outputs(&f);
}

/* Occurrences of needle in s. */
static size_t s_count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* A result that never comes (here: target 1's retention; in CI, every
 * result, to a results consumer stuck joining its group): every minute
 * without any result the coordinator names the tasks it waits for, and at
 * the deadline they fail. */
static void test_a_quiet_run_names_the_tasks_it_waits_for(void **state)
{
    (void)state;
    struct fixture f;
    s_setup(&f);
    f.w.withhold = 1;
    f.cfg.run_deadline_s = 130;
    char log[16384] = {0};
    FILE *sink = fmemopen(log, sizeof(log) - 1, "w");
    assert_non_null(sink);
    fv_log_set_sink(sink, false);
    struct fv_run_summary out;
    struct fv_error err = {0};
    fv_status st = fv_coord_execute(&f.o, &f.job, 0, &f.io, &out, &err);
    fflush(sink);
    fv_log_set_sink(stderr, false);
    fclose(sink);
    assert_int_equal(st, FV_OK);
    assert_int_equal(out.failed, 1);
    /* The last task published: target 1's retention (the run's tasks are
     * freed by now: its id is made again). */
    char id[33], want[256];
    fv_task_make_id(out.run_id, "dynamodb.retention", "222222222222", "us-east-1", "retention", id);
    snprintf(want, sizeof(want),
             "no result for 60 s; waiting for 1 task(s): task %s dynamodb.retention "
             "222222222222/us-east-1/retention (attempts seen: 0)",
             id);
    assert_non_null(strstr(log, want));
    assert_non_null(strstr(log, "no result for 120 s; waiting for 1 task(s)"));
    assert_int_equal(s_count(log, "no result for"), 2); /* once a minute, not every poll */
    fv_run_summary_clean_up(&out);
    s_outputs(&f);
}

static void test_pending_count_releases_each_target_once(void **state)
{
    (void)state;
    struct fv_config_job job = {.name = "nightly"};
    struct fv_run r;
    fv_run_init(&r, &job, 1440938160000, 1440938160000 + 3600000);
    s_target(&r, "111111111111");
    s_target(&r, "222222222222");
    struct fv_run_item *items[4];
    const char *names[] = {"a", "b", "c", "d"};
    for (size_t i = 0; i < 4; i++) {
        struct fv_task t = {.kind = "dynamodb.backup",
                            .account = r.targets[i % 2].account,
                            .region = "us-east-1",
                            .resource = (char *)names[i]};
        items[i] = fv_run_add(&r, &t);
        fv_run_gate(&r, items[i], i % 2);
        fv_run_gate(&r, items[i], i % 2); /* counted once */
    }
    assert_int_equal(r.targets[0].pending, 2);
    assert_int_equal(r.targets[1].pending, 2);
    struct fv_result res;
    size_t order[] = {0, 1, 3, 2};
    struct fv_run_target *expect[] = {NULL, NULL, &r.targets[1], &r.targets[0]};
    for (size_t k = 0; k < 4; k++) {
        fv_result_for_task(&res, &items[order[k]]->task);
        res.status = k == 1 ? FV_RESULT_FAILED : FV_RESULT_SUCCEEDED; /* failed counts too */
        assert_true(fv_run_record(&r, &res));
        assert_ptr_equal(fv_run_released(&r, &res), expect[k]);
        assert_false(fv_run_record(&r, &res)); /* a redelivery changes nothing */
        fv_result_clean_up(&res);
    }
    assert_int_equal(r.targets[0].pending, 0);
    assert_int_equal(r.targets[1].pending, 0);
    fv_run_clean_up(&r);
}

static void test_lease_rule(void **state)
{
    (void)state;
    struct fv_lease_state s;
    fv_lease_state_init(&s, 0, 30000);
    assert_false(fv_lease_state_due(&s, 9999));
    assert_true(fv_lease_state_due(&s, 10000));
    /* A transient failure: tried again soon, while the lease lasts. */
    struct fv_error net;
    fv_error_set(&net, FV_E_NET, "connection reset");
    fv_lease_state_renewed(&s, 10000, 10100, FV_E_NET, &net);
    assert_false(s.lost);
    assert_false(fv_lease_state_due(&s, 10200));
    assert_true(fv_lease_state_due(&s, 12600));
    /* Failing until the next try would come too late: lost. */
    fv_lease_state_renewed(&s, 12600, 28000, FV_E_NET, &net);
    assert_true(s.lost);
    assert_non_null(strstr(s.why.message, "connection reset"));
    assert_false(fv_lease_state_due(&s, 28000));
    /* A renewal that answers after expiry does not count. */
    fv_lease_state_init(&s, 0, 30000);
    fv_lease_state_renewed(&s, 10000, 40001, FV_OK, NULL);
    assert_true(s.lost);
    /* Not looked after in time: lost at expiry. */
    fv_lease_state_init(&s, 0, 30000);
    assert_false(fv_lease_state_due(&s, 30000));
    assert_true(s.lost);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heartbeat_renews_the_lease_while_planning_is_slow),
        cmocka_unit_test(test_lease_taken_over_while_planning_writes_nothing),
        cmocka_unit_test(test_fenced_write_stops_a_coordinator_that_has_not_noticed),
        cmocka_unit_test(test_lease_lost_while_collecting_no_manifest),
        cmocka_unit_test(test_retention_when_the_last_backup_of_its_target_finishes),
        cmocka_unit_test(test_pending_count_releases_each_target_once),
        cmocka_unit_test(test_a_quiet_run_names_the_tasks_it_waits_for),
        cmocka_unit_test(test_lease_rule),
        cmocka_unit_test(test_local_run_files_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

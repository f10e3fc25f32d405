"""The pipeline as in production: the Kafka cluster (librdkafka's mock, in
`fleetvault kafka-mock`), the coordinator and the workers are separate
processes that talk only through Kafka. Faults: a worker SIGKILLed mid-run,
every broker down for 5 s, bad messages, two coordinators."""

import json
import os
import signal
import subprocess
import time
import unittest

from fvtest import (BIN, COORDINATOR_TIMEOUT_S, FORGED_KEYS, MEMBERS, TASK_KEYS, WorldProcess, backups_by_table,
                    fleet_config, inline_policies, load_manifest, print_logs_if_failed, run, spawn, tagged_tables,
                    tmpdir, wait_for, wait_lease_free)

KAFKA_PUT = os.environ.get("FV_KAFKA_PUT") or os.path.join(os.path.dirname(BIN), "..", "tests", "kafka_put")

JOB = """
- name: ddb
  type: dynamodb_backups
  tables:
    tags: [backup=daily]
  retention: 30
  deny_delete_policy: false
"""


class Cluster:
    """`fleetvault kafka-mock` in its own process, with fault control on stdin."""

    def __init__(self):
        self.p = subprocess.Popen([BIN, "kafka-mock", "--brokers", "3"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.p.stdout.readline().strip()
        assert line.startswith("bootstrap="), line
        self.bootstrap = line.split("=", 1)[1]

    def command(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        assert self.p.stdout.readline().strip() == "ok"

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=30)
        self.p.stdin.close()
        self.p.stdout.close()


def setUpModule():
    global W, K
    W = WorldProcess.start(fleet="small")
    K = Cluster()


def tearDownModule():
    K.stop()
    W.stop()


class TestDistributed(unittest.TestCase):
    def setUp(self):
        self.dir = tmpdir()
        self.cfg = os.path.join(self.dir, "fleet.yaml")
        fleet_config(self.cfg, JOB, kafka=K.bootstrap)
        self.workers = []  # and coordinators: every process the test started
        self.logs = []
        self.n_coordinators = 0
        W.control("POST", "/_world/latency", {"ms": 0})
        waited = wait_lease_free(W)
        if waited > 1:  # an earlier test's coordinator was killed: not this test's doing
            print(f"\n  waited {waited:.0f} s for an earlier coordinator's lease to expire")

    def tearDown(self):
        print_logs_if_failed(self, self.dir)
        for w in self.workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in self.workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
        for f in self.logs:
            f.close()
        W.control("POST", "/_world/latency", {"ms": 0})
        W.control("DELETE", "/_world/faults")
        time.sleep(1.1)  # run ids have one-second resolution

    def worker(self, name, concurrency=2):
        log = open(os.path.join(self.dir, f"{name}.log"), "w")
        self.logs.append(log)
        p = spawn(["worker", "--config", self.cfg, "--concurrency", str(concurrency)], W, stdout=log,
                  stderr=subprocess.STDOUT)
        self.workers.append(p)
        return p

    def coordinator(self, **kw):
        """`fleetvault backup`, its stderr in coordinator-N.log; finish() waits for it."""
        self.n_coordinators += 1
        path = os.path.join(self.dir, f"coordinator-{self.n_coordinators}.log")
        with open(path, "w") as log:
            c = spawn(["backup", "--config", self.cfg, "--output-dir", self.dir, "--no-progress"], W,
                      stdout=subprocess.PIPE, stderr=log, text=True, **kw)
        c.log_path = path
        self.workers.append(c)  # stopped in tearDown if still running
        return c

    def finish(self, c, timeout=COORDINATOR_TIMEOUT_S):
        """c's (stdout, stderr) once it exited: its run's deadline is shorter than timeout."""
        out, _ = c.communicate(timeout=timeout)
        with open(c.log_path) as f:
            return out, f.read()

    def assert_each_table_backed_up_once(self, manifest):
        run_id = manifest["run_id"]  # backups are named <table>-<job>-<stamp>: <table>-<run id>
        for acct in MEMBERS:
            found = backups_by_table(W, acct)
            for t in tagged_tables(W, acct):
                named = [b for b in found.get(t, []) if b["BackupName"] == f"{t}-{run_id}"]
                self.assertEqual(len(named), 1, f"{acct}/{t}: {len(named)} backups named {t}-{run_id}")

    def test_worker_killed_mid_run_every_table_backed_up_exactly_once(self):
        W.control("POST", "/_world/latency", {"ms": 250})
        a = self.worker("a", 1)
        self.worker("b", 1)
        time.sleep(2)  # both in the group
        c = self.coordinator()
        time.sleep(3)  # tasks flowing
        a.send_signal(signal.SIGKILL)
        out, err = self.finish(c)
        self.assertEqual(c.returncode, 0, out + err)
        manifest = load_manifest(self.dir)
        self.assertEqual(manifest["outcome"], "succeeded")
        self.assert_each_table_backed_up_once(manifest)

    def test_all_brokers_down_5s_mid_run_the_run_completes(self):
        W.control("POST", "/_world/latency", {"ms": 150})
        self.worker("a", 2)
        time.sleep(2)
        c = self.coordinator()
        time.sleep(1.5)
        K.command("down-for 5000")
        out, err = self.finish(c)
        self.assertEqual(c.returncode, 0, out + err)
        self.assert_each_table_backed_up_once(load_manifest(self.dir))

    def put_task(self, key, task, keys=TASK_KEYS):
        args = [KAFKA_PUT, K.bootstrap, "tasks", key, "--task", json.dumps(task)]
        if keys:
            args += ["--keys", keys]
        put = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertEqual(put.returncode, 0, put.stderr)

    def dlq_reasons(self, want):
        """The DLQ's reasons once at least `want` arrived."""
        reasons = []
        for _ in range(40):
            r = run(["dlq", "--config", self.cfg, "--timeout", "2"], W)
            reasons = [json.loads(line)["reason"] for line in r.stdout.splitlines() if line.strip()]
            if len(reasons) >= want:
                break
        return reasons

    def test_untrusted_tasks_go_to_the_dlq_change_nothing_and_the_worker_goes_on(self):
        w = self.worker("a", 2)
        time.sleep(2)
        c = self.coordinator()
        out, err = self.finish(c)
        self.assertEqual(c.returncode, 0, out + err)
        run_id = load_manifest(self.dir)["run_id"]
        a = MEMBERS[0]
        tables = tagged_tables(W, a)
        before = {t: len(v) for t, v in backups_by_table(W, a).items()}
        policies = inline_policies(W, a)
        stranger = "999999999999"

        def task(kind, resource, step, account=a, params=None, **extra):
            t = {"task_id": "f" * 32, "run_id": run_id, "job": "ddb", "kind": kind, "account": account,
                 "region": "us-east-1", "resource": resource, "step": step, "params": params or {}}
            t.update(extra)
            return t

        put_raw = subprocess.run([KAFKA_PUT, K.bootstrap, "tasks", "junk", "--raw", "\xff\xfe not a task"],
                                 capture_output=True, text=True, timeout=60)
        self.assertEqual(put_raw.returncode, 0, put_raw.stderr)
        # Forged: signed with a key the workers do not hold; unsigned; for an
        # account the configuration does not list; on fleetvault's own role.
        self.put_task("forged", task("dynamodb.retention", "retention", "expire",
                                     params={"tables": ",".join(tables), "retention": "0"}), keys=FORGED_KEYS)
        self.put_task("unsigned", task("dynamodb.retention", "retention", "expire",
                                       params={"tables": ",".join(tables)}), keys=None)
        self.put_task("stranger", task("dynamodb.backup", "orders", "create", account=stranger))
        self.put_task("own-role", task("iam.deny_delete_backup", f"arn:aws:iam::{a}:role/fleetvault-member", "put"))
        # Poison, correctly signed: each once crashed every worker.
        self.put_task("no-account", task("dynamodb.retention", "retention", "expire", account="",
                                         params={"tables": tables[0]}))
        self.put_task("no-arns", task("quicksight.export", "dashboards", "start", job="ddb"))
        self.put_task("odd", task("tape.backup", "t", "go"))
        # Signed and well-formed, but retention 0 in the message: the worker
        # keeps the configured 30, so nothing is deleted.
        self.put_task("retention-0", task("dynamodb.retention", "retention", "expire",
                                          params={"tables": ",".join(tables), "retention": "0"}))
        reasons = self.dlq_reasons(8)
        expect = ["TaskUnsigned", "TaskBadSignature", f"account {stranger} is not one", "deny_delete_policy",
                  "'account'", "'arns'", "unknown task kind 'tape.backup'"]
        for e in expect:
            self.assertTrue(any(e in r for r in reasons), f"{e!r} not in {reasons}")
        self.assertIsNone(w.poll(), "the worker died")
        # Nothing changed in AWS: every backup is still there, no policy moved,
        # and the stranger account has no backup.
        log = os.path.join(self.dir, "a.log")
        def retention_ran():
            with open(log) as f:
                return any(f"task {'f' * 32} dynamodb.retention" in line and "SUCCEEDED" in line for line in f)
        self.assertTrue(wait_for(retention_ran, timeout=60), "retention-0 never ran")
        after = {t: len(v) for t, v in backups_by_table(W, a).items()}
        self.assertEqual(before, after)
        self.assertEqual(policies, inline_policies(W, a))
        # The stranger's task got no base (central) credentials: nothing in the
        # central account, not even a claim in the control table.
        central = W.client("dynamodb", who="admin")
        self.assertEqual(central.list_backups()["BackupSummaries"], [])
        claim = central.get_item(TableName="fleetvault-control", Key={"pk": {"S": "task#" + "f" * 32}})
        self.assertNotIn("Item", claim)
        # ... and the worker still works.
        time.sleep(1.1)
        c = self.coordinator()
        out, err = self.finish(c)
        self.assertEqual(c.returncode, 0, out + err)

    def test_exhausted_retries_fail_the_resource_and_reach_the_dlq(self):
        # CreateBackup is throttled for good in member-b: each of its tables is
        # retried (with backoff, as a re-published task) until
        # worker.max_attempts, then FAILED and sent to the DLQ. The rest succeed.
        W.control("POST", "/_world/faults", {"operation": "CreateBackup", "account": "222222222222",
                                             "kind": "throttle", "count": -1})
        env = {"FV_WORKER_MAX_ATTEMPTS": "2", "FV_AWS_MAX_ATTEMPTS": "1"}
        log = open(os.path.join(self.dir, "w.log"), "w")
        self.logs.append(log)
        self.workers.append(spawn(["worker", "--config", self.cfg, "--concurrency", "4"], W, env_extra=env,
                                  stdout=log, stderr=subprocess.STDOUT))
        time.sleep(2)
        c = self.coordinator()
        out, err = self.finish(c)
        W.control("DELETE", "/_world/faults")
        self.assertEqual(c.returncode, 1, out + err)
        manifest = load_manifest(self.dir)
        self.assertEqual(manifest["outcome"], "partial")
        for res in manifest["resources"]:
            if res["kind"] != "dynamodb.backup":
                continue
            if res["account"] == "222222222222":
                self.assertEqual(res["status"], "FAILED", res)
                self.assertEqual(res["error_code"], "ThrottlingException", res)
                self.assertEqual(res["attempts"], 2, res)
            else:
                self.assertEqual(res["status"], "SUCCEEDED", res)
        r = run(["dlq", "--config", self.cfg, "--timeout", "3"], W)
        exhausted = [json.loads(l) for l in r.stdout.splitlines() if "exhausted after 2 attempts" in l]
        # At least once: a retry redelivered by a rebalance can reach the DLQ
        # twice; every table of the throttled account is there.
        self.assertEqual({e["key"].split("/")[-1] for e in exhausted}, set(tagged_tables(W, "222222222222")),
                         r.stdout)

    def control_items(self, prefix):
        ddb = W.client("dynamodb", who="admin")
        items, kw = [], {}
        while True:
            try:
                page = ddb.scan(TableName="fleetvault-control", ConsistentRead=True, **kw)
            except ddb.exceptions.ResourceNotFoundException:
                return []  # no coordinator has run yet
            items += [i for i in page["Items"] if i["pk"]["S"].startswith(prefix)]
            if "LastEvaluatedKey" not in page:
                return items
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def lease_token(self):
        lease = self.control_items("lease#coordinator")
        return int(lease[0]["fence"]["N"]) if lease and "fence" in lease[0] else 0

    def runs_since(self, since_ms):
        return [i for i in self.control_items("run#ddb-") if int(i["started_ms"]["N"]) >= since_ms]

    def manifests_since(self, since):
        s3 = W.client("s3", who="admin")
        page = s3.list_objects_v2(Bucket="fleetvault-backups-123456789012", Prefix="fleetvault/runs/ddb/")
        return [o["Key"] for o in page.get("Contents", [])
                if "backup_manifest_" in o["Key"] and o["LastModified"].timestamp() >= since - 1]

    def test_two_coordinators_one_runs_though_planning_outlasts_the_lease(self):
        # The lease lasts 2 s; the world makes planning take longer (every
        # ListTables waits 6 s). The heartbeat keeps the lease all through
        # planning: every other coordinator started meanwhile is refused.
        fast = {"FV_COORDINATOR_LEASE_TTL_S": "2"}
        W.control("POST", "/_world/latency", {"ms": 100})
        self.worker("a", 2)
        time.sleep(2)
        since = int(time.time()) * 1000
        token = self.lease_token()
        W.control("POST", "/_world/faults", {"operation": "ListTables", "kind": "delay", "delay_ms": 6000,
                                             "count": -1})
        log = os.path.join(self.dir, "first.log")
        with open(log, "w") as f:
            first = spawn(["backup", "--config", self.cfg, "--output-dir", self.dir, "--no-progress"], W,
                          env_extra=fast, stdout=subprocess.PIPE, stderr=f, text=True)
        self.workers.append(first)
        self.assertTrue(self.coordinator_logged(log, "enumerating"), log)
        others = []
        for _ in range(3):  # 1.5, 3 and 4.5 s into planning: past the TTL without a heartbeat
            time.sleep(1.5)
            other = self.coordinator(env_extra=fast)
            out2, err2 = self.finish(other, timeout=120)
            with open(log) as f:
                planning = "published" not in f.read()
            others.append((other.returncode, out2 + err2, planning))
        W.control("DELETE", "/_world/faults")
        out1, _ = first.communicate(timeout=COORDINATOR_TIMEOUT_S)
        with open(log) as f:
            self.assertEqual(first.returncode, 0, out1 + f.read())
        for rc, text, planning in others:
            self.assertEqual(rc, 1, text)
            self.assertIn("another coordinator", text)
            self.assertTrue(planning, "the first had finished planning: not a test of the heartbeat")
        # One acquisition, one run record, one manifest.
        self.assertEqual(self.lease_token(), token + 1)
        runs = self.runs_since(since)
        self.assertEqual(len(runs), 1, runs)
        self.assertEqual(runs[0]["state"]["S"], "completed")
        self.assertEqual(int(runs[0]["fence"]["N"]), token + 1)
        self.assertEqual(len(self.manifests_since(since / 1000)), 1)
        self.assertEqual(len([n for n in os.listdir(self.dir) if n.startswith("backup_manifest_")]), 1)

    def test_coordinator_that_lost_its_lease_writes_no_manifest(self):
        # A coordinator paused (SIGSTOP) past its lease, as by a long GC or a
        # frozen VM: another takes the lease and finishes the run. Woken up,
        # the first finds itself fenced out: it writes nothing and exits 1.
        fast = {"FV_COORDINATOR_LEASE_TTL_S": "3"}
        since = int(time.time()) * 1000
        token = self.lease_token()
        first_dir, second_dir = os.path.join(self.dir, "first"), os.path.join(self.dir, "second")
        os.mkdir(first_dir)
        os.mkdir(second_dir)
        log = os.path.join(self.dir, "first.log")
        with open(log, "w") as f:
            first = spawn(["backup", "--config", self.cfg, "--output-dir", first_dir, "--no-progress"], W,
                          env_extra=fast, stdout=subprocess.PIPE, stderr=f, text=True)
        self.workers.append(first)
        # No worker yet: the run is published and waits for results. (Its
        # consumer first gets its partitions: librdkafka 2.0.2 aborts closing
        # a cooperative-sticky consumer that never had an assignment.)
        self.assertTrue(self.coordinator_logged(log, "published"), log)
        self.assertTrue(self.coordinator_logged(log, "assigned"), log)
        first.send_signal(signal.SIGSTOP)
        try:
            time.sleep(4.5)  # its lease runs out (not yet its Kafka session: 6 s)
            self.worker("a", 4)
            log2 = os.path.join(self.dir, "second.log")
            with open(log2, "w") as f:
                second = spawn(["backup", "--config", self.cfg, "--output-dir", second_dir, "--no-progress"],
                               W, env_extra=fast, stdout=subprocess.PIPE, stderr=f, text=True)
            self.workers.append(second)
            self.assertTrue(self.coordinator_logged(log2, "enumerating"), log2)  # it holds the lease
        finally:
            first.send_signal(signal.SIGCONT)
        out2, _ = second.communicate(timeout=COORDINATOR_TIMEOUT_S)
        with open(log2) as f:
            err2 = f.read()
        self.assertEqual(second.returncode, 0, out2 + err2)
        self.assertIn("(resumed)", out2)
        out1, _ = first.communicate(timeout=120)
        with open(log) as f:
            err1 = f.read()
        self.assertEqual(first.returncode, 1, out1 + err1)
        self.assertIn("lost the coordinator lease", err1)
        self.assertEqual(os.listdir(first_dir), [])
        self.assertEqual(len(self.manifests_since(since / 1000)), 1)
        self.assertEqual(self.lease_token(), token + 2)
        runs = self.runs_since(since)
        self.assertEqual(len(runs), 1, runs)  # the second resumed the first's run
        self.assertEqual(runs[0]["state"]["S"], "completed")
        self.assertEqual(int(runs[0]["fence"]["N"]), token + 2)
        # Every task was published twice (by the first, and again by the
        # second when it resumed), so "each table backed up once" depends on
        # the worker's duplicate handling, which is not what this tests (one
        # worker running both copies at once can make two backups: reported).
        self.assertEqual(load_manifest(second_dir)["outcome"], "succeeded")

    def test_worker_health_and_metrics(self):
        import urllib.request
        from worldclient import free_port
        port = free_port()
        log = open(os.path.join(self.dir, "m.log"), "w")
        self.logs.append(log)
        self.workers.append(spawn(["worker", "--config", self.cfg], W, stdout=log, stderr=subprocess.STDOUT,
                                  env_extra={"FV_METRICS_PORT": str(port), "FV_METRICS_BIND": "127.0.0.1"}))
        base = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    self.assertEqual(r.status, 200)
                break
            except OSError:
                time.sleep(0.2)
        with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
            self.assertEqual(r.status, 200)
        c = self.coordinator()
        out, err = self.finish(c)
        self.assertEqual(c.returncode, 0, out + err)
        with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
            text = r.read().decode()
        tables = sum(len(tagged_tables(W, a)) for a in MEMBERS)

        def value(prefix):
            lines = [l for l in text.splitlines() if l.startswith(prefix)]
            return float(lines[0].rsplit(" ", 1)[1]) if lines else 0

        self.assertGreaterEqual(value('fleetvault_tasks_succeeded_total{kind="dynamodb.backup"}'), tables, text)
        self.assertGreaterEqual(
            value('fleetvault_aws_calls_total{service="dynamodb",operation="CreateBackup"}'), tables, text)
        self.assertIn("fleetvault_consumer_lag", text)

    def coordinator_logged(self, path, needle, timeout=60):
        def seen():
            with open(path) as f:
                return needle in f.read()
        return wait_for(seen, timeout=timeout)

    def test_restarted_coordinator_resumes_its_run(self):
        fast = {"FV_COORDINATOR_LEASE_TTL_S": "3"}
        log = os.path.join(self.dir, "first.log")
        with open(log, "w") as f:
            first = spawn(["backup", "--config", self.cfg, "--output-dir", self.dir, "--no-progress"], W,
                          env_extra=fast, stdout=subprocess.DEVNULL, stderr=f)
        self.workers.append(first)
        # No worker yet: the run is published and waits for results.
        self.assertTrue(self.coordinator_logged(log, "published"), log)
        first.send_signal(signal.SIGKILL)
        first.wait()
        with open(log) as f:
            run_id = json.loads([l for l in f if "published" in l][0])["msg"].split()[1].rstrip(":")
        self.worker("a", 4)
        time.sleep(4)  # the dead coordinator's lease runs out
        c = self.coordinator(env_extra=fast)
        out, err = self.finish(c)
        self.assertEqual(c.returncode, 0, out + err)
        self.assertIn("(resumed)", out)
        manifest = load_manifest(self.dir)
        self.assertEqual(manifest["run_id"], run_id)
        self.assert_each_table_backed_up_once(manifest)

    def test_table_deleted_between_enumeration_and_backup_is_skipped(self):
        ddb = W.client("dynamodb", who="admin:222222222222")
        ddb.create_table(TableName="doomed", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         Tags=[{"Key": "backup", "Value": "daily"}])
        # Every task's first call (its claim in the control table) waits 3 s:
        # time to delete the table after it was enumerated.
        W.control("POST", "/_world/faults", {"operation": "PutItem", "kind": "delay", "delay_ms": 3000,
                                             "count": -1})
        self.worker("a", 8)
        time.sleep(2)
        log = os.path.join(self.dir, "coord.log")
        with open(log, "w") as f:
            c = spawn(["backup", "--config", self.cfg, "--output-dir", self.dir, "--no-progress"], W,
                      stdout=subprocess.PIPE, stderr=f, text=True)
        self.workers.append(c)
        self.assertTrue(self.coordinator_logged(log, "published"))
        ddb.delete_table(TableName="doomed")
        out, _ = c.communicate(timeout=COORDINATOR_TIMEOUT_S)
        W.control("DELETE", "/_world/faults")
        self.assertEqual(c.returncode, 0, out)
        doomed = [x for x in load_manifest(self.dir)["resources"] if x["resource"] == "doomed"]
        self.assertEqual(doomed[0]["status"], "SKIPPED", doomed)
        self.assertIn("doomed", doomed[0]["error_message"])

    def test_coordinator_daemon_runs_jobs_on_their_schedule(self):
        fleet_config(self.cfg, JOB.replace("- name: ddb", "- name: every-minute\n  schedule: rate(1 minute)"),
                     kafka=K.bootstrap)
        self.worker("a", 4)
        log = open(os.path.join(self.dir, "daemon.log"), "w")
        self.logs.append(log)
        daemon = spawn(["coordinator", "--config", self.cfg], W, stdout=log, stderr=subprocess.STDOUT,
                       cwd=self.dir)
        self.workers.append(daemon)  # stopped with SIGTERM in tearDown
        found = wait_for(lambda: any(n.startswith("backup_manifest_") for n in os.listdir(self.dir)),
                         timeout=90, step=1)
        self.assertTrue(found, os.path.join(self.dir, "daemon.log"))
        manifest = load_manifest(self.dir)
        self.assertTrue(manifest["run_id"].startswith("every-minute-"))
        self.assertTrue(manifest["run_id"].endswith("00Z"), manifest["run_id"])  # on the minute
        daemon.send_signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(timeout=60), 0)

    def test_worker_sigterm_leaves_the_group_cleanly(self):
        w = self.worker("a", 1)
        time.sleep(2)
        w.send_signal(signal.SIGTERM)
        self.assertEqual(w.wait(timeout=60), 0)


if __name__ == "__main__":
    unittest.main()

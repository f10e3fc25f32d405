"""The quicksight job with coordinator, workers and Kafka as separate
processes: six workers never run more than 5 export jobs in one account, a
worker killed mid-download leaves no partial object while another one
finishes the bundle, and no user's e-mail address travels through Kafka."""

import base64
import json
import os
import signal
import subprocess
import time
import unittest

from fvtest import (BIN, COORDINATOR_TIMEOUT_S, MEMBERS, RUN_DEADLINE_S, WorldProcess, admin, load_manifest,
                    print_logs_if_failed, run, run_logged, spawn, tmpdir, wait_lease_free)
from test_distributed import Cluster

KAFKA_GET = os.environ.get("FV_KAFKA_GET") or os.path.join(os.path.dirname(BIN), "..", "tests", "kafka_get")

BUCKET = "fleetvault-backups-123456789012"


def config(path, bootstrap, accounts, per_bundle, mode="assets-only", job="qs"):
    """job: each test's own, so that no test resumes an unfinished run of
    another (a coordinator resumes its job's unfinished run)."""
    lines = ["region: us-east-1", "accounts:"]
    for a in accounts:
        lines += [f'  - id: "{a}"', f"    role_arn: arn:aws:iam::{a}:role/fleetvault-member",
                  "    external_id: fleetvault-demo"]
    lines += ["central:", '  account: "123456789012"', f"  bucket: {BUCKET}",
              "kafka:", f"  brokers: {bootstrap}", "  session_timeout_ms: 6000",
              "  allow_plaintext: true",  # the mock cluster speaks PLAINTEXT only
              "worker:", "  shutdown_grace_s: 5",
              "coordinator:", f"  run_deadline_s: {RUN_DEADLINE_S}",
              "jobs:", f"  - name: {job}", "    type: quicksight", f"    mode: {mode}",
              f"    max_assets_per_bundle: {per_bundle}", "    max_export_jobs: 5"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def setUpModule():
    global W, K
    W = WorldProcess.start(fleet="small")
    K = Cluster()


def tearDownModule():
    K.stop()
    W.stop()


class TestQuickSightDistributed(unittest.TestCase):
    def setUp(self):
        self.dir = tmpdir()
        self.procs, self.logs = [], []
        waited = wait_lease_free(W)
        if waited > 1:  # an earlier test's coordinator was killed: not this test's doing
            print(f"\n  waited {waited:.0f} s for an earlier coordinator's lease to expire")

    def tearDown(self):
        print_logs_if_failed(self, self.dir)
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in self.logs:
            f.close()
        W.control("POST", "/_world/settings", {"asset_bundle_delay_s": 0.5, "download_delay_s": 0})
        time.sleep(1.1)

    def worker(self, cfg, name, concurrency):
        log = open(os.path.join(self.dir, f"{name}.log"), "w")
        self.logs.append(log)
        p = spawn(["worker", "--config", cfg, "--concurrency", str(concurrency)], W, stdout=log,
                  stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def backup(self, cfg):
        return run_logged(["backup", "--config", cfg, "--output-dir", self.dir, "--no-progress"], W,
                          os.path.join(self.dir, "coordinator.log"))

    def assert_no_task_outlived_the_run(self, manifest):
        """Every task's result came back: none was failed by the coordinator
        at the run's deadline."""
        late = [x for x in manifest["resources"] if x.get("error_code") == "RunDeadline"]
        self.assertEqual(late, [], "tasks whose result never arrived")

    def test_six_workers_never_exceed_five_export_jobs_per_account(self):
        cfg = os.path.join(self.dir, "fleet.yaml")
        config(cfg, K.bootstrap, ["111111111111"], 10, job="qs-six")  # 120 dashboards alone: 12 bundles
        W.control("POST", "/_world/settings", {"asset_bundle_delay_s": 0.7})
        for i in range(6):
            self.worker(cfg, f"w{i}", 2)
        time.sleep(3)
        W.control("DELETE", "/_world/requests")
        r = self.backup(cfg)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        log = W.control("GET", "/_world/requests?limit=5000")[1]
        starts = [e for e in log["recent"] if e.get("operation") == "StartAssetBundleExportJob"]
        self.assertGreaterEqual(len(starts), 16)
        # A redelivered start (a rebalance between the start and its commit)
        # meets its own job: ConflictException, "already in progress", which
        # the handler takes as started.  Only LimitExceeded means the budget
        # of 5 concurrent jobs was exceeded.
        refused = [e for e in starts if e.get("code") == "LimitExceededException"]
        self.assertEqual(refused, [], "export jobs refused: the per-account budget was exceeded")
        other = [e for e in starts if e.get("status") != 200 and e.get("code") != "ConflictException"]
        self.assertEqual(other, [])

    def test_worker_killed_mid_download_leaves_no_partial_object(self):
        cfg = os.path.join(self.dir, "fleet.yaml")
        config(cfg, K.bootstrap, ["222222222222"], 50, job="qs-killed")
        W.control("POST", "/_world/settings", {"asset_bundle_delay_s": 0.2, "download_delay_s": 4})
        a = self.worker(cfg, "a", 4)
        self.worker(cfg, "b", 1)
        time.sleep(3)
        clog = open(os.path.join(self.dir, "coordinator.log"), "w")
        self.logs.append(clog)
        c = spawn(["backup", "--config", cfg, "--output-dir", self.dir, "--no-progress"], W,
                  stdout=subprocess.PIPE, stderr=clog, text=True)
        self.procs.append(c)
        # Downloads start once the jobs are done (~1 s) and take 4 s each.
        time.sleep(3)
        a.send_signal(signal.SIGKILL)
        out, _ = c.communicate(timeout=COORDINATOR_TIMEOUT_S)
        self.assertEqual(c.returncode, 0, out)
        m = load_manifest(self.dir)
        self.assert_no_task_outlived_the_run(m)
        s3 = W.client("s3", who="admin")  # the independent reader (not in deploy/iam)
        for res in m["resources"]:
            self.assertEqual(res["status"], "SUCCEEDED", res)
            for o in res["outputs"]:
                head = s3.head_object(Bucket=BUCKET, Key=o["object_key"])
                self.assertEqual(head["ContentLength"], o["size"])
        self.assertEqual(s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []), [])
        man = [n for n in os.listdir(self.dir) if n.startswith("backup_manifest_")][0]
        v = run(["verify", "--manifest", os.path.join(self.dir, man), "--config", cfg], W)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_no_users_e_mail_address_travels_in_tasks_or_the_dlq(self):
        # Identity rows cannot be written in member-b (BatchWriteItem throttled
        # for good): its users and groups tasks are retried, then dead-lettered
        # as they were sent. Neither they nor any task of the run names a user.
        cfg = os.path.join(self.dir, "fleet.yaml")
        config(cfg, K.bootstrap, MEMBERS, 50, mode="users-only", job="qs-identities")
        W.control("POST", "/_world/faults", {"operation": "BatchWriteItem", "account": "222222222222",
                                             "kind": "throttle", "count": -1})
        env = {"FV_WORKER_MAX_ATTEMPTS": "2", "FV_AWS_MAX_ATTEMPTS": "1"}
        log = open(os.path.join(self.dir, "w.log"), "w")
        self.logs.append(log)
        self.procs.append(spawn(["worker", "--config", cfg, "--concurrency", "4"], W, env_extra=env,
                                stdout=log, stderr=subprocess.STDOUT))
        time.sleep(3)
        try:
            r = self.backup(cfg)
        finally:
            W.control("DELETE", "/_world/faults")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # member-b's identities failed
        m = load_manifest(self.dir)
        self.assert_no_task_outlived_the_run(m)
        by = {(x["kind"], x["account"]): x for x in m["resources"]}
        # member-a's rows were written, and counted, by the worker's own paging.
        qs = admin(W, "quicksight", "111111111111")
        users_a = by[("quicksight.users", "111111111111")]
        self.assertEqual(users_a["status"], "SUCCEEDED", users_a)
        self.assertEqual(users_a["resource"], "users")
        self.assertEqual(int(users_a["outputs"][0]["items"]),
                         len(qs.list_users(AwsAccountId="111111111111", Namespace="default")["UserList"]))
        self.assertEqual(by[("quicksight.users", "222222222222")]["status"], "FAILED")

        emails = set()
        for acct in MEMBERS:
            kw = {"AwsAccountId": acct, "Namespace": "default"}
            while True:
                page = admin(W, "quicksight", acct).list_users(**kw)
                emails |= {u["Email"] for u in page["UserList"] if u.get("Email")}
                if not page.get("NextToken"):
                    break
                kw["NextToken"] = page["NextToken"]
        self.assertGreater(len(emails), 5)

        tasks = subprocess.run([KAFKA_GET, K.bootstrap, "tasks", "3"], capture_output=True, text=True,
                               timeout=120)
        self.assertEqual(tasks.returncode, 0, tasks.stderr)
        sent = [bytes.fromhex(l) for l in tasks.stdout.split()]
        self.assertTrue(any(b"quicksight.users" in t for t in sent), "no quicksight.users task read back")
        dlq = run(["dlq", "--config", cfg, "--timeout", "3"], W)
        dead = []  # each envelope with the task it carries, decoded
        for line in dlq.stdout.splitlines():
            if line.strip():
                d = json.loads(line)
                dead.append(line.encode() + base64.b64decode(d.get("value_base64", "")))
        identities = [d for d in dead if b"222222222222" in d and b"quicksight." in d]
        self.assertGreaterEqual(len(identities), 2, dlq.stdout + dlq.stderr)  # users and groups of member-b
        for blob in sent + dead:
            for e in emails:
                self.assertNotIn(e.encode(), blob)
                self.assertNotIn(e.encode().hex().encode(), blob)


if __name__ == "__main__":
    unittest.main()

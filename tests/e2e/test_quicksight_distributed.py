"""The quicksight job with coordinator, workers and Kafka as separate
processes: six workers never run more than 5 export jobs in one account, and
a worker killed mid-download leaves no partial object while another one
finishes the bundle."""

import os
import signal
import subprocess
import time
import unittest

from fvtest import WorldProcess, load_manifest, run, spawn, tmpdir
from test_distributed import Cluster

BUCKET = "fleetvault-backups-123456789012"


def config(path, bootstrap, accounts, per_bundle):
    lines = ["region: us-east-1", "accounts:"]
    for a in accounts:
        lines += [f'  - id: "{a}"', f"    role_arn: arn:aws:iam::{a}:role/fleetvault-member",
                  "    external_id: fleetvault-demo"]
    lines += ["central:", '  account: "123456789012"', f"  bucket: {BUCKET}",
              "kafka:", f"  brokers: {bootstrap}", "  session_timeout_ms: 6000",
              "worker:", "  shutdown_grace_s: 5",
              "jobs:", "  - name: qs", "    type: quicksight", "    mode: assets-only",
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

    def tearDown(self):
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

    def test_six_workers_never_exceed_five_export_jobs_per_account(self):
        cfg = os.path.join(self.dir, "fleet.yaml")
        config(cfg, K.bootstrap, ["111111111111"], 10)  # 120 dashboards alone: 12 bundles
        W.control("POST", "/_world/settings", {"asset_bundle_delay_s": 0.7})
        for i in range(6):
            self.worker(cfg, f"w{i}", 2)
        time.sleep(3)
        W.control("DELETE", "/_world/requests")
        r = run(["backup", "--config", cfg, "--output-dir", self.dir, "--no-progress"], W, timeout=400)
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
        config(cfg, K.bootstrap, ["222222222222"], 50)
        W.control("POST", "/_world/settings", {"asset_bundle_delay_s": 0.2, "download_delay_s": 4})
        a = self.worker(cfg, "a", 4)
        self.worker(cfg, "b", 1)
        time.sleep(3)
        c = spawn(["backup", "--config", cfg, "--output-dir", self.dir, "--no-progress"], W,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(c)
        # Downloads start once the jobs are done (~1 s) and take 4 s each.
        time.sleep(3)
        a.send_signal(signal.SIGKILL)
        out, err = c.communicate(timeout=300)
        self.assertEqual(c.returncode, 0, out + err)
        m = load_manifest(self.dir)
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


if __name__ == "__main__":
    unittest.main()

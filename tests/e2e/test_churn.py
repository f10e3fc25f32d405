"""Worker churn: the mock Kafka cluster (`fleetvault kafka-mock`), the
coordinator (a one-shot `fleetvault backup` against that cluster) and three
`fleetvault worker`s, all separate processes. Every 3 s one worker, chosen at
random, is SIGKILLed and replaced, for a minute or until the run ends. The
test world serves the large fleet (500 tables tagged backup=daily) with
latency on every AWS request, so the run outlives many kills.

What a user relies on: every selected table has exactly one backup from this
run (checked with boto3), the manifest says succeeded, and the coordinator
exits 0 — not by a signal. (It used to write a succeeded manifest and then
abort in librdkafka while closing its consumer: a Kubernetes Job retries
that.)

FV_CHURN_FLEET=small, FV_CHURN_LATENCY_MS, FV_CHURN_KILL_EVERY_S and
FV_CHURN_FOR_S change the scenario for measurements."""

import os
import random
import signal
import subprocess
import time
import unittest

from fvtest import (COORDINATOR_TIMEOUT_S, MEMBERS, WorldProcess, backups_by_table, fleet_config, load_manifest,
                    print_logs_if_failed, spawn, tagged_tables, tmpdir)
from test_distributed import JOB, Cluster

FLEET = os.environ.get("FV_CHURN_FLEET", "large")
LATENCY_MS = int(os.environ.get("FV_CHURN_LATENCY_MS", "40"))
KILL_EVERY_S = float(os.environ.get("FV_CHURN_KILL_EVERY_S", "3"))
CHURN_FOR_S = float(os.environ.get("FV_CHURN_FOR_S", "60"))
WORKERS = 3


def setUpModule():
    global W, K
    W = WorldProcess.start(fleet=FLEET)
    K = Cluster()


def tearDownModule():
    K.stop()
    W.stop()


class TestChurn(unittest.TestCase):
    def setUp(self):
        self.dir = tmpdir()
        self.cfg = os.path.join(self.dir, "fleet.yaml")
        fleet_config(self.cfg, JOB, kafka=K.bootstrap)
        self.procs = []
        self.logs = []
        self.n = 0

    def tearDown(self):
        print_logs_if_failed(self, self.dir)
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        for f in self.logs:
            f.close()
        W.control("POST", "/_world/latency", {"ms": 0})

    def worker(self):
        self.n += 1
        log = open(os.path.join(self.dir, f"worker-{self.n}.log"), "w")
        self.logs.append(log)
        p = spawn(["worker", "--config", self.cfg, "--concurrency", "8"], W, stdout=log,
                  stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def test_worker_killed_every_3s_each_table_once_and_a_clean_exit(self):
        W.control("POST", "/_world/latency", {"ms": LATENCY_MS})
        live = [self.worker() for _ in range(WORKERS)]
        time.sleep(4)  # the group's first assignment (3 s on the mock)
        log = open(os.path.join(self.dir, "coordinator.log"), "w")
        self.logs.append(log)
        c = spawn(["backup", "--config", self.cfg, "--output-dir", self.dir, "--no-progress"], W,
                  stdout=subprocess.PIPE, stderr=log, text=True)
        self.procs.append(c)
        rng = random.Random(os.getpid())
        kills = 0
        start = time.time()
        while c.poll() is None and time.time() - start < CHURN_FOR_S:
            time.sleep(KILL_EVERY_S)
            if c.poll() is not None:
                break
            victim = live.pop(rng.randrange(len(live)))
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            kills += 1
            live.append(self.worker())
        churn_s = time.time() - start
        out, _ = c.communicate(timeout=COORDINATOR_TIMEOUT_S)  # its run ends itself before
        print(f"\n  churn: {kills} workers killed over {churn_s:.0f} s; run took "
              f"{time.time() - start:.0f} s; logs in {self.dir}")
        self.assertGreaterEqual(kills, 5, "the run ended before the churn mattered")
        # Not by a signal (a negative returncode), not partial.
        self.assertEqual(c.returncode, 0, f"{out}\ncoordinator log: {log.name}")
        manifest = load_manifest(self.dir)
        self.assertEqual(manifest["outcome"], "succeeded")
        run_id = manifest["run_id"]  # backups are named <table>-<job>-<stamp>: <table>-<run id>
        selected = 0
        for acct in MEMBERS:
            found = backups_by_table(W, acct)
            for t in tagged_tables(W, acct):
                named = [b for b in found.get(t, []) if b["BackupName"] == f"{t}-{run_id}"]
                self.assertEqual(len(named), 1, f"{acct}/{t}: {len(named)} backups named {t}-{run_id}")
                selected += 1
        self.assertGreater(selected, 0)
        retention = [r for r in manifest["resources"] if r["kind"] == "dynamodb.retention"]
        self.assertEqual(len(retention), len(MEMBERS), retention)
        self.assertTrue(all(r["status"] == "SUCCEEDED" for r in retention), retention)


if __name__ == "__main__":
    unittest.main()

"""Secrets never leave fleetvault, and a hostile DownloadUrl is never fetched.

A full run of a QuickSight job and a DynamoDB job with the coordinator, two
workers and Kafka (the mock cluster) as separate processes. The workers' and
the coordinator's logs, the manifests and reports (local and in S3), the
CloudWatch Logs events, the /metrics scrapes and the dead-letter queue are
then searched for every secret in play: the world's secret keys, every secret
key and session token STS issued, every SigV4 signature sent (the world
records them), the task signing keys and the Kafka SASL password. One member
account's QuickSight answers with a DownloadUrl pointing at the instance
metadata service: its bundles fail with DownloadUrlRefused (not retried, the
URL's signature not quoted) and the rest of the run succeeds. The workers run
with core dumps off and write 0600 log files."""

import json
import os
import re
import resource
import signal
import stat
import subprocess
import time
import unittest
import urllib.request

from fvtest import (BIN, FORGED_KEYS, MEMBERS, TASK_KEYS, WorldProcess, admin, fleet_config, load_manifest,
                    run, spawn, tmpdir, wait_for)
from test_distributed import KAFKA_PUT, Cluster
from worldclient import free_port

CENTRAL = "123456789012"
BUCKET = f"fleetvault-backups-{CENTRAL}"
SASL_PASSWORD = "kafka-sasl-Pa55word-e2e-7f3c9a"
HOSTILE = "222222222222"
HOSTILE_URL = "https://s3.us-east-1.amazonaws.com@169.254.169.254/latest/meta-data/iam/security-credentials/"
JOBS = """
- name: qs
  type: quicksight
  mode: assets-only
  max_assets_per_bundle: 50
- name: ddb
  type: dynamodb_backups
  tables:
    tags: [backup=daily]
  retention: 30
  deny_delete_policy: false
"""


def setUpModule():
    global W, K
    W = WorldProcess.start(fleet="small")
    W.control("POST", "/_world/settings", {"asset_bundle_delay_s": 0.2})
    K = Cluster()


def tearDownModule():
    K.stop()
    W.stop()


def config(path):
    fleet_config(path, JOBS, kafka=K.bootstrap,
                 extra="notifications:\n  log_group: /fleetvault/runs\n")
    with open(path) as f:
        text = f.read()
    # A SASL password in the configuration (the mock cluster speaks PLAINTEXT,
    # so librdkafka never sends it): it must still never be written anywhere.
    text = text.replace("kafka:\n", "kafka:\n  properties:\n    sasl.username: fleetvault\n"
                                    f"    sasl.password: {SASL_PASSWORD}\n", 1)
    with open(path, "w") as f:
        f.write(text)


def core_limit(pid):
    with open(f"/proc/{pid}/limits") as f:
        line = next(l for l in f if l.startswith("Max core file size"))
    return line.split()[4:6]


def allow_cores():
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


class TestSecrets(unittest.TestCase):
    def setUp(self):
        self.dir = tmpdir()
        self.cfg = os.path.join(self.dir, "fleet.yaml")
        config(self.cfg)
        self.procs, self.outputs = [], {}

    def tearDown(self):
        W.control("POST", "/_world/quicksight/hostile-download-urls", {"account": HOSTILE, "url": None})
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()

    def worker(self, name, log_file, metrics_port):
        out = open(os.path.join(self.dir, f"{name}.out"), "w")
        p = spawn(["worker", "--config", self.cfg, "--concurrency", "4", "--log-file", log_file], W,
                  env_extra={"FV_METRICS_PORT": str(metrics_port), "FV_METRICS_BIND": "127.0.0.1"},
                  stdout=out, stderr=subprocess.STDOUT, preexec_fn=allow_cores)
        out.close()
        self.procs.append(p)
        return p

    def backup(self, job):
        log = os.path.join(self.dir, f"coordinator-{job}.log")
        out = os.path.join(self.dir, f"out-{job}")
        r = run(["backup", "--config", self.cfg, "--job", job, "--output-dir", out, "--no-progress",
                 "--log-file", log], W, timeout=400)
        self.outputs[f"coordinator {job} stdout+stderr"] = r.stdout + r.stderr
        return r, out

    def scrape(self, port):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            return r.read().decode()

    def test_full_run_leaks_no_secret_and_refuses_a_hostile_download_url(self):
        W.control("DELETE", "/_world/secrets-seen")
        W.control("POST", "/_world/quicksight/hostile-download-urls", {"account": HOSTILE, "url": HOSTILE_URL})
        # Log files: one new, one left 0644 by an older version (tightened).
        logs = [os.path.join(self.dir, "logs", "worker-a.log"), os.path.join(self.dir, "worker-b.log")]
        with open(logs[1], "w") as f:
            f.write("")
        os.chmod(logs[1], 0o644)
        ports = [free_port(), free_port()]
        workers = [self.worker("a", logs[0], ports[0]), self.worker("b", logs[1], ports[1])]

        def ready(port):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False
        self.assertTrue(wait_for(lambda: all(ready(p) for p in ports), timeout=60), "workers not ready")
        time.sleep(2)  # both in the group

        # Core dumps off in the running workers, although started with cores allowed.
        for w in workers:
            self.assertEqual(core_limit(w.pid), ["0", "0"], f"worker {w.pid} may dump core")
        for path in logs:
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, path)

        r_qs, out_qs = self.backup("qs")
        self.assertEqual(r_qs.returncode, 1, r_qs.stdout + r_qs.stderr)  # the hostile account's bundles failed
        time.sleep(1.1)  # run ids have one-second resolution
        r_ddb, out_ddb = self.backup("ddb")
        self.assertEqual(r_ddb.returncode, 0, r_ddb.stdout + r_ddb.stderr)

        # The hostile DownloadUrl: refused, named by host, not retried; the rest succeeded.
        m = load_manifest(out_qs)
        exports = [res for res in m["resources"] if res["kind"] == "quicksight.export"]
        self.assertTrue(any(res["account"] == HOSTILE for res in exports), exports)
        self.assertTrue(any(res["account"] != HOSTILE for res in exports), exports)
        for res in exports:
            if res["account"] == HOSTILE:
                self.assertEqual(res["status"], "FAILED", res)
                self.assertEqual(res["error_code"], "DownloadUrlRefused", res)
                self.assertIn("169.254.169.254", json.dumps(res))
                self.assertEqual(res["attempts"], 1, res)
            else:
                self.assertEqual(res["status"], "SUCCEEDED", res)
        for res in m["resources"]:
            if res["kind"] != "quicksight.export":
                self.assertEqual(res["status"], "SUCCEEDED", res)
        self.assertEqual(load_manifest(out_ddb)["outcome"], "succeeded")

        # A task signed with a key the workers do not hold: the DLQ has something to search.
        task = {"task_id": "e" * 32, "run_id": m["run_id"], "job": "ddb", "kind": "dynamodb.backup",
                "account": MEMBERS[0], "region": "us-east-1", "resource": "orders", "step": "create",
                "params": {}}
        put = subprocess.run([KAFKA_PUT, K.bootstrap, "tasks", "forged", "--task", json.dumps(task),
                              "--keys", FORGED_KEYS], capture_output=True, text=True, timeout=60)
        self.assertEqual(put.returncode, 0, put.stderr)
        dlq = ""
        for _ in range(30):
            dlq = run(["dlq", "--config", self.cfg, "--timeout", "2"], W).stdout
            if "TaskBadSignature" in dlq:
                break
        self.assertIn("TaskBadSignature", dlq)
        self.outputs["dlq"] = dlq

        for i, port in enumerate(ports):
            self.outputs[f"worker {i} /metrics"] = self.scrape(port)
        for w in workers:
            w.send_signal(signal.SIGTERM)
            w.wait(timeout=60)
        for name in os.listdir(self.dir):
            path = os.path.join(self.dir, name)
            if name.endswith(".out"):
                with open(path) as f:
                    self.outputs[name] = f.read()
        for path in logs:
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, path)
        for root, _, files in os.walk(self.dir):
            for name in files:
                if name.endswith(".log") or root.startswith((out_qs, out_ddb)):
                    with open(os.path.join(root, name), errors="replace") as f:
                        self.outputs[os.path.relpath(os.path.join(root, name), self.dir)] = f.read()
        self.assertTrue(any("backup_manifest_" in k for k in self.outputs), sorted(self.outputs))

        # Manifests and reports in S3, and every CloudWatch Logs event of the fleet.
        s3 = W.client("s3", who="admin")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for o in page.get("Contents", []):
                body = s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
                self.outputs[f"s3://{BUCKET}/{o['Key']}"] = body.decode("latin-1")
        events = 0
        for acct in (CENTRAL,) + MEMBERS:
            logs_client = W.client("logs", who="admin") if acct == CENTRAL else admin(W, "logs", acct)
            for g in logs_client.describe_log_groups().get("logGroups", []):
                for page in logs_client.get_paginator("filter_log_events").paginate(
                        logGroupName=g["logGroupName"]):
                    for e in page.get("events", []):
                        events += 1
                        self.outputs[f"logs {acct}{g['logGroupName']} {e['eventId']}"] = e["message"]
        self.assertGreater(events, 0, "no CloudWatch Logs event to search")

        # Every secret in play.
        seen = W.control("GET", "/_world/secrets-seen")[1]
        self.assertTrue(seen["signatures"] and seen["session_tokens"] and seen["secret_keys"], seen)
        secrets = {"SASL password": [SASL_PASSWORD],
                   "task signing keys": [TASK_KEYS.split()[1], FORGED_KEYS.split()[1]],
                   "world secret keys": [W.env["AWS_SECRET_ACCESS_KEY"]] + seen["secret_keys"],
                   "session tokens": seen["session_tokens"],
                   "SigV4 signatures": seen["signatures"]}
        leaks = []
        for where, text in self.outputs.items():
            for kind, values in secrets.items():
                for v in values:
                    if v and v in text:
                        leaks.append(f"{kind} {v[:6]}... in {where}")
            # Presigned query strings (the DownloadUrl's signature, tokens).
            for pat in (r"X-Amz-Signature=[0-9a-fA-F]{8}", r"X-Amz-Security-Token=\w", r"X-Amz-Credential=\w"):
                if re.search(pat, text):
                    leaks.append(f"{pat} in {where}")
        self.assertEqual(leaks, [], f"searched {len(self.outputs)} outputs")

    def test_log_file_symlink_refused(self):
        target = os.path.join(self.dir, "elsewhere")
        with open(target, "w") as f:
            f.write("untouched\n")
        link = os.path.join(self.dir, "worker.log")
        os.symlink(target, link)
        r = run(["worker", "--config", self.cfg, "--log-file", link], W, timeout=60)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("symbolic link", r.stderr)
        with open(target) as f:
            self.assertEqual(f.read(), "untouched\n")


if __name__ == "__main__":
    unittest.main()

"""Continuous exports with the Kafka cluster (librdkafka's mock, in
`fleetvault kafka-mock`), the coordinator and two workers as separate
processes. The world keeps each export IN_PROGRESS until the test moves its
clock (ddb_export_delay_s), so what happens while it runs is under the
test's control, not the machine's speed:

* two workers racing on one window (the coordinator's task, re-published
  byte for byte onto every partition): every delivery starts the export
  with the same ClientToken and meets the first one; one export in
  ListExports, one advance of the chain (its version grows by one), the
  others find it advanced;
* the worker that started an export is SIGKILLed while it runs: the other
  one takes its partitions, finishes the wait and advances the chain; the
  next run's window starts exactly where that one ended (DescribeExport and
  the manifests in the central bucket), each window holding its changes.

Checked with boto3 as the admins and through the world's request log."""

import gzip
import json
import os
import signal
import subprocess
import time
import unittest

from fvtest import (BIN, WorldProcess, admin, fleet_config, grant_exports, load_manifest, spawn, tmpdir,
                    wait_for)
from test_distributed import Cluster

KAFKA_PUT = os.environ.get("FV_KAFKA_PUT") or os.path.join(os.path.dirname(BIN), "..", "tests", "kafka_put")
KAFKA_GET = os.environ.get("FV_KAFKA_GET") or os.path.join(os.path.dirname(BIN), "..", "tests", "kafka_get")
CENTRAL = "123456789012"
BUCKET = f"fleetvault-backups-{CENTRAL}"
CONTROL = "fleetvault-control"
PARTITIONS = 6  # fleetvault kafka-mock's default
LONG = 600  # an export's duration in world seconds: it ends when the test moves the clock
JOBS = """
- name: rx
  type: dynamodb_exports
  tables:
    names: [race-t]
  poll_interval_s: 5
- name: kx
  type: dynamodb_exports
  tables:
    names: [kill-t]
  poll_interval_s: 1
"""


def murmur2(data):
    """Kafka's murmur2 (the producer's murmur2_random partitioner)."""
    m, h = 0x5BD1E995, 0x9747B28C ^ len(data)
    for i in range(0, len(data) - len(data) % 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
    tail = data[len(data) - len(data) % 4:]
    for j in reversed(range(len(tail))):
        h ^= tail[j] << (8 * j)
    if tail:
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def iso_ms(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def key_per_partition(prefix):
    """One message key for each partition of a topic."""
    keys = {}
    for i in range(1000):
        k = f"{prefix}-{i}"
        keys.setdefault((murmur2(k.encode()) & 0x7FFFFFFF) % PARTITIONS, k)
        if len(keys) == PARTITIONS:
            return [keys[p] for p in sorted(keys)]
    raise AssertionError("no key for every partition")


def setUpModule():
    global W, K
    W = WorldProcess.start(fleet="small")
    K = Cluster()


def tearDownModule():
    K.stop()
    W.set_clock(0)
    W.stop()


class TestExportsDistributed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        d = tmpdir()
        grant_exports(W, JOBS, d)
        W.client("dynamodb", who="admin").create_table(
            TableName=CONTROL, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])

    def setUp(self):
        self.dir = tmpdir()
        self.cfg = os.path.join(self.dir, "fleet.yaml")
        fleet_config(self.cfg, JOBS, kafka=K.bootstrap)
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
        W.control("POST", "/_world/settings", {"ddb_export_delay_s": 0.5})
        time.sleep(1.1)  # run ids have one-second resolution

    # -- helpers ------------------------------------------------------------------
    def worker(self, name):
        path = os.path.join(self.dir, f"{name}.log")
        log = open(path, "w")
        self.logs.append(log)
        p = spawn(["worker", "--config", self.cfg, "--concurrency", "4"], W, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p, path

    def coordinator(self, job, out):
        os.makedirs(out, exist_ok=True)
        log = open(os.path.join(out, "coordinator.log"), "w")
        self.logs.append(log)
        p = spawn(["backup", "--config", self.cfg, "--job", job, "--output-dir", out, "--no-progress"], W,
                  stdout=log, stderr=subprocess.STDOUT)
        p.log = log.name
        self.procs.append(p)
        return p

    @staticmethod
    def read(path):
        with open(path) as f:
            return f.read()

    def both_in_the_group(self, *logs):
        """Both workers own task partitions (an empty assignment is not logged at info)."""
        ok = wait_for(lambda: all("assigned: fleetvault.tasks[" in self.read(p) for p in logs), timeout=120)
        self.assertTrue(ok, logs)

    def table(self, acct, t, last_s, writes):
        """A table with PITR made before its chain, a chain moved over with its
        last window ending at last_s, and writes [(offset from last_s, key,
        value or None to delete)] at those world times."""
        ddb = admin(W, "dynamodb", acct)
        W.set_clock(int(last_s - 300 - time.time()))
        ddb.create_table(TableName=t, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
        for offset, key, value in writes:
            W.set_clock(int(last_s + offset - time.time()))
            if value is None:
                ddb.delete_item(TableName=t, Key={"pk": {"S": key}})
            else:
                ddb.put_item(TableName=t, Item={"pk": {"S": key}, "v": {"S": value}})
        W.set_clock(0)

    def seed_chain(self, job, acct, t, last_ms):
        W.client("dynamodb", who="admin").put_item(TableName=CONTROL, Item={
            "pk": {"S": f"export#{job}#{acct}#us-east-1#{t}"},
            "job": {"S": job}, "account": {"S": acct}, "region": {"S": "us-east-1"}, "table": {"S": t},
            "workflow-initiated": {"S": "true"}, "full-export-time": {"N": str(last_ms)},
            "last-incremental-export-time": {"N": str(last_ms)}, "workflow-state": {"S": "NORMAL"},
            "workflow-action": {"S": "RUN"}, "version": {"N": "1"}})

    def chain(self, job, acct, t):
        return W.client("dynamodb", who="admin").get_item(
            TableName=CONTROL, Key={"pk": {"S": f"export#{job}#{acct}#us-east-1#{t}"}},
            ConsistentRead=True)["Item"]

    def starts(self, acct):
        """The world's log of ExportTableToPointInTime calls in acct."""
        log = W.control("GET", "/_world/requests?limit=5000")[1]["recent"]
        return [e for e in log if e.get("operation") == "ExportTableToPointInTime" and e.get("account") == acct]

    def exports(self, acct, t):
        ddb = admin(W, "dynamodb", acct)
        arn = ddb.describe_table(TableName=t)["Table"]["TableArn"]
        found, kw = [], {}
        while True:
            page = ddb.list_exports(TableArn=arn, **kw)
            found += [ddb.describe_export(ExportArn=e["ExportArn"])["ExportDescription"]
                      for e in page["ExportSummaries"]]
            if not page.get("NextToken"):
                return found
            kw["NextToken"] = page["NextToken"]

    def manifests(self, job, acct, t):
        """[(manifest summary, sorted [(pk, new v or None)])] in the central bucket, in start order."""
        s3 = W.client("s3", who="admin")
        prefix = f"dynamodb-exports/{job}/{acct}/us-east-1/{t}/AWSDynamoDB/"
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
        out = []
        for s in sorted(k for k in keys if k.endswith("manifest-summary.json")):
            summary = json.loads(s3.get_object(Bucket=BUCKET, Key=s)["Body"].read())
            files = s3.get_object(Bucket=BUCKET, Key=summary["manifestFilesS3Key"])["Body"].read().decode()
            window = []
            for line in filter(None, files.split("\n")):
                data = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=json.loads(line)["dataFileS3Key"])
                                       ["Body"].read()).decode()
                for rec in map(json.loads, filter(None, data.split("\n"))):
                    new = rec.get("NewImage")
                    window.append((rec["Keys"]["pk"]["S"], new["v"]["S"] if new else None))
            out.append((summary, sorted(window)))
        return out

    def finish(self, c):
        self.assertEqual(c.wait(timeout=300), 0, self.read(c.log))

    # -- tests ----------------------------------------------------------------------
    def test_two_workers_racing_on_one_window_one_export_one_advance(self):
        acct, t, job = "111111111111", "race-t", "rx"
        last_s = int(time.time()) - 1200  # one window due
        self.table(acct, t, last_s, [(300, "r1", "in the window"), (1000, "r2", "after it")])
        self.seed_chain(job, acct, t, last_s * 1000)
        W.control("POST", "/_world/settings", {"ddb_export_delay_s": LONG})
        (a, alog), (b, blog) = self.worker("a"), self.worker("b")
        self.both_in_the_group(alog, blog)
        W.control("DELETE", "/_world/requests")
        c = self.coordinator(job, os.path.join(self.dir, "run"))
        self.assertTrue(wait_for(lambda: self.starts(acct), timeout=120), self.read(c.log))

        # The coordinator's task, read back from the tasks topic (the wait
        # follow-ups carry export_arn), then published again, the same bytes,
        # once on every partition: both workers get it.
        got = subprocess.run([KAFKA_GET, K.bootstrap, "tasks", "2"], capture_output=True, text=True, timeout=180)
        self.assertEqual(got.returncode, 0, got.stderr)
        sent = [h for h in got.stdout.split()
                if b"race-t" in bytes.fromhex(h) and b"export_arn" not in bytes.fromhex(h)]
        self.assertTrue(sent, "the start task of the window")  # the first: the coordinator's
        copies = key_per_partition("race-copy")
        for key in copies:
            put = subprocess.run([KAFKA_PUT, K.bootstrap, "tasks", key, "--hex", sent[0]], capture_output=True,
                                 text=True, timeout=60)
            self.assertEqual(put.returncode, 0, put.stderr)
        # Every delivery starts the export while the first one runs, with
        # the same ClientToken: the world answers each with that export.
        deliveries = 1 + len(copies)
        self.assertTrue(wait_for(lambda: len(self.starts(acct)) >= deliveries, timeout=180),
                        self.starts(acct))
        started = f"of {t} to s3://{BUCKET}/"
        self.assertTrue(wait_for(lambda: all(started in self.read(p) for p in (alog, blog)), timeout=60),
                        "both workers started it")
        self.assertEqual({e["status"] for e in self.starts(acct)}, {200})
        found = self.exports(acct, t)
        self.assertEqual(len(found), 1, found)
        self.assertEqual(found[0]["ExportStatus"], "IN_PROGRESS")

        W.advance_clock(LONG + 10)  # the export completes
        self.finish(c)
        m = load_manifest(os.path.join(self.dir, "run"))
        res = [r for r in m["resources"] if r["kind"] == "dynamodb.export"]
        self.assertEqual([(r["resource"], r["status"]) for r in res], [(t, "SUCCEEDED")], m)

        # Every delivery settles: one advanced the chain, the others found it advanced.
        def settled():
            text = self.read(alog) + self.read(blog)
            done = text.count(f"dynamodb.export {acct}/us-east-1/{t}: SUCCEEDED")
            return done >= deliveries and done - text.count("advanced the chain already (another delivery)") == 1
        self.assertTrue(wait_for(settled, timeout=180), self.read(alog) + self.read(blog))
        found = self.exports(acct, t)
        self.assertEqual(len(found), 1, found)
        spec = found[0]["IncrementalExportSpecification"]
        self.assertEqual((int(spec["ExportFromTime"].timestamp()), int(spec["ExportToTime"].timestamp())),
                         (last_s, last_s + 900))
        chain = self.chain(job, acct, t)
        self.assertEqual(int(chain["version"]["N"]), 2)  # one advance
        self.assertEqual(int(chain["last-incremental-export-time"]["N"]), (last_s + 900) * 1000)
        self.assertEqual(chain["last-export-arn"]["S"], found[0]["ExportArn"])
        self.assertEqual([w[1] for w in self.manifests(job, acct, t)], [[("r1", "in the window")]])

    def test_worker_killed_while_its_export_runs_the_chain_goes_on_without_a_gap(self):
        acct, t, job = "222222222222", "kill-t", "kx"
        last_s = int(time.time()) - 2000  # two windows due
        self.table(acct, t, last_s, [(100, "k1", "one"), (1000, "k2", "two"), (1100, "k1", None)])
        self.seed_chain(job, acct, t, last_s * 1000)
        W.control("POST", "/_world/settings", {"ddb_export_delay_s": LONG})
        workers = [self.worker("a"), self.worker("b")]
        self.both_in_the_group(*(w[1] for w in workers))
        W.control("DELETE", "/_world/requests")
        c = self.coordinator(job, os.path.join(self.dir, "run1"))
        started = f"of {t} to s3://{BUCKET}/"
        self.assertTrue(wait_for(lambda: any(started in self.read(w[1]) for w in workers), timeout=120),
                        self.read(c.log))
        holder = [w for w in workers if started in self.read(w[1])][0]
        survivor = [w for w in workers if w is not holder][0]
        holder[0].send_signal(signal.SIGKILL)
        holder[0].wait()
        W.advance_clock(LONG + 10)  # the export completes; its waiter is gone
        self.finish(c)
        m = load_manifest(os.path.join(self.dir, "run1"))
        res = [r for r in m["resources"] if r["kind"] == "dynamodb.export"]
        self.assertEqual([(r["resource"], r["status"]) for r in res], [(t, "SUCCEEDED")], m)
        self.assertTrue(res[0]["worker"].endswith(f"-{survivor[0].pid}"), res[0])
        self.assertEqual(int(res[0]["outputs"][0]["export_to_ms"]), (last_s + 900) * 1000)
        self.assertEqual(int(self.chain(job, acct, t)["last-incremental-export-time"]["N"]), (last_s + 900) * 1000)

        # The next run: the window after it, on the survivor.
        W.control("POST", "/_world/settings", {"ddb_export_delay_s": 0.5})
        time.sleep(1.1)  # run ids have one-second resolution
        self.finish(self.coordinator(job, os.path.join(self.dir, "run2")))
        m = load_manifest(os.path.join(self.dir, "run2"))
        res = [r for r in m["resources"] if r["kind"] == "dynamodb.export"]
        self.assertEqual([(r["resource"], r["status"]) for r in res], [(t, "SUCCEEDED")], m)
        self.assertEqual(int(res[0]["outputs"][0]["export_from_ms"]), (last_s + 900) * 1000)

        found = sorted(self.exports(acct, t), key=lambda e: e["StartTime"])
        self.assertEqual(len(found), 2, found)  # the killed worker's export was not started again
        spans = [(int(e["IncrementalExportSpecification"]["ExportFromTime"].timestamp()),
                  int(e["IncrementalExportSpecification"]["ExportToTime"].timestamp())) for e in found]
        self.assertEqual(spans, [(last_s, last_s + 900), (last_s + 900, last_s + 1800)])
        windows = self.manifests(job, acct, t)
        self.assertEqual([(w[0]["exportFromTime"], w[0]["exportToTime"]) for w in windows],
                         [(iso_ms(f), iso_ms(to)) for f, to in spans])
        self.assertEqual([w[1] for w in windows], [[("k1", "one")], [("k1", None), ("k2", "two")]])
        chain = self.chain(job, acct, t)
        self.assertEqual(int(chain["last-incremental-export-time"]["N"]), (last_s + 1800) * 1000)
        self.assertEqual(int(chain["version"]["N"]), 3)  # two windows, two advances
        self.assertEqual([e["status"] for e in self.starts(acct)], [200] * len(self.starts(acct)))


if __name__ == "__main__":
    unittest.main()

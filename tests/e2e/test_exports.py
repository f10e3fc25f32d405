"""Continuous incremental exports (seed 003) through the CLI, under the test
world's SigV4 and IAM enforcement: three tables in two accounts whose chains
were moved over an hour behind (as `fleetvault exports import-state` leaves
them), writes and a delete between the windows (the world's clock set back
and forward), then one run after another: each run exports the next window
of every table, in order, with incrementalBlocksBehind counting down 3, 2,
1, 0; the windows land in the central bucket, owned by the central account,
under each table's prefix, and hold exactly the changes of their window; a
run with nothing due exports nothing; every SNS message validates against
the seed's schema (tests/data/exports/notification.schema.json), `status`
also an attribute. And PITR off and on: the table fails with a remedy, its
chain PITR_GAP, until RESET_WITH_FULL_EXPORT_AGAIN starts a new chain with
a full export. And catch-up: a chain paused for two hours, resumed, exports
its eight due windows one per run, in order, incrementalBlocksBehind 7 .. 0.
Checked with boto3 as the admins."""

import gzip
import json

import jsonschema
import os
import time
import unittest

from fvtest import WorldProcess, admin, fleet_config, grant_exports, load_manifest, run, tmpdir

CENTRAL = "123456789012"
BUCKET = "fleetvault-backups-123456789012"
CONTROL = "fleetvault-control"
TABLES = {"111111111111": ["exp-orders", "exp-users"], "222222222222": ["exp-pay"]}
W_MS = 15 * 60 * 1000
TOPIC = f"arn:aws:sns:us-east-1:{CENTRAL}:fleetvault-alerts"
SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "exports",
                      "notification.schema.json")
JOB = """
- name: ex
  type: dynamodb_exports
  tables:
    prefixes: [exp-]
  poll_interval_s: 1
- name: gx
  type: dynamodb_exports
  tables:
    names: [gap-t]
  poll_interval_s: 1
- name: cx
  type: dynamodb_exports
  tables:
    names: [late-t]
  poll_interval_s: 1
"""


def setUpModule():
    global W
    W = WorldProcess.start(fleet="small")


def tearDownModule():
    W.set_clock(0)
    W.stop()


def put(acct, table, key, value):
    admin(W, "dynamodb", acct).put_item(TableName=table, Item={"pk": {"S": key}, "v": {"S": value}})


class TestContinuousExports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.cfg = os.path.join(cls.dir, "fleet.yaml")
        fleet_config(cls.cfg, JOB, extra="notifications:\n  sns_topic_arn: " + TOPIC + "\n")
        cls.grant()
        cls.sqs, cls.queue = cls.subscribe()
        W.client("dynamodb", who="admin").create_table(
            TableName=CONTROL, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        with open(SCHEMA) as f:
            cls.schema = json.load(f)

    @classmethod
    def grant(cls):
        grant_exports(W, JOB, cls.dir)

    def seed_chain(self, acct, table, last_ms, job="ex"):
        """A chain moved over from the seed: initiated, its last window ending at last_ms."""
        W.client("dynamodb", who="admin").put_item(TableName=CONTROL, Item={
            "pk": {"S": f"export#{job}#{acct}#us-east-1#{table}"},
            "job": {"S": job}, "account": {"S": acct}, "region": {"S": "us-east-1"}, "table": {"S": table},
            "workflow-initiated": {"S": "true"}, "full-export-time": {"N": str(last_ms)},
            "last-incremental-export-time": {"N": str(last_ms)}, "workflow-state": {"S": "NORMAL"},
            "workflow-action": {"S": "RUN"}, "version": {"N": "1"}})

    def chain(self, acct, table, job="ex"):
        return W.client("dynamodb", who="admin").get_item(
            TableName=CONTROL, Key={"pk": {"S": f"export#{job}#{acct}#us-east-1#{table}"}},
            ConsistentRead=True)["Item"]

    def export_run(self, job="ex", expect=0):
        out = os.path.join(self.dir, f"run-{time.time_ns()}")
        os.mkdir(out)
        r = run(["backup", "--config", self.cfg, "--job", job, "--output-dir", out, "--no-progress"], W)
        self.assertEqual(r.returncode, expect, r.stdout + r.stderr)
        time.sleep(1.1)  # run ids have one-second resolution
        return load_manifest(out)

    @classmethod
    def subscribe(cls):
        """An SQS queue on the alerts topic: every SNS message, with its attributes."""
        sqs = W.client("sqs", who="admin")
        url = sqs.create_queue(QueueName="export-alerts")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        W.client("sns", who="admin").subscribe(TopicArn=TOPIC, Protocol="sqs", Endpoint=arn)
        return sqs, url

    def messages(self, sqs, url):
        out = []
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return out
            for m in got:
                out.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    def test_windows_in_order_into_the_central_bucket(self):
        sqs, queue, schema = self.sqs, self.queue, self.schema
        self.messages(sqs, queue)
        now = time.time()
        last_ms = int(now - 3600) * 1000  # four windows behind
        # The tables' history, in world time: created with PITR two hours ago.
        W.set_clock(-7200)
        for acct, names in TABLES.items():
            ddb = admin(W, "dynamodb", acct)
            for t in names:
                ddb.create_table(TableName=t, BillingMode="PAY_PER_REQUEST",
                                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
                ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={
                    "PointInTimeRecoveryEnabled": True})
                put(acct, t, "old", "before the chain")
        writes = [(-3000, "a", "w1"), (-2000, "a", "w2"), (-1000, "b", "w3"), (-500, "c", "w4")]
        for offset, key, value in writes:  # one change in each window
            W.set_clock(int(now - time.time()) + offset)
            for acct, names in TABLES.items():
                for t in names:
                    put(acct, t, key, value)
        W.set_clock(int(now - time.time()) - 400)
        for acct, names in TABLES.items():
            for t in names:
                admin(W, "dynamodb", acct).delete_item(TableName=t, Key={"pk": {"S": "b"}})  # in window 4
        W.set_clock(0)
        for acct, names in TABLES.items():
            for t in names:
                self.seed_chain(acct, t, last_ms)

        for k in range(4):
            m = self.export_run()
            exports = [res for res in m["resources"] if res["kind"] == "dynamodb.export"]
            self.assertEqual(sorted((e["account"], e["resource"]) for e in exports),
                             sorted((a, t) for a, ns in TABLES.items() for t in ns), m)
            for e in exports:
                self.assertEqual(e["status"], "SUCCEEDED", e)
                o = e["outputs"][0]
                self.assertEqual(o["export_type"], "INCREMENTAL_EXPORT")
                self.assertEqual(int(o["export_from_ms"]), last_ms + k * W_MS)
                self.assertEqual(int(o["export_to_ms"]), last_ms + (k + 1) * W_MS)
                self.assertEqual(int(o["blocks_behind"]), 3 - k)  # counting down
            # Every export's SNS message follows the seed's schema; status is
            # also an attribute (the seed's SUCCESS / FAILED subscriptions).
            notes = [n for n in self.messages(sqs, queue) if n["Message"].startswith("{")]
            self.assertEqual(len(notes), 3, notes)
            for n in notes:
                body = json.loads(n["Message"])
                jsonschema.validate(body, schema)
                self.assertEqual(body["status"], "SUCCESS")
                self.assertEqual(body["incrementalBlocksBehind"], 3 - k)
                self.assertEqual(n["MessageAttributes"]["status"]["Value"], "SUCCESS")
                self.assertNotIn("remedy", body)
            for acct, names in TABLES.items():
                for t in names:
                    c = self.chain(acct, t)
                    self.assertEqual(int(c["last-incremental-export-time"]["N"]), last_ms + (k + 1) * W_MS)
        # Caught up: nothing is due.
        m = self.export_run()
        self.assertEqual([r for r in m["resources"] if r["kind"] == "dynamodb.export"], [])

        # The exports are in the central bucket (the central account's), one
        # prefix per account/region/table, each window's changes only.
        for acct, names in TABLES.items():
            for t in names:
                windows = self.windows(f"dynamodb-exports/ex/{acct}/us-east-1/{t}/")
                self.assertEqual([w[0]["exportType"] for w in windows], ["INCREMENTAL_EXPORT"] * 4)
                self.assertEqual([w[1] for w in windows], [[("a", "w1")], [("a", "w2")], [("b", "w3")],
                                                           [("b", None), ("c", "w4")]], (acct, t))

    def windows(self, prefix):
        """[(manifest summary, sorted [(pk, new v or None)])] of every export
        under prefix in the central bucket, in the order they started."""
        s3 = W.client("s3", who="admin")
        keys, kw = [], {}
        while True:
            page = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "AWSDynamoDB/", **kw)
            keys += [o["Key"] for o in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                break
            kw["ContinuationToken"] = page["NextContinuationToken"]
        out = []
        for s in sorted(k for k in keys if k.endswith("manifest-summary.json")):  # export ids sort by start
            summary = json.loads(s3.get_object(Bucket=BUCKET, Key=s)["Body"].read())
            files = s.replace("manifest-summary.json", "manifest-files.json")
            lines = s3.get_object(Bucket=BUCKET, Key=files)["Body"].read().decode().split("\n")
            window = []
            for line in filter(None, lines):
                data = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=json.loads(line)["dataFileS3Key"])
                                       ["Body"].read()).decode()
                for rec in filter(None, data.split("\n")):
                    rec = json.loads(rec)
                    new = rec.get("NewImage")
                    window.append((rec["Keys"]["pk"]["S"], new["v"]["S"] if new else None))
            out.append((summary, sorted(window)))
        return out

    def test_two_hours_paused_then_catch_up_window_by_window(self):
        """The seed's catch-up: a chain paused for two hours (workflow-action
        PAUSE: a run exports nothing), then resumed, is eight windows behind.
        Each run exports the next window only (one window per execution, as
        the seed's Step Function does; the job runs every third of its
        window, so it gains two windows per window length), in order, each
        starting at the last one's end, incrementalBlocksBehind counting
        down 7, 6, ... 0 in the result and the SNS message; caught up,
        nothing is due. Each window holds exactly its own puts and deletes."""
        sqs, queue = self.sqs, self.queue
        self.messages(sqs, queue)
        acct, t, job = "222222222222", "late-t", "cx"
        cli = ["--config", self.cfg, "--job", job, "--table", t, "--account", acct]
        now = time.time()
        last_s = int(now) - 7200  # eight windows before now
        ddb = admin(W, "dynamodb", acct)
        W.set_clock(-7300)
        ddb.create_table(TableName=t, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
        put(acct, t, "old", "before the chain")
        self.seed_chain(acct, t, last_s * 1000, job=job)
        r = run(["exports", "pause", *cli], W)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # Two hours pass, a put and a delete in each window; paused, a run exports nothing.
        for k in range(8):
            W.set_clock(int(last_s + k * 900 + 450 - time.time()))
            put(acct, t, f"k{k}", f"w{k}")
            if k:
                ddb.delete_item(TableName=t, Key={"pk": {"S": f"k{k - 1}"}})
            if k == 4:
                m = self.export_run(job)
                self.assertEqual([x for x in m["resources"] if x["kind"] == "dynamodb.export"], [])
        W.set_clock(0)
        r = run(["exports", "status", *cli], W)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        row = [l.split() for l in r.stdout.splitlines() if l.startswith(job)][0]
        self.assertEqual(row[6:10], ["PAUSE", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(last_s)), "15m", "8"])
        r = run(["exports", "resume", *cli], W)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        for k in range(8):
            m = self.export_run(job)
            exports = [x for x in m["resources"] if x["kind"] == "dynamodb.export"]
            self.assertEqual([(e["resource"], e["status"]) for e in exports], [(t, "SUCCEEDED")], m)
            o = exports[0]["outputs"][0]
            self.assertEqual((int(o["export_from_ms"]), int(o["export_to_ms"]), int(o["blocks_behind"])),
                             ((last_s + k * 900) * 1000, (last_s + (k + 1) * 900) * 1000, 7 - k))
            notes = [json.loads(n["Message"]) for n in self.messages(sqs, queue) if n["Message"].startswith("{")]
            notes = [n for n in notes if n.get("table") == t]
            self.assertEqual([(n["status"], n["exportType"], n["incrementalBlocksBehind"]) for n in notes],
                             [("SUCCESS", "INCREMENTAL_EXPORT", 7 - k)], notes)
            jsonschema.validate(notes[0], self.schema)
            self.assertEqual(int(self.chain(acct, t, job)["last-incremental-export-time"]["N"]),
                             (last_s + (k + 1) * 900) * 1000)
        m = self.export_run(job)  # caught up
        self.assertEqual([x for x in m["resources"] if x["kind"] == "dynamodb.export"], [])

        windows = self.windows(f"dynamodb-exports/{job}/{acct}/us-east-1/{t}/")
        self.assertEqual([(w[0]["exportFromTime"], w[0]["exportToTime"]) for w in windows],
                         [(self.iso_ms(last_s + k * 900), self.iso_ms(last_s + (k + 1) * 900)) for k in range(8)])
        self.assertEqual([w[1] for w in windows],
                         [[("k0", "w0")]] + [[(f"k{k - 1}", None), (f"k{k}", f"w{k}")] for k in range(1, 8)])

    @staticmethod
    def iso_ms(t):
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))

    def test_pitr_gap_then_reset_with_a_full_export(self):
        """PITR turned off and on again loses the chain's history: the run
        fails the table with a remedy (FAILED message, chain PITR_GAP) and
        exports nothing; RESET_WITH_FULL_EXPORT_AGAIN (the seed's action)
        makes the next run start a new chain with a full export."""
        sqs, queue = self.sqs, self.queue
        self.messages(sqs, queue)
        acct, t = "111111111111", "gap-t"
        ddb = admin(W, "dynamodb", acct)
        W.set_clock(-7200)
        ddb.create_table(TableName=t, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
        put(acct, t, "k", "v1")
        W.set_clock(0)
        self.seed_chain(acct, t, int(time.time() - 3600) * 1000, job="gx")
        for on in (False, True):  # the history since the last window is gone
            ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": on})

        m = self.export_run("gx", expect=1)
        gap = [r for r in m["resources"] if r["kind"] == "dynamodb.export"]
        self.assertEqual([(g["resource"], g["status"], g["error_code"]) for g in gap],
                         [(t, "FAILED", "PitrGap")])
        c = self.chain(acct, t, "gx")
        self.assertEqual(c["workflow-state"]["S"], "PITR_GAP")
        notes = [json.loads(n["Message"]) for n in self.messages(sqs, queue) if n["Message"].startswith("{")]
        self.assertEqual(len(notes), 1, notes)
        jsonschema.validate(notes[0], self.schema)
        self.assertEqual(notes[0]["status"], "FAILED")
        self.assertIn("fleetvault exports reset --config <file> --job gx --table gap-t", notes[0]["remedy"])
        s3 = W.client("s3", who="admin")
        prefix = f"dynamodb-exports/gx/{acct}/us-east-1/{t}/"
        self.assertNotIn("Contents", s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix))

        # The seed's remedy: workflow-action RESET_WITH_FULL_EXPORT_AGAIN.
        v = int(c["version"]["N"])
        W.client("dynamodb", who="admin").update_item(
            TableName=CONTROL, Key={"pk": {"S": f"export#gx#{acct}#us-east-1#{t}"}},
            UpdateExpression="SET #a = :a, #v = :v",
            ExpressionAttributeNames={"#a": "workflow-action", "#v": "version"},
            ExpressionAttributeValues={":a": {"S": "RESET_WITH_FULL_EXPORT_AGAIN"}, ":v": {"N": str(v + 1)}})
        m = self.export_run("gx")
        full = [r for r in m["resources"] if r["kind"] == "dynamodb.export"]
        self.assertEqual([(f["resource"], f["status"]) for f in full], [(t, "SUCCEEDED")], m)
        self.assertEqual(full[0]["outputs"][0]["export_type"], "FULL_EXPORT")
        c = self.chain(acct, t, "gx")
        self.assertEqual((c["workflow-initiated"]["S"], c["workflow-state"]["S"], c["workflow-action"]["S"]),
                         ("true", "NORMAL", "RUN"))
        self.assertEqual(c["chain-id"]["S"], full[0]["outputs"][0]["export_arn"])
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
        summaries = [k for k in keys if k.endswith("manifest-summary.json")]
        self.assertEqual(len(summaries), 1, keys)
        summary = json.loads(s3.get_object(Bucket=BUCKET, Key=summaries[0])["Body"].read())
        self.assertEqual(summary["exportType"], "FULL_EXPORT")
        notes = [json.loads(n["Message"]) for n in self.messages(sqs, queue) if n["Message"].startswith("{")]
        self.assertEqual([(n["status"], n["exportType"]) for n in notes], [("SUCCESS", "FULL_EXPORT")])
        jsonschema.validate(notes[0], self.schema)

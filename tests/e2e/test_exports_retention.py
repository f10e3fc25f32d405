"""Retention of DynamoDB exports (docs/EXPORTS.md, Retention) through the CLI,
under the test world's SigV4 and IAM enforcement, with what
`fleetvault iam-policy` generates for the job (retention_days 1) and nothing
more, and tricks it must not fall for:

- look-alike export objects planted under the table's prefix with older
  export ids (never recorded) survive everything;
- forged control-table records (listed in the table's records, ARNs of this
  table's exports, older than anything) that point at another table's
  prefix in the bucket, or at another bucket, delete nothing there: they
  are refused and reported on the task's output;
- a newer full export that FAILED (its ExportTime before the PITR window),
  a newer full export younger than the retention, and one older than the
  retention still running when the run ends leave the old chain whole;
- once a newer full export older than the retention COMPLETED, the old
  chain's objects and records are gone, and the newer chain is intact:
  `fleetvault restore dynamodb --from-exports --to` rebuilds the table as it
  was then, item for item, and `verify --exports` passes.

And full_export_every_days: a caught-up chain whose full export is older
gets a new chain from a full export at its last window end.

Chains at times days ago are made the way `exports import-state` or an
operator's reset leaves them (a chain whose full export at time T has
started); the world's clock is set back to write the table's history."""

import json
import os
import subprocess
import time
import unittest

from fvtest import BIN, WorldProcess, admin, fleet_config, load_manifest, run, tmpdir

CENTRAL = "123456789012"
BUCKET = "fleetvault-backups-123456789012"
VICTIM_BUCKET = "victim-123456789012"
CONTROL = "fleetvault-control"
ACCT = "111111111111"
TABLE = "ret-t"
PREFIX = f"dynamodb-exports/ret/{ACCT}/us-east-1/{TABLE}"
OTHER = f"dynamodb-exports/ret/{ACCT}/us-east-1/other-t/AWSDynamoDB/01600000000001-feedface/"
DAY = 86400
JOB = """
- name: ret
  type: dynamodb_exports
  tables:
    names: [ret-t]
  poll_interval_s: 1
  retention_days: 1
"""


def setUpModule():
    global W
    W = WorldProcess.start(fleet="small")


def tearDownModule():
    W.set_clock(0)
    W.stop()


def at(t):
    """The world's clock at Unix time t."""
    W.set_clock(int(t - time.time()))


class TestExportsRetention(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.cfg = os.path.join(cls.dir, "fleet.yaml")
        fleet_config(cls.cfg, JOB)
        cls.short = os.path.join(cls.dir, "short.yaml")  # a run that gives up after 10 s
        with open(cls.cfg) as f:
            text = f.read()
        assert "run_deadline_s: 300" in text
        with open(cls.short, "w") as f:
            f.write(text.replace("run_deadline_s: 300", "run_deadline_s: 10"))
        cls.renew = os.path.join(cls.dir, "renew.yaml")  # a new chain once a day
        assert "    retention_days: 1\n" in text
        with open(cls.renew, "w") as f:
            f.write(text.replace("    retention_days: 1\n", "    retention_days: 1\n    full_export_every_days: 1\n"))
        cls.grant()
        cls.ctl = W.client("dynamodb", who="admin")
        cls.s3 = W.client("s3", who="admin")
        cls.ctl.create_table(TableName=CONTROL, BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])

    @classmethod
    def grant(cls):
        """The member roles and the central principal get what
        `fleetvault iam-policy` generates for this job (the world's carry the
        sample fleet's, which has no exports job)."""
        cfg = os.path.join(cls.dir, "iam.yaml")
        fleet_config(cfg, JOB)
        with open(cfg) as f:
            text = f.read().replace("central:\n", "central:\n  principal_arn: "
                                    f"arn:aws:iam::{CENTRAL}:user/fleetvault\n", 1)
        with open(cfg, "w") as f:
            f.write(text)
        out = os.path.join(cls.dir, "iam")
        os.mkdir(out)
        r = subprocess.run([BIN, "iam-policy", "--config", cfg, "--out", out], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        with open(os.path.join(out, "fleetvault-member-policy.json")) as f:
            member = f.read()
        with open(os.path.join(out, "fleetvault-central-policy.json")) as f:
            central = json.load(f)
        assert any("s3:DeleteObject" in s["Action"] for s in central["Statement"]), central
        for acct in ("111111111111", "222222222222"):
            admin(W, "iam", acct).put_role_policy(RoleName="fleetvault-member", PolicyName="fleetvault-exports",
                                                  PolicyDocument=member)
        W.client("iam", who="admin").put_user_policy(UserName="fleetvault", PolicyName="fleetvault-exports",
                                                     PolicyDocument=json.dumps(central))

    # -- helpers ------------------------------------------------------------------
    def state_pk(self):
        return f"export#ret#{ACCT}#us-east-1#{TABLE}"

    def start_full_at(self, t_ms):
        """The chain as a started full export at t_ms leaves it (what a reset,
        or import-state of a seed mid-full-export, leaves)."""
        got = self.ctl.get_item(TableName=CONTROL, Key={"pk": {"S": self.state_pk()}}, ConsistentRead=True)
        v = int(got["Item"]["version"]["N"]) if "Item" in got else 0
        self.ctl.put_item(TableName=CONTROL, Item={
            "pk": {"S": self.state_pk()}, "job": {"S": "ret"}, "account": {"S": ACCT},
            "region": {"S": "us-east-1"}, "table": {"S": TABLE},
            "workflow-initiated": {"S": "NULL"}, "full-export-time": {"N": str(t_ms)},
            "last-incremental-export-time": {"N": "0"}, "workflow-state": {"S": "NORMAL"},
            "workflow-action": {"S": "RUN"}, "version": {"N": str(v + 1)}})

    def export_run(self, cfg=None):
        out = os.path.join(self.dir, f"run-{time.time_ns()}")
        os.mkdir(out)
        r = run(["backup", "--config", cfg or self.cfg, "--job", "ret", "--output-dir", out, "--no-progress"], W)
        time.sleep(1.1)  # run ids have one-second resolution
        exports = [x for x in load_manifest(out)["resources"] if x["kind"] == "dynamodb.export"]
        self.assertEqual(len(exports), 1, r.stdout + r.stderr)
        return exports[0], r

    def records(self):
        """{export id: record item} as the table's list names them."""
        lst = self.ctl.get_item(TableName=CONTROL, Key={"pk": {"S": f"exportrecs#ret#{ACCT}#us-east-1#{TABLE}"}},
                                ConsistentRead=True).get("Item", {})
        out = {}
        for i in lst.get("exports", {}).get("SS", []):
            item = self.ctl.get_item(TableName=CONTROL, ConsistentRead=True, Key={
                "pk": {"S": f"exportrec#ret#{ACCT}#us-east-1#{TABLE}#{i}"}}).get("Item")
            out[i] = item
        return out

    def keys(self, prefix, bucket=BUCKET):
        return sorted(o["Key"] for o in self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))

    def completed(self, e, kind):
        self.assertEqual((e["status"], e["outputs"][0]["export_type"]), ("SUCCEEDED", kind), e)
        return e["outputs"][0]["export_arn"].split("/")[-1]

    def dump(self, table, ddb):
        out, kw = {}, {"TableName": table, "ConsistentRead": True}
        while True:
            page = ddb.scan(**kw)
            for it in page["Items"]:
                out[it["pk"]["S"]] = it["v"]["S"]
            if "LastEvaluatedKey" not in page:
                return out
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- the test -----------------------------------------------------------------
    def test_only_recorded_exports_of_chains_past_retention_go(self):
        now = time.time()
        ddb = admin(W, "dynamodb", ACCT)
        t_a, t_b, t_d = now - 5 * DAY, now - 3 * DAY, now - 2 * DAY

        # The table's history, in world time.
        at(now - 6 * DAY)
        ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        ddb.update_continuous_backups(TableName=TABLE, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "v": {"S": "v1"}})
        at(now - 4 * DAY)
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": "b"}, "v": {"S": "v2"}})
        at(now - 2.2 * DAY)
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": "c"}, "v": {"S": "v3"}})
        ddb.delete_item(TableName=TABLE, Key={"pk": {"S": "a"}})
        at(now - 1 * DAY)
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": "d"}, "v": {"S": "v4"}})
        W.set_clock(0)
        as_of_d = {"b": "v2", "c": "v3"}  # the table at t_d

        # Chain A: its full export 5 days ago, then its first window.
        self.start_full_at(int(t_a * 1000))
        e, _ = self.export_run()
        a_id = self.completed(e, "FULL_EXPORT")
        e, _ = self.export_run()
        a1_id = self.completed(e, "INCREMENTAL_EXPORT")
        recs = self.records()
        self.assertEqual(set(recs), {a_id, a1_id})
        rec = recs[a_id]
        self.assertEqual((rec["bucket"]["S"], rec["prefix"]["S"], rec["export_type"]["S"], rec["time_ms"]["N"]),
                         (BUCKET, f"{PREFIX}/AWSDynamoDB/{a_id}/", "FULL", str(int(t_a * 1000))))
        self.assertNotIn("ttl", rec)
        self.assertEqual(recs[a1_id]["time_ms"]["N"], str(int(t_a * 1000) + 15 * 60 * 1000))
        a_keys = self.keys(f"{PREFIX}/AWSDynamoDB/{a_id}/") + self.keys(f"{PREFIX}/AWSDynamoDB/{a1_id}/")
        self.assertTrue(any(k.endswith("manifest-summary.json") for k in a_keys), a_keys)

        # Tricks: look-alikes nobody recorded, and forged records.
        lookalikes = [f"{PREFIX}/AWSDynamoDB/01600000000000-0badc0de/data/old.json.gz",
                      f"{PREFIX}/AWSDynamoDB/01600000000000-0badc0de/_started",
                      f"{PREFIX}/exports-2020.json.gz"]
        victims = [OTHER + "data/v.json.gz", OTHER + "manifest-summary.json"]
        for k in lookalikes + victims:
            self.s3.put_object(Bucket=BUCKET, Key=k, Body=b"not fleetvault's to delete")
        self.s3.create_bucket(Bucket=VICTIM_BUCKET)
        victim_key = "AWSDynamoDB/01600000000002-cafef00d/data/v.json.gz"
        self.s3.put_object(Bucket=VICTIM_BUCKET, Key=victim_key, Body=b"another bucket")
        forged = {"01600000000001-feedface": (BUCKET, OTHER),
                  "01600000000002-cafef00d": (VICTIM_BUCKET, "AWSDynamoDB/01600000000002-cafef00d/")}
        for fid, (bucket, prefix) in forged.items():
            self.ctl.put_item(TableName=CONTROL, Item={
                "pk": {"S": f"exportrec#ret#{ACCT}#us-east-1#{TABLE}#{fid}"},
                "export_arn": {"S": f"arn:aws:dynamodb:us-east-1:{ACCT}:table/{TABLE}/export/{fid}"},
                "job": {"S": "ret"}, "account": {"S": ACCT}, "region": {"S": "us-east-1"},
                "table": {"S": TABLE}, "export_type": {"S": "FULL"},
                "time_ms": {"N": str(int((now - 30 * DAY) * 1000))},
                "bucket": {"S": bucket}, "prefix": {"S": prefix}, "in_chain": {"S": "true"}})
            self.ctl.update_item(TableName=CONTROL, Key={"pk": {"S": f"exportrecs#ret#{ACCT}#us-east-1#{TABLE}"}},
                                 UpdateExpression="ADD #e :i", ExpressionAttributeNames={"#e": "exports"},
                                 ExpressionAttributeValues={":i": {"SS": [fid]}})

        # A newer full export that FAILED: PITR restarted after its time.
        at(now - 2.5 * DAY)
        for on in (False, True):
            ddb.update_continuous_backups(TableName=TABLE, PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": on})
        W.set_clock(0)
        self.start_full_at(int(t_b * 1000))
        e, _ = self.export_run()
        self.assertEqual(e["status"], "FAILED", e)
        self.assertEqual(set(self.records()), {a_id, a1_id, *forged})
        self.assertEqual(self.keys(f"{PREFIX}/AWSDynamoDB/{a_id}/") + self.keys(f"{PREFIX}/AWSDynamoDB/{a1_id}/"),
                         a_keys)

        # A newer full export younger than the retention (the chain starts
        # again now): the old chain is still the base; the forged records,
        # older than it, are refused and reported.
        e, _ = self.export_run()
        c_id = self.completed(e, "FULL_EXPORT")
        o = e["outputs"][0]
        self.assertEqual(o.get("retention_exports_deleted"), "0", o)
        for fid in forged:
            self.assertIn(f"export/{fid}: recorded", o.get("retention_error", ""), o)
        self.assertEqual(self.keys(f"{PREFIX}/AWSDynamoDB/{a_id}/") + self.keys(f"{PREFIX}/AWSDynamoDB/{a1_id}/"),
                         a_keys)

        # A newer full export older than the retention, still running when
        # the run ends: nothing of chain A goes, and it is not recorded.
        self.start_full_at(int(t_d * 1000))
        W.control("POST", "/_world/settings", {"ddb_export_delay_s": 3600})
        try:
            e, _ = self.export_run(self.short)
        finally:
            W.control("POST", "/_world/settings", {"ddb_export_delay_s": 0.5})
        self.assertNotEqual(e["status"], "SUCCEEDED", e)
        chain = self.ctl.get_item(TableName=CONTROL, Key={"pk": {"S": self.state_pk()}}, ConsistentRead=True)["Item"]
        self.assertEqual((chain["workflow-initiated"]["S"], chain["full-export-time"]["N"]),
                         ("NULL", str(int(t_d * 1000))))  # its full export under way
        running = [x for x in admin(W, "dynamodb", ACCT).list_exports(
            TableArn=f"arn:aws:dynamodb:us-east-1:{ACCT}:table/{TABLE}")["ExportSummaries"]
            if x["ExportStatus"] == "IN_PROGRESS"]
        self.assertEqual(len(running), 1, running)
        self.assertEqual(set(self.records()), {a_id, a1_id, c_id, *forged})
        self.assertEqual(self.keys(f"{PREFIX}/AWSDynamoDB/{a_id}/") + self.keys(f"{PREFIX}/AWSDynamoDB/{a1_id}/"),
                         a_keys)

        # It COMPLETED meanwhile (the world an hour on); the next run finds it
        # (the same ClientToken), advances the chain, and chain A goes.
        W.set_clock(3601)
        try:
            e, _ = self.export_run()
        finally:
            W.set_clock(0)
        d_id = self.completed(e, "FULL_EXPORT")
        o = e["outputs"][0]
        self.assertEqual(o.get("retention_exports_deleted"), "2", o)
        self.assertEqual(int(o["retention_objects_deleted"]), len(a_keys), o)
        self.assertEqual(self.keys(f"{PREFIX}/AWSDynamoDB/{a_id}/"), [])
        self.assertEqual(self.keys(f"{PREFIX}/AWSDynamoDB/{a1_id}/"), [])
        recs = self.records()
        self.assertEqual(set(recs), {c_id, d_id, *forged})
        for fid in forged:  # refused, never followed
            self.assertIsNotNone(recs[fid])
        # what fleetvault never recorded, or only in forged records, is all there
        for k in lookalikes + victims:
            self.assertEqual(self.keys(k), [k])
        self.assertEqual(self.keys(victim_key, VICTIM_BUCKET), [victim_key])
        for x in (c_id, d_id):
            self.assertTrue(any(k.endswith("manifest-summary.json")
                                for k in self.keys(f"{PREFIX}/AWSDynamoDB/{x}/")), x)

        # The newer chain is intact and restorable.
        central = W.principals["principals"]["admin"]
        env = {"AWS_ACCESS_KEY_ID": central["access_key_id"], "AWS_SECRET_ACCESS_KEY": central["secret_access_key"],
               "AWS_SESSION_TOKEN": "", "AWS_REGION": "us-east-1"}
        r = run(["verify", "--exports", f"s3://{BUCKET}/{PREFIX}"], W, env_extra=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        to = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 1.5 * DAY))
        target = W.client("dynamodb", who="admin")  # the source's key schema, in the central account
        target.create_table(TableName="ret-restored", BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        r = run(["restore", "dynamodb", "--from-exports", f"s3://{BUCKET}/{PREFIX}/", "--target-table",
                 "ret-restored", "--to", to], W, env_extra=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.dump("ret-restored", target), as_of_d)

        # full_export_every_days 1: a caught-up chain whose full export is
        # two days old gets a new chain, its full export at the old chain's
        # last window end (no gap), through the reset path.
        got = self.ctl.get_item(TableName=CONTROL, Key={"pk": {"S": self.state_pk()}}, ConsistentRead=True)["Item"]
        self.assertEqual(got["chain-id"]["S"].split("/")[-1], d_id)
        last = int((time.time() - 300) * 1000)  # as if its windows had run
        self.ctl.update_item(TableName=CONTROL, Key={"pk": {"S": self.state_pk()}},
                             UpdateExpression="SET #l = :l, #v = :v",
                             ExpressionAttributeNames={"#l": "last-incremental-export-time", "#v": "version"},
                             ExpressionAttributeValues={":l": {"N": str(last)},
                                                        ":v": {"N": str(int(got["version"]["N"]) + 1)}})
        e, r = self.export_run(self.renew)
        new_id = self.completed(e, "FULL_EXPORT")
        self.assertEqual(int(e["outputs"][0]["export_from_ms"]), last)
        got = self.ctl.get_item(TableName=CONTROL, Key={"pk": {"S": self.state_pk()}}, ConsistentRead=True)["Item"]
        self.assertEqual((got["workflow-initiated"]["S"], got["full-export-time"]["N"],
                          got["chain-id"]["S"].split("/")[-1]), ("true", str(last), new_id))
        self.assertEqual(set(self.records()), {c_id, d_id, new_id, *forged})  # D is still the base


if __name__ == "__main__":
    unittest.main()

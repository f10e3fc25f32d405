"""`fleetvault backup` on the embedded default (in-process Kafka) against the
test world's small fleet: the DynamoDB backups job, complete (seeds 002, 004)."""

import json
import os
import time
import unittest

from fvtest import (BIN, MEMBERS, WorldProcess, admin, backups_by_table, fleet_config, inline_policies,
                    load_manifest, run, tagged_tables, tables, tmpdir)

JOB = """
- name: dynamodb-daily
  type: dynamodb_backups
  tables:
    tags: [backup=daily]
  retention: 30
  log_group: /fleetvault/dynamodb-backups
"""


def setUpModule():
    global W
    W = WorldProcess.start(fleet="small")


def tearDownModule():
    W.stop()


class TestBackupRun(unittest.TestCase):
    def test_full_run_backs_up_tagged_tables_once_and_guards_them(self):
        d = tmpdir()
        cfg = os.path.join(d, "fleet.yaml")
        fleet_config(cfg, JOB, extra="notifications:\n"
                     "  sns_topic_arn: arn:aws:sns:us-east-1:123456789012:fleetvault-alerts\n"
                     "  log_group: /fleetvault/runs\n")
        W.control("DELETE", "/_world/requests")
        before = {a: backups_by_table(W, a) for a in MEMBERS}
        r = run(["backup", "--config", cfg, "--output-dir", d, "--no-progress"], W)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("fleetvault backup report", r.stdout)
        manifest = load_manifest(d)
        self.assertEqual(manifest["outcome"], "succeeded")
        run_id = manifest["run_id"]  # backups are named <table>-<job>-<stamp>: <table>-<run id>
        for acct in MEMBERS:
            after = backups_by_table(W, acct)
            selected = tagged_tables(W, acct)
            self.assertTrue(selected)
            for t in tables(W, acct):
                new = [b for b in after.get(t, []) if b not in before[acct].get(t, [])]
                if t in selected:
                    self.assertEqual([b["BackupName"] for b in new], [f"{t}-{run_id}"], t)
                    self.assertEqual(new[0]["BackupStatus"], "AVAILABLE")
                    arns = [o["backup_arn"] for res in manifest["resources"] if res["resource"] == t
                            and res["account"] == acct for o in res["outputs"]]
                    self.assertEqual(arns, [new[0]["BackupArn"]])
                else:
                    self.assertEqual(new, [], f"{t} is not tagged backup=daily")
            # The deny policy: every principal AWS does not manage, except
            # fleetvault's own role (retention must be able to delete).
            for arn, (path, names) in inline_policies(W, acct).items():
                managed = path.startswith(("/aws-service-role/", "/aws-reserved/"))
                own = arn.endswith(":role/fleetvault-member")
                if managed or own:
                    self.assertNotIn("DenydynamodbDeleteBackup", names, arn)
                else:
                    self.assertIn("DenydynamodbDeleteBackup", names, arn)
            # Every create is in CloudWatch Logs (seed 004), in the member account.
            logs = admin(W, "logs", acct)
            events = logs.filter_log_events(logGroupName="/fleetvault/dynamodb-backups",
                                            logStreamNames=[manifest["run_id"]])["events"]
            created = [e["message"] for e in events if e["message"].startswith("created backup")]
            self.assertEqual(len(created), len(selected), created)
        # The run's event went to SNS and to the central CloudWatch Logs group.
        counts = W.control("GET", "/_world/requests")[1]["counts"]
        published = [c for c in counts if c["operation"] == "Publish" and c["account"] == "123456789012"]
        self.assertEqual(sum(c["count"] for c in published), 1, counts)
        runs = W.client("logs", who="admin").filter_log_events(logGroupName="/fleetvault/runs")["events"]
        self.assertTrue(any(manifest["run_id"] in e["message"] for e in runs), runs)
        # The manifest and report are beside the backups in the central bucket.
        s3 = W.client("s3")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="fleetvault-backups-123456789012",
                                                     Prefix="fleetvault/runs/dynamodb-daily/")["Contents"]]
        self.assertTrue(any(k.endswith(".json") for k in keys))
        self.assertTrue(any(k.endswith(".txt") for k in keys))

    def test_dry_run_writes_nothing(self):
        d = tmpdir()
        cfg = os.path.join(d, "fleet.yaml")
        fleet_config(cfg, JOB)

        def state():
            s3 = W.client("s3", who="admin")
            objs = s3.list_objects_v2(Bucket="fleetvault-backups-123456789012").get("Contents", [])
            ddb = W.client("dynamodb", who="admin")
            return ({a: {t: sorted(b["BackupArn"] for b in bs) for t, bs in backups_by_table(W, a).items()}
                     for a in MEMBERS},
                    {a: inline_policies(W, a) for a in MEMBERS},
                    sorted(o["Key"] for o in objs), sorted(ddb.list_tables()["TableNames"]))

        before = state()
        r = run(["backup", "--config", cfg, "--output-dir", d, "--dry-run", "--no-progress"], W)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("nothing written", r.stdout)
        self.assertIn("dynamodb.backup", r.stdout)
        self.assertEqual(state(), before)
        self.assertEqual(os.listdir(d), ["fleet.yaml"])

    def test_retention_keeps_the_newest_across_runs(self):
        d = tmpdir()
        cfg = os.path.join(d, "fleet.yaml")
        fleet_config(cfg, """
- name: orders-keep-2
  type: dynamodb_backups
  accounts: ["111111111111"]
  tables:
    names: [orders]
  retention: 2
  retention_min_age_s: 0
  deny_delete_policy: false
""")
        ddb = admin(W, "dynamodb", "111111111111")
        manual = ddb.create_backup(TableName="orders", BackupName="orders-by-hand")["BackupDetails"]["BackupArn"]
        names = []
        for i in range(3):
            r = run(["backup", "--config", cfg, "--output-dir", d, "--no-progress"], W)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            latest = sorted(n for n in os.listdir(d) if n.startswith("backup_manifest_"))[-1]
            with open(os.path.join(d, latest)) as f:
                names.append("orders-" + json.load(f)["run_id"])
            time.sleep(1.1)  # run ids have one-second resolution
        mine = sorted(b["BackupName"] for b in backups_by_table(W, "111111111111")["orders"]
                      if b["BackupName"].startswith("orders-orders-keep-2-"))
        # Only this job's own backups expire.
        self.assertEqual(mine, sorted(names[1:]))
        self.assertIn(manual, [b["BackupArn"] for b in backups_by_table(W, "111111111111")["orders"]])

    def test_one_failed_account_never_stops_the_rest(self):
        d = tmpdir()
        cfg = os.path.join(d, "fleet.yaml")
        fleet_config(cfg, JOB.replace("dynamodb-daily", "with-a-stranger"))
        # An account whose role does not exist: AssumeRole is denied.
        with open(cfg) as f:
            text = f.read()
        text = text.replace("central:", '  - id: "333333333333"\n    name: stranger\n'
                            "    role_arn: arn:aws:iam::333333333333:role/fleetvault-member\n"
                            "    external_id: fleetvault-demo\ncentral:")
        with open(cfg, "w") as f:
            f.write(text)
        r = run(["backup", "--config", cfg, "--output-dir", d, "--no-progress"], W)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        manifest = load_manifest(d)
        self.assertEqual(manifest["outcome"], "partial")
        stranger = [t for t in manifest["targets"] if t["account"] == "333333333333"]
        self.assertEqual(stranger[0]["status"], "FAILED")
        self.assertIn("AssumeRole", stranger[0]["error"])
        self.assertIn("fleetvault-member", stranger[0]["error"])
        ok = [x for x in manifest["resources"] if x["kind"] == "dynamodb.backup"]
        self.assertEqual(len(ok), sum(len(tagged_tables(W, a)) for a in MEMBERS))
        self.assertTrue(all(x["status"] == "SUCCEEDED" for x in ok))

    def test_verify_catches_a_corrupted_object(self):
        import hashlib
        d = tmpdir()
        cfg = os.path.join(d, "fleet.yaml")
        fleet_config(cfg, JOB.replace("dynamodb-daily", "verify-me"))
        r = run(["backup", "--config", cfg, "--output-dir", d, "--no-progress"], W)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        name = [n for n in os.listdir(d) if n.startswith("backup_manifest_")][0]
        path = os.path.join(d, name)
        r = run(["verify", "--manifest", path, "--config", cfg], W)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # An object the manifest lists, then changed behind its back.
        # (put by the world's admin under the bundles' prefix: verify re-reads
        # bundles, the only objects fleetvault may read back — deploy/iam)
        s3 = W.client("s3", who="admin")
        body = b"exported bundle bytes " * 1000
        key = "quicksight-backups/verify/object.zip"
        s3.put_object(Bucket="fleetvault-backups-123456789012", Key=key, Body=body)
        with open(path) as f:
            manifest = json.load(f)
        manifest["resources"].append({"kind": "test.object", "account": "123456789012", "region": "us-east-1",
                                      "resource": "object", "status": "SUCCEEDED", "outputs": [
                                          {"bucket": "fleetvault-backups-123456789012",
                                           "object_key": "quicksight-backups/verify/object.zip", "size": len(body),
                                           "sha256": hashlib.sha256(body).hexdigest()}]})
        with open(path, "w") as f:
            json.dump(manifest, f)
        r = run(["verify", "--manifest", path, "--config", cfg], W)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ok    s3://fleetvault-backups-123456789012/quicksight-backups/verify/object.zip", r.stdout)
        s3.put_object(Bucket="fleetvault-backups-123456789012", Key="quicksight-backups/verify/object.zip",
                      Body=body[:-1] + b"X")
        r = run(["verify", "--manifest", path, "--config", cfg], W)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("BAD   s3://fleetvault-backups-123456789012/quicksight-backups/verify/object.zip", r.stdout)
        # A backup deleted behind its back is caught too.
        arn = next(o["backup_arn"] for x in manifest["resources"] if x["kind"] == "dynamodb.backup"
                   for o in x["outputs"])
        # (Only fleetvault's own role may: the deny policy guards every other
        # principal, the account's admins included.)
        W.member_client("dynamodb", arn.split(":")[4]).delete_backup(BackupArn=arn)
        r = run(["verify", "--manifest", path, "--config", cfg], W)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"BAD   {arn}", r.stdout)

    def test_restore_dynamodb_from_a_backup(self):
        d = tmpdir()
        cfg = os.path.join(d, "fleet.yaml")
        fleet_config(cfg, JOB.replace("dynamodb-daily", "restore-me"))
        r = run(["backup", "--config", cfg, "--output-dir", d, "--no-progress"], W)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        manifest = load_manifest(d)
        arn = next(o["backup_arn"] for x in manifest["resources"]
                   if x["kind"] == "dynamodb.backup" and x["resource"] == "orders" for o in x["outputs"])
        r = run(["restore", "dynamodb", "--backup-arn", arn, "--target-table", "orders-restored",
                 "--config", cfg], W)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        ddb = admin(W, "dynamodb", "111111111111")
        self.assertEqual(ddb.describe_table(TableName="orders-restored")["Table"]["TableStatus"], "ACTIVE")
        self.assertEqual(ddb.scan(TableName="orders-restored")["Count"], ddb.scan(TableName="orders")["Count"])

    def test_malformed_config_exits_2_before_any_write(self):
        d = tmpdir()
        cfg = os.path.join(d, "bad.yaml")
        with open(cfg, "w") as f:
            f.write("region: us-east-1\njobs:\n  - name: x\n    type: dynamodb_backups\n    retention: 0\n")
        W.control("DELETE", "/_world/requests")
        r = run(["backup", "--config", cfg], W)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn(f"{cfg}: jobs[0].retention", r.stderr)
        self.assertEqual(W.control("GET", "/_world/requests")[1]["counts"], [])


if __name__ == "__main__":
    unittest.main()
